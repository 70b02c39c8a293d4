// Logicle forward, the transform hot path (STYLE §7): values/s of the vectorized kernel,
// the scalar reference, hyperlog and fasinh, with two baselines over the same values
// (a memcpy and a plain std::log10 loop). One thread; inputs built outside the timed loop.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "libescapade/transform/transform.hpp"

namespace {

using namespace escapade::transform;

constexpr std::size_t event_count = 5'000'000;
constexpr std::size_t channel_count = 13;

// Realistic compensated fluorescence: 15 % negatives (spread to −2000), 5 % exact zeros,
// the rest log-uniform over 10 … 262144.
const std::vector<double>& values() {
  static const std::vector<double> data = [] {
    std::vector<double> v(event_count * channel_count);
    std::mt19937_64 rng(20240611);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (double& x : v) {
      const double u = unit(rng);
      if (u < 0.15) {
        x = -2000.0 * unit(rng) * unit(rng);
      } else if (u < 0.20) {
        x = 0.0;
      } else {
        x = std::pow(10.0, 1.0 + unit(rng) * (std::log10(262144.0) - 1.0));
      }
    }
    return v;
  }();
  return data;
}

template <typename F_>
void run(benchmark::State& state, F_&& fn) {
  const std::vector<double>& in = values();
  std::vector<double> out(in.size(), 1.0);  // pre-touched
  for (auto _ : state) {
    fn(in, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * in.size()), benchmark::Counter::kIsRate);
}

void BM_baseline_memcpy(benchmark::State& state) {
  run(state, [](const std::vector<double>& in, std::vector<double>& out) {
    std::memcpy(out.data(), in.data(), in.size() * sizeof(double));
  });
}

void BM_baseline_log10(benchmark::State& state) {
  run(state, [](const std::vector<double>& in, std::vector<double>& out) {
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = std::log10(std::abs(in[i]) + 1.0);
  });
}

void BM_logicle_vectorized(benchmark::State& state) {
  const LogicleTransform logicle(262144, 0.5, 4.5, 0);
  run(state, [&](const std::vector<double>& in, std::vector<double>& out) {
    logicle.apply(in, out, Kernel::vectorized);
  });
}

void BM_logicle_reference(benchmark::State& state) {
  const LogicleTransform logicle(262144, 0.5, 4.5, 0);
  run(state, [&](const std::vector<double>& in, std::vector<double>& out) {
    logicle.apply(in, out, Kernel::reference);
  });
}

void BM_logicle_through_transform(benchmark::State& state) {
  const Transform transform = LogicleTransform(262144, 0.5, 4.5, 0);
  run(state, [&](const std::vector<double>& in, std::vector<double>& out) { transform.apply(in, out); });
}

void BM_hyperlog_vectorized(benchmark::State& state) {
  const HyperlogTransform hyperlog(262144, 0.5, 4.5, 0);
  run(state, [&](const std::vector<double>& in, std::vector<double>& out) {
    hyperlog.apply(in, out, Kernel::vectorized);
  });
}

void BM_hyperlog_reference(benchmark::State& state) {
  const HyperlogTransform hyperlog(262144, 0.5, 4.5, 0);
  run(state, [&](const std::vector<double>& in, std::vector<double>& out) {
    hyperlog.apply(in, out, Kernel::reference);
  });
}

void BM_fasinh(benchmark::State& state) {
  const AsinhTransform asinh(262144, 4.5, 0);
  run(state, [&](const std::vector<double>& in, std::vector<double>& out) { asinh.apply(in, out); });
}

void BM_logicle_construct(benchmark::State& state) {
  for (auto _ : state) {
    const LogicleTransform logicle(262144, 0.5, 4.5, 0);
    benchmark::DoNotOptimize(&logicle);
  }
}

}  // namespace

BENCHMARK(BM_baseline_memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_baseline_log10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_logicle_vectorized)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_logicle_through_transform)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_logicle_reference)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_hyperlog_vectorized)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_hyperlog_reference)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_fasinh)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_logicle_construct)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
