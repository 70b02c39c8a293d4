#pragma once
/// @file
/// A simulator of B-ALL bone-marrow acquisitions with ground truth. The entry
/// header of `sim/`.
///
/// No public B-ALL patient FCS files exist, yet automatic gating, the escape-risk report,
/// cohort statistics and the benchmarks all need realistic samples whose truth is known.
/// `simulate_sample` draws one acquisition: every event gets a population label (SPEC.md
/// "Populations"), marker intensities are lognormal per population with biological spread,
/// fluorochrome signals are mixed into detectors through the instrument's spillover matrix
/// (FCS 3.1 orientation: row = the dye's own detector, column = the detector it spills into),
/// then each detector adds photon-counting noise proportional to its signal and electronic
/// noise, so that compensated negatives spread the way real data do. Debris, doublets
/// (FSC-A ≈ twice a singlet's, FSC-H barely higher, FSC-W wide), dead cells (viability dye
/// bright, small) and a slow drift of intensities over the run are part of the physics.
///
/// The flow is resolve, then acquire (STYLE §5): `resolve_scenario` checks the knobs and draws
/// the defaults the papers imply (seed 001: CD34+CD19−CD22+ present in 72 / 92 / 66 % of
/// diagnostic / remission / relapse samples, means 2.1 / 6.1 / 1.6 % of CD34+), and
/// `simulate_sample` generates events in fixed blocks of `block_events`, each from its own
/// random stream keyed by (seed, stream, block), so the bytes written never depend on the
/// thread count or the machine (the samplers use only IEEE arithmetic; see
/// sim/detail/random.hpp). `simulate_cohort` builds patients with serial samples, BCR-ABL1
/// FISH on sorted compartments (seed 000) and outcomes from the model `CohortModel` states.
///
/// Everything here is thread-safe: no global state, and every call owns what it returns.

#include <array>
#include <utility>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/fcs/fcs.hpp"

