// Unit tests of libescapade/comp/comp.hpp: SpectrumMatrix, Compensation, CompensatedView,
// compensate(). Conformance against shared/data truth is in comp_conformance_test.cpp.
#include "libescapade/comp/comp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"

namespace comp = escapade::comp;
using escapade::ChannelLabel;
using escapade::ErrorKind;
using escapade::EventMatrix;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Events × channels of uniform values in [lo, hi), fixed seed.
EventMatrix random_events(std::size_t events, const std::vector<std::string>& names, std::uint32_t seed,
                          double lo = -1000.0, double hi = 250000.0) {
  std::vector<ChannelLabel> labels;
  for (const auto& n : names) labels.push_back({n, "stain " + n});
  EventMatrix m(events, labels);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (std::size_t c = 0; c < names.size(); ++c) {
    for (double& v : m.channel(c)) v = dist(rng);
  }
  return m;
}

// A 13×13 spillover matrix like a real panel: 1 on the diagonal, small spill elsewhere.
comp::SpectrumMatrix panel_spillover(const std::vector<std::string>& detectors, std::uint32_t seed) {
  const std::size_t n = detectors.size();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> spill(0.0, 0.3);
  std::vector<double> v(n * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) v[i * n + j] = i == j ? 1.0 : spill(rng) * spill(rng);
  }
  return comp::SpectrumMatrix(detectors, detectors, v, "panel");
}

std::vector<std::string> names_of(std::size_t n, const std::string& prefix) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i + 1) + "-A");
  return out;
}

template <typename F>
void expect_error(F&& f, ErrorKind kind, const std::string& phrase) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << phrase << "'";
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_TRUE(contains(e.what(), phrase)) << e.what();
  }
}

}  // namespace

TEST(SpectrumMatrix, KeepsNamesCoefficientsAndOrientation) {
  comp::SpectrumMatrix s({"FITC", "PE"}, {"FL1", "FL2", "FL3"}, {1, 0.2, 0.1, 0.05, 1, 0.3}, "S");
  EXPECT_EQ(s.fluorochrome_count(), 2u);
  EXPECT_EQ(s.detector_count(), 3u);
  EXPECT_EQ(s.at(0, 1), 0.2);  // FITC into FL2
  EXPECT_EQ(s.at(1, 2), 0.3);  // PE into FL3
  EXPECT_FALSE(s.is_square());
  EXPECT_FALSE(s.is_spillover());
  EXPECT_EQ(s.summary(), "SpectrumMatrix(S: 2 fluorochromes × 3 detectors)");
  EXPECT_THROW((void)s.at(2, 0), std::out_of_range);
}

