#pragma once
/// @file
/// Pseudocolour density plots with gates drawn, as per-sample reports show them (the look of
/// FlowJo's and FACSDiva's pseudocolour dot plots).
///
/// Describe, compute, render (STYLE §5): a `PlotSpec` says what to show (two axes, which
/// events, which gates); `make_density_plot` computes everything that depends on the data —
/// the 2-D histogram of the displayed values, the axis ticks in the transform's real units,
/// the gate outlines in display coordinates with their counts — into a `DensityPlot`, a plain
/// value that holds no pointer into the events, the plan or the result; `render` and the
/// `render_*` functions only draw it (cairo), so one plot can be written as PNG, SVG and PDF
/// without touching the events again.
///
/// Coordinates. Each axis has a *dimension* (`gate::Dimension`: channel, compensation and the
/// plan's transform, as a gate names it) and at most one *display transform*. Values on the
/// axis are `gate::dimension_values` of the dimension, then the display transform (when the
/// dimension has no transform of its own). "Display units" are these final values; the axis
/// range and every coordinate of a `DensityPlot` are in display units. Gate coordinates are in
/// the dimension's space (as Gating-ML defines them) and go through the same display
/// transform, so gates and events always line up. Ticks are placed at round values in the
/// *real* units of the channel (before any transform) mapped through the whole transform.
///
/// Events outside the display range are piled on the nearest edge bin, as cytometry software
/// shows off-scale events on the axis, so the histogram counts every event of the population
/// whose two values are not NaN.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/event_matrix.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/transform/transform.hpp"

