// escapade demo: the whole chain on a simulated cohort — simulate (libescapade/sim), analyse
// every sample into a SQLite database (libescapade/cohort), per-sample reports and the
// cohort report (libescapade/report) — into one folder.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "libescapade/bal/sample.hpp"
#include "libescapade/base/parallel.hpp"
#include "libescapade/cohort/cohort.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/report/cohort_report.hpp"
#include "libescapade/report/sample_report.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::cli {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
  CommonOptions common;
  std::string out = "escapade-demo";
  std::size_t patients = 60;
  std::size_t events = 50000;
  int jobs = 0;
  std::uint64_t seed = 1;
  bool force = false;
  bool no_sample_reports = false;
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One sample's report (HTML and PDF), its pre_escape_high flag against the cohort reference.
void sample_report(const cohort::ManifestRow& row, const report::CohortAnalysis& cohort_analysis,
                   const fs::path& dir) {
  bal::SampleOptions options;
  if (row.fish) options.fish = *row.fish;
  bal::FlagOptions fo;
  fo.pre_escape_reference_pct = cohort_analysis.reference_pct;
  fo.reference_source = cohort_analysis.reference_source;
  options.flags = fo;
  bal::SampleAnalysis s = bal::analyze_sample(row.fcs, options);
  std::vector<bal::Flag>& flags = s.flags;
  for (const auto& pf : cohort_analysis.flags) {
    if (pf.patient == row.patient) {
      flags.push_back({pf.pre_escape_rising.name, pf.pre_escape_rising.state,
                       "patient " + row.patient + ": " + pf.pre_escape_rising.evidence});
    }
  }
  const report::SampleReportInput input{s.data(), s.analysis, s.fish ? &*s.fish : nullptr, flags,
                                        row.patient + " / " + row.sample, "bal_escape"};
  report::SampleReportOptions so;
  so.num_threads = 1;
  so.generated = "escapade demo";
  const report::SampleReportFiles files = report::render_sample_report(input, so);
  const std::string stem = row.patient + "_" + row.sample;
  report::write_sample_report(files, dir / (stem + ".html"), dir / (stem + ".pdf"), true);
}

