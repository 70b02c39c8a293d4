// Issue 11, case 2: text from a file (keywords, names, stains) never reaches a terminal as
// control sequences; every error and warning message is made printable.
#include <gtest/gtest.h>

#include "libescapade/base/error.hpp"
#include "libescapade/base/text.hpp"

namespace escapade {
namespace {

TEST(Printable, ControlCharactersBecomeVisibleEscapes) {
  EXPECT_EQ(printable("CD19\x1b[31mred\x07"), "CD19\\x1b[31mred\\x07");
  EXPECT_EQ(printable("a\x7f" "b"), "a\\x7fb");
  // C1 controls in UTF-8 (U+009B, the one-character CSI).
  EXPECT_EQ(printable("x\xc2\x9b" "2J"), "x\\u009b2J");
  // Newlines, tabs and ordinary UTF-8 stay as they are.
  EXPECT_EQ(printable("line 1\n\tCD34+CD19−CD22+ ≥ 10³ é"), "line 1\n\tCD34+CD19−CD22+ ≥ 10³ é");
}

TEST(Printable, ErrorsAndWarningsCarryNoControlSequences) {
  const InputError e(ErrorKind::format, "evil\x1b]0;title\x07.fcs", "keyword $P1S", "value 'CD19\x1b[2J'");
  const std::string what = e.what();
  EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
  EXPECT_EQ(what.find('\x07'), std::string::npos) << what;
  EXPECT_NE(what.find("\\x1b[2J"), std::string::npos) << what;
  const Warning w{"f.fcs", "keyword $P2N", "name 'A\x1b[1mB'"};
  EXPECT_EQ(w.message().find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace escapade

namespace escapade {
namespace {

// Issue 11, case 3: a value quoted from a user's file is short and cannot carry a line break
// or a control sequence.
TEST(Excerpt, IsShortEscapedAndCutAtACharacter) {
  EXPECT_EQ(excerpt("P190"), "P190");
  EXPECT_EQ(excerpt("a\tb\nc\x1b[2J"), "a\\tb\\nc\\x1b[2J");
  const std::string long_line(500, 'x');
  EXPECT_EQ(excerpt(long_line), std::string(40, 'x') + "…");
  // "é" is two bytes; a cut inside it backs up to the character's start.
  EXPECT_EQ(excerpt(std::string(39, 'a') + "é", 40), std::string(39, 'a') + "…");
}

}  // namespace
}  // namespace escapade

namespace escapade {
namespace {

// Issue 11, case 13: every message is bounded, whatever a file makes it list.
TEST(Message, IsBoundedAndStaysValidUtf8) {
  std::string reason;
  for (int i = 0; i < 5000; ++i) reason += "canal-\xC3\xA9" + std::to_string(i) + ", ";
  const Error e(ErrorKind::reference, "big.fcs", "channel 'X'", reason);
  const std::string m = e.what();
  EXPECT_LT(m.size(), 4100U);
  EXPECT_EQ(m.rfind("big.fcs: channel 'X': canal-", 0), 0U);
  EXPECT_NE(m.find("more bytes)"), std::string::npos);
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_TRUE(valid_utf8(m));
  EXPECT_EQ(e.reason(), reason);  // the whole reason stays available to a program
}

}  // namespace
}  // namespace escapade
