// Go: none (C++ only: nats-bench, a load generator for any NATS server)
// pub, pubsub, fanout and queue: publishers send numbered messages as fast as the server
// takes them (or within --window), subscribers check each one.
//
// End of a run: each publisher sends PING after its last message and waits for PONG, so
// the server has taken every message; then each subscriber sends PING and reads until
// PONG. A server writes to one client in order, so by that PONG every message meant for
// that subscriber has arrived, and an extra one would have shown up.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tools/nats-bench/bench.h"
#include "tools/nats-bench/crew.h"

namespace natsbench {

using namespace std::chrono_literals;

namespace {

class PubSubRun {
 public:
  explicit PubSubRun(const Settings& s)
      : s_(s),
        crew_(s),
        stride_((static_cast<size_t>(s.pubs) + 7) / 8 * 8),
        got_(std::make_unique<std::atomic<uint64_t>[]>(stride_ * static_cast<size_t>(std::max(1, s.subs)))),
        pubEnd_(static_cast<size_t>(s.pubs)),
        subs_(static_cast<size_t>(s.subs)) {
    queue_ = s.mode == Mode::Queue;
    stamp_ = s.subs > 0 && s.size >= 16;
    if (queue_ && s.size >= 8) {
      for (int p = 0; p < s.pubs; ++p) {
        seen_.emplace_back(std::make_unique<std::atomic<uint64_t>[]>(share(p) / 64 + 1));
      }
    }
  }

  Result Run() {
    for (int i = 0; i < s_.subs; ++i) crew_.Spawn([this, i] { subscriber(i); });
    // Subscribers are in place (their SUB answered by PONG) before any publisher starts.
    auto deadline = Clock::now() + s_.timeout;
    while (subsReady_.load() < s_.subs) {
      if (Clock::now() > deadline) Fail("subscribers did not connect within --timeout");
      std::this_thread::sleep_for(1ms);
    }
    for (int p = 0; p < s_.pubs; ++p) crew_.Spawn([this, p] { publisher(p); });
    start_ = crew_.StartAll();
    auto activity = [this] { return published_.load() + delivered_.load() + crew_.Done(); };
    const uint64_t goal = s_.subs > 0 ? s_.msgs * (queue_ ? 1 : static_cast<uint64_t>(s_.subs)) : s_.msgs;
    auto progress = [this] { return s_.subs > 0 ? delivered_.load() : published_.load(); };
    auto status = [this] { return statusLine(); };
    crew_.Watch(s_.pubs + s_.subs, activity, progress, goal, "msgs", status);
    crew_.JoinAll();
    return report();
  }

 private:
  struct SubResult {
    uint64_t received = 0;
    Clock::time_point last{};
    Histogram latency;
  };

  // Messages publisher p sends: msgs split evenly, the first ones taking the remainder.
  uint64_t share(int p) const {
    uint64_t n = s_.msgs / static_cast<uint64_t>(s_.pubs);
    return n + (static_cast<uint64_t>(p) < s_.msgs % static_cast<uint64_t>(s_.pubs) ? 1 : 0);
  }
  std::atomic<uint64_t>& got(int sub, int pub) { return got_[static_cast<size_t>(sub) * stride_ + static_cast<size_t>(pub)]; }
  // Messages of publisher p that have arrived: at every subscriber (fan-out), or at one
  // member of the group (queue).
  uint64_t acked(int p) {
    uint64_t v = queue_ ? 0 : UINT64_MAX;
    for (int i = 0; i < s_.subs; ++i) {
      uint64_t g = got(i, p).load(std::memory_order_relaxed);
      v = queue_ ? v + g : std::min(v, g);
    }
    return v;
  }

  std::string statusLine() {
    std::string out = "published " + Num(published_.load()) + " of " + Num(s_.msgs) + ", delivered " +
                      Num(delivered_.load());
    if (s_.subs > 0) out += " of " + Num(queue_ ? s_.msgs : s_.msgs * static_cast<uint64_t>(s_.subs));
    out += "; per subscriber:";
    for (int i = 0; i < s_.subs && i < 16; ++i) {
      uint64_t sum = 0;
      for (int p = 0; p < s_.pubs; ++p) sum += got(i, p).load();
      out.append(" ").append(Num(sum));  // not `" " + Num(...)`: GCC 12's bogus -Wrestrict at -O3
    }
    return out;
  }