TEST(SpectrumMatrix, FromFcsSpilloverNamesRowsByDetector) {
  escapade::fcs::SpilloverMatrix spill({"A", "B"}, {1, 0.1, 0.2, 1});
  comp::SpectrumMatrix s(spill);
  EXPECT_TRUE(s.is_spillover());
  EXPECT_EQ(s.fluorochromes(), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(s.at(1, 0), 0.2);
  comp::Compensation c(spill);
  EXPECT_TRUE(c.in_place());
}

TEST(SpectrumMatrix, RejectsBadShapesNamesAndValues) {
  expect_error([] { comp::SpectrumMatrix({"A", "B"}, {"A", "B"}, {1, 0, 0}); }, ErrorKind::invalid_argument,
               "need 4 coefficients, got 3");
  expect_error([] { comp::SpectrumMatrix({"A", "B"}, {"X"}, {1, 0}); }, ErrorKind::invalid_argument,
               "2 fluorochromes cannot be unmixed from only 1 detectors");
  expect_error([] { comp::SpectrumMatrix({"A", "A"}, {"X", "Y"}, {1, 0, 0, 1}); }, ErrorKind::invalid_argument,
               "'A' appears twice");
  expect_error([] { comp::SpectrumMatrix({}, {}, {}); }, ErrorKind::invalid_argument, "no rows");
  expect_error([] { comp::SpectrumMatrix({"A", "B"}, {"X", "Y"}, {1, NAN, 0, 1}, "m"); }, ErrorKind::numeric,
               "m: row A, column Y: coefficient is not a finite number");
}

TEST(Compensation, SquareInverseRecoversStainedValues) {
  // raw = c · S for c = (100, 200, 50): compensation must give c back.
  comp::SpectrumMatrix s({"A", "B", "C"}, {"A", "B", "C"}, {1, 0.5, 0.1, 0.25, 1, 0.2, 0.0, 0.3, 1});
  comp::Compensation c(s);
  EXPECT_EQ(c.method(), comp::Method::inverse);
  EXPECT_GT(c.reciprocal_condition(), 0.1);
  const double truth[3] = {100, 200, 50};
  EventMatrix raw(1, {{"T", ""}, {"C", "cd3"}, {"A", "cd19"}, {"B", ""}});
  raw.channel(0)[0] = 7;
  for (std::size_t j = 0; j < 3; ++j) {
    double v = 0;
    for (std::size_t i = 0; i < 3; ++i) v += truth[i] * s.at(i, j);
    raw.channel(raw.index_of(s.detectors()[j]))[0] = v;
  }
  EventMatrix out = comp::compensate(raw, c);
  // Spillover: every channel keeps its place, name and stain.
  EXPECT_EQ(out.channels(), raw.channels());
  EXPECT_EQ(out.channel(0)[0], 7.0);
  EXPECT_NEAR(out.channel(out.index_of("A"))[0], 100.0, 1e-12);
  EXPECT_NEAR(out.channel(out.index_of("B"))[0], 200.0, 1e-12);
  EXPECT_NEAR(out.channel(out.index_of("C"))[0], 50.0, 1e-12);
}

TEST(Compensation, SpectrumMatrixUnmixesByLeastSquaresAndNamesByFluorochrome) {
  // 2 fluorochromes over 3 detectors, consistent raw data: least squares is exact.
  comp::SpectrumMatrix s({"FITC", "PE"}, {"FL1", "FL2", "FL3"}, {1, 0.2, 0.1, 0.05, 1, 0.3}, "spec");
  comp::Compensation c(s);
  EXPECT_EQ(c.method(), comp::Method::least_squares);
  EXPECT_FALSE(c.in_place());
  EventMatrix raw(2, {{"FSC", "x"}, {"FL2", ""}, {"FL1", ""}, {"FL3", ""}, {"Time", ""}});
  const double truth[2][2] = {{1000, 300}, {-40, 5000}};
  for (std::size_t e = 0; e < 2; ++e) {
    raw.channel(0)[e] = 11.0 + static_cast<double>(e);
    raw.channel(4)[e] = 99.0;
    for (std::size_t d = 0; d < 3; ++d) {
      raw.channel(raw.index_of(s.detectors()[d]))[e] = truth[e][0] * s.at(0, d) + truth[e][1] * s.at(1, d);
    }
  }
  EventMatrix out = comp::compensate(raw, c);
  // Detectors are dropped; the dimensions come where the first detector was.
  ASSERT_EQ(out.channel_count(), 4u);
  EXPECT_EQ(out.label(0), (ChannelLabel{"FSC", "x"}));
  EXPECT_EQ(out.label(1), (ChannelLabel{"FITC", ""}));
  EXPECT_EQ(out.label(2), (ChannelLabel{"PE", ""}));
  EXPECT_EQ(out.label(3), (ChannelLabel{"Time", ""}));
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(out.channel(0)[e], raw.channel(0)[e]);
    EXPECT_EQ(out.channel(3)[e], 99.0);
    EXPECT_NEAR(out.channel(1)[e], truth[e][0], 1e-10);
    EXPECT_NEAR(out.channel(2)[e], truth[e][1], 1e-10);
  }
}

