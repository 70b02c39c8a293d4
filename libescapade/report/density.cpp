// Density plots: the 2-D histogram of displayed values, axes and gate outlines.
#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/report/detail/text.hpp"
#include "libescapade/report/plot.hpp"

namespace escapade::report {

namespace {

using gate::Dimension;
using gate::Point;

constexpr std::size_t max_bins = 4096;

// Where a gate of the plan is: a Gate, or a quadrant of a QuadrantGate.
struct GateRef {
  const gate::Gate* gate = nullptr;
  const gate::QuadrantGate* quadrants = nullptr;
  std::size_t quadrant = 0;
};

GateRef find_gate(const gate::GatingPlan& plan, std::string_view id) {
  for (const auto& g : plan.gates()) {
    if (g.id == id) return {&g, nullptr, 0};
  }
  for (const auto& q : plan.quadrant_gates()) {
    for (std::size_t i = 0; i < q.quadrants.size(); ++i) {
      if (q.quadrants[i].id == id) return {nullptr, &q, i};
    }
  }
  return {};
}

bool on_axis(const Dimension& d, const Dimension& x, const Dimension& y) { return d == x || d == y; }

// Whether the gate can be drawn on x × y.
bool drawable(const GateRef& ref, const Dimension& x, const Dimension& y) {
  if (ref.quadrants != nullptr) {
    const auto& dividers = ref.quadrants->dividers;
    return !dividers.empty() &&
           std::all_of(dividers.begin(), dividers.end(), [&](const auto& d) { return on_axis(d.dimension, x, y); });
  }
  if (ref.gate == nullptr) return false;
  if (const auto* r = std::get_if<gate::RectangleGate>(&ref.gate->shape)) {
    return !r->intervals.empty() && r->intervals.size() <= 2 &&
           std::all_of(r->intervals.begin(), r->intervals.end(),
                       [&](const gate::Interval& i) { return on_axis(i.dimension, x, y); });
  }
  if (const auto* p = std::get_if<gate::PolygonGate>(&ref.gate->shape)) {
    return (p->x == x && p->y == y) || (p->x == y && p->y == x);
  }
  if (const auto* e = std::get_if<gate::EllipsoidGate>(&ref.gate->shape)) {
    return e->dimensions.size() == 2 && ((e->dimensions[0] == x && e->dimensions[1] == y) ||
                                         (e->dimensions[0] == y && e->dimensions[1] == x));
  }
  return false;
}

// Maps dimension-space coordinates to display units on one axis.
struct AxisMap {
  const transform::Transform* display = nullptr;  // null = identity
  bool linear = true;                             // straight lines stay straight
  double min = 0;
  double max = 1;

