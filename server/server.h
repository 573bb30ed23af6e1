// Go: server/server.go (gnatsd v1.0.0)
// The Server: options, listener, accept loop, connections, INFO, shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/auth_types.h"
#include "server/goroutine_group.h"
#include "server/logger/log.h"
#include "server/mutex.h"
#include "server/net.h"
#include "server/opts.h"
#include "server/sublist.h"
#include "server/timer.h"

namespace gnatsd::server {

class client;
class TLSConfig;

// Go: type Info. What the server tells every client in INFO.
struct Info {
  std::string ID;
  std::string Version;
  std::string GoVersion;
  std::string Host;
  int Port = 0;
  bool AuthRequired = false;
  bool SSLRequired = false;
  bool TLSRequired = false;
  bool TLSVerify = false;
  int MaxPayload = 0;
  std::string IP;                              // omitted when empty
  std::vector<std::string> ClientConnectURLs;  // omitted when empty
  // Go's json.Marshal of Info: same keys, same order.
  std::string toJSON() const;
};

// Go: type stats. Server-wide counters, updated with relaxed atomics.
struct stats {
  std::atomic<int64_t> inMsgs{0};
  std::atomic<int64_t> outMsgs{0};
  std::atomic<int64_t> inBytes{0};
  std::atomic<int64_t> outBytes{0};
  std::atomic<int64_t> slowConsumers{0};
};

// Lifetime: created by New(), owned by the caller. Every thread the server
// starts is counted in grWG_ and joined by Shutdown(), so clients and timers
// may keep a plain Server* back-pointer: the Server outlives them all.
// Destroying a Server calls Shutdown().
//
// Thread rule: every public method is thread safe unless it says otherwise.
class Server {
 public:
  // Go: New. Applies defaults to a copy of opts (processOptions) and prepares
  // the server; nothing listens yet. Throws ConfigError for options this build
  // cannot serve (e.g. TLS or clustering before those features land).
  static std::unique_ptr<Server> New(Options opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Go: Start. Writes the pid file, binds the client port and returns once it
  // listens; AcceptLoop then runs on its own thread. Throws std::runtime_error
  // with gnatsd's message (e.g. "Error listening on port: ...") on failure.
  // Call once.
  //
  // Effects on the whole process, each switched off by an Options field:
  //  - raises the soft RLIMIT_NOFILE to the hard limit (NoFileLimit);
  //  - blocks SIGINT, SIGTERM, SIGHUP and SIGUSR1 in the calling thread (so
  //    in threads it starts later) and takes them on a signalfd (NoSigs);
  //  - lowers glibc's default stack for new threads to ThreadStackSize, which
  //    is how connection readers get small stacks (NoDefaultThreadStack);
  //  - after a wave of disconnects, malloc_trim(0) (NoMallocTrim).
  void Start() EXCLUDES(mu_);

  // Stops accepting, closes every connection, stops timers and waits until
  // every server thread has exited. Idempotent. Never call it from a thread
  // the server started: it would wait for itself.
  void Shutdown() EXCLUDES(mu_);

  // Blocks until Shutdown() has completed. When a signal (SIGINT, SIGTERM)
  // asks for shutdown, this performs it on the calling thread and returns.
  void WaitForShutdown() EXCLUDES(mu_);

  // Asks for a shutdown without waiting (safe from any thread, including
  // server threads); WaitForShutdown() carries it out.
  void RequestShutdown() EXCLUDES(mu_);

  // Go: ReadyForConnections. True once the client listener is up.
  bool ReadyForConnections(std::chrono::milliseconds timeout) EXCLUDES(mu_);

  std::string ID() const { return info_.ID; }
  // The port the client listener is bound to (0 before Start()).
  int Port() const { return listenPort_.load(); }
  // "host:port" of the client listener, empty before Start().
  std::string Addr() EXCLUDES(mu_);
  int NumClients() EXCLUDES(mu_);
  // The connected client with this cid, or null (nats-server 2.x: getClient).
  std::shared_ptr<client> getClient(uint64_t cid) EXCLUDES(mu_);
  uint32_t NumSubscriptions() { return sl_.Count(); }
  // Server threads alive right now (listener, readers, writers, timer, signals).
  int64_t NumGoroutines() { return grWG_.Running(); }

  // Go: getOpts. The options in force (immutable snapshot).
  std::shared_ptr<const Options> getOpts() const EXCLUDES(optsMu_);

  // --- logging (Go: server/log.go; implemented in log.cpp) ---
  // Go: ConfigureLogger. Picks the back end from the options. Throws
  // std::runtime_error when the log file or syslog cannot be opened.
  void ConfigureLogger();
  void SetLogger(std::shared_ptr<logger::Logger> logger, bool debug, bool trace) EXCLUDES(logMu_);
  // Go: ReOpenLogFile (SIGUSR1).
  void ReOpenLogFile();
  void Noticef(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Errorf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Fatalf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Debugf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Tracef(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  bool debugEnabled() const { return debug_.load(std::memory_order_relaxed); }
  bool traceEnabled() const { return trace_.load(std::memory_order_relaxed); }

  // --- used by client, auth and tests ---
  Sublist& sublist() { return sl_; }
  stats& serverStats() { return stats_; }
  TimerQueue& timers() { return timers_; }
  // Go: startGoRoutine. Runs fn on a counted, named thread (Options::ThreadStackSize)
  // unless shutting down.
  bool startGoRoutine(std::string name, std::function<void()> fn) { return grWG_.Go(std::move(name), std::move(fn)); }
  // Go: removeClient.
  void removeClient(client* c) EXCLUDES(mu_);
  // Go: checkAuthorization (auth.cpp). True when the CONNECT is acceptable.
  bool checkAuthorization(client& c);
  // The current INFO line ("INFO {...} \r\n").
  std::string infoJSON() EXCLUDES(mu_);
  // Total client sockets accepted since start.
  uint64_t totalClients() EXCLUDES(mu_);
  std::chrono::system_clock::time_point startTime() const { return start_; }
  uint64_t nextCID() { return gcid_.fetch_add(1) + 1; }

 private:
  Server(Options opts, std::shared_ptr<const TLSConfig> tlsConfig);

  // Go: AcceptLoop. Body of the listener thread.
  void AcceptLoop();
  // Go: createClient. Runs on the connection's own thread, then readLoop.
  void createClient(Fd conn);
  // Go: generateServerInfoJSON.
  void generateServerInfoJSON() REQUIRES(mu_);
  // Go: configureAuthorization (auth.cpp).
  void configureAuthorization() REQUIRES(mu_);
  // Go: isClientAuthorized (auth.cpp).
  bool isClientAuthorized(client& c);
  // Go: logPid.
  void logPid();
  // After a wave of disconnects, returns freed heap to the system
  // (malloc_trim) once the client and thread counts have stopped falling.
  void scheduleTrim() REQUIRES(mu_);
  // Raises RLIMIT_NOFILE to its hard limit; warns if max_connections is out of reach.
  void checkFileLimit(const Options& opts);
  // Go: handleSignals (signal.cpp). Starts the signal thread unless NoSigs.
  void handleSignals();
  void stopSignals();
  void logf(int level, const char* fmt, va_list ap);

  // Constant after New().
  Info info_;  // only ID/Version/GoVersion are read without mu_
  const std::chrono::system_clock::time_point start_;
  const std::shared_ptr<const TLSConfig> tlsConfig_;  // client TLS; null: plain

  std::atomic<uint64_t> gcid_{0};
  stats stats_;
  Sublist sl_;
  GoroutineGroup grWG_;
  TimerQueue timers_;

  mutable RWMutex optsMu_;
  std::shared_ptr<const Options> opts_ GUARDED_BY(optsMu_);

  Mutex mu_;
  CondVar stateCv_;
  Info infoState_ GUARDED_BY(mu_);  // INFO contents that may change (auth flags)
  std::string infoJSON_ GUARDED_BY(mu_);
  bool running_ GUARDED_BY(mu_) = false;
  bool shutdown_ GUARDED_BY(mu_) = false;
  bool shutdownDone_ GUARDED_BY(mu_) = false;
  bool shutdownRequested_ GUARDED_BY(mu_) = false;
  Fd listener_ GUARDED_BY(mu_);
  std::string listenAddr_ GUARDED_BY(mu_);
  std::atomic<int> listenPort_{0};
  std::unordered_map<uint64_t, std::shared_ptr<client>> clients_ GUARDED_BY(mu_);
  std::map<std::string, User> users_ GUARDED_BY(mu_);
  uint64_t totalClients_ GUARDED_BY(mu_) = 0;
  size_t peakClients_ GUARDED_BY(mu_) = 0;  // since the last malloc_trim
  bool trimScheduled_ GUARDED_BY(mu_) = false;
  size_t trimWatch_ GUARDED_BY(mu_) = 0;  // clients + threads at the last look

  // Logging (Go: s.logging): the back end is swapped under logMu_; the level
  // switches are atomics so disabled Debugf/Tracef cost one load.
  RWMutex logMu_;
  std::shared_ptr<logger::Logger> logger_ GUARDED_BY(logMu_);
  std::atomic<bool> debug_{false};
  std::atomic<bool> trace_{false};

  // Signal thread plumbing (signal.cpp): written to stop the signal thread.
  Fd sigStopFd_;
};

}  // namespace gnatsd::server
