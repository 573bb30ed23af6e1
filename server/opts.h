// Go: server/opts.go (and the option handling of main.go), gnatsd v1.0.0
// Options: every setting of a server, from defaults, a config file and flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "conf/parse.h"
#include "server/auth_types.h"
#include "server/url.h"

namespace gnatsd::server {

// Ranges of the numeric options, the same from a config file, a flag or an
// embedder (docs/DEVIATIONS.md). A port is -1 (random), 0 (the default for
// Port, off for the others) or a TCP port.
inline constexpr int kMinPort = -1;
inline constexpr int kMaxPort = 65535;
// The most seconds a duration or timeout may have: more overflows int64
// nanoseconds.
inline constexpr int64_t kMaxSeconds = INT64_MAX / 1000000000;

// Go: TLSConfigOpts. The parsed `tls { }` block or TLS flags; GenTLSConfig
// (tls.h) makes the OpenSSL context from it.
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

  // C++ only: what Server::Start does to the whole process (server.h). The
  // gnatsd binary keeps each on; an embedder may turn any of them off.
  bool NoFileLimit = false;           // leave RLIMIT_NOFILE as it is
  bool NoMallocTrim = false;          // no malloc_trim(0) after a wave of disconnects
  bool NoDefaultThreadStack = false;  // leave glibc's default thread stack size alone
  // Stack of each server thread, bytes; 0: ThreadStackSize() (256 KiB, or
  // 2 MiB under sanitizers). Connection readers get it only through the
  // process default (NoDefaultThreadStack off).
  size_t ThreadStackSize = 0;

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

// Throws ConfigError("<what> is not supported yet by gnatsd-cpp"): a setting
// whose feature is not ported yet is refused, never ignored.
[[noreturn]] void notSupportedYet(const std::string& what);

// Go: ProcessConfigFile. Reads and parses configFile into a new Options
// (ConfigFile set). An empty name gives default-less empty Options.
// Throws ConfigError: gnatsd's errors with gnatsd's text; where gnatsd would
// panic on a value of the wrong type, an error naming the key and the type
// expected; for a number outside its range (gnatsd checks none), "Value of
// 'port' is out of range: 99999 (must be between -1 and 65535)". Ports are
// -1 to 65535; counts and sizes (max_payload, max_control_line,
// max_connections, ping_max, max_pending), ping_interval, write_deadline and
// the timeouts must not be negative, 0 meaning the default. A `tls` block is
// parsed into TLSConfigOpts and its certificate, key and CA file are loaded to
// check them (GenTLSConfig's errors, at the block's position; relative paths
// are relative to the working directory, as in gnatsd). An integer write_deadline prints gnatsd's WARNING line
// to stdout.
Options ProcessConfigFile(const std::string& configFile);

// Go: MergeOptions. flagOpts override fileOpts where gnatsd lets them, and
// also (unlike 1.0.0, which drops them) HTTPSPort, Syslog, RemoteSyslog and
// the TLS flags. A boolean flag recorded in flagOpts.Explicit wins either
// way; otherwise it can only turn a setting on, as in gnatsd, except Logtime:
// a config `logtime` beats the flag's default.
Options MergeOptions(const Options& fileOpts, const Options& flagOpts);

// Go: configureTLS (main.go). When TLS or TLSVerify is set, builds TLSConfig
// from TLSCert, TLSKey and TLSCaCert (OpenSSL's default ciphers and curves, as
// gnatsd kept Go's) and checks that the files load; without either of the two
// the other TLS fields are ignored, as in gnatsd. Throws ConfigError with
// gnatsd's text ("TLS Server certificate must be present and valid.").
void configureTLS(Options& opts);

// Go: configureClusterOpts (main.go). Applies Cluster.ListenStr (--cluster
// URL: host, port, and user:password, which must come as a pair) over the
// file's cluster block, and fills Routes from RoutesStr when the file gave
// none. Throws ConfigError: "Solicited routes require cluster capabilities,
// e.g. --cluster." for routes without a cluster port, "Expected cluster
// password to be set.", or the URL's parse error.
void configureClusterOpts(Options& opts);

// Go: RoutesFromStr. Comma separated URLs; unparsable ones are skipped.
std::vector<URL> RoutesFromStr(const std::string& routesStr);

// Go: RemoveSelfReference. Drops routes that point at this server's own
// cluster port on a local interface. Throws ConfigError.
std::vector<URL> RemoveSelfReference(int clusterPort, const std::vector<URL>& routes);

// Throws ConfigError when a numeric field is outside the range a config
// file allows ("Value of Options.Port is out of range: 99999 (must be
// between -1 and 65535)"), so an embedder's Options are held to the same
// rules (later nats-server: validateOptions).
void validateOptions(const Options& opts);

// Go: processOptions. validateOptions, then fills defaults (const.h) into
// zero fields, in place; also MaxPending (MAX_PENDING_SIZE), which 1.0.0
// does not have. Throws ConfigError.
void processOptions(Options& opts);

}  // namespace gnatsd::server
