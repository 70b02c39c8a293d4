#include "libescapade/base/error.hpp"

#include "libescapade/base/text.hpp"

namespace escapade {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::io: return "io";
    case ErrorKind::format: return "format";
    case ErrorKind::truncated: return "truncated";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::reference: return "reference";
    case ErrorKind::structure: return "structure";
    case ErrorKind::numeric: return "numeric";
    case ErrorKind::invalid_argument: return "invalid_argument";
  }
  return "unknown";
}

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // A C1 control in UTF-8 (CSI U+009B is a one-character escape sequence).
      const auto d = static_cast<unsigned char>(text[++i]);
      out += "\\u00";
      out += hex[d >> 4];
      out += hex[d & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string excerpt(std::string_view raw, std::size_t max_bytes) {
  const std::string decoded = utf8_or_latin1(raw);
  std::string_view text = decoded;
  bool cut = false;
  if (text.size() > max_bytes) {
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;  // not inside a character
    text = text.substr(0, end);
    cut = true;
  }
  std::string out;
  for (const char c : printable(text)) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return cut ? out + "…" : out;
}

LineProblems summarize_line_problems(const std::vector<std::pair<std::size_t, std::string>>& problems, std::size_t max_listed) {
  std::vector<std::size_t> lines;
  for (const auto& p : problems) {
    if (lines.empty() || lines.back() != p.first) lines.push_back(p.first);
  }
  LineProblems out;
  out.where = lines.size() == 1 ? "line " : "lines ";
  for (std::size_t i = 0; i < lines.size() && i < max_listed; ++i) out.where += (i == 0 ? "" : ", ") + std::to_string(lines[i]);
  if (lines.size() > max_listed) out.where += " … and " + std::to_string(lines.size() - max_listed) + " more";
  for (std::size_t i = 0; i < problems.size() && i < max_listed; ++i) {
    out.reason += (i == 0 ? "" : "; ") + ("line " + std::to_string(problems[i].first) + ": " + problems[i].second);
  }
  if (problems.size() > max_listed) out.reason += "; … and " + std::to_string(problems.size() - max_listed) + " more";
  return out;
}

std::string format_message(std::string_view source, std::string_view where, std::string_view reason) {
  std::string out;
  out.reserve(source.size() + where.size() + reason.size() + 4);
  if (!source.empty()) {
    out.append(source);
    out.append(": ");
  }
  if (!where.empty()) {
    out.append(where);
    out.append(": ");
  }
  out.append(reason);
  // Valid UTF-8 whatever a file name or value held (base/text.hpp), so that a message can go
  // into JSON, a database or a report; and bounded, whatever a file makes it list (a file of
  // 10,000 channels, a table of a million bad rows).
  std::string text = printable(utf8_or_latin1(out));
  constexpr std::size_t max_bytes = 4000;
  if (text.size() > max_bytes) {
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not inside a character
    const std::size_t cut = text.size() - end;
    text.resize(end);
    text += "… (" + std::to_string(cut) + " more bytes)";
  }
  return text;
}

Error::Error(ErrorKind kind, std::string source, std::string where, std::string reason)
    : std::runtime_error(format_message(source, where, reason)),
      my_kind(kind),
      my_source(std::move(source)),
      my_where(std::move(where)),
      my_reason(std::move(reason)) {}

std::string Warning::message() const { return format_message(source, where, reason); }

}  // namespace escapade
