// Cumulative incidence with competing risks (R cmprsk::cuminc, cmprsk::timepoints):
// Aalen-Johansen estimates, Gray's delta-method variances, and Gray's K-sample test.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "libescapade/stats/detail/support.hpp"
#include "libescapade/stats/survival.hpp"

namespace escapade::stats {

namespace {

using detail::na;

// One subject, sorted by time.
struct Subject {
  double time;
  int status;
  std::size_t group;
};

// The curve of one cause in one group (subjects sorted by time), as cmprsk's `cinc`.
CumincCurve incidence_curve(const std::vector<Subject>& subjects, int cause, int cencode) {
  CumincCurve c;
  c.cause = cause;
  c.time = {0.0};
  c.est = {0.0};
  c.var = {0.0};
  double surv_before = 1;  // all-cause KM just before the current time
  double f = 0;
  double a1 = 0;
  double a2 = 0;
  double a3 = 0;
  auto at_risk = static_cast<double>(subjects.size());
  std::size_t i = 0;
  while (i < subjects.size()) {
    const double t = subjects[i].time;
    double d1 = 0;
    double d2 = 0;
    std::size_t j = i;
    for (; j < subjects.size() && subjects[j].time == t; ++j) {
      if (subjects[j].status == cause) {
        d1 += 1;
      } else if (subjects[j].status != cencode) {
        d2 += 1;
      }
    }
    if (d1 + d2 > 0) {
      const double n = at_risk;
      const double surv_after = surv_before * (n - d1 - d2) / n;
      if (d1 > 0) {
        c.time.push_back(t);
        c.est.push_back(f);
        c.var.push_back(c.var.back());
        f += surv_before * d1 / n;
      }
      if (d2 > 0 && surv_after > 0) {
        const double ties = d2 > 1 ? 1 - (d2 - 1) / (n - 1) : 1.0;
        const double w = surv_before * surv_before * ties * d2 / (n * n);
        const double q = 1 / surv_after;
        const double fq = f / surv_after;
        a1 += fq * fq * w;
        a2 += q * fq * w;
        a3 += q * q * w;
      }
      if (d1 > 0) {
        const double ties = d1 > 1 ? 1 - (d1 - 1) / (n - 1) : 1.0;
        const double w = surv_before * surv_before * ties * d1 / (n * n);
        const double q = surv_after > 0 ? 1 / surv_after : 0.0;
        const double g = 1 + q * f;
        a1 += g * g * w;
        a2 += q * g * w;
        a3 += q * q * w;
        c.time.push_back(t);
        c.est.push_back(f);
        c.var.push_back(a1 + f * f * a3 - 2 * f * a2);
      }
      surv_before = surv_after;
    }
    at_risk -= static_cast<double>(j - i);
    i = j;
  }
  c.time.push_back(subjects.back().time);
  c.est.push_back(c.est.back());
  c.var.push_back(c.var.back());
  return c;
}

// Gray's score and its variance for one cause (cmprsk `crst`, one stratum, rho = 0).
// code: 0 censored, 1 the cause, 2 another cause. Returns sᵀ V⁻¹ s, NaN if V is singular.
double gray_statistic(const std::vector<Subject>& subjects, const std::vector<int>& code, std::size_t ng) {
  const std::size_t k1 = ng - 1;
  std::vector<double> rs(ng, 0.0);
  for (const Subject& s : subjects) rs[s.group] += 1;
  std::vector<double> f1m(ng, 0.0);
  std::vector<double> f1(ng, 0.0);
  std::vector<double> skmm(ng, 1.0);
  std::vector<double> skm(ng, 1.0);
  std::vector<double> v3(ng, 0.0);
  Eigen::MatrixXd v2 = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(k1), static_cast<Eigen::Index>(ng));
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(ng), static_cast<Eigen::Index>(ng));
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(ng), static_cast<Eigen::Index>(ng));
  Eigen::VectorXd score = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(k1));
  Eigen::MatrixXd var = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(k1), static_cast<Eigen::Index>(k1));
  double fm = 0;
  double f = 0;
  const auto ix = [](std::size_t v) { return static_cast<Eigen::Index>(v); };

  std::size_t i = 0;
  while (i < subjects.size()) {
    const double t = subjects[i].time;
    std::vector<double> d1(ng, 0.0);
    std::vector<double> d2(ng, 0.0);
    std::size_t j = i;
    for (; j < subjects.size() && subjects[j].time == t; ++j) {
      if (code[j] == 1) d1[subjects[j].group] += 1;
      if (code[j] == 2) d2[subjects[j].group] += 1;
    }
    const double nd1 = std::accumulate(d1.begin(), d1.end(), 0.0);
    const double nd2 = std::accumulate(d2.begin(), d2.end(), 0.0);
    if (nd1 > 0 || nd2 > 0) {
      double tr = 0;
      double tq = 0;
      for (std::size_t g = 0; g < ng; ++g) {
        if (rs[g] <= 0) continue;
        skm[g] = skmm[g] * (rs[g] - d1[g] - d2[g]) / rs[g];
        f1[g] = f1m[g] + skmm[g] * d1[g] / rs[g];
        tr += rs[g] / skmm[g];
        tq += rs[g] * (1 - f1m[g]) / skmm[g];
      }
      f = fm + nd1 / tr;
      a.setZero();
      for (std::size_t p = 0; p < ng; ++p) {
        if (rs[p] <= 0) continue;
        const double t1 = rs[p] / skmm[p];
        a(ix(p), ix(p)) = t1 * (1 - t1 / tr);
        c(ix(p), ix(p)) += a(ix(p), ix(p)) * nd1 / (tr * (1 - fm));
        for (std::size_t q = p + 1; q < ng; ++q) {
          if (rs[q] <= 0) continue;
          a(ix(p), ix(q)) = -t1 * rs[q] / (skmm[q] * tr);
          c(ix(p), ix(q)) += a(ix(p), ix(q)) * nd1 / (tr * (1 - fm));
        }
      }
      for (std::size_t p = 1; p < ng; ++p) {
        for (std::size_t q = 0; q < p; ++q) {
          a(ix(p), ix(q)) = a(ix(q), ix(p));
          c(ix(p), ix(q)) = c(ix(q), ix(p));
        }
      }
      for (std::size_t p = 0; p < k1; ++p) {
        if (rs[p] <= 0) continue;
        score(ix(p)) += d1[p] - nd1 * rs[p] * (1 - f1m[p]) / (skmm[p] * tq);
      }
      if (nd1 > 0) {
        for (std::size_t g = 0; g < ng; ++g) {
          if (rs[g] <= 0) continue;
          const double t4 = skm[g] > 0 ? 1 - (1 - f) / skm[g] : 1.0;
          const double t5 = nd1 > 1 ? 1 - (nd1 - 1) / (tr * skmm[g] - 1) : 1.0;
          const double t3 = t5 * skmm[g] * nd1 / (tr * rs[g]);
          v3[g] += t4 * t4 * t3;
          for (std::size_t p = 0; p < k1; ++p) {
            const double t1 = a(ix(p), ix(g)) - t4 * c(ix(p), ix(g));
            v2(ix(p), ix(g)) += t1 * t4 * t3;
            for (std::size_t q = 0; q <= p; ++q) {
              const double t2 = a(ix(q), ix(g)) - t4 * c(ix(q), ix(g));
              var(ix(p), ix(q)) += t1 * t2 * t3;
            }
          }
        }
      }
      if (nd2 > 0) {
        for (std::size_t g = 0; g < ng; ++g) {
          if (skm[g] <= 0 || d2[g] <= 0) continue;
          const double t4 = (1 - f) / skm[g];
          const double t5 = d2[g] > 1 ? 1 - (d2[g] - 1) / (rs[g] - 1) : 1.0;
          const double t3 = t5 * skmm[g] * skmm[g] * d2[g] / (rs[g] * rs[g]);
          v3[g] += t4 * t4 * t3;
          for (std::size_t p = 0; p < k1; ++p) {
            const double t1 = t4 * c(ix(p), ix(g));
            v2(ix(p), ix(g)) -= t1 * t4 * t3;
            for (std::size_t q = 0; q <= p; ++q) {
              const double t2 = t4 * c(ix(q), ix(g));
              var(ix(p), ix(q)) += t1 * t2 * t3;
            }
          }
        }
      }
    }
    for (std::size_t m = i; m < j; ++m) rs[subjects[m].group] -= 1;
    fm = f;
    f1m = f1;
    skmm = skm;
    i = j;
  }
  for (std::size_t p = 0; p < k1; ++p) {
    for (std::size_t q = 0; q <= p; ++q) {
      for (std::size_t g = 0; g < ng; ++g) {
        var(ix(p), ix(q)) += c(ix(p), ix(g)) * c(ix(q), ix(g)) * v3[g] + c(ix(p), ix(g)) * v2(ix(q), ix(g)) +
                             c(ix(q), ix(g)) * v2(ix(p), ix(g));
      }
      var(ix(q), ix(p)) = var(ix(p), ix(q));
    }
  }
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(var);
  if (qr.rank() < var.cols()) return na;
  return score.dot(qr.solve(score));
}

