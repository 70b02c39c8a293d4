#pragma once
// Private to fcs/: the validated plan for decoding DATA, and the stage-2 kernels.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "libescapade/base/event_matrix.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::fcs::detail {

/// How one column is stored in an event, and how to turn it into a scale value.
struct ColumnPlan {
  std::size_t byte_offset = 0;  // within an event
  int width = 4;                // bytes
  DataType type = DataType::float32;
  bool big_endian = false;
  std::vector<int> permutation;  // non-empty: byte j of the value is at byte permutation[j] (LSB first)
  std::uint64_t mask = ~std::uint64_t{0};
  enum class Scale { none, log, divide, multiply } scale = Scale::none;
  double a = 1, b = 1, c = 1;   // log: c · 10^(a·x / b); divide: x / a; multiply: x · a
};

/// Everything stage 2 needs; built and checked by stage 1, then only read.
struct DecodePlan {
  const std::byte* data = nullptr;  // first byte of the first event
  std::size_t events = 0;
  std::size_t event_size = 0;       // bytes
  std::vector<ColumnPlan> columns;
};

/// Releases source bytes [offset, offset+length) once decoded (madvise on a mapping).
using ReleaseFn = std::function<void(const std::byte* begin, std::size_t length)>;

/// Fills `out` (events × columns, already sized) from the plan, in parallel blocks.
void decode_events(const DecodePlan& plan, EventMatrix& out, int num_threads, const ReleaseFn* release);

/// read_fcs with an optional release hook (used by read_fcs_file).
FcsFile read_fcs_impl(std::span<const std::byte> bytes, std::string_view source, const ReadOptions& options,
                      const ReleaseFn* release);

}  // namespace escapade::fcs::detail
