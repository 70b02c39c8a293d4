// Unit tests of the Gating-ML 2.0 reader and writer (libescapade/gate/gatingml.*): errors
// name the source, the line and the gate; tolerance of prefixes, unqualified attributes and
// FlowJo's export; the writer's complement, FlowJo-transform and overwrite rules.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <unistd.h>
#include <variant>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/gate/gatingml.hpp"
#include "libescapade/transform/transform.hpp"
#include "tests/support/test_support.hpp"

namespace gate = escapade::gate;
namespace transform = escapade::transform;
using escapade::ErrorKind;
using escapade::testing::data_path;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A Gating-ML document: the three standard namespace declarations on line 1, then `body`
// (so a body line k is document line k + 1).
std::string document(const std::string& body) {
  return "<gating:Gating-ML xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\" "
         "xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\" "
         "xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n" +
         body + "</gating:Gating-ML>\n";
}

// A RectangleGate on one fcs-dimension, as one line.
std::string range(const std::string& id, const std::string& attributes = {}, const std::string& dimension_attributes =
                                                                                 R"( gating:compensation-ref="uncompensated" gating:min="1")") {
  return "<gating:RectangleGate gating:id=\"" + id + "\"" + attributes + "><gating:dimension" + dimension_attributes +
         "><data-type:fcs-dimension data-type:name=\"FL1-H\"/></gating:dimension></gating:RectangleGate>\n";
}

// Parses `xml` expecting a GatingMlError of `kind` at `where` whose reason holds `phrase`.
void expect_error(const std::string& xml, ErrorKind kind, const std::string& where, const std::string& phrase) {
  try {
    (void)gate::parse_gatingml(xml, "<memory>");
    ADD_FAILURE() << "expected an error for:\n" << xml;
  } catch (const escapade::GatingMlError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(e.source(), "<memory>");
    EXPECT_EQ(e.where(), where) << e.what();
    EXPECT_TRUE(contains(e.reason(), phrase)) << e.what();
  }
}

