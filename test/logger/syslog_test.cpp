// Go: logger/syslog_test.go (gnatsd v1.0.0)
// Local syslog (through syslog(3)) and remote syslog over UDP, TCP and a
// unix socket: line format, severities, tag.
//
// No <syslog.h> here: this file defines openlog/syslog/closelog itself (see
// below), and the header's declarations could clash with those definitions.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "server/logger/log.h"
#include "test/helpers/child_process.h"
#include "test/helpers/test_server.h"

using gnatsd::logger::GetSysLoggerTag;
using gnatsd::logger::RemoteSysLogger;
using gnatsd::logger::SysLogger;
using namespace gnatsd::test;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// A seam for the local syslog: the test binary defines openlog, syslog and
// closelog, so the logger's calls land here (the executable's definitions
// win over libc's). While a test has armed the capture, calls are recorded
// and not passed on; otherwise they go to the C library as usual.
namespace {
// Values from <syslog.h> (Linux ABI).
constexpr int kLogCrit = 2, kLogErr = 3, kLogNotice = 5, kLogDebug = 7;
constexpr int kLogPid = 0x01, kLogDaemon = 3 << 3;

struct SyslogCapture {
  int opens = 0, closes = 0;
  std::string ident;
  int option = -1, facility = -1;
  std::vector<std::pair<int, std::string>> messages;  // (priority, text)
};
std::mutex captureMu;
SyslogCapture* capture = nullptr;

// Arms the capture for its lifetime.
struct CaptureScope {
  SyslogCapture c;
  CaptureScope() {
    std::lock_guard<std::mutex> l(captureMu);
    capture = &c;
  }
  ~CaptureScope() {
    std::lock_guard<std::mutex> l(captureMu);
    capture = nullptr;
  }
  SyslogCapture snapshot() {
    std::lock_guard<std::mutex> l(captureMu);
    return c;
  }
};

template <typename Fn>
Fn realFn(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

bool captureMessage(int pri, const char* fmt, va_list ap) {
  std::lock_guard<std::mutex> l(captureMu);
  if (!capture) return false;
  va_list ap2;
  va_copy(ap2, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, ap2);
  va_end(ap2);
  std::string text(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(text.data(), text.size() + 1, fmt, ap);
  capture->messages.emplace_back(pri, std::move(text));
  return true;
}
}  // namespace

extern "C" {
void openlog(const char* ident, int option, int facility) {
  {
    std::lock_guard<std::mutex> l(captureMu);
    if (capture) {
      ++capture->opens;
      capture->ident = ident ? ident : "";
      capture->option = option;
      capture->facility = facility;
      return;
    }
  }
  static auto real = realFn<void (*)(const char*, int, int)>("openlog");
  if (real) real(ident, option, facility);
}

void closelog(void) {
  {
    std::lock_guard<std::mutex> l(captureMu);
    if (capture) {
      ++capture->closes;
      return;
    }
  }
  static auto real = realFn<void (*)()>("closelog");
  if (real) real();
}

void syslog(int pri, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (!captureMessage(pri, fmt, ap)) {
    static auto real = realFn<void (*)(int, const char*, va_list)>("vsyslog");
    if (real) real(pri, fmt, ap);
  }
  va_end(ap);
}

// What syslog() becomes with _FORTIFY_SOURCE.
void __syslog_chk(int pri, int flag, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (!captureMessage(pri, fmt, ap)) {
    static auto real = realFn<void (*)(int, int, const char*, va_list)>("__vsyslog_chk");
    if (real) real(pri, flag, fmt, ap);
  }
  va_end(ap);
}
}  // extern "C"

// ---------------------------------------------------------------------------
// Remote syslog receivers on 127.0.0.1 or a unix socket.
namespace {
struct FdCloser {
  int fd = -1;
  explicit FdCloser(int f) : fd(f) {}
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
};

bool readable(int fd, std::chrono::milliseconds timeout) {
  struct pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

int boundPort(int fd) {
  struct sockaddr_in sa {};
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  return ntohs(sa.sin_port);
}

void bindLoopback(int fd) {
  struct sockaddr_in sa {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
}

// A UDP syslog server (Go: startServer).
class UdpSyslog {
 public:
  UdpSyslog() : sock_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(sock_.fd >= 0);
    bindLoopback(sock_.fd);
    url_ = "udp://127.0.0.1:" + std::to_string(boundPort(sock_.fd));
  }
  const std::string& url() const { return url_; }
  // The next datagram, or "" if none arrives within timeout.
  std::string next(std::chrono::milliseconds timeout = 5s) {
    if (!readable(sock_.fd, timeout)) return "";
    char buf[4096];
    const ssize_t n = ::recv(sock_.fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  FdCloser sock_;
  std::string url_;
};

// A stream syslog server (TCP on loopback, or a unix socket): accepts one
// connection and splits what arrives into lines.
class StreamSyslog {
 public:
  explicit StreamSyslog(const std::string& unixPath = "")
      : sock_(::socket(unixPath.empty() ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(sock_.fd >= 0);
    if (unixPath.empty()) {
      bindLoopback(sock_.fd);
      url_ = "tcp://127.0.0.1:" + std::to_string(boundPort(sock_.fd));
    } else {
      struct sockaddr_un sa {};
      sa.sun_family = AF_UNIX;
      REQUIRE(unixPath.size() < sizeof sa.sun_path);
      std::memcpy(sa.sun_path, unixPath.c_str(), unixPath.size());
      REQUIRE(::bind(sock_.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
      url_ = "unix://" + unixPath;
    }
    REQUIRE(::listen(sock_.fd, 4) == 0);
  }
  const std::string& url() const { return url_; }
  // The next complete line (with its newline), or "" after timeout.
  std::string nextLine(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl + 1);
        buf_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      if (conn_ < 0) {
        if (!readable(sock_.fd, left)) return "";
        conn_ = ::accept4(sock_.fd, nullptr, nullptr, SOCK_CLOEXEC);
        REQUIRE(conn_ >= 0);
        connCloser_ = std::make_unique<FdCloser>(conn_);
        continue;
      }
      if (!readable(conn_, left)) return "";
      char b[4096];
      const ssize_t n = ::recv(conn_, b, sizeof b, 0);
      if (n <= 0) return "";
      buf_.append(b, static_cast<size_t>(n));
    }
  }

 private:
  FdCloser sock_;
  int conn_ = -1;
  std::unique_ptr<FdCloser> connCloser_;
  std::string url_, buf_;
};

std::string hostName() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return host;
}

// One remote syslog line: "<pri>timestamp host tag[pid]: message\n".
struct SyslogLine {
  int pri = -1;
  std::string timestamp, host, tag, pid, msg;
};

std::optional<SyslogLine> parseLine(const std::string& line) {
  static const std::regex re(R"(<(\d+)>(\S+) (\S+) (.+)\[(\d+)\]: ([^\n]*)\n)");
  std::smatch m;
  if (!std::regex_match(line, m, re)) return std::nullopt;
  SyslogLine l;
  l.pri = std::stoi(m[1].str());
  l.timestamp = m[2].str();
  l.host = m[3].str();
  l.tag = m[4].str();
  l.pid = m[5].str();
  l.msg = m[6].str();
  return l;
}

// Go: expectSyslogOutput. The part after "]: " is the message, and the
// header is this process's: our host name, tag and pid, at severity `pri`.
void expectSyslogOutput(const std::string& line, int pri, const std::string& expected) {
  INFO("syslog line: " << line);
  auto l = parseLine(line);
  REQUIRE(l);
  CHECK(l->pri == pri);
  CHECK(l->host == hostName());
  CHECK(l->tag == GetSysLoggerTag());
  CHECK(l->pid == std::to_string(::getpid()));
  CHECK(l->msg + "\n" == expected);
}

// Go's time.RFC3339, in local time: 2006-01-02T15:04:05Z07:00.
bool isRecentRFC3339(const std::string& ts) {
  static const std::regex re(R"((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z|([+-])(\d{2}):(\d{2})))");
  std::smatch m;
  if (!std::regex_match(ts, m, re)) return false;
  struct tm tm {};
  if (!::strptime(m[1].str().c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return false;
  long offset = 0;
  if (m[2].str() != "Z") {
    offset = std::stol(m[4].str()) * 3600 + std::stol(m[5].str()) * 60;
    if (m[3].str() == "-") offset = -offset;
  }
  const std::time_t utc = ::timegm(&tm) - offset;
  const std::time_t now = std::time(nullptr);
  return utc >= now - 60 && utc <= now + 60;
}
}  // namespace

// ---------------------------------------------------------------------------
// Local syslog.

TEST_CASE("TestSysLogger", "[logger][syslog]") {
  struct stat st {};
  if (::stat("/dev/log", &st) != 0) {
    WARN("no /dev/log on this machine: delivery to a syslog daemon is not tested; "
         "the syslog(3) calls are checked through the capture seam");
  } else {
    WARN("delivery to the local syslog daemon is not checked (its log cannot be read back); "
         "the syslog(3) calls are checked through the capture seam");
  }
  CaptureScope cap;
  {
    SysLogger logger(false, false);
    logger.Notice("notice");
    logger.Debug("debug is off");
    logger.Trace("trace is off");
  }
  const SyslogCapture c = cap.snapshot();
  // Opened once with the program's tag, the pid, facility daemon.
  CHECK(c.opens == 1);
  CHECK(c.ident == GetSysLoggerTag());
  CHECK(c.option == kLogPid);
  CHECK(c.facility == kLogDaemon);
  CHECK(c.closes == 1);
  using Msgs = std::vector<std::pair<int, std::string>>;
  CHECK(c.messages == Msgs{{kLogNotice, "notice"}});
}

TEST_CASE("TestSysLoggerWithDebugAndTrace", "[logger][syslog]") {
  CaptureScope cap;
  {
    SysLogger logger(true, true);
    logger.Notice("n");
    logger.Error("e");
    logger.Fatal("f");
    logger.Debug("d");
    logger.Trace("t");
    // The text is a message, not a format.
    logger.Notice("100% %s %n");
  }
  const SyslogCapture c = cap.snapshot();
  using Msgs = std::vector<std::pair<int, std::string>>;
  // Traces go out at notice, fatal at crit (as in gnatsd).
  CHECK(c.messages == Msgs{{kLogNotice, "n"},
                           {kLogErr, "e"},
                           {kLogCrit, "f"},
                           {kLogDebug, "d"},
                           {kLogNotice, "t"},
                           {kLogNotice, "100% %s %n"}});
}

// ---------------------------------------------------------------------------
// The tag is the basename of argv[0]: checked on real gnatsd processes
// started with different argv[0]s, through the remote syslog lines they send.
namespace {
struct TaggedChild {
  UdpSyslog udp;
  std::unique_ptr<ChildProcess> child;
};

std::map<std::string, std::string> tagsSeen(const TempDir& t, const std::vector<std::string>& argv0s) {
  std::vector<std::unique_ptr<TaggedChild>> kids;
  for (const auto& a : argv0s) {
    auto k = std::make_unique<TaggedChild>();
    k->child = std::make_unique<ChildProcess>(
        gnatsdBinary(), a, std::vector<std::string>{"-a", "127.0.0.1", "-p", "-1", "-r", k->udp.url()},
        t.file("children.out"));
    kids.push_back(std::move(k));
  }
  std::map<std::string, std::string> tags;
  for (size_t i = 0; i < kids.size(); ++i) {
    const std::string line = kids[i]->udp.next(20s);
    INFO("argv[0] " << argv0s[i] << ", first syslog line: " << line << "\nchildren's output: "
                    << readFile(t.file("children.out")));
    auto l = parseLine(line);
    REQUIRE(l);
    CHECK(l->pid == std::to_string(kids[i]->child->pid()));
    CHECK(l->pri == kLogNotice);
    tags[argv0s[i]] = l->tag;
  }
  return tags;
}
}  // namespace

TEST_CASE("TestSysLoggerTagGen", "[logger][syslog]") {
  TempDir t;
  const std::map<std::string, std::string> expected = {
      {"gnatsd", "gnatsd"},
      {"./gnatsd", "gnatsd"},
      {"home/bin/gnatsd", "gnatsd"},
      {"../../gnatsd", "gnatsd"},
      {"gnatsd.service1", "gnatsd.service1"},
      {"gnatsd_service1", "gnatsd_service1"},
      {"gnatsd-service1", "gnatsd-service1"},
      {"gnatsd service1", "gnatsd service1"},
  };
  std::vector<std::string> argv0s;
  for (const auto& [a, tag] : expected) argv0s.push_back(a);
  CHECK(tagsSeen(t, argv0s) == expected);
}

TEST_CASE("TestSysLoggerTag", "[logger][syslog]") {
  TempDir t;
  auto tags = tagsSeen(t, {"ServerLoggerTag"});
  CHECK(tags["ServerLoggerTag"] == "ServerLoggerTag");
  // In this process, the tag is the test program's name.
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), true, true);
  logger.Notice("foo");
  const std::string line = udp.next();
  INFO("syslog line: " << line);
  CHECK(line.find(GetSysLoggerTag() + "[" + std::to_string(::getpid()) + "]: foo\n") != std::string::npos);
  CHECK(GetSysLoggerTag() == "server_tests");
}

// ---------------------------------------------------------------------------
// Remote syslog. A "nothing sent" check logs a notice afterwards: over one
// socket datagrams arrive in order, so the notice must come first.

TEST_CASE("TestRemoteSysLogger", "[logger][syslog]") {
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), true, true);
  logger.Debug("debug on");
  logger.Trace("trace on");
  expectSyslogOutput(udp.next(), kLogDebug, "debug on\n");
  expectSyslogOutput(udp.next(), kLogNotice, "trace on\n");
}

TEST_CASE("TestRemoteSysLoggerNotice", "[logger][syslog]") {
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), true, true);
  logger.Notice("foo bar");
  const std::string line = udp.next();
  expectSyslogOutput(line, kLogNotice, "foo bar\n");
  auto l = parseLine(line);
  REQUIRE(l);
  INFO("timestamp " << l->timestamp);
  CHECK(isRecentRFC3339(l->timestamp));
}

TEST_CASE("TestRemoteSysLoggerDebug", "[logger][syslog]") {
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), true, true);
  logger.Debug("foo qux");
  expectSyslogOutput(udp.next(), kLogDebug, "foo qux\n");
}

