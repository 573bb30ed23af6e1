// Go: server/pse/pse_linux.go (gnatsd v1.0.0)
// CPU percent, RSS and VSZ of this process from /proc/self/stat.
#include "pse/pse.h"

#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace gnatsd::pse {

namespace {
// Field positions in /proc/<pid>/stat counted from the state field (the
// command name, field 1, may hold spaces, so parsing starts after its ')').
constexpr int utimePos = 13;
constexpr int stimePos = 14;
constexpr int startPos = 21;
constexpr int vssPos = 22;
constexpr int rssPos = 23;

std::mutex mu;
int64_t lastTotal = 0;     // utime + stime at the previous call, in ticks
double lastSeconds = 0.0;  // process age at the previous call

bool readStat(std::vector<int64_t>* fields) {
  FILE* f = std::fopen("/proc/self/stat", "re");
  if (!f) return false;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (!p) return false;
  // Field 2 (state) onwards; index them with Go's numbering.
  fields->assign(2, 0);
  for (p += 1; *p;) {
    while (*p == ' ') ++p;
    if (!*p || *p == '\n') break;
    char* end = nullptr;
    long long v = std::strtoll(p, &end, 10);
    if (end == p) {  // the state letter
      fields->push_back(0);
      while (*p && *p != ' ') ++p;
    } else {
      fields->push_back(v);
      p = end;
    }
  }
  return fields->size() > static_cast<size_t>(rssPos);
}
}  // namespace

bool ProcUsage(double* pcpu, int64_t* rss, int64_t* vss) {
  std::vector<int64_t> f;
  if (!readStat(&f)) return false;
  struct sysinfo si;
  if (::sysinfo(&si) != 0) return false;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  const int64_t total = f[utimePos] + f[stimePos];
  const double seconds = static_cast<double>(si.uptime) - static_cast<double>(f[startPos]) / ticks;
  std::lock_guard<std::mutex> l(mu);
  const double dSeconds = seconds - lastSeconds;
  const int64_t dTotal = total - lastTotal;
  if (dSeconds > 0) {
    // One decimal, as gnatsd's integer per-mille arithmetic gives.
    const int64_t permille = static_cast<int64_t>(static_cast<double>(dTotal) * 1000.0 / ticks / dSeconds);
    *pcpu = static_cast<double>(permille) / 10.0;
    lastTotal = total;
    lastSeconds = seconds;
  } else if (lastSeconds == 0.0) {
    *pcpu = 0.0;
  }
  *rss = f[rssPos] * page;
  *vss = f[vssPos];
  return true;
}

}  // namespace gnatsd::pse
