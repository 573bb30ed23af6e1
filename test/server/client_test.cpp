// Go: server/client_test.go
// The client connection end to end. Go drives a client over net.Pipe; we
// start a real server on a random loopback port and talk to it over a raw
// socket. Tests that look at a client's parsed options (as Go does through
// c.opts) use a socketless client of a server that was never started.
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/client.h"
#include "server/const.h"
#include "server/errors.h"
#include "server/server.h"
#include "test/helpers/client_peer.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::server;
using namespace gnatsd::test;

namespace {

// Go: msgPat. Groups: 1 subject, 2 sid, 4 reply, 5 size.
const std::regex msgPat(R"(^MSG\s+([^\s]+)\s+([^\s]+)\s+(([^\s]+)[^\S\r\n]+)?(\d+)\r\n)");
constexpr int SUB_INDEX = 1;
constexpr int SID_INDEX = 2;
constexpr int REPLY_INDEX = 4;
constexpr int LEN_INDEX = 5;

std::chrono::milliseconds leftUntil(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

// Go: bufio.Reader.ReadString('\n'). Fails the test on timeout or EOF.
std::string readLine(Conn& c, std::chrono::milliseconds timeout = 2s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = c.buffer().find('\n');
    if (nl != std::string::npos) {
      std::string line = c.buffer().substr(0, nl + 1);
      c.buffer().erase(0, nl + 1);
      return line;
    }
    auto left = leftUntil(deadline);
    INFO("received so far: " << c.buffer());
    REQUIRE(left.count() > 0);
    REQUIRE(c.readSome(left));
  }
}

// Go: checkPayload. Reads exactly expected.size() bytes and compares.
void checkPayload(Conn& c, std::string_view expected, std::chrono::milliseconds timeout = 2s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (c.buffer().size() < expected.size()) {
    auto left = leftUntil(deadline);
    INFO("received so far: " << c.buffer());
    REQUIRE(left.count() > 0);
    REQUIRE(c.readSome(left));
  }
  REQUIRE(c.buffer().substr(0, expected.size()) == expected);
  c.buffer().erase(0, expected.size());
}

std::smatch matchMsg(const std::string& line) {
  std::smatch m;
  INFO("line: " << line);
  REQUIRE(std::regex_search(line, m, msgPat));
  return m;
}

// Go: setupClient. A connected socket past INFO whose client has verbose off
// (Go flips c.opts.Verbose by hand; we say so in CONNECT). Pedantic stays on.
Conn setupClient(Server& s) {
  Conn c = createClientConn(s);
  expectResult(c, infoRe);
  sendProto(c, "CONNECT {\"verbose\":false}\r\n");
  return c;
}

std::unique_ptr<Server> newIdleServer() { return Server::New(DefaultTestOptions()); }

void requireOpts(const clientOpts& got, const clientOpts& want) {
  CHECK(got.Verbose == want.Verbose);
  CHECK(got.Pedantic == want.Pedantic);
  CHECK(got.SslRequired == want.SslRequired);
  CHECK(got.Authorization == want.Authorization);
  CHECK(got.Username == want.Username);
  CHECK(got.Password == want.Password);
  CHECK(got.Name == want.Name);
  CHECK(got.Lang == want.Lang);
  CHECK(got.Version == want.Version);
  CHECK(got.Protocol == want.Protocol);
}

clientOpts optsWith(std::function<void(clientOpts&)> set) {
  clientOpts o;  // Go: defaultOpts, verbose and pedantic on
  set(o);
  return o;
}

}  // namespace

TEST_CASE("TestClientCreateAndInfo", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = createClientConn(*s);
  std::string l = readLine(c);
  REQUIRE(l.rfind("INFO ", 0) == 0);
  auto info = nlohmann::json::parse(l.substr(5), nullptr, false);
  INFO("INFO: " << l);
  REQUIRE_FALSE(info.is_discarded());
  CHECK(info["max_payload"] == MAX_PAYLOAD_SIZE);
  CHECK(info["auth_required"] == false);
  CHECK(info["ssl_required"] == false);
  // Go expects DEFAULT_PORT from an unstarted server; ours listens on a
  // random port and reports the real one (docs/DEVIATIONS.md).
  CHECK(info["port"] == s->Port());

  // Go: cid 1. This is the server's first and only client.
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 1; }));
  CHECK(s->totalClients() == 1);
  // Go: state OP_START. The first bytes sent are an operation.
  sendProto(c, "PING\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
}

