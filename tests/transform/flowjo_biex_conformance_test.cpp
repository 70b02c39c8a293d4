// FlowJo biex against FlowJo's own table (shared/data/transforms, from FlowKit
// data/flowjo_xforms; docs/formats.md §3.3). FlowKit's WSPBiexTransform test requires a mean
// relative error under 0.01 % over rows 1..4095 when channels map back to raw values.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "libescapade/transform/transform.hpp"
#include "tests/support/test_support.hpp"

namespace {

using escapade::transform::FlowJoBiexTransform;
using escapade::transform::Kernel;

std::vector<double> read_lookup() {
  std::ifstream file(escapade::testing::data_path(
      "transforms/tr_biex_l256_w-7.943282_n1.000000_m4.418540_r262144.000029.csv"));
  std::string line;
  std::getline(file, line);  // i,lookup[i]
  std::vector<double> lookup;
  while (std::getline(file, line)) {
    const auto comma = line.find(',');
    if (std::stoul(line.substr(0, comma)) != lookup.size()) ADD_FAILURE() << "row out of order: " << line;
    lookup.push_back(std::stod(line.substr(comma + 1)));
  }
  return lookup;
}

class FlowJoBiexTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lookup = new std::vector<double>(read_lookup()); }
  static void TearDownTestSuite() {
    delete lookup;
    lookup = nullptr;
  }
  static std::vector<double>* lookup;
  const FlowJoBiexTransform biex{1.0, -7.943282, 4.418540, 256.0, 262144.000029};
};

std::vector<double>* FlowJoBiexTable::lookup = nullptr;

TEST_F(FlowJoBiexTable, HasTheDocumentedShape) {
  ASSERT_EQ(lookup->size(), 4096u);
  EXPECT_EQ((*lookup)[1096], 0.0);
}

TEST_F(FlowJoBiexTable, ChannelsMapBackToRawWithinOneHundredthPercent) {
  double sum = 0.0;
  double worst = 0.0;
  for (std::size_t i = 1; i < lookup->size(); ++i) {
    const double expected = (*lookup)[i];
    const double raw = biex.inverse(static_cast<double>(i));
    // The zero channel: 0 in the table and exactly 0 here.
    const double relative = expected == 0.0 ? std::abs(raw) : std::abs(raw - expected) / std::abs(expected);
    sum += relative;
    worst = std::max(worst, relative);
  }
  const double mean = sum / static_cast<double>(lookup->size() - 1);
  EXPECT_LT(mean, 1e-4);
  // The table has six significant digits; the construction should leave only their rounding.
  EXPECT_LT(mean, 2e-6) << "mean relative error " << mean;
  EXPECT_LT(worst, 1e-5) << "worst relative error " << worst;
  RecordProperty("mean_relative_error", std::to_string(mean));
  // Row 0 too (outside FlowKit's criterion): −865.899.
  EXPECT_NEAR(biex.inverse(0.0), (*lookup)[0], 1e-3);
}

TEST_F(FlowJoBiexTable, RawValuesMapToTheirChannels) {
  std::vector<double> channels(lookup->size());
  biex.apply(*lookup, channels, Kernel::vectorized);
  double worst = 0.0;
  for (std::size_t i = 0; i < lookup->size(); ++i) {
    worst = std::max(worst, std::abs(channels[i] - static_cast<double>(i)));
    EXPECT_NEAR(biex.apply((*lookup)[i]), channels[i], 1e-9);
  }
  EXPECT_LT(worst, 0.01);
}

}  // namespace
