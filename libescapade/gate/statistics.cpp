// Population statistics of one channel (FlowJo's and FlowKit's per-population table).
// Percentiles are R's type 7, through stats/ (one sort, then every percentile).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "libescapade/base/error.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/stats/descriptive.hpp"

namespace escapade::gate {

ChannelStatistics channel_statistics(std::span<const double> values, const Membership& membership,
                                     std::span<const double> percentiles) {
  if (values.size() != membership.size()) {
    throw Error(ErrorKind::invalid_argument, "", "channel_statistics",
                fmt::format("{} values for a population over {} events", values.size(), membership.size()));
  }
  for (const double p : percentiles) {
    if (!(p >= 0.0 && p <= 100.0)) {
      throw Error(ErrorKind::invalid_argument, "", "channel_statistics",
                  fmt::format("percentile {} is outside [0, 100]", p));
    }
  }
  std::vector<double> x;
  x.reserve(membership.count());
  for (const std::size_t i : membership.indices()) {
    if (!std::isnan(values[i])) x.push_back(values[i]);
  }
  ChannelStatistics s;
  s.count = x.size();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (x.empty()) {
    s.mean = s.median = s.geometric_mean = s.sd = s.robust_sd = s.cv = s.robust_cv = s.min = s.max = nan;
    s.percentiles.assign(percentiles.size(), nan);
    return s;
  }
  // Two passes in long double: the mean, then the squared deviations (R `mean`, `sd`).
  long double sum = 0;
  long double log_sum = 0;
  std::size_t positive = 0;
  for (const double v : x) {
    sum += v;
    if (v > 0) {
      log_sum += std::log(static_cast<long double>(v));
      ++positive;
    }
  }
  const long double mean = sum / static_cast<long double>(x.size());
  long double squares = 0;
  for (const double v : x) squares += (v - mean) * (v - mean);
  s.mean = static_cast<double>(mean);
  s.sd = x.size() < 2 ? nan : static_cast<double>(std::sqrt(squares / static_cast<long double>(x.size() - 1)));
  s.geometric_mean = positive == 0 ? nan : static_cast<double>(std::exp(log_sum / static_cast<long double>(positive)));
  s.cv = 100.0 * s.sd / s.mean;

  std::sort(x.begin(), x.end());
  s.min = x.front();
  s.max = x.back();
  s.median = stats::quantile_sorted(x, 0.5);
  // FlowJo: rSD = ½(P84.13 − P15.87), the half-width holding 68.26 % of events around the
  // median; rCV = 100·rSD/median.
  s.robust_sd = 0.5 * (stats::quantile_sorted(x, 0.8413) - stats::quantile_sorted(x, 0.1587));
  s.robust_cv = 100.0 * s.robust_sd / s.median;
  for (const double p : percentiles) s.percentiles.push_back(stats::quantile_sorted(x, p / 100.0));
  return s;
}

}  // namespace escapade::gate
