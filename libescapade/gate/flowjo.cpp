// FlowJo 10 workspace (.wsp) import (docs/formats.md §3). One pass over the XML per sample:
// matrices and transforms first, then the population tree into specs (so that boolean
// dependents may name populations defined later), then the plan.
#include "libescapade/gate/flowjo.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "libescapade/base/file_io.hpp"
#include "libescapade/base/text.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/transform/transform.hpp"

namespace escapade::gate {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view gating_uri = "http://www.isac-net.org/std/Gating-ML/v2.0/gating";
constexpr std::string_view transforms_uri = "http://www.isac-net.org/std/Gating-ML/v2.0/transformations";
constexpr std::string_view datatype_uri = "http://www.isac-net.org/std/Gating-ML/v2.0/datatypes";

// Deeper nesting than any real gating tree; the limit keeps the recursion bounded on
// hostile input.
constexpr std::size_t max_depth = 256;
// gateResolution values FlowJo writes are 256 and 1024; more bins than FlowJo's 4096 biex
// channels would mean a file FlowJo did not write.
constexpr double max_resolution = 4096;
// Binned outlines are built only while they stay small: bins within ±2^16 (products of
// bin coordinates then fit int64 exactly), at most this many row × edge steps and vertices.
constexpr std::int64_t max_bin = std::int64_t{1} << 16;
constexpr std::int64_t max_raster_work = 50'000'000;
constexpr std::size_t max_outline_vertices = 400'000;
// An ellipse is tested bin by bin over its bounding box: 2048 × 2048 bins covers any
// ellipse of a 256-bin display several times over.
constexpr double max_ellipse_bins = 2048.0 * 2048.0;
// Left of every transformed event value; bridges between the pieces of a binned outline run
// along it (see `combine_rings`). Small enough that cross products stay finite.
constexpr double far_left = -1e150;

std::optional<double> parse_double(std::string_view text) {
  text = trim_space(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  text = trim_space(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The last component of a `file:` URI (FlowJo writes `file:/V:/dir/x.fcs`, percent-encoded),
// splitting on both separators because the path may come from Windows.
std::string uri_file_name(std::string_view uri) {
  const std::size_t cut = uri.find_last_of("/\\");
  std::string_view last = cut == std::string_view::npos ? uri : uri.substr(cut + 1);
  if (cut == std::string_view::npos && last.starts_with("file:")) last.remove_prefix(5);
  std::string out;
  for (std::size_t i = 0; i < last.size(); ++i) {
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (last[i] == '%' && i + 2 < last.size() && hex(last[i + 1]) >= 0 && hex(last[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(last[i + 1]) * 16 + hex(last[i + 2])));
      i += 2;
    } else {
      out.push_back(last[i]);
    }
  }
  return out;
}

// Byte offset → 1-based line, for errors (pugixml reports offsets into the buffer it parsed,
// which for UTF-8 input is the text as given).
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') my_newlines.push_back(i);
    }
  }
  [[nodiscard]] std::size_t line(std::ptrdiff_t offset) const {
    if (offset < 0) return 0;
    const auto it = std::lower_bound(my_newlines.begin(), my_newlines.end(), static_cast<std::size_t>(offset));
    return static_cast<std::size_t>(it - my_newlines.begin()) + 1;
  }

 private:
  std::vector<std::size_t> my_newlines;
};

// ---- binned outlines (FlowJoBinning::flowjo) ---------------------------------------------
//
// FlowJo tests a polygon or ellipse on display bins (FlowKit issue #113): the event's bin
// against the gate drawn in bins. The plan model has no binned gate, so the importer builds
// the set of plan-space points whose bin is inside: a union of whole bins, which is a
// rectilinear "staircase" polygon in transform-output units. Bins are half-open
// ([lower, upper)), plan polygons include their boundary (gate.hpp), so every upper edge is
// placed one double below the bin's upper bound.

using Span = std::pair<std::int64_t, std::int64_t>;  // bins [first, second] of one row

struct Raster {
  std::int64_t row0 = 0;                // bin row of rows[0]
  std::vector<std::vector<Span>> rows;  // sorted, disjoint, non-adjacent spans per row
};

// One axis of the display grid.
struct Grid {
  double scale = 1;         // display bins per transform-output unit
  bool floor_bins = false;  // bin = floor(display) (biex) instead of the nearest integer

  [[nodiscard]] double bin(double display) const {
    return floor_bins ? std::floor(display) : std::floor(display + 0.5);
  }
  // Plan-space bounds of bin i: lower inclusive, upper as the last double below the bound.
  [[nodiscard]] double lower(std::int64_t i) const {
    const double b = static_cast<double>(i);
    return (floor_bins ? b : b - 0.5) / scale;
  }
  [[nodiscard]] double upper(std::int64_t i) const {
    const double b = static_cast<double>(i);
    return std::nextafter((floor_bins ? b + 1.0 : b + 0.5) / scale, -std::numeric_limits<double>::infinity());
  }
};

std::int64_t floor_div(std::int64_t n, std::int64_t d) {  // d > 0
  return n >= 0 ? n / d : -((-n + d - 1) / d);
}

void merge_spans(std::vector<Span>& spans) {
  std::sort(spans.begin(), spans.end());
  std::vector<Span> merged;
  for (const Span& s : spans) {
    if (!merged.empty() && s.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, s.second);
    } else {
      merged.push_back(s);
    }
  }
  spans = std::move(merged);
}

// Bins (i, j) inside or on the polygon with integer vertices (even-odd rule, boundary
// inside, as gate.hpp's polygons): per row, the crossings of the line y = j with the edges
// pair up into inside intervals; horizontal edges and vertices on the row are added. All
// arithmetic is exact in int64 (|coordinates| ≤ 2^16).
std::optional<Raster> raster_polygon(const std::vector<std::array<std::int64_t, 2>>& v) {
  std::int64_t y0 = v.front()[1];
  std::int64_t y1 = y0;
  for (const auto& p : v) {
    y0 = std::min(y0, p[1]);
    y1 = std::max(y1, p[1]);
  }
  const std::int64_t n = static_cast<std::int64_t>(v.size());
  if ((y1 - y0 + 1) * n > max_raster_work) return std::nullopt;
  Raster raster;
  raster.row0 = y0;
  raster.rows.resize(static_cast<std::size_t>(y1 - y0 + 1));
  struct Crossing {
    std::int64_t num;  // x = num / den, den > 0
    std::int64_t den;
  };
  std::vector<Crossing> crossings;
  for (std::int64_t j = y0; j <= y1; ++j) {
    std::vector<Span>& spans = raster.rows[static_cast<std::size_t>(j - y0)];
    crossings.clear();
    for (std::size_t k = 0; k < v.size(); ++k) {
      const auto& a = v[k];
      const auto& b = v[(k + 1) % v.size()];
      if (a[1] == j && b[1] == j) spans.emplace_back(std::min(a[0], b[0]), std::max(a[0], b[0]));
      if (a[1] == j) spans.emplace_back(a[0], a[0]);
      if ((a[1] > j) != (b[1] > j)) {
        std::int64_t den = b[1] - a[1];
        std::int64_t num = a[0] * den + (j - a[1]) * (b[0] - a[0]);
        if (den < 0) {
          den = -den;
          num = -num;
        }
        crossings.push_back({num, den});
      }
    }
    std::sort(crossings.begin(), crossings.end(),
              [](const Crossing& p, const Crossing& q) { return p.num * q.den < q.num * p.den; });
    for (std::size_t k = 0; k + 1 < crossings.size(); k += 2) {
      const std::int64_t lo = -floor_div(-crossings[k].num, crossings[k].den);
      const std::int64_t hi = floor_div(crossings[k + 1].num, crossings[k + 1].den);
      if (lo <= hi) spans.emplace_back(lo, hi);
    }
    merge_spans(spans);
  }
  return raster;
}

