// Gating-ML 2.0 logicle and hyperlog (docs/formats.md §2.3): parameters → coefficients of the
// shared bi-exponential solver in detail/biexponential.*.
#include <cmath>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "libescapade/transform/detail/biexponential.hpp"
#include "libescapade/transform/detail/checks.hpp"
#include "libescapade/transform/transform.hpp"

namespace escapade::transform {

namespace {

// Logicle constants exactly as docs/formats.md §2.3 (flowCore Rd) derives them.
detail::BiexCoefficients logicle_coefficients(double t, double w_decades, double m, double a_decades) {
  const double w = w_decades / (m + a_decades);
  const double x2 = a_decades / (m + a_decades);
  const double x1 = x2 + w;
  const double x0 = x2 + 2.0 * w;
  const double b = (m + a_decades) * detail::ln10;
  const double d = detail::solve_logicle_d(b, w);
  const double ca = std::exp(x0 * (b + d));
  const double fa = std::exp(b * x1) - ca * std::exp(-d * x1);
  const double a = t / (std::exp(b) - fa - ca * std::exp(-d));
  return {.a = a, .b = b, .c = ca * a, .d = d, .h = 0.0, .x1 = x1};
}

// Hyperlog: EH(y) = a·e^(b·y) + c·y − f; in the solver's form the linear term is h·δ.
detail::BiexCoefficients hyperlog_coefficients(double t, double w_decades, double m, double a_decades) {
  const double w = w_decades / (m + a_decades);
  const double x2 = a_decades / (m + a_decades);
  const double x1 = x2 + w;
  const double x0 = x2 + 2.0 * w;
  const double b = (m + a_decades) * detail::ln10;
  const double e0 = std::exp(b * x0);
  const double ca = e0 / w;
  const double fa = std::exp(b * x1) + ca * x1;
  const double a = t / (std::exp(b) + ca - fa);
  return {.a = a, .b = b, .c = 0.0, .d = 0.0, .h = ca * a, .x1 = x1};
}

void require_solvable(std::string_view transform, const detail::BiexCoefficients& k) {
  if (!(std::isfinite(k.a) && k.a > 0.0 && std::isfinite(k.c) && std::isfinite(k.h) && std::isfinite(k.b))) {
    detail::fail_parameter(transform, fmt::format("T, W, M, A give non-finite coefficients (a = {})", k.a));
  }
}

void run_solver(const detail::BiexSolver& solver, std::span<const double> in, std::span<double> out, Kernel kernel) {
  if (kernel == Kernel::vectorized) {
    solver.solve_fast(in.data(), out.data(), in.size());
  } else {
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = solver.solve_reference(in[i]);
  }
}

void run_raw(const detail::BiexSolver& solver, std::span<const double> in, std::span<double> out) {
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = solver.raw(in[i]);
}

}  // namespace

// ---- logicle ----------------------------------------------------------------------------

LogicleTransform::LogicleTransform(double t, double w, double m, double a, Bounds bounds)
    : my_t(t), my_w(w), my_m(m), my_a(a), my_bounds(bounds) {
  detail::require_biex_limits("logicle", t, w, m, a);
  if (w < 0.0) detail::fail_parameter("logicle", fmt::format("W = {} must be >= 0", w));
  detail::require_bounds("logicle", bounds);
  const detail::BiexCoefficients k = logicle_coefficients(t, w, m, a);
  require_solvable("logicle", k);
  my_solver = std::make_shared<const detail::BiexSolver>(k);
}

double LogicleTransform::zero_point() const noexcept { return my_solver->coefficients().x1; }

double LogicleTransform::apply(double x) const noexcept {
  return detail::clamp_to(my_bounds, my_solver->solve_reference(x));
}

double LogicleTransform::inverse(double y) const noexcept { return my_solver->raw(y); }

void LogicleTransform::apply(std::span<const double> in, std::span<double> out, Kernel kernel) const {
  detail::require_same_size("logicle", in.size(), out.size());
  run_solver(*my_solver, in, out, kernel);
  detail::clamp_all(my_bounds, out);
}

void LogicleTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("logicle", in.size(), out.size());
  run_raw(*my_solver, in, out);
}

std::string LogicleTransform::summary() const {
  return fmt::format("LogicleTransform(T={}, W={}, M={}, A={}{})", my_t, my_w, my_m, my_a,
                     detail::bounds_suffix(my_bounds));
}

// ---- hyperlog ---------------------------------------------------------------------------

HyperlogTransform::HyperlogTransform(double t, double w, double m, double a, Bounds bounds)
    : my_t(t), my_w(w), my_m(m), my_a(a), my_bounds(bounds) {
  detail::require_biex_limits("hyperlog", t, w, m, a);
  if (!(w > 0.0)) detail::fail_parameter("hyperlog", fmt::format("W = {} must be > 0", w));
  detail::require_bounds("hyperlog", bounds);
  const detail::BiexCoefficients k = hyperlog_coefficients(t, w, m, a);
  require_solvable("hyperlog", k);
  my_solver = std::make_shared<const detail::BiexSolver>(k);
}

double HyperlogTransform::zero_point() const noexcept { return my_solver->coefficients().x1; }

double HyperlogTransform::apply(double x) const noexcept {
  return detail::clamp_to(my_bounds, my_solver->solve_reference(x));
}

double HyperlogTransform::inverse(double y) const noexcept { return my_solver->raw(y); }

void HyperlogTransform::apply(std::span<const double> in, std::span<double> out, Kernel kernel) const {
  detail::require_same_size("hyperlog", in.size(), out.size());
  run_solver(*my_solver, in, out, kernel);
  detail::clamp_all(my_bounds, out);
}

void HyperlogTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("hyperlog", in.size(), out.size());
  run_raw(*my_solver, in, out);
}

std::string HyperlogTransform::summary() const {
  return fmt::format("HyperlogTransform(T={}, W={}, M={}, A={}{})", my_t, my_w, my_m, my_a,
                     detail::bounds_suffix(my_bounds));
}

}  // namespace escapade::transform
