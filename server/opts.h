// Go: server/opts.go (and the option handling of main.go), gnatsd v1.0.0
// Options: every setting of a server, from defaults, a config file and flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "conf/parse.h"
#include "server/auth_types.h"

namespace gnatsd::server {

// A parsed URL (Go: net/url.URL), enough for route and cluster URLs such as
// nats-route://user:pass@host:port/.
struct URL {
  std::string Scheme;
  std::string User;      // user info, decoded
  std::string Password;  // user info, decoded
  bool HasUser = false;
  bool HasPassword = false;
  std::string Host;  // "host:port", IPv6 in brackets, as written
  std::string Path;
  std::string Opaque;    // the rest of "scheme:rest" when rest has no "//"
  std::string RawQuery;  // after '?', still encoded
  std::string Fragment;  // after '#', decoded
  // Re-encodes the URL (Go: url.URL.String()).
  std::string String() const;
  // Hostname without port or brackets, and the port string.
  std::string Hostname() const;
  std::string Port() const;
  bool operator==(const URL&) const = default;
};
// Parses s the way Go's url.Parse does for the forms gnatsd uses; nullopt on
// error, with *err set to Go's message when err is not null.
std::optional<URL> ParseURL(const std::string& s, std::string* err = nullptr);

// Go: TLSConfigOpts. The parsed `tls { }` block or TLS flags; the OpenSSL
// context is built from it when TLS support lands.
struct TLSConfigOpts {
  std::string CertFile;
  std::string KeyFile;
  std::string CaFile;
  bool Verify = false;
  double Timeout = 0;  // handshake timeout, seconds
  // IANA ids, Go's names (ciphersuites.h). ProcessConfigFile fills in the
  // defaults when the block has no list, as gnatsd does.
  std::vector<uint16_t> Ciphers;
  std::vector<uint16_t> CurvePreferences;  // Go tls.CurveID values
  bool operator==(const TLSConfigOpts&) const = default;
};

struct ClusterOpts {
  std::string Host;  // json:"addr"
  int Port = 0;      // json:"cluster_port"
  std::string Username;
  std::string Password;
  double AuthTimeout = 0;  // json:"auth_timeout"
  double TLSTimeout = 0;
  // null: no cluster TLS. Verify is always true here: gnatsd forces client
  // certificate verification between routes, and the ca_file also serves as
  // the root CAs for routes this server dials.
  std::shared_ptr<TLSConfigOpts> TLSConfig;
  std::string ListenStr;
  bool NoAdvertise = false;
  int ConnectRetries = 0;
};

struct Options {
  std::string ConfigFile;
  std::string Host;  // json:"addr"
  int Port = 0;
  bool Trace = false;
  bool Debug = false;
  bool NoLog = false;   // embedding and tests only: no logger at all
  bool NoSigs = false;  // embedding and tests only: no signal handling
  bool Logtime = false;
  int MaxConn = 0;  // json:"max_connections"
  // Null: no users list configured (distinct from an empty list).
  std::shared_ptr<std::vector<User>> Users;
  std::string Username;
  std::string Password;
  std::string Authorization;  // token
  std::chrono::nanoseconds PingInterval{0};
  int MaxPingsOut = 0;  // json:"ping_max"
  std::string HTTPHost;
  int HTTPPort = 0;
  int HTTPSPort = 0;
  double AuthTimeout = 0;  // seconds
  int MaxControlLine = 0;
  int MaxPayload = 0;
  ClusterOpts Cluster;
  int ProfPort = 0;
  std::string PidFile;
  std::string LogFile;
  bool Syslog = false;
  std::string RemoteSyslog;
  std::vector<URL> Routes;
  std::string RoutesStr;
  double TLSTimeout = 0;  // seconds
  bool TLS = false;
  bool TLSVerify = false;
  std::string TLSCert;
  std::string TLSKey;
  std::string TLSCaCert;
  std::shared_ptr<TLSConfigOpts> TLSConfig;  // null: no client TLS
  std::chrono::nanoseconds WriteDeadline{0};
  // Beyond 1.0.0 (nats-server's max_pending): bytes queued for one client
  // before it is cut as a slow consumer. 0 here means the default.
  int64_t MaxPending = 0;

  // C++ only: the Go names of the fields that were given explicitly, not left
  // at a default. The flag parser records the flags typed ("Logtime" for -T,
  // also when it is -T=false; "Debug", "Trace", "Syslog", "TLS", "TLSVerify",
  // "Cluster.NoAdvertise" are the ones MergeOptions consults); ProcessConfigFile
  // records every field a config key set ("Logtime" for `logtime`, ...).
  // MergeOptions uses it so a typed flag always wins and a flag's default
  // never beats the file (docs/DEVIATIONS.md). Not an option itself.
  std::set<std::string> Explicit;

  // Deep copy (Go: Options.Clone): users, permissions and TLS blocks are not shared.
  Options Clone() const;
};

// Thrown for any config-file or option error. message() is the text alone,
// gnatsd's own where gnatsd has one (`Could not parse address string "x"`);
// what() puts the position in front when there is one, like conf::ParseError:
// "conf/x.conf:3:7: <message>".
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
  ConfigError(conf::Position pos, const std::string& message);
  const conf::Position& position() const { return pos_; }
  std::string message() const { return message_.empty() ? what() : message_; }

 private:
  conf::Position pos_;
  std::string message_;
};

// Go: ProcessConfigFile. Reads and parses configFile into a new Options
// (ConfigFile set). An empty name gives default-less empty Options.
// Throws ConfigError: gnatsd's errors with gnatsd's text, and a clear error
// naming the key and the expected type where gnatsd would panic on a value of
// the wrong type. A `tls` block is parsed into TLSConfigOpts; certificates
// are not loaded here. An integer write_deadline prints gnatsd's WARNING line
// to stdout.
Options ProcessConfigFile(const std::string& configFile);

// Go: MergeOptions. flagOpts override fileOpts where gnatsd lets them, and
// also (unlike 1.0.0, which drops them) HTTPSPort, Syslog, RemoteSyslog and
// the TLS flags. A boolean flag recorded in flagOpts.Explicit wins either
// way; otherwise it can only turn a setting on, as in gnatsd, except Logtime:
// a config `logtime` beats the flag's default.
Options MergeOptions(const Options& fileOpts, const Options& flagOpts);

// Go: RoutesFromStr. Comma separated URLs; unparsable ones are skipped.
std::vector<URL> RoutesFromStr(const std::string& routesStr);

// Go: RemoveSelfReference. Drops routes that point at this server's own
// cluster port on a local interface. Throws ConfigError.
std::vector<URL> RemoveSelfReference(int clusterPort, const std::vector<URL>& routes);

// Go: processOptions. Fills defaults (const.h) into zero fields, in place;
// also MaxPending (MAX_PENDING_SIZE), which 1.0.0 does not have.
void processOptions(Options& opts);

}  // namespace gnatsd::server
