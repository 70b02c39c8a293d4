#pragma once
/// @file
/// Hypothesis tests: contingency tables (Fisher, chi-square), rank tests (Mann-Whitney,
/// Wilcoxon signed-rank, Kruskal-Wallis, Spearman) and t tests, each reproducing the
/// named R function (R 4.2 `stats`) to the last few bits.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "libescapade/stats/common.hpp"

namespace escapade::stats {

// ---------------------------------------------------------------- Fisher's exact test

/// A 2 × 2 table of counts `{{a, b}, {c, d}}`: rows are groups, columns the outcome
/// (yes, no); `a` is the tested cell and the sample odds ratio is ad/bc.
using Table2x2 = std::array<std::array<std::int64_t, 2>, 2>;

/// Options of `fisher_exact_2x2`.
struct FisherOptions {
  Alternative alternative = Alternative::two_sided;  ///< picks `p_value` and the CI form
  double conf_level = 0.95;                          ///< level of `conf_int`, in (0, 1)
};

/// The result of `fisher_exact_2x2`.
struct FisherResult {
  double p_value = 0;      ///< the p-value of `options.alternative`
  double p_two_sided = 0;  ///< Σ P(x) over tables with P(x) <= P(observed)·(1 + 1e-7)
  double p_less = 0;       ///< P(X <= a)
  double p_greater = 0;    ///< P(X >= a)
  /// Conditional maximum-likelihood odds ratio (noncentral hypergeometric), as R reports
  /// it, but found to full precision; 0 / +inf when a is at its minimum / maximum; NaN
  /// when a margin is zero.
  double odds_ratio = 0;
  /// Exact confidence interval for the odds ratio at `conf_level` (one-sided for a
  /// one-sided alternative, with 0 or +inf as the open bound).
  std::array<double, 2> conf_int{};
  double sample_odds_ratio = 0;  ///< ad/bc; +inf when bc = 0 < ad; NaN when ad = bc = 0
};

/// Fisher's exact test of a 2 × 2 table (R `stats::fisher.test`). The odds ratio and its
/// interval are the roots R's `uniroot` approximates, found here to about 1e-12.
/// A table with a zero row or column sum gives p = 1, odds ratio NaN and CI [0, inf].
/// @throws InputError(invalid_argument) if a count is negative or conf_level is not in (0, 1).
[[nodiscard]] FisherResult fisher_exact_2x2(const Table2x2& table, const FisherOptions& options = {});

// ---------------------------------------------------------------- chi-square test

/// Options of `chisq_test`.
struct ChiSquareOptions {
  /// Yates' continuity correction, applied to 2 × 2 tables only (R `correct = TRUE`):
  /// min(0.5, |O - E|) is taken off every |O - E|.
  bool correct = true;
};

/// The result of `chisq_test`.
struct ChiSquareResult {
  double statistic = 0;                       ///< Pearson's X² (NaN if an expected count is 0)
  int df = 0;                                 ///< (r - 1)(c - 1)
  double p_value = 0;                         ///< upper chi-square tail
  bool corrected = false;                     ///< whether Yates' correction was applied
  std::vector<std::vector<double>> expected;  ///< row total × column total / N
};

/// Pearson's chi-square test of independence of an r × c table (R `stats::chisq.test`).
/// @param[in] table rows of non-negative counts, all rows the same length, r, c >= 2.
/// @throws InputError(invalid_argument) if the table is ragged, smaller than 2 × 2, has a
///         negative or non-finite count, or sums to 0.
[[nodiscard]] ChiSquareResult chisq_test(const std::vector<std::vector<double>>& table,
                                         const ChiSquareOptions& options = {});

// ---------------------------------------------------------------- Mann-Whitney U

/// Options of `mann_whitney_u`.
struct MannWhitneyOptions {
  Alternative alternative = Alternative::two_sided;  ///< `greater`: x tends to exceed y
  RankMethod method = RankMethod::automatic;         ///< automatic: exact iff n1, n2 < 50 and no ties (R)
  bool correct = true;  ///< continuity correction of the normal approximation (R `correct`)
};

/// The result of `mann_whitney_u`.
struct MannWhitneyResult {
  double u = 0;           ///< U of x = R1 - n1(n1+1)/2; this is R's `W` and SciPy's statistic
  double rank_sum_x = 0;  ///< R1, the rank sum of x (Wilcoxon's W)
  double u_min = 0;       ///< min(U, n1·n2 - U)
  double z = 0;           ///< the normal deviate behind p (NaN for the exact method)
  double p_value = 0;
  RankMethod method_used = RankMethod::exact;  ///< exact or normal
};

/// The Wilcoxon rank-sum / Mann-Whitney U test (R `stats::wilcox.test(x, y)`).
/// Exact p-values use the permutation distribution of U; exact with ties falls back to
/// the normal approximation, as R does. When every value is tied, z and p are NaN (R: NaN).
/// @throws InputError(invalid_argument) if x or y is empty or holds a NaN, or if an exact
///         distribution is asked for samples too large to tabulate (min(n1,n2)·n1·n2·N > 2e9).
[[nodiscard]] MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y,
                                               const MannWhitneyOptions& options = {});

// ---------------------------------------------------------------- Wilcoxon signed-rank

/// How the signed-rank test treats zero differences.
enum class ZeroMethod {
  wilcox,  ///< drop zeros before ranking (R's only behaviour)
  pratt,   ///< rank zeros with the rest, then leave their ranks out (SciPy `zero_method='pratt'`)
};

/// Options of `wilcoxon_signed_rank`.
struct SignedRankOptions {
  Alternative alternative = Alternative::two_sided;  ///< `greater`: x - y tends to be positive
  RankMethod method = RankMethod::automatic;         ///< automatic: exact iff n_used < 50, no ties, no zeros (R)
  bool correct = true;                               ///< continuity correction (R `correct = TRUE`)
  ZeroMethod zero_method = ZeroMethod::wilcox;       ///< R drops zeros
};

