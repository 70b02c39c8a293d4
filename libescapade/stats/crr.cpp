// Fine-Gray proportional subdistribution hazards regression (R cmprsk::crr): the
// censoring-weighted partial likelihood (Breslow ties), Newton-Raphson with cmprsk's
// backtracking and stopping rule, and cmprsk's sandwich variance, which includes the
// term for the estimated censoring distribution.
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
using Eigen::MatrixXd;
using Eigen::VectorXd;

// The data sorted by time, with the censoring KM G(t-) of each subject.
struct FgData {
  std::vector<double> t;
  std::vector<int> kind;  // 1 cause of interest, 2 other cause, 0 censored
  MatrixXd x;             // n × p
  std::vector<double> g;  // G(t_i-): censoring KM just before t_i
  // Distinct times of the cause of interest: first subject index of the tied block and
  // the number of failures of the cause there.
  std::vector<std::size_t> fail_first;
  std::vector<double> fail_count;
  std::vector<std::size_t> fail_last;  // one past the last subject with that time
};

// Risk-set weight of subject j at the time of subject i (cmprsk): 1 if still at risk,
// G(t_i-)/G(t_j-) after an earlier other-cause failure, 0 otherwise.
double risk_weight(const FgData& d, std::size_t j, std::size_t i) {
  if (d.t[j] >= d.t[i]) return 1.0;
  if (d.kind[j] == 2) return d.g[i] / d.g[j];
  return 0.0;
}

struct Objective {
  double value = 0;  // minus the log pseudo-likelihood
  VectorXd gradient;
  MatrixXd hessian;
};

Objective evaluate(const FgData& d, const VectorXd& b, bool derivatives) {
  const auto n = static_cast<std::size_t>(d.x.rows());
  const Eigen::Index p = d.x.cols();
  const VectorXd eta = d.x * b;
  Objective o;
  o.gradient = VectorXd::Zero(p);
  o.hessian = MatrixXd::Zero(p, p);
  for (std::size_t f = 0; f < d.fail_first.size(); ++f) {
    const std::size_t i0 = d.fail_first[f];
    double s0 = 0;
    VectorXd s1 = VectorXd::Zero(p);
    MatrixXd s2 = MatrixXd::Zero(p, p);
    for (std::size_t j = 0; j < n; ++j) {
      const double w = risk_weight(d, j, i0);
      if (w == 0) continue;
      const double e = w * std::exp(eta(static_cast<Eigen::Index>(j)));
      s0 += e;
      if (derivatives) {
        const auto xj = d.x.row(static_cast<Eigen::Index>(j)).transpose();
        s1 += e * xj;
        s2 += e * xj * xj.transpose();
      }
    }
    for (std::size_t i = i0; i < d.fail_last[f]; ++i) {
      if (d.kind[i] != 1) continue;
      o.value -= eta(static_cast<Eigen::Index>(i));
      if (derivatives) o.gradient -= d.x.row(static_cast<Eigen::Index>(i)).transpose();
    }
    o.value += d.fail_count[f] * std::log(s0);
    if (derivatives) {
      const VectorXd mean = s1 / s0;
      o.gradient += d.fail_count[f] * mean;
      o.hessian += d.fail_count[f] * (s2 / s0 - mean * mean.transpose());
    }
  }
  return o;
}