TEST_CASE("TestNonTLSConnectionState", "[client]") {
  // Go: GetTLSConnectionState is nil on a plain connection. Here the
  // server's side of a live plain client names no TLS version or suite.
  auto s = RunServer(DefaultTestOptions());
  Conn c = createClientConn(*s);
  setupConn(c);
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 1; }));
  auto cl = s->getClient(1);
  REQUIRE(cl);
  CHECK(cl->tlsVersion().empty());
  CHECK(cl->tlsCipherSuite().empty());
}

TEST_CASE("TestClientConnect", "[client]") {
  auto s = newIdleServer();
  auto c = dummyClient(s.get());

  REQUIRE_FALSE(c->parse("CONNECT {\"verbose\":true,\"pedantic\":true,\"ssl_required\":false}\r\n"));
  REQUIRE(peer(c).state() == OP_START);
  requireOpts(peer(c).opts(), optsWith([](clientOpts&) {}));

  // User and password.
  peer(c).setOpts(clientOpts());
  REQUIRE_FALSE(c->parse("CONNECT {\"user\":\"derek\",\"pass\":\"foo\"}\r\n"));
  REQUIRE(peer(c).state() == OP_START);
  requireOpts(peer(c).opts(), optsWith([](clientOpts& o) {
                o.Username = "derek";
                o.Password = "foo";
              }));

  // Client name.
  peer(c).setOpts(clientOpts());
  REQUIRE_FALSE(c->parse("CONNECT {\"user\":\"derek\",\"pass\":\"foo\",\"name\":\"router\"}\r\n"));
  REQUIRE(peer(c).state() == OP_START);
  requireOpts(peer(c).opts(), optsWith([](clientOpts& o) {
                o.Username = "derek";
                o.Password = "foo";
                o.Name = "router";
              }));

  // Auth token.
  peer(c).setOpts(clientOpts());
  REQUIRE_FALSE(c->parse("CONNECT {\"auth_token\":\"YZZ222\",\"name\":\"router\"}\r\n"));
  REQUIRE(peer(c).state() == OP_START);
  requireOpts(peer(c).opts(), optsWith([](clientOpts& o) {
                o.Authorization = "YZZ222";
                o.Name = "router";
              }));
}

TEST_CASE("TestClientConnectProto", "[client]") {
  auto s = newIdleServer();
  auto c = dummyClient(s.get());

  // No "protocol": the original protocol, zero.
  REQUIRE_FALSE(c->parse("CONNECT {\"verbose\":true,\"pedantic\":true,\"ssl_required\":false}\r\n"));
  REQUIRE(peer(c).state() == OP_START);
  requireOpts(peer(c).opts(), optsWith([](clientOpts& o) { o.Protocol = ClientProtoZero; }));

  REQUIRE_FALSE(c->parse("CONNECT {\"verbose\":true,\"pedantic\":true,\"ssl_required\":false,\"protocol\":" +
                         std::to_string(ClientProtoInfo) + "}\r\n"));
  REQUIRE(peer(c).state() == OP_START);
  requireOpts(peer(c).opts(), optsWith([](clientOpts& o) { o.Protocol = ClientProtoInfo; }));
  REQUIRE(peer(c).opts().Protocol == ClientProtoInfo);

  // An unknown protocol is refused.
  Error err = c->parse("CONNECT {\"protocol\":22}\r\n");
  REQUIRE(err);
  REQUIRE(err == ErrBadClientProtocol);

  // On the wire: the error, then the server hangs up.
  auto rs = RunServer(DefaultTestOptions());
  Conn conn = createClientConn(*rs);
  expectResult(conn, infoRe);
  sendProto(conn, "CONNECT {\"protocol\":22}\r\n");
  REQUIRE(readLine(conn) == "-ERR 'Invalid Client Protocol'\r\n");
  REQUIRE(conn.waitClosed());
}

TEST_CASE("TestClientPing", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "PING\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
}