TEST(Compensation, LeastSquaresEqualsInverseWhenSquare) {
  const auto names = names_of(13, "D");
  const auto s = panel_spillover(names, 7);
  comp::Compensation inv(s, {.method = comp::Method::inverse});
  comp::Compensation ls(s, {.method = comp::Method::least_squares});
  EXPECT_EQ(ls.method(), comp::Method::least_squares);
  for (std::size_t d = 0; d < 13; ++d) {
    for (std::size_t k = 0; k < 13; ++k) {
      EXPECT_NEAR(ls.unmixing(d, k), inv.unmixing(d, k), 1e-14 * (1.0 + std::abs(inv.unmixing(d, k))));
    }
  }
  const EventMatrix raw = random_events(1000, names, 3);
  const EventMatrix a = comp::compensate(raw, inv);
  const EventMatrix b = comp::compensate(raw, ls);
  // Outputs near zero come from cancelling terms of ~1e5, so the tolerance is relative to
  // the dot product's own scale Σ|raw_d·X_dk|, not to the (small) result.
  for (std::size_t k = 0; k < 13; ++k) {
    for (std::size_t e = 0; e < 1000; ++e) {
      double scale = 0;
      for (std::size_t d = 0; d < 13; ++d) scale += std::abs(raw.channel(d)[e] * inv.unmixing(d, k));
      EXPECT_NEAR(a.channel(k)[e], b.channel(k)[e], 1e-13 * scale);
    }
  }
}

TEST(Compensation, UnmixingTimesSpilloverIsIdentity) {
  const auto names = names_of(13, "D");
  const auto s = panel_spillover(names, 11);
  comp::Compensation c(s);
  for (std::size_t i = 0; i < 13; ++i) {
    for (std::size_t j = 0; j < 13; ++j) {
      double v = 0;
      for (std::size_t d = 0; d < 13; ++d) v += s.at(i, d) * c.unmixing(d, j);
      EXPECT_NEAR(v, i == j ? 1.0 : 0.0, 1e-14);
    }
  }
}

TEST(Compensation, SingularMatrixIsANumericErrorNamingTheDetectors) {
  // Rows B and C are equal: B and C cannot be told apart.
  comp::SpectrumMatrix s({"A", "B", "C"}, {"A", "B", "C"}, {1, 0.1, 0, 0.2, 1, 0.3, 0.2, 1, 0.3}, "bad.csv");
  try {
    comp::Compensation c(s);
    FAIL() << "expected an error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::numeric);
    EXPECT_EQ(e.source(), "bad.csv");
    EXPECT_TRUE(contains(e.reason(), "singular or ill-conditioned")) << e.what();
    EXPECT_TRUE(contains(e.reason(), "detectors involved: B, C")) << e.what();
  }
}

TEST(Compensation, IllConditionedMatrixIsRejectedAndTheThresholdIsAnOption) {
  // Row C differs from row B by 1e-14: invertible in exact arithmetic, useless in doubles.
  comp::SpectrumMatrix s({"A", "B", "C"}, {"A", "B", "C"}, {1, 0.1, 0, 0.2, 1, 0.3, 0.2, 1, 0.3 + 1e-14});
  expect_error([&] { comp::Compensation c(s); }, ErrorKind::numeric, "is below 1e-12");
  comp::Compensation lax(s, {.min_reciprocal_condition = 0.0});
  EXPECT_LT(lax.reciprocal_condition(), 1e-12);
  // A zero row of a spectrum matrix names its fluorochrome.
  comp::SpectrumMatrix z({"F1", "F2"}, {"D1", "D2", "D3"}, {1, 0.5, 0.2, 0, 0, 0});
  expect_error([&] { comp::Compensation c(z); }, ErrorKind::numeric,
               "fluorochromes involved: F2 (over detectors D1, D2, D3)");
}

TEST(Compensation, MethodsThatCannotApplyAreRejected) {
  comp::SpectrumMatrix s({"F1", "F2"}, {"D1", "D2", "D3"}, {1, 0.5, 0.2, 0.1, 1, 0.1});
  expect_error([&] { comp::Compensation c(s, {.method = comp::Method::inverse}); }, ErrorKind::invalid_argument,
               "needs a square matrix");
  expect_error([&] { comp::Compensation c(s, {.method = comp::Method::as_given}); }, ErrorKind::invalid_argument,
               "needs matrix_inverted_already");
}

