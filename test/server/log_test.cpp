// Go: server/log_test.go (gnatsd v1.0.0)
// The server's logging front: SetLogger and the level switches,
// ReOpenLogFile, and ConfigureLogger's choice of back end.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <mutex>
#include <regex>
#include <string>

#include "server/logger/log.h"
#include "test/helpers/child_process.h"
#include "test/helpers/test_server.h"

using namespace gnatsd::test;
namespace fs = std::filesystem;

namespace {
// Keeps the last message and the level it came in at.
class DummyLogger : public gnatsd::logger::Logger {
 public:
  void Notice(std::string_view m) override { set("notice", m); }
  void Error(std::string_view m) override { set("error", m); }
  void Fatal(std::string_view m) override { set("fatal", m); }
  void Debug(std::string_view m) override { set("debug", m); }
  void Trace(std::string_view m) override { set("trace", m); }
  std::string msg() {
    std::lock_guard<std::mutex> l(mu_);
    return msg_;
  }
  std::string level() {
    std::lock_guard<std::mutex> l(mu_);
    return level_;
  }
  void clear() {
    std::lock_guard<std::mutex> l(mu_);
    msg_.clear();
    level_.clear();
  }

 private:
  void set(const char* level, std::string_view m) {
    std::lock_guard<std::mutex> l(mu_);
    level_ = level;
    msg_ = std::string(m);
  }
  std::mutex mu_;
  std::string msg_, level_;
};
}  // namespace

TEST_CASE("TestSetLogger", "[log]") {
  auto server = Server::New(DefaultTestOptions());
  auto dl = std::make_shared<DummyLogger>();
  server->SetLogger(dl, true, true);
  CHECK(server->debugEnabled());
  CHECK(server->traceEnabled());

  server->Noticef("This is a Notice");
  CHECK(dl->msg() == "This is a Notice");
  CHECK(dl->level() == "notice");
  server->Errorf("This is an Error");
  CHECK(dl->msg() == "This is an Error");
  CHECK(dl->level() == "error");
  // Fatalf only logs: the caller decides how to stop.
  server->Fatalf("This is a Fatal");
  CHECK(dl->msg() == "This is a Fatal");
  CHECK(dl->level() == "fatal");
  server->Debugf("This is a Debug");
  CHECK(dl->msg() == "This is a Debug");
  CHECK(dl->level() == "debug");
  server->Tracef("This is a Trace");
  CHECK(dl->msg() == "This is a Trace");
  CHECK(dl->level() == "trace");
  // printf formatting, including a message longer than the stack buffer.
  const std::string big(2000, 'x');
  server->Noticef("%s-%d", big.c_str(), 42);
  CHECK(dl->msg() == big + "-42");

  // Back to off: debug and trace produce nothing.
  server->SetLogger(dl, false, false);
  CHECK_FALSE(server->debugEnabled());
  CHECK_FALSE(server->traceEnabled());
  dl->clear();
  server->Debugf("This Debug should not be traced");
  CHECK(dl->msg() == "");
  server->Tracef("This Trace should not be traced");
  CHECK(dl->msg() == "");

  // No logger at all: logging is a no-op.
  server->SetLogger(nullptr, false, false);
  server->Noticef("nobody hears this");
  CHECK(dl->msg() == "");
}

TEST_CASE("TestReOpenLogFile", "[log]") {
  {
    // No logger, then a logger but no log file configured.
    auto s = Server::New(DefaultTestOptions());
    s->SetLogger(nullptr, false, false);
    s->ReOpenLogFile();
    auto dl = std::make_shared<DummyLogger>();
    s->SetLogger(dl, false, false);
    s->ReOpenLogFile();
    CHECK(dl->msg() == "File log re-open ignored, not a file logger");
    CHECK(dl->level() == "notice");
  }

  TempDir t;
  Options opts = DefaultTestOptions();
  opts.LogFile = t.file("test.log");
  const std::string bak = opts.LogFile + ".bak";
  auto s = Server::New(opts);
  auto fileLog = std::make_shared<gnatsd::logger::FileLogger>(opts.LogFile, opts.Logtime, opts.Debug, opts.Trace, true);
  s->SetLogger(fileLog, false, false);
  fileLog.reset();
  s->Noticef("This is a Notice");
  const std::string pid = "[" + std::to_string(::getpid()) + "] ";
  CHECK(readFile(opts.LogFile) == pid + "[INF] This is a Notice\n");

  // Rotated away: the re-open starts a new file at the configured path.
  REQUIRE(::rename(opts.LogFile.c_str(), bak.c_str()) == 0);
  s->ReOpenLogFile();
  CHECK(readFile(opts.LogFile) == pid + "[INF] File log re-opened\n");
  s->Noticef("New message");
  CHECK(readFile(opts.LogFile) == pid + "[INF] File log re-opened\n" + pid + "[INF] New message\n");
  // The old file got nothing more.
  CHECK(readFile(bak) == pid + "[INF] This is a Notice\n");
  s->SetLogger(nullptr, false, false);
}

// Not in Go: a re-open that cannot open the file keeps the old logger and
// reports the error through it.
TEST_CASE("TestReOpenLogFileFailureKeepsLogger", "[log]") {
  TempDir t;
  Options opts = DefaultTestOptions();
  const fs::path dir = t.path() / "logs";
  fs::create_directory(dir);
  opts.LogFile = (dir / "test.log").string();
  auto s = Server::New(opts);
  auto dl = std::make_shared<DummyLogger>();
  s->SetLogger(dl, false, false);
  fs::remove_all(dir);
  s->ReOpenLogFile();
  CHECK(dl->level() == "error");
  CHECK_THAT(dl->msg(), Catch::StartsWith("error opening file: open " + opts.LogFile + ": "));
  s->Noticef("still here");
  CHECK(dl->msg() == "still here");
}

