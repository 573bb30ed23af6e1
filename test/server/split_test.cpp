// Go: server/split_test.go
// White-box tests of operations cut across reads: the parser must save what
// it has of a line or payload, finish it on the next read, and then let go of
// the saved copies. Where Go builds a Server around a bare Sublist, we use a
// Server that was never started (no threads, no sockets) for its Sublist.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/client.h"
#include "server/const.h"
#include "server/errors.h"
#include "server/gofmt.h"
#include "server/server.h"
#include "server/util.h"
#include "test/helpers/client_peer.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::server;
using gnatsd::test::DefaultTestOptions;
using gnatsd::test::dummyClient;

namespace {

std::unique_ptr<Server> newIdleServer() { return Server::New(DefaultTestOptions()); }

void parseOK(client& c, std::string_view bytes) {
  Error err = c.parse(bytes);
  INFO("input: " << quoteGo(bytes) << " error: " << err.str());
  REQUIRE_FALSE(err);
}

void parseExpect(client& c, std::string_view bytes, int wantState) {
  parseOK(c, bytes);
  INFO("input: " << quoteGo(bytes));
  REQUIRE(peer(c).state() == wantState);
}

}  // namespace

TEST_CASE("TestSplitBufferSubOp", "[split]") {
  auto s = newIdleServer();
  auto c = dummyClient(s.get());
  const std::string_view subop = "SUB foo 1\r\n";
  parseExpect(*c, subop.substr(0, 6), SUB_ARG);
  parseExpect(*c, subop.substr(6), OP_START);
  auto r = s->sublist().Match("foo");
  REQUIRE(r);
  REQUIRE(r->psubs.size() == 1);
  const auto& sub = r->psubs[0];
  REQUIRE(sub->subject == "foo");
  REQUIRE(sub->sid == "1");
  REQUIRE(sub->queue.empty());
}

TEST_CASE("TestSplitBufferUnsubOp", "[split]") {
  auto s = newIdleServer();
  auto c = dummyClient(s.get());
  parseExpect(*c, "SUB foo 1024\r\n", OP_START);
  REQUIRE(s->sublist().Count() == 1);

  const std::string_view unsubop = "UNSUB 1024\r\n";
  parseExpect(*c, unsubop.substr(0, 8), UNSUB_ARG);
  parseExpect(*c, unsubop.substr(8), OP_START);
  auto r = s->sublist().Match("foo");
  REQUIRE(r->psubs.empty());
  REQUIRE(s->sublist().Count() == 0);
}

TEST_CASE("TestSplitBufferPubOp", "[split]") {
  auto c = dummyClient();
  const std::string_view pub = "PUB foo.bar INBOX.22 11\r\nhello world\r";
  parseExpect(*c, pub.substr(0, 2), OP_PU);
  parseExpect(*c, pub.substr(2, 7), PUB_ARG);
  parseExpect(*c, pub.substr(9, 6), PUB_ARG);
  parseExpect(*c, pub.substr(15, 7), PUB_ARG);
  parseExpect(*c, pub.substr(22, 3), MSG_PAYLOAD);
  REQUIRE(peer(c).pa().subject == "foo.bar");
  REQUIRE(peer(c).pa().reply == "INBOX.22");
  REQUIRE(peer(c).pa().size == 11);
  parseExpect(*c, pub.substr(25, 8), MSG_PAYLOAD);
  parseExpect(*c, pub.substr(33), MSG_END);
}

TEST_CASE("TestSplitBufferPubOp2", "[split]") {
  auto c = dummyClient();
  const std::string_view pub = "PUB foo.bar INBOX.22 11\r\nhello world\r\n";
  parseExpect(*c, pub.substr(0, 30), MSG_PAYLOAD);
  parseExpect(*c, pub.substr(30), OP_START);
}

