#pragma once
// Number and label formatting shared by the plot sources (private to report/).
#include <cstddef>
#include <string>

namespace escapade::report::detail {

// "10³", "10⁻²": 10 with the exponent in Unicode superscripts.
std::string power_of_ten(int exponent);
// A decimal with at most `decimals` digits after the point, trailing zeros dropped, the
// minus as U+2212 ("−0.5", "250", "2.5").
std::string decimal(double value, int decimals);
// "13,367".
std::string grouped(std::size_t value);
// "23.4%", "1.25%", "0.052%", "100.0%"; "" for NaN.
std::string percent(double value);

}  // namespace escapade::report::detail
