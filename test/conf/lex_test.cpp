// Go: conf/lex_test.go (gnatsd v1.0.0)
// Token streams of the config lexer, case by case as gnatsd tests them.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/lex.h"

using namespace gnatsd::conf;

namespace {

struct want {
  itemType typ;
  std::string val;
  int line;
};

constexpr auto itemError = itemType::itemError;
constexpr auto itemEOF = itemType::itemEOF;
constexpr auto itemKey = itemType::itemKey;
constexpr auto itemText = itemType::itemText;
constexpr auto itemString = itemType::itemString;
constexpr auto itemBool = itemType::itemBool;
constexpr auto itemInteger = itemType::itemInteger;
constexpr auto itemFloat = itemType::itemFloat;
constexpr auto itemDatetime = itemType::itemDatetime;
constexpr auto itemArrayStart = itemType::itemArrayStart;
constexpr auto itemArrayEnd = itemType::itemArrayEnd;
constexpr auto itemMapStart = itemType::itemMapStart;
constexpr auto itemMapEnd = itemType::itemMapEnd;
constexpr auto itemCommentStart = itemType::itemCommentStart;
constexpr auto itemVariable = itemType::itemVariable;
constexpr auto itemInclude = itemType::itemInclude;

// Go's expect(): compares (type, value, line) item by item and stops at the
// first EOF or error. Stricter than Go in one way: an EOF that arrives while
// a non-EOF item is still expected fails. (gnatsd's expected EOF lines are
// never compared, and some are wrong, so neither are ours.)
void expect(const std::string& input, const std::vector<want>& items) {
  INFO("input: '" << input << "'");
  lexer lx(input);
  for (std::size_t i = 0; i < items.size(); ++i) {
    item it = lx.nextItem();
    INFO("item " << i << ": got " << formatItem(it));
    if (it.typ == itemEOF) {
      CHECK(items[i].typ == itemEOF);
      break;
    }
    CHECK(it.typ == items[i].typ);
    CHECK(it.val == items[i].val);
    CHECK(it.line == items[i].line);
    if (it.typ == itemError) break;
  }
}

}  // namespace

TEST_CASE("TestPlainValue", "[conf][lex]") {
  expect("foo", {{itemKey, "foo", 1}, {itemEOF, "", 1}});
}

TEST_CASE("TestSimpleKeyStringValues", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemString, "bar", 1}, {itemEOF, "", 1}};
  expect("foo = \"bar\"", items);
  expect("foo = 'bar'", items);
  expect("foo='bar'", items);
  expect("foo='bar'\r\n", items);
  expect("foo=\t'bar'\t", items);
}

TEST_CASE("TestComplexStringValues", "[conf][lex]") {
  expect("foo = 'bar\\r\\n  \\t'",
         {{itemKey, "foo", 1}, {itemString, "bar\\r\\n  \\t", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestBinaryString", "[conf][lex]") {
  expect("foo = \\x65", {{itemKey, "foo", 1}, {itemString, "e", 1}, {itemEOF, "", 1}});
}

TEST_CASE("TestBinaryStringLatin1", "[conf][lex]") {
  expect("foo = \\xe9", {{itemKey, "foo", 1}, {itemString, "\xe9", 1}, {itemEOF, "", 1}});
}

TEST_CASE("TestSimpleKeyIntegerValues", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemInteger, "123", 1}, {itemEOF, "", 1}};
  expect("foo = 123", items);
  expect("foo=123", items);
  expect("foo=123\r\n", items);
}

TEST_CASE("TestSimpleKeyNegativeIntegerValues", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemInteger, "-123", 1}, {itemEOF, "", 1}};
  expect("foo = -123", items);
  expect("foo=-123", items);
  expect("foo=-123\r\n", items);
}

TEST_CASE("TestConvenientIntegerValues", "[conf][lex]") {
  auto one = [](const std::string& in, const std::string& v) {
    expect(in, {{itemKey, "foo", 1}, {itemInteger, v, 1}, {itemEOF, "", 1}});
  };
  one("foo = 1k", "1k");
  one("foo = 1K", "1K");
  one("foo = 1m", "1m");
  one("foo = 1M", "1M");
  one("foo = 1g", "1g");
  one("foo = 1G", "1G");
  one("foo = 1MB", "1MB");
  one("foo = 1Gb", "1Gb");
  // Negative versions
  one("foo = -1m", "-1m");
  one("foo = -1GB ", "-1GB");
}

