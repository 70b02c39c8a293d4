// The per-sample report laid out on A4 pages with cairo: word-wrapped text, tables that
// repeat their header after a page break, plots one per row with their caption beside them,
// a footer with "page N of M".
// Laid out twice: once measuring only (to count the pages), once drawing.
#include <cairo-pdf.h>
#include "libescapade/report/detail/cairo.hpp"
#include "libescapade/base/text.hpp"
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/report/detail/report_document.hpp"
#include "libescapade/report/sample_report.hpp"

namespace escapade::report::detail {

namespace {

constexpr double page_w = 595.276;  // A4 in points
constexpr double page_h = 841.890;
constexpr double margin_l = 46, margin_r = 46, margin_t = 46, margin_b = 52;
constexpr double content_w = page_w - margin_l - margin_r;
constexpr double bottom = page_h - margin_b;
constexpr const char* font_family = "DejaVu Sans";

constexpr double size_title = 17, size_h2 = 12.5, size_h3 = 10, size_body = 8.8, size_small = 7.6, size_table = 7.8;




struct Reader {
  std::span<const std::byte> bytes;
  std::size_t at = 0;
};

cairo_status_t read_bytes(void* closure, unsigned char* data, unsigned int length) {
  auto* r = static_cast<Reader*>(closure);
  if (r->bytes.size() - r->at < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(data, r->bytes.data() + r->at, length);
  r->at += length;
  return CAIRO_STATUS_SUCCESS;
}

Surface decode_png(std::span<const std::byte> png) {
  Reader r{png, 0};
  Surface s(cairo_image_surface_create_from_png_stream(read_bytes, &r));
  check(cairo_surface_status(s.get()), "PNG decoding");
  return s;
}

void prepare(cairo_t* cr) {
  // The same metrics on every surface, so the measuring pass and the drawing pass agree.
  cairo_font_options_t* fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options(cr, fo);
  cairo_font_options_destroy(fo);
}

void set_tone(cairo_t* cr, Tone t) {
  switch (t) {
    case Tone::normal:
      cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      break;
    case Tone::alert:
      cairo_set_source_rgb(cr, 0.78, 0.0, 0.0);
      break;
    case Tone::caution:
      cairo_set_source_rgb(cr, 0.65, 0.37, 0.0);
      break;
    case Tone::muted:
      cairo_set_source_rgb(cr, 0.40, 0.40, 0.40);
      break;
    case Tone::good:
      cairo_set_source_rgb(cr, 0.11, 0.48, 0.18);
      break;
  }
}

// Where pages go: a PDF surface, PNG images, or nowhere (measuring).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual cairo_t* begin_page() = 0;
  virtual void end_page() = 0;
};

class MeasureSink final : public Sink {
 public:
  MeasureSink() : my_surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)), my_cr(cairo_create(my_surface.get())) {
    check(cairo_status(my_cr.get()), "context");
    prepare(my_cr.get());
  }
  cairo_t* begin_page() override { return my_cr.get(); }
  void end_page() override {}

 private:
  Surface my_surface;
  Context my_cr;
};

