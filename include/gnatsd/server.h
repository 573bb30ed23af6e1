// C++ only: the installed API of gnatsd-cpp (Go: server.New and the exported
// methods of server.Server)
// An embedded NATS server: start it, watch it, reload it, stop it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "gnatsd/logger.h"
#include "gnatsd/options.h"

namespace gnatsd {

// The numbers /varz serves, as values (Server::Varz).
struct Varz {
  std::string ServerID;
  std::string Version;  // gnatsd's protocol version: "1.0.0"
  std::string Host;
  int Port = 0;
  int MaxPayload = 0;
  std::chrono::system_clock::time_point Start;
  std::chrono::system_clock::time_point Now;
  std::string Uptime;  // as /varz prints it: "1h2m3s"
  int64_t Mem = 0;     // resident set of the process, bytes
  int Cores = 0;
  double CPU = 0;      // percent of one core, since the previous sample
  int64_t Connections = 0;       // clients connected now (in-process ones too)
  uint64_t TotalConnections = 0;  // since Start
  int64_t Routes = 0;
  int64_t Remotes = 0;
  int64_t InMsgs = 0;
  int64_t OutMsgs = 0;
  int64_t InBytes = 0;
  int64_t OutBytes = 0;
  int64_t SlowConsumers = 0;
  uint32_t Subscriptions = 0;
  std::chrono::system_clock::time_point ConfigLoadTime;
  std::map<std::string, uint64_t> HTTPReqStats;  // requests per monitor path
};

// One NATS server inside the program. Servers share nothing: several may
// run in one process, each with its own port, clients and counters.
//
// Lifetime: New, Start, and Shutdown (or destroy it: the destructor shuts
// it down). Every thread the server starts has ended when Shutdown returns.
// Destroy every InProcessConn of a server before the server.
//
// Thread rule: every method is thread safe. Shutdown, WaitForShutdown and
// the destructor must not be called from a thread the server started, such
// as one running Logger::Log: they wait for those threads. (A callback of
// InProcessConn::Drain runs on the program's own thread and may call them.)
class Server {
 public:
  // Checks the options (ranges, TLS files, ...) and prepares the server;
  // nothing listens yet. With a logger, every log line goes to it;
  // without, the server logs as Options say (stderr by default). Throws
  // ConfigError.
  static std::unique_ptr<Server> New(const Options& opts, std::shared_ptr<Logger> logger = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the client port (and the monitor and cluster ports when asked),
  // writes the pid file and returns; connections are served on the
  // server's own threads. Throws std::runtime_error with gnatsd's message
  // ("Error listening on port: ...") when it cannot. Call once.
  void Start();
  // True once the client port accepts connections, false after timeout.
  bool ReadyForConnections(std::chrono::milliseconds timeout);
  // Closes every connection and waits for every server thread. Idempotent.
  void Shutdown();
  // Returns once the server has shut down: after Shutdown on another thread,
  // or (Options::HandleSignals) after SIGINT or SIGTERM, which it carries out
  // on the calling thread.
  void WaitForShutdown();
  // Reads the config file again and applies what gnatsd can change on a
  // running server (authorization, logging, TLS, limits, cluster routes);
  // fields set in code over the file keep their values. Throws ConfigError,
  // changing nothing, when the file does not parse or asks for a change
  // that needs a restart (the port, for one), or when the options did not
  // come from a file.
  void Reload();

  // "nats://127.0.0.1:4222" ("tls://..." when clients must use TLS): where a
  // client on this machine connects, with the port actually bound. A server
  // listening on every address is named by loopback. "" before Start.
  std::string ClientURL() const;
  // The client port bound, 0 before Start.
  int Port() const;
  // The server's unique id, as in its INFO.
  std::string ID() const;
  int NumClients() const;
  int NumRoutes() const;
  uint32_t NumSubscriptions() const;
  // What /varz reports, read now (monitoring need not be on).
  gnatsd::Varz Varz() const;

 private:
  friend class InProcessConn;
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gnatsd
