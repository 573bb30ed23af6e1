// C++ only (Go: time.AfterFunc for the ping and auth timers)
// One thread runs every connection timer (and the server's malloc_trim
// check) from a deadline-ordered queue. The TLS handshake's timeout is a
// deadline inside the handshake itself (netConn::ServerHandshake).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

#include "server/mutex.h"

namespace gnatsd::server {

// Thread rule: Schedule and Cancel are thread safe and may be called from a
// timer callback. Callbacks run one at a time on the thread inside Run(), with
// no lock of the queue held, so they may take any other lock.
class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = uint64_t;  // 0 is never a valid id

  // Runs fn once at `when` (or soon after). Returns an id for Cancel.
  TimerId Schedule(Clock::time_point when, std::function<void()> fn) EXCLUDES(mu_);
  TimerId After(Clock::duration d, std::function<void()> fn) {
    return Schedule(Clock::now() + d, std::move(fn));
  }

  // Go: Timer.Stop. True if the timer was removed before its callback
  // started; false if it already ran, is running, or was never scheduled.
  bool Cancel(TimerId id) EXCLUDES(mu_);

  // The timer thread's body: runs callbacks until Stop(). Pending timers are
  // dropped on Stop without running.
  void Run() EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);

  size_t Pending() EXCLUDES(mu_);

 private:
  Mutex mu_;
  CondVar cv_;
  bool stopped_ GUARDED_BY(mu_) = false;
  TimerId nextId_ GUARDED_BY(mu_) = 1;
  std::multimap<Clock::time_point, TimerId> byTime_ GUARDED_BY(mu_);
  struct Entry {
    std::multimap<Clock::time_point, TimerId>::iterator pos;
    std::function<void()> fn;
  };
  std::unordered_map<TimerId, Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace gnatsd::server
