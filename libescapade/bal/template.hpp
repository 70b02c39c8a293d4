#pragma once
/// @file
/// Gating templates and review overrides: the lab-editable TOML files that say which of the
/// analysis's gates are found from the data and which are fixed, the limits, and what a
/// reviewer changed.
///
/// A template (share/templates/bal_escape.toml is the shipped one):
///
///     [template]
///     name = "bal_escape"
///     description = "..."
///     [limits]
///     lod_events = 20        # below: "< LOD"
///     lloq_events = 50       # below: detected, not quantifiable
///     [flags]
///     pre_escape_reference_pct = 2.1
///     [gates.CD19]
///     mode = "auto"          # found from the data (default), or "fixed"
///     value = 0.42           # with mode = "fixed": the cut in display units (see cut_names)
///
/// A review file, for one sample; the analysis reruns deterministically with these cuts and
/// records who set them:
///
///     [review]
///     reviewer = "J. Doe"
///     [gates.CD22]
///     value = 0.41
///     reason = "the automatic cut splits the pre-escape cluster"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/flags.hpp"

namespace escapade::bal {

struct GatingTemplate {
  std::string name = "bal_escape";
  std::string description;
  std::string source;  ///< file name or "<builtin:bal_escape>"
  Limits limits;
  FlagOptions flags;
  /// Gates with mode = "fixed": cut name → value (set_by "template <name>").
  std::map<std::string, FixedCut> fixed;
};

/// @throws InputError(format) naming the line and column for bad TOML, an unknown key, an
///         unknown gate name (listing cut_names), mode = "fixed" without a value, limits
///         that are not whole numbers with 0 < lod ≤ lloq.
[[nodiscard]] GatingTemplate parse_template(std::string_view toml, std::string_view source);
[[nodiscard]] GatingTemplate read_template_file(const std::filesystem::path& path);
/// The shipped escape template: every gate data-driven, LOD 20, LLOQ 50 (SPEC.md).
[[nodiscard]] GatingTemplate builtin_template();

/// Reads a review file: cut name → value, set_by "reviewer <name>", reason.
/// @throws InputError(format) as parse_template; a review without [review] reviewer.
[[nodiscard]] std::map<std::string, FixedCut> parse_review(std::string_view toml, std::string_view source);
[[nodiscard]] std::map<std::string, FixedCut> read_review_file(const std::filesystem::path& path);

/// Analysis options from a template and a review (the review wins over a fixed template gate).
[[nodiscard]] AnalysisOptions analysis_options(const GatingTemplate& tmpl,
                                               const std::map<std::string, FixedCut>& review = {});

}  // namespace escapade::bal
