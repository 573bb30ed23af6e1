// C++ only (Go: crypto/tls's tls.Client and tls.Server, as gnatsd's routes use them)
// netConn's client handshake against its server handshake, over a socketpair.
// Certificates: test/configs/certs (made by its gen.sh); tests run in test/.
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "server/conn.h"
#include "server/tls.h"

using namespace gnatsd::server;
using namespace std::chrono_literals;

namespace {

const std::string kCerts = "./configs/certs/";

// A cluster tls block: gnatsd forces Verify for routes, and the CA file then
// serves both directions. srva and srvb carry DNS:localhost and IP:127.0.0.1.
std::shared_ptr<const TLSConfig> routeTLS(const std::string& name, const std::string& ca = "ca.pem") {
  TLSConfigOpts tc;
  tc.CertFile = kCerts + name + "-cert.pem";
  tc.KeyFile = kCerts + name + "-key.pem";
  tc.CaFile = kCerts + ca;
  tc.Verify = true;
  tc.Timeout = 2;
  return GenTLSConfig(tc);
}

// Two connected sockets, each owned by a netConn.
struct connPair {
  connPair() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    srv = std::make_unique<netConn>(Fd(sv[0]));
    cli = std::make_unique<netConn>(Fd(sv[1]));
  }
  std::unique_ptr<netConn> srv;
  std::unique_ptr<netConn> cli;
};

// What a handshake on another thread returned (asserted after the join).
struct result {
  bool ok = false;
  bool timedOut = false;
  std::string err;
};

// Runs ServerHandshake on a thread while the main thread runs ClientHandshake
// towards serverName; both bounded by 5s. After a failed client handshake the
// client side shuts down, so the server never waits out its deadline.
void handshakeBoth(connPair& p, const TLSConfig& srvCfg, const TLSConfig& cliCfg, const std::string& serverName,
                   result* srv, result* cli) {
  const auto deadline = netConn::Clock::now() + 5s;
  std::thread t([&] { srv->ok = p.srv->ServerHandshake(srvCfg, deadline, &srv->timedOut, &srv->err); });
  cli->ok = p.cli->ClientHandshake(cliCfg, serverName, deadline, &cli->timedOut, &cli->err);
  if (!cli->ok) p.cli->Shutdown();
  t.join();
}

// Writes all of `data` through WriteSome, waiting when the socket is full.
bool writeAll(netConn& c, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = c.WriteSome(data.data() + off, data.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    netConn::Clock::duration waited{};
    if (errno != EAGAIN || !c.WaitWritable(netConn::Clock::now() + 5s, &waited)) return false;
  }
  return true;
}

