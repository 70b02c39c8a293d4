// Panels (libescapade/bal/panel.hpp): the token matching rule, resolution on the stain names of
// real instrument files in shared/data, ambiguity and missing-marker errors, TOML validation,
// and the built-in panels against share/panels/.
#include "libescapade/bal/panel.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include "libescapade/base/error.hpp"
#include "libescapade/base/file_io.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "tests/support/test_support.hpp"

namespace bal = escapade::bal;
namespace fcs = escapade::fcs;
using escapade::ErrorKind;
using escapade::InputError;
using escapade::testing::data_path;

namespace {

// The error `fn` throws; fails the test if it throws nothing or something else.
InputError error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError thrown";
  return InputError(ErrorKind::io, "", "", "none");
}

fcs::DataSet header_only(const std::string& relative) {
  auto file = fcs::read_fcs_file(data_path(relative), fcs::ReadOptions{.decode_events = false});
  return std::move(file.data_sets.at(0));
}

// A data set with the given ($PnN, $PnS) parameters and no events.
fcs::DataSet data_set(const std::vector<std::pair<std::string, std::string>>& channels) {
  fcs::DataSet d;
  for (std::size_t k = 0; k < channels.size(); ++k) {
    fcs::Parameter p;
    p.number = k + 1;
    p.name = channels[k].first;
    p.stain = channels[k].second;
    p.is_time = p.name == "Time";
    d.parameters.push_back(p);
  }
  return d;
}

std::string channel_of(const bal::MarkerMap& map, const std::string& entry) {
  const auto* m = map.find(entry);
  return m == nullptr ? "<absent>" : m->channel;
}

// A panel of the given markers (all required), no scatter.
bal::Panel marker_panel(const std::string& body, bool prefer_area = true) {
  return bal::parse_panel("[panel]\nname = \"t\"\nprefer_area = " + std::string(prefer_area ? "true" : "false") + "\n" + body,
                          "t.toml");
}

// ---- the matching rule ----------------------------------------------------------------------

struct StainCase {
  const char* pattern;
  const char* stain;
  bool matches;
};

class StainMatch : public ::testing::TestWithParam<StainCase> {};

TEST_P(StainMatch, FollowsTheTokenRule) {
  const auto& c = GetParam();
  EXPECT_EQ(bal::stain_matches(c.pattern, c.stain), c.matches) << '"' << c.pattern << "\" vs \"" << c.stain << '"';
}

INSTANTIATE_TEST_SUITE_P(
    RealStainNames, StainMatch,
    ::testing::Values(
        // What real files write for CD19.
        StainCase{"CD19", "CD19", true}, StainCase{"CD19", "cd19", true}, StainCase{"CD19", "CD19 PE-Cy7", true},
        StainCase{"CD19", "CD19-PC7", true}, StainCase{"CD19", "CD19 APC", true},
        StainCase{"CD19", "PE-Cy7-A :: CD19", true}, StainCase{"CD19", "CD19;APC-H7;780/60@640/A", true},
        StainCase{"CD19", "CD19-ECD", true}, StainCase{"cd19", "CD19 PE-Cy7", true},
        // Whole tokens only: an antigen suffix is a different antigen.
        StainCase{"CD19", "CD19a", false}, StainCase{"CD19", "CD190", false}, StainCase{"CD19", "CD1", false},
        StainCase{"CD3", "CD33", false}, StainCase{"CD3", "CD34", false}, StainCase{"CD3", "CD3e", false},
        StainCase{"CD3", "CD34 BV421", false}, StainCase{"CD3", "CD3 BV421", true}, StainCase{"CD3", "CD3-APC-H7", true},
        StainCase{"CD34", "CD34 BV421", true}, StainCase{"CD45", "CD45 V500-C", true},
        StainCase{"CD45", "CD45RA", false}, StainCase{"CD45", "CD45RO", false},
        StainCase{"CD22", "CD22-PC5", true}, StainCase{"CD22", "CD23-PE", false},
        // Multi-token aliases: consecutive tokens, separators interchangeable.
        StainCase{"HLA-DR", "HLA-DR", true}, StainCase{"HLA-DR", "HLA DR FITC", true}, StainCase{"HLA-DR", "HLA", false},
        StainCase{"HLA-DR", "DR HLA", false}, StainCase{"7-AAD", "7-AAD", true},
        StainCase{"7-AAD", "viability;7-AAD;695/40@488/A", true}, StainCase{"Viability", "viability;7-AAD;695/40@488/A", true},
        StainCase{"Viability", "Viability", true}, StainCase{"L/D", "L/D", true}, StainCase{"Live/Dead", "LIVE/DEAD Aqua", true},
        StainCase{"Vivid", "VIVID / CD14", true}, StainCase{"CD14", "VIVID / CD14", true},
        StainCase{"Syto", "Syto 41", true},
        // Only the marker part after "::" counts; nothing matches an empty stain or alias.
        StainCase{"PE", "PE-Cy7-A :: CD19", false}, StainCase{"CD19", "", false}, StainCase{"--", "CD19", false}));

