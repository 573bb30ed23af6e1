// Go: server/monitor_test.go (gnatsd v1.0.0)
// The monitor's endpoints, JSON shape, sorting and paging, from the server's side.
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/monitor.h"
#include "test/helpers/monitor_helpers.h"

using namespace gnatsd::test;
using namespace std::chrono;
using gnatsd::server::goMarshalIndent;
using gnatsd::server::myUptime;
using gnatsd::server::queryGet;
using gnatsd::server::rfc3339Nano;

TEST_CASE("TestMyUptime", "[monitor]") {
  nanoseconds d = 22s;
  CHECK(myUptime(d) == "22s");
  d += 4min;
  CHECK(myUptime(d) == "4m22s");
  d += 4h;
  CHECK(myUptime(d) == "4h4m22s");
  d += 32 * 24h;
  CHECK(myUptime(d) == "32d4h4m22s");
  d += 22 * 365 * 24h;
  CHECK(myUptime(d) == "22y32d4h4m22s");
  CHECK(myUptime(0s) == "0s");
  CHECK(myUptime(999ms) == "0s");
  CHECK(myUptime(-5s) == "-5s");  // as Go prints it
}

TEST_CASE("TestMonitorGoJSON", "[monitor]") {
  // Go's MarshalIndent: 2 spaces, "key": value, <>& escaped, floats short.
  OJson j;
  j["a"] = 1;
  j["s"] = "foo.> <&>";
  j["f0"] = 0.0;
  j["f1"] = 1.5;
  j["f2"] = 1.0 / 3.0;
  j["tiny"] = 1e-7;
  j["e"] = OJson::array();
  j["o"] = OJson::object();
  j["l"] = {1, 2};
  j["n"] = {{"x", true}};
  CHECK(goMarshalIndent(j) ==
        "{\n  \"a\": 1,\n  \"s\": \"foo.\\u003e \\u003c\\u0026\\u003e\",\n  \"f0\": 0,\n  \"f1\": 1.5,\n"
        "  \"f2\": 0.3333333333333333,\n  \"tiny\": 1e-7,\n  \"e\": [],\n  \"o\": {},\n"
        "  \"l\": [\n    1,\n    2\n  ],\n  \"n\": {\n    \"x\": true\n  }\n}");
  // Bad UTF-8 becomes \ufffd, as Go writes it.
  OJson b;
  b["x"] = std::string("a\xff");
  CHECK(goMarshalIndent(b) == "{\n  \"x\": \"a\\ufffd\"\n}");
  // RFC 3339 with nanoseconds, trailing zeros cut.
  const auto t = system_clock::time_point(duration_cast<system_clock::duration>(nanoseconds(1500000000123456700LL)));
  const std::string s = rfc3339Nano(t);
  CHECK(std::regex_match(s, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.1234567(Z|[+-]\d\d:\d\d))")));
  CHECK(parseRFC3339(s) == 1500000000123456700LL);
  CHECK(rfc3339Nano(system_clock::time_point(seconds(1500000000))).find('.') == std::string::npos);
  // Query values as Go's url.Values.Get reads them.
  CHECK(queryGet("sort=bytes_to&limit=2", "limit") == "2");
  CHECK(queryGet("a=1&a=2", "a") == "1");
  CHECK(queryGet("callback=my+fn%21", "callback") == "my fn!");
  CHECK(queryGet("x=%zz&x=ok", "x") == "ok");
  CHECK(queryGet("a=1;b=2", "b") == "2");
  CHECK(queryGet("", "a").empty());
}

TEST_CASE("TestNoMonitorPort", "[monitor]") {
  Options o = DefaultMonitorOptions();
  o.HTTPPort = 0;
  auto s = RunServer(o);
  CHECK(s->MonitorAddr().empty());
  CHECK(s->MonitorPort() == 0);
}

TEST_CASE("TestVarz", "[monitor]") {
  auto s = runMonitorServer();
  OJson v = getJSON(*s, "/varz");
  CHECK(keysOf(v) == kVarzKeys);
  CHECK(keysOf(v["cluster"]) == kClusterKeys);
  const int64_t start = parseRFC3339(v["start"]);
  const int64_t now = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  CHECK(now - start < duration_cast<nanoseconds>(10s).count());
  CHECK(now - start >= 0);
  CHECK(parseRFC3339(v["now"]) >= start);
  CHECK(parseRFC3339(v["config_load_time"]) == start);
  // Types as Go's structs give them.
  for (const char* k : {"server_id", "version", "go", "host", "addr", "http_host", "start", "now", "uptime"}) {
    INFO(k);
    CHECK(v[k].is_string());
  }
  for (const char* k : {"auth_required", "ssl_required", "tls_required", "tls_verify"}) {
    INFO(k);
    CHECK(v[k].is_boolean());
  }
  for (const char* k : {"max_connections", "ping_interval", "ping_max", "http_port", "https_port",
                        "max_control_line", "port", "max_payload", "mem", "cores", "connections",
                        "total_connections", "routes", "remotes", "in_msgs", "out_msgs", "in_bytes", "out_bytes",
                        "slow_consumers", "subscriptions"}) {
    INFO(k);
    CHECK(v[k].is_number_integer());
  }
  for (const char* k : {"cpu", "auth_timeout", "tls_timeout"}) {
    INFO(k);
    CHECK(v[k].is_number());
  }
  CHECK(v["server_id"] == s->ID());
  CHECK(v["version"] == "1.0.0");
  CHECK(v["port"] == s->Port());
  CHECK(v["http_port"] == -1);  // the option as given, as gnatsd shows it
  CHECK(v["ping_interval"] == duration_cast<nanoseconds>(2min).count());
  CHECK(v["ping_max"] == 2);
  CHECK(v["max_payload"] == 1048576);
  CHECK(v["auth_timeout"] == 1);
  CHECK(v["mem"].get<int64_t>() > 0);
  CHECK(v["cores"].get<int64_t>() >= 1);
  CHECK(v["http_req_stats"]["/varz"] == 1);
  CHECK(keysOf(v["http_req_stats"]) == std::vector<std::string>{"/", "/connz", "/routez", "/subsz", "/varz"});

  Conn nc = createClientConnSubscribeAndPublish(*s);
  v = getJSON(*s, "/varz");
  CHECK(v["connections"] == 1);
  CHECK(v["total_connections"].get<int64_t>() >= 1);
  CHECK(v["in_msgs"] == 1);
  CHECK(v["out_msgs"] == 1);
  CHECK(v["in_bytes"] == 5);
  CHECK(v["out_bytes"] == 5);
  CHECK(v["subscriptions"] == 1);
  CHECK(v["http_req_stats"]["/varz"] == 2);

  // JSONP.
  HTTPResponse r = httpGet(s->MonitorPort(), "/varz?callback=callback");
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/javascript");
  CHECK(r.body.rfind("callback({", 0) == 0);
  CHECK(r.body.back() == ')');
  CHECK(OJson::parse(r.body.substr(9, r.body.size() - 10))["connections"] == 1);
}

TEST_CASE("TestConnz", "[monitor]") {
  auto s = runMonitorServer();
  OJson c = getJSON(*s, "/connz");
  CHECK(keysOf(c) == kConnzKeys);
  CHECK(c["num_connections"] == 0);
  CHECK(c["total"] == 0);
  REQUIRE(c["connections"].is_array());
  CHECK(c["connections"].empty());

  Conn nc = createClientConnSubscribeAndPublish(*s);
  // The client has all its bytes; the server notes so once its flush takes
  // the client's lock back, which a loaded machine may delay a little.
  CHECK(checkFor(2s, 5ms, [&] {
    OJson p = getJSON(*s, "/connz");
    return p["connections"].size() == 1 && p["connections"][0]["pending_bytes"] == 0;
  }));
  c = getJSON(*s, "/connz");
  CHECK(c["num_connections"] == 1);
  CHECK(c["total"] == 1);
  REQUIRE(c["connections"].size() == 1);
  CHECK(c["limit"] == gnatsd::server::DefaultConnListSize);
  CHECK(c["offset"] == 0);

  const OJson& ci = c["connections"][0];
  checkConnInfoKeys(ci, {});
  CHECK(ci["cid"].get<uint64_t>() != 0);
  CHECK(ci["ip"] == "127.0.0.1");
  CHECK(ci["port"].get<int>() != 0);
  CHECK(ci["subscriptions"] == 1);
  CHECK(ci["in_msgs"] == 1);
  CHECK(ci["out_msgs"] == 1);
  CHECK(ci["in_bytes"] == 5);
  CHECK(ci["out_bytes"] == 5);
  CHECK(ci["pending_bytes"] == 0);
  CHECK(ci["uptime"].is_string());
  CHECK(ci["idle"].is_string());
  parseUptime(ci["uptime"]);
  parseUptime(ci["idle"]);
  CHECK(parseRFC3339(ci["last_activity"]) >= parseRFC3339(ci["start"]));

  HTTPResponse r = httpGet(s->MonitorPort(), "/connz?callback=callback");
  REQUIRE(r.ok);
  CHECK(r.header("content-type") == "application/javascript");
}

TEST_CASE("TestConnzWithSubs", "[monitor]") {
  auto s = runMonitorServer();
  Conn nc = createClientConnSubscribeAndPublish(*s);
  sendProto(nc, "SUB bar.> 2\r\n");
  flushConn(nc);
  OJson c = getJSON(*s, "/connz?subs=1");
  const OJson& ci = c["connections"][0];
  checkConnInfoKeys(ci, {"subscriptions_list"});
  std::set<std::string> subs(ci["subscriptions_list"].begin(), ci["subscriptions_list"].end());
  CHECK(subs == std::set<std::string>{"foo", "bar.>"});
  // The raw body has Go's escape for '>'.
  HTTPResponse r = httpGet(s->MonitorPort(), "/connz?subs=1");
  CHECK(r.body.find("\"bar.\\u003e\"") != std::string::npos);
  // Without subs=1, no list.
  checkConnInfoKeys(getJSON(*s, "/connz")["connections"][0], {});
}

TEST_CASE("TestConnzLastActivity", "[monitor]") {
  auto s = runMonitorServer();
  Conn nc = createClientConnSubscribeAndPublish(*s);
  Conn nc2 = createClientConnSubscribeAndPublish(*s);
  auto lastOf = [&](uint64_t cid) {
    OJson c = getJSON(*s, "/connz?subs=1");
    for (const auto& ci : c["connections"]) {
      if (ci["cid"] == cid) return parseRFC3339(ci["last_activity"]);
    }
    FAIL("no such cid");
    return int64_t(0);
  };
  const uint64_t cid = getJSON(*s, "/connz")["connections"][0]["cid"];
  int64_t last = lastOf(cid);
  CHECK(last != 0);
  // Each of these moves last_activity on: SUB, PUB, UNSUB, a delivery.
  auto moved = [&](const std::function<void()>& act) {
    const int64_t before = last;
    // The clock must pass the previous value for a change to show.
    while (duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count() <= before) std::this_thread::yield();
    act();
    bool ok = checkFor(2s, 10ms, [&] { return (last = lastOf(cid)) > before; });
    return ok;
  };
  CHECK(moved([&] {
    sendProto(nc, "SUB hello.world 9\r\n");
    flushConn(nc);
  }));
  CHECK(moved([&] {
    sendProto(nc, "PUB foo 5\r\nhello\r\n");
    flushConn(nc);
  }));
  CHECK(moved([&] {
    sendProto(nc, "UNSUB 9\r\n");
    flushConn(nc);
  }));
  CHECK(moved([&] {
    sendProto(nc2, "PUB foo 5\r\nhello\r\n");
    flushConn(nc2);
  }));
}

TEST_CASE("TestConnzWithOffsetAndLimit", "[monitor]") {
  auto s = runMonitorServer();
  OJson c = getJSON(*s, "/connz?offset=1&limit=1");
  CHECK(c["connections"].empty());
  c = getJSON(*s, "/connz?offset=-1&limit=-1");
  CHECK(c["connections"].empty());
  CHECK(c["offset"] == 0);
  CHECK(c["limit"] == gnatsd::server::DefaultConnListSize);
  // Garbage reads as 0, as strconv.Atoi's error is ignored.
  c = getJSON(*s, "/connz?offset=x&limit=y");
  CHECK(c["offset"] == 0);
  CHECK(c["limit"] == gnatsd::server::DefaultConnListSize);

  Conn cl1 = createClientConnSubscribeAndPublish(*s);
  Conn cl2 = createClientConnSubscribeAndPublish(*s);
  c = getJSON(*s, "/connz?offset=1&limit=1");
  CHECK(c["limit"] == 1);
  CHECK(c["offset"] == 1);
  CHECK(c["connections"].size() == 1);
  CHECK(c["num_connections"] == 1);
  CHECK(c["total"] == 2);
  const uint64_t second = c["connections"][0]["cid"];
  c = getJSON(*s, "/connz?offset=0&limit=1");
  CHECK(c["connections"][0]["cid"].get<uint64_t>() < second);
  c = getJSON(*s, "/connz?offset=2&limit=1");
  CHECK(c["limit"] == 1);
  CHECK(c["offset"] == 2);
  CHECK(c["connections"].empty());
  CHECK(c["num_connections"] == 0);
  CHECK(c["total"] == 2);
  // Huge values neither overflow nor fail.
  c = getJSON(*s, "/connz?offset=9223372036854775807&limit=9223372036854775807");
  CHECK(c["connections"].empty());
  c = getJSON(*s, "/connz?offset=1&limit=9223372036854775807");
  CHECK(c["connections"].size() == 1);
}

namespace {
// Clients 0..n-1 with SUB foo and one message each way.
std::vector<Conn> someClients(Server& s, int n) {
  std::vector<Conn> v;
  for (int i = 0; i < n; ++i) v.push_back(createClientConnSubscribeAndPublish(s));
  return v;
}

std::vector<int64_t> column(const OJson& c, const std::string& key) {
  std::vector<int64_t> out;
  for (const auto& ci : c["connections"]) out.push_back(ci[key].get<int64_t>());
  return out;
}
}  // namespace

TEST_CASE("TestConnzDefaultSorted", "[monitor]") {
  auto s = runMonitorServer();
  auto clients = someClients(*s, 4);
  auto cids = column(getJSON(*s, "/connz"), "cid");
  REQUIRE(cids.size() == 4);
  CHECK(std::is_sorted(cids.begin(), cids.end()));
}

TEST_CASE("TestConnzSortedByCid", "[monitor]") {
  auto s = runMonitorServer();
  auto clients = someClients(*s, 4);
  auto cids = column(getJSON(*s, "/connz?sort=cid"), "cid");
  REQUIRE(cids.size() == 4);
  CHECK(std::is_sorted(cids.begin(), cids.end()));
  CHECK(std::adjacent_find(cids.begin(), cids.end()) == cids.end());
}

TEST_CASE("TestConnzSortedByBytesAndMsgs", "[monitor]") {
  auto s = runMonitorServer();
  // The first client publishes more than the others, to a subject nobody
  // else wants, and receives more (its own messages on its own SUB).
  Conn first = createClientConnSubscribeAndPublish(*s);
  sendProto(first, "SUB mine 2\r\n");
  std::string batch;
  for (int i = 0; i < 100; ++i) batch += "PUB mine 11\r\nHello World\r\n";
  sendProto(first, batch);
  expectMsgs(first, 100);
  const uint64_t firstCid = getJSON(*s, "/connz")["connections"][0]["cid"];
  auto clients = someClients(*s, 3);
  for (auto& c : clients) flushConn(c);
  flushConn(first);
  for (const char* key : {"bytes_to", "msgs_to", "bytes_from", "msgs_from"}) {
    const std::string field = std::string(key) == "bytes_to"     ? "out_bytes"
                              : std::string(key) == "msgs_to"    ? "out_msgs"
                              : std::string(key) == "bytes_from" ? "in_bytes"
                                                                 : "in_msgs";
    INFO(key);
    OJson c = getJSON(*s, std::string("/connz?sort=") + key);
    auto vals = column(c, field);
    REQUIRE(vals.size() == 4);
    CHECK(std::is_sorted(vals.rbegin(), vals.rend()));
    CHECK(c["connections"][0]["cid"] == firstCid);
  }
}

TEST_CASE("TestConnzSortedByPending", "[monitor]") {
  auto s = runMonitorServer();
  auto clients = someClients(*s, 4);
  // Until each flush has taken its client's lock back, a client may still
  // show the bytes it already has.
  REQUIRE(checkFor(2s, 5ms, [&] {
    for (int64_t v : column(getJSON(*s, "/connz"), "pending_bytes")) {
      if (v != 0) return false;
    }
    return true;
  }));
  OJson c = getJSON(*s, "/connz?sort=pending");
  auto vals = column(c, "pending_bytes");
  REQUIRE(vals.size() == 4);
  CHECK(std::is_sorted(vals.rbegin(), vals.rend()));
  // Equal keys fall back to cid order.
  auto cids = column(c, "cid");
  CHECK(std::is_sorted(cids.begin(), cids.end()));
}

TEST_CASE("TestConnzSortedByPendingNonZero", "[monitor]") {
  // A subscriber that never reads, with a tiny receive buffer, has bytes
  // queued for it: it sorts first and shows them.
  Options o = DefaultMonitorOptions();
  o.WriteDeadline = 30s;
  o.MaxPending = 64 * 1024 * 1024;
  auto s = RunServer(o);
  auto clients = someClients(*s, 2);
  Conn stalled = createClientConn(*s);
  int small = 4096;
  ::setsockopt(stalled.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  setupConn(stalled);
  sendProto(stalled, "SUB big 1\r\n");
  flushConn(stalled);
  Conn pub = createClientConn(*s);
  setupConn(pub);
  const std::string payload(65536, 'p');
  for (int i = 0; i < 64; ++i) sendProto(pub, "PUB big 65536\r\n" + payload + "\r\n");
  flushConn(pub);
  OJson c;
  REQUIRE(checkFor(10s, 20ms, [&] {
    c = getJSON(*s, "/connz?sort=pending");
    return c["connections"][0]["pending_bytes"].get<int64_t>() > 0;
  }));
  auto vals = column(c, "pending_bytes");
  CHECK(std::is_sorted(vals.rbegin(), vals.rend()));
}

TEST_CASE("TestConnzSortedBySubs", "[monitor]") {
  auto s = runMonitorServer();
  Conn first = createClientConnSubscribeAndPublish(*s);
  sendProto(first, "SUB hello.world 2\r\n");
  flushConn(first);
  auto clients = someClients(*s, 3);
  OJson c = getJSON(*s, "/connz?sort=subs");
  auto vals = column(c, "subscriptions");
  REQUIRE(vals.size() == 4);
  CHECK(vals[0] == 2);
  CHECK(std::is_sorted(vals.rbegin(), vals.rend()));
}

TEST_CASE("TestConnzSortedByLast", "[monitor]") {
  auto s = runMonitorServer();
  auto clients = someClients(*s, 4);
  // The oldest client acts last, so it sorts first.
  sendProto(clients[0], "SUB hello.world 2\r\n");
  flushConn(clients[0]);
  OJson c = getJSON(*s, "/connz?sort=last");
  REQUIRE(c["connections"].size() == 4);
  std::vector<int64_t> lasts;
  for (const auto& ci : c["connections"]) lasts.push_back(parseRFC3339(ci["last_activity"]));
  CHECK(std::is_sorted(lasts.rbegin(), lasts.rend()));
  CHECK(c["connections"][0]["cid"] == column(getJSON(*s, "/connz"), "cid")[0]);
}

TEST_CASE("TestConnzSortedByUptime", "[monitor]") {
  auto s = runMonitorServer();
  auto clients = someClients(*s, 5);
  OJson c = getJSON(*s, "/connz?sort=uptime");
  REQUIRE(c["connections"].size() == 5);
  std::vector<int64_t> starts;
  for (const auto& ci : c["connections"]) starts.push_back(parseRFC3339(ci["start"]));
  CHECK(std::is_sorted(starts.begin(), starts.end()));
  auto cids = column(c, "cid");
  CHECK(std::is_sorted(cids.begin(), cids.end()));
}

TEST_CASE("TestConnzSortedByIdle", "[monitor]") {
  auto s = runMonitorServer();
  Conn firstClient = createClientConnSubscribeAndPublish(*s);
  sendProto(firstClient, "SUB client.1 2\r\n");
  flushConn(firstClient);
  Conn secondClient = createClientConnSubscribeAndPublish(*s);
  sendProto(secondClient, "SUB client.2 2\r\n");
  flushConn(secondClient);
  // Idle has whole-second granularity: wait until the first idle second
  // shows, then make the first client active again.
  REQUIRE(checkFor(5s, 50ms, [&] {
    OJson c = getJSON(*s, "/connz");
    return parseUptime(c["connections"][0]["idle"]) >= 1;
  }));
  sendProto(firstClient, "PUB client.1 11\r\nnew message\r\n");
  flushConn(firstClient);
  OJson c = getJSON(*s, "/connz?sort=idle");
  INFO("sort=idle: " << c.dump() << "\nby cid: " << getJSON(*s, "/connz").dump());
  REQUIRE(c["connections"].size() == 2);
  const int64_t idle1 = parseUptime(c["connections"][0]["idle"]);
  const int64_t idle2 = parseUptime(c["connections"][1]["idle"]);
  CHECK(idle1 >= idle2);
  CHECK(idle1 >= 1);
  CHECK(c["connections"][1]["cid"].get<uint64_t>() < c["connections"][0]["cid"].get<uint64_t>());
}

TEST_CASE("TestConnzSortBadRequest", "[monitor]") {
  auto s = runMonitorServer();
  auto clients = someClients(*s, 2);
  HTTPResponse r = httpGet(s->MonitorPort(), "/connz?sort=foo");
  REQUIRE(r.ok);
  CHECK(r.status == 400);
  CHECK(r.body == "Invalid sorting option: foo");
  r = httpGet(s->MonitorPort(), "/connz?sort=%3Cx%3E");
  CHECK(r.status == 400);
  CHECK(r.body == "Invalid sorting option: <x>");
  // Every valid key is accepted.
  for (const char* k : {"cid", "subs", "pending", "msgs_to", "msgs_from", "bytes_to", "bytes_from", "last", "idle",
                        "uptime", ""}) {
    INFO(k);
    CHECK(httpGet(s->MonitorPort(), std::string("/connz?sort=") + k).status == 200);
  }
}

TEST_CASE("TestConnzWithRoutes", "[monitor][route]") {
  Options opts = DefaultMonitorOptions();
  opts.Cluster.Host = "127.0.0.1";
  opts.Cluster.Port = -1;
  auto s = RunServer(opts);
  Options bo;
  bo.Host = "127.0.0.1";
  bo.Port = -1;
  bo.Cluster.Host = "127.0.0.1";
  bo.Cluster.Port = -1;
  bo.Routes = {*gnatsd::server::ParseURL("nats-route://127.0.0.1:" + std::to_string(s->ClusterPort()))};
  auto sc = RunServer(bo);
  REQUIRE(checkFor(10s, 20ms, [&] { return s->NumRoutes() == 1 && sc->NumRoutes() == 1; }));
  // A subscription on the other server shows on the route here.
  Conn nc = createClientConn(*sc);
  sendProto(nc, "SUB foo 1\r\nPING\r\n");
  expectResult(nc, pongRe);
  REQUIRE(checkFor(10s, 20ms, [&] { return s->NumSubscriptions() == 1; }));

  // Routes never show under /connz, only under /routez.
  OJson c = getJSON(*s, "/connz");
  CHECK(c["num_connections"] == 0);
  REQUIRE(c["connections"].is_array());
  CHECK(c["connections"].empty());

  OJson rz = getJSON(*s, "/routez");
  CHECK(keysOf(rz) == kRoutezKeys);
  CHECK(rz["num_routes"] == 1);
  REQUIRE(rz["routes"].size() == 1);
  parseRFC3339(rz["now"]);
  OJson r = rz["routes"][0];
  CHECK(keysOf(r) == std::vector<std::string>{"rid", "remote_id", "did_solicit", "is_configured", "ip", "port",
                                              "pending_size", "in_msgs", "out_msgs", "in_bytes", "out_bytes",
                                              "subscriptions"});
  CHECK(r["remote_id"] == sc->ID());
  CHECK(r["did_solicit"] == false);  // sc dialled us
  CHECK(r["is_configured"] == false);
  CHECK(r["ip"] == "127.0.0.1");
  CHECK(r["port"].get<int>() > 0);
  CHECK(r["subscriptions"] == 1);
  OJson withSubs = getJSON(*s, "/routez?subs=1")["routes"][0];
  CHECK(withSubs["subscriptions_list"] == OJson::array({"foo"}));
  HTTPResponse jr = httpGet(s->MonitorPort(), "/routez?callback=callback");
  REQUIRE(jr.ok);
  CHECK(jr.header("content-type") == "application/javascript");
  OJson v = getJSON(*s, "/varz");
  CHECK(v["routes"] == 1);
  CHECK(v["remotes"] == 1);
  CHECK(v["http_req_stats"]["/routez"] == 3);
}

TEST_CASE("TestMonitorRoutezRace", "[monitor][route]") {
  // /routez while a route comes and goes, ten times: every answer is whole
  // JSON and nothing crashes (Go runs it under the race detector).
  Options ao = DefaultMonitorOptions();
  ao.Cluster.Host = "127.0.0.1";
  ao.Cluster.Port = -1;
  auto a = RunServer(ao);
  Options bo;
  bo.Host = "127.0.0.1";
  bo.Port = -1;
  bo.Cluster.Host = "127.0.0.1";
  bo.Cluster.Port = -1;
  bo.NoLog = bo.NoSigs = true;
  bo.Routes = {*gnatsd::server::ParseURL("nats://127.0.0.1:" + std::to_string(a->ClusterPort()))};
  std::atomic<bool> done{false};
  std::thread churn([&] {
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(10ms);
      auto b = Server::New(bo);
      b->Start();
      std::this_thread::sleep_for(20ms);
      b->Shutdown();
    }
    done = true;
  });
  int answers = 0, bad = 0;
  while (!done) {
    HTTPResponse r = httpGet(a->MonitorPort(), "/routez");
    if (!r.ok) continue;
    ++answers;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || j.is_discarded() || !j["routes"].is_array() ||
        j["num_routes"].get<size_t>() != j["routes"].size()) {
      ++bad;
    }
  }
  churn.join();
  CHECK(answers > 0);
  CHECK(bad == 0);
  // Every route that came went again.
  CHECK(checkFor(10s, 20ms, [&] { return a->NumRoutes() == 0; }));
}

