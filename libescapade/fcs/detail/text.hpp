#pragma once
// Private to fcs/: number parsing, the TEXT tokenizer and the HEADER parser.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libescapade/base/error.hpp"
#include "libescapade/fcs/fcs.hpp"

namespace escapade::fcs::detail {

std::string_view trim(std::string_view s) noexcept;
std::optional<std::uint64_t> parse_uint(std::string_view s) noexcept;
std::optional<double> parse_double(std::string_view s) noexcept;
bool iequals(std::string_view a, std::string_view b) noexcept;
std::string upper(std::string_view s);
/// Shortest decimal that reads back as the same double.
std::string format_double(double v);

/// The fixed part of a HEADER (FCS 3.1 §3.1), offsets relative to the data set.
struct Header {
  std::string version;
  std::uint64_t text_begin = 0, text_end = 0;
  std::uint64_t data_begin = 0, data_end = 0;
  std::uint64_t analysis_begin = 0, analysis_end = 0;
};

/// Parses the 58-byte HEADER at `base`. Throws FcsError naming the byte.
Header parse_header(std::span<const std::byte> file, std::size_t base, std::string_view source,
                    std::vector<Warning>& warnings);

/// Parses a TEXT-syntax segment (primary, supplemental or ANALYSIS) whose first byte
/// is the delimiter. `where` names the segment in warnings ("TEXT", "supplemental TEXT").
/// `file_offset` is the segment's absolute offset, used in messages.
Keywords parse_keywords(std::span<const std::byte> segment, std::size_t file_offset, std::string_view where,
                        std::string_view source, std::vector<Warning>& warnings);

}  // namespace escapade::fcs::detail
