// Fisher's exact test (R fisher.test, 2 × 2) and Pearson's chi-square (R chisq.test).
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "libescapade/stats/detail/support.hpp"
#include "libescapade/stats/tests.hpp"

namespace escapade::stats {

namespace {

using detail::inf;
using detail::na;

double log_choose(double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); }

// The conditional distribution of the tested cell given the margins: support lo..hi,
// central hypergeometric log-density up to a constant, and the noncentral family.
class Hypergeometric {
 public:
  Hypergeometric(std::int64_t m, std::int64_t n, std::int64_t k)
      : my_lo(std::max<std::int64_t>(0, k - n)), my_hi(std::min(k, m)) {
    for (std::int64_t s = my_lo; s <= my_hi; ++s) {
      my_logdc.push_back(log_choose(static_cast<double>(m), static_cast<double>(s)) +
                         log_choose(static_cast<double>(n), static_cast<double>(k - s)));
    }
  }
  [[nodiscard]] std::int64_t lo() const noexcept { return my_lo; }
  [[nodiscard]] std::int64_t hi() const noexcept { return my_hi; }

  // Probabilities under log odds ratio `log_psi`.
  [[nodiscard]] std::vector<double> density(double log_psi) const {
    std::vector<double> d(my_logdc.size());
    double top = -inf;
    for (std::size_t i = 0; i < d.size(); ++i) {
      d[i] = my_logdc[i] + log_psi * static_cast<double>(my_lo + static_cast<std::int64_t>(i));
      top = std::max(top, d[i]);
    }
    double total = 0;
    for (double& v : d) {
      v = std::exp(v - top);
      total += v;
    }
    for (double& v : d) v /= total;
    return d;
  }
  [[nodiscard]] double mean(double log_psi) const {
    const std::vector<double> d = density(log_psi);
    double m = 0;
    for (std::size_t i = 0; i < d.size(); ++i) m += static_cast<double>(my_lo + static_cast<std::int64_t>(i)) * d[i];
    return m;
  }
  // P(X <= x) or P(X >= x).
  [[nodiscard]] double tail(std::int64_t x, double log_psi, bool upper) const {
    const std::vector<double> d = density(log_psi);
    double p = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
      const std::int64_t s = my_lo + static_cast<std::int64_t>(i);
      if (upper ? s >= x : s <= x) p += d[i];
    }
    return p;
  }

 private:
  std::int64_t my_lo;
  std::int64_t my_hi;
  std::vector<double> my_logdc;
};

