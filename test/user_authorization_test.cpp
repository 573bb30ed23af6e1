// Go: test/user_authorization_test.go
// Per-user publish and subscribe permissions from configs/authorization.conf
// (an include, variables, bcrypt passwords, default permissions).
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

// Every user of authorization.conf has this password (stored as a bcrypt hash).
constexpr std::string_view DefaultPass = "foo";

const std::regex permErrRe(R"(^\-ERR\s+'Permissions Violation([^\r\n]+)\r\n)");

// The config names a fixed port; tests run on a random one.
std::unique_ptr<Server> runAuthorizationServer() {
  Options opts = LoadConfig(GNATSD_SOURCE_DIR "/test/configs/authorization.conf");
  opts.Port = gnatsd::server::RANDOM_PORT;
  return RunServer(opts);
}

Conn connectAs(Server& s, std::string_view user) {
  Conn c = createClientConn(s);
  expectAuthRequired(c);
  doAuthConnect(c, "", user, DefaultPass);
  expectResult(c, okRe);
  return c;
}

// The next bytes are exactly `line`, and the connection is still open and
// has nothing else queued (a PING gets a bare PONG back): a violation costs
// the client one -ERR and no +OK.
void expectLine(Conn& c, const std::string& line) {
  sendProto(c, "PING\r\n");
  std::string got = expectResult(c, pongRe);
  REQUIRE(got == line + "PONG\r\n");
}

void expectSubDenied(Conn& c, const std::string& subject, const std::string& sid = "1") {
  sendProto(c, "SUB " + subject + " " + sid + "\r\n");
  expectLine(c, "-ERR 'Permissions Violation for Subscription to \"" + subject + "\"'\r\n");
}

void expectSubAllowed(Conn& c, const std::string& subject, const std::string& sid = "1") {
  sendProto(c, "SUB " + subject + " " + sid + "\r\n");
  expectLine(c, "+OK\r\n");
}

void expectPubDenied(Conn& c, const std::string& subject) {
  sendProto(c, "PUB " + subject + " 2\r\nok\r\n");
  expectLine(c, "-ERR 'Permissions Violation for Publish to \"" + subject + "\"'\r\n");
}

void expectPubAllowed(Conn& c, const std::string& subject) {
  sendProto(c, "PUB " + subject + " 2\r\nok\r\n");
  expectLine(c, "+OK\r\n");
}

}  // namespace

TEST_CASE("TestUserAuthorizationProto", "[userauth]") {
  auto s = runAuthorizationServer();

  // Alice (ADMIN) may do anything; check a few.
  {
    Conn c = createClientConn(*s);
    expectAuthRequired(c);
    doAuthConnect(c, "", "alice", DefaultPass);
    expectResult(c, okRe);
    sendProto(c, "PUB foo 2\r\nok\r\n");
    expectResult(c, okRe);
    sendProto(c, "SUB foo 1\r\n");
    expectResult(c, okRe);

    // _SYS. is reserved for the server, even for an admin.
    sendProto(c, "PUB _SYS.HB 2\r\nok\r\n");
    std::string got = expectResult(c, permErrRe);
    CHECK(got == "-ERR 'Permissions Violation for Publish to \"_SYS.HB\"'\r\n");

    // A bare underscore is fine.
    sendProto(c, "PUB _ 2\r\nok\r\n");
    expectResult(c, okRe);
  }

  // Bob (REQUESTOR) publishes to req.foo and req.bar and subscribes to
  // inboxes only.
  {
    Conn c = createClientConn(*s);
    expectAuthRequired(c);
    doAuthConnect(c, "", "bob", DefaultPass);
    expectResult(c, okRe);

    sendProto(c, "SUB foo 1\r\n");
    expectResult(c, permErrRe);
    sendProto(c, "PUB foo 2\r\nok\r\n");
    expectResult(c, permErrRe);

    sendProto(c, "SUB _INBOX.abcd 1\r\n");
    expectResult(c, okRe);
    sendProto(c, "PUB req.foo 2\r\nok\r\n");
    expectResult(c, okRe);
    sendProto(c, "PUB req.bar 2\r\nok\r\n");
    expectResult(c, okRe);
  }

  // Joe has no permissions of his own and gets DEFAULT_PERMISSIONS.
  {
    Conn c = createClientConn(*s);
    expectAuthRequired(c);
    doAuthConnect(c, "", "joe", DefaultPass);
    expectResult(c, okRe);

    sendProto(c, "SUB foo.bar.* 1\r\n");
    expectResult(c, permErrRe);
    sendProto(c, "PUB foo.bar.baz 2\r\nok\r\n");
    expectResult(c, permErrRe);

    sendProto(c, "SUB _INBOX.abcd 1\r\n");
    expectResult(c, okRe);
    sendProto(c, "SUB PUBLIC.abcd 1\r\n");
    expectResult(c, okRe);

    sendProto(c, "PUB SANDBOX.foo 2\r\nok\r\n");
    expectResult(c, okRe);
    sendProto(c, "PUB SANDBOX.bar 2\r\nok\r\n");
    expectResult(c, okRe);

    // SANDBOX.* is one token only.
    sendProto(c, "PUB SANDBOX.foo.bar 2\r\nok\r\n");
    expectResult(c, permErrRe);
  }
}