// A fresh directory under the system temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() : my_path(std::filesystem::temp_directory_path() /
                      ("escapade_gatingml_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++))) {
    std::filesystem::create_directories(my_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(my_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return my_path; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path my_path;
};

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// ---- errors: source, line, gate, reason -----------------------------------------------

TEST(GatingMlErrors, MalformedXmlNamesTheLineAndPugixmlsDescription) {
  const std::string xml = document("<gating:RectangleGate gating:id=\"A\">\n<gating:dimension>\n</gating:RectangleGate>\n");
  // The mismatched end tag is on document line 4.
  expect_error(xml, ErrorKind::format, "line 4", "malformed XML: Start-end tags mismatch");
}

TEST(GatingMlErrors, EmptyInputAndWrongRootAreFormatErrors) {
  expect_error("", ErrorKind::format, "line 1", "malformed XML: No document element found");
  expect_error("<?xml version=\"1.0\"?>\n\n<Workspace/>", ErrorKind::format, "line 3", "not gating:Gating-ML");
  // Gating-ML 1.5 has the same root name in another namespace.
  expect_error("<gating:Gating-ML xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v1.5/gating\"/>",
               ErrorKind::unsupported, "line 1", "not Gating-ML 2.0");
}

TEST(GatingMlErrors, UnknownTransformationRefNamesGateIdAndLine) {
  const std::string xml =
      document("<transforms:transformation transforms:id=\"Lin\"><transforms:flin transforms:T=\"10\" "
               "transforms:A=\"0\"/></transforms:transformation>\n" +
               range("Range1") +
               range("Scaled", "", R"( gating:compensation-ref="uncompensated" gating:transformation-ref="Logicle9")"));
  expect_error(xml, ErrorKind::reference, "line 4, gate 'Scaled'", "transformation-ref 'Logicle9'");
}

TEST(GatingMlErrors, UnknownCompensationRefAndNonFluorochromeAreReferenceErrors) {
  expect_error(document(range("G", "", R"( gating:compensation-ref="NoSuchMatrix")")), ErrorKind::reference,
               "line 2, gate 'G'", "compensation-ref 'NoSuchMatrix'");
  const std::string matrix =
      "<transforms:spectrumMatrix transforms:id=\"S\">\n"
      "<transforms:fluorochromes><data-type:fcs-dimension data-type:name=\"FITC\"/>"
      "<data-type:fcs-dimension data-type:name=\"PE\"/></transforms:fluorochromes>\n"
      "<transforms:detectors><data-type:fcs-dimension data-type:name=\"FL1-H\"/>"
      "<data-type:fcs-dimension data-type:name=\"FL2-H\"/></transforms:detectors>\n"
      "<transforms:spectrum><transforms:coefficient transforms:value=\"1\"/>"
      "<transforms:coefficient transforms:value=\"0.1\"/></transforms:spectrum>\n"
      "<transforms:spectrum><transforms:coefficient transforms:value=\"0.2\"/>"
      "<transforms:coefficient transforms:value=\"1\"/></transforms:spectrum>\n"
      "</transforms:spectrumMatrix>\n";
  // The gate dimension FL1-H is a detector, not one of the matrix's outputs (docs/formats.md §2.4).
  expect_error(document(matrix + range("G", "", R"( gating:compensation-ref="S")")), ErrorKind::reference,
               "line 8, gate 'G'", "'FL1-H' is not a fluorochrome of spectrum matrix 'S' (FITC, PE)");
}

TEST(GatingMlErrors, ParentCycleIsAStructureError) {
  const std::string xml = document(range("A", R"( gating:parent_id="B")") + range("B", R"( gating:parent_id="A")"));
  expect_error(xml, ErrorKind::structure, "line 3, gate 'B'", "cycle (parent_id, gateReference): A → B → A");
}

TEST(GatingMlErrors, BooleanCycleThroughGateReferencesIsAStructureError) {
  const std::string xml = document(
      range("A") +
      "<gating:BooleanGate gating:id=\"X\"><gating:and><gating:gateReference gating:ref=\"A\"/>"
      "<gating:gateReference gating:ref=\"Y\"/></gating:and></gating:BooleanGate>\n"
      "<gating:BooleanGate gating:id=\"Y\"><gating:not><gating:gateReference gating:ref=\"X\"/>"
      "</gating:not></gating:BooleanGate>\n");
  expect_error(xml, ErrorKind::structure, "line 4, gate 'Y'", "X → Y → X");
}

TEST(GatingMlErrors, BooleanReferencingAnUnknownGate) {
  const std::string xml = document(
      range("Range1") +
      "<gating:BooleanGate gating:id=\"And1\">\n<gating:and>\n<gating:gateReference gating:ref=\"Range1\"/>\n"
      "<gating:gateReference gating:ref=\"Missing\"/>\n</gating:and>\n</gating:BooleanGate>\n");
  expect_error(xml, ErrorKind::reference, "line 3, gate 'And1'", "gateReference 'Missing' names no gate");
}

TEST(GatingMlErrors, QuadrantGateIdIsNoPopulation) {
  const std::string xml = document(
      "<gating:QuadrantGate gating:id=\"Q\">\n"
      "<gating:divider gating:id=\"D\" gating:compensation-ref=\"FCS\">"
      "<data-type:fcs-dimension data-type:name=\"FL2-H\"/><gating:value>10</gating:value></gating:divider>\n"
      "<gating:Quadrant gating:id=\"Lo\"><gating:position gating:divider_ref=\"D\" gating:location=\"5\"/>"
      "</gating:Quadrant>\n"
      "<gating:Quadrant gating:id=\"Hi\"><gating:position gating:divider_ref=\"D\" gating:location=\"15\"/>"
      "</gating:Quadrant>\n"
      "</gating:QuadrantGate>\n" +
      range("Child", R"( gating:parent_id="Q")"));
  expect_error(xml, ErrorKind::reference, "line 7, gate 'Child'", "parent_id 'Q' is a QuadrantGate");
}

TEST(GatingMlErrors, PositionNamingAnUnknownDividerNamesTheQuadrantsLine) {
  const std::string xml = document(
      "<gating:QuadrantGate gating:id=\"Q\">\n"
      "<gating:divider gating:id=\"D\" gating:compensation-ref=\"FCS\">"
      "<data-type:fcs-dimension data-type:name=\"FL2-H\"/><gating:value>10</gating:value></gating:divider>\n"
      "<gating:Quadrant gating:id=\"Lo\"><gating:position gating:divider_ref=\"D\" gating:location=\"5\"/>"
      "</gating:Quadrant>\n"
      "<gating:Quadrant gating:id=\"Hi\"><gating:position gating:divider_ref=\"E\" gating:location=\"15\"/>"
      "</gating:Quadrant>\n"
      "</gating:QuadrantGate>\n");
  expect_error(xml, ErrorKind::reference, "line 5, gate 'Hi'", "divider 'E'");
}

TEST(GatingMlErrors, MissingCoordinates) {
  const std::string polygon =
      "<gating:PolygonGate gating:id=\"P\">\n"
      "<gating:dimension gating:compensation-ref=\"FCS\"><data-type:fcs-dimension data-type:name=\"FL2-H\"/>"
      "</gating:dimension>\n"
      "<gating:dimension gating:compensation-ref=\"FCS\"><data-type:fcs-dimension data-type:name=\"FL3-H\"/>"
      "</gating:dimension>\n"
      "<gating:vertex><gating:coordinate data-type:value=\"5\"/><gating:coordinate data-type:value=\"5\"/>"
      "</gating:vertex>\n"
      "<gating:vertex><gating:coordinate data-type:value=\"500\"/></gating:vertex>\n"
      "<gating:vertex><gating:coordinate data-type:value=\"500\"/><gating:coordinate data-type:value=\"500\"/>"
      "</gating:vertex>\n"
      "</gating:PolygonGate>\n";
  expect_error(document(polygon), ErrorKind::format, "line 6, gate 'P'", "vertex 2 has 1 gating:coordinate");

  const std::string ellipse =
      "<gating:EllipsoidGate gating:id=\"E\">\n"
      "<gating:dimension gating:compensation-ref=\"FCS\"><data-type:fcs-dimension data-type:name=\"FL3-H\"/>"
      "</gating:dimension>\n"
      "<gating:dimension gating:compensation-ref=\"FCS\"><data-type:fcs-dimension data-type:name=\"FL4-H\"/>"
      "</gating:dimension>\n"
      "<gating:mean><gating:coordinate data-type:value=\"13\"/></gating:mean>\n"
      "</gating:EllipsoidGate>\n";
  expect_error(document(ellipse), ErrorKind::format, "line 5, gate 'E'", "the mean has 1 gating:coordinate");
}

TEST(GatingMlErrors, MissingAttributeAndNonNumericValue) {
  expect_error(document("<gating:RectangleGate>\n</gating:RectangleGate>\n"), ErrorKind::format, "line 2",
               "gating:RectangleGate has no gating:id attribute");
  expect_error(document(range("R", "", R"( gating:compensation-ref="uncompensated" gating:min="1O0")")),
               ErrorKind::format, "line 2, gate 'R'", "gating:min = '1O0' is not a number");
  expect_error(document("<transforms:transformation transforms:id=\"L\">\n<transforms:flog transforms:T=\"100\"/>\n"
                        "</transforms:transformation>\n"),
               ErrorKind::format, "line 3, transformation 'L'", "transforms:flog has no transforms:M attribute");
}

TEST(GatingMlErrors, UnknownElementsAndTransformKinds) {
  expect_error(document("\n<gating:CircleGate gating:id=\"C\"/>\n"), ErrorKind::format, "line 3",
               "unknown gate element <gating:CircleGate>");
  expect_error(document("<transforms:transformation transforms:id=\"B\">\n<transforms:fbiex transforms:T=\"1\"/>\n"
                        "</transforms:transformation>\n"),
               ErrorKind::unsupported, "line 3, transformation 'B'", "unknown transformation <transforms:fbiex>");
}

TEST(GatingMlErrors, TransformParametersOutOfRangeNameTheTransformationAndLine) {
  expect_error(document("\n<transforms:transformation transforms:id=\"L\"><transforms:logicle transforms:T=\"10000\" "
                        "transforms:W=\"3\" transforms:M=\"4.5\" transforms:A=\"0\"/></transforms:transformation>\n"),
               ErrorKind::numeric, "line 3, transformation 'L'", "W");
}

TEST(GatingMlErrors, DuplicateIdNamesTheSecondDefinition) {
  expect_error(document(range("R") + range("R")), ErrorKind::structure, "line 3, gate 'R'", "already taken");
}

TEST(GatingMlErrors, LinesCountCrLfAndForwardReferencesResolve) {
  // CRLF line ends; the gate uses a transformation defined after it (IDREF allows it).
  std::string xml = document("\r\n" + range("Early", "", R"( gating:compensation-ref="uncompensated" gating:transformation-ref="Lin")") +
                             "<transforms:transformation transforms:id=\"Lin\"><transforms:flin transforms:T=\"10\" "
                             "transforms:A=\"0\"/></transforms:transformation>\r\n" +
                             range("Bad", "", R"( gating:compensation-ref="x y")"));
  expect_error(xml, ErrorKind::reference, "line 5, gate 'Bad'", "compensation-ref 'x y'");
}

TEST(GatingMlErrors, DeepNestingAndLongChainsAreRefusedNotFollowed) {
  std::string wrappers;
  for (int k = 0; k < 40; ++k) wrappers += "<w>";
  wrappers += range("R");
  for (int k = 0; k < 40; ++k) wrappers += "</w>";
  expect_error(document(wrappers), ErrorKind::unsupported, "line 2", "nested more than 16 levels");

  // 1,500 gates each the parent of the next: deeper than any tree walk should follow.
  std::string chain = range("G0");
  for (int k = 1; k < 1500; ++k) chain += range("G" + std::to_string(k), " gating:parent_id=\"G" + std::to_string(k - 1) + "\"");
  try {
    (void)gate::parse_gatingml(document(chain), "<memory>");
    ADD_FAILURE() << "expected an error";
  } catch (const escapade::GatingMlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported) << e.what();
    EXPECT_TRUE(contains(e.reason(), "more than 1000 gates")) << e.what();
  }
}

TEST(GatingMlErrors, UnreadableFileIsAnIoErrorNamingThePath) {
  const auto path = std::filesystem::temp_directory_path() / "escapade_no_such_dir" / "gates.xml";
  try {
    (void)gate::read_gatingml_file(path);
    FAIL() << "expected an error";
  } catch (const escapade::GatingMlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.source(), path.string());
  }
}

