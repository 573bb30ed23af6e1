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
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/auth_types.h"
#include "server/goroutine_group.h"
#include "server/logger/log.h"
#include "server/mutex.h"
#include "server/net.h"
#include "server/opts.h"
#include "server/route.h"
#include "server/sublist.h"
#include "server/timer.h"

namespace gnatsd::server {

class client;
class TLSConfig;
class InProcessConn;
struct subscription;
struct option;
class httpMonitor;
struct monitorResponse;
struct Varz;  // monitor.h

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
  // nats-server's ClientURL (gnatsd 1.0.0 has none): the URL a client on this
  // machine dials, "nats://host:port" ("tls://" when clients must use TLS),
  // with the port actually bound. A listener on every address (0.0.0.0, ::
  // or no host) gives the loopback address (127.0.0.1, [::1]) where
  // nats-server would print the wildcard itself. Empty before Start().
  std::string ClientURL() EXCLUDES(mu_);
  int NumClients() EXCLUDES(mu_);
  // The connected client with this cid, or null (nats-server 2.x: getClient).
  std::shared_ptr<client> getClient(uint64_t cid) EXCLUDES(mu_);
  uint32_t NumSubscriptions() { return sl_.Count(); }
  // Go: NumRoutes / NumRemotes. Registered route connections, and the
  // distinct peer servers they lead to.
  int NumRoutes() EXCLUDES(mu_);
  int NumRemotes() EXCLUDES(mu_);
  // Go: ClusterAddr. "host:port" of the route listener, empty when there is
  // none; ClusterPort: its port, 0 when none.
  std::string ClusterAddr() EXCLUDES(mu_);
  int ClusterPort() EXCLUDES(mu_);
  // Go: Varz (monitor.go), what /varz serves: connections, messages and
  // bytes in and out, slow consumers, subscriptions, routes, uptime, memory
  // and CPU, with the INFO and options in force. A snapshot, taken without
  // monitoring enabled and without counting as an HTTP request.
  server::Varz Varz() EXCLUDES(mu_);
  // Server threads alive right now (listener, readers, writers, timer, signals).
  int64_t NumGoroutines() { return grWG_.Running(); }

  // Go: getOpts. The options in force (immutable snapshot).
  std::shared_ptr<const Options> getOpts() const EXCLUDES(optsMu_);

  // --- config reload (Go: server/reload.go; implemented in reload.cpp) ---
  // Go: Reload. Reads Options::ConfigFile again, lays the flag snapshot over
  // it (flags keep winning, as at start), and applies every change gnatsd
  // 1.0.0 can apply to a running server: logging, TLS, authorization (clients
  // no longer allowed are closed, subscriptions no longer allowed removed),
  // max_connections, pid_file, max_control_line, max_payload, ping_interval,
  // ping_max, write_deadline, the timeouts; also max_pending (new connections).
  // Throws ConfigError, with nothing changed, for a file that does not parse
  // (file:line:col), a value out of range, or a change that cannot be applied
  // live ("Config reload not supported for Host: old=a, new=b"); throws it
  // too when the server has no config file ("Can only reload config when a
  // file is provided using -c or --config"). Any thread but a server thread;
  // one reload runs at a time. SIGHUP and `--signal reload` call it.
  void Reload() EXCLUDES(reloadMu_, mu_);
  // Go: FlagSnapshot. The options given as flags alone, laid over the file
  // on every Reload. Unset: the file alone decides (an embedder's case).
  void SetFlagSnapshot(Options flags) EXCLUDES(mu_);
  // C++ only (gnatsd::Options of the installed API): applied on every Reload
  // to the options read from the file, after the flag snapshot, so what a
  // program set in code over its file stays set. Unset: nothing.
  void SetReloadOverlay(std::function<void(Options&)> overlay) EXCLUDES(mu_);
  // When the options in force were loaded: New, or the last good Reload.
  std::chrono::system_clock::time_point ConfigLoadTime() const { return configTime_.load(); }

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
  // Go: getClientConnectURLs. Where clients can reach this server, as
  // "host:port": the listen host itself, or for 0.0.0.0 and :: every global
  // unicast address of the machine (none, and an error logged, when it has
  // none). Works before Start(). The route INFO's connect_urls.
  std::vector<std::string> getClientConnectURLs();

