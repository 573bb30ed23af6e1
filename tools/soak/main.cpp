// Go: none (C++ only: a soak test of the whole server, in one process)
// Runs an in-process server on a random loopback port under mixed load for
// --seconds, then checks that nothing was lost, duplicated, leaked or hung.
//
// Load, all at once:
//   - churn: ~50 connections at a time opened and dropped abruptly (RST or
//     FIN), some mid-PUB, some mid-line, some after a SUB;
//   - 8 publishers, each with its own subjects soak.<p>.x (even sequence
//     numbers) and soak.<p>.y (odd ones), paced, PING/PONG after each batch;
//   - 8 healthy subscribers: 2 on soak.>, 2 on soak.*.x, 4 in queue group
//     "q" on soak.>;
//   - 2 subscribers on soak.> that never read (must be cut as slow consumers:
//     write_deadline 500ms, max_pending 4MB), helped by a flood of 32 KB
//     messages on a subject only they listen to, until both are cut;
//   - 1 client sending random garbage, reconnecting after each close.
// Checks at the end (exit 1 with a message naming the failure):
//   - each soak.> subscriber got every message of every publisher, in order;
//     each soak.*.x subscriber every even one, in order; the queue members
//     together got each message exactly once (and each member in order);
//   - no healthy client was disconnected;
//   - slow consumers counted >= 2 and both stalled sockets were dropped;
//   - after every client has gone: the server's thread count and the
//     process's open fds are back to their starting level;
//   - peak RSS under --max-rss-mb.
// Every loop is bounded by the run's deadline or a timeout. Loopback only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/const.h"
#include "server/net.h"
#include "server/opts.h"
#include "server/server.h"

using namespace std::chrono;
using gnatsd::server::Fd;
using gnatsd::server::Options;
using gnatsd::server::Server;

namespace {

// --- settings ----------------------------------------------------------------

struct Settings {
  int seconds = 60;
  int pubRate = 1000;     // messages per second per publisher
  int churnThreads = 10;  // each keeps up to churnPerThread connections open
  int churnPerThread = 5;
  int churnRate = 20;    // connections per second per churn thread
  int garbageRate = 50;  // garbage connections per second
  int64_t maxRssMb = 1024;
  bool verbose = false;
};

constexpr size_t kPublishers = 8;
constexpr int kBatch = 50;  // messages between a publisher's PINGs

// --- failures ------------------------------------------------------------------

std::mutex gFailMu;
std::vector<std::string> gFailures;

void fail(std::string what) {
  std::lock_guard<std::mutex> l(gFailMu);
  if (gFailures.size() < 50) gFailures.push_back(std::move(what));
}

// --- /proc ----------------------------------------------------------------------

int fdCount() {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n - 1;  // the directory iterator's own fd
}

int64_t statusKb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t klen = std::strlen(key);
  while (std::getline(f, line)) {
    if (line.compare(0, klen, key) == 0) return std::atoll(line.c_str() + klen + 1);
  }
  return -1;
}

// Polls pred every 20 ms until it holds or timeout passes.
bool checkFor(milliseconds timeout, const std::function<bool()>& pred) {
  const auto end = steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// --- a client socket -------------------------------------------------------------

// One loopback connection with deadline-bounded I/O. Not thread safe.
class Conn {
 public:
  // Connects to 127.0.0.1:port; rcvbuf > 0 shrinks the receive buffer before
  // the handshake so the window stays small. Invalid on failure.
  static Conn Dial(int port, int rcvbuf = 0) {
    Conn c;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return c;
    c.fd_ = Fd(fd);
    if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      if (errno != EINPROGRESS) {
        c.fd_.Close();
        return c;
      }
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      if (::poll(&p, 1, 2000) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        c.fd_.Close();
        return c;
      }
    }
    return c;
  }

  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }

  // Writes all of data before the timeout; false on error or timeout.
  bool Send(std::string_view data, milliseconds timeout = 5s) {
    const auto end = steady_clock::now() + timeout;
    while (!data.empty()) {
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        auto left = duration_cast<milliseconds>(end - steady_clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd_.get(), POLLOUT, 0};
        ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
        continue;
      }
      return false;
    }
    return true;
  }

  // Appends what arrives within timeout to buf_. Returns bytes read, 0 on
  // timeout, -1 once the peer has closed (or on error).
  ssize_t Read(milliseconds timeout) {
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r <= 0) return 0;
    char tmp[65536];
    ssize_t n = ::recv(fd_.get(), tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return -1;
  }

  // Reads until buf_ holds a line ending in "\r\n", then removes and returns
  // it (without CRLF). False on close or timeout.
  bool ReadLine(std::string* line, milliseconds timeout) {
    const auto end = steady_clock::now() + timeout;
    for (;;) {
      size_t eol = buf_.find("\r\n");
      if (eol != std::string::npos) {
        line->assign(buf_, 0, eol);
        buf_.erase(0, eol + 2);
        return true;
      }
      auto left = duration_cast<milliseconds>(end - steady_clock::now());
      if (left.count() <= 0 || Read(std::min<milliseconds>(left, 100ms)) < 0) return false;
    }
  }

  // INFO, then CONNECT (quiet, not pedantic). False if no INFO came.
  bool Handshake() {
    std::string info;
    if (!ReadLine(&info, 5s) || info.rfind("INFO ", 0) != 0) return false;
    return Send("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"soak\"}\r\n");
  }

  // Closes with an RST instead of a FIN (SO_LINGER 0).
  void Reset() {
    linger lg{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    fd_.Close();
  }
  void Close() { fd_.Close(); }

  std::string& buf() { return buf_; }

 private:
  Fd fd_;
  std::string buf_;
};

