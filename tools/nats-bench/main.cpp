// Go: none (C++ only: nats-bench, a load generator for any NATS server, as `nats bench` is)
// Flags, the run, and the report (text for people, one JSON line with --json for scripts).
//
// Exit status: 0 when the run completed and every check passed, 1 when it failed (a
// message arrived twice, out of order or not at all, the server sent -ERR or closed a
// connection, or nothing moved for --timeout), 2 for a usage error.
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "tools/nats-bench/bench.h"
#include "tools/nats-bench/crew.h"

using namespace natsbench;

namespace {

const char kUsage[] = R"(Usage: nats-bench [--mode] MODE [options]

A load generator for any NATS server (gnatsd-cpp, nats-server, gnatsd). It speaks the
protocol itself, checks that every message arrives exactly once and in order, and
reports msgs/s, MB/s (10^6 bytes of payload), latency percentiles and its own CPU time.

Modes:
  pub      publishers only (the server takes and drops the messages)
  pubsub   publishers and subscribers, each subscriber gets every message (1:1)
  fanout   as pubsub, 4 subscribers by default (1:N)
  queue    subscribers in one queue group: each message goes to one of them
  reqrep   requesters and responders (request/reply round trips)
  storm    many connections, each CONNECT, SUB, PING/PONG, then close

Options:
  --url URL        server, nats://[user:pass@|token@]host[:port] (default nats://127.0.0.1:4222)
  --host HOST      server host (overrides the URL's)
  --port PORT      server port (overrides the URL's)
  --size BYTES     payload size, e.g. 16, 128, 1K, 16KiB (default 128); sequence
                   numbers need 8 bytes, send times (latency) 16
  --msgs N         messages (requests) in all, split between publishers
                   (default 1000000; reqrep 100000)
  --pubs N         publishers (requesters) (default 1)
  --subs N         subscribers (queue members, responders) (default: pub 0, pubsub 1,
                   fanout 4, queue 4, reqrep 1)
  --window N       at most N messages of each publisher in flight, not yet received
                   (by every subscriber; by the group in queue mode); 0 = unbounded
                   (default 0; reqrep 1). Latency is only meaningful with a window.
  --conns N        storm: connections in all (default 1000)
  --workers N      storm: connections set up at the same time (default 4)
  --hold           storm: keep every connection open until all are made
  --subject S      subject (default nats-bench.<pid>)
  --queue Q        queue group name (default nats-bench)
  --timeout SECS   fail if nothing moves for this long; also bounds each connect,
                   send and PONG (default 10)
  --json           print one JSON object on stdout instead of the text report
  --no-progress    no progress bar (it is only drawn when stderr is a terminal)
  -h, --help       this text

Exit status: 0 ok, 1 failed run (lost, duplicated or reordered message, -ERR, closed
connection, stall), 2 usage error.
)";

[[noreturn]] void usageError(const std::string& what) {
  std::fprintf(stderr, "nats-bench: %s\nTry 'nats-bench --help'.\n", what.c_str());
  std::exit(2);
}

uint64_t parseCount(std::string_view flag, std::string_view v, uint64_t lo, uint64_t hi) {
  uint64_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    usageError(std::string(flag) + ": '" + std::string(v) + "' is not a whole number");
  }
  if (n < lo || n > hi) {
    usageError(std::string(flag) + ": " + std::string(v) + " is out of range (" + std::to_string(lo) + ".." +
               std::to_string(hi) + ")");
  }
  return n;
}

// 128, 1K, 1KiB, 16k, 1M, 1MiB, 100B.
size_t parseSize(std::string_view v) {
  std::string_view digits = v, unit;
  size_t i = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  digits = v.substr(0, i);
  unit = v.substr(i);
  uint64_t mult = 1;
  if (unit == "" || unit == "B" || unit == "b") {
    mult = 1;
  } else if (unit == "K" || unit == "k" || unit == "KiB" || unit == "KB" || unit == "kB") {
    mult = 1024;
  } else if (unit == "M" || unit == "m" || unit == "MiB" || unit == "MB") {
    mult = 1024 * 1024;
  } else {
    usageError("--size: unknown unit in '" + std::string(v) + "' (use B, K/KiB or M/MiB)");
  }
  if (digits.empty()) usageError("--size: '" + std::string(v) + "' is not a size");
  uint64_t n = parseCount("--size", digits, 0, 64 * 1024 * 1024);
  if (n * mult > 64 * 1024 * 1024) usageError("--size: at most 64 MiB");
  return static_cast<size_t>(n * mult);
}

bool parseMode(std::string_view m, Mode* out) {
  static const std::pair<const char*, Mode> kModes[] = {{"pub", Mode::Pub},       {"pubsub", Mode::PubSub},
                                                         {"fanout", Mode::Fanout}, {"queue", Mode::Queue},
                                                         {"reqrep", Mode::ReqRep}, {"storm", Mode::Storm}};
  for (const auto& [name, mode] : kModes) {
    if (m == name) {
      *out = mode;
      return true;
    }
  }
  return false;
}

Settings parseArgs(int argc, char** argv) {
  Settings s;
  std::set<std::string> given;
  std::string url, host;
  int port = 0;
  bool modeSet = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool hasValue = false;
    if (arg.rfind("--", 0) == 0) {
      if (size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg.resize(eq);
        hasValue = true;
      }
    } else if (arg != "-h") {
      Mode m;
      if (modeSet || !parseMode(arg, &m)) usageError("unexpected argument '" + arg + "'");
      s.mode = m;
      s.modeName = arg;
      modeSet = true;
      continue;
    }
    auto need = [&]() -> std::string {
      if (hasValue) return value;
      if (i + 1 >= argc) usageError(arg + " needs a value");
      return argv[++i];
    };
    auto flagOnly = [&] {
      if (hasValue) usageError(arg + " takes no value");
    };
    given.insert(arg);
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--mode") {
      std::string m = need();
      if (!parseMode(m, &s.mode)) usageError("--mode: unknown mode '" + m + "' (pub, pubsub, fanout, queue, reqrep, storm)");
      s.modeName = m;
      modeSet = true;
    } else if (arg == "--url") {
      url = need();
    } else if (arg == "--host") {
      host = need();
      if (host.empty()) usageError("--host: empty");
    } else if (arg == "--port") {
      port = static_cast<int>(parseCount(arg, need(), 1, 65535));
    } else if (arg == "--size") {
      s.size = parseSize(need());
    } else if (arg == "--msgs") {
      s.msgs = parseCount(arg, need(), 1, (uint64_t{1} << 48) - 1);
    } else if (arg == "--pubs") {
      s.pubs = static_cast<int>(parseCount(arg, need(), 1, 1000));
    } else if (arg == "--subs") {
      s.subs = static_cast<int>(parseCount(arg, need(), 0, 1000));
    } else if (arg == "--window") {
      s.window = parseCount(arg, need(), 0, 1u << 24);
    } else if (arg == "--conns") {
      s.conns = static_cast<int>(parseCount(arg, need(), 1, 1000000));
    } else if (arg == "--workers") {
      s.workers = static_cast<int>(parseCount(arg, need(), 1, 1000));
    } else if (arg == "--hold") {
      flagOnly();
      s.hold = true;
    } else if (arg == "--subject") {
      s.subject = need();
      if (s.subject.empty() || s.subject.find_first_of(" \t\r\n*>") != std::string::npos) {
        usageError("--subject: must be a literal subject (no spaces or wildcards)");
      }
    } else if (arg == "--queue") {
      s.queue = need();
      if (s.queue.empty() || s.queue.find_first_of(" \t\r\n") != std::string::npos) usageError("--queue: bad name");
    } else if (arg == "--timeout") {
      std::string v = need();
      char* end = nullptr;
      errno = 0;
      double secs = std::strtod(v.c_str(), &end);
      if (errno != 0 || end == v.c_str() || *end != 0 || !(secs >= 0.1 && secs <= 3600)) {
        usageError("--timeout: '" + v + "' is not a number of seconds in 0.1..3600");
      }
      s.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::llround(secs * 1000)));
    } else if (arg == "--json") {
      flagOnly();
      s.json = true;
    } else if (arg == "--no-progress") {
      flagOnly();
      s.progress = false;
    } else {
      usageError("unknown flag '" + arg + "'");
    }
  }
  if (!modeSet) usageError("no mode given (pub, pubsub, fanout, queue, reqrep, storm)");

  if (!url.empty()) {
    std::string err;
    if (!s.target.ParseUrl(url, &err)) usageError("--url: " + err);
  }
  if (!host.empty()) s.target.host = host;
  if (port != 0) s.target.port = port;
  if (s.subject.empty()) s.subject = "nats-bench." + std::to_string(::getpid());

  // Mode defaults, and flags that have no meaning in the chosen mode.
  auto reject = [&](std::initializer_list<const char*> flags) {
    for (const char* f : flags) {
      if (given.count(f)) usageError(std::string(f) + " does not apply to --mode " + s.modeName);
    }
  };
  const bool storm = s.mode == Mode::Storm;
  if (storm) {
    reject({"--size", "--msgs", "--pubs", "--subs", "--window", "--queue"});
  } else {
    reject({"--conns", "--workers", "--hold"});
  }
  if (s.msgs == 0) s.msgs = s.mode == Mode::ReqRep ? 100000 : 1000000;
  if (s.subs < 0) {
    s.subs = s.mode == Mode::Pub ? 0 : (s.mode == Mode::Fanout || s.mode == Mode::Queue) ? 4 : 1;
  }
  switch (s.mode) {
    case Mode::Pub:
      if (s.subs != 0) usageError("--mode pub has no subscribers; use pubsub, fanout or queue");
      if (s.window != 0) usageError("--window needs subscribers to acknowledge; use pubsub");
      break;
    case Mode::PubSub:
    case Mode::Fanout:
    case Mode::Queue:
    case Mode::ReqRep:
      if (s.subs == 0) usageError("--mode " + s.modeName + " needs at least one subscriber (--subs)");
      break;
    case Mode::Storm:
      break;
  }
  if (s.mode == Mode::ReqRep) {
    if (s.window == 0) s.window = given.count("--window") ? 0 : 1;
    if (s.window == 0) usageError("--mode reqrep needs a window of at least 1");
    if (s.size < 8) usageError("--mode reqrep needs --size of at least 8 (the request number travels in the payload)");
  }
  if (s.window > 0 && s.size < 8) usageError("--window needs --size of at least 8 (sequence numbers)");
  return s;
}

