// C++ only (gnatsd 1.0.0's tests only ever meet gnatsd itself)
// A mixed mesh: two in-process gnatsd-cpp servers and a gnatsd 1.0.0 binary,
// routed together over loopback. Pub/sub, queue groups and request/reply
// across both kinds of server, and what is left when one of them goes.
//
// The binary is not part of the repository: build it from the v1.0.0 tag of
// the Go source (README.md, "Clustering") and name it in GNATSD_1_0_0_BIN
// (`make mixed-mesh GNATSD_1_0_0_BIN=...`). Without it every test case says
// so in a warning and passes without checking anything.
//
// The mesh: A (gnatsd-cpp) is the seed; G (gnatsd 1.0.0) dials A; B
// (gnatsd-cpp) dials G and learns of A from G's INFO, so the routes A-G, G-B
// and B-A cover both directions of dialling between the two kinds of server,
// and B-A is an implicit route that G's gossip made.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/helpers/child_process.h"
#include "test/helpers/http_client.h"
#include "test/helpers/route_helpers.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

constexpr const char* kBinVar = "GNATSD_1_0_0_BIN";

// A loopback port that was free a moment ago (bound to port 0, then let go).
int freePort() { return PortHold().port(); }

// Keeps the end of a log for a failure message: enough to see the route
// handshakes, not the whole run.
std::string tail(const std::string& s, size_t n = 6000) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

// The gnatsd 1.0.0 binary, or "" after a warning that the test is skipped.
// A binary that is there but is not 1.0.0 fails the test: the mesh was asked
// for, and another version (2.x has other flags and another route protocol)
// would only make confusing failures further on.
std::string goBinary() {
  const char* env = std::getenv(kBinVar);
  const std::string bin = env ? env : "";
  if (bin.empty() || ::access(bin.c_str(), X_OK) != 0) {
    WARN(kBinVar << (bin.empty() ? " not set" : "=" + bin + " is not an executable file")
                 << ": mixed mesh with gnatsd 1.0.0 skipped (build it from the v1.0.0 tag of the Go "
                    "source, see README.md \"Clustering\", then: make mixed-mesh "
                 << kBinVar << "=/path/to/gnatsd-1.0.0)");
    return "";
  }
  // One look per process at what the binary says it is.
  static std::map<std::string, std::string> versions;
  auto it = versions.find(bin);
  if (it == versions.end()) {
    TempDir t;
    const std::string out = t.file("version");
    ChildProcess p(bin, "gnatsd", {"--version"}, out);
    p.wait(10s);
    it = versions.emplace(bin, readFile(out)).first;
  }
  INFO(kBinVar << "=" << bin << " --version printed: " << it->second);
  REQUIRE(std::regex_search(it->second, std::regex(R"(version 1\.0\.0\b)")));
  return bin;
}

// gnatsd 1.0.0 as a child process: clients and the monitor on random loopback
// ports (it logs which), routes on a port picked free just before (1.0.0
// does not log the port it gets for -1), dialling the given route ports.
// The process is killed (SIGKILL, by its pid) and reaped when the object
// goes, whichever way the test ends.
class GoServer {
 public:
  GoServer(const std::string& bin, const TempDir& dir, const std::string& name, std::vector<int> routes)
      : bin_(bin), log_(dir.file(name + ".log")), out_(dir.file(name + ".out")), routes_(std::move(routes)) {
    // The picked cluster port may be taken by someone else before gnatsd
    // binds it: then it exits at once, and another port is tried.
    for (int attempt = 0; attempt < 3 && !start(freePort()); ++attempt) {
      WARN("gnatsd 1.0.0 did not start on cluster port " << clusterPort_ << ", retrying: " << tail(log()));
    }
    INFO("gnatsd 1.0.0 log: " << tail(log()) << "\noutput: " << readFile(out_));
    REQUIRE(proc_->running());
    REQUIRE(port_ > 0);
  }

