// apply(): a GatingPlan checked against one EventMatrix once (the Program), then streamed
// over blocks of events (stage 2 of STYLE §5). A block computes each dimension it needs at
// most once — compensation and transform on demand, into scratch the block owns — and
// skips every gate whose parent has no event in the block. Blocks are whole 64-bit words
// of every membership, so threads never share a word.
#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <map>

#include "libescapade/base/error.hpp"
#include "libescapade/base/parallel.hpp"
#include "libescapade/gate/gate.hpp"

namespace escapade::gate {

namespace {

// Events per block: 256 words of each membership, 128 KiB of values per dimension, so the
// dimensions of a typical hierarchy stay in L2 while every gate of the block runs.
constexpr std::size_t block_events = 16384;
constexpr std::size_t words_per_block = block_events / 64;

std::string gate_where(std::string_view id) { return fmt::format("gate '{}'", id); }

// How one dimension's values are made from others (docs/formats.md §2.2).
struct Slot {
  enum class Kind { raw, known, compensated, ratio, transformed };
  Kind kind = Kind::raw;
  std::size_t column = 0;    // raw: channel of the events
  const double* known = nullptr;  // known: the caller's values
  std::size_t view = 0;      // compensated: which CompensatedView
  std::size_t view_dim = 0;  //   and which of its dimensions
  std::size_t a = 0;         // ratio: numerator slot; transformed: input slot
  std::size_t b = 0;         // ratio: denominator slot
  const transform::RatioTransform* ratio = nullptr;
  const transform::Transform* transform = nullptr;
};

// Above this many vertices a polygon is tested through its slab index rather than edge by
// edge across the block.
constexpr std::size_t slab_threshold = 24;

// One population's test, resolved to slots.
struct Node {
  enum class Kind { rectangle, polygon, ellipsoid, boolean };
  Kind kind = Kind::rectangle;
  std::ptrdiff_t parent = -1;  // node index; −1 = all events
  bool complement = false;
  struct Bound {
    std::size_t slot;
    double min;
    double max;
  };
  std::vector<Bound> bounds;  // rectangle (and quadrant)
  std::size_t x = 0;          // polygon
  std::size_t y = 0;
  std::vector<Point> vertices;
  // Polygons with many vertices (FlowJo's binned outlines have hundreds) are tested through
  // horizontal slabs between consecutive distinct vertex y values: `slab_y` sorted; the
  // edges (index k = vertex k → k+1) whose y-range covers slab j, or touches slab_y[j].
  std::vector<double> slab_y;
  std::vector<std::uint32_t> across_start, across;  // CSR over slabs [slab_y[j], slab_y[j+1])
  std::vector<std::uint32_t> touch_start, touch;    // CSR over the values slab_y[j]
  std::vector<std::size_t> slots;  // ellipsoid
  std::vector<double> mean;
  std::vector<double> precision;  // Σ⁻¹, n×n row-major
  double distance_square = 0;
  BooleanGate::Op op = BooleanGate::Op::and_op;  // boolean
  std::vector<std::pair<std::size_t, bool>> operands;
};

// Builds the slab index of a polygon (see Node).
template <typename NodeT>
void index_slabs(NodeT& n) {
  const auto& v = n.vertices;
  n.slab_y.clear();
  for (const auto& p : v) n.slab_y.push_back(p.y);
  std::sort(n.slab_y.begin(), n.slab_y.end());
  n.slab_y.erase(std::unique(n.slab_y.begin(), n.slab_y.end()), n.slab_y.end());
  const std::size_t levels = n.slab_y.size();
  std::vector<std::vector<std::uint32_t>> across(levels), touch(levels);
  for (std::size_t k = 0; k < v.size(); ++k) {
    const Point a = v[k];
    const Point b = v[(k + 1) % v.size()];
    const auto lo = static_cast<std::size_t>(std::lower_bound(n.slab_y.begin(), n.slab_y.end(), std::min(a.y, b.y)) -
                                             n.slab_y.begin());
    const auto hi = static_cast<std::size_t>(std::lower_bound(n.slab_y.begin(), n.slab_y.end(), std::max(a.y, b.y)) -
                                             n.slab_y.begin());
    for (std::size_t j = lo; j <= hi; ++j) touch[j].push_back(static_cast<std::uint32_t>(k));
    for (std::size_t j = lo; j < hi; ++j) across[j].push_back(static_cast<std::uint32_t>(k));
  }
  auto flatten = [](const std::vector<std::vector<std::uint32_t>>& lists, std::vector<std::uint32_t>& start,
                    std::vector<std::uint32_t>& flat) {
    start.assign(1, 0);
    flat.clear();
    for (const auto& l : lists) {
      flat.insert(flat.end(), l.begin(), l.end());
      start.push_back(static_cast<std::uint32_t>(flat.size()));
    }
  };
  flatten(across, n.across_start, n.across);
  flatten(touch, n.touch_start, n.touch);
}

std::string channel_list(const EventMatrix& events) {
  std::string out;
  for (std::size_t k = 0; k < events.channel_count(); ++k) {
    if (k > 0) out += ", ";
    out += events.label(k).name;
  }
  return out;
}

// The plan bound to one event matrix: slots for every dimension, nodes for every
// population, in an order where parents and operands come first. Immutable once built.
class Program {
 public:
  Program(const GatingPlan& plan, const EventMatrix& events, const ApplyOptions& options)
      : my_plan(plan), my_events(events), my_options(options) {
    if (options.file_spillover != nullptr && !(options.file_spillover->size() == 0)) {
      try {
        my_file_compensation.emplace(*options.file_spillover);
      } catch (const Error& e) {
        // A singular or otherwise unusable matrix is the file's: name it and its keyword.
        throw GateTreeError(e.kind(), options.events_source.empty() ? plan.source() : options.events_source,
                            "keyword " + (options.file_spillover_keyword.empty() ? std::string("$SPILLOVER")
                                                                                 : options.file_spillover_keyword),
                            e.reason());
      }
    }
  }

