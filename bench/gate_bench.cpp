// Gating hot path (STYLE §7): the 5-level hierarchy on 1M and 5M events × 13
// channels — rectangle on FSC/SSC → polygon on CD45/SSC after logicle → range on CD34 →
// quadrant CD19 × CD22 → ellipse on CD10 × CD20 — with compensation and logicle computed
// on demand, as `escapade gate` does. Baseline in the same binary: one memcpy of the
// matrix (the cost of touching the events once). FlowKit 1.3 takes 2.5 s (1M) and 12 s
// (5M) for the same hierarchy on this machine.
//
// Counters: events/s, gate-events/s (events × populations per second) and, once per size,
// the peak resident memory that `apply` adds over the event matrix (VmHWM after
// resetting it through /proc/self/clear_refs), as a ratio to the matrix's bytes.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "libescapade/base/event_matrix.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/flowjo.hpp"
#include "libescapade/gate/gate.hpp"

namespace {

namespace gate = escapade::gate;

const std::vector<std::string> kStains{"CD45", "CD34", "CD19", "CD22", "CD10", "CD20",
                                       "CD38", "CD58", "CD81", "CD66c", "CD123"};
constexpr std::size_t kFluorescence = 11;

// Synthetic bone marrow: a few populations in "true" marker space, then spread into the
// detectors by a spillover matrix so that compensation matters.
struct Inputs {
  escapade::EventMatrix events;
  gate::GatingPlan plan;

