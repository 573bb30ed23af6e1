// Go: server/signal_test.go (gnatsd v1.0.0)
// SIGUSR1 to a server in this process; ProcessSignal (--signal) against
// gnatsd child processes started by the test.
//
// Tests that resolve "the" gnatsd process count every gnatsd on the machine,
// so they are [serial] and wait out strangers; they never signal a process
// they did not start: without a pid they use a command that is only looked
// at after the pids are resolved (nothing is sent), or CommandStop only
// while the test's own children are the ones found.
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "server/logger/log.h"
#include "server/signal.h"
#include "test/helpers/child_process.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;
using gnatsd::server::CommandQuit;
using gnatsd::server::CommandReload;
using gnatsd::server::CommandReopen;
using gnatsd::server::CommandStop;
using gnatsd::server::ProcessSignal;
using gnatsd::server::SignalPid;
namespace fs = std::filesystem;

namespace {
// Resolves the pids and then fails on the command, so nothing is signalled.
constexpr std::string_view kResolveOnly = "resolve-only";

// What ProcessSignal(kResolveOnly, "") says when `pids` are running.
std::string resolution(const std::vector<int>& pids) {
  if (pids.empty()) return "no gnatsd processes running";
  if (pids.size() == 1) return "unknown signal \"" + std::string(kResolveOnly) + "\"";
  std::string s = "multiple gnatsd processes running:";
  // Appends, not "\n" + std::to_string(p): GCC 12's bogus -Wrestrict at -O3.
  for (int p : pids) s.append("\n").append(std::to_string(p));
  return s;
}

std::string pidList(const std::vector<int>& pids) {
  std::string s;
  for (int p : pids) s.append(s.empty() ? "" : " ").append(std::to_string(p));
  return s;
}

// Names of the threads of process `pid`.
std::vector<std::string> threadNames(const std::string& pid) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + pid + "/task", ec)) {
    std::ifstream f(e.path() / "comm");
    std::string n;
    if (std::getline(f, n)) names.push_back(n);
  }
  return names;
}

bool hasThread(const std::string& pid, const std::string& name) {
  for (const auto& n : threadNames(pid)) {
    if (n == name) return true;
  }
  return false;
}

// A gnatsd child on a random loopback port, logging to its own file.
class GnatsdChild {
 public:
  GnatsdChild(const TempDir& t, const std::string& name, std::vector<std::string> extra = {})
      : log_(t.file(name + ".log")), out_(t.file(name + ".out")) {
    std::vector<std::string> args = {"-a", "127.0.0.1", "-p", "-1", "-l", log_};
    args.insert(args.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<ChildProcess>(gnatsdBinary(), "gnatsd", args, out_);
  }
  // "Server is ready" is logged once signals are handled: a script that
  // waits for the line may signal at once (so this checks nothing else).
  void waitReady() {
    const std::string pid = std::to_string(proc_->pid());
    const bool ok = checkFor(20s, 10ms, [&] { return readFile(log_).find("Server is ready") != std::string::npos; });
    INFO("gnatsd " << pid << " log: " << readFile(log_) << "\noutput: " << readFile(out_));
    REQUIRE(ok);
  }
  pid_t pid() const { return proc_->pid(); }
  std::string pidStr() const { return std::to_string(proc_->pid()); }
  const std::string& log() const { return log_; }
  std::string output() const { return readFile(out_); }
  ChildProcess& proc() { return *proc_; }

 private:
  std::string log_, out_;
  std::unique_ptr<ChildProcess> proc_;
};

// True when every thread of this process blocks `sig` (a process-directed
// signal then can only be taken by the signalfd).
bool allThreadsBlock(int sig) {
  int seen = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/task")) {
    std::ifstream f(e.path() / "status");
    std::string line;
    bool found = false;
    while (std::getline(f, line)) {
      if (line.rfind("SigBlk:", 0) != 0) continue;
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      if (!(mask & (1ULL << (sig - 1)))) return false;
      found = true;
    }
    if (!found) return false;
    ++seen;
  }
  return seen > 0;
}

// Restores this thread's signal mask, after taking any of the server's
// signals still pending (they would act once unblocked).
struct SigmaskGuard {
  sigset_t old;
  SigmaskGuard() { pthread_sigmask(SIG_BLOCK, nullptr, &old); }
  ~SigmaskGuard() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGQUIT}) sigaddset(&set, s);
    const struct timespec zero = {0, 0};
    while (::sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
};
}  // namespace

