// Unit tests of the density plots (libescapade/report/plot.hpp, axis.cpp, density.cpp,
// render.cpp): tick placement through the transforms, the 2-D histogram, gate outlines on the
// Gating-ML compliance data (data1.fcs, gml_all_gates.xml), PNG/SVG/PDF output and errors.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/gate/gatingml.hpp"
#include "libescapade/report/plot.hpp"
#include "libescapade/transform/transform.hpp"
#include "tests/support/test_support.hpp"

// Fontconfig, behind cairo's text, keeps its caches until the process ends: not a leak of
// ours, and LeakSanitizer (CI runs the tests under ASan) would report it.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace gate = escapade::gate;
namespace report = escapade::report;
namespace transform = escapade::transform;
using escapade::ErrorKind;
using escapade::testing::data_path;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const report::Tick* find_tick(const std::vector<report::Tick>& ticks, double value) {
  for (const auto& t : ticks) {
    if (t.value == value) return &t;
  }
  return nullptr;
}

std::vector<std::string> labels(const std::vector<report::Tick>& ticks) {
  std::vector<std::string> out;
  for (const auto& t : ticks) {
    if (!t.label.empty()) out.push_back(t.label);
  }
  return out;
}

gate::Dimension dim(const std::string& channel, const std::string& compensation = std::string(gate::uncompensated)) {
  gate::Dimension d = gate::Dimension::of(channel);
  d.compensation = compensation;
  return d;
}

// Width and height from a PNG's IHDR.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::vector<std::byte>& png) {
  auto be32 = [&](std::size_t at) {
    return (std::to_integer<std::uint32_t>(png.at(at)) << 24) | (std::to_integer<std::uint32_t>(png.at(at + 1)) << 16) |
           (std::to_integer<std::uint32_t>(png.at(at + 2)) << 8) | std::to_integer<std::uint32_t>(png.at(at + 3));
  };
  return {be32(16), be32(20)};
}

bool is_png(const std::vector<std::byte>& bytes) {
  static constexpr unsigned char signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 33) return false;
  for (std::size_t i = 0; i < 8; ++i) {
    if (std::to_integer<unsigned char>(bytes[i]) != signature[i]) return false;
  }
  return std::string(reinterpret_cast<const char*>(bytes.data()) + 12, 4) == "IHDR";
}

using escapade::testing::as_text;

struct TempDir : escapade::testing::TempDir {
  TempDir() : escapade::testing::TempDir("plot_test") {}
};

// ---------------------------------------------------------------------------------------------
// Ticks: a pure function of the transform and the range.
// ---------------------------------------------------------------------------------------------

TEST(AxisTicks, LogicleMajorsSitWhereLogiclePutsTheDecades) {
  const transform::LogicleTransform logicle(262144, 0.5, 4.5, 0);
  const transform::Transform t(logicle);
  const auto ticks = report::axis_ticks(&t, 0.0, 1.0);
  for (double v : {0.0, 1e3, 1e4, 1e5}) {
    const report::Tick* tick = find_tick(ticks, v);
    ASSERT_NE(tick, nullptr) << v;
    EXPECT_DOUBLE_EQ(tick->position, logicle.apply(v)) << v;
    EXPECT_TRUE(tick->major);
  }
  EXPECT_EQ(find_tick(ticks, 1e3)->label, "10\u00b3");
  EXPECT_EQ(find_tick(ticks, 1e4)->label, "10\u2074");
  EXPECT_EQ(find_tick(ticks, 1e5)->label, "10\u2075");
  EXPECT_EQ(find_tick(ticks, 0.0)->label, "0");
  EXPECT_DOUBLE_EQ(find_tick(ticks, 0.0)->position, logicle.zero_point());
  // Minor ticks at 2…9 × 10^k, through the transform, unlabelled.
  for (double v : {2e3, 5e3, 9e3, 2e4, 2e5}) {
    const report::Tick* tick = find_tick(ticks, v);
    ASSERT_NE(tick, nullptr) << v;
    EXPECT_FALSE(tick->major);
    EXPECT_TRUE(tick->label.empty());
    EXPECT_DOUBLE_EQ(tick->position, logicle.apply(v));
  }
  // 3 × 10^5 is past the top (262144).
  EXPECT_EQ(find_tick(ticks, 3e5), nullptr);
  // 10² lies 0.10 above 0 on this scale: labelled; 10¹ (0.12) is not. −10² is in range but
  // at 0.009, on the corner: its mark stays, its label goes.
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"0", "10\u00b2", "10\u00b3", "10\u2074", "10\u2075"}));
  ASSERT_NE(find_tick(ticks, -100.0), nullptr);
  EXPECT_TRUE(find_tick(ticks, -100.0)->label.empty());
  EXPECT_TRUE(std::is_sorted(ticks.begin(), ticks.end(),
                             [](const report::Tick& a, const report::Tick& b) { return a.position < b.position; }));
}

