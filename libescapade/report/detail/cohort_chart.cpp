#include "libescapade/report/detail/cohort_chart.hpp"
#include "libescapade/base/text.hpp"

#include <cairo-pdf.h>
#include "libescapade/report/detail/cairo.hpp"
#include <cairo-svg.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <sstream>

#include "libescapade/base/error.hpp"

namespace escapade::report::detail {

namespace {




}  // namespace

Rgb chart_colour(std::size_t i) {
  static constexpr std::array<Rgb, 7> c{{
      {0.000, 0.447, 0.698},  // blue
      {0.835, 0.369, 0.000},  // vermillion
      {0.000, 0.620, 0.451},  // bluish green
      {0.800, 0.475, 0.655},  // reddish purple
      {0.902, 0.624, 0.000},  // orange
      {0.337, 0.706, 0.914},  // sky blue
      {0.600, 0.600, 0.600},  // grey
  }};
  return c[i % c.size()];
}

void set_colour(cairo_t* cr, Rgb c, double alpha) {
  if (alpha >= 1) {
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
  } else {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
  }
}

void chart_font(cairo_t* cr, double size, bool bold, bool italic) {
  cairo_select_font_face(cr, chart_font_family, italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t e{};
  cairo_text_extents(cr, utf8_or_latin1(text).c_str(), &e);
  return e.x_advance;
}

void chart_text(cairo_t* cr, const std::string& text, double x, double y, double ax, double ay) {
  cairo_font_extents_t fe{};
  cairo_font_extents(cr, &fe);
  const double cap = fe.ascent * 0.72;
  cairo_move_to(cr, x - ax * text_width(cr, text), y + (1 - ay) * cap);
  cairo_show_text(cr, utf8_or_latin1(text).c_str());
  cairo_new_path(cr);
}

void chart_text_vertical(cairo_t* cr, const std::string& text, double x, double y, double ax, double ay) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -std::numbers::pi / 2);
  chart_text(cr, text, 0, 0, ax, ay);
  cairo_restore(cr);
}

std::vector<std::string> wrap_text(cairo_t* cr, const std::string& text, double width) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string word, line;
  while (in >> word) {
    const std::string candidate = line.empty() ? word : line + " " + word;
    if (!line.empty() && text_width(cr, candidate) > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

double ValueAxis::transform(double v) const { return pseudo_log ? std::log10(1 + std::max(v, 0.0) / c) : v; }

double ValueAxis::fraction(double v) const {
  const double lo = transform(min), hi = transform(max);
  return hi > lo ? (transform(v) - lo) / (hi - lo) : 0.5;
}

std::vector<ValueAxis::Tick> ValueAxis::ticks() const {
  std::vector<Tick> t;
  if (pseudo_log) {
    t.push_back({0, "0"});
    for (double decade = 0.01; decade <= max * 1.0001 && decade < 1e9; decade *= 10) {
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * decade;
        if (v > max * 1.0001 || v < c * 0.99) continue;
        // Labels at 1-3 per decade above c, minors at 2 and 5 where the axis is crowded.
        t.push_back({v, short_number(v)});
      }
    }
    // Drop the 2s when the axis spans many decades.
    if (max / c > 200) {
      std::erase_if(t, [](const Tick& k) {
        const double m = k.value / std::pow(10.0, std::floor(std::log10(std::max(k.value, 1e-300)) + 1e-9));
        return k.value > 0 && std::abs(m - 2) < 1e-6;
      });
    }
    return t;
  }
  const double span = max - min;
  if (!(span > 0)) return {{min, short_number(min)}};
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw * 0.999) {
      step = m * mag;
      break;
    }
  }
  for (double v = std::ceil(min / step - 1e-9) * step; v <= max + step * 1e-6; v += step) {
    t.push_back({std::abs(v) < step * 1e-9 ? 0.0 : v, short_number(std::abs(v) < step * 1e-9 ? 0.0 : v, 4)});
  }
  return t;
}

ValueAxis linear_axis(double lo, double hi) {
  ValueAxis a;
  a.min = std::min(0.0, lo);
  if (!(hi > a.min)) hi = a.min + 1;
  const double raw = (hi - a.min) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw * 0.999) {
      step = m * mag;
      break;
    }
  }
  a.max = std::ceil(hi / step - 1e-9) * step;
  if (a.max <= hi) a.max += step * 0.0;
  return a;
}

ValueAxis pseudo_log_axis(double max) {
  ValueAxis a;
  a.pseudo_log = true;
  a.min = 0;
  a.c = 0.1;
  double top = 1;
  while (top < max * 1.0001 && top < 1e9) {
    if (top * 2 >= max * 1.0001) {
      top *= 2;
      break;
    }
    if (top * 5 >= max * 1.0001) {
      top *= 5;
      break;
    }
    top *= 10;
  }
  a.max = std::max(top, 1.0);
  return a;
}

std::string short_number(double v, int digits) {
  if (std::isnan(v)) return "NA";
  if (std::isinf(v)) return v > 0 ? "\u221e" : "\u2212\u221e";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, std::fabs(v));
  std::string s = buf;
  if (s.find('e') != std::string::npos) {
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v))))),
                  std::fabs(v));
    s = buf;
  }
  if (v < 0 && s != "0") s = "\u2212" + s;
  return s;
}

std::string p_value(double p) {
  if (std::isnan(p)) return "NA";
  if (p < 0.001) return "<0.001";
  char buf[32];
  if (p >= 0.1) {
    std::snprintf(buf, sizeof buf, "%.2f", p);
  } else {
    std::snprintf(buf, sizeof buf, "%#.2g", p);
  }
  std::string s = buf;
  if (s.find('e') != std::string::npos) {
    std::snprintf(buf, sizeof buf, "%.4f", p);
    s = buf;
  }
  return s;
}

std::string p_text(double p) {
  const std::string v = p_value(p);
  if (v.front() == '<') return "P < " + v.substr(1);
  return "P = " + v;
}

std::vector<std::byte> render_drawing(Format format, double width, double height, double png_scale,
                                      const std::function<void(cairo_t*)>& draw, const std::string& title) {
  std::vector<std::byte> out;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface;
  switch (format) {
    case Format::png:
      surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(std::ceil(width * png_scale)),
                                               static_cast<int>(std::ceil(height * png_scale))));
      break;
    case Format::svg: surface.reset(cairo_svg_surface_create_for_stream(append_bytes, &out, width, height)); break;
    case Format::pdf: surface.reset(cairo_pdf_surface_create_for_stream(append_bytes, &out, width, height)); break;
  }
  check(cairo_surface_status(surface.get()), "surface");
  if (format == Format::pdf) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "escapade");
  }
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
    check(cairo_status(cr.get()), "context");
    if (format == Format::png) cairo_scale(cr.get(), png_scale, png_scale);
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    draw(cr.get());
    check(cairo_status(cr.get()), "drawing");
  }
  if (format == Format::png) {
    check(cairo_surface_write_to_png_stream(surface.get(), append_bytes, &out), "PNG encoding");
  } else {
    cairo_surface_finish(surface.get());
    check(cairo_surface_status(surface.get()), "output");
  }
  return out;
}

}  // namespace escapade::report::detail
