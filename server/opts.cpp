// Go: server/opts.go (gnatsd v1.0.0)
// Config file to Options, flag merging, defaults, route URLs.
#include "server/opts.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "server/ciphersuites.h"
#include "server/tls.h"
#include "server/const.h"
#include "server/gofmt.h"
#include "server/goparse.h"
#include "server/gostrings.h"
#include "server/sublist.h"

namespace gnatsd::server {

using json = nlohmann::json;
using pointer = json::json_pointer;

ConfigError::ConfigError(conf::Position pos, const std::string& message)
    : std::runtime_error(conf::FormatPosition(pos).empty()
                             ? message
                             : conf::FormatPosition(pos) + ": " + message),
      pos_(std::move(pos)),
      message_(message) {}

void notSupportedYet(const std::string& what) {
  throw ConfigError(what + " is not supported yet by gnatsd-cpp");
}

namespace {

// Our words for a value's type, in the errors gnatsd does not have.
std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string " + quoteGo(v.get<std::string>());
    case json::value_t::boolean:
      return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer " + goValue(v);
    case json::value_t::number_float: return "float " + goValue(v);
    case json::value_t::array: return "an array";
    case json::value_t::object: return "a map";
    default: return "nothing";
  }
}

// The accepted range, as an out-of-range error states it.
std::string rangeRule(int64_t lo, int64_t hi) {
  if (hi == std::numeric_limits<int64_t>::max()) return "must be " + std::to_string(lo) + " or more";
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
}

std::string outOfRange(std::string_view what, std::string_view value, int64_t lo, int64_t hi) {
  return "Value of " + std::string(what) + " is out of range: " + std::string(value) + " (" +
         rangeRule(lo, hi) + ")";
}

// ---------------------------------------------------------------------------
// Reading typed values out of the parsed tree, with positions for errors.
// gnatsd asserts the types (a panic when wrong) and checks no range.

class source {
 public:
  explicit source(const conf::PositionMap& positions) : positions_(positions) {}

  [[noreturn]] void fail(const pointer& at, const std::string& message) const {
    throw ConfigError(conf::FindPosition(positions_, at), message);
  }

  // gnatsd panics on these; we name the key and what it should have been.
  [[noreturn]] void wrongType(const pointer& at, std::string_view key, std::string_view want,
                              const json& v) const {
    fail(at, "Expected '" + std::string(key) + "' to be " + std::string(want) + ", got " +
                 describe(v));
  }

  // "Value of 'port' is out of range: 99999 (must be between -1 and 65535)".
  [[noreturn]] void outOfRange(const pointer& at, std::string_view key, std::string_view value,
                               int64_t lo, int64_t hi) const {
    fail(at, server::outOfRange("'" + std::string(key) + "'", value, lo, hi));
  }

  int64_t integer(const json& v, const pointer& at, std::string_view key) const {
    if (!v.is_number_integer()) wrongType(at, key, "an integer", v);
    return v.get<int64_t>();
  }

  int64_t integerIn(const json& v, const pointer& at, std::string_view key, int64_t lo,
                    int64_t hi) const {
    const int64_t n = integer(v, at, key);
    if (n < lo || n > hi) outOfRange(at, key, std::to_string(n), lo, hi);
    return n;
  }

  // -1 (random), 0 (the default or off) or a TCP port.
  int port(const json& v, const pointer& at, std::string_view key) const {
    return static_cast<int>(integerIn(v, at, key, kMinPort, kMaxPort));
  }

  // A count or size kept in an int; 0 means the default.
  int count(const json& v, const pointer& at, std::string_view key) const {
    return static_cast<int>(integerIn(v, at, key, 0, std::numeric_limits<int>::max()));
  }

  // Whole seconds (ping_interval, the old write_deadline); 0 means the default.
  std::chrono::nanoseconds seconds(const json& v, const pointer& at, std::string_view key) const {
    return std::chrono::seconds(integerIn(v, at, key, 0, kMaxSeconds));
  }

  // A timeout in seconds, integer or float. gnatsd takes any other type as
  // `otherType` rather than failing.
  double timeout(const json& v, const pointer& at, std::string_view key, double otherType) const {
    const double t = v.is_number_integer() ? static_cast<double>(v.get<int64_t>())
                     : v.is_number_float() ? v.get<double>()
                                           : otherType;
    // Written so that NaN fails too.
    if (!(t >= 0 && t <= static_cast<double>(kMaxSeconds))) {
      outOfRange(at, key, goValue(v), 0, kMaxSeconds);
    }
    return t;
  }

