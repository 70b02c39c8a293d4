// The cohort database: schema creation, migration from an older version, refusal of newer
// or foreign databases, and the file hash.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "libescapade/cohort/cohort.hpp"
#include "libescapade/cohort/detail/xxh64.hpp"

namespace escapade::cohort {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("escapade_store_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // Runs SQL on a database outside the Store, as an older escapade or another program would.
  static void raw(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.string().c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
  }
  static std::vector<std::string> tables(const std::filesystem::path& db) {
    sqlite3* h = nullptr;
    sqlite3_open(db.string().c_str(), &h);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &s, nullptr);
    std::vector<std::string> out;
    while (sqlite3_step(s) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    sqlite3_close(h);
    return out;
  }
  std::filesystem::path dir;
};

TEST_F(StoreTest, CreatesTheCurrentSchema) {
  const auto db = dir / "c.db";
  {
    Store s = Store::open(db);
    EXPECT_EQ(s.schema_version(), current_schema_version);
    EXPECT_TRUE(s.samples().empty());
    EXPECT_TRUE(s.check().empty());
  }
  EXPECT_EQ(tables(db), (std::vector<std::string>{"cuts", "fish_calls", "flags", "parameters", "patients", "populations",
                                                  "qc", "samples", "schema_version"}));
  // Opening again changes nothing; read-only works on a current database.
  Store again = Store::open(db, {.read_only = true});
  EXPECT_EQ(again.schema_version(), current_schema_version);
}

TEST_F(StoreTest, MigratesAVersion1DatabaseKeepingItsRows) {
  const auto db = dir / "old.db";
  ASSERT_EQ(schema_migrations().front().version, 1);
  raw(db, std::string(schema_migrations().front().sql) +
              "INSERT INTO schema_version VALUES (1, '2024-01-01T00:00:00Z', 'v1', '0.0.1');"
              "INSERT INTO patients (patient, relapse) VALUES ('P1', 'none');"
              "INSERT INTO samples (patient, sample, phase, fcs_path, status) VALUES ('P1', 'dx', 'diagnosis', 'a.fcs', 'pending');");
  EXPECT_THROW((void)Store::open(db, {.read_only = true}), StoreError);  // older: must be migrated first
  Store s = Store::open(db);
  EXPECT_EQ(s.schema_version(), 2);
  const auto samples = s.samples();
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].patient, "P1");
  EXPECT_EQ(samples[0].status, "pending");
  EXPECT_EQ(s.patients().at(0).outcome.relapse, Relapse::none);
  EXPECT_TRUE(s.check().empty());
  const auto t = tables(db);
  EXPECT_NE(std::find(t.begin(), t.end(), "fish_calls"), t.end());
}

TEST_F(StoreTest, RefusesANewerSchemaAndAForeignDatabase) {
  const auto newer = dir / "newer.db";
  { Store s = Store::open(newer); }
  raw(newer, "INSERT INTO schema_version VALUES (99, 'x', 'from the future', '9.9');");
  try {
    (void)Store::open(newer);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
    EXPECT_NE(e.reason().find("schema version 99"), std::string::npos) << e.what();
  }
  const auto foreign = dir / "foreign.db";
  raw(foreign, "CREATE TABLE t (x);");
  try {
    (void)Store::open(foreign);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::format);
    EXPECT_NE(e.reason().find("not an escapade cohort database"), std::string::npos) << e.what();
  }
  const auto junk = dir / "junk.db";
  { std::FILE* f = std::fopen(junk.string().c_str(), "wb"); std::fputs("this is not a database, not at all, no....", f); std::fclose(f); }
  EXPECT_THROW((void)Store::open(junk), StoreError);
}

TEST(Xxh64, KnownValuesAndStreamingEqualsOneShot) {
  auto bytes = [](std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); };
  EXPECT_EQ(detail::xxh64(bytes("")), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(detail::xxh64(bytes("abc")), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(detail::hex64(0xEF46DB3751D8E999ULL), "ef46db3751d8e999");
  std::string text;
  for (int i = 0; i < 1000; ++i) text += static_cast<char>((i * 131 + 7) & 0xff);
  for (std::size_t len : {0u, 1u, 3u, 4u, 7u, 8u, 31u, 32u, 33u, 63u, 64u, 100u, 1000u}) {
    const std::string_view s(text.data(), len);
    const std::uint64_t whole = detail::xxh64(bytes(s));
    for (std::size_t cut : {std::size_t{0}, len / 3, len / 2, len}) {
      detail::Xxh64 h;
      h.update(bytes(s.substr(0, cut)));
      h.update(bytes(s.substr(cut)));
      EXPECT_EQ(h.digest(), whole) << len << " split at " << cut;
    }
    // Byte by byte.
    detail::Xxh64 h;
    for (std::size_t i = 0; i < len; ++i) h.update(bytes(s.substr(i, 1)));
    EXPECT_EQ(h.digest(), whole) << len;
  }
}

}  // namespace
}  // namespace escapade::cohort
