// FCS 3.1 writer (FCS 3.1 §3): HEADER, one TEXT, DATA as float32 or float64
// little-endian list mode, then a zero CRC. Offsets past byte 99,999,999 are 0 in
// the HEADER and live only in $BEGINDATA/$ENDDATA (FCS 3.1 §3.1).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "libescapade/base/file_io.hpp"
#include "libescapade/base/parallel.hpp"
#include "libescapade/fcs/detail/text.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::fcs {
namespace {

constexpr char delim = '/';
constexpr std::size_t text_begin = 256;  // leaves room for OTHER offsets, as instruments do

// "$P12N" → (12, "N"); anything else → (0, "").
std::pair<std::size_t, std::string> parameter_keyword(std::string_view name) {
  if (name.size() < 4 || name[0] != '$' || (name[1] != 'P' && name[1] != 'p')) return {0, ""};
  std::size_t i = 2, n = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') {
    n = n * 10 + static_cast<std::size_t>(name[i] - '0');
    if (n > 1000000) return {0, ""};
    ++i;
  }
  if (i == 2 || i == name.size()) return {0, ""};
  return {n, detail::upper(name.substr(i))};
}

bool structural(std::string_view name) {
  static constexpr std::string_view fixed[] = {
      "$BEGINANALYSIS", "$ENDANALYSIS", "$BEGINDATA", "$ENDDATA", "$BEGINSTEXT", "$ENDSTEXT", "$BYTEORD",
      "$DATATYPE",      "$MODE",        "$NEXTDATA",  "$PAR",     "$TOT",        "$SPILLOVER", "SPILL",
      "$SPILL",         "$COMP",        "$TIMESTEP",  "$UNICODE", "SPILLOVER"};
  for (auto f : fixed) {
    if (detail::iequals(name, f)) return true;
  }
  return false;
}

void append_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    out.push_back(c);
    if (c == delim) out.push_back(delim);  // FCS 3.1 §3.2.9
  }
}

std::string header_field(std::uint64_t v, bool fits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%8llu", static_cast<unsigned long long>(fits ? v : 0));
  return buf;
}

}  // namespace

