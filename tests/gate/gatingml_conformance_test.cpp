// The ISAC Gating-ML 2.0 compliance suite (shared/data/README.md §4; docs/formats.md §2): every
// (file, gate) row of gatingml/expected_counts.tsv is one test that reads data1.fcs as scale
// values, parses the gml file, applies the plan and compares the gate's membership with
// truth/Results_*.txt event by event. Then the round trip: every gml file written back,
// re-read and re-applied gives the same memberships, and writing again gives the same text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/gate/gatingml.hpp"
#include "tests/support/test_support.hpp"

namespace fcs = escapade::fcs;
namespace gate = escapade::gate;
using escapade::testing::data_path;

namespace {

// data1.fcs has 13,367 events; every truth file has one 0/1 line per event (README §4).
constexpr std::size_t suite_events = 13367;

struct SuiteRow {
  std::string gml_file;
  std::string gate_id;
  std::string gate_type;
  std::string parent_id;
  std::string truth_file;  // relative to gatingml/
  std::size_t events_in_gate = 0;
};

// What ctest shows for a parameter: the file and the gate, not the struct's bytes.
void PrintTo(const SuiteRow& row, std::ostream* os) { *os << row.gml_file << ':' << row.gate_id; }

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    cells.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return cells;
}

// The rows of expected_counts.tsv that have a truth file ("-" marks a QuadrantGate id and
// myEllipse2, which have none).
std::vector<SuiteRow> rows_with_truth() {
  std::vector<SuiteRow> rows;
  std::ifstream in(data_path("gatingml/expected_counts.tsv"));
  std::string line;
  std::getline(in, line);  // header: gml_file gate_id gate_type parent_id truth_file events_in_gate
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto cells = split_tabs(line);
    if (cells.size() != 6 || cells[4] == "-") continue;
    rows.push_back(SuiteRow{cells[0], cells[1], cells[2], cells[3], cells[4], std::stoul(cells[5])});
  }
  return rows;
}

std::vector<std::string> gml_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(data_path("gatingml/gml"))) {
    if (entry.path().extension() == ".xml") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// GoogleTest names allow only letters, digits and '_'.
std::string test_name(std::string text) {
  for (char& c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return text;
}

std::string stem(const std::string& file) { return std::filesystem::path(file).stem().string(); }

std::vector<char> read_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<char> bits;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bits.push_back(line == "1" ? 1 : line == "0" ? 0 : -1);
  }
  return bits;
}

// data1.fcs read once for every test of the binary (STYLE §6: heavy fixtures load once).
const fcs::DataSet& data1() {
  static const fcs::DataSet ds = [] {
    auto file = fcs::read_fcs_file(data_path("gatingml/data1.fcs"));  // defaults: scale values
    return std::move(file.data_sets.at(0));
  }();
  return ds;
}

gate::ApplyOptions options_for(const fcs::DataSet& ds) {
  gate::ApplyOptions options;
  options.file_spillover = ds.spillover ? &*ds.spillover : nullptr;
  return options;
}

// Comma-separated indices of the first events where two memberships differ.
std::string first_differences(const gate::Membership& a, const gate::Membership& b) {
  std::ostringstream out;
  int shown = 0;
  for (std::size_t i = 0; i < a.size() && shown < 10; ++i) {
    if (a.test(i) != b.test(i)) out << (shown++ ? ", " : "") << i;
  }
  return out.str();
}

}  // namespace

// ---- truth, one test per row -----------------------------------------------------------

class GatingMlTruth : public ::testing::TestWithParam<SuiteRow> {};