TEST_CASE("TestSplitBufferPubOp3", "[split]") {
  auto c = dummyClient();
  std::string pubAll = "PUB foo bar 11\r\nhello world\r\n";
  parseOK(*c, std::string_view(pubAll).substr(0, 16));
  REQUIRE(peer(c).pa().subject == "foo");
  // The next read reuses the buffer: the arguments must have been copied
  // out before the payload is complete.
  pubAll.replace(0, 16, std::string(16, 'X'));
  REQUIRE(peer(c).pa().subject == "foo");
  REQUIRE(peer(c).pa().reply == "bar");
  REQUIRE(peer(c).pa().szb == "11");
}

TEST_CASE("TestSplitBufferPubOp4", "[split]") {
  auto c = dummyClient();
  std::string pubAll = "PUB foo 11\r\nhello world\r\n";
  parseOK(*c, std::string_view(pubAll).substr(0, 12));
  REQUIRE(peer(c).pa().subject == "foo");
  pubAll.replace(0, 12, std::string(12, 'X'));
  REQUIRE(peer(c).pa().subject == "foo");
  REQUIRE(peer(c).pa().reply.empty());
  REQUIRE(peer(c).pa().szb == "11");
}

TEST_CASE("TestSplitBufferPubOp5", "[split]") {
  auto c = dummyClient();
  const std::string_view pubAll = "PUB foo 11\r\nhello world\r\n";
  // Cut between the CR and the LF that end the payload (state MSG_END).
  parseOK(*c, pubAll.substr(0, pubAll.size() - 1));
  REQUIRE(peer(c).state() == MSG_END);
  REQUIRE(peer(c).hasMsgBuf());
  REQUIRE(peer(c).msgBuf() == "hello world\r");
}

TEST_CASE("TestSplitConnectArg", "[split]") {
  auto c = dummyClient();
  const std::string_view connectAll =
      "CONNECT {\"verbose\":false,\"ssl_required\":false,"
      "\"user\":\"test\",\"pedantic\":true,\"pass\":\"pass\"}\r\n";
  const std::string_view argJSON = connectAll.substr(8);

  parseOK(*c, connectAll.substr(0, 5));
  REQUIRE_FALSE(peer(c).hasArgBuf());

  parseOK(*c, connectAll.substr(5, 17));
  REQUIRE(peer(c).hasArgBuf());
  REQUIRE(peer(c).argBuf() == argJSON.substr(0, 14));

  parseOK(*c, connectAll.substr(22, connectAll.size() - 2 - 22));
  REQUIRE(peer(c).hasArgBuf());
  REQUIRE(peer(c).argBuf() == argJSON.substr(0, argJSON.size() - 2));

  parseOK(*c, connectAll.substr(connectAll.size() - 2));
  REQUIRE_FALSE(peer(c).hasArgBuf());
  // The reassembled JSON was the one processed.
  REQUIRE(peer(c).opts().Username == "test");
  REQUIRE(peer(c).opts().Password == "pass");
  REQUIRE_FALSE(peer(c).opts().Verbose);
}

