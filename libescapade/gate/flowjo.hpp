#pragma once
/// @file
/// FlowJo 10 workspace (.wsp) import (docs/formats.md §3): groups, samples, per-sample
/// compensation and transforms, and each sample's population tree as a `GatingPlan`, with
/// the counts FlowJo stored so that callers can compare.
///
/// What is read (docs/formats.md §3.1–§3.4):
/// * `SampleList/Sample`: `DataSet@uri`, `Keywords`, one `transforms:spilloverMatrix` per
///   prefix (rows = sources, the `$SPILLOVER` orientation; §3.2), `Transformations`
///   (linear, log, biex, fasinh, logicle; §3.3) and the `SampleNode` tree of `Population`,
///   `AndNode`, `OrNode` and `NotNode` elements. A gate dimension named prefix+`$PnN`+suffix
///   (`Comp-PE-A`) is the compensated `$PnN`.
/// * Gates: RectangleGate (raw coordinates, no transform needed), PolygonGate (edges straight
///   in transformed space), EllipsoidGate (foci and edge points in the 256-bin display space),
///   FlowJo quadrants (rectangles with open sides), `eventsInside="0"` (complement).
/// * `Groups/GroupNode`: the group name and its sample ids only. A group's own gates are
///   templates, not results for any sample (docs/formats.md §3.1), and are not read.
///
/// FlowJo evaluates polygon and ellipse gates on its display grid, not on the event values
/// (rectangles are exact): with `FlowJoBinning::flowjo` (the default) the importer
/// reproduces that grid so that counts equal FlowJo's (see `FlowJoBinning`).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"

namespace escapade::gate {

/// How polygon and ellipse gates of a workspace are turned into plan gates.
enum class FlowJoBinning {
  /// As FlowJo counts them (FlowKit issue #113: FlowJo gates polygons and ellipses on binned
  /// data, rectangles on the values). Each axis is divided into display bins: `gateResolution`
  /// bins (256 or 1024) over the transform's output range for a polygon, 256 for an ellipse.
  /// An event belongs to the bin its transformed value falls in, the vertices are moved to
  /// bins the same way, and the event is inside when its bin is inside the binned polygon
  /// (boundary included). The bin is the nearest one on linear (and, unverified, log,
  /// fasinh and logicle) axes and the one below on biex axes, FlowJo's 4096-channel table.
  /// Verified against every stored count of shared/data/flowjo (flowsom_68983 Lymphocytes
  /// 19212 instead of 19225 exact, ab T cells 9188, gd T cells 1470;
  /// simple_poly_and_rect_v2_poly50 poly1 0 instead of 50 exact). The gate becomes a plan
  /// polygon with the staircase outline of the inside bins, on the transformed dimensions
  /// (`WorkspacePopulation::binned`). The outline has about twice as many vertices as the
  /// gate's perimeter has bins (724 for flowsom's 1024-bin Lymphocytes gate), and `apply`
  /// tests every vertex, so such a gate costs about 20 times an exact one. Where an outline
  /// cannot be built (an axis without a transform, vertices far off the display, an outline
  /// over 400,000 vertices) the gate stays exact and a warning says so.
  flowjo,
  /// Exact geometry: polygon vertices transformed and tested against the transformed event
  /// values; ellipses as `EllipsoidGate`s in transform-output units (FlowKit, CytoML).
  exact,
};

/// Options for reading a workspace.
struct WorkspaceOptions {
  /// How polygon and ellipse gates are evaluated; FlowJo's own counts by default.
  FlowJoBinning binning = FlowJoBinning::flowjo;
};

/// One population of a sample's tree, as the workspace describes it.
struct WorkspacePopulation {
  std::string id;    ///< the population id in `WorkspaceSample::plan` (the path, made unique)
  std::string path;  ///< names from the top down joined by '/' (FlowJo's `Dependent@name`)
  std::string name;  ///< `Population@name` (or the boolean node's name)
  /// The element that defines it: `RectangleGate`, `PolygonGate`, `EllipsoidGate`,
  /// `AndNode`, `OrNode` or `NotNode`.
  std::string gate_type;
  std::string flowjo_id;           ///< `Gate@gating:id`; empty for boolean nodes
  std::int64_t flowjo_count = -1;  ///< `@count` as stored; -1 = "not computed" or absent
  bool complement = false;         ///< `eventsInside="0"`
  bool binned = false;  ///< the plan gate is FlowJo's binned outline (`FlowJoBinning::flowjo`)
  std::size_t line = 0; ///< XML line of the element (1-based)
};

/// One `SampleList/Sample` with its gating.
struct WorkspaceSample {
  std::string sample_id;   ///< `DataSet@sampleID` (= `SampleNode@sampleID`)
  std::string name;        ///< `SampleNode@name`, usually the FCS file name
  std::string uri;         ///< `DataSet@uri` as written (an absolute path at save time)
  std::string uri_file_name;  ///< the URI's last path component, percent-decoded
  std::int64_t flowjo_count = -1;  ///< `SampleNode@count` (total events); -1 if absent
  /// `Sample/Keywords`: FlowJo's copy of the FCS TEXT plus its own `FJ_*` keys.
  fcs::Keywords keywords;
  /// Compensation matrices, transforms and gates of this sample. Matrix ids are the
  /// spilloverMatrix names; transform ids are the parameter names of `Transformations`
  /// (`FSC-A`, `Comp-PE-A`); population ids are `WorkspacePopulation::id`.
  GatingPlan plan;
  /// Every population in document order (the plan's order).
  std::vector<WorkspacePopulation> populations;

