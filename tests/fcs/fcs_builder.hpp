#pragma once
// Builds small FCS files in memory for unit tests: a HEADER, a TEXT with the
// given keywords, and raw DATA bytes, with offsets filled in unless overridden.
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace escapade::testing {

struct FcsBuilder {
  std::string version = "FCS3.1";
  char delimiter = '/';
  std::vector<std::pair<std::string, std::string>> keywords;
  std::vector<unsigned char> data;
  bool put_data_offsets_in_text = true;
  long header_data_begin = -1;  // -1 = computed
  long header_data_end = -1;
  long text_data_begin = -1;
  long text_data_end = -1;

  FcsBuilder& kw(std::string k, std::string v) {
    keywords.emplace_back(std::move(k), std::move(v));
    return *this;
  }

  static std::string escape(const std::string& s, char d) {
    std::string out;
    for (char c : s) {
      out.push_back(c);
      if (c == d) out.push_back(d);
    }
    return out;
  }

  std::vector<std::byte> build() const {
    const std::size_t text_begin = 58;
    auto make_text = [&](std::size_t db, std::size_t de) {
      std::string t(1, delimiter);
      auto put = [&](const std::string& k, const std::string& v) {
        t += escape(k, delimiter);
        t += delimiter;
        t += escape(v, delimiter);
        t += delimiter;
      };
      if (put_data_offsets_in_text) {
        put("$BEGINDATA", std::to_string(text_data_begin >= 0 ? static_cast<std::size_t>(text_data_begin) : db));
        put("$ENDDATA", std::to_string(text_data_end >= 0 ? static_cast<std::size_t>(text_data_end) : de));
      }
      for (const auto& [k, v] : keywords) put(k, v);
      return t;
    };
    std::size_t db = 0, de = 0;
    std::string text;
    for (std::size_t guess = 1000;;) {
      db = guess;
      de = data.empty() ? 0 : db + data.size() - 1;
      text = make_text(db, de);
      if (text_begin + text.size() <= db) break;
      guess = text_begin + text.size() + 10;
    }
    std::vector<std::byte> out(db + data.size(), std::byte{' '});
    char header[64];
    std::snprintf(header, sizeof header, "%-6s    %8zu%8zu%8ld%8ld%8d%8d", version.c_str(), text_begin,
                  text_begin + text.size() - 1, header_data_begin >= 0 ? header_data_begin : static_cast<long>(db),
                  header_data_end >= 0 ? header_data_end : static_cast<long>(de), 0, 0);
    std::memcpy(out.data(), header, 58);
    std::memcpy(out.data() + text_begin, text.data(), text.size());
    if (!data.empty()) std::memcpy(out.data() + db, data.data(), data.size());
    return out;
  }
};

}  // namespace escapade::testing