TEST_CASE("TestSplitDanglingArgBuf", "[split]") {
  auto s = newIdleServer();
  auto c = dummyClient(s.get());

  // The Go test ignores parse errors here; so do we, and look at the buffers.
  // SUB
  const std::string_view subop = "SUB foo 1\r\n";
  c->parse(subop.substr(0, 6));
  c->parse(subop.substr(6));
  REQUIRE_FALSE(peer(c).hasArgBuf());

  // UNSUB
  const std::string_view unsubop = "UNSUB 1024\r\n";
  c->parse(unsubop.substr(0, 8));
  c->parse(unsubop.substr(8));
  REQUIRE_FALSE(peer(c).hasArgBuf());

  // PUB: the arguments are kept until the payload is complete.
  const std::string_view pubop = "PUB foo.bar INBOX.22 11\r\nhello world\r\n";
  c->parse(pubop.substr(0, 22));
  c->parse(pubop.substr(22, 3));
  REQUIRE(peer(c).hasArgBuf());
  c->parse(pubop.substr(25));
  REQUIRE_FALSE(peer(c).hasArgBuf());

  // MINUS_ERR
  const std::string_view errop = "-ERR Too Long\r\n";
  c->parse(errop.substr(0, 8));
  c->parse(errop.substr(8));
  REQUIRE_FALSE(peer(c).hasArgBuf());

  // CONNECT_ARG
  const std::string_view connop =
      "CONNECT {\"verbose\":false,\"ssl_required\":false,"
      "\"user\":\"test\",\"pedantic\":true,\"pass\":\"pass\"}\r\n";
  c->parse(connop.substr(0, 22));
  c->parse(connop.substr(22));
  REQUIRE_FALSE(peer(c).hasArgBuf());

  // INFO_ARG
  const std::string_view infoop = "INFO {\"server_id\":\"id\"}\r\n";
  c->parse(infoop.substr(0, 8));
  c->parse(infoop.substr(8));
  REQUIRE_FALSE(peer(c).hasArgBuf());

  // MSG (from a route only)
  auto r = dummyClient(nullptr, ROUTER);
  const std::string_view msgop = "MSG foo RSID:2:1 5\r\nhello\r\n";
  r->parse(msgop.substr(0, 5));
  r->parse(msgop.substr(5, 5));
  REQUIRE(peer(r).hasArgBuf());
  REQUIRE(peer(r).argBuf() == "foo RS");
  r->parse(msgop.substr(10));
  REQUIRE_FALSE(peer(r).hasArgBuf());
  REQUIRE_FALSE(peer(r).hasMsgBuf());

  REQUIRE(peer(r).state() == OP_START);
  // Cut inside the payload: the MSG arguments must have been saved.
  r->parse(msgop.substr(0, 23));
  REQUIRE(peer(r).hasArgBuf());
  REQUIRE(peer(r).pa().subject == "foo");
  REQUIRE(peer(r).pa().reply.empty());
  REQUIRE(peer(r).pa().sid == "RSID:2:1");
  REQUIRE(peer(r).pa().size == 5);
  REQUIRE(peer(r).hasMsgBuf());
  REQUIRE(peer(r).msgBuf() == "hel");
  r->parse(msgop.substr(23));
  // Both saved copies are gone once the message is done.
  REQUIRE_FALSE(peer(r).hasArgBuf());
  REQUIRE_FALSE(peer(r).hasMsgBuf());
}

TEST_CASE("TestSplitMsgArg", "[split]") {
  auto s = newIdleServer();
  auto c = dummyClient(s.get(), ROUTER);

  // Two full 1024-byte reads of a 6040-byte MSG, the first holding the line.
  std::string b(1024, '\0');
  const std::string first = "MSG hello.world RSID:14:8 6040\r\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  b.replace(0, first.size(), first);
  c->parse(b);

  const std::string second = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\r\n";
  b.replace(0, second.size(), second);
  c->parse(b);

  REQUIRE(peer(c).pa().subject == "hello.world");
  REQUIRE(peer(c).pa().sid == "RSID:14:8");
  REQUIRE(peer(c).pa().szb == "6040");
  REQUIRE(peer(c).state() == MSG_PAYLOAD);
}

TEST_CASE("TestSplitBufferMsgOp", "[split]") {
  auto c = dummyClient(nullptr, ROUTER);
  const std::string_view msg = "MSG foo.bar QRSID:15:3 _INBOX.22 11\r\nhello world\r";
  parseExpect(*c, msg.substr(0, 2), OP_MS);
  parseExpect(*c, msg.substr(2, 7), MSG_ARG);
  parseExpect(*c, msg.substr(9, 6), MSG_ARG);
  parseExpect(*c, msg.substr(15, 7), MSG_ARG);
  parseExpect(*c, msg.substr(22, 3), MSG_ARG);
  parseExpect(*c, msg.substr(25, 12), MSG_PAYLOAD);
  REQUIRE(peer(c).pa().subject == "foo.bar");
  REQUIRE(peer(c).pa().sid == "QRSID:15:3");
  REQUIRE(peer(c).pa().reply == "_INBOX.22");
  REQUIRE(peer(c).pa().size == 11);
  parseExpect(*c, msg.substr(37, 5), MSG_PAYLOAD);
  parseExpect(*c, msg.substr(42), MSG_END);
}

