#pragma once
// Small cairo helpers for the cohort report's journal-style figures (private to report/):
// fonts, aligned text, value axes (linear or pseudo-log) with round ticks in real units, and
// rendering a drawing into PNG/SVG/PDF bytes.
#include <cairo.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/report/plot.hpp"

namespace escapade::report {
struct CohortAnalysis;
struct CohortReportOptions;
}

namespace escapade::report::detail {

// Draws the named cohort figure at its size in points into `cr` (cohort_report_figures.cpp);
// false if the analysis has no such figure.
bool draw_cohort_figure(cairo_t* cr, const CohortAnalysis& analysis, std::string_view name);
// The PDF's pages drawn as PNG images (same layout), at `scale` pixels per point: for looking
// at the layout without a PDF rasterizer (cohort_report_output.cpp).
std::vector<std::vector<std::byte>> cohort_report_pages_png(const CohortAnalysis& analysis,
                                                            const CohortReportOptions& options, double scale);

inline constexpr const char* chart_font_family = "DejaVu Sans";

struct Rgb {
  double r = 0, g = 0, b = 0;
};
// Okabe–Ito colours (colour-blind safe) and greys.
Rgb chart_colour(std::size_t i);
inline constexpr Rgb chart_black{0, 0, 0};
inline constexpr Rgb chart_grey{0.45, 0.45, 0.45};
inline constexpr Rgb chart_light_grey{0.75, 0.75, 0.75};

void set_colour(cairo_t* cr, Rgb c, double alpha = 1.0);
void chart_font(cairo_t* cr, double size, bool bold = false, bool italic = false);
double text_width(cairo_t* cr, const std::string& text);
// Text placed by (ax, ay): ax 0 left, 0.5 centre, 1 right; ay 0 top of the capitals, 0.5
// middle, 1 baseline.
void chart_text(cairo_t* cr, const std::string& text, double x, double y, double ax, double ay);
// The same, rotated 90° anticlockwise about (x, y) (a y-axis title).
void chart_text_vertical(cairo_t* cr, const std::string& text, double x, double y, double ax, double ay);
// Words wrapped to `width`; returns the lines.
std::vector<std::string> wrap_text(cairo_t* cr, const std::string& text, double width);

// A value axis: `linear`, or `pseudo_log` = log10(1 + v / c) (0 stays 0, decades above c).
struct ValueAxis {
  double min = 0, max = 1;  // in real units
  bool pseudo_log = false;
  double c = 0.1;
  [[nodiscard]] double transform(double v) const;
  // Fraction of the axis length, 0 at min, 1 at max.
  [[nodiscard]] double fraction(double v) const;
  struct Tick {
    double value = 0;
    std::string label;  // empty for a minor tick
  };
  [[nodiscard]] std::vector<Tick> ticks() const;
};
// A linear axis from 0 (or the data's minimum) to a round value above `max`.
ValueAxis linear_axis(double lo, double hi);
// A pseudo-log percentage axis from 0 to the next 1-2-5 value above `max`.
ValueAxis pseudo_log_axis(double max);

// "0.5", "12", "1.25" (minus as U+2212), at most `digits` significant digits.
std::string short_number(double v, int digits = 3);
// "P = 0.016", "P < 0.001", "P = NA".
std::string p_text(double p);
// "0.016", "<0.001".
std::string p_value(double p);

// Draws with `draw(cr)` on a `width` × `height` point canvas (white background painted
// first) into PNG (at `png_scale` pixels per point), SVG or PDF bytes.
std::vector<std::byte> render_drawing(Format format, double width, double height, double png_scale,
                                      const std::function<void(cairo_t*)>& draw, const std::string& title);

}  // namespace escapade::report::detail
