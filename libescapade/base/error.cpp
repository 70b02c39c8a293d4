#include "libescapade/base/error.hpp"

namespace escapade {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::io: return "io";
    case ErrorKind::format: return "format";
    case ErrorKind::truncated: return "truncated";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::reference: return "reference";
    case ErrorKind::structure: return "structure";
    case ErrorKind::numeric: return "numeric";
    case ErrorKind::invalid_argument: return "invalid_argument";
  }
  return "unknown";
}

std::string format_message(std::string_view source, std::string_view where, std::string_view reason) {
  std::string out;
  out.reserve(source.size() + where.size() + reason.size() + 4);
  if (!source.empty()) {
    out.append(source);
    out.append(": ");
  }
  if (!where.empty()) {
    out.append(where);
    out.append(": ");
  }
  out.append(reason);
  return out;
}

Error::Error(ErrorKind kind, std::string source, std::string where, std::string reason)
    : std::runtime_error(format_message(source, where, reason)),
      my_kind(kind),
      my_source(std::move(source)),
      my_where(std::move(where)),
      my_reason(std::move(reason)) {}

std::string Warning::message() const { return format_message(source, where, reason); }

}  // namespace escapade
