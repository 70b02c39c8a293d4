#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/stats/tests.hpp"

namespace stats = escapade::stats;
using stats::Alternative;
using stats::RankMethod;

TEST(StatsMannWhitney, SeparatedSamplesExactByHand) {
  // x entirely below y: U = 0, and only 1 of the C(6,3) = 20 splits is as extreme.
  const std::vector<double> x{1, 2, 3};
  const std::vector<double> y{4, 5, 6};
  const stats::MannWhitneyResult two = stats::mann_whitney_u(x, y);
  EXPECT_EQ(two.method_used, RankMethod::exact);
  EXPECT_EQ(two.u, 0.0);
  EXPECT_EQ(two.rank_sum_x, 6.0);
  EXPECT_EQ(two.u_min, 0.0);
  EXPECT_TRUE(std::isnan(two.z));
  EXPECT_NEAR(two.p_value, 0.1, 1e-15);
  EXPECT_NEAR(stats::mann_whitney_u(x, y, {.alternative = Alternative::less}).p_value, 0.05, 1e-15);
  EXPECT_NEAR(stats::mann_whitney_u(x, y, {.alternative = Alternative::greater}).p_value, 1.0, 1e-15);
}

TEST(StatsMannWhitney, UnequalSizesUseTheSameDistribution) {
  // x above all of y: U = n1·n2 = 8, one split of C(6, 2) = 15 as extreme.
  const std::vector<double> x{4, 5, 6, 7};
  const std::vector<double> y{1, 2};
  EXPECT_NEAR(stats::mann_whitney_u(x, y, {.alternative = Alternative::greater}).p_value, 1.0 / 15, 1e-15);
  EXPECT_NEAR(stats::mann_whitney_u(y, x, {.alternative = Alternative::less}).p_value, 1.0 / 15, 1e-15);
  EXPECT_NEAR(stats::mann_whitney_u(x, y).p_value, 2.0 / 15, 1e-15);
}

TEST(StatsMannWhitney, TiesFallBackToNormal) {
  const std::vector<double> x{1, 2, 2, 3};
  const std::vector<double> y{2, 4, 5};
  const stats::MannWhitneyResult r = stats::mann_whitney_u(x, y, {.method = RankMethod::exact});
  EXPECT_EQ(r.method_used, RankMethod::normal);
  EXPECT_FALSE(std::isnan(r.z));
  EXPECT_EQ(r.u, 2.0);  // 3 > 2 counts 1; each of the two tied 2s counts 0.5
}

TEST(StatsMannWhitney, AllTiedDataGiveMissingP) {
  const std::vector<double> x{1, 1};
  const std::vector<double> y{1, 1};
  const stats::MannWhitneyResult r = stats::mann_whitney_u(x, y);
  EXPECT_EQ(r.u, 2.0);
  EXPECT_TRUE(std::isnan(r.z));
  EXPECT_TRUE(std::isnan(r.p_value));
}

TEST(StatsMannWhitney, RejectsEmptySample) {
  try {
    (void)stats::mann_whitney_u(std::vector<double>{}, std::vector<double>{1.0});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::invalid_argument);
    EXPECT_EQ(e.where(), "mann_whitney_u");
    EXPECT_NE(e.reason().find("x is empty"), std::string::npos);
  }
}

TEST(StatsSignedRank, AllPositiveExactByHand) {
  const std::vector<double> x{2, 4, 6, 8, 10};
  const std::vector<double> y{1, 2, 3, 4, 5};
  const stats::SignedRankResult r = stats::wilcoxon_signed_rank(x, y);
  EXPECT_EQ(r.method_used, RankMethod::exact);
  EXPECT_EQ(r.v, 15.0);
  EXPECT_EQ(r.r_minus, 0.0);
  EXPECT_EQ(r.t_min, 0.0);
  EXPECT_EQ(r.n_used, 5u);
  EXPECT_NEAR(r.p_value, 2.0 / 32, 1e-15);
  EXPECT_NEAR(stats::wilcoxon_signed_rank(x, y, {.alternative = Alternative::greater}).p_value, 1.0 / 32, 1e-15);
}

