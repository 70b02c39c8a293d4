// The logicle/hyperlog hot path (STYLE §5): a table lookup for a close initial guess,
// then one Halley step on the defining equation, four values per vector, no branches
// but one rarely taken exit for values outside the table (NaN, ±inf, beyond 2^48·x_off).

// Contraction into fused multiply-adds would make the CPU clones disagree in the last bit;
// the same input gives the same output on every machine.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <cstdint>
#include <cstring>

#include "libescapade/transform/detail/biexponential.hpp"

// Runtime kernel choice, as in comp/: the library targets the baseline ISA and GCC's
// function multiversioning adds an AVX2 clone chosen once per process.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ESCAPADE_TRANSFORM_TARGET_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ESCAPADE_TRANSFORM_TARGET_CLONES
#endif

namespace escapade::transform::detail {

namespace {

constexpr std::size_t lanes = 4;
using Vec = double __attribute__((vector_size(lanes * sizeof(double))));
using IVec = std::int64_t __attribute__((vector_size(lanes * sizeof(double))));
using UVec = std::uint64_t __attribute__((vector_size(lanes * sizeof(double))));

// The Taylor polynomial of e^z to z^8, for |z| ≤ 0.04 (error < 5e-19).
// mask ? a : b lane by lane, as bit operations (a vector ?: may be lowered lane by lane).
__attribute__((always_inline)) inline void select(const IVec& mask, const Vec& a, const Vec& b, Vec& out) noexcept {
  UVec ua;
  UVec ub;
  std::memcpy(&ua, &a, sizeof a);
  std::memcpy(&ub, &b, sizeof b);
  const UVec mixed = (ua & (UVec)mask) | (ub & ~(UVec)mask);
  std::memcpy(&out, &mixed, sizeof out);
}

// By reference: vectors wider than the baseline ISA may not cross a function boundary by value.
__attribute__((always_inline)) inline void exp_small(const Vec& z, Vec& out) noexcept {
  constexpr double c2 = 1.0 / 2.0;
  constexpr double c3 = 1.0 / 6.0;
  constexpr double c4 = 1.0 / 24.0;
  constexpr double c5 = 1.0 / 120.0;
  constexpr double c6 = 1.0 / 720.0;
  constexpr double c7 = 1.0 / 5040.0;
  constexpr double c8 = 1.0 / 40320.0;
  Vec p = z * c8 + c7;
  p = p * z + c6;
  p = p * z + c5;
  p = p * z + c4;
  p = p * z + c3;
  p = p * z + c2;
  p = p * z + 1.0;
  out = p * z + 1.0;
}

__attribute__((always_inline)) inline void solve_block(const BiexSolver::FastPlan& plan, const BiexSolver& solver, const double* in,
                        double* out) noexcept {
  constexpr int shift = 52 - BiexSolver::cell_bits;
  constexpr std::uint64_t abs_mask = 0x7fffffffffffffffULL;
  constexpr std::uint64_t fraction_mask = (std::uint64_t{1} << shift) - 1;
  constexpr std::uint64_t one_bits = 0x3ff0000000000000ULL;

  Vec x;
  std::memcpy(&x, in, sizeof x);
  UVec x_bits;
  std::memcpy(&x_bits, &x, sizeof x);
  UVec ax_bits = x_bits & abs_mask;
  Vec ax;
  std::memcpy(&ax, &ax_bits, sizeof ax);

  // Cell index and position t ∈ [0, 1) inside it, straight from the bits of |x| + x_off:
  // the exponent picks the octave, the top mantissa bits the cell, the rest is t.
  const Vec v = ax + plan.x_off;
  UVec v_bits;
  std::memcpy(&v_bits, &v, sizeof v);
  const IVec index_raw = (IVec)(v_bits >> shift) - (IVec{} + static_cast<std::int64_t>(plan.base));
  const IVec outside = index_raw >= (IVec{} + static_cast<std::int64_t>(plan.cell_count));  // also NaN and ±inf
  const IVec index = index_raw & ~outside;
  const UVec t_bits = ((v_bits & fraction_mask) << BiexSolver::cell_bits) | one_bits;
  Vec t;
  std::memcpy(&t, &t_bits, sizeof t);
  t = t - 1.0;

  Vec delta_k;
  Vec step;
  Vec eb_k;
  Vec ed_k;
  for (std::size_t i = 0; i < lanes; ++i) {
    const BiexSolver::Cell& cell = plan.cells[index[i]];
    delta_k[i] = cell.delta;
    step[i] = cell.step;
    eb_k[i] = cell.eb;
    ed_k[i] = cell.ed;
  }

  // Guess: linear in |x| across the cell (error ≲ 3e-6 in δ).
  const Vec offset = t * step;
  const Vec delta0 = delta_k + offset;
  // e^(b·y0) and e^(−d·y0) from the knot's exponentials and a short series in the offset.
  Vec eb;
  Vec ed;
  exp_small(offset * plan.b, eb);
  exp_small(offset * -plan.d, ed);
  eb = eb * eb_k;
  ed = ed * ed_k;

  // Residual of the defining equation; near x1 the series keeps it accurate relative to x.
  const Vec direct = plan.a * eb - plan.c * ed + plan.h * delta0 - plan.f;
  Vec series = delta0 * plan.taylor[BiexSolver::fast_taylor_terms - 1] + plan.taylor[BiexSolver::fast_taylor_terms - 2];
  for (int k = BiexSolver::fast_taylor_terms - 3; k >= 0; --k) series = series * delta0 + plan.taylor[k];
  series = series * delta0;
  Vec g;
  select(delta0 < Vec{} + plan.fast_taylor_limit, series, direct, g);
  const Vec r = g - ax;
  const Vec d1 = plan.ab * eb + plan.cd * ed + plan.h;
  const Vec d2 = plan.ab2 * eb - plan.cd2 * ed;
  // One Halley step: from an error of 3e-6 it leaves (b²/12)·(3e-6)³ ≈ 1e-16.
  const Vec delta1 = delta0 - (2.0 * r * d1) / (2.0 * d1 * d1 - r * d2);
  Vec y;
  select(x < Vec{}, plan.x1 - delta1, plan.x1 + delta1, y);

  bool any_outside = false;
  for (std::size_t i = 0; i < lanes; ++i) any_outside |= outside[i] != 0;
  if (any_outside) [[unlikely]] {
    for (std::size_t i = 0; i < lanes; ++i) {
      if (outside[i] != 0) y[i] = solver.solve_reference(x[i]);
    }
  }
  std::memcpy(out, &y, sizeof y);
}

}  // namespace

ESCAPADE_TRANSFORM_TARGET_CLONES
void solve_fast_kernel(const BiexSolver::FastPlan& plan, const BiexSolver& solver, const double* in, double* out,
                       std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) solve_block(plan, solver, in + i, out + i);
  if (i < n) {
    // The tail goes through the same arithmetic, padded with zeros.
    double tail_in[lanes] = {};
    double tail_out[lanes];
    std::memcpy(tail_in, in + i, (n - i) * sizeof(double));
    solve_block(plan, solver, tail_in, tail_out);
    std::memcpy(out + i, tail_out, (n - i) * sizeof(double));
  }
}

}  // namespace escapade::transform::detail
