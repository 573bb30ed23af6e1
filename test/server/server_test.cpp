// Go: server/server_test.go (gnatsd v1.0.0): the parts not covered elsewhere
#include <catch2/catch.hpp>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

TEST_CASE("TestMaxConnections", "[server]") {
  Options opts = DefaultTestOptions();
  opts.MaxConn = 1;
  auto s = RunServer(opts);
  Conn c1 = createClientConn(*s);
  setupConn(c1);
  REQUIRE(s->NumClients() == 1);
  // The second connection still gets INFO first, then the error and a close.
  Conn c2 = createClientConn(*s);
  expectResult(c2, infoRe);
  expectResult(c2, std::regex(R"(^-ERR 'Maximum Connections Exceeded'\r\n$)"));
  CHECK(c2.waitClosed());
  CHECK(s->NumClients() == 1);
  // The first one is unaffected; once it leaves there is room again.
  sendProto(c1, "PING\r\n");
  expectResult(c1, pongRe);
  c1.close();
  REQUIRE(checkFor(2s, 5ms, [&] { return s->NumClients() == 0; }));
  Conn c3 = createClientConn(*s);
  setupConn(c3);
  CHECK(s->NumClients() == 1);
}

TEST_CASE("TestStartFailsOnPortInUse", "[server]") {
  auto s1 = RunDefaultServer();
  Options opts = DefaultTestOptions();
  opts.Port = s1->Port();
  auto s2 = Server::New(opts);
  CHECK_THROWS_WITH(s2->Start(), Catch::StartsWith("Error listening on port: 127.0.0.1:" + std::to_string(s1->Port())) &&
                                     Catch::Contains("address already in use"));
  // Nothing half-started: no thread left behind, Shutdown is harmless.
  CHECK(s2->NumGoroutines() == 0);
  s2->Shutdown();
}
