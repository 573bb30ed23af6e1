// Go: test/gosrv_test.go
// No server thread survives Shutdown(), with or without clients; Shutdown
// may be called twice. Go counts goroutines; we count the process's threads
// and the server's own group.
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;


TEST_CASE("TestSimpleGoServerShutdown", "[gosrv]") {
  const int base = baseThreadCount();
  auto s = RunDefaultServer();
  CHECK(s->NumGoroutines() > 0);
  s->Shutdown();
  CHECK(s->NumGoroutines() == 0);
  bool back = checkFor(2s, 5ms, [&] { return processThreadCount() <= base; });
  INFO("threads before: " << base << ", after Shutdown: " << processThreadCount());
  CHECK(back);
}

TEST_CASE("TestGoServerShutdownWithClients", "[gosrv]") {
  const int base = baseThreadCount();
  auto s = RunDefaultServer();
  std::vector<Conn> conns;
  for (int i = 0; i < 50; i++) conns.push_back(createClientConn(*s));
  // Every connection has its reader thread before we shut down.
  REQUIRE(checkFor(5s, 5ms, [&] { return s->NumClients() == 50; }));
  CHECK(processThreadCount() >= base + 50);

  s->Shutdown();
  CHECK(s->NumGoroutines() == 0);
  CHECK(s->NumClients() == 0);
  bool back = checkFor(2s, 5ms, [&] { return processThreadCount() <= base; });
  INFO("threads before: " << base << ", after Shutdown: " << processThreadCount());
  CHECK(back);
  // The clients were disconnected.
  for (auto& c : conns) CHECK(c.waitClosed());
}

TEST_CASE("TestGoServerMultiShutdown", "[gosrv]") {
  auto s = RunDefaultServer();
  s->Shutdown();
  s->Shutdown();
  CHECK(s->NumGoroutines() == 0);
  // The listener is gone too.
  std::string err;
  gnatsd::server::Fd fd = gnatsd::server::DialTCP("127.0.0.1", s->Port(), 500, &err);
  CHECK_FALSE(fd.valid());
}

// Beyond the Go tests: two threads racing to shut the same server down both
// return only once it is fully stopped.
TEST_CASE("TestGoServerConcurrentShutdown", "[gosrv]") {
  auto s = RunDefaultServer();
  Conn c = createClientConn(*s);
  REQUIRE(checkFor(2s, 5ms, [&] { return s->NumClients() == 1; }));
  std::thread other([&] { s->Shutdown(); });
  s->Shutdown();
  CHECK(s->NumGoroutines() == 0);
  other.join();
  CHECK(s->NumGoroutines() == 0);
  CHECK(c.waitClosed());
}
