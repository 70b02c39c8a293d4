#pragma once
// The command-line side of the per-population table (libescapade/gate/population_table.hpp):
// its options, and writing it to a file or stdout.
#include <CLI/CLI.hpp>

#include <string>

#include "libescapade/gate/population_table.hpp"

namespace escapade::cli {

using StatisticsArgs = gate::StatisticsRequest;
using gate::GatedSample;
using gate::PopulationTable;
using gate::write_membership_fcs;

/// --stats, --channels and --scale.
void add_statistics_options(CLI::App& app, StatisticsArgs& args);

/// TSV or JSON to `path` (stdout for "" or "-"), never replacing a file unless `force`.
void write_population_table(const PopulationTable& table, const std::string& path, bool force, bool json);

}  // namespace escapade::cli
