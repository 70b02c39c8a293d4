// escapade workspace W.wsp: re-gate every sample of a FlowJo 10 workspace from its FCS
// file and print one row per sample × population, beside the count FlowJo stored.
#include <filesystem>
#include <iostream>
#include <map>

#include "cli/common.hpp"
#include "cli/population_table.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/flowjo.hpp"

namespace escapade::cli {
namespace {

struct WorkspaceArgs {
  CommonOptions common;
  std::string workspace;
  std::string fcs_dir;
  std::string group;
  StatisticsArgs statistics;
  std::string output;
  std::string events;
  bool exact = false;
  bool force = false;
};

// The samples to gate: all, or the members of --group (an error lists the groups there are).
std::vector<const gate::WorkspaceSample*> chosen_samples(const gate::Workspace& ws, const std::string& group) {
  std::vector<const gate::WorkspaceSample*> out;
  if (group.empty()) {
    for (const auto& s : ws.samples) out.push_back(&s);
    return out;
  }
  for (const auto& g : ws.groups) {
    if (g.name != group) continue;
    for (const auto& id : g.sample_ids) {
      if (const auto* s = ws.find_sample(id)) out.push_back(s);
    }
    return out;
  }
  std::string names;
  for (const auto& g : ws.groups) names += (names.empty() ? "" : ", ") + g.name;
  throw InputError(ErrorKind::reference, ws.source, "--group '" + group + "'",
                   "the workspace has no such group; it has: " + names);
}

}  // namespace

Command add_workspace(CLI::App& parent) {
  auto args = std::make_shared<WorkspaceArgs>();
  CLI::App* app = parent.add_subcommand(
      "workspace", "re-gate the samples of a FlowJo 10 workspace: counts (beside FlowJo's) and statistics");
  app->add_option("workspace", args->workspace, "FlowJo .wsp file")->required()->check(CLI::ExistingFile);
  app->add_option("--fcs-dir", args->fcs_dir, "where the FCS files are (default: the workspace's folder)")
      ->check(CLI::ExistingDirectory);
  app->add_option("--group", args->group, "only the samples of this group");
  add_statistics_options(*app, args->statistics);
  app->add_option("-o,--output", args->output, "table file (default: stdout)");
  app->add_option("--events", args->events,
                  "directory for each sample's events with one 0/1 column per population (<sample>.gated.fcs)");
  app->add_flag("--exact", args->exact,
                "gate polygons and ellipses on the event values instead of FlowJo's display bins");
  app->add_flag("--force", args->force, "replace existing output files");
  add_common_options(*app, args->common);
  return {app, [args]() {
            gate::WorkspaceOptions wo;
            wo.binning = args->exact ? gate::FlowJoBinning::exact : gate::FlowJoBinning::flowjo;
            const gate::Workspace ws = gate::read_workspace_file(args->workspace, wo);
            if (!args->common.quiet) {
              for (const auto& w : ws.warnings) std::cerr << "escapade workspace: warning: " << w.message() << '\n';
            }
            const std::filesystem::path dir =
                args->fcs_dir.empty() ? std::filesystem::path(args->workspace).parent_path() : std::filesystem::path(args->fcs_dir);
            if (!args->events.empty()) std::filesystem::create_directories(args->events);
            PopulationTable table(args->statistics, {"flowjo_count"}, args->common.threads);
            for (const gate::WorkspaceSample* s : chosen_samples(ws, args->group)) {
              const auto file = gate::find_sample_file(*s, dir.empty() ? std::filesystem::path(".") : dir);
              fcs::ReadOptions ro;
              ro.data_set = 0;
              ro.num_threads = args->common.threads;
              const fcs::FcsFile f = fcs::read_fcs_file(file, ro);
              const fcs::DataSet& ds = f.data_sets.front();
              if (!args->common.quiet) {
                for (const auto& w : ds.warnings) std::cerr << "escapade workspace: warning: " << w.message() << '\n';
              }
              gate::ApplyOptions options;
              options.num_threads = args->common.threads;
              const gate::GatingResult result = gate::apply_sample(*s, ds, options);
              std::map<std::string, std::string> paths;
              GatedSample sample;
              sample.sample = s->name;
              sample.data = &ds;
              sample.plan = &s->plan;
              sample.result = &result;
              sample.extra[""]["flowjo_count"] = std::to_string(s->flowjo_count);
              for (const auto& p : s->populations) {
                paths[p.id] = "root/" + p.path;
                sample.extra[p.id]["flowjo_count"] = std::to_string(p.flowjo_count);
              }
              sample.label = [&paths](const std::string& id) {
                auto it = paths.find(id);
                return it == paths.end() ? id : it->second;
              };
              table.add(sample);
              if (!args->events.empty()) {
                const auto target =
                    std::filesystem::path(args->events) / (std::filesystem::path(s->name).stem().string() + ".gated.fcs");
                std::error_code ec;
                if (std::filesystem::equivalent(target, file, ec)) {
                  throw InputError(ErrorKind::invalid_argument, target.string(), "--events",
                                   "is an input file; inputs are never overwritten");
                }
                write_membership_fcs(sample, target, args->force);
              }
            }
            write_population_table(table, args->output, args->force, args->common.json);
            return exit_ok;
          }};
}

}  // namespace escapade::cli
