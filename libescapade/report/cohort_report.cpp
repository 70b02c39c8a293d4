// The cohort analyses (analyze_cohort): from stored samples, patients and populations to
// the numbers of every table and figure of the cohort report.
#include "libescapade/report/cohort_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "libescapade/base/error.hpp"

namespace escapade::report {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

stats::Descriptive empty_summary() {
  stats::Descriptive d;
  d.n = 0;
  d.mean = d.sd = d.median = d.q1 = d.q3 = d.iqr = d.min = d.max = d.geometric_mean = d.cv_percent = nan;
  return d;
}

stats::Descriptive summarise(const std::vector<double>& v) {
  return v.empty() ? empty_summary() : stats::describe(v);
}

bal::Status parse_status(std::string_view s) {
  if (s == "below_lod") return bal::Status::below_lod;
  if (s == "below_lloq") return bal::Status::below_lloq;
  return bal::Status::quantified;
}

// A complete sample joined with its population row.
struct Point {
  const cohort::StoredSample* sample = nullptr;
  const cohort::StoredPopulation* population = nullptr;
  [[nodiscard]] double value() const { return population->pct_of_cd34; }
  [[nodiscard]] bool present() const { return population->status != "below_lod"; }
  [[nodiscard]] std::string name() const { return sample->patient + "/" + sample->sample; }
};

struct PhaseKey {
  int order = 0;
  std::string key, label;
};

PhaseKey phase_key(const cohort::StoredSample& s) {
  switch (s.phase) {
    case cohort::Phase::diagnosis: return {0, "diagnosis", "Diagnosis"};
    case cohort::Phase::remission: return {1, "remission", "CR"};
    case cohort::Phase::relapse: return {2, "relapse", "Relapse"};
    case cohort::Phase::pre_therapy: return {3, "pre_therapy", "Pre-therapy"};
    case cohort::Phase::post_therapy:
      if (s.day) return {4 + std::clamp(*s.day, 0, 100000), fmt::format("post_therapy_d{}", *s.day), fmt::format("Day +{}", *s.day)};
      return {1000000, "post_therapy", "Post-therapy"};
  }
  return {2000000, "unknown", "Unknown"};
}

std::string what(const std::exception& e) { return e.what(); }

// ---------------------------------------------------------------- 1. phases
PhaseAnalysis analyze_phases(const std::vector<Point>& points) {
  PhaseAnalysis a;
  std::map<int, PhaseGroup> groups;
  for (const Point& p : points) {
    const PhaseKey k = phase_key(*p.sample);
    PhaseGroup& g = groups[k.order];
    g.key = k.key;
    g.label = k.label;
    g.samples.push_back(p.name());
    g.values.push_back(p.value());
    g.present.push_back(p.present());
    if (p.present()) ++g.n_present;
  }
  for (auto& [order, g] : groups) {
    g.summary = summarise(g.values);
    a.groups.push_back(std::move(g));
  }
  auto find = [&](std::string_view key) -> const PhaseGroup* {
    for (const auto& g : a.groups) {
      if (g.key == key) return &g;
    }
    return nullptr;
  };
  std::vector<const PhaseGroup*> main;
  for (const char* key : {"diagnosis", "remission", "relapse"}) {
    if (const PhaseGroup* g = find(key)) main.push_back(g);
  }
  if (main.size() >= 2) {
    std::vector<std::vector<double>> values;
    for (const PhaseGroup* g : main) {
      values.push_back(g->values);
      a.kruskal_wallis_groups.push_back(g->key);
    }
    try {
      a.kruskal_wallis = stats::kruskal_wallis(values);
    } catch (const Error& e) {
      a.notes.push_back("Kruskal–Wallis test not computed: " + what(e));
    }
    for (std::size_t i = 0; i < main.size(); ++i) {
      for (std::size_t j = i + 1; j < main.size(); ++j) {
        try {
          GroupComparison c{main[i]->key, main[j]->key, main[i]->values.size(), main[j]->values.size(),
                            stats::mann_whitney_u(main[i]->values, main[j]->values)};
          a.pairwise.push_back(std::move(c));
        } catch (const Error& e) {
          a.notes.push_back(fmt::format("Mann–Whitney {} vs {} not computed: {}", main[i]->key, main[j]->key, what(e)));
        }
      }
    }
  } else {
    a.notes.push_back("fewer than two of diagnosis, remission and relapse have samples: no Kruskal–Wallis or "
                      "Mann–Whitney test");
  }
  return a;
}

// Patient-level therapy: the first therapy other than none among the patient's samples.
std::map<std::string, cohort::Therapy> patient_therapy(const std::vector<cohort::StoredSample>& samples) {
  std::map<std::string, cohort::Therapy> t;
  for (const auto& s : samples) {
    auto& v = t[s.patient];
    if (v == cohort::Therapy::none) v = s.therapy;
  }
  return t;
}

// ---------------------------------------------------------------- 2. paired
PairedAnalysis analyze_paired(const std::vector<Point>& points, const std::map<std::string, cohort::Therapy>& therapy) {
  PairedAnalysis a;
  std::map<std::string, std::pair<const Point*, const Point*>> by_patient;  // pre, day 30
  for (const Point& p : points) {
    auto& [pre, post] = by_patient[p.sample->patient];
    if (p.sample->phase == cohort::Phase::pre_therapy && pre == nullptr) pre = &p;
    if (p.sample->phase == cohort::Phase::post_therapy && p.sample->day == 30 && post == nullptr) post = &p;
  }
  std::size_t not_car_t = 0;
  for (const auto& [patient, pp] : by_patient) {
    const auto [pre, post] = pp;
    if (pre == nullptr || post == nullptr) continue;
    const auto t = therapy.find(patient);
    if (t == therapy.end() || t->second != cohort::Therapy::car_t) {
      ++not_car_t;
      continue;
    }
    PairedPatient q;
    q.patient = patient;
    q.pre_sample = pre->sample->sample;
    q.post_sample = post->sample->sample;
    q.pre = pre->value();
    q.post = post->value();
    q.pre_present = pre->present();
    q.post_present = post->present();
    q.fold = q.pre > 0 ? q.post / q.pre : (q.post > 0 ? std::numeric_limits<double>::infinity() : nan);
    if (q.post > q.pre) ++a.increased;
    a.patients.push_back(std::move(q));
  }
  if (not_car_t > 0) {
    a.notes.push_back(fmt::format("{} patient{} with pre-therapy and day +30 samples but a therapy other than CAR T "
                                  "left out",
                                  not_car_t, not_car_t == 1 ? "" : "s"));
  }
  std::vector<double> pre, post, folds;
  for (const auto& q : a.patients) {
    pre.push_back(q.pre);
    post.push_back(q.post);
    if (std::isfinite(q.fold)) folds.push_back(q.fold);
  }
  a.pre = summarise(pre);
  a.post = summarise(post);
  a.ratio_of_means = pre.empty() || a.pre.mean == 0 ? nan : a.post.mean / a.pre.mean;
  a.median_fold = folds.empty() ? nan : stats::median(folds);
  if (a.patients.size() < 2) {
    a.notes.push_back(fmt::format("{} paired patient{}: no paired tests", a.patients.size(),
                                  a.patients.size() == 1 ? "" : "s"));
    return a;
  }
  try {
    a.t_test = stats::t_test_paired(post, pre);
  } catch (const Error& e) {
    a.notes.push_back("paired t test not computed: " + what(e));
  }
  try {
    a.signed_rank = stats::wilcoxon_signed_rank(post, pre);
  } catch (const Error& e) {
    a.notes.push_back("Wilcoxon signed-rank test not computed: " + what(e));
  }
  return a;
}

// The first pre-therapy point of each patient.
std::map<std::string, const Point*> pre_therapy_points(const std::vector<Point>& points) {
  std::map<std::string, const Point*> m;
  for (const Point& p : points) {
    if (p.sample->phase == cohort::Phase::pre_therapy) m.emplace(p.sample->patient, &p);
  }
  return m;
}

// ---------------------------------------------------------------- 3. relapse
RelapseAnalysis analyze_relapse(const std::map<std::string, const Point*>& pre,
                                const std::vector<cohort::Patient>& patients) {
  RelapseAnalysis a;
  std::vector<double> yes, no;
  std::size_t no_pre = 0;
  for (const auto& pt : patients) {
    if (!pt.outcome.relapse) continue;
    const auto it = pre.find(pt.id);
    if (it == pre.end()) {
      ++no_pre;
      continue;
    }
    RelapsePatient r;
    r.patient = pt.id;
    r.sample = it->second->sample->sample;
    r.relapse = *pt.outcome.relapse;
    r.death_in_remission = pt.outcome.death_in_remission.value_or(false);
    r.value = it->second->value();
    r.present = it->second->present();
    (r.relapse == cohort::Relapse::none ? no : yes).push_back(r.value);
    if (r.relapse == cohort::Relapse::cd19neg) ++a.n_cd19neg;
    a.patients.push_back(std::move(r));
  }
  a.n_relapse = yes.size();
  a.n_no_relapse = no.size();
  a.relapse = summarise(yes);
  a.no_relapse = summarise(no);
  if (no_pre > 0) {
    a.notes.push_back(fmt::format("{} patient{} with a relapse outcome but no pre-therapy sample left out", no_pre,
                                  no_pre == 1 ? "" : "s"));
  }
  if (yes.empty() || no.empty()) {
    a.notes.push_back("a group is empty: no Mann–Whitney test");
    return a;
  }
  try {
    a.test = stats::mann_whitney_u(yes, no);
  } catch (const Error& e) {
    a.notes.push_back("Mann–Whitney test not computed: " + what(e));
  }
  return a;
}

std::vector<double> default_risk_times(double longest) {
  const double step = longest > 48 ? 12 : 6;
  std::vector<double> t;
  // Up to the first multiple of the step at or past the longest follow-up (the axis end).
  for (double x = 0; t.size() < 40; x += step) {
    t.push_back(x);
    if (x >= longest - 1e-9) break;
  }
  if (t.empty()) t.push_back(0);
  return t;
}

// ---------------------------------------------------------------- 4. incidence
IncidenceAnalysis analyze_incidence(const std::map<std::string, const Point*>& pre,
                                    const std::vector<cohort::Patient>& patients, double split,
                                    const std::string& split_source, const CohortReportOptions& options) {
  IncidenceAnalysis a;
  a.split = split;
  a.split_source = split_source;
  std::size_t no_time = 0;
  for (const auto& pt : patients) {
    const auto it = pre.find(pt.id);
    if (it == pre.end() || !pt.outcome.relapse) continue;
    if (!pt.outcome.time_months) {
      ++no_time;
      continue;
    }
    IncidencePatient q;
    q.patient = pt.id;
    q.value = it->second->value();
    q.high = q.value > split;
    q.time = *pt.outcome.time_months;
    q.relapse = *pt.outcome.relapse;
    q.death_in_remission = pt.outcome.death_in_remission.value_or(false);
    (q.high ? a.n_high : a.n_low) += 1;
    a.patients.push_back(std::move(q));
  }
  if (no_time > 0) {
    a.notes.push_back(fmt::format("{} patient{} without time_months left out", no_time, no_time == 1 ? "" : "s"));
  }
  double longest = 0;
  for (const auto& q : a.patients) longest = std::max(longest, q.time);
  a.risk_times = options.risk_times.empty() ? default_risk_times(longest) : options.risk_times;
  std::sort(a.risk_times.begin(), a.risk_times.end());
  for (double t : a.risk_times) {
    std::size_t hi = 0, lo = 0;
    for (const auto& q : a.patients) {
      if (q.time >= t) ++(q.high ? hi : lo);
    }
    a.at_risk[0].push_back(hi);
    a.at_risk[1].push_back(lo);
  }
  if (a.patients.empty()) {
    a.notes.push_back("no patient with a pre-therapy sample, a relapse outcome and a time");
    return a;
  }

  std::vector<double> time;
  std::vector<std::string> group;
  std::vector<double> high;
  for (const auto& q : a.patients) {
    time.push_back(q.time);
    group.emplace_back(q.high ? "high" : "low");
    high.push_back(q.high ? 1.0 : 0.0);
  }
  auto endpoint = [&](std::string key, std::string label, std::vector<std::string> causes, auto code) {
    IncidenceEndpoint e;
    e.key = std::move(key);
    e.label = std::move(label);
    e.cause_labels = std::move(causes);
    for (const auto& q : a.patients) {
      const int s = code(q);
      e.status.push_back(s);
      if (s == 1) ++(q.high ? e.events_high : e.events_low);
    }
    if (e.events_high + e.events_low == 0) {
      e.notes.push_back("no " + e.label + " event: no curves or tests");
      return e;
    }
    try {
      e.cuminc = stats::cuminc(time, e.status, group);
      for (const auto& g : e.cuminc->tests) {
        if (g.cause == 1) e.gray = g;
      }
      if (!e.gray) e.notes.push_back("one group only: no Gray's test");
    } catch (const Error& ex) {
      e.notes.push_back("cumulative incidence not computed: " + what(ex));
    }
    if (a.n_high == 0 || a.n_low == 0) {
      e.notes.push_back("one group only: no Fine–Gray model");
    } else {
      try {
        stats::CrrResult f = stats::crr(time, e.status, {"high"}, {high});
        if (!f.converged || !std::isfinite(f.coef.at(0))) {
          e.notes.push_back("Fine–Gray model did not converge (an event-free group?)");
        } else {
          e.fine_gray = std::move(f);
        }
      } catch (const Error& ex) {
        e.notes.push_back("Fine–Gray model not computed: " + what(ex));
      }
    }
    return e;
  };
  a.endpoints.push_back(endpoint("cd19neg_relapse", "CD19\u2212 relapse",
                                 {"CD19\u2212 relapse", "CD19+ relapse", "death in remission"},
                                 [](const IncidencePatient& q) {
                                   if (q.relapse == cohort::Relapse::cd19neg) return 1;
                                   if (q.relapse == cohort::Relapse::cd19pos) return 2;
                                   return q.death_in_remission ? 3 : 0;
                                 }));
  a.endpoints.push_back(endpoint("any_relapse", "Relapse (any)", {"relapse", "death in remission"},
                                 [](const IncidencePatient& q) {
                                   if (q.relapse != cohort::Relapse::none) return 1;
                                   return q.death_in_remission ? 2 : 0;
                                 }));
  return a;
}

// ---------------------------------------------------------------- 5. transcript
TranscriptAnalysis analyze_transcript(const std::vector<cohort::StoredSample>& samples,
                                      const std::vector<cohort::Patient>& patients) {
  TranscriptAnalysis a;
  std::map<std::string, bal::Involvement> inv;
  for (const auto& s : samples) {
    if (s.status != "complete") continue;
    bal::Involvement v = bal::Involvement::not_evaluated;
    if (s.stem_cell_involvement == "positive") v = bal::Involvement::positive;
    if (s.stem_cell_involvement == "negative") v = bal::Involvement::negative;
    auto& cur = inv[s.patient];
    if (v == bal::Involvement::positive || (v == bal::Involvement::negative && cur == bal::Involvement::not_evaluated)) {
      cur = v;
    }
  }
  for (const auto& pt : patients) {
    const auto it = inv.find(pt.id);
    const bal::Involvement v = it == inv.end() ? bal::Involvement::not_evaluated : it->second;
    if (v == bal::Involvement::not_evaluated && pt.transcript == bal::Transcript::unknown) continue;
    a.patients.push_back({pt.id, pt.transcript, v});
    if (v == bal::Involvement::not_evaluated) continue;
    ++a.with_fish;
    if (pt.transcript == bal::Transcript::unknown) {
      ++a.fish_unknown_transcript;
      continue;
    }
    const std::size_t row = pt.transcript == bal::Transcript::p210 ? 0 : 1;
    const std::size_t col = v == bal::Involvement::positive ? 0 : 1;
    ++a.table[row][col];
  }
  const std::int64_t total = a.table[0][0] + a.table[0][1] + a.table[1][0] + a.table[1][1];
  if (a.fish_unknown_transcript > 0) {
    a.notes.push_back(fmt::format("{} patient{} with a FISH call but no known transcript left out",
                                  a.fish_unknown_transcript, a.fish_unknown_transcript == 1 ? "" : "s"));
  }
  if (total == 0) {
    a.notes.push_back("no patient with a FISH call and a known transcript: no tests");
    return a;
  }
  try {
    a.fisher = stats::fisher_exact_2x2(a.table);
  } catch (const Error& e) {
    a.notes.push_back("Fisher's exact test not computed: " + what(e));
  }
  const std::vector<std::vector<double>> t{
      {static_cast<double>(a.table[0][0]), static_cast<double>(a.table[0][1])},
      {static_cast<double>(a.table[1][0]), static_cast<double>(a.table[1][1])}};
  try {
    a.chisq = stats::chisq_test(t, {.correct = false});
    a.chisq_yates = stats::chisq_test(t, {.correct = true});
  } catch (const Error& e) {
    a.notes.push_back("chi-square test not computed: " + what(e));
  }
  return a;
}

// ---------------------------------------------------------------- 6. flags
std::vector<PatientFlags> patient_flags(const std::vector<Point>& points, const std::vector<cohort::Patient>& patients,
                                        double reference, const std::string& source, const CohortReportOptions& options) {
  std::map<std::string, std::vector<const Point*>> by_patient;
  for (const Point& p : points) by_patient[p.sample->patient].push_back(&p);
  std::set<std::string> ids;
  for (const auto& pt : patients) ids.insert(pt.id);
  for (const auto& [id, v] : by_patient) ids.insert(id);
  std::vector<PatientFlags> out;
  for (const std::string& id : ids) {
    PatientFlags f;
    f.patient = id;
    f.pre_escape_high = {"pre_escape_high", bal::FlagState::not_evaluated, "no complete sample"};
    const auto it = by_patient.find(id);
    std::vector<bal::SeriesPoint> series;
    if (it != by_patient.end()) {
      const std::vector<const Point*>& ps = it->second;
      // The pre-therapy sample, else the latest by sample time, else the last stored.
      const Point* chosen = nullptr;
      for (const Point* p : ps) {
        if (p->sample->phase == cohort::Phase::pre_therapy) {
          chosen = p;
          break;
        }
      }
      if (chosen == nullptr) {
        for (const Point* p : ps) {
          if (p->sample->sample_time_months &&
              (chosen == nullptr || *p->sample->sample_time_months > chosen->sample->sample_time_months.value_or(-1e300))) {
            chosen = p;
          }
        }
      }
      if (chosen == nullptr) chosen = ps.back();
      f.sample = chosen->sample->sample;
      const bal::Status st = parse_status(chosen->population->status);
      if (st == bal::Status::quantified) {
        const bool above = chosen->value() > reference;
        f.pre_escape_high.state = above ? bal::FlagState::raised : bal::FlagState::not_raised;
        f.pre_escape_high.evidence = fmt::format("{}: {:.3g}% of CD34+ {} the reference {:.3g}% ({})", f.sample,
                                                 chosen->value(), above ? "above" : "not above", reference, source);
      } else {
        f.pre_escape_high.evidence = fmt::format("{}: {} events, {}; not quantifiable", f.sample,
                                                 chosen->population->events, chosen->population->status);
      }
      for (const Point* p : ps) {
        if (!p->sample->sample_time_months) continue;
        series.push_back({*p->sample->sample_time_months, static_cast<std::size_t>(std::max<std::int64_t>(0, p->population->events)),
                          p->value(), parse_status(p->population->status)});
      }
    }
    f.pre_escape_rising = bal::trend_flag(series, options.trend_fold);
    if (series.size() < 2 && it != by_patient.end() && it->second.size() >= 2) {
      f.pre_escape_rising.evidence += " with a sample time";
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

std::string CohortAnalysis::summary() const {
  return fmt::format("CohortAnalysis({} samples, {} patients)", samples_complete, patients);
}

namespace {

// The complete samples' numbers are comparable only when one parameter set (panel, limits)
// produced them all: two concurrent runs with different panels, or a rerun with another
// panel that stopped part-way, leave a database split between sets.
void check_one_parameter_set(const CohortData& data, const CohortReportOptions& options) {
  if (options.allow_mixed_parameters) return;
  std::map<std::string, std::size_t> sets;
  for (const auto& s : data.samples) {
    if (s.status == "complete") ++sets[s.parameters_hash];
  }
  if (sets.size() <= 1) return;
  std::string list;
  for (const auto& [hash, n] : sets) list += fmt::format("{}{} ({} samples)", list.empty() ? "" : ", ", hash.empty() ? "unrecorded" : hash, n);
  throw InputError(ErrorKind::structure, data.database, "samples.parameters_hash",
                   fmt::format("the complete samples were analysed with {} different parameter sets: {}; run `escapade cohort "
                               "run` again with one panel to bring them to one set, or pass --allow-mixed-parameters",
                               sets.size(), list));
}

}  // namespace

CohortAnalysis analyze_cohort(const CohortData& data, const CohortReportOptions& options) {
  if (!(options.trend_fold > 1) || !std::isfinite(options.trend_fold)) {
    throw InputError(ErrorKind::invalid_argument, data.database, "trend_fold",
                     fmt::format("{} must be a finite number above 1", options.trend_fold));
  }
  if (options.reference_pct && (!std::isfinite(*options.reference_pct) || *options.reference_pct < 0)) {
    throw InputError(ErrorKind::invalid_argument, data.database, "reference_pct",
                     fmt::format("{} must be a finite percentage >= 0", *options.reference_pct));
  }
  for (double t : options.risk_times) {
    if (!std::isfinite(t) || t < 0) {
      throw InputError(ErrorKind::invalid_argument, data.database, "risk_times",
                       fmt::format("{} must be a finite time >= 0", t));
    }
  }
  check_one_parameter_set(data, options);
  CohortAnalysis a;
  a.database = data.database;
  a.population = options.population;
  a.trend_fold = options.trend_fold;
  a.samples_total = data.samples.size();

  // Join complete samples with their population row.
  std::map<std::pair<std::string, std::string>, const cohort::StoredPopulation*> pop;
  for (const auto& p : data.populations) {
    if (p.name != options.population) continue;
    pop.emplace(std::make_pair(p.patient, p.sample), &p);
    if (a.phenotype.empty()) a.phenotype = p.phenotype;
  }
  std::vector<Point> points;
  std::set<std::string> patient_ids;
  for (const auto& s : data.samples) {
    if (s.status == "failed") ++a.samples_failed;
    if (s.status == "pending") ++a.samples_pending;
    if (s.status != "complete") continue;
    const auto it = pop.find({s.patient, s.sample});
    if (it == pop.end()) continue;
    points.push_back({&s, it->second});
    patient_ids.insert(s.patient);
  }
  if (points.empty()) {
    throw InputError(ErrorKind::invalid_argument, data.database, "population",
                     "no complete sample has the population '" + options.population + "'");
  }
  for (const auto& p : data.patients) patient_ids.insert(p.id);
  a.samples_complete = points.size();
  a.patients = patient_ids.size();
  if (a.phenotype.empty()) a.phenotype = options.population;

  const auto therapy = patient_therapy(data.samples);
  a.phases = analyze_phases(points);
  a.paired = analyze_paired(points, therapy);
  const auto pre = pre_therapy_points(points);

  // The reference: fixed, else the mean pre-therapy frequency of the patients with one.
  if (options.reference_pct) {
    a.reference_pct = *options.reference_pct;
    a.reference_source = "fixed reference";
  } else {
    std::vector<double> v;
    for (const auto& [id, p] : pre) v.push_back(p->value());
    if (!v.empty()) {
      a.reference_pct = stats::mean(v);
      a.reference_source = fmt::format("cohort mean pre-therapy frequency, {} patients", v.size());
    } else {
      std::vector<double> all;
      for (const Point& p : points) all.push_back(p.value());
      a.reference_pct = stats::mean(all);
      a.reference_source = fmt::format("cohort mean of all {} samples (no pre-therapy sample)", all.size());
    }
  }
  a.relapse = analyze_relapse(pre, data.patients);
  a.incidence = analyze_incidence(pre, data.patients, a.reference_pct, a.reference_source, options);
  a.transcript = analyze_transcript(data.samples, data.patients);
  a.flags = patient_flags(points, data.patients, a.reference_pct, a.reference_source, options);
  return a;
}

CohortAnalysis analyze_cohort(const cohort::Store& store, const CohortReportOptions& options) {
  const std::vector<cohort::StoredSample> samples = store.samples();
  const std::vector<cohort::Patient> patients = store.patients();
  const std::vector<cohort::StoredPopulation> populations = store.populations();
  return analyze_cohort(CohortData{samples, patients, populations, store.path().string()}, options);
}

}  // namespace escapade::report
