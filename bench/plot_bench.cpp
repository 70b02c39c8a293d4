// Density plot hot path (STYLE §7): a 1M-event, 256×256 pseudocolour plot of two
// fluorescence channels on logicle axes with a polygon gate and its parent population, as a
// per-sample report draws it. A report must stay well under 2 s.
//
// Stages, each its own benchmark, so the cost of drawing can be read against its baseline:
//   Histogram2D      the 2-D histogram of already transformed values (the baseline: one pass
//                    over the two columns)
//   MakeDensityPlot  values through the logicle display transform, histogram, smoothing,
//                    ticks and outlines (what depends on the events)
//   Render/<format>  drawing the computed plot with cairo and encoding PNG, SVG or PDF
//   FullPng          make + render PNG, i.e. one plot of a report
// Counters: events/s.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "libescapade/base/event_matrix.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/report/plot.hpp"
#include "libescapade/transform/transform.hpp"

namespace {

namespace gate = escapade::gate;
namespace report = escapade::report;
namespace transform = escapade::transform;

constexpr std::size_t kEvents = 1'000'000;

// Two channels with three populations (negative, dim, bright) and the usual spread of
// compensated data below zero; a polygon gate on the bright population under a rectangle.
struct Inputs {
  escapade::EventMatrix events;
  gate::GatingPlan plan{"<bench>"};
  gate::GatingResult result;
  report::PlotSpec spec;
  std::vector<double> xs;
  std::vector<double> ys;

  Inputs() {
    events = escapade::EventMatrix(kEvents, {{"FL1-A", "CD19"}, {"FL2-A", "CD22"}});
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto x = events.channel(0);
    auto y = events.channel(1);
    for (std::size_t i = 0; i < kEvents; ++i) {
      const double u = unit(rng);
      double mx = 0, my = 0;
      if (u < 0.5) {
        mx = 0;
        my = 0;
      } else if (u < 0.8) {
        mx = 3000;
        my = 800;
      } else {
        mx = 40000;
        my = 25000;
      }
      x[i] = mx * std::exp(0.35 * normal(rng)) + 120 * normal(rng);
      y[i] = my * std::exp(0.35 * normal(rng)) + 120 * normal(rng);
    }
    gate::Gate parent;
    parent.id = "Cells";
    gate::RectangleGate rect;
    rect.intervals.push_back({gate::Dimension::of("FL1-A"), -1000, 200000});
    parent.shape = rect;
    plan.add_gate(parent);
    gate::Gate bright;
    bright.id = "B cells";
    bright.parent = "Cells";
    gate::PolygonGate poly;
    poly.x = gate::Dimension::of("FL1-A");
    poly.y = gate::Dimension::of("FL2-A");
    poly.vertices = {{10000, 5000}, {150000, 5000}, {150000, 150000}, {10000, 150000}};
    bright.shape = poly;
    plan.add_gate(bright);
    result = gate::apply(plan, events);

    const transform::Transform logicle(transform::LogicleTransform(262144, 0.5, 4.5, 0));
    spec.x = {.dimension = gate::Dimension::of("FL1-A"), .display = logicle, .label = "CD19 FL1-A"};
    spec.y = {.dimension = gate::Dimension::of("FL2-A"), .display = logicle, .label = "CD22 FL2-A"};
    spec.population = "Cells";
    spec.gates = {"B cells"};

    xs.assign(x.begin(), x.end());
    ys.assign(y.begin(), y.end());
    logicle.apply(xs, xs);
    logicle.apply(ys, ys);
  }
};

const Inputs& inputs() {
  static const Inputs in;
  return in;
}

void set_rate(benchmark::State& state) {
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kEvents,
                                                  benchmark::Counter::kIsRate);
}

void BM_Histogram2D(benchmark::State& state) {
  const Inputs& in = inputs();
  const gate::Membership& cells = in.result.membership("Cells");
  for (auto _ : state) {
    auto h = report::histogram_2d(in.xs, in.ys, &cells, 0, 1, 0, 1, 256, 256);
    benchmark::DoNotOptimize(h.counts.data());
  }
  set_rate(state);
}
BENCHMARK(BM_Histogram2D)->Unit(benchmark::kMillisecond);

void BM_MakeDensityPlot(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    auto plot = report::make_density_plot(in.plan, in.events, in.spec, &in.result);
    benchmark::DoNotOptimize(plot.histogram.counts.data());
  }
  set_rate(state);
}
BENCHMARK(BM_MakeDensityPlot)->Unit(benchmark::kMillisecond);

void BM_Render(benchmark::State& state) {
  const Inputs& in = inputs();
  const auto format = static_cast<report::Format>(state.range(0));
  const report::DensityPlot plot = report::make_density_plot(in.plan, in.events, in.spec, &in.result);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto out = report::render(plot, format);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  set_rate(state);
}
BENCHMARK(BM_Render)
    ->Arg(static_cast<int>(report::Format::png))
    ->Arg(static_cast<int>(report::Format::svg))
    ->Arg(static_cast<int>(report::Format::pdf))
    ->ArgName("format(png,svg,pdf)")
    ->Unit(benchmark::kMillisecond);

void BM_FullPng(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    auto plot = report::make_density_plot(in.plan, in.events, in.spec, &in.result);
    auto out = report::render(plot, report::Format::png);
    benchmark::DoNotOptimize(out.data());
  }
  set_rate(state);
}
BENCHMARK(BM_FullPng)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
