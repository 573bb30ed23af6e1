// Go: server/sublist.go (gnatsd v1.0.0)
// Subject trie of subscriptions plus a bounded cache of match results by published subject.
#include "server/sublist.h"

#include <algorithm>
#include <array>
#include <utility>

namespace gnatsd::server {

// A trie node: the subscriptions whose subject ends here and the level below.
struct Sublist::node {
  std::unique_ptr<level> next;  // always present once the node exists (made on insert)
  std::vector<std::shared_ptr<subscription>> psubs;
  std::vector<std::vector<std::shared_ptr<subscription>>> qsubs;  // one vector per queue name

  bool isEmpty() const;
};

// One token position: literal tokens by name, and the `*` and `>` children
// kept apart so that matching never has to scan the map.
struct Sublist::level {
  std::unordered_map<std::string, std::unique_ptr<node>, StringHash, std::equal_to<>> nodes;
  std::unique_ptr<node> pwc;
  std::unique_ptr<node> fwc;

  int numNodes() const;
  void pruneNode(const node* n, std::string_view t);
};

namespace {

// Up to N values in place, the rest on the heap. Holds the tokens of a
// subject (and Remove's path through the trie) without allocating for any
// realistic subject; a deeper one still works, it just allocates.
template <class T, std::size_t N>
class fixedList {
 public:
  void push_back(const T& v) {
    if (n_ < N) {
      inline_[n_++] = v;
      return;
    }
    if (spill_.empty()) spill_.assign(inline_.begin(), inline_.end());
    spill_.push_back(v);
    ++n_;
  }
  std::size_t size() const { return n_; }
  std::span<const T> view() const {
    if (n_ <= N) return std::span<const T>(inline_.data(), n_);
    return std::span<const T>(spill_);
  }

 private:
  std::array<T, N> inline_{};
  std::vector<T> spill_;
  std::size_t n_ = 0;
};

using tokenList = fixedList<std::string_view, 32>;

// Splits on every '.', keeping empty tokens so that callers can reject them.
// The views point into subject.
void tokenize(std::string_view subject, tokenList& tokens) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < subject.size(); ++i) {
    if (subject[i] == btsep) {
      tokens.push_back(subject.substr(start, i - start));
      start = i + 1;
    }
  }
  tokens.push_back(subject.substr(start));
}

using subList = std::vector<std::shared_ptr<subscription>>;

// Index of the group in qsl with sub's queue name, or -1 (also for a plain
// sub). A linear scan: groups per subject are few, and the result's vector of
// groups is what publishers iterate.
int findQSliceForSub(const subscription& sub, const std::vector<subList>& qsl) {
  if (sub.queue.empty()) return -1;
  for (std::size_t i = 0; i < qsl.size(); ++i) {
    if (!qsl[i].empty() && qsl[i][0]->queue == sub.queue) return static_cast<int>(i);
  }
  return -1;
}

// Gives memory back after a big group shrank: past 8 slots, when more than
// half of the capacity is unused.
void shrinkAsNeeded(subList& sl) {
  const std::size_t lsl = sl.size();
  const std::size_t csl = sl.capacity();
  if (csl <= 8) return;
  if (2 * (csl - lsl) > csl) subList(sl.begin(), sl.end()).swap(sl);
}

// Removes this very object (not an equal one) by moving the last element into
// its slot, so the order of the others may change, as in gnatsd.
bool removeSubFromList(const std::shared_ptr<subscription>& sub, subList& sl) {
  for (std::size_t i = 0; i < sl.size(); ++i) {
    if (sl[i] == sub) {
      if (i + 1 != sl.size()) sl[i] = std::move(sl.back());
      sl.pop_back();
      shrinkAsNeeded(sl);
      return true;
    }
  }
  return false;
}

// Deep copy of a published result: the vectors are copied, the subscriptions
// stay shared.
std::shared_ptr<SublistResult> copyResult(const SublistResult& r) {
  return std::make_shared<SublistResult>(r);
}

// Appends sub to a result under construction, to its queue group if any.
void addSubToResult(SublistResult& r, const std::shared_ptr<subscription>& sub) {
  if (sub->queue.empty()) {
    r.psubs.push_back(sub);
  } else if (int i = findQSliceForSub(*sub, r.qsubs); i >= 0) {
    r.qsubs[static_cast<std::size_t>(i)].push_back(sub);
  } else {
    r.qsubs.push_back(subList{sub});
  }
}

}  // namespace

bool Sublist::node::isEmpty() const {
  return psubs.empty() && qsubs.empty() && (next == nullptr || next->numNodes() == 0);
}

