// Go: unicode/utf8 and strings.ToLower (Go standard library), the parts we use
// Header only: conf/ is built without libserver and shares these.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace gnatsd::server {

// Go: utf8.RuneError, what a malformed byte decodes to.
inline constexpr char32_t RuneError = 0xFFFD;

// Go: utf8.DecodeRuneInString. The rune at the front of s and its width:
// (RuneError, 0) for an empty s, (RuneError, 1) when the first byte does not
// start a well-formed sequence. Overlong forms, surrogates and values past
// U+10FFFF are malformed, so every caller agrees on what valid UTF-8 is.
inline std::pair<char32_t, std::size_t> DecodeRuneInString(std::string_view s) {
  if (s.empty()) return {RuneError, 0};
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t n;
  char32_t r;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, r = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {RuneError, 1};
  }
  if (s.size() < n) return {RuneError, 1};
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {RuneError, 1};
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return {RuneError, 1};
  return {r, n};
}

// Go: utf8.AppendRune. A surrogate or a value past U+10FFFF appends U+FFFD.
inline void AppendRune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = RuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// strings.ToLower for ASCII letters only; other bytes are kept. Every word we
// compare without case (config keys, JSON keys, commands) is ASCII, and
// std::tolower would depend on the process's C locale.
inline std::string ToLowerASCII(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace gnatsd::server
