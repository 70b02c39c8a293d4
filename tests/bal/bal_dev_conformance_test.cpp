// The escape-risk analysis on B-ALL tubes from an independent generator:
// ../shared/data/bal_dev, whose truth.json files carry the true counts and the ideal
// analyst's quadrant (perfect upstream gating, thresholds at the 99.5th percentile of the
// true negatives). Scored as ../shared/tools/bal-dev-score scores `escapade analyze`:
//  * estimate: pre-escape % of CD34+ within max(0.5 points, 10 %) of the ideal analyst's,
//    or nearer the labels than the ideal analyst;
//  * denominator: CD34+ within 15 % (+20 events) of the true viable CD34+ singlets;
//  * presence at the LOD against the labels (>= 20 true events).
// The files named in the five failure classes must each pass.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "tests/support/test_support.hpp"

namespace escapade::bal {
namespace {

struct Scored {
  std::string name;
  double ours = 0, ideal = 0, labels = 0;
  std::size_t cd34 = 0, true_cd34 = 0;
  std::size_t true_count = 0;
  bool present = false;
  bool estimate_ok = false, denominator_ok = false;
  /// Per reference population (plan id): its events, and how many of them are truly negative
  /// for the markers it is the reference of (by the generator's labels).
  std::map<std::string, std::pair<std::size_t, std::size_t>> references;
  /// Labelled dead and live events among all CD34+ events (cd34_all) and those the live gate
  /// (cd34) keeps; zero when the tube needed no live gate.
  std::size_t dead_all = 0, dead_kept = 0, live_all = 0, live_kept = 0;
};

// Label codes (bal_dev README) of cells carrying CD34, and of cells carrying CD19 or CD22
// (mature B, plasma cells, hematogones, B progenitors, pre-escape, CD19+ CD34+ and blasts,
// and basophils, which are CD22-dim). A dead cell of type X is 100 + X.
bool carries_cd34(int code) {
  code %= 100;
  return (code >= 20 && code <= 24) || code == 30 || code == 31;
}
bool carries_cd19_or_cd22(int code) {
  code %= 100;
  return code == 12 || code == 16 || code == 17 || code == 19 || (code >= 22 && code <= 24) || (code >= 30 && code <= 32);
}

void score_references(const Analysis& a, const std::filesystem::path& labels_path, Scored& s) {
  const auto labels = testing::read_npy(labels_path);
  const std::map<std::string, bool (*)(int)> negative_for{
      {"ref_lymphocytes", carries_cd34},
      {"ref_t_nk", [](int code) { return carries_cd34(code) || carries_cd19_or_cd22(code); }},
      {"ref_monocytes", carries_cd19_or_cd22}};
  if (a.plan.has_population("cd34_all")) {
    const auto& all = a.result.membership("cd34_all");
    const auto& kept = a.result.membership("cd34");
    for (std::size_t e = 0; e < labels.rows; ++e) {
      if (!all.test(e)) continue;
      const bool dead = labels.values[e] >= 100;
      (dead ? s.dead_all : s.live_all) += 1;
      (dead ? s.dead_kept : s.live_kept) += kept.test(e) ? 1 : 0;
    }
  }
  for (const auto& [id, carries] : negative_for) {
    if (!a.plan.has_population(id)) continue;
    const auto& m = a.result.membership(id);
    auto& [events, negative] = s.references[id];
    for (std::size_t e = 0; e < labels.rows; ++e) {
      if (!m.test(e)) continue;
      ++events;
      negative += !carries(static_cast<int>(labels.values[e]));
    }
  }
}

std::filesystem::path tube(const std::string& name) {
  const std::string instrument = name.substr(4, name.find('_', 4) - 4);
  return testing::data_path("bal_dev/" + instrument + "/" + name + ".fcs");
}

Scored score(const std::string& name) {
  const auto path = tube(name);
  nlohmann::json truth;
  std::ifstream(std::filesystem::path(path).replace_extension(".truth.json")) >> truth;
  const auto file = fcs::read_fcs_file(path);
  const Analysis a = analyze(file.data_sets.at(0), builtin_panel(), name, {});
  Scored s;
  s.name = name;
  for (const char* q : {"pre_escape", "b_committed", "cd19_only", "non_b"}) {
    const auto* p = a.find(q);
    if (p != nullptr) s.cd34 += p->events;
  }
  const auto* pre = a.find("pre_escape");
  EXPECT_NE(pre, nullptr) << name;
  if (pre == nullptr) return s;
  s.ours = std::isfinite(pre->pct_of_cd34) ? pre->pct_of_cd34 : 0;
  s.present = pre->status != Status::below_lod;
  s.ideal = truth["oracle_gating"]["p99.5"]["quadrants"]["pre_escape"]["pct_of_cd34"].get<double>();
  s.labels = truth["populations"]["pre_escape"]["pct_of_cd34"].get<double>();
  s.true_count = truth["populations"]["pre_escape"]["count"].get<std::size_t>();
  s.true_cd34 = truth["cd34_pos"].get<std::size_t>();
  s.estimate_ok = std::abs(s.ours - s.ideal) <= std::max(0.5, 0.1 * s.ideal) ||
                  std::abs(s.ours - s.labels) <= std::abs(s.ideal - s.labels);
  s.denominator_ok = std::abs(static_cast<double>(s.cd34) - static_cast<double>(s.true_cd34)) <=
                     0.15 * static_cast<double>(s.true_cd34) + 20;
  score_references(a, std::filesystem::path(path).replace_extension(".labels.npy"), s);
  return s;
}

const std::map<std::string, Scored>& all_scores() {
  static const std::map<std::string, Scored> scores = [] {
    std::map<std::string, Scored> out;
    for (const char* instrument : {"canto", "navios"}) {
      for (int i = 1; i <= 10; ++i) {
        const std::string name = fmt::format("dev_{}_{:03d}", instrument, i);
        out.emplace(name, score(name));
      }
    }
    return out;
  }();
  return scores;
}

void expect_passes(const std::string& name) {
  const Scored& s = all_scores().at(name);
  EXPECT_TRUE(s.estimate_ok) << name << ": pre-escape " << s.ours << "% of CD34+, ideal analyst " << s.ideal
                             << "%, labels " << s.labels << "%";
  EXPECT_TRUE(s.denominator_ok) << name << ": CD34+ " << s.cd34 << ", true " << s.true_cd34;
}

// 1. One CD19+ blast peak in CD34+ must be read as positive, not as the negatives.
TEST(BalDev, SingleCd19PositivePeakIsNotInverted) {
  for (const char* name : {"dev_canto_007", "dev_canto_009", "dev_navios_001"}) expect_passes(name);
}

// 2. CD34+ blasts that are the only SSC-low cluster are kept.
TEST(BalDev, Cd34BlastsAreNotLost) {
  for (const char* name : {"dev_canto_008", "dev_navios_002"}) expect_passes(name);
}

// 3. Few CD34+ cells (remission; CD34− blasts): CD34− cells are not let in.
TEST(BalDev, FewCd34CellsAreNotInflated) {
  for (const char* name : {"dev_navios_003", "dev_navios_004", "dev_navios_009"}) {
    const Scored& s = all_scores().at(name);
    EXPECT_TRUE(s.denominator_ok) << name << ": CD34+ " << s.cd34 << ", true " << s.true_cd34;
  }
  for (const char* name : {"dev_navios_003", "dev_navios_004"}) expect_passes(name);
}

// 4. Dim CD22 on pre-escape cells is above the CD22 cut.
TEST(BalDev, DimCd22PreEscapeIsCounted) {
  for (const char* name : {"dev_navios_005", "dev_canto_006"}) expect_passes(name);
}

// 5. Remission tubes: a few hundred CD34+ cells, where 0.5 points are 2–3 events. In
// dev_canto_001 (24–34 % reported before, ideal 6.5 %) the last excess was dead CD34+ cells
// above the FSC cut, whose autofluorescence reads as dim CD22: they are told from live cells
// on FSC × SSC together.
TEST(BalDev, RemissionTubes) {
  for (const char* name : {"dev_canto_001", "dev_canto_004", "dev_canto_005", "dev_navios_003", "dev_navios_004", "dev_navios_010"}) {
    expect_passes(name);
  }
}

// A relapse tube whose blasts are CD34−: 195 CD34+ cells, nearly all myeloid progenitors,
// and 1 pre-escape cell. The progenitors' CD22 upper tail is compressed by the logicle scale
// and its lower tail stretched, so mirroring the lower side alone put the cut inside the
// progenitors (15 events reported where the ideal analyst finds 2).
TEST(BalDev, FewCd34ProgenitorsKeepTheirCd22TailNegative) { expect_passes("dev_canto_010"); }

// The whole set: every denominator, every estimate, and presence at least as good as the
// ideal analyst's (sensitivity >= 0.95, no false presence): bal-dev-score's rule.
TEST(BalDev, WholeSet) {
  std::size_t estimates = 0, denominators = 0, present_true = 0, found = 0, absent_true = 0, false_calls = 0;
  for (const auto& [name, s] : all_scores()) {
    estimates += s.estimate_ok;
    denominators += s.denominator_ok;
    EXPECT_TRUE(s.denominator_ok) << name << ": CD34+ " << s.cd34 << ", true " << s.true_cd34;
    if (s.true_count >= 20) {
      ++present_true;
      found += s.present;
    } else {
      ++absent_true;
      false_calls += s.present;
    }
    std::printf("%-16s pre-escape %7.3f%% (ideal %7.3f%%, labels %7.3f%%) CD34+ %6zu (true %6zu)%s\n", name.c_str(), s.ours,
                s.ideal, s.labels, s.cd34, s.true_cd34, s.estimate_ok && s.denominator_ok ? "" : "  WRONG");
  }
  EXPECT_EQ(estimates, all_scores().size());
  EXPECT_GE(static_cast<double>(found), 0.95 * static_cast<double>(present_true));
  EXPECT_EQ(false_calls, 0U) << "of " << absent_true << " tubes with fewer than 20 true pre-escape cells";
}

// Negative levels come from cells biologically negative for the marker, found before the cut
// they serve: the lymphocytes carry no CD34; the T/NK cells, which bound the CD34,
// CD19 and CD22 cuts, carry none of the three; and the monocytes, which bound CD19 and CD22,
// carry neither, by the generator's own labels. Every tube has lymphocytes and T/NK cells.
TEST(BalDev, ReferencePopulationsAreNegativeForTheirMarkers) {
  for (const auto& [name, s] : all_scores()) {
    for (const char* id : {"ref_lymphocytes", "ref_t_nk"}) {
      const auto it = s.references.find(id);
      ASSERT_NE(it, s.references.end()) << name << " has no " << id;
      EXPECT_GE(it->second.first, 300U) << name << " " << id;
    }
    for (const auto& [id, r] : s.references) {
      const double purity = r.first == 0 ? 1.0 : static_cast<double>(r.second) / static_cast<double>(r.first);
      EXPECT_GE(purity, id == "ref_monocytes" ? 0.95 : 0.98) << name << " " << id << ": " << r.second << " of " << r.first;
    }
  }
}

// Without a viability dye, dead CD34+ cells that pass the FSC cut are told from live ones on
// FSC × SSC (smaller and more granular): by the labels, the live gate removes at least half
// of the dead CD34+ events above the cut and keeps 99 % of the live ones, over the set.
TEST(BalDev, DeadCd34CellsAreToldFromLiveOnes) {
  std::size_t dead_all = 0, dead_kept = 0, live_all = 0, live_kept = 0;
  for (const auto& [name, s] : all_scores()) {
    dead_all += s.dead_all;
    dead_kept += s.dead_kept;
    live_all += s.live_all;
    live_kept += s.live_kept;
  }
  std::printf("dead CD34+ events kept %zu of %zu; live kept %zu of %zu\n", dead_kept, dead_all, live_kept, live_all);
  ASSERT_GT(dead_all, 0U);
  EXPECT_LE(2 * dead_kept, dead_all);
  EXPECT_GE(static_cast<double>(live_kept), 0.99 * static_cast<double>(live_all));
}

// A real B-ALL tube (FACSDiva) without CD22 and without FSC-H: the analysis completes with
// singlets on FSC-W, gives CD45+ → CD34+ → the CD19−/CD38 compartments, and says that
// pre-escape cells cannot be measured instead of reporting a number.
TEST(RealTube, WithoutCd22OrFscHTheAnalysisDegradesClearly) {
  const auto path = testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  const auto file = fcs::read_fcs_file(path);
  const Analysis a = analyze(file.data_sets.at(0), builtin_panel(), "facs_diva_test.fcs", {});
  EXPECT_EQ(a.find("pre_escape"), nullptr);
  const auto unmeasured = std::find_if(a.not_measured.begin(), a.not_measured.end(),
                                       [](const NotMeasured& m) { return m.name == "pre_escape"; });
  ASSERT_NE(unmeasured, a.not_measured.end());
  EXPECT_NE(unmeasured->reason.find("CD22"), std::string::npos);
  const auto has_cut = [&](std::string_view n) {
    return std::any_of(a.cuts.begin(), a.cuts.end(), [&](const Cut& c) { return c.name == n; });
  };
  EXPECT_TRUE(has_cut("singlet_width"));
  EXPECT_FALSE(has_cut("singlet_ratio"));
  EXPECT_TRUE(has_cut("CD19"));
  EXPECT_TRUE(has_cut("CD38"));
  EXPECT_GT(a.cd34, 0U);
  for (const char* name : {"hsc", "progenitor", "cd34_cd19neg", "cd34_cd19pos"}) EXPECT_NE(a.find(name), nullptr) << name;
  // The singlet gate keeps most events and drops the wide (doublet) tail.
  const double kept = static_cast<double>(a.result.count("singlets")) / static_cast<double>(file.data_sets[0].events.event_count());
  EXPECT_GT(kept, 0.7);
  EXPECT_LT(kept, 1.0);
  // CD34+ CD19+ and CD19− partition the CD34+ events.
  EXPECT_EQ(a.find("cd34_cd19neg")->events + a.find("cd34_cd19pos")->events, a.cd34);
}

}  // namespace
}  // namespace escapade::bal