// --- beyond split_test.go ---------------------------------------------------------

// Found by TestParseFuzzLite under ASan: PUB has no sid, so a PUB from a
// route kept the sid view of an earlier MSG, which pointed into argBuf; when
// the PUB's payload was then cut by the end of a read, saving the arguments
// copied argBuf onto itself (overlapping memcpy, or a read of freed memory
// if it grew).
TEST_CASE("TestSplitRoutePubAfterSplitMsg", "[split]") {
  auto r = dummyClient(nullptr, ROUTER);
  parseOK(*r, "MSG foo RS");
  parseOK(*r, "ID:1:2 5\r\nhello\r\n");
  REQUIRE(peer(r).state() == OP_START);
  parseOK(*r, "PUB bar 5\r\nhe");
  REQUIRE(peer(r).state() == MSG_PAYLOAD);
  REQUIRE(peer(r).pa().subject == "bar");
  REQUIRE(peer(r).pa().szb == "5");
  REQUIRE(peer(r).pa().sid.empty());
  parseExpect(*r, "llo\r\n", OP_START);
}

namespace {

// Calls fn with `op` cut into three reads at every pair of positions
// (i <= j, so empty reads and single cuts are included).
void forEachSplit(std::string_view op, const std::function<void(const std::vector<std::string_view>&)>& fn) {
  for (size_t i = 0; i <= op.size(); ++i) {
    for (size_t j = i; j <= op.size(); ++j) {
      fn({op.substr(0, i), op.substr(i, j - i), op.substr(j)});
    }
  }
}

// Feeds the reads; the operation must complete and leave nothing saved.
void feedComplete(client& c, const std::vector<std::string_view>& reads) {
  for (auto r : reads) {
    Error err = c.parse(r);
    if (err) {
      std::string all;
      for (auto p : reads) all += quoteGo(p) + " ";
      INFO("reads: " << all << " error: " << err.str());
      REQUIRE_FALSE(err);
    }
  }
  if (peer(c).state() != OP_START || peer(c).hasArgBuf() || peer(c).hasMsgBuf()) {
    std::string all;
    for (auto p : reads) all += quoteGo(p) + " ";
    INFO("reads: " << all << " state " << peer(c).state() << " argBuf " << peer(c).hasArgBuf()
                   << " msgBuf " << peer(c).hasMsgBuf());
    FAIL("operation not completed cleanly");
  }
}

}  // namespace

