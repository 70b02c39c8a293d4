// The reference-case validator (shared/reference/stats/README.md): runs each case, renders
// the computed values under the keys of `expected`, and compares them by the README rules.
#include "libescapade/stats/validate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "libescapade/base/error.hpp"
#include "libescapade/stats/descriptive.hpp"
#include "libescapade/stats/survival.hpp"
#include "libescapade/stats/tests.hpp"

namespace escapade::stats {

namespace {

using json = nlohmann::json;

// ------------------------------------------------------------------ reading a case

[[noreturn]] void bad_case(const std::string& where, const std::string& reason) {
  throw InputError(ErrorKind::format, "case", where, reason);
}

const json& member(const json& object, const std::string& key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) bad_case(where, "missing '" + key + "'");
  return object.at(key);
}

double to_double(const json& v, const std::string& where) {
  if (v.is_number()) return v.get<double>();
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "Inf") return std::numeric_limits<double>::infinity();
    if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  }
  bad_case(where, "expected a number, got " + v.dump());
}

std::vector<double> doubles(const json& input, const std::string& key) {
  const json& v = member(input, key, "input");
  if (!v.is_array()) bad_case("input." + key, "expected an array");
  std::vector<double> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(to_double(v[i], "input." + key));
  return out;
}

std::vector<int> ints(const json& input, const std::string& key) {
  const json& v = member(input, key, "input");
  if (!v.is_array()) bad_case("input." + key, "expected an array");
  std::vector<int> out;
  for (const json& e : v) {
    if (!e.is_number_integer()) bad_case("input." + key, "expected integers, got " + e.dump());
    out.push_back(e.get<int>());
  }
  return out;
}

std::vector<std::string> labels(const json& input, const std::string& key) {
  const json& v = member(input, key, "input");
  if (!v.is_array()) bad_case("input." + key, "expected an array");
  std::vector<std::string> out;
  for (const json& e : v) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

std::vector<std::vector<double>> matrix(const json& input, const std::string& key) {
  const json& v = member(input, key, "input");
  if (!v.is_array()) bad_case("input." + key, "expected an array of arrays");
  std::vector<std::vector<double>> out;
  for (const json& row : v) {
    if (!row.is_array()) bad_case("input." + key, "expected an array of arrays");
    std::vector<double> r;
    for (const json& e : row) r.push_back(to_double(e, "input." + key));
    out.push_back(std::move(r));
  }
  return out;
}

Alternative alternative_of(const json& options) {
  if (!options.is_object() || !options.contains("alternative")) return Alternative::two_sided;
  const std::string s = options.at("alternative").get<std::string>();
  if (s == "two-sided" || s == "two.sided") return Alternative::two_sided;
  if (s == "less") return Alternative::less;
  if (s == "greater") return Alternative::greater;
  bad_case("options.alternative", "unknown alternative '" + s + "'");
}

RankMethod method_of(const json& options) {
  if (!options.is_object() || !options.contains("method")) return RankMethod::automatic;
  const std::string s = options.at("method").get<std::string>();
  if (s == "exact") return RankMethod::exact;
  if (s == "normal" || s == "approx" || s == "asymptotic") return RankMethod::normal;
  if (s == "auto" || s == "automatic") return RankMethod::automatic;
  bad_case("options.method", "unknown method '" + s + "'");
}

template <typename T>
T option(const json& options, const std::string& key, T fallback) {
  if (!options.is_object() || !options.contains(key) || options.at(key).is_null()) return fallback;
  return options.at(key).get<T>();
}

// ------------------------------------------------------------------ rendering results

json num(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  return v;
}

template <typename T>
json nums(const std::vector<T>& v) {
  json out = json::array();
  for (const T& e : v) {
    if constexpr (std::is_floating_point_v<T>) {
      out.push_back(num(e));
    } else {
      out.push_back(e);
    }
  }
  return out;
}

json pair(const std::array<double, 2>& v) { return json::array({num(v[0]), num(v[1])}); }

json grid(const std::vector<std::vector<double>>& m) {
  json out = json::array();
  for (const auto& row : m) out.push_back(nums(row));
  return out;
}

std::string method_name(RankMethod m) { return m == RankMethod::exact ? "exact" : "normal"; }

// ------------------------------------------------------------------ the tests

json run_fisher(const json& in, const json& opt) {
  const auto t = matrix(in, "table");
  if (t.size() != 2 || t[0].size() != 2 || t[1].size() != 2) bad_case("input.table", "expected a 2 x 2 table");
  Table2x2 table{};
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 2; ++j) table[i][j] = static_cast<std::int64_t>(std::llround(t[i][j]));
  }
  const FisherResult r =
      fisher_exact_2x2(table, {.alternative = Alternative::two_sided, .conf_level = option(opt, "conf_level", 0.95)});
  return {{"p_two_sided", num(r.p_two_sided)},
          {"p_less", num(r.p_less)},
          {"p_greater", num(r.p_greater)},
          {"odds_ratio_conditional_mle", num(r.odds_ratio)},
          {"odds_ratio_conditional_ci", pair(r.conf_int)},
          {"odds_ratio_sample", num(r.sample_odds_ratio)}};
}

