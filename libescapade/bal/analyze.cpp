// The per-sample escape-risk gating (analyze.hpp): reference populations first, then cuts
// found stage by stage against them, written as one GatingPlan and applied once for the
// counts.
#include "libescapade/bal/analyze.hpp"

#include <boost/math/special_functions/gamma.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "libescapade/base/error.hpp"

namespace escapade::bal {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Logicle top of scale and decades for a channel of range `range` (docs/formats.md §2.3; Parks,
// Roederer & Moore 2006): T = $PnR (262,144 when absent), M = 4.5 decades at T = 2^18 and
// one more per decade of a wider range, so every instrument shows the same low decades.
struct LogicleScale {
  double t;
  double m;
};
LogicleScale scale_of(double range) {
  const double t = range > 1000 ? range : 262144.0;
  return {t, std::max(4.5, std::log10(t) - std::log10(262144.0) + 4.5)};
}

// Parks et al. 2006: W = (M − log10(T/|r|))/2 with r the 5th percentile of the negative
// values, so the negatives' spread fits the linear-like zone. Clamped to [0, 2] (and M/2).
// `values` are every event's, or about 100,000 evenly strided events' of a large file
// (Pipeline::strided_values).
double logicle_width(const std::vector<double>& values, LogicleScale s) {
  std::vector<double> negatives;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 && std::isfinite(values[i])) negatives.push_back(values[i]);
  }
  if (negatives.size() < 100) return 0.5;
  const double r = autogate::quantile(negatives, 0.05);
  const double w = (s.m - std::log10(s.t / std::abs(r))) / 2;
  return std::clamp(w, 0.0, std::min(2.0, s.m / 2));
}

// autogate::valley_threshold, except that fewer than two events (a tiny or empty parent)
// give `fallback`, flagged for review, instead of an error: one sample must not stop a run.
autogate::Threshold valley_or(const std::vector<double>& x, const autogate::ThresholdOptions& o, double fallback) {
  if (x.size() >= 2) return autogate::valley_threshold(x, o);
  autogate::Threshold t;
  t.value = fallback;
  t.method = autogate::ThresholdMethod::fixed;
  t.events = x.size();
  t.weak = true;
  t.reason = fmt::format("{} events: too few to find a cut, placed at {:.3g}", x.size(), fallback);
  return t;
}

std::size_t count(const std::vector<std::uint8_t>& members) {
  return static_cast<std::size_t>(std::count(members.begin(), members.end(), std::uint8_t{1}));
}

// The tube's own reference populations (Pipeline::find_references).
struct Reference {
  double ssc_low = nan;           ///< SSC mode of lymphocytes and blasts
  double ssc_granulocytes = nan;  ///< SSC mode of granulocytes (NaN: none found)
  double ssc_max = inf;           ///< progenitors lie below: granulocytes above
  double cd45_bright = inf;       ///< the lymphocytes' lower CD45 edge: CD45-bright cells above
  double lymph_ssc_max = inf;     ///< the lymphoid SSC region's top (half-way to granulocytes)
  double mono_cd45 = inf;         ///< above the lymphoid SSC, monocytes are brighter than this
  std::vector<std::uint8_t> granulocytes, lymphocytes, monocytes, tnk;
  double tnk_cd19_max = nan;  ///< the lymphocytes' CD19 split: T/NK cells lie below it
  std::string evidence;
};

// The exact (Garwood) 95 % interval of a Poisson count.
std::pair<double, double> poisson_interval(std::size_t k) {
  const double kk = static_cast<double>(k);
  const double low = k == 0 ? 0.0 : boost::math::gamma_p_inv(kk, 0.025);
  const double high = boost::math::gamma_p_inv(kk + 1, 0.975);
  return {low, high};
}

// The smallest count k with P(X ≤ k) ≥ p for X ~ Poisson(mean).
std::size_t poisson_upper_quantile(double mean, double p) {
  if (!(mean > 0)) return 0;
  std::size_t k = 0;
  double term = std::exp(-mean);
  double cdf = term;
  while (cdf < p && k < 100000000) {
    ++k;
    term *= mean / static_cast<double>(k);
    cdf += term;
  }
  return k;
}

class Pipeline {
 public:
  Pipeline(const fcs::DataSet& data, const Panel& panel, const std::string& source, const AnalysisOptions& options)
      : my_data(data), my_options(options), my_sort_panel(panel.find("CD33") != nullptr || panel.find("CD13") != nullptr) {
    for (const auto& entry : options.overrides) {
      const std::string& name = entry.first;  // not a structured binding: lambdas capture it (clang 14)
      const FixedCut& value = entry.second;
      if (std::find_if(std::begin(cut_names), std::end(cut_names), [&](const char* c) { return name == c; }) ==
          std::end(cut_names)) {
        std::string names;
        for (const char* c : cut_names) names += (names.empty() ? "" : ", ") + std::string(c);
        throw InputError(ErrorKind::invalid_argument, source, fmt::format("override '{}'", name),
                         fmt::format("no gate has this name; the gates are: {}", names));
      }
      if (!std::isfinite(value.value)) {
        throw InputError(ErrorKind::invalid_argument, source, fmt::format("override '{}'", name), "not a finite number");
      }
    }
    my_a.source = source;
    my_a.limits = options.limits;
    my_a.markers = resolve_markers(panel, data, source);
    my_a.plan = gate::GatingPlan(source);
    my_apply.file_spillover = data.spillover ? &*data.spillover : nullptr;
    my_apply.file_spillover_keyword = data.spillover_keyword;
    my_apply.events_source = std::string(source);
    if (data.spillover_problem) {
      // Every marker is gated compensated: uncompensated values would be silently wrong.
      throw InputError(ErrorKind::format, data.spillover_problem->source, data.spillover_problem->where,
                       "the analysis compensates every marker, but the file's spillover keyword cannot be used: " +
                           data.spillover_problem->reason);
    }
    my_apply.num_threads = options.num_threads;
    if (!data.spillover) {
      my_a.warnings.push_back({source, "$SPILLOVER", "the file has no spillover matrix; values are not compensated"});
    }
    for (const auto& w : my_a.markers.warnings) my_a.warnings.push_back(w);
  }

  Analysis run() {
    const std::size_t n = my_data.events.event_count();
    std::vector<std::uint8_t> all(n, 1);
    const auto singlets = gate_singlets(all);
    const auto sized = gate_debris(singlets);
    find_references(sized);
    add_reference_gates();
    auto cells = gate_viability(gate_dead(sized));
    const auto cd34 = gate_cd34(cells);
    add_cells_gate();
    const auto leukocytes = gate_leukocytes(cells);
    add_cd34_gate();
    gate_quadrant(cd34);
    gate_lineages(leukocytes);
    finish();
    return std::move(my_a);
  }

 private:
  bool has(std::string_view marker) const { return my_a.markers.find(marker) != nullptr; }

  // Intensity anchors below are stated for an 18-bit (262,144) channel; instruments with a
  // wider range put the same cells proportionally higher.
  double anchor(const std::string& channel, double value_at_18_bits) const {
    const auto p = my_data.find_parameter(channel);
    const double range = p && my_data.parameters[*p].range > 1000 ? my_data.parameters[*p].range : 262144.0;
    return value_at_18_bits * range / 262144.0;
  }

  // A marker's dimension: compensated by the file's matrix when it unmixes this channel,
  // then logicle with a width fitted to this channel's negatives.
  gate::Dimension marker_dimension(std::string_view marker) {
    const std::string& channel = my_a.markers.channel(marker);
    gate::Dimension d = gate::Dimension::of(channel);
    if (my_data.spillover) {
      const auto& det = my_data.spillover->detectors();
      if (std::find(det.begin(), det.end(), channel) != det.end()) d.compensation = std::string(gate::file_compensation);
    }
    const std::string id = "logicle:" + channel;
    if (my_a.plan.find_transform(id) == nullptr) {
      const auto p = my_data.find_parameter(channel);
      const LogicleScale s = scale_of(p ? my_data.parameters[*p].range : 0);
      const double w = logicle_width(strided_values(d), s);
      my_a.plan.add_transform(id, transform::LogicleTransform(s.t, w, s.m, 0));
    }
    d.transform = id;
    return d;
  }

  // Values of `values` at (at most about `limit` of) the events of `members`, evenly strided:
  // for the statistics of a population (densities, quantiles, spreads), which need no more
  // than this and keep 1M-event files fast. Events are in acquisition order, which is random
  // with respect to phenotype, so the stride is unbiased. Counts come from `count`.
  std::vector<double> sample(const std::vector<double>& values, const std::vector<std::uint8_t>& members,
                             std::size_t limit = 50000) const {
    const auto& index = sample_index(members, limit);
    std::vector<double> out(index.size());
    for (std::size_t k = 0; k < index.size(); ++k) out[k] = values[index[k]];
    return out;
  }

