#pragma once
// The per-population table that `escapade gate` and `escapade workspace` print: one row
// per sample × population with count, % of parent, % of total and the requested channel
// statistics, as TSV or JSON; and the gated events as FCS with one membership column per
// population.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"

namespace escapade::cli {

/// --stats, --channels, --scale and --percentiles.
struct StatisticsArgs {
  std::vector<std::string> stats;     // mean, median, gmean, sd, rsd, cv, rcv, min, max, pNN
  std::vector<std::string> channels;  // $PnN or unique $PnS; empty = every channel
  std::string scale = "raw";          // raw | compensated | transformed
};
void add_statistics_options(CLI::App& app, StatisticsArgs& args);

/// One gated sample, as the table needs it.
struct GatedSample {
  std::string sample;                 // the sample's name (FCS file name)
  const fcs::DataSet* data = nullptr;
  const gate::GatingPlan* plan = nullptr;
  const gate::GatingResult* result = nullptr;
  /// Population id → the name printed in the `population` column (id, or FlowJo path).
  std::function<std::string(const std::string&)> label;
  /// Extra columns, by name, per population id (e.g. FlowJo's stored count).
  std::map<std::string, std::map<std::string, std::string>> extra;
};

class PopulationTable {
 public:
  /// @param extra_columns names of GatedSample::extra columns, in print order.
  PopulationTable(StatisticsArgs args, std::vector<std::string> extra_columns, int threads);
  /// Computes the rows of one sample (statistics included).
  /// @throws InputError for an unknown statistic or channel, GateTreeError for a scale the
  ///         plan cannot give (no transform on that channel).
  void add(const GatedSample& sample);
  void write_tsv(std::ostream& out) const;
  void write_json(std::ostream& out) const;
  /// TSV or JSON to `path` (stdout for "" or "-"), never replacing a file unless `force`.
  void write(const std::string& path, bool force, bool json) const;

 private:
  StatisticsArgs my_args;
  std::vector<std::string> my_extra;
  int my_threads;
  std::vector<std::string> my_stat_columns;
  std::vector<std::vector<std::string>> my_rows;  // every column as text
  std::vector<std::string> my_header;
};

/// Writes the sample's events with one 0/1 column per population (`gate:<id>`, its $PnS
/// the printed label) as FCS 3.1; refuses to overwrite unless `force`.
void write_membership_fcs(const GatedSample& sample, const std::filesystem::path& path, bool force);

}  // namespace escapade::cli
