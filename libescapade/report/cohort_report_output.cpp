// The cohort report's outputs: TSV tables, the HTML page and the PDF, laid out from one
// document (a list of blocks) so that the two say the same things, and write_cohort_report.
#include <cairo-pdf.h>
#include "libescapade/report/detail/cairo.hpp"
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "libescapade/base/error.hpp"
#include "libescapade/base/file_io.hpp"
#include "libescapade/report/cohort_report.hpp"
#include "libescapade/report/detail/cohort_chart.hpp"
#include "libescapade/version.hpp"

namespace escapade::report {

namespace {

using detail::p_text;
using detail::short_number;

// ---------------------------------------------------------------- TSV
std::string num(double v) {
  if (std::isnan(v)) return "NA";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string cell(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

struct Tsv {
  std::string text;
  explicit Tsv(std::initializer_list<std::string_view> header) {
    bool first = true;
    for (auto h : header) {
      if (!first) text += '\t';
      text += h;
      first = false;
    }
    text += '\n';
  }
  void row(const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) text += '\t';
      text += cell(cells[i]);
    }
    text += '\n';
  }
};

std::string present_word(bool p) { return p ? "present" : "below_lod"; }

const PhaseGroup* group(const CohortAnalysis& a, std::string_view key) {
  for (const auto& g : a.phases.groups) {
    if (g.key == key) return &g;
  }
  return nullptr;
}

// The estimate of a step curve at time t (the last point at or before t); NaN past its end.
double curve_at(const stats::CumincCurve& c, double t) {
  if (c.time.empty() || t > c.time.back()) return std::nan("");
  double est = 0;
  for (std::size_t k = 0; k < c.time.size(); ++k) {
    if (c.time[k] <= t) est = c.est[k];
  }
  return est;
}

const stats::CumincCurve* cause1(const IncidenceEndpoint& e, std::string_view g) {
  if (!e.cuminc) return nullptr;
  for (const auto& c : e.cuminc->curves) {
    if (c.cause == 1 && c.group == g) return &c;
  }
  return nullptr;
}

}  // namespace

std::vector<CohortTable> cohort_tables(const CohortAnalysis& a) {
  std::vector<CohortTable> out;
  {
    Tsv t({"patient", "sample", "phase", "group", "pct_of_cd34", "present"});
    for (const auto& g : a.phases.groups) {
      for (std::size_t i = 0; i < g.values.size(); ++i) {
        const auto slash = g.samples[i].find('/');
        t.row({g.samples[i].substr(0, slash), g.samples[i].substr(slash + 1), g.key, g.label, num(g.values[i]),
               present_word(g.present[i])});
      }
    }
    out.push_back({"samples.tsv", "Every complete sample analysed, with its phase group and frequency", t.text});
  }
  {
    Tsv t({"phase", "label", "n", "present", "share_present_pct", "mean", "sd", "median", "q1", "q3", "min", "max"});
    for (const auto& g : a.phases.groups) {
      const auto& d = g.summary;
      t.row({g.key, g.label, std::to_string(g.values.size()), std::to_string(g.n_present),
             num(g.values.empty() ? std::nan("") : 100.0 * static_cast<double>(g.n_present) / static_cast<double>(g.values.size())),
             num(d.mean), num(d.sd), num(d.median), num(d.q1), num(d.q3), num(d.min), num(d.max)});
    }
    out.push_back({"phase_summary.tsv", "Frequency by phase (% of CD34+)", t.text});
  }
  {
    Tsv t({"test", "groups", "n", "statistic", "df", "p_value", "method", "r_equivalent"});
    if (a.phases.kruskal_wallis) {
      std::string groups, ns;
      for (const auto& k : a.phases.kruskal_wallis_groups) {
        groups += (groups.empty() ? "" : ",") + k;
        ns += (ns.empty() ? "" : ",") + std::to_string(group(a, k)->values.size());
      }
      t.row({"kruskal_wallis", groups, ns, num(a.phases.kruskal_wallis->h), std::to_string(a.phases.kruskal_wallis->df),
             num(a.phases.kruskal_wallis->p_value), "chi-square approximation, tie-corrected", "kruskal.test"});
    }
    for (const auto& c : a.phases.pairwise) {
      t.row({"mann_whitney", c.a + "," + c.b, fmt::format("{},{}", c.n_a, c.n_b), num(c.test.u), "NA", num(c.test.p_value),
             std::string(stats::to_string(c.test.method_used)) + ", two-sided", "wilcox.test(x, y)"});
    }
    out.push_back({"phase_tests.tsv", "Tests across phases (statistic: H for Kruskal–Wallis, W = U of the first group "
                                      "for Mann–Whitney)",
                   t.text});
  }
  {
    Tsv t({"patient", "pre_sample", "day30_sample", "pre_pct_of_cd34", "pre_present", "day30_pct_of_cd34",
           "day30_present", "fold_change"});
    for (const auto& q : a.paired.patients) {
      t.row({q.patient, q.pre_sample, q.post_sample, num(q.pre), present_word(q.pre_present), num(q.post),
             present_word(q.post_present), num(q.fold)});
    }
    out.push_back({"paired.tsv", "Paired pre-therapy and day +30 after CAR T", t.text});
  }
  {
    Tsv t({"test", "n", "statistic", "df", "p_value", "estimate", "ci_low", "ci_high", "method", "r_equivalent"});
    const auto& p = a.paired;
    t.row({"summary_pre", std::to_string(p.patients.size()), "NA", "NA", "NA", num(p.pre.mean), "NA", "NA", "mean pre", ""});
    t.row({"summary_day30", std::to_string(p.patients.size()), "NA", "NA", "NA", num(p.post.mean), "NA", "NA",
           "mean day +30", ""});
    t.row({"ratio_of_means", std::to_string(p.patients.size()), "NA", "NA", "NA", num(p.ratio_of_means), "NA", "NA",
           "mean day +30 / mean pre", ""});
    t.row({"median_fold", std::to_string(p.patients.size()), "NA", "NA", "NA", num(p.median_fold), "NA", "NA",
           "median of per-patient day +30 / pre", ""});
    if (p.t_test) {
      t.row({"paired_t", std::to_string(p.patients.size()), num(p.t_test->t), num(p.t_test->df), num(p.t_test->p_value),
             num(p.t_test->estimate.at(0)), num(p.t_test->conf_int[0]), num(p.t_test->conf_int[1]),
             "day +30 minus pre, two-sided, 95% CI", "t.test(post, pre, paired = TRUE)"});
    }
    if (p.signed_rank) {
      t.row({"wilcoxon_signed_rank", std::to_string(p.signed_rank->n_used), num(p.signed_rank->v), "NA",
             num(p.signed_rank->p_value), "NA", "NA", "NA",
             std::string(stats::to_string(p.signed_rank->method_used)) + ", two-sided, V of day +30 minus pre",
             "wilcox.test(post, pre, paired = TRUE)"});
    }
    out.push_back({"paired_tests.tsv", "Paired tests, day +30 vs pre-therapy", t.text});
  }
  {
    Tsv t({"patient", "sample", "relapse", "death_in_remission", "pre_therapy_pct_of_cd34", "present"});
    for (const auto& q : a.relapse.patients) {
      t.row({q.patient, q.sample, std::string(cohort::to_string(q.relapse)), q.death_in_remission ? "1" : "0", num(q.value),
             present_word(q.present)});
    }
    out.push_back({"relapse.tsv", "Pre-therapy frequency and relapse outcome per patient", t.text});
  }
  {
    Tsv t({"test", "n_relapse", "n_no_relapse", "median_relapse", "median_no_relapse", "statistic", "p_value", "method",
           "r_equivalent"});
    const auto& r = a.relapse;
    t.row({r.test ? "mann_whitney" : "none", std::to_string(r.n_relapse), std::to_string(r.n_no_relapse),
           num(r.relapse.median), num(r.no_relapse.median), r.test ? num(r.test->u) : "NA",
           r.test ? num(r.test->p_value) : "NA",
           r.test ? std::string(stats::to_string(r.test->method_used)) + ", two-sided, W = U of the relapse group" : "",
           "wilcox.test(relapse, no_relapse)"});
    out.push_back({"relapse_tests.tsv", "Relapse vs no relapse", t.text});
  }
  {
    Tsv t({"patient", "pre_therapy_pct_of_cd34", "group", "time_months", "relapse", "death_in_remission",
           "status_cd19neg_relapse", "status_any_relapse"});
    for (std::size_t i = 0; i < a.incidence.patients.size(); ++i) {
      const auto& q = a.incidence.patients[i];
      std::string s1 = "NA", s2 = "NA";
      for (const auto& e : a.incidence.endpoints) {
        if (e.key == "cd19neg_relapse") s1 = std::to_string(e.status.at(i));
        if (e.key == "any_relapse") s2 = std::to_string(e.status.at(i));
      }
      t.row({q.patient, num(q.value), q.high ? "high" : "low", num(q.time), std::string(cohort::to_string(q.relapse)),
             q.death_in_remission ? "1" : "0", s1, s2});
    }
    out.push_back({"incidence_patients.tsv",
                   fmt::format("Patients of the incidence analysis (split at {}% of CD34+; status codes: 0 censored, "
                               "1 the endpoint, 2.. competing causes in the order of incidence_tests.tsv)",
                               num(a.incidence.split)),
                   t.text});
  }
  {
    Tsv t({"endpoint", "group", "cause", "cause_label", "time_months", "estimate", "variance"});
    for (const auto& e : a.incidence.endpoints) {
      if (!e.cuminc) continue;
      for (const auto& c : e.cuminc->curves) {
        const std::string label = c.cause >= 1 && static_cast<std::size_t>(c.cause) <= e.cause_labels.size()
                                      ? e.cause_labels[static_cast<std::size_t>(c.cause - 1)]
                                      : "";
        for (std::size_t k = 0; k < c.time.size(); ++k) {
          t.row({e.key, c.group, std::to_string(c.cause), label, num(c.time[k]), num(c.est[k]), num(c.var[k])});
        }
      }
    }
    out.push_back({"incidence_curves.tsv", "Cumulative incidence step curves (cmprsk::cuminc layout)", t.text});
  }
  {
    Tsv t({"time_months", "at_risk_high", "at_risk_low", "cd19neg_relapse_high", "cd19neg_relapse_low",
           "any_relapse_high", "any_relapse_low"});
    const auto& inc = a.incidence;
    for (std::size_t k = 0; k < inc.risk_times.size(); ++k) {
      std::vector<std::string> r{num(inc.risk_times[k]), std::to_string(inc.at_risk[0].at(k)),
                                 std::to_string(inc.at_risk[1].at(k))};
      for (const char* key : {"cd19neg_relapse", "any_relapse"}) {
        const IncidenceEndpoint* e = nullptr;
        for (const auto& x : inc.endpoints) {
          if (x.key == key) e = &x;
        }
        for (const char* g : {"high", "low"}) {
          const stats::CumincCurve* c = e != nullptr ? cause1(*e, g) : nullptr;
          r.push_back(c != nullptr ? num(curve_at(*c, inc.risk_times[k])) : "NA");
        }
      }
      t.row(r);
    }
    out.push_back({"incidence_at_risk.tsv", "Numbers at risk and cumulative incidence at fixed times", t.text});
  }
  {
    Tsv t({"endpoint", "competing", "test", "n_high", "n_low", "events_high", "events_low", "statistic", "df", "p_value",
           "shr", "shr_ci_low", "shr_ci_high", "r_equivalent"});
    for (const auto& e : a.incidence.endpoints) {
      std::string competing;
      for (std::size_t i = 1; i < e.cause_labels.size(); ++i) {
        competing += (competing.empty() ? "" : "; ") + fmt::format("{}={}", i + 1, e.cause_labels[i]);
      }
      const std::string nh = std::to_string(a.incidence.n_high), nl = std::to_string(a.incidence.n_low);
      const std::string eh = std::to_string(e.events_high), el = std::to_string(e.events_low);
      if (e.gray) {
        t.row({e.key, competing, "gray", nh, nl, eh, el, num(e.gray->statistic), std::to_string(e.gray->df),
               num(e.gray->p_value), "NA", "NA", "NA", "cmprsk::cuminc(time, status, group)$Tests"});
      }
      if (e.fine_gray) {
        t.row({e.key, competing, "fine_gray", nh, nl, eh, el, num(e.fine_gray->z[0]), "NA", num(e.fine_gray->p_value[0]),
               num(e.fine_gray->exp_coef[0]), num(e.fine_gray->exp_coef_ci[0][0]), num(e.fine_gray->exp_coef_ci[0][1]),
               "cmprsk::crr(time, status, high, failcode = 1)"});
      }
      if (!e.gray && !e.fine_gray) t.row({e.key, competing, "none", nh, nl, eh, el, "NA", "NA", "NA", "NA", "NA", "NA", ""});
    }
    out.push_back({"incidence_tests.tsv", "Gray's test and Fine–Gray model per endpoint (statistic: chi-square for Gray, z "
                                          "for Fine–Gray)",
                   t.text});
  }
  {
    Tsv t({"transcript", "involved", "not_involved", "total"});
    const auto& x = a.transcript.table;
    t.row({"P210", std::to_string(x[0][0]), std::to_string(x[0][1]), std::to_string(x[0][0] + x[0][1])});
    t.row({"P190", std::to_string(x[1][0]), std::to_string(x[1][1]), std::to_string(x[1][0] + x[1][1])});
    out.push_back({"transcript_table.tsv", "BCR-ABL1 transcript × stem-cell involvement (patients)", t.text});
  }
  {
    Tsv t({"test", "statistic", "df", "p_value", "odds_ratio", "ci_low", "ci_high", "r_equivalent"});
    const auto& x = a.transcript;
    if (x.fisher) {
      t.row({"fisher_exact_two_sided", "NA", "NA", num(x.fisher->p_two_sided), num(x.fisher->odds_ratio),
             num(x.fisher->conf_int[0]), num(x.fisher->conf_int[1]), "fisher.test(table)"});
    }
    if (x.chisq) {
      t.row({"chisq_uncorrected", num(x.chisq->statistic), std::to_string(x.chisq->df), num(x.chisq->p_value), "NA", "NA",
             "NA", "chisq.test(table, correct = FALSE)"});
    }
    if (x.chisq_yates) {
      t.row({"chisq_yates", num(x.chisq_yates->statistic), std::to_string(x.chisq_yates->df), num(x.chisq_yates->p_value),
             "NA", "NA", "NA", "chisq.test(table, correct = TRUE)"});
    }
    out.push_back({"transcript_tests.tsv", "Tests of the transcript × involvement table, each named", t.text});
  }
  {
    Tsv t({"patient", "sample", "pre_escape_high", "pre_escape_high_evidence", "pre_escape_rising",
           "pre_escape_rising_evidence"});
    for (const auto& f : a.flags) {
      t.row({f.patient, f.sample, std::string(bal::to_string(f.pre_escape_high.state)), f.pre_escape_high.evidence,
             std::string(bal::to_string(f.pre_escape_rising.state)), f.pre_escape_rising.evidence});
    }
    out.push_back({"patient_flags.tsv", fmt::format("Risk flags per patient (reference {}% of CD34+: {})",
                                                    num(a.reference_pct), a.reference_source),
                   t.text});
  }
  return out;
}

namespace {

// ---------------------------------------------------------------- the document
struct Block {
  enum class Kind { heading, paragraph, note, table, figure };
  Kind kind = Kind::paragraph;
  std::string text;                            // heading, paragraph, note; figure caption
  std::vector<std::string> header;             // table
  std::vector<std::vector<std::string>> rows;  // table
  std::vector<double> widths;                  // table: relative column widths
  std::string figure;                          // figure name
  double fig_w = 0, fig_h = 0;                 // figure size, points
  std::string fig_title;
};

Block heading(std::string t) { return {Block::Kind::heading, std::move(t), {}, {}, {}, {}, 0, 0, {}}; }
Block para(std::string t) { return {Block::Kind::paragraph, std::move(t), {}, {}, {}, {}, 0, 0, {}}; }
Block note(std::string t) { return {Block::Kind::note, std::move(t), {}, {}, {}, {}, 0, 0, {}}; }
Block table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows, std::vector<double> widths) {
  return {Block::Kind::table, {}, std::move(header), std::move(rows), std::move(widths), {}, 0, 0, {}};
}

std::string pct(double v) { return std::isnan(v) ? "NA" : short_number(v, 3) + "%"; }
std::string mean_sd(const stats::Descriptive& d) {
  if (d.n == 0) return "\u2013";
  return fmt::format("{} \u00b1 {}", short_number(d.mean, 3), std::isnan(d.sd) ? "NA" : short_number(d.sd, 3));
}
std::string median_iqr(const stats::Descriptive& d) {
  if (d.n == 0) return "\u2013";
  return fmt::format("{} ({}\u2013{})", short_number(d.median, 3), short_number(d.q1, 3), short_number(d.q3, 3));
}

void add_figures(std::vector<Block>& doc, const std::vector<CohortFigure>& figs, std::string_view prefix) {
  for (const auto& f : figs) {
    if (f.name.rfind(prefix, 0) != 0) continue;
    Block b{Block::Kind::figure, f.caption, {}, {}, {}, f.name, f.width, f.height, f.title};
    doc.push_back(std::move(b));
  }
}

void add_notes(std::vector<Block>& doc, const std::vector<std::string>& notes) {
  for (const auto& n : notes) doc.push_back(note("Note: " + n + "."));
}

std::vector<Block> build(const CohortAnalysis& a) {
  std::vector<Block> d;
  const auto figs = cohort_figures(a);
  d.push_back(para(fmt::format(
      "{} ({}) as % of CD34+ cells, from {} complete samples of {} patients in {}. {} samples stored{}{}. "
      "Research use only: the statistics describe this cohort; they are not a diagnosis.",
      a.phenotype, a.population, a.samples_complete, a.patients, a.database, a.samples_total,
      a.samples_failed > 0 ? fmt::format(", {} failed (left out)", a.samples_failed) : "",
      a.samples_pending > 0 ? fmt::format(", {} not yet analysed (left out)", a.samples_pending) : "")));

  // 1.
  d.push_back(heading("1. Frequency by disease phase"));
  add_figures(d, figs, "frequency_by_phase");
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& g : a.phases.groups) {
      const double share = g.values.empty() ? 0 : 100.0 * static_cast<double>(g.n_present) / static_cast<double>(g.values.size());
      rows.push_back({g.label, std::to_string(g.values.size()), fmt::format("{} ({:.0f}%)", g.n_present, share),
                      mean_sd(g.summary), median_iqr(g.summary),
                      g.summary.n == 0 ? "\u2013" : short_number(g.summary.min, 3) + "\u2013" + short_number(g.summary.max, 3)});
    }
    d.push_back(table({"Phase", "Samples", "Present (\u2265 LOD)", "Mean \u00b1 SD (%)", "Median (IQR) (%)", "Range (%)"},
                      rows, {1.2, 0.8, 1.3, 1.4, 1.6, 1.2}));
    std::vector<std::vector<std::string>> tests;
    if (a.phases.kruskal_wallis) {
      std::string names;
      for (const auto& k : a.phases.kruskal_wallis_groups) names += (names.empty() ? "" : ", ") + group(a, k)->label;
      tests.push_back({"Kruskal\u2013Wallis", names,
                       fmt::format("H = {}, df = {}", short_number(a.phases.kruskal_wallis->h, 4), a.phases.kruskal_wallis->df),
                       detail::p_value(a.phases.kruskal_wallis->p_value)});
    }
    for (const auto& c : a.phases.pairwise) {
      tests.push_back({fmt::format("Mann\u2013Whitney ({})", stats::to_string(c.test.method_used)),
                       group(a, c.a)->label + " vs " + group(a, c.b)->label, fmt::format("W = {}", short_number(c.test.u, 6)),
                       detail::p_value(c.test.p_value)});
    }
    if (!tests.empty()) d.push_back(table({"Test (two-sided)", "Groups", "Statistic", "P"}, tests, {1.6, 1.8, 1.2, 0.7}));
    add_notes(d, a.phases.notes);
  }

  // 2.
  d.push_back(heading("2. Paired pre-therapy vs day +30 after CAR T"));
  add_figures(d, figs, "paired_day30");
  {
    const auto& p = a.paired;
    std::vector<std::vector<std::string>> tests;
    tests.push_back({"Mean \u00b1 SD, pre-therapy", std::to_string(p.patients.size()), mean_sd(p.pre) + " %", ""});
    tests.push_back({"Mean \u00b1 SD, day +30", std::to_string(p.patients.size()), mean_sd(p.post) + " %", ""});
    tests.push_back({"Ratio of means / median fold change", std::to_string(p.patients.size()),
                     fmt::format("{}\u00d7 / {}\u00d7", short_number(p.ratio_of_means, 3), short_number(p.median_fold, 3)), ""});
    tests.push_back({"Higher at day +30", std::to_string(p.patients.size()),
                     fmt::format("{} of {}", p.increased, p.patients.size()), ""});
    if (p.t_test) {
      tests.push_back({"Paired t test", std::to_string(p.patients.size()),
                       fmt::format("t = {}, df = {}; mean difference {} (95% CI {} to {})", short_number(p.t_test->t, 4),
                                   short_number(p.t_test->df, 3), short_number(p.t_test->estimate.at(0), 3),
                                   short_number(p.t_test->conf_int[0], 3), short_number(p.t_test->conf_int[1], 3)),
                       detail::p_value(p.t_test->p_value)});
    }
    if (p.signed_rank) {
      tests.push_back({fmt::format("Wilcoxon signed-rank ({})", stats::to_string(p.signed_rank->method_used)),
                       std::to_string(p.signed_rank->n_used), fmt::format("V = {}", short_number(p.signed_rank->v, 6)),
                       detail::p_value(p.signed_rank->p_value)});
    }
    d.push_back(table({"Paired analysis (two-sided)", "n", "Value", "P"}, tests, {1.8, 0.4, 2.6, 0.6}));
    std::vector<std::vector<std::string>> rows;
    for (const auto& q : p.patients) {
      rows.push_back({q.patient, short_number(q.pre, 3) + (q.pre_present ? "" : " (< LOD)"),
                      short_number(q.post, 3) + (q.post_present ? "" : " (< LOD)"), short_number(q.fold, 3)});
    }
    if (!rows.empty()) d.push_back(table({"Patient", "Pre-therapy (%)", "Day +30 (%)", "Fold change"}, rows, {1, 1, 1, 1}));
    add_notes(d, p.notes);
  }

  // 3.
  d.push_back(heading("3. Relapse vs no relapse after CD19-directed therapy"));
  add_figures(d, figs, "relapse_vs_no_relapse");
  {
    const auto& r = a.relapse;
    d.push_back(table({"Group", "Patients", "Median (IQR) (%)", "Mean \u00b1 SD (%)"},
                      {{"Relapse", std::to_string(r.n_relapse), median_iqr(r.relapse), mean_sd(r.relapse)},
                       {fmt::format("  of which CD19\u2212"), std::to_string(r.n_cd19neg), "", ""},
                       {"No relapse", std::to_string(r.n_no_relapse), median_iqr(r.no_relapse), mean_sd(r.no_relapse)}},
                      {1.4, 0.8, 1.6, 1.4}));
    if (r.test) {
      d.push_back(para(fmt::format("Two-sided Mann\u2013Whitney test ({}): W = {}, {}.", stats::to_string(r.test->method_used),
                                   short_number(r.test->u, 6), p_text(r.test->p_value))));
    }
    add_notes(d, r.notes);
  }

  // 4.
  d.push_back(heading("4. Cumulative incidence of relapse"));
  add_figures(d, figs, "cuminc_");
  {
    const auto& inc = a.incidence;
    d.push_back(para(fmt::format(
        "{} patients with a pre-therapy sample, a relapse outcome and a follow-up time, split at {} of CD34+ ({}): {} "
        "above (high), {} at or below (low). Death in remission is a competing risk; for CD19\u2212 relapse, CD19+ relapse "
        "competes too. Cumulative incidence by Aalen\u2013Johansen with Gray's test (cmprsk::cuminc); Fine\u2013Gray "
        "proportional subdistribution hazards model of the endpoint on the high-group indicator (cmprsk::crr).",
        inc.patients.size(), pct(inc.split), inc.split_source, inc.n_high, inc.n_low)));
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : inc.endpoints) {
      rows.push_back({e.label, fmt::format("{} / {}", e.events_high, e.events_low),
                      e.gray ? fmt::format("\u03c7\u00b2 = {}, df = {}", short_number(e.gray->statistic, 4), e.gray->df) : "\u2013",
                      e.gray ? detail::p_value(e.gray->p_value) : "\u2013",
                      e.fine_gray ? fmt::format("{} ({}\u2013{})", short_number(e.fine_gray->exp_coef[0], 3),
                                                short_number(e.fine_gray->exp_coef_ci[0][0], 3),
                                                short_number(e.fine_gray->exp_coef_ci[0][1], 3))
                                  : "\u2013",
                      e.fine_gray ? detail::p_value(e.fine_gray->p_value[0]) : "\u2013"});
    }
    if (!rows.empty()) {
      d.push_back(table({"Endpoint", "Events high / low", "Gray's test", "P", "Fine\u2013Gray SHR (95% CI)", "P"}, rows,
                        {1.3, 1.0, 1.3, 0.5, 1.5, 0.5}));
    }
    if (!inc.risk_times.empty()) {
      std::vector<std::string> header{"Months"};
      std::vector<std::vector<std::string>> r(2 + 2 * inc.endpoints.size());
      r[0].push_back("At risk, high");
      r[1].push_back("At risk, low");
      for (std::size_t k = 0; k < inc.risk_times.size(); ++k) {
        header.push_back(short_number(inc.risk_times[k]));
        r[0].push_back(std::to_string(inc.at_risk[0][k]));
        r[1].push_back(std::to_string(inc.at_risk[1][k]));
      }
      std::size_t row = 2;
      for (const auto& e : inc.endpoints) {
        for (const char* g : {"high", "low"}) {
          r[row].push_back(e.label + ", " + g + " (%)");
          const stats::CumincCurve* c = cause1(e, g);
          for (double t : inc.risk_times) {
            const double v = c != nullptr ? curve_at(*c, t) : std::nan("");
            r[row].push_back(std::isnan(v) ? "\u2013" : short_number(100 * v, 3));
          }
          ++row;
        }
      }
      std::vector<double> w{2.2};
      for (std::size_t k = 0; k < inc.risk_times.size(); ++k) w.push_back(0.6);
      if (inc.risk_times.size() <= 12) d.push_back(table(header, r, w));
    }
    add_notes(d, inc.notes);
    for (const auto& e : inc.endpoints) {
      for (const auto& n : e.notes) d.push_back(note("Note (" + e.label + "): " + n + "."));
    }
  }

  // 5.
  d.push_back(heading("5. BCR-ABL1 transcript \u00d7 stem-cell involvement"));
  add_figures(d, figs, "transcript_involvement");
  {
    const auto& t = a.transcript;
    const auto& x = t.table;
    d.push_back(table({"Transcript", "Involved", "Not involved", "Total"},
                      {{"P210", std::to_string(x[0][0]), std::to_string(x[0][1]), std::to_string(x[0][0] + x[0][1])},
                       {"P190", std::to_string(x[1][0]), std::to_string(x[1][1]), std::to_string(x[1][0] + x[1][1])},
                       {"Total", std::to_string(x[0][0] + x[1][0]), std::to_string(x[0][1] + x[1][1]),
                        std::to_string(x[0][0] + x[0][1] + x[1][0] + x[1][1])}},
                      {1, 1, 1, 1}));
    std::vector<std::vector<std::string>> rows;
    if (t.fisher) {
      rows.push_back({"Fisher's exact test, two-sided (R fisher.test)",
                      fmt::format("odds ratio {} (95% CI {}\u2013{})", short_number(t.fisher->odds_ratio, 3),
                                  short_number(t.fisher->conf_int[0], 3), short_number(t.fisher->conf_int[1], 3)),
                      detail::p_value(t.fisher->p_two_sided)});
    }
    if (t.chisq) {
      rows.push_back({"Pearson's \u03c7\u00b2 test without continuity correction (chisq.test, correct = FALSE)",
                      fmt::format("\u03c7\u00b2 = {}, df = 1", short_number(t.chisq->statistic, 4)), detail::p_value(t.chisq->p_value)});
    }
    if (t.chisq_yates) {
      rows.push_back({"Pearson's \u03c7\u00b2 test with Yates' continuity correction (chisq.test)",
                      fmt::format("\u03c7\u00b2 = {}, df = 1", short_number(t.chisq_yates->statistic, 4)),
                      detail::p_value(t.chisq_yates->p_value)});
    }
    if (!rows.empty()) {
      d.push_back(table({"Test", "Statistic", "P"}, rows, {2.8, 1.6, 0.6}));
      d.push_back(note("Each P names its test. Seed 000 reports P = .02 for 6 of 8 (P210) vs 3 of 12 (P190): that is "
                       "the uncorrected chi-square (0.028); Fisher's two-sided exact test gives 0.065 on the same table."));
    }
    add_notes(d, t.notes);
  }

  // 6.
  d.push_back(heading("6. Risk flags per patient"));
  {
    d.push_back(para(fmt::format(
        "pre_escape_high: the pre-therapy sample (else the latest) quantified above the reference {} of CD34+ ({}). "
        "pre_escape_rising: the latest sample at least {}\u00d7 the lowest earlier quantifiable value, or quantifiable "
        "after samples below the LOD (samples ordered by sample time). Evidence, not diagnosis.",
        pct(a.reference_pct), a.reference_source, short_number(a.trend_fold))));
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : a.flags) {
      rows.push_back({f.patient, std::string(bal::to_string(f.pre_escape_high.state)), f.pre_escape_high.evidence,
                      std::string(bal::to_string(f.pre_escape_rising.state)), f.pre_escape_rising.evidence});
    }
    d.push_back(table({"Patient", "pre_escape_high", "Evidence", "pre_escape_rising", "Evidence"}, rows,
                      {0.6, 0.8, 2.2, 0.8, 2.6}));
  }

  // Methods.
  d.push_back(heading("Methods"));
  d.push_back(para(fmt::format(
      "Frequencies are {} events as % of CD34+ (SSC-low) events from escapade's per-sample analysis, stored in the "
      "cohort database with each file's content hash and the analysis parameters. A population is present at or above "
      "its limit of detection; values below it enter the statistics as measured. Statistics by escapade {} "
      "(libescapade/stats), validated against R 4.2 (stats, survival, cmprsk): describe = mean, sd, median, "
      "quantile(type = 7); kruskal.test; wilcox.test (exact without ties and n < 50, else normal with continuity "
      "correction); t.test(paired = TRUE); wilcox.test(paired = TRUE); cmprsk::cuminc and crr; fisher.test; "
      "chisq.test with and without correction. All tests two-sided. Tables with every number, at full precision, are "
      "in tables/*.tsv.",
      a.phenotype, version_string)));
  return d;
}

