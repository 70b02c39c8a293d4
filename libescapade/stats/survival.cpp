// Kaplan-Meier (R survival::survfit) and the log-rank test (survival::survdiff).
#include "libescapade/stats/survival.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "libescapade/stats/detail/support.hpp"

namespace escapade::stats {

namespace {

using detail::inf;
using detail::na;

void check_survival_input(std::span<const double> time, std::span<const int> status, std::string_view where) {
  detail::require_finite(time, where, "time");
  if (status.size() != time.size()) {
    detail::fail(where, "time and status differ in length (" + std::to_string(time.size()) + " and " +
                            std::to_string(status.size()) + ")");
  }
  for (std::size_t i = 0; i < status.size(); ++i) {
    if (status[i] != 0 && status[i] != 1) {
      detail::fail(
          where, "status[" + std::to_string(i) + "] is " + std::to_string(status[i]) + "; use 1 = event, 0 = censored");
    }
  }
}

// survival:::findq at p = 0.5 on a step curve y over `time` (NaN entries ignored).
double find_median(const std::vector<double>& time, const std::vector<double>& y) {
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon());
  const double target = 0.5;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i]) || y[i] > target + tol) continue;
    if (std::abs(y[i] - target) >= tol) return time[i];
    for (std::size_t j = i + 1; j < y.size(); ++j) {
      if (!std::isnan(y[j]) && y[j] < target - tol) return (time[i] + time[j]) / 2;
    }
    return (time[i] + time.back()) / 2;
  }
  return na;
}

}  // namespace

KaplanMeierCurve kaplan_meier(std::span<const double> time, std::span<const int> status,
                              const KaplanMeierOptions& options) {
  check_survival_input(time, status, "kaplan_meier");
  detail::require_level(options.conf_level, "kaplan_meier");
  std::vector<std::size_t> order(time.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });

  const double z = detail::qnorm(1 - (1 - options.conf_level) / 2);
  KaplanMeierCurve km;
  std::size_t at_risk = time.size();
  double surv = 1;
  double varhaz = 0;
  std::size_t i = 0;
  while (i < order.size()) {
    const double t = time[order[i]];
    std::size_t events = 0;
    std::size_t censored = 0;
    std::size_t j = i;
    for (; j < order.size() && time[order[j]] == t; ++j) {
      if (status[order[j]] == 1) {
        ++events;
      } else {
        ++censored;
      }
    }
    const auto n = static_cast<double>(at_risk);
    const auto d = static_cast<double>(events);
    if (events > 0) {
      surv *= (n - d) / n;
      varhaz += events == at_risk ? inf : d / (n * (n - d));
    }
    const double se_log = std::sqrt(varhaz);
    km.time.push_back(t);
    km.n_risk.push_back(at_risk);
    km.n_event.push_back(events);
    km.n_censor.push_back(censored);
    km.surv.push_back(surv);
    km.std_err_log_surv.push_back(se_log);
    if (surv > 0) {
      km.std_err_surv.push_back(surv * se_log);
      km.lower.push_back(std::exp(std::log(surv) - z * se_log));
      km.upper.push_back(std::min(1.0, std::exp(std::log(surv) + z * se_log)));
    } else {
      km.std_err_surv.push_back(na);
      km.lower.push_back(na);
      km.upper.push_back(na);
    }
    at_risk -= j - i;
    i = j;
  }
  km.median = find_median(km.time, km.surv);
  km.median_lower = find_median(km.time, km.lower);
  km.median_upper = find_median(km.time, km.upper);
  return km;
}

LogRankResult logrank_test(std::span<const double> time, std::span<const int> status,
                           std::span<const std::string> group) {
  check_survival_input(time, status, "logrank_test");
  if (group.size() != time.size()) {
    detail::fail("logrank_test", "group and time differ in length (" + std::to_string(group.size()) + " and " +
                                     std::to_string(time.size()) + ")");
  }
  LogRankResult r;
  r.groups.assign(group.begin(), group.end());
  std::sort(r.groups.begin(), r.groups.end());
  r.groups.erase(std::unique(r.groups.begin(), r.groups.end()), r.groups.end());
  const std::size_t k = r.groups.size();
  if (k < 2) detail::fail("logrank_test", "needs at least 2 groups, has " + std::to_string(k));
  std::vector<std::size_t> g(time.size());
  for (std::size_t i = 0; i < time.size(); ++i) {
    g[i] = static_cast<std::size_t>(std::lower_bound(r.groups.begin(), r.groups.end(), group[i]) - r.groups.begin());
  }
  std::vector<std::size_t> order(time.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });

  r.n.assign(k, 0);
  for (std::size_t gi : g) ++r.n[gi];
  std::vector<double> risk(k);
  for (std::size_t j = 0; j < k; ++j) risk[j] = static_cast<double>(r.n[j]);
  r.observed.assign(k, 0.0);
  r.expected.assign(k, 0.0);
  r.variance.assign(k, std::vector<double>(k, 0.0));
  std::size_t i = 0;
  while (i < order.size()) {
    const double t = time[order[i]];
    std::vector<double> deaths(k, 0.0);
    std::size_t j = i;
    for (; j < order.size() && time[order[j]] == t; ++j) {
      if (status[order[j]] == 1) deaths[g[order[j]]] += 1;
    }
    const double total_deaths = std::accumulate(deaths.begin(), deaths.end(), 0.0);
    const double total = std::accumulate(risk.begin(), risk.end(), 0.0);
    if (total_deaths > 0) {
      for (std::size_t a = 0; a < k; ++a) {
        r.observed[a] += deaths[a];
        r.expected[a] += total_deaths * risk[a] / total;
      }
      if (total > 1) {
        const double w = total_deaths * (total - total_deaths) / (total - 1);
        for (std::size_t a = 0; a < k; ++a) {
          for (std::size_t b = 0; b < k; ++b) {
            r.variance[a][b] += w * (risk[a] / total) * ((a == b ? 1.0 : 0.0) - risk[b] / total);
          }
        }
      }
    }
    for (std::size_t m = i; m < j; ++m) risk[g[order[m]]] -= 1;
    i = j;
  }

  // survdiff: keep the groups with E > 0, drop the first of them.
  std::vector<std::size_t> keep;
  for (std::size_t a = 0; a < k; ++a) {
    if (r.expected[a] > 0) keep.push_back(a);
  }
  if (keep.size() < 2) {
    r.df = 0;
    r.chisq = 0;
    r.p_value = na;
    return r;
  }
  const auto m = static_cast<Eigen::Index>(keep.size() - 1);
  Eigen::MatrixXd v(m, m);
  Eigen::VectorXd diff(m);
  for (Eigen::Index a = 0; a < m; ++a) {
    const std::size_t ga = keep[static_cast<std::size_t>(a) + 1];
    diff(a) = r.observed[ga] - r.expected[ga];
    for (Eigen::Index b = 0; b < m; ++b) v(a, b) = r.variance[ga][keep[static_cast<std::size_t>(b) + 1]];
  }
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(v);
  if (!lu.isInvertible()) {
    detail::fail("logrank_test", "the variance matrix of O - E is singular", ErrorKind::numeric);
  }
  r.chisq = diff.dot(lu.solve(diff));
  r.df = static_cast<int>(m);
  r.p_value = detail::pchisq_upper(r.chisq, r.df);
  return r;
}

}  // namespace escapade::stats
