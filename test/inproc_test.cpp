// C++ only: InProcessConn (server/inproc.h), the embedder's socketless
// connection, beside network clients: delivery both ways, queue groups,
// authorization, permissions, limits, slow consumers, /connz, shutdown,
// request and reply.
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
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

namespace {
// A responder on its own thread: answers every request on `subject` with
// "re: <data>" until stop is set.
class inprocResponder {
 public:
  inprocResponder(Server& s, const std::string& subject) : conn_(InProcessConn::Connect(s)) {
    REQUIRE(!conn_->Subscribe(subject).empty());
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        conn_->Drain([this](const InProcessMsg& m) { conn_->Publish(m.reply, std::string("re: ").append(m.data)); },
                     20ms);
      }
    });
  }
  ~inprocResponder() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::unique_ptr<InProcessConn> conn_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};
}  // namespace

TEST_CASE("TestInProcessRequest", "[inproc]") {
  auto s = RunDefaultServer();
  inprocResponder responder(*s, "svc.echo");
  auto ip = InProcessConn::Connect(*s);
  for (int i = 0; i < 20; ++i) {
    // Appends, not "n" + std::to_string: GCC 12's bogus -Wrestrict at -O3.
    const std::string q = std::string("n").append(std::to_string(i));
    auto reply = ip->Request("svc.echo", q, 2s);
    REQUIRE(reply.has_value());
    CHECK(*reply == std::string("re: ").append(q));
  }
  // The reply subscriptions went with their answers.
  CHECK(s->NumSubscriptions() == 1);
  CHECK(ip->LastError().empty());
  // Nothing of the requests is left for Drain.
  CHECK(ip->Drain([](const InProcessMsg&) {}, 0ms) == 0);
}

TEST_CASE("TestInProcessRequestTimeout", "[inproc]") {
  auto s = RunDefaultServer();
  auto ip = InProcessConn::Connect(*s);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(ip->Request("nobody.home", "hello?", 100ms).has_value());
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 100ms);
  CHECK(took < 2s);
  CHECK(ip->LastError().empty());
  CHECK_FALSE(ip->IsClosed());
  // The reply subscription is gone with the request.
  CHECK(s->NumSubscriptions() == 0);
}

TEST_CASE("TestInProcessRequestLeavesOtherMessagesQueued", "[inproc]") {
  // A network responder sends two messages the requester subscribes to, then
  // the answer: Request takes the answer only, Drain then gets the two, in order.
  auto s = RunDefaultServer();
  auto ip = InProcessConn::Connect(*s);
  REQUIRE(ip->Subscribe("news") == "1");
  Conn nc = createClientConn(*s);
  setupConn(nc);
  sendProto(nc, "SUB svc 1\r\nPING\r\n");
  expectResult(nc, pongRe);
  auto pending = std::async(std::launch::async, [&] { return ip->Request("svc", "q", 5s); });
  auto msgs = expectMsgs(nc, 1, 5s);
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].msg == "q");
  const std::string inbox = msgs[0].reply;
  CHECK(inbox.rfind("_INBOX.", 0) == 0);
  sendProto(nc, "PUB news 1\r\na\r\nPUB news 1\r\nb\r\nPUB " + inbox + " 6\r\nanswer\r\nPING\r\n");
  expectResult(nc, pongRe);
  auto reply = pending.get();
  REQUIRE(reply.has_value());
  CHECK(*reply == "answer");
  auto got = drain(*ip, 2, 500ms);
  REQUIRE(got.size() == 2);
  CHECK(got[0].data == "a");
  CHECK(got[1].data == "b");
  CHECK(ip->Drain([](const InProcessMsg&) {}, 20ms) == 0);
  // A second answer to the same inbox finds no subscription (it was for one message).
  sendProto(nc, "PUB " + inbox + " 4\r\nlate\r\nPING\r\n");
  expectResult(nc, pongRe);
  CHECK(ip->Drain([](const InProcessMsg&) {}, 20ms) == 0);
}

