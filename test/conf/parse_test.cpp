// Go: conf/parse_test.go (gnatsd v1.0.0)
// Parsed trees of the config language, plus limits, positions and includes.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "conf/parse.h"

using gnatsd::conf::FindPosition;
using gnatsd::conf::Parse;
using gnatsd::conf::ParseError;
using gnatsd::conf::ParseFile;
using gnatsd::conf::Position;
using gnatsd::conf::PositionMap;
using json = nlohmann::json;

namespace Catch {
template <>
struct StringMaker<Position> {
  static std::string convert(const Position& p) {
    return "{" + p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.col) + "}";
  }
};
}  // namespace Catch

namespace {

std::string configs() { return std::string(GNATSD_SOURCE_DIR) + "/test/configs"; }

void test(const std::string& data, const json& ex) {
  INFO("config: " << data);
  json m;
  REQUIRE_NOTHROW(m = Parse(data));
  CHECK(m == ex);
}

// A scratch directory, removed at the end of the test.
struct tempDir {
  std::filesystem::path path;
  tempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "conf_test.XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~tempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& content) const {
    std::filesystem::path p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }
};

std::string errorOf(const std::string& data) {
  try {
    Parse(data);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("TestSimpleTopLevel", "[conf][parse]") {
  test("foo='1'; bar=2.2; baz=true; boo=22",
       {{"foo", "1"}, {"bar", 2.2}, {"baz", true}, {"boo", int64_t{22}}});
}

TEST_CASE("TestBools", "[conf][parse]") {
  json ex = {{"foo", true}};
  test("foo=true", ex);
  test("foo=TRUE", ex);
  test("foo=true", ex);
  test("foo=yes", ex);
  test("foo=on", ex);
}

static const char* varSample = R"(
  index = 22
  foo = $index
)";

TEST_CASE("TestSimpleVariable", "[conf][parse]") {
  test(varSample, {{"index", 22}, {"foo", 22}});
}

static const char* varNestedSample = R"(
  index = 22
  nest {
    index = 11
    foo = $index
  }
  bar = $index
)";

TEST_CASE("TestNestedVariable", "[conf][parse]") {
  test(varNestedSample,
       {{"index", 22}, {"nest", {{"index", 11}, {"foo", 11}}}, {"bar", 22}});
}

TEST_CASE("TestMissingVariable", "[conf][parse]") {
  try {
    Parse("foo=$index");
    FAIL("Expected an error for a missing variable, got none");
  } catch (const ParseError& e) {
    CHECK(e.message().rfind("Variable reference", 0) == 0);
    CHECK(e.message() == "Variable reference for 'index' on line 1 can not be found.");
    CHECK(std::string(e.what()) == "1:5: Variable reference for 'index' on line 1 can not be found.");
  }
}

TEST_CASE("TestEnvVariable", "[conf][parse]") {
  const char* evar = "__UNIQ22__";
  setenv(evar, "22", 1);
  test(std::string("foo = $") + evar, {{"foo", 22}});
  unsetenv(evar);
}

TEST_CASE("TestBcryptVariable", "[conf][parse]") {
  test("password: $2a$11$ooo", {{"password", "$2a$11$ooo"}});
}

static const char* easynum = R"(
k = 8k
kb = 4kb
m = 1m
mb = 2MB
g = 2g
gb = 22GB
)";

TEST_CASE("TestConvenientNumbers", "[conf][parse]") {
  test(easynum, {{"k", int64_t{8 * 1000}},
                 {"kb", int64_t{4 * 1024}},
                 {"m", int64_t{1000 * 1000}},
                 {"mb", int64_t{2 * 1024 * 1024}},
                 {"g", int64_t{2} * 1000 * 1000 * 1000},
                 {"gb", int64_t{22} * 1024 * 1024 * 1024}});
}

static const char* sample1 = R"(
foo  {
  host {
    ip   = '127.0.0.1'
    port = 4242
  }
  servers = [ "a.com", "b.com", "c.com"]
}
)";

