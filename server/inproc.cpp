// C++ only: InProcessConn, a socketless client connection (server/inproc.h).
// It feeds protocol lines to a client object as its reader thread would,
// and takes what the server queued for it straight from its outbound queue.
#include "server/inproc.h"

#include <charconv>
#include <stdexcept>

#include "server/client.h"
#include "server/const.h"
#include "server/gofmt.h"
#include "server/outbuf.h"
#include "server/server.h"
#include "server/util.h"

namespace gnatsd::server {

bool Server::registerInProcess(const std::shared_ptr<client>& c, std::string* err) {
  auto opts = getOpts();
  std::string info;
  {
    MutexLock l(mu_);
    if (shutdown_) {
      *err = "server is shutting down";
      return false;
    }
    if (opts->MaxConn > 0 && clients_.size() >= static_cast<size_t>(opts->MaxConn)) {
      *err = ErrTooManyConnections.text();
      return false;
    }
    info = infoJSON_;
    totalClients_++;
    clients_.emplace(c->cid(), c);
  }
  c->sendInfo(info);  // as every client gets it; Drain skips it
  return true;
}

namespace {
std::string connectJSON(const InProcessOptions& o) {
  std::string j = "{\"verbose\":false,\"pedantic\":false,\"lang\":\"c++-inproc\",\"version\":" +
                  goJSONString(std::string(VERSION));
  if (!o.name.empty()) j += ",\"name\":" + goJSONString(o.name);
  if (!o.user.empty()) j += ",\"user\":" + goJSONString(o.user);
  if (!o.pass.empty()) j += ",\"pass\":" + goJSONString(o.pass);
  if (!o.token.empty()) j += ",\"auth_token\":" + goJSONString(o.token);
  return j + "}";
}

// The next line of `in` from `pos` (without CRLF); false if none is whole.
bool nextLine(std::string_view in, size_t* pos, std::string_view* line) {
  const size_t end = in.find("\r\n", *pos);
  if (end == std::string_view::npos) return false;
  *line = in.substr(*pos, end - *pos);
  *pos = end + 2;
  return true;
}
// The arguments of a MSG line after "MSG ": <subject> <sid> [reply] <size>.
// The views point into `args`.
bool parseMsgArgs(std::string_view args, InProcessMsg* m, size_t* size) {
  std::string_view a[4];
  size_t count = 0;
  while (!args.empty() && count < 4) {
    const size_t sp = args.find(' ');
    a[count++] = args.substr(0, sp);
    args = sp == std::string_view::npos ? std::string_view() : args.substr(sp + 1);
  }
  if (count < 3) return false;  // cannot happen: the server wrote it
  const std::string_view sz = a[count - 1];
  *size = 0;
  std::from_chars(sz.data(), sz.data() + sz.size(), *size);
  m->subject = a[0];
  m->sid = a[1];
  m->reply = count == 4 ? a[2] : std::string_view();
  return true;
}

// Request sids start with 'r', Subscribe's are plain numbers.
bool isRequestSid(std::string_view sid) { return !sid.empty() && sid.front() == 'r'; }

// Finds the MSG frame for `sid` in the queued frames of `in`, starting at
// frame boundary *from. On success *start/*end bound the whole frame and
// *data is its payload; otherwise *from is where the next look should begin
// (the end of the last whole frame).
bool findReplyFrame(std::string_view in, std::string_view sid, size_t* from, size_t* start, size_t* end,
                    std::string_view* data) {
  size_t pos = *from;
  std::string_view line;
  while (true) {
    const size_t frame = pos;
    if (!nextLine(in, &pos, &line)) return false;
    if (line.starts_with("MSG ")) {
      InProcessMsg m;
      size_t size = 0;
      if (!parseMsgArgs(line.substr(4), &m, &size) || pos + size + 2 > in.size()) return false;
      if (m.sid == sid) {
        *start = frame;
        *end = pos + size + 2;
        *data = in.substr(pos, size);
        return true;
      }
      pos += size + 2;
    }
    *from = pos;
  }
}
}  // namespace

InProcessConn::InProcessConn(std::shared_ptr<client> c) : c_(std::move(c)) {}

std::unique_ptr<InProcessConn> InProcessConn::Connect(Server& s, const InProcessOptions& opts) {
  auto c = std::make_shared<client>(&s, Fd(), CLIENT);
  c->initClient();
  std::string err;
  if (!s.registerInProcess(c, &err)) {
    c->finishConnection();
    throw std::runtime_error(err);
  }
  std::unique_ptr<InProcessConn> conn(new InProcessConn(std::move(c)));
  // Unique across servers too: a route may carry the answer from elsewhere.
  conn->inboxPrefix_.assign("_INBOX.").append(genID()).append(".");
  std::lock_guard<std::mutex> l(conn->inMu_);
  conn->feed(std::string("CONNECT ").append(connectJSON(opts)).append("\r\n"));
  OutBuf first;  // the INFO, and any -ERR
  conn->takeQueued(&first, std::chrono::milliseconds(0));
  bool ping = false;
  conn->parseFrames(std::string_view(first.data(), first.size()), nullptr, &ping, true);
  if (conn->c_->isClosed()) {
    std::string why = conn->LastError();
    throw std::runtime_error(why.empty() ? "connection refused" : why);
  }
  return conn;
}

InProcessConn::~InProcessConn() { Close(); }

bool InProcessConn::feed(std::string_view bytes) {
  if (finished_ || c_->isClosed()) return false;
  return c_->processBatch(bytes);
}

bool InProcessConn::Publish(std::string_view subject, std::string_view data, std::string_view reply) {
  char num[24];
  auto r = std::to_chars(num, num + sizeof num, data.size());
  std::lock_guard<std::mutex> l(inMu_);
  op_.assign("PUB ").append(subject).append(" ");
  if (!reply.empty()) op_.append(reply).append(" ");
  op_.append(num, r.ptr).append("\r\n").append(data).append("\r\n");
  const bool ok = feed(op_) && !c_->isClosed();
  if (!ok) noteRefusal();
  return ok;
}

std::string InProcessConn::Subscribe(std::string_view subject, std::string_view queue) {
  std::lock_guard<std::mutex> l(inMu_);
  const std::string sid = std::to_string(++nextSid_);
  std::string op = "SUB ";
  op.append(subject).append(" ");
  if (!queue.empty()) op.append(queue).append(" ");
  op.append(sid).append("\r\n");
  bool ok = feed(op) && !c_->isClosed();
  if (ok) {
    // A refused SUB answers -ERR and leaves no subscription.
    MutexLock cl(c_->mu_);
    ok = c_->subs_.find(sid) != c_->subs_.end();
  }
  if (!ok) noteRefusal();
  return ok ? sid : std::string();
}

bool InProcessConn::Unsubscribe(const std::string& sid, int max) {
  std::lock_guard<std::mutex> l(inMu_);
  // Appends only: GCC 12 at -O3 reports a bogus -Wrestrict for " " + to_string.
  op_.assign("UNSUB ").append(sid);
  if (max > 0) op_.append(" ").append(std::to_string(max));
  op_.append("\r\n");
  return feed(op_);
}

std::optional<std::string> InProcessConn::Request(std::string_view subject, std::string_view data,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  replyWaiter w;
  std::string sid;
  {
    std::lock_guard<std::mutex> l(inMu_);
    // No literal + std::to_string, and no assign("r") either: GCC 12 at -O3
    // reports a bogus -Wrestrict for both.
    char num[24];
    const auto n = std::to_chars(num, num + sizeof num, ++nextSid_);
    sid.push_back('r');
    sid.append(num, n.ptr);
    const std::string inbox = std::string(inboxPrefix_).append(num, n.ptr);
    {
      std::lock_guard<std::mutex> rl(reqMu_);
      waiters_.emplace(sid, &w);
      numWaiters_.fetch_add(1);
    }
    // The subscription first, alone: a refused SUB leaves none behind, and
    // then nothing must be published.
    op_.assign("SUB ").append(inbox).append(" ").append(sid).append("\r\n");
    bool ok = feed(op_) && !c_->isClosed();
    if (ok) {
      MutexLock cl(c_->mu_);
      ok = c_->subs_.find(sid) != c_->subs_.end();
    }
    if (ok) {
      char num[24];
      auto r = std::to_chars(num, num + sizeof num, data.size());
      // Gone after one message: the answer cannot be delivered twice.
      op_.assign("UNSUB ").append(sid).append(" 1\r\nPUB ").append(subject).append(" ").append(inbox);
      op_.append(" ").append(num, r.ptr).append("\r\n").append(data).append("\r\n");
      ok = feed(op_) && !c_->isClosed();
    }
    if (!ok) {
      noteRefusal();
      std::lock_guard<std::mutex> rl(reqMu_);
      waiters_.erase(sid);
      numWaiters_.fetch_sub(1);
      return std::nullopt;
    }
  }

  // Wait for the answer: a Drain on another thread may hand it over (w.done),
  // or it is found in the queue and taken out of it, leaving every other
  // frame where it was.
  std::optional<std::string> reply;
  {
    MutexLock cl(c_->mu_);
    uint64_t epoch = queueEpoch_;
    size_t scanned = 0;
    bool timedOut = false;
    while (!w.done.load(std::memory_order_acquire)) {
      if (epoch != queueEpoch_) {
        epoch = queueEpoch_;
        scanned = 0;
      }
      size_t start = 0, end = 0;
      std::string_view payload;
      if (findReplyFrame(std::string_view(c_->back_.data(), c_->back_.size()), sid, &scanned, &start, &end,
                         &payload)) {
        reply.emplace(payload);
        c_->back_.erase(start, end - start);
        ++queueEpoch_;
        break;
      }
      if (c_->closed_ || timedOut) break;
      // After the deadline, one more look at what came with the wake-up.
      timedOut = !c_->writeCv_.WaitUntil(c_->mu_, deadline);
    }
  }
  {
    std::lock_guard<std::mutex> rl(reqMu_);
    waiters_.erase(sid);
    numWaiters_.fetch_sub(1);
  }
  if (!reply && w.done.load(std::memory_order_acquire)) reply = std::move(w.data);
  if (!reply) {
    // Given up: the reply subscription goes now rather than with an answer
    // that may never come (one arriving in between is dropped by Drain).
    std::lock_guard<std::mutex> l(inMu_);
    op_.assign("UNSUB ").append(sid).append("\r\n");
    feed(op_);
  }
  return reply;
}

void InProcessConn::handReply(std::string_view sid, std::string_view data) {
  {
    std::lock_guard<std::mutex> rl(reqMu_);
    auto it = waiters_.find(std::string(sid));
    if (it == waiters_.end() || it->second->done.load(std::memory_order_relaxed)) return;  // gave up: dropped
    it->second->data.assign(data);
    it->second->done.store(true, std::memory_order_release);
  }
  // The Request may be asleep on the queue's condition variable.
  MutexLock cl(c_->mu_);
  c_->writeCv_.SignalAll();
}

size_t InProcessConn::Drain(const std::function<void(const InProcessMsg&)>& fn, std::chrono::milliseconds wait) {
  // The callbacks run without the connection's lock: a responder publishes
  // its reply from inside one.
  OutBuf out;
  {
    std::lock_guard<std::mutex> l(spareMu_);
    out.swap(spare_);
  }
  takeQueued(&out, wait);
  bool ping = false;
  const size_t n = parseFrames(std::string_view(out.data(), out.size()), &fn, &ping, true);
  out.clear();
  if (out.capacity() <= maxOutBufKeep) {  // a burst's big buffer is not kept
    std::lock_guard<std::mutex> l(spareMu_);
    if (spare_.capacity() == 0) spare_.swap(out);
  }
  if (ping) {
    std::lock_guard<std::mutex> l(inMu_);
    feed("PONG\r\n");
  }
  return n;
}

void InProcessConn::takeQueued(OutBuf* out, std::chrono::milliseconds wait) {
  MutexLock cl(c_->mu_);
  const auto until = std::chrono::steady_clock::now() + wait;
  while (c_->back_.empty() && !c_->closed_) {
    if (!c_->writeCv_.WaitUntil(c_->mu_, until)) break;
  }
  out->swap(c_->back_);  // whole frames only: every append is one
  ++queueEpoch_;
}

void InProcessConn::noteRefusal() {
  // The -ERR is still queued, among messages Drain has not taken: read a
  // copy, take nothing.
  std::string copy;
  {
    MutexLock cl(c_->mu_);
    copy.assign(c_->back_.data(), c_->back_.size());
  }
  bool ping = false;
  parseFrames(copy, nullptr, &ping, false);
}

size_t InProcessConn::parseFrames(std::string_view in, const std::function<void(const InProcessMsg&)>* fn,
                                  bool* ping, bool takeReplies) {
  size_t pos = 0, n = 0;
  std::string_view line;
  while (nextLine(in, &pos, &line)) {
    if (line.starts_with("MSG ")) {
      InProcessMsg m;
      size_t size = 0;
      if (!parseMsgArgs(line.substr(4), &m, &size) || pos + size + 2 > in.size()) break;
      m.data = in.substr(pos, size);
      pos += size + 2;
      if (isRequestSid(m.sid)) {
        // A Request's answer is never the callback's.
        if (takeReplies && numWaiters_.load() > 0) handReply(m.sid, m.data);
        continue;
      }
      ++n;
      if (fn && *fn) (*fn)(m);
    } else if (line.starts_with("-ERR ")) {
      std::string_view e = line.substr(5);
      if (e.size() >= 2 && e.front() == '\'' && e.back() == '\'') e = e.substr(1, e.size() - 2);
      std::lock_guard<std::mutex> el(errMu_);
      lastErr_ = e;
    } else if (line == "PING") {
      *ping = true;
    }
    // INFO, +OK and PONG need nothing.
  }
  return n;
}

std::string InProcessConn::LastError() const {
  std::lock_guard<std::mutex> l(errMu_);
  return lastErr_;
}

bool InProcessConn::IsClosed() const { return c_->isClosed(); }

uint64_t InProcessConn::CID() const { return c_->cid(); }

void InProcessConn::Close() {
  std::lock_guard<std::mutex> l(inMu_);
  if (finished_) return;
  finished_ = true;
  c_->finishConnection();  // closes (once), releases the client's buffers
}

}  // namespace gnatsd::server