  // The slot of `d`, created with the slots it is made from.
  std::size_t slot(const Dimension& d, const std::string& where) {
    for (std::size_t k = 0; k < my_dimensions.size(); ++k) {
      if (my_dimensions[k] == d) return k;
    }
    Slot s;
    const auto known = std::find_if(my_options.known_values.begin(), my_options.known_values.end(),
                                    [&](const auto& k) { return k.first == d; });
    if (known != my_options.known_values.end()) {
      if (known->second.size() != my_events.event_count()) {
        throw GateTreeError(ErrorKind::invalid_argument, my_plan.source(), where,
                            fmt::format("known values of dimension '{}' number {}, not the {} events", d.label(),
                                        known->second.size(), my_events.event_count()));
      }
      s.kind = Slot::Kind::known;
      s.known = known->second.data();
    } else if (!d.transform.empty()) {
      Dimension base = d;
      base.transform.clear();
      s.kind = Slot::Kind::transformed;
      s.a = slot(base, where);
      s.transform = my_plan.find_transform(d.transform);
      if (s.transform == nullptr) {
        throw GateTreeError(ErrorKind::reference, my_plan.source(), where,
                            fmt::format("transformation '{}' is not defined", d.transform));
      }
    } else if (!d.ratio.empty()) {
      const Ratio* r = my_plan.find_ratio(d.ratio);
      if (r == nullptr) {
        throw GateTreeError(ErrorKind::reference, my_plan.source(), where,
                            fmt::format("ratio transformation '{}' is not defined", d.ratio));
      }
      Dimension num;
      num.channel = r->numerator;
      num.compensation = d.compensation;
      Dimension den = num;
      den.channel = r->denominator;
      s.kind = Slot::Kind::ratio;
      s.a = slot(num, where);
      s.b = slot(den, where);
      s.ratio = &r->transform;
    } else {
      s = channel_slot(d, where);
    }
    my_slots.push_back(s);
    my_dimensions.push_back(d);
    return my_slots.size() - 1;
  }

  void add_nodes() {
    const auto& ids = my_plan.populations();
    std::map<std::string_view, std::size_t> index;
    for (std::size_t k = 0; k < ids.size(); ++k) index.emplace(ids[k], k);
    my_nodes.resize(ids.size());
    auto parent_of = [&](const std::string& parent) -> std::ptrdiff_t {
      return parent.empty() ? -1 : static_cast<std::ptrdiff_t>(index.at(parent));
    };
    for (const auto& g : my_plan.gates()) {
      Node& n = my_nodes[index.at(g.id)];
      const std::string where = gate_where(g.id);
      n.parent = parent_of(g.parent);
      n.complement = g.complement;
      std::visit([&](const auto& shape) { compile(shape, n, where, index); }, g.shape);
    }
    for (const auto& q : my_plan.quadrant_gates()) {
      const std::string where = gate_where(q.id);
      for (const auto& quadrant : q.quadrants) {
        Node& n = my_nodes[index.at(quadrant.id)];
        n.parent = parent_of(q.parent);
        n.kind = Node::Kind::rectangle;
        for (const auto& p : quadrant.positions) {
          const auto& divider =
              *std::find_if(q.dividers.begin(), q.dividers.end(), [&](const auto& d) { return d.id == p.divider; });
          // The interval of the divider's values that holds the location, lower bound
          // inclusive (Gating-ML 2.0 §5.3.4; docs/formats.md §2.5).
          const auto& v = divider.values;
          const auto above = std::upper_bound(v.begin(), v.end(), p.location);
          const double lo = above == v.begin() ? -std::numeric_limits<double>::infinity() : *(above - 1);
          const double hi = above == v.end() ? std::numeric_limits<double>::infinity() : *above;
          n.bounds.push_back({slot(divider.dimension, where), lo, hi});
        }
      }
    }
    order_nodes();
  }

