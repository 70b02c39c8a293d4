#include "libescapade/stats/validate.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "libescapade/base/error.hpp"
#include "tests/support/test_support.hpp"

namespace stats = escapade::stats;

namespace {

// A descriptive case whose expected values are right (n = 2: mean 5, sd sqrt(8)).
nlohmann::json good_case() {
  return nlohmann::json::parse(R"({
    "id": "t-01", "test": "descriptive", "input": {"x": [3.0, 7.0]}, "options": {},
    "expected": {"n": 2, "mean": 5.0, "sd": 2.8284271247461903, "median": 5.0, "q1": 4.0,
                 "q3": 6.0, "iqr": 2.0, "min": 3.0, "max": 7.0,
                 "geometric_mean": 4.58257569495584, "cv_percent": 56.568542494923804},
    "tolerance": 1e-09, "abs_tolerance": 1e-12})");
}

stats::CaseOutcome run_one(const nlohmann::json& c) {
  const stats::ValidationReport r = stats::validate_cases_text(nlohmann::json::array({c}).dump(), "<memory>");
  EXPECT_EQ(r.cases.size(), 1u);
  return r.cases.at(0);
}

}  // namespace

TEST(StatsValidate, PassingCaseReportsValues) {
  const stats::CaseOutcome o = run_one(good_case());
  EXPECT_TRUE(o.passed) << o.reason;
  EXPECT_EQ(o.id, "t-01");
  EXPECT_EQ(o.test, "descriptive");
  EXPECT_EQ(o.source, "<memory>");
  const nlohmann::json values = nlohmann::json::parse(o.values_json);
  EXPECT_EQ(values.at("n"), 2);
  EXPECT_EQ(values.at("mean"), 5.0);
}

TEST(StatsValidate, WrongValueNamesTheField) {
  nlohmann::json c = good_case();
  c["expected"]["q3"] = 6.1;
  const stats::CaseOutcome o = run_one(c);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.field, "q3");
  EXPECT_EQ(o.expected, "6.1");
  EXPECT_EQ(o.actual, "6.0");
  EXPECT_NE(o.reason.find("q3: computed 6"), std::string::npos) << o.reason;
}

TEST(StatsValidate, FieldToleranceAndAbsoluteFloorApply) {
  nlohmann::json c = good_case();
  c["expected"]["mean"] = 5.0 * (1 + 1e-6);
  EXPECT_FALSE(run_one(c).passed);
  c["field_tolerance"] = {{"mean", 1e-5}};
  EXPECT_TRUE(run_one(c).passed);
  nlohmann::json d = good_case();
  d["expected"]["iqr"] = 2.0 + 1e-13;
  d["tolerance"] = 0.0;
  d["expected"] = {{"iqr", 2.0 + 1e-13}};
  EXPECT_TRUE(run_one(d).passed);
}

TEST(StatsValidate, IntegersMustMatchExactly) {
  nlohmann::json c = good_case();
  c["tolerance"] = 0.5;
  c["expected"]["n"] = 3;
  const stats::CaseOutcome o = run_one(c);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.field, "n");
}

TEST(StatsValidate, NullMeansMissing) {
  nlohmann::json c = good_case();
  c["expected"]["sd"] = nullptr;
  const stats::CaseOutcome o = run_one(c);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.field, "sd");
  nlohmann::json one = good_case();
  one["input"]["x"] = {4.2};
  one["expected"] = {{"sd", nullptr}, {"cv_percent", nullptr}, {"mean", 4.2}};
  EXPECT_TRUE(run_one(one).passed);
}

TEST(StatsValidate, InfinityIsAString) {
  const nlohmann::json c = nlohmann::json::parse(R"({
    "id": "f", "test": "fisher_exact_2x2", "input": {"table": [[3, 0], [0, 4]]},
    "options": {"conf_level": 0.95},
    "expected": {"odds_ratio_conditional_mle": "Inf", "odds_ratio_sample": "Inf"},
    "tolerance": 1e-09, "abs_tolerance": 1e-12})");
  EXPECT_TRUE(run_one(c).passed);
  nlohmann::json wrong = c;
  wrong["expected"]["odds_ratio_sample"] = "-Inf";
  EXPECT_FALSE(run_one(wrong).passed);
}

TEST(StatsValidate, UnknownTestFailsWithoutStoppingOthers) {
  nlohmann::json bad = good_case();
  bad["id"] = "t-02";
  bad["test"] = "no_such_test";
  const stats::ValidationReport r =
      stats::validate_cases_text(nlohmann::json::array({bad, good_case()}).dump(), "<memory>");
  ASSERT_EQ(r.cases.size(), 2u);
  EXPECT_FALSE(r.cases[0].passed);
  EXPECT_EQ(r.cases[0].reason, "unknown test 'no_such_test'");
  EXPECT_TRUE(r.cases[1].passed);
  EXPECT_EQ(r.passed(), 1u);
  EXPECT_EQ(r.failed(), 1u);
  EXPECT_FALSE(r.all_passed());
}

TEST(StatsValidate, ComputationErrorsAndBadInputBecomeFailures) {
  nlohmann::json c = good_case();
  c["input"]["x"] = nlohmann::json::array();
  const stats::CaseOutcome o = run_one(c);
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.reason.find("x is empty"), std::string::npos) << o.reason;
  nlohmann::json d = good_case();
  d["input"] = {{"y", {1, 2}}};
  EXPECT_NE(run_one(d).reason.find("missing 'x'"), std::string::npos);
}

TEST(StatsValidate, RejectsNonJsonAndMissingFiles) {
  try {
    (void)stats::validate_cases_text("{not json", "x.json");
    FAIL();
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::format);
    EXPECT_EQ(e.source(), "x.json");
  }
  EXPECT_THROW((void)stats::validate_cases_text("{}", "x.json"), escapade::InputError);
  try {
    (void)stats::validate_cases(std::filesystem::path("/nonexistent/cases.json"));
    FAIL();
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::io);
  }
}

TEST(StatsValidate, ReportRendersAsJson) {
  nlohmann::json bad = good_case();
  bad["expected"]["mean"] = 6.0;
  const stats::ValidationReport r =
      stats::validate_cases_text(nlohmann::json::array({good_case(), bad}).dump(), "<memory>");
  const nlohmann::json j = nlohmann::json::parse(stats::to_json(r));
  EXPECT_EQ(j.at("passed"), 1);
  EXPECT_EQ(j.at("failed"), 1);
  EXPECT_EQ(j.at("cases")[0].at("verdict"), "pass");
  EXPECT_EQ(j.at("cases")[1].at("verdict"), "fail");
  EXPECT_EQ(j.at("cases")[1].at("field"), "mean");
  EXPECT_EQ(j.at("cases")[1].at("values").at("mean"), 5.0);
}

TEST(StatsValidate, KnowsEveryReferenceTest) {
  const auto names = stats::known_tests();
  EXPECT_EQ(names.size(), 15u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(StatsValidate, SeveralFilesJoinInOrder) {
  const auto dir = escapade::testing::shared_dir() / "reference" / "stats";
  const std::vector<std::filesystem::path> files{dir / "descriptive.json", dir / "kruskal_wallis.json"};
  const stats::ValidationReport r = stats::validate_cases(files);
  ASSERT_EQ(r.cases.size(), 14u);
  EXPECT_EQ(r.cases.front().source, "descriptive.json");
  EXPECT_EQ(r.cases.back().source, "kruskal_wallis.json");
}
