// Unit tests of the FCS reader on files built in memory: every data type, width
// and byte order; masks; scaling; TEXT syntax; and bad input (FCS 3.1 §3).
#include <gtest/gtest.h>

#include <set>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/gate.hpp"
#include "tests/fcs/fcs_builder.hpp"

using escapade::ErrorKind;
using escapade::FcsError;
using escapade::fcs::read_fcs;
using escapade::fcs::ReadOptions;
using escapade::testing::FcsBuilder;

namespace {

void put_uint(std::vector<unsigned char>& d, std::uint64_t v, int bytes, bool big) {
  for (int i = 0; i < bytes; ++i) {
    const int shift = big ? 8 * (bytes - 1 - i) : 8 * i;
    d.push_back(static_cast<unsigned char>((v >> shift) & 0xFF));
  }
}

FcsBuilder two_channel(const std::string& datatype, int bits, bool big) {
  FcsBuilder b;
  b.kw("$BYTEORD", big ? "4,3,2,1" : "1,2,3,4").kw("$DATATYPE", datatype).kw("$MODE", "L").kw("$NEXTDATA", "0");
  b.kw("$PAR", "2").kw("$TOT", "3");
  for (int p = 1; p <= 2; ++p) {
    const std::string n = std::to_string(p);
    b.kw("$P" + n + "N", "C" + n).kw("$P" + n + "B", std::to_string(bits)).kw("$P" + n + "E", "0,0");
  }
  return b;
}

escapade::fcs::DataSet read_one(const FcsBuilder& b, ReadOptions o = {}) {
  auto bytes = b.build();
  auto f = read_fcs(bytes, "<memory>", o);
  EXPECT_EQ(f.data_sets.size(), 1u);
  return std::move(f.data_sets.front());
}

template <typename F>
void expect_error(F&& f, ErrorKind kind, const std::string& phrase) {
  try {
    f();
    ADD_FAILURE() << "expected an FcsError containing '" << phrase << "'";
  } catch (const FcsError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
  }
}

// Channels as users name them: a $PnN, else the one parameter carrying that $PnS; a stain
// on two channels, or a name the file lacks, is an error naming the file and listing what
// it has.
TEST(DataSetChannels, ResolveByNameThenByUniqueStain) {
  escapade::fcs::DataSet ds;
  for (const auto& [name, stain] : std::vector<std::pair<std::string, std::string>>{
           {"FSC-A", ""}, {"FL1-A", "CD19 PE"}, {"FL2-A", "CD34"}, {"FL3-A", "CD34"}}) {
    escapade::fcs::Parameter p;
    p.name = name;
    p.stain = stain;
    ds.parameters.push_back(p);
  }
  EXPECT_EQ(ds.resolve_channels({"FSC-A", "CD19 PE"}, "t.fcs"), (std::vector<std::string>{"FSC-A", "FL1-A"}));
  try {
    (void)ds.resolve_channels({"CD34"}, "t.fcs", "--channels");
    ADD_FAILURE() << "no error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::reference);
    EXPECT_EQ(e.where(), "--channels 'CD34'");
    EXPECT_NE(e.reason().find("stain names 2 channels"), std::string::npos) << e.what();
  }
  try {
    (void)ds.resolve_channels({"CD45"}, "t.fcs");
    ADD_FAILURE() << "no error";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.source(), "t.fcs");
    EXPECT_NE(e.reason().find("FL1-A (CD19 PE)"), std::string::npos) << e.what();
  }
}

}  // namespace

struct IntCase {
  int bits;
  bool big;
};
class IntegerWidths : public ::testing::TestWithParam<IntCase> {};

