// escapade cohort run: analyse a cohort's samples into a SQLite database
// (libescapade/cohort); escapade cohort report: the cohort report of such a database
// (libescapade/report/cohort_report.hpp).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "libescapade/cohort/cohort.hpp"
#include "libescapade/report/cohort_report.hpp"

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

std::string short_error(const std::string& e) { return e.size() > 160 ? e.substr(0, 157) + "..." : e; }

int run_cohort_run(const RunArgs& a, bool threads_given) {
  cohort::ManifestOptions mo;
  mo.skip_bad_rows = a.skip_bad_rows;
  const cohort::Manifest manifest = cohort::read_manifest(a.manifest, mo);
  if (!a.common.quiet) {
    for (const auto& w : manifest.skipped) std::cerr << "escapade cohort run: warning: " << w.message() << '\n';
    for (const auto& w : manifest.warnings) std::cerr << "escapade cohort run: warning: " << w.message() << '\n';
  }
  cohort::RunOptions o;
  o.jobs = a.jobs;
  o.threads_per_sample = threads_given ? a.common.threads : 1;
  o.panel = bal::load_panel(a.panel);
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
  if (s.other_parameter_sets > 0 && !a.common.quiet) {
    std::cerr << "escapade cohort run: warning: " << s.other_parameter_sets
              << " complete sample(s) in the database were analysed with other parameters (another panel?); `cohort report` "
                 "will not mix them until they are analysed again with one panel\n";
  }
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
                        {"other_parameter_sets", s.other_parameter_sets},
                        {"seconds", s.seconds}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout << s.summary() << "\n  database: " << a.db << '\n';
    if (s.stored_not_in_manifest > 0) {
      std::cout << "  " << s.stored_not_in_manifest << " stored samples are not in this manifest (kept)\n";
    }
  }
  return s.failed > 0 ? exit_failure : exit_ok;
}

struct ReportArgs {
  CommonOptions common;
  std::string db = "cohort.db";
  std::string out;
  std::optional<double> reference;
  bool force = false;
  bool allow_mixed_parameters = false;
};

int write_cohort_report_files(const std::string& db, const std::string& out, const report::CohortReportOptions& o,
                              bool json, bool quiet) {
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    throw InputError(ErrorKind::io, db, "--db", "no such database (run `escapade cohort run` first)");
  }
  const cohort::Store store = cohort::Store::open(db, {.read_only = true});
  const report::CohortAnalysis a = report::analyze_cohort(store, o);
  const report::CohortReportFiles files = report::write_cohort_report(a, out, o);
  const auto p = [](const auto& opt, auto get) -> nlohmann::json {
    if (!opt) return nullptr;
    return get(*opt);
  };
  if (json) {
    nlohmann::json j;
    j["db"] = db;
    j["html"] = files.html.string();
    j["pdf"] = files.pdf.string();
    j["tables"] = nlohmann::json::array();
    for (const auto& t : files.tables) j["tables"].push_back(t.string());
    j["figures"] = nlohmann::json::array();
    for (const auto& f : files.figures) j["figures"].push_back(f.string());
    j["samples"] = a.samples_complete;
    j["patients"] = a.patients;
    j["reference_pct"] = a.reference_pct;
    j["p_values"] = {
        {"kruskal_wallis", p(a.phases.kruskal_wallis, [](const auto& r) { return r.p_value; })},
        {"paired_t", p(a.paired.t_test, [](const auto& r) { return r.p_value; })},
        {"wilcoxon_signed_rank", p(a.paired.signed_rank, [](const auto& r) { return r.p_value; })},
        {"relapse_mann_whitney", p(a.relapse.test, [](const auto& r) { return r.p_value; })},
        {"fisher_exact_two_sided", p(a.transcript.fisher, [](const auto& r) { return r.p_two_sided; })},
        {"chisq_uncorrected", p(a.transcript.chisq, [](const auto& r) { return r.p_value; })},
        {"chisq_yates", p(a.transcript.chisq_yates, [](const auto& r) { return r.p_value; })}};
    for (const auto& e : a.incidence.endpoints) {
      j["p_values"]["gray_" + e.key] = p(e.gray, [](const auto& r) { return r.p_value; });
      j["p_values"]["fine_gray_" + e.key] = p(e.fine_gray, [](const auto& r) { return r.p_value.at(0); });
    }
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else if (!quiet) {
    std::cout << fmt::format("cohort report: {} samples of {} patients from {}\n", a.samples_complete, a.patients, db);
    std::cout << "  html:    " << files.html.string() << "\n  pdf:     " << files.pdf.string() << '\n';
    std::cout << fmt::format("  tables:  {} TSV files in {}\n", files.tables.size(),
                             (std::filesystem::path(out) / "tables").string());
    std::cout << fmt::format("  figures: {} files (PNG, SVG) in {}\n", files.figures.size(),
                             (std::filesystem::path(out) / "figures").string());
  }
  return exit_ok;
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

  auto rp = std::make_shared<ReportArgs>();
  CLI::App* rep = app->add_subcommand(
      "report", "the cohort report of --db: HTML, PDF, TSV tables and PNG/SVG figures of the SPEC analyses (frequency "
                "by phase, paired pre vs day +30, relapse vs no relapse, cumulative incidence, transcript x stem-cell "
                "involvement) into --out");
  rep->add_option("--db", rp->db, "SQLite database written by `escapade cohort run`")->capture_default_str();
  rep->add_option("--out", rp->out, "output folder (created if needed)")->required();
  rep->add_option("--reference", rp->reference,
                  "pre_escape_high reference and incidence split, % of CD34+ (default: the cohort mean pre-therapy "
                  "frequency)")
      ->check(CLI::NonNegativeNumber);
  rep->add_flag("--force", rp->force, "replace existing report files");
  rep->add_flag("--allow-mixed-parameters", rp->allow_mixed_parameters,
                "report samples analysed with different parameter sets (panels) together");
  add_common_options(*rep, rp->common);

  return {app, [run, r, rep, rp]() {
            if (run->parsed()) return run_cohort_run(*r, run->count("--threads") > 0);
            if (rep->parsed()) {
              report::CohortReportOptions o;
              o.reference_pct = rp->reference;
              o.overwrite = rp->force;
              o.allow_mixed_parameters = rp->allow_mixed_parameters;
              o.generated = "escapade cohort report --db " + rp->db;
              return write_cohort_report_files(rp->db, rp->out, o, rp->common.json, rp->common.quiet);
            }
            return exit_usage;
          }};
}

}  // namespace escapade::cli
