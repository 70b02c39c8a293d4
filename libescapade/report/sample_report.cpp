// The per-sample escape-risk report (sample_report.hpp): the gating figures, the document
// they sit in, and the public entry points. Layout lives in detail/report_html.cpp and
// detail/report_pdf.cpp.
#include "libescapade/report/sample_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/base/file_io.hpp"
#include "libescapade/report/detail/report_document.hpp"
#include "libescapade/report/detail/text.hpp"
#include "libescapade/version.hpp"

namespace escapade::report {

namespace {

using detail::Paragraph;
using detail::Span;
using detail::Tone;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Numbers in words
// ---------------------------------------------------------------------------------------------

// A value in real units: "45,000", "312", "1.25", "0.041", "−1,234".
std::string real(double v) {
  if (!std::isfinite(v)) return v > 0 ? "+∞" : v < 0 ? "−∞" : "NaN";
  const double a = std::fabs(v);
  std::string s;
  if (a >= 10000) {
    s = detail::grouped(static_cast<std::size_t>(std::llround(a)));
  } else if (a >= 100) {
    s = detail::decimal(a, 0);
  } else if (a >= 10) {
    s = detail::decimal(a, 1);
  } else if (a >= 1) {
    s = detail::decimal(a, 2);
  } else {
    s = detail::decimal(a, 3);
  }
  return (v < 0 && s != "0" ? "\u2212" : "") + s;
}

std::string pct(double v) {
  const std::string s = detail::percent(v);
  return s.empty() ? "n/a" : s;
}

std::string count_text(std::size_t n) { return detail::grouped(n); }

// ---------------------------------------------------------------------------------------------
// Channels and cuts
// ---------------------------------------------------------------------------------------------

const bal::Cut* find_cut(const bal::Analysis& a, std::string_view name) {
  for (const auto& c : a.cuts) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// "CD19 (PE-Cy7-A)" for a marker; the $PnN for scatter.
std::string axis_label(const bal::Analysis& a, std::string_view entry) {
  const bal::ChannelMatch* m = a.markers.find(entry);
  if (m == nullptr) return std::string(entry);
  if (m->via == bal::MatchVia::name || m->via == bal::MatchVia::time_parameter || m->channel == m->entry) {
    return m->channel;
  }
  return m->entry + " (" + m->channel + ")";
}

// The marker (panel entry) a channel carries, or the channel itself.
std::string marker_of(const bal::Analysis& a, std::string_view channel) {
  for (const auto& m : a.markers.matches) {
    if (m.channel == channel) return m.entry;
  }
  return std::string(channel);
}

// The cut in words: "CD19 ≥ 1,234 (0.412 on the logicle scale)".
std::string cut_rule(const bal::Cut& c, const bal::Analysis& a) {
  std::string op = "≥";
  std::string what = marker_of(a, c.channel);
  if (c.name == "singlet_ratio") {
    return fmt::format("FSC-A/FSC-H < {}", detail::decimal(c.value, 3));
  }
  if (c.name == "viability" || c.name == "SSC_low") op = "<";
  if (c.name == "CD38") op = "split at";
  if (c.name == "debris_fsc" && !std::isfinite(c.value)) return what + ": no debris cut";
  std::string s = fmt::format("{} {} {}", what, op, real(c.data_value));
  if (std::fabs(c.data_value - c.value) > 1e-9 * std::max(1.0, std::fabs(c.value))) {
    s += fmt::format(" ({} on the display scale)", detail::decimal(c.value, 3));
  }
  return s;
}

std::string_view method_words(autogate::ThresholdMethod m) {
  switch (m) {
    case autogate::ThresholdMethod::valley:
      return "density valley";
    case autogate::ThresholdMethod::negative_tail:
      return "negative peak's tail";
    case autogate::ThresholdMethod::negative_reference:
      return "internal negative reference";
    case autogate::ThresholdMethod::fixed:
      return "fixed";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

class FigureMaker {
 public:
  FigureMaker(const fcs::DataSet& data, const bal::Analysis& a, const SampleReportOptions& o)
      : my_data(data), my_a(a), my_options(o) {
    my_apply.file_spillover = data.spillover ? &*data.spillover : nullptr;
    my_apply.file_spillover_problem = data.spillover_problem ? &*data.spillover_problem : nullptr;
    my_apply.num_threads = o.num_threads;
  }

  std::vector<GatingFigure> run() {
    std::vector<GatingFigure> out;
    const auto* fsc_a = my_a.markers.find("FSC-A");
    const auto* fsc_h = my_a.markers.find("FSC-H");
    const auto* ssc_a = my_a.markers.find("SSC-A");
    const auto has_pop = [&](std::string_view id) { return my_a.plan.has_population(id); };
    if (fsc_a != nullptr && fsc_h != nullptr && has_pop("singlets")) out.push_back(singlets(*fsc_a, *fsc_h));
    if (fsc_a != nullptr && ssc_a != nullptr && has_pop("cells")) out.push_back(cells(*fsc_a, *ssc_a));
    if (ssc_a != nullptr && has_pop("sized")) {
      // The reference populations every later cut is measured against (SPEC.md: gates are
      // found from biology).
      std::vector<std::string> refs;
      for (const char* id : {"ref_lymphocytes", "ref_monocytes", "ref_granulocytes"}) {
        if (has_pop(id)) refs.emplace_back(id);
      }
      if (!refs.empty()) {
        if (auto f = marker_plot("CD45", "SSC-A", "sized", "Reference populations: CD45 × SSC-A within singlets", refs, {})) {
          reference_evidence(*f);
          out.push_back(std::move(*f));
        }
      }
    }
    if (ssc_a != nullptr && has_pop("leukocytes")) {
      std::vector<std::string> gates{"leukocytes"};
      if (has_pop("blast_region")) gates.push_back("blast_region");
      if (auto f = marker_plot("CD45", "SSC-A", "cells", "CD45+ leukocytes and the CD45-dim SSC-low region within cells",
                               gates, {"CD45", "CD45_bright", "SSC_low"})) {
        out.push_back(std::move(*f));
      }
    }
    if (ssc_a != nullptr && has_pop("cd34")) {
      if (auto f = marker_plot("CD34", "SSC-A", "blast_region", "CD34+ SSC-low within the CD45-dim SSC-low region", {"cd34"},
                               {"CD34"})) {
        out.push_back(std::move(*f));
        add_reference_plots(out, "CD34", "SSC-A", {"cd34"}, {"CD34"});
      }
    }
    if (has_pop("cd34_all")) {
      // Without a viability dye: the live CD34+ cells, told from the dead ones on FSC × SSC.
      if (auto f = marker_plot("FSC-A", "SSC-A", "cd34_all", "Live CD34+ cells: FSC-A × SSC-A within CD34+", {"cd34"},
                               {"CD34_fsc"})) {
        f->note =
            "Dead cells lose forward scatter and gain side scatter, and their autofluorescence reads as dim CD19 or CD22. "
            "The live gate is where a two-population Gaussian mixture on log FSC-A × SSC-A makes the live population "
            "the more probable (above the live cells' mean SSC; below it the FSC cut alone).";
        out.push_back(std::move(*f));
      }
    }
    if (has_pop("pre_escape")) {
      const std::vector<std::string> quadrants{"pre_escape", "b_committed", "cd19_only", "non_b"};
      if (auto f = marker_plot("CD19", "CD22", "cd34", "CD19 × CD22 quadrant within CD34+", quadrants, {"CD19", "CD22"})) {
        f->note = "Percentages are of CD34+ SSC-low events. pre_escape is the upper-left quadrant (CD19−CD22+).";
        out.push_back(std::move(*f));
        add_reference_plots(out, "CD19", "CD22", quadrants, {"CD19", "CD22"});
      }
    }
    if (has_pop("hsc") && has_pop("progenitor")) {
      if (auto f = marker_plot("CD38", "CD19", "cd34", "CD38 × CD19 within CD34+ (seed 000 compartments)",
                               {"hsc", "progenitor"}, {"CD38", "CD19"})) {
        f->note =
            "The HSC-enriched (CD34+CD38−CD19−) and progenitor (CD34+CD38+CD19−) gates are cut on CD38 and CD19, so "
            "they are drawn on these two axes; percentages are of CD34+ SSC-low events.";
        out.push_back(std::move(*f));
      }
    }
    for (std::size_t i = 0; i < out.size(); ++i) out[i].step = fmt::format("{}. {}", i + 1, out[i].step);
    return out;
  }

 private:
  PlotSpec base_spec() const {
    PlotSpec s;
    s.bins_x = my_options.bins;
    s.bins_y = my_options.bins;
    return s;
  }

  // A scatter axis shown linearly from 0 to the channel's top.
  AxisSpec linear_axis(const bal::ChannelMatch& m) const {
    AxisSpec ax;
    ax.dimension = gate::Dimension::of(m.channel);
    const fcs::Parameter& p = my_data.parameters.at(m.parameter);
    const auto col = my_data.events.find(m.channel);
    std::span<const double> values;
    if (col) values = my_data.events.channel(*col);
    ax.display = display_transform(p, values, Scale::linear);
    ax.label = m.channel;
    return ax;
  }

  void add_evidence(GatingFigure& f, std::string_view cut_name) const {
    const bal::Cut* c = find_cut(my_a, cut_name);
    if (c == nullptr) return;
    f.cuts.push_back(c->name);
    const std::string rule = cut_rule(*c, my_a);
    const std::string evidence = c->evidence.rfind(rule, 0) == 0 ? c->evidence.substr(rule.size()) : ": " + c->evidence;
    f.evidence.push_back(fmt::format("{} [{}{}]{}", rule, c->name,
                                     c->overridden ? "" : ", " + std::string(method_words(c->method)), evidence));
    f.needs_review = f.needs_review || c->weak;
    f.fixed = f.fixed || c->overridden;
  }

  GatingFigure singlets(const bal::ChannelMatch& area, const bal::ChannelMatch& height) {
    PlotSpec s = base_spec();
    s.x = linear_axis(area);
    s.y = linear_axis(height);
    s.title = "All events";
    GatingFigure f;
    f.step = "Singlets: FSC-A × FSC-H, all events";
    f.plot = make_density_plot(my_a.plan, my_data.events, s, &my_a.result, my_apply);
    add_evidence(f, "singlet_ratio");
    const bal::Cut* c = find_cut(my_a, "singlet_ratio");
    if (c != nullptr && c->value > 0 && std::isfinite(c->value)) {
      // Singlets: FSC-A/FSC-H < r, i.e. above the line FSC-H = FSC-A / r.
      const transform::Transform& tx = *s.x.display;
      const transform::Transform& ty = *s.y.display;
      const double r = c->value;
      GateOutline o;
      o.id = "singlets";
      o.name = "singlets";
      o.kind = GateOutline::Kind::polygon;
      const PlotAxis& ax = f.plot.x;
      const PlotAxis& ay = f.plot.y;
      std::vector<gate::Point> line;
      constexpr int n = 256;
      std::optional<gate::Point> prev;
      for (int i = 0; i <= n; ++i) {
        const double xd = ax.min + (ax.max - ax.min) * i / n;
        const double yd = ty.apply(tx.inverse(xd) / r);
        const gate::Point p{xd, yd};
        const bool in = yd >= ay.min && yd <= ay.max;
        if (prev) {
          const bool prev_in = prev->y >= ay.min && prev->y <= ay.max;
          if (in != prev_in) {
            const double edge = (in ? prev->y : yd) > ay.max ? ay.max : ay.min;
            const double t = (edge - prev->y) / (yd - prev->y);
            line.push_back({prev->x + t * (xd - prev->x), edge});
          }
        }
        if (in) line.push_back(p);
        prev = p;
      }
      if (line.size() >= 2) o.lines.push_back(std::move(line));
      o.count = my_a.result.count("singlets");
      o.percent = my_a.result.percent_of_parent("singlets");
      o.label_at = {ax.min + 0.04 * (ax.max - ax.min), ay.max - 0.04 * (ay.max - ay.min)};
      o.label_align = {0.0, 1.0};
      f.plot.gates.push_back(std::move(o));
      f.note = fmt::format(
          "The singlet gate is a cut on the ratio FSC-A/FSC-H < {}: singlets lie above the line FSC-H = FSC-A / {}; "
          "doublets, with more area for their height, below it.",
          detail::decimal(r, 3), detail::decimal(r, 3));
    }
    return f;
  }

  GatingFigure cells(const bal::ChannelMatch& fsc, const bal::ChannelMatch& ssc) {
    PlotSpec s = base_spec();
    s.x = linear_axis(fsc);
    s.y = linear_axis(ssc);
    s.population = "singlets";
    s.title = "Singlets";
    const auto drawable = drawable_gates(my_a.plan, s.x.dimension, s.y.dimension);
    const bool cells_drawable = std::find(drawable.begin(), drawable.end(), "cells") != drawable.end();
    if (cells_drawable) s.gates = {"cells"};
    GatingFigure f;
    f.step = "Debris: FSC-A × SSC-A within singlets";
    f.plot = make_density_plot(my_a.plan, my_data.events, s, &my_a.result, my_apply);
    add_evidence(f, "debris_fsc");
    add_evidence(f, "dead_fsc");
    add_evidence(f, "CD34_fsc");
    add_evidence(f, "viability");
    const bal::Cut* c = find_cut(my_a, "debris_fsc");
    if (!cells_drawable && c != nullptr && std::isfinite(c->data_value)) {
      // The cells gate also excludes dead cells (on the viability channel): draw the FSC cut only.
      const double xd = s.x.display->apply(c->data_value);
      GateOutline o;
      o.id = "debris_fsc";
      o.name = "FSC-A ≥ " + real(c->data_value);
      o.kind = GateOutline::Kind::rectangle;
      o.lines.push_back({{xd, f.plot.y.min}, {xd, f.plot.y.max}});
      o.label_at = {xd, f.plot.y.max};
      o.label_align = {0.0, 1.0};
      f.plot.gates.push_back(std::move(o));
      f.note = fmt::format("The line is the debris cut; the cells gate also excludes dead cells on the viability "
                           "channel, so it keeps {} of singlets.",
                           pct(my_a.result.percent_of_parent("cells")));
    } else if (c != nullptr && !std::isfinite(c->data_value)) {
      f.note = "No debris population was found below the cells' FSC peak: nothing was removed.";
    }
    return f;
  }

  void reference_evidence(GatingFigure& f) const {
    for (const char* id : {"ref_lymphocytes", "ref_monocytes", "ref_granulocytes"}) {
      if (!my_a.plan.has_population(id)) continue;
      f.evidence.push_back(fmt::format("{}: {} events — {}", my_a.plan.name(id), count_text(my_a.result.count(id)), reference_role(id)));
    }
    f.note = "Found from scatter and CD45 alone, before any cut they serve.";
  }

  // What each reference population is, for the evidence of the plots that show it.
  static std::string_view reference_role(std::string_view id) {
    if (id == "ref_lymphocytes") {
      return "the CD45-brightest SSC-low cells. They carry no CD34: the CD34 cut lies above them, and the CD45-dim region "
             "below them. Their CD19− part (T/NK cells) is the negative reference for CD19 and CD22";
    }
    if (id == "ref_t_nk") {
      return "the lymphocytes below their own CD19 split, which carry no CD34, CD19 or CD22: the CD34 cut lies above them, "
             "a CD19 or CD22 population counts as positive only beyond half-way from their mode to their 99.5th percentile, "
             "and a cut never falls inside them";
    }
    if (id == "ref_monocytes") {
      return "CD45-bright, SSC between lymphocytes and granulocytes: kept out of the CD45-dim region. Large cells without "
             "CD19 or CD22, so their autofluorescence bounds what a negative progenitor can reach";
    }
    if (id == "ref_granulocytes") return "the highest-SSC peak, at least 3× the lymphoid SSC: the SSC-low limit lies 2 SDs below it";
    return "";
  }

  // For the cuts `cut_names` drawn on x × y, one plot per reference population they used: its
  // events on the same axes with the same gates, so a reader sees where the cut lies against
  // cells known to be negative (the labels name the gates; the counts are the main plot's).
  void add_reference_plots(std::vector<GatingFigure>& out, std::string_view x_entry, std::string_view y_entry,
                           const std::vector<std::string>& gates, const std::vector<std::string>& cut_names) {
    std::vector<std::string> refs;
    std::string cuts_text;
    for (const auto& name : cut_names) {
      const bal::Cut* c = find_cut(my_a, name);
      if (c == nullptr || c->references.empty()) continue;
      cuts_text += (cuts_text.empty() ? "" : " and ") + c->name;
      for (const auto& r : c->references) {
        if (std::find(refs.begin(), refs.end(), r) == refs.end()) refs.push_back(r);
      }
    }
    for (const auto& r : refs) {
      if (!my_a.plan.has_population(r)) continue;
      const std::string title = fmt::format("Reference for the {} cut{}: {} on {} × {}", cuts_text,
                                            cuts_text.find(" and ") == std::string::npos ? "" : "s", my_a.plan.name(r), x_entry,
                                            y_entry);
      auto f = marker_plot(x_entry, y_entry, r, title, gates, {});
      if (!f) continue;
      f->plot.title = my_a.plan.name(r);
      for (GateOutline& o : f->plot.gates) {
        const bal::PopulationCount* p = my_a.find(o.id);
        o.name = p != nullptr ? p->name : my_a.plan.name(o.id);
        o.count = 0;
        o.percent = nan;
      }
      f->evidence.push_back(fmt::format("{}: {} events — {}", my_a.plan.name(r), count_text(my_a.result.count(r)), reference_role(r)));
      f->note = "The gates are drawn where the analysis cut; the events are the reference population's only.";
      out.push_back(std::move(*f));
    }
  }

  // A plot of two markers (or a marker and SSC) on the plan's own dimensions.
  std::optional<GatingFigure> marker_plot(std::string_view x_entry, std::string_view y_entry,
                                          const std::string& population, std::string step,
                                          const std::vector<std::string>& gates,
                                          const std::vector<std::string>& cut_names) {
    const bal::ChannelMatch* mx = my_a.markers.find(x_entry);
    const bal::ChannelMatch* my = my_a.markers.find(y_entry);
    if (mx == nullptr || my == nullptr) return std::nullopt;
    const GateAxes axes = gate_axes(my_a.plan, mx->channel, my->channel, gates.empty() ? population : my_a.plan.parent(gates.front()));
    if (!axes.x || !axes.y) return std::nullopt;
    PlotSpec s = base_spec();
    s.x.dimension = *axes.x;
    s.y.dimension = *axes.y;
    s.x.label = axis_label(my_a, x_entry);
    s.y.label = axis_label(my_a, y_entry);
    s.population = population;
    // The parent population's name as the plan states it ("CD45-dim SSC-low"), capitalised.
    s.title = my_a.plan.has_population(population) ? my_a.plan.name(population) : population;
    if (population == "cells") s.title = "Cells";
    if (population == "sized") s.title = "Singlets above the debris cut";
    scatter_range(s.x, *mx);
    scatter_range(s.y, *my);
    const auto drawable = drawable_gates(my_a.plan, s.x.dimension, s.y.dimension);
    for (const auto& g : gates) {
      if (std::find(drawable.begin(), drawable.end(), g) != drawable.end()) s.gates.push_back(g);
    }
    GatingFigure f;
    f.step = std::move(step);
    f.plot = make_density_plot(my_a.plan, my_data.events, s, &my_a.result, my_apply);
    for (const auto& c : cut_names) add_evidence(f, c);
    // Quadrant and compartment labels: the population's name and its marker pattern within
    // CD34+; below the LOD the label says so instead of a percentage (as the table does).
    for (GateOutline& o : f.plot.gates) {
      const bal::PopulationCount* p = my_a.find(o.id);
      if (p == nullptr) continue;
      std::string pattern = p->phenotype;
      if (pattern.rfind("CD34+", 0) == 0 && pattern.size() > 5) pattern.erase(0, 5);
      o.name = p->name + " " + pattern;
      if (p->status == bal::Status::below_lod) {
        o.name += ": < LOD";
        o.percent = nan;
      }
    }
    return f;
  }

  // A scatter axis on a logicle scale starts a little below 10³ (in an 18-bit channel's terms):
  // no nucleated cell has less side scatter, and the empty decades would take half the plot.
  void scatter_range(AxisSpec& axis, const bal::ChannelMatch& m) const {
    if (m.via != bal::MatchVia::name || axis.dimension.transform.empty()) return;
    const transform::Transform* t = my_a.plan.find_transform(axis.dimension.transform);
    if (t == nullptr || t->name() != "logicle") return;
    const fcs::Parameter& p = my_data.parameters.at(m.parameter);
    const double range = p.range > 1000 ? p.range : 262144.0;
    const double lo = t->apply(range / 1000.0);
    if (std::isfinite(lo) && lo > 0 && lo < 0.9) {
      axis.min = lo;
      axis.max = 1.0;
    }
  }

  const fcs::DataSet& my_data;
  const bal::Analysis& my_a;
  const SampleReportOptions& my_options;
  gate::ApplyOptions my_apply;
};

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

Paragraph para(std::string text, Tone tone = Tone::normal, bool bold = false) {
  Paragraph p;
  p.spans.push_back({std::move(text), tone, bold});
  return p;
}

Span cell(std::string text, Tone tone = Tone::normal, bool bold = false) { return {std::move(text), tone, bold}; }

std::string keyword(const fcs::DataSet& d, std::string_view name) {
  const std::string_view v = d.keywords.get(name);
  return v.empty() ? "—" : std::string(v);
}

std::string sample_name(const SampleReportInput& in) {
  if (!in.sample_name.empty()) return in.sample_name;
  for (const char* k : {"$SRC", "$FIL"}) {
    const std::string_view v = in.data.keywords.get(k);
    if (!v.empty()) return std::string(v);
  }
  return in.analysis.source;
}

std::string_view match_words(bal::MatchVia via) {
  switch (via) {
    case bal::MatchVia::stain:
      return "stain name ($PnS)";
    case bal::MatchVia::name:
      return "channel name ($PnN)";
    case bal::MatchVia::forced:
      return "forced by the panel";
    case bal::MatchVia::time_parameter:
      return "time parameter";
  }
  return "?";
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

detail::Section acquisition_section(const SampleReportInput& in, const std::string& name) {
  const fcs::DataSet& d = in.data;
  const bal::Analysis& a = in.analysis;
  detail::Section s{"Sample and acquisition", {}};
  detail::Table t;
  t.widths = {0.3, 0.7};
  t.numeric = {false, false};
  auto row = [&](std::string k, std::string v) { t.rows.push_back({cell(std::move(k), Tone::muted), cell(std::move(v))}); };
  row("Sample", name);
  row("File", a.source);
  row("$FIL / $SRC", keyword(d, "$FIL") + " / " + keyword(d, "$SRC"));
  std::string cyt = keyword(d, "$CYT");
  if (!d.keywords.get("$CYTSN").empty()) cyt += " (serial " + std::string(d.keywords.get("$CYTSN")) + ")";
  row("Cytometer ($CYT)", cyt);
  row("Date ($DATE)", keyword(d, "$DATE"));
  row("Acquisition ($BTIM – $ETIM)", keyword(d, "$BTIM") + " – " + keyword(d, "$ETIM"));
  row("Events", count_text(d.events.event_count()) + " (" + std::to_string(d.parameters.size()) + " parameters, " +
                    (d.version.empty() ? std::string("FCS") : d.version) + ")");
  row("Panel", in.panel_name.empty() ? "—" : in.panel_name);
  row("Compensation", d.spillover ? fmt::format("the file's {} ({} × {} detectors)",
                                                d.spillover_keyword.empty() ? "$SPILLOVER" : d.spillover_keyword,
                                                d.spillover->size(), d.spillover->size())
                                  : "none: the file has no spillover matrix");
  s.blocks.emplace_back(std::move(t));

  s.blocks.emplace_back(detail::Subheading{"Markers and channels"});
  detail::Table m;
  m.header = {"Panel entry", "Channel ($PnN)", "Stain ($PnS)", "Found by"};
  m.widths = {0.2, 0.22, 0.3, 0.28};
  m.numeric = {false, false, false, false};
  for (const auto& c : a.markers.matches) {
    std::string via(match_words(c.via));
    if (!c.passed_over.empty()) via += "; passed over " + join(c.passed_over, ", ");
    m.rows.push_back({cell(c.entry, Tone::normal, true), cell(c.channel), cell(c.stain.empty() ? "—" : c.stain),
                      cell(std::move(via), Tone::muted)});
  }
  s.blocks.emplace_back(std::move(m));
  if (!a.markers.absent.empty()) {
    s.blocks.emplace_back(para("Optional panel entries not in this file: " + join(a.markers.absent, ", ") + ".",
                               Tone::muted));
  }
  return s;
}

detail::Section quality_section(const SampleReportInput& in) {
  const bal::Analysis& a = in.analysis;
  const bal::Quality& q = a.quality;
  detail::Section s{"Quality control", {}};
  detail::Table t;
  t.widths = {0.3, 0.7};
  t.numeric = {false, false};
  auto row = [&](std::string k, std::string v) { t.rows.push_back({cell(std::move(k), Tone::muted), cell(std::move(v))}); };
  const auto count_of = [&](std::string_view id) {
    return a.plan.has_population(id) ? a.result.count(id) : std::size_t{0};
  };
  row("Events acquired", count_text(q.events));
  row("Singlets", pct(q.singlet_pct) + " of events (" + count_text(count_of("singlets")) + ")");
  row("Cells (debris and dead excluded)", pct(q.cells_pct) + " of singlets (" + count_text(count_of("cells")) + ")");
  row("CD45+ leukocytes", pct(q.leukocyte_pct) + " of cells (" + count_text(a.leukocytes) + ")");
  row("CD34+ SSC-low", count_text(a.cd34) + " events (" +
                           pct(a.leukocytes == 0 ? nan : 100.0 * static_cast<double>(a.cd34) /
                                                            static_cast<double>(a.leukocytes)) +
                           " of leukocytes)");
  row("Time stability", std::isfinite(q.time_rate_cv)
                            ? fmt::format("event-rate CV {:.1f}% over 10 equal time slices{}", q.time_rate_cv,
                                          q.time_rate_cv > 20 ? " (above 20%)" : "")
                            : std::string("not assessed: no time channel"));
  s.blocks.emplace_back(std::move(t));
  if (q.flags.empty()) {
    s.blocks.emplace_back(para("No QC flags.", Tone::good, true));
  } else {
    s.blocks.emplace_back(detail::Subheading{"QC flags"});
    detail::List l;
    for (const auto& f : q.flags) l.items.push_back(para(f, Tone::alert));
    s.blocks.emplace_back(std::move(l));
  }
  std::vector<Warning> warnings = in.data.warnings;
  warnings.insert(warnings.end(), a.warnings.begin(), a.warnings.end());
  if (!warnings.empty()) {
    s.blocks.emplace_back(detail::Subheading{"Warnings"});
    detail::List l;
    for (const auto& w : warnings) {
      l.items.push_back(para((w.where.empty() ? "" : w.where + ": ") + w.reason, Tone::caution));
    }
    s.blocks.emplace_back(std::move(l));
  }
  return s;
}

detail::Section gating_section(const std::vector<GatingFigure>& figures) {
  detail::Section s{"Gating sequence", {}};
  s.blocks.emplace_back(
      para("Every gate was found from the data (no hand-gating). Each plot shows the events of the population in its "
           "title, coloured by density (blue: few, red: many), with the gate drawn and the share of the plotted events "
           "it keeps. Marker axes are compensated and logicle-scaled; tick labels are in the channel's real units.",
           Tone::normal));
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const GatingFigure& f = figures[i];
    detail::FigureRef r;
    r.index = i;
    r.title = f.step;
    if (f.needs_review) {
      r.caption.push_back(para("Needs review: the evidence for a cut is weak.", Tone::alert, true));
    }
    if (f.fixed) {
      r.caption.push_back(para("Set by a reviewer (or fixed by the template), not found from the data.",
                               Tone::caution, true));
    }
    for (const auto& e : f.evidence) {
      Paragraph p = para(e);
      p.small = true;
      r.caption.push_back(std::move(p));
    }
    if (!f.note.empty()) {
      Paragraph p = para(f.note, Tone::muted);
      p.small = true;
      r.caption.push_back(std::move(p));
    }
    s.blocks.emplace_back(std::move(r));
  }
  if (figures.empty()) s.blocks.emplace_back(para("No plot could be drawn: the scatter channels were not found.", Tone::alert));
  return s;
}

std::string below_lod_text(double lod_pct) { return fmt::format("< LOD ({:.3g}%)", lod_pct); }

detail::Section population_section(const SampleReportInput& in) {
  const bal::Analysis& a = in.analysis;
  detail::Section s{"Populations", {}};
  detail::Table t;
  t.header = {"Population", "Phenotype", "Events", "% of CD34+", "% of leukocytes", "Status"};
  t.widths = {0.16, 0.22, 0.12, 0.16, 0.16, 0.18};
  t.numeric = {false, false, true, true, true, false};
  const double lod_leuk = a.leukocytes == 0 ? nan
                                            : 100.0 * static_cast<double>(a.limits.lod_events) /
                                                  static_cast<double>(a.leukocytes);
  for (const auto& p : a.populations) {
    const bool below_lod = p.status == bal::Status::below_lod;
    Tone tone = Tone::normal;
    std::string status;
    switch (p.status) {
      case bal::Status::quantified:
        status = "quantified";
        break;
      case bal::Status::below_lloq:
        status = fmt::format("below LLOQ ({} events): not quantifiable", a.limits.lloq_events);
        tone = Tone::caution;
        break;
      case bal::Status::below_lod:
        status = fmt::format("below LOD ({} events)", a.limits.lod_events);
        tone = Tone::muted;
        break;
    }
    const bool key = p.name == "pre_escape";
    t.rows.push_back({cell(p.name, Tone::normal, true), cell(p.phenotype), cell(count_text(p.events)),
                      cell(std::isnan(p.pct_of_cd34) && !below_lod ? "n/a" : p.display(), tone, key),
                      cell(below_lod ? below_lod_text(lod_leuk)
                                     : std::isnan(p.pct_of_leukocytes) ? "n/a"
                                                                       : fmt::format("{:.3g}", p.pct_of_leukocytes),
                           tone),
                      cell(std::move(status), tone)});
  }
  for (const auto& m : a.not_measured) {
    t.rows.push_back({cell(m.name, Tone::muted, m.name == "pre_escape"), cell(m.phenotype), cell("—", Tone::muted),
                      cell("—", Tone::muted), cell("—", Tone::muted),
                      cell("not measurable: " + m.reason, Tone::caution)});
  }
  s.blocks.emplace_back(std::move(t));
  const double lod_cd34 = a.cd34 == 0 ? nan
                                      : 100.0 * static_cast<double>(a.limits.lod_events) / static_cast<double>(a.cd34);
  s.blocks.emplace_back(para(fmt::format(
      "Denominators: {} CD34+ SSC-low events, {} CD45+ leukocytes. Limit of detection (LOD) {} events: {} of CD34+ "
      "and {} of leukocytes in this sample; a population below it is reported as \"< LOD (x%)\", x being the LOD "
      "as a percentage. Lower limit of quantification (LLOQ) {} events: below it a population is detected but not "
      "quantifiable.",
      count_text(a.cd34), count_text(a.leukocytes), a.limits.lod_events, pct(lod_cd34), pct(lod_leuk),
      a.limits.lloq_events)));
  return s;
}

detail::Section fish_section(const SampleReportInput& in) {
  detail::Section s{"FISH on sorted compartments", {}};
  if (in.fish == nullptr) {
    s.blocks.emplace_back(
        para("No FISH results were given: stem-cell involvement is not evaluated for this sample.", Tone::muted));
    return s;
  }
  const bal::FishResult& r = *in.fish;
  detail::Table t;
  t.header = {"Compartment", "Probe", "Nuclei scored", "Nuclei positive", "Fraction", "Cutoff", "Cutoff basis", "Call"};
  t.widths = {0.145, 0.13, 0.085, 0.09, 0.09, 0.075, 0.295, 0.09};
  t.numeric = {false, false, true, true, true, true, false, false};
  for (const auto& c : r.calls) {
    std::string comp = std::string(bal::to_string(c.compartment));
    if (c.compartment_name != comp) comp += " (" + c.compartment_name + ")";
    t.rows.push_back({cell(comp, Tone::normal, bal::is_stem_compartment(c.compartment)), cell(c.probe),
                      cell(std::to_string(c.nuclei_scored)), cell(std::to_string(c.nuclei_positive)),
                      cell(pct(100 * c.fraction)), cell(pct(100 * c.cutoff)), cell(c.cutoff_basis(), Tone::muted),
                      c.positive ? cell("positive", Tone::alert, true) : cell("negative")});
  }
  s.blocks.emplace_back(std::move(t));
  Paragraph p;
  p.spans.push_back({"Stem-cell involvement: ", Tone::normal, true});
  switch (r.stem_cell_involvement) {
    case bal::Involvement::positive: {
      std::vector<std::string> names;
      for (const auto c : r.involved) names.emplace_back(bal::to_string(c));
      p.spans.push_back({"positive (" + join(names, ", ") + ")", Tone::alert, true});
      break;
    }
    case bal::Involvement::negative:
      p.spans.push_back({"negative", Tone::normal, true});
      break;
    case bal::Involvement::not_evaluated:
      p.spans.push_back({"not evaluated (no HSC, progenitor or myeloid compartment scored)", Tone::muted, true});
      break;
  }
  if (!r.not_scored.empty() && r.stem_cell_involvement != bal::Involvement::not_evaluated) {
    std::vector<std::string> names;
    for (const auto c : r.not_scored) names.emplace_back(bal::to_string(c));
    p.spans.push_back({"; not scored: " + join(names, ", ") + (r.stem_cell_involvement == bal::Involvement::negative
                                                                   ? " (the negative call did not see them)"
                                                                   : ""),
                       Tone::caution});
  }
  p.spans.push_back({". BCR-ABL1 transcript: " + std::string(r.transcript == bal::Transcript::unknown
                                                                   ? "not given"
                                                                   : bal::to_string(r.transcript)) +
                         (r.transcript == bal::Transcript::p210   ? " (seed 000: stem-cell involvement is frequent with P210)"
                          : r.transcript == bal::Transcript::p190 ? " (seed 000: stem-cell involvement is rare with P190)"
                                                                  : "") +
                         ". Source: " + r.source + ".",
                     Tone::normal});
  s.blocks.emplace_back(std::move(p));
  if (!r.warnings.empty()) {
    detail::List l;
    for (const auto& w : r.warnings) l.items.push_back(para((w.where.empty() ? "" : w.where + ": ") + w.reason, Tone::caution));
    s.blocks.emplace_back(std::move(l));
  }
  return s;
}

detail::Section flag_section(const SampleReportInput& in) {
  detail::Section s{"Risk flags", {}};
  s.blocks.emplace_back(para("Research use: each flag is stated with the evidence it rests on; none is a diagnosis.",
                             Tone::muted));
  if (in.flags.empty()) {
    s.blocks.emplace_back(para("No risk flags were evaluated for this sample.", Tone::muted));
    return s;
  }
  detail::Table t;
  t.header = {"Flag", "Raised", "Evidence"};
  t.widths = {0.24, 0.14, 0.62};
  t.numeric = {false, false, false};
  for (const auto& f : in.flags) {
    const Tone tone = f.state == bal::FlagState::raised ? Tone::alert : f.state == bal::FlagState::not_raised ? Tone::normal : Tone::muted;
    t.rows.push_back({cell(f.name, Tone::normal, true), cell(std::string(bal::to_string(f.state)), tone,
                                                             f.state == bal::FlagState::raised),
                      cell(f.evidence)});
  }
  s.blocks.emplace_back(std::move(t));
  return s;
}

std::string_view gate_method_text(std::string_view cut) {
  if (cut == "singlet_ratio") {
    return "singlets are the events whose FSC-A/FSC-H ratio lies below the singlet peak's median plus 4 robust SDs "
           "(doublets have more area for their height)";
  }
  if (cut == "debris_fsc") {
    return "debris is cut at a density valley of FSC-A below the cells' median, when a low-FSC peak exists; "
           "otherwise nothing is removed";
  }
  if (cut == "viability") return "dead cells are the bright population of the viability dye, cut at the density valley";
  if (cut == "CD45") {
    return "leukocytes are the events above the first density valley over a CD45− peak, so that CD45-dim blasts "
           "stay in; without a CD45− peak, every cell above 10² is a leukocyte";
  }
  if (cut == "dead_fsc") {
    return "dead cells keep their SSC but lose about half their forward scatter: cut at the least dense FSC-A of the "
           "SSC-low events between 45% and 85% of the lymphocytes' FSC-A";
  }
  if (cut == "CD34_fsc") {
    return "dead CD34+ cells (whose autofluorescence mimics dim CD19 or CD22) are cut at the least dense FSC-A of the "
           "CD34+ events between 45% and 85% of their median; the cut joins the cells gate. Without a viability dye, "
           "a two-population Gaussian mixture on log FSC-A × SSC-A started from this cut then tells the dead CD34+ cells "
           "above it (smaller and more granular) from the live ones";
  }
  if (cut == "CD34") {
    return "CD34 is cut over all cells below the granulocytes' SSC (blasts may lack CD45) at the least dense point "
           "between the lymphocytes' 95th percentile (lymphocytes carry no CD34) and the CD34+ peak";
  }
  if (cut == "CD45_bright") {
    return "the CD45-dim SSC-low region lies below the lymphocytes' lower CD45 edge (mature lymphocytes, the "
           "CD45-brightest cells, carry no CD34), and above the lymphoid SSC below half-way between the granulocytes' "
           "and the lymphocytes' CD45, so that monocytes stay out";
  }
  if (cut == "SSC_low") {
    return "SSC-low lies 2 SDs below the granulocytes' SSC peak (the highest SSC peak, at least 3x the lymphoid/blast "
           "SSC); without granulocytes there is no SSC limit";
  }
  if (cut == "CD19") {
    return "CD19 is cut within the CD34+ events between their negative and positive peaks, a peak being negative when "
           "it lies below half-way to the 99.5th percentile of the T/NK cells (CD45-bright SSC-low CD19− lymphocytes, "
           "which carry no CD19 or CD22); the cut is the least dense point, or the negatives' 99.5th percentile when "
           "lower, and never inverts: a lone positive population is cut between the reference limit and its lower edge";
  }
  if (cut == "CD22") {
    return "CD22 is cut within the CD34+CD19− events at the 99.5th percentile of the negative component of a one- or "
           "two-component Gaussian mixture (BIC), the T/NK cells saying which side a lone population is on";
  }
  if (cut == "CD38") return "CD38 low/high is the density valley within the CD34+CD19− events";
  return "data-driven cut";
}

detail::Section methods_section(const SampleReportInput& in, const std::vector<GatingFigure>& figures) {
  const fcs::DataSet& d = in.data;
  const bal::Analysis& a = in.analysis;
  detail::Section s{"Methods", {}};
  s.blocks.emplace_back(para(fmt::format(
      "The {} data set of {} ({} events, {} parameters) was read by Escapade {} as scale values: log-amplified "
      "channels decoded by $PnE, linear ones divided by their gain ($PnG), time multiplied by $TIMESTEP.",
      d.version.empty() ? std::string("FCS") : d.version, a.source, count_text(d.events.event_count()),
      d.parameters.size(), version_string)));
  if (d.spillover) {
    s.blocks.emplace_back(para(fmt::format(
        "Fluorescence was compensated with the file's own spillover matrix ({}, {} detectors: {}), by solving each "
        "event's detector values against it (the inverse of the matrix).",
        d.spillover_keyword.empty() ? "$SPILLOVER" : d.spillover_keyword, d.spillover->size(),
        join(d.spillover->detectors(), ", "))));
  } else {
    s.blocks.emplace_back(para("The file has no spillover matrix: fluorescence values were not compensated.",
                               Tone::caution));
  }
  std::vector<std::string> widths;
  for (const auto& [id, t] : a.plan.transforms()) {
    const auto* l = t.get_if<transform::LogicleTransform>();
    if (l == nullptr || id.rfind("logicle:", 0) != 0) continue;
    const std::string channel = id.substr(8);
    widths.push_back(fmt::format("{} W = {:.2f}", marker_of(a, channel), l->w()));
  }
  std::string top;
  for (const auto& [id, t] : a.plan.transforms()) {
    if (const auto* l = t.get_if<transform::LogicleTransform>()) {
      top = fmt::format("T = {}, M = {:.2f}, A = {}", real(l->t()), l->m(), real(l->a()));
      break;
    }
  }
  if (!widths.empty()) {
    s.blocks.emplace_back(para(fmt::format(
        "Markers and SSC were gated and shown on logicle scales (Parks, Roederer & Moore 2006; {} for an 18-bit "
        "channel, T = $PnR and one more decade M per decade of range otherwise). The linearization width W is fitted "
        "per marker channel to its negative events, W = (M − log10(T/|r|))/2 with r the 5th percentile of the "
        "negative values, clamped to [0, 2]; SSC takes W = 0.5. Widths: {}. FSC and the FSC-A/FSC-H ratio are linear.",
        top, join(widths, "; "))));
  }
  s.blocks.emplace_back(para("Gates, in order, each found on its parent population's events:"));
  detail::List gates;
  for (const auto& c : a.cuts) {
    Paragraph p;
    p.spans.push_back({c.name, Tone::normal, true});
    p.spans.push_back({fmt::format(" ({} within {}): {}; here {}, by {}.", marker_of(a, c.channel), c.population,
                                   gate_method_text(c.name), cut_rule(c, a), method_words(c.method)),
                       Tone::normal});
    if (c.weak) p.spans.push_back({" Flagged for review.", Tone::alert, true});
    if (c.overridden) p.spans.push_back({" Fixed: " + c.evidence, Tone::caution});
    gates.items.push_back(std::move(p));
  }
  s.blocks.emplace_back(std::move(gates));
  s.blocks.emplace_back(para(
      "The cuts were then written into one gating plan (Gating-ML 2.0 semantics: rectangle minimum inclusive, maximum "
      "exclusive; quadrant dividers inclusive from below) and applied once to every event, so the counts are exactly "
      "those of the gates drawn above."));
  s.blocks.emplace_back(para(fmt::format(
      "Quantification: each population's events, its % of CD34+ (100 × events / CD34+ SSC-low events) and its % of "
      "leukocytes (100 × events / CD45+ leukocytes). LOD = {} events, LLOQ = {} events (ICCS/EuroFlow practice): "
      "fewer than {} events is reported as \"< LOD (x%)\" with x = 100 × {} / denominator events, fewer than {} "
      "as detected but not quantifiable.",
      a.limits.lod_events, a.limits.lloq_events, a.limits.lod_events, a.limits.lod_events, a.limits.lloq_events)));
  s.blocks.emplace_back(para(
      "FISH: a sorted compartment is positive when its fraction of positive nuclei exceeds the probe's cutoff. "
      "Unless the lab gave a cutoff, the cutoff is the ACMG one-sided 95% upper bound of the normal-control "
      "false-positive rate, BETAINV(0.95, FP + 1, n), FP being the false-positive nuclei among n scored in normal "
      "controls (the basis of each cutoff is in the FISH table). Stem-cell involvement (seed 000) is positive when "
      "any HSC-enriched, progenitor or myeloid compartment is positive."));
  s.blocks.emplace_back(para(fmt::format(
      "Software: Escapade {} (libescapade: fcs, comp, transform, gate, autogate, bal, report). Plots: 2-D histograms "
      "of {} × {} bins smoothed by a 3 × 3 binomial kernel, colour on a log scale of density, drawn with cairo; {} "
      "plots. Research use only; not for diagnosis.",
      version_string, figures.empty() ? 0 : figures.front().plot.histogram.columns,
      figures.empty() ? 0 : figures.front().plot.histogram.rows, figures.size())));
  return s;
}

}  // namespace

namespace detail {

Document build_document(const SampleReportInput& in, const std::vector<GatingFigure>& figures,
                        const SampleReportOptions& options) {
  Document doc;
  const std::string name = sample_name(in);
  doc.title = "Escapade — B-ALL escape-risk report";
  Paragraph who;
  who.spans.push_back({"Sample " + name, Tone::normal, true});
  if (!in.panel_name.empty()) who.spans.push_back({" · panel " + in.panel_name, Tone::normal});
  if (!options.generated.empty()) who.spans.push_back({" · generated " + options.generated, Tone::muted});
  doc.preamble.push_back(std::move(who));
  doc.preamble.push_back(para("For research use only. Not for diagnosis or treatment decisions.", Tone::alert, true));
  doc.sections.push_back(acquisition_section(in, name));
  doc.sections.push_back(quality_section(in));
  doc.sections.push_back(gating_section(figures));
  doc.sections.push_back(population_section(in));
  doc.sections.push_back(fish_section(in));
  doc.sections.push_back(flag_section(in));
  doc.sections.push_back(methods_section(in, figures));
  doc.footer = fmt::format("Escapade {} · {} · research use only, not for diagnosis", version_string, name);
  return doc;
}

}  // namespace detail


std::vector<GatingFigure> make_gating_figures(const fcs::DataSet& data, const bal::Analysis& analysis,
                                              const SampleReportOptions& options) {
  if (options.bins < 2 || options.bins > 4096) {
    throw Error(ErrorKind::invalid_argument, "", "bins", std::to_string(options.bins) + " is outside 2 … 4096");
  }
  return FigureMaker(data, analysis, options).run();
}

namespace {

SampleReportFiles render_parts(const SampleReportInput& input, const std::vector<GatingFigure>& figures,
                               const SampleReportOptions& options, bool html, bool pdf) {
  RenderOptions size;
  size.width = options.plot_width;
  size.height = options.plot_height;
  RenderOptions pdf_size = size;  // twice the pixels: sharp in print
  pdf_size.width = std::min(8192, 2 * options.plot_width);
  pdf_size.height = std::min(8192, 2 * options.plot_height);
  const detail::Document doc = detail::build_document(input, figures, options);
  SampleReportFiles out;
  std::vector<std::vector<std::byte>> png(figures.size());
  if (html) {
    for (std::size_t i = 0; i < figures.size(); ++i) png[i] = render(figures[i].plot, Format::png, size);
    out.html = detail::render_html(doc, figures, png);
  }
  if (pdf) {
    for (std::size_t i = 0; i < figures.size(); ++i) png[i] = render(figures[i].plot, Format::png, pdf_size);
    out.pdf = detail::render_pdf(doc, figures, png);
  }
  return out;
}

}  // namespace

SampleReportFiles render_sample_report(const SampleReportInput& input, const std::vector<GatingFigure>& figures,
                                       const SampleReportOptions& options) {
  return render_parts(input, figures, options, true, true);
}

SampleReportFiles render_sample_report(const SampleReportInput& input, const SampleReportOptions& options) {
  return render_parts(input, make_gating_figures(input.data, input.analysis, options), options, true, true);
}

std::string sample_report_html(const SampleReportInput& input, const SampleReportOptions& options) {
  return render_parts(input, make_gating_figures(input.data, input.analysis, options), options, true, false).html;
}

std::vector<std::byte> sample_report_pdf(const SampleReportInput& input, const SampleReportOptions& options) {
  return render_parts(input, make_gating_figures(input.data, input.analysis, options), options, false, true).pdf;
}

void write_sample_report(const SampleReportFiles& files, const std::filesystem::path& html_path,
                         const std::filesystem::path& pdf_path, bool overwrite) {
  if (!overwrite) {
    std::error_code ec;
    for (const auto* p : {&html_path, &pdf_path}) {
      if (!p->empty() && std::filesystem::exists(*p, ec)) {
        throw InputError(ErrorKind::io, p->string(), "", "file exists; not overwritten");
      }
    }
  }
  if (!html_path.empty()) write_file<InputError>(html_path, files.html, overwrite);
  if (!pdf_path.empty()) {
    write_file<InputError>(pdf_path,
                           std::string_view(reinterpret_cast<const char*>(files.pdf.data()), files.pdf.size()),
                           overwrite);
  }
}

}  // namespace escapade::report
