// Go: server/client.go (gnatsd v1.0.0)
// Protocol handlers, message delivery and the connection's write path.
#include "server/client.h"

#include <poll.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <optional>
#include <nlohmann/json.hpp>

#include "server/const.h"
#include "server/gofmt.h"
#include "server/gostrings.h"
#include "server/server.h"
#include "server/tls.h"
#include "server/util.h"

namespace gnatsd::server {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// CONNECT JSON

namespace {

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Go's decoder takes what nlohmann's rejects and vice versa in a few corners:
// it replaces invalid UTF-8 and lone UTF-16 surrogate escapes with U+FFFD,
// and it refuses a leading byte-order mark. Returns the text nlohmann should
// parse to get Go's result, or nullopt where Go reports a syntax error.
std::optional<std::string> goJSONText(std::string_view in) {
  if (in.substr(0, 3) == "\xEF\xBB\xBF") return std::nullopt;
  std::string out;
  out.reserve(in.size());
  bool inString = false;
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c >= 0x80) {
      auto [r, len] = DecodeRuneInString(in.substr(i));
      if (r == RuneError && len == 1) {
        out += "\xEF\xBF\xBD";
      } else {
        out.append(in.substr(i, len));
        i += len - 1;
      }
      continue;
    }
    if (c == '"') inString = !inString;
    if (inString && c == '\\' && i + 1 < in.size()) {
      if (in[i + 1] == 'u' && i + 5 < in.size() && isHex(in[i + 2]) && isHex(in[i + 3]) && isHex(in[i + 4]) &&
          isHex(in[i + 5])) {
        unsigned cp = static_cast<unsigned>(std::stoul(std::string(in.substr(i + 2, 4)), nullptr, 16));
        if (cp >= 0xd800 && cp <= 0xdbff) {
          bool paired = i + 11 < in.size() && in[i + 6] == '\\' && in[i + 7] == 'u' && isHex(in[i + 8]) &&
                        isHex(in[i + 9]) && isHex(in[i + 10]) && isHex(in[i + 11]);
          unsigned lo = paired ? static_cast<unsigned>(std::stoul(std::string(in.substr(i + 8, 4)), nullptr, 16)) : 0;
          if (paired && lo >= 0xdc00 && lo <= 0xdfff) {
            out.append(in.substr(i, 12));
            i += 11;
          } else {
            out += "\\ufffd";
            i += 5;
          }
          continue;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          out += "\\ufffd";
          i += 5;
          continue;
        }
      }
      out += in.substr(i, 2);
      ++i;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

nlohmann::json parseGoJSON(std::string_view js) {
  auto text = goJSONText(js);
  if (!text) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(*text, nullptr, false);
}

}  // namespace

bool unmarshalClientOpts(std::string_view js, clientOpts* opts) {
  auto j = parseGoJSON(js);
  if (j.is_discarded()) return false;
  if (j.is_null()) return true;
  if (!j.is_object()) return false;
  // Go's encoding/json matches keys case-insensitively and leaves omitted
  // (or null) fields untouched.
  for (auto item = j.begin(); item != j.end(); ++item) {
    std::string k = ToLowerASCII(item.key());
    const auto& v = item.value();
    if (v.is_null()) continue;
    auto setBool = [&](bool* dst) {
      if (!v.is_boolean()) return false;
      *dst = v.get<bool>();
      return true;
    };
    auto setString = [&](std::string* dst) {
      if (!v.is_string()) return false;
      *dst = v.get<std::string>();
      return true;
    };
    bool ok = true;
    if (k == "verbose") ok = setBool(&opts->Verbose);
    else if (k == "pedantic") ok = setBool(&opts->Pedantic);
    else if (k == "ssl_required") ok = setBool(&opts->SslRequired);
    else if (k == "auth_token") ok = setString(&opts->Authorization);
    else if (k == "user") ok = setString(&opts->Username);
    else if (k == "pass") ok = setString(&opts->Password);
    else if (k == "name") ok = setString(&opts->Name);
    else if (k == "lang") ok = setString(&opts->Lang);
    else if (k == "version") ok = setString(&opts->Version);
    else if (k == "protocol") {
      // Go's int is 64 bits: a huge value is a valid number, just not a
      // valid protocol, so clamp it and let the range check answer.
      if (v.is_number_unsigned()) {
        opts->Protocol = v.get<uint64_t>() > INT32_MAX ? INT32_MAX : static_cast<int>(v.get<uint64_t>());
      } else if (v.is_number_integer()) {
        int64_t p = v.get<int64_t>();
        opts->Protocol = p > INT32_MAX ? INT32_MAX : p < INT32_MIN ? INT32_MIN : static_cast<int>(p);
      } else {
        ok = false;
      }
    }
    if (!ok) return false;
  }
  return true;
}

namespace {

// True for the CONNECT keys that carry a secret. Keys are matched without
// regard to case, as unmarshalClientOpts matches them.
bool isSecretKey(std::string_view k) {
  const std::string key = ToLowerASCII(k);
  return key == "pass" || key == "auth_token";
}

// The CONNECT argument as it may appear in a log line: the values of "pass"
// and "auth_token" become "[REDACTED]" (as nats-server does; gnatsd 1.0.0
// traced them as sent). JSON that does not parse is shown only if it holds
// nothing that could be a secret.
std::string redactConnectSecrets(std::string_view arg) {
  auto j = nlohmann::ordered_json::parse(arg.begin(), arg.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    const std::string lower = ToLowerASCII(arg);
    bool risky = lower.find("pass") != std::string::npos ||
                 lower.find("token") != std::string::npos || lower.find('\\') != std::string::npos;
    return risky ? std::string("[REDACTED]") : std::string(arg);
  }
  bool redacted = false;
  for (auto item = j.begin(); item != j.end(); ++item) {
    if (isSecretKey(item.key()) && !item.value().is_null()) {
      item.value() = "[REDACTED]";
      redacted = true;
    }
  }
  // Untouched JSON is shown exactly as the client sent it.
  if (!redacted) return std::string(arg);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

// ---------------------------------------------------------------------------
// construction, logging

uint32_t queuePickSeed() {
  static std::atomic<uint64_t> counter{0};
  uint64_t z = counter.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed) +
               static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  // minstd_rand needs a seed in [1, 2^31-2].
  return static_cast<uint32_t>(z % 2147483646ULL) + 1;
}

client::client(Server* srv, Fd nc, ClientType typ)
    : srv_(srv), typ_(typ), start_(std::chrono::system_clock::now()), nc_(std::move(nc)) {
  if (srv_) {
    auto opts = srv_->getOpts();
    mpay_ = opts->MaxPayload;
    maxPending_ = opts->MaxPending > 0 ? opts->MaxPending : MAX_PENDING_SIZE;
    writeDeadlineNs_ = (opts->WriteDeadline.count() > 0 ? opts->WriteDeadline
                                                        : std::chrono::nanoseconds(DEFAULT_FLUSH_DEADLINE))
                           .count();
  } else {
    mpay_ = MAX_PAYLOAD_SIZE;
    maxPending_ = MAX_PENDING_SIZE;
    writeDeadlineNs_ = std::chrono::nanoseconds(DEFAULT_FLUSH_DEADLINE).count();
  }
  highWater_ = std::min(maxPending_ / 4, maxHighWater);
  if (typ_ == ROUTER) {
    // Go: a route starts from clientOpts{}: neither verbose nor pedantic.
    opts_.Verbose = opts_.Pedantic = false;
    verbose_ = pedantic_ = false;
  }
}

client::~client() = default;

void client::initClient() {
  if (srv_) {
    cid_ = srv_->nextCID();
    debug_ = srv_->debugEnabled();
    trace_ = srv_->traceEnabled();
  }
  std::string conn = "-";
  std::string ip;
  int port = 0;
  if (nc_.valid() && PeerAddr(nc_.fd(), &ip, &port)) {
    conn = ip + ":" + std::to_string(port);
    ip_ = ip;
    port_ = port;
  }
  ncs_ = conn + (typ_ == CLIENT ? " - cid:" : " - rid:") + std::to_string(cid_);
  MutexLock l(mu_);
  last_ = start_;
}

void client::monitorSnapshot(monitorInfo* out, bool withSubs) {
  out->cid = cid_;
  out->start = start_;
  out->inMsgs = inMsgs.load(std::memory_order_relaxed);
  out->outMsgs = outMsgs.load(std::memory_order_relaxed);
  out->inBytes = inBytes.load(std::memory_order_relaxed);
  out->outBytes = outBytes.load(std::memory_order_relaxed);
  bool closed;
  {
    MutexLock l(mu_);
    closed = closed_;
    out->last = last_;
    out->pending = pendingLocked();
    out->numSubs = static_cast<uint32_t>(subs_.size());
    out->name = opts_.Name;
    out->lang = opts_.Lang;
    out->version = opts_.Version;
    out->user = opts_.Username;
    out->subs.clear();
    if (withSubs) {
      out->subs.reserve(subs_.size());
      for (const auto& [sid, sub] : subs_) out->subs.push_back(sub->subject);
    }
  }
  out->ip = closed ? std::string() : ip_;
  out->port = closed ? 0 : port_;
  // The TLS names come from the connection's own lock, not from mu_.
  out->tlsVersion = closed ? std::string() : tlsVersion();
  out->tlsCipher = closed ? std::string() : tlsCipherSuite();
}


void client::logWithPrefix(void (Server::*log)(const char*, ...), const char* fmt, va_list ap) {
  std::string msg = vstringPrintf(fmt, ap);
  (srv_->*log)("%s - %s", ncs_.c_str(), msg.c_str());
}

void client::Errorf(const char* fmt, ...) {
  if (!srv_) return;
  va_list ap;
  va_start(ap, fmt);
  logWithPrefix(&Server::Errorf, fmt, ap);
  va_end(ap);
}

void client::Noticef(const char* fmt, ...) {
  if (!srv_) return;
  va_list ap;
  va_start(ap, fmt);
  logWithPrefix(&Server::Noticef, fmt, ap);
  va_end(ap);
}

void client::Debugf(const char* fmt, ...) {
  if (!srv_ || !srv_->debugEnabled()) return;
  va_list ap;
  va_start(ap, fmt);
  logWithPrefix(&Server::Debugf, fmt, ap);
  va_end(ap);
}

void client::Tracef(const char* fmt, ...) {
  if (!srv_ || !srv_->traceEnabled()) return;
  va_list ap;
  va_start(ap, fmt);
  logWithPrefix(&Server::Tracef, fmt, ap);
  va_end(ap);
}

void client::traceOp(const char* dir, std::string_view op, std::string_view arg) {
  // gnatsd prints the op and its argument as a Go slice: "->> [PUB foo 2]".
  std::string s = "[";
  s.append(op);
  if (!arg.empty() || op.empty()) {
    if (!op.empty()) s += ' ';
    s.append(arg);
  }
  s += ']';
  Tracef("%s %s", dir, s.c_str());
}

bool client::isClosed() {
  MutexLock l(mu_);
  return closed_;
}

clientOpts client::GetOpts() {
  MutexLock l(mu_);
  return opts_;
}

size_t client::numSubs() {
  MutexLock l(mu_);
  return subs_.size();
}

int64_t client::pendingBytes() {
  MutexLock l(mu_);
  return pendingLocked();
}

bool client::isAuthTimerSet() {
  MutexLock l(mu_);
  return atmr_ != 0;
}

void client::armTimers(bool authRequired, std::chrono::nanoseconds authTimeout) {
  MutexLock l(mu_);
  if (closed_) return;
  if (authRequired) setAuthTimer(authTimeout);
  setPingTimer();
}

bool client::tlsHandshake(const TLSConfig& config, std::chrono::nanoseconds timeout) {
  // A route logs its own start line (createRoute).
  if (typ_ == CLIENT) Debugf("Starting TLS client connection handshake");
  bool timedOut = false;
  std::string err;
  const bool ok = nc_.ServerHandshake(config, Clock::now() + timeout, &timedOut, &err);
  return tlsHandshakeDone(ok, timedOut, err);
}

bool client::tlsClientHandshake(const TLSConfig& config, const std::string& serverName,
                                std::chrono::nanoseconds timeout) {
  bool timedOut = false;
  std::string err;
  const bool ok = nc_.ClientHandshake(config, serverName, Clock::now() + timeout, &timedOut, &err);
  return tlsHandshakeDone(ok, timedOut, err);
}

bool client::tlsHandshakeDone(bool ok, bool timedOut, const std::string& err) {
  if (!ok) {
    if (timedOut) {
      Debugf("TLS handshake timeout");
    } else {
      Debugf(typ_ == ROUTER ? "TLS route handshake error: %s" : "TLS handshake error: %s", err.c_str());
    }
    // Still in clear: the TLS layer never came up.
    sendErr("Secure Connection - TLS Required");
    closeConnection();
    return false;
  }
  Debugf("TLS handshake complete");
  Debugf("TLS version %s, cipher suite %s", tlsVersion().c_str(), tlsCipherSuite().c_str());
  return true;
}

std::string client::tlsCipherSuite() const { return nc_.isTLS() ? tlsCipher(nc_.tlsCipherId()) : std::string(); }

// ---------------------------------------------------------------------------
// the read loop

void client::readLoop() {
  // The read buffer is never zeroed: recv fills what parse reads.
  size_t bsize = startBufSize;
  auto b = std::make_unique_for_overwrite<char[]>(bsize);
  int shortReads = 0;
  for (;;) {
    ssize_t n = nc_.Read(b.get(), bsize);
    if (n <= 0) {
      closeConnection();
      break;
    }
    if (!processBatch(std::string_view(b.get(), static_cast<size_t>(n)))) break;
    // Grow when a read filled the buffer; shrink after two reads in a row
    // that used less than half of it (one alone says little under load).
    if (static_cast<size_t>(n) == bsize && bsize < maxBufSize) {
      bsize *= 2;
      b = std::make_unique_for_overwrite<char[]>(bsize);
      shortReads = 0;
    } else if (static_cast<size_t>(n) < bsize / 2 && bsize > minBufSize) {
      if (++shortReads >= 2) {
        bsize /= 2;
        b = std::make_unique_for_overwrite<char[]>(bsize);
        shortReads = 0;
      }
    } else {
      shortReads = 0;
    }
  }
  finishConnection();
}

bool client::processBatch(std::string_view buf) {
  const auto last = std::chrono::system_clock::now();
  batchLast_ = last;
  cache_.inMsgs = 0;
  cache_.inBytes = 0;
  cache_.subs = 0;
  ++batch_;
  if (Error err = parse(buf)) {
    // Handlers that already answered and closed return these.
    if (!(err == ErrMaxPayload) && !(err == ErrAuthorization) && !(err == ErrMaxControlLine)) {
      Errorf("Error reading from client: %s", err.str().c_str());
      sendErr("Parser Error");
      closeConnection();
    }
    flushClients();
    return false;
  }
  inMsgs.fetch_add(cache_.inMsgs, std::memory_order_relaxed);
  inBytes.fetch_add(cache_.inBytes, std::memory_order_relaxed);
  srv_->serverStats().inMsgs.fetch_add(cache_.inMsgs, std::memory_order_relaxed);
  srv_->serverStats().inBytes.fetch_add(cache_.inBytes, std::memory_order_relaxed);
  bool closed;
  {
    // Before the flush: whoever sees the answers (a PONG) sees the activity.
    MutexLock l(mu_);
    closed = closed_;
    if (!closed && (cache_.inMsgs > 0 || cache_.subs > 0)) last_ = std::max(last_, last);
  }
  flushClients();
  // Results cached before the last Sublist change are useless and may pin
  // closed clients: drop them now rather than at the next publish.
  if ((!cache_.results.empty() || cache_.last) && cache_.genid != srv_->sublist().GenID()) {
    cache_.clearResults();
  }
  return !closed;
}

void client::finishConnection() {
  closeConnection();
  // The socket may be closed only when no other thread can still be writing
  // to it: a flusher on another reader thread, or our writer thread.
  {
    MutexLock l(mu_);
    writeCv_.SignalAll();
    // Also wait for a closeConnection another thread is in the middle of
    // (clearConnection lets mu_ go while a flush finishes): it still
    // flushes and shuts the socket down.
    while (flushing_ || writerRunning_ || (closing_ && !closed_)) writeCv_.Wait(mu_);
    // Release the buffers now: cached Sublist results elsewhere may keep
    // this object alive for a while after the connection is gone.
    front_.release();
    back_.release();
  }
  nc_.Close();
  pcd_.clear();
  cache_.clearResults();
  std::string().swap(msgh_);
  std::string().swap(argBuf_);
  std::string().swap(msgBuf_);
}

// ---------------------------------------------------------------------------
// protocol handlers

Error client::processInfo(std::string_view arg) {
  // A client's INFO is decoded as Go decodes it into Info (keys matched
  // case-insensitively, known keys type-checked) and otherwise ignored.
  auto j = parseGoJSON(arg);
  auto bad = [&] { return Error::New("invalid INFO JSON: " + std::string(arg)); };
  if (j.is_discarded() || !(j.is_object() || j.is_null())) return bad();
  Info info;
  if (!j.is_null()) {
    for (auto item = j.begin(); item != j.end(); ++item) {
      const std::string k = ToLowerASCII(item.key());
      const auto& v = item.value();
      if (v.is_null()) continue;
      bool ok = true;
      if (k == "server_id" || k == "version" || k == "go" || k == "host" || k == "ip") {
        ok = v.is_string();
        if (ok) {
          std::string* dst = k == "server_id" ? &info.ID
                             : k == "version" ? &info.Version
                             : k == "go"      ? &info.GoVersion
                             : k == "host"    ? &info.Host
                                              : &info.IP;
          *dst = v.get<std::string>();
        }
      } else if (k == "port" || k == "max_payload") {
        ok = v.is_number_integer() && v.get<int64_t>() >= INT32_MIN && v.get<int64_t>() <= INT32_MAX;
        if (ok) (k == "port" ? info.Port : info.MaxPayload) = static_cast<int>(v.get<int64_t>());
      } else if (k == "auth_required" || k == "ssl_required" || k == "tls_required" || k == "tls_verify") {
        ok = v.is_boolean();
        if (ok) {
          bool* dst = k == "auth_required" ? &info.AuthRequired
                      : k == "ssl_required" ? &info.SSLRequired
                      : k == "tls_required" ? &info.TLSRequired
                                            : &info.TLSVerify;
          *dst = v.get<bool>();
        }
      } else if (k == "connect_urls") {
        ok = v.is_array();
        for (const auto& u : v) {
          ok = ok && (u.is_string() || u.is_null());
          if (ok) info.ClientConnectURLs.push_back(u.is_string() ? u.get<std::string>() : std::string());
        }
      }
      if (!ok) return bad();
    }
  }
  // A client's INFO means nothing to the server; a route's is the handshake.
  if (typ_ == ROUTER) processRouteInfo(info);
  return Error();
}

void client::processErr(std::string_view arg) {
  std::string s(arg);
  if (typ_ == CLIENT) {
    Errorf("Client Error %s", s.c_str());
  } else {
    Errorf("Route Error %s", s.c_str());
  }
  closeConnection();
}

Error client::processConnect(std::string_view arg) {
  if (trace_) traceInOp("CONNECT", redactConnectSecrets(arg));
  MutexLock l(mu_);
  // When the auth timer has already fired, its callback answers and closes
  // the connection; wait for that instead of racing it.
  if (!clearAuthTimer()) {
    while (!closed_) writeCv_.Wait(mu_);
    return Error();
  }
  last_ = std::chrono::system_clock::now();
  if (!unmarshalClientOpts(arg, &opts_)) {
    return Error::New("invalid CONNECT JSON: " + redactConnectSecrets(arg));
  }
  connectReceived_ = true;
  verbose_ = opts_.Verbose;
  pedantic_ = opts_.Pedantic;
  int proto = opts_.Protocol;
  bool verbose = opts_.Verbose;
  std::string lang = opts_.Lang;
  l.Unlock();

  if (srv_) {
    if (!srv_->checkAuthorization(*this)) {
      authViolation();
      return ErrAuthorization;
    }
  }
  if (typ_ == CLIENT && (proto < ClientProtoZero || proto > ClientProtoInfo)) {
    sendErr(ErrBadClientProtocol.text());
    closeConnection();
    return ErrBadClientProtocol;
  } else if (typ_ == ROUTER && !lang.empty()) {
    sendErr(ErrClientConnectedToRoutePort.text());
    closeConnection();
    return ErrClientConnectedToRoutePort;
  }
  if (typ_ == ROUTER) {
    // The peer's server id, until its INFO confirms it.
    l.Lock();
    if (route_) route_->remoteID = opts_.Name;
    l.Unlock();
  }
  if (verbose) sendOK();
  return Error();
}

void client::authTimeout() {
  sendErr(ErrAuthTimeout.text());
  Debugf("Authorization Timeout");
  closeConnection();
}

void client::authViolation() {
  bool usersConfigured = srv_ && srv_->getOpts()->Users != nullptr;
  if (usersConfigured) {
    std::string user = GetOpts().Username;
    Errorf("%s - User %s", ErrAuthorization.str().c_str(), quoteGo(user).c_str());
  } else {
    Errorf("%s", ErrAuthorization.str().c_str());
  }
  sendErr("Authorization Violation");
  closeConnection();
}

void client::maxConnExceeded() {
  Errorf("%s", ErrTooManyConnections.str().c_str());
  sendErr(ErrTooManyConnections.text());
  closeConnection();
}

void client::maxPayloadViolation(int64_t sz, int64_t max) {
  Errorf("%s: %lld vs %lld", ErrMaxPayload.str().c_str(), static_cast<long long>(sz), static_cast<long long>(max));
  sendErr("Maximum Payload Violation");
  closeConnection();
}

void client::maxControlLineViolation() {
  sendErr("Maximum Control Line Exceeded");
  closeConnection();
}

void client::sendErr(std::string_view err) {
  MutexLock l(mu_);
  traceOutOp("-ERR", err);
  std::string line = "-ERR '";
  line.append(err).append("'\r\n");
  sendProto(line, true);
}

void client::sendOK() {
  {
    MutexLock l(mu_);
    traceOutOp("OK", "");
    // Flushed at the end of the read batch, with everything else.
    sendProto("+OK\r\n", false);
  }
  addToPCD(this);
}

void client::sendInfo(std::string_view info) {
  MutexLock l(mu_);
  sendProto(info, true);
}

void client::processPing() {
  traceInOp("PING", "");
  // The PONG leaves with the rest of the batch's output (flushClients),
  // after the batch's counters and activity time are recorded: a client
  // that has its PONG sees everything before its PING accounted for
  // (1.0.0 wrote it at once, ahead of those).
  MutexLock l(mu_);
  if (closed_) return;
  traceOutOp("PONG", "");
  sendProto("PONG\r\n", false);
  bool sendUpdateINFO = false;
  if (!firstPongSent_) {
    firstPongSent_ = true;
    // An INFO that changed before the first PONG goes out right after it.
    if (opts_.Protocol >= ClientProtoInfo && srv_ && infoUpdated_) sendUpdateINFO = true;
    infoUpdated_ = false;
  }
  l.Unlock();
  if (sendUpdateINFO) {
    const std::string info = srv_->infoJSON();  // the server's lock, not inside ours
    l.Lock();
    sendProto(info, false);
    l.Unlock();
  }
  addToPCD(this);
}

void client::processPong() {
  traceInOp("PONG", "");
  MutexLock l(mu_);
  pout_ = 0;
}

namespace {
// Bit i set where arg[i] is a blank (space, tab, CR, LF), for up to 64
// bytes; bits past the end are set too. Compares 16 bytes at a time.
uint64_t blankMask(std::string_view arg) {
  uint64_t mask = arg.size() < 64 ? ~uint64_t{0} << arg.size() : 0;
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
  for (size_t off = 0; off < arg.size(); off += 16) {
    __m128i v;
    if (arg.size() - off >= 16) {
      v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(arg.data() + off));
    } else {  // never read past the end of the buffer
      alignas(16) char chunk[16] = {};
      std::memcpy(chunk, arg.data() + off, arg.size() - off);
      v = _mm_load_si128(reinterpret_cast<const __m128i*>(chunk));
    }
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
    mask |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(hit))) << off;
  }
#else
  for (size_t i = 0; i < arg.size(); ++i) {
    const char b = arg[i];
    if (b == ' ' || b == '\t' || b == '\r' || b == '\n') mask |= uint64_t{1} << i;
  }
#endif
  // The zeroed tail of a short last chunk is not a blank, but those bits
  // are already set as "past the end".
  return mask;
}

// Splits a control line on blanks into at most N views; returns the count
// found, which may be N+1 to signal "too many".
template <size_t N>
size_t splitArgs(std::string_view arg, std::array<std::string_view, N + 1>& out) {
  size_t n = 0;
  if (arg.size() <= 64) {
    // Tokens are the runs of zero bits in the blank mask.
    const uint64_t blanks = blankMask(arg);
    uint64_t word = ~blanks;
    if (arg.size() < 64) word &= (uint64_t{1} << arg.size()) - 1;
    while (word) {
      const int start = __builtin_ctzll(word);
      const uint64_t rest = blanks >> start;
      const int len = rest ? __builtin_ctzll(rest) : 64 - start;
      if (n <= N) out[n] = arg.substr(static_cast<size_t>(start), static_cast<size_t>(len));
      ++n;
      word &= start + len >= 64 ? 0 : ~uint64_t{0} << (start + len);
    }
    return n;
  }
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < arg.size(); ++i) {
    char b = arg[i];
    if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
      if (start != std::string_view::npos) {
        if (n <= N) out[n] = arg.substr(start, i - start);
        ++n;
        start = std::string_view::npos;
      }
    } else if (start == std::string_view::npos) {
      start = i;
    }
  }
  if (start != std::string_view::npos) {
    if (n <= N) out[n] = arg.substr(start);
    ++n;
  }
  return n;
}
}  // namespace

