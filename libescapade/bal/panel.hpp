#pragma once
/// @file
/// Panels: which channel of an FCS file carries which marker, found by the stain names the
/// instrument wrote ($PnS) rather than by detector, so that one lab-editable panel file serves
/// every cytometer the lab runs.
///
/// A panel is a TOML file. `share/panels/bal_escape.toml` (the seed 001 CD45/CD34/CD19/CD22
/// panel; also built in, see `builtin_panel`) and `share/panels/bal_sort.toml` (the seed 000
/// sort panel) are the shipped examples and the format's reference:
///
/// ```toml
/// [panel]
/// name = "bal_escape"                 # required; used in errors and reports
/// description = "…"                   # optional
/// prefer_area = true                  # optional (default true), see "Resolution" below
///
/// [markers.CD19]                      # a marker: matched against $PnS
/// aliases = ["CD19", "Leu-12"]        # optional; default [the marker's name]
/// required = true                     # optional; default true
/// channel = "PE-Cy7-A"                # optional: force this $PnN and skip the matching
///
/// [scatter.FSC-A]                     # a scatter or time channel: matched against $PnN
/// aliases = ["FSC-A", "FS INT LIN"]
/// required = true
/// time = false                        # scatter only: fall back to the reader's time parameter
/// ```
///
/// Any other key, or a value of the wrong type, is an error naming the line, so a typo
/// (`requird = false`) cannot silently change a panel.
///
/// Matching (`stain_matches`, `name_matches`). Text is cut into tokens: maximal runs of ASCII
/// letters and digits (bytes ≥ 0x80 count as letters, so UTF-8 names stay whole); everything
/// else (space, `-`, `_`, `/`, `;`, `:`, `@`, `.`, `(`, `+` …) separates. Tokens compare
/// ignoring ASCII case.
/// - A marker alias matches a $PnS when the alias's tokens occur, consecutively, among the
///   stain's tokens. So "CD19" matches "CD19", "cd19", "CD19 PE-Cy7", "CD19-PC7", "CD19 APC"
///   and "CD19;APC-H7;780/60@640/A"; "HLA-DR" matches "HLA-DR" and "HLA DR"; "7-AAD" matches
///   "viability;7-AAD;695/40@488/A". A token is never split, so "CD3" does not match "CD33",
///   "CD34" or "CD3e", "CD45" does not match "CD45RA" or "CD45RO", and "CD19" does not match
///   "CD19a": a letter or digit suffix names a different antigen or isoform in CD nomenclature,
///   and a panel that means it lists it as an alias. Glued names ("CD19PE") are not split
///   either; list them as an alias if an instrument writes them.
/// - When a $PnS holds "::" (FlowJo's "PE-Cy7-A :: CD19"), only the text after the last "::"
///   is matched, so detector and fluorochrome words before it cannot match a marker.
/// - Markers match $PnS only, never $PnN: detector names are dye names ("PI-A", "7-AAD-A")
///   whatever the tube stained them with. A file without stain names needs `channel = …`.
/// - A scatter alias matches a $PnN when the two have the same tokens (the whole name):
///   "FSC-A" matches "FSC-A", "fsc_a" and "FSC A" but not "FSC-A-2" or "FSC-H".
///
/// Resolution (`resolve_markers`), per entry, in panel order:
/// 1. `channel` given: the parameter with that $PnN (exact, else ignoring case), or none.
/// 2. Otherwise every parameter matched by any alias is a candidate. More than one candidate
///    with `prefer_area`: if exactly one has a $PnN whose last token is "A" (the area pulse of
///    "FITC-A", where the same stain is also on "FITC-H" and "FITC-W"), it is taken and the
///    others are recorded as passed over; otherwise the entry is ambiguous.
/// 3. No candidate, for a scatter entry with `time = true`: the parameter the FCS reader marked
///    as time ($PnTYPE Time or $PnN "Time"), if any.
/// 4. Still none: a required entry is missing; an optional one is listed as absent.
/// Every missing and ambiguous entry is reported together in one error, which lists every
/// channel of the file ($PnN and $PnS) so the lab can fix its panel in one edit.
///
/// No global state; every function is thread-safe.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::bal {

/// What a panel entry's aliases are compared with.
enum class MatchBy {
  stain,  ///< a marker (`[markers.X]`): aliases are token sequences inside $PnS
  name,   ///< a scatter or time channel (`[scatter.X]`): aliases are whole $PnN names
};

/// One `[markers.X]` or `[scatter.X]` table of a panel.
struct PanelEntry {
  std::string name;                   ///< "CD19", "FSC-A": the key the rest of Escapade uses
  MatchBy match_by = MatchBy::stain;  ///< which section it came from
  std::vector<std::string> aliases;   ///< patterns as written; never empty after parsing
  std::optional<std::string> channel; ///< a forced $PnN; matching is skipped when set
  bool required = true;               ///< a missing required entry is an error
  bool time = false;                  ///< scatter: fall back to the reader's time parameter
  std::size_t line = 0;               ///< 1-based line of the table header in the panel source
  friend bool operator==(const PanelEntry&, const PanelEntry&) = default;
};

/// A parsed, validated panel. A plain value; copy it freely.
struct Panel {
  std::string name;         ///< `[panel] name`
  std::string description;  ///< `[panel] description`, may be empty
  std::string source;       ///< where it was read from ("bal_escape.toml", "<builtin:bal_escape>")
  bool prefer_area = true;  ///< `[panel] prefer_area`
  /// Markers first, then scatter, each in the order of the panel text.
  std::vector<PanelEntry> entries;

