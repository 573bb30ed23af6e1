// Go: server/util.go (gnatsd v1.0.0)
// Server ids, fast decimal parsing, printf to a string, thread names.
#include "server/util.h"

#include <pthread.h>
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
    if (__builtin_mul_overflow(n, T{10}, &n) || __builtin_add_overflow(n, T(c - '0'), &n)) return -1;
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
  int64_t n = 0;
  bool overflow = false;
  for (char c : d) {
    if (c < '0' || c > '9') return -1;
    overflow = overflow || __builtin_mul_overflow(n, int64_t{10}, &n) || __builtin_add_overflow(n, int64_t(c - '0'), &n);
  }
  return overflow ? std::numeric_limits<int64_t>::max() : n;
}
int64_t parseInt64(std::string_view d) { return parseDecimal<int64_t>(d); }

std::chrono::nanoseconds secondsToDuration(double seconds) {
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
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

void setThreadName(std::string_view name) {
  constexpr std::size_t kMaxThreadName = 15;  // 16 with the NUL
  const std::string cut(name.substr(0, kMaxThreadName));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace gnatsd::server