// --- report -------------------------------------------------------------------------------

std::string grouped(uint64_t v) {
  std::string d = std::to_string(v), out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return out;
}

std::string fixed(double v, int places) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", places, v);
  return b;
}

std::string duration(uint64_t ns) {
  if (ns < 1'000) return std::to_string(ns) + " ns";
  if (ns < 1'000'000) return fixed(static_cast<double>(ns) / 1e3, 1) + " us";
  if (ns < 1'000'000'000) return fixed(static_cast<double>(ns) / 1e6, 2) + " ms";
  return fixed(static_cast<double>(ns) / 1e9, 2) + " s";
}

std::string describe(const Settings& s) {
  auto plural = [](int n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); };
  switch (s.mode) {
    case Mode::Storm:
      return grouped(static_cast<uint64_t>(s.conns)) + " connections, " + std::to_string(s.workers) + " at a time" +
             (s.hold ? ", all held open until the last is made" : ", each closed after its PONG");
    case Mode::ReqRep:
      return plural(s.pubs, "requester", "requesters") + ", " + plural(s.subs, "responder", "responders") + ", " +
             grouped(s.msgs) + " requests of " + grouped(s.size) + " B, window " + std::to_string(s.window);
    default: {
      std::string out = plural(s.pubs, "publisher", "publishers");
      if (s.subs > 0) {
        out += ", " + plural(s.subs, "subscriber", "subscribers");
        if (s.mode == Mode::Queue) out += " in queue group " + s.queue;
      }
      out += ", " + grouped(s.msgs) + " msgs of " + grouped(s.size) + " B";
      if (s.window > 0) out += ", window " + std::to_string(s.window);
      return out;
    }
  }
}

struct Cpu {
  double user = 0, sys = 0;
};

Cpu selfCpu() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return {secs(ru.ru_utime), secs(ru.ru_stime)};
}

