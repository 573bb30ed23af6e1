// Go: none (C++ only: nats-bench, a load generator for any NATS server)
// reqrep: requesters publish numbered requests with their own inbox as reply subject and
// keep at most --window unanswered (1 by default: one round trip at a time); responders
// (a queue group when there are several) echo each payload to its reply subject. Every
// reply must come back exactly once (and in order, with a single responder).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <string>
#include <vector>

#include "tools/nats-bench/bench.h"
#include "tools/nats-bench/crew.h"

namespace natsbench {

using namespace std::chrono_literals;

namespace {

class ReqRepRun {
 public:
  explicit ReqRepRun(const Settings& s) : s_(s), crew_(s), req_(static_cast<size_t>(s.pubs)) {}

  Result Run() {
    for (int i = 0; i < s_.subs; ++i) crew_.Spawn([this, i] { responder(i); });
    auto deadline = Clock::now() + s_.timeout;
    while (respReady_.load() < s_.subs) {
      if (Clock::now() > deadline) Fail("responders did not connect within --timeout");
      std::this_thread::sleep_for(1ms);
    }
    for (int p = 0; p < s_.pubs; ++p) crew_.Spawn([this, p] { requester(p); });
    start_ = crew_.StartAll();
    auto activity = [this] { return answered_.load() + replied_.load(); };
    auto progress = [this] { return answered_.load(); };
    auto status = [this] {
      return "requests answered " + Num(answered_.load()) + " of " + Num(s_.msgs) + ", replies sent by responders " +
             Num(replied_.load());
    };
    crew_.Watch(s_.pubs, activity, progress, s_.msgs, "requests", status);
    stop_.store(true);  // responders leave within a receive tick
    crew_.Watch(s_.pubs + s_.subs, activity, progress, s_.msgs, "requests", status);
    crew_.JoinAll();

    Result res;
    res.info = info_;
    res.msgs = s_.msgs;
    res.delivered = s_.msgs;
    Clock::time_point end = start_;
    for (const auto& r : req_) {
      end = std::max(end, r.end);
      res.latency.Merge(r.latency);
      if (r.answered != r.sent) Fail("a requester got " + Num(r.answered) + " replies to " + Num(r.sent) + " requests");
    }
    res.elapsed = res.pubElapsed = Seconds(end - start_);
    res.latencyWhat = "request round trip, window " + Num(s_.window);
    res.checked = s_.subs == 1 ? "every request answered exactly once, in order"
                               : "every request answered exactly once (several responders: any order)";
    return res;
  }

 private:
  struct ReqResult {
    uint64_t sent = 0, answered = 0;
    Clock::time_point end{};
    Histogram latency;
  };

  uint64_t share(int p) const {
    uint64_t n = s_.msgs / static_cast<uint64_t>(s_.pubs);
    return n + (static_cast<uint64_t>(p) < s_.msgs % static_cast<uint64_t>(s_.pubs) ? 1 : 0);
  }

  void responder(int i) {
    const std::string who = "responder " + std::to_string(i);
    Conn c;
    Reader r;
    std::string err;
    std::string sub = "SUB " + s_.subject + (s_.subs > 1 ? " " + s_.queue : "") + " 1\r\n";
    if (!c.Dial(s_.target, s_.timeout, kRecvTick, s_.timeout, &err) ||
        !Handshake(c, r, s_.target, "nats-bench-responder", sub, Clock::now() + s_.timeout, nullptr, &err)) {
      Fail(who + ": " + err);
    }
    respReady_.fetch_add(1);
    crew_.ReadyAndWait();
    OutBuf out(s_.size + 256);
    std::string line;
    uint64_t pending = 0;
    Frame f;
    for (;;) {
      int rc;
      while ((rc = r.Next(&f, &err)) == 1) {
        if (f.op == Op::Msg) {
          if (f.reply.empty()) Fail(who + ": a request without a reply subject");
          line.assign("PUB ").append(f.reply).append(" ");
          char n[24];
          line.append(n, std::to_chars(n, n + sizeof n, f.payload.size()).ptr).append("\r\n");
          if (!out.Fits(line.size() + f.payload.size() + 2)) {
            if (!out.Flush(c)) Fail(who + ": " + WriteError(c, r));
          }
          out.Append(line);
          out.Append(f.payload);
          out.Append("\r\n");
          ++pending;
        } else if (f.op == Op::Ping) {
          if (!out.Flush(c) || !ReplyPong(c)) Fail(who + ": " + WriteError(c, r));
        } else if (f.op == Op::Err) {
          Fail(who + ": server said: " + std::string(f.line));
        }
      }
      if (rc < 0) Fail(who + ": " + err);
      if (!out.Empty()) {
        if (!out.Flush(c)) Fail(who + ": " + WriteError(c, r));
        replied_.fetch_add(pending, std::memory_order_relaxed);
        pending = 0;
      }
      if (stop_.load()) return;
      ssize_t n = r.Fill(c.fd());
      if (n == 0) Fail(who + ": the server closed the connection");
      if (n < 0 && !Transient(n)) Fail(who + ": read failed: " + std::strerror(errno));
    }
  }