// Not in Go: ConfigureLogger picks log_file over remote_syslog over the
// rest, and NoLog leaves the server without a logger.
TEST_CASE("TestConfigureLoggerBackends", "[log]") {
  TempDir t;
  // A UDP receiver for the remote syslog case.
  const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(udp >= 0);
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } closeUdp{udp};
  struct sockaddr_in sa {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(udp, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(udp, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  const std::string syslogURL = "udp://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));

  {
    Options opts = DefaultTestOptions();
    opts.NoLog = false;
    opts.LogFile = t.file("pick.log");
    opts.RemoteSyslog = syslogURL;
    opts.Debug = true;
    auto s = Server::New(opts);
    s->ConfigureLogger();
    CHECK(s->debugEnabled());
    CHECK_FALSE(s->traceEnabled());
    s->Debugf("to the file");
    s->Tracef("not traced");
    CHECK(readFile(opts.LogFile) == "[" + std::to_string(::getpid()) + "] [DBG] to the file\n");
  }
  {
    Options opts = DefaultTestOptions();
    opts.NoLog = false;
    opts.RemoteSyslog = syslogURL;
    opts.Trace = true;
    auto s = Server::New(opts);
    s->ConfigureLogger();
    CHECK(s->traceEnabled());
    s->Tracef("to syslog");
    struct pollfd p = {udp, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    char buf[2048];
    const ssize_t n = ::recv(udp, buf, sizeof buf, 0);
    REQUIRE(n > 0);
    const std::string line(buf, static_cast<size_t>(n));
    INFO("syslog line: " << line);
    CHECK(line.rfind("<5>", 0) == 0);
    CHECK_THAT(line, Catch::EndsWith("[" + std::to_string(::getpid()) + "]: to syslog\n"));
  }
  {
    // NoLog: ConfigureLogger does nothing, and logging goes nowhere.
    auto s = Server::New(DefaultTestOptions());
    s->ConfigureLogger();
    CHECK_FALSE(s->debugEnabled());
    s->Noticef("nowhere");
  }
  {
    Options opts = DefaultTestOptions();
    opts.NoLog = false;
    opts.LogFile = t.file("no/such/dir.log");
    auto s = Server::New(opts);
    CHECK_THROWS_WITH(s->ConfigureLogger(), Catch::StartsWith("error opening file: open " + opts.LogFile + ": "));
  }
}

namespace {
// Runs `gnatsd -a 127.0.0.1 -p -1 -DV` with stdout and stderr on `out`
// until it is ready, makes one client connect (debug and trace lines), then
// stops it with SIGINT. `read` returns what `out` holds so far.
void runAndStop(const std::string& out, const std::function<std::string()>& read) {
  ChildProcess p(gnatsdBinary(), "gnatsd", {"-a", "127.0.0.1", "-p", "-1", "-DV"}, out);
  std::smatch m;
  const std::regex listening(R"(Listening for client connections on 127\.0\.0\.1:(\d+)\r?\n)");
  std::string text;
  const bool ready = checkFor(20s, 10ms, [&] {
    text = read();
    return text.find("Server is ready") != std::string::npos;
  });
  INFO("output: " << text);
  REQUIRE(ready);
  REQUIRE(std::regex_search(text, m, listening));
  {
    Conn c = createClientConn("127.0.0.1", std::stoi(m[1]));
    checkInfoMsg(c);
    sendProto(c, "CONNECT {}\r\nPING\r\n");
    expectResult(c, pongRe);
  }
  // A trace label, coloured or not.
  REQUIRE(checkFor(10s, 10ms, [&] { return read().find("TRC") != std::string::npos; }));
  REQUIRE(::kill(p.pid(), SIGINT) == 0);
  auto st = p.wait(20s);
  REQUIRE(st);
  CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 0));
}
}  // namespace

// Not in Go: gnatsd colours its labels only when stderr is a terminal. The
// binary with stderr on a file writes no escape sequence; on a pseudo
// terminal it colours them.
TEST_CASE("TestStderrLogColorsOnlyOnTerminal", "[log]") {
  TempDir t;
  const std::string file = t.file("stderr.log");
  runAndStop(file, [&] { return readFile(file); });
  const std::string out = readFile(file);
  INFO("stderr: " << out);
  CHECK(out.find("\x1b[") == std::string::npos);
  CHECK_THAT(out, Catch::Contains(" [INF] Server is ready\n"));
  CHECK_THAT(out, Catch::Contains(" [DBG] "));
  CHECK_THAT(out, Catch::Contains(" [TRC] "));

  // The same on a terminal (when this machine has pseudo terminals).
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    if (master >= 0) ::close(master);
    WARN("no pseudo terminal here: the coloured case is not checked");
    return;
  }
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } closeMaster{master};
  char name[128];
  REQUIRE(::ptsname_r(master, name, sizeof name) == 0);
  std::string tty;
  // The child's output is read as it comes, so that it never blocks on a
  // full terminal.
  runAndStop(name, [&] {
    struct pollfd p = {master, POLLIN, 0};
    while (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
      char buf[4096];
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      tty.append(buf, static_cast<size_t>(n));
    }
    return tty;
  });
  INFO("terminal: " << tty);
  CHECK_THAT(tty, Catch::Contains("[\x1b[32mINF\x1b[0m] Server is ready"));
  CHECK_THAT(tty, Catch::Contains("[\x1b[36mDBG\x1b[0m] "));
  CHECK_THAT(tty, Catch::Contains("[\x1b[33mTRC\x1b[0m] "));
}
