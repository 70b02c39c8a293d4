// Kernel densities, peaks and the thresholds built on them (autogate.hpp).
#include <fmt/format.h>

#include <algorithm>

#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <limits>

#include "libescapade/autogate/autogate.hpp"
#include "libescapade/base/error.hpp"

namespace escapade::autogate {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void fail(std::string where, std::string reason) {
  throw InputError(ErrorKind::invalid_argument, "", std::move(where), std::move(reason));
}

// The finite values, in their order. Nothing here sorts them: every quantile is a
// selection (std::nth_element, linear time), which keeps a 1M-event analysis fast.
std::vector<double> finite_values(std::span<const double> values) {
  std::vector<double> x;
  x.reserve(values.size());
  for (const double v : values) {
    if (std::isfinite(v)) x.push_back(v);
  }
  return x;
}

// R type 7 by selection: x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) of the sorted order, h = (n − 1)p.
// Reorders `x` (its multiset is unchanged).
double select_quantile(std::vector<double>& x, double p) {
  const double h = static_cast<double>(x.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(lo), x.end());
  const double a = x[lo];
  if (lo + 1 >= x.size()) return a;
  const double b = *std::min_element(x.begin() + static_cast<std::ptrdiff_t>(lo) + 1, x.end());
  return a + (h - static_cast<double>(lo)) * (b - a);
}

// Several quantiles of one sample with one partial sort: after the k-th order statistic is
// in place, every later (larger) one lies to its right, so each selection searches only
// what is left. The same values as select_quantile for each p.
std::vector<double> select_quantiles(std::vector<double>& x, std::vector<double> ps) {
  std::vector<std::size_t> order(ps.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ps[a] < ps[b]; });
  std::vector<double> out(ps.size());
  std::size_t start = 0;
  for (const std::size_t i : order) {
    const double h = static_cast<double>(x.size() - 1) * ps[i];
    const auto lo = static_cast<std::size_t>(std::floor(h));
    std::nth_element(x.begin() + static_cast<std::ptrdiff_t>(start), x.begin() + static_cast<std::ptrdiff_t>(lo), x.end());
    const double a = x[lo];
    out[i] = lo + 1 >= x.size() ? a
                                : a + (h - static_cast<double>(lo)) *
                                          (*std::min_element(x.begin() + static_cast<std::ptrdiff_t>(lo) + 1, x.end()) - a);
    start = lo;
  }
  return out;
}

// Every `stride`-th value, so that about `max_events` remain (all when fewer).
std::vector<double> strided(std::vector<double> x, std::size_t max_events, std::size_t& stride) {
  stride = max_events == 0 || x.size() <= max_events ? 1 : (x.size() + max_events - 1) / max_events;
  if (stride == 1) return x;
  std::vector<double> out;
  out.reserve(x.size() / stride + 1);
  for (std::size_t i = 0; i < x.size(); i += stride) out.push_back(x[i]);
  return out;
}

// Events of `x` within [a, b].
std::size_t count_between(const std::vector<double>& x, double a, double b) {
  return static_cast<std::size_t>(std::count_if(x.begin(), x.end(), [&](double v) { return v >= a && v <= b; }));
}

Density binned_density(const std::vector<double>& x, const DensityOptions& o, double bw, double lo, double hi);

Density density_of(std::vector<double>& x, const DensityOptions& o) {
  if (x.size() < 2) fail("density", fmt::format("needs at least 2 finite values, got {}", x.size()));
  if (o.grid < 16 || !(o.adjust > 0) || !(o.bandwidth >= 0) ||
      !(o.lower_quantile >= 0 && o.lower_quantile < o.upper_quantile && o.upper_quantile <= 1)) {
    fail("density", "grid ≥ 16, adjust > 0, bandwidth ≥ 0 and 0 ≤ lower_quantile < upper_quantile ≤ 1 are required");
  }
  const auto n = static_cast<double>(x.size());
  double bw = o.bandwidth;
  if (bw == 0) {
    // R bw.nrd0: 0.9 · min(SD, IQR/1.34) · n^(−1/5), falling back as R does when the IQR is 0.
    double mean = 0;
    for (const double v : x) mean += v;
    mean /= n;
    double ss = 0;
    for (const double v : x) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / (n - 1));
    const auto q = select_quantiles(x, {0.25, 0.75, o.lower_quantile, o.upper_quantile});
    const double iqr = q[1] - q[0];
    double spread = std::min(sd, iqr / 1.34);
    if (!(spread > 0)) spread = sd > 0 ? sd : (std::abs(x.front()) > 0 ? std::abs(x.front()) : 1.0);
    bw = 0.9 * spread * std::pow(n, -0.2) * o.adjust;
    return binned_density(x, o, bw, q[2] - 3 * bw, q[3] + 3 * bw);
  }
  const auto q = select_quantiles(x, {o.lower_quantile, o.upper_quantile});
  return binned_density(x, o, bw, q[0] - 3 * bw, q[1] + 3 * bw);
}