  [[nodiscard]] const std::vector<Slot>& slots() const noexcept { return my_slots; }
  [[nodiscard]] const std::vector<Node>& nodes() const noexcept { return my_nodes; }
  [[nodiscard]] const std::vector<std::size_t>& order() const noexcept { return my_order; }
  [[nodiscard]] const std::vector<comp::CompensatedView>& views() const noexcept { return my_views; }
  [[nodiscard]] const EventMatrix& events() const noexcept { return my_events; }
  [[nodiscard]] transform::Kernel kernel() const noexcept { return my_options.kernel; }

 private:
  Slot channel_slot(const Dimension& d, const std::string& where) {
    Slot s;
    const comp::Compensation* compensation = nullptr;
    if (d.compensation == file_compensation) {
      // A file without a spillover keyword is uncompensated (docs/formats.md §2.4); one whose
      // keyword could not be used cannot give what the gate asks for.
      if (my_file_compensation) {
        compensation = &*my_file_compensation;
      } else if (const Warning* problem = my_options.file_spillover_problem) {
        throw InputError(ErrorKind::format, problem->source, problem->where,
                         fmt::format("{} asks for the file's compensation (FCS), but its spillover keyword cannot be used: {}",
                                     where, problem->reason));
      }
    } else if (d.compensation != uncompensated) {
      compensation = my_plan.find_matrix(d.compensation);
      if (compensation == nullptr) {
        throw GateTreeError(ErrorKind::reference, my_plan.source(), where,
                            fmt::format("compensation '{}' is not defined", d.compensation));
      }
    }
    if (compensation != nullptr) {
      const std::size_t view = view_of(d.compensation, *compensation, where);
      if (auto k = my_views[view].find(d.channel)) {
        s.kind = Slot::Kind::compensated;
        s.view = view;
        s.view_dim = *k;
        return s;
      }
      // A channel the matrix does not unmix keeps its scale value (FCS 3.1 §3.2.20: only
      // the listed parameters are compensated), e.g. FSC-H under compensation-ref "FCS".
    }
    const auto column = my_events.find(d.channel);
    if (!column) {
      std::string reason = fmt::format("dimension '{}' names channel '{}', which the events do not have", d.label(),
                                       d.channel);
      if (compensation != nullptr) {
        std::string names;
        for (const auto& n : compensation->dimensions()) names += (names.empty() ? "" : ", ") + n;
        reason += fmt::format(" and compensation '{}' does not make (it makes: {})", d.compensation, names);
      }
      throw GateTreeError(ErrorKind::reference, events_source(), where,
                          fmt::format("{}; channels: {}{}", reason, channel_list(my_events), plan_note()));
    }
    s.kind = Slot::Kind::raw;
    s.column = *column;
    return s;
  }

  // Errors about what the events lack name the events' file, and the plan beside it.
  std::string events_source() const { return my_options.events_source.empty() ? my_plan.source() : my_options.events_source; }
  std::string plan_note() const {
    return my_options.events_source.empty() || my_plan.source().empty() ? std::string() : " (gating " + my_plan.source() + ")";
  }

  std::size_t view_of(const std::string& ref, const comp::Compensation& compensation, const std::string& where) {
    for (std::size_t k = 0; k < my_view_refs.size(); ++k) {
      if (my_view_refs[k] == ref) return k;
    }
    try {
      my_views.push_back(compensation.view(my_events));
    } catch (const Error& e) {
      throw GateTreeError(e.kind(), events_source(), where,
                          fmt::format("compensation '{}' cannot be applied to these events: {}{}", ref, e.reason(), plan_note()));
    }
    my_view_refs.push_back(ref);
    return my_views.size() - 1;
  }

