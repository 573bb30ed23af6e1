// Go: test/auth_test.go
// Token, user/password and bcrypt authentication over raw sockets; the auth
// timeout; and (C++ only) no password or token ever reaches the log file.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

const std::regex authViolationRe(R"(^-ERR 'Authorization Violation'\r\n)");
const std::regex authTimeoutRe(R"(^-ERR 'Authorization Timeout'\r\n)");

// Rejected: exactly one -ERR with this text, then the server hangs up.
void expectRejected(Conn& c, const std::regex& re) {
  expectResult(c, re);
  REQUIRE(c.waitClosed());
  INFO("bytes after the error: " << c.buffer());
  REQUIRE(c.buffer().empty());
}

// Accepted: +OK for the CONNECT, and the connection is usable afterwards.
void expectAccepted(Conn& c) {
  expectResult(c, okRe);
  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);
}

// --- the authorization token version -----------------------------------------

constexpr std::string_view AUTH_TOKEN = "_YZZ22_";

std::unique_ptr<Server> runAuthServerWithToken() {
  Options opts = DefaultTestOptions();
  opts.Authorization = AUTH_TOKEN;
  return RunServer(opts);
}

// --- the username/password version -------------------------------------------

constexpr std::string_view AUTH_USER = "derek";
constexpr std::string_view AUTH_PASS = "foobar";

std::unique_ptr<Server> runAuthServerWithUserPass() {
  Options opts = DefaultTestOptions();
  opts.Username = AUTH_USER;
  opts.Password = AUTH_PASS;
  return RunServer(opts);
}

// --- the bcrypt versions -----------------------------------------------------
// gnatsd's own pairs, made with mkpasswd at cost 4 (cheap to check).

constexpr std::string_view BCRYPT_AUTH_PASS = "IW@$6v(y1(t@fhPDvf!5^%";
constexpr std::string_view BCRYPT_AUTH_HASH = "$2a$04$Q.CgCP2Sl9pkcTXEZHazaeMwPaAkSHk7AI51HkyMt5iJQQyUA4qxq";

std::unique_ptr<Server> runAuthServerWithBcryptUserPass() {
  Options opts = DefaultTestOptions();
  opts.Username = AUTH_USER;
  opts.Password = BCRYPT_AUTH_HASH;
  return RunServer(opts);
}

constexpr std::string_view BCRYPT_AUTH_TOKEN = "0uhJOSr3GW7xvHvtd^K6pa";
constexpr std::string_view BCRYPT_AUTH_TOKEN_HASH =
    "$2a$04$u5ZClXpcjHgpfc61Ee0VKuwI1K3vTC4zq7SjphjnlHMeb1Llkb5Y6";

std::unique_ptr<Server> runAuthServerWithBcryptToken() {
  Options opts = DefaultTestOptions();
  opts.Authorization = BCRYPT_AUTH_TOKEN_HASH;
  return RunServer(opts);
}

}  // namespace

TEST_CASE("TestNoAuthClient", "[authproto]") {
  auto s = runAuthServerWithToken();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "", "", "");
  expectRejected(c, authViolationRe);
}

TEST_CASE("TestAuthClientBadToken", "[authproto]") {
  auto s = runAuthServerWithToken();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "ZZZ", "", "");
  expectRejected(c, authViolationRe);
}

TEST_CASE("TestAuthClientNoConnect", "[authproto]") {
  // A short timeout instead of the 1 s default keeps the test fast; the
  // error must not come before it, and must come soon after.
  Options opts = DefaultTestOptions();
  opts.Authorization = AUTH_TOKEN;
  opts.AuthTimeout = 0.3;
  auto s = RunServer(opts);
  Conn c = createClientConn(*s);
  auto start = std::chrono::steady_clock::now();
  expectAuthRequired(c);
  expectResult(c, authTimeoutRe, 3s);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 250ms);
  REQUIRE(c.waitClosed());
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 0; }));
}

TEST_CASE("TestAuthClientGoodConnect", "[authproto]") {
  auto s = runAuthServerWithToken();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, AUTH_TOKEN, "", "");
  expectAccepted(c);
}

