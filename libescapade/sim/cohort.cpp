// Cohorts: patients with serial samples, BCR-ABL1 FISH on sorted compartments (seed 000),
// therapy and outcomes from the competing-risks model CohortModel states (sim.hpp).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libescapade/base/file_io.hpp"
#include "libescapade/sim/detail/random.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::sim {
namespace {

[[noreturn]] void bad(const std::string& where, const std::string& reason) {
  throw InputError(ErrorKind::invalid_argument, "", where, reason);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

struct PlannedSample {
  std::string name;  // "diagnosis", "pre_therapy", "day30", "relapse"
  SampleOptions options;
  double time_months = 0;
};

struct Patient {
  std::string id;
  std::string transcript;  // "P190" / "P210"
  bool involvement = false;
  std::string therapy;     // "car_t" / "blinatumomab"
  double pre_escape_dx = 0, pre_escape_pre = 0, pre_escape_day30 = 0, fold = 1;
  double hazard_neg = 0, hazard_pos = 0, hazard_death = 0;
  double event_time = 0, censor_time = 0;
  std::string relapse = "none";  // none | cd19pos | cd19neg
  RelapseKind relapse_kind = RelapseKind::cd19pos;
  bool death_in_remission = false;
  double time_months = 0, last_followup = 0;
  std::vector<PlannedSample> samples;
  // FISH at diagnosis.
  struct Fish {
    std::string compartment;
    double true_fraction;
    std::uint64_t scored, positive;
  };
  std::vector<Fish> fish;
  std::uint64_t control_nuclei = 400, control_false_positives = 0;
};

void check_model(const CohortModel& m) {
  auto prob = [](const char* name, double v) {
    if (!(v >= 0 && v <= 1)) bad(std::string("model.") + name, "must be a probability in [0, 1]");
  };
  auto nonneg = [](const char* name, double v) {
    if (!(v >= 0 && std::isfinite(v))) bad(std::string("model.") + name, "must be finite and >= 0");
  };
  prob("p210_fraction", m.p210_fraction);
  prob("involvement_p210", m.involvement_p210);
  prob("involvement_p190", m.involvement_p190);
  prob("car_t_fraction", m.car_t_fraction);
  prob("fish_false_positive", m.fish_false_positive);
  nonneg("day30_fold_median", m.day30_fold_median);
  nonneg("day30_fold_sdlog", m.day30_fold_sdlog);
  nonneg("base_cd19neg", m.base_cd19neg);
  nonneg("base_cd19pos", m.base_cd19pos);
  nonneg("base_death", m.base_death);
  nonneg("min_followup", m.min_followup);
  nonneg("accrual", m.accrual);
  if (!std::isfinite(m.beta_pre_escape) || !std::isfinite(m.beta_stem_cell)) bad("model.beta", "must be finite");
  if (m.base_cd19neg + m.base_cd19pos + m.base_death <= 0) bad("model.base_*", "at least one hazard must be > 0");
}

Patient plan_patient(const CohortOptions& o, std::size_t index) {
  const CohortModel& m = o.model;
  detail::Rng rng(detail::stream_key(o.seed, 0xc0400000ULL + index, 0, 0x9a71e27ULL));
  Patient p;
  char id[16];
  std::snprintf(id, sizeof id, "P%03zu", index + 1);
  p.id = id;
  const bool p210 = rng.bernoulli(m.p210_fraction);
  p.transcript = p210 ? "P210" : "P190";
  p.involvement = rng.bernoulli(p210 ? m.involvement_p210 : m.involvement_p190);
  p.therapy = rng.bernoulli(m.car_t_fraction) ? "car_t" : "blinatumomab";
  const std::uint64_t base_stream = static_cast<std::uint64_t>(index + 1) * 8;

  auto sample = [&](const std::string& name, Phase phase, std::uint64_t k, double t) {
    PlannedSample s;
    s.name = name;
    s.options.phase = phase;
    s.options.events = o.events;
    s.options.instrument = o.instrument;
    s.options.seed = o.seed;
    s.options.stream = base_stream + k;
    s.options.sample_id = p.id + "-" + name;
    s.options.num_threads = o.num_threads;
    s.time_months = t;
    return s;
  };
  // Diagnosis: its pre-escape % is the phase default (seed 001, 72 % present, mean 2.1 %).
  PlannedSample dx = sample("diagnosis", Phase::diagnosis, 0, -rng.uniform(4, 30));
  const Scenario dx_sc = resolve_scenario(dx.options);
  p.pre_escape_dx = *dx_sc.options.pre_escape_pct;
  dx.options.pre_escape_pct = p.pre_escape_dx;
  dx.options.blast_pct = *dx_sc.options.blast_pct;
  // Before CD19-directed therapy: the same clone, somewhat changed by prior treatment.
  p.pre_escape_pre = p.pre_escape_dx > 0 ? std::min(60.0, p.pre_escape_dx * rng.lognormal(0, 0.4))
                                         : (rng.bernoulli(0.1) ? rng.lognormal(-0.5, 0.8) : 0.0);
  PlannedSample pre = sample("pre_therapy", Phase::pre_therapy, 1, 0);
  pre.options.pre_escape_pct = p.pre_escape_pre;
  // Day +30: CD19+ cells eliminated, CD19− progenitors relatively enriched (seed 001: 1.7×).
  p.fold = rng.lognormal(detail::log(std::max(m.day30_fold_median, 1e-9)), m.day30_fold_sdlog);
  p.pre_escape_day30 = std::min(60.0, p.pre_escape_pre * p.fold);

  // Outcomes: competing exponential causes, administrative censoring.
  p.hazard_neg = m.base_cd19neg * detail::exp(m.beta_pre_escape * detail::log(1 + p.pre_escape_pre)) *
                 detail::exp(m.beta_stem_cell * (p.involvement ? 1.0 : 0.0));
  p.hazard_pos = m.base_cd19pos;
  p.hazard_death = m.base_death;
  const double total = p.hazard_neg + p.hazard_pos + p.hazard_death;
  p.event_time = rng.exponential(total);
  const double u = rng.uniform() * total;
  p.censor_time = m.min_followup + rng.uniform() * m.accrual;
  if (p.event_time <= p.censor_time) {
    p.time_months = p.event_time;
    if (u < p.hazard_neg) {
      p.relapse = "cd19neg";
      // Stem-cell involvement favours myeloid (lineage-switch) relapses (seed 000).
      p.relapse_kind = rng.bernoulli(p.involvement ? 0.6 : 0.1) ? RelapseKind::lineage_switch : RelapseKind::cd19neg;
      p.last_followup = p.censor_time;
    } else if (u < p.hazard_neg + p.hazard_pos) {
      p.relapse = "cd19pos";
      p.relapse_kind = RelapseKind::cd19pos;
      p.last_followup = p.censor_time;
    } else {
      p.death_in_remission = true;
      p.last_followup = p.event_time;
    }
  } else {
    p.time_months = p.censor_time;
    p.last_followup = p.censor_time;
  }

  p.samples.push_back(dx);
  p.samples.push_back(pre);
  if (p.time_months >= 1.0 || (p.relapse == "none" && !p.death_in_remission)) {
    PlannedSample post = p.therapy == "car_t" ? sample("day30", Phase::day30_car_t, 2, 1.0)
                                              : sample("day30", Phase::remission, 2, 1.0);
    post.options.pre_escape_pct = p.pre_escape_day30;
    p.samples.push_back(post);
  }
  if (p.relapse != "none") {
    PlannedSample rel = sample("relapse", Phase::relapse, 3, p.event_time);
    rel.options.relapse_kind = p.relapse_kind;
    p.samples.push_back(rel);
  }

  // FISH on compartments sorted from the diagnostic marrow (seed 000).
  const double fp = m.fish_false_positive;
  p.control_false_positives = rng.binomial(p.control_nuclei, fp);
  auto fish = [&](const std::string& comp, double truth, std::uint64_t lo, std::uint64_t hi) {
    const std::uint64_t n = lo + rng.below(hi - lo + 1);
    const std::uint64_t k = rng.binomial(n, truth + (1 - truth) * fp);
    p.fish.push_back({comp, truth, n, k});
  };
  fish("hsc", p.involvement ? rng.uniform(0.2, 0.7) : 0.0, 50, 200);
  fish("progenitor", p.involvement ? rng.uniform(0.2, 0.7) : 0.0, 100, 300);
  fish("myeloid", p.involvement ? rng.uniform(0.1, 0.5) : 0.0, 100, 300);
  fish("b_lineage", rng.uniform(0.6, 0.95), 100, 300);
  fish("t_cells", 0.0, 100, 300);
  return p;
}

nlohmann::json model_json(const CohortOptions& o) {
  const CohortModel& m = o.model;
  nlohmann::json j;
  j["format"] = "escapade-sim-cohort/1";
  j["seed"] = o.seed;
  j["patients"] = o.patients;
  j["events_per_sample"] = o.events;
  j["instrument"] = o.instrument;
  j["model"] = {
      {"time_origin", "start of CD19-directed therapy (CAR T infusion or blinatumomab); months"},
      {"transcript", "P210 with probability p210_fraction, else P190 (all patients BCR-ABL1+)"},
      {"stem_cell_involvement", "Bernoulli(involvement_p210 or involvement_p190 by transcript)"},
      {"pre_escape",
       "diagnosis: phase default (seed 001: 72% present, mean 2.1% of CD34+); pre_therapy = diagnosis x "
       "LogNormal(0, 0.4) (absent: 10% emerge at LogNormal(-0.5, 0.8)); day30 = pre_therapy x fold, fold ~ "
       "LogNormal(log(day30_fold_median), day30_fold_sdlog)"},
      {"hazards",
       "cause-specific, constant: h_cd19neg = base_cd19neg * (1 + pre_therapy_pre_escape_pct)^beta_pre_escape * "
       "exp(beta_stem_cell * involvement); h_cd19pos = base_cd19pos; h_death_in_remission = base_death"},
      {"event", "T ~ Exp(h_cd19neg + h_cd19pos + h_death); cause drawn in proportion to the hazards"},
      {"censoring", "administrative at C = min_followup + U(0, accrual); observed time = min(T, C)"},
      {"relapse_phenotype", "CD19- relapse is lineage_switch (myeloid) with probability 0.6 if involvement else 0.1, "
                            "otherwise CD19-negative B blasts"},
      {"fish", "diagnostic marrow sorted into hsc, progenitor, myeloid, b_lineage, t_cells; true BCR-ABL1+ fraction "
               "U(0.2,0.7), U(0.2,0.7), U(0.1,0.5) in the first three when involved (else 0), U(0.6,0.95) in "
               "b_lineage, 0 in t_cells; nuclei_positive ~ Binomial(scored, f + (1-f) * fish_false_positive); "
               "control columns: 400 normal nuclei with Binomial(400, fish_false_positive) false positives"},
      {"samples", "diagnosis (t < 0), pre_therapy (t = 0), day30 (t = 1; phase day30_car_t after CAR T, remission "
                  "after blinatumomab; omitted when the patient relapsed or died before), relapse (t = T) if any"},
      {"last_followup_months", "C for censored and relapsed patients (followed to the data cut), T for deaths in remission"},
  };
  j["parameters"] = {{"p210_fraction", m.p210_fraction},
                     {"involvement_p210", m.involvement_p210},
                     {"involvement_p190", m.involvement_p190},
                     {"car_t_fraction", m.car_t_fraction},
                     {"day30_fold_median", m.day30_fold_median},
                     {"day30_fold_sdlog", m.day30_fold_sdlog},
                     {"base_cd19neg", m.base_cd19neg},
                     {"beta_pre_escape", m.beta_pre_escape},
                     {"beta_stem_cell", m.beta_stem_cell},
                     {"base_cd19pos", m.base_cd19pos},
                     {"base_death", m.base_death},
                     {"min_followup", m.min_followup},
                     {"accrual", m.accrual},
                     {"fish_false_positive", m.fish_false_positive}};
  return j;
}

}  // namespace

CohortSummary simulate_cohort(const CohortOptions& o, const std::filesystem::path& dir, bool overwrite) {
  if (o.patients < 1 || o.patients > 100000) bad("patients", "must be within [1, 100000], got " + std::to_string(o.patients));
  if (o.events < 1 || o.events > 50000000) bad("events", "must be within [1, 50000000], got " + std::to_string(o.events));
  check_model(o.model);
  {
    SampleOptions probe;
    probe.instrument = o.instrument;
    (void)resolve_scenario(probe);  // checks the instrument name
  }
  std::vector<Patient> patients;
  for (std::size_t i = 0; i < o.patients; ++i) patients.push_back(plan_patient(o, i));

  CohortSummary summary;
  summary.manifest = dir / "manifest.tsv";
  summary.model = dir / "cohort.json";
  if (!overwrite) {
    std::error_code ec;
    std::vector<std::filesystem::path> outputs{summary.manifest, summary.model};
    for (const auto& p : patients) {
      outputs.push_back(dir / p.id / "fish.tsv");
      for (const auto& s : p.samples) {
        const auto f = sample_files(dir / p.id / (s.name + ".fcs"));
        outputs.insert(outputs.end(), {f.fcs, f.labels, f.truth});
      }
    }
    for (const auto& f : outputs) {
      if (std::filesystem::exists(f, ec)) throw InputError(ErrorKind::io, f.string(), "--out", "file exists; use --force to replace it");
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(ErrorKind::io, dir.string(), "--out", "cannot create the folder: " + ec.message());

  std::ostringstream manifest;
  manifest << "patient\tsample\tfcs\ttruth\tphase\ttherapy\tfish\ttranscript\trelapse\ttime_months\tdeath_in_remission"
              "\tlast_followup_months\tsample_time_months\n";
  nlohmann::json truth_patients = nlohmann::json::array();
  for (const auto& p : patients) {
    const auto pdir = dir / p.id;
    std::filesystem::create_directories(pdir, ec);
    if (ec) throw InputError(ErrorKind::io, pdir.string(), "--out", "cannot create the folder: " + ec.message());
    std::ostringstream fish;
    fish << "compartment\tprobe\tnuclei_scored\tnuclei_positive\tfalse_positives_in_controls\tcontrol_nuclei\ttranscript\n";
    for (const auto& f : p.fish) {
      fish << f.compartment << "\tBCR-ABL1\t" << f.scored << '\t' << f.positive << '\t' << p.control_false_positives
           << '\t' << p.control_nuclei << '\t' << p.transcript << '\n';
    }
    write_file<InputError>(pdir / "fish.tsv", fish.str(), overwrite);
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& s : p.samples) {
      const SimulatedSample smp = simulate_sample(s.options);
      const auto files = write_sample(smp, pdir / (s.name + ".fcs"), overwrite);
      const std::string rel = p.id + "/" + s.name;
      manifest << p.id << '\t' << s.name << '\t' << rel << ".fcs\t" << rel << ".truth.json\t"
               << to_string(s.options.phase) << '\t' << p.therapy << '\t' << p.id << "/fish.tsv\t" << p.transcript
               << '\t' << p.relapse << '\t' << fixed(p.time_months, 2) << '\t' << (p.death_in_remission ? 1 : 0)
               << '\t' << fixed(p.last_followup, 2) << '\t' << fixed(s.time_months, 2) << '\n';
      samples.push_back({{"sample", s.name},
                         {"phase", std::string(to_string(s.options.phase))},
                         {"pre_escape_pct_requested", *smp.truth.scenario.options.pre_escape_pct},
                         {"blast_pct_requested", *smp.truth.scenario.options.blast_pct},
                         {"pre_escape_pct_of_cd34_realised",
                          smp.truth.set("cd34").count == 0
                              ? 0.0
                              : 100.0 * static_cast<double>(smp.truth.set("pre_escape_progenitors").count) /
                                    static_cast<double>(smp.truth.set("cd34").count)}});
      ++summary.samples;
    }
    nlohmann::json fj = nlohmann::json::array();
    for (const auto& f : p.fish) fj.push_back({{"compartment", f.compartment}, {"true_positive_fraction", f.true_fraction}});
    truth_patients.push_back({{"patient", p.id},
                              {"transcript", p.transcript},
                              {"stem_cell_involvement", p.involvement},
                              {"therapy", p.therapy},
                              {"pre_escape_pct_diagnosis", p.pre_escape_dx},
                              {"pre_escape_pct_pre_therapy", p.pre_escape_pre},
                              {"pre_escape_pct_day30", p.pre_escape_day30},
                              {"day30_fold", p.fold},
                              {"hazard_cd19neg", p.hazard_neg},
                              {"hazard_cd19pos", p.hazard_pos},
                              {"hazard_death", p.hazard_death},
                              {"latent_event_time_months", p.event_time},
                              {"censoring_time_months", p.censor_time},
                              {"relapse", p.relapse},
                              {"relapse_kind", p.relapse == "none" ? "" : std::string(to_string(p.relapse_kind))},
                              {"death_in_remission", p.death_in_remission},
                              {"fish_truth", fj},
                              {"samples", samples}});
    if (p.relapse == "cd19pos") ++summary.relapses_cd19pos;
    if (p.relapse == "cd19neg") ++summary.relapses_cd19neg;
    if (p.death_in_remission) ++summary.deaths_in_remission;
  }
  nlohmann::json cj = model_json(o);
  cj["patient_truth"] = truth_patients;
  write_file<InputError>(summary.model, cj.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", overwrite);
  write_file<InputError>(summary.manifest, manifest.str(), overwrite);
  summary.patients = patients.size();
  return summary;
}

}  // namespace escapade::sim
