#pragma once
/// @file
/// Conventions shared by every function of `escapade::stats`.
///
/// - Missing values (R's `NA`, an undefined statistic) are reported as a quiet NaN;
///   test with `std::isnan`. Infinite values (an odds ratio of ad/0) are ±infinity.
/// - Inputs are validated on entry: an empty sample, a NaN in the data or a bad option
///   raises `escapade::InputError` with kind `invalid_argument` (or `numeric` when the
///   data make the statistic impossible, such as a t test on constant data), with the
///   function name as `where`.
/// - Every function is pure: no global state, no printing; all are thread-safe.

#include <string_view>

namespace escapade::stats {

/// The alternative hypothesis (R's `alternative=`). For two-sample tests `greater` means
/// x tends to be larger than y; for an odds ratio it means OR > 1; for a correlation it
/// means a positive association.
enum class Alternative {
  two_sided,  ///< R "two.sided"
  less,       ///< R "less"
  greater,    ///< R "greater"
};

/// How a rank test computes its p-value.
enum class RankMethod {
  automatic,  ///< R's default choice (`exact = NULL`): exact for small samples without ties
  exact,      ///< the permutation distribution (falls back to `normal` with ties, as R does)
  normal,     ///< the normal approximation with tie correction
};

/// "two-sided", "less" or "greater".
[[nodiscard]] std::string_view to_string(Alternative alternative) noexcept;
/// "automatic", "exact" or "normal".
[[nodiscard]] std::string_view to_string(RankMethod method) noexcept;

}  // namespace escapade::stats
