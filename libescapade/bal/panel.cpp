// Panels: TOML parsing and validation, the token matching rule, and resolution of a panel's
// entries to the channels of one data set (rules and format in panel.hpp).
#include "libescapade/bal/panel.hpp"
#include "libescapade/bal/detail/toml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <toml++/toml.h>
#include <utility>

#include "libescapade/bal/detail/builtin_panels.hpp"
#include "libescapade/base/file_io.hpp"

namespace escapade::bal {

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool is_token_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || u >= 0x80;
}

// Maximal runs of token characters, lower-cased.
std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_token_char(text[i])) ++i;
    std::size_t j = i;
    while (j < text.size() && is_token_char(text[j])) ++j;
    if (j > i) {
      std::string t(text.substr(i, j - i));
      for (char& c : t) c = lower(c);
      out.push_back(std::move(t));
    }
    i = j;
  }
  return out;
}

// The part of a $PnS that names the marker: after the last "::" (FlowJo's "PE-Cy7-A :: CD19").
std::string_view marker_part(std::string_view stain) noexcept {
  const std::size_t at = stain.rfind("::");
  return at == std::string_view::npos ? stain : stain.substr(at + 2);
}

bool contains_run(const std::vector<std::string>& haystack, const std::vector<std::string>& needle) {
  if (needle.empty() || needle.size() > haystack.size()) return false;
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

std::string join_quoted(const std::vector<std::string>& items, std::string_view last_sep) {
  std::string out;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k > 0) out += (k + 1 == items.size()) ? last_sep : std::string_view(", ");
    out += '"' + items[k] + '"';
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k > 0) out += sep;
    out += items[k];
  }
  return out;
}

// ---- TOML reading -------------------------------------------------------------------------

class PanelReader : public detail::TomlReader {
 public:
  using TomlReader::TomlReader;

  PanelEntry entry(const toml::key& key, const toml::node& node, MatchBy by) const {
    const std::string section = by == MatchBy::stain ? "markers" : "scatter";
    const std::string what = fmt::format("[{}.{}]", section, key.str());
    const auto* table = node.as_table();
    if (table == nullptr) fail(node.source(), fmt::format("{} must be a table, not {}", what, type_name(node)));
    if (by == MatchBy::stain) {
      check_keys(*table, what, {"aliases", "channel", "required"});
    } else {
      check_keys(*table, what, {"aliases", "channel", "required", "time"});
    }
    PanelEntry e;
    e.name = key.str();
    if (e.name.find_first_not_of(" \t") == std::string::npos) fail(key.source(), "an entry name is empty");
    e.match_by = by;
    e.line = key.source().begin.line;
    if (const auto* aliases = table->get("aliases")) {
      const auto* array = aliases->as_array();
      if (array == nullptr) fail(aliases->source(), fmt::format("{} aliases must be an array of strings", what));
      if (array->empty()) fail(aliases->source(), fmt::format("{} aliases is empty", what));
      for (const auto& item : *array) {
        std::string alias = string_value(item, what + " alias");
        if (tokens(alias).empty()) {
          fail(item.source(), fmt::format("{} alias \"{}\" has no letters or digits, so it can match nothing", what, alias));
        }
        e.aliases.push_back(std::move(alias));
      }
    } else {
      e.aliases.push_back(e.name);
      if (tokens(e.name).empty()) {
        fail(key.source(), fmt::format("{} has no aliases and its name has no letters or digits", what));
      }
    }
    if (const auto* channel = table->get("channel")) e.channel = string_value(*channel, what + " channel");
    if (const auto* required = table->get("required")) e.required = bool_value(*required, what + " required");
    if (const auto* time = table->get("time")) e.time = bool_value(*time, what + " time");
    return e;
  }

  std::vector<PanelEntry> section(const toml::table& root, std::string_view name, MatchBy by) const {
    std::vector<PanelEntry> out;
    const auto* node = root.get(name);
    if (node == nullptr) return out;
    const auto* table = node->as_table();
    if (table == nullptr) fail(node->source(), fmt::format("[{}] must be a table, not {}", name, type_name(*node)));
    for (auto&& [key, value] : *table) out.push_back(entry(key, value, by));
    // toml++ keeps keys sorted; report and resolve in the order the lab wrote them.
    std::stable_sort(out.begin(), out.end(), [](const PanelEntry& a, const PanelEntry& b) { return a.line < b.line; });
    return out;
  }

