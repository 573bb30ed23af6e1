// Go: conf/lex.go (gnatsd v1.0.0)
// The lexer's states, one function each, named after gnatsd's.
#include "conf/lex.h"

#include <algorithm>
#include <utility>

#include "server/gostrings.h"

namespace gnatsd::conf {

namespace {

// Go's unicode.IsSpace.
bool isSpace(char32_t r) {
  switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// ASCII digits only; Go's unicode.IsDigit also takes other scripts' digits
// (docs/DEVIATIONS.md).
bool isDigit(char32_t r) { return r >= '0' && r <= '9'; }
bool isWhitespace(char32_t r) { return r == '\t' || r == ' '; }
bool isNL(char32_t r) { return r == '\n' || r == '\r'; }
bool isKeySeparator(char32_t r) { return r == '=' || r == ':'; }
bool isNumberSuffix(char32_t r) {
  return r == 'k' || r == 'K' || r == 'm' || r == 'M' || r == 'g' || r == 'G';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Text of the errors this port adds where 1.0.0 hangs or crashes.
constexpr const char* kEOFInQuotedKey = "Unexpected EOF processing quoted key.";
constexpr const char* kEOFInQuotedString = "Unexpected EOF processing quoted string.";
constexpr const char* kEOFInBlock =
    "Unexpected EOF processing block, expected ')' on a line by itself.";
constexpr const char* kEOFInInclude = "Unexpected EOF processing quoted include.";
constexpr const char* kEOFInMap = "Unexpected EOF processing map, expected '}'.";
constexpr const char* kEOFInArray = "Unexpected EOF processing array, expected ']'.";
constexpr const char* kEOFForValue = "Expected value but found EOF";

}  // namespace

std::string escapeSpecial(char32_t c) {
  if (c == '\n') return "\\n";
  if (c == 0) return "\\x00";
  std::string out;
  server::AppendRune(out, c);
  return out;
}

const char* itemTypeName(itemType t) {
  switch (t) {
    case itemType::itemError: return "Error";
    case itemType::itemNIL: return "NIL";
    case itemType::itemEOF: return "EOF";
    case itemType::itemKey: return "Key";
    case itemType::itemText: return "Text";
    case itemType::itemString: return "String";
    case itemType::itemBool: return "Bool";
    case itemType::itemInteger: return "Integer";
    case itemType::itemFloat: return "Float";
    case itemType::itemDatetime: return "DateTime";
    case itemType::itemArrayStart: return "ArrayStart";
    case itemType::itemArrayEnd: return "ArrayEnd";
    case itemType::itemMapStart: return "MapStart";
    case itemType::itemMapEnd: return "MapEnd";
    case itemType::itemCommentStart: return "CommentStart";
    case itemType::itemVariable: return "Variable";
    case itemType::itemInclude: return "Include";
  }
  return "Unknown";
}

std::string formatItem(const item& it) {
  // Appended piece by piece: `"(" + std::string&&` trips GCC 12's bogus
  // -Wrestrict at -O3 (gcc.gnu.org PR 105329).
  std::string s = "(";
  s.append(itemTypeName(it.typ)).append(", '").append(it.val).append("', ");
  s.append(std::to_string(it.line)).append(")");
  return s;
}

// ---------------------------------------------------------------------------
// lexer primitives

char32_t lexer::next() {
  if (pos_ >= input_.size()) {
    width_ = 0;
    return eof;
  }
  if (input_[pos_] == '\n') ++line_;
  auto [r, w] = server::DecodeRuneInString(input_.substr(pos_));
  width_ = w;
  pos_ += w;
  return r;
}

// Steps back over the last rune read. As in gnatsd, calling it twice steps
// back twice by the same width (lexBlock relies on this).
void lexer::backup() {
  pos_ -= width_;
  if (pos_ < input_.size() && input_[pos_] == '\n') --line_;
}

char32_t lexer::peek() {
  char32_t r = next();
  backup();
  return r;
}

lexer::stateFn lexer::pop() {
  if (stack_.empty()) return errorAt(pos_, "BUG in lexer: no states to pop.");
  stateFn last = stack_.back();
  stack_.pop_back();
  return last;
}

void lexer::emit(itemType typ) {
  item it;
  it.typ = typ;
  it.val = stringParts_;
  it.val.append(input_.substr(start_, pos_ - start_));
  it.line = line_;
  it.pos = tokenStart_ != std::string_view::npos ? tokenStart_ : start_;
  items_.push_back(std::move(it));
  stringParts_.clear();
  hasParts_ = false;
  tokenStart_ = std::string_view::npos;
  start_ = pos_;
}

void lexer::emitString() { emit(itemType::itemString); }

void lexer::addCurrentStringPart(std::size_t offset) {
  stringParts_.append(input_.substr(start_, pos_ - offset - start_));
  hasParts_ = true;
  start_ = pos_;
}

lexer::stateFn lexer::addStringPart(std::string_view s) {
  stringParts_.append(s);
  hasParts_ = true;
  start_ = pos_;
  return stringStateFn_;
}

bool lexer::isBool() const {
  const std::string s = server::ToLowerASCII(input_.substr(start_, pos_ - start_));
  return s == "true" || s == "false" || s == "on" || s == "off" || s == "yes" || s == "no";
}

bool lexer::isVariable() {
  // gnatsd indexes input[start] unchecked and panics on an empty value at
  // the end of input; this cannot be reached here but stays guarded.
  if (start_ < input_.size() && input_[start_] == '$') {
    ++start_;
    return true;
  }
  return false;
}

lexer::stateFn lexer::errorAt(std::size_t at, std::string msg) {
  item it;
  it.typ = itemType::itemError;
  it.val = std::move(msg);
  it.line = line_;
  it.pos = std::min(at, input_.size());
  items_.push_back(std::move(it));
  return {};
}

item lexer::nextItem() {
  // Every state either consumes input or hands over to one that will, within
  // a few steps; the cap turns a bug of that kind into an error, not a hang.
  const std::size_t maxSteps = 16 * (input_.size() + 4);
  while (items_.empty()) {
    if (!state_.fn || done_) {
      done_ = true;
      return item{itemType::itemEOF, "", line_, pos_};
    }
    if (++steps_ > maxSteps) {
      done_ = true;
      return item{itemType::itemError, "BUG in lexer: no progress.", line_, pos_};
    }
    state_ = state_.fn(*this);
  }
  item it = std::move(items_.front());
  items_.pop_front();
  if (it.typ == itemType::itemError || it.typ == itemType::itemEOF) done_ = true;
  return it;
}

lexer::lineColumn lexer::lineCol(std::size_t offset) const {
  if (lineStarts_.empty()) {
    lineStarts_.push_back(0);
    for (std::size_t i = 0; i < input_.size(); ++i) {
      if (input_[i] == '\n') lineStarts_.push_back(i + 1);
    }
  }
  offset = std::min(offset, input_.size());
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  const auto line = static_cast<int>(it - lineStarts_.begin());
  return {line, static_cast<int>(offset - *(it - 1)) + 1};
}

// ---------------------------------------------------------------------------
// The states. Each reads a little input and returns the next state; a null
// state stops the machine (after an error or at the end of input).

class lexStates {
 public:
  using stateFn = lexer::stateFn;
  static constexpr char32_t eof = lexer::eof;

  static stateFn lexTop(lexer& lx) {
    char32_t r = lx.next();
    if (isSpace(r)) {
      lx.ignore();
      return {lexTop};
    }
    switch (r) {
      case '#':
        lx.push({lexTop});
        return {lexCommentStart};
      case '/': {
        char32_t rn = lx.next();
        if (rn == '/') {
          lx.push({lexTop});
          return {lexCommentStart};
        }
        lx.backup();
        [[fallthrough]];
      }
      case eof:
        if (lx.pos_ > lx.start_) return lx.errorAt(lx.start_, "Unexpected EOF.");
        lx.emit(itemType::itemEOF);
        return {};
      default:
        break;
    }
    // Only a key can start here.
    lx.backup();
    lx.push({lexTopValueEnd});
    return {lexKeyStart};
  }

  // After a top-level value: blanks, then a newline, ';', a comment or EOF.
  static stateFn lexTopValueEnd(lexer& lx) {
    char32_t r = lx.next();
    if (r == '#') {
      lx.push({lexTop});
      return {lexCommentStart};
    }
    if (r == '/') {
      char32_t rn = lx.next();
      if (rn == '/') {
        lx.push({lexTop});
        return {lexCommentStart};
      }
      lx.backup();
      return {lexTopValueEnd};  // a lone '/' counts as a blank, as in gnatsd
    }
    if (isWhitespace(r)) return {lexTopValueEnd};
    if (isNL(r) || r == eof || r == ';') {
      lx.ignore();
      return {lexTop};
    }
    return lx.errorAt(lx.lastRuneStart(),
                      "Expected a top-level value to end with a new line, comment or EOF, "
                      "but got '" + escapeSpecial(r) + "' instead.");
  }

  static stateFn lexKeyStart(lexer& lx) {
    char32_t r = lx.peek();
    if (isKeySeparator(r)) {
      return lx.errorAt(lx.pos_, "Unexpected key separator '" + escapeSpecial(r) + "'");
    }
    if (isSpace(r)) {
      lx.next();
      lx.ignore();
      return {lexKeyStart};
    }
    if (r == '"' || r == '\'') {
      lx.tokenStart_ = lx.pos_;
      lx.next();
      lx.ignore();
      return {r == '"' ? lexDubQuotedKey : lexQuotedKey};
    }
    lx.ignore();
    lx.next();
    return {lexKey};
  }

  static stateFn quotedKey(lexer& lx, char32_t quote, stateFn self, stateFn after) {
    char32_t r = lx.peek();
    if (r == quote) {
      lx.emit(itemType::itemKey);  // positioned at the opening quote
      lx.next();
      lx.ignore();
      return after;
    }
    if (lx.atEOF()) return lx.errorAt(lx.tokenStart_, kEOFInQuotedKey);
    lx.next();
    return self;
  }
  static stateFn lexDubQuotedKey(lexer& lx) {
    return quotedKey(lx, '"', {lexDubQuotedKey}, {lexKeyEnd});
  }
  static stateFn lexQuotedKey(lexer& lx) {
    return quotedKey(lx, '\'', {lexQuotedKey}, {lexKeyEnd});
  }

  // A bare key followed by blanks may be a keyword; only `include` is one.
  static stateFn keyCheckKeyword(lexer& lx, stateFn fallThrough, stateFn push) {
    if (server::ToLowerASCII(lx.input_.substr(lx.start_, lx.pos_ - lx.start_)) == "include") {
      lx.ignore();
      if (push.fn) lx.push(push);
      return {lexIncludeStart};
    }
    lx.emit(itemType::itemKey);
    return fallThrough;
  }

  static stateFn lexIncludeStart(lexer& lx) {
    char32_t r = lx.next();
    if (isWhitespace(r)) {
      lx.ignore();
      return {lexIncludeStart};
    }
    lx.backup();
    return {lexInclude};
  }

  static stateFn includeQuoted(lexer& lx, char32_t quote, stateFn self) {
    char32_t r = lx.next();
    if (r == quote) {
      lx.backup();
      lx.emit(itemType::itemInclude);
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    if (lx.atEOF()) return lx.errorAt(lx.tokenStart_, kEOFInInclude);
    return self;
  }
  static stateFn lexIncludeQuotedString(lexer& lx) {
    return includeQuoted(lx, '\'', {lexIncludeQuotedString});
  }
  static stateFn lexIncludeDubQuotedString(lexer& lx) {
    return includeQuoted(lx, '"', {lexIncludeDubQuotedString});
  }

  static stateFn lexIncludeString(lexer& lx) {
    char32_t r = lx.next();
    if (isNL(r) || r == eof || r == ';' || r == '}' || isWhitespace(r)) {
      lx.backup();
      lx.emit(itemType::itemInclude);
      return lx.pop();
    }
    if (r == '\'') {
      lx.backup();
      lx.emit(itemType::itemInclude);
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    return {lexIncludeString};
  }

  static stateFn lexInclude(lexer& lx) {
    char32_t r = lx.next();
    const std::size_t at = lx.lastRuneStart();
    lx.tokenStart_ = at;
    if (r == '\'') {
      lx.ignore();
      return {lexIncludeQuotedString};
    }
    if (r == '"') {
      lx.ignore();
      return {lexIncludeDubQuotedString};
    }
    if (r == '[') return lx.errorAt(at, "Expected include value but found start of an array");
    if (r == '{') return lx.errorAt(at, "Expected include value but found start of a map");
    if (r == '(') return lx.errorAt(at, "Expected include value but found start of a block");
    if (isDigit(r) || r == '-') {
      return lx.errorAt(at, "Expected include value but found start of a number");
    }
    if (r == '\\') return lx.errorAt(at, "Expected include value but found escape sequence");
    if (isNL(r)) return lx.errorAt(at, "Expected include value but found new line");
    lx.backup();
    return {lexIncludeString};
  }

  static stateFn lexKey(lexer& lx) {
    char32_t r = lx.peek();
    if (isSpace(r)) return keyCheckKeyword(lx, {lexKeyEnd}, {});
    if (isKeySeparator(r) || r == eof) {
      lx.emit(itemType::itemKey);
      return {lexKeyEnd};
    }
    lx.next();
    return {lexKey};
  }

  static stateFn lexKeyEnd(lexer& lx) {
    char32_t r = lx.next();
    if (isSpace(r)) {
      lx.ignore();
      return {lexKeyEnd};
    }
    if (isKeySeparator(r)) {
      lx.ignore();
      return {lexValue};
    }
    if (r == eof) {
      lx.emit(itemType::itemEOF);
      return {};
    }
    lx.backup();
    return {lexValue};
  }

  // Any value, after optional blanks (but not newlines). Once lexed, the
  // value's state pops the state that continues the enclosing structure.
  static stateFn lexValue(lexer& lx) {
    char32_t r = lx.next();
    if (isWhitespace(r)) {
      lx.ignore();
      return {lexValue};
    }
    const std::size_t at = lx.lastRuneStart();
    lx.tokenStart_ = at;
    switch (r) {
      case '[':
        lx.ignore();
        lx.open_.push_back(at);
        lx.emit(itemType::itemArrayStart);
        return {lexArrayValue};
      case '{':
        lx.ignore();
        lx.open_.push_back(at);
        lx.emit(itemType::itemMapStart);
        return {lexMapKeyStart};
      case '\'':
        lx.ignore();
        return {lexQuotedString};
      case '"':
        lx.ignore();
        lx.stringStateFn_ = {lexDubQuotedString};
        return {lexDubQuotedString};
      case '-':
        return {lexNegNumberStart};
      case '(':
        lx.ignore();
        return {lexBlock};
      case '.':
        return lx.errorAt(at, "Floats must start with a digit");
      default:
        break;
    }
    if (isDigit(r)) {
      lx.backup();
      return {lexNumberOrDateOrIPStart};
    }
    if (isNL(r)) return lx.errorAt(at, "Expected value but found new line");
    if (lx.atEOF()) return lx.errorAt(at, kEOFForValue);
    lx.backup();
    lx.stringStateFn_ = {lexString};
    return {lexString};
  }

  static stateFn lexArrayValue(lexer& lx) {
    char32_t r = lx.next();
    if (isSpace(r)) {
      lx.ignore();
      return {lexArrayValue};
    }
    if (lx.atEOF()) return lx.errorAt(lx.openAt(), kEOFInArray);
    if (r == '#') {
      lx.push({lexArrayValue});
      return {lexCommentStart};
    }
    if (r == '/') {
      char32_t rn = lx.next();
      if (rn == '/') {
        lx.push({lexArrayValue});
        return {lexCommentStart};
      }
      lx.backup();
      r = ',';  // gnatsd falls through to the ',' case here
    }
    if (r == ',') return lx.errorAt(lx.pos_ - 1, "Unexpected array value terminator ','.");
    if (r == ']') return {lexArrayEnd};
    lx.backup();
    lx.push({lexArrayValueEnd});
    return {lexValue};
  }

  static stateFn lexArrayValueEnd(lexer& lx) {
    char32_t r = lx.next();
    if (isWhitespace(r)) {
      lx.ignore();
      return {lexArrayValueEnd};
    }
    if (lx.atEOF()) return lx.errorAt(lx.openAt(), kEOFInArray);
    if (r == '#') {
      lx.push({lexArrayValueEnd});
      return {lexCommentStart};
    }
    if (r == '/') {
      char32_t rn = lx.next();
      if (rn == '/') {
        lx.push({lexArrayValueEnd});
        return {lexCommentStart};
      }
      lx.backup();
      r = ',';  // gnatsd falls through: a lone '/' separates like ','
    }
    if (r == ',' || isNL(r)) {
      lx.ignore();
      return {lexArrayValue};
    }
    if (r == ']') return {lexArrayEnd};
    return lx.errorAt(lx.lastRuneStart(),
                      "Expected an array value terminator ',' or an array terminator ']', "
                      "but got '" + escapeSpecial(r) + "' instead.");
  }

  static stateFn lexArrayEnd(lexer& lx) {
    lx.tokenStart_ = lx.pos_ - 1;  // the ']' just read
    lx.ignore();
    lx.emit(itemType::itemArrayEnd);
    if (!lx.open_.empty()) lx.open_.pop_back();
    return lx.pop();
  }

  static stateFn lexMapKeyStart(lexer& lx) {
    char32_t r = lx.peek();
    if (r == eof && lx.atEOF()) return lx.errorAt(lx.openAt(), kEOFInMap);
    if (isKeySeparator(r)) {
      return lx.errorAt(lx.pos_, "Unexpected key separator '" + escapeSpecial(r) + "'.");
    }
    if (isSpace(r)) {
      lx.next();
      lx.ignore();
      return {lexMapKeyStart};
    }
    if (r == '}') {
      lx.next();
      lx.ignore();
      return {lexMapEnd};
    }
    if (r == '#') {
      lx.next();
      lx.push({lexMapKeyStart});
      return {lexCommentStart};
    }
    if (r == '/') {
      lx.next();
      char32_t rn = lx.next();
      if (rn == '/') {
        lx.push({lexMapKeyStart});
        return {lexCommentStart};
      }
      lx.backup();
      // gnatsd drops the '/' and starts the key at the next character.
    } else if (r == '\'' || r == '"') {
      lx.tokenStart_ = lx.pos_;
      lx.next();
      lx.ignore();
      return {r == '"' ? lexMapDubQuotedKey : lexMapQuotedKey};
    }
    lx.ignore();
    lx.next();
    return {lexMapKey};
  }

  static stateFn lexMapQuotedKey(lexer& lx) {
    return quotedKey(lx, '\'', {lexMapQuotedKey}, {lexMapKeyEnd});
  }
  static stateFn lexMapDubQuotedKey(lexer& lx) {
    return quotedKey(lx, '"', {lexMapDubQuotedKey}, {lexMapKeyEnd});
  }

  static stateFn lexMapKey(lexer& lx) {
    char32_t r = lx.peek();
    if (isSpace(r)) return keyCheckKeyword(lx, {lexMapKeyEnd}, {lexMapValueEnd});
    if (isKeySeparator(r)) {
      lx.emit(itemType::itemKey);
      return {lexMapKeyEnd};
    }
    if (lx.atEOF()) return lx.errorAt(lx.openAt(), kEOFInMap);
    lx.next();
    return {lexMapKey};
  }

  static stateFn lexMapKeyEnd(lexer& lx) {
    char32_t r = lx.next();
    if (isSpace(r)) {
      lx.ignore();
      return {lexMapKeyEnd};
    }
    if (isKeySeparator(r)) {
      lx.ignore();
      return {lexMapValue};
    }
    lx.backup();
    return {lexMapValue};
  }

  static stateFn lexMapValue(lexer& lx) {
    char32_t r = lx.next();
    if (isSpace(r)) {
      lx.ignore();
      return {lexMapValue};
    }
    if (lx.atEOF()) return lx.errorAt(lx.openAt(), kEOFInMap);
    if (r == ',') return lx.errorAt(lx.lastRuneStart(), "Unexpected map value terminator ','.");
    if (r == '}') {
      lx.ignore();
      return {lexMapEnd};
    }
    lx.backup();
    lx.push({lexMapValueEnd});
    return {lexValue};
  }

  static stateFn lexMapValueEnd(lexer& lx) {
    char32_t r = lx.next();
    if (isWhitespace(r)) {
      lx.ignore();
      return {lexMapValueEnd};
    }
    if (lx.atEOF()) return lx.errorAt(lx.openAt(), kEOFInMap);
    if (r == '#') {
      lx.push({lexMapValueEnd});
      return {lexCommentStart};
    }
    if (r == '/') {
      char32_t rn = lx.next();
      if (rn == '/') {
        lx.push({lexMapValueEnd});
        return {lexCommentStart};
      }
      lx.backup();
      r = ';';  // gnatsd falls through: a lone '/' ends the value
    }
    if (r == ';' || r == ',' || isNL(r)) {
      lx.ignore();
      return {lexMapKeyStart};
    }
    if (r == '}') {
      lx.ignore();
      return {lexMapEnd};
    }
    return lx.errorAt(lx.lastRuneStart(),
                      "Expected a map value terminator ',' or a map terminator '}', "
                      "but got '" + escapeSpecial(r) + "' instead.");
  }

  static stateFn lexMapEnd(lexer& lx) {
    lx.tokenStart_ = lx.pos_ - 1;  // the '}' just read
    lx.ignore();
    lx.emit(itemType::itemMapEnd);
    if (!lx.open_.empty()) lx.open_.pop_back();
    return lx.pop();
  }

  // Single-quoted: raw text up to the next quote.
  static stateFn lexQuotedString(lexer& lx) {
    char32_t r = lx.next();
    if (r == '\'') {
      lx.backup();
      lx.emit(itemType::itemString);
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    if (lx.atEOF()) return lx.errorAt(lx.tokenStart_, kEOFInQuotedString);
    return {lexQuotedString};
  }

  // Double-quoted: escapes are decoded.
  static stateFn lexDubQuotedString(lexer& lx) {
    char32_t r = lx.next();
    if (r == '\\') {
      lx.addCurrentStringPart(1);
      return {lexStringEscape};
    }
    if (r == '"') {
      lx.backup();
      lx.emitString();
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    if (lx.atEOF()) return lx.errorAt(lx.tokenStart_, kEOFInQuotedString);
    return {lexDubQuotedString};
  }

  // Unquoted: up to a blank, newline, ';', ',', ']', '}' or EOF; may turn out
  // to be a boolean or a variable reference.
  static stateFn lexString(lexer& lx) {
    char32_t r = lx.next();
    if (r == '\\') {
      lx.addCurrentStringPart(1);
      return {lexStringEscape};
    }
    if (isNL(r) || r == eof || r == ';' || r == ',' || r == ']' || r == '}' ||
        isWhitespace(r)) {
      lx.backup();
      if (lx.hasEscapedParts()) {
        lx.emitString();
      } else if (lx.isBool()) {
        lx.emit(itemType::itemBool);
      } else if (lx.isVariable()) {
        lx.emit(itemType::itemVariable);
      } else {
        lx.emitString();
      }
      return lx.pop();
    }
    if (r == '\'') {
      lx.backup();
      lx.emitString();
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    return {lexString};
  }

  // Block string: everything up to a ')' alone on its line.
  static stateFn lexBlock(lexer& lx) {
    char32_t r = lx.next();
    if (r == ')') {
      lx.backup();
      lx.backup();
      if (lx.next() != '\n') {
        lx.next();
        return {lexBlock};
      }
      lx.next();
      char32_t after = lx.next();
      if (after == '\n' || after == eof) {
        if (lx.atEOF()) {
          // At the true end gnatsd's double backup is a no-op and the ')'
          // leaks into the value; step back over it explicitly.
          lx.pos_ -= 1;
          lx.width_ = 1;
        } else {
          lx.backup();
          lx.backup();
        }
        lx.emit(itemType::itemString);
        lx.next();
        lx.ignore();
        return lx.pop();
      }
      lx.backup();
      return {lexBlock};
    }
    if (lx.atEOF()) return lx.errorAt(lx.tokenStart_, kEOFInBlock);
    return {lexBlock};
  }

  static stateFn lexStringEscape(lexer& lx) {
    char32_t r = lx.next();
    switch (r) {
      case 'x': return {lexStringBinary};
      case 't': return lx.addStringPart("\t");
      case 'n': return lx.addStringPart("\n");
      case 'r': return lx.addStringPart("\r");
      case '"': return lx.addStringPart("\"");
      case '\\': return lx.addStringPart("\\");
      default: break;
    }
    return lx.errorAt(lx.lastRuneStart(),
                      "Invalid escape character '" + escapeSpecial(r) +
                          "'. Only the following escape characters are allowed: "
                          "\\xXX, \\t, \\n, \\r, \\\", \\\\.");
  }

  static stateFn lexStringBinary(lexer& lx) {
    for (int i = 0; i < 2; ++i) {
      char32_t r = lx.next();
      if (isNL(r)) {
        return lx.errorAt(lx.lastRuneStart(),
                          "Expected two hexadecimal digits after '\\x', but hit end of line");
      }
      if (lx.atEOF()) {
        return lx.errorAt(lx.pos_,
                          "Expected two hexadecimal digits after '\\x', but hit end of file");
      }
    }
    const std::size_t offset = lx.pos_ - 2;
    std::string_view digits = lx.input_.substr(offset, 2);
    int hi = hexValue(digits[0]);
    int lo = hexValue(digits[1]);
    if (hi < 0 || lo < 0) {
      return lx.errorAt(offset, "Expected two hexadecimal digits after '\\x', but got '" +
                                    std::string(digits) + "'");
    }
    const char byte = static_cast<char>(hi * 16 + lo);
    lx.addStringPart(std::string_view(&byte, 1));
    return lx.stringStateFn_;
  }

  static stateFn lexNumberOrDateOrIPStart(lexer& lx) {
    char32_t r = lx.next();
    if (!isDigit(r)) {
      if (r == '.') {
        return lx.errorAt(lx.lastRuneStart(), "Floats must start with a digit, not '.'.");
      }
      return lx.errorAt(lx.lastRuneStart(),
                        "Expected a digit but got '" + escapeSpecial(r) + "'.");
    }
    return {lexNumberOrDateOrIP};
  }

  static stateFn lexNumberOrDateOrIP(lexer& lx) {
    char32_t r = lx.next();
    if (r == '-') {
      if (lx.pos_ - lx.start_ != 5) {
        return lx.errorAt(lx.lastRuneStart(), "All ISO8601 dates must be in full Zulu form.");
      }
      return {lexDateAfterYear};
    }
    if (isDigit(r)) return {lexNumberOrDateOrIP};
    if (r == '.') return {lexFloatStart};  // a float, or maybe an IP
    if (isNumberSuffix(r)) return {lexConvenientNumber};
    lx.backup();
    lx.emit(itemType::itemInteger);
    return lx.pop();
  }

  // After a size suffix letter: any number of 'b's, as gnatsd lexes it; the
  // parser rejects suffixes it does not know.
  static stateFn lexConvenientNumber(lexer& lx) {
    char32_t r = lx.next();
    if (r == 'b' || r == 'B') return {lexConvenientNumber};
    lx.backup();
    lx.emit(itemType::itemInteger);
    return lx.pop();
  }

  // "YYYY-" has been read; the rest must be "MM-DDTHH:MM:SSZ".
  static stateFn lexDateAfterYear(lexer& lx) {
    static constexpr std::string_view format = "00-00T00:00:00Z";
    for (char f : format) {
      char32_t r = lx.next();
      if (f == '0') {
        if (!isDigit(r)) {
          return lx.errorAt(lx.lastRuneStart(), "Expected digit in ISO8601 datetime, but found '" +
                                                    escapeSpecial(r) + "' instead.");
        }
      } else if (r != static_cast<char32_t>(f)) {
        return lx.errorAt(lx.lastRuneStart(), "Expected '" + std::string(1, f) +
                                                  "' in ISO8601 datetime, but found '" +
                                                  escapeSpecial(r) + "' instead.");
      }
    }
    lx.emit(itemType::itemDatetime);
    return lx.pop();
  }

  static stateFn lexNegNumberStart(lexer& lx) {
    char32_t r = lx.next();
    if (!isDigit(r)) {
      if (r == '.') {
        return lx.errorAt(lx.lastRuneStart(), "Floats must start with a digit, not '.'.");
      }
      return lx.errorAt(lx.lastRuneStart(),
                        "Expected a digit but got '" + escapeSpecial(r) + "'.");
    }
    return {lexNegNumber};
  }

  static stateFn lexNegNumber(lexer& lx) {
    char32_t r = lx.next();
    if (isDigit(r)) return {lexNegNumber};
    if (r == '.') return {lexFloatStart};
    if (isNumberSuffix(r)) return {lexConvenientNumber};
    lx.backup();
    lx.emit(itemType::itemInteger);
    return lx.pop();
  }

  static stateFn lexFloatStart(lexer& lx) {
    char32_t r = lx.next();
    if (!isDigit(r)) {
      return lx.errorAt(lx.lastRuneStart(), "Floats must have a digit after the '.', but got '" +
                                                escapeSpecial(r) + "' instead.");
    }
    return {lexFloat};
  }

  static stateFn lexFloat(lexer& lx) {
    char32_t r = lx.next();
    if (isDigit(r)) return {lexFloat};
    if (r == '.') return {lexIPAddr};  // a second '.': not a float after all
    lx.backup();
    lx.emit(itemType::itemFloat);
    return lx.pop();
  }

  // Digits, dots and colons, e.g. 127.0.0.1:4222, lexed as a string.
  static stateFn lexIPAddr(lexer& lx) {
    char32_t r = lx.next();
    if (isDigit(r) || r == '.' || r == ':') return {lexIPAddr};
    lx.backup();
    lx.emit(itemType::itemString);
    return lx.pop();
  }

  static stateFn lexCommentStart(lexer& lx) {
    lx.ignore();
    lx.emit(itemType::itemCommentStart);
    return {lexComment};
  }

  static stateFn lexComment(lexer& lx) {
    char32_t r = lx.peek();
    if (isNL(r) || r == eof) {
      lx.emit(itemType::itemText);
      return lx.pop();
    }
    lx.next();
    return {lexComment};
  }
};

// The machine starts at the top level.
lexer::lexer(std::string_view input) : input_(input), state_{lexStates::lexTop} {}

}  // namespace gnatsd::conf
