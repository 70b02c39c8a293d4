#pragma once
/// @file
/// The reference-case validator: runs cases of the shared R/SciPy reference schema
/// (`shared/reference/stats/README.md`) through this library and compares the results
/// with the expected values. `escapade validate stats FILE... [--json]` is a thin shell
/// over `validate_cases` and `to_json`.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace escapade::stats {

/// The verdict on one case.
struct CaseOutcome {
  std::string source;  ///< the file (or display name) the case came from
  std::string id;      ///< the case `id`
  std::string test;    ///< the case `test`
  bool passed = false;
  /// Why the case failed: the first mismatching field with its actual and expected value
  /// ("p_value: actual 0.31 expected 0.32 (tolerance 1e-09)"), an unknown test, a missing
  /// input or the error the computation raised. Empty when it passed.
  std::string reason;
  std::string field;     ///< path of the first mismatching field ("curves[2].var[5]"); may be empty
  std::string actual;    ///< that field's computed value as JSON text; may be empty
  std::string expected;  ///< that field's expected value as JSON text; may be empty
  /// The computed values under the same keys as the case's `expected`, as compact JSON
  /// text ("{}" when nothing could be computed). NA is `null`, infinities "Inf"/"-Inf".
  std::string values_json;
};

/// The verdicts on every case of one or more files, in file order, then case order.
struct ValidationReport {
  std::vector<CaseOutcome> cases;
  [[nodiscard]] std::size_t passed() const noexcept;
  [[nodiscard]] std::size_t failed() const noexcept { return cases.size() - passed(); }
  [[nodiscard]] bool all_passed() const noexcept { return passed() == cases.size(); }
};

/// Runs every case of a JSON case list held in memory. A case whose `test` is unknown,
/// whose input is malformed, or whose computation throws is a failed case with the reason;
/// it never stops the others.
/// @param text   the file's text: a JSON array of case objects.
/// @param source the name used in outcomes and errors ("chisq.json", "<memory>").
/// @throws InputError(format) if the text is not JSON or not an array of objects.
[[nodiscard]] ValidationReport validate_cases_text(std::string_view text, std::string_view source);

/// Runs every case of one case file (R `stats` reference schema).
/// @throws Error(io) if the file cannot be read; InputError(format) as `validate_cases_text`.
[[nodiscard]] ValidationReport validate_cases(const std::filesystem::path& file);

/// Runs every case of several files and joins the reports in the order given.
/// @throws as `validate_cases(const std::filesystem::path&)`, for the first bad file.
[[nodiscard]] ValidationReport validate_cases(std::span<const std::filesystem::path> files);

/// The report as JSON text: `{"passed": n, "failed": m, "cases": [{"source", "id", "test",
/// "verdict": "pass"|"fail", "reason", "field", "actual", "expected", "values"}]}`,
/// indented by `indent` spaces (-1: compact).
[[nodiscard]] std::string to_json(const ValidationReport& report, int indent = 2);

/// The names of the `test` values the validator knows, sorted.
[[nodiscard]] std::vector<std::string> known_tests();

}  // namespace escapade::stats
