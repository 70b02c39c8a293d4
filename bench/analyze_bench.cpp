// The escape-risk analysis: speed of `bal::analyze` on a 1M-event, 12-colour
// file on one core (target < 0.3 s, report excluded), against a baseline in the same run
// (one pass computing every fluorescence channel's compensated logicle values — the least
// any analysis of those channels must do); and accuracy over 120 simulated samples
// spanning phases, instruments, event counts and seeds: pre-escape % of CD34+ absolute
// error (median, 95th percentile) and sensitivity/specificity of "present at LOD".
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/sim/sim.hpp"

namespace {

namespace bal = escapade::bal;
namespace sim = escapade::sim;

const sim::SimulatedSample& sample_1m() {
  static const auto s = [] {
    sim::SampleOptions o;
    o.phase = sim::Phase::diagnosis;
    o.events = 1'000'000;
    o.seed = 2026;
    o.pre_escape_pct = 3;
    return std::make_unique<sim::SimulatedSample>(sim::simulate_sample(o));
  }();
  return *s;
}

void BM_Analyze1M(benchmark::State& state) {
  const auto& s = sample_1m();
  const bal::Panel panel = bal::builtin_panel();
  bal::AnalysisOptions options;
  options.num_threads = static_cast<int>(state.range(0));
  std::size_t pre = 0;
  for (auto _ : state) {
    const auto a = bal::analyze(s.data_set, panel, "bench", options);
    pre = a.find("pre_escape")->events;
  }
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(s.data_set.events.event_count()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["pre_escape"] = static_cast<double>(pre);
}

// Baseline: every fluorescence channel compensated and logicle-transformed once.
void BM_CompensatedLogicleBaseline(benchmark::State& state) {
  const auto& s = sample_1m();
  namespace gate = escapade::gate;
  gate::GatingPlan plan;
  plan.add_transform("logicle", escapade::transform::LogicleTransform(262144, 0.5, 4.5, 0));
  std::vector<gate::Dimension> dims;
  for (const auto& det : s.data_set.spillover->detectors()) {
    gate::Dimension d = gate::Dimension::of(det);
    d.compensation = std::string(gate::file_compensation);
    d.transform = "logicle";
    dims.push_back(d);
  }
  gate::ApplyOptions o;
  o.file_spillover = &*s.data_set.spillover;
  o.num_threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    for (const auto& d : dims) benchmark::DoNotOptimize(gate::dimension_values(plan, s.data_set.events, d, o));
  }
  state.counters["channels"] = static_cast<double>(dims.size());
}

void BM_Accuracy(benchmark::State& state) {
  const bal::Panel panel = bal::builtin_panel();
  const std::vector<sim::Phase> phases{sim::Phase::diagnosis, sim::Phase::remission, sim::Phase::relapse,
                                       sim::Phase::pre_therapy, sim::Phase::day30_car_t};
  const std::vector<std::size_t> sizes{20'000, 100'000, 300'000};
  std::vector<double> errors;
  std::size_t tp = 0, fn = 0, tn = 0, fp = 0, within = 0;
  for (auto _ : state) {
    std::uint64_t seed = 5000;
    for (const auto phase : phases) {
      for (const auto& instrument : sim::instrument_names()) {
        for (const std::size_t events : sizes) {
          for (int rep = 0; rep < 3; ++rep) {
            if (errors.size() >= 135) break;
            sim::SampleOptions o;
            o.phase = phase;
            o.instrument = instrument;
            o.events = events;
            o.seed = seed++;
            o.num_threads = 1;
            const auto s = sim::simulate_sample(o);
            const auto a = bal::analyze(s.data_set, panel, "sim", {});
            const double cd34 = static_cast<double>(s.truth.set("cd34").count);
            const std::size_t true_events = s.truth.set("pre_escape").count;
            const double truth = cd34 == 0 ? 0 : 100.0 * static_cast<double>(true_events) / cd34;
            const auto* p = a.find("pre_escape");
            const double error = std::abs(p->pct_of_cd34 - truth);
            errors.push_back(error);
            const bool ok = error <= std::max(0.5, 0.1 * truth);
            within += ok;
            if (!ok && std::getenv("ESCAPADE_ACCURACY_VERBOSE") != nullptr) {
              std::fprintf(stderr, "miss: %s %s seed %llu events %zu: cd34 %zu (truth %zu) pre_escape %.3f%% (truth %.3f%%)\n",
                           std::string(sim::to_string(phase)).c_str(), instrument.c_str(),
                           static_cast<unsigned long long>(o.seed), events, a.cd34, s.truth.set("cd34").count,
                           p->pct_of_cd34, truth);
              for (const auto& c : a.cuts) std::fprintf(stderr, "    %s %.4g: %s\n", c.name.c_str(), c.value, c.evidence.c_str());
            }
            const bool present = true_events >= a.limits.lod_events;
            const bool called = p->status != bal::Status::below_lod;
            (present ? (called ? tp : fn) : (called ? fp : tn)) += 1;
          }
        }
      }
    }
  }
  std::sort(errors.begin(), errors.end());
  const auto at = [&](double q) { return errors[static_cast<std::size_t>(q * static_cast<double>(errors.size() - 1))]; };
  state.counters["samples"] = static_cast<double>(errors.size());
  state.counters["err_median_pts"] = at(0.5);
  state.counters["err_p95_pts"] = at(0.95);
  state.counters["within_target"] = static_cast<double>(within) / static_cast<double>(errors.size());
  state.counters["sensitivity"] = tp + fn == 0 ? NAN : static_cast<double>(tp) / static_cast<double>(tp + fn);
  state.counters["specificity"] = tn + fp == 0 ? NAN : static_cast<double>(tn) / static_cast<double>(tn + fp);
  state.counters["present"] = static_cast<double>(tp + fn);
  state.counters["absent"] = static_cast<double>(tn + fp);
}

}  // namespace

BENCHMARK(BM_CompensatedLogicleBaseline)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Analyze1M)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Accuracy)->Iterations(1)->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
