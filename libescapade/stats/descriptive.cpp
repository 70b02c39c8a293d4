#include "libescapade/stats/descriptive.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "libescapade/stats/detail/support.hpp"

namespace escapade::stats {

namespace {

// R's mean: a long double sum, then one refinement pass over the residuals.
double mean_unchecked(std::span<const double> x) {
  long double s = 0;
  for (double v : x) s += v;
  const auto n = static_cast<long double>(x.size());
  s /= n;
  if (std::isfinite(static_cast<double>(s))) {
    long double t = 0;
    for (double v : x) t += static_cast<long double>(v) - s;
    s += t / n;
  }
  return static_cast<double>(s);
}

double variance_unchecked(std::span<const double> x) {
  if (x.size() < 2) return detail::na;
  const long double m = mean_unchecked(x);
  long double ss = 0;
  for (double v : x) {
    const long double d = static_cast<long double>(v) - m;
    ss += d * d;
  }
  return static_cast<double>(ss / static_cast<long double>(x.size() - 1));
}


// R's median: the middle value, or the mean of the two middle values.
double median_sorted(const std::vector<double>& sorted) {
  const std::size_t half = sorted.size() / 2;
  return sorted.size() % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2.0;
}

std::vector<double> sorted_checked(std::span<const double> x, std::string_view where) {
  detail::require_finite(x, where, "x");
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace

double mean(std::span<const double> x) {
  detail::require_finite(x, "mean", "x");
  return mean_unchecked(x);
}

double variance(std::span<const double> x) {
  detail::require_finite(x, "variance", "x");
  return variance_unchecked(x);
}

double standard_deviation(std::span<const double> x) {
  detail::require_finite(x, "standard_deviation", "x");
  return std::sqrt(variance_unchecked(x));
}

// Type 7 on sorted data, with R's (1 - h)·lo + h·hi.
double quantile_sorted(std::span<const double> sorted, double p) {
  const double index = static_cast<double>(sorted.size() - 1) * p;
  const double lo = std::floor(index);
  const double hi = std::ceil(index);
  const double qlo = sorted[static_cast<std::size_t>(lo)];
  const double qhi = sorted[static_cast<std::size_t>(hi)];
  const double h = index - lo;
  if (index > lo && qhi != qlo) return (1 - h) * qlo + h * qhi;
  return qlo;
}

double quantile(std::span<const double> x, double p) {
  if (!(p >= 0 && p <= 1)) detail::fail("quantile", "p must lie in [0, 1]");
  return quantile_sorted(sorted_checked(x, "quantile"), p);
}

double median(std::span<const double> x) { return median_sorted(sorted_checked(x, "median")); }

Descriptive describe(std::span<const double> x) {
  const std::vector<double> sorted = sorted_checked(x, "describe");
  Descriptive d;
  d.n = x.size();
  d.mean = mean_unchecked(x);
  d.sd = std::sqrt(variance_unchecked(x));
  d.median = median_sorted(sorted);
  d.q1 = quantile_sorted(sorted, 0.25);
  d.q3 = quantile_sorted(sorted, 0.75);
  d.iqr = d.q3 - d.q1;
  d.min = sorted.front();
  d.max = sorted.back();
  if (sorted.front() > 0) {
    std::vector<double> logs(x.size());
    std::transform(x.begin(), x.end(), logs.begin(), [](double v) { return std::log(v); });
    d.geometric_mean = std::exp(mean_unchecked(logs));
  } else {
    d.geometric_mean = detail::na;
  }
  d.cv_percent = d.n > 1 ? 100.0 * d.sd / d.mean : detail::na;
  return d;
}

}  // namespace escapade::stats