  // --- monitoring (Go: monitor.go and server.go's StartMonitoring; monitor.cpp) ---
  // Go: StartMonitoring. Starts the HTTP or the HTTPS monitor when the options
  // ask for one (Start calls it; an embedder may call it without Start, and
  // Shutdown still stops it). Throws std::runtime_error with gnatsd's text:
  // "can't specify both HTTP (<p>) and HTTPs (<p>) ports", "TLS cert and key
  // required for HTTPS", "can't listen to the monitor port: <err>". Call once.
  void StartMonitoring() EXCLUDES(mu_);
  // Go: StartHTTPMonitoring / StartHTTPSMonitoring (deprecated in gnatsd).
  void StartHTTPMonitoring() EXCLUDES(mu_);
  void StartHTTPSMonitoring() EXCLUDES(mu_);
  // Go: MonitorAddr. "host:port" the monitor listens on, empty when there is
  // none (also after Shutdown). MonitorPort: its port, 0 when none.
  std::string MonitorAddr() EXCLUDES(mu_);
  int MonitorPort() EXCLUDES(mu_);
  // Go: the monitor's ServeMux. Answers one request for `target` (path and
  // query, as in the request line); counts it in http_req_stats. The HTTP
  // layer calls it; an embedder may too (Go: HTTPHandler).
  monitorResponse HandleMonitor(std::string_view target) EXCLUDES(mu_);

 private:
  friend class InProcessConn;
  friend class client;  // the route hooks of its handlers (route.cpp)
  Server(Options opts, std::shared_ptr<const TLSConfig> tlsConfig, std::shared_ptr<const TLSConfig> routeTLSConfig);
  // inproc.cpp: createClient for a connection with no socket. Registers c
  // (max_connections applies) and queues the INFO; false with *err (the
  // -ERR text) when refused.
  bool registerInProcess(const std::shared_ptr<client>& c, std::string* err) EXCLUDES(mu_);

  // --- routes (Go: server/route.go; route.cpp) ---
  // Go: StartRouting's first half (routeAcceptLoop before its loop): binds
  // the cluster port and builds the route INFO. Throws std::runtime_error
  // ("Error listening on router port: ...").
  void setupRouting() EXCLUDES(mu_);
  // Go: generateRouteInfoJSON. routeInfoJSON_ from routeInfo_.
  void generateRouteInfoJSON() REQUIRES(mu_);
  // Go: routeAcceptLoop's loop. Body of the route listener thread.
  void routeAcceptLoop();
  // Go: solicitRoutes. One dialler thread per configured route.
  void solicitRoutes(const std::vector<URL>& routes);
  // Go: connectToRoute / reConnectToRoute. Dial until connected, or (not
  // tryForEver) until Cluster.ConnectRetries is used up; the thread then
  // runs the route (createRoute).
  void connectToRoute(const URL& url, bool tryForEver);
  void reConnectToRoute(const URL& url, RouteType rtype);
  // Go: createRoute. Runs the connection's handshake, then its readLoop on
  // the calling thread. rURL: the URL this server dialled (null: accepted).
  void createRoute(Fd conn, const URL* rURL);
  // Go: addRoute. {registered, forward the INFO to the other routes}.
  std::pair<bool, bool> addRoute(const std::shared_ptr<client>& c) EXCLUDES(mu_);
  // Go: processImplicitRoute / hasThisRouteConfigured.
  void processImplicitRoute(const Info& info) EXCLUDES(mu_);
  bool hasThisRouteConfigured(const Info& info);
  // C++ only: url is in Options::Routes now (a reload may have removed it).
  bool isConfiguredRoute(const URL& url);
  // Go: forwardNewRouteInfoToKnownServers, sendLocalSubsToRoute.
  void forwardNewRouteInfoToKnownServers(const Info& info) EXCLUDES(mu_);
  void sendLocalSubsToRoute(client& route) EXCLUDES(mu_);
  // Go: broadcastSubscribe / broadcastUnSubscribe / broadcastInterestToRoutes.
  void broadcastSubscribe(const subscription& sub) EXCLUDES(mu_);
  void broadcastUnSubscribe(const subscription& sub) EXCLUDES(mu_);
  void broadcastInterestToRoutes(const std::string& proto) EXCLUDES(mu_);
  // Go: routeSidQueueSubscriber. True when rsid names a queue subscription;
  // *sub is then that local subscription, or null when it is gone.
  bool routeSidQueueSubscriber(std::string_view rsid, std::shared_ptr<subscription>* sub) EXCLUDES(mu_);
  // Go: updateServerINFO / sendAsyncInfoToClients (connect_urls learned
  // from a peer, pushed to clients that asked for INFO updates).
  bool updateServerINFO(const std::vector<std::string>& urls) EXCLUDES(mu_);
  void sendAsyncInfoToClients() EXCLUDES(mu_);
  // Go: the end of closeConnection for a route: re-dial it if gnatsd would.
  void reconnectRouteIfNeeded(const route& r) EXCLUDES(mu_);
  // Waits `d` or until shutdown; false when shutting down (Go: rcQuit).
  bool sleepUnlessShutdown(std::chrono::nanoseconds d) EXCLUDES(mu_);
  // Every route connection (registered or not yet), taken under mu_.
  std::vector<std::shared_ptr<client>> routesSnapshot() EXCLUDES(mu_);

