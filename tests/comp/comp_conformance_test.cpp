// Compensation against third-party truth (docs/formats.md §2.4, shared/data/README.md §4, §6):
// the Gating-ML MySpill array from FlowUtils, and round trips on FlowKit's 14-colour file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"
#include "tests/support/test_support.hpp"

namespace comp = escapade::comp;
using escapade::ChannelLabel;
using escapade::EventMatrix;
using escapade::testing::data_path;
using escapade::testing::NpyArray;
using escapade::testing::read_bytes;
using escapade::testing::read_npy;

namespace {

// $P1N…$PnN of the first data set of a FCS file, by a plain scan of TEXT (HEADER bytes
// 10–25 hold the TEXT offsets; the first TEXT byte is the delimiter; FCS 3.1 §3.1, §3.2).
std::vector<std::string> pnn_names(const std::filesystem::path& path) {
  const auto bytes = read_bytes(path);
  const std::string file(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::size_t begin = std::stoul(file.substr(10, 8));
  const std::size_t end = std::stoul(file.substr(18, 8));
  const std::string text = file.substr(begin, end - begin + 1);
  const char delim = text[0];
  std::vector<std::string> names;
  for (std::size_t k = 1;; ++k) {
    const std::string key = std::string(1, delim) + "$P" + std::to_string(k) + "N" + delim;
    const std::size_t at = text.find(key);
    if (at == std::string::npos) break;
    const std::size_t value = at + key.size();
    names.push_back(text.substr(value, text.find(delim, value) - value));
  }
  return names;
}

EventMatrix to_events(const NpyArray& a, const std::vector<std::string>& names) {
  EXPECT_EQ(a.cols, names.size());
  std::vector<ChannelLabel> labels;
  for (const auto& n : names) labels.push_back({n, ""});
  EventMatrix m(a.rows, labels);
  for (std::size_t c = 0; c < a.cols; ++c) {
    auto column = m.channel(c);
    for (std::size_t r = 0; r < a.rows; ++r) column[r] = a.at(r, c);
  }
  return m;
}

// The Gating-ML 2.0 transforms:spectrumMatrix with the given id, read with pugixml.
comp::SpectrumMatrix read_spectrum_matrix(const std::filesystem::path& path, const std::string& id,
                                          bool transpose = false) {
  pugi::xml_document doc;
  const auto ok = doc.load_file(path.c_str());
  EXPECT_TRUE(ok) << ok.description();
  const auto node = doc.child("gating:Gating-ML").find_child_by_attribute("transforms:spectrumMatrix",
                                                                           "transforms:id", id.c_str());
  EXPECT_TRUE(node) << id;
  const auto names = [&](const char* tag) {
    std::vector<std::string> out;
    for (auto d : node.child(tag).children("data-type:fcs-dimension")) {
      out.emplace_back(d.attribute("data-type:name").value());
    }
    return out;
  };
  const auto fluorochromes = names("transforms:fluorochromes");
  const auto detectors = names("transforms:detectors");
  std::vector<std::vector<double>> rows;
  for (auto row : node.children("transforms:spectrum")) {
    rows.emplace_back();
    for (auto c : row.children("transforms:coefficient")) {
      rows.back().push_back(c.attribute("transforms:value").as_double());
    }
  }
  std::vector<double> values;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) values.push_back(transpose ? rows[j][i] : rows[i][j]);
  }
  return comp::SpectrumMatrix(fluorochromes, detectors, values, id);
}

double max_relative_error(std::span<const double> got, const NpyArray& want, std::size_t col) {
  double worst = 0;
  for (std::size_t r = 0; r < want.rows; ++r) {
    const double w = want.at(r, col);
    worst = std::max(worst, std::abs(got[r] - w) / std::abs(w));
  }
  return worst;
}

class MySpill : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto names = pnn_names(data_path("gatingml/data1.fcs"));
    s_data1 = new EventMatrix(to_events(read_npy(data_path("fcs/flowio/truth/data1_preprocessed.npy")), names));
    s_truth = new NpyArray(read_npy(data_path("gatingml/flowutils/event_data_for_poly_test.npy")));
  }
  static void TearDownTestSuite() {
    delete s_data1;
    delete s_truth;
  }
  static EventMatrix* s_data1;
  static NpyArray* s_truth;
};
EventMatrix* MySpill::s_data1 = nullptr;
NpyArray* MySpill::s_truth = nullptr;

const std::filesystem::path kPoly4 = "gatingml/gml/gml_matrix_poly4_gate.xml";

}  // namespace

TEST_F(MySpill, Data1ChannelsAreInFileOrder) {
  EXPECT_EQ(s_data1->channel_count(), 8u);
  EXPECT_EQ(s_data1->label(2).name, "FL1-H");
  EXPECT_EQ(s_data1->label(6).name, "FL4-H");
  ASSERT_EQ(s_truth->rows, 13367u);
  ASSERT_EQ(s_truth->cols, 2u);
}

TEST_F(MySpill, CompensatedPeAndPerCpMatchFlowUtils) {
  const auto spill = read_spectrum_matrix(data_path(kPoly4.string()), "MySpill");
  ASSERT_EQ(spill.fluorochromes(), (std::vector<std::string>{"FITC", "PE", "PerCP"}));
  ASSERT_EQ(spill.detectors(), (std::vector<std::string>{"FL1-H", "FL2-H", "FL3-H"}));
  ASSERT_EQ(spill.at(1, 0), 0.11);  // row PE, column FL1-H
  const comp::Compensation c(spill);
  EXPECT_EQ(c.method(), comp::Method::inverse);
  const EventMatrix out = comp::compensate(*s_data1, c);
  // Detectors are replaced by the fluorochrome dimensions; the rest is unchanged.
  EXPECT_FALSE(out.find("FL1-H").has_value());
  EXPECT_EQ(out.label(2).name, "FITC");
  EXPECT_EQ(out.label(5).name, "FL2-A");
  EXPECT_TRUE(std::ranges::equal(out.channel(out.index_of("FL4-H")), s_data1->channel(s_data1->index_of("FL4-H"))));
  EXPECT_LE(max_relative_error(out.channel(out.index_of("PE")), *s_truth, 0), 1e-12);
  EXPECT_LE(max_relative_error(out.channel(out.index_of("PerCP")), *s_truth, 1), 1e-12);
}