// Root of an increasing function f of t = log psi, by bracketing and bisection to the
// last bit; returns psi.
double solve_log_odds(const std::function<double(double)>& f) {
  double lo = -1;
  double hi = 1;
  while (f(lo) > 0 && lo > -800) lo *= 2;
  while (f(hi) < 0 && hi < 800) hi *= 2;
  for (int i = 0; i < 400; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (f(mid) < 0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return std::exp(0.5 * (lo + hi));
}

}  // namespace

FisherResult fisher_exact_2x2(const Table2x2& table, const FisherOptions& options) {
  detail::require_level(options.conf_level, "fisher_exact_2x2");
  for (const auto& row : table) {
    for (std::int64_t v : row) {
      if (v < 0) detail::fail("fisher_exact_2x2", "counts must be non-negative, got " + std::to_string(v));
    }
  }
  const std::int64_t a = table[0][0];
  const std::int64_t b = table[0][1];
  const std::int64_t c = table[1][0];
  const std::int64_t d = table[1][1];
  FisherResult r;
  const double ad = static_cast<double>(a) * static_cast<double>(d);
  const double bc = static_cast<double>(b) * static_cast<double>(c);
  r.sample_odds_ratio = bc > 0 ? ad / bc : (ad > 0 ? inf : na);

  const Hypergeometric h(a + c, b + d, a + b);
  const std::int64_t x = a;
  if (h.lo() == h.hi()) {  // a zero margin: one table only
    r.p_value = r.p_two_sided = r.p_less = r.p_greater = 1.0;
    r.odds_ratio = na;
    r.conf_int = {0.0, inf};
    return r;
  }

  const std::vector<double> d0 = h.density(0.0);
  const std::size_t ix = static_cast<std::size_t>(x - h.lo());
  r.p_less = std::min(1.0, h.tail(x, 0.0, false));
  r.p_greater = std::min(1.0, h.tail(x, 0.0, true));
  const double cutoff = d0[ix] * (1 + 1e-7);
  double p2 = 0;
  for (double v : d0) {
    if (v <= cutoff) p2 += v;
  }
  r.p_two_sided = std::min(1.0, p2);

  const double xd = static_cast<double>(x);
  if (x == h.lo()) {
    r.odds_ratio = 0;
  } else if (x == h.hi()) {
    r.odds_ratio = inf;
  } else {
    r.odds_ratio = solve_log_odds([&](double t) { return h.mean(t) - xd; });
  }

  // Lower bound: P(X >= x; psi) = alpha (increasing in psi); upper: P(X <= x; psi) = alpha.
  auto lower_bound = [&](double alpha) {
    if (x == h.lo()) return 0.0;
    return solve_log_odds([&](double t) { return h.tail(x, t, true) - alpha; });
  };
  auto upper_bound = [&](double alpha) {
    if (x == h.hi()) return inf;
    return solve_log_odds([&](double t) { return alpha - h.tail(x, t, false); });
  };
  switch (options.alternative) {
    case Alternative::two_sided: {
      const double alpha = (1 - options.conf_level) / 2;
      r.conf_int = {lower_bound(alpha), upper_bound(alpha)};
      r.p_value = r.p_two_sided;
      break;
    }
    case Alternative::less:
      r.conf_int = {0.0, upper_bound(1 - options.conf_level)};
      r.p_value = r.p_less;
      break;
    case Alternative::greater:
      r.conf_int = {lower_bound(1 - options.conf_level), inf};
      r.p_value = r.p_greater;
      break;
  }
  return r;
}

ChiSquareResult chisq_test(const std::vector<std::vector<double>>& table, const ChiSquareOptions& options) {
  const std::size_t rows = table.size();
  if (rows < 2) detail::fail("chisq_test", "the table needs at least 2 rows, has " + std::to_string(rows));
  const std::size_t cols = table.front().size();
  if (cols < 2) detail::fail("chisq_test", "the table needs at least 2 columns, has " + std::to_string(cols));
  std::vector<double> row_sum(rows, 0.0);
  std::vector<double> col_sum(cols, 0.0);
  double total = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    if (table[i].size() != cols) {
      detail::fail("chisq_test", "row " + std::to_string(i) + " has " + std::to_string(table[i].size()) +
                                     " columns, row 0 has " + std::to_string(cols));
    }
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = table[i][j];
      if (!std::isfinite(v) || v < 0) {
        detail::fail("chisq_test", "counts must be finite and non-negative (row " + std::to_string(i) + ", column " +
                                       std::to_string(j) + ")");
      }
      row_sum[i] += v;
      col_sum[j] += v;
      total += v;
    }
  }
  if (total <= 0) detail::fail("chisq_test", "the table sums to 0");

  ChiSquareResult r;
  r.df = static_cast<int>((rows - 1) * (cols - 1));
  r.expected.assign(rows, std::vector<double>(cols));
  double yates = 0;
  if (options.correct && rows == 2 && cols == 2) {
    yates = 0.5;
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) {
        r.expected[i][j] = row_sum[i] * col_sum[j] / total;
        yates = std::min(yates, std::abs(table[i][j] - r.expected[i][j]));
      }
    }
    r.corrected = yates > 0;
  }
  double statistic = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const double e = row_sum[i] * col_sum[j] / total;
      r.expected[i][j] = e;
      const double dev = std::abs(table[i][j] - e) - yates;
      statistic += dev * dev / e;
    }
  }
  r.statistic = statistic;
  r.p_value = detail::pchisq_upper(statistic, r.df);
  return r;
}

}  // namespace escapade::stats
