#include "cli/common.hpp"

#include <charconv>
#include <cmath>

namespace escapade::cli {

void add_common_options(CLI::App& app, CommonOptions& options) {
  app.add_option("--threads", options.threads, "worker threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_flag("--json", options.json, "print machine-readable JSON on stdout");
  app.add_flag("-q,--quiet", options.quiet, "do not print warnings on stderr");
}

int exit_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::io: return 3;
    case ErrorKind::format: return 4;
    case ErrorKind::truncated: return 4;
    case ErrorKind::unsupported: return 5;
    case ErrorKind::reference: return 6;
    case ErrorKind::structure: return 6;
    case ErrorKind::numeric: return 7;
    case ErrorKind::invalid_argument: return 2;
  }
  return exit_failure;
}

std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, p);
}

}  // namespace escapade::cli