// Bins (i, j) with d((i,j), f1) + d((i,j), f2) ≤ two_a (docs/formats.md §3.4), in display units.
std::optional<Raster> raster_ellipse(std::array<double, 2> f1, std::array<double, 2> f2, double two_a) {
  const double half = two_a / 2;
  const double lo_x = std::floor(std::min(f1[0], f2[0]) - half) - 1;
  const double hi_x = std::ceil(std::max(f1[0], f2[0]) + half) + 1;
  const double lo_y = std::floor(std::min(f1[1], f2[1]) - half) - 1;
  const double hi_y = std::ceil(std::max(f1[1], f2[1]) + half) + 1;
  const double bound = static_cast<double>(max_bin);
  if (!(lo_x > -bound && hi_x < bound && lo_y > -bound && hi_y < bound)) return std::nullopt;
  if ((hi_x - lo_x + 1) * (hi_y - lo_y + 1) > max_ellipse_bins) return std::nullopt;
  Raster raster;
  raster.row0 = static_cast<std::int64_t>(lo_y);
  for (auto j = static_cast<std::int64_t>(lo_y); j <= static_cast<std::int64_t>(hi_y); ++j) {
    std::vector<Span> spans;
    for (auto i = static_cast<std::int64_t>(lo_x); i <= static_cast<std::int64_t>(hi_x); ++i) {
      const double x = static_cast<double>(i);
      const double y = static_cast<double>(j);
      if (std::hypot(x - f1[0], y - f1[1]) + std::hypot(x - f2[0], y - f2[1]) <= two_a) {
        if (!spans.empty() && spans.back().second == i - 1) {
          spans.back().second = i;
        } else {
          spans.emplace_back(i, i);
        }
      }
    }
    raster.rows.push_back(std::move(spans));
  }
  return raster;
}

// A run of rows with one span each, consecutive spans overlapping: its outline is one
// simple staircase ring.
struct Piece {
  std::int64_t row0 = 0;
  std::vector<Span> spans;
};

std::vector<Piece> split_pieces(const Raster& raster) {
  std::vector<Piece> pieces;
  std::vector<std::size_t> open;  // pieces whose last row is the previous one, left to right
  for (std::size_t k = 0; k < raster.rows.size(); ++k) {
    const std::vector<Span>& spans = raster.rows[k];
    // Both rows are sorted and disjoint, so the spans of the previous row that overlap a span
    // form a run, found with one forward pointer (linear in the two rows).
    std::vector<std::size_t> links_up(open.size(), 0);  // overlapping spans of this row, per open piece
    std::vector<std::pair<std::size_t, std::size_t>> below(spans.size());  // [first, last+1) in `open`
    std::size_t p = 0;
    for (std::size_t i = 0; i < spans.size(); ++i) {
      while (p < open.size() && pieces[open[p]].spans.back().second < spans[i].first) ++p;
      std::size_t q = p;
      while (q < open.size() && pieces[open[q]].spans.back().first <= spans[i].second) ++links_up[q++];
      below[i] = {p, q};
    }
    std::vector<std::size_t> next_open;
    for (std::size_t i = 0; i < spans.size(); ++i) {
      // Continue only a one-to-one link: a piece that splits or merges starts new rings.
      const auto [first, last] = below[i];
      if (last - first == 1 && links_up[first] == 1) {
        pieces[open[first]].spans.push_back(spans[i]);
        next_open.push_back(open[first]);
      } else {
        pieces.push_back(Piece{raster.row0 + static_cast<std::int64_t>(k), {spans[i]}});
        next_open.push_back(pieces.size() - 1);
      }
    }
    open = std::move(next_open);
  }
  return pieces;
}

// The staircase ring of one piece, counter-clockwise from its bottom-left corner. Where the
// outline steps between two rows, the step lies on the upper row's lower bound when the
// region widens there (those points belong to the upper row) and one double below it when
// the region narrows (they belong only to the lower row).
std::vector<Point> piece_ring(const Piece& piece, const Grid& gx, const Grid& gy) {
  const std::vector<Span>& s = piece.spans;
  const std::size_t m = s.size();
  const auto row = [&](std::size_t k) { return piece.row0 + static_cast<std::int64_t>(k); };
  std::vector<Point> ring;
  ring.push_back({gx.lower(s[0].first), gy.lower(row(0))});
  ring.push_back({gx.upper(s[0].second), gy.lower(row(0))});
  for (std::size_t k = 0; k < m; ++k) {
    const double x = gx.upper(s[k].second);
    if (k + 1 < m) {
      const double next = gx.upper(s[k + 1].second);
      if (next == x) continue;
      const double y = next > x ? gy.lower(row(k + 1)) : gy.upper(row(k));
      ring.push_back({x, y});
      ring.push_back({next, y});
    } else {
      ring.push_back({x, gy.upper(row(k))});
    }
  }
  ring.push_back({gx.lower(s[m - 1].first), gy.upper(row(m - 1))});
  for (std::size_t k = m - 1; k > 0; --k) {
    const double x = gx.lower(s[k].first);
    const double below = gx.lower(s[k - 1].first);
    if (below == x) continue;
    const double y = x < below ? gy.lower(row(k)) : gy.upper(row(k - 1));
    ring.push_back({x, y});
    ring.push_back({below, y});
  }
  return ring;
}

// Several rings as one even-odd polygon: each ring hangs off a vertical trunk at
// `far_left` by a bridge traversed twice, so bridges and trunk change no point's parity.
// Points exactly on a bridge would count as on the boundary; the bridge of a ring runs one
// double below the ring's lower bound, a value no event takes in practice.
std::vector<Point> combine_rings(const std::vector<std::vector<Point>>& rings) {
  if (rings.size() == 1) return rings.front();
  std::vector<Point> out;
  const auto push = [&](Point p) {
    if (out.empty() || !(out.back() == p)) out.push_back(p);
  };
  for (const auto& ring : rings) {
    const Point start = ring.front();
    const double y = std::nextafter(start.y, -std::numeric_limits<double>::infinity());
    push({far_left, y});
    push({start.x, y});
    for (const Point& p : ring) push(p);
    push(start);
    push({start.x, y});
    push({far_left, y});
  }
  return out;
}

