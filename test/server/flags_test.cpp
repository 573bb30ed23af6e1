// Go: main.go (gnatsd v1.0.0 has no test for it; these pin its behaviour)
// Flags, Go's flag syntax, and how flags combine with a config file.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "server/flags.h"

using namespace gnatsd::server;
using Action = CommandLine::Action;

namespace {
std::string writeConf(const std::string& body) {
  char path[] = "/tmp/gnatsd-flags-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << body;
  return path;
}
}  // namespace

TEST_CASE("TestFlagsGoSyntax", "[flags]") {
  // One dash or two, "-x v" or "-x=v".
  CHECK(ConfigureOptions({"-p", "4333"}).opts.Port == 4333);
  CHECK(ConfigureOptions({"--port", "4333"}).opts.Port == 4333);
  CHECK(ConfigureOptions({"-port=4333"}).opts.Port == 4333);
  CHECK(ConfigureOptions({"--p=4333"}).opts.Port == 4333);
  CHECK(ConfigureOptions({"-p", "-1"}).opts.Port == -1);
  CHECK(ConfigureOptions({"-user", "derek", "--pass", "s3cr3t"}).opts.Username == "derek");
  CHECK(ConfigureOptions({"-a", "127.0.0.1"}).opts.Host == "127.0.0.1");
  CHECK(ConfigureOptions({"-net", "127.0.0.2"}).opts.Host == "127.0.0.2");
  // -DV is a flag of its own.
  auto dv = ConfigureOptions({"-DV"}).opts;
  CHECK((dv.Debug && dv.Trace));
  // -T defaults to true and takes =false.
  CHECK(ConfigureOptions({}).opts.Logtime);
  CHECK_FALSE(ConfigureOptions({"-T=false"}).opts.Logtime);
  CHECK_FALSE(ConfigureOptions({"--logtime=0"}).opts.Logtime);
}

TEST_CASE("TestFlagsCommands", "[flags]") {
  CHECK(ConfigureOptions({"-v"}).action == Action::ShowVersion);
  CHECK(ConfigureOptions({"--version"}).action == Action::ShowVersion);
  CHECK(ConfigureOptions({"version"}).action == Action::ShowVersion);
  CHECK(ConfigureOptions({"VERSION"}).action == Action::ShowVersion);
  CHECK(ConfigureOptions({"help"}).action == Action::ShowHelp);
  CHECK(ConfigureOptions({"-h"}).action == Action::ShowHelp);
  CHECK(ConfigureOptions({"--help"}).action == Action::ShowHelp);
  CHECK(ConfigureOptions({"--help_tls"}).action == Action::ShowTLSHelp);
  auto sig = ConfigureOptions({"-sl", "reload=1234"});
  CHECK(sig.action == Action::Signal);
  CHECK(sig.signalCommand == "reload");
  CHECK(sig.signalPid == "1234");
  auto sig2 = ConfigureOptions({"--signal", "stop"});
  CHECK(sig2.signalCommand == "stop");
  CHECK(sig2.signalPid.empty());
}

TEST_CASE("TestFlagsBadInput", "[flags]") {
  CHECK_THROWS_WITH(ConfigureOptions({"-x"}), "flag provided but not defined: -x");
  CHECK_THROWS_WITH(ConfigureOptions({"--bogus=1"}), "flag provided but not defined: -bogus");
  CHECK_THROWS_WITH(ConfigureOptions({"-p", "abc"}), "invalid value \"abc\" for flag -p: parse error");
  CHECK_THROWS_WITH(ConfigureOptions({"-p", "70000"}),
                    "invalid value \"70000\" for flag -p: port must be between -1 (random) and 65535");
  CHECK_THROWS_WITH(ConfigureOptions({"-p"}), "flag needs an argument: -p");
  CHECK_THROWS_WITH(ConfigureOptions({"-T=maybe"}), "invalid boolean value \"maybe\" for -T: parse error");
  CHECK_THROWS_WITH(ConfigureOptions({"foo"}), "Unrecognized command: \"foo\"");
  // Go: a boolean never takes the next word; "true" becomes a stray command.
  CHECK_THROWS_WITH(ConfigureOptions({"--no_advertise", "true"}), "Unrecognized command: \"true\"");
  CHECK_THROWS_AS(ConfigureOptions({"-x"}), FlagError);
  CHECK_THROWS_WITH(ConfigureOptions({"-c", "/nonexistent/gnatsd.conf"}),
                    Catch::Contains("error opening config file") && Catch::Contains("/nonexistent/gnatsd.conf"));
}