TEST_CASE("TestSignalToReOpenLogFile", "[signal]") {
  SigmaskGuard mask;
  TempDir t;
  Options opts;
  opts.Host = "127.0.0.1";
  opts.Port = gnatsd::server::RANDOM_PORT;
  opts.NoSigs = false;
  opts.LogFile = t.file("test.log");
  const std::string bak = opts.LogFile + ".bak";
  auto s = Server::New(opts);
  s->ConfigureLogger();
  s->Start();
  REQUIRE(s->ReadyForConnections(10s));
  // The signal thread names itself once it runs.
  REQUIRE(checkFor(10s, 5ms, [] { return hasThread(std::to_string(::getpid()), "signal"); }));

  s->SetLogger(std::make_shared<gnatsd::logger::FileLogger>(opts.LogFile, opts.Logtime, opts.Debug, opts.Trace, true),
               false, false);
  s->Noticef("This is a Notice");
  CHECK_THAT(readFile(opts.LogFile), Catch::Contains("This is a Notice"));
  REQUIRE(::rename(opts.LogFile.c_str(), bak.c_str()) == 0);

  // Start blocked SIGUSR1 in this thread and the server's; any other thread
  // of the test program that does not block it would die of it instead.
  if (allThreadsBlock(SIGUSR1)) {
    REQUIRE(::kill(::getpid(), SIGUSR1) == 0);
  } else {
    WARN("a thread of this process does not block SIGUSR1: the signal is sent to this thread alone");
    REQUIRE(::pthread_kill(pthread_self(), SIGUSR1) == 0);
  }
  const bool reopened =
      checkFor(10s, 10ms, [&] { return readFile(opts.LogFile).find("File log re-opened") != std::string::npos; });
  INFO("new log: " << readFile(opts.LogFile) << "\nold log: " << readFile(bak));
  CHECK(reopened);
  CHECK_THAT(readFile(bak), !Catch::Contains("File log re-opened"));
  s->Shutdown();
  s->SetLogger(nullptr, false, false);
}

TEST_CASE("TestProcessSignalNoProcesses", "[signal][serial]") {
  std::string err;
  const bool none = checkFor(30s, 100ms, [&] {
    err = ProcessSignal(kResolveOnly, "");
    return err == "no gnatsd processes running";
  });
  if (!none) {
    WARN("other gnatsd processes kept running (" << pidList(gnatsdPids())
                                                 << "): the no-process case is not checked");
    // Still, the answer matches the process table.
    CHECK(checkFor(10s, 50ms, [&] { return ProcessSignal(kResolveOnly, "") == resolution(gnatsdPids()); }));
  }
}

TEST_CASE("TestProcessSignalMultipleProcesses", "[signal][serial]") {
  TempDir t;
  GnatsdChild a(t, "a"), b(t, "b");
  a.waitReady();
  b.waitReady();
  std::vector<int> ours = {a.pid(), b.pid()};
  std::sort(ours.begin(), ours.end());
  const std::string expected = resolution(ours);
  // Two of ours are running, so stop resolves more than one and sends nothing.
  REQUIRE(a.proc().running());
  REQUIRE(b.proc().running());
  std::string err;
  const bool exact = checkFor(30s, 100ms, [&] {
    err = ProcessSignal(CommandStop, "");
    return err == expected;
  });
  INFO("ProcessSignal: " << err);
  if (!exact) {
    WARN("other gnatsd processes are running (" << pidList(gnatsdPids()) << "): checking ours are listed");
    CHECK_THAT(err, Catch::StartsWith("multiple gnatsd processes running:\n"));
    CHECK_THAT(err + "\n", Catch::Contains("\n" + std::to_string(a.pid()) + "\n"));
    CHECK_THAT(err + "\n", Catch::Contains("\n" + std::to_string(b.pid()) + "\n"));
  }
  // Nobody was killed.
  CHECK_FALSE(a.proc().wait(0ms));
  CHECK_FALSE(b.proc().wait(0ms));
}

