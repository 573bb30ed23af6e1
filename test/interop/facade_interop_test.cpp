// Interop: the installed API (include/gnatsd/) with libnats, as an embedding
// program uses them: a gnatsd::Server, its ClientURL for libnats, and the
// program's gnatsd::InProcessConn trading messages and requests with it.
// nats_CloseAndWait runs once at the end of the run: cnats_test.cpp registers
// the listener that does it.
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "gnatsd/gnatsd.h"
#include "test/interop/nats_handles.h"

using namespace gnatsd::test::interop;

TEST_CASE("CNatsWithFacadeServer", "[interop][facade]") {
  gnatsd::Options o;
  o.Host = "127.0.0.1";
  o.Port = gnatsd::RANDOM_PORT;
  o.NoLog = true;
  auto s = gnatsd::Server::New(o);
  s->Start();
  REQUIRE(s->ReadyForConnections(std::chrono::seconds(5)));

  natsConnection* rawConn = nullptr;
  REQUIRE(natsConnection_ConnectTo(&rawConn, s->ClientURL().c_str()) == NATS_OK);
  ConnPtr nc(rawConn);
  auto host = gnatsd::InProcessConn::Connect(*s, {"facade-host", "", "", ""});

  // libnats publishes, the program drains.
  REQUIRE(!host->Subscribe("to.host").empty());
  REQUIRE(natsConnection_PublishString(nc.get(), "to.host", "from libnats") == NATS_OK);
  REQUIRE(natsConnection_Flush(nc.get()) == NATS_OK);
  std::string got;
  REQUIRE(host->Drain([&](const gnatsd::InProcessMsg& m) { got.assign(m.data); }, std::chrono::seconds(2)) == 1);
  CHECK(got == "from libnats");

  // The program publishes, libnats receives.
  natsSubscription* rawSub = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&rawSub, nc.get(), "to.client") == NATS_OK);
  SubPtr sub(rawSub);
  REQUIRE(natsConnection_Flush(nc.get()) == NATS_OK);
  REQUIRE(host->Publish("to.client", "from the program"));
  natsMsg* rawMsg = nullptr;
  REQUIRE(natsSubscription_NextMsg(&rawMsg, sub.get(), 2000) == NATS_OK);
  MsgPtr msg(rawMsg);
  CHECK(std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())) == "from the program");

  // The program's request, answered by libnats.
  natsSubscription* rawSvc = nullptr;
  REQUIRE(natsConnection_Subscribe(&rawSvc, nc.get(), "service", answerRequest, nullptr) == NATS_OK);
  SubPtr svc(rawSvc);
  REQUIRE(natsConnection_Flush(nc.get()) == NATS_OK);
  auto reply = host->Request("service", "question", std::chrono::seconds(5));
  REQUIRE(reply.has_value());
  CHECK(*reply == "libnats: question");

  auto v = s->Varz();
  CHECK(v.Connections == 2);
  CHECK(v.Subscriptions == 3);  // the reply subscription went with its answer

  host.reset();
  svc.reset();
  sub.reset();
  nc.reset();
  s->Shutdown();
}
