// Stage 1: HEADER and TEXT → a checked DecodePlan (FCS 3.1 §3.1–3.2), then stage 2.
// Every offset, length and count from the file is checked against the file size
// before anything is allocated (STYLE §3).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "libescapade/fcs/detail/decode.hpp"
#include "libescapade/fcs/detail/text.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::fcs {
namespace detail {
namespace {

constexpr std::size_t max_parameters = 10000;
constexpr std::size_t max_data_sets = 10000;

std::string pkey(std::size_t n, const char* suffix) { return "$P" + std::to_string(n) + suffix; }

struct Context {
  std::span<const std::byte> file;
  std::string source;
  std::vector<Warning>* warnings;
  void warn(std::string where, std::string reason) const {
    warnings->push_back({source, std::move(where), std::move(reason)});
  }
  [[noreturn]] void fail(ErrorKind kind, std::string where, std::string reason) const {
    throw FcsError(kind, source, std::move(where), std::move(reason));
  }
};

// A required numeric keyword.
std::uint64_t required_uint(const Context& cx, const Keywords& kw, const std::string& name, std::size_t text_at) {
  const std::string* v = kw.find(name);
  if (v == nullptr) cx.fail(ErrorKind::format, "TEXT byte " + std::to_string(text_at), "required keyword " + name + " is missing");
  auto n = parse_uint(*v);
  if (!n) cx.fail(ErrorKind::format, "keyword " + name, "value '" + *v + "' is not a whole number");
  return *n;
}

// $BYTEORD → byte significance order, least significant first (0-based positions).
struct ByteOrder {
  bool big = false;
  std::vector<int> permutation;  // empty unless neither little nor big endian
};

ByteOrder parse_byteorder(const Context& cx, std::string_view value) {
  std::vector<int> order;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || value[i] == ',') {
      auto n = parse_uint(value.substr(start, i - start));
      if (!n || *n == 0 || *n > 8) cx.fail(ErrorKind::format, "keyword $BYTEORD", "value '" + std::string(value) + "' is not a list of byte positions 1..8");
      order.push_back(static_cast<int>(*n));
      start = i + 1;
    }
  }
  // FCS 3.0 §3.2.20: "1,2,3,4" = least significant byte first; each number is the
  // position of that byte (1 = first in the file) in significance order.
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int>(i) + 1) cx.fail(ErrorKind::format, "keyword $BYTEORD", "value '" + std::string(value) + "' is not a permutation");
  }
  ByteOrder bo;
  bool ascending = true, descending = true;
  for (std::size_t i = 0; i < order.size(); ++i) {
    ascending = ascending && order[i] == static_cast<int>(i) + 1;
    descending = descending && order[i] == static_cast<int>(order.size() - i);
  }
  if (ascending) return bo;
  if (descending) {
    bo.big = true;
    return bo;
  }
  // $BYTEORD lists, from least to most significant, where each byte sits.
  for (int pos : order) bo.permutation.push_back(pos - 1);
  return bo;
}

bool is_time_name(std::string_view name) { return iequals(trim(name), "time"); }

struct DataRange {
  std::uint64_t begin = 0, end = 0;  // absolute, inclusive; begin > end = empty
  bool empty = true;
};

}  // namespace

