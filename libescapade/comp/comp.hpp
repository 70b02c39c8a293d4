#pragma once
/// @file
/// Compensation and spectral unmixing: spillover/spectrum matrices, their compiled
/// inverse, and the kernels that apply it to events (Gating-ML 2.0 `transforms:spectrumMatrix`,
/// FCS 3.1 §3.2.20 `$SPILLOVER`; docs/formats.md §1.7, §2.4, §3.2).
///
/// The flow is validate once, then stream (STYLE §5): a `SpectrumMatrix` is what the
/// user or a file says; `Compensation` is the checked, inverted matrix, immutable and
/// shared by every thread; `CompensatedView` binds it to the columns of one
/// `EventMatrix` and fills caller-owned buffers for the events and dimensions asked for.
///
/// Orientation (verified, docs/formats.md §2.4): row = fluorochrome (source), column =
/// detector. A compensated row vector is raw[detectors] · S⁻¹ for a square matrix and
/// the least-squares raw · Sᵀ(S·Sᵀ)⁻¹ when there are more detectors than fluorochromes.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/event_matrix.hpp"
#include "libescapade/fcs/spillover.hpp"

namespace escapade::comp {

/// A spillover or spectrum matrix: n fluorochromes × m detectors (m ≥ n), as in the
/// Gating-ML 2.0 `transforms:spectrumMatrix` (`fluorochromes`, `detectors`, one
/// `spectrum` row of m `coefficient`s per fluorochrome). A FCS `$SPILLOVER` matrix is the
/// square case whose fluorochromes are named by their detectors. Immutable once built;
/// `const` access is thread-safe.
class SpectrumMatrix {
 public:
  SpectrumMatrix() = default;

  /// @param fluorochromes the n row names (output dimension names); unique, non-empty.
  /// @param detectors     the m ≥ n column names ($PnN); unique, non-empty.
  /// @param coefficients  n·m values, row-major (row = fluorochrome, column = detector).
  ///                      With `CompileOptions::matrix_inverted_already` the same n·m values
  ///                      are instead read as m rows (detectors) of n (fluorochromes).
  /// @param id            a name used in errors and summaries (Gating-ML `transforms:id`,
  ///                      a CSV file name); may be empty.
  /// @throws InputError(invalid_argument) if n = 0, m < n, the coefficient count is not
  ///         n·m, or a name is empty or repeated; InputError(numeric) if a value is not finite.
  SpectrumMatrix(std::vector<std::string> fluorochromes, std::vector<std::string> detectors,
                 std::vector<double> coefficients, std::string id = {});

  /// The square matrix of a FCS spillover keyword; fluorochromes are named by the
  /// detectors ($SPILLOVER, FCS 3.1 §3.2.20; docs/formats.md §1.7).
  /// @throws InputError(invalid_argument) if the spillover matrix is empty.
  explicit SpectrumMatrix(const fcs::SpilloverMatrix& spillover, std::string id = {});

  [[nodiscard]] std::size_t fluorochrome_count() const noexcept { return my_fluorochromes.size(); }
  [[nodiscard]] std::size_t detector_count() const noexcept { return my_detectors.size(); }
  /// Row names (Gating-ML `transforms:fluorochromes`).
  [[nodiscard]] const std::vector<std::string>& fluorochromes() const noexcept { return my_fluorochromes; }
  /// Column names, $PnN (Gating-ML `transforms:detectors`).
  [[nodiscard]] const std::vector<std::string>& detectors() const noexcept { return my_detectors; }
  /// The n·m coefficients in the order given to the constructor.
  [[nodiscard]] std::span<const double> coefficients() const noexcept { return my_coefficients; }
  /// Coefficient of fluorochrome `row` in detector `col`.
  /// @throws std::out_of_range if row >= n or col >= m.
  [[nodiscard]] double at(std::size_t row, std::size_t col) const;
  [[nodiscard]] const std::string& id() const noexcept { return my_id; }
  /// True when m == n.
  [[nodiscard]] bool is_square() const noexcept { return my_fluorochromes.size() == my_detectors.size(); }
  /// True when the fluorochromes are the detectors, in the same order (a spillover matrix).
  [[nodiscard]] bool is_spillover() const noexcept { return my_fluorochromes == my_detectors; }
  /// One line: `SpectrumMatrix(MySpill: 3 fluorochromes × 3 detectors)`.
  [[nodiscard]] std::string summary() const;

  friend bool operator==(const SpectrumMatrix&, const SpectrumMatrix&) = default;

