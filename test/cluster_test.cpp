// Go: test/cluster_test.go (gnatsd v1.0.0)
// Two in-process servers routed together (srv_a.conf, srv_b.conf on random
// ports), raw client sockets on each: pub/sub and queue groups across the
// route, no double delivery, remote interest dropped with the client, and
// auto-unsubscribe leaving no orphans on the other server.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test/helpers/route_helpers.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

// A loopback port that was free a moment ago (bind port 0, read it, close).
int freePort() {
  PortHold h;
  return h.port();
}

}  // namespace

TEST_CASE("TestProperServerWithRoutesShutdown", "[route][cluster]") {
  // Go counts goroutines (a delta of 2 allowed); here threads.
  const int before = baseThreadCount();
  {
    ServerPair p = runServers();
    p.srvA->Shutdown();
    p.srvB->Shutdown();
    CHECK(p.srvA->NumGoroutines() == 0);
    CHECK(p.srvB->NumGoroutines() == 0);
    bool back = checkFor(5s, 5ms, [&] { return processThreadCount() <= before; });
    INFO("threads before: " << before << ", after Shutdown: " << processThreadCount());
    CHECK(back);
  }
}

TEST_CASE("TestDoubleRouteConfig", "[route][cluster]") {
  // Both servers solicit each other, as srv_a.conf and srv_b.conf say: one
  // of the two connections is the duplicate and goes. B's cluster port must
  // be known before A starts: picked free just before (a retry if another
  // process took it meanwhile).
  std::unique_ptr<Server> srvA, srvB;
  for (int attempt = 0; attempt < 3 && !srvB; ++attempt) {
    const int portB = freePort();
    Options optsA = randomPorts(LoadConfig("./configs/srv_a.conf"));
    optsA.Routes = {routeURL(portB, "ruser", "top_secret")};
    srvA = RunServer(optsA);
    Options optsB = randomPorts(LoadConfig("./configs/srv_b.conf"));
    optsB.Cluster.Port = portB;
    optsB.Routes = {routeURL(srvA->ClusterPort(), "ruser", "top_secret")};
    try {
      srvB = RunServer(optsB);
    } catch (const std::exception& e) {
      WARN("server B on cluster port " << portB << ": " << e.what());
      srvA->Shutdown();
      srvA.reset();
    }
  }
  REQUIRE(srvB);
  checkClusterFormed({srvA.get(), srvB.get()});
  CHECK(srvA->NumRemotes() == 1);
  CHECK(srvB->NumRemotes() == 1);

  // C++ only: the one route that stays carries traffic both ways.
  Conn ca = createClientConn(*srvA);
  Conn cb = createClientConn(*srvB);
  setupConn(ca);
  setupConn(cb);
  sendProto(ca, "SUB foo 1\r\nPING\r\n");
  expectResult(ca, pongRe);
  sendProto(cb, "SUB bar 1\r\nPING\r\n");
  expectResult(cb, pongRe);
  std::string err = checkExpectedSubs(2, {srvA.get(), srvB.get()});
  INFO(err);
  REQUIRE(err.empty());
  sendProto(cb, "PUB foo 2\r\nok\r\nPING\r\n");
  expectResult(cb, pongRe);
  checkMsg(expectMsgs(ca, 1, 5s)[0], "foo", "1", "", "2", "ok");
  sendProto(ca, "PUB bar 2\r\nok\r\nPING\r\n");
  expectResult(ca, pongRe);
  checkMsg(expectMsgs(cb, 1, 5s)[0], "bar", "1", "", "2", "ok");
}

TEST_CASE("TestBasicClusterPubSub", "[route][cluster]") {
  ServerPair p = runServers();
  Conn clientA = createClientConn(*p.srvA);
  Conn clientB = createClientConn(*p.srvB);

  setupConn(clientA);
  sendProto(clientA, "SUB foo 22\r\n");
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);

  std::string err = checkExpectedSubs(1, {p.srvA.get(), p.srvB.get()});
  INFO(err);
  REQUIRE(err.empty());

  setupConn(clientB);
  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);

  auto matches = expectMsgs(clientA, 1, 5s);
  checkMsg(matches[0], "foo", "22", "", "2", "ok");
}

