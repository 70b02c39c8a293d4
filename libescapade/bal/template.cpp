#include "libescapade/bal/template.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "libescapade/bal/detail/toml_reader.hpp"
#include "libescapade/base/file_io.hpp"

namespace escapade::bal {

namespace {

std::string known_cuts() {
  std::string out;
  for (const char* c : cut_names) out += (out.empty() ? "" : ", ") + std::string(c);
  return out;
}

class TemplateReader : public detail::TomlReader {
 public:
  using TomlReader::TomlReader;

  // [gates.NAME] tables: `allowed` keys; each NAME must be a cut.
  template <typename Fn>
  void gates(const toml::table& root, std::initializer_list<std::string_view> allowed, Fn&& each) const {
    const auto* node = root.get("gates");
    if (node == nullptr) return;
    const auto* table = node->as_table();
    if (table == nullptr) fail(node->source(), "[gates] must hold tables [gates.NAME]");
    for (auto&& [key, value] : *table) {
      const std::string name(key.str());
      if (std::find_if(std::begin(cut_names), std::end(cut_names), [&](const char* c) { return name == c; }) ==
          std::end(cut_names)) {
        fail(key.source(), fmt::format("no gate is named \"{}\"; the gates are: {}", name, known_cuts()));
      }
      const auto* g = value.as_table();
      if (g == nullptr) fail(value.source(), fmt::format("gates.{} must be a table", name));
      check_keys(*g, "gates." + name, allowed);
      each(name, *g);
    }
  }

  GatingTemplate read_template(std::string_view text) const {
    const toml::table root = parse(text);
    check_keys(root, "the template", {"template", "limits", "flags", "gates"});
    GatingTemplate t;
    t.source = my_source;
    const auto* head = root.get("template");
    if (head == nullptr || head->as_table() == nullptr) fail({}, "no [template] table (it needs name = \"…\")");
    check_keys(*head->as_table(), "[template]", {"name", "description"});
    const auto* name_node = head->as_table()->get("name");
    if (name_node == nullptr) fail(head->source(), "[template] has no name");
    t.name = string_value(*name_node, "[template] name");
    if (const auto* d = head->as_table()->get("description")) t.description = string_value(*d, "[template] description");
    if (const auto* l = root.get("limits")) {
      const auto* table = l->as_table();
      if (table == nullptr) fail(l->source(), "[limits] must be a table");
      check_keys(*table, "[limits]", {"lod_events", "lloq_events"});
      auto count = [&](const char* key, std::size_t& out) {
        if (const auto* n = table->get(key)) {
          const auto* i = n->as_integer();
          if (i == nullptr || i->get() <= 0) fail(n->source(), fmt::format("{} must be a whole number above 0", key));
          out = static_cast<std::size_t>(i->get());
        }
      };
      count("lod_events", t.limits.lod_events);
      count("lloq_events", t.limits.lloq_events);
      if (t.limits.lod_events > t.limits.lloq_events) {
        fail(l->source(), fmt::format("lod_events {} is above lloq_events {}", t.limits.lod_events, t.limits.lloq_events));
      }
    }
    if (const auto* f = root.get("flags")) {
      const auto* table = f->as_table();
      if (table == nullptr) fail(f->source(), "[flags] must be a table");
      check_keys(*table, "[flags]", {"pre_escape_reference_pct"});
      if (const auto* r = table->get("pre_escape_reference_pct")) {
        t.flags.pre_escape_reference_pct = number_value(*r, "pre_escape_reference_pct");
        t.flags.reference_source = "template " + t.name;
      }
    }
    gates(root, {"mode", "value"}, [&](const std::string& name, const toml::table& g) {
      std::string mode = "auto";
      if (const auto* m = g.get("mode")) mode = string_value(*m, "mode");
      if (mode != "auto" && mode != "fixed") {
        fail(g.get("mode")->source(), fmt::format("gates.{} mode must be \"auto\" or \"fixed\", not \"{}\"", name, mode));
      }
      const auto* v = g.get("value");
      if (mode == "fixed") {
        if (v == nullptr) fail(g.source(), fmt::format("gates.{} is fixed but has no value", name));
        t.fixed[name] = {number_value(*v, "value"), "template " + t.name, ""};
      } else if (v != nullptr) {
        fail(v->source(), fmt::format("gates.{} has a value but mode \"auto\"; say mode = \"fixed\"", name));
      }
    });
    return t;
  }

  std::map<std::string, FixedCut> read_review(std::string_view text) const {
    const toml::table root = parse(text);
    check_keys(root, "the review", {"review", "gates"});
    const auto* head = root.get("review");
    if (head == nullptr || head->as_table() == nullptr) fail({}, "no [review] table (it needs reviewer = \"…\")");
    check_keys(*head->as_table(), "[review]", {"reviewer", "date", "note"});
    const auto* who = head->as_table()->get("reviewer");
    if (who == nullptr) fail(head->source(), "[review] has no reviewer: a human-set gate must say who set it");
    const std::string reviewer = string_value(*who, "[review] reviewer");
    std::map<std::string, FixedCut> out;
    gates(root, {"value", "reason"}, [&](const std::string& name, const toml::table& g) {
      const auto* v = g.get("value");
      if (v == nullptr) fail(g.source(), fmt::format("gates.{} has no value", name));
      FixedCut c{number_value(*v, "value"), "reviewer " + reviewer, ""};
      if (const auto* r = g.get("reason")) c.reason = string_value(*r, "reason");
      out[name] = c;
    });
    return out;
  }
};

}  // namespace

GatingTemplate parse_template(std::string_view toml, std::string_view source) {
  return TemplateReader(source).read_template(toml);
}

GatingTemplate read_template_file(const std::filesystem::path& path) {
  return parse_template(read_file(path), path.string());
}

GatingTemplate builtin_template() {
  GatingTemplate t;
  t.name = "bal_escape";
  t.description = "CD34/CD19/CD22 escape-risk gating (seed 001), every gate found from the data";
  t.source = "<builtin:bal_escape>";
  return t;
}

std::map<std::string, FixedCut> parse_review(std::string_view toml, std::string_view source) {
  return TemplateReader(source).read_review(toml);
}

std::map<std::string, FixedCut> read_review_file(const std::filesystem::path& path) {
  return parse_review(read_file(path), path.string());
}

AnalysisOptions analysis_options(const GatingTemplate& tmpl, const std::map<std::string, FixedCut>& review) {
  AnalysisOptions o;
  o.limits = tmpl.limits;
  o.overrides = tmpl.fixed;
  for (const auto& [name, cut] : review) o.overrides[name] = cut;
  return o;
}

}  // namespace escapade::bal