  // Go: AcceptLoop. Body of the listener thread.
  void AcceptLoop();
  // Go: createClient. Runs on the connection's own thread, then readLoop.
  void createClient(Fd conn);
  // Go: generateServerInfoJSON.
  void generateServerInfoJSON() REQUIRES(mu_);
  // Go: configureAuthorization (auth.cpp).
  void configureAuthorization() REQUIRES(mu_);
  // Go: isClientAuthorized / isRouterAuthorized (auth.cpp).
  bool isClientAuthorized(client& c);
  bool isRouterAuthorized(client& c);
  // Go: logPid. Writes the pid file named in the options; throws
  // std::runtime_error("Could not write pidfile: <why>").
  void logPid();
  // Writes our pid to `path` ("" on success, else "open <path>: <reason>").
  static std::string writePidFile(const std::string& path);
  // Removes the pid file at `path` if it still holds our pid (Shutdown, and
  // a reload that names another file).
  static void removePidFile(const std::string& path);
  // reload.cpp: Go's reloadOptions, diffOptions, applyOptions,
  // reloadAuthorization, removeUnauthorizedSubs.
  void reloadOptions(Options newOpts) REQUIRES(reloadMu_) EXCLUDES(mu_);
  std::vector<option> diffOptions(const Options& newOpts) REQUIRES(reloadMu_) EXCLUDES(mu_);
  void applyOptions(const std::vector<option>& changed) REQUIRES(reloadMu_) EXCLUDES(mu_);
  void reloadAuthorization() EXCLUDES(mu_);
  void removeUnauthorizedSubs(client& c) EXCLUDES(mu_);
  void setOpts(std::shared_ptr<const Options> opts) EXCLUDES(optsMu_);
  // Every client (not the map itself), taken under mu_.
  std::vector<std::shared_ptr<client>> clientsSnapshot() EXCLUDES(mu_);
  // Go: ConfigureLogger's choice of back end, without installing it (so a
  // reload can fail before it changes anything). Null with NoLog.
  std::shared_ptr<logger::Logger> newLogger(const Options& opts) const;
  // The client TLS context in force (null: plain).
  std::shared_ptr<const TLSConfig> clientTLSConfig() EXCLUDES(mu_);
  // After a wave of disconnects, returns freed heap to the system
  // (malloc_trim) once the client and thread counts have stopped falling.
  void scheduleTrim() REQUIRES(mu_);
  // Raises RLIMIT_NOFILE to its hard limit; warns if max_connections is out of reach.
  void checkFileLimit(const Options& opts);
  // Go: handleSignals (signal.cpp). Starts the signal thread unless NoSigs.
  void handleSignals();
  void stopSignals();
  void logf(int level, const char* fmt, va_list ap);
  // Go: StartMonitoring's checks, then startMonitoring (monitor.cpp): binds
  // the listener and logs; starts the listener thread only when `run`.
  // Throws like StartMonitoring.
  void setupMonitoring(bool run) EXCLUDES(mu_);
  void startMonitoring(bool secure, bool run) EXCLUDES(mu_);
  // Starts the listener thread of a monitor setupMonitoring bound (if any).
  void runMonitoring() EXCLUDES(mu_);
  // Go: HandleRoot, HandleVarz, HandleConnz, HandleRoutez, HandleSubsz,
  // HandleStacksz (monitor.cpp); `query` is the raw query string.
  monitorResponse HandleRoot(std::string_view path) EXCLUDES(mu_);
  monitorResponse HandleVarz(std::string_view query) EXCLUDES(mu_);
  monitorResponse HandleConnz(std::string_view query) EXCLUDES(mu_);
  monitorResponse HandleRoutez(std::string_view query) EXCLUDES(mu_);
  monitorResponse HandleSubsz(std::string_view query) EXCLUDES(mu_);
  monitorResponse HandleStacksz(std::string_view query) EXCLUDES(mu_);
  // Varz's snapshot; a non-empty countAs is counted in http_req_stats first
  // (HandleVarz passes "/varz").
  server::Varz varz(std::string_view countAs) EXCLUDES(mu_);

