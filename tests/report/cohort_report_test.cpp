// The cohort report (libescapade/report/cohort_report.hpp) on a small simulated cohort:
// tables consistent with the store, p-values equal to what stats/ gives on the same numbers,
// self-contained HTML, a valid PDF, figures as PNG and SVG.
#include "libescapade/report/cohort_report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "libescapade/cohort/cohort.hpp"
#include "libescapade/sim/sim.hpp"
#include "libescapade/stats/stats.hpp"

namespace {

namespace fs = std::filesystem;
namespace cohort = escapade::cohort;
namespace report = escapade::report;
namespace stats = escapade::stats;
using escapade::ErrorKind;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string str(const std::vector<std::byte>& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

class CohortReport : public ::testing::Test {
 protected:
  // One small simulated cohort for the suite: 10 patients, 8k events per sample, analysed
  // with one job; hazards raised so that the incidence analysis has events in both groups.
  static void SetUpTestSuite() {
    root = fs::temp_directory_path() / ("escapade_cohort_report_" + std::to_string(::getpid()));
    fs::remove_all(root);
    escapade::sim::CohortOptions o;
    o.patients = 10;
    o.seed = 11;
    o.events = 8000;
    o.num_threads = 1;
    o.model.base_cd19neg = 0.04;
    o.model.base_cd19pos = 0.04;
    o.model.base_death = 0.01;
    const auto summary = escapade::sim::simulate_cohort(o, root / "cohort");
    const cohort::Manifest m = cohort::read_manifest(summary.manifest);
    db = root / "cohort.db";
    cohort::RunOptions ro;
    ro.jobs = 1;
    (void)cohort::run_cohort(m, db, ro);
    const cohort::Store store = cohort::Store::open(db, {.read_only = true});
    samples = new std::vector<cohort::StoredSample>(store.samples());
    patients = new std::vector<cohort::Patient>(store.patients());
    populations = new std::vector<cohort::StoredPopulation>(store.populations());
    analysis = new report::CohortAnalysis(report::analyze_cohort(store));
  }
  static void TearDownTestSuite() {
    delete analysis;
    delete samples;
    delete patients;
    delete populations;
    fs::remove_all(root);
  }

  // pre_escape values of complete samples by phase key, straight from the store.
  static std::map<std::string, std::vector<double>> values_by_phase() {
    std::map<std::string, std::vector<double>> v;
    for (const auto& s : *samples) {
      if (s.status != "complete") continue;
      for (const auto& p : *populations) {
        if (p.patient != s.patient || p.sample != s.sample || p.name != "pre_escape") continue;
        std::string key(cohort::to_string(s.phase));
        if (s.phase == cohort::Phase::post_therapy) key = s.day ? "post_therapy_d" + std::to_string(*s.day) : "post_therapy";
        v[key].push_back(p.pct_of_cd34);
      }
    }
    return v;
  }

  static const report::PhaseGroup* group(std::string_view key) {
    for (const auto& g : analysis->phases.groups) {
      if (g.key == key) return &g;
    }
    return nullptr;
  }

  static inline fs::path root, db;
  static inline std::vector<cohort::StoredSample>* samples = nullptr;
  static inline std::vector<cohort::Patient>* patients = nullptr;
  static inline std::vector<cohort::StoredPopulation>* populations = nullptr;
  static inline report::CohortAnalysis* analysis = nullptr;
};

TEST_F(CohortReport, PhaseCountsAddUpToTheStoredSamples) {
  std::size_t complete = 0;
  for (const auto& s : *samples) complete += s.status == "complete" ? 1 : 0;
  ASSERT_GT(complete, 0u);
  std::size_t in_groups = 0;
  for (const auto& g : analysis->phases.groups) {
    EXPECT_EQ(g.values.size(), g.samples.size());
    EXPECT_EQ(g.values.size(), g.present.size());
    EXPECT_EQ(g.summary.n, g.values.size());
    EXPECT_EQ(static_cast<std::size_t>(std::count(g.present.begin(), g.present.end(), true)), g.n_present);
    in_groups += g.values.size();
  }
  EXPECT_EQ(in_groups, complete);
  EXPECT_EQ(analysis->samples_complete, complete);
  EXPECT_EQ(analysis->samples_total, samples->size());
  EXPECT_EQ(analysis->patients, patients->size());
  // The same values per phase as the store holds.
  for (const auto& [key, v] : values_by_phase()) {
    const report::PhaseGroup* g = group(key);
    ASSERT_NE(g, nullptr) << key;
    EXPECT_EQ(g->values, v) << key;
  }
}

TEST_F(CohortReport, PhaseTestsEqualStatsOnTheSameNumbers) {
  const auto v = values_by_phase();
  std::vector<std::vector<double>> main;
  for (const char* k : {"diagnosis", "remission", "relapse"}) {
    if (v.count(k) != 0) main.push_back(v.at(k));
  }
  ASSERT_GE(main.size(), 2u);
  ASSERT_TRUE(analysis->phases.kruskal_wallis.has_value());
  const auto kw = stats::kruskal_wallis(main);
  EXPECT_EQ(analysis->phases.kruskal_wallis->p_value, kw.p_value);
  EXPECT_EQ(analysis->phases.kruskal_wallis->h, kw.h);
  ASSERT_EQ(analysis->phases.pairwise.size(), main.size() * (main.size() - 1) / 2);
  const auto& first = analysis->phases.pairwise.front();
  const auto mw = stats::mann_whitney_u(v.at(first.a), v.at(first.b));
  EXPECT_EQ(first.test.p_value, mw.p_value);
  EXPECT_EQ(first.test.u, mw.u);
  const report::PhaseGroup* dx = group("diagnosis");
  ASSERT_NE(dx, nullptr);
  EXPECT_EQ(dx->summary.mean, stats::mean(v.at("diagnosis")));
}

TEST_F(CohortReport, PairedTestsUseBothSamplesOfCarTPatients) {
  const auto& p = analysis->paired;
  ASSERT_GE(p.patients.size(), 2u);
  std::vector<double> pre, post;
  for (const auto& q : p.patients) {
    pre.push_back(q.pre);
    post.push_back(q.post);
    if (q.pre > 0) {
      EXPECT_DOUBLE_EQ(q.fold, q.post / q.pre);
    }
    // Both samples are the patient's, pre-therapy and day 30.
    for (const auto& s : *samples) {
      if (s.patient != q.patient) continue;
      if (s.sample == q.pre_sample) {
        EXPECT_EQ(s.phase, cohort::Phase::pre_therapy);
      }
      if (s.sample == q.post_sample) {
        EXPECT_EQ(s.phase, cohort::Phase::post_therapy);
        EXPECT_EQ(s.day, 30);
      }
    }
  }
  ASSERT_TRUE(p.t_test.has_value());
  EXPECT_EQ(p.t_test->p_value, stats::t_test_paired(post, pre).p_value);
  ASSERT_TRUE(p.signed_rank.has_value());
  EXPECT_EQ(p.signed_rank->p_value, stats::wilcoxon_signed_rank(post, pre).p_value);
}

TEST_F(CohortReport, RelapseGroupsAndIncidence) {
  const auto& r = analysis->relapse;
  EXPECT_EQ(r.n_relapse + r.n_no_relapse, r.patients.size());
  std::vector<double> yes, no;
  for (const auto& q : r.patients) (q.relapse == cohort::Relapse::none ? no : yes).push_back(q.value);
  ASSERT_FALSE(yes.empty());
  ASSERT_FALSE(no.empty());
  ASSERT_TRUE(r.test.has_value());
  EXPECT_EQ(r.test->p_value, stats::mann_whitney_u(yes, no).p_value);

  const auto& inc = analysis->incidence;
  EXPECT_EQ(inc.split, analysis->reference_pct);
  EXPECT_EQ(inc.n_high + inc.n_low, inc.patients.size());
  for (const auto& q : inc.patients) EXPECT_EQ(q.high, q.value > inc.split);
  ASSERT_EQ(inc.endpoints.size(), 2u);
  const auto& any = inc.endpoints[1];
  EXPECT_EQ(any.key, "any_relapse");
  ASSERT_TRUE(any.gray.has_value()) << (any.notes.empty() ? "" : any.notes.front());
  // Gray's test equals cuminc on the same numbers.
  std::vector<double> time;
  std::vector<std::string> grp;
  for (const auto& q : inc.patients) {
    time.push_back(q.time);
    grp.emplace_back(q.high ? "high" : "low");
  }
  const auto ci = stats::cuminc(time, any.status, grp);
  ASSERT_FALSE(ci.tests.empty());
  EXPECT_EQ(any.gray->p_value, ci.tests.front().p_value);
  // At risk at time 0: everyone.
  ASSERT_FALSE(inc.risk_times.empty());
  EXPECT_EQ(inc.risk_times.front(), 0);
  EXPECT_EQ(inc.at_risk[0].front(), inc.n_high);
  EXPECT_EQ(inc.at_risk[1].front(), inc.n_low);
}

TEST_F(CohortReport, TranscriptTableSumsToPatientsWithFishAndTranscript) {
  std::map<std::string, std::string> involvement;
  for (const auto& s : *samples) {
    if (s.status != "complete" || s.stem_cell_involvement.empty() || s.stem_cell_involvement == "not_evaluated") continue;
    auto& v = involvement[s.patient];
    if (v != "positive") v = s.stem_cell_involvement;
  }
  escapade::stats::Table2x2 expected{};
  for (const auto& p : *patients) {
    if (p.transcript == escapade::bal::Transcript::unknown || involvement.count(p.id) == 0) continue;
    ++expected[p.transcript == escapade::bal::Transcript::p210 ? 0 : 1][involvement[p.id] == "positive" ? 0 : 1];
  }
  const auto& t = analysis->transcript;
  EXPECT_EQ(t.table, expected);
  ASSERT_TRUE(t.fisher.has_value());
  EXPECT_EQ(t.fisher->p_two_sided, stats::fisher_exact_2x2(expected).p_two_sided);
  ASSERT_TRUE(t.chisq.has_value() && t.chisq_yates.has_value());
  EXPECT_FALSE(t.chisq->corrected);
  const std::vector<std::vector<double>> d{{double(expected[0][0]), double(expected[0][1])},
                                           {double(expected[1][0]), double(expected[1][1])}};
  EXPECT_EQ(t.chisq->p_value, stats::chisq_test(d, {.correct = false}).p_value);
  // Yates applies only where |O - E| allows it; the corrected statistic is never larger.
  EXPECT_LE(t.chisq_yates->statistic, t.chisq->statistic);
}

TEST_F(CohortReport, FlagsForEveryPatient) {
  EXPECT_EQ(analysis->flags.size(), patients->size());
  for (const auto& f : analysis->flags) {
    EXPECT_EQ(f.pre_escape_high.name, "pre_escape_high");
    EXPECT_EQ(f.pre_escape_rising.name, "pre_escape_rising");
    EXPECT_FALSE(f.pre_escape_high.evidence.empty());
  }
}

TEST_F(CohortReport, TablesHaveOneRowPerItem) {
  const auto tables = report::cohort_tables(*analysis);
  std::map<std::string, std::string> by;
  for (const auto& t : tables) by[t.file] = t.text;
  ASSERT_EQ(by.size(), 14u);
  EXPECT_EQ(count(by["phase_summary.tsv"], "\n"), analysis->phases.groups.size() + 1);
  EXPECT_EQ(count(by["samples.tsv"], "\n"), analysis->samples_complete + 1);
  EXPECT_EQ(count(by["paired.tsv"], "\n"), analysis->paired.patients.size() + 1);
  EXPECT_EQ(count(by["patient_flags.tsv"], "\n"), analysis->flags.size() + 1);
  EXPECT_NE(by["incidence_tests.tsv"].find("\tgray\t"), std::string::npos);
  EXPECT_NE(by["transcript_tests.tsv"].find("fisher_exact_two_sided"), std::string::npos);
  EXPECT_NE(by["transcript_tests.tsv"].find("chisq_uncorrected"), std::string::npos);
  EXPECT_NE(by["transcript_tests.tsv"].find("chisq_yates"), std::string::npos);
  // Every row has the header's number of cells.
  for (const auto& [file, text] : by) {
    std::size_t cells = 0, line_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '\n') continue;
      const std::size_t n = static_cast<std::size_t>(std::count(text.begin() + line_start, text.begin() + i, '\t')) + 1;
      if (line_start == 0) cells = n;
      EXPECT_EQ(n, cells) << file;
      line_start = i + 1;
    }
  }
}