Error client::processMsgArgs(std::string_view arg) {
  traceInOp("MSG", arg);
  std::array<std::string_view, MAX_MSG_ARGS + 1> args;
  size_t n = splitArgs<MAX_MSG_ARGS>(arg, args);
  switch (n) {
    case 3:
      pa_.reply = {};
      pa_.szb = args[2];
      break;
    case 4:
      pa_.reply = args[2];
      pa_.szb = args[3];
      break;
    default:
      return Error::New("processMsgArgs Parse Error: '" + std::string(arg) + "'");
  }
  const int64_t size = parseSizeSaturated(pa_.szb);
  if (size < 0 || size > INT32_MAX) {
    return Error::New("processMsgArgs Bad or Missing Size: '" + std::string(arg) + "'");
  }
  pa_.size = static_cast<int>(size);
  pa_.subject = args[0];
  pa_.sid = args[1];
  return Error();
}

Error client::processPub(std::string_view arg) {
  traceInOp("PUB", arg);
  std::array<std::string_view, MAX_PUB_ARGS + 1> args;
  size_t n = splitArgs<MAX_PUB_ARGS>(arg, args);
  // A PUB has no sid; a stale one (a route's earlier MSG) may point into
  // argBuf_, which clonePubArg overwrites.
  pa_.sid = {};
  switch (n) {
    case 2:
      pa_.subject = args[0];
      pa_.reply = {};
      pa_.szb = args[1];
      break;
    case 3:
      pa_.subject = args[0];
      pa_.reply = args[1];
      pa_.szb = args[2];
      break;
    default:
      return Error::New("processPub Parse Error: '" + std::string(arg) + "'");
  }
  const int64_t size = parseSizeSaturated(pa_.szb);
  if (size < 0) return Error::New("processPub Bad or Missing Size: '" + std::string(arg) + "'");
  int64_t maxPayload = mpay_.load(std::memory_order_relaxed);
  if (maxPayload > 0 && size > maxPayload) {
    maxPayloadViolation(size, maxPayload);
    return ErrMaxPayload;
  }
  // Only reachable with max_payload disabled: no buffer can take this.
  if (size > INT32_MAX) return Error::New("processPub Bad or Missing Size: '" + std::string(arg) + "'");
  pa_.size = static_cast<int>(size);
  if (pedantic_ && !IsValidLiteralSubject(pa_.subject)) sendErr("Invalid Subject");
  return Error();
}

