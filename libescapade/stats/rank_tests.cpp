// Rank tests: Mann-Whitney U and Wilcoxon signed-rank (R wilcox.test), Kruskal-Wallis
// (R kruskal.test) and Spearman's rho (R cor.test(method = "spearman")).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "libescapade/stats/detail/support.hpp"
#include "libescapade/stats/tests.hpp"

namespace escapade::stats {

namespace {

using detail::na;

// Probability mass of the rank sum of a random m-subset of {1..N}, indexed by the sum.
std::vector<double> rank_sum_distribution(std::size_t m, std::size_t total) {
  const std::size_t max_sum = m * (2 * total - m + 1) / 2;
  std::vector<std::vector<double>> p(m + 1, std::vector<double>(max_sum + 1, 0.0));
  p[0][0] = 1.0;
  for (std::size_t k = 1; k <= total; ++k) {
    const double kd = static_cast<double>(k);
    for (std::size_t j = std::min(k, m); j >= 1; --j) {
      const double take = static_cast<double>(j) / kd;
      const double skip = static_cast<double>(k - j) / kd;
      // the largest sum a j-subset of {1..k} can have
      const std::size_t top = std::min(max_sum, j * (2 * k - j + 1) / 2);
      for (std::size_t s = top + 1; s-- > 0;) {
        const double from_take = s >= k ? p[j - 1][s - k] : 0.0;
        p[j][s] = take * from_take + skip * p[j][s];
      }
    }
  }
  return p[m];
}

// Probability mass of V = Σ signed ranks over positives, ranks 1..n, signs fair coins.
std::vector<double> signed_rank_distribution(std::size_t n) {
  const std::size_t max_sum = n * (n + 1) / 2;
  std::vector<double> p(max_sum + 1, 0.0);
  p[0] = 1.0;
  for (std::size_t k = 1; k <= n; ++k) {
    for (std::size_t s = k * (k + 1) / 2 + 1; s-- > 0;) {
      p[s] = 0.5 * p[s] + (s >= k ? 0.5 * p[s - k] : 0.0);
    }
  }
  return p;
}

// P(X <= q) and P(X >= q) of a distribution on 0, 1, 2, ... (q an integer).
double lower_tail(const std::vector<double>& p, double q) {
  double total = 0;
  for (std::size_t s = 0; s < p.size() && static_cast<double>(s) <= q; ++s) total += p[s];
  return std::min(1.0, total);
}
double upper_tail(const std::vector<double>& p, double q) {
  double total = 0;
  for (std::size_t s = p.size(); s-- > 0 && static_cast<double>(s) >= q;) total += p[s];
  return std::min(1.0, total);
}

// R's exact p-value rule on a discrete statistic with null mean `centre`.
double exact_p(const std::vector<double>& p, double statistic, double centre, Alternative alternative) {
  switch (alternative) {
    case Alternative::less:
      return lower_tail(p, statistic);
    case Alternative::greater:
      return upper_tail(p, statistic);
    case Alternative::two_sided: {
      const double tail = statistic > centre ? upper_tail(p, statistic) : lower_tail(p, statistic);
      return std::min(1.0, 2 * tail);
    }
  }
  return na;
}

// z with R's continuity correction, then the p-value of `alternative`.
struct NormalTest {
  double z;
  double p;
};
NormalTest normal_test(double centred, double sigma, bool correct, Alternative alternative) {
  double cc = 0;
  if (correct) {
    switch (alternative) {
      case Alternative::two_sided:
        cc = centred > 0 ? 0.5 : (centred < 0 ? -0.5 : 0.0);
        break;
      case Alternative::greater:
        cc = 0.5;
        break;
      case Alternative::less:
        cc = -0.5;
        break;
    }
  }
  const double z = (centred - cc) / sigma;
  double p = na;
  switch (alternative) {
    case Alternative::less:
      p = detail::pnorm(z, true);
      break;
    case Alternative::greater:
      p = detail::pnorm(z, false);
      break;
    case Alternative::two_sided:
      p = 2 * std::min(detail::pnorm(z, true), detail::pnorm(z, false));
      break;
  }
  return {z, p};
}

bool has_ties(std::span<const double> v) {
  std::vector<double> sorted(v.begin(), v.end());
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

// AS 89 (R prho): P(S >= is) (upper) or P(S < is) (lower) for Spearman's S under
// independence, n <= 9 by enumeration, otherwise by the Edgeworth series.
double prho(std::size_t n, double is, bool lower) {
  const double start = lower ? 0.0 : 1.0;
  if (n <= 1 || is <= 0) return start;
  const double nd = static_cast<double>(n);
  const double n3 = nd * (nd * nd - 1) / 3;
  if (is > n3) return 1 - start;
  if (n <= 9) {
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 1);
    double count_ge = 0;
    double factorial = 0;
    do {
      int s = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const int d = static_cast<int>(i) + 1 - perm[i];
        s += d * d;
      }
      if (static_cast<double>(s) >= is) count_ge += 1;
      factorial += 1;
    } while (std::next_permutation(perm.begin(), perm.end()));
    return (lower ? factorial - count_ge : count_ge) / factorial;
  }
  constexpr double c1 = 0.2274, c2 = 0.2531, c3 = 0.1745, c4 = 0.0758, c5 = 0.1033, c6 = 0.3932, c7 = 0.0879,
                   c8 = 0.0151, c9 = 0.0072, c10 = 0.0831, c11 = 0.0131, c12 = 4.6e-4;
  const double b = 1 / nd;
  const double x = (6.0 * (is - 1) * b / (nd * nd - 1) - 1) * std::sqrt(nd - 1);
  double y = x * x;
  const double u =
      x * b *
      (c1 + b * (c2 + c3 * b) +
       y * (-c4 + b * (c5 + c6 * b) - y * b * (c7 + c8 * b - y * (c9 - c10 * b + y * b * (c11 - c12 * y)))));
  y = u / std::exp(y / 2);
  const double pv = (lower ? -y : y) + detail::pnorm(x, lower);
  return std::clamp(pv, 0.0, 1.0);
}

}  // namespace

MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y,
                                 const MannWhitneyOptions& options) {
  detail::require_finite(x, "mann_whitney_u", "x");
  detail::require_finite(y, "mann_whitney_u", "y");
  const std::size_t n1 = x.size();
  const std::size_t n2 = y.size();
  std::vector<double> pooled(x.begin(), x.end());
  pooled.insert(pooled.end(), y.begin(), y.end());
  const std::vector<double> r = detail::midranks(pooled);
  double r1 = 0;
  for (std::size_t i = 0; i < n1; ++i) r1 += r[i];
  const double n1d = static_cast<double>(n1);
  const double n2d = static_cast<double>(n2);
  MannWhitneyResult res;
  res.rank_sum_x = r1;
  res.u = r1 - n1d * (n1d + 1) / 2;
  res.u_min = std::min(res.u, n1d * n2d - res.u);
  const bool ties = has_ties(pooled);
  bool exact = options.method == RankMethod::exact || (options.method == RankMethod::automatic && n1 < 50 && n2 < 50);
  if (ties) exact = false;
  if (exact) {
    // The distribution has (min(n1, n2) + 1)·(n1·n2 + 1) cells and costs N times that.
    const double work = static_cast<double>(std::min(n1, n2) + 1) * (n1d * n2d + 1) * (n1d + n2d);
    if (work > 2e9) {
      detail::fail("mann_whitney_u", "the exact distribution for n1 = " + std::to_string(n1) +
                                         " and n2 = " + std::to_string(n2) + " is too large; use the normal method");
    }
    res.method_used = RankMethod::exact;
    res.z = na;
    // U of x = rank sum of x minus its minimum; its distribution is that of the rank sum.
    // U is symmetric in the two samples' sizes, so count subsets of the smaller size.
    const std::size_t m = std::min(n1, n2);
    const std::vector<double> p = rank_sum_distribution(m, n1 + n2);
    const double offset = static_cast<double>(m) * static_cast<double>(m + 1) / 2;
    std::vector<double> pu(p.begin() + static_cast<std::ptrdiff_t>(offset), p.end());
    res.p_value = exact_p(pu, res.u, n1d * n2d / 2, options.alternative);
  } else {
    res.method_used = RankMethod::normal;
    const double total = n1d + n2d;
    const double sigma = std::sqrt((n1d * n2d / 12) * ((total + 1) - detail::tie_sum(r) / (total * (total - 1))));
    const NormalTest t = normal_test(res.u - n1d * n2d / 2, sigma, options.correct, options.alternative);
    res.z = t.z;
    res.p_value = t.p;
  }
  return res;
}

