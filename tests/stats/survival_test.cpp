#include "libescapade/stats/survival.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"

namespace stats = escapade::stats;

TEST(StatsKaplanMeier, AllEventsByHand) {
  const std::vector<double> t{3, 1, 2};
  const std::vector<int> s{1, 1, 1};
  const stats::KaplanMeierCurve km = stats::kaplan_meier(t, s);
  ASSERT_EQ(km.time.size(), 3u);
  EXPECT_EQ(km.time[0], 1.0);
  EXPECT_EQ(km.n_risk[0], 3u);
  EXPECT_NEAR(km.surv[0], 2.0 / 3, 1e-15);
  EXPECT_NEAR(km.surv[1], 1.0 / 3, 1e-15);
  EXPECT_EQ(km.surv[2], 0.0);
  EXPECT_NEAR(km.std_err_log_surv[0], std::sqrt(1.0 / 6), 1e-15);
  EXPECT_TRUE(std::isinf(km.std_err_log_surv[2]));
  EXPECT_TRUE(std::isnan(km.std_err_surv[2]));
  EXPECT_TRUE(std::isnan(km.lower[2]));
  EXPECT_TRUE(std::isnan(km.upper[2]));
  EXPECT_EQ(km.median, 2.0);
}

TEST(StatsKaplanMeier, CensoringTiedWithEventsIsAtRisk) {
  const std::vector<double> t{2, 2, 3};
  const std::vector<int> s{1, 0, 1};
  const stats::KaplanMeierCurve km = stats::kaplan_meier(t, s);
  ASSERT_EQ(km.time.size(), 2u);
  EXPECT_EQ(km.n_risk[0], 3u);
  EXPECT_EQ(km.n_event[0], 1u);
  EXPECT_EQ(km.n_censor[0], 1u);
  EXPECT_NEAR(km.surv[0], 2.0 / 3, 1e-15);
}

TEST(StatsKaplanMeier, MedianOnAHalfPlateau) {
  // S = 0.75, 0.5, 0.25, 0: S is 0.5 from t = 2 until the drop at 3.
  const stats::KaplanMeierCurve a = stats::kaplan_meier(std::vector<double>{1, 2, 3, 4}, std::vector<int>{1, 1, 1, 1});
  EXPECT_EQ(a.median, 2.5);
  // S stays 0.5 until the last (censored) time 4: the median is (2 + 4)/2.
  const stats::KaplanMeierCurve b = stats::kaplan_meier(std::vector<double>{1, 2, 3, 4}, std::vector<int>{1, 1, 0, 0});
  EXPECT_EQ(b.median, 3.0);
  // Never reaching 0.5.
  const stats::KaplanMeierCurve c = stats::kaplan_meier(std::vector<double>{1, 2, 3, 4}, std::vector<int>{1, 0, 0, 0});
  EXPECT_TRUE(std::isnan(c.median));
}

TEST(StatsKaplanMeier, RejectsBadStatusAndEmptyInput) {
  try {
    (void)stats::kaplan_meier(std::vector<double>{1, 2}, std::vector<int>{1, 2});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::invalid_argument);
    EXPECT_EQ(e.where(), "kaplan_meier");
    EXPECT_NE(e.reason().find("status[1] is 2"), std::string::npos);
  }
  EXPECT_THROW((void)stats::kaplan_meier(std::vector<double>{}, std::vector<int>{}), escapade::InputError);
  EXPECT_THROW((void)stats::kaplan_meier(std::vector<double>{1}, std::vector<int>{1, 0}), escapade::InputError);
}

TEST(StatsLogRank, IdenticalGroupsGiveZero) {
  const std::vector<double> t{1, 2, 3, 1, 2, 3};
  const std::vector<int> s{1, 1, 0, 1, 1, 0};
  const std::vector<std::string> g{"b", "b", "b", "a", "a", "a"};
  const stats::LogRankResult r = stats::logrank_test(t, s, g);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0], "a");
  EXPECT_EQ(r.n[0], 3u);
  EXPECT_EQ(r.observed[0], 2.0);
  EXPECT_NEAR(r.expected[0], 2.0, 1e-15);
  EXPECT_NEAR(r.chisq, 0.0, 1e-15);
  EXPECT_EQ(r.df, 1);
  EXPECT_NEAR(r.variance[0][0], -r.variance[0][1], 1e-15);
}

TEST(StatsLogRank, NeedsTwoGroups) {
  try {
    (void)stats::logrank_test(std::vector<double>{1, 2}, std::vector<int>{1, 1}, std::vector<std::string>{"a", "a"});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_NE(e.reason().find("at least 2 groups"), std::string::npos);
  }
}
