// Gating-ML 2.0 reader and writer (gatingml.hpp; Gating-ML 2.0 §4–§6 and its XSDs;
// docs/formats.md §2 for the semantics, §3.2 for FlowJo's export).
//
// The reader works in two passes so that ids may be used before they are defined (the
// XSD's IDREFs allow it): pass 1 walks the document, classifies every top-level element by
// namespace URI and local name and records where each id is defined; pass 2 builds the
// matrices, then the transforms, then the gates, checking every reference against what
// pass 2 has already added. Errors carry the XML line, computed from pugixml's
// offset_debug() only when an error is raised.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <deque>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

#include "libescapade/base/file_io.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/gate/gatingml.hpp"

namespace escapade::gate {

namespace {

// Gating-ML 2.0 namespace URIs (Gating-ML.v2.0.xsd, Transformations.v2.0.xsd,
// DataTypes.v2.0.xsd targetNamespace).
constexpr std::string_view gating_uri = "http://www.isac-net.org/std/Gating-ML/v2.0/gating";
constexpr std::string_view transforms_uri = "http://www.isac-net.org/std/Gating-ML/v2.0/transformations";
constexpr std::string_view datatypes_uri = "http://www.isac-net.org/std/Gating-ML/v2.0/datatypes";

// Wrapper elements (foreign or unqualified) are read through at most this deep; deeper
// nesting is no Gating-ML document and would only cost stack.
constexpr int max_wrapper_depth = 16;
// Longest chain of parent_id/gateReference dependencies accepted. Real gating trees are a
// few dozen levels deep; the limit bounds the recursion of every later tree walk.
constexpr std::size_t max_dependency_depth = 1000;

enum class Ns { none, gating, transforms, datatypes, other };

Ns classify(std::string_view uri) noexcept {
  if (uri.empty()) return Ns::none;
  if (uri == gating_uri) return Ns::gating;
  if (uri == transforms_uri) return Ns::transforms;
  if (uri == datatypes_uri) return Ns::datatypes;
  return Ns::other;
}

std::string_view prefix_name(Ns ns) noexcept {
  switch (ns) {
    case Ns::gating: return "gating";
    case Ns::transforms: return "transforms";
    case Ns::datatypes: return "data-type";
    default: return "";
  }
}

// "gating:RectangleGate" for messages.
std::string qualified(Ns ns, std::string_view local) {
  const std::string_view prefix = prefix_name(ns);
  return prefix.empty() ? std::string(local) : fmt::format("{}:{}", prefix, local);
}

// Byte offset → 1-based line. A line ends at LF, CRLF or a lone CR (XML 1.0 §2.11). The
// line starts are found once, so every error place costs a binary search.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
        my_starts.push_back(i + 1);
      }
    }
  }
  [[nodiscard]] std::size_t line(std::ptrdiff_t offset) const noexcept {
    const std::size_t at = offset < 0 ? 0 : static_cast<std::size_t>(offset);
    // Lines before `at` = line ends before it; a line end at `at` itself starts the next line.
    return 1 + static_cast<std::size_t>(std::upper_bound(my_starts.begin(), my_starts.end(), at) - my_starts.begin());
  }

 private:
  std::vector<std::size_t> my_starts;  // offset of the first byte of lines 2, 3, …
};

std::string_view trim_xml_space(std::string_view s) noexcept {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// xs:double (XSD Part 2 §3.2.5): decimal or exponent notation, "INF", "-INF", "NaN",
// surrounded by whitespace. nullopt if the text is not one whole number.
std::optional<double> parse_double(std::string_view text) noexcept {
  std::string_view s = trim_xml_space(text);
  if (s == "INF" || s == "+INF") return std::numeric_limits<double>::infinity();
  if (s == "-INF") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, std::chars_format::general);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// The shortest text that reads back as the same double (fmt follows Ryu), so 0.06 stays
// "0.06" and every value round-trips exactly.
std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
  return fmt::format("{}", v);
}

// The namespace declarations of one element and its ancestors'.
struct Scope {
  const Scope* parent = nullptr;
  std::map<std::string_view, std::string_view, std::less<>> declarations;  // prefix ("" = default) → URI
};

// An element with its namespace resolved.
struct Element {
  pugi::xml_node node;
  const Scope* scope = nullptr;
  Ns ns = Ns::none;
  std::string_view local;
};

class Reader {
 public:
  Reader(std::string_view text, std::string_view source)
      : my_text(text), my_lines(text), my_source(source), my_plan(my_source) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  GatingPlan run() {
    const pugi::xml_parse_result parsed =
        my_document.load_buffer(my_text.data(), my_text.size(), pugi::parse_default, pugi::encoding_auto);
    if (!parsed) {
      throw GatingMlError(ErrorKind::format, my_source, fmt::format("line {}", my_lines.line(parsed.offset)),
                          fmt::format("malformed XML: {}", parsed.description()));
    }
    const Element root = element(my_document.document_element(), nullptr);
    if (root.local != "Gating-ML" || root.ns != Ns::gating) {
      const bool other_version = root.local == "Gating-ML";
      throw GatingMlError(other_version ? ErrorKind::unsupported : ErrorKind::format, my_source, where_line(root),
                          other_version
                              ? fmt::format("the root element is in namespace '{}', not Gating-ML 2.0's '{}'",
                                            namespace_uri(root), gating_uri)
                              : fmt::format("the root element is <{}>, not gating:Gating-ML (Gating-ML 2.0 §4)",
                                            root.node.name()));
    }
    collect(root, 0);
    for (const Element& e : my_matrices) read_matrix(e);
    for (const Element& e : my_transformations) read_transformation(e);
    for (const Element& e : my_gates) read_gate(e);
    check_references();
    check_dependencies();
    try {
      my_plan.validate();
    } catch (const GatingMlError&) {
      throw;
    } catch (const Error& e) {
      rethrow(e, nullptr);
    }
    return std::move(my_plan);
  }

 private:
  // ---- XML access ----------------------------------------------------------------------

  Element element(pugi::xml_node node, const Scope* parent) {
    Scope* declared = nullptr;  // only elements that declare namespaces get a scope of their own
    for (const pugi::xml_attribute a : node.attributes()) {
      const std::string_view name = a.name();
      if (name != "xmlns" && !name.starts_with("xmlns:")) continue;
      if (declared == nullptr) declared = &my_scopes.emplace_back(Scope{parent, {}});
      const std::string_view prefix = name == "xmlns" ? std::string_view() : name.substr(6);
      declared->declarations.emplace(prefix, a.value());
    }
    const Scope* scope = declared != nullptr ? declared : parent;
    const std::string_view name = node.name();
    const std::size_t colon = name.find(':');
    const std::string_view prefix = colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
    Element out;
    out.node = node;
    out.scope = scope;
    out.local = colon == std::string_view::npos ? name : name.substr(colon + 1);
    out.ns = classify(resolve(scope, prefix));
    return out;
  }

