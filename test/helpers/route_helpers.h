// Go: the route helpers of test/test.go and test/cluster_test.go (gnatsd
// v1.0.0): createRouteConn, setupRoute(Ex), acceptRouteConn,
// checkClusterFormed, checkExpectedSubs, runServers, checkForQueueSid, ...
// Header only, so that server_tests and interop_tests share it.
//
// Ports: the Go tests use the fixed ports of their config files; here every
// server listens on a random port (-1) and routes are wired to the ports the
// servers actually got. Where a Go test points a route at a port nothing
// listens on, or listens itself on a port for the server to dial, a PortHold
// stands in: a loopback socket bound to a port the OS picked, refusing dials
// until the test makes it listen, and never handed to anyone else meanwhile.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "server/url.h"
#include "test/helpers/test_server.h"

namespace gnatsd::test {

// Go: subRe, unsubRe, unsubmaxRe, unsubnomaxRe, connectRe (test/test.go).
inline const std::regex subRe(R"(SUB\s+([^\s]+)((\s+)([^\s]+))?\s+([^\s]+)\r\n)");
inline const std::regex unsubRe(R"(UNSUB\s+([^\s]+)(\s+(\d+))?\r\n)");
inline const std::regex unsubmaxRe(R"(UNSUB\s+([^\s]+)(\s+(\d+))\r\n)");
inline const std::regex unsubnomaxRe(R"(UNSUB\s+([^\s]+)\r\n)");
inline const std::regex connectRe(R"(CONNECT\s+([^\r\n]+)\r\n)");

// ParseURL that REQUIREs success.
inline server::URL mustParseURL(const std::string& s) {
  std::string err;
  auto u = server::ParseURL(s, &err);
  INFO("ParseURL(" << s << "): " << err);
  REQUIRE(u.has_value());
  return *u;
}

// "nats-route://[user:pass@]127.0.0.1:<port>".
inline std::string routeURLString(int port, const std::string& user = "", const std::string& pass = "") {
  std::string u = "nats-route://";
  if (!user.empty()) u += user + ":" + pass + "@";
  return u + "127.0.0.1:" + std::to_string(port);
}
inline server::URL routeURL(int port, const std::string& user = "", const std::string& pass = "") {
  return mustParseURL(routeURLString(port, user, pass));
}

// Options with every listener moved to a random loopback port: client,
// cluster and (when the file had one) monitor. Routes are left as loaded;
// callers rewire them.
inline Options randomPorts(Options o) {
  o.Host = "127.0.0.1";
  o.Port = server::RANDOM_PORT;
  o.Cluster.Host = "127.0.0.1";
  o.Cluster.Port = server::RANDOM_PORT;
  if (o.HTTPPort != 0) {
    o.HTTPHost = "127.0.0.1";
    o.HTTPPort = server::RANDOM_PORT;
  }
  return o;
}

// Go: nextServerOpts (server/routes_test.go's version: random ports).
inline Options nextServerOpts(const Options& o) {
  Options n = o;
  n.Port = server::RANDOM_PORT;
  n.Cluster.Port = server::RANDOM_PORT;
  if (n.HTTPPort != 0) n.HTTPPort = server::RANDOM_PORT;
  return n;
}

// After a server started on random ports: the ports it got, so that a
// restart with these options comes back on the same ones and so that the
// Go tests' opts.Port / opts.Cluster.Port read as they did.
inline void fillActualPorts(Options& o, Server& s) {
  o.Port = s.Port();
  if (o.Cluster.Port != 0) o.Cluster.Port = s.ClusterPort();
}

// Go: createRouteConn.
inline Conn createRouteConn(Server& s) {
  REQUIRE(s.ClusterPort() > 0);
  return createClientConn("127.0.0.1", s.ClusterPort());
}

// C++ only: the route port of `s` speaks TLS first. A peer that starts in
// clear is told "-ERR 'Secure Connection - TLS Required'" and dropped (the
// error may follow a TLS alert, hence no anchor).
inline void requireTLSOnlyRoutePort(Server& s) {
  Conn c = createRouteConn(s);
  sendProto(c, "CONNECT {\"verbose\":false}\r\n");
  expectResult(c, std::regex(R"(-ERR 'Secure Connection - TLS Required'\r\n)"));
  CHECK(c.waitClosed());
}

// Go: doRouteAuthConnect / connectProto.
inline void doRouteAuthConnect(Conn& c, const std::string& user, const std::string& pass, const std::string& id) {
  sendProto(c, "CONNECT {\"verbose\":false,\"user\":\"" + user + "\",\"pass\":\"" + pass + "\",\"name\":\"" + id +
                   "\"}\r\n");
}

// Go: setupRouteEx. CONNECT with the cluster credentials of opts and `id`.
inline void setupRouteEx(Conn& c, const Options& opts, const std::string& id) {
  doRouteAuthConnect(c, opts.Cluster.Username, opts.Cluster.Password, id);
}

// Go: setupRoute. A random "ROUTER:<hex>" id; returns it.
inline std::string setupRoute(Conn& c, const Options& opts) {
  static std::atomic<uint64_t> seq{0};
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  char hex[40];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(now),
                static_cast<unsigned long long>(++seq));
  std::string id = std::string("ROUTER:") + hex;
  setupRouteEx(c, opts, id);
  return id;
}

