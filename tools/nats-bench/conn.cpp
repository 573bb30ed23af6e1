// Go: none (C++ only: the client side of the NATS text protocol, for nats-bench)
// Socket setup with bounded I/O, URL parsing, the frame parser and the handshake.
#include "tools/nats-bench/conn.h"
#include "tools/nats-bench/crew.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <climits>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace natsbench {

namespace {

constexpr size_t kMaxControlLine = 64 * 1024;  // INFO can be long; MSG lines are short
constexpr size_t kMinRead = 16 * 1024;         // free space wanted before each recv

timeval toTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}


// Value of "key": in a flat JSON object, as raw text (a string without its quotes).
std::string_view jsonField(std::string_view json, std::string_view key) {
  // Appended: `"\"" + std::string(key)` trips GCC 12's bogus -Wrestrict at -O3 (PR 105329).
  std::string pat = "\"";
  pat.append(key).append("\"");
  size_t k = json.find(pat);
  if (k == std::string_view::npos) return {};
  size_t i = json.find(':', k + pat.size());
  if (i == std::string_view::npos) return {};
  ++i;
  while (i < json.size() && (json[i] == ' ' || json[i] == '\t')) ++i;
  if (i < json.size() && json[i] == '"') {
    size_t e = json.find('"', i + 1);
    return e == std::string_view::npos ? std::string_view{} : json.substr(i + 1, e - i - 1);
  }
  size_t e = json.find_first_of(",}", i);
  return json.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i);
}

bool parseInt(std::string_view s, int64_t* v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

// --- Target -----------------------------------------------------------------------------

bool Target::ParseUrl(std::string_view url, std::string* err) {
  std::string_view u = url;
  if (size_t p = u.find("://"); p != std::string_view::npos) {
    std::string_view scheme = u.substr(0, p);
    if (scheme != "nats" && scheme != "tcp") {
      *err = "unsupported URL scheme '" + std::string(scheme) + "' (nats-bench speaks plain nats://)";
      return false;
    }
    u.remove_prefix(p + 3);
  }
  if (!u.empty() && u.back() == '/') u.remove_suffix(1);
  if (size_t at = u.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = u.substr(0, at);
    u.remove_prefix(at + 1);
    if (size_t c = cred.find(':'); c != std::string_view::npos) {
      user = cred.substr(0, c);
      pass = cred.substr(c + 1);
    } else {
      token = cred;
    }
  }
  std::string_view portText;
  if (!u.empty() && u.front() == '[') {
    size_t close = u.find(']');
    if (close == std::string_view::npos) {
      *err = "bad URL '" + std::string(url) + "': unterminated [";
      return false;
    }
    host = u.substr(1, close - 1);
    std::string_view rest = u.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        *err = "bad URL '" + std::string(url) + "'";
        return false;
      }
      portText = rest.substr(1);
    }
  } else if (size_t c = u.rfind(':'); c != std::string_view::npos) {
    host = u.substr(0, c);
    portText = u.substr(c + 1);
  } else {
    host = u;
  }
  if (host.empty()) {
    *err = "bad URL '" + std::string(url) + "': no host";
    return false;
  }
  if (!portText.empty()) {
    int64_t p = 0;
    if (!parseInt(portText, &p) || p < 1 || p > 65535) {
      *err = "bad URL '" + std::string(url) + "': port must be 1-65535";
      return false;
    }
    port = static_cast<int>(p);
  }
  return true;
}

bool Target::Resolve(std::string* err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    *err = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return false;
  }
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  addrLen = res->ai_addrlen;
  ::freeaddrinfo(res);
  return true;
}