TEST(AxisTicks, LabelGapDropsLabelsNotMarks) {
  const transform::Transform t(transform::LogicleTransform(262144, 0.5, 4.5, 0));
  // 0 at 0.11, 10³ at 0.45, 10⁴ at 0.68, 10⁵ at 0.91: 10⁴ is within 0.3 of 10⁵.
  const auto ticks = report::axis_ticks(&t, 0.0, 1.0, report::TickStyle::automatic, 0.3);
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"0", "10\u00b3", "10\u2075"}));
  const report::Tick* tick = find_tick(ticks, 1e4);
  ASSERT_NE(tick, nullptr);
  EXPECT_TRUE(tick->major);
  EXPECT_TRUE(tick->label.empty());
}

TEST(AxisTicks, LogicleNegativeDecades) {
  // A = 1 shows one negative decade: −10³ is labelled with a minus sign.
  const transform::LogicleTransform logicle(262144, 1, 4.5, 1);
  const transform::Transform t(logicle);
  const auto ticks = report::axis_ticks(&t, 0.0, 1.0);
  const report::Tick* tick = find_tick(ticks, -1e3);
  ASSERT_NE(tick, nullptr);
  EXPECT_EQ(tick->label, "\u221210\u00b3");
  EXPECT_DOUBLE_EQ(tick->position, logicle.apply(-1e3));
}

TEST(AxisTicks, LogAxisHasDecadesAndNoZero) {
  const transform::LogTransform log(10000, 4);
  const transform::Transform t(log);
  const auto ticks = report::axis_ticks(&t, 0.0, 1.0);
  EXPECT_EQ(labels(ticks),
            (std::vector<std::string>{"10\u2070", "10\u00b9", "10\u00b2", "10\u00b3", "10\u2074"}));
  EXPECT_DOUBLE_EQ(find_tick(ticks, 100.0)->position, 0.5);
}

TEST(AxisTicks, LinearScatterAxisInThousands) {
  const auto ticks = report::axis_ticks(nullptr, 0.0, 262144.0);
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"0", "50K", "100K", "150K", "200K", "250K"}));
  const report::Tick* minor = find_tick(ticks, 10000.0);
  ASSERT_NE(minor, nullptr);
  EXPECT_FALSE(minor->major);
  // Through flin the values stay, the positions scale.
  const transform::Transform flin(transform::LinearTransform(262144, 0));
  const auto scaled = report::axis_ticks(&flin, 0.0, 1.0);
  EXPECT_EQ(labels(scaled), labels(ticks));
  EXPECT_DOUBLE_EQ(find_tick(scaled, 150000.0)->position, 150000.0 / 262144.0);
}