TEST_CASE("TestClientSimplePubSub", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "SUB foo 1\r\nPUB foo 5\r\nhello\r\nPING\r\n");
  std::string l = readLine(c);
  auto m = matchMsg(l);
  REQUIRE(m.size() == 6);
  CHECK(m[SUB_INDEX] == "foo");
  CHECK(m[SID_INDEX] == "1");
  CHECK(m[LEN_INDEX] == "5");
  checkPayload(c, "hello\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
}

TEST_CASE("TestClientSimplePubSubWithReply", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "SUB foo 1\r\nPUB foo bar 5\r\nhello\r\nPING\r\n");
  std::string l = readLine(c);
  auto m = matchMsg(l);
  REQUIRE(m.size() == 6);
  CHECK(m[SUB_INDEX] == "foo");
  CHECK(m[SID_INDEX] == "1");
  CHECK(m[REPLY_INDEX] == "bar");
  CHECK(m[LEN_INDEX] == "5");
  checkPayload(c, "hello\r\n");
}

TEST_CASE("TestClientNoBodyPubSubWithReply", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "SUB foo 1\r\nPUB foo bar 0\r\n\r\nPING\r\n");
  std::string l = readLine(c);
  auto m = matchMsg(l);
  REQUIRE(m.size() == 6);
  CHECK(m[SUB_INDEX] == "foo");
  CHECK(m[SID_INDEX] == "1");
  CHECK(m[REPLY_INDEX] == "bar");
  CHECK(m[LEN_INDEX] == "0");
  checkPayload(c, "\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
}

namespace {
// Reads MSGs (checking each payload) until the PONG that answers the PING
// sent after them; returns the sids in arrival order.
std::vector<std::string> readMsgsUntilPong(Conn& c, std::string_view payload) {
  std::vector<std::string> sids;
  for (int guard = 0; guard < 100000; ++guard) {
    std::string l = readLine(c);
    if (l == "PONG\r\n") return sids;
    auto m = matchMsg(l);
    sids.push_back(m[SID_INDEX]);
    checkPayload(c, payload);
  }
  FAIL("no PONG");
  return sids;
}
}  // namespace

TEST_CASE("TestClientPubWithQueueSub", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  constexpr int num = 100;
  std::string op = "SUB foo g1 1\r\nSUB foo g1 2\r\n";
  for (int i = 0; i < num; ++i) op += "PUB foo bar 5\r\nhello\r\n";
  op += "PING\r\n";
  sendProto(c, op);

  int n1 = 0, n2 = 0;
  auto sids = readMsgsUntilPong(c, "hello\r\n");
  for (const auto& sid : sids) {
    if (sid == "1") ++n1;
    if (sid == "2") ++n2;
  }
  REQUIRE(sids.size() == num);
  REQUIRE(n1 + n2 == num);
  // Each member picked at random: both get a fair share.
  CHECK(n1 >= 20);
  CHECK(n2 >= 20);
}

TEST_CASE("TestClientUnSub", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "SUB foo 1\r\nSUB foo 2\r\nUNSUB 1\r\nPUB foo bar 5\r\nhello\r\nPING\r\n");
  auto sids = readMsgsUntilPong(c, "hello\r\n");
  REQUIRE(sids.size() == 1);
  REQUIRE(sids[0] == "2");
}

TEST_CASE("TestClientUnSubMax", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  constexpr int num = 10;
  constexpr size_t exp = 5;
  std::string op = "SUB foo 1\r\nUNSUB 1 5\r\n";
  for (int i = 0; i < num; ++i) op += "PUB foo bar 5\r\nhello\r\n";
  op += "PING\r\n";
  sendProto(c, op);
  auto sids = readMsgsUntilPong(c, "hello\r\n");
  REQUIRE(sids.size() == exp);
  for (const auto& sid : sids) REQUIRE(sid == "1");
  REQUIRE(s->NumSubscriptions() == 0);
}

TEST_CASE("TestClientAutoUnsubExactReceived", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "SUB foo 1\r\nUNSUB 1 1\r\nPUB foo bar 2\r\nok\r\nPING\r\n");
  auto sids = readMsgsUntilPong(c, "ok\r\n");
  REQUIRE(sids.size() == 1);
  // The one message allowed went out, and the subscription with it.
  REQUIRE(s->NumSubscriptions() == 0);
}

