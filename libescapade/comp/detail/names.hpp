#pragma once
// Small helpers for error messages.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace escapade::comp::detail {

// "A, B, C" (at most `limit` names, then "… (N in all)").
inline std::string join_names(std::span<const std::string> names, std::size_t limit = 64) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    if (i != 0) out += ", ";
    out += names[i];
  }
  if (names.size() > limit) out += ", … (" + std::to_string(names.size()) + " in all)";
  return out;
}

// The error source for a matrix: its id, or "<matrix>" when it has none.
inline std::string matrix_source(std::string_view id) { return id.empty() ? std::string("<matrix>") : std::string(id); }

}  // namespace escapade::comp::detail