json run_chisq_2x2(const json& in, const json&) {
  const auto table = matrix(in, "table");
  const ChiSquareResult y = chisq_test(table, {.correct = true});
  const ChiSquareResult n = chisq_test(table, {.correct = false});
  return {{"yates", {{"statistic", num(y.statistic)}, {"p_value", num(y.p_value)}}},
          {"no_correction", {{"statistic", num(n.statistic)}, {"p_value", num(n.p_value)}}},
          {"df", n.df},
          {"expected_counts", grid(n.expected)}};
}

json run_chisq_rxc(const json& in, const json& opt) {
  const ChiSquareResult r = chisq_test(matrix(in, "table"), {.correct = option(opt, "correct", false)});
  return {{"statistic", num(r.statistic)},
          {"df", r.df},
          {"p_value", num(r.p_value)},
          {"expected_counts", grid(r.expected)}};
}

json run_mwu(const json& in, const json& opt) {
  const MannWhitneyResult r =
      mann_whitney_u(doubles(in, "x"), doubles(in, "y"),
                     {.alternative = alternative_of(opt),
                      .method = method_of(opt),
                      .correct = option(opt, "continuity_correction", option(opt, "correct", true))});
  json out = {{"U", num(r.u)}, {"W_R", num(r.u)}, {"rank_sum_x", num(r.rank_sum_x)}, {"U_min", num(r.u_min)}};
  if (r.method_used == RankMethod::normal) out["z"] = num(r.z);
  out["p_value"] = num(r.p_value);
  out["method_used"] = method_name(r.method_used);
  return out;
}

json run_wsr(const json& in, const json& opt) {
  const std::string zero = option<std::string>(opt, "zero_method", "wilcox");
  if (zero != "wilcox" && zero != "pratt") bad_case("options.zero_method", "unknown zero_method '" + zero + "'");
  const SignedRankResult r =
      wilcoxon_signed_rank(doubles(in, "x"), doubles(in, "y"),
                           {.alternative = alternative_of(opt),
                            .method = method_of(opt),
                            .correct = option(opt, "continuity_correction", option(opt, "correct", true)),
                            .zero_method = zero == "pratt" ? ZeroMethod::pratt : ZeroMethod::wilcox});
  json out = {{"V", num(r.v)},
              {"r_minus", num(r.r_minus)},
              {"T_min", num(r.t_min)},
              {"n_used", r.n_used},
              {"n_zero", r.n_zero}};
  if (r.method_used == RankMethod::normal) out["z"] = num(r.z);
  out["p_value"] = num(r.p_value);
  out["method_used"] = method_name(r.method_used);
  return out;
}

json render_t(const TTestResult& r, bool paired) {
  return {{"t", num(r.t)},
          {"df", num(r.df)},
          {"p_value", num(r.p_value)},
          {"conf_int", pair(r.conf_int)},
          {"estimate", paired ? num(r.estimate.at(0)) : nums(r.estimate)},
          {"stderr", num(r.std_error)}};
}