TEST(StatsSignedRank, ZerosAreDroppedOrRankedByPratt) {
  const std::vector<double> x{1, 2, 3, 5, 4};
  const std::vector<double> y{1, 1, 1, 1, 4};
  const stats::SignedRankResult w = stats::wilcoxon_signed_rank(x, y);
  EXPECT_EQ(w.n_zero, 2u);
  EXPECT_EQ(w.n_used, 3u);
  EXPECT_EQ(w.v, 6.0);
  EXPECT_EQ(w.method_used, RankMethod::normal);  // zeros force the normal approximation, as in R
  const stats::SignedRankResult p = stats::wilcoxon_signed_rank(x, y, {.zero_method = stats::ZeroMethod::pratt});
  EXPECT_EQ(p.n_used, 5u);
  EXPECT_EQ(p.v, 3.0 + 4.0 + 5.0);  // the zeros take ranks 1 and 2
}

TEST(StatsSignedRank, AllZeroDifferencesAreAnError) {
  const std::vector<double> x{1, 2, 3};
  try {
    (void)stats::wilcoxon_signed_rank(x, x);
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::numeric);
    EXPECT_NE(e.reason().find("every difference x - y is zero"), std::string::npos);
  }
  EXPECT_THROW((void)stats::wilcoxon_signed_rank(x, std::vector<double>{1, 2}), escapade::InputError);
}

TEST(StatsKruskalWallis, TwoGroupsEqualSquaredMannWhitneyZ) {
  // Two implementations, one answer: with no ties, H = z² of the uncorrected rank-sum test.
  const std::vector<double> a{2.9, 3.0, 2.5, 2.6, 3.2};
  const std::vector<double> b{3.8, 2.7, 4.0, 2.4, 4.4, 5.1};
  const stats::KruskalWallisResult kw = stats::kruskal_wallis({a, b});
  const stats::MannWhitneyResult mw = stats::mann_whitney_u(a, b, {.method = RankMethod::normal, .correct = false});
  EXPECT_EQ(kw.df, 1);
  EXPECT_NEAR(kw.h, mw.z * mw.z, 1e-12);
  EXPECT_NEAR(kw.p_value, mw.p_value, 1e-12);
}

TEST(StatsKruskalWallis, AllTiedIsMissingAndOneGroupIsAnError) {
  const stats::KruskalWallisResult r = stats::kruskal_wallis({{1, 1}, {1, 1, 1}});
  EXPECT_TRUE(std::isnan(r.h));
  EXPECT_TRUE(std::isnan(r.p_value));
  try {
    (void)stats::kruskal_wallis({{1, 2, 3}});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_NE(e.reason().find("at least 2 groups"), std::string::npos);
  }
  EXPECT_THROW((void)stats::kruskal_wallis({{1, 2}, {}}), escapade::InputError);
}

TEST(StatsSpearman, PerfectMonotoneByHand) {
  const std::vector<double> x{1, 2, 3, 4, 5, 6};
  const std::vector<double> y{1.1, 2.4, 2.9, 4.2, 8.0, 9.5};
  const stats::SpearmanResult r = stats::spearman(x, y);
  EXPECT_EQ(r.rho, 1.0);
  EXPECT_EQ(r.s, 0.0);
  EXPECT_EQ(r.p_value_t, 0.0);
  EXPECT_EQ(r.method, stats::SpearmanMethod::exact_permutation);
  EXPECT_NEAR(r.p_value, 2.0 / 720, 1e-15);  // only the identity permutation has S = 0
  EXPECT_FALSE(r.ties);
}

TEST(StatsSpearman, TiesUseTheTApproximation) {
  const std::vector<double> x{1, 2, 2, 3, 4, 5};
  const std::vector<double> y{2, 1, 3, 3, 5, 4};
  const stats::SpearmanResult r = stats::spearman(x, y);
  EXPECT_TRUE(r.ties);
  EXPECT_EQ(r.method, stats::SpearmanMethod::t_approximation);
  EXPECT_EQ(r.p_value, r.p_value_t);
}

TEST(StatsSpearman, ConstantSampleHasNoCorrelation) {
  const std::vector<double> x{1, 1, 1, 1};
  const std::vector<double> y{1, 2, 3, 4};
  const stats::SpearmanResult r = stats::spearman(x, y);
  EXPECT_TRUE(std::isnan(r.rho));
  EXPECT_TRUE(std::isnan(r.p_value));
  EXPECT_THROW((void)stats::spearman(std::vector<double>{1, 2}, std::vector<double>{1, 2}), escapade::InputError);
}