 private:
  std::vector<std::string> my_fluorochromes;
  std::vector<std::string> my_detectors;
  std::vector<double> my_coefficients;
  std::string my_id;
};

/// How the unmixing matrix is derived from S.
enum class Method {
  automatic,      ///< `inverse` when m == n, otherwise `least_squares`
  inverse,        ///< S⁻¹ by LU with partial pivoting; needs m == n
  least_squares,  ///< Sᵀ(S·Sᵀ)⁻¹ (ordinary least squares, via column-pivoting QR of Sᵀ)
  as_given,       ///< the coefficients are the unmixing matrix already (matrix_inverted_already)
};

/// Options for building a `Compensation`.
struct CompileOptions {
  /// Gating-ML 2.0 `spectrumMatrix@matrix-inverted-already`: the coefficients are the
  /// m×n unmixing matrix itself (m rows of n values, row = detector) and are used as given.
  bool matrix_inverted_already = false;
  /// How to invert when `matrix_inverted_already` is false.
  Method method = Method::automatic;
  /// Smallest accepted reciprocal 2-norm condition number σmin/σmax of S. Below it the
  /// matrix is rejected as singular: at 1e-12 an inverse loses all but ~4 of the 16
  /// significant digits of double precision, which no real spillover matrix comes near
  /// (typical values are 0.1–0.9) but a duplicated or zero row does.
  double min_reciprocal_condition = 1e-12;
};

/// Which kernel fills the values. Both give bit-identical results (floating-point
/// contraction is off in both, and each accumulates detectors in the same order).
enum class Kernel {
  vectorized,  ///< register tiles of 8 (SSE2), 16 (AVX2) or 32 (AVX-512) events, picked at run time
  reference,   ///< a plain per-event scalar loop, the yardstick for the tests
};

/// Options for `CompensatedView::fill`.
struct FillOptions {
  /// Threads for this call (0 = all cores). 1 by default because a consumer usually
  /// calls `fill` from inside its own parallel loop over event blocks.
  int num_threads = 1;
  Kernel kernel = Kernel::vectorized;
};

/// Options for `compensate`.
struct ApplyOptions {
  /// Threads (0 = all cores, 1 = serial). The result does not depend on it.
  int num_threads = 0;
  Kernel kernel = Kernel::vectorized;
};

class CompensatedView;

/// A compiled compensation: the validated m×n unmixing matrix X such that a compensated
/// row vector is raw[detectors] · X (docs/formats.md §2.4). Immutable; every `const` method is
/// thread-safe, and one object may serve any number of threads and event matrices.
class Compensation {
 public:
  /// Compiles `matrix`.
  /// @throws InputError(numeric) naming the rows involved if S is singular or its reciprocal
  ///         condition number is below `options.min_reciprocal_condition`, or if the inverse
  ///         is not finite; InputError(invalid_argument) if `options.method` is `inverse` and
  ///         m != n, or `as_given` without `matrix_inverted_already`.
  explicit Compensation(const SpectrumMatrix& matrix, const CompileOptions& options = {});
  /// Compiles a FCS spillover matrix (same as through `SpectrumMatrix(spillover)`).
  explicit Compensation(const fcs::SpilloverMatrix& spillover, const CompileOptions& options = {});

  /// The m input channels ($PnN), in matrix column order.
  [[nodiscard]] const std::vector<std::string>& detectors() const noexcept { return my_detectors; }
  /// The n output dimensions: the fluorochromes (= detectors for a spillover matrix).
  [[nodiscard]] const std::vector<std::string>& dimensions() const noexcept { return my_dimensions; }
  [[nodiscard]] std::size_t detector_count() const noexcept { return my_detectors.size(); }
  [[nodiscard]] std::size_t dimension_count() const noexcept { return my_dimensions.size(); }
  /// X[detector][dimension]: the weight of a raw detector in a compensated dimension.
  /// @throws std::out_of_range if an index is out of range.
  [[nodiscard]] double unmixing(std::size_t detector, std::size_t dimension) const;
  /// σmin/σmax of the matrix as given (of X itself when it was inverted already).
  [[nodiscard]] double reciprocal_condition() const noexcept { return my_reciprocal_condition; }
  /// The method actually used (never `automatic`).
  [[nodiscard]] Method method() const noexcept { return my_method; }
  /// True when the output dimensions are the detectors themselves (a spillover matrix), so
  /// `compensate` replaces each detector channel in place.
  [[nodiscard]] bool in_place() const noexcept { return my_dimensions == my_detectors; }
  [[nodiscard]] const std::string& id() const noexcept { return my_id; }
  /// One line: `Compensation(MySpill: 3 detectors → 3 dimensions, inverse, rcond 0.83)`.
  [[nodiscard]] std::string summary() const;

  /// Binds this compensation to the detector columns of `events` (looked up by $PnN once).
  /// @return a view that lives no longer than `events` (it points into its columns); it
  ///         keeps its own copy of the unmixing matrix, so it may outlive this object.
  /// @throws Error(reference) listing the detectors the matrix needs, the ones missing and
  ///         the channels the data have, if a detector is not a channel of `events`.
  [[nodiscard]] CompensatedView view(const EventMatrix& events) const;

