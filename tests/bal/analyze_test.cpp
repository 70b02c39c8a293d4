// The escape-risk analysis against simulated samples whose truth is known (
// "Accuracy"): pre-escape % of CD34+ within 0.5 points or 10 % of the truth, and "present at
// LOD" right, over samples spanning phases, instruments and seeds (never one fixed seed).
#include <gtest/gtest.h>

#include <cmath>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::bal {
namespace {

struct Case {
  sim::Phase phase;
  std::string instrument;
  std::uint64_t seed;
  std::size_t events;
};

double truth_pct_of_cd34(const sim::Truth& t, std::string_view name) {
  const double cd34 = static_cast<double>(t.set("cd34").count);
  return cd34 == 0 ? 0 : 100.0 * static_cast<double>(t.set(name).count) / cd34;
}

TEST(Analyze, PreEscapeAgainstSimulatedTruth) {
  const std::vector<sim::Phase> phases{sim::Phase::diagnosis, sim::Phase::remission, sim::Phase::relapse,
                                       sim::Phase::day30_car_t};
  std::vector<Case> cases;
  std::uint64_t seed = 101;
  for (const auto phase : phases) {
    for (const auto& instrument : sim::instrument_names()) cases.push_back({phase, instrument, seed++, 40000});
  }
  const Panel panel = builtin_panel();
  std::size_t within = 0;
  for (const auto& c : cases) {
    sim::SampleOptions o;
    o.phase = c.phase;
    o.instrument = c.instrument;
    o.seed = c.seed;
    o.events = c.events;
    o.num_threads = 1;
    const auto s = sim::simulate_sample(o);
    const Analysis a = analyze(s.data_set, panel, "sim", {});
    const double truth = truth_pct_of_cd34(s.truth, "pre_escape");
    const auto* p = a.find("pre_escape");
    ASSERT_NE(p, nullptr);
    const double error = std::abs(p->pct_of_cd34 - truth);
    const bool ok = error <= std::max(0.5, 0.1 * truth);
    within += ok;
    std::string cuts;
    for (const auto& cut : a.cuts) cuts += "\n  " + cut.name + " " + std::to_string(cut.value) + ": " + cut.evidence;
    std::printf("%-12s %-22s seed %3llu  cd34 %6zu (truth %6zu)  leuk %6zu (truth %6zu)  pre_escape %.2f%% (truth %.2f%%) %s\n",
                std::string(sim::to_string(c.phase)).c_str(), c.instrument.c_str(),
                static_cast<unsigned long long>(c.seed), a.cd34, s.truth.set("cd34").count, a.leukocytes,
                s.truth.set("leukocytes").count, p->pct_of_cd34, truth, ok ? "" : ("MISS" + cuts).c_str());
  }
  EXPECT_GE(within, cases.size() * 9 / 10);
}

TEST(Analyze, UnknownOverrideAndMissingMarkerAreClearErrors) {
  sim::SampleOptions o;
  o.events = 5000;
  o.num_threads = 1;
  const auto s = sim::simulate_sample(o);
  AnalysisOptions bad;
  bad.overrides["CD99"] = {0.5, "reviewer", ""};
  EXPECT_THROW((void)analyze(s.data_set, builtin_panel(), "sim", bad), InputError);
  Panel panel = builtin_panel();
  const Panel needs_cd7 = parse_panel("[panel]\nname = \"x\"\n[markers.CD7]\naliases = [\"CD7\"]\n", "x.toml");
  EXPECT_THROW((void)analyze(s.data_set, needs_cd7, "sim", {}), InputError);
}

}  // namespace
}  // namespace escapade::bal

namespace escapade::bal {
namespace {

TEST(Analyze, TinySamplesNeverStopARun) {
  // A few hundred events leave some parents empty: every cut still gets a value (flagged
  // for review), never an exception.
  for (const auto phase : {sim::Phase::diagnosis, sim::Phase::remission, sim::Phase::day30_car_t}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      sim::SampleOptions o;
      o.phase = phase;
      o.events = 400;
      o.seed = seed;
      o.num_threads = 1;
      const auto s = sim::simulate_sample(o);
      Analysis a;
      EXPECT_NO_THROW(a = analyze(s.data_set, builtin_panel(), "tiny", {})) << seed;
      // Fewer CD34+ events than the LOD (SPEC: 20): no percentage of CD34+ is given.
      if (a.cd34 < a.limits.lod_events) {
        for (const auto& p : a.populations) {
          EXPECT_TRUE(std::isnan(p.pct_of_cd34)) << p.name;
          EXPECT_EQ(p.display().find("nan"), std::string::npos) << p.name << ": " << p.display();
        }
      }
    }
  }
}

TEST(Analyze, SortPanelCompartmentsAgainstTruth) {
  // Seed 000's sorted compartments with the sort panel (CD34/CD38/CD19/CD33/CD13/CD3): each
  // within 10 % of its true count (or 20 events), over phases and seeds.
  const Panel panel = builtin_panel("bal_sort");
  std::size_t checked = 0, within = 0;
  for (const auto phase : {sim::Phase::diagnosis, sim::Phase::remission, sim::Phase::relapse}) {
    for (std::uint64_t seed = 301; seed <= 303; ++seed) {
      sim::SampleOptions o;
      o.phase = phase;
      o.events = 40000;
      o.seed = seed;
      o.num_threads = 1;
      const auto s = sim::simulate_sample(o);
      const Analysis a = analyze(s.data_set, panel, "sort", {});
      EXPECT_EQ(a.find("pre_escape"), nullptr);  // no CD22 in the sort panel
      for (const char* name : {"hsc", "progenitor", "b_lineage", "t_cells", "myeloid"}) {
        const auto* p = a.find(name);
        ASSERT_NE(p, nullptr) << name;
        const double truth = static_cast<double>(s.truth.set(name).count);
        const double got = static_cast<double>(p->events);
        const bool ok = std::abs(got - truth) <= std::max(20.0, 0.1 * truth);
        within += ok;
        ++checked;
        if (!ok) std::printf("%s seed %llu %s: %g (truth %g)\n", std::string(sim::to_string(phase)).c_str(),
                             static_cast<unsigned long long>(seed), name, got, truth);
      }
    }
  }
  EXPECT_GE(within, checked * 9 / 10);
}

}  // namespace
}  // namespace escapade::bal

