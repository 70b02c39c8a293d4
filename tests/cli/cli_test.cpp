// The escapade command as a script sees it: exit statuses, stdout JSON, stderr messages.
#include <gtest/gtest.h>

#include <algorithm>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <sys/wait.h>

#include <sstream>

#include "libescapade/fcs/fcs.hpp"
#include "tests/support/test_support.hpp"

namespace {

using escapade::testing::run_cli;
using escapade::testing::slurp;
using Run = escapade::testing::CliRun;

Run run(const std::string& args, const std::filesystem::path& err_file) { return run_cli(args, err_file); }
std::string q(const std::filesystem::path& p) { return escapade::testing::quoted(p); }

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("escapade_cli_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

// A Gating-ML 2.0 file with one rectangle gate "r" on `channel` (an empty bound is open).
void write_rectangle_gatingml(const std::filesystem::path& path, const std::string& channel, const std::string& min,
                              const std::string& max = "") {
  std::ofstream(path) << R"(<?xml version="1.0" encoding="UTF-8"?>
<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
  xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
  <gating:RectangleGate gating:id="r">
    <gating:dimension gating:min=")" << min << '"' << (max.empty() ? "" : " gating:max=\"" + max + '"')
                      << R"(><data-type:fcs-dimension data-type:name=")" << channel << R"("/></gating:dimension>
  </gating:RectangleGate>
</gating:Gating-ML>)";
}

}  // namespace

TEST_F(Cli, InfoJsonHasEventsChannelsStainsAndWarnings) {
  auto r = run("info --json " + q(escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs")), dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  auto j = nlohmann::json::parse(r.out);
  const auto& ds = j["files"][0]["data_sets"][0];
  EXPECT_EQ(ds["events"], 83411);
  EXPECT_EQ(ds["channels"].size(), 12u);
  EXPECT_EQ(ds["channels"][9]["name"], "APC-A");
  EXPECT_EQ(ds["channels"][9]["stain"], "CD19");
  EXPECT_TRUE(ds["warnings"].is_array());
  EXPECT_EQ(ds["spillover"]["keyword"], "SPILL");
}

TEST_F(Cli, CorruptedFileExitsWithFormatStatusAndNamesThePlace) {
  auto r = run("info " + q(escapade::testing::data_path("fcs/fcsparser/corrupted/corrupted.fcs")), dir / "err");
  EXPECT_EQ(r.status, 4);
  const std::string err = slurp(dir / "err");
  EXPECT_NE(err.find("corrupted.fcs: HEADER byte 0: not an FCS file"), std::string::npos) << err;
  EXPECT_EQ(err.find("terminate"), std::string::npos);
}

TEST_F(Cli, TruncatedFileExportFailsButInfoWarns) {
  const auto f = escapade::testing::data_path("fcs/fcsparser/cytek-nl-2000/sample_header.fcs");
  auto info = run("info --json " + q(f), dir / "err");
  EXPECT_EQ(info.status, 0);
  auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["files"][0]["data_sets"][0]["declared_events"], 20000);
  EXPECT_EQ(j["files"][0]["data_sets"][0]["events"], 0);
  auto exp = run("export " + q(f), dir / "err");
  EXPECT_EQ(exp.status, 4);
  EXPECT_NE(slurp(dir / "err").find("DATA byte 5912: file is truncated"), std::string::npos);
}

TEST_F(Cli, ExportCsvByStainAndFcsRoundTrip) {
  const auto f = escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  auto csv = run("export " + q(f) + " --channels CD19,SSC-A --events 3", dir / "err");
  ASSERT_EQ(csv.status, 0) << slurp(dir / "err");
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')), "APC-A,SSC-A");
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 4);
  const auto out = dir / "copy.fcs";
  auto w = run("export " + q(f) + " --to fcs -o " + q(out), dir / "err");
  ASSERT_EQ(w.status, 0) << slurp(dir / "err");
  auto again = run("export " + q(f) + " --to fcs -o " + q(out), dir / "err");
  EXPECT_EQ(again.status, 3) << "an existing output is not replaced without --force";
  auto info = run("info --json " + q(out), dir / "err");
  auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["files"][0]["data_sets"][0]["events"], 83411);
  EXPECT_EQ(j["files"][0]["data_sets"][0]["version"], "FCS3.1");
}

TEST_F(Cli, UnknownChannelListsWhatTheFileHas) {
  const auto f = escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  auto r = run("export " + q(f) + " --channels CD22", dir / "err");
  EXPECT_EQ(r.status, 6);
  EXPECT_NE(slurp(dir / "err").find("APC-A (CD19)"), std::string::npos);
}

