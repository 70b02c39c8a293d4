// Gaussian mixtures in several dimensions (EM with full covariances). The 1-D mixture on a
// histogram is in threshold.cpp; this one works on the points themselves, which it only meets
// in small populations (a few thousand CD34+ events), so its cost is the points × EM steps.

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <numbers>

#include "libescapade/autogate/autogate.hpp"
#include "libescapade/base/error.hpp"

namespace escapade::autogate {

namespace {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// A component's density parameters in the form EM evaluates: the Cholesky factor of its
// covariance and the log of weight / ((2π)^(d/2) |Σ|^(1/2)).
struct Evaluator {
  Vector mean;
  Eigen::LLT<Matrix> llt;
  double log_scale = 0;
};

Evaluator evaluator_of(const MultivariateMixture::Component& c, std::size_t d) {
  Evaluator e;
  e.mean = Eigen::Map<const Vector>(c.mean.data(), static_cast<Eigen::Index>(d));
  const Matrix cov = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      c.covariance.data(), static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
  e.llt.compute(cov);
  double log_det = 0;
  const Matrix& l = e.llt.matrixL();
  for (Eigen::Index i = 0; i < l.rows(); ++i) log_det += 2 * std::log(l(i, i));
  e.log_scale = std::log(c.weight) - 0.5 * (static_cast<double>(d) * std::log(2 * std::numbers::pi) + log_det);
  return e;
}

double log_density(const Evaluator& e, const Vector& x) {
  const Vector z = e.llt.matrixL().solve(x - e.mean);
  return e.log_scale - 0.5 * z.squaredNorm();
}

// Log-sum-exp of the components' log densities into posteriors; returns the log likelihood.
double normalise(std::vector<double>& logs) {
  double top = -std::numeric_limits<double>::infinity();
  for (const double v : logs) top = std::max(top, v);
  double sum = 0;
  for (double& v : logs) sum += (v = std::exp(v - top));
  for (double& v : logs) v /= sum;
  return top + std::log(sum);
}

// M step: weights, means and covariances from the responsibilities (n × k). A small ridge
// keeps a component whose points lie on a line invertible.
bool maximise(const Matrix& x, const Matrix& r, MultivariateMixture& fitted) {
  const auto n = x.rows();
  const auto d = x.cols();
  MultivariateMixture m = fitted;
  for (std::size_t k = 0; k < m.components.size(); ++k) {
    const double nk = r.col(static_cast<Eigen::Index>(k)).sum();
    if (!(nk > static_cast<double>(d))) return false;
    const Vector mean = (x.transpose() * r.col(static_cast<Eigen::Index>(k))) / nk;
    const Matrix centred = x.rowwise() - mean.transpose();
    Matrix cov = (centred.transpose() * r.col(static_cast<Eigen::Index>(k)).asDiagonal() * centred) / nk;
    cov.diagonal().array() += 1e-9 * std::max(1.0, cov.diagonal().maxCoeff());
    auto& c = m.components[k];
    c.weight = nk / static_cast<double>(n);
    c.mean.assign(mean.data(), mean.data() + d);
    c.covariance.resize(static_cast<std::size_t>(d * d));
    for (Eigen::Index i = 0; i < d; ++i) {
      for (Eigen::Index j = 0; j < d; ++j) c.covariance[static_cast<std::size_t>(i * d + j)] = cov(i, j);
    }
  }
  fitted = std::move(m);
  return true;
}

}  // namespace

std::vector<double> MultivariateMixture::posteriors(std::span<const double> point) const {
  Vector x = Eigen::Map<const Vector>(point.data(), static_cast<Eigen::Index>(point.size()));
  std::vector<double> logs;
  for (const auto& c : components) logs.push_back(log_density(evaluator_of(c, dimensions), x));
  normalise(logs);
  return logs;
}

std::vector<double> MultivariateMixture::posterior(std::size_t k, const std::vector<std::vector<double>>& columns) const {
  std::vector<Evaluator> e;
  for (const auto& c : components) e.push_back(evaluator_of(c, dimensions));
  const std::size_t n = columns.empty() ? 0 : columns.front().size();
  std::vector<double> out(n), logs(components.size());
  Vector x(static_cast<Eigen::Index>(dimensions));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < dimensions; ++j) x(static_cast<Eigen::Index>(j)) = columns[j][i];
    for (std::size_t c = 0; c < e.size(); ++c) logs[c] = log_density(e[c], x);
    normalise(logs);
    out[i] = logs[k];
  }
  return out;
}

MultivariateMixture fit_multivariate_mixture(const std::vector<std::vector<double>>& columns, std::span<const std::size_t> initial,
                                             std::size_t k, std::size_t max_iterations) {
  const auto fail = [](const std::string& why) { return InputError(ErrorKind::invalid_argument, "", "", why); };
  if (columns.empty() || k == 0) throw fail("a mixture needs at least one dimension and one component");
  const std::size_t d = columns.size();
  const std::size_t n = columns.front().size();
  for (const auto& c : columns) {
    if (c.size() != n) throw fail("the dimensions of a mixture have different numbers of points");
  }
  if (initial.size() != n) throw fail(fmt::format("{} first assignments for {} points", initial.size(), n));
  // The finite points, one per row.
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < n; ++i) {
    if (initial[i] >= k) throw fail(fmt::format("point {} starts in component {} of {}", i, initial[i], k));
    bool finite = true;
    for (std::size_t j = 0; j < d && finite; ++j) finite = std::isfinite(columns[j][i]);
    if (finite) rows.push_back(static_cast<Eigen::Index>(i));
  }
  const auto m_rows = static_cast<Eigen::Index>(rows.size());
  Matrix x(m_rows, static_cast<Eigen::Index>(d));
  Matrix r = Matrix::Zero(m_rows, static_cast<Eigen::Index>(k));
  for (Eigen::Index i = 0; i < m_rows; ++i) {
    const auto p = static_cast<std::size_t>(rows[static_cast<std::size_t>(i)]);
    for (std::size_t j = 0; j < d; ++j) x(i, static_cast<Eigen::Index>(j)) = columns[j][p];
    r(i, static_cast<Eigen::Index>(initial[p])) = 1;
  }
  MultivariateMixture m;
  m.dimensions = d;
  m.components.resize(k);
  if (!maximise(x, r, m)) {
    throw fail(fmt::format("a component of the first assignment has no more than {} points, too few to fit in {} dimensions", d, d));
  }
  double previous = -std::numeric_limits<double>::infinity();
  std::vector<double> logs(k);
  for (m.iterations = 1; m.iterations <= max_iterations; ++m.iterations) {
    std::vector<Evaluator> e;
    for (const auto& c : m.components) e.push_back(evaluator_of(c, d));
    double ll = 0;
    for (Eigen::Index i = 0; i < m_rows; ++i) {
      const Vector xi = x.row(i).transpose();
      for (std::size_t c = 0; c < k; ++c) logs[c] = log_density(e[c], xi);
      ll += normalise(logs);
      for (std::size_t c = 0; c < k; ++c) r(i, static_cast<Eigen::Index>(c)) = logs[c];
    }
    m.log_likelihood = ll;
    // A component that EM empties keeps its last fit: the caller sees its small weight.
    if (ll - previous < 1e-7 * std::abs(ll) || !maximise(x, r, m)) break;
    previous = ll;
  }
  m.iterations = std::min(m.iterations, max_iterations);
  return m;
}

}  // namespace escapade::autogate
