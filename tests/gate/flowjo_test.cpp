// Unit tests of the FlowJo workspace importer (libescapade/gate/flowjo.cpp): structure read
// from shared/data/flowjo, errors with their place, FCS file resolution, the ellipse
// conversion, and the binned outlines against a direct bin-by-bin reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/flowjo.hpp"
#include "libescapade/transform/transform.hpp"
#include "tests/support/test_support.hpp"

namespace gate = escapade::gate;
namespace fcs = escapade::fcs;
namespace fs = std::filesystem;
using escapade::ChannelLabel;
using escapade::ErrorKind;
using escapade::EventMatrix;
using escapade::testing::data_path;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// 1-based line of the first occurrence of `marker` in `text`.
std::size_t line_of(const std::string& text, const std::string& marker) {
  const std::size_t at = text.find(marker);
  EXPECT_NE(at, std::string::npos) << marker;
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

constexpr const char* linear_ab =
    "      <transforms:linear transforms:minRange=\"0\" transforms:maxRange=\"262144\" gain=\"1\">\n"
    "        <data-type:parameter data-type:name=\"A\"/>\n"
    "      </transforms:linear>\n"
    "      <transforms:linear transforms:minRange=\"0\" transforms:maxRange=\"262144\" gain=\"1\">\n"
    "        <data-type:parameter data-type:name=\"B\"/>\n"
    "      </transforms:linear>\n";

// A one-sample workspace over parameters A and B, in FlowJo 10's layout (docs/formats.md §3.1).
// The group carries a template gate, which must not reach the sample.
std::string workspace(const std::string& populations, const std::string& transforms = linear_ab,
                      const std::string& sample_extra = "", const std::string& sample_id = "7") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<Workspace version=\"20.0\" flowJoVersion=\"10.7.1\"\n"
         "    xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\"\n"
         "    xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\"\n"
         "    xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n"
         "  <Groups>\n"
         "    <GroupNode name=\"All Samples\">\n"
         "      <Group name=\"All Samples\"><SampleRefs><SampleRef sampleID=\"" +
         sample_id +
         "\"/></SampleRefs></Group>\n"
         "      <Subpopulations><Population name=\"template\" count=\"5\"><Gate gating:id=\"T0\">\n"
         "        <gating:RectangleGate><gating:dimension gating:min=\"0\">"
         "<data-type:fcs-dimension data-type:name=\"A\"/></gating:dimension></gating:RectangleGate>\n"
         "      </Gate></Population></Subpopulations>\n"
         "    </GroupNode>\n"
         "  </Groups>\n"
         "  <SampleList>\n"
         "    <Sample>\n"
         "      <DataSet uri=\"file:/C:/data/My%20File.fcs\" sampleID=\"" +
         sample_id +
         "\"/>\n" + sample_extra +
         "      <Transformations>\n" + transforms +
         "      </Transformations>\n"
         "      <Keywords><Keyword name=\"$PAR\" value=\"2\"/><Keyword name=\"$P1N\" value=\"A\"/>"
         "<Keyword name=\"$P2N\" value=\"B\"/><Keyword name=\"$FIL\" value=\"orig.fcs\"/></Keywords>\n"
         "      <SampleNode name=\"s.fcs\" count=\"100\" sampleID=\"" +
         sample_id +
         "\">\n"
         "        <Subpopulations>\n" +
         populations +
         "        </Subpopulations>\n"
         "      </SampleNode>\n"
         "    </Sample>\n"
         "  </SampleList>\n"
         "</Workspace>\n";
}

std::string dimension(const std::string& name, const std::string& bounds = "") {
  return "<gating:dimension" + bounds + "><data-type:fcs-dimension data-type:name=\"" + name +
         "\"/></gating:dimension>";
}

std::string rectangle(const std::string& name, const std::string& dims, const std::string& children = "",
                      const std::string& inside = "1") {
  return "          <Population name=\"" + name + "\" count=\"3\">\n"
         "            <Gate gating:id=\"ID_" + name + "\"><gating:RectangleGate eventsInside=\"" + inside + "\">" + dims +
         "</gating:RectangleGate></Gate>\n" +
         (children.empty() ? "" : "            <Subpopulations>\n" + children + "            </Subpopulations>\n") +
         "          </Population>\n";
}

std::string polygon(const std::string& name, const std::vector<std::pair<double, double>>& vertices,
                    const std::string& resolution = "256", const std::string& x = "A", const std::string& y = "B") {
  std::string v;
  for (const auto& [a, b] : vertices) {
    v += "<gating:vertex><gating:coordinate data-type:value=\"" + std::to_string(a) +
         "\"/><gating:coordinate data-type:value=\"" + std::to_string(b) + "\"/></gating:vertex>\n";
  }
  return "          <Population name=\"" + name + "\" count=\"-1\">\n"
         "            <Gate gating:id=\"ID_" + name + "\"><gating:PolygonGate eventsInside=\"1\" gateResolution=\"" +
         resolution + "\">" + dimension(x) + dimension(y) + "\n" + v +
         "</gating:PolygonGate></Gate>\n"
         "          </Population>\n";
}

template <typename E_>
E_ expect_error(const std::string& xml, ErrorKind kind) {
  try {
    (void)gate::parse_workspace(xml, "t.wsp");
  } catch (const E_& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(e.source(), "t.wsp");
    return e;
  }
  ADD_FAILURE() << "no error";
  return E_(kind, "", "", "");
}

EventMatrix events_ab(const std::vector<std::pair<double, double>>& points) {
  EventMatrix m(points.size(), {ChannelLabel{"A", ""}, ChannelLabel{"B", ""}});
  for (std::size_t i = 0; i < points.size(); ++i) {
    m.channel(0)[i] = points[i].first;
    m.channel(1)[i] = points[i].second;
  }
  return m;
}

