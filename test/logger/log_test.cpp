// Go: logger/log_test.go (gnatsd v1.0.0)
// The stderr and file loggers: labels, colours, pid prefix and timestamps.
#include "server/logger/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>

#include "test/helpers/child_process.h"

using gnatsd::logger::FileLogger;
using gnatsd::test::readFile;
using gnatsd::test::TempDir;
using gnatsd::logger::StdLogger;
namespace fs = std::filesystem;

namespace {
// Runs fn with file descriptor 2 pointing at a scratch file and returns what
// was written to it (Go's expectOutput swaps os.Stderr for a pipe).
std::string captureStderr(const std::function<void()>& fn) {
  TempDir t;
  const fs::path out = t.path() / "stderr";
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  REQUIRE(saved >= 0);
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::dup2(fd, STDERR_FILENO) == STDERR_FILENO);
  ::close(fd);
  struct Restore {
    int saved;
    ~Restore() {
      std::fflush(stderr);
      ::dup2(saved, STDERR_FILENO);
      ::close(saved);
    }
  };
  {
    Restore r{saved};
    fn();
  }
  return readFile(out);
}

// "YYYY/MM/DD HH:MM:SS.micro " as local time; true when it is within a
// minute of now.
bool isRecentLocalTime(const std::string& stamp) {
  struct tm tm {};
  if (!::strptime(stamp.c_str(), "%Y/%m/%d %H:%M:%S", &tm)) return false;
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  const std::time_t now = std::time(nullptr);
  return t != -1 && t <= now + 60 && t >= now - 60;
}

// Appends, not "[" + std::to_string(...): GCC 12's bogus -Wrestrict at -O3.
const std::string kPidPrefix = std::string("[").append(std::to_string(::getpid())).append("] ");
}  // namespace

// Go checks the log package's flags; here the same settings are checked by
// what they produce: no timestamp, no pid, debug and trace off.
TEST_CASE("TestStdLogger", "[logger]") {
  const std::string out = captureStderr([] {
    StdLogger logger(false, false, false, false, false);
    logger.Notice("plain");
    logger.Debug("no debug");
    logger.Trace("no trace");
  });
  CHECK(out == "[INF] plain\n");
}

TEST_CASE("TestStdLoggerWithDebugTraceAndTime", "[logger]") {
  const std::string out = captureStderr([] {
    StdLogger logger(true, true, true, false, false);
    logger.Debug("with debug");
    logger.Trace("with trace");
  });
  INFO("output: " << out);
  // Go's log.LstdFlags|log.Lmicroseconds: local date, time and microseconds.
  static const std::regex lineRe(
      R"((\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})\.\d{6} \[DBG\] with debug\n)"
      R"((\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})\.\d{6} \[TRC\] with trace\n)");
  std::smatch m;
  REQUIRE(std::regex_match(out, m, lineRe));
  CHECK(isRecentLocalTime(m[1].str()));
  CHECK(isRecentLocalTime(m[2].str()));
}

TEST_CASE("TestStdLoggerNotice", "[logger]") {
  CHECK(captureStderr([] {
          StdLogger logger(false, false, false, false, false);
          logger.Notice("foo");
        }) == "[INF] foo\n");
}

TEST_CASE("TestStdLoggerNoticeWithColor", "[logger]") {
  CHECK(captureStderr([] {
          StdLogger logger(false, false, false, true, false);
          logger.Notice("foo");
        }) == "[\x1b[32mINF\x1b[0m] foo\n");
}

TEST_CASE("TestStdLoggerDebug", "[logger]") {
  CHECK(captureStderr([] {
          StdLogger logger(false, true, false, false, false);
          logger.Debug("foo bar");
        }) == "[DBG] foo bar\n");
}

TEST_CASE("TestStdLoggerDebugWithOutDebug", "[logger]") {
  CHECK(captureStderr([] {
          StdLogger logger(false, false, false, false, false);
          logger.Debug("foo");
        }) == "");
}

