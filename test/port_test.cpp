// Go: test/port_test.go
// Port -1 makes the OS pick a free port, which Addr() and the options report.
#include <catch2/catch.hpp>
#include <string>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

TEST_CASE("TestResolveRandomPort", "[port]") {
  Options opts;
  opts.Host = "127.0.0.1";
  opts.Port = gnatsd::server::RANDOM_PORT;
  auto s = RunServer(opts);

  const std::string addr = s->Addr();
  const auto colon = addr.rfind(':');
  REQUIRE(colon != std::string::npos);
  CHECK(addr.substr(0, colon) == "127.0.0.1");
  const int portNum = std::stoi(addr.substr(colon + 1));

  CHECK(portNum != gnatsd::server::DEFAULT_PORT);
  CHECK(portNum != gnatsd::server::RANDOM_PORT);
  CHECK(portNum > 0);
  CHECK(portNum == s->Port());

  // And it is really where the server listens.
  Conn c = createClientConn("127.0.0.1", portNum);
  auto info = checkInfoMsg(c);
  CHECK(info["port"].get<int>() == portNum);
}

// The part of the Go test that checks the options: gnatsd's AcceptLoop writes
// the chosen port back into them (and /varz later reports it from there).
TEST_CASE("TestResolveRandomPortOptionsWriteBack", "[port]") {
  Options opts;
  opts.Host = "127.0.0.1";
  opts.Port = gnatsd::server::RANDOM_PORT;
  auto s = RunServer(opts);
  REQUIRE(s->Port() > 0);
  CHECK(s->getOpts()->Port == s->Port());
}