// ---- tolerance -------------------------------------------------------------------------

TEST(GatingMlTolerance, OtherPrefixesDefaultNamespaceAndUnqualifiedAttributes) {
  // The same Range1 as the suite's, spelled with other prefixes, a default namespace and
  // unqualified attributes: elements are matched by namespace URI, not by prefix.
  const std::string xml =
      "<Gating-ML xmlns=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\" "
      "xmlns:dt=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\" "
      "xmlns:g=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\">\n"
      "<RectangleGate id=\"Range1\"><g:dimension g:compensation-ref=\"uncompensated\" min=\"100\">"
      "<dt:fcs-dimension name=\"FSC-H\"/></g:dimension></RectangleGate>\n"
      "</Gating-ML>\n";
  const gate::GatingPlan plan = gate::parse_gatingml(xml, "<memory>");
  ASSERT_EQ(plan.gates().size(), 1u);
  const auto& shape = std::get<gate::RectangleGate>(plan.gates()[0].shape);
  ASSERT_EQ(shape.intervals.size(), 1u);
  EXPECT_EQ(shape.intervals[0].dimension, gate::Dimension::of("FSC-H"));
  EXPECT_EQ(shape.intervals[0].min, 100.0);
  EXPECT_EQ(shape.intervals[0].max, std::numeric_limits<double>::infinity());

  // A prefix bound to a foreign namespace is not Gating-ML, even if it is spelled "gating".
  const std::string foreign = document(
      "<gating:RectangleGate xmlns:gating=\"urn:other\" gating:id=\"X\"/>\n" + range("Y"));
  const gate::GatingPlan read = gate::parse_gatingml(foreign, "<memory>");
  EXPECT_EQ(read.populations(), std::vector<std::string>{"Y"});
}

