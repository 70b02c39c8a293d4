#pragma once
/// @file
/// The cohort report: the analyses the
/// papers run on the pre-escape population (CD34+CD19−CD22+, as % of CD34+), computed from a
/// cohort database with `escapade::stats`, and written as TSV tables, figures (PNG and SVG),
/// a self-contained HTML page and a PDF.
///
/// Describe, compute, render (STYLE §5): `analyze_cohort` reads the store once and computes a
/// `CohortAnalysis`, a plain value holding every number the report shows; `render_cohort_figure`
/// draws one figure of it; `write_cohort_report` writes every output into a folder.
///
/// The analyses (SPEC "Cohort analyses the papers run"). A sample's population is *present*
/// when its status is not `below_lod`; values below the LOD enter the statistics as measured
/// (events ÷ CD34+ events), as the papers' means include the samples without the population.
///
/// 1. Frequency by phase: every complete sample, grouped by phase (diagnosis, complete
///    remission, relapse, pre-therapy, post-therapy by day): n, share present, mean ± SD,
///    median, quartiles. Kruskal–Wallis across diagnosis, remission and relapse, and pairwise
///    two-sided Mann–Whitney between them (R `kruskal.test`, `wilcox.test`). Samples, not
///    patients: a patient may contribute to several phases (the papers' "nonmatched samples").
/// 2. Paired pre-therapy vs day +30 after CAR T: patients whose therapy is CAR T with a
///    pre-therapy sample and a post-therapy day-30 sample (the first of each by sample id);
///    fold change day 30 ÷ pre per patient; paired t test and Wilcoxon signed-rank test
///    (two-sided, R `t.test(paired = TRUE)`, `wilcox.test(paired = TRUE)`).
/// 3. Relapse vs no relapse: the pre-therapy frequency of patients whose relapse outcome is
///    known (relapse = CD19+ or CD19−; no relapse includes deaths in remission): medians and
///    a two-sided Mann–Whitney test.
/// 4. Cumulative incidence of relapse with death in remission as a competing risk (cmprsk
///    `cuminc`), patients with a pre-therapy frequency, a relapse outcome and a time, split
///    at the split value (default: the mean pre-therapy frequency of those patients; "high"
///    is strictly above it); two endpoints: CD19− relapse (CD19+ relapse and death in
///    remission compete) and any relapse (death in remission competes). Gray's test per
///    endpoint and a Fine–Gray model (`crr`) of the endpoint on the high-group indicator.
/// 5. Transcript × stem-cell involvement: patients with a known transcript (P210, P190) and
///    a FISH call (positive or negative on any of their samples; positive wins): the 2 × 2
///    table, Fisher's exact test (two-sided, R's definition), Pearson's chi-square without
///    and with Yates' continuity correction, each named (seed 000's P = .02 is the
///    uncorrected chi-square: SPEC).
/// 6. Per patient: `pre_escape_high` (the pre-therapy sample, else the latest, against the
///    reference: the cohort mean pre-therapy frequency unless a fixed value is given) and
///    `pre_escape_rising` (`bal::trend_flag` over the samples with a sample time).
///
/// An analysis without enough data (no pair, one group, no event) is kept with its counts and
/// a note saying why its test is missing; nothing throws for thin data.

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/bal/flags.hpp"
#include "libescapade/cohort/cohort.hpp"
#include "libescapade/report/plot.hpp"
#include "libescapade/stats/stats.hpp"

