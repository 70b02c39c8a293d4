// FISH on sorted compartments (libescapade/bal/fish.hpp): the ACMG beta-inverse cutoff against
// exactly-known values and an independent arbitrary-precision evaluation, per-compartment calls,
// stem-cell involvement, and every bad row reported at once.
//
// shared/reference has no beta-quantile values (it holds R and SciPy results for the cohort
// tests only), so the cutoffs are checked (1) against closed forms: BETAINV(p, 1, n) =
// 1 − (1 − p)^(1/n), and for a = 2 the binomial identity I_x(2, n) = 1 − (1 − x)^(n+1) −
// (n + 1)·x·(1 − x)^n; and (2) against values computed with mpmath 1.3.0 (Python) at 40
// significant digits by bisection of mpmath.betainc(a, b, 0, x, regularized=True) = 0.95.
#include "libescapade/bal/fish.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"

namespace bal = escapade::bal;
using bal::Compartment;
using escapade::ErrorKind;
using escapade::InputError;

namespace {

InputError error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError thrown";
  return InputError(ErrorKind::io, "", "", "none");
}

constexpr const char* k_header = "compartment\tprobe\tnuclei_scored\tnuclei_positive\n";

// ---- the cutoff -------------------------------------------------------------------------------

TEST(AcmgCutoff, NoFalsePositivesHasAClosedForm) {
  for (unsigned n : {1u, 2u, 20u, 100u, 200u, 500u, 1000u}) {
    const double expected = -std::expm1(std::log(0.05) / n);  // 1 − 0.05^(1/n) without cancellation
    EXPECT_NEAR(bal::acmg_cutoff(0, n), expected, 1e-14 * expected) << n;
  }
  // The figure labs quote: 0 false positives in 200 nuclei gives a 1.5% cutoff.
  EXPECT_NEAR(bal::acmg_cutoff(0, 200), 0.014867039231272058, 1e-15);
  // Other confidences: BETAINV(p, 1, n) = 1 − (1 − p)^(1/n).
  EXPECT_NEAR(bal::acmg_cutoff(0, 200, 0.99), 1 - std::pow(0.01, 1.0 / 200), 1e-15);
}

TEST(AcmgCutoff, OneFalsePositiveSatisfiesTheBinomialIdentity) {
  for (unsigned n : {10u, 100u, 200u, 500u}) {
    const double x = bal::acmg_cutoff(1, n);
    const double cdf = 1 - std::pow(1 - x, n + 1) - (n + 1) * x * std::pow(1 - x, n);
    EXPECT_NEAR(cdf, 0.95, 1e-13) << n;
  }
  // a = 2, b = 1: x² = 0.95.
  EXPECT_NEAR(bal::acmg_cutoff(1, 1), std::sqrt(0.95), 1e-15);
}

struct MpmathCase {
  unsigned false_positives;
  unsigned nuclei;
  double expected;  // mpmath, 40 digits, rounded to 17 significant
};

class AcmgCutoffMpmath : public ::testing::TestWithParam<MpmathCase> {};

TEST_P(AcmgCutoffMpmath, MatchesArbitraryPrecision) {
  const auto& c = GetParam();
  EXPECT_NEAR(bal::acmg_cutoff(c.false_positives, c.nuclei), c.expected, 1e-13 * c.expected);
}

INSTANTIATE_TEST_SUITE_P(Values, AcmgCutoffMpmath,
                         ::testing::Values(MpmathCase{0, 200, 0.014867039231272058}, MpmathCase{1, 200, 0.023382650266527991},
                                           MpmathCase{2, 200, 0.030837537832164214}, MpmathCase{5, 500, 0.020704423055047417},
                                           MpmathCase{3, 100, 0.073556788152771921}, MpmathCase{10, 1000, 0.016736395729938251}));

