// Go: none (C++ only: nats-bench, a load generator for any NATS server)
// The settings a run takes, what it measured, and the runs themselves.
//
// Every mode checks what it receives: sequence numbers in the payload (publisher id and a
// 48-bit counter in the first 8 bytes, the send time in the next 8) must arrive exactly
// once and in order per publisher. Any violation, -ERR, closed connection or stall past
// --timeout ends the process at once with exit status 1 (Fail), so a script never reads
// numbers from a broken run.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tools/nats-bench/conn.h"
#include "tools/nats-bench/histogram.h"

namespace natsbench {

enum class Mode { Pub, PubSub, Fanout, Queue, ReqRep, Storm };

struct Settings {
  Target target;
  Mode mode = Mode::PubSub;
  std::string modeName = "pubsub";
  size_t size = 128;        // payload bytes
  uint64_t msgs = 0;        // total across publishers (requests in reqrep); 0: mode default
  int pubs = 1;             // publishers (requesters in reqrep)
  int subs = -1;            // subscribers (queue members, responders); -1: mode default
  uint64_t window = 0;      // in-flight messages per publisher; 0: unbounded
  int conns = 1000;         // storm: connections in all
  int workers = 4;          // storm: connections being set up at once
  bool hold = false;        // storm: keep every connection open until all are up
  std::string subject;      // default nats-bench.<pid>
  std::string queue = "nats-bench";
  std::chrono::milliseconds timeout{10000};
  bool json = false;
  bool progress = true;     // a progress bar on stderr, if stderr is a terminal
};

struct Result {
  ServerInfo info;
  uint64_t msgs = 0;         // messages published (requests answered, connections made)
  uint64_t delivered = 0;    // messages received by all subscribers together
  double elapsed = 0;        // seconds from the start to the last delivery or PONG
  double pubElapsed = 0;     // seconds from the start to the last publisher's final PONG
  Histogram latency;         // empty when the mode or payload gives none
  std::string latencyWhat;   // what the latency measures
  std::string checked;       // what was verified, for the report
  uint64_t minPart = 0, maxPart = 0;  // queue: fewest and most messages one member got
};

// Ends the process: prints "nats-bench: FAIL: what" on stderr (and a JSON object with
// "ok":false on stdout under --json) and exits 1. Safe from any thread; the first caller wins.
[[noreturn]] void Fail(const std::string& what);
// Tells Fail about --json; call once before any thread starts.
void SetFailJson(bool json, const std::string& mode);

// Each runs one benchmark to completion (or Fails). Bounded by s.timeout at every wait.
Result RunPubSub(const Settings& s);  // pub, pubsub, fanout, queue
Result RunReqRep(const Settings& s);
Result RunStorm(const Settings& s);

}  // namespace natsbench