  std::string string(const json& v, const pointer& at, std::string_view key) const {
    if (!v.is_string()) wrongType(at, key, "a string", v);
    return v.get<std::string>();
  }

  bool boolean(const json& v, const pointer& at, std::string_view key) const {
    if (!v.is_boolean()) wrongType(at, key, "a boolean", v);
    return v.get<bool>();
  }

  const json& map(const json& v, const pointer& at, std::string_view key) const {
    if (!v.is_object()) wrongType(at, key, "a map", v);
    return v;
  }

  const json& array(const json& v, const pointer& at, std::string_view key) const {
    if (!v.is_array()) wrongType(at, key, "an array", v);
    return v;
  }

 private:
  const conf::PositionMap& positions_;
};

struct authorization {
  std::string user;
  std::string pass;
  std::string token;
  std::shared_ptr<std::vector<User>> users;  // null: no users key
  double timeout = 0;
  std::shared_ptr<Permissions> defaultPermissions;
};

struct hostPort {
  std::string host;
  int port = 0;
};

// Defined below, in opts.go's order.
hostPort parseListen(const source& src, const json& v, const pointer& at, std::string_view key);
void parseCluster(const source& src, const json& cm, const pointer& at, Options& opts);
authorization parseAuthorization(const source& src, const json& am, const pointer& at);
std::shared_ptr<std::vector<User>> parseUsers(const source& src, const json& mv,
                                              const pointer& at);
std::shared_ptr<Permissions> parseUserPermissions(const source& src, const json& pm,
                                                  const pointer& at);
std::vector<std::string> parseSubjects(const source& src, const json& v, const pointer& at);
TLSConfigOpts parseTLS(const source& src, const json& tlsm, const pointer& at);

}  // namespace

Options Options::Clone() const {
  Options clone = *this;
  if (Users) {
    auto users = std::make_shared<std::vector<User>>();
    users->reserve(Users->size());
    for (const User& u : *Users) users->push_back(u.clone());
    clone.Users = std::move(users);
  }
  if (TLSConfig) clone.TLSConfig = std::make_shared<TLSConfigOpts>(*TLSConfig);
  if (Cluster.TLSConfig) {
    clone.Cluster.TLSConfig = std::make_shared<TLSConfigOpts>(*Cluster.TLSConfig);
  }
  return clone;  // Routes and Explicit are values already
}