  // The URI a prefix is bound to where `scope` applies; "" for no namespace.
  static std::string_view resolve(const Scope* scope, std::string_view prefix) {
    for (const Scope* s = scope; s != nullptr; s = s->parent) {
      if (auto it = s->declarations.find(prefix); it != s->declarations.end()) return it->second;
    }
    // Tolerance: fragments cut out of a larger document (a FlowJo workspace) use the
    // standard prefixes without declaring them.
    if (prefix == "gating") return gating_uri;
    if (prefix == "transforms") return transforms_uri;
    if (prefix == "data-type") return datatypes_uri;
    return prefix.empty() ? std::string_view() : std::string_view("urn:undeclared-prefix");
  }

  static std::string_view namespace_uri(const Element& e) {
    const std::string_view name = e.node.name();
    const std::size_t colon = name.find(':');
    return resolve(e.scope, colon == std::string_view::npos ? std::string_view() : name.substr(0, colon));
  }

  std::vector<Element> children(const Element& parent) {
    std::vector<Element> out;
    for (const pugi::xml_node child : parent.node.children()) {
      if (child.type() == pugi::node_element) out.push_back(element(child, parent.scope));
    }
    return out;
  }

  std::vector<Element> children(const Element& parent, Ns ns, std::string_view local) {
    std::vector<Element> out;
    for (const pugi::xml_node child : parent.node.children()) {
      if (child.type() != pugi::node_element) continue;
      Element e = element(child, parent.scope);
      if (e.ns == ns && e.local == local) out.push_back(e);
    }
    return out;
  }

  // The value of attribute `local`: namespace-qualified in `ns` as the XSDs require
  // (attributeFormDefault="qualified"), else unqualified, else qualified by another
  // Gating-ML namespace. nullopt if absent.
  static std::optional<std::string_view> attribute(const Element& e, Ns ns, std::string_view local) {
    std::optional<std::string_view> unqualified;
    std::optional<std::string_view> other_gatingml;
    for (const pugi::xml_attribute a : e.node.attributes()) {
      const std::string_view name = a.name();
      const std::size_t colon = name.find(':');
      if (colon == std::string_view::npos) {
        if (name == local) unqualified = a.value();
        continue;
      }
      if (name.substr(colon + 1) != local) continue;
      const std::string_view prefix = name.substr(0, colon);
      if (prefix == "xmlns") continue;
      const Ns attribute_ns = classify(resolve(e.scope, prefix));
      if (attribute_ns == ns) return std::string_view(a.value());
      if (attribute_ns == Ns::gating || attribute_ns == Ns::transforms || attribute_ns == Ns::datatypes) {
        if (!other_gatingml) other_gatingml = a.value();
      }
    }
    return unqualified ? unqualified : other_gatingml;
  }

  std::string_view required(const Element& e, Ns ns, std::string_view local, const std::string& where) const {
    const auto value = attribute(e, ns, local);
    if (!value) {
      fail(ErrorKind::format, where,
           fmt::format("{} has no {} attribute", qualified(e.ns, e.local), qualified(ns, local)));
    }
    return *value;
  }

  // A required, non-empty id-like attribute.
  std::string required_name(const Element& e, Ns ns, std::string_view local, const std::string& where) const {
    const std::string_view value = trim_xml_space(required(e, ns, local, where));
    if (value.empty()) {
      fail(ErrorKind::format, where, fmt::format("{} has an empty {}", qualified(e.ns, e.local), qualified(ns, local)));
    }
    return std::string(value);
  }

  double to_number(std::string_view text, const std::string& what, const std::string& where) const {
    const auto value = parse_double(text);
    if (!value) fail(ErrorKind::format, where, fmt::format("{} = '{}' is not a number", what, text));
    return *value;
  }

  double number(const Element& e, Ns ns, std::string_view local, const std::string& where) const {
    return to_number(required(e, ns, local, where), qualified(ns, local), where);
  }

  std::optional<double> optional_number(const Element& e, Ns ns, std::string_view local,
                                        const std::string& where) const {
    const auto value = attribute(e, ns, local);
    if (!value) return std::nullopt;
    return to_number(*value, qualified(ns, local), where);
  }

  // xs:boolean (XSD Part 2 §3.2.2): true, false, 1, 0.
  bool boolean(const Element& e, Ns ns, std::string_view local, const std::string& where) const {
    const auto value = attribute(e, ns, local);
    if (!value) return false;
    const std::string_view v = trim_xml_space(*value);
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    fail(ErrorKind::format, where, fmt::format("{} = '{}' is not a boolean (true, false, 1 or 0)", qualified(ns, local), *value));
  }

  // ---- places and errors ---------------------------------------------------------------

  std::size_t line(const Element& e) const { return my_lines.line(e.node.offset_debug()); }
  std::string where_line(const Element& e) const { return fmt::format("line {}", line(e)); }
  std::string where_of(const Element& e, std::string_view what) const {
    return fmt::format("line {}, {}", line(e), what);
  }

  [[noreturn]] void fail(ErrorKind kind, const std::string& where, std::string reason) const {
    throw GatingMlError(kind, my_source, where, std::move(reason));
  }

  // Re-raises an error of the plan, comp or transform code as a GatingMlError with the line.
  // `current` is the element being read (its place when the error does not name another).
  [[noreturn]] void rethrow(const Error& error, const std::pair<const Element*, std::string>* current) const {
    // A value the plan or a transform refuses came from the file: bad content (format), not
    // a bad argument of the caller's.
    const Error e(error.kind() == ErrorKind::invalid_argument ? ErrorKind::format : error.kind(), error.source(), error.where(),
                  error.reason());
    const std::string& inner = e.where();
    if (current != nullptr && (inner.empty() || inner == current->second)) {
      fail(e.kind(), where_of(*current->first, current->second), e.reason());
    }
    if (auto it = my_places.find(inner); it != my_places.end()) {
      fail(e.kind(), fmt::format("line {}, {}", my_lines.line(it->second), inner), e.reason());
    }
    if (current != nullptr) {
      fail(e.kind(), where_of(*current->first, current->second), fmt::format("{}: {}", inner, e.reason()));
    }
    fail(e.kind(), inner, e.reason());
  }

  template <typename Fn_>
  void guarded(const Element& e, const std::string& what, Fn_&& fn) const {
    try {
      fn();
    } catch (const GatingMlError&) {
      throw;
    } catch (const Error& error) {
      const std::pair<const Element*, std::string> current{&e, what};
      rethrow(error, &current);
    }
  }

  void remember(const std::string& what, const Element& e) { my_places.emplace(what, e.node.offset_debug()); }

  // ---- pass 1: classify ----------------------------------------------------------------

