// Interop: the NATS C client (libnats) against gnatsd-cpp
// The official C client (libnats 3.x) drives an in-process server: connect,
// pub/sub, wildcards, queue groups, request/reply, auto-unsubscribe, flush,
// large payloads, many subscriptions, ordering, reconnect and max_payload.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nats/nats.h>
#include <openssl/crypto.h>

#include <array>
#include <atomic>
// For Catch::TestEventListenerBase (the run-end hook below).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "test/helpers/test_server.h"
#include "test/interop/nats_handles.h"

namespace {

using namespace gnatsd::test;

// libnats keeps library-wide state (timers, dispatcher threads). Tear it down
// once, after the last test, so leak checkers see a clean exit.
//
// libnats 3.4's exit handler also frees OpenSSL's compression-method stack
// (an OpenSSL 1.0 idiom); OpenSSL 3's own exit handler then frees it again
// and the process dies after its tests passed whenever the server's TLS set
// OpenSSL up before libnats registered its handler. OpenSSL is told here,
// before any test, to leave its clean-up out; the memory stays reachable.
struct NatsLibraryCloser : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunStarting(const Catch::TestRunInfo&) override {
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  }
  void testRunEnded(const Catch::TestRunStats&) override { nats_CloseAndWait(0); }
};

using namespace gnatsd::test::interop;

ConnPtr connect(int port) {
  natsConnection* nc = nullptr;
  natsStatus st = natsConnection_ConnectTo(&nc, natsURL(port).c_str());
  INFO("natsConnection_ConnectTo: " << natsStatus_GetText(st));
  REQUIRE(st == NATS_OK);
  return ConnPtr(nc);
}
ConnPtr connect(Server& s) { return connect(s.Port()); }

SubPtr subscribeSync(natsConnection* nc, const char* subject) {
  natsSubscription* sub = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&sub, nc, subject) == NATS_OK);
  return SubPtr(sub);
}

SubPtr queueSubscribeSync(natsConnection* nc, const char* subject, const char* queue) {
  natsSubscription* sub = nullptr;
  REQUIRE(natsConnection_QueueSubscribeSync(&sub, nc, subject, queue) == NATS_OK);
  return SubPtr(sub);
}

// Waits up to timeoutMs for the next message; *st gets the status.
MsgPtr nextMsg(natsSubscription* sub, int64_t timeoutMs, natsStatus* st) {
  natsMsg* m = nullptr;
  *st = natsSubscription_NextMsg(&m, sub, timeoutMs);
  return MsgPtr(*st == NATS_OK ? m : nullptr);
}

// The next message, which must arrive within timeoutMs.
MsgPtr expectMsg(natsSubscription* sub, int64_t timeoutMs = 2000) {
  natsStatus st = NATS_OK;
  MsgPtr m = nextMsg(sub, timeoutMs, &st);
  INFO("natsSubscription_NextMsg: " << natsStatus_GetText(st));
  REQUIRE(st == NATS_OK);
  REQUIRE(m != nullptr);
  return m;
}

// No message may arrive within waitMs.
void expectNoMsg(natsSubscription* sub, int64_t waitMs = 100) {
  natsStatus st = NATS_OK;
  MsgPtr m = nextMsg(sub, waitMs, &st);
  INFO("unexpected message on " << (m ? natsMsg_GetSubject(m.get()) : "") << ", status "
                                << natsStatus_GetText(st));
  REQUIRE(st == NATS_TIMEOUT);
}

std::string data(const natsMsg* m) {
  return std::string(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
}

void publish(natsConnection* nc, const char* subject, const std::string& payload) {
  REQUIRE(natsConnection_Publish(nc, subject, payload.data(), static_cast<int>(payload.size())) == NATS_OK);
}

void flush(natsConnection* nc) { REQUIRE(natsConnection_FlushTimeout(nc, 2000) == NATS_OK); }

// A loopback port that was free a moment ago (bind port 0, read it, close).
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Async responder: answers "reply:<request>" on the message's reply subject.
void onRequest(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
  MsgPtr m(msg);
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr) {
    std::string out = "reply:" + data(msg);
    natsConnection_Publish(nc, reply, out.data(), static_cast<int>(out.size()));
  }
  static_cast<std::atomic<int>*>(closure)->fetch_add(1);
}