TEST(AcmgCutoff, RejectsWhatIsNotAValidation) {
  EXPECT_EQ(error_of([] { (void)bal::acmg_cutoff(0, 0); }).kind(), ErrorKind::invalid_argument);
  EXPECT_EQ(error_of([] { (void)bal::acmg_cutoff(201, 200); }).kind(), ErrorKind::invalid_argument);
  EXPECT_EQ(error_of([] { (void)bal::acmg_cutoff(1, 200, 1.0); }).kind(), ErrorKind::invalid_argument);
  EXPECT_EQ(error_of([] { (void)bal::acmg_cutoff(1, 200, 0.0); }).kind(), ErrorKind::invalid_argument);
  EXPECT_EQ(error_of([] { (void)bal::acmg_cutoff(1, 200, std::nan("")); }).kind(), ErrorKind::invalid_argument);
}

// ---- names ----------------------------------------------------------------------------------

TEST(Compartments, AcceptTheAliasTable) {
  EXPECT_EQ(bal::parse_compartment("HSC"), Compartment::hsc);
  EXPECT_EQ(bal::parse_compartment("hsc_cd34+cd38-"), Compartment::hsc);
  EXPECT_EQ(bal::parse_compartment("HSC CD34+CD38-"), Compartment::hsc);
  EXPECT_EQ(bal::parse_compartment("  CD34+CD38-CD19- "), Compartment::hsc);
  EXPECT_EQ(bal::parse_compartment("Progenitor"), Compartment::progenitor);
  EXPECT_EQ(bal::parse_compartment("CD34+CD38+"), Compartment::progenitor);
  EXPECT_EQ(bal::parse_compartment("myeloid"), Compartment::myeloid);
  EXPECT_EQ(bal::parse_compartment("CD33+/CD13+"), Compartment::myeloid);
  EXPECT_EQ(bal::parse_compartment("B"), Compartment::b_lineage);
  EXPECT_EQ(bal::parse_compartment("b_lineage"), Compartment::b_lineage);
  EXPECT_EQ(bal::parse_compartment("B-lineage"), Compartment::b_lineage);
  EXPECT_EQ(bal::parse_compartment("B  cells"), Compartment::b_lineage);
  EXPECT_EQ(bal::parse_compartment("T"), Compartment::t_cells);
  EXPECT_EQ(bal::parse_compartment("T cells"), Compartment::t_cells);
  EXPECT_EQ(bal::parse_compartment("CD3+"), Compartment::t_cells);
  // '+' and '-' carry meaning and are kept.
  EXPECT_EQ(bal::parse_compartment("CD34+CD38+CD19+"), std::nullopt);
  EXPECT_EQ(bal::parse_compartment("CD3-"), std::nullopt);
  EXPECT_EQ(bal::parse_compartment("blasts"), std::nullopt);
  EXPECT_EQ(bal::parse_compartment(""), std::nullopt);
}

TEST(Compartments, EveryAliasIsNormalizedAndUnique) {
  const auto table = bal::compartment_aliases();
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(bal::parse_compartment(table[i].name), table[i].compartment) << table[i].name;
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(table[i].name, table[j].name);
  }
  EXPECT_TRUE(bal::is_stem_compartment(Compartment::hsc));
  EXPECT_TRUE(bal::is_stem_compartment(Compartment::progenitor));
  EXPECT_TRUE(bal::is_stem_compartment(Compartment::myeloid));
  EXPECT_FALSE(bal::is_stem_compartment(Compartment::b_lineage));
  EXPECT_FALSE(bal::is_stem_compartment(Compartment::t_cells));
}

TEST(Transcripts, NamesAndBreakpoints) {
  EXPECT_EQ(bal::parse_transcript("P190"), bal::Transcript::p190);
  EXPECT_EQ(bal::parse_transcript("p190"), bal::Transcript::p190);
  EXPECT_EQ(bal::parse_transcript("e1a2"), bal::Transcript::p190);
  EXPECT_EQ(bal::parse_transcript("m-bcr"), bal::Transcript::p190);
  EXPECT_EQ(bal::parse_transcript("P210"), bal::Transcript::p210);
  EXPECT_EQ(bal::parse_transcript("e14a2"), bal::Transcript::p210);
  EXPECT_EQ(bal::parse_transcript("b3a2"), bal::Transcript::p210);
  EXPECT_EQ(bal::parse_transcript("M-bcr"), bal::Transcript::p210);
  EXPECT_EQ(bal::parse_transcript(""), bal::Transcript::unknown);
  EXPECT_EQ(bal::parse_transcript("NA"), bal::Transcript::unknown);
  EXPECT_EQ(bal::parse_transcript("P230"), std::nullopt);
  EXPECT_EQ(bal::to_string(bal::Transcript::p210), "P210");
}