TEST_CASE("TestRemoteSysLoggerDebugDisabled", "[logger][syslog]") {
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), false, false);
  logger.Debug("foo qux");
  logger.Notice("after");
  expectSyslogOutput(udp.next(), kLogNotice, "after\n");
}

TEST_CASE("TestRemoteSysLoggerTrace", "[logger][syslog]") {
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), true, true);
  logger.Trace("foo qux");
  expectSyslogOutput(udp.next(), kLogNotice, "foo qux\n");
}

TEST_CASE("TestRemoteSysLoggerTraceDisabled", "[logger][syslog]") {
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), true, false);
  logger.Trace("foo qux");
  logger.Debug("after");
  expectSyslogOutput(udp.next(), kLogDebug, "after\n");
}

// Not in Go: errors and fatals, with no facility bits (gnatsd dials with
// LOG_DEBUG, facility kern).
TEST_CASE("TestRemoteSysLoggerErrorAndFatal", "[logger][syslog]") {
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), false, false);
  logger.Error("an error");
  logger.Fatal("a fatal");
  expectSyslogOutput(udp.next(), kLogErr, "an error\n");
  expectSyslogOutput(udp.next(), kLogCrit, "a fatal\n");
}

// Not in Go: the timestamp is Go's time.RFC3339 of the local time, so with
// a zone two hours east of UTC it ends in +02:00.
TEST_CASE("TestRemoteSysLoggerLocalTimestamp", "[logger][syslog]") {
  struct RestoreTZ {
    std::optional<std::string> old;
    RestoreTZ() {
      if (const char* v = std::getenv("TZ")) old = v;
    }
    ~RestoreTZ() {
      if (old) ::setenv("TZ", old->c_str(), 1);
      else ::unsetenv("TZ");
      ::tzset();
    }
  } restore;
  ::setenv("TZ", "XST-2", 1);  // POSIX form: no tz database needed
  ::tzset();
  UdpSyslog udp;
  RemoteSysLogger logger(udp.url(), false, false);
  logger.Notice("zoned");
  const std::string line = udp.next();
  INFO("syslog line: " << line);
  auto l = parseLine(line);
  REQUIRE(l);
  CHECK_THAT(l->timestamp, Catch::EndsWith("+02:00"));
  CHECK(isRecentRFC3339(l->timestamp));

  ::setenv("TZ", "UTC0", 1);
  ::tzset();
  logger.Notice("utc");
  const std::string line2 = udp.next();
  INFO("syslog line: " << line2);
  auto l2 = parseLine(line2);
  REQUIRE(l2);
  CHECK_THAT(l2->timestamp, Catch::EndsWith("Z"));
  CHECK(isRecentRFC3339(l2->timestamp));
}

