// Go: test/maxpayload_test.go
// max_payload: announced in INFO, a PUB over it is refused and the connection
// closed. Go loads configs/override.conf and uses the go-nats client; here the
// option is set directly and raw sockets play both clients.
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

TEST_CASE("TestMaxPayload", "[maxpayload]") {
  Options opts = DefaultTestOptions();
  opts.MaxPayload = 2222;
  auto s = RunServer(opts);

  // A well-behaved client learns the limit from INFO and keeps to it (the
  // go-nats part of the Go test: the library refuses to publish 4 MiB).
  Conn nc = createClientConn(*s);
  auto info = checkInfoMsg(nc);
  REQUIRE(info.contains("max_payload"));
  CHECK(info["max_payload"].get<int64_t>() == 2222);
  sendProto(nc, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
  CHECK(expectResult(nc, pongRe) == "PONG\r\n");
  sendProto(nc, "SUB bar 1\r\n");
  std::string atMax(2222, 'x');
  sendProto(nc, "PUB bar 2222\r\n" + atMax + "\r\n");
  auto msgs = expectMsgs(nc, 1);
  checkMsg(msgs[0], "bar", "1", "", "2222", atMax);

  // A raw client that announces 4 MiB is told off before it sends the bytes.
  const size_t size = 4 * 1024 * 1024;
  Conn conn = createClientConn(*s);
  expectResult(conn, infoRe);
  sendProto(conn, "PUB bar " + std::to_string(size) + "\r\n");
  std::string got = expectResult(conn, errRe);
  CHECK(got == "-ERR 'Maximum Payload Violation'\r\n");
  REQUIRE(conn.waitClosed());

  // The client that kept to the limit is still connected.
  sendProto(nc, "PING\r\n");
  CHECK(expectResult(nc, pongRe) == "PONG\r\n");
  // The violator is dropped (it sees EOF a moment before it leaves the map).
  CHECK(checkFor(2s, 5ms, [&] { return s->NumClients() == 1; }));

  // Writing the payload anyway fails: the peer is gone. The first send may
  // still be buffered locally; the reset makes a later one fail.
  std::string big(size, 'A');
  bool failed = false;
  for (int i = 0; i < 50 && !failed; ++i) {
    failed = ::send(conn.fd(), big.data(), big.size(), MSG_NOSIGNAL) < 0;
  }
  CHECK(failed);
}
