// `Transform`: one per-dimension transform of any kind, dispatched once per batch.
#include "libescapade/transform/transform.hpp"

#include <type_traits>

#include "libescapade/transform/detail/checks.hpp"

namespace escapade::transform {

namespace {

template <typename T_>
constexpr bool has_kernel = std::is_same_v<T_, LogicleTransform> || std::is_same_v<T_, HyperlogTransform> ||
                            std::is_same_v<T_, FlowJoBiexTransform>;

}  // namespace

std::string_view Transform::name() const noexcept {
  return std::visit(
      [](const auto& t) -> std::string_view {
        using T = std::decay_t<decltype(t)>;
        if constexpr (std::is_same_v<T, LinearTransform>) return "flin";
        if constexpr (std::is_same_v<T, LogTransform>) return "flog";
        if constexpr (std::is_same_v<T, AsinhTransform>) return "fasinh";
        if constexpr (std::is_same_v<T, LogicleTransform>) return "logicle";
        if constexpr (std::is_same_v<T, HyperlogTransform>) return "hyperlog";
        if constexpr (std::is_same_v<T, FlowJoLinearTransform>) return "flowjo-linear";
        if constexpr (std::is_same_v<T, FlowJoLogTransform>) return "flowjo-log";
        if constexpr (std::is_same_v<T, FlowJoBiexTransform>) return "flowjo-biex";
      },
      my_value);
}

std::string Transform::summary() const {
  return std::visit([](const auto& t) { return t.summary(); }, my_value);
}

double Transform::apply(double x) const noexcept {
  return std::visit([x](const auto& t) { return t.apply(x); }, my_value);
}

double Transform::inverse(double y) const noexcept {
  return std::visit([y](const auto& t) { return t.inverse(y); }, my_value);
}

void Transform::apply(std::span<const double> in, std::span<double> out, Kernel kernel) const {
  std::visit(
      [&](const auto& t) {
        if constexpr (has_kernel<std::decay_t<decltype(t)>>) {
          t.apply(in, out, kernel);
        } else {
          t.apply(in, out);
        }
      },
      my_value);
}

void Transform::inverse(std::span<const double> in, std::span<double> out) const {
  std::visit([&](const auto& t) { t.inverse(in, out); }, my_value);
}

}  // namespace escapade::transform
