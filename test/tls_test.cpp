// Go: test/tls_test.go, and the TLS parts of server/server_test.go and
// server/opts_test.go (gnatsd v1.0.0); beyond them, TLS on the write path:
// a TLS subscriber that stops reading, fan-out, 1 MB payloads.
// Certificates: test/configs/certs (made by its gen.sh); tests run in test/.
#include <sys/socket.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "server/tls.h"
#include "test/helpers/capturing_logger.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;
using namespace std::chrono;
using gnatsd::server::ConfigError;
using gnatsd::server::TLSConfigOpts;

namespace {

const std::string kCerts = "./configs/certs/";

// A config file of gnatsd's test data, on a random loopback port.
Options tlsConfig(const std::string& file) {
  Options o = LoadConfig("./configs/" + file);
  o.Host = "127.0.0.1";
  o.Port = gnatsd::server::RANDOM_PORT;
  o.NoLog = o.NoSigs = true;
  return o;
}

std::shared_ptr<SSL_CTX> trustingCA() { return makeClientTLSContext({kCerts + "ca.pem", "", ""}); }
std::shared_ptr<SSL_CTX> withClientCert() {
  return makeClientTLSContext({kCerts + "ca.pem", kCerts + "client-cert.pem", kCerts + "client-key.pem"});
}

// Connects, reads the clear-text INFO and does the handshake.
Conn tlsConn(Server& s, SSL_CTX* ctx, nlohmann::json* info = nullptr) {
  Conn c = createClientConn(s);
  nlohmann::json j = checkInfoMsg(c);
  CHECK(j.value("tls_required", false));
  if (info) *info = j;
  std::string err;
  const bool ok = c.startTLS(ctx, "127.0.0.1", &err);
  INFO("handshake: " << err);
  REQUIRE(ok);
  return c;
}

// A client the server must refuse: either the handshake fails here, or (TLS
// 1.3, where the client finishes first) the server ends the connection
// before it answers anything.
void expectRefused(Conn& c, SSL_CTX* ctx) {
  std::string err;
  if (!c.startTLS(ctx, "127.0.0.1", &err)) return;
  c.send("CONNECT {}\r\nPING\r\n");
  CHECK(c.waitClosed(2s));
  CHECK(c.buffer().find("PONG") == std::string::npos);
}

// Go: setupConn, on a connection whose INFO was read before the handshake.
void tlsSetup(Conn& c) {
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
  expectResult(c, pongRe);
}

}  // namespace

TEST_CASE("TestTLSConnection", "[tls]") {
  // Go: TestTLSConnection with ./configs/tls.conf (user derek, password boo).
  Options opts = tlsConfig("tls.conf");
  opts.HTTPSPort = 0;  // the config's https monitor port is not what this tests
  auto s = RunServer(opts);
  auto ctx = trustingCA();
  nlohmann::json info;
  Conn c = tlsConn(*s, ctx.get(), &info);
  CHECK(info.value("ssl_required", false));
  CHECK(info.value("auth_required", false));
  CHECK_FALSE(info.value("tls_verify", true));
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"derek\",\"pass\":\"boo\",\"tls_required\":true}\r\n");
  sendProto(c, "SUB foo 1\r\nPUB foo 5\r\nhello\r\nPING\r\n");
  auto msgs = expectMsgs(c, 1);
  checkMsg(msgs[0], "foo", "1", "", "5", "hello");
  expectResult(c, pongRe);
  // The server side of the connection names what was negotiated.
  auto cl = s->getClient(1);
  REQUIRE(cl);
  const std::string version = cl->tlsVersion();
  CHECK((version == "1.2" || version == "1.3"));
  CHECK_FALSE(cl->tlsCipherSuite().empty());
  CHECK(cl->tlsCipherSuite().find("Unknown") == std::string::npos);
}

TEST_CASE("TestTLSConnectionLogsHandshake", "[tls]") {
  auto log = std::make_shared<capturingLogger>();
  auto s = runLogged(DefaultTLSTestOptions(false), log);
  CHECK(log->contains("[INF] TLS required for client connections"));
  auto ctx = trustingCA();
  Conn c = tlsConn(*s, ctx.get());
  tlsSetup(c);
  INFO(log->all());
  CHECK(checkFor(2s, 10ms, [&] { return log->contains("TLS handshake complete"); }));
  CHECK(checkFor(2s, 10ms, [&] {
    return log->contains("TLS version 1.3, cipher suite TLS_AES_") || log->contains("TLS version 1.2, cipher suite TLS_ECDHE_");
  }));
}

