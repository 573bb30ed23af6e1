// C++ only: InProcessConn (server/inproc.h), the embedder's socketless
// connection, beside network clients: delivery both ways, queue groups,
// authorization, permissions, limits, slow consumers, /connz, shutdown.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server/inproc.h"
#include "server/monitor.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;
using gnatsd::server::InProcessConn;
using gnatsd::server::InProcessMsg;
using gnatsd::server::InProcessOptions;

namespace {
// A delivered message, copied out of the Drain callback.
struct msgCopy {
  std::string subject, sid, reply, data;
};

// Every message queued for c within `wait`, until `want` have come.
std::vector<msgCopy> drain(InProcessConn& c, size_t want, std::chrono::milliseconds wait = 2s) {
  std::vector<msgCopy> got;
  const auto until = std::chrono::steady_clock::now() + wait;
  while (got.size() < want && std::chrono::steady_clock::now() < until) {
    c.Drain(
        [&](const InProcessMsg& m) {
          got.push_back({std::string(m.subject), std::string(m.sid), std::string(m.reply), std::string(m.data)});
        },
        50ms);
  }
  return got;
}
}  // namespace

TEST_CASE("TestInProcessPubSub", "[inproc]") {
  auto s = RunDefaultServer();
  auto sub = InProcessConn::Connect(*s);
  auto pub = InProcessConn::Connect(*s);
  CHECK(sub->CID() != pub->CID());
  const std::string sid = sub->Subscribe("foo.*");
  REQUIRE(sid == "1");
  REQUIRE(pub->Publish("foo.bar", "hello", "reply.to"));
  REQUIRE(pub->Publish("foo.baz", ""));
  REQUIRE(pub->Publish("other", "not for us"));
  auto got = drain(*sub, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].subject == "foo.bar");
  CHECK(got[0].sid == sid);
  CHECK(got[0].reply == "reply.to");
  CHECK(got[0].data == "hello");
  CHECK(got[1].subject == "foo.baz");
  CHECK(got[1].reply.empty());
  CHECK(got[1].data.empty());
  // Nothing more; a Drain with a wait returns empty-handed once it passes.
  CHECK(sub->Drain([](const InProcessMsg&) {}, 20ms) == 0);
  // Auto-unsubscribe after three in all: one more.
  REQUIRE(sub->Unsubscribe(sid, 3));
  REQUIRE(pub->Publish("foo.1", "a"));
  REQUIRE(pub->Publish("foo.2", "b"));
  got = drain(*sub, 2, 300ms);
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == "a");
  CHECK(s->NumSubscriptions() == 0);
  CHECK(sub->LastError().empty());
}

TEST_CASE("TestInProcessWithNetworkClients", "[inproc]") {
  auto s = RunDefaultServer();
  auto ip = InProcessConn::Connect(*s);
  Conn nc = createClientConn(*s);
  setupConn(nc);
  sendProto(nc, "SUB from.host 9\r\nPING\r\n");
  expectResult(nc, pongRe);
  REQUIRE(ip->Subscribe("from.net") == "1");

  // Host to network...
  REQUIRE(ip->Publish("from.host", "to the net", "inbox.1"));
  checkMsg(expectMsgs(nc, 1)[0], "from.host", "9", "inbox.1", "10", "to the net");
  // ...and network to host.
  sendProto(nc, "PUB from.net 8\r\nto host!\r\n");
  auto got = drain(*ip, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == "to host!");
  // Counted like any client.
  CHECK(s->NumClients() == 2);
}

TEST_CASE("TestInProcessQueueGroup", "[inproc]") {
  auto s = RunDefaultServer();
  auto a = InProcessConn::Connect(*s);
  auto b = InProcessConn::Connect(*s);
  auto pub = InProcessConn::Connect(*s);
  REQUIRE(!a->Subscribe("work", "q").empty());
  REQUIRE(!b->Subscribe("work", "q").empty());
  constexpr int kMsgs = 200;
  for (int i = 0; i < kMsgs; ++i) REQUIRE(pub->Publish("work", std::to_string(i)));
  std::map<std::string, int> seen;
  size_t total = 0;
  for (auto* c : {a.get(), b.get()}) {
    c->Drain([&](const InProcessMsg& m) { seen[std::string(m.data)]++; ++total; }, 0ms);
  }
  // Each message to exactly one member.
  CHECK(total == kMsgs);
  CHECK(seen.size() == kMsgs);
  for (const auto& [k, n] : seen) CHECK(n == 1);
}

