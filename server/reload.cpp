// Go: server/reload.go (gnatsd v1.0.0), and removeUnauthorizedSubs of auth.go
// Server::Reload: read the config file again, find what changed, refuse what
// cannot change while running, apply the rest.
#include "server/reload.h"

#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "server/client.h"
#include "server/const.h"
#include "server/gofmt.h"
#include "server/server.h"
#include "server/tls.h"
#include "server/util.h"

namespace gnatsd::server {

namespace {

using json = nlohmann::json;

// Go's %v of the plain fields an error message shows.
std::string v(bool b) { return b ? "true" : "false"; }
std::string v(int i) { return std::to_string(i); }
std::string v(double d) { return goValue(json(d)); }

ConfigError notSupported(const char* field, const std::string& oldValue, const std::string& newValue) {
  return ConfigError(std::string("Config reload not supported for ") + field + ": old=" + oldValue +
                     ", new=" + newValue);
}

template <class T>
bool samePointee(const std::shared_ptr<T>& a, const std::shared_ptr<T>& b) {
  if (!a || !b) return a == b;
  return *a == *b;
}

bool sameCluster(const ClusterOpts& a, const ClusterOpts& b) {
  return a.Host == b.Host && a.Port == b.Port && a.Username == b.Username && a.Password == b.Password &&
         a.AuthTimeout == b.AuthTimeout && a.TLSTimeout == b.TLSTimeout && samePointee(a.TLSConfig, b.TLSConfig) &&
         a.ListenStr == b.ListenStr && a.NoAdvertise == b.NoAdvertise && a.ConnectRetries == b.ConnectRetries;
}

// Different certificates, though the tls block may read the same: files
// rotated in place are what an operator reloads for.
bool sameCertificate(const TLSConfig* a, const TLSConfig* b) {
  if (!a || !b) return a == b;
  X509* ca = SSL_CTX_get0_certificate(a->ctx());
  X509* cb = SSL_CTX_get0_certificate(b->ctx());
  if (!ca || !cb) return ca == cb;
  return X509_cmp(ca, cb) == 0;
}

}  // namespace

void Server::SetFlagSnapshot(Options flags) {
  auto snapshot = std::make_shared<const Options>(std::move(flags));
  MutexLock l(mu_);
  flagSnapshot_ = std::move(snapshot);
}

void Server::Reload() {
  MutexLock rl(reloadMu_);
  auto cur = getOpts();
  if (cur->ConfigFile.empty()) {
    throw ConfigError("Can only reload config when a file is provided using -c or --config");
  }
  Options newOpts = ProcessConfigFile(cur->ConfigFile);
  std::shared_ptr<const Options> flags;
  std::function<void(Options&)> overlay;
  {
    MutexLock l(mu_);
    flags = flagSnapshot_;
    overlay = reloadOverlay_;
  }
  // As at start (flags.cpp): flags over the file, then the TLS flags.
  if (flags) newOpts = MergeOptions(newOpts, *flags);
  if (overlay) overlay(newOpts);
  configureTLS(newOpts);
  // What the embedder or main chose for the process, not config keys.
  newOpts.NoLog = cur->NoLog;
  newOpts.NoSigs = cur->NoSigs;
  newOpts.NoFileLimit = cur->NoFileLimit;
  newOpts.NoMallocTrim = cur->NoMallocTrim;
  newOpts.NoDefaultThreadStack = cur->NoDefaultThreadStack;
  newOpts.ThreadStackSize = cur->ThreadStackSize;
  processOptions(newOpts);
  // A random port (0 after processOptions) keeps the one the server got.
  if (newOpts.Port == 0) newOpts.Port = cur->Port;
  reloadOptions(std::move(newOpts));
  configTime_ = std::chrono::system_clock::now();
}

void Server::SetReloadOverlay(std::function<void(Options&)> overlay) {
  MutexLock l(mu_);
  reloadOverlay_ = std::move(overlay);
}

void Server::reloadOptions(Options newOpts) {
  std::vector<option> changed = diffOptions(newOpts);
  setOpts(std::make_shared<const Options>(std::move(newOpts)));
  applyOptions(changed);
}

std::vector<option> Server::diffOptions(const Options& n) {
  const auto cur = getOpts();
  const Options& o = *cur;
  std::vector<option> diff;
  auto plain = [&](std::function<void()> apply) { diff.push_back({option::Kind::Plain, std::move(apply)}); };
  auto logging = [&](std::string note) {
    diff.push_back({option::Kind::Logging, [this, note] { Noticef("%s", note.c_str()); }});
  };
  auto auth = [&](std::string note) {
    diff.push_back({option::Kind::Auth, [this, note] { Noticef("%s", note.c_str()); }});
  };

  // In the order of Options (Go: of the struct's fields).
  if (o.Host != n.Host) throw notSupported("Host", o.Host, n.Host);
  if (o.Port != n.Port) throw notSupported("Port", v(o.Port), v(n.Port));
  if (o.Trace != n.Trace) logging("Reloaded: trace = " + v(n.Trace));
  if (o.Debug != n.Debug) logging("Reloaded: debug = " + v(n.Debug));
  if (o.Logtime != n.Logtime) logging("Reloaded: logtime = " + v(n.Logtime));
  if (o.MaxConn != n.MaxConn) {
    const int max = n.MaxConn;
    plain([this, max] {
      auto clients = clientsSnapshot();
      if (max > 0 && clients.size() > static_cast<size_t>(max)) {
        const size_t numClose = clients.size() - static_cast<size_t>(max);
        size_t closed = 0;
        for (auto& c : clients) {
          c->maxConnExceeded();
          if (++closed >= numClose) break;
        }
        Noticef("Closed %zu connections to fall within max_connections", closed);
      }
      Noticef("Reloaded: max_connections = %d", max);
    });
  }
  if (!samePointee(o.Users, n.Users)) auth("Reloaded: authorization users");
  if (o.Username != n.Username) auth("Reloaded: authorization username");
  if (o.Password != n.Password) auth("Reloaded: authorization password");
  if (o.Authorization != n.Authorization) auth("Reloaded: authorization token");
  if (o.PingInterval != n.PingInterval) {
    // The ping timer reads the options each time it is armed.
    const std::string d = durationString(n.PingInterval);
    plain([this, d] { Noticef("Reloaded: ping_interval = %s", d.c_str()); });
  }
  if (o.MaxPingsOut != n.MaxPingsOut) {
    const int max = n.MaxPingsOut;
    plain([this, max] { Noticef("Reloaded: ping_max = %d", max); });
  }
  if (o.HTTPHost != n.HTTPHost) throw notSupported("HTTPHost", o.HTTPHost, n.HTTPHost);
  // Unlike Port, the options keep -1 for a random monitor port (the bound
  // one is not written back): -1 in the file again is no change, and a
  // fixed port turned into -1 is refused like any other change.
  if (o.HTTPPort != n.HTTPPort) throw notSupported("HTTPPort", v(o.HTTPPort), v(n.HTTPPort));
  if (o.HTTPSPort != n.HTTPSPort) throw notSupported("HTTPSPort", v(o.HTTPSPort), v(n.HTTPSPort));
  if (o.AuthTimeout != n.AuthTimeout) {
    // Read when a connection arms its auth timer.
    const std::string t = v(n.AuthTimeout);
    plain([this, t] { Noticef("Reloaded: authorization timeout = %s", t.c_str()); });
  }
  if (o.MaxControlLine != n.MaxControlLine) {
    // The parser reads it on every call.
    const int max = n.MaxControlLine;
    plain([this, max] { Noticef("Reloaded: max_control_line = %d", max); });
  }
  if (o.MaxPayload != n.MaxPayload) {
    const int max = n.MaxPayload;
    plain([this, max] {
      {
        MutexLock l(mu_);
        infoState_.MaxPayload = max;
        generateServerInfoJSON();
        for (auto& [cid, c] : clients_) c->mpay_ = max;
      }
      Noticef("Reloaded: max_payload = %d", max);
    });
  }
  if (!sameCluster(o.Cluster, n.Cluster)) {
    // Go: validateClusterOpts. The listener stays where it is.
    if (o.Cluster.Host != n.Cluster.Host) {
      throw ConfigError("Config reload not supported for cluster host: old=" + o.Cluster.Host +
                        ", new=" + n.Cluster.Host);
    }
    if (o.Cluster.Port != n.Cluster.Port) {
      throw ConfigError("Config reload not supported for cluster port: old=" + v(o.Cluster.Port) +
                        ", new=" + v(n.Cluster.Port));
    }
    // Go: clusterOption, an auth option: routes are checked again after.
    std::shared_ptr<const TLSConfig> tls;
    if (n.Cluster.TLSConfig) {
      try {
        tls = GenTLSConfig(*n.Cluster.TLSConfig);
      } catch (const std::runtime_error& e) {
        throw ConfigError(e.what());
      }
    }
    const bool authRequired = !n.Cluster.Username.empty();
    diff.push_back({option::Kind::Auth, [this, tls, authRequired] {
                      {
                        MutexLock l(mu_);
                        // 1.0.0 changed only the INFO flags; the routes it
                        // dialled or accepted next kept the old context.
                        routeTLSConfig_ = tls;
                        routeInfo_.TLSRequired = routeInfo_.SSLRequired = routeInfo_.TLSVerify = tls != nullptr;
                        routeInfo_.AuthRequired = authRequired;
                        generateRouteInfoJSON();
                      }
                      Noticef("Reloaded: cluster");
                    }});
  }
  if (o.Routes != n.Routes) {
    // Go: diffRoutes and routesOption. Compared by value: 1.0.0 compared
    // URL pointers, so any edit dropped and re-dialled every route
    // (docs/DEVIATIONS.md).
    auto missingFrom = [](const std::vector<URL>& from, const std::vector<URL>& of) {
      std::vector<URL> out;
      for (const URL& u : of) {
        if (std::find(from.begin(), from.end(), u) == from.end()) out.push_back(u);
      }
      return out;
    };
    std::vector<URL> remove = missingFrom(n.Routes, o.Routes);
    std::vector<URL> add = missingFrom(o.Routes, n.Routes);
    plain([this, remove, add] {
      for (const URL& gone : remove) {
        for (auto& rc : routesSnapshot()) {
          {
            MutexLock l(rc->mu_);
            if (!rc->route_ || !rc->route_->url || !(*rc->route_->url == gone)) continue;
            rc->route_->closed = true;  // not re-dialled
          }
          rc->closeConnection();
          Noticef("Removed route %s", gone.String().c_str());
        }
      }
      solicitRoutes(add);
      Noticef("Reloaded: cluster routes");
    });
  }
  if (o.ProfPort != n.ProfPort) throw notSupported("ProfPort", v(o.ProfPort), v(n.ProfPort));
  if (o.PidFile != n.PidFile) {
    const std::string oldPath = o.PidFile, path = n.PidFile;
    plain([this, oldPath, path] {
      if (path.empty()) return;
      removePidFile(oldPath);
      std::string err = writePidFile(path);
      if (!err.empty()) Errorf("Failed to write pidfile: %s", err.c_str());
      Noticef("Reloaded: pid_file = %s", path.c_str());
    });
  }
  if (o.LogFile != n.LogFile) logging("Reloaded: log_file = " + n.LogFile);
  if (o.Syslog != n.Syslog) logging("Reloaded: syslog = " + v(n.Syslog));
  if (o.RemoteSyslog != n.RemoteSyslog) logging("Reloaded: remote_syslog = " + n.RemoteSyslog);
  if (o.TLSTimeout != n.TLSTimeout) {
    // Read by each handshake as it starts.
    const std::string t = v(n.TLSTimeout);
    plain([this, t] { Noticef("Reloaded: tls timeout = %s", t.c_str()); });
  }
  // Only the TLS flags set these; they do not change between reloads.
  if (o.TLS != n.TLS) throw notSupported("TLS", v(o.TLS), v(n.TLS));
  if (o.TLSVerify != n.TLSVerify) throw notSupported("TLSVerify", v(o.TLSVerify), v(n.TLSVerify));
  if (o.TLSCert != n.TLSCert) throw notSupported("TLSCert", o.TLSCert, n.TLSCert);
  if (o.TLSKey != n.TLSKey) throw notSupported("TLSKey", o.TLSKey, n.TLSKey);
  if (o.TLSCaCert != n.TLSCaCert) throw notSupported("TLSCaCert", o.TLSCaCert, n.TLSCaCert);
  {
    // The files are read again on every reload.
    std::shared_ptr<const TLSConfig> tls;
    if (n.TLSConfig) {
      try {
        tls = GenTLSConfig(*n.TLSConfig);
      } catch (const std::runtime_error& e) {
        throw ConfigError(e.what());
      }
    }
    const auto running = clientTLSConfig();
    if (!samePointee(o.TLSConfig, n.TLSConfig) || !sameCertificate(running.get(), tls.get())) {
      plain([this, tls] {
        {
          MutexLock l(mu_);
          tlsConfig_ = tls;
          // 1.0.0 left ssl_required, and tls_verify when disabling, as they
          // were (docs/DEVIATIONS.md).
          infoState_.TLSRequired = infoState_.SSLRequired = tls != nullptr;
          infoState_.TLSVerify = tls && tls->verify();
          generateServerInfoJSON();
        }
        Noticef("Reloaded: tls = %s", tls ? "enabled" : "disabled");
      });
    }
  }
  if (o.WriteDeadline != n.WriteDeadline) {
    const auto d = n.WriteDeadline;
    plain([this, d] {
      const auto eff = d.count() > 0 ? d : std::chrono::nanoseconds(DEFAULT_FLUSH_DEADLINE);
      for (auto& c : clientsSnapshot()) c->writeDeadlineNs_ = eff.count();
      Noticef("Reloaded: write_deadline = %s", durationString(d).c_str());
    });
  }
  if (o.MaxPending != n.MaxPending) {
    const int64_t max = n.MaxPending;
    plain([this, max] { Noticef("Reloaded: max_pending = %lld", static_cast<long long>(max)); });
  }

  // Prepared here so that a log file that cannot be opened fails the reload
  // before anything is applied.
  for (const auto& opt : diff) {
    if (!opt.IsLoggingChange()) continue;
    std::shared_ptr<logger::Logger> log;
    try {
      log = newLogger(n);
    } catch (const std::runtime_error& e) {
      throw ConfigError(e.what());
    }
    const bool debug = n.Debug, trace = n.Trace, keep = n.NoLog;
    diff.push_back({option::Kind::Plain, [this, log, debug, trace, keep] {
                      // NoLog (tests, embedders with their own logger): only
                      // the level switches follow the file.
                      if (keep) {
                        debug_ = debug;
                        trace_ = trace;
                      } else {
                        SetLogger(log, debug, trace);
                      }
                      for (auto& c : clientsSnapshot()) {
                        c->debug_ = debug;
                        c->trace_ = trace;
                      }
                    }});
    break;
  }
  return diff;
}

void Server::applyOptions(const std::vector<option>& changed) {
  bool reloadAuth = false;
  for (const auto& opt : changed) {
    opt.Apply();
    if (opt.IsAuthChange()) reloadAuth = true;
  }
  if (reloadAuth) reloadAuthorization();
  Noticef("Reloaded server configuration");
}

void Server::reloadAuthorization() {
  {
    MutexLock l(mu_);
    configureAuthorization();
    generateServerInfoJSON();
  }
  const bool users = getOpts()->Users != nullptr;
  for (auto& c : clientsSnapshot()) {
    if (!isClientAuthorized(*c)) {
      c->authViolation();
      continue;
    }
    // Without a users list nobody has permissions any more (1.0.0 left the
    // old ones in place).
    if (!users) c->RegisterUser(User{});
    removeUnauthorizedSubs(*c);
  }
  // Routes that dialled us must pass the cluster credentials now in force.
  // Those we dialled authenticated to their peer, not to us: 1.0.0 checked
  // them too, against an empty CONNECT, and cut them (docs/DEVIATIONS.md).
  for (auto& rc : routesSnapshot()) {
    {
      MutexLock l(rc->mu_);
      if (!rc->route_ || rc->route_->didSolicit) continue;
    }
    if (isRouterAuthorized(*rc)) continue;
    {
      MutexLock l(rc->mu_);
      rc->route_->closed = true;
    }
    rc->authViolation();
  }
}

void Server::removeUnauthorizedSubs(client& c) {
  std::vector<std::shared_ptr<subscription>> denied;
  std::string user;
  {
    MutexLock l(c.mu_);
    // The permissions isClientAuthorized just registered, which the reader
    // may not have taken up yet.
    const client::permissions* perms = c.permsInForce();
    if (!perms) return;
    for (const auto& [sid, sub] : c.subs_) {
      if (!client::canSubscribe(perms, sub->subject)) denied.push_back(sub);
    }
    for (const auto& sub : denied) c.subs_.erase(sub->sid);
    user = c.opts_.Username;
  }
  for (const auto& sub : denied) {
    sl_.Remove(sub);
    c.sendErr("Permissions Violation for Subscription to " + quoteGo(sub->subject) + " (sid " + sub->sid + ")");
    Noticef("Removed sub %s for user %s - not authorized", quoteGo(sub->subject).c_str(), quoteGo(user).c_str());
  }
}

}  // namespace gnatsd::server