TEST_F(MySpill, LeastSquaresOnTheSquareMatrixAgreesWithinRounding) {
  // QR rounds differently from LU; near-zero outputs (cancellation of terms up to 1e4)
  // then differ by more than 1e-12 of themselves, so measure against the terms' scale.
  const comp::Compensation c(read_spectrum_matrix(data_path(kPoly4.string()), "MySpill"),
                             {.method = comp::Method::least_squares});
  const EventMatrix out = comp::compensate(*s_data1, c);
  const std::size_t detectors[3] = {s_data1->index_of("FL1-H"), s_data1->index_of("FL2-H"),
                                    s_data1->index_of("FL3-H")};
  for (std::size_t j = 0; j < 2; ++j) {
    const auto got = out.channel(out.index_of(j == 0 ? "PE" : "PerCP"));
    for (std::size_t r = 0; r < s_truth->rows; ++r) {
      double scale = 0;
      for (std::size_t d = 0; d < 3; ++d) scale += std::abs(s_data1->channel(detectors[d])[r] * c.unmixing(d, j + 1));
      ASSERT_NEAR(got[r], s_truth->at(r, j), 1e-13 * scale) << "event " << r;
    }
  }
}

TEST_F(MySpill, BlockApiMatchesFlowUtilsToo) {
  const comp::Compensation c(read_spectrum_matrix(data_path(kPoly4.string()), "MySpill"));
  const auto view = c.view(*s_data1);
  const std::vector<std::size_t> dims{view.index_of("PE"), view.index_of("PerCP")};
  const std::size_t n = view.event_count();
  std::vector<double> buffer(2 * n);
  view.fill(0, n, dims, buffer, {.num_threads = 2});
  EXPECT_LE(max_relative_error(std::span(buffer).first(n), *s_truth, 0), 1e-12);
  EXPECT_LE(max_relative_error(std::span(buffer).subspan(n), *s_truth, 1), 1e-12);
}

TEST_F(MySpill, TransposedMatrixGivesDifferentValues) {
  // The orientation matters (docs/formats.md §2.4: transposed S gives other gate counts).
  const comp::Compensation c(read_spectrum_matrix(data_path(kPoly4.string()), "MySpill", true));
  const EventMatrix out = comp::compensate(*s_data1, c);
  EXPECT_GT(max_relative_error(out.channel(out.index_of("PE")), *s_truth, 0), 1e-3);
  EXPECT_GT(max_relative_error(out.channel(out.index_of("PerCP")), *s_truth, 1), 1e-3);
}

TEST_F(MySpill, ResultDoesNotDependOnThreadCountOrKernel) {
  const comp::Compensation c(read_spectrum_matrix(data_path(kPoly4.string()), "MySpill"));
  const EventMatrix one = comp::compensate(*s_data1, c, {.num_threads = 1});
  EXPECT_TRUE(one == comp::compensate(*s_data1, c, {.num_threads = 2}));
  EXPECT_TRUE(one == comp::compensate(*s_data1, c, {.num_threads = 1, .kernel = comp::Kernel::reference}));
}

TEST(CompExample, CompensateThenDecompensateRestoresRawEvents) {
  // FlowKit's 14-colour file: the npy is its decoded events, the CSV its real spillover
  // (the file's own SPILL is the identity; README §6). Upstream tests only this round trip.
  const auto names = pnn_names(data_path("comp/test_comp_example.fcs"));
  ASSERT_EQ(names.size(), 18u);
  const EventMatrix raw = to_events(read_npy(data_path("comp/test_comp_event_data.npy")), names);
  const auto spill = comp::read_matrix_csv(data_path("comp/comp_complete_example.csv"));
  const comp::Compensation forward(spill);
  const EventMatrix compensated = comp::compensate(raw, forward, {.num_threads = 2});
  // S given as "already inverted" is raw = compensated · S: the decompensation.
  const comp::Compensation backward(spill, {.matrix_inverted_already = true});
  const EventMatrix back = comp::compensate(compensated, backward, {.num_threads = 2});
  ASSERT_EQ(back.channels(), raw.channels());
  double scale = 0;
  for (std::size_t c = 0; c < raw.channel_count(); ++c) {
    for (double v : raw.channel(c)) scale = std::max(scale, std::abs(v));
  }
  for (std::size_t c = 0; c < raw.channel_count(); ++c) {
    const auto a = back.channel(c);
    const auto b = raw.channel(c);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-12 * scale) << names[c] << " event " << i;
  }
  // Compensation changed the spilled-into detectors (PE-A takes 29.86 % of Ax488-A)…
  const auto pe = compensated.channel(compensated.index_of("PE-A"));
  const auto pe_raw = raw.channel(raw.index_of("PE-A"));
  EXPECT_FALSE(std::ranges::equal(pe, pe_raw));
  // …and left the scatter channels alone.
  EXPECT_TRUE(std::ranges::equal(compensated.channel(0), raw.channel(0)));
  EXPECT_TRUE(compensated == comp::compensate(raw, forward, {.num_threads = 1, .kernel = comp::Kernel::reference}));
}
