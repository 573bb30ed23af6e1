// Go: time.ParseDuration, strconv.Atoi, net.SplitHostPort (Go standard library)
#include "server/goparse.h"

#include <charconv>
#include <limits>

namespace gnatsd::server {

bool SplitHostPort(std::string_view hostport, std::string& host, std::string& port,
                   std::string& err) {
  auto fail = [&](const char* why) {
    err = "address " + std::string(hostport) + ": " + why;
    return false;
  };
  const std::size_t i = hostport.rfind(':');
  if (i == std::string_view::npos) return fail("missing port in address");
  std::size_t j = 0, k = 0;
  if (!hostport.empty() && hostport[0] == '[') {
    const std::size_t end = hostport.find(']');
    if (end == std::string_view::npos) return fail("missing ']' in address");
    if (end + 1 == hostport.size()) return fail("missing port in address");
    if (end + 1 != i) {
      if (hostport[end + 1] == ':') return fail("too many colons in address");
      return fail("missing port in address");
    }
    host = std::string(hostport.substr(1, end - 1));
    j = 1;
    k = end + 1;
  } else {
    host = std::string(hostport.substr(0, i));
    if (host.find(':') != std::string::npos) return fail("too many colons in address");
    if (host.find('%') != std::string::npos) return fail("missing brackets in address");
  }
  if (hostport.find('[', j) != std::string_view::npos) return fail("unexpected '[' in address");
  if (hostport.find(']', k) != std::string_view::npos) return fail("unexpected ']' in address");
  port = std::string(hostport.substr(i + 1));
  return true;
}

std::optional<int64_t> Atoi(std::string_view s) {
  // from_chars takes a '-' but not a '+'; Go takes either, once.
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view orig, std::string& err) {
  std::string_view s = orig;
  const std::string o(orig);
  auto invalid = [&] {
    err = "time: invalid duration " + o;
    return std::nullopt;
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid();
  constexpr int64_t maxInt = std::numeric_limits<int64_t>::max();
  int64_t d = 0;
  auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  while (!s.empty()) {
    if (!(s[0] == '.' || isDigit(s[0]))) return invalid();
    // Whole part.
    int64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && isDigit(s[i]); ++i) {
      const int digit = s[i] - '0';
      if (v > (maxInt - digit) / 10) return invalid();
      v = v * 10 + digit;
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction: digits past what int64 holds are read and dropped.
    int64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      std::size_t n = 0;
      for (; n < s.size() && isDigit(s[n]); ++n) {
        const int digit = s[n] - '0';
        if (overflow) continue;
        if (f > (maxInt - digit) / 10) {
          overflow = true;
          continue;
        }
        f = f * 10 + digit;
        scale *= 10;
      }
      post = n > 0;
      s.remove_prefix(n);
    }
    if (!pre && !post) return invalid();
    // Unit.
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !isDigit(s[u])) ++u;
    if (u == 0) {
      err = "time: missing unit in duration " + o;
      return std::nullopt;
    }
    const std::string unitName(s.substr(0, u));
    s.remove_prefix(u);
    int64_t unit;
    if (unitName == "ns") {
      unit = 1;
    } else if (unitName == "us" || unitName == "\xC2\xB5s" || unitName == "\xCE\xBCs") {
      unit = 1000;
    } else if (unitName == "ms") {
      unit = 1000000;
    } else if (unitName == "s") {
      unit = 1000000000;
    } else if (unitName == "m") {
      unit = 60LL * 1000000000;
    } else if (unitName == "h") {
      unit = 3600LL * 1000000000;
    } else {
      err = "time: unknown unit " + unitName + " in duration " + o;
      return std::nullopt;
    }
    if (v > maxInt / unit) return invalid();
    v *= unit;
    if (f > 0) {
      v += static_cast<int64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v < 0) return invalid();
    }
    if (d > maxInt - v) return invalid();
    d += v;
  }
  return std::chrono::nanoseconds(neg ? -d : d);
}

}  // namespace gnatsd::server
