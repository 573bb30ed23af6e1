// Go: strconv.Quote, fmt's %v and %T, time.Duration.String, encoding/json
// strings (Go standard library)
#include "server/gofmt.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "server/gostrings.h"

namespace gnatsd::server {

namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

void appendHex(std::string& out, uint32_t v, int digits) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kLowerHex[(v >> shift) & 0xF];
}

}  // namespace

std::string quoteGo(std::string_view s) {
  std::string out = "\"";
  while (!s.empty()) {
    auto [r, width] = DecodeRuneInString(s);
    if (width == 1 && r == RuneError) {
      out += "\\x";
      appendHex(out, static_cast<unsigned char>(s[0]), 2);
      s.remove_prefix(1);
      continue;
    }
    s.remove_prefix(width);
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
      continue;
    }
    if (IsPrint(r)) {
      AppendRune(out, r);
      continue;
    }
    switch (r) {
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (r < ' ' || r == 0x7f) {
      out += "\\x";
      appendHex(out, r, 2);
    } else if (r < 0x10000) {
      out += "\\u";
      appendHex(out, r, 4);
    } else {
      out += "\\U";
      appendHex(out, r, 8);
    }
  }
  out += '"';
  return out;
}

std::string goValue(const nlohmann::json& v) {
  using json = nlohmann::json;
  switch (v.type()) {
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer: return std::to_string(v.get<int64_t>());
    case json::value_t::number_unsigned: return std::to_string(v.get<uint64_t>());
    case json::value_t::number_float: {
      // %v is %g with the shortest digits: exponent form below 1e-4 and from
      // 1e+06 on. to_chars' shortest scientific form gives the same digits
      // and the same two-digit exponent.
      const double d = v.get<double>();
      char buf[64];
      auto sci = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
      const std::string_view text(buf, static_cast<std::size_t>(sci.ptr - buf));
      const std::size_t e = text.find('e');
      const int exp = e == std::string_view::npos ? 0 : std::atoi(std::string(text.substr(e + 1)).c_str());
      if (exp < -4 || exp >= 6) return std::string(text);
      auto fixed = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
      return std::string(buf, fixed.ptr);
    }
    case json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ' ';
        first = false;
        out += goValue(e);
      }
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ' ';
        first = false;
        out += k + ":" + goValue(e);
      }
      return out + "]";
    }
    default: return "<nil>";
  }
}

const char* goType(const nlohmann::json& v) {
  using json = nlohmann::json;
  switch (v.type()) {
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int64";
    case json::value_t::number_float: return "float64";
    case json::value_t::array: return "[]interface {}";
    case json::value_t::object: return "map[string]interface {}";
    default: return "<nil>";
  }
}

std::string durationString(std::chrono::nanoseconds d) {
  const int64_t ns = d.count();
  if (ns == 0) return "0s";
  const std::string sign = ns < 0 ? "-" : "";
  // Unsigned negation: -INT64_MIN does not fit an int64.
  const uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  auto frac = [](uint64_t v, uint64_t unit, const char* suffix) {
    std::string s = std::to_string(v / unit);
    uint64_t rem = v % unit;
    if (rem) {
      std::string f;
      for (uint64_t div = unit / 10; div > 0; div /= 10) {
        f += static_cast<char>('0' + (rem / div) % 10);
      }
      while (!f.empty() && f.back() == '0') f.pop_back();
      s += "." + f;
    }
    return s + suffix;
  };
  if (u < 1000000) return sign + frac(u, 1000, "µs");
  if (u < 1000000000) return sign + frac(u, 1000000, "ms");
  uint64_t secs = u / 1000000000, subns = u % 1000000000;
  uint64_t h = secs / 3600, m = (secs / 60) % 60, s = secs % 60;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += frac(s * 1000000000 + subns, 1000000000, "s");
  return out;
}

std::string goJSONString(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  while (!s.empty()) {
    auto [r, width] = DecodeRuneInString(s);
    s.remove_prefix(width);
    if (width == 1 && r == RuneError) {
      out += "\\ufffd";  // Go writes the escape, not the replacement's bytes
      continue;
    }
    switch (r) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    // HTML-safe like Go: <, > and & escaped; U+2028/2029 break JavaScript.
    if (r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029) {
      out += "\\u";
      appendHex(out, r, 4);
      continue;
    }
    AppendRune(out, r);
  }
  out += '"';
  return out;
}

}  // namespace gnatsd::server