TEST_CASE("TestSimpleKeyFloatValues", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemFloat, "22.2", 1}, {itemEOF, "", 1}};
  expect("foo = 22.2", items);
  expect("foo=22.2", items);
  expect("foo=22.2\r\n", items);
}

TEST_CASE("TestBadBinaryStringEndingAfterZeroHexChars", "[conf][lex]") {
  expect("foo = xyz\\x\n",
         {{itemKey, "foo", 1},
          {itemError, "Expected two hexadecimal digits after '\\x', but hit end of line", 2},
          {itemEOF, "", 1}});
}

TEST_CASE("TestBadBinaryStringEndingAfterOneHexChar", "[conf][lex]") {
  expect("foo = xyz\\xF\n",
         {{itemKey, "foo", 1},
          {itemError, "Expected two hexadecimal digits after '\\x', but hit end of line", 2},
          {itemEOF, "", 1}});
}

TEST_CASE("TestBadBinaryStringWithZeroHexChars", "[conf][lex]") {
  expect(R"(foo = "[\x]")",
         {{itemKey, "foo", 1},
          {itemError, "Expected two hexadecimal digits after '\\x', but got ']\"'", 1},
          {itemEOF, "", 1}});
}

TEST_CASE("TestBadBinaryStringWithOneHexChar", "[conf][lex]") {
  expect(R"(foo = "[\xe]")",
         {{itemKey, "foo", 1},
          {itemError, "Expected two hexadecimal digits after '\\x', but got 'e]'", 1},
          {itemEOF, "", 1}});
}

TEST_CASE("TestBadFloatValues", "[conf][lex]") {
  expect("foo = .2", {{itemKey, "foo", 1},
                      {itemError, "Floats must start with a digit", 1},
                      {itemEOF, "", 1}});
}

TEST_CASE("TestBadKey", "[conf][lex]") {
  expect(" :foo = 22", {{itemError, "Unexpected key separator ':'", 1}, {itemEOF, "", 1}});
}

TEST_CASE("TestSimpleKeyBoolValues", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemBool, "true", 1}, {itemEOF, "", 1}};
  expect("foo = true", items);
  expect("foo=true", items);
  expect("foo=true\r\n", items);
}

TEST_CASE("TestComments", "[conf][lex]") {
  std::vector<want> items = {
      {itemCommentStart, "", 1}, {itemText, " This is a comment", 1}, {itemEOF, "", 1}};
  expect("# This is a comment", items);
  expect("# This is a comment\r\n", items);
  expect("// This is a comment\r\n", items);
}

TEST_CASE("TestTopValuesWithComments", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1},
                             {itemInteger, "123", 1},
                             {itemCommentStart, "", 1},
                             {itemText, " This is a comment", 1},
                             {itemEOF, "", 1}};
  expect("foo = 123 // This is a comment", items);
  expect("foo=123    # This is a comment", items);
}

TEST_CASE("TestRawString", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemString, "bar", 1}, {itemEOF, "", 1}};
  expect("foo = bar", items);
  expect("foo = bar' ", items);
}

TEST_CASE("TestDateValues", "[conf][lex]") {
  expect("foo = 2016-05-04T18:53:41Z",
         {{itemKey, "foo", 1}, {itemDatetime, "2016-05-04T18:53:41Z", 1}, {itemEOF, "", 1}});
}

TEST_CASE("TestVariableValues", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemVariable, "bar", 1}, {itemEOF, "", 1}};
  expect("foo = $bar", items);
  expect("foo =$bar", items);
  expect("foo $bar", items);
}

TEST_CASE("TestArrays", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1},     {itemArrayStart, "", 1},
                             {itemInteger, "1", 1},   {itemInteger, "2", 1},
                             {itemInteger, "3", 1},   {itemString, "bar", 1},
                             {itemArrayEnd, "", 1},   {itemEOF, "", 1}};
  expect("foo = [1, 2, 3, 'bar']", items);
  expect("foo = [1,2,3,'bar']", items);
  expect("foo = [1, 2,3,'bar']", items);
}

