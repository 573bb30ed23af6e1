// C++ only (Go: time.AfterFunc)
// The shared timer thread.
#include "server/timer.h"

namespace gnatsd::server {

TimerQueue::TimerId TimerQueue::Schedule(Clock::time_point when, std::function<void()> fn) {
  MutexLock l(mu_);
  if (stopped_) return 0;
  TimerId id = nextId_++;
  auto pos = byTime_.emplace(when, id);
  // Wake the thread only when this deadline is the new earliest one.
  bool earliest = pos == byTime_.begin();
  entries_.emplace(id, Entry{pos, std::move(fn)});
  if (earliest) cv_.Signal();
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  std::function<void()> dropped;  // destroyed after the lock is released
  MutexLock l(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  byTime_.erase(it->second.pos);
  dropped = std::move(it->second.fn);
  entries_.erase(it);
  l.Unlock();
  return true;
}

void TimerQueue::Run() {
  MutexLock l(mu_);
  while (!stopped_) {
    if (byTime_.empty()) {
      cv_.Wait(mu_);
      continue;
    }
    auto first = byTime_.begin();
    if (first->first > Clock::now()) {
      // A copy: Cancel may erase this node (and its key) during the wait.
      const Clock::time_point when = first->first;
      cv_.WaitUntil(mu_, when);
      continue;
    }
    auto it = entries_.find(first->second);
    std::function<void()> fn = std::move(it->second.fn);
    entries_.erase(it);
    byTime_.erase(first);
    l.Unlock();
    fn();
    fn = nullptr;  // release captured state before retaking the lock
    l.Lock();
  }
}

void TimerQueue::Stop() {
  std::unordered_map<TimerId, Entry> dropped;
  MutexLock l(mu_);
  stopped_ = true;
  byTime_.clear();
  dropped.swap(entries_);
  cv_.SignalAll();
  l.Unlock();
}

size_t TimerQueue::Pending() {
  MutexLock l(mu_);
  return entries_.size();
}

}  // namespace gnatsd::server