  /// The entry named `name` (ignoring ASCII case), or nullptr. Lives as long as the panel.
  [[nodiscard]] const PanelEntry* find(std::string_view name) const noexcept;
  /// One line: `Panel(bal_escape: 9 markers (4 required), 5 scatter (3 required))`.
  [[nodiscard]] std::string summary() const;
  friend bool operator==(const Panel&, const Panel&) = default;
};

/// Parses and validates a panel (format in the file comment above). Thread-safe.
/// @param toml   the panel text.
/// @param source name used in errors and kept in `Panel::source` ("bal_escape.toml", "<memory>").
/// @throws InputError(format) with "line L, column C" for TOML syntax errors, unknown keys and
///         values of the wrong type or empty; InputError(structure) for an entry name or an
///         alias given twice (ignoring case; an alias shared by two entries would make both
///         claim the same channel), or a panel with no `[markers]`.
[[nodiscard]] Panel parse_panel(std::string_view toml, std::string_view source);

/// Reads and parses a panel file; `Panel::source` is the path as given.
/// @throws InputError(io) if the file cannot be read, or as parse_panel.
[[nodiscard]] Panel read_panel_file(const std::filesystem::path& path);

/// Names of the built-in panels: "bal_escape" (the default), "bal_sort".
[[nodiscard]] std::vector<std::string_view> builtin_panel_names();

/// The text of a built-in panel, byte for byte the file `share/panels/<name>.toml` (a test
/// keeps the two from drifting). The view points to static storage.
/// @throws InputError(reference) listing the built-in names if `name` is not one of them.
[[nodiscard]] std::string_view builtin_panel_text(std::string_view name);

/// A built-in panel, parsed; `Panel::source` is "<builtin:NAME>".
/// @throws as builtin_panel_text.
[[nodiscard]] Panel builtin_panel(std::string_view name = "bal_escape");

/// A panel as a user names it: the file at `spec` when one exists there, else the built-in
/// panel of that name (a file named like a built-in panel is the user's own and wins).
/// @throws InputError(reference) naming the path and the built-in names when it is neither,
///         or as read_panel_file.
[[nodiscard]] Panel load_panel(std::string_view spec);

/// How one panel entry was found.
enum class MatchVia {
  stain,           ///< an alias matched $PnS
  name,            ///< an alias matched $PnN
  forced,          ///< the entry's `channel`
  time_parameter,  ///< the reader's time parameter (`time = true`)
};

/// One resolved panel entry.
struct ChannelMatch {
  std::string entry;       ///< the panel entry's name ("CD19")
  std::size_t parameter = 0;  ///< index into DataSet::parameters (0-based)
  std::string channel;     ///< $PnN of that parameter: what gates and transforms refer to
  std::string stain;       ///< its $PnS (may be empty)
  std::string alias;       ///< the alias that matched (empty for forced and time_parameter)
  MatchVia via = MatchVia::stain;
  /// Other matching channels set aside by `prefer_area` ($PnN), e.g. {"FITC-H", "FITC-W"}.
  std::vector<std::string> passed_over;
  friend bool operator==(const ChannelMatch&, const ChannelMatch&) = default;
};

/// Where each panel entry is in one data set.
struct MarkerMap {
  std::vector<ChannelMatch> matches;  ///< found entries, in panel order
  std::vector<std::string> absent;    ///< optional entries not found, in panel order
  /// Two entries on one channel (a dump channel such as "VIVID / CD14", or "CD13/CD33 PE"):
  /// legal, but a gate that needs them apart cannot separate them.
  std::vector<Warning> warnings;

  /// The match for entry `name` (ignoring ASCII case), or nullptr. Lives as long as the map.
  [[nodiscard]] const ChannelMatch* find(std::string_view name) const noexcept;
  /// $PnN of entry `name`.
  /// @throws InputError(reference) if the entry was not found (absent or not in the panel).
  [[nodiscard]] const std::string& channel(std::string_view name) const;
  /// One line: `MarkerMap(7 found, absent: CD20, Time)`.
  [[nodiscard]] std::string summary() const;
};

/// Finds every panel entry among the parameters of `data_set` (rules in the file comment).
/// Reads only `DataSet::parameters`, so a data set read with `decode_events = false` will do.
/// Thread-safe.
/// @param source the FCS file's name, used in errors and warnings.
/// @throws InputError(reference) naming every missing required entry and every ambiguous entry
///         (with its candidate channels) at once; `where` is "marker CD22" or
///         "markers CD22, FSC-H", and the reason ends with the file's channels as
///         `$PnN "$PnS"` (the stain left out when empty or equal to $PnN).
[[nodiscard]] MarkerMap resolve_markers(const Panel& panel, const fcs::DataSet& data_set,
                                        std::string_view source = "<memory>");

/// Whether marker alias `pattern` matches stain text `stain` ($PnS) by the token rule above.
/// An alias without tokens matches nothing.
[[nodiscard]] bool stain_matches(std::string_view pattern, std::string_view stain);

/// Whether scatter alias `pattern` matches channel name `name` ($PnN): same tokens.
[[nodiscard]] bool name_matches(std::string_view pattern, std::string_view name);

}  // namespace escapade::bal
