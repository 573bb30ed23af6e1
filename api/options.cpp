// C++ only: gnatsd::Options (include/gnatsd/options.h) and its translation
// into the server's Options (server/opts.h).
#include <utility>

#include "api/options_access.h"
#include "server/ciphersuites.h"
#include "server/gofmt.h"

namespace gnatsd {

namespace {

// "file:line:col: message", "line:col: message" without a file, the message
// alone without a line (the server's own format, conf::FormatPosition).
std::string withPosition(const std::string& message, const std::string& file, int line, int column) {
  if (line <= 0) return message;
  std::string s = file.empty() ? std::string() : std::string(file).append(":");
  s.append(std::to_string(line)).append(":").append(std::to_string(column)).append(": ").append(message);
  return s;
}

}  // namespace

ConfigError::ConfigError(const std::string& message, std::string file, int line, int column)
    : std::runtime_error(withPosition(message, file, line, column)),
      message_(message),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// The config-file name of a cipher suite or curve id (the tables map each
// id from exactly one name).
template <class Table>
std::string nameOf(const Table& table, uint16_t id) {
  for (const auto& e : table) {
    if (e.id == id) return std::string(e.name);
  }
  return std::to_string(id);  // not reached: ids come from these tables
}

// The suites and curves a TLS block uses, by name. Those of gnatsd's
// defaults (a block that names none) come out empty, as in code.
std::optional<TLSOptions> fromServerTLS(const std::shared_ptr<server::TLSConfigOpts>& tc) {
  if (!tc) return std::nullopt;
  TLSOptions t{tc->CertFile, tc->KeyFile, tc->CaFile, tc->Verify, tc->Timeout, {}, {}};
  if (tc->Ciphers != server::defaultCipherSuites()) {
    for (uint16_t id : tc->Ciphers) t.CipherSuites.push_back(nameOf(server::cipherSuites(), id));
  }
  if (tc->CurvePreferences != server::defaultCurvePreferences()) {
    for (uint16_t id : tc->CurvePreferences) t.CurvePreferences.push_back(nameOf(server::curvePreferences(), id));
  }
  return t;
}

// The ids of `names` (the defaults for none); an unknown name throws
// gnatsd's error text: `unknown` followed by the name.
std::vector<uint16_t> idsOf(const std::vector<std::string>& names, std::vector<uint16_t> defaults,
                            std::optional<uint16_t> (*byName)(std::string_view), const char* unknown) {
  if (names.empty()) return defaults;
  std::vector<uint16_t> ids;
  for (const auto& name : names) {
    auto id = byName(name);
    if (!id) throw server::ConfigError(unknown + name);
    ids.push_back(*id);
  }
  return ids;
}

// A TLS block written in code, checked and looked up as a config file's:
// gnatsd's texts for an unknown name, its defaults for an empty list.
std::shared_ptr<server::TLSConfigOpts> toServerTLS(const std::optional<TLSOptions>& t) {
  if (!t) return nullptr;
  auto tc = std::make_shared<server::TLSConfigOpts>();
  tc->CertFile = t->CertFile;
  tc->KeyFile = t->KeyFile;
  tc->CaFile = t->CaFile;
  tc->Verify = t->Verify;
  tc->Timeout = t->Timeout;
  tc->Ciphers = idsOf(t->CipherSuites, server::defaultCipherSuites(), server::cipherByName, "Unrecognized cipher ");
  tc->CurvePreferences = idsOf(t->CurvePreferences, server::defaultCurvePreferences(), server::curveByName,
                               "Unrecognized curve preference ");
  return tc;
}

Options fromServerOptions(const server::Options& so) {
  Options o;
  o.Host = so.Host;
  o.Port = so.Port;
  o.MaxConnections = so.MaxConn;
  o.MaxPayload = so.MaxPayload;
  o.MaxPending = so.MaxPending;
  o.MaxControlLine = so.MaxControlLine;
  o.PingInterval = duration_cast<milliseconds>(so.PingInterval);
  o.MaxPingsOut = so.MaxPingsOut;
  o.WriteDeadline = duration_cast<milliseconds>(so.WriteDeadline);
  o.Username = so.Username;
  o.Password = so.Password;
  o.Authorization = so.Authorization;
  if (so.Users) {
    for (const auto& u : *so.Users) {
      User pu{u.Username, u.Password, std::nullopt};
      if (u.Permissions) pu.Permissions = UserPermissions{u.Permissions->Publish, u.Permissions->Subscribe};
      o.Users.push_back(std::move(pu));
    }
  }
  o.AuthTimeout = so.AuthTimeout;
  o.TLS = fromServerTLS(so.TLSConfig);
  o.HTTPHost = so.HTTPHost;
  o.HTTPPort = so.HTTPPort;
  o.HTTPSPort = so.HTTPSPort;
  o.Cluster.Host = so.Cluster.Host;
  o.Cluster.Port = so.Cluster.Port;
  o.Cluster.Username = so.Cluster.Username;
  o.Cluster.Password = so.Cluster.Password;
  o.Cluster.AuthTimeout = so.Cluster.AuthTimeout;
  o.Cluster.TLS = fromServerTLS(so.Cluster.TLSConfig);
  for (const auto& u : so.Routes) o.Cluster.Routes.push_back(u.String());
  o.Cluster.NoAdvertise = so.Cluster.NoAdvertise;
  o.Cluster.ConnectRetries = so.Cluster.ConnectRetries;
  o.Debug = so.Debug;
  o.Trace = so.Trace;
  o.Logtime = so.Logtime;
  o.LogFile = so.LogFile;
  o.Syslog = so.Syslog;
  o.RemoteSyslog = so.RemoteSyslog;
  o.PidFile = so.PidFile;
  return o;
}

}  // namespace