// cmprsk's crrvv: the information matrix and the middle of the sandwich.
MatrixXd sandwich_variance(const FgData& d, const VectorXd& b) {
  const auto n = static_cast<std::size_t>(d.x.rows());
  const Eigen::Index p = d.x.cols();
  const VectorXd e = (d.x * b).array().exp();
  auto row = [&](std::size_t i) { return d.x.row(static_cast<Eigen::Index>(i)).transpose(); };
  auto ei = [&](std::size_t i) { return e(static_cast<Eigen::Index>(i)); };

  // Risk-set sums at the time of every failure of the cause.
  std::vector<double> s0(n, 0.0);
  std::vector<VectorXd> s1(n, VectorXd::Zero(p));
  MatrixXd info = MatrixXd::Zero(p, p);
  for (std::size_t i = 0; i < n; ++i) {
    if (d.kind[i] != 1) continue;
    for (std::size_t j = 0; j < n; ++j) {
      const double w = risk_weight(d, j, i);
      if (w == 0) continue;
      s0[i] += w * ei(j);
      s1[i] += w * ei(j) * row(j);
    }
    const VectorXd mean = s1[i] / s0[i];
    for (std::size_t j = 0; j < n; ++j) {
      const double w = risk_weight(d, j, i);
      if (w == 0) continue;
      const VectorXd dx = row(j) - mean;
      info += (w * ei(j) / s0[i]) * dx * dx.transpose();
    }
  }

  // q(u) at each time u that has a censoring, and the number at risk there.
  MatrixXd middle = MatrixXd::Zero(p, p);
  VectorXd censor_sum = VectorXd::Zero(p);  // -Σ_{u <= t} c_u q(u)/Y(u)²
  VectorXd q_block = VectorXd::Zero(p);
  double y_block = 0;
  std::size_t block_start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || d.t[i] > d.t[i - 1]) {
      block_start = i;
      std::size_t block_end = i;
      double censored = 0;
      while (block_end < n && d.t[block_end] == d.t[i]) {
        if (d.kind[block_end] == 0) censored += 1;
        ++block_end;
      }
      y_block = static_cast<double>(n - i);
      if (censored > 0) {
        q_block.setZero();
        for (std::size_t j1 = block_start; j1 < n; ++j1) {
          if (d.kind[j1] != 1) continue;
          double ss0 = 0;
          VectorXd ss = VectorXd::Zero(p);
          for (std::size_t j2 = 0; j2 < n && d.t[j2] < d.t[i]; ++j2) {
            if (d.kind[j2] != 2) continue;
            const double w = ei(j2) * d.g[j1] / d.g[j2];
            ss0 += w;
            ss += w * row(j2);
          }
          q_block += (ss - s1[j1] * ss0 / s0[j1]) / s0[j1];
        }
        censor_sum -= censored * q_block / (y_block * y_block);
      }
    }
    // eta_i: the dΛ̂ part over all failures, plus the dN part for a failure of the cause.
    VectorXd eta = VectorXd::Zero(p);
    for (std::size_t j = 0; j < n; ++j) {
      if (d.kind[j] != 1) continue;
      double w = 0;
      if (d.t[j] <= d.t[i]) {
        w = ei(i);
      } else if (d.kind[i] == 2) {
        w = ei(i) * d.g[j] / d.g[i];
      } else {
        continue;
      }
      eta -= (row(i) - s1[j] / s0[j]) * w / s0[j];
    }
    if (d.kind[i] == 1) eta += row(i) - s1[i] / s0[i];
    // psi_i: the censoring-distribution part.
    VectorXd psi = censor_sum;
    if (d.kind[i] == 0) psi += q_block / y_block;
    const VectorXd total = eta + psi;
    middle += total * total.transpose();
  }
  const MatrixXd h = info.inverse();
  return h * middle * h.transpose();
}

}  // namespace

