// Simulator throughput (1M events in under 1 s on one core). Baselines in the same
// binary: filling a matrix of the same shape with the simulator's own uniforms, and memcpy
// of the same bytes.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "libescapade/sim/detail/random.hpp"
#include "libescapade/sim/sim.hpp"

namespace {

using namespace escapade;

constexpr std::size_t channels = 19;  // bd-lyric: 6 scatter + 12 fluorescence + Time

void BM_simulate_sample(benchmark::State& state) {
  sim::SampleOptions o;
  o.events = static_cast<std::size_t>(state.range(0));
  o.num_threads = 1;
  o.blast_pct = 70;
  o.pre_escape_pct = 2;
  for (auto _ : state) {
    auto s = sim::simulate_sample(o);
    benchmark::DoNotOptimize(s.labels.data());
    o.seed += 1;
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(o.events), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_simulate_sample)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_baseline_uniform_fill(benchmark::State& state) {
  const auto events = static_cast<std::size_t>(state.range(0));
  std::vector<double> m(events * channels, 1.0);
  std::uint64_t seed = 1;
  for (auto _ : state) {
    sim::detail::Rng rng(seed++);
    for (auto& v : m) v = rng.uniform();
    benchmark::DoNotOptimize(m.data());
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_baseline_uniform_fill)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_baseline_memcpy(benchmark::State& state) {
  const auto events = static_cast<std::size_t>(state.range(0));
  std::vector<double> a(events * channels, 1.0), b(events * channels, 2.0);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), a.size() * sizeof(double));
    benchmark::DoNotOptimize(b.data());
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_baseline_memcpy)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_write_fcs(benchmark::State& state) {
  sim::SampleOptions o;
  o.events = static_cast<std::size_t>(state.range(0));
  o.num_threads = 1;
  const auto s = sim::simulate_sample(o);
  fcs::WriteOptions wo;
  wo.precision = fcs::WriteOptions::Precision::float32;
  for (auto _ : state) {
    auto bytes = fcs::write_fcs(s.data_set, wo);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(o.events), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_write_fcs)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