TEST(GatingMlTolerance, SuiteAttributeTestingFileReadsAsRange1WithItsName) {
  const gate::GatingPlan plan = gate::read_gatingml_file(data_path("gatingml/gml/gml_range_gate_attr_testing.xml"));
  EXPECT_EQ(plan.populations(), std::vector<std::string>{"Range1"});
  EXPECT_EQ(plan.name("Range1"), "asdf");  // the extra gating:name attribute
  EXPECT_EQ(plan.source(), data_path("gatingml/gml/gml_range_gate_attr_testing.xml").string());
}

TEST(GatingMlTolerance, BytesOverloadReadsTheSameAsText) {
  const std::string xml = document(range("R"));
  std::vector<std::byte> bytes(xml.size());
  std::memcpy(bytes.data(), xml.data(), xml.size());
  const gate::GatingPlan plan = gate::parse_gatingml(std::span<const std::byte>(bytes), "<bytes>");
  EXPECT_EQ(plan.source(), "<bytes>");
  EXPECT_EQ(gate::write_gatingml(plan), gate::write_gatingml(gate::parse_gatingml(xml, "<text>")));
}

TEST(GatingMlTolerance, FlowJoCompPrefixMeansTheFilesOwnSpillover) {
  // FlowJo's Gating-ML export (docs/formats.md §3.2): no compensation-ref; "Comp-" + $PnN is
  // the compensated channel, any other name is raw; eventsInside="0" is a complement.
  const std::string xml = document(
      "<gating:RectangleGate eventsInside=\"0\" gating:id=\"ID1\">"
      "<gating:dimension gating:min=\"-561\" gating:max=\"1267\"><data-type:fcs-dimension "
      "data-type:name=\"Comp-PE-A\"/></gating:dimension>"
      "<gating:dimension gating:min=\"43690\"><data-type:fcs-dimension data-type:name=\"FSC-A\"/>"
      "</gating:dimension></gating:RectangleGate>\n");
  const gate::GatingPlan plan = gate::parse_gatingml(xml, "<memory>");
  const gate::Gate& g = plan.gates().at(0);
  EXPECT_TRUE(g.complement);
  const auto& shape = std::get<gate::RectangleGate>(g.shape);
  gate::Dimension compensated = gate::Dimension::of("PE-A");
  compensated.compensation = std::string(gate::file_compensation);
  EXPECT_EQ(shape.intervals.at(0).dimension, compensated);
  EXPECT_EQ(shape.intervals.at(1).dimension, gate::Dimension::of("FSC-A"));
}

