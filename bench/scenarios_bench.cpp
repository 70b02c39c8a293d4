// The escape-risk analysis over random simulated worlds, scored as
// ../shared/tools/bal-dev-score scores bal_dev: per sample, the pre-escape % of CD34+ within
// max(0.5 points, 10 %) of the ideal analyst's (sim::ideal_analyst: perfect upstream gating,
// thresholds at the 99.5th percentile of the true negatives) or nearer the labels than the
// ideal analyst; CD34+ within 15 % (+20 events) of the true CD34+ live singlets; over the
// set, "present at the LOD" against the labels (>= 20 true events), beside the ideal
// analyst's own sensitivity and specificity.
//
// Each scenario draws its phase, instrument, event count, seed and a sim::Variation::random
// world: phenotype drift, CD34-partial or CD34− blasts, CD22− blast subsets, CD45-negative
// blasts, dim CD22 on pre-escape cells, B-cell aplasia, hematogone-rich marrow, no normal
// CD34+ cells, no viability dye, fluorescence ranges 2^18 … 2^24, strong spillover, and
// markers on random fluorochromes. SCENARIOS (default 500) sets how many;
// ESCAPADE_SCENARIO_VERBOSE=1 prints every sample that fails with its world and cuts.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/sim/sim.hpp"

namespace {

namespace bal = escapade::bal;
namespace sim = escapade::sim;

std::string describe(const sim::Variation& v) {
  std::string s;
  const auto add = [&](bool on, const std::string& what) {
    if (on) s += (s.empty() ? "" : ", ") + what;
  };
  add(v.blast_cd34neg_fraction > 0, "CD34− blasts " + std::to_string(v.blast_cd34neg_fraction).substr(0, 4));
  add(v.blast_cd22neg_fraction >= 0, "CD22− blasts " + std::to_string(v.blast_cd22neg_fraction).substr(0, 4));
  add(v.blast_cd45_negative, "CD45− blasts");
  add(v.pre_escape_cd22_factor != 1, "pre-escape CD22 ×" + std::to_string(v.pre_escape_cd22_factor).substr(0, 4));
  add(v.b_cell_aplasia, "B aplasia");
  add(v.hematogone_factor != 1, "hematogones ×" + std::to_string(v.hematogone_factor).substr(0, 4));
  add(v.normal_cd34_factor != 1, "normal CD34+ ×" + std::to_string(v.normal_cd34_factor).substr(0, 4));
  add(v.no_viability_dye, "no viability dye");
  add(v.range_bits != 0, "range 2^" + std::to_string(v.range_bits));
  add(v.spillover_factor != 1, "spillover ×" + std::to_string(v.spillover_factor).substr(0, 4));
  add(v.shuffle_fluorochromes, "shuffled fluorochromes");
  return s;
}

void BM_RandomScenarios(benchmark::State& state) {
  const char* env = std::getenv("SCENARIOS");
  const std::size_t count = env != nullptr ? std::strtoull(env, nullptr, 10) : 500;
  const bool verbose = std::getenv("ESCAPADE_SCENARIO_VERBOSE") != nullptr;
  const bal::Panel panel = bal::builtin_panel();
  std::size_t estimate = 0, denominator = 0, both = 0, failed_runs = 0;
  std::map<std::string, std::size_t> presence;  // "who/truth/call" → samples
  std::map<std::string, std::pair<std::size_t, std::size_t>> by_phase;
  for (auto _ : state) {
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t seed = 900000 + i;
      const sim::SampleOptions o = sim::benchmark_scenario(seed);
      const auto s = sim::simulate_sample(o);
      const auto ideal = sim::ideal_analyst(s);
      const double labels_pct = ideal.cd34 == 0 ? 0.0
                                                : 100.0 * static_cast<double>(s.truth.set("pre_escape").count) /
                                                      static_cast<double>(ideal.cd34);
      const std::size_t true_count = s.truth.set("pre_escape").count;
      bool e_ok = false, d_ok = false, called = false;
      double ours = 0;
      std::size_t cd34 = 0;
      std::string cuts;
      try {
        const auto a = bal::analyze(s.data_set, panel, "sim", {});
        const auto* p = a.find("pre_escape");
        for (const char* q : {"pre_escape", "b_committed", "cd19_only", "non_b"}) {
          if (const auto* x = a.find(q)) cd34 += x->events;
        }
        ours = p != nullptr && std::isfinite(p->pct_of_cd34) ? p->pct_of_cd34 : 0;
        called = p != nullptr && p->status != bal::Status::below_lod;
        for (const auto& c : a.cuts) cuts += "\n      " + c.name + " " + std::to_string(c.value) + ": " + c.evidence;
      } catch (const std::exception& e) {
        ++failed_runs;
        cuts = std::string("\n      analysis failed: ") + e.what();
      }
      const double ideal_pct = ideal.pre_escape_pct_of_cd34();
      e_ok = std::abs(ours - ideal_pct) <= std::max(0.5, 0.1 * ideal_pct) ||
             std::abs(ours - labels_pct) <= std::abs(ideal_pct - labels_pct);
      d_ok = std::abs(static_cast<double>(cd34) - static_cast<double>(ideal.cd34)) <=
             0.15 * static_cast<double>(ideal.cd34) + 20;
      estimate += e_ok;
      denominator += d_ok;
      both += e_ok && d_ok;
      auto& ph = by_phase[std::string(sim::to_string(o.phase))];
      ph.first += e_ok && d_ok;
      ph.second += 1;
      const bool present = true_count >= 20;
      presence[std::string("escapade/") + (present ? "1" : "0") + (called ? "1" : "0")] += 1;
      presence[std::string("ideal/") + (present ? "1" : "0") + (ideal.pre_escape >= 20 ? "1" : "0")] += 1;
      if (verbose && !(e_ok && d_ok)) {
        std::fprintf(stderr,
                     "WRONG seed %llu %s %s %zu events [%s]: pre-escape %.3f%% (ideal %.3f%%, labels %.3f%%) CD34+ %zu "
                     "(true %zu)%s\n",
                     static_cast<unsigned long long>(seed), std::string(sim::to_string(o.phase)).c_str(),
                     o.instrument.c_str(), o.events, describe(o.variation).c_str(), ours, ideal_pct, labels_pct, cd34,
                     ideal.cd34, cuts.c_str());
      }
    }
  }
  const auto rate = [&](const std::string& who, bool present) {
    const std::string p = present ? "1" : "0";
    const double hit = static_cast<double>(presence[who + "/" + p + p]);
    const double miss = static_cast<double>(presence[who + "/" + p + (present ? "0" : "1")]);
    return hit + miss == 0 ? NAN : hit / (hit + miss);
  };
  const double n = static_cast<double>(count);
  state.counters["scenarios"] = n;
  state.counters["estimate_ok"] = static_cast<double>(estimate) / n;
  state.counters["cd34_ok"] = static_cast<double>(denominator) / n;
  state.counters["both_ok"] = static_cast<double>(both) / n;
  state.counters["sensitivity"] = rate("escapade", true);
  state.counters["specificity"] = rate("escapade", false);
  state.counters["ideal_sens"] = rate("ideal", true);
  state.counters["ideal_spec"] = rate("ideal", false);
  state.counters["failed_runs"] = static_cast<double>(failed_runs);
  for (const auto& [phase, r] : by_phase) {
    std::printf("%-12s estimate and CD34+ ok: %zu/%zu\n", phase.c_str(), r.first, r.second);
  }
}

}  // namespace

BENCHMARK(BM_RandomScenarios)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_MAIN();
