// Go: test/opts_test.go (gnatsd v1.0.0)
// A value from a config file reaches the client in INFO. (TestTLSConfig,
// tls.conf giving tls_required, is covered by test/tls_test.cpp.)
#include <catch2/catch.hpp>

#include "server/const.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;

TEST_CASE("TestServerConfig", "[opts]") {
  Options opts = LoadConfig("./configs/override.conf");
  REQUIRE(opts.MaxPayload == 2222);
  CHECK(opts.Port == 4224);
  opts.Port = gnatsd::server::RANDOM_PORT;  // the file's 4224 may be taken
  auto srv = RunServer(opts);

  Conn c = createClientConn("127.0.0.1", srv->Port());
  auto sinfo = checkInfoMsg(c);
  REQUIRE(sinfo.contains("max_payload"));
  CHECK(sinfo["max_payload"].get<int64_t>() == opts.MaxPayload);
}
