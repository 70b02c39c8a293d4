// Feeds arbitrary bytes to the FCS reader and writer: any input must give a result
// or an escapade::Error, never a crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <span>

#include "libescapade/fcs/fcs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  escapade::fcs::ReadOptions options;
  options.num_threads = 1;
  options.allow_truncated = (size % 2) == 0;
  try {
    auto file = escapade::fcs::read_fcs(bytes, "<fuzz>", options);
    for (const auto& ds : file.data_sets) {
      if (ds.events.event_count() <= 4096 && ds.events.channel_count() > 0) {
        auto again = escapade::fcs::write_fcs(ds);
        (void)escapade::fcs::read_fcs(again, "<fuzz round trip>", options);
      }
    }
  } catch (const escapade::Error&) {
  }
  return 0;
}
