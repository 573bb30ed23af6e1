// Go: server/opts.go (gnatsd v1.0.0)
// Config file to Options, flag merging, defaults, route URLs.
#include "server/opts.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "server/ciphersuites.h"
#include "server/const.h"
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

namespace {

// ---------------------------------------------------------------------------
// Go-style text: the error messages quote values the way gnatsd's fmt does.

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// Go's strconv.Quote (%q), for the characters config values contain.
std::string goQuote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Multi-byte UTF-8 passes through when well formed; stray bytes are \x.
    std::size_t n = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                                                 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    bool ok = n != 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (!ok) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
      continue;
    }
    out.append(s.substr(i, n));
    i += n - 1;
  }
  out += '"';
  return out;
}

// Go's %v of a parsed config value.
std::string goValue(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return std::to_string(v.get<int64_t>());
    case json::value_t::number_float: {
      const double d = v.get<double>();
      char buf[64];
      const double a = d < 0 ? -d : d;
      const auto fmt = (a == 0 || (a >= 1e-4 && a < 1e21)) ? std::chars_format::fixed
                                                           : std::chars_format::scientific;
      auto res = std::to_chars(buf, buf + sizeof buf, d, fmt);
      return std::string(buf, res.ptr);
    }
    case json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ' ';
        first = false;
        out += goValue(e);
      }
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ' ';
        first = false;
        out += k + ":" + goValue(e);
      }
      return out + "]";
    }
    default: return "<nil>";
  }
}

// Go's %T of a parsed config value.
const char* goType(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int64";
    case json::value_t::number_float: return "float64";
    case json::value_t::array: return "[]interface {}";
    case json::value_t::object: return "map[string]interface {}";
    default: return "<nil>";
  }
}

// Our words for a value's type, in the errors gnatsd does not have.
std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string " + goQuote(v.get<std::string>());
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

