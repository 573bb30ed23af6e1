// Go: (none) the embedding use of server.New/Start/Shutdown, black-box.
// A program links libserver, runs a server in-process, serves raw clients,
// and gets every thread back when it shuts the server down.
#include <pthread.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "server/monitor.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;


TEST_CASE("TestEmbeddedServerLifecycle", "[embed]") {
  const int base = baseThreadCount();

  // What an embedder writes: options, New, Start, wait until ready.
  Options opts;
  opts.Host = "127.0.0.1";
  opts.Port = gnatsd::server::RANDOM_PORT;
  opts.NoLog = true;
  opts.NoSigs = true;
  auto s = Server::New(opts);
  s->Start();
  REQUIRE(s->ReadyForConnections(5s));
  REQUIRE(s->Port() > 0);

  // The INFO line, byte for byte where it can be: Go's field order, the
  // space before CRLF.
  Conn c = createClientConn(*s);
  std::string line = expectResult(c, infoRe);
  INFO("INFO line: " << line);
  CHECK(line.rfind("INFO {", 0) == 0);
  REQUIRE(line.size() > 4);
  CHECK(line.substr(line.size() - 4) == "} \r\n");
  static const std::regex order(
      R"(^INFO \{"server_id":"[0-9A-Za-z]{22}","version":"1\.0\.0","go":"[^"]*","host":"127\.0\.0\.1",)"
      R"("port":\d+,"auth_required":false,"ssl_required":false,"tls_required":false,"tls_verify":false,)"
      R"("max_payload":1048576\} \r\n$)");
  CHECK(std::regex_match(line, order));

  std::smatch m;
  REQUIRE(std::regex_search(line, m, infoRe));
  auto info = nlohmann::json::parse(m[1].str(), nullptr, false);
  REQUIRE_FALSE(info.is_discarded());
  REQUIRE(info["server_id"].is_string());
  CHECK(info["server_id"].get<std::string>().size() == 22);
  CHECK(info["server_id"].get<std::string>() == s->ID());
  CHECK(info["version"] == "1.0.0");
  CHECK(info["port"].get<int>() == s->Port());
  CHECK(info["max_payload"].get<int64_t>() == 1048576);
  CHECK(info["auth_required"] == false);
  CHECK(info["tls_required"] == false);
  CHECK_FALSE(info.contains("connect_urls"));

  // It serves: a round trip on the first connection.
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
  CHECK(expectResult(c, pongRe) == "PONG\r\n");
  sendProto(c, "SUB embed 1\r\nPUB embed 5\r\nhello\r\n");
  auto msgs = expectMsgs(c, 1);
  checkMsg(msgs[0], "embed", "1", "", "5", "hello");

  // 100 idle clients (plus the one above).
  std::vector<Conn> idle;
  for (int i = 0; i < 100; i++) idle.push_back(createClientConn(*s));
  bool all = checkFor(5s, 5ms, [&] { return s->NumClients() == 101; });
  INFO("NumClients: " << s->NumClients());
  REQUIRE(all);
  c.close();
  REQUIRE(checkFor(2s, 5ms, [&] { return s->NumClients() == 100; }));
  CHECK(s->NumClients() == 100);
  CHECK(processThreadCount() > base + 100);

  auto t0 = std::chrono::steady_clock::now();
  s->Shutdown();
  auto took = std::chrono::steady_clock::now() - t0;
  INFO("Shutdown took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < 2s);
  CHECK(s->NumGoroutines() == 0);
  CHECK(s->NumClients() == 0);

  bool threadsBack = checkFor(2s, 5ms, [&] { return processThreadCount() <= base; });
  INFO("threads before: " << base << ", after: " << processThreadCount());
  CHECK(threadsBack);

  // Every client got its INFO and then end-of-file.
  int eofs = 0;
  for (auto& conn : idle) {
    if (conn.waitClosed(2s)) ++eofs;
    CHECK(conn.buffer().rfind("INFO {", 0) == 0);
  }
  CHECK(eofs == 100);

  // Destroying a stopped server is fine.
  s.reset();
  CHECK(processThreadCount() <= base);
}

namespace {
size_t defaultThreadStack() {
  pthread_attr_t attr;
  REQUIRE(pthread_getattr_default_np(&attr) == 0);
  size_t size = 0;
  pthread_attr_getstacksize(&attr, &size);
  pthread_attr_destroy(&attr);
  return size;
}
void setDefaultThreadStack(size_t size) {
  pthread_attr_t attr;
  REQUIRE(pthread_getattr_default_np(&attr) == 0);
  pthread_attr_setstacksize(&attr, size);
  REQUIRE(pthread_setattr_default_np(&attr) == 0);
  pthread_attr_destroy(&attr);
}
// The stack size of a thread the server starts (Go(), not a reader).
size_t serverThreadStack(Server& s) {
  std::promise<size_t> p;
  auto f = p.get_future();
  REQUIRE(s.startGoRoutine("probe", [&p] {
    pthread_attr_t attr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstacksize(&attr, &size);
      pthread_attr_destroy(&attr);
    }
    p.set_value(size);
  }));
  return f.get();
}
}  // namespace

