// FISH on sorted compartments: reading the TSV, cutoffs by the ACMG beta-inverse rule, calls
// and stem-cell involvement (format and rules in fish.hpp).
#include "libescapade/bal/fish.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/math/special_functions/beta.hpp>
#include <charconv>
#include <cmath>
#include <utility>

#include "libescapade/base/file_io.hpp"
#include "libescapade/base/text.hpp"

namespace escapade::bal {

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// A compartment's or transcript's name as matched: lower case, trimmed, runs of spaces and
// '_' read as one '_'. Unlike a column name (base::column_key), '-' is kept: it is a marker's
// sign ("CD34+CD38-CD19-").
std::string value_key(std::string_view s) {
  s = trim_space(s);
  std::string out;
  bool pending = false;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '\t') {
      pending = true;
      continue;
    }
    if (pending && !out.empty()) out += '_';
    pending = false;
    out += lower(c);
  }
  return out;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

constexpr std::array<CompartmentAlias, 45> k_aliases{{
    {"hsc", Compartment::hsc},
    {"hscs", Compartment::hsc},
    {"hsc_enriched", Compartment::hsc},
    {"hsc-enriched", Compartment::hsc},
    {"stem", Compartment::hsc},
    {"stem_cell", Compartment::hsc},
    {"stem_cells", Compartment::hsc},
    {"hsc_cd34+cd38-", Compartment::hsc},
    {"hsc_cd34+cd38-cd19-", Compartment::hsc},
    {"cd34+cd38-", Compartment::hsc},
    {"cd34+cd38-cd19-", Compartment::hsc},
    {"progenitor", Compartment::progenitor},
    {"progenitors", Compartment::progenitor},
    {"prog", Compartment::progenitor},
    {"hpc", Compartment::progenitor},
    {"progenitor_cd34+cd38+", Compartment::progenitor},
    {"progenitor_cd34+cd38+cd19-", Compartment::progenitor},
    {"cd34+cd38+", Compartment::progenitor},
    {"cd34+cd38+cd19-", Compartment::progenitor},
    {"myeloid", Compartment::myeloid},
    {"myeloid_cd33+", Compartment::myeloid},
    {"myeloid_cd13+", Compartment::myeloid},
    {"myeloid_cd33+cd13+", Compartment::myeloid},
    {"cd33+", Compartment::myeloid},
    {"cd13+", Compartment::myeloid},
    {"cd33+cd19-", Compartment::myeloid},
    {"cd13+cd19-", Compartment::myeloid},
    {"cd33+/cd13+", Compartment::myeloid},
    {"myeloid_cells", Compartment::myeloid},
    {"b", Compartment::b_lineage},
    {"b_lineage", Compartment::b_lineage},
    {"b-lineage", Compartment::b_lineage},
    {"b_cells", Compartment::b_lineage},
    {"b-cells", Compartment::b_lineage},
    {"b_cell", Compartment::b_lineage},
    {"cd19+", Compartment::b_lineage},
    {"b_cd19+", Compartment::b_lineage},
    {"t", Compartment::t_cells},
    {"t_cells", Compartment::t_cells},
    {"t-cells", Compartment::t_cells},
    {"t_cell", Compartment::t_cells},
    {"t-lymphocytes", Compartment::t_cells},
    {"t_lymphocytes", Compartment::t_cells},
    {"cd3+", Compartment::t_cells},
    {"t_cd3+", Compartment::t_cells},
}};

constexpr std::array<Compartment, 3> k_stem{Compartment::hsc, Compartment::progenitor, Compartment::myeloid};

// The accepted names, grouped by compartment: "hsc, hscs, … | progenitor, … | …".
std::string accepted_compartments() {
  std::string out;
  for (std::size_t k = 0; k < k_aliases.size(); ++k) {
    if (k > 0) out += k_aliases[k].compartment == k_aliases[k - 1].compartment ? ", " : " | ";
    out += k_aliases[k].name;
  }
  return out;
}

// Column identities.
enum class Column { compartment, probe, nuclei_scored, nuclei_positive, cutoff, false_positives, control_nuclei, transcript, ignored };

struct ColumnName {
  std::string_view name;
  Column column;
  bool required;
};

