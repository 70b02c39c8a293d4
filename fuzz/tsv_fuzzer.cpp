// Feeds arbitrary bytes to the tab-separated readers (STYLE §6): cohort manifests and FISH
// tables. Any input must give a value or an escapade::Error, never a crash, a hang or
// another exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libescapade/bal/fish.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/cohort/cohort.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)escapade::cohort::parse_manifest(text, "<fuzz manifest>", "/", {.check_files = false});
  } catch (const escapade::Error&) {
  }
  try {
    (void)escapade::bal::parse_fish(text, "<fuzz fish>");
  } catch (const escapade::Error&) {
  }
  return 0;
}
