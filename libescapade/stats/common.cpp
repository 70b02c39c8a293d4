#include "libescapade/stats/common.hpp"

namespace escapade::stats {

std::string_view to_string(Alternative alternative) noexcept {
  switch (alternative) {
    case Alternative::two_sided:
      return "two-sided";
    case Alternative::less:
      return "less";
    case Alternative::greater:
      return "greater";
  }
  return "two-sided";
}

std::string_view to_string(RankMethod method) noexcept {
  switch (method) {
    case RankMethod::automatic:
      return "automatic";
    case RankMethod::exact:
      return "exact";
    case RankMethod::normal:
      return "normal";
  }
  return "automatic";
}

}  // namespace escapade::stats