TEST_P(IntegerWidths, DecodeEveryWidthAndByteOrder) {
  const auto [bits, big] = GetParam();
  FcsBuilder b = two_channel("I", bits, big);
  const std::uint64_t top = bits == 64 ? (std::uint64_t{1} << 52) - 1 : (std::uint64_t{1} << bits) - 1;
  b.kw("$P1R", bits == 64 ? "4503599627370496" : std::to_string(top + 1)).kw("$P2R", "16");
  std::vector<std::uint64_t> first{0, 1, top};
  std::vector<std::uint64_t> second{15, 16 + 3, 255};  // masked to 4 bits by $P2R=16
  for (int i = 0; i < 3; ++i) {
    put_uint(b.data, first[static_cast<std::size_t>(i)], bits / 8, big);
    put_uint(b.data, second[static_cast<std::size_t>(i)], bits / 8, big);
  }
  auto ds = read_one(b);
  ASSERT_EQ(ds.events.event_count(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ds.events.channel(0)[i], static_cast<double>(first[i]));
    EXPECT_EQ(ds.events.channel(1)[i], static_cast<double>(second[i] & 15u));
  }
}

INSTANTIATE_TEST_SUITE_P(Fcs, IntegerWidths,
                         ::testing::Values(IntCase{8, false}, IntCase{16, false}, IntCase{16, true}, IntCase{24, false},
                                           IntCase{24, true}, IntCase{32, false}, IntCase{32, true},
                                           IntCase{64, false}, IntCase{64, true}));

TEST(FcsReader, FloatAndDoubleInBothByteOrders) {
  for (bool big : {false, true}) {
    for (const std::string dt : {"F", "D"}) {
      const int bits = dt == "F" ? 32 : 64;
      FcsBuilder b = two_channel(dt, bits, big);
      const double values[6] = {-1.5, 0.0, 262143.0, 1e-30, 3.25, -262144.0};
      for (double v : values) {
        if (dt == "F") put_uint(b.data, std::bit_cast<std::uint32_t>(static_cast<float>(v)), 4, big);
        else put_uint(b.data, std::bit_cast<std::uint64_t>(v), 8, big);
      }
      auto ds = read_one(b);
      for (std::size_t i = 0; i < 3; ++i) {
        const double a = values[2 * i], c = values[2 * i + 1];
        EXPECT_EQ(ds.events.channel(0)[i], dt == "F" ? static_cast<double>(static_cast<float>(a)) : a);
        EXPECT_EQ(ds.events.channel(1)[i], dt == "F" ? static_cast<double>(static_cast<float>(c)) : c);
      }
    }
  }
}

TEST(FcsReader, MixedWidthsAndPermutedByteOrder) {
  FcsBuilder b;
  b.kw("$BYTEORD", "3,4,1,2").kw("$DATATYPE", "I").kw("$PAR", "1").kw("$TOT", "1").kw("$P1B", "32").kw("$P1R", "4294967296");
  // Value 0x11223344: byte positions (1-based) hold significance per $BYTEORD 3,4,1,2:
  // least significant byte at position 3, then 4, 1, 2.
  b.data = {0x22, 0x11, 0x44, 0x33};
  auto ds = read_one(b);
  EXPECT_EQ(ds.events.channel(0)[0], static_cast<double>(0x11223344u));
}

TEST(FcsReader, ScaleValuesFollowPnEPnGAndTimestep) {
  FcsBuilder b;
  b.version = "FCS3.0";
  b.kw("$BYTEORD", "1,2").kw("$DATATYPE", "I").kw("$PAR", "4").kw("$TOT", "1").kw("$TIMESTEP", "0.01");
  b.kw("$P1N", "FL1-H").kw("$P1B", "16").kw("$P1R", "1024").kw("$P1E", "4,0");   // log, f2 = 0 read as 1
  b.kw("$P2N", "FSC-H").kw("$P2B", "16").kw("$P2R", "1024").kw("$P2G", "3.67");  // gain divides
  b.kw("$P3N", "Time").kw("$P3B", "16").kw("$P3R", "1024").kw("$P3G", "0.01");   // time: × $TIMESTEP, gain ignored
  b.kw("$P4N", "FL2-H").kw("$P4B", "16").kw("$P4R", "1024").kw("$P4E", " 4.0,0.1024");
  for (std::uint64_t v : {512u, 367u, 200u, 256u}) put_uint(b.data, v, 2, false);
  auto ds = read_one(b);
  EXPECT_EQ(ds.events.channel(0)[0], std::pow(10.0, 4.0 * 512 / 1024));
  EXPECT_EQ(ds.events.channel(1)[0], 367 / 3.67);
  EXPECT_EQ(ds.events.channel(2)[0], 200 * 0.01);
  EXPECT_EQ(ds.events.channel(3)[0], std::pow(10.0, 4.0 * 256 / 1024) * 0.1024);
  EXPECT_EQ(ds.parameters[0].scaling, "log 4 decades");
  ReadOptions raw;
  raw.scale = false;
  auto r = read_one(b, raw);
  EXPECT_EQ(r.events.channel(0)[0], 512.0);
  EXPECT_EQ(r.events.channel(2)[0], 200.0);
}

