// Event generation: labels, cells, pulses, spillover in detector space, photon-counting and
// electronic noise, drift; then the FCS data set as the instrument would write it.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include "libescapade/base/parallel.hpp"
#include "libescapade/sim/detail/model.hpp"
#include "libescapade/sim/detail/random.hpp"
#include "libescapade/sim/detail/truth.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::sim {
namespace {

using detail::marker_count;
using detail::Rng;

constexpr double negative_floor = 30;  // BD units: where a continuum starts from "negative"
constexpr double debris_threshold = 6000;  // BD units of FSC-H: the trigger threshold

// One population, ready to draw from: log-medians in instrument units.
struct PopModel {
  double mu_fsc = 0, sd_fsc = 0.1, mu_ssc = 0, sd_ssc = 0.2, af = 0;
  bool continuum = false;
  std::array<bool, marker_count> present{};
  std::array<double, marker_count> mu_a{}, mu_b{}, sd{};
};

struct Cell {
  double fsc = 0, ssc = 0, af = 0;
  double width = 1;  // pulse width relative to a typical singlet
  std::array<double, marker_count> expr{};
};

struct SpillEntry {
  std::size_t from, to;
  double value;
};

// Everything a block needs, shared read-only by all blocks.
struct Kernel {
  const detail::Instrument* in = nullptr;
  std::size_t events = 0;
  std::uint64_t seed = 0, stream = 0;
  std::array<PopModel, population_count> pops;
  std::array<double, population_count> cdf{};        // event labels
  std::array<double, population_count> leuk_cdf{};   // base population of a dead cell
  std::array<double, population_count> nuc_cdf{};    // constituents of a doublet
  std::vector<std::size_t> used_markers;             // markers some detector reads
  std::vector<SpillEntry> spill;
  double drift = 0;  // relative change first → last event
  // Output columns (instrument order is decided by the caller).
  double* scatter[6] = {};
  std::vector<double*> detector;
  double* time = nullptr;
};

Population pick(const std::array<double, population_count>& cdf, double u) {
  for (std::size_t i = 0; i < population_count; ++i) {
    if (u < cdf[i]) return static_cast<Population>(i);
  }
  // u beyond the last positive entry (rounding): the last population with mass.
  for (std::size_t i = population_count; i-- > 0;) {
    if (i == 0 || cdf[i] > cdf[i - 1]) return static_cast<Population>(i);
  }
  return Population::granulocyte;
}

std::array<double, population_count> make_cdf(std::array<double, population_count> w) {
  double sum = 0;
  for (double v : w) sum += v;
  std::array<double, population_count> cdf{};
  double acc = 0;
  for (std::size_t i = 0; i < population_count; ++i) {
    acc += sum > 0 ? w[i] / sum : 0;
    cdf[i] = acc;
  }
  return cdf;
}

void draw_cell(const Kernel& k, Population p, Rng& rng, Cell& c, double marker_scale) {
  const PopModel& pm = k.pops[static_cast<std::size_t>(p)];
  const double g = 0.08 * rng.normal();  // cell size: bigger cells scatter more and bind more antibody
  c.fsc += detail::exp(pm.mu_fsc + g + pm.sd_fsc * rng.normal());
  c.ssc += detail::exp(pm.mu_ssc + 0.5 * g + pm.sd_ssc * rng.normal());
  c.af += pm.af * detail::exp(0.3 * rng.normal());
  const double t = pm.continuum ? rng.uniform() : 0.0;
  for (std::size_t m : k.used_markers) {
    if (!pm.present[m]) continue;
    const double mu = pm.mu_a[m] + t * (pm.mu_b[m] - pm.mu_a[m]);
    c.expr[m] += marker_scale * detail::exp(mu + g + pm.sd[m] * rng.normal());
  }
}

// One event's cell(s) by label; returns the pulse width factor through c.width.
void draw_event(const Kernel& k, Population label, Rng& rng, Cell& c) {
  const double scale = k.in->scale;
  switch (label) {
    case Population::debris: {
      // Fragments below the trigger threshold are never recorded: draw until one passes.
      for (int tries = 0; tries < 64; ++tries) {
        c = Cell{};
        draw_cell(k, label, rng, c, 1.0);
        if (c.fsc >= debris_threshold * scale) break;
      }
      c.fsc = std::max(c.fsc, debris_threshold * scale);
      c.width = 0.8 + 0.1 * rng.normal();
      return;
    }
    case Population::dead: {
      const Population base = pick(k.leuk_cdf, rng.uniform());
      draw_cell(k, base, rng, c, 0.5);
      c.fsc *= 0.45 * detail::exp(0.2 * rng.normal());
      c.ssc *= 1.1 * detail::exp(0.25 * rng.normal());
      c.af *= 1.5;
      c.expr[static_cast<std::size_t>(detail::Marker::viability)] += detail::exp(detail::log(25000 * scale) + 0.45 * rng.normal());
      c.width = 0.9 + 0.05 * rng.normal();
      return;
    }
    case Population::doublet: {
      draw_cell(k, pick(k.nuc_cdf, rng.uniform()), rng, c, 1.0);
      draw_cell(k, pick(k.nuc_cdf, rng.uniform()), rng, c, 1.0);
      // Two cells side by side in the beam: the pulse is longer, barely higher.
      c.width = 1.55 + 0.35 * rng.uniform() + 0.05 * rng.normal();
      return;
    }
    default: {
      draw_cell(k, label, rng, c, 1.0);
      c.width = 1.0 + 0.035 * rng.normal() + 0.08 * (c.fsc / (60000 * scale) - 1);
      return;
    }
  }
}

inline double to_float(double v) { return static_cast<double>(static_cast<float>(v)); }

void run_block(const Kernel& k, std::size_t block, std::uint8_t* labels) {
  const detail::Instrument& in = *k.in;
  const std::size_t first = block * block_events, last = std::min(k.events, first + block_events);
  Rng rng(detail::stream_key(k.seed, k.stream, block + 1));
  const std::size_t nd = in.detectors.size();
  std::vector<double> dye(nd), sig(nd);
  const double fl_max = in.fl_range - 1, sc_max = in.scatter_range - 1;
  for (std::size_t i = first; i < last; ++i) {
    const Population label = pick(k.cdf, rng.uniform());
    labels[i] = static_cast<std::uint8_t>(label);
    Cell c;
    draw_event(k, label, rng, c);
    const double drift = 1 + k.drift * (k.events > 1 ? static_cast<double>(i) / static_cast<double>(k.events - 1) : 0);

    // Scatter pulses: area, height = area / width, width.
    const double wf = std::max(0.5, c.width);
    const double wf_s = std::max(0.5, wf + 0.03 * rng.normal());
    const double fsc_a = std::clamp(c.fsc + rng.normal() * std::sqrt(400 * in.scale * in.scale + c.fsc * in.scale), 0.0, sc_max);
    const double ssc_a = std::clamp(c.ssc + rng.normal() * std::sqrt(400 * in.scale * in.scale + c.ssc * in.scale), 0.0, sc_max);
    k.scatter[0][i] = to_float(fsc_a);
    k.scatter[1][i] = to_float(std::min(sc_max, fsc_a / wf));
    k.scatter[2][i] = to_float(std::min(sc_max, in.width_scale * wf));
    k.scatter[3][i] = to_float(ssc_a);
    k.scatter[4][i] = to_float(std::min(sc_max, ssc_a / wf_s));
    k.scatter[5][i] = to_float(std::min(sc_max, in.width_scale * wf_s));

    // Dyes → detectors through the spillover matrix (FCS 3.1 orientation), plus autofluorescence.
    for (std::size_t d = 0; d < nd; ++d) {
      double e = 0;
      for (auto m : in.detectors[d].markers) e += c.expr[static_cast<std::size_t>(m)];
      dye[d] = e * in.detectors[d].brightness * drift;
      sig[d] = c.af * in.scale * in.detectors[d].af_weight;
    }
    for (const auto& s : k.spill) sig[s.to] += dye[s.from] * s.value;
    // Photon counting (variance ∝ signal) and electronic noise, then saturation.
    for (std::size_t d = 0; d < nd; ++d) {
      const auto& det = in.detectors[d];
      const double var = det.noise_sd * det.noise_sd + std::max(sig[d], 0.0) * det.units_per_pe;
      k.detector[d][i] = to_float(std::min(fl_max, sig[d] + std::sqrt(var) * rng.normal()));
    }
    // Time: steady flow with jitter, quantised to the instrument's tick.
    const double t = (static_cast<double>(i) + rng.uniform()) / in.event_rate;
    k.time[i] = to_float(std::floor(t / in.time_resolution) * in.time_resolution);
  }
}

PopModel make_model(const detail::Phenotype& ph, double scale, const std::array<double, marker_count>& jitter) {
  PopModel pm;
  pm.mu_fsc = detail::log(ph.fsc * scale);
  pm.sd_fsc = ph.fsc_sd;
  pm.mu_ssc = detail::log(ph.ssc * scale);
  pm.sd_ssc = ph.ssc_sd;
  pm.af = ph.autofluorescence;
  pm.continuum = ph.continuum;
  for (std::size_t m = 0; m < marker_count; ++m) {
    const double a = ph.median[m], b = ph.median_end[m];
    pm.present[m] = a > 0 || b > 0;
    if (!pm.present[m]) continue;
    pm.mu_a[m] = detail::log(std::max(a, negative_floor) * scale * jitter[m]);
    pm.mu_b[m] = detail::log(std::max(b, negative_floor) * scale * jitter[m]);
    pm.sd[m] = ph.sdlog[m];
  }
  return pm;
}

std::string two(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string clock(double seconds) {
  const auto s = static_cast<long>(seconds);
  return two(static_cast<int>((s / 3600) % 24)) + ":" + two(static_cast<int>((s / 60) % 60)) + ":" +
         two(static_cast<int>(s % 60));
}

// The marker's name as stains write it.
std::string_view marker_name(detail::Marker m) {
  static constexpr std::string_view names[detail::marker_count] = {"CD45", "CD34", "CD19", "CD22", "CD38", "CD10", "CD20",
                                                                   "CD33", "CD13", "CD3",  "CD56", "CD14", "HLA-DR",
                                                                   "Viability"};
  return names[static_cast<std::size_t>(m)];
}

// `text` with the whole token `from` (bounded by anything but a letter or digit) replaced.
std::string replace_token(const std::string& text, std::string_view from, std::string_view to) {
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) {
    const bool left = at == 0 || !word(text[at - 1]);
    const bool right = at + from.size() == text.size() || !word(text[at + from.size()]);
    if (left && right) return text.substr(0, at) + std::string(to) + text.substr(at + from.size());
  }
  return text;
}

// The instrument as this sample's variation changes it (Variation in sim.hpp).
detail::Instrument varied_instrument(const detail::Instrument& base, const Variation& v, Rng& rng) {
  detail::Instrument in = base;
  const std::size_t n = in.detectors.size();
  std::vector<bool> keep(n, true);
  if (v.no_viability_dye) {
    for (std::size_t d = 0; d < n; ++d) {
      for (auto m : in.detectors[d].markers) keep[d] = keep[d] && m != detail::Marker::viability;
    }
  }
  std::vector<detail::Detector> detectors;
  std::vector<std::size_t> kept;
  for (std::size_t d = 0; d < n; ++d) {
    if (keep[d]) detectors.push_back(in.detectors[d]), kept.push_back(d);
  }
  std::vector<double> spill(kept.size() * kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    for (std::size_t j = 0; j < kept.size(); ++j) {
      const double value = base.spillover[kept[i] * n + kept[j]];
      spill[i * kept.size() + j] = i == j ? value : value * v.spillover_factor;
    }
  }
  in.detectors = std::move(detectors);
  in.spillover = std::move(spill);
  if (v.range_bits != 0) {
    const double range = std::ldexp(1.0, v.range_bits);
    const double g = range / in.fl_range;
    in.fl_range = range;
    for (auto& d : in.detectors) {
      d.brightness *= g;
      d.af_weight *= g;
      d.noise_sd *= g;
      d.units_per_pe *= g;
    }
  }
  if (v.shuffle_fluorochromes) {
    // Detectors that carry one marker (not the viability dye) trade markers and stains.
    std::vector<std::size_t> slots;
    for (std::size_t d = 0; d < in.detectors.size(); ++d) {
      const auto& m = in.detectors[d].markers;
      if (m.size() == 1 && m[0] != detail::Marker::viability) slots.push_back(d);
    }
    std::vector<detail::Marker> markers;
    for (const auto d : slots) markers.push_back(in.detectors[d].markers[0]);
    for (std::size_t i = markers.size(); i > 1; --i) std::swap(markers[i - 1], markers[rng.below(i)]);
    for (std::size_t k = 0; k < slots.size(); ++k) {
      auto& d = in.detectors[slots[k]];
      d.stain = replace_token(d.stain, marker_name(d.markers[0]), marker_name(markers[k]));
      d.markers = {markers[k]};
    }
  }
  return in;
}

}  // namespace