// Server::Start's effects on the whole process are each switched off by an
// Options field (server.h), and the server's own threads get the stack size
// the options ask for without the process default changing.
TEST_CASE("TestEmbeddedServerLeavesProcessAlone", "[embed]") {
  const size_t original = defaultThreadStack();
  const size_t marker = 3 * 1024 * 1024 + 64 * 1024;  // nobody else picks this
  setDefaultThreadStack(marker);
  struct rlimit rl;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
  const bool canLowerFiles = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1024;
  rlim_t expectedCur = rl.rlim_cur;
  if (canLowerFiles && rl.rlim_cur > 1000) {
    struct rlimit lowered = rl;
    lowered.rlim_cur = expectedCur = 1000;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }

  Options opts = DefaultTestOptions();
  opts.NoFileLimit = true;
  opts.NoDefaultThreadStack = true;
  opts.NoMallocTrim = true;
  opts.ThreadStackSize = 512 * 1024;
  {
    auto s = RunServer(opts);
    CHECK(defaultThreadStack() == marker);
    struct rlimit now;
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == expectedCur);
    // Set for that one thread: at least what was asked, not the marker.
    const size_t stack = serverThreadStack(*s);
    CHECK(stack >= 512 * 1024);
    CHECK(stack < marker);
    s->Shutdown();
  }

  // Without the switches (the gnatsd binary's way) both are changed.
  Options plain = DefaultTestOptions();
  plain.ThreadStackSize = 512 * 1024;
  {
    auto s = RunServer(plain);
    CHECK(defaultThreadStack() == 512 * 1024);
    struct rlimit now;
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
    if (canLowerFiles) CHECK(now.rlim_cur == rl.rlim_max);
    s->Shutdown();
  }
  setDefaultThreadStack(original);
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

namespace {
int openFdCount() {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}
}  // namespace

// A server that handles signals owns a signalfd and an eventfd; both are
// closed when it goes, so servers made one after another leak nothing.
TEST_CASE("TestServerWithSignalsLeaksNoFds", "[embed]") {
  // RunServer turns signal handling off, so the server is started by hand,
  // on a thread of its own: Start blocks the handled signals in the thread
  // that calls it, which must not be the test runner's.
  const int before = openFdCount();
  std::vector<int> withSigs, withoutSigs;
  std::thread([&] {
    for (int i = 0; i < 3; ++i) {
      for (bool sigs : {true, false}) {
        Options opts = DefaultTestOptions();
        opts.NoSigs = !sigs;
        auto s = Server::New(opts);
        s->Start();
        if (!s->ReadyForConnections(10s)) return;
        (sigs ? withSigs : withoutSigs).push_back(openFdCount());
        s->Shutdown();
      }
    }
  }).join();
  REQUIRE(withSigs.size() == 3);
  REQUIRE(withoutSigs.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    // The same server with signals has its signalfd and eventfd besides.
    CHECK(withSigs[i] == withoutSigs[i] + 2);
  }
  CHECK(openFdCount() == before);
}

TEST_CASE("TestTwoEmbeddedServersInOneProcess", "[embed]") {
  // No global state: two servers side by side each keep their own id,
  // clients, interest and counters, and one's shutdown leaves the other.
  auto a = RunServer(DefaultTestOptions());
  auto b = RunServer(DefaultTestOptions());
  CHECK(a->ID() != b->ID());
  CHECK(a->Port() != b->Port());

  Conn subA = createClientConn(*a);
  setupConn(subA);
  sendProto(subA, "SUB foo 1\r\nPING\r\n");
  expectResult(subA, pongRe);
  Conn pubB = createClientConn(*b);
  setupConn(pubB);
  CHECK(a->NumSubscriptions() == 1);
  CHECK(b->NumSubscriptions() == 0);
  CHECK(a->NumClients() == 1);
  CHECK(b->NumClients() == 1);

  // Not clustered: what B gets does not reach A's subscriber.
  sendProto(pubB, "PUB foo 2\r\nhi\r\nPING\r\n");
  expectResult(pubB, pongRe);
  sendProto(subA, "PING\r\n");
  CHECK(expectResult(subA, pongRe) == "PONG\r\n");

  b->Shutdown();
  CHECK(pubB.waitClosed(5s));
  Conn pubA = createClientConn(*a);
  setupConn(pubA);
  sendProto(pubA, "PUB foo 2\r\nok\r\n");
  auto msgs = expectMsgs(subA, 1, 5s);
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].msg == "ok");
}

