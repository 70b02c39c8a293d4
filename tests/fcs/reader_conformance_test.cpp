// Every FCS/LMD file under shared/data is read, and what we read equals what the
// file states (fcs_summary.tsv) and the third-party truth arrays and assertions
// (FlowIO, FlowKit, FlowUtils, fcsparser) listed in shared/data/README.md.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "libescapade/fcs/fcs.hpp"
#include "tests/support/test_support.hpp"

using escapade::ErrorKind;
using escapade::FcsError;
namespace fcs = escapade::fcs;
using escapade::testing::data_path;

namespace {

struct SummaryRow {
  std::string path;
  std::size_t dataset = 0;
  std::string version, tot, par, datatype, byteord, pnb, spill;
};

std::vector<SummaryRow> summary_rows() {
  std::vector<SummaryRow> rows;
  std::ifstream in(data_path("fcs_summary.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    if (f.size() < 9) continue;
    SummaryRow r;
    r.path = f[0];
    r.version = f[2];
    if (r.version.rfind("FCS", 0) != 0 || r.version.find("NOT") != std::string::npos) continue;
    r.dataset = std::stoul(f[1]);
    r.tot = f[3];
    r.par = f[4];
    r.datatype = f[5];
    r.byteord = f[6];
    r.pnb = f[7];
    r.spill = f[8];
    rows.push_back(r);
  }
  return rows;
}

void PrintTo(const SummaryRow& r, std::ostream* os) { *os << r.path << " #" << r.dataset; }

std::string row_name(const ::testing::TestParamInfo<SummaryRow>& info) {
  std::string s = info.param.path + "_" + std::to_string(info.param.dataset);
  for (auto& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

fcs::DataSet read_set(const std::string& rel, std::size_t index, fcs::ReadOptions o = {}) {
  o.data_set = index;
  auto f = fcs::read_fcs_file(data_path(rel), o);
  return std::move(f.data_sets.at(0));
}

bool has_warning(const fcs::DataSet& ds, const std::string& phrase) {
  for (const auto& w : ds.warnings) {
    if (w.message().find(phrase) != std::string::npos) return true;
  }
  return false;
}

// "SPILL(n=14)" → 14 for that keyword; 0 if not listed.
std::size_t declared_spill_size(const std::string& cell, const std::string& keyword) {
  const std::string key = keyword + "(n=";
  auto p = cell.find(key);
  if (p == std::string::npos) return 0;
  return std::stoul(cell.substr(p + key.size()));
}

const char* truncated_file = "fcs/fcsparser/cytek-nl-2000/sample_header.fcs";

}  // namespace

class EveryFcsFile : public ::testing::TestWithParam<SummaryRow> {};

TEST_P(EveryFcsFile, ReadsWhatTheFileStates) {
  const SummaryRow& r = GetParam();
  fcs::ReadOptions o;
  o.decode_events = r.path != truncated_file;
  const fcs::DataSet ds = read_set(r.path, r.dataset, o);
  EXPECT_EQ(ds.version, r.version);
  EXPECT_EQ(ds.declared_events, std::stoul(r.tot));
  EXPECT_EQ(ds.parameters.size(), std::stoul(r.par));
  EXPECT_EQ(std::string(ds.keywords.get("$DATATYPE")), r.datatype);
  EXPECT_EQ(std::string(ds.keywords.get("$BYTEORD")), r.byteord);
  if (o.decode_events) {
    EXPECT_EQ(ds.events.event_count(), std::stoul(r.tot));
    EXPECT_EQ(ds.events.channel_count(), std::stoul(r.par));
  }
  // $PnB as listed ("16", or "16/32" for mixed widths).
  std::set<std::string> widths;
  for (const auto& p : ds.parameters) widths.insert(std::to_string(p.bits));
  std::set<std::string> listed;
  std::stringstream ss(r.pnb);
  std::string w;
  while (std::getline(ss, w, '/')) listed.insert(w);
  EXPECT_EQ(widths, listed);
  // Every $PnN and $PnS is what the TEXT says (names are trimmed; duplicates would be renamed).
  for (const auto& p : ds.parameters) {
    const std::string n = "$P" + std::to_string(p.number);
    if (ds.keywords.contains(n + "N")) {
      EXPECT_EQ(p.name, std::string(ds.keywords.get(n + "N")));
    }
    EXPECT_EQ(p.stain, std::string(ds.keywords.get(n + "S")));
  }
  // Spillover: the matrix equals the keyword's own numbers, for every well-formed keyword.
  for (const std::string kw : {"$SPILLOVER", "SPILL"}) {
    const std::size_t n = declared_spill_size(r.spill, kw);
    if (n == 0) continue;
    const std::string value = *ds.keywords.find(kw);
    std::vector<std::string> items;
    std::stringstream vs(value);
    std::string item;
    while (std::getline(vs, item, ',')) items.push_back(item);
    if (items.size() != 1 + n + n * n) {
      // MACSQuant FCS 3.1: names without coefficients (docs/formats.md §1.7) → no matrix, a warning.
      EXPECT_FALSE(ds.spillover.has_value());
      EXPECT_TRUE(has_warning(ds, "no spillover matrix taken from it"));
      continue;
    }
    ASSERT_TRUE(ds.spillover.has_value());
    ASSERT_EQ(ds.spillover->size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      std::string name = items[1 + i];
      while (!name.empty() && name.front() == ' ') name.erase(name.begin());
      while (!name.empty() && name.back() == ' ') name.pop_back();
      EXPECT_EQ(ds.spillover->detectors()[i], name);
    }
    for (std::size_t i = 0; i < n * n; ++i) EXPECT_EQ(ds.spillover->values()[i], std::stod(items[1 + n + i]));
  }
}

TEST_P(EveryFcsFile, RoundTripsThroughOurWriter) {
  const SummaryRow& r = GetParam();
  if (r.path == truncated_file) GTEST_SKIP() << "no events to round-trip";
  const fcs::DataSet ds = read_set(r.path, r.dataset);
  const auto bytes = fcs::write_fcs(ds);
  auto back = fcs::read_fcs(bytes, "<round trip>");
  ASSERT_EQ(back.data_sets.size(), 1u);
  const fcs::DataSet& rt = back.data_sets[0];
  EXPECT_TRUE(rt.events == ds.events) << "events differ after write → read";
  for (const auto& w : rt.warnings) {
    // Only what the source itself said of its spillover keyword may be said again.
    EXPECT_NE(w.reason.find("names detector"), std::string::npos) << w.message();
  }
  for (std::size_t k = 0; k < ds.parameters.size(); ++k) {
    EXPECT_EQ(rt.parameters[k].name, ds.parameters[k].name);
    EXPECT_EQ(rt.parameters[k].stain, ds.parameters[k].stain);
    if (ds.parameters[k].range > 0) {
      EXPECT_EQ(rt.parameters[k].range, ds.parameters[k].range);
    }
  }
  if (ds.spillover) {
    ASSERT_TRUE(rt.spillover.has_value());
    EXPECT_EQ(*rt.spillover, *ds.spillover);
  }
  // Descriptive keywords survive verbatim (values are never empty in FCS 3.1, so
  // CellQuest's empty values come back as one space).
  for (const char* k : {"$CYT", "$DATE", "$FIL", "$SRC", "$BTIM", "$ETIM", "$CYTSN"}) {
    if (const std::string* v = ds.keywords.find(k); v != nullptr && !v->empty()) {
      ASSERT_NE(rt.keywords.find(k), nullptr) << k;
      EXPECT_EQ(*rt.keywords.find(k), *v) << k;
    }
  }
  // A second round trip is byte-identical.
  EXPECT_EQ(fcs::write_fcs(rt), bytes);
}

INSTANTIATE_TEST_SUITE_P(SharedData, EveryFcsFile, ::testing::ValuesIn(summary_rows()), row_name);

// ---- third-party truth arrays

TEST(FcsTruth, Data1RawEqualsFlowIOOriginalEvents) {
  fcs::ReadOptions raw;
  raw.scale = false;
  const auto ds = read_set("gatingml/data1.fcs", 0, raw);
  const auto truth = escapade::testing::read_npy(data_path("fcs/flowio/truth/data1_original_events.npy"));
  ASSERT_EQ(truth.rows, ds.events.event_count());
  ASSERT_EQ(truth.cols, ds.events.channel_count());
  for (std::size_t k = 0; k < truth.cols; ++k) {
    for (std::size_t i = 0; i < truth.rows; ++i) ASSERT_EQ(ds.events.channel(k)[i], truth.at(i, k)) << k << "," << i;
  }
}

TEST(FcsTruth, Data1ScaleValuesEqualFlowIOPreprocessed) {
  const auto ds = read_set("gatingml/data1.fcs", 0);
  const auto truth = escapade::testing::read_npy(data_path("fcs/flowio/truth/data1_preprocessed.npy"));
  ASSERT_EQ(truth.rows, ds.events.event_count());
  double worst = 0;
  for (std::size_t k = 0; k < truth.cols; ++k) {
    for (std::size_t i = 0; i < truth.rows; ++i) {
      const double t = truth.at(i, k);
      worst = std::max(worst, std::abs(ds.events.channel(k)[i] - t) / std::max(1.0, std::abs(t)));
    }
  }
  EXPECT_LE(worst, 3e-14);
}

TEST(FcsTruth, AccuriTimeIsScaledByTimestep) {
  const auto ds = read_set("fcs/flowio/B01 KC-A-W---91-US.fcs", 0);
  const auto truth = escapade::testing::read_npy(data_path("fcs/flowio/truth/B01 KC-A-W---91-US_preprocessed_events.npy"));
  ASSERT_EQ(truth.rows, 1589u);
  ASSERT_EQ(truth.cols, ds.events.channel_count());
  for (std::size_t k = 0; k < truth.cols; ++k) {
    for (std::size_t i = 0; i < truth.rows; ++i) ASSERT_EQ(ds.events.channel(k)[i], truth.at(i, k)) << k << "," << i;
  }
}

TEST(FcsTruth, CompExampleEqualsFlowKitAndFlowUtilsArrays) {
  const auto ds = read_set("comp/test_comp_example.fcs", 0);
  const auto npy = escapade::testing::read_npy(data_path("comp/test_comp_event_data.npy"));
  const auto dump = escapade::testing::read_raw_f64(data_path("comp/test_comp_example.npy"), 18);
  ASSERT_EQ(npy.rows, 10703u);
  ASSERT_EQ(dump.rows, 10703u);
  for (std::size_t k = 0; k < 18; ++k) {
    for (std::size_t i = 0; i < npy.rows; ++i) {
      // Time is stored in $TIMESTEP units in the truth; our scale value is seconds.
      const double scale = ds.parameters[k].is_time ? 0.01 : 1.0;
      ASSERT_EQ(ds.events.channel(k)[i], npy.at(i, k) * scale) << k << "," << i;
      ASSERT_EQ(npy.at(i, k), dump.at(i, k));
    }
  }
}

// ---- fcsparser's and FlowIO's asserted values (stored values, no scaling)

TEST(FcsTruth, FcsparserAssertedRows) {
  fcs::ReadOptions raw;
  raw.scale = false;
  auto row = [](const fcs::DataSet& ds, std::size_t i) {
    std::vector<double> r;
    for (std::size_t k = 0; k < ds.events.channel_count(); ++k) r.push_back(ds.events.channel(k)[i]);
    return r;
  };
  const auto cytek = read_set("fcs/fcsparser/Cytek_xP5/Cytek_xP5.fcs", 0, raw);  // 24-bit big-endian
  EXPECT_EQ(row(cytek, 0), (std::vector<double>{0, 286, 164, 154, 54, 470, 1023, 770}));
  EXPECT_EQ(row(cytek, 1), (std::vector<double>{0, 171, 128, 153, 199, 91, 211, 12}));
  const auto cube = read_set("fcs/fcsparser/cyflow_cube_8/cyflow_cube_8.fcs", 0, raw);  // 8/16/32 mixed
  EXPECT_EQ(row(cube, 0), (std::vector<double>{8, 7, 15, 15, 5, 8, 7, 6, 23, 0}));
  EXPECT_EQ(row(cube, 1), (std::vector<double>{6, 7, 13, 14, 6, 9, 10, 4, 23, 0}));
  const auto fortessa = read_set("fcs/fcsparser/Fortessa/FCS_3.0_Fortessa_PBS_Specimen_001_A1_A01.fcs", 0, raw);
  EXPECT_NEAR(fortessa.events.channel(0)[0], 1312.85, 0.005);
  EXPECT_EQ(fortessa.events.channel(1)[0], 560);
  EXPECT_NEAR(fortessa.events.channel(2)[0], 153640.97, 0.005);
  // fake_large_fcs.fcs is the Fortessa file with blank HEADER DATA offsets.
  const auto fake_large = read_set("fcs/fcsparser/fake_large_fcs/fake_large_fcs.fcs", 0, raw);
  EXPECT_TRUE(fake_large.events == fortessa.events);
  // Every value is 0x4210; masked to 10 bits ($PnR 1024) it is 528.
  const auto bitmask = read_set("fcs/fcsparser/fake_bitmask_error/fcs1_cleaned.lmd", 0, raw);
  for (std::size_t k = 0; k < bitmask.events.channel_count(); ++k) {
    for (double v : bitmask.events.channel(k)) ASSERT_EQ(v, 528);
  }
}

TEST(FcsTruth, FlowIOAssertedMaskedIntegers) {
  fcs::ReadOptions raw;
  raw.scale = false;
  // coulter.lmd, second data set: 20-bit values in 32-bit words with garbage high bits.
  const auto second = read_set("fcs/flowio/coulter.lmd", 1, raw);
  const std::vector<double> expected{61056, 131840, 46, 324, 10309, 104, 11912, 0, 257280, 378656, 139, 1728};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(second.events.channel(i % 8)[i / 8], expected[i]) << i;
  }
  // variable_int_example.fcs: 25 × 16-bit and one 32-bit parameter masked to 24 bits.
  const auto variable = read_set("fcs/flowio/variable_int_example.fcs", 0, raw);
  EXPECT_EQ(variable.events.channel(25)[0], 8265081);
  EXPECT_EQ(variable.events.channel(25)[1], 15691602);
}

// ---- TEXT quirks and metadata the files are known for

TEST(FcsTruth, StainsAndNamesAsTheFilesWriteThem) {
  const auto diva = read_set("fcs/fcsparser/FACS_Diva/facs_diva_test.fcs", 0, {.decode_events = false});
  std::map<std::string, std::string> stains;
  for (const auto& p : diva.parameters) stains[p.name] = p.stain;
  EXPECT_EQ(stains["FITC-A"], "CD20");
  EXPECT_EQ(stains["PE-A"], "CD10");
  EXPECT_EQ(stains["PerCP-A"], "CD45");
  EXPECT_EQ(stains["PE-Cy7-A"], "CD34");
  EXPECT_EQ(stains["PacificBlue-A"], "Syto 41");
  EXPECT_EQ(stains["APC-A"], "CD19");
  EXPECT_EQ(stains["Alexa700-A"], "CD38");
  EXPECT_EQ(stains["APC-Cy7-A"], "");
  // SPILL orientation: row = source dye, column = detector (docs/formats.md §1.7).
  const auto& s = *diva.spillover;
  auto at = [&](const std::string& row, const std::string& col) {
    std::size_t r = 0, c = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s.detectors()[i] == row) r = i;
      if (s.detectors()[i] == col) c = i;
    }
    return s.at(r, c);
  };
  EXPECT_NEAR(at("FITC-A", "PE-A"), 0.184, 0.0005);
  EXPECT_NEAR(at("PE-A", "FITC-A"), 0.012, 0.0005);
  EXPECT_NEAR(at("APC-A", "Alexa700-A"), 0.775, 0.0005);