TTestOptions t_options(const json& opt) {
  return {
      .alternative = alternative_of(opt), .mu = option(opt, "mu", 0.0), .conf_level = option(opt, "conf_level", 0.95)};
}

json run_t_paired(const json& in, const json& opt) {
  return render_t(t_test_paired(doubles(in, "x"), doubles(in, "y"), t_options(opt)), true);
}
json run_t_welch(const json& in, const json& opt) {
  return render_t(t_test_welch(doubles(in, "x"), doubles(in, "y"), t_options(opt)), false);
}
json run_t_student(const json& in, const json& opt) {
  return render_t(t_test_student(doubles(in, "x"), doubles(in, "y"), t_options(opt)), false);
}

json run_kruskal(const json& in, const json&) {
  const KruskalWallisResult r = kruskal_wallis(matrix(in, "groups"));
  return {{"H", num(r.h)}, {"df", r.df}, {"p_value", num(r.p_value)}};
}

json run_spearman(const json& in, const json& opt) {
  const SpearmanResult r = spearman(doubles(in, "x"), doubles(in, "y"), {.alternative = alternative_of(opt)});
  std::string method;
  switch (r.method) {
    case SpearmanMethod::exact_permutation:
      method = "exact_permutation (n <= 9, AS 89 exact enumeration)";
      break;
    case SpearmanMethod::edgeworth:
      method = "edgeworth_AS89 (10 <= n <= 1290, no ties)";
      break;
    case SpearmanMethod::t_approximation:
      method = r.ties ? "t_approx (ties)" : "t_approx (n >= 1290)";
      break;
  }
  return {{"rho", num(r.rho)},
          {"S", num(r.s)},
          {"p_value_t", num(r.p_value_t)},
          {"p_value_r_default", num(r.p_value)},
          {"r_default_method", method}};
}

json run_km(const json& in, const json& opt) {
  const std::string type = option<std::string>(opt, "conf_type", "log");
  if (type != "log") bad_case("options.conf_type", "only conf_type 'log' is supported, got '" + type + "'");
  const KaplanMeierCurve k =
      kaplan_meier(doubles(in, "time"), ints(in, "status"), {.conf_level = option(opt, "conf_level", 0.95)});
  return {{"time", nums(k.time)},
          {"n_risk", nums(k.n_risk)},
          {"n_event", nums(k.n_event)},
          {"n_censor", nums(k.n_censor)},
          {"surv", nums(k.surv)},
          {"std_err_surv", nums(k.std_err_surv)},
          {"std_err_log_surv", nums(k.std_err_log_surv)},
          {"lower95", nums(k.lower)},
          {"upper95", nums(k.upper)},
          {"median", num(k.median)},
          {"median_lower95", num(k.median_lower)},
          {"median_upper95", num(k.median_upper)}};
}

json run_logrank(const json& in, const json&) {
  const std::vector<std::string> group = labels(in, "group");
  const LogRankResult r = logrank_test(doubles(in, "time"), ints(in, "status"), group);
  return {{"groups", r.groups},
          {"n", nums(r.n)},
          {"observed", nums(r.observed)},
          {"expected", nums(r.expected)},
          {"variance_matrix", grid(r.variance)},
          {"chisq", num(r.chisq)},
          {"df", r.df},
          {"p_value", num(r.p_value)}};
}

