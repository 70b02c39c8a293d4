#include "libescapade/bal/flags.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace escapade::bal {

std::string_view to_string(FlagState state) noexcept {
  switch (state) {
    case FlagState::raised:
      return "raised";
    case FlagState::not_raised:
      return "not raised";
    case FlagState::not_evaluated:
      return "not evaluated";
  }
  return "?";
}

std::vector<Flag> sample_flags(const Analysis& a, const FishResult* fish, const FlagOptions& options) {
  std::vector<Flag> flags;
  const PopulationCount* p = a.find("pre_escape");
  Flag present{"pre_escape_present", FlagState::not_evaluated, ""};
  Flag high{"pre_escape_high", FlagState::not_evaluated, ""};
  const auto unmeasured = std::find_if(a.not_measured.begin(), a.not_measured.end(),
                                      [](const NotMeasured& m) { return m.name == "pre_escape"; });
  if (unmeasured != a.not_measured.end()) {
    present.evidence = high.evidence = "pre-escape cells cannot be measured: " + unmeasured->reason;
  } else if (p == nullptr || a.cd34 == 0) {
    present.evidence = high.evidence = "no CD34+ events";
  } else {
    const bool detected = p->status != Status::below_lod;
    present.state = detected ? FlagState::raised : FlagState::not_raised;
    present.evidence = fmt::format("{} CD34+CD19−CD22+ events of {} CD34+ ({}% of CD34+); LOD {} events ({:.3g}%)",
                                   p->events, a.cd34, p->display(), a.limits.lod_events, p->lod_pct_of_cd34);
    if (p->status == Status::quantified) {
      const bool above = p->pct_of_cd34 > options.pre_escape_reference_pct;
      high.state = above ? FlagState::raised : FlagState::not_raised;
      high.evidence = fmt::format("{:.3g}% of CD34+ {} the reference {:.3g}% ({})", p->pct_of_cd34,
                                  above ? "above" : "not above", options.pre_escape_reference_pct,
                                  options.reference_source);
    } else {
      high.evidence = fmt::format("{} events: below the LLOQ ({}), not quantifiable", p->events, a.limits.lloq_events);
    }
  }
  flags.push_back(present);
  flags.push_back(high);
  Flag stem{"stem_cell_involvement", FlagState::not_evaluated, "no FISH results given"};
  if (fish != nullptr) {
    switch (fish->stem_cell_involvement) {
      case Involvement::positive:
        stem.state = FlagState::raised;
        break;
      case Involvement::negative:
        stem.state = FlagState::not_raised;
        break;
      case Involvement::not_evaluated:
        stem.state = FlagState::not_evaluated;
        break;
    }
    stem.evidence = fish->summary();
  }
  flags.push_back(stem);
  return flags;
}

Flag trend_flag(std::vector<SeriesPoint> series, double fold) {
  Flag f{"pre_escape_rising", FlagState::not_evaluated, ""};
  if (series.size() < 2) {
    f.evidence = "fewer than two samples";
    return f;
  }
  std::sort(series.begin(), series.end(), [](const auto& x, const auto& y) { return x.time_months < y.time_months; });
  const SeriesPoint last = series.back();
  series.pop_back();
  if (last.status != Status::quantified) {
    f.state = FlagState::not_raised;
    f.evidence = fmt::format("latest sample ({:.3g} months) not quantifiable ({} events)", last.time_months, last.events);
    return f;
  }
  double lowest = -1;
  bool earlier_below_lod = false;
  for (const auto& s : series) {
    if (s.status == Status::quantified) lowest = lowest < 0 ? s.pct_of_cd34 : std::min(lowest, s.pct_of_cd34);
    if (s.status == Status::below_lod) earlier_below_lod = true;
  }
  if (lowest < 0) {
    f.state = earlier_below_lod ? FlagState::raised : FlagState::not_evaluated;
    f.evidence = earlier_below_lod
                     ? fmt::format("{:.3g}% of CD34+ at {:.3g} months after earlier samples below the LOD",
                                   last.pct_of_cd34, last.time_months)
                     : "no earlier quantifiable sample";
    return f;
  }
  const bool rising = last.pct_of_cd34 >= fold * lowest && last.pct_of_cd34 > 0;
  f.state = rising ? FlagState::raised : FlagState::not_raised;
  f.evidence = fmt::format("{:.3g}% of CD34+ at {:.3g} months vs lowest earlier {:.3g}% ({:.2g}×; flag at {:.2g}×)",
                           last.pct_of_cd34, last.time_months, lowest, lowest > 0 ? last.pct_of_cd34 / lowest : 0.0,
                           fold);
  return f;
}

}  // namespace escapade::bal
