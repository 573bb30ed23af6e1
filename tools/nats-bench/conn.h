// Go: none (C++ only: the client side of the NATS text protocol, for nats-bench)
// A blocking TCP client connection and a zero-copy parser of what a server sends.
//
// nats-bench speaks the protocol itself rather than through a client library, so the
// load generator costs as little CPU as possible and every byte it sends is known.
// Every read and write is bounded: sockets carry SO_RCVTIMEO (a short poll tick) and
// SO_SNDTIMEO (the stall timeout), and the helpers take deadlines.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natsbench {

using Clock = std::chrono::steady_clock;

// Where to connect and with which credentials (from --url, --host, --port).
struct Target {
  std::string host = "127.0.0.1";
  int port = 4222;
  std::string user, pass, token;
  sockaddr_storage addr{};  // filled by Resolve
  socklen_t addrLen = 0;

  // Parses nats://[user:pass@|token@]host[:port] (also [v6]:port). False with *err set.
  bool ParseUrl(std::string_view url, std::string* err);
  // Resolves host once, so a connection storm does not call getaddrinfo per connection.
  bool Resolve(std::string* err);
  std::string Url() const;
};

// What the server's INFO said that matters here.
struct ServerInfo {
  std::string serverId, version;
  int64_t maxPayload = 0;  // 0 if absent
  bool authRequired = false, tlsRequired = false;
};

// One TCP connection. Owns the fd; move-only. Not thread safe, except Shutdown.
class Conn {
 public:
  Conn() = default;
  Conn(Conn&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Conn& operator=(Conn&& o) noexcept;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() { Close(); }

  // Connects within timeout. recvTick bounds each blocking recv (the caller's loops
  // check their deadlines between ticks); stall bounds each send that makes no progress.
  bool Dial(const Target& t, std::chrono::milliseconds timeout, std::chrono::milliseconds recvTick,
            std::chrono::milliseconds stall, std::string* err);
  // Sends all n bytes. False if the peer closed, the socket failed, or no byte moved
  // for the stall timeout (errno says which: EAGAIN for a stall).
  bool WriteAll(const char* p, size_t n);
  bool WriteAll(std::string_view s) { return WriteAll(s.data(), s.size()); }
  // Sends all of iov[0..n) in as few sendmsg calls as it takes; the same failure rules as
  // WriteAll. Modifies iov (to resume after a partial send).
  bool WriteV(iovec* iov, size_t n);
  // Wakes a thread blocked on this socket; safe from another thread.
  void Shutdown() noexcept;
  void Close() noexcept;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

enum class Op { Msg, Ping, Pong, Ok, Err, Info };

// One protocol message from the server. The views point into the Reader's buffer and
// stay valid until its next Fill.
struct Frame {
  Op op = Op::Ok;
  std::string_view subject, sid, reply, payload;
  std::string_view line;  // the control line without CRLF (for -ERR and INFO)
};

// Buffers bytes read from a socket and cuts them into Frames.
class Reader {
 public:
  explicit Reader(size_t capacity = 256 * 1024) : buf_(capacity) {}

  // Reads once (blocking for at most the socket's receive tick). Returns the byte count,
  // 0 when the peer closed, -1 on error (errno; EAGAIN after an idle tick).
  ssize_t Fill(int fd);
  // Like Fill, without blocking: -1 with EAGAIN when nothing is waiting.
  ssize_t FillNow(int fd);
  // 1: *f holds the next frame; 0: need more bytes; -1: protocol error, *err says what.
  int Next(Frame* f, std::string* err);
  size_t Buffered() const { return end_ - start_; }

 private:
  ssize_t fillWith(int fd, int flags);
  std::vector<char> buf_;
  size_t start_ = 0, end_ = 0;
  size_t need_ = 0;  // bytes the partial frame at start_ needs in all (0: unknown)
};

// Reads the INFO line, sends CONNECT (verbose off), then `extra` (e.g. SUB lines) and
// PING in one write, and waits for PONG. False with *err set on -ERR, timeout or close.
bool Handshake(Conn& c, Reader& r, const Target& t, std::string_view name, std::string_view extra,
               Clock::time_point deadline, ServerInfo* info, std::string* err);

// Reads frames until PONG, handing others to onFrame (which returns false to stop with
// *err set). False on -ERR, close, timeout or an onFrame failure.
template <class F>
bool WaitPong(Conn& c, Reader& r, Clock::time_point deadline, std::string* err, F&& onFrame);

// Sends PONG for a server PING; false on a write failure.
bool ReplyPong(Conn& c);

// Why a write on c just failed (from errno), with the -ERR the server may have sent
// before it closed. Call right after the failed write.
std::string WriteError(Conn& c, Reader& r);

// A send buffer for one connection: frames are copied in and written in one send when
// the next would not fit (the caller checks Fits and flushes). Not thread safe.
class OutBuf {
 public:
  explicit OutBuf(size_t frameLen) : buf_(std::max<size_t>(64 * 1024, 2 * frameLen)) {}
  bool Fits(size_t n) const { return used_ + n <= buf_.size(); }
  // Copies bytes in (growing the buffer for a frame larger than it); returns where.
  char* Append(std::string_view bytes) {
    if (used_ + bytes.size() > buf_.size()) buf_.resize(used_ + bytes.size());
    char* at = buf_.data() + used_;
    std::memcpy(at, bytes.data(), bytes.size());
    used_ += bytes.size();
    return at;
  }
  bool Empty() const { return used_ == 0; }
  // Writes everything buffered (Conn::WriteAll); the buffer is empty afterwards either way.
  bool Flush(Conn& c) {
    bool ok = c.WriteAll(buf_.data(), used_);
    used_ = 0;
    return ok;
  }

 private:
  std::vector<char> buf_;
  size_t used_ = 0;
};

// --- template definition --------------------------------------------------------------

template <class F>
bool WaitPong(Conn& c, Reader& r, Clock::time_point deadline, std::string* err, F&& onFrame) {
  Frame f;
  for (;;) {
    int got;
    while ((got = r.Next(&f, err)) == 1) {
      switch (f.op) {
        case Op::Pong:
          return true;
        case Op::Ping:
          if (!ReplyPong(c)) {
            *err = "write failed while answering the server's PING";
            return false;
          }
          break;
        case Op::Err:
          *err = "server said: " + std::string(f.line);
          return false;
        default:
          if (!onFrame(f)) return false;
      }
    }
    if (got < 0) return false;
    if (Clock::now() >= deadline) {
      *err = "no PONG before the deadline";
      return false;
    }
    ssize_t n = r.Fill(c.fd());
    if (n == 0) {
      *err = "server closed the connection";
      return false;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      *err = std::string("read failed: ") + std::strerror(errno);
      return false;
    }
  }
}

}  // namespace natsbench