class PdfSink final : public Sink {
 public:
  PdfSink(std::vector<std::byte>& out, const std::string& title)
      : my_surface(cairo_pdf_surface_create_for_stream(append_bytes, &out, page_w, page_h)) {
    check(cairo_surface_status(my_surface.get()), "PDF surface");
    cairo_pdf_surface_set_metadata(my_surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(my_surface.get(), CAIRO_PDF_METADATA_CREATOR, "Escapade");
    my_cr.reset(cairo_create(my_surface.get()));
    check(cairo_status(my_cr.get()), "context");
    prepare(my_cr.get());
  }
  cairo_t* begin_page() override { return my_cr.get(); }
  void end_page() override { cairo_show_page(my_cr.get()); }
  void finish() {
    check(cairo_status(my_cr.get()), "drawing");
    my_cr.reset();
    cairo_surface_finish(my_surface.get());
    check(cairo_surface_status(my_surface.get()), "PDF output");
  }

 private:
  Surface my_surface;
  Context my_cr;
};

class PngSink final : public Sink {
 public:
  explicit PngSink(double scale) : my_scale(scale) {}
  cairo_t* begin_page() override {
    my_surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(std::lround(page_w * my_scale)),
                                                static_cast<int>(std::lround(page_h * my_scale))));
    check(cairo_surface_status(my_surface.get()), "image");
    my_cr.reset(cairo_create(my_surface.get()));
    prepare(my_cr.get());
    cairo_scale(my_cr.get(), my_scale, my_scale);
    cairo_set_source_rgb(my_cr.get(), 1, 1, 1);
    cairo_paint(my_cr.get());
    return my_cr.get();
  }
  void end_page() override {
    check(cairo_status(my_cr.get()), "drawing");
    my_cr.reset();
    std::vector<std::byte> png;
    check(cairo_surface_write_to_png_stream(my_surface.get(), append_bytes, &png), "PNG encoding");
    pages.push_back(std::move(png));
  }
  std::vector<std::vector<std::byte>> pages;

 private:
  double my_scale;
  Surface my_surface;
  Context my_cr;
};

struct Placed {
  double x;  // from the line's left
  std::string text;
  Tone tone;
  bool bold;
};
struct Line {
  std::vector<Placed> words;
  double width = 0;
};

class Layout {
 public:
  Layout(Sink& sink, bool draw, int total_pages, const Document& doc, std::span<const GatingFigure> figures,
         std::span<const Surface> images)
      : my_sink(sink), my_draw(draw), my_total(total_pages), my_doc(doc), my_figures(figures), my_images(images) {}

  int run() {
    start_page();
    title();
    for (const Section& s : my_doc.sections) section(s);
    finish_page();
    return my_page;
  }

 private:
  // --- pages -----------------------------------------------------------------------------

  void start_page() {
    ++my_page;
    my_cr = my_sink.begin_page();
    my_y = margin_t;
  }

  void finish_page() {
    if (my_draw) {
      cairo_set_source_rgb(my_cr, 0.75, 0.75, 0.75);
      cairo_set_line_width(my_cr, 0.5);
      cairo_move_to(my_cr, margin_l, page_h - margin_b + 14);
      cairo_line_to(my_cr, page_w - margin_r, page_h - margin_b + 14);
      cairo_stroke(my_cr);
      font(size_small, false);
      set_tone(my_cr, Tone::muted);
      const double base = page_h - margin_b + 26;
      cairo_move_to(my_cr, margin_l, base);
      cairo_show_text(my_cr, utf8_or_latin1(my_doc.footer).c_str());
      const std::string n = "page " + std::to_string(my_page) + " of " + std::to_string(my_total);
      cairo_move_to(my_cr, page_w - margin_r - advance(n), base);
      cairo_show_text(my_cr, utf8_or_latin1(n).c_str());
    }
    my_sink.end_page();
  }

  // Starts a new page unless `height` fits below the cursor. Returns whether it did.
  bool ensure(double height) {
    if (my_y + height <= bottom || my_y <= margin_t + 0.5) return false;
    finish_page();
    start_page();
    return true;
  }

  // --- text ------------------------------------------------------------------------------

