// Knobs → scenario: validation, the phase defaults the papers imply, and the per-event
// label probabilities (SPEC.md "Populations"; seed 001 Table 1 and Figure 2).
#include <array>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "libescapade/sim/detail/model.hpp"
#include "libescapade/sim/detail/random.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::sim {
namespace {

constexpr std::string_view names[population_count] = {
    "debris",     "doublet",      "dead",    "erythroid",          "granulocyte", "monocyte",
    "t_cell",     "nk_cell",      "b_mature", "hematogone",        "b_progenitor", "hsc_mpp",
    "myeloid_progenitor", "pre_escape", "blast", "blast_cd22neg", "blast_cd19neg", "myeloid_blast",
    "blast_cd34neg"};

constexpr std::string_view phenotypes[population_count] = {
    "FSC/SSC low, CD45-",
    "two cells in one pulse: FSC-A about twice FSC-H",
    "viability dye bright, FSC low",
    "CD45- SSC low nucleated erythroid precursor",
    "SSC high CD45+ CD13+CD33dim, CD10 rising with maturation",
    "CD45 bright SSC intermediate CD33 bright CD14+",
    "CD45 bright CD3+",
    "CD45 bright CD3-CD56+",
    "CD19+CD20 bright CD22+CD10-",
    "CD34-CD19+CD10+ normal B precursor (stage II-III)",
    "CD34+CD19+CD22+CD10 bright normal B precursor (stage I)",
    "CD34+CD38- stem/multipotent progenitor",
    "CD34+CD38+CD33+CD13+ myeloid progenitor",
    "CD34+CD19-CD22+ pre-escape progenitor",
    "CD34+CD19+CD22+CD10+ CD45dim B-ALL blast",
    "CD34+CD19+CD22- B-ALL blast",
    "CD34+CD19-CD22+ B-ALL blast that lost CD19",
    "CD34+CD33+CD13+CD19-CD22- lineage-switched blast",
    "CD34-CD19+CD22+ B-ALL blast (CD34-partial or CD34- B-ALL)"};

[[noreturn]] void bad(const std::string& where, const std::string& reason) {
  throw InputError(ErrorKind::invalid_argument, "", where, reason);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void check_range(const std::string& where, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) bad(where, "must be within [" + num(lo) + ", " + num(hi) + "], got " + num(v));
}

// Zero-inflated lognormal with P(present) = prevalence and overall mean and SD as given
// (the papers report mean ± SD over all samples, absent ones counted as 0).
double draw_zero_inflated(detail::Rng& rng, double prevalence, double mean, double sd, double cap) {
  if (!rng.bernoulli(prevalence)) return 0;
  const double m = mean / prevalence;                       // mean among present
  const double second = (sd * sd + mean * mean) / prevalence;  // E[X²] among present
  double var = second - m * m;
  if (var <= 0) var = 0.01 * m * m;
  const double s2 = detail::log(1 + var / (m * m));
  const double v = rng.lognormal(detail::log(m) - s2 / 2, std::sqrt(s2));
  return v > cap ? cap : v;
}

double draw_blast_pct(detail::Rng& rng, Phase phase) {
  switch (phase) {
    case Phase::diagnosis: return 100 * rng.beta(4, 1.6);
    case Phase::relapse: return 100 * rng.beta(3, 2);
    case Phase::pre_therapy: return 100 * rng.beta(1.5, 2.5);
    case Phase::remission:
      return rng.bernoulli(0.5) ? 0.0 : detail::exp(rng.uniform(-3.5, -1) * 2.302585092994046);
    case Phase::day30_car_t:
      return rng.bernoulli(0.8) ? 0.0 : detail::exp(rng.uniform(-3.5, -1) * 2.302585092994046);
  }
  return 0;
}

double draw_pre_escape_pct(detail::Rng& rng, Phase phase) {
  switch (phase) {
    case Phase::diagnosis: return draw_zero_inflated(rng, 0.72, 2.1, 7.6, 60);
    case Phase::remission: return draw_zero_inflated(rng, 0.92, 6.1, 17, 60);
    case Phase::relapse: return draw_zero_inflated(rng, 0.66, 1.6, 3.4, 60);
    case Phase::pre_therapy: return draw_zero_inflated(rng, 0.75, 2.1, 1.8, 60);
    case Phase::day30_car_t: return draw_zero_inflated(rng, 0.75, 3.8, 2.9, 60);
  }
  return 0;
}

bool valid_id(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::array<Population, population_count> all_populations() noexcept {
  std::array<Population, population_count> out{};
  for (std::size_t i = 0; i < population_count; ++i) out[i] = static_cast<Population>(i);
  return out;
}

std::string_view to_string(Phase phase) noexcept {
  switch (phase) {
    case Phase::diagnosis: return "diagnosis";
    case Phase::remission: return "remission";
    case Phase::relapse: return "relapse";
    case Phase::pre_therapy: return "pre_therapy";
    case Phase::day30_car_t: return "day30_car_t";
  }
  return "?";
}

std::string_view to_string(RelapseKind kind) noexcept {
  switch (kind) {
    case RelapseKind::cd19pos: return "cd19pos";
    case RelapseKind::cd19neg: return "cd19neg";
    case RelapseKind::lineage_switch: return "lineage_switch";
  }
  return "?";
}

std::string_view to_string(Population p) noexcept {
  const auto i = static_cast<std::size_t>(p);
  return i < population_count ? names[i] : "?";
}

std::string_view phenotype(Population p) noexcept {
  const auto i = static_cast<std::size_t>(p);
  return i < population_count ? phenotypes[i] : "?";
}

Phase parse_phase(std::string_view text) {
  if (text == "diagnosis" || text == "dx") return Phase::diagnosis;
  if (text == "remission" || text == "cr") return Phase::remission;
  if (text == "relapse") return Phase::relapse;
  if (text == "pre_therapy" || text == "pre-therapy") return Phase::pre_therapy;
  if (text == "day30_car_t" || text == "day30" || text == "day+30") return Phase::day30_car_t;
  bad("phase", "unknown phase '" + std::string(text) +
                   "'; expected diagnosis, remission (cr), relapse, pre_therapy or day30_car_t (day30)");
}

RelapseKind parse_relapse_kind(std::string_view text) {
  if (text == "cd19pos") return RelapseKind::cd19pos;
  if (text == "cd19neg") return RelapseKind::cd19neg;
  if (text == "lineage_switch" || text == "myeloid") return RelapseKind::lineage_switch;
  bad("relapse_kind", "unknown relapse kind '" + std::string(text) + "'; expected cd19pos, cd19neg or lineage_switch");
}

Variation Variation::random(std::uint64_t seed) {
  // Each departure is present in a share of worlds, so that scenarios combine them freely.
  detail::Rng rng(detail::stream_key(seed, 0, 0, 0x77a71a7105ULL));
  Variation v;
  v.phenotype_sdlog = rng.uniform(0.05, 0.35);
  if (rng.bernoulli(0.35)) v.blast_cd34neg_fraction = rng.bernoulli(0.3) ? 1.0 : rng.uniform(0.05, 0.7);
  if (rng.bernoulli(0.3)) v.blast_cd22neg_fraction = rng.uniform(0.05, 0.9);
  v.blast_cd45_negative = rng.bernoulli(0.15);
  if (rng.bernoulli(0.35)) v.pre_escape_cd22_factor = rng.uniform(0.25, 0.8);
  v.b_cell_aplasia = rng.bernoulli(0.15);
  if (rng.bernoulli(0.2)) v.hematogone_factor = rng.uniform(2, 8);
  if (rng.bernoulli(0.15)) v.normal_cd34_factor = 0;
  else if (rng.bernoulli(0.2)) v.normal_cd34_factor = rng.uniform(0.3, 4);
  v.no_viability_dye = rng.bernoulli(0.5);
  if (rng.bernoulli(0.6)) v.range_bits = 18 + static_cast<int>(rng.below(7));
  if (rng.bernoulli(0.4)) v.spillover_factor = rng.uniform(1.2, 2.5);
  v.shuffle_fluorochromes = rng.bernoulli(0.5);
  return v;
}

SampleOptions benchmark_scenario(std::uint64_t seed) {
  static constexpr std::array<Phase, 5> phases{Phase::diagnosis, Phase::remission, Phase::relapse, Phase::pre_therapy,
                                               Phase::day30_car_t};
  const auto instruments = instrument_names();
  SampleOptions o;
  o.seed = seed;
  o.phase = phases[seed % phases.size()];
  o.instrument = instruments[(seed / phases.size()) % instruments.size()];
  o.events = static_cast<std::size_t>(20000 * std::pow(10.0, static_cast<double>((seed * 7919) % 1000) / 1000.0));
  o.variation = Variation::random(seed);
  // No normal CD34+ cells is a world of dominant blasts, not of a regenerating marrow.
  if (o.phase == Phase::remission || o.phase == Phase::day30_car_t) o.variation.normal_cd34_factor = std::max(o.variation.normal_cd34_factor, 0.3);
  if (o.phase == Phase::relapse) o.relapse_kind = seed % 3 == 0 ? RelapseKind::cd19neg : RelapseKind::cd19pos;
  o.num_threads = 1;
  return o;
}

std::vector<std::string> instrument_names() {
  std::vector<std::string> out;
  for (const auto& in : detail::instruments()) out.push_back(in.id);
  return out;
}

Scenario resolve_scenario(const SampleOptions& options) {
  Scenario sc;
  sc.options = options;
  SampleOptions& o = sc.options;
  if (o.events < 1 || o.events > 50000000) bad("events", "must be within [1, 50000000], got " + std::to_string(o.events));
  if (detail::find_instrument(o.instrument) == nullptr) {
    std::string have;
    for (const auto& n : instrument_names()) have += (have.empty() ? "" : ", ") + n;
    bad("instrument", "unknown instrument '" + o.instrument + "'; expected one of " + have);
  }
  if (!valid_id(o.sample_id)) {
    bad("sample_id", "'" + o.sample_id + "' must be 1-128 letters, digits, '-', '_' or '.'");
  }
  check_range("debris_pct", o.debris_pct, 0, 80);
  check_range("doublet_pct", o.doublet_pct, 0, 50);
  check_range("dead_pct", o.dead_pct, 0, 50);
  if (o.debris_pct + o.doublet_pct + o.dead_pct > 90) {
    bad("debris_pct", "debris, doublets and dead cells together must leave at least 10% of events for live cells");
  }
  check_range("drift_pct", o.drift_pct, -50, 50);
  const Variation& v = o.variation;
  check_range("phenotype_sdlog", v.phenotype_sdlog, 0, 1);
  check_range("blast_cd34neg_fraction", v.blast_cd34neg_fraction, 0, 1);
  check_range("blast_cd22neg_fraction", v.blast_cd22neg_fraction, -1, 1);
  if (!(v.pre_escape_cd22_factor > 0 && v.pre_escape_cd22_factor <= 10)) {
    bad("pre_escape_cd22_factor", "must be within (0, 10], got " + num(v.pre_escape_cd22_factor));
  }
  check_range("hematogone_factor", v.hematogone_factor, 0, 20);
  check_range("normal_cd34_factor", v.normal_cd34_factor, 0, 20);
  if (v.range_bits != 0 && (v.range_bits < 16 || v.range_bits > 24)) {
    bad("range_bits", "must be 0 (the instrument's) or within [16, 24], got " + std::to_string(v.range_bits));
  }
  check_range("spillover_factor", v.spillover_factor, 0, 4);
  if (o.blast_pct) check_range("blast_pct", *o.blast_pct, 0, 99);
  if (o.pre_escape_pct) check_range("pre_escape_pct", *o.pre_escape_pct, 0, 90);

  detail::Rng rng(detail::stream_key(o.seed, o.stream, 0, 0x5ce7a410ULL));
  if (!o.blast_pct) {
    o.blast_pct = draw_blast_pct(rng, o.phase);
    if (*o.blast_pct > 97) o.blast_pct = 97.0;
    sc.blast_pct_drawn = true;
  }
  if (!o.pre_escape_pct) {
    o.pre_escape_pct = draw_pre_escape_pct(rng, o.phase);
    sc.pre_escape_pct_drawn = true;
  }

  // Leukocyte composition (fractions of live singlet CD45+ cells).
  const bool car_t = o.phase == Phase::day30_car_t;  // B-cell aplasia: no normal CD19+ cells
  const bool regenerating = o.phase == Phase::remission || car_t;
  sc.normal_cd34_fraction = (o.phase == Phase::diagnosis ? 0.010 : regenerating ? 0.020 : 0.012) * v.normal_cd34_factor;
  sc.normal_cd34_fraction = std::min(sc.normal_cd34_fraction, 0.5);
  sc.erythroid_fraction = o.phase == Phase::diagnosis || o.phase == Phase::relapse ? 0.08 : 0.15;
  double B = *o.blast_pct / 100, p = *o.pre_escape_pct / 100;
  const double n34 = sc.normal_cd34_fraction;
  // P / (B + P + n34·(1 − B − P)) = p, solved for P (the pre-escape share of leukocytes).
  auto share = [&]() { return p * (B + n34 * (1 - B)) / (1 - p + p * n34); };
  constexpr double max_leukemic = 0.97;  // blasts + pre-escape leave at least 3 % normal leukocytes
  if (B + share() > max_leukemic) {
    // Drawn defaults that do not fit together give way; values the caller gave do not.
    const double D = 1 - p + p * n34;
    if (sc.blast_pct_drawn) {
      B = std::max(0.0, (max_leukemic - p * n34 / D) / (1 + p * (1 - n34) / D));
      o.blast_pct = 100 * B;
    }
    if (B + share() > max_leukemic + 1e-12 && sc.pre_escape_pct_drawn) {
      const double P = max_leukemic - B;
      p = P / (B + n34 * (1 - B) + P * (1 - n34));
      o.pre_escape_pct = 100 * p;
    }
    if (B + share() > max_leukemic + 1e-9) {
      bad("pre_escape_pct", "pre_escape_pct " + num(*o.pre_escape_pct) + " with blast_pct " + num(*o.blast_pct) +
                                " leaves less than 3% normal leukocytes");
    }
  }
  const double P = share();
  std::array<double, population_count> leuk{};
  auto L = [&](Population q) -> double& { return leuk[static_cast<std::size_t>(q)]; };
  // Blast subclones by phase.
  double f_blast = 0.97, f_cd22neg = 0.03, f_cd19neg = 0, f_myeloid = 0;
  if (o.phase == Phase::relapse && o.relapse_kind == RelapseKind::cd19neg) f_blast = 0.08, f_cd22neg = 0, f_cd19neg = 0.92;
  if (o.phase == Phase::relapse && o.relapse_kind == RelapseKind::lineage_switch) f_blast = 0.05, f_cd22neg = 0, f_myeloid = 0.95;
  if (v.blast_cd22neg_fraction >= 0 && f_blast + f_cd22neg > 0) {
    const double b = f_blast + f_cd22neg;
    f_cd22neg = b * v.blast_cd22neg_fraction;
    f_blast = b - f_cd22neg;
  }
  // CD34− blasts come out of the CD19+ clone (CD22+ and CD22− alike).
  const double f_cd34neg = (f_blast + f_cd22neg) * v.blast_cd34neg_fraction;
  f_blast *= 1 - v.blast_cd34neg_fraction;
  f_cd22neg *= 1 - v.blast_cd34neg_fraction;
  L(Population::blast) = B * f_blast;
  L(Population::blast_cd34neg) = B * f_cd34neg;
  L(Population::blast_cd22neg) = B * f_cd22neg;
  L(Population::blast_cd19neg) = B * f_cd19neg;
  L(Population::myeloid_blast) = B * f_myeloid;
  L(Population::pre_escape) = P;
  const double normal = 1 - B - P;
  const bool aplasia = car_t || v.b_cell_aplasia;
  double cd34_hsc = 0.12, cd34_my = 0.68, cd34_b = aplasia ? 0.0 : 0.20;
  const double cd34_sum = cd34_hsc + cd34_my + cd34_b;
  L(Population::hsc_mpp) = normal * n34 * cd34_hsc / cd34_sum;
  L(Population::myeloid_progenitor) = normal * n34 * cd34_my / cd34_sum;
  L(Population::b_progenitor) = normal * n34 * cd34_b / cd34_sum;
  std::array<std::pair<Population, double>, 6> mature{{{Population::granulocyte, 0.62},
                                                       {Population::monocyte, 0.07},
                                                       {Population::t_cell, 0.15},
                                                       {Population::nk_cell, 0.04},
                                                       {Population::b_mature, aplasia ? 0.0 : 0.05},
                                                       {Population::hematogone, aplasia ? 0.0 : (regenerating ? 0.12 : 0.04) * v.hematogone_factor}}};
  double msum = 0;
  for (const auto& m : mature) msum += m.second;
  for (const auto& m : mature) L(m.first) = normal * (1 - n34) * m.second / msum;

  // Events: debris, doublets and dead first; live singlets split nucleated erythroid / leukocytes.
  const double d = o.debris_pct / 100, db = o.doublet_pct / 100, dd = o.dead_pct / 100;
  const double cells = 1 - d - db - dd;
  for (std::size_t i = 0; i < population_count; ++i) sc.probability[i] = cells * (1 - sc.erythroid_fraction) * leuk[i];
  sc.probability[static_cast<std::size_t>(Population::debris)] = d;
  sc.probability[static_cast<std::size_t>(Population::doublet)] = db;
  sc.probability[static_cast<std::size_t>(Population::dead)] = dd;
  sc.probability[static_cast<std::size_t>(Population::erythroid)] = cells * sc.erythroid_fraction;
  return sc;
}

}  // namespace escapade::sim
