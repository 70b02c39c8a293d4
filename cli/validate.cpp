// escapade validate stats FILE... [--json]: runs every reference case (the
// shared/reference/stats schema) and prints, per case, its id, our values and the
// verdict, so a lab can qualify an installation against R-computed references.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli/common.hpp"
#include "libescapade/stats/stats.hpp"

namespace escapade::cli {
namespace {
struct ValidateArgs {
  CommonOptions common;
  std::vector<std::string> files;
};
}  // namespace

Command add_validate(CLI::App& parent) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* validate = parent.add_subcommand("validate", "check this installation against reference values");
  validate->require_subcommand(1);
  CLI::App* app = validate->add_subcommand("stats", "run statistics reference cases (JSON, shared/reference/stats schema)");
  app->add_option("files", args->files, "case files")->required()->check(CLI::ExistingPath);
  add_common_options(*app, args->common);
  return {validate, [args]() {
            std::vector<std::filesystem::path> paths;
            for (const auto& f : args->files) {
              if (std::filesystem::is_directory(f)) {
                for (const auto& e : std::filesystem::directory_iterator(f)) {
                  if (e.path().extension() == ".json" && e.path().filename() != "MANIFEST.json") paths.push_back(e.path());
                }
              } else {
                paths.emplace_back(f);
              }
            }
            std::sort(paths.begin(), paths.end());
            const stats::ValidationReport report = stats::validate_cases(paths);
            if (args->common.json) {
              std::cout << stats::to_json(report) << '\n';
            } else {
              for (const auto& c : report.cases) {
                std::cout << fmt::format("{:<6} {:<14} {:<24} {}\n", c.passed ? "pass" : "FAIL", c.id, c.test,
                                         c.passed ? "" : c.reason);
              }
              std::cout << fmt::format("{} passed, {} failed\n", report.passed(), report.failed());
            }
            return report.failed() == 0 ? exit_ok : exit_failure;
          }};
}

}  // namespace escapade::cli
