#pragma once
// Reading lab-editable TOML files (panels, gating templates, review overrides) with errors
// that name the line and column, and refusing unknown keys so that a typo cannot silently
// change an analysis. Private to bal/.
#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <toml++/toml.h>

#include "libescapade/base/error.hpp"

namespace escapade::bal::detail {

class TomlReader {
 public:
  explicit TomlReader(std::string_view source) : my_source(source) {}

  [[noreturn]] void fail(const toml::source_region& at, const std::string& reason,
                         ErrorKind kind = ErrorKind::format) const {
    std::string where;
    if (at.begin.line > 0) where = fmt::format("line {}, column {}", at.begin.line, at.begin.column);
    throw InputError(kind, my_source, where, reason);
  }

  // Rejects any key of `table` not in `allowed`, naming the accepted ones.
  void check_keys(const toml::table& table, std::string_view what, std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, node] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string accepted;
      for (auto a : allowed) accepted += (accepted.empty() ? "" : ", ") + std::string(a);
      fail(key.source(), fmt::format("unknown key \"{}\" in {} (accepted: {})", key.str(), what, accepted));
    }
  }

  std::string string_value(const toml::node& node, std::string_view what) const {
    const auto* s = node.as_string();
    if (s == nullptr) fail(node.source(), fmt::format("{} must be a string, not {}", what, type_name(node)));
    const std::string& v = s->get();
    if (v.find_first_not_of(" \t") == std::string::npos) fail(node.source(), fmt::format("{} is empty", what));
    return v;
  }

  bool bool_value(const toml::node& node, std::string_view what) const {
    const auto* b = node.as_boolean();
    if (b == nullptr) fail(node.source(), fmt::format("{} must be true or false, not {}", what, type_name(node)));
    return b->get();
  }

  static std::string type_name(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::table: return "a table";
      case toml::node_type::array: return "an array";
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a number";
      case toml::node_type::boolean: return "a boolean";
      default: return "a date or time";
    }
  }


  double number_value(const toml::node& node, std::string_view what) const {
    if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
    const auto* f = node.as_floating_point();
    if (f == nullptr) fail(node.source(), fmt::format("{} must be a number, not {}", what, type_name(node)));
    return f->get();
  }

  // Parses `text`, turning a syntax error into an InputError at its line.
  toml::table parse(std::string_view text) const {
    try {
      return toml::parse(text, my_source);
    } catch (const toml::parse_error& e) {
      fail(e.source(), std::string(e.description()));
    }
  }

 protected:
  std::string my_source;
};

}  // namespace escapade::bal::detail