TEST_CASE("TestSubsz", "[monitor]") {
  auto s = runMonitorServer();
  Conn nc = createClientConnSubscribeAndPublish(*s);
  OJson sl = getJSON(*s, "/subscriptionsz");
  CHECK(keysOf(sl) == kSubszKeys);
  CHECK(sl["num_subscriptions"] == 1);
  CHECK(sl["num_inserts"] == 1);
  CHECK(sl["num_matches"] == 1);
  CHECK(sl["num_removes"] == 0);
  for (const auto& k : kSubszKeys) {
    INFO(k);
    CHECK(sl[k].is_number());
  }
  CHECK(getJSON(*s, "/subsz") == sl);
  HTTPResponse r = httpGet(s->MonitorPort(), "/subscriptionsz?callback=callback");
  REQUIRE(r.ok);
  CHECK(r.header("content-type") == "application/javascript");
  // Both names count as /subsz.
  CHECK(getJSON(*s, "/varz")["http_req_stats"]["/subsz"] == 3);
}

TEST_CASE("TestHandleRoot", "[monitor]") {
  auto s = runMonitorServer();
  Conn nc = createClientConnSubscribeAndPublish(*s);
  HTTPResponse r = httpGet(s->MonitorPort(), "/");
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  for (unsigned char b : r.body) CHECK(b < 0x80);
  CHECK(r.header("content-type").find("text/html") != std::string::npos);
  CHECK(r.body.find("<a href=/varz>varz</a><br/>") != std::string::npos);
  CHECK(r.body.find("<a href=/subsz>subsz</a><br/>") != std::string::npos);
  CHECK(getJSON(*s, "/varz")["http_req_stats"]["/"] == 1);
}

