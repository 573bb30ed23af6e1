// Go: test/pid_test.go
// The pid file holds this process's pid, in decimal, without a newline.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

TEST_CASE("TestPidFile", "[pid]") {
  char tmpl[] = "/tmp/_gnatsd_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string tmpDir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{tmpDir};

  // As in Go, the file exists beforehand (and holds something to replace).
  std::string name = tmpDir + "/gnatsd:pid_XXXXXX";
  int fd = ::mkstemp(name.data());
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "stale contents, longer than a pid", 33) == 33);
  ::close(fd);

  Options opts = DefaultTestOptions();
  opts.PidFile = name;
  auto s = RunServer(opts);
  {
    std::ifstream f(name, std::ios::binary);
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string buf = ss.str();
    REQUIRE(!buf.empty());
    CHECK(buf == std::to_string(::getpid()));
  }
  // Removed at Shutdown (gnatsd 1.0.0 left it; docs/DEVIATIONS.md)...
  s->Shutdown();
  CHECK_FALSE(std::filesystem::exists(name));

  // ...but only while it still names this process.
  auto s2 = RunServer(opts);
  {
    std::ofstream f(name, std::ios::binary | std::ios::trunc);
    f << "1";  // another process took the file over
  }
  s2->Shutdown();
  CHECK(std::filesystem::exists(name));
}