// ---------------------------------------------------------------------------
// Reading typed values out of the parsed tree, with positions for errors.

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

  int64_t integer(const json& v, const pointer& at, std::string_view key) const {
    if (!v.is_number_integer()) wrongType(at, key, "an integer", v);
    return v.get<int64_t>();
  }

  // Go's int is 64 bits; Options keeps int, so out of range is an error.
  int integer32(const json& v, const pointer& at, std::string_view key) const {
    const int64_t n = integer(v, at, key);
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
      fail(at, "Value of '" + std::string(key) + "' is out of range: " + std::to_string(n));
    }
    return static_cast<int>(n);
  }

  std::chrono::nanoseconds seconds(const json& v, const pointer& at, std::string_view key) const {
    const int64_t n = integer(v, at, key);
    constexpr int64_t limit = std::numeric_limits<int64_t>::max() / 1000000000;
    if (n > limit || n < -limit) {
      fail(at, "Value of '" + std::string(key) + "' is out of range: " + std::to_string(n));
    }
    return std::chrono::seconds(n);
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

// ---------------------------------------------------------------------------
// Go's net.SplitHostPort, with its error texts.

bool splitHostPort(std::string_view hostport, std::string& host, std::string& port,
                   std::string& err) {
  auto fail = [&](const char* why) {
    err = "address " + std::string(hostport) + ": " + why;
    return false;
  };
  const std::size_t i = hostport.rfind(':');
  if (i == std::string_view::npos) return fail("missing port in address");
  std::size_t j = 0, k = 0;
  if (!hostport.empty() && hostport[0] == '[') {
    const std::size_t end = hostport.find(']');
    if (end == std::string_view::npos) return fail("missing ']' in address");
    if (end + 1 == hostport.size()) return fail("missing port in address");
    if (end + 1 != i) {
      if (hostport[end + 1] == ':') return fail("too many colons in address");
      return fail("missing port in address");
    }
    host = std::string(hostport.substr(1, end - 1));
    j = 1;
    k = end + 1;
  } else {
    host = std::string(hostport.substr(0, i));
    if (host.find(':') != std::string::npos) return fail("too many colons in address");
    if (host.find('%') != std::string::npos) return fail("missing brackets in address");
  }
  if (hostport.find('[', j) != std::string_view::npos) return fail("unexpected '[' in address");
  if (hostport.find(']', k) != std::string_view::npos) return fail("unexpected ']' in address");
  port = std::string(hostport.substr(i + 1));
  return true;
}

// Go's strconv.Atoi, narrowed to int.
std::optional<int> atoi(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return std::nullopt;
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

struct hostPort {
  std::string host;
  int port = 0;
};

// Go: parseListen. "host:port" or just a port number.
hostPort parseListen(const source& src, const json& v, const pointer& at, std::string_view key) {
  hostPort hp;
  if (v.is_number_integer()) {
    hp.port = src.integer32(v, at, key);
    return hp;
  }
  if (!v.is_string()) {
    // gnatsd ignores other types silently (host "" and port 0).
    src.wrongType(at, key, "a \"host:port\" string or a port number", v);
  }
  const std::string s = v.get<std::string>();
  std::string port, err;
  if (!splitHostPort(s, hp.host, port, err)) {
    src.fail(at, "Could not parse address string " + goQuote(s));
  }
  std::optional<int> p = atoi(port);
  if (!p) src.fail(at, "Could not parse port " + goQuote(port));
  hp.port = *p;
  return hp;
}

// ---------------------------------------------------------------------------
// Go's time.ParseDuration, with the messages of the Go releases gnatsd 1.0.0
// was built with (values not quoted).

std::optional<int64_t> parseDuration(std::string_view orig, std::string& err) {
  std::string_view s = orig;
  const std::string o(orig);
  auto invalid = [&] {
    err = "time: invalid duration " + o;
    return std::nullopt;
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  constexpr int64_t maxInt = std::numeric_limits<int64_t>::max();
  int64_t d = 0;
  auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  while (!s.empty()) {
    if (!(s[0] == '.' || isDigit(s[0]))) return invalid();
    // Whole part.
    int64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && isDigit(s[i]); ++i) {
      if (v > (maxInt - 9) / 10) return invalid();
      v = v * 10 + (s[i] - '0');
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction: digits past what int64 holds are read and dropped.
    int64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      std::size_t n = 0;
      for (; n < s.size() && isDigit(s[n]); ++n) {
        if (overflow) continue;
        if (f > (maxInt - 9) / 10) {
          overflow = true;
          continue;
        }
        f = f * 10 + (s[n] - '0');
        scale *= 10;
      }
      post = n > 0;
      s.remove_prefix(n);
    }
    if (!pre && !post) return invalid();
    // Unit.
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !isDigit(s[u])) ++u;
    if (u == 0) {
      err = "time: missing unit in duration " + o;
      return std::nullopt;
    }
    const std::string unitName(s.substr(0, u));
    s.remove_prefix(u);
    int64_t unit;
    if (unitName == "ns") {
      unit = 1;
    } else if (unitName == "us" || unitName == "\xC2\xB5s" || unitName == "\xCE\xBCs") {
      unit = 1000;
    } else if (unitName == "ms") {
      unit = 1000000;
    } else if (unitName == "s") {
      unit = 1000000000;
    } else if (unitName == "m") {
      unit = 60LL * 1000000000;
    } else if (unitName == "h") {
      unit = 3600LL * 1000000000;
    } else {
      err = "time: unknown unit " + unitName + " in duration " + o;
      return std::nullopt;
    }
    if (v > maxInt / unit) return invalid();
    v *= unit;
    if (f > 0) {
      v += static_cast<int64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v < 0) return invalid();
    }
    if (d > maxInt - v) return invalid();
    d += v;
  }
  return neg ? -d : d;
}

// ---------------------------------------------------------------------------
// authorization { }, users, permissions

struct authorization {
  std::string user;
  std::string pass;
  std::string token;
  std::shared_ptr<std::vector<User>> users;  // null: no users key
  double timeout = 0;
  std::shared_ptr<Permissions> defaultPermissions;
};

// Go: checkSubjectArray, after parseSubjects.
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
    if (!IsValidSubject(s)) src.fail(at, "Subject " + goQuote(s) + " is not a valid subject");
  }
  return subjects;
}

