// Go: server/log.go (gnatsd v1.0.0)
// The server's logging front: back-end choice and the level switches.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>

#include "server/server.h"

namespace gnatsd::server {

void Server::ConfigureLogger() {
  auto opts = getOpts();
  if (opts->NoLog) return;
  std::shared_ptr<logger::Logger> log;
  if (!opts->LogFile.empty()) {
    log = std::make_shared<logger::FileLogger>(opts->LogFile, opts->Logtime, opts->Debug, opts->Trace, true);
  } else if (!opts->RemoteSyslog.empty()) {
    log = std::make_shared<logger::RemoteSysLogger>(opts->RemoteSyslog, opts->Debug, opts->Trace);
  } else if (opts->Syslog) {
    log = std::make_shared<logger::SysLogger>(opts->Debug, opts->Trace);
  } else {
    // Colours only when stderr is a terminal, as gnatsd does.
    struct stat st;
    bool colors = ::fstat(STDERR_FILENO, &st) == 0 && S_ISCHR(st.st_mode) && ::isatty(STDERR_FILENO);
    log = std::make_shared<logger::StdLogger>(opts->Logtime, opts->Debug, opts->Trace, colors, true);
  }
  SetLogger(std::move(log), opts->Debug, opts->Trace);
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

#define GNATSD_SERVER_LOG(name, level, gate) \
  void Server::name(const char* fmt, ...) {  \
    if (!(gate)) return;                     \
    va_list ap;                              \
    va_start(ap, fmt);                       \
    logf(level, fmt, ap);                    \
    va_end(ap);                              \
  }
GNATSD_SERVER_LOG(Noticef, kNotice, true)
GNATSD_SERVER_LOG(Errorf, kError, true)
GNATSD_SERVER_LOG(Fatalf, kFatal, true)
GNATSD_SERVER_LOG(Debugf, kDebug, debug_.load(std::memory_order_relaxed))
GNATSD_SERVER_LOG(Tracef, kTrace, trace_.load(std::memory_order_relaxed))
#undef GNATSD_SERVER_LOG

}  // namespace gnatsd::server
