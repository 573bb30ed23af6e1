// Go: server/server.go (gnatsd v1.0.0)
// Server lifecycle: New, Start, AcceptLoop, createClient, Shutdown, INFO.
#include "server/server.h"

#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "server/client.h"
#include "server/const.h"
#include "server/gofmt.h"
#include "server/monitor.h"
#include "server/tls.h"
#include "server/util.h"

namespace gnatsd::server {

namespace {
// The INFO "go" field: clients only display it, so it names our toolchain.
std::string buildVersion() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#else
  return std::string("gcc ") + __VERSION__;
#endif
}
}  // namespace

std::string Info::toJSON() const {
  std::string j = "{\"server_id\":" + goJSONString(ID) + ",\"version\":" + goJSONString(Version) +
                  ",\"go\":" + goJSONString(GoVersion) + ",\"host\":" + goJSONString(Host) +
                  ",\"port\":" + std::to_string(Port) +
                  ",\"auth_required\":" + (AuthRequired ? "true" : "false") +
                  ",\"ssl_required\":" + (SSLRequired ? "true" : "false") +
                  ",\"tls_required\":" + (TLSRequired ? "true" : "false") +
                  ",\"tls_verify\":" + (TLSVerify ? "true" : "false") +
                  ",\"max_payload\":" + std::to_string(MaxPayload);
  if (!IP.empty()) j += ",\"ip\":" + goJSONString(IP);
  if (!ClientConnectURLs.empty()) {
    j += ",\"connect_urls\":[";
    for (size_t i = 0; i < ClientConnectURLs.size(); ++i) {
      if (i) j += ',';
      j += goJSONString(ClientConnectURLs[i]);
    }
    j += ']';
  }
  return j + "}";
}

std::unique_ptr<Server> Server::New(Options opts) {
  processOptions(opts);
  // An embedder may set the TLS flag fields alone, as main does from flags.
  if (!opts.TLSConfig) configureTLS(opts);
  auto gen = [](const std::shared_ptr<TLSConfigOpts>& tc) -> std::shared_ptr<const TLSConfig> {
    if (!tc) return nullptr;
    try {
      return GenTLSConfig(*tc);
    } catch (const std::runtime_error& e) {
      throw ConfigError(e.what());
    }
  };
  std::shared_ptr<const TLSConfig> tlsConfig = gen(opts.TLSConfig);
  std::shared_ptr<const TLSConfig> routeTLSConfig = gen(opts.Cluster.TLSConfig);
  // Features of later issues: refuse clearly rather than run without them.
  if (opts.ProfPort != 0) notSupportedYet("The profiling port");
  return std::unique_ptr<Server>(new Server(std::move(opts), std::move(tlsConfig), std::move(routeTLSConfig)));
}

Server::Server(Options opts, std::shared_ptr<const TLSConfig> tlsConfig,
               std::shared_ptr<const TLSConfig> routeTLSConfig)
    : start_(std::chrono::system_clock::now()),
      tlsConfig_(tlsConfig),
      routeTLSConfig_(std::move(routeTLSConfig)),
      configTime_(start_) {
  const bool tls = tlsConfig != nullptr;
  const bool verify = tlsConfig && tlsConfig->verify();
  info_.ID = genID();
  info_.Version = std::string(VERSION);
  info_.GoVersion = buildVersion();
  info_.Host = opts.Host;
  info_.Port = opts.Port;
  info_.MaxPayload = opts.MaxPayload;
  info_.TLSRequired = info_.SSLRequired = tls;
  info_.TLSVerify = verify;
  auto shared = std::make_shared<const Options>(std::move(opts));
  {
    WriteLock l(optsMu_);
    opts_ = shared;
  }
  MutexLock l(mu_);
  infoState_ = info_;
  configureAuthorization();
  generateServerInfoJSON();
  if (!shared->NoLog) {
    // Until ConfigureLogger runs, log plainly to stderr.
    logger_ = std::make_shared<logger::StdLogger>(shared->Logtime, shared->Debug, shared->Trace, false, true);
    debug_ = shared->Debug;
    trace_ = shared->Trace;
  }
}

Server::~Server() { Shutdown(); }

std::shared_ptr<const Options> Server::getOpts() const {
  ReadLock l(optsMu_);
  return opts_;
}

void Server::setOpts(std::shared_ptr<const Options> opts) {
  WriteLock l(optsMu_);
  opts_ = std::move(opts);
}

std::shared_ptr<const TLSConfig> Server::clientTLSConfig() {
  MutexLock l(mu_);
  return tlsConfig_;
}