struct ReconnectEvents {
  std::atomic<int> disconnected{0};
  std::atomic<int> reconnected{0};
};
void onDisconnected(natsConnection*, void* closure) {
  static_cast<ReconnectEvents*>(closure)->disconnected.fetch_add(1);
}
void onReconnected(natsConnection*, void* closure) {
  static_cast<ReconnectEvents*>(closure)->reconnected.fetch_add(1);
}

}  // namespace

CATCH_REGISTER_LISTENER(NatsLibraryCloser)

TEST_CASE("CNatsConnect", "[interop]") {
  auto s = RunDefaultServer();
  {
    ConnPtr nc = connect(*s);
    REQUIRE(natsConnection_Status(nc.get()) == NATS_CONN_STATUS_CONNECTED);
    REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 1; }));

    // The client learnt the server's identity and limits from INFO.
    std::array<char, 256> buf{};
    REQUIRE(natsConnection_GetConnectedServerId(nc.get(), buf.data(), buf.size()) == NATS_OK);
    CHECK(std::string(buf.data()) == s->ID());
    REQUIRE(natsConnection_GetConnectedUrl(nc.get(), buf.data(), buf.size()) == NATS_OK);
    CHECK(std::string(buf.data()) == natsURL(s->Port()));
    CHECK(natsConnection_GetMaxPayload(nc.get()) == gnatsd::server::MAX_PAYLOAD_SIZE);

    // A second connection is counted too.
    ConnPtr nc2 = connect(*s);
    REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 2; }));
  }
  // Destroying the connections closes them on the server.
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 0; }));
}

TEST_CASE("CNatsPubSub", "[interop]") {
  auto s = RunDefaultServer();
  ConnPtr sc = connect(*s);
  ConnPtr pc = connect(*s);
  SubPtr sub = subscribeSync(sc.get(), "foo");
  flush(sc.get());
  REQUIRE(s->NumSubscriptions() == 1);

  publish(pc.get(), "foo", "hello");
  publish(pc.get(), "bar", "not for foo");
  publish(pc.get(), "foo", "");  // empty payload
  flush(pc.get());

  MsgPtr m = expectMsg(sub.get());
  CHECK(std::string(natsMsg_GetSubject(m.get())) == "foo");
  CHECK(natsMsg_GetReply(m.get()) == nullptr);
  CHECK(data(m.get()) == "hello");
  m = expectMsg(sub.get());
  CHECK(std::string(natsMsg_GetSubject(m.get())) == "foo");
  CHECK(natsMsg_GetDataLength(m.get()) == 0);
  expectNoMsg(sub.get());

  // A reply subject travels with the message.
  REQUIRE(natsConnection_PublishRequestString(pc.get(), "foo", "my.reply", "ask") == NATS_OK);
  m = expectMsg(sub.get());
  CHECK(std::string(natsMsg_GetReply(m.get())) == "my.reply");
  CHECK(data(m.get()) == "ask");

  // After unsubscribing nothing more is delivered and the server forgets it.
  REQUIRE(natsSubscription_Unsubscribe(sub.get()) == NATS_OK);
  flush(sc.get());
  REQUIRE(s->NumSubscriptions() == 0);
}

