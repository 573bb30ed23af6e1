// C++ only: scratch directories and child processes for tests that run the
// gnatsd binary (logging, signals).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gnatsd::test {

// A fresh mkdtemp directory under the system temp dir, removed with its
// contents when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return dir_; }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

// The whole file, or "" when it cannot be read.
std::string readFile(const std::filesystem::path& p);

// A child process started with posix_spawn. Only this object signals it (by
// pid); it is killed (SIGKILL) and reaped at destruction if still there.
class ChildProcess {
 public:
  // Runs `program` with argv[0] = argv0 and `args`; stdout and stderr go to
  // `outFile` (appended; /dev/null when empty). REQUIREs that spawn worked.
  ChildProcess(const std::string& program, const std::string& argv0, const std::vector<std::string>& args,
               const std::string& outFile = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True until the child has been reaped.
  bool running() const { return !status_; }
  // Waits up to `timeout` for the child to end; the waitpid status, or
  // nullopt if it is still running.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGKILL and reap (no-op once reaped).
  void kill();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// The gnatsd binary of this build.
std::string gnatsdBinary();

// Pids of the processes named (comm) "gnatsd", other than this one, ascending.
std::vector<int> gnatsdPids();

}  // namespace gnatsd::test