TEST_F(Cli, BadCommandLineIsStatusTwo) {
  auto r = run("export --to xml nothing.fcs", dir / "err");
  EXPECT_EQ(r.status, 2);
}

TEST_F(Cli, ValidateStatsRunsTheReferenceCases) {
  const auto refs = escapade::testing::shared_dir() / "reference" / "stats" / "fisher_exact.json";
  auto r = run("validate stats --json " + q(refs), dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["cases"].size(), 13u);
  EXPECT_EQ(j["cases"][0]["id"], "fisher-s01");
  EXPECT_TRUE(j["cases"][0]["values"].contains("p_two_sided"));
  // A case whose expected value is wrong fails, and so does the command.
  std::ofstream(dir / "bad.json") << R"([{"id":"x1","test":"fisher_exact_2x2","input":{"table":[[3,1],[1,3]]},)"
                                  << R"("options":{"alternative":"two-sided"},"expected":{"p_two_sided":0.9},"tolerance":1e-9,"abs_tolerance":1e-12}])";
  auto bad = run("validate stats " + q(dir / "bad.json"), dir / "err");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("0 passed, 1 failed"), std::string::npos) << bad.out;
}

namespace {

// Rows of a TSV table as maps from column name to cell.
std::vector<std::map<std::string, std::string>> parse_tsv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::stringstream ss(l);
    std::string cell;
    while (std::getline(ss, cell, '\t')) cells.push_back(cell);
    if (!l.empty() && l.back() == '\t') cells.emplace_back();
    return cells;
  };
  while (std::getline(in, line)) {
    auto cells = split(line);
    if (header.empty()) {
      header = cells;
      continue;
    }
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < header.size() && k < cells.size(); ++k) row[header[k]] = cells[k];
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_F(Cli, GateCountsEqualTheComplianceSuite) {
  const auto d = escapade::testing::data_path("gatingml");
  auto r = run("gate -q " + q(d / "data1.fcs") + " --gatingml " + q(d / "gml/gml_all_gates.xml") +
                   " --stats median,p95 --channels FL1-H",
               dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  std::map<std::string, std::map<std::string, std::string>> by_population;
  for (auto& row : parse_tsv(r.out)) by_population[row["population"]] = row;
  ASSERT_TRUE(by_population.contains("root"));
  EXPECT_EQ(by_population["root"]["count"], "13367");
  // Every gate of gml_all_gates.xml with a truth file: the ISAC count.
  std::ifstream expected(d / "expected_counts.tsv");
  std::string line;
  std::size_t checked = 0;
  while (std::getline(expected, line)) {
    std::stringstream ss(line);
    std::string file, id, type, parent, truth, count;
    std::getline(ss, file, '\t');
    std::getline(ss, id, '\t');
    std::getline(ss, type, '\t');
    std::getline(ss, parent, '\t');
    std::getline(ss, truth, '\t');
    std::getline(ss, count, '\t');
    if (file != "gml_all_gates.xml" || count == "-") continue;
    ASSERT_TRUE(by_population.contains(id)) << id;
    EXPECT_EQ(by_population[id]["count"], count) << id;
    EXPECT_EQ(by_population[id]["parent"], parent.empty() ? "root" : parent) << id;
    ++checked;
  }
  EXPECT_EQ(checked, 49u);  // 51 rows less the two QuadrantGates, which have no truth of their own
  EXPECT_TRUE(by_population["Range1"].contains("median:FL1-H"));
  EXPECT_TRUE(by_population["Range1"].contains("p95:FL1-H"));
}

TEST_F(Cli, GateJsonAndMembershipEvents) {
  const auto d = escapade::testing::data_path("gatingml");
  const auto events = dir / "gated.fcs";
  auto r = run("gate -q --json " + q(d / "data1.fcs") + " --gatingml " + q(d / "gml/gml_poly1_gate.xml") +
                   " --events " + q(events),
               dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["population"], "Polygon1");
  EXPECT_EQ(j[1]["count"], 1582);
  const auto file = escapade::fcs::read_fcs_file(events);
  const auto& ds = file.data_sets.front();
  const auto column = ds.events.find("gate:Polygon1");
  ASSERT_TRUE(column.has_value());
  double members = 0;
  for (const double v : ds.events.channel(*column)) members += v;
  EXPECT_EQ(members, 1582);
  // The membership file is never overwritten without --force.
  auto again = run("gate -q " + q(d / "data1.fcs") + " --gatingml " + q(d / "gml/gml_poly1_gate.xml") + " --events " +
                       q(events),
                   dir / "err");
  EXPECT_EQ(again.status, 3);
}

TEST_F(Cli, GateErrorsNameTheFileAndPlace) {
  const auto d = escapade::testing::data_path("gatingml");
  std::ofstream(dir / "broken.xml") << "<gating:Gating-ML xmlns:gating=\"x\">\n<unclosed>\n";
  auto bad = run("gate " + q(d / "data1.fcs") + " --gatingml " + q(dir / "broken.xml"), dir / "err");
  EXPECT_EQ(bad.status, 4);
  EXPECT_NE(slurp(dir / "err").find("broken.xml"), std::string::npos);
  // A gate on a channel the file does not have.
  auto missing = run("gate " + q(escapade::testing::data_path("fcs/flowkit/test_data_2d_01.fcs")) + " --gatingml " +
                         q(d / "gml/gml_range_gate.xml"),
                     dir / "err");
  EXPECT_EQ(missing.status, 6);
  const std::string err = slurp(dir / "err");
  EXPECT_NE(err.find("Range1"), std::string::npos) << err;
  EXPECT_NE(err.find("FSC-H"), std::string::npos) << err;
}

TEST_F(Cli, AnalyzeWritesResultsTablesSortGatesAndReport) {
  const auto fcs = dir / "s.fcs";
  auto sim = run("simulate sample -q -o " + q(fcs) + " --phase remission --events 20000 --seed 11", dir / "err");
  ASSERT_EQ(sim.status, 0) << slurp(dir / "err");
  const auto out = dir / "out";
  auto r = run("analyze -q " + q(fcs) + " --out " + q(out), dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  const auto j = nlohmann::json::parse(slurp(out / "results.json"));
  EXPECT_EQ(j["schema"], "escapade-analysis/1");
  ASSERT_TRUE(j["populations"].contains("pre_escape"));
  EXPECT_TRUE(j["populations"]["pre_escape"].contains("pct_of_cd34"));
  EXPECT_NE(slurp(out / "populations.tsv").find("pre_escape"), std::string::npos);
  EXPECT_NE(slurp(out / "sort_gates.xml").find("gating:QuadrantGate"), std::string::npos);
  EXPECT_NE(slurp(out / "report.html").find("pre_escape"), std::string::npos);
  EXPECT_EQ(slurp(out / "report.pdf").rfind("%PDF", 0), 0u);
  // Nothing is replaced without --force.
  EXPECT_EQ(run("analyze -q " + q(fcs) + " --out " + q(out), dir / "err").status, 3);
  // A review fixes a gate, and the results say a human set it.
  std::ofstream(dir / "review.toml") << "[review]\nreviewer = \"A. Reviewer\"\n[gates.CD22]\nvalue = 0.5\n";
  auto reviewed = run("analyze -q --no-report " + q(fcs) + " --review " + q(dir / "review.toml") + " --out " +
                          q(dir / "reviewed"),
                      dir / "err");
  ASSERT_EQ(reviewed.status, 0) << slurp(dir / "err");
  const auto rj = nlohmann::json::parse(slurp(dir / "reviewed" / "results.json"));
  bool human = false;
  for (const auto& g : rj["gates"]) human = human || (g["name"] == "CD22" && g["set_by_human"] == true);
  EXPECT_TRUE(human);
  // A panel asking for a marker the file lacks is a reference error listing the channels.
  std::ofstream(dir / "panel.toml") << "[panel]\nname = \"x\"\n[markers.CD7]\naliases = [\"CD7\"]\n";
  auto missing = run("analyze " + q(fcs) + " --panel " + q(dir / "panel.toml") + " --out " + q(dir / "m"), dir / "err");
  EXPECT_EQ(missing.status, 6);
  EXPECT_NE(slurp(dir / "err").find("CD7"), std::string::npos);
}

// Issue 11, case 12: a huge --threads once crashed inside oneTBB; it is clamped to the
// hardware threads with a warning, and a negative count is a usage error.
TEST_F(Cli, HugeThreadCountIsClampedWithAWarning) {
  const std::string file = q(escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs"));
  auto r = run("export " + file + " --to csv --events 10 --threads 1000000", dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  EXPECT_NE(slurp(dir / "err").find("--threads 1000000 is more than this machine's"), std::string::npos) << slurp(dir / "err");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 11);  // header + 10 events
  r = run("export " + file + " --to csv --events 10 --threads -3", dir / "err2");
  EXPECT_EQ(r.status, 2);
}

// Issue 11, case 2: `info` shows an FCS file's names, stains and keyword values without
// letting escape sequences or BEL through to the terminal.
TEST_F(Cli, InfoEscapesControlCharactersFromTheFile) {
  const std::string bytes = escapade::testing::slurp(escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs"));
  ASSERT_FALSE(bytes.empty());
  // Same length replacement inside TEXT: the stain "CD19" of APC-A becomes ESC "[2J" (4 bytes).
  std::string evil = bytes;
  const auto at = evil.find("CD19");
  ASSERT_NE(at, std::string::npos);
  evil.replace(at, 4, std::string("\x1b[2J"));
  const auto at2 = evil.find("CD20");
  ASSERT_NE(at2, std::string::npos);
  evil.replace(at2, 4, std::string("\x07\x07\x07\x07"));
  const auto path = dir / "evil.fcs";
  {
    std::ofstream out(path, std::ios::binary);
    out << evil;
  }
  auto r = run("info " + q(path), dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find('\x07'), std::string::npos);
  EXPECT_NE(r.out.find("\\x1b[2J"), std::string::npos) << r.out;
  const std::string err = slurp(dir / "err");
  EXPECT_EQ(err.find('\x1b'), std::string::npos);
}

// Issue 11, cases 1 and 9 through the commands: `export -o out.csv` with links planted at the
// output and beside it writes no file it was not given, and `analyze --force --no-report`
// into an earlier run's folder leaves no report of that run beside the new results.
TEST_F(Cli, OutputsNeverFollowPlantedLinksAndForceReplacesTheWholeSet) {
  const auto fcs = dir / "s.fcs";
  auto sim = run("simulate sample -q -o " + q(fcs) + " --phase remission --events 20000 --seed 12", dir / "err");
  ASSERT_EQ(sim.status, 0) << slurp(dir / "err");
  std::ofstream(dir / "victim") << "precious";
  for (int pid = ::getpid(); pid < ::getpid() + 400; ++pid) {
    std::filesystem::create_symlink(dir / "victim", dir / ("out.csv.part-" + std::to_string(pid)));
  }
  auto exp = run("export -q " + q(fcs) + " --events 5 -o " + q(dir / "out.csv"), dir / "err");
  ASSERT_EQ(exp.status, 0) << slurp(dir / "err");
  EXPECT_EQ(slurp(dir / "victim"), "precious");
  EXPECT_FALSE(std::filesystem::is_symlink(dir / "out.csv"));
  std::filesystem::create_symlink(dir / "victim", dir / "linked.csv");
  EXPECT_EQ(run("export -q " + q(fcs) + " --events 5 -o " + q(dir / "linked.csv"), dir / "err").status, 3);
  EXPECT_EQ(slurp(dir / "victim"), "precious");

  const auto out = dir / "out";
  ASSERT_EQ(run("analyze -q " + q(fcs) + " --out " + q(out), dir / "err").status, 0) << slurp(dir / "err");
  ASSERT_TRUE(std::filesystem::exists(out / "report.html"));
  auto again = run("analyze -q --no-report --force " + q(fcs) + " --out " + q(out), dir / "err");
  ASSERT_EQ(again.status, 0) << slurp(dir / "err");
  EXPECT_TRUE(std::filesystem::exists(out / "results.json"));
  EXPECT_FALSE(std::filesystem::exists(out / "report.html"));
  EXPECT_FALSE(std::filesystem::exists(out / "report.pdf"));
  // A run that fails (here: an unknown panel marker) leaves the earlier outputs as they were.
  std::ofstream(dir / "panel.toml") << "[panel]\nname = \"x\"\n[markers.CD7]\naliases = [\"CD7\"]\n";
  const std::string before = slurp(out / "results.json");
  EXPECT_EQ(run("analyze -q --force " + q(fcs) + " --panel " + q(dir / "panel.toml") + " --out " + q(out), dir / "err").status, 6);
  EXPECT_EQ(slurp(out / "results.json"), before);
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.rfind("out.part-", 0) == 0) ADD_FAILURE() << "staging folder left behind: " << name;
  }
}

// Issue 11, case 10: two inputs of one name in different folders once overwrote one
// membership file with the other (with --force) or failed half-way (without). Refused up
// front, naming both, with nothing written.
TEST_F(Cli, GateRefusesTwoInputsThatWouldWriteOneOutput) {
  for (const char* sub : {"a", "b"}) {
    std::filesystem::create_directories(dir / sub);
    std::filesystem::copy_file(escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs"), dir / sub / "x.fcs");
  }
  write_rectangle_gatingml(dir / "g.xml", "FSC-A", "0");
  auto r = run("gate -q " + q(dir / "a" / "x.fcs") + " " + q(dir / "b" / "x.fcs") + " --gatingml " + q(dir / "g.xml") +
                   " --events " + q(dir / "ev") + " --force",
               dir / "err");
  EXPECT_EQ(r.status, 2);
  const std::string err = slurp(dir / "err");
  EXPECT_NE(err.find((dir / "a" / "x.fcs").string()), std::string::npos) << err;
  EXPECT_NE(err.find((dir / "b" / "x.fcs").string()), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir / "ev" / "x.gated.fcs"));
}

// Issue 11, case 18: a bad value inside a Gating-ML file is bad content (exit 4, as in a
// FlowJo workspace), not a bad command line (2); a filesystem failure is io (3), naming the
// path, never "filesystem error" with exit 1.
TEST_F(Cli, BadContentAndFilesystemFailuresHaveTheirExitStatus) {
  write_rectangle_gatingml(dir / "bad.xml", "FSC-A", "5", "1");
  const auto fcs = escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  auto bad = run("gate -q " + q(fcs) + " --gatingml " + q(dir / "bad.xml"), dir / "err");
  EXPECT_EQ(bad.status, 4) << slurp(dir / "err");
  EXPECT_NE(slurp(dir / "err").find("bad.xml"), std::string::npos) << slurp(dir / "err");
  // A file where the --out folder should be.
  std::ofstream(dir / "taken") << "x";
  auto fs_err = run("analyze -q --no-report " + q(fcs) + " --out " + q(dir / "taken" / "sub"), dir / "err");
  EXPECT_EQ(fs_err.status, 3) << slurp(dir / "err");
  EXPECT_EQ(slurp(dir / "err").find("filesystem error"), std::string::npos) << slurp(dir / "err");
  EXPECT_NE(slurp(dir / "err").find("taken"), std::string::npos) << slurp(dir / "err");
}

// Issue 11, case 14: a file named in Latin-1 could never be analysed (the JSON writer threw
// and no file was named). Its name is shown read as Latin-1, and results.json is valid JSON.
TEST_F(Cli, ALatin1FileNameIsAnalysedAndShownAsLatin1) {
  const auto fcs = dir / "caf\xE9.fcs";
  ASSERT_EQ(run("simulate sample -q -o " + q(dir / "s.fcs") + " --phase remission --events 20000 --seed 13", dir / "err").status, 0)
      << slurp(dir / "err");
  std::filesystem::rename(dir / "s.fcs", fcs);
  auto r = run("analyze -q --no-report --json " + q(fcs) + " --out " + q(dir / "out"), dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  const auto j = nlohmann::json::parse(slurp(dir / "out" / "results.json"));
  EXPECT_NE(j.dump().find("caf\xC3\xA9.fcs"), std::string::npos);
  EXPECT_NO_THROW({
    const auto stdout_json = nlohmann::json::parse(r.out);
    EXPECT_FALSE(stdout_json.is_null());
  });
  EXPECT_NE(slurp(dir / "out" / "populations.tsv").find("caf\xC3\xA9.fcs"), std::string::npos);
}

// Issue 11, case 15: errors name the file at fault. A channel one of several FCS files lacks
// is reported against that FCS file (not the Gating-ML file), and --channels errors name the
// path given, not the file's $FIL.
TEST_F(Cli, ErrorsNameTheFileAtFault) {
  const auto full = escapade::testing::data_path("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs");
  const auto part = dir / "scatter_only.fcs";
  ASSERT_EQ(run("export -q " + q(full) + " --channels FSC-A,SSC-A --to fcs -o " + q(part), dir / "err").status, 0)
      << slurp(dir / "err");
  write_rectangle_gatingml(dir / "g.xml", "APC-A", "0");
  auto r = run("gate -q " + q(full) + " " + q(part) + " --gatingml " + q(dir / "g.xml"), dir / "err");
  EXPECT_EQ(r.status, 6);
  const std::string err = slurp(dir / "err");
  EXPECT_EQ(err.find("escapade gate: " + part.string() + ":"), 0U) << err;
  EXPECT_NE(err.find("g.xml"), std::string::npos) << err;

  auto c = run("export -q " + q(part) + " --channels NOPE", dir / "err");
  EXPECT_EQ(c.status, 6);
  EXPECT_EQ(slurp(dir / "err").find("escapade export: " + part.string() + ":"), 0U) << slurp(dir / "err");
}
