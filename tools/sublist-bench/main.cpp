// C++ only (no Go counterpart; compare the Benchmark* functions of server/sublist_test.go)
// sublist-bench: Sublist::Match calls per second for literal, `*` and `>` subscriptions, cache hit and miss.
//
// Build (links only the Sublist):
//   g++ -O2 -std=c++20 -I. -pthread tools/sublist-bench/main.cpp server/sublist.cpp -o sublist-bench
// Run: sublist-bench [seconds per row, default 1]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/sublist.h"

using gnatsd::server::Sublist;
using gnatsd::server::SublistStats;
using gnatsd::server::subscription;

namespace {

using Clock = std::chrono::steady_clock;

struct Scenario {
  std::string name;
  std::vector<std::string> subSubjects;  // one subscription each
  std::vector<std::string> pubSubjects;  // cycled through by Match
  std::size_t expectFanout;              // subscriptions each Match must return
};

struct RowResult {
  double opsPerSec;
  double nsPerOp;
  double hitRate;
};

// Calls Match over subjects round-robin, starting at offset, until `seconds`
// have passed. Returns the number of calls; *badFanout counts results of the
// wrong size (the benchmark refuses to report those).
uint64_t matchLoop(Sublist& s, const std::vector<std::string>& subjects, std::size_t offset,
                   std::size_t expectFanout, double seconds, uint64_t* badFanout) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  uint64_t ops = 0;
  std::size_t i = offset % subjects.size();
  uint64_t bad = 0;
  do {
    for (int k = 0; k < 1000; ++k) {
      auto r = s.Match(subjects[i]);
      if (r->psubs.size() + r->qsubs.size() != expectFanout) ++bad;
      if (++i == subjects.size()) i = 0;
    }
    ops += 1000;
  } while (Clock::now() < deadline);
  *badFanout += bad;
  return ops;
}

RowResult run(Sublist& s, const std::vector<std::string>& subjects, std::size_t expectFanout,
              int threads, double seconds) {
  // Warm-up: one pass fills the cache (for the hit rows) and the allocator.
  for (const auto& subj : subjects) s.Match(subj);

  const SublistStats before = s.Stats();
  const double hitsBefore = before.CacheHitRate * static_cast<double>(before.NumMatches);
  std::atomic<uint64_t> ops{0};
  std::atomic<uint64_t> bad{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      uint64_t b = 0;
      ops += matchLoop(s, subjects, static_cast<std::size_t>(t) * 7919, expectFanout, seconds, &b);
      bad += b;
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (bad.load() != 0) {
    std::fprintf(stderr, "wrong fanout in %llu results\n", static_cast<unsigned long long>(bad.load()));
    std::exit(1);
  }

  const SublistStats after = s.Stats();
  const double hits = after.CacheHitRate * static_cast<double>(after.NumMatches) - hitsBefore;
  const double n = static_cast<double>(ops.load());
  return RowResult{n / elapsed, elapsed * 1e9 * threads / n, hits / n};
}

std::string lit(std::size_t i) {
  return "bench.svc" + std::to_string(i % 100) + ".item" + std::to_string(i);
}

// Literal subscriptions; every published subject hits exactly one of them.
Scenario literalScenario(std::size_t nsubs) {
  Scenario sc{"literal", {}, {}, 1};
  for (std::size_t i = 0; i < nsubs; ++i) sc.subSubjects.push_back(lit(i));
  sc.pubSubjects = sc.subSubjects;
  return sc;
}

// `bench.*.item<i>`: the match goes through the `*` child of level 2.
Scenario pwcScenario(std::size_t nsubs) {
  Scenario sc{"`*` (bench.*.item<i>)", {}, {}, 1};
  for (std::size_t i = 0; i < nsubs; ++i) {
    sc.subSubjects.push_back("bench.*.item" + std::to_string(i));
    sc.pubSubjects.push_back(lit(i));
  }
  return sc;
}

// `bench.item<i>.>`: the match ends at the `>` child of level 3.
Scenario fwcScenario(std::size_t nsubs) {
  Scenario sc{"`>` (bench.item<i>.>)", {}, {}, 1};
  for (std::size_t i = 0; i < nsubs; ++i) {
    sc.subSubjects.push_back("bench.item" + std::to_string(i) + ".>");
    sc.pubSubjects.push_back("bench.item" + std::to_string(i) + ".x.y");
  }
  return sc;
}

void printRow(const std::string& name, std::size_t nsubs, const char* mode, std::size_t distinct,
              int threads, const RowResult& r) {
  std::printf("| %-24s | %7zu | %-5s | %8zu | %7d | %8.1f%% | %12.0f | %8.1f |\n", name.c_str(), nsubs,
              mode, distinct, threads, r.hitRate * 100.0, r.opsPerSec, r.nsPerOp);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  if (seconds <= 0) {
    std::fprintf(stderr, "usage: %s [seconds per row]\n", argv[0]);
    return 2;
  }

  std::printf("| %-24s | %7s | %-5s | %8s | %7s | %9s | %12s | %8s |\n", "subscriptions", "subs", "cache",
              "subjects", "threads", "hit rate", "Match/s", "ns/op");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(26, '-').c_str(), std::string(9, '-').c_str(),
              std::string(7, '-').c_str(), std::string(10, '-').c_str(), std::string(9, '-').c_str(),
              std::string(11, '-').c_str(), std::string(14, '-').c_str(), std::string(10, '-').c_str());

  struct Plan {
    Scenario sc;
    bool twoThreads;
  };
  std::vector<Plan> plans;
  plans.push_back({literalScenario(10'000), true});
  plans.push_back({literalScenario(100'000), true});
  plans.push_back({pwcScenario(10'000), false});
  plans.push_back({fwcScenario(10'000), false});

  // A hit row cycles through 1000 subjects, which all fit in the 1024-entry
  // cache; a miss row cycles through every subject, far more than fit, so
  // each one has been evicted long before it comes round again.
  constexpr std::size_t hotSet = 1000;
  for (auto& p : plans) {
    Sublist s;
    std::vector<std::shared_ptr<subscription>> subs;
    for (const auto& subj : p.sc.subSubjects) {
      auto sub = std::make_shared<subscription>();
      sub->subject = subj;
      if (s.Insert(sub)) {
        std::fprintf(stderr, "insert %s failed\n", subj.c_str());
        return 1;
      }
      subs.push_back(std::move(sub));
    }
    const std::size_t n = p.sc.subSubjects.size();
    const std::vector<std::string> hot(p.sc.pubSubjects.begin(), p.sc.pubSubjects.begin() + hotSet);

    printRow(p.sc.name, n, "hit", hot.size(), 1, run(s, hot, p.sc.expectFanout, 1, seconds));
    if (p.twoThreads) printRow(p.sc.name, n, "hit", hot.size(), 2, run(s, hot, p.sc.expectFanout, 2, seconds));
    printRow(p.sc.name, n, "miss", n, 1, run(s, p.sc.pubSubjects, p.sc.expectFanout, 1, seconds));
    if (p.twoThreads) printRow(p.sc.name, n, "miss", n, 2, run(s, p.sc.pubSubjects, p.sc.expectFanout, 2, seconds));
  }
  return 0;
}