Options ProcessConfigFile(const std::string& configFile) {
  Options opts;
  opts.ConfigFile = configFile;
  if (configFile.empty()) return opts;

  conf::PositionMap positions;
  json m;
  try {
    m = conf::ParseFile(configFile, &positions);
  } catch (const conf::ParseError& e) {
    throw ConfigError(e.pos(), e.message());
  }
  const source src(positions);

  for (const auto& [k, v] : m.items()) {
    const std::string key = ToLowerASCII(k);
    const pointer at = pointer() / k;
    auto explicitly = [&](const char* field) { opts.Explicit.insert(field); };
    if (key == "listen") {
      hostPort hp = parseListen(src, v, at, k);
      opts.Host = hp.host;
      opts.Port = hp.port;
      explicitly("Host");
      explicitly("Port");
    } else if (key == "port") {
      opts.Port = src.port(v, at, k);
      explicitly("Port");
    } else if (key == "host" || key == "net") {
      opts.Host = src.string(v, at, k);
      explicitly("Host");
    } else if (key == "debug") {
      opts.Debug = src.boolean(v, at, k);
      explicitly("Debug");
    } else if (key == "trace") {
      opts.Trace = src.boolean(v, at, k);
      explicitly("Trace");
    } else if (key == "logtime") {
      opts.Logtime = src.boolean(v, at, k);
      explicitly("Logtime");
    } else if (key == "authorization") {
      authorization auth = parseAuthorization(src, src.map(v, at, k), at);
      opts.Username = auth.user;
      opts.Password = auth.pass;
      opts.Authorization = auth.token;
      if ((!auth.user.empty() || !auth.pass.empty()) && !auth.token.empty()) {
        src.fail(at, "Cannot have a user/pass and token");
      }
      opts.AuthTimeout = auth.timeout;
      if (auth.users) {
        if (!auth.user.empty()) {
          src.fail(at, "Can not have a single user/pass and a users array");
        }
        if (!auth.token.empty()) src.fail(at, "Can not have a token and a users array");
        opts.Users = auth.users;
      }
      explicitly("Authorization");
    } else if (key == "http") {
      hostPort hp = parseListen(src, v, at, k);
      opts.HTTPHost = hp.host;
      opts.HTTPPort = hp.port;
      explicitly("HTTPHost");
      explicitly("HTTPPort");
    } else if (key == "https") {
      hostPort hp = parseListen(src, v, at, k);
      opts.HTTPHost = hp.host;
      opts.HTTPSPort = hp.port;
      explicitly("HTTPHost");
      explicitly("HTTPSPort");
    } else if (key == "http_port" || key == "monitor_port") {
      opts.HTTPPort = src.port(v, at, k);
      explicitly("HTTPPort");
    } else if (key == "https_port") {
      opts.HTTPSPort = src.port(v, at, k);
      explicitly("HTTPSPort");
    } else if (key == "cluster") {
      parseCluster(src, src.map(v, at, k), at, opts);
    } else if (key == "logfile" || key == "log_file") {
      opts.LogFile = src.string(v, at, k);
      explicitly("LogFile");
    } else if (key == "syslog") {
      opts.Syslog = src.boolean(v, at, k);
      explicitly("Syslog");
    } else if (key == "remote_syslog") {
      opts.RemoteSyslog = src.string(v, at, k);
      explicitly("RemoteSyslog");
    } else if (key == "pidfile" || key == "pid_file") {
      opts.PidFile = src.string(v, at, k);
      explicitly("PidFile");
    } else if (key == "prof_port") {
      opts.ProfPort = src.port(v, at, k);
      explicitly("ProfPort");
    } else if (key == "max_control_line") {
      opts.MaxControlLine = src.count(v, at, k);
      explicitly("MaxControlLine");
    } else if (key == "max_payload") {
      opts.MaxPayload = src.count(v, at, k);
      explicitly("MaxPayload");
    } else if (key == "max_connections" || key == "max_conn") {
      opts.MaxConn = src.count(v, at, k);
      explicitly("MaxConn");
    } else if (key == "ping_interval") {
      opts.PingInterval = src.seconds(v, at, k);
      explicitly("PingInterval");
    } else if (key == "ping_max") {
      opts.MaxPingsOut = src.count(v, at, k);
      explicitly("MaxPingsOut");
    } else if (key == "tls") {
      TLSConfigOpts tc = parseTLS(src, src.map(v, at, k), at);
      opts.TLSTimeout = tc.Timeout;
      opts.TLSConfig = std::make_shared<TLSConfigOpts>(std::move(tc));
      explicitly("TLSConfig");
    } else if (key == "write_deadline") {
      if (v.is_string()) {
        std::string err;
        auto d = ParseDuration(v.get<std::string>(), err);
        if (!d) src.fail(at, "error parsing write_deadline: " + err);
        if (d->count() < 0) {
          src.outOfRange(at, k, v.get<std::string>(), 0, std::numeric_limits<int64_t>::max());
        }
        opts.WriteDeadline = *d;
      } else if (v.is_number_integer()) {
        // The old form: whole seconds.
        opts.WriteDeadline = src.seconds(v, at, k);
        std::printf("WARNING: write_deadline should be converted to a duration\n");
        std::fflush(stdout);
      } else {
        src.wrongType(at, k, "a duration string or an integer", v);
      }
      explicitly("WriteDeadline");
    } else if (key == "max_pending") {
      // Beyond 1.0.0: nats-server's key, bytes (size suffixes like 64MB work);
      // 0 means the default, as there.
      opts.MaxPending = src.integerIn(v, at, k, 0, std::numeric_limits<int64_t>::max());
      explicitly("MaxPending");
    }
    // Any other key is ignored, as gnatsd does (variables among them).
  }
  return opts;
}

