// Go: server/signal.go (gnatsd v1.0.0)
// The signal thread (SIGINT/SIGTERM stop, SIGUSR1 reopen log, SIGHUP reload,
// SIGQUIT thread dump and exit 2) and --signal.
#include "server/signal.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "server/const.h"
#include "server/gofmt.h"
#include "server/monitor.h"
#include "server/server.h"

namespace gnatsd::server {

namespace {
sigset_t handledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGQUIT);
  return set;
}

// All of `text` to stderr, unbuffered (the process ends right after).
void writeStderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}
}  // namespace

void Server::handleSignals() {
  if (getOpts()->NoSigs) return;
  // Threads inherit the mask: blocking here, before the server starts its
  // other threads, routes these signals to the signalfd alone.
  sigset_t set = handledSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto sfd = std::make_shared<Fd>(::signalfd(-1, &set, SFD_CLOEXEC));
  Fd efd(::eventfd(0, EFD_CLOEXEC));
  if (!sfd->valid() || !efd.valid()) {
    Errorf("Could not set up signal handling: %s", std::strerror(errno));
    return;
  }
  const int stopFd = efd.get();
  sigStopFd_ = std::move(efd);  // closed with the Server, after the thread has gone
  startGoRoutine("signal", [this, sfd, stopFd] {
    struct pollfd fds[2] = {{sfd->get(), POLLIN, 0}, {stopFd, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents) break;
      struct signalfd_siginfo si;
      if (::read(sfd->get(), &si, sizeof si) != static_cast<ssize_t>(sizeof si)) continue;
      switch (si.ssi_signo) {
        case SIGINT:
        case SIGTERM:
          // 1.0.0 exited at once on SIGINT and ignored SIGTERM; both now
          // shut down gracefully (docs/DEVIATIONS.md).
          Debugf("Trapped \"%s\" signal", si.ssi_signo == SIGINT ? "interrupt" : "terminated");
          RequestShutdown();  // AcceptLoop logs "Server Exiting.." on its way out
          break;
        case SIGUSR1:
          Debugf("Trapped \"user defined signal 1\" signal");
          ReOpenLogFile();
          break;
        case SIGQUIT: {
          // gnatsd 1.0.0 left SIGQUIT to the Go runtime, which prints every
          // goroutine's stack to stderr and exits with status 2 at once.
          // The nearest we have is /stacksz's list of threads; then the same
          // abrupt exit: no connection closed, the pid file left, nothing
          // logged. The one place library code ends the process, and only
          // when it handles signals (not NoSigs), as Go's runtime did.
          std::string dump = HandleStacksz("").body;
          const std::string_view mark = " (serving this request)";
          if (auto at = dump.find(mark); at != std::string::npos) dump.replace(at, mark.size(), " (writing this dump)");
          writeStderr("SIGQUIT: quit\n\n" + dump);
          std::_Exit(2);
        }
        case SIGHUP:
          Debugf("Trapped \"hangup\" signal");
          try {
            Reload();
          } catch (const std::exception& e) {
            Errorf("Failed to reload server configuration: %s", e.what());
          }
          break;
        default:
          break;
      }
    }
  });
}

void Server::stopSignals() {
  if (!sigStopFd_.valid()) return;
  uint64_t one = 1;
  ssize_t n = ::write(sigStopFd_.get(), &one, sizeof one);
  (void)n;
}

namespace {
// Go used `pgrep gnatsd`; reading /proc needs no external program.
bool resolvePids(std::vector<int>* pids) {
  DIR* d = ::opendir("/proc");
  if (!d) return false;
  const int self = ::getpid();
  while (auto* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/comm");
    std::string comm;
    if (std::getline(f, comm) && comm == "gnatsd") pids->push_back(static_cast<int>(pid));
  }
  ::closedir(d);
  return true;
}

// strerror as Go prints an errno: lower case ("no such process").
std::string errnoText(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// True if strtol takes all of `s` (what ProcessSignal then judges as a pid).
bool isNumber(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtol(s.c_str(), &end, 10);
  return *end == '\0';
}

// The pid written in the file at `path` (by -P: decimal digits; a newline
// or spaces that another tool may add are tolerated).
std::string readPidFile(const std::string& path, std::string* pid) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "unable to read pid file " + quoteGo(path) + ": " + errnoText(errno);
  // A pid is at most 10 digits: anything longer is not one, so a big file
  // is never read whole.
  char buf[64];
  size_t len = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "unable to read pid file " + quoteGo(path) + ": " + errnoText(errno);
    if (n == 0) break;
    len += static_cast<size_t>(n);
    if (len == sizeof buf) break;
  }
  std::string_view text(buf, len);
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  if (text.empty()) return "pid file " + quoteGo(path) + " is empty";
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0) {
    const bool cut = text.size() > 32;
    return "pid file " + quoteGo(path) + " does not hold a pid: " + quoteGo(text.substr(0, 32)) + (cut ? "..." : "");
  }
  *pid = std::string(text);
  return "";
}
}  // namespace

std::string SignalPid(const std::string& value, const std::string& pidFile, std::string* pid) {
  pid->clear();
  if (isNumber(value)) {
    *pid = value;
    return "";
  }
  if (!value.empty()) return readPidFile(value, pid);
  if (!pidFile.empty()) return readPidFile(pidFile, pid);
  return "";
}

std::string ProcessSignal(std::string_view command, std::string_view pidStr) {
  int pid = 0;
  if (pidStr.empty()) {
    std::vector<int> pids;
    if (!resolvePids(&pids)) return "unable to resolve pid, try providing one";
    if (pids.empty()) return "no gnatsd processes running";
    if (pids.size() > 1) {
      std::string err = "multiple gnatsd processes running:";
      // Two appends: `"\n" + std::to_string(p)` trips GCC 12's bogus -Wrestrict.
      for (int p : pids) err.append("\n").append(std::to_string(p));
      return err;
    }
    pid = pids[0];
  } else {
    std::string s(pidStr);
    char* end = nullptr;
    errno = 0;
    long p = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0 || p <= 0 || p > INT32_MAX) return "invalid pid: " + s;
    pid = static_cast<int>(p);
  }
  int sig;
  if (command == CommandStop) sig = SIGKILL;
  else if (command == CommandQuit) sig = SIGINT;
  else if (command == CommandReopen) sig = SIGUSR1;
  else if (command == CommandReload) sig = SIGHUP;
  else return "unknown signal \"" + std::string(command) + "\"";
  // Go printed the errno text as is, lower case: "no such process".
  if (::kill(pid, sig) != 0) return errnoText(errno);
  return "";
}

}  // namespace gnatsd::server
