// escapade info FILE...: what an FCS file holds (HEADER and TEXT only; fast).
#include <fmt/format.h>

#include <sstream>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/version.hpp"

namespace escapade::cli {
namespace {

struct InfoArgs {
  CommonOptions common;
  std::vector<std::string> files;
  std::optional<std::size_t> dataset;
  bool keywords = false;
};

// Keywords most labs look for first, under readable names.
const std::pair<const char*, const char*> key_keywords[] = {
    {"date", "$DATE"},           {"begin_time", "$BTIM"},   {"end_time", "$ETIM"},
    {"cytometer", "$CYT"},       {"serial", "$CYTSN"},      {"source", "$SRC"},
    {"file", "$FIL"},            {"operator", "$OP"},       {"institution", "$INST"},
    {"experiment", "$PROJ"},     {"specimen", "$SMNO"},     {"timestep", "$TIMESTEP"},
    {"acquisition_software", "CREATOR"}};

nlohmann::json data_set_json(const fcs::DataSet& ds, bool all_keywords) {
  nlohmann::json j;
  j["index"] = ds.index;
  j["offset"] = ds.offset;
  j["version"] = ds.version;
  j["events"] = ds.event_count;
  j["declared_events"] = ds.declared_events;
  j["datatype"] = std::string(ds.keywords.get("$DATATYPE"));
  j["byteorder"] = std::string(ds.keywords.get("$BYTEORD"));
  j["mode"] = ds.keywords.contains("$MODE") ? std::string(ds.keywords.get("$MODE")) : "L";
  auto& channels = j["channels"] = nlohmann::json::array();
  for (const auto& p : ds.parameters) {
    nlohmann::json c;
    c["number"] = p.number;
    c["name"] = p.name;
    c["stain"] = p.stain;
    c["range"] = p.range;
    c["bits"] = p.bits;
    c["datatype"] = std::string(fcs::to_string(p.datatype));
    c["amplification"] = p.amplification();
    c["log_decades"] = p.log_decades;
    c["log_offset"] = p.log_offset;
    c["gain"] = p.gain;
    c["voltage"] = p.voltage ? nlohmann::json(*p.voltage) : nlohmann::json(nullptr);
    c["display"] = p.display;
    c["time"] = p.is_time;
    c["scaling"] = p.scaling;
    channels.push_back(std::move(c));
  }
  if (ds.spillover) {
    nlohmann::json s;
    s["keyword"] = ds.spillover_keyword;
    s["detectors"] = ds.spillover->detectors();
    auto& rows = s["matrix"] = nlohmann::json::array();
    const std::size_t n = ds.spillover->size();
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<double> row(ds.spillover->values().begin() + static_cast<std::ptrdiff_t>(i * n),
                              ds.spillover->values().begin() + static_cast<std::ptrdiff_t>((i + 1) * n));
      rows.push_back(row);
    }
    j["spillover"] = std::move(s);
  } else {
    j["spillover"] = nullptr;
  }
  auto& key = j["keywords"] = nlohmann::json::object();
  for (const auto& [label, name] : key_keywords) {
    if (const std::string* v = ds.keywords.find(name)) key[label] = *v;
  }
  if (all_keywords) {
    auto& all = j["all_keywords"] = nlohmann::json::array();
    for (const auto& k : ds.keywords.all()) all.push_back({{"name", k.name}, {"value", k.value}});
  }
  j["segments"] = {{"text", {ds.segments.text_begin, ds.segments.text_end}},
                   {"data", {ds.segments.data_begin, ds.segments.data_end}},
                   {"supplemental_text", {ds.segments.stext_begin, ds.segments.stext_end}},
                   {"analysis", {ds.segments.analysis_begin, ds.segments.analysis_end}}};
  auto& w = j["warnings"] = nlohmann::json::array();
  for (const auto& x : ds.warnings) w.push_back({{"where", x.where}, {"reason", x.reason}});
  return j;
}

void print_human(const nlohmann::json& f, std::ostream& out) {
  out << fmt::format("{}  ({} bytes, {} data set{})\n", f["file"].get<std::string>(), f["size"].get<std::size_t>(),
                     f["data_set_count"].get<std::size_t>(), f["data_set_count"].get<std::size_t>() == 1 ? "" : "s");
  for (const auto& ds : f["data_sets"]) {
    out << fmt::format("data set {}: {}, {} events, {} channels, $DATATYPE {}, $BYTEORD {}\n", ds["index"].get<std::size_t>(),
                       ds["version"].get<std::string>(), ds["events"].get<std::size_t>(), ds["channels"].size(),
                       ds["datatype"].get<std::string>(), ds["byteorder"].get<std::string>());
    for (const auto& [k, v] : ds["keywords"].items()) out << fmt::format("  {:<22}{}\n", k, v.get<std::string>());
    out << fmt::format("  {:>3}  {:<24} {:<24} {:>12} {:>4}  {:<28} {}\n", "#", "name ($PnN)", "stain ($PnS)", "range", "bits",
                       "amplification", "scaling");
    for (const auto& c : ds["channels"]) {
      out << fmt::format("  {:>3}  {:<24} {:<24} {:>12} {:>4}  {:<28} {}\n", c["number"].get<std::size_t>(),
                         c["name"].get<std::string>(), c["stain"].get<std::string>(), number(c["range"].get<double>()),
                         c["bits"].get<int>(), c["amplification"].get<std::string>(), c["scaling"].get<std::string>());
    }
    if (ds["spillover"].is_null()) {
      out << "  spillover: none\n";
    } else {
      const auto& s = ds["spillover"];
      out << fmt::format("  spillover ({}): {} detectors\n", s["keyword"].get<std::string>(), s["detectors"].size());
      std::string line = "    " + std::string(14, ' ');
      for (const auto& d : s["detectors"]) line += fmt::format(" {:>11.11}", d.get<std::string>());
      out << line << '\n';
      for (std::size_t i = 0; i < s["matrix"].size(); ++i) {
        line = fmt::format("    {:<14.14}", s["detectors"][i].get<std::string>());
        for (const auto& v : s["matrix"][i]) line += fmt::format(" {:>11.6g}", v.get<double>());
        out << line << '\n';
      }
    }
  }
}

}  // namespace