  void publisher(int p) {
    const std::string who = "publisher " + std::to_string(p);
    Conn c;
    Reader r(64 * 1024);
    std::string err;
    ServerInfo info;
    if (!c.Dial(s_.target, s_.timeout, kRecvTick, s_.timeout, &err) ||
        !Handshake(c, r, s_.target, "nats-bench-pub", "", Clock::now() + s_.timeout, &info, &err)) {
      Fail(who + ": " + err);
    }
    CheckPayloadLimit(s_, info);
    if (p == 0) info_ = info;
    const FrameTemplate frame(s_.subject, "", s_.size);
    FrameWriter out(frame, s_.size);
    const uint64_t n = share(p);
    auto lastCheck = Clock::now();
    auto flush = [&] {
      if (out.Empty()) return;
      const size_t batch = out.Count();
      if (!out.Flush(c)) Fail(who + ": " + WriteError(c, r));
      published_.fetch_add(batch, std::memory_order_relaxed);
      // Now and then, read what the server sent: a PING to answer, an -ERR to report.
      auto now = Clock::now();
      if (now - lastCheck < 100ms) return;
      lastCheck = now;
      ssize_t got = r.FillNow(c.fd());
      if (got == 0) Fail(who + ": the server closed the connection");
      Frame f;
      while (r.Next(&f, &err) == 1) {
        if (f.op == Op::Err) Fail(who + ": server said: " + std::string(f.line));
        if (f.op == Op::Ping && !ReplyPong(c)) Fail(who + ": " + WriteError(c, r));
        if (f.op == Op::Msg) Fail(who + ": unexpected MSG on " + std::string(f.subject));
      }
    };
    crew_.ReadyAndWait();
    for (uint64_t seq = 0; seq < n; ++seq) {
      if (s_.window > 0 && seq - acked(p) >= s_.window) {
        flush();
        if (!gate_.WaitUntil([&] { return seq - acked(p) < s_.window; }, Clock::now() + s_.timeout)) {
          Fail(who + ": window of " + Num(s_.window) + " not acknowledged by the subscribers within --timeout (seq " +
               Num(seq) + ", acknowledged " + Num(acked(p)) + ")");
        }
      }
      if (out.Full()) flush();
      PutHeader(out.Add(), s_.size, static_cast<uint64_t>(p), seq, stamp_ ? NowNs() : 0);
    }
    flush();
    if (!c.WriteAll("PING\r\n")) Fail(who + ": " + WriteError(c, r));
    if (!WaitPong(c, r, Clock::now() + s_.timeout, &err, [&](const Frame& f) {
          err = "unexpected " + std::string(f.line.substr(0, 60));
          return f.op != Op::Msg;
        })) {
      Fail(who + ": after the last message: " + err);
    }
    pubEnd_[static_cast<size_t>(p)] = Clock::now();
    if (pubsDone_.fetch_add(1) + 1 == s_.pubs) drain_.store(true);
  }

  void subscriber(int i) {
    const std::string who = "subscriber " + std::to_string(i);
    Conn c;
    Reader r;
    std::string err;
    std::string sub = "SUB " + s_.subject + (queue_ ? " " + s_.queue : "") + " 1\r\n";
    if (!c.Dial(s_.target, s_.timeout, kRecvTick, s_.timeout, &err) ||
        !Handshake(c, r, s_.target, "nats-bench-sub", sub, Clock::now() + s_.timeout, nullptr, &err)) {
      Fail(who + ": " + err);
    }
    subsReady_.fetch_add(1);
    crew_.ReadyAndWait();

    SubResult& res = subs_[static_cast<size_t>(i)];
    std::vector<uint64_t> next(static_cast<size_t>(s_.pubs), 0), count(static_cast<size_t>(s_.pubs), 0);
    const bool checkSeq = s_.size >= 8;
    bool pingSent = false;
    Clock::time_point pingDeadline{}, chunkAt = Clock::now();
    uint64_t chunkNs = NowNs();
    Frame f;
    for (;;) {
      const uint64_t before = res.received;
      int rc = 0;
      bool ponged = false;
      while (!ponged && (rc = r.Next(&f, &err)) == 1) {
        switch (f.op) {
          case Op::Msg: {
            if (f.payload.size() != s_.size) {
              Fail(who + ": got a payload of " + Num(f.payload.size()) + " bytes, sent " + Num(s_.size));
            }
            if (f.subject != s_.subject) Fail(who + ": message on unexpected subject " + std::string(f.subject));
            ++res.received;
            if (!checkSeq) break;
            uint64_t p, seq, ts;
            GetHeader(f.payload.data(), s_.size, &p, &seq, &ts);
            if (p >= static_cast<uint64_t>(s_.pubs)) Fail(who + ": message from unknown publisher id " + Num(p));
            uint64_t& want = next[p];
            if (queue_) {
              if (seq < want) {
                Fail(who + ": publisher " + Num(p) + ": seq " + Num(seq) + " arrived after seq " + Num(want - 1) +
                     " (out of order within one queue member)");
              }
              uint64_t bit = uint64_t{1} << (seq % 64);
              if (seen_[p][seq / 64].fetch_or(bit, std::memory_order_relaxed) & bit) {
                Fail(who + ": publisher " + Num(p) + ": seq " + Num(seq) +
                     " delivered twice across the queue group");
              }
              want = seq + 1;
              ++count[p];
            } else if (seq != want) {
              Fail(who + ": publisher " + Num(p) + ": expected seq " + Num(want) + ", got " + Num(seq) +
                   (seq > want ? " (" + Num(seq - want) + " missing or reordered)" : " (duplicate or reordered)"));
            } else {
              ++want;
            }
            if (ts != 0 && chunkNs >= ts) res.latency.Record(chunkNs - ts);
            break;
          }
          case Op::Ping:
            if (!ReplyPong(c)) Fail(who + ": " + WriteError(c, r));
            break;
          case Op::Pong:
            ponged = pingSent;
            break;
          case Op::Err:
            Fail(who + ": server said: " + std::string(f.line));
          default:
            break;
        }
      }
      if (!ponged && rc < 0) Fail(who + ": " + err);
      if (res.received != before) {
        res.last = chunkAt;
        delivered_.fetch_add(res.received - before, std::memory_order_relaxed);
        for (int p = 0; p < s_.pubs; ++p) {
          got(i, p).store(checkSeq ? (queue_ ? count[static_cast<size_t>(p)] : next[static_cast<size_t>(p)])
                                   : res.received,
                          std::memory_order_relaxed);
        }
        gate_.Notify();
      }
      if (ponged) break;
      if (!pingSent && drain_.load()) {
        if (!c.WriteAll("PING\r\n")) Fail(who + ": " + WriteError(c, r));
        pingSent = true;
        pingDeadline = Clock::now() + s_.timeout;
      }
      if (pingSent && Clock::now() > pingDeadline) {
        Fail(who + ": no PONG within --timeout after the publishers finished (" + Num(res.received) +
             " messages received)");
      }
      ssize_t n = r.Fill(c.fd());
      if (n == 0) {
        Fail(who + ": the server closed the connection after " + Num(res.received) +
             " messages (cut as a slow consumer?)");
      }
      if (n > 0) {
        chunkAt = Clock::now();
        if (stamp_) chunkNs = NowNs();
      } else if (!Transient(n)) {
        Fail(who + ": read failed: " + std::strerror(errno));
      }
    }
  }

