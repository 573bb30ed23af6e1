// Go: server/monitor.go and server/monitor_sort_opts.go (gnatsd v1.0.0), and
// server.go's StartMonitoring / startMonitoring
// The monitor's handlers and JSON, and the Beast-based HTTP layer under them.
#include "server/monitor.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "pse/pse.h"
#include "server/client.h"
#include "server/const.h"
#include "server/gofmt.h"
#include "server/goparse.h"
#include "server/server.h"
#include "server/tls.h"
#include "server/util.h"

namespace gnatsd::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;
using std::chrono::system_clock;

// ---------------------------------------------------------------------------
// Go library stand-ins: time, JSON, query strings

bool SortOptIsValid(std::string_view s) {
  for (std::string_view v : {std::string_view(), byCid, bySubs, byPending, byOutMsgs, byInMsgs, byOutBytes,
                             byInBytes, byLast, byIdle, byUptime}) {
    if (s == v) return true;
  }
  return false;
}

std::string myUptime(std::chrono::nanoseconds d) {
  const int64_t tsecs = d.count() / 1000000000;
  const int64_t tmins = tsecs / 60;
  const int64_t thrs = tmins / 60;
  const int64_t tdays = thrs / 24;
  const int64_t tyrs = tdays / 365;
  auto ll = [](int64_t v) { return static_cast<long long>(v); };
  if (tyrs > 0) {
    return stringPrintf("%lldy%lldd%lldh%lldm%llds", ll(tyrs), ll(tdays % 365), ll(thrs % 24), ll(tmins % 60),
                        ll(tsecs % 60));
  }
  if (tdays > 0) return stringPrintf("%lldd%lldh%lldm%llds", ll(tdays), ll(thrs % 24), ll(tmins % 60), ll(tsecs % 60));
  if (thrs > 0) return stringPrintf("%lldh%lldm%llds", ll(thrs), ll(tmins % 60), ll(tsecs % 60));
  if (tmins > 0) return stringPrintf("%lldm%llds", ll(tmins), ll(tsecs % 60));
  return stringPrintf("%llds", ll(tsecs));
}

std::string rfc3339Nano(system_clock::time_point t) {
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  const time_t tt = static_cast<time_t>(secs);
  struct tm lt {};
  ::localtime_r(&tt, &lt);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &lt);
  std::string out(buf, n);
  if (frac != 0) {
    std::string f = stringPrintf("%09lld", static_cast<long long>(frac));
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += '.' + f;
  }
  const long off = lt.tm_gmtoff;
  if (off == 0) return out + 'Z';
  const long a = off < 0 ? -off : off;
  return out + stringPrintf("%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, (a / 60) % 60);
}

namespace {

// Go: encoding/json's float64 encoder (shortest 'f', or 'e' far from 1).
std::string goFloat(double f) {
  if (!std::isfinite(f)) return "0";  // Go refuses these; none of ours can be
  char buf[64];
  const double a = std::fabs(f);
  const bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
  auto r = std::to_chars(buf, buf + sizeof buf, f, exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, r.ptr);
  if (exp) {
    const size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  }
  return s;
}

void marshal(const Json& j, std::string& out, int depth) {
  auto indent = [&out](int d) {
    out += '\n';
    out.append(static_cast<size_t>(d) * 2, ' ');
  };
  switch (j.type()) {
    case Json::value_t::object: {
      if (j.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ',';
        first = false;
        indent(depth + 1);
        out += goJSONString(it.key());
        out += ": ";
        marshal(it.value(), out, depth + 1);
      }
      indent(depth);
      out += '}';
      return;
    }
    case Json::value_t::array: {
      if (j.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& v : j) {
        if (!first) out += ',';
        first = false;
        indent(depth + 1);
        marshal(v, out, depth + 1);
      }
      indent(depth);
      out += ']';
      return;
    }
    case Json::value_t::string:
      out += goJSONString(j.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(j.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(j.get<uint64_t>());
      return;
    case Json::value_t::number_float:
      out += goFloat(j.get<double>());
      return;
    default:
      out += "null";
      return;
  }
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go: url.QueryUnescape (plus = true) and url.PathUnescape (plus = false).
bool unescape(std::string_view s, bool plus, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      const int h = unhex(s[i + 1]), l = unhex(s[i + 2]);
      if (h < 0 || l < 0) return false;
      *out += static_cast<char>(h * 16 + l);
      i += 2;
    } else if (c == '+' && plus) {
      *out += ' ';
    } else {
      *out += c;
    }
  }
  return true;
}

// Go: path.Clean, with ServeMux's cleanPath rules around it (a leading '/',
// a trailing '/' kept).
std::string cleanPath(std::string_view p) {
  if (p.empty()) return "/";
  std::string src = p[0] == '/' ? std::string(p) : "/" + std::string(p);
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= src.size()) {
    size_t j = src.find('/', i);
    if (j == std::string::npos) j = src.size();
    std::string seg = src.substr(i, j - i);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(std::move(seg));
    }
    i = j + 1;
  }
  std::string np = "/";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) np += '/';
    np += parts[k];
  }
  if (src.back() == '/' && np != "/") np += '/';
  return np;
}

