// Gate semantics on small hand-made event sets: each expectation follows from the
// Gating-ML 2.0 definitions as docs/formats.md §2.5 states them (the compliance suite itself is
// tests/gate/gatingml_conformance_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "libescapade/base/error.hpp"
#include "libescapade/gate/gate.hpp"

namespace escapade::gate {
namespace {

EventMatrix make_events(const std::vector<std::vector<double>>& columns, const std::vector<std::string>& names) {
  std::vector<ChannelLabel> labels;
  for (const auto& n : names) labels.push_back({n, ""});
  EventMatrix m(columns.front().size(), labels);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::copy(columns[c].begin(), columns[c].end(), m.channel(c).begin());
  }
  return m;
}

std::vector<bool> bits(const Membership& m) {
  std::vector<bool> out;
  for (std::size_t i = 0; i < m.size(); ++i) out.push_back(m.test(i));
  return out;
}

Gate rectangle(std::string id, std::vector<Interval> intervals, std::string parent = "") {
  return Gate{std::move(id), std::move(parent), "", RectangleGate{std::move(intervals)}, false};
}

TEST(RectangleGate, MinInclusiveMaxExclusive) {
  const auto events = make_events({{0, 1, 1.5, 2, 3, NAN}}, {"A"});
  GatingPlan plan("<test>");
  plan.add_gate(rectangle("r", {{Dimension::of("A"), 1.0, 2.0}}));
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("r")), (std::vector<bool>{false, true, true, false, false, false}));
  EXPECT_EQ(result.count("r"), 2U);
  EXPECT_DOUBLE_EQ(result.percent_of_total("r"), 100.0 * 2 / 6);
}

TEST(RectangleGate, OpenBounds) {
  const auto events = make_events({{-1e300, 0, 1e300}}, {"A"});
  GatingPlan plan;
  Interval only_min{Dimension::of("A")};
  only_min.min = 0;
  plan.add_gate(rectangle("min", {only_min}));
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("min")), (std::vector<bool>{false, true, true}));
}

TEST(PolygonGate, EdgesAndVerticesAreInside) {
  // Triangle (0,0) (10,0) (10,10): points on each edge, on a vertex, inside and outside.
  const auto events = make_events({{5, 10, 5, 0, 10, 7, 2, 11, 5}, {0, 5, 5, 0, 10, 3, 5, 5, 5.0000001}}, {"X", "Y"});
  GatingPlan plan;
  plan.add_gate(Gate{"t", "", "", PolygonGate{Dimension::of("X"), Dimension::of("Y"), {{0, 0}, {10, 0}, {10, 10}}}});
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("t")),
            (std::vector<bool>{true, true, true, true, true, true, false, false, false}));
}

TEST(PolygonGate, SelfIntersectingFollowsEvenOdd) {
  // A pentagram: its central pentagon is covered twice, so even-odd leaves it out while
  // nonzero winding would keep it (docs/formats.md §2.5, Polygon3NS).
  std::vector<Point> star;
  for (int k = 0; k < 5; ++k) {
    const double a = M_PI / 2 + 4 * M_PI * k / 5;
    star.push_back({10 * std::cos(a), 10 * std::sin(a)});
  }
  const auto events = make_events({{0, 0, 20}, {0, 7, 0}}, {"X", "Y"});
  GatingPlan plan;
  plan.add_gate(Gate{"star", "", "", PolygonGate{Dimension::of("X"), Dimension::of("Y"), star}});
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("star")), (std::vector<bool>{false, true, false}));
}

TEST(EllipsoidGate, MahalanobisAtMostDistanceSquare) {
  // Σ = diag(4, 1), D² = 1: the boundary passes through (±2, 0) and (0, ±1).
  const auto events = make_events({{2, 0, 2.01, 0, 1}, {0, 1, 0, 1.01, 0.5}}, {"X", "Y"});
  GatingPlan plan;
  plan.add_gate(Gate{"e", "", "", EllipsoidGate{{Dimension::of("X"), Dimension::of("Y")}, {0, 0}, {4, 0, 0, 1}, 1}});
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("e")), (std::vector<bool>{true, true, false, false, true}));
}