TEST_F(CohortReport, FiguresRenderAsPngAndSvg) {
  const auto figs = report::cohort_figures(*analysis);
  std::set<std::string> names;
  for (const auto& f : figs) names.insert(f.name);
  for (const char* n : {"frequency_by_phase", "paired_day30", "relapse_vs_no_relapse", "cuminc_any_relapse",
                        "transcript_involvement"}) {
    EXPECT_EQ(names.count(n), 1u) << n;
  }
  for (const auto& f : figs) {
    EXPECT_FALSE(f.caption.empty());
    const auto png = report::render_cohort_figure(*analysis, f.name, report::Format::png, 1.0);
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(str(png).substr(1, 3), "PNG");
    const std::string svg = str(report::render_cohort_figure(*analysis, f.name, report::Format::svg));
    EXPECT_NE(svg.find("<svg"), std::string::npos);
  }
  try {
    (void)report::render_cohort_figure(*analysis, "nope", report::Format::png);
    FAIL() << "no error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
  }
}

TEST_F(CohortReport, WritesSelfContainedHtmlAndValidPdf) {
  const fs::path out = root / "report";
  const auto files = report::write_cohort_report(*analysis, out);
  const std::string html = slurp(files.html);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<img "), report::cohort_figures(*analysis).size());
  EXPECT_EQ(count(html, "src=\"data:image/png;base64,"), count(html, "<img "));
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("Fisher"), std::string::npos);
  EXPECT_NE(html.find("Gray"), std::string::npos);
  const std::string pdf = slurp(files.pdf);
  EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
  EXPECT_NE(pdf.find("%%EOF", pdf.size() - 32), std::string::npos);
  EXPECT_GE(count(pdf, "/Type /Page\n") + count(pdf, "/Type /Page "), 2u);
  EXPECT_EQ(files.tables.size(), 14u);
  EXPECT_EQ(files.figures.size(), 2 * report::cohort_figures(*analysis).size());
  for (const auto& f : files.figures) EXPECT_GT(fs::file_size(f), 100u) << f;
  // A second write refuses to replace anything, naming the file; --force replaces.
  try {
    (void)report::write_cohort_report(*analysis, out);
    FAIL() << "no error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("exists"), std::string::npos);
  }
  EXPECT_NO_THROW((void)report::write_cohort_report(*analysis, out, {.overwrite = true}));
}

