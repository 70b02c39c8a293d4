#pragma once
// The bi-exponential family behind logicle, hyperlog and FlowJo biex: one solver, one
// scalar reference path, one table-driven vector path (docs/formats.md §2.3, §3.3).
//
// Every member of the family is, for y ≥ x1 and δ = y − x1 ≥ 0,
//     G(δ) = a·e^(b·y) − c·e^(−d·y) + h·δ − f,   with G(0) = 0,
// and is odd about x1 below it: B(y) = −G(x1 − y). Logicle has h = 0; hyperlog has c = 0,
// d = 0 and h its linear coefficient; FlowJo biex is logicle with its own a, f and x1.
// The forward transform solves B(y) = x; the inverse evaluates B.

#include <cstddef>
#include <vector>

namespace escapade::transform::detail {

struct BiexCoefficients {
  double a = 0.0;
  double b = 0.0;
  double c = 0.0;
  double d = 0.0;
  double h = 0.0;
  double x1 = 0.0;
};

// Root of 2·(ln d − ln b) + w·(b + d) = 0 in (0, b], to the last bit (d = b when w = 0).
[[nodiscard]] double solve_logicle_d(double b, double w) noexcept;

class BiexSolver {
 public:
  static constexpr int taylor_terms = 16;       // reference series near x1
  static constexpr int fast_taylor_terms = 8;   // vector path series near x1
  static constexpr int cell_bits = 6;           // 64 table cells per octave of |x| + x_off
  static constexpr int octaves = 48;            // table covers |x| < x_off·(2^48 − 1)

  explicit BiexSolver(const BiexCoefficients& coefficients);
  // The fast plan points into the table: held behind a shared pointer, never copied.
  BiexSolver(const BiexSolver&) = delete;
  BiexSolver& operator=(const BiexSolver&) = delete;

  [[nodiscard]] const BiexCoefficients& coefficients() const noexcept { return my_k; }

  // B(y): the inverse transform, accurate to a few ulps relative also near x1.
  [[nodiscard]] double raw(double y) const noexcept;
  // The y with B(y) = x: bracketed Halley iteration to full precision.
  [[nodiscard]] double solve_reference(double x) const noexcept;
  // solve_reference for n values, through the table and one Halley step.
  void solve_fast(const double* in, double* out, std::size_t n) const noexcept;

  // G(δ) for δ ≥ 0 (series below my_taylor_limit) and its first two derivatives.
  [[nodiscard]] double g(double delta) const noexcept;
  [[nodiscard]] double g1(double delta) const noexcept;
  [[nodiscard]] double g2(double delta) const noexcept;
  // δ ≥ 0 with G(δ) = ax for finite ax ≥ 0.
  [[nodiscard]] double solve_delta(double ax) const noexcept;

  struct Cell {
    double delta;  // δ at the cell's lower knot
    double step;   // δ at the upper knot minus delta
    double eb;     // e^(b·(x1 + delta))
    double ed;     // e^(−d·(x1 + delta))
  };

  // Everything the vector kernel reads, flat so the kernel needs no member access.
  struct FastPlan {
    const Cell* cells;
    long long cell_count;
    long long base;          // bit pattern of x_off >> (52 − cell_bits)
    double x_off;            // power of two added to |x| before indexing
    double a, b, c, d, h, f, x1;
    double ab, cd, ab2, cd2;  // a·b, c·d, a·b², c·d²
    double fast_taylor_limit;
    double taylor[fast_taylor_terms];  // G's series coefficients t1 … t8
  };

 private:
  BiexCoefficients my_k;
  double my_f = 0.0;              // a·e^(b·x1) − c·e^(−d·x1): makes G(0) = 0
  double my_e_bx1 = 0.0;          // e^(b·x1)
  double my_e_dx1 = 0.0;          // e^(−d·x1)
  double my_taylor_limit = 0.0;   // series used for δ below this
  double my_taylor[taylor_terms] = {};  // t_k, k = 1 … taylor_terms
  std::vector<Cell> my_cells;
  FastPlan my_plan{};
};

// The vector kernel (runtime-dispatched clones, fp contraction off).
void solve_fast_kernel(const BiexSolver::FastPlan& plan, const BiexSolver& solver, const double* in, double* out,
                       std::size_t n) noexcept;

}  // namespace escapade::transform::detail