Error client::processSub(std::string_view argo) {
  traceInOp("SUB", argo);
  cache_.subs += 1;
  std::array<std::string_view, MAX_MSG_ARGS + 1> args;
  size_t n = splitArgs<MAX_MSG_ARGS>(argo, args);
  auto sub = std::make_shared<subscription>();
  switch (n) {
    case 2:
      sub->subject = args[0];
      sub->sid = args[1];
      break;
    case 3:
      sub->subject = args[0];
      sub->queue = args[1];
      sub->sid = args[2];
      break;
    default:
      return Error::New("processSub Parse Error: '" + std::string(argo) + "'");
  }
  Error err;
  takeNewPerms();
  MutexLock l(mu_);
  if (closed_) return Error();
  if (!canSubscribe(sub->subject)) {
    std::string user = opts_.Username;
    l.Unlock();
    sendErr("Permissions Violation for Subscription to " + quoteGo(sub->subject));
    Errorf("Subscription Violation - User %s, Subject %s, SID %s", quoteGo(user).c_str(),
           quoteGo(sub->subject).c_str(), sub->sid.c_str());
    return Error();
  }
  // A repeated sid (possible from routes) keeps the first subscription.
  bool shouldForward = false;
  if (subs_.find(sub->sid) == subs_.end()) {
    sub->client = shared_from_this();
    subs_.emplace(sub->sid, sub);
    if (srv_) {
      err = srv_->sublist().Insert(sub);
      if (err) {
        subs_.erase(sub->sid);
        sub->client.reset();
      } else {
        shouldForward = typ_ != ROUTER;  // one hop: a route's interest stays here
      }
    }
  }
  l.Unlock();
  if (err) {
    sendErr("Invalid Subject");
    return Error();
  }
  if (verbose_) sendOK();
  if (shouldForward) srv_->broadcastSubscribe(*sub);
  return Error();
}

