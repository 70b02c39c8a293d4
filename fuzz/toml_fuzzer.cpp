// Feeds arbitrary bytes to the TOML readers a lab writes by hand (STYLE §6): panels,
// gating templates and review files. Any input must give a value or an escapade::Error,
// never a crash, a hang or another exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libescapade/bal/panel.hpp"
#include "libescapade/bal/template.hpp"
#include "libescapade/base/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)escapade::bal::parse_panel(text, "<fuzz panel>");
  } catch (const escapade::Error&) {
  }
  try {
    (void)escapade::bal::parse_template(text, "<fuzz template>");
  } catch (const escapade::Error&) {
  }
  try {
    (void)escapade::bal::parse_review(text, "<fuzz review>");
  } catch (const escapade::Error&) {
  }
  return 0;
}
