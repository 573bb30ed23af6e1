// C++ only (Go programs embed a server and reach it through a pipe; this
// has no socket at all)
// An in-process client connection for a program that embeds the server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gnatsd/inproc.h"
#include "server/outbuf.h"

namespace gnatsd::server {

class Server;
class client;

// The CONNECT options and the delivered message are the installed API's
// own types (include/gnatsd/inproc.h), so that gnatsd::InProcessConn hands
// them through untouched.
using InProcessOptions = gnatsd::InProcessOptions;
using InProcessMsg = gnatsd::InProcessMsg;

// The in-process connection behind gnatsd::InProcessConn: the contract
// (what each method does, thread rules, lifetime) is that of
// include/gnatsd/inproc.h, which wraps this class one to one. Here, the
// connection is a client object with no socket: its "reads" are protocol
// lines fed to client::processBatch, and Drain takes the frames the server
// queued in the client's outbound buffer and parses them back. There is no
// ping timer. Drain's callback runs without inMu_ or the client's lock.
class InProcessConn {
 public:
  // Connects to `s` (started or not). Throws std::runtime_error with the
  // server's answer when it refuses ("Authorization Violation", "Maximum
  // Connections Exceeded", "server is shutting down").
  static std::unique_ptr<InProcessConn> Connect(Server& s, const InProcessOptions& opts = {});
  ~InProcessConn();  // Close()
  InProcessConn(const InProcessConn&) = delete;
  InProcessConn& operator=(const InProcessConn&) = delete;

  // PUB: delivered to every matching subscription before it returns (to
  // network subscribers' queues, flushed without blocking, as a network
  // publisher's). False when the connection is closed, or the server cut it
  // for this publish (LastError says why). A publish the permissions refuse
  // returns true (the server answers -ERR and goes on, as for a network
  // client): LastError has it after the next Drain.
  bool Publish(std::string_view subject, std::string_view data, std::string_view reply = {});
  // SUB; returns the sid ("" when closed or refused: see LastError).
  std::string Subscribe(std::string_view subject, std::string_view queue = {});
  // UNSUB; with max > 0, once the subscription has had `max` messages in
  // all (at once if it already has, as gnatsd counts).
  bool Unsubscribe(const std::string& sid, int max = 0);

  // Request and reply on the calling thread: subscribes a reply subject of
  // its own (_INBOX.<id of this connection>.<n>) for one message, publishes
  // `data` to `subject` with that reply subject, and waits up to `timeout`
  // for the answer. Returns the answer's payload; std::nullopt when none
  // came in time, when the connection is or gets closed, or when the server
  // refused the subscription or the publish (LastError says why).
  //
  // Thread rule: only the calling thread waits; nothing else is consumed.
  // Messages for the connection's other subscriptions that arrive meanwhile
  // stay queued, in order, for the next Drain. A Drain running on another
  // thread at the same time hands the answer to the waiting Request, never
  // to its own callback, and drops an answer whose Request gave up. Several
  // threads may wait in Request at once. A request that this same
  // connection answers (one of its subscriptions matches `subject`) needs
  // another thread calling Drain meanwhile; from inside a Drain callback
  // (which holds no lock) Request works, but that callback's thread cannot
  // answer it.
  std::optional<std::string> Request(std::string_view subject, std::string_view data,
                                     std::chrono::milliseconds timeout);

  // Calls fn for each message queued for this connection, in order, on the
  // calling thread; when none is queued, waits up to `wait` for one. Returns
  // how many were handed over. An -ERR from the server is kept in
  // LastError; once the connection is closed, returns what was left, then 0.
  size_t Drain(const std::function<void(const InProcessMsg&)>& fn,
               std::chrono::milliseconds wait = std::chrono::milliseconds(0));

  // The last -ERR the server sent (without the quotes), "" if none.
  std::string LastError() const;
  bool IsClosed() const;
  uint64_t CID() const;
  // Closes the connection (idempotent); its subscriptions go.
  void Close();

 private:
  // One Request waiting for its answer, registered by its sid.
  struct replyWaiter {
    std::string data;               // written before done is set
    std::atomic<bool> done{false};  // set by a Drain that took the answer
  };

  explicit InProcessConn(std::shared_ptr<client> c);
  // Feeds protocol bytes as one read batch. Caller holds inMu_.
  bool feed(std::string_view bytes);
  // Moves what is queued for the connection into *out, waiting up to
  // `wait` for something when nothing is.
  void takeQueued(OutBuf* out, std::chrono::milliseconds wait);
  // Reads MSG, -ERR and PING frames of `in`: messages to fn (when given),
  // the last -ERR into lastErr_. Returns the number of messages fn was
  // offered. With takeReplies (frames taken off the queue), an answer to a
  // Request goes to its waiter (or is dropped) instead of to fn.
  size_t parseFrames(std::string_view in, const std::function<void(const InProcessMsg&)>* fn, bool* ping,
                     bool takeReplies);
  // A Drain found the answer for request sid: hands it to the waiting
  // Request and wakes it; drops it when that Request has given up.
  void handReply(std::string_view sid, std::string_view data);
  // After a refused operation: sets LastError from the queued -ERR, leaving
  // the queue as it is. Caller holds inMu_.
  void noteRefusal();

  const std::shared_ptr<client> c_;
  std::mutex inMu_;  // the connection's one "reader" at a time (not held by Drain's callbacks)
  mutable std::mutex errMu_;
  std::string lastErr_;  // guarded by errMu_
  uint64_t nextSid_ = 0; // under inMu_
  std::string op_;        // under inMu_: the protocol line being fed, reused
  bool finished_ = false; // under inMu_
  std::string inboxPrefix_;  // "_INBOX.<id>.": constant after Connect

  std::mutex reqMu_;  // alone or inside inMu_; never taken with the client's lock held
  std::unordered_map<std::string, replyWaiter*> waiters_;  // Requests waiting, by sid; under reqMu_
  std::atomic<int> numWaiters_{0};  // waiters_.size(): Drain looks no further while it is 0
  // Under the client's lock: bumped whenever this connection takes bytes out
  // of the client's queue (Drain's swap, a Request's erase), so a waiting
  // Request knows that the offset it had scanned up to means nothing now.
  uint64_t queueEpoch_ = 0;

  // An emptied buffer that the next Drain hands to the client's queue in
  // exchange for the queued bytes, so that a Drain per message allocates
  // nothing. Taken and put back under spareMu_ (Drains may overlap).
  std::mutex spareMu_;
  OutBuf spare_;  // under spareMu_
};

}  // namespace gnatsd::server