TEST_CASE("TestAuthClientFailOnEverythingElse", "[authproto]") {
  auto s = runAuthServerWithToken();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  sendProto(c, "PUB foo 2\r\nok\r\n");
  expectRejected(c, authViolationRe);

  // PING is no exception: before CONNECT only CONNECT is allowed.
  Conn c2 = createClientConn(*s);
  expectAuthRequired(c2);
  sendProto(c2, "PING\r\n");
  expectRejected(c2, authViolationRe);
}

TEST_CASE("TestNoUserOrPasswordClient", "[authproto]") {
  auto s = runAuthServerWithUserPass();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "", "", "");
  expectRejected(c, authViolationRe);
}

TEST_CASE("TestBadUserClient", "[authproto]") {
  auto s = runAuthServerWithUserPass();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "", "derekzz", AUTH_PASS);
  expectRejected(c, authViolationRe);
}

TEST_CASE("TestBadPasswordClient", "[authproto]") {
  auto s = runAuthServerWithUserPass();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "", AUTH_USER, "ZZ");
  expectRejected(c, authViolationRe);
}

TEST_CASE("TestPasswordClientGoodConnect", "[authproto]") {
  auto s = runAuthServerWithUserPass();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "", AUTH_USER, AUTH_PASS);
  expectAccepted(c);
}

TEST_CASE("TestBadBcryptPassword", "[authproto]") {
  auto s = runAuthServerWithBcryptUserPass();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  // The hash itself is not the password.
  doAuthConnect(c, "", AUTH_USER, BCRYPT_AUTH_HASH);
  expectRejected(c, authViolationRe);
}

TEST_CASE("TestGoodBcryptPassword", "[authproto]") {
  auto s = runAuthServerWithBcryptUserPass();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "", AUTH_USER, BCRYPT_AUTH_PASS);
  expectAccepted(c);
}

TEST_CASE("TestBadBcryptToken", "[authproto]") {
  auto s = runAuthServerWithBcryptToken();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, BCRYPT_AUTH_TOKEN_HASH, "", "");
  expectRejected(c, authViolationRe);
}

TEST_CASE("TestGoodBcryptToken", "[authproto]") {
  auto s = runAuthServerWithBcryptToken();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, BCRYPT_AUTH_TOKEN, "", "");
  expectAccepted(c);
}

// --- beyond gnatsd's tests ---------------------------------------------------

// Every CONNECT runs the check again: a client that got in cannot stay once
// it presents bad credentials.
TEST_CASE("TestAuthSecondConnectRechecked", "[authproto]") {
  auto s = runAuthServerWithUserPass();
  Conn c = createClientConn(*s);
  expectAuthRequired(c);
  doAuthConnect(c, "", AUTH_USER, AUTH_PASS);
  expectAccepted(c);
  doAuthConnect(c, "", AUTH_USER, AUTH_PASS);
  expectAccepted(c);
  doAuthConnect(c, "", AUTH_USER, "wrong");
  expectRejected(c, authViolationRe);
}

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gnatsd-auth-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs a server logging to `logFile` with debug and trace on, lets `clients`
// talk to it, shuts it down and returns everything it logged.
std::string logOfServer(Options opts, const std::filesystem::path& logFile,
                        const std::function<void(Server&)>& clients) {
  opts.LogFile = logFile.string();
  opts.Debug = true;
  opts.Trace = true;
  {
    auto s = RunServer(opts);
    clients(*s);
    // Every connection must be gone (so its close is logged) before the
    // server stops.
    REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 0; }));
    s->Shutdown();
  }
  return readFile(logFile);
}

void requireAbsent(const std::string& log, std::string_view secret) {
  INFO("secret \"" << secret << "\" found in the log:\n" << log);
  REQUIRE(log.find(secret) == std::string::npos);
}

}  // namespace

