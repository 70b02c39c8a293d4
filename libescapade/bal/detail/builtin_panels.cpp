// Generated from share/panels/*.toml: edit the .toml file and copy it here verbatim
// (between the raw-string delimiters); tests/bal/panel_test.cpp fails on any drift.
#include "libescapade/bal/detail/builtin_panels.hpp"

namespace escapade::bal::detail {

namespace {

constexpr std::string_view k_bal_escape = R"toml(# Escapade panel: CD34/CD19/CD22 escape-risk panel (seed 001: CD22 is expressed before CD19,
# and CD34+CD19-CD22+ progenitors escape CD19-directed therapy). Used by `escapade analyze`
# when no --panel is given; the same text is built into the library (bal::builtin_panel).
#
# Edit freely for your lab: add the stain names your instruments write to `aliases`, force a
# channel with `channel = "PE-Cy7-A"`, or make a marker optional with `required = false`.
# Matching rules (libescapade/bal/panel.hpp): markers are matched against $PnS by whole
# tokens, ignoring case ("CD19" matches "CD19 PE-Cy7", "CD19-PC7", "PE-Cy7-A :: CD19", but
# "CD3" never matches "CD33"); scatter channels are matched against the whole $PnN.

[panel]
name = "bal_escape"
description = "CD45/CD34/CD19/CD22 escape-risk panel (seed 001), with CD10, CD38 and CD20 when present"
prefer_area = true

# Required: leukocytes (CD45), progenitors (CD34) and CD19 within CD34+. CD22 completes the
# CD19 x CD22 quadrant; a tube without it still gives the CD19-/CD38 compartments, and the
# analysis says that pre-escape cells cannot be measured.
[markers.CD45]
aliases = ["CD45"]
required = true

[markers.CD34]
aliases = ["CD34"]
required = true

[markers.CD19]
aliases = ["CD19", "Leu-12"]
required = true

[markers.CD22]
aliases = ["CD22", "Siglec-2"]
required = false

# Optional: B-progenitor maturation (CD10, CD20) and the CD38 low/high split.
[markers.CD10]
aliases = ["CD10", "CALLA"]
required = false

[markers.CD38]
aliases = ["CD38"]
required = false

[markers.CD20]
aliases = ["CD20"]
required = false

# T cells (CD3+) mark where the mature lymphocytes' CD45 lies (the lymphocyte reference).
[markers.CD3]
aliases = ["CD3", "Leu-4"]
required = false

# Optional: dead-cell exclusion, and a nucleic-acid stain for nucleated cells.
[markers.Viability]
aliases = ["Viability", "Live/Dead", "L/D", "7-AAD", "7AAD", "DAPI", "PI",
           "Propidium Iodide", "Zombie", "FVS", "FVS510", "FVS575V", "FVS620", "FVS660", "FVS700",
           "FVS780", "Fixable Viability", "Vivid"]
required = false

[markers.DNA]
aliases = ["Syto", "DRAQ5", "Hoechst", "DyeCycle"]
required = false

# Scatter: FSC-A vs FSC-H (or FSC-W alone) for singlets, SSC-A for the CD45/SSC and
# CD34/SSC-low gates.
# "FS INT"/"FS PEAK" are Beckman Coulter's integral (area) and peak (height) signals.
[scatter.FSC-A]
aliases = ["FSC-A", "FS INT", "FS INT LIN", "FSC-Area"]
required = true

[scatter.FSC-H]
aliases = ["FSC-H", "FS PEAK", "FS PEAK LIN", "FSC-Height"]
required = false

[scatter.SSC-A]
aliases = ["SSC-A", "SS INT", "SS INT LIN", "SSC-Area"]
required = true

[scatter.FSC-W]
aliases = ["FSC-W", "FSC-Width"]
required = false

[scatter.Time]
aliases = ["Time", "HDR-T"]
required = false
time = true
)toml";

constexpr std::string_view k_bal_sort = R"toml(# Escapade panel: stem/progenitor compartment sort panel (seed 000: BCR-ABL1 FISH on sorted
# HSC-enriched CD34+CD38-CD19-, progenitor CD34+CD38+CD19-, myeloid CD33+/CD13+ CD19-,
# B-lineage CD19+ and T-cell CD3+ compartments). Built into the library as "bal_sort".
#
# Matching rules (libescapade/bal/panel.hpp): markers are matched against $PnS by whole
# tokens, ignoring case ("CD3" matches "CD3 APC-H7" but never "CD33" or "CD34"); scatter
# channels are matched against the whole $PnN. CD13 and CD33 often share one channel
# ("CD13/CD33 PE"); both then resolve to it and the map carries a warning.

[panel]
name = "bal_sort"
description = "CD34/CD38/CD19/CD33/CD13/CD3/CD45 compartment sort panel for FISH (seed 000)"
prefer_area = true

[markers.CD45]
aliases = ["CD45"]
required = true

[markers.CD34]
aliases = ["CD34"]
required = true

[markers.CD38]
aliases = ["CD38"]
required = true

[markers.CD19]
aliases = ["CD19", "Leu-12"]
required = true

# Myeloid compartment: CD33+ or CD13+; CD33 is the one the sort needs, CD13 is added when present.
[markers.CD33]
aliases = ["CD33", "Siglec-3"]
required = true

[markers.CD13]
aliases = ["CD13"]
required = false

[markers.CD3]
aliases = ["CD3"]
required = true

[markers.Viability]
aliases = ["Viability", "Live/Dead", "L/D", "7-AAD", "7AAD", "DAPI", "PI",
           "Propidium Iodide", "Zombie", "FVS", "FVS510", "FVS575V", "FVS620", "FVS660", "FVS700",
           "FVS780", "Fixable Viability", "Vivid"]
required = false

[scatter.FSC-A]
aliases = ["FSC-A", "FS INT", "FS INT LIN", "FSC-Area"]
required = true

[scatter.FSC-H]
aliases = ["FSC-H", "FS PEAK", "FS PEAK LIN", "FSC-Height"]
required = true

[scatter.SSC-A]
aliases = ["SSC-A", "SS INT", "SS INT LIN", "SSC-Area"]
required = true

[scatter.Time]
aliases = ["Time", "HDR-T"]
required = false
time = true
)toml";

constexpr BuiltinPanel k_panels[] = {
    {"bal_escape", k_bal_escape},
    {"bal_sort", k_bal_sort},
};

}  // namespace

std::span<const BuiltinPanel> builtin_panels() noexcept { return k_panels; }

}  // namespace escapade::bal::detail