int64_t atoiOrZero(const std::string& s) {
  auto v = Atoi(s);
  return v ? *v : 0;
}

int64_t unixNano(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Go: runtime.NumCPU (the CPUs this process may run on).
int numCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

monitorResponse textResponse(int status, std::string body) {
  monitorResponse r;
  r.status = status;
  r.contentType = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// Go: http.NotFound.
monitorResponse notFound() {
  monitorResponse r = textResponse(404, "404 page not found\n");
  r.noSniff = true;
  return r;
}

}  // namespace

std::string goMarshalIndent(const Json& j) {
  std::string out;
  marshal(j, out, 0);
  return out;
}

std::string queryGet(std::string_view rawQuery, std::string_view key) {
  // Go 1.8's ParseQuery splits on '&' and ';' and skips pairs it cannot decode.
  std::string k, v;
  size_t i = 0;
  while (i <= rawQuery.size()) {
    size_t j = rawQuery.find_first_of("&;", i);
    if (j == std::string_view::npos) j = rawQuery.size();
    std::string_view pair = rawQuery.substr(i, j - i);
    i = j + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view rk = pair.substr(0, eq);
    std::string_view rv = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!unescape(rk, true, &k) || !unescape(rv, true, &v)) continue;
    if (k == key) return v;
  }
  return std::string();
}

monitorResponse ResponseHandler(std::string_view rawQuery, std::string data) {
  monitorResponse r;
  const std::string callback = queryGet(rawQuery, "callback");
  if (!callback.empty()) {
    r.contentType = "application/javascript";
    r.body = callback + "(" + data + ")";
  } else {
    r.contentType = "application/json";
    r.body = std::move(data);
  }
  return r;
}

// ---------------------------------------------------------------------------
// Start and stop (Go: server.go)

void Server::StartMonitoring() { setupMonitoring(true); }

void Server::StartHTTPMonitoring() { startMonitoring(false, true); }

void Server::StartHTTPSMonitoring() { startMonitoring(true, true); }

void Server::setupMonitoring(bool run) {
  auto opts = getOpts();
  if (opts->HTTPPort != 0 && opts->HTTPSPort != 0) {
    throw std::runtime_error(
        stringPrintf("can't specify both HTTP (%d) and HTTPs (%d) ports", opts->HTTPPort, opts->HTTPSPort));
  }
  if (opts->HTTPPort != 0) {
    startMonitoring(false, run);
  } else if (opts->HTTPSPort != 0) {
    if (!clientTLSConfig()) throw std::runtime_error("TLS cert and key required for HTTPS");
    startMonitoring(true, run);
  }
}

namespace {
// "ip:port" of a bound socket (Go: Listener.Addr().String()).
std::string boundAddr(int fd, const std::string& fallbackHost, int port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = {0};
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, ip, sizeof ip);
      return JoinHostPort(ip, port);
    }
    if (ss.ss_family == AF_INET6) {
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, ip, sizeof ip);
      return JoinHostPort(ip, port);
    }
  }
  return JoinHostPort(fallbackHost, port);
}
}  // namespace

void Server::startMonitoring(bool secure, bool run) {
  auto opts = getOpts();
  // The TLS context in force now; a later reload does not change the monitor's.
  std::shared_ptr<const TLSConfig> tls = secure ? clientTLSConfig() : nullptr;
  if (secure && !tls) throw std::runtime_error("TLS cert and key required for HTTPS");
  {
    MutexLock l(mu_);
    if (http_) throw std::logic_error("monitoring already started");
    httpReqStats_ = {{std::string(RootPath), 0},
                     {std::string(VarzPath), 0},
                     {std::string(ConnzPath), 0},
                     {std::string(RoutezPath), 0},
                     {std::string(SubszPath), 0}};
  }
  std::string proto = secure ? "https" : "http";
  int port = secure ? opts->HTTPSPort : opts->HTTPPort;
  if (port == RANDOM_PORT) port = 0;
  std::string err;
  Fd l = ListenTCP(opts->HTTPHost, port, &err);
  if (!l.valid()) throw std::runtime_error("can't listen to the monitor port: " + err);
  const int actual = LocalPort(l.get());
  Noticef("Starting %s monitor on %s", proto.c_str(), JoinHostPort(opts->HTTPHost, actual).c_str());
  std::string addr = boundAddr(l.get(), opts->HTTPHost, actual);
  auto m = std::make_unique<httpMonitor>(this, std::move(l), std::move(tls), std::move(addr), actual);
  MutexLock ml(mu_);
  if (shutdown_) return;  // the listener closes with m
  http_ = std::move(m);
  if (run) http_->Run();
}

