#pragma once
/// @file
/// Gating-ML 2.0 import and export: a document of `transforms:spectrumMatrix`,
/// `transforms:transformation` and gates (Rectangle, Polygon, Ellipsoid, Quadrant, Boolean)
/// read into a `GatingPlan` and written back (Gating-ML 2.0 §4–§6 and its XSDs; the
/// semantics docs/formats.md §2 verifies against the ISAC compliance suite).
///
/// Reading is tolerant where real files differ from the schema and strict where a mistake
/// would change which events a gate selects:
/// - Elements are matched by local name and namespace URI, never by prefix. Attributes are
///   namespace-qualified in the standard (`gating:id`); unqualified ones are accepted too.
///   Undeclared prefixes `gating`, `transforms` and `data-type` mean the standard namespaces.
/// - Elements outside the three Gating-ML namespaces are read through (the `<sample>`
///   wrapper of the suite's `gml_range_gate_attr_testing.xml`); `data-type:custom_info`
///   and other `data-type` elements at the top level are ignored.
/// - FlowJo's Gating-ML export (docs/formats.md §3.2) writes dimensions without the required
///   `compensation-ref`: a name `Comp-X` then means channel X compensated by the file's own
///   spillover (`FCS`); any other name means uncompensated. FlowJo's unqualified
///   `eventsInside="0"` makes the gate a complement (`Gate::complement`, docs/formats.md §3.1).
/// - A gate's `gating:name` (not in the standard, allowed by its `anyAttribute`) becomes
///   `Gate::name`, a Quadrant's its `QuadrantGate::Quadrant::name`.
/// - Every reference (compensation-ref, transformation-ref, new-dimension, parent_id,
///   gateReference, divider_ref) must resolve; ids may be used before they are defined.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "libescapade/gate/gate.hpp"

namespace escapade::gate {

/// Parses a Gating-ML 2.0 document held in memory. Thread-safe.
/// @param xml     the whole document (UTF-8, or UTF-16/32 with a byte order mark); not
///                retained after return.
/// @param source  name used in errors and as the plan's source ("gates.xml", "<memory>").
/// @return a plan that `GatingPlan::validate` accepts, holding the document's matrices,
///         transforms and ratios (each in document order) and its gates (in document order,
///         a QuadrantGate as one `QuadrantGate` whose quadrants are the populations).
/// @throws GatingMlError naming `source`, the place (`line 12, gate 'Range1'`) and the
///         reason: `format` for malformed XML (with pugixml's description), a missing
///         required attribute or element, a value that is not a number, an unknown gate
///         element; `reference` for an id that names nothing (a compensation-ref,
///         transformation-ref, parent_id, gateReference); `structure` for a duplicate id or
///         a cycle through parents and gate references; `unsupported` for a transformation
///         kind Gating-ML 2.0 does not define, wrappers nested more than 16 deep or a
///         chain of more than 1000 gates depending on each other (every later tree walk
///         then stays shallow); `numeric` for transform parameters out of range or a
///         singular matrix; `invalid_argument` for a value the gating model refuses (a
///         rectangle min above its max, a repeated fluorochrome, a NaN coordinate).
[[nodiscard]] GatingPlan parse_gatingml(std::string_view xml, std::string_view source);

/// As above, from bytes (the entry point the fuzzer calls, STYLE §6).
[[nodiscard]] GatingPlan parse_gatingml(std::span<const std::byte> bytes, std::string_view source);

/// Reads and parses a Gating-ML 2.0 file; the path is the source in errors and in the plan.
/// @throws GatingMlError(io) if the file cannot be read, else as `parse_gatingml`.
[[nodiscard]] GatingPlan read_gatingml_file(const std::filesystem::path& path);

/// Writes `plan` as a Gating-ML 2.0 document with the standard prefixes `gating`,
/// `transforms` and `data-type`: every spectrum matrix, transform and ratio (as
/// `transforms:transformation`), then every gate in population order, a QuadrantGate where
/// its first quadrant stands. Numbers are written as the shortest text that reads back as the
/// same double, so reading the text back gives the same doubles, and writing the re-read plan gives the same text. Thread-safe.
///
/// Gating-ML has no complemented gate. A gate X with `complement` is written as two gates:
/// its shape under the id `X_shape` (made unique with `_2`, `_3`, … if taken), with X's
/// parent, and X itself as a BooleanGate `not` over it, with X's parent. X keeps the same
/// events (parent ∧ ¬(parent ∧ shape)); the re-read plan has the extra population `X_shape`.
/// Not written, for want of a Gating-ML form: a matrix's `CompileOptions::method` and
/// `min_reciprocal_condition` (a reader uses the defaults), and a Quadrant's name
/// (Quadrant_Type admits no other attribute); a gate's name goes into `gating:name`.
/// @throws GatingMlError(unsupported) naming the transform if one is a FlowJo-only kind
///         (FlowJo linear, log or biex: they have no Gating-ML 2.0 element);
///         GatingMlError(invalid_argument) if an id or name holds a character XML 1.0
///         cannot carry (a control character).
[[nodiscard]] std::string write_gatingml(const GatingPlan& plan);

/// Writes `write_gatingml(plan)` to `path` through a temporary file beside it that is
/// renamed into place, so a failure never leaves a half-written file.
/// @param overwrite replace an existing file; false refuses.
/// @throws InputError(io) naming the path if the file exists and `overwrite` is false, or
///         if it cannot be written; as `write_gatingml` otherwise.
void write_gatingml_file(const GatingPlan& plan, const std::filesystem::path& path, bool overwrite = false);

}  // namespace escapade::gate
