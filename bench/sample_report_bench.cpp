// Per-sample report rendering (target: under 2 s) on a simulated
// 1M-event, 12-channel diagnosis sample, analysed once outside the timed loops.
//
//   Figures        make_gating_figures: the six plots' values, histograms, ticks and gates
//                  (the only stage that reads the events)
//   PlotsPng       the baseline: figures plus one PNG per plot, i.e. rendering the plots alone
//   Html / Pdf     sample_report_html / sample_report_pdf from the events
//   Full           render_sample_report: HTML and PDF from one computation of the figures
// Counters: events/s. Set ESCAPADE_REPORT_OUT=DIR to also write DIR/report.{html,pdf} once.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/panel.hpp"
#include "libescapade/report/plot.hpp"
#include "libescapade/report/sample_report.hpp"
#include "libescapade/sim/sim.hpp"

namespace {

namespace bal = escapade::bal;
namespace report = escapade::report;
namespace sim = escapade::sim;

constexpr std::size_t kEvents = 1'000'000;

struct Inputs {
  sim::SimulatedSample sample;
  bal::Analysis analysis;
  Inputs() : sample(simulate()), analysis(bal::analyze(sample.data_set, bal::builtin_panel(), "SIM-BENCH.fcs", {})) {
    if (const char* dir = std::getenv("ESCAPADE_REPORT_OUT")) {
      const auto files = report::render_sample_report(input());
      report::write_sample_report(files, std::filesystem::path(dir) / "report.html",
                                  std::filesystem::path(dir) / "report.pdf", true);
    }
  }
  static sim::SimulatedSample simulate() {
    sim::SampleOptions o;
    o.phase = sim::Phase::diagnosis;
    o.events = kEvents;
    o.seed = 11;
    o.sample_id = "SIM-BENCH";
    return sim::simulate_sample(o);
  }
  [[nodiscard]] report::SampleReportInput input() const {
    return {sample.data_set, analysis, nullptr, {}, "", "bal_escape"};
  }
};

const Inputs& inputs() {
  static const Inputs in;
  return in;
}

report::SampleReportOptions options(int threads) {
  report::SampleReportOptions o;
  o.num_threads = threads;
  return o;
}

void set_rate(benchmark::State& state) {
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(kEvents), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Figures(benchmark::State& state) {
  const Inputs& in = inputs();
  const auto o = options(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto figures = report::make_gating_figures(in.sample.data_set, in.analysis, o);
    benchmark::DoNotOptimize(figures.data());
  }
  set_rate(state);
}

void BM_PlotsPng(benchmark::State& state) {
  const Inputs& in = inputs();
  const auto o = options(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const auto figures = report::make_gating_figures(in.sample.data_set, in.analysis, o);
    std::size_t bytes = 0;
    for (const auto& f : figures) bytes += report::render(f.plot, report::Format::png).size();
    benchmark::DoNotOptimize(bytes);
  }
  set_rate(state);
}

void BM_Html(benchmark::State& state) {
  const Inputs& in = inputs();
  const auto o = options(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto html = report::sample_report_html(in.input(), o);
    benchmark::DoNotOptimize(html.data());
  }
  set_rate(state);
}

void BM_Pdf(benchmark::State& state) {
  const Inputs& in = inputs();
  const auto o = options(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto pdf = report::sample_report_pdf(in.input(), o);
    benchmark::DoNotOptimize(pdf.data());
  }
  set_rate(state);
}

void BM_Full(benchmark::State& state) {
  const Inputs& in = inputs();
  const auto o = options(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto files = report::render_sample_report(in.input(), o);
    benchmark::DoNotOptimize(files.pdf.data());
  }
  set_rate(state);
}

// Argument: threads for the plots' values (1 = the one-core budget).
BENCHMARK(BM_Figures)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PlotsPng)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Html)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Pdf)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Full)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
