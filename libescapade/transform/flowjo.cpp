// FlowJo 10 workspace transforms (docs/formats.md §3.3).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "libescapade/transform/detail/biexponential.hpp"
#include "libescapade/transform/detail/checks.hpp"
#include "libescapade/transform/transform.hpp"

namespace escapade::transform {

// ---- linear -----------------------------------------------------------------------------

FlowJoLinearTransform::FlowJoLinearTransform(double min_range, double max_range, double gain)
    : my_min(min_range), my_max(max_range), my_gain(gain) {
  detail::require_finite("flowjo-linear", "minRange", min_range);
  detail::require_finite("flowjo-linear", "maxRange", max_range);
  detail::require_positive("flowjo-linear", "gain", gain);
  if (!(max_range > min_range)) {
    detail::fail_parameter("flowjo-linear",
                           fmt::format("maxRange = {} must exceed minRange = {}", max_range, min_range));
  }
}

double FlowJoLinearTransform::apply(double x) const noexcept { return (my_gain * x - my_min) / (my_max - my_min); }

double FlowJoLinearTransform::inverse(double y) const noexcept { return (y * (my_max - my_min) + my_min) / my_gain; }

void FlowJoLinearTransform::apply(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flowjo-linear", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = apply(in[i]);
}

void FlowJoLinearTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flowjo-linear", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = inverse(in[i]);
}

std::string FlowJoLinearTransform::summary() const {
  return fmt::format("FlowJoLinearTransform(minRange={}, maxRange={}, gain={})", my_min, my_max, my_gain);
}

// ---- log --------------------------------------------------------------------------------

FlowJoLogTransform::FlowJoLogTransform(double offset, double decades) : my_offset(offset), my_decades(decades) {
  detail::require_positive("flowjo-log", "offset", offset);
  detail::require_positive("flowjo-log", "decades", decades);
}

double FlowJoLogTransform::apply(double x) const noexcept {
  // std::max would turn NaN into offset; keep NaN visible.
  const double clamped = x < my_offset ? my_offset : x;
  return (std::log10(clamped) - std::log10(my_offset)) / my_decades;
}

double FlowJoLogTransform::inverse(double y) const noexcept { return my_offset * std::pow(10.0, y * my_decades); }

void FlowJoLogTransform::apply(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flowjo-log", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = apply(in[i]);
}

void FlowJoLogTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flowjo-log", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = inverse(in[i]);
}

std::string FlowJoLogTransform::summary() const {
  return fmt::format("FlowJoLogTransform(offset={}, decades={})", my_offset, my_decades);
}

// ---- biex -------------------------------------------------------------------------------

namespace {

constexpr double biex_channels = FlowJoBiexTransform::channel_count;
// FlowJo's table has channel_count + 1 points, channel i at y = i/(channel_count + 1).
constexpr double biex_points = FlowJoBiexTransform::channel_count + 1;

}  // namespace

FlowJoBiexTransform::FlowJoBiexTransform(double neg, double width, double pos, double length, double max_range)
    : my_neg(neg), my_width(width), my_pos(pos), my_length(length), my_max_range(max_range) {
  constexpr std::string_view where = "flowjo-biex";
  detail::require_finite(where, "neg", neg);
  detail::require_finite(where, "width", width);
  detail::require_positive(where, "pos", pos);
  detail::require_positive(where, "length", length);
  detail::require_positive(where, "maxRange", max_range);
  if (!(std::abs(width) >= 1.0)) {
    detail::fail_parameter(where, fmt::format("width = {} must have |width| >= 1 (W = log10(|width|)/2)", width));
  }
  // Gating-ML names: W = log10(|width|)/2 decades of linearization, A = neg, M = pos.
  const double w_decades = std::log10(std::abs(width)) / 2.0;
  double decades = pos - w_decades;
  if (!(decades > 0.0)) {
    detail::fail_parameter(where, fmt::format("pos = {} must exceed W = log10(|width|)/2 = {}", pos, w_decades));
  }
  const double extra = std::max(neg, 0.0) + w_decades;
  // The zero goes on a whole channel; the decades stretch so that it stays at x1.
  const double zero = std::floor(extra * biex_channels / (extra + decades));
  my_zero_channel = static_cast<int>(std::min(zero, biex_channels / 2.0));
  if (my_zero_channel > 0) decades = extra * biex_channels / my_zero_channel;
  const double w = w_decades / decades;
  const double b = detail::ln10 * decades;
  const double d = detail::solve_logicle_d(b, w);
  const double a = max_range / std::exp(b);
  const double ca = std::exp((b + d) * (w + extra / decades));
  const detail::BiexCoefficients k{.a = a, .b = b, .c = ca * a, .d = d, .h = 0.0,
                                   .x1 = my_zero_channel / biex_points};
  if (!(std::isfinite(k.a) && k.a > 0.0 && std::isfinite(k.c))) {
    detail::fail_parameter(where, fmt::format("neg, width, pos give non-finite coefficients (a = {})", k.a));
  }
  my_solver = std::make_shared<const detail::BiexSolver>(k);
}

double FlowJoBiexTransform::apply(double x) const noexcept {
  const double channel = my_solver->solve_reference(x) * biex_points;
  return channel < 0.0 ? 0.0 : (channel > biex_channels ? biex_channels : channel);
}

double FlowJoBiexTransform::inverse(double channel) const noexcept {
  const double clamped = channel < 0.0 ? 0.0 : (channel > biex_channels ? biex_channels : channel);
  return my_solver->raw(clamped / biex_points);
}

void FlowJoBiexTransform::apply(std::span<const double> in, std::span<double> out, Kernel kernel) const {
  detail::require_same_size("flowjo-biex", in.size(), out.size());
  if (kernel == Kernel::vectorized) {
    my_solver->solve_fast(in.data(), out.data(), in.size());
  } else {
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = my_solver->solve_reference(in[i]);
  }
  for (double& y : out) {
    const double channel = y * biex_points;
    y = channel < 0.0 ? 0.0 : (channel > biex_channels ? biex_channels : channel);
  }
}

void FlowJoBiexTransform::inverse(std::span<const double> in, std::span<double> out) const {
  detail::require_same_size("flowjo-biex", in.size(), out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = inverse(in[i]);
}

std::string FlowJoBiexTransform::summary() const {
  return fmt::format("FlowJoBiexTransform(neg={}, width={}, pos={}, length={}, maxRange={})", my_neg, my_width,
                     my_pos, my_length, my_max_range);
}

// ---- fasinh, logicle --------------------------------------------------------------------

AsinhTransform flowjo_fasinh(double t, double m, double a, double w, double length, double max_range) {
  // Only T, M, A define the curve (FlowKit); the rest are checked so bad XML is not silent.
  detail::require_finite("flowjo-fasinh", "W", w);
  detail::require_positive("flowjo-fasinh", "length", length);
  detail::require_positive("flowjo-fasinh", "maxRange", max_range);
  return AsinhTransform(t, m, a);
}

LogicleTransform flowjo_logicle(double t, double w, double m, double a) { return LogicleTransform(t, w, m, a); }

}  // namespace escapade::transform