TEST_CASE("TestSample1", "[conf][parse]") {
  test(sample1, {{"foo",
                  {{"host", {{"ip", "127.0.0.1"}, {"port", 4242}}},
                   {"servers", {"a.com", "b.com", "c.com"}}}}});
}

static const char* cluster = R"(
cluster {
  port: 4244

  authorization {
    user: route_user
    password: top_secret
    timeout: 1
  }

  # Routes are actively solicited and connected to from this server.
  # Other servers can connect to us if they supply the correct credentials
  # in their routes definitions from above.

  // Test both styles of comments

  routes = [
    nats-route://foo:bar@apcera.me:4245
    nats-route://foo:bar@apcera.me:4246
  ]
}
)";

TEST_CASE("TestSample2", "[conf][parse]") {
  test(cluster, {{"cluster",
                  {{"port", 4244},
                   {"authorization",
                    {{"user", "route_user"}, {"password", "top_secret"}, {"timeout", 1}}},
                   {"routes",
                    {"nats-route://foo:bar@apcera.me:4245",
                     "nats-route://foo:bar@apcera.me:4246"}}}}});
}

static const char* sample3 = R"(
foo  {
  expr = '(true == "false")'
  text = 'This is a multi-line
text block.'
}
)";

TEST_CASE("TestSample3", "[conf][parse]") {
  test(sample3, {{"foo",
                  {{"expr", "(true == \"false\")"},
                   {"text", "This is a multi-line\ntext block."}}}});
}

static const char* sample4 = R"(
  array [
    { abc: 123 }
    { xyz: "word" }
  ]
)";

TEST_CASE("TestSample4", "[conf][parse]") {
  test(sample4, {{"array", json::array({{{"abc", 123}}, {{"xyz", "word"}}})}});
}

static const char* sample5 = R"(
  now = 2016-05-04T18:53:41Z
  gmt = false

)";

TEST_CASE("TestSample5", "[conf][parse]") {
  // A datetime is kept as its RFC 3339 text (see parse.h).
  test(sample5, {{"now", "2016-05-04T18:53:41Z"}, {"gmt", false}});
}

TEST_CASE("TestIncludes", "[conf][parse]") {
  json ex = {
      {"listen", "127.0.0.1:4222"},
      {"authorization",
       {{"ALICE_PASS", "$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q"},
        {"BOB_PASS", "$2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly"},
        {"users", json::array({{{"user", "alice"},
                                {"password",
                                 "$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q"}},
                               {{"user", "bob"},
                                {"password",
                                 "$2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly"}}})},
        {"timeout", 0.5}}}};
  json m;
  REQUIRE_NOTHROW(m = ParseFile(configs() + "/conf/simple.conf"));
  CHECK(m == ex);
}

// ---------------------------------------------------------------------------
// Beyond parse_test.go.

TEST_CASE("integer and float edge cases", "[conf][parse]") {
  test("a = 9223372036854775807", {{"a", INT64_MAX}});
  test("a = -9223372036854775808", {{"a", INT64_MIN}});
  test("a = 8GB", {{"a", int64_t{8} << 30}});
  test("a = -0.5", {{"a", -0.5}});
  test("a = 0." + std::string(400, '0') + "1", {{"a", 0.0}});
  CHECK(errorOf("a = 9223372036854775808") ==
        "1:5: Integer '9223372036854775808' is out of the range.");
  CHECK(errorOf("a = 9223372036854775807k") ==
        "1:5: Integer '9223372036854775807k' is out of the range.");
  CHECK(errorOf("a = 1kbb") == "1:5: Expected integer, but got '1kbb'.");
  CHECK(errorOf("a = 1" + std::string(400, '0') + ".0") ==
        "1:5: Float '1" + std::string(400, '0') + ".0' is out of the range.");
  CHECK(errorOf("a = 2017-02-30T00:00:00Z") ==
        "1:5: Expected Zulu formatted DateTime, but got '2017-02-30T00:00:00Z'.");
  test("a = 2016-02-29T23:59:59Z", {{"a", "2016-02-29T23:59:59Z"}});
}

