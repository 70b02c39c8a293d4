// All-or-nothing writing without following links (see file_io.hpp for the design).
#include "libescapade/base/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <random>

namespace escapade::detail {
namespace {

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

// An unpredictable suffix: a planted name cannot be guessed (the pid could), and O_EXCL
// refuses one that is there anyway.
std::string random_suffix() {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 12; ++i) s += alphabet[rd() % alphabet.size()];
  return s;
}

// Creates `<path>.part-<random>` exclusively, never through a symlink; the permissions are
// those of an ordinary new file (0666 less the umask, applied by the kernel).
int create_exclusive(const std::filesystem::path& path, std::filesystem::path& tmp, std::string& reason) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    tmp = path;
    tmp += ".part-" + random_suffix();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST) {
      reason = "cannot create " + tmp.string() + ": " + errno_text(errno);
      return -1;
    }
  }
  reason = "cannot create a temporary file beside it: every name tried exists";
  return -1;
}

std::optional<std::string> write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return "write failed: " + errno_text(errno) + (errno == ENOSPC ? " (disk full)" : "");
    }
    done += static_cast<std::size_t>(n);
  }
  // The bytes are on disk before the name points at them, so a crash never leaves a
  // complete-looking name on an empty file.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) return "write failed: " + errno_text(errno);
  return std::nullopt;
}

// Gives the finished temporary `tmp` the name `path`. Without `overwrite`, link(2) fails on
// anything already at `path` (atomically: a file that appeared since the check is kept);
// a filesystem without hard links falls back to a checked rename. With `overwrite`,
// rename(2) replaces what is at `path`, a symlink itself and never the file it points to.
std::optional<std::string> place(const std::filesystem::path& tmp, const std::filesystem::path& path, bool overwrite) {
  if (!overwrite) {
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());
      return std::nullopt;
    }
    const int e = errno;
    if (e == EEXIST) return std::string("file exists; not overwritten");
    if (e != EPERM && e != ENOTSUP && e != EOPNOTSUPP && e != EXDEV && e != EMLINK) {
      return "cannot move the written file into place: " + errno_text(e);
    }
    if (something_at(path)) return std::string("file exists; not overwritten");
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return std::string("is a folder; not replaced");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return "cannot move the written file into place: " + errno_text(errno);
  return std::nullopt;
}

}  // namespace

bool something_at(const std::filesystem::path& path) noexcept {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::optional<std::string> write_file_safely(const std::filesystem::path& path, std::string_view bytes, bool overwrite) {
  if (!overwrite && something_at(path)) return std::string("file exists; not overwritten");
  std::filesystem::path tmp;
  std::string reason;
  const int fd = create_exclusive(path, tmp, reason);
  if (fd < 0) return reason;
  auto failed = write_all(fd, bytes);
  if (::close(fd) != 0 && !failed) failed = "write failed: " + errno_text(errno);
  if (!failed) failed = place(tmp, path, overwrite);
  if (failed) ::unlink(tmp.c_str());
  return failed;
}

std::filesystem::path make_staging_folder(const std::filesystem::path& target, std::string& reason) {
  std::filesystem::path base = target;
  if (!base.has_filename()) base = base.parent_path();  // "out/" names the folder "out"
  std::error_code ec;
  if (base.has_parent_path() && !std::filesystem::create_directories(base.parent_path(), ec) && ec) {
    reason = "cannot create the folder it goes in: " + ec.message();
    return {};
  }
  std::string tmpl = base.string() + ".part-XXXXXX";
  // mkdtemp creates the folder exclusively (mode 0700), so nothing in it can be planted.
  if (::mkdtemp(tmpl.data()) == nullptr) {
    reason = "cannot create a staging folder beside it: " + errno_text(errno);
    return {};
  }
  return tmpl;
}

std::optional<std::string> commit_staging_folder(const std::filesystem::path& staging, const std::filesystem::path& target,
                                                 const std::vector<std::string>& names, bool overwrite,
                                                 std::filesystem::path& which) {
  which = target;
  std::error_code ec;
  if (!something_at(target) && !std::filesystem::create_directories(target, ec) && ec) {
    return "cannot create the folder: " + ec.message();
  }
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::string("is not a folder");
  for (const auto& n : names) {
    const auto from = staging / n;
    which = target / n;
    if (something_at(from)) {
      if (!std::filesystem::create_directories(which.parent_path(), ec) && ec) return "cannot create the folder: " + ec.message();
      if (auto failed = place(from, which, overwrite)) return failed;
    } else if (overwrite && something_at(which)) {
      struct stat old {};
      if (::lstat(which.c_str(), &old) == 0 && S_ISDIR(old.st_mode)) return std::string("is a folder; not removed");
      if (::unlink(which.c_str()) != 0) return "cannot remove the earlier run's output: " + errno_text(errno);
    }
  }
  return std::nullopt;
}

void remove_staging_folder(const std::filesystem::path& staging) noexcept {
  std::error_code ec;
  std::filesystem::remove_all(staging, ec);
}

}  // namespace escapade::detail
