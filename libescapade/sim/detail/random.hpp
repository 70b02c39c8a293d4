#pragma once
// Portable random numbers for the simulator. Every value depends only on the seed and
// on IEEE-754 +, −, ×, ÷ and sqrt (correctly rounded everywhere), never on <random>'s
// distributions (implementation-defined) or on libm's exp/log (not correctly rounded,
// so they differ between C libraries in the last bit). exp and log are our own
// fixed-polynomial versions. Streams are split by key (seed, sample, block), so a block
// of events draws the same numbers whichever thread runs it.
//
// Caveat: a compiler allowed to contract a*b+c into one FMA may change the last bits.
// We build with -std=c++20 (ISO mode: GCC does not contract) for the x86-64 baseline (no
// FMA to contract into); a build with -ffp-contract=fast on an FMA target would differ.
#include <cmath>
#include <cstdint>

namespace escapade::sim::detail {

/// SplitMix64 finaliser: a bijective 64-bit mixer (Steele, Lea, Flood 2014).
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A stream key from (seed, a, b, c): different tuples give unrelated streams.
constexpr std::uint64_t stream_key(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                                   std::uint64_t c = 0) noexcept {
  std::uint64_t h = mix64(seed ^ 0x5deece66dULL);
  h = mix64(h ^ a);
  h = mix64((h + 0x632be59bd9b4e019ULL) ^ b);
  h = mix64((h + 0x8cb92ba72f3d8dd7ULL) ^ c);
  return h;
}

constexpr double ln2_hi = 6.93147180369123816490e-01;
constexpr double ln2_lo = 1.90821492927058770002e-10;
constexpr double ln2 = 0.6931471805599453094172;

/// Natural logarithm for x > 0 (relative error < 1e-15), from frexp and an odd series in
/// f = (m−1)/(m+1), |f| ≤ 0.172. Returns −inf at 0.
inline double log(double x) noexcept {
  if (!(x > 0)) return x == 0 ? -HUGE_VAL : NAN;
  if (x == HUGE_VAL) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // x = m·2^e, m ∈ [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;
    e -= 1;
  }
  const double f = (m - 1) / (m + 1);
  const double s = f * f;
  const double series =
      1 + s * (1.0 / 3 + s * (1.0 / 5 + s * (1.0 / 7 + s * (1.0 / 9 + s * (1.0 / 11 + s * (1.0 / 13 + s * (1.0 / 15 + s * (1.0 / 17))))))));
  const double de = static_cast<double>(e);
  return de * ln2_hi + (2 * f * series + de * ln2_lo);
}

/// e^x (relative error < 1e-15): x = n·ln2 + r, |r| ≤ ln2/2, Taylor to degree 13.
inline double exp(double x) noexcept {
  if (x != x) return x;
  if (x > 709.0) return HUGE_VAL;
  if (x < -745.0) return 0.0;
  const double n = std::floor(x * 1.4426950408889634074 + 0.5);
  const double r = (x - n * ln2_hi) - n * ln2_lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return std::ldexp(p, static_cast<int>(n));
}

/// xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64 from one 64-bit key.
/// One object per stream; not thread-safe (each block owns its own).
class Rng {
 public:
  explicit Rng(std::uint64_t key) noexcept {
    std::uint64_t z = key;
    for (auto& s : my_state) {
      z += 0x9e3779b97f4a7c15ULL;
      s = mix64(z);
    }
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(my_state[1] * 5, 7) * 9;
    const std::uint64_t t = my_state[1] << 17;
    my_state[2] ^= my_state[0];
    my_state[3] ^= my_state[1];
    my_state[1] ^= my_state[2];
    my_state[0] ^= my_state[3];
    my_state[2] ^= t;
    my_state[3] = rotl(my_state[3], 45);
    return result;
  }

  /// Uniform on [0, 1), 53 bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform on (0, 1): never 0, so log() is finite.
  double uniform_open() noexcept { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Uniform on [a, b).
  double uniform(double a, double b) noexcept { return a + (b - a) * uniform(); }
  /// Uniform integer in [0, n) (n ≥ 1), unbiased (rejects the short last cycle).
  std::uint64_t below(std::uint64_t n) noexcept {
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % n;
    }
  }
  bool bernoulli(double p) noexcept { return uniform() < p; }

  /// Standard normal by Marsaglia's polar method (the spare is kept).
  double normal() noexcept {
    if (my_has_spare) {
      my_has_spare = false;
      return my_spare;
    }
    double u = 0, v = 0, s = 0;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double k = std::sqrt(-2 * detail::log(s) / s);
    my_spare = v * k;
    my_has_spare = true;
    return u * k;
  }
  double normal(double mean, double sd) noexcept { return mean + sd * normal(); }
  /// exp(N(mu, sigma)).
  double lognormal(double mu, double sigma) noexcept { return detail::exp(mu + sigma * normal()); }
  /// Exponential with the given rate (> 0).
  double exponential(double rate) noexcept { return -detail::log(uniform_open()) / rate; }

  /// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 through the u^(1/shape) boost.
  double gamma(double shape) noexcept {
    if (shape < 1) {
      const double g = gamma(shape + 1);
      return g * detail::exp(detail::log(uniform_open()) / shape);
    }
    const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
    for (;;) {
      double x = 0, v = 0;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = uniform_open();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (detail::log(u) < 0.5 * x * x + d * (1 - v + detail::log(v))) return d * v;
    }
  }
  /// Beta(a, b) as a ratio of gammas.
  double beta(double a, double b) noexcept {
    const double x = gamma(a), y = gamma(b);
    return x / (x + y);
  }
  /// Poisson(mean): Knuth's product method in pieces of mean ≤ 16 (O(mean) work; the
  /// simulator only draws small means).
  std::uint64_t poisson(double mean) noexcept {
    std::uint64_t k = 0;
    while (mean > 0) {
      const double piece = mean > 16 ? 16 : mean;
      mean -= piece;
      const double limit = detail::exp(-piece);
      double p = uniform_open();
      while (p > limit) {
        ++k;
        p *= uniform_open();
      }
    }
    return k;
  }
  /// Binomial(n, p) as n Bernoulli trials (n is a count of FISH nuclei: hundreds).
  std::uint64_t binomial(std::uint64_t n, double p) noexcept {
    std::uint64_t k = 0;
    for (std::uint64_t i = 0; i < n; ++i) k += uniform() < p ? 1 : 0;
    return k;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t my_state[4]{};
  double my_spare = 0;
  bool my_has_spare = false;
};

}  // namespace escapade::sim::detail
