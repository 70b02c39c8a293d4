// The common per-dimension interface (libescapade/transform/transform.cpp).
#include <gtest/gtest.h>

#include <vector>

#include "libescapade/transform/transform.hpp"

namespace {

using namespace escapade::transform;

TEST(Transform, HoldsAnyKindAndDispatches) {
  const std::vector<Transform> transforms{
      LinearTransform(10000, 0), LogTransform(10000, 5), AsinhTransform(10000, 4, 1),
      LogicleTransform(262144, 0.5, 4.5, 0), HyperlogTransform(10000, 1, 4.5, 0),
      FlowJoLinearTransform(0, 262144), FlowJoLogTransform(1, 5), FlowJoBiexTransform(0, -10, 4.418539922)};
  const std::vector<std::string> names{"flin",          "flog",       "fasinh",     "logicle",
                                       "hyperlog",      "flowjo-linear", "flowjo-log", "flowjo-biex"};
  const std::vector<double> xs{10.0, 100.0, 5000.0, 100000.0};
  for (std::size_t k = 0; k < transforms.size(); ++k) {
    const Transform& t = transforms[k];
    EXPECT_EQ(t.name(), names[k]);
    EXPECT_FALSE(t.summary().empty());
    std::vector<double> ys(xs.size());
    t.apply(xs, ys);
    std::vector<double> back(xs.size());
    t.inverse(ys, back);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      EXPECT_NEAR(ys[i], t.apply(xs[i]), 1e-12 * std::max(1.0, std::abs(ys[i]))) << names[k];
      EXPECT_NEAR(back[i], xs[i], 1e-9 * xs[i]) << names[k];
      EXPECT_NEAR(t.inverse(ys[i]), xs[i], 1e-9 * xs[i]) << names[k];
    }
  }
  EXPECT_NE(transforms[3].get_if<LogicleTransform>(), nullptr);
  EXPECT_EQ(transforms[3].get_if<LinearTransform>(), nullptr);
  EXPECT_EQ(transforms[3].summary(), "LogicleTransform(T=262144, W=0.5, M=4.5, A=0)");
}

TEST(Transform, CopiesShareTheTableAndAgree) {
  const Transform a = LogicleTransform(262144, 0.5, 4.5, 0);
  const Transform b = a;
  EXPECT_EQ(a.apply(1234.0), b.apply(1234.0));
}

}  // namespace
