// Go: test/route_discovery_test.go (gnatsd v1.0.0)
// Route discovery from a seed: the seed forwards each new route's INFO (with
// the "ip" to dial) to the routes it knows, so servers that only name the
// seed (or a chain) end up in a full mesh; /routez tells configured routes
// from discovered ones; implicit routes retry per connect_retries.
//
// Ports: seed.conf's fixed ports become random ones. Where Go registers fake
// routes with INFO ports nothing listens on (22, 24, 26), or listens on a
// port later, PortHolds (test/helpers/route_helpers.h) stand in. Go sleeps
// 500ms for the mesh to form; here /routez is polled until it is right.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/opts.h"
#include "test/helpers/capturing_logger.h"
#include "test/helpers/http_client.h"
#include "test/helpers/route_helpers.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;
using nlohmann::json;

namespace {

struct RunningServer {
  Options opts;  // with the actual ports
  std::unique_ptr<Server> s;
};

RunningServer runWith(Options o) {
  RunningServer r;
  r.opts = o;
  r.s = RunServer(std::move(o));
  fillActualPorts(r.opts, *r.s);
  if (r.opts.HTTPPort != 0) r.opts.HTTPPort = r.s->MonitorPort();
  return r;
}

// Go: runSeedServer / runAuthSeedServer.
RunningServer runSeedServer() { return runWith(randomPorts(LoadConfig("./configs/seed.conf"))); }
RunningServer runAuthSeedServer() { return runWith(randomPorts(LoadConfig("./configs/auth_seed.conf"))); }

// "nats-route://[user:pass@]127.0.0.1:<cluster port>/" as Go's routesStr.
std::string routesStr(const RunningServer& r, bool withAuth = false) {
  std::string u = "nats-route://";
  if (withAuth) u += r.opts.Cluster.Username + ":" + r.opts.Cluster.Password + "@";
  return u + "127.0.0.1:" + std::to_string(r.opts.Cluster.Port) + "/";
}

// Go: readHTTPRoutez. Empty JSON (null) when the request failed: callers
// poll, and a failed poll is reported with its reason.
json readHTTPRoutez(Server& s, std::string* err) {
  HTTPResponse r = httpGet(s.MonitorPort(), "/routez");
  if (!r.ok || r.status != 200) {
    *err = "GET /routez: " + (r.ok ? "status " + std::to_string(r.status) : r.err);
    return json();
  }
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) *err = "GET /routez: bad JSON: " + r.body;
  return j.is_discarded() ? json() : j;
}

// Go: expectRidsNoFatal. The routes by remote id, or "" with *err set.
std::map<std::string, json> expectRids(const json& rz, const std::vector<std::string>& rids, std::string* err) {
  std::map<std::string, json> ri;
  if (!rz.is_object()) return ri;
  if (rz.value("num_routes", -1) != static_cast<int>(rids.size())) {
    *err = "Expecting " + std::to_string(rids.size()) + " routes, got " + rz.value("num_routes", json()).dump();
    return {};
  }
  for (const auto& r : rz["routes"]) {
    const std::string id = r.value("remote_id", "");
    bool known = false;
    for (const auto& v : rids) known = known || v == id;
    if (!known) {
      *err = "Route with rid " + id + " unexpected";
      return {};
    }
    ri[id] = r;
  }
  return ri;
}

struct serverInfo {
  Server* server;
  const Options* opts;
};

// Go: checkConnected. "" when servers[current]'s /routez lists all the
// others, with is_configured as the topology says: with oneSeed, only the
// seed (index 0) is configured, on every server but the seed; without (a
// chain), each server's predecessor is.
std::string checkConnected(const std::vector<serverInfo>& servers, size_t current, bool oneSeed) {
  const serverInfo& s = servers[current];
  std::string err;
  json rz = readHTTPRoutez(*s.server, &err);
  if (!err.empty()) return err;
  std::vector<std::string> ids;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (i != current) ids.push_back(servers[i].server->ID());
  }
  auto ris = expectRids(rz, ids, &err);
  if (!err.empty()) return "server " + std::to_string(current) + ": " + err;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (i == current) continue;
    const serverInfo& o = servers[i];
    const bool configured = ris[o.server->ID()].value("is_configured", false);
    const std::string who = "server " + std::to_string(current) + ": route to " + o.opts->Host + ":" +
                            std::to_string(o.opts->Port);
    if (current == 0 || (oneSeed && i > 0) || (!oneSeed && i != current - 1)) {
      if (configured) return who + ": expected not to be configured";
    } else if (oneSeed || i == current - 1) {
      if (!configured) return who + ": expected to be configured";
    }
  }
  return "";
}

