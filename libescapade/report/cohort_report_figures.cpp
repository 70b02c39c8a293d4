// The cohort report's figures, drawn with cairo in the look of a journal figure: white
// background, open axes (left and bottom), ticks outward in real units, DejaVu Sans,
// colour-blind-safe colours, legends, tests and P values stated on the figure.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

#include "libescapade/base/error.hpp"
#include "libescapade/report/cohort_report.hpp"
#include "libescapade/report/detail/cohort_chart.hpp"

namespace escapade::report {

namespace {

using detail::chart_font;
using detail::chart_text;
using detail::p_text;
using detail::Rgb;
using detail::set_colour;
using detail::short_number;
using detail::text_width;
using detail::ValueAxis;

constexpr double tick_font = 9.5;
constexpr double label_font = 10.5;
constexpr double title_font = 12;
constexpr double note_font = 9.5;
const Rgb blue = detail::chart_colour(0);
const Rgb vermillion = detail::chart_colour(1);
const Rgb green = detail::chart_colour(2);
const Rgb orange = detail::chart_colour(4);

struct Area {
  double x = 0, y = 0, w = 0, h = 0;
  [[nodiscard]] double bottom() const { return y + h; }
  [[nodiscard]] double right() const { return x + w; }
};

double y_of(const Area& a, const ValueAxis& ax, double v) { return a.bottom() - std::clamp(ax.fraction(v), -0.02, 1.02) * a.h; }

void title(cairo_t* cr, const std::string& text, double x, double y) {
  set_colour(cr, detail::chart_black);
  chart_font(cr, title_font, true);
  chart_text(cr, text, x, y, 0, 1);
}

// Left axis with outward ticks, labels and a rotated title.
void y_axis(cairo_t* cr, const Area& a, const ValueAxis& ax, const std::string& label) {
  set_colour(cr, detail::chart_black);
  cairo_set_line_width(cr, 0.9);
  cairo_move_to(cr, a.x, a.y - 2);
  cairo_line_to(cr, a.x, a.bottom());
  cairo_stroke(cr);
  chart_font(cr, tick_font);
  double widest = 0;
  for (const auto& t : ax.ticks()) {
    const double y = y_of(a, ax, t.value);
    cairo_move_to(cr, a.x, y);
    cairo_line_to(cr, a.x - 4, y);
    cairo_stroke(cr);
    chart_text(cr, t.label, a.x - 7, y, 1, 0.5);
    widest = std::max(widest, text_width(cr, t.label));
  }
  chart_font(cr, label_font);
  detail::chart_text_vertical(cr, label, a.x - widest - 16, a.y + a.h / 2, 0.5, 1);
}

// Bottom axis line (categorical axes draw their own labels).
void x_axis_line(cairo_t* cr, const Area& a) {
  set_colour(cr, detail::chart_black);
  cairo_set_line_width(cr, 0.9);
  cairo_move_to(cr, a.x, a.bottom());
  cairo_line_to(cr, a.right() + 2, a.bottom());
  cairo_stroke(cr);
}

// A dot: filled (present) or open (below the LOD).
void dot(cairo_t* cr, double x, double y, double r, Rgb c, bool filled) {
  cairo_new_path(cr);
  cairo_arc(cr, x, y, r, 0, 2 * std::numbers::pi);
  if (filled) {
    set_colour(cr, c, 0.8);
    cairo_fill_preserve(cr);
    set_colour(cr, Rgb{c.r * 0.6, c.g * 0.6, c.b * 0.6});
    cairo_set_line_width(cr, 0.6);
    cairo_stroke(cr);
  } else {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill_preserve(cr);
    set_colour(cr, c);
    cairo_set_line_width(cr, 0.9);
    cairo_stroke(cr);
  }
}

void triangle(cairo_t* cr, double x, double y, double r, Rgb c) {
  cairo_new_path(cr);
  cairo_move_to(cr, x, y - r * 1.2);
  cairo_line_to(cr, x + r * 1.1, y + r * 0.8);
  cairo_line_to(cr, x - r * 1.1, y + r * 0.8);
  cairo_close_path(cr);
  set_colour(cr, c, 0.85);
  cairo_fill_preserve(cr);
  set_colour(cr, Rgb{c.r * 0.6, c.g * 0.6, c.b * 0.6});
  cairo_set_line_width(cr, 0.6);
  cairo_stroke(cr);
}

// Horizontal jitter in [-1, 1]: dots of similar value spread apart, deterministic.
std::vector<double> jitter(const std::vector<double>& values, const ValueAxis& ax) {
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> out(values.size(), 0);
  // Within runs of close values, alternate left and right with growing offsets.
  std::size_t run = 0;
  double run_start = -1e300;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const double f = ax.fraction(values[order[k]]);
    if (f - run_start > 0.03) {
      run = 0;
      run_start = f;
    }
    const double step = 0.16 * static_cast<double>((run + 1) / 2);
    const double off = std::fmod(step, 1.0) * ((run % 2) != 0 ? 1.0 : -1.0);
    out[order[k]] = std::clamp(off + 0.04 * std::sin(static_cast<double>(k) * 2.399), -1.0, 1.0);
    ++run;
  }
  return out;
}

// A bracket between x1 and x2 at height y with a P value over it.
void bracket(cairo_t* cr, double x1, double x2, double y, const std::string& text) {
  set_colour(cr, detail::chart_black);
  cairo_set_line_width(cr, 0.8);
  cairo_move_to(cr, x1, y + 4);
  cairo_line_to(cr, x1, y);
  cairo_line_to(cr, x2, y);
  cairo_line_to(cr, x2, y + 4);
  cairo_stroke(cr);
  chart_font(cr, 8.5);
  chart_text(cr, text, (x1 + x2) / 2, y - 3, 0.5, 1);
}

std::string pct(double v) { return std::isnan(v) ? "NA" : short_number(v, 3) + "%"; }

std::string axis_label(const CohortAnalysis& a) { return a.phenotype + " (% of CD34+)"; }

std::string population_name(const CohortAnalysis& a) { return a.phenotype; }

// ---------------------------------------------------------------- frequency by phase
constexpr double phase_w = 600, phase_h = 420;

void draw_phases(cairo_t* cr, const CohortAnalysis& a) {
  const PhaseAnalysis& p = a.phases;
  const std::size_t n = p.groups.size();
  // Brackets: the shortest spans first, each on the lowest level where it overlaps none.
  struct Placed {
    std::size_t a, b, level;
    double p;
  };
  std::vector<Placed> placed;
  for (const auto& c : p.pairwise) {
    std::size_t ia = n, ib = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (p.groups[i].key == c.a) ia = i;
      if (p.groups[i].key == c.b) ib = i;
    }
    if (ia == n || ib == n) continue;
    placed.push_back({std::min(ia, ib), std::max(ia, ib), 0, c.test.p_value});
  }
  std::stable_sort(placed.begin(), placed.end(), [](const Placed& x, const Placed& y) { return x.b - x.a < y.b - y.a; });
  std::size_t levels = 0;
  for (std::size_t k = 0; k < placed.size(); ++k) {
    std::size_t level = 0;
    for (bool clash = true; clash;) {
      clash = false;
      for (std::size_t j = 0; j < k; ++j) {
        if (placed[j].level == level && placed[j].a < placed[k].b && placed[k].a < placed[j].b) clash = true;
      }
      if (clash) ++level;
    }
    placed[k].level = level;
    levels = std::max(levels, level + 1);
  }
  Area area{78, 62.0 + 15.0 * static_cast<double>(levels), phase_w - 78 - 16, 0};
  area.h = phase_h - area.y - 62;
  double vmax = 0;
  for (const auto& g : p.groups) {
    for (double v : g.values) vmax = std::max(vmax, v);
  }
  const ValueAxis ax = detail::pseudo_log_axis(vmax);
  title(cr, "Frequency by disease phase", 12, 18);
  // Legend (top right) and the Kruskal–Wallis line (under the title).
  chart_font(cr, note_font);
  set_colour(cr, detail::chart_black);
  if (p.kruskal_wallis) {
    std::string names;
    for (const auto& g : p.groups) {
      if (std::find(p.kruskal_wallis_groups.begin(), p.kruskal_wallis_groups.end(), g.key) == p.kruskal_wallis_groups.end()) {
        continue;
      }
      names += (names.empty() ? "" : ", ") + g.label;
    }
    chart_text(cr, fmt::format("Kruskal\u2013Wallis ({}): {}", names, p_text(p.kruskal_wallis->p_value)), 12, 36, 0, 1);
  }
  {
    double lx = phase_w - 16;
    const std::string t3 = "mean", t2 = "< LOD", t1 = "\u2265 LOD";
    chart_font(cr, note_font);
    lx -= text_width(cr, t3);
    chart_text(cr, t3, lx, 18, 0, 1);
    cairo_set_line_width(cr, 2);
    set_colour(cr, detail::chart_black);
    cairo_move_to(cr, lx - 20, 14.5);
    cairo_line_to(cr, lx - 5, 14.5);
    cairo_stroke(cr);
    lx -= 34 + text_width(cr, t2);
    set_colour(cr, detail::chart_black);
    chart_text(cr, t2, lx, 18, 0, 1);
    dot(cr, lx - 8, 14.5, 3.2, detail::chart_grey, false);
    lx -= 26 + text_width(cr, t1);
    set_colour(cr, detail::chart_black);
    chart_text(cr, t1, lx, 18, 0, 1);
    dot(cr, lx - 8, 14.5, 3.2, detail::chart_grey, true);
  }
  // Slots: the main phases, a gap, then the others.
  std::vector<double> slot(n);
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool main = p.groups[i].key == "diagnosis" || p.groups[i].key == "remission" || p.groups[i].key == "relapse";
    if (i > 0 && !main) {
      const bool prev_main = p.groups[i - 1].key == "diagnosis" || p.groups[i - 1].key == "remission" ||
                             p.groups[i - 1].key == "relapse";
      if (prev_main) s += 0.5;
    }
    slot[i] = s;
    s += 1;
  }
  const double slots = std::max(1.0, s);
  const double slot_w = area.w / slots;
  auto cx = [&](std::size_t i) { return area.x + (slot[i] + 0.5) * slot_w; };
  // Separator between the two sets.
  for (std::size_t i = 1; i < n; ++i) {
    if (slot[i] - slot[i - 1] > 1.25) {
      const double x = area.x + (slot[i] - 0.25) * slot_w;
      set_colour(cr, detail::chart_light_grey);
      cairo_set_line_width(cr, 0.7);
      const double dash[] = {3, 3};
      cairo_set_dash(cr, dash, 2, 0);
      cairo_move_to(cr, x, area.y);
      cairo_line_to(cr, x, area.bottom() + 44);
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    }
  }
  y_axis(cr, area, ax, axis_label(a));
  x_axis_line(cr, area);
  const double half = std::min(slot_w * 0.32, 40.0);
  for (std::size_t i = 0; i < n; ++i) {
    const PhaseGroup& g = p.groups[i];
    const Rgb c = detail::chart_colour(i);
    const std::vector<double> jx = jitter(g.values, ax);
    const double r = g.values.size() > 150 ? 2.2 : 3.0;
    for (std::size_t k = 0; k < g.values.size(); ++k) {
      dot(cr, cx(i) + jx[k] * half, y_of(area, ax, g.values[k]), r, c, g.present[k]);
    }
    if (!std::isnan(g.summary.mean)) {
      set_colour(cr, detail::chart_black);
      cairo_set_line_width(cr, 2.2);
      const double y = y_of(area, ax, g.summary.mean);
      cairo_move_to(cr, cx(i) - half * 1.1, y);
      cairo_line_to(cr, cx(i) + half * 1.1, y);
      cairo_stroke(cr);
    }
    set_colour(cr, detail::chart_black);
    chart_font(cr, label_font, true);
    chart_text(cr, g.label, cx(i), area.bottom() + 14, 0.5, 1);
    chart_font(cr, tick_font);
    chart_text(cr, fmt::format("n = {}", g.values.size()), cx(i), area.bottom() + 28, 0.5, 1);
    set_colour(cr, detail::chart_grey);
    const double share = g.values.empty() ? 0 : 100.0 * static_cast<double>(g.n_present) / static_cast<double>(g.values.size());
    chart_text(cr, fmt::format("{:.0f}% present", share), cx(i), area.bottom() + 41, 0.5, 1);
  }
  // Pairwise Mann–Whitney brackets above the plot.
  for (const Placed& b : placed) {
    bracket(cr, cx(b.a) + 4, cx(b.b) - 4, area.y - 8 - 15.0 * static_cast<double>(b.level), p_text(b.p));
  }
}

