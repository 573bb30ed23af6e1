// Go: the helpers of server/monitor_test.go and test/monitor_test.go
// (DefaultMonitorOptions, createClientConnSubscribeAndPublish, ...), with
// the lists of JSON keys gnatsd 1.0.0's monitor structs produce.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "server/monitor.h"
#include "test/helpers/http_client.h"
#include "test/helpers/test_server.h"

namespace gnatsd::test {

using OJson = nlohmann::ordered_json;

// Go: DefaultMonitorOptions. Random client and monitor ports on 127.0.0.1.
inline Options DefaultMonitorOptions() {
  Options o = DefaultTestOptions();
  o.HTTPHost = "127.0.0.1";
  o.HTTPPort = server::RANDOM_PORT;
  return o;
}
inline std::unique_ptr<Server> runMonitorServer() { return RunServer(DefaultMonitorOptions()); }

// GET target from s's monitor; REQUIREs a 200 with a JSON body and returns
// it with its key order kept.
inline OJson getJSON(Server& s, const std::string& target, SSL_CTX* ctx = nullptr) {
  HTTPResponse r = httpGet(s.MonitorPort(), target, ctx);
  INFO("GET " << target << ": " << r.err);
  REQUIRE(r.ok);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  return OJson::parse(r.body);
}

// The keys of an object, in order.
inline std::vector<std::string> keysOf(const OJson& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

// Go: createClientConnSubscribeAndPublish. SUB foo, PUB foo "hello", and
// the MSG back: 1 message and 5 bytes each way.
inline Conn createClientConnSubscribeAndPublish(Server& s) {
  Conn c = createClientConn(s);
  setupConn(c);
  sendProto(c, "SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
  expectMsgs(c, 1);
  return c;
}

// Go: createClientConnWithName.
inline Conn createClientConnWithName(Server& s, const std::string& name) {
  Conn c = createClientConn(s);
  expectResult(c, infoRe);
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"" + name + "\",\"lang\":\"c++\",\"version\":\"0.1\"}\r\nPING\r\n");
  expectResult(c, pongRe);
  return c;
}

// Sends PING and waits for the PONG: everything before it was processed.
inline void flushConn(Conn& c) {
  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);
}

// Go's time.Time JSON (RFC 3339 with optional nanoseconds) to Unix ns.
inline int64_t parseRFC3339(const std::string& s) {
  static const std::regex re(R"(^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.(\d{1,9}))?(Z|([+-])(\d\d):(\d\d))$)");
  std::smatch m;
  REQUIRE(std::regex_match(s, m, re));
  struct tm t {};
  t.tm_year = std::stoi(m[1]) - 1900;
  t.tm_mon = std::stoi(m[2]) - 1;
  t.tm_mday = std::stoi(m[3]);
  t.tm_hour = std::stoi(m[4]);
  t.tm_min = std::stoi(m[5]);
  t.tm_sec = std::stoi(m[6]);
  int64_t secs = static_cast<int64_t>(timegm(&t));
  if (m[9] != "Z") {
    const int64_t off = std::stoi(m[11]) * 3600 + std::stoi(m[12]) * 60;
    secs -= m[10] == "+" ? off : -off;
  }
  int64_t frac = 0;
  if (m[8].matched) {
    std::string f = m[8];
    f.resize(9, '0');
    frac = std::stoll(f);
  }
  return secs * 1000000000 + frac;
}

// Go: time.ParseDuration of a myUptime string, in seconds.
inline int64_t parseUptime(const std::string& s) {
  static const std::regex re(R"(^(?:(\d+)y)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(\d+)s$)");
  std::smatch m;
  REQUIRE(std::regex_match(s, m, re));
  auto n = [&](int i) -> int64_t { return m[i].matched ? std::stoll(m[i]) : 0; };
  return (((n(1) * 365 + n(2)) * 24 + n(3)) * 60 + n(4)) * 60 + n(5);
}

// The JSON keys of gnatsd 1.0.0's structs, in the order encoding/json
// writes them (Varz: Info, then Options' visible fields, then its own; ip
// and connect_urls are omitempty and absent here).
inline const std::vector<std::string> kVarzKeys = {
    "server_id", "version", "go", "host", "auth_required", "ssl_required", "tls_required", "tls_verify",
    "addr", "max_connections", "ping_interval", "ping_max", "http_host", "http_port", "https_port",
    "auth_timeout", "max_control_line", "cluster", "tls_timeout", "port", "max_payload", "start", "now",
    "uptime", "mem", "cores", "cpu", "connections", "total_connections", "routes", "remotes", "in_msgs",
    "out_msgs", "in_bytes", "out_bytes", "slow_consumers", "subscriptions", "http_req_stats",
    "config_load_time"};
inline const std::vector<std::string> kClusterKeys = {"addr", "cluster_port", "auth_timeout"};
inline const std::vector<std::string> kConnzKeys = {"now", "num_connections", "total", "offset", "limit",
                                                    "connections"};
// ConnInfo: always present, then the omitempty ones in their order.
inline const std::vector<std::string> kConnInfoKeys = {
    "cid", "ip", "port", "start", "last_activity", "uptime", "idle", "pending_bytes", "in_msgs", "out_msgs",
    "in_bytes", "out_bytes", "subscriptions"};
inline const std::vector<std::string> kConnInfoOptionalKeys = {
    "name", "lang", "version", "tls_version", "tls_cipher_suite", "authorized_user", "subscriptions_list"};
inline const std::vector<std::string> kRoutezKeys = {"now", "num_routes", "routes"};
inline const std::vector<std::string> kRouteInfoKeys = {
    "rid", "remote_id", "did_solicit", "is_configured", "ip", "port", "pending_size", "in_msgs", "out_msgs",
    "in_bytes", "out_bytes", "subscriptions", "subscriptions_list"};
inline const std::vector<std::string> kSubszKeys = {"num_subscriptions", "num_cache", "num_inserts",
                                                    "num_removes", "num_matches", "cache_hit_rate",
                                                    "max_fanout", "avg_fanout"};

// REQUIREs that a ConnInfo has exactly the always-present keys followed by
// the given optional ones, in gnatsd's order.
inline void checkConnInfoKeys(const OJson& ci, const std::vector<std::string>& optional) {
  std::vector<std::string> want = kConnInfoKeys;
  for (const auto& k : kConnInfoOptionalKeys) {
    if (std::find(optional.begin(), optional.end(), k) != optional.end()) want.push_back(k);
  }
  CHECK(keysOf(ci) == want);
}

}  // namespace gnatsd::test
