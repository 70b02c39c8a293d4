#pragma once
/// @file
/// The per-sample escape-risk report: one `bal::Analysis` of one FCS data
/// set, with the FISH calls and the risk flags when there are any, written for a hematologist
/// to read and check, as a self-contained HTML file and as an A4 PDF with the same content.
///
/// Content, in this order: the title (research use only, not for diagnosis); the sample and
/// its acquisition ($FIL, $CYT, $DATE, $BTIM–$ETIM, events, panel, the marker → channel map);
/// QC (events, singlets %, cells %, leukocytes %, the time-rate CV, QC flags and warnings in
/// red); the gating sequence as pseudocolour density plots with every gate drawn, axes in the
/// transform's real units, each captioned with its cuts' evidence ("needs review" for a weak
/// cut, "fixed" for a cut set by a reviewer or the template); the population table (events,
/// % of CD34+ as `PopulationCount::display()` prints it, % of leukocytes, status); the FISH
/// table and the stem-cell-involvement call; the risk flags; and the methods, stating what
/// was done (compensation, logicle widths, each gate's method, LOD/LLOQ, the FISH cutoff rule,
/// the software version).
///
/// Describe, compute, render (STYLE §5): `make_gating_figures` computes the plots once
/// (the only step that reads the events); `render_sample_report` lays the same document out
/// as HTML (plots as base64 PNG data URIs, CSS inline, nothing fetched) and as PDF (cairo,
/// A4, several pages). Output is deterministic: the same input gives the same HTML bytes, and
/// the same PDF bytes but for the /CreationDate cairo writes.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/fish.hpp"
#include "libescapade/bal/flags.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/report/plot.hpp"

namespace escapade::report {

/// Whether a risk flag is raised.


/// What one report is made of. References must outlive the calls that take the input.
struct SampleReportInput {
  const fcs::DataSet& data;         ///< the data set analysed (events in scale values)
  const bal::Analysis& analysis;    ///< `bal::analyze` of `data`
  const bal::FishResult* fish = nullptr;  ///< FISH calls on sorted compartments; null = none
  std::vector<bal::Flag> flags;    ///< risk flags, in the order to show them
  std::string sample_name;          ///< heading; empty = $SRC, else $FIL, else the file name
  std::string panel_name;           ///< the panel used ("bal_escape"); empty = not stated
};

/// How the report is computed and laid out.
struct SampleReportOptions {
  /// Histogram bins per axis of every plot (2 … 4096).
  std::size_t bins = 256;
  /// Size of each plot's PNG in the HTML, pixels (the PDF draws them at twice this size, so
  /// they stay sharp in print).
  int plot_width = 620;
  int plot_height = 616;
  /// Shown under the title ("2024-05-02 14:03", the command line that made it); empty = none.
  /// The report reads no clock for its text.
  std::string generated;
  /// Threads for the plots' values (0 = all cores). The output does not depend on it.
  int num_threads = 0;
};

/// One plot of the gating sequence with what its caption says.
struct GatingFigure {
  std::string step;                ///< "1. Singlets"
  DensityPlot plot;                ///< the plot, gates drawn
  std::vector<std::string> cuts;   ///< `bal::Cut::name` of each cut drawn, in gating order
  /// One line per cut: "CD19 = 1,234 (logicle 0.412), valley: …" (the cut's evidence).
  std::vector<std::string> evidence;
  bool needs_review = false;       ///< a cut is weak (autogate's QC flag)
  bool fixed = false;              ///< a cut was set by a reviewer or the template
  std::string note;                ///< how the gate is drawn, where that needs saying
};

/// Computes the plots of the gating sequence: FSC-A × FSC-H (singlets: the FSC-A/FSC-H ratio
/// cut drawn as the line FSC-H = FSC-A / ratio), FSC-A × SSC-A within singlets (debris cut),
/// CD45 × SSC-A within cells (leukocytes), CD34 × SSC-A within leukocytes (CD34+ SSC-low),
/// CD19 × CD22 within CD34+ (the quadrant, % of CD34+ in each), and with CD38, CD38 × CD19
/// within CD34+ (the HSC-enriched CD34+CD38−CD19− and progenitor CD34+CD38+CD19− gates, which
/// are cut on these two markers). Plots whose channels the analysis did not find (no FSC-H,
/// say) are left out. Marker axes use the plan's own dimensions (compensation and logicle),
/// so the gates lie where the analysis cut; scatter axes without a plan transform are linear.
/// Thread-safe.
/// @throws as `make_density_plot` (an analysis of another data set: unknown channels).
[[nodiscard]] std::vector<GatingFigure> make_gating_figures(const fcs::DataSet& data, const bal::Analysis& analysis,
                                                            const SampleReportOptions& options = {});

/// Both renderings of one report, from one computation of the plots.
struct SampleReportFiles {
  std::string html;             ///< UTF-8, self-contained
  std::vector<std::byte> pdf;   ///< A4, multi-page
};

/// Renders the report as HTML and PDF. Cairo objects are local to the call: thread-safe.
/// @throws as `make_gating_figures`; Error(io) with cairo's reason if cairo fails;
///         Error(invalid_argument) if the options' sizes or bins are out of range.
[[nodiscard]] SampleReportFiles render_sample_report(const SampleReportInput& input,
                                                     const SampleReportOptions& options = {});

/// The report as one self-contained HTML page (no external resources). As render_sample_report.
[[nodiscard]] std::string sample_report_html(const SampleReportInput& input, const SampleReportOptions& options = {});

/// The report as a PDF document (A4 pages). As render_sample_report.
[[nodiscard]] std::vector<std::byte> sample_report_pdf(const SampleReportInput& input,
                                                       const SampleReportOptions& options = {});

/// The HTML and PDF for already computed figures (`make_gating_figures` of the input's data
/// and analysis), so a caller can reuse or inspect them.
[[nodiscard]] SampleReportFiles render_sample_report(const SampleReportInput& input,
                                                     const std::vector<GatingFigure>& figures,
                                                     const SampleReportOptions& options = {});

/// Writes `files` to `html_path` and `pdf_path` (either may be empty to skip it), each
/// through a temporary file renamed into place.
/// @throws InputError(io) naming the path if it exists and `overwrite` is false (then nothing
///         is written), or it cannot be written.
void write_sample_report(const SampleReportFiles& files, const std::filesystem::path& html_path,
                         const std::filesystem::path& pdf_path, bool overwrite = false);

}  // namespace escapade::report
