#include "libescapade/report/detail/text.hpp"

#include <cmath>
#include <cstdio>
#include <string_view>

namespace escapade::report::detail {

namespace {
constexpr std::string_view minus_sign = "\u2212";
}  // namespace

std::string power_of_ten(int exponent) {
  static constexpr std::string_view digits[] = {"\u2070", "\u00b9", "\u00b2", "\u00b3", "\u2074",
                                                "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"};
  std::string out = "10";
  if (exponent < 0) out += "\u207b";
  const std::string magnitude = std::to_string(exponent < 0 ? -static_cast<long>(exponent) : static_cast<long>(exponent));
  for (char c : magnitude) out += digits[c - '0'];
  return out;
}

std::string decimal(double value, int decimals) {
  if (decimals < 0) decimals = 0;
  if (decimals > 12) decimals = 12;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(value));
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  bool zero = true;
  for (char c : s) {
    if (c != '0' && c != '.') zero = false;
  }
  if (value < 0 && !zero) return std::string(minus_sign) + s;
  return s;
}

std::string grouped(std::size_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string percent(double value) {
  if (std::isnan(value)) return "";
  char buf[32];
  if (value == 0 || value >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", value);
  } else if (value >= 0.1) {
    std::snprintf(buf, sizeof buf, "%.2f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f", value);
  }
  return std::string(buf) + "%";
}

}  // namespace escapade::report::detail