// ---- calls ------------------------------------------------------------------------------------

TEST(ParseFish, CallsEachCompartmentAndStemCellInvolvement) {
  const std::string tsv = std::string(k_header) +
                          "HSC\tBCR-ABL1 DF\t200\t6\n"          // 3.0% > 2.34%: positive
                          "progenitor\tBCR-ABL1 DF\t200\t4\n"   // 2.0%: negative
                          "myeloid\tBCR-ABL1 DF\t150\t0\n"
                          "B\tBCR-ABL1 DF\t200\t182\n"
                          "T\tBCR-ABL1 DF\t200\t1\n";
  const auto r = bal::parse_fish(tsv, "patient7.tsv");
  EXPECT_EQ(r.source, "patient7.tsv");
  ASSERT_EQ(r.calls.size(), 5u);
  const double cutoff = 0.023382650266527991;  // BETAINV(0.95, 2, 200), the default
  const auto& hsc = r.calls[0];
  EXPECT_EQ(hsc.line, 2u);
  EXPECT_EQ(hsc.compartment, Compartment::hsc);
  EXPECT_EQ(hsc.compartment_name, "HSC");
  EXPECT_EQ(hsc.probe, "BCR-ABL1 DF");
  EXPECT_EQ(hsc.nuclei_scored, 200u);
  EXPECT_EQ(hsc.nuclei_positive, 6u);
  EXPECT_DOUBLE_EQ(hsc.fraction, 0.03);
  EXPECT_NEAR(hsc.cutoff, cutoff, 1e-13 * cutoff);
  EXPECT_EQ(hsc.cutoff_source, bal::CutoffSource::default_controls);
  EXPECT_EQ(hsc.controls, (bal::ControlData{1, 200}));
  EXPECT_TRUE(hsc.positive);
  EXPECT_EQ(hsc.cutoff_basis(), "BETAINV(0.95, 1 + 1, 200) = 2.34% (default control data: 1 false-positive nucleus in 200)");
  EXPECT_FALSE(r.calls[1].positive);
  EXPECT_FALSE(r.calls[2].positive);
  EXPECT_TRUE(r.calls[3].positive);
  EXPECT_FALSE(r.calls[4].positive);
  EXPECT_EQ(r.stem_cell_involvement, bal::Involvement::positive);
  EXPECT_EQ(r.involved, (std::vector<Compartment>{Compartment::hsc}));
  EXPECT_TRUE(r.not_scored.empty());
  EXPECT_EQ(r.positive(Compartment::b_lineage), true);
  EXPECT_EQ(r.positive(Compartment::t_cells), false);
  EXPECT_EQ(r.transcript, bal::Transcript::unknown);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.summary(), "FishResult(5 rows, stem-cell involvement positive: hsc)");
}

TEST(ParseFish, OnlyBLineagePositiveIsNegativeInvolvement) {
  const std::string tsv = std::string(k_header) + "hsc_cd34+cd38-\tBCR-ABL1\t200\t2\nb_lineage\tBCR-ABL1\t200\t150\n";
  const auto r = bal::parse_fish(tsv, "p.tsv");
  EXPECT_EQ(r.stem_cell_involvement, bal::Involvement::negative);
  EXPECT_TRUE(r.involved.empty());
  EXPECT_EQ(r.not_scored, (std::vector<Compartment>{Compartment::progenitor, Compartment::myeloid}));
  EXPECT_EQ(r.positive(Compartment::progenitor), std::nullopt);
}