TEST_CASE("TestFlagsPortRange", "[flags][range]") {
  // The same range as a config file: -1 (random), 0 (default or off), 1-65535.
  CHECK(ConfigureOptions({"-p", "65535"}).opts.Port == 65535);
  CHECK(ConfigureOptions({"-p", "0"}).opts.Port == 0);
  CHECK(ConfigureOptions({"-p", "0x10"}).opts.Port == 16);  // Go's flag takes base prefixes
  const std::string range = ": port must be between -1 (random) and 65535";
  CHECK_THROWS_WITH(ConfigureOptions({"-p", "-2"}), "invalid value \"-2\" for flag -p" + range);
  CHECK_THROWS_WITH(ConfigureOptions({"--port=65536"}), "invalid value \"65536\" for flag -port" + range);
  CHECK_THROWS_WITH(ConfigureOptions({"-m", "65536"}), "invalid value \"65536\" for flag -m" + range);
  CHECK_THROWS_WITH(ConfigureOptions({"--http_port", "-7"}), "invalid value \"-7\" for flag -http_port" + range);
  CHECK_THROWS_WITH(ConfigureOptions({"-ms", "99999"}), "invalid value \"99999\" for flag -ms" + range);
  CHECK_THROWS_WITH(ConfigureOptions({"--profile", "70000"}), "invalid value \"70000\" for flag -profile" + range);
  CHECK_THROWS_AS(ConfigureOptions({"-p", "99999"}), FlagError);
  CHECK_THROWS_WITH(ConfigureOptions({"-p", "99999999999999999999"}),
                    "invalid value \"99999999999999999999\" for flag -p: parse error");
  // connect_retries takes any int, as gnatsd (at or below 0: no retries).
  CHECK(ConfigureOptions({"--connect_retries", "-1"}).opts.Cluster.ConnectRetries == -1);
  CHECK_THROWS_WITH(ConfigureOptions({"--cluster", "nats://127.0.0.1:65536"}),
                    "Value of Cluster.Port is out of range: 65536 (must be between -1 and 65535)");
}

TEST_CASE("TestFlagsConfigFileOutOfRange", "[flags][range]") {
  // A bad file value is refused with its position even when a flag would
  // override it.
  std::string conf = writeConf("host: 127.0.0.1\nport: 99999\n");
  const std::string want = conf + ":2:1: Value of 'port' is out of range: 99999 (must be between -1 and 65535)";
  CHECK_THROWS_WITH(ConfigureOptions({"-c", conf}), want);
  CHECK_THROWS_WITH(ConfigureOptions({"-c", conf, "-p", "4222"}), want);
  CHECK_THROWS_AS(ConfigureOptions({"-c", conf}), ConfigError);
  std::remove(conf.c_str());
}

TEST_CASE("TestFlagsTLS", "[flags][tls]") {
  // Go: main.go configureTLS.
  CHECK_THROWS_WITH(ConfigureOptions({"--tls"}), "TLS Server certificate must be present and valid.");
  CHECK_THROWS_WITH(ConfigureOptions({"--tls", "--tlscert", "c.pem"}),
                    "TLS Server private key must be present and valid.");
  CHECK_THROWS_WITH(ConfigureOptions({"--tls", "--tlscert", "c.pem", "--tlskey", "k.pem"}),
                    "error parsing X509 certificate/key pair: open c.pem: no such file or directory");
  const std::string cert = "./configs/certs/server-cert.pem", key = "./configs/certs/server-key.pem",
                    ca = "./configs/certs/ca.pem";
  auto opts = ConfigureOptions({"--tlsverify", "--tlscert", cert, "--tlskey", key, "--tlscacert", ca}).opts;
  REQUIRE(opts.TLSConfig);
  CHECK(opts.TLSConfig->Verify);
  CHECK(opts.TLSConfig->CertFile == cert);
  CHECK(opts.TLSConfig->KeyFile == key);
  CHECK(opts.TLSConfig->CaFile == ca);
  CHECK(opts.TLSConfig->Ciphers.empty());  // OpenSSL's defaults, as gnatsd kept Go's
  opts = ConfigureOptions({"--tls", "--tlscert", cert, "--tlskey", key}).opts;
  REQUIRE(opts.TLSConfig);
  CHECK_FALSE(opts.TLSConfig->Verify);
  // Without --tls or --tlsverify the other TLS flags do nothing, as in gnatsd.
  CHECK_FALSE(ConfigureOptions({"--tlscert", cert, "--tlskey", key}).opts.TLSConfig);
  // With -c, gnatsd drops the TLS flags; here they replace the file's block.
  opts = ConfigureOptions({"-c", "./configs/tlsverify.conf", "--tls", "--tlscert", cert, "--tlskey", key}).opts;
  REQUIRE(opts.TLSConfig);
  CHECK(opts.TLSConfig->CaFile.empty());
  CHECK_FALSE(opts.TLSConfig->Verify);
  opts = ConfigureOptions({"-c", "./configs/tlsverify.conf"}).opts;
  REQUIRE(opts.TLSConfig);
  CHECK(opts.TLSConfig->Verify);
}

