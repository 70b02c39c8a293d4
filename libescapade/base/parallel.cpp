#include "libescapade/base/parallel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <thread>

namespace escapade {

int resolve_threads(int num_threads) noexcept {
  const unsigned hw = std::thread::hardware_concurrency();
  const int hardware = hw == 0 ? 1 : static_cast<int>(hw);
  // More threads than the hardware has never helps, and results never depend on the count.
  return num_threads > 0 ? std::min(num_threads, hardware) : hardware;
}

void parallel_for(std::size_t tasks, int num_threads, const std::function<void(std::size_t)>& fn) {
  const int threads = resolve_threads(num_threads);
  if (threads == 1 || tasks <= 1) {
    for (std::size_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tasks, 1),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        for (std::size_t t = r.begin(); t != r.end(); ++t) fn(t);
                      },
                      tbb::simple_partitioner());
  });
}

}  // namespace escapade
