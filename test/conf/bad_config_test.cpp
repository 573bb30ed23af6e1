// C++ only: a table of broken configs and the exact error each must give.
// The texts are gnatsd 1.0.0's where it has one (docs/DEVIATIONS.md lists the
// inputs where 1.0.0 hangs, crashes or misreads instead).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/parse.h"

using gnatsd::conf::Parse;
using gnatsd::conf::ParseError;

namespace {

struct badConfig {
  std::string config;
  std::string error;  // what(): "line:col: message"
};

const std::vector<badConfig> badConfigs = {
    {R"(a = 1 x)", R"(1:7: Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got 'x' instead.')"},
    {R"(a = 1
b = 2 3
)", R"(2:7: Parse error on line 2: 'Expected a top-level value to end with a new line, comment or EOF, but got '3' instead.')"},
    {R"( :foo = 22)", R"(1:2: Parse error on line 1: 'Unexpected key separator ':'')"},
    {R"(m { =x })", R"(1:5: Parse error on line 1: 'Unexpected key separator '='.')"},
    {R"(a =
)", R"(1:4: Parse error on line 2: 'Expected value but found new line')"},
    {R"(a { b = 1 c = 2 })", R"(1:11: Parse error on line 1: 'Expected a map value terminator ',' or a map terminator '}', but got 'c' instead.')"},
    {R"(a = [1 2])", R"(1:8: Parse error on line 1: 'Expected an array value terminator ',' or an array terminator ']', but got '2' instead.')"},
    {R"(a = [1, , 2])", R"(1:9: Parse error on line 1: 'Unexpected array value terminator ','.')"},
    {R"(a = [,])", R"(1:6: Parse error on line 1: 'Unexpected array value terminator ','.')"},
    {R"(a { , })", R"(1:5: Expected a value for key ','.)"},
    {R"(a = 1.x)", R"(1:7: Parse error on line 1: 'Floats must have a digit after the '.', but got 'x' instead.')"},
    {R"(a = .5)", R"(1:5: Parse error on line 1: 'Floats must start with a digit')"},
    {R"(a = -.5)", R"(1:6: Parse error on line 1: 'Floats must start with a digit, not '.'.')"},
    {R"(a = -x)", R"(1:6: Parse error on line 1: 'Expected a digit but got 'x'.')"},
    {R"(a = 12-05)", R"(1:7: Parse error on line 1: 'All ISO8601 dates must be in full Zulu form.')"},
    {R"(a = 2016-05-04 18:53:41Z)", R"(1:15: Parse error on line 1: 'Expected 'T' in ISO8601 datetime, but found ' ' instead.')"},
    {R"(a = 2016-05-04T18:53:41)", R"(1:24: Parse error on line 1: 'Expected 'Z' in ISO8601 datetime, but found '\x00' instead.')"},
    {R"(a = 2016-5-04T18:53:41Z)", R"(1:11: Parse error on line 1: 'Expected digit in ISO8601 datetime, but found '-' instead.')"},
    {R"(a = "\q")", R"(1:7: Parse error on line 1: 'Invalid escape character 'q'. Only the following escape characters are allowed: \xXX, \t, \n, \r, \", \\.')"},
    {R"(a = "\xZZ")", R"(1:8: Parse error on line 1: 'Expected two hexadecimal digits after '\x', but got 'ZZ'')"},
    {R"(a = foo\x4
)", R"(1:11: Parse error on line 2: 'Expected two hexadecimal digits after '\x', but hit end of line')"},
    {R"(include [x])", R"(1:9: Parse error on line 1: 'Expected include value but found start of an array')"},
    {R"(include {x})", R"(1:9: Parse error on line 1: 'Expected include value but found start of a map')"},
    {R"(include (x))", R"(1:9: Parse error on line 1: 'Expected include value but found start of a block')"},
    {R"(include 42)", R"(1:9: Parse error on line 1: 'Expected include value but found start of a number')"},
    {R"(include \x)", R"(1:9: Parse error on line 1: 'Expected include value but found escape sequence')"},
    {R"(include 
)", R"(1:9: Parse error on line 2: 'Expected include value but found new line')"},
    {R"(a = 1x)", R"(1:6: Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got 'x' instead.')"},
    {R"(a = 1kbb)", R"(1:5: Expected integer, but got '1kbb'.)"},
    {R"(a = 99999999999999999999)", R"(1:5: Integer '99999999999999999999' is out of the range.)"},
    {R"(a = 2017-13-01T00:00:00Z)", R"(1:5: Expected Zulu formatted DateTime, but got '2017-13-01T00:00:00Z'.)"},
    {R"(a = $nope)", R"(1:5: Variable reference for 'nope' on line 1 can not be found.)"},
    {R"(/oops)", R"(1:1: Parse error on line 1: 'Unexpected EOF.')"},
    {R"(a = 'unterminated)", R"(1:5: Parse error on line 1: 'Unexpected EOF processing quoted string.')"},
    {R"(a = "unterminated)", R"(1:5: Parse error on line 1: 'Unexpected EOF processing quoted string.')"},
    {R"(a (
unterminated block
)", R"(1:3: Parse error on line 3: 'Unexpected EOF processing block, expected ')' on a line by itself.')"},
    {R"(m {
  a = 1
)", R"(1:3: Parse error on line 3: 'Unexpected EOF processing map, expected '}'.')"},
    {R"(a = [1,
 2
)", R"(1:5: Parse error on line 3: 'Unexpected EOF processing array, expected ']'.')"},
    {R"(a {
  b
}
)", R"(2:3: Expected a value for key 'b'.)"},
    {R"('key = 1)", R"(1:1: Parse error on line 1: 'Unexpected EOF processing quoted key.')"},
    {R"(a = 1; b)", R"(1:8: Expected a value for key 'b'.)"},
    {R"(x { y { z = [1, {w: }] } })", R"(1:18: Expected a value for key 'w'.)"},
};

}  // namespace

TEST_CASE("broken configs give gnatsd's error at the right place", "[conf][bad]") {
  REQUIRE(badConfigs.size() >= 30);
  for (const auto& bc : badConfigs) {
    INFO("config: " << bc.config);
    try {
      Parse(bc.config);
      FAIL("no error");
    } catch (const ParseError& e) {
      CHECK(std::string(e.what()) == bc.error);
      // what() is the position, then the message.
      CHECK(std::string(e.what()) == std::to_string(e.pos().line) + ":" +
                                         std::to_string(e.pos().col) + ": " + e.message());
      CHECK(e.pos().file.empty());
    }
  }
}

TEST_CASE("broken config files name the file", "[conf][bad]") {
  const std::string path =
      std::string(GNATSD_SOURCE_DIR) + "/test/configs/server/reload/invalid.conf";
  try {
    gnatsd::conf::ParseFile(path);
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(e.pos().file == path);
    CHECK(e.pos().line == 4);
    CHECK(e.pos().col == 8);
    CHECK(std::string(e.what()) ==
          path + ":4:8: Parse error on line 5: 'Expected value but found new line'");
  }
}
