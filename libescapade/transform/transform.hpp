#pragma once
/// @file
/// Scale transforms: the Gating-ML 2.0 transformations (flin, flog, fasinh, logicle,
/// hyperlog, fratio; Gating-ML 2.0 §6, equations as docs/formats.md §2.3 states them) and the
/// per-channel transforms of FlowJo 10 workspaces (linear, log, fasinh, logicle, biex;
/// docs/formats.md §3.3), each forward and inverse, over single values and over spans.
///
/// Every transform is a small immutable value type whose constructor validates the
/// parameters (STYLE §3, validate at the boundary) and whose `apply`/`inverse` are
/// `const`, `noexcept` on scalars and thread-safe. `Transform` holds any per-dimension
/// transform so that a gating plan can keep one per dimension; `RatioTransform` takes two
/// inputs and builds a new dimension instead (Gating-ML `new-dimension`).
///
/// Logicle and hyperlog have no closed form: the forward transform solves the defining
/// equation. `Kernel::vectorized` (the default) does it with a precomputed table and one
/// Halley step; `Kernel::reference` with a bracketed Halley iteration to full precision.
/// Both agree within 1e-12 (tests/transform), and `Kernel::vectorized` gives the same bits
/// on every CPU.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace escapade::transform {

namespace detail {
class BiexSolver;
}

/// Which path computes a batch. Both solve the same equation; see the file comment.
enum class Kernel {
  vectorized,  ///< table + one Halley step, four values per vector (the hot path)
  reference,   ///< scalar, bracketed Halley iteration to full precision (the yardstick)
};

/// Gating-ML 2.0 `transformation@boundMin/@boundMax`: y = min(max(y, min), max) after the
/// forward transform (docs/formats.md §2.3, flowCore Rd; not exercised by the suite). An empty
/// side does not clamp. Inverses ignore bounds, as clamping cannot be undone.
struct Bounds {
  std::optional<double> min;  ///< boundMin
  std::optional<double> max;  ///< boundMax
  friend bool operator==(const Bounds&, const Bounds&) = default;
};

/// Gating-ML 2.0 `flin`: y = (x + A)/(T + A) (docs/formats.md §2.3). Thread-safe.
class LinearTransform {
 public:
  /// @param t T > 0, the top of scale.  @param a A with 0 ≤ A ≤ T.
  /// @throws Error(numeric) naming the parameter if one is outside its range or not finite,
  ///         or if bounds.min > bounds.max.
  LinearTransform(double t, double a, Bounds bounds = {});
  [[nodiscard]] double t() const noexcept { return my_t; }
  [[nodiscard]] double a() const noexcept { return my_a; }
  [[nodiscard]] const Bounds& bounds() const noexcept { return my_bounds; }
  /// Forward, then clamped to bounds().
  [[nodiscard]] double apply(double x) const noexcept;
  /// x = y·(T + A) − A.
  [[nodiscard]] double inverse(double y) const noexcept;
  /// Batch forms: `out[i] = apply(in[i])`; `in` and `out` may be the same span.
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  /// `LinearTransform(T=10000, A=500)`.
  [[nodiscard]] std::string summary() const;

 private:
  double my_t;
  double my_a;
  Bounds my_bounds;
};

/// Gating-ML 2.0 `flog`: y = 1 + log10(x/T)/M (docs/formats.md §2.3). x = 0 gives −inf and
/// x < 0 NaN, as the equation does (the standard leaves x ≤ 0 undefined). Thread-safe.
class LogTransform {
 public:
  /// @param t T > 0.  @param m M > 0, decades.
  /// @throws Error(numeric) naming the parameter if one is outside its range or not finite.
  LogTransform(double t, double m, Bounds bounds = {});
  [[nodiscard]] double t() const noexcept { return my_t; }
  [[nodiscard]] double m() const noexcept { return my_m; }
  [[nodiscard]] const Bounds& bounds() const noexcept { return my_bounds; }
  [[nodiscard]] double apply(double x) const noexcept;
  /// x = T·10^((y − 1)·M).
  [[nodiscard]] double inverse(double y) const noexcept;
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  [[nodiscard]] std::string summary() const;

 private:
  double my_t;
  double my_m;
  Bounds my_bounds;
};