// Polls checkConnected on every server until all agree (Go's stress loop).
void waitConnected(const std::vector<serverInfo>& servers, bool oneSeed,
                   std::chrono::milliseconds timeout = 10s) {
  std::string err;
  bool ok = checkFor(timeout, 50ms, [&] {
    for (size_t j = 0; j < servers.size(); ++j) {
      err = checkConnected(servers, j, oneSeed);
      if (!err.empty()) return false;
    }
    return true;
  });
  INFO(err);
  REQUIRE(ok);
}

// A fake route registering itself at the seed: CONNECT, INFO, PING/PONG.
void registerFakeRoute(Conn& rc, const Options& opts, const std::string& id, const std::string& host, int port) {
  setupRouteEx(rc, opts, id);
  expectResult(rc, infoRe);
  gnatsd::server::Info info;
  info.ID = id;
  info.Host = host;
  info.Port = port;
  sendProto(rc, infoProto(info));
  sendProto(rc, "PING\r\n");
  expectResult(rc, pongRe);
}

json infoJSON(const std::string& line) {
  std::smatch m;
  REQUIRE(std::regex_search(line, m, infoRe));
  json j = json::parse(m[1].str(), nullptr, false);
  INFO("INFO line: " << line);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

// Starts a server without waiting for it to accept (Go: server.New, go
// s.Start()), as the stress tests do to have the servers race.
std::unique_ptr<Server> startServer(Options o) {
  o.NoLog = true;
  o.NoSigs = true;
  auto s = Server::New(std::move(o));
  s->Start();
  return s;
}

}  // namespace

TEST_CASE("TestSeedFirstRouteInfo", "[route]") {
  RunningServer seed = runSeedServer();
  Conn rc = createRouteConn(*seed.s);
  setupRoute(rc, seed.opts);
  json info = infoJSON(expectResult(rc, infoRe));
  CHECK(info["server_id"] == seed.s->ID());
}

TEST_CASE("TestSeedMultipleRouteInfo", "[route]") {
  RunningServer seed = runSeedServer();
  PortHold p1, p2, p3;  // Go: INFO ports 22, 24, 26

  Conn rc1 = createRouteConn(*seed.s);
  const std::string rc1ID = "2222";
  registerFakeRoute(rc1, seed.opts, rc1ID, "127.0.0.1", p1.port());

  Conn rc2 = createRouteConn(*seed.s);
  const std::string rc2ID = "2224";
  setupRouteEx(rc2, seed.opts, rc2ID);
  const std::string hp2 = "nats-route://127.0.0.1:" + std::to_string(p2.port()) + "/";
  {
    gnatsd::server::Info r2Info;
    r2Info.ID = rc2ID;
    r2Info.Host = "127.0.0.1";
    r2Info.Port = p2.port();
    sendProto(rc2, infoProto(r2Info));
  }

  // rc1 hears of rc2 from the seed.
  json info = infoJSON(expectResult(rc1, infoRe, 5s));
  CHECK(info["server_id"] == rc2ID);
  REQUIRE(info.contains("ip"));
  CHECK(info["ip"] == hp2);

  expectResult(rc2, infoRe);
  sendProto(rc2, "PING\r\n");
  expectResult(rc2, pongRe);

  // A third.
  Conn rc3 = createRouteConn(*seed.s);
  const std::string rc3ID = "2226";
  setupRouteEx(rc3, seed.opts, rc3ID);
  {
    gnatsd::server::Info r3Info;
    r3Info.ID = rc3ID;
    r3Info.Host = "127.0.0.1";
    r3Info.Port = p3.port();
    sendProto(rc3, infoProto(r3Info));
  }

  // Both earlier routes hear of it.
  info = infoJSON(expectResult(rc1, infoRe, 5s));
  CHECK(info["server_id"] == rc3ID);
  info = infoJSON(expectResult(rc2, infoRe, 5s));
  CHECK(info["server_id"] == rc3ID);
}

