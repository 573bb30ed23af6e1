// Go: none; the promise of the config-files issue: every sample config and
// every gnatsd 1.0.0 test config either starts a server or fails with the
// right message.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;
namespace fs = std::filesystem;

extern char** environ;

namespace {
// What a config leads to: "" = a server starts; otherwise a piece of the
// error text expected from ProcessConfigFile or Server::New.
std::string outcome(const fs::path& p) {
  Options opts;
  try {
    opts = LoadConfig(p.string());
  } catch (const std::exception& e) {
    return std::string("config: ") + e.what();
  }
  opts.Host = "127.0.0.1";
  opts.Port = -1;
  // A monitor on a random port too, never the file's fixed one. Loopback by
  // address: a fresh machine or container may not resolve "localhost".
  if (opts.HTTPPort != 0) opts.HTTPPort = -1;
  if (opts.HTTPSPort != 0) opts.HTTPSPort = -1;
  if (!opts.HTTPHost.empty()) opts.HTTPHost = "127.0.0.1";
  opts.PidFile.clear();
  opts.LogFile.clear();
  // A cluster port on a random port too, dialling nothing: the routes of
  // these files point at fixed ports that may be anyone's.
  if (opts.Cluster.Port != 0) {
    opts.Cluster.Port = -1;
    opts.Cluster.Host = "127.0.0.1";
  }
  opts.Routes.clear();
  try {
    auto s = RunServer(opts);
    Conn c = createClientConn(*s);
    expectResult(c, infoRe);
    s->Shutdown();
    return "";
  } catch (const std::exception& e) {
    return std::string("server: ") + e.what();
  }
}
}  // namespace

TEST_CASE("TestEveryConfigStartsOrFailsClearly", "[config]") {
  const fs::path root = GNATSD_SOURCE_DIR;
  // Expected failures, by file name (the rest must start a server).
  const std::string notYet = "is not supported yet by gnatsd-cpp";
  const std::map<std::string, std::string> expected = {
      {"invalid.conf", "config: "},
      {"malformed_listen_address.conf", "malformed_listen_address.conf:4:19: Parse error on line 4"},
      {"malformed_cluster_address.conf", "malformed_cluster_address.conf:5:21: Parse error on line 5"},
      {"tls_bad_cipher.conf", "Unrecognized cipher"},
      {"tls_bad_curve_prefs.conf", "Unrecognized curve preference"},
      {"tls_empty_cipher.conf", "'cipher_suites' cannot be empty"},
      {"tls_empty_curve_prefs.conf", "'curve_preferences' cannot be empty"},
      {"reload.conf", "Error parsing include file"},
      {"listen.conf", "can't specify both HTTP (-1) and HTTPs (-1) ports"},
      {"tls_missing_cert.conf",
       "tls_missing_cert.conf:5:1: error parsing X509 certificate/key pair: open ./configs/certs/missing.pem"},
  };
  int started = 0, refused = 0;
  for (const fs::path& dir : {root / "conf/samples", root / "test/configs"}) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.path().extension() != ".conf") continue;
      // Files that exist only to be included by others.
      if (e.path().parent_path().filename() == "includes") continue;
      const std::string name = e.path().filename().string();
      const std::string got = outcome(e.path());
      INFO(e.path().string() << " -> " << (got.empty() ? "started" : got));
      auto it = expected.find(name);
      if (it != expected.end()) {
        CHECK(got.find(it->second) != std::string::npos);
        ++refused;
      } else if (!got.empty()) {
        // Only features of later issues may refuse to start, and they say so.
        CHECK(got.find(notYet) != std::string::npos);
        ++refused;
      } else {
        ++started;
      }
    }
  }
  WARN(started << " configs started a server, " << refused << " failed with the expected message");
  CHECK(started >= 10);
}