// The outline of a raster in plan space, or nullopt if it would be too large.
std::optional<std::vector<Point>> outline(const Raster& raster, const Grid& gx, const Grid& gy) {
  const std::vector<Piece> pieces = split_pieces(raster);
  if (pieces.empty()) {
    // No bin is inside: a triangle where no event can be.
    return std::vector<Point>{{2 * far_left, 2 * far_left}, {far_left, 2 * far_left}, {far_left, far_left}};
  }
  std::vector<std::vector<Point>> rings;
  std::size_t total = 0;
  for (const Piece& p : pieces) {
    rings.push_back(piece_ring(p, gx, gy));
    total += rings.back().size() + 6;
    if (total > max_outline_vertices) return std::nullopt;
  }
  return combine_rings(rings);
}

// ---- the parser ---------------------------------------------------------------------------

struct Axis {
  Dimension dimension;                        // with the transform, for polygons and ellipses
  std::string name;                           // as the workspace writes it
  const transform::Transform* transform = nullptr;
};

struct MatrixInfo {
  std::string id;  // plan matrix id, or `file_compensation` for a matrix without coefficients
  std::string prefix;
  std::string suffix;
  std::vector<std::string> fluorochromes;
};

struct PopulationSpec {
  WorkspacePopulation info;
  std::string parent;  // parent population id ("" = all events)
  std::optional<Gate> gate;
  BooleanGate::Op op = BooleanGate::Op::and_op;
  std::vector<std::string> dependents;  // boolean operand paths
  pugi::xml_node node;
};

class Parser {
 public:
  Parser(std::string_view xml, std::string_view source, const WorkspaceOptions& options)
      : my_xml(xml), my_source(source), my_options(options), my_lines(xml) {}

  Workspace run() {
    Workspace ws;
    ws.source = std::string(my_source);
    const pugi::xml_parse_result parsed =
        my_doc.load_buffer(my_xml.data(), my_xml.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
      throw WorkspaceError(ErrorKind::format, ws.source, fmt::format("line {}", my_lines.line(parsed.offset)),
                           fmt::format("malformed XML: {}", parsed.description()));
    }
    const pugi::xml_node root = my_doc.document_element();
    if (std::string_view(root.name()) != "Workspace") {
      fail(ErrorKind::format, root, "",
           fmt::format("the root element is <{}>, not <Workspace> (not a FlowJo 10 workspace)", root.name()));
    }
    read_namespaces(root);
    ws.version = root.attribute("version").value();
    ws.flowjo_version = root.attribute("flowJoVersion").value();

    for (pugi::xml_node group : root.child("Groups").children("GroupNode")) {
      WorkspaceGroup g;
      g.name = group.attribute("name").value();
      for (pugi::xml_node ref : group.child("Group").child("SampleRefs").children("SampleRef")) {
        g.sample_ids.emplace_back(ref.attribute("sampleID").value());
      }
      ws.groups.push_back(std::move(g));
    }

    std::set<std::string, std::less<>> ids;
    for (pugi::xml_node sample : root.child("SampleList").children("Sample")) {
      WorkspaceSample s = read_sample(sample);
      if (!ids.insert(s.sample_id).second) {
        fail(ErrorKind::structure, sample, "", fmt::format("sample id '{}' appears twice", s.sample_id));
      }
      ws.samples.push_back(std::move(s));
    }
    ws.warnings = std::move(my_warnings);
    return ws;
  }

 private:
  // -- places, errors, names

  [[nodiscard]] std::string where(pugi::xml_node node, std::string_view path) const {
    std::string w = fmt::format("line {}", my_lines.line(node.offset_debug()));
    if (!path.empty()) w += fmt::format(", population {}", path);
    return w;
  }

  [[noreturn]] void fail(ErrorKind kind, pugi::xml_node node, std::string_view path, std::string reason) const {
    throw WorkspaceError(kind, std::string(my_source), where(node, path), std::move(reason));
  }

  void warn(pugi::xml_node node, std::string_view path, std::string reason) {
    my_warnings.push_back(Warning{std::string(my_source), where(node, path), std::move(reason)});
  }

  // FlowJo declares the three Gating-ML namespaces on the root (docs/formats.md §3.1); prefixes
  // are looked up there, with FlowJo's own prefixes when a declaration is missing.
  void read_namespaces(pugi::xml_node root) {
    for (pugi::xml_attribute a : root.attributes()) {
      const std::string_view name = a.name();
      if (!name.starts_with("xmlns:")) continue;
      const std::string prefix(name.substr(6));
      const std::string_view uri = a.value();
      if (uri == gating_uri) my_gating = prefix;
      if (uri == transforms_uri) my_transforms = prefix;
      if (uri == datatype_uri) my_datatype = prefix;
    }
  }

  [[nodiscard]] static std::string qualified(const std::string& prefix, std::string_view local) {
    return prefix.empty() ? std::string(local) : prefix + ":" + std::string(local);
  }
  // The local name of an element in namespace `prefix`, or empty.
  [[nodiscard]] static std::string_view local_name(pugi::xml_node node, const std::string& prefix) {
    const std::string_view name = node.name();
    if (prefix.empty()) return name;
    if (name.size() > prefix.size() + 1 && name.starts_with(prefix) && name[prefix.size()] == ':') {
      return name.substr(prefix.size() + 1);
    }
    return {};
  }
  [[nodiscard]] static pugi::xml_node child(pugi::xml_node node, const std::string& prefix, std::string_view local) {
    return node.child(qualified(prefix, local).c_str());
  }
  // Element children named prefix:local. (A vector, because pugixml's named ranges keep a
  // pointer to the name, which must outlive the loop.)
  [[nodiscard]] static std::vector<pugi::xml_node> children(pugi::xml_node node, const std::string& prefix,
                                                            std::string_view local) {
    const std::string name = qualified(prefix, local);
    std::vector<pugi::xml_node> out;
    for (pugi::xml_node c : node.children(name.c_str())) out.push_back(c);
    return out;
  }
  // A namespaced attribute, or the same name without a prefix (FlowJo mixes both).
  [[nodiscard]] static pugi::xml_attribute attribute(pugi::xml_node node, const std::string& prefix,
                                                     std::string_view local) {
    pugi::xml_attribute a = node.attribute(qualified(prefix, local).c_str());
    if (!a) a = node.attribute(std::string(local).c_str());
    return a;
  }

  [[nodiscard]] double number(pugi::xml_node node, const std::string& prefix, std::string_view local,
                              std::string_view path) const {
    const pugi::xml_attribute a = attribute(node, prefix, local);
    if (!a) fail(ErrorKind::format, node, path, fmt::format("<{}> has no attribute {}", node.name(), qualified(prefix, local)));
    const auto value = parse_double(a.value());
    if (!value) {
      fail(ErrorKind::format, node, path,
           fmt::format("attribute {} = '{}' is not a finite number", qualified(prefix, local), a.value()));
    }
    return *value;
  }

