// Go: none (C++ only: nats-bench, a load generator for any NATS server)
// What every mode shares: the client threads and their start line (Crew), the window
// gate, the payload header with sequence numbers and send times, and small helpers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tools/nats-bench/bench.h"
#include "tools/nats-bench/conn.h"

namespace natsbench {

// How long a blocked reader sleeps in recv before it looks at its flags again.
inline constexpr std::chrono::milliseconds kRecvTick{50};

inline std::string Num(uint64_t v) { return std::to_string(v); }
inline double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
inline uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}
// A recv result that only means "nothing yet" (the receive tick passed, or a signal).
inline bool Transient(ssize_t n) { return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR); }
std::string JsonString(std::string_view s);
// Fails the run if --size is above the max_payload the server announced.
void CheckPayloadLimit(const Settings& s, const ServerInfo& info);

// --- payload header ----------------------------------------------------------------------

// Bytes 0-7: publisher id (16 bits) and sequence number (48 bits); 8-15: send time in ns
// of the steady clock. Sender and receiver are this process, so host byte order is fine.
inline void PutHeader(char* p, size_t size, uint64_t id, uint64_t seq, uint64_t ts) {
  if (size >= 8) {
    uint64_t v = id | (seq << 16);
    std::memcpy(p, &v, 8);
  }
  if (size >= 16) std::memcpy(p + 8, &ts, 8);
}

// Needs size >= 8; *ts is 0 when size < 16 or the sender put no time.
inline void GetHeader(const char* p, size_t size, uint64_t* id, uint64_t* seq, uint64_t* ts) {
  uint64_t v = 0;
  std::memcpy(&v, p, 8);
  *id = v & 0xffff;
  *seq = v >> 16;
  *ts = 0;
  if (size >= 16) std::memcpy(ts, p + 8, 8);
}

// "PUB <subject> [reply] <size>\r\n<payload>\r\n" with a filler payload; the header bytes
// are patched per message at payloadAt.
struct FrameTemplate {
  std::string bytes;
  size_t payloadAt = 0;
  FrameTemplate(std::string_view subject, std::string_view reply, size_t size);
};

// Queues copies of one frame for a publisher and sends them in batches. Small frames are
// copied into one buffer; for payloads above kGatherAbove bytes only a small head (the
// control line and the first 16 payload bytes, which vary) is copied per message, and
// sendmsg gathers it with the constant rest of the template, so the load generator does
// not spend a memcpy of every payload. Not thread safe.
class FrameWriter {
 public:
  static constexpr size_t kGatherAbove = 2048;
  FrameWriter(const FrameTemplate& t, size_t size);
  // Adds one frame and returns where its payload starts; write at most 16 bytes there.
  // Call Full() first and Flush if it says so.
  char* Add();
  bool Full() const;
  bool Empty() const { return count_ == 0; }
  size_t Count() const { return count_; }  // frames queued since the last Flush
  // Sends everything queued; empty afterwards either way. False as Conn::WriteAll.
  bool Flush(Conn& c);

 private:
  static constexpr size_t kGatherBatch = 32;  // 512 KiB per sendmsg at 16 KiB
  const FrameTemplate& t_;
  const bool gather_;
  const size_t headLen_;   // gather: bytes copied per frame
  std::vector<char> buf_;  // copy: the frames; gather: the heads
  std::vector<iovec> iov_;
  size_t used_ = 0, count_ = 0;
};

// Lets a publisher sleep until its window has room. Notify costs one fence and a load
// when nobody waits, so readers call it after every read.
class Gate {
 public:
  void Notify() {
    Fence();
    if (waiters_.load(std::memory_order_relaxed) > 0) {
      std::lock_guard<std::mutex> l(mu_);
      cv_.notify_all();
    }
  }
  // True once pred() holds; false if the deadline passed first. pred reads atomics the
  // notifier stores before calling Notify.
  template <class Pred>
  bool WaitUntil(Pred pred, Clock::time_point deadline) {
    waiters_.fetch_add(1);
    Fence();
    bool ok;
    {
      std::unique_lock<std::mutex> l(mu_);
      ok = cv_.wait_until(l, deadline, pred);
    }
    waiters_.fetch_sub(1);
    return ok;
  }

 private:
  // Orders the notifier's stores before its read of waiters_ and the waiter's count before
  // its read of the predicate. ThreadSanitizer does not model fences (GCC refuses them
  // under -fsanitize=thread), so there the notifier takes the lock every time instead.
#if defined(__SANITIZE_THREAD__)
  void Fence() { std::lock_guard<std::mutex> l(mu_); }
#else
  static void Fence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
#endif
  std::atomic<int> waiters_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

// The client threads of one run: spawned, held at a start line until every one has
// connected, then watched by the calling (main) thread. Spawn, StartAll, Watch and
// JoinAll are for the main thread; ReadyAndWait and Done for any.
class Crew {
 public:
  explicit Crew(const Settings& s) : s_(s) {}
  ~Crew() { JoinAll(); }
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;

  void Spawn(std::function<void()> body);
  // A client thread calls this once connected; it returns when StartAll lets all go.
  void ReadyAndWait();
  // Waits (at most --timeout) until every spawned thread is ready, then starts them all.
  // Returns the start time.
  Clock::time_point StartAll();
  // Returns once `finished` threads have returned. `activity` must change while work goes
  // on: if it stays put longer than --timeout plus a second (so a client's own, more
  // precise failure comes first), the run fails with status(). Draws the progress bar
  // (progress of goal, in unit) when stderr is a terminal.
  void Watch(int finished, const std::function<uint64_t()>& activity, const std::function<uint64_t()>& progress,
             uint64_t goal, const char* unit, const std::function<std::string()>& status);
  void JoinAll();
  int Done() const { return done_.load(); }

 private:
  void drawBar(uint64_t v, uint64_t goal, const char* unit, Clock::time_point now);

  const Settings& s_;
  std::vector<std::thread> threads_;
  int spawned_ = 0;
  std::atomic<int> ready_{0}, done_{0};
  std::atomic<bool> go_{false};
  Clock::time_point start_ = Clock::now();
};

}  // namespace natsbench