// cmprsk::timepoints on one curve: the value after the last jump at or before t, NaN past
// the last follow-up time.
std::size_t timepoint_index(const std::vector<double>& x, double t, bool& missing) {
  missing = false;
  if (t > x.back()) {
    missing = true;
    return 0;
  }
  if (t == x.back()) return x.size() - 1;
  const auto it = std::upper_bound(x.begin(), x.end(), t);
  if (it == x.begin()) {
    missing = true;
    return 0;
  }
  return static_cast<std::size_t>(it - x.begin());
}

}  // namespace

CumincResult cuminc(std::span<const double> time, std::span<const int> status, std::span<const std::string> group,
                    const CumincOptions& options) {
  detail::require_finite(time, "cuminc", "time");
  if (status.size() != time.size()) {
    detail::fail("cuminc", "time and status differ in length (" + std::to_string(time.size()) + " and " +
                               std::to_string(status.size()) + ")");
  }
  if (!group.empty() && group.size() != time.size()) {
    detail::fail("cuminc", "group and time differ in length (" + std::to_string(group.size()) + " and " +
                               std::to_string(time.size()) + ")");
  }
  for (std::size_t i = 0; i < time.size(); ++i) {
    if (time[i] < 0) detail::fail("cuminc", "time[" + std::to_string(i) + "] is negative");
  }
  CumincResult r;
  r.grouped = !group.empty();
  std::vector<std::string> labels;
  if (r.grouped) {
    labels.assign(group.begin(), group.end());
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    r.groups = labels;
  } else {
    labels = {std::string()};
  }
  const std::size_t ng = labels.size();
  for (int s : status) {
    if (s != options.cencode) r.causes.push_back(s);
  }
  std::sort(r.causes.begin(), r.causes.end());
  r.causes.erase(std::unique(r.causes.begin(), r.causes.end()), r.causes.end());
  if (r.causes.empty()) detail::fail("cuminc", "no failures: every status equals cencode");

  std::vector<Subject> all(time.size());
  for (std::size_t i = 0; i < time.size(); ++i) {
    std::size_t g = 0;
    if (r.grouped) {
      g = static_cast<std::size_t>(std::lower_bound(labels.begin(), labels.end(), group[i]) - labels.begin());
    }
    all[i] = {time[i], status[i], g};
  }
  std::stable_sort(all.begin(), all.end(), [](const Subject& a, const Subject& b) { return a.time < b.time; });
  std::vector<std::vector<Subject>> by_group(ng);
  for (const Subject& s : all) by_group[s.group].push_back(s);

  r.timepoint_times = options.timepoints;
  std::sort(r.timepoint_times.begin(), r.timepoint_times.end());
  r.timepoint_times.erase(std::unique(r.timepoint_times.begin(), r.timepoint_times.end()), r.timepoint_times.end());

  for (int cause : r.causes) {
    for (std::size_t g = 0; g < ng; ++g) {
      CumincCurve curve = incidence_curve(by_group[g], cause, options.cencode);
      curve.group = labels[g];
      CumincCurve jumps;
      jumps.group = curve.group;
      jumps.cause = cause;
      for (std::size_t k = 2; k + 1 < curve.time.size(); k += 2) {
        jumps.time.push_back(curve.time[k]);
        jumps.est.push_back(curve.est[k]);
        jumps.var.push_back(curve.var[k]);
      }
      CumincTimepoints tp;
      tp.group = curve.group;
      tp.cause = cause;
      for (double t : r.timepoint_times) {
        bool missing = false;
        const std::size_t k = timepoint_index(curve.time, t, missing);
        tp.est.push_back(missing ? na : curve.est[k]);
        tp.var.push_back(missing ? na : curve.var[k]);
      }
      r.curves.push_back(std::move(curve));
      r.at_event_times.push_back(std::move(jumps));
      r.timepoints.push_back(std::move(tp));
    }
    if (ng > 1) {
      std::vector<int> code(all.size());
      for (std::size_t i = 0; i < all.size(); ++i) {
        code[i] = all[i].status == options.cencode ? 0 : (all[i].status == cause ? 1 : 2);
      }
      GrayTest test;
      test.cause = cause;
      test.df = static_cast<int>(ng) - 1;
      test.statistic = gray_statistic(all, code, ng);
      test.p_value = detail::pchisq_upper(test.statistic, test.df);
      r.tests.push_back(test);
    }
  }
  return r;
}

}  // namespace escapade::stats