TEST(AxisTicks, LinearSmallAndNegativeRanges) {
  EXPECT_EQ(labels(report::axis_ticks(nullptr, 0.0, 1.0)),
            (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1"}));
  EXPECT_EQ(labels(report::axis_ticks(nullptr, -1000.0, 1000.0)),
            (std::vector<std::string>{"\u22121000", "\u2212500", "0", "500", "1000"}));
  // K only when the axis reaches 10 000, then on every label.
  EXPECT_EQ(labels(report::axis_ticks(nullptr, -20000.0, 20000.0)),
            (std::vector<std::string>{"\u221220K", "\u221210K", "0", "10K", "20K"}));
  EXPECT_EQ(labels(report::axis_ticks(nullptr, 0.0, 3e7)),
            (std::vector<std::string>{"0", "5M", "10M", "15M", "20M", "25M", "30M"}));
  EXPECT_EQ(labels(report::axis_ticks(nullptr, 0.0, 12500.0)),
            (std::vector<std::string>{"0", "2.5K", "5K", "7.5K", "10K", "12.5K"}));
}

TEST(AxisTicks, StyleNoneAndErrors) {
  EXPECT_TRUE(report::axis_ticks(nullptr, 0, 1, report::TickStyle::none).empty());
  for (auto [lo, hi] : {std::pair{1.0, 1.0}, std::pair{2.0, 1.0}, std::pair{0.0, std::nan("")}, std::pair{-std::numeric_limits<double>::infinity(), 0.0}}) {
    try {
      (void)report::axis_ticks(nullptr, lo, hi);
      ADD_FAILURE() << lo << " " << hi;
    } catch (const escapade::Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
      EXPECT_EQ(e.where(), "axis range");
    }
  }
  EXPECT_THROW((void)report::axis_ticks(nullptr, 0, 1, report::TickStyle::linear, 0.0), escapade::Error);
}

// ---------------------------------------------------------------------------------------------
// Scales for channels.
// ---------------------------------------------------------------------------------------------

TEST(Scales, LogicleWidthFromTheFifthPercentile) {
  std::vector<double> values(100, 1000.0);
  for (std::size_t i = 0; i < 6; ++i) values[i] = -100.0;
  EXPECT_NEAR(report::logicle_width(values, 262144, 4.5), (4.5 - std::log10(2621.44)) / 2, 1e-12);
  // r is the 5th percentile of the negatives only: of −1, −2, …, −1000, the value at index
  // ⌊0.05·999⌋ = 49 from the most negative end, −951.
  std::vector<double> spread(2000, 500.0);
  for (std::size_t i = 0; i < 1000; ++i) spread[i] = -static_cast<double>(i + 1);
  EXPECT_NEAR(report::logicle_width(spread, 262144, 4.5), (4.5 - std::log10(262144 / 951.0)) / 2, 1e-12);
  EXPECT_EQ(report::logicle_width(std::vector<double>(10, 5.0), 262144, 4.5), 0.0);
  EXPECT_EQ(report::logicle_width({}, 262144, 4.5), 0.0);
}

class Data1 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    file = new escapade::fcs::FcsFile(escapade::fcs::read_fcs_file(data_path("gatingml/data1.fcs")));
    plan = new gate::GatingPlan(gate::read_gatingml_file(data_path("gatingml/gml/gml_all_gates.xml")));
    result = new gate::GatingResult(gate::apply(*plan, events()));
  }
  static void TearDownTestSuite() {
    delete result;
    delete plan;
    delete file;
  }
  static const escapade::EventMatrix& events() { return file->data_sets.front().events; }
  static const escapade::fcs::Parameter& parameter(const std::string& name) {
    const auto& ds = file->data_sets.front();
    return ds.parameters[*ds.find_parameter(name)];
  }

  // FL2-H × FL3-H with Polygon1, as the CLI draws it: logicle display on both axes.
  static report::DensityPlot polygon_plot(bool logicle = true) {
    report::PlotSpec spec;
    spec.x.dimension = dim("FL2-H", "FCS");
    spec.y.dimension = dim("FL3-H", "FCS");
    if (logicle) {
      spec.x.display = transform::Transform(transform::LogicleTransform(10000, 0, 4.5, 0));
      spec.y.display = spec.x.display;
    }
    spec.gates = {"Polygon1"};
    return report::make_density_plot(*plan, events(), spec, result);
  }

  static escapade::fcs::FcsFile* file;
  static gate::GatingPlan* plan;
  static gate::GatingResult* result;
};
escapade::fcs::FcsFile* Data1::file = nullptr;
gate::GatingPlan* Data1::plan = nullptr;
gate::GatingResult* Data1::result = nullptr;

TEST_F(Data1, ChannelTopFollowsTheReadersScaling) {
  EXPECT_DOUBLE_EQ(report::channel_top(parameter("FL1-H")), 1e4);          // $PnE 4,0 → 10^4
  EXPECT_DOUBLE_EQ(report::channel_top(parameter("FSC-H")), 1024 / 3.67);  // $PnR ÷ $PnG
  EXPECT_DOUBLE_EQ(report::channel_top(parameter("FL2-A")), 1024);
  EXPECT_TRUE(report::is_scatter_or_time(parameter("SSC-H")));
  EXPECT_TRUE(report::is_scatter_or_time(parameter("Time")));
  EXPECT_FALSE(report::is_scatter_or_time(parameter("FL3-H")));
}

TEST_F(Data1, DisplayTransformPerChannelKind) {
  const auto fsc = report::display_transform(parameter("FSC-H"), events().channel(0));
  ASSERT_TRUE(fsc);
  EXPECT_EQ(fsc->name(), "flin");
  const auto fl1 = report::display_transform(parameter("FL1-H"), events().channel(2));
  ASSERT_TRUE(fl1);
  ASSERT_NE(fl1->get_if<transform::LogicleTransform>(), nullptr);
  EXPECT_DOUBLE_EQ(fl1->get_if<transform::LogicleTransform>()->t(), 1e4);
  EXPECT_EQ(report::display_transform(parameter("FL1-H"), events().channel(2), report::Scale::asinh)->name(), "fasinh");
  EXPECT_FALSE(report::display_transform(parameter("FL1-H"), events().channel(2), report::Scale::none));
}

