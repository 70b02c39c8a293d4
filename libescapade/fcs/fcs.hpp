#pragma once
/// @file
/// Reading and writing FCS files (FCS 2.0, 3.0, 3.1, 3.2). The entry header of `fcs/`.
///
/// Reading is two stages (STYLE §5): stage 1 parses HEADER and TEXT, checks every
/// offset, length and count, and builds an immutable decode plan; stage 2 decodes
/// DATA in event blocks across threads straight into a column-major EventMatrix.
/// What a file says of itself that does not add up is reported as a `Warning` with
/// the place and what was done about it; what cannot be read is an `FcsError`.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/base/event_matrix.hpp"
#include "libescapade/fcs/spillover.hpp"

namespace escapade::fcs {

/// One TEXT keyword as the file wrote it (escapes undone, value otherwise verbatim).
struct Keyword {
  std::string name;
  std::string value;
  friend bool operator==(const Keyword&, const Keyword&) = default;
};

/// The keywords of a data set, in file order. Lookup ignores case (FCS 3.1 §3.2.10:
/// keywords are case-insensitive); when a keyword repeats, the first one wins.
class Keywords {
 public:
  /// Appends a keyword. Returns false (and does not add) if the name is already there.
  bool add(std::string name, std::string value);
  /// Sets a keyword's value, replacing an existing one (same case-insensitive name) in place.
  void set(std::string_view name, std::string value);
  /// Removes a keyword; returns whether it was there.
  bool remove(std::string_view name);
  /// The value of `name`, or nullptr. The pointer lives until the Keywords changes.
  [[nodiscard]] const std::string* find(std::string_view name) const;
  /// The value of `name` with surrounding spaces trimmed, or an empty view.
  [[nodiscard]] std::string_view get(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return find(name) != nullptr; }
  [[nodiscard]] const std::vector<Keyword>& all() const noexcept { return my_keywords; }
  [[nodiscard]] std::size_t size() const noexcept { return my_keywords.size(); }
  friend bool operator==(const Keywords& a, const Keywords& b) { return a.my_keywords == b.my_keywords; }

 private:
  void reindex();
  std::vector<Keyword> my_keywords;
  std::unordered_map<std::string, std::size_t> my_index;  // upper-cased name -> position
};

/// $DATATYPE (and FCS 3.2 $PnDATATYPE): how one parameter's values are stored.
enum class DataType { integer, float32, float64 };

/// One measured parameter (channel) and its TEXT description (FCS 3.1 §3.2.20).
struct Parameter {
  std::size_t number = 0;     ///< n in $PnX (1-based)
  std::string name;           ///< $PnN, short name (made unique and non-empty by the reader)
  std::string stain;          ///< $PnS, stain or marker; empty if absent
  double range = 0;           ///< $PnR, range of raw values
  int bits = 0;               ///< $PnB, bits per value in DATA
  DataType datatype = DataType::float32;  ///< $DATATYPE, or $PnDATATYPE (3.2)
  double log_decades = 0;     ///< $PnE f1; 0 = linear amplification
  double log_offset = 0;      ///< $PnE f2 (as read; 0 with f1 > 0 is decoded as 1)
  double gain = 1;            ///< $PnG, 1 when absent
  std::optional<double> voltage;  ///< $PnV, detector voltage
  std::string display;        ///< $PnD, suggested display scale (verbatim)
  std::string type;           ///< $PnTYPE (3.2), verbatim
  bool is_time = false;       ///< the time parameter ($PnTYPE Time or $PnN "Time")
  /// What the reader did to turn stored values into scale values (empty = nothing):
  /// "log 4 decades", "÷ 3.67 (gain)", "× 0.01 s ($TIMESTEP)".
  std::string scaling;
  /// Amplification as a word for display: "linear" or "log (4 decades, offset 1)".
  [[nodiscard]] std::string amplification() const;
};

/// Byte ranges of a data set's segments, relative to the file (not the data set).
struct SegmentOffsets {
  std::size_t text_begin = 0, text_end = 0;          ///< primary TEXT, inclusive
  std::size_t stext_begin = 0, stext_end = 0;        ///< supplemental TEXT (0,0 = none)
  std::size_t data_begin = 0, data_end = 0;          ///< DATA as used, inclusive (0,0 = empty)
  std::size_t analysis_begin = 0, analysis_end = 0;  ///< ANALYSIS (0,0 = none)
};

/// One data set of an FCS file: its TEXT, its parameters and its events.
struct DataSet {
  std::size_t index = 0;        ///< 0-based position in the file
  std::size_t offset = 0;       ///< byte offset of its HEADER in the file
  std::string version;          ///< "FCS3.1", from the HEADER
  Keywords keywords;            ///< primary and supplemental TEXT
  Keywords analysis;            ///< ANALYSIS segment keywords (often empty)
  std::vector<Parameter> parameters;  ///< one per $PAR, in DATA order
  std::size_t declared_events = 0;    ///< $TOT as written (or inferred for FCS 2.0 without it)
  std::size_t event_count = 0;        ///< events present in DATA (decoded or not)
  /// Events; column k belongs to parameters[k]. Scale values unless ReadOptions::scale
  /// is false. Empty (0×0) when ReadOptions::decode_events is false.
  EventMatrix events;
  std::optional<SpilloverMatrix> spillover;  ///< from $SPILLOVER, SPILL, $SPILL or $COMP
  std::string spillover_keyword;             ///< which keyword it came from
  /// Set when the file has a spillover keyword but none could be used (a NaN, a count
  /// mismatch, a singular $COMP): a compensation asked for must then fail, not silently
  /// gate uncompensated values (gate::ApplyOptions::file_spillover_problem).
  std::optional<Warning> spillover_problem;
  SegmentOffsets segments;
  std::vector<Warning> warnings;  ///< what disagreed and what the reader did

