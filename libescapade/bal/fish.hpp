#pragma once
/// @file
/// FISH on flow-sorted compartments: per-compartment positive/negative calls against a
/// per-probe cutoff, and the stem-cell-involvement call of seed 000 (SPEC "FISH on sorted
/// compartments").
///
/// Input is a tab-separated table whose first line (after blank lines and `#` comments) names
/// the columns, in any order; names ignore case, and spaces in them read as `_`:
///
/// | column | | meaning |
/// |---|---|---|
/// | `compartment` | required | a name from the alias table below |
/// | `probe` | required | e.g. "BCR-ABL1 DF"; cutoffs and overrides are per probe |
/// | `nuclei_scored` | required | whole number ≥ 1 |
/// | `nuclei_positive` | required | whole number, 0 … nuclei_scored |
/// | `cutoff` | optional | the lab's cutoff as a fraction ("0.015") or percent ("1.5%"), in [0, 1) |
/// | `false_positives_in_controls` | optional | with `control_nuclei`: the lab's normal-control validation |
/// | `control_nuclei` | optional | nuclei scored per normal control in that validation |
/// | `transcript` | optional | BCR-ABL1 transcript of the sample: P190/P210 (see `parse_transcript`) |
/// | `note`, `comment` | optional | free text, ignored |
///
/// An empty optional cell means "not given". Any other column is an error (so "cuttoff" cannot
/// silently fall back to the default cutoff).
///
/// Cutoff for a row, first that applies (`CutoffSource`): the row's `cutoff`; BETAINV from the
/// row's control columns; the probe's `FishOptions::probes` setting (a cutoff, or control data
/// through BETAINV); BETAINV from `FishOptions::default_controls`. BETAINV is the ACMG rule
/// SPEC names: the one-sided upper confidence bound of the normal-control false-positive rate,
/// `BETAINV(confidence, false_positives + 1, nuclei)` (Excel's argument order; the beta
/// quantile with shape parameters a = false_positives + 1 and b = nuclei, as the ACMG
/// technical standards for clinical cytogenetics write it; see `acmg_cutoff`).
///
/// A compartment is positive when nuclei_positive / nuclei_scored is strictly above the cutoff
/// (SPEC: "exceeds"). Stem-cell involvement (seed 000) is positive when any HSC, progenitor or
/// myeloid row is positive, for any probe.
///
/// Compartment names (after lower-casing, trimming and reading runs of spaces and `_` as one
/// `_`; `+` and `-` are kept because they carry meaning):
///
/// | compartment | seed 000 phenotype | accepted names |
/// |---|---|---|
/// | `hsc` | CD34+CD38−CD19− | hsc, hscs, hsc_enriched, hsc-enriched, stem, stem_cell, stem_cells, hsc_cd34+cd38-, hsc_cd34+cd38-cd19-, cd34+cd38-, cd34+cd38-cd19- |
/// | `progenitor` | CD34+CD38+CD19− | progenitor, progenitors, prog, hpc, progenitor_cd34+cd38+, progenitor_cd34+cd38+cd19-, cd34+cd38+, cd34+cd38+cd19- |
/// | `myeloid` | CD33+ or CD13+, CD19− | myeloid, myeloid_cd33+, myeloid_cd13+, myeloid_cd33+cd13+, cd33+, cd13+, cd33+cd19-, cd13+cd19-, cd33+/cd13+, myeloid_cells |
/// | `b_lineage` | CD19+ | b, b_lineage, b-lineage, b_cells, b-cells, b_cell, cd19+, b_cd19+ |
/// | `t_cells` | CD3+ | t, t_cells, t-cells, t_cell, t-lymphocytes, t_lymphocytes, cd3+, t_cd3+ |
///
/// Every bad row is reported in one error, with the line and reason of each; the library never
/// prints or aborts. No global state; every function is thread-safe.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"

