// Go: main.go (gnatsd v1.0.0)
// gnatsd's command line, read with Boost.Program_options.
#include "server/flags.h"

#include <boost/program_options.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>

#include "server/ciphersuites.h"
#include "server/const.h"
#include "server/gostrings.h"

namespace gnatsd::server {

namespace po = boost::program_options;

const char* const usageStr = R"(
Usage: gnatsd [options]

Server Options:
    -a, --addr <host>                Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file
    -sl,--signal <signal>[=<pid>]    Send signal to gnatsd process (stop, quit, reopen, reload)

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -s, --syslog                     Log to syslog or windows event log
    -r, --remote_syslog <addr>       Syslog server addr (udp://localhost:514)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes
        --no_advertise <bool>        Advertise known cluster IPs to clients
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_name <string>      Accepted for nats-server 2.x tooling; ignored


Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
        --help_tls                   TLS help
)";

std::string TLSHelpText() {
  std::string out = R"(
TLS configuration is specified in the tls section of a configuration file:

e.g.

    tls {
        cert_file: "./certs/server-cert.pem"
        key_file:  "./certs/server-key.pem"
        ca_file:   "./certs/ca.pem"
        verify:    true

        cipher_suites: [
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        ]
        curve_preferences: [
            "CurveP256",
            "CurveP384",
            "CurveP521"
        ]
    }

Available cipher suites include:
)";
  for (const auto& c : cipherSuites()) out += "    " + std::string(c.name) + "\n";
  out += "\nAvailable curve preferences include:\n";
  for (const auto& c : curvePreferences()) out += "    " + std::string(c.name) + "\n";
  return out;
}