namespace {

// Go: parseListen. "host:port" or just a port number.
hostPort parseListen(const source& src, const json& v, const pointer& at, std::string_view key) {
  hostPort hp;
  if (v.is_number_integer()) {
    hp.port = src.port(v, at, key);
    return hp;
  }
  if (!v.is_string()) {
    // gnatsd ignores other types silently (host "" and port 0).
    src.wrongType(at, key, "a \"host:port\" string or a port number", v);
  }
  const std::string s = v.get<std::string>();
  std::string port, err;
  if (!SplitHostPort(s, hp.host, port, err)) {
    src.fail(at, "Could not parse address string " + quoteGo(s));
  }
  std::optional<int64_t> p = Atoi(port);
  if (!p) src.fail(at, "Could not parse port " + quoteGo(port));
  if (*p < kMinPort || *p > kMaxPort) src.outOfRange(at, key, port, kMinPort, kMaxPort);
  hp.port = static_cast<int>(*p);
  return hp;
}

void parseCluster(const source& src, const json& cm, const pointer& at, Options& opts) {
  for (const auto& [k, v] : cm.items()) {
    const std::string key = ToLowerASCII(k);
    const pointer here = at / k;
    if (key == "listen") {
      hostPort hp = parseListen(src, v, here, k);
      opts.Cluster.Host = hp.host;
      opts.Cluster.Port = hp.port;
      opts.Explicit.insert("Cluster.Host");
      opts.Explicit.insert("Cluster.Port");
    } else if (key == "port") {
      opts.Cluster.Port = src.port(v, here, k);
      opts.Explicit.insert("Cluster.Port");
    } else if (key == "host" || key == "net") {
      opts.Cluster.Host = src.string(v, here, k);
      opts.Explicit.insert("Cluster.Host");
    } else if (key == "authorization") {
      authorization auth = parseAuthorization(src, src.map(v, here, k), here);
      if (auth.users) src.fail(here, "Cluster authorization does not allow multiple users");
      opts.Cluster.Username = auth.user;
      opts.Cluster.Password = auth.pass;
      opts.Cluster.AuthTimeout = auth.timeout;
    } else if (key == "routes") {
      const json& ra = src.array(v, here, k);
      opts.Routes.clear();
      for (std::size_t i = 0; i < ra.size(); ++i) {
        const std::string routeURL = src.string(ra[i], here / i, k + "[" + std::to_string(i) + "]");
        auto u = ParseURL(routeURL);
        if (!u) src.fail(here / i, "error parsing route url [" + quoteGo(routeURL) + "]");
        opts.Routes.push_back(std::move(*u));
      }
    } else if (key == "tls") {
      TLSConfigOpts tc = parseTLS(src, src.map(v, here, k), here);
      // Routes always verify each other (gnatsd forces it on the TLS config).
      tc.Verify = true;
      opts.Cluster.TLSTimeout = tc.Timeout;
      opts.Cluster.TLSConfig = std::make_shared<TLSConfigOpts>(std::move(tc));
    } else if (key == "no_advertise") {
      opts.Cluster.NoAdvertise = src.boolean(v, here, k);
      opts.Explicit.insert("Cluster.NoAdvertise");
    } else if (key == "connect_retries") {
      // Any int: gnatsd retries only when it is above 0.
      opts.Cluster.ConnectRetries = static_cast<int>(src.integerIn(
          v, here, k, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
    }
  }
}

authorization parseAuthorization(const source& src, const json& am, const pointer& at) {
  authorization auth;
  for (const auto& [k, v] : am.items()) {
    const std::string key = ToLowerASCII(k);
    const pointer here = at / k;
    if (key == "user" || key == "username") {
      auth.user = src.string(v, here, k);
    } else if (key == "pass" || key == "password") {
      auth.pass = src.string(v, here, k);
    } else if (key == "token") {
      auth.token = src.string(v, here, k);
    } else if (key == "timeout") {
      auth.timeout = src.timeout(v, here, k, 1.0);
    } else if (key == "users") {
      auth.users = parseUsers(src, v, here);
    } else if (key == "default_permission" || key == "default_permissions") {
      if (!v.is_object()) {
        src.fail(here, "Expected default permissions to be a map/struct, got " + goValue(v));
      }
      auth.defaultPermissions = parseUserPermissions(src, v, here);
    }
  }
  // Users without permissions of their own share the defaults.
  if (auth.users && auth.defaultPermissions) {
    for (User& u : *auth.users) {
      if (!u.Permissions) u.Permissions = auth.defaultPermissions;
    }
  }
  return auth;
}

std::shared_ptr<std::vector<User>> parseUsers(const source& src, const json& mv,
                                              const pointer& at) {
  if (!mv.is_array()) src.fail(at, "Expected users field to be an array, got " + goValue(mv));
  auto users = std::make_shared<std::vector<User>>();
  for (std::size_t i = 0; i < mv.size(); ++i) {
    const json& u = mv[i];
    const pointer entry = at / i;
    if (!u.is_object()) {
      src.fail(entry, "Expected user entry to be a map/struct, got " + goValue(u));
    }
    User user;
    for (const auto& [k, v] : u.items()) {
      const std::string key = ToLowerASCII(k);
      const pointer here = entry / k;
      if (key == "user" || key == "username") {
        user.Username = src.string(v, here, k);
      } else if (key == "pass" || key == "password") {
        user.Password = src.string(v, here, k);
      } else if (key == "permission" || key == "permissions" || key == "authorization") {
        if (!v.is_object()) {
          src.fail(here, "Expected user permissions to be a map/struct, got " + goValue(v));
        }
        user.Permissions = parseUserPermissions(src, v, here);
      }
    }
    if (user.Username.empty() || user.Password.empty()) {
      src.fail(entry, "User entry requires a user and a password");
    }
    users->push_back(std::move(user));
  }
  return users;
}

std::shared_ptr<Permissions> parseUserPermissions(const source& src, const json& pm,
                                                  const pointer& at) {
  auto p = std::make_shared<Permissions>();
  for (const auto& [k, v] : pm.items()) {
    const std::string key = ToLowerASCII(k);
    const pointer here = at / k;
    if (key == "pub" || key == "publish") {
      p->Publish = parseSubjects(src, v, here);
    } else if (key == "sub" || key == "subscribe") {
      p->Subscribe = parseSubjects(src, v, here);
    } else {
      src.fail(here, "Unknown field " + k + " parsing permissions");
    }
  }
  return p;
}

// Go: parseSubjects and checkSubjectArray.
std::vector<std::string> parseSubjects(const source& src, const json& v, const pointer& at) {
  std::vector<std::string> subjects;
  if (v.is_string()) {
    subjects.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_string()) src.fail(at, "Subject in permissions array cannot be cast to string");
      subjects.push_back(e.get<std::string>());
    }
  } else {
    src.fail(at, std::string("Expected subject permissions to be a subject, or array of "
                             "subjects, got ") + goType(v));
  }
  for (const auto& s : subjects) {
    if (!IsValidSubject(s)) src.fail(at, "Subject " + quoteGo(s) + " is not a valid subject");
  }
  return subjects;
}

TLSConfigOpts parseTLS(const source& src, const json& tlsm, const pointer& at) {
  TLSConfigOpts tc;
  bool haveCiphers = false;
  bool haveCurves = false;
  for (const auto& [k, v] : tlsm.items()) {
    const std::string key = ToLowerASCII(k);
    const pointer here = at / k;
    const json& value = v;  // clang 14 cannot capture a structured binding
    auto filename = [&](std::string& out) {
      if (!value.is_string()) {
        src.fail(here, "error parsing tls config, expected '" + key + "' to be filename");
      }
      out = value.get<std::string>();
    };
    if (key == "cert_file") {
      filename(tc.CertFile);
    } else if (key == "key_file") {
      filename(tc.KeyFile);
    } else if (key == "ca_file") {
      filename(tc.CaFile);
    } else if (key == "verify" || key == "verify_and_map") {
      // verify_and_map is nats-server 2.x's; its mapping of certificate
      // names to users needs 2.x's accounts, its verification is verify's.
      if (!v.is_boolean()) {
        src.fail(here, "error parsing tls config, expected '" + key + "' to be a boolean");
      }
      tc.Verify = key == "verify" ? v.get<bool>() : (tc.Verify || v.get<bool>());
    } else if (key == "cipher_suites") {
      const json& ra = src.array(v, here, k);
      if (ra.empty()) src.fail(here, "error parsing tls config, 'cipher_suites' cannot be empty");
      haveCiphers = true;
      tc.Ciphers.clear();
      for (std::size_t i = 0; i < ra.size(); ++i) {
        const std::string name = src.string(ra[i], here / i, k + "[" + std::to_string(i) + "]");
        auto id = cipherByName(name);
        if (!id) src.fail(here / i, "Unrecognized cipher " + name);
        tc.Ciphers.push_back(*id);
      }
    } else if (key == "curve_preferences") {
      const json& ra = src.array(v, here, k);
      if (ra.empty()) {
        src.fail(here, "error parsing tls config, 'curve_preferences' cannot be empty");
      }
      haveCurves = true;
      tc.CurvePreferences.clear();
      for (std::size_t i = 0; i < ra.size(); ++i) {
        const std::string name = src.string(ra[i], here / i, k + "[" + std::to_string(i) + "]");
        auto id = curveByName(name);
        if (!id) src.fail(here / i, "Unrecognized curve preference " + name);
        tc.CurvePreferences.push_back(*id);
      }
    } else if (key == "timeout") {
      // gnatsd takes another type as 0: the default then applies.
      tc.Timeout = src.timeout(v, here, k, 0.0);
    } else {
      src.fail(here, "error parsing tls config, unknown field [" + quoteGo(k) + "]");
    }
  }
  if (!haveCiphers) tc.Ciphers = defaultCipherSuites();
  if (!haveCurves) tc.CurvePreferences = defaultCurvePreferences();
  // Go: GenTLSConfig at parse time: certificate, key and CA load now.
  try {
    (void)GenTLSConfig(tc);
  } catch (const std::runtime_error& e) {
    src.fail(at, e.what());
  }
  return tc;
}

}  // namespace