  const auto attune = read_set("fcs/flowio/G11.fcs", 0, {.decode_events = false});  // UTF-8 $PnS
  bool found = false;
  for (const auto& p : attune.parameters) found = found || p.stain.find("Alexa Fluor\xE2\x84\xA2 405") != std::string::npos;
  EXPECT_TRUE(found);

  const auto macs = read_set("fcs/fcsparser/MiltenyiBiotec/FCS3.1/EY_2013-07-19_PBS_FCS_3.1_Well_A1.001.fcs", 0);
  EXPECT_EQ(macs.parameters[0].name, "Time");
  EXPECT_EQ(macs.parameters[0].stain, "HDR-T");
  // A keyword that only the 125 KB supplemental TEXT holds.
  EXPECT_EQ(std::string(macs.keywords.get("@MB_SESSIONID")), "7cfcd6dc-0d03-464b-aecd-e2523950a4ce");

  const auto dup = read_set("fcs/fcsparser/MiltenyiBiotec/FCS3.1/SG_2014-09-26_Duplicate_Names.fcs", 0);
  bool gfp = false;
  for (const auto& p : dup.parameters) gfp = gfp || p.stain == "GFP/FITC-A" || p.name == "GFP/FITC-A";
  EXPECT_TRUE(gfp) << "escaped delimiter '//' decodes to '/'";
  EXPECT_EQ(std::string(dup.keywords.get("$P8F")), "525//50 nm");

