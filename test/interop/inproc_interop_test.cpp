// Interop: libnats (the official C client) and an embedder's InProcessConn
// on the same server: messages both ways, request/reply across them.
// nats_CloseAndWait runs once at the end of the run: cnats_test.cpp registers
// the listener that does it.
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "server/inproc.h"
#include "test/helpers/test_server.h"
#include "test/interop/nats_connect.h"
#include "test/interop/nats_handles.h"

using namespace gnatsd::test;
using namespace gnatsd::test::interop;
using gnatsd::server::InProcessConn;
using gnatsd::server::InProcessMsg;

TEST_CASE("CNatsWithInProcessConn", "[interop][inproc]") {
  auto s = RunDefaultServer();
  auto ip = InProcessConn::Connect(*s, {"host-side", "", "", ""});
  OptsPtr o = optionsFor(natsURL(s->Port()));
  ConnPtr nc = expectConnect(o.get());

  // libnats subscribes, the host publishes.
  natsSubscription* raw = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&raw, nc.get(), "to.client") == NATS_OK);
  SubPtr sub(raw);
  REQUIRE(natsConnection_Flush(nc.get()) == NATS_OK);
  REQUIRE(ip->Publish("to.client", "from the host"));
  natsMsg* m = nullptr;
  REQUIRE(natsSubscription_NextMsg(&m, sub.get(), 2000) == NATS_OK);
  MsgPtr msg(m);
  CHECK(std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())) == "from the host");

  // The host subscribes, libnats publishes.
  REQUIRE(!ip->Subscribe("to.host").empty());
  REQUIRE(natsConnection_PublishString(nc.get(), "to.host", "from libnats") == NATS_OK);
  REQUIRE(natsConnection_Flush(nc.get()) == NATS_OK);
  std::string got;
  REQUIRE(ip->Drain([&](const InProcessMsg& im) { got = im.data; }, std::chrono::milliseconds(2000)) == 1);
  CHECK(got == "from libnats");

  // A libnats request answered by the host, on a thread the host controls.
  REQUIRE(!ip->Subscribe("service.echo").empty());
  std::thread responder([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    size_t answered = 0;
    while (answered == 0 && std::chrono::steady_clock::now() < until) {
      answered = ip->Drain([&](const InProcessMsg& req) { ip->Publish(req.reply, std::string("echo: ").append(req.data)); },
                           std::chrono::milliseconds(100));
    }
  });
  natsMsg* reply = nullptr;
  const natsStatus st = natsConnection_RequestString(&reply, nc.get(), "service.echo", "ping", 2000);
  responder.join();
  REQUIRE(st == NATS_OK);
  MsgPtr rep(reply);
  CHECK(std::string(natsMsg_GetData(rep.get()), natsMsg_GetDataLength(rep.get())) == "echo: ping");
}

TEST_CASE("CNatsAnswersInProcessRequest", "[interop][inproc]") {
  // The host's Request, answered by a libnats responder on its own threads;
  // what the host subscribed to besides stays queued for Drain.
  auto s = RunDefaultServer();
  OptsPtr o = optionsFor(natsURL(s->Port()));
  ConnPtr nc = expectConnect(o.get());
  natsSubscription* raw = nullptr;
  REQUIRE(natsConnection_Subscribe(&raw, nc.get(), "service.hello", answerRequest, nullptr) == NATS_OK);
  SubPtr sub(raw);
  REQUIRE(natsConnection_Flush(nc.get()) == NATS_OK);

  auto ip = InProcessConn::Connect(*s, {"host-requester", "", "", ""});
  REQUIRE(!ip->Subscribe("side").empty());
  for (int i = 0; i < 10; ++i) {
    REQUIRE(natsConnection_PublishString(nc.get(), "side", "s") == NATS_OK);
    const std::string q = std::string("n").append(std::to_string(i));
    auto reply = ip->Request("service.hello", q, std::chrono::seconds(5));
    REQUIRE(reply.has_value());
    CHECK(*reply == std::string("libnats: ").append(q));
  }
  REQUIRE(natsConnection_Flush(nc.get()) == NATS_OK);
  size_t side = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (side < 10 && std::chrono::steady_clock::now() < until) {
    side += ip->Drain([](const InProcessMsg& m) { CHECK(m.subject == "side"); }, std::chrono::milliseconds(50));
  }
  CHECK(side == 10);
  // Nothing answers here: the request times out, and nothing is left behind.
  CHECK_FALSE(ip->Request("service.none", "x", std::chrono::milliseconds(100)).has_value());
  CHECK(s->NumSubscriptions() == 2);
}
