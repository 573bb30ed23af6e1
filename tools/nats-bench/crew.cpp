// Go: none (C++ only: nats-bench, a load generator for any NATS server)
// Failing loudly, the start line, the watchdog and the progress bar.
#include "tools/nats-bench/crew.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace natsbench {

using namespace std::chrono_literals;

namespace {
std::atomic<bool> gFailing{false};
bool gJson = false;
std::string gMode;
}  // namespace

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

void SetFailJson(bool json, const std::string& mode) {
  gJson = json;
  gMode = mode;
}

void Fail(const std::string& what) {
  if (gFailing.exchange(true)) {
    for (;;) std::this_thread::sleep_for(1s);  // the first caller is ending the process
  }
  std::fflush(stdout);
  std::fprintf(stderr, "%snats-bench: FAIL: %s\n", ::isatty(2) ? "\n" : "", what.c_str());
  if (gJson) {
    std::printf("{\"ok\":false,\"mode\":%s,\"error\":%s}\n", JsonString(gMode).c_str(), JsonString(what).c_str());
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

void CheckPayloadLimit(const Settings& s, const ServerInfo& info) {
  if (info.maxPayload > 0 && static_cast<int64_t>(s.size) > info.maxPayload) {
    Fail("--size " + Num(s.size) + " is larger than the server's max_payload " + std::to_string(info.maxPayload));
  }
}

FrameTemplate::FrameTemplate(std::string_view subject, std::string_view reply, size_t size) {
  bytes = "PUB " + std::string(subject) + " ";
  if (!reply.empty()) bytes += std::string(reply) + " ";
  bytes += std::to_string(size) + "\r\n";
  payloadAt = bytes.size();
  for (size_t i = 0; i < size; ++i) bytes += static_cast<char>('a' + i % 26);
  bytes += "\r\n";
}

// --- FrameWriter -----------------------------------------------------------------------------

FrameWriter::FrameWriter(const FrameTemplate& t, size_t size)
    : t_(t),
      gather_(size > kGatherAbove),
      headLen_(t.payloadAt + std::min<size_t>(size, 16)),
      buf_(gather_ ? kGatherBatch * headLen_ : std::max<size_t>(64 * 1024, 2 * t.bytes.size())),
      iov_(gather_ ? 2 * kGatherBatch : 0) {}

bool FrameWriter::Full() const {
  return gather_ ? count_ == kGatherBatch : used_ + t_.bytes.size() > buf_.size();
}

char* FrameWriter::Add() {
  char* at = buf_.data() + used_;
  if (gather_) {
    std::memcpy(at, t_.bytes.data(), headLen_);
    iov_[2 * count_] = {at, headLen_};
    iov_[2 * count_ + 1] = {const_cast<char*>(t_.bytes.data()) + headLen_, t_.bytes.size() - headLen_};
    used_ += headLen_;
  } else {
    std::memcpy(at, t_.bytes.data(), t_.bytes.size());
    used_ += t_.bytes.size();
  }
  ++count_;
  return at + t_.payloadAt;
}

bool FrameWriter::Flush(Conn& c) {
  bool ok = gather_ ? c.WriteV(iov_.data(), 2 * count_) : c.WriteAll(buf_.data(), used_);
  used_ = count_ = 0;
  return ok;
}

// --- Crew ---------------------------------------------------------------------------------

void Crew::Spawn(std::function<void()> body) {
  ++spawned_;
  threads_.emplace_back([this, body = std::move(body)] {
    body();
    done_.fetch_add(1);
  });
}

void Crew::ReadyAndWait() {
  ready_.fetch_add(1);
  go_.wait(false);
}

Clock::time_point Crew::StartAll() {
  auto deadline = Clock::now() + s_.timeout;
  while (ready_.load() < spawned_) {
    if (Clock::now() > deadline) {
      Fail("only " + std::to_string(ready_.load()) + " of " + std::to_string(spawned_) +
           " clients connected within --timeout");
    }
    std::this_thread::sleep_for(1ms);
  }
  start_ = Clock::now();
  go_.store(true);
  go_.notify_all();
  return start_;
}

void Crew::Watch(int finished, const std::function<uint64_t()>& activity, const std::function<uint64_t()>& progress,
                 uint64_t goal, const char* unit, const std::function<std::string()>& status) {
  const bool bar = s_.progress && !s_.json && ::isatty(2);
  uint64_t last = activity();
  auto lastChange = Clock::now(), lastDraw = Clock::time_point{};
  while (done_.load() < finished) {
    std::this_thread::sleep_for(10ms);
    auto now = Clock::now();
    uint64_t a = activity();
    if (a != last) {
      last = a;
      lastChange = now;
    } else if (now - lastChange > s_.timeout + 1s) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f", Seconds(now - lastChange));
      Fail(std::string("no progress for ") + secs + " s: " + status());
    }
    if (bar && now - lastDraw > 200ms) {
      lastDraw = now;
      drawBar(progress(), goal, unit, now);
    }
  }
  if (bar) std::fprintf(stderr, "\r%-79s\r", "");
}

void Crew::JoinAll() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Crew::drawBar(uint64_t v, uint64_t goal, const char* unit, Clock::time_point now) {
  constexpr int kWidth = 30;
  double f = goal ? std::min(1.0, static_cast<double>(v) / static_cast<double>(goal)) : 0;
  int fill = static_cast<int>(f * kWidth);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < fill ? '#' : '.';
  bar[kWidth] = 0;
  double t = Seconds(now - start_);
  std::fprintf(stderr, "\r[%s] %3d%%  %llu/%llu %s  %.0f/s   ", bar, static_cast<int>(f * 100),
               static_cast<unsigned long long>(v), static_cast<unsigned long long>(goal), unit,
               t > 0 ? static_cast<double>(v) / t : 0.0);
  std::fflush(stderr);
}

}  // namespace natsbench