  // Constant after New().
  Info info_;  // only ID/Version/GoVersion are read without mu_
  const std::chrono::system_clock::time_point start_;

  std::atomic<uint64_t> gcid_{0};
  stats stats_;
  Sublist sl_;
  GoroutineGroup grWG_;
  TimerQueue timers_;

  mutable RWMutex optsMu_;
  std::shared_ptr<const Options> opts_ GUARDED_BY(optsMu_);

  Mutex reloadMu_;  // one Reload at a time; taken before mu_
  Mutex mu_;
  CondVar stateCv_;
  std::shared_ptr<const TLSConfig> tlsConfig_ GUARDED_BY(mu_);  // client TLS; null: plain
  std::shared_ptr<const Options> flagSnapshot_ GUARDED_BY(mu_);
  std::function<void(Options&)> reloadOverlay_ GUARDED_BY(mu_);
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
  // Routes (Go: s.routes, s.remotes, s.grTmpClients): registered route
  // connections by rid, the same by remote server id, and route connections
  // whose handshake has not registered them yet.
  std::unordered_map<uint64_t, std::shared_ptr<client>> routes_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::shared_ptr<client>> remotes_ GUARDED_BY(mu_);
  std::unordered_map<uint64_t, std::shared_ptr<client>> grTmpClients_ GUARDED_BY(mu_);
  std::atomic<int> numRoutes_{0};  // routes_.size(), read without the lock on every SUB
  Fd routeListener_ GUARDED_BY(mu_);
  std::string routeListenAddr_ GUARDED_BY(mu_);
  int routePort_ GUARDED_BY(mu_) = 0;
  Info routeInfo_ GUARDED_BY(mu_);
  std::string routeInfoJSON_ GUARDED_BY(mu_);
  std::shared_ptr<const TLSConfig> routeTLSConfig_ GUARDED_BY(mu_);  // null: plain routes
  uint64_t totalClients_ GUARDED_BY(mu_) = 0;
  size_t peakClients_ GUARDED_BY(mu_) = 0;  // since the last malloc_trim
  bool trimScheduled_ GUARDED_BY(mu_) = false;
  size_t trimWatch_ GUARDED_BY(mu_) = 0;  // clients + threads at the last look
  // Monitoring (Go: s.http, s.httpReqStats, s.configTime).
  std::unique_ptr<httpMonitor> http_ GUARDED_BY(mu_);
  std::map<std::string, uint64_t> httpReqStats_ GUARDED_BY(mu_);
  std::atomic<std::chrono::system_clock::time_point> configTime_;

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
