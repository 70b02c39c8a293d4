// Issue 11, case 2: text from a file (keywords, names, stains) never reaches a terminal as
// control sequences; every error and warning message is made printable.
#include <gtest/gtest.h>

#include "libescapade/base/error.hpp"

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
