// Go: test/routes_test.go (gnatsd v1.0.0)
// The route protocol over raw sockets: the test plays a peer server on the
// cluster port (CONNECT, INFO, SUB ... RSID:, MSG) or accepts the server's
// solicited route; interest propagation, one-hop forwarding, queue sids,
// duplicate remote ids, reconnects and async INFO to clients.
//
// Ports: cluster.conf's fixed ports become random ones; its two solicited
// routes (127.0.0.1:4245 and :4246, where nothing listens in Go) point at two
// PortHolds (test/helpers/route_helpers.h), which refuse the server's dials
// until a test accepts on one of them.
#include <catch2/catch.hpp>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test/helpers/route_helpers.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;
using nlohmann::json;

namespace {

// Go: runRouteServer. cluster.conf on random ports, its routes wired to
// route1 and route2.
struct RouteServer {
  PortHold route1, route2;  // Go: nats-route://foo:bar@127.0.0.1:4245, :4246
  Options opts;             // with the actual client and cluster ports
  std::unique_ptr<Server> s;

  explicit RouteServer(const std::function<void(Options&)>& tweak = nullptr) {
    opts = randomPorts(LoadConfig("./configs/cluster.conf"));
    opts.Routes = {routeURL(route1.port(), "foo", "bar"), routeURL(route2.port(), "foo", "bar")};
    if (tweak) tweak(opts);
    s = RunServer(opts);
    fillActualPorts(opts, *s);
  }
};

// The route INFO line (the first thing an accepting server sends) and its
// JSON, key order kept.
struct RouteInfo {
  std::string raw;
  nlohmann::ordered_json info;
};
RouteInfo readRouteInfo(Conn& c) {
  RouteInfo r;
  r.raw = expectResult(c, infoRe);
  std::smatch m;
  REQUIRE(std::regex_search(r.raw, m, infoRe));
  r.info = nlohmann::ordered_json::parse(m[1].str(), nullptr, false);
  INFO("INFO line: " << r.raw);
  REQUIRE_FALSE(r.info.is_discarded());
  return r;
}

// Sends PING and REQUIREs that PONG is the very next thing: everything sent
// before was processed and nothing else came back.
void flushBarrier(Conn& c) {
  sendProto(c, "PING\r\n");
  std::string got = expectResult(c, pongRe);
  INFO("bytes before PONG: " << got);
  REQUIRE(got == "PONG\r\n");
}

// Sends PING and returns the MSGs that arrived before the PONG (REQUIREs
// that nothing else did).
std::vector<MsgMatch> msgsBeforePong(Conn& c) {
  sendProto(c, "PING\r\n");
  std::string got = expectResult(c, pongRe);
  got.resize(got.size() - 6);
  size_t n = 0;
  for (size_t p = got.find("MSG "); p != std::string::npos; p = got.find("MSG ", p + 4)) ++n;
  Conn parsed;  // no socket: only its buffer is used
  parsed.buffer() = got;
  auto msgs = expectMsgs(parsed, n, 0ms);
  INFO("bytes before PONG besides the MSGs: " << parsed.buffer());
  REQUIRE(parsed.buffer().empty());
  return msgs;
}

// Go: setupConnWithProto (test/test.go): INFO, then CONNECT with the
// protocol, and no PING (the harness' setupConnWithProto also pings).
void connectWithProtoNoPing(Conn& c, int proto) {
  checkInfoMsg(c);
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"ssl_required\":false,\"protocol\":" +
                   std::to_string(proto) + "}\r\n");
}

const std::regex exactSubFoo22(R"(SUB foo  (RSID:(\d+):22)\r\n)");

}  // namespace

TEST_CASE("TestRouterListeningSocket", "[route]") {
  RouteServer rs;
  // Go: checkSocket. The cluster socket accepts connections.
  CHECK(rs.s->ClusterAddr() == "127.0.0.1:" + std::to_string(rs.opts.Cluster.Port));
  std::string err;
  bool connected = checkFor(5s, 50ms, [&] {
    return gnatsd::server::DialTCP("127.0.0.1", rs.opts.Cluster.Port, 1000, &err).valid();
  });
  INFO("dial cluster port: " << err);
  CHECK(connected);
}