std::vector<std::shared_ptr<client>> Server::clientsSnapshot() {
  MutexLock l(mu_);
  std::vector<std::shared_ptr<client>> out;
  out.reserve(clients_.size());
  for (auto& [cid, c] : clients_) out.push_back(c);
  return out;
}

void Server::generateServerInfoJSON() { infoJSON_ = "INFO " + infoState_.toJSON() + " " + std::string(CR_LF); }

std::string Server::infoJSON() {
  MutexLock l(mu_);
  return infoJSON_;
}

uint64_t Server::totalClients() {
  MutexLock l(mu_);
  return totalClients_;
}

std::string Server::writePidFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660));
  std::string pid = std::to_string(::getpid());
  if (!fd.valid() || ::write(fd.get(), pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
    return "open " + path + ": " + std::strerror(errno);
  }
  return "";
}

void Server::logPid() {
  std::string err = writePidFile(getOpts()->PidFile);
  if (!err.empty()) throw std::runtime_error("Could not write pidfile: " + err);
}

void Server::removePidFile(const std::string& path) {
  // Only a file that still names us: another process may have taken the
  // path over since.
  if (path.empty()) return;
  std::ifstream f(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.good() || f.eof()) {
    if (content == std::to_string(::getpid())) ::unlink(path.c_str());
  }
}

void Server::checkFileLimit(const Options& opts) {
  // One descriptor per connection: raise the soft limit as far as the hard
  // limit allows, and say so plainly when max_connections cannot be reached.
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  // Warn about the range this server is built for (10,000 connections),
  // not about the 64K default nobody expects to reach.
  const int target = opts.MaxConn > 0 ? std::min(opts.MaxConn, 10000) : 10000;
  const rlim_t want = static_cast<rlim_t>(target) + 64;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    Noticef("WARNING: the open file limit (ulimit -n) is %llu: fewer than %d connections can be "
            "served. Raise it with `ulimit -n %llu`.",
            static_cast<unsigned long long>(rl.rlim_cur), target, static_cast<unsigned long long>(want));
  }
}

void Server::Start() {
  Noticef("Starting nats-server version %s", std::string(VERSION).c_str());
  Debugf("Go build version %s", info_.GoVersion.c_str());
  auto opts = getOpts();
  {
    MutexLock l(mu_);
    if (running_ || shutdown_) throw std::logic_error("Server::Start called twice");
    running_ = true;
  }
  if (!opts->PidFile.empty()) logPid();
  try {
    // Bound and logged here, in gnatsd's order; its thread starts below,
    // once signals are blocked.
    setupMonitoring(false);
  } catch (const std::runtime_error& e) {
    Fatalf("Can't start monitoring: %s", e.what());
    {
      MutexLock ml(mu_);
      running_ = false;
    }
    throw std::runtime_error(std::string("Can't start monitoring: ") + e.what());
  }
  if (!opts->NoFileLimit) checkFileLimit(*opts);
  const size_t stack = opts->ThreadStackSize ? opts->ThreadStackSize : ThreadStackSize();
  grWG_.SetStackSize(stack);
  if (!opts->NoDefaultThreadStack) LowerDefaultThreadStack(stack);
  // Before the first server thread (threads inherit the signal mask) and
  // before "Server is ready": a SIGUSR1 or SIGHUP sent by a script that
  // waited for that line must find a handler (1.0.0 set them up in New).
  handleSignals();

  std::string err;
  Fd l = ListenTCP(opts->Host, opts->Port, &err);
  if (!l.valid()) {
    std::string hp = JoinHostPort(opts->Host, opts->Port);
    Fatalf("Error listening on port: %s, %s", hp.c_str(), quoteGo(err).c_str());
    {
      MutexLock ml(mu_);
      running_ = false;
    }
    throw std::runtime_error("Error listening on port: " + hp + ", " + quoteGo(err));
  }
  const int port = LocalPort(l.get());
  if (opts->Port == 0) {
    // Go: AcceptLoop writes the chosen port back into the options.
    auto updated = std::make_shared<Options>(*opts);
    updated->Port = port;
    WriteLock wl(optsMu_);
    opts_ = std::move(updated);
  }
  Noticef("Listening for client connections on %s", JoinHostPort(opts->Host, port).c_str());
  if (opts->Cluster.Port != 0) {
    // Go: StartRouting, once the client port is known (route INFO carries it
    // in connect_urls). Bound before "Server is ready", so that whoever waited
    // for that line (or ReadyForConnections) finds the cluster port open.
    try {
      setupRouting();
    } catch (const std::runtime_error&) {
      MutexLock ml(mu_);
      running_ = false;
      throw;
    }
  }
  if (clientTLSConfig()) Noticef("TLS required for client connections");
  Debugf("Server id is %s", info_.ID.c_str());
  Noticef("Server is ready");
  {
    MutexLock ml(mu_);
    listener_ = std::move(l);
    listenAddr_ = JoinHostPort(opts->Host, port);
    listenPort_ = port;
    // 1.0.0 kept port 0 in INFO for a random port; clients want the real one.
    infoState_.Port = port;
    generateServerInfoJSON();
    stateCv_.SignalAll();
  }
  runMonitoring();
  startGoRoutine("timer", [this] { timers_.Run(); });
  startGoRoutine("accept:" + std::to_string(port), [this] { AcceptLoop(); });
  if (opts->Cluster.Port != 0) {
    startGoRoutine("accept:route", [this] { routeAcceptLoop(); });
    solicitRoutes(getOpts()->Routes);
  }
}

