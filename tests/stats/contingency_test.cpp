#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/stats/tests.hpp"

namespace stats = escapade::stats;

TEST(StatsFisherExact, TeaTastingByHand) {
  // Margins 4/4/4: P(a) = 1, 16, 36, 16, 1 over 70.
  const stats::FisherResult r = stats::fisher_exact_2x2({{{3, 1}, {1, 3}}});
  EXPECT_NEAR(r.p_two_sided, 34.0 / 70, 1e-14);
  EXPECT_NEAR(r.p_greater, 17.0 / 70, 1e-14);
  EXPECT_NEAR(r.p_less, 69.0 / 70, 1e-14);
  EXPECT_EQ(r.p_value, r.p_two_sided);
  EXPECT_EQ(r.sample_odds_ratio, 9.0);
  EXPECT_LT(r.conf_int[0], r.odds_ratio);
  EXPECT_GT(r.conf_int[1], r.odds_ratio);
}

TEST(StatsFisherExact, SymmetricTableHasOddsRatioOne) {
  const stats::FisherResult r = stats::fisher_exact_2x2({{{5, 5}, {5, 5}}});
  EXPECT_NEAR(r.odds_ratio, 1.0, 1e-12);
  // The interval is symmetric on the log scale.
  EXPECT_NEAR(std::log(r.conf_int[0]), -std::log(r.conf_int[1]), 1e-9);
}

TEST(StatsFisherExact, OneSidedIntervalsHaveAnOpenBound) {
  const stats::FisherResult less =
      stats::fisher_exact_2x2({{{6, 2}, {3, 9}}}, {.alternative = stats::Alternative::less});
  EXPECT_EQ(less.conf_int[0], 0.0);
  EXPECT_EQ(less.p_value, less.p_less);
  const stats::FisherResult greater =
      stats::fisher_exact_2x2({{{6, 2}, {3, 9}}}, {.alternative = stats::Alternative::greater});
  EXPECT_TRUE(std::isinf(greater.conf_int[1]));
  EXPECT_EQ(greater.p_value, greater.p_greater);
}

TEST(StatsFisherExact, ZeroMarginIsDegenerate) {
  const stats::FisherResult r = stats::fisher_exact_2x2({{{0, 5}, {0, 5}}});
  EXPECT_EQ(r.p_two_sided, 1.0);
  EXPECT_EQ(r.p_less, 1.0);
  EXPECT_EQ(r.p_greater, 1.0);
  EXPECT_TRUE(std::isnan(r.odds_ratio));
  EXPECT_TRUE(std::isnan(r.sample_odds_ratio));
  EXPECT_EQ(r.conf_int[0], 0.0);
  EXPECT_TRUE(std::isinf(r.conf_int[1]));
}

TEST(StatsFisherExact, ExtremeCellsGiveZeroOrInfinity) {
  const stats::FisherResult zero = stats::fisher_exact_2x2({{{0, 10}, {7, 3}}});
  EXPECT_EQ(zero.odds_ratio, 0.0);
  EXPECT_EQ(zero.conf_int[0], 0.0);
  const stats::FisherResult top = stats::fisher_exact_2x2({{{3, 0}, {0, 4}}});
  EXPECT_TRUE(std::isinf(top.odds_ratio));
  EXPECT_TRUE(std::isinf(top.sample_odds_ratio));
  EXPECT_TRUE(std::isinf(top.conf_int[1]));
}

TEST(StatsFisherExact, RejectsNegativeCountsAndBadLevels) {
  try {
    (void)stats::fisher_exact_2x2({{{-1, 2}, {3, 4}}});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::invalid_argument);
    EXPECT_EQ(e.where(), "fisher_exact_2x2");
    EXPECT_NE(e.reason().find("non-negative"), std::string::npos);
  }
  EXPECT_THROW((void)stats::fisher_exact_2x2({{{1, 2}, {3, 4}}}, {.conf_level = 1.0}), escapade::InputError);
}

TEST(StatsChiSquare, YatesCorrectionCapsAtHalf) {
  // E = 0.5 in every cell, |O - E| = 0.5: corrected X² = 0, uncorrected X² = 2.
  const std::vector<std::vector<double>> t{{1, 0}, {0, 1}};
  const stats::ChiSquareResult corrected = stats::chisq_test(t);
  EXPECT_TRUE(corrected.corrected);
  EXPECT_EQ(corrected.statistic, 0.0);
  EXPECT_EQ(corrected.p_value, 1.0);
  const stats::ChiSquareResult plain = stats::chisq_test(t, {.correct = false});
  EXPECT_DOUBLE_EQ(plain.statistic, 2.0);
  EXPECT_EQ(plain.df, 1);
  EXPECT_EQ(plain.expected[0][0], 0.5);
}

TEST(StatsChiSquare, NoCorrectionBeyondTwoByTwo) {
  const std::vector<std::vector<double>> t{{10, 20, 30}, {20, 20, 20}};
  const stats::ChiSquareResult a = stats::chisq_test(t);
  const stats::ChiSquareResult b = stats::chisq_test(t, {.correct = false});
  EXPECT_FALSE(a.corrected);
  EXPECT_EQ(a.statistic, b.statistic);
  EXPECT_EQ(a.df, 2);
  EXPECT_DOUBLE_EQ(a.expected[0][0], 60.0 * 30 / 120);
}

TEST(StatsChiSquare, RejectsRaggedAndEmptyTables) {
  try {
    (void)stats::chisq_test({{1, 2}, {3}});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.where(), "chisq_test");
    EXPECT_NE(e.reason().find("row 1 has 1 columns"), std::string::npos);
  }
  EXPECT_THROW((void)stats::chisq_test({{0, 0}, {0, 0}}), escapade::InputError);
  EXPECT_THROW((void)stats::chisq_test({{1, 2}}), escapade::InputError);
}

TEST(StatsChiSquare, ZeroMarginGivesMissingStatistic) {
  const stats::ChiSquareResult r = stats::chisq_test({{0, 3}, {0, 4}}, {.correct = false});
  EXPECT_TRUE(std::isnan(r.statistic));
  EXPECT_TRUE(std::isnan(r.p_value));
}
