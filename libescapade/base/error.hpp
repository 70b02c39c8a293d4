#pragma once
/// @file
/// Errors and warnings shared by every concept (STYLE §3).
///
/// Every error carries a stable `ErrorKind`, the `source` it came from (a file
/// name or "<memory>"), `where` in that source (a byte offset, a keyword, an XML
/// line, a gate path) and the `reason`. `what()` joins them:
/// `x.fcs: HEADER byte 26: DATA begin 91234 is past end of file (80000 bytes)`.

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace escapade {

/// What went wrong, for callers that branch on it and for the CLI's exit code.
/// The values are stable: new ones are only ever appended.
enum class ErrorKind {
  io,                ///< a file could not be opened, mapped, read or written
  format,            ///< the bytes or text do not follow the format (bad HEADER, TEXT, XML, CSV)
  truncated,         ///< the input ends before a segment it declares
  unsupported,       ///< valid input that Escapade does not handle (e.g. FCS $MODE C)
  reference,         ///< a name or id refers to nothing (unknown channel, gate, transform)
  structure,         ///< references form an invalid shape (cycle, duplicate id)
  numeric,           ///< a numerical condition fails (singular matrix, invalid transform parameters)
  invalid_argument,  ///< a caller passed a value outside the documented range
};

/// `text` safe to show on a terminal: C0 control characters (but newline and tab), DEL and
/// the C1 controls U+0080–U+009F become visible escapes (`\x1b`, `\u009b`), so that a file's
/// keywords or names cannot move the cursor, recolour or retitle the user's terminal. Every
/// error and warning message goes through it.
[[nodiscard]] std::string printable(std::string_view text);

/// A short quote of a value read from a user's file, for an error about that value: at most
/// `max_bytes` bytes (cut at a UTF-8 character boundary, "…" appended) with newlines, tabs
/// and control characters escaped. A message quotes a file's content only through this,
/// and only once the file has parsed as the kind expected (a header with a known column),
/// so that naming the wrong file never copies its lines to a terminal or a database.
[[nodiscard]] std::string excerpt(std::string_view text, std::size_t max_bytes = 40);

/// Where and why for problems found on several lines of one file, bounded: the first
/// `max_listed` problems in full, then "… and N more" (a million bad rows must not become a
/// 100 MB message). `where` lists their distinct lines ("lines 2, 5, 9, … and 999,991
/// more"); `reason` each problem as "line L: text", joined by "; ".
struct LineProblems {
  std::string where;
  std::string reason;
};
[[nodiscard]] LineProblems summarize_line_problems(const std::vector<std::pair<std::size_t, std::string>>& problems,
                                                   std::size_t max_listed = 20);

/// A short lowercase name of the kind ("format", "io", …), used in JSON output.
[[nodiscard]] std::string_view to_string(ErrorKind kind) noexcept;

/// Root of Escapade's exception hierarchy. Catch this to catch everything.
class Error : public std::runtime_error {
 public:
  /// @param kind   the family of failure.
  /// @param source file name or "<memory>"; may be empty when there is no source.
  /// @param where  the place inside the source; may be empty.
  /// @param reason what is wrong, in words.
  Error(ErrorKind kind, std::string source, std::string where, std::string reason);

  [[nodiscard]] ErrorKind kind() const noexcept { return my_kind; }
  [[nodiscard]] const std::string& source() const noexcept { return my_source; }
  [[nodiscard]] const std::string& where() const noexcept { return my_where; }
  [[nodiscard]] const std::string& reason() const noexcept { return my_reason; }

 private:
  ErrorKind my_kind;
  std::string my_source;
  std::string my_where;
  std::string my_reason;
};

/// An FCS file could not be read or written.
class FcsError : public Error {
 public:
  using Error::Error;
};

/// A Gating-ML document is malformed or inconsistent.
class GatingMlError : public Error {
 public:
  using Error::Error;
};

/// A FlowJo workspace is malformed or refers to what is not there.
class WorkspaceError : public Error {
 public:
  using Error::Error;
};

/// A gating tree cannot be built or evaluated (unknown parent, cycle, missing channel).
class GateTreeError : public Error {
 public:
  using Error::Error;
};

/// Any other user input is wrong (a CSV matrix, a panel, a manifest, an argument).
class InputError : public Error {
 public:
  using Error::Error;
};

/// Something worth telling the user that did not stop the work: same fields as an Error.
struct Warning {
  std::string source;  ///< file name or "<memory>"
  std::string where;   ///< place inside the source
  std::string reason;  ///< what was odd and what Escapade did about it

  /// "source: where: reason", as Error::what() reads.
  [[nodiscard]] std::string message() const;
  friend bool operator==(const Warning&, const Warning&) = default;
};

/// Joins source, where and reason the way Error::what() does.
[[nodiscard]] std::string format_message(std::string_view source, std::string_view where,
                                         std::string_view reason);

}  // namespace escapade
