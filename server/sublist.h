// Go: server/sublist.go (gnatsd v1.0.0)
// Subject trie of subscriptions plus a bounded cache of match results by published subject.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/errors.h"
#include "server/mutex.h"
#include "server/stringhash.h"
#include "server/subscription.h"

namespace gnatsd::server {

// Wildcard bytes and the token separator.
inline constexpr char pwc = '*';
inline constexpr char fwc = '>';
inline constexpr char btsep = '.';

// Most subjects a Sublist keeps match results for. Past this, one arbitrary
// entry is dropped on each new Match miss.
inline constexpr std::size_t slCacheMax = 1024;

// The subscriptions interested in one published subject.
//
// Immutable once a Sublist hands it out: the cache, every caller of Match and
// the per-client caches share the same object through
// std::shared_ptr<const SublistResult>, and may keep it after the Sublist
// changed (an Insert replaces cache entries with patched copies, a Remove
// drops them). A caller who holds one may therefore deliver to a subscription
// that has just been removed; the client layer checks for that.
struct SublistResult {
  std::vector<std::shared_ptr<subscription>> psubs;  // plain subscriptions
  // One inner vector per queue group name, each non-empty; a group that
  // appears at several trie nodes (say `foo.*` and `foo.>`) is merged into one.
  std::vector<std::vector<std::shared_ptr<subscription>>> qsubs;
};

// A snapshot of the counters, for /subsz. JSON is the monitor's business.
struct SublistStats {
  uint32_t NumSubs = 0;
  uint32_t NumCache = 0;
  uint64_t NumInserts = 0;
  uint64_t NumRemoves = 0;
  uint64_t NumMatches = 0;
  double CacheHitRate = 0;  // cache hits / matches; 0 before the first match
  uint32_t MaxFanout = 0;   // over cached results: plain subs + queue groups
  double AvgFanout = 0;
};

// Stores subscriptions by subject and finds those matching a published
// subject.
//
// Thread safety: every public method may be called from any thread at any
// time; one RWMutex guards the trie, the cache and the insert/remove
// counters, while the match and hit counters and the generation id are
// atomics. The subscription objects passed in are shared, not copied: their
// `subject` and `queue` must not change while they are in the Sublist.
class Sublist {
 public:
  Sublist();
  ~Sublist();
  Sublist(const Sublist&) = delete;
  Sublist& operator=(const Sublist&) = delete;

  // Adds sub under sub->subject (to the queue group sub->queue when that is
  // not empty). A token counts as `*` or `>` when its first byte is one, as
  // in gnatsd 1.0.0: `foo.*bar` is stored as `foo.*`. Returns
  // ErrInvalidSubject for an empty token or a token after a `>` token. No
  // duplicate check: inserting the same sub twice stores it twice. Cached
  // results that the new subject matches are replaced by copies that include
  // sub. Takes the write lock.
  Error Insert(const std::shared_ptr<subscription>& sub) EXCLUDES(mu_);

  // Removes this very object (compared by address) from the node for
  // sub->subject, pruning nodes left empty. Returns ErrInvalidSubject for a
  // malformed subject, ErrNotFound when sub is not stored there. Cached
  // results that the subject matches are dropped, to be rebuilt by the next
  // Match. Takes the write lock.
  Error Remove(const std::shared_ptr<subscription>& sub) EXCLUDES(mu_);

  // Returns the subscriptions whose subjects match literalSubject. Never null.
  // The subject is not validated (a PUB to `m..n` is matched as given).
  // A cache hit takes the read lock and allocates nothing; a miss walks the
  // trie under the write lock and caches the result under a copy of the
  // subject.
  std::shared_ptr<const SublistResult> Match(std::string_view literalSubject) EXCLUDES(mu_);

  // Number of stored subscriptions. Takes the read lock.
  uint32_t Count() const EXCLUDES(mu_);
  // Number of cached results. Takes the read lock.
  uint32_t CacheCount() const EXCLUDES(mu_);
  // All counters at one instant. Takes the read lock and walks the cache.
  SublistStats Stats() const EXCLUDES(mu_);

  // Bumped after every successful Insert and Remove, while the write lock is
  // still held. A per-client result cache stamped with an older value is
  // stale. Lock-free.
  uint64_t GenID() const { return genid_.load(); }

  // Depth of the deepest branch of the trie (Go keeps this unexported; the
  // tests use it to check pruning). Takes the read lock.
  int numLevels() const EXCLUDES(mu_);

 private:
  struct node;
  struct level;

  void addToCache(std::string_view subject, const std::shared_ptr<subscription>& sub) REQUIRES(mu_);
  void removeFromCache(std::string_view subject) REQUIRES(mu_);
  void evictOneFromCache() REQUIRES(mu_);
  bool removeFromNode(node* n, const std::shared_ptr<subscription>& sub) REQUIRES(mu_);

  // These walk trie nodes reached from root_, so the caller holds mu_.
  static void matchLevel(const level* l, std::span<const std::string_view> toks,
                         SublistResult& results);
  static void addNodeToResults(const node* n, SublistResult& results);
  static int visitLevel(const level* l, int depth);

  // Match and hit counts are bumped under the read lock by many threads at
  // once, hence atomics; the generation id is read with no lock at all.
  std::atomic<uint64_t> genid_{0};
  std::atomic<uint64_t> matches_{0};
  std::atomic<uint64_t> cacheHits_{0};

  mutable RWMutex mu_;
  uint64_t inserts_ GUARDED_BY(mu_) = 0;
  uint64_t removes_ GUARDED_BY(mu_) = 0;
  uint32_t count_ GUARDED_BY(mu_) = 0;
  uint64_t evictState_ GUARDED_BY(mu_);  // xorshift state choosing which cache entry to drop
  std::unordered_map<std::string, std::shared_ptr<const SublistResult>, StringHash,
                     std::equal_to<>>
      cache_ GUARDED_BY(mu_);
  std::unique_ptr<level> root_ GUARDED_BY(mu_);
};

// True if subject is non-empty, has no empty token and nothing after a `>`
// token. Only a token that is exactly `*` or `>` is a wildcard here.
bool IsValidSubject(std::string_view subject);

// True if subject has no empty token and no token that is exactly `*` or `>`.
bool IsValidLiteralSubject(std::string_view subject);

// True if no token is exactly `*` or `>` (empty tokens are not checked).
// Not in gnatsd 1.0.0; later nats-server versions have it.
bool subjectIsLiteral(std::string_view subject);

// Byte-wise check of a literal subject (a cache key) against a subscription
// subject: a `*` byte skips the rest of the literal's token, a `>` byte
// matches everything after it. Used to find the cache entries an Insert or
// Remove affects; like gnatsd 1.0.0 it looks at bytes, not whole tokens.
bool matchLiteral(std::string_view literal, std::string_view subject);

}  // namespace gnatsd::server