TEST(GatingMlTolerance, FlowJoExportGivesFlowKitsExactCountsOnItsFile) {
  // flowsom_68983: manualGating.xml on 68983.fcs with its SPILL. docs/formats.md §3.5 gives the
  // exact counts (FlowKit 1.3.2) for the gates the export shares with gating.wsp:
  // Lymphocytes 19225, Singlets 18702, Singlets2 18585, NK1_1− 17470. NK1_1− is a
  // rectangle on Comp-PE-A, so it checks the Comp- rule (raw PE-A gives another count).
  const gate::GatingPlan plan = gate::read_gatingml_file(data_path("flowjo/flowsom_68983/manualGating.xml"));
  EXPECT_EQ(plan.populations().size(), 15u);
  auto file = escapade::fcs::read_fcs_file(data_path("flowjo/flowsom_68983/68983.fcs"));
  const auto& ds = file.data_sets.at(0);
  ASSERT_TRUE(ds.spillover.has_value());
  gate::ApplyOptions options;
  options.file_spillover = &*ds.spillover;
  const gate::GatingResult result = gate::apply(plan, ds.events, options);
  EXPECT_EQ(result.count("ID1152036930"), 19225u);  // Lymphocytes
  EXPECT_EQ(result.count("ID1073341880"), 18702u);  // Singlets
  EXPECT_EQ(result.count("ID325928510"), 18585u);   // Singlets2
  EXPECT_EQ(plan.parent("ID2056235295"), "ID325928510");
  EXPECT_EQ(result.count("ID2056235295"), 17470u);  // NK1_1−
}

