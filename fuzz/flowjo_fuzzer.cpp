// Feeds arbitrary bytes to the FlowJo workspace reader, in both binning modes: any input must
// give a workspace or an escapade::Error, never a crash, a hang or an unbounded allocation
// (the binned outlines are bounded in flowjo.cpp). Seed it with shared/data/flowjo/**/*.wsp.
#include <cstddef>
#include <cstdint>
#include <span>

#include "libescapade/gate/flowjo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  escapade::gate::WorkspaceOptions options;
  options.binning = (size % 2) == 0 ? escapade::gate::FlowJoBinning::flowjo : escapade::gate::FlowJoBinning::exact;
  try {
    const auto workspace = escapade::gate::parse_workspace(bytes, "<fuzz>", options);
    (void)workspace.summary();
    for (const auto& sample : workspace.samples) {
      (void)sample.candidate_file_names();
      sample.plan.validate();
    }
  } catch (const escapade::Error&) {
  }
  return 0;
}