 private:
  std::vector<std::string> my_detectors;
  std::vector<std::string> my_dimensions;
  std::vector<double> my_weights;  // n×m row-major: my_weights[k*m + d] = X[d][k]
  double my_reciprocal_condition = 0.0;
  Method my_method = Method::automatic;
  std::string my_id;
};

/// Compensated values of one `EventMatrix`, computed on demand into buffers the caller
/// owns (STYLE §5: only the channels and event block a consumer asks for). Immutable;
/// `fill` is thread-safe. Holds pointers into the matrix it was made from: using it after
/// that matrix is destroyed, moved from or reallocated is undefined.
class CompensatedView {
 public:
  /// Events of the bound matrix.
  [[nodiscard]] std::size_t event_count() const noexcept { return my_events; }
  /// Output dimension names, as `Compensation::dimensions()`.
  [[nodiscard]] const std::vector<std::string>& dimensions() const noexcept { return my_dimensions; }
  [[nodiscard]] std::size_t dimension_count() const noexcept { return my_dimensions.size(); }
  /// Index of the output dimension named `name`, if any.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const noexcept;
  /// Index of the output dimension named `name`.
  /// @throws Error(reference) listing the dimensions there are.
  [[nodiscard]] std::size_t index_of(std::string_view name) const;

  /// Fills `buffer` with the compensated values of events [begin, end) for the output
  /// dimensions `dims` (indices into `dimensions()`, any order, repeats allowed). The
  /// buffer is column-major: value of dims[j] for event i is at buffer[j·(end−begin) + i−begin].
  /// Only the requested dimensions are computed (m multiply-adds per value). The values
  /// do not depend on the range, the thread count or the kernel.
  /// @param[in]  begin, end  event range, begin ≤ end ≤ event_count().
  /// @param[in]  dims        output dimensions to compute.
  /// @param[out] buffer      at least dims.size()·(end−begin) values; nothing else is written.
  /// @throws Error(invalid_argument) if the range, a dimension index or the buffer size is wrong.
  void fill(std::size_t begin, std::size_t end, std::span<const std::size_t> dims, std::span<double> buffer,
            const FillOptions& options = {}) const;

 private:
  friend class Compensation;
  CompensatedView() = default;

  std::size_t my_events = 0;
  std::vector<const double*> my_inputs;  // one column pointer per detector
  std::vector<double> my_weights;        // n×m row-major, as in Compensation
  std::vector<std::string> my_dimensions;
};

/// A new matrix with compensated values (FCS 3.1 §3.2.20 $SPILLOVER; Gating-ML 2.0 spectrumMatrix):
/// every channel that is not a detector of `compensation` is copied unchanged, in order. For a spillover
/// matrix (`in_place()`) each detector channel keeps its place, name and stain and holds its
/// compensated value; otherwise the detector channels are dropped and the n dimensions, named
/// by fluorochrome with no stain, are inserted where the first detector channel was.
/// `events` is not modified. Thread-safe.
/// @throws Error(reference) if a detector is missing (as `Compensation::view`);
///         Error(structure) if a fluorochrome name clashes with a channel that is kept.
[[nodiscard]] EventMatrix compensate(const EventMatrix& events, const Compensation& compensation,
                                     const ApplyOptions& options = {});

/// Parses a FlowJo-exported compensation matrix CSV: a header row of n detector names
/// (optionally starting with `#`, as FlowJo writes it), then n rows of n numbers, row =
/// source, column = detector (spillover, not its inverse; docs/formats.md §3.2). Commas or tabs
/// separate values; blank lines, a UTF-8 BOM, CR line ends and double quotes around names
/// are accepted. A header whose first cell is empty marks rows that begin with a row name;
/// such rows may come in any order and are placed by name. Thread-safe.
/// @param text    the whole file; not retained.
/// @param source   name used in errors and as the matrix id ("comp.csv", "<memory>").
/// @return the square matrix (fluorochromes = detectors = header names).
/// @throws InputError(format) naming the source, the line and the reason (a row with the
///         wrong number of values, a value that is not a finite number, a missing or extra
///         row, a repeated or empty name, no header).
[[nodiscard]] SpectrumMatrix parse_matrix_csv(std::string_view text, std::string_view source);
/// As above, from bytes (the entry point a fuzzer calls).
[[nodiscard]] SpectrumMatrix parse_matrix_csv(std::span<const std::byte> bytes, std::string_view source);
/// Reads and parses a matrix CSV file; the path is the source in errors.
/// @throws InputError(io) if the file cannot be read, else as `parse_matrix_csv`.
[[nodiscard]] SpectrumMatrix read_matrix_csv(const std::filesystem::path& path);

}  // namespace escapade::comp
