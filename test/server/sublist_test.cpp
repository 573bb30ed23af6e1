// Go: server/sublist_test.go
// The Sublist tests of gnatsd 1.0.0, plus C++-only checks of the cache rules, thread safety and allocation.
#include "server/sublist.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

// Counting replacements for the global allocation functions, so a test can
// see whether a code path allocates. The count is per thread: only the
// allocations of the thread under test are looked at. Every plain and
// nothrow form is replaced, all over malloc/free, so that memory from one
// form freed by another (Catch2 news with nothrow) stays consistent under
// ASan; the aligned forms keep their defaults, which pair with each other.
namespace {
thread_local uint64_t tlsAllocs = 0;

void* countedAlloc(std::size_t n) noexcept {
  ++tlsAllocs;
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = countedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = countedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return countedAlloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return countedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace gnatsd::server;

namespace {

using subPtr = std::shared_ptr<subscription>;
using subList = std::vector<subPtr>;

subPtr newSub(const std::string& subject) {
  auto s = std::make_shared<subscription>();
  s->subject = subject;
  return s;
}

subPtr newQSub(const std::string& subject, const std::string& queue) {
  auto s = newSub(subject);
  s->queue = queue;
  return s;
}

void verifyCount(const Sublist& s, uint32_t count) {
  INFO("Count is " << s.Count() << ", should be " << count);
  REQUIRE(s.Count() == count);
}

void verifyLen(const subList& r, std::size_t l) {
  INFO("Results len is " << r.size() << ", should be " << l);
  REQUIRE(r.size() == l);
}

void verifyQLen(const std::vector<subList>& r, std::size_t l) {
  INFO("Queue Results len is " << r.size() << ", should be " << l);
  REQUIRE(r.size() == l);
}

void verifyNumLevels(const Sublist& s, int expected) {
  const int dl = s.numLevels();
  INFO("NumLevels is " << dl << ", should be " << expected);
  REQUIRE(dl == expected);
}

void verifyMember(const subList& r, const subPtr& val) {
  INFO("Value '" << val->subject << "' (queue '" << val->queue << "') not found in results");
  REQUIRE(std::find(r.begin(), r.end(), val) != r.end());
}

void checkBool(bool b, bool expected) { REQUIRE(b == expected); }

int depthOf(const std::string& subject) {
  return static_cast<int>(std::count(subject.begin(), subject.end(), '.')) + 1;
}

// Cache hits so far, recovered from the stats.
uint64_t cacheHits(const Sublist& s) {
  const SublistStats st = s.Stats();
  return static_cast<uint64_t>(std::llround(st.CacheHitRate * static_cast<double>(st.NumMatches)));
}

}  // namespace

TEST_CASE("TestSublistInit", "[sublist]") {
  Sublist s;
  verifyCount(s, 0);
}

TEST_CASE("TestSublistInsertCount", "[sublist]") {
  Sublist s;
  REQUIRE_FALSE(s.Insert(newSub("foo")));
  REQUIRE_FALSE(s.Insert(newSub("bar")));
  REQUIRE_FALSE(s.Insert(newSub("foo.bar")));
  verifyCount(s, 3);
}

TEST_CASE("TestSublistSimple", "[sublist]") {
  Sublist s;
  const std::string subject = "foo";
  auto sub = newSub(subject);
  s.Insert(sub);
  auto r = s.Match(subject);
  verifyLen(r->psubs, 1);
  verifyMember(r->psubs, sub);
}

TEST_CASE("TestSublistSimpleMultiTokens", "[sublist]") {
  Sublist s;
  const std::string subject = "foo.bar.baz";
  auto sub = newSub(subject);
  s.Insert(sub);
  auto r = s.Match(subject);
  verifyLen(r->psubs, 1);
  verifyMember(r->psubs, sub);
}

TEST_CASE("TestSublistPartialWildcard", "[sublist]") {
  Sublist s;
  auto lsub = newSub("a.b.c");
  auto psub = newSub("a.*.c");
  s.Insert(lsub);
  s.Insert(psub);
  auto r = s.Match("a.b.c");
  verifyLen(r->psubs, 2);
  verifyMember(r->psubs, lsub);
  verifyMember(r->psubs, psub);
}

TEST_CASE("TestSublistPartialWildcardAtEnd", "[sublist]") {
  Sublist s;
  auto lsub = newSub("a.b.c");
  auto psub = newSub("a.b.*");
  s.Insert(lsub);
  s.Insert(psub);
  auto r = s.Match("a.b.c");
  verifyLen(r->psubs, 2);
  verifyMember(r->psubs, lsub);
  verifyMember(r->psubs, psub);
}

TEST_CASE("TestSublistFullWildcard", "[sublist]") {
  Sublist s;
  auto lsub = newSub("a.b.c");
  auto fsub = newSub("a.>");
  s.Insert(lsub);
  s.Insert(fsub);
  auto r = s.Match("a.b.c");
  verifyLen(r->psubs, 2);
  verifyMember(r->psubs, lsub);
  verifyMember(r->psubs, fsub);
}

TEST_CASE("TestSublistRemove", "[sublist]") {
  Sublist s;
  const std::string subject = "a.b.c.d";
  auto sub = newSub(subject);
  s.Insert(sub);
  verifyCount(s, 1);
  auto r = s.Match(subject);
  verifyLen(r->psubs, 1);
  REQUIRE(s.Remove(newSub("a.b.c")) == ErrNotFound);
  verifyCount(s, 1);
  REQUIRE_FALSE(s.Remove(sub));
  verifyCount(s, 0);
  r = s.Match(subject);
  verifyLen(r->psubs, 0);
}

TEST_CASE("TestSublistRemoveWildcard", "[sublist]") {
  Sublist s;
  const std::string subject = "a.b.c.d";
  auto sub = newSub(subject);
  auto psub = newSub("a.b.*.d");
  auto fsub = newSub("a.b.>");
  s.Insert(sub);
  s.Insert(psub);
  s.Insert(fsub);
  verifyCount(s, 3);
  auto r = s.Match(subject);
  verifyLen(r->psubs, 3);
  s.Remove(sub);
  verifyCount(s, 2);
  s.Remove(fsub);
  verifyCount(s, 1);
  s.Remove(psub);
  verifyCount(s, 0);
  r = s.Match(subject);
  verifyLen(r->psubs, 0);
}

TEST_CASE("TestSublistRemoveCleanup", "[sublist]") {
  Sublist s;
  const std::string literal = "a.b.c.d.e.f";
  const int depth = depthOf(literal);
  auto sub = newSub(literal);
  verifyNumLevels(s, 0);
  s.Insert(sub);
  verifyNumLevels(s, depth);
  s.Remove(sub);
  verifyNumLevels(s, 0);
}

TEST_CASE("TestSublistRemoveCleanupWildcards", "[sublist]") {
  Sublist s;
  const std::string subject = "a.b.*.d.e.>";
  const int depth = depthOf(subject);
  auto sub = newSub(subject);
  verifyNumLevels(s, 0);
  s.Insert(sub);
  verifyNumLevels(s, depth);
  s.Remove(sub);
  verifyNumLevels(s, 0);
}

TEST_CASE("TestSublistInvalidSubjectsInsert", "[sublist]") {
  Sublist s;
  // Wildcards are fine in a subscription; empty tokens and a `>` before the
  // last token are not.
  REQUIRE(s.Insert(newSub(".foo")) == ErrInvalidSubject);         // leading empty token
  REQUIRE(s.Insert(newSub("foo.")) == ErrInvalidSubject);         // trailing empty token
  REQUIRE(s.Insert(newSub("foo..bar")) == ErrInvalidSubject);     // empty middle token
  REQUIRE(s.Insert(newSub("foo.bar..baz")) == ErrInvalidSubject); // another one
  REQUIRE(s.Insert(newSub("foo.>.bar")) == ErrInvalidSubject);    // `>` not last
  verifyCount(s, 0);
}

TEST_CASE("TestSublistCache", "[sublist]") {
  Sublist s;

  // Inserts and removes keep an existing cache entry right.
  const std::string subject = "a.b.c.d";
  auto sub = newSub(subject);
  auto psub = newSub("a.b.*.d");
  auto fsub = newSub("a.b.>");
  s.Insert(sub);
  auto r = s.Match(subject);
  verifyLen(r->psubs, 1);
  s.Insert(psub);
  s.Insert(fsub);
  verifyCount(s, 3);
  r = s.Match(subject);
  verifyLen(r->psubs, 3);
  s.Remove(sub);
  verifyCount(s, 2);
  s.Remove(fsub);
  verifyCount(s, 1);
  s.Remove(psub);
  verifyCount(s, 0);

  // Every remove dropped the entry for a.b.c.d.
  REQUIRE(s.CacheCount() == 0);

  r = s.Match(subject);
  verifyLen(r->psubs, 0);

  for (std::size_t i = 0; i < 2 * slCacheMax; ++i) {
    s.Match("foo-" + std::to_string(i) + "\n");
  }
  INFO("Cache should be constrained by cacheMax, got " << s.CacheCount());
  REQUIRE(s.CacheCount() <= slCacheMax);
}

TEST_CASE("TestSublistBasicQueueResults", "[sublist]") {
  Sublist s;

  const std::string subject = "foo";
  auto sub = newSub(subject);
  auto sub1 = newQSub(subject, "bar");
  auto sub2 = newQSub(subject, "baz");

  s.Insert(sub1);
  auto r = s.Match(subject);
  verifyLen(r->psubs, 0);
  verifyQLen(r->qsubs, 1);
  verifyLen(r->qsubs[0], 1);
  verifyMember(r->qsubs[0], sub1);

  s.Insert(sub2);
  r = s.Match(subject);
  verifyLen(r->psubs, 0);
  verifyQLen(r->qsubs, 2);
  verifyLen(r->qsubs[0], 1);
  verifyLen(r->qsubs[1], 1);
  verifyMember(r->qsubs[0], sub1);
  verifyMember(r->qsubs[1], sub2);

  s.Insert(sub);
  r = s.Match(subject);
  verifyLen(r->psubs, 1);
  verifyQLen(r->qsubs, 2);
  verifyLen(r->qsubs[0], 1);
  verifyLen(r->qsubs[1], 1);
  verifyMember(r->qsubs[0], sub1);
  verifyMember(r->qsubs[1], sub2);
  verifyMember(r->psubs, sub);

  s.Insert(sub1);
  s.Insert(sub2);

  r = s.Match(subject);
  verifyLen(r->psubs, 1);
  verifyQLen(r->qsubs, 2);
  verifyLen(r->qsubs[0], 2);
  verifyLen(r->qsubs[1], 2);
  verifyMember(r->qsubs[0], sub1);
  verifyMember(r->qsubs[1], sub2);
  verifyMember(r->psubs, sub);

  // Now the removals.
  s.Remove(sub);

  r = s.Match(subject);
  verifyLen(r->psubs, 0);
  verifyQLen(r->qsubs, 2);
  verifyLen(r->qsubs[0], 2);
  verifyLen(r->qsubs[1], 2);
  verifyMember(r->qsubs[0], sub1);
  verifyMember(r->qsubs[1], sub2);

  s.Remove(sub1);
  r = s.Match(subject);
  verifyLen(r->psubs, 0);
  verifyQLen(r->qsubs, 2);
  verifyLen(r->qsubs[0], 1);
  verifyLen(r->qsubs[1], 2);
  verifyMember(r->qsubs[0], sub1);
  verifyMember(r->qsubs[1], sub2);

  s.Remove(sub1);  // the last "bar" member
  r = s.Match(subject);
  verifyLen(r->psubs, 0);
  verifyQLen(r->qsubs, 1);
  verifyLen(r->qsubs[0], 2);  // the "baz" group moved into slot 0
  verifyMember(r->qsubs[0], sub2);

  s.Remove(sub2);
  s.Remove(sub2);
  r = s.Match(subject);
  verifyLen(r->psubs, 0);
  verifyQLen(r->qsubs, 0);
}

TEST_CASE("TestSublistValidLiteralSubjects", "[sublist]") {
  checkBool(IsValidLiteralSubject("foo"), true);
  checkBool(IsValidLiteralSubject(".foo"), false);
  checkBool(IsValidLiteralSubject("foo."), false);
  checkBool(IsValidLiteralSubject("foo..bar"), false);
  checkBool(IsValidLiteralSubject("foo.bar.*"), false);
  checkBool(IsValidLiteralSubject("foo.bar.>"), false);
  checkBool(IsValidLiteralSubject("*"), false);
  checkBool(IsValidLiteralSubject(">"), false);
}

TEST_CASE("TestSublistMatchLiterals", "[sublist]") {
  checkBool(matchLiteral("foo", "foo"), true);
  checkBool(matchLiteral("foo", "bar"), false);
  checkBool(matchLiteral("foo", "*"), true);
  checkBool(matchLiteral("foo", ">"), true);
  checkBool(matchLiteral("foo.bar", ">"), true);
  checkBool(matchLiteral("foo.bar", "foo.>"), true);
  checkBool(matchLiteral("foo.bar", "bar.>"), false);
  checkBool(matchLiteral("stats.test.22", "stats.>"), true);
  checkBool(matchLiteral("stats.test.22", "stats.*.*"), true);
  checkBool(matchLiteral("foo.bar", "foo"), false);
  checkBool(matchLiteral("stats.test.foos", "stats.test.foos"), true);
  checkBool(matchLiteral("stats.test.foos", "stats.test.foo"), false);
}

TEST_CASE("TestSublistBadSubjectOnRemove", "[sublist]") {
  const std::string bad = "a.b..d";
  auto sub = newSub(bad);

  Sublist s;
  REQUIRE(s.Insert(sub) == ErrInvalidSubject);
  // The failed insert left nodes for `a` and `b` behind, so the walk reaches
  // the empty token and reports it (rather than ErrNotFound).
  REQUIRE(s.Remove(sub) == ErrInvalidSubject);

  const std::string badfwc = "a.>.b";
  REQUIRE(s.Remove(newSub(badfwc)) == ErrInvalidSubject);
}

// gnatsd issue #18: a single-token subscription must not match a longer subject.
TEST_CASE("TestSublistTwoTokenPubMatchSingleTokenSub", "[sublist]") {
  Sublist s;
  auto sub = newSub("foo");
  s.Insert(sub);
  auto r = s.Match("foo");
  verifyLen(r->psubs, 1);
  verifyMember(r->psubs, sub);
  r = s.Match("foo.bar");
  verifyLen(r->psubs, 0);
}

// ---------------------------------------------------------------------------
// C++ only: behaviours of gnatsd 1.0.0 that its own tests leave unchecked.

TEST_CASE("TestSublistFirstByteWildcardQuirk", "[sublist]") {
  Sublist s;
  auto star = newSub("foo.*bar");  // filed as foo.*
  auto full = newSub("a.>b");      // filed as a.>
  REQUIRE_FALSE(s.Insert(star));
  REQUIRE_FALSE(s.Insert(full));
  REQUIRE(s.Insert(newSub("a.>b.c")) == ErrInvalidSubject);  // nothing may follow a `>`-led token

  auto r = s.Match("foo.anything");
  verifyLen(r->psubs, 1);
  verifyMember(r->psubs, star);
  r = s.Match("a.x.y");
  verifyLen(r->psubs, 1);
  verifyMember(r->psubs, full);

  // Remove classifies the same way, so the subject as written finds the sub.
  REQUIRE_FALSE(s.Remove(star));
  REQUIRE_FALSE(s.Remove(full));
  verifyCount(s, 0);

  // For IsValidSubject only a whole `>` token ends the subject.
  checkBool(IsValidSubject("a.>b.c"), true);
  checkBool(IsValidSubject("a.>.c"), false);
}

TEST_CASE("TestSublistValidSubjects", "[sublist]") {
  checkBool(IsValidSubject("foo"), true);
  checkBool(IsValidSubject("foo.*.bar"), true);
  checkBool(IsValidSubject("foo.>"), true);
  checkBool(IsValidSubject(">"), true);
  checkBool(IsValidSubject(""), false);
  checkBool(IsValidSubject(".foo"), false);
  checkBool(IsValidSubject("foo."), false);
  checkBool(IsValidSubject("foo..bar"), false);
  checkBool(IsValidSubject("foo.>.bar"), false);
  checkBool(IsValidLiteralSubject(""), false);
  checkBool(IsValidLiteralSubject("foo.*bar"), true);

  checkBool(subjectIsLiteral("foo.bar"), true);
  checkBool(subjectIsLiteral("foo.*bar"), true);
  checkBool(subjectIsLiteral("foo.b>"), true);
  checkBool(subjectIsLiteral("foo.*"), false);
  checkBool(subjectIsLiteral("*.foo"), false);
  checkBool(subjectIsLiteral("foo.>"), false);
  checkBool(subjectIsLiteral("foo.*.bar"), false);
}

TEST_CASE("TestSublistQueueGroupsMergedAcrossNodes", "[sublist]") {
  Sublist s;
  auto q1 = newQSub("foo.bar", "workers");
  auto q2 = newQSub("foo.*", "workers");
  auto q3 = newQSub("foo.>", "workers");
  auto other = newQSub("foo.>", "auditors");
  for (const auto& q : {q1, q2, q3, other}) REQUIRE_FALSE(s.Insert(q));

  auto r = s.Match("foo.bar");
  verifyLen(r->psubs, 0);
  verifyQLen(r->qsubs, 2);
  const auto& workers = r->qsubs[0][0]->queue == "workers" ? r->qsubs[0] : r->qsubs[1];
  const auto& auditors = r->qsubs[0][0]->queue == "workers" ? r->qsubs[1] : r->qsubs[0];
  verifyLen(workers, 3);
  verifyMember(workers, q1);
  verifyMember(workers, q2);
  verifyMember(workers, q3);
  verifyLen(auditors, 1);
  verifyMember(auditors, other);

  // A later member of an existing group joins that group in the cached result.
  auto q4 = newQSub("*.bar", "workers");
  REQUIRE_FALSE(s.Insert(q4));
  r = s.Match("foo.bar");
  verifyQLen(r->qsubs, 2);
  const auto& workers2 = r->qsubs[0][0]->queue == "workers" ? r->qsubs[0] : r->qsubs[1];
  verifyLen(workers2, 4);
  verifyMember(workers2, q4);
}

TEST_CASE("TestSublistCacheCopyOnWrite", "[sublist]") {
  Sublist s;
  auto a = newSub("foo.bar");
  s.Insert(a);
  auto before = s.Match("foo.bar");
  REQUIRE(s.CacheCount() == 1);

  // The insert patches the cached entry by replacing it, so a result already
  // handed out never changes under its holder.
  auto b = newSub("foo.*");
  s.Insert(b);
  verifyLen(before->psubs, 1);
  const uint64_t hits = cacheHits(s);
  auto after = s.Match("foo.bar");
  REQUIRE(cacheHits(s) == hits + 1);  // served from the patched entry
  REQUIRE(after != before);
  verifyLen(after->psubs, 2);
  verifyMember(after->psubs, b);

  // A subscription that does not match leaves the entry alone.
  s.Insert(newSub("foo.baz"));
  REQUIRE(s.Match("foo.bar") == after);

  // A remove drops matching entries only; the next Match rebuilds them.
  s.Match("other");
  REQUIRE(s.CacheCount() == 2);
  s.Remove(b);
  REQUIRE(s.CacheCount() == 1);
  verifyLen(after->psubs, 2);
  auto rebuilt = s.Match("foo.bar");
  verifyLen(rebuilt->psubs, 1);
  verifyMember(rebuilt->psubs, a);
}

TEST_CASE("TestSublistCacheEvictionKeepsNewEntries", "[sublist]") {
  Sublist s;
  for (std::size_t i = 0; i < slCacheMax; ++i) s.Match("old." + std::to_string(i));
  REQUIRE(s.CacheCount() == slCacheMax);

  // With the cache full, a new subject is still cached: the victim is chosen
  // at random, so the new entry survives almost always.
  int rehits = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string subj = "new." + std::to_string(i);
    s.Match(subj);
    const uint64_t hits = cacheHits(s);
    s.Match(subj);
    if (cacheHits(s) == hits + 1) ++rehits;
    REQUIRE(s.CacheCount() == slCacheMax);
  }
  REQUIRE(rehits >= 90);
}

TEST_CASE("TestSublistStats", "[sublist]") {
  Sublist s;
  SublistStats st = s.Stats();
  REQUIRE(st.NumMatches == 0);
  REQUIRE(st.CacheHitRate == 0.0);
  REQUIRE(st.AvgFanout == 0.0);

  auto a = newSub("foo");
  auto b = newSub("*");
  auto q = newQSub("foo", "g");
  auto q2 = newQSub(">", "g");
  for (const auto& x : {a, b, q, q2}) s.Insert(x);
  s.Remove(b);
  s.Insert(newSub("bar"));

  s.Match("foo");  // miss: a + group g (q, q2) -> fanout 2
  s.Match("foo");  // hit
  s.Match("bar");  // miss: bar sub + group g (q2) -> fanout 2
  s.Match("baz");  // miss: group g (q2) -> fanout 1

  st = s.Stats();
  REQUIRE(st.NumSubs == 4);
  REQUIRE(st.NumCache == 3);
  REQUIRE(st.NumInserts == 5);
  REQUIRE(st.NumRemoves == 1);
  REQUIRE(st.NumMatches == 4);
  REQUIRE(st.CacheHitRate == Approx(0.25));
  REQUIRE(st.MaxFanout == 2);
  REQUIRE(st.AvgFanout == Approx(5.0 / 3.0));
}

TEST_CASE("TestSublistGenID", "[sublist]") {
  Sublist s;
  REQUIRE(s.GenID() == 0);
  auto a = newSub("foo");
  s.Insert(a);
  REQUIRE(s.GenID() == 1);
  s.Match("foo");
  REQUIRE(s.Insert(newSub("foo..bar")) == ErrInvalidSubject);
  REQUIRE(s.Remove(newSub("nope")) == ErrNotFound);
  REQUIRE(s.GenID() == 1);  // failures and matches do not count
  s.Remove(a);
  REQUIRE(s.GenID() == 2);
}

TEST_CASE("TestSublistDeepSubjects", "[sublist]") {
  // More tokens than the 32 kept in place.
  std::string subject = "t0";
  for (int i = 1; i < 40; ++i) subject += ".t" + std::to_string(i);
  Sublist s;
  auto sub = newSub(subject);
  auto wc = newSub("t0.>");
  REQUIRE_FALSE(s.Insert(sub));
  REQUIRE_FALSE(s.Insert(wc));
  verifyNumLevels(s, 40);
  auto r = s.Match(subject);
  verifyLen(r->psubs, 2);
  verifyMember(r->psubs, sub);
  REQUIRE_FALSE(s.Remove(sub));
  verifyNumLevels(s, 2);
  verifyLen(s.Match(subject)->psubs, 1);
}

// ---------------------------------------------------------------------------
// C++ only: concurrency and allocation.

namespace {

std::vector<std::string> splitTokens(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Token-wise reference matcher for well-formed subscription subjects.
bool refMatch(const std::string& pattern, const std::string& literal) {
  const auto p = splitTokens(pattern);
  const auto l = splitTokens(literal);
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">") return l.size() > i;
    if (i >= l.size()) return false;
    if (p[i] != "*" && p[i] != l[i]) return false;
  }
  return p.size() == l.size();
}

bool resultHas(const SublistResult& r, const subPtr& sub) {
  if (std::find(r.psubs.begin(), r.psubs.end(), sub) != r.psubs.end()) return true;
  for (const auto& g : r.qsubs) {
    if (std::find(g.begin(), g.end(), sub) != g.end()) return true;
  }
  return false;
}

// Every member matches the subject, queue groups are non-empty, uniform and
// distinct.
bool resultSound(const SublistResult& r, const std::string& subject) {
  for (const auto& p : r.psubs) {
    if (!p->queue.empty() || !refMatch(p->subject, subject)) return false;
  }
  for (std::size_t i = 0; i < r.qsubs.size(); ++i) {
    const auto& g = r.qsubs[i];
    if (g.empty()) return false;
    for (const auto& m : g) {
      if (m->queue != g[0]->queue || !refMatch(m->subject, subject)) return false;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (r.qsubs[j][0]->queue == g[0]->queue) return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("TestSublistConcurrentMatchInsertRemove", "[sublist][concurrency]") {
  const std::vector<std::string> pubSubjects = {"a.b.c", "a.x.c", "a.b.d", "x.b.c", "a.b",
                                                "a.b.c.d", "z", "x.y.z"};
  const std::vector<std::string> churnSubjects = {"a.b.c", "a.*.c", "a.>",     "*.b.*",
                                                  ">",     "a.b.c.d", "x.b.c", "*.*.z"};

  Sublist s;
  // Never removed: every match of a subject they cover must include them.
  const std::vector<subPtr> stable = {newSub("a.b.c"), newSub("a.*.c"), newSub("a.>"),
                                      newSub("*.b.c"), newQSub("a.b.c", "q1"),
                                      newQSub("a.>", "q1")};
  for (const auto& sub : stable) REQUIRE_FALSE(s.Insert(sub));

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};        // unsound result or missing stable sub
  std::atomic<uint64_t> staleRead{0};  // own insert/remove not visible to own Match
  std::atomic<uint64_t> opErrors{0};   // Insert/Remove failed
  std::atomic<uint64_t> matches{0};
  std::atomic<uint64_t> churnOps{0};

  auto matcher = [&](unsigned seed) {
    std::minstd_rand rng(seed);
    while (!stop.load(std::memory_order_relaxed)) {
      const std::string& subj = pubSubjects[rng() % pubSubjects.size()];
      auto r = s.Match(subj);
      bool ok = r != nullptr && resultSound(*r, subj);
      for (const auto& st : stable) {
        if (refMatch(st->subject, subj) && !resultHas(*r, st)) ok = false;
      }
      if (!ok) bad.fetch_add(1);
      matches.fetch_add(1, std::memory_order_relaxed);
    }
  };

  auto mutator = [&](unsigned seed) {
    std::minstd_rand rng(seed);
    while (!stop.load(std::memory_order_relaxed)) {
      const std::string& pattern = churnSubjects[rng() % churnSubjects.size()];
      auto sub = rng() % 3 == 0 ? newQSub(pattern, rng() % 2 ? "q1" : "q2") : newSub(pattern);
      if (s.Insert(sub)) opErrors.fetch_add(1);
      // Read-your-writes: once Insert returned, every Match sees the sub,
      // whether it is served from the cache or from the trie.
      for (const auto& subj : pubSubjects) {
        if (refMatch(pattern, subj) && !resultHas(*s.Match(subj), sub)) staleRead.fetch_add(1);
      }
      if (s.Remove(sub)) opErrors.fetch_add(1);
      for (const auto& subj : pubSubjects) {
        if (resultHas(*s.Match(subj), sub)) staleRead.fetch_add(1);
      }
      churnOps.fetch_add(1, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < 4; ++i) threads.emplace_back(matcher, 100 + i);
  for (unsigned i = 0; i < 2; ++i) threads.emplace_back(mutator, 200 + i);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  for (auto& t : threads) t.join();

  INFO("matches " << matches.load() << ", insert/remove pairs " << churnOps.load());
  REQUIRE(matches.load() > 0);
  REQUIRE(churnOps.load() > 0);
  REQUIRE(bad.load() == 0);
  REQUIRE(staleRead.load() == 0);
  REQUIRE(opErrors.load() == 0);

  verifyCount(s, static_cast<uint32_t>(stable.size()));
  REQUIRE(s.GenID() == stable.size() + 2 * churnOps.load());
  const SublistStats st = s.Stats();
  REQUIRE(st.NumInserts == stable.size() + churnOps.load());
  REQUIRE(st.NumRemoves == churnOps.load());

  // Afterwards both the cache and a fresh walk give exactly the stable subs.
  for (const auto& subj : pubSubjects) {
    for (int pass = 0; pass < 2; ++pass) {
      auto r = s.Match(subj);
      REQUIRE(resultSound(*r, subj));
      std::size_t members = r->psubs.size();
      for (const auto& g : r->qsubs) members += g.size();
      std::size_t expected = 0;
      for (const auto& stb : stable) {
        if (!refMatch(stb->subject, subj)) continue;
        ++expected;
        REQUIRE(resultHas(*r, stb));
      }
      REQUIRE(members == expected);
    }
  }
  // Churn-only branches were pruned: the deepest stable subject has 3 tokens,
  // the deepest churn one 4.
  verifyNumLevels(s, 3);
}

TEST_CASE("TestSublistMatchCacheHitNoAlloc", "[sublist][alloc]") {
  Sublist s;
  // Subjects longer than std::string's in-place buffer, so that a stray
  // std::string copy of the subject on the hit path would show up.
  auto a = newSub("orders.europe.warehouse-17.created");
  auto b = newSub("orders.*.*.created");
  auto c = newQSub("orders.>", "workers");
  for (const auto& x : {a, b, c}) REQUIRE_FALSE(s.Insert(x));

  // Built beforehand; Match only sees string_views of them.
  const std::string subject = "orders.europe.warehouse-17.created";
  const std::string other = "orders.asia.warehouse-42.created";

  // A miss allocates (the result and its cache key), which also shows that
  // the counter sees the Sublist's allocations.
  uint64_t before = tlsAllocs;
  auto r = s.Match(subject);
  REQUIRE(tlsAllocs > before);
  s.Match(other);
  verifyLen(r->psubs, 2);

  const uint64_t hitsBefore = cacheHits(s);
  std::size_t seen = 0;
  before = tlsAllocs;
  for (int i = 0; i < 1000; ++i) {
    auto hit = s.Match(i % 2 ? std::string_view(subject) : std::string_view(other));
    seen += hit->psubs.size() + hit->qsubs.size();
  }
  const uint64_t allocs = tlsAllocs - before;
  REQUIRE(allocs == 0);
  REQUIRE(seen == 500 * 3 + 500 * 2);          // subject: a, b, workers; other: b, workers
  REQUIRE(cacheHits(s) == hitsBefore + 1000);  // all of them were hits
}