TEST_CASE("TestClusterQueueSubs", "[route][cluster]") {
  ServerPair p = runServers();
  Conn clientA = createClientConn(*p.srvA);
  Conn clientB = createClientConn(*p.srvB);
  setupConn(clientA);
  setupConn(clientB);

  auto requireSubs = [](uint32_t n, std::initializer_list<Server*> servers) {
    std::string err = checkExpectedSubs(n, servers);
    INFO(err);
    REQUIRE(err.empty());
  };

  const std::vector<std::string> qg1SidsA = {"1", "2", "3"};
  for (const auto& sid : qg1SidsA) sendProto(clientA, "SUB foo qg1 " + sid + "\r\n");
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);
  requireSubs(qg1SidsA.size(), {p.srvB.get()});

  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);

  // Only one.
  auto matches = expectMsgs(clientA, 1, 5s);
  checkMsg(matches[0], "foo", "", "", "2", "ok");

  // Three plain subscribers and a full wildcard.
  std::vector<std::string> pSids = {"4", "5", "6"};
  for (const auto& sid : pSids) sendProto(clientA, "SUB foo " + sid + "\r\n");
  pSids.push_back("7");
  sendProto(clientA, "SUB > 7\r\n");
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);
  requireSubs(qg1SidsA.size() + pSids.size(), {p.srvB.get()});

  // Sent to B: five.
  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);
  matches = expectMsgs(clientA, 5, 5s);
  checkForQueueSid(matches, qg1SidsA);
  checkForPubSids(matches, pSids);

  // Sent to A: five.
  sendProto(clientA, "PUB foo 2\r\nok\r\n");
  matches = expectMsgs(clientA, 5, 5s);
  checkForQueueSid(matches, qg1SidsA);
  checkForPubSids(matches, pSids);

  // Queue subscribers on B too.
  const std::vector<std::string> qg2SidsB = {"1", "2", "3"};
  for (const auto& sid : qg2SidsB) sendProto(clientB, "SUB foo qg2 " + sid + "\r\n");
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);
  requireSubs(qg1SidsA.size() + pSids.size() + qg2SidsB.size(), {p.srvA.get()});

  // Sent to B: one on B, still five on A.
  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  matches = expectMsgs(clientB, 1, 5s);
  checkForQueueSid(matches, qg2SidsB);
  matches = expectMsgs(clientA, 5, 5s);
  checkForQueueSid(matches, qg1SidsA);
  checkForPubSids(matches, pSids);

  // Drop the queue subscribers of A.
  for (const auto& sid : qg1SidsA) sendProto(clientA, "UNSUB " + sid + "\r\n");
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);
  requireSubs(pSids.size() + qg2SidsB.size(), {p.srvB.get()});

  // Sent to B: one on B, four on A.
  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  matches = expectMsgs(clientB, 1, 5s);
  checkForQueueSid(matches, qg2SidsB);
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);
  matches = expectMsgs(clientA, 4, 5s);
  checkForPubSids(matches, pSids);

  // Sent to A: four.
  sendProto(clientA, "PUB foo 2\r\nok\r\n");
  matches = expectMsgs(clientA, 4, 5s);
  checkForPubSids(matches, pSids);
}