// The density on its grid from the bandwidth and range density_of chose.
Density binned_density(const std::vector<double>& x, const DensityOptions& o, double bw, double lo, double hi) {
  const auto n = static_cast<double>(x.size());
  Density d;
  d.bandwidth = bw;
  d.lo = lo;
  d.step = (hi - lo) / static_cast<double>(o.grid - 1);
  d.values.assign(o.grid, 0.0);
  // Linear binning: each value shares its weight between the two nearest grid points.
  std::vector<double> bins(o.grid, 0.0);
  for (const double v : x) {
    const double pos = (v - lo) / d.step;
    if (pos < 0 || pos > static_cast<double>(o.grid - 1)) continue;
    const auto i = static_cast<std::size_t>(pos);
    const double frac = pos - static_cast<double>(i);
    bins[i] += 1 - frac;
    if (i + 1 < o.grid) bins[i + 1] += frac;
    ++d.events;
  }
  // Gaussian kernel in grid units, truncated at 4 SD.
  const double sigma = bw / d.step;
  const auto half = static_cast<std::ptrdiff_t>(std::ceil(4 * sigma));
  std::vector<double> kernel(static_cast<std::size_t>(2 * half + 1));
  for (std::ptrdiff_t k = -half; k <= half; ++k) {
    kernel[static_cast<std::size_t>(k + half)] = std::exp(-0.5 * static_cast<double>(k * k) / (sigma * sigma));
  }
  double kernel_sum = 0;
  for (const double k : kernel) kernel_sum += k;
  const auto g = static_cast<std::ptrdiff_t>(o.grid);
  for (std::ptrdiff_t i = 0; i < g; ++i) {
    if (bins[static_cast<std::size_t>(i)] == 0) continue;
    const double w = bins[static_cast<std::size_t>(i)] / kernel_sum;
    for (std::ptrdiff_t k = std::max(-half, -i); k <= std::min(half, g - 1 - i); ++k) {
      d.values[static_cast<std::size_t>(i + k)] += w * kernel[static_cast<std::size_t>(k + half)];
    }
  }
  for (double& v : d.values) v /= n * d.step;
  return d;
}

std::string number(double v) { return fmt::format("{:.4g}", v); }

}  // namespace

std::size_t Density::index(double v) const noexcept {
  if (values.empty() || !(step > 0)) return 0;
  const double pos = std::round((v - lo) / step);
  if (!(pos > 0)) return 0;
  return std::min(values.size() - 1, static_cast<std::size_t>(pos));
}

Density estimate_density(std::span<const double> values, const DensityOptions& options) {
  std::vector<double> x = finite_values(values);
  return density_of(x, options);
}

std::vector<Peak> find_peaks(const Density& density, double min_relative_prominence) {
  const auto& d = density.values;
  std::vector<Peak> out;
  if (d.size() < 3) return out;
  const double top = *std::max_element(d.begin(), d.end());
  for (std::size_t i = 0; i < d.size(); ++i) {
    const bool left_lower = i == 0 || d[i] > d[i - 1];
    // A plateau counts once, at its left end.
    const bool right_not_higher = i + 1 == d.size() || d[i] >= d[i + 1];
    if (!left_lower || !right_not_higher || d[i] <= 0) continue;
    // Prominence (as scipy.signal.peak_prominences): on each side, the lowest point before
    // a higher one (or the edge); the higher of those two lows is the key col.
    double left_min = d[i];
    for (std::size_t j = i; j > 0 && d[j - 1] <= d[i];) left_min = std::min(left_min, d[--j]);
    double right_min = d[i];
    for (std::size_t j = i; j + 1 < d.size() && d[j + 1] <= d[i];) right_min = std::min(right_min, d[++j]);
    const double col = std::max(left_min, right_min);
    const double prominence = d[i] - col;
    if (prominence >= min_relative_prominence * top) out.push_back({density.x(i), d[i], prominence});
  }
  return out;
}