TEST_CASE("TestInProcessAuthorization", "[inproc]") {
  Options o = DefaultTestOptions();
  auto users = std::make_shared<std::vector<gnatsd::server::User>>();
  gnatsd::server::User alice{"alice", "secret", nullptr};
  gnatsd::server::User bob{"bob", "pw", std::make_shared<gnatsd::server::Permissions>()};
  bob.Permissions->Publish = {"allowed.>"};
  bob.Permissions->Subscribe = {"public.*"};
  users->push_back(alice);
  users->push_back(bob);
  o.Users = users;
  auto s = RunServer(o);

  CHECK_THROWS_WITH(InProcessConn::Connect(*s), "Authorization Violation");
  CHECK_THROWS_WITH(InProcessConn::Connect(*s, {"", "alice", "wrong", ""}), "Authorization Violation");
  auto a = InProcessConn::Connect(*s, {"host", "alice", "secret", ""});
  auto b = InProcessConn::Connect(*s, {"", "bob", "pw", ""});
  // bob's permissions hold for him as for a network client.
  CHECK(b->Subscribe("private.x").empty());
  CHECK(b->LastError() == "Permissions Violation for Subscription to \"private.x\"");
  const std::string sid = b->Subscribe("public.news");
  REQUIRE(!sid.empty());
  CHECK(b->Publish("denied", "x"));  // refused, not cut
  b->Drain(nullptr, 0ms);
  CHECK(b->LastError() == "Permissions Violation for Publish to \"denied\"");
  CHECK_FALSE(b->IsClosed());
  REQUIRE(a->Publish("public.news", "headline"));
  auto got = drain(*b, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == "headline");
}

TEST_CASE("TestInProcessLimits", "[inproc]") {
  Options o = DefaultTestOptions();
  o.MaxPayload = 16;
  o.MaxConn = 2;
  auto s = RunServer(o);
  auto a = InProcessConn::Connect(*s);
  auto b = InProcessConn::Connect(*s);
  CHECK_THROWS_WITH(InProcessConn::Connect(*s), "Maximum Connections Exceeded");
  // max_payload: cut, as a network client is.
  CHECK_FALSE(a->Publish("foo", std::string(17, 'x')));
  a->Drain(nullptr, 0ms);
  CHECK(a->LastError() == "Maximum Payload Violation");
  CHECK(a->IsClosed());
  CHECK_FALSE(a->Publish("foo", "x"));
  CHECK(a->Subscribe("foo").empty());
  CHECK(checkFor(2s, 5ms, [&] { return s->NumClients() == 1; }));
  // Its place is free again.
  auto c = InProcessConn::Connect(*s);
  CHECK(b->Publish("foo", "fits"));
}

TEST_CASE("TestInProcessSlowConsumer", "[inproc]") {
  // A connection nobody drains is cut at max_pending; its publisher is not
  // held up by it.
  Options o = DefaultTestOptions();
  o.MaxPending = 64 * 1024;
  auto s = RunServer(o);
  auto lazy = InProcessConn::Connect(*s);
  auto pub = InProcessConn::Connect(*s);
  REQUIRE(!lazy->Subscribe("flood").empty());
  const std::string payload(1024, 'f');
  for (int i = 0; i < 200 && !lazy->IsClosed(); ++i) REQUIRE(pub->Publish("flood", payload));
  CHECK(lazy->IsClosed());
  CHECK(s->serverStats().slowConsumers.load() == 1);
  // What was queued before the cut can still be taken.
  CHECK(lazy->Drain([](const InProcessMsg&) {}, 0ms) > 0);
  CHECK(lazy->Drain([](const InProcessMsg&) {}, 0ms) == 0);
  CHECK_FALSE(pub->IsClosed());
}

TEST_CASE("TestInProcessInConnz", "[inproc][monitor]") {
  auto s = RunDefaultServer();
  auto ip = InProcessConn::Connect(*s, {"embedded-host", "", "", ""});
  REQUIRE(!ip->Subscribe("a.b").empty());
  REQUIRE(ip->Publish("a.b", "12345"));
  REQUIRE(drain(*ip, 1).size() == 1);
  auto r = s->HandleMonitor("/connz?subs=1");
  REQUIRE(r.status == 200);
  auto j = nlohmann::json::parse(r.body);
  REQUIRE(j["connections"].size() == 1);
  const auto& ci = j["connections"][0];
  CHECK(ci["cid"] == ip->CID());
  CHECK(ci["name"] == "embedded-host");
  CHECK(ci["lang"] == "c++-inproc");
  CHECK(ci["in_msgs"] == 1);
  CHECK(ci["out_msgs"] == 1);
  CHECK(ci["subscriptions_list"] == nlohmann::json::array({"a.b"}));
}

TEST_CASE("TestInProcessShutdown", "[inproc]") {
  const int base = baseThreadCount();
  auto s = RunDefaultServer();
  auto ip = InProcessConn::Connect(*s);
  REQUIRE(!ip->Subscribe("x").empty());
  // From several threads at once: the connection lets one in at a time.
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&ip, t] {
      for (int i = 0; i < 100; ++i) ip->Publish("x", std::to_string(t));
    });
  }
  for (auto& t : ts) t.join();
  CHECK(drain(*ip, 400).size() == 400);
  s->Shutdown();
  CHECK(ip->IsClosed());
  CHECK_FALSE(ip->Publish("x", "late"));
  ip->Close();
  ip->Close();  // idempotent
  CHECK(checkFor(2s, 10ms, [&] { return processThreadCount() <= base; }));
}