constexpr std::array<ColumnName, 10> k_columns{{
    {"compartment", Column::compartment, true},
    {"probe", Column::probe, true},
    {"nuclei_scored", Column::nuclei_scored, true},
    {"nuclei_positive", Column::nuclei_positive, true},
    {"cutoff", Column::cutoff, false},
    {"false_positives_in_controls", Column::false_positives, false},
    {"control_nuclei", Column::control_nuclei, false},
    {"transcript", Column::transcript, false},
    {"note", Column::ignored, false},
    {"comment", Column::ignored, false},
}};

// A whole number written plainly ("200"); nothing if it is not one.
std::optional<unsigned> parse_count(std::string_view s) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A fraction ("0.015") or percent ("1.5%"); nothing if not a finite number.
std::optional<double> parse_fraction(std::string_view s) {
  bool percent = false;
  if (!s.empty() && s.back() == '%') {
    percent = true;
    s = trim_space(s.substr(0, s.size() - 1));
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(v)) return std::nullopt;
  return percent ? v / 100 : v;
}

std::string percent(double fraction) { return fmt::format("{:.2f}%", fraction * 100); }

void check_options(const FishOptions& options, std::string_view source) {
  auto bad = [&](const std::string& reason) { throw InputError(ErrorKind::invalid_argument, std::string(source), "options", reason); };
  if (!(options.confidence > 0 && options.confidence < 1)) {
    bad(fmt::format("confidence {} is not strictly between 0 and 1", options.confidence));
  }
  auto check_controls = [&](const ControlData& c, std::string_view what) {
    if (c.nuclei == 0 || c.false_positives > c.nuclei) {
      bad(fmt::format("{}: {} false positives in {} control nuclei is not a validation (needs 0 ≤ false positives ≤ nuclei, nuclei ≥ 1)",
                      what, c.false_positives, c.nuclei));
    }
  };
  check_controls(options.default_controls, "default_controls");
  for (std::size_t i = 0; i < options.probes.size(); ++i) {
    const auto& p = options.probes[i];
    if (trim_space(p.probe).empty()) bad(fmt::format("probes[{}] has no probe name", i));
    if (p.cutoff && !(*p.cutoff >= 0 && *p.cutoff < 1)) {
      bad(fmt::format("probe {}: cutoff {} is not a fraction in [0, 1)", p.probe, *p.cutoff));
    }
    if (!p.cutoff && !p.controls) bad(fmt::format("probe {}: neither a cutoff nor control data", p.probe));
    if (p.controls) check_controls(*p.controls, "probe " + p.probe);
    for (std::size_t j = 0; j < i; ++j) {
      if (equal_ignoring_case(trim_space(options.probes[j].probe), trim_space(p.probe))) bad(fmt::format("probe {} is given twice", p.probe));
    }
  }
}

}  // namespace

std::string_view to_string(Compartment compartment) noexcept {
  switch (compartment) {
    case Compartment::hsc: return "hsc";
    case Compartment::progenitor: return "progenitor";
    case Compartment::myeloid: return "myeloid";
    case Compartment::b_lineage: return "b_lineage";
    case Compartment::t_cells: return "t_cells";
  }
  return "?";
}

bool is_stem_compartment(Compartment compartment) noexcept {
  return std::find(k_stem.begin(), k_stem.end(), compartment) != k_stem.end();
}

std::span<const CompartmentAlias> compartment_aliases() noexcept { return k_aliases; }

std::optional<Compartment> parse_compartment(std::string_view name) {
  const std::string n = value_key(name);
  for (const auto& a : k_aliases) {
    if (a.name == n) return a.compartment;
  }
  return std::nullopt;
}

std::string_view to_string(Transcript transcript) noexcept {
  switch (transcript) {
    case Transcript::unknown: return "unknown";
    case Transcript::p190: return "P190";
    case Transcript::p210: return "P210";
  }
  return "?";
}

std::optional<Transcript> parse_transcript(std::string_view text) {
  const std::string_view t = trim_space(text);
  // Case matters only here: M-bcr (major) vs m-bcr (minor).
  if (t == "M-bcr" || t == "M-BCR") return Transcript::p210;
  if (t == "m-bcr") return Transcript::p190;
  const std::string n = value_key(t);
  if (n.empty() || n == "unknown" || n == "na" || n == "n/a" || n == "-") return Transcript::unknown;
  if (n == "p190" || n == "e1a2" || n == "minor") return Transcript::p190;
  if (n == "p210" || n == "e13a2" || n == "e14a2" || n == "b2a2" || n == "b3a2" || n == "major") return Transcript::p210;
  return std::nullopt;
}

