// C++ only (Go: package net)
// TCP listen, dial and address helpers.
#include "server/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "server/gostrings.h"

namespace gnatsd::server {

std::string JoinHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Fd ListenTCP(const std::string& host, int port, std::string* err) {
  std::string hp = JoinHostPort(host, port);
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  struct addrinfo* res = nullptr;
  std::string portStr = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), portStr.c_str(), &hints, &res);
  if (rc != 0) {
    if (err) *err = "listen tcp " + hp + ": lookup " + host + ": " + ::gai_strerror(rc);
    return Fd();
  }
  std::string lastErr = "no suitable address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      lastErr = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      lastErr = std::string("bind: ") + std::strerror(errno);
      continue;
    }
    if (::listen(fd.get(), 4096) != 0) {
      lastErr = std::string("listen: ") + std::strerror(errno);
      continue;
    }
    ::freeaddrinfo(res);
    return fd;
  }
  ::freeaddrinfo(res);
  lastErr = ToLowerASCII(lastErr);
  if (err) *err = "listen tcp " + hp + ": " + lastErr;
  return Fd();
}

int LocalPort(int fd) {
  struct sockaddr_storage ss {};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

bool PeerAddr(int fd, std::string* ip, int* port) {
  struct sockaddr_storage ss {};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf);
    *port = ntohs(sa->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &sa->sin6_addr, buf, sizeof buf);
    *port = ntohs(sa->sin6_port);
  } else {
    return false;
  }
  *ip = buf;
  return true;
}

Fd DialTCP(const std::string& host, int port, int timeoutMs, std::string* err) {
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  std::string portStr = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), portStr.c_str(), &hints, &res);
  if (rc != 0) {
    if (err) *err = std::string("lookup ") + host + ": " + ::gai_strerror(rc);
    return Fd();
  }
  std::string lastErr = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) continue;
    int r = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      struct pollfd p {fd.get(), POLLOUT, 0};
      int pr = ::poll(&p, 1, timeoutMs);
      if (pr == 1) {
        int soerr = 0;
        socklen_t l = sizeof soerr;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &l);
        r = soerr == 0 ? 0 : -1;
        errno = soerr;
      } else {
        if (pr == 0) errno = ETIMEDOUT;
        r = -1;
      }
    }
    if (r == 0) {
      int flags = ::fcntl(fd.get(), F_GETFL);
      ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
      int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::freeaddrinfo(res);
      return fd;
    }
    lastErr = std::strerror(errno);
  }
  ::freeaddrinfo(res);
  if (err) *err = "dial tcp " + JoinHostPort(host, port) + ": " + lastErr;
  return Fd();
}

}  // namespace gnatsd::server
