// The one per-sample pipeline (sample.hpp).
#include "libescapade/bal/sample.hpp"

#include <fmt/format.h>

#include "libescapade/base/text.hpp"

namespace escapade::bal {

SampleAnalysis analyze_sample(const std::filesystem::path& fcs_path, const SampleOptions& options) {
  SampleAnalysis s;
  // The FISH table first: a bad one is reported before a long analysis, and it is small.
  if (options.fish) s.fish = read_fish_file(*options.fish, options.fish_options);
  fcs::ReadOptions ro;
  ro.data_set = options.data_set;
  ro.num_threads = options.num_threads;
  s.file = fcs::read_fcs_file(fcs_path, ro);
  const fcs::DataSet& ds = s.data();
  s.read_warnings = ds.warnings;
  if (s.file.data_set_count > 1) {
    s.read_warnings.push_back({fcs_path.string(), "data sets",
                               fmt::format("the file holds {} data sets; data set {} was analysed", s.file.data_set_count,
                                           options.data_set)});
  }
  std::optional<fcs::FcsFile> control;
  if (options.negative_control) control = fcs::read_fcs_file(*options.negative_control, ro);
  AnalysisOptions ao = analysis_options(options.gating_template, options.review);
  if (control) ao.negative_control = &control->data_sets.front();
  ao.num_threads = options.num_threads;
  // File names are shown as UTF-8 (a Latin-1 name read as Latin-1, base/text.hpp).
  s.analysis = analyze(ds, options.panel, utf8_or_latin1(fcs_path.string()), ao);
  s.flags = sample_flags(s.analysis, s.fish ? &*s.fish : nullptr, options.flags.value_or(options.gating_template.flags));
  s.sample = utf8_or_latin1(fcs_path.filename().string());
  return s;
}

}  // namespace escapade::bal
