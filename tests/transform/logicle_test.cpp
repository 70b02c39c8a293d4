// Logicle and hyperlog (libescapade/transform/logicle.cpp, detail/biexponential.*, detail/kernel.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/transform/transform.hpp"
#include "tests/transform/oracle.hpp"

namespace {

using escapade::Error;
using escapade::ErrorKind;
using escapade::testing::BiexOracle;
using escapade::transform::AsinhTransform;
using escapade::transform::Bounds;
using escapade::transform::HyperlogTransform;
using escapade::transform::Kernel;
using escapade::transform::LogicleTransform;

struct Params {
  double t, w, m, a;
};

std::string label(const Params& p) {
  std::string s = "T" + std::to_string(static_cast<long long>(p.t)) + "_W" + std::to_string(p.w) + "_M" +
                  std::to_string(p.m) + "_A" + std::to_string(p.a);
  for (char& ch : s) {
    if (ch == '.' || ch == '-') ch = '_';
  }
  return s;
}

// x from −T to 10T, dense, plus tiny magnitudes of both signs around zero and far above T.
std::vector<double> dense_grid(double t) {
  std::vector<double> xs;
  const int n = 110000;
  for (int i = 0; i <= n; ++i) xs.push_back(-t + 11.0 * t * i / n);
  for (double e = -12.0; e <= 4.0; e += 0.01) {
    xs.push_back(std::pow(10.0, e));
    xs.push_back(-std::pow(10.0, e));
  }
  for (double e = 0.0; e <= 6.0; e += 0.05) xs.push_back(t * std::pow(10.0, e));
  xs.push_back(0.0);
  xs.push_back(-0.0);
  xs.push_back(-10.0 * t);
  return xs;
}

void expect_residuals(const BiexOracle& oracle, const std::vector<double>& xs, const std::vector<double>& ys,
                      const char* path) {
  int failures = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const long double residual = oracle.value(ys[i]) - static_cast<long double>(xs[i]);
    const double tol = oracle.tolerance(xs[i], ys[i]);
    if (!(std::abs(static_cast<double>(residual)) <= tol) && failures++ < 5) {
      ADD_FAILURE() << path << ": x = " << xs[i] << " y = " << ys[i] << " B(y) - x = " << static_cast<double>(residual)
                    << " > " << tol;
    }
  }
  EXPECT_EQ(failures, 0) << path;
}

class LogicleGrid : public ::testing::TestWithParam<Params> {};

TEST_P(LogicleGrid, ResidualOfDefiningEquationWithin1e12BothKernels) {
  const Params p = GetParam();
  const LogicleTransform logicle(p.t, p.w, p.m, p.a);
  const BiexOracle oracle = BiexOracle::logicle(p.t, p.w, p.m, p.a);
  const std::vector<double> xs = dense_grid(p.t);
  std::vector<double> fast(xs.size());
  std::vector<double> reference(xs.size());
  logicle.apply(xs, fast, Kernel::vectorized);
  logicle.apply(xs, reference, Kernel::reference);
  expect_residuals(oracle, xs, fast, "vectorized");
  expect_residuals(oracle, xs, reference, "reference");
}

TEST_P(LogicleGrid, VectorizedEqualsReference) {
  const Params p = GetParam();
  const LogicleTransform logicle(p.t, p.w, p.m, p.a);
  const std::vector<double> xs = dense_grid(p.t);
  std::vector<double> fast(xs.size());
  std::vector<double> reference(xs.size());
  logicle.apply(xs, fast, Kernel::vectorized);
  logicle.apply(xs, reference, Kernel::reference);
  double worst = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    worst = std::max(worst, std::abs(fast[i] - reference[i]) / std::max(1.0, std::abs(reference[i])));
  }
  EXPECT_LE(worst, 1e-12);
}

TEST_P(LogicleGrid, ZeroMapsToX1AndTopToOne) {
  const Params p = GetParam();
  const LogicleTransform logicle(p.t, p.w, p.m, p.a);
  const double x1 = (p.w + p.a) / (p.m + p.a);
  EXPECT_NEAR(logicle.zero_point(), x1, 1e-15);
  EXPECT_EQ(logicle.apply(0.0), logicle.zero_point());
  EXPECT_NEAR(logicle.apply(p.t), 1.0, 1e-14);
  const std::vector<double> in{0.0, p.t};
  std::vector<double> out(2);
  logicle.apply(in, out);
  EXPECT_EQ(out[0], logicle.zero_point());
  EXPECT_NEAR(out[1], 1.0, 1e-14);
}

