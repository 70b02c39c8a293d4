// The command-line side of the per-population table.
#include "cli/population_table.hpp"

#include "cli/common.hpp"

namespace escapade::cli {

void add_statistics_options(CLI::App& app, StatisticsArgs& args) {
  app.add_option("--stats", args.stats,
                 "channel statistics per population: mean, median, gmean, sd, rsd, cv, rcv, min, max, pNN "
                 "(percentile, e.g. p95)")
      ->delimiter(',');
  app.add_option("--channels", args.channels, "channels for --stats, by $PnN or unique $PnS (default: all)")
      ->delimiter(',');
  app.add_option("--scale", args.scale, "values the statistics use")
      ->check(CLI::IsMember({"raw", "compensated", "transformed"}));
}

void write_population_table(const PopulationTable& table, const std::string& path, bool force, bool json) {
  write_text_output(path, force, [&](std::ostream& o) {
    if (json) {
      table.write_json(o);
    } else {
      table.write_tsv(o);
    }
  });
}

}  // namespace escapade::cli
