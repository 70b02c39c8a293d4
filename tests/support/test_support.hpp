#pragma once
// Helpers shared by the test binaries: where shared/ is, and NumPy .npy arrays
// (the truth arrays of FlowIO, FlowUtils and FlowKit under shared/data).
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace escapade::testing {

/// `../shared` beside the source tree (from CMake, not the working directory).
std::filesystem::path shared_dir();
/// shared_dir() / "data" / relative.
std::filesystem::path data_path(const std::string& relative);

/// A 2-D array of doubles read from a .npy file, stored row-major.
struct NpyArray {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;  // row-major
  double at(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
};

/// Reads a little-endian float64/float32/int64/int16 .npy (C or Fortran order) into doubles.
NpyArray read_npy(const std::filesystem::path& path);
/// Reads a headerless little-endian float64 dump with `cols` columns (row-major).
NpyArray read_raw_f64(const std::filesystem::path& path, std::size_t cols);

/// The whole file as bytes.
std::vector<std::byte> read_bytes(const std::filesystem::path& path);
/// The whole file as text ("" if it cannot be read).
std::string slurp(const std::filesystem::path& path);
/// Bytes as text (PNG/PDF signatures, SVG bodies).
std::string as_text(const std::vector<std::byte>& bytes);

/// What the escapade command printed on stdout, and its exit status (−1 if it did not exit).
struct CliRun {
  int status = -1;
  std::string out;
};
/// Runs the escapade CLI with `args` (already shell-quoted) and stderr sent to `err_file`.
CliRun run_cli(const std::string& args, const std::filesystem::path& err_file);
/// `path` single-quoted for the shell.
std::string quoted(const std::filesystem::path& path);

/// A fresh empty directory under the system temp dir, removed with the object.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace escapade::testing
