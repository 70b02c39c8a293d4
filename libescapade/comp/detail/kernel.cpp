// The compensation hot path (STYLE §5): a small dense n×m multiply per tile of events,
// column-major in and out.

// Contracting a·b + c into one fused multiply-add would make the vector body, its scalar
// tail, the reference kernel and CPUs with and without FMA disagree in the last bit; the
// tests compare them exactly, and results must not depend on how a range is cut.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "libescapade/comp/detail/kernel.hpp"

#include <cstring>

namespace escapade::comp::detail {

namespace {

// One output value of one event, in the shared accumulation order.
inline double dot_event(const KernelTask& task, const double* w, std::size_t i) noexcept {
  double acc = task.inputs[0][i] * w[0];
  for (std::size_t d = 1; d < task.input_count; ++d) acc = acc + task.inputs[d][i] * w[d];
  return acc;
}

// Four consecutive vectors from p (by reference: vector arguments by value would change
// the calling convention between ISA builds).
template <typename Vec_>
[[gnu::always_inline]] inline void load4(const double* p, Vec_& x0, Vec_& x1, Vec_& x2, Vec_& x3) noexcept {
  constexpr std::size_t w = sizeof(Vec_) / sizeof(double);
  std::memcpy(&x0, p, sizeof x0);
  std::memcpy(&x1, p + w, sizeof x1);
  std::memcpy(&x2, p + 2 * w, sizeof x2);
  std::memcpy(&x3, p + 3 * w, sizeof x3);
}

// Generic vectors of exactly one register (SSE2, AVX2, AVX-512), which compile to plain register
// code; wider generic vectors are lowered through the stack. They are declared here, not in
// the template: GCC drops vector_size on a dependent alias inside a template.
using Vec2 = double __attribute__((vector_size(2 * sizeof(double))));
using Vec4 = double __attribute__((vector_size(4 * sizeof(double))));
using Vec8 = double __attribute__((vector_size(8 * sizeof(double))));

// Four consecutive vectors to p.
template <typename Vec_>
[[gnu::always_inline]] inline void store4(double* p, std::size_t w, const Vec_& x0, const Vec_& x1, const Vec_& x2,
                                          const Vec_& x3) noexcept {
  std::memcpy(p, &x0, sizeof x0);
  std::memcpy(p + w, &x1, sizeof x1);
  std::memcpy(p + 2 * w, &x2, sizeof x2);
  std::memcpy(p + 3 * w, &x3, sizeof x3);
}

// Two outputs of one tile of 4·W events: eight independent accumulator chains share each
// load, so the adds are not waiting on one another's latency. Spelled out (no arrays), so
// every accumulator stays in a register.
template <typename Vec_>
[[gnu::always_inline]] inline void tile_two_outputs(const double* packed, std::size_t chunk, std::size_t m,
                                                    const double* w0, const double* w1, double* out0,
                                                    double* out1) noexcept {
  constexpr std::size_t W = sizeof(Vec_) / sizeof(double);
  Vec_ x0, x1, x2, x3;
  load4(packed, x0, x1, x2, x3);
  Vec_ a0 = x0 * w0[0], a1 = x1 * w0[0], a2 = x2 * w0[0], a3 = x3 * w0[0];
  Vec_ b0 = x0 * w1[0], b1 = x1 * w1[0], b2 = x2 * w1[0], b3 = x3 * w1[0];
  for (std::size_t d = 1; d < m; ++d) {
    load4(packed + d * chunk, x0, x1, x2, x3);
    const double u = w0[d];
    const double v = w1[d];
    a0 = a0 + x0 * u;
    a1 = a1 + x1 * u;
    a2 = a2 + x2 * u;
    a3 = a3 + x3 * u;
    b0 = b0 + x0 * v;
    b1 = b1 + x1 * v;
    b2 = b2 + x2 * v;
    b3 = b3 + x3 * v;
  }
  store4(out0, W, a0, a1, a2, a3);
  store4(out1, W, b0, b1, b2, b3);
}

// One output of one tile (the odd one out when the output count is odd).
template <typename Vec_>
[[gnu::always_inline]] inline void tile_one_output(const double* packed, std::size_t chunk, std::size_t m,
                                                   const double* w, double* out) noexcept {
  constexpr std::size_t W = sizeof(Vec_) / sizeof(double);
  Vec_ x0, x1, x2, x3;
  load4(packed, x0, x1, x2, x3);
  Vec_ a0 = x0 * w[0], a1 = x1 * w[0], a2 = x2 * w[0], a3 = x3 * w[0];
  for (std::size_t d = 1; d < m; ++d) {
    load4(packed + d * chunk, x0, x1, x2, x3);
    a0 = a0 + x0 * w[d];
    a1 = a1 + x1 * w[d];
    a2 = a2 + x2 * w[d];
    a3 = a3 + x3 * w[d];
  }
  store4(out, W, a0, a1, a2, a3);
}

// One output straight from the input columns: packing m columns into scratch pays for
// itself only when several outputs reuse them; for one output (a gate on one compensated
// marker) the copy was most of the work. Same arithmetic in the same order as the packed path.
template <typename Vec_>
[[gnu::always_inline]] inline void run_one_output(const KernelTask& task) noexcept {
  constexpr std::size_t W = sizeof(Vec_) / sizeof(double);
  constexpr std::size_t tile = 4 * W;
  const std::size_t m = task.input_count;
  const double* w = task.weights[0];
  double* out = task.outputs[0];
  std::size_t i = 0;
  for (; i + tile <= task.events; i += tile) {
    Vec_ x0, x1, x2, x3;
    load4(task.inputs[0] + i, x0, x1, x2, x3);
    Vec_ a0 = x0 * w[0], a1 = x1 * w[0], a2 = x2 * w[0], a3 = x3 * w[0];
    for (std::size_t d = 1; d < m; ++d) {
      load4(task.inputs[d] + i, x0, x1, x2, x3);
      a0 = a0 + x0 * w[d];
      a1 = a1 + x1 * w[d];
      a2 = a2 + x2 * w[d];
      a3 = a3 + x3 * w[d];
    }
    store4(out + i, W, a0, a1, a2, a3);
  }
  for (; i < task.events; ++i) out[i] = dot_event(task, w, i);
}

// The tiled kernel for native vectors of W doubles: tiles of 4·W events, two outputs at a time.
template <typename Vec_>
[[gnu::always_inline]] inline void run_tiles(const KernelTask& task) noexcept {
  constexpr std::size_t tile = 4 * sizeof(Vec_) / sizeof(double);
  static_assert(tile >= 8 && tile_events % tile == 0, "chunks must hold whole tiles");
  const std::size_t m = task.input_count;
  const std::size_t n = task.output_count;
  if (n == 1) {
    run_one_output<Vec_>(task);
    return;
  }
  const std::size_t chunk = chunk_events(m);
  double* const packed = task.scratch;  // m rows of `chunk` events
  for (std::size_t first = 0; first < task.events; first += chunk) {
    const std::size_t len = task.events - first < chunk ? task.events - first : chunk;
    for (std::size_t d = 0; d < m; ++d) std::memcpy(packed + d * chunk, task.inputs[d] + first, len * sizeof(double));
    std::size_t i = 0;
    for (; i + tile <= len; i += tile) {
      std::size_t k = 0;
      for (; k + 2 <= n; k += 2) {
        tile_two_outputs<Vec_>(packed + i, chunk, m, task.weights[k], task.weights[k + 1],
                               task.outputs[k] + first + i, task.outputs[k + 1] + first + i);
      }
      if (k < n) {
        tile_one_output<Vec_>(packed + i, chunk, m, task.weights[k], task.outputs[k] + first + i);
      }
    }
    for (; i < len; ++i) {
      for (std::size_t k = 0; k < n; ++k) {
        const double* w = task.weights[k];
        double acc = packed[i] * w[0];
        for (std::size_t d = 1; d < m; ++d) acc = acc + packed[d * chunk + i] * w[d];
        task.outputs[k][first + i] = acc;
      }
    }
  }
}

// Runtime kernel choice (STYLE §5): the library targets the baseline ISA (SSE2 on x86-64);
// AVX2 and AVX-512 builds of the same template are picked per call from the CPU's feature
// bits. All three do the same roundings in the same order, so they agree bit for bit.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ESCAPADE_COMP_X86_DISPATCH 1
[[gnu::target("avx2")]] void run_avx2(const KernelTask& task) noexcept { run_tiles<Vec4>(task); }
[[gnu::target("avx512f")]] void run_avx512(const KernelTask& task) noexcept { run_tiles<Vec8>(task); }
#endif

}  // namespace

bool isa_supported(Isa isa) noexcept {
  switch (isa) {
    case Isa::baseline: return true;
#if defined(ESCAPADE_COMP_X86_DISPATCH)
    case Isa::avx2: return __builtin_cpu_supports("avx2");
    case Isa::avx512: return __builtin_cpu_supports("avx512f");
#else
    case Isa::avx2:
    case Isa::avx512: return false;
#endif
  }
  return false;
}

void run_vectorized_isa(Isa isa, const KernelTask& task) noexcept {
#if defined(ESCAPADE_COMP_X86_DISPATCH)
  if (isa == Isa::avx512) {
    run_avx512(task);
    return;
  }
  if (isa == Isa::avx2) {
    run_avx2(task);
    return;
  }
#endif
  run_tiles<Vec2>(task);
}

void run_vectorized(const KernelTask& task) noexcept {
  if (isa_supported(Isa::avx512)) {
    run_vectorized_isa(Isa::avx512, task);
  } else if (isa_supported(Isa::avx2)) {
    run_vectorized_isa(Isa::avx2, task);
  } else {
    run_vectorized_isa(Isa::baseline, task);
  }
}

void run_reference(const KernelTask& task) noexcept {
  for (std::size_t i = 0; i < task.events; ++i) {
    for (std::size_t k = 0; k < task.output_count; ++k) task.outputs[k][i] = dot_event(task, task.weights[k], i);
  }
}

}  // namespace escapade::comp::detail