// ---------------------------------------------------------------- paired
constexpr double paired_w = 440, paired_h = 420;

void draw_paired(cairo_t* cr, const CohortAnalysis& a) {
  const PairedAnalysis& p = a.paired;
  Area area{78, 76, paired_w - 78 - 110, 0};
  area.h = paired_h - area.y - 48;
  double vmax = 0;
  for (const auto& q : p.patients) vmax = std::max({vmax, q.pre, q.post});
  const ValueAxis ax = detail::pseudo_log_axis(vmax);
  title(cr, "Pre-therapy vs day +30 after CAR T", 12, 18);
  chart_font(cr, note_font);
  set_colour(cr, detail::chart_black);
  std::string tests;
  if (p.t_test) tests += "paired t test " + p_text(p.t_test->p_value);
  if (p.signed_rank) tests += std::string(tests.empty() ? "" : "; ") + "Wilcoxon signed-rank " + p_text(p.signed_rank->p_value);
  if (tests.empty()) tests = "too few pairs for paired tests";
  chart_text(cr, tests, 12, 36, 0, 1);
  chart_text(cr,
             fmt::format("n = {} patients; higher at day +30 in {} ({:.0f}%); ratio of means {}\u00d7", p.patients.size(),
                         p.increased,
                         p.patients.empty() ? 0.0 : 100.0 * static_cast<double>(p.increased) / static_cast<double>(p.patients.size()),
                         short_number(p.ratio_of_means, 2)),
             12, 51, 0, 1);
  y_axis(cr, area, ax, axis_label(a));
  x_axis_line(cr, area);
  const double x1 = area.x + area.w * 0.3, x2 = area.x + area.w * 0.7;
  for (const auto& q : p.patients) {
    const Rgb c = q.post > q.pre ? vermillion : blue;
    set_colour(cr, c, 0.65);
    cairo_set_line_width(cr, 1.1);
    cairo_move_to(cr, x1, y_of(area, ax, q.pre));
    cairo_line_to(cr, x2, y_of(area, ax, q.post));
    cairo_stroke(cr);
  }
  for (const auto& q : p.patients) {
    const Rgb c = q.post > q.pre ? vermillion : blue;
    dot(cr, x1, y_of(area, ax, q.pre), 2.8, c, q.pre_present);
    dot(cr, x2, y_of(area, ax, q.post), 2.8, c, q.post_present);
  }
  // Mean ± SD beside each column.
  auto mean_sd = [&](double x, const stats::Descriptive& d) {
    if (std::isnan(d.mean)) return;
    set_colour(cr, detail::chart_black);
    cairo_set_line_width(cr, 1.2);
    if (!std::isnan(d.sd)) {
      cairo_move_to(cr, x, y_of(area, ax, std::max(0.0, d.mean - d.sd)));
      cairo_line_to(cr, x, y_of(area, ax, d.mean + d.sd));
      cairo_stroke(cr);
    }
    cairo_set_line_width(cr, 2.2);
    cairo_move_to(cr, x - 7, y_of(area, ax, d.mean));
    cairo_line_to(cr, x + 7, y_of(area, ax, d.mean));
    cairo_stroke(cr);
  };
  mean_sd(x1 - 22, p.pre);
  mean_sd(x2 + 22, p.post);
  set_colour(cr, detail::chart_black);
  chart_font(cr, label_font, true);
  chart_text(cr, "Pre-therapy", x1, area.bottom() + 14, 0.5, 1);
  chart_text(cr, "Day +30", x2, area.bottom() + 14, 0.5, 1);
  chart_font(cr, tick_font);
  chart_text(cr, "mean " + pct(p.pre.mean), x1, area.bottom() + 28, 0.5, 1);
  chart_text(cr, "mean " + pct(p.post.mean), x2, area.bottom() + 28, 0.5, 1);
  // Legend on the right.
  const double lx = area.right() + 14;
  double ly = area.y + 10;
  chart_font(cr, note_font);
  const std::size_t down = p.patients.size() - p.increased;
  for (const auto& [c, text] : {std::pair{vermillion, fmt::format("higher ({})", p.increased)},
                                std::pair{blue, fmt::format("not higher ({})", down)}}) {
    set_colour(cr, c, 0.8);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, lx, ly);
    cairo_line_to(cr, lx + 16, ly);
    cairo_stroke(cr);
    set_colour(cr, detail::chart_black);
    chart_text(cr, text, lx + 21, ly, 0, 0.5);
    ly += 16;
  }
  dot(cr, lx + 8, ly, 2.8, detail::chart_grey, true);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "\u2265 LOD", lx + 21, ly, 0, 0.5);
  ly += 16;
  dot(cr, lx + 8, ly, 2.8, detail::chart_grey, false);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "< LOD", lx + 21, ly, 0, 0.5);
  ly += 16;
  cairo_set_line_width(cr, 2.2);
  cairo_move_to(cr, lx + 2, ly);
  cairo_line_to(cr, lx + 14, ly);
  cairo_stroke(cr);
  cairo_set_line_width(cr, 1.2);
  cairo_move_to(cr, lx + 8, ly - 6);
  cairo_line_to(cr, lx + 8, ly + 6);
  cairo_stroke(cr);
  chart_text(cr, "mean \u00b1 SD", lx + 21, ly, 0, 0.5);
}