TEST_CASE("a key without a value is an error", "[conf][parse]") {
  // gnatsd drops it, or inside a map pairs the wrong key with the map.
  CHECK(errorOf("foo") == "1:1: Expected a value for key 'foo'.");
  CHECK(errorOf("a { b }") == "1:5: Expected a value for key 'b'.");
  CHECK(errorOf("a {\n  b\n}\n") == "2:3: Expected a value for key 'b'.");
}

TEST_CASE("variables see enclosing maps and copy positions", "[conf][parse]") {
  PositionMap pos;
  json m = Parse("R = { pub: a, sub: [b, c] }\nusers = [ {p: $R} ]\n", &pos);
  CHECK(m["users"][0]["p"] == m["R"]);
  CHECK(FindPosition(pos, json::json_pointer("/users/0/p")) == Position{"", 2, 12});
  CHECK(FindPosition(pos, json::json_pointer("/users/0/p/sub/1")) == Position{"", 1, 24});
  CHECK(FindPosition(pos, json::json_pointer("/R/pub")) == Position{"", 1, 7});
  CHECK(FindPosition(pos, json::json_pointer("/users")) == Position{"", 2, 1});
  CHECK(FindPosition(pos, json::json_pointer("/nothing/here")) == Position{});
}

TEST_CASE("variable names are case sensitive and only earlier keys count", "[conf][parse]") {
  CHECK(errorOf("Index = 1\nfoo = $index") ==
        "2:7: Variable reference for 'index' on line 2 can not be found.");
  CHECK(errorOf("foo = $bar\nbar = 1") ==
        "1:7: Variable reference for 'bar' on line 1 can not be found.");
}

TEST_CASE("environment values are parsed as values", "[conf][parse]") {
  setenv("__CONF_TEST_ARR__", "[1, 2]", 1);
  setenv("__CONF_TEST_BAD__", "a b", 1);
  test("a = $__CONF_TEST_ARR__", {{"a", {1, 2}}});
  CHECK(errorOf("a = $__CONF_TEST_BAD__") ==
        "1:5: Variable reference for '__CONF_TEST_BAD__' on line 1 can not be found.");
  // A variable defined through itself would recurse forever in gnatsd.
  setenv("__CONF_TEST_SELF__", "$__CONF_TEST_SELF__", 1);
  CHECK(errorOf("a = $__CONF_TEST_SELF__") ==
        "1:5: Variable reference for '__CONF_TEST_SELF__' on line 1 nests more than 10 "
        "environment variables.");
  unsetenv("__CONF_TEST_ARR__");
  unsetenv("__CONF_TEST_BAD__");
  unsetenv("__CONF_TEST_SELF__");
}

TEST_CASE("nesting depth is limited", "[conf][parse]") {
  // 256 levels below the top-level map are allowed.
  std::string ok = "a = " + std::string(256, '[') + std::string(256, ']');
  CHECK_NOTHROW(Parse(ok));
  std::string deep = "a = " + std::string(300, '[') + std::string(300, ']');
  CHECK(errorOf(deep) == "1:261: Maximum nesting depth of 256 exceeded.");
  std::string maps;
  for (int i = 0; i < 300; ++i) maps += "m {";
  CHECK(errorOf(maps).find("Maximum nesting depth of 256 exceeded.") != std::string::npos);
  // Depth built up by variables, one level per line.
  std::string vars = "a = 1\n";
  for (int i = 0; i < 300; ++i) vars += "a = [$a]\n";
  CHECK(errorOf(vars) == "258:6: Maximum nesting depth of 256 exceeded.");
}

TEST_CASE("copies made by variables are bounded", "[conf][parse]") {
  // Each line doubles the value: 2^40 values if nothing stopped it.
  std::string bomb = "a = [1, 2]\n";
  for (int i = 0; i < 40; ++i) bomb += "a = [$a, $a]\n";
  std::string err = errorOf(bomb);
  CHECK(err.find("Config too large: more than 1000000 values") != std::string::npos);
}

