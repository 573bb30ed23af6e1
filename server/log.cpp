// Go: server/log.go (gnatsd v1.0.0)
// The server's logging front: back-end choice and the level switches.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>

#include "server/server.h"

namespace gnatsd::server {

std::shared_ptr<logger::Logger> Server::newLogger(const Options& opts) const {
  if (opts.NoLog) return nullptr;
  if (!opts.LogFile.empty()) {
    return std::make_shared<logger::FileLogger>(opts.LogFile, opts.Logtime, opts.Debug, opts.Trace, true);
  }
  if (!opts.RemoteSyslog.empty()) {
    return std::make_shared<logger::RemoteSysLogger>(opts.RemoteSyslog, opts.Debug, opts.Trace);
  }
  if (opts.Syslog) return std::make_shared<logger::SysLogger>(opts.Debug, opts.Trace);
  // Colours only when stderr is a terminal, as gnatsd does.
  struct stat st;
  bool colors = ::fstat(STDERR_FILENO, &st) == 0 && S_ISCHR(st.st_mode) && ::isatty(STDERR_FILENO);
  return std::make_shared<logger::StdLogger>(opts.Logtime, opts.Debug, opts.Trace, colors, true);
}

void Server::ConfigureLogger() {
  auto opts = getOpts();
  if (opts->NoLog) return;
  SetLogger(newLogger(*opts), opts->Debug, opts->Trace);
}

void Server::SetLogger(std::shared_ptr<logger::Logger> log, bool debug, bool trace) {
  debug_ = debug;
  trace_ = trace;
  WriteLock l(logMu_);
  logger_ = std::move(log);
}

void Server::ReOpenLogFile() {
  std::shared_ptr<logger::Logger> cur;
  {
    ReadLock l(logMu_);
    cur = logger_;
  }
  if (!cur) {
    Noticef("File log re-open ignored, no logger");
    return;
  }
  auto opts = getOpts();
  if (opts->LogFile.empty()) {
    Noticef("File log re-open ignored, not a file logger");
    return;
  }
  try {
    auto log = std::make_shared<logger::FileLogger>(opts->LogFile, opts->Logtime, opts->Debug, opts->Trace, true);
    SetLogger(std::move(log), opts->Debug, opts->Trace);
    Noticef("File log re-opened");
  } catch (const std::exception& e) {
    Errorf("%s", e.what());
  }
}

namespace {
enum Level { kNotice, kError, kFatal, kDebug, kTrace };
}

void Server::logf(int level, const char* fmt, va_list ap) {
  std::shared_ptr<logger::Logger> log;
  {
    ReadLock l(logMu_);
    log = logger_;
  }
  if (!log) return;
  char stackBuf[512];
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(stackBuf, sizeof stackBuf, fmt, ap);
  std::string heap;
  std::string_view msg;
  if (n < 0) {
    msg = fmt;
  } else if (static_cast<size_t>(n) < sizeof stackBuf) {
    msg = std::string_view(stackBuf, static_cast<size_t>(n));
  } else {
    heap.resize(static_cast<size_t>(n));
    std::vsnprintf(heap.data(), heap.size() + 1, fmt, ap2);
    msg = heap;
  }
  va_end(ap2);
  switch (level) {
    case kNotice: log->Notice(msg); break;
    case kError: log->Error(msg); break;
    case kFatal: log->Fatal(msg); break;
    case kDebug: log->Debug(msg); break;
    default: log->Trace(msg); break;
  }
}

void Server::Noticef(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  logf(kNotice, fmt, ap);
  va_end(ap);
}

void Server::Errorf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  logf(kError, fmt, ap);
  va_end(ap);
}

void Server::Fatalf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  logf(kFatal, fmt, ap);
  va_end(ap);
}

// Debug and trace cost one relaxed load when they are off.
void Server::Debugf(const char* fmt, ...) {
  if (!debug_.load(std::memory_order_relaxed)) return;
  va_list ap;
  va_start(ap, fmt);
  logf(kDebug, fmt, ap);
  va_end(ap);
}

void Server::Tracef(const char* fmt, ...) {
  if (!trace_.load(std::memory_order_relaxed)) return;
  va_list ap;
  va_start(ap, fmt);
  logf(kTrace, fmt, ap);
  va_end(ap);
}

}  // namespace gnatsd::server
