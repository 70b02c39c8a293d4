// FlowJo 10 workspace transforms (libescapade/transform/flowjo.cpp; docs/formats.md §3.3).
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

TEST(FlowJoLog, ClampsBelowOffsetAsFlowKit) {
  const FlowJoLogTransform log(1.0, 4.5);
  EXPECT_DOUBLE_EQ(log.apply(1000.0), 3.0 / 4.5);
  EXPECT_EQ(log.apply(0.5), 0.0);
  EXPECT_EQ(log.apply(-100.0), 0.0);
  EXPECT_NEAR(log.inverse(log.apply(12345.0)), 12345.0, 1e-9);
  EXPECT_TRUE(std::isnan(log.apply(NAN)));
}

TEST(FlowJoLinear, MapsRangeToUnitWithGain) {
  const FlowJoLinearTransform linear(50000, 150000);
  EXPECT_DOUBLE_EQ(linear.apply(50000), 0.0);
  EXPECT_DOUBLE_EQ(linear.apply(150000), 1.0);
  EXPECT_DOUBLE_EQ(linear.inverse(0.25), 75000.0);
  const FlowJoLinearTransform time(0, 73, 0.0101614699);
  EXPECT_DOUBLE_EQ(time.apply(100.0), 100.0 * 0.0101614699 / 73.0);
  EXPECT_NEAR(time.inverse(time.apply(100.0)), 100.0, 1e-12);
  try {
    (void)FlowJoLinearTransform(10, 10);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::numeric);
    EXPECT_NE(e.reason().find("maxRange = 10 must exceed minRange = 10"), std::string::npos);
  }
}

TEST(FlowJoFasinh, IsGatingMlFasinh) {
  const AsinhTransform fj = flowjo_fasinh(262144, 1.3, 0, -19.9526231497, 256, 262144);
  const AsinhTransform gml(262144, 1.3, 0);
  for (double x : {-1000.0, 0.0, 500.0, 262144.0}) EXPECT_EQ(fj.apply(x), gml.apply(x));
}

TEST(FlowJoLogicle, IsGatingMlLogicle) {
  const LogicleTransform fj = flowjo_logicle(262144, 0.5, 4.5, 0);
  EXPECT_NEAR(fj.apply(1000.0), 0.454338, 5e-7);
}

TEST(FlowJoBiex, ZeroChannelAndRange) {
  // docs/formats.md §3.3: z = floor((neg + W)·4096/(pos + neg)) = 1096 for the shared table.
  const FlowJoBiexTransform biex(1.0, -7.943282, 4.418540, 256, 262144.000029);
  EXPECT_EQ(biex.zero_channel(), 1096);
  EXPECT_EQ(biex.inverse(1096.0), 0.0);
  EXPECT_NEAR(biex.apply(0.0), 1096.0, 1e-9);
  EXPECT_EQ(biex.apply(-1e9), 0.0);
  EXPECT_EQ(biex.apply(1e9), 4096.0);
  // Default FlowJo biex (neg 0, width −10): W = 0.5, z = floor(0.5·4096/4.418540) = 463.
  const FlowJoBiexTransform standard(0.0, -10.0, 4.418539922);
  EXPECT_EQ(standard.zero_channel(), 463);
}

TEST(FlowJoBiex, VectorizedEqualsReference) {
  const FlowJoBiexTransform biex(0.0, -100.0, 4.418539922);
  std::vector<double> xs;
  for (double x = -5000.0; x < 300000.0; x += 7.3) xs.push_back(x);
  std::vector<double> fast(xs.size());
  std::vector<double> reference(xs.size());
  biex.apply(xs, fast, Kernel::vectorized);
  biex.apply(xs, reference, Kernel::reference);
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_NEAR(fast[i], reference[i], 1e-9) << xs[i];
}

TEST(FlowJoBiex, InvalidWidth) {
  try {
    (void)FlowJoBiexTransform(0.0, -0.5, 4.4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::numeric);
    EXPECT_EQ(e.where(), "flowjo-biex");
    EXPECT_NE(e.reason().find("width = -0.5"), std::string::npos) << e.reason();
  }
}

}  // namespace
