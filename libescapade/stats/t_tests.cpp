// t tests (R t.test): paired, Welch and Student.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "libescapade/stats/descriptive.hpp"
#include "libescapade/stats/detail/support.hpp"
#include "libescapade/stats/tests.hpp"

namespace escapade::stats {

namespace {

using detail::inf;

// p-value and interval for t = (difference - mu)/stderr on df degrees of freedom (R).
void finish(TTestResult& r, double difference, double std_error, double df, const TTestOptions& options,
            std::string_view where) {
  detail::require_level(options.conf_level, where);
  r.std_error = std_error;
  r.df = df;
  r.t = (difference - options.mu) / std_error;
  switch (options.alternative) {
    case Alternative::less:
      r.p_value = detail::pt(r.t, df, true);
      r.conf_int = {-inf, r.t + detail::qt(options.conf_level, df)};
      break;
    case Alternative::greater:
      r.p_value = detail::pt(r.t, df, false);
      r.conf_int = {r.t - detail::qt(options.conf_level, df), inf};
      break;
    case Alternative::two_sided: {
      r.p_value = 2 * detail::pt(-std::abs(r.t), df, true);
      const double alpha = 1 - options.conf_level;
      const double q = detail::qt(1 - alpha / 2, df);
      r.conf_int = {r.t - q, r.t + q};
      break;
    }
  }
  r.conf_int[0] = options.mu + r.conf_int[0] * std_error;
  r.conf_int[1] = options.mu + r.conf_int[1] * std_error;
}

void require_not_constant(double std_error, double scale, std::string_view where) {
  if (!(std_error >= 10 * std::numeric_limits<double>::epsilon() * scale) || std_error == 0) {
    detail::fail(where, "data are essentially constant", ErrorKind::numeric);
  }
}

}  // namespace

TTestResult t_test_paired(std::span<const double> x, std::span<const double> y, const TTestOptions& options) {
  detail::require_finite(x, "t_test_paired", "x");
  detail::require_finite(y, "t_test_paired", "y");
  if (x.size() != y.size()) {
    detail::fail("t_test_paired",
                 "x and y differ in length (" + std::to_string(x.size()) + " and " + std::to_string(y.size()) + ")");
  }
  if (x.size() < 2) detail::fail("t_test_paired", "needs at least 2 pairs, has " + std::to_string(x.size()));
  std::vector<double> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
  const double n = static_cast<double>(d.size());
  const double m = mean(d);
  const double se = std::sqrt(variance(d) / n);
  require_not_constant(se, std::abs(m), "t_test_paired");
  TTestResult r;
  r.estimate = {m};
  finish(r, m, se, n - 1, options, "t_test_paired");
  return r;
}

TTestResult t_test_welch(std::span<const double> x, std::span<const double> y, const TTestOptions& options) {
  detail::require_finite(x, "t_test_welch", "x", 2);
  detail::require_finite(y, "t_test_welch", "y", 2);
  const double nx = static_cast<double>(x.size());
  const double ny = static_cast<double>(y.size());
  const double mx = mean(x);
  const double my = mean(y);
  const double sx2 = variance(x) / nx;
  const double sy2 = variance(y) / ny;
  const double se = std::sqrt(sx2 + sy2);
  require_not_constant(se, std::max(std::abs(mx), std::abs(my)), "t_test_welch");
  const double df = se * se * se * se / (sx2 * sx2 / (nx - 1) + sy2 * sy2 / (ny - 1));
  TTestResult r;
  r.estimate = {mx, my};
  finish(r, mx - my, se, df, options, "t_test_welch");
  return r;
}

TTestResult t_test_student(std::span<const double> x, std::span<const double> y, const TTestOptions& options) {
  detail::require_finite(x, "t_test_student", "x");
  detail::require_finite(y, "t_test_student", "y");
  if (x.size() + y.size() < 3) detail::fail("t_test_student", "needs at least 3 values in all");
  const double nx = static_cast<double>(x.size());
  const double ny = static_cast<double>(y.size());
  const double mx = mean(x);
  const double my = mean(y);
  const double df = nx + ny - 2;
  double v = 0;
  if (x.size() > 1) v += (nx - 1) * variance(x);
  if (y.size() > 1) v += (ny - 1) * variance(y);
  v /= df;
  const double se = std::sqrt(v * (1 / nx + 1 / ny));
  require_not_constant(se, std::max(std::abs(mx), std::abs(my)), "t_test_student");
  TTestResult r;
  r.estimate = {mx, my};
  finish(r, mx - my, se, df, options, "t_test_student");
  return r;
}

}  // namespace escapade::stats