std::string Target::Url() const {
  bool v6 = host.find(':') != std::string::npos;
  return "nats://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// --- Conn --------------------------------------------------------------------------------

Conn& Conn::operator=(Conn&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

bool Conn::Dial(const Target& t, std::chrono::milliseconds timeout,
                std::chrono::milliseconds recvTick, std::chrono::milliseconds stall,
                std::string* err) {
  Close();
  fd_ = ::socket(t.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    *err = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&t.addr), t.addrLen) != 0) {
    if (errno != EINPROGRESS) {
      *err = "connect to " + t.Url() + ": " + std::strerror(errno);
      Close();
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    int rc;
    do {
      rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      *err = "connect to " + t.Url() + ": timed out";
      Close();
      return false;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (rc < 0 || soerr != 0) {
      *err = "connect to " + t.Url() + ": " + std::strerror(rc < 0 ? errno : soerr);
      Close();
      return false;
    }
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval rtv = toTimeval(recvTick), stv = toTimeval(stall);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof rtv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv);
  return true;
}

bool Conn::WriteAll(const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;  // EAGAIN: nothing moved for the whole stall timeout
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool Conn::WriteV(iovec* iov, size_t n) {
  while (n > 0) {
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = std::min<size_t>(n, IOV_MAX);
    ssize_t w = ::sendmsg(fd_, &mh, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

void Conn::Shutdown() noexcept {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void Conn::Close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

bool ReplyPong(Conn& c) { return c.WriteAll("PONG\r\n"); }

std::string WriteError(Conn& c, Reader& r) {
  int e = errno;
  std::string why = e == EAGAIN || e == EWOULDBLOCK ? "the server took no byte for the whole --timeout"
                                                    : std::string("write failed: ") + std::strerror(e);
  if (r.FillNow(c.fd()) > 0) {
    Frame f;
    std::string err;
    while (r.Next(&f, &err) == 1) {
      if (f.op == Op::Err) return why + "; server said: " + std::string(f.line);
    }
  }
  return why;
}

// --- Reader ------------------------------------------------------------------------------

ssize_t Reader::fillWith(int fd, int flags) {
  size_t pending = end_ - start_;
  if (pending == 0) start_ = end_ = 0;
  // Move a partial frame to the front when the tail is short or the frame would not fit.
  if (start_ > 0 && (buf_.size() - end_ < kMinRead || start_ + need_ > buf_.size())) {
    std::memmove(buf_.data(), buf_.data() + start_, pending);
    start_ = 0;
    end_ = pending;
  }
  if (need_ > buf_.size()) buf_.resize(need_ + kMinRead);
  if (buf_.size() - end_ < kMinRead) buf_.resize(buf_.size() * 2);
  ssize_t n;
  do {
    n = ::recv(fd, buf_.data() + end_, buf_.size() - end_, flags);
  } while (n < 0 && errno == EINTR);
  if (n > 0) end_ += static_cast<size_t>(n);
  return n;
}

ssize_t Reader::Fill(int fd) { return fillWith(fd, 0); }
ssize_t Reader::FillNow(int fd) { return fillWith(fd, MSG_DONTWAIT); }

int Reader::Next(Frame* f, std::string* err) {
  size_t avail = end_ - start_;
  if (avail == 0 || (need_ != 0 && avail < need_)) return 0;
  const char* b = buf_.data() + start_;
  const char* nl = static_cast<const char*>(std::memchr(b, '\n', avail));
  if (nl == nullptr) {
    if (avail > kMaxControlLine) {
      *err = "protocol error: control line longer than 64 KiB";
      return -1;
    }
    return 0;
  }
  size_t lineLen = static_cast<size_t>(nl - b);
  std::string_view line(b, lineLen);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  f->line = line;
  if (line.size() > 4 && line.compare(0, 4, "MSG ") == 0) {
    // MSG <subject> <sid> [reply] <#bytes>
    std::string_view tok[5];
    int nt = 0;
    size_t i = 4;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i == line.size()) break;
      size_t s = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
      if (nt == 5) {
        nt = 6;
        break;
      }
      tok[nt++] = line.substr(s, i - s);
    }
    int64_t size = -1;
    if ((nt != 3 && nt != 4) || !parseInt(tok[nt - 1], &size) || size < 0) {
      *err = "protocol error: bad MSG line '" + std::string(line) + "'";
      return -1;
    }
    size_t total = lineLen + 1 + static_cast<size_t>(size) + 2;
    if (avail < total) {
      need_ = total;
      return 0;
    }
    const char* payload = nl + 1;
    if (payload[size] != '\r' || payload[size + 1] != '\n') {
      *err = "protocol error: MSG payload not followed by CRLF (size mismatch)";
      return -1;
    }
    f->op = Op::Msg;
    f->subject = tok[0];
    f->sid = tok[1];
    f->reply = nt == 4 ? tok[2] : std::string_view{};
    f->payload = std::string_view(payload, static_cast<size_t>(size));
    start_ += total;
    need_ = 0;
    return 1;
  }
  if (line == "PING") {
    f->op = Op::Ping;
  } else if (line == "PONG") {
    f->op = Op::Pong;
  } else if (line == "+OK") {
    f->op = Op::Ok;
  } else if (line.compare(0, 4, "-ERR") == 0) {
    f->op = Op::Err;
  } else if (line.compare(0, 4, "INFO") == 0) {
    f->op = Op::Info;
  } else {
    *err = "protocol error: unexpected line '" + std::string(line.substr(0, 80)) + "'";
    return -1;
  }
  start_ += lineLen + 1;
  need_ = 0;
  return 1;
}

// --- handshake ------------------------------------------------------------------------------

bool Handshake(Conn& c, Reader& r, const Target& t, std::string_view name, std::string_view extra,
               Clock::time_point deadline, ServerInfo* info, std::string* err) {
  Frame f;
  for (;;) {
    int got = r.Next(&f, err);
    if (got < 0) return false;
    if (got == 1) {
      if (f.op == Op::Info) break;
      *err = "expected INFO first, got '" + std::string(f.line.substr(0, 80)) + "'";
      return false;
    }
    if (Clock::now() >= deadline) {
      *err = "no INFO from " + t.Url() + " before the deadline";
      return false;
    }
    ssize_t n = r.Fill(c.fd());
    if (n == 0) {
      *err = "server closed the connection before INFO";
      return false;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      *err = std::string("read failed: ") + std::strerror(errno);
      return false;
    }
  }
  std::string_view json = f.line.substr(4);
  ServerInfo si;
  si.serverId = jsonField(json, "server_id");
  si.version = jsonField(json, "version");
  parseInt(jsonField(json, "max_payload"), &si.maxPayload);
  si.authRequired = jsonField(json, "auth_required") == "true";
  si.tlsRequired = jsonField(json, "tls_required") == "true";
  if (si.tlsRequired) {
    *err = "the server requires TLS, which nats-bench does not speak";
    return false;
  }
  std::string out = R"(CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":)";
  out += JsonString(name);
  out += R"(,"lang":"cpp","version":"1.0.0","protocol":1)";
  if (!t.user.empty()) out += R"(,"user":)" + JsonString(t.user) + R"(,"pass":)" + JsonString(t.pass);
  if (!t.token.empty()) out += R"(,"auth_token":)" + JsonString(t.token);
  out += "}\r\n";
  out += extra;
  out += "PING\r\n";
  if (!c.WriteAll(out)) {
    *err = std::string("sending CONNECT failed: ") + std::strerror(errno);
    return false;
  }
  if (!WaitPong(c, r, deadline, err, [](const Frame&) { return true; })) {
    if (si.authRequired && err->find("server said") != std::string::npos) *err += " (credentials?)";
    return false;
  }
  if (info != nullptr) *info = std::move(si);
  return true;
}

}  // namespace natsbench