void Server::runMonitoring() {
  MutexLock l(mu_);
  if (http_) http_->Run();
}

std::string Server::MonitorAddr() {
  MutexLock l(mu_);
  return http_ ? http_->addr() : std::string();
}

int Server::MonitorPort() {
  MutexLock l(mu_);
  return http_ ? http_->port() : 0;
}

// ---------------------------------------------------------------------------
// Handlers (Go: monitor.go)

monitorResponse Server::HandleMonitor(std::string_view target) {
  // An absolute-form target ("http://host/path") names the path after the host.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    size_t p = target.find('/', target.find("//") + 2);
    target = p == std::string_view::npos ? std::string_view("/") : target.substr(p);
  }
  if (target == "*") return textResponse(400, "");  // Go's ServeMux answers "*" so
  const size_t q = target.find('?');
  const std::string_view rawPath = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  std::string path;
  if (!unescape(rawPath, false, &path)) return textResponse(400, "400 Bad Request");
  // Go's ServeMux redirects a path that is not clean to its clean form.
  const std::string clean = cleanPath(path);
  if (clean != path) {
    monitorResponse r;
    r.status = 301;
    r.location = clean;
    if (q != std::string_view::npos) r.location += "?" + std::string(query);
    r.contentType = "text/html; charset=utf-8";
    r.body = "<a href=\"" + r.location + "\">Moved Permanently</a>.\n\n";
    return r;
  }
  if (path == VarzPath) return HandleVarz(query);
  if (path == ConnzPath) return HandleConnz(query);
  if (path == RoutezPath) return HandleRoutez(query);
  if (path == SubszPath || path == "/subscriptionsz") return HandleSubsz(query);
  if (path == StackszPath) return HandleStacksz(query);
  return HandleRoot(path);
}

monitorResponse Server::HandleRoot(std::string_view path) {
  if (path != RootPath) return notFound();
  {
    MutexLock l(mu_);
    httpReqStats_[std::string(RootPath)]++;
  }
  monitorResponse r;
  r.contentType = "text/html; charset=utf-8";
  // gnatsd's page, byte for byte.
  r.body = R"(<html lang="en">
   <head>
    <link rel="shortcut icon" href="http://nats.io/img/favicon.ico">
    <style type="text/css">
      body { font-family: "Century Gothic", CenturyGothic, AppleGothic, sans-serif; font-size: 22; }
      a { margin-left: 32px; }
    </style>
  </head>
  <body>
    <img src="http://nats.io/img/logo.png" alt="NATS">
    <br/>
	<a href=/varz>varz</a><br/>
	<a href=/connz>connz</a><br/>
	<a href=/routez>routez</a><br/>
	<a href=/subsz>subsz</a><br/>
    <br/>
    <a href=http://nats.io/documentation/server/gnatsd-monitoring/>help</a>
  </body>
</html>)";
  return r;
}

server::Varz Server::Varz() { return varz({}); }

server::Varz Server::varz(std::string_view countAs) {
  server::Varz v;
  v.opts = getOpts();
  v.Now = system_clock::now();
  int64_t vss = 0;
  pse::ProcUsage(&v.CPU, &v.Mem, &vss);
  {
    MutexLock l(mu_);
    v.info = infoState_;
    v.Connections = static_cast<int64_t>(clients_.size());
    v.Routes = static_cast<int64_t>(routes_.size());
    v.Remotes = static_cast<int64_t>(remotes_.size());
    v.TotalConnections = totalClients_;
    // The request being answered counts itself, as in gnatsd.
    if (!countAs.empty()) httpReqStats_[std::string(countAs)]++;
    v.HTTPReqStats = httpReqStats_;
  }
  v.Port = v.info.Port;
  v.MaxPayload = v.opts->MaxPayload;
  v.Start = start_;
  v.Uptime = myUptime(v.Now - start_);
  v.Cores = numCores();
  v.InMsgs = stats_.inMsgs.load(std::memory_order_relaxed);
  v.OutMsgs = stats_.outMsgs.load(std::memory_order_relaxed);
  v.InBytes = stats_.inBytes.load(std::memory_order_relaxed);
  v.OutBytes = stats_.outBytes.load(std::memory_order_relaxed);
  v.SlowConsumers = stats_.slowConsumers.load(std::memory_order_relaxed);
  v.Subscriptions = sl_.Count();
  v.ConfigLoadTime = ConfigLoadTime();
  return v;
}

