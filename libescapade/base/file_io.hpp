#pragma once
/// @file
/// Whole-file reading and all-or-nothing writing, shared by every reader and writer so that
/// each reports I/O failures the same way and none can leave a half-written file
/// (STYLE: nothing a user gave us is lost or overwritten).
///
/// `E` is the concept's own error type (FcsError, GatingMlError, WorkspaceError,
/// InputError); every failure is `E(ErrorKind::io, path, "", reason)`.

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

#include "libescapade/base/error.hpp"

namespace escapade {

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

/// Writes `bytes` to `path` through a temporary file in the same folder renamed into place,
/// so a reader never sees a partial file and a failure leaves nothing behind. Refuses to
/// replace an existing file unless `overwrite`.
template <typename E = InputError>
void write_file(const std::filesystem::path& path, std::string_view bytes, bool overwrite) {
  const std::string name = path.string();
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(path, ec)) throw E(ErrorKind::io, name, "", "file exists; not overwritten");
  std::filesystem::path tmp = path;
  tmp += ".part-" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) {
      throw E(ErrorKind::io, name, "",
              "cannot create " + tmp.string() + ": " + std::error_code(errno, std::generic_category()).message());
    }
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) {
      f.close();
      std::filesystem::remove(tmp, ec);
      throw E(ErrorKind::io, name, "", "write failed (disk full?)");
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw E(ErrorKind::io, name, "", "cannot move the written file into place: " + ec.message());
  }
}

}  // namespace escapade