  // Starts again with the same cluster port and routes (a new client port).
  // REQUIREs that it came up.
  void restart() {
    const bool ok = start(clusterPort_);
    INFO("gnatsd 1.0.0 log: " << tail(log()) << "\noutput: " << readFile(out_));
    REQUIRE(ok);
  }

  // SIGKILL and reap: the peers see the route connections close.
  void kill() { proc_->kill(); }
  bool running() const { return proc_->running(); }
  pid_t pid() const { return proc_->pid(); }

  int port() const { return port_; }
  int clusterPort() const { return clusterPort_; }
  std::string log() const { return readFile(log_); }

  // /routez's num_routes, or -1 when the monitor does not answer.
  int numRoutes() const { return monitorCount("/routez", "num_routes"); }
  // /subsz's num_subscriptions (local and remote), or -1.
  int numSubscriptions() const { return monitorCount("/subsz", "num_subscriptions"); }

 private:
  // True once gnatsd says it serves clients and its route port accepts.
  bool start(int clusterPort) {
    clusterPort_ = clusterPort;
    port_ = monitorPort_ = 0;
    std::vector<std::string> args = {"-a",        "127.0.0.1", "-p", "-1", "-m", "-1", "-D", "-l", log_,
                                      "--cluster", routeURLString(clusterPort_)};
    for (int r : routes_) args.insert(args.end(), {"--routes", routeURLString(r)});
    const size_t logStart = readFile(log_).size();  // a restart appends to the same log
    proc_ = std::make_unique<ChildProcess>(bin_, "gnatsd", args, out_);

    static const std::regex clientRe(R"(Listening for client connections on [^\s]+:(\d+))");
    static const std::regex monitorRe(R"(Starting http monitor on [^\s]+:(\d+))");
    bool exited = false;
    const bool ok = checkFor(20s, 10ms, [&] {
      if (proc_->wait(0ms)) {
        exited = true;
        return true;
      }
      const std::string l = readFile(log_).substr(logStart);
      std::smatch m;
      if (port_ == 0 && std::regex_search(l, m, clientRe)) port_ = std::stoi(m[1].str());
      if (monitorPort_ == 0 && std::regex_search(l, m, monitorRe)) monitorPort_ = std::stoi(m[1].str());
      if (port_ == 0 || monitorPort_ == 0 || l.find("Listening for route connections") == std::string::npos) {
        return false;
      }
      // The line comes just before the listen call: dial to be sure. An
      // accepted connection that sends nothing is never registered as a route.
      std::string err;
      return gnatsd::server::DialTCP("127.0.0.1", clusterPort_, 200, &err).valid();
    });
    return ok && !exited;
  }

  int monitorCount(const std::string& path, const std::string& key) const {
    if (monitorPort_ <= 0) return -1;
    const HTTPResponse r = httpGet(monitorPort_, path, nullptr, 2s);
    if (!r.ok || r.status != 200) return -1;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains(key) || !j.at(key).is_number_integer()) return -1;
    return j.at(key).get<int>();
  }

  std::string bin_, log_, out_;
  std::vector<int> routes_;
  std::unique_ptr<ChildProcess> proc_;
  int port_ = 0, clusterPort_ = 0, monitorPort_ = 0;
};

// A gnatsd-cpp server of the mesh, logging (debug) to a file of the test's
// directory.
std::unique_ptr<Server> runCppServer(const TempDir& dir, const std::string& name, std::vector<int> routes) {
  Options o = DefaultTestOptions();
  o.Cluster.Host = "127.0.0.1";
  o.Cluster.Port = gnatsd::server::RANDOM_PORT;
  for (int r : routes) o.Routes.push_back(routeURL(r));
  o.LogFile = dir.file(name + ".log");
  o.Debug = true;
  return RunServer(o);
}

// A, G and B routed together (see the top of this file). Members go in
// reverse: B shuts down, G is killed, A shuts down, the logs are removed.
struct MixedMesh {
  TempDir dir;
  std::unique_ptr<Server> a;
  std::unique_ptr<GoServer> g;
  std::unique_ptr<Server> b;