void printText(const Settings& s, const Result& r, const Cpu& cpu, double wall) {
  const double el = r.elapsed > 0 ? r.elapsed : 1e-9;
  const double mb = static_cast<double>(s.size) / 1e6;
  std::printf("nats-bench %s  %s  (server %s)\n", s.modeName.c_str(), s.target.Url().c_str(),
              r.info.version.empty() ? "version unknown" : r.info.version.c_str());
  std::printf("  %s, subject %s\n", describe(s).c_str(), s.subject.c_str());
  auto row = [&](const char* what, uint64_t n, double secs, const char* unit, double mbPer, const std::string& note) {
    std::printf("  %-10s %13s %-5s in %7.3f s  %13s %s/s", what, grouped(n).c_str(), unit, secs,
                grouped(static_cast<uint64_t>(std::llround(static_cast<double>(n) / (secs > 0 ? secs : 1e-9)))).c_str(),
                unit);
    if (mbPer >= 0) std::printf("  %9.2f MB/s", static_cast<double>(n) * mbPer / (secs > 0 ? secs : 1e-9));
    std::printf("%s\n", note.c_str());
  };
  switch (s.mode) {
    case Mode::Storm:
      row("connected", r.msgs, el, "conns", -1, "");
      break;
    case Mode::ReqRep:
      row("answered", r.msgs, el, "reqs", mb, "  (payload, each way)");
      break;
    default:
      row("published", r.msgs, r.pubElapsed, "msgs", mb, "  (until each publisher's final PONG)");
      if (s.subs > 0) {
        std::string note = s.mode == Mode::Queue ? "  (members got " + grouped(r.minPart) + " .. " + grouped(r.maxPart) + ")"
                                                 : s.subs == 1 ? "  (1 subscriber)" : "  (each of " + std::to_string(s.subs) + " subscribers)";
        row("delivered", r.delivered, el, "msgs", mb, note);
      }
  }
  std::printf("  checked    %s\n", r.checked.c_str());
  if (r.latency.Count() > 0) {
    const auto& h = r.latency;
    std::printf("  latency    p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", duration(h.Quantile(0.5)).c_str(),
                duration(h.Quantile(0.9)).c_str(), duration(h.Quantile(0.99)).c_str(),
                duration(h.Quantile(0.999)).c_str(), duration(h.Max()).c_str());
    std::printf("             (%s; %s samples)\n", r.latencyWhat.c_str(), grouped(h.Count()).c_str());
  } else if (s.subs > 0 && s.mode != Mode::Storm && s.size < 16) {
    std::printf("  latency    none: send times need --size of at least 16\n");
  }
  std::printf("  client CPU %.3f s (user %.3f + sys %.3f), %.2f cores over the %.3f s run\n", cpu.user + cpu.sys,
              cpu.user, cpu.sys, (cpu.user + cpu.sys) / (wall > 0 ? wall : 1e-9), wall);
}