// Reads exactly `len` bytes (less at EOF or on error).
std::string readN(netConn& c, size_t len) {
  std::string out;
  char buf[4096];
  while (out.size() < len) {
    ssize_t n = c.Read(buf, std::min(sizeof buf, len - out.size()));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("TLS client handshake against server handshake", "[tls]") {
  auto srvCfg = routeTLS("srvb");
  auto cliCfg = routeTLS("srva");
  REQUIRE(cliCfg->verify());
  // A route URL names its host either way.
  auto serverName = GENERATE(as<std::string>{}, "localhost", "127.0.0.1");
  // TLS 1.2 finishes the client's side last, TLS 1.3 the server's.
  auto maxVersion = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(serverName, maxVersion);
  SSL_CTX_set_max_proto_version(cliCfg->ctx(), maxVersion);  // this test's own context

  connPair p;
  result srv, cli;
  handshakeBoth(p, *srvCfg, *cliCfg, serverName, &srv, &cli);
  CHECK(srv.err.empty());
  CHECK(cli.err.empty());
  REQUIRE(srv.ok);
  REQUIRE(cli.ok);
  CHECK_FALSE(cli.timedOut);
  CHECK(p.cli->isTLS());
  CHECK(p.srv->isTLS());
  CHECK(p.cli->tlsVersionName() == (maxVersion == TLS1_2_VERSION ? "1.2" : "1.3"));
  CHECK(p.cli->tlsVersionName() == p.srv->tlsVersionName());
  CHECK(p.cli->tlsCipherId() != 0);
  CHECK(p.cli->tlsCipherId() == p.srv->tlsCipherId());

  // Bytes go through TLS both ways; a large write spans many records.
  const std::string connect = "CONNECT {\"verbose\":false}\r\nPING\r\n";
  REQUIRE(writeAll(*p.cli, connect));
  CHECK(readN(*p.srv, connect.size()) == connect);
  const std::string big(200000, 'x');
  std::thread writer([&] { (void)writeAll(*p.srv, big + "PONG\r\n"); });
  const std::string got = readN(*p.cli, big.size() + 6);
  writer.join();
  CHECK(got.size() == big.size() + 6);
  CHECK(got == big + "PONG\r\n");

  // Shutdown sends close_notify: the other side reads EOF.
  p.cli->Shutdown();
  char c;
  CHECK(p.srv->Read(&c, 1) == 0);
}

TEST_CASE("TLS client handshake rejects a server from another CA", "[tls]") {
  auto srvCfg = routeTLS("srvb");
  auto cliCfg = routeTLS("srva", "other-ca.pem");  // does not sign srvb
  connPair p;
  result srv, cli;
  handshakeBoth(p, *srvCfg, *cliCfg, "localhost", &srv, &cli);
  CHECK_FALSE(cli.ok);
  CHECK_FALSE(cli.timedOut);
  CHECK(cli.err == "x509: certificate signed by unknown authority");
  CHECK_FALSE(p.cli->isTLS());
  CHECK_FALSE(srv.ok);  // told by the client's alert, or by the shutdown
  CHECK_FALSE(srv.timedOut);
}

TEST_CASE("TLS client handshake checks the server name", "[tls]") {
  auto srvCfg = routeTLS("srvb");
  auto cliCfg = routeTLS("srva");
  // Not among srvb's SANs (DNS:localhost, IP:127.0.0.1); nor is its CN, which
  // OpenSSL, like Go, ignores when the certificate has DNS SANs.
  struct namecase {
    std::string name, want;
  };
  auto nc = GENERATE(values<namecase>({
      {"srvc.example.test", "x509: certificate is valid for localhost, not srvc.example.test"},
      {"srvb", "x509: certificate is valid for localhost, not srvb"},
      {"127.0.0.2", "x509: certificate is valid for 127.0.0.1, not 127.0.0.2"},
      {"::1", "x509: certificate is valid for 127.0.0.1, not ::1"},
  }));
  CAPTURE(nc.name);

  connPair p;
  result srv, cli;
  handshakeBoth(p, *srvCfg, *cliCfg, nc.name, &srv, &cli);
  CHECK_FALSE(cli.ok);
  CHECK_FALSE(cli.timedOut);
  CHECK(cli.err == nc.want);
  CHECK_FALSE(srv.ok);
}

TEST_CASE("TLS client handshake needs a server name to verify", "[tls]") {
  auto cliCfg = routeTLS("srva");
  connPair p;
  bool timedOut = true;
  std::string err;
  CHECK_FALSE(p.cli->ClientHandshake(*cliCfg, "", netConn::Clock::now() + 5s, &timedOut, &err));
  CHECK_FALSE(timedOut);
  CHECK(err == "tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config");
}

TEST_CASE("TLS client handshake times out against a silent peer", "[tls]") {
  auto cliCfg = routeTLS("srva");
  connPair p;  // p.srv stays open and never answers the ClientHello
  bool timedOut = false;
  std::string err;
  const auto start = netConn::Clock::now();
  const bool ok = p.cli->ClientHandshake(*cliCfg, "localhost", start + 200ms, &timedOut, &err);
  const auto elapsed = netConn::Clock::now() - start;
  CHECK_FALSE(ok);
  CHECK(timedOut);
  CHECK(err.empty());
  CHECK(elapsed >= 190ms);
  CHECK(elapsed < 10s);  // generous: a loaded machine may be slow to wake us
  CHECK_FALSE(p.cli->isTLS());
}

TEST_CASE("TLS server handshake rejects a client from another CA", "[tls]") {
  auto srvCfg = routeTLS("srvb");
  // Trusts the server, but its own certificate comes from other-ca.
  TLSConfigOpts tc;
  tc.CertFile = kCerts + "client-other-cert.pem";
  tc.KeyFile = kCerts + "client-other-key.pem";
  tc.CaFile = kCerts + "ca.pem";
  tc.Verify = true;
  auto cliCfg = GenTLSConfig(tc);
  auto maxVersion = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(maxVersion);
  SSL_CTX_set_max_proto_version(cliCfg->ctx(), maxVersion);

  connPair p;
  result srv, cli;
  handshakeBoth(p, *srvCfg, *cliCfg, "localhost", &srv, &cli);
  CHECK_FALSE(srv.ok);
  CHECK_FALSE(srv.timedOut);
  CHECK(srv.err.rfind("tls: failed to verify client's certificate: ", 0) == 0);
  if (maxVersion == TLS1_2_VERSION) {
    // The server's alert comes before the client's handshake ends.
    CHECK_FALSE(cli.ok);
    CHECK_FALSE(cli.err.empty());
  } else if (cli.ok) {
    // TLS 1.3: the client is done before the server has judged its
    // certificate; the server's alert ends the first read instead.
    p.srv->Shutdown();
    char c;
    CHECK(p.cli->Read(&c, 1) <= 0);
  } else {
    CHECK_FALSE(cli.err.empty());
  }
}
