// Go: server/client.go (type subscription), gnatsd v1.0.0
// One SUB of one connection, shared by the client's sid map and the Sublist.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace gnatsd::server {

class client;

// Lifetime: owned by std::shared_ptr. The owning client keeps one in its sid
// map; the Sublist trie and every cached SublistResult keep others, so a
// publisher that matched a result may still deliver to a subscription whose
// client is closing (deliverMsg then sees the client closed and skips it).
// `client` is never reset: closeConnection clears the client's sid map,
// which breaks the client -> subscription -> client cycle, and a
// subscription still held by a cached result keeps its closed client object
// (not the socket) alive until that result is dropped.
struct subscription {
  std::shared_ptr<server::client> client;  // nullptr in Sublist unit tests
  std::string subject;
  std::string queue;  // empty: not a queue subscription
  std::string sid;
  // nm (messages delivered) and max (auto-unsubscribe limit, 0 = none) are
  // guarded by the owning client's mutex, as in Go.
  int64_t nm = 0;
  int64_t max = 0;
};

}  // namespace gnatsd::server