namespace {

enum class Kind { Bool, Int, Port, String };

// Every flag name of main.go, with what it sets. Aliases share a target.
struct FlagDef {
  const char* name;
  Kind kind;
  const char* target;
};
constexpr FlagDef kFlags[] = {
    {"port", Kind::Port, "port"}, {"p", Kind::Port, "port"},
    {"addr", Kind::String, "host"}, {"a", Kind::String, "host"}, {"net", Kind::String, "host"},
    {"D", Kind::Bool, "debug"}, {"debug", Kind::Bool, "debug"},
    {"V", Kind::Bool, "trace"}, {"trace", Kind::Bool, "trace"},
    {"DV", Kind::Bool, "debugtrace"},
    {"T", Kind::Bool, "logtime"}, {"logtime", Kind::Bool, "logtime"},
    {"user", Kind::String, "user"}, {"pass", Kind::String, "pass"}, {"auth", Kind::String, "auth"},
    {"m", Kind::Port, "http_port"}, {"http_port", Kind::Port, "http_port"},
    {"ms", Kind::Port, "https_port"}, {"https_port", Kind::Port, "https_port"},
    {"c", Kind::String, "config"}, {"config", Kind::String, "config"},
    {"sl", Kind::String, "signal"}, {"signal", Kind::String, "signal"},
    {"P", Kind::String, "pid"}, {"pid", Kind::String, "pid"},
    {"l", Kind::String, "log"}, {"log", Kind::String, "log"},
    {"s", Kind::Bool, "syslog"}, {"syslog", Kind::Bool, "syslog"},
    {"r", Kind::String, "remote_syslog"}, {"remote_syslog", Kind::String, "remote_syslog"},
    {"version", Kind::Bool, "version"}, {"v", Kind::Bool, "version"},
    {"profile", Kind::Port, "profile"},
    {"routes", Kind::String, "routes"},
    {"cluster", Kind::String, "cluster"}, {"cluster_listen", Kind::String, "cluster"},
    {"no_advertise", Kind::Bool, "no_advertise"},
    {"connect_retries", Kind::Int, "connect_retries"},
    {"cluster_name", Kind::String, "cluster_name"},
    {"help_tls", Kind::Bool, "help_tls"},
    {"tls", Kind::Bool, "tls"}, {"tlsverify", Kind::Bool, "tlsverify"},
    {"tlscert", Kind::String, "tlscert"}, {"tlskey", Kind::String, "tlskey"},
    {"tlscacert", Kind::String, "tlscacert"},
    {"h", Kind::Bool, "help"}, {"help", Kind::Bool, "help"},
};

const FlagDef* findFlag(const std::string& name) {
  for (const auto& f : kFlags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// Go's strconv.ParseBool.
bool parseBool(const std::string& v, bool* out) {
  static const std::set<std::string> t = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> f = {"0", "f", "F", "FALSE", "false", "False"};
  if (t.count(v)) return *out = true, true;
  if (f.count(v)) return *out = false, true;
  return false;
}

bool parseInt(const std::string& v, long long* out) {
  if (v.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 0);
  if (*end != '\0' || errno != 0 || n < INT_MIN || n > INT_MAX) return false;
  *out = n;
  return true;
}

}  // namespace

CommandLine ConfigureOptions(const std::vector<std::string>& argsIn) {
  CommandLine cl;
  Options& opts = cl.opts;
  opts.Logtime = true;  // Go: -T defaults to true

  // Go's flag package ends flag parsing at "--".
  std::vector<std::string> args, rest;
  bool sawDashDash = false;
  for (const auto& a : argsIn) {
    if (!sawDashDash && a == "--") {
      sawDashDash = true;
      continue;
    }
    (sawDashDash ? rest : args).push_back(a);
  }

  po::options_description desc;
  for (const auto& f : kFlags) {
    if (f.kind == Kind::Bool) {
      desc.add_options()(f.name, po::value<std::string>()->implicit_value("true"));
    } else {
      desc.add_options()(f.name, po::value<std::string>());
    }
  }
  desc.add_options()("args", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("args", -1);
  namespace st = po::command_line_style;
  const int style = st::allow_long | st::allow_long_disguise | st::long_allow_adjacent | st::long_allow_next;

  po::parsed_options parsed(&desc);
  try {
    parsed = po::command_line_parser(args).options(desc).positional(pos).style(style).run();
  } catch (const po::invalid_command_line_syntax& e) {
    std::string name = e.get_option_name();
    while (!name.empty() && name[0] == '-') name.erase(0, 1);
    if (e.kind() == po::invalid_command_line_syntax::missing_parameter) {
      throw FlagError("flag needs an argument: -" + name);
    }
    throw FlagError(std::string("bad flag syntax: ") + e.what());
  } catch (const po::unknown_option& e) {
    std::string name = e.get_option_name();
    while (!name.empty() && name[0] == '-') name.erase(0, 1);
    name = name.substr(0, name.find('='));
    throw FlagError("flag provided but not defined: -" + name);
  } catch (const po::error& e) {
    throw FlagError(e.what());
  }

  std::vector<std::string> positionals;
  std::map<std::string, std::string> values;  // target -> last value given
  for (const auto& o : parsed.options) {
    if (o.string_key == "args") {
      for (const auto& v : o.value) {
        // Unregistered "-x" reaches us as a positional.
        if (v.size() > 1 && v[0] == '-') {
          std::string name = v.substr(0, v.find('='));
          while (name.size() > 1 && name[1] == '-') name.erase(0, 1);
          throw FlagError("flag provided but not defined: " + name);
        }
        positionals.push_back(v);
      }
      continue;
    }
    const FlagDef* f = findFlag(o.string_key);
    if (!f) throw FlagError("flag provided but not defined: -" + o.string_key);
    cl.flagsSet.insert(f->name);
    std::string v = o.value.empty() ? "true" : o.value.front();
    if (f->kind == Kind::Bool) {
      // Go's booleans take a value only as -x=value; "-x false" is the flag
      // followed by a positional argument.
      if (o.original_tokens.size() == 2) {
        positionals.push_back(o.original_tokens[1]);
        v = "true";
      }
      bool b;
      if (!parseBool(v, &b)) throw FlagError("invalid boolean value \"" + v + "\" for -" + f->name + ": parse error");
    } else if (f->kind == Kind::Int || f->kind == Kind::Port) {
      long long n;
      if (!parseInt(v, &n)) throw FlagError("invalid value \"" + v + "\" for flag -" + f->name + ": parse error");
      if (f->kind == Kind::Port && (n < kMinPort || n > kMaxPort)) {
        throw FlagError("invalid value \"" + v + "\" for flag -" + f->name +
                        ": port must be between -1 (random) and 65535");
      }
    }
    values[f->target] = v;
  }
  positionals.insert(positionals.end(), rest.begin(), rest.end());

  auto has = [&](const char* t) { return values.count(t) > 0; };
  auto str = [&](const char* t) { return has(t) ? values[t] : std::string(); };
  auto boolean = [&](const char* t) {
    bool b = false;
    if (has(t)) parseBool(values[t], &b);
    return b;
  };
  auto integer = [&](const char* t) {
    long long n = 0;
    if (has(t)) parseInt(values[t], &n);
    return static_cast<int>(n);
  };

  if (boolean("help")) {
    cl.action = CommandLine::Action::ShowHelp;
    return cl;
  }
  if (boolean("version")) {
    cl.action = CommandLine::Action::ShowVersion;
    return cl;
  }
  if (boolean("help_tls")) {
    cl.action = CommandLine::Action::ShowTLSHelp;
    return cl;
  }
  if (!positionals.empty()) {
    const std::string a = positionals.front();
    const std::string lower = ToLowerASCII(a);
    if (lower == "version") {
      cl.action = CommandLine::Action::ShowVersion;
      return cl;
    }
    if (lower == "help") {
      cl.action = CommandLine::Action::ShowHelp;
      return cl;
    }
    throw FlagError("Unrecognized command: \"" + a + "\"");
  }

  // Booleans the user typed win over the config file in both directions.
  static const std::map<std::string, std::string> kExplicitField = {
      {"logtime", "Logtime"}, {"debug", "Debug"}, {"trace", "Trace"},     {"syslog", "Syslog"},
      {"tls", "TLS"},         {"tlsverify", "TLSVerify"}, {"no_advertise", "Cluster.NoAdvertise"}};
  for (const auto& [target, field] : kExplicitField) {
    if (has(target.c_str())) opts.Explicit.insert(field);
  }
  if (has("debugtrace")) opts.Explicit.insert({"Debug", "Trace"});
  opts.Port = integer("port");
  opts.Host = str("host");
  opts.Debug = boolean("debug");
  opts.Trace = boolean("trace");
  if (has("logtime")) opts.Logtime = boolean("logtime");
  if (boolean("debugtrace")) opts.Debug = opts.Trace = true;
  opts.Username = str("user");
  opts.Password = str("pass");
  opts.Authorization = str("auth");
  opts.HTTPPort = integer("http_port");
  opts.HTTPSPort = integer("https_port");
  opts.PidFile = str("pid");
  opts.LogFile = str("log");
  opts.Syslog = boolean("syslog");
  opts.RemoteSyslog = str("remote_syslog");
  opts.ProfPort = integer("profile");
  opts.RoutesStr = str("routes");
  opts.Cluster.ListenStr = str("cluster");
  opts.Cluster.NoAdvertise = boolean("no_advertise");
  opts.Cluster.ConnectRetries = integer("connect_retries");
  opts.TLS = boolean("tls");
  opts.TLSVerify = boolean("tlsverify");
  opts.TLSCert = str("tlscert");
  opts.TLSKey = str("tlskey");
  opts.TLSCaCert = str("tlscacert");

  if (has("signal")) {
    std::string sig = str("signal");
    auto eq = sig.find('=');
    if (eq != std::string::npos && sig.find('=', eq + 1) != std::string::npos) {
      throw FlagError("invalid --signal value \"" + sig + "\": expected <signal>[=<pid>]");
    }
    cl.action = CommandLine::Action::Signal;
    cl.signalCommand = sig.substr(0, eq);
    if (eq != std::string::npos) cl.signalPid = sig.substr(eq + 1);
    return cl;
  }

  cl.flagOpts = opts.Clone();
  if (has("config")) {
    Options fileOpts = ProcessConfigFile(str("config"));
    opts = MergeOptions(fileOpts, opts);
  }

  // Go: RemoveSelfReference, configureTLS, then configureClusterOpts. Unlike
  // gnatsd, TLS flags given with -c are not dropped: they replace the file's
  // tls block.
  opts.Routes = RemoveSelfReference(opts.Cluster.Port, opts.Routes);
  configureTLS(opts);
  configureClusterOpts(opts);
  // Features of later issues are refused, never ignored.
  if (opts.ProfPort != 0) notSupportedYet("Profiling (--profile)");
  return cl;
}

}  // namespace gnatsd::server
