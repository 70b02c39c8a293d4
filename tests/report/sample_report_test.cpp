// The per-sample report (libescapade/report/sample_report.hpp) on a simulated diagnosis sample:
// the HTML is self-contained and says what the analysis says, its images are PNGs, the PDF is
// a multi-page PDF, the FISH table and flags appear when given, the gates drawn carry the
// analysis' counts, and files are never overwritten unless asked.
// (The LeakSanitizer suppression for fontconfig is defined once for test_report, in
// plot_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/fish.hpp"
#include "libescapade/bal/panel.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/report/sample_report.hpp"
#include "libescapade/sim/sim.hpp"
#include "libescapade/version.hpp"
#include "tests/support/test_support.hpp"

namespace bal = escapade::bal;
namespace report = escapade::report;
namespace sim = escapade::sim;
using escapade::ErrorKind;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string escaped(std::string s) {
  std::string out;
  for (const char c : s) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += c;
    }
  }
  return out;
}

// An independent base64 decoder (RFC 4648), to check the encoder from outside.
std::vector<unsigned char> decode_base64(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<unsigned char> out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    const int v = value(c);
    if (v < 0) return {};
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// The payloads of every `src="data:image/png;base64,…"`.
std::vector<std::string> image_payloads(const std::string& html) {
  std::vector<std::string> out;
  const std::string key = "src=\"data:image/png;base64,";
  for (std::size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
    const std::size_t begin = at + key.size();
    out.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return out;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Pages of a PDF: "/Type /Page" objects that are not "/Type /Pages".
std::size_t pdf_pages(const std::string& pdf) {
  return count_of(pdf, "/Type /Page") - count_of(pdf, "/Type /Pages");
}

using escapade::testing::as_text;

struct TempDir : escapade::testing::TempDir {
  TempDir() : escapade::testing::TempDir("sample_report_test") {}
};

constexpr const char* fish_tsv =
    "compartment\tprobe\tnuclei_scored\tnuclei_positive\ttranscript\n"
    "HSC\tBCR-ABL1 DF\t200\t31\tP210\n"
    "progenitor\tBCR-ABL1 DF\t200\t2\tP210\n"
    "myeloid\tBCR-ABL1 DF\t200\t1\tP210\n"
    "B-lineage\tBCR-ABL1 DF\t200\t180\tP210\n"
    "T cells\tBCR-ABL1 DF\t200\t0\tP210\n";

class SampleReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sim::SampleOptions o;
    o.phase = sim::Phase::diagnosis;
    o.events = 6000;
    o.seed = 7;
    o.blast_pct = 60;
    o.pre_escape_pct = 0;  // so that pre_escape is below the LOD
    o.num_threads = 1;
    sample = std::make_unique<sim::SimulatedSample>(sim::simulate_sample(o));
    bal::AnalysisOptions a;
    a.num_threads = 1;
    analysis = std::make_unique<bal::Analysis>(bal::analyze(sample->data_set, bal::builtin_panel(), "SIM-0001.fcs", a));
    fish = std::make_unique<bal::FishResult>(bal::parse_fish(fish_tsv, "fish.tsv"));
    report::SampleReportOptions ro;
    ro.num_threads = 1;
    figures = std::make_unique<std::vector<report::GatingFigure>>(
        report::make_gating_figures(sample->data_set, *analysis, ro));
    plain = std::make_unique<report::SampleReportFiles>(report::render_sample_report(input(false), *figures, ro));
    with_fish = std::make_unique<report::SampleReportFiles>(report::render_sample_report(input(true), *figures, ro));
  }
  static void TearDownTestSuite() {
    with_fish.reset();
    plain.reset();
    figures.reset();
    fish.reset();
    analysis.reset();
    sample.reset();
  }

  static report::SampleReportInput input(bool with_fish_results) {
    report::SampleReportInput in{sample->data_set, *analysis, with_fish_results ? fish.get() : nullptr, {}, "", "bal_escape"};
    if (with_fish_results) {
      in.flags = {{"pre_escape_present", bal::FlagState::not_raised, "0 events < LOD 20"},
                  {"stem_cell_involvement", bal::FlagState::raised, "HSC 15.5% > cutoff 2.34%"},
                  {"pre_escape_high", bal::FlagState::not_evaluated, "no cohort reference"}};
    }
    return in;
  }

  static inline std::unique_ptr<sim::SimulatedSample> sample;
  static inline std::unique_ptr<bal::Analysis> analysis;
  static inline std::unique_ptr<bal::FishResult> fish;
  static inline std::unique_ptr<std::vector<report::GatingFigure>> figures;
  static inline std::unique_ptr<report::SampleReportFiles> plain;
  static inline std::unique_ptr<report::SampleReportFiles> with_fish;
};

TEST_F(SampleReport, HtmlIsSelfContained) {
  const std::string& html = plain->html;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_FALSE(contains(html, "http://"));
  EXPECT_FALSE(contains(html, "https://"));
  EXPECT_FALSE(contains(html, "src=\"file"));
  EXPECT_FALSE(contains(html, "<link"));
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "url("));
  // Every src is a data URI.
  EXPECT_EQ(count_of(html, "src=\""), count_of(html, "src=\"data:image/png;base64,"));
}

