// The per-population table on a hand-made sample: counts and percentages follow from the
// events (min ≤ v < max, Gating-ML 2.0 §5.3.1), statistics from arithmetic on them.
#include "libescapade/gate/population_table.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "libescapade/base/error.hpp"

namespace escapade::gate {
namespace {

TEST(PopulationTable, RowsForRootAndEachPopulationWithStatistics) {
  fcs::DataSet ds;
  ds.events = EventMatrix(5, {{"A", "CD19"}, {"B", ""}});
  const double a[] = {1, 2, 3, 4, 10};
  const double b[] = {0, 0, 1, 1, 1};
  for (std::size_t i = 0; i < 5; ++i) {
    ds.events.channel(0)[i] = a[i];
    ds.events.channel(1)[i] = b[i];
  }
  for (const auto& [name, stain] : {std::pair{"A", "CD19"}, std::pair{"B", ""}}) {
    fcs::Parameter p;
    p.name = name;
    p.stain = stain;
    ds.parameters.push_back(p);
  }
  GatingPlan plan("<test>");
  plan.add_gate({"low", "", "A below 4", RectangleGate{{{Dimension::of("A"), -1e9, 4.0}}}});
  plan.add_gate({"low_b", "low", "", RectangleGate{{{Dimension::of("B"), 0.5, 2.0}}}});
  const GatingResult result = apply(plan, ds.events);
  GatedSample s;
  s.sample = "s.fcs";
  s.data = &ds;
  s.plan = &plan;
  s.result = &result;
  s.label = [](const std::string& id) { return id; };
  PopulationTable table({{"mean", "max", "p50"}, {"CD19"}, "raw"}, {}, 1);
  table.add(s);
  EXPECT_EQ(table.header(), (std::vector<std::string>{"sample", "population", "parent", "count", "pct_parent", "pct_total",
                                                      "mean:A", "max:A", "p50:A"}));
  ASSERT_EQ(table.rows().size(), 3U);
  // root: all 5 events, mean 4, max 10, median 3.
  EXPECT_EQ(table.rows()[0], (std::vector<std::string>{"s.fcs", "root", "", "5", "100", "100", "4", "10", "3"}));
  // low: A ∈ {1, 2, 3}; low_b: of those, B ≥ 0.5 → A = 3 only (1 of 3, 1 of 5 = 20 %).
  EXPECT_EQ(table.rows()[1], (std::vector<std::string>{"s.fcs", "low", "root", "3", "60", "60", "2", "3", "2"}));
  EXPECT_EQ(table.rows()[2][3], "1");
  EXPECT_EQ(table.rows()[2][5], "20");
  std::ostringstream json;
  table.write_json(json);
  EXPECT_NE(json.str().find("\"mean:A\": 4"), std::string::npos) << json.str();
  EXPECT_THROW(PopulationTable({{"mode"}, {}, "raw"}, {}, 1), InputError);
}

}  // namespace
}  // namespace escapade::gate
