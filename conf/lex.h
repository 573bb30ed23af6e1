// Go: conf/lex.go (gnatsd v1.0.0)
// Lexer of the config language: a state machine that turns text into items.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace gnatsd::conf {

// Go: itemType. The names and order follow lex.go.
enum class itemType {
  itemError,
  itemNIL,  // the parser's "no type"; the lexer never emits it
  itemEOF,
  itemKey,
  itemText,  // the text of a comment
  itemString,
  itemBool,
  itemInteger,  // digits with an optional size suffix, e.g. "1k", "-2MB"
  itemFloat,
  itemDatetime,
  itemArrayStart,
  itemArrayEnd,
  itemMapStart,
  itemMapEnd,
  itemCommentStart,
  itemVariable,  // the name after '$'
  itemInclude,   // the path after the include keyword
};

// Go's name for t: "Key", "String", "EOF", ...
const char* itemTypeName(itemType t);

// One token. `line` is gnatsd's line number: the line the lexer was on when it
// emitted the item, which for an item spanning lines (a block string) is its
// last line, and for an error right after a newline is the next line; it is
// what gnatsd prints in "Parse error on line N". `pos` is exact: the byte
// offset in the input where the item's source text starts (its opening quote,
// bracket or '$'), or, for an itemError, of the offending character.
// lexer::lineCol turns it into a line and column.
struct item {
  itemType typ = itemType::itemNIL;
  std::string val;
  int line = 0;
  std::size_t pos = 0;
};

// Renders an item like Go's item.String(): (Key, 'foo', 1).
std::string formatItem(const item& it);

class lexStates;  // the state functions, defined in lex.cpp

// Go: lexer. Runs the state machine on demand: each nextItem() call runs
// states until one item is ready.
//
// Unlike gnatsd 1.0.0 it always terminates: every state that loops over input
// stops at the end of it (an unterminated quoted string, quoted key or block
// string is an error, where 1.0.0 spins forever). After an itemError or
// itemEOF, nextItem() returns itemEOF forever. Not thread safe; the input must
// outlive the lexer.
class lexer {
 public:
  explicit lexer(std::string_view input);
  lexer(const lexer&) = delete;
  lexer& operator=(const lexer&) = delete;

  item nextItem();

  // 1-based line and column (in bytes) of a byte offset into the input. Lines
  // end at '\n' only, as gnatsd counts them.
  struct lineColumn {
    int line;
    int col;
  };
  lineColumn lineCol(std::size_t offset) const;

  std::string_view input() const { return input_; }

 private:
  friend class lexStates;
  struct stateFn {
    stateFn (*fn)(lexer&) = nullptr;
  };

  static constexpr char32_t eof = 0;

  char32_t next();
  void backup();
  char32_t peek();
  void ignore() { start_ = pos_; }
  bool atEOF() const { return width_ == 0 && pos_ >= input_.size(); }
  void push(stateFn s) { stack_.push_back(s); }
  stateFn pop();
  void emit(itemType typ);
  void emitString();
  void addCurrentStringPart(std::size_t offset);
  stateFn addStringPart(std::string_view s);
  bool hasEscapedParts() const { return hasParts_; }
  bool isBool() const;
  bool isVariable();
  std::size_t lastRuneStart() const { return pos_ - width_; }
  std::size_t openAt() const { return open_.empty() ? pos_ : open_.back(); }
  // Queues an itemError whose text is msg, blamed on the byte at offset `at`,
  // and returns the null state that stops the machine.
  stateFn errorAt(std::size_t at, std::string msg);

  std::string_view input_;
  std::size_t start_ = 0;
  std::size_t pos_ = 0;
  std::size_t width_ = 0;
  int line_ = 1;
  stateFn state_;
  std::deque<item> items_;
  // States to return to once a value or comment has been lexed.
  std::vector<stateFn> stack_;
  // Decoded pieces of a string with escapes, and the state to resume after one.
  std::string stringParts_;
  bool hasParts_ = false;
  stateFn stringStateFn_;
  // Where the token being lexed started (npos: use start_).
  std::size_t tokenStart_ = std::string_view::npos;
  // Offsets of the '{' and '[' still open, innermost last, to blame an
  // unexpected end of input on the bracket left open.
  std::vector<std::size_t> open_;
  mutable std::vector<std::size_t> lineStarts_;  // built on first lineCol() call
  std::size_t steps_ = 0;
  bool done_ = false;
};

// The character as gnatsd echoes it in an error: a newline as \n, a NUL or
// the end of input as \x00, anything else as its UTF-8 bytes.
std::string escapeSpecial(char32_t c);

}  // namespace gnatsd::conf
