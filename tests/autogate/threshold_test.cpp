// Data-driven thresholds on mixtures whose separating point is known analytically: for two
// normal populations the density minimum lies between them and moves with their sizes;
// each property is checked over several seeds, not tuned to one.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "libescapade/autogate/autogate.hpp"
#include "libescapade/base/error.hpp"

namespace escapade::autogate {
namespace {

std::vector<double> mixture(std::uint64_t seed, std::size_t n_neg, double mu_neg, double sd_neg, std::size_t n_pos,
                            double mu_pos, double sd_pos) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> neg(mu_neg, sd_neg), pos(mu_pos, sd_pos);
  std::vector<double> x;
  for (std::size_t i = 0; i < n_neg; ++i) x.push_back(neg(rng));
  for (std::size_t i = 0; i < n_pos; ++i) x.push_back(pos(rng));
  return x;
}

// The point between the two means where the two weighted normal densities are equal.
double crossing(double w1, double m1, double s1, double w2, double m2, double s2) {
  double lo = m1, hi = m2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    const double f1 = w1 / s1 * std::exp(-0.5 * std::pow((mid - m1) / s1, 2));
    const double f2 = w2 / s2 * std::exp(-0.5 * std::pow((mid - m2) / s2, 2));
    (f1 > f2 ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

TEST(Density, IntegratesToOneAndPeaksAtTheMode) {
  const auto x = mixture(1, 20000, 0.3, 0.05, 0, 0, 1);
  const Density d = estimate_density(x);
  double integral = 0;
  for (const double v : d.values) integral += v * d.step;
  EXPECT_NEAR(integral, 1.0, 0.01);
  const auto peaks = find_peaks(d);
  ASSERT_EQ(peaks.size(), 1U);
  EXPECT_NEAR(peaks[0].position, 0.3, 0.01);
  // Silverman's rule: 0.9 · σ · n^(−1/5) for a normal sample.
  EXPECT_NEAR(d.bandwidth, 0.9 * 0.05 * std::pow(20000.0, -0.2), 0.0005);
}

TEST(ValleyThreshold, FindsTheMinimumBetweenTwoPopulations) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    for (const double pos_share : {0.5, 0.2, 0.05}) {
      const std::size_t n = 20000;
      const auto n_pos = static_cast<std::size_t>(pos_share * n);
      const auto x = mixture(seed, n - n_pos, 0.25, 0.05, n_pos, 0.70, 0.06);
      const Threshold t = valley_threshold(x);
      const double truth = crossing(1 - pos_share, 0.25, 0.05, pos_share, 0.70, 0.06);
      EXPECT_EQ(t.method, ThresholdMethod::valley) << seed << " " << pos_share;
      EXPECT_NEAR(t.value, truth, 0.04) << seed << " " << pos_share;
      EXPECT_NEAR(t.negative_peak, 0.25, 0.02);
      EXPECT_NEAR(t.positive_peak, 0.70, 0.03);
      EXPECT_FALSE(t.weak) << t.evidence();
      EXPECT_LT(t.valley_depth, 0.2);
    }
  }
}

TEST(ValleyThreshold, OnePopulationCutsAboveItsTail) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto x = mixture(seed, 20000, 0.25, 0.05, 0, 0, 1);
    const Threshold t = valley_threshold(x);
    EXPECT_EQ(t.method, ThresholdMethod::negative_tail);
    // Mode + 3 SD of the lower half: 0.40 for this population.
    EXPECT_NEAR(t.value, 0.40, 0.03) << seed;
    EXPECT_NE(t.evidence().find("one peak"), std::string::npos);
  }
}

TEST(ValleyThreshold, RarePositivesAboveANegativePeak) {
  // 0.5 % positives far above: too few for a peak of 5 % prominence, and the tail cut
  // still separates them.
  const auto x = mixture(7, 19900, 0.25, 0.05, 100, 0.8, 0.05);
  const Threshold t = valley_threshold(x);
  std::size_t above = 0;
  for (std::size_t i = 19900; i < x.size(); ++i) above += x[i] >= t.value;
  EXPECT_GE(above, 99U);
  std::size_t false_pos = 0;
  for (std::size_t i = 0; i < 19900; ++i) false_pos += x[i] >= t.value;
  EXPECT_LE(false_pos, 60U);  // ≈ 0.13 % of 19,900 beyond 3 SD
}

TEST(ValleyThreshold, OverlappingPopulationsAreWeak) {
  // 70/30 at 2.5 SD apart: a shoulder or a shallow valley, never a clean cut.
  const auto x = mixture(3, 14000, 0.45, 0.06, 6000, 0.6, 0.06);
  const Threshold t = valley_threshold(x);
  EXPECT_TRUE(t.weak) << t.evidence();
  EXPECT_NE(t.evidence().find("WEAK"), std::string::npos);
  const auto few = mixture(3, 20, 0.2, 0.05, 20, 0.8, 0.05);
  EXPECT_TRUE(valley_threshold(few).weak);
}