TEST_F(SampleReport, HtmlStatesTitleSampleAndResearchUse) {
  const std::string& html = plain->html;
  EXPECT_TRUE(contains(html, "Escapade — B-ALL escape-risk report"));
  EXPECT_TRUE(contains(html, "research use only"));
  EXPECT_TRUE(contains(html, "Not for diagnosis"));
  EXPECT_TRUE(contains(html, "SIM-0001"));  // $SRC as the sample name
  EXPECT_TRUE(contains(html, std::string(sample->data_set.keywords.get("$CYT"))));
  EXPECT_TRUE(contains(html, std::string(sample->data_set.keywords.get("$DATE"))));
  EXPECT_TRUE(contains(html, "bal_escape"));
  for (const auto& m : analysis->markers.matches) EXPECT_TRUE(contains(html, m.channel)) << m.entry;
  EXPECT_TRUE(contains(html, escapade::version_string));
}

TEST_F(SampleReport, HtmlHasEveryPopulationAndTheLodText) {
  const std::string& html = plain->html;
  bool saw_below_lod = false;
  for (const auto& p : analysis->populations) {
    EXPECT_TRUE(contains(html, p.name)) << p.name;
    EXPECT_TRUE(contains(html, p.phenotype)) << p.name;
    EXPECT_TRUE(contains(html, escaped(p.display()))) << p.name << ": " << p.display();
    if (p.status == bal::Status::below_lod) {
      saw_below_lod = true;
      EXPECT_EQ(p.display().rfind("< LOD (", 0), 0U);
    }
  }
  ASSERT_TRUE(saw_below_lod) << "the fixture needs a population below the LOD";
  EXPECT_TRUE(contains(html, "&lt; LOD ("));
}

TEST_F(SampleReport, ImagesDecodeAsPngs) {
  const auto payloads = image_payloads(plain->html);
  ASSERT_EQ(payloads.size(), figures->size());
  static constexpr std::array<unsigned char, 8> signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (const auto& p : payloads) {
    const auto bytes = decode_base64(p);
    ASSERT_GT(bytes.size(), 1000U);
    EXPECT_TRUE(std::equal(signature.begin(), signature.end(), bytes.begin()));
    EXPECT_EQ(std::string(bytes.begin() + 12, bytes.begin() + 16), "IHDR");
  }
}

TEST_F(SampleReport, GatingSequenceHasEveryStepInOrder) {
  // The simulated BD panel has FSC-A/FSC-H, SSC-A and CD38: all seven gating plots, and the
  // references of the CD34 cut (T/NK cells) and of the CD19 and CD22 cuts (T/NK cells and
  // monocytes) on their cuts' axes.
  ASSERT_EQ(figures->size(), 10U);
  const std::array<std::string, 10> steps{"1. Singlets",
                                          "2. Debris",
                                          "3. Reference populations",
                                          "4. CD45+ leukocytes",
                                          "5. CD34+ SSC-low",
                                          "6. Reference for the CD34 cut: T/NK cells",
                                          "7. CD19 × CD22",
                                          "8. Reference for the CD19 and CD22 cuts: T/NK cells",
                                          "9. Reference for the CD19 and CD22 cuts: monocytes",
                                          "10. CD38 × CD19"};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ((*figures)[i].step.rfind(steps[i], 0), 0U) << (*figures)[i].step;
    EXPECT_FALSE((*figures)[i].evidence.empty()) << (*figures)[i].step;
    EXPECT_TRUE(contains(plain->html, escaped((*figures)[i].step)));
  }
  for (const auto& c : analysis->cuts) {
    const bool drawn = std::any_of(figures->begin(), figures->end(), [&](const report::GatingFigure& f) {
      return std::find(f.cuts.begin(), f.cuts.end(), c.name) != f.cuts.end();
    });
    EXPECT_TRUE(drawn) << c.name;
  }
}

