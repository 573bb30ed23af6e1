// C++ only (Go: server/*_test.go read the client's unexported fields directly)
// White-box access to a client for tests; production code never includes it.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "server/client.h"
#include "server/errors.h"
#include "server/mutex.h"

namespace gnatsd::server {

// A friend of client (one line in client.h), so that the production header
// carries no test hooks. Go tests sit in package server and read c.state,
// c.pa, c.opts, ... as they please; here the parser state is reached only
// through this class.
//
// Threads. The parser fields (state, pa, argBuf, msgBuf, drop) belong to the
// reader thread: use them only on a client whose reader is not running, such
// as test::dummyClient(). Fields guarded by the client's mutex are read and
// written under it, so a test may use them on a live client too.
class clientTestPeer {
 public:
  explicit clientTestPeer(client& c) : c_(c) {}

  // --- the parser (reader-thread fields: no reader may be running) ---
  int state() const { return c_.state_; }
  const pubArg& pa() const { return c_.pa_; }
  bool hasArgBuf() const { return c_.haveArgBuf_; }
  bool hasMsgBuf() const { return c_.haveMsgBuf_; }
  std::string_view argBuf() const { return c_.haveArgBuf_ ? std::string_view(c_.argBuf_) : std::string_view(); }
  std::string_view msgBuf() const { return c_.haveMsgBuf_ ? std::string_view(c_.msgBuf_) : std::string_view(); }
  int drop() const { return c_.drop_; }
  // Go tests' `c.argBuf, c.msgBuf, c.state = nil, nil, OP_START`.
  void resetParser() {
    c_.state_ = OP_START;
    c_.drop_ = 0;
    c_.haveArgBuf_ = c_.haveMsgBuf_ = false;
    c_.argBuf_.clear();
    c_.msgBuf_.clear();
  }
  Error processPub(std::string_view arg) { return c_.processPub(arg); }
  Error processMsgArgs(std::string_view arg) { return c_.processMsgArgs(arg); }

  // --- any thread ---
  void setMaxPayload(int64_t mpay) { c_.mpay_ = mpay; }  // an atomic
  // The CONNECT options, copied out and replaced under the client's mutex.
  clientOpts opts() {
    MutexLock l(c_.mu_);
    return c_.opts_;
  }
  void setOpts(const clientOpts& o) {
    MutexLock l(c_.mu_);
    c_.opts_ = o;
  }
  // PINGs sent without a PONG back.
  int pout() {
    MutexLock l(c_.mu_);
    return c_.pout_;
  }
  void setPout(int pout) {
    MutexLock l(c_.mu_);
    c_.pout_ = pout;
  }
  // The write path's push-back state.
  uint64_t producerWaits() {
    MutexLock l(c_.mu_);
    return c_.producerWaits_;
  }
  bool stalled() {
    MutexLock l(c_.mu_);
    return c_.stalled_;
  }

 private:
  client& c_;
};

// peer(c).state(): c is a client or the shared_ptr tests hold.
inline clientTestPeer peer(client& c) { return clientTestPeer(c); }
inline clientTestPeer peer(const std::shared_ptr<client>& c) { return clientTestPeer(*c); }

}  // namespace gnatsd::server