TEST_P(LogicleGrid, InverseOfForwardIsIdentity) {
  const Params p = GetParam();
  const LogicleTransform logicle(p.t, p.w, p.m, p.a);
  const BiexOracle oracle = BiexOracle::logicle(p.t, p.w, p.m, p.a);
  const std::vector<double> xs = dense_grid(p.t);
  std::vector<double> ys(xs.size());
  std::vector<double> back(xs.size());
  logicle.apply(xs, ys);
  logicle.inverse(ys, back);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    // y's own rounding limits how well x can come back: the oracle's tolerance.
    ASSERT_NEAR(back[i], xs[i], 2.0 * oracle.tolerance(xs[i], ys[i])) << "x = " << xs[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Parameters, LogicleGrid,
                         ::testing::Values(Params{262144, 0.5, 4.5, 0}, Params{262144, 1, 4.5, 0.5},
                                           Params{10000, 0.5, 4.5, 0}, Params{10000, 1, 4, 0.5},
                                           Params{262144, 0, 4.5, 0}, Params{262144, 0.25, 4.5, -0.25},
                                           Params{1e6, 2, 5, 1}, Params{262144, 2.25, 4.5, 0}),
                         [](const auto& param_info) { return label(param_info.param); });

TEST(Logicle, FormatsCheckValues) {
  // docs/formats.md §2.3 (V): T=262144, W=0.5, M=4.5, A=0.
  const LogicleTransform logicle(262144, 0.5, 4.5, 0);
  const double xs[] = {-1000, 0, 100, 1000, 10000, 262144};
  const double expected[] = {-0.232115, 0.111111, 0.213181, 0.454338, 0.683833, 1.0};
  std::vector<double> fast(6);
  logicle.apply(xs, fast);
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(logicle.apply(xs[i]), expected[i], 5e-7) << "x = " << xs[i];
    EXPECT_NEAR(fast[static_cast<std::size_t>(i)], expected[i], 5e-7) << "x = " << xs[i];
  }
}

TEST(Logicle, FarOutsideTheTableAndNonFinite) {
  const LogicleTransform logicle(262144, 0.5, 4.5, 0);
  const std::vector<double> xs{1e30, -1e30, 1e300, std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()};
  std::vector<double> fast(xs.size());
  logicle.apply(xs, fast);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(fast[i], logicle.apply(xs[i]));
  const BiexOracle oracle = BiexOracle::logicle(262144, 0.5, 4.5, 0);
  EXPECT_NEAR(static_cast<double>(oracle.value(fast[0]) / 1e30L), 1.0, 1e-12);
  EXPECT_EQ(fast[3], std::numeric_limits<double>::infinity());
  EXPECT_EQ(fast[4], -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(fast[5]));
}

TEST(Logicle, InPlaceAndOddLengths) {
  const LogicleTransform logicle(262144, 0.5, 4.5, 0);
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 17u}) {
    std::vector<double> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = -500.0 + 1000.0 * static_cast<double>(i);
    std::vector<double> expected(n);
    for (std::size_t i = 0; i < n; ++i) expected[i] = logicle.apply(values[i]);
    logicle.apply(values, values);
    for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(values[i], expected[i], 1e-13);
  }
}

TEST(Logicle, AsinhEqualsLogicleWithZeroWidth) {
  // docs/formats.md §2.3: fasinh is logicle with W = 0.
  for (const double a : {0.0, 1.0}) {
    const AsinhTransform asinh(262144, 4.5, a);
    const LogicleTransform logicle(262144, 0.0, 4.5, a);
    for (double x = -262144; x <= 2.0 * 262144; x += 997.0) {
      EXPECT_NEAR(logicle.apply(x), asinh.apply(x), 1e-13) << "x = " << x << " A = " << a;
    }
  }
}

TEST(Logicle, BoundsClampTheResult) {
  const LogicleTransform logicle(262144, 0.5, 4.5, 0, Bounds{.min = 0.0, .max = 0.5});
  EXPECT_EQ(logicle.apply(-1000.0), 0.0);
  EXPECT_EQ(logicle.apply(262144.0), 0.5);
  std::vector<double> out(1);
  logicle.apply(std::vector<double>{1e6}, out);
  EXPECT_EQ(out[0], 0.5);
}

struct BadParams {
  Params p;
  const char* phrase;
};

class LogicleInvalid : public ::testing::TestWithParam<BadParams> {};

