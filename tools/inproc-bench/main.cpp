// C++ only: what an in-process connection (server/inproc.h) costs per
// message, beside a libnats client on loopback, against the same embedded
// server: one publisher, one subscriber, N messages of S bytes each way.
//   inproc-bench [N] [S] [both|inproc|libnats]   (defaults 1000000, 128, both)
#include <nats/nats.h>
#include <openssl/crypto.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "server/const.h"
#include "server/inproc.h"
#include "server/server.h"

using namespace gnatsd::server;
using Clock = std::chrono::steady_clock;

namespace {
// CPU seconds of the whole process so far (server, client and kernel time).
double cpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// Context switches of the whole process so far, voluntary (a thread slept:
// a wait for messages, a contended lock) and not: a measure of wake-ups
// that holds on a busy machine, where times do not.
long contextSwitches() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

struct result {
  Clock::duration wall;
  double cpu;     // seconds, every thread of the process
  long switches;  // context switches, every thread of the process
};

struct meter {
  double cpu0 = cpuSeconds();
  long cs0 = contextSwitches();
  Clock::time_point t0 = Clock::now();
  result done() const { return {Clock::now() - t0, cpuSeconds() - cpu0, contextSwitches() - cs0}; }
};

void report(const char* what, size_t n, const result& r) {
  const double s = std::chrono::duration<double>(r.wall).count();
  std::printf("%-30s %9zu msgs in %6.3f s  %10.0f msgs/s  %6.0f ns CPU/msg  %5.2f switches/msg\n", what, n, s,
              n / s, r.cpu * 1e9 / n, static_cast<double>(r.switches) / n);
}

result inProcess(Server& srv, size_t n, const std::string& payload) {
  auto sub = InProcessConn::Connect(srv);
  auto pub = InProcessConn::Connect(srv);
  if (sub->Subscribe("bench").empty()) std::exit(1);
  std::atomic<size_t> got{0};
  const meter m;
  std::thread reader([&] {
    while (got < n && !sub->IsClosed()) {
      got += sub->Drain([](const InProcessMsg&) {}, std::chrono::milliseconds(100));
    }
  });
  for (size_t i = 0; i < n; ++i) pub->Publish("bench", payload);
  reader.join();
  const result d = m.done();
  if (got != n) {
    std::fprintf(stderr, "in-process: got %zu of %zu (%s)\n", got.load(), n, sub->LastError().c_str());
    std::exit(1);
  }
  return d;
}

result libnats(Server& srv, size_t n, const std::string& payload) {
  const std::string url = "nats://127.0.0.1:" + std::to_string(srv.Port());
  natsConnection *pc = nullptr, *sc = nullptr;
  natsSubscription* sub = nullptr;
  if (natsConnection_ConnectTo(&pc, url.c_str()) != NATS_OK || natsConnection_ConnectTo(&sc, url.c_str()) != NATS_OK ||
      natsConnection_SubscribeSync(&sub, sc, "bench") != NATS_OK ||
      natsSubscription_SetPendingLimits(sub, -1, -1) != NATS_OK || natsConnection_Flush(sc) != NATS_OK) {
    std::fprintf(stderr, "libnats: %s\n", nats_GetLastError(nullptr));
    std::exit(1);
  }
  size_t got = 0;
  const meter m;
  std::thread reader([&] {
    natsMsg* m = nullptr;
    while (got < n && natsSubscription_NextMsg(&m, sub, 5000) == NATS_OK) {
      natsMsg_Destroy(m);
      ++got;
    }
  });
  for (size_t i = 0; i < n; ++i) natsConnection_Publish(pc, "bench", payload.data(), static_cast<int>(payload.size()));
  natsConnection_Flush(pc);
  reader.join();
  const result d = m.done();
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(pc);
  natsConnection_Destroy(sc);
  if (got != n) {
    std::fprintf(stderr, "libnats: got %zu of %zu\n", got, n);
    std::exit(1);
  }
  return d;
}
}  // namespace

int main(int argc, char** argv) {
  // libnats 3.4 and OpenSSL 3 both free OpenSSL state at exit (see examples/embed).
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const size_t size = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 128;
  const std::string which = argc > 3 ? argv[3] : "both";
  if (which != "both" && which != "inproc" && which != "libnats") {
    std::fprintf(stderr, "usage: inproc-bench [N] [SIZE] [both|inproc|libnats]\n");
    return 2;
  }
  const std::string payload(size, 'x');
  Options o;
  o.Host = "127.0.0.1";
  o.Port = RANDOM_PORT;
  o.NoLog = o.NoSigs = true;
  o.MaxPending = 1LL << 30;  // the subscribers keep up; no cut mid-run
  auto srv = Server::New(o);
  srv->Start();
  if (!srv->ReadyForConnections(std::chrono::seconds(10))) return 1;
  std::printf("one publisher, one subscriber, %zu-byte payloads, embedded server\n", size);
  if (which == "inproc") {
    report("in-process -> in-process", n, inProcess(*srv, n, payload));
  } else if (which == "libnats") {
    report("libnats -> libnats (loopback)", n, libnats(*srv, n, payload));
  } else {
    const auto ip = inProcess(*srv, n, payload);
    report("in-process -> in-process", n, ip);
    const auto ln = libnats(*srv, n, payload);
    report("libnats -> libnats (loopback)", n, ln);
    std::printf("in-process / libnats: CPU per message %.2f, wall time %.2f\n", ip.cpu / ln.cpu,
                std::chrono::duration<double>(ip.wall).count() / std::chrono::duration<double>(ln.wall).count());
  }
  srv->Shutdown();
  nats_Close();
  return 0;
}
