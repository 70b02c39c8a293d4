// The cohort manifest (format in cohort.hpp): parse, validate every row, report all bad rows
// at once with their lines.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

#include "libescapade/base/file_io.hpp"
#include "libescapade/base/text.hpp"
#include "libescapade/cohort/cohort.hpp"

namespace escapade::cohort {
namespace {

enum class Column {
  patient, sample, fcs, phase, therapy, fish, transcript, relapse, time_months, death_in_remission,
  last_followup_months, sample_time_months, truth, ignored
};

struct ColumnName {
  std::string_view name;
  Column column;
  bool required;
};

constexpr std::array<ColumnName, 15> k_columns{{
    {"patient", Column::patient, true},
    {"sample", Column::sample, true},
    {"fcs", Column::fcs, true},
    {"phase", Column::phase, true},
    {"therapy", Column::therapy, false},
    {"fish", Column::fish, false},
    {"transcript", Column::transcript, false},
    {"relapse", Column::relapse, false},
    {"time_months", Column::time_months, false},
    {"death_in_remission", Column::death_in_remission, false},
    {"last_followup_months", Column::last_followup_months, false},
    {"sample_time_months", Column::sample_time_months, false},
    {"truth", Column::truth, false},
    {"note", Column::ignored, false},
    {"comment", Column::ignored, false},
}};

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<Therapy> parse_therapy(std::string_view text) {
  const std::string t = column_key(text);
  if (t.empty() || t == "none" || t == "no") return Therapy::none;
  if (t == "car_t" || t == "cart" || t == "car_t_cells" || t == "cd19_car_t") return Therapy::car_t;
  if (t == "blinatumomab" || t == "blina") return Therapy::blinatumomab;
  return std::nullopt;
}

std::optional<Relapse> parse_relapse(std::string_view text) {
  // Lower case; CD19− written with a Unicode minus sign (U+2212) reads as '-'.
  const std::string_view t = trim_space(text);
  constexpr std::string_view minus = "\xe2\x88\x92";
  std::string lower;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t.substr(i, minus.size()) == minus) {
      lower += '-';
      i += minus.size() - 1;
      continue;
    }
    const char c = t[i];
    lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  if (lower == "none" || lower == "no") return Relapse::none;
  if (lower == "cd19pos" || lower == "cd19+" || lower == "cd19_positive" || lower == "cd19 positive") return Relapse::cd19pos;
  if (lower == "cd19neg" || lower == "cd19-" || lower == "cd19_negative" || lower == "cd19 negative") return Relapse::cd19neg;
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = column_key(text);
  if (t == "1" || t == "yes" || t == "true" || t == "y") return true;
  if (t == "0" || t == "no" || t == "false" || t == "n") return false;
  return std::nullopt;
}

std::filesystem::path resolve(const std::filesystem::path& base, std::string_view cell) {
  std::filesystem::path p{std::string(cell)};
  if (p.is_relative()) p = base / p;
  return p.lexically_normal();
}

// A patient-level value seen on a row, for the agreement check.
template <typename T>
struct Seen {
  T value;
  std::size_t line;
  std::string text;
};

struct PatientAcc {
  std::optional<Seen<bal::Transcript>> transcript;
  std::optional<Seen<Relapse>> relapse;
  std::optional<Seen<double>> time_months;
  std::optional<Seen<bool>> death;
  std::optional<Seen<double>> followup;
};

}  // namespace

std::string_view to_string(Phase phase) noexcept {
  switch (phase) {
    case Phase::diagnosis: return "diagnosis";
    case Phase::remission: return "remission";
    case Phase::relapse: return "relapse";
    case Phase::pre_therapy: return "pre_therapy";
    case Phase::post_therapy: return "post_therapy";
  }
  return "?";
}

std::string_view to_string(Therapy therapy) noexcept {
  switch (therapy) {
    case Therapy::none: return "none";
    case Therapy::car_t: return "car_t";
    case Therapy::blinatumomab: return "blinatumomab";
  }
  return "?";
}

std::string_view to_string(Relapse relapse) noexcept {
  switch (relapse) {
    case Relapse::none: return "none";
    case Relapse::cd19pos: return "cd19pos";
    case Relapse::cd19neg: return "cd19neg";
  }
  return "?";
}