std::string Threshold::evidence() const {
  std::string text;
  if (!note.empty()) {
    text = note;
  } else switch (method) {
    case ThresholdMethod::valley:
      text = fmt::format("valley at {} between peaks {} and {} (depth {}, {:.1f}% of {} events within ±{})", number(value),
                         number(negative_peak), number(positive_peak), number(valley_depth), 100 * share_near_cut,
                         events, number(bandwidth));
      break;
    case ThresholdMethod::negative_tail:
      text = fmt::format("one peak at {}: cut {} above it ({:.1f}% of {} events within ±{})", number(negative_peak),
                         number(value - negative_peak), 100 * share_near_cut, events, number(bandwidth));
      break;
    case ThresholdMethod::negative_reference:
      text = fmt::format("{}99.5th percentile of {} negative-reference events (median {}): cut {}",
                         std::isnan(positive_peak) ? "" : fmt::format("one positive peak at {}; ", number(positive_peak)),
                         events, number(negative_peak), number(value));
      break;
    case ThresholdMethod::fixed:
      text = fmt::format("fixed at {}", number(value));
      break;
  }
  if (weak) text += "; WEAK: " + reason;
  return text;
}

Threshold valley_threshold(std::span<const double> values, const ThresholdOptions& options) {
  const std::size_t all_events = static_cast<std::size_t>(
      std::count_if(values.begin(), values.end(), [](double v) { return std::isfinite(v); }));
  std::size_t stride = 1;
  std::vector<double> x = strided(finite_values(values), options.max_events, stride);
  const Density d = density_of(x, options.density);
  const std::vector<Peak> peaks = find_peaks(d, options.min_relative_prominence);
  Threshold t;
  t.peaks = peaks.size();
  t.bandwidth = d.bandwidth;
  t.events = all_events;
  t.stride = stride;
  t.positive_peak = nan;
  // The best valley: between consecutive peaks, inside the search window, with the largest
  // dip below the lower of its two peaks.
  double best_dip = -1;
  for (std::size_t p = 0; p + 1 < peaks.size(); ++p) {
    const std::size_t a = d.index(peaks[p].position);
    const std::size_t b = d.index(peaks[p + 1].position);
    std::size_t v = a;
    for (std::size_t i = a; i <= b; ++i) {
      if (d.values[i] < d.values[v]) v = i;
    }
    const double cut = d.x(v);
    if (cut < options.search_min || cut > options.search_max) continue;
    if (peaks[p].position > options.negative_peak_max) continue;
    const double lower_peak = std::min(peaks[p].height, peaks[p + 1].height);
    const double dip = lower_peak - d.values[v];
    if (lower_peak > 0 && d.values[v] / lower_peak > options.max_depth) continue;
    if (options.prefer_lowest && best_dip >= 0) break;
    if (dip > best_dip) {
      best_dip = dip;
      t.value = cut;
      t.method = ThresholdMethod::valley;
      t.negative_peak = peaks[p].position;
      t.positive_peak = peaks[p + 1].position;
      t.valley_depth = lower_peak > 0 ? d.values[v] / lower_peak : 1.0;
    }
  }
  if (best_dip < 0) {
    // One population: the highest peak below the window's top is the negative one; its
    // lower half is free of positives, so its spread is measured there.
    const Peak* main = nullptr;
    for (const auto& p : peaks) {
      if (p.position <= options.search_max && (main == nullptr || p.height > main->height)) main = &p;
    }
    const double mode = main != nullptr ? main->position : select_quantile(x, 0.5);
    std::vector<double> below, above;
    for (const double v : x) (v < mode ? below : above).push_back(std::abs(v - mode));
    const double sd = below.size() >= 2 ? select_quantile(below, 0.6827) : d.bandwidth;
    const double upper_sd = above.size() >= 2 ? select_quantile(above, 0.6827) : sd;
    t.asymmetry = sd > 0 ? upper_sd / sd : 1.0;
    t.method = ThresholdMethod::negative_tail;
    t.negative_peak = mode;
    t.value = std::clamp(mode + options.tail_sds * sd, options.search_min, options.search_max);
    t.valley_depth = 1.0;
  }
  t.share_near_cut = static_cast<double>(count_between(x, t.value - d.bandwidth, t.value + d.bandwidth)) /
                     static_cast<double>(x.size());
  if (all_events < options.min_events) {
    t.weak = true;
    t.reason = fmt::format("only {} events (fewer than {})", all_events, options.min_events);
  } else if (t.method == ThresholdMethod::valley && t.valley_depth > options.weak_depth) {
    t.weak = true;
    t.reason = fmt::format("shallow valley (depth {} > {})", number(t.valley_depth), number(options.weak_depth));
  } else if (t.method == ThresholdMethod::negative_tail && t.asymmetry > options.weak_asymmetry) {
    t.weak = true;
    t.reason = fmt::format("one skewed peak (upper side {}× wider than lower): positives overlap the negatives",
                           number(t.asymmetry));
  } else if (t.share_near_cut > options.weak_share_near_cut) {
    t.weak = true;
    t.reason = fmt::format("{:.1f}% of events lie within ±{} of the cut (more than {:.1f}%)", 100 * t.share_near_cut,
                           number(d.bandwidth), 100 * options.weak_share_near_cut);
  }
  return t;
}