// ---------------------------------------------------------------------------------------------
// The 2-D histogram.
// ---------------------------------------------------------------------------------------------

TEST(Histogram, BinsEdgesOffScaleAndMissing) {
  const std::vector<double> x{0.0, 0.49, 0.5, 0.99, 1.0, -3.0, 7.0, NAN, 0.2};
  const std::vector<double> y{0.0, 0.0, 0.5, 0.99, 1.0, 0.5, 0.5, 0.5, NAN};
  const auto h = report::histogram_2d(x, y, nullptr, 0, 1, 0, 1, 2, 2);
  EXPECT_EQ(h.total, 7U);
  EXPECT_EQ(h.missing, 2U);
  EXPECT_EQ(h.off_scale, 2U);  // −3 and 7; 1.0 is the top edge, on scale
  EXPECT_EQ(h.at(0, 0), 2U);   // (0, 0), (0.49, 0)
  EXPECT_EQ(h.at(1, 1), 4U);   // (0.5, 0.5), (0.99, 0.99), (1, 1), (7, 0.5)
  EXPECT_EQ(h.at(0, 1), 1U);   // (−3, 0.5)
  EXPECT_EQ(h.at(1, 0), 0U);
  EXPECT_EQ(std::accumulate(h.counts.begin(), h.counts.end(), std::size_t{0}), h.total);
}

TEST(Histogram, MembershipRestrictsEvents) {
  std::vector<double> x(200), y(200);
  for (std::size_t i = 0; i < 200; ++i) {
    x[i] = static_cast<double>(i) / 200;
    y[i] = 0.5;
  }
  gate::Membership m(200);
  for (std::size_t i = 0; i < 200; i += 3) m.set(i);
  const auto h = report::histogram_2d(x, y, &m, 0, 1, 0, 1, 4, 1);
  EXPECT_EQ(h.total, m.count());
  EXPECT_EQ(h.at(0, 0), 17U);  // i = 0, 3, …, 48
  EXPECT_EQ(h.at(3, 0), 17U);  // i = 150, …, 198
}

TEST(Histogram, Errors) {
  const std::vector<double> a(3), b(4);
  try {
    (void)report::histogram_2d(a, b, nullptr, 0, 1, 0, 1, 4, 4);
    ADD_FAILURE();
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_TRUE(contains(e.reason(), "differ in size")) << e.what();
  }
  gate::Membership m(5);
  EXPECT_THROW((void)report::histogram_2d(a, a, &m, 0, 1, 0, 1, 4, 4), escapade::Error);
  EXPECT_THROW((void)report::histogram_2d(a, a, nullptr, 1, 0, 0, 1, 4, 4), escapade::Error);
  EXPECT_THROW((void)report::histogram_2d(a, a, nullptr, 0, 1, 0, 1, 0, 4), escapade::Error);
}

TEST_F(Data1, HistogramCountsAddUpToThePopulation) {
  for (const std::string population : {"", "Range1", "Polygon1", "Ellipse1", "FL2P-FL4N"}) {
    report::PlotSpec spec;
    spec.x.dimension = dim("FL2-H");
    spec.y.dimension = dim("FL3-H");
    spec.x.display = transform::Transform(transform::LogicleTransform(10000, 0, 4.5, 0));
    spec.population = population;
    const auto plot = report::make_density_plot(*plan, events(), spec, result);
    const std::size_t expected = population.empty() ? events().event_count() : result->count(population);
    EXPECT_EQ(plot.histogram.total + plot.histogram.missing, expected) << population;
    EXPECT_EQ(std::accumulate(plot.histogram.counts.begin(), plot.histogram.counts.end(), std::size_t{0}),
              plot.histogram.total);
    EXPECT_EQ(plot.histogram.columns, 256U);
    EXPECT_EQ(plot.density.size(), 256U * 256U);
    EXPECT_EQ(plot.title, population.empty() ? "All events" : population);
  }
  EXPECT_EQ(report::make_density_plot(*plan, events(), {.x = {.dimension = dim("FL1-H")}, .y = {.dimension = dim("FL2-H")}},
                                      nullptr)
                .subtitle,
            "13,367 events");
}

TEST_F(Data1, SmoothingKeepsTheMass) {
  const auto plot = polygon_plot();
  const double mass = std::accumulate(plot.density.begin(), plot.density.end(), 0.0);
  // The binomial kernel keeps all mass but what spills over the edges.
  EXPECT_LE(mass, static_cast<double>(plot.histogram.total) + 1e-3);
  EXPECT_GT(mass, 0.9 * static_cast<double>(plot.histogram.total));
}

