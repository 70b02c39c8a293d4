// The cohort database: schema migrations, opening, and the read side (tables for reports,
// the consistency check). The write side is in run.cpp.
#include <cmath>
#include <fmt/format.h>

#include "libescapade/cohort/cohort.hpp"
#include "libescapade/cohort/detail/sqlite.hpp"
#include "libescapade/cohort/detail/store.hpp"
#include "libescapade/version.hpp"

namespace escapade::cohort {
namespace {

// Version 1: patients, samples with their inputs' identity, populations, cuts, parameters.
constexpr std::string_view k_v1 = R"sql(
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY NOT NULL,
  applied_at TEXT NOT NULL,
  description TEXT NOT NULL,
  software_version TEXT NOT NULL
);
CREATE TABLE patients (
  patient TEXT PRIMARY KEY NOT NULL,
  transcript TEXT,
  relapse TEXT CHECK (relapse IN ('none', 'cd19pos', 'cd19neg')),
  time_months REAL,
  death_in_remission INTEGER CHECK (death_in_remission IN (0, 1)),
  last_followup_months REAL
);
CREATE TABLE samples (
  id INTEGER PRIMARY KEY,
  patient TEXT NOT NULL REFERENCES patients(patient),
  sample TEXT NOT NULL,
  phase TEXT NOT NULL,
  phase_day INTEGER,
  therapy TEXT NOT NULL DEFAULT 'none',
  sample_time_months REAL,
  fcs_path TEXT NOT NULL,
  fcs_size INTEGER,
  fcs_hash TEXT,
  parameters_hash TEXT,
  software_version TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'complete', 'failed')),
  error TEXT,
  started_at TEXT,
  finished_at TEXT,
  seconds REAL,
  UNIQUE (patient, sample)
);
CREATE TABLE parameters (
  hash TEXT PRIMARY KEY NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE populations (
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  phenotype TEXT NOT NULL,
  events INTEGER NOT NULL,
  pct_of_cd34 REAL,
  pct_of_leukocytes REAL,
  status TEXT NOT NULL,
  lod_pct_of_cd34 REAL,
  PRIMARY KEY (sample_id, name)
);
CREATE TABLE cuts (
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  channel TEXT NOT NULL,
  population TEXT NOT NULL,
  value REAL,
  data_value REAL,
  method TEXT NOT NULL,
  weak INTEGER NOT NULL,
  overridden INTEGER NOT NULL,
  evidence TEXT NOT NULL,
  PRIMARY KEY (sample_id, name)
);
)sql";

// Version 2: acquisition QC, FISH on sorted compartments, flags; the FISH file's identity.
constexpr std::string_view k_v2 = R"sql(
ALTER TABLE samples ADD COLUMN fish_path TEXT;
ALTER TABLE samples ADD COLUMN fish_size INTEGER;
ALTER TABLE samples ADD COLUMN fish_hash TEXT;
ALTER TABLE samples ADD COLUMN truth_path TEXT;
ALTER TABLE samples ADD COLUMN stem_cell_involvement TEXT;
ALTER TABLE samples ADD COLUMN fish_transcript TEXT;
CREATE TABLE qc (
  sample_id INTEGER PRIMARY KEY NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  events INTEGER NOT NULL,
  singlet_pct REAL,
  cells_pct REAL,
  leukocyte_pct REAL,
  time_rate_cv REAL,
  leukocytes INTEGER NOT NULL,
  cd34 INTEGER NOT NULL
);
CREATE TABLE fish_calls (
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  line INTEGER NOT NULL,
  compartment TEXT NOT NULL,
  probe TEXT NOT NULL,
  nuclei_scored INTEGER NOT NULL,
  nuclei_positive INTEGER NOT NULL,
  fraction REAL NOT NULL,
  cutoff REAL NOT NULL,
  cutoff_source TEXT NOT NULL,
  positive INTEGER NOT NULL,
  PRIMARY KEY (sample_id, line)
);
CREATE TABLE flags (
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (sample_id, seq)
);
)sql";

constexpr Migration k_migrations[] = {
    {1, "patients, samples, parameters, populations, cuts", k_v1},
    {2, "qc, fish_calls, flags; FISH file identity and stem-cell involvement on samples", k_v2},
};
static_assert(std::size(k_migrations) == current_schema_version);