double acmg_cutoff(unsigned false_positives, unsigned nuclei, double confidence) {
  if (nuclei == 0 || false_positives > nuclei) {
    throw InputError(ErrorKind::invalid_argument, "", "acmg_cutoff",
                     fmt::format("{} false positives in {} nuclei: needs nuclei ≥ 1 and false positives ≤ nuclei",
                                 false_positives, nuclei));
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw InputError(ErrorKind::invalid_argument, "", "acmg_cutoff",
                     fmt::format("confidence {} is not strictly between 0 and 1", confidence));
  }
  // Excel BETAINV(p, alpha, beta) is the quantile of Beta(alpha, beta); Boost's ibeta_inv(a, b, p)
  // is the same function (the x with I_x(a, b) = p).
  return boost::math::ibeta_inv(static_cast<double>(false_positives) + 1.0, static_cast<double>(nuclei), confidence);
}

std::string_view to_string(CutoffSource source) noexcept {
  switch (source) {
    case CutoffSource::row_cutoff: return "row_cutoff";
    case CutoffSource::row_controls: return "row_controls";
    case CutoffSource::probe_cutoff: return "probe_cutoff";
    case CutoffSource::probe_controls: return "probe_controls";
    case CutoffSource::default_controls: return "default_controls";
  }
  return "?";
}

std::string_view to_string(Involvement involvement) noexcept {
  switch (involvement) {
    case Involvement::not_evaluated: return "not_evaluated";
    case Involvement::negative: return "negative";
    case Involvement::positive: return "positive";
  }
  return "?";
}

std::string FishCall::cutoff_basis() const {
  const auto betainv = [&](std::string_view whose) {
    const ControlData c = controls.value_or(ControlData{});
    return fmt::format("BETAINV({}, {} + 1, {}) = {} ({}: {} false-positive nucle{} in {})", confidence, c.false_positives,
                       c.nuclei, percent(cutoff), whose, c.false_positives, c.false_positives == 1 ? "us" : "i", c.nuclei);
  };
  switch (cutoff_source) {
    case CutoffSource::row_cutoff: return fmt::format("{} (cutoff column)", percent(cutoff));
    case CutoffSource::probe_cutoff: return fmt::format("{} (lab cutoff for probe {})", percent(cutoff), probe);
    case CutoffSource::row_controls: return betainv("control columns");
    case CutoffSource::probe_controls: return betainv("lab control data for probe " + probe);
    case CutoffSource::default_controls: return betainv("default control data");
  }
  return {};
}

std::optional<bool> FishResult::positive(Compartment compartment) const noexcept {
  std::optional<bool> out;
  for (const auto& c : calls) {
    if (c.compartment == compartment) out = out.value_or(false) || c.positive;
  }
  return out;
}

std::string FishResult::summary() const {
  std::string s = fmt::format("FishResult({} rows, stem-cell involvement {}", calls.size(),
                              to_string(stem_cell_involvement));
  if (!involved.empty()) {
    s += ": ";
    for (std::size_t k = 0; k < involved.size(); ++k) s += (k ? ", " : "") + std::string(to_string(involved[k]));
  }
  if (transcript != Transcript::unknown) s += "; " + std::string(to_string(transcript));
  return s + ")";
}