// ---------------------------------------------------------------------------------------------
// Gates on the compliance data.
// ---------------------------------------------------------------------------------------------

TEST_F(Data1, DrawableGatesMatchDimensions) {
  EXPECT_EQ(report::drawable_gates(*plan, dim("FL2-H", "FCS"), dim("FL3-H", "FCS")),
            (std::vector<std::string>{"Polygon1"}));
  // Either order.
  EXPECT_EQ(report::drawable_gates(*plan, dim("FL3-H", "FCS"), dim("FL2-H", "FCS")),
            (std::vector<std::string>{"Polygon1"}));
  EXPECT_EQ(report::drawable_gates(*plan, dim("FL3-H"), dim("FL4-H")), (std::vector<std::string>{"Ellipse1"}));
  EXPECT_EQ(report::drawable_gates(*plan, dim("FL2-H", "FCS"), dim("FL4-H", "FCS")),
            (std::vector<std::string>{"FL2P-FL4P", "FL2N-FL4P", "FL2N-FL4N", "FL2P-FL4N"}));
  // Uncompensated FL2-H is another dimension than FL2-H [FCS].
  EXPECT_TRUE(report::drawable_gates(*plan, dim("FL2-H"), dim("FL3-H")).empty());
  // Parent filter: ParAnd2 is a boolean (no outline); top-level rectangles on FSC-H × SSC-H.
  const auto top = report::drawable_gates(*plan, dim("FSC-H"), dim("SSC-H"), std::string_view(""));
  EXPECT_NE(std::find(top.begin(), top.end(), "Range1"), top.end());
}

TEST_F(Data1, GateAxesTakeTheGatesTransforms) {
  const auto axes = report::gate_axes(*plan, "PE", "PerCP");
  ASSERT_TRUE(axes.x && axes.y);
  EXPECT_EQ(axes.x->compensation, "MySpill");
  // Polygon4 comes first (MySpill, no transform).
  EXPECT_TRUE(axes.x->transform.empty());
  const auto scaled = report::gate_axes(*plan, "PE", "PerCP", std::string_view("ScaleRect1"));
  ASSERT_TRUE(scaled.x && scaled.y);
  const auto none = report::gate_axes(*plan, "FL2-H", "Nope");
  EXPECT_TRUE(none.x);
  EXPECT_FALSE(none.y);
}

TEST_F(Data1, PolygonOutlineIsTheVerticesThroughTheDisplay) {
  const auto linear = polygon_plot(false);
  ASSERT_EQ(linear.gates.size(), 1U);
  const auto& g = linear.gates.front();
  EXPECT_EQ(g.kind, report::GateOutline::Kind::polygon);
  EXPECT_EQ(g.name, "Polygon1");
  EXPECT_EQ(g.count, 1582U);  // expected_counts.tsv
  EXPECT_DOUBLE_EQ(g.percent, 100.0 * 1582 / 13367);
  ASSERT_EQ(g.lines.size(), 1U);
  EXPECT_EQ(g.lines[0], (std::vector<gate::Point>{{5, 5}, {500, 5}, {500, 500}, {5, 5}}));
  EXPECT_EQ(g.label_at.y, 500);  // above the top

  // Through logicle, every point lies on the transformed polygon; edges are subdivided.
  const transform::LogicleTransform t(10000, 0, 4.5, 0);
  const auto curved = polygon_plot(true);
  const auto& line = curved.gates.front().lines.front();
  EXPECT_GT(line.size(), 4U);
  EXPECT_DOUBLE_EQ(line.front().x, t.apply(5));
  EXPECT_DOUBLE_EQ(line.front().y, t.apply(5));
  for (const auto& p : line) {
    const double x = t.inverse(p.x), y = t.inverse(p.y);
    const bool on_edge = std::fabs(y - 5) < 1e-6 || std::fabs(x - 500) < 1e-6 || std::fabs(x - y) < 1e-6 * x;
    EXPECT_TRUE(on_edge) << x << " " << y;
  }
}

TEST_F(Data1, SwappedAxesSwapTheOutline) {
  report::PlotSpec spec;
  spec.x.dimension = dim("FL3-H", "FCS");
  spec.y.dimension = dim("FL2-H", "FCS");
  spec.gates = {"Polygon1"};
  const auto plot = report::make_density_plot(*plan, events(), spec, result);
  EXPECT_EQ(plot.gates.front().lines[0], (std::vector<gate::Point>{{5, 5}, {5, 500}, {500, 500}, {5, 5}}));
}