// ---- writer ----------------------------------------------------------------------------

TEST(GatingMlWriter, ComplementIsWrittenAsNotOverAHiddenShape) {
  const std::string xml = document(range("P") + range("X", R"( eventsInside="0" gating:parent_id="P")") +
                                   range("X_shape"));
  const gate::GatingPlan plan = gate::parse_gatingml(xml, "<memory>");
  const std::string text = gate::write_gatingml(plan);
  const gate::GatingPlan again = gate::parse_gatingml(text, "<again>");
  // X_shape is taken, so the hidden copy is X_shape_2, a sibling of X under P.
  EXPECT_EQ(again.populations(), (std::vector<std::string>{"P", "X_shape_2", "X", "X_shape"}));
  EXPECT_EQ(again.parent("X_shape_2"), "P");
  EXPECT_EQ(again.parent("X"), "P");
  const gate::Gate& x = again.gates().at(2);
  EXPECT_FALSE(x.complement);
  const auto& op = std::get<gate::BooleanGate>(x.shape);
  EXPECT_EQ(op.op, gate::BooleanGate::Op::not_op);
  ASSERT_EQ(op.operands.size(), 1u);
  EXPECT_EQ(op.operands[0].gate, "X_shape_2");
  EXPECT_EQ(gate::write_gatingml(again), text);
}

TEST(GatingMlWriter, ComplementKeepsItsEvents) {
  // Parent FL1-H ≥ 2; X = parent events outside FL1-H ∈ [4, 6).
  std::vector<escapade::ChannelLabel> labels{{"FL1-H", ""}};
  escapade::EventMatrix events(10, labels);
  for (std::size_t i = 0; i < 10; ++i) events.channel(0)[i] = static_cast<double>(i);
  const std::string xml = document(
      range("P", "", R"( gating:compensation-ref="uncompensated" gating:min="2")") +
      range("X", R"( eventsInside="0" gating:parent_id="P")",
            R"( gating:compensation-ref="uncompensated" gating:min="4" gating:max="6")"));
  const gate::GatingPlan plan = gate::parse_gatingml(xml, "<memory>");
  const gate::GatingPlan again = gate::parse_gatingml(gate::write_gatingml(plan), "<again>");
  const auto before = gate::apply(plan, events);
  const auto after = gate::apply(again, events);
  EXPECT_EQ(before.membership("X").indices(), (std::vector<std::size_t>{2, 3, 6, 7, 8, 9}));
  EXPECT_EQ(after.membership("X").indices(), before.membership("X").indices());
}