SimulatedSample simulate_sample(const SampleOptions& options) {
  SimulatedSample out;
  const Scenario sc = resolve_scenario(options);
  const SampleOptions& o = sc.options;
  const Variation& var = o.variation;
  Rng vrng(detail::stream_key(o.seed, o.stream, 0, 0x7a41a7eULL));
  const detail::Instrument in = varied_instrument(*detail::find_instrument(o.instrument), var, vrng);
  for (const auto& d : in.detectors) {
    for (auto m : d.markers) out.marker_channels.emplace_back(std::string(marker_name(m)), d.name);
  }
  const std::size_t n = o.events;

  Kernel k;
  k.in = &in;
  k.events = n;
  k.seed = o.seed;
  k.stream = o.stream;
  k.drift = o.drift_pct / 100;

  // Per-sample phenotype variation of the leukemic clone (patients differ), from the scenario stream.
  Rng prng(detail::stream_key(o.seed, o.stream, 0, 0x9e0f17e5ULL));
  auto jitter = [&]() {
    std::array<double, marker_count> j{};
    for (auto& v : j) v = std::clamp(detail::exp(0.25 * prng.normal()), 0.5, 2.0);
    return j;
  };
  const auto clone = jitter(), pre = jitter(), myeloid = jitter();
  std::array<double, marker_count> none{};
  none.fill(1.0);
  for (auto p : all_populations()) {
    const auto& j = (p == Population::blast || p == Population::blast_cd22neg || p == Population::blast_cd19neg) ? clone
                    : p == Population::pre_escape                                                                 ? pre
                    : p == Population::myeloid_blast                                                              ? myeloid
                                                                                                                  : none;
    if (p == Population::doublet || p == Population::dead) continue;
    detail::Phenotype ph = detail::phenotype_of(p);
    const bool leukemic = p == Population::blast || p == Population::blast_cd22neg || p == Population::blast_cd19neg ||
                          p == Population::blast_cd34neg;
    if (var.blast_cd45_negative && leukemic) {
      ph.median[static_cast<std::size_t>(detail::Marker::cd45)] = 0;
      ph.median_end[static_cast<std::size_t>(detail::Marker::cd45)] = 0;
    }
    if (p == Population::pre_escape) {
      ph.median[static_cast<std::size_t>(detail::Marker::cd22)] *= var.pre_escape_cd22_factor;
      ph.median_end[static_cast<std::size_t>(detail::Marker::cd22)] *= var.pre_escape_cd22_factor;
    }
    auto jp = leukemic ? clone : j;
    if (var.phenotype_sdlog > 0) {
      // Every population drifts from the table, per sample (a stream of its own, so that the
      // default world keeps its bytes).
      for (auto& f : jp) f *= std::clamp(detail::exp(var.phenotype_sdlog * vrng.normal()), 1.0 / 3, 3.0);
    }
    k.pops[static_cast<std::size_t>(p)] = make_model(ph, in.scale, jp);
  }
  k.cdf = make_cdf(sc.probability);
  auto leuk = sc.probability, nuc = sc.probability;
  for (auto p : {Population::debris, Population::doublet, Population::dead}) {
    leuk[static_cast<std::size_t>(p)] = 0;
    nuc[static_cast<std::size_t>(p)] = 0;
  }
  leuk[static_cast<std::size_t>(Population::erythroid)] = 0;
  k.leuk_cdf = make_cdf(leuk);
  k.nuc_cdf = make_cdf(nuc);
  {
    std::array<bool, marker_count> used{};
    for (const auto& d : in.detectors) {
      for (auto m : d.markers) used[static_cast<std::size_t>(m)] = true;
    }
    for (std::size_t m = 0; m < marker_count; ++m) {
      if (used[m]) k.used_markers.push_back(m);
    }
  }
  const std::size_t nd = in.detectors.size();
  for (std::size_t i = 0; i < nd; ++i) {
    for (std::size_t j = 0; j < nd; ++j) {
      const double v = in.spillover[i * nd + j];
      if (v != 0) k.spill.push_back({i, j, v});
    }
  }

  // Parameters in the instrument's order.
  fcs::DataSet& ds = out.data_set;
  ds.version = "FCS3.1";
  std::vector<fcs::Parameter> params;
  auto add_param = [&](const std::string& name, const std::string& stain, double range, std::optional<double> volt) {
    fcs::Parameter p;
    p.number = params.size() + 1;
    p.name = name;
    p.stain = stain;
    p.range = range;
    p.bits = 32;
    p.datatype = fcs::DataType::float32;
    p.voltage = volt;
    p.is_time = name == in.time_name;
    params.push_back(p);
  };
  if (in.time_first) add_param(in.time_name, "", in.scatter_range, std::nullopt);
  for (std::size_t s = 0; s < 6; ++s) {
    add_param(in.scatter_names[s], "", in.scatter_range, s < 3 ? in.fsc_voltage : in.ssc_voltage);
  }
  for (const auto& d : in.detectors) add_param(d.name, d.stain, in.fl_range, d.voltage);
  if (!in.time_first) add_param(in.time_name, "", in.scatter_range, std::nullopt);

  std::vector<ChannelLabel> labels;
  for (const auto& p : params) labels.push_back({p.name, p.stain});
  ds.events = EventMatrix(n, labels, EventMatrix::Uninitialized{});
  for (std::size_t s = 0; s < 6; ++s) k.scatter[s] = ds.events.channel(ds.events.index_of(in.scatter_names[s])).data();
  for (const auto& d : in.detectors) k.detector.push_back(ds.events.channel(ds.events.index_of(d.name)).data());
  k.time = ds.events.channel(ds.events.index_of(in.time_name)).data();

  out.labels.assign(n, 0);
  std::uint8_t* lab = out.labels.data();
  parallel_for(block_count(n, block_events), o.num_threads, [&](std::size_t b) { run_block(k, b, lab); });

  // Keywords an instrument writes (the writer adds the structural ones).
  Rng krng(detail::stream_key(o.seed, o.stream, 0, 0xda7eULL));
  static constexpr const char* months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                           "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const double start = 8 * 3600 + static_cast<double>(krng.below(9 * 3600));
  const double duration = static_cast<double>(n) / in.event_rate;
  auto& kw = ds.keywords;
  kw.add("$CYT", in.cytometer);
  kw.add("$CYTSN", in.serial);
  kw.add("CREATOR", in.creator);
  kw.add("$DATE", two(1 + static_cast<int>(krng.below(28))) + "-" + months[krng.below(12)] + "-" +
                      std::to_string(2022 + krng.below(3)));
  kw.add("$BTIM", clock(start));
  kw.add("$ETIM", clock(start + duration + 1));
  kw.add("$SRC", o.sample_id);
  kw.add("$FIL", o.sample_id + ".fcs");
  kw.add("TUBE NAME", "B-ALL CD34/CD19/CD22");
  for (const auto& [name, value] : in.keywords) kw.add(name, value.empty() ? o.sample_id : value);
  for (const auto& p : params) {
    if (p.is_time) continue;
    for (const auto& d : in.detectors) {
      if (d.name != p.name) continue;
      kw.add("$P" + std::to_string(p.number) + "L", std::to_string(d.laser_nm));
      kw.add("$P" + std::to_string(p.number) + "F", d.filter);
    }
    if (in.id == "bd-lyric") {
      const bool lin = p.name.rfind("FSC", 0) == 0 || p.name.rfind("SSC", 0) == 0;
      kw.add("P" + std::to_string(p.number) + "DISPLAY", lin ? "LIN" : "LOG");
    }
  }
  kw.add("ESCAPADE_SIMULATED", "escapade simulate (synthetic data, not a patient)");
  kw.add("ESCAPADE_SIM_SEED", std::to_string(o.seed) + "/" + std::to_string(o.stream));

  std::vector<std::string> det_names;
  for (const auto& d : in.detectors) det_names.push_back(d.name);
  ds.spillover = fcs::SpilloverMatrix(det_names, in.spillover);
  ds.spillover_keyword = "$SPILLOVER";
  ds.parameters = std::move(params);
  ds.declared_events = n;
  ds.event_count = n;

  std::array<std::size_t, population_count> counts{};
  for (auto c : out.labels) ++counts[c];
  out.truth = detail::make_truth(sc, counts);
  return out;
}

}  // namespace escapade::sim