  Panel read(std::string_view text) const {
    const toml::table root = parse(text);
    check_keys(root, "the panel", {"panel", "markers", "scatter"});
    Panel panel;
    panel.source = my_source;
    const auto* header = root.get("panel");
    if (header == nullptr) fail({}, "no [panel] table (it needs at least name = \"…\")");
    const auto* header_table = header->as_table();
    if (header_table == nullptr) fail(header->source(), "[panel] must be a table");
    check_keys(*header_table, "[panel]", {"name", "description", "prefer_area"});
    const auto* name = header_table->get("name");
    if (name == nullptr) fail(header->source(), "[panel] has no name");
    panel.name = string_value(*name, "[panel] name");
    if (const auto* d = header_table->get("description")) panel.description = string_value(*d, "[panel] description");
    if (const auto* p = header_table->get("prefer_area")) panel.prefer_area = bool_value(*p, "[panel] prefer_area");

    panel.entries = section(root, "markers", MatchBy::stain);
    if (panel.entries.empty()) {
      throw InputError(ErrorKind::structure, my_source, "", "the panel has no [markers.NAME] tables");
    }
    auto scatter = section(root, "scatter", MatchBy::name);
    panel.entries.insert(panel.entries.end(), scatter.begin(), scatter.end());
    check_unique(panel);
    return panel;
  }

  // Entry names must be unique ignoring case (lookup ignores it), and no alias may belong to
  // two entries of the same kind (both would claim the same channel).
  void check_unique(const Panel& panel) const {
    for (std::size_t i = 0; i < panel.entries.size(); ++i) {
      const PanelEntry& a = panel.entries[i];
      for (std::size_t j = 0; j < i; ++j) {
        const PanelEntry& b = panel.entries[j];
        if (equal_ignoring_case(a.name, b.name)) {
          throw InputError(ErrorKind::structure, my_source, fmt::format("line {}", a.line),
                           fmt::format("entry \"{}\" repeats \"{}\" of line {}", a.name, b.name, b.line));
        }
        if (a.match_by != b.match_by) continue;
        for (const auto& x : a.aliases) {
          for (const auto& y : b.aliases) {
            if (tokens(x) == tokens(y)) {
              throw InputError(ErrorKind::structure, my_source, fmt::format("line {}", a.line),
                               fmt::format("alias \"{}\" of {} is the same as alias \"{}\" of {} (line {}); "
                                           "both would claim the same channel",
                                           x, a.name, y, b.name, b.line));
            }
          }
        }
      }
    }
  }

};

// ---- resolution ---------------------------------------------------------------------------

struct Candidate {
  std::size_t parameter;
  std::string alias;
};

bool is_area(std::string_view pnn) {
  const auto t = tokens(pnn);
  return t.size() >= 2 && t.back() == "a";
}

std::string describe(const fcs::Parameter& p) {
  return p.stain.empty() || p.stain == p.name ? p.name : fmt::format("{} \"{}\"", p.name, p.stain);
}

}  // namespace

bool stain_matches(std::string_view pattern, std::string_view stain) {
  return contains_run(tokens(marker_part(stain)), tokens(pattern));
}

bool name_matches(std::string_view pattern, std::string_view name) {
  const auto p = tokens(pattern);
  return !p.empty() && p == tokens(name);
}

const PanelEntry* Panel::find(std::string_view name_) const noexcept {
  for (const auto& e : entries) {
    if (equal_ignoring_case(e.name, name_)) return &e;
  }
  return nullptr;
}

std::string Panel::summary() const {
  std::size_t markers = 0, markers_required = 0, scatter = 0, scatter_required = 0;
  for (const auto& e : entries) {
    if (e.match_by == MatchBy::stain) {
      ++markers;
      markers_required += e.required ? 1 : 0;
    } else {
      ++scatter;
      scatter_required += e.required ? 1 : 0;
    }
  }
  return fmt::format("Panel({}: {} markers ({} required), {} scatter ({} required))", name, markers, markers_required,
                     scatter, scatter_required);
}

Panel parse_panel(std::string_view toml, std::string_view source) { return PanelReader(source).read(toml); }

Panel read_panel_file(const std::filesystem::path& path) {
  const std::string text = read_file<InputError>(path);
  return parse_panel(text, path.string());
}

std::vector<std::string_view> builtin_panel_names() {
  std::vector<std::string_view> names;
  for (const auto& p : detail::builtin_panels()) names.push_back(p.name);
  return names;
}

std::string_view builtin_panel_text(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& p : detail::builtin_panels()) {
    if (p.name == name) return p.text;
    names.emplace_back(p.name);
  }
  throw InputError(ErrorKind::reference, "", "panel " + std::string(name),
                   "no built-in panel of that name (built in: " + join(names, ", ") + ")");
}

Panel builtin_panel(std::string_view name) {
  return parse_panel(builtin_panel_text(name), "<builtin:" + std::string(name) + ">");
}

Panel load_panel(std::string_view spec) {
  const std::filesystem::path path{std::string(spec)};
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return read_panel_file(path);
  std::string names;
  for (const auto& p : detail::builtin_panels()) {
    if (p.name == spec) return builtin_panel(spec);
    names += (names.empty() ? "" : ", ") + std::string(p.name);
  }
  throw InputError(ErrorKind::reference, std::string(spec), "panel",
                   fmt::format("no panel file there and no built-in panel of that name (built-in: {})", names));
}

const ChannelMatch* MarkerMap::find(std::string_view name) const noexcept {
  for (const auto& m : matches) {
    if (equal_ignoring_case(m.entry, name)) return &m;
  }
  return nullptr;
}