TEST(FcsReader, KeywordsAreCaseInsensitiveAndEscapesUndone) {
  FcsBuilder b = two_channel("F", 32, false);
  b.kw("$p1s", "CD19/PE").kw("Custom", "a//b");  // the builder doubles '/' → values read back as written
  b.data.assign(24, 0);
  auto ds = read_one(b);
  EXPECT_EQ(ds.parameters[0].stain, "CD19/PE");
  EXPECT_EQ(*ds.keywords.find("CUSTOM"), "a//b");
  EXPECT_EQ(*ds.keywords.find("$tot"), "3");
}

TEST(FcsReader, EmptyValuesWrittenAsDoubledDelimiterAreRecovered) {
  // CellQuest writes empty values as a doubled delimiter (docs/formats.md §1.2).
  std::string text = "/$BYTEORD/1,2/$DATATYPE/I/$PAR/1/$TOT/1/$P1B/16/$P1R/1024/$P1N/FL1/Prefix//Next/x/Last//";
  FcsBuilder b;
  b.put_data_offsets_in_text = false;
  b.version = "FCS2.0";
  b.data = {1, 0};
  auto bytes = b.build();
  // Replace the builder's TEXT with ours: rebuild the header by hand.
  std::vector<std::byte> file(600, std::byte{' '});
  char header[64];
  std::snprintf(header, sizeof header, "FCS2.0    %8d%8zu%8d%8d%8d%8d", 58, 58 + text.size() - 1, 512, 513, 0, 0);
  std::memcpy(file.data(), header, 58);
  std::memcpy(file.data() + 58, text.data(), text.size());
  file[512] = std::byte{1};
  file[513] = std::byte{0};
  file.resize(514);
  auto f = read_fcs(file, "<memory>");
  const auto& ds = f.data_sets.front();
  EXPECT_EQ(*ds.keywords.find("Prefix"), "");
  EXPECT_EQ(*ds.keywords.find("Next"), "x");
  EXPECT_EQ(*ds.keywords.find("Last"), "");
  EXPECT_EQ(ds.events.channel(0)[0], 1.0);
}

TEST(FcsReader, ResultsDoNotDependOnThreadCount) {
  FcsBuilder b = two_channel("F", 32, true);
  b.keywords[5].second = "100000";  // $TOT
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(1000, 300);
  for (int i = 0; i < 200000; ++i) put_uint(b.data, std::bit_cast<std::uint32_t>(dist(rng)), 4, true);
  auto bytes = b.build();
  ReadOptions one, many;
  one.num_threads = 1;
  many.num_threads = 4;
  auto a = read_fcs(bytes, "<memory>", one);
  auto c = read_fcs(bytes, "<memory>", many);
  EXPECT_TRUE(a.data_sets[0].events == c.data_sets[0].events);
}

