// UTF-8 at the boundary (base/text.hpp): RFC 3629 well-formedness, and Latin-1 for the rest.
#include <gtest/gtest.h>

#include <limits>

#include "libescapade/base/text.hpp"

namespace escapade {
namespace {

// Issue 11, case 14: the check accepted overlong forms. RFC 3629 §3 and §10: overlong
// sequences, UTF-16 surrogates and code points above U+10FFFF are not UTF-8.
TEST(Utf8, WellFormedOnlyAsRfc3629Says) {
  for (const char* ok : {"", "plain ASCII", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E", "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(valid_utf8(ok)) << ok;
  }
  for (const char* bad : {"\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xED\xA0\x80", "\xED\xBF\xBF",
                          "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xC3", "\xE2\x82", "\x80", "caf\xE9", "\xFF"}) {
    EXPECT_FALSE(valid_utf8(bad)) << ::testing::PrintToString(std::string(bad));
  }
}

TEST(Utf8, OtherBytesAreReadAsLatin1) {
  bool latin1 = false;
  EXPECT_EQ(utf8_or_latin1("caf\xE9", &latin1), "caf\xC3\xA9");
  EXPECT_TRUE(latin1);
  EXPECT_EQ(utf8_or_latin1("caf\xC3\xA9", &latin1), "caf\xC3\xA9");
  EXPECT_FALSE(latin1);
  // An overlong '/' is not let through as one: each byte becomes its Latin-1 character.
  EXPECT_EQ(utf8_or_latin1("\xC0\xAF"), "\xC3\x80\xC2\xAF");
  EXPECT_TRUE(valid_utf8(latin1_to_utf8("\x80\xFF\xE9\x00z")));
}

}  // namespace
// The one rule for reading users' tables: white space, fields, column names, numbers.
TEST(TableText, TrimSplitColumnKeysAndShortestNumbers) {
  EXPECT_EQ(trim_space(" \t\r a b \f\v\n"), "a b");
  EXPECT_EQ(trim_space(""), "");
  EXPECT_EQ(split_fields("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(split_fields("", '\t'), (std::vector<std::string_view>{""}));
  EXPECT_EQ(column_key(" Pre-escape  %_of CD34 "), "pre_escape_%_of_cd34");
  EXPECT_EQ(column_key("nuclei_scored"), column_key("Nuclei Scored"));
  EXPECT_EQ(column_key("-_-"), "");
  EXPECT_EQ(shortest_decimal(0.1), "0.1");
  EXPECT_EQ(shortest_decimal(1e300), "1e+300");
  EXPECT_EQ(shortest_decimal(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(shortest_decimal(std::numeric_limits<double>::quiet_NaN()), "nan");
}

}  // namespace escapade