  void collect(const Element& parent, int depth) {
    for (const Element& e : children(parent)) {
      switch (e.ns) {
        case Ns::gating:
          if (e.local == "RectangleGate" || e.local == "PolygonGate" || e.local == "EllipsoidGate" ||
              e.local == "BooleanGate" || e.local == "QuadrantGate") {
            my_gates.push_back(e);
            remember_gate(e);
          } else {
            fail(ErrorKind::format, where_line(e),
                 fmt::format("unknown gate element <{}> (Gating-ML 2.0 defines RectangleGate, PolygonGate, "
                             "EllipsoidGate, QuadrantGate and BooleanGate)",
                             e.node.name()));
          }
          break;
        case Ns::transforms:
          if (e.local == "transformation") {
            my_transformations.push_back(e);
            if (auto id = attribute(e, Ns::transforms, "id")) {
              remember(fmt::format("transformation '{}'", trim_xml_space(*id)), e);
            }
          } else if (e.local == "spectrumMatrix") {
            my_matrices.push_back(e);
            if (auto id = attribute(e, Ns::transforms, "id")) {
              remember(fmt::format("spectrum matrix '{}'", trim_xml_space(*id)), e);
            }
          } else {
            fail(ErrorKind::unsupported, where_line(e),
                 fmt::format("unknown element <{}> (Gating-ML 2.0 defines transforms:transformation and "
                             "transforms:spectrumMatrix)",
                             e.node.name()));
          }
          break;
        case Ns::datatypes:
          break;  // data-type:custom_info carries no gating (Gating-ML 2.0 §4, Custom_Group)
        case Ns::none:
        case Ns::other:
          // A wrapper Gating-ML does not define (the suite's non-namespaced <sample>):
          // read through it.
          if (depth + 1 > max_wrapper_depth) {
            fail(ErrorKind::unsupported, where_line(e),
                 fmt::format("elements nested more than {} levels deep", max_wrapper_depth));
          }
          collect(e, depth + 1);
          break;
      }
    }
  }

  void remember_gate(const Element& e) {
    if (auto id = attribute(e, Ns::gating, "id")) remember(fmt::format("gate '{}'", trim_xml_space(*id)), e);
    if (e.local != "QuadrantGate") return;
    for (const Element& q : children(e, Ns::gating, "Quadrant")) {
      if (auto id = attribute(q, Ns::gating, "id")) remember(fmt::format("gate '{}'", trim_xml_space(*id)), q);
    }
  }

  // ---- pass 2: spectrum matrices (Transformations.v2.0.xsd SpectrumMatrix_Type) -----------

  std::vector<std::string> dimension_names(const Element& list, const std::string& where) {
    std::vector<std::string> names;
    for (const Element& d : children(list, Ns::datatypes, "fcs-dimension")) {
      names.push_back(required_name(d, Ns::datatypes, "name", where_of(d, where)));
    }
    return names;
  }

  void read_matrix(const Element& e) {
    const std::string id = required_name(e, Ns::transforms, "id", where_line(e));
    const std::string what = fmt::format("spectrum matrix '{}'", id);
    const std::string where = where_of(e, what);
    const bool inverted = boolean(e, Ns::transforms, "matrix-inverted-already", where);

    const auto fluorochrome_lists = children(e, Ns::transforms, "fluorochromes");
    const auto detector_lists = children(e, Ns::transforms, "detectors");
    if (fluorochrome_lists.size() != 1 || detector_lists.size() != 1) {
      fail(ErrorKind::format, where, "needs exactly one transforms:fluorochromes and one transforms:detectors");
    }
    const std::vector<std::string> fluorochromes = dimension_names(fluorochrome_lists.front(), what);
    const std::vector<std::string> detectors = dimension_names(detector_lists.front(), what);
    const std::size_t n = fluorochromes.size();
    const std::size_t m = detectors.size();
    // Without matrix-inverted-already a spectrum row is one fluorochrome over the m
    // detectors (XSD: "Row of the spillover/spectrum matrix"; docs/formats.md §2.4); with it the
    // rows are the m detectors of the unmixing matrix, n values each (flowUtils-R).
    const std::size_t rows = inverted ? m : n;
    const std::size_t columns = inverted ? n : m;
    const auto spectra = children(e, Ns::transforms, "spectrum");
    if (spectra.size() != rows) {
      fail(ErrorKind::format, where,
           fmt::format("{} transforms:spectrum rows for {} {}; {} expected", spectra.size(), rows,
                       inverted ? "detectors (matrix-inverted-already)" : "fluorochromes", rows));
    }
    std::vector<double> coefficients;
    coefficients.reserve(rows * columns);
    for (std::size_t r = 0; r < spectra.size(); ++r) {
      const auto cells = children(spectra[r], Ns::transforms, "coefficient");
      const std::string row_where = where_of(spectra[r], what);
      if (cells.size() != columns) {
        fail(ErrorKind::format, row_where,
             fmt::format("spectrum row {} has {} coefficients; {} expected (one per {})", r + 1, cells.size(),
                         columns, inverted ? "fluorochrome" : "detector"));
      }
      for (const Element& c : cells) coefficients.push_back(number(c, Ns::transforms, "value", where_of(c, what)));
    }
    guarded(e, what, [&] {
      comp::CompileOptions options;
      options.matrix_inverted_already = inverted;
      if (inverted) options.method = comp::Method::as_given;
      my_plan.add_matrix(comp::SpectrumMatrix(fluorochromes, detectors, std::move(coefficients), id), options);
    });
  }

  // ---- pass 2: transformations (Gating-ML 2.0 §6; Transformations.v2.0.xsd) ----------------