TEST_CASE("TestStdLoggerTrace", "[logger]") {
  CHECK(captureStderr([] {
          StdLogger logger(false, false, true, false, false);
          logger.Trace("foo");
        }) == "[TRC] foo\n");
}

TEST_CASE("TestStdLoggerTraceWithOutDebug", "[logger]") {
  CHECK(captureStderr([] {
          StdLogger logger(false, false, false, false, false);
          logger.Trace("foo");
        }) == "");
}

// Not in Go: every label, plain and coloured, and the pid prefix.
TEST_CASE("TestStdLoggerAllLabels", "[logger]") {
  auto all = [](bool colors, bool pid) {
    return captureStderr([&] {
      StdLogger logger(false, true, true, colors, pid);
      logger.Notice("n");
      logger.Error("e");
      logger.Fatal("f");
      logger.Debug("d");
      logger.Trace("t");
    });
  };
  CHECK(all(false, false) == "[INF] n\n[ERR] e\n[FTL] f\n[DBG] d\n[TRC] t\n");
  CHECK(all(true, false) ==
        "[\x1b[32mINF\x1b[0m] n\n[\x1b[31mERR\x1b[0m] e\n[\x1b[31mFTL\x1b[0m] f\n"
        "[\x1b[36mDBG\x1b[0m] d\n[\x1b[33mTRC\x1b[0m] t\n");
  const std::string p = kPidPrefix;
  CHECK(all(false, true) ==
        p + "[INF] n\n" + p + "[ERR] e\n" + p + "[FTL] f\n" + p + "[DBG] d\n" + p + "[TRC] t\n");
  // A message that already ends in a newline gets no second one (Go's log).
  CHECK(captureStderr([] {
          StdLogger logger(false, false, false, false, false);
          logger.Notice("line\n");
        }) == "[INF] line\n");
}

TEST_CASE("TestFileLogger", "[logger]") {
  TempDir t;
  // As in Go, the files exist beforehand.
  auto tempFile = [&] {
    std::string name = (t.path() / "gnatsd:log_XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    return name;
  };

  const std::string first = tempFile();
  {
    FileLogger logger(first, false, false, false, false);
    logger.Notice("foo");
    // Written through at once, not when the logger goes.
    CHECK(readFile(first) == "[INF] foo\n");
  }
  CHECK(readFile(first) == "[INF] foo\n");

  const std::string second = tempFile();
  {
    FileLogger logger(second, true, true, true, true);
    logger.Error("foo");
  }
  const std::string str = readFile(second);
  INFO("log file: " << str);
  REQUIRE(!str.empty());
  // "[pid] <date> [ERR] foo": our own pid, a local timestamp, the label.
  static const std::regex lineRe(R"(\[(\d+)\] (\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})\.\d{6} \[ERR\] foo\n)");
  std::smatch m;
  REQUIRE(std::regex_match(str, m, lineRe));
  CHECK(m[1].str() == std::to_string(::getpid()));
  CHECK(isRecentLocalTime(m[2].str()));
}

// Not in Go: the file is appended to, created 0660 (less the umask) when
// missing, and an unopenable path is a clear error.
TEST_CASE("TestFileLoggerAppendsCreatesAndFails", "[logger]") {
  TempDir t;
  const fs::path file = t.path() / "new.log";
  {
    FileLogger logger(file.string(), false, false, false, false);
    logger.Notice("one");
  }
  {
    FileLogger logger(file.string(), false, true, false, false);
    logger.Debug("two");
    logger.Trace("not traced");
  }
  CHECK(readFile(file) == "[INF] one\n[DBG] two\n");

  const mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == (0660 & ~mask));

  const std::string bad = (t.path() / "missing" / "x.log").string();
  try {
    FileLogger logger(bad, false, false, false, false);
    FAIL("expected an error opening " << bad);
  } catch (const std::runtime_error& e) {
    // The errno text is strerror's (capitalised), not Go's lower-case one.
    CHECK_THAT(e.what(), Catch::StartsWith("error opening file: open " + bad + ": ") &&
                             Catch::Contains("such file or directory", Catch::CaseSensitive::No));
  }
}