// Each reference plot shows the reference population's own events on its cut's axes, with
// the gates drawn but no counts (the counts belong to the gates' own parents).
TEST_F(SampleReport, ReferencePlotsShowTheReferencesOfEachCut) {
  for (const auto& c : analysis->cuts) {
    for (const auto& r : c.references) {
      if (c.name != "CD34" && c.name != "CD19" && c.name != "CD22") continue;
      const auto f = std::find_if(figures->begin(), figures->end(), [&](const report::GatingFigure& g) {
        return contains(g.step, "Reference for the") && contains(g.step, c.name) && contains(g.step, analysis->plan.name(r));
      });
      ASSERT_NE(f, figures->end()) << c.name << " " << r;
      EXPECT_EQ(f->plot.histogram.total, analysis->result.count(r)) << f->step;
      EXPECT_FALSE(f->plot.gates.empty()) << f->step;
      for (const auto& g : f->plot.gates) EXPECT_TRUE(std::isnan(g.percent)) << f->step;
    }
  }
  const auto cd22 = std::find_if(analysis->cuts.begin(), analysis->cuts.end(), [](const bal::Cut& c) { return c.name == "CD22"; });
  ASSERT_NE(cd22, analysis->cuts.end());
  EXPECT_NE(std::find(cd22->references.begin(), cd22->references.end(), "ref_t_nk"), cd22->references.end());
}

TEST_F(SampleReport, GatesDrawnCarryTheAnalysisCounts) {
  const report::GatingFigure& q = (*figures)[6];
  ASSERT_EQ(q.plot.gates.size(), 4U);
  EXPECT_EQ(q.plot.histogram.total, analysis->cd34);
  std::size_t sum = 0;
  for (const auto& g : q.plot.gates) {
    const bal::PopulationCount* p = analysis->find(g.id);
    ASSERT_NE(p, nullptr) << g.id;
    EXPECT_EQ(g.count, p->events) << g.id;
    EXPECT_TRUE(contains(g.name, p->name)) << g.name;
    if (p->status == bal::Status::below_lod) {
      // As the table: no percentage below the LOD.
      EXPECT_TRUE(std::isnan(g.percent)) << g.id;
      EXPECT_TRUE(contains(g.name, "< LOD")) << g.name;
    } else {
      EXPECT_NEAR(g.percent, p->pct_of_cd34, 1e-9) << g.id;
    }
    sum += g.count;
  }
  EXPECT_EQ(sum, analysis->cd34);
  // Singlets: the ratio cut drawn as a line, labelled with the singlets' count.
  const report::GatingFigure& s = (*figures)[0];
  ASSERT_EQ(s.plot.gates.size(), 1U);
  EXPECT_EQ(s.plot.gates[0].count, analysis->result.count("singlets"));
  ASSERT_EQ(s.plot.gates[0].lines.size(), 1U);
  EXPECT_GE(s.plot.gates[0].lines[0].size(), 2U);
  EXPECT_TRUE(contains(s.note, "FSC-A/FSC-H"));
  // CD34+ SSC-low: the rectangle of the plan's gate.
  const report::GatingFigure& c = (*figures)[4];
  ASSERT_EQ(c.plot.gates.size(), 1U);
  EXPECT_EQ(c.plot.gates[0].id, "cd34");
  EXPECT_EQ(c.plot.gates[0].count, analysis->cd34);
}