TEST(GatingMlWriter, BoundsInvertedMatrixAndExactNumbersRoundTrip) {
  gate::GatingPlan plan("<built>");
  transform::Bounds bounds;
  bounds.min = 0.1;
  bounds.max = 0.9;
  plan.add_transform("Log", transform::LogTransform(10000.0, 4.5, bounds));
  escapade::comp::CompileOptions inverted;
  inverted.matrix_inverted_already = true;
  inverted.method = escapade::comp::Method::as_given;
  // 3 detectors × 2 fluorochromes, given as the unmixing matrix (m rows of n).
  plan.add_matrix(escapade::comp::SpectrumMatrix({"A", "B"}, {"D1", "D2", "D3"}, {1.0, 0.0, 0.0, 1.0, 0.1, 0.2}, "U"),
                  inverted);
  gate::Gate g;
  g.id = "G";
  gate::Interval interval;
  interval.dimension.channel = "A";
  interval.dimension.compensation = "U";
  interval.dimension.transform = "Log";
  interval.min = 0.1 + 0.2;  // 0.30000000000000004: needs all 17 digits
  g.shape = gate::RectangleGate{{interval}};
  plan.add_gate(g);

  const std::string text = gate::write_gatingml(plan);
  EXPECT_TRUE(contains(text, "transforms:boundMin=\"0.1\"")) << text;
  EXPECT_TRUE(contains(text, "transforms:matrix-inverted-already=\"true\"")) << text;
  EXPECT_TRUE(contains(text, "gating:min=\"0.30000000000000004\"")) << text;
  const gate::GatingPlan again = gate::parse_gatingml(text, "<again>");
  EXPECT_EQ(gate::write_gatingml(again), text);
  ASSERT_EQ(again.matrices().size(), 1u);
  EXPECT_EQ(again.matrices()[0].matrix, plan.matrices()[0].matrix);
  EXPECT_TRUE(again.matrices()[0].options.matrix_inverted_already);
  const auto* log = again.find_transform("Log")->get_if<transform::LogTransform>();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->bounds(), bounds);
  EXPECT_EQ(std::get<gate::RectangleGate>(again.gates()[0].shape).intervals[0].min, 0.1 + 0.2);
}

TEST(GatingMlWriter, FlowJoOnlyTransformsAreUnsupported) {
  gate::GatingPlan plan("<built>");
  plan.add_transform("Biex1", transform::FlowJoBiexTransform(0.0, -10.0, 4.42));
  try {
    (void)gate::write_gatingml(plan);
    FAIL() << "expected an error";
  } catch (const escapade::GatingMlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
    EXPECT_EQ(e.source(), "<built>");
    EXPECT_EQ(e.where(), "transformation 'Biex1'");
    EXPECT_TRUE(contains(e.reason(), "flowjo-biex")) << e.what();
  }
}

TEST(GatingMlWriter, ControlCharactersInNamesAreRefused) {
  gate::GatingPlan plan("<built>");
  gate::Gate g;
  g.id = "G";
  gate::Interval interval;
  interval.dimension.channel = std::string("FL\x01", 3);
  g.shape = gate::RectangleGate{{interval}};
  plan.add_gate(g);
  try {
    (void)gate::write_gatingml(plan);
    FAIL() << "expected an error";
  } catch (const escapade::GatingMlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_EQ(e.where(), "gate 'G'");
    EXPECT_TRUE(contains(e.reason(), "0x01")) << e.what();
  }
}

TEST(GatingMlWriter, FileIsNotOverwrittenUnlessAsked) {
  const TempDir dir;
  const auto path = dir.path() / "gates.xml";
  const gate::GatingPlan first = gate::parse_gatingml(document(range("First")), "<memory>");
  const gate::GatingPlan second = gate::parse_gatingml(document(range("Second")), "<memory>");
  gate::write_gatingml_file(first, path);
  EXPECT_EQ(slurp(path), gate::write_gatingml(first));
  try {
    gate::write_gatingml_file(second, path);
    FAIL() << "expected an error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.source(), path.string());
    EXPECT_TRUE(contains(e.reason(), "exists")) << e.what();
  }
  EXPECT_EQ(gate::read_gatingml_file(path).populations(), std::vector<std::string>{"First"});
  gate::write_gatingml_file(second, path, /*overwrite=*/true);
  EXPECT_EQ(gate::read_gatingml_file(path).populations(), std::vector<std::string>{"Second"});
  // Only the file itself is left: the temporary file was renamed into place.
  std::size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST(GatingMlWriter, UnwritableDirectoryIsAnIoError) {
  const gate::GatingPlan plan = gate::parse_gatingml(document(range("R")), "<memory>");
  const auto path = std::filesystem::temp_directory_path() / "escapade_no_such_dir" / "out.xml";
  try {
    gate::write_gatingml_file(plan, path);
    FAIL() << "expected an error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.source(), path.string());
  }
}