namespace escapade::bal {
namespace {

TEST(Analyze, NegativeControlSetsTheCd19AndCd22Cuts) {
  // The control tube: a sample of the same instrument whose CD19 and CD22 channels carry
  // unstained-like values (the CD45 channel's negatives scaled down stand in for them).
  sim::SampleOptions o;
  o.phase = sim::Phase::remission;
  o.events = 30000;
  o.seed = 21;
  o.num_threads = 1;
  const auto s = sim::simulate_sample(o);
  fcs::DataSet control = s.data_set;
  const Panel panel = builtin_panel();
  const auto markers = resolve_markers(panel, control);
  for (const char* m : {"CD19", "CD22"}) {
    auto column = control.events.channel(control.events.index_of(markers.channel(m)));
    for (std::size_t i = 0; i < column.size(); ++i) column[i] = static_cast<double>((i * 37) % 101) - 50.0;
  }
  AnalysisOptions with;
  with.negative_control = &control;
  const Analysis a = analyze(s.data_set, panel, "s", with);
  const Analysis plain = analyze(s.data_set, panel, "s", {});
  for (const auto& c : a.cuts) {
    if (c.name != "CD19" && c.name != "CD22") continue;
    EXPECT_EQ(c.method, autogate::ThresholdMethod::negative_reference) << c.name;
    EXPECT_NE(c.evidence.find("99.5th percentile"), std::string::npos) << c.evidence;
    // Unstained values of ±50 sit far below any stained positive: the cut is low.
    EXPECT_LT(c.data_value, 100.0) << c.name;
  }
  // The CD19 cut is exactly the 99.5th percentile (R type 7) of the control's CD19 values
  // within the control's CD34+ SSC-low events, gated with the sample's own plan.
  gate::Dimension d19;
  for (const auto& d : a.plan.dimensions()) {
    if (d.channel == markers.channel("CD19")) d19 = d;
  }
  gate::ApplyOptions ao;
  ao.file_spillover = &*control.spillover;
  const auto r = gate::apply(a.plan, control.events, ao);
  const auto v = gate::dimension_values(a.plan, control.events, d19, ao);
  std::vector<double> x;
  for (const std::size_t i : r.membership("cd34").indices()) x.push_back(v[i]);
  const Cut* c19 = nullptr;
  for (const auto& c : a.cuts) {
    if (c.name == "CD19") c19 = &c;
  }
  ASSERT_NE(c19, nullptr);
  EXPECT_DOUBLE_EQ(c19->value, autogate::quantile(x, 0.995));
  // Without the control the cuts come from the data.
  for (const auto& c : plain.cuts) {
    if (c.name == "CD19" || c.name == "CD22") {
      EXPECT_EQ(c.evidence.find("99.5th percentile of"), std::string::npos);
    }
  }
}

// Worlds the default simulator never makes, scored as bal-dev-score scores the
// independent generator's tubes: the CD34+ denominator within 15 % (+20 events) of the true
// CD34+ live singlets, and the pre-escape % of CD34+ within max(0.5 points, 10 %) of the
// ideal analyst's or nearer the labels than it.
std::string cuts_of(const Analysis& a) {
  std::string out;
  for (const auto& c : a.cuts) out += "\n  " + c.name + ": " + c.evidence;
  return out;
}

struct World {
  std::string name;
  sim::Phase phase;
  sim::Variation variation;
};

TEST(Analyze, HoldsInWorldsTheDefaultSimulatorNeverMakes) {
  std::vector<World> worlds;
  sim::Variation v;
  v.blast_cd34neg_fraction = 1.0;  // CD34− B-ALL: the CD34+ cells are the normal progenitors
  worlds.push_back({"CD34- blasts", sim::Phase::diagnosis, v});
  v = {};
  v.blast_cd45_negative = true;
  worlds.push_back({"CD45- blasts", sim::Phase::diagnosis, v});
  v = {};
  v.normal_cd34_factor = 0;  // dominant CD19+ blasts, no normal CD34+ cells
  worlds.push_back({"no normal CD34+", sim::Phase::diagnosis, v});
  v = {};
  v.no_viability_dye = true;
  worlds.push_back({"no viability dye", sim::Phase::remission, v});
  v = {};
  v.range_bits = 24;
  worlds.push_back({"2^24 range", sim::Phase::relapse, v});
  v = {};
  v.b_cell_aplasia = true;
  worlds.push_back({"B-cell aplasia", sim::Phase::remission, v});
  v = {};
  v.range_bits = 24;  // negatives flat-topped across the logicle's wide linear zone
  worlds.push_back({"2^24 range, dominant blasts", sim::Phase::diagnosis, v});
  v = {};
  v.normal_cd34_factor = 1.3;  // regenerating myeloid progenitors, autofluorescent in CD22
  v.no_viability_dye = true;
  worlds.push_back({"regenerating progenitors, no viability dye", sim::Phase::remission, v});
  v = {};
  v.hematogone_factor = 4.5;  // hematogones and lymphocytes form one bright CD45 peak
  v.normal_cd34_factor = 2.8;
  v.no_viability_dye = true;
  worlds.push_back({"hematogone-rich regenerating marrow", sim::Phase::remission, v});
  const Panel panel = builtin_panel();
  for (const auto& w : worlds) {
    for (std::uint64_t seed : {31, 32}) {
      sim::SampleOptions o;
      o.phase = w.phase;
      o.seed = seed;
      o.events = 60000;
      o.num_threads = 1;
      o.variation = w.variation;
      const auto s = sim::simulate_sample(o);
      const auto ideal = sim::ideal_analyst(s);
      const Analysis a = analyze(s.data_set, panel, "sim", {});
      std::size_t cd34 = 0;
      for (const char* q : {"pre_escape", "b_committed", "cd19_only", "non_b"}) cd34 += a.find(q)->events;
      EXPECT_LE(std::abs(static_cast<double>(cd34) - static_cast<double>(ideal.cd34)),
                0.15 * static_cast<double>(ideal.cd34) + 20)
          << w.name << " seed " << seed << ": CD34+ " << cd34 << ", true " << ideal.cd34 << cuts_of(a);
      // As bal-dev-score reads it: no percentage (fewer CD34+ events than the LOD) is 0.
      const double pct = a.find("pre_escape")->pct_of_cd34;
      const double ours = std::isfinite(pct) ? pct : 0.0;
      const double labels = ideal.cd34 == 0 ? 0
                                            : 100.0 * static_cast<double>(s.truth.set("pre_escape").count) /
                                                  static_cast<double>(ideal.cd34);
      const double best = ideal.pre_escape_pct_of_cd34();
      EXPECT_TRUE(std::abs(ours - best) <= std::max(0.5, 0.1 * best) || std::abs(ours - labels) <= std::abs(best - labels))
          << w.name << " seed " << seed << ": pre-escape " << ours << "%, ideal analyst " << best << "%, labels " << labels << "%"
          << cuts_of(a);
    }
  }
}

// Scenarios of the benchmark's random worlds that failed before a method change, scored the
// same way (against the ideal analyst the simulator computes from its labels):
//  * 900302, 900146, 900026: dim pre-escape cells form a density peak of their own above
//    CD19− CD34+ negatives whose spillover-spread lower tail made their estimated limit
//    reach past that peak (all three reported 0 pre-escape; the ideal analyst 1.2–9.7 %);
//  * 900050: B cells brighter in CD45 than T cells, so the lymphocytes' CD45 valley fell
//    between them and the T/NK reference was B cells (pre-escape 2,508 events → 0).
TEST(Analyze, HoldsInBenchmarkWorldsThatOnceFailed) {
  const Panel panel = builtin_panel();
  for (std::uint64_t seed : {900302, 900146, 900026, 900050}) {
    const auto s = sim::simulate_sample(sim::benchmark_scenario(seed));
    const auto ideal = sim::ideal_analyst(s);
    const Analysis a = analyze(s.data_set, panel, "sim", {});
    const double pct = a.find("pre_escape")->pct_of_cd34;
    const double ours = std::isfinite(pct) ? pct : 0.0;
    const double labels = 100.0 * static_cast<double>(s.truth.set("pre_escape").count) / static_cast<double>(ideal.cd34);
    const double best = ideal.pre_escape_pct_of_cd34();
    EXPECT_TRUE(std::abs(ours - best) <= std::max(0.5, 0.1 * best) || std::abs(ours - labels) <= std::abs(best - labels))
        << "seed " << seed << ": pre-escape " << ours << "%, ideal analyst " << best << "%, labels " << labels << "%" << cuts_of(a);
  }
}

}  // namespace
}  // namespace escapade::bal