TEST_P(LogicleInvalid, ThrowsNumericNamingTheParameter) {
  const BadParams bad = GetParam();
  try {
    const LogicleTransform logicle(bad.p.t, bad.p.w, bad.p.m, bad.p.a);
    FAIL() << "no error for " << logicle.summary();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::numeric);
    EXPECT_EQ(e.where(), "logicle");
    EXPECT_NE(e.reason().find(bad.phrase), std::string::npos) << e.reason();
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, LogicleInvalid,
                         ::testing::Values(BadParams{{262144, 3, 4.5, 0}, "W = 3 exceeds M/2"},
                                           BadParams{{0, 0.5, 4.5, 0}, "T = 0 must be > 0"},
                                           BadParams{{262144, 0.5, -1, 0}, "M = -1 must be > 0"},
                                           BadParams{{262144, -0.5, 4.5, 0}, "A = 0 is below -W"},
                                           BadParams{{262144, 0.5, 4.5, -1}, "A = -1 is below -W"},
                                           BadParams{{262144, 1, 4.5, 3}, "A = 3 exceeds M - 2W"},
                                           BadParams{{NAN, 0.5, 4.5, 0}, "T = nan is not finite"}));

// ---- hyperlog ---------------------------------------------------------------------------

class HyperlogGrid : public ::testing::TestWithParam<Params> {};

TEST_P(HyperlogGrid, ResidualOfDefiningEquationWithin1e12BothKernels) {
  const Params p = GetParam();
  const HyperlogTransform hyperlog(p.t, p.w, p.m, p.a);
  const BiexOracle oracle = BiexOracle::hyper(p.t, p.w, p.m, p.a);
  const std::vector<double> xs = dense_grid(p.t);
  std::vector<double> fast(xs.size());
  std::vector<double> reference(xs.size());
  hyperlog.apply(xs, fast, Kernel::vectorized);
  hyperlog.apply(xs, reference, Kernel::reference);
  expect_residuals(oracle, xs, fast, "vectorized");
  expect_residuals(oracle, xs, reference, "reference");
  double worst = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    worst = std::max(worst, std::abs(fast[i] - reference[i]) / std::max(1.0, std::abs(reference[i])));
  }
  EXPECT_LE(worst, 1e-12);
}

TEST_P(HyperlogGrid, InverseOfForwardIsIdentity) {
  const Params p = GetParam();
  const HyperlogTransform hyperlog(p.t, p.w, p.m, p.a);
  const BiexOracle oracle = BiexOracle::hyper(p.t, p.w, p.m, p.a);
  const std::vector<double> xs = dense_grid(p.t);
  std::vector<double> ys(xs.size());
  std::vector<double> back(xs.size());
  hyperlog.apply(xs, ys);
  hyperlog.inverse(ys, back);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    // y's own rounding limits how well x can come back: the oracle's tolerance.
    ASSERT_NEAR(back[i], xs[i], 2.0 * oracle.tolerance(xs[i], ys[i])) << "x = " << xs[i];
  }
  EXPECT_EQ(hyperlog.apply(0.0), hyperlog.zero_point());
  EXPECT_NEAR(hyperlog.apply(p.t), 1.0, 1e-14);
}

INSTANTIATE_TEST_SUITE_P(Parameters, HyperlogGrid,
                         ::testing::Values(Params{10000, 1, 4.5, 0}, Params{262144, 0.5, 4.5, 0},
                                           Params{262144, 1, 4.5, 1}, Params{10000, 0.5, 4, -0.5}),
                         [](const auto& param_info) { return label(param_info.param); });

TEST(Hyperlog, FormatsCheckValues) {
  // docs/formats.md §2.3 (V): T=10000, W=1, M=4.5, A=0.
  const HyperlogTransform hyperlog(10000, 1, 4.5, 0);
  const double xs[] = {0, 100, 1000, 10000};
  const double expected[] = {0.222222, 0.511151, 0.771371, 1.0};
  std::vector<double> fast(4);
  hyperlog.apply(xs, fast);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(hyperlog.apply(xs[i]), expected[i], 5e-7) << "x = " << xs[i];
    EXPECT_NEAR(fast[static_cast<std::size_t>(i)], expected[i], 5e-7) << "x = " << xs[i];
  }
}

TEST(Hyperlog, ZeroWidthIsInvalid) {
  try {
    const HyperlogTransform hyperlog(10000, 0, 4.5, 0);
    FAIL() << hyperlog.summary();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::numeric);
    EXPECT_NE(e.reason().find("W = 0 must be > 0"), std::string::npos) << e.reason();
  }
}

}  // namespace