  [[nodiscard]] std::optional<double> optional_number(pugi::xml_node node, const std::string& prefix,
                                                      std::string_view local, std::string_view path) const {
    if (!attribute(node, prefix, local)) return std::nullopt;
    return number(node, prefix, local, path);
  }

  [[nodiscard]] std::int64_t count(pugi::xml_node node, std::string_view path) {
    const pugi::xml_attribute a = node.attribute("count");
    if (!a) return -1;
    const auto value = parse_int(a.value());
    if (!value || *value < -1) {
      warn(node, path, fmt::format("count = '{}' is not an event count; read as -1 (not computed)", a.value()));
      return -1;
    }
    return *value;
  }

  // -- samples

  WorkspaceSample read_sample(pugi::xml_node sample) {
    WorkspaceSample s;
    const pugi::xml_node data_set = sample.child("DataSet");
    const pugi::xml_node node = sample.child("SampleNode");
    if (!node) fail(ErrorKind::format, sample, "", "<Sample> has no <SampleNode>");
    s.uri = data_set.attribute("uri").value();
    s.uri_file_name = uri_file_name(s.uri);
    s.sample_id = data_set.attribute("sampleID").value();
    if (s.sample_id.empty()) s.sample_id = node.attribute("sampleID").value();
    if (s.sample_id.empty()) fail(ErrorKind::format, sample, "", "<Sample> has no sampleID (DataSet or SampleNode)");
    s.name = node.attribute("name").value();
    s.flowjo_count = count(node, "");
    s.plan = GatingPlan(std::string(my_source));

    for (pugi::xml_node k : sample.child("Keywords").children("Keyword")) {
      if (!s.keywords.add(k.attribute("name").value(), k.attribute("value").value())) {
        warn(k, "", fmt::format("keyword '{}' repeats; the first value is kept", k.attribute("name").value()));
      }
    }
    my_parameters = parameter_names(s.keywords);

    my_matrices.clear();
    for (pugi::xml_node m : children(sample, my_transforms, "spilloverMatrix")) {
      read_matrix(m, s.plan);
    }
    my_transform_ids.clear();
    for (pugi::xml_node t : sample.child("Transformations").children()) {
      if (t.type() == pugi::node_element) read_transform(t, s.plan);
    }
    // Transformations list FlowJo's parameters too (derived ones included).
    for (const auto& [name, unused] : my_transform_ids) {
      if (!my_parameters.empty() && !compensated(name)) my_parameters.insert(name);
    }

    my_plan = &s.plan;
    std::vector<PopulationSpec> specs;
    std::map<std::string, std::size_t, std::less<>> by_path;
    std::set<std::string, std::less<>> ids;
    for (pugi::xml_node sub : node.children("Subpopulations")) {
      read_subpopulations(sub, "", "", 1, specs, by_path, ids);
    }
    build_plan(s, specs, by_path);
    // References and cycles (a boolean node naming its own descendant) are the plan's to check.
    try {
      s.plan.validate();
    } catch (const Error& e) {
      fail(e.kind(), node, "", fmt::format("sample '{}', {}: {}", s.sample_id, e.where(), e.reason()));
    }
    return s;
  }

  // $PnN of the workspace's keyword copy: the parameters gates may use.
  static std::set<std::string, std::less<>> parameter_names(const fcs::Keywords& keywords) {
    std::set<std::string, std::less<>> names;
    for (const fcs::Keyword& k : keywords.all()) {
      const std::string_view n = k.name;
      if (n.size() < 4 || (n[0] != '$') || (n[1] != 'P' && n[1] != 'p')) continue;
      if (n.back() != 'N' && n.back() != 'n') continue;
      const std::string_view digits = n.substr(2, n.size() - 3);
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      names.insert(std::string(trim_space(k.value)));
    }
    return names;
  }