std::shared_ptr<Permissions> parseUserPermissions(const source& src, const json& pm,
                                                  const pointer& at) {
  auto p = std::make_shared<Permissions>();
  for (const auto& [k, v] : pm.items()) {
    const std::string key = lower(k);
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
      const std::string key = lower(k);
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

authorization parseAuthorization(const source& src, const json& am, const pointer& at) {
  authorization auth;
  for (const auto& [k, v] : am.items()) {
    const std::string key = lower(k);
    const pointer here = at / k;
    if (key == "user" || key == "username") {
      auth.user = src.string(v, here, k);
    } else if (key == "pass" || key == "password") {
      auth.pass = src.string(v, here, k);
    } else if (key == "token") {
      auth.token = src.string(v, here, k);
    } else if (key == "timeout") {
      // gnatsd takes any other type as 1 second.
      auth.timeout = v.is_number_integer() ? static_cast<double>(v.get<int64_t>())
                     : v.is_number_float() ? v.get<double>()
                                           : 1.0;
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

// ---------------------------------------------------------------------------
// tls { }

TLSConfigOpts parseTLS(const source& src, const json& tlsm, const pointer& at) {
  TLSConfigOpts tc;
  bool haveCiphers = false;
  bool haveCurves = false;
  for (const auto& [k, v] : tlsm.items()) {
    const std::string key = lower(k);
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
    } else if (key == "verify") {
      if (!v.is_boolean()) {
        src.fail(here, "error parsing tls config, expected 'verify' to be a boolean");
      }
      tc.Verify = v.get<bool>();
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
      // gnatsd takes any other type as 0 (the default then applies).
      tc.Timeout = v.is_number_integer() ? static_cast<double>(v.get<int64_t>())
                   : v.is_number_float() ? v.get<double>()
                                         : 0.0;
    } else {
      src.fail(here, "error parsing tls config, unknown field [" + goQuote(k) + "]");
    }
  }
  if (!haveCiphers) tc.Ciphers = defaultCipherSuites();
  if (!haveCurves) tc.CurvePreferences = defaultCurvePreferences();
  return tc;
}

// ---------------------------------------------------------------------------
// cluster { }

void parseCluster(const source& src, const json& cm, const pointer& at, Options& opts) {
  for (const auto& [k, v] : cm.items()) {
    const std::string key = lower(k);
    const pointer here = at / k;
    if (key == "listen") {
      hostPort hp = parseListen(src, v, here, k);
      opts.Cluster.Host = hp.host;
      opts.Cluster.Port = hp.port;
      opts.Explicit.insert("Cluster.Host");
      opts.Explicit.insert("Cluster.Port");
    } else if (key == "port") {
      opts.Cluster.Port = src.integer32(v, here, k);
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
        if (!u) src.fail(here / i, "error parsing route url [" + goQuote(routeURL) + "]");
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
      opts.Cluster.ConnectRetries = src.integer32(v, here, k);
    }
  }
}

// ---------------------------------------------------------------------------
// URLs (Go's net/url, the parts route URLs need).

enum class encoding { path, host, userPassword, queryComponent, fragment };

bool shouldEscape(unsigned char c, encoding mode) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return false;
  if (mode == encoding::host) {
    switch (c) {
      case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
      case ',': case ';': case '=': case ':': case '[': case ']': case '<': case '>':
      case '"':
        return false;
      default:
        break;
    }
  }
  switch (c) {
    case '-': case '_': case '.': case '~':
      return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?':
    case '@':
      switch (mode) {
        case encoding::path: return c == '?';
        case encoding::userPassword: return c == '@' || c == '/' || c == '?' || c == ':';
        case encoding::queryComponent: return true;
        case encoding::fragment: return false;
        default: break;
      }
      break;
    default:
      break;
  }
  return true;
}

std::string escape(std::string_view s, encoding mode) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (shouldEscape(c, mode)) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unescape(std::string_view s, encoding mode, std::string& err) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || unhex(s[i + 1]) < 0 || unhex(s[i + 2]) < 0) {
        std::string_view bad = s.substr(i, std::min<std::size_t>(3, s.size() - i));
        err = "invalid URL escape " + goQuote(bad);
        return std::nullopt;
      }
      const std::string_view seq = s.substr(i, 3);
      if (mode == encoding::host && unhex(s[i + 1]) < 8 && seq != "%25") {
        err = "invalid URL escape " + goQuote(seq);
        return std::nullopt;
      }
      out += static_cast<char>(unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
      i += 2;
      continue;
    }
    if (mode == encoding::host && static_cast<unsigned char>(c) < 0x80 &&
        shouldEscape(static_cast<unsigned char>(c), mode)) {
      err = "invalid character " + goQuote(std::string_view(&c, 1)) + " in host name";
      return std::nullopt;
    }
    if (c == '+' && mode == encoding::queryComponent) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

bool validOptionalPort(std::string_view port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Go: parseHost. Checks the port and decodes %-escapes.
std::optional<std::string> parseHost(std::string_view host, std::string& err) {
  if (!host.empty() && host[0] == '[') {
    const std::size_t i = host.rfind(']');
    if (i == std::string_view::npos) {
      err = "missing ']' in host";
      return std::nullopt;
    }
    std::string_view colonPort = host.substr(i + 1);
    if (!validOptionalPort(colonPort)) {
      err = "invalid port " + goQuote(colonPort) + " after host";
      return std::nullopt;
    }
  } else if (std::size_t i = host.rfind(':'); i != std::string_view::npos) {
    std::string_view colonPort = host.substr(i);
    if (!validOptionalPort(colonPort)) {
      err = "invalid port " + goQuote(colonPort) + " after host";
      return std::nullopt;
    }
  }
  return unescape(host, encoding::host, err);
}

}  // namespace

// ---------------------------------------------------------------------------
// URL

std::optional<URL> ParseURL(const std::string& s, std::string* errOut) {
  std::string err;
  URL u;
  std::string_view raw = s;
  auto fail = [&](std::string_view what, std::string_view why) -> std::optional<URL> {
    if (errOut) *errOut = "parse " + std::string(what) + ": " + std::string(why);
    return std::nullopt;
  };
  // Fragment first.
  std::string_view rest = raw;
  if (std::size_t h = raw.find('#'); h != std::string_view::npos) {
    rest = raw.substr(0, h);
    auto frag = unescape(raw.substr(h + 1), encoding::fragment, err);
    if (!frag) return fail(raw, err);
    u.Fragment = *frag;
  }
  const std::string_view whole = rest;
  for (char c : whole) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(whole, "net/url: invalid control character in URL");
    }
  }
  if (whole == "*") {
    u.Path = "*";
    return u;
  }
  // Scheme: a letter, then letters, digits, '+', '-', '.', up to ':'.
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return fail(whole, "missing protocol scheme");
      u.Scheme = lower(std::string(rest.substr(0, i)));
      rest.remove_prefix(i + 1);
    }
    break;
  }
  if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
    rest.remove_suffix(1);
  } else if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    u.RawQuery = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest[0] != '/') {
    if (!u.Scheme.empty()) {
      u.Opaque = std::string(rest);
      return u;
    }
    const std::size_t colon = rest.find(':');
    const std::size_t slash = rest.find('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
      return fail(whole, "first path segment in URL cannot contain colon");
    }
  }
  if ((!u.Scheme.empty() || rest.substr(0, 3) != "///") && rest.substr(0, 2) == "//") {
    std::string_view authority = rest.substr(2);
    rest = {};
    if (std::size_t slash = authority.find('/'); slash != std::string_view::npos) {
      rest = authority.substr(slash);
      authority = authority.substr(0, slash);
    }
    std::string_view hostPart = authority;
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      hostPart = authority.substr(at + 1);
      std::string_view user = userinfo, pass;
      const std::size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        user = userinfo.substr(0, colon);
        pass = userinfo.substr(colon + 1);
        u.HasPassword = true;
      }
      auto du = unescape(user, encoding::userPassword, err);
      if (!du) return fail(whole, err);
      auto dp = unescape(pass, encoding::userPassword, err);
      if (!dp) return fail(whole, err);
      u.HasUser = true;
      u.User = *du;
      u.Password = *dp;
    }
    auto host = parseHost(hostPart, err);
    if (!host) return fail(whole, err);
    u.Host = *host;
  }
  auto path = unescape(rest, encoding::path, err);
  if (!path) return fail(whole, err);
  u.Path = *path;
  return u;
}

