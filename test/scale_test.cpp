// Beyond gnatsd 1.0.0's tests: ten thousand connections on one
// thread-per-connection server (issue: slow consumers and scale).
// The server runs as a child process so each side has its own fd limit.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>
#include <vector>

#include "test/helpers/test_server.h"

extern char** environ;

using namespace gnatsd::test;
using namespace std::chrono;

namespace {
int freePort() {
  std::string err;
  gnatsd::server::Fd fd = gnatsd::server::ListenTCP("127.0.0.1", 0, &err);
  return gnatsd::server::LocalPort(fd.get());
}

long procStatus(pid_t pid, const char* key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
  }
  return -1;
}

struct ChildServer {
  pid_t pid = -1;
  int port = 0;
  explicit ChildServer(int p) : port(p) {
    std::string bin = std::string(GNATSD_BINARY_DIR) + "/gnatsd";
    std::string ps = std::to_string(port);
    std::vector<std::string> args = {bin, "-a", "127.0.0.1", "-p", ps, "-l", "/dev/null"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
  }
  ~ChildServer() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int st;
      ::waitpid(pid, &st, 0);
    }
  }
};
}  // namespace

// Memory and thread counts of the whole server process: [serial], ctest runs
// it alone (and 10,000 threads would slow every other test).
TEST_CASE("TestTenThousandConnections", "[scale][serial]") {
  constexpr int N = 10000;
  struct rlimit rl;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  INFO("this test needs an open-file limit above " << N + 100 << "; it is " << rl.rlim_cur);
  REQUIRE(rl.rlim_cur > static_cast<rlim_t>(N + 100));

  ChildServer srv(freePort());
  REQUIRE(checkFor(5s, 20ms, [&] {
    std::string err;
    return gnatsd::server::DialTCP("127.0.0.1", srv.port, 200, &err).valid();
  }));
  // The publisher connects first, so the idle figures include its thread.
  Conn pub = createClientConn("127.0.0.1", srv.port);
  setupConn(pub);
  const long idleThreads = procStatus(srv.pid, "Threads:");
  const long idleRss = procStatus(srv.pid, "VmRSS:");

  std::vector<Conn> conns;
  conns.reserve(N);
  auto t0 = steady_clock::now();
  for (int i = 0; i < N; ++i) {
    std::string err;
    gnatsd::server::Fd fd = gnatsd::server::DialTCP("127.0.0.1", srv.port, 5000, &err);
    INFO("connection " << i << ": " << err);
    REQUIRE(fd.valid());
    conns.emplace_back(std::move(fd));
    REQUIRE(conns.back().send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB fan.out 1\r\nPING\r\n"));
  }
  for (auto& c : conns) expectResult(c, pongRe, 20s);
  auto connectSecs = duration<double>(steady_clock::now() - t0).count();
  const long busyThreads = procStatus(srv.pid, "Threads:");
  const long busyRss = procStatus(srv.pid, "VmRSS:");
  WARN("10k connections: " << connectSecs << " s to connect and subscribe; server threads " << busyThreads
                           << ", RSS " << busyRss << " kB (idle " << idleRss << " kB), "
                           << (busyRss - idleRss) * 1024 / N << " bytes per connection");
  CHECK(busyThreads >= N);  // one reader thread per connection

  // One publish fans out to every connection.
  sendProto(pub, "PUB fan.out 5\r\nhello\r\nPING\r\n");
  expectResult(pub, pongRe);
  static const std::regex fanRe(R"(MSG fan\.out 1 5\r\nhello\r\n)");
  for (auto& c : conns) expectResult(c, fanRe, 20s);

  // All disconnect at once; the server returns near its idle level.
  conns.clear();
  // The publisher's cached match of the fan-out subject pins the closed
  // clients until its next read after the Sublist changed: keep it reading
  // during the wave, so that this memory is free before the server trims
  // (a second after the client and thread counts stop falling).
  CHECK(checkFor(60s, 50ms, [&] {
    sendProto(pub, "PING\r\n");
    expectResult(pub, pongRe, 20s);
    return procStatus(srv.pid, "Threads:") <= idleThreads;
  }));
  // Freed memory goes back to the system shortly after the wave, however
  // long the wave took.
  checkFor(10s, 100ms, [&] { return procStatus(srv.pid, "VmRSS:") < idleRss + (busyRss - idleRss) / 3; });
  const long afterRss = procStatus(srv.pid, "VmRSS:");
  WARN("after disconnect: threads " << procStatus(srv.pid, "Threads:") << ", RSS " << afterRss << " kB");
  CHECK(afterRss < idleRss + (busyRss - idleRss) / 2);
  sendProto(pub, "PING\r\n");
  expectResult(pub, pongRe);
}
