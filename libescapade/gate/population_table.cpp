// The per-population table (population_table.hpp).
#include "libescapade/gate/population_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "libescapade/base/error.hpp"
#include "libescapade/base/text.hpp"
#include "libescapade/version.hpp"

namespace escapade::gate {
namespace {

const std::vector<std::string> base_columns{"sample", "population", "parent", "count", "pct_parent", "pct_total"};
const std::vector<std::string> named_stats{"mean", "median", "gmean", "sd", "rsd", "cv", "rcv", "min", "max"};

// "p95" → 95; nullopt when `stat` is not a percentile.
std::optional<double> percentile_of(const std::string& stat) {
  if (stat.size() < 2 || stat[0] != 'p') return std::nullopt;
  double p = 0;
  const char* first = stat.data() + 1;
  const char* last = stat.data() + stat.size();
  auto [ptr, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || ptr != last || !(p >= 0 && p <= 100)) return std::nullopt;
  return p;
}

double pick(const ChannelStatistics& s, const std::string& stat, std::size_t& percentile_index) {
  if (stat == "mean") return s.mean;
  if (stat == "median") return s.median;
  if (stat == "gmean") return s.geometric_mean;
  if (stat == "sd") return s.sd;
  if (stat == "rsd") return s.robust_sd;
  if (stat == "cv") return s.cv;
  if (stat == "rcv") return s.robust_cv;
  if (stat == "min") return s.min;
  if (stat == "max") return s.max;
  return s.percentiles.at(percentile_index++);
}

// The dimension whose values the statistics of `channel` use, on the asked scale.
Dimension scale_dimension(const GatedSample& s, const std::string& channel, const std::string& scale) {
  if (scale == "raw") return Dimension::of(channel);
  if (scale == "compensated") {
    for (const auto& m : s.plan->matrices()) {
      const auto& dims = m.compensation.dimensions();
      if (std::find(dims.begin(), dims.end(), channel) != dims.end()) {
        Dimension d = Dimension::of(channel);
        d.compensation = m.matrix.id();
        return d;
      }
    }
    if (s.data->spillover) {
      const auto& det = s.data->spillover->detectors();
      if (std::find(det.begin(), det.end(), channel) != det.end()) {
        Dimension d = Dimension::of(channel);
        d.compensation = std::string(file_compensation);
        return d;
      }
    }
    throw InputError(ErrorKind::reference, s.sample, fmt::format("--scale compensated, channel '{}'", channel),
                     "no spillover matrix of the gating or the file compensates this channel");
  }
  for (const auto& d : s.plan->dimensions()) {
    if (d.channel == channel && !d.transform.empty()) return d;
  }
  throw InputError(ErrorKind::reference, s.sample, fmt::format("--scale transformed, channel '{}'", channel),
                   "no gate of the gating uses this channel through a transform");
}

}  // namespace

PopulationTable::PopulationTable(StatisticsRequest request, std::vector<std::string> extra_columns, int threads)
    : my_request(std::move(request)), my_extra(std::move(extra_columns)), my_threads(threads) {
  for (const auto& stat : my_request.stats) {
    const bool known = std::find(named_stats.begin(), named_stats.end(), stat) != named_stats.end();
    if (!known && !percentile_of(stat)) {
      throw InputError(ErrorKind::invalid_argument, "", fmt::format("--stats '{}'", stat),
                       "unknown statistic; use mean, median, gmean, sd, rsd, cv, rcv, min, max or pNN (0 ≤ NN ≤ 100)");
    }
  }
  my_header = base_columns;
  my_header.insert(my_header.end(), my_extra.begin(), my_extra.end());
}

void PopulationTable::add(const GatedSample& s) {
  const GatingResult& r = *s.result;
  // Statistic columns, fixed by the first sample's channels.
  std::vector<std::string> channels;
  if (!my_request.stats.empty()) {
    channels = my_request.channels.empty() ? std::vector<std::string>{} : s.data->resolve_channels(my_request.channels, s.sample, "--channels");
    if (my_request.channels.empty()) {
      for (std::size_t k = 0; k < s.data->events.channel_count(); ++k) channels.push_back(s.data->events.label(k).name);
    }
  }
  std::vector<std::string> columns;
  for (const auto& c : channels) {
    for (const auto& stat : my_request.stats) columns.push_back(stat + ":" + c);
  }
  if (my_rows.empty() && my_stat_columns.empty()) {
    my_stat_columns = columns;
    my_header.insert(my_header.end(), columns.begin(), columns.end());
  } else if (columns != my_stat_columns) {
    throw InputError(ErrorKind::reference, s.sample, "--channels",
                     "the samples have different channels; name the channels with --channels");
  }
  std::vector<double> percentiles;
  for (const auto& stat : my_request.stats) {
    if (auto p = percentile_of(stat)) percentiles.push_back(*p);
  }
  // Values per channel once, then statistics per population.
  std::vector<std::vector<double>> values;
  ApplyOptions options;
  options.file_spillover = s.data->spillover ? &*s.data->spillover : nullptr;
  options.file_spillover_problem = s.data->spillover_problem ? &*s.data->spillover_problem : nullptr;
  options.num_threads = my_threads;
  for (const auto& c : channels) {
    values.push_back(dimension_values(*s.plan, s.data->events, scale_dimension(s, c, my_request.scale), options));
  }
  auto row_of = [&](const std::string& population, const std::string& parent, std::size_t count, double pct_parent,
                    double pct_total, const Membership& members, const std::string& id) {
    std::vector<std::string> row{s.sample, population, parent, std::to_string(count), shortest_decimal(pct_parent),
                                 shortest_decimal(pct_total)};
    for (const auto& e : my_extra) {
      auto it = s.extra.find(id);
      row.push_back(it != s.extra.end() && it->second.contains(e) ? it->second.at(e) : "");
    }
    for (std::size_t c = 0; c < channels.size(); ++c) {
      const auto st = channel_statistics(values[c], members, percentiles);
      std::size_t pi = 0;
      for (const auto& stat : my_request.stats) row.push_back(shortest_decimal(pick(st, stat, pi)));
    }
    my_rows.push_back(std::move(row));
  };
  Membership all(r.event_count());
  for (std::size_t i = 0; i < r.event_count(); ++i) all.set(i);
  const double total_pct = r.event_count() == 0 ? std::nan("") : 100.0;
  row_of("root", "", r.event_count(), total_pct, total_pct, all, "");
  for (const auto& id : r.populations()) {
    const std::string& parent = r.parent(id);
    row_of(s.label(id), parent.empty() ? "root" : s.label(parent), r.count(id), r.percent_of_parent(id),
           r.percent_of_total(id), r.membership(id), id);
  }
}

void PopulationTable::write_tsv(std::ostream& out) const {
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t k = 0; k < cells.size(); ++k) out << (k ? "\t" : "") << printable(cells[k]);
    out << '\n';
  };
  line(my_header);
  for (const auto& r : my_rows) line(r);
}