TEST_CASE("TestHandleRootUnknownPath", "[monitor]") {
  auto s = runMonitorServer();
  for (const char* p : {"/healthz", "/varz/", "/foo/bar", "/VARZ"}) {
    INFO(p);
    HTTPResponse r = httpGet(s->MonitorPort(), p);
    REQUIRE(r.ok);
    CHECK(r.status == 404);
    CHECK(r.body == "404 page not found\n");
    CHECK(r.header("content-type") == "text/plain; charset=utf-8");
  }
  // A path that is not clean is redirected, as Go's ServeMux does.
  HTTPResponse r = httpGet(s->MonitorPort(), "/x/../varz?a=1");
  CHECK(r.status == 301);
  CHECK(r.header("location") == "/varz?a=1");
  // Unknown paths are not counted.
  CHECK(getJSON(*s, "/varz")["http_req_stats"]["/"] == 0);
}

TEST_CASE("TestConnzWithNamedClient", "[monitor]") {
  auto s = runMonitorServer();
  Conn nc = createClientConnWithName(*s, "test-client");
  OJson c = getJSON(*s, "/connz");
  REQUIRE(c["connections"].size() == 1);
  const OJson& ci = c["connections"][0];
  CHECK(ci["name"] == "test-client");
  CHECK(ci["lang"] == "c++");
  CHECK(ci["version"] == "0.1");
  checkConnInfoKeys(ci, {"name", "lang", "version"});
}

