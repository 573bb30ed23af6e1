// Go: server/route.go (gnatsd v1.0.0)
// Cluster routes: the route listener and diallers, the route handshake,
// registration and discovery, and interest forwarding. Messages cross routes
// in client::processMsg (client.cpp).
#include "server/route.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/client.h"
#include "server/const.h"
#include "server/gofmt.h"
#include "server/goparse.h"
#include "server/gostrings.h"
#include "server/server.h"
#include "server/tls.h"
#include "server/util.h"

namespace gnatsd::server {

using Clock = std::chrono::steady_clock;

std::string routeSid(const subscription& sub) {
  std::string s;
  if (!sub.queue.empty()) s.push_back('Q');
  s.append(RSID).push_back(':');
  s.append(std::to_string(sub.client->cid())).push_back(':');
  s.append(sub.sid);
  return s;
}

bool parseRouteSid(std::string_view rsid, uint64_t* cid, std::string_view* sid) {
  *cid = 0;
  *sid = {};
  if (!rsid.starts_with(QRSID)) return false;
  // The byte after "QRSID" is taken to be the ':', as gnatsd takes it.
  for (size_t i = QRSID.size() + 1; i < rsid.size(); ++i) {
    if (rsid[i] == ':') {
      const int64_t n = parseInt64(rsid.substr(QRSID.size() + 1, i - QRSID.size() - 1));
      *cid = n < 0 ? 0 : static_cast<uint64_t>(n);
      *sid = rsid.substr(i + 1);
      return true;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// client side of the route handshake

void client::sendConnect(bool tlsRequired) {
  // Go: connectInfo, marshalled in its field order; user and pass are
  // omitted when empty.
  std::string user, pass;
  if (route_ && route_->url) {
    user = route_->url->User;
    pass = route_->url->Password;
  }
  std::string js = "{\"verbose\":false,\"pedantic\":false";
  if (!user.empty()) js.append(",\"user\":").append(goJSONString(user));
  if (!pass.empty()) js.append(",\"pass\":").append(goJSONString(pass));
  js.append(",\"tls_required\":").append(tlsRequired ? "true" : "false");
  js.append(",\"name\":").append(goJSONString(srv_->ID())).append("}");
  std::string proto(ConProto);
  proto.append(js).append(CR_LF);
  sendProto(proto, true);
}

void client::processRouteInfo(Info& info) {
  MutexLock l(mu_);
  // Closed meanwhile (an auth timeout, a shutdown): nothing to register.
  if (!route_ || closed_ || closing_) return;
  Server* s = srv_;
  const std::string remoteID = route_->remoteID;
  // An INFO about some other server, gossiped by this peer.
  if (!remoteID.empty() && remoteID != info.ID) {
    l.Unlock();
    s->processImplicitRoute(info);
    return;
  }
  route_->remoteID = info.ID;
  if (route_->remoteID == s->ID()) {  // a route to ourselves
    l.Unlock();
    closeConnection();
    return;
  }
  route_->authRequired = info.AuthRequired;
  route_->tlsRequired = info.TLSRequired;
  if (!route_->url) {
    std::string err;
    auto u = ParseURL("nats-route://" + JoinHostPort(info.Host, info.Port) + "/", &err);
    if (!u) {
      l.Unlock();
      Errorf("Error parsing URL from INFO: %s\n", err.c_str());
      closeConnection();
      return;
    }
    route_->url = std::move(*u);
  }
  l.Unlock();

  auto [added, sendInfo] = s->addRoute(shared_from_this());
  if (!added) {
    Debugf("Detected duplicate remote route %s", quoteGo(info.ID).c_str());
    closeConnection();
    return;
  }
  Debugf("Registering remote route %s", quoteGo(info.ID).c_str());
  s->sendLocalSubsToRoute(*this);
  if (sendInfo) {
    // The other servers learn this peer at the address we see it from.
    info.IP = "nats-route://" + JoinHostPort(ip_, info.Port) + "/";
    s->forwardNewRouteInfoToKnownServers(info);
  }
  if (s->updateServerINFO(info.ClientConnectURLs)) s->sendAsyncInfoToClients();
}

bool client::isSolicitedRoute() {
  MutexLock l(mu_);
  return typ_ == ROUTER && route_ && route_->didSolicit;
}

std::optional<route> client::routeSnapshot() {
  MutexLock l(mu_);
  if (!route_) return std::nullopt;
  return *route_;
}

bool client::firstToRemote(client& rc, size_t* seen) {
  MutexLock l(rc.mu_);
  if (rc.closed_ || !rc.route_ || rc.route_->remoteID.empty()) {
    Debugf("Bad or Missing ROUTER Identity, not processing msg");
    return false;
  }
  const std::string& id = rc.route_->remoteID;
  for (size_t i = 0; i < *seen; ++i) {
    if (routeSeen_[i] == id) {
      Debugf("Ignoring route, already processed");
      return false;
    }
  }
  if (*seen == routeSeen_.size()) routeSeen_.emplace_back();
  routeSeen_[(*seen)++].assign(id);
  return true;
}

// ---------------------------------------------------------------------------
// the server's side

int Server::NumRoutes() {
  MutexLock l(mu_);
  return static_cast<int>(routes_.size());
}

int Server::NumRemotes() {
  MutexLock l(mu_);
  return static_cast<int>(remotes_.size());
}

std::string Server::ClusterAddr() {
  MutexLock l(mu_);
  return routeListener_.valid() ? routeListenAddr_ : std::string();
}

int Server::ClusterPort() {
  MutexLock l(mu_);
  return routeListener_.valid() ? routePort_ : 0;
}

std::vector<std::shared_ptr<client>> Server::routesSnapshot() {
  MutexLock l(mu_);
  std::vector<std::shared_ptr<client>> out;
  out.reserve(routes_.size() + grTmpClients_.size());
  for (auto& [rid, r] : routes_) out.push_back(r);
  for (auto& [rid, r] : grTmpClients_) out.push_back(r);
  return out;
}

bool Server::sleepUnlessShutdown(std::chrono::nanoseconds d) {
  const auto until = Clock::now() + d;
  MutexLock l(mu_);
  while (running_) {
    if (!stateCv_.WaitUntil(mu_, until)) return running_;
  }
  return false;
}

std::vector<std::string> Server::getClientConnectURLs() {
  auto opts = getOpts();
  std::vector<std::string> urls;
  in_addr v4;
  in6_addr v6;
  const bool any = (inet_pton(AF_INET, opts->Host.c_str(), &v4) == 1 && v4.s_addr == INADDR_ANY) ||
                   (inet_pton(AF_INET6, opts->Host.c_str(), &v6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&v6));
  if (any) {
    // Every global unicast address of every interface (Go skips loopback
    // and link-local ones).
    ifaddrs* ifs = nullptr;
    if (::getifaddrs(&ifs) == 0) {
      for (ifaddrs* i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        char buf[INET6_ADDRSTRLEN] = {};
        if (i->ifa_addr->sa_family == AF_INET) {
          const in_addr a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr;
          const uint32_t h = ntohl(a.s_addr);
          const bool global = h != 0 && (h >> 24) != 127 && (h >> 16) != 0xa9fe && (h >> 28) != 0xe &&
                              h != 0xffffffff;
          if (!global) continue;
          inet_ntop(AF_INET, &a, buf, sizeof buf);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
          const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr;
          if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_LINKLOCAL(&a) ||
              IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_V4MAPPED(&a)) {
            continue;
          }
          inet_ntop(AF_INET6, &a, buf, sizeof buf);
        } else {
          continue;
        }
        urls.push_back(JoinHostPort(buf, opts->Port));
      }
      ::freeifaddrs(ifs);
    }
  }
  if (urls.empty()) {
    if (opts->Host == "0.0.0.0" || opts->Host == "::") {
      Errorf("Address %s can not be resolved properly", quoteGo(opts->Host).c_str());
    } else {
      urls.push_back(JoinHostPort(opts->Host, opts->Port));
    }
  }
  return urls;
}

void Server::setupRouting() {
  auto opts = getOpts();
  const std::vector<std::string> clientConnectURLs = getClientConnectURLs();
  const int port = opts->Cluster.Port == -1 ? 0 : opts->Cluster.Port;
  const std::string hp = JoinHostPort(opts->Cluster.Host, port);
  Noticef("Listening for route connections on %s", hp.c_str());
  std::string err;
  Fd l = ListenTCP(opts->Cluster.Host, port, &err);
  if (!l.valid()) {
    std::string msg = "Error listening on router port: ";
    msg.append(std::to_string(opts->Cluster.Port)).append(" - ").append(err);
    Fatalf("%s", msg.c_str());
    throw std::runtime_error(msg);
  }
  const int actual = LocalPort(l.get());
  MutexLock ml(mu_);
  const bool tls = routeTLSConfig_ != nullptr;
  Info info;
  info.ID = info_.ID;
  info.Version = info_.Version;
  info.Host = opts->Cluster.Host;
  info.Port = actual;
  info.AuthRequired = !opts->Cluster.Username.empty();
  info.TLSRequired = info.SSLRequired = info.TLSVerify = tls;
  info.MaxPayload = infoState_.MaxPayload;
  info.ClientConnectURLs = clientConnectURLs;
  routeInfo_ = std::move(info);
  generateRouteInfoJSON();
  routeListener_ = std::move(l);
  routeListenAddr_ = JoinHostPort(opts->Cluster.Host, actual);
  routePort_ = actual;
}

void Server::generateRouteInfoJSON() {
  routeInfoJSON_ = std::string(InfoProto).append(routeInfo_.toJSON()).append(CR_LF);
}

void Server::routeAcceptLoop() {
  int lfd;
  {
    MutexLock l(mu_);
    lfd = routeListener_.get();
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
        Debugf("Temporary Route Accept Errorf(accept: %s), sleeping %lldms", std::strerror(e),
               static_cast<long long>(tmpDelay.count()));
        stateCv_.WaitUntil(mu_, Clock::now() + tmpDelay);
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
    if (!grWG_.GoConn("rd:route", [this, conn] { createRoute(std::move(*conn), nullptr); })) break;
  }
  Debugf("Router accept loop exiting..");
}

void Server::solicitRoutes(const std::vector<URL>& routes) {
  for (const URL& r : routes) {
    grWG_.GoConn("route:" + r.Host, [this, r] { connectToRoute(r, true); });
  }
}

void Server::reConnectToRoute(const URL& url, RouteType rtype) {
  const bool tryForEver = rtype == Explicit;
  if (tryForEver && !sleepUnlessShutdown(DEFAULT_ROUTE_RECONNECT)) return;
  connectToRoute(url, tryForEver);
}

void Server::connectToRoute(const URL& url, bool tryForEver) {
  auto opts = getOpts();
  int attempts = 0;
  for (;;) {
    {
      MutexLock l(mu_);
      if (!running_) return;
    }
    if (tryForEver && !isConfiguredRoute(url)) {
      // A reload removed it (1.0.0 kept dialling it for ever).
      Debugf("Not connecting to route %s: no longer configured", url.Host.c_str());
      return;
    }
    Debugf("Trying to connect to route on %s", url.Host.c_str());
    std::string host, port, err;
    Fd conn;
    if (SplitHostPort(url.Host, host, port, err)) {
      auto p = Atoi(port);
      if (p && *p >= 0 && *p <= 65535) {
        conn = DialTCP(host, static_cast<int>(*p), static_cast<int>(DEFAULT_ROUTE_DIAL / 1ms), &err);
      } else {
        err = "dial tcp " + url.Host + ": unknown port";
      }
    }
    if (!conn.valid()) {
      Debugf("Error trying to connect to route: %s", err.c_str());
      if (!tryForEver) {
        if (opts->Cluster.ConnectRetries <= 0) return;
        if (++attempts > opts->Cluster.ConnectRetries) return;
      }
      if (!sleepUnlessShutdown(DEFAULT_ROUTE_CONNECT)) return;
      continue;
    }
    int one = 1;
    ::setsockopt(conn.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    createRoute(std::move(conn), &url);
    return;
  }
}

void Server::createRoute(Fd conn, const URL* rURL) {
  auto opts = getOpts();
  const bool didSolicit = rURL != nullptr;
  auto r = std::make_unique<route>();
  r->didSolicit = didSolicit;
  if (rURL) {
    const std::string host = ToLowerASCII(rURL->Host);
    for (const URL& configured : opts->Routes) {
      if (host == ToLowerASCII(configured.Host)) r->routeType = Explicit;
    }
    r->url = *rURL;
  }
  auto c = std::make_shared<client>(this, std::move(conn), ROUTER);
  std::string infoJSON;
  bool authRequired, tlsRequired;
  std::shared_ptr<const TLSConfig> tlsConfig;
  {
    MutexLock l(mu_);
    infoJSON = routeInfoJSON_;
    authRequired = routeInfo_.AuthRequired;
    tlsRequired = routeInfo_.TLSRequired;
    tlsConfig = routeTLSConfig_;
  }
  c->initClient();
  {
    MutexLock l(c->mu_);
    c->route_ = std::move(r);
  }
  setThreadName("rd:rid=" + std::to_string(c->cid()));
  c->Debugf("Route connection created");
  {
    // Shutdown closes what is in these maps: register before any blocking step.
    MutexLock l(mu_);
    if (!running_) {
      l.Unlock();
      c->closeConnection();
      c->finishConnection();
      return;
    }
    grTmpClients_.emplace(c->cid(), c);
  }
  if (tlsRequired && tlsConfig) {
    const auto timeout = secondsToDuration(opts->Cluster.TLSTimeout);
    bool ok;
    if (didSolicit) {
      c->Debugf("Starting TLS route client handshake");
      ok = c->tlsClientHandshake(*tlsConfig, rURL->Hostname(), timeout);
    } else {
      c->Debugf("Starting TLS route server handshake");
      ok = c->tlsHandshake(*tlsConfig, timeout);
    }
    if (!ok) {
      c->finishConnection();
      return;
    }
  }
  if (didSolicit) {
    MutexLock l(c->mu_);
    c->Debugf("Route connect msg sent");
    c->sendConnect(tlsRequired);
  }
  c->sendInfo(infoJSON);
  c->armTimers(authRequired && !didSolicit, secondsToDuration(opts->Cluster.AuthTimeout));
  c->readLoop();
}

std::pair<bool, bool> Server::addRoute(const std::shared_ptr<client>& c) {
  route mine;
  {
    MutexLock l(c->mu_);
    mine = *c->route_;
  }
  std::shared_ptr<client> existing;
  bool retry = false, sendInfo = false;
  {
    MutexLock l(mu_);
    if (!running_) return {false, false};
    auto it = remotes_.find(mine.remoteID);
    if (it != remotes_.end()) {
      existing = it->second;
    } else {
      grTmpClients_.erase(c->cid());
      routes_[c->cid()] = c;
      remotes_[mine.remoteID] = c;
      numRoutes_.store(static_cast<int>(routes_.size()), std::memory_order_relaxed);
      // The side with the lower id re-dials a lost route even if it did not
      // solicit it, so that both sides never give up at once.
      retry = info_.ID < mine.remoteID;
      sendInfo = routes_.size() > 1;
    }
  }
  if (!existing) {
    if (retry) {
      MutexLock l(c->mu_);
      c->route_->retry = true;
    }
    return {true, sendInfo};
  }
  if (mine.didSolicit) {
    // The registered connection takes over what the solicited duplicate
    // knows (its URL, explicit or not), keeping its own retry flag.
    MutexLock l(existing->mu_);
    if (existing->route_) {
      const bool keep = existing->route_->retry;
      *existing->route_ = mine;
      existing->route_->retry = keep;
    }
  }
  return {false, false};
}

void Server::processImplicitRoute(const Info& info) {
  auto opts = getOpts();
  URL r;
  {
    MutexLock l(mu_);
    if (info.ID == info_.ID) return;
    if (remotes_.count(info.ID)) return;
    if (hasThisRouteConfigured(info)) return;
    std::string err;
    auto u = ParseURL(info.IP, &err);
    if (!u) {
      Debugf("Error parsing URL from INFO: %s\n", err.c_str());
      return;
    }
    r = std::move(*u);
  }
  if (info.AuthRequired) {
    r.User = opts->Cluster.Username;
    r.Password = opts->Cluster.Password;
    r.HasUser = r.HasPassword = true;
  }
  grWG_.GoConn("route:" + r.Host, [this, r] { connectToRoute(r, false); });
}

bool Server::isConfiguredRoute(const URL& url) {
  const auto opts = getOpts();
  return std::find(opts->Routes.begin(), opts->Routes.end(), url) != opts->Routes.end();
}

bool Server::hasThisRouteConfigured(const Info& info) {
  const std::string want = ToLowerASCII(JoinHostPort(info.Host, info.Port));
  for (const URL& r : getOpts()->Routes) {
    if (ToLowerASCII(r.Host) == want) return true;
  }
  return false;
}

void Server::forwardNewRouteInfoToKnownServers(const Info& info) {
  const std::string proto = std::string(InfoProto).append(info.toJSON()).append(CR_LF);
  std::vector<std::shared_ptr<client>> routes;
  {
    MutexLock l(mu_);
    for (auto& [rid, r] : routes_) routes.push_back(r);
  }
  for (auto& r : routes) {
    MutexLock l(r->mu_);
    if (r->route_ && r->route_->remoteID != info.ID) r->sendProto(proto, true);
  }
}

void Server::sendLocalSubsToRoute(client& route) {
  std::string b;
  for (auto& c : clientsSnapshot()) {
    std::vector<std::shared_ptr<subscription>> subs;
    {
      MutexLock l(c->mu_);
      subs.reserve(c->subs_.size());
      for (auto& [sid, sub] : c->subs_) subs.push_back(sub);
    }
    for (auto& sub : subs) {
      b.append("SUB ").append(sub->subject).append(" ").append(sub->queue).append(" ");
      b.append(routeSid(*sub)).append(CR_LF);
    }
  }
  {
    MutexLock l(route.mu_);
    route.sendProto(b, true);
  }
  route.Debugf("Route sent local subscriptions");
}

void Server::broadcastInterestToRoutes(const std::string& proto) {
  std::vector<std::shared_ptr<client>> routes;
  {
    MutexLock l(mu_);
    routes.reserve(routes_.size());
    for (auto& [rid, r] : routes_) routes.push_back(r);
  }
  const std::string_view arg = std::string_view(proto).substr(0, proto.size() - LEN_CR_LF);
  for (auto& r : routes) {
    {
      MutexLock l(r->mu_);
      r->sendProto(proto, true);
    }
    r->traceOutOp("", arg);
  }
}

void Server::broadcastSubscribe(const subscription& sub) {
  if (numRoutes_.load(std::memory_order_relaxed) == 0) return;
  std::string proto = "SUB ";
  proto.append(sub.subject).append(" ").append(sub.queue).append(" ").append(routeSid(sub)).append(CR_LF);
  broadcastInterestToRoutes(proto);
}

void Server::broadcastUnSubscribe(const subscription& sub) {
  if (numRoutes_.load(std::memory_order_relaxed) == 0) return;
  std::string proto = "UNSUB ";
  proto.append(routeSid(sub));
  {
    // A pending auto-unsubscribe limit travels with the UNSUB.
    MutexLock l(sub.client->mu_);
    if (sub.max > 0 && sub.nm < sub.max) proto.append(" ").append(std::to_string(sub.max));
  }
  proto.append(CR_LF);
  broadcastInterestToRoutes(proto);
}

bool Server::routeSidQueueSubscriber(std::string_view rsid, std::shared_ptr<subscription>* sub) {
  uint64_t cid;
  std::string_view sid;
  sub->reset();
  if (!parseRouteSid(rsid, &cid, &sid)) return false;
  std::shared_ptr<client> c;
  {
    MutexLock l(mu_);
    auto it = clients_.find(cid);
    if (it == clients_.end()) return true;
    c = it->second;
  }
  MutexLock l(c->mu_);
  auto it = c->subs_.find(sid);
  if (it != c->subs_.end()) *sub = it->second;
  return true;
}

bool Server::updateServerINFO(const std::vector<std::string>& urls) {
  MutexLock l(mu_);
  if (getOpts()->Cluster.NoAdvertise) return false;
  bool updated = false;
  for (const std::string& u : urls) {
    auto& known = infoState_.ClientConnectURLs;
    if (std::find(known.begin(), known.end(), u) == known.end()) {
      known.push_back(u);
      updated = true;
    }
  }
  if (updated) generateServerInfoJSON();
  return updated;
}

void Server::sendAsyncInfoToClients() {
  const std::string proto = infoJSON();
  for (auto& c : clientsSnapshot()) {
    MutexLock l(c->mu_);
    if (!c->connectReceived_) {
      // Told with the first PONG, once the client has said what it supports.
      c->infoUpdated_ = true;
    } else if (c->opts_.Protocol >= ClientProtoInfo) {
      if (c->firstPongSent_) {
        c->sendProto(proto, true);
      } else {
        c->infoUpdated_ = true;
      }
    }
  }
}

void Server::reconnectRouteIfNeeded(const route& r) {
  if (r.closed) return;  // closed on purpose
  if (!r.didSolicit && !r.retry) return;
  if (!r.url) return;
  {
    MutexLock l(mu_);
    if (!running_) return;
    const std::string url = r.url->String();
    if (!r.remoteID.empty() && remotes_.count(r.remoteID)) {
      Debugf("Not attempting reconnect for solicited route, already connected to \"%s\"", r.remoteID.c_str());
      return;
    }
    if (r.remoteID == info_.ID) {
      Debugf("Detected route to self, ignoring \"%s\"", url.c_str());
      return;
    }
    if (r.routeType == Implicit && !r.retry) return;
    Debugf("Attempting reconnect for solicited route \"%s\"", url.c_str());
  }
  const URL url = *r.url;
  const RouteType rtype = r.routeType;
  grWG_.GoConn("route:" + url.Host, [this, url, rtype] { reConnectToRoute(url, rtype); });
}

}  // namespace gnatsd::server
