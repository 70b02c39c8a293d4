#pragma once
/// @file
/// The spillover matrix an FCS file carries in `$SPILLOVER` (FCS 3.1 §3.2.20),
/// `SPILL`, `$SPILL` or the older `$COMP` (FCS 3.0 §3.2.20).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace escapade::fcs {

/// A square spillover matrix over named detectors ($PnN). Row i is the dye
/// read primarily in detector i; column j is the detector it spills into; the
/// diagonal is normally 1. Compensated values = raw[detectors] · S⁻¹
/// (FCS 3.1 $SPILLOVER; docs/formats.md §1.7). Immutable once built.
class SpilloverMatrix {
 public:
  SpilloverMatrix() = default;
  /// @param detectors the n detector names, in row/column order.
  /// @param values    n×n coefficients, row-major.
  /// @throws InputError if values.size() != n², a name repeats, or a value is not finite.
  SpilloverMatrix(std::vector<std::string> detectors, std::vector<double> values);

  [[nodiscard]] std::size_t size() const noexcept { return my_detectors.size(); }
  [[nodiscard]] const std::vector<std::string>& detectors() const noexcept { return my_detectors; }
  /// Row-major n×n coefficients.
  [[nodiscard]] std::span<const double> values() const noexcept { return my_values; }
  [[nodiscard]] double at(std::size_t row, std::size_t col) const { return my_values.at(row * size() + col); }
  /// True when every diagonal value is 1 and every other value 0.
  [[nodiscard]] bool is_identity() const noexcept;

  friend bool operator==(const SpilloverMatrix&, const SpilloverMatrix&) = default;

 private:
  std::vector<std::string> my_detectors;
  std::vector<double> my_values;
};

/// Parses a `$SPILLOVER`/`SPILL`/`$SPILL` value: `n,N1,…,Nn,s11,s12,…,snn` (row-major).
/// Whitespace around items is ignored.
/// @param source, keyword  used in errors ("x.fcs", "$SPILLOVER").
/// @throws FcsError (format) naming the keyword and what is missing or unreadable.
[[nodiscard]] SpilloverMatrix parse_spillover(std::string_view value, std::string_view source,
                                              std::string_view keyword);

/// Parses a FCS 3.0 `$COMP` value `n,c11,…,cnn` (percent compensation, no names) over the
/// given detectors: the compensation matrix C/100 is inverted back into a spillover matrix.
/// @throws FcsError when malformed or singular.
[[nodiscard]] SpilloverMatrix parse_comp_keyword(std::string_view value, std::span<const std::string> detectors,
                                                 std::string_view source);

/// Writes the `$SPILLOVER` value for `m` (shortest round-trip decimal for each coefficient).
[[nodiscard]] std::string format_spillover(const SpilloverMatrix& m);

}  // namespace escapade::fcs
