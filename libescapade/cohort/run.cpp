// The cohort runner: workers (through the parallel seam) hash, read and analyse samples; the
// calling thread is the single writer that commits each sample in one transaction.
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "libescapade/bal/sample.hpp"
#include "libescapade/base/parallel.hpp"
#include "libescapade/cohort/cohort.hpp"
#include "libescapade/cohort/detail/sqlite.hpp"
#include "libescapade/cohort/detail/store.hpp"
#include "libescapade/cohort/detail/xxh64.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/version.hpp"

namespace escapade::cohort {

namespace detail {
std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}
}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

std::string_view method_name(autogate::ThresholdMethod m) noexcept {
  switch (m) {
    case autogate::ThresholdMethod::valley: return "valley";
    case autogate::ThresholdMethod::negative_tail: return "negative_tail";
    case autogate::ThresholdMethod::negative_reference: return "negative_reference";
    case autogate::ThresholdMethod::fixed: return "fixed";
  }
  return "?";
}

// What is stored of a sample before its results are committed.
struct Stored {
  std::int64_t id = 0;
  std::string status;
  std::optional<FileStamp> fcs, fish;
  std::string parameters_hash, software_version;
};

struct Flag {
  std::string kind, text;
};

// One settled sample, handed from a worker to the writer. Holds no events.
struct Record {
  std::size_t index = 0;
  SampleOutcome outcome = SampleOutcome::failed;
  std::optional<FileStamp> fcs, fish;
  std::string error;
  std::string started_at, finished_at;
  double seconds = 0;
  std::vector<bal::PopulationCount> populations;
  std::vector<bal::Cut> cuts;
  bal::Quality quality;
  std::size_t leukocytes = 0, cd34 = 0;
  std::vector<Flag> flags;
  std::optional<bal::FishResult> fish_result;
};

// A bounded hand-over from the workers to the writer.
class Queue {
 public:
  explicit Queue(std::size_t capacity) : my_capacity(capacity) {}
  // False when the writer has stopped (the record is dropped).
  bool push(Record r) {
    std::unique_lock lock(my_mutex);
    my_not_full.wait(lock, [&] { return my_stopped || my_items.size() < my_capacity; });
    if (my_stopped) return false;
    my_items.push_back(std::move(r));
    my_not_empty.notify_one();
    return true;
  }
  // Empty when every producer is done and nothing is left.
  std::optional<Record> pop() {
    std::unique_lock lock(my_mutex);
    my_not_empty.wait(lock, [&] { return !my_items.empty() || my_producers_done; });
    if (my_items.empty()) return std::nullopt;
    Record r = std::move(my_items.front());
    my_items.pop_front();
    my_not_full.notify_one();
    return r;
  }
  void producers_done() {
    std::lock_guard lock(my_mutex);
    my_producers_done = true;
    my_not_empty.notify_all();
  }
  void stop() {
    std::lock_guard lock(my_mutex);
    my_stopped = true;
    my_not_full.notify_all();
  }

 private:
  std::mutex my_mutex;
  std::condition_variable my_not_full, my_not_empty;
  std::deque<Record> my_items;
  std::size_t my_capacity;
  bool my_producers_done = false, my_stopped = false;
};

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : std::string(sep)) + x;
  return s;
}

std::string fmt_double(double v) { return fmt::format("{}", v); }