CrrResult crr(std::span<const double> time, std::span<const int> status,
              const std::vector<std::string>& covariate_names, const std::vector<std::vector<double>>& covariates,
              const CrrOptions& options) {
  detail::require_finite(time, "crr", "time");
  detail::require_level(options.conf_level, "crr");
  const std::size_t n = time.size();
  if (status.size() != n) {
    detail::fail("crr", "time and status differ in length (" + std::to_string(n) + " and " +
                            std::to_string(status.size()) + ")");
  }
  if (covariates.empty()) detail::fail("crr", "no covariates");
  if (covariate_names.size() != covariates.size()) {
    detail::fail("crr", std::to_string(covariate_names.size()) + " covariate names for " +
                            std::to_string(covariates.size()) + " covariates");
  }
  for (std::size_t k = 0; k < covariates.size(); ++k) {
    if (covariates[k].size() != n) {
      detail::fail("crr", "covariate '" + covariate_names[k] + "' has " + std::to_string(covariates[k].size()) +
                              " values for " + std::to_string(n) + " subjects");
    }
    detail::require_finite(covariates[k], "crr", "covariate '" + covariate_names[k] + "'");
  }
  if (std::find(status.begin(), status.end(), options.failcode) == status.end()) {
    detail::fail("crr", "no failure with failcode " + std::to_string(options.failcode));
  }

  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });
  const auto p = static_cast<Eigen::Index>(covariates.size());
  FgData d;
  d.x.resize(static_cast<Eigen::Index>(n), p);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t o = order[i];
    d.t.push_back(time[o]);
    d.kind.push_back(status[o] == options.failcode ? 1 : (status[o] == options.cencode ? 0 : 2));
    for (Eigen::Index k = 0; k < p; ++k)
      d.x(static_cast<Eigen::Index>(i), k) = covariates[static_cast<std::size_t>(k)][o];
  }
  // Censoring KM, evaluated just before each subject's time.
  d.g.assign(n, 1.0);
  {
    double g = 1;
    std::size_t i = 0;
    while (i < n) {
      std::size_t j = i;
      double censored = 0;
      for (; j < n && d.t[j] == d.t[i]; ++j) {
        if (d.kind[j] == 0) censored += 1;
      }
      for (std::size_t m = i; m < j; ++m) d.g[m] = g;
      g *= (static_cast<double>(n - i) - censored) / static_cast<double>(n - i);
      i = j;
    }
  }
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    double count = 0;
    for (; j < n && d.t[j] == d.t[i]; ++j) {
      if (d.kind[j] == 1) count += 1;
    }
    if (count > 0) {
      d.fail_first.push_back(i);
      d.fail_last.push_back(j);
      d.fail_count.push_back(count);
    }
    i = j;
  }

  // Newton-Raphson as cmprsk: stop on max|g·max(|b|,1)| < max(|f|,1)·gtol, backtrack
  // (halving, Armijo 1e-4) at most 20 times.
  VectorXd b = VectorXd::Zero(p);
  CrrResult r;
  Objective o;
  for (int iter = 0;; ++iter) {
    o = evaluate(d, b, true);
    const double lhs = (o.gradient.array().abs() * b.array().abs().max(1.0)).maxCoeff();
    if (lhs < std::max(std::abs(o.value), 1.0) * options.gtol) {
      r.converged = true;
      break;
    }
    if (iter == options.max_iter) break;
    VectorXd step = -o.hessian.fullPivLu().solve(o.gradient);
    VectorXd next = b + step;
    double fnext = evaluate(d, next, false).value;
    int halvings = 0;
    bool failed = false;
    while (std::isnan(fnext) || fnext > o.value + 1e-4 * step.dot(o.gradient)) {
      if (++halvings > 20) {
        failed = true;
        break;
      }
      step *= 0.5;
      next = b + step;
      fnext = evaluate(d, next, false).value;
    }
    if (failed) break;
    b = next;
    r.iterations = iter + 1;
  }
  if (o.hessian.fullPivLu().rank() < p) {
    detail::fail("crr", "the information matrix is singular", ErrorKind::numeric);
  }

  const MatrixXd var = sandwich_variance(d, b);
  const double z975 = detail::qnorm(1 - (1 - options.conf_level) / 2);
  r.covariate_names = covariate_names;
  r.n = n;
  r.loglik = -o.value;
  r.loglik_null = -evaluate(d, VectorXd::Zero(p), false).value;
  r.var.assign(static_cast<std::size_t>(p), std::vector<double>(static_cast<std::size_t>(p)));
  for (Eigen::Index k = 0; k < p; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    for (Eigen::Index m = 0; m < p; ++m) r.var[ku][static_cast<std::size_t>(m)] = var(k, m);
    const double coef = b(k);
    const double se = var(k, k) >= 0 ? std::sqrt(var(k, k)) : na;
    r.coef.push_back(coef);
    r.se.push_back(se);
    r.z.push_back(coef / se);
    r.p_value.push_back(2 * detail::pnorm(-std::abs(coef / se)));
    r.exp_coef.push_back(std::exp(coef));
    r.exp_coef_ci.push_back({std::exp(coef - z975 * se), std::exp(coef + z975 * se)});
  }
  return r;
}

}  // namespace escapade::stats
