// C++ only: the installed API of gnatsd-cpp (Go: the exported server.Options)
// Options of an embedded server: built in code, or loaded from a config file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gnatsd {

namespace detail {
struct LoadedConfig;   // what Options::FromFile read (api/options.cpp)
struct OptionsAccess;  // the library's way to it
}  // namespace detail

// Port value that asks for any free port (Server::ClientURL tells which).
inline constexpr int RANDOM_PORT = -1;

// Thrown for a config file or options the server refuses: by
// Options::FromFile, Server::New and Server::Reload. what() is gnatsd's
// message with the position in front when there is one:
// "conf/my.conf:3:7: Parse error on line 3: '...'".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& message, std::string file = {}, int line = 0, int column = 0);
  // gnatsd's text alone, without the position.
  const std::string& Message() const { return message_; }
  // Where the problem is: the file ("" for none), 1-based line and column
  // (0 when unknown).
  const std::string& File() const { return file_; }
  int Line() const { return line_; }
  int Column() const { return column_; }

 private:
  std::string message_;
  std::string file_;
  int line_ = 0;
  int column_ = 0;
};

// Subjects (wildcards allowed) a user may publish and subscribe to. An
// empty list allows nothing in that direction.
struct UserPermissions {
  std::vector<std::string> Publish;
  std::vector<std::string> Subscribe;
  bool operator==(const UserPermissions&) const = default;
};

struct User {
  std::string Username;
  std::string Password;  // plain text, or a bcrypt hash ($2a$...) from mkpasswd
  std::optional<UserPermissions> Permissions;  // none: may do anything
  bool operator==(const User&) const = default;
};

// TLS of the client port or of the routes (certificate files in PEM).
struct TLSOptions {
  std::string CertFile;
  std::string KeyFile;
  std::string CaFile;   // verifies client certificates (and, for routes, the peers)
  bool Verify = false;  // require client certificates (always on for routes)
  double Timeout = 0;   // handshake, seconds; 0: 0.5
  // gnatsd's names, as in a config file's cipher_suites and
  // curve_preferences ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "CurveP256"),
  // most preferred first. Empty: gnatsd's defaults. They govern TLS 1.2;
  // TLS 1.3 uses OpenSSL's own suites. An unknown name is a ConfigError.
  std::vector<std::string> CipherSuites;
  std::vector<std::string> CurvePreferences;
  bool operator==(const TLSOptions&) const = default;
};

// Clustering: a route listener and routes to other servers.
struct ClusterOptions {
  std::string Host;  // "": 0.0.0.0
  int Port = 0;      // 0: no cluster; RANDOM_PORT
  std::string Username;  // what routes must present, and what this server presents
  std::string Password;
  double AuthTimeout = 0;  // seconds; 0: 1 (gnatsd's default)
  std::optional<TLSOptions> TLS;
  std::vector<std::string> Routes;  // "nats-route://[user:pass@]host:port"
  bool NoAdvertise = false;          // keep this server out of the connect_urls clients get
  int ConnectRetries = 0;            // for an explicit route that drops; 0: none
  bool operator==(const ClusterOptions&) const = default;
};

// The settings of one server. A zero value means gnatsd's default (port
// 4222, max_payload 1 MiB, ping every 2 minutes, ...), as in a config file;
// ranges are checked by Server::New as a config file's are.
//
// Either build it in code:
//   gnatsd::Options o;
//   o.Host = "127.0.0.1";
//   o.Port = gnatsd::RANDOM_PORT;
// or load a gnatsd config file and adjust it:
//   auto o = gnatsd::Options::FromFile("gnatsd.conf");
//   o.Port = 4333;
// Options loaded from a file also carry what the file sets that has no field
// here (cipher lists, ...). A field changed in code after FromFile wins over
// the file, at New and again at every Server::Reload.
//
// Thread rule: a value type; copies are independent (what FromFile read is
// shared, immutable).
struct Options {
  std::string Host;  // client listener; "": 0.0.0.0
  int Port = 0;      // 0: 4222; RANDOM_PORT: any free port

  // Limits.
  int MaxConnections = 0;    // 0: 65536
  int MaxPayload = 0;        // bytes per message; 0: 1 MiB
  int64_t MaxPending = 0;    // bytes queued for one client before it is cut; 0: 64 MiB
  int MaxControlLine = 0;    // bytes; 0: 1024
  std::chrono::milliseconds PingInterval{0};   // 0: 2 minutes
  int MaxPingsOut = 0;                         // 0: 2
  std::chrono::milliseconds WriteDeadline{0};  // 0: 2 s

  // Authorization: one user, a token, or a list of users.
  std::string Username;
  std::string Password;
  std::string Authorization;  // token
  std::vector<User> Users;
  double AuthTimeout = 0;  // seconds; 0: 1

  std::optional<TLSOptions> TLS;  // client TLS; none: plain

  // Monitoring over HTTP(S): /varz, /connz, /routez, /subsz. 0: off.
  std::string HTTPHost;
  int HTTPPort = 0;
  int HTTPSPort = 0;  // needs TLS

  ClusterOptions Cluster;

  // Logging, when Server::New is given no Logger: to stderr, or to LogFile,
  // Syslog or RemoteSyslog. With a Logger, Debug and Trace still decide
  // whether those lines are produced.
  bool Debug = false;
  bool Trace = false;
  bool Logtime = false;
  std::string LogFile;
  bool Syslog = false;
  std::string RemoteSyslog;  // "udp://host:514"
  bool NoLog = false;        // no Logger and no log at all
  std::string PidFile;       // written at Start, removed at Shutdown

  // What Start may do to the whole process, each off unless asked for (the
  // gnatsd program turns them all on):
  bool HandleSignals = false;          // SIGINT/SIGTERM stop, SIGHUP reloads, SIGUSR1 reopens the log
  bool RaiseFileLimit = false;         // soft RLIMIT_NOFILE up to the hard limit
  bool SetDefaultThreadStack = false;  // glibc's default stack for new threads := ThreadStackSize
  bool MallocTrim = false;             // malloc_trim(0) after a wave of disconnects
  size_t ThreadStackSize = 0;          // bytes per server thread; 0: 256 KiB

  // Reads a gnatsd config file (include files, variables, environment
  // variables, as gnatsd does). Throws ConfigError with gnatsd's message and
  // the file:line:col of the problem.
  static Options FromFile(const std::string& path);
  // The file FromFile read; "" for options built in code.
  std::string ConfigFile() const;

 private:
  friend struct detail::OptionsAccess;
  std::shared_ptr<const detail::LoadedConfig> loaded_;
};

}  // namespace gnatsd
