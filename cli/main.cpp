// escapade: the command-line front end. A dispatcher plus one file per command
// (STYLE §9); all domain logic lives in libescapade.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli/common.hpp"
#include "libescapade/version.hpp"

// Fontconfig, behind cairo's text in plots and reports, keeps its caches until the process
// ends: not a leak of ours, but LeakSanitizer (CI runs the CLI under ASan) would report it
// and fail the command. Read only by sanitizer builds.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

int main(int argc, char** argv) {
  using namespace escapade::cli;
  CLI::App app{"escapade: flow cytometry from raw FCS file to cohort statistics"};
  app.set_version_flag("--version", std::string("escapade ") + escapade::version_string);
  app.require_subcommand(1);
  std::vector<Command> commands{add_info(app), add_export(app), add_validate(app), add_gate(app), add_workspace(app), add_simulate(app), add_plot(app), add_analyze(app), add_cohort(app), add_demo(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  std::string name = "escapade";
  try {
    for (auto& c : commands) {
      if (c.app->parsed()) {
        name = "escapade " + c.app->get_name();
        return c.run();
      }
    }
    return exit_usage;
  } catch (const escapade::Error& e) {
    std::cout.flush();
    std::cerr << name << ": " << e.what() << '\n';
    return exit_code(e.kind());
  } catch (const std::filesystem::filesystem_error& e) {
    // A folder or file operation the library left unwrapped (a read-only target, a file where
    // a folder should be): an io failure naming the path, as every other io error.
    std::cout.flush();
    const escapade::Error io(escapade::ErrorKind::io, e.path1().string(), "",
                             e.code().message() + (e.path2().empty() ? "" : " (" + e.path2().string() + ")"));
    std::cerr << name << ": " << io.what() << '\n';
    return exit_code(io.kind());
  } catch (const std::bad_alloc&) {
    std::cout.flush();
    std::cerr << name << ": out of memory\n";
    return exit_failure;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << name << ": " << e.what() << '\n';
    return exit_failure;
  }
}