  // docs/formats.md §3.2: rows are sources (spillover@parameter), columns detectors; the
  // orientation of $SPILLOVER and of comp::SpectrumMatrix.
  void read_matrix(pugi::xml_node m, GatingPlan& plan) {
    MatrixInfo info;
    info.prefix = m.attribute("prefix") ? m.attribute("prefix").value() : "Comp-";
    info.suffix = m.attribute("suffix").value();
    const std::string name = m.attribute("name").value();
    std::string id = !name.empty() ? name : std::string(attribute(m, my_transforms, "id").value());
    if (id.empty()) id = "matrix";
    if (id == uncompensated || id == file_compensation) id += " (workspace)";
    const std::string base = id;
    for (int k = 2; std::any_of(my_matrices.begin(), my_matrices.end(), [&](const MatrixInfo& x) { return x.id == id; });
         ++k) {
      id = fmt::format("{} #{}", base, k);
    }

    std::vector<std::string> detectors;
    for (pugi::xml_node p : children(child(m, my_datatype, "parameters"), my_datatype, "parameter")) {
      detectors.emplace_back(attribute(p, my_datatype, "name").value());
    }
    std::vector<std::string> rows;
    std::vector<std::vector<std::pair<std::string, double>>> cells;
    for (pugi::xml_node r : children(m, my_transforms, "spillover")) {
      rows.emplace_back(attribute(r, my_datatype, "parameter").value());
      cells.emplace_back();
      for (pugi::xml_node c : children(r, my_transforms, "coefficient")) {
        cells.back().emplace_back(attribute(c, my_datatype, "parameter").value(), number(c, my_transforms, "value", ""));
      }
    }
    if (rows.empty()) {
      // "Acquisition-defined" without coefficients: the FCS file's own spillover keyword.
      if (detectors.empty()) fail(ErrorKind::format, m, "", fmt::format("spilloverMatrix '{}' names no parameters", base));
      info.id = std::string(file_compensation);
      info.fluorochromes = detectors;
      warn(m, "", fmt::format("spilloverMatrix '{}' has no coefficients; the FCS file's spillover keyword is used", base));
      my_matrices.push_back(std::move(info));
      return;
    }
    if (detectors.empty()) {
      for (const auto& [d, unused] : cells.front()) detectors.push_back(d);
    }
    std::vector<double> coefficients(rows.size() * detectors.size(), 0.0);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::vector<bool> seen(detectors.size(), false);
      for (const auto& [d, value] : cells[r]) {
        const auto it = std::find(detectors.begin(), detectors.end(), d);
        if (it == detectors.end()) {
          fail(ErrorKind::format, m, "",
               fmt::format("spilloverMatrix '{}' row '{}' has a coefficient for '{}', which is not one of its parameters",
                           base, rows[r], d));
        }
        const auto c = static_cast<std::size_t>(it - detectors.begin());
        seen[c] = true;
        coefficients[r * detectors.size() + c] = value;
      }
      if (std::find(seen.begin(), seen.end(), false) != seen.end()) {
        fail(ErrorKind::format, m, "",
             fmt::format("spilloverMatrix '{}' row '{}' has {} coefficients for {} parameters", base, rows[r],
                         cells[r].size(), detectors.size()));
      }
    }
    try {
      plan.add_matrix(comp::SpectrumMatrix(rows, detectors, std::move(coefficients), id));
    } catch (const Error& e) {
      fail(e.kind() == ErrorKind::numeric ? ErrorKind::numeric : ErrorKind::format, m, "",
           fmt::format("spilloverMatrix '{}': {}", base, e.reason()));
    }
    info.id = id;
    info.fluorochromes = std::move(rows);
    my_matrices.push_back(std::move(info));
  }

  // docs/formats.md §3.3: one element per parameter, including `Comp-` names.
  void read_transform(pugi::xml_node t, GatingPlan& plan) {
    const std::string_view kind = local_name(t, my_transforms);
    const std::string name = attribute(child(t, my_datatype, "parameter"), my_datatype, "name").value();
    if (name.empty()) fail(ErrorKind::format, t, "", fmt::format("<{}> names no data-type:parameter", t.name()));
    const auto num = [&](std::string_view local) { return number(t, my_transforms, local, ""); };
    const auto num_or = [&](std::string_view local, double fallback) {
      return optional_number(t, my_transforms, local, "").value_or(fallback);
    };
    std::optional<transform::Transform> made;
    try {
      if (kind == "linear") {
        made = transform::FlowJoLinearTransform(num("minRange"), num("maxRange"), num_or("gain", 1.0));
      } else if (kind == "log") {
        made = transform::FlowJoLogTransform(num("offset"), num("decades"));
      } else if (kind == "biex") {
        made = transform::FlowJoBiexTransform(num("neg"), num("width"), num("pos"), num_or("length", 256.0),
                                              num_or("maxRange", 262144.0));
      } else if (kind == "fasinh") {
        made = transform::flowjo_fasinh(num("T"), num("M"), num("A"), num_or("W", 0.0), num_or("length", 256.0),
                                        num_or("maxRange", 262144.0));
      } else if (kind == "logicle") {
        made = transform::flowjo_logicle(num("T"), num("W"), num("M"), num("A"));
      } else {
        fail(ErrorKind::unsupported, t, "",
             fmt::format("unknown transform element <{}> for parameter '{}' (known: linear, log, biex, fasinh, logicle)",
                         t.name(), name));
      }
    } catch (const WorkspaceError&) {
      throw;
    } catch (const Error& e) {
      fail(ErrorKind::numeric, t, "", fmt::format("transform of '{}': {}", name, e.reason()));
    }
    if (my_transform_ids.count(name) != 0) {
      warn(t, "", fmt::format("parameter '{}' has a second transform; the first is kept", name));
      return;
    }
    try {
      plan.add_transform(name, *made);
    } catch (const Error& e) {
      fail(ErrorKind::structure, t, "", fmt::format("transform of '{}': {}", name, e.reason()));
    }
    my_transform_ids.emplace(name, plan.transforms().size() - 1);
  }

  [[nodiscard]] const MatrixInfo* compensated(std::string_view name, std::string* channel = nullptr) const {
    for (const MatrixInfo& m : my_matrices) {
      if (name.size() < m.prefix.size() + m.suffix.size() || !name.starts_with(m.prefix) || !name.ends_with(m.suffix)) {
        continue;
      }
      const std::string_view bare = name.substr(m.prefix.size(), name.size() - m.prefix.size() - m.suffix.size());
      if (std::find(m.fluorochromes.begin(), m.fluorochromes.end(), bare) != m.fluorochromes.end()) {
        if (channel != nullptr) *channel = std::string(bare);
        return &m;
      }
    }
    return nullptr;
  }

  [[nodiscard]] const transform::Transform* transform_of(const GatingPlan& plan, std::string_view name,
                                                         std::string* id) const {
    const auto it = my_transform_ids.find(name);
    if (it == my_transform_ids.end()) return nullptr;
    *id = it->first;
    return &plan.transforms()[it->second].second;
  }

  // A gate dimension name → channel, compensation and transform (docs/formats.md §3.2).
  Axis resolve_axis(pugi::xml_node dim, const GatingPlan& plan, std::string_view path) const {
    const pugi::xml_node fcs_dim = child(dim, my_datatype, "fcs-dimension");
    if (!fcs_dim) {
      if (child(dim, my_datatype, "new-dimension")) {
        fail(ErrorKind::unsupported, dim, path, "gate dimensions of derived (new-dimension) parameters are not supported");
      }
      fail(ErrorKind::format, dim, path, "gating:dimension has no data-type:fcs-dimension");
    }
    Axis axis;
    axis.name = attribute(fcs_dim, my_datatype, "name").value();
    if (axis.name.empty()) fail(ErrorKind::format, fcs_dim, path, "data-type:fcs-dimension has no data-type:name");
    std::string channel;
    if (const MatrixInfo* m = compensated(axis.name, &channel)) {
      axis.dimension.channel = channel;
      axis.dimension.compensation = m->id;
    } else if (my_parameters.empty() || my_parameters.count(axis.name) != 0) {
      axis.dimension.channel = axis.name;
    } else {
      // FlowJo writes '/' in channel names as '_' (docs/formats.md §3.1, FlowKit comment).
      const auto it = std::find_if(my_parameters.begin(), my_parameters.end(), [&](const std::string& p) {
        std::string q = p;
        std::replace(q.begin(), q.end(), '/', '_');
        return q == axis.name;
      });
      if (it == my_parameters.end()) {
        std::string known;
        for (const std::string& p : my_parameters) known += (known.empty() ? "" : ", ") + p;
        fail(ErrorKind::reference, fcs_dim, path,
             fmt::format("gate dimension '{}' is not a parameter of the sample (parameters: {})", axis.name, known));
      }
      axis.dimension.channel = *it;
    }
    std::string id;
    axis.transform = transform_of(plan, axis.name, &id);
    if (axis.transform == nullptr && axis.dimension.compensation != uncompensated) {
      axis.transform = transform_of(plan, axis.dimension.channel, &id);
    }
    if (axis.transform != nullptr) axis.dimension.transform = id;
    return axis;
  }

  // -- the population tree

  void read_subpopulations(pugi::xml_node sub, const std::string& parent_id, const std::string& parent_path,
                           std::size_t depth, std::vector<PopulationSpec>& specs,
                           std::map<std::string, std::size_t, std::less<>>& by_path,
                           std::set<std::string, std::less<>>& ids) {
    if (depth > max_depth) {
      fail(ErrorKind::unsupported, sub, parent_path, fmt::format("populations nest deeper than {} levels", max_depth));
    }
    for (pugi::xml_node node : sub.children()) {
      const std::string_view element = node.name();
      const bool population = element == "Population";
      const bool boolean = element == "AndNode" || element == "OrNode" || element == "NotNode";
      if (!population && !boolean) continue;
      PopulationSpec spec;
      spec.node = node;
      spec.parent = parent_id;
      const pugi::xml_attribute name = node.attribute("name");
      if (!name) fail(ErrorKind::format, node, parent_path, fmt::format("<{}> has no name", element));
      spec.info.name = name.value();
      spec.info.path = parent_path.empty() ? spec.info.name : parent_path + "/" + spec.info.name;
      spec.info.line = my_lines.line(node.offset_debug());
      spec.info.flowjo_count = count(node, spec.info.path);
      spec.info.id = spec.info.path;
      if (ids.count(spec.info.id) != 0) {
        for (int k = 2; ids.count(spec.info.id) != 0; ++k) spec.info.id = fmt::format("{} #{}", spec.info.path, k);
        warn(node, spec.info.path, fmt::format("a sibling has the same name; this population's id is '{}'", spec.info.id));
      }
      ids.insert(spec.info.id);
      if (!by_path.emplace(spec.info.path, specs.size()).second) {
        by_path[spec.info.path] = std::numeric_limits<std::size_t>::max();  // ambiguous
      }
      if (population) {
        spec.gate = read_gate(node, spec);
      } else {
        spec.info.gate_type = std::string(element);
        spec.op = element == "AndNode" ? BooleanGate::Op::and_op
                  : element == "OrNode" ? BooleanGate::Op::or_op
                                        : BooleanGate::Op::not_op;
        for (pugi::xml_node d : node.child("Dependents").children("Dependent")) {
          spec.dependents.emplace_back(d.attribute("name").value());
        }
      }
      const std::string id = spec.info.id;
      const std::string path = spec.info.path;
      specs.push_back(std::move(spec));
      for (pugi::xml_node child_sub : node.children("Subpopulations")) {
        read_subpopulations(child_sub, id, path, depth + 1, specs, by_path, ids);
      }
    }
  }

  std::optional<Gate> read_gate(pugi::xml_node population, PopulationSpec& spec) {
    const std::string& path = spec.info.path;
    const pugi::xml_node gate_el = population.child("Gate");
    if (!gate_el) fail(ErrorKind::format, population, path, "<Population> has no <Gate>");
    pugi::xml_node shape;
    for (pugi::xml_node c : gate_el.children()) {
      if (c.type() == pugi::node_element) {
        shape = c;
        break;
      }
    }
    if (!shape) fail(ErrorKind::format, gate_el, path, "<Gate> holds no gate element");
    spec.info.flowjo_id = attribute(gate_el, my_gating, "id").value();
    const std::string_view kind = local_name(shape, my_gating);
    spec.info.gate_type = std::string(kind.empty() ? std::string_view(shape.name()) : kind);
    spec.info.complement = std::string_view(shape.attribute("eventsInside").value()) == "0";
    // The plan needs the sample's matrices and transforms; they are all in place by now.
    GatingPlan& plan = *my_plan;
    Gate gate;
    gate.id = spec.info.id;
    gate.parent = spec.parent;
    gate.name = spec.info.name;
    gate.complement = spec.info.complement;
    if (kind == "RectangleGate") {
      gate.shape = read_rectangle(shape, plan, path);
    } else if (kind == "PolygonGate") {
      gate.shape = read_polygon(shape, plan, spec.info);
    } else if (kind == "EllipsoidGate") {
      gate.shape = read_ellipse(shape, plan, spec.info);
    } else {
      fail(ErrorKind::unsupported, shape, path,
           fmt::format("unsupported gate element <{}> (known: RectangleGate, PolygonGate, EllipsoidGate)", shape.name()));
    }
    return gate;
  }

  std::vector<pugi::xml_node> dimensions(pugi::xml_node shape) const {
    std::vector<pugi::xml_node> dims;
    for (pugi::xml_node d : children(shape, my_gating, "dimension")) dims.push_back(d);
    return dims;
  }

  // docs/formats.md §3.4: raw (or compensated) coordinates; a missing side is open (quadrants).
  RectangleGate read_rectangle(pugi::xml_node shape, const GatingPlan& plan, const std::string& path) const {
    RectangleGate rect;
    const auto dims = dimensions(shape);
    if (dims.empty()) fail(ErrorKind::format, shape, path, "RectangleGate has no gating:dimension");
    for (pugi::xml_node d : dims) {
      Axis axis = resolve_axis(d, plan, path);
      Interval interval;
      interval.dimension = axis.dimension;
      interval.dimension.transform.clear();  // coordinates are raw values (docs/formats.md §3.4)
      if (auto lo = optional_number(d, my_gating, "min", path)) interval.min = *lo;
      if (auto hi = optional_number(d, my_gating, "max", path)) interval.max = *hi;
      if (interval.min > interval.max) {
        fail(ErrorKind::format, d, path, fmt::format("gating:min {} exceeds gating:max {}", interval.min, interval.max));
      }
      rect.intervals.push_back(std::move(interval));
    }
    return rect;
  }

  std::vector<std::array<double, 2>> vertices(pugi::xml_node parent, const std::string& path) const {
    std::vector<std::array<double, 2>> out;
    for (pugi::xml_node v : children(parent, my_gating, "vertex")) {
      std::array<double, 2> p{};
      std::size_t n = 0;
      for (pugi::xml_node c : children(v, my_gating, "coordinate")) {
        if (n == 2) fail(ErrorKind::format, v, path, "gating:vertex has more than 2 coordinates");
        p[n++] = number(c, my_datatype, "value", path);
      }
      if (n != 2) fail(ErrorKind::format, v, path, fmt::format("gating:vertex has {} coordinates, not 2", n));
      out.push_back(p);
    }
    return out;
  }

  // Display bins per transform-output unit at `resolution` bins over the axis. Every FlowJo
  // transform maps its range to [0, 1] except biex, whose output is the channel 0..4096
  // (transform.hpp); without a transform the axis is FlowJo's default linear 0..262144
  // (docs/formats.md §3.4).
  static Grid grid(const Axis& axis, double resolution) {
    Grid g;
    if (axis.transform == nullptr) {
      g.scale = resolution / 262144.0;
    } else if (axis.transform->get_if<transform::FlowJoBiexTransform>() != nullptr) {
      g.scale = resolution / transform::FlowJoBiexTransform::channel_count;
      // FlowJo looks events up in its 4096-channel biex table: the channel below
      // (flowsom_68983 ab T 9188 and gd T 1470 need it; the nearest bin gives 9191/1469).
      g.floor_bins = true;
    } else {
      g.scale = resolution;
    }
    return g;
  }

  static double to_output(const Axis& axis, double raw) {
    return axis.transform == nullptr ? raw : axis.transform->apply(raw);
  }

  // docs/formats.md §3.4: edges are straight in transformed space, so the vertices are
  // transformed and both dimensions carry the transform.
  PolygonGate read_polygon(pugi::xml_node shape, const GatingPlan& plan, WorkspacePopulation& info) {
    const std::string& path = info.path;
    const auto dims = dimensions(shape);
    if (dims.size() != 2) fail(ErrorKind::format, shape, path, fmt::format("PolygonGate has {} dimensions, not 2", dims.size()));
    const Axis ax = resolve_axis(dims[0], plan, path);
    const Axis ay = resolve_axis(dims[1], plan, path);
    const auto raw = vertices(shape, path);
    if (raw.size() < 3) fail(ErrorKind::format, shape, path, fmt::format("PolygonGate has {} vertices, fewer than 3", raw.size()));
    PolygonGate poly;
    poly.x = ax.dimension;
    poly.y = ay.dimension;
    for (const auto& v : raw) {
      const Point p{to_output(ax, v[0]), to_output(ay, v[1])};
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
        fail(ErrorKind::numeric, shape, path,
             fmt::format("vertex ({}, {}) has no finite transformed value on {} × {}", v[0], v[1], ax.name, ay.name));
      }
      poly.vertices.push_back(p);
    }
    if (my_options.binning != FlowJoBinning::flowjo) return poly;
    if (ax.transform == nullptr || ay.transform == nullptr) {
      warn(shape, path, "a polygon axis has no transform, so FlowJo's display bins are unknown; the gate is exact");
      return poly;
    }
    double resolution = 256;
    if (shape.attribute("gateResolution")) {
      resolution = number(shape, "", "gateResolution", path);
      if (!(resolution >= 1 && resolution <= max_resolution && resolution == std::floor(resolution))) {
        fail(ErrorKind::unsupported, shape, path,
             fmt::format("gateResolution = {} is not a whole number of bins from 1 to {}", resolution, max_resolution));
      }
    }
    const Grid gx = grid(ax, resolution);
    const Grid gy = grid(ay, resolution);
    std::vector<std::array<std::int64_t, 2>> bins;
    for (const Point& p : poly.vertices) {
      const double bx = gx.bin(p.x * gx.scale);
      const double by = gy.bin(p.y * gy.scale);
      const double limit = static_cast<double>(max_bin);
      if (!(std::abs(bx) <= limit && std::abs(by) <= limit)) {
        warn(shape, path, "vertices lie far outside the display; the gate is exact, not binned as FlowJo bins it");
        return poly;
      }
      bins.push_back({static_cast<std::int64_t>(bx), static_cast<std::int64_t>(by)});
    }
    const auto raster = raster_polygon(bins);
    auto points = raster ? outline(*raster, gx, gy) : std::nullopt;
    if (!points) {
      warn(shape, path, "the binned outline would be too large; the gate is exact, not binned as FlowJo bins it");
      return poly;
    }
    poly.vertices = std::move(*points);
    info.binned = true;
    return poly;
  }

  // docs/formats.md §3.4: foci and edge points in the 256-bin display space of the transformed
  // axes; edge vertices 1–2 are the ends of the major axis. Inside iff the distances to the
  // foci sum to at most 2a.
  std::variant<RectangleGate, PolygonGate, EllipsoidGate, BooleanGate> read_ellipse(pugi::xml_node shape,
                                                                                     const GatingPlan& plan,
                                                                                     WorkspacePopulation& info) {
    const std::string& path = info.path;
    const auto dims = dimensions(shape);
    if (dims.size() != 2) fail(ErrorKind::format, shape, path, fmt::format("EllipsoidGate has {} dimensions, not 2", dims.size()));
    const Axis ax = resolve_axis(dims[0], plan, path);
    const Axis ay = resolve_axis(dims[1], plan, path);
    const auto foci = vertices(child(shape, my_gating, "foci"), path);
    const auto edge = vertices(child(shape, my_gating, "edge"), path);
    if (foci.size() != 2) fail(ErrorKind::format, shape, path, fmt::format("EllipsoidGate has {} foci, not 2", foci.size()));
    if (edge.size() < 2) fail(ErrorKind::format, shape, path, fmt::format("EllipsoidGate has {} edge vertices, not 4", edge.size()));
    const auto dist = [](const std::array<double, 2>& p, const std::array<double, 2>& q) {
      return std::hypot(p[0] - q[0], p[1] - q[1]);
    };
    const auto focal_sum = [&](const std::array<double, 2>& p) { return dist(p, foci[0]) + dist(p, foci[1]); };
    const double two_a = (focal_sum(edge[0]) + focal_sum(edge[1])) / 2;
    const double two_c = dist(foci[0], foci[1]);
    if (!(std::isfinite(two_a) && two_a > two_c && two_a - two_c > 1e-9 * two_a)) {
      fail(ErrorKind::numeric, shape, path,
           fmt::format("the major-axis edge points (focal distance sum {}) do not lie outside the foci ({} apart)", two_a,
                       two_c));
    }
    const Grid gx = grid(ax, 256);
    const Grid gy = grid(ay, 256);

    if (my_options.binning == FlowJoBinning::flowjo) {
      const auto raster = raster_ellipse(foci[0], foci[1], two_a);
      auto points = raster ? outline(*raster, gx, gy) : std::nullopt;
      if (points) {
        info.binned = true;
        return PolygonGate{ax.dimension, ay.dimension, std::move(*points)};
      }
      warn(shape, path, "the binned outline would be too large; the ellipse is exact, not binned as FlowJo bins it");
    }

    // The quadratic form in display space: semi-axes a along the focal line u, b across it;
    // Σ = a²·u·uᵀ + b²·v·vᵀ with D² = 1. Display = output · scale per axis, so in output
    // units μ/scale and Σ[k][l]/(scale_k·scale_l).
    const double a = two_a / 2;
    const double c = two_c / 2;
    const double b2 = a * a - c * c;
    double ux = 1;
    double uy = 0;
    if (two_c > 0) {
      ux = (foci[1][0] - foci[0][0]) / two_c;
      uy = (foci[1][1] - foci[0][1]) / two_c;
    }
    const double a2 = a * a;
    const double sxx = a2 * ux * ux + b2 * uy * uy;
    const double sxy = (a2 - b2) * ux * uy;
    const double syy = a2 * uy * uy + b2 * ux * ux;
    EllipsoidGate e;
    e.dimensions = {ax.dimension, ay.dimension};
    e.mean = {(foci[0][0] + foci[1][0]) / 2 / gx.scale, (foci[0][1] + foci[1][1]) / 2 / gy.scale};
    e.covariance = {sxx / (gx.scale * gx.scale), sxy / (gx.scale * gy.scale), sxy / (gx.scale * gy.scale),
                    syy / (gy.scale * gy.scale)};
    e.distance_square = 1.0;
    return e;
  }

  // -- plan

  void build_plan(WorkspaceSample& s, std::vector<PopulationSpec>& specs,
                  const std::map<std::string, std::size_t, std::less<>>& by_path) {
    for (PopulationSpec& spec : specs) {
      Gate gate;
      if (spec.gate) {
        gate = std::move(*spec.gate);
      } else {
        // FlowKit/CytoML: Dependent@name is the referenced population's path from the root
        // (docs/formats.md §3.1); a path with a leading component that is no population (a sample
        // or group name) is matched by its unique suffix.
        BooleanGate b;
        b.op = spec.op;
        for (const std::string& dep : spec.dependents) {
          b.operands.push_back({resolve_dependent(dep, spec, specs, by_path), false});
        }
        const std::size_t n = b.operands.size();
        if ((b.op == BooleanGate::Op::not_op && n != 1) || (b.op != BooleanGate::Op::not_op && n < 2)) {
          fail(ErrorKind::format, spec.node, spec.info.path,
               fmt::format("<{}> has {} Dependent elements; {} needs {}", spec.info.gate_type, n, spec.info.gate_type,
                           b.op == BooleanGate::Op::not_op ? "exactly 1" : "at least 2"));
        }
        gate.id = spec.info.id;
        gate.parent = spec.parent;
        gate.name = spec.info.name;
        gate.shape = std::move(b);
      }
      try {
        s.plan.add_gate(std::move(gate));
      } catch (const Error& e) {
        fail(e.kind(), spec.node, spec.info.path, e.reason());
      }
      s.populations.push_back(spec.info);  // copied: later booleans resolve against specs
    }
  }

  std::string resolve_dependent(const std::string& dep, const PopulationSpec& spec,
                                const std::vector<PopulationSpec>& specs,
                                const std::map<std::string, std::size_t, std::less<>>& by_path) const {
    const auto ambiguous = std::numeric_limits<std::size_t>::max();
    if (const auto it = by_path.find(dep); it != by_path.end()) {
      if (it->second == ambiguous) {
        fail(ErrorKind::reference, spec.node, spec.info.path, fmt::format("Dependent '{}' names two populations", dep));
      }
      return specs[it->second].info.id;
    }
    std::optional<std::size_t> found;
    for (std::size_t k = 0; k < specs.size(); ++k) {
      const std::string& p = specs[k].info.path;
      if (dep.size() > p.size() && dep.ends_with(p) && dep[dep.size() - p.size() - 1] == '/') {
        if (found && specs[*found].info.path.size() >= p.size()) continue;  // keep the longest match
        found = k;
      }
    }
    if (!found) {
      fail(ErrorKind::reference, spec.node, spec.info.path,
           fmt::format("Dependent '{}' names no population of the sample", dep));
    }
    return specs[*found].info.id;
  }

  std::string_view my_xml;
  std::string_view my_source;
  WorkspaceOptions my_options;
  LineIndex my_lines;
  pugi::xml_document my_doc;
  std::string my_gating = "gating";
  std::string my_transforms = "transforms";
  std::string my_datatype = "data-type";
  std::vector<Warning> my_warnings;
  // Per sample:
  std::set<std::string, std::less<>> my_parameters;
  std::vector<MatrixInfo> my_matrices;
  std::map<std::string, std::size_t, std::less<>> my_transform_ids;  // parameter → index in plan.transforms()
  GatingPlan* my_plan = nullptr;
};

}  // namespace

