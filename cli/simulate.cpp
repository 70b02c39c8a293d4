// escapade simulate sample|cohort: synthetic B-ALL marrow acquisitions with ground truth
// (libescapade/sim). The command parses flags and calls the library; nothing else.
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/common.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::cli {
namespace {

struct SampleArgs {
  CommonOptions common;
  std::string output;
  std::string phase = "diagnosis";
  std::string relapse_kind = "cd19pos";
  std::optional<double> blast_pct, pre_escape_pct;
  std::size_t events = 100000;
  std::string instrument = "bd-lyric";
  std::uint64_t seed = 1;
  std::string sample_id;
  double debris = 6, doublets = 4, dead = 3, drift = -3;
  std::optional<std::uint64_t> world;
  bool force = false;
};

struct CohortArgs {
  CommonOptions common;
  std::size_t patients = 20;
  std::string out;
  std::uint64_t seed = 1;
  std::size_t events = 100000;
  std::string instrument = "bd-lyric";
  bool force = false;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

Command add_simulate(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand("simulate", "simulate B-ALL bone-marrow FCS files with ground truth");
  app->require_subcommand(1);

  auto s = std::make_shared<SampleArgs>();
  CLI::App* sample = app->add_subcommand("sample", "one acquisition: OUT.fcs, OUT.labels.tsv, OUT.truth.json");
  sample->add_option("-o,--output", s->output, "FCS file to write (side files go beside it)")->required();
  sample->add_option("--phase", s->phase, "diagnosis, remission, relapse, pre_therapy or day30_car_t");
  sample->add_option("--relapse-kind", s->relapse_kind, "blasts of a relapse: cd19pos, cd19neg or lineage_switch");
  sample->add_option("--blast-pct", s->blast_pct, "leukemic blasts, % of leukocytes (default: drawn for the phase)");
  sample->add_option("--pre-escape-pct", s->pre_escape_pct,
                     "CD34+CD19-CD22+ cells, % of CD34+ (default: drawn for the phase, seed 001)");
  sample->add_option("--events", s->events, "events to acquire");
  sample->add_option("--instrument", s->instrument, "instrument profile: " + join(sim::instrument_names()));
  sample->add_option("--seed", s->seed, "random seed (same seed, same bytes)");
  sample->add_option("--sample-id", s->sample_id, "$SRC (default: the output file's stem)");
  sample->add_option("--debris-pct", s->debris, "debris, % of events");
  sample->add_option("--doublet-pct", s->doublets, "doublets, % of events");
  sample->add_option("--dead-pct", s->dead, "dead cells, % of events");
  sample->add_option("--drift-pct", s->drift, "fluorescence change from first to last event, %");
  sample->add_option("--world", s->world,
                     "a random departure from the default world, drawn from this number (sim::Variation::random: "
                     "CD34−/CD45−/CD22− blasts, dim CD22, aplasia, ranges, spillover, fluorochromes, …)");
  sample->add_flag("--force", s->force, "replace existing output files");
  add_common_options(*sample, s->common);

  auto c = std::make_shared<CohortArgs>();
  CLI::App* cohort = app->add_subcommand("cohort", "patients with serial samples, FISH tables, outcomes and a manifest");
  cohort->add_option("--patients", c->patients, "number of patients")->required();
  cohort->add_option("--out", c->out, "output folder (manifest.tsv, cohort.json, one folder per patient)")->required();
  cohort->add_option("--seed", c->seed, "random seed");
  cohort->add_option("--events", c->events, "events per FCS file");
  cohort->add_option("--instrument", c->instrument, "instrument profile: " + join(sim::instrument_names()));
  cohort->add_flag("--force", c->force, "replace existing output files");
  add_common_options(*cohort, c->common);

  return {app, [app, sample, cohort, s, c]() {
            if (sample->parsed()) {
              sim::SampleOptions o;
              o.phase = sim::parse_phase(s->phase);
              o.relapse_kind = sim::parse_relapse_kind(s->relapse_kind);
              o.blast_pct = s->blast_pct;
              o.pre_escape_pct = s->pre_escape_pct;
              o.events = s->events;
              o.instrument = s->instrument;
              o.seed = s->seed;
              o.sample_id = s->sample_id.empty() ? std::filesystem::path(s->output).stem().string() : s->sample_id;
              o.debris_pct = s->debris;
              o.doublet_pct = s->doublets;
              o.dead_pct = s->dead;
              o.drift_pct = s->drift;
              if (s->world) o.variation = sim::Variation::random(*s->world);
              o.num_threads = s->common.threads;
              const auto files = sim::sample_files(s->output);
              if (!s->force) {
                std::error_code ec;
                for (const auto& p : {files.fcs, files.labels, files.truth}) {
                  if (std::filesystem::exists(p, ec)) {
                    throw InputError(ErrorKind::io, p.string(), "--output", "file exists; use --force to replace it");
                  }
                }
              }
              const sim::SimulatedSample smp = sim::simulate_sample(o);
              sim::write_sample(smp, s->output, s->force);
              const auto& t = smp.truth;
              if (s->common.json) {
                std::cout << sim::truth_json(t, files.fcs.filename().string(), files.labels.filename().string());
              } else {
                const auto& sc = t.scenario.options;
                std::cout << "wrote " << files.fcs.string() << " (" << t.events << " events, " << sc.instrument
                          << ", " << sim::to_string(sc.phase) << ")\n"
                          << "  blasts " << number(*sc.blast_pct) << "% of leukocytes, pre-escape "
                          << number(*sc.pre_escape_pct) << "% of CD34+ (requested/drawn)\n"
                          << "  true: leukocytes " << t.set("leukocytes").count << ", CD34+ " << t.set("cd34").count
                          << ", pre_escape " << t.set("pre_escape").count << "\n"
                          << "  truth: " << files.truth.string() << "\n  labels: " << files.labels.string() << "\n";
              }
              return exit_ok;
            }
            if (cohort->parsed()) {
              sim::CohortOptions o;
              o.patients = c->patients;
              o.seed = c->seed;
              o.events = c->events;
              o.instrument = c->instrument;
              o.num_threads = c->common.threads;
              const auto summary = sim::simulate_cohort(o, c->out, c->force);
              if (c->common.json) {
                nlohmann::json j = {{"manifest", summary.manifest.string()},
                                    {"model", summary.model.string()},
                                    {"patients", summary.patients},
                                    {"samples", summary.samples},
                                    {"relapses_cd19pos", summary.relapses_cd19pos},
                                    {"relapses_cd19neg", summary.relapses_cd19neg},
                                    {"deaths_in_remission", summary.deaths_in_remission}};
                std::cout << j.dump(2) << '\n';
              } else {
                std::cout << "wrote " << summary.samples << " samples of " << summary.patients << " patients\n"
                          << "  manifest: " << summary.manifest.string() << "\n  model: " << summary.model.string()
                          << "\n  outcomes: " << summary.relapses_cd19pos << " CD19+ relapses, "
                          << summary.relapses_cd19neg << " CD19- relapses, " << summary.deaths_in_remission
                          << " deaths in remission\n";
              }
              return exit_ok;
            }
            (void)app;
            return exit_usage;
          }};
}

}  // namespace escapade::cli
