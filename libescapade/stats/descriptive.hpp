#pragma once
/// @file
/// Descriptive statistics of one sample (R `mean`, `sd`, `median`, `quantile`).

#include <cstddef>
#include <span>

#include "libescapade/stats/common.hpp"

namespace escapade::stats {

/// The usual summary of one sample. NA (NaN) where R gives NA.
struct Descriptive {
  std::size_t n = 0;          ///< number of values
  double mean = 0;            ///< arithmetic mean (R `mean`)
  double sd = 0;              ///< standard deviation, n - 1 denominator (R `sd`); NaN for n = 1
  double median = 0;          ///< R `median`
  double q1 = 0;              ///< first quartile, R `quantile(type = 7)`
  double q3 = 0;              ///< third quartile, R `quantile(type = 7)`
  double iqr = 0;             ///< q3 - q1 (R `IQR`)
  double min = 0;             ///< smallest value
  double max = 0;             ///< largest value
  double geometric_mean = 0;  ///< exp(mean(log x)); NaN if any x <= 0
  double cv_percent = 0;      ///< 100 · sd / mean; NaN for n = 1
};

/// Summarises `x` as R's `mean`, `sd`, `median`, `quantile(type = 7)` and `IQR` do.
/// @param[in] x the sample; not retained.
/// @throws InputError(invalid_argument) if `x` is empty or holds a NaN or an infinity.
[[nodiscard]] Descriptive describe(std::span<const double> x);

/// Arithmetic mean, accumulated in long double with R's second refinement pass (R `mean`).
/// @throws InputError(invalid_argument) if `x` is empty.
[[nodiscard]] double mean(std::span<const double> x);

/// Sample variance with the n - 1 denominator (R `var`); NaN for n = 1.
/// @throws InputError(invalid_argument) if `x` is empty.
[[nodiscard]] double variance(std::span<const double> x);

/// Sample standard deviation (R `sd`); NaN for n = 1.
/// @throws InputError(invalid_argument) if `x` is empty.
[[nodiscard]] double standard_deviation(std::span<const double> x);

/// The p-quantile by R's default definition (`quantile(x, p, type = 7)`):
/// with sorted x and h = (n - 1)p, x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋]).
/// @throws InputError(invalid_argument) if `x` is empty, holds a NaN, or p is outside [0, 1].
[[nodiscard]] double quantile(std::span<const double> x, double p);

/// `quantile` of values already sorted ascending, with no checks: for callers that take
/// several quantiles of one sample and sort it once. `sorted` must be non-empty and NaN-free,
/// p in [0, 1].
[[nodiscard]] double quantile_sorted(std::span<const double> sorted, double p);

/// The median (R `median`).
/// @throws InputError(invalid_argument) if `x` is empty or holds a NaN.
[[nodiscard]] double median(std::span<const double> x);

}  // namespace escapade::stats