void configureTLS(Options& opts) {
  if (!opts.TLS && !opts.TLSVerify) return;
  if (opts.TLSCert.empty()) throw ConfigError("TLS Server certificate must be present and valid.");
  if (opts.TLSKey.empty()) throw ConfigError("TLS Server private key must be present and valid.");
  auto tc = std::make_shared<TLSConfigOpts>();
  tc->CertFile = opts.TLSCert;
  tc->KeyFile = opts.TLSKey;
  tc->CaFile = opts.TLSCaCert;
  tc->Verify = opts.TLSVerify;
  tc->Timeout = opts.TLSTimeout;
  try {
    (void)GenTLSConfig(*tc);
  } catch (const std::runtime_error& e) {
    throw ConfigError(e.what());
  }
  opts.TLSConfig = std::move(tc);
}

Options MergeOptions(const Options& fileOpts, const Options& flagOpts) {
  Options opts = fileOpts;
  auto typed = [&](const char* field) { return flagOpts.Explicit.count(field) != 0; };
  // A boolean flag: typed on the command line it wins either way, otherwise
  // it can only switch the setting on (gnatsd's rule).
  auto mergeBool = [&](bool& dst, bool flag, const char* field) {
    if (typed(field)) {
      dst = flag;
    } else if (flag) {
      dst = true;
    }
  };

  if (flagOpts.Port != 0) opts.Port = flagOpts.Port;
  if (!flagOpts.Host.empty()) opts.Host = flagOpts.Host;
  if (!flagOpts.Username.empty()) opts.Username = flagOpts.Username;
  if (!flagOpts.Password.empty()) opts.Password = flagOpts.Password;
  if (!flagOpts.Authorization.empty()) opts.Authorization = flagOpts.Authorization;
  if (flagOpts.HTTPPort != 0) opts.HTTPPort = flagOpts.HTTPPort;
  if (flagOpts.HTTPSPort != 0) opts.HTTPSPort = flagOpts.HTTPSPort;  // gnatsd drops it
  mergeBool(opts.Debug, flagOpts.Debug, "Debug");
  mergeBool(opts.Trace, flagOpts.Trace, "Trace");
  // -T defaults to true: gnatsd lets that default beat a config `logtime:
  // false`. Here the default only applies when the file says nothing.
  if (typed("Logtime") || !fileOpts.Explicit.count("Logtime")) {
    mergeBool(opts.Logtime, flagOpts.Logtime, "Logtime");
  }
  if (!flagOpts.LogFile.empty()) opts.LogFile = flagOpts.LogFile;
  if (!flagOpts.PidFile.empty()) opts.PidFile = flagOpts.PidFile;
  if (flagOpts.ProfPort != 0) opts.ProfPort = flagOpts.ProfPort;
  mergeBool(opts.Syslog, flagOpts.Syslog, "Syslog");  // gnatsd drops -s
  if (!flagOpts.RemoteSyslog.empty()) opts.RemoteSyslog = flagOpts.RemoteSyslog;  // and -r
  if (!flagOpts.Cluster.ListenStr.empty()) opts.Cluster.ListenStr = flagOpts.Cluster.ListenStr;
  mergeBool(opts.Cluster.NoAdvertise, flagOpts.Cluster.NoAdvertise, "Cluster.NoAdvertise");
  if (flagOpts.Cluster.ConnectRetries != 0) {
    opts.Cluster.ConnectRetries = flagOpts.Cluster.ConnectRetries;
  }
  if (!flagOpts.RoutesStr.empty()) {
    opts.Routes = RoutesFromStr(flagOpts.RoutesStr);
    opts.RoutesStr = flagOpts.RoutesStr;
  }
  // The TLS flags, all dropped by gnatsd when a config file is used. The
  // caller builds the TLS config from them, as main does without -c.
  mergeBool(opts.TLS, flagOpts.TLS, "TLS");
  mergeBool(opts.TLSVerify, flagOpts.TLSVerify, "TLSVerify");
  if (!flagOpts.TLSCert.empty()) opts.TLSCert = flagOpts.TLSCert;
  if (!flagOpts.TLSKey.empty()) opts.TLSKey = flagOpts.TLSKey;
  if (!flagOpts.TLSCaCert.empty()) opts.TLSCaCert = flagOpts.TLSCaCert;
  opts.Explicit.insert(flagOpts.Explicit.begin(), flagOpts.Explicit.end());
  return opts;
}

