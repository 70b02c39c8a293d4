#pragma once
// Parameter checks and small helpers shared by the transform files.
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "libescapade/base/error.hpp"
#include "libescapade/transform/transform.hpp"

namespace escapade::transform::detail {

// Error(numeric) with `where` = the transform and a reason that starts with the parameter.
[[noreturn]] inline void fail_parameter(std::string_view transform, std::string reason) {
  throw Error(ErrorKind::numeric, {}, std::string(transform), std::move(reason));
}

inline void require_finite(std::string_view transform, std::string_view name, double value) {
  if (!std::isfinite(value)) fail_parameter(transform, fmt::format("{} = {} is not finite", name, value));
}

inline void require_positive(std::string_view transform, std::string_view name, double value) {
  require_finite(transform, name, value);
  if (!(value > 0.0)) fail_parameter(transform, fmt::format("{} = {} must be > 0", name, value));
}

inline void require_bounds(std::string_view transform, const Bounds& bounds) {
  if (bounds.min) require_finite(transform, "boundMin", *bounds.min);
  if (bounds.max) require_finite(transform, "boundMax", *bounds.max);
  if (bounds.min && bounds.max && *bounds.min > *bounds.max) {
    fail_parameter(transform, fmt::format("boundMin = {} exceeds boundMax = {}", *bounds.min, *bounds.max));
  }
}

// The Gating-ML 2.0 limits shared by logicle and hyperlog: W ≤ M/2 and −W ≤ A ≤ M − 2W.
inline void require_biex_limits(std::string_view transform, double t, double w, double m, double a) {
  require_positive(transform, "T", t);
  require_finite(transform, "W", w);
  require_positive(transform, "M", m);
  require_finite(transform, "A", a);
  if (w > m / 2.0) fail_parameter(transform, fmt::format("W = {} exceeds M/2 = {}", w, m / 2.0));
  if (a < -w) fail_parameter(transform, fmt::format("A = {} is below -W = {}", a, -w));
  if (a > m - 2.0 * w) fail_parameter(transform, fmt::format("A = {} exceeds M - 2W = {}", a, m - 2.0 * w));
}

inline void require_same_size(std::string_view transform, std::size_t in, std::size_t out) {
  if (in != out) {
    throw Error(ErrorKind::invalid_argument, {}, std::string(transform),
                fmt::format("output has {} values for {} inputs", out, in));
  }
}

// NaN stays NaN (no comparison is true for it).
inline double clamp_to(const Bounds& bounds, double y) noexcept {
  if (bounds.min && y < *bounds.min) return *bounds.min;
  if (bounds.max && y > *bounds.max) return *bounds.max;
  return y;
}

inline void clamp_all(const Bounds& bounds, std::span<double> values) noexcept {
  if (!bounds.min && !bounds.max) return;
  for (double& y : values) y = clamp_to(bounds, y);
}

// ", boundMin=…, boundMax=…" for summaries, empty when unbounded.
inline std::string bounds_suffix(const Bounds& bounds) {
  std::string out;
  if (bounds.min) out += fmt::format(", boundMin={}", *bounds.min);
  if (bounds.max) out += fmt::format(", boundMax={}", *bounds.max);
  return out;
}

inline constexpr double ln10 = 2.302585092994045684017991454684364208;

}  // namespace escapade::transform::detail