void printJson(const Settings& s, const Result& r, const Cpu& cpu, double wall) {
  const double el = r.elapsed > 0 ? r.elapsed : 1e-9;
  std::string o = "{\"ok\":true";
  auto kv = [&](const char* k, const std::string& v) { o += std::string(",\"") + k + "\":" + v; };
  auto d = [](double v) { return fixed(v, 6); };
  kv("mode", JsonString(s.modeName));
  kv("url", JsonString(s.target.Url()));
  kv("server_version", JsonString(r.info.version));
  kv("server_id", JsonString(r.info.serverId));
  kv("subject", JsonString(s.subject));
  if (s.mode == Mode::Storm) {
    kv("conns", std::to_string(s.conns));
    kv("workers", std::to_string(s.workers));
    kv("hold", s.hold ? "true" : "false");
  } else {
    kv("size", std::to_string(s.size));
    kv("pubs", std::to_string(s.pubs));
    kv("subs", std::to_string(s.subs));
    kv("window", std::to_string(s.window));
  }
  kv("msgs", std::to_string(r.msgs));
  kv("elapsed_s", d(r.elapsed));
  kv("pub_elapsed_s", d(r.pubElapsed));
  kv("msgs_per_s", d(static_cast<double>(r.msgs) / el));
  kv("mb_per_s", d(static_cast<double>(r.msgs) * static_cast<double>(s.mode == Mode::Storm ? 0 : s.size) / 1e6 / el));
  kv("pub_msgs_per_s", d(static_cast<double>(r.msgs) / (r.pubElapsed > 0 ? r.pubElapsed : 1e-9)));
  kv("delivered", std::to_string(r.delivered));
  kv("delivered_per_s", d(static_cast<double>(r.delivered) / el));
  if (r.latency.Count() > 0) {
    const auto& h = r.latency;
    auto us = [&](uint64_t ns) { return fixed(static_cast<double>(ns) / 1e3, 3); };
    kv("latency_us", "{\"p50\":" + us(h.Quantile(0.5)) + ",\"p90\":" + us(h.Quantile(0.9)) + ",\"p99\":" +
                         us(h.Quantile(0.99)) + ",\"p999\":" + us(h.Quantile(0.999)) + ",\"max\":" + us(h.Max()) +
                         ",\"mean\":" + fixed(h.Mean() / 1e3, 3) + ",\"count\":" + std::to_string(h.Count()) + "}");
    kv("latency_of", JsonString(r.latencyWhat));
  } else {
    kv("latency_us", "null");
  }
  kv("checked", JsonString(r.checked));
  kv("client_cpu_s", d(cpu.user + cpu.sys));
  kv("client_user_s", d(cpu.user));
  kv("client_sys_s", d(cpu.sys));
  kv("wall_s", d(wall));
  o += "}\n";
  std::fputs(o.c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s = parseArgs(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  // A storm or many clients may need more descriptors than the soft limit.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  SetFailJson(s.json, s.modeName);
  std::string err;
  if (!s.target.Resolve(&err)) Fail(err);
  if (s.mode == Mode::Storm && s.hold && static_cast<rlim_t>(s.conns) + 64 > rl.rlim_cur) {
    Fail("--hold with " + std::to_string(s.conns) + " connections needs more open files than the limit (" +
         std::to_string(rl.rlim_cur) + ")");
  }
  auto t0 = Clock::now();
  Result r;
  switch (s.mode) {
    case Mode::ReqRep:
      r = RunReqRep(s);
      break;
    case Mode::Storm:
      r = RunStorm(s);
      break;
    default:
      r = RunPubSub(s);
  }
  const double wall = Seconds(Clock::now() - t0);
  const Cpu cpu = selfCpu();
  if (s.json) {
    printJson(s, r, cpu, wall);
  } else {
    printText(s, r, cpu, wall);
  }
  return 0;
}