// Every operation, cut into three reads at every pair of byte positions,
// has the same effect as when it arrives in one read, and leaves no saved
// argument or payload behind.
TEST_CASE("TestSplitEveryOpAtEveryBoundary", "[split]") {
  auto s = newIdleServer();
  const std::string quiet = "CONNECT {\"verbose\":false}\r\n";

  SECTION("SUB") {
    forEachSplit("SUB foo.bar g1 22\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, reads);
      auto r = s->sublist().Match("foo.bar");
      REQUIRE(r->qsubs.size() == 1);
      REQUIRE(r->qsubs[0].size() == 1);
      REQUIRE(r->qsubs[0][0]->sid == "22");
      REQUIRE(r->qsubs[0][0]->queue == "g1");
      REQUIRE(c->numSubs() == 1);
    });
    // Each client's subscription left with it.
    REQUIRE(s->sublist().Count() == 0);
  }
  SECTION("UNSUB") {
    forEachSplit("UNSUB 7 3\r\nUNSUB 8\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, {"SUB a 7\r\nSUB b 8\r\n"});
      feedComplete(*c, reads);
      // sid 7 waits for 3 messages, sid 8 is gone.
      REQUIRE(c->numSubs() == 1);
      REQUIRE(s->sublist().Match("a")->psubs.size() == 1);
      REQUIRE(s->sublist().Match("b")->psubs.empty());
    });
  }
  SECTION("PUB") {
    const std::string want = "MSG foo.bar 1 INBOX.22 11\r\nhello world\r\n";
    forEachSplit("PUB foo.bar INBOX.22 11\r\nhello world\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, {quiet, "SUB foo.bar 1\r\n"});
      feedComplete(*c, reads);
      // The message came back to this client's own subscription, whole.
      REQUIRE(c->pendingBytes() == static_cast<int64_t>(want.size()));
    });
  }
  SECTION("PUB with an empty payload") {
    const std::string want = "MSG foo 1 0\r\n\r\n";
    forEachSplit("PUB foo 0\r\n\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, {quiet, "SUB foo 1\r\n"});
      feedComplete(*c, reads);
      REQUIRE(c->pendingBytes() == static_cast<int64_t>(want.size()));
    });
  }
  SECTION("MSG from a route") {
    const std::string want = "MSG foo 1 _INBOX.x 5\r\nhello\r\n";
    forEachSplit("MSG foo RSID:1:2 _INBOX.x 5\r\nhello\r\n", [&](const auto& reads) {
      auto sub = dummyClient(s.get());
      feedComplete(*sub, {quiet, "SUB foo 1\r\n"});
      auto route = dummyClient(s.get(), ROUTER);
      feedComplete(*route, reads);
      REQUIRE(sub->pendingBytes() == static_cast<int64_t>(want.size()));
    });
  }
  SECTION("CONNECT") {
    forEachSplit("CONNECT {\"verbose\":false,\"user\":\"derek\",\"name\":\"x y\"}\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, reads);
      REQUIRE_FALSE(peer(c).opts().Verbose);
      REQUIRE(peer(c).opts().Username == "derek");
      REQUIRE(peer(c).opts().Name == "x y");
      REQUIRE(c->pendingBytes() == 0);  // verbose off: no +OK
    });
  }
  SECTION("INFO") {
    forEachSplit("INFO {\"server_id\":\"id\"}\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, reads);
      REQUIRE_FALSE(c->isClosed());
    });
  }
  SECTION("PING") {
    forEachSplit("PING\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, reads);
      REQUIRE(c->pendingBytes() == 6);  // PONG\r\n
    });
  }
  SECTION("PONG") {
    forEachSplit("PONG\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      peer(c).setPout(2);
      feedComplete(*c, reads);
      REQUIRE(peer(c).pout() == 0);
    });
  }
  SECTION("+OK") {
    forEachSplit("+OK\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, reads);
      REQUIRE(c->pendingBytes() == 0);
    });
  }
  SECTION("-ERR") {
    forEachSplit("-ERR 'Unknown Protocol Operation'\r\n", [&](const auto& reads) {
      auto c = dummyClient(s.get());
      feedComplete(*c, reads);
      REQUIRE(c->isClosed());  // a client's -ERR ends its connection
    });
  }
}

// gnatsd 1.0.0 appended every byte after a split payload up to the next LF,
// so a peer that never sent LF made the server hold any amount of memory.
// The message was refused at that LF anyway (wrong length); we refuse at the
// first extra byte (docs/DEVIATIONS.md), as today's nats-server does.
TEST_CASE("TestSplitMsgEndGarbageIsBounded", "[split]") {
  auto c = dummyClient();
  parseOK(*c, "PUB foo 1\r\nx");
  const std::string junk(1000, 'Z');
  Error err;
  for (int i = 0; i < 100 && !err; ++i) err = c->parse(junk);
  INFO("msgBuf holds " << peer(c).msgBuf().size() << " bytes");
  CHECK((err || peer(c).msgBuf().size() <= 3));
}