TEST_CASE("TestFlagsNotSupportedYet", "[flags]") {
  CHECK_THROWS_WITH(ConfigureOptions({"--routes", "nats://127.0.0.1:6222"}),
                    "Solicited routes require cluster capabilities, e.g. --cluster.");
  // Clustering is served now (test/routes_test.cpp and the cluster tests).
  CHECK(ConfigureOptions({"--cluster", "nats://127.0.0.1:6222"}).opts.Cluster.Port == 6222);
  // Monitoring is served now (test/monitor_test.cpp starts it from flags).
  CHECK(ConfigureOptions({"-m", "8222"}).opts.HTTPPort == 8222);
  CHECK(ConfigureOptions({"-ms", "8222"}).opts.HTTPSPort == 8222);
  CHECK_THROWS_WITH(ConfigureOptions({"--profile", "6060"}), Catch::Contains("not supported yet"));
}

TEST_CASE("TestFlagsCluster", "[flags][route]") {
  // Go: configureClusterOpts.
  auto o = ConfigureOptions({"--cluster", "nats-route://ruser:rpass@127.0.0.1:6333", "--routes",
                             "nats-route://127.0.0.1:7001, nats-route://u:p@127.0.0.1:7002"})
               .opts;
  CHECK(o.Cluster.Host == "127.0.0.1");
  CHECK(o.Cluster.Port == 6333);
  CHECK(o.Cluster.Username == "ruser");
  CHECK(o.Cluster.Password == "rpass");
  REQUIRE(o.Routes.size() == 2);
  CHECK(o.Routes[0].Host == "127.0.0.1:7001");
  CHECK(o.Routes[1].User == "u");
  CHECK(o.Routes[1].Password == "p");
  CHECK_THROWS_WITH(ConfigureOptions({"--cluster", "nats://ruser@127.0.0.1:6333"}),
                    "Expected cluster password to be set.");
  CHECK_THROWS_WITH(ConfigureOptions({"--cluster", "nats://127.0.0.1"}),
                    Catch::Contains("missing port in address"));
  // The nats-server 2.x flag is taken and has no effect.
  CHECK(ConfigureOptions({"--cluster", "nats://127.0.0.1:6333", "--cluster_name", "east"}).opts.Cluster.Port == 6333);
  // The flag replaces the file's cluster credentials, with none if it has none.
  std::string conf = writeConf(
      "cluster { listen: 127.0.0.1:6444, authorization { user: fu, password: fp } }\n");
  auto f = ConfigureOptions({"-c", conf}).opts;
  CHECK(f.Cluster.Port == 6444);
  CHECK(f.Cluster.Username == "fu");
  auto g = ConfigureOptions({"-c", conf, "--cluster", "nats://127.0.0.1:6555"}).opts;
  CHECK(g.Cluster.Port == 6555);
  CHECK(g.Cluster.Username.empty());
  CHECK(g.Cluster.Password.empty());
}

TEST_CASE("TestFlagsOverrideConfigFile", "[flags]") {
  std::string conf = writeConf(
      "port: 4111\nhost: 127.0.0.1\nlogtime: false\ndebug: true\n"
      "authorization { user: alice, password: foo }\nmax_payload: 2000\nmax_pending: 2MB\n");
  auto fileOnly = ConfigureOptions({"-c", conf}).opts;
  CHECK(fileOnly.Port == 4111);
  CHECK(fileOnly.Host == "127.0.0.1");
  CHECK(fileOnly.Username == "alice");
  CHECK(fileOnly.MaxPayload == 2000);
  CHECK(fileOnly.MaxPending == 2 * 1024 * 1024);
  CHECK(fileOnly.Debug);
  // 1.0.0 let the -T default override logtime: false; we keep the file's value.
  CHECK_FALSE(fileOnly.Logtime);

  auto merged = ConfigureOptions({"-c", conf, "-p", "4222", "--user", "bob", "-T", "-D=false"}).opts;
  CHECK(merged.Port == 4222);
  CHECK(merged.Username == "bob");
  CHECK(merged.Password == "foo");  // not given on the command line: the file's
  CHECK(merged.MaxPayload == 2000);
  CHECK(merged.Logtime);      // typed -T wins
  CHECK_FALSE(merged.Debug);  // typed -D=false wins too
  std::remove(conf.c_str());
}