  explicit MixedMesh(const std::string& bin) {
    a = runCppServer(dir, "a", {});
    g = std::make_unique<GoServer>(bin, dir, "g", std::vector<int>{a->ClusterPort()});
    b = runCppServer(dir, "b", {g->clusterPort()});
    requireRoutes(2, 2, 2);
    CHECK(a->NumRemotes() == 2);
    CHECK(b->NumRemotes() == 2);
  }

  // What the servers said, for a failure message.
  std::string logs() const {
    return "--- gnatsd 1.0.0 (G):\n" + tail(g->log()) + "\n--- A:\n" + tail(readFile(dir.file("a.log"))) +
           "\n--- B:\n" + tail(readFile(dir.file("b.log")));
  }

  // Waits until A, G and B have these numbers of routes; -1: not checked
  // (a server that is gone).
  void requireRoutes(int na, int ng, int nb) {
    int ha = 0, hg = 0, hb = 0;
    const bool ok = checkFor(15s, 20ms, [&] {
      ha = na < 0 ? -1 : a->NumRoutes();
      hg = ng < 0 ? -1 : g->numRoutes();
      hb = nb < 0 ? -1 : b->NumRoutes();
      return ha == na && hg == ng && hb == nb;
    });
    INFO("routes: A " << ha << "/" << na << ", G " << hg << "/" << ng << ", B " << hb << "/" << nb << "\n" << logs());
    REQUIRE(ok);
  }

  // Waits until A, G and B count these numbers of subscriptions (their
  // clients' and the routes'); -1: not checked.
  void requireSubs(int na, int ng, int nb) {
    int ha = 0, hg = 0, hb = 0;
    const bool ok = checkFor(10s, 10ms, [&] {
      ha = na < 0 ? -1 : static_cast<int>(a->NumSubscriptions());
      hg = ng < 0 ? -1 : g->numSubscriptions();
      hb = nb < 0 ? -1 : static_cast<int>(b->NumSubscriptions());
      return ha == na && hg == ng && hb == nb;
    });
    INFO("subscriptions: A " << ha << "/" << na << ", G " << hg << "/" << ng << ", B " << hb << "/" << nb << "\n"
                             << logs());
    REQUIRE(ok);
  }
};

Conn connectTo(int port) {
  Conn c = createClientConn("127.0.0.1", port);
  setupConn(c);
  return c;
}

// PING, and the PONG back: the server has taken everything sent before.
void flush(Conn& c) {
  sendProto(c, "PING\r\n");
  expectResult(c, pongRe, 10s);
}

std::string payload(const std::string& tag, int i) { return tag + "." + std::to_string(i); }

// Publishes payload(tag, 0..n-1) on subject, with `reply` (plus ".<i>") when
// given, and waits for the server to have taken them all.
void publish(Conn& c, const std::string& subject, const std::string& tag, int n, const std::string& reply = "") {
  std::string batch;
  for (int i = 0; i < n; ++i) {
    const std::string p = payload(tag, i);
    batch += "PUB " + subject + (reply.empty() ? "" : " " + reply + "." + std::to_string(i)) + " " +
             std::to_string(p.size()) + "\r\n" + p + "\r\n";
  }
  sendProto(c, batch);
  flush(c);
}