int Sublist::level::numNodes() const {
  int num = static_cast<int>(nodes.size());
  if (pwc) ++num;
  if (fwc) ++num;
  return num;
}

// Drops n, which hangs off this level under token t. Comparing the wildcard
// slots first matters: a `*bar` token names the `*` slot, not a map entry.
void Sublist::level::pruneNode(const node* n, std::string_view t) {
  if (n == nullptr) return;
  if (n == fwc.get()) {
    fwc.reset();
  } else if (n == pwc.get()) {
    pwc.reset();
  } else if (auto it = nodes.find(t); it != nodes.end()) {
    nodes.erase(it);
  }
}

Sublist::Sublist() : evictState_(0x9E3779B97F4A7C15ull), root_(std::make_unique<level>()) {}

Sublist::~Sublist() = default;

Error Sublist::Insert(const std::shared_ptr<subscription>& sub) {
  const std::string_view subject = sub->subject;
  tokenList tokens;
  tokenize(subject, tokens);

  WriteLock lock(mu_);

  bool sfwc = false;
  level* l = root_.get();
  node* n = nullptr;
  for (std::string_view t : tokens.view()) {
    // Nodes made for earlier tokens stay when a later one is bad, as in
    // gnatsd; Remove of the same bad subject then walks them and reports
    // ErrInvalidSubject rather than ErrNotFound.
    if (t.empty() || sfwc) return ErrInvalidSubject;

    // Only the first byte is looked at, so `*bar` is filed as `*` and `>x`
    // as `>` (gnatsd 1.0.0 does the same; clients can see it).
    std::unique_ptr<node>* slot;
    switch (t[0]) {
      case pwc:
        slot = &l->pwc;
        break;
      case fwc:
        slot = &l->fwc;
        sfwc = true;
        break;
      default: {
        auto it = l->nodes.find(t);
        if (it == l->nodes.end()) it = l->nodes.emplace(std::string(t), nullptr).first;
        slot = &it->second;
      }
    }
    if (*slot == nullptr) *slot = std::make_unique<node>();
    n = slot->get();
    if (n->next == nullptr) n->next = std::make_unique<level>();
    l = n->next.get();
  }

  if (sub->queue.empty()) {
    n->psubs.push_back(sub);
  } else if (int i = findQSliceForSub(*sub, n->qsubs); i >= 0) {
    n->qsubs[static_cast<std::size_t>(i)].push_back(sub);
  } else {
    n->qsubs.push_back(subList{sub});
  }

  ++count_;
  ++inserts_;
  addToCache(subject, sub);
  // Bumped last, under the lock: whoever sees the new id and then calls
  // Match is guaranteed to see this insert.
  genid_.fetch_add(1);
  return {};
}

// Patches every cached result the new subscription belongs to. Readers may
// still hold the old result, so each one is replaced by a patched copy rather
// than changed in place.
void Sublist::addToCache(std::string_view subject, const std::shared_ptr<subscription>& sub) {
  for (auto& [key, result] : cache_) {
    if (!matchLiteral(key, subject)) continue;
    std::shared_ptr<SublistResult> nr = copyResult(*result);
    addSubToResult(*nr, sub);
    result = std::move(nr);
  }
}

// Drops every cached result the removed subject matches. Copying each one
// without the sub would also work, but a miss rebuilds it just as well.
void Sublist::removeFromCache(std::string_view subject) {
  std::erase_if(cache_, [subject](const auto& kv) { return matchLiteral(kv.first, subject); });
}

// Keeps the cache at slCacheMax. Any entry will do, but not always the same
// one: libstdc++'s begin() is usually the entry just added, and dropping that
// each time would pin the cache to the first 1024 subjects ever published.
// gnatsd gets its victim from Go's randomised map iteration; we probe random
// buckets until one holds an entry, which at the table's load (about half
// the buckets in use) takes a try or three.
void Sublist::evictOneFromCache() {
  const std::size_t nb = cache_.bucket_count();
  for (int tries = 0; tries < 64; ++tries) {
    evictState_ ^= evictState_ << 13;
    evictState_ ^= evictState_ >> 7;
    evictState_ ^= evictState_ << 17;
    const std::size_t b = static_cast<std::size_t>(evictState_ % nb);
    if (cache_.begin(b) != cache_.end(b)) {
      cache_.erase(cache_.find(cache_.begin(b)->first));
      return;
    }
  }
  cache_.erase(cache_.begin());  // only after 64 empty buckets in a row
}

