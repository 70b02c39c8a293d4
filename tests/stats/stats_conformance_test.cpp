// Every case of every file in shared/reference/stats (R and SciPy values) must pass the
// validator: one TEST_P row per case id, so a failure names the case and its field.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libescapade/stats/stats.hpp"
#include "tests/support/test_support.hpp"

namespace {

namespace fs = std::filesystem;

fs::path reference_dir() { return escapade::testing::shared_dir() / "reference" / "stats"; }

std::vector<fs::path> case_files() {
  std::vector<fs::path> files;
  if (!fs::is_directory(reference_dir())) return files;
  for (const auto& entry : fs::directory_iterator(reference_dir())) {
    const fs::path& p = entry.path();
    if (p.extension() == ".json" && p.filename() != "MANIFEST.json") files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct CaseRef {
  std::string file;
  std::string id;
};

// The case ids, read straight from the files (not through the validator).
std::vector<CaseRef> case_refs() {
  std::vector<CaseRef> refs;
  for (const fs::path& f : case_files()) {
    std::ifstream in(f);
    const nlohmann::json cases = nlohmann::json::parse(in);
    for (const auto& c : cases) refs.push_back({f.filename().string(), c.at("id").get<std::string>()});
  }
  return refs;
}

class StatsConformance : public ::testing::TestWithParam<CaseRef> {
 protected:
  static void SetUpTestSuite() {
    outcomes_ = new std::map<std::string, escapade::stats::CaseOutcome>();
    for (const fs::path& f : case_files()) {
      for (auto& c : escapade::stats::validate_cases(f).cases) (*outcomes_)[c.id] = std::move(c);
    }
  }
  static void TearDownTestSuite() {
    delete outcomes_;
    outcomes_ = nullptr;
  }
  static std::map<std::string, escapade::stats::CaseOutcome>* outcomes_;
};

std::map<std::string, escapade::stats::CaseOutcome>* StatsConformance::outcomes_ = nullptr;

TEST_P(StatsConformance, MatchesReference) {
  const CaseRef& ref = GetParam();
  const auto it = outcomes_->find(ref.id);
  ASSERT_NE(it, outcomes_->end()) << ref.file << ": no outcome for " << ref.id;
  const auto& outcome = it->second;
  EXPECT_TRUE(outcome.passed) << ref.file << " " << ref.id << " (" << outcome.test << "): " << outcome.reason;
}

std::string case_name(const ::testing::TestParamInfo<CaseRef>& info) {
  std::string name = info.param.id;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(stats, StatsConformance, ::testing::ValuesIn(case_refs()), case_name);

TEST(StatsConformanceSuite, AllManifestCasesArePresent) {
  std::ifstream in(reference_dir() / "MANIFEST.json");
  ASSERT_TRUE(in) << "missing " << (reference_dir() / "MANIFEST.json");
  const nlohmann::json manifest = nlohmann::json::parse(in);
  EXPECT_EQ(case_refs().size(), manifest.at("total").get<std::size_t>());
}

}  // namespace
