#pragma once
/// @file
/// Whole-file reading and all-or-nothing writing, shared by every reader and writer so that
/// each reports I/O failures the same way and none can leave a half-written file
/// (STYLE: nothing a user gave us is lost or overwritten).
///
/// Writing never follows a symbolic link and never opens a name someone else could have
/// planted: the bytes go to a temporary created exclusively beside the target
/// (O_CREAT|O_EXCL|O_NOFOLLOW, an unpredictable name), which is then linked into place when
/// the target must not exist (atomic: a file that appears meanwhile is not replaced) or
/// renamed over it when it may be replaced (a symlink there is replaced itself, its target
/// untouched). `OutputFolder` does the same for a command's set of output files: all are
/// written into a fresh folder beside the target first, then moved in, so a failure leaves
/// nothing and `--force` replaces the whole set (no stale file of an earlier run stays).
///
/// `E` is the concept's own error type (FcsError, GatingMlError, WorkspaceError,
/// InputError); every failure is `E(ErrorKind::io, path, "", reason)`.

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "libescapade/base/error.hpp"

namespace escapade {

namespace detail {

/// The reason writing `bytes` to `path` failed, or nothing when it succeeded.
[[nodiscard]] std::optional<std::string> write_file_safely(const std::filesystem::path& path, std::string_view bytes,
                                                           bool overwrite);

/// Creates a fresh, exclusively owned folder beside `target` (`<target>.part-XXXXXX`).
/// Returns its path, or sets `reason` and returns an empty path.
[[nodiscard]] std::filesystem::path make_staging_folder(const std::filesystem::path& target, std::string& reason);

/// Moves the staged outputs `names` (those present in `staging`) into `target`, creating it
/// when absent. With `overwrite`, an output of `names` that was not staged is removed from
/// `target` (the set is replaced as a whole); without it, an output that exists is never
/// replaced. Returns the reason of the first failure, with the name it concerns in `which`.
[[nodiscard]] std::optional<std::string> commit_staging_folder(const std::filesystem::path& staging,
                                                               const std::filesystem::path& target,
                                                               const std::vector<std::string>& names, bool overwrite,
                                                               std::filesystem::path& which);

/// Removes a staging folder and what it holds (best effort: a cleanup must not throw).
void remove_staging_folder(const std::filesystem::path& staging) noexcept;

/// Whether something (a file, a folder, a symlink, even a dangling one) is at `path`.
[[nodiscard]] bool something_at(const std::filesystem::path& path) noexcept;

}  // namespace detail

/// The whole content of `path`.
template <typename E = InputError>
[[nodiscard]] std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw E(ErrorKind::io, path.string(), "", "cannot open: " + std::error_code(errno, std::generic_category()).message());
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw E(ErrorKind::io, path.string(), "", "read failed");
  return text;
}

/// Writes `bytes` to `path` all or nothing, as the file comment says. Refuses to replace
/// anything already at `path` (a file, a folder, a symlink) unless `overwrite`.
template <typename E = InputError>
void write_file(const std::filesystem::path& path, std::string_view bytes, bool overwrite) {
  if (auto reason = detail::write_file_safely(path, bytes, overwrite)) throw E(ErrorKind::io, path.string(), "", *reason);
}

/// A command's output files, written into a staging folder beside `target` and moved into
/// `target` together by `commit()`. Destroyed without a commit, it removes what it staged.
/// Construction checks up front that none of `names` exists in `target` unless `overwrite`
/// (so nothing is computed for a run that could not be written).
template <typename E = InputError>
class OutputFolder {
 public:
  OutputFolder(std::filesystem::path target, std::vector<std::string> names, bool overwrite)
      : my_target(std::move(target)), my_names(std::move(names)), my_overwrite(overwrite) {
    if (!my_overwrite) {
      for (const auto& n : my_names) {
        if (detail::something_at(my_target / n)) {
          throw E(ErrorKind::io, (my_target / n).string(), "", "file exists; use --force to replace it (nothing was written)");
        }
      }
    }
    std::string reason;
    my_staging = detail::make_staging_folder(my_target, reason);
    if (my_staging.empty()) throw E(ErrorKind::io, my_target.string(), "", reason);
  }
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;
  ~OutputFolder() {
    if (!my_staging.empty()) detail::remove_staging_folder(my_staging);
  }

  /// Where to write output `name` (one of the names given; it may name a subfolder, as
  /// "tables/x.tsv") before the commit.
  [[nodiscard]] std::filesystem::path staged(const std::string& name) const {
    const auto path = my_staging / name;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    return path;
  }

  /// Moves every staged output into the target folder; with `overwrite`, an output of the
  /// set that this run did not write is removed from it.
  void commit() {
    std::filesystem::path which;
    if (auto reason = detail::commit_staging_folder(my_staging, my_target, my_names, my_overwrite, which)) {
      throw E(ErrorKind::io, which.string(), "", *reason);
    }
    detail::remove_staging_folder(my_staging);
    my_staging.clear();
  }

 private:
  std::filesystem::path my_target;
  std::vector<std::string> my_names;
  bool my_overwrite;
  std::filesystem::path my_staging;
};

}  // namespace escapade