bool subjectIsSubsetMatch(std::string_view subject, std::string_view pattern) {
  auto nextToken = [](std::string_view& s) {
    size_t dot = s.find('.');
    std::string_view t = s.substr(0, dot);
    s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    return t;
  };
  bool sDone = false, pDone = false;
  for (;;) {
    sDone = subject.empty();
    pDone = pattern.empty();
    if (sDone || pDone) break;
    std::string_view st = nextToken(subject);
    std::string_view pt = nextToken(pattern);
    if (pt == ">") return true;  // covers this token and everything after
    // The sublist files a token by its first byte (`>x` as `>`, `*x` as
    // `*`), so judge the subscription's tokens the same way.
    if (st.starts_with('>')) return false;  // reaches further than a non-> pattern
    if (pt == "*") continue;                // any single token, including a '*'
    if (st.starts_with('*')) return false;  // a wildcard under a literal
    if (st != pt) return false;             // literals differ
  }
  return sDone && pDone;
}

bool client::canSubscribe(std::string_view subject) { return canSubscribe(perms_.get(), subject); }

bool client::canSubscribe(const permissions* perms, std::string_view subject) {
  if (!perms) return true;
  // 1.0.0 matched the requested subject as if literal, so "foo.>" passed a
  // "foo.*" permission; we require the subscription to be a subset of one of
  // the allowed patterns (docs/DEVIATIONS.md).
  for (const auto& p : perms->sub) {
    if (subjectIsSubsetMatch(subject, p)) return true;
  }
  return false;
}