TEST(ParseFish, NoStemCompartmentIsNotEvaluated) {
  const auto r = bal::parse_fish(std::string(k_header) + "B\tBCR-ABL1\t200\t150\nT\tBCR-ABL1\t200\t0\n", "p.tsv");
  EXPECT_EQ(r.stem_cell_involvement, bal::Involvement::not_evaluated);
  EXPECT_EQ(r.not_scored.size(), 3u);
  EXPECT_EQ(bal::to_string(r.stem_cell_involvement), "not_evaluated");
}

TEST(ParseFish, PositiveMeansStrictlyAboveTheCutoff) {
  const std::string tsv = "compartment\tprobe\tnuclei_scored\tnuclei_positive\tcutoff\n"
                          "HSC\tP\t200\t10\t0.05\n"      // exactly 5%: negative
                          "myeloid\tP\t200\t11\t0.05\n";  // 5.5%: positive
  const auto r = bal::parse_fish(tsv, "p.tsv");
  EXPECT_FALSE(r.calls[0].positive);
  EXPECT_TRUE(r.calls[1].positive);
  EXPECT_EQ(r.involved, (std::vector<Compartment>{Compartment::myeloid}));
}

TEST(ParseFish, CutoffComesFromRowThenProbeSettingThenDefault) {
  const std::string tsv =
      "compartment\tprobe\tnuclei_scored\tnuclei_positive\tcutoff\tfalse_positives_in_controls\tcontrol_nuclei\n"
      "HSC\tA\t200\t3\t1.5%\t\t\n"       // row cutoff, percent
      "progenitor\tA\t200\t3\t\t0\t200\n"  // row controls
      "myeloid\tB\t200\t3\t\t\t\n"         // probe B: lab cutoff
      "B\tC\t200\t3\t\t\t\n"               // probe C: lab controls
      "T\tD\t200\t3\t\t\t\n";              // default
  bal::FishOptions options;
  options.probes = {{"b", 0.01, std::nullopt}, {"C", std::nullopt, bal::ControlData{2, 200}}};
  const auto r = bal::parse_fish(tsv, "p.tsv", options);
  ASSERT_EQ(r.calls.size(), 5u);
  EXPECT_EQ(r.calls[0].cutoff_source, bal::CutoffSource::row_cutoff);
  EXPECT_DOUBLE_EQ(r.calls[0].cutoff, 0.015);
  EXPECT_FALSE(r.calls[0].controls.has_value());
  EXPECT_EQ(r.calls[0].cutoff_basis(), "1.50% (cutoff column)");
  EXPECT_EQ(r.calls[1].cutoff_source, bal::CutoffSource::row_controls);
  EXPECT_NEAR(r.calls[1].cutoff, 0.014867039231272058, 1e-15);
  EXPECT_TRUE(r.calls[1].positive);  // 1.5% > 1.487%
  EXPECT_EQ(r.calls[1].cutoff_basis(), "BETAINV(0.95, 0 + 1, 200) = 1.49% (control columns: 0 false-positive nuclei in 200)");
  EXPECT_EQ(r.calls[2].cutoff_source, bal::CutoffSource::probe_cutoff);
  EXPECT_DOUBLE_EQ(r.calls[2].cutoff, 0.01);
  EXPECT_EQ(r.calls[2].cutoff_basis(), "1.00% (lab cutoff for probe B)");
  EXPECT_EQ(r.calls[3].cutoff_source, bal::CutoffSource::probe_controls);
  EXPECT_NEAR(r.calls[3].cutoff, 0.030837537832164214, 1e-15);
  EXPECT_EQ(r.calls[4].cutoff_source, bal::CutoffSource::default_controls);
  EXPECT_EQ(bal::to_string(r.calls[4].cutoff_source), "default_controls");
}

