// Go: server/reload_test.go (gnatsd v1.0.0)
// Config reload: what changes live, what is refused with nothing changed,
// and what happens to connected clients and routes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "server/monitor.h"
#include "test/helpers/capturing_logger.h"
#include "test/helpers/child_process.h"
#include "test/helpers/route_helpers.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;
using gnatsd::server::ConfigError;
using gnatsd::server::Fd;

namespace {

// A config file in a fresh directory that a test rewrites between reloads
// (Go: newServerWithSymlinkConfig and createSymlink).
class reloadConfig {
 public:
  reloadConfig() : dir_(tmp_.path().string()), path_(tmp_.file("tmp.conf")) {}
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }
  void write(const std::string& content) {
    // Written aside and renamed, as an editor or a config manager does.
    const std::string tmp = path_ + ".new";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f << content;
    }
    REQUIRE(std::rename(tmp.c_str(), path_.c_str()) == 0);
  }
  // One of gnatsd's reload test configs, on 127.0.0.1 instead of localhost
  // (which may resolve to ::1 first).
  void use(const std::string& name) {
    std::string content = readFile("./configs/server/reload/" + name);
    REQUIRE(!content.empty());
    write(std::regex_replace(content, std::regex("localhost:-1"), "\"127.0.0.1:-1\""));
  }

 private:
  TempDir tmp_;
  std::string dir_, path_;
};

// Go: runServerWithSymlinkConfig.
std::unique_ptr<Server> runWithConfig(reloadConfig& cfg, const std::string& name,
                                      std::shared_ptr<capturingLogger> log = nullptr) {
  cfg.use(name);
  Options opts = LoadConfig(cfg.path());
  if (log) return runLogged(opts, log);
  return RunServer(opts);
}

// CONNECT without credentials, then PING/PONG, on a client whose INFO was read.
void connectPlain(Conn& c) {
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
  expectResult(c, pongRe);
}

// A client that sent CONNECT (with credentials) and got its PONG.
Conn connectAs(Server& s, std::string_view token, std::string_view user, std::string_view pass) {
  Conn c = createClientConn(s);
  checkInfoMsg(c);
  doAuthConnect(c, token, user, pass);
  sendProto(c, "PING\r\n");
  expectResult(c, okRe);
  expectResult(c, pongRe);
  return c;
}

// A CONNECT the server must refuse with gnatsd's authorization error.
void expectRefused(Server& s, std::string_view token, std::string_view user, std::string_view pass) {
  Conn c = createClientConn(s);
  checkInfoMsg(c);
  doAuthConnect(c, token, user, pass);
  expectResult(c, std::regex("-ERR 'Authorization Violation'\r\n"));
  CHECK(c.waitClosed(2s));
}

// A connection the reload cut: told why, then closed.
void expectCut(Conn& c, const std::string& err) {
  expectResult(c, std::regex("-ERR '" + err + "'\r\n"));
  CHECK(c.waitClosed(2s));
}

// SHA-256 of a certificate, or of the first one in a PEM file.
std::string certFingerprint(const X509* x) {
  REQUIRE(x != nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  REQUIRE(X509_digest(x, EVP_sha256(), md, &n) == 1);
  return std::string(reinterpret_cast<char*>(md), n);
}
std::string fileFingerprint(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "r"), std::fclose);
  REQUIRE(f);
  std::unique_ptr<X509, void (*)(X509*)> x(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), X509_free);
  return certFingerprint(x.get());
}

void expectReloadError(Server& s, const std::string& text) {
  try {
    s.Reload();
    FAIL("Reload succeeded; expected: " << text);
  } catch (const ConfigError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(text) != std::string::npos);
  }
}

// gnatsd's reload cluster configs (srv_a_1.conf ... srv_c_1.conf) on
// random ports: the cluster listens on 127.0.0.1:-1 and each route names
// the port its peer actually got.
std::string clusterConf(const std::vector<std::string>& routes = {}, bool auth = false) {
  std::string c = "listen: \"127.0.0.1:-1\"\ncluster {\n  listen: \"127.0.0.1:-1\"\n";
  if (auth) c += "  authorization {\n    user: tyler\n    password: foo\n  }\n";
  if (!routes.empty()) {
    c += "  routes = [\n";
    for (const auto& r : routes) c.append("    ").append(r).append("\n");
    c += "  ]\n";
  }
  return c + "}\n";
}
std::string routeTo(Server& s, const std::string& creds = "") {
  std::string u = "nats-route://";
  if (!creds.empty()) u.append(creds).append("@");
  return u.append("127.0.0.1:").append(std::to_string(s.ClusterPort()));
}

// A server of the cluster tests, logging to a capturing logger.
struct clusterNode {
  reloadConfig cfg;
  std::shared_ptr<capturingLogger> log = std::make_shared<capturingLogger>();
  std::unique_ptr<Server> s;
  explicit clusterNode(const std::string& conf) {
    cfg.write(conf);
    s = runLogged(LoadConfig(cfg.path()), log);
  }
  void reload(const std::string& conf) {
    cfg.write(conf);
    s->Reload();
  }
};

// A client that sent CONNECT and got its PONG.
Conn plainClient(Server& s) {
  Conn c = createClientConn(s);
  checkInfoMsg(c);
  connectPlain(c);
  return c;
}

// Publishes `payload` on foo from pub and REQUIREs that sub (subscribed to
// foo with sid 1) receives it.
void expectFlows(Conn& pub, Conn& sub, const std::string& payload) {
  sendProto(pub, "PUB foo " + std::to_string(payload.size()) + "\r\n" + payload + "\r\nPING\r\n");
  expectResult(pub, pongRe);
  auto msgs = expectMsgs(sub, 1, 5s);
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].subject == "foo");
  CHECK(msgs[0].msg == payload);
}