const std::string& MarkerMap::channel(std::string_view name) const {
  if (const auto* m = find(name)) return m->channel;
  const bool is_absent = std::any_of(absent.begin(), absent.end(), [&](const std::string& a) { return equal_ignoring_case(a, name); });
  throw InputError(ErrorKind::reference, "", "marker " + std::string(name),
                   is_absent ? "optional marker not found in this file" : "not an entry of the panel");
}

std::string MarkerMap::summary() const {
  if (absent.empty()) return fmt::format("MarkerMap({} found)", matches.size());
  return fmt::format("MarkerMap({} found, absent: {})", matches.size(), join(absent, ", "));
}

MarkerMap resolve_markers(const Panel& panel, const fcs::DataSet& data_set, std::string_view source) {
  const auto& params = data_set.parameters;
  MarkerMap map;
  std::vector<std::string> problems;
  std::vector<std::string> problem_entries;

  for (const PanelEntry& e : panel.entries) {
    const std::string kind = e.match_by == MatchBy::stain ? "marker" : "scatter channel";
    const std::string req = e.required ? "required " : "";
    std::vector<Candidate> candidates;
    MatchVia via = e.match_by == MatchBy::stain ? MatchVia::stain : MatchVia::name;
    std::string not_found;

    if (e.channel) {
      via = MatchVia::forced;
      std::optional<std::size_t> at = data_set.find_parameter(*e.channel);
      if (!at) {
        for (std::size_t k = 0; k < params.size(); ++k) {
          if (equal_ignoring_case(params[k].name, *e.channel)) {
            at = k;
            break;
          }
        }
      }
      if (at) candidates.push_back({*at, ""});
      not_found = fmt::format("its forced channel \"{}\" is not in the file", *e.channel);
    } else {
      for (std::size_t k = 0; k < params.size(); ++k) {
        for (const auto& alias : e.aliases) {
          const bool hit = e.match_by == MatchBy::stain ? stain_matches(alias, params[k].stain)
                                                        : name_matches(alias, params[k].name);
          if (hit) {
            candidates.push_back({k, alias});
            break;
          }
        }
      }
      not_found = fmt::format("no {} matches {}", e.match_by == MatchBy::stain ? "$PnS" : "$PnN",
                              join_quoted(e.aliases, " or "));
      if (candidates.empty() && e.time) {
        if (const fcs::Parameter* t = data_set.time_parameter()) {
          via = MatchVia::time_parameter;
          candidates.push_back({static_cast<std::size_t>(t - params.data()), ""});
        }
      }
    }

    std::vector<std::string> passed_over;
    if (candidates.size() > 1 && panel.prefer_area) {
      std::vector<Candidate> area;
      for (const auto& c : candidates) {
        if (is_area(params[c.parameter].name)) area.push_back(c);
      }
      if (area.size() == 1) {
        for (const auto& c : candidates) {
          if (c.parameter != area.front().parameter) passed_over.push_back(params[c.parameter].name);
        }
        candidates = area;
      }
    }

    if (candidates.size() > 1) {
      std::vector<std::string> list;
      for (const auto& c : candidates) list.push_back(fmt::format("{} (by \"{}\")", describe(params[c.parameter]), c.alias));
      problems.push_back(fmt::format("{} {} is ambiguous: {} channels match: {}", kind, e.name, candidates.size(),
                                     join(list, ", ")));
      problem_entries.push_back(e.name);
      continue;
    }
    if (candidates.empty()) {
      if (e.required) {
        problems.push_back(fmt::format("{}{} {} not found: {}", req, kind, e.name, not_found));
        problem_entries.push_back(e.name);
      } else {
        map.absent.push_back(e.name);
      }
      continue;
    }
    const auto& c = candidates.front();
    const fcs::Parameter& p = params[c.parameter];
    map.matches.push_back(ChannelMatch{e.name, c.parameter, p.name, p.stain, c.alias, via, std::move(passed_over)});
  }

  if (!problems.empty()) {
    std::vector<std::string> channels;
    for (const auto& p : params) channels.push_back(describe(p));
    const std::string where = (problem_entries.size() == 1 ? "marker " : "markers ") + join(problem_entries, ", ");
    throw InputError(ErrorKind::reference, std::string(source), where,
                     fmt::format("panel {}: {}; the file's channels ($PnN \"$PnS\"): {}", panel.name,
                                 join(problems, "; "), channels.empty() ? "none" : join(channels, ", ")));
  }

  // Entries sharing a channel.
  for (std::size_t i = 0; i < map.matches.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (map.matches[i].parameter == map.matches[j].parameter) {
        const auto& p = params[map.matches[i].parameter];
        map.warnings.push_back(Warning{std::string(source), "markers " + map.matches[j].entry + ", " + map.matches[i].entry,
                                       fmt::format("both resolve to channel {}; gates cannot tell them apart", describe(p))});
      }
    }
  }
  return map;
}

}  // namespace escapade::bal