// Reads one data set whose HEADER starts at `base`. Fills ds (except events when !decode).
// Returns $NEXTDATA (relative to base), 0 if none.
static std::uint64_t read_data_set(const Context& cx, std::size_t base, std::size_t index, bool decode,
                                   const ReadOptions& options, const ReleaseFn* release, DataSet& ds) {
  const auto& file = cx.file;
  const std::size_t size = file.size();
  Header h = parse_header(file, base, cx.source, *cx.warnings);
  ds.index = index;
  ds.offset = base;
  ds.version = h.version;
  const bool fcs2 = h.version == "FCS2.0";

  // ---- primary TEXT
  const std::uint64_t tb = base + h.text_begin, te = base + h.text_end;
  if (h.text_begin == 0 || h.text_end < h.text_begin) {
    cx.fail(ErrorKind::format, "HEADER byte " + std::to_string(base + 10),
            "TEXT segment " + std::to_string(h.text_begin) + "-" + std::to_string(h.text_end) + " is empty or reversed");
  }
  if (tb >= size) {
    cx.fail(ErrorKind::truncated, "HEADER byte " + std::to_string(base + 10),
            "TEXT begin " + std::to_string(tb) + " is past the end of the file (" + std::to_string(size) + " bytes)");
  }
  std::uint64_t text_last = te;
  if (te >= size) {
    cx.warn("HEADER byte " + std::to_string(base + 18),
            "TEXT end " + std::to_string(te) + " is past the end of the file (" + std::to_string(size) + " bytes); TEXT read to the end");
    text_last = size - 1;
  }
  ds.keywords = parse_keywords(file.subspan(tb, text_last - tb + 1), tb, "TEXT", cx.source, *cx.warnings);
  ds.segments.text_begin = tb;
  ds.segments.text_end = text_last;
  const char delim = static_cast<char>(file[tb]);
  Keywords& kw = ds.keywords;

  // ---- supplemental TEXT (FCS 3.0 §3.2.3–3.2.5)
  {
    auto sb = parse_uint(kw.get("$BEGINSTEXT"));
    auto se = parse_uint(kw.get("$ENDSTEXT"));
    if (sb && se && *sb != 0 && *se >= *sb) {
      const std::uint64_t asb = base + *sb, ase = base + *se;
      if (asb == tb && ase == te) {
        // Points back at the primary TEXT (BD Accuri): nothing more to read.
      } else if (ase >= size) {
        cx.warn("keyword $BEGINSTEXT", "supplemental TEXT " + std::to_string(asb) + "-" + std::to_string(ase) + " lies past the end of the file; ignored");
      } else if (static_cast<char>(file[asb]) != delim) {
        cx.warn("supplemental TEXT byte " + std::to_string(asb),
                "does not start with the TEXT delimiter (it is not keyword text); ignored");
      } else {
        Keywords extra = parse_keywords(file.subspan(asb, ase - asb + 1), asb, "supplemental TEXT", cx.source, *cx.warnings);
        for (const auto& k : extra.all()) {
          if (!kw.contains(k.name)) kw.add(k.name, k.value);
        }
        ds.segments.stext_begin = asb;
        ds.segments.stext_end = ase;
      }
    }
  }

  const std::size_t text_at = tb;
  // ---- parameters
  const std::uint64_t par = required_uint(cx, kw, "$PAR", text_at);
  if (par == 0 || par > max_parameters) {
    cx.fail(ErrorKind::format, "keyword $PAR", "value " + std::to_string(par) + " is outside 1.." + std::to_string(max_parameters));
  }
  std::string dt_s = upper(kw.get("$DATATYPE"));
  if (dt_s.empty()) cx.fail(ErrorKind::format, "TEXT byte " + std::to_string(text_at), "required keyword $DATATYPE is missing");
  auto datatype_of = [&](const std::string& s, const std::string& where) -> DataType {
    if (s == "I") return DataType::integer;
    if (s == "F") return DataType::float32;
    if (s == "D") return DataType::float64;
    if (s == "A") cx.fail(ErrorKind::unsupported, where, "ASCII data ($DATATYPE A, deprecated in FCS 3.1) is not supported");
    cx.fail(ErrorKind::format, where, "unknown data type '" + s + "'");
  };
  const DataType file_type = datatype_of(dt_s, "keyword $DATATYPE");

  ds.parameters.resize(par);
  std::size_t event_bits = 0;
  for (std::size_t n = 1; n <= par; ++n) {
    Parameter& p = ds.parameters[n - 1];
    p.number = n;
    p.name = std::string(trim(kw.get(pkey(n, "N"))));
    if (p.name.empty()) {
      p.name = "P" + std::to_string(n);
      if (!fcs2) cx.warn("keyword " + pkey(n, "N"), "missing or empty; parameter named '" + p.name + "'");
    }
    p.stain = std::string(trim(kw.get(pkey(n, "S"))));
    const std::string b_key = pkey(n, "B");
    const std::string* b = kw.find(b_key);
    if (b == nullptr) cx.fail(ErrorKind::format, "TEXT byte " + std::to_string(text_at), "required keyword " + b_key + " is missing");
    if (trim(*b) == "*") cx.fail(ErrorKind::unsupported, "keyword " + b_key, "free-format ASCII data ($PnB *) is not supported");
    auto bits = parse_uint(*b);
    if (!bits || *bits == 0 || *bits > 64) cx.fail(ErrorKind::format, "keyword " + b_key, "value '" + *b + "' is not a bit width 1..64");
    p.bits = static_cast<int>(*bits);
    const std::string pdt = upper(kw.get(pkey(n, "DATATYPE")));  // FCS 3.2
    p.datatype = pdt.empty() ? file_type : datatype_of(pdt, "keyword " + pkey(n, "DATATYPE"));
    if (p.bits % 8 != 0) {
      cx.fail(ErrorKind::unsupported, "keyword " + b_key, std::to_string(p.bits) + "-bit values (not a multiple of 8) are not supported");
    }
    if (p.datatype == DataType::float32 && p.bits != 32) {
      if (p.bits == 64) {
        cx.warn("keyword " + b_key, "64-bit values with $DATATYPE F; read as double precision");
        p.datatype = DataType::float64;
      } else {
        cx.fail(ErrorKind::format, "keyword " + b_key, "$DATATYPE F needs 32 bits, not " + std::to_string(p.bits));
      }
    }
    if (p.datatype == DataType::float64 && p.bits != 64) {
      cx.fail(ErrorKind::format, "keyword " + b_key, "$DATATYPE D needs 64 bits, not " + std::to_string(p.bits));
    }
    event_bits += static_cast<std::size_t>(p.bits);

    const std::string r_key = pkey(n, "R");
    if (const std::string* r = kw.find(r_key)) {
      auto rv = parse_double(*r);
      if (rv && std::isfinite(*rv) && *rv >= 0) p.range = *rv;
      else cx.warn("keyword " + r_key, "value '" + *r + "' is not a number; no range");
    } else if (!fcs2) {
      cx.warn("keyword " + r_key, "missing; no range");
    }
    if (const std::string* e = kw.find(pkey(n, "E"))) {
      auto comma = e->find(',');
      auto f1 = parse_double(std::string_view(*e).substr(0, comma));
      auto f2 = comma == std::string::npos ? std::optional<double>(0.0) : parse_double(std::string_view(*e).substr(comma + 1));
      if (f1 && f2 && std::isfinite(*f1) && std::isfinite(*f2) && *f1 >= 0) {
        p.log_decades = *f1;
        p.log_offset = *f2;
      } else {
        cx.warn("keyword " + pkey(n, "E"), "value '" + *e + "' is not 'decades,offset'; read as linear");
      }
    }
    if (const std::string* g = kw.find(pkey(n, "G"))) {
      auto gv = parse_double(*g);
      if (gv && std::isfinite(*gv) && *gv > 0) p.gain = *gv;
      else if (!trim(*g).empty()) cx.warn("keyword " + pkey(n, "G"), "value '" + *g + "' is not a positive number; gain 1 used");
    }
    if (const std::string* v = kw.find(pkey(n, "V"))) {
      if (auto vv = parse_double(*v)) p.voltage = *vv;
    }
    p.display = std::string(trim(kw.get(pkey(n, "D"))));
    p.type = std::string(trim(kw.get(pkey(n, "TYPE"))));
    p.is_time = is_time_name(p.name) || iequals(p.type, "time");
  }
  // $PnN must be unique (FCS 3.1 §3.2.20); real files occasionally repeat one. A repeat is
  // renamed `<name>_<n>`, and further `_2`, `_3` … until the name is used by no parameter of
  // the file (a file may already hold the first choice, so renaming must not make a new
  // repeat).
  {
    std::unordered_map<std::string, std::size_t> first;  // name → the first parameter (1-based) with it
    std::unordered_set<std::string> all;
    for (const auto& p : ds.parameters) all.insert(p.name);
    for (std::size_t i = 0; i < ds.parameters.size(); ++i) {
      const std::string name = ds.parameters[i].name;
      const auto [it, fresh] = first.emplace(name, i + 1);
      if (fresh) continue;
      std::string renamed = name + "_" + std::to_string(i + 1);
      for (int k = 2; all.contains(renamed); ++k) renamed = name + "_" + std::to_string(i + 1) + "_" + std::to_string(k);
      cx.warn("keyword " + pkey(i + 1, "N"), "name '" + name + "' repeats that of parameter " + std::to_string(it->second) +
                                                 "; renamed '" + renamed + "'");
      ds.parameters[i].name = renamed;
      all.insert(renamed);
      first.emplace(renamed, i + 1);
    }
  }
  const std::size_t event_size = event_bits / 8;

  // ---- byte order
  ByteOrder bo;
  const std::string* bo_s = kw.find("$BYTEORD");
  if (bo_s == nullptr) {
    bool all_one_byte = std::all_of(ds.parameters.begin(), ds.parameters.end(), [](const Parameter& p) { return p.bits == 8; });
    if (!all_one_byte) cx.fail(ErrorKind::format, "TEXT byte " + std::to_string(text_at), "required keyword $BYTEORD is missing");
  } else {
    bo = parse_byteorder(cx, *bo_s);
    if (!bo.permutation.empty()) {
      for (const auto& p : ds.parameters) {
        if (static_cast<std::size_t>(p.bits / 8) != bo.permutation.size()) {
          cx.fail(ErrorKind::unsupported, "keyword $BYTEORD",
                  "byte order '" + *bo_s + "' cannot be applied to " + std::to_string(p.bits) + "-bit values");
        }
      }
    }
  }

  // ---- $TOT and the DATA segment (docs/formats.md §1.5)
  std::optional<std::uint64_t> tot;
  if (const std::string* t = kw.find("$TOT")) {
    tot = parse_uint(*t);
    if (!tot) cx.fail(ErrorKind::format, "keyword $TOT", "value '" + *t + "' is not a whole number");
  } else if (!fcs2) {
    cx.warn("TEXT byte " + std::to_string(text_at), "required keyword $TOT is missing; events counted from the DATA length");
  }
  std::optional<std::uint64_t> expected_len;
  if (tot) {
    if (*tot > std::numeric_limits<std::uint64_t>::max() / event_size) {
      cx.fail(ErrorKind::format, "keyword $TOT", std::to_string(*tot) + " events of " + std::to_string(event_size) + " bytes overflow");
    }
    expected_len = *tot * event_size;
  }

  struct Candidate {
    std::uint64_t begin, end;  // relative to base
    const char* from;
  };
  std::vector<Candidate> candidates;
  if (h.data_begin != 0 || h.data_end != 0) candidates.push_back({h.data_begin, h.data_end, "HEADER"});
  auto kb = parse_uint(kw.get("$BEGINDATA"));
  auto ke = parse_uint(kw.get("$ENDDATA"));
  if (kb && ke && (*kb != 0 || *ke != 0)) candidates.push_back({*kb, *ke, "$BEGINDATA/$ENDDATA"});
  if (candidates.empty() && !(expected_len && *expected_len == 0)) {
    cx.fail(ErrorKind::format, "HEADER byte " + std::to_string(base + 26), "no DATA segment: HEADER and TEXT offsets are both 0 or missing");
  }
  auto length_of = [](const Candidate& c) -> std::uint64_t { return c.end >= c.begin ? c.end - c.begin + 1 : 0; };
  // A DATA range that overlaps HEADER or TEXT is never the right one (FCS 3.1 §3.1: the
  // segments are disjoint): decoding it would turn keyword text into events.
  auto clear_of_text = [&](const Candidate& c) {
    return c.begin >= 58 && (c.begin > h.text_end || c.end < h.text_begin);
  };
  auto fits = [&](const Candidate& c) { return c.end >= c.begin && base + c.end < size && clear_of_text(c); };
  auto matches = [&](const Candidate& c) {
    if (!expected_len) return true;
    const std::uint64_t len = length_of(c);
    return len == *expected_len || len == *expected_len + 1;
  };
  const Candidate* chosen = nullptr;
  for (const auto& c : candidates) {
    if (fits(c) && matches(c)) {
      chosen = &c;
      break;
    }
  }
  if (chosen == nullptr) {
    for (const auto& c : candidates) {
      if (fits(c)) {
        chosen = &c;
        break;
      }
    }
  }
  if (chosen == nullptr && !candidates.empty()) {
    // None fits the file: the first that at least keeps clear of HEADER and TEXT (reading
    // then reports the truncation), never one that overlaps them.
    for (const auto& c : candidates) {
      if (clear_of_text(c)) {
        chosen = &c;
        break;
      }
    }
    if (chosen == nullptr) {
      const Candidate& c = candidates.front();
      cx.fail(ErrorKind::format, "HEADER byte " + std::to_string(base + 26),
              std::string("DATA offsets ") + std::to_string(c.begin) + "-" + std::to_string(c.end) + " (" + c.from +
                  ") overlap the HEADER or the TEXT segment " + std::to_string(h.text_begin) + "-" + std::to_string(h.text_end) +
                  ", and no other DATA offsets are given");
    }
  }
  if (candidates.size() == 2 && (candidates[0].begin != candidates[1].begin || candidates[0].end != candidates[1].end)) {
    const Candidate& other = chosen == &candidates[0] ? candidates[1] : candidates[0];
    cx.warn("HEADER byte " + std::to_string(base + 26),
            std::string("DATA offsets disagree: ") + candidates[0].from + " says " + std::to_string(candidates[0].begin) + "-" +
                std::to_string(candidates[0].end) + ", " + candidates[1].from + " says " + std::to_string(candidates[1].begin) + "-" +
                std::to_string(candidates[1].end) + "; used " + chosen->from +
                (expected_len ? " (its length fits $TOT × event size)" : "") + ", ignored " + other.from);
  }

  std::uint64_t data_begin = chosen ? base + chosen->begin : 0;
  std::uint64_t data_len = chosen ? length_of(*chosen) : 0;
  std::uint64_t available = 0;
  if (data_len > 0) {
    if (data_begin >= size) available = 0;
    else available = std::min<std::uint64_t>(data_len, size - data_begin);
  }
  std::uint64_t events = 0;
  if (tot) {
    events = *tot;
    if (data_len == *expected_len + 1) {
      cx.warn("DATA byte " + std::to_string(data_begin),
              "DATA is 1 byte longer than $TOT × event size (" + std::to_string(*expected_len) + "); the end offset was written as exclusive");
    } else if (data_len > *expected_len) {
      cx.warn("DATA byte " + std::to_string(data_begin),
              "DATA holds " + std::to_string(data_len) + " bytes, more than $TOT × event size = " + std::to_string(*expected_len) + "; the rest is ignored");
    } else if (data_len < *expected_len && available == data_len) {
      cx.warn("DATA byte " + std::to_string(data_begin),
              "DATA holds " + std::to_string(data_len) + " bytes, less than $TOT × event size = " + std::to_string(*expected_len));
    }
  } else {
    events = data_len / event_size;
    if (data_len % event_size != 0) {
      cx.warn("DATA byte " + std::to_string(data_begin), "DATA length " + std::to_string(data_len) + " is not a whole number of " +
                                                             std::to_string(event_size) + "-byte events; the partial event is ignored");
    }
  }
  ds.declared_events = static_cast<std::size_t>(events);
  std::uint64_t complete = available / event_size;
  if (complete < events) {
    const std::string reason = "file is truncated: DATA " + std::to_string(data_begin) + "-" +
                               std::to_string(data_begin + events * event_size - 1) + " needs " +
                               std::to_string(events * event_size) + " bytes but the file ends at byte " + std::to_string(size) +
                               ", so only " + std::to_string(complete) + " of " + std::to_string(events) + " events are present";
    if (decode && !options.allow_truncated) cx.fail(ErrorKind::truncated, "DATA byte " + std::to_string(data_begin), reason);
    cx.warn("DATA byte " + std::to_string(data_begin), reason + (decode ? "; read those" : ""));
    events = complete;
  }
  ds.event_count = static_cast<std::size_t>(events);
  ds.segments.data_begin = events > 0 ? data_begin : 0;
  ds.segments.data_end = events > 0 ? data_begin + events * event_size - 1 : 0;

  // ---- ANALYSIS (optional; problems there never stop a read)
  {
    std::uint64_t ab = h.analysis_begin, ae = h.analysis_end;
    if (ab == 0 && ae == 0) {
      ab = parse_uint(kw.get("$BEGINANALYSIS")).value_or(0);
      ae = parse_uint(kw.get("$ENDANALYSIS")).value_or(0);
    }
    if (ab != 0 && ae >= ab) {
      if (base + ae >= size) {
        cx.warn("HEADER byte " + std::to_string(base + 42), "ANALYSIS segment lies past the end of the file; ignored");
      } else if (static_cast<char>(file[base + ab]) != delim) {
        cx.warn("ANALYSIS byte " + std::to_string(base + ab), "does not start with the TEXT delimiter; ignored");
      } else {
        ds.analysis = parse_keywords(file.subspan(base + ab, ae - ab + 1), base + ab, "ANALYSIS", cx.source, *cx.warnings);
        ds.segments.analysis_begin = base + ab;
        ds.segments.analysis_end = base + ae;
      }
    }
  }

  // ---- spillover keyword (docs/formats.md §1.7: $SPILLOVER, then SPILL, then $SPILL)
  for (const char* name : {"$SPILLOVER", "SPILL", "$SPILL", "SPILLOVER"}) {
    const std::string* v = kw.find(name);
    if (v == nullptr) continue;
    try {
      ds.spillover = parse_spillover(*v, cx.source, name);
      ds.spillover_keyword = name;
      break;
    } catch (const FcsError& e) {
      cx.warn(e.where(), e.reason() + "; no spillover matrix taken from it");
      if (!ds.spillover_problem) ds.spillover_problem = Warning{cx.source, e.where(), e.reason()};
    }
  }
  if (!ds.spillover) {
    if (const std::string* v = kw.find("$COMP")) {
      std::vector<std::string> names;
      for (const auto& p : ds.parameters) names.push_back(p.name);
      try {
        ds.spillover = parse_comp_keyword(*v, names, cx.source);
        ds.spillover_keyword = "$COMP";
      } catch (const FcsError& e) {
        cx.warn(e.where(), e.reason() + "; no spillover matrix taken from it");
        if (!ds.spillover_problem) ds.spillover_problem = Warning{cx.source, e.where(), e.reason()};
      }
    }
  }
  if (ds.spillover) ds.spillover_problem.reset();
  if (ds.spillover) {
    for (const auto& d : ds.spillover->detectors()) {
      if (!ds.find_parameter(d)) {
        cx.warn("keyword " + ds.spillover_keyword, "names detector '" + d + "' that is not a parameter of this data set");
      }
    }
  }

  // ---- mode
  std::string mode = upper(kw.get("$MODE"));
  if (!mode.empty() && mode != "L") {
    if (decode) cx.fail(ErrorKind::unsupported, "keyword $MODE", "$MODE " + mode + " (histogram data) is not supported; only list mode (L)");
    cx.warn("keyword $MODE", "$MODE " + mode + " (histogram data) cannot be decoded");
  }

  // ---- scale values and the decode plan (docs/formats.md §1.6)
  double timestep = 0;
  if (const std::string* ts = kw.find("$TIMESTEP")) {
    auto v = parse_double(*ts);
    if (v && std::isfinite(*v) && *v > 0) timestep = *v;
    else if (ds.time_parameter()) cx.warn("keyword $TIMESTEP", "value '" + *ts + "' is not a positive number; time left in stored units");
  }
  DecodePlan plan;
  plan.event_size = event_size;
  plan.events = static_cast<std::size_t>(events);
  plan.data = events > 0 ? file.data() + data_begin : nullptr;
  std::size_t offset = 0;
  for (std::size_t k = 0; k < ds.parameters.size(); ++k) {
    Parameter& p = ds.parameters[k];
    ColumnPlan c;
    c.byte_offset = offset;
    offset += static_cast<std::size_t>(p.bits / 8);
    c.width = p.bits / 8;
    c.type = p.datatype;
    c.big_endian = bo.big;
    c.permutation = bo.permutation;
    if (p.datatype == DataType::integer) {
      // FCS 3.0 §3.3: mask to the smallest power of two ≥ $PnR (docs/formats.md §1.4).
      const std::uint64_t width_mask = p.bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << p.bits) - 1;
      c.mask = width_mask;
      if (p.range >= 1 && p.range < std::ldexp(1.0, p.bits)) {
        int k2 = 0;
        while (k2 < 64 && std::ldexp(1.0, k2) < p.range) ++k2;
        c.mask = k2 >= 64 ? width_mask : (std::uint64_t{1} << k2) - 1;
      }
    }
    if (options.scale) {
      if (p.is_time) {
        if (timestep > 0 && timestep != 1) {
          c.scale = ColumnPlan::Scale::multiply;
          c.a = timestep;
          p.scaling = "× " + format_double(timestep) + " s ($TIMESTEP)";
        }
      } else if (p.log_decades > 0) {
        if (p.datatype == DataType::integer) {
          if (p.range <= 0) {
            cx.warn("keyword " + pkey(p.number, "E"), "log amplification needs $PnR; values left as stored");
          } else {
            c.scale = ColumnPlan::Scale::log;
            c.a = p.log_decades;
            c.b = p.range;
            c.c = p.log_offset > 0 ? p.log_offset : 1.0;  // f2 = 0 is read as 1 (docs/formats.md §1.6)
            p.scaling = "log " + format_double(p.log_decades) + " decades";
          }
        } else {
          cx.warn("keyword " + pkey(p.number, "E"), "log amplification on floating-point data is ignored (FCS 3.1 §3.2.20)");
        }
      } else if (p.gain != 1) {
        c.scale = ColumnPlan::Scale::divide;
        c.a = p.gain;
        p.scaling = "÷ " + format_double(p.gain) + " (gain)";
      }
    }
    plan.columns.push_back(std::move(c));
  }

  if (decode) {
    std::vector<ChannelLabel> labels;
    labels.reserve(ds.parameters.size());
    for (const auto& p : ds.parameters) labels.push_back({p.name, p.stain});
    ds.events = EventMatrix(plan.events, std::move(labels), EventMatrix::Uninitialized{});
    decode_events(plan, ds.events, options.num_threads, release);
  }

  auto next = parse_uint(kw.get("$NEXTDATA"));
  if (!next && kw.contains("$NEXTDATA")) cx.warn("keyword $NEXTDATA", "not a number; no further data sets read");
  return next.value_or(0);
}