std::string URL::String() const {
  std::string buf;
  if (!Scheme.empty()) buf += Scheme + ":";
  if (!Opaque.empty()) {
    buf += Opaque;
  } else {
    if (!Scheme.empty() || !Host.empty() || HasUser) {
      if (!Host.empty() || !Path.empty() || HasUser) buf += "//";
      if (HasUser) {
        buf += escape(User, encoding::userPassword);
        if (HasPassword) buf += ":" + escape(Password, encoding::userPassword);
        buf += "@";
      }
      if (!Host.empty()) buf += escape(Host, encoding::host);
    }
    const std::string path = escape(Path, encoding::path);
    if (!path.empty() && path[0] != '/' && !Host.empty()) buf += "/";
    if (buf.empty()) {
      const std::size_t colon = path.find(':');
      if (colon != std::string::npos && path.substr(0, colon).find('/') == std::string::npos) {
        buf += "./";
      }
    }
    buf += path;
  }
  if (!RawQuery.empty()) buf += "?" + RawQuery;
  if (!Fragment.empty()) buf += "#" + escape(Fragment, encoding::fragment);
  return buf;
}

std::string URL::Hostname() const {
  const std::size_t colon = Host.find(':');
  if (colon == std::string::npos) return Host;
  if (std::size_t i = Host.find(']'); i != std::string::npos) {
    std::string h = Host.substr(0, i);
    if (!h.empty() && h[0] == '[') h.erase(0, 1);
    return h;
  }
  return Host.substr(0, colon);
}