namespace escapade::report {

// ---------------------------------------------------------------------------------------------
// Axes and ticks
// ---------------------------------------------------------------------------------------------

/// One tick of an axis.
struct Tick {
  double value = 0;     ///< in the channel's real units (before any transform)
  double position = 0;  ///< in display units (the transform applied to `value`)
  bool major = false;   ///< a decade (or 0) on a log-like axis; a labelled step on a linear one
  std::string label;    ///< "0", "10³", "−10²", "50K", "0.5"; empty for an unlabelled tick
  friend bool operator==(const Tick&, const Tick&) = default;
};

/// How the ticks of an axis are chosen.
enum class TickStyle {
  automatic,  ///< `decades` for flog, fasinh, logicle, hyperlog and the FlowJo log and biex
              ///< transforms; `linear` for flin, FlowJo linear and no transform
  decades,    ///< majors at 0 and ±10^k, minors at 2…9 × 10^k
  linear,     ///< majors at a round step (1, 2, 2.5 or 5 × 10^k), minors between them
  none,       ///< no ticks
};

/// The tick style `automatic` means for `scale` (null = no transform): never `automatic`.
[[nodiscard]] TickStyle automatic_tick_style(const transform::Transform* scale) noexcept;

/// The ticks of an axis showing [min, max] in display units, where display units are the
/// real values through `scale` (null = the identity). A pure function, thread-safe.
///
/// - `decades`: majors at 0 and at ±10^k inside the range, minors at ±m·10^k (m = 2…9).
///   Labels go to 0 first, then to the decades from the largest |value| down, each only if
///   it lies at least `min_label_gap` (a fraction of the axis length) from every label taken,
///   so the crowded decades near 0 of a logicle axis stay unlabelled (their marks stay); a
///   negative decade within `min_label_gap`/2 of the bottom (the corner) is not labelled.
///   Minor ticks closer than `min_label_gap`/12 to the previous tick are dropped. Labels are
///   "0", "10³", "−10³" (Unicode superscripts and minus sign).
/// - `linear`: about six majors at a step of 1, 2, 2.5 or 5 × 10^k real units, labelled
///   "50K", "1.5M", "0.25" (every label in K when the axis reaches 10⁴, in M when it reaches
///   10⁷, and the step allows), with minors at a
///   fifth (a half for a step of 2 × 10^k) of the step.
/// Ticks come sorted by position. A non-monotone or non-finite inverse yields no ticks.
/// @param min_label_gap in (0, 1); 0.07 suits a 500-pixel axis with 11-pixel labels.
/// @throws Error(invalid_argument) if min ≥ max, either is not finite, or the gap is outside
///         (0, 1).
[[nodiscard]] std::vector<Tick> axis_ticks(const transform::Transform* scale, double min, double max,
                                           TickStyle style = TickStyle::automatic, double min_label_gap = 0.07);

/// A display transform for a channel, as cytometry software picks one.
enum class Scale {
  automatic,  ///< `linear` for scatter (FSC/SSC) and time channels, `logicle` otherwise
  logicle,    ///< logicle(T = top, W from the data, M = 4.5, A = 0)
  asinh,      ///< fasinh(T = top, M = 4.5, A = 0.5)
  linear,     ///< flin(T = top, A = 0): [0, top] onto [0, 1]
  none,       ///< no transform: raw values, range from the data
};

/// The top of scale of a channel in scale values (what the reader returns): 10^decades·offset
/// for a log-amplified channel ($PnE), $PnR ÷ $PnG for a linear one, $PnR for time; at
/// least 1. A time channel's $PnR rarely bounds its values: use the data there.
[[nodiscard]] double channel_top(const fcs::Parameter& parameter) noexcept;

/// Whether a channel is scatter or time (FSC*, SSC*, time parameter, names holding
/// "Time"): what `Scale::automatic` shows linearly.
[[nodiscard]] bool is_scatter_or_time(const fcs::Parameter& parameter) noexcept;

/// The linearization width of logicle for `values` (Parks, Roederer & Moore 2006, "choosing
/// W"): W = (M − log10(T/|r|))/2 with r the 5th percentile of the negative values (so all
/// but the 5 % most negative events are on scale), clamped to [0, M/2 − 0.25]; 0 when no
/// value is negative. Non-finite values are skipped.
[[nodiscard]] double logicle_width(std::span<const double> values, double t, double m = 4.5);

/// The display transform `scale` means for `parameter`, given the channel's values (for the
/// logicle width and, for time or a linear channel whose values pass the top, the top).
/// `std::nullopt` for `Scale::none`.
/// @throws Error(numeric) if the transform cannot be built (a non-finite top).
[[nodiscard]] std::optional<transform::Transform> display_transform(const fcs::Parameter& parameter,
                                                                    std::span<const double> values,
                                                                    Scale scale = Scale::automatic);

// ---------------------------------------------------------------------------------------------
// Describing a plot
// ---------------------------------------------------------------------------------------------

/// One axis of a plot spec.
struct AxisSpec {
  /// Where the values come from; its compensation and transform refer to the plan's matrices
  /// and transforms.
  gate::Dimension dimension;
  /// Applied after the dimension's values; must be empty when the dimension has a transform
  /// of its own (that one is then the display scale).
  std::optional<transform::Transform> display;
  /// Axis title, e.g. "CD19 PE-Cy7-A"; empty = `dimension.label()`.
  std::string label;
  /// Displayed range in display units; NaN = automatic: [0, 1] for flin, flog, fasinh,
  /// logicle, hyperlog and FlowJo linear/log, [0, 4096] for FlowJo biex, and for no transform
  /// [min(0, smallest value), largest value] over the plotted events.
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  TickStyle ticks = TickStyle::automatic;
};

/// What a density plot shows.
struct PlotSpec {
  AxisSpec x;
  AxisSpec y;
  /// First line of the title; empty = the population's name ("All events" for none).
  std::string title;
  /// Population (an id of the plan) whose events are plotted; empty = every event.
  std::string population;
  /// Populations whose gates are drawn: rectangles (a range on one axis spans the other),
  /// polygons, 2-D ellipsoids and quadrants whose dimensions are these two axes (in either
  /// order). `drawable_gates` lists the candidates.
  std::vector<std::string> gates;
  std::size_t bins_x = 256;  ///< histogram columns, 2 … 4096
  std::size_t bins_y = 256;  ///< histogram rows, 2 … 4096
  /// Colour by a 3×3 binomial smoothing of the counts (empty bins stay white).
  bool smooth = true;
  /// Gap between tick labels, as in `axis_ticks`.
  double min_label_gap = 0.07;
};

/// Populations of `plan` whose gate `make_density_plot` can draw on axes `x` × `y` (either
/// order), in plan order: rectangles whose intervals lie on x or y, polygons and 2-D
/// ellipsoids on {x, y}, and the quadrants of quadrant gates whose dividers all lie on x or
/// y. Boolean gates have no outline. Thread-safe.
/// @param parent keep only populations with this parent ("" = top-level); nullopt = all.
[[nodiscard]] std::vector<std::string> drawable_gates(const gate::GatingPlan& plan, const gate::Dimension& x,
                                                      const gate::Dimension& y,
                                                      std::optional<std::string_view> parent = std::nullopt);

/// The dimensions that the gates of `plan` use for the channels `x` and `y` ($PnN or
/// fluorochrome), so that a plot of those channels lines up with the gates (same
/// compensation, same transform). Looks first at gates with `parent` (nullopt = any), then at
/// every gate: the first gate with a dimension on each channel gives both; else each axis
/// takes the first gate dimension on its channel. Ratio dimensions are not considered. An
/// empty optional: no gate uses that channel. Thread-safe.
struct GateAxes {
  std::optional<gate::Dimension> x;
  std::optional<gate::Dimension> y;
};
[[nodiscard]] GateAxes gate_axes(const gate::GatingPlan& plan, std::string_view x, std::string_view y,
                                 std::optional<std::string_view> parent = std::nullopt);

// ---------------------------------------------------------------------------------------------
// A computed plot
// ---------------------------------------------------------------------------------------------

/// A 2-D histogram: `counts[row·columns + column]`, row 0 at the bottom (smallest y).
struct Histogram2D {
  std::size_t columns = 0;
  std::size_t rows = 0;
  std::vector<std::uint32_t> counts;
  std::size_t total = 0;      ///< events counted (the sum of `counts`)
  std::size_t off_scale = 0;  ///< of those, events piled on an edge (outside the range)
  std::size_t missing = 0;    ///< events of the population left out for a NaN value