TEST_CASE("CNatsWildcardSubscriptions", "[interop]") {
  auto s = RunDefaultServer();
  ConnPtr nc = connect(*s);
  SubPtr star = subscribeSync(nc.get(), "foo.*");
  SubPtr gt = subscribeSync(nc.get(), "foo.>");
  SubPtr mid = subscribeSync(nc.get(), "*.bar.*");
  SubPtr all = subscribeSync(nc.get(), ">");
  flush(nc.get());

  for (const char* subj : {"foo", "foo.bar", "foo.bar.baz", "x.bar.y", "foo.baz"}) publish(nc.get(), subj, subj);
  flush(nc.get());

  auto received = [](natsSubscription* sub) {
    std::vector<std::string> got;
    for (int i = 0; i < 10; ++i) {
      natsStatus st = NATS_OK;
      MsgPtr m = nextMsg(sub, 200, &st);
      if (st != NATS_OK) break;
      CHECK(data(m.get()) == natsMsg_GetSubject(m.get()));
      got.emplace_back(natsMsg_GetSubject(m.get()));
    }
    return got;
  };
  using V = std::vector<std::string>;
  CHECK(received(star.get()) == V{"foo.bar", "foo.baz"});
  CHECK(received(gt.get()) == V{"foo.bar", "foo.bar.baz", "foo.baz"});
  CHECK(received(mid.get()) == V{"foo.bar.baz", "x.bar.y"});
  CHECK(received(all.get()) == V{"foo", "foo.bar", "foo.bar.baz", "x.bar.y", "foo.baz"});
}

TEST_CASE("CNatsQueueGroups", "[interop]") {
  auto s = RunDefaultServer();
  constexpr int kMembers = 3;
  constexpr int kMsgs = 300;
  std::vector<ConnPtr> conns;
  std::vector<SubPtr> members;
  for (int i = 0; i < kMembers; ++i) {
    conns.push_back(connect(*s));
    members.push_back(queueSubscribeSync(conns.back().get(), "work", "workers"));
    flush(conns.back().get());
  }
  ConnPtr plainConn = connect(*s);
  SubPtr plain = subscribeSync(plainConn.get(), "work");
  flush(plainConn.get());
  REQUIRE(s->NumSubscriptions() == kMembers + 1);

  ConnPtr pc = connect(*s);
  for (int i = 0; i < kMsgs; ++i) publish(pc.get(), "work", std::to_string(i));
  flush(pc.get());

  // Every message goes to exactly one member of the group.
  std::vector<int> seen(kMsgs, 0);
  std::vector<int> perMember(kMembers, 0);
  int total = 0;
  for (int round = 0; round < kMsgs + 50 && total < kMsgs; ++round) {
    for (int i = 0; i < kMembers; ++i) {
      natsStatus st = NATS_OK;
      MsgPtr m = nextMsg(members[static_cast<size_t>(i)].get(), 20, &st);
      if (st != NATS_OK) continue;
      int n = std::stoi(data(m.get()));
      REQUIRE(n >= 0);
      REQUIRE(n < kMsgs);
      ++seen[static_cast<size_t>(n)];
      ++perMember[static_cast<size_t>(i)];
      ++total;
    }
  }
  REQUIRE(total == kMsgs);
  for (int i = 0; i < kMsgs; ++i) {
    INFO("message " << i);
    REQUIRE(seen[static_cast<size_t>(i)] == 1);
  }
  for (int i = 0; i < kMembers; ++i) {
    INFO("member " << i << " got " << perMember[static_cast<size_t>(i)]);
    CHECK(perMember[static_cast<size_t>(i)] > 0);
    expectNoMsg(members[static_cast<size_t>(i)].get(), 20);
  }

  // The plain subscriber is outside the group and sees everything, in order.
  for (int i = 0; i < kMsgs; ++i) {
    MsgPtr m = expectMsg(plain.get());
    if (data(m.get()) != std::to_string(i)) FAIL("plain subscriber: message " << i << " was " << data(m.get()));
  }
  expectNoMsg(plain.get());
}

TEST_CASE("CNatsRequestReply", "[interop]") {
  auto s = RunDefaultServer();
  ConnPtr responderConn = connect(*s);
  std::atomic<int> served{0};
  natsSubscription* raw = nullptr;
  REQUIRE(natsConnection_Subscribe(&raw, responderConn.get(), "help", onRequest, &served) == NATS_OK);
  SubPtr responder(raw);
  flush(responderConn.get());

  ConnPtr nc = connect(*s);
  for (int i = 0; i < 10; ++i) {
    std::string req = "req-" + std::to_string(i);
    natsMsg* reply = nullptr;
    natsStatus st = natsConnection_RequestString(&reply, nc.get(), "help", req.c_str(), 2000);
    MsgPtr r(reply);
    INFO("request " << i << ": " << natsStatus_GetText(st));
    REQUIRE(st == NATS_OK);
    CHECK(data(r.get()) == "reply:" + req);
  }
  CHECK(served.load() == 10);

  // gnatsd 1.0.0 has no "no responders" status: an unanswered request times out.
  natsMsg* reply = nullptr;
  natsStatus st = natsConnection_RequestString(&reply, nc.get(), "nobody.home", "?", 200);
  MsgPtr r(reply);
  CHECK(st == NATS_TIMEOUT);
  CHECK(r == nullptr);
}