TEST(Compensation, MatrixInvertedAlreadyIsUsedAsGiven) {
  // Square: the coefficients are X itself; compensating with S⁻¹ given as is equals
  // compensating with S, and X = S given "inverted" decompensates.
  comp::SpectrumMatrix s({"A", "B"}, {"A", "B"}, {1, 0.5, 0.25, 1});
  comp::Compensation given(s, {.matrix_inverted_already = true});
  EXPECT_EQ(given.method(), comp::Method::as_given);
  EXPECT_EQ(given.unmixing(0, 1), 0.5);  // row = detector A, column = dimension B
  EXPECT_EQ(given.unmixing(1, 0), 0.25);
  // Non-square: n·m values read as m detector rows of n fluorochrome weights.
  comp::SpectrumMatrix x({"F1", "F2"}, {"D1", "D2", "D3"}, {1, 2, 3, 4, 5, 6});
  comp::Compensation cx(x, {.matrix_inverted_already = true});
  EXPECT_EQ(cx.unmixing(0, 1), 2.0);  // D1 → F2
  EXPECT_EQ(cx.unmixing(2, 0), 5.0);  // D3 → F1
  EventMatrix raw(1, {{"D1", ""}, {"D2", ""}, {"D3", ""}});
  raw.channel(0)[0] = 1;
  raw.channel(1)[0] = 10;
  raw.channel(2)[0] = 100;
  EventMatrix out = comp::compensate(raw, cx);
  EXPECT_EQ(out.channel(out.index_of("F1"))[0], 1 + 30 + 500);
  EXPECT_EQ(out.channel(out.index_of("F2"))[0], 2 + 40 + 600);
}

TEST(Compensation, MissingDetectorIsAReferenceErrorListingNeedsAndHaves) {
  comp::SpectrumMatrix s({"FITC", "PE"}, {"FL1-H", "FL2-H", "FL3-H"}, {1, 0.2, 0.1, 0.05, 1, 0.3}, "MySpill");
  comp::Compensation c(s);
  EventMatrix raw(3, {{"FSC-H", ""}, {"FL1-H", ""}, {"FL2-H", ""}});
  try {
    (void)comp::compensate(raw, c);
    FAIL() << "expected an error";
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::reference);
    EXPECT_EQ(e.source(), "MySpill");
    EXPECT_TRUE(contains(e.reason(), "the matrix needs FL1-H, FL2-H, FL3-H")) << e.what();
    EXPECT_TRUE(contains(e.reason(), "missing: FL3-H")) << e.what();
    EXPECT_TRUE(contains(e.reason(), "the data have: FSC-H, FL1-H, FL2-H")) << e.what();
  }
}

TEST(Compensation, DimensionNamedLikeAKeptChannelIsAStructureError) {
  comp::SpectrumMatrix s({"FSC"}, {"FL1"}, {1});
  comp::Compensation c(s);
  EventMatrix raw(1, {{"FSC", ""}, {"FL1", ""}});
  expect_error([&] { (void)comp::compensate(raw, c); }, ErrorKind::structure, "dimension FSC");
}

TEST(Compensation, SummaryIsOneLine) {
  comp::SpectrumMatrix s({"A", "B"}, {"A", "B"}, {1, 0, 0, 1}, "Spill");
  EXPECT_EQ(comp::Compensation(s).summary(), "Compensation(Spill: 2 detectors → 2 dimensions, inverse, rcond 1)");
}

TEST(Compensation, ZeroEventsGiveAnEmptyMatrix) {
  const auto names = names_of(3, "D");
  comp::Compensation c(panel_spillover(names, 1));
  EventMatrix raw(0, {{"D1-A", ""}, {"D2-A", ""}, {"D3-A", ""}});
  EventMatrix out = comp::compensate(raw, c);
  EXPECT_EQ(out.event_count(), 0u);
  EXPECT_EQ(out.channel_count(), 3u);
}

// Bit-for-bit comparisons: the vectorized kernel against the scalar reference, thread
// counts against each other, and the block API against the whole-matrix API.
class CompensationExact : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto names = names_of(13, "D");
    names.insert(names.begin() + 4, "SSC-A");  // a channel that is not a detector
    s_raw = new EventMatrix(random_events(100003, names, 42));  // several blocks and a ragged tail
    s_comp = new comp::Compensation(panel_spillover(names_of(13, "D"), 5));
  }
  static void TearDownTestSuite() {
    delete s_raw;
    delete s_comp;
    s_raw = nullptr;
    s_comp = nullptr;
  }
  static EventMatrix* s_raw;
  static comp::Compensation* s_comp;
};
EventMatrix* CompensationExact::s_raw = nullptr;
comp::Compensation* CompensationExact::s_comp = nullptr;

