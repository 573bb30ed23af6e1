// Go: logger/log.go (gnatsd v1.0.0)
// The stderr and file back ends, in gnatsd's line format.
#include "server/logger/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace gnatsd::logger {

StdLogger::StdLogger(bool time, bool debug, bool trace, bool colors, bool pid)
    : out_(stderr), time_(time), debug_(debug), trace_(trace) {
  // Appended, not `"[" + std::to_string(...)`: GCC 12 at -O3 reports a bogus
  // -Wrestrict for a literal prepended to a temporary (PR 105329).
  if (pid) prefix_.append("[").append(std::to_string(::getpid())).append("] ");
  setLabels(colors);
}

StdLogger::StdLogger(FILE* f, bool time, bool debug, bool trace, bool pid)
    : owned_(f), out_(f), time_(time), debug_(debug), trace_(trace) {
  if (pid) prefix_.append("[").append(std::to_string(::getpid())).append("] ");
  setLabels(false);
}

StdLogger::~StdLogger() = default;

void StdLogger::setLabels(bool colors) {
  auto label = [colors](int color, const char* name) {
    if (!colors) return std::string("[") + name + "] ";
    return std::string("[\x1b[") + std::to_string(color) + "m" + name + "\x1b[0m] ";
  };
  infoLabel_ = label(32, "INF");
  debugLabel_ = label(36, "DBG");
  errorLabel_ = label(31, "ERR");
  fatalLabel_ = label(31, "FTL");
  traceLabel_ = label(33, "TRC");
}

void StdLogger::write(const std::string& label, std::string_view msg) {
  std::string line = prefix_;
  if (time_) {
    struct timeval tv;
    ::gettimeofday(&tv, nullptr);
    struct tm tm;
    ::localtime_r(&tv.tv_sec, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d/%02d/%02d %02d:%02d:%02d.%06ld ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long>(tv.tv_usec));
    line += buf;
  }
  line += label;
  line.append(msg);
  // Go's log package adds a newline only when the message lacks one.
  if (line.empty() || line.back() != '\n') line += '\n';
  std::lock_guard<std::mutex> l(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

namespace {
FILE* openLogFile(const std::string& filename) {
  int fd = ::open(filename.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0660);
  if (fd < 0) {
    throw std::runtime_error("error opening file: open " + filename + ": " + std::strerror(errno));
  }
  FILE* f = ::fdopen(fd, "a");
  if (!f) {
    ::close(fd);
    throw std::runtime_error("error opening file: " + std::string(std::strerror(errno)));
  }
  return f;
}
}  // namespace

FileLogger::FileLogger(const std::string& filename, bool time, bool debug, bool trace, bool pid)
    : StdLogger(openLogFile(filename), time, debug, trace, pid) {}

}  // namespace gnatsd::logger