  const auto sorted = read_set("fcs/flowkit/index_sorted_example.fcs", 0);
  bool composite = false;
  for (const auto& p : sorted.parameters) composite = composite || p.stain == "CD19;APC-H7;780/60@640/A";
  EXPECT_TRUE(composite);
  EXPECT_TRUE(sorted.keywords.contains("INDEX SORTING LOCATIONS_1"));

  const auto data1 = read_set("gatingml/data1.fcs", 0, {.decode_events = false});
  EXPECT_TRUE(data1.keywords.contains("TIMETICKS"));
  EXPECT_TRUE(data1.keywords.contains("&13Analysis Doc."));
  EXPECT_EQ(data1.parameters[0].gain, 3.67);
  EXPECT_EQ(data1.parameters[2].log_decades, 4);
}

// ---- the defective files give their documented outcome

TEST(FcsDefects, CorruptedFileIsAClearError) {
  try {
    (void)fcs::read_fcs_file(data_path("fcs/fcsparser/corrupted/corrupted.fcs"));
    FAIL();
  } catch (const FcsError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::format);
    EXPECT_NE(e.where().find("byte 0"), std::string::npos);
    EXPECT_NE(e.reason().find("not an FCS file"), std::string::npos);
    EXPECT_NE(e.source().find("corrupted.fcs"), std::string::npos);
  }
}