// Publishes five messages from pub and checks that none reaches sub (the
// route is gone, so none can arrive later either).
void expectNoFlow(Conn& pub, Conn& sub) {
  for (int i = 0; i < 5; ++i) sendProto(pub, "PUB foo 5\r\nworld\r\n");
  sendProto(pub, "PING\r\n");
  expectResult(pub, pongRe);
  sendProto(sub, "PING\r\n");
  std::string got = expectResult(sub, pongRe);
  INFO("subscriber got: " << got);
  CHECK(got == "PONG\r\n");
}

// Lines of the log holding `text`.
size_t countLines(capturingLogger& log, const std::string& text) {
  const std::string all = log.all();
  size_t n = 0;
  for (size_t p = all.find(text); p != std::string::npos; p = all.find(text, p + text.size())) ++n;
  return n;
}

// rid of each route in the server's /routez.
std::vector<uint64_t> routeIds(Server& s) {
  auto body = nlohmann::json::parse(s.HandleMonitor("/routez").body);
  std::vector<uint64_t> ids;
  for (const auto& r : body["routes"]) ids.push_back(r["rid"].template get<uint64_t>());
  return ids;
}

}  // namespace

TEST_CASE("TestConfigReloadNoConfigFile", "[reload]") {
  auto s = RunServer(DefaultTestOptions());
  const auto loaded = s->ConfigLoadTime();
  CHECK_THROWS_WITH(s->Reload(), "Can only reload config when a file is provided using -c or --config");
  CHECK(s->ConfigLoadTime() == loaded);
}

TEST_CASE("TestConfigReloadUnsupported", "[reload]") {
  // Go: the cluster host changed; here every setting that cannot change
  // live is refused with gnatsd's text, and nothing of the file is applied
  // (trace below is reloadable, but is refused with the rest).
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  const auto loaded = s->ConfigLoadTime();
  const auto before = s->getOpts();
  const int port = s->Port();

  cfg.write("listen: \"0.0.0.0:-1\"\ntrace: true\n");
  expectReloadError(*s, "Config reload not supported for Host: old=127.0.0.1, new=0.0.0.0");
  cfg.write("listen: \"127.0.0.1:" + std::to_string(port == 65535 ? 65534 : port + 1) + "\"\ntrace: true\n");
  expectReloadError(*s, "Config reload not supported for Port: old=" + std::to_string(port));
  cfg.write("listen: \"127.0.0.1:-1\"\ntrace: true\nprof_port: 6060\n");
  expectReloadError(*s, "Config reload not supported for ProfPort: old=0, new=6060");
  cfg.write("listen: \"127.0.0.1:-1\"\ntrace: true\ncluster { listen: \"127.0.0.1:-1\" }\n");
  expectReloadError(*s, "Config reload not supported for cluster host: old=0.0.0.0, new=127.0.0.1");

  const auto after = s->getOpts();
  CHECK(after == before);  // the same snapshot: nothing was swapped in
  CHECK_FALSE(after->Trace);
  CHECK(s->ConfigLoadTime() == loaded);
  // And the server still serves.
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  connectPlain(c);
}

TEST_CASE("TestConfigReloadInvalidConfig", "[reload]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  const auto loaded = s->ConfigLoadTime();
  const auto before = s->getOpts();

  cfg.use("invalid.conf");
  try {
    s->Reload();
    FAIL("Reload of a config that does not parse succeeded");
  } catch (const ConfigError& e) {
    // file:line:col, as at start.
    CHECK(std::string(e.what()).rfind(cfg.path() + ":", 0) == 0);
  }
  // Values out of range are refused the same way.
  cfg.write("listen: \"127.0.0.1:-1\"\nmax_payload: -1\n");
  expectReloadError(*s, "max_payload");
  CHECK(s->getOpts() == before);
  CHECK(s->ConfigLoadTime() == loaded);
}

TEST_CASE("TestConfigReload", "[reload]") {
  // Go: TestConfigReload with reload.conf, less the cluster block. Every
  // reloadable setting changes; clients and INFO see it.
  reloadConfig cfg;
  auto log = std::make_shared<capturingLogger>();
  auto s = runWithConfig(cfg, "basic.conf", log);
  const auto loaded = s->ConfigLoadTime();
  const std::string pidFile = cfg.dir() + "/gnatsd.pid";
  Conn before = createClientConn(*s);
  checkInfoMsg(before);
  connectPlain(before);

  cfg.write(R"(listen: "127.0.0.1:-1"
debug: true
trace: true
logtime: true
pid_file: ")" + pidFile + R"("
max_control_line: 512
ping_interval: 5
ping_max: 1
write_deadline: "3s"
max_payload: 1024
max_pending: 10000000
tls {
  cert_file: "./configs/certs/server-cert.pem"
  key_file: "./configs/certs/server-key.pem"
  ca_file: "./configs/certs/ca.pem"
  verify: true
}
authorization {
  user: tyler
  password: T0pS3cr3t
  timeout: 2
}
)");
  s->Reload();

  auto updated = s->getOpts();
  CHECK(updated->Trace);
  CHECK(updated->Debug);
  CHECK(updated->Logtime);
  REQUIRE(updated->TLSConfig);
  CHECK(updated->TLSConfig->Verify);
  CHECK(updated->Username == "tyler");
  CHECK(updated->Password == "T0pS3cr3t");
  CHECK(updated->AuthTimeout == 2);
  CHECK(updated->PidFile == pidFile);
  CHECK(updated->MaxControlLine == 512);
  CHECK(updated->PingInterval == 5s);
  CHECK(updated->MaxPingsOut == 1);
  CHECK(updated->WriteDeadline == 3s);
  CHECK(updated->MaxPayload == 1024);
  CHECK(updated->MaxPending == 10000000);
  CHECK(updated->Port == s->Port());  // the random port kept
  CHECK(s->ConfigLoadTime() > loaded);

  // The pid file is written at once.
  CHECK(readFile(pidFile) == std::to_string(::getpid()));
  // Every change is logged, then the reload itself.
  for (const char* line : {"Reloaded: trace = true", "Reloaded: debug = true", "Reloaded: logtime = true",
                           "Reloaded: authorization username", "Reloaded: authorization password",
                           "Reloaded: ping_interval = 5s", "Reloaded: ping_max = 1",
                           "Reloaded: authorization timeout = 2", "Reloaded: max_control_line = 512",
                           "Reloaded: max_payload = 1024", "Reloaded: pid_file = ", "Reloaded: tls = enabled",
                           "Reloaded: write_deadline = 3s", "Reloaded: max_pending = 10000000",
                           "Reloaded server configuration"}) {
    INFO(log->all());
    CHECK(log->contains(line));
  }
  // New clients get the new INFO.
  Conn c = createClientConn(*s);
  nlohmann::json info = checkInfoMsg(c);
  CHECK(info.value("tls_required", false));
  CHECK(info.value("ssl_required", false));
  CHECK(info.value("tls_verify", false));
  CHECK(info.value("auth_required", false));
  CHECK(info.value("max_payload", 0) == 1024);
  // The client from before had no credentials: cut.
  expectCut(before, "Authorization Violation");
}

