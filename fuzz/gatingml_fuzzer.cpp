// Feeds arbitrary bytes to the Gating-ML 2.0 reader (STYLE §6): any input must give a plan
// or an escapade::Error, never a crash, a hang or an unbounded allocation. A plan that was
// read is written, read and written again: the two texts must be equal (gatingml.hpp).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "libescapade/base/error.hpp"
#include "libescapade/gate/gatingml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const auto plan = escapade::gate::parse_gatingml(bytes, "<fuzz>");
    const std::string text = escapade::gate::write_gatingml(plan);
    const auto again = escapade::gate::parse_gatingml(text, "<fuzz round trip>");
    if (escapade::gate::write_gatingml(again) != text) __builtin_trap();
  } catch (const escapade::Error&) {
  }
  return 0;
}
