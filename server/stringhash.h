// C++ only: a transparent string hash (Go's map[string] needs none)
// Lets maps keyed by std::string be searched with a std::string_view, so a
// lookup by subject or sid never builds a std::string.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace gnatsd::server {

// Use with std::equal_to<> as the key-equality type.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

}  // namespace gnatsd::server
