#pragma once
// What Store hides: its connection.
#include <filesystem>
#include <string>

#include "libescapade/cohort/cohort.hpp"
#include "libescapade/cohort/detail/sqlite.hpp"

namespace escapade::cohort {

struct Store::Impl {
  Impl(const std::filesystem::path& p, const StoreOptions& o) : path(p), db(p.string(), o.read_only, o.busy_timeout_ms) {}
  std::filesystem::path path;
  detail::Db db;
};

namespace detail {
// Now, as ISO 8601 UTC with milliseconds ("2024-05-01T12:00:00.123Z").
std::string now_utc();
}  // namespace detail

}  // namespace escapade::cohort
