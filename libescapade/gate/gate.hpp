#pragma once
/// @file
/// Gates, the gating plan (a tree of populations) and its evaluation into event
/// memberships (Gating-ML 2.0 §5; semantics as docs/formats.md §2.2–§2.5 verifies them against
/// the ISAC compliance suite).
///
/// The flow is describe, then apply (STYLE §5): a `GatingPlan` is what a Gating-ML file, a
/// FlowJo workspace or the user says (dimensions, matrices, transforms, gates with parents).
/// `apply` checks it against one `EventMatrix` once, then streams the events in blocks: each
/// block computes only the dimension values its gates need (compensation and transform on
/// demand, never a compensated copy of the matrix), and each gate is tested only where its
/// parent has events. Memberships are bitsets.
///
/// Value pipeline of one gate dimension (docs/formats.md §2.2): the FCS scale value of a channel
/// → compensation (`uncompensated`, the file's own spillover `FCS`, or a spectrum matrix of
/// the plan) → at most one transform; or a ratio (fratio) of two compensated channels →
/// at most one transform. Gate coordinates are in that final space.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/base/event_matrix.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/fcs/spillover.hpp"
#include "libescapade/transform/transform.hpp"

namespace escapade::gate {

/// The `compensation-ref` meaning "scale values as read" (Gating-ML 2.0 §4.1).
inline constexpr std::string_view uncompensated = "uncompensated";
/// The `compensation-ref` meaning "the file's own spillover keyword" (Gating-ML 2.0 §4.1;
/// a file without one is uncompensated, docs/formats.md §2.4).
inline constexpr std::string_view file_compensation = "FCS";

/// Where the values of one gate dimension come from (Gating-ML 2.0 `gating:dimension`:
/// `fcs-dimension` or `new-dimension`, `compensation-ref`, `transformation-ref`).
struct Dimension {
  /// The channel's $PnN; with a spectrum-matrix compensation, the fluorochrome (an output
  /// dimension of the matrix). Empty for a ratio dimension.
  std::string channel;
  /// `uncompensated`, `file_compensation`, or the id of a spectrum matrix of the plan.
  /// For a ratio dimension it applies to the ratio's two channels.
  std::string compensation = std::string(uncompensated);
  /// Id of a transform of the plan applied last; empty for none.
  std::string transform;
  /// Id of a ratio of the plan (Gating-ML `new-dimension` over an `fratio`); then
  /// `channel` is empty.
  std::string ratio;

