// C++ only (Go: sync.WaitGroup plus the grRunning flag of server.go)
// Owns every thread the server starts and lets Shutdown wait for all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <thread>
#include <vector>

#include "server/mutex.h"

namespace gnatsd::server {

// Thread rule: every method is thread safe. A thread started by Go() may call
// Go() again (a connection's reader starting a helper), but must never call
// Wait(): it would wait for itself.
class GoroutineGroup {
 public:
  GoroutineGroup() = default;
  ~GoroutineGroup();  // Stop() + Wait()
  GoroutineGroup(const GoroutineGroup&) = delete;
  GoroutineGroup& operator=(const GoroutineGroup&) = delete;

  // Starts fn on a new thread named `name` (15 bytes at most are kept), unless
  // Stop() was called. Returns false, without running fn, when stopped.
  // An exception escaping fn is logged to stderr and aborts the process, as an
  // unrecovered panic would end a Go program.
  bool Go(std::string name, std::function<void()> fn) EXCLUDES(mu_);

  // After this Go() refuses new threads; running ones continue.
  void Stop() EXCLUDES(mu_);

  // Blocks until every thread started by Go() has returned, then joins them.
  void Wait() EXCLUDES(mu_);

  // Threads started and not yet finished.
  int64_t Running() EXCLUDES(mu_);

 private:
  void reap() EXCLUDES(mu_);

  Mutex mu_;
  CondVar done_;
  bool stopped_ GUARDED_BY(mu_) = false;
  int64_t count_ GUARDED_BY(mu_) = 0;
  // Threads still running, and finished ones waiting to be joined. A thread
  // cannot join itself, so it parks its own handle in finished_ on exit.
  std::list<std::jthread> running_ GUARDED_BY(mu_);
  std::vector<std::jthread> finished_ GUARDED_BY(mu_);
};

// Stack size for server threads. 10,000 connections mean 10,000 threads, so
// each gets a small stack (sanitizer builds need more).
size_t ThreadStackSize();

}  // namespace gnatsd::server
