// Go: logger/syslog.go (gnatsd v1.0.0)
// Local syslog through syslog(3); remote syslog as RFC 3164 lines over
// UDP, TCP or a unix socket, the way Go's log/syslog frames them.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "server/logger/log.h"

namespace gnatsd::logger {

std::string GetSysLoggerTag() {
  std::string name;
  std::ifstream f("/proc/self/cmdline");
  std::getline(f, name, '\0');
  if (name.empty()) name = "gnatsd";
  auto slash = name.find_last_of('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

SysLogger::SysLogger(bool debug, bool trace) : debug_(debug), trace_(trace), tag_(GetSysLoggerTag()) {
  // openlog keeps the pointer: tag_ lives as long as this logger.
  ::openlog(tag_.c_str(), LOG_PID, LOG_DAEMON);
}
SysLogger::~SysLogger() { ::closelog(); }

void SysLogger::Notice(std::string_view msg) {
  ::syslog(LOG_NOTICE, "%.*s", static_cast<int>(msg.size()), msg.data());
}
void SysLogger::Error(std::string_view msg) {
  ::syslog(LOG_ERR, "%.*s", static_cast<int>(msg.size()), msg.data());
}
void SysLogger::Fatal(std::string_view msg) {
  ::syslog(LOG_CRIT, "%.*s", static_cast<int>(msg.size()), msg.data());
}
void SysLogger::Debug(std::string_view msg) {
  if (debug_) ::syslog(LOG_DEBUG, "%.*s", static_cast<int>(msg.size()), msg.data());
}
void SysLogger::Trace(std::string_view msg) {
  // gnatsd sends traces at notice level.
  if (trace_) ::syslog(LOG_NOTICE, "%.*s", static_cast<int>(msg.size()), msg.data());
}

RemoteSysLogger::RemoteSysLogger(const std::string& fqn, bool debug, bool trace)
    : debug_(debug), trace_(trace), tag_(GetSysLoggerTag()) {
  auto sep = fqn.find("://");
  std::string scheme = sep == std::string::npos ? "" : fqn.substr(0, sep);
  std::string rest = sep == std::string::npos ? fqn : fqn.substr(sep + 3);
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  hostname_ = host;
  if (scheme == "unix") {
    // Go's net.Dial("unix", ...) is a stream socket (datagram is "unixgram").
    stream_ = true;
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa {};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, rest.c_str(), sizeof sa.sun_path - 1);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      std::string err = std::strerror(errno);
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("error connecting to syslog: \"dial unix " + rest + ": " + err + "\"");
    }
    return;
  }
  if (scheme != "udp" && scheme != "tcp") {
    throw std::runtime_error("error invalid network type: \"" + scheme + "\"");
  }
  stream_ = scheme == "tcp";
  auto slash = rest.find('/');
  if (slash != std::string::npos) rest.resize(slash);
  auto colon = rest.rfind(':');
  std::string h = colon == std::string::npos ? rest : rest.substr(0, colon);
  std::string p = colon == std::string::npos ? "514" : rest.substr(colon + 1);
  if (h.size() > 1 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  struct addrinfo hints {};
  hints.ai_socktype = stream_ ? SOCK_STREAM : SOCK_DGRAM;
  struct addrinfo* res = nullptr;
  int rc = ::getaddrinfo(h.c_str(), p.c_str(), &hints, &res);
  if (rc != 0) {
    throw std::runtime_error("error connecting to syslog: \"dial " + scheme + " " + rest + ": " +
                             ::gai_strerror(rc) + "\"");
  }
  std::string err = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd_ < 0) continue;
    if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) break;
    err = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) {
    throw std::runtime_error("error connecting to syslog: \"dial " + scheme + " " + rest + ": " + err + "\"");
  }
}

RemoteSysLogger::~RemoteSysLogger() {
  if (fd_ >= 0) ::close(fd_);
}

void RemoteSysLogger::send(int severity, std::string_view msg) {
  // Facility bits are 0 for the remote writer, as in gnatsd.
  // Go's time.RFC3339 of the local time: "Z" for UTC, else "+hh:mm".
  std::time_t now = std::time(nullptr);
  struct tm tm;
  ::localtime_r(&now, &tm);
  char ts[40];
  size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  const long off = tm.tm_gmtoff;
  if (off == 0) {
    std::snprintf(ts + n, sizeof ts - n, "Z");
  } else {
    const long a = off < 0 ? -off : off;
    std::snprintf(ts + n, sizeof ts - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, (a / 60) % 60);
  }
  // Appended piece by piece: `"<" + std::to_string(...)` trips GCC 12's bogus
  // -Wrestrict at -O3 (PR 105329).
  std::string line = "<";
  line.append(std::to_string(severity)).append(">").append(ts).append(" ").append(hostname_);
  line.append(" ").append(tag_).append("[").append(std::to_string(::getpid())).append("]: ");
  line.append(msg);
  if (line.back() != '\n') line += '\n';
  std::lock_guard<std::mutex> l(mu_);
  if (fd_ >= 0) {
    ssize_t n = ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL);
    (void)n;  // a lost syslog line must never stop the server
  }
}

}  // namespace gnatsd::logger
