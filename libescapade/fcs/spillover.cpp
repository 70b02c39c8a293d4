// Spillover keywords: $SPILLOVER (FCS 3.1 §3.2.20), SPILL and $SPILL (same layout),
// and FCS 3.0 $COMP (docs/formats.md §1.7).
#include <cmath>
#include <set>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/detail/text.hpp"
#include "libescapade/fcs/spillover.hpp"

namespace escapade::fcs {

SpilloverMatrix::SpilloverMatrix(std::vector<std::string> detectors, std::vector<double> values)
    : my_detectors(std::move(detectors)), my_values(std::move(values)) {
  const std::size_t n = my_detectors.size();
  if (my_values.size() != n * n) {
    throw InputError(ErrorKind::invalid_argument, "", "spillover matrix",
                     std::to_string(n) + " detectors need " + std::to_string(n * n) + " coefficients, got " +
                         std::to_string(my_values.size()));
  }
  std::set<std::string> seen;
  for (const auto& d : my_detectors) {
    if (!seen.insert(d).second) {
      throw InputError(ErrorKind::invalid_argument, "", "spillover matrix", "detector '" + d + "' appears twice");
    }
  }
  for (double v : my_values) {
    if (!std::isfinite(v)) {
      throw InputError(ErrorKind::numeric, "", "spillover matrix", "a coefficient is not a finite number");
    }
  }
}

bool SpilloverMatrix::is_identity() const noexcept {
  const std::size_t n = size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (my_values[i * n + j] != (i == j ? 1.0 : 0.0)) return false;
    }
  }
  return true;
}

namespace {
std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      out.push_back(detail::trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}
}  // namespace

SpilloverMatrix parse_spillover(std::string_view value, std::string_view source, std::string_view keyword) {
  const std::string src(source);
  const std::string where = "keyword " + std::string(keyword);
  auto items = split_commas(value);
  if (items.empty() || items[0].empty()) {
    throw FcsError(ErrorKind::format, src, where, "empty value");
  }
  auto n = detail::parse_uint(items[0]);
  if (!n || *n == 0 || *n > 1000) {
    throw FcsError(ErrorKind::format, src, where,
                   "first item '" + std::string(items[0]) + "' is not a detector count between 1 and 1000");
  }
  const std::size_t count = *n;
  const std::size_t needed = 1 + count + count * count;
  if (items.size() != needed) {
    throw FcsError(ErrorKind::format, src, where,
                   std::to_string(count) + " detectors need " + std::to_string(needed) +
                       " comma-separated items (n, names, n² coefficients), found " + std::to_string(items.size()));
  }
  std::vector<std::string> names;
  names.reserve(count);
  for (std::size_t i = 0; i < count; ++i) names.emplace_back(items[1 + i]);
  std::vector<double> values;
  values.reserve(count * count);
  for (std::size_t i = 0; i < count * count; ++i) {
    auto v = detail::parse_double(items[1 + count + i]);
    if (!v || !std::isfinite(*v)) {
      throw FcsError(ErrorKind::format, src, where,
                     "coefficient " + std::to_string(i + 1) + " '" + std::string(items[1 + count + i]) +
                         "' is not a number");
    }
    values.push_back(*v);
  }
  try {
    return SpilloverMatrix(std::move(names), std::move(values));
  } catch (const Error& e) {
    throw FcsError(ErrorKind::format, src, where, e.reason());
  }
}

SpilloverMatrix parse_comp_keyword(std::string_view value, std::span<const std::string> detectors,
                                   std::string_view source) {
  const std::string src(source);
  const std::string where = "keyword $COMP";
  auto items = split_commas(value);
  auto n = items.empty() ? std::nullopt : detail::parse_uint(items[0]);
  if (!n || *n == 0 || *n != detectors.size() || items.size() != 1 + *n * *n) {
    throw FcsError(ErrorKind::format, src, where,
                   "expected n = " + std::to_string(detectors.size()) + " followed by n² coefficients");
  }
  const std::size_t count = *n;
  // $COMP holds compensation percentages: C[i][j] = % of parameter j subtracted from
  // parameter i (FCS 3.0 §3.2.20), so compensated = raw · Mᵀ with M = I − C/100 off the
  // diagonal. The spillover matrix S satisfies compensated = raw · S⁻¹, so S = (Mᵀ)⁻¹.
  std::vector<double> m(count * count);  // Mᵀ, row-major
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t j = 0; j < count; ++j) {
      auto v = detail::parse_double(items[1 + i * count + j]);
      if (!v) throw FcsError(ErrorKind::format, src, where, "coefficient '" + std::string(items[1 + i * count + j]) + "' is not a number");
      m[j * count + i] = (i == j) ? 1.0 : -*v / 100.0;
    }
  }
  // Gauss-Jordan inversion with partial pivoting (n is a handful of detectors).
  std::vector<double> inv(count * count, 0.0);
  for (std::size_t i = 0; i < count; ++i) inv[i * count + i] = 1.0;
  for (std::size_t col = 0; col < count; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < count; ++r) {
      if (std::abs(m[r * count + col]) > std::abs(m[pivot * count + col])) pivot = r;
    }
    if (std::abs(m[pivot * count + col]) < 1e-12) {
      throw FcsError(ErrorKind::numeric, src, where, "compensation matrix is singular");
    }
    if (pivot != col) {
      for (std::size_t k = 0; k < count; ++k) {
        std::swap(m[pivot * count + k], m[col * count + k]);
        std::swap(inv[pivot * count + k], inv[col * count + k]);
      }
    }
    const double d = m[col * count + col];
    for (std::size_t k = 0; k < count; ++k) {
      m[col * count + k] /= d;
      inv[col * count + k] /= d;
    }
    for (std::size_t r = 0; r < count; ++r) {
      if (r == col) continue;
      const double f = m[r * count + col];
      if (f == 0) continue;
      for (std::size_t k = 0; k < count; ++k) {
        m[r * count + k] -= f * m[col * count + k];
        inv[r * count + k] -= f * inv[col * count + k];
      }
    }
  }
  return SpilloverMatrix(std::vector<std::string>(detectors.begin(), detectors.end()), std::move(inv));
}

std::string format_spillover(const SpilloverMatrix& m) {
  std::string out = std::to_string(m.size());
  for (const auto& d : m.detectors()) {
    out += ',';
    out += d;
  }
  for (double v : m.values()) {
    out += ',';
    out += detail::format_double(v);
  }
  return out;
}

}  // namespace escapade::fcs
