// Go: server/pse/pse_test.go (gnatsd v1.0.0 compared against `ps`; we compare
// against /proc/self/statm, which needs no external program)
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "pse/pse.h"

TEST_CASE("TestPSEmulation", "[pse]") {
  double pcpu = -1;
  int64_t rss = -1, vss = -1;
  REQUIRE(gnatsd::pse::ProcUsage(&pcpu, &rss, &vss));
  std::ifstream statm("/proc/self/statm");
  long sizePages = 0, rssPages = 0;
  statm >> sizePages >> rssPages;
  const long page = ::sysconf(_SC_PAGESIZE);
  // Same source, read moments apart: within 10%.
  CHECK(rss > 0);
  CHECK(std::abs(rss - rssPages * page) < rssPages * page / 10 + 1024 * 1024);
  CHECK(std::abs(vss - sizePages * page) < sizePages * page / 10 + 1024 * 1024);
  CHECK(vss >= rss);
  CHECK(pcpu >= 0.0);

  // Burn 1.3 s of CPU (sysinfo's uptime, the time base, has 1 s resolution):
  // the next sample must show it. How much wall time that takes depends on
  // the machine's load, so the expected figure comes from what this process
  // really got, CPU over wall time, not from a fixed floor.
  const auto cpuNow = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpuNow();
  volatile uint64_t x = 0;
  // Bounded: a starved machine gives a smaller, still checked, expectation.
  while (cpuNow() - cpu0 < 1.3 && std::chrono::steady_clock::now() - wall0 < std::chrono::seconds(20)) {
    for (int i = 0; i < 100000; ++i) x = x + 1;
  }
  REQUIRE(gnatsd::pse::ProcUsage(&pcpu, &rss, &vss));
  const double cpu = cpuNow() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  // The sample divides the CPU ticks since the first call (at least cpu,
  // less a tick of rounding at each end) by whole uptime seconds, at most
  // wall + 1 (plus the moments before the burn); the figure is cut to 0.1%.
  // That is the least it can show; it also cannot pass 100% per processor.
  const double least = 100.0 * (cpu - 0.02) / (wall + 1.1) - 0.1;
  INFO("burned " << cpu << " s of CPU in " << wall << " s; sample " << pcpu << "%, at least " << least << "%");
  CHECK(pcpu >= least);
  CHECK(pcpu < 100.0 * static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)) + 1.0);
}