TEST(FcsDefects, TruncatedCytekFileKeepsItsTextAndRefusesMissingData) {
  try {
    (void)fcs::read_fcs_file(data_path(truncated_file));
    FAIL();
  } catch (const FcsError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::truncated);
    EXPECT_EQ(e.where(), "DATA byte 5912");
    EXPECT_NE(e.reason().find("0 of 20000 events"), std::string::npos);
  }
  const auto ds = read_set(truncated_file, 0, {.decode_events = false});
  EXPECT_EQ(ds.keywords.size(), 199u);  // fcsparser: 199 TEXT keywords
  EXPECT_EQ(std::string(ds.keywords.get("$P9B")), "32");
  EXPECT_TRUE(has_warning(ds, "does not end with its delimiter"));
  EXPECT_TRUE(has_warning(ds, "file is truncated"));
}

TEST(FcsDefects, OffsetDiscrepanciesAreReadLikeFlowIOWithAWarning) {
  fcs::ReadOptions raw;
  raw.scale = false;
  const auto good = read_set("fcs/flowio/variable_int_example.fcs", 0, raw);
  for (const char* f : {"fcs/flowio/data_start_offset_discrepancy_example.fcs", "fcs/flowio/data_stop_offset_discrepancy_example.fcs"}) {
    const auto ds = read_set(f, 0, raw);
    EXPECT_TRUE(ds.events == good.events) << f;
    EXPECT_TRUE(has_warning(ds, "DATA offsets disagree")) << f;
  }
}

TEST(FcsDefects, MultiDataSetLmdHasTwoDataSets) {
  const auto f = fcs::read_fcs_file(data_path("fcs/flowio/coulter.lmd"));
  ASSERT_EQ(f.data_set_count, 2u);
  EXPECT_EQ(f.data_sets[0].version, "FCS2.0");
  EXPECT_EQ(f.data_sets[1].version, "FCS3.0");
  EXPECT_EQ(f.data_sets[1].offset, 363602u);
  EXPECT_EQ(f.data_sets[0].events.event_count(), 18110u);
  EXPECT_EQ(f.data_sets[1].events.event_count(), 18110u);
}

TEST(FcsDefects, CellQuestEmptyValuesDoNotMisalignTheText) {
  const auto ds = read_set("gatingml/data1.fcs", 0, {.decode_events = false});
  EXPECT_TRUE(has_warning(ds, "doubled delimiters read as empty values"));
  // Keys after the first empty value keep their own values instead of shifting by one.
  for (const auto& k : ds.keywords.all()) {
    EXPECT_EQ(k.name.find('\\'), std::string::npos) << "a key swallowed a delimiter: " << k.name;
  }
}