/// Gating-ML 2.0 `fasinh`: y = [asinh(x·sinh(M·ln10)/T) + A·ln10] / [(M + A)·ln10]
/// (docs/formats.md §2.3; equals logicle with W = 0). Thread-safe.
class AsinhTransform {
 public:
  /// @param t T > 0.  @param m M > 0.  @param a A ≥ 0.
  /// @throws Error(numeric) naming the parameter if one is outside its range or not finite.
  AsinhTransform(double t, double m, double a, Bounds bounds = {});
  [[nodiscard]] double t() const noexcept { return my_t; }
  [[nodiscard]] double m() const noexcept { return my_m; }
  [[nodiscard]] double a() const noexcept { return my_a; }
  [[nodiscard]] const Bounds& bounds() const noexcept { return my_bounds; }
  [[nodiscard]] double apply(double x) const noexcept;
  /// x = T·sinh((M + A)·ln10·y − A·ln10)/sinh(M·ln10).
  [[nodiscard]] double inverse(double y) const noexcept;
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  [[nodiscard]] std::string summary() const;

 private:
  double my_t;
  double my_m;
  double my_a;
  double my_scale;  // sinh(M·ln10)/T
  Bounds my_bounds;
};

/// Gating-ML 2.0 `logicle` (Parks, Roederer & Moore 2006): y solves B(y) = x with
/// B(y) = a·e^(b·y) − c·e^(−d·y) − f for y ≥ x1 and B(y) = −B(2·x1 − y) below, the
/// constants as docs/formats.md §2.3 derives them from T, W, M, A. logicle(0) = x1 and
/// logicle(T) = 1. The forward transform is within 1e-12 of the exact solution for every
/// finite x (NaN stays NaN, ±inf gives ±inf). Copies share the precomputed table (about
/// 100 KB, built in the constructor). Thread-safe.
class LogicleTransform {
 public:
  /// @param t T > 0, top of scale.  @param w W ≥ 0, linearization width in decades.
  /// @param m M > 0, decades.  @param a A, additional negative decades.
  /// @throws Error(numeric) naming the parameter unless W ≤ M/2 and −W ≤ A ≤ M − 2W, or if
  ///         a parameter is not finite or bounds.min > bounds.max.
  LogicleTransform(double t, double w, double m, double a, Bounds bounds = {});
  [[nodiscard]] double t() const noexcept { return my_t; }
  [[nodiscard]] double w() const noexcept { return my_w; }
  [[nodiscard]] double m() const noexcept { return my_m; }
  [[nodiscard]] double a() const noexcept { return my_a; }
  [[nodiscard]] const Bounds& bounds() const noexcept { return my_bounds; }
  /// x1 = (W + A)/(M + A): where x = 0 lands.
  [[nodiscard]] double zero_point() const noexcept;
  /// Forward through the reference path (a scalar has no vector to fill).
  [[nodiscard]] double apply(double x) const noexcept;
  /// B(y), with its Taylor series near x1 so small values keep their relative precision.
  [[nodiscard]] double inverse(double y) const noexcept;
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out, Kernel kernel = Kernel::vectorized) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  /// `LogicleTransform(T=262144, W=0.5, M=4.5, A=0)`.
  [[nodiscard]] std::string summary() const;

 private:
  double my_t;
  double my_w;
  double my_m;
  double my_a;
  Bounds my_bounds;
  std::shared_ptr<const detail::BiexSolver> my_solver;
};

/// Gating-ML 2.0 `hyperlog` (Bagwell 2005): y solves EH(y) = x with
/// EH(y) = a·e^(b·y) + c·y − f for y ≥ x1 and EH(y) = −EH(2·x1 − y) below (docs/formats.md §2.3).
/// Same accuracy, paths and sharing as LogicleTransform. Thread-safe.
class HyperlogTransform {
 public:
  /// @param t T > 0.  @param w W > 0.  @param m M > 0.  @param a A.
  /// @throws Error(numeric) naming the parameter unless W ≤ M/2 and −W ≤ A ≤ M − 2W, or if
  ///         a parameter is not finite or bounds.min > bounds.max.
  HyperlogTransform(double t, double w, double m, double a, Bounds bounds = {});
  [[nodiscard]] double t() const noexcept { return my_t; }
  [[nodiscard]] double w() const noexcept { return my_w; }
  [[nodiscard]] double m() const noexcept { return my_m; }
  [[nodiscard]] double a() const noexcept { return my_a; }
  [[nodiscard]] const Bounds& bounds() const noexcept { return my_bounds; }
  /// x1 = (W + A)/(M + A).
  [[nodiscard]] double zero_point() const noexcept;
  [[nodiscard]] double apply(double x) const noexcept;
  [[nodiscard]] double inverse(double y) const noexcept;
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out, Kernel kernel = Kernel::vectorized) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  [[nodiscard]] std::string summary() const;

 private:
  double my_t;
  double my_w;
  double my_m;
  double my_a;
  Bounds my_bounds;
  std::shared_ptr<const detail::BiexSolver> my_solver;
};

