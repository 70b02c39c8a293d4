// GatingPlan: what a Gating-ML file, a FlowJo workspace or the user says, checked one
// element at a time on the way in and as a whole by validate() (stage 1 of STYLE §5).
#include <Eigen/Dense>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "libescapade/base/error.hpp"
#include "libescapade/gate/gate.hpp"

namespace escapade::gate {

namespace {

std::string gate_where(std::string_view id) { return fmt::format("gate '{}'", id); }

bool finite(double v) noexcept { return std::isfinite(v); }

}  // namespace

std::string Dimension::label() const {
  std::string out = ratio.empty() ? channel : "ratio:" + ratio;
  if (compensation != uncompensated) out += " [" + compensation + "]";
  if (!transform.empty()) out += " → " + transform;
  return out;
}

void GatingPlan::check_new_id(const std::string& id, std::string_view what) const {
  if (id.empty()) throw GateTreeError(ErrorKind::structure, my_source, std::string(what), "the id is empty");
  if (my_populations.contains(id) ||
      std::any_of(my_quadrant_gates.begin(), my_quadrant_gates.end(), [&](const auto& q) { return q.id == id; })) {
    throw GateTreeError(ErrorKind::structure, my_source, gate_where(id),
                        fmt::format("the id of this {} is already taken by a gate", what));
  }
}

void GatingPlan::claim_population(const std::string& id, const std::string& parent, const std::string& name) {
  my_population_ids.push_back(id);
  my_populations.emplace(id, PopulationInfo{parent, name.empty() ? id : name});
}

void GatingPlan::add_matrix(comp::SpectrumMatrix matrix, const comp::CompileOptions& options) {
  const std::string id = matrix.id();
  const std::string where = fmt::format("spectrum matrix '{}'", id);
  if (id.empty()) throw GateTreeError(ErrorKind::structure, my_source, "spectrum matrix", "the id is empty");
  if (id == uncompensated || id == file_compensation) {
    throw GateTreeError(ErrorKind::structure, my_source, where,
                        fmt::format("'{}' is reserved for a compensation-ref (Gating-ML 2.0 §4.1)", id));
  }
  if (find_matrix(id) != nullptr) {
    throw GateTreeError(ErrorKind::structure, my_source, where, "a spectrum matrix with this id is already defined");
  }
  comp::Compensation compiled(matrix, options);
  my_matrices.push_back(MatrixEntry{std::move(matrix), options, std::move(compiled)});
}

void GatingPlan::add_transform(std::string id, transform::Transform t) {
  if (id.empty()) throw GateTreeError(ErrorKind::structure, my_source, "transformation", "the id is empty");
  if (find_transform(id) != nullptr || find_ratio(id) != nullptr) {
    throw GateTreeError(ErrorKind::structure, my_source, fmt::format("transformation '{}'", id),
                        "a transformation with this id is already defined");
  }
  my_transforms.emplace_back(std::move(id), std::move(t));
}

void GatingPlan::add_ratio(std::string id, Ratio ratio) {
  if (id.empty()) throw GateTreeError(ErrorKind::structure, my_source, "transformation", "the id is empty");
  const std::string where = fmt::format("transformation '{}'", id);
  if (find_transform(id) != nullptr || find_ratio(id) != nullptr) {
    throw GateTreeError(ErrorKind::structure, my_source, where, "a transformation with this id is already defined");
  }
  if (ratio.numerator.empty() || ratio.denominator.empty()) {
    throw GateTreeError(ErrorKind::invalid_argument, my_source, where,
                        "fratio needs two fcs-dimensions, numerator and denominator (Gating-ML 2.0 §6.7)");
  }
  my_ratios.emplace_back(std::move(id), std::move(ratio));
}

namespace {

void check_dimension(const Dimension& d, const std::string& source, const std::string& where) {
  if (d.channel.empty() == d.ratio.empty()) {
    throw GateTreeError(ErrorKind::invalid_argument, source, where,
                        "a dimension names either a channel or a ratio, not both and not neither");
  }
  if (d.compensation.empty()) {
    throw GateTreeError(ErrorKind::invalid_argument, source, where,
                        fmt::format("dimension '{}' has an empty compensation-ref (use '{}')", d.label(),
                                    uncompensated));
  }
}

struct ShapeChecker {
  const std::string& source;
  const std::string& where;

  [[noreturn]] void fail(const std::string& reason) const {
    throw GateTreeError(ErrorKind::invalid_argument, source, where, reason);
  }