void PopulationTable::write_json(std::ostream& out) const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : my_rows) {
    nlohmann::json row;
    for (std::size_t k = 0; k < my_header.size(); ++k) {
      const std::string& name = my_header[k];
      const std::string& cell = r[k];
      if (k < 3) {
        row[name] = cell;  // sample, population, parent
      } else if (cell.empty() || cell == "nan" || cell == "inf" || cell == "-inf") {
        row[name] = nullptr;  // JSON has no NaN or infinity
      } else {
        row[name] = nlohmann::json::parse(cell, nullptr, false);
        if (row[name].is_discarded()) row[name] = cell;
      }
    }
    rows.push_back(std::move(row));
  }
  out << rows.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void write_membership_fcs(const GatedSample& s, const std::filesystem::path& path, bool force) {
  fcs::DataSet out = *s.data;
  const GatingResult& r = *s.result;
  std::vector<double> column(r.event_count());
  for (const auto& id : r.populations()) {
    const Membership& m = r.membership(id);
    for (std::size_t i = 0; i < column.size(); ++i) column[i] = m.test(i) ? 1.0 : 0.0;
    std::string name = "gate:" + id;
    if (out.events.find(name)) {
      throw InputError(ErrorKind::structure, path.string(), fmt::format("population '{}'", id),
                       fmt::format("the events already have a channel named '{}'", name));
    }
    out.events.add_channel({name, s.label(id)}, column);
  }
  fcs::WriteOptions wo;
  wo.extra_keywords.push_back({"ESCAPADE_SOURCE", s.sample});
  wo.extra_keywords.push_back({"ESCAPADE_VERSION", version_string});
  fcs::write_fcs_file(path, out, wo, force);
}

}  // namespace escapade::gate
