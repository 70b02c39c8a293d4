// FlowJo-exported compensation matrix CSV (docs/formats.md §3.2; shared/data/README.md §6):
// a header row of detector names, then one row of coefficients per source.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <system_error>
#include <fstream>
#include <iterator>
#include <map>

#include "libescapade/base/file_io.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/base/text.hpp"
#include "libescapade/comp/comp.hpp"

namespace escapade::comp {

namespace {

std::vector<std::string_view> split(std::string_view line, char delimiter) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = line.find(delimiter, start);
    cells.push_back(trim_space(line.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start)));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return cells;
}

std::string_view unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return trim_space(s.substr(1, s.size() - 2));
  return s;
}

struct Line {
  std::size_t number = 0;  // 1-based, as an editor shows it
  std::string_view text;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : my_text(text), my_source(source) {}

  SpectrumMatrix run() {
    // A UTF-8 byte order mark is how spreadsheet programs often start a CSV.
    if (my_text.starts_with("\xEF\xBB\xBF")) my_text.remove_prefix(3);
    const std::vector<Line> lines = non_blank_lines();
    if (lines.empty()) fail(1, "no header row: the file is empty");

    const Line& header = lines.front();
    std::string_view head = header.text;
    if (head.starts_with('#')) head = trim_space(head.substr(1));  // FlowJo writes "# name,name,…"
    const char delimiter = head.find(',') == std::string_view::npos && head.find('\t') != std::string_view::npos
                               ? '\t'
                               : ',';
    std::vector<std::string_view> cells = split(head, delimiter);
    const bool row_names = cells.size() > 1 && cells.front().empty();
    if (row_names) cells.erase(cells.begin());
    std::vector<std::string> names;
    std::map<std::string, std::size_t, std::less<>> index;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string_view name = unquote(cells[c]);
      if (name.empty()) fail(header.number, "header column " + std::to_string(c + 1) + " has no detector name");
      if (!index.emplace(std::string(name), c).second) {
        fail(header.number, "detector '" + std::string(name) + "' appears twice in the header");
      }
      names.emplace_back(name);
    }
    const std::size_t n = names.size();

    std::vector<double> values(n * n);
    std::vector<bool> filled(n, false);
    std::size_t rows = 0;
    for (std::size_t l = 1; l < lines.size(); ++l) {
      const Line& line = lines[l];
      std::vector<std::string_view> fields = split(line.text, delimiter);
      std::size_t row = rows;
      if (row_names) {
        const std::string_view label = unquote(fields.front());
        const auto it = index.find(label);
        if (it == index.end()) fail(line.number, "row name '" + std::string(label) + "' is not a header detector");
        row = it->second;
        if (filled[row]) fail(line.number, "row '" + std::string(label) + "' appears twice");
        fields.erase(fields.begin());
      } else if (rows == n) {
        fail(line.number, "more matrix rows than the " + std::to_string(n) + " detectors in the header (line " +
                              std::to_string(header.number) + ")");
      }
      if (fields.size() != n) {
        fail(line.number, std::to_string(fields.size()) + " values, but the header names " + std::to_string(n) +
                              " detectors");
      }
      for (std::size_t c = 0; c < n; ++c) values[row * n + c] = number(fields[c], line.number, names[c]);
      filled[row] = true;
      ++rows;
    }
    if (rows != n) {
      const std::size_t last = lines.back().number;
      fail(last, std::to_string(rows) + " matrix rows for the " + std::to_string(n) +
                     " detectors named in the header: a compensation matrix needs one row per detector");
    }
    return SpectrumMatrix(names, names, std::move(values), std::string(my_source));
  }

 private:
  std::vector<Line> non_blank_lines() const {
    std::vector<Line> lines;
    std::size_t number = 0;
    std::size_t start = 0;
    while (start <= my_text.size()) {
      std::size_t end = my_text.find('\n', start);
      if (end == std::string_view::npos) end = my_text.size();
      ++number;
      const std::string_view text = trim_space(my_text.substr(start, end - start));
      if (!text.empty()) lines.push_back({number, text});
      start = end + 1;
    }
    return lines;
  }

  double number(std::string_view field, std::size_t line, const std::string& column) const {
    std::string_view s = field;
    if (s.starts_with('+')) s.remove_prefix(1);  // from_chars rejects a leading '+'
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(value)) {
      fail(line, "value '" + std::string(field) + "' in column " + column + " is not a finite number");
    }
    return value;
  }

  [[noreturn]] void fail(std::size_t line, std::string reason) const {
    throw InputError(ErrorKind::format, std::string(my_source), "line " + std::to_string(line), std::move(reason));
  }

  std::string_view my_text;
  std::string_view my_source;
};

}  // namespace

SpectrumMatrix parse_matrix_csv(std::string_view text, std::string_view source) {
  return Parser(text, source).run();
}

SpectrumMatrix parse_matrix_csv(std::span<const std::byte> bytes, std::string_view source) {
  return parse_matrix_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), source);
}

SpectrumMatrix read_matrix_csv(const std::filesystem::path& path) {
  return parse_matrix_csv(read_file(path), path.string());
}

}  // namespace escapade::comp