// An INFO line of this JSON (Go: fmt.Sprintf(server.InfoProto, b)).
inline std::string infoProto(const nlohmann::json& j) { return "INFO " + j.dump() + "\r\n"; }
inline std::string infoProto(const server::Info& i) { return "INFO " + i.toJSON() + "\r\n"; }

// A loopback port kept for the test (see the top of this file).
class PortHold {
 public:
  PortHold() {
    fd_ = server::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd_.valid());
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    port_ = server::LocalPort(fd_.get());
    REQUIRE(port_ > 0);
  }
  int port() const { return port_; }
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(port_); }
  // From now on dials to the port connect (they wait in the backlog).
  void listen() {
    if (!listening_) REQUIRE(::listen(fd_.get(), 16) == 0);
    listening_ = true;
  }
  // Go: acceptRouteConn. Listens if not yet, and REQUIREs a connection
  // within `timeout`.
  Conn accept(std::chrono::milliseconds timeout) {
    listen();
    struct pollfd p {fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    INFO("Did not receive a route connection request on " << hostPort());
    REQUIRE(r == 1);
    int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(c >= 0);
    return Conn(server::Fd(c));
  }

 private:
  server::Fd fd_;
  int port_ = 0;
  bool listening_ = false;
};

// Go: checkClusterFormed. Every server has len(servers)-1 routes.
inline void checkClusterFormed(std::initializer_list<Server*> servers,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const int expected = static_cast<int>(servers.size()) - 1;
  std::string err;
  bool ok = checkFor(timeout, std::chrono::milliseconds(20), [&] {
    for (Server* s : servers) {
      const int n = s->NumRoutes();
      if (n != expected) {
        err = "Expected " + std::to_string(expected) + " routes for server \"" + s->ID() + "\", got " +
              std::to_string(n);
        return false;
      }
    }
    return true;
  });
  INFO(err);
  REQUIRE(ok);
}

// Go: checkExpectedSubs. Waits until each server has `expected`
// subscriptions; returns "" or the last mismatch.
inline std::string checkExpectedSubs(uint32_t expected, std::initializer_list<Server*> servers,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string err;
  bool ok = checkFor(timeout, std::chrono::milliseconds(10), [&] {
    for (Server* s : servers) {
      const uint32_t n = s->NumSubscriptions();
      if (n != expected) {
        err = "Expected " + std::to_string(expected) + " subscriptions for server \"" + s->ID() + "\", got " +
              std::to_string(n);
        return false;
      }
    }
    return true;
  });
  return ok ? std::string() : err;
}

// Go: runServers (test/cluster_test.go). Servers A and B of srv_a.conf and
// srv_b.conf on random ports. In Go each config names the other's fixed
// cluster port; here B is started second with a route to A's actual cluster
// port and A has none (TestDoubleRouteConfig keeps both directions).
struct ServerPair {
  std::unique_ptr<Server> srvA, srvB;
  Options optsA, optsB;  // ports filled in with the actual ones
};

inline Options srvAOptions() {
  Options o = randomPorts(LoadConfig("./configs/srv_a.conf"));
  o.Routes.clear();
  return o;
}
inline Options srvBOptions(int clusterPortA) {
  Options o = randomPorts(LoadConfig("./configs/srv_b.conf"));
  o.Routes = {routeURL(clusterPortA, "ruser", "top_secret")};
  return o;
}

inline ServerPair runServers() {
  ServerPair p;
  p.optsA = srvAOptions();
  p.srvA = RunServer(p.optsA);
  fillActualPorts(p.optsA, *p.srvA);
  p.optsB = srvBOptions(p.optsA.Cluster.Port);
  p.srvB = RunServer(p.optsB);
  fillActualPorts(p.optsB, *p.srvB);
  checkClusterFormed({p.srvA.get(), p.srvB.get()});
  return p;
}

// Go: checkForQueueSid. Exactly one of the matches is for one of `sids`.
inline void checkForQueueSid(const std::vector<MsgMatch>& matches, const std::vector<std::string>& sids) {
  int total = 0;
  for (const auto& m : matches) {
    for (const auto& s : sids) {
      if (m.sid == s) ++total;
    }
  }
  INFO("Did not get a msg for queue sids group: expected 1 got " << total);
  REQUIRE(total == 1);
}

// Go: checkForPubSids. Exactly one match for each of `sids`.
inline void checkForPubSids(const std::vector<MsgMatch>& matches, const std::vector<std::string>& sids) {
  for (const auto& s : sids) {
    int n = 0;
    for (const auto& m : matches) {
      if (m.sid == s) ++n;
    }
    INFO("Did not get a msg for sid[" << s << "]: expected 1 got " << n);
    REQUIRE(n == 1);
  }
}

}  // namespace gnatsd::test
