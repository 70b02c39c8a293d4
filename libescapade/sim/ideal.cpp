// The ideal analyst of a simulated sample (sim.hpp): perfect upstream gating and quadrant
// thresholds at a percentile of the true negatives, in compensated units — the oracle
// against which an automatic analysis is scored, as bal_dev's truth defines it.
#include <algorithm>
#include <cmath>
#include <limits>

#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::sim {
namespace {

// R type-7 quantile of `x` (modified in place).
double quantile7(std::vector<double>& x, double p) {
  // No negatives at all: every cell is positive.
  if (x.empty()) return -std::numeric_limits<double>::infinity();
  std::sort(x.begin(), x.end());
  const double h = (static_cast<double>(x.size()) - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (h - static_cast<double>(lo)) * (x[hi] - x[lo]);
}

const std::string& channel_of(const SimulatedSample& s, std::string_view marker) {
  for (const auto& [m, channel] : s.marker_channels) {
    if (m == marker) return channel;
  }
  throw InputError(ErrorKind::reference, "simulated sample", std::string(marker),
                   "no detector of this sample carries the marker");
}

bool in_set(const LabelSet& set, std::uint8_t code) {
  return std::any_of(set.labels.begin(), set.labels.end(), [&](Population p) { return static_cast<std::uint8_t>(p) == code; });
}

}  // namespace

double IdealAnalyst::pre_escape_pct_of_cd34() const noexcept {
  return cd34 == 0 ? 0.0 : 100.0 * static_cast<double>(pre_escape) / static_cast<double>(cd34);
}

IdealAnalyst ideal_analyst(const SimulatedSample& sample, double quantile) {
  const Truth& t = sample.truth;
  const LabelSet& cd34 = t.set("cd34");
  const LabelSet& pre = t.set("pre_escape");
  const LabelSet& committed = t.set("b_committed");
  const LabelSet& only19 = t.set("cd19_only");
  const LabelSet& non_b = t.set("non_b");
  const comp::Compensation comp(*sample.data_set.spillover);
  const comp::CompensatedView view = comp.view(sample.data_set.events);
  const std::size_t n = sample.data_set.events.event_count();
  const std::size_t dims[2] = {view.index_of(channel_of(sample, "CD19")), view.index_of(channel_of(sample, "CD22"))};
  std::vector<double> values(2 * n);
  view.fill(0, n, dims, values);
  const double* v19 = values.data();
  const double* v22 = values.data() + n;
  // The true negatives: CD19− = pre_escape ∪ non_b; CD22− = cd19_only ∪ non_b.
  std::vector<double> neg19, neg22;
  std::vector<std::uint8_t> kind(256, 0);  // bit 1: CD34+, 2: CD19−, 4: CD22−
  for (std::size_t c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    if (in_set(cd34, code)) kind[c] |= 1;
    if (in_set(pre, code) || in_set(non_b, code)) kind[c] |= 2;
    if (in_set(only19, code) || in_set(non_b, code)) kind[c] |= 4;
  }
  (void)committed;
  for (std::size_t e = 0; e < n; ++e) {
    const std::uint8_t k = kind[sample.labels[e]];
    if ((k & 1) == 0) continue;
    if (k & 2) neg19.push_back(v19[e]);
    if (k & 4) neg22.push_back(v22[e]);
  }
  IdealAnalyst a;
  a.cd19_threshold = quantile7(neg19, quantile);
  a.cd22_threshold = quantile7(neg22, quantile);
  for (std::size_t e = 0; e < n; ++e) {
    if ((kind[sample.labels[e]] & 1) == 0) continue;
    ++a.cd34;
    const bool pos19 = v19[e] > a.cd19_threshold;
    const bool pos22 = v22[e] > a.cd22_threshold;
    (pos19 ? (pos22 ? a.b_committed : a.cd19_only) : (pos22 ? a.pre_escape : a.non_b)) += 1;
  }
  return a;
}

}  // namespace escapade::sim
