#pragma once
/// @file
/// One sample through the escape-risk analysis, as `escapade analyze`, `cohort run` and
/// `demo` all run it: the FCS file read, the analysis (panel, template, review, negative
/// control), the FISH table read, and the sample's flags. One function, so that every front
/// end (and Python) gives the same numbers for the same file.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/fish.hpp"
#include "libescapade/bal/flags.hpp"
#include "libescapade/bal/panel.hpp"
#include "libescapade/bal/template.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::bal {

struct SampleOptions {
  Panel panel = builtin_panel();
  GatingTemplate gating_template = builtin_template();
  /// Cuts a reviewer fixed for this sample (read_review_file); they win over the template.
  std::map<std::string, FixedCut> review;
  /// FISH results on the sorted compartments (TSV), read first (a bad table fails fast).
  std::optional<std::filesystem::path> fish;
  FishOptions fish_options;
  /// An FMO or negative-control tube of the same sample: it sets the CD19 and CD22 cuts.
  std::optional<std::filesystem::path> negative_control;
  std::size_t data_set = 0;  ///< 0-based data set of the FCS file
  int num_threads = 1;       ///< within the sample; results never depend on it
  /// The flags' options when not the template's (a cohort passes its own reference mean).
  std::optional<FlagOptions> flags;
};

struct SampleAnalysis {
  fcs::FcsFile file;  ///< holds the one data set analysed
  Analysis analysis;
  std::optional<FishResult> fish;
  std::vector<Flag> flags;
  /// What reading said: the data set's warnings, and that a file of several data sets had
  /// one analysed.
  std::vector<Warning> read_warnings;
  /// The file name without its folder, as UTF-8 (a Latin-1 name read as Latin-1).
  std::string sample;

  [[nodiscard]] const fcs::DataSet& data() const { return file.data_sets.front(); }
};

/// Reads the FISH table and `fcs_path`, analyses the data set and evaluates the flags.
/// `Analysis::source` is the path as UTF-8.
/// @throws InputError as read_fcs_file, analyze, read_fish_file do.
[[nodiscard]] SampleAnalysis analyze_sample(const std::filesystem::path& fcs_path, const SampleOptions& options = {});

}  // namespace escapade::bal
