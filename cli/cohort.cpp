// escapade cohort run: analyse a cohort's samples into a SQLite database
// (libescapade/cohort). `cohort report` joins here as another subcommand.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "libescapade/cohort/cohort.hpp"

namespace escapade::cli {
namespace {

struct RunArgs {
  CommonOptions common;
  std::string manifest;
  std::string db = "cohort.db";
  int jobs = 1;
  std::string panel = "bal_escape";
  std::size_t max_samples = 0;
  bool force_rerun = false;
  bool skip_bad_rows = false;
};

// A built-in panel name, or a panel file.
bal::Panel load_panel(const std::string& spec) {
  for (const auto name : bal::builtin_panel_names()) {
    if (name == spec) return bal::builtin_panel(spec);
  }
  return bal::read_panel_file(spec);
}

std::string short_error(const std::string& e) { return e.size() > 160 ? e.substr(0, 157) + "..." : e; }

int run_cohort_run(const RunArgs& a, bool threads_given) {
  cohort::ManifestOptions mo;
  mo.skip_bad_rows = a.skip_bad_rows;
  const cohort::Manifest manifest = cohort::read_manifest(a.manifest, mo);
  if (!a.common.quiet) {
    for (const auto& w : manifest.skipped) std::cerr << "escapade cohort run: warning: " << w.message() << '\n';
  }
  cohort::RunOptions o;
  o.jobs = a.jobs;
  o.threads_per_sample = threads_given ? a.common.threads : 1;
  o.panel = load_panel(a.panel);
  o.force_rerun = a.force_rerun;
  o.max_samples = a.max_samples;
  const bool bar = ::isatty(STDERR_FILENO) != 0 && !a.common.quiet;
  bool bar_open = false;  // a bar line is on screen without its newline
  o.progress = [&](const cohort::Progress& p) {
    const std::string name = p.row->patient + "/" + p.row->sample;
    const double rate = p.elapsed_seconds > 0 ? static_cast<double>(p.analysed + p.failed) / p.elapsed_seconds : 0;
    if (bar) {
      constexpr int width = 30;
      const int filled = p.total == 0 ? width : static_cast<int>(width * p.done / p.total);
      std::string b(static_cast<std::size_t>(filled), '#');
      b.resize(width, '.');
      std::fprintf(stderr, "\r\033[K[%s] %zu/%zu  %zu analysed, %zu skipped, %zu failed  %.2f samples/s  %s", b.c_str(),
                   p.done, p.total, p.analysed, p.skipped, p.failed, rate, name.c_str());
      if (p.outcome == cohort::SampleOutcome::failed) {
        std::fprintf(stderr, "\r\033[Kfailed %s: %s\n", name.c_str(), short_error(p.error).c_str());
      }
      bar_open = true;
      std::fflush(stderr);
    } else if (!a.common.quiet) {
      std::string line = fmt::format("[{}/{}] {} {}", p.done, p.total, name, cohort::to_string(p.outcome));
      if (p.outcome == cohort::SampleOutcome::analysed) line += fmt::format(" in {:.2f} s", p.seconds);
      if (p.outcome == cohort::SampleOutcome::failed) line += ": " + p.error;
      std::cerr << line << '\n';
    }
  };
  cohort::RunSummary s;
  try {
    s = cohort::run_cohort(manifest, a.db, o);
  } catch (...) {
    if (bar_open) std::fputc('\n', stderr);  // the error message goes on its own line
    throw;
  }
  if (bar_open) std::fputc('\n', stderr);
  if (a.common.json) {
    nlohmann::json j = {{"db", a.db},
                        {"samples", s.total},
                        {"analysed", s.analysed},
                        {"skipped", s.skipped},
                        {"failed", s.failed},
                        {"not_started", s.not_started},
                        {"stored_not_in_manifest", s.stored_not_in_manifest},
                        {"skipped_rows", manifest.skipped.size()},
                        {"parameters_hash", s.parameters_hash},
                        {"seconds", s.seconds}};
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << s.summary() << "\n  database: " << a.db << '\n';
    if (s.stored_not_in_manifest > 0) {
      std::cout << "  " << s.stored_not_in_manifest << " stored samples are not in this manifest (kept)\n";
    }
  }
  return s.failed > 0 ? exit_failure : exit_ok;
}

}  // namespace

Command add_cohort(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand("cohort", "cohort studies: analyse a manifest's samples into a SQLite database");
  app->require_subcommand(1);

  auto r = std::make_shared<RunArgs>();
  CLI::App* run = app->add_subcommand(
      "run", "analyse every new or changed sample of MANIFEST into --db; resumes after an interruption. Exit status 1 "
             "when a sample failed (it is stored with its error and retried next time)");
  run->add_option("manifest", r->manifest, "manifest TSV (patient, sample, fcs, phase, …; see the cohort docs)")->required();
  run->add_option("--db", r->db, "SQLite database, created if needed")->capture_default_str();
  run->add_option("-j,--jobs", r->jobs, "samples analysed in parallel (0 = all cores); at most this many in memory")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run->add_option("--panel", r->panel, "built-in panel name or panel TOML file")->capture_default_str();
  run->add_flag("--force-rerun", r->force_rerun, "analyse every sample again, even unchanged ones");
  run->add_flag("--skip-bad-rows", r->skip_bad_rows, "run the good rows of a manifest with errors (bad rows are listed)");
  run->add_option("--max-samples", r->max_samples, "stop after analysing this many samples (0 = all); run again to continue");
  add_common_options(*run, r->common);
  // `escapade cohort report` (the cohort report) is added here as a sibling of `run`.

  return {app, [run, r]() {
            if (run->parsed()) return run_cohort_run(*r, run->count("--threads") > 0);
            return exit_usage;
          }};
}

}  // namespace escapade::cli
