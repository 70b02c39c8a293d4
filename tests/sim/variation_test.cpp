// Tests of sim::Variation and the ideal analyst: each departure from the default
// world changes what it says and nothing else, and the ideal analyst follows its definition
// (bal_dev's truth.json: thresholds at the 99.5th percentile of the true negatives).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::sim {
namespace {

SampleOptions base(std::uint64_t seed) {
  SampleOptions o;
  o.phase = Phase::diagnosis;
  o.events = 30000;
  o.seed = seed;
  o.num_threads = 1;
  return o;
}

std::string channel(const SimulatedSample& s, std::string_view marker) {
  for (const auto& [m, c] : s.marker_channels) {
    if (m == marker) return c;
  }
  return {};
}

TEST(SimVariation, DefaultIsTheDefaultWorld) {
  // An untouched Variation leaves every value as before (same seed, same bytes).
  const auto a = simulate_sample(base(7));
  SampleOptions o = base(7);
  o.variation = Variation{};
  const auto b = simulate_sample(o);
  ASSERT_EQ(a.data_set.events.event_count(), b.data_set.events.event_count());
  for (std::size_t c = 0; c < a.data_set.events.channel_count(); ++c) {
    const auto x = a.data_set.events.channel(c);
    const auto y = b.data_set.events.channel(c);
    EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin())) << c;
  }
  EXPECT_EQ(a.labels, b.labels);
}

TEST(SimVariation, Cd34NegativeBlastsLeaveTheCd34Denominator) {
  SampleOptions o = base(11);
  o.blast_pct = 60;
  o.variation.blast_cd34neg_fraction = 1.0;
  const auto s = simulate_sample(o);
  const std::size_t cd34neg = s.truth.counts[static_cast<std::size_t>(Population::blast_cd34neg)];
  EXPECT_GT(cd34neg, 1000U);
  EXPECT_EQ(s.truth.counts[static_cast<std::size_t>(Population::blast)], 0U);
  // Not in the CD34+ denominator, but leukocytes and blasts.
  const auto& cd34 = s.truth.set("cd34").labels;
  EXPECT_EQ(std::count(cd34.begin(), cd34.end(), Population::blast_cd34neg), 0);
  const auto& blasts = s.truth.set("blasts").labels;
  EXPECT_EQ(std::count(blasts.begin(), blasts.end(), Population::blast_cd34neg), 1);
  // Their compensated CD34 is that of negatives: below a tenth of the CD34+ blasts' median.
  const comp::Compensation comp(*s.data_set.spillover);
  const auto view = comp.view(s.data_set.events);
  const std::size_t n = s.data_set.events.event_count();
  const std::size_t dim[1] = {view.index_of(channel(s, "CD34"))};
  std::vector<double> v(n);
  view.fill(0, n, dim, v);
  std::vector<double> neg, hsc;
  for (std::size_t e = 0; e < n; ++e) {
    if (s.labels[e] == static_cast<std::uint8_t>(Population::blast_cd34neg)) neg.push_back(v[e]);
    if (s.labels[e] == static_cast<std::uint8_t>(Population::hsc_mpp)) hsc.push_back(v[e]);
  }
  std::sort(neg.begin(), neg.end());
  std::sort(hsc.begin(), hsc.end());
  ASSERT_FALSE(hsc.empty());
  EXPECT_LT(neg[neg.size() / 2], 0.1 * hsc[hsc.size() / 2]);
}

TEST(SimVariation, NoViabilityDyeRangeAndShuffledFluorochromes) {
  SampleOptions o = base(13);
  o.variation.no_viability_dye = true;
  o.variation.range_bits = 22;
  o.variation.shuffle_fluorochromes = true;
  const auto s = simulate_sample(o);
  const auto plain = simulate_sample(base(13));
  // The viability detector is gone, from the parameters and the spillover matrix.
  EXPECT_EQ(s.data_set.parameters.size() + 1, plain.data_set.parameters.size());
  EXPECT_EQ(s.data_set.spillover->detectors().size() + 1, plain.data_set.spillover->detectors().size());
  for (const auto& [m, c] : s.marker_channels) EXPECT_NE(m, "Viability");
  // Every fluorescence parameter has the 2^22 range.
  for (const auto& p : s.data_set.parameters) {
    if (p.stain.empty()) continue;
    EXPECT_EQ(p.range, 4194304.0) << p.name;
  }
  // Each marker is on one detector, and each stain names its marker.
  std::set<std::string> markers, channels;
  for (const auto& [m, c] : s.marker_channels) {
    markers.insert(m);
    channels.insert(c);
    const auto p = s.data_set.find_parameter(c);
    ASSERT_TRUE(p.has_value()) << c;
    EXPECT_NE(s.data_set.parameters[*p].stain.find(m), std::string::npos) << m << " on " << c;
  }
  EXPECT_EQ(markers.size(), s.marker_channels.size());
  EXPECT_EQ(channels.size(), s.marker_channels.size());
  // The shuffle moved at least one marker to another detector.
  std::size_t moved = 0;
  for (const auto& [m, c] : s.marker_channels) moved += channel(plain, m) != c;
  EXPECT_GT(moved, 0U);
}