TEST_CASE("TestRouteGoServerShutdown", "[route]") {
  // Go counts goroutines; here threads: every server thread, the two route
  // diallers included, is gone once Shutdown returns.
  const int base = baseThreadCount();
  {
    RouteServer rs;
    rs.s->Shutdown();
    CHECK(rs.s->NumGoroutines() == 0);
    bool back = checkFor(5s, 5ms, [&] { return processThreadCount() <= base; });
    INFO("threads before: " << base << ", after Shutdown: " << processThreadCount());
    CHECK(back);
  }
}

TEST_CASE("TestSendRouteInfoOnConnect", "[route]") {
  RouteServer rs;
  Conn rc = createRouteConn(*rs.s);
  setupRoute(rc, rs.opts);
  RouteInfo ri = readRouteInfo(rc);

  // Route INFO ends with "}\r\n", no space before CRLF (the client INFO has one).
  INFO("route INFO: " << ri.raw);
  CHECK(ri.raw.rfind("INFO {", 0) == 0);
  CHECK(ri.raw.size() > 3);
  CHECK(ri.raw.compare(ri.raw.size() - 3, 3, "}\r\n") == 0);
  CHECK(ri.info["auth_required"] == true);
  CHECK(ri.info["port"] == rs.opts.Cluster.Port);
  // C++ only: the rest of gnatsd's route INFO.
  CHECK(ri.info["server_id"] == rs.s->ID());
  CHECK(ri.info["host"] == "127.0.0.1");
  CHECK(ri.info["tls_required"] == false);
  CHECK(ri.info["ssl_required"] == false);
  CHECK(ri.info["tls_verify"] == false);
  CHECK(ri.info["max_payload"] == 1048576);
  const std::vector<std::string> keys = {"server_id",    "version",      "go",           "host",
                                         "port",         "auth_required", "ssl_required", "tls_required",
                                         "tls_verify",   "max_payload",  "connect_urls"};
  std::vector<std::string> got;
  for (auto it = ri.info.begin(); it != ri.info.end(); ++it) got.push_back(it.key());
  CHECK(got == keys);
  CHECK(ri.info["connect_urls"] == nlohmann::ordered_json::array({"127.0.0.1:" + std::to_string(rs.opts.Port)}));

  // Send back a different INFO than the one received, else the server sees a
  // route to itself and closes.
  ri.info["server_id"] = "RouteID";
  sendProto(rc, "INFO " + ri.info.dump() + "\r\n");
  sendProto(rc, "PING\r\n");
  expectResult(rc, pongRe);
}

TEST_CASE("TestRouteToSelf", "[route]") {
  RouteServer rs;
  Conn rc = createRouteConn(*rs.s);
  setupRouteEx(rc, rs.opts, rs.s->ID());
  RouteInfo ri = readRouteInfo(rc);
  CHECK(ri.info["auth_required"] == true);
  CHECK(ri.info["port"] == rs.opts.Cluster.Port);

  // Send it back: a route to self, and the connection is closed.
  rc.send(ri.raw);
  rc.send("PING\r\n");
  INFO("received: " << rc.buffer());
  REQUIRE(rc.waitClosed(5s));
  CHECK(rc.buffer().find("PONG") == std::string::npos);
  CHECK(rs.s->NumRoutes() == 0);
}

TEST_CASE("TestSendRouteSubAndUnsub", "[route]") {
  RouteServer rs;
  Conn c = createClientConn(*rs.s);
  setupConn(c);

  Conn rc = createRouteConn(*rs.s);
  expectAuthRequired(rc);
  setupRouteEx(rc, rs.opts, "ROUTER:xyz");
  sendProto(rc, "INFO {\"server_id\":\"ROUTER:xyz\"}\r\n");
  sendProto(rc, "PING\r\n");
  expectResult(rc, pongRe);

  sendProto(c, "SUB foo 22\r\n");
  // The SUB is broadcast on the route: "SUB foo  RSID:<cid>:22" (two spaces:
  // the empty queue).
  std::string buf = expectResult(rc, subRe);
  std::smatch m;
  REQUIRE(std::regex_search(buf, m, subRe));
  const std::string rsid = m[5];
  INFO("SUB line: " << buf);
  CHECK(rsid.rfind("RSID:", 0) == 0);
  CHECK(std::regex_match(buf, exactSubFoo22));

  sendProto(c, "UNSUB 22\r\n");
  buf = expectResult(rc, unsubRe);
  REQUIRE(std::regex_search(buf, m, unsubRe));
  CHECK(m[1].str() == rsid);
  CHECK(buf == "UNSUB " + rsid + "\r\n");

  rs.s->Shutdown();
}