TEST_CASE("TestSampleConfigsStart", "[config]") {
  const fs::path dir = fs::path(GNATSD_SOURCE_DIR) / "conf/samples";
  for (const char* name : {"single.conf", "secured.conf"}) {
    INFO(name);
    CHECK(outcome(dir / name).empty());
  }
  // The cluster samples form a full mesh, each dialling the others with the
  // credentials its file gives (ports rewired to the ones the OS picked).
  std::vector<Options> opts;
  for (const char* name : {"cluster-a.conf", "cluster-b.conf", "cluster-c.conf"}) {
    opts.push_back(LoadConfig((dir / name).string()));
    REQUIRE(opts.back().Routes.size() == 2);
    opts.back().Port = -1;
    opts.back().HTTPPort = -1;
    opts.back().Cluster.Port = -1;
  }
  // a listens first, b dials a, c dials a and b: c's routes tell the rest.
  std::vector<std::unique_ptr<Server>> servers;
  auto wire = [&](Options o, const std::vector<int>& peers) {
    std::vector<gnatsd::server::URL> routes;
    for (size_t i = 0; i < peers.size(); ++i) {
      gnatsd::server::URL u = o.Routes[i];
      u.Host = "127.0.0.1:" + std::to_string(peers[i]);
      routes.push_back(u);
    }
    o.Routes = routes;
    servers.push_back(RunServer(o));
  };
  wire(opts[0], {});
  wire(opts[1], {servers[0]->ClusterPort()});
  wire(opts[2], {servers[0]->ClusterPort(), servers[1]->ClusterPort()});
  const bool meshed = checkFor(10s, 20ms, [&] {
    for (auto& s : servers) {
      if (s->NumRoutes() != 2) return false;
    }
    return true;
  });
  for (auto& s : servers) INFO(s->ID() << " has " << s->NumRoutes() << " routes");
  CHECK(meshed);
  for (auto& s : servers) s->Shutdown();
}

namespace {
// A scratch directory, removed at the end of the test.
struct scratchDir {
  fs::path dir;
  scratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "config_start.XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~scratchDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(dir / name) << content;
    return (dir / name).string();
  }
};

struct exitResult {
  int status = -1;  // exit status, -1 if it did not exit by itself
  std::string err;  // what it wrote to stderr
};

// Runs the gnatsd binary with args; waits at most `limit` for it to exit,
// then kills it (only this child).
exitResult runGnatsd(const scratchDir& d, std::vector<std::string> args, std::chrono::seconds limit) {
  const std::string bin = std::string(GNATSD_BINARY_DIR) + "/gnatsd";
  const std::string errFile = (d.dir / "stderr.txt").string();
  args.insert(args.begin(), bin);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  exitResult r;
  int st = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (::waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      st = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (st != -1 && WIFEXITED(st)) r.status = WEXITSTATUS(st);
  std::ifstream in(errFile);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  return r;
}
}  // namespace

TEST_CASE("TestConfigPortOutOfRangeRefused", "[config][range]") {
  // gnatsd-cpp used to start on port 34463 (99999 mod 65536) here.
  scratchDir d;
  const std::string conf = d.write("bad.conf", "# a port too large\nport: 99999\n");
  exitResult r = runGnatsd(d, {"-c", conf}, std::chrono::seconds(10));
  CHECK(r.status == 1);
  CHECK(r.err == conf + ":2:1: Value of 'port' is out of range: 99999 (must be between -1 and 65535)\n");

  const std::string conf2 = d.write("bad2.conf", "host: 127.0.0.1\nping_interval: -5\n");
  r = runGnatsd(d, {"-c", conf2}, std::chrono::seconds(10));
  CHECK(r.status == 1);
  CHECK(r.err == conf2 + ":2:1: Value of 'ping_interval' is out of range: -5 (must be between 0 and 9223372036)\n");
}

TEST_CASE("TestConfigRandomPortStarts", "[config][range]") {
  // port: -1 in a file means a random port, as RANDOM_PORT does for embedders.
  scratchDir d;
  Options opts = LoadConfig(d.write("random.conf", "listen: \"127.0.0.1:-1\"\nmax_connections: 0\n"));
  CHECK(opts.Port == -1);
  auto s = RunServer(opts);
  CHECK(s->Port() > 0);
  CHECK(s->Port() != 4222);
  Conn c = createClientConn(*s);
  expectResult(c, infoRe);
  s->Shutdown();
}