namespace escapade::bal {

/// A flow-sorted compartment (seed 000's sort; SPEC "Stem/progenitor compartments").
enum class Compartment {
  hsc,         ///< HSC-enriched CD34+CD38−CD19−
  progenitor,  ///< CD34+CD38+CD19−
  myeloid,     ///< CD33+ or CD13+, CD19−
  b_lineage,   ///< CD19+ (the leukemic B-lineage compartment)
  t_cells,     ///< CD3+ (an internal negative control: T cells are outside the clone)
};

/// "hsc", "progenitor", "myeloid", "b_lineage", "t_cells".
[[nodiscard]] std::string_view to_string(Compartment compartment) noexcept;

/// True for the compartments whose involvement defines stem-cell involvement: hsc,
/// progenitor, myeloid (seed 000).
[[nodiscard]] bool is_stem_compartment(Compartment compartment) noexcept;

/// One row of the compartment alias table (file comment above).
struct CompartmentAlias {
  std::string_view name;  ///< normalized (lower case, `_` for spaces)
  Compartment compartment;
};

/// The alias table, in the order of the file comment. Points to static storage.
[[nodiscard]] std::span<const CompartmentAlias> compartment_aliases() noexcept;

/// The compartment a name denotes through the alias table, or nothing.
[[nodiscard]] std::optional<Compartment> parse_compartment(std::string_view name);

/// BCR-ABL1 transcript type (seed 000: stem-cell involvement is frequent with P210, rare with P190).
enum class Transcript {
  unknown,  ///< not given
  p190,     ///< minor breakpoint (m-bcr), e1a2
  p210,     ///< major breakpoint (M-bcr), e13a2/e14a2 (b2a2/b3a2)
};

/// "unknown", "P190", "P210".
[[nodiscard]] std::string_view to_string(Transcript transcript) noexcept;

/// The transcript a cell denotes, ignoring case: "P190", "p190", "e1a2", "minor", "m-bcr" →
/// p190; "P210", "e13a2", "e14a2", "b2a2", "b3a2", "major", "M-bcr" (capital M) → p210;
/// "", "unknown", "NA", "-" → unknown; anything else → nothing.
[[nodiscard]] std::optional<Transcript> parse_transcript(std::string_view text);

/// A lab's normal-control validation for a probe: the most false-positive nuclei seen in a
/// normal control, and the nuclei scored per control.
struct ControlData {
  unsigned false_positives = 0;
  unsigned nuclei = 0;
  friend bool operator==(const ControlData&, const ControlData&) = default;
};

/// BETAINV(confidence, false_positives + 1, nuclei): the ACMG normal cutoff (SPEC; the beta
/// quantile with a = false_positives + 1, b = nuclei, via Boost.Math `ibeta_inv`). With no
/// false positives it is 1 − (1 − confidence)^(1/nuclei): 0.0149 for 200 nuclei at 0.95.
/// @throws InputError(invalid_argument) if nuclei is 0, false_positives > nuclei, or
///         confidence is not strictly between 0 and 1.
[[nodiscard]] double acmg_cutoff(unsigned false_positives, unsigned nuclei, double confidence = 0.95);

/// A per-probe setting of the lab, applied when a row gives neither a cutoff nor control data.
struct ProbeSetting {
  std::string probe;                    ///< compared with the probe column ignoring ASCII case
  std::optional<double> cutoff;         ///< a fixed cutoff (fraction in [0, 1)); wins over controls
  std::optional<ControlData> controls;  ///< the probe's validation, through acmg_cutoff
};

/// How to read and call a FISH table.
struct FishOptions {
  /// Confidence of the ACMG upper bound (SPEC: 0.95, one-sided).
  double confidence = 0.95;
  /// Control data assumed when neither the row nor `probes` says anything about the cutoff:
  /// 1 false-positive nucleus among 200 scored, the common 200-nuclei normal-control scoring
  /// with one false positive (an observed false-positive rate of 0.5%), giving
  /// BETAINV(0.95, 2, 200) = 0.0234, i.e. a 2.34% cutoff. A lab's own validation data replace
  /// it per probe (`probes`) or per row; every call records which cutoff it used
  /// (`FishCall::cutoff_source`) and the report prints that basis.
  ControlData default_controls{1, 200};
  /// Per-probe cutoffs or control data (probe names unique ignoring case).
  std::vector<ProbeSetting> probes;
  /// Fewer nuclei scored than this in a row gives a warning (a single nucleus then moves the
  /// fraction by more than 1%); ACMG validations score 200 per sample.
  unsigned min_nuclei = 100;
};

/// Where a call's cutoff came from.
enum class CutoffSource {
  row_cutoff,        ///< the row's `cutoff` cell
  row_controls,      ///< acmg_cutoff of the row's control columns
  probe_cutoff,      ///< FishOptions::probes[…].cutoff
  probe_controls,    ///< acmg_cutoff of FishOptions::probes[…].controls
  default_controls,  ///< acmg_cutoff of FishOptions::default_controls
};

/// "row_cutoff", "row_controls", "probe_cutoff", "probe_controls", "default_controls".
[[nodiscard]] std::string_view to_string(CutoffSource source) noexcept;

/// One row's call, with every number it rests on.
struct FishCall {
  std::size_t line = 0;              ///< 1-based line in the table
  std::string compartment_name;      ///< as written
  Compartment compartment = Compartment::hsc;
  std::string probe;                 ///< as written (trimmed)
  unsigned nuclei_scored = 0;
  unsigned nuclei_positive = 0;
  double fraction = 0;               ///< nuclei_positive / nuclei_scored
  double cutoff = 0;                 ///< the fraction it had to exceed
  CutoffSource cutoff_source = CutoffSource::default_controls;
  /// The control data behind a BETAINV cutoff (row_controls, probe_controls, default_controls).
  std::optional<ControlData> controls;
  double confidence = 0.95;          ///< the BETAINV confidence (meaningful with `controls`)
  bool positive = false;             ///< fraction > cutoff
  /// The cutoff in words for a report, e.g. "BETAINV(0.95, 1 + 1, 200) = 2.34% (default
  /// control data: 1 false-positive nucleus in 200)" or "1.50% (cutoff column)".
  [[nodiscard]] std::string cutoff_basis() const;
  friend bool operator==(const FishCall&, const FishCall&) = default;
};

/// The stem-cell-involvement call.
enum class Involvement {
  not_evaluated,  ///< no HSC, progenitor or myeloid row
  negative,       ///< at least one of them scored, none positive
  positive,       ///< at least one of them positive
};

/// "not_evaluated", "negative", "positive".
[[nodiscard]] std::string_view to_string(Involvement involvement) noexcept;

/// A whole FISH table, called.
struct FishResult {
  std::string source;                                  ///< file name or "<memory>"
  Transcript transcript = Transcript::unknown;         ///< from the `transcript` column
  std::vector<FishCall> calls;                         ///< one per row, in file order
  Involvement stem_cell_involvement = Involvement::not_evaluated;
  /// Stem compartments (hsc, progenitor, myeloid) with a positive row, in enum order.
  std::vector<Compartment> involved;
  /// Stem compartments with no row at all, in enum order: a "negative" call did not see them.
  std::vector<Compartment> not_scored;
  std::vector<Warning> warnings;                       ///< few nuclei scored, and the like