  void compile(const RectangleGate& g, Node& n, const std::string& where, const auto&) {
    n.kind = Node::Kind::rectangle;
    for (const auto& i : g.intervals) n.bounds.push_back({slot(i.dimension, where), i.min, i.max});
  }
  void compile(const PolygonGate& g, Node& n, const std::string& where, const auto&) {
    n.kind = Node::Kind::polygon;
    n.x = slot(g.x, where);
    n.y = slot(g.y, where);
    n.vertices = g.vertices;
    if (n.vertices.size() > slab_threshold) index_slabs(n);
  }
  void compile(const EllipsoidGate& g, Node& n, const std::string& where, const auto&) {
    n.kind = Node::Kind::ellipsoid;
    const auto dims = static_cast<Eigen::Index>(g.dimensions.size());
    for (const auto& d : g.dimensions) n.slots.push_back(slot(d, where));
    Eigen::MatrixXd cov(dims, dims);
    for (Eigen::Index r = 0; r < dims; ++r) {
      for (Eigen::Index c = 0; c < dims; ++c) cov(r, c) = g.covariance[static_cast<std::size_t>(r * dims + c)];
    }
    Eigen::FullPivLU<Eigen::MatrixXd> lu(cov);
    if (!lu.isInvertible()) {
      throw GateTreeError(ErrorKind::numeric, my_plan.source(), where,
                          "the covariance matrix is singular, so the ellipsoid has no interior (Gating-ML 2.0 §5.3.3)");
    }
    const Eigen::MatrixXd inv = lu.inverse();
    for (Eigen::Index r = 0; r < dims; ++r) {
      for (Eigen::Index c = 0; c < dims; ++c) n.precision.push_back(inv(r, c));
    }
    n.mean = g.mean;
    n.distance_square = g.distance_square;
  }
  void compile(const BooleanGate& g, Node& n, const std::string& where, const auto& index) {
    n.kind = Node::Kind::boolean;
    n.op = g.op;
    for (const auto& o : g.operands) {
      auto it = index.find(o.gate);
      if (it == index.end()) {
        throw GateTreeError(ErrorKind::reference, my_plan.source(), where,
                            fmt::format("gateReference '{}' is not a gate of this plan", o.gate));
      }
      n.operands.emplace_back(it->second, o.complement);
    }
  }

  // Parents and operands before the nodes that use them (validate() excluded cycles); an
  // explicit stack, so any depth of nesting is safe.
  void order_nodes() {
    std::vector<char> placed(my_nodes.size(), 0);
    std::vector<std::pair<std::size_t, std::size_t>> stack;  // node, next dependency
    auto dependency = [&](std::size_t k, std::size_t i) -> std::ptrdiff_t {
      const Node& n = my_nodes[k];
      if (n.parent >= 0) {
        if (i == 0) return n.parent;
        --i;
      }
      return i < n.operands.size() ? static_cast<std::ptrdiff_t>(n.operands[i].first) : -2;
    };
    for (std::size_t root = 0; root < my_nodes.size(); ++root) {
      if (placed[root] != 0) continue;
      stack.emplace_back(root, 0);
      while (!stack.empty()) {
        auto& [k, i] = stack.back();
        const std::ptrdiff_t d = dependency(k, i++);
        if (d == -2) {
          if (placed[k] == 0) my_order.push_back(k);
          placed[k] = 1;
          stack.pop_back();
        } else if (placed[static_cast<std::size_t>(d)] == 0) {
          stack.emplace_back(static_cast<std::size_t>(d), 0);
        }
      }
    }
  }

  const GatingPlan& my_plan;
  const EventMatrix& my_events;
  ApplyOptions my_options;
  std::optional<comp::Compensation> my_file_compensation;
  std::vector<std::string> my_view_refs;
  std::vector<comp::CompensatedView> my_views;
  std::vector<Slot> my_slots;
  std::vector<Dimension> my_dimensions;
  std::vector<Node> my_nodes;
  std::vector<std::size_t> my_order;
};

// What one task owns while it streams its blocks.
//
// Values are computed on demand and at most once per event: compensation and ratios for
// the whole block (a few multiply-adds per value), transforms — the costly part, logicle
// and hyperlog solve an equation — only for the events of the asking gate's parent when
// that parent holds under half of the block (gathered, transformed, scattered back).
// So a gate deep in a hierarchy costs in proportion to its parent, not to the file.
class BlockScratch {
 public:
  explicit BlockScratch(const Program& program)
      : my_program(program),
        my_values(program.slots().size() * block_events),
        my_ready(program.slots().size(), nullptr),
        my_done(program.slots().size() * words_per_block),
        my_flags(block_events),
        my_edge(block_events),
        my_gather(block_events),
        my_index(block_events) {}

