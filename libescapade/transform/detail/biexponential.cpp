// Scalar reference path and table construction of the bi-exponential family.
#include "libescapade/transform/detail/biexponential.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace escapade::transform::detail {

double solve_logicle_d(double b, double w) noexcept {
  if (w == 0.0) return b;
  // 2·ln d + w·d rises with d, from −∞ at 0 to 2·ln b + 2·w·b > target at b: bisect the
  // doubles of (0, b] down to adjacent values; cheap, once per transform, and exact.
  const double target = 2.0 * std::log(b) - w * b;
  double lo = 0.0;
  double hi = b;
  for (int i = 0; i < 2200; ++i) {
    const double mid = lo + 0.5 * (hi - lo);
    if (mid <= lo || mid >= hi) break;
    const double value = 2.0 * std::log(mid) + w * mid;
    if (value < target) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const double f_lo = std::abs(2.0 * std::log(lo) + w * lo - target);
  const double f_hi = std::abs(2.0 * std::log(hi) + w * hi - target);
  return (lo > 0.0 && f_lo < f_hi) ? lo : hi;
}

BiexSolver::BiexSolver(const BiexCoefficients& coefficients) : my_k(coefficients) {
  const double a = my_k.a;
  const double b = my_k.b;
  const double c = my_k.c;
  const double d = my_k.d;
  my_e_bx1 = std::exp(b * my_k.x1);
  my_e_dx1 = std::exp(-d * my_k.x1);
  my_f = a * my_e_bx1 - c * my_e_dx1;

  // Series of G about δ = 0. Its constant term is zero by construction of f, which is
  // what keeps small |x| accurate relative to x (FlowUtils' Taylor series near x1).
  double bk = 1.0;
  double dk = 1.0;
  double factorial = 1.0;
  for (int k = 1; k <= taylor_terms; ++k) {
    bk *= b;
    dk *= -d;
    factorial *= k;
    my_taylor[k - 1] = (a * my_e_bx1 * bk - c * my_e_dx1 * dk) / factorial;
  }
  my_taylor[0] += my_k.h;
  // Below |b·δ| = 1/4 sixteen terms leave < 1e-30 relative; above it the exponentials lose
  // at most a few ulps to cancellation.
  my_taylor_limit = 0.25 / b;

  // The table: knots at |x| + x_off = x_off·2^o·(1 + j/64). x_off is the power of two
  // nearest G'(0)/b, so the linear region near zero and the exponential region above it
  // both get cells whose δ-width times b stays below about 0.04 (see the kernel).
  const double x_off = std::exp2(std::round(std::log2(my_taylor[0] / b)));
  const int shift = 52 - cell_bits;
  const auto base = static_cast<long long>(std::bit_cast<std::uint64_t>(x_off) >> shift);
  const long long cell_count = static_cast<long long>(octaves) << cell_bits;
  my_cells.resize(static_cast<std::size_t>(cell_count));
  double previous = 0.0;
  for (long long k = 0; k <= cell_count; ++k) {
    const double v = std::bit_cast<double>(static_cast<std::uint64_t>(base + k) << shift);
    const double delta = k == 0 ? 0.0 : solve_delta(v - x_off);
    if (k > 0) my_cells[static_cast<std::size_t>(k - 1)].step = delta - previous;
    if (k < cell_count) {
      Cell& cell = my_cells[static_cast<std::size_t>(k)];
      cell.delta = delta;
      cell.eb = std::exp(b * (my_k.x1 + delta));
      cell.ed = std::exp(-d * (my_k.x1 + delta));
    }
    previous = delta;
  }

  my_plan.cells = my_cells.data();
  my_plan.cell_count = cell_count;
  my_plan.base = base;
  my_plan.x_off = x_off;
  my_plan.a = a;
  my_plan.b = b;
  my_plan.c = c;
  my_plan.d = d;
  my_plan.h = my_k.h;
  my_plan.f = my_f;
  my_plan.x1 = my_k.x1;
  my_plan.ab = a * b;
  my_plan.cd = c * d;
  my_plan.ab2 = a * b * b;
  my_plan.cd2 = c * d * d;
  // Eight terms to |b·δ| = 0.05 leave (0.05)^8/9! ≈ 1e-16 relative.
  my_plan.fast_taylor_limit = 0.05 / b;
  for (int k = 0; k < fast_taylor_terms; ++k) my_plan.taylor[k] = my_taylor[k];
}

double BiexSolver::g(double delta) const noexcept {
  if (delta < my_taylor_limit) {
    double sum = my_taylor[taylor_terms - 1];
    for (int k = taylor_terms - 2; k >= 0; --k) sum = sum * delta + my_taylor[k];
    return sum * delta;
  }
  const double y = my_k.x1 + delta;
  return my_k.a * std::exp(my_k.b * y) - my_k.c * std::exp(-my_k.d * y) + my_k.h * delta - my_f;
}

double BiexSolver::g1(double delta) const noexcept {
  const double y = my_k.x1 + delta;
  return my_k.a * my_k.b * std::exp(my_k.b * y) + my_k.c * my_k.d * std::exp(-my_k.d * y) + my_k.h;
}

double BiexSolver::g2(double delta) const noexcept {
  const double y = my_k.x1 + delta;
  return my_k.a * my_k.b * my_k.b * std::exp(my_k.b * y) - my_k.c * my_k.d * my_k.d * std::exp(-my_k.d * y);
}

double BiexSolver::solve_delta(double ax) const noexcept {
  if (!(ax > 0.0)) return 0.0;
  if (std::isinf(ax)) return ax;
  // Bracket [lo, hi] with G(lo) ≤ ax ≤ G(hi); G rises without bound, so doubling ends
  // (at the latest when G overflows to +inf).
  double lo = 0.0;
  double hi = 1.0 / my_k.b;
  while (g(hi) < ax) {
    lo = hi;
    hi *= 2.0;
  }
  // Halley from the linear or logarithmic estimate, whichever lies in the bracket;
  // a step that leaves the bracket is replaced by bisection.
  double delta = ax / my_taylor[0];
  if (!(delta > lo && delta < hi)) delta = lo + 0.5 * (hi - lo);
  for (int iteration = 0; iteration < 400; ++iteration) {
    const double r = g(delta) - ax;
    if (r == 0.0) return delta;
    if (r < 0.0) {
      lo = delta;
    } else {
      hi = delta;
    }
    const double d1 = g1(delta);
    const double d2 = g2(delta);
    double next = delta - 2.0 * r * d1 / (2.0 * d1 * d1 - r * d2);
    if (!(next >= lo && next <= hi)) next = lo + 0.5 * (hi - lo);
    if (next == delta) return delta;
    const double change = std::abs(next - delta);
    delta = next;
    if (change <= 2.0 * std::numeric_limits<double>::epsilon() * delta) {
      // Converged to an ulp or two: one more correction from here is exact rounding noise.
      const double r2 = g(delta) - ax;
      const double d12 = g1(delta);
      return delta - r2 / d12;
    }
    if (hi - lo <= std::numeric_limits<double>::epsilon() * hi) break;
  }
  return delta;
}

double BiexSolver::raw(double y) const noexcept {
  if (std::isnan(y)) return y;
  const double delta = y - my_k.x1;
  // B is odd about x1 (docs/formats.md §2.3: B(y) = −B(2·x1 − y) for y < x1).
  return delta < 0.0 ? -g(-delta) : g(delta);
}

double BiexSolver::solve_reference(double x) const noexcept {
  if (std::isnan(x)) return x;
  if (std::isinf(x)) return x;
  const double delta = solve_delta(std::abs(x));
  return x < 0.0 ? my_k.x1 - delta : my_k.x1 + delta;
}

void BiexSolver::solve_fast(const double* in, double* out, std::size_t n) const noexcept {
  solve_fast_kernel(my_plan, *this, in, out, n);
}

}  // namespace escapade::transform::detail