/// Gating-ML 2.0 `fratio` over two dimensions: y = A·(x1 − B)/(x2 − C), x1 the numerator
/// (docs/formats.md §2.3). x2 = C gives ±inf or NaN, as the equation does. It makes a new
/// dimension, whose own transformation-ref then applies to y. Thread-safe.
class RatioTransform {
 public:
  /// @throws Error(numeric) naming the parameter if A, B or C is not finite, or if
  ///         bounds.min > bounds.max.
  RatioTransform(double a, double b, double c, Bounds bounds = {});
  [[nodiscard]] double a() const noexcept { return my_a; }
  [[nodiscard]] double b() const noexcept { return my_b; }
  [[nodiscard]] double c() const noexcept { return my_c; }
  [[nodiscard]] const Bounds& bounds() const noexcept { return my_bounds; }
  [[nodiscard]] double apply(double x1, double x2) const noexcept;
  /// `out[i] = apply(x1[i], x2[i])`; out may alias either input.
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> x1, std::span<const double> x2, std::span<double> out) const;
  [[nodiscard]] std::string summary() const;

 private:
  double my_a;
  double my_b;
  double my_c;
  Bounds my_bounds;
};

/// FlowJo 10 `transforms:linear @minRange @maxRange gain` (docs/formats.md §3.3):
/// y = (gain·x − minRange)/(maxRange − minRange), so [minRange, maxRange] maps to [0, 1].
/// The gain is applied as CytoML applies it (docs/formats.md §3.3, unverified); FlowKit reads the
/// element as flin(T = maxRange, A = minRange) instead. Both are affine in x, so a gate gives
/// the same events under either. Thread-safe.
class FlowJoLinearTransform {
 public:
  /// @throws Error(numeric) naming the parameter unless maxRange > minRange and gain > 0,
  ///         all finite.
  FlowJoLinearTransform(double min_range, double max_range, double gain = 1.0);
  [[nodiscard]] double min_range() const noexcept { return my_min; }
  [[nodiscard]] double max_range() const noexcept { return my_max; }
  [[nodiscard]] double gain() const noexcept { return my_gain; }
  [[nodiscard]] double apply(double x) const noexcept;
  [[nodiscard]] double inverse(double y) const noexcept;
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  [[nodiscard]] std::string summary() const;

 private:
  double my_min;
  double my_max;
  double my_gain;
};

/// FlowJo 10 `transforms:log @offset @decades` as FlowKit defines it (docs/formats.md §3.3):
/// y = (log10(max(x, offset)) − log10(offset))/decades. Values below offset map to 0
/// (CytoML differs there: 0 only for x ≤ 0). Thread-safe.
class FlowJoLogTransform {
 public:
  /// @throws Error(numeric) naming the parameter unless offset > 0 and decades > 0, finite.
  FlowJoLogTransform(double offset, double decades);
  [[nodiscard]] double offset() const noexcept { return my_offset; }
  [[nodiscard]] double decades() const noexcept { return my_decades; }
  [[nodiscard]] double apply(double x) const noexcept;
  /// x = offset·10^(y·decades) (≥ offset: the clamp below offset is not undone).
  [[nodiscard]] double inverse(double y) const noexcept;
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  [[nodiscard]] std::string summary() const;

 private:
  double my_offset;
  double my_decades;
};

/// FlowJo 10 `transforms:biex @neg @width @pos @length @maxRange` (docs/formats.md §3.3): the
/// curve FlowJo tabulates in 4096 channels, in closed form. With W = log10(|width|)/2 it is
/// logicle(T = maxRange, W, M = pos, A = neg) adjusted the way FlowJo's table is built
/// (TreeStar → cytolib → FlowKit `generate_biex_lut`): the zero sits on the whole channel
/// z = floor((neg + W)·4096/(pos + neg)) (at most 2048), the decades become
/// (neg + W)·4096/z, channel i lies at y = i/4097, a = maxRange·e^(−b), and f puts B(z/4097)
/// at 0. `apply` returns the channel (0 … 4096, clamped there as FlowJo's table clamps);
/// `inverse(i)` is the table's raw value for channel i. `length` (256 in every workspace)
/// is kept for the summary only. Thread-safe.
class FlowJoBiexTransform {
 public:
  /// Channels in FlowJo's table (the last is channel_count).
  static constexpr int channel_count = 4096;

