// Axes of a plot: tick placement in real units, display transforms for channels.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/report/detail/text.hpp"
#include "libescapade/report/plot.hpp"

namespace escapade::report {

namespace {

struct Candidate {
  double value;
  bool major;
};

// Ticks at ±m·10^k and 0 for a log-like scale.
std::vector<Candidate> decade_candidates(double rmin, double rmax) {
  std::vector<Candidate> out;
  if (rmin <= 0 && rmax >= 0) out.push_back({0.0, true});
  const double top = std::max(std::fabs(rmin), std::fabs(rmax));
  if (!(top > 0)) return out;
  const int k_top = static_cast<int>(std::floor(std::log10(top)));
  for (int sign : {1, -1}) {
    const double lo = sign > 0 ? rmin : -rmax;  // the range of |v| on this side
    const double hi = sign > 0 ? rmax : -rmin;
    if (!(hi > 0)) continue;
    // Decades too close to 0 of an asinh-like scale are dropped later by crowding; seven
    // decades below the top are plenty for any cytometry scale.
    int k_lo = k_top - 7;
    if (lo > 0) k_lo = std::max(k_lo, static_cast<int>(std::floor(std::log10(lo))));
    const int k_hi = static_cast<int>(std::floor(std::log10(hi)));
    for (int k = k_lo; k <= k_hi; ++k) {
      const double p = std::pow(10.0, k);
      for (int m = 1; m <= 9; ++m) {
        const double v = m * p;
        if (v < lo || v > hi) continue;
        out.push_back({sign * v, m == 1});
      }
    }
  }
  return out;
}

double linear_step(double span, double& mantissa) {
  const double raw = span / 6.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw * (1 - 1e-9)) {
      mantissa = m == 10.0 ? 1.0 : m;
      return m * mag;
    }
  }
  mantissa = 1.0;
  return 10 * mag;
}

// Fewest decimals that write every multiple of `step` exactly (at most 6).
int decimals_for(double step) {
  for (int d = 0; d < 6; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) return d;
  }
  return 6;
}

// Labels in thousands (K) or millions (M) when the axis reaches 10K or 10M, so one axis
// never mixes "500" and "1K".
double linear_unit(double reach, double step) {
  if (reach >= 1e7 && step >= 1e5) return 1e6;
  if (reach >= 1e4 && step >= 100) return 1e3;
  return 1.0;
}

std::string linear_label(double v, double step, double unit) {
  if (std::fabs(v) < step * 1e-9) return "0";
  const std::string suffix = unit == 1e6 ? "M" : unit == 1e3 ? "K" : "";
  return detail::decimal(v / unit, decimals_for(step / unit)) + suffix;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TickStyle automatic_tick_style(const transform::Transform* scale) noexcept {
  if (scale == nullptr) return TickStyle::linear;
  const std::string_view name = scale->name();
  if (name == "flin" || name == "flowjo-linear") return TickStyle::linear;
  return TickStyle::decades;
}

std::vector<Tick> axis_ticks(const transform::Transform* scale, double min, double max, TickStyle style,
                             double min_label_gap) {
  if (!std::isfinite(min) || !std::isfinite(max) || !(min < max)) {
    throw Error(ErrorKind::invalid_argument, "", "axis range",
                "[" + detail::decimal(min, 6) + ", " + detail::decimal(max, 6) + "] is not a finite, non-empty range");
  }
  if (!(min_label_gap > 0 && min_label_gap < 1)) {
    throw Error(ErrorKind::invalid_argument, "", "min_label_gap", "must lie in (0, 1)");
  }
  if (style == TickStyle::automatic) style = automatic_tick_style(scale);
  if (style == TickStyle::none) return {};
  auto forward = [&](double v) { return scale ? scale->apply(v) : v; };
  auto backward = [&](double p) { return scale ? scale->inverse(p) : p; };
  const double rmin = backward(min);
  const double rmax = backward(max);
  if (!std::isfinite(rmin) || !std::isfinite(rmax) || !(rmin < rmax)) return {};

  const double span = max - min;
  const double eps = span * 1e-9;
  std::vector<Tick> ticks;
  auto add = [&](double v, bool major, std::string label) {
    const double p = forward(v);
    if (!std::isfinite(p) || p < min - eps || p > max + eps) return;
    ticks.push_back({v, std::clamp(p, min, max), major, std::move(label)});
  };

  if (style == TickStyle::linear) {
    double mantissa = 1;
    const double step = linear_step(rmax - rmin, mantissa);
    const double minor = step / (mantissa == 2.0 ? 4.0 : 5.0);
    const auto first = static_cast<long long>(std::ceil(rmin / minor - 1e-9));
    const auto last = static_cast<long long>(std::floor(rmax / minor + 1e-9));
    const long long per_major = mantissa == 2.0 ? 4 : 5;
    const double unit = linear_unit(std::max(std::fabs(rmin), std::fabs(rmax)), step);
    for (long long i = first; i <= last; ++i) {
      const double v = static_cast<double>(i) * minor;
      const bool major = i % per_major == 0;
      add(v, major, major ? linear_label(v, step, unit) : std::string());
    }
    std::sort(ticks.begin(), ticks.end(), [](const Tick& a, const Tick& b) { return a.position < b.position; });
    return ticks;
  }

  // Decades: every candidate, then labels by priority, then drop crowded unlabelled marks.
  for (const Candidate& c : decade_candidates(rmin, rmax)) add(c.value, c.major, std::string());
  const double gap = min_label_gap * span;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    if (ticks[i].major) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double va = std::fabs(ticks[a].value);
    const double vb = std::fabs(ticks[b].value);
    if ((va == 0) != (vb == 0)) return va == 0;  // 0 first
    if (va != vb) return va > vb;                // then the largest decades
    return ticks[a].value > ticks[b].value;      // positive before negative
  });
  std::vector<double> labelled;
  for (std::size_t i : order) {
    const double p = ticks[i].position;
    const bool clear = std::all_of(labelled.begin(), labelled.end(), [&](double q) { return std::fabs(p - q) >= gap; });
    if (!clear) continue;
    // A negative decade on the corner would crowd the other axis' labels.
    if (ticks[i].value < 0 && p < min + gap / 2) continue;
    labelled.push_back(p);
    const double v = ticks[i].value;
    if (v == 0) {
      ticks[i].label = "0";
    } else {
      const int k = static_cast<int>(std::lround(std::log10(std::fabs(v))));
      ticks[i].label = (v < 0 ? std::string("\u2212") : std::string()) + detail::power_of_ten(k);
    }
  }
  // Keep labelled ticks, then unlabelled majors (largest first), then minors, each only
  // where it is not crowded.
  const double crowd = gap / 12.0;
  std::vector<std::size_t> keep_order;
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    if (!ticks[i].label.empty()) keep_order.push_back(i);
  }
  for (std::size_t i : order) {
    if (ticks[i].label.empty()) keep_order.push_back(i);
  }
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    if (!ticks[i].major) keep_order.push_back(i);
  }
  std::vector<Tick> kept;
  std::vector<double> positions;
  for (std::size_t i : keep_order) {
    const double p = ticks[i].position;
    const bool clear = ticks[i].label.size() > 0 ||
                       std::all_of(positions.begin(), positions.end(), [&](double q) { return std::fabs(p - q) >= crowd; });
    if (!clear) continue;
    positions.push_back(p);
    kept.push_back(ticks[i]);
  }
  std::sort(kept.begin(), kept.end(), [](const Tick& a, const Tick& b) { return a.position < b.position; });
  return kept;
}