// Moves the complete MSGs at the front of c's buffer to *out, skipping PINGs
// and PONGs. False when something else is there (an -ERR, garbage).
bool takeMsgs(Conn& c, std::vector<MsgMatch>* out) {
  std::string& buf = c.buffer();
  size_t p = 0;
  for (;;) {
    if (buf.compare(p, 6, "PONG\r\n") == 0 || buf.compare(p, 6, "PING\r\n") == 0) {
      p += 6;
      continue;
    }
    const size_t eol = buf.find("\r\n", p);
    if (eol == std::string::npos) break;
    if (buf.compare(p, 4, "MSG ") != 0) {
      buf.erase(0, p);
      return false;
    }
    std::vector<std::string> f;
    for (size_t i = p + 4; i < eol;) {
      while (i < eol && buf[i] == ' ') ++i;
      const size_t st = i;
      while (i < eol && buf[i] != ' ') ++i;
      if (i > st) f.emplace_back(buf, st, i - st);
    }
    if (f.size() != 3 && f.size() != 4) {
      buf.erase(0, p);
      return false;
    }
    const size_t n = std::stoul(f.back());
    if (buf.size() < eol + 2 + n + 2) break;
    out->push_back(MsgMatch{f[0], f[1], f.size() == 4 ? f[2] : "", f.back(), buf.substr(eol + 2, n)});
    p = eol + 2 + n + 2;
  }
  buf.erase(0, p);
  return true;
}

// A connection that only receives, and what it got.
struct Receiver {
  Conn conn;
  std::vector<MsgMatch> msgs;
  explicit Receiver(int port) : conn(connectTo(port)) {}
  void sub(const std::string& subject, const std::string& sid, const std::string& queue = "") {
    sendProto(conn, "SUB " + subject + (queue.empty() ? "" : " " + queue) + " " + sid + "\r\n");
  }
  // Reads what is there within `wait`; REQUIREs that it is MSGs.
  void poll(std::chrono::milliseconds wait) {
    conn.readSome(wait);
    const bool ok = takeMsgs(conn, &msgs);
    INFO("unexpected bytes: " << conn.buffer().substr(0, 200));
    REQUIRE(ok);
  }
  size_t count(const std::string& sid) const {
    size_t n = 0;
    for (const auto& m : msgs) n += m.sid == sid;
    return n;
  }
};

// Reads the receivers until they hold `total` MSGs between them (REQUIRE,
// within 20 s), then reads 200 ms more so that any extra MSG shows in the
// exact count the caller checks.
void collect(const std::vector<Receiver*>& rs, size_t total) {
  auto have = [&] {
    size_t n = 0;
    for (auto* r : rs) n += r->msgs.size();
    return n;
  };
  const bool ok = checkFor(20s, 0ms, [&] {
    for (auto* r : rs) r->poll(2ms);
    return have() >= total;
  });
  INFO("MSGs received " << have() << " of " << total);
  REQUIRE(ok);
  for (auto* r : rs) r->poll(200ms);
  REQUIRE(have() == total);
}

// The payloads of msgs (with subject and sid filters, empty: any) that start
// with tag + ".", in the order received.
std::vector<std::string> fromTag(const std::vector<MsgMatch>& msgs, const std::string& tag,
                                 const std::string& sid = "") {
  std::vector<std::string> out;
  for (const auto& m : msgs) {
    if ((sid.empty() || m.sid == sid) && m.msg.compare(0, tag.size() + 1, tag + ".") == 0) out.push_back(m.msg);
  }
  return out;
}

// REQUIREs that got is payload(tag, 0..n-1) in order: every message once,
// in the order its one publisher sent it.
void requireSequence(const std::vector<std::string>& got, const std::string& tag, int n) {
  REQUIRE(got.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    INFO("message " << i << " from " << tag);
    REQUIRE(got[static_cast<size_t>(i)] == payload(tag, i));
  }
}

constexpr int kN = 1000;

}  // namespace