TEST_CASE("includes: relative to the including file, nested, cycles, depth", "[conf][parse]") {
  tempDir d;
  d.write("sub/inner.conf", "x = 1\ninclude ../leaf.conf\n");
  d.write("leaf.conf", "y = { z: 2 }\n");
  const std::string top = d.write("top.conf", "m {\n  include 'sub/inner.conf'\n}\n");
  PositionMap pos;
  json m = ParseFile(top, &pos);
  CHECK(m == json{{"m", {{"x", 1}, {"y", {{"z", 2}}}}}});
  const std::string inner = (d.path / "sub/inner.conf").string();
  const std::string leaf = (d.path / "leaf.conf").string();
  CHECK(FindPosition(pos, json::json_pointer("/m/x")) == Position{inner, 1, 1});
  CHECK(FindPosition(pos, json::json_pointer("/m/y/z")) == Position{leaf, 1, 7});

  const std::string a = d.write("a.conf", "include b.conf\n");
  d.write("b.conf", "v = 1\ninclude a.conf\n");
  try {
    ParseFile(a);
    FAIL("include cycle not detected");
  } catch (const ParseError& e) {
    CHECK(e.pos() == Position{a, 1, 9});
    CHECK(e.message() == "Error parsing include file 'b.conf', " + (d.path / "b.conf").string() +
                             ":2:9: Error parsing include file 'a.conf', include cycle: '" +
                             a + "' is already being parsed..");
  }

  for (int i = 0; i < 12; ++i) {
    // Appended: `"d" + std::to_string(i)` trips GCC 12's bogus -Wrestrict at -O3.
    std::string name = "d";
    name.append(std::to_string(i)).append(".conf");
    d.write(name, "include d" + std::to_string(i + 1) + ".conf\n");
  }
  d.write("d12.conf", "end = 1\n");
  // d2 includes d3, ... d12: ten nested includes, the most allowed.
  CHECK_NOTHROW(ParseFile((d.path / "d2.conf").string()));
  try {
    ParseFile((d.path / "d0.conf").string());
    FAIL("include depth not limited");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()).find("includes nest more than 10 deep.") != std::string::npos);
  }

  // An absolute path is taken as it is.
  const std::string abs = d.write("abs.conf", "include " + leaf + "\n");
  CHECK(ParseFile(abs) == json{{"y", {{"z", 2}}}});
}

TEST_CASE("include errors keep gnatsd's wording", "[conf][parse]") {
  tempDir d;
  const std::string top = d.write("top.conf", "a = 1\ninclude missing.conf\n");
  try {
    ParseFile(top);
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) == top + ":2:9: Error parsing include file 'missing.conf', "
                                         "error opening config file: open " +
                                         (d.path / "missing.conf").string() +
                                         ": no such file or directory.");
  }
  try {
    ParseFile((d.path / "nope.conf").string());
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) == "error opening config file: open " +
                                       (d.path / "nope.conf").string() +
                                       ": no such file or directory");
    CHECK(e.pos().line == 0);
  }
}