// Go stubs pgrep's failure. Here resolution reads /proc and needs no
// program: with no PATH at all it still resolves.
TEST_CASE("TestProcessSignalPgrepError", "[signal][serial]") {
  WARN("the resolver's own failure (/proc unreadable) cannot be provoked without privileges: "
       "only its independence from pgrep is checked");
  struct RestorePath {
    std::optional<std::string> old;
    RestorePath() {
      if (const char* p = std::getenv("PATH")) old = p;
    }
    ~RestorePath() {
      if (old) ::setenv("PATH", old->c_str(), 1);
    }
  } restore;
  ::unsetenv("PATH");
  std::string err;
  CHECK(checkFor(10s, 50ms, [&] {
    err = ProcessSignal(kResolveOnly, "");
    return err == resolution(gnatsdPids());
  }));
  CHECK(err != "unable to resolve pid, try providing one");
}

// Go stubs pgrep printing junk. Here the nearest junk is a process whose
// name only looks like gnatsd: it is not taken for one.
TEST_CASE("TestProcessSignalPgrepMangled", "[signal][serial]") {
  TempDir t;
  const std::string sleepBin = fs::exists("/bin/sleep") ? "/bin/sleep" : "/usr/bin/sleep";
  REQUIRE(fs::exists(sleepBin));
  std::vector<std::unique_ptr<ChildProcess>> fakes;
  for (const char* name : {"gnatsd-mangled", "xgnatsd", "gnatsd12x", "gnatsd_and_a_long_name"}) {
    const std::string link = t.file(name);
    fs::create_symlink(sleepBin, link);
    fakes.push_back(std::make_unique<ChildProcess>(link, name, std::vector<std::string>{"60"}));
  }
  for (auto& f : fakes) {
    std::ifstream comm("/proc/" + std::to_string(f->pid()) + "/comm");
    std::string c;
    REQUIRE(std::getline(comm, c));
    INFO("comm " << c);
    REQUIRE(c != "gnatsd");
    REQUIRE(c.find("gnatsd") != std::string::npos);  // pgrep gnatsd would have matched it
  }
  std::string err;
  const bool none = checkFor(30s, 100ms, [&] {
    err = ProcessSignal(kResolveOnly, "");
    return err == "no gnatsd processes running";
  });
  if (!none) {
    WARN("other gnatsd processes are running (" << pidList(gnatsdPids()) << "): checking ours are not listed");
    for (auto& f : fakes) CHECK_THAT(err + "\n", !Catch::Contains("\n" + std::to_string(f->pid()) + "\n"));
  }
  for (auto& f : fakes) CHECK(f->running());
}

TEST_CASE("TestProcessSignalResolveSingleProcess", "[signal][serial]") {
  TempDir t;
  GnatsdChild g(t, "single");
  g.waitReady();
  // Only ever stop without a pid while ours is the one gnatsd there is.
  const std::vector<int> ours = {g.pid()};
  if (!checkFor(30s, 100ms, [&] { return gnatsdPids() == ours; })) {
    WARN("other gnatsd processes are running (" << pidList(gnatsdPids())
                                                << "): single-process resolution is not checked");
    return;
  }
  REQUIRE(ProcessSignal(kResolveOnly, "") == resolution(ours));
  REQUIRE(g.proc().running());
  CHECK(ProcessSignal(CommandStop, "") == "");
  auto st = g.proc().wait(10s);
  REQUIRE(st);
  CHECK(WIFSIGNALED(*st));
  CHECK(WTERMSIG(*st) == SIGKILL);
}

TEST_CASE("TestProcessSignalInvalidCommand", "[signal]") {
  // The command is checked before anything is sent to pid 123.
  CHECK(ProcessSignal("invalid", "123") == "unknown signal \"invalid\"");
}

TEST_CASE("TestProcessSignalInvalidPid", "[signal]") {
  CHECK(ProcessSignal(CommandStop, "abc") == "invalid pid: abc");
  CHECK(ProcessSignal(CommandStop, "12x") == "invalid pid: 12x");
}