TEST_CASE("TestTLSClientCertificate", "[tls]") {
  // Go: TestTLSClientCertificate with ./configs/tlsverify.conf.
  auto s = RunServer(tlsConfig("tlsverify.conf"));
  auto ctx = withClientCert();
  nlohmann::json info;
  Conn c = tlsConn(*s, ctx.get(), &info);
  CHECK(info.value("tls_verify", false));
  tlsSetup(c);
  sendProto(c, "SUB foo 1\r\nPUB foo 2\r\nok\r\nPING\r\n");
  auto msgs = expectMsgs(c, 1);
  checkMsg(msgs[0], "foo", "1", "", "2", "ok");
  expectResult(c, pongRe);
}

TEST_CASE("TestTLSVerifyClientCertificate", "[tls]") {
  // Go: TestTLSVerifyClientCertificate: without a client certificate, or with
  // one from another CA, the handshake fails and nothing else is served.
  auto log = std::make_shared<capturingLogger>();
  auto s = runLogged(tlsConfig("tlsverify.conf"), log);
  SECTION("no certificate") {
    auto ctx = trustingCA();
    Conn c = createClientConn(*s);
    checkInfoMsg(c);
    expectRefused(c, ctx.get());
    INFO(log->all());
    CHECK(checkFor(2s, 10ms, [&] { return log->contains("TLS handshake error: "); }));
  }
  SECTION("certificate from another CA") {
    auto ctx = makeClientTLSContext({kCerts + "ca.pem", kCerts + "client-other-cert.pem", kCerts + "client-other-key.pem"});
    Conn c = createClientConn(*s);
    checkInfoMsg(c);
    expectRefused(c, ctx.get());
    INFO(log->all());
    CHECK(checkFor(2s, 10ms, [&] { return log->contains("TLS handshake error: tls: "); }));
  }
  CHECK(checkFor(2s, 10ms, [&] { return s->NumClients() == 0; }));
}

TEST_CASE("TestTLSVerifyWithoutCAFile", "[tls]") {
  // ./configs/tlsverify_noca.conf: verify without ca_file checks client
  // certificates against the system's roots, which do not know our test CA.
  auto s = RunServer(tlsConfig("tlsverify_noca.conf"));
  auto ctx = withClientCert();
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  expectRefused(c, ctx.get());
}

TEST_CASE("TestTLSConnectionTimeout", "[tls]") {
  // Go: TestTLSConnectionTimeout. A client that never starts the handshake
  // gets gnatsd's error in clear once tls_timeout has passed, then EOF.
  Options opts = DefaultTLSTestOptions(false);
  opts.TLSTimeout = 0.25;
  auto log = std::make_shared<capturingLogger>();
  auto s = runLogged(opts, log);
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  const auto start = steady_clock::now();
  expectResult(c, std::regex(R"(-ERR 'Secure Connection - TLS Required'\r\n)"), 5s);
  CHECK(steady_clock::now() - start >= 200ms);
  CHECK(c.waitClosed(2s));
  CHECK(checkFor(2s, 10ms, [&] { return log->contains("[DBG] 127.0.0.1:") && log->contains("TLS handshake timeout"); }));
  CHECK(checkFor(2s, 10ms, [&] { return s->NumClients() == 0; }));
}

TEST_CASE("TestTLSPlainClientOnTLSPort", "[tls]") {
  // A client that speaks the protocol in clear: the handshake fails on its
  // first bytes and it is told so in clear.
  auto log = std::make_shared<capturingLogger>();
  auto s = runLogged(DefaultTLSTestOptions(false), log);
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  sendProto(c, "CONNECT {\"verbose\":false}\r\nPING\r\n");
  expectResult(c, std::regex(R"(-ERR 'Secure Connection - TLS Required'\r\n)"));
  CHECK(c.waitClosed(2s));
  INFO(log->all());
  CHECK(checkFor(2s, 10ms, [&] {
    return log->contains("TLS handshake error: tls: first record does not look like a TLS handshake");
  }));
}

