// Compensation: validate a spillover/spectrum matrix once and derive its unmixing matrix
// (stage 1 of STYLE §5). Eigen stays inside this file.
#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>

#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/comp/detail/names.hpp"

namespace escapade::comp {

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// σmin/σmax in the 2-norm; 0 for a zero matrix.
double reciprocal_condition_of(const Eigen::MatrixXd& a) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(a);
  const auto& s = svd.singularValues();
  if (s.size() == 0 || !(s(0) > 0.0)) return 0.0;
  return s(s.size() - 1) / s(0);
}

// The rows that take part in the near-dependency: the large entries of the left singular
// vector of the smallest singular value (uᵀS ≈ 0 says which rows combine to almost nothing).
std::vector<std::string> dependent_rows(const Eigen::MatrixXd& s, const std::vector<std::string>& names) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(s, Eigen::ComputeFullU);
  const Eigen::VectorXd u = svd.matrixU().col(svd.matrixU().cols() - 1);
  const double largest = u.cwiseAbs().maxCoeff();
  std::vector<std::string> out;
  for (Eigen::Index i = 0; i < u.size(); ++i) {
    if (std::abs(u(i)) >= 0.1 * largest) out.push_back(names[static_cast<std::size_t>(i)]);
  }
  return out;
}

std::string_view method_name(Method method) noexcept {
  switch (method) {
    case Method::automatic: return "automatic";
    case Method::inverse: return "inverse";
    case Method::least_squares: return "least squares";
    case Method::as_given: return "as given";
  }
  return "?";
}

}  // namespace

Compensation::Compensation(const SpectrumMatrix& matrix, const CompileOptions& options)
    : my_detectors(matrix.detectors()), my_dimensions(matrix.fluorochromes()), my_id(matrix.id()) {
  const std::string source = detail::matrix_source(my_id);
  const auto n = static_cast<Eigen::Index>(matrix.fluorochrome_count());
  const auto m = static_cast<Eigen::Index>(matrix.detector_count());
  if (n == 0) throw InputError(ErrorKind::invalid_argument, source, "", "the matrix is empty");

  Eigen::MatrixXd weights;  // n×m, Xᵀ
  if (options.matrix_inverted_already) {
    if (options.method != Method::automatic && options.method != Method::as_given) {
      throw InputError(ErrorKind::invalid_argument, source, "matrix-inverted-already",
                       "an already inverted matrix is used as given; method must be automatic or as_given");
    }
    // Gating-ML's inverted matrix has a row of n fluorochrome weights per detector.
    const Eigen::MatrixXd x = Eigen::Map<const RowMatrix>(matrix.coefficients().data(), m, n);
    my_reciprocal_condition = reciprocal_condition_of(x);
    my_method = Method::as_given;
    weights = x.transpose();
  } else {
    Method method = options.method;
    if (method == Method::automatic) method = n == m ? Method::inverse : Method::least_squares;
    if (method == Method::as_given) {
      throw InputError(ErrorKind::invalid_argument, source, "", "method as_given needs matrix_inverted_already");
    }
    if (method == Method::inverse && n != m) {
      throw InputError(ErrorKind::invalid_argument, source, "",
                       fmt::format("an inverse needs a square matrix, this one has {} fluorochromes × {} detectors",
                                   n, m));
    }
    const Eigen::MatrixXd s = Eigen::Map<const RowMatrix>(matrix.coefficients().data(), n, m);
    my_reciprocal_condition = reciprocal_condition_of(s);
    if (!(my_reciprocal_condition >= options.min_reciprocal_condition)) {
      const auto rows = dependent_rows(s, my_dimensions);
      const std::string involved = matrix.is_spillover()
                                       ? "detectors involved: " + detail::join_names(rows)
                                       : "fluorochromes involved: " + detail::join_names(rows) +
                                             " (over detectors " + detail::join_names(my_detectors) + ")";
      throw InputError(ErrorKind::numeric, source, "",
                       fmt::format("the matrix is singular or ill-conditioned (reciprocal condition number {:.3g} "
                                   "is below {:.3g}); {}",
                                   my_reciprocal_condition, options.min_reciprocal_condition, involved));
    }
    if (method == Method::inverse) {
      weights = s.partialPivLu().inverse().transpose();
    } else {
      // X = Sᵀ(S·Sᵀ)⁻¹, so Xᵀ = (S·Sᵀ)⁻¹S = pinv(Sᵀ): solve Sᵀ·Xᵀ = I in the least-squares
      // sense by QR, which works with cond(S) rather than the cond(S)² of forming S·Sᵀ.
      weights = s.transpose().colPivHouseholderQr().solve(Eigen::MatrixXd::Identity(m, m));
    }
    my_method = method;
  }
  if (!weights.allFinite()) {
    throw InputError(ErrorKind::numeric, source, "", "the unmixing matrix has a value that is not finite");
  }
  my_weights.resize(static_cast<std::size_t>(n * m));
  Eigen::Map<RowMatrix>(my_weights.data(), n, m) = weights;
}

Compensation::Compensation(const fcs::SpilloverMatrix& spillover, const CompileOptions& options)
    : Compensation(SpectrumMatrix(spillover), options) {}

double Compensation::unmixing(std::size_t detector, std::size_t dimension) const {
  if (detector >= detector_count() || dimension >= dimension_count()) {
    throw std::out_of_range("Compensation::unmixing: index out of range");
  }
  return my_weights[dimension * detector_count() + detector];
}

std::string Compensation::summary() const {
  return fmt::format("Compensation({}{} detectors → {} dimensions, {}, rcond {:.3g})",
                     my_id.empty() ? std::string() : my_id + ": ", detector_count(), dimension_count(),
                     method_name(my_method), my_reciprocal_condition);
}

}  // namespace escapade::comp