// Reference for the binned test: is the integer point inside or on the integer polygon
// (even-odd, boundary inside)? Exact in integers.
bool bin_inside(long x, long y, const std::vector<std::pair<long, long>>& p) {
  bool in = false;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const auto [x1, y1] = p[k];
    const auto [x2, y2] = p[(k + 1) % p.size()];
    const long cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
    if (cross == 0 && std::min(x1, x2) <= x && x <= std::max(x1, x2) && std::min(y1, y2) <= y &&
        y <= std::max(y1, y2)) {
      return true;
    }
    if ((y1 > y) != (y2 > y)) {
      // x < x1 + (y − y1)(x2 − x1)/(y2 − y1), multiplied out with the sign of y2 − y1
      const long lhs = (x - x1) * (y2 - y1);
      const long rhs = (y - y1) * (x2 - x1);
      if ((y2 > y1) ? lhs < rhs : lhs > rhs) in = !in;
    }
  }
  return in;
}

}  // namespace

// ---- structure --------------------------------------------------------------------------

TEST(FlowJoWorkspace, ReadsFlowsomSample) {
  const auto ws = gate::read_workspace_file(data_path("flowjo/flowsom_68983/gating.wsp"));
  EXPECT_EQ(ws.version, "20.0");
  EXPECT_EQ(ws.flowjo_version, "10.5.3");
  ASSERT_EQ(ws.groups.size(), 2u);
  EXPECT_EQ(ws.groups[0].name, "All Samples");
  EXPECT_EQ(ws.groups[0].sample_ids, std::vector<std::string>{"1"});
  EXPECT_TRUE(ws.groups[1].sample_ids.empty());
  ASSERT_EQ(ws.samples.size(), 1u);
  const gate::WorkspaceSample& s = ws.samples[0];
  EXPECT_EQ(s.sample_id, "1");
  EXPECT_EQ(s.name, "68983.fcs");
  EXPECT_EQ(s.uri, "file:/D:/FlowSOM/inst/extdata/lymphocytes.fcs");
  EXPECT_EQ(s.uri_file_name, "lymphocytes.fcs");
  EXPECT_EQ(s.flowjo_count, 19225);
  EXPECT_EQ(s.keywords.get("$FIL"), "68983.fcs");
  EXPECT_EQ(s.candidate_file_names(), (std::vector<std::string>{"68983.fcs", "lymphocytes.fcs"}));
  EXPECT_EQ(ws.find_sample("1"), &s);
  EXPECT_EQ(ws.find_sample("68983.fcs"), &s);
  EXPECT_EQ(ws.summary(), "Workspace(FlowJo 10.5.3: 1 sample, 2 groups, 15 populations)");

  // docs/formats.md §3.2: one spillover matrix (rows = sources), named by FlowJo's matrix name.
  ASSERT_EQ(s.plan.matrices().size(), 1u);
  const auto& m = s.plan.matrices()[0].matrix;
  EXPECT_EQ(m.id(), "Acquisition-defined");
  EXPECT_EQ(m.fluorochrome_count(), 11u);
  EXPECT_EQ(m.fluorochromes()[0], "FITC-A");
  EXPECT_EQ(m.detectors()[2], "AmCyan-A");
  EXPECT_EQ(m.at(0, 2), 0.7135625482);  // FITC-A spills into AmCyan-A
  EXPECT_EQ(m.at(2, 0), 0.0008109116);
  // 7 linear (scatter, Time), 11 biex, 11 biex on Comp- names.
  EXPECT_EQ(s.plan.transforms().size(), 29u);
  ASSERT_NE(s.plan.find_transform("Comp-PE-A"), nullptr);
  EXPECT_NE(s.plan.find_transform("Comp-PE-A")->get_if<escapade::transform::FlowJoBiexTransform>(), nullptr);
  const auto* time = s.plan.find_transform("Time")->get_if<escapade::transform::FlowJoLinearTransform>();
  ASSERT_NE(time, nullptr);
  EXPECT_EQ(time->gain(), 0.0101614699);

  ASSERT_EQ(s.populations.size(), 15u);
  const gate::WorkspacePopulation& ly = s.populations[0];
  EXPECT_EQ(ly.id, "Lymphocytes");
  EXPECT_EQ(ly.path, "Lymphocytes");
  EXPECT_EQ(ly.gate_type, "PolygonGate");
  EXPECT_EQ(ly.flowjo_id, "ID15126854");
  EXPECT_EQ(ly.flowjo_count, 19212);
  EXPECT_TRUE(ly.binned);
  const auto* nk = s.find_population("Lymphocytes/Singlets/Singlets2/NK1_1+");
  ASSERT_NE(nk, nullptr);
  EXPECT_EQ(nk->flowjo_count, 923);
  EXPECT_EQ(s.plan.parent(nk->id), "Lymphocytes/Singlets/Singlets2");
  EXPECT_EQ(s.plan.name(nk->id), "NK1_1+");

  // Rectangles are in raw (compensated) values: no transform on their dimensions.
  const auto& gates = s.plan.gates();
  const auto gate_of = [&](const std::string& id) -> const gate::Gate& {
    return *std::find_if(gates.begin(), gates.end(), [&](const gate::Gate& g) { return g.id == id; });
  };
  const auto& rect = std::get<gate::RectangleGate>(gate_of(nk->id).shape);
  ASSERT_EQ(rect.intervals.size(), 2u);
  EXPECT_EQ(rect.intervals[0].dimension.channel, "PE-A");
  EXPECT_EQ(rect.intervals[0].dimension.compensation, "Acquisition-defined");
  EXPECT_EQ(rect.intervals[0].dimension.transform, "");
  EXPECT_EQ(rect.intervals[0].min, 2277.021491245188);
  EXPECT_EQ(rect.intervals[0].max, 112714.06150573769);
  EXPECT_EQ(rect.intervals[1].dimension, gate::Dimension::of("FSC-A"));

  // Polygons carry the transform on both dimensions.
  const std::string ab = "Lymphocytes/Singlets/Singlets2/NK1_1-/T cells/ab T cells";
  const auto& poly = std::get<gate::PolygonGate>(gate_of(ab).shape);
  EXPECT_EQ(poly.x.channel, "APC-Cy7-A");
  EXPECT_EQ(poly.x.compensation, "Acquisition-defined");
  EXPECT_EQ(poly.x.transform, "Comp-APC-Cy7-A");
  EXPECT_EQ(poly.y.transform, "Comp-APC-A");
}

