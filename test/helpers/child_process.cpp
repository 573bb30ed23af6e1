// C++ only: see child_process.h.
#include "test/helpers/child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <sstream>

#include "test/helpers/test_server.h"

extern char** environ;

namespace gnatsd::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "_gnatsd_test.XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  dir_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return "";
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

ChildProcess::ChildProcess(const std::string& program, const std::string& argv0,
                           const std::vector<std::string>& args, const std::string& outFile) {
  std::vector<std::string> all;
  all.push_back(argv0);
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = outFile.empty() ? "/dev/null" : outFile;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  // The child gets default dispositions and an empty mask: the test process
  // may have blocked signals (a Server started without NoSigs does).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all_sigs;
  sigemptyset(&none);
  sigfillset(&all_sigs);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all_sigs);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = ::posix_spawn(&pid_, program.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  INFO("posix_spawn " << program << ": " << std::strerror(rc));
  REQUIRE(rc == 0);
}

ChildProcess::~ChildProcess() { kill(); }

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  checkFor(timeout, std::chrono::milliseconds(5), [this] {
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) status_ = st;
    return status_.has_value();
  });
  return status_;
}

void ChildProcess::kill() {
  if (status_ || pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
}

std::string gnatsdBinary() { return std::string(GNATSD_BINARY_DIR) + "/gnatsd"; }

std::vector<int> gnatsdPids() {
  std::vector<int> pids;
  DIR* d = ::opendir("/proc");
  if (!d) return pids;
  const int self = ::getpid();
  while (auto* e = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/comm");
    std::string comm;
    if (std::getline(f, comm) && comm == "gnatsd") pids.push_back(static_cast<int>(pid));
  }
  ::closedir(d);
  std::sort(pids.begin(), pids.end());
  return pids;
}

}  // namespace gnatsd::test
