// Go: server/server_test.go (gnatsd v1.0.0): the parts not covered elsewhere
// Start and shutdown with every listener, the client connect URLs, max
// connections, a busy port, random ports and a server with no monitor.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "server/const.h"
#include "server/net.h"
#include "test/helpers/http_client.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

// Go: DefaultOptions of server/server_test.go: random client, monitor and
// cluster ports (all on loopback here).
Options defaultServerTestOptions() {
  Options opts = DefaultTestOptions();
  opts.HTTPHost = "127.0.0.1";
  opts.HTTPPort = gnatsd::server::RANDOM_PORT;
  opts.Cluster.Host = "127.0.0.1";
  opts.Cluster.Port = gnatsd::server::RANDOM_PORT;
  return opts;
}

// "host:port" split at the last colon, brackets removed from the host.
std::pair<std::string, std::string> splitHostPort(const std::string& hp) {
  const auto colon = hp.rfind(':');
  REQUIRE(colon != std::string::npos);
  std::string host = hp.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, hp.substr(colon + 1)};
}

// True when a socket can be bound to ip (port 0): the address is one of
// this machine's.
bool isLocalAddress(const std::string& ip) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof *v6;
  } else {
    return false;
  }
  gnatsd::server::Fd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd.valid() && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0;
}

// Go: net.IP.IsGlobalUnicast && !IsUnspecified, for the text form of an IP.
bool isGlobalUnicast(const std::string& ip) {
  in_addr a4;
  in6_addr a6;
  if (::inet_pton(AF_INET, ip.c_str(), &a4) == 1) {
    const uint32_t h = ntohl(a4.s_addr);
    const bool loopback = (h >> 24) == IN_LOOPBACKNET;       // 127/8
    const bool linkLocal = (h & 0xffff0000u) == 0xa9fe0000u;  // 169.254/16
    return !(h == INADDR_ANY || h == INADDR_BROADCAST || loopback || linkLocal || IN_MULTICAST(h));
  }
  if (::inet_pton(AF_INET6, ip.c_str(), &a6) == 1) {
    return !(IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_MULTICAST(&a6) ||
             IN6_IS_ADDR_LINKLOCAL(&a6));
  }
  return false;
}

}  // namespace

TEST_CASE("TestStartupAndShutdown", "[server]") {
  auto s = RunServer(defaultServerTestOptions());

  // Go: isRunning. Every listener is up.
  REQUIRE(s->ReadyForConnections(0ms));
  CHECK(s->Port() > 0);
  CHECK(s->ClusterPort() > 0);
  CHECK(s->MonitorPort() > 0);

  CHECK(s->NumRoutes() == 0);
  CHECK(s->NumRemotes() == 0);
  CHECK(s->NumClients() == 0);  // Go accepts 0 or 1; nothing has dialled this one
  CHECK(s->NumSubscriptions() == 0);

  // C++ only: Shutdown leaves no thread and no listener behind.
  s->Shutdown();
  CHECK(s->NumGoroutines() == 0);
  CHECK_FALSE(s->ReadyForConnections(0ms));
}

