#pragma once
// The panels built into the library: the text of share/panels/*.toml, byte for byte
// (tests/bal/panel_test.cpp compares them, so an edit to one without the other fails).
#include <span>
#include <string_view>

namespace escapade::bal::detail {

struct BuiltinPanel {
  std::string_view name;  // file stem: share/panels/<name>.toml
  std::string_view text;
};

// The default ("bal_escape") first.
std::span<const BuiltinPanel> builtin_panels() noexcept;

}  // namespace escapade::bal::detail
