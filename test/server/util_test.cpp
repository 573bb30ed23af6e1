// Go: server/util_test.go (gnatsd v1.0.0), plus the C++-only helpers of util.h
// and the Go standard library stand-ins (gofmt.h, goparse.h, gostrings.h,
// stringhash.h). Expected texts were printed by Go itself.
#include <pthread.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>

#include "server/gofmt.h"
#include "server/goparse.h"
#include "server/goroutine_group.h"
#include "server/gostrings.h"
#include "server/stringhash.h"
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

TEST_CASE("TestQuoteGo", "[util][gofmt]") {
  CHECK(quoteGo("foo.bar") == "\"foo.bar\"");
  CHECK(quoteGo("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quoteGo("\r\n\t\a\b\f\v") == "\"\\r\\n\\t\\a\\b\\f\\v\"");
  CHECK(quoteGo(std::string("\x00\xff\x7f", 3)) == "\"\\x00\\xff\\x7f\"");
  CHECK(quoteGo("h\xc3\xa9 \xf0\x9f\x98\x80") == "\"h\xc3\xa9 \xf0\x9f\x98\x80\"");  // é 😀 as they are
  // Malformed UTF-8, byte by byte: a lone lead byte, a cut sequence, an
  // encoded surrogate, an overlong form, a value past U+10FFFF.
  CHECK(quoteGo("\xc3") == "\"\\xc3\"");
  CHECK(quoteGo("\xe2\x82") == "\"\\xe2\\x82\"");
  CHECK(quoteGo("\xed\xa0\x80") == "\"\\xed\\xa0\\x80\"");
  CHECK(quoteGo("\xe0\x80\x80") == "\"\\xe0\\x80\\x80\"");
  CHECK(quoteGo("\xf4\x90\x80\x80") == "\"\\xf4\\x90\\x80\\x80\"");
  // Valid runes that are not printable: \u or \U.
  CHECK(quoteGo("a\xc2\xa0" "b") == "\"a\\u00a0b\"");           // no-break space
  CHECK(quoteGo("\xc2\x85") == "\"\\u0085\"");                  // C1 control
  CHECK(quoteGo("\xe2\x80\x8b") == "\"\\u200b\"");              // zero-width space
  CHECK(quoteGo("\xef\xbb\xbf") == "\"\\ufeff\"");              // BOM
  CHECK(quoteGo("\xf3\xa0\x80\x81") == "\"\\U000e0001\"");      // language tag
  CHECK(quoteGo("\xf4\x8f\xbf\xbf") == "\"\\U0010ffff\"");      // unassigned
  CHECK(quoteGo("\xef\xbf\xbd") == "\"\xef\xbf\xbd\"");         // a real U+FFFD prints
}

TEST_CASE("TestIsPrint", "[util][gofmt]") {
  CHECK(IsPrint(' '));
  CHECK(IsPrint('~'));
  CHECK_FALSE(IsPrint('\t'));
  CHECK_FALSE(IsPrint(0x7f));
  CHECK_FALSE(IsPrint(0xa0));
  CHECK(IsPrint(0xa1));
  CHECK_FALSE(IsPrint(0xad));  // soft hyphen
  CHECK(IsPrint(0x4e2d));      // 中
  CHECK_FALSE(IsPrint(0xd800));
  CHECK(IsPrint(0x1f600));
  CHECK_FALSE(IsPrint(0xe0001));
  CHECK(IsPrint(0xe0100));     // variation selector 17
  CHECK_FALSE(IsPrint(0x10ffff));
  CHECK_FALSE(IsPrint(0x110000));
}

TEST_CASE("TestGoValueAndType", "[util][gofmt]") {
  using nlohmann::json;
  CHECK(goValue(json("alice")) == "alice");
  CHECK(goValue(json(true)) == "true");
  CHECK(goValue(json(int64_t{-42})) == "-42");
  // %v of a float64 is %g with the shortest digits.
  CHECK(goValue(json(0.0)) == "0");
  CHECK(goValue(json(1.5)) == "1.5");
  CHECK(goValue(json(100000.0)) == "100000");
  CHECK(goValue(json(123456.7)) == "123456.7");
  CHECK(goValue(json(1000000.0)) == "1e+06");
  CHECK(goValue(json(1234567.5)) == "1.2345675e+06");
  CHECK(goValue(json(0.0001)) == "0.0001");
  CHECK(goValue(json(0.00001)) == "1e-05");
  CHECK(goValue(json(-2.5e-7)) == "-2.5e-07");
  CHECK(goValue(json(1e21)) == "1e+21");
  CHECK(goValue(json::array({"a", 1, false})) == "[a 1 false]");
  CHECK(goValue(json::object({{"b", 2}, {"a", "x"}})) == "map[a:x b:2]");
  CHECK(std::string(goType(json(int64_t{1}))) == "int64");
  CHECK(std::string(goType(json(1.5))) == "float64");
  CHECK(std::string(goType(json::array())) == "[]interface {}");
  CHECK(std::string(goType(json::object())) == "map[string]interface {}");
}

TEST_CASE("TestDurationString", "[util][gofmt]") {
  CHECK(durationString(0ns) == "0s");
  CHECK(durationString(1ns) == "1ns");
  CHECK(durationString(1500ns) == "1.5\xc2\xb5s");
  CHECK(durationString(1500us) == "1.5ms");
  CHECK(durationString(2s) == "2s");
  CHECK(durationString(-2s) == "-2s");
  CHECK(durationString(250ms) == "250ms");
  CHECK(durationString(90s) == "1m30s");
  CHECK(durationString(2min) == "2m0s");
  CHECK(durationString(1500ms) == "1.5s");
  CHECK(durationString(3h + 4min + 5s) == "3h4m5s");
  CHECK(durationString(std::chrono::nanoseconds(INT64_MIN)) == "-2562047h47m16.854775808s");
}

TEST_CASE("TestGoJSONStringEscapesHTML", "[util][gofmt]") {
  CHECK(goJSONString("foo.>") == "\"foo.\\u003e\"");
  CHECK(goJSONString("<a&b>") == "\"\\u003ca\\u0026b\\u003e\"");
  CHECK(goJSONString("q\"") == "\"q\\\"\"");
  // Go's encoding/json: controls as \u00NN except \n \r \t, DEL as it is,
  // U+2028/2029 escaped, each malformed byte as \ufffd.
  CHECK(goJSONString("a\b\f\x01\x7f\n\r\t\\") == "\"a\\u0008\\u000c\\u0001\x7f\\n\\r\\t\\\\\"");
  CHECK(goJSONString("\xe2\x80\xa8\xe2\x80\xa9") == "\"\\u2028\\u2029\"");
  CHECK(goJSONString("\xff\xe2\x82\xc3\xa9") == "\"\\ufffd\\ufffd\\ufffd\xc3\xa9\"");
}

TEST_CASE("TestParseDuration", "[util][goparse]") {
  std::string err;
  auto ns = [&](std::string_view s) { return ParseDuration(s, err).value_or(-999ns).count(); };
  CHECK(ns("0") == 0);
  CHECK(ns("1h2m3.5s") == 3723500000000);
  CHECK(ns("-1.5h") == -5400000000000);
  CHECK(ns(".5s") == 500000000);
  CHECK(ns("1.s") == 1000000000);
  CHECK(ns("1\xc2\xb5s") == 1000);
  CHECK(ns("1us") == 1000);
  CHECK(ns("0.1ns") == 0);
  CHECK(ns("1.000000000000000000001s") == 1000000000);
  CHECK(ns("9223372036854775807ns") == INT64_MAX);
  CHECK_FALSE(ParseDuration("9223372036854775808ns", err));
  CHECK(err == "time: invalid duration 9223372036854775808ns");
  CHECK_FALSE(ParseDuration("1x", err));
  CHECK(err == "time: unknown unit x in duration 1x");
  CHECK_FALSE(ParseDuration("10", err));
  CHECK(err == "time: missing unit in duration 10");
  CHECK_FALSE(ParseDuration("", err));
  CHECK(err == "time: invalid duration ");
  CHECK_FALSE(ParseDuration(".s", err));
  CHECK(err == "time: invalid duration .s");
}

TEST_CASE("TestAtoiAndSplitHostPort", "[util][goparse]") {
  CHECK(Atoi("4222") == 4222);
  CHECK(Atoi("-1") == -1);
  CHECK(Atoi("+5") == 5);
  CHECK(Atoi("99999999999") == 99999999999);
  CHECK_FALSE(Atoi(""));
  CHECK_FALSE(Atoi("++5"));
  CHECK_FALSE(Atoi("4222x"));
  CHECK_FALSE(Atoi("0x10"));
  CHECK_FALSE(Atoi("9223372036854775808"));

  std::string host, port, err;
  REQUIRE(SplitHostPort("[::1]:-2", host, port, err));
  CHECK(host == "::1");
  CHECK(port == "-2");
  REQUIRE(SplitHostPort(":80", host, port, err));
  CHECK(host.empty());
  CHECK(port == "80");
  REQUIRE(SplitHostPort("[fe80::1%lo]:1", host, port, err));
  CHECK(host == "fe80::1%lo");
  CHECK_FALSE(SplitHostPort("[::1]", host, port, err));
  CHECK(err == "address [::1]: missing port in address");
  CHECK_FALSE(SplitHostPort("a:b:c", host, port, err));
  CHECK(err == "address a:b:c: too many colons in address");
  CHECK_FALSE(SplitHostPort("h%x:1", host, port, err));  // Go 1.8's rule
  CHECK(err == "address h%x:1: missing brackets in address");
}

TEST_CASE("TestDecodeRuneInString", "[util][gostrings]") {
  using R = std::pair<char32_t, std::size_t>;
  CHECK(DecodeRuneInString("") == R{RuneError, 0});
  CHECK(DecodeRuneInString("a") == R{'a', 1});
  CHECK(DecodeRuneInString("\xc3\xa9x") == R{0xe9, 2});
  CHECK(DecodeRuneInString("\xe2\x82\xac") == R{0x20ac, 3});
  CHECK(DecodeRuneInString("\xf0\x9f\x98\x80") == R{0x1f600, 4});
  CHECK(DecodeRuneInString("\xef\xbf\xbd") == R{RuneError, 3});  // a real U+FFFD
  for (const char* bad : {"\x80", "\xc0\x80", "\xc1\xbf", "\xc3", "\xe2\x82", "\xe0\x80\x80",
                          "\xed\xa0\x80", "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                          "\xff", "\xc3(" }) {
    INFO(quoteGo(bad));
    CHECK(DecodeRuneInString(bad) == R{RuneError, 1});
  }
  std::string out;
  for (char32_t r : {char32_t{'a'}, char32_t{0xe9}, char32_t{0x20ac}, char32_t{0x1f600}}) {
    AppendRune(out, r);
  }
  CHECK(out == "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  out.clear();
  AppendRune(out, 0xd800);
  AppendRune(out, 0x110000);
  CHECK(out == "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(ToLowerASCII("MAX_Payload-\xc3\x89Z") == "max_payload-\xc3\x89z");  // only ASCII letters
}

TEST_CASE("TestStringHashFindsByView", "[util]") {
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> m;
  m.emplace("foo.bar", 1);
  const std::string_view key = "xfoo.bar";
  auto it = m.find(key.substr(1));  // no std::string built
  REQUIRE(it != m.end());
  CHECK(it->second == 1);
  CHECK(StringHash{}(std::string("a")) == StringHash{}(std::string_view("a")));
}

TEST_CASE("TestSetThreadNameCutsTo15Bytes", "[util]") {
  std::string name;
  std::thread t([&] {
    setThreadName("rd:cid=1234567890123");  // 21 bytes
    char buf[32] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    name = buf;
  });
  t.join();
  CHECK(name == "rd:cid=12345678");
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
