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
  std::lock_guard<std::mutex> l(conn->inMu_);
  conn->feed(std::string("CONNECT ").append(connectJSON(opts)).append("\r\n"));
  OutBuf first;  // the INFO, and any -ERR
  conn->takeQueued(&first, std::chrono::milliseconds(0));
  bool ping = false;
  conn->parseFrames(std::string_view(first.data(), first.size()), nullptr, &ping);
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

size_t InProcessConn::Drain(const std::function<void(const InProcessMsg&)>& fn, std::chrono::milliseconds wait) {
  // The callbacks run without the connection's lock: a responder publishes
  // its reply from inside one.
  OutBuf out;
  takeQueued(&out, wait);
  bool ping = false;
  const size_t n = parseFrames(std::string_view(out.data(), out.size()), &fn, &ping);
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
  parseFrames(copy, nullptr, &ping);
}

size_t InProcessConn::parseFrames(std::string_view in, const std::function<void(const InProcessMsg&)>* fn,
                                  bool* ping) {
  size_t pos = 0, n = 0;
  std::string_view line;
  while (nextLine(in, &pos, &line)) {
    if (line.starts_with("MSG ")) {
      // MSG <subject> <sid> [reply] <size>
      std::string_view args[4];
      size_t count = 0;
      std::string_view rest = line.substr(4);
      while (!rest.empty() && count < 4) {
        const size_t sp = rest.find(' ');
        args[count++] = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      }
      if (count < 3) break;  // cannot happen: the server wrote it
      size_t size = 0;
      const std::string_view sz = args[count - 1];
      std::from_chars(sz.data(), sz.data() + sz.size(), size);
      if (pos + size + 2 > in.size()) break;
      ++n;
      if (fn && *fn) {
        InProcessMsg m;
        m.subject = args[0];
        m.sid = args[1];
        if (count == 4) m.reply = args[2];
        m.data = in.substr(pos, size);
        (*fn)(m);
      }
      pos += size + 2;
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