  void read_transformation(const Element& e) {
    const std::string id = required_name(e, Ns::transforms, "id", where_line(e));
    const std::string what = fmt::format("transformation '{}'", id);
    const std::string where = where_of(e, what);
    transform::Bounds bounds;
    bounds.min = optional_number(e, Ns::transforms, "boundMin", where);
    bounds.max = optional_number(e, Ns::transforms, "boundMax", where);

    std::optional<Element> kind;
    for (const Element& c : children(e)) {
      if (c.ns != Ns::transforms) continue;
      if (kind) fail(ErrorKind::format, where, "holds more than one transformation element");
      kind = c;
    }
    if (!kind) fail(ErrorKind::format, where, "holds no transformation element (flin, flog, fasinh, logicle, hyperlog, fratio)");
    const Element& k = *kind;
    const std::string kind_where = where_of(k, what);
    auto p = [&](std::string_view name) { return number(k, Ns::transforms, name, kind_where); };

    guarded(k, what, [&] {
      if (k.local == "flin") {
        my_plan.add_transform(id, transform::LinearTransform(p("T"), p("A"), bounds));
      } else if (k.local == "flog") {
        my_plan.add_transform(id, transform::LogTransform(p("T"), p("M"), bounds));
      } else if (k.local == "fasinh") {
        my_plan.add_transform(id, transform::AsinhTransform(p("T"), p("M"), p("A"), bounds));
      } else if (k.local == "logicle") {
        my_plan.add_transform(id, transform::LogicleTransform(p("T"), p("W"), p("M"), p("A"), bounds));
      } else if (k.local == "hyperlog") {
        my_plan.add_transform(id, transform::HyperlogTransform(p("T"), p("W"), p("M"), p("A"), bounds));
      } else if (k.local == "fratio") {
        // Exactly two fcs-dimensions, the first the numerator (Gating-ML 2.0 §6.7; docs/formats.md §2.3).
        const auto inputs = children(k, Ns::datatypes, "fcs-dimension");
        if (inputs.size() != 2) {
          fail(ErrorKind::format, kind_where,
               fmt::format("fratio takes exactly 2 data-type:fcs-dimension elements, this one has {}",
                           inputs.size()));
        }
        Ratio ratio{transform::RatioTransform(p("A"), p("B"), p("C"), bounds),
                    required_name(inputs[0], Ns::datatypes, "name", where_of(inputs[0], what)),
                    required_name(inputs[1], Ns::datatypes, "name", where_of(inputs[1], what))};
        my_plan.add_ratio(id, std::move(ratio));
      } else {
        fail(ErrorKind::unsupported, kind_where,
             fmt::format("unknown transformation <{}> (Gating-ML 2.0 defines flin, flog, fasinh, logicle, "
                         "hyperlog and fratio)",
                         k.node.name()));
      }
    });
  }

  // ---- pass 2: dimensions (Gating-ML 2.0 §5.2; DataTypes.v2.0.xsd Dimensions_Group) -------

  // `e` is a gating:dimension or gating:divider.
  Dimension read_dimension(const Element& e, const std::string& what) {
    const std::string where = where_of(e, what);
    std::optional<Element> source;
    for (const Element& c : children(e)) {
      if (c.ns != Ns::datatypes || (c.local != "fcs-dimension" && c.local != "new-dimension")) continue;
      if (source) fail(ErrorKind::format, where, fmt::format("{} names more than one dimension", qualified(e.ns, e.local)));
      source = c;
    }
    if (!source) {
      fail(ErrorKind::format, where,
           fmt::format("{} has no data-type:fcs-dimension or data-type:new-dimension", qualified(e.ns, e.local)));
    }
    Dimension d;
    const auto compensation = attribute(e, Ns::gating, "compensation-ref");
    if (source->local == "fcs-dimension") {
      d.channel = required_name(*source, Ns::datatypes, "name", where_of(*source, what));
    } else {
      d.ratio = required_name(*source, Ns::datatypes, "transformation-ref", where_of(*source, what));
      if (my_plan.find_ratio(d.ratio) == nullptr) {
        fail(ErrorKind::reference, where_of(*source, what),
             my_plan.find_transform(d.ratio) != nullptr
                 ? fmt::format("new-dimension names transformation '{}', which is not an fratio", d.ratio)
                 : fmt::format("new-dimension names transformation '{}', which is not defined", d.ratio));
      }
    }
    if (compensation) {
      d.compensation = std::string(trim_xml_space(*compensation));
      if (d.compensation.empty()) fail(ErrorKind::format, where, "gating:compensation-ref is empty");
    } else if (d.channel.starts_with("Comp-")) {
      // FlowJo's Gating-ML export has no compensation-ref and names compensated channels
      // "Comp-" + $PnN: the file's own spillover (docs/formats.md §3.2).
      d.channel.erase(0, 5);
      d.compensation = std::string(file_compensation);
    } else {
      d.compensation = std::string(uncompensated);  // FlowJo's plain names are raw values
    }
    if (d.compensation != uncompensated && d.compensation != file_compensation) {
      const GatingPlan::MatrixEntry* matrix = nullptr;
      for (const auto& m : my_plan.matrices()) {
        if (m.matrix.id() == d.compensation) matrix = &m;
      }
      if (matrix == nullptr) {
        fail(ErrorKind::reference, where,
             fmt::format("compensation-ref '{}' is neither 'uncompensated', 'FCS' nor a spectrumMatrix of the "
                         "document (Gating-ML 2.0 §4.1)",
                         d.compensation));
      }
      // A matrix's output dimensions are its fluorochromes (docs/formats.md §2.4).
      const auto& names = matrix->matrix.fluorochromes();
      auto check = [&](const std::string& channel) {
        if (std::find(names.begin(), names.end(), channel) == names.end()) {
          fail(ErrorKind::reference, where,
               fmt::format("'{}' is not a fluorochrome of spectrum matrix '{}' ({})", channel, d.compensation,
                           fmt::join(names, ", ")));
        }
      };
      if (!d.channel.empty()) check(d.channel);
      if (const Ratio* r = my_plan.find_ratio(d.ratio)) {
        check(r->numerator);
        check(r->denominator);
      }
    }
    if (const auto transform = attribute(e, Ns::gating, "transformation-ref")) {
      d.transform = std::string(trim_xml_space(*transform));
      if (!d.transform.empty() && my_plan.find_transform(d.transform) == nullptr) {
        fail(ErrorKind::reference, where,
             my_plan.find_ratio(d.transform) != nullptr
                 ? fmt::format("transformation-ref '{}' is an fratio, which makes a new dimension: name it in "
                               "data-type:new-dimension",
                               d.transform)
                 : fmt::format("transformation-ref '{}' names no transformation of the document", d.transform));
      }
    }
    return d;
  }

  // ---- pass 2: gates (Gating-ML 2.0 §5.3) ----------------------------------------------

  std::vector<double> values(const std::vector<Element>& cells, const std::string& what) const {
    std::vector<double> out;
    out.reserve(cells.size());
    for (const Element& c : cells) out.push_back(number(c, Ns::datatypes, "value", where_of(c, what)));
    return out;
  }

  // Exactly one child `local`, for mean, covarianceMatrix, distanceSquare.
  Element single(const Element& parent, std::string_view local, const std::string& where) {
    const auto found = children(parent, Ns::gating, local);
    if (found.size() != 1) {
      fail(ErrorKind::format, where,
           fmt::format("{} needs exactly one gating:{}, this one has {}", qualified(parent.ns, parent.local), local,
                       found.size()));
    }
    return found.front();
  }

