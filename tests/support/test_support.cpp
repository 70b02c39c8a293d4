#include "tests/support/test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace escapade::testing {

std::filesystem::path shared_dir() { return std::filesystem::path(ESCAPADE_SHARED_DIR); }
std::filesystem::path data_path(const std::string& relative) { return shared_dir() / "data" / relative; }

std::vector<std::byte> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  if (!chars.empty()) std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

NpyArray read_npy(const std::filesystem::path& path) {
  auto bytes = read_bytes(path);
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) {
    throw std::runtime_error(path.string() + ": not a .npy file");
  }
  const auto major = static_cast<unsigned>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t offset = 0;
  if (major == 1) {
    header_len = static_cast<std::size_t>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8);
    offset = 10;
  } else {
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(bytes[8 + i]) << (8 * i);
    offset = 12;
  }
  std::string header(reinterpret_cast<const char*>(bytes.data()) + offset, header_len);
  offset += header_len;
  // {'descr': '<f8', 'fortran_order': False, 'shape': (13367, 8), }
  auto field = [&](const std::string& key) {
    auto p = header.find("'" + key + "'");
    if (p == std::string::npos) throw std::runtime_error(path.string() + ": no " + key + " in " + header);
    p = header.find(':', p);
    return p + 1;
  };
  std::size_t d = header.find('\'', field("descr"));
  const std::string descr = header.substr(d + 1, header.find('\'', d + 1) - d - 1);
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|')) {
    throw std::runtime_error(path.string() + ": unsupported descr " + descr);
  }
  const char kind = descr[1];
  const int width = std::stoi(descr.substr(2));
  const bool fortran = header.find("True", field("fortran_order")) < header.find(',', field("fortran_order"));
  const std::size_t open = header.find('(', field("shape"));
  const std::size_t close = header.find(')', open);
  const std::string shape = header.substr(open + 1, close - open - 1);
  const std::size_t comma = shape.find(',');
  NpyArray a;
  a.rows = std::stoul(shape.substr(0, comma));
  const std::string second = comma == std::string::npos ? "" : shape.substr(comma + 1);
  a.cols = second.find_first_of("0123456789") == std::string::npos ? 1 : std::stoul(second);
  const std::size_t n = a.rows * a.cols;
  if (bytes.size() < offset + n * static_cast<std::size_t>(width)) {
    throw std::runtime_error(path.string() + ": truncated");
  }
  std::vector<double> flat(n);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + offset;
  for (std::size_t i = 0; i < n; ++i) {
    if (kind == 'f' && width == 8) {
      std::memcpy(&flat[i], p + 8 * i, 8);
    } else if (kind == 'f' && width == 4) {
      float f;
      std::memcpy(&f, p + 4 * i, 4);
      flat[i] = f;
    } else if (kind == 'i' && width == 8) {
      std::int64_t v;
      std::memcpy(&v, p + 8 * i, 8);
      flat[i] = static_cast<double>(v);
    } else if (kind == 'i' && width == 2) {
      std::int16_t v;
      std::memcpy(&v, p + 2 * i, 2);
      flat[i] = static_cast<double>(v);
    } else {
      throw std::runtime_error(path.string() + ": unsupported dtype");
    }
  }
  a.values.resize(n);
  for (std::size_t r = 0; r < a.rows; ++r) {
    for (std::size_t c = 0; c < a.cols; ++c) {
      a.values[r * a.cols + c] = fortran ? flat[c * a.rows + r] : flat[r * a.cols + c];
    }
  }
  return a;
}

NpyArray read_raw_f64(const std::filesystem::path& path, std::size_t cols) {
  auto bytes = read_bytes(path);
  NpyArray a;
  a.cols = cols;
  a.rows = bytes.size() / 8 / cols;
  a.values.resize(a.rows * cols);
  std::memcpy(a.values.data(), bytes.data(), a.values.size() * 8);
  return a;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string as_text(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

CliRun run_cli(const std::string& args, const std::filesystem::path& err_file) {
  const std::string cmd = std::string("'") + ESCAPADE_CLI_PATH + "' " + args + " 2>'" + err_file.string() + "'";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

TempDir::TempDir(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  path = std::filesystem::temp_directory_path() /
         ("escapade_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace escapade::testing
