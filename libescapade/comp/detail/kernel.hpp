#pragma once
// Compensation kernels: out[k][i] = Σ_d in[d][i] · w[k][d] over a validated range.
// Stage 2 of STYLE §5: no checks, no allocation, no exceptions.
#include <cstddef>

namespace escapade::comp::detail {

// Chunks are whole multiples of this many events: a vector tile is four registers, 32
// events with AVX-512, 16 with AVX2, 8 with SSE2.
inline constexpr std::size_t tile_events = 32;
// Events per parallel task: fixed, so the work split never depends on the thread count.
// About 0.3 ms of work for 13 detectors: task overhead is negligible and 5M events give
// 300 tasks to balance.
inline constexpr std::size_t block_events = 16384;

// Events per chunk that the vectorized kernel copies into its scratch before the multiply:
// about 16 KB of inputs, so the chunk stays in L1 while every output re-reads it. Reading
// the m columns in place instead thrashes L1 and L2: the columns are separate page-aligned
// allocations, so the same event of every column falls into the same cache set.
constexpr std::size_t chunk_events(std::size_t inputs) noexcept {
  const std::size_t fit = inputs == 0 ? 0 : (2048 / inputs) / tile_events * tile_events;
  return fit < tile_events ? tile_events : fit;
}
// Doubles of scratch run_vectorized needs for `inputs` columns.
constexpr std::size_t scratch_size(std::size_t inputs) noexcept { return chunk_events(inputs) * inputs; }

struct KernelTask {
  const double* const* inputs = nullptr;   // input_count columns, each at the range's first event
  std::size_t input_count = 0;
  const double* const* weights = nullptr;  // output_count rows of input_count weights
  double* const* outputs = nullptr;        // output_count columns, each at the range's first event
  std::size_t output_count = 0;
  std::size_t events = 0;
  double* scratch = nullptr;               // scratch_size(input_count) doubles, one thread's own
};

// Instruction sets with a build of the vectorized kernel.
enum class Isa { baseline, avx2, avx512 };
// Whether this CPU can run the build for `isa` (baseline: always).
bool isa_supported(Isa isa) noexcept;
// The vectorized kernel built for `isa`, which the CPU must support (tests run each one).
void run_vectorized_isa(Isa isa, const KernelTask& task) noexcept;

// Every kernel computes acc = in[0]·w[0], then acc = acc + in[d]·w[d] for d = 1…m−1, each
// product and sum rounded (no FMA contraction), so they all agree bit for bit.
// run_vectorized: the vectorized kernel for the best instruction set this CPU supports.
// run_reference: a plain per-event scalar loop (ignores scratch).
void run_vectorized(const KernelTask& task) noexcept;
void run_reference(const KernelTask& task) noexcept;

}  // namespace escapade::comp::detail