TEST_CASE("TestConfigReloadRotateTLS", "[reload][tls]") {
  // Go: tls_test.conf, then tls_verify_test.conf. Go's second file trusts
  // the new certificate itself; ours is signed by the test CA, so the new
  // block trusts ca.pem for client certificates.
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "tls_test.conf");
  auto trusting = makeClientTLSContext({"./configs/certs/ca.pem", "", ""});
  Conn nc = createClientConn(*s);
  checkInfoMsg(nc);
  std::string err;
  REQUIRE(nc.startTLS(trusting.get(), "localhost", &err));
  CHECK(certFingerprint(SSL_get0_peer_certificate(nc.ssl())) == fileFingerprint("./configs/certs/server.pem"));
  sendProto(nc, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB foo 1\r\nPING\r\n");
  expectResult(nc, pongRe);

  // A new key pair, and client certificates required.
  cfg.write(R"(listen: "127.0.0.1:-1"
tls {
  cert_file: "./configs/certs/cert.new.pem"
  key_file: "./configs/certs/key.new.pem"
  ca_file: "./configs/certs/ca.pem"
  verify: true
  timeout: 2
}
)");
  s->Reload();

  {
    // Without a certificate: refused.
    Conn c = createClientConn(*s);
    CHECK(checkInfoMsg(c).value("tls_verify", false));
    if (c.startTLS(trusting.get(), "localhost", &err)) {
      // TLS 1.3: the client finishes first; the refusal comes as the
      // server ends the connection (the write may already fail).
      c.send("CONNECT {}\r\nPING\r\n");
      CHECK(c.waitClosed(2s));
      CHECK(c.buffer().find("PONG") == std::string::npos);
    }
  }
  {
    // With one: accepted, and the server shows its new certificate.
    auto withCert = makeClientTLSContext(
        {"./configs/certs/ca.pem", "./configs/certs/client-cert.pem", "./configs/certs/client-key.pem"});
    Conn c = createClientConn(*s);
    checkInfoMsg(c);
    INFO("handshake: " << err);
    REQUIRE(c.startTLS(withCert.get(), "localhost", &err));
    CHECK(certFingerprint(SSL_get0_peer_certificate(c.ssl())) == fileFingerprint("./configs/certs/cert.new.pem"));
    sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
    expectResult(c, pongRe);
  }
  // The connection made before the reload still works.
  sendProto(nc, "PUB foo 5\r\nhello\r\n");
  auto msgs = expectMsgs(nc, 1);
  checkMsg(msgs[0], "foo", "1", "", "5", "hello");
}

TEST_CASE("TestConfigReloadEnableTLS", "[reload][tls]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  Conn plain = createClientConn(*s);
  CHECK_FALSE(checkInfoMsg(plain).value("tls_required", false));
  connectPlain(plain);

  cfg.use("tls_test.conf");
  s->Reload();
  // A plain client is now refused...
  {
    Conn c = createClientConn(*s);
    CHECK(checkInfoMsg(c).value("tls_required", false));
    sendProto(c, "CONNECT {\"verbose\":false}\r\nPING\r\n");
    expectResult(c, std::regex("-ERR 'Secure Connection - TLS Required'\r\n"));
    CHECK(c.waitClosed(2s));
  }
  // ...a TLS one accepted.
  auto anyServer = makeClientTLSContext({"", "", ""});
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  std::string err;
  INFO("handshake: " << err);
  REQUIRE(c.startTLS(anyServer.get(), "127.0.0.1", &err));
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
  expectResult(c, pongRe);
  // The plain client from before is left alone, as in gnatsd.
  sendProto(plain, "PING\r\n");
  expectResult(plain, pongRe);
}

TEST_CASE("TestConfigReloadDisableTLS", "[reload][tls]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "tls_test.conf");
  cfg.use("basic.conf");
  s->Reload();
  Conn c = createClientConn(*s);
  nlohmann::json info = checkInfoMsg(c);
  CHECK_FALSE(info.value("tls_required", true));
  CHECK_FALSE(info.value("ssl_required", true));
  CHECK_FALSE(info.value("tls_verify", true));
  connectPlain(c);
}

TEST_CASE("TestConfigReloadRotateUserAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "single_user_authentication_1.conf");
  Conn nc = connectAs(*s, "", "tyler", "T0pS3cr3t");
  cfg.use("single_user_authentication_2.conf");
  s->Reload();
  expectRefused(*s, "", "tyler", "T0pS3cr3t");
  connectAs(*s, "", "derek", "passw0rd");
  expectCut(nc, "Authorization Violation");
}

TEST_CASE("TestConfigReloadEnableUserAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  Conn nc = createClientConn(*s);
  checkInfoMsg(nc);
  connectPlain(nc);
  cfg.use("single_user_authentication_1.conf");
  s->Reload();
  expectRefused(*s, "", "", "");
  connectAs(*s, "", "tyler", "T0pS3cr3t");
  expectCut(nc, "Authorization Violation");
}

TEST_CASE("TestConfigReloadDisableUserAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "single_user_authentication_1.conf");
  Conn nc = connectAs(*s, "", "tyler", "T0pS3cr3t");
  cfg.use("basic.conf");
  s->Reload();
  Conn c = createClientConn(*s);
  CHECK_FALSE(checkInfoMsg(c).value("auth_required", true));
  connectPlain(c);
  // The authenticated client stays.
  sendProto(nc, "PING\r\n");
  expectResult(nc, pongRe);
}

TEST_CASE("TestConfigReloadRotateTokenAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "token_authentication_1.conf");
  Conn nc = connectAs(*s, "T0pS3cr3t", "", "");
  cfg.use("token_authentication_2.conf");
  s->Reload();
  expectRefused(*s, "T0pS3cr3t", "", "");
  connectAs(*s, "passw0rd", "", "");
  expectCut(nc, "Authorization Violation");
}

TEST_CASE("TestConfigReloadEnableTokenAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  Conn nc = createClientConn(*s);
  checkInfoMsg(nc);
  connectPlain(nc);
  cfg.use("token_authentication_1.conf");
  s->Reload();
  expectRefused(*s, "", "", "");
  connectAs(*s, "T0pS3cr3t", "", "");
  expectCut(nc, "Authorization Violation");
}

TEST_CASE("TestConfigReloadDisableTokenAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "token_authentication_1.conf");
  Conn nc = connectAs(*s, "T0pS3cr3t", "", "");
  cfg.use("basic.conf");
  s->Reload();
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  connectPlain(c);
  sendProto(nc, "PING\r\n");
  expectResult(nc, pongRe);
}

TEST_CASE("TestConfigReloadRotateUsersAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "multiple_users_1.conf");
  Conn alice = connectAs(*s, "", "alice", "foo");
  Conn bob = connectAs(*s, "", "bob", "bar");
  sendProto(bob, "SUB foo 1\r\nPING\r\n");
  expectResult(bob, okRe);
  expectResult(bob, pongRe);

  cfg.use("multiple_users_2.conf");  // alice's password changes, bob's does not
  s->Reload();
  expectRefused(*s, "", "alice", "foo");
  connectAs(*s, "", "alice", "baz");
  expectCut(alice, "Authorization Violation");
  // bob keeps his connection and his subscription.
  sendProto(bob, "PUB foo 5\r\nhello\r\nPING\r\n");
  expectResult(bob, okRe);
  auto msgs = expectMsgs(bob, 1);
  checkMsg(msgs[0], "foo", "1", "", "5", "hello");
}

TEST_CASE("TestConfigReloadEnableUsersAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  Conn nc = createClientConn(*s);
  checkInfoMsg(nc);
  connectPlain(nc);
  cfg.use("multiple_users_1.conf");
  s->Reload();
  expectRefused(*s, "", "", "");
  connectAs(*s, "", "alice", "foo");
  expectCut(nc, "Authorization Violation");
}

TEST_CASE("TestConfigReloadDisableUsersAuthentication", "[reload][auth]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "multiple_users_1.conf");
  Conn alice = connectAs(*s, "", "alice", "foo");
  cfg.use("basic.conf");
  s->Reload();
  Conn c = createClientConn(*s);
  CHECK_FALSE(checkInfoMsg(c).value("auth_required", true));
  connectPlain(c);
  sendProto(alice, "PING\r\n");
  expectResult(alice, pongRe);
}

TEST_CASE("TestConfigReloadChangePermissions", "[reload][auth]") {
  reloadConfig cfg;
  auto log = std::make_shared<capturingLogger>();
  auto s = runWithConfig(cfg, "authorization_1.conf", log);
  // bob may publish to req.foo and req.bar and subscribe to _INBOX.>.
  Conn bob = connectAs(*s, "", "bob", "bar");
  Conn alice = connectAs(*s, "", "alice", "foo");
  sendProto(bob, "SUB _INBOX.> 1\r\nPING\r\n");
  expectResult(bob, okRe);
  expectResult(bob, pongRe);
  sendProto(alice, "SUB req.foo 2\r\nPING\r\n");
  expectResult(alice, okRe);
  expectResult(alice, pongRe);
  sendProto(alice, "PUB _INBOX.foo 5\r\nhello\r\n");
  expectResult(alice, okRe);
  checkMsg(expectMsgs(bob, 1)[0], "_INBOX.foo", "1", "", "5", "hello");
  sendProto(bob, "PUB req.foo 5\r\nworld\r\n");
  expectResult(bob, okRe);
  checkMsg(expectMsgs(alice, 1)[0], "req.foo", "2", "", "5", "world");

  // Now bob may publish to _INBOX.foo.bar only, and subscribe to _INBOX.foo.>.
  cfg.use("authorization_2.conf");
  s->Reload();
  // His subscription to _INBOX.> is no longer allowed: removed, and said so.
  expectResult(bob, std::regex("-ERR 'Permissions Violation for Subscription to \"_INBOX.>\" \\(sid 1\\)'\r\n"));
  CHECK(checkFor(2s, 10ms, [&] { return log->contains("Removed sub \"_INBOX.>\" for user \"bob\" - not authorized"); }));
  // Publishing to req.foo is no longer allowed either.
  sendProto(bob, "PUB req.foo 4\r\nhola\r\n");
  expectResult(bob, std::regex("-ERR 'Permissions Violation for Publish to \"req.foo\"'\r\n"));
  // Nothing reaches the removed subscription.
  sendProto(alice, "PUB _INBOX.foo 5\r\nmundo\r\nPING\r\n");
  expectResult(alice, okRe);
  expectResult(alice, pongRe);
  sendProto(bob, "PING\r\n");
  expectResult(bob, pongRe);
  CHECK(bob.buffer().find("mundo") == std::string::npos);
  // What the new permissions allow works.
  sendProto(bob, "SUB _INBOX.foo.> 3\r\nPUB _INBOX.foo.bar 7\r\ntesting\r\n");
  expectResult(bob, okRe);
  expectResult(bob, okRe);
  checkMsg(expectMsgs(bob, 1)[0], "_INBOX.foo.bar", "3", "", "7", "testing");
  // And alice, unrestricted, is untouched.
  sendProto(alice, "PING\r\n");
  expectResult(alice, pongRe);
}

