// Go: none; the promise of the config-files issue: every sample config and
// every gnatsd 1.0.0 test config either starts a server or fails with the
// right message.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;
namespace fs = std::filesystem;

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
  opts.PidFile.clear();
  opts.LogFile.clear();
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
  // The cluster samples wait for clustering, and say so.
  for (const char* name : {"cluster-a.conf", "cluster-b.conf", "cluster-c.conf"}) {
    INFO(name);
    CHECK_THAT(outcome(dir / name), Catch::Contains("Clustering") && Catch::Contains("not supported yet"));
  }
}