TEST(SimVariation, AplasiaHasNoNormalBCells) {
  SampleOptions o = base(17);
  o.phase = Phase::remission;
  o.variation.b_cell_aplasia = true;
  const auto s = simulate_sample(o);
  for (auto p : {Population::b_mature, Population::hematogone, Population::b_progenitor}) {
    EXPECT_EQ(s.truth.counts[static_cast<std::size_t>(p)], 0U) << to_string(p);
  }
}

TEST(SimVariation, OutOfRangeKnobsAreErrors) {
  SampleOptions o = base(1);
  o.variation.range_bits = 30;
  EXPECT_THROW((void)resolve_scenario(o), InputError);
  o = base(1);
  o.variation.pre_escape_cd22_factor = 0;
  EXPECT_THROW((void)resolve_scenario(o), InputError);
  o = base(1);
  o.variation.blast_cd34neg_fraction = 1.5;
  EXPECT_THROW((void)resolve_scenario(o), InputError);
}

TEST(SimVariation, RandomWorldsDifferAndRepeat) {
  const Variation a = Variation::random(1), b = Variation::random(1), c = Variation::random(2);
  EXPECT_EQ(a.phenotype_sdlog, b.phenotype_sdlog);
  EXPECT_EQ(a.range_bits, b.range_bits);
  EXPECT_NE(a.phenotype_sdlog, c.phenotype_sdlog);
  // Every drawn world is valid.
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    SampleOptions o = base(seed);
    o.variation = Variation::random(seed);
    EXPECT_NO_THROW((void)resolve_scenario(o)) << seed;
  }
}

TEST(IdealAnalyst, FollowsItsDefinition) {
  SampleOptions o = base(21);
  o.pre_escape_pct = 5;
  const auto s = simulate_sample(o);
  const IdealAnalyst a = ideal_analyst(s);
  // Perfect upstream gating: the true CD34+ live singlets, split into four quadrants.
  EXPECT_EQ(a.cd34, s.truth.set("cd34").count);
  EXPECT_EQ(a.pre_escape + a.b_committed + a.cd19_only + a.non_b, a.cd34);
  // Thresholds at the 99.5th percentile of the true negatives: about 0.5 % of them above.
  const comp::Compensation comp(*s.data_set.spillover);
  const auto view = comp.view(s.data_set.events);
  const std::size_t n = s.data_set.events.event_count();
  const std::size_t dims[2] = {view.index_of(channel(s, "CD19")), view.index_of(channel(s, "CD22"))};
  std::vector<double> v(2 * n);
  view.fill(0, n, dims, v);
  std::size_t negatives = 0, above = 0;
  for (std::size_t e = 0; e < n; ++e) {
    const auto p = static_cast<Population>(s.labels[e]);
    if (p == Population::hsc_mpp || p == Population::myeloid_progenitor || p == Population::pre_escape) {
      ++negatives;
      above += v[e] > a.cd19_threshold;
    }
  }
  ASSERT_GT(negatives, 200U);
  EXPECT_LE(above, negatives / 200 + 1);
  // Most true pre-escape cells are recovered (their CD22 is above the CD22− cells').
  EXPECT_GT(static_cast<double>(a.pre_escape), 0.8 * static_cast<double>(s.truth.set("pre_escape").count));
  EXPECT_NEAR(a.pre_escape_pct_of_cd34(), 100.0 * static_cast<double>(a.pre_escape) / static_cast<double>(a.cd34), 1e-12);
}

}  // namespace
}  // namespace escapade::sim