TEST_CASE("TestConfigReloadMaxConnections", "[reload]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  Conn a = createClientConn(*s);
  checkInfoMsg(a);
  connectPlain(a);
  Conn b = createClientConn(*s);
  checkInfoMsg(b);
  connectPlain(b);
  REQUIRE(s->NumClients() == 2);

  cfg.use("max_connections.conf");  // max_connections: 1
  s->Reload();
  // One of the two is cut, the other stays.
  CHECK(checkFor(5s, 10ms, [&] { return s->NumClients() == 1; }));
  bool aCut = false, bCut = false;
  REQUIRE(checkFor(5s, 1ms, [&] {
    aCut = aCut || a.waitClosed(5ms);
    bCut = bCut || b.waitClosed(5ms);
    return aCut || bCut;
  }));
  REQUIRE(aCut != bCut);
  Conn& cut = aCut ? a : b;
  Conn& kept = aCut ? b : a;
  CHECK(cut.buffer().find("-ERR 'Maximum Connections Exceeded'") != std::string::npos);
  sendProto(kept, "PING\r\n");
  expectResult(kept, pongRe);
  // A new one is refused.
  Conn c = createClientConn(*s);
  expectResult(c, std::regex("-ERR 'Maximum Connections Exceeded'\r\n"));
}

TEST_CASE("TestConfigReloadMaxPayload", "[reload]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  connectPlain(c);
  sendProto(c, "SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
  checkMsg(expectMsgs(c, 1)[0], "foo", "1", "", "5", "hello");

  cfg.use("max_payload.conf");  // max_payload: 1
  s->Reload();
  // New clients are told; the connected one is held to it.
  Conn n = createClientConn(*s);
  CHECK(checkInfoMsg(n).value("max_payload", 0) == 1);
  sendProto(c, "PUB foo 5\r\nhello\r\n");
  expectCut(c, "Maximum Payload Violation");
}

TEST_CASE("TestConfigReloadFlagsWin", "[reload]") {
  // C++ only: as at start, a flag beats the file after a reload too.
  reloadConfig cfg;
  cfg.write("listen: \"127.0.0.1:-1\"\nmax_payload: 100\n");
  Options flags;
  flags.MaxPayload = 0;
  flags.Debug = true;
  flags.Explicit.insert("Debug");
  Options opts = gnatsd::server::MergeOptions(LoadConfig(cfg.path()), flags);
  auto s = RunServer(opts);
  s->SetFlagSnapshot(flags);
  cfg.write("listen: \"127.0.0.1:-1\"\nmax_payload: 200\ndebug: false\n");
  s->Reload();
  CHECK(s->getOpts()->MaxPayload == 200);
  CHECK(s->getOpts()->Debug);  // the flag's value
}

TEST_CASE("TestConfigReloadDuringTraffic", "[reload]") {
  // C++ only: reloads while a publisher and a subscriber that stay allowed
  // run lose no message.
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "multiple_users_1.conf");
  Conn sub = connectAs(*s, "", "bob", "bar");
  sendProto(sub, "SUB load 1\r\nPING\r\n");
  expectResult(sub, okRe);
  expectResult(sub, pongRe);
  Conn pub = createClientConn(*s);
  checkInfoMsg(pub);
  sendProto(pub, "CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"bob\",\"pass\":\"bar\"}\r\nPING\r\n");
  expectResult(pub, pongRe);

  constexpr int kMsgs = 20000;
  // Made here, not on the reloader's thread: no regex is compiled there.
  const std::regex local("localhost:-1");
  const std::string files[2] = {
      std::regex_replace(readFile("./configs/server/reload/multiple_users_2.conf"), local, "\"127.0.0.1:-1\""),
      std::regex_replace(readFile("./configs/server/reload/multiple_users_1.conf"), local, "\"127.0.0.1:-1\"")};
  std::atomic<bool> done{false};
  std::atomic<int> reloads{0}, failures{0};
  std::thread reloader([&] {
    // Alternate two files that differ in alice's password: each reload
    // re-checks every client. No Catch2 assertions on this thread.
    for (int i = 0; !done && i < 200; ++i) {
      {
        std::ofstream f(cfg.path() + ".new", std::ios::binary | std::ios::trunc);
        f << files[i % 2];
      }
      std::rename((cfg.path() + ".new").c_str(), cfg.path().c_str());
      try {
        s->Reload();
        ++reloads;
      } catch (const std::exception&) {
        ++failures;
      }
      std::this_thread::sleep_for(2ms);
    }
  });
  std::string batch;
  for (int i = 0; i < kMsgs; ++i) {
    batch += "PUB load 4\r\nping\r\n";
    if (batch.size() > 16 * 1024) {
      REQUIRE(pub.send(batch));
      batch.clear();
    }
  }
  batch += "PING\r\n";
  REQUIRE(pub.send(batch));
  expectResult(pub, pongRe, 10s);
  sendProto(sub, "PING\r\n");
  // Every message, then the PONG.
  const std::string one = "MSG load 1 4\r\nping\r\n";
  CHECK(checkFor(10s, 5ms, [&] {
    sub.readSome(5ms);
    return sub.buffer().find("PONG\r\n") != std::string::npos;
  }));
  done = true;
  reloader.join();
  CHECK(failures == 0);
  CHECK(reloads > 0);
  size_t count = 0;
  for (size_t pos = 0; (pos = sub.buffer().find(one, pos)) != std::string::npos; pos += one.size()) ++count;
  CHECK(count == static_cast<size_t>(kMsgs));
  CHECK(sub.buffer().find("-ERR") == std::string::npos);
}

