// C++ only (Go: sync.WaitGroup plus the grRunning flag of server.go)
// Owns every thread the server starts and lets Shutdown wait for all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <memory>
#include <thread>
#include <variant>
#include <vector>

#include "server/mutex.h"

namespace boost {
class thread;
}

namespace gnatsd::server {

// Two kinds of thread, both counted and joined alike:
//  - Go(): server threads (accept loop, timer, signals, writers) run on a
//    boost::thread whose stack size is set for that thread alone;
//  - GoConn(): a connection's reader runs on a std::jthread, which takes the
//    process default stack size (Server::Start may lower that default, see
//    Options::NoDefaultThreadStack).
//
// Thread rule: every method is thread safe. A thread started by Go() may call
// Go() again (a connection's reader starting a helper), but must never call
// Wait(): it would wait for itself.
class GoroutineGroup {
 public:
  GoroutineGroup();
  ~GoroutineGroup();  // Stop() + Wait()
  GoroutineGroup(const GoroutineGroup&) = delete;
  GoroutineGroup& operator=(const GoroutineGroup&) = delete;

  // Stack size, in bytes, of the threads Go() starts from now on.
  void SetStackSize(size_t bytes) EXCLUDES(mu_);

  // Starts fn on a new thread named `name` (15 bytes at most are kept), unless
  // Stop() was called. Returns false, without running fn, when stopped.
  // An exception escaping fn is logged to stderr and aborts the process, as an
  // unrecovered panic would end a Go program.
  bool Go(std::string name, std::function<void()> fn) EXCLUDES(mu_);
  // The same on a std::jthread with the process default stack (a reader).
  bool GoConn(std::string name, std::function<void()> fn) EXCLUDES(mu_);

  // After this Go() refuses new threads; running ones continue.
  void Stop() EXCLUDES(mu_);

  // Blocks until every thread started by Go() has returned, then joins them.
  void Wait() EXCLUDES(mu_);

  // Threads started and not yet finished.
  int64_t Running() EXCLUDES(mu_);
  // Joins the threads that have finished. The next thread to start or finish
  // does it anyway; after a wave of exits nothing else may come along, and
  // each dead thread keeps its stack until joined.
  void Reap() EXCLUDES(mu_) { reap(); }

 private:
  // A joinable handle of either kind.
  using Thread = std::variant<std::monostate, std::jthread, std::unique_ptr<boost::thread>>;
  bool start(bool conn, std::string name, std::function<void()> fn) EXCLUDES(mu_);
  // Body shared by both kinds: names the thread, runs fn, parks the handle.
  void run(std::list<Thread>::iterator it, const std::string& name, const std::function<void()>& fn)
      EXCLUDES(mu_);
  static void join(Thread& t);
  void reap() EXCLUDES(mu_);

  Mutex mu_;
  CondVar done_;
  bool stopped_ GUARDED_BY(mu_) = false;
  int64_t count_ GUARDED_BY(mu_) = 0;
  size_t stackSize_ GUARDED_BY(mu_) = 0;  // 0: ThreadStackSize()
  // Threads still running, and finished ones waiting to be joined. A thread
  // cannot join itself, so it parks its own handle in finished_ on exit.
  std::list<Thread> running_ GUARDED_BY(mu_);
  std::vector<Thread> finished_ GUARDED_BY(mu_);
};

// The default stack size for server threads: 10,000 connections mean 10,000
// threads, so each gets a small stack (sanitizer builds need more).
size_t ThreadStackSize();

// Lowers the stack size glibc gives new threads that do not ask for one
// (pthread_setattr_default_np) to `bytes`, for the whole process; never
// raises it. std::jthread cannot take a stack size, so this is how readers get
// small stacks. Idempotent.
void LowerDefaultThreadStack(size_t bytes);

}  // namespace gnatsd::server
