#pragma once
/// @file
/// The per-sample escape-risk analysis (issues 5 and 10; SPEC.md "Populations"): from one
/// bone-marrow FCS data set and a panel, with no hand-gating, find singlets (FSC-A/FSC-H, or
/// FSC-W alone) → cells (debris and dead cells out by scatter) → CD45+ leukocytes, and the
/// CD34+ cells of a CD45-dim SSC-low region → the CD19 × CD22 quadrant within CD34+
/// (pre_escape CD34+CD19−CD22+, b_committed, cd19_only, non_b); with CD38, the HSC-enriched
/// CD34+CD38−CD19− and progenitor CD34+CD38+CD19− compartments (seed 000); with the sort
/// panel's CD3, CD33 and CD13, the lineage compartments of seed 000 over all leukocytes.
/// Markers the tube lacks leave their populations out, listed in `Analysis::not_measured`.
///
/// Cuts come from biology, not from the shape of one histogram: reference populations are
/// found from scatter and CD45 before any cut they serve (granulocytes, lymphocytes, their
/// CD19− T/NK part, monocytes) and give each marker its negative level; a population above
/// the reference negatives is never read as negative, and a density valley or a Gaussian
/// mixture only refines a cut between the levels. Presence of pre-escape cells is judged
/// against the sample's own blank (CLSI EP17) as well as the fixed LOD.
///
/// Every data-driven cut is kept with its evidence and QC flag; a reviewer may fix any of
/// them (`AnalysisOptions::overrides`) and the analysis reruns deterministically, recording
/// that a human set it. The cuts become an ordinary `gate::GatingPlan` (compensation by the
/// file's spillover, logicle per channel), which is applied once to give the counts — so
/// what is reported is exactly what the plan, exported as Gating-ML for a sorter or drawn on
/// a plot, says.

#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "libescapade/autogate/autogate.hpp"
#include "libescapade/bal/panel.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"