  /// @param neg extra negative decades (below 0 counts as 0).  @param width the width basis,
  ///        |width| ≥ 1 (FlowJo writes it negative, e.g. −10).  @param pos positive decades.
  /// @param length display length (kept, unused).  @param max_range top of scale, > 0.
  /// @throws Error(numeric) naming the parameter if one is outside its range or not finite,
  ///         or if pos ≤ W.
  FlowJoBiexTransform(double neg, double width, double pos, double length = 256.0, double max_range = 262144.0);
  [[nodiscard]] double neg() const noexcept { return my_neg; }
  [[nodiscard]] double width() const noexcept { return my_width; }
  [[nodiscard]] double pos() const noexcept { return my_pos; }
  [[nodiscard]] double length() const noexcept { return my_length; }
  [[nodiscard]] double max_range() const noexcept { return my_max_range; }
  /// The channel of the zero, z above.
  [[nodiscard]] int zero_channel() const noexcept { return my_zero_channel; }
  /// Raw value → channel in [0, 4096].
  [[nodiscard]] double apply(double x) const noexcept;
  /// Channel (clamped to [0, 4096]) → raw value.
  [[nodiscard]] double inverse(double channel) const noexcept;
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out, Kernel kernel = Kernel::vectorized) const;
  void inverse(std::span<const double> in, std::span<double> out) const;
  [[nodiscard]] std::string summary() const;

 private:
  double my_neg;
  double my_width;
  double my_pos;
  double my_length;
  double my_max_range;
  int my_zero_channel = 0;
  std::shared_ptr<const detail::BiexSolver> my_solver;
};

/// FlowJo 10 `transforms:fasinh @T @M @A @W @length @maxRange` (docs/formats.md §3.3): the
/// Gating-ML fasinh(T, M, A), as FlowKit reads it. W and maxRange are unused; cytolib scales
/// the result by length, which moves no event across a gate (an affine change of one axis).
/// @throws Error(numeric) as AsinhTransform does.
[[nodiscard]] AsinhTransform flowjo_fasinh(double t, double m, double a, double w = 0.0, double length = 256.0,
                                           double max_range = 262144.0);

/// FlowJo 10 `transforms:logicle @T @W @M @A`: the Gating-ML logicle (docs/formats.md §3.3).
/// @throws Error(numeric) as LogicleTransform does.
[[nodiscard]] LogicleTransform flowjo_logicle(double t, double w, double m, double a);

/// Any one-dimensional transform, for a gating plan to hold one per dimension. A small
/// value: copies share the logicle/hyperlog/biex tables. Thread-safe.
class Transform {
 public:
  using Variant = std::variant<LinearTransform, LogTransform, AsinhTransform, LogicleTransform, HyperlogTransform,
                               FlowJoLinearTransform, FlowJoLogTransform, FlowJoBiexTransform>;

  // Implicit on purpose: any concrete transform is a Transform.
  // NOLINTBEGIN(google-explicit-constructor)
  Transform(LinearTransform t) : my_value(std::move(t)) {}
  Transform(LogTransform t) : my_value(std::move(t)) {}
  Transform(AsinhTransform t) : my_value(std::move(t)) {}
  Transform(LogicleTransform t) : my_value(std::move(t)) {}
  Transform(HyperlogTransform t) : my_value(std::move(t)) {}
  Transform(FlowJoLinearTransform t) : my_value(std::move(t)) {}
  Transform(FlowJoLogTransform t) : my_value(std::move(t)) {}
  Transform(FlowJoBiexTransform t) : my_value(std::move(t)) {}
  // NOLINTEND(google-explicit-constructor)

  /// The concrete transform, for callers that need its parameters.
  [[nodiscard]] const Variant& variant() const noexcept { return my_value; }
  /// The concrete transform if it is a `T_`, else nullptr (lives as long as this object).
  template <typename T_>
  [[nodiscard]] const T_* get_if() const noexcept {
    return std::get_if<T_>(&my_value);
  }

  /// Short name of the kind: the Gating-ML element ("flin", "flog", "fasinh", "logicle",
  /// "hyperlog") or "flowjo-linear", "flowjo-log", "flowjo-biex".
  [[nodiscard]] std::string_view name() const noexcept;
  /// The concrete transform's one-line summary.
  [[nodiscard]] std::string summary() const;

  [[nodiscard]] double apply(double x) const noexcept;
  [[nodiscard]] double inverse(double y) const noexcept;
  /// Batch forward, the hot path; `in` and `out` may be the same span. `kernel` matters
  /// only to logicle, hyperlog and FlowJo biex.
  /// @throws Error(invalid_argument) if the sizes differ.
  void apply(std::span<const double> in, std::span<double> out, Kernel kernel = Kernel::vectorized) const;
  /// @throws Error(invalid_argument) if the sizes differ.
  void inverse(std::span<const double> in, std::span<double> out) const;

 private:
  Variant my_value;
};

}  // namespace escapade::transform