TEST_F(Data1, EllipseContourHasTheGatesHalfAxes) {
  // gml_all_gates.xml: "Half-axes of this ellipse are 10 and 5, rotation 45 degrees".
  report::PlotSpec spec;
  spec.x.dimension = dim("FL3-H");
  spec.y.dimension = dim("FL4-H");
  spec.gates = {"Ellipse1"};
  const auto plot = report::make_density_plot(*plan, events(), spec, result);
  const auto& g = plot.gates.front();
  EXPECT_EQ(g.kind, report::GateOutline::Kind::ellipse);
  EXPECT_EQ(g.count, result->count("Ellipse1"));
  const auto& line = g.lines.front();
  ASSERT_GT(line.size(), 100U);
  EXPECT_EQ(line.front(), line.back());
  double rmin = INFINITY, rmax = 0;
  // Σ = [[62.5, 37.5], [37.5, 62.5]], Σ⁻¹ = [[62.5, −37.5], [−37.5, 62.5]]/2500, D² = 1.
  for (const auto& p : line) {
    const double dx = p.x - 12.99701, dy = p.y - 16.22941;
    EXPECT_NEAR((62.5 * dx * dx - 75.0 * dx * dy + 62.5 * dy * dy) / 2500.0, 1.0, 1e-12);
    rmin = std::min(rmin, std::hypot(dx, dy));
    rmax = std::max(rmax, std::hypot(dx, dy));
  }
  EXPECT_NEAR(rmax, 10.0, 1e-3);
  EXPECT_NEAR(rmin, 5.0, 1e-3);
}

TEST_F(Data1, QuadrantsShareDividersAndLabelTheirCorners) {
  report::PlotSpec spec;
  spec.x.dimension = dim("FL2-H", "FCS");
  spec.y.dimension = dim("FL4-H", "FCS");
  spec.gates = report::drawable_gates(*plan, spec.x.dimension, spec.y.dimension);
  const auto plot = report::make_density_plot(*plan, events(), spec, result);
  ASSERT_EQ(plot.gates.size(), 4U);
  EXPECT_EQ(plot.gates[0].lines.size(), 2U);  // one divider per axis
  for (std::size_t i = 1; i < 4; ++i) EXPECT_TRUE(plot.gates[i].lines.empty());
  double sum = 0;
  for (const auto& g : plot.gates) {
    EXPECT_EQ(g.kind, report::GateOutline::Kind::quadrant);
    sum += g.percent;
    const bool right = g.id.rfind("FL2P", 0) == 0;
    const bool top = g.id.find("FL4P") != std::string::npos;
    EXPECT_EQ(g.label_align.x, right ? 1.0 : 0.0) << g.id;
    EXPECT_EQ(g.label_align.y, top ? 1.0 : 0.0) << g.id;
    EXPECT_EQ(g.label_at.x, right ? plot.x.max : plot.x.min) << g.id;
  }
  EXPECT_NEAR(sum, 100.0, 1e-9);
}

TEST_F(Data1, RangeGateSpansTheOtherAxisClipped) {
  report::PlotSpec spec;
  spec.x.dimension = dim("FSC-H");
  spec.y.dimension = dim("SSC-H");
  spec.x.min = 0;
  spec.x.max = 300;
  spec.y.min = 0;
  spec.y.max = 150;
  spec.gates = {"Range1", "Rectangle1"};  // FSC-H ≥ 100; Rectangle1 is on SSC-H × FL1-H: no
  try {
    (void)report::make_density_plot(*plan, events(), spec, result);
    ADD_FAILURE();
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_EQ(e.where(), "gate 'Rectangle1'");
  }
  spec.gates = {"Range1"};
  const auto plot = report::make_density_plot(*plan, events(), spec, result);
  EXPECT_EQ(plot.gates.front().lines.front(),
            (std::vector<gate::Point>{{100, 0}, {300, 0}, {300, 150}, {100, 150}, {100, 0}}));
}

TEST_F(Data1, PlanTransformIsTheAxisScale) {
  report::PlotSpec spec;
  spec.x.dimension = dim("PE", "MySpill");
  spec.x.dimension.transform = "Logicle_10000_0.5_4.5_0";
  spec.y.dimension = dim("PerCP", "MySpill");
  spec.y.dimension.transform = "Logicle_10000_0.5_4.5_0";
  spec.gates = {"ScaleRect1"};
  const auto plot = report::make_density_plot(*plan, events(), spec, result);
  EXPECT_EQ(plot.x.min, 0.0);
  EXPECT_EQ(plot.x.max, 1.0);
  const transform::LogicleTransform t(10000, 0.5, 4.5, 0);
  const report::Tick* tick = find_tick(plot.x.ticks, 1e3);
  ASSERT_NE(tick, nullptr);
  EXPECT_DOUBLE_EQ(tick->position, t.apply(1e3));
  EXPECT_EQ(plot.gates.front().count, result->count("ScaleRect1"));
  // A display transform on top of the plan's is refused.
  spec.x.display = transform::Transform(transform::LinearTransform(1, 0));
  try {
    (void)report::make_density_plot(*plan, events(), spec, result);
    ADD_FAILURE();
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_TRUE(contains(e.reason(), "has its own transform")) << e.what();
  }
}