SignedRankResult wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y,
                                      const SignedRankOptions& options) {
  detail::require_finite(x, "wilcoxon_signed_rank", "x");
  detail::require_finite(y, "wilcoxon_signed_rank", "y");
  if (x.size() != y.size()) {
    detail::fail("wilcoxon_signed_rank",
                 "x and y differ in length (" + std::to_string(x.size()) + " and " + std::to_string(y.size()) + ")");
  }
  std::vector<double> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
  SignedRankResult res;
  res.n_zero = static_cast<std::size_t>(std::count(d.begin(), d.end(), 0.0));
  const bool pratt = options.zero_method == ZeroMethod::pratt;
  std::vector<double> used;
  for (double v : d) {
    if (pratt || v != 0) used.push_back(v);
  }
  res.n_used = used.size();
  if (res.n_zero == d.size()) {
    detail::fail("wilcoxon_signed_rank", "every difference x - y is zero", ErrorKind::numeric);
  }
  std::vector<double> absd(used.size());
  std::transform(used.begin(), used.end(), absd.begin(), [](double v) { return std::abs(v); });
  const std::vector<double> r = detail::midranks(absd);
  std::vector<double> nonzero_ranks;
  for (std::size_t i = 0; i < used.size(); ++i) {
    if (used[i] > 0) res.v += r[i];
    if (used[i] < 0) res.r_minus += r[i];
    if (used[i] != 0) nonzero_ranks.push_back(r[i]);
  }
  res.t_min = std::min(res.v, res.r_minus);
  const double n = static_cast<double>(res.n_used);
  const bool ties = has_ties(nonzero_ranks);
  bool exact = options.method == RankMethod::exact || (options.method == RankMethod::automatic && res.n_used < 50);
  if (ties || res.n_zero > 0) exact = false;
  if (exact && res.n_used > 2000) {
    detail::fail("wilcoxon_signed_rank", "the exact distribution for n = " + std::to_string(res.n_used) +
                                             " is too large; use the normal method");
  }
  if (exact) {
    res.method_used = RankMethod::exact;
    res.z = na;
    res.p_value = exact_p(signed_rank_distribution(res.n_used), res.v, n * (n + 1) / 4, options.alternative);
    return res;
  }
  res.method_used = RankMethod::normal;
  double mean = n * (n + 1) / 4;
  double var24 = n * (n + 1) * (2 * n + 1);
  if (pratt) {
    const double z0 = static_cast<double>(res.n_zero);
    mean -= z0 * (z0 + 1) / 4;
    var24 -= z0 * (z0 + 1) * (2 * z0 + 1);
  }
  var24 -= detail::tie_sum(nonzero_ranks) / 2;
  const NormalTest t = normal_test(res.v - mean, std::sqrt(var24 / 24), options.correct, options.alternative);
  res.z = t.z;
  res.p_value = t.p;
  return res;
}