  /// Whether `compartment` is positive for any probe; nothing if it has no row.
  [[nodiscard]] std::optional<bool> positive(Compartment compartment) const noexcept;
  /// One line: `FishResult(5 rows, stem-cell involvement positive: hsc, myeloid; P210)`.
  [[nodiscard]] std::string summary() const;
};

/// Reads and calls a FISH table held in memory (format in the file comment above).
/// @param tsv     the table text (UTF-8; a leading BOM and CR LF line ends are accepted).
/// @param source  name used in errors, warnings and FishResult::source.
/// @throws InputError(format) with `where` "line L" for a header without a required column,
///         with an unknown or repeated column, a missing header or a table without rows;
///         InputError(format) listing every bad row at once (`where` "line L" or
///         "lines L1, L2, …"; the reason "line L1: …; line L2: …") for a wrong cell count, a
///         value that is not a whole number, nuclei_positive > nuclei_scored, a cutoff outside
///         [0, 1), only one of the two control columns, an unknown compartment (listing the
///         accepted names) or transcript, a transcript that contradicts an earlier row, or a
///         compartment and probe given twice; InputError(invalid_argument) for bad options.
[[nodiscard]] FishResult parse_fish(std::string_view tsv, std::string_view source, const FishOptions& options = {});

/// Reads and calls a FISH table file; FishResult::source is the path as given.
/// @throws InputError(io) if the file cannot be read, or as parse_fish.
[[nodiscard]] FishResult read_fish_file(const std::filesystem::path& path, const FishOptions& options = {});

}  // namespace escapade::bal