// Issue 11, case 5: a covariance whose quadratic form has no positive direction (−I) would
// take every event; it is refused when the gate is added, as a singular one is. Indefinite
// and slightly asymmetric matrices stay accepted: the ISAC compliance suite gates one.
TEST(EllipsoidGate, NegativeDefiniteCovarianceIsRefused) {
  const auto refused = [](std::vector<double> covariance, std::string_view why) {
    GatingPlan plan;
    try {
      plan.add_gate(Gate{"e", "", "", EllipsoidGate{{Dimension::of("X"), Dimension::of("Y")}, {0, 0}, std::move(covariance), 1}});
    } catch (const GateTreeError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << "accepted: " << why;
  };
  refused({-1, 0, 0, -1}, "negative (semi-)definite");
  refused({-2, 0.5, 0.5, -1}, "negative (semi-)definite");
  refused({1, 1, 1, 1}, "singular");
  for (const std::vector<double>& ok : {std::vector<double>{2, 0.5, 0.5, 1}, {1, 2, 2, 1}, {1, 3, -3, 1}}) {
    GatingPlan plan;
    EXPECT_NO_THROW(plan.add_gate(Gate{"e", "", "", EllipsoidGate{{Dimension::of("X"), Dimension::of("Y")}, {0, 0}, ok, 1}}));
  }
}

TEST(EllipsoidGate, ThreeDimensions) {
  const auto events = make_events({{0, 1, 0.6}, {0, 0, 0.6}, {0, 0, 0.6}}, {"X", "Y", "Z"});
  GatingPlan plan;
  plan.add_gate(Gate{"e3", "", "",
                     EllipsoidGate{{Dimension::of("X"), Dimension::of("Y"), Dimension::of("Z")},
                                   {0, 0, 0},
                                   {1, 0, 0, 0, 1, 0, 0, 0, 1},
                                   1}});
  const auto result = apply(plan, events);
  // 0.6² · 3 = 1.08 > 1.
  EXPECT_EQ(bits(result.membership("e3")), (std::vector<bool>{true, true, false}));
}

TEST(QuadrantGate, LowerBoundsInclusiveAndUnlistedDividersFree) {
  const auto events = make_events({{0, 5, 5, 10, 12}, {0, 0, 3, 3, 9}}, {"A", "B"});
  GatingPlan plan;
  QuadrantGate q;
  q.id = "Q";
  q.dividers = {{"a", Dimension::of("A"), {5, 10}}, {"b", Dimension::of("B"), {3}}};
  q.quadrants = {{"low-low", "", {{"a", 0}, {"b", 0}}},
                 {"mid", "", {{"a", 7}}},
                 {"high-high", "", {{"a", 11}, {"b", 4}}}};
  plan.add_quadrant_gate(q);
  const auto result = apply(plan, events);
  EXPECT_EQ(result.populations(), (std::vector<std::string>{"low-low", "mid", "high-high"}));
  EXPECT_EQ(bits(result.membership("low-low")), (std::vector<bool>{true, false, false, false, false}));
  EXPECT_EQ(bits(result.membership("mid")), (std::vector<bool>{false, true, true, false, false}));
  EXPECT_EQ(bits(result.membership("high-high")), (std::vector<bool>{false, false, false, true, true}));
}

TEST(BooleanGate, AndOrNotWithComplementAndParents) {
  const auto events = make_events({{0, 1, 2, 3}}, {"A"});
  GatingPlan plan;
  plan.add_gate(rectangle("low", {{Dimension::of("A"), 0, 2}}));   // 0 1
  plan.add_gate(rectangle("odd1", {{Dimension::of("A"), 1, 2}}));  // 1
  plan.add_gate(rectangle("mid", {{Dimension::of("A"), 1, 3}}));   // 1 2
  plan.add_gate(Gate{"and", "", "", BooleanGate{BooleanGate::Op::and_op, {{"low"}, {"mid"}}}});
  plan.add_gate(Gate{"andc", "", "", BooleanGate{BooleanGate::Op::and_op, {{"low"}, {"mid", true}}}});
  plan.add_gate(Gate{"or", "", "", BooleanGate{BooleanGate::Op::or_op, {{"low"}, {"mid"}}}});
  plan.add_gate(Gate{"not", "", "", BooleanGate{BooleanGate::Op::not_op, {{"low"}}}});
  // A boolean under a parent keeps only the parent's events.
  plan.add_gate(Gate{"not_in_mid", "mid", "", BooleanGate{BooleanGate::Op::not_op, {{"odd1"}}}});
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("and")), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(bits(result.membership("andc")), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(bits(result.membership("or")), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(bits(result.membership("not")), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(bits(result.membership("not_in_mid")), (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(result.parent_count("not_in_mid"), 2U);
  EXPECT_DOUBLE_EQ(result.percent_of_parent("not_in_mid"), 50.0);
}

TEST(Gate, ComplementIsParentMinusShape) {
  const auto events = make_events({{0, 1, 2, 3}}, {"A"});
  GatingPlan plan;
  plan.add_gate(rectangle("top", {{Dimension::of("A"), 1, 10}}));
  Gate outside = rectangle("outside", {{Dimension::of("A"), 2, 3}}, "top");
  outside.complement = true;
  plan.add_gate(outside);
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("outside")), (std::vector<bool>{false, true, false, true}));
}

TEST(GatingPlan, ParentsDefinedLaterAndPaths) {
  GatingPlan plan;
  Gate child = rectangle("c", {{Dimension::of("A"), 1, 10}}, "p");
  child.name = "Child";
  plan.add_gate(child);
  Gate parent = rectangle("p", {{Dimension::of("A"), 0, 2}});
  parent.name = "Parent";
  plan.add_gate(parent);
  EXPECT_EQ(plan.path("c"), "Parent/Child");
  const auto events = make_events({{0, 1, 2, 3}}, {"A"});
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("c")), (std::vector<bool>{false, true, false, false}));
}

TEST(GatingPlan, ErrorsNameTheGate) {
  const auto events = make_events({{0, 1}}, {"A"});
  {
    GatingPlan plan("plan.xml");
    plan.add_gate(rectangle("r", {{Dimension::of("B"), 0, 1}}));
    try {
      (void)apply(plan, events);
      FAIL();
    } catch (const GateTreeError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::reference);
      EXPECT_EQ(e.source(), "plan.xml");
      EXPECT_EQ(e.where(), "gate 'r'");
      EXPECT_NE(e.reason().find("'B'"), std::string::npos);
      EXPECT_NE(e.reason().find("channels: A"), std::string::npos);
    }
  }
  {
    GatingPlan plan("plan.xml");
    plan.add_gate(rectangle("x", {{Dimension::of("A"), 0, 1}}, "y"));
    plan.add_gate(rectangle("y", {{Dimension::of("A"), 0, 1}}, "x"));
    try {
      plan.validate();
      FAIL();
    } catch (const GateTreeError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::structure);
      EXPECT_NE(e.reason().find("cycle"), std::string::npos);
    }
  }
  {
    GatingPlan plan;
    plan.add_gate(rectangle("x", {{Dimension::of("A"), 0, 1}}, "nobody"));
    EXPECT_THROW(plan.validate(), GateTreeError);
  }
  {
    GatingPlan plan;
    Dimension d = Dimension::of("A");
    d.transform = "missing";
    plan.add_gate(rectangle("x", {{d, 0, 1}}));
    EXPECT_THROW(plan.validate(), GateTreeError);
  }
  {
    GatingPlan plan;
    plan.add_gate(rectangle("x", {{Dimension::of("A"), 0, 1}}));
    EXPECT_THROW(plan.add_gate(rectangle("x", {{Dimension::of("A"), 0, 1}})), GateTreeError);
    EXPECT_THROW(plan.add_gate(Gate{"p", "", "", PolygonGate{Dimension::of("A"), Dimension::of("A"), {{0, 0}, {1, 1}}}}),
                 GateTreeError);
    EXPECT_THROW(plan.add_gate(Gate{"b", "", "", BooleanGate{BooleanGate::Op::not_op, {{"x"}, {"x"}}}}), GateTreeError);
    EXPECT_THROW(plan.add_gate(rectangle("inv", {{Dimension::of("A"), 2, 1}})), GateTreeError);
  }
}