TEST_CASE("CNatsAutoUnsubscribe", "[interop]") {
  auto s = RunDefaultServer();
  ConnPtr ac = connect(*s);
  SubPtr autoSub = subscribeSync(ac.get(), "auto");
  REQUIRE(natsSubscription_AutoUnsubscribe(autoSub.get(), 5) == NATS_OK);
  flush(ac.get());
  ConnPtr cc = connect(*s);
  SubPtr counter = subscribeSync(cc.get(), "auto");
  flush(cc.get());
  REQUIRE(s->NumSubscriptions() == 2);

  ConnPtr pc = connect(*s);
  for (int i = 0; i < 10; ++i) publish(pc.get(), "auto", std::to_string(i));
  flush(pc.get());

  for (int i = 0; i < 10; ++i) CHECK(data(expectMsg(counter.get()).get()) == std::to_string(i));
  for (int i = 0; i < 5; ++i) CHECK(data(expectMsg(autoSub.get()).get()) == std::to_string(i));
  natsStatus st = NATS_OK;
  MsgPtr extra = nextMsg(autoSub.get(), 100, &st);
  CHECK(extra == nullptr);
  CHECK(st == NATS_MAX_DELIVERED_MSGS);
  CHECK_FALSE(natsSubscription_IsValid(autoSub.get()));

  // The server dropped the subscription itself after the fifth delivery and
  // put exactly 5 + 10 messages on the wire.
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumSubscriptions() == 1; }));
  CHECK(s->serverStats().outMsgs.load() == 15);

  publish(pc.get(), "auto", "later");
  flush(pc.get());
  CHECK(data(expectMsg(counter.get()).get()) == "later");
  CHECK(s->serverStats().outMsgs.load() == 16);
}

