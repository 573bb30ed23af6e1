// Go: server/opts_test.go (gnatsd v1.0.0)
// Options from config files, flag merging, defaults; plus gnatsd's config corpus.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "server/ciphersuites.h"
#include "server/const.h"
#include "server/opts.h"

using namespace gnatsd::server;
using namespace std::chrono_literals;

namespace {

std::string configs() { return std::string(GNATSD_SOURCE_DIR) + "/test/configs"; }
// Go's tests read ./configs/ from server/: our copies of server/configs.
std::string serverConfig(const std::string& name) { return configs() + "/server/" + name; }

constexpr double tlsTimeoutSecs = 0.5;
constexpr double authTimeoutSecs = 1.0;

bool sameUsers(const std::shared_ptr<std::vector<User>>& a,
               const std::shared_ptr<std::vector<User>>& b) {
  if (!a || !b) return a == b;
  return *a == *b;
}

bool sameTLS(const std::shared_ptr<TLSConfigOpts>& a, const std::shared_ptr<TLSConfigOpts>& b) {
  if (!a || !b) return a == b;
  return *a == *b;
}

// The fields that differ, by Go name (reflect.DeepEqual over Go's fields;
// Explicit is bookkeeping, not an option).
std::vector<std::string> diffOptions(const Options& a, const Options& b) {
  std::vector<std::string> d;
  auto cmp = [&](bool same, const char* name) {
    if (!same) d.push_back(name);
  };
  cmp(a.ConfigFile == b.ConfigFile, "ConfigFile");
  cmp(a.Host == b.Host, "Host");
  cmp(a.Port == b.Port, "Port");
  cmp(a.Trace == b.Trace, "Trace");
  cmp(a.Debug == b.Debug, "Debug");
  cmp(a.NoLog == b.NoLog, "NoLog");
  cmp(a.NoSigs == b.NoSigs, "NoSigs");
  cmp(a.Logtime == b.Logtime, "Logtime");
  cmp(a.MaxConn == b.MaxConn, "MaxConn");
  cmp(sameUsers(a.Users, b.Users), "Users");
  cmp(a.Username == b.Username, "Username");
  cmp(a.Password == b.Password, "Password");
  cmp(a.Authorization == b.Authorization, "Authorization");
  cmp(a.PingInterval == b.PingInterval, "PingInterval");
  cmp(a.MaxPingsOut == b.MaxPingsOut, "MaxPingsOut");
  cmp(a.HTTPHost == b.HTTPHost, "HTTPHost");
  cmp(a.HTTPPort == b.HTTPPort, "HTTPPort");
  cmp(a.HTTPSPort == b.HTTPSPort, "HTTPSPort");
  cmp(a.AuthTimeout == b.AuthTimeout, "AuthTimeout");
  cmp(a.MaxControlLine == b.MaxControlLine, "MaxControlLine");
  cmp(a.MaxPayload == b.MaxPayload, "MaxPayload");
  cmp(a.Cluster.Host == b.Cluster.Host, "Cluster.Host");
  cmp(a.Cluster.Port == b.Cluster.Port, "Cluster.Port");
  cmp(a.Cluster.Username == b.Cluster.Username, "Cluster.Username");
  cmp(a.Cluster.Password == b.Cluster.Password, "Cluster.Password");
  cmp(a.Cluster.AuthTimeout == b.Cluster.AuthTimeout, "Cluster.AuthTimeout");
  cmp(a.Cluster.TLSTimeout == b.Cluster.TLSTimeout, "Cluster.TLSTimeout");
  cmp(sameTLS(a.Cluster.TLSConfig, b.Cluster.TLSConfig), "Cluster.TLSConfig");
  cmp(a.Cluster.ListenStr == b.Cluster.ListenStr, "Cluster.ListenStr");
  cmp(a.Cluster.NoAdvertise == b.Cluster.NoAdvertise, "Cluster.NoAdvertise");
  cmp(a.Cluster.ConnectRetries == b.Cluster.ConnectRetries, "Cluster.ConnectRetries");
  cmp(a.ProfPort == b.ProfPort, "ProfPort");
  cmp(a.PidFile == b.PidFile, "PidFile");
  cmp(a.LogFile == b.LogFile, "LogFile");
  cmp(a.Syslog == b.Syslog, "Syslog");
  cmp(a.RemoteSyslog == b.RemoteSyslog, "RemoteSyslog");
  cmp(a.Routes == b.Routes, "Routes");
  cmp(a.RoutesStr == b.RoutesStr, "RoutesStr");
  cmp(a.TLSTimeout == b.TLSTimeout, "TLSTimeout");
  cmp(a.TLS == b.TLS, "TLS");
  cmp(a.TLSVerify == b.TLSVerify, "TLSVerify");
  cmp(a.TLSCert == b.TLSCert, "TLSCert");
  cmp(a.TLSKey == b.TLSKey, "TLSKey");
  cmp(a.TLSCaCert == b.TLSCaCert, "TLSCaCert");
  cmp(sameTLS(a.TLSConfig, b.TLSConfig), "TLSConfig");
  cmp(a.WriteDeadline == b.WriteDeadline, "WriteDeadline");
  return d;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

// Go's reflect.DeepEqual(golden, got) check.
void checkSameOptions(const Options& golden, const Options& got) {
  const auto diff = diffOptions(golden, got);
  INFO("fields that differ: " << joined(diff));
  CHECK(diff.empty());
}

URL mustParse(const std::string& s) {
  auto u = ParseURL(s);
  REQUIRE(u);
  return *u;
}

// A config file in a scratch directory, removed at the end of the test.
struct tempConfig {
  std::filesystem::path dir;
  tempConfig() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "opts_test.XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~tempConfig() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write(const std::string& content, const std::string& name = "test.conf") const {
    const auto p = dir / name;
    std::ofstream(p) << content;
    return p.string();
  }
};

// The ConfigError a config text gives; "(no error)" if none.
std::string configError(const std::string& content, bool full = false) {
  tempConfig t;
  const std::string path = t.write(content);
  try {
    ProcessConfigFile(path);
  } catch (const ConfigError& e) {
    if (!full) return e.message();
    std::string what = e.what();
    // Drop the scratch directory from the position.
    return what.rfind(path, 0) == 0 ? "test.conf" + what.substr(path.size()) : what;
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("TestDefaultOptions", "[opts]") {
  Options golden;
  golden.Host = std::string(DEFAULT_HOST);
  golden.Port = DEFAULT_PORT;
  golden.MaxConn = DEFAULT_MAX_CONNECTIONS;
  golden.HTTPHost = std::string(DEFAULT_HOST);
  golden.PingInterval = DEFAULT_PING_INTERVAL;
  golden.MaxPingsOut = DEFAULT_PING_MAX_OUT;
  golden.TLSTimeout = tlsTimeoutSecs;
  golden.AuthTimeout = authTimeoutSecs;
  golden.MaxControlLine = MAX_CONTROL_LINE_SIZE;
  golden.MaxPayload = MAX_PAYLOAD_SIZE;
  golden.Cluster.Host = std::string(DEFAULT_HOST);
  golden.Cluster.AuthTimeout = authTimeoutSecs;
  golden.Cluster.TLSTimeout = tlsTimeoutSecs;
  golden.WriteDeadline = DEFAULT_FLUSH_DEADLINE;

  Options opts;
  processOptions(opts);
  checkSameOptions(golden, opts);
  CHECK(opts.MaxPending == MAX_PENDING_SIZE);  // beyond 1.0.0
}

TEST_CASE("TestOptions_RandomPort", "[opts]") {
  Options opts;
  opts.Port = RANDOM_PORT;
  processOptions(opts);
  CHECK(opts.Port == 0);
}

TEST_CASE("TestConfigFile", "[opts]") {
  Options golden;
  golden.ConfigFile = serverConfig("test.conf");
  golden.Host = "localhost";
  golden.Port = 4242;
  golden.Username = "derek";
  golden.Password = "bella";
  golden.AuthTimeout = 1.0;
  golden.Debug = false;
  golden.Trace = true;
  golden.Logtime = false;
  golden.HTTPPort = 8222;
  golden.PidFile = "/tmp/gnatsd.pid";
  golden.ProfPort = 6543;
  golden.Syslog = true;
  golden.RemoteSyslog = "udp://foo.com:33";
  golden.MaxControlLine = 2048;
  golden.MaxPayload = 65536;
  golden.MaxConn = 100;
  golden.PingInterval = 60s;
  golden.MaxPingsOut = 3;
  golden.WriteDeadline = 3s;

  Options opts = ProcessConfigFile(serverConfig("test.conf"));
  checkSameOptions(golden, opts);
}

TEST_CASE("TestTLSConfigFile", "[opts]") {
  Options golden;
  golden.ConfigFile = serverConfig("tls.conf");
  golden.Host = "localhost";
  golden.Port = 4443;
  golden.Username = "derek";
  golden.Password = "foo";
  golden.AuthTimeout = 1.0;
  golden.TLSTimeout = 2.0;

  Options opts = ProcessConfigFile(serverConfig("tls.conf"));
  auto tlsConfig = opts.TLSConfig;
  REQUIRE(tlsConfig);
  opts.TLSConfig = nullptr;
  checkSameOptions(golden, opts);
  // Cipher suites: the defaults.
  CHECK(tlsConfig->Ciphers == defaultCipherSuites());
  CHECK(tlsConfig->CertFile == "./configs/certs/server.pem");
  CHECK(tlsConfig->KeyFile == "./configs/certs/key.pem");
  CHECK(tlsConfig->Timeout == 2.0);
  // gnatsd also checks here MinVersion TLS 1.2, server cipher preference and
  // the certificate's host name: that is the TLS layer's job, which loads
  // the certificate; ProcessConfigFile only parses the block.

  // Now test adding cipher suites.
  opts = ProcessConfigFile(serverConfig("tls_ciphers.conf"));
  tlsConfig = opts.TLSConfig;
  REQUIRE(tlsConfig);
  std::vector<uint16_t> ciphers = {
      0x0005,  // TLS_RSA_WITH_RC4_128_SHA
      0x000a,  // TLS_RSA_WITH_3DES_EDE_CBC_SHA
      0x002f,  // TLS_RSA_WITH_AES_128_CBC_SHA
      0x0035,  // TLS_RSA_WITH_AES_256_CBC_SHA
      0xc007,  // TLS_ECDHE_ECDSA_WITH_RC4_128_SHA
      0xc009,  // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
      0xc00a,  // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
      0xc011,  // TLS_ECDHE_RSA_WITH_RC4_128_SHA
      0xc012,  // TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
      0xc013,  // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
      0xc014,  // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
      0xc02f,  // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
      0xc02b,  // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
  };
  CHECK(tlsConfig->Ciphers == ciphers);

  // Test an unrecognized/bad cipher
  CHECK_THROWS_AS(ProcessConfigFile(serverConfig("tls_bad_cipher.conf")), ConfigError);
  // Test an empty cipher entry in a config file.
  CHECK_THROWS_AS(ProcessConfigFile(serverConfig("tls_empty_cipher.conf")), ConfigError);

  // Test a curve preference from the config.
  std::vector<uint16_t> curves = {CurveP256};

  // test on a file that will load the curve preference defaults
  opts = ProcessConfigFile(serverConfig("tls_ciphers.conf"));
  CHECK(opts.TLSConfig->CurvePreferences == defaultCurvePreferences());

  // Test specifying a single curve preference
  opts = ProcessConfigFile(serverConfig("tls_curve_prefs.conf"));
  CHECK(opts.TLSConfig->CurvePreferences == curves);

  // Test an unrecognized/bad curve preference
  CHECK_THROWS_AS(ProcessConfigFile(serverConfig("tls_bad_curve_prefs.conf")), ConfigError);
  // Test an empty curve preference
  CHECK_THROWS_AS(ProcessConfigFile(serverConfig("tls_empty_curve_prefs.conf")), ConfigError);
}

TEST_CASE("TestMergeOverrides", "[opts]") {
  Options golden;
  golden.ConfigFile = serverConfig("test.conf");
  golden.Host = "localhost";
  golden.Port = 2222;
  golden.Username = "derek";
  golden.Password = "spooky";
  golden.AuthTimeout = 1.0;
  golden.Debug = true;
  golden.Trace = true;
  golden.Logtime = false;
  golden.HTTPPort = DEFAULT_HTTP_PORT;
  golden.PidFile = "/tmp/gnatsd.pid";
  golden.ProfPort = 6789;
  golden.Syslog = true;
  golden.RemoteSyslog = "udp://foo.com:33";
  golden.MaxControlLine = 2048;
  golden.MaxPayload = 65536;
  golden.MaxConn = 100;
  golden.PingInterval = 60s;
  golden.MaxPingsOut = 3;
  golden.Cluster.NoAdvertise = true;
  golden.Cluster.ConnectRetries = 2;
  golden.WriteDeadline = 3s;

  Options fopts = ProcessConfigFile(serverConfig("test.conf"));

  // Overrides via flags
  Options opts;
  opts.Port = 2222;
  opts.Password = "spooky";
  opts.Debug = true;
  opts.HTTPPort = DEFAULT_HTTP_PORT;
  opts.ProfPort = 6789;
  opts.Cluster.NoAdvertise = true;
  opts.Cluster.ConnectRetries = 2;
  Options merged = MergeOptions(fopts, opts);
  checkSameOptions(golden, merged);
}

TEST_CASE("TestRemoveSelfReference", "[opts]") {
  URL url1 = mustParse("nats-route://user:password@10.4.5.6:4223");
  URL url2 = mustParse("nats-route://user:password@localhost:4223");
  URL url3 = mustParse("nats-route://user:password@127.0.0.1:4223");
  std::vector<URL> routes = {url1, url2, url3};

  std::vector<URL> newroutes = RemoveSelfReference(4223, routes);
  REQUIRE(newroutes.size() == 1);
  CHECK(newroutes[0] == routes[0]);
}

TEST_CASE("TestAllowRouteWithDifferentPort", "[opts]") {
  std::vector<URL> routes = {mustParse("nats-route://user:password@127.0.0.1:4224")};
  CHECK(RemoveSelfReference(4223, routes).size() == 1);
}

TEST_CASE("TestRouteFlagOverride", "[opts]") {
  const std::string routeFlag = "nats-route://ruser:top_secret@127.0.0.1:8246";
  Options golden;
  golden.ConfigFile = serverConfig("srv_a.conf");
  golden.Host = "127.0.0.1";
  golden.Port = 7222;
  golden.Cluster.Host = "127.0.0.1";
  golden.Cluster.Port = 7244;
  golden.Cluster.Username = "ruser";
  golden.Cluster.Password = "top_secret";
  golden.Cluster.AuthTimeout = 0.5;
  golden.Routes = {mustParse(routeFlag)};
  golden.RoutesStr = routeFlag;

  Options fopts = ProcessConfigFile(serverConfig("srv_a.conf"));
  Options opts;
  opts.RoutesStr = routeFlag;
  checkSameOptions(golden, MergeOptions(fopts, opts));
}

TEST_CASE("TestClusterFlagsOverride", "[opts]") {
  // The listen string is overridden, the rest of the cluster settings still
  // come from the file: the server applies ListenStr later.
  const std::string routeFlag = "nats-route://ruser:top_secret@127.0.0.1:7246";
  Options golden;
  golden.ConfigFile = serverConfig("srv_a.conf");
  golden.Host = "127.0.0.1";
  golden.Port = 7222;
  golden.Cluster.Host = "127.0.0.1";
  golden.Cluster.Port = 7244;
  golden.Cluster.ListenStr = "nats://127.0.0.1:8224";
  golden.Cluster.Username = "ruser";
  golden.Cluster.Password = "top_secret";
  golden.Cluster.AuthTimeout = 0.5;
  golden.Routes = {mustParse(routeFlag)};

  Options fopts = ProcessConfigFile(serverConfig("srv_a.conf"));
  Options opts;
  opts.Cluster.ListenStr = "nats://127.0.0.1:8224";
  checkSameOptions(golden, MergeOptions(fopts, opts));
}

TEST_CASE("TestRouteFlagOverrideWithMultiple", "[opts]") {
  const std::string routeFlag =
      "nats-route://ruser:top_secret@127.0.0.1:8246, nats-route://ruser:top_secret@127.0.0.1:8266";
  std::vector<URL> rurls = RoutesFromStr(routeFlag);
  REQUIRE(rurls.size() == 2);
  CHECK(rurls[1].Host == "127.0.0.1:8266");

  Options golden;
  golden.ConfigFile = serverConfig("srv_a.conf");
  golden.Host = "127.0.0.1";
  golden.Port = 7222;
  golden.Cluster.Host = "127.0.0.1";
  golden.Cluster.Port = 7244;
  golden.Cluster.Username = "ruser";
  golden.Cluster.Password = "top_secret";
  golden.Cluster.AuthTimeout = 0.5;
  golden.Routes = rurls;
  golden.RoutesStr = routeFlag;

  Options fopts = ProcessConfigFile(serverConfig("srv_a.conf"));
  Options opts;
  opts.RoutesStr = routeFlag;
  checkSameOptions(golden, MergeOptions(fopts, opts));
}

TEST_CASE("TestListenConfig", "[opts]") {
  Options opts = ProcessConfigFile(serverConfig("listen.conf"));
  processOptions(opts);
  // Normal clients
  CHECK(opts.Host == "10.0.1.22");
  CHECK(opts.HTTPHost == "127.0.0.1");
  CHECK(opts.Port == 4422);
  // Clustering
  CHECK(opts.Cluster.Host == "127.0.0.1");
  CHECK(opts.Cluster.Port == 4244);
  // HTTP
  CHECK(opts.HTTPHost == "127.0.0.1");
  CHECK(opts.HTTPPort == 8422);
  // HTTPS
  CHECK(opts.HTTPSPort == 9443);
}

TEST_CASE("TestListenPortOnlyConfig", "[opts]") {
  Options opts = ProcessConfigFile(serverConfig("listen_port.conf"));
  processOptions(opts);
  CHECK(opts.Host == DEFAULT_HOST);
  CHECK(opts.HTTPHost == DEFAULT_HOST);
  CHECK(opts.Port == 8922);
}

TEST_CASE("TestListenPortWithColonConfig", "[opts]") {
  Options opts = ProcessConfigFile(serverConfig("listen_port_with_colon.conf"));
  processOptions(opts);
  CHECK(opts.Host == DEFAULT_HOST);
  CHECK(opts.HTTPHost == DEFAULT_HOST);
  CHECK(opts.Port == 8922);
}

TEST_CASE("TestListenMonitoringDefault", "[opts]") {
  Options opts;
  opts.Host = "10.0.1.22";
  processOptions(opts);
  CHECK(opts.Host == "10.0.1.22");
  CHECK(opts.HTTPHost == "10.0.1.22");
  CHECK(opts.Port == DEFAULT_PORT);
}

TEST_CASE("TestMultipleUsersConfig", "[opts]") {
  Options opts = ProcessConfigFile(serverConfig("multiple_users.conf"));
  processOptions(opts);
}

// Depends on the exact content of server/authorization.conf.
TEST_CASE("TestAuthorizationConfig", "[opts]") {
  Options opts = ProcessConfigFile(serverConfig("authorization.conf"));
  processOptions(opts);
  REQUIRE(opts.Users);
  REQUIRE(opts.Users->size() == 3);
  std::map<std::string, const User*> mu;
  for (const User& u : *opts.Users) mu[u.Username] = &u;

  // Alice
  REQUIRE(mu.count("alice"));
  const User& alice = *mu["alice"];
  REQUIRE(alice.Permissions);
  REQUIRE(alice.Permissions->Publish.size() == 1);
  CHECK(alice.Permissions->Publish[0] == "*");
  REQUIRE(alice.Permissions->Subscribe.size() == 1);
  CHECK(alice.Permissions->Subscribe[0] == ">");

  // Bob
  REQUIRE(mu.count("bob"));
  CHECK(mu["bob"]->Permissions);

  // Susan inherited the default permissions.
  REQUIRE(mu.count("susan"));
  const User& susan = *mu["susan"];
  REQUIRE(susan.Permissions);
  // Go checks Publish == nil; an empty list is the C++ form of it (and both
  // allow nothing).
  CHECK(susan.Permissions->Publish.empty());
  REQUIRE(susan.Permissions->Subscribe.size() == 1);
  CHECK(susan.Permissions->Subscribe[0] == "PUBLIC.>");
}

TEST_CASE("TestTokenWithUserPass", "[opts]") {
  const std::string err = configError(R"(
	authorization={
		user: user
		pass: password
		token: $2a$11$whatever
	})");
  CHECK(err.find("token") != std::string::npos);
  CHECK(err == "Cannot have a user/pass and token");
}

TEST_CASE("TestTokenWithUsers", "[opts]") {
  const std::string err = configError(R"(
	authorization={
		token: $2a$11$whatever
		users: [
			{user: test, password: test}
		]
	})");
  CHECK(err.find("token") != std::string::npos);
  CHECK(err == "Can not have a token and a users array");
}

TEST_CASE("TestParseWriteDeadline", "[opts]") {
  const std::string err = configError("write_deadline: \"1x\"\n");
  CHECK(err.find("parsing") != std::string::npos);
  CHECK(err == "error parsing write_deadline: time: unknown unit x in duration 1x");

  tempConfig t;
  Options opts = ProcessConfigFile(t.write("write_deadline: \"1s\"\n"));
  CHECK(opts.WriteDeadline == 1s);

  // The old integer form still works and prints a warning on stdout.
  const std::string out = (t.dir / "stdout.txt").string();
  std::fflush(stdout);
  const int saved = dup(1);
  const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(saved >= 0);
  REQUIRE(fd >= 0);
  dup2(fd, 1);
  close(fd);
  opts = ProcessConfigFile(t.write("write_deadline: 2\n"));
  std::fflush(stdout);
  dup2(saved, 1);
  close(saved);
  CHECK(opts.WriteDeadline == 2s);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  CHECK(line == "WARNING: write_deadline should be converted to a duration");
}

TEST_CASE("TestOptionsClone", "[opts]") {
  Options opts;
  opts.ConfigFile = "./configs/test.conf";
  opts.Host = "localhost";
  opts.Port = 2222;
  opts.Username = "derek";
  opts.Password = "spooky";
  opts.AuthTimeout = 1.0;
  opts.Debug = true;
  opts.Trace = true;
  opts.Logtime = false;
  opts.HTTPPort = DEFAULT_HTTP_PORT;
  opts.PidFile = "/tmp/gnatsd.pid";
  opts.ProfPort = 6789;
  opts.Syslog = true;
  opts.RemoteSyslog = "udp://foo.com:33";
  opts.MaxControlLine = 2048;
  opts.MaxPayload = 65536;
  opts.MaxConn = 100;
  opts.PingInterval = 60s;
  opts.MaxPingsOut = 3;
  opts.Cluster.NoAdvertise = true;
  opts.Cluster.ConnectRetries = 2;
  opts.WriteDeadline = 3s;
  opts.Routes = {URL{}};
  opts.Users = std::make_shared<std::vector<User>>(std::vector<User>{User{"foo", "bar", nullptr}});

  Options clone = opts.Clone();
  checkSameOptions(opts, clone);

  (*clone.Users)[0].Password = "baz";
  CHECK_FALSE(diffOptions(opts, clone).empty());
  CHECK((*opts.Users)[0].Password == "bar");
}

TEST_CASE("TestOptionsCloneNilLists", "[opts]") {
  Options opts;
  Options clone = opts.Clone();
  CHECK(clone.Routes.empty());
  CHECK(clone.Users == nullptr);
}

TEST_CASE("TestOptionsCloneNil", "[opts]") {
  // Go clones a nil *Options to nil. Options is a value here and cannot be
  // null; what remains to check is that nothing null becomes non-null.
  Options opts;
  Options clone = opts.Clone();
  CHECK(clone.TLSConfig == nullptr);
  CHECK(clone.Cluster.TLSConfig == nullptr);
  CHECK(diffOptions(opts, clone).empty());
}

TEST_CASE("TestEmptyConfig", "[opts]") {
  Options opts = ProcessConfigFile("");
  CHECK(opts.ConfigFile.empty());
}

TEST_CASE("TestMalformedListenAddress", "[opts]") {
  CHECK_THROWS_AS(ProcessConfigFile(serverConfig("malformed_listen_address.conf")), ConfigError);
}

TEST_CASE("TestMalformedClusterAddress", "[opts]") {
  CHECK_THROWS_AS(ProcessConfigFile(serverConfig("malformed_cluster_address.conf")), ConfigError);
}

// ---------------------------------------------------------------------------
// Beyond opts_test.go: gnatsd's whole config corpus, error texts, merging.

namespace {

std::shared_ptr<Permissions> perms(std::vector<std::string> pub, std::vector<std::string> sub) {
  return std::make_shared<Permissions>(Permissions{std::move(pub), std::move(sub)});
}

const User* findUser(const Options& o, const std::string& name) {
  if (!o.Users) return nullptr;
  for (const User& u : *o.Users) {
    if (u.Username == name) return &u;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("config corpus: what gnatsd derives from each file", "[opts][corpus]") {
  const std::string fooHash = "$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q";

  SECTION("server/test.conf and top-level override.conf") {
    Options o = ProcessConfigFile(configs() + "/override.conf");
    CHECK(o.Host == "127.0.0.1");
    CHECK(o.Port == 4224);
    CHECK(o.MaxPayload == 2222);
  }

  SECTION("authorization.conf: roles from an included file, a default for joe") {
    Options o = ProcessConfigFile(configs() + "/authorization.conf");
    CHECK(o.Host == "127.0.0.1");
    CHECK(o.Port == 2442);
    REQUIRE(o.Users);
    REQUIRE(o.Users->size() == 4);
    auto check = [&](const std::string& name, const std::shared_ptr<Permissions>& p) {
      INFO(name);
      const User* u = findUser(o, name);
      REQUIRE(u);
      CHECK(u->Password == fooHash);
      REQUIRE(u->Permissions);
      CHECK(*u->Permissions == *p);
    };
    check("alice", perms({">"}, {">"}));
    check("bob", perms({"req.foo", "req.bar"}, {"_INBOX.*"}));
    check("bench", perms({"a"}, {}));
    // DEFAULT_PERMISSIONS comes in by include under its own name, which
    // matches default_permissions case-insensitively.
    check("joe", perms({"SANDBOX.*"}, {"PUBLIC.>", "_INBOX.>"}));
    CHECK(o.Username.empty());
    CHECK(o.AuthTimeout == 0);
  }

  SECTION("multi_user.conf and server/multiple_users.conf") {
    Options o = ProcessConfigFile(configs() + "/multi_user.conf");
    CHECK(o.Host == "127.0.0.1");
    CHECK(o.Port == 4233);
    CHECK(o.HTTPHost == "127.0.0.1");
    CHECK(o.HTTPPort == 8233);
    REQUIRE(o.Users);
    CHECK(*o.Users == std::vector<User>{{"alice", "foo", nullptr}, {"bob", "bar", nullptr}});

    Options m = ProcessConfigFile(serverConfig("multiple_users.conf"));
    CHECK(m.Host == "localhost");
    CHECK(m.Port == 4443);
    CHECK(m.AuthTimeout == 0.5);
    REQUIRE(m.Users);
    CHECK(*m.Users == std::vector<User>{{"alice", "foo", nullptr}, {"bob", "bar", nullptr}});
  }

  SECTION("cluster.conf (test/) and server/cluster.conf") {
    Options o = ProcessConfigFile(configs() + "/cluster.conf");
    CHECK(o.Host == "127.0.0.1");
    CHECK(o.Port == 4242);
    CHECK(o.Cluster.Host == "127.0.0.1");
    CHECK(o.Cluster.Port == 4244);
    CHECK(o.Cluster.Username == "route_user");
    CHECK(o.Cluster.Password == "top_secret");
    CHECK(o.Cluster.AuthTimeout == 0.5);
    REQUIRE(o.Routes.size() == 2);
    CHECK(o.Routes[0].Scheme == "nats-route");
    CHECK(o.Routes[0].User == "foo");
    CHECK(o.Routes[0].Password == "bar");
    CHECK(o.Routes[0].Host == "127.0.0.1:4245");
    CHECK(o.Routes[1].String() == "nats-route://foo:bar@127.0.0.1:4246");

    Options s = ProcessConfigFile(serverConfig("cluster.conf"));
    CHECK(s.Host == "localhost");
    CHECK(s.Port == 4242);
    CHECK(s.Username == "derek");
    CHECK(s.Password == "bella");
    CHECK(s.AuthTimeout == 1.0);
    CHECK(s.PidFile == "/tmp/nats_cluster_test.pid");
    CHECK(s.Cluster.Host == "127.0.0.1");
    CHECK(s.Cluster.Port == 4244);
    CHECK(s.Cluster.Username == "route_user");
    CHECK(s.Cluster.AuthTimeout == 1.0);
    CHECK(s.Cluster.NoAdvertise);
    CHECK(s.Cluster.ConnectRetries == 2);
    REQUIRE(s.Routes.size() == 2);
    CHECK(s.Routes[0].Hostname() == "localhost");
    CHECK(s.Routes[0].Port() == "4245");
  }

  SECTION("srv_a.conf, srv_b.conf and the bcrypt variants") {
    Options a = ProcessConfigFile(configs() + "/srv_a.conf");
    CHECK(a.Port == 4222);
    CHECK(a.Cluster.Port == 4244);
    REQUIRE(a.Routes.size() == 1);
    CHECK(a.Routes[0].String() == "nats-route://ruser:top_secret@127.0.0.1:4246");
    Options b = ProcessConfigFile(configs() + "/srv_b.conf");
    CHECK(b.Port == 4224);
    CHECK(b.Cluster.Port == 4246);
    Options ab = ProcessConfigFile(serverConfig("srv_a_bcrypt.conf"));
    CHECK(ab.Username == "user");
    CHECK(ab.AuthTimeout == 2.0);
    CHECK(ab.Cluster.Password == "$2a$10$LoRPzN3GtF2pNX5QgCBBHeUr6/zVN./RVGOu5U8SpHyg2sfzvfXji");
    CHECK(ab.Cluster.AuthTimeout == 5.0);
    CHECK(ab.Routes.empty());
  }

  SECTION("tls.conf, tlsverify.conf, tls_curve_pref.conf (test/)") {
    Options t = ProcessConfigFile(configs() + "/tls.conf");
    CHECK(t.Host == "localhost");
    CHECK(t.Port == 4443);
    CHECK(t.HTTPSPort == 11522);
    CHECK(t.HTTPHost.empty());
    CHECK(t.TLSTimeout == 2.0);
    CHECK(t.Username == "derek");
    CHECK(t.Password == "boo");
    REQUIRE(t.TLSConfig);
    CHECK(t.TLSConfig->CertFile == "./configs/certs/server-cert.pem");
    CHECK(t.TLSConfig->KeyFile == "./configs/certs/server-key.pem");
    CHECK(t.TLSConfig->CaFile.empty());
    CHECK_FALSE(t.TLSConfig->Verify);
    CHECK(t.TLSConfig->Ciphers == defaultCipherSuites());
    CHECK(t.TLSConfig->CurvePreferences == defaultCurvePreferences());
    CHECK_FALSE(t.TLS);  // the config block does not set the flag fields

    Options v = ProcessConfigFile(configs() + "/tlsverify.conf");
    REQUIRE(v.TLSConfig);
    CHECK(v.TLSConfig->Verify);
    CHECK(v.TLSConfig->CaFile == "./configs/certs/ca.pem");

    Options c = ProcessConfigFile(configs() + "/tls_curve_pref.conf");
    REQUIRE(c.TLSConfig);
    CHECK(c.TLSConfig->CurvePreferences == std::vector<uint16_t>{CurveP256});
  }

  SECTION("srv_a_tls.conf: cluster TLS always verifies") {
    Options o = ProcessConfigFile(configs() + "/srv_a_tls.conf");
    CHECK(o.TLSConfig == nullptr);
    REQUIRE(o.Cluster.TLSConfig);
    CHECK(o.Cluster.TLSConfig->Verify);
    CHECK(o.Cluster.TLSConfig->CaFile == "./configs/certs/ca.pem");
    CHECK(o.Cluster.TLSTimeout == 2.0);
    REQUIRE(o.Routes.size() == 1);
    CHECK(o.Routes[0].String() == "nats-route://127.0.0.1:4246");
  }

  SECTION("seed.conf and reload/*: ports, random ports") {
    Options s = ProcessConfigFile(configs() + "/seed.conf");
    CHECK(s.HTTPPort == 8222);
    CHECK(s.Cluster.Port == 4248);
    Options r = ProcessConfigFile(serverConfig("reload/authorization_1.conf"));
    CHECK(r.Host == "localhost");
    CHECK(r.Port == RANDOM_PORT);
    processOptions(r);
    CHECK(r.Port == 0);
    REQUIRE(r.Users);
    CHECK(findUser(r, "alice")->Permissions->Publish == std::vector<std::string>{">"});
    Options tok = ProcessConfigFile(serverConfig("reload/token_authentication_1.conf"));
    CHECK(tok.Authorization == "T0pS3cr3t");
    Options t = ProcessConfigFile(serverConfig("reload/test.conf"));
    CHECK(t.Cluster.Host == "localhost");
    CHECK(t.Cluster.Port == RANDOM_PORT);
    CHECK(t.Explicit.count("Logtime"));
  }

  SECTION("malformed_*.conf fail in the config language") {
    try {
      ProcessConfigFile(serverConfig("malformed_listen_address.conf"));
      FAIL("no error");
    } catch (const ConfigError& e) {
      CHECK(e.position().line == 4);
      CHECK(e.position().col == 19);
      CHECK(e.message() ==
            "Parse error on line 4: 'Expected a top-level value to end with a new line, comment "
            "or EOF, but got 'f' instead.'");
    }
    try {
      ProcessConfigFile(serverConfig("malformed_cluster_address.conf"));
      FAIL("no error");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()) ==
            serverConfig("malformed_cluster_address.conf") +
                ":5:21: Parse error on line 5: 'Expected a map value terminator ',' or a map "
                "terminator '}', but got 'f' instead.'");
    }
  }
}

TEST_CASE("config corpus: every file goes through ProcessConfigFile", "[opts][corpus]") {
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(configs())) {
    if (e.path().extension() != ".conf") continue;
    const std::string rel = std::filesystem::relative(e.path(), configs()).string();
    INFO(rel);
    ++n;
    const bool broken = rel == "server/malformed_listen_address.conf" ||
                        rel == "server/malformed_cluster_address.conf" ||
                        rel == "server/reload/invalid.conf" ||
                        rel == "server/reload/reload.conf" ||  // needs a platform.conf
                        rel == "server/tls_missing_cert.conf" ||  // ours: a cert file that is not there
                        rel == "server/tls_bad_cipher.conf" ||
                        rel == "server/tls_bad_curve_prefs.conf" ||
                        rel == "server/tls_empty_cipher.conf" ||
                        rel == "server/tls_empty_curve_prefs.conf";
    if (broken) {
      CHECK_THROWS_AS(ProcessConfigFile(e.path().string()), ConfigError);
    } else {
      CHECK_NOTHROW(ProcessConfigFile(e.path().string()));
    }
  }
  CHECK(n >= 60);
}

TEST_CASE("config errors: gnatsd's texts, ours where gnatsd panics", "[opts][errors]") {
  struct badConfig {
    std::string config;
    std::string error;
  };
  const std::vector<badConfig> cases = {
      {R"(listen: 10.0.1.22)", R"(test.conf:1:1: Could not parse address string "10.0.1.22")"},
      {R"(listen: "10.0.1.22:foo")", R"(test.conf:1:1: Could not parse port "foo")"},
      {R"(listen: "[::1")", R"(test.conf:1:1: Could not parse address string "[::1")"},
      {R"(listen: "a:b:c")", R"(test.conf:1:1: Could not parse address string "a:b:c")"},
      {R"(listen: true)", R"(test.conf:1:1: Expected 'listen' to be a "host:port" string or a port number, got boolean true)"},
      {R"(http: "localhost")", R"(test.conf:1:1: Could not parse address string "localhost")"},
      {R"(cluster { listen: "127.0.0.1" })", R"(test.conf:1:11: Could not parse address string "127.0.0.1")"},
      {R"(port: "4222")", R"(test.conf:1:1: Expected 'port' to be an integer, got string "4222")"},
      {R"(port: 99999999999)", R"(test.conf:1:1: Value of 'port' is out of range: 99999999999 (must be between -1 and 65535))"},
      {R"(host: 42)", R"(test.conf:1:1: Expected 'host' to be a string, got integer 42)"},
      {R"(debug: "yes")", R"(test.conf:1:1: Expected 'debug' to be a boolean, got string "yes")"},
      {R"(max_payload: 1.5)", R"(test.conf:1:1: Expected 'max_payload' to be an integer, got float 1.5)"},
      {R"(ping_interval: "2m")", R"(test.conf:1:1: Expected 'ping_interval' to be an integer, got string "2m")"},
      {R"(ping_interval: 9999999999999)", R"(test.conf:1:1: Value of 'ping_interval' is out of range: 9999999999999 (must be between 0 and 9223372036))"},
      {R"(authorization: "x")", R"(test.conf:1:1: Expected 'authorization' to be a map, got string "x")"},
      {R"(authorization { user: derek, pass: x, token: y })", R"(test.conf:1:1: Cannot have a user/pass and token)"},
      {R"(authorization { user: derek, pass: x, users: [{user: a, password: b}] })", R"(test.conf:1:1: Can not have a single user/pass and a users array)"},
      {R"(authorization { token: t, users: [{user: a, password: b}] })", R"(test.conf:1:1: Can not have a token and a users array)"},
      {R"(authorization { users: "alice" })", R"(test.conf:1:17: Expected users field to be an array, got alice)"},
      {R"(authorization { users: [ "alice" ] })", R"(test.conf:1:26: Expected user entry to be a map/struct, got alice)"},
      {R"(authorization { users: [ {user: alice} ] })", R"(test.conf:1:26: User entry requires a user and a password)"},
      {R"(authorization { users: [ {user: alice, password: x, permissions: "all"} ] })", R"(test.conf:1:53: Expected user permissions to be a map/struct, got all)"},
      {R"(authorization { users: [ {user: alice, password: x, permissions: {publish: "foo."}} ] })", R"(test.conf:1:67: Subject "foo." is not a valid subject)"},
      {R"(authorization { users: [ {user: alice, password: x, permissions: {pub: "a.>.b"}} ] })", R"(test.conf:1:67: Subject "a.>.b" is not a valid subject)"},
      {R"(authorization { users: [ {user: alice, password: x, permissions: {publish: ["a", 1]}} ] })", R"(test.conf:1:67: Subject in permissions array cannot be cast to string)"},
      {R"(authorization { users: [ {user: alice, password: x, permissions: {publish: 1}} ] })", R"(test.conf:1:67: Expected subject permissions to be a subject, or array of subjects, got int64)"},
      {R"(authorization { users: [ {user: alice, password: x, permissions: {admin: "a"}} ] })", R"(test.conf:1:67: Unknown field admin parsing permissions)"},
      {R"(authorization { default_permissions: 1, users: [] })", R"(test.conf:1:17: Expected default permissions to be a map/struct, got 1)"},
      {R"(authorization { user: 42 })", R"(test.conf:1:17: Expected 'user' to be a string, got integer 42)"},
      {R"(cluster { authorization { users: [ {user: a, password: b} ] } })", R"(test.conf:1:11: Cluster authorization does not allow multiple users)"},
      {R"(cluster { routes: "nats://a:1" })", R"(test.conf:1:11: Expected 'routes' to be an array, got string "nats://a:1")"},
      {R"(cluster { routes: [ "nats://a:xx" ] })", R"(test.conf:1:21: error parsing route url ["nats://a:xx"])"},
      {R"(cluster { routes: [ 1 ] })", R"(test.conf:1:21: Expected 'routes[0]' to be a string, got integer 1)"},
      {R"(cluster: 1)", R"(test.conf:1:1: Expected 'cluster' to be a map, got integer 1)"},
      {R"(tls { cert_file: 1 })", R"(test.conf:1:7: error parsing tls config, expected 'cert_file' to be filename)"},
      {R"(tls { key_file: true })", R"(test.conf:1:7: error parsing tls config, expected 'key_file' to be filename)"},
      {R"(tls { ca_file: [] })", R"(test.conf:1:7: error parsing tls config, expected 'ca_file' to be filename)"},
      {R"(tls { verify: "yes" })", R"(test.conf:1:7: error parsing tls config, expected 'verify' to be a boolean)"},
      {R"(tls { cipher_suites: [] })", R"(test.conf:1:7: error parsing tls config, 'cipher_suites' cannot be empty)"},
      {R"(tls { cipher_suites: ["BAD_CIPHER_SPEC"] })", R"(test.conf:1:23: Unrecognized cipher BAD_CIPHER_SPEC)"},
      {R"(tls { cipher_suites: "TLS_RSA_WITH_RC4_128_SHA" })", R"(test.conf:1:7: Expected 'cipher_suites' to be an array, got string "TLS_RSA_WITH_RC4_128_SHA")"},
      {R"(tls { curve_preferences: [] })", R"(test.conf:1:7: error parsing tls config, 'curve_preferences' cannot be empty)"},
      {R"(tls { curve_preferences: ["GARBAGE"] })", R"(test.conf:1:27: Unrecognized curve preference GARBAGE)"},
      {R"(tls { ciphers: [] })", R"(test.conf:1:7: error parsing tls config, unknown field ["ciphers"])"},
      {R"(cluster { tls { foo: 1 } })", R"(test.conf:1:17: error parsing tls config, unknown field ["foo"])"},
      {R"(write_deadline: "1x")", R"(test.conf:1:1: error parsing write_deadline: time: unknown unit x in duration 1x)"},
      {R"(write_deadline: "")", R"(test.conf:1:1: error parsing write_deadline: time: invalid duration )"},
      {R"(write_deadline: "10")", R"(test.conf:1:1: error parsing write_deadline: time: missing unit in duration 10)"},
      {R"(write_deadline: true)", R"(test.conf:1:1: Expected 'write_deadline' to be a duration string or an integer, got boolean true)"},
      {R"(no_such_key: 1
port: x)", R"(test.conf:2:1: Expected 'port' to be an integer, got string "x")"},
  };
  for (const auto& c : cases) {
    INFO(c.config);
    CHECK(configError(c.config, true) == c.error);
  }
  CHECK(configError("tls { cipher_suites: [\"TLS_RSA_WITH_RC4_128_SHA\", 7] }", true) ==
        "test.conf:1:51: Expected 'cipher_suites[1]' to be a string, got integer 7");
}

TEST_CASE("config values out of range name the key, the value and the range", "[opts][errors][range]") {
  // gnatsd 1.0.0 checks no range: a bad port fails later at listen time,
  // 99999 wrapped to 34463 here, and negative counts or durations were
  // taken (docs/DEVIATIONS.md).
  struct badValue {
    std::string config;
    std::string error;
  };
  const std::string port = " (must be between -1 and 65535)";
  const std::string count = " (must be between 0 and 2147483647)";
  const std::string secs = " (must be between 0 and 9223372036)";
  const std::vector<badValue> cases = {
      {"port: 99999", "test.conf:1:1: Value of 'port' is out of range: 99999" + port},
      {"port: 65536", "test.conf:1:1: Value of 'port' is out of range: 65536" + port},
      {"port: -7", "test.conf:1:1: Value of 'port' is out of range: -7" + port},
      {"PORT = -2", "test.conf:1:1: Value of 'PORT' is out of range: -2" + port},
      {"listen: 70000", "test.conf:1:1: Value of 'listen' is out of range: 70000" + port},
      {"listen: \"127.0.0.1:70000\"", "test.conf:1:1: Value of 'listen' is out of range: 70000" + port},
      {"listen: \"[::1]:-2\"", "test.conf:1:1: Value of 'listen' is out of range: -2" + port},
      {"http_port: 65536", "test.conf:1:1: Value of 'http_port' is out of range: 65536" + port},
      {"monitor_port: -2", "test.conf:1:1: Value of 'monitor_port' is out of range: -2" + port},
      {"https_port: 100000", "test.conf:1:1: Value of 'https_port' is out of range: 100000" + port},
      {"http: \"localhost:99999\"", "test.conf:1:1: Value of 'http' is out of range: 99999" + port},
      {"https: -5", "test.conf:1:1: Value of 'https' is out of range: -5" + port},
      {"prof_port: 70000", "test.conf:1:1: Value of 'prof_port' is out of range: 70000" + port},
      {"cluster {\n  port: 70000\n}", "test.conf:2:3: Value of 'port' is out of range: 70000" + port},
      {"cluster { listen: \"0.0.0.0:-9\" }", "test.conf:1:11: Value of 'listen' is out of range: -9" + port},
      {"max_payload: -1", "test.conf:1:1: Value of 'max_payload' is out of range: -1" + count},
      {"max_payload: 3000000000", "test.conf:1:1: Value of 'max_payload' is out of range: 3000000000" + count},
      {"max_control_line: -1", "test.conf:1:1: Value of 'max_control_line' is out of range: -1" + count},
      {"max_connections: -1", "test.conf:1:1: Value of 'max_connections' is out of range: -1" + count},
      {"max_conn: -5", "test.conf:1:1: Value of 'max_conn' is out of range: -5" + count},
      {"ping_max: -1", "test.conf:1:1: Value of 'ping_max' is out of range: -1" + count},
      {"ping_interval: -5", "test.conf:1:1: Value of 'ping_interval' is out of range: -5" + secs},
      {"write_deadline: \"-1s\"", "test.conf:1:1: Value of 'write_deadline' is out of range: -1s (must be 0 or more)"},
      {"write_deadline: -3", "test.conf:1:1: Value of 'write_deadline' is out of range: -3" + secs},
      {"max_pending: -1", "test.conf:1:1: Value of 'max_pending' is out of range: -1 (must be 0 or more)"},
      {"authorization {\n  user: a\n  password: b\n  timeout: -1\n}",
       "test.conf:4:3: Value of 'timeout' is out of range: -1" + secs},
      {"authorization { timeout: -0.5 }", "test.conf:1:17: Value of 'timeout' is out of range: -0.5" + secs},
      // Floats print as Go's %v prints them.
      {"authorization { timeout: 99999999999.5 }",
       "test.conf:1:17: Value of 'timeout' is out of range: 9.99999999995e+10" + secs},
      {"cluster { authorization { user: a, password: b, timeout: -2 } }",
       "test.conf:1:49: Value of 'timeout' is out of range: -2" + secs},
      {"tls { timeout: -1 }", "test.conf:1:7: Value of 'timeout' is out of range: -1" + secs},
      {"cluster { tls { timeout: -0.25 } }", "test.conf:1:17: Value of 'timeout' is out of range: -0.25" + secs},
  };
  for (const auto& c : cases) {
    INFO(c.config);
    CHECK(configError(c.config, true) == c.error);
  }
}

TEST_CASE("special numeric values keep gnatsd's meanings", "[opts][range]") {
  tempConfig t;
  auto load = [&](const std::string& text) { return ProcessConfigFile(t.write(text)); };
  // processOptions as Server::New runs it.
  auto processed = [&](const std::string& text) {
    Options o = load(text);
    processOptions(o);
    return o;
  };

  // Ports: 0 is the default (4222), -1 a random port, 65535 the last one.
  CHECK(processed("port: 0\n").Port == DEFAULT_PORT);
  CHECK(load("port: -1\n").Port == RANDOM_PORT);
  CHECK(processed("port: -1\n").Port == 0);  // the OS picks at listen time
  CHECK(load("port: 65535\n").Port == 65535);
  CHECK(load("listen: \"127.0.0.1:-1\"\n").Port == RANDOM_PORT);
  CHECK(load("listen: \"127.0.0.1:+5\"\n").Port == 5);  // Go's Atoi takes a sign
  // Monitoring, profiling and cluster ports: 0 off, -1 random.
  CHECK(load("http_port: -1\n").HTTPPort == -1);
  CHECK(load("https: \"127.0.0.1:-1\"\n").HTTPSPort == -1);
  CHECK(load("prof_port: -1\n").ProfPort == -1);
  CHECK(load("cluster { port: -1 }\n").Cluster.Port == -1);
  CHECK(load("http_port: 0\n").HTTPPort == 0);

  // Counts, sizes and durations: 0 means the default.
  Options d = processed(
      "max_connections: 0\nmax_payload: 0\nmax_control_line: 0\nping_interval: 0\nping_max: 0\n"
      "write_deadline: \"0s\"\nmax_pending: 0\nauthorization { user: a, password: b, timeout: 0 }\n");
  CHECK(d.MaxConn == DEFAULT_MAX_CONNECTIONS);
  CHECK(d.MaxPayload == MAX_PAYLOAD_SIZE);
  CHECK(d.MaxControlLine == MAX_CONTROL_LINE_SIZE);
  CHECK(d.PingInterval == DEFAULT_PING_INTERVAL);
  CHECK(d.MaxPingsOut == DEFAULT_PING_MAX_OUT);
  CHECK(d.WriteDeadline == DEFAULT_FLUSH_DEADLINE);
  CHECK(d.MaxPending == MAX_PENDING_SIZE);
  CHECK(d.AuthTimeout == authTimeoutSecs);

  // The largest values still accepted.
  Options big = load(
      "max_payload: 2147483647\nmax_connections: 2147483647\nping_interval: 9223372036\n"
      "max_pending: 9223372036854775807\n");
  CHECK(big.MaxPayload == 2147483647);
  CHECK(big.MaxConn == 2147483647);
  CHECK(big.PingInterval == std::chrono::seconds(9223372036));
  CHECK(big.MaxPending == INT64_MAX);

  // gnatsd retries implicit routes only when connect_retries is above 0, so
  // a negative count is taken as it is.
  CHECK(load("cluster { connect_retries: -1 }\n").Cluster.ConnectRetries == -1);
  // A timeout of another type keeps gnatsd's fallback: 1s for authorization,
  // 0 (then the default) for tls.
  CHECK(load("authorization { timeout: \"x\" }\n").AuthTimeout == 1.0);
  CHECK(load("tls { cert_file: \"./configs/certs/server-cert.pem\", key_file: \"./configs/certs/server-key.pem\", "
             "timeout: \"x\" }\n")
            .TLSTimeout == 0.0);
  CHECK(load("authorization { timeout: 0.5 }\n").AuthTimeout == 0.5);
}

TEST_CASE("validateOptions holds an embedder's Options to the same ranges", "[opts][range]") {
  auto error = [](const std::function<void(Options&)>& set) -> std::string {
    Options o;
    set(o);
    try {
      processOptions(o);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(error([](Options&) {}) == "(no error)");
  CHECK(error([](Options& o) { o.Port = -1; }) == "(no error)");
  CHECK(error([](Options& o) { o.Port = 99999; }) ==
        "Value of Options.Port is out of range: 99999 (must be between -1 and 65535)");
  CHECK(error([](Options& o) { o.Cluster.Port = -2; }) ==
        "Value of Options.Cluster.Port is out of range: -2 (must be between -1 and 65535)");
  CHECK(error([](Options& o) { o.HTTPPort = 65536; }) ==
        "Value of Options.HTTPPort is out of range: 65536 (must be between -1 and 65535)");
  CHECK(error([](Options& o) { o.MaxConn = -1; }) ==
        "Value of Options.MaxConn is out of range: -1 (must be between 0 and 2147483647)");
  CHECK(error([](Options& o) { o.MaxPayload = -1; }) ==
        "Value of Options.MaxPayload is out of range: -1 (must be between 0 and 2147483647)");
  CHECK(error([](Options& o) { o.PingInterval = -1s; }) ==
        "Value of Options.PingInterval is out of range: -1000000000 (must be 0 or more)");
  CHECK(error([](Options& o) { o.WriteDeadline = -1ns; }) ==
        "Value of Options.WriteDeadline is out of range: -1 (must be 0 or more)");
  CHECK(error([](Options& o) { o.MaxPending = -1; }) ==
        "Value of Options.MaxPending is out of range: -1 (must be 0 or more)");
  CHECK(error([](Options& o) { o.AuthTimeout = -0.5; }) ==
        "Value of Options.AuthTimeout is out of range: -0.5 (must be between 0 and 9223372036)");
  CHECK(error([](Options& o) { o.AuthTimeout = std::nan(""); }) ==
        "Value of Options.AuthTimeout is out of range: nan (must be between 0 and 9223372036)");
}

TEST_CASE("unknown keys are ignored at the top, in cluster and in authorization", "[opts]") {
  tempConfig t;
  Options o = ProcessConfigFile(t.write(R"(
    PORT_VAR = 4555
    port: $PORT_VAR
    client_advertise: "x"
    cluster { port: 6222, cluster_advertise: "y" }
    authorization { user: a, password: b, realm: "z" }
    LISTEN: "h:1"
  )"));
  // Keys match in any case. listen and port both set the port: gnatsd's
  // winner depends on Go's random map order, ours on the keys' byte order
  // ("LISTEN" < "port"), so port wins.
  CHECK(o.Host == "h");
  CHECK(o.Port == 4555);
  CHECK(o.Cluster.Port == 6222);
  CHECK(o.Username == "a");
}

TEST_CASE("MergeOptions keeps the flags gnatsd drops", "[opts][merge]") {
  tempConfig t;
  Options file = ProcessConfigFile(t.write("logtime: false\ndebug: true\nsyslog: false\n"));

  SECTION("-T's default does not beat logtime: false; a typed -T does") {
    Options flags;
    flags.Logtime = true;  // the flag's default
    CHECK_FALSE(MergeOptions(file, flags).Logtime);
    flags.Explicit.insert("Logtime");
    CHECK(MergeOptions(file, flags).Logtime);
    // Without logtime in the file the default applies, as in gnatsd.
    Options bare = ProcessConfigFile(t.write("port: 1\n", "bare.conf"));
    flags.Explicit.clear();
    CHECK(MergeOptions(bare, flags).Logtime);
  }
  SECTION("a typed -D=false turns debug off") {
    Options flags;
    CHECK(MergeOptions(file, flags).Debug);
    flags.Explicit.insert("Debug");
    CHECK_FALSE(MergeOptions(file, flags).Debug);
  }
  SECTION("-ms, -s, -r and the TLS flags") {
    Options flags;
    flags.HTTPSPort = 8443;
    flags.Syslog = true;
    flags.RemoteSyslog = "udp://localhost:514";
    flags.TLS = true;
    flags.TLSVerify = true;
    flags.TLSCert = "cert.pem";
    flags.TLSKey = "key.pem";
    flags.TLSCaCert = "ca.pem";
    Options m = MergeOptions(file, flags);
    CHECK(m.HTTPSPort == 8443);
    CHECK(m.Syslog);
    CHECK(m.RemoteSyslog == "udp://localhost:514");
    CHECK(m.TLS);
    CHECK(m.TLSVerify);
    CHECK(m.TLSCert == "cert.pem");
    CHECK(m.TLSKey == "key.pem");
    CHECK(m.TLSCaCert == "ca.pem");
  }
}

TEST_CASE("URLs parse as Go's net/url does for route URLs", "[opts][url]") {
  URL u = mustParse("nats-route://us%40er:p%3Ass@[::1]:4222/path");
  CHECK(u.Scheme == "nats-route");
  CHECK(u.User == "us@er");
  CHECK(u.Password == "p:ss");
  CHECK(u.Host == "[::1]:4222");
  CHECK(u.Hostname() == "::1");
  CHECK(u.Port() == "4222");
  CHECK(u.Path == "/path");
  CHECK(u.String() == "nats-route://us%40er:p%3Ass@[::1]:4222/path");
  CHECK(mustParse("NATS://h:1").Scheme == "nats");
  CHECK(mustParse("nats://user@h:1").HasUser);
  CHECK_FALSE(mustParse("nats://user@h:1").HasPassword);
  CHECK(mustParse("localhost:4222").Opaque == "4222");

  std::string err;
  CHECK_FALSE(ParseURL("nats://h:port", &err));
  CHECK(err == "parse nats://h:port: invalid port \":port\" after host");
  CHECK_FALSE(ParseURL("127.0.0.1:4222", &err));
  CHECK(err == "parse 127.0.0.1:4222: first path segment in URL cannot contain colon");
  CHECK_FALSE(ParseURL(":4222", &err));
  CHECK(err == "parse :4222: missing protocol scheme");
  CHECK_FALSE(ParseURL("nats://h%zz:1", &err));

  // RoutesFromStr skips what does not parse (gnatsd keeps a nil entry).
  auto routes = RoutesFromStr(" nats://a:1 ,nats://b:port, nats://c:3");
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].Host == "a:1");
  CHECK(routes[1].Host == "c:3");
}

TEST_CASE("RemoveSelfReference errors", "[opts]") {
  CHECK_THROWS_WITH(RemoveSelfReference(4222, {mustParse("nats://127.0.0.1")}),
                    "address 127.0.0.1: missing port in address");
  // An empty host fails to resolve without asking DNS (no network needed).
  CHECK_THROWS_WITH(RemoveSelfReference(4222, {mustParse("nats://:4222")}),
                    "Error looking up host with route hostname: lookup : no such host");
  // IPv6 loopback is local too.
  CHECK(RemoveSelfReference(4222, {mustParse("nats://[::1]:4222")}).empty());
}

TEST_CASE("conf/samples parse into the options they describe", "[opts][samples]") {
  const std::string dir = std::string(GNATSD_SOURCE_DIR) + "/conf/samples/";
  Options single = ProcessConfigFile(dir + "single.conf");
  CHECK(single.Port == 4222);
  CHECK(single.HTTPHost == "127.0.0.1");
  CHECK(single.HTTPPort == 8222);
  CHECK(single.MaxConn == 10000);
  CHECK(single.MaxControlLine == 1024);
  CHECK(single.MaxPayload == 1048576);
  CHECK(single.WriteDeadline == 2s);
  CHECK(single.Logtime);

  Options secured = ProcessConfigFile(dir + "secured.conf");
  REQUIRE(secured.Users);
  REQUIRE(secured.Users->size() == 4);
  const User* admin = findUser(secured, "admin");
  REQUIRE(admin);
  CHECK(admin->Password.rfind("$2a$11$", 0) == 0);
  CHECK(*admin->Permissions == *perms({">"}, {">"}));
  CHECK(*findUser(secured, "visitor")->Permissions == *perms({}, {"public.>"}));
  CHECK(secured.AuthTimeout == 2.0);

  for (const char* n : {"a", "b", "c"}) {
    INFO(n);
    Options c = ProcessConfigFile(dir + "cluster-" + n + ".conf");
    CHECK(c.Host == "127.0.0.1");
    CHECK(c.Cluster.Port == 6222 + (n[0] - 'a'));
    CHECK(c.Cluster.Username == "route_user");
    REQUIRE(c.Routes.size() == 2);
    for (const URL& r : c.Routes) {
      CHECK(r.Port() != std::to_string(c.Cluster.Port));
      CHECK(r.Password == "route_pass");
    }
  }
}