TEST(GatingPlan, TransformsCompensationAndRatio) {
  // Two detectors with 10 % spillover of A into B; compensated B of event 0 is 0.
  const auto events = make_events({{100, 50}, {10, 25}, {1, 2}}, {"A", "B", "C"});
  GatingPlan plan;
  plan.add_matrix(comp::SpectrumMatrix({"A", "B"}, {"A", "B"}, {1, 0.1, 0, 1}, "Spill"));
  plan.add_transform("lin", transform::LinearTransform(100, 0));
  plan.add_ratio("rat", Ratio{transform::RatioTransform(1, 0, 0), "A", "C"});
  Dimension b_comp = Dimension::of("B");
  b_comp.compensation = "Spill";
  Dimension a_lin = Dimension::of("A");
  a_lin.transform = "lin";
  Dimension ratio;
  ratio.ratio = "rat";
  plan.add_gate(rectangle("bneg", {{b_comp, -1, 1}}));
  plan.add_gate(rectangle("ahalf", {{a_lin, 0.4, 0.6}}));
  plan.add_gate(rectangle("r", {{ratio, 99, 101}}));
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("bneg")), (std::vector<bool>{true, false}));
  EXPECT_EQ(bits(result.membership("ahalf")), (std::vector<bool>{false, true}));
  EXPECT_EQ(bits(result.membership("r")), (std::vector<bool>{true, false}));
  const auto values = dimension_values(plan, events, b_comp);
  EXPECT_NEAR(values[0], 0.0, 1e-12);
  EXPECT_NEAR(values[1], 20.0, 1e-12);
}

