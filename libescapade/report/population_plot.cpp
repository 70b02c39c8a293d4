// A population's plot as a user asks for it: axes that line up with the plan's gates.
#include <algorithm>
#include <filesystem>

#include "libescapade/base/error.hpp"
#include "libescapade/report/plot.hpp"

namespace escapade::report {
namespace {

// "CD19 PE-Cy7-A", "CD19 Comp-PE-Cy7-A" (compensated), "FSC-A".
std::string axis_label(const fcs::Parameter& p, const gate::Dimension& d) {
  const std::string name = (d.compensation == gate::uncompensated ? "" : "Comp-") + p.name;
  if (p.stain.empty() || p.stain == p.name) return name;
  return p.stain + " " + name;
}

// Where the gates on these axes are when none is a child of the population, one line per parent.
std::vector<std::string> gates_elsewhere(const gate::GatingPlan& plan, const PlotSpec& spec) {
  std::vector<std::pair<std::string, std::string>> by_parent;  // parent, gate ids
  for (const auto& id : drawable_gates(plan, spec.x.dimension, spec.y.dimension)) {
    const std::string& parent = plan.parent(id);
    auto it = std::find_if(by_parent.begin(), by_parent.end(), [&](const auto& e) { return e.first == parent; });
    if (it == by_parent.end()) {
      by_parent.emplace_back(parent, id);
    } else {
      it->second += ", " + id;
    }
  }
  std::vector<std::string> notes;
  for (const auto& [parent, ids] : by_parent) {
    notes.push_back("gates on these axes within " +
                    (parent.empty() ? std::string("all events") : "population '" + parent + "'") + ": " + ids +
                    (parent.empty() ? "; plot every event to see them" : "; plot population " + parent + " to see them"));
  }
  return notes;
}

}  // namespace

std::string resolve_population(const gate::GatingPlan& plan, std::string_view wanted) {
  if (plan.has_population(wanted)) return std::string(wanted);
  std::vector<std::string> by_name;
  for (const auto& id : plan.populations()) {
    if (plan.name(id) == wanted) by_name.push_back(id);
  }
  if (by_name.size() == 1) return by_name.front();
  std::string have;
  for (const auto& id : plan.populations()) have += (have.empty() ? "" : ", ") + id;
  throw InputError(ErrorKind::reference, plan.source(), "population '" + std::string(wanted) + "'",
                   by_name.empty() ? "no population of that id or name; the plan has: " + have
                                   : "name matches " + std::to_string(by_name.size()) + " populations; use the id");
}

PopulationPlot population_plot(const fcs::DataSet& data, std::string_view source, const gate::GatingPlan& plan,
                               const PopulationPlotRequest& request, const gate::ApplyOptions& options) {
  PopulationPlot out;
  const auto channels = data.resolve_channels({request.x, request.y}, source, "x/y");
  const std::string population = request.population.empty() ? "" : resolve_population(plan, request.population);
  // Axes: the gates' own dimensions where the plan has gates on these channels.
  const GateAxes from_gates = gate_axes(plan, channels[0], channels[1], std::optional<std::string_view>(population));
  PlotSpec& spec = out.spec;
  AxisSpec* axes[2] = {&spec.x, &spec.y};
  const std::optional<gate::Dimension>* dims[2] = {&from_gates.x, &from_gates.y};
  for (int a = 0; a < 2; ++a) {
    const fcs::Parameter& p = data.parameters[*data.find_parameter(channels[a])];
    gate::Dimension d = gate::Dimension::of(channels[a]);
    if (request.compensate) d.compensation = std::string(gate::file_compensation);
    if (*dims[a]) d = **dims[a];
    axes[a]->dimension = d;
    axes[a]->label = axis_label(p, d);
    if (d.transform.empty()) {
      const std::vector<double> values = gate::dimension_values(plan, data.events, d, options);
      axes[a]->display = display_transform(p, values, request.scale);
    } else if (request.scale != Scale::automatic) {
      out.notes.push_back(channels[a] + ": the gates use transform '" + d.transform + "'; the scale asked for is not applied to this axis");
    }
  }
  if (!plan.populations().empty()) {
    spec.gates = drawable_gates(plan, spec.x.dimension, spec.y.dimension, std::optional<std::string_view>(population));
    if (spec.gates.empty()) {
      for (auto& note : gates_elsewhere(plan, spec)) out.notes.push_back(std::move(note));
    }
  }
  spec.population = population;
  spec.bins_x = spec.bins_y = request.bins;
  spec.title = !request.title.empty() ? request.title
                                      : std::filesystem::path(source).filename().string() + ": " +
                                            (population.empty() ? std::string("All events") : plan.path(population));
  return out;
}

}  // namespace escapade::report