TEST_CASE("TestEmbeddedServerClientURL", "[embed]") {
  // Before Start there is no port to name.
  Options opts = DefaultTestOptions();
  auto unstarted = Server::New(opts);
  CHECK(unstarted->ClientURL().empty());

  auto s = RunServer(DefaultTestOptions());
  CHECK(s->ClientURL() == std::string("nats://127.0.0.1:").append(std::to_string(s->Port())));

  // A wildcard listener is named by loopback, and a client gets in there.
  Options any = DefaultTestOptions();
  any.Host = "0.0.0.0";
  auto w = RunServer(any);
  const std::string url = w->ClientURL();
  CHECK(url == std::string("nats://127.0.0.1:").append(std::to_string(w->Port())));
  Conn c = createClientConn("127.0.0.1", w->Port());
  CHECK(expectResult(c, infoRe).rfind("INFO {", 0) == 0);

  // Clients that must speak TLS are sent to tls://.
  auto t = RunServer(DefaultTLSTestOptions(false));
  CHECK(t->ClientURL() == std::string("tls://127.0.0.1:").append(std::to_string(t->Port())));
}

TEST_CASE("TestEmbeddedServerVarz", "[embed]") {
  auto s = RunDefaultServer();
  auto v0 = s->Varz();
  CHECK(v0.info.ID == s->ID());
  CHECK(v0.Port == s->Port());
  CHECK(v0.MaxPayload == 1048576);
  CHECK(v0.Connections == 0);
  CHECK(v0.TotalConnections == 0);
  CHECK(v0.Subscriptions == 0);
  CHECK(v0.Routes == 0);
  CHECK(v0.Remotes == 0);
  CHECK(v0.Cores > 0);
  CHECK(v0.Mem > 0);
  CHECK(!v0.Uptime.empty());
  CHECK(v0.Now >= v0.Start);

  // Two clients, a subscription, two messages of 5 bytes each way.
  Conn sub = createClientConn(*s);
  setupConn(sub);
  sendProto(sub, "SUB foo 1\r\nPING\r\n");
  expectResult(sub, pongRe);
  Conn pub = createClientConn(*s);
  setupConn(pub);
  sendProto(pub, "PUB foo 5\r\nhello\r\nPUB foo 5\r\nworld\r\nPING\r\n");
  expectResult(pub, pongRe);
  REQUIRE(expectMsgs(sub, 2).size() == 2);
  auto v = s->Varz();
  CHECK(v.Connections == 2);
  CHECK(v.TotalConnections == 2);
  CHECK(v.Subscriptions == 1);
  CHECK(v.InMsgs == 2);
  CHECK(v.OutMsgs == 2);
  CHECK(v.InBytes == 10);
  CHECK(v.OutBytes == 10);
  CHECK(v.SlowConsumers == 0);
  // Varz() is not an HTTP request; /varz is, and reports the same counters.
  CHECK(v.HTTPReqStats.count("/varz") == 0);
  auto r = s->HandleMonitor("/varz");
  REQUIRE(r.status == 200);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["connections"] == v.Connections);
  CHECK(j["total_connections"] == v.TotalConnections);
  CHECK(j["in_msgs"] == v.InMsgs);
  CHECK(j["out_bytes"] == v.OutBytes);
  CHECK(j["subscriptions"] == v.Subscriptions);
  CHECK(j["server_id"] == s->ID());
  CHECK(j["http_req_stats"]["/varz"] == 1);
  CHECK(s->Varz().HTTPReqStats.at("/varz") == 1);

  // The connection goes from the server's list, then its subscription from
  // the Sublist: wait for both.
  sub.close();
  REQUIRE(checkFor(2s, 5ms, [&] {
    auto z = s->Varz();
    return z.Connections == 1 && z.Subscriptions == 0;
  }));
  CHECK(s->Varz().TotalConnections == 2);
}
