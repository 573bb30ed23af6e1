// Go: server/service_test.go (gnatsd v1.0.0)
// Run (service.h) serves until another thread shuts the server down.
#include <catch2/catch.hpp>
#include <future>

#include "server/service.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;

TEST_CASE("TestRun", "[server]") {
  auto s = Server::New(DefaultTestOptions());
  auto run = std::async(std::launch::async, [&] { gnatsd::server::Run(*s); });

  // No REQUIRE before Shutdown: a failure would leave Run blocked and the
  // future's destructor waiting for it.
  const bool ready = s->ReadyForConnections(1s);
  const bool servingUntilShutdown = run.wait_for(0ms) == std::future_status::timeout;
  s->Shutdown();

  CHECK(ready);
  CHECK(servingUntilShutdown);
  REQUIRE(run.wait_for(2s) == std::future_status::ready);
  CHECK_NOTHROW(run.get());
  CHECK(s->NumGoroutines() == 0);
}
