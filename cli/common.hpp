#pragma once
// Shared options and helpers of the escapade commands (STYLE §9).
#include <CLI/CLI.hpp>

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"

namespace escapade::fcs {
struct DataSet;
}

namespace escapade::cli {

/// Options every command understands.
struct CommonOptions {
  int threads = 0;     // 0 = all cores
  bool json = false;   // machine-readable output on stdout
  bool quiet = false;  // no warnings on stderr
};

/// Adds --threads, --json and --quiet to a subcommand.
void add_common_options(CLI::App& app, CommonOptions& options);

/// The exit status for an error of this kind (documented in the README).
int exit_code(ErrorKind kind) noexcept;

/// Exit statuses that are not error kinds.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // an unexpected failure
inline constexpr int exit_usage = 2;    // bad command line

/// Shortest decimal text that reads back as the same double ("nan", "inf" for those).
std::string number(double v);


/// Writes text made by `fill` to `path` through a temporary file renamed into place, or to
/// stdout when `path` is empty or "-". Refuses to replace an existing file unless `force`.
/// @throws InputError(io) naming the path.
void write_text_output(const std::string& path, bool force, const std::function<void(std::ostream&)>& fill);

// Each command registers itself on the app and returns the callback that runs it.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};
Command add_info(CLI::App& parent);
Command add_export(CLI::App& parent);
Command add_validate(CLI::App& parent);
Command add_gate(CLI::App& parent);
Command add_workspace(CLI::App& parent);
Command add_simulate(CLI::App& parent);
Command add_plot(CLI::App& parent);
Command add_analyze(CLI::App& parent);
Command add_cohort(CLI::App& parent);
Command add_demo(CLI::App& parent);

}  // namespace escapade::cli
