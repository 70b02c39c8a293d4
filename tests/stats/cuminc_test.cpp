#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/stats/survival.hpp"

namespace stats = escapade::stats;

TEST(StatsCuminc, SingleGroupByHand) {
  // n = 4: cause 1 at t = 1 (1/4), cause 2 at t = 2, cause 1 at t = 3 with S(3-) = 1/2 and
  // 2 at risk (+1/4), censored at 4.
  const std::vector<double> t{1, 2, 3, 4};
  const std::vector<int> s{1, 2, 1, 0};
  const stats::CumincResult r = stats::cuminc(t, s, {}, {.timepoints = {3.5, 0.5, 5}});
  EXPECT_FALSE(r.grouped);
  EXPECT_TRUE(r.tests.empty());
  ASSERT_EQ(r.causes, (std::vector<int>{1, 2}));
  const stats::CumincCurve& c1 = r.curves[0];
  EXPECT_EQ(c1.time, (std::vector<double>{0, 1, 1, 3, 3, 4}));
  EXPECT_EQ(c1.est, (std::vector<double>{0, 0, 0.25, 0.25, 0.5, 0.5}));
  EXPECT_EQ(r.at_event_times[0].time, (std::vector<double>{1, 3}));
  // Gray's delta-method variance after a first single jump is 1/n² (cmprsk gives 1/49 at
  // n = 7 in cuminc-s02).
  EXPECT_NEAR(c1.var[2], 1.0 / 16, 1e-15);
  ASSERT_EQ(r.timepoint_times, (std::vector<double>{0.5, 3.5, 5}));
  EXPECT_EQ(r.timepoints[0].est[0], 0.0);
  EXPECT_EQ(r.timepoints[0].est[1], 0.5);
  EXPECT_TRUE(std::isnan(r.timepoints[0].est[2]));  // beyond the last follow-up
}

TEST(StatsCuminc, GroupWithoutEventsOfACauseIsFlat) {
  const std::vector<double> t{1, 2, 3, 1, 2, 3};
  const std::vector<int> s{1, 2, 0, 2, 2, 0};
  const std::vector<std::string> g{"A", "A", "A", "B", "B", "B"};
  const stats::CumincResult r = stats::cuminc(t, s, g);
  ASSERT_EQ(r.groups, (std::vector<std::string>{"A", "B"}));
  const stats::CumincCurve& b1 = r.curves[1];
  EXPECT_EQ(b1.group, "B");
  EXPECT_EQ(b1.cause, 1);
  EXPECT_EQ(b1.time, (std::vector<double>{0, 3}));
  EXPECT_EQ(b1.est, (std::vector<double>{0, 0}));
  ASSERT_EQ(r.tests.size(), 2u);
  EXPECT_EQ(r.tests[0].df, 1);
}

TEST(StatsCuminc, RejectsNoFailures) {
  try {
    (void)stats::cuminc(std::vector<double>{1, 2}, std::vector<int>{0, 0}, {});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_NE(e.reason().find("no failures"), std::string::npos);
  }
}