  /// A dimension on a channel, uncompensated and untransformed.
  [[nodiscard]] static Dimension of(std::string channel) {
    Dimension d;
    d.channel = std::move(channel);
    return d;
  }
  /// Short label: `FL1-H`, `PE [MySpill]`, `FL2-H [FCS] → Logicle1`, `ratio:FL2Rat1`.
  [[nodiscard]] std::string label() const;
  friend bool operator==(const Dimension&, const Dimension&) = default;
  friend auto operator<=>(const Dimension&, const Dimension&) = default;
};

/// Gating-ML 2.0 `fratio` and its two input channels: y = A·(x1 − B)/(x2 − C).
struct Ratio {
  transform::RatioTransform transform;
  std::string numerator;    ///< $PnN (or fluorochrome) of x1
  std::string denominator;  ///< $PnN (or fluorochrome) of x2
};

/// One side-bounded interval of a rectangle gate.
struct Interval {
  Dimension dimension;
  double min = -std::numeric_limits<double>::infinity();  ///< inclusive; −inf = unbounded
  double max = std::numeric_limits<double>::infinity();   ///< exclusive; +inf = unbounded
};

/// Rectangle (and range) gate: inside iff min ≤ v < max on every dimension (Gating-ML 2.0
/// §5.3.1; max exclusive as the compliance suite requires, docs/formats.md §2.5).
struct RectangleGate {
  std::vector<Interval> intervals;
};

/// A polygon vertex.
struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

/// Polygon gate on two dimensions, implicitly closed (Gating-ML 2.0 §5.3.2). Inside by the
/// even-odd rule; a point on an edge or a vertex is inside (docs/formats.md §2.5: Polygon1 counts
/// its four on-edge events, Polygon3NS follows even-odd).
struct PolygonGate {
  Dimension x;
  Dimension y;
  std::vector<Point> vertices;  ///< at least 3
};

/// Ellipsoid gate in n ≥ 2 dimensions (Gating-ML 2.0 §5.3.3): inside iff
/// (v − μ)ᵀ Σ⁻¹ (v − μ) ≤ D².
struct EllipsoidGate {
  std::vector<Dimension> dimensions;
  std::vector<double> mean;        ///< μ, n values
  std::vector<double> covariance;  ///< Σ, n×n row-major, symmetric positive definite
  double distance_square = 1.0;    ///< D² ≥ 0
};

/// Boolean gate over other populations (Gating-ML 2.0 §5.3.5). An operand contributes its
/// whole membership (its own parents included); `complement` negates it
/// (`use-as-complement`).
struct BooleanGate {
  enum class Op { and_op, or_op, not_op };
  struct Operand {
    std::string gate;  ///< id of a population of the plan
    bool complement = false;
    friend bool operator==(const Operand&, const Operand&) = default;
  };
  Op op = Op::and_op;
  std::vector<Operand> operands;  ///< and/or: at least 2; not: exactly 1
};

/// One gate that defines one population.
struct Gate {
  std::string id;      ///< unique in the plan
  std::string parent;  ///< id of the parent population; empty = all events
  std::string name;    ///< display name (FlowJo's population name); empty = the id
  std::variant<RectangleGate, PolygonGate, EllipsoidGate, BooleanGate> shape;
  /// The population is the parent's events *outside* the shape (FlowJo `eventsInside="0"`).
  bool complement = false;
};

/// Gating-ML 2.0 §5.3.4 quadrant gate: dividers split dimensions into intervals
/// (−∞, v1), [v1, v2), …, [vk, +∞) (lower bound inclusive, docs/formats.md §2.5); each quadrant
/// is a population, the AND of the intervals holding its positions' locations. Dividers a
/// quadrant does not name leave that dimension unconstrained.
struct QuadrantGate {
  struct Divider {
    std::string id;
    Dimension dimension;
    std::vector<double> values;  ///< ascending
  };
  struct Position {
    std::string divider;  ///< a Divider id
    double location = 0;  ///< a value inside the wanted interval
  };
  struct Quadrant {
    std::string id;  ///< the population id (what parents and booleans refer to)
    std::string name;
    std::vector<Position> positions;
  };
  std::string id;      ///< the QuadrantGate's own id (not a population)
  std::string parent;  ///< parent population of every quadrant; empty = all events
  std::vector<Divider> dividers;
  std::vector<Quadrant> quadrants;
};

/// A gating plan: the spectrum matrices, transforms, ratios and gates of one analysis, in
/// the order they were added. Building it checks only what one element can check alone;
/// `validate` (and `apply`) check references, cycles and dimensions. A plain value, copyable;
/// `const` use is thread-safe.
class GatingPlan {
 public:
  GatingPlan() = default;
  /// @param source where the plan came from (a file name), used in every error.
  explicit GatingPlan(std::string source) : my_source(std::move(source)) {}

  [[nodiscard]] const std::string& source() const noexcept { return my_source; }

  /// Adds a spectrum matrix under `matrix.id()`, compiled with `options`.
  /// @throws GateTreeError(structure) if the id is empty, reserved (`uncompensated`, `FCS`)
  ///         or taken; the comp errors if the matrix cannot be compiled.
  void add_matrix(comp::SpectrumMatrix matrix, const comp::CompileOptions& options = {});
  /// @throws GateTreeError(structure) if the id is empty or taken by a transform or ratio.
  void add_transform(std::string id, transform::Transform transform);
  /// @throws GateTreeError(structure) if the id is empty or taken by a transform or ratio.
  void add_ratio(std::string id, Ratio ratio);
  /// @throws GateTreeError(structure) if the id is empty or taken;
  ///         GateTreeError(invalid_argument) if the shape is malformed (polygon with < 3
  ///         vertices, ellipsoid sizes, boolean operand count, NaN coordinates, …).
  void add_gate(Gate gate);
  /// Adds one population per quadrant.
  /// @throws as add_gate, for the QuadrantGate id and each quadrant id; also if a position
  ///         names no divider.
  void add_quadrant_gate(QuadrantGate gate);

  struct MatrixEntry {
    comp::SpectrumMatrix matrix;
    comp::CompileOptions options;
    comp::Compensation compensation;
  };
  [[nodiscard]] const std::vector<MatrixEntry>& matrices() const noexcept { return my_matrices; }
  [[nodiscard]] const std::vector<std::pair<std::string, transform::Transform>>& transforms() const noexcept {
    return my_transforms;
  }
  [[nodiscard]] const std::vector<std::pair<std::string, Ratio>>& ratios() const noexcept { return my_ratios; }
  [[nodiscard]] const std::vector<Gate>& gates() const noexcept { return my_gates; }
  [[nodiscard]] const std::vector<QuadrantGate>& quadrant_gates() const noexcept { return my_quadrant_gates; }