Threshold reference_threshold(std::span<const double> negatives, double q, double margin) {
  if (!(q > 0 && q < 1)) fail("reference_threshold", fmt::format("quantile {} is outside (0, 1)", q));
  std::vector<double> x = finite_values(negatives);
  if (x.size() < 2) fail("reference_threshold", fmt::format("needs at least 2 negative events, got {}", x.size()));
  Threshold t;
  t.method = ThresholdMethod::negative_reference;
  t.value = select_quantile(x, q) + margin;
  t.negative_peak = select_quantile(x, 0.5);
  t.positive_peak = nan;
  t.events = x.size();
  t.valley_depth = nan;
  if (x.size() < 50) {
    t.weak = true;
    t.reason = fmt::format("only {} reference events", x.size());
  }
  return t;
}

std::string SingletCut::evidence() const {
  std::string text = fmt::format("FSC-A/FSC-H < {} (median {} + spread {}): {:.1f}% kept", number(max_ratio),
                                 number(median_ratio), number(robust_sd), 100 * singlet_share);
  if (weak) text += "; WEAK: " + reason;
  return text;
}

SingletCut singlet_cut(std::span<const double> area, std::span<const double> height, double k) {
  if (area.size() != height.size()) {
    fail("singlet_cut", fmt::format("{} areas for {} heights", area.size(), height.size()));
  }
  std::vector<double> r;
  r.reserve(area.size());
  for (std::size_t i = 0; i < area.size(); ++i) {
    if (height[i] > 0 && std::isfinite(area[i]) && std::isfinite(height[i])) r.push_back(area[i] / height[i]);
  }
  if (r.size() < 2) fail("singlet_cut", "fewer than 2 events have a positive FSC-H");
  const std::size_t ratios = r.size();
  std::size_t stride = 1;
  std::vector<double> all_r;
  if (r.size() > 200000) all_r = r;  // the share kept is counted over every event
  r = strided(std::move(r), 200000, stride);
  // The singlets' mode from the ratio's density; their spread from the side below it,
  // which doublets (large A/H) do not reach.
  const Density d = density_of(r, {});
  const auto peaks = find_peaks(d);
  double mode = select_quantile(r, 0.5);
  double best = -1;
  for (const auto& p : peaks) {
    if (p.height > best) {
      best = p.height;
      mode = p.position;
    }
  }
  std::vector<double> below;
  for (const double v : r) {
    if (v < mode) below.push_back(mode - v);
  }
  SingletCut c;
  c.median_ratio = mode;
  c.robust_sd = below.size() >= 2 ? select_quantile(below, 0.6827) : d.bandwidth;
  c.max_ratio = mode + k * c.robust_sd;
  const std::vector<double>& every = all_r.empty() ? r : all_r;
  c.singlet_share = static_cast<double>(std::count_if(every.begin(), every.end(), [&](double v) { return v < c.max_ratio; })) /
                    static_cast<double>(area.size());
  if (ratios < 50) {
    c.weak = true;
    c.reason = fmt::format("only {} events", ratios);
  } else if (c.singlet_share < 0.5) {
    c.weak = true;
    c.reason = "fewer than half of the events are singlets";
  }
  return c;
}