std::shared_ptr<const SublistResult> Sublist::Match(std::string_view subject) {
  std::shared_ptr<const SublistResult> rc;
  {
    ReadLock lock(mu_);
    matches_.fetch_add(1, std::memory_order_relaxed);
    if (auto it = cache_.find(subject); it != cache_.end()) rc = it->second;
  }
  if (rc) {
    cacheHits_.fetch_add(1, std::memory_order_relaxed);
    return rc;
  }

  tokenList tokens;
  tokenize(subject, tokens);
  auto result = std::make_shared<SublistResult>();

  // The walk only reads the trie, but it runs under the write lock so that no
  // Insert can slip in between the walk and the cache store: the Insert would
  // not find the entry to patch, and the entry would miss its subscription.
  WriteLock lock(mu_);
  matchLevel(root_.get(), tokens.view(), *result);
  // Another thread may have cached the same subject meanwhile; ours is as
  // fresh as theirs, so overwriting is fine.
  cache_.insert_or_assign(std::string(subject), result);
  if (cache_.size() > slCacheMax) evictOneFromCache();
  return result;
}

void Sublist::addNodeToResults(const node* n, SublistResult& results) {
  results.psubs.insert(results.psubs.end(), n->psubs.begin(), n->psubs.end());
  for (const subList& qr : n->qsubs) {
    if (qr.empty()) continue;
    // The same group name at another node (`foo.*` and `foo.>`, say) joins
    // the group already in the result, so a publisher picks one member of
    // the whole group.
    if (int i = findQSliceForSub(*qr[0], results.qsubs); i >= 0) {
      subList& into = results.qsubs[static_cast<std::size_t>(i)];
      into.insert(into.end(), qr.begin(), qr.end());
    } else {
      results.qsubs.push_back(qr);
    }
  }
}

// At each level a `>` child matches whatever is left, a `*` child consumes
// this token and continues below it, and the literal child is followed
// iteratively. The `*` node of the last level and the last literal node hold
// the subscriptions that end exactly at the subject's last token.
void Sublist::matchLevel(const level* l, std::span<const std::string_view> toks,
                         SublistResult& results) {
  const node* pwcNode = nullptr;
  const node* n = nullptr;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    if (l == nullptr) return;
    if (l->fwc) addNodeToResults(l->fwc.get(), results);
    pwcNode = l->pwc.get();
    if (pwcNode != nullptr) matchLevel(pwcNode->next.get(), toks.subspan(i + 1), results);
    auto it = l->nodes.find(toks[i]);
    n = it != l->nodes.end() ? it->second.get() : nullptr;
    l = n != nullptr ? n->next.get() : nullptr;
  }
  if (n != nullptr) addNodeToResults(n, results);
  if (pwcNode != nullptr) addNodeToResults(pwcNode, results);
}

Error Sublist::Remove(const std::shared_ptr<subscription>& sub) {
  const std::string_view subject = sub->subject;
  tokenList tokens;
  tokenize(subject, tokens);

  // The path walked, deepest last, so that emptied nodes can be pruned
  // bottom-up.
  struct lnt {
    level* l = nullptr;
    node* n = nullptr;
    std::string_view t;
  };
  fixedList<lnt, 32> levels;

  WriteLock lock(mu_);

  bool sfwc = false;
  level* l = root_.get();
  node* n = nullptr;
  for (std::string_view t : tokens.view()) {
    // Validation comes before the missing-path check, so a bad subject is
    // reported as such even when nothing is stored under it.
    if (t.empty() || sfwc) return ErrInvalidSubject;
    if (l == nullptr) return ErrNotFound;
    switch (t[0]) {
      case pwc:
        n = l->pwc.get();
        break;
      case fwc:
        n = l->fwc.get();
        sfwc = true;
        break;
      default: {
        auto it = l->nodes.find(t);
        n = it != l->nodes.end() ? it->second.get() : nullptr;
      }
    }
    if (n != nullptr) {
      levels.push_back(lnt{l, n, t});
      l = n->next.get();
    } else {
      l = nullptr;
    }
  }
  if (!removeFromNode(n, sub)) return ErrNotFound;

  --count_;
  ++removes_;

  // Deepest first: a node whose only child was just pruned may now be empty
  // too. Pruning frees the node and the level below it, whose entries have
  // been dealt with already.
  std::span<const lnt> path = levels.view();
  for (std::size_t i = path.size(); i-- > 0;) {
    if (path[i].n->isEmpty()) path[i].l->pruneNode(path[i].n, path[i].t);
  }
  removeFromCache(subject);
  genid_.fetch_add(1);
  return {};
}

