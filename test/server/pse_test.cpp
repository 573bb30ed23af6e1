// Go: server/pse/pse_test.go (gnatsd v1.0.0 compared against `ps`; we compare
// against /proc/self/statm, which needs no external program)
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

  // Burn CPU for over a second (sysinfo's uptime has 1 s resolution): the
  // next sample shows it.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1300);
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < until) x = x + 1;
  REQUIRE(gnatsd::pse::ProcUsage(&pcpu, &rss, &vss));
  CHECK(pcpu > 10.0);
  CHECK(pcpu < 100.0 * static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)) + 1.0);
}