TEST_CASE("TestMixedMeshPubSub", "[mixed][cluster]") {
  const std::string bin = goBinary();
  if (bin.empty()) return;
  MixedMesh mesh(bin);

  // One subscriber per server on its own subject, and a full wildcard on
  // each: 6 subscriptions everywhere.
  Receiver ra(mesh.a->Port()), rg(mesh.g->port()), rb(mesh.b->Port());
  ra.sub("to.a", "1");
  ra.sub(">", "9");
  rg.sub("to.g", "1");
  rg.sub(">", "9");
  rb.sub("to.b", "1");
  rb.sub(">", "9");
  for (auto* r : {&ra, &rg, &rb}) flush(r->conn);
  mesh.requireSubs(6, 6, 6);

  // gnatsd-cpp -> gnatsd 1.0.0 from both C++ servers, and gnatsd 1.0.0 ->
  // each gnatsd-cpp server.
  Conn pa = connectTo(mesh.a->Port()), pg = connectTo(mesh.g->port()), pb = connectTo(mesh.b->Port());
  publish(pa, "to.g", "a", kN);
  publish(pb, "to.g", "b", kN);
  publish(pg, "to.a", "ga", kN);
  publish(pg, "to.b", "gb", kN);
  // Each subscriber: kN on its subject (2 kN for G), and the wildcards see
  // all 4 kN, on every server.
  collect({&ra, &rg, &rb}, 4 * kN + 3 * 4 * kN);
  requireSequence(fromTag(rg.msgs, "a", "1"), "a", kN);
  requireSequence(fromTag(rg.msgs, "b", "1"), "b", kN);
  requireSequence(fromTag(ra.msgs, "ga", "1"), "ga", kN);
  requireSequence(fromTag(rb.msgs, "gb", "1"), "gb", kN);
  for (auto* r : {&ra, &rg, &rb}) {
    for (const char* tag : {"a", "b", "ga", "gb"}) requireSequence(fromTag(r->msgs, tag, "9"), tag, kN);
  }
  CHECK(ra.count("1") == static_cast<size_t>(kN));
  CHECK(rg.count("1") == static_cast<size_t>(2 * kN));
  CHECK(rb.count("1") == static_cast<size_t>(kN));

  // Large messages (100 KB, split over many reads on both sides of each
  // route), both ways, with a reply subject.
  for (auto* r : {&ra, &rg, &rb}) r->msgs.clear();
  const std::string big(100000, 'x');
  auto bigPubs = [&](Conn& c, const std::string& subject, const std::string& tag) {
    std::string batch;
    for (int i = 0; i < 5; ++i) {
      batch += "PUB " + subject + " reply." + tag + " " + std::to_string(big.size() + 10) + "\r\n" +
               payload(tag, i).append(10 - payload(tag, i).size(), '-') + big + "\r\n";
    }
    sendProto(c, batch);
    flush(c);
  };
  bigPubs(pa, "to.g", "A");
  bigPubs(pg, "to.b", "G");
  collect({&ra, &rg, &rb}, 2 * 5 + 3 * 2 * 5);
  for (const auto& [r, tag] : {std::pair{&rg, std::string("A")}, std::pair{&rb, std::string("G")}}) {
    std::vector<MsgMatch> got;
    for (const auto& m : r->msgs) {
      if (m.sid == "1") got.push_back(m);
    }
    REQUIRE(got.size() == 5);
    for (int i = 0; i < 5; ++i) {
      const auto& m = got[static_cast<size_t>(i)];
      CHECK(m.reply == "reply." + tag);
      CHECK(m.len == std::to_string(big.size() + 10));
      CHECK(m.msg.compare(0, payload(tag, i).size() + 1, payload(tag, i) + "-") == 0);
      CHECK(m.msg.compare(10, big.size(), big) == 0);
    }
  }
}