void client::unsubscribe(const std::shared_ptr<subscription>& sub) {
  MutexLock l(mu_);
  if (sub->max > 0 && sub->nm < sub->max) {
    Debugf("Deferring actual UNSUB(%s): %lld max, %lld received\n", sub->subject.c_str(),
           static_cast<long long>(sub->max), static_cast<long long>(sub->nm));
    return;
  }
  traceOp("<->", "DELSUB", sub->sid);
  auto it = subs_.find(sub->sid);
  if (it != subs_.end() && it->second == sub) subs_.erase(it);
  l.Unlock();
  if (srv_) srv_->sublist().Remove(sub);
}

Error client::processUnsub(std::string_view arg) {
  traceInOp("UNSUB", arg);
  std::array<std::string_view, MAX_MSG_ARGS + 1> args;
  size_t n = splitArgs<MAX_MSG_ARGS>(arg, args);
  std::string_view sid;
  int64_t max = -1;
  switch (n) {
    case 1:
      sid = args[0];
      break;
    case 2:
      sid = args[0];
      max = parseSizeSaturated(args[1]);
      break;
    default:
      return Error::New("processUnsub Parse Error: '" + std::string(arg) + "'");
  }
  cache_.subs += 1;
  std::shared_ptr<subscription> sub;
  {
    MutexLock l(mu_);
    auto it = subs_.find(sid);
    if (it != subs_.end()) {
      sub = it->second;
      sub->max = max > 0 ? max : 0;
    }
  }
  if (sub) {
    unsubscribe(sub);
    if (typ_ != ROUTER && srv_) srv_->broadcastUnSubscribe(*sub);
  }
  if (verbose_) sendOK();
  return Error();
}