monitorResponse Server::HandleVarz(std::string_view query) {
  const server::Varz z = varz(VarzPath);
  const Info& info = z.info;
  const Options& opts = *z.opts;
  // Key order: Info's fields, then Options' JSON fields, then Varz's own;
  // Varz's port and max_payload shadow the embedded ones (Go's encoding/json).
  Json v;
  v["server_id"] = info.ID;
  v["version"] = info.Version;
  v["go"] = info.GoVersion;
  v["host"] = info.Host;
  v["auth_required"] = info.AuthRequired;
  v["ssl_required"] = info.SSLRequired;
  v["tls_required"] = info.TLSRequired;
  v["tls_verify"] = info.TLSVerify;
  if (!info.IP.empty()) v["ip"] = info.IP;
  if (!info.ClientConnectURLs.empty()) v["connect_urls"] = info.ClientConnectURLs;
  v["addr"] = opts.Host;
  v["max_connections"] = opts.MaxConn;
  v["ping_interval"] = static_cast<int64_t>(opts.PingInterval.count());
  v["ping_max"] = opts.MaxPingsOut;
  v["http_host"] = opts.HTTPHost;
  v["http_port"] = opts.HTTPPort;
  v["https_port"] = opts.HTTPSPort;
  v["auth_timeout"] = opts.AuthTimeout;
  v["max_control_line"] = opts.MaxControlLine;
  Json cluster;
  cluster["addr"] = opts.Cluster.Host;
  cluster["cluster_port"] = opts.Cluster.Port;
  cluster["auth_timeout"] = opts.Cluster.AuthTimeout;
  v["cluster"] = std::move(cluster);
  v["tls_timeout"] = opts.TLSTimeout;
  v["port"] = z.Port;
  v["max_payload"] = z.MaxPayload;
  v["start"] = rfc3339Nano(z.Start);
  v["now"] = rfc3339Nano(z.Now);
  v["uptime"] = z.Uptime;
  v["mem"] = z.Mem;
  v["cores"] = z.Cores;
  v["cpu"] = z.CPU;
  v["connections"] = z.Connections;
  v["total_connections"] = z.TotalConnections;
  v["routes"] = z.Routes;
  v["remotes"] = z.Remotes;
  v["in_msgs"] = z.InMsgs;
  v["out_msgs"] = z.OutMsgs;
  v["in_bytes"] = z.InBytes;
  v["out_bytes"] = z.OutBytes;
  v["slow_consumers"] = z.SlowConsumers;
  v["subscriptions"] = z.Subscriptions;
  Json rs = Json::object();
  for (const auto& [k, n] : z.HTTPReqStats) rs[k] = n;
  v["http_req_stats"] = std::move(rs);
  v["config_load_time"] = rfc3339Nano(z.ConfigLoadTime);
  return ResponseHandler(query, goMarshalIndent(v));
}