TEST_CASE("TestSendRouteSolicit", "[route]") {
  RouteServer rs;
  REQUIRE(rs.opts.Routes.size() >= 1);
  // The server dials its first route (retrying every second).
  Conn conn = rs.route1.accept(5s);
  // A CONNECT right away (with the route URL's credentials), then INFO.
  std::string buf = expectResult(conn, connectRe, 5s);
  CHECK(buf == "CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"foo\",\"pass\":\"bar\","
               "\"tls_required\":false,\"name\":\"" + rs.s->ID() + "\"}\r\n");
  if (!std::regex_search(buf, infoRe)) {
    RouteInfo ri = readRouteInfo(conn);
    CHECK(ri.info["server_id"] == rs.s->ID());
    CHECK(ri.info["port"] == rs.opts.Cluster.Port);
  }
}

TEST_CASE("TestRouteForwardsMsgFromClients", "[route]") {
  RouteServer rs;
  Conn client = createClientConn(*rs.s);
  setupConn(client);

  Conn route = rs.route1.accept(5s);
  setupRoute(route, rs.opts);
  // Eat the CONNECT and INFO protos.
  std::string buf = expectResult(route, connectRe, 5s);
  if (!std::regex_search(buf, infoRe)) expectResult(route, infoRe);

  sendProto(route, "SUB foo RSID:2:22\r\n");
  sendProto(route, "PING\r\n");
  expectResult(route, pongRe);

  sendProto(client, "PUB foo 2\r\nok\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  auto matches = expectMsgs(route, 1);
  checkMsg(matches[0], "foo", "RSID:2:22", "", "2", "ok");
}

TEST_CASE("TestRouteForwardsMsgToClients", "[route]") {
  RouteServer rs;
  Conn client = createClientConn(*rs.s);
  setupConn(client);

  Conn route = createRouteConn(*rs.s);
  expectAuthRequired(route);
  setupRoute(route, rs.opts);

  sendProto(client, "SUB foo 1\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  sendProto(route, "MSG foo 1 2\r\nok\r\n");
  auto matches = expectMsgs(client, 1);
  checkMsg(matches[0], "foo", "1", "", "2", "ok");
}

TEST_CASE("TestRouteOneHopSemantics", "[route]") {
  RouteServer rs;
  Conn route = createRouteConn(*rs.s);
  expectAuthRequired(route);
  setupRoute(route, rs.opts);

  // Interest on this route for foo, then a MSG from the route itself.
  sendProto(route, "SUB foo RSID:2:2\r\n");
  sendProto(route, "MSG foo 1 2\r\nok\r\n");
  // It does not come back.
  expectNothing(route);
  flushBarrier(route);
}

TEST_CASE("TestRouteOnlySendOnce", "[route]") {
  RouteServer rs;
  Conn client = createClientConn(*rs.s);
  setupConn(client);

  Conn route = createRouteConn(*rs.s);
  expectAuthRequired(route);
  setupRoute(route, rs.opts);

  // Two interests on this route for foo.
  sendProto(route, "SUB foo RSID:2:1\r\n");
  sendProto(route, "SUB foo RSID:2:2\r\n");
  sendProto(route, "PING\r\n");
  expectResult(route, pongRe);

  sendProto(client, "PUB foo 2\r\nok\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  // One MSG per message per remote server, and nothing more.
  expectMsgs(route, 1);
  flushBarrier(route);
}

TEST_CASE("TestRouteQueueSemantics", "[route]") {
  RouteServer rs;
  Conn client = createClientConn(*rs.s);
  setupConn(client);

  Conn route = createRouteConn(*rs.s);
  expectAuthRequired(route);
  setupRouteEx(route, rs.opts, "ROUTER:xyz");
  sendProto(route, "INFO {\"server_id\":\"ROUTER:xyz\"}\r\n");

  // Two queue subscribers on this route for foo, group bar.
  const std::string qrsid1 = "QRSID:1:1", qrsid2 = "QRSID:1:2";
  sendProto(route, "SUB foo bar " + qrsid1 + "\r\n");
  sendProto(route, "SUB foo bar " + qrsid2 + "\r\n");
  sendProto(route, "PING\r\n");
  expectResult(route, pongRe);

  sendProto(client, "PUB foo 2\r\nok\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  // Only one.
  auto matches = expectMsgs(route, 1);
  checkMsg(matches[0], "foo", "", "", "2", "ok");
  CHECK((matches[0].sid == qrsid1 || matches[0].sid == qrsid2));

  // Plain interest as well.
  sendProto(route, "SUB foo RSID:1:4\r\n");
  sendProto(route, "PING\r\n");
  expectResult(route, pongRe);

  sendProto(client, "PUB foo 2\r\nok\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  // Two now: one for the plain subscriber, one for the queue group.
  matches = expectMsgs(route, 2);
  CHECK((matches[0].sid == "RSID:1:4" || matches[1].sid == "RSID:1:4"));
  checkMsg(matches[0], "foo", "", "", "2", "ok");
  checkMsg(matches[1], "foo", "", "", "2", "ok");
  const std::string rsid = matches[0].sid[0] == 'Q' ? matches[0].sid : matches[1].sid;
  INFO("queue rsid: " << rsid);
  CHECK((rsid == qrsid1 || rsid == qrsid2));

  // A plain and a queue subscription on the client.
  sendProto(client, "SUB foo 1\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);
  std::string buf = expectResult(route, subRe);
  // Go addresses the client's queue sub as QRSID:1:2, its cid being 1 there;
  // here the cid is read from the broadcast SUB.
  std::smatch m;
  static const std::regex plainSub(R"(SUB foo  RSID:(\d+):1\r\n)");
  INFO("SUB line: " << buf);
  REQUIRE(std::regex_match(buf, m, plainSub));
  const std::string cid = m[1];

  sendProto(client, "SUB foo bar 2\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);
  buf = expectResult(route, subRe);
  CHECK(buf == "SUB foo bar QRSID:" + cid + ":2\r\n");

  // From the route: a plain MSG (its RSID is not looked at), one addressed to
  // the client's queue sub, and malformed queue sids (dropped).
  sendProto(route, "MSG foo RSID:1:1 2\r\nok\r\n");
  sendProto(route, "MSG foo QRSID:" + cid + ":2 2\r\nok\r\n");
  sendProto(route, "MSG foo QRSID 2\r\nok\r\n");
  sendProto(route, "MSG foo QRSID:1 2\r\nok\r\n");
  sendProto(route, "MSG foo QRSID:1: 2\r\nok\r\n");
  sendProto(route, "PING\r\n");
  expectResult(route, pongRe);

  // The plain subscriber, then the queue one: two in all.
  matches = msgsBeforePong(client);
  REQUIRE(matches.size() == 2);
  checkMsg(matches[0], "foo", "1", "", "2", "ok");
  checkMsg(matches[1], "foo", "2", "", "2", "ok");
}

TEST_CASE("TestSolicitRouteReconnect", "[route]") {
  RouteServer rs;
  Conn route = rs.route1.accept(5s);
  // Close the route: the server dials it again.
  route.close();
  route = rs.route1.accept(5s);
  route.close();
}

TEST_CASE("TestMultipleRoutesSameId", "[route]") {
  RouteServer rs;
  Conn route1 = createRouteConn(*rs.s);
  expectAuthRequired(route1);
  setupRouteEx(route1, rs.opts, "ROUTE:2222");

  Conn route2 = createRouteConn(*rs.s);
  expectAuthRequired(route2);
  setupRouteEx(route2, rs.opts, "ROUTE:2222");

  const std::string sub = "SUB foo RSID:2:22\r\n";
  sendProto(route1, sub);
  sendProto(route2, sub);

  // A MSG from one route goes to no route.
  sendProto(route1, "MSG foo 1 2\r\nok\r\n");
  expectNothing(route1);
  expectNothing(route2);
  flushBarrier(route1);
  flushBarrier(route2);

  Conn client = createClientConn(*rs.s);
  setupConn(client);
  sendProto(client, "PUB foo 2\r\nok\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  // One route, not both, gets it: both lead to the same remote id.
  auto m1 = msgsBeforePong(route1);
  auto m2 = msgsBeforePong(route2);
  INFO("route1 got " << m1.size() << ", route2 got " << m2.size());
  REQUIRE(m1.size() + m2.size() == 1);
  checkMsg(m1.empty() ? m2[0] : m1[0], "foo", "", "", "2", "ok");
}

TEST_CASE("TestRouteResendsLocalSubsOnReconnect", "[route]") {
  RouteServer rs;
  Conn client = createClientConn(*rs.s);
  setupConn(client);

  // A local subscription.
  sendProto(client, "SUB foo 1\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  Conn route = createRouteConn(*rs.s);
  setupRouteEx(route, rs.opts, "ROUTE:4222");
  RouteInfo ri = readRouteInfo(route);

  // Our own INFO (the server's, with our id) registers the route and
  // triggers the send of local subs.
  ri.info["server_id"] = "ROUTE:4222";
  const std::string infoJSON = "INFO " + ri.info.dump() + "\r\n";
  sendProto(route, infoJSON);
  std::string first = expectResult(route, subRe);
  static const std::regex localSub(R"(SUB foo  RSID:\d+:1\r\n)");
  INFO("SUB line: " << first);
  CHECK(std::regex_match(first, localSub));

  // Close and re-open. C++ only: wait until the server has dropped the first
  // connection, else the second would be a duplicate of "ROUTE:4222".
  route.close();
  REQUIRE(checkFor(5s, 10ms, [&] { return rs.s->NumRoutes() == 0; }));

  route = createRouteConn(*rs.s);
  setupRouteEx(route, rs.opts, "ROUTE:4222");
  expectResult(route, infoRe);
  sendProto(route, infoJSON);
  std::string again = expectResult(route, subRe);
  CHECK(again == first);
}

TEST_CASE("TestAutoUnsubPropagation", "[route]") {
  RouteServer rs;
  Conn client = createClientConn(*rs.s);
  setupConn(client);

  Conn route = createRouteConn(*rs.s);
  expectAuthRequired(route);
  setupRouteEx(route, rs.opts, "ROUTER:xyz");
  sendProto(route, "INFO {\"server_id\":\"ROUTER:xyz\"}\r\n");
  sendProto(route, "PING\r\n");
  expectResult(route, pongRe);

  sendProto(client, "SUB foo 2\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);
  std::string buf = expectResult(route, subRe);
  std::smatch m;
  static const std::regex sub2(R"(SUB foo  (RSID:\d+:2)\r\n)");
  INFO("SUB line: " << buf);
  REQUIRE(std::regex_match(buf, m, sub2));
  const std::string rsid = m[1];

  // An auto-unsubscribe limit travels with the UNSUB.
  sendProto(client, "UNSUB 2 1\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);
  buf = expectResult(route, unsubmaxRe);
  CHECK(buf == "UNSUB " + rsid + " 1\r\n");

  // Reaching the limit removes the sub, and the route hears of it.
  sendProto(client, "PUB foo 2\r\nok\r\n");
  expectResult(client, msgRe);
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  sendProto(client, "UNSUB 2\r\n");
  sendProto(client, "PING\r\n");
  expectResult(client, pongRe);

  buf = expectResult(route, unsubnomaxRe);
  CHECK(buf == "UNSUB " + rsid + "\r\n");
  // C++ only: the client's UNSUB of a sub already gone sends nothing more.
  flushBarrier(route);
}

TEST_CASE("TestRouteConnectOnShutdownRace", "[route]") {
  RouteServer rs;
  const int port = rs.opts.Cluster.Port;
  const std::string connect = "CONNECT {\"verbose\":false,\"user\":\"" + rs.opts.Cluster.Username +
                              "\",\"pass\":\"" + rs.opts.Cluster.Password + "\",\"name\":\"ROUTE:4222\"}\r\n";
  std::atomic<bool> quit{false};
  std::atomic<int> attempts{0};
  // No Catch2 assertions on this thread (Go: the ignoreLogger).
  std::thread t([&] {
    while (!quit.load()) {
      std::string err;
      gnatsd::server::Fd fd = gnatsd::server::DialTCP("127.0.0.1", port, 1000, &err);
      if (fd.valid()) {
        Conn c(std::move(fd));
        c.send(connect);
        c.close();
      }
      attempts.fetch_add(1);
    }
  });
  // Go sleeps 5ms; here: until the first connection attempts went through.
  checkFor(5s, 1ms, [&] { return attempts.load() >= 5; });
  rs.s->Shutdown();
  quit.store(true);
  t.join();
  CHECK(rs.s->NumGoroutines() == 0);
  CHECK(rs.s->NumRoutes() == 0);
}

TEST_CASE("TestRouteSendAsyncINFOToClients", "[route]") {
  auto f = [](bool noAdvertise) {
    INFO("NoAdvertise: " << noAdvertise);
    RouteServer rs([&](Options& o) { o.Cluster.NoAdvertise = noAdvertise; });
    Server& s = *rs.s;
    const Options& opts = rs.opts;
    const std::string clientURL = "127.0.0.1:" + std::to_string(opts.Port);
    // Go's route INFO says host localhost, port 5222; a port that refuses
    // dials here, so that a re-dial of this implicit route goes nowhere.
    PortHold routePort;

    Conn oldClient = createClientConn(s);
    setupConn(oldClient);
    sendProto(oldClient, "PING\r\n");
    expectResult(oldClient, pongRe);

    Conn newClient = createClientConn(s);
    setupConnWithProto(newClient, 1);
    sendProto(newClient, "PING\r\n");
    expectResult(newClient, pongRe);

    // No async INFO yet: there is no route.
    expectNothing(newClient);

    const std::string routeID = "Server-B";

    auto createRoute = [&]() {
      Conn rc = createRouteConn(s);
      setupRouteEx(rc, opts, routeID);
      RouteInfo ri = readRouteInfo(rc);
      REQUIRE(ri.info.contains("connect_urls"));
      REQUIRE(ri.info["connect_urls"].is_array());
      REQUIRE_FALSE(ri.info["connect_urls"].empty());
      CHECK(ri.info["connect_urls"][0] == clientURL);
      return rc;
    };

    auto sendRouteINFO = [&](Conn& rc, const std::vector<std::string>& urls) {
      gnatsd::server::Info routeInfo;
      routeInfo.ID = routeID;
      routeInfo.Host = "127.0.0.1";
      routeInfo.Port = routePort.port();
      routeInfo.ClientConnectURLs = urls;
      sendProto(rc, infoProto(routeInfo));
      sendProto(rc, "PING\r\n");
      expectResult(rc, pongRe);
    };

    auto checkINFOReceived = [&](Conn& client, const std::vector<std::string>& expectedURLs) {
      if (opts.Cluster.NoAdvertise) {
        expectNothing(client);
        return;
      }
      json info = checkInfoMsg(client);
      INFO("INFO: " << info.dump());
      CHECK(info.value("connect_urls", json::array()) == json(expectedURLs));
    };

    // Waits until the server has dropped the route (C++ only: a new
    // connection with the same id would otherwise be a duplicate).
    auto closeRoute = [&](Conn& rc) {
      rc.close();
      REQUIRE(checkFor(5s, 10ms, [&] { return s.NumRoutes() == 0; }));
    };

    Conn rc = createRoute();
    std::vector<std::string> routeConnectURLs = {"localhost:5222"};
    sendRouteINFO(rc, routeConnectURLs);

    // Nothing for old clients; an INFO for new ones (unless no_advertise).
    expectNothing(oldClient);
    checkINFOReceived(newClient, routeConnectURLs);

    // Disconnect and reconnect the route, same INFO: no new URL, no INFO.
    closeRoute(rc);
    rc = createRoute();
    sendRouteINFO(rc, routeConnectURLs);
    expectNothing(oldClient);
    expectNothing(newClient);

    // Again, now with an additional URL.
    closeRoute(rc);
    rc = createRoute();

    // A client that sends no CONNECT until after the route is added, and one
    // that does not send its first PING yet.
    Conn clientNoConnect = createClientConn(s);
    Conn clientNoPing = createClientConn(s);
    connectWithProtoNoPing(clientNoPing, 1);
    // C++ only: both are registered before the route INFO comes.
    REQUIRE(checkFor(5s, 10ms, [&] { return s.NumClients() == 4; }));

    routeConnectURLs.push_back("localhost:7777");
    sendRouteINFO(rc, routeConnectURLs);

    expectNothing(oldClient);
    checkINFOReceived(newClient, routeConnectURLs);
    // Nothing yet for the client that did not PING.
    expectNothing(clientNoPing);

    // Its first PING: PONG, then the INFO.
    sendProto(clientNoPing, "PING\r\n");
    std::string pong = expectResult(clientNoPing, pongRe);
    CHECK(pong == "PONG\r\n");
    checkINFOReceived(clientNoPing, routeConnectURLs);

    // The client that had not sent CONNECT does it now, then PING.
    connectWithProtoNoPing(clientNoConnect, 1);
    sendProto(clientNoConnect, "PING\r\n");
    pong = expectResult(clientNoConnect, pongRe);
    CHECK(pong == "PONG\r\n");
    checkINFOReceived(clientNoConnect, routeConnectURLs);

    // A new client's first INFO has the URLs (none with no_advertise).
    Conn cli = createClientConn(s);
    json sinfo = checkInfoMsg(cli);
    INFO("INFO: " << sinfo.dump());
    if (opts.Cluster.NoAdvertise) {
      CHECK(sinfo.value("connect_urls", json::array()).empty());
    } else {
      CHECK(sinfo.value("connect_urls", json::array()) == json(routeConnectURLs));
    }
  };
  f(false);
  f(true);
}

TEST_CASE("TestStalledRouteIsCutAndRedialled", "[route][slow]") {
  // C++ only: a route peer that stops reading is cut like a slow client
  // (max_pending here), the publisher feeding it is not held up, and the
  // configured route is dialled again.
  RouteServer rs([](Options& o) {
    o.WriteDeadline = 10s;  // only max_pending can trigger here
    o.MaxPending = 256 * 1024;
  });
  Conn route = rs.route1.accept(5s);
  int small = 4096;
  ::setsockopt(route.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string buf = expectResult(route, connectRe, 5s);
  if (!std::regex_search(buf, infoRe)) expectResult(route, infoRe);
  sendProto(route, "INFO {\"server_id\":\"STALLED\"}\r\nSUB foo RSID:1:1\r\nPING\r\n");
  expectResult(route, pongRe);
  REQUIRE(checkFor(5s, 10ms, [&] { return rs.s->NumRoutes() == 1 && rs.s->NumRemotes() == 1; }));

  Conn pub = createClientConn(*rs.s);
  setupConn(pub);
  const std::string payload(65536, 'r');
  const std::string msg = "PUB foo 65536\r\n" + payload + "\r\n";
  // The kernel's socket buffers take several MB before max_pending counts.
  for (int i = 0; i < 1000 && rs.s->serverStats().slowConsumers.load() == 0; ++i) REQUIRE(pub.send(msg));
  REQUIRE(checkFor(5s, 10ms, [&] { return rs.s->serverStats().slowConsumers.load() == 1; }));
  CHECK(checkFor(5s, 10ms, [&] { return rs.s->NumRoutes() == 0; }));
  // The publisher was not cut and is answered.
  sendProto(pub, "PING\r\n");
  expectResult(pub, pongRe, 5s);
  CHECK(rs.s->NumClients() == 1);

  // The route is in the configuration: the server dials it again.
  Conn again = rs.route1.accept(5s);
  buf = expectResult(again, connectRe, 5s);
  CHECK(buf.find("\"name\":\"" + rs.s->ID() + "\"") != std::string::npos);
}
