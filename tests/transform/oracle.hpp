#pragma once
// An independent long-double evaluation of the logicle and hyperlog defining equations,
// written from docs/formats.md §2.3 alone, for residual checks of the library's results.
#include <cmath>
#include <limits>

namespace escapade::testing {

struct BiexOracle {
  bool hyperlog = false;
  long double a = 0, b = 0, c = 0, d = 0, f = 0, x1 = 0;

  static BiexOracle logicle(double t_, double w_, double m_, double a_) {
    const long double t = t_, W = w_, M = m_, A = a_;
    BiexOracle o;
    const long double ln10 = std::log(10.0L);
    const long double w = W / (M + A);
    const long double x2 = A / (M + A);
    o.x1 = x2 + w;
    const long double x0 = x2 + 2 * w;
    o.b = (M + A) * ln10;
    if (w == 0) {
      o.d = o.b;
    } else {
      long double lo = 0, hi = o.b;
      for (int i = 0; i < 200; ++i) {
        const long double mid = (lo + hi) / 2;
        (2 * (std::log(mid) - std::log(o.b)) + w * (o.b + mid) < 0 ? lo : hi) = mid;
      }
      o.d = (lo + hi) / 2;
    }
    const long double ca = std::exp(x0 * (o.b + o.d));
    const long double fa = std::exp(o.b * o.x1) - ca * std::exp(-o.d * o.x1);
    o.a = t / (std::exp(o.b) - fa - ca * std::exp(-o.d));
    o.c = ca * o.a;
    o.f = fa * o.a;
    return o;
  }

  static BiexOracle hyper(double t_, double w_, double m_, double a_) {
    const long double t = t_, W = w_, M = m_, A = a_;
    BiexOracle o;
    o.hyperlog = true;
    const long double ln10 = std::log(10.0L);
    const long double w = W / (M + A);
    const long double x2 = A / (M + A);
    o.x1 = x2 + w;
    const long double x0 = x2 + 2 * w;
    o.b = (M + A) * ln10;
    const long double e0 = std::exp(o.b * x0);
    const long double ca = e0 / w;
    const long double fa = std::exp(o.b * o.x1) + ca * o.x1;
    o.a = t / (std::exp(o.b) + ca - fa);
    o.c = ca * o.a;
    o.f = fa * o.a;
    return o;
  }

  // The branch for y ≥ x1, as a series in δ = y − x1 near x1 (its constant term is 0).
  long double upper(long double delta) const {
    if (std::abs(b * delta) < 0.5L) {
      const long double eb = a * std::exp(b * x1);
      const long double ed = hyperlog ? 0.0L : c * std::exp(-d * x1);
      long double sum = 0, bk = 1, dk = 1, fact = 1, dp = 1;
      for (int k = 1; k < 40; ++k) {
        bk *= b;
        dk *= -d;
        fact *= k;
        dp *= delta;
        long double coef = (eb * bk - ed * dk) / fact;
        if (hyperlog && k == 1) coef += c;
        sum += coef * dp;
      }
      return sum;
    }
    const long double y = x1 + delta;
    return hyperlog ? a * std::exp(b * y) + c * y - f : a * std::exp(b * y) - c * std::exp(-d * y) - f;
  }
  long double value(long double y) const {
    const long double delta = y - x1;
    return delta < 0 ? -upper(-delta) : upper(delta);
  }
  long double slope(long double y) const {
    const long double yy = y < x1 ? 2 * x1 - y : y;
    return hyperlog ? a * b * std::exp(b * yy) + c : a * b * std::exp(b * yy) + c * d * std::exp(-d * yy);
  }
  // What the defining equation allows: 1e-12 relative to x, plus what y's own rounding
  // (8 ulps of the double y) moves B by.
  double tolerance(double x, double y) const {
    const double ulp = std::nextafter(std::abs(y), std::numeric_limits<double>::infinity()) - std::abs(y);
    return 1e-12 * std::abs(x) + 8.0 * static_cast<double>(slope(y)) * ulp;
  }
};

}  // namespace escapade::testing