  void read_gate(const Element& e) {
    const std::string id = required_name(e, Ns::gating, "id", where_line(e));
    const std::string what = fmt::format("gate '{}'", id);
    const std::string where = where_of(e, what);
    std::string parent;
    if (auto p = attribute(e, Ns::gating, "parent_id")) parent = std::string(trim_xml_space(*p));

    if (e.local == "QuadrantGate") {
      read_quadrant_gate(e, id, parent, what);
      return;
    }
    Gate gate;
    gate.id = id;
    gate.parent = parent;
    if (auto name = attribute(e, Ns::gating, "name")) gate.name = std::string(*name);
    // FlowJo's unqualified eventsInside="0": the population is outside the shape
    // (docs/formats.md §3.1, as FlowKit and CytoML read it).
    for (const pugi::xml_attribute a : e.node.attributes()) {
      const std::string_view v = trim_xml_space(a.value());
      if (std::string_view(a.name()) == "eventsInside" && (v == "0" || v == "false")) gate.complement = true;
    }

    if (e.local == "RectangleGate") {
      RectangleGate shape;
      const auto dimensions = children(e, Ns::gating, "dimension");
      if (dimensions.empty()) fail(ErrorKind::format, where, "a RectangleGate needs at least one gating:dimension");
      for (const Element& d : dimensions) {
        Interval interval;
        interval.dimension = read_dimension(d, what);
        // min inclusive, max exclusive, a missing side unbounded (docs/formats.md §2.5).
        if (auto v = optional_number(d, Ns::gating, "min", where_of(d, what))) interval.min = *v;
        if (auto v = optional_number(d, Ns::gating, "max", where_of(d, what))) interval.max = *v;
        shape.intervals.push_back(std::move(interval));
      }
      gate.shape = std::move(shape);
    } else if (e.local == "PolygonGate") {
      PolygonGate shape;
      const auto dimensions = children(e, Ns::gating, "dimension");
      if (dimensions.size() != 2) {
        fail(ErrorKind::format, where,
             fmt::format("a PolygonGate needs exactly 2 gating:dimension elements, this one has {} "
                         "(Gating-ML 2.0 §5.3.2)",
                         dimensions.size()));
      }
      shape.x = read_dimension(dimensions[0], what);
      shape.y = read_dimension(dimensions[1], what);
      const auto vertices = children(e, Ns::gating, "vertex");
      if (vertices.size() < 3) {
        fail(ErrorKind::format, where,
             fmt::format("a PolygonGate needs at least 3 gating:vertex elements, this one has {} "
                         "(Gating-ML 2.0 §5.3.2)",
                         vertices.size()));
      }
      for (std::size_t k = 0; k < vertices.size(); ++k) {
        const auto coordinates = values(children(vertices[k], Ns::gating, "coordinate"), what);
        if (coordinates.size() != 2) {
          fail(ErrorKind::format, where_of(vertices[k], what),
               fmt::format("vertex {} has {} gating:coordinate elements; 2 expected", k + 1, coordinates.size()));
        }
        shape.vertices.push_back(Point{coordinates[0], coordinates[1]});
      }
      gate.shape = std::move(shape);
    } else if (e.local == "EllipsoidGate") {
      EllipsoidGate shape;
      const auto dimensions = children(e, Ns::gating, "dimension");
      const std::size_t n = dimensions.size();
      if (n < 2) {
        fail(ErrorKind::format, where,
             fmt::format("an EllipsoidGate needs at least 2 gating:dimension elements, this one has {} "
                         "(Gating-ML 2.0 §5.3.3)",
                         n));
      }
      for (const Element& d : dimensions) shape.dimensions.push_back(read_dimension(d, what));
      const Element mean = single(e, "mean", where);
      shape.mean = values(children(mean, Ns::gating, "coordinate"), what);
      if (shape.mean.size() != n) {
        fail(ErrorKind::format, where_of(mean, what),
             fmt::format("the mean has {} gating:coordinate elements for {} dimensions", shape.mean.size(), n));
      }
      const Element covariance = single(e, "covarianceMatrix", where);
      const auto rows = children(covariance, Ns::gating, "row");
      if (rows.size() != n) {
        fail(ErrorKind::format, where_of(covariance, what),
             fmt::format("the covariance matrix has {} gating:row elements for {} dimensions", rows.size(), n));
      }
      for (const Element& row : rows) {
        const auto entries = values(children(row, Ns::gating, "entry"), what);
        if (entries.size() != n) {
          fail(ErrorKind::format, where_of(row, what),
               fmt::format("a covariance row has {} gating:entry elements for {} dimensions", entries.size(), n));
        }
        shape.covariance.insert(shape.covariance.end(), entries.begin(), entries.end());
      }
      const Element distance = single(e, "distanceSquare", where);
      shape.distance_square = number(distance, Ns::datatypes, "value", where_of(distance, what));
      gate.shape = std::move(shape);
    } else {  // BooleanGate
      BooleanGate shape;
      std::optional<Element> op;
      for (const Element& c : children(e)) {
        if (c.ns != Ns::gating) continue;
        if (c.local != "and" && c.local != "or" && c.local != "not") {
          fail(ErrorKind::format, where_of(c, what),
               fmt::format("unknown element <{}> in a BooleanGate (and, or, not expected)", c.node.name()));
        }
        if (op) fail(ErrorKind::format, where, "a BooleanGate holds exactly one of gating:and, gating:or, gating:not");
        op = c;
      }
      if (!op) fail(ErrorKind::format, where, "a BooleanGate needs one of gating:and, gating:or, gating:not");
      shape.op = op->local == "and"  ? BooleanGate::Op::and_op
                 : op->local == "or" ? BooleanGate::Op::or_op
                                     : BooleanGate::Op::not_op;
      for (const Element& r : children(*op, Ns::gating, "gateReference")) {
        const std::string ref_where = where_of(r, what);
        BooleanGate::Operand operand;
        operand.gate = required_name(r, Ns::gating, "ref", ref_where);
        operand.complement = boolean(r, Ns::gating, "use-as-complement", ref_where);
        shape.operands.push_back(std::move(operand));
      }
      gate.shape = std::move(shape);
    }
    guarded(e, what, [&] { my_plan.add_gate(std::move(gate)); });
  }

  // Gating-ML 2.0 §5.3.4: dividers with values, quadrants with positions.
  void read_quadrant_gate(const Element& e, const std::string& id, const std::string& parent,
                          const std::string& what) {
    QuadrantGate gate;
    gate.id = id;
    gate.parent = parent;
    for (const Element& d : children(e, Ns::gating, "divider")) {
      QuadrantGate::Divider divider;
      divider.id = required_name(d, Ns::gating, "id", where_of(d, what));
      const std::string divider_what = fmt::format("divider '{}' of {}", divider.id, what);
      divider.dimension = read_dimension(d, divider_what);
      for (const Element& v : children(d, Ns::gating, "value")) {
        divider.values.push_back(to_number(v.node.text().get(), "gating:value", where_of(v, divider_what)));
      }
      gate.dividers.push_back(std::move(divider));
    }
    for (const Element& q : children(e, Ns::gating, "Quadrant")) {
      QuadrantGate::Quadrant quadrant;
      quadrant.id = required_name(q, Ns::gating, "id", where_of(q, what));
      const std::string quadrant_what = fmt::format("gate '{}'", quadrant.id);
      if (auto name = attribute(q, Ns::gating, "name")) quadrant.name = std::string(*name);
      for (const Element& p : children(q, Ns::gating, "position")) {
        const std::string position_where = where_of(p, quadrant_what);
        QuadrantGate::Position position;
        position.divider = required_name(p, Ns::gating, "divider_ref", position_where);
        position.location = number(p, Ns::gating, "location", position_where);
        quadrant.positions.push_back(std::move(position));
      }
      gate.quadrants.push_back(std::move(quadrant));
    }
    my_quadrant_gate_ids.insert(id);
    guarded(e, what, [&] { my_plan.add_quadrant_gate(std::move(gate)); });
  }

