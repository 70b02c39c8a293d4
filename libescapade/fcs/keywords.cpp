#include <algorithm>
#include <cstddef>

#include "libescapade/fcs/detail/text.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::fcs {

bool Keywords::add(std::string name, std::string value) {
  auto [it, inserted] = my_index.emplace(detail::upper(name), my_keywords.size());
  if (!inserted) return false;
  my_keywords.push_back({std::move(name), std::move(value)});
  return true;
}

void Keywords::set(std::string_view name, std::string value) {
  auto it = my_index.find(detail::upper(name));
  if (it != my_index.end()) {
    my_keywords[it->second].value = std::move(value);
    return;
  }
  add(std::string(name), std::move(value));
}

void Keywords::reindex() {
  my_index.clear();
  for (std::size_t i = 0; i < my_keywords.size(); ++i) my_index.emplace(detail::upper(my_keywords[i].name), i);
}

bool Keywords::remove(std::string_view name) {
  auto it = my_index.find(detail::upper(name));
  if (it == my_index.end()) return false;
  my_keywords.erase(my_keywords.begin() + static_cast<std::ptrdiff_t>(it->second));
  reindex();
  return true;
}

const std::string* Keywords::find(std::string_view name) const {
  std::string key(name);
  for (auto& c : key) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  auto it = my_index.find(key);
  return it == my_index.end() ? nullptr : &my_keywords[it->second].value;
}

std::string_view Keywords::get(std::string_view name) const {
  const std::string* v = find(name);
  return v == nullptr ? std::string_view() : detail::trim(*v);
}

std::string Parameter::amplification() const {
  if (log_decades > 0) {
    return "log (" + detail::format_double(log_decades) + " decades, offset " +
           detail::format_double(log_offset > 0 ? log_offset : 1.0) + ")";
  }
  return "linear";
}

std::optional<std::size_t> DataSet::find_parameter(std::string_view name) const noexcept {
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    if (parameters[k].name == name) return k;
  }
  return std::nullopt;
}

std::vector<std::string> DataSet::resolve_channels(const std::vector<std::string>& wanted, std::string_view source,
                                                   std::string_view what) const {
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    if (find_parameter(w)) {
      out.push_back(w);
      continue;
    }
    std::vector<std::string> by_stain;
    for (const auto& p : parameters) {
      if (p.stain == w) by_stain.push_back(p.name);
    }
    if (by_stain.size() == 1) {
      out.push_back(by_stain.front());
      continue;
    }
    std::string have;
    for (const auto& p : parameters) have += (have.empty() ? "" : ", ") + p.name + (p.stain.empty() ? "" : " (" + p.stain + ")");
    throw InputError(ErrorKind::reference, std::string(source), std::string(what) + " '" + w + "'",
                     by_stain.empty() ? "no channel of that name or stain; the file has: " + have
                                      : "stain names " + std::to_string(by_stain.size()) + " channels; use the $PnN name");
  }
  return out;
}

const Parameter* DataSet::time_parameter() const noexcept {
  for (const auto& p : parameters) {
    if (p.is_time) return &p;
  }
  return nullptr;
}

std::string_view to_string(DataType type) noexcept {
  switch (type) {
    case DataType::integer: return "I";
    case DataType::float32: return "F";
    case DataType::float64: return "D";
  }
  return "?";
}

}  // namespace escapade::fcs
