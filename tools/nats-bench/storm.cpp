// Go: none (C++ only: nats-bench, a load generator for any NATS server)
// storm: --workers threads open --conns connections in all; each does CONNECT, SUB and
// PING in one write, waits for PONG, then closes (or, with --hold, stays open until all
// are made). Measures connections per second and the time from connect() to PONG.
#include <atomic>
#include <string>
#include <vector>

#include "tools/nats-bench/bench.h"
#include "tools/nats-bench/crew.h"

namespace natsbench {

Result RunStorm(const Settings& s) {
  Crew crew(s);
  const auto workers = static_cast<size_t>(s.workers);
  std::vector<Histogram> latency(workers);
  std::vector<std::vector<Conn>> held(workers);
  std::atomic<int> next{0}, made{0};
  ServerInfo info;
  const std::string sub = "SUB " + s.subject + " 1\r\n";
  for (size_t w = 0; w < workers; ++w) {
    crew.Spawn([&, w] {
      crew.ReadyAndWait();
      Reader r(4096);
      std::string err;
      for (int i; (i = next.fetch_add(1)) < s.conns;) {
        auto t0 = Clock::now();
        Conn c;
        ServerInfo si;
        if (!c.Dial(s.target, s.timeout, kRecvTick, s.timeout, &err) ||
            !Handshake(c, r, s.target, "nats-bench-storm", sub, t0 + s.timeout, &si, &err)) {
          Fail("connection " + std::to_string(i) + " (" + std::to_string(made.load()) + " made before it): " + err);
        }
        latency[w].Record(static_cast<uint64_t>(std::chrono::nanoseconds(Clock::now() - t0).count()));
        if (i == 0) info = std::move(si);
        if (s.hold) {
          held[w].push_back(std::move(c));
        }
        r = Reader(4096);  // a fresh buffer per connection: no bytes carried over
        made.fetch_add(1);
      }
    });
  }
  auto start = crew.StartAll();
  auto count = [&] { return static_cast<uint64_t>(made.load()); };
  crew.Watch(s.workers, count, count, static_cast<uint64_t>(s.conns), "conns",
             [&] { return Num(count()) + " of " + std::to_string(s.conns) + " connections made"; });
  auto end = Clock::now();
  crew.JoinAll();
  held.clear();  // with --hold, every connection closes here, after the clock stopped

  Result res;
  res.info = std::move(info);
  res.msgs = static_cast<uint64_t>(s.conns);
  res.elapsed = res.pubElapsed = Seconds(end - start);
  for (const auto& h : latency) res.latency.Merge(h);
  res.latencyWhat = "connect to PONG (CONNECT, SUB, PING sent in one write)";
  res.checked = "every connection got INFO and PONG, no -ERR";
  return res;
}

}  // namespace natsbench
