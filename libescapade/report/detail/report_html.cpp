// The per-sample report as one self-contained HTML page: CSS inline, plots as base64 PNG
// data URIs, no script, nothing fetched.
#include <array>
#include <cstdint>
#include <string>
#include <variant>

#include "libescapade/report/detail/report_document.hpp"
#include "libescapade/report/sample_report.hpp"

namespace escapade::report::detail {

std::string base64(std::span<const std::byte> bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::to_integer<std::uint32_t>(bytes[i]) << 16) |
                            (std::to_integer<std::uint32_t>(bytes[i + 1]) << 8) | std::to_integer<std::uint32_t>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::to_integer<std::uint32_t>(bytes[i]) << 16;
    if (rest == 2) v |= std::to_integer<std::uint32_t>(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* css = R"(
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 14px; color: #1a1a1a;
       max-width: 1320px; margin: 24px auto; padding: 0 24px; line-height: 1.45; }
h1 { font-size: 24px; margin: 0 0 6px 0; }
h2 { font-size: 18px; margin: 30px 0 10px 0; padding-bottom: 4px; border-bottom: 2px solid #2b4c7e; color: #2b4c7e; }
h3 { font-size: 15px; margin: 18px 0 6px 0; }
p { margin: 6px 0; }
.small { font-size: 12.5px; }
.alert { color: #c00000; }
.caution { color: #a65f00; }
.muted { color: #666666; }
.good { color: #1d7a2e; }
table { border-collapse: collapse; margin: 8px 0 12px 0; }
th, td { border-bottom: 1px solid #d9d9d9; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #eef1f6; font-weight: bold; }
tr:nth-child(even) td { background: #fafafa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv td:first-child { white-space: nowrap; }
ul { margin: 4px 0 10px 0; padding-left: 22px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px 28px; margin-top: 12px; }
figure { margin: 0; break-inside: avoid; }
figure img { width: 100%; max-width: 620px; height: auto; border: 1px solid #e0e0e0; }
figcaption { margin-top: 4px; }
figcaption .step { font-weight: bold; }
footer { margin-top: 36px; padding-top: 8px; border-top: 1px solid #ccc; font-size: 12px; color: #666; }
@media print { body { max-width: none; } .figures { grid-template-columns: 1fr 1fr; } }
)";

std::string tone_class(Tone t) {
  switch (t) {
    case Tone::normal:
      return "";
    case Tone::alert:
      return "alert";
    case Tone::caution:
      return "caution";
    case Tone::muted:
      return "muted";
    case Tone::good:
      return "good";
  }
  return "";
}

void spans(std::string& out, const std::vector<Span>& ss) {
  for (const Span& s : ss) {
    const std::string cls = tone_class(s.tone);
    if (cls.empty() && !s.bold) {
      out += html_escape(s.text);
      continue;
    }
    out += s.bold ? "<strong" : "<span";
    if (!cls.empty()) out += " class=\"" + cls + "\"";
    out += ">" + html_escape(s.text) + (s.bold ? "</strong>" : "</span>");
  }
}

void paragraph(std::string& out, const Paragraph& p) {
  out += p.small ? "<p class=\"small\">" : "<p>";
  spans(out, p.spans);
  out += "</p>\n";
}

void table(std::string& out, const Table& t) {
  out += t.header.empty() ? "<table class=\"kv\">\n" : "<table>\n";
  auto num = [&](std::size_t c) { return c < t.numeric.size() && t.numeric[c]; };
  if (!t.header.empty()) {
    out += "<tr>";
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      out += num(c) ? "<th class=\"num\">" : "<th>";
      out += html_escape(t.header[c]) + "</th>";
    }
    out += "</tr>\n";
  }
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += num(c) ? "<td class=\"num\">" : "<td>";
      spans(out, {row[c]});
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</table>\n";
}

void figure(std::string& out, const FigureRef& f, const GatingFigure& g, std::span<const std::byte> png) {
  out += "<figure>\n<img alt=\"" + html_escape(g.step) + "\" src=\"data:image/png;base64,";
  out += base64(png);
  out += "\">\n<figcaption>\n<p class=\"step\">" + html_escape(f.title) + "</p>\n";
  for (const auto& p : f.caption) paragraph(out, p);
  out += "</figcaption>\n</figure>\n";
}

}  // namespace

std::string render_html(const Document& doc, std::span<const GatingFigure> figures,
                        std::span<const std::vector<std::byte>> pngs) {
  std::string out;
  std::size_t reserve = 64 * 1024;
  for (const auto& p : pngs) reserve += p.size() * 4 / 3 + 512;
  out.reserve(reserve);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"Escapade\">\n";
  out += "<title>" + html_escape(doc.title) + "</title>\n<style>" + css + "</style>\n</head>\n<body>\n";
  out += "<header>\n<h1>" + html_escape(doc.title) + "</h1>\n";
  for (const auto& p : doc.preamble) paragraph(out, p);
  out += "</header>\n";
  for (const Section& s : doc.sections) {
    out += "<section>\n<h2>" + html_escape(s.heading) + "</h2>\n";
    bool in_figures = false;
    for (const Block& b : s.blocks) {
      const auto* f = std::get_if<FigureRef>(&b);
      if (f != nullptr && !in_figures) {
        out += "<div class=\"figures\">\n";
        in_figures = true;
      } else if (f == nullptr && in_figures) {
        out += "</div>\n";
        in_figures = false;
      }
      if (f != nullptr) {
        if (f->index < figures.size() && f->index < pngs.size()) figure(out, *f, figures[f->index], pngs[f->index]);
      } else if (const auto* p = std::get_if<Paragraph>(&b)) {
        paragraph(out, *p);
      } else if (const auto* l = std::get_if<List>(&b)) {
        out += "<ul>\n";
        for (const auto& item : l->items) {
          out += "<li>";
          spans(out, item.spans);
          out += "</li>\n";
        }
        out += "</ul>\n";
      } else if (const auto* t = std::get_if<Table>(&b)) {
        table(out, *t);
      } else if (const auto* h = std::get_if<Subheading>(&b)) {
        out += "<h3>" + html_escape(h->text) + "</h3>\n";
      }
    }
    if (in_figures) out += "</div>\n";
    out += "</section>\n";
  }
  out += "<footer>" + html_escape(doc.footer) + "</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace escapade::report::detail