  [[nodiscard]] double operator()(double v) const {
    double p = display ? display->apply(v) : v;
    if (std::isnan(p)) return p;
    // Open sides and far vertices: keep them just outside the plot, finite.
    const double span = max - min;
    return std::clamp(p, min - 4 * span, max + 4 * span);
  }
  [[nodiscard]] double clipped(double v) const { return std::clamp((*this)(v), min, max); }
};

struct Mapper {
  AxisMap x;
  AxisMap y;
  [[nodiscard]] Point operator()(Point p) const { return {x(p.x), y(p.y)}; }
  [[nodiscard]] bool linear() const { return x.linear && y.linear; }
};

// A polygon (closed) in dimension space → display units, edges subdivided where the display
// transform bends them.
std::vector<Point> map_closed(const std::vector<Point>& vertices, const Mapper& m) {
  std::vector<Point> out;
  const int steps = m.linear() ? 1 : 48;
  for (std::size_t i = 0; i < vertices.size(); ++i) {
    const Point a = vertices[i];
    const Point b = vertices[(i + 1) % vertices.size()];
    for (int s = 0; s < steps; ++s) {
      const double t = static_cast<double>(s) / steps;
      out.push_back(m({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)}));
    }
  }
  if (!out.empty()) out.push_back(out.front());
  return out;
}

struct Box {
  double x0, x1, y0, y1;
};

Box bounds(const std::vector<Point>& pts) {
  Box b{INFINITY, -INFINITY, INFINITY, -INFINITY};
  for (const Point& p : pts) {
    b.x0 = std::min(b.x0, p.x);
    b.x1 = std::max(b.x1, p.x);
    b.y0 = std::min(b.y0, p.y);
    b.y1 = std::max(b.y1, p.y);
  }
  return b;
}

// Label above the shape's top, centred on its visible part.
void label_above(GateOutline& o, const std::vector<Point>& pts, const Mapper& m) {
  const Box b = bounds(pts);
  const double cx = (std::clamp(b.x0, m.x.min, m.x.max) + std::clamp(b.x1, m.x.min, m.x.max)) / 2;
  o.label_at = {cx, std::clamp(b.y1, m.y.min, m.y.max)};
  o.label_align = {0.5, 0.0};
}

GateOutline rectangle_outline(const gate::RectangleGate& r, const Dimension& x, const Dimension& y, const Mapper& m) {
  double x0 = -INFINITY, x1 = INFINITY, y0 = -INFINITY, y1 = INFINITY;
  for (const auto& i : r.intervals) {
    // A dimension on both axes (x == y) constrains both.
    if (i.dimension == x) {
      x0 = i.min;
      x1 = i.max;
    }
    if (i.dimension == y) {
      y0 = i.min;
      y1 = i.max;
    }
  }
  GateOutline o;
  o.kind = GateOutline::Kind::rectangle;
  const double a = m.x.clipped(x0), b = m.x.clipped(x1), c = m.y.clipped(y0), d = m.y.clipped(y1);
  o.lines.push_back({{a, c}, {b, c}, {b, d}, {a, d}, {a, c}});
  label_above(o, o.lines.front(), m);
  return o;
}

GateOutline polygon_outline(const gate::PolygonGate& p, const Dimension& x, const Mapper& m) {
  std::vector<Point> v = p.vertices;
  if (!(p.x == x)) {
    for (Point& q : v) std::swap(q.x, q.y);
  }
  GateOutline o;
  o.kind = GateOutline::Kind::polygon;
  o.lines.push_back(map_closed(v, m));
  label_above(o, o.lines.front(), m);
  return o;
}

GateOutline ellipse_outline(const gate::EllipsoidGate& e, const Dimension& x, const Mapper& m) {
  // (v − μ)ᵀ Σ⁻¹ (v − μ) = D²  ⇔  v = μ + D·L·u, |u| = 1, Σ = L·Lᵀ (Cholesky).
  const double a = e.covariance[0], b = e.covariance[1], c = e.covariance[3];
  const double l11 = std::sqrt(a);
  const double l21 = b / l11;
  const double l22 = std::sqrt(std::max(0.0, c - l21 * l21));
  const double d = std::sqrt(e.distance_square);
  const bool swapped = !(e.dimensions[0] == x);
  constexpr int n = 360;
  GateOutline o;
  o.kind = GateOutline::Kind::ellipse;
  std::vector<Point> pts;
  pts.reserve(n + 1);
  for (int i = 0; i <= n; ++i) {
    const double t = 2 * std::numbers::pi * (i % n) / n;
    Point p{e.mean[0] + d * l11 * std::cos(t), e.mean[1] + d * (l21 * std::cos(t) + l22 * std::sin(t))};
    if (swapped) std::swap(p.x, p.y);
    pts.push_back(m(p));
  }
  o.lines.push_back(std::move(pts));
  label_above(o, o.lines.front(), m);
  return o;
}

// The interval of `values` (dividers) holding `location`: (lower, upper), ±inf at the ends.
std::pair<double, double> divider_interval(const std::vector<double>& values, double location) {
  double lo = -INFINITY;
  for (double v : values) {
    if (location < v) return {lo, v};
    lo = v;
  }
  return {lo, INFINITY};
}

GateOutline quadrant_outline(const gate::QuadrantGate& q, std::size_t index, const Dimension& x, const Dimension& y,
                             const Mapper& m) {  // dividers included
  GateOutline o;
  o.kind = GateOutline::Kind::quadrant;
  for (const auto& d : q.dividers) {
    for (double v : d.values) {
      if (d.dimension == x) {
        const double p = m.x(v);
        if (p >= m.x.min && p <= m.x.max) o.lines.push_back({{p, m.y.min}, {p, m.y.max}});
      }
      if (d.dimension == y) {
        const double p = m.y(v);
        if (p >= m.y.min && p <= m.y.max) o.lines.push_back({{m.x.min, p}, {m.x.max, p}});
      }
    }
  }
  double x0 = -INFINITY, x1 = INFINITY, y0 = -INFINITY, y1 = INFINITY;
  for (const auto& pos : q.quadrants[index].positions) {
    for (const auto& d : q.dividers) {
      if (d.id != pos.divider) continue;
      const auto [lo, hi] = divider_interval(d.values, pos.location);
      if (d.dimension == x) {
        x0 = std::max(x0, lo);
        x1 = std::min(x1, hi);
      }
      if (d.dimension == y) {
        y0 = std::max(y0, lo);
        y1 = std::min(y1, hi);
      }
    }
  }
  // The label sits in the region's outer corner: at a plot edge when the region is open
  // there, else in the middle of that side.
  auto place = [](double lo, double hi, const AxisMap& a, double& at, double& align) {
    const double plo = a.clipped(lo), phi = a.clipped(hi);
    if (std::isinf(hi) && hi > 0) {
      at = a.max;
      align = 1.0;
    } else if (std::isinf(lo) && lo < 0) {
      at = a.min;
      align = 0.0;
    } else {
      at = (plo + phi) / 2;
      align = 0.5;
    }
  };
  place(x0, x1, m.x, o.label_at.x, o.label_align.x);
  place(y0, y1, m.y, o.label_at.y, o.label_align.y);
  return o;
}

void check_bins(std::size_t columns, std::size_t rows, std::size_t low, std::size_t high) {
  if (columns < low || rows < low || columns > high || rows > high) {
    throw Error(ErrorKind::invalid_argument, "", "bins",
                std::to_string(columns) + "×" + std::to_string(rows) + " is outside " + std::to_string(low) + " … " +
                    std::to_string(high));
  }
}

void check_range(double lo, double hi, std::string_view what) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) {
    throw Error(ErrorKind::invalid_argument, "", std::string(what),
                "range [" + detail::decimal(lo, 6) + ", " + detail::decimal(hi, 6) + "] is not finite and non-empty");
  }
}

