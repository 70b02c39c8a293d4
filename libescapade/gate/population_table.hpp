#pragma once
/// @file
/// The per-population table (FlowKit's gating results): one row per sample × population with
/// count, % of parent, % of total and the requested channel statistics, as TSV or JSON; and
/// the gated events as FCS with one membership column per population. `escapade gate`,
/// `escapade workspace` and Python print the same table.

#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"

namespace escapade::gate {

/// Which channel statistics the table holds.
struct StatisticsRequest {
  std::vector<std::string> stats;     ///< mean, median, gmean, sd, rsd, cv, rcv, min, max, pNN
  std::vector<std::string> channels;  ///< $PnN or unique $PnS; empty = every channel
  std::string scale = "raw";          ///< raw | compensated | transformed
};

/// One gated sample, as the table needs it.
struct GatedSample {
  std::string sample;  ///< the sample's name (FCS file name)
  const fcs::DataSet* data = nullptr;
  const GatingPlan* plan = nullptr;
  const GatingResult* result = nullptr;
  /// Population id → the name printed in the `population` column (id, or FlowJo path).
  std::function<std::string(const std::string&)> label;
  /// Extra columns, by name, per population id (e.g. FlowJo's stored count).
  std::map<std::string, std::map<std::string, std::string>> extra;
};

class PopulationTable {
 public:
  /// @param extra_columns names of GatedSample::extra columns, in print order.
  /// @throws InputError(invalid_argument) for an unknown statistic.
  PopulationTable(StatisticsRequest request, std::vector<std::string> extra_columns, int threads);
  /// Computes the rows of one sample (statistics included).
  /// @throws InputError for an unknown channel or samples with different channels,
  ///         GateTreeError for a scale the plan cannot give (no transform on that channel).
  void add(const GatedSample& sample);
  /// The column names: sample, population, parent, count, pct_parent, pct_total, the extra
  /// columns, then `<stat>:<channel>`.
  [[nodiscard]] const std::vector<std::string>& header() const noexcept { return my_header; }
  /// Every row, each cell as printed (numbers as shortest_decimal).
  [[nodiscard]] const std::vector<std::vector<std::string>>& rows() const noexcept { return my_rows; }
  void write_tsv(std::ostream& out) const;
  void write_json(std::ostream& out) const;

 private:
  StatisticsRequest my_request;
  std::vector<std::string> my_extra;
  int my_threads;
  std::vector<std::string> my_stat_columns;
  std::vector<std::vector<std::string>> my_rows;  // every column as text
  std::vector<std::string> my_header;
};

/// Writes the sample's events with one 0/1 column per population (`gate:<id>`, its $PnS
/// the printed label) as FCS 3.1; refuses to overwrite unless `force`.
void write_membership_fcs(const GatedSample& sample, const std::filesystem::path& path, bool force);

}  // namespace escapade::gate