TEST_P(GatingMlTruth, MembershipMatchesTruthEventByEvent) {
  const SuiteRow& row = GetParam();
  const fcs::DataSet& ds = data1();
  ASSERT_EQ(ds.events.event_count(), suite_events);

  const gate::GatingPlan plan = gate::read_gatingml_file(data_path("gatingml/gml/" + row.gml_file));
  ASSERT_TRUE(plan.has_population(row.gate_id)) << row.gate_id;
  EXPECT_EQ(plan.parent(row.gate_id), row.parent_id);

  const gate::GatingResult result = gate::apply(plan, ds.events, options_for(ds));
  const gate::Membership& got = result.membership(row.gate_id);
  const std::vector<char> truth = read_truth(data_path("gatingml/" + row.truth_file));
  ASSERT_EQ(truth.size(), suite_events) << row.truth_file;
  ASSERT_EQ(got.size(), suite_events);

  std::size_t wrong = 0;
  std::size_t truth_count = 0;
  std::ostringstream first;
  for (std::size_t i = 0; i < suite_events; ++i) {
    ASSERT_NE(truth[i], -1) << row.truth_file << " line " << i + 1 << " is neither 0 nor 1";
    truth_count += static_cast<std::size_t>(truth[i]);
    if ((truth[i] == 1) != got.test(i)) {
      if (wrong < 10) first << (wrong ? ", " : "") << "event " << i << " (truth " << int(truth[i]) << ")";
      ++wrong;
    }
  }
  EXPECT_EQ(wrong, 0u) << row.gml_file << " gate " << row.gate_id << ": " << wrong
                       << " events differ from the truth; first: " << first.str();
  EXPECT_EQ(truth_count, row.events_in_gate) << "the truth file disagrees with expected_counts.tsv";
  EXPECT_EQ(got.count(), row.events_in_gate);
  EXPECT_EQ(result.count(row.gate_id), row.events_in_gate);
}

INSTANTIATE_TEST_SUITE_P(Suite, GatingMlTruth, ::testing::ValuesIn(rows_with_truth()),
                         [](const ::testing::TestParamInfo<SuiteRow>& param) {
                           return test_name(stem(param.param.gml_file) + "__" + param.param.gate_id);
                         });

// The table itself: 133 (file, gate) truth checks over 47 files (docs/formats.md §2.3), so a
// truncated or missing TSV cannot make the suite pass by running nothing.
TEST(GatingMlSuite, CoversEveryTruthRowAndFile) {
  EXPECT_EQ(rows_with_truth().size(), 133u);
  EXPECT_EQ(gml_files().size(), 47u);
}

// ---- round trip, one test per gml file -------------------------------------------------

class GatingMlRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(GatingMlRoundTrip, WriteReadApplyGivesSameMembershipsAndText) {
  const std::string& file = GetParam();
  const fcs::DataSet& ds = data1();
  const gate::GatingPlan plan = gate::read_gatingml_file(data_path("gatingml/gml/" + file));

  const std::string text = gate::write_gatingml(plan);
  const gate::GatingPlan again = gate::parse_gatingml(text, "<round trip>");
  EXPECT_EQ(again.populations(), plan.populations());
  EXPECT_EQ(again.dimensions(), plan.dimensions());
  ASSERT_EQ(again.transforms().size(), plan.transforms().size());
  for (std::size_t k = 0; k < plan.transforms().size(); ++k) {
    EXPECT_EQ(again.transforms()[k].first, plan.transforms()[k].first);
    EXPECT_EQ(again.transforms()[k].second.summary(), plan.transforms()[k].second.summary());
  }
  ASSERT_EQ(again.ratios().size(), plan.ratios().size());
  for (std::size_t k = 0; k < plan.ratios().size(); ++k) {
    EXPECT_EQ(again.ratios()[k].first, plan.ratios()[k].first);
    EXPECT_EQ(again.ratios()[k].second.transform.summary(), plan.ratios()[k].second.transform.summary());
    EXPECT_EQ(again.ratios()[k].second.numerator, plan.ratios()[k].second.numerator);
    EXPECT_EQ(again.ratios()[k].second.denominator, plan.ratios()[k].second.denominator);
  }
  ASSERT_EQ(again.matrices().size(), plan.matrices().size());
  for (std::size_t k = 0; k < plan.matrices().size(); ++k) {
    EXPECT_EQ(again.matrices()[k].matrix, plan.matrices()[k].matrix);
  }
  EXPECT_EQ(gate::write_gatingml(again), text) << "writing the re-read plan changed the text";

  const gate::GatingResult before = gate::apply(plan, ds.events, options_for(ds));
  const gate::GatingResult after = gate::apply(again, ds.events, options_for(ds));
  for (const std::string& id : plan.populations()) {
    EXPECT_TRUE(before.membership(id) == after.membership(id))
        << file << " population " << id << " differs after the round trip at events "
        << first_differences(before.membership(id), after.membership(id));
  }
}

INSTANTIATE_TEST_SUITE_P(Suite, GatingMlRoundTrip, ::testing::ValuesIn(gml_files()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return test_name(stem(param.param));
                         });
