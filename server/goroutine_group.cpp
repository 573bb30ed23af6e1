// C++ only (Go: sync.WaitGroup and startGoRoutine's bookkeeping)
// Thread ownership, naming and joining for the GoroutineGroup.
#include "server/goroutine_group.h"

#include <pthread.h>

#include <boost/thread/thread.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>

#include "server/util.h"

namespace gnatsd::server {

size_t ThreadStackSize() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 2 * 1024 * 1024;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return 2 * 1024 * 1024;
#else
  return 256 * 1024;
#endif
#else
  return 256 * 1024;
#endif
}

void LowerDefaultThreadStack(size_t bytes) {
  static std::mutex mu;
  std::lock_guard<std::mutex> l(mu);
  pthread_attr_t attr;
  if (pthread_getattr_default_np(&attr) != 0) return;
  size_t cur = 0;
  pthread_attr_getstacksize(&attr, &cur);
  if (cur == 0 || cur > bytes) {
    pthread_attr_setstacksize(&attr, bytes);
    pthread_setattr_default_np(&attr);
  }
  pthread_attr_destroy(&attr);
}

GoroutineGroup::GoroutineGroup() = default;

GoroutineGroup::~GoroutineGroup() {
  Stop();
  Wait();
}

void GoroutineGroup::SetStackSize(size_t bytes) {
  MutexLock l(mu_);
  stackSize_ = bytes;
}

bool GoroutineGroup::Go(std::string name, std::function<void()> fn) {
  return start(false, std::move(name), std::move(fn));
}

bool GoroutineGroup::GoConn(std::string name, std::function<void()> fn) {
  return start(true, std::move(name), std::move(fn));
}

bool GoroutineGroup::start(bool conn, std::string name, std::function<void()> fn) {
  reap();
  MutexLock l(mu_);
  if (stopped_) return false;
  ++count_;
  auto it = running_.emplace(running_.end());
  // The new thread's exit path takes mu_, so it cannot move its handle
  // before the assignment below has finished.
  auto body = [this, it, name = std::move(name), fn = std::move(fn)] { run(it, name, fn); };
  if (conn) {
    *it = std::jthread(std::move(body));
  } else {
    boost::thread::attributes attrs;
    attrs.set_stack_size(stackSize_ ? stackSize_ : ThreadStackSize());
    *it = std::make_unique<boost::thread>(attrs, std::move(body));
  }
  return true;
}

void GoroutineGroup::run(std::list<Thread>::iterator it, const std::string& name,
                         const std::function<void()>& fn) {
  setThreadName(name);
  try {
    fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[FTL] thread %s: uncaught exception: %s\n", name.c_str(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "[FTL] thread %s: uncaught exception\n", name.c_str());
    std::abort();
  }
  // Join the threads that finished before us, so that their stacks go back
  // to the system now rather than at the next Go() (10,000 disconnects
  // would otherwise keep 10,000 dead stacks). Those threads are past their
  // last use of mu_, and none of them can be joining us: we are not in
  // finished_ yet.
  std::vector<Thread> earlier;
  {
    MutexLock l(mu_);
    earlier.swap(finished_);
  }
  for (auto& t : earlier) join(t);
  MutexLock l(mu_);
  finished_.push_back(std::move(*it));
  running_.erase(it);
  if (--count_ == 0) done_.SignalAll();
}

void GoroutineGroup::join(Thread& t) {
  if (auto* j = std::get_if<std::jthread>(&t)) {
    if (j->joinable()) j->join();
  } else if (auto* b = std::get_if<std::unique_ptr<boost::thread>>(&t)) {
    if (*b && (*b)->joinable()) (*b)->join();
  }
}

void GoroutineGroup::Stop() {
  MutexLock l(mu_);
  stopped_ = true;
}

void GoroutineGroup::Wait() {
  {
    MutexLock l(mu_);
    while (count_ > 0) done_.Wait(mu_);
  }
  reap();
}

int64_t GoroutineGroup::Running() {
  MutexLock l(mu_);
  return count_;
}

void GoroutineGroup::reap() {
  std::vector<Thread> done;
  {
    MutexLock l(mu_);
    done.swap(finished_);
  }
  // Joining happens outside the lock: each of these threads is past its last
  // use of mu_ only after it has released it.
  for (auto& t : done) join(t);
}

}  // namespace gnatsd::server