  void start(std::size_t begin, std::size_t end) {
    my_begin = begin;
    my_size = end - begin;
    my_words = (my_size + 63) / 64;
    std::fill(my_ready.begin(), my_ready.end(), nullptr);
    std::fill(my_done.begin(), my_done.end(), 0);
  }
  [[nodiscard]] std::size_t size() const noexcept { return my_size; }

  // The values of `slot` for this block, valid at least where `wanted` (block words) has a
  // bit set; elsewhere they may be stale or zero, which the caller masks out.
  const double* values(std::size_t slot, const std::uint64_t* wanted) {
    if (my_ready[slot] != nullptr) return my_ready[slot];
    const Slot& s = my_program.slots()[slot];
    double* out = my_values.data() + slot * block_events;
    const std::span<double> dst(out, my_size);
    switch (s.kind) {
      case Slot::Kind::raw:
        my_ready[slot] = my_program.events().channel(s.column).data() + my_begin;
        return my_ready[slot];
      case Slot::Kind::known:
        my_ready[slot] = s.known + my_begin;
        return my_ready[slot];
      case Slot::Kind::compensated: {
        const std::size_t dims[1] = {s.view_dim};
        my_program.views()[s.view].fill(my_begin, my_begin + my_size, dims, dst);
        break;
      }
      case Slot::Kind::ratio: {
        const double* a = values(s.a, wanted);
        const double* b = values(s.b, wanted);
        s.ratio->apply({a, my_size}, {b, my_size}, dst);
        break;
      }
      case Slot::Kind::transformed:
        return transformed(slot, s, out, wanted);
    }
    my_ready[slot] = out;
    return out;
  }

  std::uint8_t* flags() noexcept { return my_flags.data(); }
  std::uint8_t* edge() noexcept { return my_edge.data(); }

 private:
  const double* transformed(std::size_t slot, const Slot& s, double* out, const std::uint64_t* wanted) {
    const double* in = values(s.a, wanted);
    std::uint64_t* done = my_done.data() + slot * words_per_block;
    std::size_t missing = 0;
    for (std::size_t w = 0; w < my_words; ++w) missing += static_cast<std::size_t>(std::popcount(wanted[w] & ~done[w]));
    if (missing * 2 >= my_size) {
      s.transform->apply({in, my_size}, {out, my_size}, my_program.kernel());
      my_ready[slot] = out;
      return out;
    }
    std::size_t m = 0;
    for (std::size_t w = 0; w < my_words; ++w) {
      std::uint64_t bits = wanted[w] & ~done[w];
      done[w] |= bits;
      while (bits != 0) {
        const std::size_t i = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        my_index[m] = static_cast<std::uint32_t>(i);
        my_gather[m++] = in[i];
        bits &= bits - 1;
      }
    }
    const std::span<double> compact(my_gather.data(), m);
    s.transform->apply(compact, compact, my_program.kernel());
    for (std::size_t j = 0; j < m; ++j) out[my_index[j]] = my_gather[j];
    return out;
  }