TEST_CASE("TestProcessSignalQuitProcess", "[signal]") {
  TempDir t;
  GnatsdChild g(t, "quit", {"-D"});
  g.waitReady();
  CHECK(ProcessSignal(CommandQuit, g.pidStr()) == "");
  auto st = g.proc().wait(20s);
  INFO("log: " << readFile(g.log()) << "\noutput: " << g.output());
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  const std::string log = readFile(g.log());
  CHECK_THAT(log, Catch::Contains("[DBG] Trapped \"interrupt\" signal\n"));
  CHECK_THAT(log, Catch::Contains("[INF] Server Exiting..\n"));
}

TEST_CASE("TestProcessSignalReopenProcess", "[signal]") {
  TempDir t;
  GnatsdChild g(t, "reopen", {"-D"});
  g.waitReady();
  const std::string bak = g.log() + ".bak";
  REQUIRE(::rename(g.log().c_str(), bak.c_str()) == 0);
  REQUIRE(!fs::exists(g.log()));
  CHECK(ProcessSignal(CommandReopen, g.pidStr()) == "");
  // A new file appears at the configured path.
  const bool reopened =
      checkFor(10s, 10ms, [&] { return readFile(g.log()).find("[INF] File log re-opened\n") != std::string::npos; });
  INFO("new log: " << readFile(g.log()) << "\nold log: " << readFile(bak) << "\noutput: " << g.output());
  CHECK(reopened);
  const std::string old = readFile(bak);
  CHECK_THAT(old, Catch::Contains("Server is ready"));
  CHECK_THAT(old, Catch::Contains("[DBG] Trapped \"user defined signal 1\" signal\n"));
  CHECK_THAT(old, !Catch::Contains("File log re-opened"));
  CHECK(g.proc().running());
  CHECK_FALSE(g.proc().wait(0ms));
  // And it still shuts down on request.
  CHECK(ProcessSignal(CommandQuit, g.pidStr()) == "");
  auto st = g.proc().wait(20s);
  REQUIRE(st);
  CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 0));
  CHECK_THAT(readFile(g.log()), Catch::Contains("Server Exiting.."));
}

// Not in Go (there kill is stubbed): stop by pid is SIGKILL.
TEST_CASE("TestProcessSignalStopProcess", "[signal]") {
  TempDir t;
  GnatsdChild g(t, "stop");
  g.waitReady();
  CHECK(ProcessSignal(CommandStop, g.pidStr()) == "");
  auto st = g.proc().wait(10s);
  REQUIRE(st);
  CHECK(WIFSIGNALED(*st));
  CHECK(WTERMSIG(*st) == SIGKILL);
}

// Not in Go: a pid that cannot exist (above pid_max) gets the kill error,
// as Go prints it.
TEST_CASE("TestProcessSignalNoSuchProcess", "[signal]") {
  std::ifstream f("/proc/sys/kernel/pid_max");
  long pidMax = 0;
  REQUIRE(f >> pidMax);
  REQUIRE(pidMax > 0);
  CHECK(ProcessSignal(CommandReopen, std::to_string(pidMax + 1)) == "no such process");
}

namespace {
size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = 0; (pos = haystack.find(needle, pos)) != std::string::npos; pos += needle.size()) ++n;
  return n;
}

// A gnatsd child started with -c on a config the test rewrites; `signal`
// asks it to reload. Each reload turns debug on or off, which the log shows.
// `extra` are more flags for the child.
void reloadTwiceAndOnceBad(const std::function<void(GnatsdChild&)>& signal,
                           const std::vector<std::string>& extra = {}) {
  TempDir t;
  const std::string cfg = t.file("gnatsd.conf");
  auto write = [&](const std::string& text) {
    std::ofstream(cfg + ".new", std::ios::trunc) << text;
    REQUIRE(::rename((cfg + ".new").c_str(), cfg.c_str()) == 0);
  };
  write("debug: false\n");
  std::vector<std::string> args = {"-c", cfg};
  args.insert(args.end(), extra.begin(), extra.end());
  GnatsdChild g(t, "reload", args);
  g.waitReady();
  for (int i = 1; i <= 2; ++i) {
    const bool debug = i % 2 == 1;
    write(std::string("debug: ") + (debug ? "true" : "false") + "\n");
    signal(g);
    const bool reloaded = checkFor(10s, 10ms, [&] {
      return count(readFile(g.log()), "[INF] Reloaded server configuration\n") == static_cast<size_t>(i);
    });
    INFO("log: " << readFile(g.log()) << "\noutput: " << g.output());
    REQUIRE(reloaded);
    CHECK_THAT(readFile(g.log()), Catch::Contains(std::string("[INF] Reloaded: debug = ") + (debug ? "true" : "false")));
  }
  // With debug on once, the signal itself was logged at debug level.
  CHECK_THAT(readFile(g.log()), Catch::Contains("[DBG] Trapped \"hangup\" signal\n"));
  // A file that does not parse: logged with its position, nothing changes,
  // the server goes on.
  write("debug: true\nport: [\n");
  signal(g);
  const bool refused = checkFor(10s, 10ms, [&] {
    return readFile(g.log()).find("[ERR] Failed to reload server configuration: " + cfg + ":") != std::string::npos;
  });
  INFO("log: " << readFile(g.log()));
  CHECK(refused);
  CHECK(count(readFile(g.log()), "[INF] Reloaded server configuration\n") == 2);
  CHECK(g.proc().running());
  CHECK(ProcessSignal(CommandQuit, g.pidStr()) == "");
  auto st = g.proc().wait(20s);
  REQUIRE(st);
  CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 0));
}
}  // namespace