TEST(CohortReportInput, NoPopulationIsAnError) {
  const std::vector<cohort::StoredSample> samples;
  const std::vector<cohort::Patient> patients;
  const std::vector<cohort::StoredPopulation> populations;
  try {
    (void)report::analyze_cohort(report::CohortData{samples, patients, populations, "x.db"});
    FAIL() << "no error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("pre_escape"), std::string::npos);
  }
}

// Thin data: one sample, one patient — every analysis kept with a note, nothing throws.
TEST(CohortReportInput, ThinDataGivesNotesNotErrors) {
  cohort::StoredSample s;
  s.patient = "P1";
  s.sample = "dx";
  s.status = "complete";
  const std::vector<cohort::StoredSample> samples{s};
  cohort::Patient p;
  p.id = "P1";
  const std::vector<cohort::Patient> patients{p};
  cohort::StoredPopulation pop;
  pop.patient = "P1";
  pop.sample = "dx";
  pop.name = "pre_escape";
  pop.phenotype = "CD34+CD19\u2212CD22+";
  pop.pct_of_cd34 = 1.5;
  pop.events = 30;
  pop.status = "below_lloq";
  const std::vector<cohort::StoredPopulation> populations{pop};
  const auto a = report::analyze_cohort(report::CohortData{samples, patients, populations, "x.db"});
  EXPECT_EQ(a.phases.groups.size(), 1u);
  EXPECT_FALSE(a.phases.kruskal_wallis.has_value());
  EXPECT_FALSE(a.phases.notes.empty());
  EXPECT_TRUE(a.paired.patients.empty());
  EXPECT_FALSE(a.transcript.fisher.has_value());
  EXPECT_EQ(a.flags.size(), 1u);
  EXPECT_EQ(a.flags[0].pre_escape_high.state, escapade::bal::FlagState::not_evaluated);
  // The figures that have data still render; the HTML and PDF too.
  EXPECT_EQ(report::cohort_figures(a).size(), 1u);
  EXPECT_NE(report::cohort_report_html(a).find("<figure"), std::string::npos);
  EXPECT_EQ(str(report::cohort_report_pdf(a)).rfind("%PDF-", 0), 0u);
}

}  // namespace
