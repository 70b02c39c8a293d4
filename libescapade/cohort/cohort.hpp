#pragma once
/// @file
/// Cohort studies: a manifest names every patient's samples
/// and outcome; `run_cohort` analyses each sample (`bal::analyze`, and FISH when the manifest
/// names a table) in parallel and keeps every result in a SQLite database, one transaction
/// per sample, so that a run killed at any moment (kill -9) loses nothing already finished,
/// never leaves a half-written sample, and the next run resumes where it stopped. The entry
/// header of `cohort/`.
///
/// ## Manifest (TSV)
///
/// The first line that is neither blank nor a `#` comment names the columns, in any order;
/// names ignore case, and spaces and `-` in them read as `_`. One row per sample; cells are
/// trimmed; a UTF-8 BOM and CR LF line ends are accepted. No quoting: a cell cannot hold a tab.
///
/// | column | | meaning |
/// |---|---|---|
/// | `patient` | required | patient id; rows with the same id are one patient |
/// | `sample` | required | sample id, unique within the patient |
/// | `fcs` | required | the FCS file (data set 1 is analysed) |
/// | `phase` | required | see `parse_phase` |
/// | `therapy` | optional | `car_t` (also "CAR T", "CAR-T", "cart"), `blinatumomab` ("blina"), `none` (default) |
/// | `fish` | optional | a FISH table on sorted compartments (`bal::parse_fish` format) |
/// | `transcript` | optional | BCR-ABL1 transcript, `bal::parse_transcript` (P190/P210/…) |
/// | `relapse` | optional | outcome: `none`, `cd19pos` (CD19+, cd19+), `cd19neg` (CD19−, cd19-, cd19neg) |
/// | `time_months` | optional | outcome: months from the start of CD19-directed therapy to relapse, death or last follow-up |
/// | `death_in_remission` | optional | outcome: 0/1 (also no/yes, false/true) |
/// | `last_followup_months` | optional | outcome: months to the last follow-up |
/// | `sample_time_months` | optional | when the sample was taken, months from the start of therapy (negative before) |
/// | `truth` | optional | a simulator ground-truth file (kept as a path; not read by the analysis) |
/// | `note`, `comment` | optional | free text, ignored |
///
/// Any other column is an error, so a misspelt column cannot silently go missing. Paths are
/// relative to the manifest's folder (absolute paths are kept). An empty optional cell means
/// "not given". The patient-level columns (`transcript`, `relapse`, `time_months`,
/// `death_in_remission`, `last_followup_months`) may be repeated on every row of a patient or
/// given on one; the values given must agree across the patient's rows.
///
/// Every bad row is reported at once, in one InputError(format) whose `where` is "line L" or
/// "lines L1, L2, …" and whose reason reads "line L1: …; line L2: …".
///
/// ## Store (SQLite)
///
/// The schema is versioned: `schema_version` holds one row per applied migration, and
/// `open_store` applies the missing ones in order, each in its own transaction (see
/// `schema_migrations`). Version 2, the current one:
///
/// - `patients(patient PK, transcript, relapse, time_months, death_in_remission, last_followup_months)`
/// - `samples(id PK, patient, sample, phase, phase_day, therapy, sample_time_months, fcs_path, fish_path,
///   truth_path, fcs_size, fcs_hash, fish_size, fish_hash, parameters_hash, software_version, status, error,
///   started_at, finished_at, seconds, stem_cell_involvement, fish_transcript)`, UNIQUE(patient, sample);
///   `status` is `pending` (listed, no results), `complete` or `failed` (with `error`).
/// - `populations(sample_id, name, phenotype, events, pct_of_cd34, pct_of_leukocytes, status, lod_pct_of_cd34)`
/// - `cuts(sample_id, name, channel, population, value, data_value, method, weak, overridden, evidence)`
/// - `parameters(hash PK, text)`: the analysis parameters behind `samples.parameters_hash`
/// - `qc(sample_id PK, events, singlet_pct, cells_pct, leukocyte_pct, time_rate_cv, leukocytes, cd34)` (v2)
/// - `fish_calls(sample_id, line, compartment, probe, nuclei_scored, nuclei_positive, fraction, cutoff,
///   cutoff_source, positive)` (v2)
/// - `flags(sample_id, kind, text)`: QC flags, analysis and FISH warnings (v2)
///
/// Hashes are XXH64 (the xxHash specification, implemented in cohort/detail) of the whole
/// file, written as 16 hex digits, always stored with the file's size in bytes. The database
/// runs in WAL mode with `synchronous=NORMAL`: a commit survives the process being killed;
/// after a power loss the last commits may roll back, which only means those samples are
/// analysed again — a transaction is never seen half-applied in either case.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/bal/analyze.hpp"
#include "libescapade/bal/fish.hpp"
#include "libescapade/bal/panel.hpp"
#include "libescapade/base/error.hpp"