// ---------------------------------------------------------------- relapse vs no relapse
constexpr double relapse_w = 440, relapse_h = 420;

void draw_relapse(cairo_t* cr, const CohortAnalysis& a) {
  const RelapseAnalysis& p = a.relapse;
  Area area{78, 76, relapse_w - 78 - 116, 0};
  area.h = relapse_h - area.y - 60;
  double vmax = 0;
  for (const auto& q : p.patients) vmax = std::max(vmax, q.value);
  const ValueAxis ax = detail::pseudo_log_axis(vmax);
  title(cr, "Pre-therapy frequency by relapse", 12, 18);
  chart_font(cr, note_font);
  set_colour(cr, detail::chart_black);
  chart_text(cr,
             p.test ? "Mann\u2013Whitney (two-sided) " + p_text(p.test->p_value) : std::string("no Mann\u2013Whitney test (a group is empty)"),
             12, 36, 0, 1);
  const double ratio = p.no_relapse.median > 0 ? p.relapse.median / p.no_relapse.median : std::numeric_limits<double>::quiet_NaN();
  chart_text(cr, fmt::format("medians {} vs {} ({}\u00d7)", pct(p.relapse.median), pct(p.no_relapse.median), short_number(ratio, 2)),
             12, 51, 0, 1);
  y_axis(cr, area, ax, axis_label(a));
  x_axis_line(cr, area);
  const double xs[2] = {area.x + area.w * 0.28, area.x + area.w * 0.72};
  const double half = area.w * 0.14;
  for (int gi = 0; gi < 2; ++gi) {
    const bool rel = gi == 1;
    std::vector<double> values;
    std::vector<const RelapsePatient*> who;
    for (const auto& q : p.patients) {
      if ((q.relapse != cohort::Relapse::none) == rel) {
        values.push_back(q.value);
        who.push_back(&q);
      }
    }
    const stats::Descriptive& d = rel ? p.relapse : p.no_relapse;
    const double x = xs[gi];
    if (!values.empty()) {
      // Box: quartiles, median, whiskers to the furthest value within 1.5 IQR.
      const double lo_lim = d.q1 - 1.5 * d.iqr, hi_lim = d.q3 + 1.5 * d.iqr;
      double wlo = d.q1, whi = d.q3;
      for (double v : values) {
        if (v >= lo_lim) wlo = std::min(wlo, v);
        if (v <= hi_lim) whi = std::max(whi, v);
      }
      set_colour(cr, detail::chart_black);
      cairo_set_line_width(cr, 1);
      cairo_move_to(cr, x, y_of(area, ax, d.q3));
      cairo_line_to(cr, x, y_of(area, ax, whi));
      cairo_move_to(cr, x - half * 0.35, y_of(area, ax, whi));
      cairo_line_to(cr, x + half * 0.35, y_of(area, ax, whi));
      cairo_move_to(cr, x, y_of(area, ax, d.q1));
      cairo_line_to(cr, x, y_of(area, ax, wlo));
      cairo_move_to(cr, x - half * 0.35, y_of(area, ax, wlo));
      cairo_line_to(cr, x + half * 0.35, y_of(area, ax, wlo));
      cairo_stroke(cr);
      const double top = y_of(area, ax, d.q3), bot = y_of(area, ax, d.q1);
      cairo_rectangle(cr, x - half, top, 2 * half, bot - top);
      set_colour(cr, rel ? vermillion : blue, 0.12);
      cairo_fill_preserve(cr);
      set_colour(cr, detail::chart_black);
      cairo_stroke(cr);
      cairo_set_line_width(cr, 2.4);
      cairo_move_to(cr, x - half, y_of(area, ax, d.median));
      cairo_line_to(cr, x + half, y_of(area, ax, d.median));
      cairo_stroke(cr);
      const std::vector<double> jx = jitter(values, ax);
      for (std::size_t k = 0; k < values.size(); ++k) {
        const double px = x + jx[k] * half * 0.8, py = y_of(area, ax, values[k]);
        if (rel && who[k]->relapse == cohort::Relapse::cd19neg) {
          triangle(cr, px, py, 3.2, vermillion);
        } else {
          dot(cr, px, py, 2.9, rel ? orange : blue, who[k]->present);
        }
      }
    }
    set_colour(cr, detail::chart_black);
    chart_font(cr, label_font, true);
    chart_text(cr, rel ? "Relapse" : "No relapse", x, area.bottom() + 14, 0.5, 1);
    chart_font(cr, tick_font);
    chart_text(cr, fmt::format("n = {}", values.size()), x, area.bottom() + 28, 0.5, 1);
    set_colour(cr, detail::chart_grey);
    chart_text(cr, "median " + pct(d.median), x, area.bottom() + 41, 0.5, 1);
  }
  // Legend.
  const double lx = area.right() + 14;
  double ly = area.y + 10;
  chart_font(cr, note_font);
  dot(cr, lx + 6, ly, 2.9, blue, true);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "no relapse", lx + 16, ly, 0, 0.5);
  ly += 16;
  dot(cr, lx + 6, ly, 2.9, orange, true);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "CD19+ relapse", lx + 16, ly, 0, 0.5);
  ly += 16;
  triangle(cr, lx + 6, ly, 3.2, vermillion);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "CD19\u2212 relapse", lx + 16, ly, 0, 0.5);
  ly += 16;
  dot(cr, lx + 6, ly, 2.9, detail::chart_grey, false);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "< LOD", lx + 16, ly, 0, 0.5);
  ly += 16;
  set_colour(cr, detail::chart_black);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, lx + 1, ly - 5, 10, 10);
  cairo_stroke(cr);
  cairo_set_line_width(cr, 2);
  cairo_move_to(cr, lx + 1, ly);
  cairo_line_to(cr, lx + 11, ly);
  cairo_stroke(cr);
  chart_text(cr, "median, IQR", lx + 16, ly, 0, 0.5);
}