TEST(FcsReader, OffsetDisagreementIsResolvedByTotAndWarned) {
  FcsBuilder b = two_channel("I", 16, false);
  b.kw("$P1R", "1024").kw("$P2R", "1024");
  for (int i = 0; i < 6; ++i) put_uint(b.data, static_cast<std::uint64_t>(i), 2, false);
  b.header_data_begin = 900;  // HEADER lies; TEXT is right
  auto ds = read_one(b);
  EXPECT_EQ(ds.events.channel(1)[2], 5.0);
  ASSERT_FALSE(ds.warnings.empty());
  EXPECT_NE(ds.warnings[0].reason.find("DATA offsets disagree"), std::string::npos);
}

// Issue 11, case 6: a HEADER DATA range that overlaps TEXT is never preferred over a valid
// $BEGINDATA/$ENDDATA (TEXT bytes were decoded as events), and with no other range it is an
// error naming the place.
TEST(FcsReader, DataRangeOverlappingTextIsNeverUsed) {
  FcsBuilder b = two_channel("I", 16, false);
  b.kw("$P1R", "1024").kw("$P2R", "1024");
  for (int i = 0; i < 6; ++i) put_uint(b.data, static_cast<std::uint64_t>(i), 2, false);
  b.header_data_begin = 60;  // inside TEXT (which starts at 58); same length as the real DATA
  b.header_data_end = 60 + 11;
  auto ds = read_one(b);
  EXPECT_EQ(ds.events.channel(0)[0], 0.0);
  EXPECT_EQ(ds.events.channel(1)[2], 5.0);
  ASSERT_FALSE(ds.warnings.empty());
  EXPECT_NE(ds.warnings[0].reason.find("used $BEGINDATA/$ENDDATA"), std::string::npos) << ds.warnings[0].reason;
}

TEST(FcsReader, BadInputGivesErrorsWithPlaceAndReason) {
  std::vector<std::byte> junk(10, std::byte{'x'});
  expect_error([&] { (void)read_fcs(junk, "j.fcs"); }, ErrorKind::format, "j.fcs: HEADER byte 0: not an FCS file");
  std::vector<std::byte> empty;
  expect_error([&] { (void)read_fcs(empty, "e.fcs"); }, ErrorKind::format, "the file is empty");
  std::vector<std::byte> short_header(20, std::byte{' '});
  std::memcpy(short_header.data(), "FCS3.1", 6);
  expect_error([&] { (void)read_fcs(short_header, "s.fcs"); }, ErrorKind::truncated, "an FCS HEADER needs 58");

  FcsBuilder missing_par = two_channel("F", 32, false);
  missing_par.keywords.erase(missing_par.keywords.begin() + 4);  // $PAR
  missing_par.data.assign(24, 0);
  expect_error([&] { (void)read_one(missing_par); }, ErrorKind::format, "required keyword $PAR is missing");

  FcsBuilder huge_tot = two_channel("F", 32, false);
  huge_tot.keywords[5].second = "3000000000000000000";
  huge_tot.data.assign(24, 0);
  expect_error([&] { (void)read_one(huge_tot); }, ErrorKind::format, "overflow");

  FcsBuilder truncated = two_channel("F", 32, false);
  truncated.data.assign(20, 0);  // 3 events need 24 bytes
  truncated.text_data_end = 1023;
  truncated.header_data_end = 1023;
  expect_error([&] { (void)read_one(truncated); }, ErrorKind::truncated, "file is truncated");
  ReadOptions lenient;
  lenient.allow_truncated = true;
  auto ds = read_one(truncated, lenient);
  EXPECT_EQ(ds.events.event_count(), 2u);

  FcsBuilder histogram = two_channel("F", 32, false);
  histogram.keywords[2].second = "C";
  histogram.data.assign(24, 0);
  expect_error([&] { (void)read_one(histogram); }, ErrorKind::unsupported, "$MODE C");

  FcsBuilder odd_bits = two_channel("I", 10, false);
  odd_bits.data.assign(24, 0);
  expect_error([&] { (void)read_one(odd_bits); }, ErrorKind::unsupported, "not a multiple of 8");

  FcsBuilder ascii = two_channel("A", 8, false);
  ascii.data.assign(6, 0);
  expect_error([&] { (void)read_one(ascii); }, ErrorKind::unsupported, "ASCII data");
}