monitorResponse Server::HandleConnz(std::string_view query) {
  std::string sortOpt = queryGet(query, "sort");
  if (sortOpt.empty() || sortOpt == byUptime) {
    sortOpt = byCid;
  } else if (!SortOptIsValid(sortOpt)) {
    return textResponse(400, "Invalid sorting option: " + sortOpt);
  }
  const auto now = system_clock::now();
  const int64_t auth = atoiOrZero(queryGet(query, "auth"));
  const int64_t subs = atoiOrZero(queryGet(query, "subs"));
  int64_t offset = atoiOrZero(queryGet(query, "offset"));
  if (offset < 0) offset = 0;
  int64_t limit = atoiOrZero(queryGet(query, "limit"));
  if (limit <= 0) limit = DefaultConnListSize;

  // The list is copied under the server's lock; each client's lock is then
  // taken alone, for a moment (never inside the server's).
  std::vector<std::shared_ptr<client>> conns;
  {
    MutexLock l(mu_);
    httpReqStats_[std::string(ConnzPath)]++;
    conns.reserve(clients_.size());
    for (const auto& [cid, c] : clients_) conns.push_back(c);
  }
  const int64_t total = static_cast<int64_t>(conns.size());

  // Go: Pair / Pairs. The sort key of each client, captured once.
  struct Pair {
    client* c;
    uint64_t cid;
    int64_t val;
  };
  std::vector<Pair> pairs;
  pairs.reserve(conns.size());
  client::monitorInfo mi;
  for (const auto& c : conns) {
    c->monitorSnapshot(&mi, false);
    int64_t val = static_cast<int64_t>(mi.cid);
    if (sortOpt == bySubs) val = mi.numSubs;
    else if (sortOpt == byPending) val = mi.pending;
    else if (sortOpt == byOutMsgs) val = mi.outMsgs;
    else if (sortOpt == byInMsgs) val = mi.inMsgs;
    else if (sortOpt == byOutBytes) val = mi.outBytes;
    else if (sortOpt == byInBytes) val = mi.inBytes;
    else if (sortOpt == byLast) val = unixNano(mi.last);
    else if (sortOpt == byIdle) val = std::chrono::duration_cast<std::chrono::nanoseconds>(now - mi.last).count();
    pairs.push_back({c.get(), mi.cid, val});
  }
  if (sortOpt == byCid) {
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.val < b.val; });
  } else {
    // Descending; ties (in random order in Go) by cid.
    std::sort(pairs.begin(), pairs.end(),
              [](const Pair& a, const Pair& b) { return a.val != b.val ? a.val > b.val : a.cid < b.cid; });
  }
  const int64_t minoff = std::min(offset, total);
  const int64_t maxoff = limit > total - minoff ? total : minoff + limit;

  Json list = Json::array();
  for (int64_t i = minoff; i < maxoff; ++i) {
    const Pair& p = pairs[static_cast<size_t>(i)];
    p.c->monitorSnapshot(&mi, subs == 1);
    // The sort key as sorted, so the page reads sorted even if it moved since.
    if (sortOpt == bySubs) mi.numSubs = static_cast<uint32_t>(p.val);
    else if (sortOpt == byPending) mi.pending = p.val;
    else if (sortOpt == byOutMsgs) mi.outMsgs = p.val;
    else if (sortOpt == byInMsgs) mi.inMsgs = p.val;
    else if (sortOpt == byOutBytes) mi.outBytes = p.val;
    else if (sortOpt == byInBytes) mi.inBytes = p.val;
    else if (sortOpt == byLast) mi.last = system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(std::chrono::nanoseconds(p.val)));
    std::string idle = sortOpt == byIdle ? myUptime(std::chrono::nanoseconds(p.val)) : myUptime(now - mi.last);
    Json ci;
    ci["cid"] = mi.cid;
    ci["ip"] = mi.ip;
    ci["port"] = mi.port;
    ci["start"] = rfc3339Nano(mi.start);
    ci["last_activity"] = rfc3339Nano(mi.last);
    ci["uptime"] = myUptime(now - mi.start);
    ci["idle"] = idle;
    ci["pending_bytes"] = mi.pending;
    ci["in_msgs"] = mi.inMsgs;
    ci["out_msgs"] = mi.outMsgs;
    ci["in_bytes"] = mi.inBytes;
    ci["out_bytes"] = mi.outBytes;
    ci["subscriptions"] = mi.numSubs;
    if (!mi.name.empty()) ci["name"] = mi.name;
    if (!mi.lang.empty()) ci["lang"] = mi.lang;
    if (!mi.version.empty()) ci["version"] = mi.version;
    if (!mi.tlsVersion.empty()) ci["tls_version"] = mi.tlsVersion;
    if (!mi.tlsCipher.empty()) ci["tls_cipher_suite"] = mi.tlsCipher;
    if (auth == 1 && !mi.user.empty()) ci["authorized_user"] = mi.user;
    if (!mi.subs.empty()) ci["subscriptions_list"] = mi.subs;
    list.push_back(std::move(ci));
  }
  Json c;
  c["now"] = rfc3339Nano(now);
  c["num_connections"] = list.size();
  c["total"] = total;
  c["offset"] = offset;
  c["limit"] = limit;
  c["connections"] = std::move(list);
  return ResponseHandler(query, goMarshalIndent(c));
}

monitorResponse Server::HandleRoutez(std::string_view query) {
  const int subs = atoiOrZero(queryGet(query, "subs"));
  const auto now = system_clock::now();
  std::vector<std::shared_ptr<client>> routes;
  {
    MutexLock l(mu_);
    httpReqStats_[std::string(RoutezPath)]++;
    for (auto& [rid, r] : routes_) routes.push_back(r);
  }
  std::sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) { return a->cid() < b->cid(); });
  Json list = Json::array();
  for (auto& r : routes) {
    client::monitorInfo mi;
    r->monitorSnapshot(&mi, subs == 1);
    const route rt = r->routeSnapshot().value_or(route{});
    Json ri;
    ri["rid"] = mi.cid;
    ri["remote_id"] = rt.remoteID;
    ri["did_solicit"] = rt.didSolicit;
    ri["is_configured"] = rt.routeType == Explicit;
    ri["ip"] = mi.ip;
    ri["port"] = mi.port;
    // 1.0.0 never filled this in (always 0); the bytes queued, as nats-server.
    ri["pending_size"] = mi.pending;
    ri["in_msgs"] = mi.inMsgs;
    ri["out_msgs"] = mi.outMsgs;
    ri["in_bytes"] = mi.inBytes;
    ri["out_bytes"] = mi.outBytes;
    ri["subscriptions"] = mi.numSubs;
    if (!mi.subs.empty()) ri["subscriptions_list"] = mi.subs;
    list.push_back(std::move(ri));
  }
  Json rs;
  rs["now"] = rfc3339Nano(now);
  rs["num_routes"] = list.size();
  rs["routes"] = std::move(list);
  return ResponseHandler(query, goMarshalIndent(rs));
}

