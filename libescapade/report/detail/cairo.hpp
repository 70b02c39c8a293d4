#pragma once
// The cairo plumbing every report drawing shares: owning handles, a byte sink for PNG, SVG
// and PDF streams, and status checks that become Escapade errors. Private to report/.
#include <cairo.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"

namespace escapade::report::detail {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const noexcept { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const noexcept { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

/// Throws Error(io) naming the cairo step when `status` is not success.
inline void check(cairo_status_t status, std::string_view what) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error(ErrorKind::io, "", "cairo " + std::string(what), cairo_status_to_string(status));
  }
}

/// A cairo write function appending to the std::vector<std::byte> given as closure.
inline cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<std::vector<std::byte>*>(closure);
  const auto* p = reinterpret_cast<const std::byte*>(data);
  out->insert(out->end(), p, p + length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace escapade::report::detail