  [[nodiscard]] const comp::Compensation* find_matrix(std::string_view id) const noexcept;
  [[nodiscard]] const transform::Transform* find_transform(std::string_view id) const noexcept;
  [[nodiscard]] const Ratio* find_ratio(std::string_view id) const noexcept;

  /// Every population id in definition order (quadrants in place of their QuadrantGate).
  [[nodiscard]] const std::vector<std::string>& populations() const noexcept { return my_population_ids; }
  [[nodiscard]] bool has_population(std::string_view id) const noexcept;
  /// Parent population id ("" for a top-level population).
  /// @throws GateTreeError(reference) if `id` is not a population.
  [[nodiscard]] const std::string& parent(std::string_view id) const;
  /// Display name (the id when no name was given).
  /// @throws GateTreeError(reference) if `id` is not a population.
  [[nodiscard]] const std::string& name(std::string_view id) const;
  /// The names from the top-level ancestor down to `id`, joined by '/': FlowJo's population
  /// path without the leading "root".
  /// @throws GateTreeError(reference) if `id` is not a population or a parent is missing.
  [[nodiscard]] std::string path(std::string_view id) const;
  /// Every distinct dimension a gate uses, in first-use order.
  [[nodiscard]] std::vector<Dimension> dimensions() const;

  /// Checks every reference: parents and boolean operands name populations, there is no
  /// cycle through parents or boolean operands, dimensions name existing matrices,
  /// transforms and ratios, and a spectrum-matrix dimension names one of its fluorochromes.
  /// @throws GateTreeError(reference|structure) naming the gate id and the reason.
  void validate() const;

 private:
  struct PopulationInfo {
    std::string parent;
    std::string name;
  };
  void claim_population(const std::string& id, const std::string& parent, const std::string& name);
  void check_new_id(const std::string& id, std::string_view what) const;

  std::string my_source;
  std::vector<MatrixEntry> my_matrices;
  std::vector<std::pair<std::string, transform::Transform>> my_transforms;
  std::vector<std::pair<std::string, Ratio>> my_ratios;
  std::vector<Gate> my_gates;
  std::vector<QuadrantGate> my_quadrant_gates;
  std::vector<std::string> my_population_ids;
  std::map<std::string, PopulationInfo, std::less<>> my_populations;
};

/// The events of one population: one bit per event, in 64-bit words (bit i%64 of word i/64).
/// Bits past `size()` are always zero.
class Membership {
 public:
  Membership() = default;
  explicit Membership(std::size_t events) : my_size(events), my_words((events + 63) / 64, 0) {}

  [[nodiscard]] std::size_t size() const noexcept { return my_size; }
  [[nodiscard]] bool test(std::size_t event) const noexcept {
    return ((my_words[event >> 6] >> (event & 63)) & 1U) != 0;
  }
  void set(std::size_t event) noexcept { my_words[event >> 6] |= std::uint64_t{1} << (event & 63); }
  /// Number of events in the population.
  [[nodiscard]] std::size_t count() const noexcept;
  [[nodiscard]] std::span<const std::uint64_t> words() const noexcept { return my_words; }
  [[nodiscard]] std::span<std::uint64_t> words() noexcept { return my_words; }
  /// Indices of the member events, ascending.
  [[nodiscard]] std::vector<std::size_t> indices() const;
  friend bool operator==(const Membership&, const Membership&) = default;