TEST_CASE("TestConfigReloadLogFile", "[reload]") {
  // C++ only: log_file, debug and trace take effect at once; the old file
  // gets nothing more.
  reloadConfig cfg;
  const std::string first = cfg.dir() + "/first.log", second = cfg.dir() + "/second.log";
  cfg.write("listen: \"127.0.0.1:-1\"\nlog_file: \"" + first + "\"\n");
  auto s = RunServer(LoadConfig(cfg.path()));  // logs to the file it names
  CHECK(readFile(first).find("[INF] Server is ready") != std::string::npos);
  CHECK_FALSE(s->debugEnabled());

  cfg.write("listen: \"127.0.0.1:-1\"\nlog_file: \"" + second + "\"\ndebug: true\ntrace: true\n");
  s->Reload();
  CHECK(s->debugEnabled());
  CHECK(s->traceEnabled());
  CHECK(readFile(first).find("[INF] Reloaded: log_file = " + second) != std::string::npos);
  CHECK(readFile(second).find("[INF] Reloaded server configuration") != std::string::npos);
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  connectPlain(c);
  // Trace lines of the new client land in the new file.
  CHECK(checkFor(2s, 10ms, [&] { return readFile(second).find("[TRC] ") != std::string::npos; }));
  CHECK(readFile(first).find("[TRC] ") == std::string::npos);

  // A log file that cannot be opened fails the reload, and changes nothing.
  cfg.write("listen: \"127.0.0.1:-1\"\nlog_file: \"" + cfg.dir() + "/no/such/dir/x.log\"\n");
  expectReloadError(*s, "error opening file");
  CHECK(s->debugEnabled());
  CHECK(s->getOpts()->LogFile == second);
}

TEST_CASE("TestConfigReloadClusterHostUnsupported", "[reload][route]") {
  clusterNode a(clusterConf());
  const auto before = a.s->getOpts();
  a.cfg.write("listen: \"127.0.0.1:-1\"\ncluster {\n  listen: \"0.0.0.0:-1\"\n}\n");
  expectReloadError(*a.s, "Config reload not supported for cluster host: old=127.0.0.1, new=0.0.0.0");
  CHECK(a.s->getOpts() == before);
  // The cluster port still takes routes.
  Conn rc = createRouteConn(*a.s);
  CHECK(expectResult(rc, infoRe).rfind("INFO {", 0) == 0);
}

TEST_CASE("TestConfigReloadClusterPortUnsupported", "[reload][route]") {
  clusterNode a(clusterConf());
  const auto before = a.s->getOpts();
  PortHold other;  // a port nobody else gets meanwhile
  a.cfg.write("listen: \"127.0.0.1:-1\"\ncluster {\n  listen: \"127.0.0.1:" + std::to_string(other.port()) +
              "\"\n}\n");
  expectReloadError(*a.s, "Config reload not supported for cluster port: old=-1, new=" + std::to_string(other.port()));
  CHECK(a.s->getOpts() == before);
  Conn rc = createRouteConn(*a.s);
  CHECK(expectResult(rc, infoRe).rfind("INFO {", 0) == 0);
}

TEST_CASE("TestConfigReloadEnableClusterAuthorization", "[reload][route]") {
  clusterNode b(clusterConf());
  clusterNode a(clusterConf({routeTo(*b.s)}));
  checkClusterFormed({a.s.get(), b.s.get()});

  Conn sub = plainClient(*a.s);
  sendProto(sub, "SUB foo 1\r\nPING\r\n");
  expectResult(sub, pongRe);
  Conn pub = plainClient(*b.s);
  REQUIRE(checkExpectedSubs(1, {b.s.get()}).empty());
  REQUIRE(b.s->NumRoutes() == 1);
  expectFlows(pub, sub, "hello");

  // B now wants credentials: A's route has none and is cut.
  b.reload(clusterConf({}, true));
  CHECK(b.log->contains("[INF] Reloaded: cluster"));
  REQUIRE(checkFor(5s, 10ms, [&] { return b.s->NumRoutes() == 0 && a.s->NumRoutes() == 0; }));
  expectNoFlow(pub, sub);
  // A keeps dialling its configured route and is refused each time.
  REQUIRE(checkFor(10s, 20ms, [&] { return countLines(*b.log, "Authorization Error") >= 2; }));

  // A gets the credentials: the cluster forms again.
  a.reload(clusterConf({routeTo(*b.s, "tyler:foo")}));
  checkClusterFormed({a.s.get(), b.s.get()});
  REQUIRE(checkExpectedSubs(1, {b.s.get()}).empty());
  expectFlows(pub, sub, "hola");

  // C++ only: A's dialler for the route without credentials stopped with
  // the reload (1.0.0 kept it going, refused every second for ever).
  // Two dial intervals and more.
  const size_t refused = countLines(*b.log, "Authorization Error");
  std::this_thread::sleep_for(2500ms);
  CHECK(countLines(*b.log, "Authorization Error") == refused);
  CHECK(b.s->NumRoutes() == 1);
}

TEST_CASE("TestConfigReloadDisableClusterAuthorization", "[reload][route]") {
  clusterNode b(clusterConf({}, true));
  clusterNode a(clusterConf({routeTo(*b.s, "tyler:foo")}));
  checkClusterFormed({a.s.get(), b.s.get()});

  Conn sub = plainClient(*a.s);
  sendProto(sub, "SUB foo 1\r\nPING\r\n");
  expectResult(sub, pongRe);
  Conn pub = plainClient(*b.s);
  REQUIRE(checkExpectedSubs(1, {b.s.get()}).empty());
  expectFlows(pub, sub, "hello");
  const auto ids = routeIds(*b.s);

  b.reload(clusterConf());
  checkClusterFormed({a.s.get(), b.s.get()});
  // The route was allowed before and still is: it was left alone.
  CHECK(routeIds(*b.s) == ids);
  expectFlows(pub, sub, "hola");
}