void Server::AcceptLoop() {
  int lfd;
  {
    MutexLock l(mu_);
    lfd = listener_.get();
  }
  auto tmpDelay = std::chrono::duration_cast<std::chrono::milliseconds>(ACCEPT_MIN_SLEEP);
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      MutexLock l(mu_);
      if (!running_) break;
      if (e == EINTR || e == ECONNABORTED) continue;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        // Out of descriptors or memory: back off instead of spinning.
        Debugf("Temporary Client Accept Error(accept: %s), sleeping %lldms", std::strerror(e),
               static_cast<long long>(tmpDelay.count()));
        stateCv_.WaitUntil(mu_, std::chrono::steady_clock::now() + tmpDelay);
        tmpDelay = std::min(tmpDelay * 2, std::chrono::duration_cast<std::chrono::milliseconds>(ACCEPT_MAX_SLEEP));
        continue;
      }
      Noticef("Accept error: accept: %s", std::strerror(e));
      if (e == EINVAL || e == EBADF) break;
      continue;
    }
    tmpDelay = std::chrono::duration_cast<std::chrono::milliseconds>(ACCEPT_MIN_SLEEP);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto conn = std::make_shared<Fd>(fd);
    if (!grWG_.GoConn("rd:new", [this, conn] { createClient(std::move(*conn)); })) break;
  }
  Noticef("Server Exiting..");
}

void Server::createClient(Fd conn) {
  auto opts = getOpts();
  auto c = std::make_shared<client>(this, std::move(conn), CLIENT);
  std::string info;
  bool authRequired;
  std::shared_ptr<const TLSConfig> tlsConfig;  // the one this INFO announces
  {
    MutexLock l(mu_);
    info = infoJSON_;
    authRequired = infoState_.AuthRequired;
    tlsConfig = tlsConfig_;
    totalClients_++;
  }
  c->initClient();
  setThreadName("rd:cid=" + std::to_string(c->cid()));
  c->Debugf("Client connection created");
  c->sendInfo(info);
  {
    MutexLock l(mu_);
    // Shutdown may already have taken its snapshot of clients_: close now.
    if (!running_) {
      l.Unlock();
      c->closeConnection();
      c->finishConnection();
      return;
    }
    if (opts->MaxConn > 0 && clients_.size() >= static_cast<size_t>(opts->MaxConn)) {
      l.Unlock();
      c->maxConnExceeded();
      c->finishConnection();
      return;
    }
    clients_.emplace(c->cid(), c);
  }
  // A peer that reset at once makes the INFO write fail and close the
  // client before it was registered, when its removeClient found nothing.
  if (c->isClosed()) removeClient(c.get());
  // The handshake comes after the INFO, in clear, and before the auth timer
  // starts (so that it cannot fire in the middle of the handshake).
  if (tlsConfig && !c->tlsHandshake(*tlsConfig, secondsToDuration(opts->TLSTimeout))) {
    c->finishConnection();
    return;
  }
  c->armTimers(authRequired, secondsToDuration(opts->AuthTimeout));
  c->readLoop();
}