TEST(NameMatch, ComparesTheWholeNameByTokens) {
  EXPECT_TRUE(bal::name_matches("FSC-A", "FSC-A"));
  EXPECT_TRUE(bal::name_matches("FSC-A", "fsc_a"));
  EXPECT_TRUE(bal::name_matches("FSC-A", "FSC A"));
  EXPECT_TRUE(bal::name_matches("FS INT LIN", "FS INT LIN"));
  EXPECT_TRUE(bal::name_matches("Time", "TIME"));
  EXPECT_FALSE(bal::name_matches("FSC-A", "FSC-H"));
  EXPECT_FALSE(bal::name_matches("FSC-A", "FSC-A-2"));
  EXPECT_FALSE(bal::name_matches("FS INT", "FS INT LIN"));
  EXPECT_FALSE(bal::name_matches("", ""));
}

// ---- the shipped panels ---------------------------------------------------------------------

TEST(BuiltinPanels, AreTheFilesInSharePanelsByteForByte) {
  const auto names = bal::builtin_panel_names();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "bal_escape");
  EXPECT_EQ(names[1], "bal_sort");
  for (const auto name : names) {
    const std::filesystem::path file =
        std::filesystem::path(ESCAPADE_SOURCE_DIR) / "share" / "panels" / (std::string(name) + ".toml");
    EXPECT_EQ(escapade::read_file(file), bal::builtin_panel_text(name))
        << file << " and libescapade/bal/detail/builtin_panels.cpp have drifted apart";
    auto from_file = bal::read_panel_file(file);
    auto built_in = bal::builtin_panel(name);
    EXPECT_EQ(built_in.source, "<builtin:" + std::string(name) + ">");
    from_file.source = built_in.source;
    EXPECT_EQ(from_file, built_in);
  }
  EXPECT_EQ(bal::builtin_panel().name, "bal_escape");
}

TEST(BuiltinPanels, UnknownNameListsTheBuiltIns) {
  const auto e = error_of([] { (void)bal::builtin_panel("bal_cd34"); });
  EXPECT_EQ(e.kind(), ErrorKind::reference);
  EXPECT_NE(e.reason().find("built in: bal_escape, bal_sort"), std::string::npos) << e.what();
}

