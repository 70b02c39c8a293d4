#pragma once
// XXH64, implemented from the xxHash specification (Yann Collet, "xxHash fast digest algorithm",
// doc/xxhash_spec.md, XXH64 section): 32-byte stripes into four accumulators, then the
// remaining 8-, 4- and 1-byte lanes, then the avalanche. Streaming, so a file is hashed in
// buffers without holding it whole.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace escapade::cohort::detail {

class Xxh64 {
 public:
  explicit Xxh64(std::uint64_t seed = 0) noexcept;
  void update(std::span<const std::byte> bytes) noexcept;
  [[nodiscard]] std::uint64_t digest() const noexcept;

 private:
  std::uint64_t my_seed;
  std::uint64_t my_acc[4];
  std::uint64_t my_total = 0;
  unsigned char my_buffer[32];
  std::size_t my_buffered = 0;
};

[[nodiscard]] std::uint64_t xxh64(std::span<const std::byte> bytes, std::uint64_t seed = 0) noexcept;
/// 16 lower-case hex digits.
[[nodiscard]] std::string hex64(std::uint64_t value);

}  // namespace escapade::cohort::detail