// ---------------------------------------------------------------- cumulative incidence
constexpr double cuminc_w = 520, cuminc_h = 440;

const IncidenceEndpoint* find_endpoint(const CohortAnalysis& a, std::string_view key) {
  for (const auto& e : a.incidence.endpoints) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void draw_cuminc(cairo_t* cr, const CohortAnalysis& a, const IncidenceEndpoint& e) {
  const IncidenceAnalysis& inc = a.incidence;
  const double table_h = 58;
  Area area{70, 84, cuminc_w - 70 - 24, 0};
  area.h = cuminc_h - area.y - 46 - table_h;
  double tmax = 0;
  for (const auto& q : inc.patients) tmax = std::max(tmax, q.time);
  if (!inc.risk_times.empty()) tmax = std::max(tmax, inc.risk_times.back());
  ValueAxis xa = detail::linear_axis(0, std::max(tmax, 1.0));
  if (!inc.risk_times.empty() && inc.risk_times.back() >= tmax && inc.risk_times.back() > 0) xa.max = inc.risk_times.back();
  double emax = 0;
  if (e.cuminc) {
    for (const auto& c : e.cuminc->curves) {
      if (c.cause != 1) continue;
      for (double v : c.est) emax = std::max(emax, v);
    }
  }
  ValueAxis ya = detail::linear_axis(0, std::clamp(emax * 100 * 1.15, 10.0, 100.0));
  ya.max = std::min(ya.max, 100.0);
  title(cr, "Cumulative incidence: " + e.label, 12, 18);
  chart_font(cr, note_font);
  set_colour(cr, detail::chart_black);
  std::string line1 = e.gray ? fmt::format("Gray's test {} (\u03c7\u00b2 = {}, df = {})", p_text(e.gray->p_value),
                                           short_number(e.gray->statistic, 3), e.gray->df)
                             : std::string("no Gray's test");
  chart_text(cr, line1, 12, 36, 0, 1);
  std::string line2 = e.fine_gray ? fmt::format("Fine\u2013Gray SHR (high vs low) {} (95% CI {}\u2013{}), {}",
                                                short_number(e.fine_gray->exp_coef[0], 3),
                                                short_number(e.fine_gray->exp_coef_ci[0][0], 3),
                                                short_number(e.fine_gray->exp_coef_ci[0][1], 3), p_text(e.fine_gray->p_value[0]))
                                  : std::string("no Fine\u2013Gray model");
  chart_text(cr, line2, 12, 51, 0, 1);
  std::string competing;
  for (std::size_t i = 1; i < e.cause_labels.size(); ++i) competing += (competing.empty() ? "" : ", ") + e.cause_labels[i];
  set_colour(cr, detail::chart_grey);
  chart_text(cr, "competing: " + competing, 12, 66, 0, 1);

  y_axis(cr, area, ya, e.label + ", cumulative incidence (%)");
  // X axis with ticks at the risk times.
  set_colour(cr, detail::chart_black);
  cairo_set_line_width(cr, 0.9);
  cairo_move_to(cr, area.x, area.bottom());
  cairo_line_to(cr, area.right(), area.bottom());
  cairo_stroke(cr);
  auto xpos = [&](double t) { return area.x + xa.fraction(t) * area.w; };
  const std::vector<double> xt = inc.risk_times.empty() ? std::vector<double>{0} : inc.risk_times;
  chart_font(cr, tick_font);
  for (double t : xt) {
    if (t > xa.max + 1e-9) continue;
    cairo_move_to(cr, xpos(t), area.bottom());
    cairo_line_to(cr, xpos(t), area.bottom() + 4);
    cairo_stroke(cr);
    chart_text(cr, short_number(t), xpos(t), area.bottom() + 8, 0.5, 0);
  }
  chart_font(cr, label_font);
  chart_text(cr, "Months since CD19-directed therapy", area.x + area.w / 2, area.bottom() + 32, 0.5, 1);

  const Rgb colours[2] = {vermillion, blue};
  const char* groups[2] = {"high", "low"};
  if (e.cuminc) {
    for (int gi = 0; gi < 2; ++gi) {
      for (const auto& c : e.cuminc->curves) {
        if (c.cause != 1 || c.group != groups[gi] || c.time.empty()) continue;
        auto ypos = [&](double v) { return y_of(area, ya, v * 100); };
        set_colour(cr, colours[gi]);
        cairo_set_line_width(cr, 1.8);
        cairo_move_to(cr, xpos(c.time[0]), ypos(c.est[0]));
        for (std::size_t k = 1; k < c.time.size(); ++k) cairo_line_to(cr, xpos(c.time[k]), ypos(c.est[k]));
        cairo_stroke(cr);
        // Censoring marks: patients of the group without any event, at their time.
        cairo_set_line_width(cr, 1.0);
        for (std::size_t i = 0; i < inc.patients.size(); ++i) {
          if (inc.patients[i].high != (gi == 0) || e.status[i] != 0) continue;
          const double t = inc.patients[i].time;
          double est = 0;
          for (std::size_t k = 0; k < c.time.size(); ++k) {
            if (c.time[k] <= t) est = c.est[k];
          }
          cairo_move_to(cr, xpos(t), ypos(est) - 3.5);
          cairo_line_to(cr, xpos(t), ypos(est) + 3.5);
        }
        cairo_stroke(cr);
      }
    }
  }
  // Legend, top left inside the plot.
  chart_font(cr, note_font);
  double ly = area.y + 8;
  const std::string labels[2] = {
      fmt::format("above {}{} of CD34+ (n = {}, {} event{})", inc.split_source.rfind("cohort mean", 0) == 0 ? "the mean, " : "",
                  pct(inc.split), inc.n_high, e.events_high, e.events_high == 1 ? "" : "s"),
      fmt::format("at or below (n = {}, {} event{})", inc.n_low, e.events_low, e.events_low == 1 ? "" : "s")};
  for (int gi = 0; gi < 2; ++gi) {
    set_colour(cr, colours[gi]);
    cairo_set_line_width(cr, 1.8);
    cairo_move_to(cr, area.x + 10, ly);
    cairo_line_to(cr, area.x + 28, ly);
    cairo_stroke(cr);
    set_colour(cr, detail::chart_black);
    chart_text(cr, labels[gi], area.x + 33, ly, 0, 0.5);
    ly += 14;
  }
  set_colour(cr, detail::chart_black);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, area.x + 19, ly - 3.5);
  cairo_line_to(cr, area.x + 19, ly + 3.5);
  cairo_stroke(cr);
  chart_text(cr, "censored", area.x + 33, ly, 0, 0.5);

  // Numbers at risk.
  const double ty = area.bottom() + 50;
  chart_font(cr, note_font, true);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "Number at risk", 12, ty, 0, 1);
  chart_font(cr, note_font);
  for (int gi = 0; gi < 2; ++gi) {
    const double y = ty + 15 + 14 * gi;
    set_colour(cr, colours[gi]);
    chart_text(cr, gi == 0 ? "High" : "Low", 12, y, 0, 1);
    set_colour(cr, detail::chart_black);
    for (std::size_t k = 0; k < inc.risk_times.size(); ++k) {
      if (inc.risk_times[k] > xa.max + 1e-9) continue;
      chart_text(cr, std::to_string(inc.at_risk[static_cast<std::size_t>(gi)][k]), xpos(inc.risk_times[k]), y, 0.5, 1);
    }
  }
}

