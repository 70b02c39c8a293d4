// Gating templates, review files, flags and results.json: the lab-editable inputs and the
// machine-readable outputs of `escapade analyze`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "libescapade/bal/flags.hpp"
#include "libescapade/bal/results.hpp"
#include "libescapade/bal/template.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/base/file_io.hpp"
#include "libescapade/sim/sim.hpp"
#include "tests/support/test_support.hpp"

namespace escapade::bal {
namespace {

std::filesystem::path shipped(const char* name) {
  return std::filesystem::path(ESCAPADE_SOURCE_DIR) / "share" / "templates" / name;
}

TEST(GatingTemplate, ShippedFileEqualsTheBuiltIn) {
  const GatingTemplate file = read_template_file(shipped("bal_escape.toml"));
  const GatingTemplate builtin = builtin_template();
  EXPECT_EQ(file.name, builtin.name);
  EXPECT_EQ(file.description, builtin.description);
  EXPECT_EQ(file.limits.lod_events, builtin.limits.lod_events);
  EXPECT_EQ(file.limits.lloq_events, builtin.limits.lloq_events);
  EXPECT_EQ(file.flags.pre_escape_reference_pct, builtin.flags.pre_escape_reference_pct);
  EXPECT_TRUE(file.fixed.empty());
}

TEST(GatingTemplate, ShippedSortTemplateReads) {
  const GatingTemplate sort = read_template_file(shipped("bal_sort.toml"));
  EXPECT_EQ(sort.name, "bal_sort");
  EXPECT_TRUE(sort.fixed.empty());
}

TEST(GatingTemplate, FixedGatesAndErrorsWithLines) {
  const auto t = parse_template(
      "[template]\nname = \"lab\"\n[limits]\nlod_events = 10\nlloq_events = 30\n[gates.CD22]\nmode = \"fixed\"\nvalue = 0.41\n",
      "lab.toml");
  EXPECT_EQ(t.limits.lod_events, 10U);
  ASSERT_EQ(t.fixed.count("CD22"), 1U);
  EXPECT_DOUBLE_EQ(t.fixed.at("CD22").value, 0.41);
  EXPECT_EQ(t.fixed.at("CD22").set_by, "template lab");
  auto error_of = [](const std::string& text) {
    try {
      (void)parse_template(text, "bad.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[template]\nname = \"x\"\n[gates.CD99]\nmode = \"auto\"\n").find("CD99"), std::string::npos);
  EXPECT_NE(error_of("[template]\nname = \"x\"\n[gates.CD19]\nmode = \"fixed\"\n").find("no value"), std::string::npos);
  EXPECT_NE(error_of("[template]\nname = \"x\"\n[limits]\nlod_events = 60\nlloq_events = 50\n").find("above"),
            std::string::npos);
  EXPECT_NE(error_of("[template]\nname = \"x\"\n[gates.CD19]\nmod = \"auto\"\n").find("line 4"), std::string::npos);
  EXPECT_NE(error_of("[template]\nname = \"x\"\nfoo = [\n").find("bad.toml"), std::string::npos);
}

TEST(Review, RecordsTheReviewerAndRerunsDeterministically) {
  EXPECT_THROW((void)parse_review("[gates.CD22]\nvalue = 0.4\n", "r.toml"), InputError);
  const auto review =
      parse_review("[review]\nreviewer = \"J. Doe\"\n[gates.CD22]\nvalue = 0.45\nreason = \"cluster split\"\n", "r.toml");
  sim::SampleOptions o;
  o.phase = sim::Phase::remission;
  o.events = 30000;
  o.seed = 5;
  o.num_threads = 1;
  const auto s = sim::simulate_sample(o);
  const Panel panel = builtin_panel();
  const auto options = analysis_options(builtin_template(), review);
  const Analysis a = analyze(s.data_set, panel, "s.fcs", options);
  const Analysis again = analyze(s.data_set, panel, "s.fcs", options);
  const Cut* cd22 = nullptr;
  for (const auto& c : a.cuts) {
    if (c.name == "CD22") cd22 = &c;
  }
  ASSERT_NE(cd22, nullptr);
  EXPECT_TRUE(cd22->overridden);
  EXPECT_DOUBLE_EQ(cd22->value, 0.45);
  EXPECT_EQ(cd22->set_by, "reviewer J. Doe");
  EXPECT_NE(cd22->evidence.find("cluster split"), std::string::npos);
  EXPECT_NE(cd22->found, cd22->value);
  ASSERT_EQ(a.populations.size(), again.populations.size());
  for (std::size_t k = 0; k < a.populations.size(); ++k) EXPECT_EQ(a.populations[k].events, again.populations[k].events);

  const auto flags = sample_flags(a, nullptr);
  const std::string text = results_json({s.data_set, a, builtin_template(), panel, nullptr, flags});
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["schema"], "escapade-analysis/1");
  for (const char* name : {"pre_escape", "b_committed", "cd19_only", "non_b"}) {
    ASSERT_TRUE(j["populations"].contains(name)) << name;
    const std::string status = j["populations"][name]["status"];
    EXPECT_TRUE(status == "quantified" || status == "below_lloq" || status == "below_lod") << status;
  }
  bool human = false;
  for (const auto& g : j["gates"]) human = human || (g["name"] == "CD22" && g["set_by_human"] == true);
  EXPECT_TRUE(human);
  EXPECT_EQ(j["denominators"]["cd34"], a.cd34);
  EXPECT_NE(populations_tsv(a, "s.fcs").find("pre_escape"), std::string::npos);
}

TEST(Flags, PresentHighAndTrend) {
  Analysis a;
  a.cd34 = 1000;
  PopulationCount p;
  p.name = "pre_escape";
  p.events = 30;
  p.pct_of_cd34 = 3.0;
  p.lod_pct_of_cd34 = 2.0;
  p.status = Status::below_lloq;
  a.populations.push_back(p);
  auto flags = sample_flags(a, nullptr);
  EXPECT_EQ(flags[0].state, FlagState::raised);         // ≥ LOD
  EXPECT_EQ(flags[1].state, FlagState::not_evaluated);  // below LLOQ: not quantifiable
  EXPECT_EQ(flags[2].state, FlagState::not_evaluated);  // no FISH
  a.populations[0].status = Status::quantified;
  flags = sample_flags(a, nullptr, {2.5, "test"});
  EXPECT_EQ(flags[1].state, FlagState::raised);
  a.populations[0].status = Status::below_lod;
  EXPECT_EQ(sample_flags(a, nullptr)[0].state, FlagState::not_raised);

  EXPECT_EQ(trend_flag({{0, 100, 1.0, Status::quantified}}).state, FlagState::not_evaluated);
  EXPECT_EQ(trend_flag({{0, 100, 1.0, Status::quantified}, {3, 250, 2.5, Status::quantified}}).state, FlagState::raised);
  EXPECT_EQ(trend_flag({{3, 150, 1.5, Status::quantified}, {0, 100, 1.0, Status::quantified}}).state,
            FlagState::not_raised);
  EXPECT_EQ(trend_flag({{0, 5, 0.1, Status::below_lod}, {2, 80, 1.0, Status::quantified}}).state, FlagState::raised);
}

}  // namespace
}  // namespace escapade::bal