void configureClusterOpts(Options& opts) {
  if (opts.Cluster.ListenStr.empty() && opts.Cluster.Host.empty() && opts.Cluster.Port == 0) {
    if (!opts.RoutesStr.empty()) throw ConfigError("Solicited routes require cluster capabilities, e.g. --cluster.");
    return;
  }
  if (!opts.Cluster.ListenStr.empty()) {
    std::string err;
    auto u = ParseURL(opts.Cluster.ListenStr, &err);
    if (!u) throw ConfigError(err);
    std::string host, port;
    if (!SplitHostPort(u->Host, host, port, err)) throw ConfigError(err);
    auto p = Atoi(port);
    if (!p) throw ConfigError("expected integer");
    if (*p < kMinPort || *p > kMaxPort) {
      throw ConfigError("Value of Cluster.Port is out of range: " + port + " (must be between " +
                        std::to_string(kMinPort) + " and " + std::to_string(kMaxPort) + ")");
    }
    opts.Cluster.Host = host;
    opts.Cluster.Port = static_cast<int>(*p);
    if (u->HasUser) {
      if (!u->HasPassword) throw ConfigError("Expected cluster password to be set.");
      opts.Cluster.Username = u->User;
      opts.Cluster.Password = u->Password;
    } else {
      // The flag replaces the file's cluster credentials, also with none.
      opts.Cluster.Username.clear();
      opts.Cluster.Password.clear();
    }
  }
  if (!opts.RoutesStr.empty() && opts.Routes.empty()) opts.Routes = RoutesFromStr(opts.RoutesStr);
}

