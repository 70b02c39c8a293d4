// escapade analyze SAMPLE.fcs --out DIR: the per-sample escape-risk analysis, with no
// hand-gating: results.json, populations.tsv, the sort gates as Gating-ML, and the report.
#include <filesystem>
#include <iostream>

#include "cli/common.hpp"
#include "libescapade/bal/results.hpp"
#include "libescapade/bal/sample.hpp"
#include "libescapade/base/file_io.hpp"
#include "libescapade/base/text.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gatingml.hpp"
#include "libescapade/report/sample_report.hpp"

namespace escapade::cli {
namespace {

struct AnalyzeArgs {
  CommonOptions common;
  std::string file;
  std::string panel;
  std::string gating_template;
  std::string fish;
  std::string review;
  std::string negative_control;
  std::string out;
  std::size_t dataset = 0;
  bool force = false;
  bool no_report = false;
};

}  // namespace

Command add_analyze(CLI::App& parent) {
  auto args = std::make_shared<AnalyzeArgs>();
  CLI::App* app = parent.add_subcommand(
      "analyze", "B-ALL escape-risk analysis of one bone-marrow FCS file: populations, LOD, FISH, flags, report");
  app->add_option("file", args->file, "FCS file")->required()->check(CLI::ExistingFile);
  app->add_option("--panel", args->panel,
                  "panel TOML file, or a built-in panel: bal_escape (default, seed 001) or bal_sort (seed 000 sort panel)");
  app->add_option("--template", args->gating_template, "gating template TOML (default: built-in, all gates from the data)")
      ->check(CLI::ExistingFile);
  app->add_option("--fish", args->fish, "FISH results on sorted compartments (TSV)")->check(CLI::ExistingFile);
  app->add_option("--negative-control", args->negative_control,
                  "FMO or negative-control FCS file of the same sample: sets the CD19 and CD22 cuts")
      ->check(CLI::ExistingFile);
  app->add_option("--review", args->review, "review file fixing gates for this sample (TOML)")->check(CLI::ExistingFile);
  app->add_option("--out", args->out, "output directory")->required();
  app->add_option("--dataset", args->dataset, "data set of the file (0-based)");
  app->add_flag("--force", args->force, "replace existing output files");
  app->add_flag("--no-report", args->no_report, "skip the HTML/PDF report (results.json and the tables only)");
  add_common_options(*app, args->common);
  return {app, [args]() {
            bal::SampleOptions so;
            so.panel = bal::load_panel(args->panel.empty() ? "bal_escape" : args->panel);
            if (!args->gating_template.empty()) so.gating_template = bal::read_template_file(args->gating_template);
            if (!args->review.empty()) so.review = bal::read_review_file(args->review);
            if (!args->fish.empty()) so.fish = args->fish;
            if (!args->negative_control.empty()) so.negative_control = args->negative_control;
            so.data_set = args->dataset;
            so.num_threads = args->common.threads;
            const std::filesystem::path out(args->out);
            // The run's outputs, all or nothing: staged beside --out and moved in together;
            // --force replaces the whole set, so no file of an earlier run stays beside them.
            OutputFolder<InputError> outputs(out, {"results.json", "populations.tsv", "sort_gates.xml", "report.html", "report.pdf"},
                                             args->force);
            const bal::SampleAnalysis s = bal::analyze_sample(args->file, so);
            if (!args->common.quiet) {
              for (const auto& w : s.read_warnings) std::cerr << "escapade analyze: warning: " << w.message() << '\n';
            }
            const fcs::DataSet& ds = s.data();
            const bal::Analysis& a = s.analysis;
            const bal::FishResult* fish = s.fish ? &*s.fish : nullptr;
            const auto& flags = s.flags;
            const auto& tmpl = so.gating_template;
            const auto& panel = so.panel;
            const std::string& sample = s.sample;
            write_file(outputs.staged("results.json"),
                       bal::results_json({ds, a, tmpl, panel, fish, flags}), false);
            write_file(outputs.staged("populations.tsv"), bal::populations_tsv(a, sample), false);
            // The gates as a cell sorter takes them (Gating-ML 2.0, compensation by the file's
            // spillover, logicle transforms, the CD19 × CD22 quadrant within CD34+).
            write_file(outputs.staged("sort_gates.xml"), gate::write_gatingml(a.plan), false);
            if (!args->no_report) {
              report::SampleReportInput in{ds, a, fish, flags, sample, panel.name};
              report::SampleReportOptions ro_report;
              ro_report.num_threads = args->common.threads;
              report::write_sample_report(report::render_sample_report(in, ro_report), outputs.staged("report.html"),
                                          outputs.staged("report.pdf"), false);
            }
            outputs.commit();
            if (!args->common.quiet) {
              for (const auto& w : a.warnings) std::cerr << "escapade analyze: warning: " << w.message() << '\n';
              for (const auto& q : a.quality.flags) std::cerr << "escapade analyze: QC: " << q << '\n';
            }
            if (args->common.json) {
              std::cout << bal::results_json({ds, a, tmpl, panel, fish, flags});
            } else {
              std::cout << bal::populations_tsv(a, sample);
              for (const auto& fl : flags) std::cout << "# " << fl.name << ": " << to_string(fl.state) << " — " << fl.evidence << '\n';
            }
            return exit_ok;
          }};
}

}  // namespace escapade::cli
