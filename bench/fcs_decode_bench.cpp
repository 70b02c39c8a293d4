// FCS decode: a 16-channel float32 big-endian FCS 3.1 file, from page cache into
// the EventMatrix, against a plain memcpy of the same bytes in the same run.
// Counters: bytes_per_second (DATA bytes) and events/s.
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "libescapade/fcs/fcs.hpp"

namespace {

constexpr std::size_t channels = 16;

// Builds (once per size) an FCS 3.1 file with float32 big-endian data through our own
// writer's TEXT conventions, then rewrites DATA big-endian as BD instruments store it.
std::vector<std::byte> make_file(std::size_t events) {
  std::string text = "/$BEGINANALYSIS/0/$ENDANALYSIS/0/$BEGINSTEXT/0/$ENDSTEXT/0/$BYTEORD/4,3,2,1/$DATATYPE/F/$MODE/L/"
                     "$NEXTDATA/0/$PAR/16/$TOT/" + std::to_string(events) + "/";
  for (std::size_t k = 1; k <= channels; ++k) {
    text += "$P" + std::to_string(k) + "N/CH" + std::to_string(k) + "/$P" + std::to_string(k) + "B/32/$P" +
            std::to_string(k) + "E/0,0/$P" + std::to_string(k) + "R/262144/";
  }
  const std::size_t data_begin = 4096;
  const std::size_t data_len = events * channels * 4;
  text += "$BEGINDATA/" + std::to_string(data_begin) + "/$ENDDATA/" + std::to_string(data_begin + data_len - 1) + "/";
  std::vector<std::byte> file(data_begin + data_len, std::byte{' '});
  char header[64];
  const bool big = data_begin + data_len - 1 > 99999999;
  std::snprintf(header, sizeof header, "FCS3.1    %8d%8zu%8zu%8zu%8d%8d", 256, 256 + text.size() - 1, big ? 0 : data_begin,
                big ? 0 : data_begin + data_len - 1, 0, 0);
  std::memcpy(file.data(), header, 58);
  std::memcpy(file.data() + 256, text.data(), text.size());
  std::mt19937 rng(42);
  std::lognormal_distribution<float> dist(7.0f, 1.5f);
  for (std::size_t i = 0; i < events * channels; ++i) {
    const std::uint32_t v = __builtin_bswap32(std::bit_cast<std::uint32_t>(dist(rng)));
    std::memcpy(file.data() + data_begin + 4 * i, &v, 4);
  }
  return file;
}

const std::filesystem::path& file_for(std::size_t events) {
  static std::filesystem::path paths[2];
  const int slot = events == 1000000 ? 0 : 1;
  if (paths[slot].empty()) {
    paths[slot] = std::filesystem::temp_directory_path() / ("escapade_bench_" + std::to_string(events) + ".fcs");
    if (!std::filesystem::exists(paths[slot])) {
      auto bytes = make_file(events);
      std::ofstream(paths[slot], std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                         static_cast<std::streamsize>(bytes.size()));
    }
    // Warm the page cache.
    auto f = escapade::fcs::read_fcs_file(paths[slot], {.decode_events = false});
    std::ifstream in(paths[slot], std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size()))) {
    }
  }
  return paths[slot];
}

void BM_DecodeFile(benchmark::State& state) {
  const std::size_t events = static_cast<std::size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const auto& path = file_for(events);
  escapade::fcs::ReadOptions options;
  options.num_threads = threads;
  for (auto _ : state) {
    auto f = escapade::fcs::read_fcs_file(path, options);
    benchmark::DoNotOptimize(f.data_sets[0].events.channel(0).data());
  }
  const double bytes = static_cast<double>(events * channels * 4);
  state.counters["bytes_per_second"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["events_per_second"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_DecodeInMemory(benchmark::State& state) {
  const std::size_t events = static_cast<std::size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  static std::vector<std::byte> bytes;
  if (bytes.size() < events * channels * 4) bytes = make_file(events);
  escapade::fcs::ReadOptions options;
  options.num_threads = threads;
  for (auto _ : state) {
    auto f = escapade::fcs::read_fcs(bytes, "<bench>", options);
    benchmark::DoNotOptimize(f.data_sets[0].events.channel(0).data());
  }
  state.counters["bytes_per_second"] =
      benchmark::Counter(static_cast<double>(events * channels * 4), benchmark::Counter::kIsIterationInvariantRate);
}

// Baseline: memcpy of the same DATA bytes into a fresh buffer (what "moving the bytes" costs).
void BM_MemcpyBaseline(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) * channels * 4;
  std::vector<char> src(bytes, 1);
  for (auto _ : state) {
    std::unique_ptr<char[]> dst(new char[bytes]);
    std::memcpy(dst.get(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.get());
    benchmark::ClobberMemory();
  }
  state.counters["bytes_per_second"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kIsIterationInvariantRate);
}

// Baseline: memcpy into a destination that is already mapped (pure bandwidth).
void BM_MemcpyWarm(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) * channels * 4;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.counters["bytes_per_second"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_MemcpyWarm)->Arg(1000000)->Arg(5000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MemcpyBaseline)->Arg(1000000)->Arg(5000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeFile)->Args({1000000, 1})->Args({1000000, 2})->Args({5000000, 1})->Args({5000000, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeInMemory)->Args({1000000, 1})->Args({1000000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