TEST_CASE("TestConfigReloadClusterRoutes", "[reload][route]") {
  auto b = std::make_unique<clusterNode>(clusterConf());
  clusterNode a(clusterConf({routeTo(*b->s)}));
  checkClusterFormed({a.s.get(), b->s.get()});
  clusterNode c(clusterConf());

  Conn sub = plainClient(*a.s);
  sendProto(sub, "SUB foo 1\r\nPING\r\n");
  expectResult(sub, pongRe);
  {
    Conn pub = plainClient(*b->s);
    REQUIRE(checkExpectedSubs(1, {b->s.get()}).empty());
    expectFlows(pub, sub, "hello");
  }

  // B goes away; A is told to route to C instead.
  const std::string gone = routeTo(*b->s);
  b.reset();
  REQUIRE(checkFor(5s, 10ms, [&] { return a.s->NumRoutes() == 0; }));
  a.reload(clusterConf({routeTo(*c.s)}));
  checkClusterFormed({a.s.get(), c.s.get()});
  CHECK(a.log->contains("[INF] Reloaded: cluster routes"));

  Conn pub = plainClient(*c.s);
  REQUIRE(checkExpectedSubs(1, {c.s.get()}).empty());
  expectFlows(pub, sub, "hola");
  // C++ only: the dialler of B's old address stopped.
  REQUIRE(checkFor(5s, 20ms, [&] { return a.log->contains("no longer configured"); }));
  CHECK(a.log->contains(gone.substr(std::string("nats-route://").size())));
}

TEST_CASE("TestConfigReloadClusterRoutesKeepsUnchanged", "[reload][route]") {
  // C++ only: a route that stays in the list keeps its connection (1.0.0
  // closed and re-dialled every route on any change of the list), one that
  // leaves it is closed and not re-dialled, one that joins it is dialled.
  clusterNode b(clusterConf());
  clusterNode c(clusterConf());
  clusterNode a(clusterConf({routeTo(*b.s)}));
  checkClusterFormed({a.s.get(), b.s.get()});
  const auto idsB = routeIds(*b.s);
  REQUIRE(idsB.size() == 1);

  a.reload(clusterConf({routeTo(*b.s), routeTo(*c.s)}));
  checkClusterFormed({a.s.get(), b.s.get(), c.s.get()});  // B and C find each other through A
  CHECK_FALSE(a.log->contains("Removed route"));
  CHECK(routeIds(*b.s).size() == 2);
  const auto idsAfter = routeIds(*b.s);
  CHECK(std::find(idsAfter.begin(), idsAfter.end(), idsB[0]) != idsAfter.end());

  // A drops C from its list: A closes its route to C and never dials C
  // again. (C may dial A back once: 1.0.0 gives the server with the smaller
  // id one retry of a lost route, and A accepts routes from anyone.)
  const std::string dialC = "Trying to connect to route on 127.0.0.1:" + std::to_string(c.s->ClusterPort());
  a.reload(clusterConf({routeTo(*b.s)}));
  CHECK(a.log->contains("[INF] Removed route " + routeTo(*c.s)));
  bool seen = checkFor(5s, 10ms, [&] { return c.log->contains("Router connection closed"); });
  INFO("A's log:\n" << a.log->all() << "\nC's log:\n" << c.log->all());
  REQUIRE(seen);
  const size_t dials = countLines(*a.log, dialC);
  std::this_thread::sleep_for(1500ms);  // past the 1 s reconnect delay of a configured route
  CHECK(countLines(*a.log, dialC) == dials);
  CHECK_FALSE(a.log->contains("Attempting reconnect for solicited route \"" + routeTo(*c.s) + "\""));
}

// C++ only from here: each reloadable setting below is shown to change what
// the server does, without a restart (Go's tests check the options only).

TEST_CASE("TestConfigReloadMaxControlLineBehaviour", "[reload]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  Conn c = plainClient(*s);
  const std::string subject(200, 'a');
  // 1024 by default: a 200-byte subject passes.
  sendProto(c, "SUB " + subject + " 1\r\nPING\r\n");
  CHECK(expectResult(c, pongRe) == "PONG\r\n");

  cfg.write("listen: \"127.0.0.1:-1\"\nmax_control_line: 64\n");
  s->Reload();
  // The parser of the client already connected holds it to the new limit.
  sendProto(c, "SUB " + subject + " 2\r\n");
  expectCut(c, "Maximum Control Line Exceeded");
  // A short line still passes.
  Conn d = plainClient(*s);
  sendProto(d, "SUB foo 1\r\nPING\r\n");
  CHECK(expectResult(d, pongRe) == "PONG\r\n");
}

TEST_CASE("TestConfigReloadPingIntervalBehaviour", "[reload]") {
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  // Two minutes by default: an idle client hears nothing for a while.
  Conn before = createClientConn(*s);
  checkInfoMsg(before);
  expectNothing(before, 1500ms);

  cfg.write("listen: \"127.0.0.1:-1\"\nping_interval: 1\n");
  s->Reload();
  // A client's ping timer reads the interval each time it is armed: a new
  // idle client is pinged after about a second.
  const auto start = std::chrono::steady_clock::now();
  Conn idle = createClientConn(*s);
  checkInfoMsg(idle);
  CHECK(expectResult(idle, pingRe, 20s) == "PING\r\n");
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);
}

TEST_CASE("TestConfigReloadAuthTimeoutBehaviour", "[reload][auth]") {
  reloadConfig cfg;
  const std::string auth = "listen: \"127.0.0.1:-1\"\nauthorization {\n  user: tyler\n  password: foo\n";
  cfg.write(auth + "  timeout: 60\n}\n");
  auto s = RunServer(LoadConfig(cfg.path()));
  // A client that never sends CONNECT is left alone for a minute...
  Conn before = createClientConn(*s);
  expectAuthRequired(before);
  expectNothing(before, 1500ms);

  cfg.write(auth + "  timeout: 0.5\n}\n");
  s->Reload();
  // ...and one that connects after the reload for half a second.
  const auto start = std::chrono::steady_clock::now();
  Conn silent = createClientConn(*s);
  expectAuthRequired(silent);
  expectResult(silent, std::regex("-ERR 'Authorization Timeout'\r\n"), 20s);
  CHECK(silent.waitClosed(5s));
  CHECK(std::chrono::steady_clock::now() - start < 30s);
  // Credentials in time still get in.
  Conn ok = connectAs(*s, "", "tyler", "foo");
}