Options Options::FromFile(const std::string& path) {
  auto loaded = std::make_shared<detail::LoadedConfig>();
  try {
    loaded->file = server::ProcessConfigFile(path);
  } catch (const server::ConfigError& e) {
    throw detail::Translate(e);
  }
  loaded->seen = fromServerOptions(loaded->file);
  Options o = loaded->seen;
  detail::OptionsAccess::setLoaded(o, std::move(loaded));
  return o;
}

std::string Options::ConfigFile() const { return loaded_ ? loaded_->file.ConfigFile : std::string(); }

namespace detail {

ConfigError Translate(const server::ConfigError& e) {
  const conf::Position& p = e.position();
  return ConfigError(e.message(), p.file, p.line, p.col);
}

void ApplyChanges(const Options& o, server::Options* base) {
  const LoadedConfig* loaded = OptionsAccess::loaded(o);
  const Options* was = loaded ? &loaded->seen : nullptr;
  // True for a field set in code: always for options built in code.
  auto changed = [&](auto Options::*field) { return !was || o.*field != was->*field; };
  auto clusterChanged = [&](auto ClusterOptions::*field) { return !was || o.Cluster.*field != was->Cluster.*field; };
  server::Options& b = *base;

  if (changed(&Options::Host)) b.Host = o.Host;
  if (changed(&Options::Port)) b.Port = o.Port;
  if (changed(&Options::MaxConnections)) b.MaxConn = o.MaxConnections;
  if (changed(&Options::MaxPayload)) b.MaxPayload = o.MaxPayload;
  if (changed(&Options::MaxPending)) b.MaxPending = o.MaxPending;
  if (changed(&Options::MaxControlLine)) b.MaxControlLine = o.MaxControlLine;
  if (changed(&Options::PingInterval)) b.PingInterval = o.PingInterval;
  if (changed(&Options::MaxPingsOut)) b.MaxPingsOut = o.MaxPingsOut;
  if (changed(&Options::WriteDeadline)) b.WriteDeadline = o.WriteDeadline;
  if (changed(&Options::Username)) b.Username = o.Username;
  if (changed(&Options::Password)) b.Password = o.Password;
  if (changed(&Options::Authorization)) b.Authorization = o.Authorization;
  if (changed(&Options::Users)) {
    b.Users = nullptr;  // none configured
    if (!o.Users.empty()) {
      b.Users = std::make_shared<std::vector<server::User>>();
      for (const auto& u : o.Users) {
        server::User su{u.Username, u.Password, nullptr};
        if (u.Permissions) {
          su.Permissions = std::make_shared<server::Permissions>();
          su.Permissions->Publish = u.Permissions->Publish;
          su.Permissions->Subscribe = u.Permissions->Subscribe;
        }
        b.Users->push_back(std::move(su));
      }
    }
  }
  if (changed(&Options::AuthTimeout)) b.AuthTimeout = o.AuthTimeout;
  if (changed(&Options::TLS)) {
    b.TLSConfig = toServerTLS(o.TLS);
    b.TLSTimeout = o.TLS ? o.TLS->Timeout : 0;
  }
  if (changed(&Options::HTTPHost)) b.HTTPHost = o.HTTPHost;
  if (changed(&Options::HTTPPort)) b.HTTPPort = o.HTTPPort;
  if (changed(&Options::HTTPSPort)) b.HTTPSPort = o.HTTPSPort;

  if (clusterChanged(&ClusterOptions::Host)) b.Cluster.Host = o.Cluster.Host;
  if (clusterChanged(&ClusterOptions::Port)) b.Cluster.Port = o.Cluster.Port;
  if (clusterChanged(&ClusterOptions::Username)) b.Cluster.Username = o.Cluster.Username;
  if (clusterChanged(&ClusterOptions::Password)) b.Cluster.Password = o.Cluster.Password;
  if (clusterChanged(&ClusterOptions::AuthTimeout)) b.Cluster.AuthTimeout = o.Cluster.AuthTimeout;
  if (clusterChanged(&ClusterOptions::TLS)) {
    b.Cluster.TLSConfig = toServerTLS(o.Cluster.TLS);
    if (b.Cluster.TLSConfig) b.Cluster.TLSConfig->Verify = true;  // routes always verify each other
    b.Cluster.TLSTimeout = o.Cluster.TLS ? o.Cluster.TLS->Timeout : 0;
  }
  if (clusterChanged(&ClusterOptions::Routes)) {
    b.Routes.clear();
    for (const auto& r : o.Cluster.Routes) {
      auto u = server::ParseURL(r);
      // The config file's text for the same mistake.
      if (!u) throw server::ConfigError(std::string("error parsing route url [").append(server::quoteGo(r)).append("]"));
      b.Routes.push_back(std::move(*u));
    }
  }
  if (clusterChanged(&ClusterOptions::NoAdvertise)) b.Cluster.NoAdvertise = o.Cluster.NoAdvertise;
  if (clusterChanged(&ClusterOptions::ConnectRetries)) b.Cluster.ConnectRetries = o.Cluster.ConnectRetries;

  if (changed(&Options::Debug)) b.Debug = o.Debug;
  if (changed(&Options::Trace)) b.Trace = o.Trace;
  if (changed(&Options::Logtime)) b.Logtime = o.Logtime;
  if (changed(&Options::LogFile)) b.LogFile = o.LogFile;
  if (changed(&Options::Syslog)) b.Syslog = o.Syslog;
  if (changed(&Options::RemoteSyslog)) b.RemoteSyslog = o.RemoteSyslog;
  if (changed(&Options::PidFile)) b.PidFile = o.PidFile;

  // Not config keys: always the program's choice.
  b.NoLog = o.NoLog;
  b.NoSigs = !o.HandleSignals;
  b.NoFileLimit = !o.RaiseFileLimit;
  b.NoDefaultThreadStack = !o.SetDefaultThreadStack;
  b.NoMallocTrim = !o.MallocTrim;
  b.ThreadStackSize = o.ThreadStackSize;
}

server::Options ToServerOptions(const Options& o) {
  const LoadedConfig* loaded = OptionsAccess::loaded(o);
  server::Options so = loaded ? loaded->file.Clone() : server::Options();
  try {
    ApplyChanges(o, &so);
    so.Routes = server::RemoveSelfReference(so.Cluster.Port, so.Routes);
  } catch (const server::ConfigError& e) {
    throw Translate(e);
  }
  return so;
}

}  // namespace detail

}  // namespace gnatsd
