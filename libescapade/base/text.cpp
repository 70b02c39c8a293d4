// UTF-8 at the boundary (see text.hpp).
#include "libescapade/base/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "libescapade/base/error.hpp"

namespace escapade {

bool valid_utf8(std::string_view text) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = u[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra = 0;
    char32_t code = 0;
    char32_t least = 0;  // the smallest code point this length may carry (shorter is overlong)
    if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F, least = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F, least = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07, least = 0x10000;
    } else {
      return false;  // a continuation byte first, or 0xF8–0xFF
    }
    if (i + extra >= n) return false;  // truncated
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((u[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (u[i + k] & 0x3F);
    }
    if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string latin1_to_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const unsigned char c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::string utf8_or_latin1(std::string_view text, bool* was_latin1) {
  const bool ok = valid_utf8(text);
  if (was_latin1 != nullptr) *was_latin1 = !ok;
  return ok ? std::string(text) : latin1_to_utf8(text);
}

void require_a_known_column(std::span<const std::string_view> cells, const std::function<bool(std::string_view)>& is_column,
                            std::string_view kind, std::string_view accepted, std::string_view source, std::string_view where) {
  if (std::any_of(cells.begin(), cells.end(), is_column)) return;
  throw InputError(ErrorKind::format, std::string(source), std::string(where),
                   "not a " + std::string(kind) + ": its first line names none of the columns " + std::string(accepted) +
                       " (is the file tab-separated?)");
}

std::string shortest_decimal(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, p);
}

std::string_view trim_space(std::string_view text) noexcept {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_fields(std::string_view line, char separator) {
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t at = line.find(separator, begin);
    if (at == std::string_view::npos) {
      out.push_back(line.substr(begin));
      return out;
    }
    out.push_back(line.substr(begin, at - begin));
    begin = at + 1;
  }
}

std::string column_key(std::string_view text) {
  std::string out;
  for (const char c : trim_space(text)) {
    if (c == ' ' || c == '\t' || c == '-' || c == '_') {
      if (!out.empty() && out.back() != '_') out += '_';
    } else {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace escapade