  const Program& my_program;
  std::vector<double> my_values;
  std::vector<const double*> my_ready;  // slot → values valid for the whole block
  std::vector<std::uint64_t> my_done;   // slot → events already transformed (sparse path)
  std::vector<std::uint8_t> my_flags;
  std::vector<std::uint8_t> my_edge;
  std::vector<double> my_gather;
  std::vector<std::uint32_t> my_index;
  std::size_t my_begin = 0;
  std::size_t my_size = 0;
  std::size_t my_words = 0;
};

// Shape tests write one 0/1 flag per event of the block; branch-free inner loops over
// events let the compiler vectorize them.
void test_rectangle(const Node& n, BlockScratch& s, const std::uint64_t* parent) {
  const std::size_t size = s.size();
  std::uint8_t* f = s.flags();
  std::fill(f, f + size, std::uint8_t{1});
  for (const auto& b : n.bounds) {
    const double* v = s.values(b.slot, parent);
    const double lo = b.min;
    const double hi = b.max;
    // min ≤ v < max (Gating-ML 2.0 §5.3.1; docs/formats.md §2.5); NaN compares false, so out.
    for (std::size_t i = 0; i < size; ++i) f[i] &= static_cast<std::uint8_t>((v[i] >= lo) & (v[i] < hi));
  }
}

// One edge's verdict for one point: whether a ray to +x crosses it (even-odd), and whether
// the point lies on it. The same arithmetic as the block loop below.
struct EdgeHit {
  bool crosses;
  bool on;
};
inline EdgeHit edge_hit(Point a, Point b, double x, double y) noexcept {
  const double cross = (b.x - a.x) * (y - a.y) - (x - a.x) * (b.y - a.y);
  const bool straddles = (a.y > y) != (b.y > y);
  const bool left = b.y > a.y ? cross > 0 : cross < 0;
  const bool on = cross == 0 && x >= std::min(a.x, b.x) && x <= std::max(a.x, b.x) && y >= std::min(a.y, b.y) &&
                  y <= std::max(a.y, b.y);
  return {straddles && left, on};
}

// Many-vertex polygons: per event, find its slab by binary search and test only the edges
// that can straddle or hold it.
void test_polygon_slabs(const Node& n, const double* xs, const double* ys, std::size_t size, std::uint8_t* out) {
  const auto& v = n.vertices;
  const std::size_t levels = n.slab_y.size();
  for (std::size_t i = 0; i < size; ++i) {
    const double x = xs[i];
    const double y = ys[i];
    out[i] = 0;
    if (!(y >= n.slab_y.front() && y <= n.slab_y.back()) || std::isnan(x)) continue;
    const auto j = static_cast<std::size_t>(std::upper_bound(n.slab_y.begin(), n.slab_y.end(), y) - n.slab_y.begin()) - 1;
    const bool level = n.slab_y[j] == y;
    if (!level && j + 1 >= levels) continue;
    const std::uint32_t* first = level ? n.touch.data() + n.touch_start[j] : n.across.data() + n.across_start[j];
    const std::uint32_t* last = level ? n.touch.data() + n.touch_start[j + 1] : n.across.data() + n.across_start[j + 1];
    bool inside = false;
    bool on = false;
    for (const std::uint32_t* e = first; e != last; ++e) {
      const EdgeHit h = edge_hit(v[*e], v[(*e + 1) % v.size()], x, y);
      inside ^= h.crosses;
      on = on || h.on;
    }
    out[i] = static_cast<std::uint8_t>(inside || on);
  }
}

void test_polygon(const Node& n, BlockScratch& s, const std::uint64_t* parent) {
  const std::size_t size = s.size();
  const double* xs = s.values(n.x, parent);
  const double* ys = s.values(n.y, parent);
  std::uint8_t* parity = s.flags();
  std::uint8_t* on_edge = s.edge();
  if (!n.slab_y.empty()) {
    test_polygon_slabs(n, xs, ys, size, parity);
    return;
  }
  std::fill(parity, parity + size, std::uint8_t{0});
  std::fill(on_edge, on_edge + size, std::uint8_t{0});
  const auto& v = n.vertices;
  for (std::size_t k = 0; k < v.size(); ++k) {
    const Point a = v[k];
    const Point b = v[(k + 1) % v.size()];
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    const double min_x = std::min(a.x, b.x);
    const double max_x = std::max(a.x, b.x);
    const double min_y = std::min(a.y, b.y);
    const double max_y = std::max(a.y, b.y);
    const bool upward = b.y > a.y;
    for (std::size_t i = 0; i < size; ++i) {
      const double x = xs[i];
      const double y = ys[i];
      // Side of the point relative to the edge, by an exact-sign cross product rather
      // than a division, so a point on the edge gives exactly 0 (docs/formats.md §2.5: the
      // four events on Polygon1's diagonal are inside).
      const double cross = dx * (y - a.y) - (x - a.x) * dy;
      // Even-odd rule: a ray to +x crosses this edge iff the edge straddles y (half-open,
      // so a vertex is counted once) and the point lies left of it.
      const bool straddles = (a.y > y) != (b.y > y);
      const bool left = upward ? cross > 0 : cross < 0;
      parity[i] ^= static_cast<std::uint8_t>(straddles & left);
      on_edge[i] |= static_cast<std::uint8_t>((cross == 0) & (x >= min_x) & (x <= max_x) & (y >= min_y) & (y <= max_y));
    }
  }
  for (std::size_t i = 0; i < size; ++i) parity[i] |= on_edge[i];
}

void test_ellipsoid(const Node& n, BlockScratch& s, const std::uint64_t* parent) {
  const std::size_t size = s.size();
  const std::size_t dims = n.slots.size();
  std::uint8_t* f = s.flags();
  if (dims == 2) {
    const double* x = s.values(n.slots[0], parent);
    const double* y = s.values(n.slots[1], parent);
    const double a = n.precision[0];
    const double b = n.precision[1] + n.precision[2];
    const double c = n.precision[3];
    const double mx = n.mean[0];
    const double my = n.mean[1];
    for (std::size_t i = 0; i < size; ++i) {
      const double u = x[i] - mx;
      const double w = y[i] - my;
      // (v − μ)ᵀ Σ⁻¹ (v − μ) ≤ D² (Gating-ML 2.0 §5.3.3); NaN compares false.
      f[i] = static_cast<std::uint8_t>(a * u * u + b * u * w + c * w * w <= n.distance_square);
    }
    return;
  }
  std::vector<const double*> v(dims);
  for (std::size_t d = 0; d < dims; ++d) v[d] = s.values(n.slots[d], parent);
  std::vector<double> diff(dims);
  for (std::size_t i = 0; i < size; ++i) {
    for (std::size_t d = 0; d < dims; ++d) diff[d] = v[d][i] - n.mean[d];
    double q = 0;
    for (std::size_t r = 0; r < dims; ++r) {
      double row = 0;
      for (std::size_t c = 0; c < dims; ++c) row += n.precision[r * dims + c] * diff[c];
      q += diff[r] * row;
    }
    f[i] = static_cast<std::uint8_t>(q <= n.distance_square);
  }
}

// Packs the block's flags into membership words and applies complement and parent.
void pack(const std::uint8_t* flags, std::size_t size, bool complement, const std::uint64_t* parent,
          std::uint64_t* out) {
  const std::size_t words = (size + 63) / 64;
  for (std::size_t w = 0; w < words; ++w) {
    const std::size_t n = std::min<std::size_t>(64, size - w * 64);
    std::uint64_t bits = 0;
    if (n == 64) {
      // Eight flags at a time: flag j of a little-endian 8-byte load sits at bit 8j, and the
      // multiplier moves it to bit 56 + j with no two terms meeting (so no carries).
      for (std::size_t b = 0; b < 8; ++b) {
        std::uint64_t eight = 0;
        std::memcpy(&eight, flags + w * 64 + b * 8, 8);
        if constexpr (std::endian::native == std::endian::big) eight = __builtin_bswap64(eight);
        bits |= (((eight & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56) << (b * 8);
      }
    } else {
      for (std::size_t j = 0; j < n; ++j) bits |= static_cast<std::uint64_t>(flags[w * 64 + j] & 1U) << j;
    }
    out[w] = (complement ? ~bits : bits) & parent[w];
  }
}

void evaluate_block(const Program& program, BlockScratch& s, std::size_t block, std::size_t events,
                    std::vector<Membership>& out, std::span<const std::uint64_t> all_events) {
  const std::size_t begin = block * block_events;
  const std::size_t end = std::min(events, begin + block_events);
  s.start(begin, end);
  const std::size_t word0 = begin / 64;
  const std::size_t words = (end - begin + 63) / 64;
  const auto& nodes = program.nodes();
  for (const std::size_t k : program.order()) {
    const Node& n = nodes[k];
    const std::uint64_t* parent =
        n.parent < 0 ? all_events.data() + word0 : out[static_cast<std::size_t>(n.parent)].words().data() + word0;
    // A gate is tested only where its parent has events (the memberships start at zero).
    if (std::all_of(parent, parent + words, [](std::uint64_t w) { return w == 0; })) continue;
    std::uint64_t* dst = out[k].words().data() + word0;
    switch (n.kind) {
      case Node::Kind::rectangle:
        test_rectangle(n, s, parent);
        break;
      case Node::Kind::polygon:
        test_polygon(n, s, parent);
        break;
      case Node::Kind::ellipsoid:
        test_ellipsoid(n, s, parent);
        break;
      case Node::Kind::boolean: {
        // Operands contribute their whole memberships, parents included (Gating-ML 2.0 §5.3.5).
        for (std::size_t w = 0; w < words; ++w) {
          std::uint64_t acc = n.op == BooleanGate::Op::or_op ? 0 : ~std::uint64_t{0};
          for (const auto& [op, complement] : n.operands) {
            std::uint64_t m = out[op].words()[word0 + w];
            if (complement) m = ~m;
            acc = n.op == BooleanGate::Op::or_op ? (acc | m) : (acc & m);
          }
          if (n.op == BooleanGate::Op::not_op) acc = ~acc;
          if (n.complement) acc = ~acc;
          dst[w] = acc & parent[w];
        }
        continue;
      }
    }
    pack(s.flags(), s.size(), n.complement, parent, dst);
  }
}

// Runs `fn(scratch, block)` over every block, in tasks of consecutive blocks that each
// reuse one scratch.
template <typename Fn>
void for_each_block(const Program& program, std::size_t events, int num_threads, Fn&& fn) {
  const std::size_t blocks = block_count(events, block_events);
  if (blocks == 0) return;
  const auto threads = static_cast<std::size_t>(resolve_threads(num_threads));
  const std::size_t tasks = std::min(blocks, threads * 4);
  parallel_for(tasks, num_threads, [&](std::size_t task) {
    BlockScratch scratch(program);
    const std::size_t first = blocks * task / tasks;
    const std::size_t last = blocks * (task + 1) / tasks;
    for (std::size_t b = first; b < last; ++b) fn(scratch, b);
  });
}

Membership all_events(std::size_t n) {
  Membership all(n);
  auto w = all.words();
  std::fill(w.begin(), w.end(), ~std::uint64_t{0});
  if (n % 64 != 0) w.back() = (std::uint64_t{1} << (n % 64)) - 1;
  return all;
}

}  // namespace

GatingResult apply(const GatingPlan& plan, const EventMatrix& events, const ApplyOptions& options) {
  plan.validate();
  Program program(plan, events, options);
  program.add_nodes();

  const std::size_t n = events.event_count();
  GatingResult result;
  result.my_events = n;
  result.my_ids = plan.populations();
  for (std::size_t k = 0; k < result.my_ids.size(); ++k) result.my_index.emplace(result.my_ids[k], k);
  for (const auto& id : result.my_ids) result.my_parents.push_back(plan.parent(id));
  result.my_memberships.assign(result.my_ids.size(), Membership(n));

  const Membership all = all_events(n);
  static_assert(block_events % 64 == 0 && words_per_block * 64 == block_events);
  for_each_block(program, n, options.num_threads, [&](BlockScratch& scratch, std::size_t block) {
    evaluate_block(program, scratch, block, n, result.my_memberships, all.words());
  });
  for (const auto& m : result.my_memberships) result.my_counts.push_back(m.count());
  return result;
}

std::vector<double> dimension_values(const GatingPlan& plan, const EventMatrix& events, const Dimension& dimension,
                                     const ApplyOptions& options) {
  Program program(plan, events, options);
  const std::size_t slot = program.slot(dimension, fmt::format("dimension '{}'", dimension.label()));
  const std::size_t n = events.event_count();
  const Membership all = all_events(n);
  std::vector<double> out(n);
  for_each_block(program, n, options.num_threads, [&](BlockScratch& scratch, std::size_t block) {
    const std::size_t begin = block * block_events;
    scratch.start(begin, std::min(n, begin + block_events));
    const double* v = scratch.values(slot, all.words().data() + begin / 64);
    std::copy(v, v + scratch.size(), out.begin() + static_cast<std::ptrdiff_t>(begin));
  });
  return out;
}

std::size_t Membership::count() const noexcept {
  std::size_t total = 0;
  for (const auto w : my_words) total += static_cast<std::size_t>(std::popcount(w));
  return total;
}

std::vector<std::size_t> Membership::indices() const {
  std::vector<std::size_t> out;
  out.reserve(count());
  for (std::size_t w = 0; w < my_words.size(); ++w) {
    std::uint64_t bits = my_words[w];
    while (bits != 0) {
      out.push_back(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
      bits &= bits - 1;
    }
  }
  return out;
}

std::size_t GatingResult::index(std::string_view id) const {
  if (const auto it = my_index.find(id); it != my_index.end()) return it->second;
  throw GateTreeError(ErrorKind::reference, "", gate_where(id), "no population of this result has this id");
}

const Membership& GatingResult::membership(std::string_view id) const { return my_memberships[index(id)]; }

const std::string& GatingResult::parent(std::string_view id) const { return my_parents[index(id)]; }

std::size_t GatingResult::parent_count(std::string_view id) const {
  const std::string& p = parent(id);
  return p.empty() ? my_events : my_counts[index(p)];
}

double GatingResult::percent_of_parent(std::string_view id) const {
  const std::size_t parent = parent_count(id);
  if (parent == 0) return std::numeric_limits<double>::quiet_NaN();
  return 100.0 * static_cast<double>(my_counts[index(id)]) / static_cast<double>(parent);
}

double GatingResult::percent_of_total(std::string_view id) const {
  if (my_events == 0) return std::numeric_limits<double>::quiet_NaN();
  return 100.0 * static_cast<double>(my_counts[index(id)]) / static_cast<double>(my_events);
}

ApplyOptions file_apply_options(const fcs::DataSet& data, std::string events_source, int num_threads) {
  ApplyOptions o;
  o.file_spillover = data.spillover ? &*data.spillover : nullptr;
  o.file_spillover_problem = data.spillover_problem ? &*data.spillover_problem : nullptr;
  o.file_spillover_keyword = data.spillover_keyword;
  o.events_source = std::move(events_source);
  o.num_threads = num_threads;
  return o;
}

}  // namespace escapade::gate