TEST(FlowJoWorkspace, ExactPolygonVerticesAreTransformed) {
  const auto ws = gate::read_workspace_file(data_path("flowjo/flowsom_68983/gating.wsp"),
                                            {.binning = gate::FlowJoBinning::exact});
  const gate::WorkspaceSample& s = ws.samples[0];
  EXPECT_FALSE(s.populations[0].binned);
  const auto& poly = std::get<gate::PolygonGate>(s.plan.gates()[0].shape);
  ASSERT_EQ(poly.vertices.size(), 12u);
  EXPECT_EQ(poly.x, (gate::Dimension{"FSC-A", std::string(gate::uncompensated), "FSC-A", ""}));
  // linear 0–262144: vertex (121241, 27904) → (121241/262144, 27904/262144)
  EXPECT_EQ(poly.vertices[0].x, 121241.0 / 262144.0);
  EXPECT_EQ(poly.vertices[0].y, 27904.0 / 262144.0);
}

TEST(FlowJoWorkspace, GroupTemplatesAreNotSampleGates) {
  // docs/formats.md §3.1: GroupNode populations are templates; the sample has its own tree.
  const auto ws = gate::read_workspace_file(data_path("flowjo/simple_line_example/simple_poly_and_rect.wsp"));
  ASSERT_EQ(ws.groups.size(), 3u);
  EXPECT_EQ(ws.groups[2].name, "my_group");
  EXPECT_EQ(ws.groups[2].sample_ids, std::vector<std::string>{"1"});
  ASSERT_EQ(ws.samples.size(), 1u);
  const auto& pops = ws.samples[0].populations;
  ASSERT_EQ(pops.size(), 2u);
  EXPECT_EQ(pops[0].path, "poly1");
  EXPECT_EQ(pops[0].flowjo_count, -1);  // "not computed"
  EXPECT_EQ(pops[0].flowjo_id, "ID818024066");
  EXPECT_EQ(pops[1].path, "rect1");
  EXPECT_EQ(pops[1].flowjo_count, -1);
  const auto synthetic = gate::parse_workspace(workspace(rectangle("r", dimension("A", " gating:min=\"1\""))), "t.wsp");
  ASSERT_EQ(synthetic.samples[0].populations.size(), 1u);
  EXPECT_EQ(synthetic.samples[0].populations[0].path, "r");
}

