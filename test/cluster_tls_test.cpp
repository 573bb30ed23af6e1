// Go: test/cluster_tls_test.go (gnatsd v1.0.0)
// Two servers routed over TLS (srv_a_tls.conf, srv_b_tls.conf: route
// certificates from one CA, verified both ways) form a cluster and carry
// messages. Ports are random: A starts first with no route and B dials A's
// actual route port (in Go each config names the other's fixed port).
#include <catch2/catch.hpp>

#include "test/helpers/route_helpers.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

// Go: runTLSServers.
ServerPair runTLSServers() {
  ServerPair p;
  p.optsA = randomPorts(LoadConfig("./configs/srv_a_tls.conf"));
  REQUIRE(p.optsA.Cluster.TLSConfig != nullptr);
  p.optsA.Routes.clear();
  p.srvA = RunServer(p.optsA);
  fillActualPorts(p.optsA, *p.srvA);

  p.optsB = randomPorts(LoadConfig("./configs/srv_b_tls.conf"));
  REQUIRE(p.optsB.Cluster.TLSConfig != nullptr);
  p.optsB.Routes = {routeURL(p.optsA.Cluster.Port)};
  p.srvB = RunServer(p.optsB);
  fillActualPorts(p.optsB, *p.srvB);

  checkClusterFormed({p.srvA.get(), p.srvB.get()});
  return p;
}

}  // namespace

TEST_CASE("TestTLSClusterConfig", "[route][cluster][tls]") {
  ServerPair p = runTLSServers();
  // C++ only: both route ports take TLS alone, so the route that formed
  // above is a TLS one.
  requireTLSOnlyRoutePort(*p.srvA);
  requireTLSOnlyRoutePort(*p.srvB);
  CHECK(p.srvA->NumRoutes() == 1);
  CHECK(p.srvB->NumRoutes() == 1);
}

TEST_CASE("TestBasicTLSClusterPubSub", "[route][cluster][tls]") {
  ServerPair p = runTLSServers();

  Conn clientA = createClientConn("127.0.0.1", p.optsA.Port);
  Conn clientB = createClientConn("127.0.0.1", p.optsB.Port);

  setupConn(clientA);
  sendProto(clientA, "SUB foo 22\r\nPING\r\n");
  expectResult(clientA, pongRe);

  // Go publishes first and checks the interest after; waiting for A's
  // interest to reach B first keeps the PUB from racing it.
  std::string err = checkExpectedSubs(1, {p.srvA.get(), p.srvB.get()});
  INFO(err);
  REQUIRE(err.empty());

  setupConn(clientB);
  sendProto(clientB, "PUB foo 2\r\nok\r\nPING\r\n");
  expectResult(clientB, pongRe);

  auto matches = expectMsgs(clientA, 1);
  checkMsg(matches[0], "foo", "22", "", "2", "ok");
}