// ---------------------------------------------------------------------------
// delivery

void client::addToPCD(client* cl, bool stamped) {
  if (!stamped) {
    // Dedup per batch with a stamp on the target: several publishers may
    // stamp the same target, which at worst adds it twice (an extra flush).
    const uint64_t stamp = (cid_ << 24) ^ batch_;
    MutexLock l(cl->mu_);
    if (cl->pcdStamp_ == stamp && stamp != 0) return;
    cl->pcdStamp_ = stamp;
  }
  pcd_.push_back(cl->shared_from_this());
}

void client::deliverMsg(const std::shared_ptr<subscription>& sub, const msgHeader& mh, std::string_view msg) {
  client* cl = sub->client.get();
  if (!cl) return;
  MutexLock l(cl->mu_);
  sub->nm++;
  bool unsubAfter = false;
  if (sub->max > 0) {
    if (sub->nm == sub->max) {
      Debugf("Auto-unsubscribe limit of %lld reached for sid '%s'\n", static_cast<long long>(sub->max),
             sub->sid.c_str());
      unsubAfter = true;
    } else if (sub->nm > sub->max) {
      Debugf("Auto-unsubscribe limit [%lld] exceeded\n", static_cast<long long>(sub->max));
      l.Unlock();
      autoUnsubscribed(*cl, sub);
      return;
    }
  }
  if (cl->closed_) return;
  const int64_t msgSize = static_cast<int64_t>(msg.size()) - LEN_CR_LF;
  if (!cl->queueOutbound(mh.prefix, sub->sid, mh.tail, msg)) {
    // Past max_pending: cut it now rather than buffer without bound.
    l.Unlock();
    cl->slowConsumerClose("max_pending");
    if (unsubAfter) autoUnsubscribed(*cl, sub);
    return;
  }
  // Every writer of these counters holds cl->mu_, so a plain load and store
  // is enough (monitoring reads them without the lock).
  cl->outMsgs.store(cl->outMsgs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  cl->outBytes.store(cl->outBytes.load(std::memory_order_relaxed) + msgSize, std::memory_order_relaxed);
  batchOutMsgs_ += 1;
  batchOutBytes_ += msgSize;
  if (trace_) {
    std::string line = std::string(mh.prefix).append(sub->sid).append(mh.tail);
    line.resize(line.size() - LEN_CR_LF);
    cl->traceOutOp(line, "");
  }
  // The pcd stamp is checked under the lock we already hold.
  const uint64_t stamp = (cid_ << 24) ^ batch_;
  const bool newInBatch = cl->pcdStamp_ != stamp || stamp == 0;
  cl->pcdStamp_ = stamp;
  l.Unlock();
  if (newInBatch) addToPCD(cl, true);
  if (unsubAfter) autoUnsubscribed(*cl, sub);
}

void client::autoUnsubscribed(client& cl, const std::shared_ptr<subscription>& sub) {
  cl.unsubscribe(sub);
  // The limit is reached: the other servers drop this interest too.
  if (cl.typ_ != ROUTER && cl.srv_) cl.srv_->broadcastUnSubscribe(*sub);
}

void client::processMsg(std::string_view msg) {
  cache_.inMsgs += 1;
  cache_.inBytes += static_cast<int64_t>(msg.size()) - LEN_CR_LF;
  if (trace_) Tracef("->> MSG_PAYLOAD: [%.*s]", static_cast<int>(msg.size() - LEN_CR_LF), msg.data());

  std::string_view subject = pa_.subject;
  // _SYS. is reserved for the server itself.
  if (subject.size() > 4 && subject.substr(0, 5) == "_SYS.") {
    pubPermissionViolation(subject);
    return;
  }
  takeNewPerms();
  if (perms_) {
    auto it = perms_->pcache.find(subject);
    if (it != perms_->pcache.end()) {
      if (!it->second) {
        pubPermissionViolation(subject);
        return;
      }
    } else {
      bool allowed = !perms_->pub.Match(subject)->psubs.empty();
      if (perms_->pcache.size() >= maxPermCacheSize) {
        // Keep the cache bounded (1.0.0 meant to, but pruned the wrong map).
        size_t r = 0;
        for (auto p = perms_->pcache.begin(); p != perms_->pcache.end() && r < pruneSize; ++r) {
          p = perms_->pcache.erase(p);
        }
      }
      perms_->pcache.emplace(std::string(subject), allowed);
      if (!allowed) {
        pubPermissionViolation(subject);
        return;
      }
    }
  }
  if (verbose_) sendOK();
  if (!srv_) return;

  // Go: readCache. Valid while the sublist has not changed. A stream of
  // messages to one subject, the common case, skips the hash lookup: the
  // last result is kept beside the map.
  const SublistResult* r = nullptr;
  const uint64_t genid = srv_->sublist().GenID();
  if (genid != cache_.genid) {
    cache_.clearResults();
    cache_.genid = genid;
  } else if (cache_.last && subject == cache_.lastSubject) {
    r = cache_.last.get();
  }
  if (!r) {
    std::shared_ptr<const SublistResult> found;
    auto it = cache_.results.find(subject);
    if (it != cache_.results.end()) {
      found = it->second;
    } else {
      found = srv_->sublist().Match(subject);
      if (cache_.results.size() >= maxResultCacheSize) {
        size_t n = 0;
        for (auto p = cache_.results.begin(); p != cache_.results.end() && n <= pruneSize; ++n) {
          p = cache_.results.erase(p);
        }
      }
      cache_.results.emplace(std::string(subject), found);
    }
    cache_.lastSubject.assign(subject);
    cache_.last = std::move(found);
    r = cache_.last.get();  // kept alive by cache_.last until the next message
  }
  if (r->psubs.empty() && r->qsubs.empty()) return;
  if (pedantic_ && !IsValidLiteralSubject(subject)) return;

  // "MSG <subject> <sid> [reply ]<size>\r\n": only the sid differs between
  // subscribers, so the parts around it are built once per message, in one
  // string: msgh_[0, si) before the sid, msgh_[si, end) after it.
  msgh_.assign("MSG ").append(subject).push_back(' ');
  const size_t si = msgh_.size();
  msgh_.push_back(' ');
  if (!pa_.reply.empty()) msgh_.append(pa_.reply).push_back(' ');
  msgh_.append(pa_.szb).append(CR_LF);
  const std::string_view mh(msgh_);
  const msgHeader h{mh.substr(0, si), mh.substr(si)};
  const bool isRoute = typ_ == ROUTER;
  if (isRoute) {
    // A peer picked one of our queue subscribers for this message: it goes
    // to that one alone, or nowhere if it is gone.
    std::shared_ptr<subscription> qsub;
    if (srv_->routeSidQueueSubscriber(pa_.sid, &qsub)) {
      if (qsub) deliverMsg(qsub, h, msg);
      return;
    }
  }
  size_t remotesSeen = 0;
  for (const auto& sub : r->psubs) {
    client* sc = sub->client.get();
    if (sc && sc->typ_ == ROUTER) {
      // One hop: what came from a route never goes to another one; and each
      // remote server gets the message once, whatever its interest.
      if (isRoute || !firstToRemote(*sc, &remotesSeen)) continue;
    }
    deliverMsg(sub, h, msg);
  }
  // Queue groups were resolved by the server the message entered at.
  if (isRoute) return;
  for (const auto& qsubs : r->qsubs) {
    if (qsubs.empty()) continue;
    std::uniform_int_distribution<size_t> pick(0, qsubs.size() - 1);
    const auto& sub = qsubs[pick(cache_.prand)];
    if (sub) deliverMsg(sub, h, msg);
  }
}

void client::pubPermissionViolation(std::string_view subject) {
  sendErr("Permissions Violation for Publish to " + quoteGo(subject));
  Errorf("Publish Violation - User %s, Subject %s", quoteGo(GetOpts().Username).c_str(),
         quoteGo(subject).c_str());
}

void client::RegisterUser(const User& user) {
  std::unique_ptr<permissions> p;
  if (user.Permissions) {
    p = std::make_unique<permissions>();
    for (const auto& s : user.Permissions->Publish) {
      auto sub = std::make_shared<subscription>();
      sub->subject = s;
      p->pub.Insert(sub);
    }
    p->sub = user.Permissions->Subscribe;
  }
  MutexLock l(mu_);
  newPerms_ = std::move(p);
  permsChanged_.store(true, std::memory_order_release);
}

void client::installNewPerms() {
  MutexLock l(mu_);
  perms_ = std::move(newPerms_);
  permsChanged_.store(false, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------
// timers

void client::processPingTimer() {
  MutexLock l(mu_);
  ptmr_ = 0;
  if (closed_) return;
  Debugf("%s Ping Timer", typeString());
  pout_++;
  if (pout_ > srv_->getOpts()->MaxPingsOut) {
    Debugf("Stale Client Connection - Closing");
    sendProto("-ERR 'Stale Connection'\r\n", true);
    l.Unlock();
    closeConnection();
    return;
  }
  traceOutOp("PING", "");
  sendProto("PING\r\n", true);
  setPingTimer();
}

void client::setPingTimer() {
  if (!srv_ || closed_) return;
  auto d = srv_->getOpts()->PingInterval;
  std::weak_ptr<client> weak = weak_from_this();
  ptmr_ = srv_->timers().After(d, [weak] {
    if (auto c = weak.lock()) c->processPingTimer();
  });
}

void client::clearPingTimer() {
  if (ptmr_ == 0) return;
  srv_->timers().Cancel(ptmr_);
  ptmr_ = 0;
}

void client::setAuthTimer(std::chrono::nanoseconds d) {
  std::weak_ptr<client> weak = weak_from_this();
  atmr_ = srv_->timers().After(d, [weak] {
    if (auto c = weak.lock()) c->authTimeout();
  });
}

bool client::clearAuthTimer() {
  if (atmr_ == 0) return true;
  bool stopped = srv_->timers().Cancel(atmr_);
  atmr_ = 0;
  return stopped;
}

// ---------------------------------------------------------------------------
// the write path

int64_t client::pendingLocked() const {
  return static_cast<int64_t>(front_.size() - foff_ + back_.size());
}

bool client::queueOutbound(std::string_view a, std::string_view b, std::string_view c, std::string_view d) {
  const size_t n = a.size() + b.size() + c.size() + d.size();
  if (pendingLocked() + static_cast<int64_t>(n) > maxPending_) return false;
  back_.append(a, b, c, d);
  return true;
}

void client::sendProto(std::string_view proto, bool doFlush) {
  if (closed_) return;
  // Protocol lines are small; they are never refused for max_pending.
  back_.append(proto);
  if (doFlush) flushOutbound(FlushMode::Now);
}

void client::kickWriter() {
  if (!writerStarted_) {
    writerStarted_ = true;
    writerRunning_ = true;
    auto self = shared_from_this();
    bool started = srv_ && srv_->startGoRoutine("wr:cid=" + std::to_string(cid_), [self] { self->writeLoop(); });
    if (!started) writerRunning_ = false;
    return;
  }
  // All: others wait on writeCv_ too (a closer, the reader's last act).
  writeCv_.SignalAll();
}


void client::flushOutbound(FlushMode mode, Clock::time_point stallUntil) {
  if (closed_) return;
  if (!nc_.valid()) {
    // No socket: an in-process connection, whose host drains back_ itself
    // (InProcessConn::Drain waits on writeCv_), or a test's dummy client.
    writeCv_.SignalAll();
    return;
  }
  if (flushing_) {
    // Someone else is writing. A producer whose subscriber is far behind
    // waits for it to drain (bounded); everyone else leaves it to them.
    if (mode == FlushMode::Producer && !stalled_ && pendingLocked() > highWater_ && Clock::now() < stallUntil) {
      ++drainWaiters_;
      ++producerWaits_;
      while (flushing_ && !closed_ && !stalled_ && pendingLocked() > highWater_) {
        if (!drainCv_.WaitUntil(mu_, stallUntil)) {
          noteNoProgress();
          break;
        }
      }
      --drainWaiters_;
    }
    return;
  }
  flushing_ = true;
  Clock::time_point deadline = mode == FlushMode::Writer ? Clock::now() + writeDeadline() : stallUntil;
  bool slow = false;
  bool failed = false;
  bool progressed = false;
  Clock::duration waited{0};
  int lastErr = 0;
  for (;;) {
    if (foff_ == front_.size()) {
      front_.clear();
      foff_ = 0;
      if (back_.empty()) break;
      front_.swap(back_);
    }
    const char* p = front_.data() + foff_;
    size_t len = front_.size() - foff_;
    // A producer waits only for a client that is not known to be stuck.
    const bool mayWait = mode == FlushMode::Writer || (mode == FlushMode::Producer && !stalled_);
    mu_.Unlock();
    ssize_t n = nc_.WriteSome(p, len);
    int err = errno;
    bool writable = false;
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK) && mayWait) {
      // A closer waiting for this flush to finish (clearConnection) need
      // not wait any longer: the socket is full.
      mu_.Lock();
      flushPolling_ = true;
      writeCv_.SignalAll();
      mu_.Unlock();
      writable = nc_.WaitWritable(deadline, &waited);
    }
    mu_.Lock();
    flushPolling_ = false;
    if (n > 0) {
      foff_ += static_cast<size_t>(n);
      progressed = true;
      noProgressSince_ = {};
      if (mode == FlushMode::Writer) deadline = Clock::now() + writeDeadline();  // progress restarts it
      if (drainWaiters_ > 0 && pendingLocked() <= highWater_) drainCv_.SignalAll();
      continue;
    }
    if (n < 0 && err == EINTR) continue;
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
      if (writable && !closed_) continue;
      if (mode == FlushMode::Writer) {
        slow = true;
      } else if (mayWait && waited > Clock::duration::zero()) {
        if (!progressed) noteNoProgress();
      }
      break;
    }
    failed = true;
    lastErr = n == 0 ? EPIPE : err;
    break;
  }
  flushing_ = false;
  if (mode == FlushMode::Producer && waited > Clock::duration::zero()) ++producerWaits_;
  const int64_t pending = pendingLocked();
  if (pending <= highWater_ / 4) stalled_ = false;  // caught up: producers may wait for it again
  // Big buffers from a burst are not kept for an idle connection.
  if (pending == 0) {
    if (front_.capacity() > maxOutBufKeep) front_.release();
    if (back_.capacity() > maxOutBufKeep) back_.release();
  }
  if (drainWaiters_ > 0) drainCv_.SignalAll();
  writeCv_.SignalAll();
  if (slow || failed) {
    mu_.Unlock();
    if (slow) {
      slowConsumerClose("write_deadline");
    } else {
      Debugf("Error flushing: %s", std::strerror(lastErr));
      closeConnection();
    }
    mu_.Lock();
    return;
  }
  if (mode != FlushMode::Writer && pending > 0 && !closed_) kickWriter();
}