TEST_CASE("TestSeedSolicitWorks black-box", "[route]") {
  RunningServer s1 = runSeedServer();

  Options s2Opts = nextServerOpts(s1.opts);
  s2Opts.Routes = gnatsd::server::RoutesFromStr(routesStr(s1));
  RunningServer s2 = runWith(s2Opts);

  Options s3Opts = nextServerOpts(s2.opts);
  RunningServer s3 = runWith(s3Opts);

  // Fully connected: every /routez lists the two others; only the seed is
  // configured (on s2 and s3).
  waitConnected({{s1.s.get(), &s1.opts}, {s2.s.get(), &s2.opts}, {s3.s.get(), &s3.opts}}, true);
}

TEST_CASE("TestStressSeedSolicitWorks", "[route][slow]") {
  RunningServer s1 = runSeedServer();
  Options s2Opts = nextServerOpts(s1.opts);
  s2Opts.Routes = gnatsd::server::RoutesFromStr(routesStr(s1));
  Options s3Opts = nextServerOpts(s2Opts);
  Options s4Opts = nextServerOpts(s3Opts);

  // Go: 10 rounds; 5 here, to stay within the suite's time on a loaded box.
  for (int i = 0; i < 5; ++i) {
    INFO("round " << i);
    {
      // Started as fast as possible, all connecting to s1 at once.
      auto s2 = startServer(s2Opts);
      auto s3 = startServer(s3Opts);
      auto s4 = startServer(s4Opts);
      REQUIRE(s2->ReadyForConnections(10s));
      REQUIRE(s3->ReadyForConnections(10s));
      REQUIRE(s4->ReadyForConnections(10s));
      // For checkConnected's messages only.
      Options o2 = s2Opts, o3 = s3Opts, o4 = s4Opts;
      fillActualPorts(o2, *s2);
      fillActualPorts(o3, *s3);
      fillActualPorts(o4, *s4);
      waitConnected({{s1.s.get(), &s1.opts}, {s2.get(), &o2}, {s3.get(), &o3}, {s4.get(), &o4}}, true);
    }
    // The seed drops the routes of servers that went away.
    REQUIRE(checkFor(10s, 10ms, [&] { return s1.s->NumRoutes() == 0; }));
  }
}

TEST_CASE("TestChainedSolicitWorks black-box", "[route]") {
  RunningServer s1 = runSeedServer();

  Options s2Opts = nextServerOpts(s1.opts);
  s2Opts.Routes = gnatsd::server::RoutesFromStr(routesStr(s1));
  RunningServer s2 = runWith(s2Opts);

  // s3 connects to s2, not the seed.
  Options s3Opts = nextServerOpts(s2.opts);
  s3Opts.Routes = gnatsd::server::RoutesFromStr(routesStr(s2));
  RunningServer s3 = runWith(s3Opts);

  // On s2 the seed is configured; on s3, s2 is.
  waitConnected({{s1.s.get(), &s1.opts}, {s2.s.get(), &s2.opts}, {s3.s.get(), &s3.opts}}, false);
}

TEST_CASE("TestStressChainedSolicitWorks", "[route][slow]") {
  RunningServer s1 = runSeedServer();

  // Go: 10 rounds; 5 here, to stay within the suite's time on a loaded box.
  for (int i = 0; i < 5; ++i) {
    INFO("round " << i);
    {
      // s2 -> s1, s3 -> s2, s4 -> s3. Go starts all three at once on fixed
      // ports; each cluster port is random here, so each server is started
      // once its predecessor's route listener is up (without waiting for
      // any route to form).
      Options o2 = nextServerOpts(s1.opts);
      o2.Routes = gnatsd::server::RoutesFromStr(routesStr(s1));
      auto s2 = startServer(o2);
      REQUIRE(s2->ReadyForConnections(10s));
      fillActualPorts(o2, *s2);

      Options o3 = nextServerOpts(o2);
      o3.Routes = gnatsd::server::RoutesFromStr("nats-route://127.0.0.1:" + std::to_string(o2.Cluster.Port) + "/");
      auto s3 = startServer(o3);
      REQUIRE(s3->ReadyForConnections(10s));
      fillActualPorts(o3, *s3);

      Options o4 = nextServerOpts(o3);
      o4.Routes = gnatsd::server::RoutesFromStr("nats-route://127.0.0.1:" + std::to_string(o3.Cluster.Port) + "/");
      auto s4 = startServer(o4);
      REQUIRE(s4->ReadyForConnections(10s));
      fillActualPorts(o4, *s4);

      waitConnected({{s1.s.get(), &s1.opts}, {s2.get(), &o2}, {s3.get(), &o3}, {s4.get(), &o4}}, false);
    }
    REQUIRE(checkFor(10s, 10ms, [&] { return s1.s->NumRoutes() == 0; }));
  }
}