TEST_F(CompensationExact, ResultDoesNotDependOnThreadCount) {
  const EventMatrix one = comp::compensate(*s_raw, *s_comp, {.num_threads = 1});
  for (int threads : {2, 3, 0}) {
    const EventMatrix many = comp::compensate(*s_raw, *s_comp, {.num_threads = threads});
    EXPECT_TRUE(one == many) << threads << " threads";
  }
  // Kept channels are copied bit for bit.
  const auto ssc = one.channel(one.index_of("SSC-A"));
  const auto raw_ssc = s_raw->channel(s_raw->index_of("SSC-A"));
  EXPECT_TRUE(std::equal(ssc.begin(), ssc.end(), raw_ssc.begin()));
}

TEST_F(CompensationExact, VectorizedKernelEqualsScalarReference) {
  const EventMatrix fast = comp::compensate(*s_raw, *s_comp, {.num_threads = 2});
  const EventMatrix slow = comp::compensate(*s_raw, *s_comp, {.num_threads = 1, .kernel = comp::Kernel::reference});
  EXPECT_TRUE(fast == slow);
}

TEST_F(CompensationExact, BlockApiEqualsWholeMatrixApi) {
  const EventMatrix whole = comp::compensate(*s_raw, *s_comp, {.num_threads = 1});
  const comp::CompensatedView view = s_comp->view(*s_raw);
  EXPECT_EQ(view.event_count(), s_raw->event_count());
  EXPECT_EQ(view.dimensions(), s_comp->dimensions());
  struct Case {
    std::size_t begin, end;
    std::vector<std::size_t> dims;
    comp::FillOptions options;
  };
  const std::size_t n = s_raw->event_count();
  const std::vector<Case> cases = {
      {0, n, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {}},
      {0, n, {12, 0}, {.num_threads = 2}},
      {3, 17, {5}, {}},                    // shorter than one tile, unaligned
      {1, 40000, {7, 7, 2}, {.num_threads = 3}},  // repeats, several blocks
      {n - 5, n, {1, 11}, {.kernel = comp::Kernel::reference}},
      {500, 500, {1}, {}},                 // empty range
  };
  for (const auto& c : cases) {
    const std::size_t count = c.end - c.begin;
    std::vector<double> buffer(c.dims.size() * count + 3, -7.0);
    view.fill(c.begin, c.end, c.dims, buffer, c.options);
    for (std::size_t j = 0; j < c.dims.size(); ++j) {
      const auto column = whole.channel(whole.index_of(view.dimensions()[c.dims[j]]));
      for (std::size_t i = 0; i < count; ++i) {
        ASSERT_EQ(buffer[j * count + i], column[c.begin + i]) << "dim " << c.dims[j] << " event " << c.begin + i;
      }
    }
    // Nothing past the requested values is written.
    for (std::size_t i = c.dims.size() * count; i < buffer.size(); ++i) EXPECT_EQ(buffer[i], -7.0);
  }
}

TEST_F(CompensationExact, FillRejectsBadRangesDimensionsAndBuffers) {
  const comp::CompensatedView view = s_comp->view(*s_raw);
  std::vector<double> buffer(10);
  const std::vector<std::size_t> d0{0};
  const std::vector<std::size_t> d13{13};
  const std::size_t n = s_raw->event_count();
  expect_error([&] { view.fill(5, 4, d0, buffer); }, ErrorKind::invalid_argument, "event range [5, 4)");
  expect_error([&] { view.fill(n, n + 1, d0, buffer); }, ErrorKind::invalid_argument, "is not within");
  expect_error([&] { view.fill(0, 5, d13, buffer); }, ErrorKind::invalid_argument, "dimension index 13");
  expect_error([&] { view.fill(0, 11, d0, buffer); }, ErrorKind::invalid_argument, "buffer holds 10 values");
  EXPECT_EQ(view.index_of("D3-A"), 2u);
  EXPECT_FALSE(view.find("SSC-A").has_value());
  expect_error([&] { (void)view.index_of("SSC-A"); }, ErrorKind::reference, "there are: D1-A, D2-A");
}