  explicit Inputs(std::size_t n) {
    std::vector<escapade::ChannelLabel> labels{{"FSC-A", ""}, {"SSC-A", ""}};
    std::vector<std::string> detectors;
    for (std::size_t d = 0; d < kFluorescence; ++d) {
      detectors.push_back("FL" + std::to_string(d + 1) + "-A");
      labels.push_back({detectors.back(), kStains[d]});
    }
    events = escapade::EventMatrix(n, labels, escapade::EventMatrix::Uninitialized{});
    std::mt19937_64 rng(42);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> spill(kFluorescence * kFluorescence);
    for (std::size_t i = 0; i < kFluorescence; ++i) {
      for (std::size_t j = 0; j < kFluorescence; ++j) spill[i * kFluorescence + j] = i == j ? 1.0 : 0.04 * unit(rng);
    }
    std::vector<double> truth(kFluorescence);
    for (std::size_t e = 0; e < n; ++e) {
      const double u = unit(rng);
      // 10 % debris, 50 % myeloid (CD45 bright, high SSC), 25 % lymphoid, 15 % B precursors.
      const int kind = u < 0.10 ? 0 : u < 0.60 ? 1 : u < 0.85 ? 2 : 3;
      const double fsc = kind == 0 ? 8000 + 4000 * normal(rng) : 90000 + 20000 * normal(rng);
      const double ssc = kind == 1 ? 90000 + 25000 * normal(rng) : 20000 + 6000 * normal(rng);
      for (std::size_t d = 0; d < kFluorescence; ++d) truth[d] = 150 * normal(rng);
      const auto bright = [&](double level) { return std::pow(10.0, level + 0.25 * normal(rng)); };
      truth[0] = kind == 3 ? bright(3.0) : kind == 0 ? 100 * normal(rng) : bright(4.0);  // CD45
      if (kind == 3) {
        truth[1] = unit(rng) < 0.5 ? bright(3.6) : 150 * normal(rng);  // CD34
        truth[2] = bright(3.8);                                        // CD19
        truth[3] = unit(rng) < 0.7 ? bright(3.4) : 150 * normal(rng);  // CD22
        truth[4] = bright(3.9);                                        // CD10
        truth[5] = unit(rng) < 0.3 ? bright(3.2) : 150 * normal(rng);  // CD20
      }
      events.channel(0)[e] = fsc;
      events.channel(1)[e] = ssc;
      for (std::size_t j = 0; j < kFluorescence; ++j) {
        double v = 0;
        for (std::size_t i = 0; i < kFluorescence; ++i) v += truth[i] * spill[i * kFluorescence + j];
        events.channel(2 + j)[e] = v;
      }
    }

    plan.add_matrix(escapade::comp::SpectrumMatrix(detectors, detectors, spill, "Spill"));
    plan.add_transform("Logicle", escapade::transform::LogicleTransform(262144, 0.5, 4.5, 0));
    const auto marker = [&](std::size_t stain) {
      gate::Dimension d = gate::Dimension::of(detectors[stain]);
      d.compensation = "Spill";
      d.transform = "Logicle";
      return d;
    };
    gate::Dimension ssc_logicle = gate::Dimension::of("SSC-A");
    ssc_logicle.transform = "Logicle";
    plan.add_gate({"Cells", "", "",
                   gate::RectangleGate{{{gate::Dimension::of("FSC-A"), 30000, 250000},
                                        {gate::Dimension::of("SSC-A"), 0, 250000}}}});
    plan.add_gate({"Blasts", "Cells", "",
                   gate::PolygonGate{marker(0), ssc_logicle,
                                     {{0.45, 0.55}, {0.62, 0.55}, {0.70, 0.75}, {0.62, 0.92}, {0.45, 0.92}, {0.40, 0.75}}}});
    plan.add_gate({"CD34+", "Blasts", "", gate::RectangleGate{{{marker(1), 0.55}}}});
    gate::QuadrantGate quadrants;
    quadrants.id = "CD19xCD22";
    quadrants.parent = "CD34+";
    quadrants.dividers = {{"CD19", marker(2), {0.5}}, {"CD22", marker(3), {0.5}}};
    quadrants.quadrants = {{"CD19-CD22-", "", {{"CD19", 0}, {"CD22", 0}}},
                           {"CD19+CD22-", "", {{"CD19", 1}, {"CD22", 0}}},
                           {"CD19-CD22+", "", {{"CD19", 0}, {"CD22", 1}}},
                           {"CD19+CD22+", "", {{"CD19", 1}, {"CD22", 1}}}};
    plan.add_quadrant_gate(quadrants);
    plan.add_gate({"CD10+CD20lo", "CD19+CD22+", "",
                   gate::EllipsoidGate{{marker(4), marker(5)}, {0.78, 0.35}, {0.004, 0, 0, 0.01}, 4}});
  }
};

Inputs& inputs(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Inputs>> cache;  // built once per size, outside the timed loop
  auto& slot = cache[n];
  if (!slot) slot = std::make_unique<Inputs>(n);
  return *slot;
}

// Kilobytes of a /proc/self/status field.
double status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1));
  }
  return NAN;
}