TEST_CASE("TestMixedMeshQueueGroup", "[mixed][cluster]") {
  const std::string bin = goBinary();
  if (bin.empty()) return;
  MixedMesh mesh(bin);

  // Queue "workers" on "work": two members on G, one on A, one on B; and a
  // plain subscriber on B, which must get everything.
  Receiver qa(mesh.a->Port()), qg(mesh.g->port()), qb(mesh.b->Port()), plain(mesh.b->Port());
  qa.sub("work", "1", "workers");
  qg.sub("work", "1", "workers");
  qg.sub("work", "2", "workers");
  qb.sub("work", "1", "workers");
  plain.sub("work", "1");
  for (auto* r : {&qa, &qg, &qb, &plain}) flush(r->conn);
  mesh.requireSubs(5, 5, 5);

  Conn pa = connectTo(mesh.a->Port()), pg = connectTo(mesh.g->port()), pb = connectTo(mesh.b->Port());
  publish(pa, "work", "a", kN);
  publish(pg, "work", "g", kN);
  publish(pb, "work", "b", kN);
  collect({&qa, &qg, &qb, &plain}, 2 * 3 * kN);

  // The plain subscriber: all of them, each publisher's in order.
  for (const char* tag : {"a", "g", "b"}) requireSequence(fromTag(plain.msgs, tag), tag, kN);
  // The group: each message exactly once, wherever it was published.
  std::set<std::string> seen;
  for (auto* r : {&qa, &qg, &qb}) {
    for (const auto& m : r->msgs) {
      INFO("delivered twice in the queue group: " << m.msg);
      REQUIRE(seen.insert(m.msg).second);
    }
  }
  REQUIRE(seen.size() == static_cast<size_t>(3 * kN));
  // Picked at random among the four members (the servers do not favour
  // their own): over 3000 messages every server's members get some.
  INFO("queue deliveries: A " << qa.msgs.size() << ", G sid 1 " << qg.count("1") << ", G sid 2 " << qg.count("2")
                              << ", B " << qb.msgs.size());
  CHECK(qa.msgs.size() > 0);
  CHECK(qg.count("1") > 0);
  CHECK(qg.count("2") > 0);
  CHECK(qb.msgs.size() > 0);

  // A member leaves (its server tells the others): the rest share all.
  sendProto(qg.conn, "UNSUB 2\r\n");
  flush(qg.conn);
  mesh.requireSubs(4, 4, 4);
  for (auto* r : {&qa, &qg, &qb, &plain}) r->msgs.clear();
  publish(pg, "work", "g2", kN);
  publish(pa, "work", "a2", kN);
  collect({&qa, &qg, &qb, &plain}, 2 * 2 * kN);
  CHECK(qg.count("2") == 0);
  CHECK(qa.msgs.size() + qg.msgs.size() + qb.msgs.size() == static_cast<size_t>(2 * kN));
}

TEST_CASE("TestMixedMeshRequestReply", "[mixed][cluster]") {
  const std::string bin = goBinary();
  if (bin.empty()) return;
  MixedMesh mesh(bin);

  // Responders: a queue group over G and A on "svc.q", G alone on "svc.g",
  // A alone on "svc.a". Requesters each have their own inbox.
  Receiver respG(mesh.g->port()), respA(mesh.a->Port());
  respG.sub("svc.q", "1", "workers");
  respA.sub("svc.q", "1", "workers");
  respG.sub("svc.g", "2");
  respA.sub("svc.a", "2");
  Receiver reqB(mesh.b->Port()), reqG(mesh.g->port()), reqA(mesh.a->Port());
  reqB.sub("_INBOX.b.*", "1");
  reqG.sub("_INBOX.g.*", "1");
  reqA.sub("_INBOX.a.*", "1");
  for (auto* r : {&respG, &respA, &reqB, &reqG, &reqA}) flush(r->conn);
  mesh.requireSubs(7, 7, 7);

  // Each responder answers every request it got: "re:" + the request, to
  // its reply subject.
  auto answer = [](Receiver& r) {
    std::string batch;
    for (const auto& m : r.msgs) {
      REQUIRE_FALSE(m.reply.empty());
      const std::string body = "re:" + m.msg;
      batch += "PUB " + m.reply + " " + std::to_string(body.size()) + "\r\n" + body + "\r\n";
    }
    if (!batch.empty()) sendProto(r.conn, batch);
    r.msgs.clear();
  };
  // The requester got one reply per request, on the inbox it named.
  auto requireReplies = [](Receiver& req, const std::string& inbox, const std::string& tag, int n) {
    collect({&req}, static_cast<size_t>(n));
    std::set<int> got;
    for (const auto& m : req.msgs) {
      const std::string rest = m.subject.substr(inbox.size() + 1);
      CHECK(m.subject.compare(0, inbox.size() + 1, inbox + ".") == 0);
      CHECK(m.msg == "re:" + payload(tag, std::stoi(rest)));
      got.insert(std::stoi(rest));
    }
    CHECK(got.size() == static_cast<size_t>(n));
    req.msgs.clear();
  };

  SECTION("gnatsd-cpp requester, queue of responders on both kinds") {
    Conn c = connectTo(mesh.b->Port());
    publish(c, "svc.q", "q", kN, "_INBOX.b");
    collect({&respG, &respA}, kN);
    INFO("requests answered by G: " << respG.msgs.size() << ", by A: " << respA.msgs.size());
    CHECK(respG.msgs.size() > 0);
    CHECK(respA.msgs.size() > 0);
    answer(respG);
    answer(respA);
    requireReplies(reqB, "_INBOX.b", "q", kN);
  }
  SECTION("gnatsd 1.0.0 requester, gnatsd-cpp responder") {
    Conn c = connectTo(mesh.g->port());
    publish(c, "svc.a", "ga", kN, "_INBOX.g");
    collect({&respA}, kN);
    answer(respA);
    requireReplies(reqG, "_INBOX.g", "ga", kN);
  }
  SECTION("gnatsd-cpp requester, gnatsd 1.0.0 responder") {
    Conn c = connectTo(mesh.a->Port());
    publish(c, "svc.g", "ag", kN, "_INBOX.a");
    collect({&respG}, kN);
    answer(respG);
    requireReplies(reqA, "_INBOX.a", "ag", kN);
  }
}