TEST_CASE("TestConfigReloadLogtimeBehaviour", "[reload]") {
  reloadConfig cfg;
  const std::string log = cfg.dir() + "/gnatsd.log";
  const std::string base = "listen: \"127.0.0.1:-1\"\nlog_file: \"" + log + "\"\n";
  cfg.write(base + "logtime: false\n");
  auto s = RunServer(LoadConfig(cfg.path()));
  const std::string pid = "\\[" + std::to_string(::getpid()) + "\\] ";
  const std::string stamp = R"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} )";
  auto has = [&](const std::string& re) { return std::regex_search(readFile(log), std::regex(re)); };
  CHECK(has("(^|\n)" + pid + R"(\[INF\] Server is ready\n)"));

  cfg.write(base + "logtime: true\n");
  s->Reload();
  // The change itself is the old logger's last line; what follows is stamped.
  CHECK(has("(^|\n)" + pid + R"(\[INF\] Reloaded: logtime = true\n)"));
  CHECK(has("(^|\n)" + pid + stamp + R"(\[INF\] Reloaded server configuration\n)"));

  cfg.write(base + "logtime: false\n");
  s->Reload();
  INFO(readFile(log));
  CHECK(has("(^|\n)" + pid + stamp + R"(\[INF\] Reloaded: logtime = false\n)"));
  CHECK(has(pid + R"(\[INF\] Reloaded server configuration\n$)"));
}

TEST_CASE("TestConfigReloadRemoteSyslogBehaviour", "[reload]") {
  // A syslog receiver on loopback that this test owns.
  Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(udp.valid());
  struct sockaddr_in sa {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(udp.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(udp.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  const std::string url = "udp://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  std::string received;
  // Datagrams until one holds `text` or 20 s pass.
  auto receive = [&](const std::string& text) {
    return checkFor(20s, 1ms, [&] {
      struct pollfd p = {udp.get(), POLLIN, 0};
      if (::poll(&p, 1, 10) != 1) return false;
      char buf[4096];
      const ssize_t n = ::recv(udp.get(), buf, sizeof buf, 0);
      if (n > 0) received.append(buf, static_cast<size_t>(n));
      return received.find(text) != std::string::npos;
    });
  };

  reloadConfig cfg;
  const std::string log = cfg.dir() + "/gnatsd.log";
  cfg.write("listen: \"127.0.0.1:-1\"\nlog_file: \"" + log + "\"\n");
  auto s = RunServer(LoadConfig(cfg.path()));  // logs to the file
  cfg.write("listen: \"127.0.0.1:-1\"\nremote_syslog: \"" + url + "\"\ndebug: true\n");
  s->Reload();
  CHECK(readFile(log).find("[INF] Reloaded: remote_syslog = " + url + "\n") != std::string::npos);
  // From the reload on, lines go to the receiver, framed as syslog
  // (notice is severity 5, debug 7), and no longer to the file.
  const std::string tag = "[" + std::to_string(::getpid()) + "]: ";
  CHECK(receive(tag + "Reloaded server configuration\n"));
  CHECK(received.rfind("<5>", 0) == 0);
  Conn c = createClientConn(*s);
  checkInfoMsg(c);
  const bool debug = receive(" - cid:");
  INFO("received: " << received);
  CHECK(debug);
  CHECK(received.find("<7>") != std::string::npos);
  CHECK(readFile(log).find("Reloaded server configuration") == std::string::npos);
  CHECK(readFile(log).find(" - cid:") == std::string::npos);
}

TEST_CASE("TestConfigReloadMonitorPortUnsupported", "[reload]") {
  // Go's diffOptions refuses HTTPPort and HTTPSPort like any field it has
  // no option for; nothing of the file is applied.
  reloadConfig cfg;
  auto s = runWithConfig(cfg, "basic.conf");
  const auto before = s->getOpts();
  cfg.write("listen: \"127.0.0.1:-1\"\ndebug: true\nhttp_port: 8222\n");
  expectReloadError(*s, "Config reload not supported for HTTPPort: old=0, new=8222");
  cfg.write("listen: \"127.0.0.1:-1\"\ndebug: true\nhttps_port: 8443\n");
  expectReloadError(*s, "Config reload not supported for HTTPSPort: old=0, new=8443");
  CHECK(s->getOpts() == before);
  CHECK_FALSE(s->debugEnabled());
  Conn c = plainClient(*s);

  // A monitor on a random port: -1 stays in the options (the bound port is
  // not written back), so the same -1 in the file is no change...
  reloadConfig mcfg;
  mcfg.write("listen: \"127.0.0.1:-1\"\nhttp: \"127.0.0.1:-1\"\n");
  auto m = RunServer(LoadConfig(mcfg.path()));
  REQUIRE(m->getOpts()->HTTPPort == -1);
  mcfg.write("listen: \"127.0.0.1:-1\"\nhttp: \"127.0.0.1:-1\"\nmax_payload: 2048\n");
  m->Reload();
  CHECK(m->getOpts()->MaxPayload == 2048);
  mcfg.write("listen: \"127.0.0.1:-1\"\nhttp: \"127.0.0.1:8222\"\n");
  expectReloadError(*m, "Config reload not supported for HTTPPort: old=-1, new=8222");
  m.reset();

  // ...while a fixed port turned into -1 is a change, refused.
  std::unique_ptr<Server> f;
  int port = 0;
  for (int attempt = 0; !f && attempt < 10; ++attempt) {
    port = PortHold().port();  // free a moment ago; another process may take it first
    mcfg.write("listen: \"127.0.0.1:-1\"\nhttp: \"127.0.0.1:" + std::to_string(port) + "\"\n");
    try {
      f = RunServer(LoadConfig(mcfg.path()));
    } catch (const std::exception&) {
    }
  }
  REQUIRE(f);
  mcfg.write("listen: \"127.0.0.1:-1\"\nhttp: \"127.0.0.1:-1\"\n");
  expectReloadError(*f, "Config reload not supported for HTTPPort: old=" + std::to_string(port) + ", new=-1");
}
