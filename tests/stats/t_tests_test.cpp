#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/stats/tests.hpp"

namespace stats = escapade::stats;

TEST(StatsTTest, StudentByHand) {
  // Means 2 and 5, pooled variance 1: se = sqrt(2/3), t = -3/se, df = 4.
  const std::vector<double> x{1, 2, 3};
  const std::vector<double> y{4, 5, 6};
  const stats::TTestResult r = stats::t_test_student(x, y);
  EXPECT_EQ(r.df, 4.0);
  EXPECT_NEAR(r.std_error, std::sqrt(2.0 / 3), 1e-15);
  EXPECT_NEAR(r.t, -3 / std::sqrt(2.0 / 3), 1e-13);
  ASSERT_EQ(r.estimate.size(), 2u);
  EXPECT_EQ(r.estimate[0], 2.0);
  EXPECT_EQ(r.estimate[1], 5.0);
  // The interval is centred on the difference, and excludes 0 exactly when p < 0.05.
  EXPECT_NEAR((r.conf_int[0] + r.conf_int[1]) / 2, -3.0, 1e-12);
  EXPECT_EQ(r.p_value < 0.05, r.conf_int[1] < 0);
}

TEST(StatsTTest, WelchEqualsStudentForBalancedEqualVariances) {
  const std::vector<double> x{1, 2, 3, 7};
  const std::vector<double> y{4, 5, 6, 10};
  const stats::TTestResult w = stats::t_test_welch(x, y);
  const stats::TTestResult s = stats::t_test_student(x, y);
  EXPECT_NEAR(w.t, s.t, 1e-13);
  EXPECT_NEAR(w.df, s.df, 1e-12);
  EXPECT_NEAR(w.p_value, s.p_value, 1e-13);
}

TEST(StatsTTest, PairedEqualsOneSampleOfDifferences) {
  const std::vector<double> x{5.1, 4.8, 6.0, 5.5};
  const std::vector<double> y{4.0, 4.9, 5.0, 4.1};
  const stats::TTestResult r = stats::t_test_paired(x, y, {.alternative = stats::Alternative::greater});
  EXPECT_EQ(r.df, 3.0);
  ASSERT_EQ(r.estimate.size(), 1u);
  EXPECT_NEAR(r.estimate[0], 0.85, 1e-14);
  EXPECT_TRUE(std::isinf(r.conf_int[1]));
  EXPECT_LT(r.conf_int[0], r.estimate[0]);
}

TEST(StatsTTest, ConstantDataAreAnError) {
  const std::vector<double> x{1, 2, 3};
  const std::vector<double> y{0, 1, 2};
  try {
    (void)stats::t_test_paired(x, y);
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::numeric);
    EXPECT_EQ(e.where(), "t_test_paired");
    EXPECT_NE(e.reason().find("essentially constant"), std::string::npos);
  }
  EXPECT_THROW((void)stats::t_test_welch(std::vector<double>{2, 2}, std::vector<double>{3, 3}), escapade::InputError);
  EXPECT_THROW((void)stats::t_test_welch(std::vector<double>{2}, std::vector<double>{3, 4}), escapade::InputError);
}