TEST_CASE("TestGetConnectURLs", "[server]") {
  // Nothing listens: the URLs come from the options and the interfaces.
  Options opts = defaultServerTestOptions();
  opts.Port = 4222;

  // Any-address hosts: every URL is a global unicast address of this
  // machine, never the listen host itself. Go does not filter by family, so
  // 0.0.0.0 and :: give the same list.
  std::string globalIP;
  std::vector<std::string> anyURLs;
  for (const std::string host : {"0.0.0.0", "::"}) {
    opts.Host = host;
    auto s = Server::New(opts);
    const std::vector<std::string> urls = s->getClientConnectURLs();
    INFO("listen host " << host);
    if (urls.empty()) {
      // Go fails here; a host with loopback alone has nothing to offer.
      WARN("no global unicast address on this host for " << host);
      continue;
    }
    if (!anyURLs.empty()) CHECK(urls == anyURLs);
    anyURLs = urls;
    for (const std::string& u : urls) {
      INFO("url " << u);
      auto [ip, port] = splitHostPort(u);
      CHECK(port == "4222");
      CHECK(ip != host);
      CHECK(isGlobalUnicast(ip));
      CHECK(isLocalAddress(ip));
      if (globalIP.empty()) globalIP = ip;
    }
  }

  // A specific host is the one URL.
  std::vector<std::string> single = {"127.0.0.1", "::1"};
  if (!globalIP.empty()) single.push_back(globalIP);
  for (const std::string& host : single) {
    opts.Host = host;
    auto s = Server::New(opts);
    const std::vector<std::string> urls = s->getClientConnectURLs();
    INFO("listen host " << host);
    REQUIRE(urls.size() == 1);
    CHECK(urls[0] == gnatsd::server::JoinHostPort(host, 4222));
    CHECK(splitHostPort(urls[0]).first == host);
  }
}

TEST_CASE("TestMaxConnections", "[server]") {
  Options opts = DefaultTestOptions();
  opts.MaxConn = 1;
  auto s = RunServer(opts);
  Conn c1 = createClientConn(*s);
  setupConn(c1);
  REQUIRE(s->NumClients() == 1);
  // The second connection still gets INFO first, then the error and a close.
  Conn c2 = createClientConn(*s);
  expectResult(c2, infoRe);
  expectResult(c2, std::regex(R"(^-ERR 'Maximum Connections Exceeded'\r\n$)"));
  CHECK(c2.waitClosed());
  CHECK(s->NumClients() == 1);
  // The first one is unaffected; once it leaves there is room again.
  sendProto(c1, "PING\r\n");
  expectResult(c1, pongRe);
  c1.close();
  REQUIRE(checkFor(2s, 5ms, [&] { return s->NumClients() == 0; }));
  Conn c3 = createClientConn(*s);
  setupConn(c3);
  CHECK(s->NumClients() == 1);
}

TEST_CASE("TestStartFailsOnPortInUse", "[server]") {
  auto s1 = RunDefaultServer();
  Options opts = DefaultTestOptions();
  opts.Port = s1->Port();
  auto s2 = Server::New(opts);
  CHECK_THROWS_WITH(s2->Start(), Catch::StartsWith("Error listening on port: 127.0.0.1:" + std::to_string(s1->Port())) &&
                                     Catch::Contains("address already in use"));
  // Nothing half-started: no thread left behind, Shutdown is harmless.
  CHECK(s2->NumGoroutines() == 0);
  s2->Shutdown();
}

TEST_CASE("TestRandomPorts", "[server]") {
  Options opts = DefaultTestOptions();
  opts.Port = gnatsd::server::RANDOM_PORT;
  opts.HTTPHost = "127.0.0.1";
  opts.HTTPPort = gnatsd::server::RANDOM_PORT;
  auto s = RunServer(opts);

  CHECK(s->Port() > 0);
  CHECK(s->Port() != gnatsd::server::DEFAULT_PORT);
  CHECK(s->Addr() == "127.0.0.1:" + std::to_string(s->Port()));

  REQUIRE(s->MonitorPort() > 0);
  CHECK(s->MonitorPort() != gnatsd::server::DEFAULT_HTTP_PORT);
  CHECK(s->MonitorAddr() == "127.0.0.1:" + std::to_string(s->MonitorPort()));
  // C++ only: the monitor answers on the port it reports.
  HTTPResponse r = httpGet(s->MonitorPort(), "/varz");
  INFO(r.err);
  REQUIRE(r.ok);
  CHECK(r.status == 200);
}

TEST_CASE("TestNilMonitoringPort", "[server]") {
  Options opts = DefaultTestOptions();
  opts.HTTPPort = 0;
  opts.HTTPSPort = 0;
  auto s = RunServer(opts);

  CHECK(s->MonitorAddr().empty());
  CHECK(s->MonitorPort() == 0);
}