// The axis' scale (for ticks and the automatic range) and its display transform.
struct ResolvedAxis {
  const transform::Transform* scale = nullptr;
  const transform::Transform* display = nullptr;
  double min = 0;
  double max = 1;
};

ResolvedAxis resolve_axis(const gate::GatingPlan& plan, const AxisSpec& spec, std::span<const double> values,
                          const gate::Membership* members, std::string_view what) {
  ResolvedAxis r;
  if (!spec.dimension.transform.empty()) {
    if (spec.display) {
      throw Error(ErrorKind::invalid_argument, "", std::string(what),
                  "dimension " + spec.dimension.label() + " has its own transform; a display transform cannot be added");
    }
    r.scale = plan.find_transform(spec.dimension.transform);
  } else if (spec.display) {
    r.scale = &*spec.display;
    r.display = &*spec.display;
  }
  r.min = spec.min;
  r.max = spec.max;
  if (std::isnan(r.min) || std::isnan(r.max)) {
    double lo = 0, hi = 1;
    if (r.scale != nullptr) {
      if (r.scale->name() == "flowjo-biex") hi = transform::FlowJoBiexTransform::channel_count;
    } else {
      double vmin = INFINITY, vmax = -INFINITY;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (members != nullptr && !members->test(i)) continue;
        const double v = values[i];
        if (!std::isfinite(v)) continue;
        vmin = std::min(vmin, v);
        vmax = std::max(vmax, v);
      }
      if (vmin <= vmax) {
        lo = std::min(0.0, vmin);
        hi = vmax > lo ? vmax : lo + 1;
      }
    }
    if (std::isnan(r.min)) r.min = lo;
    if (std::isnan(r.max)) r.max = hi;
  }
  check_range(r.min, r.max, what);
  return r;
}