std::vector<URL> RoutesFromStr(const std::string& routesStr) {
  std::vector<URL> routes;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = routesStr.find(',', start);
    std::string r = routesStr.substr(start, comma == std::string::npos ? std::string::npos
                                                                        : comma - start);
    const auto first = r.find_first_not_of(" \t\n\r\v\f");
    const auto last = r.find_last_not_of(" \t\n\r\v\f");
    r = first == std::string::npos ? "" : r.substr(first, last - first + 1);
    if (auto u = ParseURL(r)) routes.push_back(std::move(*u));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return routes;
}

namespace {

using ip16 = std::array<unsigned char, 16>;

// Defined below, in opts.go's order.
bool isIPInList(const std::vector<ip16>& list1, const std::vector<ip16>& list2);
std::vector<ip16> getURLIP(const std::string& host);
std::vector<ip16> getInterfaceIPs();

}  // namespace

std::vector<URL> RemoveSelfReference(int clusterPort, const std::vector<URL>& routes) {
  std::vector<URL> clean;
  const std::string cport = std::to_string(clusterPort);
  const std::vector<ip16> self = getInterfaceIPs();
  for (const URL& r : routes) {
    std::string host, port, err;
    if (!SplitHostPort(r.Host, host, port, err)) throw ConfigError(err);
    if (cport == port && isIPInList(self, getURLIP(host))) continue;
    clean.push_back(r);
  }
  return clean;
}

namespace {

bool isIPInList(const std::vector<ip16>& list1, const std::vector<ip16>& list2) {
  for (const ip16& a : list1) {
    for (const ip16& b : list2) {
      if (a == b) return true;
    }
  }
  return false;
}

using ip16 = std::array<unsigned char, 16>;

// IPv4 as IPv4-mapped IPv6, so v4 and v6 forms of an address compare equal
// (Go's IP.Equal).
ip16 fromV4(const in_addr& a) {
  ip16 ip{};
  ip[10] = ip[11] = 0xff;
  std::memcpy(ip.data() + 12, &a, 4);
  return ip;
}
ip16 fromV6(const in6_addr& a) {
  ip16 ip;
  std::memcpy(ip.data(), &a, 16);
  return ip;
}

std::vector<ip16> getURLIP(const std::string& host) {
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return {fromV4(v4)};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return {fromV6(v6)};
  // "localhost" is the loopback addresses by definition (RFC 6761), also on
  // a machine without /etc/hosts.
  const std::string lower = ToLowerASCII(host);
  if (lower == "localhost" || (lower.size() > 10 && lower.ends_with(".localhost"))) {
    inet_pton(AF_INET, "127.0.0.1", &v4);
    inet_pton(AF_INET6, "::1", &v6);
    return {fromV4(v4), fromV6(v6)};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    const std::string why = (rc == EAI_NONAME || rc == EAI_NODATA) ? "no such host"
                                                                    : gai_strerror(rc);
    throw ConfigError("Error looking up host with route hostname: lookup " + host + ": " + why);
  }
  std::vector<ip16> ips;
  for (addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      ips.push_back(fromV4(reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr));
    } else if (a->ai_family == AF_INET6) {
      ips.push_back(fromV6(reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr));
    }
  }
  freeaddrinfo(res);
  return ips;
}