TEST(FcsReader, NextDataChainAndSelection) {
  FcsBuilder first = two_channel("I", 16, false);
  first.kw("$P1R", "1024").kw("$P2R", "1024");
  for (int i = 0; i < 6; ++i) put_uint(first.data, 7, 2, false);
  auto a = first.build();
  FcsBuilder second = two_channel("I", 16, false);
  second.kw("$P1R", "1024").kw("$P2R", "1024");
  for (int i = 0; i < 6; ++i) put_uint(second.data, 9, 2, false);
  auto b2 = second.build();
  // Point the first data set's $NEXTDATA at the second (DATA starts at a fixed
  // offset in the builder, so the file size does not change with the digits).
  first.keywords[3].second = std::to_string(a.size());
  const auto size_before = a.size();
  a = first.build();
  ASSERT_EQ(a.size(), size_before);
  std::vector<std::byte> both = a;
  both.insert(both.end(), b2.begin(), b2.end());
  auto f = read_fcs(both, "<memory>");
  ASSERT_EQ(f.data_set_count, 2u);
  EXPECT_EQ(f.data_sets[1].offset, a.size());
  EXPECT_EQ(f.data_sets[0].events.channel(0)[0], 7.0);
  EXPECT_EQ(f.data_sets[1].events.channel(0)[0], 9.0);
  ReadOptions pick;
  pick.data_set = 1;
  auto g = read_fcs(both, "<memory>", pick);
  ASSERT_EQ(g.data_sets.size(), 1u);
  EXPECT_EQ(g.data_sets[0].index, 1u);
  pick.data_set = 5;
  expect_error([&] { (void)read_fcs(both, "<memory>", pick); }, ErrorKind::invalid_argument, "the file holds 2");
}

// Issue 11, case 4: a spillover keyword that cannot be used (a NaN here) is recorded, and a
// gate asking for the file's compensation (FCS) is then an error naming the file and the
// keyword, instead of gating uncompensated values.
TEST(FcsReader, UnusableSpilloverMakesFileCompensationAnError) {
  FcsBuilder b = two_channel("F", 32, false);
  b.kw("$SPILLOVER", "2,C1,C2,1,nan,0.1,1");
  for (int i = 0; i < 6; ++i) {
    const float f = static_cast<float>(i);
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    put_uint(b.data, u, 4, false);
  }
  auto bytes = b.build();
  auto file = read_fcs(bytes, "bad_spill.fcs");
  const auto& ds = file.data_sets.front();
  EXPECT_FALSE(ds.spillover.has_value());
  ASSERT_TRUE(ds.spillover_problem.has_value());
  EXPECT_EQ(ds.spillover_problem->source, "bad_spill.fcs");

  namespace gate = escapade::gate;
  gate::GatingPlan plan("plan.xml");
  gate::Dimension d = gate::Dimension::of("C1");
  d.compensation = std::string(gate::file_compensation);
  plan.add_gate({"g", "", "g", gate::RectangleGate{{gate::Interval{d, 0, 10}}}});
  gate::ApplyOptions o;
  o.file_spillover_problem = &*ds.spillover_problem;
  try {
    (void)gate::apply(plan, ds.events, o);
    ADD_FAILURE() << "gated with an unusable spillover";
  } catch (const escapade::InputError& e) {
    EXPECT_EQ(e.source(), "bad_spill.fcs");
    EXPECT_NE(e.where().find("$SPILLOVER"), std::string::npos) << e.what();
    EXPECT_EQ(e.kind(), escapade::ErrorKind::format);
  }
  // Uncompensated gates still work on the same file.
  gate::GatingPlan plain("plan.xml");
  plain.add_gate({"g", "", "g", gate::RectangleGate{{gate::Interval{gate::Dimension::of("C1"), 0, 10}}}});
  EXPECT_EQ(gate::apply(plain, ds.events, o).count("g"), 3U);
}

