// escapade plot FILE --x CH --y CH: a pseudocolour density plot of two channels, with the
// gates of a Gating-ML file drawn, as PNG, SVG or PDF.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/common.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gatingml.hpp"
#include "libescapade/report/plot.hpp"

namespace escapade::cli {
namespace {

struct PlotArgs {
  CommonOptions common;
  std::string file;
  std::string x;
  std::string y;
  std::string gatingml;
  std::string population;
  std::string transform = "auto";
  bool compensate = false;
  std::string output;
  bool force = false;
  std::size_t dataset = 0;
  std::size_t bins = 256;
  std::string title;
  int width = 620;
  int height = 616;
};

report::Scale scale_of(const std::string& name) {
  if (name == "logicle") return report::Scale::logicle;
  if (name == "linear") return report::Scale::linear;
  if (name == "asinh") return report::Scale::asinh;
  if (name == "none") return report::Scale::none;
  return report::Scale::automatic;
}

// A file name part made of safe characters.
std::string safe(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

Command add_plot(CLI::App& parent) {
  auto args = std::make_shared<PlotArgs>();
  CLI::App* app = parent.add_subcommand("plot", "pseudocolour density plot of two channels, with gates drawn");
  app->add_option("file", args->file, "FCS file")->required()->check(CLI::ExistingFile);
  app->add_option("--x", args->x, "channel on the x axis ($PnN or unique $PnS)")->required();
  app->add_option("--y", args->y, "channel on the y axis ($PnN or unique $PnS)")->required();
  app->add_option("--gatingml", args->gatingml, "Gating-ML 2.0 file whose gates on these axes are drawn")
      ->check(CLI::ExistingFile);
  app->add_option("--population", args->population,
                  "plot only this population's events (id or unique name; needs --gatingml) and draw its child gates");
  app->add_option("--transform", args->transform,
                  "display scale of an axis without a Gating-ML transform (auto: logicle for fluorescence, "
                  "linear for scatter and time)")
      ->check(CLI::IsMember({"auto", "logicle", "linear", "asinh", "none"}));
  app->add_flag("--compensate", args->compensate,
                "compensate by the file's spillover (axes whose gates say otherwise follow the gates)");
  app->add_option("-o,--output", args->output, "image file: .png, .svg or .pdf (default: FILE.X-Y.png here)");
  app->add_flag("--force", args->force, "replace an existing output file");
  app->add_option("--dataset", args->dataset, "data set of the file (0-based)");
  app->add_option("--bins", args->bins, "histogram bins per axis")->check(CLI::Range(2, 4096));
  app->add_option("--title", args->title, "title (default: file and population)");
  app->add_option("--width", args->width, "image width (pixels; points for SVG/PDF)")->check(CLI::Range(200, 8192));
  app->add_option("--height", args->height, "image height")->check(CLI::Range(200, 8192));
  add_common_options(*app, args->common);
  return {app, [args]() {
            const std::filesystem::path input(args->file);
            if (!args->population.empty() && args->gatingml.empty()) {
              throw InputError(ErrorKind::invalid_argument, "", "--population", "needs --gatingml");
            }
            std::filesystem::path output = args->output;
            if (output.empty()) {
              output = safe(input.stem().string()) + "." + safe(args->x) + "-" + safe(args->y) + ".png";
            }
            if (!report::format_for(output)) {
              throw InputError(ErrorKind::invalid_argument, output.string(), "--output",
                               "unknown image format; use .png, .svg or .pdf");
            }
            std::error_code ec;
            if (!args->force && std::filesystem::exists(output, ec)) {
              throw InputError(ErrorKind::io, output.string(), "--output", "file exists; use --force to replace it");
            }
            if (std::filesystem::equivalent(output, input, ec)) {
              throw InputError(ErrorKind::invalid_argument, output.string(), "--output",
                               "is the input file; inputs are never overwritten");
            }

            fcs::ReadOptions ro;
            ro.data_set = args->dataset;
            ro.num_threads = args->common.threads;
            const fcs::FcsFile f = fcs::read_fcs_file(input, ro);
            const fcs::DataSet& ds = f.data_sets.front();
            if (!args->common.quiet) {
              for (const auto& w : ds.warnings) std::cerr << "escapade plot: warning: " << w.message() << '\n';
            }
            const gate::GatingPlan plan =
                args->gatingml.empty() ? gate::GatingPlan(input.string()) : gate::read_gatingml_file(args->gatingml);

            const gate::ApplyOptions options = gate::file_apply_options(ds, input.string(), args->common.threads);
            if (args->compensate && !ds.spillover && !args->common.quiet) {
              std::cerr << "escapade plot: warning: " << input.string()
                        << ": --compensate: the file has no spillover; values are uncompensated\n";
            }
            report::PopulationPlotRequest request;
            request.x = args->x;
            request.y = args->y;
            request.population = args->population;
            request.scale = scale_of(args->transform);
            request.compensate = args->compensate;
            request.bins = args->bins;
            request.title = args->title;
            const report::PopulationPlot made = report::population_plot(ds, input.string(), plan, request, options);
            if (!args->common.quiet) {
              for (const auto& note : made.notes) std::cerr << "escapade plot: note: " << note << '\n';
            }
            const report::PlotSpec& spec = made.spec;
            const std::string& population = spec.population;
            std::optional<gate::GatingResult> result;
            if (!args->gatingml.empty()) result = gate::apply(plan, ds.events, options);
            const report::DensityPlot plot =
                report::make_density_plot(plan, ds.events, spec, result ? &*result : nullptr, options);
            report::RenderOptions ro2;
            ro2.width = args->width;
            ro2.height = args->height;
            ro2.overwrite = args->force;
            report::render_file(plot, output, ro2);

            if (args->common.json) {
              nlohmann::ordered_json j;
              j["output"] = output.string();
              j["file"] = input.string();
              j["population"] = population;
              j["events"] = plot.histogram.total + plot.histogram.missing;
              j["plotted"] = plot.histogram.total;
              j["off_scale"] = plot.histogram.off_scale;
              j["missing"] = plot.histogram.missing;
              for (const auto* axis : {&spec.x, &spec.y}) {
                nlohmann::ordered_json a;
                a["label"] = axis->label;
                a["dimension"] = axis->dimension.label();
                a["display"] = axis->display ? axis->display->summary() : std::string();
                j[axis == &spec.x ? "x" : "y"] = a;
              }
              j["gates"] = nlohmann::ordered_json::array();
              for (const auto& g : plot.gates) {
                j["gates"].push_back({{"id", g.id}, {"name", g.name}, {"count", g.count},
                                      {"percent_of_parent", std::isnan(g.percent) ? nlohmann::ordered_json(nullptr)
                                                                                   : nlohmann::ordered_json(g.percent)}});
              }
              std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
            } else {
              std::cout << output.string() << '\n';
            }
            return exit_ok;
          }};
}

}  // namespace escapade::cli