TEST_CASE("TestSignalToReloadConfig", "[signal]") {
  // Go sends SIGHUP to its own process; here to a gnatsd child, which is
  // what an operator (or systemctl reload) does.
  reloadTwiceAndOnceBad([](GnatsdChild& g) { REQUIRE(::kill(g.pid(), SIGHUP) == 0); });
}

TEST_CASE("TestProcessSignalReloadProcess", "[signal]") {
  // Go: ProcessSignal(CommandReload, pid); here also through the binary,
  // `gnatsd --signal reload=<pid>`, on every other reload.
  int n = 0;
  reloadTwiceAndOnceBad([&n](GnatsdChild& g) {
    if (n++ % 2 == 0) {
      CHECK(ProcessSignal(CommandReload, g.pidStr()) == "");
      return;
    }
    ChildProcess sig(gnatsdBinary(), "gnatsd", {"--signal", "reload=" + g.pidStr()});
    auto st = sig.wait(20s);
    REQUIRE(st);
    CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 0));
  });
}

namespace {
// Runs `gnatsd <args>` to the end; its exit status, REQUIREd to be a normal
// exit, and what it printed in *out.
int runGnatsd(const TempDir& t, const std::vector<std::string>& args, std::string* out) {
  const std::string file = t.file("cmd.out");
  std::filesystem::remove(file);
  ChildProcess p(gnatsdBinary(), "gnatsd", args, file);
  auto st = p.wait(20s);
  *out = readFile(file);
  INFO("gnatsd output: " << *out);
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  return WEXITSTATUS(*st);
}
}  // namespace

TEST_CASE("TestProcessSignalReloadPidFile", "[signal]") {
  // C++ only (nats-server 2.x's -sl does the first): the pid is read from
  // the pid file the server wrote, named after '=' (`--signal
  // reload=<file>`) on one reload, by -P (`-P <file> --signal reload`) on
  // the next.
  TempDir t;
  const std::string pidFile = t.file("gnatsd.pid");
  int n = 0;
  reloadTwiceAndOnceBad(
      [&](GnatsdChild& g) {
        // Written before "Server is ready".
        REQUIRE(readFile(pidFile) == g.pidStr());
        std::vector<std::string> args = {"-P", pidFile, "--signal", "reload"};
        if (n++ % 2 == 0) args = {"--signal", "reload=" + pidFile};
        std::string out;
        CHECK(runGnatsd(t, args, &out) == 0);
        CHECK(out.empty());
      },
      {"-P", pidFile});
}