/// The result of `wilcoxon_signed_rank`.
struct SignedRankResult {
  double v = 0;            ///< Σ ranks of |d| over d > 0 (R's `V`)
  double r_minus = 0;      ///< Σ ranks of |d| over d < 0
  double t_min = 0;        ///< min(V, r_minus)
  std::size_t n_used = 0;  ///< differences ranked (non-zero ones; all of them under Pratt)
  std::size_t n_zero = 0;  ///< zero differences
  double z = 0;            ///< normal deviate in the V orientation (NaN for the exact method)
  double p_value = 0;
  RankMethod method_used = RankMethod::exact;  ///< exact or normal
};

/// The paired Wilcoxon signed-rank test of d = x - y (R `stats::wilcox.test(x, y,
/// paired = TRUE)`; Pratt's zero handling as SciPy `stats.wilcoxon`). Exact p-values use
/// the 2^n sign-flip distribution; with ties or zeros the normal approximation is used.
/// @throws InputError(invalid_argument) if x and y differ in length, are empty or hold a
///         NaN, or if an exact distribution is asked for more than 2000 differences;
///         InputError(numeric) if every difference is zero.
[[nodiscard]] SignedRankResult wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y,
                                                    const SignedRankOptions& options = {});

// ---------------------------------------------------------------- t tests

/// Options of the t tests.
struct TTestOptions {
  Alternative alternative = Alternative::two_sided;
  double mu = 0;             ///< the null difference of means (R `mu`)
  double conf_level = 0.95;  ///< level of `conf_int`, in (0, 1)
};

/// The result of a t test.
struct TTestResult {
  double t = 0;   ///< (estimate difference - mu) / std_error
  double df = 0;  ///< degrees of freedom (Welch-Satterthwaite for Welch, not an integer)
  double p_value = 0;
  std::array<double, 2> conf_int{};  ///< for the difference; ±inf as the open one-sided bound
  std::vector<double> estimate;      ///< paired: {mean of x - y}; two-sample: {mean x, mean y}
  double std_error = 0;              ///< standard error of the difference (R `stderr`)
};

/// Paired t test of x - y (R `stats::t.test(x, y, paired = TRUE)`).
/// @throws InputError(invalid_argument) if the lengths differ or n < 2; InputError(numeric)
///         if the differences are constant ("data are essentially constant").
[[nodiscard]] TTestResult t_test_paired(std::span<const double> x, std::span<const double> y,
                                        const TTestOptions& options = {});
/// Welch's two-sample t test (R `stats::t.test(x, y)`, `var.equal = FALSE`).
/// @throws InputError(invalid_argument) if a sample has fewer than 2 values;
///         InputError(numeric) if both samples are constant.
[[nodiscard]] TTestResult t_test_welch(std::span<const double> x, std::span<const double> y,
                                       const TTestOptions& options = {});
/// Student's two-sample t test with pooled variance (R `stats::t.test(x, y, var.equal = TRUE)`).
/// @throws InputError(invalid_argument) if n1 + n2 < 3 or a sample is empty;
///         InputError(numeric) if both samples are constant.
[[nodiscard]] TTestResult t_test_student(std::span<const double> x, std::span<const double> y,
                                         const TTestOptions& options = {});

// ---------------------------------------------------------------- Kruskal-Wallis

/// The result of `kruskal_wallis`.
struct KruskalWallisResult {
  double h = 0;        ///< tie-corrected H; NaN when every value is tied
  int df = 0;          ///< k - 1
  double p_value = 0;  ///< upper chi-square tail
};

/// The Kruskal-Wallis rank-sum test (R `stats::kruskal.test`).
/// @param[in] groups the samples; at least two, each non-empty.
/// @throws InputError(invalid_argument) if fewer than 2 groups, an empty group, or a NaN.
[[nodiscard]] KruskalWallisResult kruskal_wallis(const std::vector<std::vector<double>>& groups);

// ---------------------------------------------------------------- Spearman

/// How `SpearmanResult::p_value` was computed (R `cor.test(method = "spearman")` default).
enum class SpearmanMethod {
  exact_permutation,  ///< no ties, n <= 9: full enumeration (AS 89)
  edgeworth,          ///< no ties, 10 <= n < 1290: AS 89 Edgeworth series
  t_approximation,    ///< ties, or n >= 1290: t with n - 2 df
};

/// Options of `spearman`.
struct SpearmanOptions {
  Alternative alternative = Alternative::two_sided;  ///< `greater`: positive association
};

/// The result of `spearman`.
struct SpearmanResult {
  double rho = 0;        ///< Pearson correlation of the midranks (NaN if a sample is constant)
  double s = 0;          ///< R's statistic S = (n³ - n)(1 - rho)/6
  double p_value_t = 0;  ///< t approximation, t = rho·sqrt((n-2)/(1-rho²)), n - 2 df
  double p_value = 0;    ///< what R prints by default (see `method`)
  SpearmanMethod method = SpearmanMethod::t_approximation;
  bool ties = false;  ///< whether x or y has ties
};

/// Spearman's rank correlation and its test (R `stats::cor.test(x, y, method = "spearman")`).
/// @throws InputError(invalid_argument) if the lengths differ, n < 3, or a value is NaN.
[[nodiscard]] SpearmanResult spearman(std::span<const double> x, std::span<const double> y,
                                      const SpearmanOptions& options = {});

/// "exact_permutation", "edgeworth" or "t_approximation".
[[nodiscard]] std::string_view to_string(SpearmanMethod method) noexcept;

}  // namespace escapade::stats