TEST(ValleyThreshold, SearchWindowChoosesTheValley) {
  // Three populations; the window picks the upper valley.
  auto x = mixture(5, 10000, 0.1, 0.03, 10000, 0.45, 0.04);
  const auto hi = mixture(6, 0, 0, 1, 10000, 0.8, 0.04);
  x.insert(x.end(), hi.begin(), hi.end());
  ThresholdOptions o;
  o.search_min = 0.5;
  const Threshold t = valley_threshold(x, o);
  EXPECT_NEAR(t.value, 0.625, 0.04);
  o.search_min = -1;
  o.search_max = 0.4;
  EXPECT_NEAR(valley_threshold(x, o).value, 0.275, 0.04);
}

TEST(ReferenceThreshold, QuantileOfNegatives) {
  std::vector<double> neg;
  for (int i = 0; i <= 1000; ++i) neg.push_back(i / 1000.0);
  const Threshold t = reference_threshold(neg, 0.99, 0.01);
  EXPECT_DOUBLE_EQ(t.value, 0.99 + 0.01);
  EXPECT_EQ(t.method, ThresholdMethod::negative_reference);
  EXPECT_THROW((void)reference_threshold(neg, 1.0), InputError);
  EXPECT_THROW((void)reference_threshold(std::vector<double>{1.0}), InputError);
}

TEST(SingletCut, DoubletsHaveLargerAreaForTheirHeight) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> height(60000, 15000), ratio(1.1, 0.03), doublet_ratio(1.9, 0.15);
    std::vector<double> a, h;
    for (int i = 0; i < 19000; ++i) {
      h.push_back(height(rng));
      a.push_back(h.back() * ratio(rng));
    }
    for (int i = 0; i < 1000; ++i) {
      h.push_back(height(rng));
      a.push_back(h.back() * doublet_ratio(rng));
    }
    const SingletCut c = singlet_cut(a, h);
    EXPECT_NEAR(c.median_ratio, 1.1, 0.01);
    EXPECT_NEAR(c.robust_sd, 0.03, 0.005);
    std::size_t singlets_kept = 0, doublets_kept = 0;
    for (int i = 0; i < 20000; ++i) (i < 19000 ? singlets_kept : doublets_kept) += a[i] / h[i] < c.max_ratio;
    EXPECT_GT(singlets_kept, 18900U);
    EXPECT_LT(doublets_kept, 5U);
    EXPECT_FALSE(c.weak);
  }
  EXPECT_THROW((void)singlet_cut(std::vector<double>{1, 2}, std::vector<double>{1}), InputError);
}

TEST(Quantile, RType7) {
  const std::vector<double> x{1, 2, 4, 8, 16, NAN};
  EXPECT_DOUBLE_EQ(quantile(x, 0.1587), 1.6348);
  EXPECT_THROW((void)quantile(x, 1.5), InputError);
}

// The reach of one side: 99 % of a Gaussian side lies within 2.5758 SDs; 99 % of the lower
// half of a uniform [0, 1] lies within 0.495 of its middle, where 2.5758 × the 68th
// percentile distance (0.878) overshoots by 77 %. Few values fall back to the Gaussian scale.
TEST(SideReach, IsTheNinetyNinthPercentileDistanceWhateverTheShape) {
  for (std::uint64_t seed : {3, 4, 5}) {
    const auto g = mixture(seed, 200000, 0, 1, 0, 0, 1);
    EXPECT_NEAR(side_reach(g, 0, false), 2.5758, 0.05);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> flat(200000);
    for (auto& v : flat) v = u(rng);
    EXPECT_NEAR(side_reach(flat, 0.5, false), 0.495, 0.005);
    EXPECT_NEAR(2.5758 * side_spread(flat, 0.5, false), 0.879, 0.01);
  }
  const auto few = mixture(6, 100, 0, 1, 0, 0, 1);
  // A Gaussian's SD from any coverage; a flat side's 90 % distance (0.45) is 1.6449 SDs.
  const auto g = mixture(7, 200000, 0, 1, 0, 0, 1);
  EXPECT_NEAR(side_spread(g, 0, true, 0.9), 1.0, 0.02);
  EXPECT_NEAR(side_spread(g, 0, false, 0.5), 1.0, 0.02);
  std::vector<double> flat(200000);
  for (std::size_t i = 0; i < flat.size(); ++i) flat[i] = (static_cast<double>(i) + 0.5) / static_cast<double>(flat.size());
  EXPECT_NEAR(side_spread(flat, 0.5, false, 0.9), 0.45 / 1.6448536, 1e-4);
  EXPECT_DOUBLE_EQ(side_reach(few, 0, false), 2.5758293035489 * side_spread(few, 0, false));
  EXPECT_TRUE(std::isnan(side_reach(std::vector<double>{1.0}, 0, false)));
}

// The mode of a skewed sample sits at its density peak, not its median: a log-normal with
// σ = 0.5 has its mode at e^(−0.25) = 0.779 and its median at 1.
TEST(Mode, IsTheDensityPeakNotTheMedian) {
  for (std::uint64_t seed : {7, 8, 9}) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> ln(0, 0.5);
    std::vector<double> x(100000);
    for (auto& v : x) v = ln(rng);
    EXPECT_NEAR(mode(x), std::exp(-0.25), 0.05);
    EXPECT_NEAR(quantile(x, 0.5), 1.0, 0.02);
  }
}

}  // namespace
}  // namespace escapade::autogate