monitorResponse Server::HandleSubsz(std::string_view query) {
  {
    MutexLock l(mu_);
    httpReqStats_[std::string(SubszPath)]++;
  }
  const SublistStats st = sl_.Stats();
  Json j;
  j["num_subscriptions"] = st.NumSubs;
  j["num_cache"] = st.NumCache;
  j["num_inserts"] = st.NumInserts;
  j["num_removes"] = st.NumRemoves;
  j["num_matches"] = st.NumMatches;
  j["cache_hit_rate"] = st.CacheHitRate;
  j["max_fanout"] = st.MaxFanout;
  j["avg_fanout"] = st.AvgFanout;
  return ResponseHandler(query, goMarshalIndent(j));
}

monitorResponse Server::HandleStacksz(std::string_view query) {
  // Go dumps every goroutine's stack. Here: every thread of the process, by
  // id, state and name, from /proc; no lock is taken, so that it still
  // answers when some lock is stuck.
  const long self = ::syscall(SYS_gettid);
  std::vector<long> tids;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids.push_back(std::strtol(e->d_name, nullptr, 10));
    }
    ::closedir(d);
  }
  std::sort(tids.begin(), tids.end());
  std::string out = stringPrintf("gnatsd-cpp %s: %zu threads\n\n", std::string(VERSION).c_str(), tids.size());
  for (long tid : tids) {
    const std::string dir = "/proc/self/task/" + std::to_string(tid);
    std::string name, stat;
    std::getline(std::ifstream(dir + "/comm"), name);
    std::getline(std::ifstream(dir + "/stat"), stat);
    // The state is the field after the parenthesised name.
    char state = '?';
    const size_t rp = stat.rfind(')');
    if (rp != std::string::npos && rp + 2 < stat.size()) state = stat[rp + 2];
    out += stringPrintf("thread %ld [%c]: %s%s\n", tid, state, name.c_str(),
                        tid == self ? " (serving this request)" : "");
  }
  return ResponseHandler(query, std::move(out));
}

// ---------------------------------------------------------------------------
// The HTTP layer (Go: net/http's Server)

namespace {

struct SslFree {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

using Clock = std::chrono::steady_clock;

// A Beast SyncReadStream / SyncWriteStream over a non-blocking socket, plain
// or TLS, where every call gives up at one deadline (Go: SetReadDeadline /
// SetWriteDeadline). One thread only.
class deadlineStream {
 public:
  deadlineStream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  void setDeadline(Clock::time_point d) { deadline_ = d; }

  // TLS only: the server side of the handshake.
  bool handshake(beast::error_code& ec) {
    for (;;) {
      ERR_clear_error();
      errno = 0;
      int r = SSL_accept(ssl_);
      if (r == 1) return true;
      if (!waitSsl(SSL_get_error(ssl_, r), ec)) return false;
    }
  }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() == 0) continue;
      return readInto(static_cast<char*>(b.data()), b.size(), ec);
    }
    return 0;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() == 0) continue;
      return writeFrom(static_cast<const char*>(b.data()), b.size(), ec);
    }
    return 0;
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    beast::error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  // Writes all of s before the deadline; false otherwise.
  bool writeAll(std::string_view s) {
    beast::error_code ec;
    while (!s.empty()) {
      size_t n = writeFrom(s.data(), s.size(), ec);
      if (ec) return false;
      s.remove_prefix(n);
    }
    return true;
  }

 private:
  // Waits for the socket until the deadline. False with ec set on timeout.
  bool wait(short events, beast::error_code& ec) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
      if (left <= 0) {
        ec = beast::error::timeout;
        return false;
      }
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) {
        ec = beast::error_code(errno, boost::system::system_category());
        return false;
      }
    }
  }

  // After an SSL call failed with `err`: waits for what it needs, or sets ec.
  bool waitSsl(int err, beast::error_code& ec) {
    if (err == SSL_ERROR_WANT_READ) return wait(POLLIN, ec);
    if (err == SSL_ERROR_WANT_WRITE) return wait(POLLOUT, ec);
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && errno == 0)) {
      ec = boost::asio::error::eof;
    } else {
      ec = boost::asio::error::connection_reset;
    }
    ERR_clear_error();
    return false;
  }

  size_t readInto(char* p, size_t len, beast::error_code& ec) {
    len = std::min<size_t>(len, INT_MAX);
    for (;;) {
      if (ssl_) {
        ERR_clear_error();
        errno = 0;  // SSL_ERROR_SYSCALL with errno 0 is an EOF
        int n = SSL_read(ssl_, p, static_cast<int>(len));
        if (n > 0) return static_cast<size_t>(n);
        if (!waitSsl(SSL_get_error(ssl_, n), ec)) return 0;
        continue;
      }
      ssize_t n = ::recv(fd_, p, len, MSG_DONTWAIT);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) {
        ec = boost::asio::error::eof;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec = beast::error_code(errno, boost::system::system_category());
        return 0;
      }
      if (!wait(POLLIN, ec)) return 0;
    }
  }

  size_t writeFrom(const char* p, size_t len, beast::error_code& ec) {
    len = std::min<size_t>(len, INT_MAX);
    for (;;) {
      if (ssl_) {
        ERR_clear_error();
        errno = 0;  // SSL_ERROR_SYSCALL with errno 0 is an EOF
        int n = SSL_write(ssl_, p, static_cast<int>(len));
        if (n > 0) return static_cast<size_t>(n);
        if (!waitSsl(SSL_get_error(ssl_, n), ec)) return 0;
        continue;
      }
      ssize_t n = ::send(fd_, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec = beast::error_code(errno, boost::system::system_category());
        return 0;
      }
      if (!wait(POLLOUT, ec)) return 0;
    }
  }

  const int fd_;
  SSL* const ssl_;  // null: plain
  Clock::time_point deadline_;
};