namespace escapade::sim {

/// Disease phase of a sample (seed 001, Table 1 and Figure 2A–B).
enum class Phase {
  diagnosis,    ///< before any therapy: blasts dominate the marrow
  remission,    ///< complete remission (CR): normal, regenerating marrow, MRD at most
  relapse,      ///< relapse: blasts return (CD19+ or, after CD19-directed therapy, CD19−)
  pre_therapy,  ///< relapsed/refractory marrow just before CD19-directed therapy
  day30_car_t,  ///< day +30 after CD19 CAR T in CR: B-cell aplasia, pre-escape enriched ~1.7×
};

/// What the blasts of a relapse look like (seed 000: myeloid relapses after blinatumomab;
/// seed 001: CD19 loss after CAR T).
enum class RelapseKind {
  cd19pos,         ///< CD19+CD22+ blasts, as at diagnosis
  cd19neg,         ///< B-lineage blasts that lost CD19 (CD34+CD19−CD22+)
  lineage_switch,  ///< myeloid blasts (CD34+CD33+CD13+CD19−)
};

/// The ground-truth label of an event. The numeric values are the codes written to the
/// labels side file and are stable.
enum class Population : std::uint8_t {
  debris = 0,              ///< fragments: low FSC/SSC, CD45−
  doublet = 1,             ///< two cells in one pulse (any two nucleated cells)
  dead = 2,                ///< dead leukocyte: viability dye bright, small, dimmer markers
  erythroid = 3,           ///< nucleated erythroid precursor: CD45−, SSC low
  granulocyte = 4,         ///< neutrophil lineage: SSC high, CD45 moderate, CD13/CD10 maturation
  monocyte = 5,            ///< CD45 bright, SSC intermediate, CD33 bright, CD14+
  t_cell = 6,              ///< CD3+
  nk_cell = 7,             ///< CD56+CD3−
  b_mature = 8,            ///< CD19+CD20 bright CD22+, CD10−
  hematogone = 9,          ///< normal B precursor, stage II–III: CD34−CD19+CD10+, CD20 rising
  b_progenitor = 10,       ///< normal B precursor, stage I: CD34+CD19+CD22+CD10 bright
  hsc_mpp = 11,            ///< stem/multipotent: CD34+CD38−
  myeloid_progenitor = 12, ///< CD34+CD38+CD33+CD13+
  pre_escape = 13,         ///< CD34+CD19−CD22+ early progenitor (seed 001)
  blast = 14,              ///< B-ALL blast: CD34+CD19+CD22+CD10+, CD45 dim
  blast_cd22neg = 15,      ///< B-ALL blast subclone without CD22: CD34+CD19+CD22−
  blast_cd19neg = 16,      ///< B-ALL blast that lost CD19 (CD19− relapse): CD34+CD19−CD22+
  myeloid_blast = 17,      ///< lineage-switched blast: CD34+CD33+CD13+CD19−CD22−
  blast_cd34neg = 18,      ///< B-ALL blast without CD34 (CD34-partial or CD34− B-ALL): CD34−CD19+CD22+
};
/// Number of `Population` values (codes 0 … population_count − 1).
inline constexpr std::size_t population_count = 19;
/// All populations, in code order.
[[nodiscard]] std::array<Population, population_count> all_populations() noexcept;

[[nodiscard]] std::string_view to_string(Phase phase) noexcept;
[[nodiscard]] std::string_view to_string(RelapseKind kind) noexcept;
/// The label's name ("pre_escape", …), as in the labels legend and the truth JSON.
[[nodiscard]] std::string_view to_string(Population population) noexcept;
/// The phenotype in words ("CD34+CD19−CD22+"), for the legend.
[[nodiscard]] std::string_view phenotype(Population population) noexcept;
/// "diagnosis", "remission" (or "cr"), "relapse", "pre_therapy", "day30_car_t" (or "day30").
/// @throws InputError(invalid_argument) naming the phases there are.
[[nodiscard]] Phase parse_phase(std::string_view text);
/// "cd19pos", "cd19neg", "lineage_switch".
/// @throws InputError(invalid_argument) naming the kinds there are.
[[nodiscard]] RelapseKind parse_relapse_kind(std::string_view text);

/// The instrument profiles `SampleOptions::instrument` accepts: "bd-lyric" (BD FACSLyric
/// style, 12 colours, "FITC-A" … "BV786-A", $PnS "CD19"), "beckman-navios" (Navios EX style,
/// 10 colours "FL1-A" … "FL10-A", $PnS "CD19-PC7", 20-bit range) and "cytek-northern-lights"
/// (14 colours named by fluorochrome, $PnS "CD19 PE-Cy7", 22-bit range).
[[nodiscard]] std::vector<std::string> instrument_names();

/// Departures from the default model world, so that a benchmark over random scenarios is not
/// easy (a method tuned on one world learns that world, not marrow). Every default
/// leaves the sample exactly as without it.
struct Variation {
  /// Every population's marker medians × exp(N(0, s)), drawn per sample and population
  /// (patients, reagents and labs differ). [0, 1]
  double phenotype_sdlog = 0;
  /// Share of the B-ALL blasts that carry no CD34 (CD34-partial; 1 = CD34− B-ALL). [0, 1]
  double blast_cd34neg_fraction = 0;
  /// Share of the CD34+ B-ALL blasts without CD22; negative = the phase default (3 %). [−1, 1]
  double blast_cd22neg_fraction = -1;
  /// CD45-negative blasts.
  bool blast_cd45_negative = false;
  /// The pre-escape cells' CD22 median × this (dim CD22 below 1). (0, 10]
  double pre_escape_cd22_factor = 1;
  /// No normal B cells of any stage (B-cell aplasia after CD19-directed therapy).
  bool b_cell_aplasia = false;
  /// Hematogones × this (regenerating marrow). [0, 20]
  double hematogone_factor = 1;
  /// Normal CD34+ progenitors × this (0: dominant blasts with no normal CD34+ cells). [0, 20]
  double normal_cd34_factor = 1;
  /// The tube has no viability stain (its detector is left out; dead cells stay).
  bool no_viability_dye = false;
  /// Fluorescence $PnR = 2^range_bits, signals and noise scaled with it; 0 = the instrument's. 0 or [16, 24]
  int range_bits = 0;
  /// Every off-diagonal spillover × this (strong spillover into CD19 and CD22 above 1). [0, 4]
  double spillover_factor = 1;
  /// The markers are put on the instrument's detectors in a random order (any marker on
  /// any fluorochrome; brightness and spillover stay with the detector).
  bool shuffle_fluorochromes = false;
  /// A random world: every knob above drawn from `seed` (used by the scenario benchmark).
  [[nodiscard]] static Variation random(std::uint64_t seed);
};

/// Scenario knobs of one sample. Unset optionals are drawn from the phase's default
/// distribution (documented in `resolve_scenario`).
struct SampleOptions {
  Phase phase = Phase::diagnosis;
  /// Leukemic blasts, % of leukocytes (live singlet CD45+ cells; see Truth). [0, 99].
  std::optional<double> blast_pct;
  /// CD34+CD19−CD22+ pre-escape progenitors, % of CD34+ leukocytes. [0, 90].
  std::optional<double> pre_escape_pct;
  /// Blast phenotype of a relapse (used only with Phase::relapse).
  RelapseKind relapse_kind = RelapseKind::cd19pos;
  /// Events acquired, debris and doublets included. [1, 50,000,000].
  std::size_t events = 100000;
  /// One of instrument_names().
  std::string instrument = "bd-lyric";
  /// The random seed; with `stream` it fixes every value written.
  std::uint64_t seed = 1;
  /// Sample number within the seed (a cohort gives each sample its own stream).
  std::uint64_t stream = 0;
  /// Written as $SRC and used for $FIL; letters, digits, '-', '_' and '.' only.
  std::string sample_id = "SIM-0001";
  /// Debris, % of all events. [0, 80].
  double debris_pct = 6;
  /// Doublets, % of all events. [0, 50].
  double doublet_pct = 4;
  /// Dead cells, % of all events. [0, 50].
  double dead_pct = 3;
  /// Relative change of every fluorescence signal from the first to the last event, in %
  /// (lamp and fluidics drift; negative = dimming). [-50, 50].
  double drift_pct = -3;
  /// Departures from the default world (all off by default).
  Variation variation;
  /// Generation threads (0 = all cores). The result never depends on it.
  int num_threads = 0;
};

/// The resolved scenario: the knobs as used (defaults drawn) and the per-event probability
/// of each label that they imply.
struct Scenario {
  SampleOptions options;  ///< with blast_pct and pre_escape_pct filled in
  bool blast_pct_drawn = false;       ///< true when blast_pct came from the phase default
  bool pre_escape_pct_drawn = false;  ///< true when pre_escape_pct came from the phase default
  /// Normal CD34+ cells, fraction of non-leukemic leukocytes (before pre-escape).
  double normal_cd34_fraction = 0;
  /// Nucleated erythroid precursors, fraction of live singlet nucleated cells.
  double erythroid_fraction = 0;
  /// Probability that an event carries each label (index = code); sums to 1.
  std::array<double, population_count> probability{};
};

/// Checks the knobs and draws the defaults of the phase (from `seed` and `stream`):
/// - blast % of leukocytes: diagnosis 100·Beta(4, 1.6) (mean 71 %), relapse 100·Beta(3, 2),
///   pre-therapy 100·Beta(1.5, 2.5), remission and day +30 MRD: 0 with probability 0.5
///   (remission) / 0.8 (day +30), else 10^U(−3.5, −1) %;
/// - pre-escape % of CD34+: zero with probability 1 − prevalence, else lognormal with the
///   conditional mean and SD that reproduce seed 001's prevalence, mean and SD: diagnosis
///   72 %, 2.1 ± 7.6; remission 92 %, 6.1 ± 17; relapse 66 %, 1.6 ± 3.4; pre-therapy (20 CAR T
///   patients before infusion) 75 %, 2.1 ± 1.8; day +30 75 %, 3.8 ± 2.9; capped at 60 %.
/// @throws InputError(invalid_argument) with the knob's name as `where` for a value out of range
///         or an unknown instrument.
[[nodiscard]] Scenario resolve_scenario(const SampleOptions& options);

/// A named set of labels and how many events carry them.
struct LabelSet {
  std::string name;        ///< "leukocytes", "pre_escape", …
  std::string definition;  ///< the gate in words ("CD34+CD19−CD22+ within CD34+")
  std::vector<Population> labels;
  std::size_t count = 0;
};

/// Ground truth of one simulated sample.
struct Truth {
  Scenario scenario;
  std::size_t events = 0;
  std::array<std::size_t, population_count> counts{};  ///< events per label (index = code)
  /// Denominators: "events", "nucleated" (live singlet nucleated cells), "leukocytes" (live
  /// singlet CD45+ cells: nucleated minus erythroid), "cd34" (CD34+ SSC-low leukocytes).
  std::vector<LabelSet> denominators;
  /// Populations of SPEC.md: the CD19 × CD22 quadrant within CD34+ (pre_escape, b_committed,
  /// cd19_only, non_b), the sorted compartments of seed 000 (hsc, progenitor, myeloid,
  /// b_lineage, t_cells) and the leukemic blasts.
  std::vector<LabelSet> populations;
  /// Count of a denominator or population by name. @throws InputError(reference) if unknown.
  [[nodiscard]] const LabelSet& set(std::string_view name) const;
};

/// One simulated acquisition.
struct SimulatedSample {
  /// The data set as the instrument would write it: parameters with $PnN/$PnS/$PnR/$PnV,
  /// instrument keywords, float32-representable values, and `spillover` = the matrix applied.
  fcs::DataSet data_set;
  /// Marker ("CD19", "CD22", …) → the $PnN of the detector that carries it.
  std::vector<std::pair<std::string, std::string>> marker_channels;
  std::vector<std::uint8_t> labels;  ///< one Population code per event, in event order
  Truth truth;
};

/// The ideal analyst of a simulated sample (as bal_dev's truth defines one): perfect upstream
/// gating (the true CD34+ live singlets) and quadrant thresholds at the `quantile` of the
/// compensated CD19 of the true CD34+CD19− cells and the CD22 of the true CD34+CD22− cells.
/// What excellent manual gating would report: populations overlap, so even it differs from
/// the labels.
struct IdealAnalyst {
  double cd19_threshold = 0, cd22_threshold = 0;  ///< compensated channel values
  std::size_t cd34 = 0;                           ///< true CD34+ live singlets
  std::size_t pre_escape = 0, b_committed = 0, cd19_only = 0, non_b = 0;  ///< quadrant counts
  [[nodiscard]] double pre_escape_pct_of_cd34() const noexcept;
};
/// @throws InputError(reference) if the sample's panel lacks CD19 or CD22.
[[nodiscard]] IdealAnalyst ideal_analyst(const SimulatedSample& sample, double quantile = 0.995);

/// Scenario `seed` of the escape-analysis benchmark (bench/scenarios_bench.cpp): its phase
/// (seed mod 5), instrument, event count (20,000 to 200,000, log-uniform over seeds), a random
/// world (`Variation::random(seed)`, with normal CD34+ cells in remission and after CAR-T) and,
/// at relapse, a CD19− relapse for every third seed. One sample per seed, on one thread.
[[nodiscard]] SampleOptions benchmark_scenario(std::uint64_t seed);

/// Simulates one sample. Thread-safe; uses up to `options.num_threads` threads.
/// @throws InputError(invalid_argument) as resolve_scenario.
[[nodiscard]] SimulatedSample simulate_sample(const SampleOptions& options);

/// Events generated per random stream: the unit of parallel work and of determinism.
inline constexpr std::size_t block_events = 4096;

/// The truth JSON (schema "escapade-sim-truth/1"): scenario knobs, the label legend, counts
/// per label, and for every denominator and population its definition, the labels it
/// includes, its count and its frequencies (`pct_of_cd34`, `pct_of_leukocytes`, …).
[[nodiscard]] std::string truth_json(const Truth& truth, std::string_view fcs_name = {},
                                     std::string_view labels_name = {});

/// The labels side file: '#' legend lines ("# 13\tpre_escape\tCD34+CD19−CD22+"), a header
/// line "label", then one code per event, in event order.
[[nodiscard]] std::string labels_tsv(std::span<const std::uint8_t> labels);

/// Reads a labels side file back. @throws InputError(format) with the line number.
[[nodiscard]] std::vector<std::uint8_t> parse_labels_tsv(std::string_view text, std::string_view source);

/// The three files of a sample.
struct SampleFiles {
  std::filesystem::path fcs, labels, truth;
};
/// Where the side files of `fcs_path` go: `<stem>.labels.tsv`, `<stem>.truth.json`.
[[nodiscard]] SampleFiles sample_files(const std::filesystem::path& fcs_path);

/// Writes the FCS file (float32, FCS 3.1) and its two side files, each all-or-nothing.
/// @throws FcsError/InputError(io) when a file exists and `overwrite` is false (checked for
///         all three before anything is written) or cannot be written.
SampleFiles write_sample(const SimulatedSample& sample, const std::filesystem::path& fcs_path,
                         bool overwrite = false);

/// The outcome model of a cohort (all rates per month; written to cohort.json).
///
/// Time 0 is the start of CD19-directed therapy (CAR T infusion or blinatumomab). After it,
/// three competing causes act with constant cause-specific hazards:
///   CD19− relapse:  h_neg = base_cd19neg · (1 + pre_therapy_pre_escape_pct)^beta_pre_escape
///                                        · exp(beta_stem_cell · stem_cell_involvement)
///   CD19+ relapse:  h_pos = base_cd19pos
///   death in CR:    h_death = base_death
/// The first event time is Exp(h_neg + h_pos + h_death) and its cause is drawn in proportion
/// to the hazards. Administrative censoring at C = min_followup + U(0, accrual) months;
/// an event after C is not observed.
struct CohortModel {
  double p210_fraction = 0.4;          ///< P210 among BCR-ABL1+ patients (seed 000: 8 of 20)
  double involvement_p210 = 0.7;       ///< P(stem-cell involvement | P210) (seed 000: 6/8)
  double involvement_p190 = 0.2;       ///< P(stem-cell involvement | P190) (seed 000: 3/12); overall ≈ 40 %
  double car_t_fraction = 0.7;         ///< CAR T vs blinatumomab (seed 001: 37 of 53)
  double day30_fold_median = 1.7;      ///< pre-escape enrichment after CAR T (seed 001)
  double day30_fold_sdlog = 0.35;      ///< spread of that fold (log scale)
  double base_cd19neg = 0.006;         ///< per month
  double beta_pre_escape = 0.7;        ///< per log(1 + % of CD34+) before therapy
  double beta_stem_cell = 1.0;         ///< log hazard ratio of stem-cell involvement
  double base_cd19pos = 0.010;         ///< per month
  double base_death = 0.005;           ///< per month, death in remission
  double min_followup = 12;            ///< months
  double accrual = 36;                 ///< months
  double fish_false_positive = 0.005;  ///< per nucleus, BCR-ABL1 dual-fusion probe in normal cells
};

/// Knobs of `simulate_cohort`.
struct CohortOptions {
  std::size_t patients = 20;      ///< [1, 100,000]
  std::uint64_t seed = 1;
  std::size_t events = 100000;    ///< events per FCS file
  std::string instrument = "bd-lyric";  ///< one profile for the whole cohort
  CohortModel model;
  int num_threads = 0;
};

/// What `simulate_cohort` wrote.
struct CohortSummary {
  std::filesystem::path manifest;       ///< DIR/manifest.tsv
  std::filesystem::path model;          ///< DIR/cohort.json
  std::size_t patients = 0;
  std::size_t samples = 0;
  std::size_t relapses_cd19pos = 0, relapses_cd19neg = 0, deaths_in_remission = 0;
};

/// Writes a cohort into `dir` (created if needed): per patient P001…: `P001/<sample>.fcs` with
/// its labels and truth files, `P001/fish.tsv` (compartment, probe, nuclei_scored,
/// nuclei_positive, from the diagnostic marrow), then `manifest.tsv` (one row per sample, paths
/// relative to it; columns patient, sample, fcs, truth, phase, therapy, fish, transcript,
/// relapse, time_months, death_in_remission, last_followup_months, sample_time_months) and
/// `cohort.json` (the model, its parameters and each patient's true latent values).
/// @throws InputError(invalid_argument) for bad knobs; InputError(io) if an output exists and
///         `overwrite` is false (checked before anything is written).
CohortSummary simulate_cohort(const CohortOptions& options, const std::filesystem::path& dir,
                              bool overwrite = false);

}  // namespace escapade::sim