  // ---- whole-document checks -----------------------------------------------------------

  // Where the population `id` was defined, for messages.
  std::string where_gate(const std::string& id) const {
    const std::string what = fmt::format("gate '{}'", id);
    if (auto it = my_places.find(what); it != my_places.end()) {
      return fmt::format("line {}, {}", my_lines.line(it->second), what);
    }
    return what;
  }

  void check_population(const std::string& id, const std::string& ref, std::string_view role) const {
    if (my_plan.has_population(ref)) return;
    if (my_quadrant_gate_ids.contains(ref)) {
      fail(ErrorKind::reference, where_gate(id),
           fmt::format("{} '{}' is a QuadrantGate, which is no population: name one of its Quadrants "
                       "(docs/formats.md §2.5)",
                       role, ref));
    }
    fail(ErrorKind::reference, where_gate(id), fmt::format("{} '{}' names no gate of the document", role, ref));
  }

  // Every parent_id and gateReference names a population (Gating-ML 2.0 §5.1, §5.3.5).
  void check_references() const {
    for (const Gate& g : my_plan.gates()) {
      if (!g.parent.empty()) check_population(g.id, g.parent, "parent_id");
      if (const auto* b = std::get_if<BooleanGate>(&g.shape)) {
        for (const auto& o : b->operands) check_population(g.id, o.gate, "gateReference");
      }
    }
    for (const QuadrantGate& q : my_plan.quadrant_gates()) {
      if (!q.parent.empty()) check_population(q.id, q.parent, "parent_id");
    }
  }

  // No cycle through parent_id and gateReference, and no chain longer than
  // max_dependency_depth: an iterative depth-first search, so no input can exhaust the stack.
  void check_dependencies() const {
    std::map<std::string_view, std::vector<std::string_view>> edges;
    for (const Gate& g : my_plan.gates()) {
      auto& out = edges[g.id];
      if (!g.parent.empty()) out.push_back(g.parent);
      if (const auto* b = std::get_if<BooleanGate>(&g.shape)) {
        for (const auto& o : b->operands) out.push_back(o.gate);
      }
    }
    for (const QuadrantGate& q : my_plan.quadrant_gates()) {
      for (const auto& quadrant : q.quadrants) {
        auto& out = edges[quadrant.id];
        if (!q.parent.empty()) out.push_back(q.parent);
      }
    }
    struct State {
      int colour = 0;         // 0 unseen, 1 on the path, 2 done
      std::size_t depth = 0;  // longest dependency chain below, once done
    };
    std::map<std::string_view, State> states;
    struct Frame {
      std::string_view id;
      std::size_t next = 0;
    };
    const std::vector<std::string_view> none;
    for (const std::string& start : my_plan.populations()) {
      if (states[start].colour != 0) continue;
      std::vector<Frame> path{{start, 0}};
      states[start].colour = 1;
      while (!path.empty()) {
        Frame& top = path.back();
        const auto it = edges.find(top.id);
        const auto& out = it == edges.end() ? none : it->second;
        if (top.next < out.size()) {
          const std::string_view next = out[top.next++];
          State& s = states[next];
          if (s.colour == 1) {
            std::string chain;
            auto from = std::find_if(path.begin(), path.end(), [&](const Frame& f) { return f.id == next; });
            for (auto k = from; k != path.end(); ++k) chain += fmt::format("{} → ", k->id);
            chain += next;
            fail(ErrorKind::structure, where_gate(std::string(top.id)),
                 fmt::format("the gates depend on each other in a cycle (parent_id, gateReference): {}", chain));
          }
          if (s.colour == 0) {
            s.colour = 1;
            path.push_back(Frame{next, 0});
          }
          continue;
        }
        std::size_t depth = 0;
        for (const std::string_view n : out) depth = std::max(depth, states[n].depth);
        State& done = states[top.id];
        done.colour = 2;
        done.depth = depth + 1;
        if (done.depth > max_dependency_depth) {
          fail(ErrorKind::unsupported, where_gate(std::string(top.id)),
               fmt::format("a chain of more than {} gates depending on each other", max_dependency_depth));
        }
        path.pop_back();
      }
    }
  }

  // The document first: the scopes and elements below point into it.
  pugi::xml_document my_document;
  std::string_view my_text;
  LineIndex my_lines;
  std::string my_source;
  GatingPlan my_plan;
  std::deque<Scope> my_scopes;
  std::vector<Element> my_matrices;
  std::vector<Element> my_transformations;
  std::vector<Element> my_gates;
  std::set<std::string, std::less<>> my_quadrant_gate_ids;
  std::map<std::string, std::ptrdiff_t, std::less<>> my_places;  // "gate 'X'" → byte offset of its element
};