// A request parser that keeps only what the monitor uses: method, target,
// version (keep-alive is the base parser's). Header fields and any body are
// read and dropped, so that one long field (Beast's own containers refuse a
// field over 64 KiB) is bound only by the header limit, as in Go.
class requestParser : public http::basic_parser<true> {
 public:
  http::verb method = http::verb::unknown;
  std::string target;
  unsigned version = 11;

 private:
  void on_request_impl(http::verb m, beast::string_view, beast::string_view t, int v, beast::error_code&) override {
    method = m;
    target.assign(t.data(), t.size());
    version = static_cast<unsigned>(v);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field, beast::string_view, beast::string_view, beast::error_code&) override {}
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
  size_t on_body_impl(beast::string_view body, beast::error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}
};

// Go: http.TimeFormat.
std::string httpDate() {
  const time_t t = ::time(nullptr);
  struct tm g {};
  ::gmtime_r(&t, &g);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &g);
  return std::string(buf, n);
}

// Go's answers to a request it could not read (net/http conn.serve).
constexpr std::string_view errorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n";
std::string rawError(std::string_view publicErr) {
  std::string s = "HTTP/1.1 ";
  s += publicErr;
  s += errorHeaders;
  s += publicErr;
  return s;
}

bool isHTTPParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() ||
         ec == beast::error_code(http::error::buffer_overflow);
}

}  // namespace

httpMonitor::httpMonitor(Server* s, Fd listener, std::shared_ptr<const TLSConfig> tls, std::string addr, int port)
    : srv_(s), listener_(std::move(listener)), tls_(std::move(tls)), addr_(std::move(addr)), port_(port) {}

httpMonitor::~httpMonitor() = default;

bool httpMonitor::Run() {
  return srv_->startGoRoutine("http:" + std::to_string(port_), [this] { acceptLoop(); });
}

void httpMonitor::Shutdown() {
  MutexLock l(mu_);
  if (stopped_) return;
  stopped_ = true;
  listener_.Shutdown();
  for (const auto& [id, fd] : conns_) ::shutdown(fd, SHUT_RDWR);
}

int httpMonitor::numConns() {
  MutexLock l(mu_);
  return static_cast<int>(conns_.size());
}

void httpMonitor::unregister(uint64_t id) {
  MutexLock l(mu_);
  conns_.erase(id);
}