TEST_CASE("TestTLSAuthorizationShortTimeout", "[tls]") {
  // Go: TestTLSAuthorizationShortTimeout. The auth timer starts after the
  // handshake: a 1 ms auth timeout cannot fire into the middle of it (which
  // would write clear text into the TLS stream), so the client gets a proper
  // TLS record with the auth error.
  Options opts = tlsConfig("tls.conf");
  opts.HTTPSPort = 0;
  opts.AuthTimeout = 0.001;
  auto s = RunServer(opts);
  auto ctx = trustingCA();
  Conn c = tlsConn(*s, ctx.get());
  expectResult(c, std::regex(R"(-ERR 'Authorization Timeout'\r\n)"));
  CHECK(c.waitClosed(2s));
}

TEST_CASE("TestTLSBadAuthError", "[tls]") {
  // Go: TestTLSBadAuthError.
  Options opts = tlsConfig("tls.conf");
  opts.HTTPSPort = 0;
  auto s = RunServer(opts);
  auto ctx = trustingCA();
  Conn c = tlsConn(*s, ctx.get());
  sendProto(c, "CONNECT {\"verbose\":false,\"user\":\"derek\",\"pass\":\"NOT_THE_PASSWORD\"}\r\n");
  expectResult(c, std::regex(R"(-ERR 'Authorization Violation'\r\n)"));
  CHECK(c.waitClosed(2s));
}

TEST_CASE("TestTLSConnectionCurvePref", "[tls]") {
  // Go: TestTLSConnectionCurvePref with ./configs/tls_curve_pref.conf (P-256 only).
  Options opts = tlsConfig("tls_curve_pref.conf");
  opts.HTTPSPort = 0;
  REQUIRE(opts.TLSConfig);
  REQUIRE(opts.TLSConfig->CurvePreferences.size() == 1);
  auto s = RunServer(opts);
  auto ctx = trustingCA();
  Conn c = tlsConn(*s, ctx.get());
  sendProto(c, "CONNECT {\"verbose\":false,\"user\":\"derek\",\"pass\":\"boo\"}\r\nPING\r\n");
  expectResult(c, pongRe);
}

TEST_CASE("TestTLSVerboseMode", "[tls]") {
  auto s = RunServer(DefaultTLSTestOptions(false));
  auto ctx = trustingCA();
  Conn c = tlsConn(*s, ctx.get());
  sendProto(c, "CONNECT {\"verbose\":true}\r\n");
  expectResult(c, okRe);
  sendProto(c, "SUB foo 1\r\n");
  expectResult(c, okRe);
  sendProto(c, "PUB foo 2\r\nhi\r\n");
  expectResult(c, okRe);
  auto msgs = expectMsgs(c, 1);
  checkMsg(msgs[0], "foo", "1", "", "2", "hi");
}