std::vector<ip16> getInterfaceIPs() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    throw ConfigError(std::string("Error getting self referencing address: ") +
                      std::strerror(errno));
  }
  std::vector<ip16> ips;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      ips.push_back(fromV4(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      ips.push_back(fromV6(reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr));
    }
  }
  freeifaddrs(list);
  return ips;
}

}  // namespace

void validateOptions(const Options& opts) {
  auto check = [](const char* field, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) {
      throw ConfigError(outOfRange(std::string("Options.") + field, std::to_string(v), lo, hi));
    }
  };
  // Timeouts are seconds in a double; they become nanoseconds later.
  auto checkSeconds = [](const char* field, double v) {
    if (!(v >= 0 && v <= static_cast<double>(kMaxSeconds))) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", v);
      throw ConfigError(outOfRange(std::string("Options.") + field, buf, 0, kMaxSeconds));
    }
  };
  constexpr int64_t anyInt = std::numeric_limits<int>::max();
  constexpr int64_t anyInt64 = std::numeric_limits<int64_t>::max();
  check("Port", opts.Port, kMinPort, kMaxPort);
  check("HTTPPort", opts.HTTPPort, kMinPort, kMaxPort);
  check("HTTPSPort", opts.HTTPSPort, kMinPort, kMaxPort);
  check("ProfPort", opts.ProfPort, kMinPort, kMaxPort);
  check("Cluster.Port", opts.Cluster.Port, kMinPort, kMaxPort);
  check("MaxConn", opts.MaxConn, 0, anyInt);
  check("MaxPingsOut", opts.MaxPingsOut, 0, anyInt);
  check("MaxControlLine", opts.MaxControlLine, 0, anyInt);
  check("MaxPayload", opts.MaxPayload, 0, anyInt);
  check("MaxPending", opts.MaxPending, 0, anyInt64);
  check("PingInterval", opts.PingInterval.count(), 0, anyInt64);
  check("WriteDeadline", opts.WriteDeadline.count(), 0, anyInt64);
  checkSeconds("AuthTimeout", opts.AuthTimeout);
  checkSeconds("TLSTimeout", opts.TLSTimeout);
  checkSeconds("Cluster.AuthTimeout", opts.Cluster.AuthTimeout);
  checkSeconds("Cluster.TLSTimeout", opts.Cluster.TLSTimeout);
  if (opts.TLSConfig) checkSeconds("TLSConfig.Timeout", opts.TLSConfig->Timeout);
  if (opts.Cluster.TLSConfig) checkSeconds("Cluster.TLSConfig.Timeout", opts.Cluster.TLSConfig->Timeout);
}

void processOptions(Options& opts) {
  validateOptions(opts);
  if (opts.Host.empty()) opts.Host = DEFAULT_HOST;
  if (opts.HTTPHost.empty()) opts.HTTPHost = opts.Host;  // monitor binds with the clients
  if (opts.Port == 0) {
    opts.Port = DEFAULT_PORT;
  } else if (opts.Port == RANDOM_PORT) {
    opts.Port = 0;  // the OS picks one at listen time
  }
  if (opts.MaxConn == 0) opts.MaxConn = DEFAULT_MAX_CONNECTIONS;
  if (opts.PingInterval.count() == 0) opts.PingInterval = DEFAULT_PING_INTERVAL;
  if (opts.MaxPingsOut == 0) opts.MaxPingsOut = DEFAULT_PING_MAX_OUT;
  constexpr double tlsTimeout = std::chrono::duration<double>(TLS_TIMEOUT).count();
  constexpr double authTimeout = std::chrono::duration<double>(AUTH_TIMEOUT).count();
  if (opts.TLSTimeout == 0) opts.TLSTimeout = tlsTimeout;
  if (opts.AuthTimeout == 0) opts.AuthTimeout = authTimeout;
  if (opts.Cluster.Host.empty()) opts.Cluster.Host = DEFAULT_HOST;
  if (opts.Cluster.TLSTimeout == 0) opts.Cluster.TLSTimeout = tlsTimeout;
  if (opts.Cluster.AuthTimeout == 0) opts.Cluster.AuthTimeout = authTimeout;
  if (opts.MaxControlLine == 0) opts.MaxControlLine = MAX_CONTROL_LINE_SIZE;
  if (opts.MaxPayload == 0) opts.MaxPayload = MAX_PAYLOAD_SIZE;
  if (opts.WriteDeadline.count() == 0) opts.WriteDeadline = DEFAULT_FLUSH_DEADLINE;
  if (opts.MaxPending == 0) opts.MaxPending = MAX_PENDING_SIZE;
}

}  // namespace gnatsd::server