// ---------------------------------------------------------------- transcript × involvement
constexpr double transcript_w = 520, transcript_h = 270;

void draw_transcript(cairo_t* cr, const CohortAnalysis& a) {
  const TranscriptAnalysis& t = a.transcript;
  title(cr, "BCR-ABL1 transcript \u00d7 stem-cell involvement", 12, 18);
  const double x0 = 24, top = 56;
  const double cols[5] = {x0, x0 + 96, x0 + 190, x0 + 280, x0 + 350};  // label, involved, not, total, bar
  const double row_h = 26;
  chart_font(cr, note_font, true);
  set_colour(cr, detail::chart_black);
  chart_text(cr, "Stem-cell involvement (FISH)", (cols[1] + cols[2] + 80) / 2, top - 2, 0.5, 1);
  cairo_set_line_width(cr, 0.6);
  cairo_move_to(cr, cols[1] + 6, top + 2);
  cairo_line_to(cr, cols[2] + 74, top + 2);
  cairo_stroke(cr);
  chart_text(cr, "Transcript", cols[0], top + 14, 0, 1);
  chart_text(cr, "Involved", cols[1] + 40, top + 14, 0.5, 1);
  chart_text(cr, "Not involved", cols[2] + 40, top + 14, 0.5, 1);
  chart_text(cr, "Total", cols[3] + 30, top + 14, 0.5, 1);
  chart_text(cr, "% involved", cols[4] + 60, top + 14, 0.5, 1);
  cairo_set_line_width(cr, 0.9);
  cairo_move_to(cr, x0, top + 22);
  cairo_line_to(cr, transcript_w - 24, top + 22);
  cairo_stroke(cr);
  const char* names[2] = {"P210", "P190"};
  const Rgb colours[2] = {vermillion, blue};
  for (int r = 0; r < 3; ++r) {
    const double y = top + 22 + row_h * (r + 0.5);
    std::int64_t inv = 0, not_inv = 0;
    if (r < 2) {
      inv = t.table[static_cast<std::size_t>(r)][0];
      not_inv = t.table[static_cast<std::size_t>(r)][1];
    } else {
      inv = t.table[0][0] + t.table[1][0];
      not_inv = t.table[0][1] + t.table[1][1];
      set_colour(cr, detail::chart_black);
      cairo_set_line_width(cr, 0.5);
      cairo_move_to(cr, x0, y - row_h / 2);
      cairo_line_to(cr, transcript_w - 24, y - row_h / 2);
      cairo_stroke(cr);
    }
    const std::int64_t total = inv + not_inv;
    set_colour(cr, detail::chart_black);
    chart_font(cr, label_font, r < 2);
    chart_text(cr, r < 2 ? names[r] : "Total", cols[0], y, 0, 0.5);
    chart_font(cr, label_font);
    chart_text(cr, std::to_string(inv), cols[1] + 40, y, 0.5, 0.5);
    chart_text(cr, std::to_string(not_inv), cols[2] + 40, y, 0.5, 0.5);
    chart_text(cr, std::to_string(total), cols[3] + 30, y, 0.5, 0.5);
    const double share = total > 0 ? static_cast<double>(inv) / static_cast<double>(total) : 0;
    const double bw = 90;
    cairo_rectangle(cr, cols[4], y - 6, bw, 12);
    set_colour(cr, detail::chart_light_grey, 0.35);
    cairo_fill(cr);
    cairo_rectangle(cr, cols[4], y - 6, bw * share, 12);
    set_colour(cr, r < 2 ? colours[r] : detail::chart_grey, 0.85);
    cairo_fill(cr);
    set_colour(cr, detail::chart_black);
    chart_font(cr, tick_font);
    chart_text(cr, total > 0 ? fmt::format("{:.0f}%", 100 * share) : std::string("\u2013"), cols[4] + bw + 5, y, 0, 0.5);
  }
  const double by = top + 22 + row_h * 3;
  cairo_set_line_width(cr, 0.9);
  cairo_move_to(cr, x0, by);
  cairo_line_to(cr, transcript_w - 24, by);
  cairo_stroke(cr);
  chart_font(cr, note_font);
  double y = by + 20;
  auto line = [&](const std::string& text) {
    for (const auto& l : detail::wrap_text(cr, text, transcript_w - x0 - 24)) {
      chart_text(cr, l, x0, y, 0, 1);
      y += 14;
    }
  };
  if (t.fisher) {
    line(fmt::format("Fisher's exact test, two-sided: {} (conditional MLE odds ratio {}, 95% CI {}\u2013{})",
                     p_text(t.fisher->p_two_sided), short_number(t.fisher->odds_ratio, 3),
                     short_number(t.fisher->conf_int[0], 3), short_number(t.fisher->conf_int[1], 3)));
  }
  if (t.chisq) {
    line(fmt::format("Pearson's \u03c7\u00b2 test without continuity correction: \u03c7\u00b2 = {}, df = 1, {}",
                     short_number(t.chisq->statistic, 3), p_text(t.chisq->p_value)));
  }
  if (t.chisq_yates) {
    line(fmt::format("Pearson's \u03c7\u00b2 test with Yates' continuity correction: \u03c7\u00b2 = {}, df = 1, {}",
                     short_number(t.chisq_yates->statistic, 3), p_text(t.chisq_yates->p_value)));
  }
  set_colour(cr, detail::chart_grey);
  line(fmt::format("{} patients with a FISH call on sorted compartments and a known transcript; involvement = HSC, "
                   "progenitor or myeloid compartment positive.",
                   t.table[0][0] + t.table[0][1] + t.table[1][0] + t.table[1][1]));
  if (t.fisher && t.chisq && t.chisq_yates) {
    line("Each P names its test: on small tables the uncorrected \u03c7\u00b2 P can be well below Fisher's exact P "
         "(seed 000's P = .02 is an uncorrected \u03c7\u00b2; Fisher's test gives 0.065 on its table).");
  }
}