TEST_CASE("TestInProcessRequestWhileAnotherThreadDrains", "[inproc]") {
  // The requesting connection is drained all along by another thread: each
  // answer still reaches its Request, never that thread's callback, and
  // the other messages still reach the callback.
  auto s = RunDefaultServer();
  inprocResponder responder(*s, "svc.echo");
  auto ip = InProcessConn::Connect(*s);
  REQUIRE(!ip->Subscribe("side").empty());
  auto side = InProcessConn::Connect(*s);
  std::atomic<bool> stop{false};
  std::atomic<int> sideSeen{0}, stray{0};
  std::thread drainer([&] {
    while (!stop.load()) {
      ip->Drain(
          [&](const InProcessMsg& m) {
            if (m.subject == "side") sideSeen.fetch_add(1);
            else stray.fetch_add(1);
          },
          5ms);
    }
  });
  constexpr int kRequests = 200;
  int answered = 0;
  for (int i = 0; i < kRequests; ++i) {
    REQUIRE(side->Publish("side", "x"));
    const std::string q = std::to_string(i);
    auto reply = ip->Request("svc.echo", q, 5s);
    if (reply && *reply == std::string("re: ").append(q)) ++answered;
  }
  CHECK(answered == kRequests);
  CHECK(checkFor(2s, 5ms, [&] { return sideSeen.load() == kRequests; }));
  stop.store(true);
  drainer.join();
  CHECK(sideSeen.load() == kRequests);
  CHECK(stray.load() == 0);
}

TEST_CASE("TestInProcessRequestsFromSeveralThreads", "[inproc]") {
  auto s = RunDefaultServer();
  inprocResponder responder(*s, "svc.echo");
  auto ip = InProcessConn::Connect(*s);
  std::atomic<int> answered{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string q = std::to_string(t).append("/").append(std::to_string(i));
        auto reply = ip->Request("svc.echo", q, 5s);
        if (reply && *reply == std::string("re: ").append(q)) answered.fetch_add(1);
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(answered.load() == 200);
}

TEST_CASE("TestInProcessRequestRefusedAndClosed", "[inproc]") {
  // A user who may not subscribe to _INBOX.> gets the violation, nothing is
  // published; a closed connection answers at once.
  Options o = DefaultTestOptions();
  auto users = std::make_shared<std::vector<gnatsd::server::User>>();
  gnatsd::server::User bob{"bob", "pw", std::make_shared<gnatsd::server::Permissions>()};
  bob.Permissions->Publish = {">"};
  bob.Permissions->Subscribe = {"public.*"};
  users->push_back(bob);
  gnatsd::server::User alice{"alice", "pw", nullptr};
  users->push_back(alice);
  o.Users = users;
  auto s = RunServer(o);
  auto watcher = InProcessConn::Connect(*s, {"", "alice", "pw", ""});
  REQUIRE(!watcher->Subscribe("svc").empty());
  auto b = InProcessConn::Connect(*s, {"", "bob", "pw", ""});
  CHECK_FALSE(b->Request("svc", "q", 1s).has_value());
  CHECK(b->LastError().rfind("Permissions Violation for Subscription to \"_INBOX.", 0) == 0);
  CHECK(watcher->Drain([](const InProcessMsg&) {}, 50ms) == 0);

  auto c = InProcessConn::Connect(*s, {"", "alice", "pw", ""});
  c->Close();
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(c->Request("svc", "q", 2s).has_value());
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);

  // A server shutting down ends a waiting Request.
  auto d = InProcessConn::Connect(*s, {"", "alice", "pw", ""});
  auto pending = std::async(std::launch::async, [&] { return d->Request("nobody", "q", 10s); });
  REQUIRE(checkFor(2s, 5ms, [&] { return s->NumSubscriptions() == 2; }));
  const auto t1 = std::chrono::steady_clock::now();
  s->Shutdown();
  CHECK_FALSE(pending.get().has_value());
  CHECK(std::chrono::steady_clock::now() - t1 < 5s);
}
