// SpectrumMatrix: the Gating-ML 2.0 spectrumMatrix and the FCS spillover matrix as one type.
#include <cmath>
#include <set>
#include <stdexcept>

#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/comp/detail/names.hpp"

namespace escapade::comp {

namespace {

void check_names(const std::vector<std::string>& names, std::string_view what, const std::string& source) {
  std::set<std::string_view> seen;
  for (const auto& name : names) {
    if (name.empty()) throw InputError(ErrorKind::invalid_argument, source, std::string(what), "a name is empty");
    if (!seen.insert(name).second) {
      throw InputError(ErrorKind::invalid_argument, source, std::string(what), "'" + name + "' appears twice");
    }
  }
}

}  // namespace

SpectrumMatrix::SpectrumMatrix(std::vector<std::string> fluorochromes, std::vector<std::string> detectors,
                               std::vector<double> coefficients, std::string id)
    : my_fluorochromes(std::move(fluorochromes)),
      my_detectors(std::move(detectors)),
      my_coefficients(std::move(coefficients)),
      my_id(std::move(id)) {
  const std::string source = detail::matrix_source(my_id);
  const std::size_t n = my_fluorochromes.size();
  const std::size_t m = my_detectors.size();
  if (n == 0) throw InputError(ErrorKind::invalid_argument, source, "fluorochromes", "the matrix has no rows");
  if (m < n) {
    // Fewer equations than unknowns: no unique unmixing exists (Gating-ML requires m ≥ n).
    throw InputError(ErrorKind::invalid_argument, source, "detectors",
                     std::to_string(n) + " fluorochromes cannot be unmixed from only " + std::to_string(m) +
                         " detectors");
  }
  check_names(my_fluorochromes, "fluorochromes", source);
  check_names(my_detectors, "detectors", source);
  // n ≤ m and both are name counts, so n·m cannot overflow before the names exhaust memory.
  if (my_coefficients.size() != n * m) {
    throw InputError(ErrorKind::invalid_argument, source, "coefficients",
                     std::to_string(n) + " fluorochromes × " + std::to_string(m) + " detectors need " +
                         std::to_string(n * m) + " coefficients, got " + std::to_string(my_coefficients.size()));
  }
  for (std::size_t i = 0; i < my_coefficients.size(); ++i) {
    if (!std::isfinite(my_coefficients[i])) {
      throw InputError(ErrorKind::numeric, source,
                       "row " + my_fluorochromes[i / m] + ", column " + my_detectors[i % m],
                       "coefficient is not a finite number");
    }
  }
}

SpectrumMatrix::SpectrumMatrix(const fcs::SpilloverMatrix& spillover, std::string id)
    : SpectrumMatrix(spillover.detectors(), spillover.detectors(),
                     std::vector<double>(spillover.values().begin(), spillover.values().end()), std::move(id)) {}

double SpectrumMatrix::at(std::size_t row, std::size_t col) const {
  if (row >= fluorochrome_count() || col >= detector_count()) {
    throw std::out_of_range("SpectrumMatrix::at: index out of range");
  }
  return my_coefficients[row * detector_count() + col];
}

std::string SpectrumMatrix::summary() const {
  return "SpectrumMatrix(" + (my_id.empty() ? std::string() : my_id + ": ") + std::to_string(fluorochrome_count()) +
         " fluorochromes × " + std::to_string(detector_count()) + " detectors)";
}

}  // namespace escapade::comp