// --- beyond gnatsd's test ----------------------------------------------------

// The exact texts, no +OK after a refusal, the connection kept, and refused
// subscriptions never registered.
TEST_CASE("TestUserAuthorizationViolationsKeepConnection", "[userauth]") {
  auto s = runAuthorizationServer();
  Conn bob = connectAs(*s, "bob");
  expectSubDenied(bob, "foo");
  expectPubDenied(bob, "foo");
  expectPubDenied(bob, "_SYS.x");
  // Subjects are quoted Go-style in the error.
  sendProto(bob, "PUB x\"y 2\r\nok\r\n");
  expectLine(bob, "-ERR 'Permissions Violation for Publish to \"x\\\"y\"'\r\n");
  expectSubAllowed(bob, "_INBOX.abcd");
  REQUIRE(s->NumSubscriptions() == 1);
}

// A permissions object without a subscribe list allows no subscription
// (fact sheet §8): BENCH only lists publish.
TEST_CASE("TestUserAuthorizationMissingListDeniesAll", "[userauth]") {
  auto s = runAuthorizationServer();
  Conn bench = connectAs(*s, "bench");
  expectPubAllowed(bench, "a");
  expectPubDenied(bench, "b");
  expectPubDenied(bench, "a.b");
  expectSubDenied(bench, "a");
  expectSubDenied(bench, ">");
  REQUIRE(s->NumSubscriptions() == 0);
}

// Messages allowed by permissions are delivered; refused ones never reach a
// subscriber.
TEST_CASE("TestUserAuthorizationDelivery", "[userauth]") {
  auto s = runAuthorizationServer();
  Conn alice = connectAs(*s, "alice");
  Conn bob = connectAs(*s, "bob");
  expectSubAllowed(alice, ">", "1");

  expectPubDenied(bob, "foo");
  expectPubAllowed(bob, "req.foo");
  auto msgs = expectMsgs(alice, 1);
  checkMsg(msgs[0], "req.foo", "1", "", "2", "ok");
}

// Subscribe permissions: a subscription must be a subset of an allowed
// pattern. gnatsd 1.0.0 matched the requested subject as if it were literal,
// so `SUB _INBOX.>` passed an `_INBOX.*` permission and the client then got
// messages with any number of tokens; we refuse it (docs/DEVIATIONS.md).
TEST_CASE("TestUserAuthorizationWildcardSubscribe", "[userauth]") {
  auto s = runAuthorizationServer();

  // Bob: subscribe = "_INBOX.*".
  Conn bob = connectAs(*s, "bob");
  expectSubAllowed(bob, "_INBOX.*", "1");
  expectSubAllowed(bob, "_INBOX.x", "2");
  expectSubDenied(bob, "_INBOX.>", "3");  // 1.0.0: allowed
  expectSubDenied(bob, "_INBOX.a.b", "4");
  expectSubDenied(bob, "_INBOX", "5");
  expectSubDenied(bob, "*.x", "6");
  expectSubDenied(bob, ">", "7");
  // The sublist files a token by its first byte, so `>x` would become `>`:
  // it must be judged as `>` here too, or it slips past `_INBOX.*`.
  expectSubDenied(bob, "_INBOX.>x", "8");  // 1.0.0: allowed
  REQUIRE(s->NumSubscriptions() == 2);

  // Joe: subscribe = ["PUBLIC.>", "_INBOX.>"] (the defaults).
  Conn joe = connectAs(*s, "joe");
  expectSubAllowed(joe, "PUBLIC.>", "1");
  expectSubAllowed(joe, "PUBLIC.*", "2");
  expectSubAllowed(joe, "PUBLIC.a.*", "3");
  expectSubAllowed(joe, "_INBOX.a.b.c", "4");
  expectSubDenied(joe, "PUBLIC", "5");
  expectSubDenied(joe, "*.a", "6");
  expectSubDenied(joe, ">", "7");
  expectSubDenied(joe, "PUBLICX.a", "8");

  // What bob could subscribe to is all he gets: a three-token inbox
  // subject reaches joe's `_INBOX.a.b.c` only.
  Conn alice = connectAs(*s, "alice");
  expectPubAllowed(alice, "_INBOX.a.b.c");
  auto msgs = expectMsgs(joe, 1);
  checkMsg(msgs[0], "_INBOX.a.b.c", "4", "", "2", "ok");
  expectNothing(bob);
}

// The per-client cache of publish decisions is bounded and pruned (1.0.0
// meant to prune at 32 entries but grew without bound); decisions stay right
// across pruning.
TEST_CASE("TestUserAuthorizationPublishCache", "[userauth]") {
  auto s = runAuthorizationServer();
  Conn bob = connectAs(*s, "bob");
  for (int round = 0; round < 2; ++round) {
    std::string batch, want;
    for (int i = 0; i < 100; ++i) {
      std::string subj = "deny." + std::to_string(i);
      batch += "PUB " + subj + " 2\r\nok\r\n";
      want += "-ERR 'Permissions Violation for Publish to \"" + subj + "\"'\r\n";
      if (i % 10 == 0) {
        batch += "PUB req.foo 2\r\nok\r\n";
        want += "+OK\r\n";
      }
    }
    sendProto(bob, batch);
    expectLine(bob, want);
  }
}