std::vector<float> smooth_counts(const Histogram2D& h) {
  // 3×3 binomial kernel [1 2 1]ᵀ[1 2 1]/16, zero outside.
  const std::size_t nx = h.columns, ny = h.rows;
  std::vector<float> tmp(nx * ny, 0.0f), out(nx * ny, 0.0f);
  for (std::size_t r = 0; r < ny; ++r) {
    for (std::size_t c = 0; c < nx; ++c) {
      float s = 2.0f * static_cast<float>(h.counts[r * nx + c]);
      if (c > 0) s += static_cast<float>(h.counts[r * nx + c - 1]);
      if (c + 1 < nx) s += static_cast<float>(h.counts[r * nx + c + 1]);
      tmp[r * nx + c] = s / 4.0f;
    }
  }
  for (std::size_t r = 0; r < ny; ++r) {
    for (std::size_t c = 0; c < nx; ++c) {
      float s = 2.0f * tmp[r * nx + c];
      if (r > 0) s += tmp[(r - 1) * nx + c];
      if (r + 1 < ny) s += tmp[(r + 1) * nx + c];
      out[r * nx + c] = s / 4.0f;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> drawable_gates(const gate::GatingPlan& plan, const gate::Dimension& x,
                                        const gate::Dimension& y, std::optional<std::string_view> parent) {
  std::vector<std::string> out;
  for (const auto& id : plan.populations()) {
    const GateRef ref = find_gate(plan, id);
    if (!drawable(ref, x, y)) continue;
    if (parent && plan.parent(id) != *parent) continue;
    out.push_back(id);
  }
  return out;
}

GateAxes gate_axes(const gate::GatingPlan& plan, std::string_view x, std::string_view y,
                   std::optional<std::string_view> parent) {
  // Dimensions of every shape gate, per population, in plan order.
  std::vector<std::pair<std::string, std::vector<Dimension>>> dims;
  for (const auto& id : plan.populations()) {
    const GateRef ref = find_gate(plan, id);
    std::vector<Dimension> d;
    if (ref.quadrants != nullptr) {
      for (const auto& div : ref.quadrants->dividers) d.push_back(div.dimension);
    } else if (ref.gate != nullptr) {
      if (const auto* r = std::get_if<gate::RectangleGate>(&ref.gate->shape)) {
        for (const auto& i : r->intervals) d.push_back(i.dimension);
      } else if (const auto* p = std::get_if<gate::PolygonGate>(&ref.gate->shape)) {
        d = {p->x, p->y};
      } else if (const auto* e = std::get_if<gate::EllipsoidGate>(&ref.gate->shape)) {
        d = e->dimensions;
      }
    }
    dims.emplace_back(id, std::move(d));
  }
  auto first_on = [](const std::vector<Dimension>& d, std::string_view channel) -> const Dimension* {
    for (const auto& e : d) {
      if (e.ratio.empty() && e.channel == channel) return &e;
    }
    return nullptr;
  };
  GateAxes out;
  for (const bool with_parent : {true, false}) {
    if (with_parent && !parent) continue;
    for (const auto& [id, d] : dims) {
      if (with_parent && plan.parent(id) != *parent) continue;
      const Dimension* dx = first_on(d, x);
      const Dimension* dy = first_on(d, y);
      if (dx != nullptr && dy != nullptr && dx != dy) {
        out.x = *dx;
        out.y = *dy;
        return out;
      }
    }
  }
  for (const auto& [id, d] : dims) {
    if (!out.x) {
      if (const Dimension* dx = first_on(d, x)) out.x = *dx;
    }
    if (!out.y) {
      if (const Dimension* dy = first_on(d, y)) out.y = *dy;
    }
  }
  return out;
}

Histogram2D histogram_2d(std::span<const double> x, std::span<const double> y, const gate::Membership* events,
                         double x_min, double x_max, double y_min, double y_max, std::size_t columns,
                         std::size_t rows) {
  if (x.size() != y.size() || (events != nullptr && events->size() != x.size())) {
    throw Error(ErrorKind::invalid_argument, "", "histogram_2d",
                "x, y and the membership differ in size (" + std::to_string(x.size()) + ", " + std::to_string(y.size()) +
                    (events ? ", " + std::to_string(events->size()) : std::string()) + ")");
  }
  check_range(x_min, x_max, "x");
  check_range(y_min, y_max, "y");
  check_bins(columns, rows, 1, 65536);
  Histogram2D h;
  h.columns = columns;
  h.rows = rows;
  h.counts.assign(columns * rows, 0);
  const double fx = static_cast<double>(columns) / (x_max - x_min);
  const double fy = static_cast<double>(rows) / (y_max - y_min);
  const double cx = static_cast<double>(columns) - 0.5;
  const double cy = static_cast<double>(rows) - 0.5;
  std::size_t total = 0, off = 0, missing = 0;
  auto bin = [&](std::size_t i) {
    const double vx = x[i], vy = y[i];
    if (std::isnan(vx) || std::isnan(vy)) {
      ++missing;
      return;
    }
    off += static_cast<std::size_t>(vx < x_min || vx > x_max || vy < y_min || vy > y_max);
    const auto c = static_cast<std::size_t>(std::clamp((vx - x_min) * fx, 0.0, cx));
    const auto r = static_cast<std::size_t>(std::clamp((vy - y_min) * fy, 0.0, cy));
    ++h.counts[r * columns + c];
    ++total;
  };
  if (events == nullptr) {
    for (std::size_t i = 0; i < x.size(); ++i) bin(i);
  } else {
    const auto words = events->words();
    for (std::size_t w = 0; w < words.size(); ++w) {
      std::uint64_t bits = words[w];
      while (bits != 0) {
        const auto b = static_cast<std::size_t>(std::countr_zero(bits));
        bin(w * 64 + b);
        bits &= bits - 1;
      }
    }
  }
  h.total = total;
  h.off_scale = off;
  h.missing = missing;
  return h;
}

DensityPlot make_density_plot(const gate::GatingPlan& plan, const EventMatrix& events, const PlotSpec& spec,
                              const gate::GatingResult* result, const gate::ApplyOptions& options) {
  check_bins(spec.bins_x, spec.bins_y, 2, max_bins);
  if (result == nullptr && !spec.population.empty()) {
    throw Error(ErrorKind::invalid_argument, "", "population '" + spec.population + "'",
                "plotting a population needs the gating result");
  }
  if (result != nullptr && result->event_count() != events.event_count()) {
    throw Error(ErrorKind::invalid_argument, "", "gating result",
                "holds " + std::to_string(result->event_count()) + " events, the matrix " +
                    std::to_string(events.event_count()));
  }
  const gate::Membership* members = spec.population.empty() ? nullptr : &result->membership(spec.population);

  std::vector<double> xs = gate::dimension_values(plan, events, spec.x.dimension, options);
  std::vector<double> ys = gate::dimension_values(plan, events, spec.y.dimension, options);
  if (spec.x.display && spec.x.dimension.transform.empty()) spec.x.display->apply(xs, xs, options.kernel);
  if (spec.y.display && spec.y.dimension.transform.empty()) spec.y.display->apply(ys, ys, options.kernel);
  const ResolvedAxis rx = resolve_axis(plan, spec.x, xs, members, "x axis");
  const ResolvedAxis ry = resolve_axis(plan, spec.y, ys, members, "y axis");

  DensityPlot plot;
  plot.x = {spec.x.label.empty() ? spec.x.dimension.label() : spec.x.label, rx.min, rx.max,
            axis_ticks(rx.scale, rx.min, rx.max, spec.x.ticks, spec.min_label_gap)};
  plot.y = {spec.y.label.empty() ? spec.y.dimension.label() : spec.y.label, ry.min, ry.max,
            axis_ticks(ry.scale, ry.min, ry.max, spec.y.ticks, spec.min_label_gap)};
  plot.histogram = histogram_2d(xs, ys, members, rx.min, rx.max, ry.min, ry.max, spec.bins_x, spec.bins_y);
  if (spec.smooth) plot.density = smooth_counts(plot.histogram);
  const std::size_t population_count = members ? members->count() : events.event_count();
  plot.title = !spec.title.empty() ? spec.title : spec.population.empty() ? "All events" : plan.name(spec.population);
  plot.subtitle = detail::grouped(population_count) + (population_count == 1 ? " event" : " events");

  auto linear = [](const transform::Transform* t) {
    return t == nullptr || t->name() == "flin" || t->name() == "flowjo-linear";
  };
  const Mapper m{{rx.display, linear(rx.display), rx.min, rx.max}, {ry.display, linear(ry.display), ry.min, ry.max}};
  std::vector<const gate::QuadrantGate*> quadrant_seen;
  for (const std::string& id : spec.gates) {
    const GateRef ref = find_gate(plan, id);
    if (ref.gate == nullptr && ref.quadrants == nullptr) {
      throw GateTreeError(ErrorKind::reference, plan.source(), "gate '" + id + "'", "no such gate in the plan");
    }
    if (!drawable(ref, spec.x.dimension, spec.y.dimension)) {
      throw Error(ErrorKind::invalid_argument, plan.source(), "gate '" + id + "'",
                  "is not a rectangle, polygon, 2-D ellipsoid or quadrant on " + spec.x.dimension.label() + " × " +
                      spec.y.dimension.label());
    }
    GateOutline o;
    if (ref.quadrants != nullptr) {
      // Dividers once per quadrant gate, with its first drawn quadrant.
      const bool first = std::find(quadrant_seen.begin(), quadrant_seen.end(), ref.quadrants) == quadrant_seen.end();
      if (first) quadrant_seen.push_back(ref.quadrants);
      o = quadrant_outline(*ref.quadrants, ref.quadrant, spec.x.dimension, spec.y.dimension, m);
      if (!first) o.lines.clear();
      o.name = ref.quadrants->quadrants[ref.quadrant].name.empty() ? id : ref.quadrants->quadrants[ref.quadrant].name;
    } else {
      const gate::Gate& g = *ref.gate;
      if (const auto* r = std::get_if<gate::RectangleGate>(&g.shape)) {
        o = rectangle_outline(*r, spec.x.dimension, spec.y.dimension, m);
      } else if (const auto* p = std::get_if<gate::PolygonGate>(&g.shape)) {
        o = polygon_outline(*p, spec.x.dimension, m);
      } else {
        o = ellipse_outline(std::get<gate::EllipsoidGate>(g.shape), spec.x.dimension, m);
      }
      o.name = g.name.empty() ? g.id : g.name;
      o.complement = g.complement;
    }
    o.id = id;
    if (result != nullptr) {
      o.count = result->count(id);
      o.percent = result->percent_of_parent(id);
    }
    plot.gates.push_back(std::move(o));
  }
  return plot;
}

}  // namespace escapade::report