Record analyse(const ManifestRow& row, const RunOptions& options) {
  Record r;
  const auto t0 = Clock::now();
  r.started_at = detail::now_utc();
  {
    // The same pipeline as `escapade analyze` (bal::analyze_sample); the events are released
    // at the end of this block, before the next sample is read.
    bal::SampleOptions so;
    so.panel = options.panel;
    so.gating_template.limits = options.limits;
    if (row.fish) so.fish = *row.fish;
    so.fish_options = options.fish;
    so.num_threads = options.threads_per_sample;
    bal::SampleAnalysis s = bal::analyze_sample(row.fcs, so);
    for (const auto& w : s.read_warnings) r.flags.push_back({"fcs", w.message()});
    bal::Analysis& a = s.analysis;
    r.populations = std::move(a.populations);
    r.cuts = std::move(a.cuts);
    r.quality = std::move(a.quality);
    r.leukocytes = a.leukocytes;
    r.cd34 = a.cd34;
    for (const auto& f : r.quality.flags) r.flags.push_back({"qc", f});
    for (const auto& w : a.warnings) r.flags.push_back({"analysis", w.message()});
    // The sample's own risk flag; pre_escape_high needs the cohort's mean (the report's).
    for (const auto& f : s.flags) {
      if (f.name == "pre_escape_present" && f.state == bal::FlagState::raised) {
        r.flags.push_back({"risk", "pre_escape_present: " + f.evidence});
      }
    }
    if (s.fish) {
      for (const auto& w : s.fish->warnings) r.flags.push_back({"fish", w.message()});
      r.fish_result = std::move(s.fish);
    }
  }
  r.outcome = SampleOutcome::analysed;
  r.finished_at = detail::now_utc();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

// The writer's prepared statements.
class Writer {
 public:
  Writer(const detail::Db& db, std::string parameters_hash, std::string parameters_text)
      : my_db(db),
        my_parameters_hash(std::move(parameters_hash)),
        my_parameters_text(std::move(parameters_text)),
        my_delete{detail::Stmt(db, "DELETE FROM populations WHERE sample_id = ?"),
                  detail::Stmt(db, "DELETE FROM cuts WHERE sample_id = ?"),
                  detail::Stmt(db, "DELETE FROM qc WHERE sample_id = ?"),
                  detail::Stmt(db, "DELETE FROM fish_calls WHERE sample_id = ?"),
                  detail::Stmt(db, "DELETE FROM flags WHERE sample_id = ?")},
        my_population(db, "INSERT INTO populations (sample_id, name, phenotype, events, pct_of_cd34, pct_of_leukocytes, "
                          "status, lod_pct_of_cd34) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        my_cut(db, "INSERT INTO cuts (sample_id, name, channel, population, value, data_value, method, weak, overridden, "
                   "evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        my_qc(db, "INSERT INTO qc (sample_id, events, singlet_pct, cells_pct, leukocyte_pct, time_rate_cv, leukocytes, cd34) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        my_fish(db, "INSERT INTO fish_calls (sample_id, line, compartment, probe, nuclei_scored, nuclei_positive, fraction, "
                    "cutoff, cutoff_source, positive) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        my_flag(db, "INSERT INTO flags (sample_id, seq, kind, text) VALUES (?, ?, ?, ?)"),
        my_parameters(db, "INSERT OR IGNORE INTO parameters (hash, text) VALUES (?, ?)"),
        my_update(db, "UPDATE samples SET status = ?, error = ?, fcs_path = ?, fcs_size = ?, fcs_hash = ?, fish_path = ?, "
                      "fish_size = ?, fish_hash = ?, truth_path = ?, parameters_hash = ?, software_version = ?, "
                      "started_at = ?, finished_at = ?, seconds = ?, stem_cell_involvement = ?, fish_transcript = ? "
                      "WHERE id = ?") {}

  // One transaction: the old results go, the new ones and the sample's status come.
  void commit(std::int64_t id, const ManifestRow& row, const Record& r) {
    detail::Transaction t(my_db);
    for (auto& d : my_delete) d.bind(1, id).run();
    const bool ok = r.outcome == SampleOutcome::analysed;
    if (ok) {
      for (const auto& p : r.populations) {
        my_population.bind(1, id).bind(2, p.name).bind(3, p.phenotype).bind(4, static_cast<std::int64_t>(p.events))
            .bind(5, p.pct_of_cd34).bind(6, p.pct_of_leukocytes).bind(7, bal::to_string(p.status)).bind(8, p.lod_pct_of_cd34);
        my_population.run();
      }
      for (const auto& c : r.cuts) {
        my_cut.bind(1, id).bind(2, c.name).bind(3, c.channel).bind(4, c.population).bind(5, c.value).bind(6, c.data_value)
            .bind(7, method_name(c.method)).bind(8, std::int64_t{c.weak}).bind(9, std::int64_t{c.overridden}).bind(10, c.evidence);
        my_cut.run();
      }
      const bal::Quality& q = r.quality;
      my_qc.bind(1, id).bind(2, static_cast<std::int64_t>(q.events)).bind(3, q.singlet_pct).bind(4, q.cells_pct)
          .bind(5, q.leukocyte_pct).bind(6, q.time_rate_cv).bind(7, static_cast<std::int64_t>(r.leukocytes))
          .bind(8, static_cast<std::int64_t>(r.cd34));
      my_qc.run();
      if (r.fish_result) {
        for (const auto& c : r.fish_result->calls) {
          my_fish.bind(1, id).bind(2, static_cast<std::int64_t>(c.line)).bind(3, bal::to_string(c.compartment)).bind(4, c.probe)
              .bind(5, std::int64_t{c.nuclei_scored}).bind(6, std::int64_t{c.nuclei_positive}).bind(7, c.fraction)
              .bind(8, c.cutoff).bind(9, bal::to_string(c.cutoff_source)).bind(10, std::int64_t{c.positive});
          my_fish.run();
        }
      }
      std::int64_t seq = 0;
      for (const auto& f : r.flags) {
        my_flag.bind(1, id).bind(2, seq++).bind(3, f.kind).bind(4, f.text);
        my_flag.run();
      }
    }
    my_parameters.bind(1, my_parameters_hash).bind(2, my_parameters_text);
    my_parameters.run();
    auto text_or_null = [&](int i, const std::optional<std::string>& v) {
      if (v) {
        my_update.bind(i, *v);
      } else {
        my_update.bind_null(i);
      }
    };
    auto path_text = [](const std::optional<std::filesystem::path>& p) -> std::optional<std::string> {
      return p ? std::optional<std::string>(p->string()) : std::nullopt;
    };
    my_update.bind(1, ok ? "complete" : "failed");
    text_or_null(2, ok ? std::nullopt : std::optional<std::string>(r.error));
    my_update.bind(3, row.fcs.string());
    my_update.bind(4, r.fcs ? std::optional<std::int64_t>(static_cast<std::int64_t>(r.fcs->size)) : std::nullopt);
    text_or_null(5, r.fcs ? std::optional<std::string>(r.fcs->hash) : std::nullopt);
    text_or_null(6, path_text(row.fish));
    my_update.bind(7, r.fish ? std::optional<std::int64_t>(static_cast<std::int64_t>(r.fish->size)) : std::nullopt);
    text_or_null(8, r.fish ? std::optional<std::string>(r.fish->hash) : std::nullopt);
    text_or_null(9, path_text(row.truth));
    my_update.bind(10, my_parameters_hash).bind(11, std::string_view(version_string));
    text_or_null(12, r.started_at.empty() ? std::nullopt : std::optional<std::string>(r.started_at));
    my_update.bind(13, r.finished_at.empty() ? detail::now_utc() : r.finished_at);
    my_update.bind(14, r.seconds);
    text_or_null(15, ok && r.fish_result ? std::optional<std::string>(std::string(bal::to_string(r.fish_result->stem_cell_involvement)))
                                         : std::nullopt);
    text_or_null(16, ok && r.fish_result && r.fish_result->transcript != bal::Transcript::unknown
                         ? std::optional<std::string>(std::string(bal::to_string(r.fish_result->transcript)))
                         : std::nullopt);
    my_update.bind(17, id);
    my_update.run();
    t.commit();
  }

 private:
  const detail::Db& my_db;
  std::string my_parameters_hash, my_parameters_text;
  detail::Stmt my_delete[5];
  detail::Stmt my_population, my_cut, my_qc, my_fish, my_flag, my_parameters, my_update;
};

// Records the manifest's patients and samples (new samples pending); returns what is stored.
std::map<std::pair<std::string, std::string>, Stored> sync_manifest(const detail::Db& db, const Manifest& manifest) {
  {
    detail::Transaction t(db);
    detail::Stmt patient(db, "INSERT INTO patients (patient, transcript, relapse, time_months, death_in_remission, "
                             "last_followup_months) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (patient) DO UPDATE SET "
                             "transcript = excluded.transcript, relapse = excluded.relapse, time_months = excluded.time_months, "
                             "death_in_remission = excluded.death_in_remission, "
                             "last_followup_months = excluded.last_followup_months");
    for (const auto& p : manifest.patients) {
      patient.bind(1, p.id);
      if (p.transcript == bal::Transcript::unknown) {
        patient.bind_null(2);
      } else {
        patient.bind(2, bal::to_string(p.transcript));
      }
      if (p.outcome.relapse) {
        patient.bind(3, to_string(*p.outcome.relapse));
      } else {
        patient.bind_null(3);
      }
      patient.bind(4, p.outcome.time_months);
      patient.bind(5, p.outcome.death_in_remission ? std::optional<std::int64_t>(*p.outcome.death_in_remission ? 1 : 0)
                                                   : std::nullopt);
      patient.bind(6, p.outcome.last_followup_months);
      patient.run();
    }
    // Sample facts from the manifest; results (and the FISH path, which goes with its calls)
    // are written only with the sample's results.
    detail::Stmt sample(db, "INSERT INTO samples (patient, sample, phase, phase_day, therapy, sample_time_months, fcs_path, "
                            "status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT (patient, sample) DO UPDATE SET "
                            "phase = excluded.phase, phase_day = excluded.phase_day, therapy = excluded.therapy, "
                            "sample_time_months = excluded.sample_time_months, fcs_path = excluded.fcs_path");
    for (const auto& r : manifest.rows) {
      sample.bind(1, r.patient).bind(2, r.sample).bind(3, to_string(r.phase));
      sample.bind(4, r.day ? std::optional<std::int64_t>(*r.day) : std::nullopt);
      sample.bind(5, to_string(r.therapy)).bind(6, r.sample_time_months).bind(7, r.fcs.string());
      sample.run();
    }
    t.commit();
  }
  std::map<std::pair<std::string, std::string>, Stored> stored;
  detail::Stmt s(db, "SELECT id, patient, sample, status, fcs_size, fcs_hash, fish_size, fish_hash, parameters_hash, "
                     "software_version FROM samples");
  while (s.step()) {
    Stored st;
    st.id = s.int64(0);
    st.status = s.text(3);
    if (!s.is_null(4) && !s.is_null(5)) st.fcs = FileStamp{static_cast<std::uint64_t>(s.int64(4)), s.text(5)};
    if (!s.is_null(6) && !s.is_null(7)) st.fish = FileStamp{static_cast<std::uint64_t>(s.int64(6)), s.text(7)};
    st.parameters_hash = s.text(8);
    st.software_version = s.text(9);
    stored.emplace(std::make_pair(s.text(1), s.text(2)), std::move(st));
  }
  return stored;
}

}  // namespace

std::string_view to_string(SampleOutcome outcome) noexcept {
  switch (outcome) {
    case SampleOutcome::analysed: return "analysed";
    case SampleOutcome::skipped: return "skipped";
    case SampleOutcome::failed: return "failed";
  }
  return "?";
}

std::string RunSummary::summary() const {
  std::string s = fmt::format("{} samples: {} analysed, {} skipped, {} failed", total, analysed, skipped, failed);
  if (not_started > 0) s += fmt::format(", {} left for the next run", not_started);
  if (other_parameter_sets > 0) {
    s += fmt::format("; {} complete sample(s) in the database were analysed with other parameters (another panel?), "
                     "and a cohort report will not mix them",
                     other_parameter_sets);
  }
  return s + fmt::format(" in {:.1f} s", seconds);
}

FileStamp stamp_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(ErrorKind::io, path.string(), "", "cannot open: " + std::error_code(errno, std::generic_category()).message());
  detail::Xxh64 h;
  std::vector<char> buf(1 << 20);
  std::uint64_t size = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    h.update(std::as_bytes(std::span<const char>(buf.data(), n)));
    size += n;
  }
  if (in.bad()) throw InputError(ErrorKind::io, path.string(), "", "read failed");
  return FileStamp{size, detail::hex64(h.digest())};
}

std::string parameters_text(const RunOptions& o) {
  std::string s = "escapade-cohort-parameters/1\n";
  s += fmt::format("panel.name={}\npanel.prefer_area={}\n", o.panel.name, o.panel.prefer_area ? 1 : 0);
  for (const auto& e : o.panel.entries) {
    s += fmt::format("panel.{}.{}: aliases={} channel={} required={} time={}\n",
                     e.match_by == bal::MatchBy::stain ? "marker" : "scatter", e.name, join(e.aliases, "|"),
                     e.channel.value_or(""), e.required ? 1 : 0, e.time ? 1 : 0);
  }
  s += fmt::format("limits.lod_events={}\nlimits.lloq_events={}\n", o.limits.lod_events, o.limits.lloq_events);
  s += fmt::format("fish.confidence={}\nfish.default_controls={}/{}\nfish.min_nuclei={}\n", fmt_double(o.fish.confidence),
                   o.fish.default_controls.false_positives, o.fish.default_controls.nuclei, o.fish.min_nuclei);
  for (const auto& p : o.fish.probes) {
    s += fmt::format("fish.probe.{}: cutoff={} controls={}\n", p.probe, p.cutoff ? fmt_double(*p.cutoff) : "",
                     p.controls ? fmt::format("{}/{}", p.controls->false_positives, p.controls->nuclei) : "");
  }
  s += "fcs.data_set=1\n";
  return s;
}

RunSummary run_cohort(const Manifest& manifest, const std::filesystem::path& db_path, const RunOptions& options) {
  if (options.jobs < 0) throw InputError(ErrorKind::invalid_argument, "", "jobs", "must be >= 0");
  if (options.threads_per_sample < 0) throw InputError(ErrorKind::invalid_argument, "", "threads_per_sample", "must be >= 0");
  const auto t0 = Clock::now();
  const std::string ptext = parameters_text(options);
  const std::string phash =
      detail::hex64(detail::xxh64(std::as_bytes(std::span<const char>(ptext.data(), ptext.size()))));
  RunSummary summary;
  summary.total = manifest.rows.size();
  summary.parameters_hash = phash;

  Store store = Store::open(db_path);
  const detail::Db& db = store.impl().db;
  const auto stored = sync_manifest(db, manifest);
  {
    std::size_t in_manifest = 0;
    for (const auto& r : manifest.rows) in_manifest += stored.contains({r.patient, r.sample});
    summary.stored_not_in_manifest = stored.size() - in_manifest;
  }
  Writer writer(db, phash, ptext);

  const int jobs = std::max(1, std::min(resolve_threads(options.jobs), static_cast<int>(std::max<std::size_t>(1, manifest.rows.size()))));
  Queue queue(static_cast<std::size_t>(jobs));
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> started{0};
  std::atomic<bool> stop{false};

  auto work = [&](std::size_t) {
    for (;;) {
      if (stop.load()) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= manifest.rows.size()) return;
      const ManifestRow& row = manifest.rows[i];
      Record r;
      try {
        std::optional<FileStamp> fcs_stamp, fish_stamp;
        fcs_stamp = stamp_file(row.fcs);
        if (row.fish) fish_stamp = stamp_file(*row.fish);
        const auto it = stored.find({row.patient, row.sample});
        const bool current = it != stored.end() && it->second.status == "complete" && it->second.fcs == fcs_stamp &&
                             it->second.fish == fish_stamp && it->second.parameters_hash == phash &&
                             it->second.software_version == version_string;
        if (current && !options.force_rerun) {
          r.outcome = SampleOutcome::skipped;
        } else {
          if (options.max_samples > 0 && started.fetch_add(1) >= options.max_samples) {
            stop.store(true);
            return;
          }
          r = analyse(row, options);
        }
        r.fcs = fcs_stamp;
        r.fish = fish_stamp;
      } catch (const std::exception& e) {
        r.outcome = SampleOutcome::failed;
        r.error = e.what();
      }
      r.index = i;
      if (!queue.push(std::move(r))) return;
    }
  };

  std::exception_ptr worker_error;
  std::thread producer([&] {
    try {
      parallel_for(static_cast<std::size_t>(jobs), jobs, work);
    } catch (...) {
      worker_error = std::current_exception();
    }
    queue.producers_done();
  });

  std::exception_ptr writer_error;
  Progress progress;
  progress.total = manifest.rows.size();
  while (auto r = queue.pop()) {
    if (writer_error) continue;  // drain so that the workers can finish
    try {
      const ManifestRow& row = manifest.rows[r->index];
      if (r->outcome == SampleOutcome::skipped) {
        ++summary.skipped;
      } else {
        writer.commit(stored.at({row.patient, row.sample}).id, row, *r);
        ++(r->outcome == SampleOutcome::analysed ? summary.analysed : summary.failed);
      }
      if (options.progress) {
        progress.done = summary.analysed + summary.skipped + summary.failed;
        progress.analysed = summary.analysed;
        progress.skipped = summary.skipped;
        progress.failed = summary.failed;
        progress.row = &row;
        progress.outcome = r->outcome;
        progress.error = r->error;
        progress.seconds = r->seconds;
        progress.elapsed_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        options.progress(progress);
      }
    } catch (...) {
      writer_error = std::current_exception();
      stop.store(true);
      queue.stop();
    }
  }
  producer.join();
  if (writer_error) std::rethrow_exception(writer_error);
  if (worker_error) std::rethrow_exception(worker_error);
  summary.not_started = summary.total - summary.analysed - summary.skipped - summary.failed;
  for (const auto& [hash, n] : store.parameter_sets()) {
    if (hash != phash) summary.other_parameter_sets += n;
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return summary;
}

}  // namespace escapade::cohort