// ---------------------------------------------------------------- HTML
std::string escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string to_base64(const std::vector<std::byte>& bytes) {
  static constexpr char table64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (std::to_integer<unsigned>(bytes[i]) << 16) | (std::to_integer<unsigned>(bytes[i + 1]) << 8) |
                       std::to_integer<unsigned>(bytes[i + 2]);
    out += table64[(v >> 18) & 63];
    out += table64[(v >> 12) & 63];
    out += table64[(v >> 6) & 63];
    out += table64[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = std::to_integer<unsigned>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= std::to_integer<unsigned>(bytes[i + 1]) << 8;
    out += table64[(v >> 18) & 63];
    out += table64[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

constexpr std::string_view css = R"(body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#111;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.4;font-size:15px}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:.2em}
.sub{color:#555}.ruo{color:#a00;font-weight:bold}.note{color:#555;font-size:.9em}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.9em;color:#333;margin-top:.3em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{border-bottom:2px solid #555;background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:3em;color:#666;font-size:.85em;border-top:1px solid #ccc;padding-top:.5em})";

bool numeric_cell(const std::string& s) {
  if (s.empty()) return false;
  const unsigned char c = static_cast<unsigned char>(s[0]);
  return std::isdigit(c) != 0 || s[0] == '<' || s.rfind("\u2212", 0) == 0 || s.rfind("\u2013", 0) == 0;
}

std::string html(const CohortAnalysis& a, const CohortReportOptions& options) {
  const std::vector<Block> doc = build(a);
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Cohort report: " + escape(a.phenotype) +
       "</title>\n<style>\n";
  h += css;
  h += "\n</style>\n</head>\n<body>\n";
  h += "<h1>Cohort report: " + escape(a.phenotype) + "</h1>\n";
  h += "<p class=\"ruo\">Research use only. Not for diagnosis.</p>\n";
  if (!options.generated.empty()) h += "<p class=\"sub\">" + escape(options.generated) + "</p>\n";
  int fig = 0;
  for (const Block& b : doc) {
    switch (b.kind) {
      case Block::Kind::heading: h += "<h2>" + escape(b.text) + "</h2>\n"; break;
      case Block::Kind::paragraph: h += "<p>" + escape(b.text) + "</p>\n"; break;
      case Block::Kind::note: h += "<p class=\"note\">" + escape(b.text) + "</p>\n"; break;
      case Block::Kind::table: {
        h += "<table>\n<tr>";
        for (const auto& c : b.header) h += "<th>" + escape(c) + "</th>";
        h += "</tr>\n";
        for (const auto& r : b.rows) {
          h += "<tr>";
          for (std::size_t i = 0; i < r.size(); ++i) {
            h += (i > 0 && numeric_cell(r[i]) ? "<td class=\"n\">" : "<td>") + escape(r[i]) + "</td>";
          }
          h += "</tr>\n";
        }
        h += "</table>\n";
        break;
      }
      case Block::Kind::figure: {
        ++fig;
        const std::vector<std::byte> png = render_cohort_figure(a, b.figure, Format::png, options.png_scale);
        h += fmt::format("<figure id=\"{}\">\n<img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,",
                         escape(b.figure), escape(b.fig_title), static_cast<int>(b.fig_w * 1.4),
                         static_cast<int>(b.fig_h * 1.4));
        h += to_base64(png);
        h += "\">\n<figcaption><b>Figure " + std::to_string(fig) + ". " + escape(b.fig_title) + ".</b> " + escape(b.text) +
             "</figcaption>\n</figure>\n";
        break;
      }
    }
  }
  h += "<footer>escapade " + escape(version_string) + " \u00b7 cohort report of " + escape(a.database) +
       " \u00b7 research use only</footer>\n</body>\n</html>\n";
  return h;
}

// ---------------------------------------------------------------- PDF
using detail::append_bytes;
using detail::ContextDeleter;
using detail::SurfaceDeleter;


class PdfLayout {
 public:
  static constexpr double page_w = 595.28, page_h = 841.89, margin = 50;
  // `end_page` closes a full page (cairo_show_page for a PDF).
  PdfLayout(cairo_t* cr, std::string footer, std::function<void()> end_page)
      : my_cr(cr), my_footer(std::move(footer)), my_end_page(std::move(end_page)) {
    my_y = margin;
  }

  void ensure(double h) {
    if (my_y + h > page_h - margin - 14) new_page();
  }
  void new_page() {
    draw_footer();
    my_end_page();
    ++my_page;
    my_y = margin;
  }
  void finish() { draw_footer(); }

  void text_block(const std::string& text, double size, bool bold, detail::Rgb colour, double after) {
    detail::chart_font(my_cr, size, bold);
    const auto lines = detail::wrap_text(my_cr, text, width());
    const double lh = size * 1.35;
    for (const auto& l : lines) {
      ensure(lh);
      detail::chart_font(my_cr, size, bold);  // a new page's footer changed it
      detail::set_colour(my_cr, colour);
      detail::chart_text(my_cr, l, margin, my_y + size * 0.8, 0, 1);
      my_y += lh;
    }
    my_y += after;
  }

  void heading(const std::string& text) {
    ensure(60);
    my_y += 8;
    text_block(text, 13, true, detail::chart_black, 2);
    cairo_set_line_width(my_cr, 0.6);
    detail::set_colour(my_cr, detail::chart_light_grey);
    cairo_move_to(my_cr, margin, my_y);
    cairo_line_to(my_cr, page_w - margin, my_y);
    cairo_stroke(my_cr);
    my_y += 8;
  }

  void table(const Block& b) {
    const double size = 8;
    const double total = [&] {
      double s = 0;
      for (double w : b.widths) s += w;
      return s > 0 ? s : 1;
    }();
    std::vector<double> xs{margin};
    for (std::size_t i = 0; i < b.header.size(); ++i) {
      const double w = i < b.widths.size() ? b.widths[i] : 1;
      xs.push_back(xs.back() + width() * w / total);
    }
    auto row = [&](const std::vector<std::string>& cells, bool bold) {
      detail::chart_font(my_cr, size, bold);
      std::vector<std::vector<std::string>> wrapped;
      std::size_t lines = 1;
      for (std::size_t i = 0; i < cells.size() && i + 1 < xs.size(); ++i) {
        wrapped.push_back(detail::wrap_text(my_cr, cells[i], xs[i + 1] - xs[i] - 6));
        lines = std::max(lines, wrapped.back().size());
      }
      const double lh = size * 1.3;
      const double h = static_cast<double>(lines) * lh + 4;
      ensure(h);
      detail::chart_font(my_cr, size, bold);  // a new page's footer changed it
      detail::set_colour(my_cr, detail::chart_black);
      for (std::size_t i = 0; i < wrapped.size(); ++i) {
        for (std::size_t k = 0; k < wrapped[i].size(); ++k) {
          detail::chart_text(my_cr, wrapped[i][k], xs[i] + 2, my_y + 2 + size * 0.85 + lh * static_cast<double>(k), 0, 1);
        }
      }
      my_y += h;
      cairo_set_line_width(my_cr, bold ? 0.8 : 0.3);
      detail::set_colour(my_cr, bold ? detail::chart_black : detail::chart_light_grey);
      cairo_move_to(my_cr, margin, my_y);
      cairo_line_to(my_cr, xs.back(), my_y);
      cairo_stroke(my_cr);
    };
    ensure(40);
    row(b.header, true);
    for (const auto& r : b.rows) row(r, false);
    my_y += 8;
  }

  void figure(const CohortAnalysis& a, const Block& b, int number) {
    const double scale = std::min(1.0, width() / b.fig_w);
    const double h = b.fig_h * scale;
    ensure(h + 40);
    cairo_save(my_cr);
    cairo_translate(my_cr, margin + (width() - b.fig_w * scale) / 2, my_y);
    cairo_scale(my_cr, scale, scale);
    cairo_rectangle(my_cr, 0, 0, b.fig_w, b.fig_h);
    cairo_clip(my_cr);
    detail::draw_cohort_figure(my_cr, a, b.figure);
    cairo_restore(my_cr);
    my_y += h + 6;
    text_block(fmt::format("Figure {}. {}. {}", number, b.fig_title, b.text), 8.5, false, {0.2, 0.2, 0.2}, 8);
  }

  [[nodiscard]] double width() const { return page_w - 2 * margin; }

 private:
  void draw_footer() {
    detail::chart_font(my_cr, 7.5);
    detail::set_colour(my_cr, detail::chart_grey);
    detail::chart_text(my_cr, my_footer, margin, page_h - margin + 16, 0, 1);
    detail::chart_text(my_cr, fmt::format("page {}", my_page), page_w - margin, page_h - margin + 16, 1, 1);
  }
  cairo_t* my_cr;
  std::string my_footer;
  std::function<void()> my_end_page;
  double my_y = 0;
  int my_page = 1;
};

void lay_out(cairo_t* cr, const CohortAnalysis& a, const CohortReportOptions& options, std::function<void()> end_page) {
  PdfLayout pdf(cr, fmt::format("escapade {} \u00b7 cohort report \u00b7 research use only", version_string),
                std::move(end_page));
  pdf.text_block("Cohort report: " + a.phenotype, 18, true, detail::chart_black, 2);
  pdf.text_block("Research use only. Not for diagnosis.", 10, true, {0.65, 0, 0}, 2);
  if (!options.generated.empty()) pdf.text_block(options.generated, 9, false, detail::chart_grey, 4);
  int fig = 0;
  for (const Block& b : build(a)) {
    switch (b.kind) {
      case Block::Kind::heading: pdf.heading(b.text); break;
      case Block::Kind::paragraph: pdf.text_block(b.text, 9.5, false, detail::chart_black, 6); break;
      case Block::Kind::note: pdf.text_block(b.text, 8.5, false, detail::chart_grey, 5); break;
      case Block::Kind::table: pdf.table(b); break;
      case Block::Kind::figure: pdf.figure(a, b, ++fig); break;
    }
  }
  pdf.finish();
}

}  // namespace

namespace detail {
std::vector<std::vector<std::byte>> cohort_report_pages_png(const CohortAnalysis& a, const CohortReportOptions& options,
                                                            double scale) {
  std::vector<std::vector<std::byte>> pages;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(cairo_image_surface_create(
      CAIRO_FORMAT_RGB24, static_cast<int>(PdfLayout::page_w * scale), static_cast<int>(PdfLayout::page_h * scale)));
  std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
  cairo_scale(cr.get(), scale, scale);
  auto white = [&] {
    cairo_save(cr.get());
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    cairo_restore(cr.get());
  };
  auto capture = [&] {
    pages.emplace_back();
    cairo_surface_flush(surface.get());
    cairo_surface_write_to_png_stream(surface.get(), append_bytes, &pages.back());
    white();
  };
  white();
  lay_out(cr.get(), a, options, capture);
  capture();
  return pages;
}
}  // namespace detail

std::string cohort_report_html(const CohortAnalysis& analysis, const CohortReportOptions& options) {
  return html(analysis, options);
}

std::vector<std::byte> cohort_report_pdf(const CohortAnalysis& a, const CohortReportOptions& options) {
  std::vector<std::byte> out;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_pdf_surface_create_for_stream(append_bytes, &out, PdfLayout::page_w, PdfLayout::page_h));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw Error(ErrorKind::io, "", "cairo PDF surface", cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  const std::string title = "Cohort report: " + a.phenotype;
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "escapade");
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
    lay_out(cr.get(), a, options, [&] { cairo_show_page(cr.get()); });
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      throw Error(ErrorKind::io, "", "cairo PDF drawing", cairo_status_to_string(cairo_status(cr.get())));
    }
  }
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw Error(ErrorKind::io, "", "cairo PDF output", cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  return out;
}

CohortReportFiles write_cohort_report(const CohortAnalysis& a, const std::filesystem::path& dir,
                                      const CohortReportOptions& options) {
  namespace fs = std::filesystem;
  // Everything is computed first, so a failure writes nothing.
  std::vector<std::pair<fs::path, std::string>> files;
  CohortReportFiles out;
  out.html = dir / "cohort_report.html";
  out.pdf = dir / "cohort_report.pdf";
  files.emplace_back(out.html, cohort_report_html(a, options));
  {
    const auto pdf = cohort_report_pdf(a, options);
    files.emplace_back(out.pdf, std::string(reinterpret_cast<const char*>(pdf.data()), pdf.size()));
  }
  for (const auto& t : cohort_tables(a)) {
    out.tables.push_back(dir / "tables" / t.file);
    files.emplace_back(out.tables.back(), t.text);
  }
  for (const auto& f : cohort_figures(a)) {
    for (const auto& [fmt_, ext] : {std::pair{Format::png, ".png"}, std::pair{Format::svg, ".svg"}}) {
      const auto bytes = render_cohort_figure(a, f.name, fmt_, options.png_scale);
      out.figures.push_back(dir / "figures" / (f.name + ext));
      files.emplace_back(out.figures.back(), std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
  }
  // All or nothing: staged beside `dir` and moved in together (base/file_io.hpp).
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(fs::relative(f.first, dir).generic_string());
  OutputFolder<InputError> folder(dir, names, options.overwrite);
  for (std::size_t i = 0; i < files.size(); ++i) write_file<InputError>(folder.staged(names[i]), files[i].second, false);
  folder.commit();
  return out;
}

}  // namespace escapade::report