// ---- public API -----------------------------------------------------------------------------

std::vector<std::string> WorkspaceSample::candidate_file_names() const {
  std::vector<std::string> names;
  for (std::string n : {name, uri_file_name, std::string(keywords.get("$FIL"))}) {
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
  }
  return names;
}

const WorkspacePopulation* WorkspaceSample::find_population(std::string_view path) const noexcept {
  for (const WorkspacePopulation& p : populations) {
    if (p.path == path) return &p;
  }
  return nullptr;
}

const WorkspaceSample* Workspace::find_sample(std::string_view id_or_name) const noexcept {
  for (const WorkspaceSample& s : samples) {
    if (s.sample_id == id_or_name) return &s;
  }
  for (const WorkspaceSample& s : samples) {
    if (s.name == id_or_name) return &s;
  }
  return nullptr;
}

std::string Workspace::summary() const {
  std::size_t populations = 0;
  for (const WorkspaceSample& s : samples) populations += s.populations.size();
  return fmt::format("Workspace(FlowJo {}: {} sample{}, {} group{}, {} population{})",
                     flowjo_version.empty() ? "?" : flowjo_version, samples.size(), samples.size() == 1 ? "" : "s",
                     groups.size(), groups.size() == 1 ? "" : "s", populations, populations == 1 ? "" : "s");
}

