// Go: test/proto_test.go
// Black-box client protocol over real TCP: pub/sub, queues, auto-unsubscribe,
// parse errors and the control-line limit.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

std::unique_ptr<Server> runProtoServer() { return RunServer(DefaultTestOptions()); }

// Sends PING and REQUIREs that PONG is the very next thing: everything sent
// before it has been processed and nothing else was answered.
void flushBarrier(Conn& c) {
  sendProto(c, "PING\r\n");
  std::string got = expectResult(c, pongRe);
  INFO("bytes before PONG: " << got);
  REQUIRE(got == "PONG\r\n");
}

}  // namespace

TEST_CASE("TestProtoBasics", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);

  sendProto(c, "SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
  auto matches = expectMsgs(c, 1);
  checkMsg(matches[0], "foo", "1", "", "5", "hello");

  // Both subscriptions match; the order between them is not specified.
  sendProto(c, "SUB * 2\r\nPUB foo 2\r\nok\r\n");
  matches = expectMsgs(c, 2);
  checkMsg(matches[0], "foo", "", "", "2", "ok");
  checkMsg(matches[1], "foo", "", "", "2", "ok");
  CHECK(matches[0].sid != matches[1].sid);
}

TEST_CASE("TestProtoErr", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  sendProto(c, "ZZZ");
  std::string got = expectResult(c, errRe);
  CHECK(got == "-ERR 'Unknown Protocol Operation'\r\n");
  REQUIRE(c.waitClosed());
  CHECK(c.buffer() == "-ERR 'Parser Error'\r\n");
}

TEST_CASE("TestUnsubMax", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  sendProto(c, "SUB foo 22\r\n");
  sendProto(c, "UNSUB 22 2\r\n");
  std::string pubs;
  for (int i = 0; i < 100; i++) pubs += "PUB foo 2\r\nok\r\n";
  sendProto(c, pubs);

  auto matches = expectMsgs(c, 2);
  checkMsg(matches[0], "foo", "22", "", "2", "ok");
  checkMsg(matches[1], "foo", "22", "", "2", "ok");
  // All 100 PUBs were handled before this PING: no third MSG may show up.
  flushBarrier(c);
  CHECK(s->NumSubscriptions() == 0);
}

TEST_CASE("TestQueueSub", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  const int sent = 100;
  sendProto(c, "SUB foo qgroup1 22\r\n");
  sendProto(c, "SUB foo qgroup1 32\r\n");
  std::string pubs;
  for (int i = 0; i < sent; i++) pubs += "PUB foo 2\r\nok\r\n";
  sendProto(c, pubs);

  auto matches = expectMsgs(c, sent);
  flushBarrier(c);
  std::map<std::string, int> sids;
  for (const auto& m : matches) sids[m.sid]++;
  REQUIRE(sids.size() == 2);
  for (const auto& [sid, n] : sids) {
    INFO("sid " << sid << " got " << n << " msgs (expected ~50 +-15)");
    CHECK(n >= 35);
  }
}

TEST_CASE("TestMultipleQueueSub", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  const int sent = 100;
  sendProto(c, "SUB foo g1 1\r\n");
  sendProto(c, "SUB foo g1 2\r\n");
  sendProto(c, "SUB foo g2 3\r\n");
  sendProto(c, "SUB foo g2 4\r\n");
  std::string pubs;
  for (int i = 0; i < sent; i++) pubs += "PUB foo 2\r\nok\r\n";
  sendProto(c, pubs);

  // One member of each of the two groups gets every message.
  auto matches = expectMsgs(c, sent * 2);
  flushBarrier(c);
  std::map<std::string, int> sids;
  for (const auto& m : matches) sids[m.sid]++;
  REQUIRE(sids.size() == 4);
  CHECK(sids["1"] + sids["2"] == sent);
  CHECK(sids["3"] + sids["4"] == sent);
  for (const auto& [sid, n] : sids) {
    INFO("sid " << sid << " got " << n << " msgs (expected ~50 +-15)");
    CHECK(n >= 35);
  }
}

TEST_CASE("TestPubToArgState", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  sendProto(c, "PUBS foo 2\r\nok\r\n");
  std::string got = expectResult(c, errRe);
  CHECK(got == "-ERR 'Unknown Protocol Operation'\r\n");
  REQUIRE(c.waitClosed());
}

TEST_CASE("TestSubToArgState", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  sendProto(c, "SUBZZZ foo 1\r\n");
  std::string got = expectResult(c, errRe);
  CHECK(got == "-ERR 'Unknown Protocol Operation'\r\n");
  REQUIRE(c.waitClosed());
}

// Issue #63: a CONNECT whose CRLF comes in a later read.
TEST_CASE("TestProtoCrash", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  checkInfoMsg(c);

  sendProto(c, "CONNECT {\"verbose\":true,\"ssl_required\":false,\"user\":\"test\",\"pedantic\":true,\"pass\":"
               "\"password\"}");
  // Waiting for silence also lets the server read the partial line on its own.
  expectNothing(c, 100ms);
  sendProto(c, "\r\n");
  expectResult(c, okRe);
}

// Issue #136: the same sid twice makes one subscription.
TEST_CASE("TestDuplicateProtoSub", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);

  sendProto(c, "SUB foo 1\r\n");
  sendProto(c, "SUB foo 1\r\n");
  flushBarrier(c);
  CHECK(s->NumSubscriptions() == 1);

  // And it delivers once.
  sendProto(c, "PUB foo 2\r\nok\r\n");
  auto matches = expectMsgs(c, 1);
  checkMsg(matches[0], "foo", "1", "", "2", "ok");
  flushBarrier(c);
}

TEST_CASE("TestIncompletePubArg", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  const size_t size = 10000;
  std::string goodBuf(size, 'A');
  goodBuf += "\r\n";
  // Too short: the next PUB line becomes part of this payload, and the
  // payload terminator then lands in the wrong place.
  std::string badBuf(3371, 'B');
  std::string badBuf2(size, 'C');
  badBuf2 += "\r\n";

  std::string pub = "PUB example 10000\r\n";
  sendProto(c, pub + goodBuf + pub + goodBuf + pub + badBuf + pub + badBuf2);
  std::string got = expectResult(c, errRe);
  CHECK(got == "-ERR 'Unknown Protocol Operation'\r\n");
  REQUIRE(c.waitClosed());
  CHECK(c.buffer() == "-ERR 'Parser Error'\r\n");
}

TEST_CASE("TestControlLineMaximums", "[proto]") {
  auto s = runProtoServer();
  Conn c = createClientConn(*s);
  setupConn(c);

  // 328 bytes with no end of line, max_control_line is 256.
  std::string pubTooLong = "PUB foo ";
  for (int i = 0; i < 32; i++) pubTooLong += "2222222222";
  sendProto(c, pubTooLong);
  std::string got = expectResult(c, errRe);
  CHECK(got == "-ERR 'Maximum Control Line Exceeded'\r\n");
  REQUIRE(c.waitClosed());
  CHECK(c.buffer().empty());
}