TEST_F(SampleReport, PdfIsAMultiPageA4Pdf) {
  const std::string pdf = as_text(plain->pdf);
  EXPECT_EQ(pdf.rfind("%PDF-", 0), 0U);
  std::string tail = pdf.substr(pdf.size() - 16);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  EXPECT_TRUE(tail.ends_with("%%EOF")) << tail;
  EXPECT_GT(pdf_pages(pdf), 1U);
  EXPECT_TRUE(contains(pdf, "/MediaBox [ 0 0 595.2") || contains(pdf, "/MediaBox [0 0 595.2"));
}

TEST_F(SampleReport, FishTableAndFlagsAppearWhenGiven) {
  EXPECT_FALSE(contains(plain->html, "Nuclei scored"));
  EXPECT_TRUE(contains(plain->html, "No FISH results were given"));
  EXPECT_TRUE(contains(plain->html, "No risk flags were evaluated"));
  const std::string& html = with_fish->html;
  EXPECT_TRUE(contains(html, "Nuclei scored"));
  EXPECT_TRUE(contains(html, "BCR-ABL1 DF"));
  EXPECT_TRUE(contains(html, "BETAINV(0.95"));
  EXPECT_TRUE(contains(html, "Stem-cell involvement"));
  EXPECT_TRUE(contains(html, "positive (hsc)"));
  EXPECT_TRUE(contains(html, "P210"));
  EXPECT_TRUE(contains(html, "stem_cell_involvement"));
  EXPECT_TRUE(contains(html, "not evaluated"));
  EXPECT_TRUE(contains(html, "no cohort reference"));
  const std::string pdf = as_text(with_fish->pdf);
  EXPECT_EQ(pdf.rfind("%PDF-", 0), 0U);
  EXPECT_GE(pdf_pages(pdf), pdf_pages(as_text(plain->pdf)));
}

TEST_F(SampleReport, SameInputSameBytes) {
  report::SampleReportOptions ro;
  ro.num_threads = 2;
  const auto again = report::render_sample_report(input(false), ro);
  EXPECT_EQ(again.html, plain->html);
  // The PDF differs only in cairo's /CreationDate (the time it was written).
  auto undated = [](std::string pdf) {
    const std::size_t at = pdf.find("/CreationDate (D:");
    if (at != std::string::npos) pdf.erase(at, pdf.find(')', at) - at);
    return pdf;
  };
  EXPECT_EQ(undated(as_text(again.pdf)), undated(as_text(plain->pdf)));
  EXPECT_EQ(report::sample_report_html(input(false), ro), plain->html);
}

TEST_F(SampleReport, FilesAreNotOverwrittenUnlessAsked) {
  TempDir dir;
  const auto html = dir.path / "report.html";
  const auto pdf = dir.path / "report.pdf";
  report::write_sample_report(*plain, html, pdf);
  EXPECT_EQ(std::filesystem::file_size(html), plain->html.size());
  EXPECT_EQ(std::filesystem::file_size(pdf), plain->pdf.size());
  try {
    report::write_sample_report(*with_fish, html, pdf);
    FAIL() << "overwrote an existing report";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_TRUE(contains(e.what(), "report.html"));
    EXPECT_TRUE(contains(e.what(), "not overwritten"));
  }
  EXPECT_EQ(std::filesystem::file_size(html), plain->html.size());
  report::write_sample_report(*with_fish, html, pdf, true);
  EXPECT_EQ(std::filesystem::file_size(html), with_fish->html.size());
  // Only the PDF: the HTML path may be empty.
  const auto pdf2 = dir.path / "only.pdf";
  report::write_sample_report(*plain, {}, pdf2);
  EXPECT_TRUE(std::filesystem::exists(pdf2));
}

TEST(SampleReportOptions, BinsOutOfRangeIsAnError) {
  sim::SampleOptions o;
  o.events = 3000;
  o.num_threads = 1;
  const auto s = sim::simulate_sample(o);
  const auto a = bal::analyze(s.data_set, bal::builtin_panel(), "sim", {});
  report::SampleReportOptions ro;
  ro.bins = 1;
  EXPECT_THROW((void)report::make_gating_figures(s.data_set, a, ro), escapade::Error);
}

}  // namespace