TEST_CASE("CNatsFlush", "[interop]") {
  auto s = RunDefaultServer();
  OptsPtr opts;
  {
    natsOptions* o = nullptr;
    REQUIRE(natsOptions_Create(&o) == NATS_OK);
    opts.reset(o);
  }
  REQUIRE(natsOptions_SetURL(opts.get(), natsURL(s->Port()).c_str()) == NATS_OK);
  REQUIRE(natsOptions_SetAllowReconnect(opts.get(), false) == NATS_OK);
  natsConnection* raw = nullptr;
  REQUIRE(natsConnection_Connect(&raw, opts.get()) == NATS_OK);
  ConnPtr nc(raw);

  REQUIRE(natsConnection_FlushTimeout(nc.get(), 1000) == NATS_OK);
  int64_t rtt = -1;
  REQUIRE(natsConnection_GetRTT(nc.get(), &rtt) == NATS_OK);
  CHECK(rtt >= 0);
  CHECK(rtt < int64_t{1'000'000'000});

  // The PONG comes after everything the PING followed: when the flush
  // returns, all messages the connection sent to itself are already queued.
  SubPtr sub = subscribeSync(nc.get(), "flush.me");
  constexpr int kMsgs = 1000;
  for (int i = 0; i < kMsgs; ++i) publish(nc.get(), "flush.me", "x");
  REQUIRE(natsConnection_FlushTimeout(nc.get(), 2000) == NATS_OK);
  uint64_t queued = 0;
  REQUIRE(natsSubscription_QueuedMsgs(sub.get(), &queued) == NATS_OK);
  CHECK(queued == kMsgs);
  REQUIRE(checkFor(2s, 10ms, [&] { return s->serverStats().inMsgs.load() == kMsgs; }));

  // Without a server a flush cannot complete.
  s->Shutdown();
  REQUIRE(checkFor(2s, 10ms, [&] { return natsConnection_Status(nc.get()) == NATS_CONN_STATUS_CLOSED; }));
  CHECK(natsConnection_FlushTimeout(nc.get(), 200) != NATS_OK);
}

TEST_CASE("CNatsLargePayload", "[interop]") {
  auto s = RunDefaultServer();
  ConnPtr sc = connect(*s);
  ConnPtr pc = connect(*s);
  REQUIRE(natsConnection_GetMaxPayload(pc.get()) == 1048576);
  SubPtr sub = subscribeSync(sc.get(), "big");
  flush(sc.get());

  std::string payload(1048576, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 31 + 7) & 0xff);
  publish(pc.get(), "big", payload);
  flush(pc.get());

  MsgPtr m = expectMsg(sub.get(), 5000);
  REQUIRE(natsMsg_GetDataLength(m.get()) == 1048576);
  CHECK(std::memcmp(natsMsg_GetData(m.get()), payload.data(), payload.size()) == 0);

  // One byte more is refused by the client before it reaches the wire.
  payload.push_back('!');
  CHECK(natsConnection_Publish(pc.get(), "big", payload.data(), static_cast<int>(payload.size())) ==
        NATS_MAX_PAYLOAD);
  expectNoMsg(sub.get());
  CHECK(natsConnection_Status(pc.get()) == NATS_CONN_STATUS_CONNECTED);
}

TEST_CASE("CNatsManySubscriptions", "[interop]") {
  auto s = RunDefaultServer();
  constexpr int kSubs = 1000;
  ConnPtr nc = connect(*s);
  std::vector<SubPtr> subs;
  subs.reserve(kSubs);
  for (int i = 0; i < kSubs; ++i) subs.push_back(subscribeSync(nc.get(), ("many." + std::to_string(i)).c_str()));
  flush(nc.get());
  REQUIRE(s->NumSubscriptions() == kSubs);

  ConnPtr pc = connect(*s);
  for (int i = 0; i < kSubs; ++i) {
    std::string subj = "many." + std::to_string(i);
    publish(pc.get(), subj.c_str(), "payload-" + std::to_string(i));
  }
  flush(pc.get());

  int good = 0;
  for (int i = 0; i < kSubs; ++i) {
    natsStatus st = NATS_OK;
    MsgPtr m = nextMsg(subs[static_cast<size_t>(i)].get(), 2000, &st);
    if (st != NATS_OK) FAIL("subscription " << i << ": " << natsStatus_GetText(st));
    if (data(m.get()) == "payload-" + std::to_string(i) &&
        std::string(natsMsg_GetSubject(m.get())) == "many." + std::to_string(i))
      ++good;
  }
  CHECK(good == kSubs);
  // Each got exactly its own message.
  for (int i = 0; i < kSubs; i += 97) expectNoMsg(subs[static_cast<size_t>(i)].get(), 10);
}

TEST_CASE("CNatsBurstOrdering", "[interop]") {
  auto s = RunDefaultServer();
  constexpr int kMsgs = 10000;
  ConnPtr sc = connect(*s);
  SubPtr sub = subscribeSync(sc.get(), "burst");
  flush(sc.get());
  ConnPtr pc = connect(*s);
  for (int i = 0; i < kMsgs; ++i) publish(pc.get(), "burst", std::to_string(i));
  flush(pc.get());

  int firstBad = -1;
  std::string badData;
  for (int i = 0; i < kMsgs; ++i) {
    natsStatus st = NATS_OK;
    MsgPtr m = nextMsg(sub.get(), 2000, &st);
    if (st != NATS_OK) FAIL("message " << i << " missing: " << natsStatus_GetText(st));
    if (firstBad < 0 && data(m.get()) != std::to_string(i)) {
      firstBad = i;
      badData = data(m.get());
    }
  }
  INFO("message " << firstBad << " was " << badData);
  CHECK(firstBad == -1);
  expectNoMsg(sub.get());
  int64_t dropped = -1;
  REQUIRE(natsSubscription_GetDropped(sub.get(), &dropped) == NATS_OK);
  CHECK(dropped == 0);
}

TEST_CASE("CNatsReconnectAfterServerRestart", "[interop]") {
  Options o = DefaultTestOptions();
  o.Port = freePort();
  auto s = RunServer(o);
  REQUIRE(s->Port() == o.Port);

  ReconnectEvents ev;
  OptsPtr opts;
  {
    natsOptions* raw = nullptr;
    REQUIRE(natsOptions_Create(&raw) == NATS_OK);
    opts.reset(raw);
  }
  REQUIRE(natsOptions_SetURL(opts.get(), natsURL(o.Port).c_str()) == NATS_OK);
  REQUIRE(natsOptions_SetMaxReconnect(opts.get(), 500) == NATS_OK);
  REQUIRE(natsOptions_SetReconnectWait(opts.get(), 20) == NATS_OK);
  REQUIRE(natsOptions_SetReconnectJitter(opts.get(), 0, 0) == NATS_OK);
  REQUIRE(natsOptions_SetDisconnectedCB(opts.get(), onDisconnected, &ev) == NATS_OK);
  REQUIRE(natsOptions_SetReconnectedCB(opts.get(), onReconnected, &ev) == NATS_OK);
  natsConnection* raw = nullptr;
  REQUIRE(natsConnection_Connect(&raw, opts.get()) == NATS_OK);
  ConnPtr nc(raw);

  SubPtr sub = subscribeSync(nc.get(), "recon");
  flush(nc.get());
  publish(nc.get(), "recon", "before");
  CHECK(data(expectMsg(sub.get()).get()) == "before");

  s->Shutdown();
  REQUIRE(checkFor(5s, 10ms, [&] { return ev.disconnected.load() >= 1; }));
  CHECK(ev.reconnected.load() == 0);
  // Published while disconnected: held by the client and sent after reconnecting.
  publish(nc.get(), "recon", "buffered");

  s = RunServer(o);
  REQUIRE(s->Port() == o.Port);
  REQUIRE(checkFor(5s, 10ms, [&] { return ev.reconnected.load() == 1; }));
  REQUIRE(natsConnection_Status(nc.get()) == NATS_CONN_STATUS_CONNECTED);
  flush(nc.get());
  // The client re-sent its subscription to the new server.
  REQUIRE(s->NumSubscriptions() == 1);
  REQUIRE(s->NumClients() == 1);
  CHECK(data(expectMsg(sub.get()).get()) == "buffered");

  publish(nc.get(), "recon", "after");
  CHECK(data(expectMsg(sub.get()).get()) == "after");
  SubPtr fresh = subscribeSync(nc.get(), "recon.fresh");
  flush(nc.get());
  ConnPtr other = connect(*s);
  publish(other.get(), "recon.fresh", "new sub");
  CHECK(data(expectMsg(fresh.get()).get()) == "new sub");
  CHECK(ev.reconnected.load() == 1);
}

TEST_CASE("CNatsServerMaxPayload", "[interop]") {
  Options o = DefaultTestOptions();
  o.MaxPayload = 1024;
  auto s = RunServer(o);
  ConnPtr nc = connect(*s);
  // The client takes the limit from the server's INFO.
  REQUIRE(natsConnection_GetMaxPayload(nc.get()) == 1024);
  SubPtr sub = subscribeSync(nc.get(), "mp");
  flush(nc.get());

  std::string tooBig(1025, 'x');
  CHECK(natsConnection_Publish(nc.get(), "mp", tooBig.data(), static_cast<int>(tooBig.size())) == NATS_MAX_PAYLOAD);
  std::string fits(1024, 'y');
  publish(nc.get(), "mp", fits);
  flush(nc.get());
  MsgPtr m = expectMsg(sub.get());
  CHECK(data(m.get()) == fits);
  expectNoMsg(sub.get());
  CHECK(natsConnection_Status(nc.get()) == NATS_CONN_STATUS_CONNECTED);
}
