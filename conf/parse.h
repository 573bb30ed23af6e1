// Go: conf/parse.go (gnatsd v1.0.0)
// Parser of the config language: turns the lexer's items into a JSON tree.
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gnatsd::conf {

// Where something is in a config text. line 0 means "no position known".
struct Position {
  std::string file;  // empty for text given to Parse()
  int line = 0;      // 1-based
  int col = 0;       // 1-based, counted in bytes
  bool operator==(const Position&) const = default;
};

// "file:line:col", "line:col" without a file, "" when line is 0.
std::string FormatPosition(const Position& pos);

// Any error of the config language. message() is gnatsd's text, e.g.
//   Parse error on line 3: 'Expected a top-level value to end with a new line,
//   comment or EOF, but got 'x' instead.'
// and what() puts the position in front: "<file>:<line>:<col>: <message>"
// ("<line>:<col>: <message>" without a file; just the message when there is
// no position, as for "error opening config file: ...").
//
// The position is where the problem is: the offending character for lexical
// errors, the value for bad numbers or missing variables, the include
// directive for a failed include. gnatsd's own "on line N" counts a newline
// as part of the next line, so for an error found at a newline it is one
// more than the position's line.
class ParseError : public std::runtime_error {
 public:
  ParseError(Position pos, std::string message);
  const Position& pos() const { return pos_; }
  const std::string& message() const { return message_; }

 private:
  Position pos_;
  std::string message_;
};

// Where each value of a parsed tree came from, by JSON pointer
// ("/cluster/routes/0"). A map entry is positioned at its key, an array
// element at its first character. Values copied by a variable reference keep
// the positions of their definition below the reference itself.
using PositionMap = std::map<std::string, Position>;

// The position of ptr, or of its nearest ancestor that has one; a
// default Position if none does.
Position FindPosition(const PositionMap& positions, const nlohmann::json::json_pointer& ptr);

// Limits that keep any input from exhausting the stack, memory or time.
inline constexpr int kMaxNestingDepth = 256;     // maps and arrays inside each other
inline constexpr int kMaxIncludeDepth = 10;      // files including files
inline constexpr int kMaxEnvDepth = 10;          // variables resolved via the environment
inline constexpr std::size_t kMaxValues = 1000000;  // values created, copies included

// Go: Parse. Parses a config text into a JSON object.
//
// Value types: strings (raw bytes, not always valid UTF-8: "\xe9" gives the
// byte E9, so dump() needs an error handler), booleans, integers as int64,
// floats as double, arrays and objects. A datetime (2016-05-04T18:53:41Z,
// the only form the language has) becomes a string in that same RFC 3339
// form; gnatsd makes a time.Time of it, which no option uses.
//
// Keys keep their case; duplicates: the last one wins. Variables ($NAME)
// resolve, innermost enclosing map first, then the process environment (an
// environment value is itself parsed as a value). `include path` parses
// another file and inserts its keys into the current map; in Parse() a
// relative path is relative to the working directory.
//
// Throws ParseError. Never hangs or crashes: unterminated strings are errors,
// and kMaxNestingDepth, kMaxIncludeDepth (include cycles are detected too),
// kMaxEnvDepth and kMaxValues bound the work. If positions is not null it is
// filled with the position of every value.
nlohmann::json Parse(const std::string& data, PositionMap* positions = nullptr);

// Go: ParseFile. Reads and parses a file; includes are relative to the
// directory of the file that names them. Positions name this file (or the
// included one, as the path joined from the including file's directory).
nlohmann::json ParseFile(const std::string& path, PositionMap* positions = nullptr);

}  // namespace gnatsd::conf