TEST_F(Data1, SpecErrors) {
  report::PlotSpec spec;
  spec.x.dimension = dim("FL2-H", "FCS");
  spec.y.dimension = dim("FL3-H", "FCS");
  spec.gates = {"NoSuchGate"};
  try {
    (void)report::make_density_plot(*plan, events(), spec, result);
    ADD_FAILURE();
  } catch (const escapade::GateTreeError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::reference);
    EXPECT_EQ(e.where(), "gate 'NoSuchGate'");
  }
  spec.gates.clear();
  spec.population = "Polygon1";
  EXPECT_THROW((void)report::make_density_plot(*plan, events(), spec, nullptr), escapade::Error);
  spec.population = "Nope";
  EXPECT_THROW((void)report::make_density_plot(*plan, events(), spec, result), escapade::GateTreeError);
  spec.population.clear();
  spec.bins_x = 1;
  try {
    (void)report::make_density_plot(*plan, events(), spec, result);
    ADD_FAILURE();
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_EQ(e.where(), "bins");
    EXPECT_TRUE(contains(e.reason(), "1×256 is outside 2 … 4096")) << e.what();
  }
  spec.bins_x = 256;
  spec.x.dimension = dim("NoChannel");
  EXPECT_THROW((void)report::make_density_plot(*plan, events(), spec, result), escapade::GateTreeError);
}

// ---------------------------------------------------------------------------------------------
// Rendering.
// ---------------------------------------------------------------------------------------------

TEST_F(Data1, PngHasSignatureAndSize) {
  const auto plot = polygon_plot();
  const auto png = report::render(plot, report::Format::png);
  ASSERT_TRUE(is_png(png));
  EXPECT_EQ(png_size(png), (std::pair<std::uint32_t, std::uint32_t>{620, 616}));
  const auto small = report::render(plot, report::Format::png, {.width = 300, .height = 240});
  ASSERT_TRUE(is_png(small));
  EXPECT_EQ(png_size(small), (std::pair<std::uint32_t, std::uint32_t>{300, 240}));
}

TEST_F(Data1, SvgParsesAndHasTheGatePath) {
  const auto plot = polygon_plot(false);
  const std::string svg = as_text(report::render(plot, report::Format::svg));
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(svg.c_str())) << svg.substr(0, 200);
  const auto root = doc.child("svg");
  ASSERT_TRUE(root);
  EXPECT_STREQ(root.attribute("width").value(), "620pt");
  EXPECT_STREQ(root.attribute("height").value(), "616pt");
  // Gate outlines are the only 1.5-wide strokes: one closed triangle for Polygon1.
  std::vector<std::string> gate_paths;
  for (const auto& node : root.select_nodes("//path")) {
    const std::string style = node.node().attribute("style").value();
    if (contains(style, "stroke-width:1.5;")) gate_paths.push_back(node.node().attribute("d").value());
  }
  ASSERT_EQ(gate_paths.size(), 1U);
  const std::string& d = gate_paths.front();
  EXPECT_EQ(std::count(d.begin(), d.end(), 'L'), 2);  // M, 2 × L, Z: three vertices
  EXPECT_TRUE(contains(d, "Z"));
}

TEST_F(Data1, PdfHasHeaderAndTrailer) {
  const std::string pdf = as_text(report::render(polygon_plot(), report::Format::pdf));
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  EXPECT_TRUE(contains(pdf.substr(pdf.size() - 32), "%%EOF"));
}