FishResult parse_fish(std::string_view tsv, std::string_view source, const FishOptions& options) {
  check_options(options, source);
  const std::string src(source);
  if (tsv.substr(0, 3) == "\xEF\xBB\xBF") tsv.remove_prefix(3);

  FishResult result;
  result.source = src;
  // Probe names and ids are kept as UTF-8 (base/text.hpp): a table that is not is read as
  // Latin-1, as a spreadsheet of a Latin-1 system writes it.
  bool latin1 = false;
  const std::string decoded = utf8_or_latin1(tsv, &latin1);
  tsv = decoded;
  if (latin1) result.warnings.push_back({src, "", "not valid UTF-8; read as Latin-1"});
  std::vector<Column> columns;
  std::size_t header_line = 0;
  std::vector<std::pair<std::size_t, std::string>> problems;  // (line, reason)
  std::optional<std::pair<Transcript, std::size_t>> transcript;  // value, line

  const auto lines = split_fields(tsv, '\n');
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const std::size_t line_no = index + 1;
    std::string_view line = lines[index];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim_space(line).empty() || trim_space(line).front() == '#') continue;
    const auto cells = split_fields(line, '\t');

    if (header_line == 0) {  // the header
      header_line = line_no;
      const std::string where = fmt::format("line {}", line_no);
      // Not a FISH table at all (a wrong path, say): nothing of it is quoted.
      const std::string accepted = require_table_header(cells, k_columns, "FISH table", src, where);
      for (const auto cell : cells) {
        const std::string name = column_key(cell);
        if (name.empty()) {  // a trailing tab of a spreadsheet export
          columns.push_back(Column::ignored);
          continue;
        }
        const ColumnName* it = find_column(k_columns, name);
        if (it == nullptr) {
          throw InputError(ErrorKind::format, src, where,
                           fmt::format("unknown column \"{}\" (accepted: {}; is the file tab-separated?)", excerpt(trim_space(cell)), accepted));
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
      const bool has_fp = std::find(columns.begin(), columns.end(), Column::false_positives) != columns.end();
      const bool has_cn = std::find(columns.begin(), columns.end(), Column::control_nuclei) != columns.end();
      if (has_fp != has_cn) missing.emplace_back(has_fp ? "control_nuclei (with false_positives_in_controls)" : "false_positives_in_controls (with control_nuclei)");
      if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw InputError(ErrorKind::format, src, where, "the header lacks column(s) " + list);
      }
      continue;
    }

    // A data row: collect every problem, keep going.
    auto problem = [&](std::string reason) { problems.emplace_back(line_no, std::move(reason)); };
    if (cells.size() > columns.size()) {
      problem(fmt::format("{} cells, but the header has {} columns", cells.size(), columns.size()));
      continue;
    }
    std::string_view compartment_cell, probe_cell, scored_cell, positive_cell, cutoff_cell, fp_cell, cn_cell, transcript_cell;
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const std::string_view v = k < cells.size() ? trim_space(cells[k]) : std::string_view();
      switch (columns[k]) {
        case Column::compartment: compartment_cell = v; break;
        case Column::probe: probe_cell = v; break;
        case Column::nuclei_scored: scored_cell = v; break;
        case Column::nuclei_positive: positive_cell = v; break;
        case Column::cutoff: cutoff_cell = v; break;
        case Column::false_positives: fp_cell = v; break;
        case Column::control_nuclei: cn_cell = v; break;
        case Column::transcript: transcript_cell = v; break;
        case Column::ignored: break;
      }
    }
    const std::size_t before = problems.size();
    FishCall call;
    call.line = line_no;
    call.compartment_name = std::string(compartment_cell);
    call.probe = std::string(probe_cell);
    call.confidence = options.confidence;

    if (compartment_cell.empty()) {
      problem("compartment is empty");
    } else if (auto c = parse_compartment(compartment_cell)) {
      call.compartment = *c;
    } else {
      problem(fmt::format("unknown compartment \"{}\" (accepted: {})", excerpt(compartment_cell), accepted_compartments()));
    }
    if (probe_cell.empty()) problem("probe is empty");
    const auto scored = parse_count(scored_cell);
    const auto positive = parse_count(positive_cell);
    if (!scored) {
      problem(fmt::format("nuclei_scored \"{}\" is not a whole number", excerpt(scored_cell)));
    } else if (*scored == 0) {
      problem("nuclei_scored is 0 (leave out a compartment with no nuclei)");
    }
    if (!positive) problem(fmt::format("nuclei_positive \"{}\" is not a whole number", excerpt(positive_cell)));
    if (scored && positive && *positive > *scored) {
      problem(fmt::format("nuclei_positive {} exceeds nuclei_scored {}", *positive, *scored));
    }

    std::optional<double> row_cutoff;
    if (!cutoff_cell.empty()) {
      row_cutoff = parse_fraction(cutoff_cell);
      if (!row_cutoff) {
        problem(fmt::format("cutoff \"{}\" is not a number", excerpt(cutoff_cell)));
      } else if (!(*row_cutoff >= 0 && *row_cutoff < 1)) {
        problem(fmt::format("cutoff {} is not a fraction in [0, 1) (write 0.015 or 1.5% for one and a half percent)", excerpt(cutoff_cell)));
      }
    }
    std::optional<ControlData> row_controls;
    if (!fp_cell.empty() || !cn_cell.empty()) {
      if (fp_cell.empty() || cn_cell.empty()) {
        problem("false_positives_in_controls and control_nuclei must be given together");
      } else {
        const auto fp = parse_count(fp_cell);
        const auto cn = parse_count(cn_cell);
        if (!fp) problem(fmt::format("false_positives_in_controls \"{}\" is not a whole number", excerpt(fp_cell)));
        if (!cn) problem(fmt::format("control_nuclei \"{}\" is not a whole number", excerpt(cn_cell)));
        if (fp && cn) {
          if (*cn == 0 || *fp > *cn) {
            problem(fmt::format("{} false positives in {} control nuclei is not a validation", *fp, *cn));
          } else {
            row_controls = ControlData{*fp, *cn};
          }
        }
      }
    }
    if (!transcript_cell.empty()) {
      const auto t = parse_transcript(transcript_cell);
      if (!t) {
        problem(fmt::format("unknown transcript \"{}\" (accepted: P190, e1a2, minor, m-bcr; P210, e13a2, e14a2, b2a2, b3a2, "
                            "major, M-bcr; unknown, NA)", excerpt(transcript_cell)));
      } else if (*t != Transcript::unknown) {
        if (transcript && transcript->first != *t) {
          problem(fmt::format("transcript {} contradicts {} of line {}", to_string(*t), to_string(transcript->first),
                              transcript->second));
        } else if (!transcript) {
          transcript = std::make_pair(*t, line_no);
        }
      }
    }
    if (problems.size() != before) continue;

    for (const auto& other : result.calls) {
      if (other.compartment == call.compartment && equal_ignoring_case(other.probe, call.probe)) {
        problem(fmt::format("compartment {} with probe {} repeats line {}", to_string(call.compartment), call.probe, other.line));
      }
    }
    if (problems.size() != before) continue;

    call.nuclei_scored = *scored;
    call.nuclei_positive = *positive;
    call.fraction = static_cast<double>(*positive) / static_cast<double>(*scored);
    const ProbeSetting* setting = nullptr;
    for (const auto& p : options.probes) {
      if (equal_ignoring_case(trim_space(p.probe), call.probe)) setting = &p;
    }
    if (row_cutoff) {
      call.cutoff = *row_cutoff;
      call.cutoff_source = CutoffSource::row_cutoff;
    } else if (row_controls) {
      call.controls = row_controls;
      call.cutoff_source = CutoffSource::row_controls;
    } else if (setting != nullptr && setting->cutoff) {
      call.cutoff = *setting->cutoff;
      call.cutoff_source = CutoffSource::probe_cutoff;
    } else if (setting != nullptr) {
      call.controls = setting->controls;
      call.cutoff_source = CutoffSource::probe_controls;
    } else {
      call.controls = options.default_controls;
      call.cutoff_source = CutoffSource::default_controls;
    }
    if (call.controls) call.cutoff = acmg_cutoff(call.controls->false_positives, call.controls->nuclei, options.confidence);
    call.positive = call.fraction > call.cutoff;
    if (call.nuclei_scored < options.min_nuclei) {
      result.warnings.push_back(Warning{
          src, fmt::format("line {}", line_no),
          fmt::format("only {} nuclei scored in {} (fewer than {}): one nucleus moves the fraction by {}", call.nuclei_scored,
                      to_string(call.compartment), options.min_nuclei, percent(1.0 / call.nuclei_scored))});
    }
    result.calls.push_back(std::move(call));
  }

  if (header_line == 0) throw InputError(ErrorKind::format, src, "", "no header line (the table is empty)");
  if (!problems.empty()) {
    const LineProblems p = summarize_line_problems(problems);
    throw InputError(ErrorKind::format, src, p.where,
                     fmt::format("{} problem{} in the FISH table: {}", problems.size(), problems.size() == 1 ? "" : "s", p.reason));
  }
  if (result.calls.empty()) {
    throw InputError(ErrorKind::format, src, fmt::format("line {}", header_line), "the table has a header but no rows");
  }

  if (transcript) result.transcript = transcript->first;
  bool any_stem = false;
  for (const Compartment c : k_stem) {
    const auto p = result.positive(c);
    if (!p) {
      result.not_scored.push_back(c);
      continue;
    }
    any_stem = true;
    if (*p) result.involved.push_back(c);
  }
  result.stem_cell_involvement = !result.involved.empty() ? Involvement::positive
                                 : any_stem              ? Involvement::negative
                                                         : Involvement::not_evaluated;
  return result;
}

FishResult read_fish_file(const std::filesystem::path& path, const FishOptions& options) {
  const std::string text = read_file<InputError>(path);
  return parse_fish(text, path.string(), options);
}

}  // namespace escapade::bal