TEST(FlowJoWorkspace, QuadrantsHaveOpenSides) {
  const auto ws = gate::read_workspace_file(data_path("flowjo/simple_diamond_example/simple_diamond_example_quad_gate.wsp"));
  const auto& q1 = std::get<gate::RectangleGate>(ws.samples[0].plan.gates()[0].shape);
  ASSERT_EQ(q1.intervals.size(), 2u);
  EXPECT_EQ(q1.intervals[0].min, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(q1.intervals[0].max, 49536.60093896714);
  EXPECT_EQ(q1.intervals[1].min, 49866.83420593368);
  EXPECT_EQ(q1.intervals[1].max, std::numeric_limits<double>::infinity());
  EXPECT_EQ(ws.samples[0].populations[0].name, "Q1: channel_A- , channel_B+");
}

TEST(FlowJoWorkspace, ReadsEveryTransformKind) {
  const std::string transforms =
      "<transforms:log transforms:offset=\"1\" transforms:decades=\"4.5\"><data-type:parameter data-type:name=\"A\"/></transforms:log>\n"
      "<transforms:fasinh transforms:length=\"256\" transforms:maxRange=\"262144\" transforms:T=\"262144\" transforms:A=\"0\" "
      "transforms:M=\"1\" transforms:W=\"-10\"><data-type:parameter data-type:name=\"B\"/></transforms:fasinh>\n"
      "<transforms:logicle transforms:T=\"262144\" transforms:W=\"0.5\" transforms:M=\"4.5\" transforms:A=\"0\">"
      "<data-type:parameter data-type:name=\"C\"/></transforms:logicle>\n"
      "<transforms:biex transforms:length=\"256\" transforms:maxRange=\"262144\" transforms:neg=\"0\" transforms:width=\"-10\" "
      "transforms:pos=\"4.418539922\"><data-type:parameter data-type:name=\"D\"/></transforms:biex>\n"
      "<transforms:linear transforms:minRange=\"0\" transforms:maxRange=\"73\" gain=\"0.01\"><data-type:parameter data-type:name=\"Time\"/></transforms:linear>\n";
  const auto ws = gate::parse_workspace(workspace("", transforms), "t.wsp");
  const auto& plan = ws.samples[0].plan;
  ASSERT_EQ(plan.transforms().size(), 5u);
  EXPECT_EQ(plan.find_transform("A")->name(), "flowjo-log");
  EXPECT_EQ(plan.find_transform("B")->name(), "fasinh");
  EXPECT_EQ(plan.find_transform("C")->name(), "logicle");
  EXPECT_EQ(plan.find_transform("D")->name(), "flowjo-biex");
  EXPECT_EQ(plan.find_transform("Time")->name(), "flowjo-linear");
}

// ---- gates ---------------------------------------------------------------------------------

TEST(FlowJoWorkspace, EventsInsideZeroIsTheComplement) {
  const std::string pops = rectangle("outer", dimension("A", " gating:min=\"10\"") + dimension("B", " gating:max=\"5\""),
                                     rectangle("hole", dimension("A", " gating:min=\"20\" gating:max=\"30\""), "", "0"));
  const auto ws = gate::parse_workspace(workspace(pops), "t.wsp");
  const auto& s = ws.samples[0];
  ASSERT_EQ(s.populations.size(), 2u);
  EXPECT_TRUE(s.populations[1].complement);
  EXPECT_TRUE(s.plan.gates()[1].complement);
  EXPECT_EQ(s.populations[1].id, "outer/hole");
  const EventMatrix ev = events_ab({{5, 0}, {10, 0}, {25, 0}, {30, 0}, {25, 9}, {40, 4}});
  const auto r = gate::apply(s.plan, ev, {.num_threads = 1});
  EXPECT_EQ(r.membership("outer").indices(), (std::vector<std::size_t>{1, 2, 3, 5}));
  EXPECT_EQ(r.membership("outer/hole").indices(), (std::vector<std::size_t>{1, 3, 5}));
}

TEST(FlowJoWorkspace, BooleanNodesReferToPopulationPaths) {
  // FlowKit/CytoML: AndNode/OrNode/NotNode beside Population, Dependent@name = path from the
  // root (docs/formats.md §3.1); a leading component that is no population is tolerated.
  const std::string pops =
      rectangle("lowA", dimension("A", " gating:max=\"10\"")) + rectangle("lowB", dimension("B", " gating:max=\"10\"")) +
      rectangle("all", dimension("A", ""),
                "          <AndNode name=\"both\" count=\"2\"><Dependents><Dependent name=\"lowA\"/>"
                "<Dependent name=\"s.fcs/lowB\"/></Dependents></AndNode>\n") +
      "          <OrNode name=\"either\" count=\"3\"><Dependents><Dependent name=\"lowA\"/><Dependent name=\"lowB\"/>"
      "</Dependents></OrNode>\n"
      "          <NotNode name=\"neither\" count=\"1\"><Dependents><Dependent name=\"either\"/></Dependents>\n"
      "            <Subpopulations>\n" +
      rectangle("child", dimension("A", " gating:min=\"100\"")) +
      "            </Subpopulations>\n"
      "          </NotNode>\n";
  const auto ws = gate::parse_workspace(workspace(pops), "t.wsp");
  const auto& s = ws.samples[0];
  ASSERT_EQ(s.populations.size(), 7u);
  EXPECT_EQ(s.find_population("all/both")->gate_type, "AndNode");
  EXPECT_EQ(s.find_population("all/both")->flowjo_count, 2);
  EXPECT_EQ(s.find_population("neither/child")->flowjo_id, "ID_child");
  const auto& both = std::get<gate::BooleanGate>(s.plan.gates()[3].shape);
  EXPECT_EQ(both.op, gate::BooleanGate::Op::and_op);
  ASSERT_EQ(both.operands.size(), 2u);
  EXPECT_EQ(both.operands[0].gate, "lowA");
  EXPECT_EQ(both.operands[1].gate, "lowB");
  EXPECT_EQ(s.plan.parent("all/both"), "all");
  const EventMatrix ev = events_ab({{1, 1}, {1, 50}, {50, 1}, {50, 50}, {500, 50}});
  const auto r = gate::apply(s.plan, ev, {.num_threads = 1});
  EXPECT_EQ(r.membership("all/both").indices(), std::vector<std::size_t>{0});
  EXPECT_EQ(r.membership("either").indices(), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(r.membership("neither").indices(), (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(r.membership("neither/child").indices(), std::vector<std::size_t>{4});
}

TEST(FlowJoWorkspace, CompensatedDimensionsUseTheSampleMatrix) {
  const std::string matrix =
      "      <transforms:spilloverMatrix prefix=\"Comp-\" name=\"M1\" transforms:id=\"u-1\" suffix=\"\">\n"
      "        <data-type:parameters><data-type:parameter data-type:name=\"A\"/><data-type:parameter data-type:name=\"B\"/></data-type:parameters>\n"
      "        <transforms:spillover data-type:parameter=\"A\"><transforms:coefficient data-type:parameter=\"A\" transforms:value=\"1\"/>"
      "<transforms:coefficient data-type:parameter=\"B\" transforms:value=\"0.5\"/></transforms:spillover>\n"
      "        <transforms:spillover data-type:parameter=\"B\"><transforms:coefficient data-type:parameter=\"B\" transforms:value=\"1\"/>"
      "<transforms:coefficient data-type:parameter=\"A\" transforms:value=\"0\"/></transforms:spillover>\n"
      "      </transforms:spilloverMatrix>\n";
  const auto ws = gate::parse_workspace(
      workspace(rectangle("b", dimension("Comp-B", " gating:min=\"10\"") + dimension("A", " gating:min=\"0\"")),
                linear_ab, matrix),
      "t.wsp");
  const auto& s = ws.samples[0];
  ASSERT_EQ(s.plan.matrices().size(), 1u);
  EXPECT_EQ(s.plan.matrices()[0].matrix.at(0, 1), 0.5);  // row A spills into B
  const auto& rect = std::get<gate::RectangleGate>(s.plan.gates()[0].shape);
  EXPECT_EQ(rect.intervals[0].dimension.channel, "B");
  EXPECT_EQ(rect.intervals[0].dimension.compensation, "M1");
  EXPECT_EQ(rect.intervals[1].dimension.compensation, gate::uncompensated);
  // Comp-B = B − 0.5·A
  const auto r = gate::apply(s.plan, events_ab({{10, 20}, {30, 20}}), {.num_threads = 1});
  EXPECT_EQ(r.membership("b").indices(), std::vector<std::size_t>{0});
}

TEST(FlowJoWorkspace, EllipseBecomesEllipsoidGateInTransformUnits) {
  // docs/formats.md §3.4: foci and edge points in the 256-bin display space; on linear 0–262144
  // display = 256·raw/262144, so the transform-output mean is the foci midpoint / 256.
  const auto path = data_path("flowjo/simple_line_example/single_ellipse_51_events.wsp");
  const auto ws = gate::read_workspace_file(path, {.binning = gate::FlowJoBinning::exact});
  const auto& s = ws.samples[0];
  const auto& e = std::get<gate::EllipsoidGate>(s.plan.gates()[0].shape);
  ASSERT_EQ(e.dimensions.size(), 2u);
  EXPECT_EQ(e.dimensions[0].transform, "channel_A");
  EXPECT_NEAR(e.mean[0], (62.7724519002 + 94.2275480998) / 2 / 256, 1e-15);
  EXPECT_NEAR(e.mean[1], (157.4044547167 + 93.5955452833) / 2 / 256, 1e-15);
  EXPECT_EQ(e.distance_square, 1.0);
  // The major-axis edge points lie on the ellipse: (p − μ)ᵀ Σ⁻¹ (p − μ) = 1.
  const double det = e.covariance[0] * e.covariance[3] - e.covariance[1] * e.covariance[2];
  const auto form = [&](double x, double y) {
    const double dx = x / 256 - e.mean[0];
    const double dy = y / 256 - e.mean[1];
    return (e.covariance[3] * dx * dx - 2 * e.covariance[1] * dx * dy + e.covariance[0] * dy * dy) / det;
  };
  EXPECT_NEAR(form(96, 90), 1.0, 1e-12);
  EXPECT_NEAR(form(61, 161), 1.0, 1e-12);
  // Edge points 3–4 only approximate the minor axis (focal sums 78.04, 78.47 < 79.16).
  EXPECT_LT(form(67, 113), 1.0);
  EXPECT_LT(form(90, 139), 1.0);

  const auto data = fcs::read_fcs_file(gate::find_sample_file(s, path.parent_path())).data_sets.at(0);
  EXPECT_EQ(gate::apply_sample(s, data, {.num_threads = 1}).count(s.populations[0].id), 51u);
  const auto binned = gate::read_workspace_file(path);
  EXPECT_TRUE(binned.samples[0].populations[0].binned);
  EXPECT_EQ(gate::apply_sample(binned.samples[0], data, {.num_threads = 1}).count("ellipse1"), 51u);
}

// The staircase outline must select exactly the events whose bins are inside the binned
// polygon: checked event by event against `bin_inside`, for a concave polygon (several
// pieces, joined by bridges) on linear axes (nearest bin) and on biex axes (bin below), with
// events on and next to every bin boundary.
TEST(FlowJoWorkspace, BinnedOutlineMatchesBinByBinReference) {
  // linear 0–256 at 256 bins: display = raw, bin = floor(raw + 0.5)
  const std::string linear256 =
      "<transforms:linear transforms:minRange=\"0\" transforms:maxRange=\"256\"><data-type:parameter data-type:name=\"A\"/></transforms:linear>\n"
      "<transforms:linear transforms:minRange=\"0\" transforms:maxRange=\"256\"><data-type:parameter data-type:name=\"B\"/></transforms:linear>\n";
  const std::vector<std::pair<double, double>> u_shape{{10.3, 10.6}, {60.2, 12.4}, {58.7, 70.1}, {44.5, 70.2},
                                                        {40.4, 30.3}, {25.5, 29.6}, {22.6, 71.4}, {8.9, 69.5}};
  const auto ws = gate::parse_workspace(workspace(polygon("u", u_shape)), "t.wsp");
  ASSERT_TRUE(ws.samples.size() == 1 && ws.samples[0].populations.size() == 1);
  EXPECT_TRUE(ws.samples[0].populations[0].binned);
  const auto ws_linear = gate::parse_workspace(workspace(polygon("u", u_shape), linear256), "t.wsp");
  std::vector<std::pair<long, long>> bins;
  for (const auto& [x, y] : u_shape) bins.emplace_back(std::lround(std::floor(x + 0.5)), std::lround(std::floor(y + 0.5)));
  std::vector<std::pair<double, double>> points;
  for (int i = 0; i <= 80 * 4; ++i) {
    for (int j = 0; j <= 80 * 4; j += 3) {
      const double x = i / 4.0;  // quarter bins: centres, boundaries (k + 0.5) and between
      const double y = j / 4.0;
      points.emplace_back(x, y);
      points.emplace_back(std::nextafter(x, -1.0), std::nextafter(y, 100.0));
    }
  }
  // The U's two arms are separate pieces, joined through the far-left trunk.
  const auto& outline = std::get<gate::PolygonGate>(ws_linear.samples[0].plan.gates()[0].shape).vertices;
  EXPECT_TRUE(std::any_of(outline.begin(), outline.end(), [](const gate::Point& p) { return p.x < -1e100; }));
  const auto r = gate::apply(ws_linear.samples[0].plan, events_ab(points), {.num_threads = 1});
  const auto& m = r.membership("u");
  std::size_t inside = 0;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const long bx = std::lround(std::floor(points[k].first + 0.5));
    const long by = std::lround(std::floor(points[k].second + 0.5));
    ASSERT_EQ(m.test(k), bin_inside(bx, by, bins)) << points[k].first << ", " << points[k].second;
    inside += m.test(k) ? 1 : 0;
  }
  EXPECT_GT(inside, 1000u);

  // biex: bin = floor(channel · 256/4096) = floor(channel/16); vertices the same way.
  const std::string biex =
      "<transforms:biex transforms:length=\"256\" transforms:maxRange=\"262144\" transforms:neg=\"0\" transforms:width=\"-100\" "
      "transforms:pos=\"4.418539922\"><data-type:parameter data-type:name=\"A\"/></transforms:biex>\n"
      "<transforms:biex transforms:length=\"256\" transforms:maxRange=\"262144\" transforms:neg=\"0\" transforms:width=\"-100\" "
      "transforms:pos=\"4.418539922\"><data-type:parameter data-type:name=\"B\"/></transforms:biex>\n";
  const escapade::transform::FlowJoBiexTransform t(0, -100, 4.418539922, 256, 262144);
  const std::vector<std::pair<double, double>> raw{{-200, -300}, {30000, 100}, {1500, 2500}, {90000, 150000}, {-800, 40000}};
  const auto ws_biex = gate::parse_workspace(workspace(polygon("p", raw), biex), "t.wsp");
  std::vector<std::pair<long, long>> biex_bins;
  for (const auto& [x, y] : raw) {
    biex_bins.emplace_back(std::lround(std::floor(t.apply(x) / 16)), std::lround(std::floor(t.apply(y) / 16)));
  }
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> channel(0.0, 4096.0);
  std::vector<std::pair<double, double>> raw_points;
  for (int k = 0; k < 20000; ++k) raw_points.emplace_back(t.inverse(channel(rng)), t.inverse(channel(rng)));
  const auto rb = gate::apply(ws_biex.samples[0].plan, events_ab(raw_points), {.num_threads = 1});
  std::size_t mismatches = 0;
  std::size_t biex_inside = 0;
  for (std::size_t k = 0; k < raw_points.size(); ++k) {
    // The plan computes the channel with the vectorized kernel; compare with the same.
    std::array<double, 2> in{raw_points[k].first, raw_points[k].second};
    std::array<double, 2> ch{};
    t.apply(in, ch);
    const bool expected = bin_inside(std::lround(std::floor(ch[0] / 16)), std::lround(std::floor(ch[1] / 16)), biex_bins);
    mismatches += rb.membership("p").test(k) != expected ? 1 : 0;
    biex_inside += expected ? 1 : 0;
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(biex_inside, 1000u);
}

TEST(FlowJoWorkspace, BinnedEllipseBetweenBinCentresSelectsNothing) {
  // Display space of linear 0–262144 at 256 bins is raw/1024. This ellipse (2a = 0.3) holds
  // no bin centre, so FlowJo's binned gate is empty, while the exact ellipse holds the event.
  const std::string ellipse =
      "          <Population name=\"tiny\" count=\"0\"><Gate gating:id=\"E1\"><gating:EllipsoidGate>" + dimension("A") +
      dimension("B") +
      "<gating:foci><gating:vertex><gating:coordinate data-type:value=\"100.2\"/><gating:coordinate data-type:value=\"100.2\"/>"
      "</gating:vertex><gating:vertex><gating:coordinate data-type:value=\"100.3\"/><gating:coordinate data-type:value=\"100.2\"/>"
      "</gating:vertex></gating:foci><gating:edge><gating:vertex><gating:coordinate data-type:value=\"100.1\"/>"
      "<gating:coordinate data-type:value=\"100.2\"/></gating:vertex><gating:vertex><gating:coordinate data-type:value=\"100.4\"/>"
      "<gating:coordinate data-type:value=\"100.2\"/></gating:vertex></gating:edge></gating:EllipsoidGate></Gate></Population>\n";
  const EventMatrix ev = events_ab({{100.25 * 1024, 100.2 * 1024}, {0, 0}, {1e6, 1e6}});
  const auto binned = gate::parse_workspace(workspace(ellipse), "t.wsp");
  EXPECT_TRUE(binned.samples[0].populations[0].binned);
  EXPECT_EQ(gate::apply(binned.samples[0].plan, ev, {.num_threads = 1}).count("tiny"), 0u);
  const auto exact = gate::parse_workspace(workspace(ellipse), "t.wsp", {.binning = gate::FlowJoBinning::exact});
  EXPECT_EQ(gate::apply(exact.samples[0].plan, ev, {.num_threads = 1}).membership("tiny").indices(),
            std::vector<std::size_t>{0});
}

// ---- errors --------------------------------------------------------------------------------

TEST(FlowJoWorkspaceErrors, MalformedXmlNamesTheLine) {
  const std::string xml = "<?xml version=\"1.0\"?>\n<Workspace>\n  <SampleList>\n  </Sample>\n</Workspace>\n";
  const auto e = expect_error<escapade::WorkspaceError>(xml, ErrorKind::format);
  EXPECT_EQ(e.where(), "line 4");
  EXPECT_TRUE(contains(e.reason(), "malformed XML")) << e.what();
  expect_error<escapade::WorkspaceError>("", ErrorKind::format);
}

TEST(FlowJoWorkspaceErrors, NotAWorkspace) {
  const auto e = expect_error<escapade::WorkspaceError>("<gating:Gating-ML/>", ErrorKind::format);
  EXPECT_TRUE(contains(e.reason(), "not <Workspace>")) << e.what();
}

TEST(FlowJoWorkspaceErrors, GateOnUnknownParameter) {
  const std::string xml = workspace(rectangle("p", dimension("A", " gating:min=\"1\""),
                                              rectangle("q", dimension("C", " gating:min=\"1\""))));
  const auto e = expect_error<escapade::WorkspaceError>(xml, ErrorKind::reference);
  EXPECT_EQ(e.where(), "line " + std::to_string(line_of(xml, "data-type:name=\"C\"")) + ", population p/q");
  EXPECT_TRUE(contains(e.reason(), "'C' is not a parameter")) << e.what();
  EXPECT_TRUE(contains(e.reason(), "A, B")) << e.what();
}

TEST(FlowJoWorkspaceErrors, UnknownTransformElement) {
  const std::string xml = workspace("", std::string(linear_ab) +
                                            "      <transforms:hyperlog transforms:T=\"1\">"
                                            "<data-type:parameter data-type:name=\"C\"/></transforms:hyperlog>\n");
  const auto e = expect_error<escapade::WorkspaceError>(xml, ErrorKind::unsupported);
  EXPECT_EQ(e.where(), "line " + std::to_string(line_of(xml, "<transforms:hyperlog")));
  EXPECT_TRUE(contains(e.reason(), "unknown transform element <transforms:hyperlog>")) << e.what();
}

TEST(FlowJoWorkspaceErrors, MissingAndUnreadableAttributes) {
  const std::string no_value = workspace(
      "          <Population name=\"p\"><Gate><gating:PolygonGate>" + dimension("A") + dimension("B") +
      "\n<gating:vertex><gating:coordinate data-type:value=\"1\"/><gating:coordinate/></gating:vertex>"
      "</gating:PolygonGate></Gate></Population>\n");
  auto e = expect_error<escapade::WorkspaceError>(no_value, ErrorKind::format);
  EXPECT_EQ(e.where(), "line " + std::to_string(line_of(no_value, "<gating:vertex>")) + ", population p");
  EXPECT_TRUE(contains(e.reason(), "has no attribute data-type:value")) << e.what();

  e = expect_error<escapade::WorkspaceError>(workspace(rectangle("r", dimension("A", " gating:min=\"abc\""))),
                                              ErrorKind::format);
  EXPECT_TRUE(contains(e.reason(), "gating:min = 'abc' is not a finite number")) << e.what();

  e = expect_error<escapade::WorkspaceError>(workspace("<Population name=\"p\"/>"), ErrorKind::format);
  EXPECT_TRUE(contains(e.reason(), "has no <Gate>")) << e.what();
  EXPECT_TRUE(contains(e.where(), "population p")) << e.what();

  e = expect_error<escapade::WorkspaceError>(workspace("<Population count=\"1\"><Gate/></Population>"), ErrorKind::format);
  EXPECT_TRUE(contains(e.reason(), "has no name")) << e.what();

  e = expect_error<escapade::WorkspaceError>(
      workspace("", "<transforms:linear transforms:minRange=\"0\"><data-type:parameter data-type:name=\"A\"/></transforms:linear>"),
      ErrorKind::format);
  EXPECT_TRUE(contains(e.reason(), "has no attribute transforms:maxRange")) << e.what();

  e = expect_error<escapade::WorkspaceError>(workspace(polygon("few", {{1, 1}, {2, 2}})), ErrorKind::format);
  EXPECT_TRUE(contains(e.reason(), "fewer than 3")) << e.what();
}

TEST(FlowJoWorkspaceErrors, UnsupportedGateAndBadParameters) {
  auto e = expect_error<escapade::WorkspaceError>(
      workspace("<Population name=\"c\"><Gate><gating:CurlyQuad/></Gate></Population>"), ErrorKind::unsupported);
  EXPECT_TRUE(contains(e.reason(), "unsupported gate element <gating:CurlyQuad>")) << e.what();

  e = expect_error<escapade::WorkspaceError>(
      workspace("", "<transforms:linear transforms:minRange=\"5\" transforms:maxRange=\"1\">"
                    "<data-type:parameter data-type:name=\"A\"/></transforms:linear>"),
      ErrorKind::numeric);
  EXPECT_TRUE(contains(e.reason(), "transform of 'A'")) << e.what();

  e = expect_error<escapade::WorkspaceError>(workspace(polygon("r", {{1, 1}, {9, 1}, {5, 5}}, "1e9")),
                                              ErrorKind::unsupported);
  EXPECT_TRUE(contains(e.reason(), "gateResolution")) << e.what();
}

TEST(FlowJoWorkspaceErrors, BooleanDependentNamesNothing) {
  const std::string xml = workspace(rectangle("a", dimension("A", "")) +
                                    "<AndNode name=\"x\"><Dependents><Dependent name=\"a\"/><Dependent name=\"zz\"/>"
                                    "</Dependents></AndNode>\n");
  const auto e = expect_error<escapade::WorkspaceError>(xml, ErrorKind::reference);
  EXPECT_TRUE(contains(e.reason(), "Dependent 'zz' names no population")) << e.what();
  EXPECT_TRUE(contains(e.where(), "population x")) << e.what();
  const auto one = expect_error<escapade::WorkspaceError>(
      workspace(rectangle("a", dimension("A", "")) +
                "<OrNode name=\"x\"><Dependents><Dependent name=\"a\"/></Dependents></OrNode>\n"),
      ErrorKind::format);
  EXPECT_TRUE(contains(one.reason(), "at least 2")) << one.what();
}

TEST(FlowJoWorkspaceErrors, BooleanCycleIsRejected) {
  // x depends on its own child x/c, whose parent is x.
  const std::string xml = workspace(rectangle("a", dimension("A", "")) +
                                    "<AndNode name=\"x\"><Dependents><Dependent name=\"a\"/><Dependent name=\"x/c\"/>"
                                    "</Dependents><Subpopulations>" +
                                    rectangle("c", dimension("B", "")) + "</Subpopulations></AndNode>\n");
  const auto e = expect_error<escapade::WorkspaceError>(xml, ErrorKind::structure);
  EXPECT_TRUE(contains(e.reason(), "cycle")) << e.what();
  EXPECT_TRUE(contains(e.reason(), "sample '7'")) << e.what();
}

TEST(FlowJoWorkspaceErrors, DuplicateSampleIdsAndDeepNesting) {
  std::string two = workspace("");
  const std::size_t begin = two.find("    <Sample>");
  const std::size_t end = two.find("  </SampleList>");
  two.insert(end, two.substr(begin, end - begin));
  const auto e = expect_error<escapade::WorkspaceError>(two, ErrorKind::structure);
  EXPECT_TRUE(contains(e.reason(), "sample id '7' appears twice")) << e.what();

  std::string deep;
  for (int k = 0; k < 300; ++k) deep = rectangle("n", dimension("A", ""), deep);
  const auto d = expect_error<escapade::WorkspaceError>(workspace(deep), ErrorKind::unsupported);
  EXPECT_TRUE(contains(d.reason(), "deeper than")) << d.what();
}

TEST(FlowJoWorkspaceErrors, MissingFile) {
  try {
    (void)gate::read_workspace_file("/nonexistent/x.wsp");
    ADD_FAILURE() << "no error";
  } catch (const escapade::WorkspaceError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.source(), "/nonexistent/x.wsp");
  }
}

TEST(FlowJoWorkspaceErrors, TruncatedWorkspacesFailCleanly) {
  // Every prefix of a real workspace either parses or throws an escapade::Error.
  const auto bytes = escapade::testing::read_bytes(data_path("flowjo/simple_line_example/single_ellipse_51_events.wsp"));
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  for (std::size_t n = 0; n < text.size(); n += 97) {
    try {
      (void)gate::parse_workspace(std::string_view(text).substr(0, n), "cut.wsp");
    } catch (const escapade::Error&) {
    }
  }
}

// ---- finding the FCS file ------------------------------------------------------------------

TEST(FlowJoSampleFile, FindsByNameThenUriThenFil) {
  const fs::path dir = data_path("flowjo/flowsom_68983");
  const auto ws = gate::read_workspace_file(dir / "gating.wsp");
  // docs/formats.md §3.1: the URI names lymphocytes.fcs; SampleNode@name finds 68983.fcs.
  EXPECT_EQ(gate::find_sample_file(ws.samples[0], dir), dir / "68983.fcs");

  gate::WorkspaceSample s = ws.samples[0];
  s.name = "absent.fcs";
  s.uri_file_name = "68983.fcs";
  EXPECT_EQ(gate::find_sample_file(s, dir), dir / "68983.fcs");
  s.uri_file_name = "lymphocytes.fcs";
  EXPECT_EQ(gate::find_sample_file(s, dir), dir / "68983.fcs");  // by $FIL = 68983.fcs
  s.name = "../flowsom_68983/68983.fcs";  // only the file name counts
  EXPECT_EQ(gate::find_sample_file(s, dir), dir / "68983.fcs");
}

TEST(FlowJoSampleFile, FindsByFilInsideTheFcsFiles) {
  const fs::path dir = fs::path(::testing::TempDir()) / "escapade_flowjo_fil";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(data_path("flowjo/flowsom_68983/68983.fcs"), dir / "renamed.fcs");
  fs::copy_file(data_path("flowjo/simple_line_example/data_set_simple_line_100.fcs"), dir / "other.FCS");
  const auto ws = gate::read_workspace_file(data_path("flowjo/flowsom_68983/gating.wsp"));
  EXPECT_EQ(gate::find_sample_file(ws.samples[0], dir), dir / "renamed.fcs");
  fs::remove_all(dir);
}

TEST(FlowJoSampleFile, ErrorListsWhatWasTried) {
  const fs::path dir = data_path("flowjo/simple_line_example");
  auto ws = gate::read_workspace_file(data_path("flowjo/flowsom_68983/gating.wsp"));
  try {
    (void)gate::find_sample_file(ws.samples[0], dir);
    ADD_FAILURE() << "no error";
  } catch (const escapade::WorkspaceError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::reference);
    EXPECT_EQ(e.where(), "sample 1");
    EXPECT_TRUE(contains(e.reason(), "'68983.fcs' (SampleNode@name)")) << e.what();
    EXPECT_TRUE(contains(e.reason(), "'lymphocytes.fcs' (DataSet@uri)")) << e.what();
    EXPECT_TRUE(contains(e.reason(), "'68983.fcs' ($FIL)")) << e.what();
    EXPECT_TRUE(contains(e.reason(), "$FIL = '68983.fcs' in the 1 FCS file there")) << e.what();
  }
  try {
    (void)gate::find_sample_file(ws.samples[0], dir / "data_set_simple_line_100.fcs");
    ADD_FAILURE() << "no error";
  } catch (const escapade::WorkspaceError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
  }
}

TEST(FlowJoSampleFile, UriIsPercentDecoded) {
  const auto ws = gate::parse_workspace(workspace(""), "t.wsp");
  EXPECT_EQ(ws.samples[0].uri_file_name, "My File.fcs");
  EXPECT_EQ(ws.samples[0].candidate_file_names(), (std::vector<std::string>{"s.fcs", "My File.fcs", "orig.fcs"}));
}
