#pragma once
// Ground truth from label counts: the denominators and populations of SPEC.md.
#include <array>
#include <cstddef>

#include "libescapade/sim/sim.hpp"

namespace escapade::sim::detail {

Truth make_truth(const Scenario& scenario, const std::array<std::size_t, population_count>& counts);

}  // namespace escapade::sim::detail