void Server::removeClient(client* c) {
  if (c->typ() == ROUTER) {
    const std::string rID = c->routeSnapshot().value_or(route{}).remoteID;
    MutexLock l(mu_);
    auto it = routes_.find(c->cid());
    if (it != routes_.end() && it->second.get() == c) routes_.erase(it);
    numRoutes_.store(static_cast<int>(routes_.size()), std::memory_order_relaxed);
    auto rc = remotes_.find(rID);
    if (rc != remotes_.end() && rc->second.get() == c) remotes_.erase(rc);  // only if it is this one
    auto tmp = grTmpClients_.find(c->cid());
    if (tmp != grTmpClients_.end() && tmp->second.get() == c) grTmpClients_.erase(tmp);
    return;
  }
  MutexLock l(mu_);
  auto it = clients_.find(c->cid());
  if (it != clients_.end() && it->second.get() == c) clients_.erase(it);
  // After a wave of disconnects (many threads freed memory in many malloc
  // arenas), hand free pages back to the system; glibc only trims the top
  // of the main heap by itself.
  // The trim runs on the timer thread once the wave has settled: no further
  // drop in the client count, nor in the thread count, for a second.
  peakClients_ = std::max(peakClients_, clients_.size() + 1);
  if (getOpts()->NoMallocTrim) return;
  if (peakClients_ >= 1000 && clients_.size() <= peakClients_ / 2 && !trimScheduled_) {
    trimScheduled_ = true;
    trimWatch_ = clients_.size() + static_cast<size_t>(grWG_.Running());
    scheduleTrim();
  }
}

void Server::scheduleTrim() {
  timers_.After(1s, [this] {
    // A reader thread frees its buffers after removeClient, on its way out,
    // and on a busy machine the last ones leave seconds after the map is
    // empty: a trim before then would miss their memory.
    const size_t threads = static_cast<size_t>(grWG_.Running());
    MutexLock l(mu_);
    const size_t left = clients_.size() + threads;
    if (left < trimWatch_) {  // still falling: look again later
      trimWatch_ = left;
      scheduleTrim();
      return;
    }
    trimScheduled_ = false;
    peakClients_ = clients_.size();
    l.Unlock();
    grWG_.Reap();  // the wave's last readers: their stacks
    ::malloc_trim(0);
  });
}

int Server::NumClients() {
  MutexLock l(mu_);
  return static_cast<int>(clients_.size());
}

std::shared_ptr<client> Server::getClient(uint64_t cid) {
  MutexLock l(mu_);
  auto it = clients_.find(cid);
  return it == clients_.end() ? nullptr : it->second;
}

std::string Server::Addr() {
  MutexLock l(mu_);
  return listenAddr_;
}

std::string Server::ClientURL() {
  const int port = Port();
  if (port == 0) return {};
  std::string host = getOpts()->Host;
  // A wildcard listener is reached through loopback from this machine.
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  else if (host == "::" || host == "[::]") host = "::1";
  return (clientTLSConfig() ? "tls://" : "nats://") + JoinHostPort(host, port);
}

bool Server::ReadyForConnections(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock l(mu_);
  while (!listener_.valid()) {
    if (shutdown_) return false;
    if (!stateCv_.WaitUntil(mu_, deadline)) return listener_.valid();
  }
  return true;
}

void Server::Shutdown() {
  std::vector<std::shared_ptr<client>> conns;
  {
    MutexLock l(mu_);
    if (shutdown_) {
      // Another thread is shutting down: wait for it to finish.
      while (!shutdownDone_) stateCv_.Wait(mu_);
      return;
    }
    shutdown_ = true;
    running_ = false;
    grWG_.Stop();
    conns.reserve(clients_.size() + routes_.size() + grTmpClients_.size());
    for (auto& [cid, c] : clients_) conns.push_back(c);
    for (auto& [cid, c] : routes_) conns.push_back(c);
    for (auto& [cid, c] : grTmpClients_) conns.push_back(c);
    // Wakes the accept loops; the numbers are closed after they have returned.
    listener_.Shutdown();
    routeListener_.Shutdown();
    // The same for the monitor's listener and its open requests.
    if (http_) http_->Shutdown();
    stateCv_.SignalAll();
  }
  for (auto& c : conns) c->closeConnection();
  conns.clear();
  timers_.Stop();
  stopSignals();
  grWG_.Wait();
  removePidFile(getOpts()->PidFile);
  MutexLock l(mu_);
  listener_.Close();
  routeListener_.Close();
  clients_.clear();
  routes_.clear();
  remotes_.clear();
  grTmpClients_.clear();
  http_.reset();
  shutdownDone_ = true;
  stateCv_.SignalAll();
}

void Server::RequestShutdown() {
  MutexLock l(mu_);
  shutdownRequested_ = true;
  stateCv_.SignalAll();
}

void Server::WaitForShutdown() {
  {
    MutexLock l(mu_);
    while (!shutdownDone_ && !shutdownRequested_) stateCv_.Wait(mu_);
    if (shutdownDone_) return;
  }
  Shutdown();
}

}  // namespace gnatsd::server
