// Go: test/verbose_test.go
// Verbose mode: +OK after CONNECT, PUB, SUB and UNSUB, never after PING.
#include <catch2/catch.hpp>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

TEST_CASE("TestVerbosePing", "[verbose]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = createClientConn(*s);
  doConnect(c, true, false, false);
  expectResult(c, okRe);

  // PING is answered by PONG alone.
  sendProto(c, "PING\r\n");
  std::string got = expectResult(c, pongRe);
  CHECK(got == "PONG\r\n");
  expectNothing(c);
}

TEST_CASE("TestVerboseConnect", "[verbose]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = createClientConn(*s);
  doConnect(c, true, false, false);
  expectResult(c, okRe);

  // A second CONNECT is acknowledged too.
  sendProto(c, "CONNECT {\"verbose\":true,\"pedantic\":true,\"ssl_required\":false}\r\n");
  expectResult(c, okRe);
  expectNothing(c);
}

TEST_CASE("TestVerbosePubSub", "[verbose]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = createClientConn(*s);
  doConnect(c, true, false, false);
  expectResult(c, okRe);

  sendProto(c, "PUB foo 2\r\nok\r\n");
  expectResult(c, okRe);

  sendProto(c, "SUB foo 1\r\n");
  expectResult(c, okRe);

  sendProto(c, "UNSUB 1\r\n");
  expectResult(c, okRe);
  expectNothing(c);
}