// ---------------------------------------------------------------- registry
struct FigureDef {
  CohortFigure figure;
  std::function<void(cairo_t*)> draw;
};

std::string phase_caption(const CohortAnalysis& a) {
  std::string s = fmt::format(
      "Frequency of {} cells (% of CD34+) in every analysed sample, by phase. Filled dots: population present (at or "
      "above the LOD); open dots: below the LOD (shown as measured). Black bars: means. Pseudo-log scale "
      "(log10(1 + x/0.1)). Samples, not patients: a patient may contribute to several phases.",
      population_name(a));
  if (a.phases.kruskal_wallis) {
    s += fmt::format(" Kruskal\u2013Wallis across {} phases: H = {}, df = {}, {}.", a.phases.kruskal_wallis_groups.size(),
                     short_number(a.phases.kruskal_wallis->h, 3), a.phases.kruskal_wallis->df,
                     p_text(a.phases.kruskal_wallis->p_value));
  }
  if (!a.phases.pairwise.empty()) s += " Brackets: two-sided Mann\u2013Whitney tests.";
  return s;
}

std::string paired_caption(const CohortAnalysis& a) {
  const PairedAnalysis& p = a.paired;
  std::string s = fmt::format(
      "{} cells (% of CD34+) before CD19 CAR T and at day +30 in {} patients with both samples; one line per patient "
      "(vermillion: higher at day +30). Mean \u00b1 SD {} \u00b1 {} before vs {} \u00b1 {} at day +30 (ratio of means "
      "{}\u00d7; median per-patient fold {}\u00d7); higher in {} of {}.",
      population_name(a), p.patients.size(), pct(p.pre.mean), pct(p.pre.sd), pct(p.post.mean), pct(p.post.sd),
      short_number(p.ratio_of_means, 2), short_number(p.median_fold, 2), p.increased, p.patients.size());
  if (p.t_test) s += " Paired t test " + p_text(p.t_test->p_value) + ";";
  if (p.signed_rank) {
    s += fmt::format(" Wilcoxon signed-rank test ({}) {}.", stats::to_string(p.signed_rank->method_used),
                     p_text(p.signed_rank->p_value));
  }
  return s;
}