TEST_CASE("TestMixedMeshAutoUnsub", "[mixed][cluster]") {
  const std::string bin = goBinary();
  if (bin.empty()) return;
  MixedMesh mesh(bin);

  // "UNSUB <sid> 10" on each kind of server travels with its interest: the
  // subscriber gets 10 of the 30 messages published on the other servers,
  // and its interest is gone everywhere after the tenth.
  Receiver onG(mesh.g->port()), onA(mesh.a->Port());
  sendProto(onG.conn, "SUB foo 1\r\nUNSUB 1 10\r\n");
  sendProto(onA.conn, "SUB bar 1\r\nUNSUB 1 10\r\n");
  flush(onG.conn);
  flush(onA.conn);
  mesh.requireSubs(2, 2, 2);

  Conn pa = connectTo(mesh.a->Port()), pg = connectTo(mesh.g->port()), pb = connectTo(mesh.b->Port());
  publish(pa, "foo", "a", 15);
  publish(pb, "foo", "b", 15);
  publish(pg, "bar", "g", 15);
  publish(pb, "bar", "b", 15);
  collect({&onG, &onA}, 20);
  CHECK(onG.msgs.size() == 10);
  CHECK(onA.msgs.size() == 10);
  mesh.requireSubs(0, 0, 0);
}

// Subscribers on "x" for the two tests below: a plain one on each server, a
// queue group with a member on A and two on G.
struct ServerGoneSubs {
  Receiver sa, sg, sb, qa, qg;
  explicit ServerGoneSubs(MixedMesh& m)
      : sa(m.a->Port()), sg(m.g->port()), sb(m.b->Port()), qa(m.a->Port()), qg(m.g->port()) {
    sa.sub("x", "1");
    sg.sub("x", "1");
    sb.sub("x", "1");
    qa.sub("x", "1", "q");
    qg.sub("x", "1", "q");
    qg.sub("x", "2", "q");
    for (auto* r : {&sa, &sg, &sb, &qa, &qg}) flush(r->conn);
    m.requireSubs(6, 6, 6);
  }
};