double channel_top(const fcs::Parameter& parameter) noexcept {
  double top = parameter.range;
  if (parameter.scaling.rfind("log", 0) == 0) {
    top = (parameter.log_offset > 0 ? parameter.log_offset : 1.0) * std::pow(10.0, parameter.log_decades);
  } else if (parameter.scaling.find("(gain)") != std::string::npos && parameter.gain > 0) {
    top = parameter.range / parameter.gain;
  }
  if (!std::isfinite(top) || top < 1) top = 1;
  return top;
}

bool is_scatter_or_time(const fcs::Parameter& parameter) noexcept {
  if (parameter.is_time) return true;
  try {
    const std::string name = lower(parameter.name);
    return name.rfind("fsc", 0) == 0 || name.rfind("ssc", 0) == 0 || name.find("time") != std::string::npos;
  } catch (...) {
    return false;
  }
}

double logicle_width(std::span<const double> values, double t, double m) {
  std::vector<double> negative;
  for (double v : values) {
    if (v < 0 && std::isfinite(v)) negative.push_back(v);
  }
  if (negative.empty() || !(t > 0) || !(m > 0)) return 0.0;
  // The 5th percentile of the negative values: all but the 5 % most negative show.
  const auto k = static_cast<std::size_t>(0.05 * static_cast<double>(negative.size() - 1));
  std::nth_element(negative.begin(), negative.begin() + static_cast<std::ptrdiff_t>(k), negative.end());
  const double r = negative[k];
  const double w = (m - std::log10(t / std::fabs(r))) / 2.0;
  return std::clamp(w, 0.0, m / 2.0 - 0.25);
}

std::optional<transform::Transform> display_transform(const fcs::Parameter& parameter, std::span<const double> values,
                                                      Scale scale) {
  if (scale == Scale::automatic) scale = is_scatter_or_time(parameter) ? Scale::linear : Scale::logicle;
  if (scale == Scale::none) return std::nullopt;
  double top = channel_top(parameter);
  if (parameter.is_time || scale == Scale::linear) {
    double data_max = 0;
    for (double v : values) {
      if (std::isfinite(v)) data_max = std::max(data_max, v);
    }
    // Time's $PnR rarely bounds it; a linear channel whose values pass its $PnR shows them.
    if (parameter.is_time || data_max > top) top = std::max(1.0, data_max);
  }
  switch (scale) {
    case Scale::linear: return transform::Transform(transform::LinearTransform(top, 0.0));
    case Scale::asinh: return transform::Transform(transform::AsinhTransform(top, 4.5, 0.5));
    case Scale::logicle:
    default: {
      const double m = 4.5;
      return transform::Transform(transform::LogicleTransform(top, logicle_width(values, top, m), m, 0.0));
    }
  }
}

}  // namespace escapade::report