TEST_CASE("TestTLSStressConnect", "[tls]") {
  // Go: TestTLSStressConnect: several threads each connect, subscribe,
  // publish and receive 33 times over.
  auto s = RunServer(DefaultTLSTestOptions(false));
  constexpr int kThreads = 4, kRounds = 33;
  // A client context per thread: what is shared here is the server. One
  // context's trust store, checked from several threads, trips TSan inside
  // libcrypto (its certificate caches are filled without a lock).
  std::vector<std::shared_ptr<SSL_CTX>> ctxs;
  // The regexes too are made here: compiling one fills libstdc++'s ctype
  // cache, unlocked, which TSan reports when threads do it at once.
  std::vector<std::regex> msgRes;
  for (int t = 0; t < kThreads; ++t) {
    ctxs.push_back(trustingCA());
    const std::string subj = "foo." + std::to_string(t);
    msgRes.emplace_back("MSG " + subj + " 1 11\r\nsecure data\r\nPONG\r\n");
  }
  std::atomic<int> done{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string subj = "foo." + std::to_string(t);
      for (int i = 0; i < kRounds; ++i) {
        std::string err;
        gnatsd::server::Fd fd = gnatsd::server::DialTCP("127.0.0.1", s->Port(), 2000, &err);
        if (!fd.valid()) {
          errors[t] = "dial: " + err;
          return;
        }
        Conn c(std::move(fd));
        if (!c.readUntil(infoRe, 5s) || !c.startTLS(ctxs[t].get(), "127.0.0.1", &err)) {
          errors[t] = "handshake: " + err;
          return;
        }
        c.send("CONNECT {\"verbose\":false}\r\nSUB " + subj + " 1\r\nPUB " + subj + " 11\r\nsecure data\r\nPING\r\n");
        if (!c.readUntil(msgRes[t], 5s)) {
          errors[t] = "no message in round " + std::to_string(i) + ": " + c.buffer();
          return;
        }
        done++;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK(e.empty());
  CHECK(done == kThreads * kRounds);
}

TEST_CASE("TestTLSLargePayloadAndFanOut", "[tls]") {
  // A 1 MB payload and a fan-out to several TLS subscribers, byte for byte.
  Options opts = DefaultTLSTestOptions(false);
  auto s = RunServer(opts);
  auto ctx = trustingCA();
  std::vector<Conn> subs;
  for (int i = 0; i < 4; ++i) {
    subs.push_back(tlsConn(*s, ctx.get()));
    tlsSetup(subs.back());
    sendProto(subs.back(), "SUB big 1\r\nPING\r\n");
    expectResult(subs.back(), pongRe);
  }
  Conn pub = tlsConn(*s, ctx.get());
  tlsSetup(pub);
  std::string payload(1024 * 1024, 'x');
  for (size_t i = 0; i < payload.size(); i += 4093) payload[i] = static_cast<char>('a' + i % 26);
  sendProto(pub, "PUB big " + std::to_string(payload.size()) + "\r\n" + payload + "\r\nPING\r\n");
  expectResult(pub, pongRe, 10s);
  const std::string want = "MSG big 1 " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  for (auto& c : subs) {
    auto deadline = steady_clock::now() + 10s;
    while (c.buffer().size() < want.size() && steady_clock::now() < deadline) c.readSome(100ms);
    REQUIRE(c.buffer().size() >= want.size());
    CHECK(c.buffer().compare(0, want.size(), want) == 0);
  }
}

TEST_CASE("TestTLSStalledSubscriberDoesNotStallOthers", "[tls][slow]") {
  // The write path's guarantee over TLS: a subscriber that never reads again
  // costs its publisher and the healthy subscriber nothing, and is cut as a
  // slow consumer (here at max_pending).
  Options opts = DefaultTLSTestOptions(false);
  opts.MaxPending = 4 * 1024 * 1024;
  opts.WriteDeadline = 30s;  // only max_pending cuts it
  auto s = RunServer(opts);
  auto ctx = trustingCA();

  Conn stalled = createClientConn(*s);
  int small = 4096;
  ::setsockopt(stalled.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  checkInfoMsg(stalled);
  std::string err;
  REQUIRE(stalled.startTLS(ctx.get(), "127.0.0.1", &err));
  tlsSetup(stalled);
  sendProto(stalled, "SUB foo 1\r\nPING\r\n");
  expectResult(stalled, pongRe);
  auto stalledClient = s->getClient(1);
  REQUIRE(stalledClient);

  Conn healthy = tlsConn(*s, ctx.get());
  tlsSetup(healthy);
  sendProto(healthy, "SUB foo 1\r\nPING\r\n");
  expectResult(healthy, pongRe);

  Conn pub = tlsConn(*s, ctx.get());
  tlsSetup(pub);
  const std::string payload(1024, 'z');
  const int total = 8 * 1024;  // 8 MiB: twice max_pending
  std::atomic<long long> received{0};
  std::thread reader([&] {
    const size_t msgLen = std::string("MSG foo 1 1024\r\n").size() + payload.size() + 2;
    auto deadline = steady_clock::now() + 30s;
    while (received < total && steady_clock::now() < deadline) {
      if (!healthy.readSome(100ms)) break;
      while (healthy.buffer().size() >= msgLen) {
        healthy.buffer().erase(0, msgLen);
        received++;
      }
    }
  });
  std::string batch;
  for (int i = 0; i < total; ++i) {
    batch += "PUB foo 1024\r\n" + payload + "\r\n";
    if (batch.size() > 32 * 1024) {
      REQUIRE(pub.send(batch));
      batch.clear();
    }
  }
  batch += "PING\r\n";
  REQUIRE(pub.send(batch));
  expectResult(pub, pongRe, 30s);
  reader.join();
  CHECK(received == total);
  CHECK(checkFor(10s, 10ms, [&] { return s->serverStats().slowConsumers.load() == 1; }));
  CHECK(checkFor(2s, 10ms, [&] { return s->NumClients() == 2; }));
  // The publisher was never cut and still works.
  sendProto(pub, "PING\r\n");
  expectResult(pub, pongRe);
}

TEST_CASE("TestTLSServerCertificateChecks", "[tls]") {
  // What a client checks of the server's certificate: the IP-only one is
  // good for 127.0.0.1 and nothing else; an expired one is refused.
  SECTION("IP address only") {
    Options opts = DefaultTLSTestOptions(false);
    opts.TLSConfig->CertFile = kCerts + "server-iponly-cert.pem";
    opts.TLSConfig->KeyFile = kCerts + "server-iponly-key.pem";
    auto s = RunServer(opts);
    auto ctx = trustingCA();
    Conn ok = tlsConn(*s, ctx.get());
    tlsSetup(ok);
    sendProto(ok, "PING\r\n");
    expectResult(ok, pongRe);
    Conn byName = createClientConn(*s);
    checkInfoMsg(byName);
    std::string err;
    CHECK_FALSE(byName.startTLS(ctx.get(), "localhost", &err));
    CHECK(err.find("certificate verify failed") != std::string::npos);
  }
  SECTION("expired") {
    Options opts = DefaultTLSTestOptions(false);
    opts.TLSConfig->CertFile = kCerts + "server-expired-cert.pem";
    opts.TLSConfig->KeyFile = kCerts + "server-expired-key.pem";
    auto s = RunServer(opts);
    auto ctx = trustingCA();
    Conn c = createClientConn(*s);
    checkInfoMsg(c);
    std::string err;
    CHECK_FALSE(c.startTLS(ctx.get(), "127.0.0.1", &err));
    CHECK(err.find("certificate has expired") != std::string::npos);
  }
}

TEST_CASE("TestTLSShutdownDuringHandshake", "[tls]") {
  // A connection parked in the handshake does not hold up Shutdown.
  Options opts = DefaultTLSTestOptions(false);
  opts.TLSTimeout = 60;
  auto s = RunServer(opts);
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  const auto start = steady_clock::now();
  s->Shutdown();
  CHECK(steady_clock::now() - start < 5s);
  CHECK(s->NumGoroutines() == 0);
}

TEST_CASE("TestTLSConfigErrors", "[tls]") {
  // Go: GenTLSConfig's errors, raised when the options are read.
  auto gen = [](TLSConfigOpts tc) -> std::string {
    try {
      (void)gnatsd::server::GenTLSConfig(tc);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  TLSConfigOpts tc;
  tc.CertFile = kCerts + "server-cert.pem";
  tc.KeyFile = kCerts + "server-key.pem";
  CHECK(gen(tc).empty());

  TLSConfigOpts missing = tc;
  missing.CertFile = kCerts + "nope.pem";
  CHECK(gen(missing) == "error parsing X509 certificate/key pair: open " + kCerts + "nope.pem: no such file or directory");
  TLSConfigOpts notPem = tc;
  notPem.CertFile = "./configs/tls.conf";
  CHECK(gen(notPem) == "error parsing X509 certificate/key pair: tls: failed to find any PEM data in certificate input");
  TLSConfigOpts noKey = tc;
  noKey.KeyFile = kCerts + "server-cert.pem";
  CHECK(gen(noKey) == "error parsing X509 certificate/key pair: tls: failed to find any PEM data in key input");
  TLSConfigOpts mismatch = tc;
  mismatch.KeyFile = kCerts + "client-key.pem";
  CHECK(gen(mismatch) == "error parsing X509 certificate/key pair: tls: private key does not match public key");
  TLSConfigOpts badCA = tc;
  badCA.CaFile = "./configs/tls.conf";
  CHECK(gen(badCA) == "failed to parse root ca certificate");
  TLSConfigOpts noCA = tc;
  noCA.CaFile = kCerts + "nope-ca.pem";
  CHECK(gen(noCA) == "open " + kCerts + "nope-ca.pem: no such file or directory");

  // Through the options: the error names the tls block's place in the file.
  try {
    LoadConfig("./configs/server/tls_missing_cert.conf");
    FAIL("expected a config error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("tls_missing_cert.conf:5:") != std::string::npos);
    CHECK(std::string(e.what()).find("error parsing X509 certificate/key pair: open ./configs/certs/missing.pem: "
                                     "no such file or directory") != std::string::npos);
  }
  // And Server::New refuses an embedder's options the same way.
  Options o = DefaultTLSTestOptions(false);
  o.TLSConfig->KeyFile = kCerts + "client-key.pem";
  CHECK_THROWS_WITH(Server::New(o),
                    "error parsing X509 certificate/key pair: tls: private key does not match public key");
}

TEST_CASE("TestTLSVersionAndCipherNames", "[tls]") {
  // Go: server_test.go TestTLSVersion / TestTLSCipher.
  using gnatsd::server::tlsCipher;
  using gnatsd::server::tlsVersion;
  CHECK(tlsVersion(0x0301) == "1.0");
  CHECK(tlsVersion(0x0302) == "1.1");
  CHECK(tlsVersion(0x0303) == "1.2");
  CHECK(tlsVersion(0x0304) == "1.3");
  CHECK(tlsVersion(0x0234) == "Unknown [234]");
  CHECK(tlsCipher(0x0005) == "TLS_RSA_WITH_RC4_128_SHA");
  CHECK(tlsCipher(0x000a) == "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
  CHECK(tlsCipher(0x002f) == "TLS_RSA_WITH_AES_128_CBC_SHA");
  CHECK(tlsCipher(0x0035) == "TLS_RSA_WITH_AES_256_CBC_SHA");
  CHECK(tlsCipher(0xc007) == "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA");
  CHECK(tlsCipher(0xc009) == "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
  CHECK(tlsCipher(0xc00a) == "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA");
  CHECK(tlsCipher(0xc011) == "TLS_ECDHE_RSA_WITH_RC4_128_SHA");
  CHECK(tlsCipher(0xc012) == "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA");
  CHECK(tlsCipher(0xc013) == "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
  CHECK(tlsCipher(0xc014) == "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
  CHECK(tlsCipher(0xc02f) == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  CHECK(tlsCipher(0xc02b) == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  CHECK(tlsCipher(0xc030) == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  CHECK(tlsCipher(0xc02c) == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
  CHECK(tlsCipher(0x1301) == "TLS_AES_128_GCM_SHA256");
  CHECK(tlsCipher(0x9999) == "Unknown [9999]");
}

TEST_CASE("TestTLSVerifyAndMap", "[tls]") {
  // nats-server 2.x's verify_and_map: taken as verify (documented in
  // docs/DEVIATIONS.md), so that configs written for today's servers start.
  auto load = [](const std::string& body) {
    const std::string path = "./configs/verify_and_map.tmp.conf";
    {
      std::ofstream f(path);
      f << "tls {\n  cert_file: \"./configs/certs/server-cert.pem\"\n  key_file: \"./configs/certs/server-key.pem\"\n"
        << "  ca_file: \"./configs/certs/ca.pem\"\n"
        << body << "\n}\n";
    }
    struct remover {
      std::string p;
      ~remover() { std::remove(p.c_str()); }
    } r{path};
    return LoadConfig(path);
  };
  Options o = load("  verify_and_map: true");
  REQUIRE(o.TLSConfig);
  CHECK(o.TLSConfig->Verify);
  CHECK_FALSE(load("  verify_and_map: false").TLSConfig->Verify);
  CHECK_THROWS_WITH(load("  verify_and_map: 1"),
                    Catch::Contains("error parsing tls config, expected 'verify_and_map' to be a boolean"));
  // It verifies: a client without a certificate is refused.
  o.Host = "127.0.0.1";
  o.Port = gnatsd::server::RANDOM_PORT;
  o.NoLog = o.NoSigs = true;
  auto s = RunServer(o);
  Conn c = createClientConn(*s);
  nlohmann::json info = checkInfoMsg(c);
  CHECK(info.value("tls_verify", false));
  auto noCert = trustingCA();
  expectRefused(c, noCert.get());
  auto withCert = withClientCert();
  Conn ok = tlsConn(*s, withCert.get());
  tlsSetup(ok);
}