  /// Index of the parameter named `name` ($PnN, exact), if any.
  [[nodiscard]] std::optional<std::size_t> find_parameter(std::string_view name) const noexcept;
  /// Channel names as a user types them: each `wanted` is a $PnN, else the one parameter
  /// whose $PnS it is (FlowKit and FlowJo users name channels by stain).
  /// @param source the file this data set was read from, named in errors.
  /// @param what   how the caller's user gave the names ("--channels", "channel"), for errors.
  /// @throws InputError(reference) naming the file and the name and listing the file's
  ///         channels, or saying that a stain names several channels.
  [[nodiscard]] std::vector<std::string> resolve_channels(const std::vector<std::string>& wanted, std::string_view source,
                                                          std::string_view what = "channel") const;
  /// The time parameter, if any.
  [[nodiscard]] const Parameter* time_parameter() const noexcept;
};

/// A whole FCS file: one or more data sets linked by $NEXTDATA (FCS 3.1 §3.2.20).
struct FcsFile {
  std::string source;             ///< file name as given, or "<memory>"
  std::size_t file_size = 0;      ///< bytes
  std::vector<DataSet> data_sets; ///< all of them, or just the one ReadOptions::data_set selects
  std::size_t data_set_count = 0; ///< how many the file holds (even if one was selected)
};

/// How to read (defaults read everything as FlowIO/FlowKit "preprocessed" values).
struct ReadOptions {
  /// Read only this data set (0-based); empty = every data set.
  std::optional<std::size_t> data_set;
  /// Decode DATA into EventMatrix; false reads HEADER and TEXT only (for `info`).
  bool decode_events = true;
  /// Convert stored values to scale values: $PnE log decode (integer data), ÷ $PnG
  /// (not on time), × $TIMESTEP on time (docs/formats.md §1.6). False keeps stored values.
  bool scale = true;
  /// Read the complete events of a file whose DATA is cut short instead of failing.
  bool allow_truncated = false;
  /// Decode threads (0 = all cores). The result never depends on it.
  int num_threads = 0;
};

/// Reads an FCS file held in memory (FCS 3.1 §3). Thread-safe.
/// @param bytes  the whole file; not retained after return.
/// @param source name used in errors and warnings ("x.fcs", "<memory>").
/// @throws FcsError with the byte offset and reason if the file cannot be read.
[[nodiscard]] FcsFile read_fcs(std::span<const std::byte> bytes, std::string_view source,
                               const ReadOptions& options = {});

/// Reads an FCS file from disk through a read-only memory map; pages already decoded
/// are released as decoding goes, so peak memory stays near the decoded matrix.
/// @throws FcsError (io) if the file cannot be opened or mapped, or as read_fcs.
[[nodiscard]] FcsFile read_fcs_file(const std::filesystem::path& path, const ReadOptions& options = {});

/// How to write an FCS 3.1 file.
struct WriteOptions {
  /// Stored value type. `automatic` writes float32 when every value is exactly
  /// representable in float32 and float64 otherwise, so read → write → read is exact.
  enum class Precision { automatic, float32, float64 } precision = Precision::automatic;
  /// Copy the source's non-structural keywords (everything but $BEGIN*/$END*, $PAR,
  /// $TOT, $Pn*, $DATATYPE, $BYTEORD, $MODE, $NEXTDATA and spillover keywords).
  bool keep_source_keywords = true;
  /// Extra keywords to add (or replace), e.g. provenance. Names starting with "$" are rejected.
  std::vector<Keyword> extra_keywords;
};

/// Writes `data_set` as a single-data-set FCS 3.1 file (FCS 3.1 §3), little-endian.
/// Columns of `data_set.events` are matched to `data_set.parameters` by name; a column
/// with no parameter (an added column such as a gate membership) gets $PnR from its
/// maximum. Values are written as they are (scale values), with $PnE 0,0 and no $PnG,
/// and $TIMESTEP 1 when a time column is present, so the file describes them truthfully.
/// HEADER offsets of segments past byte 99,999,999 are written as 0 (FCS 3.1 §3.1).
/// @throws FcsError (invalid_argument) for a keyword that cannot be written.
[[nodiscard]] std::vector<std::byte> write_fcs(const DataSet& data_set, const WriteOptions& options = {});

/// Writes to `path` through a temporary file renamed into place, so a failure never
/// leaves a half-written file. Refuses to replace an existing file unless `overwrite`.
/// @throws FcsError (io) on failure or when the file exists and overwrite is false.
void write_fcs_file(const std::filesystem::path& path, const DataSet& data_set,
                    const WriteOptions& options = {}, bool overwrite = false);

/// A copy of `data_set` keeping only `events` (row indices; empty = all) and the parameters
/// and columns named in `channels` (empty = all), in the order given.
/// @throws Error (reference) for an unknown channel name, std::out_of_range for an event index.
[[nodiscard]] DataSet select(const DataSet& data_set, std::span<const std::size_t> events,
                             std::span<const std::string> channels);

/// Short description of a datatype: "I", "F" or "D" as in $DATATYPE.
[[nodiscard]] std::string_view to_string(DataType type) noexcept;

}  // namespace escapade::fcs