  void operator()(const RectangleGate& g) const {
    if (g.intervals.empty()) fail("a rectangle gate needs at least one dimension (Gating-ML 2.0 §5.3.1)");
    for (const auto& i : g.intervals) {
      check_dimension(i.dimension, source, where);
      if (std::isnan(i.min) || std::isnan(i.max)) fail(fmt::format("dimension '{}' has a NaN bound", i.dimension.label()));
      if (i.min == std::numeric_limits<double>::infinity() || i.max == -std::numeric_limits<double>::infinity()) {
        fail(fmt::format("dimension '{}' has min = +inf or max = −inf", i.dimension.label()));
      }
      if (!(i.min <= i.max)) {
        fail(fmt::format("dimension '{}' has min {} above max {}", i.dimension.label(), i.min, i.max));
      }
    }
  }
  void operator()(const PolygonGate& g) const {
    check_dimension(g.x, source, where);
    check_dimension(g.y, source, where);
    if (g.vertices.size() < 3) {
      fail(fmt::format("a polygon needs at least 3 vertices, this one has {} (Gating-ML 2.0 §5.3.2)",
                       g.vertices.size()));
    }
    for (std::size_t k = 0; k < g.vertices.size(); ++k) {
      if (!finite(g.vertices[k].x) || !finite(g.vertices[k].y)) fail(fmt::format("vertex {} is not finite", k + 1));
    }
  }
  void operator()(const EllipsoidGate& g) const {
    const std::size_t n = g.dimensions.size();
    if (n < 2) fail("an ellipsoid needs at least 2 dimensions (Gating-ML 2.0 §5.3.3)");
    for (const auto& d : g.dimensions) check_dimension(d, source, where);
    if (g.mean.size() != n) fail(fmt::format("the mean has {} coordinates for {} dimensions", g.mean.size(), n));
    if (g.covariance.size() != n * n) {
      fail(fmt::format("the covariance matrix has {} entries, {}×{} = {} expected", g.covariance.size(), n, n, n * n));
    }
    if (!std::all_of(g.mean.begin(), g.mean.end(), finite) ||
        !std::all_of(g.covariance.begin(), g.covariance.end(), finite)) {
      fail("the mean or covariance matrix holds a value that is not finite");
    }
    if (!(g.distance_square >= 0) || !finite(g.distance_square)) {
      fail(fmt::format("distanceSquare {} is not a finite value ≥ 0", g.distance_square));
    }
    // The ellipsoid is (v − μ)ᵀ Σ⁻¹ (v − μ) ≤ D² (Gating-ML 2.0 §5.3.3). A form with no
    // positive direction (a negative-definite Σ such as −I) takes every event: refused. The
    // ISAC compliance suite gates an indefinite, slightly asymmetric Σ as given
    // (gml_ellipsoid3d_gate.xml), so those stay accepted; only the symmetric part of Σ⁻¹
    // enters the form.
    Eigen::MatrixXd m(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = g.covariance[i * n + j];
    }
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(m);
    if (!lu.isInvertible()) fail("the covariance matrix is singular");
    const Eigen::MatrixXd inverse = lu.inverse();
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen((inverse + inverse.transpose()) / 2, Eigen::EigenvaluesOnly);
    if (eigen.eigenvalues().maxCoeff() <= 0) {
      fail("the covariance matrix is negative (semi-)definite: the ellipsoid would take every event");
    }
  }
  void operator()(const BooleanGate& g) const {
    if (g.op == BooleanGate::Op::not_op && g.operands.size() != 1) {
      fail(fmt::format("a 'not' gate takes exactly 1 gateReference, this one has {} (Gating-ML 2.0 §5.3.5)",
                       g.operands.size()));
    }
    if (g.op != BooleanGate::Op::not_op && g.operands.size() < 2) {
      fail(fmt::format("an 'and'/'or' gate takes at least 2 gateReferences, this one has {} (Gating-ML 2.0 §5.3.5)",
                       g.operands.size()));
    }
    for (const auto& o : g.operands) {
      if (o.gate.empty()) fail("a gateReference has an empty ref");
    }
  }
};

}  // namespace

void GatingPlan::add_gate(Gate gate) {
  check_new_id(gate.id, "gate");
  const std::string where = gate_where(gate.id);
  std::visit(ShapeChecker{my_source, where}, gate.shape);
  if (gate.parent == gate.id) {
    throw GateTreeError(ErrorKind::structure, my_source, where, "the gate is its own parent");
  }
  claim_population(gate.id, gate.parent, gate.name);
  my_gates.push_back(std::move(gate));
}

void GatingPlan::add_quadrant_gate(QuadrantGate gate) {
  check_new_id(gate.id, "quadrant gate");
  const std::string where = gate_where(gate.id);
  if (gate.dividers.empty()) {
    throw GateTreeError(ErrorKind::invalid_argument, my_source, where, "a quadrant gate needs at least one divider");
  }
  if (gate.quadrants.empty()) {
    throw GateTreeError(ErrorKind::invalid_argument, my_source, where, "a quadrant gate needs at least one quadrant");
  }
  std::set<std::string> ids{gate.id};
  for (const auto& d : gate.dividers) {
    check_dimension(d.dimension, my_source, where);
    if (d.id.empty() || !ids.insert(d.id).second) {
      throw GateTreeError(ErrorKind::structure, my_source, where,
                          fmt::format("divider id '{}' is empty or repeated", d.id));
    }
    if (d.values.empty() || !std::all_of(d.values.begin(), d.values.end(), finite) ||
        !std::is_sorted(d.values.begin(), d.values.end())) {
      throw GateTreeError(ErrorKind::invalid_argument, my_source, where,
                          fmt::format("divider '{}' needs at least one finite value, in ascending order", d.id));
    }
  }
  for (const auto& q : gate.quadrants) {
    check_new_id(q.id, "quadrant");
    if (!ids.insert(q.id).second) {
      throw GateTreeError(ErrorKind::structure, my_source, gate_where(q.id), "the quadrant id is repeated");
    }
    if (q.positions.empty()) {
      throw GateTreeError(ErrorKind::invalid_argument, my_source, gate_where(q.id), "a quadrant needs a position");
    }
    for (const auto& p : q.positions) {
      const bool known = std::any_of(gate.dividers.begin(), gate.dividers.end(),
                                     [&](const auto& d) { return d.id == p.divider; });
      if (!known) {
        throw GateTreeError(ErrorKind::reference, my_source, gate_where(q.id),
                            fmt::format("position names divider '{}', which quadrant gate '{}' does not have",
                                        p.divider, gate.id));
      }
      if (!finite(p.location)) {
        throw GateTreeError(ErrorKind::invalid_argument, my_source, gate_where(q.id),
                            fmt::format("the location for divider '{}' is not finite", p.divider));
      }
    }
  }
  for (const auto& q : gate.quadrants) claim_population(q.id, gate.parent, q.name);
  my_quadrant_gates.push_back(std::move(gate));
}

const comp::Compensation* GatingPlan::find_matrix(std::string_view id) const noexcept {
  for (const auto& m : my_matrices) {
    if (m.matrix.id() == id) return &m.compensation;
  }
  return nullptr;
}

const transform::Transform* GatingPlan::find_transform(std::string_view id) const noexcept {
  for (const auto& [name, t] : my_transforms) {
    if (name == id) return &t;
  }
  return nullptr;
}

const Ratio* GatingPlan::find_ratio(std::string_view id) const noexcept {
  for (const auto& [name, r] : my_ratios) {
    if (name == id) return &r;
  }
  return nullptr;
}

bool GatingPlan::has_population(std::string_view id) const noexcept { return my_populations.find(id) != my_populations.end(); }

const std::string& GatingPlan::parent(std::string_view id) const {
  auto it = my_populations.find(id);
  if (it == my_populations.end()) {
    throw GateTreeError(ErrorKind::reference, my_source, gate_where(id), "no population has this id");
  }
  return it->second.parent;
}

const std::string& GatingPlan::name(std::string_view id) const {
  auto it = my_populations.find(id);
  if (it == my_populations.end()) {
    throw GateTreeError(ErrorKind::reference, my_source, gate_where(id), "no population has this id");
  }
  return it->second.name;
}

std::string GatingPlan::path(std::string_view id) const {
  std::vector<std::string_view> names;
  std::string current(id);
  while (!current.empty()) {
    if (names.size() > my_populations.size()) {
      throw GateTreeError(ErrorKind::structure, my_source, gate_where(id), "the parent chain has a cycle");
    }
    names.push_back(name(current));
    current = parent(current);
  }
  std::string out;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += *it;
  }
  return out;
}