  void font(double size, bool bold) {
    cairo_select_font_face(my_cr, font_family, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(my_cr, size);
  }

  double advance(const std::string& text) {
    cairo_text_extents_t e{};
    cairo_text_extents(my_cr, utf8_or_latin1(text).c_str(), &e);
    return e.x_advance;
  }

  static double line_height(double size) { return size * 1.36; }

  // Greedy word wrap of `spans` into lines no wider than `width`.
  std::vector<Line> wrap(const std::vector<Span>& spans, double size, double width) {
    std::vector<Line> lines(1);
    bool pending_space = false;
    for (const Span& s : spans) {
      font(size, s.bold);
      const double space = advance(" ");
      std::size_t i = 0;
      while (i <= s.text.size()) {
        std::size_t j = s.text.find(' ', i);
        if (j == std::string::npos) j = s.text.size();
        std::string word = s.text.substr(i, j - i);
        if (!word.empty()) {
          double w = advance(word);
          Line* line = &lines.back();
          const double gap = pending_space && !line->words.empty() ? space : 0;
          if (!line->words.empty() && line->width + gap + w > width) {
            lines.emplace_back();
            line = &lines.back();
          }
          // A word longer than the line: cut it at character boundaries.
          while (w > width && word.size() > 1) {
            std::size_t cut = word.size();
            std::string head;
            do {
              --cut;
              while (cut > 0 && (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80) --cut;
              head = word.substr(0, cut);
            } while (cut > 1 && advance(head) > width - line->width);
            if (cut == 0) break;
            line->words.push_back({line->width, head, s.tone, s.bold});
            line->width += advance(head);
            lines.emplace_back();
            line = &lines.back();
            word.erase(0, cut);
            w = advance(word);
          }
          const double g = pending_space && !line->words.empty() ? space : 0;
          line->words.push_back({line->width + g, word, s.tone, s.bold});
          line->width += g + w;
          pending_space = false;
        }
        if (j < s.text.size()) pending_space = true;
        i = j + 1;
      }
    }
    return lines;
  }

  void draw_line(const Line& line, double x, double top, double size) {
    if (!my_draw) return;
    for (const Placed& w : line.words) {
      font(size, w.bold);
      set_tone(my_cr, w.tone);
      cairo_move_to(my_cr, x + w.x, top + size * 0.98);
      cairo_show_text(my_cr, utf8_or_latin1(w.text).c_str());
    }
  }

  // A paragraph at x with the given width, breaking pages between lines.
  void text_block(const std::vector<Span>& spans, double size, double x, double width, double after) {
    const auto lines = wrap(spans, size, width);
    const double lh = line_height(size);
    for (const Line& l : lines) {
      ensure(lh);
      draw_line(l, x, my_y, size);
      my_y += lh;
    }
    my_y += after;
  }

  // --- blocks ----------------------------------------------------------------------------

  void title() {
    font(size_title, true);
    if (my_draw) {
      cairo_set_source_rgb(my_cr, 0.1, 0.1, 0.1);
      cairo_move_to(my_cr, margin_l, my_y + size_title * 0.95);
      cairo_show_text(my_cr, utf8_or_latin1(my_doc.title).c_str());
    }
    my_y += line_height(size_title) + 4;
    for (const Paragraph& p : my_doc.preamble) text_block(p.spans, size_body + 0.6, margin_l, content_w, 2);
    my_y += 4;
  }

  void section(const Section& s) {
    my_y += 10;
    ensure(line_height(size_h2) + 70);
    font(size_h2, true);
    if (my_draw) {
      cairo_set_source_rgb(my_cr, 0.17, 0.30, 0.49);
      cairo_move_to(my_cr, margin_l, my_y + size_h2 * 0.95);
      cairo_show_text(my_cr, utf8_or_latin1(s.heading).c_str());
      cairo_set_line_width(my_cr, 1.2);
      cairo_move_to(my_cr, margin_l, my_y + line_height(size_h2) + 1);
      cairo_line_to(my_cr, page_w - margin_r, my_y + line_height(size_h2) + 1);
      cairo_stroke(my_cr);
    }
    my_y += line_height(size_h2) + 7;
    for (const Block& b : s.blocks) {
      if (const auto* f = std::get_if<FigureRef>(&b)) {
        figure(*f);
      } else if (const auto* p = std::get_if<Paragraph>(&b)) {
        text_block(p->spans, p->small ? size_small : size_body, margin_l, content_w, 4);
      } else if (const auto* l = std::get_if<List>(&b)) {
        for (const auto& item : l->items) {
          ensure(line_height(size_body));
          if (my_draw) {
            font(size_body, false);
            set_tone(my_cr, item.spans.empty() ? Tone::normal : item.spans.front().tone);
            cairo_move_to(my_cr, margin_l + 3, my_y + size_body * 0.98);
            cairo_show_text(my_cr, "•");
          }
          text_block(item.spans, size_body, margin_l + 13, content_w - 13, 1.5);
        }
        my_y += 3;
      } else if (const auto* t = std::get_if<Table>(&b)) {
        table(*t);
      } else if (const auto* h = std::get_if<Subheading>(&b)) {
        my_y += 3;
        ensure(line_height(size_h3) + 40);
        text_block({{h->text, Tone::normal, true}}, size_h3, margin_l, content_w, 2);
      }
    }
  }

  void table(const Table& t) {
    const std::size_t columns = std::max(t.header.size(), t.rows.empty() ? std::size_t{0} : t.rows.front().size());
    if (columns == 0) return;
    std::vector<double> w(columns, content_w / static_cast<double>(columns));
    if (t.widths.size() == columns) {
      double sum = 0;
      for (double v : t.widths) sum += v;
      for (std::size_t c = 0; c < columns; ++c) w[c] = content_w * t.widths[c] / sum;
    }
    const double pad_x = 3.5, pad_y = 2.4;
    const double lh = line_height(size_table);
    auto numeric = [&](std::size_t c) { return c < t.numeric.size() && t.numeric[c]; };
    auto row_lines = [&](const std::vector<Span>& cells) {
      std::vector<std::vector<Line>> out;
      for (std::size_t c = 0; c < columns; ++c) {
        out.push_back(c < cells.size() ? wrap({cells[c]}, size_table, w[c] - 2 * pad_x) : std::vector<Line>{});
      }
      return out;
    };
    auto height_of = [&](const std::vector<std::vector<Line>>& cells) {
      std::size_t n = 1;
      for (const auto& c : cells) n = std::max(n, c.size());
      return static_cast<double>(n) * lh + 2 * pad_y;
    };
    auto draw_row = [&](const std::vector<std::vector<Line>>& cells, double h, bool header, bool zebra) {
      if (my_draw) {
        if (header || zebra) {
          if (header) {
            cairo_set_source_rgb(my_cr, 0.93, 0.945, 0.965);
          } else {
            cairo_set_source_rgb(my_cr, 0.975, 0.975, 0.975);
          }
          cairo_rectangle(my_cr, margin_l, my_y, content_w, h);
          cairo_fill(my_cr);
        }
        cairo_set_source_rgb(my_cr, 0.82, 0.82, 0.82);
        cairo_set_line_width(my_cr, header ? 0.8 : 0.4);
        cairo_move_to(my_cr, margin_l, my_y + h);
        cairo_line_to(my_cr, margin_l + content_w, my_y + h);
        cairo_stroke(my_cr);
        double x = margin_l;
        for (std::size_t c = 0; c < columns; ++c) {
          double top = my_y + pad_y;
          for (const Line& l : cells[c]) {
            const double lx = numeric(c) ? x + w[c] - pad_x - l.width : x + pad_x;
            draw_line(l, lx, top, size_table);
            top += lh;
          }
          x += w[c];
        }
      }
      my_y += h;
    };
    std::vector<std::vector<Line>> header;
    double header_h = 0;
    if (!t.header.empty()) {
      std::vector<Span> hs;
      for (const auto& h : t.header) hs.push_back({h, Tone::normal, true});
      header = row_lines(hs);
      header_h = height_of(header);
      ensure(header_h + lh + 2 * pad_y);
      draw_row(header, header_h, true, false);
    }
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      const auto cells = row_lines(t.rows[r]);
      const double h = height_of(cells);
      if (ensure(h) && !header.empty()) draw_row(header, header_h, true, false);
      draw_row(cells, h, false, r % 2 == 1);
    }
    my_y += 7;
  }

  double caption_height(const FigureRef& f, double width) {
    double h = 6 + static_cast<double>(wrap({{f.title, Tone::normal, true}}, size_small + 0.8, width).size()) *
                       line_height(size_small + 0.8) + 3;
    for (const auto& p : f.caption) {
      h += static_cast<double>(wrap(p.spans, size_small, width).size()) * line_height(size_small) + 3;
    }
    return h;
  }

  // One plot per row, its caption in a column to its right: the plot is wide enough for its
  // tick labels to stay readable in print (its fonts scale with it).
  static constexpr double figure_w = 344, figure_gap = 14;

  double image_height(const FigureRef& f) const {
    if (f.index >= my_images.size() || f.index >= my_figures.size()) return 0.0;
    cairo_surface_t* img = my_images[f.index].get();
    return figure_w * cairo_image_surface_get_height(img) / cairo_image_surface_get_width(img);
  }

  void figure(const FigureRef& f) {
    const double caption_x = margin_l + figure_w + figure_gap;
    const double caption_w = content_w - figure_w - figure_gap;
    const double image_h = image_height(f);
    ensure(std::max(image_h, caption_height(f, caption_w)));
    if (image_h > 0 && my_draw) {
      cairo_surface_t* img = my_images[f.index].get();
      const double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
      cairo_save(my_cr);
      cairo_translate(my_cr, margin_l, my_y);
      cairo_scale(my_cr, figure_w / iw, image_h / ih);
      cairo_set_source_surface(my_cr, img, 0, 0);
      cairo_pattern_set_filter(cairo_get_source(my_cr), CAIRO_FILTER_GOOD);
      cairo_paint(my_cr);
      cairo_restore(my_cr);
      cairo_set_source_rgb(my_cr, 0.85, 0.85, 0.85);
      cairo_set_line_width(my_cr, 0.5);
      cairo_rectangle(my_cr, margin_l, my_y, figure_w, image_h);
      cairo_stroke(my_cr);
    }
    double y = my_y + 6;
    for (const Line& l : wrap({{f.title, Tone::normal, true}}, size_small + 0.8, caption_w)) {
      draw_line(l, caption_x, y, size_small + 0.8);
      y += line_height(size_small + 0.8);
    }
    y += 3;
    for (const auto& p : f.caption) {
      for (const Line& l : wrap(p.spans, size_small, caption_w)) {
        draw_line(l, caption_x, y, size_small);
        y += line_height(size_small);
      }
      y += 3;
    }
    my_y = std::max(my_y + image_h, y) + 12;
  }

  Sink& my_sink;
  bool my_draw;
  int my_total;
  const Document& my_doc;
  std::span<const GatingFigure> my_figures;
  std::span<const Surface> my_images;
  cairo_t* my_cr = nullptr;
  double my_y = 0;
  int my_page = 0;
};

std::vector<Surface> decode_all(std::span<const std::vector<std::byte>> pngs) {
  std::vector<Surface> images;
  images.reserve(pngs.size());
  for (const auto& p : pngs) images.push_back(decode_png(p));
  return images;
}

int count_pages(const Document& doc, std::span<const GatingFigure> figures, std::span<const Surface> images) {
  MeasureSink measure;
  return Layout(measure, false, 0, doc, figures, images).run();
}

}  // namespace

std::vector<std::byte> render_pdf(const Document& doc, std::span<const GatingFigure> figures,
                                  std::span<const std::vector<std::byte>> pngs) {
  const std::vector<Surface> images = decode_all(pngs);
  const int pages = count_pages(doc, figures, images);
  std::vector<std::byte> out;
  {
    PdfSink sink(out, doc.title);
    Layout(sink, true, pages, doc, figures, images).run();
    sink.finish();
  }
  return out;
}

std::vector<std::vector<std::byte>> render_pages_png(const Document& doc, std::span<const GatingFigure> figures,
                                                     std::span<const std::vector<std::byte>> pngs, double scale) {
  const std::vector<Surface> images = decode_all(pngs);
  const int pages = count_pages(doc, figures, images);
  PngSink sink(scale);
  Layout(sink, true, pages, doc, figures, images).run();
  return std::move(sink.pages);
}

}  // namespace escapade::report::detail