// A panel as a user names it (analyze --panel, cohort run --panel): a file where one exists,
// else a built-in name; neither is an error naming both possibilities.
TEST(LoadPanel, FileFirstThenBuiltInNameElseAClearError) {
  EXPECT_EQ(bal::load_panel("bal_sort").name, "bal_sort");
  EXPECT_EQ(bal::load_panel("bal_escape").source, "<builtin:bal_escape>");
  const auto dir = std::filesystem::temp_directory_path() / ("escapade_load_panel_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto own = dir / "bal_sort";  // a lab's own file that happens to share a built-in name
  escapade::write_file(own, "[panel]\nname = \"mine\"\n[markers.CD34]\naliases = [\"CD34\"]\n", true);
  EXPECT_EQ(bal::load_panel(own.string()).name, "mine");
  try {
    (void)bal::load_panel((dir / "nowhere.toml").string());
    ADD_FAILURE() << "no error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::reference);
    EXPECT_NE(std::string(e.what()).find("nowhere.toml"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bal_escape, bal_sort"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(BuiltinPanels, EscapePanelHasTheSeed001Markers) {
  const auto p = bal::builtin_panel("bal_escape");
  // CD22 and FSC-H are optional: without them the analysis degrades and says so.
  EXPECT_EQ(p.summary(), "Panel(bal_escape: 10 markers (3 required), 5 scatter (2 required))");
  std::vector<std::string> names;
  for (const auto& e : p.entries) names.push_back(e.name + (e.required ? "!" : "?"));
  EXPECT_EQ(names, (std::vector<std::string>{"CD45!", "CD34!", "CD19!", "CD22?", "CD10?", "CD38?", "CD20?", "CD3?", "Viability?",
                                             "DNA?", "FSC-A!", "FSC-H?", "SSC-A!", "FSC-W?", "Time?"}));
  ASSERT_NE(p.find("time"), nullptr);
  EXPECT_TRUE(p.find("time")->time);
  EXPECT_EQ(p.find("cd22")->aliases, (std::vector<std::string>{"CD22", "Siglec-2"}));
  EXPECT_EQ(p.find("CD22")->match_by, bal::MatchBy::stain);
  EXPECT_EQ(p.find("SSC-A")->match_by, bal::MatchBy::name);
  EXPECT_TRUE(p.prefer_area);
}

TEST(BuiltinPanels, SortPanelHasTheSeed000Markers) {
  const auto p = bal::builtin_panel("bal_sort");
  std::vector<std::string> names;
  for (const auto& e : p.entries) {
    if (e.match_by == bal::MatchBy::stain) names.push_back(e.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"CD45", "CD34", "CD38", "CD19", "CD33", "CD13", "CD3", "Viability"}));
}

// ---- resolution on real files (TEXT only) ---------------------------------------------------

TEST(ResolveOnRealFiles, FacsDivaFileLacksCd22AndFscH) {
  // bal_escape has CD22 and FSC-H optional (the analysis degrades without them); a lab panel
  // that requires them is refused with every missing entry named.
  const auto d = header_only("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  auto panel = bal::builtin_panel();
  for (auto& entry : panel.entries) {
    if (entry.name == "CD22" || entry.name == "FSC-H") entry.required = true;
  }
  const auto e = error_of([&] { (void)bal::resolve_markers(panel, d, "facs_diva_test.fcs"); });
  EXPECT_EQ(e.kind(), ErrorKind::reference);
  EXPECT_EQ(e.source(), "facs_diva_test.fcs");
  EXPECT_EQ(e.where(), "markers CD22, FSC-H");
  const std::string r = e.reason();
  EXPECT_NE(r.find("panel bal_escape: required marker CD22 not found: no $PnS matches \"CD22\" or \"Siglec-2\""),
            std::string::npos) << r;
  EXPECT_NE(r.find("required scatter channel FSC-H not found: no $PnN matches \"FSC-H\""), std::string::npos) << r;
  // The file's channels, every one, so the lab can fix the panel.
  EXPECT_NE(r.find("the file's channels ($PnN \"$PnS\"): Time, FSC-A, FSC-W, SSC-A, FITC-A \"CD20\", PE-A \"CD10\", "
                   "PerCP-A \"CD45\", PE-Cy7-A \"CD34\", PacificBlue-A \"Syto 41\", APC-A \"CD19\", Alexa700-A \"CD38\", "
                   "APC-Cy7-A"),
            std::string::npos) << r;
}

TEST(ResolveOnRealFiles, FacsDivaFileMapsEveryMarkerItHas) {
  const auto d = header_only("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  auto panel = bal::builtin_panel();
  for (auto& e : panel.entries) {
    if (e.name == "CD22" || e.name == "FSC-H") e.required = false;
  }
  const auto map = bal::resolve_markers(panel, d, "facs_diva_test.fcs");
  EXPECT_EQ(channel_of(map, "CD45"), "PerCP-A");
  EXPECT_EQ(channel_of(map, "CD34"), "PE-Cy7-A");
  EXPECT_EQ(channel_of(map, "CD19"), "APC-A");
  EXPECT_EQ(channel_of(map, "CD10"), "PE-A");
  EXPECT_EQ(channel_of(map, "CD38"), "Alexa700-A");
  EXPECT_EQ(channel_of(map, "CD20"), "FITC-A");
  EXPECT_EQ(channel_of(map, "DNA"), "PacificBlue-A");
  EXPECT_EQ(channel_of(map, "FSC-A"), "FSC-A");
  EXPECT_EQ(channel_of(map, "SSC-A"), "SSC-A");
  EXPECT_EQ(channel_of(map, "FSC-W"), "FSC-W");
  EXPECT_EQ(channel_of(map, "Time"), "Time");
  EXPECT_EQ(map.absent, (std::vector<std::string>{"CD22", "CD3", "Viability", "FSC-H"}));
  EXPECT_TRUE(map.warnings.empty());
  const auto* cd34 = map.find("cd34");
  ASSERT_NE(cd34, nullptr);
  EXPECT_EQ(cd34->parameter, 7u);
  EXPECT_EQ(cd34->stain, "CD34");
  EXPECT_EQ(cd34->alias, "CD34");
  EXPECT_EQ(cd34->via, bal::MatchVia::stain);
  EXPECT_EQ(map.find("Time")->via, bal::MatchVia::name);
  EXPECT_EQ(map.summary(), "MarkerMap(11 found, absent: CD22, CD3, Viability, FSC-H)");
  EXPECT_EQ(map.channel("CD19"), "APC-A");
  const auto e = error_of([&] { (void)map.channel("CD22"); });
  EXPECT_EQ(e.kind(), ErrorKind::reference);
  EXPECT_EQ(e.reason(), "optional marker not found in this file");
  EXPECT_EQ(error_of([&] { (void)map.channel("CD99"); }).reason(), "not an entry of the panel");
}

TEST(ResolveOnRealFiles, SortPanelDoesNotTakeCd34OrCd38ForCd3) {
  const auto d = header_only("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  const auto e = error_of([&] { (void)bal::resolve_markers(bal::builtin_panel("bal_sort"), d, "facs_diva_test.fcs"); });
  EXPECT_EQ(e.where(), "markers CD33, CD3, FSC-H");
  EXPECT_NE(e.reason().find("required marker CD3 not found: no $PnS matches \"CD3\""), std::string::npos) << e.what();
}

TEST(ResolveOnRealFiles, BeckmanLmdFileByStainSuffixes) {
  // $PnS CD103-FITC, CD23-PE, CD19-ECD, CD22-PC5, CD45-PC7; scatter FS/SS INT LIN; no CD34, no height.
  const auto d = header_only("fcs/fcsparser/fake_bitmask_error/fcs1_cleaned.lmd");
  const auto e = error_of([&] { (void)bal::resolve_markers(bal::builtin_panel(), d, "fcs1_cleaned.lmd"); });
  EXPECT_EQ(e.where(), "marker CD34");
  EXPECT_NE(e.reason().find("($PnN \"$PnS\"): FS INT LIN, SS INT LIN, FL1 INT LOG \"CD103-FITC\", FL2 INT LOG \"CD23-PE\", FL3 INT LOG \"CD19-ECD\""),
            std::string::npos) << e.what();

  auto panel = bal::builtin_panel();
  for (auto& entry : panel.entries) {
    if (entry.name == "CD34" || entry.name == "FSC-H") entry.required = false;
  }
  const auto map = bal::resolve_markers(panel, d, "fcs1_cleaned.lmd");
  EXPECT_EQ(channel_of(map, "CD19"), "FL3 INT LOG");
  EXPECT_EQ(channel_of(map, "CD22"), "FL4 INT LOG");
  EXPECT_EQ(channel_of(map, "CD45"), "FL5 INT LOG");
  EXPECT_EQ(channel_of(map, "FSC-A"), "FS INT LIN");
  EXPECT_EQ(channel_of(map, "SSC-A"), "SS INT LIN");
  EXPECT_EQ(map.find("FSC-A")->alias, "FS INT LIN");
  EXPECT_EQ(map.absent, (std::vector<std::string>{"CD34", "CD10", "CD38", "CD20", "CD3", "Viability", "DNA", "FSC-H", "FSC-W", "Time"}));
}

TEST(ResolveOnRealFiles, SemicolonStainsAndViabilityDye) {
  // index_sorted_example.fcs: "CD19;APC-H7;780/60@640/A", "viability;7-AAD;695/40@488/A", "CD23;PE-Cy7;…".
  const auto d = header_only("fcs/flowkit/index_sorted_example.fcs");
  const auto panel = marker_panel(
      "[markers.CD19]\n[markers.CD23]\n[markers.CD22]\nrequired = false\n"
      "[markers.Viability]\naliases = [\"Viability\", \"7-AAD\"]\n");
  const auto map = bal::resolve_markers(panel, d, "index_sorted_example.fcs");
  EXPECT_EQ(channel_of(map, "CD19"), "RL 780/60-A");
  EXPECT_EQ(channel_of(map, "CD23"), "YG 780/60-A");
  EXPECT_EQ(channel_of(map, "Viability"), "BL 695/40-A");
  EXPECT_EQ(map.absent, (std::vector<std::string>{"CD22"}));
}

TEST(ResolveOnRealFiles, Cd45DoesNotTakeCd45RoAndCd3DoesNotTakeCd33) {
  // 100715.fcs: $PnS KI67, CD3, CD28, CD45RO, CD8, CD4, CD57, "VIVID / CD14", CCR5, CD19, CD27, CCR7, CD127.
  const auto d = header_only("fcs/flowio/100715.fcs");
  const auto panel = marker_panel(
      "[markers.CD3]\n[markers.CD19]\n[markers.CD14]\n[markers.CD45]\nrequired = false\n"
      "[markers.CD33]\nrequired = false\n[markers.Viability]\naliases = [\"Viability\", \"Vivid\"]\n");
  const auto map = bal::resolve_markers(panel, d, "100715.fcs");
  EXPECT_EQ(channel_of(map, "CD3"), "R780-A");
  EXPECT_EQ(channel_of(map, "CD19"), "G710-A");
  EXPECT_EQ(channel_of(map, "CD14"), "V450-A");
  EXPECT_EQ(channel_of(map, "Viability"), "V450-A");
  EXPECT_EQ(map.absent, (std::vector<std::string>{"CD45", "CD33"}));
  // The dump channel carries two entries: legal, with a warning.
  ASSERT_EQ(map.warnings.size(), 1u);
  EXPECT_EQ(map.warnings[0].source, "100715.fcs");
  EXPECT_EQ(map.warnings[0].where, "markers CD14, Viability");
  EXPECT_EQ(map.warnings[0].reason, "both resolve to channel V450-A \"VIVID / CD14\"; gates cannot tell them apart");
}

// ---- resolution rules on synthetic parameter lists ------------------------------------------

TEST(Resolve, PrefersTheAreaChannelWhenAStainIsOnAreaHeightAndWidth) {
  const auto d = data_set({{"FSC-A", ""}, {"FITC-H", "CD19"}, {"FITC-A", "CD19"}, {"FITC-W", "CD19"}});
  const auto map = bal::resolve_markers(marker_panel("[markers.CD19]\n"), d);
  ASSERT_NE(map.find("CD19"), nullptr);
  EXPECT_EQ(map.find("CD19")->channel, "FITC-A");
  EXPECT_EQ(map.find("CD19")->parameter, 2u);
  EXPECT_EQ(map.find("CD19")->passed_over, (std::vector<std::string>{"FITC-H", "FITC-W"}));
}

TEST(Resolve, TwoChannelsForOneMarkerIsAnAmbiguityError) {
  const auto d = data_set({{"PE-A", "CD19 PE"}, {"APC-A", "CD19 APC"}, {"FITC-A", "CD22"}});
  const auto e = error_of([&] { (void)bal::resolve_markers(marker_panel("[markers.CD19]\n[markers.CD22]\n"), d, "x.fcs"); });
  EXPECT_EQ(e.kind(), ErrorKind::reference);
  EXPECT_EQ(e.where(), "marker CD19");
  EXPECT_EQ(e.reason(),
            "panel t: marker CD19 is ambiguous: 2 channels match: PE-A \"CD19 PE\" (by \"CD19\"), APC-A \"CD19 APC\" (by "
            "\"CD19\"); the file's channels ($PnN \"$PnS\"): PE-A \"CD19 PE\", APC-A \"CD19 APC\", FITC-A \"CD22\"");
  EXPECT_EQ(std::string(e.what()).rfind("x.fcs: marker CD19: panel t: marker CD19 is ambiguous", 0), 0u) << e.what();
}

TEST(Resolve, WithoutPreferAreaAreaAndHeightAreAmbiguous) {
  const auto d = data_set({{"FITC-A", "CD19"}, {"FITC-H", "CD19"}});
  const auto e = error_of([&] { (void)bal::resolve_markers(marker_panel("[markers.CD19]\n", false), d); });
  EXPECT_NE(e.reason().find("marker CD19 is ambiguous: 2 channels match"), std::string::npos) << e.what();
  EXPECT_EQ(e.source(), "<memory>");
}

TEST(Resolve, TwoAliasesOnTwoChannelsAreAmbiguousToo) {
  const auto d = data_set({{"PE-A", "CD19"}, {"APC-A", "Leu-12"}});
  const auto e = error_of([&] { (void)bal::resolve_markers(marker_panel("[markers.CD19]\naliases = [\"CD19\", \"Leu-12\"]\n"), d); });
  EXPECT_NE(e.reason().find("APC-A \"Leu-12\" (by \"Leu-12\")"), std::string::npos) << e.what();
}

TEST(Resolve, AForcedChannelWinsOverTheStain) {
  const auto d = data_set({{"PE-A", "CD19"}, {"APC-A", "custom"}});
  const auto map = bal::resolve_markers(marker_panel("[markers.CD19]\nchannel = \"apc-a\"\n"), d);
  EXPECT_EQ(map.find("CD19")->channel, "APC-A");
  EXPECT_EQ(map.find("CD19")->via, bal::MatchVia::forced);
  EXPECT_EQ(map.find("CD19")->alias, "");
  const auto e = error_of([&] { (void)bal::resolve_markers(marker_panel("[markers.CD19]\nchannel = \"BV421-A\"\n"), d); });
  EXPECT_NE(e.reason().find("required marker CD19 not found: its forced channel \"BV421-A\" is not in the file"),
            std::string::npos) << e.what();
}

TEST(Resolve, TimeFallsBackToTheReadersTimeParameter) {
  auto d = data_set({{"FSC-A", ""}, {"Clock", ""}});
  d.parameters[1].is_time = true;
  const auto panel = marker_panel("[markers.CD19]\nrequired = false\n[scatter.Time]\ntime = true\nrequired = false\n");
  const auto map = bal::resolve_markers(panel, d);
  EXPECT_EQ(map.find("Time")->channel, "Clock");
  EXPECT_EQ(map.find("Time")->via, bal::MatchVia::time_parameter);
  auto no_time = panel;
  no_time.entries[1].time = false;
  EXPECT_EQ(bal::resolve_markers(no_time, d).find("Time"), nullptr);
}

TEST(Resolve, MarkersNeverMatchPnN) {
  // Detector names are dye names; a file without $PnS needs `channel = …`.
  const auto d = data_set({{"7-AAD-A", ""}, {"CD19-A", ""}});
  const auto map = bal::resolve_markers(
      marker_panel("[markers.CD19]\nrequired = false\n[markers.Viability]\naliases = [\"7-AAD\"]\nrequired = false\n"), d);
  EXPECT_TRUE(map.matches.empty());
  EXPECT_EQ(map.absent, (std::vector<std::string>{"CD19", "Viability"}));
}

// ---- TOML validation ------------------------------------------------------------------------

TEST(ParsePanel, DefaultsAliasesToTheNameAndRequiredToTrue) {
  const auto p = bal::parse_panel("[panel]\nname = \"p\"\n[markers.CD19]\n", "p.toml");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].aliases, (std::vector<std::string>{"CD19"}));
  EXPECT_TRUE(p.entries[0].required);
  EXPECT_FALSE(p.entries[0].channel.has_value());
  EXPECT_EQ(p.entries[0].line, 3u);
  EXPECT_EQ(p.source, "p.toml");
  EXPECT_TRUE(p.prefer_area);
}

TEST(ParsePanel, KeepsTheOrderOfTheFile) {
  const auto p = bal::parse_panel("[panel]\nname = \"p\"\n[markers.CD34]\n[markers.CD22]\n[markers.CD19]\n", "p.toml");
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].name, "CD34");
  EXPECT_EQ(p.entries[1].name, "CD22");
  EXPECT_EQ(p.entries[2].name, "CD19");
}

struct BadPanel {
  const char* name;
  const char* text;
  ErrorKind kind;
  const char* where;
  const char* reason;
};

class ParsePanelErrors : public ::testing::TestWithParam<BadPanel> {};

TEST_P(ParsePanelErrors, NameThePlaceAndTheReason) {
  const auto& c = GetParam();
  const auto e = error_of([&] { (void)bal::parse_panel(c.text, "lab.toml"); });
  EXPECT_EQ(e.kind(), c.kind) << e.what();
  EXPECT_EQ(e.source(), "lab.toml");
  EXPECT_EQ(e.where(), c.where) << e.what();
  EXPECT_NE(e.reason().find(c.reason), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParsePanelErrors,
    ::testing::Values(
        BadPanel{"typo_key", "[panel]\nname = \"p\"\n[markers.CD19]\nrequird = false\n", ErrorKind::format, "line 4, column 1",
                 "unknown key \"requird\" in [markers.CD19] (accepted: aliases, channel, required)"},
        BadPanel{"time_on_marker", "[panel]\nname = \"p\"\n[markers.CD19]\ntime = true\n", ErrorKind::format,
                 "line 4, column 1", "unknown key \"time\""},
        BadPanel{"wrong_type", "[panel]\nname = \"p\"\n[markers.CD19]\nrequired = \"yes\"\n", ErrorKind::format,
                 "line 4, column 12", "[markers.CD19] required must be true or false, not a string"},
        BadPanel{"alias_not_string", "[panel]\nname = \"p\"\n[markers.CD19]\naliases = [\"CD19\", 19]\n", ErrorKind::format,
                 "line 4, column 20", "alias must be a string, not an integer"},
        BadPanel{"alias_without_tokens", "[panel]\nname = \"p\"\n[markers.CD19]\naliases = [\"+\"]\n", ErrorKind::format,
                 "line 4, column 12", "alias \"+\" has no letters or digits"},
        BadPanel{"empty_aliases", "[panel]\nname = \"p\"\n[markers.CD19]\naliases = []\n", ErrorKind::format,
                 "line 4, column 11", "aliases is empty"},
        BadPanel{"syntax", "[panel]\nname = \"p\n", ErrorKind::format, "line 2, column 10",
                 "unescaped control characters"},
        BadPanel{"no_panel", "[markers.CD19]\n", ErrorKind::format, "", "no [panel] table"},
        BadPanel{"no_name", "[panel]\ndescription = \"x\"\n[markers.CD19]\n", ErrorKind::format, "line 1, column 1",
                 "[panel] has no name"},
        BadPanel{"no_markers", "[panel]\nname = \"p\"\n[scatter.FSC-A]\n", ErrorKind::structure, "",
                 "no [markers.NAME] tables"},
        BadPanel{"unknown_section", "[panel]\nname = \"p\"\n[marker.CD19]\n", ErrorKind::format, "line 3, column 2",
                 "unknown key \"marker\" in the panel (accepted: panel, markers, scatter)"},
        BadPanel{"same_name_other_case", "[panel]\nname = \"p\"\n[markers.CD19]\n[markers.cd19]\naliases = [\"Leu-12\"]\n",
                 ErrorKind::structure, "line 4", "entry \"cd19\" repeats \"CD19\" of line 3"},
        BadPanel{"shared_alias", "[panel]\nname = \"p\"\n[markers.CD19]\n[markers.B]\naliases = [\"cd-19\", \"CD19\"]\n",
                 ErrorKind::structure, "line 4",
                 "alias \"CD19\" of B is the same as alias \"CD19\" of CD19 (line 3); both would claim the same channel"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ReadPanelFile, MissingFileIsAnIoError) {
  const auto e = error_of([] { (void)bal::read_panel_file("/nonexistent/panel.toml"); });
  EXPECT_EQ(e.kind(), ErrorKind::io);
  EXPECT_EQ(e.source(), "/nonexistent/panel.toml");
}

}  // namespace