// Issue 11, case 13: a TEXT repeating one keyword with 100,000 different values once gave
// 100,000 warnings. Each repeated keyword now gives one warning that counts the rest, with
// its values quoted short.
TEST(Reader, RepeatedKeywordsGiveOneWarningEach) {
  FcsBuilder b = two_channel("F", 32, false);
  for (int i = 0; i < 100000; ++i) b.kw("$FIL", "name" + std::to_string(i));
  b.kw("LONG", std::string(5000, 'v')).kw("LONG", std::string(5000, 'w'));
  for (int i = 0; i < 6; ++i) put_uint(b.data, 0, 4, false);
  const auto ds = read_one(b);
  std::size_t fil = 0, lng = 0;
  for (const auto& w : ds.warnings) {
    const std::string m = w.message();
    EXPECT_LT(m.size(), 400U) << m.substr(0, 200);
    if (m.find("keyword $FIL appears more than once") != std::string::npos) {
      ++fil;
      EXPECT_NE(m.find("'name0' and 'name1', and 99998 more times"), std::string::npos) << m;
    }
    lng += m.find("keyword LONG appears more than once") != std::string::npos;
  }
  EXPECT_EQ(fil, 1U);
  EXPECT_EQ(lng, 1U);
  EXPECT_LT(ds.warnings.size(), 10U);
}

// Issue 11, case 16: renaming a repeated $PnN could make a new repeat (a file already holding
// `FSC-A_3`), and the command then failed without naming the file. Every name stays unique.
TEST(Reader, RenamedRepeatsNeverMakeANewRepeat) {
  FcsBuilder b;
  b.kw("$BYTEORD", "1,2,3,4").kw("$DATATYPE", "F").kw("$MODE", "L").kw("$NEXTDATA", "0").kw("$PAR", "4").kw("$TOT", "1");
  const char* names[] = {"FSC-A", "FSC-A_3", "FSC-A", "FSC-A_3"};
  for (int p = 1; p <= 4; ++p) b.kw("$P" + std::to_string(p) + "N", names[p - 1]).kw("$P" + std::to_string(p) + "B", "32").kw("$P" + std::to_string(p) + "E", "0,0");
  for (int p = 0; p < 4; ++p) put_uint(b.data, 0, 4, false);
  const auto ds = read_one(b);
  std::set<std::string> seen;
  for (const auto& p : ds.parameters) EXPECT_TRUE(seen.insert(p.name).second) << p.name;
  EXPECT_EQ(ds.parameters[0].name, "FSC-A");
  EXPECT_EQ(ds.parameters[1].name, "FSC-A_3");
  EXPECT_EQ(ds.events.event_count(), 1U);
}

// Issue 11, case 17: a $NEXTDATA pointing into the file's own TEXT made even data set 0
// unreadable ("HEADER byte 256: not an FCS file", no word of $NEXTDATA). Data set 0 reads,
// with a warning naming $NEXTDATA; asking for data set 1 is an error naming it.
TEST(Reader, NextDataIntoTextSpoilsOnlyWhatLiesBeyond) {
  FcsBuilder b = two_channel("F", 32, false);
  for (auto& [k, v] : b.keywords) {
    if (k == "$NEXTDATA") v = "256";
  }
  for (int i = 0; i < 6; ++i) put_uint(b.data, 0, 4, false);
  const auto ds = read_one(b);
  EXPECT_EQ(ds.events.event_count(), 3U);
  bool warned = false;
  for (const auto& w : ds.warnings) warned = warned || w.message().find("$NEXTDATA of data set 0") != std::string::npos;
  EXPECT_TRUE(warned);
  ReadOptions second;
  second.data_set = 1;
  try {
    (void)read_one(b, second);
    ADD_FAILURE() << "data set 1 was read";
  } catch (const FcsError& e) {
    EXPECT_NE(std::string(e.what()).find("$NEXTDATA of data set 0"), std::string::npos) << e.what();
  }
}