TEST(GatingPlan, FileCompensationWithoutSpilloverIsUncompensated) {
  const auto events = make_events({{1, 2}}, {"A"});
  GatingPlan plan;
  Dimension d = Dimension::of("A");
  d.compensation = std::string(file_compensation);
  plan.add_gate(rectangle("r", {{d, 1.5, 3}}));
  EXPECT_EQ(bits(apply(plan, events).membership("r")), (std::vector<bool>{false, true}));
}

TEST(Apply, ResultsDoNotDependOnThreadsOrBlocks) {
  // Crosses several blocks and ends mid-word, with a sparse child under a rare parent.
  const std::size_t n = 100'003;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = normal(rng);
    b[i] = normal(rng);
  }
  const auto events = make_events({a, b}, {"A", "B"});
  GatingPlan plan;
  plan.add_gate(rectangle("tail", {{Dimension::of("A"), 3, INFINITY}}));
  plan.add_gate(Gate{"disc", "tail", "",
                     EllipsoidGate{{Dimension::of("A"), Dimension::of("B")}, {3, 0}, {1, 0, 0, 1}, 1}});
  plan.add_gate(Gate{"tri", "", "", PolygonGate{Dimension::of("A"), Dimension::of("B"), {{0, 0}, {2, 0}, {0, 2}}}});
  const auto one = apply(plan, events, {.num_threads = 1});
  const auto many = apply(plan, events, {.num_threads = 0});
  std::size_t tail = 0, disc = 0, tri = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool in_tail = a[i] >= 3;
    tail += in_tail;
    disc += in_tail && ((a[i] - 3) * (a[i] - 3) + b[i] * b[i] <= 1);
    tri += a[i] >= 0 && b[i] >= 0 && a[i] + b[i] <= 2;
  }
  for (const auto& id : {"tail", "disc", "tri"}) EXPECT_EQ(one.membership(id), many.membership(id)) << id;
  EXPECT_EQ(one.count("tail"), tail);
  EXPECT_EQ(one.count("disc"), disc);
  EXPECT_EQ(one.count("tri"), tri);
}

TEST(ChannelStatistics, MatchesDefinitions) {
  Membership m(6);
  for (std::size_t i : {0, 1, 2, 3, 5}) m.set(i);
  const std::vector<double> v{1, 2, 4, 8, 1000, 16};
  const std::vector<double> p{0, 25, 100};
  const auto s = channel_statistics(v, m, p);
  EXPECT_EQ(s.count, 5U);
  EXPECT_DOUBLE_EQ(s.mean, 6.2);
  EXPECT_DOUBLE_EQ(s.median, 4);
  EXPECT_NEAR(s.geometric_mean, 4.0, 1e-12);
  // R: sd(c(1,2,4,8,16)) = 6.09918
  EXPECT_NEAR(s.sd, 6.0991802727907, 1e-10);
  EXPECT_NEAR(s.cv, 100 * 6.0991802727907 / 6.2, 1e-9);
  EXPECT_EQ(s.percentiles, (std::vector<double>{1, 2, 16}));
  // R: quantile(c(1,2,4,8,16), c(0.1587, 0.8413)) = 1.6348, 10.9216
  EXPECT_NEAR(s.robust_sd, 0.5 * (10.9216 - 1.6348), 1e-9);
  const auto empty = channel_statistics(v, Membership(6));
  EXPECT_EQ(empty.count, 0U);
  EXPECT_TRUE(std::isnan(empty.mean));
  EXPECT_THROW((void)channel_statistics(v, Membership(5)), Error);
}

}  // namespace
}  // namespace escapade::gate