  void requester(int p) {
    const std::string who = "requester " + std::to_string(p);
    const std::string inbox = "_INBOX.nats-bench." + std::to_string(::getpid()) + "." + std::to_string(p);
    Conn c;
    Reader r;
    std::string err;
    ServerInfo info;
    if (!c.Dial(s_.target, s_.timeout, kRecvTick, s_.timeout, &err) ||
        !Handshake(c, r, s_.target, "nats-bench-requester", "SUB " + inbox + " 1\r\n", Clock::now() + s_.timeout,
                   &info, &err)) {
      Fail(who + ": " + err);
    }
    CheckPayloadLimit(s_, info);
    if (p == 0) info_ = info;
    crew_.ReadyAndWait();

    ReqResult& res = req_[static_cast<size_t>(p)];
    const FrameTemplate frame(s_.subject, inbox, s_.size);
    FrameWriter out(frame, s_.size);
    const uint64_t n = share(p), w = s_.window;
    // Requests low .. low+w-1 may be out at once, so seq % w names one slot each.
    std::vector<uint64_t> sentAt(w, 0);
    std::vector<char> answered(w, 0);
    uint64_t low = 0;
    auto lastReply = Clock::now();
    uint64_t readNs = NowNs();
    Frame f;
    for (;;) {
      int rc;
      const uint64_t before = res.answered;
      while ((rc = r.Next(&f, &err)) == 1) {
        if (f.op == Op::Msg) {
          if (f.subject != inbox) Fail(who + ": message on unexpected subject " + std::string(f.subject));
          if (f.payload.size() != s_.size) {
            Fail(who + ": reply of " + Num(f.payload.size()) + " bytes to a request of " + Num(s_.size));
          }
          uint64_t id, seq, ts;
          GetHeader(f.payload.data(), s_.size, &id, &seq, &ts);
          if (id != static_cast<uint64_t>(p)) Fail(who + ": got the reply to requester " + Num(id));
          if (seq < low || seq >= res.sent || answered[seq % w]) {
            Fail(who + ": reply to request " + Num(seq) + " is a duplicate or was never asked (" + Num(res.sent) +
                 " sent, all below " + Num(low) + " answered)");
          }
          if (s_.subs == 1 && seq != low) {
            Fail(who + ": reply to request " + Num(seq) + " came before the reply to " + Num(low));
          }
          answered[seq % w] = 1;
          res.latency.Record(readNs > sentAt[seq % w] ? readNs - sentAt[seq % w] : 0);
          ++res.answered;
          while (low < res.sent && answered[low % w]) answered[low++ % w] = 0;
        } else if (f.op == Op::Ping) {
          if (!ReplyPong(c)) Fail(who + ": " + WriteError(c, r));
        } else if (f.op == Op::Err) {
          Fail(who + ": server said: " + std::string(f.line));
        }
      }
      if (rc < 0) Fail(who + ": " + err);
      if (res.answered != before) {
        answered_.fetch_add(res.answered - before, std::memory_order_relaxed);
        res.end = lastReply;
      }
      if (res.answered == n) break;
      while (res.sent < n && res.sent < low + w) {
        if (out.Full() && !out.Flush(c)) Fail(who + ": " + WriteError(c, r));
        PutHeader(out.Add(), s_.size, static_cast<uint64_t>(p), res.sent, 0);
        sentAt[res.sent % w] = NowNs();
        ++res.sent;
      }
      if (!out.Empty() && !out.Flush(c)) Fail(who + ": " + WriteError(c, r));
      ssize_t got = r.Fill(c.fd());
      if (got > 0) {
        lastReply = Clock::now();
        readNs = NowNs();
      } else if (got == 0) {
        Fail(who + ": the server closed the connection");
      } else if (!Transient(got)) {
        Fail(who + ": read failed: " + std::strerror(errno));
      } else if (Clock::now() - lastReply > s_.timeout) {
        Fail(who + ": no reply within --timeout (" + Num(res.sent) + " requests sent, " + Num(res.answered) +
             " answered; is a responder subscribed to " + s_.subject + "?)");
      }
    }
  }

  const Settings& s_;
  Crew crew_;
  std::vector<ReqResult> req_;
  std::atomic<int> respReady_{0};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> answered_{0}, replied_{0};
  ServerInfo info_;
  Clock::time_point start_;
};

}  // namespace

Result RunReqRep(const Settings& s) {
  ReqRepRun run(s);
  return run.Run();
}

}  // namespace natsbench