std::string URL::Port() const {
  const std::size_t colon = Host.find(':');
  if (colon == std::string::npos) return "";
  if (std::size_t i = Host.find("]:"); i != std::string::npos) return Host.substr(i + 2);
  if (Host.find(']') != std::string::npos) return "";
  return Host.substr(colon + 1);
}

// ---------------------------------------------------------------------------
// Options

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
    const std::string key = lower(k);
    const pointer at = pointer() / k;
    auto explicitly = [&](const char* field) { opts.Explicit.insert(field); };
    if (key == "listen") {
      hostPort hp = parseListen(src, v, at, k);
      opts.Host = hp.host;
      opts.Port = hp.port;
      explicitly("Host");
      explicitly("Port");
    } else if (key == "port") {
      opts.Port = src.integer32(v, at, k);
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
      opts.HTTPPort = src.integer32(v, at, k);
      explicitly("HTTPPort");
    } else if (key == "https_port") {
      opts.HTTPSPort = src.integer32(v, at, k);
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
      opts.ProfPort = src.integer32(v, at, k);
      explicitly("ProfPort");
    } else if (key == "max_control_line") {
      opts.MaxControlLine = src.integer32(v, at, k);
      explicitly("MaxControlLine");
    } else if (key == "max_payload") {
      opts.MaxPayload = src.integer32(v, at, k);
      explicitly("MaxPayload");
    } else if (key == "max_connections" || key == "max_conn") {
      opts.MaxConn = src.integer32(v, at, k);
      explicitly("MaxConn");
    } else if (key == "ping_interval") {
      opts.PingInterval = src.seconds(v, at, k);
      explicitly("PingInterval");
    } else if (key == "ping_max") {
      opts.MaxPingsOut = src.integer32(v, at, k);
      explicitly("MaxPingsOut");
    } else if (key == "tls") {
      TLSConfigOpts tc = parseTLS(src, src.map(v, at, k), at);
      opts.TLSTimeout = tc.Timeout;
      opts.TLSConfig = std::make_shared<TLSConfigOpts>(std::move(tc));
      explicitly("TLSConfig");
    } else if (key == "write_deadline") {
      if (v.is_string()) {
        std::string err;
        auto d = parseDuration(v.get<std::string>(), err);
        if (!d) src.fail(at, "error parsing write_deadline: " + err);
        opts.WriteDeadline = std::chrono::nanoseconds(*d);
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
      // Beyond 1.0.0: nats-server's key, bytes (size suffixes like 64MB work).
      opts.MaxPending = src.integer(v, at, k);
      if (opts.MaxPending <= 0) src.fail(at, "max_pending must be a positive number of bytes");
      explicitly("MaxPending");
    }
    // Any other key is ignored, as gnatsd does (variables among them).
  }
  return opts;
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

std::vector<ip16> interfaceIPs() {
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

// Go: getURLIP. An IP literal, or the addresses the name resolves to.
std::vector<ip16> urlIPs(const std::string& host) {
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return {fromV4(v4)};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return {fromV6(v6)};
  // "localhost" is the loopback addresses by definition (RFC 6761), also on
  // a machine without /etc/hosts.
  std::string lower = host;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
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

}  // namespace

std::vector<URL> RemoveSelfReference(int clusterPort, const std::vector<URL>& routes) {
  std::vector<URL> clean;
  const std::string cport = std::to_string(clusterPort);
  const std::vector<ip16> self = interfaceIPs();
  for (const URL& r : routes) {
    std::string host, port, err;
    if (!splitHostPort(r.Host, host, port, err)) throw ConfigError(err);
    const std::vector<ip16> ips = urlIPs(host);
    bool local = false;
    for (const ip16& a : self) {
      for (const ip16& b : ips) local = local || a == b;
    }
    if (cport == port && local) continue;
    clean.push_back(r);
  }
  return clean;
}

void processOptions(Options& opts) {
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