void BM_MemcpyBaseline(benchmark::State& state) {
  auto& in = inputs(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = in.events.event_count();
  std::vector<double> out(n, 1.0);
  for (auto _ : state) {
    for (std::size_t c = 0; c < in.events.channel_count(); ++c) {
      std::memcpy(out.data(), in.events.channel(c).data(), n * sizeof(double));
      benchmark::DoNotOptimize(out.data());
    }
    benchmark::ClobberMemory();
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

void BM_GateHierarchy(benchmark::State& state) {
  auto& in = inputs(static_cast<std::size_t>(state.range(0)));
  const int threads = state.range(1) == 0 ? static_cast<int>(std::thread::hardware_concurrency())
                                          : static_cast<int>(state.range(1));
  const std::size_t n = in.events.event_count();
  // Peak memory of one apply over what is resident before it (Linux: "5" resets VmHWM).
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const double before_kb = status_kb("VmRSS");
  auto first = gate::apply(in.plan, in.events, {.num_threads = threads});
  const double peak_kb = status_kb("VmHWM");
  const double matrix_kb = static_cast<double>(in.events.bytes()) / 1024.0;
  for (auto _ : state) {
    auto result = gate::apply(in.plan, in.events, {.num_threads = threads});
    benchmark::DoNotOptimize(&result);
  }
  const auto pops = static_cast<double>(first.populations().size());
  const double events = static_cast<double>(n) * static_cast<double>(state.iterations());
  state.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["gate-events/s"] = benchmark::Counter(events * pops, benchmark::Counter::kIsRate);
  state.counters["peak/matrix"] = (matrix_kb + (peak_kb - before_kb)) / matrix_kb;
  state.counters["blasts%"] = first.percent_of_total("Blasts");
  state.counters["leaf"] = static_cast<double>(first.count("CD10+CD20lo"));
}

// End to end as FlowKit's figure is: decode the FCS file (float32, as instruments write
// it; held in memory so the disk does not count) and gate it.
void BM_EndToEnd(benchmark::State& state) {
  auto& in = inputs(static_cast<std::size_t>(state.range(0)));
  const int threads = state.range(1) == 0 ? static_cast<int>(std::thread::hardware_concurrency())
                                          : static_cast<int>(state.range(1));
  escapade::fcs::DataSet ds;
  ds.events = in.events;
  escapade::fcs::WriteOptions wo;
  wo.precision = escapade::fcs::WriteOptions::Precision::float32;
  const std::vector<std::byte> bytes = escapade::fcs::write_fcs(ds, wo);
  ds = {};
  escapade::fcs::ReadOptions ro;
  ro.num_threads = threads;
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const double before_kb = status_kb("VmRSS");
  std::size_t leaf = 0;
  for (auto _ : state) {
    const auto file = escapade::fcs::read_fcs(bytes, "<bench>", ro);
    const auto result = gate::apply(in.plan, file.data_sets.front().events, {.num_threads = threads});
    leaf = result.count("CD10+CD20lo");
  }
  const double peak_kb = status_kb("VmHWM");
  const double matrix_kb = static_cast<double>(in.events.bytes()) / 1024.0;
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(in.events.event_count()) *
                                                      static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
  // Peak over what was resident before (the FCS bytes): the decoded matrix plus gating.
  state.counters["peak/matrix"] = (peak_kb - before_kb) / matrix_kb;
  state.counters["leaf"] = static_cast<double>(leaf);
}

// A real FlowJo 10.5.3 workspace (flowsom_68983: 15 populations, biex axes, a 1024-bin
// polygon that becomes a 700-vertex outline in FlowJo mode) on its FCS file repeated to
// 1M events, in FlowJo's binned mode (range 0) and exact mode (range 1).
void BM_FlowJoWorkspace(benchmark::State& state) {
  const std::string dir = std::string(ESCAPADE_SHARED_DIR) + "/data/flowjo/flowsom_68983/";
  gate::WorkspaceOptions wo;
  wo.binning = state.range(0) == 0 ? gate::FlowJoBinning::flowjo : gate::FlowJoBinning::exact;
  const auto ws = gate::read_workspace_file(dir + "gating.wsp", wo);
  const auto file = escapade::fcs::read_fcs_file(dir + "68983.fcs");
  auto ds = file.data_sets.front();
  const std::size_t n = 1'000'000;
  std::vector<std::size_t> rows(n), columns(ds.events.channel_count());
  for (std::size_t i = 0; i < n; ++i) rows[i] = i % ds.events.event_count();
  for (std::size_t c = 0; c < columns.size(); ++c) columns[c] = c;
  ds.events = ds.events.subset(rows, columns);
  const auto& sample = ws.samples.front();
  std::size_t lymphocytes = 0;
  for (auto _ : state) {
    const auto result = gate::apply_sample(sample, ds, {.num_threads = 1});
    lymphocytes = result.count(sample.populations.front().id);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
  state.counters["populations"] = static_cast<double>(sample.populations.size());
  state.counters["first"] = static_cast<double>(lymphocytes);
}

}  // namespace

BENCHMARK(BM_FlowJoWorkspace)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EndToEnd)
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 0})
    ->Args({5'000'000, 1})
    ->Args({5'000'000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(BM_MemcpyBaseline)->Arg(1'000'000)->Arg(5'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GateHierarchy)
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 0})
    ->Args({5'000'000, 1})
    ->Args({5'000'000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