Workspace parse_workspace(std::string_view xml, std::string_view source, const WorkspaceOptions& options) {
  return Parser(xml, source, options).run();
}

Workspace parse_workspace(std::span<const std::byte> bytes, std::string_view source, const WorkspaceOptions& options) {
  return parse_workspace(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), source, options);
}

Workspace read_workspace_file(const std::filesystem::path& path, const WorkspaceOptions& options) {
  return parse_workspace(read_file<WorkspaceError>(path), path.string(), options);
}

std::filesystem::path find_sample_file(const WorkspaceSample& sample, const std::filesystem::path& directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    throw WorkspaceError(ErrorKind::io, directory.string(), fmt::format("sample {}", sample.sample_id),
                         "not a directory");
  }
  const std::string fil(sample.keywords.get("$FIL"));
  std::vector<std::string> tried;
  const auto try_name = [&](const std::string& name, std::string_view how) -> std::optional<fs::path> {
    if (name.empty()) return std::nullopt;
    // Only the file name counts: a workspace must not lead outside the directory.
    const fs::path file = fs::path(name).filename();
    tried.push_back(fmt::format("'{}' ({})", name, how));
    if (file.empty() || file == "." || file == "..") return std::nullopt;
    const fs::path candidate = directory / file;
    std::error_code e;
    if (fs::is_regular_file(candidate, e)) return candidate;
    return std::nullopt;
  };
  if (auto p = try_name(sample.name, "SampleNode@name")) return *p;
  if (auto p = try_name(sample.uri_file_name, "DataSet@uri")) return *p;
  if (auto p = try_name(fil, "$FIL")) return *p;

  // Last resort: the $FIL each FCS file of the directory carries in its own TEXT.
  const std::string wanted = !fil.empty() ? fil : sample.name;
  std::size_t scanned = 0;
  if (!wanted.empty()) {
    fs::directory_iterator it(directory, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code e;
      if (!it->is_regular_file(e)) continue;
      std::string ext = it->path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (ext != ".fcs" && ext != ".lmd") continue;
      ++scanned;
      try {
        fcs::ReadOptions read;
        read.decode_events = false;
        read.data_set = 0;
        const fcs::FcsFile f = fcs::read_fcs_file(it->path(), read);
        if (!f.data_sets.empty() && f.data_sets.front().keywords.get("$FIL") == wanted) return it->path();
      } catch (const Error&) {
        // An unreadable file is simply not the sample's.
      }
    }
  }
  std::string list;
  for (const std::string& t : tried) list += (list.empty() ? "" : ", ") + t;
  throw WorkspaceError(
      ErrorKind::reference, directory.string(), fmt::format("sample {}", sample.sample_id),
      fmt::format("no FCS file for sample '{}': tried {}{}", sample.name.empty() ? sample.sample_id : sample.name,
                  list.empty() ? "no names (the sample has no name, URI or $FIL)" : list,
                  wanted.empty() ? std::string()
                                 : fmt::format(", and $FIL = '{}' in the {} FCS file{} there", wanted, scanned,
                                               scanned == 1 ? "" : "s")));
}

GatingResult apply_sample(const WorkspaceSample& sample, const fcs::DataSet& data, ApplyOptions options) {
  options.file_spillover = data.spillover ? &*data.spillover : nullptr;
  options.file_spillover_problem = data.spillover_problem ? &*data.spillover_problem : nullptr;
  return apply(sample.plan, data.events, options);
}

}  // namespace escapade::gate