std::string relapse_caption(const CohortAnalysis& a) {
  const RelapseAnalysis& r = a.relapse;
  std::string s = fmt::format(
      "Pre-therapy {} cells (% of CD34+) in {} patients who relapsed after CD19-directed therapy ({} CD19\u2212) and "
      "{} who did not (deaths in remission included); median {} vs {}. Boxes: quartiles and median; whiskers to "
      "1.5 IQR.",
      population_name(a), r.n_relapse, r.n_cd19neg, r.n_no_relapse, pct(r.relapse.median), pct(r.no_relapse.median));
  if (r.test) {
    s += fmt::format(" Two-sided Mann\u2013Whitney test ({}) {}.", stats::to_string(r.test->method_used),
                     p_text(r.test->p_value));
  }
  return s;
}

std::string cuminc_caption(const CohortAnalysis& a, const IncidenceEndpoint& e) {
  const IncidenceAnalysis& inc = a.incidence;
  std::string s = fmt::format(
      "Cumulative incidence of {} (Aalen\u2013Johansen) in {} patients split at {} pre-therapy {} ({}): {} above, {} "
      "at or below.",
      e.label, inc.patients.size(), pct(inc.split), population_name(a), inc.split_source, inc.n_high, inc.n_low);
  std::string competing;
  for (std::size_t i = 1; i < e.cause_labels.size(); ++i) competing += (competing.empty() ? "" : " and ") + e.cause_labels[i];
  s += " Competing risks: " + competing + ".";
  if (e.gray) s += fmt::format(" Gray's test: \u03c7\u00b2 = {}, df = {}, {}.", short_number(e.gray->statistic, 3), e.gray->df, p_text(e.gray->p_value));
  if (e.fine_gray) {
    s += fmt::format(" Fine\u2013Gray subdistribution hazard ratio, high vs low: {} (95% CI {}\u2013{}), {}.",
                     short_number(e.fine_gray->exp_coef[0], 3), short_number(e.fine_gray->exp_coef_ci[0][0], 3),
                     short_number(e.fine_gray->exp_coef_ci[0][1], 3), p_text(e.fine_gray->p_value[0]));
  }
  s += " Ticks: censored patients. Numbers at risk under the axis.";
  return s;
}

