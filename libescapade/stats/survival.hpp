#pragma once
/// @file
/// Survival analysis: Kaplan-Meier (R `survival::survfit`), the log-rank test
/// (`survival::survdiff`), cumulative incidence with competing risks and Gray's test
/// (`cmprsk::cuminc`, `cmprsk::timepoints`) and Fine-Gray regression (`cmprsk::crr`).

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "libescapade/stats/common.hpp"

namespace escapade::stats {

// ---------------------------------------------------------------- Kaplan-Meier

/// Options of `kaplan_meier`. The interval is R's default log type.
struct KaplanMeierOptions {
  double conf_level = 0.95;  ///< level of the pointwise interval, in (0, 1)
};

/// A Kaplan-Meier curve, one row per distinct time (event or censoring), increasing, as
/// `survfit` stores it. NaN marks R's NA.
struct KaplanMeierCurve {
  std::vector<double> time;
  std::vector<std::size_t> n_risk;       ///< subjects with time >= t (censored at t are at risk)
  std::vector<std::size_t> n_event;      ///< events at t
  std::vector<std::size_t> n_censor;     ///< censorings at t
  std::vector<double> surv;              ///< product-limit estimate S(t)
  std::vector<double> std_err_surv;      ///< Greenwood SE of S (`summary.survfit`); NaN once S = 0
  std::vector<double> std_err_log_surv;  ///< Greenwood SE of -log S (`survfit$std.err`); inf once S = 0
  std::vector<double> lower;             ///< exp(log S - z·se), NaN once S = 0
  std::vector<double> upper;             ///< min(1, exp(log S + z·se)), NaN once S = 0
  double median = 0;                     ///< `quantile(fit, 0.5)` rule (survival:::findq); NaN if not reached
  double median_lower = 0;               ///< the same rule on the lower curve
  double median_upper = 0;               ///< the same rule on the upper curve
};

/// The Kaplan-Meier estimate with Greenwood standard errors and log-type intervals (R
/// `survival::survfit(Surv(time, status) ~ 1)` and `quantile(fit, 0.5)`).
/// @param[in] time   follow-up times, in any order.
/// @param[in] status 1 = event, 0 = censored.
/// @throws InputError(invalid_argument) if the inputs are empty, differ in length, hold a
///         non-finite time or a status other than 0/1, or conf_level is not in (0, 1).
[[nodiscard]] KaplanMeierCurve kaplan_meier(std::span<const double> time, std::span<const int> status,
                                            const KaplanMeierOptions& options = {});

// ---------------------------------------------------------------- log-rank

/// The result of `logrank_test`.
struct LogRankResult {
  std::vector<std::string> groups;            ///< sorted labels
  std::vector<std::size_t> n;                 ///< subjects per group
  std::vector<double> observed;               ///< events per group
  std::vector<double> expected;               ///< Σ over event times of D·n_g/N
  std::vector<std::vector<double>> variance;  ///< hypergeometric variance of O - E
  double chisq = 0;    ///< (O-E)ᵀ V⁻ (O-E) with the first group (of those with E > 0) dropped
  int df = 0;          ///< groups with E > 0, minus 1
  double p_value = 0;  ///< upper chi-square tail
};

/// The log-rank test, rho = 0 (R `survival::survdiff(Surv(time, status) ~ group)`).
/// @param[in] status 1 = event, 0 = censored.
/// @param[in] group  a label per subject; at least two distinct labels.
/// @throws InputError(invalid_argument) on empty or mismatched inputs, a bad status, or
///         fewer than two groups; InputError(numeric) if the variance matrix is singular.
[[nodiscard]] LogRankResult logrank_test(std::span<const double> time, std::span<const int> status,
                                         std::span<const std::string> group);

// ---------------------------------------------------------------- cumulative incidence

/// Options of `cuminc`.
struct CumincOptions {
  int cencode = 0;  ///< the status code of a censored subject (cmprsk `cencode`)
  /// Times at which `timepoints` reports the estimates (`cmprsk::timepoints`); sorted and
  /// made unique on use. Empty: no timepoint table.
  std::vector<double> timepoints;
};

/// One cumulative incidence curve, of one cause in one group.
struct CumincCurve {
  std::string group;         ///< the group label (empty when `cuminc` was called without groups)
  int cause = 0;             ///< the status code of the cause
  std::vector<double> time;  ///< see `CumincResult::curves` / `at_event_times`
  std::vector<double> est;   ///< estimate
  std::vector<double> var;   ///< Gray's delta-method variance
};

/// Estimates at fixed times (`cmprsk::timepoints`); NaN beyond the group's last follow-up.
struct CumincTimepoints {
  std::string group;
  int cause = 0;
  std::vector<double> est;  ///< one per `CumincResult::timepoint_times`
  std::vector<double> var;
};

/// Gray's K-sample test for one cause (rho = 0, no strata).
struct GrayTest {
  int cause = 0;
  double statistic = 0;  ///< sᵀ V⁻¹ s; NaN when V is singular (R reports -1 there)
  double p_value = 0;    ///< upper chi-square tail
  int df = 0;            ///< groups - 1
};

/// The result of `cuminc`. Curves are ordered by cause, then by group.
struct CumincResult {
  bool grouped = false;             ///< whether groups were given
  std::vector<std::string> groups;  ///< sorted labels (empty when not grouped)
  std::vector<int> causes;          ///< sorted status codes other than `cencode`
  /// The step arrays exactly as `cuminc` returns them: (0, 0, 0) first, two points per
  /// distinct event time of the cause (before and after the jump), and a last point at the
  /// group's largest follow-up time.
  std::vector<CumincCurve> curves;
  std::vector<CumincCurve> at_event_times;   ///< the values right after each jump
  std::vector<double> timepoint_times;       ///< sorted unique `options.timepoints`
  std::vector<CumincTimepoints> timepoints;  ///< one row per curve
  std::vector<GrayTest> tests;               ///< one per cause; empty when not grouped or one group
};

/// Aalen-Johansen cumulative incidence with Gray's variances and Gray's test (R
/// `cmprsk::cuminc(ftime, fstatus, group, cencode = 0)` and `cmprsk::timepoints`).
/// @param[in] group one label per subject, or empty for a single group.
/// @throws InputError(invalid_argument) on empty or mismatched inputs, a negative or
///         non-finite time, or no failures at all.
[[nodiscard]] CumincResult cuminc(std::span<const double> time, std::span<const int> status,
                                  std::span<const std::string> group, const CumincOptions& options = {});

// ---------------------------------------------------------------- Fine-Gray

/// Options of `crr`. The iteration defaults are tighter than cmprsk's (gtol = 1e-6,
/// maxiter = 10); with them the fit matches `crr(..., gtol = 1e-9, maxiter = 200)`.
struct CrrOptions {
  int failcode = 1;          ///< the cause of interest
  int cencode = 0;           ///< the status code of a censored subject
  double gtol = 1e-9;        ///< stop when max|score·max(|b|,1)| < max(|loglik|,1)·gtol (cmprsk rule)
  int max_iter = 200;        ///< Newton-Raphson iterations at most
  double conf_level = 0.95;  ///< level of the Wald intervals of exp(coef)
};

/// The result of `crr`.
struct CrrResult {
  std::vector<std::string> covariate_names;
  std::vector<double> coef;                        ///< subdistribution log hazard ratios
  std::vector<double> se;                          ///< sqrt(diag(var))
  std::vector<double> z;                           ///< coef / se
  std::vector<double> p_value;                     ///< 2(1 - Φ(|z|))
  std::vector<double> exp_coef;                    ///< exp(coef)
  std::vector<std::array<double, 2>> exp_coef_ci;  ///< exp(coef ± z_{(1+level)/2}·se)
  std::vector<std::vector<double>> var;            ///< crr's sandwich variance (with the censoring term)
  double loglik = 0;                               ///< log pseudo-likelihood at the fit
  double loglik_null = 0;                          ///< at coef = 0
  std::size_t n = 0;                               ///< subjects used
  bool converged = false;
  int iterations = 0;  ///< Newton steps taken
};

/// Fine-Gray proportional subdistribution hazards regression (R `cmprsk::crr(ftime,
/// fstatus, cov1, failcode, cencode)`; one censoring group, no time-varying covariates).
/// @param[in] covariate_names one name per covariate; fixes the order.
/// @param[in] covariates one vector per covariate, each as long as `time`.
/// @throws InputError(invalid_argument) on empty or mismatched inputs, non-finite values,
///         no covariates, or no failure of `failcode`; InputError(numeric) if the
///         information matrix is singular.
[[nodiscard]] CrrResult crr(std::span<const double> time, std::span<const int> status,
                            const std::vector<std::string>& covariate_names,
                            const std::vector<std::vector<double>>& covariates, const CrrOptions& options = {});

}  // namespace escapade::stats