 private:
  std::size_t my_size = 0;
  std::vector<std::uint64_t> my_words;
};

/// What `apply` needs beyond the plan and the events.
struct ApplyOptions {
  /// The file's own spillover, used by dimensions with compensation `FCS`. Null means the
  /// file has none, and `FCS` then reads as uncompensated (docs/formats.md §2.4).
  const fcs::SpilloverMatrix* file_spillover = nullptr;
  /// Set when the file has a spillover keyword that could not be used
  /// (fcs::DataSet::spillover_problem): a dimension with compensation `FCS` is then an
  /// error naming the file and the keyword, never uncompensated values.
  const Warning* file_spillover_problem = nullptr;
  /// Threads (0 = all cores). Results do not depend on it.
  int num_threads = 0;
  /// The events' file ("sample.fcs"): errors about what the events lack (a channel, a
  /// detector a compensation needs) name it rather than the plan's file. Empty = the plan's.
  std::string events_source;
  /// The keyword `file_spillover` came from ("$SPILLOVER", "SPILL", "$COMP"), named in errors.
  std::string file_spillover_keyword;
  /// Transform kernel; results of both agree to 1e-12 relative.
  transform::Kernel kernel = transform::Kernel::vectorized;
  /// Values the caller already holds for some dimensions (one per event, exactly what
  /// `dimension_values` gives for that dimension), used instead of computing them again — a
  /// pipeline that found its cuts on these values gates on the very same numbers. The spans
  /// must outlive the call.
  std::vector<std::pair<Dimension, std::span<const double>>> known_values;
};

/// ApplyOptions for the events of `data`, read from the file `events_source`: the file's own
/// spillover (or the problem with it) for `FCS` dimensions, and the file named in errors.
[[nodiscard]] ApplyOptions file_apply_options(const fcs::DataSet& data, std::string events_source, int num_threads = 0);

/// Memberships of every population of a plan on one event matrix. Immutable.
class GatingResult {
 public:
  [[nodiscard]] std::size_t event_count() const noexcept { return my_events; }
  /// Population ids in the plan's definition order.
  [[nodiscard]] const std::vector<std::string>& populations() const noexcept { return my_ids; }
  /// @throws GateTreeError(reference) if `id` is not a population.
  [[nodiscard]] const Membership& membership(std::string_view id) const;
  [[nodiscard]] std::size_t count(std::string_view id) const { return membership(id).count(); }
  /// Events of the parent (all events for a top-level population).
  [[nodiscard]] std::size_t parent_count(std::string_view id) const;
  /// 100·count/parent count; NaN when the parent is empty.
  [[nodiscard]] double percent_of_parent(std::string_view id) const;
  /// 100·count/events; NaN when there are no events.
  [[nodiscard]] double percent_of_total(std::string_view id) const;
  /// Parent id as in the plan.
  [[nodiscard]] const std::string& parent(std::string_view id) const;

 private:
  friend GatingResult apply(const GatingPlan&, const EventMatrix&, const ApplyOptions&);
  std::size_t index(std::string_view id) const;

  std::size_t my_events = 0;
  std::vector<std::string> my_ids;
  std::map<std::string, std::size_t, std::less<>> my_index;  // id → position in my_ids (lookups in log time)
  std::vector<std::string> my_parents;
  std::vector<Membership> my_memberships;
  std::vector<std::size_t> my_counts;
};

/// Evaluates every population of `plan` on `events` (docs/formats.md §2.2–§2.5).
/// @throws GateTreeError(reference|structure) as `GatingPlan::validate`, or naming the gate
///         and the channel when a channel is not in `events` (listing the channels there are);
///         comp errors when a matrix does not fit the events.
[[nodiscard]] GatingResult apply(const GatingPlan& plan, const EventMatrix& events, const ApplyOptions& options = {});

/// The values of `dimension` for every event (compensated and transformed as it says), e.g.
/// for statistics on a chosen scale. `plan` supplies matrices, transforms and ratios.
/// @throws as `apply` for an unknown channel, matrix, transform or ratio.
[[nodiscard]] std::vector<double> dimension_values(const GatingPlan& plan, const EventMatrix& events,
                                                   const Dimension& dimension, const ApplyOptions& options = {});

/// Statistics of one channel over one population (FlowJo's and FlowKit's population
/// statistics). Percentiles are R type 7 (linear interpolation).
struct ChannelStatistics {
  std::size_t count = 0;
  double mean = 0;
  double median = 0;
  double geometric_mean = 0;  ///< exp(mean(log v)) over v > 0 only; NaN when none is > 0
  double sd = 0;              ///< n − 1 denominator; NaN for n < 2
  double robust_sd = 0;       ///< (P84.13 − P15.87)/2, FlowJo's rSD; equals SD for a normal
  double cv = 0;              ///< 100·sd/mean
  double robust_cv = 0;       ///< 100·rSD/median
  double min = 0;
  double max = 0;
  std::vector<double> percentiles;  ///< one per requested p, in the order asked
};

/// Statistics of `values` restricted to the events of `membership`. Every statistic is NaN
/// when the population is empty (count 0). NaN values are skipped.
/// @param percentiles each in [0, 100].
/// @throws Error(invalid_argument) if the sizes differ or a percentile is outside [0, 100].
[[nodiscard]] ChannelStatistics channel_statistics(std::span<const double> values, const Membership& membership,
                                                   std::span<const double> percentiles = {});

}  // namespace escapade::gate
