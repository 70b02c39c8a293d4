// Gating-ML 2.0 closed-form transforms: flin, flog, fasinh, fratio (docs/formats.md §2.3).
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "libescapade/transform/detail/checks.hpp"
#include "libescapade/transform/transform.hpp"

namespace escapade::transform {

// ---- flin -------------------------------------------------------------------------------

LinearTransform::LinearTransform(double t, double a, Bounds bounds) : my_t(t), my_a(a), my_bounds(bounds) {
  detail::require_positive("flin", "T", t);
  detail::require_finite("flin", "A", a);
  // Gating-ML 2.0 and flowCore: 0 ≤ A ≤ T (docs/formats.md §2.3).
  if (a < 0.0) detail::fail_parameter("flin", fmt::format("A = {} must be >= 0", a));
  if (a > t) detail::fail_parameter("flin", fmt::format("A = {} exceeds T = {}", a, t));
  detail::require_bounds("flin", bounds);
}

double LinearTransform::apply(double x) const noexcept {
  return detail::clamp_to(my_bounds, (x + my_a) / (my_t + my_a));
}

double LinearTransform::inverse(double y) const noexcept { return y * (my_t + my_a) - my_a; }

void LinearTransform::apply(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flin", in.size(), out.size());
  const double denominator = my_t + my_a;
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = (in[i] + my_a) / denominator;
  detail::clamp_all(my_bounds, out);
}

void LinearTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flin", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = inverse(in[i]);
}

std::string LinearTransform::summary() const {
  return fmt::format("LinearTransform(T={}, A={}{})", my_t, my_a, detail::bounds_suffix(my_bounds));
}

// ---- flog -------------------------------------------------------------------------------

LogTransform::LogTransform(double t, double m, Bounds bounds) : my_t(t), my_m(m), my_bounds(bounds) {
  detail::require_positive("flog", "T", t);
  detail::require_positive("flog", "M", m);
  detail::require_bounds("flog", bounds);
}

double LogTransform::apply(double x) const noexcept {
  return detail::clamp_to(my_bounds, 1.0 + std::log10(x / my_t) / my_m);
}

double LogTransform::inverse(double y) const noexcept { return my_t * std::pow(10.0, (y - 1.0) * my_m); }

void LogTransform::apply(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flog", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = 1.0 + std::log10(in[i] / my_t) / my_m;
  detail::clamp_all(my_bounds, out);
}

void LogTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flog", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = inverse(in[i]);
}

std::string LogTransform::summary() const {
  return fmt::format("LogTransform(T={}, M={}{})", my_t, my_m, detail::bounds_suffix(my_bounds));
}

// ---- fasinh -----------------------------------------------------------------------------

AsinhTransform::AsinhTransform(double t, double m, double a, Bounds bounds)
    : my_t(t), my_m(m), my_a(a), my_scale(0.0), my_bounds(bounds) {
  detail::require_positive("fasinh", "T", t);
  detail::require_positive("fasinh", "M", m);
  detail::require_finite("fasinh", "A", a);
  if (a < 0.0) detail::fail_parameter("fasinh", fmt::format("A = {} must be >= 0", a));
  detail::require_bounds("fasinh", bounds);
  my_scale = std::sinh(m * detail::ln10) / t;
  if (!std::isfinite(my_scale)) detail::fail_parameter("fasinh", fmt::format("M = {} overflows sinh(M·ln10)", m));
}

double AsinhTransform::apply(double x) const noexcept {
  const double y = (std::asinh(x * my_scale) + my_a * detail::ln10) / ((my_m + my_a) * detail::ln10);
  return detail::clamp_to(my_bounds, y);
}

double AsinhTransform::inverse(double y) const noexcept {
  return std::sinh((my_m + my_a) * detail::ln10 * y - my_a * detail::ln10) / my_scale;
}

void AsinhTransform::apply(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("fasinh", in.size(), out.size());
  const double offset = my_a * detail::ln10;
  const double denominator = (my_m + my_a) * detail::ln10;
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = (std::asinh(in[i] * my_scale) + offset) / denominator;
  detail::clamp_all(my_bounds, out);
}

void AsinhTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("fasinh", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = inverse(in[i]);
}

std::string AsinhTransform::summary() const {
  return fmt::format("AsinhTransform(T={}, M={}, A={}{})", my_t, my_m, my_a, detail::bounds_suffix(my_bounds));
}

// ---- fratio -----------------------------------------------------------------------------

RatioTransform::RatioTransform(double a, double b, double c, Bounds bounds)
    : my_a(a), my_b(b), my_c(c), my_bounds(bounds) {
  detail::require_finite("fratio", "A", a);
  detail::require_finite("fratio", "B", b);
  detail::require_finite("fratio", "C", c);
  detail::require_bounds("fratio", bounds);
}

double RatioTransform::apply(double x1, double x2) const noexcept {
  return detail::clamp_to(my_bounds, my_a * (x1 - my_b) / (x2 - my_c));
}

void RatioTransform::apply(std::span<const double> x1, std::span<const double> x2, std::span<double> out) const {
  detail::require_same_size("fratio", x1.size(), x2.size());
  detail::require_same_size("fratio", x1.size(), out.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = my_a * (x1[i] - my_b) / (x2[i] - my_c);
  detail::clamp_all(my_bounds, out);
}

std::string RatioTransform::summary() const {
  return fmt::format("RatioTransform(A={}, B={}, C={}{})", my_a, my_b, my_c, detail::bounds_suffix(my_bounds));
}

}  // namespace escapade::transform