// Issue #22
TEST_CASE("TestClusterDoubleMsgs", "[route][cluster]") {
  ServerPair p = runServers();
  Conn clientA1 = createClientConn(*p.srvA);
  Conn clientA2 = createClientConn(*p.srvA);
  Conn clientB = createClientConn(*p.srvB);
  setupConn(clientA1);
  setupConn(clientA2);
  setupConn(clientB);

  const std::vector<std::string> qg1SidsA = {"1", "2", "3"};
  for (const auto& sid : qg1SidsA) sendProto(clientA1, "SUB foo qg1 " + sid + "\r\n");
  sendProto(clientA1, "PING\r\n");
  expectResult(clientA1, pongRe);
  std::string err = checkExpectedSubs(qg1SidsA.size(), {p.srvB.get()});
  INFO(err);
  REQUIRE(err.empty());

  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);

  auto matches = expectMsgs(clientA1, 1, 5s);
  checkMsg(matches[0], "foo", "", "", "2", "ok");
  checkForQueueSid(matches, qg1SidsA);

  // A full wildcard and a plain subscriber on A2.
  sendProto(clientA2, "SUB > 1\r\n");
  sendProto(clientA2, "SUB foo 2\r\n");
  sendProto(clientA2, "PING\r\n");
  expectResult(clientA2, pongRe);
  const std::vector<std::string> pSids = {"1", "2"};
  err = checkExpectedSubs(qg1SidsA.size() + 2, {p.srvB.get()});
  INFO(err);
  REQUIRE(err.empty());

  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);

  matches = expectMsgs(clientA1, 1, 5s);
  checkMsg(matches[0], "foo", "", "", "2", "ok");
  checkForQueueSid(matches, qg1SidsA);

  matches = expectMsgs(clientA2, 2, 5s);
  checkMsg(matches[0], "foo", "", "", "2", "ok");
  checkForPubSids(matches, pSids);

  // Close A1.
  clientA1.close();

  sendProto(clientB, "PUB foo 2\r\nok\r\n");
  sendProto(clientB, "PING\r\n");
  expectResult(clientB, pongRe);

  matches = expectMsgs(clientA2, 2, 5s);
  checkMsg(matches[0], "foo", "", "", "2", "ok");
  checkForPubSids(matches, pSids);
}

// Remote sids are dropped with the UNSUB and with the client.
TEST_CASE("TestClusterDropsRemoteSids", "[route][cluster]") {
  ServerPair p = runServers();
  Conn clientA = createClientConn(*p.srvA);
  setupConn(clientA);

  // Go sleeps 100ms for propagation at each step; here: poll.
  auto requireSubs = [&](uint32_t n) {
    std::string err = checkExpectedSubs(n, {p.srvA.get(), p.srvB.get()});
    INFO(err);
    REQUIRE(err.empty());
  };

  sendProto(clientA, "SUB foo 1\r\n");
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);
  requireSubs(1);

  sendProto(clientA, "SUB bar 2\r\n");
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);
  requireSubs(2);

  sendProto(clientA, "UNSUB 1\r\n");
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);
  requireSubs(1);

  // Closing the client removes its subscription state on both.
  clientA.close();
  requireSubs(0);
}

// No orphan subscriptions on the other server after auto-unsubscribes.
TEST_CASE("TestAutoUnsubscribePropagation", "[route][cluster]") {
  ServerPair p = runServers();
  Conn clientA = createClientConn(*p.srvA);
  setupConn(clientA);

  for (int i = 1; i <= 100; ++i) {
    sendProto(clientA, "SUB foo " + std::to_string(i) + "\r\n");
    sendProto(clientA, "UNSUB " + std::to_string(i) + " 1\r\n");
    // This trips the auto-unsubscribe.
    sendProto(clientA, "PUB foo 2\r\nok\r\n");
    expectMsgs(clientA, 1);
  }
  sendProto(clientA, "PING\r\n");
  expectResult(clientA, pongRe);

  // Go checks B at once; the route may still be carrying the UNSUBs. C++
  // only: one more subscription travels the same route after them, and a
  // message published on B reaching it shows that B has seen them all.
  sendProto(clientA, "SUB barrier 1000\r\nPING\r\n");
  expectResult(clientA, pongRe);
  Conn clientB = createClientConn(*p.srvB);
  setupConn(clientB);
  bool through = checkFor(10s, 0ms, [&] {
    sendProto(clientB, "PUB barrier 2\r\nok\r\nPING\r\n");
    expectResult(clientB, pongRe);
    clientA.readSome(50ms);
    return clientA.buffer().find("MSG barrier 1000 2\r\nok\r\n") != std::string::npos;
  });
  REQUIRE(through);
  CHECK(p.srvB->NumSubscriptions() == 1);
}
