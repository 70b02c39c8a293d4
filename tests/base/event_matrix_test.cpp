#include "libescapade/base/event_matrix.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <numeric>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/base/parallel.hpp"

using escapade::ChannelLabel;
using escapade::EventMatrix;

TEST(EventMatrix, ColumnsAreAlignedPaddedAndZeroed) {
  EventMatrix m(13, {{"FSC-A", ""}, {"CD19", "PE"}});
  EXPECT_EQ(m.event_count(), 13u);
  EXPECT_EQ(m.stride(), 16u);
  for (std::size_t k = 0; k < 2; ++k) {
    auto col = m.padded_channel(k);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(col.data()) % 64, 0u);
    for (double v : col) EXPECT_EQ(v, 0.0);
  }
}

TEST(EventMatrix, DuplicateNamesAreRejected) {
  try {
    EventMatrix m(1, {{"A", ""}, {"A", ""}});
    FAIL() << "expected an error";
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("duplicate channel name 'A'"), std::string::npos);
  }
}

TEST(EventMatrix, IndexOfListsChannelsWhenMissing) {
  EventMatrix m(1, {{"A", ""}, {"B", ""}});
  EXPECT_EQ(m.index_of("B"), 1u);
  try {
    (void)m.index_of("C");
    FAIL();
  } catch (const escapade::Error& e) {
    EXPECT_EQ(e.kind(), escapade::ErrorKind::reference);
    EXPECT_NE(std::string(e.what()).find("the data have: A, B"), std::string::npos);
  }
}

TEST(EventMatrix, SubsetHeadAndAddChannel) {
  EventMatrix m(4, {{"A", ""}, {"B", "x"}});
  for (std::size_t i = 0; i < 4; ++i) {
    m.channel(0)[i] = static_cast<double>(i);
    m.channel(1)[i] = 10.0 + static_cast<double>(i);
  }
  std::vector<std::size_t> rows{3, 1};
  std::vector<std::size_t> cols{1};
  auto s = m.subset(rows, cols);
  ASSERT_EQ(s.event_count(), 2u);
  ASSERT_EQ(s.channel_count(), 1u);
  EXPECT_EQ(s.label(0), (ChannelLabel{"B", "x"}));
  EXPECT_EQ(s.channel(0)[0], 13.0);
  EXPECT_EQ(s.channel(0)[1], 11.0);
  auto h = m.head(2);
  EXPECT_EQ(h.event_count(), 2u);
  EXPECT_EQ(h.channel(1)[1], 11.0);
  std::vector<double> extra{1, 0, 1, 0};
  m.add_channel({"gate", ""}, extra);
  EXPECT_EQ(m.channel_count(), 3u);
  EXPECT_EQ(m.channel(2)[2], 1.0);
  EXPECT_THROW(m.add_channel({"gate", ""}, extra), escapade::Error);
  EventMatrix copy = m;
  EXPECT_TRUE(copy == m);
  copy.channel(0)[0] = 99;
  EXPECT_FALSE(copy == m);
}

TEST(Parallel, EveryTaskRunsOnceWhateverTheThreadCount) {
  for (int threads : {1, 2, 4}) {
    std::vector<std::atomic<int>> hits(1000);
    escapade::parallel_for(hits.size(), threads, [&](std::size_t t) { hits[t]++; });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(Parallel, FirstExceptionPropagates) {
  EXPECT_THROW(escapade::parallel_for(100, 2,
                                      [](std::size_t t) {
                                        if (t == 57) throw std::runtime_error("task 57");
                                      }),
               std::runtime_error);
}
