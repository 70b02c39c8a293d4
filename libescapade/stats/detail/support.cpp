#include "libescapade/stats/detail/support.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/policies/policy.hpp>
#include <cmath>
#include <numeric>

namespace escapade::stats::detail {

namespace {

namespace bp = boost::math::policies;
using Quiet = bp::policy<bp::domain_error<bp::ignore_error>, bp::pole_error<bp::ignore_error>,
                         bp::overflow_error<bp::ignore_error>, bp::evaluation_error<bp::ignore_error>,
                         bp::rounding_error<bp::ignore_error>>;
using Normal = boost::math::normal_distribution<double, Quiet>;
using StudentT = boost::math::students_t_distribution<double, Quiet>;
using ChiSquared = boost::math::chi_squared_distribution<double, Quiet>;

}  // namespace

void fail(std::string_view where, std::string reason, ErrorKind kind) {
  throw InputError(kind, "stats", std::string(where), std::move(reason));
}

void require_finite(std::span<const double> x, std::string_view where, std::string_view name, std::size_t min_size) {
  if (x.size() < min_size) {
    if (min_size <= 1) fail(where, std::string(name) + " is empty");
    fail(where, std::string(name) + " needs at least " + std::to_string(min_size) + " values, has " +
                    std::to_string(x.size()));
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      fail(where, std::string(name) + "[" + std::to_string(i) + "] is not a finite number");
    }
  }
}

void require_level(double conf_level, std::string_view where) {
  if (!(conf_level > 0 && conf_level < 1)) {
    fail(where, "conf_level must lie in (0, 1), got " + std::to_string(conf_level));
  }
}

std::vector<double> midranks(std::span<const double> x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> ranks(x.size());
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

std::vector<double> tie_sizes(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> sizes;
  std::size_t i = 0;
  while (i < sorted.size()) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[i]) ++j;
    if (j > i) sizes.push_back(static_cast<double>(j - i + 1));
    i = j + 1;
  }
  return sizes;
}

double tie_sum(std::span<const double> values) {
  double total = 0;
  for (double t : tie_sizes(values)) total += t * t * t - t;
  return total;
}

double pnorm(double z, bool lower_tail) {
  if (std::isnan(z)) return na;
  if (std::isinf(z)) return (z > 0) == lower_tail ? 1.0 : 0.0;
  const Normal dist(0.0, 1.0);
  return lower_tail ? boost::math::cdf(dist, z) : boost::math::cdf(boost::math::complement(dist, z));
}

double qnorm(double p) {
  if (std::isnan(p) || p < 0 || p > 1) return na;
  if (p == 0) return -inf;
  if (p == 1) return inf;
  return boost::math::quantile(Normal(0.0, 1.0), p);
}

double pt(double t, double df, bool lower_tail) {
  if (std::isnan(t) || !(df > 0)) return na;
  if (std::isinf(t)) return (t > 0) == lower_tail ? 1.0 : 0.0;
  const StudentT dist(df);
  return lower_tail ? boost::math::cdf(dist, t) : boost::math::cdf(boost::math::complement(dist, t));
}

double qt(double p, double df) {
  if (std::isnan(p) || p < 0 || p > 1 || !(df > 0)) return na;
  if (p == 0) return -inf;
  if (p == 1) return inf;
  return boost::math::quantile(StudentT(df), p);
}

double pchisq_upper(double x, double df) {
  if (std::isnan(x) || !(df > 0)) return na;
  if (x <= 0) return 1.0;
  if (std::isinf(x)) return 0.0;
  return boost::math::cdf(boost::math::complement(ChiSquared(df), x));
}

}  // namespace escapade::stats::detail
