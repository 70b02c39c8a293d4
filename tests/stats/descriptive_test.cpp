#include "libescapade/stats/descriptive.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"

namespace stats = escapade::stats;

namespace {

template <typename Fn>
void expect_input_error(Fn&& fn, escapade::ErrorKind kind, const std::string& where, const std::string& phrase) {
  try {
    fn();
    FAIL() << "expected an InputError";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), kind);
    EXPECT_EQ(e.where(), where);
    EXPECT_NE(e.reason().find(phrase), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(StatsDescribe, SmallSampleByHand) {
  const std::vector<double> x{9, 4, 2, 5, 4};
  const stats::Descriptive d = stats::describe(x);
  EXPECT_EQ(d.n, 5u);
  EXPECT_DOUBLE_EQ(d.mean, 4.8);
  EXPECT_DOUBLE_EQ(d.sd, std::sqrt(26.8 / 4));
  EXPECT_EQ(d.median, 4.0);
  EXPECT_EQ(d.q1, 4.0);
  EXPECT_EQ(d.q3, 5.0);
  EXPECT_EQ(d.iqr, 1.0);
  EXPECT_EQ(d.min, 2.0);
  EXPECT_EQ(d.max, 9.0);
  EXPECT_NEAR(d.geometric_mean, std::pow(2.0 * 4 * 4 * 5 * 9, 0.2), 1e-12);
  EXPECT_DOUBLE_EQ(d.cv_percent, 100 * d.sd / d.mean);
}

TEST(StatsDescribe, SingleValueHasNoSpread) {
  const std::vector<double> x{4.2};
  const stats::Descriptive d = stats::describe(x);
  EXPECT_EQ(d.n, 1u);
  EXPECT_EQ(d.mean, 4.2);
  EXPECT_TRUE(std::isnan(d.sd));
  EXPECT_TRUE(std::isnan(d.cv_percent));
  EXPECT_EQ(d.q1, 4.2);
  EXPECT_EQ(d.iqr, 0.0);
}

TEST(StatsDescribe, GeometricMeanIsMissingWithNonPositiveValues) {
  const std::vector<double> x{0.0, 0.4, 1.1};
  EXPECT_TRUE(std::isnan(stats::describe(x).geometric_mean));
  const std::vector<double> y{-1.0, 2.0};
  EXPECT_TRUE(std::isnan(stats::describe(y).geometric_mean));
}

TEST(StatsDescribe, ConstantDataHaveZeroSd) {
  const std::vector<double> x{3, 3, 3};
  const stats::Descriptive d = stats::describe(x);
  EXPECT_EQ(d.sd, 0.0);
  EXPECT_EQ(d.cv_percent, 0.0);
}

TEST(StatsDescribe, EmptyAndNaNAreRejected) {
  expect_input_error([] { (void)stats::describe(std::vector<double>{}); }, escapade::ErrorKind::invalid_argument,
                     "describe", "x is empty");
  const std::vector<double> x{1.0, std::numeric_limits<double>::quiet_NaN()};
  expect_input_error([&] { (void)stats::describe(x); }, escapade::ErrorKind::invalid_argument, "describe",
                     "x[1] is not a finite number");
}

TEST(StatsQuantile, Type7Interpolates) {
  const std::vector<double> x{4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(stats::quantile(x, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(stats::quantile(x, 0.5), 2.5);
  EXPECT_EQ(stats::quantile(x, 0.0), 1.0);
  EXPECT_EQ(stats::quantile(x, 1.0), 4.0);
  EXPECT_EQ(stats::median(x), 2.5);
  expect_input_error([&] { (void)stats::quantile(x, 1.5); }, escapade::ErrorKind::invalid_argument, "quantile",
                     "p must lie in [0, 1]");
}

TEST(StatsQuantile, MeanAndVarianceAgreeWithDescribe) {
  const std::vector<double> x{0.3, 1.2, 0.8, 2.5, 4.1, 0.6};
  const stats::Descriptive d = stats::describe(x);
  EXPECT_EQ(stats::mean(x), d.mean);
  EXPECT_EQ(stats::standard_deviation(x), d.sd);
  EXPECT_EQ(stats::variance(x), d.sd * d.sd);
  EXPECT_EQ(stats::quantile(x, 0.25), d.q1);
}
