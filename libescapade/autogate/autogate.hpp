#pragma once
/// @file
/// Data-driven gates: thresholds and shapes found from the events themselves, each
/// returned with the evidence a reviewer needs to trust or override it (the
/// density-valley practice of flowDensity and of manual MRD gating).
///
/// Every function takes the values of one population on one (usually transformed) axis,
/// already restricted to the parent's events, and returns plain numbers in the same
/// units. Nothing here knows about panels or B-ALL: `bal/` composes these into a gating
/// template. Deterministic (no randomness); thread-safe.

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace escapade::autogate {

/// A smoothed 1-D density on a regular grid (Gaussian kernel density estimate computed
/// by binning then convolving, as R's `density()` does with its default `n = 512`).
struct Density {
  double lo = 0;                 ///< value of grid point 0
  double step = 0;               ///< grid spacing
  double bandwidth = 0;          ///< kernel standard deviation, in value units
  std::vector<double> values;    ///< density at lo + i·step; integrates to ≈ 1
  std::size_t events = 0;        ///< finite values used

  [[nodiscard]] double x(std::size_t i) const noexcept { return lo + static_cast<double>(i) * step; }
  /// Index of the grid point nearest to `v` (clamped to the grid).
  [[nodiscard]] std::size_t index(double v) const noexcept;
};

struct DensityOptions {
  std::size_t grid = 512;
  /// Kernel SD in value units; 0 picks Silverman's rule on a robust spread
  /// (0.9·min(SD, IQR/1.34)·n^(−1/5), R's `bw.nrd0`) times `adjust`.
  double bandwidth = 0;
  double adjust = 1.0;
  /// The grid spans these quantiles of the values, widened by 3 bandwidths, so that a
  /// few outliers cannot flatten the density.
  double lower_quantile = 0.001;
  double upper_quantile = 0.999;
};

/// Kernel density of the finite values of `values` (NaN and ±inf are skipped).
/// @throws InputError(invalid_argument) if fewer than 2 finite values remain or the options
///         are out of range.
[[nodiscard]] Density estimate_density(std::span<const double> values, const DensityOptions& options = {});

/// A peak of a density.
struct Peak {
  double position = 0;    ///< value at the maximum
  double height = 0;      ///< density there
  double prominence = 0;  ///< height above the higher of the two lowest points that separate it from higher peaks
};

/// Local maxima whose prominence is at least `min_relative_prominence` × the highest
/// density, in ascending position.
[[nodiscard]] std::vector<Peak> find_peaks(const Density& density, double min_relative_prominence = 0.02);

/// How a threshold was chosen.
enum class ThresholdMethod {
  valley,              ///< the density minimum between the negative and positive peaks
  negative_tail,       ///< one peak only: its mode plus k robust SDs of its lower half
  negative_reference,  ///< a reference of negative events (internal negative or FMO)
  fixed,               ///< given by a template or a reviewer
};

/// A threshold with its evidence ("each reporting its chosen threshold … the
/// evidence … and a QC flag when that evidence is weak").
struct Threshold {
  double value = 0;  ///< events ≥ value are positive
  ThresholdMethod method = ThresholdMethod::valley;
  std::size_t peaks = 0;               ///< peaks found (prominence ≥ the option)
  double negative_peak = 0;            ///< position of the peak below the cut
  double positive_peak = 0;            ///< position of the peak above the cut (NaN if none)
  double valley_depth = 0;             ///< density at the cut / the lower peak's height (0 = empty valley, 1 = none)
  double share_near_cut = 0;           ///< fraction of events within one bandwidth of the cut
  double bandwidth = 0;                ///< kernel SD used
  double asymmetry = 1;                ///< one peak: upper-side spread / lower-side spread
  std::size_t events = 0;              ///< events the threshold was found from
  std::size_t stride = 1;              ///< 1 in `stride` of them entered the density
  bool weak = false;                   ///< QC: the evidence does not support an automatic cut
  std::string reason;                  ///< why weak (empty when not)
  /// The evidence line of a cut composed by the caller from references (replaces the line
  /// generated from the fields above when not empty).
  std::string note;

  /// One line for reports: `valley at 0.412 between peaks 0.18 and 0.71 (depth 0.08, 1.9% of events within ±0.02)`.
  [[nodiscard]] std::string evidence() const;
};

struct ThresholdOptions {
  DensityOptions density;
  /// Peaks less prominent than this share of the highest are noise (2 % keeps a 5 %
  /// population of the same spread, whose peak is ≈ 4 % as high).
  double min_relative_prominence = 0.02;
  /// Only a cut inside [search_min, search_max] is accepted (e.g. above the negative mode).
  double search_min = -std::numeric_limits<double>::infinity();
  double search_max = std::numeric_limits<double>::infinity();
  /// Only a valley whose lower peak lies at or below this value qualifies (e.g. a CD45−
  /// population must sit near zero, not at CD45-dim blasts).
  double negative_peak_max = std::numeric_limits<double>::infinity();
  /// Only a valley at most this deep (density at the cut / lower peak) qualifies; a
  /// shallower dip inside one population then falls back to the single-peak rule.
  double max_depth = 1.0;
  /// Take the lowest qualifying valley rather than the deepest (the first split above the
  /// negatives when several positive populations follow, as CD45 dim/bright).
  bool prefer_lowest = false;
  /// Single-peak fallback: the cut sits this many robust SDs of the peak's lower half
  /// above its mode (3 SDs keep 99.87 % of a symmetric negative population below).
  double tail_sds = 3.0;
  /// QC: a valley shallower than this (depth above it) is weak.
  double weak_depth = 0.5;
  /// QC: more than this share of events within one bandwidth of the cut is weak.
  double weak_share_near_cut = 0.05;
  /// QC (one peak): an upper side more than this many times wider than the lower side
  /// means positives overlap the negatives, so no tail cut is trustworthy.
  double weak_asymmetry = 1.5;
  /// Above this many events the density is estimated from an evenly strided subsample of
  /// about this size (deterministic; events are in acquisition order, which is random with
  /// respect to phenotype). A valley's position needs no more, and 1M-event files stay fast.
  std::size_t max_events = 200000;
  /// QC: fewer events than this cannot support any density estimate.
  std::size_t min_events = 50;
};

/// The cut between a negative and a positive population on one axis: the deepest density
/// valley between the two most prominent peaks that lie on either side of the search
/// window; with one peak, its mode plus `tail_sds` robust SDs of its lower half
/// (`negative_tail`). Always returns a value; `weak` says whether to trust it.
/// @throws InputError(invalid_argument) if fewer than 2 finite values are given.
[[nodiscard]] Threshold valley_threshold(std::span<const double> values, const ThresholdOptions& options = {});

/// A cut from events known to be negative (an internal negative population such as T cells
/// for CD19, or an FMO/negative-control file): the `quantile` of the negatives plus `margin`.
/// @throws InputError(invalid_argument) if `negatives` has fewer than 2 finite values or
///         the quantile is outside (0, 1).
[[nodiscard]] Threshold reference_threshold(std::span<const double> negatives, double quantile = 0.995,
                                            double margin = 0.0);

/// Singlets from pulse shape: doublets have a larger area for their height, so the cut is
/// on FSC-A/FSC-H at the singlets' median plus `k` robust SDs (FlowJo's rSD), estimated
/// from the main peak of the ratio.
struct SingletCut {
  double max_ratio = 0;     ///< events with FSC-A/FSC-H < max_ratio are singlets
  double median_ratio = 0;  ///< the singlets' centre
  double robust_sd = 0;     ///< spread of the ratio around it
  double singlet_share = 0; ///< fraction of the events kept
  bool weak = false;        ///< QC: fewer than 50 % kept, or too few events
  std::string reason;
  [[nodiscard]] std::string evidence() const;
};

/// @param area, height FSC-A and FSC-H of the same events (same length).
/// @throws InputError(invalid_argument) if the lengths differ or fewer than 2 events have
///         a positive height.
[[nodiscard]] SingletCut singlet_cut(std::span<const double> area, std::span<const double> height, double k = 4.0);

/// The least dense point of the values inside [lo, hi]: where two populations whose
/// positions are known from elsewhere (references) are best separated, whether or not
/// the density shows a clear valley there. A flat trough (density within 10 % of the
/// window's range above its minimum) gives its middle. `value` is NaN when fewer than 2 values lie in
/// a window three bandwidths wider on each side.
struct WindowMinimum {
  double value = std::numeric_limits<double>::quiet_NaN();
  double density_ratio = 1;  ///< density at the minimum / the highest density in the window
  std::size_t events = 0;    ///< values used
};
[[nodiscard]] WindowMinimum window_minimum(std::span<const double> values, double lo, double hi,
                                           const DensityOptions& options = {});

/// Where the values are densest: the highest peak of their density (peaks of at least 2 %
/// prominence), or their median when the density has no peak. Compare modes with modes: a
/// dim population on a logicle scale is skewed (its negative side is stretched), so its
/// mode and median differ by more than the gaps being judged.
[[nodiscard]] double mode(std::span<const double> values);
/// The same for a density already estimated; `fallback` when it has no peak.
[[nodiscard]] double mode(const Density& density, double fallback);

/// One side of a population around its mode: the 68.27th percentile of the distances of
/// the values on that side, which is one SD for a Gaussian (the lower side of a negative
/// population is free of positives, so its spread is measured there). NaN for fewer than
/// 2 values on that side.
///
/// With `coverage`, the SD a Gaussian would have if that fraction of the side's distances
/// lay within the distance found (coverage 0.9: the distance / 1.6449). A farther coverage
/// follows the tail's real shape (a logicle scale compresses a dim population's upper tail)
/// at the cost of tolerating fewer strays on that side.
[[nodiscard]] double side_spread(std::span<const double> values, double mode, bool upper, double coverage = 0.682689492137);

/// How far a population reaches on one side of its mode: the distance within which 99 % of
/// the values on that side lie, so that `mode + side_reach(…, false)` is its 99.5th
/// percentile mirrored from its clean lower side. Unlike 2.5758 × side_spread it assumes no
/// shape: a logicle-transformed negative population is flat-topped (its linear zone), and
/// its Gaussian-scaled spread overshoots its real reach by half. Being a far quantile it
/// needs many events: with fewer than 200 on that side, 2.5758 × side_spread is returned.
[[nodiscard]] double side_reach(std::span<const double> values, double mode, bool upper);

/// A one-dimensional Gaussian mixture (ascending means), fitted by EM on a fine histogram of
/// the values (1024 bins between the 0.1st and 99.9th percentiles), so that its cost does not
/// grow with the events. Several starts (splits at the 5th to 95th percentiles) guard against
/// a minority component being missed; the best likelihood wins.
struct GaussianMixture {
  struct Component {
    double weight = 0;
    double mean = 0;
    double sd = 0;
  };
  std::vector<Component> components;
  double log_likelihood = 0;
  double bic = 0;  ///< −2 log L + (3k − 1) ln n: the smaller, the better supported
  std::size_t events = 0;
};
/// @param k 1 or 2 components.
/// @throws InputError(invalid_argument) for fewer than 2 finite values or k outside 1–2.
[[nodiscard]] GaussianMixture fit_gaussian_mixture(std::span<const double> values, std::size_t k);

/// A Gaussian mixture in several dimensions at once, with a full covariance per component,
/// fitted by EM from a first assignment of every point to a component (a partition the
/// caller already has, e.g. the two sides of a 1-D cut). Populations that overlap on every
/// single axis separate in the plane (a dead cell's FSC falls and its SSC rises).
struct MultivariateMixture {
  struct Component {
    double weight = 0;
    std::vector<double> mean;        ///< one per dimension
    std::vector<double> covariance;  ///< dimensions × dimensions, row-major
  };
  std::size_t dimensions = 0;
  std::vector<Component> components;
  double log_likelihood = 0;
  std::size_t iterations = 0;
  /// P(component | point) for each component; `point` has one value per dimension.
  [[nodiscard]] std::vector<double> posteriors(std::span<const double> point) const;
  /// P(component `k` | point) for many points, given as one column per dimension.
  [[nodiscard]] std::vector<double> posterior(std::size_t k, const std::vector<std::vector<double>>& columns) const;
};
/// @param columns one column of values per dimension, all of one length n (points with a
///        non-finite value take no part in the fit).
/// @param initial the first component of each of the n points (< k).
/// @throws InputError(invalid_argument) for mismatched lengths, an initial component ≥ k, or
///         a component that starts with fewer points than dimensions + 1.
[[nodiscard]] MultivariateMixture fit_multivariate_mixture(const std::vector<std::vector<double>>& columns,
                                                           std::span<const std::size_t> initial, std::size_t k,
                                                           std::size_t max_iterations = 200);

/// The `p`-quantile (R type 7) of the finite values.
/// @throws InputError(invalid_argument) if there is no finite value or p is outside [0, 1].
[[nodiscard]] double quantile(std::span<const double> values, double p);

}  // namespace escapade::autogate