namespace escapade::cohort {

/// The database cannot be opened, read, migrated or written.
class StoreError : public Error {
 public:
  using Error::Error;
};

// ---------------------------------------------------------------------------------------------
// Manifest

/// Disease phase of a sample (SPEC "Cohort analyses").
enum class Phase {
  diagnosis,     ///< before any therapy
  remission,     ///< complete remission (CR)
  relapse,       ///< relapse
  pre_therapy,   ///< just before CD19-directed therapy
  post_therapy,  ///< after CD19-directed therapy, on day `ManifestRow::day`
};

/// "diagnosis", "remission", "relapse", "pre_therapy", "post_therapy".
[[nodiscard]] std::string_view to_string(Phase phase) noexcept;

/// A phase cell, ignoring case, with spaces and `-` read as `_`.
struct ParsedPhase {
  Phase phase = Phase::diagnosis;
  std::optional<int> day;  ///< post_therapy only: days after therapy started
};
/// "diagnosis" ("dx"); "remission" ("cr", "complete_remission"); "relapse"; "pre_therapy"
/// ("pre"); "day30_car_t" or "day30" (the simulator's names) → post_therapy day 30;
/// "post_therapy_day_N", "post_therapy_dN", "day_N", "dayN", "d+N" → post_therapy day N
/// (0 ≤ N ≤ 10000); "post_therapy" → post_therapy, day unknown. Anything else: nothing.
[[nodiscard]] std::optional<ParsedPhase> parse_phase(std::string_view text);

/// CD19-directed therapy.
enum class Therapy { none, car_t, blinatumomab };
/// "none", "car_t", "blinatumomab".
[[nodiscard]] std::string_view to_string(Therapy therapy) noexcept;

/// Relapse after therapy (SPEC: relapse none / CD19+ / CD19−).
enum class Relapse { none, cd19pos, cd19neg };
/// "none", "cd19pos", "cd19neg".
[[nodiscard]] std::string_view to_string(Relapse relapse) noexcept;

/// A patient's outcome; every field is empty when the manifest does not give it.
struct Outcome {
  std::optional<Relapse> relapse;
  std::optional<double> time_months;
  std::optional<bool> death_in_remission;
  std::optional<double> last_followup_months;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

/// One patient: outcome and transcript gathered from all of the patient's rows.
struct Patient {
  std::string id;
  bal::Transcript transcript = bal::Transcript::unknown;
  Outcome outcome;
  friend bool operator==(const Patient&, const Patient&) = default;
};

/// One sample row.
struct ManifestRow {
  std::size_t line = 0;        ///< 1-based line in the manifest
  std::string patient;
  std::string sample;
  std::filesystem::path fcs;   ///< resolved against the manifest's folder
  Phase phase = Phase::diagnosis;
  std::optional<int> day;      ///< post_therapy: days after therapy started
  std::string phase_text;      ///< the phase cell as written
  Therapy therapy = Therapy::none;
  std::optional<std::filesystem::path> fish;   ///< resolved; empty when not given
  std::optional<std::filesystem::path> truth;  ///< resolved; empty when not given
  std::optional<double> sample_time_months;
  friend bool operator==(const ManifestRow&, const ManifestRow&) = default;
};

/// A parsed, validated manifest.
struct Manifest {
  std::string source;                 ///< the manifest's path or "<memory>"
  std::vector<ManifestRow> rows;      ///< in file order
  std::vector<Patient> patients;      ///< in order of first appearance
  /// Rows dropped by `ManifestOptions::skip_bad_rows`, each with its line and reason.
  std::vector<Warning> skipped;
  /// Other warnings: identifiers that were not UTF-8 and were read as Latin-1.
  std::vector<Warning> warnings;
  /// The patient with id `id`, or nullptr (lives as long as the manifest).
  [[nodiscard]] const Patient* find_patient(std::string_view id) const noexcept;
  /// One line: `Manifest(12 samples, 4 patients)`.
  [[nodiscard]] std::string summary() const;
};

struct ManifestOptions {
  /// Check that every `fcs` and `fish` file exists (a missing one is a row error).
  bool check_files = true;
  /// Drop bad rows (recorded in `Manifest::skipped`) instead of failing. Header errors and a
  /// manifest with no good row still fail.
  bool skip_bad_rows = false;
};

/// Parses a manifest held in memory (format in the file comment).
/// @param text  the TSV text.
/// @param source name used in errors ("manifest.tsv", "<memory>").
/// @param base  the folder relative paths are resolved against.
/// @throws InputError(format) for a missing header, an unknown, repeated or missing required
///         column, no rows, or (all at once, with their lines) every bad row: wrong cell count,
///         empty required cell, unknown phase/therapy/transcript/relapse, a number that is not
///         one or is negative where it cannot be, a sample given twice, a patient whose rows
///         disagree on an outcome or the transcript, relapse together with death in remission,
///         a missing file (`check_files`).
[[nodiscard]] Manifest parse_manifest(std::string_view text, std::string_view source,
                                      const std::filesystem::path& base, const ManifestOptions& options = {});

/// Reads and parses a manifest file; relative paths resolve against its folder.
/// @throws InputError(io) if it cannot be read, or as parse_manifest.
[[nodiscard]] Manifest read_manifest(const std::filesystem::path& path, const ManifestOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Store

/// One schema migration: applied in order, each inside one transaction.
struct Migration {
  int version = 0;               ///< the schema version after it
  std::string_view description;  ///< what it adds
  std::string_view sql;          ///< the statements
};
/// Every migration, in order; the last one's version is `current_schema_version`.
[[nodiscard]] std::span<const Migration> schema_migrations() noexcept;
inline constexpr int current_schema_version = 2;

/// A sample as stored.
struct StoredSample {
  std::int64_t id = 0;
  std::string patient, sample;
  Phase phase = Phase::diagnosis;
  std::optional<int> day;
  Therapy therapy = Therapy::none;
  std::optional<double> sample_time_months;
  std::string fcs_path;
  std::string status;            ///< "pending", "complete", "failed"
  std::string error;             ///< for failed samples
  std::string fcs_hash;          ///< 16 hex digits (empty before the first analysis)
  std::optional<std::int64_t> fcs_size;
  std::string parameters_hash, software_version;
  std::string finished_at;       ///< ISO 8601 UTC
  double seconds = 0;            ///< analysis time
  std::string stem_cell_involvement;  ///< bal::to_string(Involvement), empty without FISH
};

/// A population of a stored sample, with the sample's keys (one row of a cohort table).
struct StoredPopulation {
  std::string patient, sample;
  std::string name, phenotype;
  std::int64_t events = 0;
  double pct_of_cd34 = 0, pct_of_leukocytes = 0, lod_pct_of_cd34 = 0;
  std::string status;  ///< bal::to_string(Status)
  friend bool operator==(const StoredPopulation&, const StoredPopulation&) = default;
};

/// A cut of a stored sample.
struct StoredCut {
  std::string patient, sample;
  std::string name, channel, population, method, evidence;
  double value = 0, data_value = 0;
  bool weak = false, overridden = false;
  friend bool operator==(const StoredCut&, const StoredCut&) = default;
};

struct StoreOptions {
  /// Open without writing: no migration (the schema must be current), no WAL switch.
  bool read_only = false;
  /// How long to wait for another connection's lock before failing, in milliseconds.
  int busy_timeout_ms = 10000;
};

/// An open cohort database. One thread at a time; move-only.
class Store {
 public:
  /// Opens (creating it if needed, unless read_only) and migrates to the current schema.
  /// @throws StoreError(io) if it cannot be opened or written; StoreError(unsupported) if its
  ///         schema is newer than this escapade; StoreError(format) if it is not a database or
  ///         (read_only) its schema is older.
  [[nodiscard]] static Store open(const std::filesystem::path& path, const StoreOptions& options = {});
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  /// The database's schema version.
  [[nodiscard]] int schema_version() const;
  /// Every stored sample, ordered by patient and sample id.
  [[nodiscard]] std::vector<StoredSample> samples() const;
  /// Complete samples per analysis parameter set (`samples.parameters_hash`).
  [[nodiscard]] std::map<std::string, std::size_t> parameter_sets() const;
  /// Every patient's outcome and transcript, ordered by id.
  [[nodiscard]] std::vector<Patient> patients() const;
  /// Every population of every complete sample, ordered by patient, sample, name.
  [[nodiscard]] std::vector<StoredPopulation> populations() const;
  /// Every cut of every complete sample, ordered by patient, sample, name.
  [[nodiscard]] std::vector<StoredCut> cuts() const;
  /// Problems found, empty when consistent: `PRAGMA integrity_check` and `foreign_key_check`
  /// failures, complete samples lacking populations, QC or cuts, and results attached to
  /// samples that are not complete.
  [[nodiscard]] std::vector<std::string> check() const;
  /// The database file.
  [[nodiscard]] const std::filesystem::path& path() const noexcept;

  /// @cond internal
  struct Impl;
  [[nodiscard]] Impl& impl() const noexcept { return *my_impl; }
  /// @endcond

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> my_impl;
};

// ---------------------------------------------------------------------------------------------
// Runner

/// What happened to one sample in a run.
enum class SampleOutcome {
  analysed,  ///< analysed and committed
  skipped,   ///< complete with the same FCS (and FISH) content, parameters and version
  failed,    ///< stored as failed with its error
};
/// "analysed", "skipped", "failed".
[[nodiscard]] std::string_view to_string(SampleOutcome outcome) noexcept;

/// Progress after each sample is settled (committed or skipped).
struct Progress {
  std::size_t done = 0, total = 0;
  std::size_t analysed = 0, skipped = 0, failed = 0;
  const ManifestRow* row = nullptr;  ///< the sample just settled (valid during the call)
  SampleOutcome outcome = SampleOutcome::analysed;
  std::string error;                 ///< for a failed sample
  double seconds = 0;                ///< its analysis time (0 when skipped)
  double elapsed_seconds = 0;        ///< since the run started
};

struct RunOptions {
  /// Samples analysed at once (0 = all cores). At most this many samples are in memory.
  int jobs = 1;
  /// Threads within one sample's reading and analysis. Results never depend on it.
  int threads_per_sample = 1;
  /// The panel (default: the built-in bal_escape panel).
  bal::Panel panel = bal::builtin_panel();
  bal::Limits limits;
  bal::FishOptions fish;
  /// Analyse every sample again, even unchanged ones.
  bool force_rerun = false;
  /// Stop after this many samples were analysed or failed (0 = no limit); the rest stay
  /// pending for the next run (STYLE §10: a long job advances, stops and continues).
  std::size_t max_samples = 0;
  /// Called on the calling thread after each sample is settled.
  std::function<void(const Progress&)> progress;
};

/// What a run did.
struct RunSummary {
  std::size_t total = 0;     ///< samples in the manifest
  std::size_t analysed = 0, skipped = 0, failed = 0;
  std::size_t not_started = 0;   ///< left for later by `max_samples`
  std::size_t stored_not_in_manifest = 0;  ///< samples in the database the manifest no longer lists
  std::string parameters_hash;
  /// Complete samples in the database analysed with another parameter set than this run's
  /// (a concurrent run with another panel, or an earlier one): a report refuses to mix them.
  std::size_t other_parameter_sets = 0;
  double seconds = 0;        ///< wall time of the run
  /// "12 samples: 10 analysed, 2 skipped, 0 failed in 3.1 s".
  [[nodiscard]] std::string summary() const;
};

/// The canonical text of the analysis parameters (panel, limits, FISH options) that, with the
/// software version and the input files' content, decides whether a stored result is current.
[[nodiscard]] std::string parameters_text(const RunOptions& options);

/// Records the manifest's patients and samples (new samples pending), then analyses every
/// sample whose stored result is not current, `jobs` at a time, and commits each sample's
/// results in one transaction from a single writer (the calling thread). A sample whose input
/// cannot be read or analysed is stored as failed with its error and the run goes on; failed
/// samples are retried by the next run.
/// @throws StoreError if the database cannot be opened or written (the run stops; what was
///         committed stays); InputError(invalid_argument) for bad options.
[[nodiscard]] RunSummary run_cohort(const Manifest& manifest, const std::filesystem::path& db,
                                    const RunOptions& options = {});

/// XXH64 of a file's content (seed 0), as 16 lower-case hex digits, and its size.
struct FileStamp {
  std::uint64_t size = 0;
  std::string hash;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};
/// @throws InputError(io) if the file cannot be read.
[[nodiscard]] FileStamp stamp_file(const std::filesystem::path& path);

}  // namespace escapade::cohort