bool Sublist::removeFromNode(node* n, const std::shared_ptr<subscription>& sub) {
  if (n == nullptr) return false;
  if (sub->queue.empty()) return removeSubFromList(sub, n->psubs);

  const int i = findQSliceForSub(*sub, n->qsubs);
  if (i < 0) return false;
  auto qi = n->qsubs.begin() + i;
  const bool found = removeSubFromList(sub, *qi);
  if (qi->empty()) {
    // Last member gone: the group goes too, with the last group moved into
    // its place, and results never carry an empty group.
    if (qi + 1 != n->qsubs.end()) *qi = std::move(n->qsubs.back());
    n->qsubs.pop_back();
    if (n->qsubs.empty()) n->qsubs.shrink_to_fit();
  }
  return found;
}

uint32_t Sublist::Count() const {
  ReadLock lock(mu_);
  return count_;
}

uint32_t Sublist::CacheCount() const {
  ReadLock lock(mu_);
  return static_cast<uint32_t>(cache_.size());
}

// gnatsd takes the write lock here; nothing is written, so the read lock is
// enough and /subsz does not stall publishers.
SublistStats Sublist::Stats() const {
  ReadLock lock(mu_);
  SublistStats st;
  st.NumSubs = count_;
  st.NumCache = static_cast<uint32_t>(cache_.size());
  st.NumInserts = inserts_;
  st.NumRemoves = removes_;
  st.NumMatches = matches_.load(std::memory_order_relaxed);
  if (st.NumMatches > 0) {
    st.CacheHitRate = static_cast<double>(cacheHits_.load(std::memory_order_relaxed)) /
                      static_cast<double>(st.NumMatches);
  }
  // Fanout counts what a publisher iterates: each plain sub, and each queue
  // group once.
  std::size_t tot = 0;
  std::size_t max = 0;
  for (const auto& [key, r] : cache_) {
    const std::size_t fan = r->psubs.size() + r->qsubs.size();
    tot += fan;
    max = std::max(max, fan);
  }
  st.MaxFanout = static_cast<uint32_t>(max);
  if (tot > 0) st.AvgFanout = static_cast<double>(tot) / static_cast<double>(cache_.size());
  return st;
}

int Sublist::numLevels() const {
  ReadLock lock(mu_);
  return visitLevel(root_.get(), 0);
}

int Sublist::visitLevel(const level* l, int depth) {
  if (l == nullptr || l->numNodes() == 0) return depth;
  ++depth;
  int maxDepth = depth;
  for (const auto& [t, n] : l->nodes) {
    if (n) maxDepth = std::max(maxDepth, visitLevel(n->next.get(), depth));
  }
  if (l->pwc) maxDepth = std::max(maxDepth, visitLevel(l->pwc->next.get(), depth));
  if (l->fwc) maxDepth = std::max(maxDepth, visitLevel(l->fwc->next.get(), depth));
  return maxDepth;
}

bool IsValidSubject(std::string_view subject) {
  if (subject.empty()) return false;
  bool sfwc = false;
  tokenList tokens;
  tokenize(subject, tokens);
  for (std::string_view t : tokens.view()) {
    if (t.empty() || sfwc) return false;
    if (t.size() == 1 && t[0] == fwc) sfwc = true;
  }
  return true;
}

bool IsValidLiteralSubject(std::string_view subject) {
  tokenList tokens;
  tokenize(subject, tokens);
  for (std::string_view t : tokens.view()) {
    if (t.empty()) return false;
    if (t.size() == 1 && (t[0] == pwc || t[0] == fwc)) return false;
  }
  return true;
}

bool subjectIsLiteral(std::string_view subject) {
  for (std::size_t i = 0; i < subject.size(); ++i) {
    const char c = subject[i];
    if (c != pwc && c != fwc) continue;
    const bool startsToken = i == 0 || subject[i - 1] == btsep;
    const bool endsToken = i + 1 == subject.size() || subject[i + 1] == btsep;
    if (startsToken && endsToken) return false;
  }
  return true;
}

bool matchLiteral(std::string_view literal, std::string_view subject) {
  std::size_t li = 0;
  const std::size_t ll = literal.size();
  for (std::size_t i = 0; i < subject.size(); ++i) {
    if (li >= ll) return false;
    const char b = subject[i];
    if (b == pwc) {
      // Consume the literal up to its next separator; the subject's next
      // byte (a separator, if the subject is well formed) is compared
      // against it. Any `*` byte counts, even inside a token.
      while (li < ll && literal[li] != btsep) ++li;
      continue;
    }
    if (b == fwc) return true;
    if (b != literal[li]) return false;
    ++li;
  }
  return li >= ll;
}

}  // namespace gnatsd::server