TEST(ParseFish, ConfidenceAndDefaultControlsAreOptions) {
  bal::FishOptions options;
  options.confidence = 0.99;
  options.default_controls = {0, 500};
  const auto r = bal::parse_fish(std::string(k_header) + "HSC\tP\t500\t5\n", "p.tsv", options);
  EXPECT_NEAR(r.calls[0].cutoff, 1 - std::pow(0.01, 1.0 / 500), 1e-15);
  EXPECT_DOUBLE_EQ(r.calls[0].confidence, 0.99);
}

TEST(ParseFish, TranscriptColumnCommentsCrlfBomAndAnyColumnOrder) {
  const std::string tsv = "\xEF\xBB\xBF# FISH, patient 7, diagnosis\r\n\r\n"
                          "Probe\tNuclei Scored\tCompartment\tNuclei_Positive\tTranscript\tNote\r\n"
                          "BCR-ABL1\t200\tHSC\t30\tP210\tsorted 2024-01-05\r\n"
                          "# a comment between rows\r\n"
                          "BCR-ABL1\t200\tB\t190\t\t\r\n";
  const auto r = bal::parse_fish(tsv, "p.tsv");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].line, 4u);
  EXPECT_EQ(r.calls[1].line, 6u);
  EXPECT_EQ(r.calls[0].nuclei_scored, 200u);
  EXPECT_EQ(r.calls[0].nuclei_positive, 30u);
  EXPECT_EQ(r.transcript, bal::Transcript::p210);
  EXPECT_EQ(r.summary(), "FishResult(2 rows, stem-cell involvement positive: hsc; P210)");
}

TEST(ParseFish, FewNucleiGiveAWarning) {
  const auto r = bal::parse_fish(std::string(k_header) + "HSC\tP\t40\t0\nB\tP\t200\t100\n", "p.tsv");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].where, "line 2");
  EXPECT_EQ(r.warnings[0].reason, "only 40 nuclei scored in hsc (fewer than 100): one nucleus moves the fraction by 2.50%");
}

TEST(ParseFish, SeveralProbesInOneCompartment) {
  const auto r = bal::parse_fish(std::string(k_header) + "HSC\tBCR-ABL1\t200\t0\nHSC\tIKZF1\t200\t40\n", "p.tsv");
  EXPECT_EQ(r.positive(Compartment::hsc), true);
  EXPECT_EQ(r.stem_cell_involvement, bal::Involvement::positive);
}

// ---- errors -----------------------------------------------------------------------------------

TEST(ParseFishErrors, EveryBadRowIsReportedAtOnce) {
  const std::string tsv = std::string(k_header) +
                          "HSC\tBCR-ABL1\t200\t6\n"
                          "progenitor\tBCR-ABL1\t200\t250\n"  // line 3
                          "myeloid\tBCR-ABL1\t200\t3\n"
                          "stem cells?\tBCR-ABL1\t200\t1\n"   // line 5
                          "B\tBCR-ABL1\tabc\t-1\n"            // line 6: two problems
                          "T\tBCR-ABL1\t200\t1\textra\n"      // line 7
                          "hsc\tbcr-abl1\t100\t0\n";          // line 8: repeats line 2
  const auto e = error_of([&] { (void)bal::parse_fish(tsv, "fish.tsv"); });
  EXPECT_EQ(e.kind(), ErrorKind::format);
  EXPECT_EQ(e.source(), "fish.tsv");
  EXPECT_EQ(e.where(), "lines 3, 5, 6, 7, 8");
  const std::string r = e.reason();
  EXPECT_EQ(r.rfind("6 problems in the FISH table: line 3: nuclei_positive 250 exceeds nuclei_scored 200; ", 0), 0u) << r;
  EXPECT_NE(r.find("; line 5: unknown compartment \"stem cells?\" (accepted: hsc, hscs, "), std::string::npos) << r;
  EXPECT_NE(r.find("; line 6: nuclei_scored \"abc\" is not a whole number; line 6: nuclei_positive \"-1\" is not a whole number"),
            std::string::npos) << r;
  EXPECT_NE(r.find("; line 7: 5 cells, but the header has 4 columns"), std::string::npos) << r;
  EXPECT_NE(r.find("; line 8: compartment hsc with probe bcr-abl1 repeats line 2"), std::string::npos) << r;
}