namespace escapade::bal {

/// Limits of detection and quantification (SPEC.md: ICCS/EuroFlow practice).
struct Limits {
  std::size_t lod_events = 20;   ///< fewer events: below the limit of detection
  std::size_t lloq_events = 50;  ///< fewer events: detected but not quantifiable
};

/// The data-driven gates a reviewer can fix (the keys of `AnalysisOptions::overrides`).
/// Values are in the gate's display units: logicle units (0–1) for fluorescence and SSC
/// cuts, FSC-A/FSC-H for the singlet ratio, FSC-A scale values for the debris cut.
inline constexpr const char* cut_names[] = {"singlet_ratio", "singlet_width", "debris_fsc", "dead_fsc", "viability", "CD45",
                                            "SSC_low",       "CD45_bright", "CD34",  "CD34_fsc",       "CD19",      "CD22",
                                            "CD38",          "B_lineage_CD19", "CD3",   "CD33",
                                            "CD13"};

/// A cut fixed instead of found: by the gating template (a fixed gate) or by a reviewer.
struct FixedCut {
  double value = 0;
  std::string set_by;  ///< "template bal_escape", "reviewer J. Doe"
  std::string reason;  ///< why, as the reviewer wrote it (may be empty)
};

struct AnalysisOptions {
  Limits limits;
  /// An FMO or negative-control tube of the same sample (same panel, without the CD19 and
  /// CD22 stains): when given, the CD19 and CD22 cuts are its 99.5th percentile within the
  /// same parent (CD34+ SSC-low, then CD34+CD19−), gated with the sample's own cuts.
  const fcs::DataSet* negative_control = nullptr;
  /// Cut name (see cut_names) → the fixed value that replaces the data-driven one.
  std::map<std::string, FixedCut> overrides;
  int num_threads = 0;
};

/// One data-driven (or overridden) cut and the evidence for it.
struct Cut {
  std::string name;        ///< one of cut_names
  std::string channel;     ///< $PnN the cut is on ("FSC-A/FSC-H" for the ratio)
  std::string population;  ///< the events it was found from ("singlets", "CD34+ SSC-low")
  double value = 0;        ///< in display units (see cut_names)
  double data_value = 0;   ///< the same cut in the channel's scale values (compensated)
  autogate::ThresholdMethod method = autogate::ThresholdMethod::valley;
  std::string evidence;    ///< autogate's evidence line, or who set it
  bool weak = false;       ///< QC flag: review this gate
  bool overridden = false; ///< fixed by the template or a reviewer (see set_by)
  std::string set_by;      ///< FixedCut::set_by when overridden
  double found = 0;        ///< the data-driven value, even when overridden
  /// The reference populations (plan ids: "ref_lymphocytes", "ref_t_nk", …) whose events set
  /// or bounded the cut, found independently of it; empty when the cut used none.
  std::vector<std::string> references;
};

/// How a count compares with the limits.
enum class Status { quantified, below_lloq, below_lod };
[[nodiscard]] std::string_view to_string(Status status) noexcept;

/// A reported population with its numerator and both denominators (SPEC.md).
struct PopulationCount {
  std::string name;       ///< "pre_escape", "b_committed", …, "hsc", "progenitor"
  std::string phenotype;  ///< "CD34+CD19−CD22+"
  std::string gate;       ///< its population id in the plan
  std::size_t events = 0;
  double pct_of_cd34 = 0;        ///< 100·events / CD34+ SSC-low events; NaN below LOD CD34+ events
  double pct_of_leukocytes = 0;  ///< 100·events / CD45+ leukocytes
  Status status = Status::quantified;
  /// The limit of detection of this sample as a % of CD34+ (100·lod_events / CD34+ events):
  /// "< LOD (x%)" when below it.
  double lod_pct_of_cd34 = 0;
  /// Exact (Garwood) 95 % interval of the event count.
  double ci_low = 0;
  double ci_high = 0;
  /// Limit of blank (CLSI EP17), for a gate with a blank model (pre_escape): the events the
  /// gate would catch from its neighbours' tails with no target cell present (NaN: no model),
  /// and the 95th percentile of that Poisson count. Presence needs more events than
  /// `lob_events` as well as the fixed LOD: otherwise the status is below_lod.
  double blank_events = std::numeric_limits<double>::quiet_NaN();
  std::size_t lob_events = 0;
  /// `12.3` or `< LOD (0.42%)`, as a report prints the % of CD34+.
  [[nodiscard]] std::string display() const;
};

/// Quality of the acquisition.
struct Quality {
  std::size_t events = 0;
  double singlet_pct = 0;        ///< % of events kept as singlets
  double cells_pct = 0;          ///< % of singlets that are neither debris nor dead
  double leukocyte_pct = 0;      ///< % of cells that are CD45+
  /// Time stability: CV (%) of the event rate over 10 equal time slices (NaN without Time).
  double time_rate_cv = 0;
  std::vector<std::string> flags;  ///< human-readable QC problems (weak gates, few events)
};

/// A population the template defines but this tube cannot measure (a stain it lacks).
struct NotMeasured {
  std::string name;       ///< "pre_escape"
  std::string phenotype;  ///< "CD34+CD19−CD22+"
  std::string reason;     ///< "the tube has no CD22 stain"
};

/// The result of one sample.
struct Analysis {
  std::string source;      ///< the FCS file
  MarkerMap markers;       ///< panel entries → channels
  gate::GatingPlan plan;   ///< the gating applied (ids: singlets, cells, leukocytes, cd34, …)
  gate::GatingResult result;
  std::vector<Cut> cuts;   ///< every data-driven gate, in gating order
  std::vector<PopulationCount> populations;
  std::vector<NotMeasured> not_measured;  ///< populations this tube's stains cannot give
  std::size_t leukocytes = 0;  ///< CD45+ events (the leukocyte denominator)
  std::size_t cd34 = 0;        ///< CD34+ SSC-low leukocytes (the CD34 denominator)
  Quality quality;
  Limits limits;
  std::vector<Warning> warnings;

  /// The population named `name`, or nullptr.
  [[nodiscard]] const PopulationCount* find(std::string_view name) const noexcept;
};

/// Analyses one data set (scale values, as `fcs::read_fcs_file` gives them).
/// @param source the file name, for errors and the report.
/// @throws InputError(reference) from `resolve_markers` when a required marker is missing
///         (listing what the file has); InputError(invalid_argument) for an unknown override.
[[nodiscard]] Analysis analyze(const fcs::DataSet& data, const Panel& panel, const std::string& source,
                               const AnalysisOptions& options = {});

}  // namespace escapade::bal
