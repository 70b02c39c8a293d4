// Drawing a DensityPlot with cairo: PNG, SVG and PDF, in memory or to a file. Every cairo
// object is created and destroyed inside one call, so concurrent calls share nothing.
#include <cairo-pdf.h>
#include "libescapade/report/detail/cairo.hpp"
#include "libescapade/base/text.hpp"
#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/base/file_io.hpp"
#include "libescapade/report/detail/text.hpp"
#include "libescapade/report/plot.hpp"

namespace escapade::report {

namespace {

using detail::append_bytes;
using detail::check;
using detail::Context;
using detail::Surface;

constexpr const char* font_family = "DejaVu Sans";




// Pseudocolour: blue → cyan → green → yellow → red over t in [0, 1].
std::array<unsigned char, 3> pseudocolour(double t) {
  static constexpr std::array<std::array<double, 3>, 5> stops{{
      {0, 0, 255},
      {0, 220, 255},
      {0, 230, 40},
      {255, 240, 0},
      {255, 0, 0},
  }};
  t = std::clamp(t, 0.0, 1.0) * 4.0;
  const auto i = std::min<std::size_t>(3, static_cast<std::size_t>(t));
  const double f = t - static_cast<double>(i);
  std::array<unsigned char, 3> rgb{};
  for (std::size_t k = 0; k < 3; ++k) {
    rgb[k] = static_cast<unsigned char>(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
  }
  return rgb;
}

// The histogram as an image, one pixel per bin, row 0 (bottom) last.
Surface histogram_image(const DensityPlot& plot) {
  const Histogram2D& h = plot.histogram;
  const bool smoothed = !plot.density.empty();
  Surface img(cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(h.columns), static_cast<int>(h.rows)));
  check(cairo_surface_status(img.get()), "image");
  double lo = INFINITY, hi = 0;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    const double d = smoothed ? plot.density[i] : h.counts[i];
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  const double span = hi > lo ? std::log(hi / lo) : 1.0;
  cairo_surface_flush(img.get());
  unsigned char* data = cairo_image_surface_get_data(img.get());
  const int stride = cairo_image_surface_get_stride(img.get());
  for (std::size_t r = 0; r < h.rows; ++r) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(h.rows - 1 - r) * stride);
    for (std::size_t c = 0; c < h.columns; ++c) {
      const std::size_t i = r * h.columns + c;
      std::uint32_t px = 0xffffffu;
      if (h.counts[i] != 0) {
        const double d = smoothed ? plot.density[i] : h.counts[i];
        const auto rgb = pseudocolour(hi > lo ? std::log(d / lo) / span : 0.0);
        px = (std::uint32_t{rgb[0]} << 16) | (std::uint32_t{rgb[1]} << 8) | rgb[2];
      }
      row[c] = px;
    }
  }
  cairo_surface_mark_dirty(img.get());
  return img;
}

struct Layout {
  double s;        // scale of fonts and strokes relative to the default size
  double x0, y0;   // top-left of the plot area
  double w, h;     // plot area size
  double left, right, top, bottom;
};

Layout layout(int width, int height) {
  Layout l{};
  // Text below about 9 pixels is unreadable: small images keep their fonts and margins.
  l.s = std::max(0.8, std::min(width / 620.0, height / 616.0));
  l.left = 84 * l.s;
  l.right = 24 * l.s;
  l.top = 40 * l.s;
  l.bottom = 64 * l.s;
  l.x0 = l.left;
  l.y0 = l.top;
  l.w = width - l.left - l.right;
  l.h = height - l.top - l.bottom;
  return l;
}