double quantile(std::span<const double> values, double p) {
  if (!(p >= 0 && p <= 1)) fail("quantile", fmt::format("p = {} is outside [0, 1]", p));
  std::vector<double> x = finite_values(values);
  if (x.empty()) fail("quantile", "no finite value");
  return select_quantile(x, p);
}

WindowMinimum window_minimum(std::span<const double> values, double lo, double hi, const DensityOptions& options) {
  WindowMinimum w;
  std::vector<double> x = finite_values(values);
  if (x.size() < 2 || !(hi > lo)) return w;
  std::size_t stride = 1;
  x = strided(std::move(x), 200000, stride);
  const Density d = density_of(x, options);
  w.events = x.size();
  double top = 0;
  std::size_t best = d.values.size();
  for (std::size_t i = 0; i < d.values.size(); ++i) {
    const double at = d.x(i);
    if (at < lo || at > hi) continue;
    top = std::max(top, d.values[i]);
    if (best == d.values.size() || d.values[i] < d.values[best]) best = i;
  }
  if (best == d.values.size()) {
    // The window falls between grid points or outside the data: its middle is as good.
    w.value = (lo + hi) / 2;
    w.density_ratio = 0;
    return w;
  }
  // A flat trough (few events between two populations) has no single least dense point:
  // its middle is the cut, not whichever grid point noise makes lowest.
  const double floor = d.values[best] + 0.1 * (top - d.values[best]);
  std::size_t left = best, right = best;
  while (left > 0 && d.x(left - 1) >= lo && d.values[left - 1] <= floor) --left;
  while (right + 1 < d.values.size() && d.x(right + 1) <= hi && d.values[right + 1] <= floor) ++right;
  w.value = (d.x(left) + d.x(right)) / 2;
  w.density_ratio = top > 0 ? d.values[best] / top : 0;
  return w;
}

double mode(const Density& density, double fallback) {
  double best = fallback;
  double height = -1;
  for (const auto& p : find_peaks(density, 0.02)) {
    if (p.height > height) height = p.height, best = p.position;
  }
  return best;
}

double mode(std::span<const double> values) { return mode(estimate_density(values), quantile(values, 0.5)); }

namespace {

// The distances from `mode` of the finite values on one side of it.
std::vector<double> side_distances(std::span<const double> values, double mode, bool upper) {
  std::vector<double> distances;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    if (upper ? v > mode : v < mode) distances.push_back(std::abs(v - mode));
  }
  return distances;
}

}  // namespace