  Result report() {
    Result res;
    res.info = info_;
    res.msgs = s_.msgs;
    auto pubEnd = *std::max_element(pubEnd_.begin(), pubEnd_.end());
    res.pubElapsed = Seconds(pubEnd - start_);
    auto end = pubEnd;
    uint64_t minPart = UINT64_MAX, maxPart = 0;
    for (size_t i = 0; i < subs_.size(); ++i) {
      const SubResult& sr = subs_[i];
      res.delivered += sr.received;
      res.latency.Merge(sr.latency);
      end = std::max(end, sr.last);
      minPart = std::min(minPart, sr.received);
      maxPart = std::max(maxPart, sr.received);
      if (!queue_ && sr.received != s_.msgs) {
        Fail("subscriber " + std::to_string(i) + " received " + Num(sr.received) + " of " + Num(s_.msgs) +
             " messages");
      }
    }
    if (queue_ && res.delivered != s_.msgs) {
      Fail("the queue group received " + Num(res.delivered) + " of " + Num(s_.msgs) + " messages");
    }
    res.elapsed = Seconds(end - start_);
    res.minPart = subs_.empty() ? 0 : minPart;
    res.maxPart = maxPart;
    const bool seq = s_.size >= 8;
    if (s_.subs == 0) {
      res.checked = "every publisher's messages taken by the server (PONG after the last one)";
    } else if (queue_) {
      res.checked = seq ? "each message delivered exactly once across the group, in order per member"
                        : "message count only (--size < 8 leaves no room for sequence numbers)";
    } else {
      res.checked = seq ? "each subscriber got every message exactly once, in publisher order"
                        : "message count only (--size < 8 leaves no room for sequence numbers)";
    }
    if (res.latency.Count() > 0) {
      res.latencyWhat = s_.window > 0 ? "publish to delivery, window " + Num(s_.window)
                                      : "publish to delivery, no --window: includes queueing";
    }
    return res;
  }

  const Settings& s_;
  Crew crew_;
  bool queue_ = false, stamp_ = false;
  const size_t stride_;  // got_ row length, a whole cache line so subscribers do not share one
  std::unique_ptr<std::atomic<uint64_t>[]> got_;
  std::vector<std::unique_ptr<std::atomic<uint64_t>[]>> seen_;  // queue: bitmaps per publisher
  Gate gate_;
  std::atomic<int> subsReady_{0}, pubsDone_{0};
  std::atomic<bool> drain_{false};
  std::atomic<uint64_t> published_{0}, delivered_{0};
  std::vector<Clock::time_point> pubEnd_;
  std::vector<SubResult> subs_;
  ServerInfo info_;
  Clock::time_point start_;
};

}  // namespace

Result RunPubSub(const Settings& s) {
  PubSubRun run(s);
  return run.Run();
}

}  // namespace natsbench
