// C++ only (Go: the parts of package net the server uses)
// An owning socket handle and the TCP helpers around it.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace gnatsd::server {

// Owns one file descriptor; closes it on destruction. Move-only.
// Stop a blocked reader with Shutdown(); close only after that reader has
// returned, since the kernel reuses a closed number at once.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Wakes any thread blocked in read/accept on it; the number stays ours.
  void Shutdown() const noexcept {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }
  void Close() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_;
};

// Go: net.JoinHostPort ("[::1]:4222" for IPv6 hosts).
std::string JoinHostPort(const std::string& host, int port);

// Binds and listens on host:port (port 0: the OS picks). On failure returns an
// invalid Fd and sets *err to a Go-like message ("listen tcp 0.0.0.0:4222:
// bind: address already in use").
Fd ListenTCP(const std::string& host, int port, std::string* err);

// The local port of a bound socket, or -1.
int LocalPort(int fd);

// The peer's IP text and port of a connected socket ("127.0.0.1", 53211).
bool PeerAddr(int fd, std::string* ip, int* port);

// Connects to host:port with a timeout (for tests, tools and routes).
Fd DialTCP(const std::string& host, int port, int timeoutMs, std::string* err);

}  // namespace gnatsd::server
