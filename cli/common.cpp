#include "cli/common.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "libescapade/base/file_io.hpp"
#include "libescapade/base/parallel.hpp"
#include "libescapade/base/text.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::cli {

void add_common_options(CLI::App& app, CommonOptions& options) {
  // More threads than the machine has never helps, and a huge count exhausts memory in
  // the thread pool: the library clamps every request to the hardware threads (base/
  // parallel.hpp resolve_threads), and the command line says so.
  app.add_option("--threads", options.threads, "worker threads (0 = all cores; at most the hardware threads)")
      ->check(CLI::Range(0, 1 << 30))
      ->each([](const std::string& text) {
        const int hardware = resolve_threads(0);
        if (const long long asked = std::atoll(text.c_str()); asked > hardware) {
          std::fprintf(stderr, "escapade: warning: --threads %lld is more than this machine's %d hardware threads; using %d\n",
                       asked, hardware, hardware);
        }
      });
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

std::string number(double v) { return shortest_decimal(v); }

void write_text_output(const std::string& path, bool force, const std::function<void(std::ostream&)>& fill) {
  if (path.empty() || path == "-") {
    fill(std::cout);
    std::cout.flush();
    if (!std::cout) throw InputError(ErrorKind::io, "<stdout>", "", "write failed");
    return;
  }
  std::error_code ec;
  if (!force && std::filesystem::exists(path, ec)) {
    throw InputError(ErrorKind::io, path, "--output", "file exists; use --force to replace it");
  }
  std::ostringstream text;
  fill(text);
  write_file(path, text.str(), force);
}

}  // namespace escapade::cli
