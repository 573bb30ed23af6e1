// Go: server/util_test.go (gnatsd v1.0.0), plus the C++-only helpers of util.h
#include <catch2/catch.hpp>
#include <set>

#include "server/goroutine_group.h"
#include "server/timer.h"
#include "server/util.h"

using namespace gnatsd::server;
using namespace std::chrono_literals;

TEST_CASE("TestParseSize", "[util]") {
  CHECK(parseSize("") == -1);
  CHECK(parseSize("12345678") == 12345678);
  CHECK(parseSize("12a") == -1);
  CHECK(parseSize("-1") == -1);
  // 1.0.0 wrapped around here; we report a bad size.
  CHECK(parseSize("99999999999999999999") == -1);
  CHECK(parseSize("2147483647") == 2147483647);
  CHECK(parseSize("2147483648") == -1);
}

TEST_CASE("TestParseSInt64", "[util]") {
  CHECK(parseInt64("") == -1);
  CHECK(parseInt64("12345678") == 12345678);
  CHECK(parseInt64("9223372036854775807") == INT64_MAX);
  CHECK(parseInt64("9223372036854775808") == -1);
}

TEST_CASE("TestGenIDIsNUID", "[util]") {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = genID();
    REQUIRE(id.size() == 22);
    for (char c : id) REQUIRE(std::isalnum(static_cast<unsigned char>(c)));
    seen.insert(id);
  }
  CHECK(seen.size() == 10000);
}

TEST_CASE("TestQuoteGo", "[util]") {
  CHECK(quoteGo("foo.bar") == "\"foo.bar\"");
  CHECK(quoteGo("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quoteGo("\r\n\t") == "\"\\r\\n\\t\"");
  CHECK(quoteGo(std::string("\x00\xff", 2)) == "\"\\x00\\xff\"");
  CHECK(quoteGo("h\xc3\xa9") == "\"h\xc3\xa9\"");  // valid UTF-8 passes through
}

TEST_CASE("TestDurationString", "[util]") {
  CHECK(durationString(0ns) == "0s");
  CHECK(durationString(2s) == "2s");
  CHECK(durationString(250ms) == "250ms");
  CHECK(durationString(90s) == "1m30s");
  CHECK(durationString(2min) == "2m0s");
  CHECK(durationString(1500ms) == "1.5s");
  CHECK(durationString(3h + 4min + 5s) == "3h4m5s");
}

TEST_CASE("TestGoJSONStringEscapesHTML", "[util]") {
  CHECK(goJSONString("foo.>") == "\"foo.\\u003e\"");
  CHECK(goJSONString("<a&b>") == "\"\\u003ca\\u0026b\\u003e\"");
  CHECK(goJSONString("q\"") == "\"q\\\"\"");
}

TEST_CASE("TestTimerQueueCancelAndOrder", "[util][timer]") {
  TimerQueue tq;
  GoroutineGroup g;
  REQUIRE(g.Go("timer-test", [&] { tq.Run(); }));
  std::atomic<int> order{0}, first{0}, second{0}, cancelled{0};
  tq.After(60ms, [&] { second = ++order; });
  tq.After(20ms, [&] { first = ++order; });
  auto id = tq.After(40ms, [&] { cancelled = 1; });
  CHECK(tq.Cancel(id));
  CHECK_FALSE(tq.Cancel(id));  // already gone
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (second == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  CHECK(first == 1);
  CHECK(second == 2);
  CHECK(cancelled == 0);
  // A timer that already ran cannot be cancelled (Go's Timer.Stop is false).
  auto ran = tq.After(0ms, [] {});
  deadline = std::chrono::steady_clock::now() + 2s;
  while (tq.Pending() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  CHECK_FALSE(tq.Cancel(ran));
  tq.Stop();
  g.Stop();
  g.Wait();
  CHECK(g.Running() == 0);
}

TEST_CASE("TestGoroutineGroupRefusesAfterStop", "[util]") {
  GoroutineGroup g;
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) REQUIRE(g.Go("t", [&] { ++ran; }));
  g.Stop();
  CHECK_FALSE(g.Go("late", [&] { ran += 100; }));
  g.Wait();
  CHECK(ran == 50);
  CHECK(g.Running() == 0);
}
