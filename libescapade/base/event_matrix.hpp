#pragma once
/// @file
/// `EventMatrix`: the events of one data set, column-major (STYLE §5).
///
/// One contiguous, 64-byte aligned array per channel, padded with zeros to a
/// multiple of `padding` values, so kernels run whole vectors with no scalar
/// tail and a 2-D gate touches just two arrays. Values are `double`: FCS data
/// may be 32-bit integers (not exact in float), float64, or log-decoded, and
/// the Gating-ML and FlowJo conformance suites are decided at the last bit.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace escapade {

/// What the matrix knows of a channel; the full FCS description lives in `fcs::Parameter`.
struct ChannelLabel {
  std::string name;   ///< short name ($PnN), unique within a matrix
  std::string stain;  ///< stain or marker ($PnS); empty when the file has none
  friend bool operator==(const ChannelLabel&, const ChannelLabel&) = default;
};

/// Events × channels, stored one channel at a time. Not thread-safe for writes;
/// `const` access is safe from any number of threads.
class EventMatrix {
 public:
  /// Values per column are padded to a multiple of this (8 doubles = 64 bytes).
  static constexpr std::size_t padding = 8;

  EventMatrix() = default;

  /// A matrix of `events` rows with one zero-filled column per label.
  /// @throws Error(invalid_argument) if two labels share a name.
  EventMatrix(std::size_t events, std::vector<ChannelLabel> channels);

  /// Tag for a matrix whose values the caller fills completely before reading them
  /// (a decoder): only the pad is zeroed, which saves one pass over memory.
  struct Uninitialized {};
  EventMatrix(std::size_t events, std::vector<ChannelLabel> channels, Uninitialized);

  EventMatrix(const EventMatrix& other);
  EventMatrix& operator=(const EventMatrix& other);
  EventMatrix(EventMatrix&&) noexcept = default;
  EventMatrix& operator=(EventMatrix&&) noexcept = default;
  ~EventMatrix() = default;

  [[nodiscard]] std::size_t event_count() const noexcept { return my_events; }
  [[nodiscard]] std::size_t channel_count() const noexcept { return my_labels.size(); }
  /// Allocated values per column (event_count rounded up to `padding`); the pad is zero.
  [[nodiscard]] std::size_t stride() const noexcept { return my_stride; }

  [[nodiscard]] const std::vector<ChannelLabel>& channels() const noexcept { return my_labels; }
  [[nodiscard]] const ChannelLabel& label(std::size_t k) const { return my_labels.at(k); }

  /// The values of channel `k`; the span lives as long as the matrix and is not a copy.
  /// @throws std::out_of_range if k >= channel_count().
  [[nodiscard]] std::span<const double> channel(std::size_t k) const;
  [[nodiscard]] std::span<double> channel(std::size_t k);
  /// The column including its zero pad (length stride()), for vector kernels.
  [[nodiscard]] std::span<const double> padded_channel(std::size_t k) const;
  [[nodiscard]] std::span<double> padded_channel(std::size_t k);

  /// Index of the channel named `name` ($PnN, exact match), if any.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const noexcept;
  /// Index of the channel named `name`, or an Error(reference) listing the names there are.
  [[nodiscard]] std::size_t index_of(std::string_view name) const;

  /// Appends a column (e.g. gate membership, ground-truth labels).
  /// @throws Error(invalid_argument) if the name exists or values has the wrong length.
  void add_channel(ChannelLabel label, std::span<const double> values);

  /// A new matrix holding only `events` (row indices, in the order given; empty = all)
  /// and `channels` (column indices, in the order given; empty = all).
  /// @throws std::out_of_range if an index is out of range.
  [[nodiscard]] EventMatrix subset(std::span<const std::size_t> events,
                                   std::span<const std::size_t> channels) const;
  /// The first `n` events (all if n >= event_count()).
  [[nodiscard]] EventMatrix head(std::size_t n) const;

  /// Bytes held by the columns (what "the decoded matrix" means in memory budgets).
  [[nodiscard]] std::size_t bytes() const noexcept { return my_stride * my_labels.size() * sizeof(double); }

  /// Exact equality of shape, labels and every value (NaN equals NaN bit for bit).
  friend bool operator==(const EventMatrix& a, const EventMatrix& b);

 private:
  struct FreeAligned {
    void operator()(double* p) const noexcept;
  };
  using Column = std::unique_ptr<double[], FreeAligned>;
  static Column allocate_column(std::size_t stride, std::size_t events, bool zero);

  std::size_t my_events = 0;
  std::size_t my_stride = 0;
  std::vector<ChannelLabel> my_labels;
  std::vector<Column> my_columns;
};

}  // namespace escapade