TEST_CASE("TestProcessSignalPidFileErrors", "[signal]") {
  // C++ only: what SignalPid makes of its arguments, and the errors the
  // binary prints (exit 1) when a pid file gives no pid; nothing is sent.
  TempDir t;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(t.file(name), std::ios::binary | std::ios::trunc) << text;
    return t.file(name);
  };
  std::string pid = "stale";
  CHECK(SignalPid("", "", &pid).empty());
  CHECK(pid.empty());  // ProcessSignal looks the process up by name
  CHECK(SignalPid("123", "", &pid).empty());
  CHECK(pid == "123");
  // A number after '=' beats -P, and is judged by ProcessSignal as before.
  CHECK(SignalPid("123", t.file("missing.pid"), &pid).empty());
  CHECK(pid == "123");
  CHECK(SignalPid("-5", "", &pid).empty());
  CHECK(pid == "-5");
  CHECK(ProcessSignal(CommandReload, pid) == "invalid pid: -5");
  // Written by another tool, with a newline.
  const std::string nl = write("nl.pid", "4321\n");
  CHECK(SignalPid(nl, "", &pid).empty());
  CHECK(pid == "4321");
  CHECK(SignalPid("", nl, &pid).empty());
  CHECK(pid == "4321");

  const std::string missing = t.file("missing.pid");
  const std::string missingErr = "unable to read pid file \"" + missing + "\": no such file or directory";
  CHECK(SignalPid(missing, "", &pid) == missingErr);
  CHECK(pid.empty());
  CHECK(SignalPid("", missing, &pid) == missingErr);
  CHECK(SignalPid(t.path().string(), "", &pid) ==
        "unable to read pid file \"" + t.path().string() + "\": is a directory");
  const std::string empty = write("empty.pid", " \n");
  CHECK(SignalPid(empty, "", &pid) == "pid file \"" + empty + "\" is empty");
  const std::string junk = write("junk.pid", "gnatsd\n");
  CHECK(SignalPid(junk, "", &pid) == "pid file \"" + junk + "\" does not hold a pid: \"gnatsd\"");
  const std::string zero = write("zero.pid", "0");
  CHECK(SignalPid(zero, "", &pid) == "pid file \"" + zero + "\" does not hold a pid: \"0\"");
  const std::string huge = write("huge.pid", "99999999999");
  CHECK(SignalPid(huge, "", &pid) == "pid file \"" + huge + "\" does not hold a pid: \"99999999999\"");
  const std::string longer = write("long.pid", std::string(100, '7'));
  CHECK(SignalPid(longer, "", &pid) == "pid file \"" + longer + "\" does not hold a pid: \"" +
                                           std::string(32, '7') + "\"...");
  if (::geteuid() != 0) {
    const std::string locked = write("locked.pid", "1");
    fs::permissions(locked, fs::perms::none);
    CHECK(SignalPid(locked, "", &pid) == "unable to read pid file \"" + locked + "\": permission denied");
  }

  // The binary: the message on its own line, exit 1.
  std::string out;
  CHECK(runGnatsd(t, {"--signal", "reload=" + missing}, &out) == 1);
  CHECK(out == missingErr + "\n");
  CHECK(runGnatsd(t, {"-P", missing, "--signal", "reload"}, &out) == 1);
  CHECK(out == missingErr + "\n");
  CHECK(runGnatsd(t, {"-sl", "reopen=" + junk}, &out) == 1);
  CHECK(out == "pid file \"" + junk + "\" does not hold a pid: \"gnatsd\"\n");
}

namespace {
// The client port a gnatsd child started with -p -1 logged.
int listenPort(const GnatsdChild& g) {
  std::smatch m;
  const std::string log = readFile(g.log());
  INFO("log: " << log);
  REQUIRE(std::regex_search(log, m, std::regex(R"(Listening for client connections on 127\.0\.0\.1:(\d+)\n)")));
  return std::stoi(m[1]);
}
}  // namespace

TEST_CASE("TestSignalTermProcess", "[signal]") {
  // C++ only: SIGTERM, sent by pid as systemd's stop does, shuts down
  // gracefully like SIGINT: clients closed, pid file removed, exit status 0
  // (1.0.0 did not handle SIGTERM: the default action killed it).
  TempDir t;
  const std::string pidFile = t.file("gnatsd.pid");
  GnatsdChild g(t, "term", {"-D", "-P", pidFile});
  g.waitReady();
  Conn c = createClientConn("127.0.0.1", listenPort(g));
  checkInfoMsg(c);
  REQUIRE(checkFor(10s, 10ms, [&] { return readFile(g.log()).find("Client connection created") != std::string::npos; }));
  REQUIRE(readFile(pidFile) == g.pidStr());
  REQUIRE(::kill(g.pid(), SIGTERM) == 0);
  auto st = g.proc().wait(20s);
  const std::string log = readFile(g.log());
  INFO("log: " << log << "\noutput: " << g.output());
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  CHECK_THAT(log, Catch::Contains("[DBG] Trapped \"terminated\" signal\n"));
  CHECK_THAT(log, Catch::Contains("[INF] Server Exiting..\n"));
  // The server closed the client itself (a kill would leave no such line).
  CHECK_THAT(log, Catch::Contains(" - cid:1 - Client connection closed\n"));
  CHECK(c.waitClosed(5s));
  CHECK_FALSE(fs::exists(pidFile));
}