  // The events `sample` takes, kept per population: one population's statistics are taken on
  // several markers, and finding its members is a pass over every event. A population is
  // recognised by its membership itself (two different memberships differ early, so the
  // comparison is cheap; the same one is compared once in full).
  const std::vector<std::size_t>& sample_index(const std::vector<std::uint8_t>& members, std::size_t limit) const {
    for (auto it = my_samples.rbegin(); it != my_samples.rend(); ++it) {
      if (it->limit == limit && it->members == members) return it->index;
    }
    const auto n = static_cast<std::size_t>(std::count_if(members.begin(), members.end(), [](std::uint8_t m) { return m != 0; }));
    const std::size_t stride = n > limit ? (n + limit - 1) / limit : 1;
    SampleIndex c{limit, members, {}};
    // Eight events at a time, skipping eight non-members at once (most populations are a
    // small part of the tube); within a group, no branch on membership (it is unpredictable
    // from event to event): every event is written, and the write position advances for the
    // first of every `stride` members.
    c.index.resize(n / stride + 9);
    std::size_t k = 0, skip = 0, e = 0;
    const auto take = [&](std::size_t event) {
      const bool member = members[event] != 0;
      c.index[k] = event;
      k += member && skip == 0;
      skip = member ? (skip == 0 ? stride - 1 : skip - 1) : skip;
    };
    for (; e + 8 <= members.size(); e += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, members.data() + e, 8);
      if (word == 0) continue;
      for (std::size_t j = 0; j < 8; ++j) take(e + j);
    }
    for (; e < members.size(); ++e) take(e);
    c.index.resize(k);
    if (my_samples.size() >= 24) my_samples.erase(my_samples.begin());
    my_samples.push_back(std::move(c));
    return my_samples.back().index;
  }

  // Every how many events `strided_values` takes one: 1 below 200,000 events, else about
  // 100,000 evenly strided events in all.
  std::size_t event_stride() const { return std::max<std::size_t>(1, my_data.events.event_count() / 100000); }

  // Values of a dimension at every event_stride()-th event (event r·stride is value r),
  // computed on those events alone: enough for statistics that need no per-event verdict
  // over the whole file (a logicle width, a reference population's levels), without
  // computing a full column only to skip most of it.
  std::vector<double> strided_values(const gate::Dimension& d) {
    const std::size_t n = my_data.events.event_count();
    const std::size_t stride = event_stride();
    if (stride <= 1) return values(d);
    if (!my_strided_events) {
      // The fluorescence channels the file's spillover matrix unmixes (all of them are needed
      // to compensate any one), or every channel without one.
      std::vector<std::size_t> strided, channels;
      for (std::size_t e = 0; e < n; e += stride) strided.push_back(e);
      if (my_data.spillover) {
        for (const auto& det : my_data.spillover->detectors()) {
          if (const auto k = my_data.events.find(det)) channels.push_back(*k);
        }
      }
      my_strided_events = my_data.events.subset(strided, channels);
    }
    if (!my_strided_events->find(d.channel)) {
      const auto& all = values(d);
      std::vector<double> out;
      for (std::size_t e = 0; e < n; e += stride) out.push_back(all[e]);
      return out;
    }
    return gate::dimension_values(my_a.plan, *my_strided_events, d, my_apply);
  }

  // Values of a dimension for every event, computed once; a transformed dimension reuses
  // its untransformed values when they are already there (the logicle width needed them).
  const std::vector<double>& values(const gate::Dimension& d) {
    const std::string key = d.label();
    auto it = my_values.find(key);
    if (it != my_values.end()) return it->second;
    if (!d.transform.empty()) {
      gate::Dimension base = d;
      base.transform.clear();
      if (auto b = my_values.find(base.label()); b != my_values.end()) {
        std::vector<double> out(b->second.size());
        my_a.plan.find_transform(d.transform)->apply(b->second, out);
        return my_values.emplace(key, std::move(out)).first->second;
      }
    }
    return my_values.emplace(key, gate::dimension_values(my_a.plan, my_data.events, d, my_apply)).first->second;
  }

  // Fills value, found, overridden, set_by and (when fixed) method and evidence of `c`.
  void settle(Cut& c, double found, const std::string& found_evidence) const {
    c.found = found;
    auto it = my_options.overrides.find(c.name);
    c.overridden = it != my_options.overrides.end();
    c.value = c.overridden ? it->second.value : found;
    c.evidence = found_evidence;
    if (c.overridden) {
      c.set_by = it->second.set_by;
      c.method = autogate::ThresholdMethod::fixed;
      c.weak = false;
      c.evidence = fmt::format("set to {:.4g} by {}{} (found: {})", c.value, c.set_by,
                               it->second.reason.empty() ? "" : " — " + it->second.reason, found_evidence);
    }
  }

  // Records a cut found by `t` (or overridden) on dimension `d` from `population`.
  double record(const std::string& name, const gate::Dimension& d, const std::string& population,
                const autogate::Threshold& t, std::vector<std::string> references = {}) {
    Cut c;
    c.name = name;
    // Only references that are gates of the plan (found, and drawable in the report).
    std::erase_if(references, [&](const std::string& id) { return !my_a.plan.has_population(id); });
    c.references = std::move(references);
    c.channel = d.channel.empty() ? d.label() : d.channel;
    c.population = population;
    c.method = t.method;
    c.weak = t.weak;
    settle(c, t.value, t.evidence());
    const transform::Transform* tr = d.transform.empty() ? nullptr : my_a.plan.find_transform(d.transform);
    c.data_value = tr != nullptr ? tr->inverse(c.value) : c.value;
    my_a.cuts.push_back(c);
    return c.value;
  }

  // Singlets from the pulse width alone (FACSDiva files may carry FSC-W without FSC-H): a
  // doublet's pulse lasts longer, so doublets lie above the singlets' FSC-W peak. The cut is a
  // valley above that peak when the doublets form one, else 4 SDs of its lower side above it.
  std::vector<std::uint8_t> gate_singlets_by_width(const std::vector<std::uint8_t>& parent) {
    const gate::Dimension w = gate::Dimension::of(my_a.markers.channel("FSC-W"));
    const auto& v = values(w);
    const auto x = sample(v, parent);
    autogate::ThresholdOptions o;
    o.tail_sds = 4;
    o.max_depth = 0.5;
    autogate::Threshold t = valley_or(x, o, inf);
    if (t.method == autogate::ThresholdMethod::valley && x.size() >= 2 && t.value < autogate::quantile(x, 0.5)) {
      // A valley below the median is inside the singlets, not above them.
      t = valley_or(x, autogate::ThresholdOptions{.max_depth = 0.0, .tail_sds = 4}, inf);
    }
    my_a.warnings.push_back({my_a.source, "singlets", "no FSC-H: singlets are gated on FSC-W alone"});
    const double cut = record("singlet_width", w, "all events", t);
    gate::Interval i{w};
    i.max = cut;
    my_a.plan.add_gate({"singlets", "", "singlets", gate::RectangleGate{{i}}});
    std::vector<std::uint8_t> out = parent;
    for (std::size_t e = 0; e < out.size(); ++e) out[e] = out[e] != 0 && v[e] < cut;
    return out;
  }

  std::vector<std::uint8_t> gate_singlets(const std::vector<std::uint8_t>& parent) {
    const auto* area = my_a.markers.find("FSC-A");
    const auto* height = my_a.markers.find("FSC-H");
    std::vector<std::uint8_t> out = parent;
    if ((area == nullptr || height == nullptr) && has("FSC-W")) return gate_singlets_by_width(parent);
    if (area == nullptr || height == nullptr) {
      my_a.warnings.push_back({my_a.source, "singlets", "no FSC-A and FSC-H pair and no FSC-W; doublets are not excluded"});
      my_a.plan.add_gate({"singlets", "", "singlets", gate::RectangleGate{{{gate::Dimension::of(area ? area->channel : my_data.events.label(0).name)}}}});
      return out;
    }
    my_a.plan.add_ratio("fsc_area_height", {transform::RatioTransform(1, 0, 0), area->channel, height->channel});
    gate::Dimension ratio;
    ratio.ratio = "fsc_area_height";
    const auto& r = values(ratio);
    const auto areas = sample(values(gate::Dimension::of(area->channel)), parent);
    const auto heights = sample(values(gate::Dimension::of(height->channel)), parent);
    autogate::SingletCut cut;
    if (std::count_if(heights.begin(), heights.end(), [](double h) { return h > 0; }) >= 2) {
      cut = autogate::singlet_cut(areas, heights);
    } else {
      cut.max_ratio = inf;
      cut.weak = true;
      cut.reason = "fewer than 2 events with a positive FSC-H: doublets not excluded";
    }
    autogate::Threshold t;
    t.value = cut.max_ratio;
    t.method = autogate::ThresholdMethod::negative_tail;
    t.weak = cut.weak;
    t.reason = cut.reason;
    Cut c;
    c.name = "singlet_ratio";
    c.channel = area->channel + "/" + height->channel;
    c.population = "all events";
    c.method = autogate::ThresholdMethod::negative_tail;
    c.weak = cut.weak;
    settle(c, cut.max_ratio, cut.evidence());
    c.data_value = c.value;
    my_a.cuts.push_back(c);
    gate::Interval i{ratio};
    i.max = c.value;
    my_a.plan.add_gate({"singlets", "", "singlets", gate::RectangleGate{{i}}});
    for (std::size_t e = 0; e < out.size(); ++e) out[e] = out[e] != 0 && r[e] < c.value;
    return out;
  }

  // Debris: a low-FSC population below the cells' main peak; no valley there means no
  // debris to remove.
  std::vector<std::uint8_t> gate_debris(const std::vector<std::uint8_t>& parent) {
    std::vector<std::uint8_t> out = parent;
    const auto* area = my_a.markers.find("FSC-A");
    if (area == nullptr) return out;
    const gate::Dimension fsc = gate::Dimension::of(area->channel);
    const auto& v = values(fsc);
    const auto x = sample(v, parent);
    autogate::ThresholdOptions o;
    o.search_max = x.size() >= 2 ? autogate::quantile(x, 0.5) : inf;
    o.negative_peak_max = anchor(area->channel, 25000.0);  // debris is smaller than any cell
    o.weak_depth = 0.75;  // debris trails into the cells: a shallow valley is normal
    autogate::Threshold t = valley_or(x, o, -inf);
    if (t.method != autogate::ThresholdMethod::valley) {
      t.value = -inf;
      t.weak = false;
      t.reason.clear();
      t.method = autogate::ThresholdMethod::fixed;
    }
    const double cut = record("debris_fsc", fsc, "singlets", t);
    if (t.method == autogate::ThresholdMethod::fixed && !my_a.cuts.back().overridden) {
      my_a.cuts.back().evidence = "no debris population below the cells' FSC peak: nothing removed";
    }
    my_fsc = fsc;
    my_fsc_min = std::max(my_fsc_min, cut);
    for (std::size_t e = 0; e < out.size(); ++e) out[e] = out[e] != 0 && v[e] >= cut;
    return out;
  }

  // The reference populations of the tube, found from scatter and CD45 alone, before any
  // marker cut they serve (SPEC.md "Gates are found from biology"):
  //  * granulocytes: the highest-SSC peak, at least 3× the SSC of the lymphoid/blast peak
  //    (granulocytes scatter 4–6× more side light than lymphocytes);
  //  * lymphocytes: SSC-low events at the brightest CD45 peak, which must be at least as
  //    bright as the granulocytes (mature lymphocytes are the CD45-brightest cells, blasts
  //    are CD45-dim);
  //  * T/NK cells: the lymphocytes below their own CD19 split (mature B cells above it).
  // Granulocytes and lymphocytes carry no CD34; T/NK cells carry no CD19 or CD22.
  void find_references(const std::vector<std::uint8_t>& parent) {
    const gate::Dimension ssc = scatter_dimension("SSC-A");
    const auto& s = values(ssc);
    const auto* ts = my_a.plan.find_transform(ssc.transform);
    const double three_fold = ts->apply(anchor(ssc.channel, 30000.0)) - ts->apply(anchor(ssc.channel, 10000.0));
    const auto x = sample(s, parent);
    Reference& r = my_refs;
    r.ssc_max = inf;
    if (x.size() < 50) {
      r.evidence = fmt::format("{} events: too few to find reference populations", x.size());
      return;
    }
    autogate::DensityOptions dopt;
    const autogate::Density d = autogate::estimate_density(x, dopt);
    const auto peaks = autogate::find_peaks(d, 0.01);
    const autogate::Peak* low = nullptr;
    const autogate::Peak* gran = nullptr;
    for (const auto& p : peaks) {
      if (gran == nullptr || p.position > gran->position) gran = &p;
    }
    for (const auto& p : peaks) {
      if (gran != nullptr && p.position <= gran->position - three_fold && (low == nullptr || p.height > low->height)) low = &p;
    }
    if (low == nullptr) {
      // One scatter population (no granulocytes, e.g. a sorted or enriched sample).
      gran = nullptr;
      const autogate::Peak* top = nullptr;
      for (const auto& p : peaks) {
        if (top == nullptr || p.height > top->height) top = &p;
      }
      r.ssc_low = top != nullptr ? top->position : autogate::quantile(x, 0.5);
    } else {
      r.ssc_low = low->position;
      r.ssc_granulocytes = gran->position;
      const double up = autogate::side_spread(x, gran->position, true);
      r.ssc_max = std::max(gran->position - 2 * (std::isfinite(up) ? up : d.bandwidth),
                           (low->position + gran->position) / 2);
    }
    const double lymph_ssc_max = std::isfinite(r.ssc_granulocytes) ? (r.ssc_low + r.ssc_granulocytes) / 2
                                                                   : r.ssc_low + three_fold / 2;
    const auto n = s.size();
    r.granulocytes.assign(n, 0);
    std::vector<std::uint8_t> ssc_low(n, 0);
    for (std::size_t e = 0; e < n; ++e) {
      if (parent[e] == 0) continue;
      r.granulocytes[e] = std::isfinite(r.ssc_granulocytes) && s[e] >= r.ssc_max;
      ssc_low[e] = s[e] < lymph_ssc_max;
    }
    find_lymphocytes(ssc_low);
    // Monocytes: between the lymphoid and the granulocyte SSC, brighter in CD45 than the
    // granulocytes (CD34+ progenitors there are CD45-dim).
    r.monocytes.assign(n, 0);
    r.lymph_ssc_max = lymph_ssc_max;
    if (std::isfinite(r.ssc_granulocytes) && count(r.granulocytes) >= 50 && std::isfinite(r.cd45_bright)) {
      const auto& v45 = values(marker_dimension("CD45"));
      const double gran45 = autogate::quantile(sample(v45, r.granulocytes), 0.5);
      // Half-way between the granulocytes' CD45 and the lymphocytes' lower edge: monocytes
      // are about as bright as lymphocytes, CD34+ progenitors dimmer than granulocytes.
      if (gran45 < r.cd45_bright) r.mono_cd45 = (gran45 + r.cd45_bright) / 2;
      for (std::size_t e = 0; e < n; ++e) {
        r.monocytes[e] = parent[e] != 0 && s[e] >= lymph_ssc_max && s[e] < r.ssc_max && v45[e] >= r.mono_cd45;
      }
    }
    r.evidence = fmt::format(
        "granulocytes: SSC peak {} ({} events above {:.3g}); lymphocytes: {} SSC-low CD45-bright events",
        std::isfinite(r.ssc_granulocytes) ? fmt::format("{:.3g}", r.ssc_granulocytes) : std::string("none"),
        count(r.granulocytes), r.ssc_max, count(r.lymphocytes));
  }

  void find_lymphocytes(const std::vector<std::uint8_t>& ssc_low) {
    Reference& r = my_refs;
    const gate::Dimension d45 = marker_dimension("CD45");
    const auto& v = values(d45);
    const auto x = sample(v, ssc_low);
    r.lymphocytes.assign(v.size(), 0);
    if (x.size() < 50) return;
    double floor45 = -inf;
    if (count(r.granulocytes) >= 50) floor45 = autogate::quantile(sample(v, r.granulocytes), 0.5);
    const autogate::Density d = autogate::estimate_density(x);
    // Lymphocytes can be a few % of a blast-rich tube: low prominence, but a peak of its own.
    const auto peaks = autogate::find_peaks(d, 0.005);
    const autogate::Peak* bright = nullptr;
    std::size_t candidates = 0;
    for (const auto& p : peaks) {
      if (p.position < floor45) continue;
      ++candidates;
      if (bright == nullptr || p.position > bright->position) bright = &p;
    }
    // Without granulocytes to compare with, a lone CD45 peak may be the blasts themselves.
    if (!std::isfinite(floor45) && candidates < 2) bright = nullptr;
    double lower = 0;
    if (bright != nullptr) {
      const double up = autogate::side_spread(x, bright->position, true);
      lower = bright->position - 1.5 * (std::isfinite(up) ? up : d.bandwidth);
      // A dimmer CD45 population next to them (blasts, CD45-intermediate progenitors) ends
      // where the density between the two peaks is lowest: the lymphocytes start there.
      const autogate::Peak* dimmer = nullptr;
      for (const auto& p : peaks) {
        if (p.position < bright->position && (dimmer == nullptr || p.position > dimmer->position)) dimmer = &p;
      }
      if (dimmer != nullptr) {
        const auto w = autogate::window_minimum(x, dimmer->position, bright->position);
        if (std::isfinite(w.value)) lower = std::max(lower, w.value);
      }
    } else {
      // No CD45-bright peak of their own: the brightest 1 % of the SSC-low cells.
      lower = std::isfinite(floor45) ? std::max(floor45, autogate::quantile(x, 0.99)) : autogate::quantile(x, 0.99);
    }
    // The T cells, where the panel has CD3, bound the lymphocytes' CD45 edge: a valley can fall
    // among CD45-dim progenitors below them (hematogone-rich marrow: raise the edge to theirs)
    // or between T and B cells above their median (B cells brighter in CD45 than T cells:
    // lower it to theirs, since the lymphocytes hold the T cells).
    const TCells t = t_cells(ssc_low);
    if (std::isfinite(t.cd45_edge) && (lower < t.cd45_edge || lower > t.cd45_median)) lower = t.cd45_edge;
    for (std::size_t e = 0; e < v.size(); ++e) r.lymphocytes[e] = ssc_low[e] != 0 && v[e] >= lower;
    r.cd45_bright = lower;
    // T/NK: the lymphocytes that are not B cells.
    if (!has("CD19")) return;
    const gate::Dimension d19 = marker_dimension("CD19");
    const auto& v19 = values(d19);
    const auto l19 = sample(v19, r.lymphocytes);
    r.tnk = r.lymphocytes;
    if (l19.size() < 50) return;
    autogate::ThresholdOptions o;
    o.max_depth = 0.7;
    const autogate::Threshold b = autogate::valley_threshold(l19, o);
    for (std::size_t e = 0; e < v19.size(); ++e) r.tnk[e] = r.tnk[e] != 0 && v19[e] < b.value;
    r.tnk_cd19_max = b.value;
  }

  // Where the T cells' CD45 ends below, when the panel has CD3: mature lymphocytes are the
  // CD45-brightest cells, and T cells (CD3+, in every marrow) say where they are. A
  // regenerating marrow's hematogones can form the brightest CD45 peak with the lymphocytes,
  // and a valley below that peak then falls among the CD45-dim progenitors, which would be
  // taken for lymphocytes (and lost from the blast region). The edge is the T cells' CD45
  // median less the reach of their upper side (their 99.5th percentile mirrored), which
  // hematogones or progenitors below them cannot move. NaN without CD3 or a CD3+
  // population of 200 SSC-low events.
  struct TCells {
    double cd45_median = nan;  ///< their CD45 median
    double cd45_edge = nan;    ///< their CD45 median less their upper side's reach
  };
  TCells t_cells(const std::vector<std::uint8_t>& ssc_low) {
    TCells out;
    if (!has("CD3")) return out;
    // On strided events: the T cells' levels are statistics, and CD3 is needed nowhere else.
    const auto v3 = strided_values(marker_dimension("CD3"));
    const auto v45 = strided_values(marker_dimension("CD45"));
    const std::size_t stride = event_stride();
    std::vector<std::uint8_t> low(v3.size());
    for (std::size_t r = 0; r < low.size(); ++r) low[r] = ssc_low[r * stride];
    const auto x3 = sample(v3, low);
    if (x3.size() < 200) return out;
    autogate::ThresholdOptions o;
    o.max_depth = 0.5;
    const autogate::Threshold t = autogate::valley_threshold(x3, o);
    if (t.method != autogate::ThresholdMethod::valley) return out;
    for (std::size_t r = 0; r < low.size(); ++r) low[r] = low[r] != 0 && v3[r] >= t.value;
    const auto x45 = sample(v45, low);
    if (x45.size() < 200) return out;
    const double median = autogate::quantile(x45, 0.5);
    const double reach = autogate::side_reach(x45, median, true);
    if (!std::isfinite(reach)) return out;
    out.cd45_median = median;
    out.cd45_edge = median - reach;
    return out;
  }

  // The reference populations as gates of the plan (on CD45 × SSC within the singlets
  // above the debris cut), so that the report draws them and their counts are the plan's.
  // They build no reported population.
  void add_reference_gates() {
    const Reference& r = my_refs;
    if (!has("CD45") || !has("SSC-A")) return;
    std::vector<gate::Interval> sized;
    if (my_fsc && std::isfinite(my_fsc_min)) sized.push_back(gate::Interval{*my_fsc, my_fsc_min, inf});
    if (sized.empty()) sized.push_back({gate::Dimension::of(my_data.events.label(0).name)});
    my_a.plan.add_gate({"sized", "singlets", "singlets above the debris cut", gate::RectangleGate{sized}});
    const gate::Dimension ssc = scatter_dimension("SSC-A");
    const gate::Dimension d45 = marker_dimension("CD45");
    const auto add = [&](const std::string& id, const std::string& name, std::vector<gate::Interval> intervals) {
      my_a.plan.add_gate({id, "sized", name, gate::RectangleGate{std::move(intervals)}});
      my_reference_gates.push_back(id);
    };
    if (std::isfinite(r.cd45_bright) && std::isfinite(r.lymph_ssc_max)) {
      add("ref_lymphocytes", "lymphocytes (reference: no CD34)", {{d45, r.cd45_bright, inf}, {ssc, -inf, r.lymph_ssc_max}});
    }
    if (std::isfinite(r.tnk_cd19_max) && count(r.tnk) >= 50 && my_a.plan.has_population("ref_lymphocytes")) {
      // T/NK cells: the lymphocytes below their own CD19 split, the negative reference for
      // CD34, CD19 and CD22.
      gate::Interval below{marker_dimension("CD19")};
      below.max = r.tnk_cd19_max;
      my_a.plan.add_gate({"ref_t_nk", "ref_lymphocytes", "T/NK cells (reference: no CD34, CD19 or CD22)", gate::RectangleGate{{below}}});
      my_reference_gates.push_back("ref_t_nk");
    }
    if (std::isfinite(r.mono_cd45)) {
      add("ref_monocytes", "monocytes (reference: no CD34)", {{d45, r.mono_cd45, inf}, {ssc, r.lymph_ssc_max, r.ssc_max}});
    }
    if (std::isfinite(r.ssc_granulocytes)) add("ref_granulocytes", "granulocytes (reference)", {{ssc, r.ssc_max, inf}});
  }

  // Dead cells keep their SSC but lose about half their forward scatter: the cut is the least
  // dense FSC among SSC-low events between half and 85 % of the lymphocytes' FSC.
  std::vector<std::uint8_t> gate_dead(const std::vector<std::uint8_t>& parent) {
    std::vector<std::uint8_t> out = parent;
    const auto* area = my_a.markers.find("FSC-A");
    if (area == nullptr || count(my_refs.lymphocytes) < 50) return out;
    const gate::Dimension fsc = gate::Dimension::of(area->channel);
    const auto& v = values(fsc);
    const double lymph_fsc = autogate::quantile(sample(v, my_refs.lymphocytes), 0.5);
    const auto& s = values(scatter_dimension("SSC-A"));
    std::vector<std::uint8_t> low(v.size(), 0);
    for (std::size_t e = 0; e < v.size(); ++e) low[e] = parent[e] != 0 && s[e] < my_refs.ssc_max;
    const auto x = sample(v, low);
    const auto w = autogate::window_minimum(x, 0.45 * lymph_fsc, 0.85 * lymph_fsc);
    autogate::Threshold t;
    t.value = std::isfinite(w.value) ? w.value : 0.7 * lymph_fsc;
    t.method = autogate::ThresholdMethod::valley;
    t.events = x.size();
    t.negative_peak = 0.5 * lymph_fsc;
    t.positive_peak = lymph_fsc;
    t.valley_depth = w.density_ratio;
    t.note = fmt::format(
        "least dense FSC {:.4g} between half and 85% of the lymphocytes' FSC {:.4g} (density {:.2f} of the window's "
        "highest): dead cells and cell fragments below",
        t.value, lymph_fsc, w.density_ratio);
    const double cut = record("dead_fsc", fsc, "singlets without debris", t, {"ref_lymphocytes"});
    my_fsc_min = std::max(my_fsc_min, cut);
    for (std::size_t e = 0; e < out.size(); ++e) out[e] = out[e] != 0 && v[e] >= cut;
    return out;
  }

  std::vector<std::uint8_t> gate_viability(const std::vector<std::uint8_t>& parent) {
    std::vector<std::uint8_t> out = parent;
    if (has("Viability")) {
      // Dead cells take up the viability dye: they are the bright population.
      const gate::Dimension d = marker_dimension("Viability");
      const auto& v = values(d);
      // Dead cells are a bright minority; a shallow dip among live cells (which differ in
      // autofluorescence) is not a viability cut.
      autogate::ThresholdOptions o;
      o.max_depth = 0.3;
      const auto t = valley_or(sample(v, out), o, inf);
      const double cut = record("viability", d, "singlets without debris", t);
      my_viability = gate::Interval{d, -inf, cut};
      for (std::size_t e = 0; e < out.size(); ++e) out[e] = out[e] != 0 && v[e] < cut;
    }
    return out;
  }

  // The "cells" gate: FSC at or above the highest of the debris and dead-cell cuts, and
  // below the viability cut.
  void add_cells_gate() {
    std::vector<gate::Interval> intervals;
    if (my_fsc) intervals.push_back(gate::Interval{*my_fsc, my_fsc_min, inf});
    if (my_viability) intervals.push_back(*my_viability);
    if (intervals.empty()) intervals.push_back({gate::Dimension::of(my_data.events.label(0).name)});
    my_a.plan.add_gate({"cells", "singlets", "cells", gate::RectangleGate{intervals}});
  }

  void add_cd34_gate() {
    my_a.plan.add_gate({"blast_region", "cells", "CD45-dim SSC-low", my_region});
    if (!my_live_polygon) {
      my_a.plan.add_gate({"cd34", "blast_region", "CD34+ SSC-low", gate::RectangleGate{my_cd34_intervals}});
      return;
    }
    // The CD34+ events, then the live ones among them (separate_dead_cd34).
    my_a.plan.add_gate({"cd34_all", "blast_region", "CD34+ SSC-low, live and dead", gate::RectangleGate{my_cd34_intervals}});
    my_a.plan.add_gate({"cd34", "cd34_all", "CD34+ SSC-low", *my_live_polygon});
    my_structural.push_back("cd34_all");
  }

  std::vector<std::uint8_t> gate_leukocytes(const std::vector<std::uint8_t>& parent) {
    // CD45− (erythroid precursors, remaining debris) against CD45 dim to bright. The cut is
    // the first valley above a CD45− peak (below 250), so CD45-dim blasts stay leukocytes;
    // without a CD45− peak, everything above 10² is a leukocyte.
    const gate::Dimension d = marker_dimension("CD45");
    const auto* t45 = my_a.plan.find_transform(d.transform);
    const auto& v = values(d);
    autogate::ThresholdOptions o;
    o.search_min = t45->apply(0.0);
    o.search_max = t45->apply(anchor(d.channel, 1000.0));
    o.negative_peak_max = t45->apply(anchor(d.channel, 300.0));
    o.prefer_lowest = true;
    autogate::Threshold t = valley_or(sample(v, parent), o, t45->apply(anchor(d.channel, 100.0)));
    if (t.method != autogate::ThresholdMethod::valley) {
      t.value = t45->apply(anchor(d.channel, 100.0));
      t.method = autogate::ThresholdMethod::fixed;
      t.weak = false;
    }
    const double cut = record("CD45", d, "cells", t);
    if (t.method == autogate::ThresholdMethod::fixed && !my_a.cuts.back().overridden) {
      my_a.cuts.back().evidence = "no CD45− population: every cell above 10² is a leukocyte";
    }
    gate::Interval i{d};
    i.min = cut;
    my_a.plan.add_gate({"leukocytes", "cells", "CD45+ leukocytes", gate::RectangleGate{{i}}});
    std::vector<std::uint8_t> out = parent;
    for (std::size_t e = 0; e < out.size(); ++e) out[e] = out[e] != 0 && v[e] >= cut;
    my_a.leukocytes = count(out);
    return out;
  }

  // CD34+ progenitors within all cells (not only CD45+: blasts may lack CD45), below the
  // granulocytes' SSC. The CD34 cut lies between the lymphocytes' CD34 limit (lymphocytes
  // carry no CD34) and the densest CD34 level above it, at the least dense point between.
  // `parent` (the cells) loses the dead cells found from the CD34+ events' FSC.
  std::vector<std::uint8_t> gate_cd34(std::vector<std::uint8_t>& parent) {
    std::vector<std::uint8_t>& cells = parent;
    const gate::Dimension ssc = scatter_dimension("SSC-A");
    const auto& s = values(ssc);
    autogate::Threshold st;
    st.value = my_refs.ssc_max;
    st.method = autogate::ThresholdMethod::negative_reference;
    st.negative_peak = my_refs.ssc_low;
    st.positive_peak = my_refs.ssc_granulocytes;
    st.note = std::isfinite(my_refs.ssc_granulocytes)
              ? fmt::format("2 SDs below the granulocytes' SSC peak {:.3g} (lymphoid/blast peak {:.3g}); {}", my_refs.ssc_granulocytes,
                            my_refs.ssc_low, my_refs.evidence)
              : fmt::format("no granulocyte population: no SSC limit; {}", my_refs.evidence);
    const double ssc_cut = record("SSC_low", ssc, "cells", st, {"ref_granulocytes"});
    // CD34+ progenitors and blasts are CD45-dim or negative: the CD45-bright cells
    // (lymphocytes, hematogones late in maturation, monocytes) carry no CD34, and leaving
    // them out keeps their spillover spread in the CD34 detector out of the CD34+ gate
    // (EuroFlow's CD45-dim SSC-low blast region).
    const gate::Dimension d45 = marker_dimension("CD45");
    const auto& v45 = values(d45);
    autogate::Threshold bt;
    bt.value = my_refs.cd45_bright;
    bt.method = autogate::ThresholdMethod::negative_reference;
    bt.negative_peak = nan;
    bt.positive_peak = nan;
    bt.note = std::isfinite(my_refs.cd45_bright)
                  ? fmt::format("the lower CD45 edge of the lymphocytes (CD45-bright, no CD34): {:.3g}", my_refs.cd45_bright)
                  : std::string("no lymphocytes found: no CD45 limit");
    const double bright = record("CD45_bright", d45, "cells", bt, {"ref_lymphocytes"});
    std::vector<std::uint8_t> low = parent, region = parent;
    for (std::size_t e = 0; e < low.size(); ++e) {
      low[e] = parent[e] != 0 && s[e] < ssc_cut;
      region[e] = low[e] != 0 && v45[e] < bright &&
                  !(s[e] >= my_refs.lymph_ssc_max && v45[e] >= std::min(bright, my_refs.mono_cd45));
    }
    // The region on CD45 × SSC: below the lymphocytes' CD45 edge up to the lymphoid SSC, and
    // below the monocytes' CD45 from there to the granulocytes' SSC (an L, as a hand-drawn
    // blast gate leaves the monocytes out).
    const double floor = -1e6;
    const double mono = std::min(bright, my_refs.mono_cd45);
    const double mid_ssc = std::min(ssc_cut, my_refs.lymph_ssc_max);
    const double top = std::isfinite(ssc_cut) ? ssc_cut : 1e6;
    const double right = std::isfinite(bright) ? bright : 1e6;
    my_region = gate::PolygonGate{d45, ssc, {{floor, floor}, {right, floor}, {right, mid_ssc}, {std::min(mono, right), mid_ssc},
                                             {std::min(mono, right), top}, {floor, top}}};
    my_negatives = negatives_id() == "ref_t_nk" ? my_refs.tnk : my_refs.granulocytes;
    const gate::Dimension d = marker_dimension("CD34");
    const auto& v = values(d);
    // The cut is found among all SSC-low cells (the CD45-bright negatives mark where the
    // negatives end) and applied within the CD45-dim region.
    const double cut = record("CD34", d, "cells below the granulocytes' SSC", cd34_cut(v, low),
                              {cd34_reference_id()});
    gate::Interval i34{d};
    i34.min = cut;
    my_cd34_intervals = {i34};
    std::vector<std::uint8_t> out = region;
    for (std::size_t e = 0; e < out.size(); ++e) out[e] = out[e] != 0 && v[e] >= cut;
    if (my_fsc) {
      // Dead CD34+ cells keep their CD34 but lose about half their forward scatter, and their
      // autofluorescence mimics dim CD19 or CD22: the least dense FSC of the CD34+ events
      // between 45 % and 85 % of their median separates them (the CD34+ cells are one
      // scatter population, so this works where the mixed SSC-low events show no valley).
      // The cut joins the cells gate: it is below every live leukocyte's FSC.
      const auto& f = values(*my_fsc);
      const auto x = sample(f, out);
      if (x.size() >= 50) {
        const double median = autogate::quantile(x, 0.5);
        const auto w = autogate::window_minimum(x, 0.45 * median, 0.85 * median);
        autogate::Threshold t;
        t.value = std::isfinite(w.value) ? w.value : 0.6 * median;
        // Live CD34+ cells end 2.5 SDs of their upper side (free of dead cells) below their
        // median: a minimum on noise further down lets dead cells in.
        const double up = autogate::side_spread(x, median, true);
        if (std::isfinite(up)) t.value = std::clamp(median - 2.5 * up, t.value, 0.85 * median);
        t.method = autogate::ThresholdMethod::valley;
        t.events = x.size();
        t.valley_depth = w.density_ratio;
        t.note = fmt::format("least dense FSC {:.4g} of the CD34+ events between 45% and 85% of their median {:.4g} (density {:.2f} "
                             "of the window's highest): dead CD34+ cells below",
                             t.value, median, w.density_ratio);
        const double fcut = record("CD34_fsc", *my_fsc, "CD34+", t);
        my_fsc_min = std::max(my_fsc_min, fcut);
        // With a viability dye the dead cells are already out.
        if (!my_a.cuts.back().overridden && !my_viability) separate_dead_cd34(out, fcut);
      }
      for (std::size_t e = 0; e < out.size(); ++e) {
        out[e] = out[e] != 0 && f[e] >= my_fsc_min && (!my_live_cd34 || my_live_cd34->live(f[e], s[e]));
        cells[e] = cells[e] != 0 && f[e] >= my_fsc_min;
      }
    }
    my_a.cd34 = count(out);
    return out;
  }

  // The live CD34+ cells' lower FSC boundary at each SSC, from a two-population mixture.
  struct LiveBoundary {
    std::vector<double> ssc, fsc;  // rows ascending in SSC; FSC at or above fsc[i] is live
    double live(double f, double s) const {
      if (s <= ssc.front()) return f >= fsc.front();
      if (s >= ssc.back()) return f >= fsc.back();
      const auto i = static_cast<std::size_t>(std::upper_bound(ssc.begin(), ssc.end(), s) - ssc.begin());
      const double u = (s - ssc[i - 1]) / (ssc[i] - ssc[i - 1]);
      return f >= fsc[i - 1] + u * (fsc[i] - fsc[i - 1]);
    }
  };

  // Dead CD34+ cells lose forward scatter and gain side scatter, so the FSC cut alone lets the
  // dead cells with the highest FSC in, where their autofluorescence reads as dim CD19 or CD22
  // (SPEC.md: no viability dye). A Gaussian mixture of the CD34+ events on log FSC × SSC,
  // started from the two sides of the FSC cut, separates the two populations in the plane;
  // above the live population's mean SSC an event is live where the live population is the
  // more probable. Needs 10 events on each side of the cut.
  void separate_dead_cd34(const std::vector<std::uint8_t>& cd34, double fcut) {
    const auto& f = values(*my_fsc);
    const gate::Dimension ssc = scatter_dimension("SSC-A");
    const auto& s = values(ssc);
    std::vector<std::vector<double>> columns(2);
    std::vector<std::size_t> initial;
    std::size_t dead = 0;
    // The fit needs a few thousand events, not every blast of a blast-rich tube.
    const std::size_t stride = std::max<std::size_t>(1, count(cd34) / 5000);
    std::size_t seen = 0;
    for (std::size_t e = 0; e < cd34.size(); ++e) {
      if (cd34[e] == 0 || !(f[e] > 0) || seen++ % stride != 0) continue;
      columns[0].push_back(std::log(f[e]));
      columns[1].push_back(s[e]);
      initial.push_back(f[e] < fcut ? 1 : 0);
      dead += initial.back();
    }
    if (dead < 10 || initial.size() - dead < 10) return;
    autogate::MultivariateMixture m;
    try {
      m = autogate::fit_multivariate_mixture(columns, initial, 2);
    } catch (const InputError&) {
      return;  // a side collapsed onto a line: the FSC cut stands alone
    }
    const auto& live = m.components[0];
    const auto& gone = m.components[1];
    // Dead cells are smaller and more granular; a smaller, less granular population below
    // the cut is live (small cells of another lineage), and the FSC cut stands alone.
    if (!(gone.mean[0] < live.mean[0]) || !(gone.mean[1] > live.mean[1])) return;
    // The boundary row by row: the lowest FSC above the dead population's centre where the
    // live population is the more probable (none: the row is dead).
    const auto [s_lo, s_hi] = std::minmax_element(columns[1].begin(), columns[1].end());
    const double f_hi = *std::max_element(columns[0].begin(), columns[0].end());
    constexpr std::size_t rows = 48, steps = 256;
    LiveBoundary b;
    const double top = std::exp(f_hi) * 1e3;
    std::vector<std::vector<double>> grid(2);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t k = 0; k <= steps; ++k) {
        grid[0].push_back(gone.mean[0] + (f_hi + 0.5 - gone.mean[0]) * static_cast<double>(k) / steps);
        grid[1].push_back(*s_lo + (*s_hi - *s_lo) * static_cast<double>(i) / (rows - 1));
      }
    }
    const auto p_live = m.posterior(0, grid);
    for (std::size_t i = 0; i < rows; ++i) {
      const double row = grid[1][i * (steps + 1)];
      // A dead cell is smaller and more granular than the live ones: at or below the live
      // population's SSC the FSC cut alone stands (smaller live populations, such as B
      // progenitors beside large blasts, lie there, and a two-population model would give
      // them to the dead).
      double at = row <= live.mean[1] ? 0.0 : top;
      for (std::size_t k = 0; k <= steps && row > live.mean[1]; ++k) {
        if (p_live[i * (steps + 1) + k] >= 0.5) {
          at = std::exp(grid[0][i * (steps + 1) + k]);
          break;
        }
      }
      b.ssc.push_back(row);
      b.fsc.push_back(std::max(at, fcut));
    }
    std::size_t kept = 0, above = 0;
    for (std::size_t e = 0; e < cd34.size(); ++e) {
      if (cd34[e] == 0 || !(f[e] >= fcut)) continue;
      ++above;
      kept += b.live(f[e], s[e]) ? 1 : 0;
    }
    my_a.cuts.back().evidence += fmt::format(
        "; a two-population mixture on log FSC × SSC (live {:.0f}%, dead {:.0f}% of {} events, started from this cut) leaves {} of "
        "the {} CD34+ events above it as live",
        100 * live.weight, 100 * gone.weight, initial.size(), kept, above);
    // The polygon the plan gates with: left of the boundary is dead, far right is open.
    std::vector<gate::Point> v;
    constexpr double far = 1e12;
    v.push_back({far, -far});
    v.push_back({b.fsc.front(), -far});
    for (std::size_t i = 0; i < rows; ++i) v.push_back({b.fsc[i], b.ssc[i]});
    v.push_back({b.fsc.back(), far});
    v.push_back({far, far});
    my_live_polygon = gate::PolygonGate{*my_fsc, ssc, v};
    my_live_cd34 = std::move(b);
  }

  // The CD34-negative reference: the T/NK cells when there are enough of them, else all
  // lymphocytes. T/NK cells carry no CD19, so neither hematogones nor CD19+ blasts, which can
  // reach the lymphocytes' CD45 in a regenerating or blast-rich marrow (and some of which
  // carry CD34), are among them.
  // Below 20 lymphocytes the granulocytes serve (cd34_cut). A plan id, as Cut::references.
  std::string cd34_reference_id() const {
    if (count(my_refs.tnk) >= 200) return "ref_t_nk";
    return count(my_refs.lymphocytes) >= 20 ? "ref_lymphocytes" : "ref_granulocytes";
  }

  autogate::Threshold cd34_cut(const std::vector<double>& v, const std::vector<std::uint8_t>& members) {
    const bool tnk = cd34_reference_id() == "ref_t_nk";
    const auto lymph = sample(v, tnk ? my_refs.tnk : my_refs.lymphocytes);
    const char* lymph_name = tnk ? "T/NK cells" : "lymphocytes";
    const auto gran = sample(v, my_refs.granulocytes);
    const auto x = sample(v, members);
    double limit = 0;
    std::string from;
    // The lymphocytes' 95th percentile: inside the negatives, and robust to the few blasts
    // that reach the lymphocyte gate in a blast-rich tube (a quantile near 1 would follow
    // them, and dim-CD34 blasts can start just above the lymphocytes' 99th percentile). The
    // cut is the least dense point between it and the CD34+ peak.
    if (lymph.size() >= 20) {
      limit = autogate::quantile(lymph, 0.95);
      from = fmt::format("the 95th percentile of {} {}", lymph.size(), lymph_name);
    } else if (gran.size() >= 50) {
      limit = autogate::quantile(gran, 0.995);
      from = fmt::format("the 99.5th percentile of {} granulocytes", gran.size());
    } else {
      autogate::ThresholdOptions o;
      o.max_depth = 0.5;
      autogate::Threshold t = valley_or(x, o, 0.5);
      t.weak = true;
      t.reason = "no lymphocytes or granulocytes as a CD34-negative reference";
      return t;
    }
    autogate::Threshold t;
    t.method = autogate::ThresholdMethod::negative_reference;
    t.negative_peak = limit;
    t.events = x.size();
    std::size_t above = 0;
    for (std::size_t e = 0; e < v.size(); ++e) above += members[e] != 0 && v[e] >= limit;
    if (above < 10 || x.size() < 50) {
      t.value = limit;
      t.positive_peak = nan;
      return with_evidence(t, fmt::format("{} events above {} ({:.3g}): no CD34+ population; cut there", above, from, limit));
    }
    // The CD34+ population: the most prominent peak of the events above the limit (the
    // negatives' tail falls from the limit; CD34+ cells rise again above it).
    std::vector<double> upper;
    for (const double e : x) {
      if (e >= limit) upper.push_back(e);
    }
    autogate::DensityOptions dopt;
    dopt.upper_quantile = 1.0;
    dopt.lower_quantile = 0.0;
    const autogate::Density dd = autogate::estimate_density(upper, dopt);
    const autogate::Peak* best = nullptr;
    const auto peaks = autogate::find_peaks(dd, 0.01);
    // A CD34+ population peaks beyond the CD34-negative lymphocytes: a bump inside their
    // 99.5th percentile is their own spread. Their limit is mirrored from their lower side
    // (median + their lower side's reach), which the few blasts in a blast-rich tube's lymphocyte
    // gate cannot reach. (The monocytes' own percentile is no floor: CD45-intermediate
    // blasts can fall in their gate.)
    // With few lymphocytes (a blast-rich tube) the lower side is too few events for its far
    // quantile, and its Gaussian-scaled spread overshoots; the upper side then gives a second
    // estimate, their 95th percentile scaled as for a Gaussian (2.5758/1.6449), and the
    // tighter of the two stands (blasts above the 95th percentile would widen the upper
    // estimate, never narrow it).
    double floor = limit;
    if (lymph.size() >= 20) {
      const double median = autogate::quantile(lymph, 0.5);
      double reach = autogate::side_reach(lymph, median, false);
      if (lymph.size() < 400) reach = std::min(reach, 2.5758293035489 / 1.6448536269514722 * (limit - median));
      if (std::isfinite(reach)) floor = std::max(floor, median + reach);
    }
    for (const auto& p : peaks) {
      if (p.position > std::max(limit + 2 * dd.bandwidth, floor) && (best == nullptr || p.prominence > best->prominence)) best = &p;
    }
    // No CD34+ population: nothing but the negatives' tails lies above the limit, so the cut
    // goes where the negatives end (the 99.9th percentile of the SSC-low cells).
    const auto no_population = [&](const std::string& why) {
      t.value = std::max(limit, autogate::quantile(x, 0.999));
      t.positive_peak = nan;
      return with_evidence(t, fmt::format("{} events above {} ({:.3g}) {}: no CD34+ population; cut where the negatives end, "
                                          "at the SSC-low cells' 99.9th percentile {:.3g}",
                                          above, from, limit, why, t.value));
    };
    if (best == nullptr) return no_population(fmt::format("form no peak beyond the CD34-negative references (up to {:.3g})", floor));
    const double peak = best->position;
    // A population is separated from the negatives' tail by a trough (its prominence among
    // the events above the limit); a ripple on the tail is no population.
    if (best->height > 0 && best->prominence / best->height < 0.2) {
      return no_population(fmt::format("have no trough below their highest bump {:.3g}", peak));
    }
    const auto w = autogate::window_minimum(x, limit, peak, dopt);
    t.value = std::isfinite(w.value) ? std::max(limit, w.value) : limit;
    t.positive_peak = peak;
    t.valley_depth = w.density_ratio;
    return with_evidence(t, fmt::format("least dense CD34 {:.3g} between {} ({:.3g}) and the CD34+ peak {:.3g} ({} events above the limit)",
                                        t.value, from, limit, peak, above));
  }

  static autogate::Threshold with_evidence(autogate::Threshold t, std::string text) {
    t.note = std::move(text);
    return t;
  }

  // A lone positive population peaking at `mode`: its lower edge (99.5 % of it above), from
  // its upper side, which no negative reaches.
  static double lone_positive_edge(const std::vector<double>& x, double mode, double fallback_sd) {
    constexpr double z = 2.5758293035489;
    const double up = autogate::side_spread(x, mode, true);
    return mode - z * (std::isfinite(up) ? up : fallback_sd);
  }

  // Its cut: the least dense point between the reference negatives' limit and that edge, or
  // the limit itself when the edge is not above it (a valley refines, never inverts).
  static double lone_positive_cut(const std::vector<double>& x, double ref, double edge) {
    const auto w = edge > ref ? autogate::window_minimum(x, ref, edge) : autogate::WindowMinimum{};
    return std::isfinite(w.value) ? w.value : ref;
  }

  // The cut between a marker's negatives and positives within `members` when they form
  // separate peaks (CD19 on progenitors: absent or bright). The reference negatives' 99.5th
  // percentile says which peaks are negative; the cut is the least dense point between the
  // negative and the positive peak, lowered to the negatives' own 99.5th percentile (from
  // their lower side) when that lies below. With no negative peak, the least dense point
  // between the reference's limit and the positives' lower edge: a density valley refines
  // the cut between those levels and never inverts it.
  autogate::Threshold split_cut(const std::vector<double>& v, const std::vector<std::uint8_t>& members,
                                const std::string& marker) {
    constexpr double z = 2.5758293035489;
    const auto x = sample(v, members);
    const auto neg = sample(v, my_negatives);
    if (neg.size() < 50 || x.size() < 20) return mixture_cut(v, members, marker);
    const double ref = autogate::quantile(neg, 0.995);
    const autogate::Density d = autogate::estimate_density(x);
    const autogate::Peak* n = nullptr;
    const autogate::Peak* p = nullptr;
    const auto peaks = autogate::find_peaks(d, 0.01);
    for (const auto& peak : peaks) {
      auto& slot = peak.position <= ref ? n : p;
      if (slot == nullptr || peak.height > slot->height) slot = &peak;
    }
    autogate::Threshold t;
    t.events = x.size();
    t.method = autogate::ThresholdMethod::negative_reference;
    t.negative_peak = n != nullptr ? n->position : nan;
    t.positive_peak = p != nullptr ? p->position : nan;
    const std::string ref_text = fmt::format("{} reference negatives' 99.5th percentile {:.3g}", neg.size(), ref);
    if (p == nullptr) {
      const double sd = autogate::side_spread(x, n->position, false);
      t.value = n->position + z * (std::isfinite(sd) ? sd : d.bandwidth);
      t.note = fmt::format("one {} population at {:.3g}, below the {}: negative; cut at its 99.5th percentile {:.3g}",
                           marker, n->position, ref_text, t.value);
      return t;
    }
    if (n != nullptr) {
      const auto w = autogate::window_minimum(x, n->position, p->position);
      const double sd = autogate::side_spread(x, n->position, false);
      const double limit = n->position + z * (std::isfinite(sd) ? sd : d.bandwidth);
      t.value = std::min(w.value, limit);
      t.valley_depth = w.density_ratio;
      t.note = fmt::format("{} negatives at {:.3g} (below the {}), positives at {:.3g}; least dense point {:.3g}, the negatives' 99.5th "
                           "percentile {:.3g}: cut {:.3g}",
                           marker, n->position, ref_text, p->position, w.value, limit, t.value);
      return t;
    }
    const double edge = lone_positive_edge(x, p->position, d.bandwidth);
    t.value = lone_positive_cut(x, ref, edge);
    t.note = fmt::format("one {} population at {:.3g}, above the {}: positive; cut at the least dense point between that limit and its "
                         "lower edge {:.3g}: {:.3g}",
                         marker, p->position, ref_text, edge, t.value);
    return t;
  }

  // The plan id of the internal negative reference for CD19 and CD22 (my_negatives).
  std::string negatives_id() const { return count(my_refs.tnk) >= 50 ? "ref_t_nk" : "ref_granulocytes"; }

  // The mode of the large cells that carry neither CD19 nor CD22 (monocytes; granulocytes
  // when a tube has too few monocytes): the autofluorescence no CD19/CD22-negative
  // progenitor exceeds. NaN when neither population has 50 events.
  double large_negatives_mode(const std::vector<double>& v) const {
    for (const auto* ref : {&my_refs.monocytes, &my_refs.granulocytes}) {
      const auto x = sample(v, *ref);
      if (x.size() >= 50) return autogate::mode(x);
    }
    return nan;
  }

  // A positive population with a density peak of its own above a negative one: the least
  // dense point between the two, when the density there falls below 80 % of the lower peak.
  // On a logicle scale a spillover-broadened negative population has a long lower tail, so
  // its spread (a Gaussian's SD, or its sides' spreads) over-states how far its upper side
  // reaches, and dim positives (pre-escape CD22) sit inside that reach but beyond the trough.
  // NaN when there is no such pair of peaks.
  template <class IsPositive>
  static double trough_below_positive_peak(const autogate::Density& d, IsPositive positive) {
    const auto peaks = autogate::find_peaks(d, 0.02);
    const autogate::Peak* pos = nullptr;
    for (const auto& p : peaks) {
      if (positive(p.position) && (pos == nullptr || p.height > pos->height)) pos = &p;
    }
    if (pos == nullptr) return nan;
    const autogate::Peak* neg = nullptr;
    for (const auto& p : peaks) {
      if (p.position < pos->position && !positive(p.position) && (neg == nullptr || p.height > neg->height)) neg = &p;
    }
    if (neg == nullptr) return nan;
    std::size_t best = d.values.size();
    for (std::size_t i = d.index(neg->position); i <= d.index(pos->position); ++i) {
      if (best == d.values.size() || d.values[i] < d.values[best]) best = i;
    }
    return d.values[best] < 0.8 * std::min(neg->height, pos->height) ? d.x(best) : nan;
  }

  // `t` lowered to the trough below a positive density peak (trough_below_positive_peak),
  // never raised: a valley refines the negatives' limit, it does not replace it.
  template <class IsPositive>
  static autogate::Threshold lowered_to_trough(autogate::Threshold t, const autogate::Density& d, IsPositive positive) {
    const double trough = trough_below_positive_peak(d, positive);
    if (std::isfinite(trough) && trough < t.value) {
      t.note += fmt::format("; a positive peak of its own lies above the trough at {:.3g}: cut there", trough);
      t.value = trough;
    }
    return t;
  }

  // The cut between a marker's negatives and positives within `members`, from a one- or
  // two-component Gaussian mixture of their values (BIC decides). The negatives' 99.5th
  // percentile is the cut, the positivity rule of a hand-gater's internal negative. The
  // reference negatives (T/NK cells for CD19 and CD22) say what is positive: a population
  // centred beyond half-way from their mode to their 99.5th percentile, and brighter than
  // the monocytes' mode (progenitors are larger than T/NK cells, and their autofluorescence
  // alone can carry them half-way, never past the large CD19/CD22-negative cells'). A
  // positive population is never read as negative, and a density valley between two
  // negative populations never makes the brighter one positive.
  autogate::Threshold mixture_cut(const std::vector<double>& v, const std::vector<std::uint8_t>& members,
                                  const std::string& marker) {
    constexpr double z = 2.5758293035489;  // the 99.5th percentile of a standard normal
    const auto x = sample(v, members);
    const auto neg = sample(v, my_negatives);
    const double ref = neg.size() >= 50 ? autogate::quantile(neg, 0.995) : nan;
    autogate::Threshold t;
    t.events = x.size();
    t.method = autogate::ThresholdMethod::negative_reference;
    t.positive_peak = nan;
    const std::string ref_text = std::isfinite(ref) ? fmt::format("{} reference negatives' 99.5th percentile {:.3g}", neg.size(), ref)
                                                    : std::string("no reference negatives");
    if (x.size() < 20) {
      t.value = std::isfinite(ref) ? ref : 0.5;
      t.weak = x.size() < 2 || !std::isfinite(ref);
      t.reason = "too few events and no reference";
      t.note = fmt::format("{} events: too few for a {} mixture; cut at the {}", x.size(), marker, ref_text);
      return t;
    }
    const double ref_mode = neg.size() >= 50 ? autogate::mode(neg) : nan;
    const double large = large_negatives_mode(v);
    const auto positive = [&](double centre) { return std::isfinite(ref) && centre > (ref_mode + ref) / 2 && !(centre <= large); };
    const std::string rule = fmt::format("half-way to the {} and the monocytes' mode {:.3g}", ref_text, large);
    const auto one = autogate::fit_gaussian_mixture(x, 1);
    const auto two = autogate::fit_gaussian_mixture(x, 2);
    const double n = static_cast<double>(x.size());
    const auto& lo = two.components.front();
    const auto& hi = two.components.back();
    // A negative population broadened by spillover spreading (a bright CD34 signal spilling
    // into CD22) is flat-topped on the logicle scale, and a mixture splits it into a lower and
    // an upper half. Real negatives sit where the reference negatives do: a lower component
    // below the reference's lower limit (its 99.5th percentile mirrored below its mode) is the
    // lower half of one broad population, not a population of its own.
    const double ref_floor = std::isfinite(ref) ? 2 * ref_mode - ref : -inf;
    const bool separated = two.components.size() == 2 && two.bic < one.bic && hi.mean > lo.mean + z * lo.sd &&
                           lo.weight * n >= 3 && hi.weight * n >= 3 && lo.mean >= ref_floor;
    if (separated && positive(hi.mean)) {
      t.negative_peak = lo.mean;
      t.positive_peak = hi.mean;
      if (std::isfinite(ref) && lo.mean > ref) {
        t.value = std::max(ref, lo.mean - z * lo.sd);
        t.note = fmt::format("two {} populations ({:.3g} and {:.3g}, {:.0f}/{:.0f} events), both above the {}: all positive; cut {:.3g}",
                             marker, lo.mean, hi.mean, lo.weight * n, hi.weight * n, ref_text, t.value);
        return t;
      }
      t.value = lo.mean + z * lo.sd;
      t.note = fmt::format("{} negatives {:.3g} ± {:.3g} ({:.0f} events) and positives {:.3g} ± {:.3g} ({:.0f} events), BIC {:.1f} vs {:.1f} "
                           "for one population; cut at the negatives' 99.5th percentile {:.3g} ({})",
                           marker, lo.mean, lo.sd, lo.weight * n, hi.mean, hi.sd, hi.weight * n, two.bic, one.bic, t.value, ref_text);
      return lowered_to_trough(t, autogate::estimate_density(x), positive);
    }
    if (separated) {
      t.negative_peak = hi.mean;
      t.value = hi.mean + z * hi.sd;
      t.note = fmt::format("two {} populations ({:.3g} and {:.3g}, {:.0f}/{:.0f} events), the brighter not beyond {}: both negative; cut "
                           "at the brighter one's 99.5th percentile {:.3g}",
                           marker, lo.mean, hi.mean, lo.weight * n, hi.weight * n, rule, t.value);
      return t;
    }
    // One population (or two that overlap too much to resolve): where its density peaks says
    // what it is (possibly with a few negatives beneath a positive's lower side).
    const autogate::Density d = autogate::estimate_density(x);
    const double mode = autogate::mode(d, autogate::quantile(x, 0.5));
    if (positive(mode)) {
      const double edge = lone_positive_edge(x, mode, d.bandwidth);
      t.positive_peak = mode;
      t.negative_peak = nan;
      t.value = lone_positive_cut(x, ref, edge);
      t.note = fmt::format("one {} population peaking at {:.3g}, beyond {}: positive; cut at the least dense point between that limit "
                           "and its lower edge {:.3g}: {:.3g}",
                           marker, mode, rule, edge, t.value);
      return t;
    }
    const double centre = autogate::quantile(x, 0.5);
    const double lower = autogate::side_spread(x, centre, false, 0.9);
    const double upper = autogate::side_spread(x, centre, true, 0.9);
    const double sd = std::isfinite(lower) && std::isfinite(upper) ? std::min(lower, upper) : one.components.front().sd;
    t.negative_peak = mode;
    t.value = centre + z * sd;
    t.note = fmt::format("one {} population peaking at {:.3g}, not beyond {}: negative; cut at its 99.5th percentile {:.3g} (median "
                         "{:.3g} + 2.58 × {:.3g}, the narrower of its lower side's spread {:.3g}, stretched by the logicle scale, "
                         "and its upper side's {:.3g}, widened by any positives)",
                         marker, mode, rule, t.value, centre, sd, lower, upper);
    return lowered_to_trough(t, d, positive);
  }

  // The cut between negative and positive events of `members` on `v`. A density valley
  // counts only if its lower peak is negative by the internal reference (below the
  // reference's 99.5th percentile); with one population, the reference says whether it is
  // negative (cut above its tail) or positive (cut at the reference); too few events for a
  // density also take the reference.
  autogate::Threshold positive_cut(const std::vector<double>& v, const std::vector<std::uint8_t>& members,
                                   std::optional<double> negative_ceiling = std::nullopt) {
    const auto x = sample(v, members);
    const auto neg = sample(v, my_negatives);
    // What "negative" means here: the reference's 99.5th percentile, or a stated ceiling for
    // a marker the reference cells carry (CD38 on granulocytes).
    const bool have_reference = negative_ceiling.has_value() || neg.size() >= 50;
    autogate::Threshold ref;
    if (negative_ceiling) {
      ref.value = *negative_ceiling;
      ref.method = autogate::ThresholdMethod::fixed;
      ref.positive_peak = std::numeric_limits<double>::quiet_NaN();
    } else if (have_reference) {
      ref = autogate::reference_threshold(neg, 0.995);
    }
    if (x.size() < 50) {
      if (have_reference) {
        ref.weak = x.size() < 2;
        ref.reason = fmt::format("only {} events: cut at the negatives' limit", x.size());
        return ref;
      }
      if (x.size() < 2) {
        autogate::Threshold t;
        t.value = 0.5;
        t.method = autogate::ThresholdMethod::fixed;
        t.weak = true;
        t.reason = "no events and no negative reference";
        return t;
      }
    }
    autogate::ThresholdOptions o;
    if (have_reference) o.negative_peak_max = ref.value;
    o.max_depth = 0.5;  // a shallow dip inside one population (noise) is not a valley
    autogate::Threshold t = valley_or(x, o, 0.5);
    if (t.method == autogate::ThresholdMethod::valley && x.size() >= 100) {
      // The negatives' own upper limit (3 SDs of their lower side, which no positive
      // reaches) when it lies below the valley: dim positives in the valley's shoulder are
      // positives, as a hand-gater placing the cut at the negatives' edge would count them.
      const double sd = autogate::side_spread(x, t.negative_peak, false);
      const double edge = t.negative_peak + o.tail_sds * sd;
      if (std::isfinite(sd) && edge < t.value) {
        t.note = fmt::format("valley at {:.3g} between peaks {:.3g} and {:.3g}; the negatives end below it, at {:.3g} "
                             "({} SDs of their lower side): cut there",
                             t.value, t.negative_peak, t.positive_peak, edge, o.tail_sds);
        t.value = edge;
      }
    }
    if (t.method == autogate::ThresholdMethod::negative_tail && have_reference && t.negative_peak > ref.value) {
      // The only peak is positive. Its upper side is free of negatives, so its spread there
      // places its lower edge; events below both that edge and the negatives' limit are the
      // negatives (e.g. a few CD19− progenitors beside a CD19+ blast cluster).
      const double lower_sd = (t.value - t.negative_peak) / o.tail_sds;
      const double upper_sd = t.asymmetry * lower_sd;
      const double edge = t.negative_peak - 4 * upper_sd;
      t.positive_peak = t.negative_peak;
      t.negative_peak = ref.negative_peak;
      t.value = std::max(ref.value, edge);
      t.method = autogate::ThresholdMethod::negative_reference;
      t.weak = false;
      t.reason.clear();
      t.valley_depth = std::numeric_limits<double>::quiet_NaN();
    }
    return t;
  }


  // The sorted lineage compartments of seed 000 over all leukocytes, when the panel has
  // their markers: B-lineage CD19+, T cells CD3+, myeloid (CD33+ or CD13+) CD19−. T cells
  // are the internal negative for CD33 and CD13 (granulocytes carry CD13, so they cannot be).
  void gate_lineages(const std::vector<std::uint8_t>& leukocytes) {
    // A compartment-sort panel names a myeloid marker; the escape panel's CD3 only marks the
    // T cells of the lymphocyte reference (t_cell_cd45_edge).
    if (!my_sort_panel || (!has("CD3") && !has("CD33") && !has("CD13"))) return;
    const gate::Dimension d19 = marker_dimension("CD19");
    const auto& v19 = values(d19);
    const double c19 = record("B_lineage_CD19", d19, "leukocytes", positive_cut(v19, leukocytes), {negatives_id()});
    gate::Interval pos19{d19};
    pos19.min = c19;
    gate::Interval neg19{d19};
    neg19.max = c19;
    my_a.plan.add_gate({"b_lineage", "leukocytes", "B-lineage CD19+", gate::RectangleGate{{pos19}}});
    std::vector<std::uint8_t> t_cells;
    if (has("CD3")) {
      const gate::Dimension d3 = marker_dimension("CD3");
      const auto& v3 = values(d3);
      const double c3 = record("CD3", d3, "leukocytes", positive_cut(v3, leukocytes));
      gate::Interval pos3{d3};
      pos3.min = c3;
      my_a.plan.add_gate({"t_cells", "leukocytes", "T cells CD3+", gate::RectangleGate{{pos3}}});
      t_cells = leukocytes;
      for (std::size_t e = 0; e < t_cells.size(); ++e) t_cells[e] = t_cells[e] != 0 && v3[e] >= c3;
    }
    std::vector<gate::BooleanGate::Operand> myeloid;
    const auto saved = my_negatives;
    if (count(t_cells) >= 50) my_negatives = t_cells;
    for (const char* marker : {"CD33", "CD13"}) {
      if (!has(marker)) continue;
      const gate::Dimension d = marker_dimension(marker);
      const auto& v = values(d);
      const double c = record(marker, d, "leukocytes", positive_cut(v, leukocytes));
      gate::Interval pos{d};
      pos.min = c;
      const std::string id = std::string("myeloid_") + marker;
      my_a.plan.add_gate({id, "leukocytes", std::string(marker) + "+CD19−", gate::RectangleGate{{pos, neg19}}});
      myeloid.push_back({id});
      my_structural.push_back(id);
    }
    my_negatives = saved;
    if (myeloid.size() == 1) {
      // One myeloid marker: its own gate is the compartment.
      my_structural.pop_back();
      my_a.plan.add_gate({"myeloid", "leukocytes", "myeloid (CD33+ or CD13+) CD19−",
                          gate::BooleanGate{gate::BooleanGate::Op::and_op, {myeloid[0], myeloid[0]}}});
      my_structural.push_back(myeloid[0].gate);
    } else if (myeloid.size() == 2) {
      my_a.plan.add_gate({"myeloid", "leukocytes", "myeloid (CD33+ or CD13+) CD19−",
                          gate::BooleanGate{gate::BooleanGate::Op::or_op, myeloid}});
    }
  }

  // A cut from the negative-control tube: its events are gated with this sample's plan up to
  // `parent` (and below each `below` cut), and the cut is their 99.5th percentile on `d`.
  autogate::Threshold control_cut(const gate::Dimension& d, const std::string& parent,
                                  const std::vector<std::pair<gate::Dimension, double>>& below) {
    const fcs::DataSet& control = *my_options.negative_control;
    gate::ApplyOptions o;
    o.file_spillover = control.spillover ? &*control.spillover : my_apply.file_spillover;
    o.num_threads = my_apply.num_threads;
    try {
      const gate::GatingResult r = gate::apply(my_a.plan, control.events, o);
      const gate::Membership& m = r.membership(parent);
      const auto v = gate::dimension_values(my_a.plan, control.events, d, o);
      std::vector<std::vector<double>> limits;
      for (const auto& [dim, cut] : below) limits.push_back(gate::dimension_values(my_a.plan, control.events, dim, o));
      std::vector<double> x;
      for (std::size_t i = 0; i < v.size(); ++i) {
        bool in = m.test(i);
        for (std::size_t k = 0; in && k < below.size(); ++k) in = limits[k][i] < below[k].second;
        if (in) x.push_back(v[i]);
      }
      if (x.size() < 2) throw InputError(ErrorKind::invalid_argument, "", "", "fewer than 2 events in the parent");
      autogate::Threshold t = autogate::reference_threshold(x, 0.995);
      t.reason = t.weak ? fmt::format("negative control: {}", t.reason) : "";
      return t;
    } catch (const Error& e) {
      throw InputError(ErrorKind::invalid_argument, my_a.source, "negative control",
                       fmt::format("cannot give the {} cut: {}", d.channel, e.what()));
    }
  }

  gate::Dimension scatter_dimension(std::string_view name) {
    const std::string& channel = my_a.markers.channel(name);
    gate::Dimension d = gate::Dimension::of(channel);
    const std::string id = "logicle:" + channel;
    if (my_a.plan.find_transform(id) == nullptr) {
      const auto p = my_data.find_parameter(channel);
      const LogicleScale s = scale_of(p ? my_data.parameters[*p].range : 0);
      my_a.plan.add_transform(id, transform::LogicleTransform(s.t, 0.5, s.m, 0));
    }
    d.transform = id;
    return d;
  }

  void gate_quadrant(const std::vector<std::uint8_t>& cd34) {
    // CD19 from all CD34+ events (blasts and B progenitors against the rest).
    const gate::Dimension d19 = marker_dimension("CD19");
    const auto& v19 = values(d19);
    const double c19 = record("CD19", d19, "CD34+ SSC-low",
                              my_options.negative_control ? control_cut(d19, "cd34", {}) : split_cut(v19, cd34, "CD19"),
                              my_options.negative_control ? std::vector<std::string>{} : std::vector<std::string>{negatives_id(), "ref_monocytes"});
    my_cd34 = cd34;
    std::vector<std::uint8_t> cd19neg = cd34;
    for (std::size_t e = 0; e < cd19neg.size(); ++e) cd19neg[e] = cd19neg[e] != 0 && v19[e] < c19;
    if (has("CD22")) {
      quadrant(d19, c19, cd19neg);
    } else {
      // Without CD22 the CD19− CD34+ events cannot be split into pre-escape and non-B cells.
      my_a.not_measured.push_back({"pre_escape", "CD34+CD19−CD22+", "the tube has no CD22 stain"});
      my_a.not_measured.push_back({"b_committed", "CD34+CD19+CD22+", "the tube has no CD22 stain"});
      my_a.not_measured.push_back({"cd19_only", "CD34+CD19+CD22−", "the tube has no CD22 stain"});
      my_a.not_measured.push_back({"non_b", "CD34+CD19−CD22−", "the tube has no CD22 stain"});
      my_a.warnings.push_back({my_a.source, "CD22",
                               "the tube has no CD22 stain: pre-escape cells (CD34+CD19−CD22+) cannot be measured"});
      gate::Interval neg19{d19};
      neg19.max = c19;
      gate::Interval pos19{d19};
      pos19.min = c19;
      my_a.plan.add_gate({"cd34_cd19neg", "cd34", "CD34+CD19−", gate::RectangleGate{{neg19}}});
      my_a.plan.add_gate({"cd34_cd19pos", "cd34", "CD34+CD19+", gate::RectangleGate{{pos19}}});
    }
    if (has("CD38")) {
      compartments(d19, c19, cd19neg);
    } else {
      my_a.not_measured.push_back({"hsc", "CD34+CD38−CD19−", "the tube has no CD38 stain"});
      my_a.not_measured.push_back({"progenitor", "CD34+CD38+CD19−", "the tube has no CD38 stain"});
    }
  }

  // The CD19 × CD22 quadrant within CD34+ (SPEC.md; seed 001). CD22 is cut on the CD19−
  // CD34+ events, where the pre-escape cells must be told from CD22− progenitors.
  void quadrant(const gate::Dimension& d19, double c19, const std::vector<std::uint8_t>& cd19neg) {
    const gate::Dimension d22 = marker_dimension("CD22");
    const auto& v22 = values(d22);
    const double c22 = record("CD22", d22, "CD34+ CD19−",
                              my_options.negative_control ? control_cut(d22, "cd34", {{d19, c19}})
                                                          : mixture_cut(v22, cd19neg, "CD22"),
                              my_options.negative_control ? std::vector<std::string>{} : std::vector<std::string>{negatives_id(), "ref_monocytes"});
    gate::QuadrantGate q;
    q.id = "cd19_cd22";
    q.parent = "cd34";
    q.dividers = {{"CD19", d19, {c19}}, {"CD22", d22, {c22}}};
    const double lo19 = c19 - 1, hi19 = c19 + 1, lo22 = c22 - 1, hi22 = c22 + 1;
    q.quadrants = {{"pre_escape", "CD34+CD19−CD22+", {{"CD19", lo19}, {"CD22", hi22}}},
                   {"b_committed", "CD34+CD19+CD22+", {{"CD19", hi19}, {"CD22", hi22}}},
                   {"cd19_only", "CD34+CD19+CD22−", {{"CD19", hi19}, {"CD22", lo22}}},
                   {"non_b", "CD34+CD19−CD22−", {{"CD19", lo19}, {"CD22", lo22}}}};
    my_a.plan.add_quadrant_gate(q);
    my_pre_escape_blank = quadrant_blank(values(d19), c19, v22, c22, cd19neg);
  }

  // The limit of blank of the pre-escape quadrant (CLSI EP17): how many events would fall in
  // it with no pre-escape cell at all. The CD34+CD19−CD22− events cross the CD22 cut as often
  // as the reference negatives (T/NK cells) do; the CD34+CD19+CD22+ events cross the CD19 cut
  // as their upper side, mirrored as a Gaussian, says.
  double quadrant_blank(const std::vector<double>& v19, double c19, const std::vector<double>& v22, double c22,
                        const std::vector<std::uint8_t>& cd19neg) const {
    const std::size_t n = v22.size();
    const auto ref = sample(v22, my_negatives);
    if (ref.size() < 50) return nan;
    const double beyond = static_cast<double>(std::count_if(ref.begin(), ref.end(), [&](double v) { return v >= c22; })) /
                          static_cast<double>(ref.size());
    double negatives = 0;
    std::vector<std::uint8_t> in_committed(n, 0);
    for (std::size_t e = 0; e < n; ++e) {
      negatives += cd19neg[e] != 0 && v22[e] < c22;
      in_committed[e] = my_cd34[e] != 0 && v22[e] >= c22 && v19[e] >= c19;
    }
    double blank = beyond < 1 ? negatives * beyond / (1 - beyond) : negatives;
    const std::size_t committed_events = count(in_committed);
    const auto committed = sample(v19, in_committed);  // its shape; its size is committed_events
    if (committed.size() >= 20) {
      const auto d = autogate::estimate_density(committed);
      const double mode = d.x(static_cast<std::size_t>(std::max_element(d.values.begin(), d.values.end()) - d.values.begin()));
      const double sd = autogate::side_spread(committed, mode, true);
      if (std::isfinite(sd) && sd > 0 && mode > c19) {
        blank += static_cast<double>(committed_events) * 0.5 * std::erfc((mode - c19) / (sd * std::sqrt(2.0)));
      }
    }
    return blank;
  }

  // The stem/progenitor compartments of seed 000 within CD34+: HSC-enriched CD34+CD38−CD19−
  // and progenitor CD34+CD38+CD19−.
  void compartments(const gate::Dimension& d19, double c19, const std::vector<std::uint8_t>& cd19neg) {
    {
      const gate::Dimension d38 = marker_dimension("CD38");
      const auto& v38 = values(d38);
      const auto* t38 = my_a.plan.find_transform(d38.transform);
      // Granulocytes carry CD38, so they are no negative reference here: CD38− cells (HSC)
      // sit below about 300 on an 18-bit scale.
      const double c38 = record("CD38", d38, "CD34+ CD19−",
                                positive_cut(v38, cd19neg, t38->apply(anchor(d38.channel, 300.0))));
      gate::Interval neg19{d19};
      neg19.max = c19;
      gate::Interval low38{d38};
      low38.max = c38;
      gate::Interval high38{d38};
      high38.min = c38;
      my_a.plan.add_gate({"hsc", "cd34", "CD34+CD38−CD19−", gate::RectangleGate{{low38, neg19}}});
      my_a.plan.add_gate({"progenitor", "cd34", "CD34+CD38+CD19−", gate::RectangleGate{{high38, neg19}}});
    }
  }

  void finish() {
    // Gate on the very values the cuts were found on.
    gate::ApplyOptions final_apply = my_apply;
    for (const auto& d : my_a.plan.dimensions()) {
      if (auto it = my_values.find(d.label()); it != my_values.end()) final_apply.known_values.emplace_back(d, it->second);
    }
    my_a.result = gate::apply(my_a.plan, my_data.events, final_apply);
    const std::size_t cd34 = my_a.result.count("cd34");
    const std::size_t leuk = my_a.result.count("leukocytes");
    my_a.cd34 = cd34;
    my_a.leukocytes = leuk;
    for (const auto& id : my_a.plan.populations()) {
      if (id == "singlets" || id == "cells" || id == "leukocytes" || id == "cd34" || id == "blast_region" || id == "sized") continue;
      if (std::find(my_reference_gates.begin(), my_reference_gates.end(), id) != my_reference_gates.end()) continue;
      if (std::find(my_structural.begin(), my_structural.end(), id) != my_structural.end()) continue;
      PopulationCount p;
      p.name = id;
      p.phenotype = my_a.plan.name(id);
      p.gate = id;
      p.events = my_a.result.count(id);
      // Fewer CD34+ events than the LOD: no percentage of CD34+ means anything (a tube whose
      // progenitors are all gone, or CD34− blasts with no normal CD34+ cells).
      p.pct_of_cd34 = cd34 < my_a.limits.lod_events ? nan : 100.0 * static_cast<double>(p.events) / static_cast<double>(cd34);
      p.pct_of_leukocytes = leuk == 0 ? nan : 100.0 * static_cast<double>(p.events) / static_cast<double>(leuk);
      p.lod_pct_of_cd34 =
          cd34 == 0 ? nan : 100.0 * static_cast<double>(my_a.limits.lod_events) / static_cast<double>(cd34);
      const auto [low, high] = poisson_interval(p.events);
      p.ci_low = low;
      p.ci_high = high;
      if (id == "pre_escape" && std::isfinite(my_pre_escape_blank)) {
        p.blank_events = my_pre_escape_blank;
        p.lob_events = poisson_upper_quantile(my_pre_escape_blank, 0.95);
      }
      const bool above_blank = !std::isfinite(p.blank_events) || p.events > p.lob_events;
      p.status = p.events < my_a.limits.lod_events || !above_blank ? Status::below_lod
                 : p.events < my_a.limits.lloq_events               ? Status::below_lloq
                                                                    : Status::quantified;
      my_a.populations.push_back(p);
    }
    Quality& q = my_a.quality;
    const std::size_t n = my_data.events.event_count();
    q.events = n;
    const auto pct = [](std::size_t a, std::size_t b) {
      return b == 0 ? nan : 100.0 * static_cast<double>(a) / static_cast<double>(b);
    };
    q.singlet_pct = pct(my_a.result.count("singlets"), n);
    q.cells_pct = pct(my_a.result.count("cells"), my_a.result.count("singlets"));
    q.leukocyte_pct = pct(leuk, my_a.result.count("cells"));
    q.time_rate_cv = time_rate_cv();
    for (const auto& c : my_a.cuts) {
      if (c.weak) q.flags.push_back(fmt::format("gate {} needs review: {}", c.name, c.evidence));
    }
    if (cd34 < my_a.limits.lloq_events) {
      q.flags.push_back(fmt::format("only {} CD34+ events: frequencies of CD34+ are not quantifiable", cd34));
    }
    if (std::isfinite(q.time_rate_cv) && q.time_rate_cv > 20) {
      q.flags.push_back(fmt::format("event rate varies by {:.0f}% (CV) over the acquisition", q.time_rate_cv));
    }
  }

  // CV of the event count over 10 equal slices of the time channel.
  double time_rate_cv() const {
    const fcs::Parameter* time = my_data.time_parameter();
    if (time == nullptr) return nan;
    const auto column = my_data.events.find(time->name);
    if (!column) return nan;
    const auto t = my_data.events.channel(*column);
    if (t.size() < 100) return nan;
    const auto [lo, hi] = std::minmax_element(t.begin(), t.end());
    if (!(*hi > *lo)) return nan;
    std::array<double, 10> bins{};
    for (const double v : t) {
      const auto k = std::min<std::size_t>(9, static_cast<std::size_t>((v - *lo) / (*hi - *lo) * 10));
      bins[k] += 1;
    }
    double mean = 0;
    for (const double b : bins) mean += b / 10;
    double ss = 0;
    for (const double b : bins) ss += (b - mean) * (b - mean);
    return 100 * std::sqrt(ss / 9) / mean;
  }

  const fcs::DataSet& my_data;
  const AnalysisOptions& my_options;
  bool my_sort_panel = false;  // the panel names CD33 or CD13: lineage compartments are gated
  gate::ApplyOptions my_apply;
  Analysis my_a;
  std::map<std::string, std::vector<double>> my_values;
  struct SampleIndex {
    std::size_t limit;
    std::vector<std::uint8_t> members;
    std::vector<std::size_t> index;
  };
  mutable std::vector<SampleIndex> my_samples;  // sample_index's populations, oldest first
  std::optional<EventMatrix> my_strided_events;  // every event_stride()-th event (strided_values)
  std::vector<std::uint8_t> my_negatives;  // the internal negative reference for CD19 and CD22
  Reference my_refs;
  std::optional<gate::Dimension> my_fsc;       // FSC-A, when the panel has it
  double my_fsc_min = -inf;                     // the cells gate: the highest FSC cut
  std::optional<gate::Interval> my_viability;   // the cells gate: the viability cut
  std::vector<gate::Interval> my_cd34_intervals;
  gate::PolygonGate my_region;                 // the CD45-dim SSC-low blast region
  std::optional<LiveBoundary> my_live_cd34;     // live CD34+ cells on FSC × SSC, when separated
  std::optional<gate::PolygonGate> my_live_polygon;  // the same as a gate of the plan
  std::vector<std::uint8_t> my_cd34;           // CD34+ events, for the quadrant's blank
  double my_pre_escape_blank = nan;            // expected pre-escape events with none present
  std::vector<std::string> my_structural;  // gates that build a reported population, not reported
  std::vector<std::string> my_reference_gates;  // the reference populations' gates, not reported
};

}  // namespace

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::quantified:
      return "quantified";
    case Status::below_lloq:
      return "below_lloq";
    case Status::below_lod:
      return "below_lod";
  }
  return "?";
}

std::string PopulationCount::display() const {
  if (!std::isfinite(lod_pct_of_cd34) || !std::isfinite(pct_of_cd34)) {
    return status == Status::below_lod ? "< LOD" : "n/a (CD34+ below LOD)";
  }
  if (status == Status::below_lod) return fmt::format("< LOD ({:.3g}%)", lod_pct_of_cd34);
  return fmt::format("{:.3g}", pct_of_cd34);
}

const PopulationCount* Analysis::find(std::string_view name) const noexcept {
  for (const auto& p : populations) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Analysis analyze(const fcs::DataSet& data, const Panel& panel, const std::string& source,
                 const AnalysisOptions& options) {
  return Pipeline(data, panel, source, options).run();
}

}  // namespace escapade::bal