namespace escapade::gate {
namespace {

TEST(GatingPlan, SameGateUnderSeveralParents) {
  // One gate definition ("CD19+") reused under two parents: distinct ids, one name, and
  // each copy sees only its own parent's events (FlowJo copies a gate this way).
  const auto events = make_events({{0, 1, 2, 3, 4, 5}, {5, 5, 0, 0, 5, 0}}, {"SSC", "CD19"});
  GatingPlan plan;
  plan.add_gate(rectangle("low", {{Dimension::of("SSC"), 0, 3}}));
  plan.add_gate(rectangle("high", {{Dimension::of("SSC"), 3, 6}}));
  for (const char* parent : {"low", "high"}) {
    Gate g = rectangle(std::string(parent) + "/CD19+", {{Dimension::of("CD19"), 1, INFINITY}}, parent);
    g.name = "CD19+";
    plan.add_gate(g);
  }
  EXPECT_EQ(plan.path("low/CD19+"), "low/CD19+");
  EXPECT_EQ(plan.name("high/CD19+"), "CD19+");
  const auto result = apply(plan, events);
  EXPECT_EQ(bits(result.membership("low/CD19+")), (std::vector<bool>{true, true, false, false, false, false}));
  EXPECT_EQ(bits(result.membership("high/CD19+")), (std::vector<bool>{false, false, false, false, true, false}));
}

}  // namespace
}  // namespace escapade::gate

namespace escapade::gate {
namespace {

TEST(GatingPlan, DeepChainsNeedNoDeepStack) {
  // 20,000 nested gates, each keeping every event: validation and evaluation order are
  // iterative, so depth costs memory, not stack.
  const auto events = make_events({{1, 2, 3}}, {"A"});
  GatingPlan plan;
  const std::size_t depth = 20'000;
  for (std::size_t k = 0; k < depth; ++k) {
    plan.add_gate(rectangle("g" + std::to_string(k), {{Dimension::of("A"), 0, 10}},
                            k == 0 ? "" : "g" + std::to_string(k - 1)));
  }
  const auto result = apply(plan, events);
  EXPECT_EQ(result.count("g19999"), 3U);
  GatingPlan cyclic;
  for (std::size_t k = 0; k < depth; ++k) {
    cyclic.add_gate(rectangle("g" + std::to_string(k), {{Dimension::of("A"), 0, 10}},
                              "g" + std::to_string((k + 1) % depth)));
  }
  EXPECT_THROW(cyclic.validate(), GateTreeError);
}

}  // namespace
}  // namespace escapade::gate

namespace escapade::gate {
namespace {

// Even-odd with edges inside, edge by edge: the definition the slab index must reproduce.
bool inside_reference(const std::vector<Point>& v, double x, double y) {
  bool inside = false;
  for (std::size_t k = 0; k < v.size(); ++k) {
    const Point a = v[k];
    const Point b = v[(k + 1) % v.size()];
    const double cross = (b.x - a.x) * (y - a.y) - (x - a.x) * (b.y - a.y);
    if (cross == 0 && x >= std::min(a.x, b.x) && x <= std::max(a.x, b.x) && y >= std::min(a.y, b.y) &&
        y <= std::max(a.y, b.y)) {
      return true;
    }
    if ((a.y > y) != (b.y > y) && (b.y > a.y ? cross > 0 : cross < 0)) inside = !inside;
  }
  return inside;
}

TEST(PolygonGate, ManyVerticesThroughSlabsEqualEdgeByEdge) {
  // A jagged 200-vertex polygon on a coarse grid (so many vertices share y values, as in
  // FlowJo's staircase outlines), probed at random points, vertices and edge midpoints.
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> radius(5, 20);
  std::vector<Point> poly;
  for (int k = 0; k < 200; ++k) {
    const double a = 2 * M_PI * k / 200;
    poly.push_back({std::round(radius(rng) * std::cos(a)), std::round(radius(rng) * std::sin(a))});
  }
  std::vector<double> xs, ys;
  std::uniform_real_distribution<double> coord(-22, 22);
  std::uniform_int_distribution<int> grid(-22, 22);
  for (int i = 0; i < 20000; ++i) {
    xs.push_back(i % 2 ? coord(rng) : grid(rng));
    ys.push_back(i % 3 ? coord(rng) : grid(rng));
  }
  for (std::size_t k = 0; k < poly.size(); ++k) {
    const Point a = poly[k];
    const Point b = poly[(k + 1) % poly.size()];
    xs.push_back(a.x);
    ys.push_back(a.y);
    xs.push_back((a.x + b.x) / 2);
    ys.push_back((a.y + b.y) / 2);
  }
  const auto events = make_events({xs, ys}, {"X", "Y"});
  GatingPlan plan;
  plan.add_gate(Gate{"jag", "", "", PolygonGate{Dimension::of("X"), Dimension::of("Y"), poly}});
  const auto result = apply(plan, events);
  std::size_t inside = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const bool expected = inside_reference(poly, xs[i], ys[i]);
    inside += expected;
    ASSERT_EQ(result.membership("jag").test(i), expected) << "event " << i << " at " << xs[i] << ", " << ys[i];
  }
  EXPECT_GT(inside, 1000U);
}

}  // namespace
}  // namespace escapade::gate