KruskalWallisResult kruskal_wallis(const std::vector<std::vector<double>>& groups) {
  if (groups.size() < 2) {
    detail::fail("kruskal_wallis", "needs at least 2 groups, has " + std::to_string(groups.size()));
  }
  std::vector<double> pooled;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    detail::require_finite(groups[g], "kruskal_wallis", "group " + std::to_string(g));
    pooled.insert(pooled.end(), groups[g].begin(), groups[g].end());
  }
  const std::vector<double> r = detail::midranks(pooled);
  const double n = static_cast<double>(pooled.size());
  double sum = 0;
  std::size_t at = 0;
  for (const auto& g : groups) {
    double rs = 0;
    for (std::size_t i = 0; i < g.size(); ++i) rs += r[at + i];
    at += g.size();
    sum += rs * rs / static_cast<double>(g.size());
  }
  KruskalWallisResult res;
  res.h = (12 * sum / (n * (n + 1)) - 3 * (n + 1)) / (1 - detail::tie_sum(pooled) / (n * n * n - n));
  res.df = static_cast<int>(groups.size()) - 1;
  res.p_value = std::isfinite(res.h) ? detail::pchisq_upper(res.h, res.df) : na;
  return res;
}

SpearmanResult spearman(std::span<const double> x, std::span<const double> y, const SpearmanOptions& options) {
  detail::require_finite(x, "spearman", "x");
  detail::require_finite(y, "spearman", "y");
  if (x.size() != y.size()) {
    detail::fail("spearman",
                 "x and y differ in length (" + std::to_string(x.size()) + " and " + std::to_string(y.size()) + ")");
  }
  if (x.size() < 3) detail::fail("spearman", "needs at least 3 pairs, has " + std::to_string(x.size()));
  const std::vector<double> rx = detail::midranks(x);
  const std::vector<double> ry = detail::midranks(y);
  const std::size_t n = x.size();
  const double nd = static_cast<double>(n);
  long double mx = 0;
  long double my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += rx[i];
    my += ry[i];
  }
  mx /= nd;
  my /= nd;
  long double sxy = 0;
  long double sxx = 0;
  long double syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const long double dx = rx[i] - mx;
    const long double dy = ry[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  SpearmanResult res;
  res.rho = (sxx > 0 && syy > 0) ? static_cast<double>(sxy / std::sqrt(sxx * syy)) : na;
  res.rho = std::clamp(res.rho, -1.0, 1.0);
  const double den = nd * (nd * nd - 1) / 6;  // (n³ - n)/6
  const double q = (nd * nd * nd - nd) * (1 - res.rho) / 6;
  res.s = q;
  res.ties = has_ties(x) || has_ties(y);
  if (std::isnan(res.rho)) {
    res.p_value_t = res.p_value = na;
    res.method = SpearmanMethod::t_approximation;
    return res;
  }

  // t approximation, on rho recomputed from S as R's pspearman does.
  auto p_t = [&](bool lower) {
    const double r = 1 - q / den;
    const double t = r / std::sqrt((1 - r * r) / (nd - 2));
    return detail::pt(t, nd - 2, !lower);
  };
  auto p_exact = [&](bool lower) {
    const double rq = std::nearbyint(q);
    return lower ? prho(n, rq + 2, true) : prho(n, rq, false);
  };
  auto p_of = [&](auto&& tail) {
    switch (options.alternative) {
      case Alternative::two_sided:
        return std::min(1.0, 2 * (q > den ? tail(false) : tail(true)));
      case Alternative::greater:
        return tail(true);
      case Alternative::less:
        return tail(false);
    }
    return na;
  };
  res.p_value_t = p_of(p_t);
  if (!res.ties && n < 1290) {
    res.method = n <= 9 ? SpearmanMethod::exact_permutation : SpearmanMethod::edgeworth;
    res.p_value = p_of(p_exact);
  } else {
    res.method = SpearmanMethod::t_approximation;
    res.p_value = res.p_value_t;
  }
  return res;
}

std::string_view to_string(SpearmanMethod method) noexcept {
  switch (method) {
    case SpearmanMethod::exact_permutation:
      return "exact_permutation";
    case SpearmanMethod::edgeworth:
      return "edgeworth";
    case SpearmanMethod::t_approximation:
      return "t_approximation";
  }
  return "t_approximation";
}

}  // namespace escapade::stats
