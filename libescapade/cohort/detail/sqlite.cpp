#include "libescapade/cohort/detail/sqlite.hpp"

namespace escapade::cohort::detail {

Db::Db(const std::string& path, bool read_only, int busy_timeout_ms) : my_path(path) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &my_db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = my_db != nullptr ? sqlite3_errmsg(my_db) : sqlite3_errstr(rc);
    sqlite3_close(my_db);
    my_db = nullptr;
    throw StoreError(ErrorKind::io, path, "", "cannot open the database: " + msg);
  }
  sqlite3_extended_result_codes(my_db, 1);
  sqlite3_busy_timeout(my_db, busy_timeout_ms);
}

Db::~Db() { sqlite3_close_v2(my_db); }

void Db::fail(std::string_view what) const {
  const int code = sqlite3_errcode(my_db);
  const ErrorKind kind = (code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT ? ErrorKind::format : ErrorKind::io;
  throw StoreError(kind, my_path, std::string(what), sqlite3_errmsg(my_db));
}

void Db::exec(std::string_view sql) const {
  char* err = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(my_db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : sqlite3_errmsg(my_db);
    sqlite3_free(err);
    const int code = sqlite3_errcode(my_db) & 0xff;
    throw StoreError(code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? ErrorKind::format : ErrorKind::io, my_path,
                     s.substr(0, s.find_first_of("(\n")), msg);
  }
}

Stmt::Stmt(const Db& db, std::string_view sql) : my_db(db) {
  if (sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &my_stmt, nullptr) != SQLITE_OK) {
    db.fail(std::string(sql.substr(0, sql.find_first_of("(\n"))));
  }
}

Stmt::~Stmt() { sqlite3_finalize(my_stmt); }

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (sqlite3_bind_int64(my_stmt, i, v) != SQLITE_OK) my_db.fail("bind");
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  if (sqlite3_bind_double(my_stmt, i, v) != SQLITE_OK) my_db.fail("bind");
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  if (sqlite3_bind_text(my_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK) my_db.fail("bind");
  return *this;
}
Stmt& Stmt::bind(int i, const std::optional<double>& v) { return v ? bind(i, *v) : bind_null(i); }
Stmt& Stmt::bind(int i, const std::optional<std::int64_t>& v) { return v ? bind(i, *v) : bind_null(i); }
Stmt& Stmt::bind_null(int i) {
  if (sqlite3_bind_null(my_stmt, i) != SQLITE_OK) my_db.fail("bind");
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(my_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  my_db.fail(sqlite3_sql(my_stmt) != nullptr ? std::string_view(sqlite3_sql(my_stmt)).substr(0, 40) : "step");
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(my_stmt);
  sqlite3_clear_bindings(my_stmt);
}

std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(my_stmt, col); }
double Stmt::real(int col) const { return sqlite3_column_double(my_stmt, col); }
std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(my_stmt, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                    static_cast<std::size_t>(sqlite3_column_bytes(my_stmt, col)));
}
bool Stmt::is_null(int col) const { return sqlite3_column_type(my_stmt, col) == SQLITE_NULL; }

Transaction::Transaction(const Db& db) : my_db(db) { db.exec("BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
  if (!my_done) sqlite3_exec(my_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}
void Transaction::commit() {
  my_db.exec("COMMIT");
  my_done = true;
}

}  // namespace escapade::cohort::detail