TEST_CASE("TestSignalReloadKeepsFlags", "[signal]") {
  // C++ only, through the binary: -D on the command line beats the file's
  // `debug: false` at start and after a SIGHUP reload.
  TempDir t;
  const std::string cfg = t.file("gnatsd.conf");
  auto write = [&](const std::string& text) {
    std::ofstream(cfg + ".new", std::ios::trunc) << text;
    REQUIRE(::rename((cfg + ".new").c_str(), cfg.c_str()) == 0);
  };
  write("debug: false\n");
  GnatsdChild g(t, "flags", {"-c", cfg, "-D"});
  g.waitReady();
  REQUIRE_THAT(readFile(g.log()), Catch::Contains("[DBG] Server id is "));
  write("debug: false\nmax_payload: 2048\n");
  REQUIRE(::kill(g.pid(), SIGHUP) == 0);
  const std::string reloaded = "[INF] Reloaded server configuration\n";
  const bool done = checkFor(20s, 10ms, [&] { return readFile(g.log()).find(reloaded) != std::string::npos; });
  INFO("log: " << readFile(g.log()) << "\noutput: " << g.output());
  REQUIRE(done);
  CHECK_THAT(readFile(g.log()), Catch::Contains("[INF] Reloaded: max_payload = 2048\n"));
  CHECK_THAT(readFile(g.log()), !Catch::Contains("Reloaded: debug"));
  // Debug lines go on after the reload.
  Conn c = createClientConn("127.0.0.1", listenPort(g));
  checkInfoMsg(c);
  const bool debug = checkFor(10s, 10ms, [&] {
    const std::string log = readFile(g.log());
    const size_t at = log.find(reloaded);
    return at != std::string::npos && log.find("[DBG] ", at) != std::string::npos &&
           log.find("Client connection created", at) != std::string::npos;
  });
  CHECK(debug);
  CHECK(ProcessSignal(CommandQuit, g.pidStr()) == "");
  auto st = g.proc().wait(20s);
  REQUIRE(st);
  CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 0));
}

TEST_CASE("TestSignalQuitDumpsThreads", "[signal]") {
  // C++ only: SIGQUIT does what Go's runtime did to gnatsd 1.0.0: a dump
  // to stderr (here the thread list of /stacksz, not goroutine stacks),
  // then exit status 2 at once, with no shutdown (the pid file stays).
  TempDir t;
  const std::string pidFile = t.file("gnatsd.pid");
  GnatsdChild g(t, "sigquit", {"-D", "-P", pidFile});
  g.waitReady();
  const int port = listenPort(g);
  // A thread names itself once it runs, which may be after "Server is ready"
  // (slow under TSan): wait for the names the dump is checked for.
  const std::string acceptName = "accept:" + std::to_string(port);
  REQUIRE(checkFor(10s, 10ms, [&] { return hasThread(g.pidStr(), acceptName) && hasThread(g.pidStr(), "signal"); }));
  REQUIRE(::kill(g.pid(), SIGQUIT) == 0);
  auto st = g.proc().wait(20s);
  const std::string out = g.output(), log = readFile(g.log());
  INFO("stderr: " << out << "\nlog: " << log);
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 2);
  CHECK_THAT(out, Catch::StartsWith("SIGQUIT: quit\n\ngnatsd-cpp "));
  CHECK(std::regex_search(out, std::regex(R"(\nthread \d+ \[.\]: signal \(writing this dump\)\n)")));
  CHECK(std::regex_search(out, std::regex(R"(\nthread \d+ \[.\]: accept:)" + std::to_string(port) + "\n")));
  CHECK_THAT(log, !Catch::Contains("Server Exiting"));
  CHECK_THAT(log, !Catch::Contains("Trapped"));
  CHECK(readFile(pidFile) == g.pidStr());
}