json run_cuminc(const json& in, const json& opt) {
  std::vector<std::string> group;
  if (in.contains("group") && !in.at("group").is_null()) group = labels(in, "group");
  CumincOptions o;
  o.cencode = option(opt, "cencode", 0);
  if (opt.is_object() && opt.contains("timepoints")) o.timepoints = doubles(opt, "timepoints");
  const CumincResult r = cuminc(doubles(in, "time"), ints(in, "status"), group, o);
  auto label = [&](const std::string& g) -> json { return r.grouped ? json(g) : json(nullptr); };
  auto curves = [&](const std::vector<CumincCurve>& cs) {
    json out = json::array();
    for (const CumincCurve& c : cs) {
      out.push_back({{"group", label(c.group)},
                     {"cause", c.cause},
                     {"time", nums(c.time)},
                     {"est", nums(c.est)},
                     {"var", nums(c.var)}});
    }
    return out;
  };
  json rows = json::array();
  for (const CumincTimepoints& t : r.timepoints) {
    rows.push_back({{"group", label(t.group)}, {"cause", t.cause}, {"est", nums(t.est)}, {"var", nums(t.var)}});
  }
  json times = json::array();
  for (double t : r.timepoint_times) {
    if (t == std::floor(t) && std::abs(t) < 1e15) {
      times.push_back(static_cast<std::int64_t>(t));
    } else {
      times.push_back(num(t));
    }
  }
  json tests = nullptr;
  if (!r.tests.empty()) {
    tests = json::array();
    for (const GrayTest& g : r.tests) {
      tests.push_back({{"cause", g.cause}, {"statistic", num(g.statistic)}, {"p_value", num(g.p_value)}, {"df", g.df}});
    }
  }
  return {{"groups", r.grouped ? json(r.groups) : json(nullptr)},
          {"causes", r.causes},
          {"curves", curves(r.curves)},
          {"at_event_times", curves(r.at_event_times)},
          {"timepoints", {{"times", times}, {"rows", rows}}},
          {"gray_test", tests}};
}

json run_crr(const json& in, const json& opt) {
  const json& names_json = member(in, "covariate_names", "input");
  std::vector<std::string> names;
  for (const json& e : names_json) names.push_back(e.get<std::string>());
  const json& covs = member(in, "covariates", "input");
  std::vector<std::vector<double>> columns;
  for (const std::string& name : names) columns.push_back(doubles(covs, name));
  CrrOptions o;
  o.failcode = option(opt, "failcode", 1);
  o.cencode = option(opt, "cencode", 0);
  o.gtol = option(opt, "gtol", 1e-9);
  o.max_iter = option(opt, "maxiter", 200);
  const CrrResult r = crr(doubles(in, "time"), ints(in, "status"), names, columns, o);
  json ci = json::array();
  for (const auto& c : r.exp_coef_ci) ci.push_back(pair(c));
  return {{"covariate_names", r.covariate_names},
          {"coef", nums(r.coef)},
          {"se", nums(r.se)},
          {"z", nums(r.z)},
          {"p_value", nums(r.p_value)},
          {"exp_coef", nums(r.exp_coef)},
          {"exp_coef_ci95", ci},
          {"loglik", num(r.loglik)},
          {"loglik_null", num(r.loglik_null)},
          {"n", r.n},
          {"converged", r.converged}};
}

json run_descriptive(const json& in, const json&) {
  const Descriptive d = describe(doubles(in, "x"));
  return {{"n", d.n},
          {"mean", num(d.mean)},
          {"sd", num(d.sd)},
          {"median", num(d.median)},
          {"q1", num(d.q1)},
          {"q3", num(d.q3)},
          {"iqr", num(d.iqr)},
          {"min", num(d.min)},
          {"max", num(d.max)},
          {"geometric_mean", num(d.geometric_mean)},
          {"cv_percent", num(d.cv_percent)}};
}

using Runner = json (*)(const json&, const json&);

struct NamedRunner {
  std::string_view test;
  Runner run;
};

// Sorted by name.
constexpr std::array<NamedRunner, 15> runners{{
    {"chisq_2x2", run_chisq_2x2},
    {"chisq_rxc", run_chisq_rxc},
    {"crr", run_crr},
    {"cuminc", run_cuminc},
    {"descriptive", run_descriptive},
    {"fisher_exact_2x2", run_fisher},
    {"kaplan_meier", run_km},
    {"kruskal_wallis", run_kruskal},
    {"logrank", run_logrank},
    {"mann_whitney_u", run_mwu},
    {"spearman", run_spearman},
    {"t_test_paired", run_t_paired},
    {"t_test_student", run_t_student},
    {"t_test_welch", run_t_welch},
    {"wilcoxon_signed_rank", run_wsr},
}};

