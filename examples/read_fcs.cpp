// Reads an FCS file and prints, per channel, its name, stain and median scale value.
// Usage: example_read_fcs FILE.fcs
#include <algorithm>
#include <cstdio>
#include <vector>

#include "libescapade/fcs/fcs.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE.fcs\n", argv[0]);
    return 2;
  }
  try {
    const escapade::fcs::FcsFile file = escapade::fcs::read_fcs_file(argv[1]);
    const escapade::fcs::DataSet& ds = file.data_sets.front();
    for (const auto& w : ds.warnings) std::fprintf(stderr, "warning: %s\n", w.message().c_str());
    const escapade::EventMatrix& events = ds.events;
    std::printf("%zu events x %zu channels (%.1f MB decoded)\n", events.event_count(), events.channel_count(),
                static_cast<double>(events.bytes()) / 1e6);
    std::vector<double> column;
    for (std::size_t k = 0; k < events.channel_count(); ++k) {
      auto values = events.channel(k);  // a view into the matrix, not a copy
      column.assign(values.begin(), values.end());
      double median = 0;
      if (!column.empty()) {
        std::nth_element(column.begin(), column.begin() + static_cast<std::ptrdiff_t>(column.size() / 2), column.end());
        median = column[column.size() / 2];
      }
      std::printf("%-20s %-12s median %g\n", events.label(k).name.c_str(), events.label(k).stain.c_str(), median);
    }
  } catch (const escapade::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