  [[nodiscard]] std::uint32_t at(std::size_t column, std::size_t row) const { return counts.at(row * columns + column); }
};

/// Bins (x[i], y[i]) for every event i of `events` (null = all) over [x_min, x_max) ×
/// [y_min, y_max), values outside piled on the edge bins, NaN left out. `noexcept` kernel
/// behind `make_density_plot`, public for benchmarks and reports that histogram without
/// drawing. Thread-safe.
/// @throws Error(invalid_argument) if the spans' sizes differ (or differ from the
///         membership's), a range is empty or not finite, or bins are outside 1 … 65536.
[[nodiscard]] Histogram2D histogram_2d(std::span<const double> x, std::span<const double> y,
                                       const gate::Membership* events, double x_min, double x_max, double y_min,
                                       double y_max, std::size_t columns, std::size_t rows);

/// A computed axis: range and ticks in display units.
struct PlotAxis {
  std::string label;
  double min = 0;
  double max = 1;
  std::vector<Tick> ticks;
};

/// What a gate looks like on a plot, in display units.
struct GateOutline {
  enum class Kind { rectangle, polygon, ellipse, quadrant };
  std::string id;    ///< the population id
  std::string name;  ///< display name
  Kind kind = Kind::polygon;
  /// Polylines to stroke, clipped to the plot range where a side is open; a closed outline
  /// repeats its first point at the end. Quadrants of one gate share their dividers: they
  /// are carried by the gate's first quadrant only.
  std::vector<std::vector<gate::Point>> lines;
  /// Where the label goes, and which point of the label box sits there: (0, 0) its bottom-left
  /// corner, (0.5, 0) the middle of its bottom edge, (1, 1) its top-right corner.
  gate::Point label_at;
  gate::Point label_align{0.5, 0.0};
  std::size_t count = 0;   ///< events of the population (NaN percent and 0 without a result)
  double percent = std::numeric_limits<double>::quiet_NaN();  ///< % of its parent
  bool complement = false;  ///< the population is outside the outline (FlowJo eventsInside=0)
};

/// Everything `render` draws; computed by `make_density_plot`, a self-contained value.
struct DensityPlot {
  std::string title;     ///< first title line
  std::string subtitle;  ///< event count ("13,367 events")
  PlotAxis x;
  PlotAxis y;
  Histogram2D histogram;
  /// Smoothed counts in histogram order when the spec asks for smoothing; else empty.
  std::vector<float> density;
  std::vector<GateOutline> gates;
};

/// Computes a plot of `events` (values through `plan`'s matrices and transforms and the
/// spec's display transforms). Thread-safe.
/// @param result memberships of `plan` on `events`: needed for a population or drawn gates
///               (their percentages); may be null when the spec has neither.
/// @throws Error(invalid_argument) if bins are out of range, an axis range is empty or not
///         finite, an axis has a display transform on a transformed dimension, a population
///         is given without a result, or a gate to draw is not on these axes (naming it);
///         GateTreeError(reference) for an unknown population or gate id; as
///         `gate::dimension_values` for unknown channels, matrices and transforms.
[[nodiscard]] DensityPlot make_density_plot(const gate::GatingPlan& plan, const EventMatrix& events,
                                            const PlotSpec& spec, const gate::GatingResult* result,
                                            const gate::ApplyOptions& options = {});

// ---------------------------------------------------------------------------------------------
// A population's plot as a user asks for it (CLI `escapade plot`, Python `GatingResults.plot`)
// ---------------------------------------------------------------------------------------------

/// Two channels as a user names them, and the population whose events are plotted.
struct PopulationPlotRequest {
  std::string x;           ///< $PnN or unique $PnS
  std::string y;           ///< $PnN or unique $PnS
  std::string population;  ///< population id or unique name; empty = every event
  Scale scale = Scale::automatic;  ///< display scale of an axis the gates do not transform
  bool compensate = false; ///< by the file's spillover, where no gate on the axis says otherwise
  std::size_t bins = 256;  ///< histogram bins per axis
  std::string title;       ///< empty = "<file name>: <population path>" ("All events")
};

/// The plot to make, and what a user should be told about it.
struct PopulationPlot {
  PlotSpec spec;
  /// Notes for the user: an axis whose gates' transform overrides the scale asked for, gates
  /// on these axes that belong to another population ("gates on these axes within …").
  std::vector<std::string> notes;
};

/// The population of `plan` with id `wanted`, else the one whose display name it is.
/// @throws InputError(reference) naming the plan and listing its ids when none or several match.
[[nodiscard]] std::string resolve_population(const gate::GatingPlan& plan, std::string_view wanted);

/// The axes, gates and title of a population's plot: each axis takes the dimension (compensation
/// and transform) of the plan's gates on that channel, so the plot lines up with the gates; an
/// axis without gates gets the requested display scale. `data` is the data set the events come
/// from; `source` its file, named in the title and errors.
/// @throws InputError(reference) for an unknown channel or population; as `gate::dimension_values`.
[[nodiscard]] PopulationPlot population_plot(const fcs::DataSet& data, std::string_view source, const gate::GatingPlan& plan,
                                             const PopulationPlotRequest& request, const gate::ApplyOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

enum class Format { png, svg, pdf };

/// The format for a file name's extension (.png, .svg, .pdf, any case), if known.
[[nodiscard]] std::optional<Format> format_for(const std::filesystem::path& path);

/// Size and writing of a rendered plot.
struct RenderOptions {
  /// Image size: pixels for PNG, points (1/72 in) for SVG and PDF. The default leaves a
  /// 512×512 plot area, 2 pixels per bin of a 256×256 histogram.
  int width = 620;
  int height = 616;
  /// Replace an existing file; false refuses.
  bool overwrite = false;
};

/// The plot as an image file's bytes (PNG, SVG or PDF), e.g. for base64 embedding in HTML.
/// Cairo objects are local to the call: thread-safe.
/// @throws Error(invalid_argument) if the size is outside 200 … 8192 or the plot is
///         inconsistent (histogram size); Error(io) with cairo's reason if cairo fails.
[[nodiscard]] std::vector<std::byte> render(const DensityPlot& plot, Format format, const RenderOptions& options = {});

/// Writes the plot to `path` in the given format, through a temporary file renamed into
/// place. Thread-safe for distinct paths.
/// @throws InputError(io) naming the path if it exists (and `overwrite` is false) or cannot
///         be written; as `render` otherwise.
void render_png(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options = {});
void render_svg(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options = {});
void render_pdf(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options = {});
/// As above, the format from the extension.
/// @throws InputError(invalid_argument) naming the path if the extension is not .png, .svg
///         or .pdf.
void render_file(const DensityPlot& plot, const std::filesystem::path& path, const RenderOptions& options = {});

}  // namespace escapade::report