std::optional<ParsedPhase> parse_phase(std::string_view text) {
  const std::string t = column_key(text);
  if (t == "diagnosis" || t == "dx") return ParsedPhase{Phase::diagnosis, std::nullopt};
  if (t == "remission" || t == "cr" || t == "complete_remission") return ParsedPhase{Phase::remission, std::nullopt};
  if (t == "relapse") return ParsedPhase{Phase::relapse, std::nullopt};
  if (t == "pre_therapy" || t == "pre" || t == "pretherapy") return ParsedPhase{Phase::pre_therapy, std::nullopt};
  if (t == "day30_car_t" || t == "day30") return ParsedPhase{Phase::post_therapy, 30};
  if (t == "post_therapy" || t == "posttherapy") return ParsedPhase{Phase::post_therapy, std::nullopt};
  // post_therapy_day_N, post_therapy_dN, day_N, dayN, d+N
  std::string_view rest = t;
  for (std::string_view prefix : {"post_therapy_", "posttherapy_"}) {
    if (rest.starts_with(prefix)) {
      rest.remove_prefix(prefix.size());
      break;
    }
  }
  if (rest.starts_with("day_")) {
    rest.remove_prefix(4);
  } else if (rest.starts_with("day")) {
    rest.remove_prefix(3);
  } else if (rest.starts_with("d+")) {
    rest.remove_prefix(2);
  } else if (rest.starts_with("d") && rest != t) {
    rest.remove_prefix(1);
  } else {
    return std::nullopt;
  }
  if (rest.starts_with("+")) rest.remove_prefix(1);
  int day = -1;
  const auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), day);
  if (rest.empty() || ec != std::errc() || p != rest.data() + rest.size() || day < 0 || day > 10000) return std::nullopt;
  return ParsedPhase{Phase::post_therapy, day};
}

