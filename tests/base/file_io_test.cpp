// The one writer every command uses (base/file_io.hpp): a planted symlink is never followed,
// nothing half-written is ever visible, and an output set is replaced as a whole.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "libescapade/base/error.hpp"
#include "libescapade/base/file_io.hpp"

namespace escapade {
namespace {

namespace fs = std::filesystem;

std::string content(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("escapade_file_io_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "victim") << "the user's own file";
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

// Issue 11, case 1: every writer once opened `<out>.part-<pid>` with truncation and
// followed symlinks, so a link planted there (or at the output itself) redirected the write.
TEST_F(FileIo, APlantedSymlinkIsNeverFollowed) {
  // Links planted at every temporary name the old writer could have used.
  for (int pid = ::getpid() - 2; pid <= ::getpid() + 2; ++pid) {
    fs::create_symlink(dir / "victim", dir / ("out.csv.part-" + std::to_string(pid)));
  }
  write_file(dir / "out.csv", "new bytes", false);
  EXPECT_EQ(content(dir / "victim"), "the user's own file");
  EXPECT_FALSE(fs::is_symlink(dir / "out.csv"));
  EXPECT_EQ(content(dir / "out.csv"), "new bytes");

  // A link at the output path itself: kept without overwrite, replaced (not followed) with it.
  fs::create_symlink(dir / "victim", dir / "linked.csv");
  EXPECT_THROW(write_file(dir / "linked.csv", "x", false), InputError);
  // A dangling link counts as something there too.
  fs::create_symlink(dir / "nowhere", dir / "dangling.csv");
  EXPECT_THROW(write_file(dir / "dangling.csv", "x", false), InputError);
  EXPECT_FALSE(fs::exists(dir / "nowhere"));
  write_file(dir / "linked.csv", "replaced", true);
  EXPECT_EQ(content(dir / "victim"), "the user's own file");
  EXPECT_FALSE(fs::is_symlink(dir / "linked.csv"));
  EXPECT_EQ(content(dir / "linked.csv"), "replaced");
  // No temporary is left behind.
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.find(".part-") != std::string::npos) {
      EXPECT_TRUE(fs::is_symlink(e.path())) << name;
    }
  }
}

TEST_F(FileIo, AFolderIsNeverReplacedByAFile) {
  fs::create_directories(dir / "results.json");
  EXPECT_THROW(write_file(dir / "results.json", "{}", true), InputError);
  EXPECT_TRUE(fs::is_directory(dir / "results.json"));
}

// Issue 11, case 8: outputs written one by one left 4 of 5 behind when the 5th failed.
TEST_F(FileIo, AnOutputSetNeverCommittedLeavesNothing) {
  {
    OutputFolder<InputError> out(dir / "run", {"a.json", "tables/b.tsv"}, false);
    write_file(out.staged("a.json"), "{}", false);
    write_file(out.staged("tables/b.tsv"), "x\n", false);
    // The command fails here (say, the disk is full while the report is written).
  }
  EXPECT_FALSE(fs::exists(dir / "run"));
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename().string().find("run"), std::string::npos);
}

// Issue 11, case 9: `--force` left an earlier run's report beside the new results.
TEST_F(FileIo, ForceReplacesTheOutputSetAsAWhole) {
  const std::vector<std::string> names{"results.json", "report.html", "tables/t.tsv"};
  {
    OutputFolder<InputError> out(dir / "run", names, false);
    for (const auto& n : names) write_file(out.staged(n), "first " + n, false);
    out.commit();
  }
  std::ofstream(dir / "run" / "notes.txt") << "the user's notes";
  // Without --force nothing is replaced, and the refusal comes before any work.
  EXPECT_THROW(OutputFolder<InputError>(dir / "run", names, false), InputError);
  {
    OutputFolder<InputError> out(dir / "run", names, true);
    write_file(out.staged("results.json"), "second", false);
    out.commit();
  }
  EXPECT_EQ(content(dir / "run" / "results.json"), "second");
  EXPECT_FALSE(fs::exists(dir / "run" / "report.html"));
  EXPECT_FALSE(fs::exists(dir / "run" / "tables" / "t.tsv"));
  EXPECT_EQ(content(dir / "run" / "notes.txt"), "the user's notes");
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename().string().find(".part-"), std::string::npos);
}

}  // namespace
}  // namespace escapade