FcsFile read_fcs_impl(std::span<const std::byte> bytes, std::string_view source, const ReadOptions& options,
                      const ReleaseFn* release) {
  FcsFile out;
  out.source = std::string(source);
  out.file_size = bytes.size();
  if (bytes.empty()) throw FcsError(ErrorKind::format, out.source, "byte 0", "the file is empty");
  std::size_t base = 0;
  for (std::size_t index = 0;; ++index) {
    if (index >= max_data_sets) {
      throw FcsError(ErrorKind::format, out.source, "HEADER byte " + std::to_string(base), "more than " + std::to_string(max_data_sets) + " data sets");
    }
    const bool wanted = !options.data_set || *options.data_set == index;
    DataSet ds;
    std::vector<Warning> warnings;
    Context cx{bytes, out.source, &warnings};
    std::uint64_t next = 0;
    try {
      if (index == 0 || wanted) {
        next = read_data_set(cx, base, index, wanted && options.decode_events, options, release, ds);
      } else {
        // Only the TEXT is needed to follow $NEXTDATA.
        next = read_data_set(cx, base, index, false, options, nullptr, ds);
      }
    } catch (const FcsError& e) {
      if (index == 0) throw;
      // A $NEXTDATA that leads nowhere readable (into TEXT, say) spoils only what lies
      // beyond it: the data sets before it are read, and the error says where it came from.
      const std::string from = "$NEXTDATA of data set " + std::to_string(index - 1) + " (data set " + std::to_string(index) +
                               " at byte " + std::to_string(base) + ")";
      const bool needed = !options.data_set || *options.data_set >= index;
      if (needed && options.data_set) throw FcsError(e.kind(), out.source, from, e.where() + ": " + e.reason());
      if (!out.data_sets.empty()) {
        out.data_sets.back().warnings.push_back(
            {out.source, from, "no readable data set there (" + e.where() + ": " + e.reason() + "); not read"});
      }
      break;
    }
    ds.warnings = std::move(warnings);
    out.data_set_count = index + 1;
    if (wanted) out.data_sets.push_back(std::move(ds));
    if (next == 0) break;
    // $NEXTDATA is relative to this data set (FCS 3.1 §3.2.20); it must move forward.
    if (next > bytes.size() - base || base + next >= bytes.size()) {
      if (!out.data_sets.empty()) {
        out.data_sets.back().warnings.push_back({out.source, "keyword $NEXTDATA",
                                                 "next data set at byte " + std::to_string(base + next) + " is past the end of the file; not read"});
      }
      break;
    }
    base += next;
  }
  if (options.data_set && out.data_sets.empty()) {
    throw FcsError(ErrorKind::invalid_argument, out.source, "data set " + std::to_string(*options.data_set),
                   "no such data set; the file holds " + std::to_string(out.data_set_count) + " (numbered from 0)");
  }
  return out;
}

}  // namespace detail

