#pragma once
/// @file
/// Text that comes from users' files, made safe once at the boundary: every string Escapade
/// keeps is valid UTF-8, so every writer (JSON, HTML, PDF, SQLite, the terminal) can take it.
/// The rule is the FCS reader's for TEXT: bytes that are not valid UTF-8 are read as
/// Latin-1 (ISO-8859-1, what older instruments, spreadsheets and file systems write), with
/// a warning, never dropped and never passed on raw.

#include <algorithm>
#include <functional>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace escapade {

/// Whether `text` is well-formed UTF-8 (RFC 3629 §4): no overlong forms (0xC0 0xAF for '/'),
/// no UTF-16 surrogates (U+D800–U+DFFF), nothing above U+10FFFF, no truncated sequence.
[[nodiscard]] bool valid_utf8(std::string_view text) noexcept;

/// Each byte of `text` as the Latin-1 character of that code (U+0000–U+00FF), in UTF-8.
[[nodiscard]] std::string latin1_to_utf8(std::string_view text);

/// `text` itself when it is valid UTF-8, else read as Latin-1; `was_latin1` (when given)
/// says which, for the caller's warning.
[[nodiscard]] std::string utf8_or_latin1(std::string_view text, bool* was_latin1 = nullptr);

/// `text` without leading and trailing ASCII white space (space, tab, CR, LF, FF, VT): how
/// the tables users write (manifests, FISH tables, matrix CSVs, FlowJo values) are read.
[[nodiscard]] std::string_view trim_space(std::string_view text) noexcept;

/// The fields of one line between `separator`s, untrimmed ("a,,b" gives "a", "", "b").
[[nodiscard]] std::vector<std::string_view> split_fields(std::string_view line, char separator);

/// The key a table's column name (or a keyword value such as a phase) is matched by: lower
/// case, trimmed, and runs of spaces, tabs, '-' and '_' read as one '_' ("Pre-escape %" and
/// "pre_escape_%" are one column). Not for text where '-' is a marker's sign ("CD34+CD19-").
[[nodiscard]] std::string column_key(std::string_view text);

/// The header check of a table kind whose columns are `columns` (each with a `name` that is
/// its column_key): require_a_known_column on the header's `cells`, then the accepted
/// names, listed ("a, b, c"), for the reader's own errors.
template <typename Columns>
std::string require_table_header(std::span<const std::string_view> cells, const Columns& columns, std::string_view kind,
                                 std::string_view source, std::string_view where) {
  std::string accepted;
  for (const auto& c : columns) accepted += (accepted.empty() ? "" : ", ") + std::string(c.name);
  require_a_known_column(
      cells,
      [&](std::string_view cell) {
        const std::string key = column_key(cell);
        return std::any_of(std::begin(columns), std::end(columns), [&](const auto& c) { return c.name == key; });
      },
      kind, accepted, source, where);
  return accepted;
}

/// The column of `columns` whose name is the column_key `key`, or nullptr.
template <typename Columns>
auto find_column(const Columns& columns, std::string_view key) -> decltype(&*std::begin(columns)) {
  const auto it = std::find_if(std::begin(columns), std::end(columns), [&](const auto& c) { return c.name == key; });
  return it == std::end(columns) ? nullptr : &*it;
}

/// The shortest decimal text that reads back as the same double ("nan", "inf", "-inf" for
/// those): how tables print numbers, so that no digit is invented or lost.
[[nodiscard]] std::string shortest_decimal(double v);

/// The header check of a table a user names (a manifest, a FISH table): when none of the
/// header's `cells` is a column of the kind (`is_column`), the file is some other file (a
/// wrong path, say), and this throws InputError(format) at `source`, `where` saying so and
/// listing `accepted`, while quoting nothing of the file.
void require_a_known_column(std::span<const std::string_view> cells, const std::function<bool(std::string_view)>& is_column,
                            std::string_view kind, std::string_view accepted, std::string_view source, std::string_view where);

}  // namespace escapade