// ---- writer ---------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(const GatingPlan& plan) : my_plan(plan) {}

  std::string run() {
    pugi::xml_document doc;
    pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    pugi::xml_node root = doc.append_child("gating:Gating-ML");
    root.append_attribute("xmlns:gating") = std::string(gating_uri).c_str();
    root.append_attribute("xmlns:transforms") = std::string(transforms_uri).c_str();
    root.append_attribute("xmlns:data-type") = std::string(datatypes_uri).c_str();

    collect_ids();
    for (const auto& entry : my_plan.matrices()) write_matrix(root, entry);
    for (const auto& [id, t] : my_plan.transforms()) write_transform(root, id, t);
    for (const auto& [id, r] : my_plan.ratios()) write_ratio(root, id, r);

    std::map<std::string_view, const Gate*> gates;
    for (const Gate& g : my_plan.gates()) gates.emplace(g.id, &g);
    std::map<std::string_view, const QuadrantGate*> quadrant_of;
    for (const QuadrantGate& q : my_plan.quadrant_gates()) {
      for (const auto& quadrant : q.quadrants) quadrant_of.emplace(quadrant.id, &q);
    }
    std::set<const QuadrantGate*> written;
    for (const std::string& id : my_plan.populations()) {
      if (auto g = gates.find(id); g != gates.end()) {
        write_gate(root, *g->second);
      } else if (auto q = quadrant_of.find(id); q != quadrant_of.end() && written.insert(q->second).second) {
        write_quadrant_gate(root, *q->second);
      }
    }

    std::ostringstream out;
    doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
    return std::move(out).str();
  }

 private:
  [[noreturn]] void fail(ErrorKind kind, const std::string& where, std::string reason) const {
    throw GatingMlError(kind, my_plan.source(), where, std::move(reason));
  }

  // XML 1.0 §2.2 allows no control character but tab, LF and CR; pugixml would write them
  // raw and make the document unreadable. A NUL would cut the string short.
  const char* text(const std::string& value, const std::string& where) const {
    for (const char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        fail(ErrorKind::invalid_argument, where,
             fmt::format("a name or id holds control character 0x{:02x}, which XML 1.0 cannot carry (§2.2)", u));
      }
    }
    return value.c_str();
  }

  void set(pugi::xml_node node, const char* name, const std::string& value, const std::string& where) const {
    node.append_attribute(name) = text(value, where);
  }
  static void set_number(pugi::xml_node node, const char* name, double value) {
    node.append_attribute(name) = format_number(value).c_str();
  }

  void collect_ids() {
    for (const auto& m : my_plan.matrices()) my_ids.insert(m.matrix.id());
    for (const auto& [id, t] : my_plan.transforms()) my_ids.insert(id);
    for (const auto& [id, r] : my_plan.ratios()) my_ids.insert(id);
    for (const auto& id : my_plan.populations()) my_ids.insert(id);
    for (const auto& q : my_plan.quadrant_gates()) {
      my_ids.insert(q.id);
      for (const auto& d : q.dividers) my_ids.insert(d.id);
    }
  }

  void write_names(pugi::xml_node list, const std::vector<std::string>& names, const std::string& where) const {
    for (const auto& name : names) {
      set(list.append_child("data-type:fcs-dimension"), "data-type:name", name, where);
    }
  }

  // Transformations.v2.0.xsd SpectrumMatrix_Type; rows as read_matrix reads them.
  void write_matrix(pugi::xml_node root, const GatingPlan::MatrixEntry& entry) const {
    const comp::SpectrumMatrix& m = entry.matrix;
    const std::string where = fmt::format("spectrum matrix '{}'", m.id());
    pugi::xml_node node = root.append_child("transforms:spectrumMatrix");
    set(node, "transforms:id", m.id(), where);
    const bool inverted = entry.options.matrix_inverted_already;
    if (inverted) node.append_attribute("transforms:matrix-inverted-already") = "true";
    write_names(node.append_child("transforms:fluorochromes"), m.fluorochromes(), where);
    write_names(node.append_child("transforms:detectors"), m.detectors(), where);
    const std::size_t columns = inverted ? m.fluorochrome_count() : m.detector_count();
    const auto coefficients = m.coefficients();
    for (std::size_t start = 0; columns > 0 && start < coefficients.size(); start += columns) {
      pugi::xml_node row = node.append_child("transforms:spectrum");
      for (std::size_t c = 0; c < columns; ++c) {
        set_number(row.append_child("transforms:coefficient"), "transforms:value", coefficients[start + c]);
      }
    }
  }

  static void write_bounds(pugi::xml_node node, const transform::Bounds& bounds) {
    if (bounds.min) set_number(node, "transforms:boundMin", *bounds.min);
    if (bounds.max) set_number(node, "transforms:boundMax", *bounds.max);
  }

  // Gating-ML 2.0 §6: one transforms:transformation per transform, with its bounds.
  void write_transform(pugi::xml_node root, const std::string& id, const transform::Transform& t) const {
    const std::string where = fmt::format("transformation '{}'", id);
    pugi::xml_node node = root.append_child("transforms:transformation");
    set(node, "transforms:id", id, where);
    std::visit(
        [&](const auto& x) {
          using T_ = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T_, transform::LinearTransform>) {
            write_bounds(node, x.bounds());
            pugi::xml_node k = node.append_child("transforms:flin");
            set_number(k, "transforms:T", x.t());
            set_number(k, "transforms:A", x.a());
          } else if constexpr (std::is_same_v<T_, transform::LogTransform>) {
            write_bounds(node, x.bounds());
            pugi::xml_node k = node.append_child("transforms:flog");
            set_number(k, "transforms:T", x.t());
            set_number(k, "transforms:M", x.m());
          } else if constexpr (std::is_same_v<T_, transform::AsinhTransform>) {
            write_bounds(node, x.bounds());
            pugi::xml_node k = node.append_child("transforms:fasinh");
            set_number(k, "transforms:T", x.t());
            set_number(k, "transforms:M", x.m());
            set_number(k, "transforms:A", x.a());
          } else if constexpr (std::is_same_v<T_, transform::LogicleTransform> ||
                               std::is_same_v<T_, transform::HyperlogTransform>) {
            write_bounds(node, x.bounds());
            constexpr bool logicle = std::is_same_v<T_, transform::LogicleTransform>;
            pugi::xml_node k = node.append_child(logicle ? "transforms:logicle" : "transforms:hyperlog");
            set_number(k, "transforms:T", x.t());
            set_number(k, "transforms:W", x.w());
            set_number(k, "transforms:M", x.m());
            set_number(k, "transforms:A", x.a());
          } else {
            // FlowJo linear, log and biex (docs/formats.md §3.3) have no Gating-ML 2.0 element.
            fail(ErrorKind::unsupported, where,
                 fmt::format("{} ({}) has no Gating-ML 2.0 form", t.name(), t.summary()));
          }
        },
        t.variant());
  }

  void write_ratio(pugi::xml_node root, const std::string& id, const Ratio& r) const {
    const std::string where = fmt::format("transformation '{}'", id);
    pugi::xml_node node = root.append_child("transforms:transformation");
    set(node, "transforms:id", id, where);
    write_bounds(node, r.transform.bounds());
    pugi::xml_node k = node.append_child("transforms:fratio");
    set_number(k, "transforms:A", r.transform.a());
    set_number(k, "transforms:B", r.transform.b());
    set_number(k, "transforms:C", r.transform.c());
    set(k.append_child("data-type:fcs-dimension"), "data-type:name", r.numerator, where);
    set(k.append_child("data-type:fcs-dimension"), "data-type:name", r.denominator, where);
  }

  // Attributes and child of a gating:dimension or gating:divider (Gating-ML 2.0 §5.2).
  void write_dimension(pugi::xml_node node, const Dimension& d, const std::string& where) const {
    set(node, "gating:compensation-ref", d.compensation, where);
    if (!d.transform.empty()) set(node, "gating:transformation-ref", d.transform, where);
  }
  void write_dimension_source(pugi::xml_node node, const Dimension& d, const std::string& where) const {
    if (!d.ratio.empty()) {
      set(node.append_child("data-type:new-dimension"), "data-type:transformation-ref", d.ratio, where);
    } else {
      set(node.append_child("data-type:fcs-dimension"), "data-type:name", d.channel, where);
    }
  }

  pugi::xml_node gate_element(pugi::xml_node root, const char* element, const std::string& id,
                              const std::string& parent, const std::string& name) const {
    const std::string where = fmt::format("gate '{}'", id);
    pugi::xml_node node = root.append_child(element);
    set(node, "gating:id", id, where);
    if (!parent.empty()) set(node, "gating:parent_id", parent, where);
    // Not in the standard; AbstractGate_Type's anyAttribute admits it.
    if (!name.empty() && name != id) set(node, "gating:name", name, where);
    return node;
  }

  std::string unique_id(const std::string& base) {
    std::string id = base;
    for (int k = 2; my_ids.contains(id); ++k) id = fmt::format("{}_{}", base, k);
    my_ids.insert(id);
    return id;
  }

  void write_gate(pugi::xml_node root, const Gate& g) {
    if (g.complement) {
      // No Gating-ML form: the shape as its own gate, and X = not(shape) under X's parent,
      // which leaves parent ∧ ¬(parent ∧ shape) = parent ∧ ¬shape (see gatingml.hpp).
      Gate shape = g;
      shape.complement = false;
      shape.id = unique_id(g.id + "_shape");
      shape.name.clear();
      write_gate(root, shape);
      // No custom_info note here: the re-read plan must write the same text again.
      pugi::xml_node node = gate_element(root, "gating:BooleanGate", g.id, g.parent, g.name);
      set(node.append_child("gating:not").append_child("gating:gateReference"), "gating:ref", shape.id,
          fmt::format("gate '{}'", g.id));
      return;
    }
    const std::string where = fmt::format("gate '{}'", g.id);
    std::visit(
        [&](const auto& s) {
          using S_ = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<S_, RectangleGate>) {
            pugi::xml_node node = gate_element(root, "gating:RectangleGate", g.id, g.parent, g.name);
            for (const Interval& i : s.intervals) {
              pugi::xml_node d = node.append_child("gating:dimension");
              write_dimension(d, i.dimension, where);
              if (i.min != -std::numeric_limits<double>::infinity()) set_number(d, "gating:min", i.min);
              if (i.max != std::numeric_limits<double>::infinity()) set_number(d, "gating:max", i.max);
              write_dimension_source(d, i.dimension, where);
            }
          } else if constexpr (std::is_same_v<S_, PolygonGate>) {
            pugi::xml_node node = gate_element(root, "gating:PolygonGate", g.id, g.parent, g.name);
            for (const Dimension* dim : {&s.x, &s.y}) {
              pugi::xml_node d = node.append_child("gating:dimension");
              write_dimension(d, *dim, where);
              write_dimension_source(d, *dim, where);
            }
            for (const Point& p : s.vertices) {
              pugi::xml_node v = node.append_child("gating:vertex");
              set_number(v.append_child("gating:coordinate"), "data-type:value", p.x);
              set_number(v.append_child("gating:coordinate"), "data-type:value", p.y);
            }
          } else if constexpr (std::is_same_v<S_, EllipsoidGate>) {
            pugi::xml_node node = gate_element(root, "gating:EllipsoidGate", g.id, g.parent, g.name);
            for (const Dimension& dim : s.dimensions) {
              pugi::xml_node d = node.append_child("gating:dimension");
              write_dimension(d, dim, where);
              write_dimension_source(d, dim, where);
            }
            pugi::xml_node mean = node.append_child("gating:mean");
            for (const double v : s.mean) set_number(mean.append_child("gating:coordinate"), "data-type:value", v);
            pugi::xml_node covariance = node.append_child("gating:covarianceMatrix");
            const std::size_t n = s.dimensions.size();
            for (std::size_t r = 0; r < n; ++r) {
              pugi::xml_node row = covariance.append_child("gating:row");
              for (std::size_t c = 0; c < n; ++c) {
                set_number(row.append_child("gating:entry"), "data-type:value", s.covariance[r * n + c]);
              }
            }
            set_number(node.append_child("gating:distanceSquare"), "data-type:value", s.distance_square);
          } else {
            pugi::xml_node node = gate_element(root, "gating:BooleanGate", g.id, g.parent, g.name);
            const char* op = s.op == BooleanGate::Op::and_op  ? "gating:and"
                             : s.op == BooleanGate::Op::or_op ? "gating:or"
                                                              : "gating:not";
            pugi::xml_node operands = node.append_child(op);
            for (const auto& o : s.operands) {
              pugi::xml_node r = operands.append_child("gating:gateReference");
              set(r, "gating:ref", o.gate, where);
              if (o.complement) r.append_attribute("gating:use-as-complement") = "true";
            }
          }
        },
        g.shape);
  }

  void write_quadrant_gate(pugi::xml_node root, const QuadrantGate& q) const {
    const std::string where = fmt::format("gate '{}'", q.id);
    pugi::xml_node node = gate_element(root, "gating:QuadrantGate", q.id, q.parent, {});
    for (const auto& d : q.dividers) {
      pugi::xml_node divider = node.append_child("gating:divider");
      set(divider, "gating:id", d.id, where);
      write_dimension(divider, d.dimension, where);
      write_dimension_source(divider, d.dimension, where);
      for (const double v : d.values) divider.append_child("gating:value").text().set(format_number(v).c_str());
    }
    for (const auto& quadrant : q.quadrants) {
      pugi::xml_node node_q = node.append_child("gating:Quadrant");
      set(node_q, "gating:id", quadrant.id, where);
      for (const auto& p : quadrant.positions) {
        pugi::xml_node position = node_q.append_child("gating:position");
        set(position, "gating:divider_ref", p.divider, where);
        set_number(position, "gating:location", p.location);
      }
    }
  }

  const GatingPlan& my_plan;
  std::set<std::string, std::less<>> my_ids;
};

}  // namespace

GatingPlan parse_gatingml(std::string_view xml, std::string_view source) { return Reader(xml, source).run(); }

GatingPlan parse_gatingml(std::span<const std::byte> bytes, std::string_view source) {
  return parse_gatingml(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), source);
}

GatingPlan read_gatingml_file(const std::filesystem::path& path) {
  return parse_gatingml(read_file<GatingMlError>(path), path.string());
}

std::string write_gatingml(const GatingPlan& plan) { return Writer(plan).run(); }

void write_gatingml_file(const GatingPlan& plan, const std::filesystem::path& path, bool overwrite) {
  write_file(path, write_gatingml(plan), overwrite);
}

}  // namespace escapade::gate