TEST_F(Data1, RenderingIsThreadSafeAndDeterministic) {
  const auto plot = polygon_plot();
  const auto expected = report::render(plot, report::Format::png);
  std::vector<std::vector<std::byte>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = report::render(plot, report::Format::png); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST_F(Data1, FilesAreWrittenOnceUnlessOverwriteIsAsked) {
  const TempDir dir;
  const auto plot = polygon_plot();
  const auto png = dir.path / "plot.png";
  report::render_png(plot, png);
  std::ifstream in(png, std::ios::binary);
  std::vector<char> head(8);
  in.read(head.data(), 8);
  EXPECT_EQ(std::string(head.data() + 1, 3), "PNG");
  try {
    report::render_png(plot, png);
    ADD_FAILURE();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.source(), png.string());
    EXPECT_TRUE(contains(e.reason(), "exists")) << e.what();
  }
  report::render_png(plot, png, {.overwrite = true});
  report::render_svg(plot, dir.path / "plot.svg");
  report::render_pdf(plot, dir.path / "plot.pdf");
  report::render_file(plot, dir.path / "plot2.PDF");
  EXPECT_TRUE(std::filesystem::exists(dir.path / "plot.svg"));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "plot2.PDF"));
  // Nothing but the outputs is left behind (no temporary files).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path), std::filesystem::directory_iterator{}), 4);
}

TEST_F(Data1, WriteErrorsNameThePath) {
  const TempDir dir;
  const auto plot = polygon_plot();
  const auto missing = dir.path / "no" / "such" / "dir" / "plot.png";
  try {
    report::render_png(plot, missing);
    ADD_FAILURE();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.source(), missing.string());
  }
  try {
    report::render_file(plot, dir.path / "plot.jpg");
    ADD_FAILURE();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_TRUE(contains(e.reason(), ".png, .svg or .pdf")) << e.what();
  }
  EXPECT_EQ(report::format_for("a.SVG"), report::Format::svg);
  EXPECT_FALSE(report::format_for("a.tiff"));
  try {
    (void)report::render(plot, report::Format::png, {.width = 100});
    ADD_FAILURE();
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_EQ(e.where(), "render size");
  }
  report::DensityPlot broken = plot;
  broken.histogram.counts.pop_back();
  EXPECT_THROW((void)report::render(broken, report::Format::png), escapade::Error);
}

// The `escapade plot` command end to end: gates drawn, JSON summary, refusals.
struct CliRun {
  int status = -1;
  std::string out;
};

CliRun run_cli(const std::string& args) {
  // The CLI inherits fontconfig's caches too (see __lsan_default_suppressions).
  const std::string cmd = std::string("ASAN_OPTIONS=detect_leaks=0 '") + ESCAPADE_CLI_PATH + "' " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

TEST(Cli, PlotDrawsTheGatesOfTheAxes) {
  const TempDir dir;
  const auto data = data_path("gatingml/data1.fcs");
  const auto gml = data_path("gatingml/gml/gml_all_gates.xml");
  const auto out = dir.path / "poly.png";
  const CliRun r = run_cli("plot --json " + q(data) + " --x FL2-H --y 'CD3 PerCP' --gatingml " + q(gml) + " -o " + q(out));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "\"id\": \"Polygon1\"")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"count\": 1582")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"events\": 13367")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"dimension\": \"FL3-H [FCS]\"")) << r.out;  // the gate's dimension
  EXPECT_TRUE(is_png(escapade::testing::read_bytes(out)));
  // Refuses to overwrite without --force (io: 3), accepts with it.
  EXPECT_EQ(run_cli("plot " + q(data) + " --x FL2-H --y FL3-H -o " + q(out)).status, 3);
  EXPECT_EQ(run_cli("plot " + q(data) + " --x FL2-H --y FL3-H --force -o " + q(out)).status, 0);
  // A population restricts the events: Polygon1's 1582.
  const CliRun pop = run_cli("plot --json " + q(data) + " --x FL1-H --y FL4-H --gatingml " + q(gml) +
                             " --population Polygon1 -o " + q(dir.path / "pop.svg"));
  ASSERT_EQ(pop.status, 0);
  EXPECT_TRUE(contains(pop.out, "\"events\": 1582")) << pop.out;
  EXPECT_EQ(run_cli("plot " + q(data) + " --x FL2-H --y FL3-H -o " + q(dir.path / "a.jpg")).status, 2);
  EXPECT_EQ(run_cli("plot " + q(data) + " --x FL2-H --y Nope -o " + q(dir.path / "b.png")).status, 6);
}

TEST(Render, EmptyPopulationStillRenders) {
  report::DensityPlot plot;
  plot.title = "Empty";
  plot.subtitle = "0 events";
  plot.x = {"x", 0, 1, report::axis_ticks(nullptr, 0, 1)};
  plot.y = {"y", 0, 1, report::axis_ticks(nullptr, 0, 1)};
  plot.histogram = report::histogram_2d({}, {}, nullptr, 0, 1, 0, 1, 8, 8);
  const auto png = report::render(plot, report::Format::png);
  EXPECT_TRUE(is_png(png));
}

}  // namespace