Runner find_runner(std::string_view test) {
  for (const NamedRunner& r : runners) {
    if (r.test == test) return r.run;
  }
  return nullptr;
}

// ------------------------------------------------------------------ comparing

struct Mismatch {
  std::string path;
  std::string reason;
  json actual;
  json expected;
};

std::string format_number(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::optional<Mismatch> compare(const json& expected, const json* actual, const std::string& path, double tol,
                                double abs_tol) {
  auto mismatch = [&](std::string reason) {
    return Mismatch{path, std::move(reason), actual ? *actual : json(), expected};
  };
  if (actual == nullptr) return mismatch("missing from the computed values");
  if (expected.is_null()) {
    if (actual->is_null()) return std::nullopt;
    return mismatch("expected NA, computed " + actual->dump());
  }
  if (expected.is_string()) {
    const auto& e = expected.get_ref<const std::string&>();
    if (e == "Inf" || e == "-Inf") {
      const bool ok =
          (actual->is_string() && actual->get<std::string>() == e) ||
          (actual->is_number() && std::isinf(actual->get<double>()) && (actual->get<double>() > 0) == (e == "Inf"));
      if (ok) return std::nullopt;
      return mismatch("expected " + e + ", computed " + actual->dump());
    }
    if (actual->is_string() && actual->get<std::string>() == e) return std::nullopt;
    return mismatch("expected " + expected.dump() + ", computed " + actual->dump());
  }
  if (expected.is_boolean()) {
    if (actual->is_boolean() && actual->get<bool>() == expected.get<bool>()) return std::nullopt;
    return mismatch("expected " + expected.dump() + ", computed " + actual->dump());
  }
  if (expected.is_number()) {
    if (!actual->is_number()) return mismatch("expected a number " + expected.dump() + ", computed " + actual->dump());
    const double e = expected.get<double>();
    const double a = actual->get<double>();
    if (expected.is_number_integer()) {
      if (a == e) return std::nullopt;
      return mismatch("expected exactly " + expected.dump() + ", computed " + format_number(a));
    }
    const double allowed = tol * std::abs(e) + abs_tol;
    if (std::abs(a - e) <= allowed) return std::nullopt;
    return mismatch("computed " + format_number(a) + ", expected " + format_number(e) + " (|diff| " +
                    format_number(std::abs(a - e)) + " > " + format_number(allowed) + ")");
  }
  if (expected.is_array()) {
    if (!actual->is_array()) return mismatch("expected an array, computed " + actual->dump());
    if (actual->size() != expected.size()) {
      return mismatch("expected " + std::to_string(expected.size()) + " elements, computed " +
                      std::to_string(actual->size()));
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (auto m = compare(expected[i], &(*actual)[i], path + "[" + std::to_string(i) + "]", tol, abs_tol)) return m;
    }
    return std::nullopt;
  }
  if (expected.is_object()) {
    if (!actual->is_object()) return mismatch("expected an object, computed " + actual->dump());
    for (const auto& [key, value] : expected.items()) {
      const json* a = actual->contains(key) ? &actual->at(key) : nullptr;
      if (auto m = compare(value, a, path.empty() ? key : path + "." + key, tol, abs_tol)) return m;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

CaseOutcome run_case(const json& c, std::size_t index, std::string_view source) {
  CaseOutcome out;
  out.source = std::string(source);
  out.values_json = "{}";
  if (!c.is_object()) {
    out.id = "#" + std::to_string(index);
    out.reason = "case " + std::to_string(index) + " is not a JSON object";
    return out;
  }
  out.id = c.contains("id") && c.at("id").is_string() ? c.at("id").get<std::string>() : "#" + std::to_string(index);
  out.test = c.contains("test") && c.at("test").is_string() ? c.at("test").get<std::string>() : "";
  const Runner runner = find_runner(out.test);
  if (runner == nullptr) {
    out.reason = out.test.empty() ? "the case names no test" : "unknown test '" + out.test + "'";
    return out;
  }
  if (!c.contains("expected") || !c.at("expected").is_object()) {
    out.reason = "the case has no 'expected' object";
    return out;
  }
  json values;
  try {
    const json empty = json::object();
    const json& options = c.contains("options") && c.at("options").is_object() ? c.at("options") : empty;
    values = runner(member(c, "input", "case"), options);
  } catch (const Error& e) {
    out.reason = std::string("error: ") + e.what();
    return out;
  } catch (const std::exception& e) {
    out.reason = std::string("error: ") + e.what();
    return out;
  }
  out.values_json = values.dump();

  const json& expected = c.at("expected");
  const double tol = c.contains("tolerance") && c.at("tolerance").is_number() ? c.at("tolerance").get<double>() : 1e-9;
  const double abs_tol =
      c.contains("abs_tolerance") && c.at("abs_tolerance").is_number() ? c.at("abs_tolerance").get<double>() : 0.0;
  const json field_tol =
      c.contains("field_tolerance") && c.at("field_tolerance").is_object() ? c.at("field_tolerance") : json::object();
  for (const auto& [key, value] : expected.items()) {
    const double t = field_tol.contains(key) && field_tol.at(key).is_number() ? field_tol.at(key).get<double>() : tol;
    const json* a = values.contains(key) ? &values.at(key) : nullptr;
    if (auto m = compare(value, a, key, t, abs_tol)) {
      out.field = m->path;
      out.actual = m->actual.is_null() && a == nullptr ? "" : m->actual.dump();
      out.expected = m->expected.dump();
      out.reason = m->path + ": " + m->reason;
      return out;
    }
  }
  out.passed = true;
  return out;
}

}  // namespace

std::size_t ValidationReport::passed() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(cases.begin(), cases.end(), [](const CaseOutcome& c) { return c.passed; }));
}

ValidationReport validate_cases_text(std::string_view text, std::string_view source) {
  json cases;
  try {
    cases = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(ErrorKind::format, std::string(source), "byte " + std::to_string(e.byte),
                     "not valid JSON: " + std::string(e.what()));
  }
  if (!cases.is_array()) {
    throw InputError(ErrorKind::format, std::string(source), "", "expected a JSON array of cases");
  }
  ValidationReport report;
  for (std::size_t i = 0; i < cases.size(); ++i) report.cases.push_back(run_case(cases[i], i, source));
  return report;
}

ValidationReport validate_cases(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(ErrorKind::io, file.string(), "", "cannot open the case file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(ErrorKind::io, file.string(), "", "cannot read the case file");
  return validate_cases_text(text.str(), file.filename().string());
}

ValidationReport validate_cases(std::span<const std::filesystem::path> files) {
  ValidationReport all;
  for (const auto& f : files) {
    ValidationReport one = validate_cases(f);
    all.cases.insert(all.cases.end(), std::make_move_iterator(one.cases.begin()),
                     std::make_move_iterator(one.cases.end()));
  }
  return all;
}

std::string to_json(const ValidationReport& report, int indent) {
  json cases = json::array();
  for (const CaseOutcome& c : report.cases) {
    json values = json::parse(c.values_json, nullptr, false);
    if (values.is_discarded()) values = json::object();
    cases.push_back({{"source", c.source},
                     {"id", c.id},
                     {"test", c.test},
                     {"verdict", c.passed ? "pass" : "fail"},
                     {"reason", c.reason},
                     {"field", c.field},
                     {"actual", c.actual},
                     {"expected", c.expected},
                     {"values", values}});
  }
  const json out = {{"passed", report.passed()}, {"failed", report.failed()}, {"cases", cases}};
  return out.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> known_tests() {
  std::vector<std::string> names;
  for (const NamedRunner& r : runners) names.emplace_back(r.test);
  return names;
}

}  // namespace escapade::stats