TEST_CASE("TestAuthSeedSolicitWorks", "[route]") {
  RunningServer s1 = runAuthSeedServer();
  REQUIRE(s1.opts.Cluster.Password == "T0PS3cr3T!");

  Options s2Opts = nextServerOpts(s1.opts);
  s2Opts.Routes = gnatsd::server::RoutesFromStr(routesStr(s1, true));
  RunningServer s2 = runWith(s2Opts);

  // s3 has the same cluster credentials; it dials s2 with them when the
  // seed tells it about s2 (which requires auth).
  Options s3Opts = nextServerOpts(s2.opts);
  RunningServer s3 = runWith(s3Opts);

  waitConnected({{s1.s.get(), &s1.opts}, {s2.s.get(), &s2.opts}, {s3.s.get(), &s3.opts}}, true);
}

TEST_CASE("TestSeedReturnIPInInfo", "[route]") {
  RunningServer seed = runSeedServer();
  PortHold p1, p2;  // Go: INFO ports 22, 24 (host localhost)

  Conn rc1 = createRouteConn(*seed.s);
  registerFakeRoute(rc1, seed.opts, "2222", "localhost", p1.port());

  Conn rc2 = createRouteConn(*seed.s);
  setupRouteEx(rc2, seed.opts, "2224");
  gnatsd::server::Info r2Info;
  r2Info.ID = "2224";
  r2Info.Host = "localhost";
  r2Info.Port = p2.port();
  sendProto(rc2, infoProto(r2Info));

  // The INFO rc1 receives about rc2 carries the IP the seed saw rc2 from.
  json info = infoJSON(expectResult(rc1, infoRe, 5s));
  REQUIRE(info.contains("ip"));
  std::string ip = info["ip"];
  INFO("ip: " << ip);
  REQUIRE(ip.rfind("nats-route://", 0) == 0);
  ip = ip.substr(std::string("nats-route://").size());
  const auto colon = ip.rfind(':');
  REQUIRE(colon != std::string::npos);
  std::string rip = ip.substr(0, colon);
  if (rip.size() > 2 && rip.front() == '[') rip = rip.substr(1, rip.size() - 2);

  std::string peerIP;
  int peerPort = 0;
  REQUIRE(gnatsd::server::PeerAddr(rc1.fd(), &peerIP, &peerPort));
  CHECK(rip == peerIP);
}

TEST_CASE("TestImplicitRouteRetry", "[route]") {
  RunningServer seed = runSeedServer();

  Options optsA = nextServerOpts(seed.opts);
  optsA.Routes = gnatsd::server::RoutesFromStr("nats://127.0.0.1:" + std::to_string(seed.opts.Cluster.Port));
  optsA.Cluster.ConnectRetries = 5;
  // Debug log: the sign that A tried B and failed.
  auto log = std::make_shared<capturingLogger>();
  auto srvA = runLogged(optsA, log);
  // C++ only: A's route to the seed is up before B registers, so that the
  // seed forwards B's INFO to A (Go relies on timing).
  checkClusterFormed({seed.s.get(), srvA.get()});

  // Fake server B registers at the seed with a port that refuses A's dials.
  PortHold portB;
  Conn rcb = createRouteConn(*seed.s);
  const std::string rcbID = "ServerB";
  registerFakeRoute(rcb, seed.opts, rcbID, "127.0.0.1", portB.port());

  // A tries to connect and fails (Go: sleeps 1.2s for that).
  bool failed = checkFor(10s, 10ms, [&] { return log->contains("Error trying to connect to route"); });
  INFO(log->all());
  REQUIRE(failed);

  // Now B listens: A, retrying (connect_retries 5), gets through.
  Conn c = portB.accept(10s);
  // CONNECT, then INFO from server A.
  std::string connectLine = expectResult(c, connectRe, 5s);
  CHECK(connectLine.rfind("CONNECT {", 0) == 0);
  json info = infoJSON(expectResult(c, infoRe, 5s));
  CHECK(info["server_id"] == srvA->ID());
}
