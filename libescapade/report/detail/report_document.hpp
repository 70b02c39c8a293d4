#pragma once
// The per-sample report as a document (private to report/): sections of paragraphs, tables
// and figures, built once from the analysis and laid out twice, as HTML and as PDF, so the
// two can never say different things.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace escapade::report {
struct GatingFigure;
struct SampleReportInput;
struct SampleReportOptions;
}

namespace escapade::report::detail {

enum class Tone { normal, alert, caution, muted, good };

struct Span {
  std::string text;
  Tone tone = Tone::normal;
  bool bold = false;
};

struct Paragraph {
  std::vector<Span> spans;
  bool small = false;
};

// A list of short lines (QC flags, warnings), each a paragraph with a bullet.
struct List {
  std::vector<Paragraph> items;
};

struct Table {
  std::vector<std::string> header;       // empty = a key/value table without header
  std::vector<std::vector<Span>> rows;   // cells
  std::vector<double> widths;            // relative column widths (PDF); one per column
  std::vector<bool> numeric;             // right-aligned columns
};

// A plot of the gating sequence and its caption.
struct FigureRef {
  std::size_t index = 0;           // into the figures (and their PNGs)
  std::string title;               // "1. Singlets: FSC-A × FSC-H, all events"
  std::vector<Paragraph> caption;  // review markers, evidence, notes
};

struct Subheading {
  std::string text;
};

using Block = std::variant<Paragraph, List, Table, FigureRef, Subheading>;

struct Section {
  std::string heading;
  std::vector<Block> blocks;
};

struct Document {
  std::string title;
  std::vector<Paragraph> preamble;  // under the title
  std::vector<Section> sections;
  std::string footer;               // on every PDF page, at the end of the HTML
};

// The report's content (sample_report.cpp).
Document build_document(const SampleReportInput& input, const std::vector<GatingFigure>& figures,
                        const SampleReportOptions& options);

// Base64 (RFC 4648, with padding).
std::string base64(std::span<const std::byte> bytes);

// "&amp;" etc.
std::string html_escape(std::string_view text);

std::string render_html(const Document& doc, std::span<const GatingFigure> figures,
                        std::span<const std::vector<std::byte>> pngs);

// PDF (A4) with the plots painted from `pngs` (scaled to fit the column).
std::vector<std::byte> render_pdf(const Document& doc, std::span<const GatingFigure> figures,
                                  std::span<const std::vector<std::byte>> pngs);

// The PDF's pages drawn as PNG images instead (same layout), at `scale` pixels per point:
// for looking at the layout without a PDF rasterizer.
std::vector<std::vector<std::byte>> render_pages_png(const Document& doc, std::span<const GatingFigure> figures,
                                                     std::span<const std::vector<std::byte>> pngs, double scale);

}  // namespace escapade::report::detail