int read_version(const detail::Db& db) {
  detail::Stmt has(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  has.step();
  if (has.int64(0) == 0) {
    detail::Stmt any(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    any.step();
    if (any.int64(0) != 0) {
      throw StoreError(ErrorKind::format, db.path(), "", "not an escapade cohort database (it has tables but no schema_version)");
    }
    return 0;
  }
  detail::Stmt v(db, "SELECT coalesce(max(version), 0) FROM schema_version");
  v.step();
  return static_cast<int>(v.int64(0));
}

// SQLite stores NaN as NULL; read it back as NaN.
double real_or_nan(const detail::Stmt& s, int col) { return s.is_null(col) ? std::nan("") : s.real(col); }

}  // namespace

std::span<const Migration> schema_migrations() noexcept { return k_migrations; }

Store::Store(std::unique_ptr<Impl> impl) : my_impl(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::open(const std::filesystem::path& path, const StoreOptions& options) {
  auto impl = std::make_unique<Impl>(path, options);
  detail::Db& db = impl->db;
  db.exec("PRAGMA foreign_keys = ON");
  int version = read_version(db);
  if (version > current_schema_version) {
    throw StoreError(ErrorKind::unsupported, path.string(), "schema_version",
                     fmt::format("the database has schema version {}, newer than this escapade's {}; use a newer escapade",
                                 version, current_schema_version));
  }
  if (options.read_only) {
    if (version < current_schema_version) {
      throw StoreError(ErrorKind::format, path.string(), "schema_version",
                       fmt::format("the database has schema version {} (current {}); open it for writing once to migrate it",
                                   version, current_schema_version));
    }
    return Store(std::move(impl));
  }
  // WAL: readers (a report, a progress poll) never block the writer and a commit is one
  // append; synchronous=NORMAL keeps every commit atomic and durable against a killed process
  // (the reason for this store) while sparing an fsync per sample (see cohort.hpp).
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  for (const Migration& m : k_migrations) {
    detail::Transaction t(db);
    // Read again inside the write lock: another process may have migrated meanwhile.
    version = read_version(db);
    if (m.version <= version) continue;
    db.exec(m.sql);
    detail::Stmt ins(db, "INSERT INTO schema_version (version, applied_at, description, software_version) VALUES (?, ?, ?, ?)");
    ins.bind(1, static_cast<std::int64_t>(m.version)).bind(2, detail::now_utc()).bind(3, m.description).bind(4, std::string_view(version_string));
    ins.run();
    t.commit();
  }
  return Store(std::move(impl));
}

int Store::schema_version() const { return read_version(my_impl->db); }
const std::filesystem::path& Store::path() const noexcept { return my_impl->path; }

std::vector<StoredSample> Store::samples() const {
  detail::Stmt s(my_impl->db,
                 "SELECT id, patient, sample, phase, phase_day, therapy, sample_time_months, fcs_path, status, error, "
                 "fcs_hash, fcs_size, parameters_hash, software_version, finished_at, seconds, stem_cell_involvement "
                 "FROM samples ORDER BY patient, sample");
  std::vector<StoredSample> out;
  while (s.step()) {
    StoredSample r;
    r.id = s.int64(0);
    r.patient = s.text(1);
    r.sample = s.text(2);
    if (const auto p = parse_phase(s.text(3))) r.phase = p->phase;
    if (!s.is_null(4)) r.day = static_cast<int>(s.int64(4));
    const std::string th = s.text(5);
    r.therapy = th == "car_t" ? Therapy::car_t : th == "blinatumomab" ? Therapy::blinatumomab : Therapy::none;
    if (!s.is_null(6)) r.sample_time_months = s.real(6);
    r.fcs_path = s.text(7);
    r.status = s.text(8);
    r.error = s.text(9);
    r.fcs_hash = s.text(10);
    if (!s.is_null(11)) r.fcs_size = s.int64(11);
    r.parameters_hash = s.text(12);
    r.software_version = s.text(13);
    r.finished_at = s.text(14);
    r.seconds = s.real(15);
    r.stem_cell_involvement = s.text(16);
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, std::size_t> Store::parameter_sets() const {
  detail::Stmt s(my_impl->db,
                 "SELECT COALESCE(parameters_hash, ''), COUNT(*) FROM samples WHERE status = 'complete' GROUP BY 1");
  std::map<std::string, std::size_t> out;
  while (s.step()) out[s.text(0)] = static_cast<std::size_t>(s.int64(1));
  return out;
}

std::vector<Patient> Store::patients() const {
  detail::Stmt s(my_impl->db,
                 "SELECT patient, transcript, relapse, time_months, death_in_remission, last_followup_months FROM patients "
                 "ORDER BY patient");
  std::vector<Patient> out;
  while (s.step()) {
    Patient p;
    p.id = s.text(0);
    p.transcript = bal::parse_transcript(s.text(1)).value_or(bal::Transcript::unknown);
    const std::string rel = s.text(2);
    if (rel == "none") p.outcome.relapse = Relapse::none;
    if (rel == "cd19pos") p.outcome.relapse = Relapse::cd19pos;
    if (rel == "cd19neg") p.outcome.relapse = Relapse::cd19neg;
    if (!s.is_null(3)) p.outcome.time_months = s.real(3);
    if (!s.is_null(4)) p.outcome.death_in_remission = s.int64(4) != 0;
    if (!s.is_null(5)) p.outcome.last_followup_months = s.real(5);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<StoredPopulation> Store::populations() const {
  detail::Stmt s(my_impl->db,
                 "SELECT s.patient, s.sample, p.name, p.phenotype, p.events, p.pct_of_cd34, p.pct_of_leukocytes, "
                 "p.lod_pct_of_cd34, p.status FROM populations p JOIN samples s ON s.id = p.sample_id "
                 "WHERE s.status = 'complete' ORDER BY s.patient, s.sample, p.name");
  std::vector<StoredPopulation> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4), real_or_nan(s, 5), real_or_nan(s, 6), real_or_nan(s, 7), s.text(8)});
  }
  return out;
}

std::vector<StoredCut> Store::cuts() const {
  detail::Stmt s(my_impl->db,
                 "SELECT s.patient, s.sample, c.name, c.channel, c.population, c.method, c.evidence, c.value, c.data_value, "
                 "c.weak, c.overridden FROM cuts c JOIN samples s ON s.id = c.sample_id "
                 "WHERE s.status = 'complete' ORDER BY s.patient, s.sample, c.name");
  std::vector<StoredCut> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), real_or_nan(s, 7), real_or_nan(s, 8),
                   s.int64(9) != 0, s.int64(10) != 0});
  }
  return out;
}