const Patient* Manifest::find_patient(std::string_view id) const noexcept {
  for (const auto& p : patients) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string Manifest::summary() const {
  return fmt::format("Manifest({} samples, {} patients{})", rows.size(), patients.size(),
                     skipped.empty() ? "" : fmt::format(", {} rows skipped", skipped.size()));
}

Manifest parse_manifest(std::string_view text, std::string_view source, const std::filesystem::path& base,
                        const ManifestOptions& options) {
  const std::string src(source);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Manifest m;
  m.source = src;

  std::vector<Column> columns;
  std::size_t header_line = 0;
  // Every problem of a row goes here, so all are reported at once.
  std::vector<std::pair<std::size_t, std::string>> problems;
  std::map<std::string, PatientAcc> acc;
  std::vector<std::string> patient_order;
  std::map<std::pair<std::string, std::string>, std::size_t> seen_samples;

  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim_space(line).empty() || trim_space(line).starts_with('#')) continue;
    const auto cells = split_fields(line, '\t');

    if (header_line == 0) {
      header_line = line_no;
      const std::string where = fmt::format("line {}", line_no);
      // Not a cohort manifest at all (a wrong path, say): nothing of it is quoted.
      const std::string accepted = require_table_header(cells, k_columns, "cohort manifest", src, where);
      for (std::size_t i = 0; i < cells.size(); ++i) {
        const std::string name = column_key(cells[i]);
        if (name.empty() && i + 1 == cells.size() && i > 0) break;  // a trailing tab
        const ColumnName* it = find_column(k_columns, name);
        if (it == nullptr) {
          throw InputError(ErrorKind::format, src, where,
                           fmt::format("unknown column \"{}\" (columns: {})", excerpt(trim_space(cells[i])), accepted));
        }
        if (it->column != Column::ignored && std::find(columns.begin(), columns.end(), it->column) != columns.end()) {
          throw InputError(ErrorKind::format, src, where, fmt::format("column \"{}\" is given twice", it->name));
        }
        columns.push_back(it->column);
      }
      std::vector<std::string> missing;
      for (const auto& c : k_columns) {
        if (c.required && std::find(columns.begin(), columns.end(), c.column) == columns.end()) missing.emplace_back(c.name);
      }
      if (!missing.empty()) {
        std::string list;
        for (const auto& s : missing) list += (list.empty() ? "" : ", ") + s;
        throw InputError(ErrorKind::format, src, where, "missing required column" + std::string(missing.size() > 1 ? "s " : " ") + list);
      }
      continue;
    }

    std::vector<std::string> errs;
    std::size_t n = cells.size();
    // Trailing empty cells beyond the header (spreadsheet exports) are tolerated.
    while (n > columns.size() && trim_space(cells[n - 1]).empty()) --n;
    if (n != columns.size()) {
      problems.emplace_back(line_no, fmt::format("{} cells, the header has {}", n, columns.size()));
      continue;
    }
    auto cell = [&](Column c) -> std::string_view {
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i] == c) return trim_space(cells[i]);
      }
      return {};
    };
    ManifestRow row;
    row.line = line_no;
    // Identifiers are kept as UTF-8 (base/text.hpp); paths keep their bytes, which is what
    // the file system needs to find the file.
    bool latin1_patient = false, latin1_sample = false;
    row.patient = utf8_or_latin1(cell(Column::patient), &latin1_patient);
    row.sample = utf8_or_latin1(cell(Column::sample), &latin1_sample);
    if ((latin1_patient || latin1_sample) && m.warnings.empty()) {
      m.warnings.push_back({src, fmt::format("line {}", line_no), "patient or sample ids are not UTF-8; read as Latin-1"});
    }
    if (row.patient.empty()) errs.emplace_back("empty patient");
    if (row.sample.empty()) errs.emplace_back("empty sample");
    const std::string_view fcs = cell(Column::fcs);
    if (fcs.empty()) {
      errs.emplace_back("empty fcs");
    } else {
      row.fcs = resolve(base, fcs);
      std::error_code ec;
      if (options.check_files && !std::filesystem::is_regular_file(row.fcs, ec)) {
        errs.push_back(fmt::format("fcs file {} not found", row.fcs.string()));
      }
    }
    row.phase_text = std::string(cell(Column::phase));
    if (const auto ph = parse_phase(row.phase_text)) {
      row.phase = ph->phase;
      row.day = ph->day;
    } else {
      errs.push_back(fmt::format("unknown phase \"{}\" (diagnosis, remission|cr, relapse, pre_therapy, "
                                 "day30_car_t, post_therapy_day_N)", excerpt(row.phase_text)));
    }
    if (const auto th = parse_therapy(cell(Column::therapy))) {
      row.therapy = *th;
    } else {
      errs.push_back(fmt::format("unknown therapy \"{}\" (car_t, blinatumomab, none)", excerpt(cell(Column::therapy))));
    }
    if (const auto fish = cell(Column::fish); !fish.empty()) {
      row.fish = resolve(base, fish);
      std::error_code ec;
      if (options.check_files && !std::filesystem::is_regular_file(*row.fish, ec)) {
        errs.push_back(fmt::format("fish file {} not found", row.fish->string()));
      }
    }
    if (const auto truth = cell(Column::truth); !truth.empty()) row.truth = resolve(base, truth);
    if (const auto t = cell(Column::sample_time_months); !t.empty()) {
      row.sample_time_months = parse_number(t);
      if (!row.sample_time_months) errs.push_back(fmt::format("sample_time_months \"{}\" is not a number", excerpt(t)));
    }

    // Patient-level values: parse here, check agreement below.
    PatientAcc here;
    if (const auto t = cell(Column::transcript); !t.empty()) {
      if (const auto v = bal::parse_transcript(t)) {
        if (*v != bal::Transcript::unknown) here.transcript = Seen<bal::Transcript>{*v, line_no, std::string(t)};
      } else {
        errs.push_back(fmt::format("unknown transcript \"{}\" (P190, P210, unknown)", excerpt(t)));
      }
    }
    if (const auto t = cell(Column::relapse); !t.empty()) {
      if (const auto v = parse_relapse(t)) {
        here.relapse = Seen<Relapse>{*v, line_no, std::string(t)};
      } else {
        errs.push_back(fmt::format("unknown relapse \"{}\" (none, cd19pos, cd19neg)", excerpt(t)));
      }
    }
    auto months = [&](Column c, std::string_view name, std::optional<Seen<double>>& out) {
      const auto t = cell(c);
      if (t.empty()) return;
      const auto v = parse_number(t);
      if (!v) {
        errs.push_back(fmt::format("{} \"{}\" is not a number", name, excerpt(t)));
      } else if (*v < 0) {
        errs.push_back(fmt::format("{} {} is negative", name, excerpt(t)));
      } else {
        out = Seen<double>{*v, line_no, std::string(t)};
      }
    };
    months(Column::time_months, "time_months", here.time_months);
    months(Column::last_followup_months, "last_followup_months", here.followup);
    if (const auto t = cell(Column::death_in_remission); !t.empty()) {
      if (const auto v = parse_bool(t)) {
        here.death = Seen<bool>{*v, line_no, std::string(t)};
      } else {
        errs.push_back(fmt::format("death_in_remission \"{}\" is not 0/1", excerpt(t)));
      }
    }

    if (!row.patient.empty() && !row.sample.empty()) {
      const auto key = std::make_pair(row.patient, row.sample);
      if (const auto it = seen_samples.find(key); it != seen_samples.end()) {
        errs.push_back(fmt::format("sample {} of patient {} is already on line {}", excerpt(row.sample), excerpt(row.patient), it->second));
      } else {
        seen_samples.emplace(key, line_no);
      }
    }
    if (errs.empty() && !row.patient.empty()) {
      if (!acc.contains(row.patient)) patient_order.push_back(row.patient);
      PatientAcc& a = acc[row.patient];
      auto agree = [&](auto& stored, const auto& now, std::string_view name) {
        if (!now) return;
        if (stored && stored->value != now->value) {
          errs.push_back(fmt::format("{} \"{}\" disagrees with \"{}\" on line {} for patient {}", name, excerpt(now->text),
                                     excerpt(stored->text), stored->line, excerpt(row.patient)));
        } else if (!stored) {
          stored = now;
        }
      };
      agree(a.transcript, here.transcript, "transcript");
      agree(a.relapse, here.relapse, "relapse");
      agree(a.time_months, here.time_months, "time_months");
      agree(a.death, here.death, "death_in_remission");
      agree(a.followup, here.followup, "last_followup_months");
      if (a.relapse && a.relapse->value != Relapse::none && a.death && a.death->value) {
        errs.push_back(fmt::format("patient {} has both a relapse (line {}) and death in remission (line {})",
                                   row.patient, a.relapse->line, a.death->line));
      }
    }
    if (!errs.empty()) {
      std::string joined;
      for (const auto& e : errs) joined += (joined.empty() ? "" : ", ") + e;
      problems.emplace_back(line_no, joined);
      continue;
    }
    m.rows.push_back(std::move(row));
  }

  if (header_line == 0) throw InputError(ErrorKind::format, src, "", "no header line (patient, sample, fcs, phase, …)");
  if (!problems.empty()) {
    if (options.skip_bad_rows) {
      for (const auto& [line, reason] : problems) m.skipped.push_back({src, fmt::format("line {}", line), reason + "; row skipped"});
    } else {
      const LineProblems p = summarize_line_problems(problems);
      throw InputError(ErrorKind::format, src, p.where,
                       fmt::format("{} bad row{}: {}", problems.size(), problems.size() == 1 ? "" : "s", p.reason));
    }
  }
  if (m.rows.empty()) throw InputError(ErrorKind::format, src, fmt::format("line {}", header_line), "no sample rows");

  // Patients whose every row was skipped are dropped with them (one pass: linear in rows).
  std::set<std::string_view> with_rows;
  for (const auto& r : m.rows) with_rows.insert(r.patient);
  for (const auto& id : patient_order) {
    if (!with_rows.contains(id)) continue;
    const PatientAcc& a = acc[id];
    Patient p;
    p.id = id;
    if (a.transcript) p.transcript = a.transcript->value;
    if (a.relapse) p.outcome.relapse = a.relapse->value;
    if (a.time_months) p.outcome.time_months = a.time_months->value;
    if (a.death) p.outcome.death_in_remission = a.death->value;
    if (a.followup) p.outcome.last_followup_months = a.followup->value;
    m.patients.push_back(std::move(p));
  }
  return m;
}

Manifest read_manifest(const std::filesystem::path& path, const ManifestOptions& options) {
  const std::string text = read_file<InputError>(path);
  std::filesystem::path base = path.parent_path();
  if (base.empty()) base = ".";
  return parse_manifest(text, path.string(), base, options);
}

}  // namespace escapade::cohort
