// Feeds arbitrary bytes to the FlowJo matrix CSV reader (STYLE §6): any input must give a
// matrix or an escapade::Error, never a crash, a hang or another exception.
#include <cstddef>
#include <cstdint>
#include <span>

#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)escapade::comp::parse_matrix_csv(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size), "<fuzz>");
  } catch (const escapade::Error&) {
  }
  return 0;
}