namespace {
// Bytes the kernel holds in fd's send queue (sent or not, unacknowledged), -1 if unknown.
int socketOutq(int fd) {
  int n = -1;
  if (::ioctl(fd, SIOCOUTQ, &n) != 0) return -1;
  return n;
}
}  // namespace

void client::noteNoProgress() {
  if (closed_) return;  // the socket may be closing
  const auto now = Clock::now();
  if (noProgressSince_ == Clock::time_point{}) {
    noProgressSince_ = now;
    noProgressOutq_ = socketOutq(nc_.fd());
    return;
  }
  if (now - noProgressSince_ < stallAfter) return;
  // A full socket reports room only once half its buffer is free, which takes
  // a slow but steady reader a while: if the kernel's queue moved, the peer
  // is reading and the clock starts again.
  const int outq = socketOutq(nc_.fd());
  if (outq != noProgressOutq_) {
    noProgressSince_ = now;
    noProgressOutq_ = outq;
    return;
  }
  // Nothing taken for stallAfter although producers kept trying: they stop
  // waiting for this client until it catches up.
  stalled_ = true;
}

void client::writeLoop() {
  MutexLock l(mu_);
  for (;;) {
    while (!closed_ && (pendingLocked() == 0 || flushing_)) writeCv_.Wait(mu_);
    if (closed_) break;
    flushOutbound(FlushMode::Writer);
  }
  writerRunning_ = false;
  writeCv_.SignalAll();
}