void set_font(cairo_t* cr, double size, bool bold) {
  cairo_select_font_face(cr, font_family, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

cairo_text_extents_t extents(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t e{};
  cairo_text_extents(cr, utf8_or_latin1(text).c_str(), &e);
  return e;
}

// Text with its reference point placed by (ax, ay): ax 0 left, 0.5 centre, 1 right; ay on
// the font's ascent: 0 top of the caps, 0.5 middle, 1 baseline.
void show_text(cairo_t* cr, const std::string& text, double x, double y, double ax, double ay) {
  cairo_font_extents_t fe{};
  cairo_font_extents(cr, &fe);
  const cairo_text_extents_t e = extents(cr, text);
  const double cap = fe.ascent * 0.72;  // digit height, roughly, for centring
  cairo_move_to(cr, x - ax * e.x_advance, y + (1 - ay) * cap);
  cairo_show_text(cr, utf8_or_latin1(text).c_str());
}

struct Rect {
  double x, y, w, h;
  [[nodiscard]] bool overlaps(const Rect& o) const {
    return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h;
  }
};

void draw(cairo_t* cr, const DensityPlot& plot, int width, int height) {
  const Layout l = layout(width, height);
  const double xspan = plot.x.max - plot.x.min;
  const double yspan = plot.y.max - plot.y.min;
  auto px = [&](double v) { return l.x0 + (v - plot.x.min) / xspan * l.w; };
  auto py = [&](double v) { return l.y0 + l.h - (v - plot.y.min) / yspan * l.h; };

  // Background.
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  // Density.
  if (plot.histogram.total > 0) {
    Surface img = histogram_image(plot);
    cairo_save(cr);
    cairo_rectangle(cr, l.x0, l.y0, l.w, l.h);
    cairo_clip(cr);
    cairo_translate(cr, l.x0, l.y0);
    cairo_scale(cr, l.w / static_cast<double>(plot.histogram.columns), l.h / static_cast<double>(plot.histogram.rows));
    cairo_set_source_surface(cr, img.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
  }

  // Frame and ticks.
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1.0 * l.s);
  cairo_rectangle(cr, l.x0, l.y0, l.w, l.h);
  cairo_stroke(cr);
  const double major_len = 6 * l.s, minor_len = 3 * l.s;
  set_font(cr, 11 * l.s, false);
  for (const Tick& t : plot.x.ticks) {
    const double x = px(t.position);
    cairo_move_to(cr, x, l.y0 + l.h);
    cairo_line_to(cr, x, l.y0 + l.h + (t.major ? major_len : minor_len));
  }
  for (const Tick& t : plot.y.ticks) {
    const double y = py(t.position);
    cairo_move_to(cr, l.x0, y);
    cairo_line_to(cr, l.x0 - (t.major ? major_len : minor_len), y);
  }
  cairo_stroke(cr);
  // Labels: "0" first, then from the top of the axis down, each only where it does not touch
  // one already drawn (the spec's label gap assumed a larger image).
  auto draw_labels = [&](const std::vector<Tick>& ticks, bool horizontal) {
    std::vector<const Tick*> order;
    for (const Tick& t : ticks) {
      if (!t.label.empty()) order.push_back(&t);
    }
    std::stable_sort(order.begin(), order.end(), [](const Tick* a, const Tick* b) {
      if ((a->value == 0) != (b->value == 0)) return a->value == 0;
      return a->position > b->position;
    });
    cairo_font_extents_t fe{};
    cairo_font_extents(cr, &fe);
    const double text_h = fe.ascent * 0.75;
    std::vector<std::pair<double, double>> taken;  // along the axis: [from, to]
    for (const Tick* t : order) {
      const double w = extents(cr, t->label).x_advance;
      const double at = horizontal ? px(t->position) : py(t->position);
      const double half = (horizontal ? w : text_h) / 2 + 3 * l.s;
      const bool clear = std::none_of(taken.begin(), taken.end(), [&](const auto& r) {
        return at - half < r.second && r.first < at + half;
      });
      if (!clear) continue;
      taken.emplace_back(at - half, at + half);
      if (horizontal) {
        show_text(cr, t->label, at, l.y0 + l.h + major_len + 4 * l.s, 0.5, 0.0);
      } else {
        show_text(cr, t->label, l.x0 - major_len - 4 * l.s, at, 1.0, 0.5);
      }
    }
  };
  draw_labels(plot.x.ticks, true);
  draw_labels(plot.y.ticks, false);

  // Axis titles.
  set_font(cr, 12.5 * l.s, true);
  show_text(cr, plot.x.label, l.x0 + l.w / 2, height - 12 * l.s, 0.5, 1.0);
  cairo_save(cr);
  cairo_translate(cr, 20 * l.s, l.y0 + l.h / 2);
  cairo_rotate(cr, -std::numbers::pi / 2);
  show_text(cr, plot.y.label, 0, 0, 0.5, 0.5);
  cairo_restore(cr);

  // Title and event count.
  set_font(cr, 13.5 * l.s, true);
  const double title_y = l.y0 - 13 * l.s;
  set_font(cr, 11.5 * l.s, false);
  const double sub_w = extents(cr, plot.subtitle).x_advance;
  set_font(cr, 13.5 * l.s, true);
  std::string title = plot.title;
  // Shorten a title that would run into the event count.
  const double avail = l.w - sub_w - 16 * l.s;
  if (extents(cr, title).x_advance > avail) {
    while (title.size() > 1 && extents(cr, title + "\u2026").x_advance > avail) {
      std::size_t cut = title.size() - 1;
      while (cut > 0 && (static_cast<unsigned char>(title[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
      title.erase(cut);
    }
    title += "\u2026";
  }
  show_text(cr, title, l.x0, title_y, 0.0, 1.0);
  set_font(cr, 11.5 * l.s, false);
  cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
  show_text(cr, plot.subtitle, l.x0 + l.w, title_y, 1.0, 1.0);

  // Gates: outlines clipped to the plot area, then labels.
  const double pad = 1.5 * l.s;
  cairo_save(cr);
  cairo_rectangle(cr, l.x0 - pad, l.y0 - pad, l.w + 2 * pad, l.h + 2 * pad);
  cairo_clip(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1.5 * l.s);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (const GateOutline& g : plot.gates) {
    if (g.complement) {
      const double dash[] = {5 * l.s, 3 * l.s};
      cairo_set_dash(cr, dash, 2, 0);
    } else {
      cairo_set_dash(cr, nullptr, 0, 0);
    }
    for (const auto& line : g.lines) {
      if (line.size() < 2) continue;
      cairo_new_path(cr);
      cairo_move_to(cr, px(line.front().x), py(line.front().y));
      for (std::size_t i = 1; i < line.size(); ++i) cairo_line_to(cr, px(line[i].x), py(line[i].y));
      const bool closed = line.size() > 2 && line.front() == line.back();
      if (closed) cairo_close_path(cr);
      cairo_stroke(cr);
    }
  }
  cairo_restore(cr);

  set_font(cr, 10.5 * l.s, false);
  cairo_font_extents_t fe{};
  cairo_font_extents(cr, &fe);
  const double line_h = fe.ascent * 0.75 + 4 * l.s;
  const double inset = 4 * l.s;
  std::vector<Rect> placed;
  for (const GateOutline& g : plot.gates) {
    std::vector<std::string> lines{(g.complement ? "NOT " : "") + g.name};
    const std::string pct = detail::percent(g.percent);
    if (!pct.empty()) lines.push_back(pct);
    double text_w = 0;
    for (const auto& t : lines) text_w = std::max(text_w, extents(cr, t).x_advance);
    const double bw = text_w + 2 * inset;
    const double bh = line_h * static_cast<double>(lines.size()) + 2 * l.s + inset;
    // Box position from the anchor and alignment; a gap away from the anchor.
    double ax = px(g.label_at.x), ay = py(g.label_at.y);
    const double gap = 4 * l.s;
    double bx = ax - g.label_align.x * bw;
    double by = ay - (1 - g.label_align.y) * bh;  // align.y = 0: box bottom at the anchor
    if (g.label_align.y == 0.0) by -= gap;
    if (g.label_align.y == 1.0) by += gap;
    if (g.label_align.x == 0.0) bx += gap;
    if (g.label_align.x == 1.0) bx -= gap;
    auto clamp_box = [&] {
      bx = std::clamp(bx, l.x0 + 2 * l.s, std::max(l.x0 + 2 * l.s, l.x0 + l.w - bw - 2 * l.s));
      by = std::clamp(by, l.y0 + 2 * l.s, std::max(l.y0 + 2 * l.s, l.y0 + l.h - bh - 2 * l.s));
    };
    clamp_box();
    // Step away from labels already placed (down first, then up).
    const double base_y = by;
    for (int attempt = 1; attempt < 12; ++attempt) {
      const Rect r{bx, by, bw, bh};
      if (std::none_of(placed.begin(), placed.end(), [&](const Rect& p) { return p.overlaps(r); })) break;
      const double step = (bh + 2 * l.s) * ((attempt + 1) / 2);
      by = base_y + ((attempt % 2) != 0 ? step : -step);
      clamp_box();
    }
    placed.push_back({bx, by, bw, bh});
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.8 * l.s);
    cairo_set_dash(cr, nullptr, 0, 0);
    cairo_stroke(cr);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i == 1) cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      show_text(cr, lines[i], bx + bw / 2, by + inset / 2 + 2 * l.s + line_h * (static_cast<double>(i) + 0.5), 0.5, 0.5);
    }
  }
}

void check_plot(const DensityPlot& plot, const RenderOptions& options) {
  if (options.width < 200 || options.width > 8192 || options.height < 200 || options.height > 8192) {
    throw Error(ErrorKind::invalid_argument, "", "render size",
                std::to_string(options.width) + "×" + std::to_string(options.height) + " is outside 200 … 8192");
  }
  const Histogram2D& h = plot.histogram;
  if (h.columns == 0 || h.rows == 0 || h.columns > 65536 || h.rows > 65536 || h.counts.size() != h.columns * h.rows ||
      (!plot.density.empty() && plot.density.size() != h.counts.size())) {
    throw Error(ErrorKind::invalid_argument, "", "histogram", "counts do not match its columns × rows");
  }
  if (!(plot.x.min < plot.x.max) || !(plot.y.min < plot.y.max) || !std::isfinite(plot.x.max - plot.x.min) ||
      !std::isfinite(plot.y.max - plot.y.min)) {
    throw Error(ErrorKind::invalid_argument, "", "axis range", "is empty or not finite");
  }
}

void write(const DensityPlot& plot, const std::filesystem::path& path, Format format, const RenderOptions& options) {
  const std::vector<std::byte> bytes = render(plot, format, options);
  write_file<InputError>(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                         options.overwrite);
}

}  // namespace

std::optional<Format> format_for(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".png") return Format::png;
  if (ext == ".svg") return Format::svg;
  if (ext == ".pdf") return Format::pdf;
  return std::nullopt;
}

std::vector<std::byte> render(const DensityPlot& plot, Format format, const RenderOptions& options) {
  check_plot(plot, options);
  std::vector<std::byte> out;
  const int w = options.width, h = options.height;
  Surface surface;
  switch (format) {
    case Format::png: surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h)); break;
    case Format::svg: surface.reset(cairo_svg_surface_create_for_stream(append_bytes, &out, w, h)); break;
    case Format::pdf: surface.reset(cairo_pdf_surface_create_for_stream(append_bytes, &out, w, h)); break;
  }
  check(cairo_surface_status(surface.get()), "surface");
  if (format == Format::pdf) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, plot.title.c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "escapade");
  }
  {
    Context cr(cairo_create(surface.get()));
    check(cairo_status(cr.get()), "context");
    draw(cr.get(), plot, w, h);
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

void render_png(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options) {
  write(plot, path, Format::png, options);
}
void render_svg(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options) {
  write(plot, path, Format::svg, options);
}
void render_pdf(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options) {
  write(plot, path, Format::pdf, options);
}

void render_file(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options) {
  const auto format = format_for(path);
  if (!format) {
    throw InputError(ErrorKind::invalid_argument, path.string(), "",
                     "unknown image format '" + path.extension().string() + "'; use .png, .svg or .pdf");
  }
  write(plot, path, *format, options);
}

}  // namespace escapade::report
