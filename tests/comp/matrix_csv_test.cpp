// Unit tests of the FlowJo matrix CSV reader (libescapade/comp/matrix_csv.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"
#include "tests/support/test_support.hpp"

namespace comp = escapade::comp;
using escapade::ErrorKind;
using escapade::testing::data_path;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void expect_format_error(const std::string& text, const std::string& where, const std::string& phrase) {
  try {
    (void)comp::parse_matrix_csv(text, "<memory>");
    ADD_FAILURE() << "expected an error for: " << text;
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::format) << e.what();
    EXPECT_EQ(e.source(), "<memory>");
    EXPECT_EQ(e.where(), where) << e.what();
    EXPECT_TRUE(contains(e.reason(), phrase)) << e.what();
  }
}

}  // namespace

TEST(MatrixCsv, ReadsFlowJoExport) {
  const auto s = comp::read_matrix_csv(data_path("comp/comp_complete_example.csv"));
  ASSERT_EQ(s.detector_count(), 14u);
  EXPECT_TRUE(s.is_spillover());
  EXPECT_EQ(s.detectors().front(), "Ax488-A");
  EXPECT_EQ(s.detectors().back(), "Qdot705-A");
  EXPECT_EQ(s.at(0, 1), 0.2986);  // row Ax488-A spills into PE-A
  EXPECT_EQ(s.at(1, 0), 0.007);
  EXPECT_EQ(s.at(3, 4), 0.134);
  EXPECT_EQ(s.at(13, 13), 1.0);
  EXPECT_TRUE(contains(s.id(), "comp_complete_example.csv"));
}

TEST(MatrixCsv, ReadsCommentedHeaderWithFlowJoNames) {
  const auto s = comp::read_matrix_csv(data_path("comp/den_comp.csv"));
  ASSERT_EQ(s.detector_count(), 8u);
  EXPECT_EQ(s.detectors()[0], "TNFa FITC FLR-A");
  EXPECT_EQ(s.detectors()[7], "CD4 PE-Cy7 FLR-A");
  EXPECT_EQ(s.at(0, 6), 0.015546);
  EXPECT_EQ(s.at(7, 5), 0.060009);
  const auto null_channel = comp::read_matrix_csv(data_path("comp/den_comp_null_channel.csv"));
  ASSERT_EQ(null_channel.detector_count(), 7u);
  EXPECT_EQ(null_channel.detectors()[0], "CD8 PerCP-Cy55 FLR-A");
  EXPECT_EQ(null_channel.at(0, 6), 0.127012);
  // Both are invertible spillover matrices.
  EXPECT_EQ(comp::Compensation(s).dimension_count(), 8u);
  EXPECT_EQ(comp::Compensation(null_channel).dimension_count(), 7u);
}

TEST(MatrixCsv, MissingRowIsRejectedWithFileLineAndReason) {
  const auto path = data_path("comp/test_comp_matrix_missing_row.csv");
  try {
    (void)comp::read_matrix_csv(path);
    FAIL() << "expected an error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::format);
    EXPECT_EQ(e.source(), path.string());
    EXPECT_EQ(e.where(), "line 14");
    EXPECT_TRUE(contains(e.reason(), "13 matrix rows for the 14 detectors")) << e.what();
    EXPECT_TRUE(contains(e.what(), "test_comp_matrix_missing_row.csv: line 14: ")) << e.what();
  }
}

TEST(MatrixCsv, AcceptsBomCrlfTabsQuotesAndBlankLines) {
  const auto s = comp::parse_matrix_csv("\xEF\xBB\xBF\"A\"\t\"B\"\r\n\r\n1\t0.5\r\n+2.5e-1\t1\r\n\r\n", "x");
  EXPECT_EQ(s.detectors(), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(s.at(0, 1), 0.5);
  EXPECT_EQ(s.at(1, 0), 0.25);
  EXPECT_EQ(s.id(), "x");
}

TEST(MatrixCsv, RowNamesPlaceRowsByName) {
  const auto s = comp::parse_matrix_csv(",A,B\nB,0.25,1\nA,1,0.5\n", "x");
  EXPECT_EQ(s.at(0, 1), 0.5);
  EXPECT_EQ(s.at(1, 0), 0.25);
  expect_format_error(",A,B\nA,1,0\nA,1,0\n", "line 3", "row 'A' appears twice");
  expect_format_error(",A,B\nA,1,0\nC,1,0\n", "line 3", "row name 'C' is not a header detector");
}

TEST(MatrixCsv, RejectsMalformedInput) {
  expect_format_error("", "line 1", "no header row");
  expect_format_error(" \n\n", "line 1", "no header row");
  expect_format_error("A,B\n1,0\n0\n", "line 3", "1 values, but the header names 2 detectors");
  expect_format_error("A,B\n1,0\n0,x\n", "line 3", "value 'x' in column B is not a finite number");
  expect_format_error("A,B\n1,0\n0,nan\n", "line 3", "is not a finite number");
  expect_format_error("A,B\n1,0\n0,1e999\n", "line 3", "is not a finite number");
  expect_format_error("A,B\n1,0\n0,1\n1,1\n", "line 4", "more matrix rows than the 2 detectors");
  expect_format_error("A,A\n1,0\n0,1\n", "line 1", "detector 'A' appears twice");
  expect_format_error("A,,C\n", "line 1", "header column 2 has no detector name");
  expect_format_error("A,B\n1,0\n", "line 2", "1 matrix rows for the 2 detectors");
}

TEST(MatrixCsv, BytesEntryPointAndMissingFile) {
  const std::string text = "A\n2\n";
  const auto s = comp::parse_matrix_csv(std::as_bytes(std::span(text.data(), text.size())), "b");
  EXPECT_EQ(s.at(0, 0), 2.0);
  try {
    (void)comp::read_matrix_csv("/nonexistent/m.csv");
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.source(), "/nonexistent/m.csv");
  }
}
