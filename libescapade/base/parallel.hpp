#pragma once
/// @file
/// The one parallel seam (STYLE §5). Every parallel loop in the library goes
/// through `parallel_for`, with oneTBB behind it, so that tests can run it
/// serially and results never depend on the thread count: work is cut into
/// fixed tasks by the caller, and per-task partial results are combined in
/// task order.

#include <cstddef>
#include <functional>

namespace escapade {

/// The number of worker threads `num_threads` asks for: itself when positive, clamped to
/// the hardware threads (more never helps; a huge count would exhaust memory in the thread
/// pool), otherwise every hardware thread. Never less than 1.
[[nodiscard]] int resolve_threads(int num_threads) noexcept;

/// Runs `fn(task)` once for every task in [0, tasks), on up to `num_threads`
/// threads (0 = all cores, 1 = serially on the calling thread, in task order).
/// The first exception a task throws is rethrown here once all started tasks end.
/// @param fn must be safe to call concurrently for different tasks.
void parallel_for(std::size_t tasks, int num_threads, const std::function<void(std::size_t task)>& fn);

/// Number of fixed-size blocks of `block` items that cover `items` (the last may be short).
[[nodiscard]] constexpr std::size_t block_count(std::size_t items, std::size_t block) noexcept {
  return block == 0 ? 0 : (items + block - 1) / block;
}

}  // namespace escapade