std::string transcript_caption(const CohortAnalysis& a) {
  const TranscriptAnalysis& t = a.transcript;
  std::string s = fmt::format(
      "Stem-cell involvement (FISH on sorted HSC, progenitor and myeloid compartments) by BCR-ABL1 transcript: P210 {} "
      "of {}, P190 {} of {}.",
      t.table[0][0], t.table[0][0] + t.table[0][1], t.table[1][0], t.table[1][0] + t.table[1][1]);
  if (t.fisher) s += " Fisher's exact test (two-sided) " + p_text(t.fisher->p_two_sided) + ";";
  if (t.chisq) s += " Pearson's \u03c7\u00b2 without continuity correction " + p_text(t.chisq->p_value) + ";";
  if (t.chisq_yates) s += " with Yates' correction " + p_text(t.chisq_yates->p_value) + ".";
  return s;
}

std::vector<FigureDef> figure_defs(const CohortAnalysis& a) {
  std::vector<FigureDef> f;
  if (!a.phases.groups.empty()) {
    f.push_back({{"frequency_by_phase", "Frequency by disease phase", phase_caption(a), phase_w, phase_h},
                 [&a](cairo_t* cr) { draw_phases(cr, a); }});
  }
  if (!a.paired.patients.empty()) {
    f.push_back({{"paired_day30", "Pre-therapy vs day +30 after CAR T", paired_caption(a), paired_w, paired_h},
                 [&a](cairo_t* cr) { draw_paired(cr, a); }});
  }
  if (!a.relapse.patients.empty()) {
    f.push_back({{"relapse_vs_no_relapse", "Pre-therapy frequency: relapse vs no relapse", relapse_caption(a), relapse_w,
                  relapse_h},
                 [&a](cairo_t* cr) { draw_relapse(cr, a); }});
  }
  for (const char* key : {"cd19neg_relapse", "any_relapse"}) {
    const IncidenceEndpoint* e = find_endpoint(a, key);
    if (e == nullptr || !e->cuminc) continue;
    f.push_back({{std::string("cuminc_") + key, "Cumulative incidence of " + e->label, cuminc_caption(a, *e), cuminc_w,
                  cuminc_h},
                 [&a, e](cairo_t* cr) { draw_cuminc(cr, a, *e); }});
  }
  const auto& t = a.transcript.table;
  if (t[0][0] + t[0][1] + t[1][0] + t[1][1] > 0) {
    f.push_back({{"transcript_involvement", "Transcript \u00d7 stem-cell involvement", transcript_caption(a), transcript_w,
                  transcript_h},
                 [&a](cairo_t* cr) { draw_transcript(cr, a); }});
  }
  return f;
}

}  // namespace

std::vector<CohortFigure> cohort_figures(const CohortAnalysis& analysis) {
  std::vector<CohortFigure> out;
  for (auto& d : figure_defs(analysis)) out.push_back(std::move(d.figure));
  return out;
}

std::vector<std::byte> render_cohort_figure(const CohortAnalysis& analysis, std::string_view name, Format format,
                                            double png_scale) {
  if (!(png_scale >= 0.25 && png_scale <= 8)) {
    throw InputError(ErrorKind::invalid_argument, "", "png_scale", fmt::format("{} is outside 0.25 … 8", png_scale));
  }
  for (const auto& d : figure_defs(analysis)) {
    if (d.figure.name == name) {
      return detail::render_drawing(format, d.figure.width, d.figure.height, png_scale, d.draw, d.figure.title);
    }
  }
  throw InputError(ErrorKind::invalid_argument, "", "figure", "no figure '" + std::string(name) + "' in this analysis");
}

// Used by the PDF writer: draws a figure into an existing context at its size in points.
namespace detail {
bool draw_cohort_figure(cairo_t* cr, const CohortAnalysis& analysis, std::string_view name) {
  for (const auto& d : figure_defs(analysis)) {
    if (d.figure.name == name) {
      d.draw(cr);
      return true;
    }
  }
  return false;
}
}  // namespace detail

}  // namespace escapade::report