namespace escapade::report {

/// How the cohort analyses are computed and written.
struct CohortReportOptions {
  /// The population analysed (a `populations.name` of the store).
  std::string population = "pre_escape";
  /// The `pre_escape_high` reference and the incidence split, % of CD34+. Empty = the mean
  /// pre-therapy frequency of the patients analysed (SPEC: "default: the cohort mean").
  std::optional<double> reference_pct;
  /// `pre_escape_rising` is raised at this fold over the lowest earlier value.
  double trend_fold = 2.0;
  /// Times (months) of the numbers-at-risk table; empty = every 6 months (12 past 48 months
  /// of follow-up) from 0 to the longest follow-up.
  std::vector<double> risk_times;
  /// Figure size in points (SVG and PDF); PNGs are drawn at `png_scale` pixels per point.
  double png_scale = 2.0;
  /// Shown under the title ("2024-05-02", the command line); empty = nothing. The report
  /// reads no clock for its text.
  std::string generated;
  /// Replace existing output files; false refuses (naming the first that exists).
  bool overwrite = false;
  /// Report samples analysed with different parameter sets (panels, limits) together. False
  /// refuses such a database: their numbers are not comparable.
  bool allow_mixed_parameters = false;
};

/// One phase group of the frequency analysis.
struct PhaseGroup {
  std::string key;    ///< "diagnosis", "remission", "relapse", "pre_therapy", "post_therapy_d30", "post_therapy"
  std::string label;  ///< "Diagnosis", "CR", "Relapse", "Pre-therapy", "Day +30"
  std::vector<std::string> samples;  ///< "patient/sample", in store order
  std::vector<double> values;        ///< % of CD34+, one per sample
  std::vector<bool> present;         ///< status is not below_lod
  std::size_t n_present = 0;
  /// `stats::describe` of `values`; every field NaN (n = 0) for an empty group.
  stats::Descriptive summary;
};

/// A two-sample rank test between two groups (by key).
struct GroupComparison {
  std::string a, b;  ///< group keys
  std::size_t n_a = 0, n_b = 0;
  stats::MannWhitneyResult test;
};

/// Analysis 1.
struct PhaseAnalysis {
  std::vector<PhaseGroup> groups;  ///< non-empty groups, in phase order (day order within post-therapy)
  std::optional<stats::KruskalWallisResult> kruskal_wallis;  ///< across diagnosis, remission, relapse
  std::vector<std::string> kruskal_wallis_groups;            ///< the keys it compared
  std::vector<GroupComparison> pairwise;                     ///< diagnosis–remission, diagnosis–relapse, remission–relapse
  std::vector<std::string> notes;                            ///< why a test is missing
};

/// One patient of the paired analysis.
struct PairedPatient {
  std::string patient, pre_sample, post_sample;
  double pre = 0, post = 0;  ///< % of CD34+
  bool pre_present = false, post_present = false;
  double fold = 0;  ///< post ÷ pre; +inf when pre is 0 and post is not; NaN when both are 0
};

/// Analysis 2.
struct PairedAnalysis {
  std::vector<PairedPatient> patients;
  std::size_t increased = 0;       ///< post > pre
  stats::Descriptive pre, post;    ///< NaN fields without patients
  double ratio_of_means = 0;       ///< mean post ÷ mean pre (the paper's "1.7-fold")
  double median_fold = 0;          ///< median of the finite folds
  std::optional<stats::TTestResult> t_test;              ///< paired t, post vs pre
  std::optional<stats::SignedRankResult> signed_rank;    ///< Wilcoxon signed-rank, post vs pre
  std::vector<std::string> notes;
};

/// One patient of the relapse analysis.
struct RelapsePatient {
  std::string patient, sample;
  cohort::Relapse relapse = cohort::Relapse::none;
  bool death_in_remission = false;
  double value = 0;  ///< pre-therapy % of CD34+
  bool present = false;
};

/// Analysis 3.
struct RelapseAnalysis {
  std::vector<RelapsePatient> patients;
  stats::Descriptive relapse, no_relapse;  ///< NaN fields when a group is empty
  std::size_t n_relapse = 0, n_no_relapse = 0, n_cd19neg = 0;
  std::optional<stats::MannWhitneyResult> test;  ///< relapse vs no relapse
  std::vector<std::string> notes;
};

/// One patient of the incidence analysis.
struct IncidencePatient {
  std::string patient;
  double value = 0;  ///< pre-therapy % of CD34+
  bool high = false; ///< value > split
  double time = 0;   ///< months
  cohort::Relapse relapse = cohort::Relapse::none;
  bool death_in_remission = false;
};

/// One endpoint of the incidence analysis.
struct IncidenceEndpoint {
  std::string key;    ///< "cd19neg_relapse", "any_relapse"
  std::string label;  ///< "CD19− relapse", "Relapse (any)"
  /// Status codes: 1 the endpoint, then the competing causes in `cause_labels` order from 2.
  std::vector<std::string> cause_labels;  ///< {"CD19− relapse", "CD19+ relapse", "death in remission"}
  std::vector<int> status;                ///< per `IncidenceAnalysis::patients`
  std::optional<stats::CumincResult> cuminc;  ///< grouped by "high" / "low"
  std::optional<stats::GrayTest> gray;        ///< for cause 1
  std::optional<stats::CrrResult> fine_gray;  ///< cause 1 on the indicator high = 1
  std::size_t events_high = 0, events_low = 0;  ///< cause-1 events per group
  std::vector<std::string> notes;
};

/// Analysis 4.
struct IncidenceAnalysis {
  double split = 0;            ///< % of CD34+
  std::string split_source;    ///< "cohort mean pre-therapy frequency" or "fixed reference"
  std::vector<IncidencePatient> patients;
  std::size_t n_high = 0, n_low = 0;
  std::vector<double> risk_times;                 ///< months
  std::array<std::vector<std::size_t>, 2> at_risk;  ///< [0] high, [1] low; one per risk time
  std::vector<IncidenceEndpoint> endpoints;       ///< CD19− relapse, any relapse
  std::vector<std::string> notes;
};

/// One patient of the transcript analysis.
struct TranscriptPatient {
  std::string patient;
  bal::Transcript transcript = bal::Transcript::unknown;
  bal::Involvement involvement = bal::Involvement::not_evaluated;
};

/// Analysis 5.
struct TranscriptAnalysis {
  /// Rows P210, P190; columns stem-cell involvement positive, negative.
  stats::Table2x2 table{};
  std::vector<TranscriptPatient> patients;  ///< every patient with a FISH call or a transcript
  std::size_t with_fish = 0;                ///< patients with a positive or negative call
  std::size_t fish_unknown_transcript = 0;  ///< of those, without a known transcript
  std::optional<stats::FisherResult> fisher;
  std::optional<stats::ChiSquareResult> chisq, chisq_yates;
  std::vector<std::string> notes;
};

/// The risk flags of one patient.
struct PatientFlags {
  std::string patient;
  std::string sample;  ///< the sample `pre_escape_high` looked at ("" without one)
  bal::Flag pre_escape_high, pre_escape_rising;
};

/// Everything the cohort report shows.
struct CohortAnalysis {
  std::string database;  ///< the store's path
  std::string population, phenotype;  ///< "pre_escape", "CD34+CD19−CD22+"
  std::size_t samples_total = 0;      ///< every sample stored
  std::size_t samples_complete = 0;   ///< complete, with the population
  std::size_t samples_failed = 0, samples_pending = 0;
  std::size_t patients = 0;
  double reference_pct = 0;           ///< the pre_escape_high reference and incidence split
  std::string reference_source;
  double trend_fold = 2.0;            ///< `CohortReportOptions::trend_fold`
  PhaseAnalysis phases;
  PairedAnalysis paired;
  RelapseAnalysis relapse;
  IncidenceAnalysis incidence;
  TranscriptAnalysis transcript;
  std::vector<PatientFlags> flags;
  /// "CohortAnalysis(120 samples, 60 patients)".
  [[nodiscard]] std::string summary() const;
};

/// The store's content `analyze_cohort` works on (what `Store` returns), for callers that hold
/// it already. References must outlive the call.
struct CohortData {
  const std::vector<cohort::StoredSample>& samples;
  const std::vector<cohort::Patient>& patients;
  const std::vector<cohort::StoredPopulation>& populations;
  std::string database;
};

/// Computes every analysis from stored results. Pure; thread-safe.
/// @throws InputError(invalid_argument) if no complete sample has the population, or an
///         option is out of range (trend_fold ≤ 1, a negative or non-finite reference);
///         InputError(structure) if the complete samples were analysed with different
///         parameter sets and `allow_mixed_parameters` is false.
[[nodiscard]] CohortAnalysis analyze_cohort(const CohortData& data, const CohortReportOptions& options = {});
/// Reads the store (samples, patients, populations) and computes every analysis.
/// @throws StoreError if the store cannot be read; as the overload above.
[[nodiscard]] CohortAnalysis analyze_cohort(const cohort::Store& store, const CohortReportOptions& options = {});

/// A figure of the report.
struct CohortFigure {
  std::string name;     ///< file stem: "frequency_by_phase", "paired_day30", "relapse_vs_no_relapse",
                        ///< "cuminc_cd19neg_relapse", "cuminc_any_relapse", "transcript_involvement"
  std::string title;    ///< "Frequency by disease phase"
  std::string caption;  ///< what it shows, the tests and their P values
  double width = 0, height = 0;  ///< points
};

/// The figures `analyze_cohort`'s result can show, in report order (a figure whose analysis
/// has no data is left out).
[[nodiscard]] std::vector<CohortFigure> cohort_figures(const CohortAnalysis& analysis);

/// One figure as PNG (at `png_scale` pixels per point), SVG or PDF bytes. Cairo objects are
/// local to the call: thread-safe.
/// @throws InputError(invalid_argument) for an unknown figure name; Error(io) if cairo fails.
[[nodiscard]] std::vector<std::byte> render_cohort_figure(const CohortAnalysis& analysis, std::string_view name,
                                                          Format format, double png_scale = 2.0);

/// One TSV table of the report: its file name and text (header line, then rows; numbers in
/// their shortest round-trip form, NaN as "NA").
struct CohortTable {
  std::string file;   ///< "phase_summary.tsv"
  std::string title;  ///< what it holds
  std::string text;
};
/// Every table, in report order: samples, phase_summary, phase_tests, paired, paired_tests,
/// relapse, relapse_tests, incidence_patients, incidence_curves, incidence_at_risk,
/// incidence_tests, transcript_table, transcript_tests, patient_flags.
[[nodiscard]] std::vector<CohortTable> cohort_tables(const CohortAnalysis& analysis);

/// The report as one self-contained HTML page (CSS inline, figures as base64 PNG data URIs).
[[nodiscard]] std::string cohort_report_html(const CohortAnalysis& analysis, const CohortReportOptions& options = {});
/// The report as an A4 PDF (cairo; figures drawn as vectors).
[[nodiscard]] std::vector<std::byte> cohort_report_pdf(const CohortAnalysis& analysis,
                                                       const CohortReportOptions& options = {});

/// What `write_cohort_report` wrote.
struct CohortReportFiles {
  std::filesystem::path html, pdf;
  std::vector<std::filesystem::path> tables;   ///< TSV
  std::vector<std::filesystem::path> figures;  ///< PNG and SVG, two per figure
};

/// Writes `cohort_report.html`, `cohort_report.pdf`, every table (`tables/*.tsv`) and every
/// figure (`figures/<name>.png`, `.svg`) into `dir` (created if needed), each file through a
/// temporary renamed into place.
/// @throws InputError(io) naming the path if a file exists and `overwrite` is false (checked
///         for all before anything is written) or cannot be written; as the renderers.
CohortReportFiles write_cohort_report(const CohortAnalysis& analysis, const std::filesystem::path& dir,
                                      const CohortReportOptions& options = {});

}  // namespace escapade::report
