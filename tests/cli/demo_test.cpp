// `escapade demo` and `escapade cohort report` as a script sees them: the whole chain on a tiny
// simulated cohort, the files it promises, the refusal to reuse a non-empty folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/test_support.hpp"

namespace {

namespace fs = std::filesystem;

using escapade::testing::slurp;
using CliResult = escapade::testing::CliRun;

CliResult run(const std::string& args, const fs::path& err_file) { return escapade::testing::run_cli(args, err_file); }
std::string q(const fs::path& p) { return escapade::testing::quoted(p); }

TEST(CliDemo, RunsTheWholeChainAndTheCohortReport) {
  const fs::path dir = fs::temp_directory_path() / ("escapade_cli_demo_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "demo";
  const CliResult r = run("demo --out " + q(out) + " --patients 4 --events 5000 --seed 5 --jobs 1 --json", dir / "err");
  ASSERT_EQ(r.status, 0) << slurp(dir / "err");
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("patients"), 4);
  EXPECT_EQ(j.at("failed"), 0);
  EXPECT_EQ(j.at("sample_reports"), j.at("samples"));
  EXPECT_TRUE(fs::exists(out / "cohort.db"));
  EXPECT_TRUE(fs::exists(out / "cohort" / "manifest.tsv"));
  const std::string html = slurp(out / "report" / "cohort_report.html");
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  EXPECT_EQ(slurp(out / "report" / "cohort_report.pdf").rfind("%PDF-", 0), 0u);
  EXPECT_TRUE(fs::exists(out / "report" / "tables" / "phase_summary.tsv"));
  EXPECT_TRUE(fs::exists(out / "report" / "figures" / "frequency_by_phase.png"));
  EXPECT_TRUE(fs::exists(out / "report" / "figures" / "frequency_by_phase.svg"));
  std::size_t sample_html = 0;
  for (const auto& e : fs::directory_iterator(out / "samples")) sample_html += e.path().extension() == ".html" ? 1 : 0;
  EXPECT_EQ(sample_html, j.at("samples").get<std::size_t>());

  // A non-empty folder is refused without --force (an I/O error, exit status of `io`).
  const CliResult again = run("demo --out " + q(out) + " --patients 4 --events 5000 --quiet", dir / "err2");
  EXPECT_NE(again.status, 0);
  EXPECT_NE(slurp(dir / "err2").find("--force"), std::string::npos);

  // `cohort report` of the demo's database, into a new folder, with the P values as JSON.
  const CliResult rep = run("cohort report --db " + q(out / "cohort.db") + " --out " + q(dir / "rep") + " --json", dir / "err3");
  ASSERT_EQ(rep.status, 0) << slurp(dir / "err3");
  const auto k = nlohmann::json::parse(rep.out);
  EXPECT_EQ(k.at("tables").size(), 14u);
  EXPECT_TRUE(k.at("p_values").contains("fisher_exact_two_sided"));
  EXPECT_EQ(slurp(dir / "rep" / "tables" / "phase_summary.tsv"), slurp(out / "report" / "tables" / "phase_summary.tsv"));
  // Existing files are not replaced without --force.
  const CliResult rep2 = run("cohort report --db " + q(out / "cohort.db") + " --out " + q(dir / "rep"), dir / "err4");
  EXPECT_NE(rep2.status, 0);
  EXPECT_NE(slurp(dir / "err4").find("exists"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