double side_spread(std::span<const double> values, double mode, bool upper, double coverage) {
  auto distances = side_distances(values, mode, upper);
  if (distances.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  // |Z| ≤ z with probability `coverage` for z = √2 erf⁻¹(coverage).
  const double z = std::sqrt(2.0) * boost::math::erf_inv(coverage);
  return select_quantile(distances, coverage) / z;
}

double side_reach(std::span<const double> values, double mode, bool upper) {
  auto distances = side_distances(values, mode, upper);
  if (distances.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  if (distances.size() < 200) return 2.5758293035489 * side_spread(values, mode, upper);
  return select_quantile(distances, 0.99);
}

namespace {

struct Histogram {
  std::vector<double> centre, count;
  double total = 0;
};

Histogram histogram_of(std::vector<double>& x) {
  Histogram h;
  constexpr std::size_t bins = 1024;
  const double lo = select_quantile(x, 0.001);
  const double hi = select_quantile(x, 0.999);
  const double width = hi > lo ? (hi - lo) / bins : 1.0;
  h.centre.resize(bins);
  h.count.assign(bins, 0);
  for (std::size_t i = 0; i < bins; ++i) h.centre[i] = lo + (static_cast<double>(i) + 0.5) * width;
  for (const double v : x) {
    const double at = std::floor((v - lo) / width);
    const auto i = static_cast<std::size_t>(std::clamp(at, 0.0, static_cast<double>(bins - 1)));
    h.count[i] += 1;
  }
  h.total = static_cast<double>(x.size());
  return h;
}

double normal_density(double x, double mean, double sd) {
  constexpr double inv_sqrt_2pi = 0.3989422804014327;
  const double z = (x - mean) / sd;
  return inv_sqrt_2pi / sd * std::exp(-0.5 * z * z);
}

// EM from one start; returns the log-likelihood (binned).
double em(const Histogram& h, std::vector<GaussianMixture::Component>& c, double min_sd) {
  const std::size_t k = c.size();
  std::vector<double> resp(k);
  double previous = -std::numeric_limits<double>::infinity();
  double ll = previous;
  for (int iteration = 0; iteration < 500; ++iteration) {
    std::vector<double> w(k, 0), m(k, 0), s(k, 0);
    ll = 0;
    for (std::size_t b = 0; b < h.centre.size(); ++b) {
      if (h.count[b] == 0) continue;
      double sum = 0;
      for (std::size_t j = 0; j < k; ++j) sum += resp[j] = c[j].weight * normal_density(h.centre[b], c[j].mean, c[j].sd);
      if (!(sum > 0)) continue;
      ll += h.count[b] * std::log(sum);
      for (std::size_t j = 0; j < k; ++j) {
        const double r = h.count[b] * resp[j] / sum;
        w[j] += r;
        m[j] += r * h.centre[b];
        s[j] += r * h.centre[b] * h.centre[b];
      }
    }
    for (std::size_t j = 0; j < k; ++j) {
      if (!(w[j] > 0)) return -std::numeric_limits<double>::infinity();
      c[j].weight = w[j] / h.total;
      c[j].mean = m[j] / w[j];
      c[j].sd = std::max(min_sd, std::sqrt(std::max(0.0, s[j] / w[j] - c[j].mean * c[j].mean)));
    }
    if (ll - previous < 1e-7 * std::abs(ll)) break;
    previous = ll;
  }
  return ll;
}

}  // namespace

GaussianMixture fit_gaussian_mixture(std::span<const double> values, std::size_t k) {
  if (k < 1 || k > 2) fail("Gaussian mixture", fmt::format("{} components: 1 or 2 are supported", k));
  std::vector<double> x = finite_values(values);
  if (x.size() < 2) fail("Gaussian mixture", "fewer than 2 finite values");
  const Histogram h = histogram_of(x);
  // Binning adds a uniform error of one bin width; never let a component be narrower.
  const double min_sd = std::max(1e-12, (h.centre.size() > 1 ? h.centre[1] - h.centre[0] : 1.0));
  GaussianMixture best;
  best.events = x.size();
  best.log_likelihood = -std::numeric_limits<double>::infinity();
  const std::vector<double> splits = k == 1 ? std::vector<double>{0.5} : std::vector<double>{0.05, 0.2, 0.5, 0.8, 0.95};
  for (const double q : splits) {
    std::vector<GaussianMixture::Component> c(k);
    if (k == 1) {
      c[0] = {1.0, select_quantile(x, 0.5), std::max(min_sd, select_quantile(x, 0.8413) - select_quantile(x, 0.1587))};
    } else {
      const double split = select_quantile(x, q);
      double n0 = 0, s0 = 0, ss0 = 0, n1 = 0, s1 = 0, ss1 = 0;
      for (const double v : x) {
        if (v < split) {
          n0 += 1, s0 += v, ss0 += v * v;
        } else {
          n1 += 1, s1 += v, ss1 += v * v;
        }
      }
      if (n0 < 1 || n1 < 1) continue;
      const auto sd = [&](double n, double s, double ss) { return std::max(min_sd, std::sqrt(std::max(0.0, ss / n - (s / n) * (s / n)))); };
      c[0] = {n0 / h.total, s0 / n0, sd(n0, s0, ss0)};
      c[1] = {n1 / h.total, s1 / n1, sd(n1, s1, ss1)};
    }
    const double ll = em(h, c, min_sd);
    if (ll > best.log_likelihood) {
      best.log_likelihood = ll;
      best.components = c;
    }
  }
  if (best.components.empty()) best.components = {{1.0, select_quantile(x, 0.5), min_sd}};
  std::sort(best.components.begin(), best.components.end(), [](const auto& a, const auto& b) { return a.mean < b.mean; });
  const double parameters = 3.0 * static_cast<double>(best.components.size()) - 1;
  best.bic = -2 * best.log_likelihood + parameters * std::log(static_cast<double>(x.size()));
  return best;
}

}  // namespace escapade::autogate
