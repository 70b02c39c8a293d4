// escapade export FILE --to csv|tsv|fcs: events out of an FCS file, as text or FCS 3.1.
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/common.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/version.hpp"

namespace escapade::cli {
namespace {

struct ExportArgs {
  CommonOptions common;
  std::string file;
  std::string to = "csv";
  std::vector<std::string> channels;
  std::optional<std::size_t> events;
  std::size_t dataset = 0;
  std::string output;
  bool force = false;
  bool raw = false;
  bool allow_truncated = false;
};

void write_text(const fcs::DataSet& ds, char sep, std::ostream& out) {
  const EventMatrix& m = ds.events;
  std::string line;
  for (std::size_t k = 0; k < m.channel_count(); ++k) {
    if (k) line += sep;
    line += m.label(k).name;
  }
  out << line << '\n';
  char buf[64];
  for (std::size_t i = 0; i < m.event_count(); ++i) {
    line.clear();
    for (std::size_t k = 0; k < m.channel_count(); ++k) {
      if (k) line += sep;
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, m.channel(k)[i]);
      line.append(buf, p);
    }
    line += '\n';
    out << line;
  }
}

}  // namespace

Command add_export(CLI::App& parent) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* app = parent.add_subcommand("export", "write the events of an FCS file as CSV, TSV or FCS 3.1");
  app->add_option("file", args->file, "FCS file")->required()->check(CLI::ExistingFile);
  app->add_option("--to", args->to, "output format")->check(CLI::IsMember({"csv", "tsv", "fcs"}));
  app->add_option("--channels", args->channels, "channels to keep, by $PnN (or a unique $PnS), in this order")->delimiter(',');
  app->add_option("--events", args->events, "only the first N events");
  app->add_option("--dataset", args->dataset, "data set to export (0-based)");
  app->add_option("-o,--output", args->output, "output file (default: stdout for csv/tsv; required for fcs)");
  app->add_flag("--force", args->force, "replace an existing output file");
  app->add_flag("--raw", args->raw, "stored values, without $PnE/$PnG/$TIMESTEP scaling");
  app->add_flag("--allow-truncated", args->allow_truncated, "export the complete events of a truncated file");
  add_common_options(*app, args->common);
  return {app, [args]() {
            if (args->to == "fcs" && (args->output.empty() || args->output == "-")) {
              throw InputError(ErrorKind::invalid_argument, "", "--output", "FCS output needs a file name (-o OUT.fcs)");
            }
            std::error_code ec;
            if (!args->output.empty() && args->output != "-") {
              if (std::filesystem::equivalent(args->output, args->file, ec)) {
                throw InputError(ErrorKind::invalid_argument, args->output, "--output", "is the input file; it is never overwritten");
              }
              if (!args->force && std::filesystem::exists(args->output, ec)) {
                throw InputError(ErrorKind::io, args->output, "--output", "file exists; use --force to replace it");
              }
            }
            fcs::ReadOptions ro;
            ro.data_set = args->dataset;
            ro.num_threads = args->common.threads;
            ro.scale = !args->raw;
            ro.allow_truncated = args->allow_truncated;
            fcs::FcsFile f = fcs::read_fcs_file(args->file, ro);
            const fcs::DataSet& ds = f.data_sets.front();
            if (!args->common.quiet) {
              for (const auto& w : ds.warnings) std::cerr << "escapade export: warning: " << w.message() << '\n';
            }
            std::vector<std::size_t> rows;
            if (args->events && *args->events < ds.events.event_count()) {
              rows.resize(*args->events);
              for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
            }
            const auto channels = ds.resolve_channels(args->channels, args->file, "--channels");
            fcs::DataSet out = (rows.empty() && channels.empty() && !(args->events && *args->events == 0))
                                   ? ds
                                   : fcs::select(ds, rows, channels);
            if (args->events && *args->events == 0) out = fcs::select(ds, {}, channels), out.events = out.events.head(0);
            if (args->to == "fcs") {
              fcs::WriteOptions wo;
              wo.extra_keywords.push_back({"ESCAPADE_SOURCE", std::filesystem::path(args->file).filename().string()});
              wo.extra_keywords.push_back({"ESCAPADE_VERSION", version_string});
              fcs::write_fcs_file(args->output, out, wo, args->force);
              return exit_ok;
            }
            const char sep = args->to == "tsv" ? '\t' : ',';
            write_text_output(args->output, args->force, [&](std::ostream& o) { write_text(out, sep, o); });
            return exit_ok;
          }};
}

}  // namespace escapade::cli
