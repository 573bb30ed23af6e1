// Go: server/util.go (gnatsd v1.0.0)
// Server ids, fast decimal parsing, Go-style quoting and duration text.
#include "server/util.h"

#include <sys/random.h>

#include <array>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <mutex>

namespace gnatsd::server {

namespace {

constexpr std::string_view kDigits =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int kBase = 62;
constexpr int kPreLen = 12;
constexpr int kSeqLen = 10;
constexpr int64_t kMaxSeq = 839299365868340224LL;  // 62^10
constexpr int64_t kMinInc = 33;
constexpr int64_t kMaxInc = 333;

uint64_t randomU64() {
  uint64_t v = 0;
  while (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
  }
  return v;
}

// The NUID generator: the prefix changes only when the sequence wraps,
// so ids are cheap and unique without a random draw per id.
class Nuid {
 public:
  Nuid() { reset(); }
  std::string Next() {
    std::lock_guard<std::mutex> l(mu_);
    seq_ += inc_;
    if (seq_ >= kMaxSeq) reset();
    std::string out(pre_.begin(), pre_.end());
    out.resize(kPreLen + kSeqLen);
    int64_t l2 = seq_;
    for (int i = kPreLen + kSeqLen - 1; i >= kPreLen; --i) {
      out[i] = kDigits[l2 % kBase];
      l2 /= kBase;
    }
    return out;
  }

 private:
  void reset() {
    for (auto& c : pre_) c = kDigits[randomU64() % kBase];
    seq_ = static_cast<int64_t>(randomU64() % static_cast<uint64_t>(kMaxSeq));
    inc_ = kMinInc + static_cast<int64_t>(randomU64() % static_cast<uint64_t>(kMaxInc - kMinInc));
  }
  std::mutex mu_;
  std::array<char, kPreLen> pre_{};
  int64_t seq_ = 0;
  int64_t inc_ = 0;
};

template <class T>
T parseDecimal(std::string_view d) {
  if (d.empty()) return -1;
  T n = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return -1;
    T digit = c - '0';
    if (n > (std::numeric_limits<T>::max() - digit) / 10) return -1;
    n = n * 10 + digit;
  }
  return n;
}

}  // namespace

std::string genID() {
  static Nuid nuid;
  return nuid.Next();
}

int parseSize(std::string_view d) { return parseDecimal<int>(d); }

int64_t parseSizeSaturated(std::string_view d) {
  if (d.empty()) return -1;
  for (char c : d) {
    if (c < '0' || c > '9') return -1;
  }
  int64_t n = parseDecimal<int64_t>(d);
  return n < 0 ? std::numeric_limits<int64_t>::max() : n;
}
int64_t parseInt64(std::string_view d) { return parseDecimal<int64_t>(d); }

std::chrono::nanoseconds secondsToDuration(double seconds) {
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
}

std::string quoteGo(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    // Pass through a well-formed multi-byte UTF-8 sequence as Go does.
    int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (c >= 0xf5) len = 0;
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len - 1;
      continue;
    }
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
  }
  out += '"';
  return out;
}

std::string durationString(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  char buf[64];
  if (u < 1000) {
    std::snprintf(buf, sizeof buf, "%s%lluns", sign.c_str(), static_cast<unsigned long long>(u));
    return buf;
  }
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

std::string vstringPrintf(const char* fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, ap2);
  va_end(ap2);
  return out;
}

std::string stringPrintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string out = vstringPrintf(fmt, ap);
  va_end(ap);
  return out;
}

}  // namespace gnatsd::server

#include <nlohmann/json.hpp>

namespace gnatsd::server {
std::string goJSONString(std::string_view s) {
  std::string q = nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(q.size());
  for (char c : q) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}
}  // namespace gnatsd::server
