// Go: test/ping_test.go
// Server-initiated PINGs: after ping_max unanswered ones the server sends
// -ERR 'Stale Connection' and closes, on plain and on TLS connections.
#include <catch2/catch.hpp>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

constexpr auto PING_INTERVAL = 50ms;
constexpr int PING_MAX = 2;

std::unique_ptr<Server> runPingServer() {
  Options opts = DefaultTestOptions();
  opts.PingInterval = PING_INTERVAL;
  opts.MaxPingsOut = PING_MAX;
  return RunServer(opts);
}

// PING_MAX PINGs, then the stale error, then the close.
void expectStaleAfterPings(Conn& c) {
  for (int i = 0; i < PING_MAX; i++) {
    std::string got = expectResult(c, pingRe);
    CHECK(got == "PING\r\n");
  }
  std::string got = expectResult(c, errRe);
  CHECK(got == "-ERR 'Stale Connection'\r\n");
  REQUIRE(c.waitClosed());
  CHECK(c.buffer().empty());

  // Writes now fail, once the server has released the socket and the
  // reset for a first write has come back (a write may succeed until then).
  CHECK(checkFor(2s, 10ms, [&] { return !c.send("PING\r\n"); }));
}

}  // namespace

TEST_CASE("TestPingSentToTLSConnection", "[ping][tls]") {
  Options opts = DefaultTLSTestOptions(false);
  opts.PingInterval = PING_INTERVAL;
  opts.MaxPingsOut = PING_MAX;
  opts.TLSConfig->CaFile = "./configs/certs/ca.pem";  // as Go's; no client certificate is asked for
  auto s = RunServer(opts);

  Conn c = createClientConn(*s);
  auto info = checkInfoMsg(c);
  CHECK(info.value("tls_required", false));
  // Go: InsecureSkipVerify.
  auto ctx = makeClientTLSContext({});
  std::string err;
  const bool handshook = c.startTLS(ctx.get(), "127.0.0.1", &err);
  INFO("handshake: " << err);
  REQUIRE(handshook);
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"ssl_required\":true}\r\n");

  // The PINGs, the error and the close all come through the TLS layer.
  expectStaleAfterPings(c);
  CHECK(checkFor(2s, 5ms, [&] { return s->NumClients() == 0; }));
}

TEST_CASE("TestPingInterval", "[ping]") {
  auto s = runPingServer();
  // The ping timer is armed after the connection is accepted, so this start
  // is earlier than the timer's.
  auto start = std::chrono::steady_clock::now();
  Conn c = createClientConn(*s);
  doConnect(c, false, false, false);
  expectStaleAfterPings(c);
  // Three timer periods at least: two PINGs, then the stale check.
  CHECK(std::chrono::steady_clock::now() - start >= PING_INTERVAL * (PING_MAX + 1));
  CHECK(checkFor(2s, 5ms, [&] { return s->NumClients() == 0; }));
}

TEST_CASE("TestUnpromptedPong", "[ping]") {
  auto s = runPingServer();
  Conn c = createClientConn(*s);
  doConnect(c, false, false, false);

  // PONGs nobody asked for do not count as answers to future PINGs.
  std::string pongs;
  for (int i = 0; i < 100; i++) pongs += "PONG\r\n";
  sendProto(c, pongs);

  expectStaleAfterPings(c);
  CHECK(checkFor(2s, 5ms, [&] { return s->NumClients() == 0; }));
}

// Beyond the Go tests: answering every PING keeps the connection alive.
TEST_CASE("TestPingAnsweredKeepsConnection", "[ping]") {
  auto s = runPingServer();
  Conn c = createClientConn(*s);
  setupConn(c);
  for (int i = 0; i < PING_MAX + 3; i++) {
    CHECK(expectResult(c, pingRe) == "PING\r\n");
    sendProto(c, "PONG\r\n");
  }
  CHECK(s->NumClients() == 1);
  sendProto(c, "PING\r\n");
  // Our PONG may come after another server PING; both are fine.
  expectResult(c, pongRe);
}