int run_demo(const DemoArgs& a) {
  const auto t0 = Clock::now();
  const fs::path out(a.out);
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec) && !a.force) {
    throw InputError(ErrorKind::io, out.string(), "--out", "folder exists and is not empty; use --force to reuse it");
  }
  fs::create_directories(out, ec);
  if (ec) throw InputError(ErrorKind::io, out.string(), "--out", "cannot create the folder: " + ec.message());
  const bool talk = !a.common.quiet;
  auto log = [&](const std::string& s) {
    if (talk) std::cerr << fmt::format("[{:6.1f} s] {}\n", since(t0), s);
  };
  const int jobs = resolve_threads(a.jobs);

  // 1. Simulate.
  sim::CohortOptions so;
  so.patients = a.patients;
  so.events = a.events;
  so.seed = a.seed;
  so.num_threads = jobs;
  log(fmt::format("simulating {} patients, {} events per sample, into {}", a.patients, a.events, (out / "cohort").string()));
  const sim::CohortSummary sim = sim::simulate_cohort(so, out / "cohort", a.force);
  log(fmt::format("simulated {} samples: {} CD19\u2212 relapses, {} CD19+ relapses, {} deaths in remission",
                  sim.samples, sim.relapses_cd19neg, sim.relapses_cd19pos, sim.deaths_in_remission));

  // 2. Analyse every sample into the database (a fresh one: a reused folder's database
  //    could hold samples of another cohort).
  const fs::path db = out / "cohort.db";
  if (a.force) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(fs::path(db.string() + suffix), ec);
  }
  const cohort::Manifest manifest = cohort::read_manifest(sim.manifest);
  cohort::RunOptions ro;
  ro.jobs = jobs;
  std::size_t last_pct = 0;
  ro.progress = [&](const cohort::Progress& p) {
    const std::size_t pct = p.total == 0 ? 100 : 100 * p.done / p.total;
    if (p.outcome == cohort::SampleOutcome::failed) {
      log(fmt::format("failed {}/{}: {}", p.row->patient, p.row->sample, p.error));
    }
    if (pct / 10 != last_pct / 10 || p.done == p.total) {
      log(fmt::format("analysed {}/{} samples ({:.2f} samples/s)", p.done, p.total,
                      p.elapsed_seconds > 0 ? static_cast<double>(p.done) / p.elapsed_seconds : 0.0));
      last_pct = pct;
    }
  };
  const cohort::RunSummary run = cohort::run_cohort(manifest, db, ro);
  log(run.summary());

  // 3. The cohort analysis (its mean is the per-sample reports' pre_escape_high reference).
  report::CohortReportOptions co;
  co.overwrite = a.force;
  co.generated = fmt::format("escapade demo: {} simulated patients (seed {}), {} events per sample", a.patients, a.seed,
                             a.events);
  std::set<std::pair<std::string, std::string>> complete;  // samples with results (failed ones get no report)
  const report::CohortAnalysis analysis = [&] {
    const cohort::Store store = cohort::Store::open(db, {.read_only = true});
    for (const auto& s : store.samples()) {
      if (s.status == "complete") complete.emplace(s.patient, s.sample);
    }
    return report::analyze_cohort(store, co);
  }();

  // 4. Per-sample reports.
  std::size_t sample_reports = 0;
  std::vector<std::string> report_errors;
  if (!a.no_sample_reports) {
    const fs::path dir = out / "samples";
    fs::create_directories(dir, ec);
    std::mutex m;
    std::atomic<std::size_t> done{0};
    log(fmt::format("writing {} per-sample reports (HTML, PDF) into {}", complete.size(), dir.string()));
    parallel_for(manifest.rows.size(), jobs, [&](std::size_t i) {
      if (complete.count({manifest.rows[i].patient, manifest.rows[i].sample}) == 0) return;
      try {
        sample_report(manifest.rows[i], analysis, dir);
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> lock(m);
        report_errors.push_back(manifest.rows[i].patient + "/" + manifest.rows[i].sample + ": " + e.what());
        return;
      }
      const std::size_t n = ++done;
      if (n % 20 == 0 || n == complete.size()) {
        const std::lock_guard<std::mutex> lock(m);
        log(fmt::format("per-sample reports: {}/{}", n, complete.size()));
      }
    });
    sample_reports = done;
    for (const auto& e : report_errors) log("per-sample report failed: " + e);
  }

  // 5. The cohort report.
  const report::CohortReportFiles files = report::write_cohort_report(analysis, out / "report", co);
  log(fmt::format("cohort report: {}", files.html.string()));

  if (a.common.json) {
    nlohmann::json j = {{"out", out.string()},
                        {"manifest", sim.manifest.string()},
                        {"db", db.string()},
                        {"patients", sim.patients},
                        {"samples", sim.samples},
                        {"analysed", run.analysed},
                        {"skipped", run.skipped},
                        {"failed", run.failed},
                        {"sample_reports", sample_reports},
                        {"cohort_report_html", files.html.string()},
                        {"cohort_report_pdf", files.pdf.string()},
                        {"seconds", since(t0)}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout << fmt::format("escapade demo: {} patients, {} samples in {:.1f} s\n", sim.patients, sim.samples, since(t0));
    std::cout << "  simulated cohort:   " << sim.manifest.string() << '\n';
    std::cout << "  database:           " << db.string() << '\n';
    if (!a.no_sample_reports) {
      std::cout << fmt::format("  per-sample reports: {} in {}\n", sample_reports, (out / "samples").string());
    }
    std::cout << "  cohort report:      " << files.html.string() << "\n                      " << files.pdf.string()
              << '\n';
    std::cout << fmt::format("  tables, figures:    {}, {}\n", (out / "report" / "tables").string(),
                             (out / "report" / "figures").string());
  }
  return run.failed > 0 || !report_errors.empty() ? exit_failure : exit_ok;
}

}  // namespace

Command add_demo(CLI::App& parent) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* app = parent.add_subcommand(
      "demo", "the whole chain on a simulated cohort: simulate patients, analyse every sample into a SQLite database, "
              "write per-sample reports and the cohort report into --out");
  app->add_option("--out", args->out, "output folder; must be empty or new unless --force")->capture_default_str();
  app->add_option("--patients", args->patients, "patients to simulate (about 3 samples each)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  app->add_option("--events", args->events, "events per FCS file")
      ->check(CLI::Range(std::size_t{1000}, std::size_t{100000000}))
      ->capture_default_str();
  app->add_option("-j,--jobs", args->jobs, "samples processed in parallel (0 = all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--seed", args->seed, "simulation seed")->capture_default_str();
  app->add_flag("--force", args->force, "reuse a non-empty --out folder, replacing the demo's files");
  app->add_flag("--no-sample-reports", args->no_sample_reports, "skip the per-sample HTML/PDF reports");
  add_common_options(*app, args->common);
  return {app, [args]() { return run_demo(*args); }};
}

}  // namespace escapade::cli