TEST_CASE("TestMixedMeshGoServerGoes", "[mixed][cluster]") {
  const std::string bin = goBinary();
  if (bin.empty()) return;
  MixedMesh mesh(bin);
  ServerGoneSubs s(mesh);

  // gnatsd 1.0.0 dies: A and B keep their route to each other and forget
  // G's three subscriptions.
  mesh.g->kill();
  CHECK(s.sg.conn.waitClosed(5s));
  mesh.requireRoutes(1, -1, 1);
  mesh.requireSubs(3, -1, 3);

  // They go on serving: everything reaches the plain subscribers, and the
  // queue group's one member left gets every message (none is sent towards
  // G's gone members).
  Conn pa = connectTo(mesh.a->Port()), pb = connectTo(mesh.b->Port());
  publish(pa, "x", "a", kN);
  publish(pb, "x", "b", kN);
  collect({&s.sa, &s.sb, &s.qa}, 3 * 2 * kN);
  for (auto* r : {&s.sa, &s.sb, &s.qa}) {
    requireSequence(fromTag(r->msgs, "a"), "a", kN);
    requireSequence(fromTag(r->msgs, "b"), "b", kN);
    r->msgs.clear();
  }

  // Back on the same cluster port: B dials it again (a configured route), G
  // dials A, the mesh is whole and G learns the interest that is left.
  mesh.g->restart();
  mesh.requireRoutes(2, 2, 2);
  mesh.requireSubs(3, 3, 3);
  Receiver sg2(mesh.g->port());
  sg2.sub("x", "1");
  flush(sg2.conn);
  mesh.requireSubs(4, 4, 4);
  Conn pg = connectTo(mesh.g->port());
  publish(pg, "x", "g", kN);
  publish(pa, "x", "a2", kN);
  collect({&s.sa, &s.sb, &s.qa, &sg2}, 4 * 2 * kN);
  for (auto* r : {&s.sa, &s.sb, &s.qa, &sg2}) {
    requireSequence(fromTag(r->msgs, "g"), "g", kN);
    requireSequence(fromTag(r->msgs, "a2"), "a2", kN);
  }
}

TEST_CASE("TestMixedMeshCppServerGoes", "[mixed][cluster]") {
  const std::string bin = goBinary();
  if (bin.empty()) return;
  MixedMesh mesh(bin);
  ServerGoneSubs s(mesh);

  // gnatsd-cpp server B shuts down: G (and A) drop the route and B's one
  // subscription.
  mesh.b->Shutdown();
  CHECK(s.sb.conn.waitClosed(5s));
  mesh.requireRoutes(1, 1, -1);
  mesh.requireSubs(5, 5, -1);

  // A and G go on serving each other, the queue group whole.
  Conn pa = connectTo(mesh.a->Port()), pg = connectTo(mesh.g->port());
  publish(pa, "x", "a", kN);
  publish(pg, "x", "g", kN);
  collect({&s.sa, &s.sg, &s.qa, &s.qg}, 2 * 2 * kN + 2 * kN);
  for (auto* r : {&s.sa, &s.sg}) {
    requireSequence(fromTag(r->msgs, "a"), "a", kN);
    requireSequence(fromTag(r->msgs, "g"), "g", kN);
  }
  std::set<std::string> seen;
  for (auto* r : {&s.qa, &s.qg}) {
    for (const auto& m : r->msgs) REQUIRE(seen.insert(m.msg).second);
  }
  CHECK(seen.size() == static_cast<size_t>(2 * kN));

  // A stops too: G is alone, with its own three subscriptions, and still
  // serves its clients.
  mesh.a->Shutdown();
  mesh.requireRoutes(-1, 0, -1);
  mesh.requireSubs(-1, 3, -1);
  for (auto* r : {&s.sg, &s.qg}) r->msgs.clear();
  publish(pg, "x", "g2", kN);
  collect({&s.sg, &s.qg}, 2 * kN);
  requireSequence(fromTag(s.sg.msgs, "g2"), "g2", kN);
  requireSequence(fromTag(s.qg.msgs, "g2"), "g2", kN);
}
