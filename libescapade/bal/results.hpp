#pragma once
/// @file
/// The machine-readable outputs of one analysed sample: `results.json`
/// with everything (versions, parameters, markers, QC, every cut with its evidence, every
/// population under `populations.<name>`, FISH, flags) and `populations.tsv`.

#include <string>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/fish.hpp"
#include "libescapade/bal/flags.hpp"
#include "libescapade/bal/template.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::bal {

/// What `results_json` describes.
struct SampleResults {
  const fcs::DataSet& data;
  const Analysis& analysis;
  const GatingTemplate& gating_template;
  const Panel& panel;
  const FishResult* fish = nullptr;
  std::vector<Flag> flags;
};

/// `results.json` (schema "escapade-analysis/1"). Each population sits under
/// `populations.<name>` with `events`, `pct_of_cd34`, `pct_of_leukocytes`, `status`
/// (`quantified`, `below_lloq`, `below_lod`), `phenotype`, `display` and `lod_pct_of_cd34`;
/// NaN is written as null.
[[nodiscard]] std::string results_json(const SampleResults& results);

/// `populations.tsv`: sample, population, phenotype, events, pct_of_cd34, pct_of_leukocytes,
/// status, display — one row per population.
[[nodiscard]] std::string populations_tsv(const Analysis& analysis, const std::string& sample);

}  // namespace escapade::bal
