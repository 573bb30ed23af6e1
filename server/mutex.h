// C++ only (no Go counterpart): lock types the compiler can check.
// Mutex / RWMutex wrap the standard ones with clang's thread-safety
// capability attributes; MutexLock / ReadLock / WriteLock are the scoped
// guards. g++ ignores the attributes; clang -Wthread-safety enforces them.
#pragma once

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define GNATSD_TSA(x) __attribute__((x))
#else
#define GNATSD_TSA(x)
#endif

#define CAPABILITY(x) GNATSD_TSA(capability(x))
#define SCOPED_CAPABILITY GNATSD_TSA(scoped_lockable)
#define GUARDED_BY(x) GNATSD_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) GNATSD_TSA(pt_guarded_by(x))
#define REQUIRES(...) GNATSD_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) GNATSD_TSA(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) GNATSD_TSA(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) GNATSD_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) GNATSD_TSA(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) GNATSD_TSA(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) GNATSD_TSA(release_generic_capability(__VA_ARGS__))
#define EXCLUDES(...) GNATSD_TSA(locks_excluded(__VA_ARGS__))
#define RETURN_CAPABILITY(x) GNATSD_TSA(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS GNATSD_TSA(no_thread_safety_analysis)

namespace gnatsd {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() GNATSD_TSA(try_acquire_capability(true)) { return mu_.try_lock(); }
  // For condition variables: the raw mutex. Callers must already hold it.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

class CAPABILITY("mutex") RWMutex {
 public:
  RWMutex() = default;
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void RLock() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void RUnlock() RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Scoped exclusive lock. Unlock()/Lock() let code mirror Go's
// `c.mu.Unlock(); ...; c.mu.Lock()` while staying checked.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_.Unlock();
  }
  void Unlock() RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
  bool held_ = true;
};

class SCOPED_CAPABILITY ReadLock {
 public:
  explicit ReadLock(RWMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.RLock(); }
  ~ReadLock() RELEASE() { mu_.RUnlock(); }
  ReadLock(const ReadLock&) = delete;
  ReadLock& operator=(const ReadLock&) = delete;

 private:
  RWMutex& mu_;
};

class SCOPED_CAPABILITY WriteLock {
 public:
  explicit WriteLock(RWMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WriteLock() RELEASE() { mu_.Unlock(); }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

 private:
  RWMutex& mu_;
};

// Condition variable used with a Mutex. Wait(mu) must be called with mu
// held (always the same mu for one CondVar); it is released while blocked
// and held again on return. The mutex is a parameter so that the analysis
// can check the caller holds it.
class CondVar {
 public:
  CondVar() = default;
  void Wait(Mutex& mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> l(mu.native(), std::adopt_lock);
    cv_.wait(l);
    l.release();
  }
  // Returns false on timeout.
  template <class Clock, class Dur>
  bool WaitUntil(Mutex& mu, const std::chrono::time_point<Clock, Dur>& deadline) REQUIRES(mu) {
    std::unique_lock<std::mutex> l(mu.native(), std::adopt_lock);
    bool ok = cv_.wait_until(l, deadline) == std::cv_status::no_timeout;
    l.release();
    return ok;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace gnatsd