TEST(ParseFishErrors, OneBadRowNamesItsLine) {
  const auto e = error_of([] { (void)bal::parse_fish(std::string(k_header) + "HSC\tP\t0\t0\n", "f.tsv"); });
  EXPECT_EQ(e.where(), "line 2");
  EXPECT_EQ(e.reason(), "1 problem in the FISH table: line 2: nuclei_scored is 0 (leave out a compartment with no nuclei)");
  EXPECT_EQ(std::string(e.what()), "f.tsv: line 2: " + e.reason());
}

struct BadRow {
  const char* name;
  const char* row;
  const char* reason;
};

class ParseFishBadRow : public ::testing::TestWithParam<BadRow> {};

TEST_P(ParseFishBadRow, SaysWhy) {
  const std::string tsv =
      "compartment\tprobe\tnuclei_scored\tnuclei_positive\tcutoff\tfalse_positives_in_controls\tcontrol_nuclei\ttranscript\n"
      "B\tP\t200\t100\t\t\t\tP190\n" +
      std::string(GetParam().row) + "\n";
  const auto e = error_of([&] { (void)bal::parse_fish(tsv, "f.tsv"); });
  EXPECT_EQ(e.where(), "line 3");
  EXPECT_NE(e.reason().find(std::string("line 3: ") + GetParam().reason), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseFishBadRow,
    ::testing::Values(
        BadRow{"cutoff_percent_as_number", "HSC\tP\t200\t1\t1.5\t\t\t", "cutoff 1.5 is not a fraction in [0, 1) (write 0.015 or 1.5%"},
        BadRow{"cutoff_text", "HSC\tP\t200\t1\tlow\t\t\t", "cutoff \"low\" is not a number"},
        BadRow{"cutoff_negative", "HSC\tP\t200\t1\t-0.1\t\t\t", "cutoff -0.1 is not a fraction"},
        BadRow{"half_controls", "HSC\tP\t200\t1\t\t2\t\t", "false_positives_in_controls and control_nuclei must be given together"},
        BadRow{"controls_inverted", "HSC\tP\t200\t1\t\t300\t200\t", "300 false positives in 200 control nuclei is not a validation"},
        BadRow{"fractional_count", "HSC\tP\t200.5\t1\t\t\t\t", "nuclei_scored \"200.5\" is not a whole number"},
        BadRow{"empty_probe", "HSC\t\t200\t1\t\t\t\t", "probe is empty"},
        BadRow{"empty_compartment", "\tP\t200\t1\t\t\t\t", "compartment is empty"},
        BadRow{"unknown_transcript", "HSC\tP\t200\t1\t\t\t\tP230", "unknown transcript \"P230\""},
        BadRow{"contradicting_transcript", "HSC\tP\t200\t1\t\t\t\tP210", "transcript P210 contradicts P190 of line 2"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ParseFishErrors, HeaderProblems) {
  auto header_error = [](const std::string& tsv) { return error_of([&] { (void)bal::parse_fish(tsv, "f.tsv"); }); };
  auto e = header_error("compartment\tprobe\tnuclei_scored\n");
  EXPECT_EQ(e.where(), "line 1");
  EXPECT_EQ(e.reason(), "the header lacks column(s) nuclei_positive");
  e = header_error("# comment\ncompartment\tprobe\tnuclei_scored\tnuclei_positive\tcuttoff\n");
  EXPECT_EQ(e.where(), "line 2");
  EXPECT_NE(e.reason().find("unknown column \"cuttoff\" (accepted: compartment, probe, nuclei_scored"), std::string::npos);
  e = header_error("compartment,probe,nuclei_scored,nuclei_positive\n");
  EXPECT_NE(e.reason().find("is the file tab-separated?"), std::string::npos);
  e = header_error("compartment\tprobe\tnuclei_scored\tnuclei_positive\tprobe\n");
  EXPECT_EQ(e.reason(), "column \"probe\" is given twice");
  e = header_error("compartment\tprobe\tnuclei_scored\tnuclei_positive\tcontrol_nuclei\n");
  EXPECT_EQ(e.reason(), "the header lacks column(s) false_positives_in_controls (with control_nuclei)");
  e = header_error("# only a comment\n\n");
  EXPECT_EQ(e.where(), "");
  EXPECT_EQ(e.reason(), "no header line (the table is empty)");
  e = header_error(k_header);
  EXPECT_EQ(e.reason(), "the table has a header but no rows");
}

TEST(ParseFishErrors, BadOptions) {
  bal::FishOptions options;
  options.confidence = 1.5;
  EXPECT_EQ(error_of([&] { (void)bal::parse_fish(k_header, "f.tsv", options); }).kind(), ErrorKind::invalid_argument);
  options = {};
  options.probes = {{"P", std::nullopt, std::nullopt}};
  EXPECT_NE(error_of([&] { (void)bal::parse_fish(k_header, "f.tsv", options); }).reason().find("neither a cutoff nor control data"),
            std::string::npos);
  options.probes = {{"P", 0.01, std::nullopt}, {"p", 0.02, std::nullopt}};
  EXPECT_NE(error_of([&] { (void)bal::parse_fish(k_header, "f.tsv", options); }).reason().find("given twice"), std::string::npos);
}

TEST(ReadFishFile, MissingFileIsAnIoError) {
  const auto e = error_of([] { (void)bal::read_fish_file("/nonexistent/fish.tsv"); });
  EXPECT_EQ(e.kind(), ErrorKind::io);
}

}  // namespace

namespace {

// Issue 11, case 3: a FISH path that names some other file (a manifest row's `fish` pointing
// at a system file) once had that file's first line copied into the error. Nothing of a file
// that is not a FISH table is quoted, and a bad cell of a real one is quoted short and escaped.
TEST(FishTable, ErrorsQuoteNothingOfAFileThatIsNotOne) {
  const std::string secret = "root:x:0:0:SECRET-LINE:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n";
  const auto e = error_of([&] { (void)bal::parse_fish(secret, "/etc/passwd"); });
  const std::string m = e.what();
  EXPECT_EQ(m.find("SECRET"), std::string::npos) << m;
  EXPECT_EQ(m.find("root:x"), std::string::npos) << m;
  EXPECT_NE(m.find("not a FISH table"), std::string::npos) << m;
  EXPECT_NE(m.find("/etc/passwd"), std::string::npos) << m;

  const std::string long_cell(300, 'q');
  const auto bad = error_of([&] {
    (void)bal::parse_fish("compartment\tprobe\tnuclei_scored\tnuclei_positive\t" + long_cell + "\n", "fish.tsv");
  });
  const std::string b = bad.what();
  EXPECT_NE(b.find("unknown column"), std::string::npos) << b;
  EXPECT_EQ(b.find(long_cell), std::string::npos) << b;
  EXPECT_LT(b.size(), 400u) << b;
}

}  // namespace

namespace {

// Issue 11, case 14: a Latin-1 probe name once broke `analyze --fish` in the JSON writer.
// The table is read as Latin-1, with a warning, and every name it gives is UTF-8.
TEST(FishTable, Latin1IsReadAsLatin1WithAWarning) {
  const std::string tsv =
      "compartment\tprobe\tnuclei_scored\tnuclei_positive\n"
      "hsc\tBCR-ABL1 \xE9tude\t200\t3\n";
  const auto r = bal::parse_fish(tsv, "fish.tsv");
  ASSERT_FALSE(r.calls.empty());
  EXPECT_EQ(r.calls.front().probe, "BCR-ABL1 \xC3\xA9tude");
  bool warned = false;
  for (const auto& w : r.warnings) warned = warned || w.message().find("Latin-1") != std::string::npos;
  EXPECT_TRUE(warned);
}

}  // namespace
