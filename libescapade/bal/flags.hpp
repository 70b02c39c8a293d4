#pragma once
/// @file
/// The risk flags of SPEC.md ("Risk flags"; research use, stated as evidence, not as a
/// diagnosis): each flag says whether it is raised, or why it could not be evaluated, and
/// gives the numbers behind it.

#include <optional>
#include <string>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/fish.hpp"

namespace escapade::bal {

enum class FlagState { raised, not_raised, not_evaluated };
[[nodiscard]] std::string_view to_string(FlagState state) noexcept;

struct Flag {
  std::string name;      ///< pre_escape_present, pre_escape_high, stem_cell_involvement, pre_escape_rising
  FlagState state = FlagState::not_evaluated;
  std::string evidence;  ///< the numbers, in words
};

struct FlagOptions {
  /// `pre_escape_high` is raised above this % of CD34+. SPEC's default is the cohort mean;
  /// for a single sample the default is seed 001's mean at diagnosis (2.1 %), and the cohort
  /// runner passes its own mean.
  double pre_escape_reference_pct = 2.1;
  std::string reference_source = "seed 001 mean at diagnosis";
};

/// The per-sample flags: pre_escape_present (CD34+CD19−CD22+ at or above the LOD),
/// pre_escape_high (its % of CD34+ above the reference, when quantifiable) and
/// stem_cell_involvement (from FISH; not evaluated without it).
[[nodiscard]] std::vector<Flag> sample_flags(const Analysis& analysis, const FishResult* fish,
                                             const FlagOptions& options = {});

/// One sample of a patient's series, for the trend flag.
struct SeriesPoint {
  double time_months = 0;
  std::size_t events = 0;   ///< pre_escape events
  double pct_of_cd34 = 0;   ///< pre_escape % of CD34+
  Status status = Status::quantified;
};

/// pre_escape_rising: the latest sample is quantifiable and at least `fold` times the lowest
/// earlier quantifiable value, or quantifiable after earlier samples below the LOD. Not
/// evaluated with fewer than two samples.
[[nodiscard]] Flag trend_flag(std::vector<SeriesPoint> series, double fold = 2.0);

}  // namespace escapade::bal