static const char* mlArray = R"(
# top level comment
foo = [
 1, # One
 2, // Two
 3 # Three
 'bar'     ,
 "bar"
]
)";

TEST_CASE("TestMultilineArrays", "[conf][lex]") {
  expect(mlArray, {{itemCommentStart, "", 2},
                   {itemText, " top level comment", 2},
                   {itemKey, "foo", 3},
                   {itemArrayStart, "", 3},
                   {itemInteger, "1", 4},
                   {itemCommentStart, "", 4},
                   {itemText, " One", 4},
                   {itemInteger, "2", 5},
                   {itemCommentStart, "", 5},
                   {itemText, " Two", 5},
                   {itemInteger, "3", 6},
                   {itemCommentStart, "", 6},
                   {itemText, " Three", 6},
                   {itemString, "bar", 7},
                   {itemString, "bar", 8},
                   {itemArrayEnd, "", 9},
                   {itemEOF, "", 9}});
}

static const char* mlArrayNoSep = R"(
# top level comment
foo = [
 1 // foo
 2
 3
 'bar'
 "bar"
]
)";

TEST_CASE("TestMultilineArraysNoSep", "[conf][lex]") {
  expect(mlArrayNoSep, {{itemCommentStart, "", 2},
                        {itemText, " top level comment", 2},
                        {itemKey, "foo", 3},
                        {itemArrayStart, "", 3},
                        {itemInteger, "1", 4},
                        {itemCommentStart, "", 4},
                        {itemText, " foo", 4},
                        {itemInteger, "2", 5},
                        {itemInteger, "3", 6},
                        {itemString, "bar", 7},
                        {itemString, "bar", 8},
                        {itemArrayEnd, "", 9},
                        {itemEOF, "", 9}});
}

TEST_CASE("TestSimpleMap", "[conf][lex]") {
  expect("foo = {ip='127.0.0.1', port = 4242}",
         {{itemKey, "foo", 1},
          {itemMapStart, "", 1},
          {itemKey, "ip", 1},
          {itemString, "127.0.0.1", 1},
          {itemKey, "port", 1},
          {itemInteger, "4242", 1},
          {itemMapEnd, "", 1},
          {itemEOF, "", 1}});
}

static const char* mlMap = R"(
foo = {
  ip = '127.0.0.1' # the IP
  port= 4242 // the port
}
)";

TEST_CASE("TestMultilineMap", "[conf][lex]") {
  expect(mlMap, {{itemKey, "foo", 2},
                 {itemMapStart, "", 2},
                 {itemKey, "ip", 3},
                 {itemString, "127.0.0.1", 3},
                 {itemCommentStart, "", 3},
                 {itemText, " the IP", 3},
                 {itemKey, "port", 4},
                 {itemInteger, "4242", 4},
                 {itemCommentStart, "", 4},
                 {itemText, " the port", 4},
                 {itemMapEnd, "", 5},
                 {itemEOF, "", 5}});
}

static const char* nestedMap = R"(
foo = {
  host = {
    ip = '127.0.0.1'
    port= 4242
  }
}
)";

TEST_CASE("TestNestedMaps", "[conf][lex]") {
  expect(nestedMap, {{itemKey, "foo", 2},
                     {itemMapStart, "", 2},
                     {itemKey, "host", 3},
                     {itemMapStart, "", 3},
                     {itemKey, "ip", 4},
                     {itemString, "127.0.0.1", 4},
                     {itemKey, "port", 5},
                     {itemInteger, "4242", 5},
                     {itemMapEnd, "", 6},
                     {itemMapEnd, "", 7},
                     {itemEOF, "", 5}});
}

TEST_CASE("TestQuotedKeys", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemInteger, "123", 1}, {itemEOF, "", 1}};
  expect("foo : 123", items);
  expect("'foo' : 123", items);
  expect("\"foo\" : 123", items);
}

TEST_CASE("TestQuotedKeysWithSpace", "[conf][lex]") {
  std::vector<want> items = {{itemKey, " foo", 1}, {itemInteger, "123", 1}, {itemEOF, "", 1}};
  expect("' foo' : 123", items);
  expect("\" foo\" : 123", items);
}

