// Go: server/route.go (gnatsd v1.0.0)
// Cluster routes: what a route connection knows of its peer, and the routed
// sid format. The route code itself is in route.cpp (Server and client
// methods, as in Go).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/url.h"

namespace gnatsd::server {

struct subscription;

// Go: RouteType. Implicit routes were learned from a peer's INFO; explicit
// ones are in the configuration (and are re-dialled for ever).
enum RouteType : int { Implicit = 0, Explicit = 1 };

// Go: type route. Guarded by the owning client's mutex.
struct route {
  std::string remoteID;  // the peer's server id (CONNECT "name", then INFO)
  bool didSolicit = false;
  bool retry = false;  // re-dial when lost, even if implicit (addRoute)
  RouteType routeType = Implicit;
  std::optional<URL> url;
  bool authRequired = false;
  bool tlsRequired = false;
  bool closed = false;  // closed on purpose (a reload): never re-dialled
};

// Go: RSID / QRSID. A subscription as a route sees it:
// "RSID:<cid>:<sid>", or "QRSID:<cid>:<sid>" for a queue subscription.
inline constexpr std::string_view RSID = "RSID";
inline constexpr std::string_view QRSID = "QRSID";

// Go: ConProto / InfoProto (route INFO has no space before CRLF).
inline constexpr std::string_view ConProto = "CONNECT ";
inline constexpr std::string_view InfoProto = "INFO ";

// Go: routeSid. sub->client must be set.
std::string routeSid(const subscription& sub);

// Go: parseRouteSid. True when rsid names a queue subscription ("QRSID"
// prefix); *cid and *sid are then its origin (cid 0 and an empty sid when
// the rest is malformed, which matches no subscription).
bool parseRouteSid(std::string_view rsid, uint64_t* cid, std::string_view* sid);

}  // namespace gnatsd::server