std::vector<std::string> Store::check() const {
  const detail::Db& db = my_impl->db;
  std::vector<std::string> problems;
  {
    detail::Stmt s(db, "PRAGMA integrity_check");
    while (s.step()) {
      if (s.text(0) != "ok") problems.push_back("integrity_check: " + s.text(0));
    }
  }
  {
    detail::Stmt s(db, "PRAGMA foreign_key_check");
    while (s.step()) problems.push_back(fmt::format("foreign_key_check: {} row {} refers to missing {}", s.text(0), s.int64(1), s.text(2)));
  }
  auto each = [&](std::string_view sql, std::string_view what) {
    detail::Stmt s(db, sql);
    while (s.step()) problems.push_back(fmt::format("sample {}/{}: {}", s.text(0), s.text(1), what));
  };
  each("SELECT patient, sample FROM samples s WHERE status = 'complete' AND NOT EXISTS "
       "(SELECT 1 FROM populations p WHERE p.sample_id = s.id)", "complete without populations");
  each("SELECT patient, sample FROM samples s WHERE status = 'complete' AND NOT EXISTS "
       "(SELECT 1 FROM qc q WHERE q.sample_id = s.id)", "complete without QC");
  each("SELECT patient, sample FROM samples s WHERE status = 'complete' AND NOT EXISTS "
       "(SELECT 1 FROM cuts c WHERE c.sample_id = s.id)", "complete without cuts");
  each("SELECT patient, sample FROM samples s WHERE status = 'complete' AND (fcs_hash IS NULL OR parameters_hash IS NULL "
       "OR finished_at IS NULL)", "complete without its input hash, parameters or finish time");
  each("SELECT patient, sample FROM samples s WHERE status = 'complete' AND fish_path IS NOT NULL AND NOT EXISTS "
       "(SELECT 1 FROM fish_calls f WHERE f.sample_id = s.id)", "complete with a FISH file but no FISH calls");
  each("SELECT patient, sample FROM samples s WHERE status <> 'complete' AND (EXISTS "
       "(SELECT 1 FROM populations p WHERE p.sample_id = s.id) OR EXISTS (SELECT 1 FROM cuts c WHERE c.sample_id = s.id) "
       "OR EXISTS (SELECT 1 FROM qc q WHERE q.sample_id = s.id) OR EXISTS (SELECT 1 FROM fish_calls f WHERE f.sample_id = s.id))",
       "results stored for a sample that is not complete");
  each("SELECT patient, sample FROM samples WHERE status = 'failed' AND (error IS NULL OR error = '')", "failed without an error");
  return problems;
}

}  // namespace escapade::cohort
