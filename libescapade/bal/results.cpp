#include "libescapade/bal/results.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "libescapade/version.hpp"

namespace escapade::bal {

namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string_view method_name(autogate::ThresholdMethod m) {
  switch (m) {
    case autogate::ThresholdMethod::valley:
      return "density valley";
    case autogate::ThresholdMethod::negative_tail:
      return "negative peak tail";
    case autogate::ThresholdMethod::negative_reference:
      return "internal negative reference";
    case autogate::ThresholdMethod::fixed:
      return "fixed";
  }
  return "?";
}

std::string keyword(const fcs::DataSet& d, std::string_view key) {
  return d.keywords.contains(key) ? std::string(d.keywords.get(key)) : std::string();
}

}  // namespace

std::string results_json(const SampleResults& r) {
  const Analysis& a = r.analysis;
  json j;
  j["schema"] = "escapade-analysis/1";
  j["software"] = {{"name", "escapade"}, {"version", version_string}};
  j["sample"] = {{"file", a.source},
                 {"fil", keyword(r.data, "$FIL")},
                 {"cytometer", keyword(r.data, "$CYT")},
                 {"date", keyword(r.data, "$DATE")},
                 {"events", r.data.events.event_count()},
                 {"channels", r.data.events.channel_count()},
                 {"spillover_keyword", r.data.spillover_keyword}};
  json fixed = json::object();
  for (const auto& [name, cut] : r.gating_template.fixed) fixed[name] = cut.value;
  j["parameters"] = {{"panel", r.panel.name},
                     {"panel_source", r.panel.source},
                     {"template", r.gating_template.name},
                     {"template_source", r.gating_template.source},
                     {"lod_events", a.limits.lod_events},
                     {"lloq_events", a.limits.lloq_events},
                     {"template_fixed_gates", fixed},
                     {"pre_escape_reference_pct", r.gating_template.flags.pre_escape_reference_pct}};
  json markers = json::object();
  for (const auto& m : a.markers.matches) markers[m.entry] = {{"channel", m.channel}, {"stain", m.stain}};
  j["markers"] = markers;
  j["markers_absent"] = a.markers.absent;
  const Quality& q = a.quality;
  j["qc"] = {{"events", q.events},
             {"singlet_pct", number(q.singlet_pct)},
             {"cells_pct", number(q.cells_pct)},
             {"leukocyte_pct", number(q.leukocyte_pct)},
             {"time_rate_cv_pct", number(q.time_rate_cv)},
             {"flags", q.flags}};
  json cuts = json::array();
  for (const auto& c : a.cuts) {
    json refs = json::array();
    for (const auto& id : c.references) {
      refs.push_back({{"population", id}, {"name", a.plan.name(id)}, {"events", a.result.count(id)}});
    }
    cuts.push_back({{"name", c.name},
                    {"channel", c.channel},
                    {"population", c.population},
                    {"value", number(c.value)},
                    {"data_value", number(c.data_value)},
                    {"found", number(c.found)},
                    {"method", method_name(c.method)},
                    {"evidence", c.evidence},
                    {"weak", c.weak},
                    {"set_by_human", c.overridden && c.set_by.rfind("reviewer", 0) == 0},
                    {"set_by", c.set_by},
                    {"references", refs}});
  }
  j["gates"] = cuts;
  j["denominators"] = {{"leukocytes", a.leukocytes}, {"cd34", a.cd34}};
  json pops = json::object();
  for (const auto& p : a.populations) {
    pops[p.name] = {{"events", p.events},
                    {"pct_of_cd34", number(p.pct_of_cd34)},
                    {"pct_of_leukocytes", number(p.pct_of_leukocytes)},
                    {"status", to_string(p.status)},
                    {"phenotype", p.phenotype},
                    {"display", p.display()},
                    {"lod_pct_of_cd34", number(p.lod_pct_of_cd34)},
                    {"events_ci95", {number(p.ci_low), number(p.ci_high)}},
                    {"blank_events", number(p.blank_events)},
                    {"lob_events", std::isfinite(p.blank_events) ? json(p.lob_events) : json(nullptr)}};
  }
  j["populations"] = pops;
  json unmeasured = json::object();
  for (const auto& m : a.not_measured) unmeasured[m.name] = {{"phenotype", m.phenotype}, {"reason", m.reason}};
  j["not_measured"] = unmeasured;
  if (r.fish != nullptr) {
    json calls = json::array();
    for (const auto& c : r.fish->calls) {
      calls.push_back({{"compartment", to_string(c.compartment)},
                       {"compartment_name", c.compartment_name},
                       {"probe", c.probe},
                       {"nuclei_scored", c.nuclei_scored},
                       {"nuclei_positive", c.nuclei_positive},
                       {"fraction", c.fraction},
                       {"cutoff", c.cutoff},
                       {"cutoff_basis", c.cutoff_basis()},
                       {"positive", c.positive}});
    }
    j["fish"] = {{"source", r.fish->source},
                 {"transcript", to_string(r.fish->transcript)},
                 {"stem_cell_involvement", to_string(r.fish->stem_cell_involvement)},
                 {"calls", calls}};
  } else {
    j["fish"] = nullptr;
  }
  json flags = json::array();
  for (const auto& f : r.flags) flags.push_back({{"name", f.name}, {"state", to_string(f.state)}, {"evidence", f.evidence}});
  j["flags"] = flags;
  json warnings = json::array();
  for (const auto& w : a.warnings) warnings.push_back(w.message());
  j["warnings"] = warnings;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string populations_tsv(const Analysis& a, const std::string& sample) {
  std::string out = "sample\tpopulation\tphenotype\tevents\tpct_of_cd34\tpct_of_leukocytes\tstatus\tdisplay\n";
  for (const auto& p : a.populations) {
    out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", sample, p.name, p.phenotype, p.events, p.pct_of_cd34,
                       p.pct_of_leukocytes, to_string(p.status), p.display());
  }
  return out;
}

}  // namespace escapade::bal
