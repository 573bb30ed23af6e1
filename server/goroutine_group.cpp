// C++ only (Go: sync.WaitGroup and startGoRoutine's bookkeeping)
// Thread ownership, naming and joining for the GoroutineGroup.
#include "server/goroutine_group.h"

#include <pthread.h>

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

namespace {
// std::jthread cannot take a stack size, so the process default for new
// threads is lowered once (glibc's pthread_setattr_default_np).
void setDefaultStackSizeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_attr_t attr;
    if (pthread_getattr_default_np(&attr) != 0) return;
    size_t cur = 0;
    pthread_attr_getstacksize(&attr, &cur);
    if (cur == 0 || cur > ThreadStackSize()) {
      pthread_attr_setstacksize(&attr, ThreadStackSize());
      pthread_setattr_default_np(&attr);
    }
    pthread_attr_destroy(&attr);
  });
}
}  // namespace

GoroutineGroup::~GoroutineGroup() {
  Stop();
  Wait();
}

bool GoroutineGroup::Go(std::string name, std::function<void()> fn) {
  reap();
  setDefaultStackSizeOnce();
  MutexLock l(mu_);
  if (stopped_) return false;
  ++count_;
  auto it = running_.emplace(running_.end());
  // The new thread's exit path takes mu_, so it cannot move its handle
  // before the assignment below has finished.
  *it = std::jthread([this, it, name = std::move(name), fn = std::move(fn)] {
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
    std::vector<std::jthread> earlier;
    {
      MutexLock l2(mu_);
      earlier.swap(finished_);
    }
    for (auto& t : earlier) {
      if (t.joinable()) t.join();
    }
    MutexLock l2(mu_);
    finished_.push_back(std::move(*it));
    running_.erase(it);
    if (--count_ == 0) done_.SignalAll();
  });
  return true;
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
  std::vector<std::jthread> done;
  {
    MutexLock l(mu_);
    done.swap(finished_);
  }
  // Joining happens outside the lock: each of these threads is past its last
  // use of mu_ only after it has released it.
  for (auto& t : done) {
    if (t.joinable()) t.join();
  }
}

}  // namespace gnatsd::server