void client::slowConsumerClose(const char* why) {
  {
    MutexLock l(mu_);
    if (closed_) return;
  }
  srv_->serverStats().slowConsumers.fetch_add(1, std::memory_order_relaxed);
  Noticef("Slow Consumer Detected");
  Debugf("Slow consumer cut: %s exceeded", why);
  closeConnection();
}

void client::flushClients() {
  if (srv_ && batchOutMsgs_ > 0) {
    srv_->serverStats().outMsgs.fetch_add(batchOutMsgs_, std::memory_order_relaxed);
    srv_->serverStats().outBytes.fetch_add(batchOutBytes_, std::memory_order_relaxed);
  }
  batchOutMsgs_ = batchOutBytes_ = 0;
  // One stall budget for the whole batch, however many clients are behind.
  const Clock::time_point stallUntil = Clock::now() + stallBudget;
  for (auto& cp : pcd_) {
    bool wakeDrainer = false;
    {
      MutexLock l(cp->mu_);
      // closed_ before nc_: once closed_ is set, the socket may be closed.
      if (!cp->closed_ && cp->nc_.valid()) {
        cp->flushOutbound(FlushMode::Producer, stallUntil);
      } else if (!cp->closed_) {
        // An in-process connection: its host's Drain is woken below, after
        // the lock is released, so that it does not wake only to block on it.
        wakeDrainer = true;
      }
      // The publisher's read time, never later than what the subscriber did
      // after it saw the message (a flush may end after that).
      if (!cp->closed_ && cp->pendingLocked() == 0) cp->last_ = std::max(cp->last_, batchLast_);
    }
    if (wakeDrainer) cp->writeCv_.SignalAll();
  }
  pcd_.clear();
}

void client::clearConnection() {
  // Another thread's flush may be between its send(2) and taking mu_ back;
  // what was queued since (our -ERR, say) goes out in its next round, so
  // let it finish first, unless it is waiting for a full socket.
  const auto until = Clock::now() + closeFlushWait;
  while (flushing_ && !flushPolling_ && !closed_) {
    if (!writeCv_.WaitUntil(mu_, until)) break;
  }
  // One last attempt to send what is queued, without blocking.
  flushOutbound(FlushMode::Now);
  nc_.Shutdown();
}

void client::closeConnection() {
  MutexLock l(mu_);
  if (closing_ || closed_) return;
  closing_ = true;
  Debugf("%s connection closed", typeString());
  clearAuthTimer();
  clearPingTimer();
  clearConnection();
  closed_ = true;
  // Breaks the client -> subscription -> client cycle.
  std::vector<std::shared_ptr<subscription>> subs;
  subs.reserve(subs_.size());
  for (auto& [sid, sub] : subs_) subs.push_back(sub);
  subs_.clear();
  writeCv_.SignalAll();
  drainCv_.SignalAll();  // producers waiting for this client to drain
  std::optional<route> r;
  if (route_) r = *route_;
  l.Unlock();
  if (!srv_) return;
  srv_->removeClient(this);
  for (auto& sub : subs) {
    srv_->sublist().Remove(sub);
    // A client's interest leaves the other servers with it.
    if (typ_ != ROUTER) srv_->broadcastUnSubscribe(*sub);
  }
  if (r) srv_->reconnectRouteIfNeeded(*r);
}

}  // namespace gnatsd::server