namespace escapade::gate {
namespace {

TEST(Apply, KnownValuesAreUsedAsGiven) {
  // The caller's values replace the computed ones (here deliberately different, to show
  // they are the ones gated); a wrong length is an error.
  const auto events = make_events({{0, 1, 2, 3}}, {"A"});
  GatingPlan plan;
  Dimension d = Dimension::of("A");
  d.transform = "lin";
  plan.add_transform("lin", transform::LinearTransform(10, 0));
  plan.add_gate(rectangle("r", {{d, 0.5, 1}}));
  const std::vector<double> mine{0.9, 0.1, 0.9, 0.1};
  ApplyOptions o;
  o.known_values.emplace_back(d, mine);
  EXPECT_EQ(bits(apply(plan, events, o).membership("r")), (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(apply(plan, events).count("r"), 0U);
  const std::vector<double> short_values{0.9};
  o.known_values = {{d, short_values}};
  EXPECT_THROW((void)apply(plan, events, o), GateTreeError);
}

}  // namespace
}  // namespace escapade::gate

namespace escapade::gate {
namespace {

// Issue 11, case 11: looking a population up by id scanned every id, so asking every
// population of a 100k-gate plan for its count took minutes. Eight times the gates must
// take about eight times as long (a quadratic lookup took 64 times), the best of 3 runs.
TEST(GatingResult, LookupByIdIsNotQuadratic) {
  const auto events = make_events({{0, 1, 2, 3}}, {"A"});
  const auto seconds = [&](std::size_t gates) {
    GatingPlan plan;
    for (std::size_t i = 0; i < gates; ++i) {
      Interval in{Dimension::of("A")};
      in.min = 0;
      plan.add_gate(rectangle("population_with_a_long_common_prefix_" + std::to_string(i), {in}));
    }
    const auto result = apply(plan, events, {.num_threads = 1});
    double best = 1e9;
    for (int run = 0; run < 3; ++run) {
      const auto t0 = std::chrono::steady_clock::now();
      std::size_t total = 0;
      for (const auto& id : result.populations()) total += result.count(id);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      EXPECT_EQ(total, 4 * gates);
    }
    return best;
  };
  const double small = seconds(2500), large = seconds(20000);
  EXPECT_LT(large, 24 * std::max(small, 1e-4)) << small << " s for 2,500 gates, " << large << " s for 20,000";
}

}  // namespace
}  // namespace escapade::gate

namespace escapade::gate {
namespace {

// Issue 11, case 15: a singular spillover was reported as "<matrix>", with no file or keyword.
TEST(Compensation, ASingularFileMatrixIsNamedByFileAndKeyword) {
  const auto events = make_events({{1, 2}, {3, 4}}, {"A", "B"});
  const fcs::SpilloverMatrix singular({"A", "B"}, {1, 1, 1, 1});
  GatingPlan plan("plan.xml");
  Dimension d = Dimension::of("A");
  d.compensation = std::string(file_compensation);
  plan.add_gate(rectangle("r", {{d, 0.0, 10.0}}));
  ApplyOptions o;
  o.file_spillover = &singular;
  o.file_spillover_keyword = "SPILL";
  o.events_source = "tube.fcs";
  try {
    (void)apply(plan, events, o);
    ADD_FAILURE() << "a singular matrix was applied";
  } catch (const Error& e) {
    EXPECT_EQ(e.source(), "tube.fcs");
    EXPECT_EQ(e.where(), "keyword SPILL");
    EXPECT_EQ(e.kind(), ErrorKind::numeric);
  }
}

}  // namespace
}  // namespace escapade::gate