Command add_info(CLI::App& parent) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* app = parent.add_subcommand("info", "describe FCS files: data sets, events, channels, spillover, keywords");
  app->add_option("files", args->files, "FCS files")->required()->check(CLI::ExistingPath);
  app->add_option("--dataset", args->dataset, "only this data set (0-based)");
  app->add_flag("--keywords", args->keywords, "list every TEXT keyword (with --json)");
  add_common_options(*app, args->common);
  return {app, [args]() {
            nlohmann::json doc;
            doc["escapade_version"] = version_string;
            doc["files"] = nlohmann::json::array();
            int status = exit_ok;
            for (const auto& path : args->files) {
              fcs::ReadOptions ro;
              ro.decode_events = false;
              ro.data_set = args->dataset;
              try {
                fcs::FcsFile f = fcs::read_fcs_file(path, ro);
                nlohmann::json jf;
                jf["file"] = path;
                jf["size"] = f.file_size;
                jf["data_set_count"] = f.data_set_count;
                jf["data_sets"] = nlohmann::json::array();
                for (const auto& ds : f.data_sets) {
                  jf["data_sets"].push_back(data_set_json(ds, args->keywords));
                  if (!args->common.quiet) {
                    for (const auto& w : ds.warnings) std::cerr << "escapade info: warning: " << w.message() << '\n';
                  }
                }
                if (!args->common.json) {
                  // Keyword values, names and stains are the file's text: shown, never obeyed.
                  std::ostringstream text;
                  print_human(jf, text);
                  std::cout << printable(text.str());
                }
                doc["files"].push_back(std::move(jf));
              } catch (const Error& e) {
                std::cout.flush();
                std::cerr << "escapade info: " << e.what() << '\n';
                if (status == exit_ok) status = exit_code(e.kind());
                doc["files"].push_back({{"file", path},
                                        {"error", {{"kind", std::string(to_string(e.kind()))}, {"where", e.where()}, {"reason", e.reason()}}}});
              }
            }
            if (args->common.json) std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
            return status;
          }};
}

}  // namespace escapade::cli
