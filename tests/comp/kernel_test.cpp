// The compensation kernels (libescapade/comp/detail/kernel.*): every vectorized build this
// CPU can run against the scalar reference, bit for bit (STYLE §6 "two implementations,
// one answer"), over shapes that hit odd output counts, scalar tails and chunk edges.
#include "libescapade/comp/detail/kernel.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace detail = escapade::comp::detail;

namespace {

struct Shape {
  std::size_t inputs;
  std::size_t outputs;
  std::size_t events;
};

class KernelIsa : public ::testing::TestWithParam<std::tuple<detail::Isa, Shape>> {};

std::string isa_name(detail::Isa isa) {
  switch (isa) {
    case detail::Isa::baseline: return "baseline";
    case detail::Isa::avx2: return "avx2";
    case detail::Isa::avx512: return "avx512";
  }
  return "?";
}

}  // namespace

TEST_P(KernelIsa, MatchesReferenceBitForBit) {
  const auto [isa, shape] = GetParam();
  if (!detail::isa_supported(isa)) GTEST_SKIP() << isa_name(isa) << " not supported by this CPU";
  std::mt19937_64 rng(shape.inputs * 1000 + shape.outputs);
  std::uniform_real_distribution<double> value(-1000.0, 262144.0);
  std::uniform_real_distribution<double> weight(-0.5, 1.5);
  std::vector<std::vector<double>> in(shape.inputs, std::vector<double>(shape.events));
  for (auto& column : in) {
    for (double& v : column) v = value(rng);
  }
  std::vector<double> w(shape.inputs * shape.outputs);
  for (double& v : w) v = weight(rng);
  std::vector<const double*> inputs;
  for (auto& column : in) inputs.push_back(column.data());
  std::vector<const double*> weights;
  for (std::size_t k = 0; k < shape.outputs; ++k) weights.push_back(w.data() + k * shape.inputs);
  std::vector<std::vector<double>> fast(shape.outputs, std::vector<double>(shape.events, -1.0));
  std::vector<std::vector<double>> slow(shape.outputs, std::vector<double>(shape.events, -2.0));
  std::vector<double*> fast_out;
  std::vector<double*> slow_out;
  for (std::size_t k = 0; k < shape.outputs; ++k) {
    fast_out.push_back(fast[k].data());
    slow_out.push_back(slow[k].data());
  }
  std::vector<double> scratch(detail::scratch_size(shape.inputs));
  detail::KernelTask task{.inputs = inputs.data(),
                          .input_count = shape.inputs,
                          .weights = weights.data(),
                          .outputs = fast_out.data(),
                          .output_count = shape.outputs,
                          .events = shape.events,
                          .scratch = scratch.data()};
  detail::run_vectorized_isa(isa, task);
  task.outputs = slow_out.data();
  detail::run_reference(task);
  for (std::size_t k = 0; k < shape.outputs && shape.events != 0; ++k) {
    // memcmp: equal bits, including the sign of zero.
    EXPECT_EQ(std::memcmp(fast[k].data(), slow[k].data(), shape.events * sizeof(double)), 0) << "output " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllBuilds, KernelIsa,
    ::testing::Combine(::testing::Values(detail::Isa::baseline, detail::Isa::avx2, detail::Isa::avx512),
                       ::testing::Values(Shape{13, 13, 5000}, Shape{13, 5, 129}, Shape{1, 1, 77}, Shape{13, 1, 5003}, Shape{3, 2, 31},
                                         Shape{48, 33, 1000}, Shape{14, 14, 4096 + 7}, Shape{2, 3, 0})),
    [](const auto& param_info) {
      const Shape& s = std::get<1>(param_info.param);
      return isa_name(std::get<0>(param_info.param)) + "_" + std::to_string(s.inputs) + "x" +
             std::to_string(s.outputs) + "_" + std::to_string(s.events);
    });

TEST(KernelChunks, AreWholeTilesAndFitL1) {
  for (std::size_t m : {1u, 3u, 13u, 48u, 300u}) {
    EXPECT_EQ(detail::chunk_events(m) % detail::tile_events, 0u) << m;
    EXPECT_GE(detail::chunk_events(m), detail::tile_events) << m;
  }
  EXPECT_LE(detail::scratch_size(13) * sizeof(double), 16u * 1024u);
}