// --- the subscribers' side of the protocol ----------------------------------------

// Extracts complete server ops from a byte stream. PING is answered by the
// caller. Returns false on a protocol error.
struct Op {
  enum Kind { MSG, PING, PONG, OK, ERR, INFO } kind;
  std::string_view subject, payload, line;
};

bool nextOp(std::string& buf, size_t& off, Op* op) {
  size_t eol = buf.find("\r\n", off);
  if (eol == std::string::npos) return false;
  std::string_view line(buf.data() + off, eol - off);
  if (line.rfind("MSG ", 0) == 0) {
    // MSG <subject> <sid> [reply] <size>
    std::string_view rest = line.substr(4);
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return false;
    std::string_view subject = rest.substr(0, sp);
    size_t last = rest.rfind(' ');
    std::string_view szs = rest.substr(last + 1);
    size_t size = 0;
    auto [p, ec] = std::from_chars(szs.data(), szs.data() + szs.size(), size);
    if (ec != std::errc() || p != szs.data() + szs.size()) {
      fail("subscriber: bad MSG line: " + std::string(line));
      return false;
    }
    if (buf.size() < eol + 2 + size + 2) return false;  // payload not all here yet
    op->kind = Op::MSG;
    op->subject = subject;
    op->payload = std::string_view(buf.data() + eol + 2, size);
    op->line = line;
    off = eol + 2 + size + 2;
    return true;
  }
  op->line = line;
  if (line == "PING") {
    op->kind = Op::PING;
  } else if (line == "PONG") {
    op->kind = Op::PONG;
  } else if (line == "+OK") {
    op->kind = Op::OK;
  } else if (line.rfind("-ERR", 0) == 0) {
    op->kind = Op::ERR;
  } else {
    op->kind = Op::INFO;
  }
  off = eol + 2;
  return true;
}

// Parses "<p>:<seq>:" at the start of a payload.
bool parsePayload(std::string_view payload, int* pub, int64_t* seq) {
  const char* b = payload.data();
  const char* e = b + payload.size();
  auto [p1, ec1] = std::from_chars(b, e, *pub);
  if (ec1 != std::errc() || p1 == e || *p1 != ':') return false;
  auto [p2, ec2] = std::from_chars(p1 + 1, e, *seq);
  return ec2 == std::errc() && p2 != e && *p2 == ':';
}

struct Totals {
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> delivered{0};  // to the healthy subscribers
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> garbage{0};
  std::atomic<int64_t> churnMidPub{0};
};

enum class SubKind { All, X, Queue };

const char* kindName(SubKind k) {
  switch (k) {
    case SubKind::All:
      return "soak.>";
    case SubKind::X:
      return "soak.*.x";
    case SubKind::Queue:
      return "soak.> queue q";
  }
  return "?";
}

// A healthy subscriber: reads all the time, checks order as messages come.
class Subscriber {
 public:
  // giveUp: when the reader stops even if nobody asked it to drain.
  Subscriber(int id, SubKind kind, steady_clock::time_point giveUp)
      : id_(id), kind_(kind), giveUp_(giveUp), next_(kPublishers, 0), last_(kPublishers, -1) {
    seen_.resize(kPublishers);
  }