std::vector<std::byte> write_fcs(const DataSet& ds, const WriteOptions& options) {
  const EventMatrix& m = ds.events;
  const std::size_t n_par = m.channel_count();
  const std::size_t n_ev = m.event_count();
  if (n_par == 0) throw FcsError(ErrorKind::invalid_argument, "<memory>", "write", "no channels to write");

  // Precision: float32 only when it loses nothing (so read → write → read is exact).
  bool use_f64 = options.precision == WriteOptions::Precision::float64;
  if (options.precision == WriteOptions::Precision::automatic) {
    for (std::size_t k = 0; k < n_par && !use_f64; ++k) {
      for (double v : m.channel(k)) {
        if (static_cast<double>(static_cast<float>(v)) != v && !std::isnan(v)) {
          use_f64 = true;
          break;
        }
      }
    }
  }
  const std::size_t width = use_f64 ? 8 : 4;

  // Which source parameter each column describes.
  std::vector<const Parameter*> source(n_par, nullptr);
  for (std::size_t k = 0; k < n_par; ++k) {
    if (auto i = ds.find_parameter(m.label(k).name)) source[k] = &ds.parameters[*i];
  }

  Keywords kw;
  std::vector<std::pair<std::string, std::string>> body;  // in order, before the offsets
  body.push_back({"$BYTEORD", "1,2,3,4"});
  body.push_back({"$DATATYPE", use_f64 ? "D" : "F"});
  body.push_back({"$MODE", "L"});
  body.push_back({"$NEXTDATA", "0"});
  body.push_back({"$PAR", std::to_string(n_par)});
  body.push_back({"$TOT", std::to_string(n_ev)});
  bool has_time = false;
  std::set<std::string> written;
  for (std::size_t k = 0; k < n_par; ++k) {
    const std::string p = "$P" + std::to_string(k + 1);
    const Parameter* src = source[k];
    double range = 0;
    if (src != nullptr && src->range > 0) {
      range = src->range;
    } else {
      double mx = 0;
      for (double v : m.channel(k)) {
        if (std::isfinite(v)) mx = std::max(mx, v);
      }
      range = std::max(1.0, std::ceil(mx));
    }
    body.push_back({p + "N", m.label(k).name});
    if (!m.label(k).stain.empty()) body.push_back({p + "S", m.label(k).stain});
    body.push_back({p + "B", std::to_string(width * 8)});
    body.push_back({p + "E", "0,0"});
    body.push_back({p + "R", detail::format_double(range)});
    if (src != nullptr) {
      if (src->voltage) body.push_back({p + "V", detail::format_double(*src->voltage)});
      if (!src->display.empty()) body.push_back({p + "D", src->display});
      if (!src->type.empty()) body.push_back({p + "TYPE", src->type});
      if (src->is_time) has_time = true;
      // Other per-parameter keywords ($PnF filter, $PnL laser, $PnO power, …), renumbered.
      for (const auto& kwd : ds.keywords.all()) {
        auto [n, suffix] = parameter_keyword(kwd.name);
        if (n != src->number) continue;
        if (suffix == "N" || suffix == "S" || suffix == "B" || suffix == "E" || suffix == "R" || suffix == "V" ||
            suffix == "D" || suffix == "TYPE" || suffix == "G" || suffix == "DATATYPE") {
          continue;  // rewritten above, or describes stored values we no longer store
        }
        body.push_back({p + suffix, kwd.value});
      }
    } else if (detail::iequals(m.label(k).name, "time")) {
      has_time = true;
    }
  }
  // Values are scale values: time is in seconds already.
  if (has_time) body.push_back({"$TIMESTEP", "1"});
  if (ds.spillover && ds.spillover->size() > 0) {
    body.push_back({"$SPILLOVER", format_spillover(*ds.spillover)});  // FCS 3.1 §3.2.20
  }
  for (const auto& k : body) written.insert(detail::upper(k.first));
  if (options.keep_source_keywords) {
    for (const auto& kwd : ds.keywords.all()) {
      if (structural(kwd.name) || parameter_keyword(kwd.name).first != 0) continue;
      if (written.count(detail::upper(kwd.name)) != 0) continue;
      body.push_back({kwd.name, kwd.value});
      written.insert(detail::upper(kwd.name));
    }
  }
  for (const auto& e : options.extra_keywords) {
    if (e.name.empty() || e.name[0] == '$') {
      throw FcsError(ErrorKind::invalid_argument, "<memory>", "keyword " + e.name,
                     "extra keywords must be non-empty and not start with '$' (reserved, FCS 3.1 §3.2.12)");
    }
    bool replaced = false;
    for (auto& b : body) {
      if (detail::iequals(b.first, e.name)) {
        b.second = e.value;
        replaced = true;
      }
    }
    if (!replaced) body.push_back({e.name, e.value});
  }

  // TEXT depends on DATA's offsets and they on TEXT's length: iterate to a fixed point.
  const std::uint64_t data_len = static_cast<std::uint64_t>(n_ev) * n_par * width;
  std::string text;
  std::uint64_t data_begin = 0, data_end = 0;
  // Start from a lower bound; each pass can only move DATA later, by a few digits.
  for (std::uint64_t guess = text_begin + 64;;) {
    data_begin = guess;
    data_end = data_len == 0 ? data_begin : data_begin + data_len - 1;
    text.assign(1, delim);
    auto put = [&](std::string_view k, std::string_view v) {
      append_escaped(text, k);
      text.push_back(delim);
      append_escaped(text, v.empty() ? std::string_view(" ") : v);  // values are never empty (§3.2.9)
      text.push_back(delim);
    };
    put("$BEGINANALYSIS", "0");
    put("$ENDANALYSIS", "0");
    put("$BEGINSTEXT", "0");
    put("$ENDSTEXT", "0");
    put("$BEGINDATA", std::to_string(data_begin));
    put("$ENDDATA", std::to_string(data_end));
    for (const auto& b : body) put(b.first, b.second);
    const std::uint64_t needed = text_begin + text.size();
    if (needed <= data_begin) break;  // the gap, if any, stays spaces (FCS 3.1 §2.2.11)
    guess = needed;
  }
  const std::uint64_t text_end = text_begin + text.size() - 1;
  const std::uint64_t total = data_begin + data_len + 8;

  std::vector<std::byte> out(total, std::byte{' '});
  std::string header = "FCS3.1    ";
  const bool text_fits = text_end <= 99999999;
  const bool data_fits = data_end <= 99999999;
  header += header_field(text_begin, text_fits) + header_field(text_end, text_fits);
  header += header_field(data_begin, data_fits) + header_field(data_end, data_fits);
  header += header_field(0, true) + header_field(0, true);
  std::memcpy(out.data(), header.data(), header.size());
  std::memcpy(out.data() + text_begin, text.data(), text.size());

  // DATA: transpose columns into little-endian rows, in parallel event blocks.
  std::byte* data = out.data() + data_begin;
  constexpr std::size_t block = 16384;
  parallel_for(block_count(n_ev, block), 0, [&](std::size_t b) {
    const std::size_t first = b * block, last = std::min(n_ev, first + block);
    for (std::size_t k = 0; k < n_par; ++k) {
      const double* col = m.channel(k).data();
      for (std::size_t i = first; i < last; ++i) {
        std::byte* dst = data + (i * n_par + k) * width;
        if (use_f64) {
          std::memcpy(dst, &col[i], 8);
        } else {
          const float f = static_cast<float>(col[i]);
          std::memcpy(dst, &f, 4);
        }
      }
    }
  });
  std::memcpy(out.data() + data_begin + data_len, "00000000", 8);  // CRC not computed (FCS 3.1 §3.5)
  return out;
}

void write_fcs_file(const std::filesystem::path& path, const DataSet& ds, const WriteOptions& options,
                    bool overwrite) {
  const std::string name = path.string();
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(path, ec)) {
    throw FcsError(ErrorKind::io, name, "", "file exists; not overwritten");
  }
  const auto bytes = write_fcs(ds, options);
  write_file<FcsError>(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), overwrite);
}

DataSet select(const DataSet& ds, std::span<const std::size_t> events, std::span<const std::string> channels) {
  DataSet out;
  out.index = 0;
  out.version = ds.version;
  out.keywords = ds.keywords;
  out.analysis = ds.analysis;
  out.spillover = ds.spillover;
  out.spillover_keyword = ds.spillover_keyword;
  out.warnings = ds.warnings;
  std::vector<std::size_t> cols;
  if (channels.empty()) {
    out.parameters = ds.parameters;
  } else {
    for (const auto& c : channels) {
      const std::size_t k = ds.events.index_of(c);
      cols.push_back(k);
      if (auto p = ds.find_parameter(c)) out.parameters.push_back(ds.parameters[*p]);
    }
  }
  out.events = ds.events.subset(events, cols);
  out.declared_events = out.events.event_count();
  out.event_count = out.events.event_count();
  if (out.spillover) {
    for (const auto& d : out.spillover->detectors()) {
      if (!out.events.find(d)) {
        out.warnings.push_back({"", "keyword " + out.spillover_keyword,
                                "spillover matrix dropped: detector '" + d + "' is not among the selected channels"});
        out.spillover.reset();
        break;
      }
    }
  }
  return out;
}

}  // namespace escapade::fcs
