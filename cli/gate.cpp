// escapade gate FILE... --gatingml G.xml: apply a Gating-ML 2.0 gating to FCS files and
// print one row per sample × population.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "cli/common.hpp"
#include "cli/population_table.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gatingml.hpp"

namespace escapade::cli {
namespace {

struct GateArgs {
  CommonOptions common;
  std::vector<std::string> files;
  std::string gatingml;
  StatisticsArgs statistics;
  std::string output;
  std::string events;
  std::size_t dataset = 0;
  bool force = false;
};

// Where the gated events of `file` go: `events` itself for one input, else a file in the
// directory `events`.
std::filesystem::path events_path(const std::string& events, const std::string& file, std::size_t inputs) {
  if (inputs == 1) return events;
  return std::filesystem::path(events) / (std::filesystem::path(file).stem().string() + ".gated.fcs");
}

}  // namespace

Command add_gate(CLI::App& parent) {
  auto args = std::make_shared<GateArgs>();
  CLI::App* app = parent.add_subcommand("gate", "apply a Gating-ML 2.0 gating to FCS files: counts and statistics");
  app->add_option("files", args->files, "FCS files")->required()->check(CLI::ExistingFile);
  app->add_option("--gatingml", args->gatingml, "Gating-ML 2.0 file")->required()->check(CLI::ExistingFile);
  add_statistics_options(*app, args->statistics);
  app->add_option("-o,--output", args->output, "table file (default: stdout)");
  app->add_option("--events", args->events,
                  "write the events with one 0/1 column per population: a file for one input, a directory for several");
  app->add_option("--dataset", args->dataset, "data set of each file (0-based)");
  app->add_flag("--force", args->force, "replace existing output files");
  add_common_options(*app, args->common);
  return {app, [args]() {
            const gate::GatingPlan plan = gate::read_gatingml_file(args->gatingml);
            if (!args->events.empty()) {
              std::error_code ec;
              std::map<std::filesystem::path, std::string> written;  // output → the input it is for
              for (const auto& f : args->files) {
                const auto target = events_path(args->events, f, args->files.size());
                if (std::filesystem::equivalent(target, f, ec)) {
                  throw InputError(ErrorKind::invalid_argument, target.string(), "--events",
                                   "is an input file; inputs are never overwritten");
                }
                // Two inputs of one name in different folders would write one output twice:
                // refused before anything is written, naming both.
                if (const auto [it, fresh] = written.emplace(target, f); !fresh) {
                  throw InputError(ErrorKind::invalid_argument, target.string(), "--events",
                                   fmt::format("both {} and {} would be written here (inputs of the same name); gate them "
                                               "into separate --events folders",
                                               it->second, f));
                }
              }
              if (args->files.size() > 1) std::filesystem::create_directories(args->events);
            }
            PopulationTable table(args->statistics, {}, args->common.threads);
            for (const auto& file : args->files) {
              fcs::ReadOptions ro;
              ro.data_set = args->dataset;
              ro.num_threads = args->common.threads;
              const fcs::FcsFile f = fcs::read_fcs_file(file, ro);
              const fcs::DataSet& ds = f.data_sets.front();
              if (!args->common.quiet) {
                for (const auto& w : ds.warnings) std::cerr << "escapade gate: warning: " << w.message() << '\n';
              }
              const gate::ApplyOptions options = gate::file_apply_options(ds, file, args->common.threads);
              const gate::GatingResult result = gate::apply(plan, ds.events, options);
              GatedSample sample;
              sample.sample = std::filesystem::path(file).filename().string();
              sample.data = &ds;
              sample.plan = &plan;
              sample.result = &result;
              sample.label = [](const std::string& id) { return id; };
              table.add(sample);
              if (!args->events.empty()) {
                write_membership_fcs(sample, events_path(args->events, file, args->files.size()), args->force);
              }
            }
            write_population_table(table, args->output, args->force, args->common.json);
            return exit_ok;
          }};
}

}  // namespace escapade::cli