void httpMonitor::acceptLoop() {
  const int lfd = listener_.get();
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      const int e = errno;
      {
        MutexLock l(mu_);
        if (stopped_) break;
      }
      if (e == EINTR || e == ECONNABORTED) continue;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        // Out of descriptors: wait a little rather than spin.
        pollfd p{lfd, 0, 0};
        ::poll(&p, 1, 50);
        continue;
      }
      srv_->Noticef("Accept error: accept: %s", std::strerror(e));
      if (e == EINVAL || e == EBADF) break;
      continue;
    }
    auto conn = std::make_shared<Fd>(fd);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint64_t id;
    {
      MutexLock l(mu_);
      if (stopped_) break;
      if (conns_.size() >= static_cast<size_t>(monitorMaxConns)) {
        l.Unlock();
        // Too many open: a short answer if the socket takes it now, then close.
        if (!tls_) {
          static const std::string busy = [] {
            const std::string body = "503 Service Unavailable: too many monitor connections\n";
            return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Connection: close\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body;
          }();
          (void)::send(fd, busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
          ::shutdown(fd, SHUT_WR);
          // Unread input would turn the close into a reset that can destroy
          // the answer before the peer reads it: take what has arrived.
          char sink[4096];
          for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
          }
        }
        continue;
      }
      id = ++nextID_;
      conns_.emplace(id, fd);
    }
    // The name is cut to 15 bytes by the thread itself.
    if (!srv_->startGoRoutine("http:c" + std::to_string(id), [this, conn, id] { serveConn(std::move(*conn), id); })) {
      unregister(id);  // before `conn` closes the descriptor
      break;
    }
  }
}

void httpMonitor::serveConn(Fd fd, uint64_t id) {
  try {
    serveRequests(fd.get());
  } catch (const std::exception& e) {
    // Beast reports some limits by throwing: never let one end the process.
    srv_->Debugf("http: connection dropped: %s", e.what());
  }
  unregister(id);
  fd.Close();
}

void httpMonitor::serveRequests(int fd) {
  // A TLS write to a peer that has gone raises SIGPIPE (OpenSSL writes with
  // write(2)); blocked here, it stays pending on this thread and is dropped
  // when the thread ends.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  SslPtr ssl;
  if (tls_) {
    ssl.reset(SSL_new(tls_->ctx()));
    if (ssl) {
      SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);  // Go: NoClientCert
      SSL_set_fd(ssl.get(), fd);
      SSL_set_accept_state(ssl.get());
    }
  }
  deadlineStream st(fd, ssl.get());
  beast::error_code ec;
  bool ok = !tls_ || ssl;
  st.setDeadline(Clock::now() + monitorReadTimeout);
  if (ok && ssl && !st.handshake(ec)) {
    srv_->Debugf("http: TLS handshake error: %s", ec.message().c_str());
    ok = false;
  }
  bool lingering = false;  // an error answer went out: read the rest before closing
  beast::flat_buffer buf(monitorMaxHeaderBytes + monitorMaxBodyBytes + 65536);
  while (ok) {
    st.setDeadline(Clock::now() + monitorReadTimeout);
    requestParser parser;
    parser.header_limit(static_cast<std::uint32_t>(monitorMaxHeaderBytes));
    parser.body_limit(monitorMaxBodyBytes);
    http::read(st, buf, parser, ec);
    if (ec) {
      if (ec == http::error::header_limit) {
        st.setDeadline(Clock::now() + monitorWriteTimeout);
        st.writeAll(rawError("431 Request Header Fields Too Large"));
        lingering = true;
      } else if (ec == http::error::body_limit) {
        st.setDeadline(Clock::now() + monitorWriteTimeout);
        st.writeAll(rawError("413 Request Entity Too Large"));
        lingering = true;
      } else if (ec != http::error::end_of_stream && ec != http::error::partial_message && isHTTPParseError(ec)) {
        st.setDeadline(Clock::now() + monitorWriteTimeout);
        st.writeAll(rawError("400 Bad Request"));
        lingering = true;
      }
      break;  // EOF, timeout, reset: no answer
    }
    st.setDeadline(Clock::now() + monitorWriteTimeout);
    monitorResponse r = srv_->HandleMonitor(parser.target);
    http::response<http::string_body> res{static_cast<http::status>(r.status), parser.version};
    if (!r.contentType.empty()) res.set(http::field::content_type, r.contentType);
    if (r.noSniff) res.set("X-Content-Type-Options", "nosniff");
    if (!r.location.empty()) res.set(http::field::location, r.location);
    res.set(http::field::date, httpDate());
    res.body() = std::move(r.body);
    res.keep_alive(parser.keep_alive());
    res.prepare_payload();
    if (parser.method == http::verb::head) {
      http::response_serializer<http::string_body> sr{res};
      http::write_header(st, sr, ec);
    } else {
      http::write(st, res, ec);
    }
    if (ec || !res.keep_alive()) break;
  }
  if (ssl) {
    ERR_clear_error();
    SSL_shutdown(ssl.get());  // close_notify if the socket takes it now
    ERR_clear_error();
  } else if (lingering) {
    // Go's closeWriteAndWait: let the peer read the answer before the close
    // (closing with unread input would reset the connection).
    ::shutdown(fd, SHUT_WR);
    st.setDeadline(Clock::now() + std::chrono::milliseconds(500));
    char sink[4096];
    beast::error_code rec;
    while (!rec) st.read_some(boost::asio::buffer(sink), rec);
  }
}

}  // namespace gnatsd::server