// Go: TestGetNetworkAndAddr{UDP,TCP,Unix} check the URL split; here the
// split is checked by where the lines arrive.
TEST_CASE("TestGetNetworkAndAddrUDP", "[logger][syslog]") {
  UdpSyslog udp;
  // A path after the address is not part of it.
  RemoteSysLogger logger(udp.url() + "/ignored", false, false);
  logger.Notice("over udp");
  expectSyslogOutput(udp.next(), kLogNotice, "over udp\n");
}

TEST_CASE("TestGetNetworkAndAddrTCP", "[logger][syslog]") {
  StreamSyslog tcp;
  RemoteSysLogger logger(tcp.url(), true, false);
  logger.Notice("over tcp");
  logger.Debug("second line");
  expectSyslogOutput(tcp.nextLine(), kLogNotice, "over tcp\n");
  expectSyslogOutput(tcp.nextLine(), kLogDebug, "second line\n");
}

// unix:// is Go's net.Dial("unix", path): a stream socket.
TEST_CASE("TestGetNetworkAndAddrUnix", "[logger][syslog]") {
  TempDir t;
  StreamSyslog sock(t.file("syslog.sock"));
  REQUIRE(sock.url() == "unix://" + t.file("syslog.sock"));  // unix:///tmp/...
  RemoteSysLogger logger(sock.url(), false, false);
  logger.Notice("over a unix socket");
  logger.Error("and again");
  expectSyslogOutput(sock.nextLine(), kLogNotice, "over a unix socket\n");
  expectSyslogOutput(sock.nextLine(), kLogErr, "and again\n");
}

// Not in Go (there these are fatal): bad URLs and refused connections.
TEST_CASE("TestRemoteSysLoggerBadAddress", "[logger][syslog]") {
  try {
    RemoteSysLogger logger("foo://127.0.0.1:1000", false, false);
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "error invalid network type: \"foo\"");
  }
  TempDir t;
  const std::string missing = t.file("nobody.sock");
  try {
    RemoteSysLogger logger("unix://" + missing, false, false);
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("error connecting to syslog: \"dial unix " + missing + ": "));
  }
  // A TCP port nobody listens on: bind one, then close it.
  int port;
  {
    FdCloser s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    bindLoopback(s.fd);
    port = boundPort(s.fd);
  }
  try {
    RemoteSysLogger logger("tcp://127.0.0.1:" + std::to_string(port), false, false);
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(),
               Catch::StartsWith("error connecting to syslog: \"dial tcp 127.0.0.1:" + std::to_string(port) + ": "));
  }
}
