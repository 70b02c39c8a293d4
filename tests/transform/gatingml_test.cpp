// Gating-ML 2.0 closed-form transforms (libescapade/transform/gatingml.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/transform/transform.hpp"

namespace {

using escapade::Error;
using escapade::ErrorKind;
using namespace escapade::transform;

template <typename F_>
void expect_numeric_error(F_&& make, const std::string& where, const std::string& phrase) {
  try {
    make();
    FAIL() << "no error; expected " << phrase;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::numeric);
    EXPECT_EQ(e.where(), where);
    EXPECT_NE(e.reason().find(phrase), std::string::npos) << e.reason();
  }
}

TEST(Flin, Equation) {
  const LinearTransform flin(10000, 500);
  EXPECT_DOUBLE_EQ(flin.apply(0.0), 500.0 / 10500.0);
  EXPECT_DOUBLE_EQ(flin.apply(10000.0), 1.0);
  EXPECT_DOUBLE_EQ(flin.apply(-500.0), 0.0);
  EXPECT_DOUBLE_EQ(flin.inverse(flin.apply(1234.5)), 1234.5);
  EXPECT_EQ(flin.summary(), "LinearTransform(T=10000, A=500)");
}

TEST(Flin, InvalidParameters) {
  expect_numeric_error([] { (void)LinearTransform(0, 0); }, "flin", "T = 0 must be > 0");
  expect_numeric_error([] { (void)LinearTransform(100, -1); }, "flin", "A = -1 must be >= 0");
  expect_numeric_error([] { (void)LinearTransform(100, 200); }, "flin", "A = 200 exceeds T = 100");
  expect_numeric_error([] { (void)LinearTransform(100, 0, Bounds{.min = 1.0, .max = 0.0}); }, "flin",
                       "boundMin = 1 exceeds boundMax = 0");
}

TEST(Flog, Equation) {
  const LogTransform flog(10000, 5);
  EXPECT_DOUBLE_EQ(flog.apply(10000.0), 1.0);
  EXPECT_DOUBLE_EQ(flog.apply(100.0), 1.0 - 2.0 / 5.0);
  EXPECT_NEAR(flog.inverse(flog.apply(37.5)), 37.5, 1e-12);
  EXPECT_EQ(flog.apply(0.0), -INFINITY);
  EXPECT_TRUE(std::isnan(flog.apply(-1.0)));
  expect_numeric_error([] { (void)LogTransform(100, 0); }, "flog", "M = 0 must be > 0");
}

TEST(Fasinh, Equation) {
  const AsinhTransform fasinh(10000, 4, 1);
  const double ln10 = std::log(10.0);
  for (double x : {-1000.0, 0.0, 1.0, 100.0, 10000.0, 1e6}) {
    const double expected = (std::asinh(x * std::sinh(4 * ln10) / 10000) + ln10) / (5 * ln10);
    EXPECT_NEAR(fasinh.apply(x), expected, 1e-15) << x;
    EXPECT_NEAR(fasinh.inverse(fasinh.apply(x)), x, 1e-9 * std::max(1.0, std::abs(x))) << x;
  }
  EXPECT_NEAR(fasinh.apply(10000.0), 1.0, 1e-15);
  expect_numeric_error([] { (void)AsinhTransform(100, 4, -1); }, "fasinh", "A = -1 must be >= 0");
}

TEST(Fratio, Equation) {
  const RatioTransform ratio(2.7, -100, -300);
  EXPECT_DOUBLE_EQ(ratio.apply(50.0, 20.0), 2.7 * 150.0 / 320.0);
  const std::vector<double> x1{1.0, 2.0};
  const std::vector<double> x2{3.0, 4.0};
  std::vector<double> out(2);
  ratio.apply(x1, x2, out);
  EXPECT_DOUBLE_EQ(out[1], 2.7 * 102.0 / 304.0);
  expect_numeric_error([] { (void)RatioTransform(NAN, 0, 0); }, "fratio", "A = nan is not finite");
}

TEST(Bounds, ClampForwardOnly) {
  const LinearTransform flin(100, 0, Bounds{.min = 0.0, .max = 1.0});
  EXPECT_EQ(flin.apply(-5.0), 0.0);
  EXPECT_EQ(flin.apply(500.0), 1.0);
  EXPECT_DOUBLE_EQ(flin.inverse(2.0), 200.0);
  std::vector<double> values{-5.0, 50.0, 500.0};
  flin.apply(values, values);
  EXPECT_EQ(values, (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(flin.summary(), "LinearTransform(T=100, A=0, boundMin=0, boundMax=1)");
}

TEST(Batch, SizeMismatchIsInvalidArgument) {
  const LinearTransform flin(100, 0);
  std::vector<double> in(3);
  std::vector<double> out(2);
  try {
    flin.apply(in, out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(e.reason().find("2 values for 3 inputs"), std::string::npos);
  }
}

}  // namespace
