// Compensation hot path (STYLE §7): 5M events × 13 detectors, the size of a large
// B-ALL MRD tube. Baselines in the same binary: memcpy of the same bytes (the memory
// bound), and a naive per-event loop (what FlowUtils-style row-at-a-time code does).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "libescapade/base/event_matrix.hpp"
#include "libescapade/comp/comp.hpp"

namespace {

constexpr std::size_t kEvents = 5'000'000;
constexpr std::size_t kDetectors = 13;

struct Inputs {
  escapade::EventMatrix raw;
  escapade::comp::SpectrumMatrix spill;
  std::vector<double> out;  // caller-owned buffer, kEvents × kDetectors column-major, pre-touched

  Inputs() {
    std::vector<escapade::ChannelLabel> labels;
    std::vector<std::string> names;
    for (std::size_t d = 0; d < kDetectors; ++d) {
      names.push_back("FL" + std::to_string(d + 1) + "-A");
      labels.push_back({names.back(), ""});
    }
    raw = escapade::EventMatrix(kEvents, labels);
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> value(-500.0, 262144.0);
    for (std::size_t d = 0; d < kDetectors; ++d) {
      for (double& v : raw.channel(d)) v = value(rng);
    }
    std::uniform_real_distribution<double> spill_value(0.0, 0.3);
    std::vector<double> s(kDetectors * kDetectors);
    for (std::size_t i = 0; i < kDetectors; ++i) {
      for (std::size_t j = 0; j < kDetectors; ++j) s[i * kDetectors + j] = i == j ? 1.0 : spill_value(rng) * 0.3;
    }
    spill = escapade::comp::SpectrumMatrix(names, names, s, "bench");
    out.assign(kEvents * kDetectors, 1.0);  // touch every page before timing
  }
};

Inputs& inputs() {
  static Inputs in;  // built once, outside every timed loop
  return in;
}

int threads_of(const benchmark::State& state) {
  return state.range(0) == 0 ? static_cast<int>(std::thread::hardware_concurrency()) : static_cast<int>(state.range(0));
}

void set_counters(benchmark::State& state) {
  const auto events = static_cast<double>(kEvents) * static_cast<double>(state.iterations());
  state.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  // Bytes read plus bytes written.
  state.counters["bytes/s"] =
      benchmark::Counter(events * kDetectors * 2 * sizeof(double), benchmark::Counter::kIsRate);
}

// The memory bound: copy the same 13 columns into the same buffer.
void BM_MemcpyBaseline(benchmark::State& state) {
  auto& in = inputs();
  for (auto _ : state) {
    for (std::size_t d = 0; d < kDetectors; ++d) {
      std::memcpy(in.out.data() + d * kEvents, in.raw.channel(d).data(), kEvents * sizeof(double));
    }
    benchmark::DoNotOptimize(in.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

// Row at a time: gather an event, multiply by X, scatter it (no tiling, no SIMD across events).
void BM_NaivePerEvent(benchmark::State& state) {
  auto& in = inputs();
  const escapade::comp::Compensation comp(in.spill);
  std::vector<double> x(kDetectors * kDetectors);
  for (std::size_t d = 0; d < kDetectors; ++d) {
    for (std::size_t k = 0; k < kDetectors; ++k) x[d * kDetectors + k] = comp.unmixing(d, k);
  }
  std::vector<const double*> columns(kDetectors);
  for (std::size_t d = 0; d < kDetectors; ++d) columns[d] = in.raw.channel(d).data();
  double row[kDetectors];
  double result[kDetectors];
  for (auto _ : state) {
    for (std::size_t e = 0; e < kEvents; ++e) {
      for (std::size_t d = 0; d < kDetectors; ++d) row[d] = columns[d][e];
      for (std::size_t k = 0; k < kDetectors; ++k) result[k] = 0.0;
      for (std::size_t d = 0; d < kDetectors; ++d) {
        for (std::size_t k = 0; k < kDetectors; ++k) result[k] += row[d] * x[d * kDetectors + k];
      }
      for (std::size_t k = 0; k < kDetectors; ++k) in.out[k * kEvents + e] = result[k];
    }
    benchmark::DoNotOptimize(in.out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

// The block API into a caller-owned, pre-touched buffer: the hot path gating uses.
void BM_CompensateFill(benchmark::State& state) {
  auto& in = inputs();
  const escapade::comp::Compensation comp(in.spill);
  const auto view = comp.view(in.raw);
  std::vector<std::size_t> dims(kDetectors);
  for (std::size_t k = 0; k < kDetectors; ++k) dims[k] = k;
  const escapade::comp::FillOptions options{
      .num_threads = threads_of(state),
      .kernel = state.range(1) == 0 ? escapade::comp::Kernel::vectorized : escapade::comp::Kernel::reference};
  for (auto _ : state) {
    view.fill(0, kEvents, dims, in.out, options);
    benchmark::DoNotOptimize(in.out.data());
    benchmark::ClobberMemory();
  }
  state.counters["threads"] = options.num_threads;
  set_counters(state);
}

// The whole-matrix API: includes allocating and zeroing the new 520 MB EventMatrix.
void BM_CompensateEventMatrix(benchmark::State& state) {
  auto& in = inputs();
  const escapade::comp::Compensation comp(in.spill);
  const escapade::comp::ApplyOptions options{.num_threads = threads_of(state)};
  for (auto _ : state) {
    auto out = escapade::comp::compensate(in.raw, comp, options);
    benchmark::DoNotOptimize(out.channel(0).data());
  }
  state.counters["threads"] = options.num_threads;
  set_counters(state);
}

}  // namespace

BENCHMARK(BM_MemcpyBaseline)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NaivePerEvent)->Unit(benchmark::kMillisecond)->UseRealTime();
// Args: {threads (0 = all), kernel (0 = vectorized, 1 = reference)}.
BENCHMARK(BM_CompensateFill)
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CompensateEventMatrix)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
