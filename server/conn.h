// C++ only (Go: net.Conn, and crypto/tls.Conn over it)
// One connection's socket, plain or TLS, as the client and route code use it.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "server/net.h"

typedef struct ssl_st SSL;

namespace gnatsd::server {

class TLSConfig;

// Threads. One reader (the connection's own thread) calls Read; one flusher
// at a time (the client's flushing_ owner) calls WriteSome and WaitWritable;
// Shutdown may come from any thread. Close only once neither can run again.
//
// TLS. OpenSSL allows one call at a time on an SSL object, and here the
// reader and a flusher on another thread use it together. The socket is then
// non-blocking and every SSL call runs under sslMu_ without ever waiting in
// it: the waits (poll) happen outside the lock, so a reader parked on an
// idle connection never holds up a publisher writing to it, and a full socket
// never holds up the reader.
class netConn {
 public:
  using Clock = std::chrono::steady_clock;

  explicit netConn(Fd fd) noexcept : fd_(std::move(fd)) {}
  ~netConn();
  netConn(const netConn&) = delete;
  netConn& operator=(const netConn&) = delete;

  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }

  // Blocks until bytes arrive. >0 bytes read, 0 at EOF, -1 on error (errno).
  // Reader thread only.
  ssize_t Read(char* buf, size_t len) {
    if (tls_.load(std::memory_order_acquire)) return tlsRead(buf, len);
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buf, len, 0);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  // Writes what the socket takes now, without waiting: >0 bytes written, or
  // -1 with errno (EAGAIN: full, try after WaitWritable). With TLS, a retry
  // after EAGAIN must offer the same bytes again (more may follow them).
  ssize_t WriteSome(const char* p, size_t len) {
    if (tls_.load(std::memory_order_acquire)) return tlsWrite(p, len);
    return ::send(fd_.get(), p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  }

  // Waits until WriteSome may make progress, or `until` passes. True if it
  // may; *waited grows by the time spent.
  bool WaitWritable(Clock::time_point until, Clock::duration* waited);

  // Go: tls.Server(conn).Handshake(), with the deadline of tls_timeout.
  // On success, reads and writes go through TLS from here on. Reader thread,
  // before anyone else writes to the connection (what was written before
  // went in clear, as gnatsd's INFO does). False on failure, with *timedOut
  // or *err (Go's wording where it has one) set.
  bool ServerHandshake(const TLSConfig& config, Clock::time_point deadline, bool* timedOut, std::string* err);

  // Go: tls.Client(conn, config) with config.ServerName = serverName, then
  // Handshake() within the deadline (the cluster's tls_timeout), as a route
  // this server dials does. serverName goes out as SNI unless it is an IP
  // literal; with config.verify() the server's certificate must chain to the
  // CA file and match serverName (a DNS SAN, or an IP SAN for an address).
  // The context's own certificate answers the server's request for one.
  // Same contract as ServerHandshake: reader thread, before anyone else
  // writes; false with *timedOut or *err ("x509: certificate signed by
  // unknown authority", ...). With TLS 1.3 a server that rejects our
  // certificate says so after this returns: the first Read fails.
  bool ClientHandshake(const TLSConfig& config, const std::string& serverName, Clock::time_point deadline,
                       bool* timedOut, std::string* err);

  // After a handshake: "1.2", and the suite's IANA id (0 if not TLS).
  bool isTLS() const { return tls_.load(std::memory_order_acquire); }
  std::string tlsVersionName() const;
  uint16_t tlsCipherId() const;

  // Wakes a blocked Read (TLS: after a best-effort close_notify). Any thread.
  void Shutdown();
  void Close();

 private:
  ssize_t tlsRead(char* buf, size_t len);
  ssize_t tlsWrite(const char* p, size_t len);
  // poll(2) for events until `until` (forever if max()). True if ready.
  bool waitFor(short events, Clock::time_point until);
  // Both handshakes after their set-up: takes `ssl` (ours from here, freed by
  // the destructor) and drives it to the end, failure or the deadline. A
  // client names a verification failure against serverName.
  bool handshake(SSL* ssl, bool client, const std::string& serverName, Clock::time_point deadline,
                 bool* timedOut, std::string* err);

  Fd fd_;
  SSL* ssl_ = nullptr;         // written before tls_ turns true; freed by the destructor
  std::atomic<bool> tls_{false};
  mutable std::mutex sslMu_;   // one SSL call at a time; never held while waiting
  short writeWants_ = POLLOUT; // what the last blocked TLS write waits for (flusher only)
};

}  // namespace gnatsd::server