TEST_CASE("TestColonKeySep", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemInteger, "123", 1}, {itemEOF, "", 1}};
  expect("foo : 123", items);
  expect("foo:123", items);
  expect("foo: 123", items);
  expect("foo:  123\r\n", items);
}

TEST_CASE("TestWhitespaceKeySep", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1}, {itemInteger, "123", 1}, {itemEOF, "", 1}};
  expect("foo 123", items);
  expect("foo 123", items);
  expect("foo\t123", items);
  expect("foo\t\t123\r\n", items);
}

static const char* escString = R"(
foo  = \t
bar  = \r
baz  = \n
q    = \"
bs   = \\
)";

TEST_CASE("TestEscapedString", "[conf][lex]") {
  expect(escString, {{itemKey, "foo", 2},
                     {itemString, "\t", 2},
                     {itemKey, "bar", 3},
                     {itemString, "\r", 3},
                     {itemKey, "baz", 4},
                     {itemString, "\n", 4},
                     {itemKey, "q", 5},
                     {itemString, "\"", 5},
                     {itemKey, "bs", 6},
                     {itemString, "\\", 6},
                     {itemEOF, "", 6}});
}

TEST_CASE("TestCompoundStringES", "[conf][lex]") {
  expect(R"(foo = "\\end")", {{itemKey, "foo", 1}, {itemString, "\\end", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestCompoundStringSE", "[conf][lex]") {
  expect(R"(foo = "start\\")",
         {{itemKey, "foo", 1}, {itemString, "start\\", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestCompoundStringEE", "[conf][lex]") {
  expect(R"(foo = \x45\x71)", {{itemKey, "foo", 1}, {itemString, "Eq", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestCompoundStringSEE", "[conf][lex]") {
  expect(R"(foo = start\x45\x71)",
         {{itemKey, "foo", 1}, {itemString, "startEq", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestCompoundStringSES", "[conf][lex]") {
  expect(R"(foo = start\x7Cend)",
         {{itemKey, "foo", 1}, {itemString, "start|end", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestCompoundStringEES", "[conf][lex]") {
  expect(R"(foo = \x3c\x3eend)",
         {{itemKey, "foo", 1}, {itemString, "<>end", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestCompoundStringESE", "[conf][lex]") {
  expect(R"(foo = \x3cmiddle\x3E)",
         {{itemKey, "foo", 1}, {itemString, "<middle>", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestBadStringEscape", "[conf][lex]") {
  expect(R"(foo = \y)",
         {{itemKey, "foo", 1},
          {itemError,
           "Invalid escape character 'y'. Only the following escape characters are allowed: "
           "\\xXX, \\t, \\n, \\r, \\\", \\\\.",
           1},
          {itemEOF, "", 2}});
}

TEST_CASE("TestNonBool", "[conf][lex]") {
  expect(R"(foo = \\true)", {{itemKey, "foo", 1}, {itemString, "\\true", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestNonVariable", "[conf][lex]") {
  expect(R"(foo = \\$var)", {{itemKey, "foo", 1}, {itemString, "\\$var", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestEmptyStringDQ", "[conf][lex]") {
  expect(R"(foo = "")", {{itemKey, "foo", 1}, {itemString, "", 1}, {itemEOF, "", 2}});
}

TEST_CASE("TestEmptyStringSQ", "[conf][lex]") {
  expect(R"(foo = '')", {{itemKey, "foo", 1}, {itemString, "", 1}, {itemEOF, "", 2}});
}

static const char* nestedWhitespaceMap = R"(
foo  {
  host  {
    ip = '127.0.0.1'
    port= 4242
  }
}
)";

TEST_CASE("TestNestedWhitespaceMaps", "[conf][lex]") {
  expect(nestedWhitespaceMap, {{itemKey, "foo", 2},
                               {itemMapStart, "", 2},
                               {itemKey, "host", 3},
                               {itemMapStart, "", 3},
                               {itemKey, "ip", 4},
                               {itemString, "127.0.0.1", 4},
                               {itemKey, "port", 5},
                               {itemInteger, "4242", 5},
                               {itemMapEnd, "", 6},
                               {itemMapEnd, "", 7},
                               {itemEOF, "", 5}});
}

static const char* semicolons = R"(
foo = 123;
bar = 'baz';
baz = 'boo'
map {
 id = 1;
}
)";

TEST_CASE("TestOptionalSemicolons", "[conf][lex]") {
  expect(semicolons, {{itemKey, "foo", 2},
                      {itemInteger, "123", 2},
                      {itemKey, "bar", 3},
                      {itemString, "baz", 3},
                      {itemKey, "baz", 4},
                      {itemString, "boo", 4},
                      {itemKey, "map", 5},
                      {itemMapStart, "", 5},
                      {itemKey, "id", 6},
                      {itemInteger, "1", 6},
                      {itemMapEnd, "", 7},
                      {itemEOF, "", 5}});
}

TEST_CASE("TestSemicolonChaining", "[conf][lex]") {
  expect("foo='1'; bar=2.2; baz=true;", {{itemKey, "foo", 1},
                                         {itemString, "1", 1},
                                         {itemKey, "bar", 1},
                                         {itemFloat, "2.2", 1},
                                         {itemKey, "baz", 1},
                                         {itemBool, "true", 1},
                                         {itemEOF, "", 1}});
}

static const char* noquotes = R"(
foo = 123
bar = baz
baz=boo
map {
 id:one
 id2 : onetwo
}
t true
f false
tstr "true"
tkey = two
fkey = five # This should be a string
)";

TEST_CASE("TestNonQuotedStrings", "[conf][lex]") {
  expect(noquotes, {{itemKey, "foo", 2},
                    {itemInteger, "123", 2},
                    {itemKey, "bar", 3},
                    {itemString, "baz", 3},
                    {itemKey, "baz", 4},
                    {itemString, "boo", 4},
                    {itemKey, "map", 5},
                    {itemMapStart, "", 5},
                    {itemKey, "id", 6},
                    {itemString, "one", 6},
                    {itemKey, "id2", 7},
                    {itemString, "onetwo", 7},
                    {itemMapEnd, "", 8},
                    {itemKey, "t", 9},
                    {itemBool, "true", 9},
                    {itemKey, "f", 10},
                    {itemBool, "false", 10},
                    {itemKey, "tstr", 11},
                    {itemString, "true", 11},
                    {itemKey, "tkey", 12},
                    {itemString, "two", 12},
                    {itemKey, "fkey", 13},
                    {itemString, "five", 13},
                    {itemCommentStart, "", 13},
                    {itemText, " This should be a string", 13},
                    {itemEOF, "", 14}});
}

TEST_CASE("TestMapQuotedKeys", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1},    {itemMapStart, "", 1},
                             {itemKey, "bar", 1},    {itemInteger, "4242", 1},
                             {itemMapEnd, "", 1},    {itemEOF, "", 1}};
  expect("foo = {'bar' = 4242}", items);
  expect("foo = {\"bar\" = 4242}", items);
}

TEST_CASE("TestSpecialCharsMapQuotedKeys", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1},       {itemMapStart, "", 1},
                             {itemKey, "bar-1.2.3", 1}, {itemMapStart, "", 1},
                             {itemKey, "port", 1},      {itemInteger, "4242", 1},
                             {itemMapEnd, "", 1},       {itemMapEnd, "", 1},
                             {itemEOF, "", 1}};
  expect("foo = {'bar-1.2.3' = { port:4242 }}", items);
  expect("foo = {\"bar-1.2.3\" = { port:4242 }}", items);
}

static const char* mlnestedmap = R"(
systems {
  allinone {
    description: "This is a description."
  }
}
)";

TEST_CASE("TestDoubleNestedMapsNewLines", "[conf][lex]") {
  expect(mlnestedmap, {{itemKey, "systems", 2},
                       {itemMapStart, "", 2},
                       {itemKey, "allinone", 3},
                       {itemMapStart, "", 3},
                       {itemKey, "description", 4},
                       {itemString, "This is a description.", 4},
                       {itemMapEnd, "", 5},
                       {itemMapEnd, "", 6},
                       {itemEOF, "", 7}});
}

static const std::string blockexample = R"(
numbers (
1234567890
)
)";

TEST_CASE("TestBlockString", "[conf][lex]") {
  expect(blockexample, {{itemKey, "numbers", 2}, {itemString, "\n1234567890\n", 4}});
}

TEST_CASE("TestBlockStringEOF", "[conf][lex]") {
  // The final newline replaced by a NUL byte, which gnatsd reads as EOF.
  std::string blockbytes = blockexample.substr(0, blockexample.size() - 1);
  blockbytes.push_back('\0');
  expect(blockbytes, {{itemKey, "numbers", 2}, {itemString, "\n1234567890\n", 4}});
}

static const char* mlblockexample = R"(
numbers (
  12(34)56
  (
    7890
  )
)
)";

TEST_CASE("TestBlockStringMultiLine", "[conf][lex]") {
  expect(mlblockexample,
         {{itemKey, "numbers", 2}, {itemString, "\n  12(34)56\n  (\n    7890\n  )\n", 7}});
}

TEST_CASE("TestUnquotedIPAddr", "[conf][lex]") {
  expect("listen: 127.0.0.1:4222",
         {{itemKey, "listen", 1}, {itemString, "127.0.0.1:4222", 1}, {itemEOF, "", 1}});
  expect("listen: 127.0.0.1",
         {{itemKey, "listen", 1}, {itemString, "127.0.0.1", 1}, {itemEOF, "", 1}});
  expect("listen: apcera.me:80",
         {{itemKey, "listen", 1}, {itemString, "apcera.me:80", 1}, {itemEOF, "", 1}});
  expect("listen = :80", {{itemKey, "listen", 1}, {itemString, ":80", 1}, {itemEOF, "", 1}});
  expect("listen = [localhost:4222, localhost:4333]",
         {{itemKey, "listen", 1},
          {itemArrayStart, "", 1},
          {itemString, "localhost:4222", 1},
          {itemString, "localhost:4333", 1},
          {itemArrayEnd, "", 1},
          {itemEOF, "", 1}});
}

static const char* arrayOfMaps = R"(
authorization {
    users = [
      {user: alice, password: foo}
      {user: bob,   password: bar}
    ]
    timeout: 0.5
}
)";

TEST_CASE("TestArrayOfMaps", "[conf][lex]") {
  expect(arrayOfMaps, {{itemKey, "authorization", 2},
                       {itemMapStart, "", 2},
                       {itemKey, "users", 3},
                       {itemArrayStart, "", 3},
                       {itemMapStart, "", 4},
                       {itemKey, "user", 4},
                       {itemString, "alice", 4},
                       {itemKey, "password", 4},
                       {itemString, "foo", 4},
                       {itemMapEnd, "", 4},
                       {itemMapStart, "", 5},
                       {itemKey, "user", 5},
                       {itemString, "bob", 5},
                       {itemKey, "password", 5},
                       {itemString, "bar", 5},
                       {itemMapEnd, "", 5},
                       {itemArrayEnd, "", 6},
                       {itemKey, "timeout", 7},
                       {itemFloat, "0.5", 7},
                       {itemMapEnd, "", 8},
                       {itemEOF, "", 9}});
}

TEST_CASE("TestInclude", "[conf][lex]") {
  std::vector<want> items = {{itemInclude, "users.conf", 1}, {itemEOF, "", 1}};
  expect("include \"users.conf\"", items);
  expect("include 'users.conf'", items);
  expect("include users.conf", items);
}

TEST_CASE("TestMapInclude", "[conf][lex]") {
  std::vector<want> items = {{itemKey, "foo", 1},
                             {itemMapStart, "", 1},
                             {itemInclude, "users.conf", 1},
                             {itemMapEnd, "", 1},
                             {itemEOF, "", 1}};
  expect("foo { include users.conf }", items);
  expect("foo {include users.conf}", items);
  expect("foo { include 'users.conf' }", items);
  expect("foo { include \"users.conf\"}", items);
}

// ---------------------------------------------------------------------------
// Beyond lex_test.go: positions, and the inputs that hang gnatsd 1.0.0.

TEST_CASE("item positions are byte offsets of the item's source text", "[conf][lex]") {
  const std::string in = "a = 1\nbb { 'k': \"v\", n: [x, $y] }\n";
  lexer lx(in);
  std::vector<std::pair<itemType, std::size_t>> got;
  for (;;) {
    item it = lx.nextItem();
    got.emplace_back(it.typ, it.pos);
    if (it.typ == itemEOF || it.typ == itemError) break;
  }
  std::vector<std::pair<itemType, std::size_t>> want = {
      {itemKey, 0},        {itemInteger, 4},  {itemKey, 6},        {itemMapStart, 9},
      {itemKey, 11},       {itemString, 16},  {itemKey, 21},       {itemArrayStart, 24},
      {itemString, 25},    {itemVariable, 28}, {itemArrayEnd, 30}, {itemMapEnd, 32},
      {itemEOF, in.size()}};
  CHECK(got == want);
  CHECK(lx.lineCol(11).line == 2);
  CHECK(lx.lineCol(11).col == 6);
  CHECK(lx.lineCol(0).col == 1);
}

TEST_CASE("unterminated quoted strings, keys and blocks end with an error", "[conf][lex]") {
  struct tc {
    std::string in;
    std::string msg;
    std::size_t pos;
  };
  std::vector<tc> cases = {
      {"foo = 'bar", "Unexpected EOF processing quoted string.", 6},
      {"foo = \"bar", "Unexpected EOF processing quoted string.", 6},
      {"foo = \"b\\tar", "Unexpected EOF processing quoted string.", 6},
      {"foo (\nbar\n", "Unexpected EOF processing block, expected ')' on a line by itself.", 4},
      {"foo (\nbar)", "Unexpected EOF processing block, expected ')' on a line by itself.", 4},
      {"'foo = 1", "Unexpected EOF processing quoted key.", 0},
      {"\"foo = 1", "Unexpected EOF processing quoted key.", 0},
      {"m { 'foo = 1", "Unexpected EOF processing quoted key.", 4},
      {"include 'foo", "Unexpected EOF processing quoted include.", 8},
      {"include \"foo", "Unexpected EOF processing quoted include.", 8},
      {"m {", "Unexpected EOF processing map, expected '}'.", 2},
      {"m { a", "Unexpected EOF processing map, expected '}'.", 2},
      {"m { a = 1", "Unexpected EOF processing map, expected '}'.", 2},
      {"m { a = ", "Unexpected EOF processing map, expected '}'.", 2},
      {"a [", "Unexpected EOF processing array, expected ']'.", 2},
      {"a [1, 2", "Unexpected EOF processing array, expected ']'.", 2},
      {"foo:", "Expected value but found EOF", 4},
      {"foo = ", "Expected value but found EOF", 6},
      {"foo = \\x4", "Expected two hexadecimal digits after '\\x', but hit end of file", 9},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.in);
    lexer lx(c.in);
    item it;
    int n = 0;
    do {
      it = lx.nextItem();
    } while (it.typ != itemError && it.typ != itemEOF && ++n < 100);
    CHECK(it.typ == itemError);
    CHECK(it.val == c.msg);
    CHECK(it.pos == c.pos);
    CHECK(lx.nextItem().typ == itemEOF);  // and stays finished
  }
}

TEST_CASE("block string closed at the very end of input", "[conf][lex]") {
  // gnatsd keeps the ')' in the value when nothing follows it.
  expect("numbers (\n1234\n)", {{itemKey, "numbers", 1}, {itemString, "\n1234\n", 3}});
}

TEST_CASE("random input always terminates", "[conf][lex]") {
  // A cheap fuzz: the alphabet of the language's special characters.
  const std::string alphabet = "ab1-.:=;,{}[]()'\"\\$# \t\n\r/x0kKbBT\xc3\xa9";
  uint64_t state = 88172645463325252ull;
  auto rnd = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    const std::size_t len = rnd() % 40;
    for (std::size_t i = 0; i < len; ++i) in += alphabet[rnd() % alphabet.size()];
    lexer lx(in);
    std::size_t n = 0;
    item it;
    do {
      it = lx.nextItem();
      ++n;
    } while (it.typ != itemError && it.typ != itemEOF && n < 10 * (in.size() + 2));
    INFO("input: '" << in << "'");
    REQUIRE((it.typ == itemError || it.typ == itemEOF));
    REQUIRE(it.val != "BUG in lexer: no progress.");
  }
}
