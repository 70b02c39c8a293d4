// Applying a Compensation to events: bind to columns once, then stream event blocks
// through the kernels (stage 2 of STYLE §5), in parallel through escapade::parallel_for.
#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "libescapade/base/error.hpp"
#include "libescapade/base/parallel.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/comp/detail/kernel.hpp"
#include "libescapade/comp/detail/names.hpp"

namespace escapade::comp {

namespace {

void run_kernel(Kernel kernel, const detail::KernelTask& task) noexcept {
  if (kernel == Kernel::reference) {
    detail::run_reference(task);
  } else {
    detail::run_vectorized(task);
  }
}

using Copy = std::pair<const double*, double*>;

// Runs the kernel over `count` events in fixed blocks: output j of event i is written to
// outputs[j][i] from inputs[d][i]; each `copies` column is copied alongside, block by block,
// so that untouched channels move on the same threads as the compensated ones.
void stream(std::span<const double* const> inputs, std::span<const double* const> weights,
            std::span<double* const> outputs, std::span<const Copy> copies, std::size_t count, Kernel kernel,
            int num_threads) {
  const std::size_t m = inputs.size();
  parallel_for(block_count(count, detail::block_events), num_threads, [&](std::size_t t) {
    const std::size_t first = t * detail::block_events;
    const std::size_t events = std::min(detail::block_events, count - first);
    for (const auto& [from, to] : copies) std::memcpy(to + first, from + first, events * sizeof(double));
    if (outputs.empty()) return;
    // Per-task scratch: a few pointers, allocated once per block.
    std::vector<const double*> in(m);
    for (std::size_t d = 0; d < m; ++d) in[d] = inputs[d] + first;
    std::vector<double*> out(outputs.size());
    for (std::size_t j = 0; j < outputs.size(); ++j) out[j] = outputs[j] + first;
    std::vector<double> scratch(detail::scratch_size(m));
    run_kernel(kernel, detail::KernelTask{.inputs = in.data(),
                                          .input_count = m,
                                          .weights = weights.data(),
                                          .outputs = out.data(),
                                          .output_count = out.size(),
                                          .events = events,
                                          .scratch = scratch.data()});
  });
}

// Channel names of a matrix, for error messages.
std::vector<std::string> channel_names(const EventMatrix& events) {
  std::vector<std::string> names;
  names.reserve(events.channel_count());
  for (const auto& label : events.channels()) names.push_back(label.name);
  return names;
}

}  // namespace

CompensatedView Compensation::view(const EventMatrix& events) const {
  CompensatedView out;
  out.my_events = events.event_count();
  out.my_weights = my_weights;
  out.my_dimensions = my_dimensions;
  out.my_inputs.reserve(my_detectors.size());
  std::vector<std::string> missing;
  for (const auto& detector : my_detectors) {
    if (auto k = events.find(detector)) {
      out.my_inputs.push_back(events.channel(*k).data());
    } else {
      missing.push_back(detector);
    }
  }
  if (!missing.empty()) {
    const auto have = channel_names(events);
    throw Error(ErrorKind::reference, detail::matrix_source(my_id), "detectors",
                "the matrix needs " + detail::join_names(my_detectors) + "; missing: " + detail::join_names(missing) +
                    "; the data have: " + detail::join_names(have));
  }
  return out;
}

std::optional<std::size_t> CompensatedView::find(std::string_view name) const noexcept {
  for (std::size_t k = 0; k < my_dimensions.size(); ++k) {
    if (my_dimensions[k] == name) return k;
  }
  return std::nullopt;
}

std::size_t CompensatedView::index_of(std::string_view name) const {
  if (auto k = find(name)) return *k;
  throw Error(ErrorKind::reference, "", "dimension " + std::string(name),
              "no such compensated dimension; there are: " + detail::join_names(my_dimensions));
}

void CompensatedView::fill(std::size_t begin, std::size_t end, std::span<const std::size_t> dims,
                           std::span<double> buffer, const FillOptions& options) const {
  if (begin > end || end > my_events) {
    throw Error(ErrorKind::invalid_argument, "", "CompensatedView::fill",
                "event range [" + std::to_string(begin) + ", " + std::to_string(end) + ") is not within the " +
                    std::to_string(my_events) + " events");
  }
  const std::size_t count = end - begin;
  for (std::size_t k : dims) {
    if (k >= my_dimensions.size()) {
      throw Error(ErrorKind::invalid_argument, "", "CompensatedView::fill",
                  "dimension index " + std::to_string(k) + " is not below " + std::to_string(my_dimensions.size()));
    }
  }
  // Divide rather than multiply: dims.size()·count could overflow for a hostile caller.
  if (count != 0 && buffer.size() / count < dims.size()) {
    throw Error(ErrorKind::invalid_argument, "", "CompensatedView::fill",
                "buffer holds " + std::to_string(buffer.size()) + " values, " + std::to_string(dims.size()) + " × " +
                    std::to_string(count) + " are needed");
  }
  if (count == 0 || dims.empty()) return;

  const std::size_t m = my_inputs.size();
  std::vector<const double*> weights(dims.size());
  std::vector<double*> outputs(dims.size());
  for (std::size_t j = 0; j < dims.size(); ++j) {
    weights[j] = my_weights.data() + dims[j] * m;
    outputs[j] = buffer.data() + j * count;
  }
  std::vector<const double*> inputs(m);
  for (std::size_t d = 0; d < m; ++d) inputs[d] = my_inputs[d] + begin;
  stream(inputs, weights, outputs, {}, count, options.kernel, options.num_threads);
}

EventMatrix compensate(const EventMatrix& events, const Compensation& compensation, const ApplyOptions& options) {
  const CompensatedView view = compensation.view(events);  // throws if a detector is missing
  const auto& detectors = compensation.detectors();
  const auto& dimensions = compensation.dimensions();
  const std::unordered_set<std::string_view> detector_set(detectors.begin(), detectors.end());

  // Output layout: kept channels copy from `source`, compensated ones come from `dimension`.
  struct Slot {
    std::size_t source = 0;     // input channel (kept channels)
    std::size_t dimension = 0;  // output dimension (compensated channels)
    bool compensated = false;
  };
  std::vector<ChannelLabel> labels;
  std::vector<Slot> slots;
  const bool in_place = compensation.in_place();
  bool inserted = false;
  for (std::size_t c = 0; c < events.channel_count(); ++c) {
    const ChannelLabel& label = events.label(c);
    if (!detector_set.contains(label.name)) {
      labels.push_back(label);
      slots.push_back({.source = c});
    } else if (in_place) {
      labels.push_back(label);
      slots.push_back({.dimension = *view.find(label.name), .compensated = true});
    } else if (!inserted) {
      inserted = true;
      for (std::size_t k = 0; k < dimensions.size(); ++k) {
        labels.push_back({dimensions[k], ""});
        slots.push_back({.dimension = k, .compensated = true});
      }
    }
  }
  {
    std::unordered_set<std::string_view> seen;
    for (const auto& label : labels) {
      if (!seen.insert(label.name).second) {
        throw Error(ErrorKind::structure, detail::matrix_source(compensation.id()), "dimension " + label.name,
                    "the compensated dimension has the name of a channel that is kept uncompensated");
      }
    }
  }

  EventMatrix out(events.event_count(), std::move(labels));
  const std::size_t count = events.event_count();
  if (count == 0) return out;

  // Gather what each block does once; the blocks then only offset pointers.
  const std::size_t m = compensation.detector_count();
  std::vector<double> weight_rows;
  std::vector<double*> outputs;
  std::vector<Copy> copies;
  for (std::size_t c = 0; c < slots.size(); ++c) {
    if (slots[c].compensated) {
      for (std::size_t d = 0; d < m; ++d) weight_rows.push_back(compensation.unmixing(d, slots[c].dimension));
      outputs.push_back(out.channel(c).data());
    } else {
      copies.emplace_back(events.channel(slots[c].source).data(), out.channel(c).data());
    }
  }
  std::vector<const double*> weights(outputs.size());
  for (std::size_t j = 0; j < outputs.size(); ++j) weights[j] = weight_rows.data() + j * m;
  std::vector<const double*> inputs(m);
  for (std::size_t d = 0; d < m; ++d) inputs[d] = events.channel(events.index_of(detectors[d])).data();
  stream(inputs, weights, outputs, copies, count, options.kernel, options.num_threads);
  return out;
}

}  // namespace escapade::comp
