#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/stats/survival.hpp"

namespace stats = escapade::stats;

TEST(StatsCrr, FitImprovesOnTheNullAndReportsWaldIntervals) {
  const std::vector<double> t{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const std::vector<int> s{1, 2, 1, 0, 1, 2, 0, 1, 0, 2, 1, 0};
  const std::vector<double> x{1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1};
  const stats::CrrResult r = stats::crr(t, s, {"x"}, {x});
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.n, 12u);
  EXPECT_GE(r.loglik, r.loglik_null);
  ASSERT_EQ(r.coef.size(), 1u);
  EXPECT_GT(r.se[0], 0.0);
  EXPECT_NEAR(r.z[0], r.coef[0] / r.se[0], 1e-15);
  EXPECT_NEAR(std::log(r.exp_coef_ci[0][0]), r.coef[0] - 1.959963984540054 * r.se[0], 1e-12);
}

TEST(StatsCrr, RejectsMissingFailcodeAndBadShapes) {
  const std::vector<double> t{1, 2, 3};
  try {
    (void)stats::crr(t, std::vector<int>{2, 0, 2}, {"x"}, {{1, 0, 1}});
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.where(), "crr");
    EXPECT_NE(e.reason().find("no failure with failcode 1"), std::string::npos);
  }
  EXPECT_THROW((void)stats::crr(t, std::vector<int>{1, 0, 2}, {"x"}, {{1, 0}}), escapade::InputError);
  EXPECT_THROW((void)stats::crr(t, std::vector<int>{1, 0, 2}, {}, {}), escapade::InputError);
}
