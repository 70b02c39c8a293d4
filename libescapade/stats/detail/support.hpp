#pragma once
// Private helpers of escapade::stats: argument checks, ranks and distribution functions.

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"

namespace escapade::stats::detail {

inline constexpr double na = std::numeric_limits<double>::quiet_NaN();
inline constexpr double inf = std::numeric_limits<double>::infinity();

[[noreturn]] void fail(std::string_view where, std::string reason, ErrorKind kind = ErrorKind::invalid_argument);

// Throws unless every value is finite and (when min_size > 0) there are at least min_size.
void require_finite(std::span<const double> x, std::string_view where, std::string_view name, std::size_t min_size = 1);
void require_level(double conf_level, std::string_view where);

// Midranks (average ranks of ties), 1-based, in input order.
[[nodiscard]] std::vector<double> midranks(std::span<const double> x);
// Sizes of the tie groups (>1 only) of a vector of values.
[[nodiscard]] std::vector<double> tie_sizes(std::span<const double> values);
// Σ (t³ - t) over tie groups.
[[nodiscard]] double tie_sum(std::span<const double> values);

// Distribution functions (Boost.Math, errors as NaN/inf instead of exceptions).
[[nodiscard]] double pnorm(double z, bool lower_tail = true);
[[nodiscard]] double qnorm(double p);
[[nodiscard]] double pt(double t, double df, bool lower_tail = true);
[[nodiscard]] double qt(double p, double df);
[[nodiscard]] double pchisq_upper(double x, double df);

}  // namespace escapade::stats::detail
