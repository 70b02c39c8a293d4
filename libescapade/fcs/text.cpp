// TEXT segments (FCS 3.1 §3.2): keyword/value pairs between delimiters, with
// doubled delimiters as escapes, plus the real-world deviations docs/formats.md §1.2 lists.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "libescapade/fcs/detail/text.hpp"

#include "libescapade/base/text.hpp"

namespace escapade::fcs::detail {

std::string_view trim(std::string_view s) noexcept {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> parse_uint(std::string_view s) noexcept {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) noexcept {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

std::string format_double(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::string("0");
}

namespace {

struct Tokens {
  std::vector<std::string> items;
  bool unterminated = false;  // the segment ended inside a token
  int breakage() const {
    int b = unterminated ? 1 : 0;
    if (items.size() % 2 != 0) ++b;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
      if (items[i].empty()) ++b;  // an empty keyword is never valid
    }
    return b;
  }
};

// escape_doubled: FCS 3.1 §3.2.9, a doubled delimiter is one literal delimiter.
// Otherwise every delimiter ends a token, so "DD" is an empty value (CellQuest).
Tokens tokenize(std::string_view seg, char delim, bool escape_doubled) {
  Tokens t;
  std::string cur;
  std::size_t i = 1;  // seg[0] is the delimiter
  while (i < seg.size()) {
    const char c = seg[i];
    if (c == delim) {
      if (escape_doubled && i + 1 < seg.size() && seg[i + 1] == delim) {
        cur.push_back(delim);
        i += 2;
        continue;
      }
      t.items.push_back(std::move(cur));
      cur.clear();
      ++i;
    } else {
      cur.push_back(c);
      ++i;
    }
  }
  if (!cur.empty()) {
    t.unterminated = true;
    // Trailing padding after the last delimiter is not a token.
    if (!trim(cur).empty()) t.items.push_back(std::move(cur));
    else t.unterminated = false;
  }
  return t;
}

}  // namespace

Keywords parse_keywords(std::span<const std::byte> segment, std::size_t file_offset, std::string_view where,
                        std::string_view source, std::vector<Warning>& warnings) {
  std::string_view seg(reinterpret_cast<const char*>(segment.data()), segment.size());
  Keywords out;
  if (seg.empty()) return out;
  const char delim = seg[0];
  const std::string at = std::string(where) + " byte " + std::to_string(file_offset);

  // Valid files escape a delimiter by doubling it; CellQuest writes empty values as a
  // doubled delimiter instead (docs/formats.md §1.2). Read both ways and keep the escape
  // reading unless it breaks the pair structure where the other does not.
  Tokens escaped = tokenize(seg, delim, true);
  Tokens plain = tokenize(seg, delim, false);
  const bool use_plain = plain.breakage() < escaped.breakage();
  Tokens& tok = use_plain ? plain : escaped;
  if (use_plain) {
    warnings.push_back({std::string(source), at,
                        "doubled delimiters read as empty values (the pairs do not line up when they are read as "
                        "escaped delimiters, FCS 3.1 §3.2.9)"});
  }
  if (tok.unterminated) {
    warnings.push_back({std::string(source), at + "-" + std::to_string(file_offset + seg.size() - 1),
                        "segment does not end with its delimiter; the last value was read to the end"});
  }
  if (tok.items.size() % 2 != 0) {
    warnings.push_back({std::string(source), at,
                        "keyword '" + tok.items.back() + "' has no value; ignored"});
    tok.items.pop_back();
  }

  bool any_non_utf8 = false;
  for (const auto& s : tok.items) {
    if (!valid_utf8(s)) {
      any_non_utf8 = true;
      break;
    }
  }
  if (any_non_utf8) {
    warnings.push_back({std::string(source), at,
                        "text is not valid UTF-8; read as Latin-1 (FCS 3.0 files predate UTF-8 values)"});
  }

  // Repeats are counted and reported once per keyword (a TEXT repeating one keyword 700,000
  // times must not print 700,000 warnings); values are quoted short.
  struct Repeat {
    std::string first_other;  // the first value that differed from the one used
    std::size_t times = 0;    // later occurrences with another value
  };
  std::vector<std::pair<std::string, Repeat>> repeats;  // in order of first repeat
  std::unordered_map<std::string, std::size_t> repeat_index;
  std::size_t empty_names = 0;
  for (std::size_t i = 0; i + 1 < tok.items.size(); i += 2) {
    std::string key = any_non_utf8 ? latin1_to_utf8(tok.items[i]) : std::move(tok.items[i]);
    std::string value = any_non_utf8 ? latin1_to_utf8(tok.items[i + 1]) : std::move(tok.items[i + 1]);
    if (key.empty()) {
      if (empty_names++ == 0) {
        warnings.push_back({std::string(source), at, "empty keyword name (value '" + excerpt(value) + "'); ignored"});
      }
      continue;
    }
    if (const std::string* prev = out.find(key)) {
      if (*prev != value) {
        auto [it, fresh] = repeat_index.emplace(key, repeats.size());
        if (fresh) repeats.push_back({key, Repeat{value, 0}});
        ++repeats[it->second].second.times;
      }
      continue;
    }
    out.add(std::move(key), std::move(value));
  }
  if (empty_names > 1) {
    warnings.push_back({std::string(source), at, fmt::format("{} more empty keyword names; ignored", empty_names - 1)});
  }
  for (const auto& [key, r] : repeats) {
    const std::string* used = out.find(key);
    warnings.push_back({std::string(source), at,
                        fmt::format("keyword {} appears more than once ('{}' and '{}'{}); the first is used", excerpt(key),
                                    excerpt(used != nullptr ? *used : ""), excerpt(r.first_other),
                                    r.times > 1 ? fmt::format(", and {} more times with other values", r.times - 1) : "")});
  }
  return out;
}

Header parse_header(std::span<const std::byte> file, std::size_t base, std::string_view source,
                    std::vector<Warning>& warnings) {
  const std::string src(source);
  const std::size_t have = base < file.size() ? file.size() - base : 0;
  std::string_view start(reinterpret_cast<const char*>(file.data()) + std::min(base, file.size()), std::min<std::size_t>(have, 3));
  if (start != std::string_view("FCS").substr(0, start.size()) || have == 0) {
    std::string shown;
    for (char c : std::string_view(reinterpret_cast<const char*>(file.data()) + std::min(base, file.size()), std::min<std::size_t>(have, 10))) {
      shown.push_back(c >= 32 && c < 127 ? c : '?');
    }
    throw FcsError(ErrorKind::format, src, "HEADER byte " + std::to_string(base),
                   "not an FCS file: it begins '" + shown + "' instead of 'FCS' and a version");
  }
  if (have < 58) {
    throw FcsError(ErrorKind::truncated, src, "HEADER byte " + std::to_string(base),
                   "file ends after " + std::to_string(file.size() > base ? file.size() - base : 0) +
                       " bytes; an FCS HEADER needs 58 (FCS 3.1 §3.1)");
  }
  std::string_view h(reinterpret_cast<const char*>(file.data()) + base, 58);
  Header out;
  out.version = std::string(h.substr(0, 6));
  const bool looks_fcs = h.substr(0, 3) == "FCS" && h[3] >= '0' && h[3] <= '9' && h[4] == '.' && h[5] >= '0' &&
                         h[5] <= '9';
  if (!looks_fcs) {
    std::string shown;
    for (char c : h.substr(0, 10)) shown.push_back(c >= 32 && c < 127 ? c : '?');
    throw FcsError(ErrorKind::format, src, "HEADER byte " + std::to_string(base),
                   "not an FCS file: it begins '" + shown + "' instead of 'FCS' and a version");
  }
  if (out.version != "FCS2.0" && out.version != "FCS3.0" && out.version != "FCS3.1" && out.version != "FCS3.2") {
    warnings.push_back({src, "HEADER byte " + std::to_string(base),
                        "unknown version " + out.version + "; read as FCS 3.1"});
  }
  struct Field {
    std::size_t at;
    const char* name;
    std::uint64_t* into;
  };
  const Field fields[] = {{10, "TEXT begin", &out.text_begin},         {18, "TEXT end", &out.text_end},
                          {26, "DATA begin", &out.data_begin},         {34, "DATA end", &out.data_end},
                          {42, "ANALYSIS begin", &out.analysis_begin}, {50, "ANALYSIS end", &out.analysis_end}};
  for (const auto& f : fields) {
    std::string_view raw = h.substr(f.at, 8);
    std::string_view t = trim(raw);
    if (t.empty()) {
      *f.into = 0;  // blank = 0 (docs/formats.md §1.1)
      continue;
    }
    auto v = parse_uint(t);
    if (!v) {
      const bool analysis = f.at >= 42;
      if (analysis) {
        warnings.push_back({src, "HEADER byte " + std::to_string(base + f.at),
                            std::string(f.name) + " '" + std::string(raw) + "' is not a number; taken as 0"});
        *f.into = 0;
        continue;
      }
      throw FcsError(ErrorKind::format, src, "HEADER byte " + std::to_string(base + f.at),
                     std::string(f.name) + " '" + std::string(raw) + "' is not a number");
    }
    *f.into = *v;
  }
  return out;
}

}  // namespace escapade::fcs::detail