FcsFile read_fcs(std::span<const std::byte> bytes, std::string_view source, const ReadOptions& options) {
  return detail::read_fcs_impl(bytes, source, options, nullptr);
}

namespace {
// A read-only private mapping of a whole file, unmapped on scope exit.
class MappedFile {
 public:
  MappedFile(const std::filesystem::path& path) {
    const std::string name = path.string();
    my_fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (my_fd < 0) throw FcsError(ErrorKind::io, name, "", std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(my_fd, &st) != 0) throw FcsError(ErrorKind::io, name, "", std::string("cannot stat: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw FcsError(ErrorKind::io, name, "", "is a directory, not a file");
    my_size = static_cast<std::size_t>(st.st_size);
    if (my_size > 0) {
      void* p = ::mmap(nullptr, my_size, PROT_READ, MAP_PRIVATE, my_fd, 0);
      if (p == MAP_FAILED) throw FcsError(ErrorKind::io, name, "", std::string("cannot map: ") + std::strerror(errno));
      my_data = static_cast<const std::byte*>(p);
      ::madvise(p, my_size, MADV_SEQUENTIAL);
    }
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (my_data != nullptr) ::munmap(const_cast<std::byte*>(my_data), my_size);
    if (my_fd >= 0) ::close(my_fd);
  }
  std::span<const std::byte> bytes() const { return {my_data, my_size}; }

 private:
  int my_fd = -1;
  const std::byte* my_data = nullptr;
  std::size_t my_size = 0;
};
}  // namespace

FcsFile read_fcs_file(const std::filesystem::path& path, const ReadOptions& options) {
  MappedFile map(path);
  // Drop decoded pages from this process (they stay in the page cache), so peak
  // memory is the matrix plus the blocks in flight (STYLE §5).
  static const long page = ::sysconf(_SC_PAGESIZE);
  detail::ReleaseFn release = [](const std::byte* begin, std::size_t length) {
    const auto b = reinterpret_cast<std::uintptr_t>(begin);
    const auto e = b + length;
    const auto pb = (b + static_cast<std::uintptr_t>(page) - 1) / static_cast<std::uintptr_t>(page) * static_cast<std::uintptr_t>(page);
    const auto pe = e / static_cast<std::uintptr_t>(page) * static_cast<std::uintptr_t>(page);
    if (pe > pb) ::madvise(reinterpret_cast<void*>(pb), pe - pb, MADV_DONTNEED);
  };
  return detail::read_fcs_impl(map.bytes(), path.string(), options, &release);
}

}  // namespace escapade::fcs