TEST_CASE("TestClientUnsubAfterAutoUnsub", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "SUB foo 1\r\nUNSUB 1 1\r\nUNSUB 1\r\nPING\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
  REQUIRE(s->NumSubscriptions() == 0);
  // Gone for good: a message now reaches nobody.
  sendProto(c, "PUB foo 2\r\nok\r\nPING\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
}

TEST_CASE("TestClientRemoveSubsOnDisconnect", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "SUB foo 1\r\nSUB bar 2\r\nPING\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
  REQUIRE(s->NumSubscriptions() == 2);
  // Go calls closeConnection(); from outside, the client hangs up.
  c.close();
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumSubscriptions() == 0; }));
}

TEST_CASE("TestClientDoesNotAddSubscriptionsWhenConnectionClosed", "[client]") {
  auto s = newIdleServer();
  auto c = dummyClient(s.get());
  c->closeConnection();
  REQUIRE(c->isClosed());
  c->parse("SUB foo 1\r\nSUB bar 2\r\n");
  REQUIRE(s->sublist().Count() == 0);
  REQUIRE(c->numSubs() == 0);
}

TEST_CASE("TestClientMapRemoval", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = createClientConn(*s);
  expectResult(c, infoRe);
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 1; }));
  c.close();
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 0; }));
}

TEST_CASE("TestAuthorizationTimeout", "[client]") {
  Options opts = DefaultTestOptions();
  opts.Username = "derek";
  opts.Password = "foo";
  opts.AuthTimeout = 0.25;
  auto s = RunServer(opts);

  const auto start = std::chrono::steady_clock::now();
  Conn c = createClientConn(*s);
  std::string info = expectResult(c, infoRe);
  REQUIRE(info.find("\"auth_required\":true") != std::string::npos);
  // No CONNECT: the server gives up after auth_timeout, not before.
  std::string l = readLine(c, 3s);
  REQUIRE(l == "-ERR 'Authorization Timeout'\r\n");
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  REQUIRE(c.waitClosed());
}

// From gnatsd bug report #18.
TEST_CASE("TestTwoTokenPubMatchSingleTokenSub", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn c = setupClient(*s);
  sendProto(c, "PUB foo.bar 5\r\nhello\r\nSUB foo 1\r\nPING\r\nPUB foo.bar 5\r\nhello\r\nPING\r\n");
  REQUIRE(readLine(c) == "PONG\r\n");
  // foo.bar does not match foo: just the second PONG, no MSG.
  REQUIRE(readLine(c) == "PONG\r\n");
}

// Go uses two go-nats connections; two raw sockets do the same: one
// subscriber unsubscribes while the other floods the subject.
TEST_CASE("TestUnsubRace", "[client]") {
  auto s = RunServer(DefaultTestOptions());
  Conn nc = setupClient(*s);
  Conn ncp = setupClient(*s);
  sendProto(nc, "SUB foo 1\r\nPING\r\n");
  REQUIRE(readLine(nc) == "PONG\r\n");

  bool pubOK = true;
  std::thread publisher([&] {
    std::string batch;
    for (int i = 0; i < 100; ++i) batch += "PUB foo 5\r\nhello\r\n";
    for (int i = 0; i < 100 && pubOK; ++i) pubOK = ncp.send(batch);
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{publisher};

  // Unsubscribe once the flood is arriving, then drain up to our PONG.
  std::string first = readLine(nc);
  REQUIRE(std::regex_search(first, msgPat));
  checkPayload(nc, "hello\r\n");
  sendProto(nc, "UNSUB 1\r\nPING\r\n");
  bool ponged = false;
  for (int guard = 0; guard < 20000 && !ponged; ++guard) {
    std::string l = readLine(nc);
    if (l == "PONG\r\n") {
      ponged = true;
    } else {
      INFO("line: " << l);
      REQUIRE(std::regex_search(l, msgPat));
      checkPayload(nc, "hello\r\n");
    }
  }
  REQUIRE(ponged);
  publisher.join();
  REQUIRE(pubOK);

  // Both connections are still served and the subscription is gone.
  sendProto(ncp, "PING\r\n");
  REQUIRE(readLine(ncp) == "PONG\r\n");
  REQUIRE(s->NumSubscriptions() == 0);
  REQUIRE(s->NumClients() == 2);
}

// TestTLSCloseClientConnection: not ported until TLS lands.
