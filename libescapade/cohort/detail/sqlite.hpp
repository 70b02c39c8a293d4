#pragma once
// A thin RAII layer over the SQLite C API: a connection and prepared statements whose
// failures become StoreError with the database's message.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "libescapade/cohort/cohort.hpp"

namespace escapade::cohort::detail {

class Db {
 public:
  Db(const std::string& path, bool read_only, int busy_timeout_ms);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();
  [[nodiscard]] sqlite3* get() const noexcept { return my_db; }
  [[nodiscard]] const std::string& path() const noexcept { return my_path; }
  // Runs one or more statements without results.
  void exec(std::string_view sql) const;
  [[noreturn]] void fail(std::string_view what) const;

 private:
  sqlite3* my_db = nullptr;
  std::string my_path;
};

class Stmt {
 public:
  Stmt(const Db& db, std::string_view sql);
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const std::optional<double>& v);
  Stmt& bind(int i, const std::optional<std::int64_t>& v);
  Stmt& bind_null(int i);
  // True when a row is ready, false when done.
  bool step();
  // step() that must finish (an INSERT, UPDATE, DELETE).
  void run();
  void reset();
  [[nodiscard]] std::int64_t int64(int col) const;
  [[nodiscard]] double real(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] bool is_null(int col) const;

 private:
  const Db& my_db;
  sqlite3_stmt* my_stmt = nullptr;
};

// BEGIN IMMEDIATE … COMMIT; rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(const Db& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  const Db& my_db;
  bool my_done = false;
};

}  // namespace escapade::cohort::detail