namespace {

template <typename Fn>
void for_each_dimension(const Gate& g, Fn&& fn) {
  std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, RectangleGate>) {
          for (const auto& i : s.intervals) fn(i.dimension);
        } else if constexpr (std::is_same_v<S, PolygonGate>) {
          fn(s.x);
          fn(s.y);
        } else if constexpr (std::is_same_v<S, EllipsoidGate>) {
          for (const auto& d : s.dimensions) fn(d);
        }
      },
      g.shape);
}

}  // namespace

std::vector<Dimension> GatingPlan::dimensions() const {
  std::vector<Dimension> out;
  auto add = [&](const Dimension& d) {
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  };
  for (const auto& g : my_gates) for_each_dimension(g, add);
  for (const auto& q : my_quadrant_gates) {
    for (const auto& d : q.dividers) add(d.dimension);
  }
  return out;
}

void GatingPlan::validate() const {
  auto check_refs = [&](const Dimension& d, const std::string& where) {
    if (d.compensation != uncompensated && d.compensation != file_compensation && find_matrix(d.compensation) == nullptr) {
      throw GateTreeError(ErrorKind::reference, my_source, where,
                          fmt::format("dimension '{}' refers to compensation '{}', which is not defined", d.label(),
                                      d.compensation));
    }
    if (!d.transform.empty() && find_transform(d.transform) == nullptr) {
      throw GateTreeError(ErrorKind::reference, my_source, where,
                          fmt::format("dimension '{}' refers to transformation '{}', which is not defined", d.label(),
                                      d.transform));
    }
    if (!d.ratio.empty() && find_ratio(d.ratio) == nullptr) {
      throw GateTreeError(ErrorKind::reference, my_source, where,
                          fmt::format("dimension '{}' refers to ratio transformation '{}', which is not defined",
                                      d.label(), d.ratio));
    }
  };
  // Edges of the dependency graph: parent and boolean operands.
  std::map<std::string, std::vector<std::string>, std::less<>> depends;
  for (const auto& g : my_gates) {
    const std::string where = gate_where(g.id);
    for_each_dimension(g, [&](const Dimension& d) { check_refs(d, where); });
    auto& edges = depends[g.id];
    if (!g.parent.empty()) {
      if (!has_population(g.parent)) {
        throw GateTreeError(ErrorKind::reference, my_source, where,
                            fmt::format("parent '{}' is not a gate of this plan", g.parent));
      }
      edges.push_back(g.parent);
    }
    if (const auto* b = std::get_if<BooleanGate>(&g.shape)) {
      for (const auto& o : b->operands) {
        if (!has_population(o.gate)) {
          throw GateTreeError(ErrorKind::reference, my_source, where,
                              fmt::format("gateReference '{}' is not a gate of this plan", o.gate));
        }
        edges.push_back(o.gate);
      }
    }
  }
  for (const auto& q : my_quadrant_gates) {
    const std::string where = gate_where(q.id);
    for (const auto& d : q.dividers) check_refs(d.dimension, where);
    if (!q.parent.empty() && !has_population(q.parent)) {
      throw GateTreeError(ErrorKind::reference, my_source, where,
                          fmt::format("parent '{}' is not a gate of this plan", q.parent));
    }
    for (const auto& quadrant : q.quadrants) {
      if (!q.parent.empty()) depends[quadrant.id].push_back(q.parent);
    }
  }
  // Depth-first search for a cycle, with an explicit stack so that a chain of any depth
  // (a generated plan may nest thousands of gates) cannot overflow the call stack.
  // state: 0 = unseen, 1 = on the path, 2 = done.
  std::map<std::string_view, int> state;
  struct Frame {
    std::string_view id;
    std::size_t next = 0;  // index of the next dependency to visit
  };
  static const std::vector<std::string> none;
  auto edges_of = [&](std::string_view id) -> const std::vector<std::string>& {
    auto it = depends.find(id);
    return it == depends.end() ? none : it->second;
  };
  for (const auto& root : my_population_ids) {
    if (state[root] != 0) continue;
    std::vector<Frame> path{{root}};
    state[root] = 1;
    while (!path.empty()) {
      Frame& top = path.back();
      const auto& edges = edges_of(top.id);
      if (top.next == edges.size()) {
        state[top.id] = 2;
        path.pop_back();
        continue;
      }
      const std::string_view next = edges[top.next++];
      const int s = state[next];
      if (s == 1) {
        std::string chain;
        bool on = false;
        for (const auto& f : path) {
          on = on || f.id == next;
          if (on) chain += std::string(f.id) + " → ";
        }
        chain += next;
        throw GateTreeError(ErrorKind::structure, my_source, gate_where(path.back().id),
                            fmt::format("the gates depend on each other in a cycle: {}", chain));
      }
      if (s == 0) {
        state[next] = 1;
        path.push_back({next});
      }
    }
  }
}

}  // namespace escapade::gate