// Trace prints each CONNECT; gnatsd 1.0.0 printed its JSON as received,
// passwords and tokens included. Ours must write "[REDACTED]" in their place
// (as today's nats-server does), and no other log line may carry them.
TEST_CASE("TestAuthSecretsNotLogged", "[authproto]") {
  TempDir dir;
  // Distinctive strings, so a hit cannot be a coincidence.
  const std::string serverPass = "S3rverPassw0rd-xq7";
  const std::string wrongPass = "Wr0ngPassw0rd-kz4";
  const std::string serverToken = "T0kenSecret-mv9";
  const std::string wrongToken = "Wr0ngT0ken-pj2";

  SECTION("user and password") {
    Options opts = DefaultTestOptions();
    opts.Username = "derek";
    opts.Password = serverPass;
    std::string log = logOfServer(opts, dir.path() / "userpass.log", [&](Server& s) {
      Conn good = createClientConn(s);
      expectAuthRequired(good);
      doAuthConnect(good, "", "derek", serverPass);
      expectAccepted(good);
      good.close();

      Conn bad = createClientConn(s);
      expectAuthRequired(bad);
      doAuthConnect(bad, "", "derek", wrongPass);
      expectRejected(bad, authViolationRe);

      // A CONNECT that is not valid JSON must not leak either: its error
      // is logged too.
      Conn broken = createClientConn(s);
      expectAuthRequired(broken);
      sendProto(broken, "CONNECT {\"user\":\"derek\",\"pass\":\"" + wrongPass + "\",}\r\n");
      expectResult(broken, errRe);
      REQUIRE(broken.waitClosed());
    });
    // The log is real: the CONNECTs were traced and the failure logged.
    REQUIRE(log.find("->> [CONNECT ") != std::string::npos);
    REQUIRE(log.find("[REDACTED]") != std::string::npos);
    REQUIRE(log.find("[ERR] ") != std::string::npos);
    REQUIRE(log.find("Authorization Error") != std::string::npos);
    REQUIRE(log.find("\"derek\"") != std::string::npos);  // the user name is kept
    requireAbsent(log, serverPass);
    requireAbsent(log, wrongPass);
  }

  SECTION("token") {
    Options opts = DefaultTestOptions();
    opts.Authorization = serverToken;
    std::string log = logOfServer(opts, dir.path() / "token.log", [&](Server& s) {
      Conn good = createClientConn(s);
      expectAuthRequired(good);
      doAuthConnect(good, serverToken, "", "");
      expectAccepted(good);
      good.close();

      Conn bad = createClientConn(s);
      expectAuthRequired(bad);
      doAuthConnect(bad, wrongToken, "", "");
      expectRejected(bad, authViolationRe);

      // Go's JSON decoding matches keys case-insensitively, so "AUTH_TOKEN"
      // is a token too and must be hidden as well.
      Conn upper = createClientConn(s);
      expectAuthRequired(upper);
      sendProto(upper, "CONNECT {\"verbose\":true,\"AUTH_TOKEN\":\"" + serverToken + "\"}\r\n");
      expectAccepted(upper);
      upper.close();
    });
    REQUIRE(log.find("->> [CONNECT ") != std::string::npos);
    REQUIRE(log.find("[REDACTED]") != std::string::npos);
    REQUIRE(log.find("Authorization Error") != std::string::npos);
    requireAbsent(log, serverToken);
    requireAbsent(log, wrongToken);
  }

  SECTION("users list") {
    Options opts = DefaultTestOptions();
    opts.Users = std::make_shared<std::vector<gnatsd::server::User>>();
    opts.Users->push_back({"alice", serverPass, nullptr});
    std::string log = logOfServer(opts, dir.path() / "users.log", [&](Server& s) {
      Conn good = createClientConn(s);
      expectAuthRequired(good);
      doAuthConnect(good, "", "alice", serverPass);
      expectAccepted(good);
      good.close();

      Conn bad = createClientConn(s);
      expectAuthRequired(bad);
      doAuthConnect(bad, "", "alice", wrongPass);
      expectRejected(bad, authViolationRe);
    });
    // With a users list the failure names the user (fact sheet §8).
    REQUIRE(log.find("Authorization Error - User \"alice\"") != std::string::npos);
    requireAbsent(log, serverPass);
    requireAbsent(log, wrongPass);
  }
}
