#include "libescapade/cohort/detail/xxh64.hpp"

#include <cstring>

namespace escapade::cohort::detail {
namespace {

constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t p2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t p3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t p4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t p5 = 0x27D4EB2F165667C5ULL;

constexpr std::uint64_t rotl(std::uint64_t x, int r) noexcept { return (x << r) | (x >> (64 - r)); }

// Little-endian loads (the specification reads lanes little-endian).
std::uint64_t read64(const unsigned char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint32_t read32(const unsigned char* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

constexpr std::uint64_t round(std::uint64_t acc, std::uint64_t lane) noexcept {
  acc += lane * p2;
  acc = rotl(acc, 31);
  return acc * p1;
}
constexpr std::uint64_t merge(std::uint64_t acc, std::uint64_t value) noexcept {
  acc ^= round(0, value);
  return acc * p1 + p4;
}

}  // namespace

Xxh64::Xxh64(std::uint64_t seed) noexcept
    : my_seed(seed), my_acc{seed + p1 + p2, seed + p2, seed, seed - p1}, my_buffer{} {}

void Xxh64::update(std::span<const std::byte> bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  my_total += n;
  if (my_buffered > 0) {
    const std::size_t take = std::min(n, 32 - my_buffered);
    std::memcpy(my_buffer + my_buffered, p, take);
    my_buffered += take;
    p += take;
    n -= take;
    if (my_buffered < 32) return;
    for (int i = 0; i < 4; ++i) my_acc[i] = round(my_acc[i], read64(my_buffer + 8 * i));
    my_buffered = 0;
  }
  std::uint64_t a0 = my_acc[0], a1 = my_acc[1], a2 = my_acc[2], a3 = my_acc[3];
  while (n >= 32) {
    a0 = round(a0, read64(p));
    a1 = round(a1, read64(p + 8));
    a2 = round(a2, read64(p + 16));
    a3 = round(a3, read64(p + 24));
    p += 32;
    n -= 32;
  }
  my_acc[0] = a0, my_acc[1] = a1, my_acc[2] = a2, my_acc[3] = a3;
  if (n > 0) {
    std::memcpy(my_buffer, p, n);
    my_buffered = n;
  }
}

std::uint64_t Xxh64::digest() const noexcept {
  std::uint64_t h;
  if (my_total >= 32) {
    h = rotl(my_acc[0], 1) + rotl(my_acc[1], 7) + rotl(my_acc[2], 12) + rotl(my_acc[3], 18);
    for (int i = 0; i < 4; ++i) h = merge(h, my_acc[i]);
  } else {
    h = my_seed + p5;
  }
  h += my_total;
  const unsigned char* p = my_buffer;
  std::size_t n = my_buffered;
  while (n >= 8) {
    h ^= round(0, read64(p));
    h = rotl(h, 27) * p1 + p4;
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    h ^= static_cast<std::uint64_t>(read32(p)) * p1;
    h = rotl(h, 23) * p2 + p3;
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    h ^= static_cast<std::uint64_t>(*p) * p5;
    h = rotl(h, 11) * p1;
    ++p;
    --n;
  }
  h ^= h >> 33;
  h *= p2;
  h ^= h >> 29;
  h *= p3;
  h ^= h >> 32;
  return h;
}

std::uint64_t xxh64(std::span<const std::byte> bytes, std::uint64_t seed) noexcept {
  Xxh64 h(seed);
  h.update(bytes);
  return h.digest();
}

std::string hex64(std::uint64_t value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = digits[value & 0xF];
    value >>= 4;
  }
  return s;
}

}  // namespace escapade::cohort::detail