  // Connects and subscribes; false (with a failure recorded) if that fails.
  bool Start(int port) {
    conn_ = Conn::Dial(port);
    if (!conn_.valid() || !conn_.Handshake()) {
      fail(name() + ": could not connect");
      return false;
    }
    std::string sub = kind_ == SubKind::X       ? "SUB soak.*.x 1\r\n"
                      : kind_ == SubKind::Queue ? "SUB soak.> q 1\r\n"
                                                : "SUB soak.> 1\r\n";
    if (!conn_.Send(sub + "PING\r\n")) return false;
    std::string line;
    if (!conn_.ReadLine(&line, 5s) || line != "PONG") {
      fail(name() + ": no PONG after SUB");
      return false;
    }
    thread_ = std::thread([this] { Loop(); });
    return true;
  }

  // Asks for a final PING; the loop ends at its PONG. Then joins.
  void Finish() {
    drain_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  void Close() { conn_.Close(); }

  std::string name() const { return "subscriber " + std::to_string(id_) + " (" + kindName(kind_) + ")"; }
  SubKind kind() const { return kind_; }
  // Per publisher: how many messages of it this member received, by sequence.
  const std::vector<std::vector<uint8_t>>& seen() const { return seen_; }
  const std::vector<int64_t>& next() const { return next_; }
  int64_t received() const { return received_; }

 private:
  void Loop() {
    bool pinged = false;
    steady_clock::time_point drainEnd{};
    for (;;) {
      if (drain_.load() && !pinged) {
        pinged = true;
        drainEnd = steady_clock::now() + 30s;
        if (!conn_.Send("PING\r\n")) {
          fail(name() + ": could not send the final PING");
          return;
        }
      }
      if (pinged && steady_clock::now() > drainEnd) {
        fail(name() + ": no PONG within 30s of the final PING");
        return;
      }
      if (steady_clock::now() > giveUp_) {
        fail(name() + ": never asked to drain");
        return;
      }
      ssize_t n = conn_.Read(100ms);
      if (n < 0) {
        fail(name() + ": disconnected by the server (cut as a slow consumer?)");
        return;
      }
      size_t off = 0;
      Op op;
      std::string& buf = conn_.buf();
      while (nextOp(buf, off, &op)) {
        if (op.kind == Op::MSG) {
          Check(op.subject, op.payload);
        } else if (op.kind == Op::PING) {
          conn_.Send("PONG\r\n");
        } else if (op.kind == Op::PONG) {
          if (pinged) {
            buf.erase(0, off);
            return;
          }
        } else if (op.kind == Op::ERR) {
          fail(name() + ": got " + std::string(op.line));
        }
      }
      buf.erase(0, off);
    }
  }

  void Check(std::string_view subject, std::string_view payload) {
    // Churn clients publish on soak.churn.*: matched, not checked.
    if (subject.rfind("soak.churn.", 0) == 0) return;
    int p = -1;
    int64_t seq = -1;
    if (!parsePayload(payload, &p, &seq) || p < 0 || static_cast<size_t>(p) >= kPublishers) {
      fail(name() + ": unexpected message on " + std::string(subject));
      return;
    }
    const std::string want = "soak." + std::to_string(p) + (seq % 2 == 0 ? ".x" : ".y");
    if (subject != want) {
      fail(name() + ": message " + std::to_string(p) + ":" + std::to_string(seq) + " came on " +
           std::string(subject) + ", sent on " + want);
      return;
    }
    ++received_;
    switch (kind_) {
      case SubKind::All:
      case SubKind::X:
        if (seq != next_[p] && !gapReported_) {
          gapReported_ = true;
          fail(name() + ": publisher " + std::to_string(p) + ": expected seq " + std::to_string(next_[p]) +
               ", got " + std::to_string(seq));
        }
        next_[p] = seq + (kind_ == SubKind::X ? 2 : 1);
        break;
      case SubKind::Queue:
        if (seq <= last_[p] && !gapReported_) {
          gapReported_ = true;
          fail(name() + ": publisher " + std::to_string(p) + ": seq " + std::to_string(seq) + " after " +
               std::to_string(last_[p]));
        }
        last_[p] = seq;
        if (seen_[p].size() <= static_cast<size_t>(seq)) seen_[p].resize(static_cast<size_t>(seq) + 1, 0);
        if (seen_[p][static_cast<size_t>(seq)] < 255) seen_[p][static_cast<size_t>(seq)]++;
        break;
    }
  }

  const int id_;
  const SubKind kind_;
  const steady_clock::time_point giveUp_;
  Conn conn_;
  std::thread thread_;
  std::atomic<bool> drain_{false};
  std::vector<int64_t> next_;               // All, X: the sequence expected next
  std::vector<int64_t> last_;               // Queue: the last sequence seen
  std::vector<std::vector<uint8_t>> seen_;  // Queue: count per sequence
  int64_t received_ = 0;
  bool gapReported_ = false;
};

// --- publishers ----------------------------------------------------------------

// Publishes paced batches of kBatch sequence-numbered messages, each batch
// followed by PING and a wait for its PONG, until stop. Returns how many
// messages it published (all acknowledged by a PONG).
int64_t publisher(int p, int port, const Settings& st, const std::atomic<bool>& stop, Totals& totals) {
  Conn c = Conn::Dial(port);
  if (!c.valid() || !c.Handshake()) {
    fail("publisher " + std::to_string(p) + ": could not connect");
    return 0;
  }
  totals.connections++;
  std::mt19937 rng(static_cast<unsigned>(p * 7919 + 1));
  std::uniform_int_distribution<int> pad(0, 255);
  std::uniform_int_distribution<int> big(0, 499);
  const std::string filler(16384, 'z');
  const auto start = steady_clock::now();
  int64_t seq = 0;
  std::string out;
  while (!stop.load()) {
    out.clear();
    for (int k = 0; k < kBatch; ++k, ++seq) {
      std::string payload = std::to_string(p) + ":" + std::to_string(seq) + ":";
      // Now and then a payload bigger than one read, so it arrives split.
      payload.append(filler, 0, big(rng) == 0 ? 8192 + static_cast<size_t>(pad(rng)) * 32 : pad(rng));
      out += "PUB soak." + std::to_string(p) + (seq % 2 == 0 ? ".x " : ".y ") +
             std::to_string(payload.size()) + "\r\n";
      out += payload;
      out += "\r\n";
    }
    out += "PING\r\n";
    if (!c.Send(out, 10s)) {
      fail("publisher " + std::to_string(p) + ": send failed or stalled 10s at seq " + std::to_string(seq));
      return seq - kBatch;
    }
    std::string line;
    for (;;) {
      if (!c.ReadLine(&line, 10s)) {
        fail("publisher " + std::to_string(p) + ": no PONG within 10s at seq " + std::to_string(seq));
        return seq - kBatch;
      }
      if (line == "PONG") break;
      if (line == "PING") c.Send("PONG\r\n");
      if (line.rfind("-ERR", 0) == 0) fail("publisher " + std::to_string(p) + ": got " + line);
    }
    totals.published += kBatch;
    // Pace: seq messages should take seq / pubRate seconds.
    auto due = start + microseconds(seq * 1000000 / std::max(1, st.pubRate));
    if (due > steady_clock::now()) std::this_thread::sleep_until(std::min(due, steady_clock::now() + 1s));
  }
  return seq;
}

// --- churn ----------------------------------------------------------------------

void churner(int t, int port, const Settings& st, const std::atomic<bool>& stop, Totals& totals) {
  std::mt19937 rng(static_cast<unsigned>(1000 + t));
  std::uniform_int_distribution<int> action(0, 5);
  std::deque<Conn> open;
  const auto period = microseconds(1000000 / std::max(1, st.churnRate));
  auto next = steady_clock::now();
  auto drop = [&](Conn& c) {
    if (rng() % 2) {
      c.Reset();
    } else {
      c.Close();
    }
  };
  while (!stop.load()) {
    next += period;
    if (next > steady_clock::now()) std::this_thread::sleep_until(std::min(next, steady_clock::now() + 1s));
    Conn c = Conn::Dial(port);
    if (!c.valid()) continue;
    totals.connections++;
    switch (action(rng)) {
      case 0:  // gone before even reading INFO
        drop(c);
        continue;
      case 1:
        c.Handshake();
        c.Send("SUB soak.churn.* 1\r\n");
        break;
      case 2:  // mid-PUB: the payload never completes
        c.Handshake();
        c.Send("PUB soak.churn.a 100\r\n0123456789");
        totals.churnMidPub++;
        break;
      case 3:  // mid control line
        c.Handshake();
        c.Send("SUB soak.ch");
        break;
      case 4:  // a complete message other subscribers see and skip
        c.Handshake();
        c.Send("PUB soak.churn." + std::to_string(t) + " 5\r\nhello\r\nPUB soak.churn.b 50\r\n01234");
        totals.churnMidPub++;
        break;
      default:  // connects properly, then idles until dropped
        c.Handshake();
        c.Send("PING\r\n");
        break;
    }
    open.push_back(std::move(c));
    while (static_cast<int>(open.size()) > st.churnPerThread) {
      drop(open.front());
      open.pop_front();
    }
  }
  for (auto& c : open) drop(c);
}

// --- garbage ----------------------------------------------------------------------

void garbageClient(int port, const Settings& st, const std::atomic<bool>& stop, Totals& totals) {
  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> kind(0, 5);
  std::uniform_int_distribution<int> length(1, 1500);
  // Starts that get past the first parser states; their subjects stay out
  // of soak.* so no checked stream is touched.
  const char* prefixes[] = {"PUB garbage.",
                            "SUB garbage.",
                            "UNSUB ",
                            "CONNECT {",
                            "MSG ",
                            "INFO ",
                            "PING",
                            "PONG",
                            "+OK",
                            "-ERR ",
                            "PUB garbage.x 3\r\n",
                            "CONNECT {\"verbose\":"};
  const auto period = microseconds(1000000 / std::max(1, st.garbageRate));
  auto next = steady_clock::now();
  while (!stop.load()) {
    next += period;
    if (next > steady_clock::now()) std::this_thread::sleep_until(std::min(next, steady_clock::now() + 1s));
    Conn c = Conn::Dial(port);
    if (!c.valid()) continue;
    totals.connections++;
    std::string g;
    switch (kind(rng)) {
      case 0:
        break;  // random bytes only
      case 1:
        g = "CONNECT {\"verbose\":false}\r\n";
        break;
      case 2:  // longer than max_control_line
        g = "SUB garbage." + std::string(5000, 'a');
        break;
      case 3:  // over max_payload
        g = "PUB garbage.big 99999999\r\n";
        break;
      default:
        g = prefixes[rng() % (sizeof prefixes / sizeof prefixes[0])];
        break;
    }
    const int n = length(rng);
    for (int i = 0; i < n; ++i) g.push_back(static_cast<char>(byte(rng)));
    if (rng() % 4 == 0) g += "\r\n";
    c.Send(g, 1s);
    totals.garbage++;
    // The server usually answers -ERR and closes; give it a moment, then go.
    const auto end = steady_clock::now() + 300ms;
    while (steady_clock::now() < end && c.Read(50ms) >= 0) {
      c.buf().clear();
    }
    if (rng() % 2) {
      c.Reset();
    } else {
      c.Close();
    }
  }
}

// --- slow consumers ------------------------------------------------------------------

// Subscribes to everything (and to "flood") with a tiny receive buffer,
// then never reads.
Conn slowConsumer(int port) {
  Conn c = Conn::Dial(port, 4096);
  if (!c.valid() || !c.Handshake() || !c.Send("SUB soak.> 1\r\nSUB flood 2\r\nPING\r\n")) {
    fail("slow consumer: could not connect");
    return c;
  }
  std::string line;
  if (!c.ReadLine(&line, 5s) || line != "PONG") fail("slow consumer: no PONG after SUB");
  return c;
}

// Sends 32 KB messages on "flood" (only the stalled subscribers listen) at
// ~1.6 MB/s until the server has counted two slow consumers, so they are cut
// within seconds however light the checked traffic is.
void flooder(int port, Server& srv, const std::atomic<bool>& stop, Totals& totals) {
  Conn c = Conn::Dial(port);
  if (!c.valid() || !c.Handshake()) {
    fail("flooder: could not connect");
    return;
  }
  totals.connections++;
  const std::string msg = "PUB flood 32768\r\n" + std::string(32768, 'f') + "\r\nPING\r\n";
  std::string line;
  while (!stop.load() && srv.serverStats().slowConsumers.load() < 2) {
    if (!c.Send(msg, 10s) || !c.ReadLine(&line, 10s)) {
      fail("flooder: the server stopped taking its messages");
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
}

void usage() {
  std::fprintf(
      stderr, "usage: soak [--seconds N] [--rate MSGS_PER_SEC_PER_PUBLISHER] [--max-rss-mb N] [--verbose]\n");
}

}  // namespace

int main(int argc, char** argv) {
  Settings st;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (a == "--seconds") {
      st.seconds = value();
    } else if (a == "--rate") {
      st.pubRate = value();
    } else if (a == "--max-rss-mb") {
      st.maxRssMb = value();
    } else if (a == "--verbose") {
      st.verbose = true;
    } else {
      usage();
      return 2;
    }
  }
  if (st.seconds <= 0) st.seconds = 1;

  Options opts;
  opts.Host = "127.0.0.1";
  opts.Port = gnatsd::server::RANDOM_PORT;
  opts.NoLog = true;
  opts.NoSigs = true;
  opts.WriteDeadline = 500ms;
  opts.MaxPending = 4 * 1024 * 1024;
  auto srv = Server::New(opts);
  srv->Start();
  if (!srv->ReadyForConnections(5s)) {
    std::fprintf(stderr, "soak: FAIL: server not ready\n");
    return 1;
  }
  const int port = srv->Port();
  const int64_t threadsBase = srv->NumGoroutines();
  const int fdsBase = fdCount();
  std::printf("soak: server on 127.0.0.1:%d for %ds; %lld server threads, %d fds at start\n", port,
              st.seconds, static_cast<long long>(threadsBase), fdsBase);
  std::fflush(stdout);

  Totals totals;
  std::atomic<bool> stop{false};

  // Healthy subscribers first, so they see every message from seq 0.
  std::vector<std::unique_ptr<Subscriber>> subs;
  const SubKind kinds[] = {SubKind::All,   SubKind::All,   SubKind::X,     SubKind::X,
                           SubKind::Queue, SubKind::Queue, SubKind::Queue, SubKind::Queue};
  bool started = true;
  for (int i = 0; i < 8; ++i) {
    subs.push_back(
        std::make_unique<Subscriber>(i, kinds[i], steady_clock::now() + seconds(st.seconds) + 120s));
    started = subs.back()->Start(port) && started;
    totals.connections++;
  }
  std::vector<Conn> slow;
  for (int i = 0; i < 2; ++i) {
    slow.push_back(slowConsumer(port));
    totals.connections++;
  }

  // Peak RSS and thread samples while the load runs.
  std::atomic<int64_t> peakThreads{0}, peakClients{0};
  std::thread monitor([&] {
    while (!stop.load()) {
      peakThreads = std::max<int64_t>(peakThreads.load(), srv->NumGoroutines());
      peakClients = std::max<int64_t>(peakClients.load(), srv->NumClients());
      std::this_thread::sleep_for(100ms);
    }
  });

  std::vector<std::thread> load;
  std::vector<int64_t> sent(kPublishers, 0);
  if (started) {
    for (size_t p = 0; p < kPublishers; ++p) {
      load.emplace_back([&, p] { sent[p] = publisher(static_cast<int>(p), port, st, stop, totals); });
    }
    for (int t = 0; t < st.churnThreads; ++t) {
      load.emplace_back([&, t] { churner(t, port, st, stop, totals); });
    }
    load.emplace_back([&] { garbageClient(port, st, stop, totals); });
    load.emplace_back([&] { flooder(port, *srv, stop, totals); });

    const auto end = steady_clock::now() + seconds(st.seconds);
    int64_t lastReport = -1;
    while (steady_clock::now() < end) {
      std::this_thread::sleep_for(std::min<steady_clock::duration>(1s, end - steady_clock::now()));
      const int64_t elapsed =
          duration_cast<seconds>(steady_clock::now() - (end - seconds(st.seconds))).count();
      if (st.verbose || elapsed / 10 != lastReport / 10) {
        lastReport = elapsed;
        std::printf(
            "soak: t=%llds published=%lld connections=%lld garbage=%lld clients=%d threads=%lld "
            "slow=%lld rss=%lldMB\n",
            static_cast<long long>(elapsed), static_cast<long long>(totals.published.load()),
            static_cast<long long>(totals.connections.load()), static_cast<long long>(totals.garbage.load()),
            srv->NumClients(), static_cast<long long>(srv->NumGoroutines()),
            static_cast<long long>(srv->serverStats().slowConsumers.load()),
            static_cast<long long>(statusKb("VmRSS:") / 1024));
        std::fflush(stdout);
      }
    }
  }
  stop = true;
  for (auto& t : load) t.join();
  monitor.join();

  // Every publisher has its last PONG, so all its messages are queued for
  // the subscribers; a subscriber's own PONG comes after them.
  for (auto& s : subs) s->Finish();

  // Queue group: every message exactly once among the members.
  std::vector<std::vector<int>> queueCount(kPublishers);
  for (size_t p = 0; p < kPublishers; ++p) queueCount[p].assign(static_cast<size_t>(sent[p]), 0);
  int64_t delivered = 0;
  for (auto& s : subs) {
    delivered += s->received();
    for (size_t p = 0; p < kPublishers; ++p) {
      const int64_t n = sent[p];
      const std::string who = s->name() + ": publisher " + std::to_string(p) + ": ";
      if (s->kind() == SubKind::Queue) {
        const std::vector<uint8_t>& seen = s->seen()[p];
        if (static_cast<int64_t>(seen.size()) > n) fail(who + "got sequences never sent");
        for (size_t q = 0; q < seen.size() && q < queueCount[p].size(); ++q) queueCount[p][q] += seen[q];
      } else {
        // All: the next expected is n; X: the first even number >= n.
        const int64_t want = s->kind() == SubKind::All ? n : (n + 1) / 2 * 2;
        const int64_t got = s->next()[p];
        if (got != want) {
          fail(who + "stream ends before seq " + std::to_string(got) + ", expected up to " +
               std::to_string(want));
        }
      }
    }
  }
  for (size_t p = 0; p < kPublishers; ++p) {
    int missing = 0, dup = 0;
    for (int c : queueCount[p]) {
      missing += c == 0;
      dup += c > 1;
    }
    if (missing || dup) {
      fail("queue group q: publisher " + std::to_string(p) + ": " + std::to_string(missing) +
           " messages lost, " + std::to_string(dup) + " delivered more than once");
    }
  }

  const int64_t slowCount = srv->serverStats().slowConsumers.load();
  if (!checkFor(5s, [&] { return srv->serverStats().slowConsumers.load() >= 2; })) {
    fail("slow consumers counted: " + std::to_string(srv->serverStats().slowConsumers.load()) +
         ", want >= 2");
  }

  // Everyone but the two stalled sockets goes; the server must have dropped
  // those two already, so it has no client left.
  for (auto& s : subs) s->Close();
  if (!checkFor(10s, [&] { return srv->NumClients() == 0; })) {
    fail("server still has " + std::to_string(srv->NumClients()) +
         " clients with only the 2 stalled subscribers left open (slow consumers not cut?)");
  }
  for (auto& c : slow) c.Reset();

  if (!checkFor(10s, [&] { return srv->NumGoroutines() == threadsBase; })) {
    fail("server threads: " + std::to_string(srv->NumGoroutines()) + " after all clients closed, " +
         std::to_string(threadsBase) + " at start");
  }
  if (!checkFor(10s, [&] { return fdCount() == fdsBase; })) {
    fail("open fds: " + std::to_string(fdCount()) + " after all clients closed, " + std::to_string(fdsBase) +
         " at start");
  }
  const int64_t peakRssMb = statusKb("VmHWM:") / 1024;
  const int64_t endRssMb = statusKb("VmRSS:") / 1024;
  if (peakRssMb > st.maxRssMb) {
    fail("peak RSS " + std::to_string(peakRssMb) + " MB over the " + std::to_string(st.maxRssMb) +
         " MB bound");
  }

  int64_t published = 0;
  for (int64_t n : sent) published += n;
  std::printf(
      "soak: %ds: published=%lld delivered=%lld connections=%lld garbage_inputs=%lld "
      "churn_mid_pub=%lld slow_consumers=%lld peak_server_threads=%lld peak_clients=%lld "
      "rss_peak=%lldMB rss_end=%lldMB\n",
      st.seconds, static_cast<long long>(published), static_cast<long long>(delivered),
      static_cast<long long>(totals.connections.load()), static_cast<long long>(totals.garbage.load()),
      static_cast<long long>(totals.churnMidPub.load()), static_cast<long long>(slowCount),
      static_cast<long long>(peakThreads.load()), static_cast<long long>(peakClients.load()),
      static_cast<long long>(peakRssMb), static_cast<long long>(endRssMb));
  srv->Shutdown();

  std::lock_guard<std::mutex> l(gFailMu);
  if (!gFailures.empty()) {
    for (const auto& f : gFailures) std::fprintf(stderr, "soak: FAIL: %s\n", f.c_str());
    return 1;
  }
  std::printf("soak: OK\n");
  return 0;
}
