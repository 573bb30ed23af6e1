// Go: server/monitor.go and server/monitor_sort_opts.go (gnatsd v1.0.0)
// The HTTP(S) monitor: /varz /connz /routez /subsz /stacksz, in gnatsd's JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/mutex.h"
#include "server/net.h"
#include "server/server.h"

namespace gnatsd::server {

class Server;
class TLSConfig;

// Go: the HTTP endpoints.
inline constexpr std::string_view RootPath = "/";
inline constexpr std::string_view VarzPath = "/varz";
inline constexpr std::string_view ConnzPath = "/connz";
inline constexpr std::string_view RoutezPath = "/routez";
inline constexpr std::string_view SubszPath = "/subsz";
inline constexpr std::string_view StackszPath = "/stacksz";

// Go: DefaultConnListSize. /connz page size when no (or a bad) limit is given.
inline constexpr int DefaultConnListSize = 1024;

// Go: SortOpt values (monitor_sort_opts.go).
inline constexpr std::string_view byCid = "cid";
inline constexpr std::string_view bySubs = "subs";
inline constexpr std::string_view byPending = "pending";
inline constexpr std::string_view byOutMsgs = "msgs_to";
inline constexpr std::string_view byInMsgs = "msgs_from";
inline constexpr std::string_view byOutBytes = "bytes_to";
inline constexpr std::string_view byInBytes = "bytes_from";
inline constexpr std::string_view byLast = "last";
inline constexpr std::string_view byIdle = "idle";
inline constexpr std::string_view byUptime = "uptime";
// Go: SortOpt.IsValid. The empty option is valid (it means cid).
bool SortOptIsValid(std::string_view s);

// Limits of the HTTP layer. Read and write timeouts and the header limit are
// gnatsd's (http.Server ReadTimeout, WriteTimeout, MaxHeaderBytes; Go allows
// 4096 bytes over MaxHeaderBytes). The cap on open monitor connections is
// ours (docs/DEVIATIONS.md): one more is answered 503 and closed.
inline constexpr std::chrono::seconds monitorReadTimeout{2};
inline constexpr std::chrono::seconds monitorWriteTimeout{2};
inline constexpr size_t monitorMaxHeaderBytes = (1u << 20) + 4096;
inline constexpr size_t monitorMaxBodyBytes = 1u << 20;
inline constexpr int monitorMaxConns = 256;

// One answer of the monitor, before HTTP framing.
struct monitorResponse {
  int status = 200;
  std::string contentType;  // empty: none (Go would sniff; we always set one)
  std::string body;
  bool noSniff = false;     // X-Content-Type-Options: nosniff (Go's http.Error)
  std::string location;     // Location header of a redirect
};

// Go: type Varz. What /varz reports, as values: Server::Varz() hands it to
// an embedder and HandleVarz writes it as JSON, so both read one snapshot.
struct Varz {
  Info info;                            // Go: the embedded *Info (INFO as sent now)
  std::shared_ptr<const Options> opts;  // Go: the embedded *Options (in force now)
  int Port = 0;
  int MaxPayload = 0;
  std::chrono::system_clock::time_point Start;
  std::chrono::system_clock::time_point Now;
  std::string Uptime;  // myUptime(Now - Start)
  int64_t Mem = 0;     // resident set, bytes
  int Cores = 0;
  double CPU = 0;      // percent of one core
  int64_t Connections = 0;
  uint64_t TotalConnections = 0;
  int64_t Routes = 0;
  int64_t Remotes = 0;
  int64_t InMsgs = 0;
  int64_t OutMsgs = 0;
  int64_t InBytes = 0;
  int64_t OutBytes = 0;
  int64_t SlowConsumers = 0;
  uint32_t Subscriptions = 0;
  std::map<std::string, uint64_t> HTTPReqStats;
  std::chrono::system_clock::time_point ConfigLoadTime;
};

// Go: myUptime. "22s", "4m22s", "4h4m22s", "32d4h4m22s", "22y32d4h4m22s"
// (whole seconds; a year is 365 days; a negative duration as Go prints it).
std::string myUptime(std::chrono::nanoseconds d);

// Go: time.Time's MarshalJSON text (RFC 3339, nanoseconds with trailing
// zeros cut, the local zone's offset or "Z"), without the quotes.
std::string rfc3339Nano(std::chrono::system_clock::time_point t);

// Go: json.MarshalIndent(v, "", "  ") of the same data: two-space indent,
// Go's string escapes (<, >, & as \u003c \u003e \u0026; bad UTF-8 as
// \ufffd) and Go's float format (0 and 1.5, never 0.0). nlohmann's dump
// differs in each of these, so the tree is written here.
std::string goMarshalIndent(const nlohmann::ordered_json& j);

// Go: url.Values.Get on a raw query: the first value of key, decoded ('+' is
// a space, %XX a byte); empty when absent.
std::string queryGet(std::string_view rawQuery, std::string_view key);

// Go: ResponseHandler. JSON, or JSONP "<callback>(<data>)" as
// application/javascript when the query has a callback.
monitorResponse ResponseHandler(std::string_view rawQuery, std::string data);

// The HTTP side of the monitor (Go: net/http's Server over the monitor's
// listener): one listener thread, and one thread per open connection, all
// started through Server::startGoRoutine, so Server::Shutdown joins them.
// Requests are parsed by Boost.Beast; each request must arrive within
// monitorReadTimeout and its answer leave within monitorWriteTimeout, or the
// connection is closed. Keep-alive is served; an idle connection is closed
// after monitorReadTimeout, as Go does without an IdleTimeout.
//
// Lifetime: owned by the Server (Server::http_), created by startMonitoring
// and destroyed by Shutdown after every server thread has been joined.
// Thread rule: Run once; Shutdown from any thread, idempotent.
class httpMonitor {
 public:
  // tls: null for HTTP; for HTTPS the server's TLS context, used without
  // asking for client certificates (Go: ClientAuth = NoClientCert).
  httpMonitor(Server* s, Fd listener, std::shared_ptr<const TLSConfig> tls, std::string addr, int port);
  ~httpMonitor();
  httpMonitor(const httpMonitor&) = delete;
  httpMonitor& operator=(const httpMonitor&) = delete;

  // Starts the listener thread ("http:<port>"). False when the server is
  // shutting down.
  bool Run();
  // Wakes the listener and every open connection; their threads then exit.
  void Shutdown() EXCLUDES(mu_);

  const std::string& addr() const { return addr_; }
  int port() const { return port_; }
  // Monitor connections open right now.
  int numConns() EXCLUDES(mu_);

 private:
  // Go: Server.Serve. Body of the listener thread.
  void acceptLoop() EXCLUDES(mu_);
  // Go: conn.serve. Body of one connection's thread; closes fd at its end.
  void serveConn(Fd fd, uint64_t id) EXCLUDES(mu_);
  // The requests of one connection, until it ends or must be closed.
  void serveRequests(int fd);
  void unregister(uint64_t id) EXCLUDES(mu_);

  Server* const srv_;  // outlives us: it joins our threads before destroying us
  Fd listener_;        // shut down by Shutdown, closed by the destructor
  const std::shared_ptr<const TLSConfig> tls_;
  const std::string addr_;
  const int port_;

  Mutex mu_;
  bool stopped_ GUARDED_BY(mu_) = false;
  uint64_t nextID_ GUARDED_BY(mu_) = 0;
  // Open connections by id: the descriptor, so Shutdown can wake its reader.
  // A thread removes its entry before closing the descriptor.
  std::map<uint64_t, int> conns_ GUARDED_BY(mu_);
};

}  // namespace gnatsd::server
