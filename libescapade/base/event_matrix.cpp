#include "libescapade/base/event_matrix.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>
#include <stdexcept>

#include "libescapade/base/error.hpp"

namespace escapade {
namespace {
constexpr std::size_t alignment = 64;
constexpr std::size_t huge_page = std::size_t{2} << 20;

std::size_t padded(std::size_t events) {
  return (events + EventMatrix::padding - 1) / EventMatrix::padding * EventMatrix::padding;
}
}  // namespace

void EventMatrix::FreeAligned::operator()(double* p) const noexcept { std::free(p); }

EventMatrix::Column EventMatrix::allocate_column(std::size_t stride, std::size_t events, bool zero) {
  const std::size_t n = std::max<std::size_t>(stride, padding);
  if (n > SIZE_MAX / sizeof(double)) throw std::bad_alloc();
  const std::size_t bytes = n * sizeof(double);
  // Large columns are aligned to 2 MiB and offered to transparent huge pages: a
  // 5M-event column then takes 20 page faults instead of 10,000.
  const bool large = bytes >= huge_page;
  const std::size_t align = large ? huge_page : alignment;
  void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align);
  if (p == nullptr) throw std::bad_alloc();
  if (large) ::madvise(p, (bytes + align - 1) / align * align, MADV_HUGEPAGE);
  if (zero) {
    std::memset(p, 0, bytes);
  } else {
    std::memset(static_cast<double*>(p) + events, 0, (n - events) * sizeof(double));
  }
  return Column(static_cast<double*>(p));
}

EventMatrix::EventMatrix(std::size_t events, std::vector<ChannelLabel> channels)
    : my_events(events), my_stride(padded(events)), my_labels(std::move(channels)) {
  for (std::size_t i = 0; i < my_labels.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (my_labels[i].name == my_labels[j].name) {
        throw Error(ErrorKind::invalid_argument, "", "channel " + std::to_string(i + 1),
                    "duplicate channel name '" + my_labels[i].name + "'");
      }
    }
  }
  my_columns.reserve(my_labels.size());
  for (std::size_t i = 0; i < my_labels.size(); ++i) my_columns.push_back(allocate_column(my_stride, my_events, true));
}

EventMatrix::EventMatrix(std::size_t events, std::vector<ChannelLabel> channels, Uninitialized)
    : EventMatrix(0, std::move(channels)) {
  my_events = events;
  my_stride = padded(events);
  for (auto& c : my_columns) c = allocate_column(my_stride, my_events, false);
}

EventMatrix::EventMatrix(const EventMatrix& other)
    : my_events(other.my_events), my_stride(other.my_stride), my_labels(other.my_labels) {
  my_columns.reserve(other.my_columns.size());
  for (const auto& c : other.my_columns) {
    auto col = allocate_column(my_stride, my_events, true);
    std::memcpy(col.get(), c.get(), my_stride * sizeof(double));
    my_columns.push_back(std::move(col));
  }
}

EventMatrix& EventMatrix::operator=(const EventMatrix& other) {
  if (this != &other) {
    EventMatrix copy(other);
    *this = std::move(copy);
  }
  return *this;
}

std::span<const double> EventMatrix::channel(std::size_t k) const {
  if (k >= my_columns.size()) throw std::out_of_range("EventMatrix::channel: index out of range");
  return {my_columns[k].get(), my_events};
}
std::span<double> EventMatrix::channel(std::size_t k) {
  if (k >= my_columns.size()) throw std::out_of_range("EventMatrix::channel: index out of range");
  return {my_columns[k].get(), my_events};
}
std::span<const double> EventMatrix::padded_channel(std::size_t k) const {
  if (k >= my_columns.size()) throw std::out_of_range("EventMatrix::padded_channel: index out of range");
  return {my_columns[k].get(), my_stride};
}
std::span<double> EventMatrix::padded_channel(std::size_t k) {
  if (k >= my_columns.size()) throw std::out_of_range("EventMatrix::padded_channel: index out of range");
  return {my_columns[k].get(), my_stride};
}

std::optional<std::size_t> EventMatrix::find(std::string_view name) const noexcept {
  for (std::size_t k = 0; k < my_labels.size(); ++k) {
    if (my_labels[k].name == name) return k;
  }
  return std::nullopt;
}

std::size_t EventMatrix::index_of(std::string_view name) const {
  if (auto k = find(name)) return *k;
  std::string have;
  for (const auto& l : my_labels) {
    if (!have.empty()) have += ", ";
    have += l.name;
  }
  throw Error(ErrorKind::reference, "", "channel '" + std::string(name) + "'",
              "no such channel; the data have: " + have);
}

void EventMatrix::add_channel(ChannelLabel label, std::span<const double> values) {
  if (find(label.name)) {
    throw Error(ErrorKind::invalid_argument, "", "channel '" + label.name + "'", "a channel of that name exists");
  }
  if (values.size() != my_events) {
    throw Error(ErrorKind::invalid_argument, "", "channel '" + label.name + "'",
                "has " + std::to_string(values.size()) + " values for " + std::to_string(my_events) + " events");
  }
  auto col = allocate_column(my_stride, my_events, true);
  if (!values.empty()) std::memcpy(col.get(), values.data(), values.size() * sizeof(double));
  my_labels.push_back(std::move(label));
  my_columns.push_back(std::move(col));
}

EventMatrix EventMatrix::subset(std::span<const std::size_t> events, std::span<const std::size_t> channels) const {
  std::vector<std::size_t> all_channels;
  if (channels.empty()) {
    all_channels.resize(channel_count());
    for (std::size_t k = 0; k < all_channels.size(); ++k) all_channels[k] = k;
    channels = all_channels;
  }
  std::vector<ChannelLabel> labels;
  labels.reserve(channels.size());
  for (auto k : channels) labels.push_back(my_labels.at(k));
  const bool all_events = events.empty();
  for (auto e : events) {
    if (e >= my_events) throw std::out_of_range("EventMatrix::subset: event index out of range");
  }
  EventMatrix out(all_events ? my_events : events.size(), std::move(labels));
  for (std::size_t j = 0; j < channels.size(); ++j) {
    const double* src = my_columns[channels[j]].get();
    double* dst = out.my_columns[j].get();
    if (all_events) {
      std::memcpy(dst, src, my_events * sizeof(double));
    } else {
      for (std::size_t i = 0; i < events.size(); ++i) dst[i] = src[events[i]];
    }
  }
  return out;
}

EventMatrix EventMatrix::head(std::size_t n) const {
  n = std::min(n, my_events);
  std::vector<ChannelLabel> labels = my_labels;
  EventMatrix out(n, std::move(labels));
  for (std::size_t j = 0; j < my_columns.size(); ++j) {
    if (n > 0) std::memcpy(out.my_columns[j].get(), my_columns[j].get(), n * sizeof(double));
  }
  return out;
}

bool operator==(const EventMatrix& a, const EventMatrix& b) {
  if (a.my_events != b.my_events || a.my_labels != b.my_labels) return false;
  for (std::size_t j = 0; j < a.my_columns.size(); ++j) {
    if (a.my_events > 0 &&
        std::memcmp(a.my_columns[j].get(), b.my_columns[j].get(), a.my_events * sizeof(double)) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace escapade
