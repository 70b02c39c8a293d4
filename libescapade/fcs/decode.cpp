// Stage 2: DATA → EventMatrix. One pass over the bytes in event blocks; for each
// block, one tight loop per column (the block stays in cache while its columns are
// peeled off). FCS 3.1 §3.3 ($MODE L, integer bit masks), docs/formats.md §1.4.
#include <bit>
#include <cmath>
#include <cstring>

#include "libescapade/base/parallel.hpp"
#include "libescapade/fcs/detail/decode.hpp"

namespace escapade::fcs::detail {
namespace {

constexpr std::size_t block_events = 16384;

template <typename T>
inline T load(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

inline std::uint16_t swap(std::uint16_t v) noexcept { return __builtin_bswap16(v); }
inline std::uint32_t swap(std::uint32_t v) noexcept { return __builtin_bswap32(v); }
inline std::uint64_t swap(std::uint64_t v) noexcept { return __builtin_bswap64(v); }

// Unsigned integers of 1, 2, 4 or 8 bytes in either byte order, masked.
template <typename U, bool Big>
void decode_uint(const std::byte* base, std::size_t stride, std::size_t n, std::uint64_t mask, double* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    U v = load<U>(base + i * stride);
    if constexpr (Big && sizeof(U) > 1) v = swap(v);
    out[i] = static_cast<double>(static_cast<std::uint64_t>(v) & mask);
  }
}

template <bool Big>
void decode_u24(const std::byte* base, std::size_t stride, std::size_t n, std::uint64_t mask, double* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(base + i * stride);
    const std::uint32_t v = Big ? (std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | p[2])
                                : (std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0]);
    out[i] = static_cast<double>(v & mask);
  }
}

template <bool Big>
void decode_f32(const std::byte* base, std::size_t stride, std::size_t n, double* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t v = load<std::uint32_t>(base + i * stride);
    if constexpr (Big) v = swap(v);
    out[i] = static_cast<double>(std::bit_cast<float>(v));
  }
}

template <bool Big>
void decode_f64(const std::byte* base, std::size_t stride, std::size_t n, double* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t v = load<std::uint64_t>(base + i * stride);
    if constexpr (Big) v = swap(v);
    out[i] = std::bit_cast<double>(v);
  }
}

// Any byte permutation ($BYTEORD 3,4,1,2 and the like): slow, general.
void decode_permuted(const std::byte* base, std::size_t stride, std::size_t n, const ColumnPlan& c,
                     double* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(base + i * stride);
    std::uint64_t v = 0;
    for (int j = 0; j < c.width; ++j) v |= std::uint64_t{p[c.permutation[static_cast<std::size_t>(j)]]} << (8 * j);
    if (c.type == DataType::float32) {
      out[i] = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(v)));
    } else if (c.type == DataType::float64) {
      out[i] = std::bit_cast<double>(v);
    } else {
      out[i] = static_cast<double>(v & c.mask);
    }
  }
}

void decode_column(const ColumnPlan& c, const std::byte* base, std::size_t stride, std::size_t n,
                   double* out) noexcept {
  if (!c.permutation.empty()) {
    decode_permuted(base, stride, n, c, out);
  } else if (c.type == DataType::float32) {
    c.big_endian ? decode_f32<true>(base, stride, n, out) : decode_f32<false>(base, stride, n, out);
  } else if (c.type == DataType::float64) {
    c.big_endian ? decode_f64<true>(base, stride, n, out) : decode_f64<false>(base, stride, n, out);
  } else {
    switch (c.width) {
      case 1: decode_uint<std::uint8_t, false>(base, stride, n, c.mask, out); break;
      case 2:
        c.big_endian ? decode_uint<std::uint16_t, true>(base, stride, n, c.mask, out)
                     : decode_uint<std::uint16_t, false>(base, stride, n, c.mask, out);
        break;
      case 3:
        c.big_endian ? decode_u24<true>(base, stride, n, c.mask, out) : decode_u24<false>(base, stride, n, c.mask, out);
        break;
      case 4:
        c.big_endian ? decode_uint<std::uint32_t, true>(base, stride, n, c.mask, out)
                     : decode_uint<std::uint32_t, false>(base, stride, n, c.mask, out);
        break;
      default:  // 5..8 bytes: assemble (stage 1 allows only 1..8)
        for (std::size_t i = 0; i < n; ++i) {
          const auto* p = reinterpret_cast<const unsigned char*>(base + i * stride);
          std::uint64_t v = 0;
          for (int j = 0; j < c.width; ++j) {
            const int byte = c.big_endian ? c.width - 1 - j : j;
            v |= std::uint64_t{p[byte]} << (8 * j);
          }
          out[i] = static_cast<double>(v & c.mask);
        }
    }
  }
  switch (c.scale) {
    case ColumnPlan::Scale::none: break;
    case ColumnPlan::Scale::log:
      // FCS 3.1 §3.2.20 $PnE: scale = f2 · 10^(f1 · channel / $PnR).
      for (std::size_t i = 0; i < n; ++i) out[i] = std::pow(10.0, c.a * out[i] / c.b) * c.c;
      break;
    case ColumnPlan::Scale::divide:
      for (std::size_t i = 0; i < n; ++i) out[i] = out[i] / c.a;
      break;
    case ColumnPlan::Scale::multiply:
      for (std::size_t i = 0; i < n; ++i) out[i] = out[i] * c.a;
      break;
  }
}

}  // namespace

void decode_events(const DecodePlan& plan, EventMatrix& out, int num_threads, const ReleaseFn* release) {
  const std::size_t blocks = block_count(plan.events, block_events);
  parallel_for(blocks, num_threads, [&](std::size_t b) {
    const std::size_t first = b * block_events;
    const std::size_t n = std::min(block_events, plan.events - first);
    const std::byte* block = plan.data + first * plan.event_size;
    for (std::size_t k = 0; k < plan.columns.size(); ++k) {
      const ColumnPlan& c = plan.columns[k];
      decode_column(c, block + c.byte_offset, plan.event_size, n, out.channel(k).data() + first);
    }
    if (release != nullptr) (*release)(block, n * plan.event_size);
  });
}

}  // namespace escapade::fcs::detail