  /// File names the sample's FCS file may have, in the order `find_sample_file` tries them:
  /// `SampleNode@name`, the URI's file name, `$FIL`; empty and repeated names left out.
  [[nodiscard]] std::vector<std::string> candidate_file_names() const;
  /// The population with this path ("Lymphocytes/Singlets"), or nullptr.
  [[nodiscard]] const WorkspacePopulation* find_population(std::string_view path) const noexcept;
};

/// A `Groups/GroupNode`: its name and members.
struct WorkspaceGroup {
  std::string name;
  std::vector<std::string> sample_ids;  ///< `Group/SampleRefs/SampleRef@sampleID`
};

/// A FlowJo workspace. A plain value; `const` use is thread-safe.
struct Workspace {
  std::string source;          ///< file name or "<memory>"
  std::string version;         ///< `Workspace@version` ("20.0")
  std::string flowjo_version;  ///< `Workspace@flowJoVersion` ("10.5.3")
  std::vector<WorkspaceGroup> groups;
  std::vector<WorkspaceSample> samples;
  std::vector<Warning> warnings;  ///< what was odd and what the importer did about it

  /// The sample with this sample id, or else with this `SampleNode@name`; nullptr if none.
  [[nodiscard]] const WorkspaceSample* find_sample(std::string_view id_or_name) const noexcept;
  /// One line: `Workspace(FlowJo 10.5.3: 1 sample, 2 groups, 15 populations)`.
  [[nodiscard]] std::string summary() const;
};

/// Reads a FlowJo 10 workspace held in memory (docs/formats.md §3). Thread-safe.
/// @param xml     the whole document; not retained after return.
/// @param source  name used in errors and warnings ("gating.wsp", "<memory>").
/// @throws WorkspaceError naming the source, the XML line and population path, and the
///         reason: `format` for malformed XML, a missing attribute or a number that does not
///         parse; `reference` for a gate on a parameter the sample does not have or a
///         boolean dependent that names no population; `unsupported` for an unknown gate or
///         transform element; `numeric` for transform parameters or a matrix FlowJo could
///         not have written (singular, degenerate ellipse); `structure` for repeated
///         sample ids.
[[nodiscard]] Workspace parse_workspace(std::string_view xml, std::string_view source,
                                        const WorkspaceOptions& options = {});
/// As above, from bytes (the entry point a fuzzer calls).
[[nodiscard]] Workspace parse_workspace(std::span<const std::byte> bytes, std::string_view source,
                                        const WorkspaceOptions& options = {});
/// Reads and parses a workspace file; the path is the source in errors.
/// @throws WorkspaceError(io) if the file cannot be read, else as `parse_workspace`.
[[nodiscard]] Workspace read_workspace_file(const std::filesystem::path& path, const WorkspaceOptions& options = {});

/// Finds the FCS file of `sample` in `directory` (docs/formats.md §3.1: `DataSet@uri` is the
/// path at save time and may name another file, as flowsom_68983's `lymphocytes.fcs` for
/// `68983.fcs`). Tries, in order: `SampleNode@name`, the URI's file name and the `$FIL`
/// keyword as file names in `directory`; then the `$FIL` keyword inside each FCS file of
/// `directory` (TEXT only), matched against the sample's `$FIL` or name.
/// @return the path of an existing regular file.
/// @throws WorkspaceError(reference) listing every name and way tried, if none is found;
///         WorkspaceError(io) if `directory` is not a directory.
[[nodiscard]] std::filesystem::path find_sample_file(const WorkspaceSample& sample,
                                                     const std::filesystem::path& directory);

/// Applies `sample.plan` to a data set read from the sample's FCS file, with the file's own
/// spillover available to `FCS` dimensions.
/// @throws as `gate::apply`.
[[nodiscard]] GatingResult apply_sample(const WorkspaceSample& sample, const fcs::DataSet& data,
                                        ApplyOptions options = {});

}  // namespace escapade::gate