TEST_CASE("TestStacksz", "[monitor]") {
  auto s = runMonitorServer();
  // A thread names itself once it runs, which may be just after Start.
  CHECK(checkFor(5s, 10ms, [&] {
    return httpGet(s->MonitorPort(), "/stacksz").body.find("accept:" + std::to_string(s->Port())) !=
           std::string::npos;
  }));
  HTTPResponse r = httpGet(s->MonitorPort(), "/stacksz");
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  INFO(r.body);
  // The server's own threads, by name.
  CHECK(r.body.find("http:" + std::to_string(s->MonitorPort())) != std::string::npos);
  CHECK(r.body.find("accept:" + std::to_string(s->Port())) != std::string::npos);
  CHECK(r.body.find("(serving this request)") != std::string::npos);
  r = httpGet(s->MonitorPort(), "/stacksz?callback=callback");
  CHECK(r.header("content-type") == "application/javascript");
  // Not counted, as in gnatsd.
  CHECK(keysOf(getJSON(*s, "/varz")["http_req_stats"]) ==
        std::vector<std::string>{"/", "/connz", "/routez", "/subsz", "/varz"});
}

TEST_CASE("TestConcurrentMonitoring", "[monitor]") {
  auto s = runMonitorServer();
  const std::vector<std::string> endpoints = {"varz", "varz", "varz", "connz", "connz", "subsz", "subsz", "routez", "routez"};
  std::vector<std::string> errors(endpoints.size());
  std::vector<std::thread> threads;
  const int port = s->MonitorPort();
  for (size_t i = 0; i < endpoints.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 50; ++n) {
        HTTPResponse r = httpGet(port, "/" + endpoints[i]);
        if (!r.ok || r.status != 200 || r.header("content-type") != "application/json") {
          errors[i] = endpoints[i] + ": " + r.err + " status " + std::to_string(r.status);
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK(e.empty());
  CHECK(getJSON(*s, "/varz")["http_req_stats"]["/varz"] == 151);
}

TEST_CASE("TestMonitorHandler", "[monitor]") {
  // Go checks HTTPHandler() before and after Shutdown; here the handler is
  // HandleMonitor, and MonitorAddr says whether the monitor is up.
  auto s = runMonitorServer();
  CHECK_FALSE(s->MonitorAddr().empty());
  gnatsd::server::monitorResponse r = s->HandleMonitor("/varz?callback=f");
  CHECK(r.status == 200);
  CHECK(r.contentType == "application/javascript");
  CHECK(r.body.rfind("f({", 0) == 0);
  s->Shutdown();
  CHECK(s->MonitorAddr().empty());
  CHECK(s->MonitorPort() == 0);
}