TEST_CASE("every gnatsd 1.0.0 config file parses", "[conf][parse]") {
  // Four are not meant to parse: invalid.conf and the two malformed_*.conf
  // are broken on purpose, and reload.conf includes a platform.conf that
  // its test writes first.
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(configs())) {
    if (e.path().extension() != ".conf") continue;
    const std::string name = e.path().filename().string();
    const std::string rel = std::filesystem::relative(e.path(), configs()).string();
    INFO(rel);
    ++n;
    if (rel == "server/reload/invalid.conf") {
      try {
        ParseFile(e.path().string());
        FAIL("expected an error");
      } catch (const ParseError& err) {
        CHECK(err.message() == "Parse error on line 5: 'Expected value but found new line'");
        CHECK(err.pos().line == 4);
        CHECK(err.pos().col == 8);
      }
    } else if (rel == "server/malformed_listen_address.conf") {
      CHECK_THROWS_WITH(ParseFile(e.path().string()),
                        e.path().string() +
                            ":4:19: Parse error on line 4: 'Expected a top-level value to end "
                            "with a new line, comment or EOF, but got 'f' instead.'");
    } else if (rel == "server/malformed_cluster_address.conf") {
      CHECK_THROWS_WITH(ParseFile(e.path().string()),
                        e.path().string() +
                            ":5:21: Parse error on line 5: 'Expected a map value terminator ',' "
                            "or a map terminator '}', but got 'f' instead.'");
    } else if (rel == "server/reload/reload.conf") {
      CHECK_THROWS_WITH(ParseFile(e.path().string()),
                        Catch::Contains("Error parsing include file 'platform.conf'"));
    } else {
      CHECK_NOTHROW(ParseFile(e.path().string()));
    }
  }
  CHECK(n >= 60);
}

TEST_CASE("reload.conf parses with its platform.conf beside it", "[conf][parse]") {
  tempDir d;
  std::filesystem::copy_file(configs() + "/server/reload/reload.conf", d.path / "reload.conf");
  d.write("platform.conf", "remote_syslog: \"udp://localhost:514\"\nlog_file: \"/tmp/g.log\"\n");
  json m = ParseFile((d.path / "reload.conf").string());
  CHECK(m["remote_syslog"] == "udp://localhost:514");
  CHECK(m["max_control_line"] == 512);
  CHECK(m["cluster"]["no_advertise"] == true);
}

TEST_CASE("the copied corpus matches the shared one", "[conf][parse]") {
  // The tests read test/configs; warn if it drifts from the shared reference.
  const std::filesystem::path shared =
      std::string(GNATSD_SOURCE_DIR) + "/../shared/reference/gnatsd-1.0.0-configs";
  if (!std::filesystem::exists(shared)) return;
  for (const auto& e : std::filesystem::recursive_directory_iterator(shared)) {
    if (e.path().extension() != ".conf") continue;
    const auto rel = std::filesystem::relative(e.path(), shared);
    INFO(rel.string());
    CHECK(std::filesystem::exists(configs() / rel));
  }
}

TEST_CASE("random input never crashes the parser", "[conf][parse]") {
  // Fragments of the language glued at random: errors are fine, crashes,
  // hangs and "BUG" errors are not.
  const std::vector<std::string> pieces = {
      "a", "b", " ", "\n", "=", ":", "{", "}", "[", "]", ",", ";", "'", "\"", "(", ")\n",
      "\\", "\\x4", "$a", "$b", "$2a$1", "1", "-2", "3.5", "1k", "1kb", "2016-05-04T18:53:41Z",
      "true", "# c\n", "// c\n", "include ", "x.conf", "1.2.3.4:5", "\xc3\xa9", "\x00"};
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto rnd = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    const std::size_t n = rnd() % 24;
    for (std::size_t i = 0; i < n; ++i) in += pieces[rnd() % pieces.size()];
    INFO("input: '" << in << "'");
    try {
      Parse(in);
    } catch (const ParseError& e) {
      REQUIRE(std::string(e.what()).find("BUG") == std::string::npos);
    }
  }
}

TEST_CASE("included positions survive keys that sort between a key and its children",
          "[conf][parse]") {
  // "a!b" sorts after "a" but before "a/...".
  tempDir d;
  const std::string inc = d.write("inc.conf", "a { x: 1 }\n\"a!b\": 2\n");
  const std::string top = d.write("top.conf", "include inc.conf\n");
  PositionMap pos;
  ParseFile(top, &pos);
  CHECK(FindPosition(pos, json::json_pointer("/a/x")) == Position{inc, 1, 5});
  CHECK(FindPosition(pos, json::json_pointer("/a!b")) == Position{inc, 2, 1});
}
