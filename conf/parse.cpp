// Go: conf/parse.go (gnatsd v1.0.0)
// Builds the JSON tree from lexer items: contexts, variables, includes.
#include "conf/parse.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "conf/lex.h"
#include "server/gostrings.h"

namespace gnatsd::conf {

using json = nlohmann::json;

std::string FormatPosition(const Position& pos) {
  if (pos.line == 0) return "";
  std::string s = std::to_string(pos.line) + ":" + std::to_string(pos.col);
  return pos.file.empty() ? s : pos.file + ":" + s;
}

namespace {

std::string withPosition(const Position& pos, const std::string& message) {
  std::string where = FormatPosition(pos);
  return where.empty() ? message : where + ": " + message;
}

}  // namespace

ParseError::ParseError(Position pos, std::string message)
    : std::runtime_error(withPosition(pos, message)),
      pos_(std::move(pos)),
      message_(std::move(message)) {}

Position FindPosition(const PositionMap& positions, const json::json_pointer& ptr) {
  json::json_pointer p = ptr;
  for (;;) {
    auto it = positions.find(p.to_string());
    if (it != positions.end()) return it->second;
    if (p.empty()) return {};
    p = p.parent_pointer();
  }
}

namespace {

// Errors that must not be swallowed where gnatsd ignores a failed parse (an
// environment value that does not parse counts as "not found").
class limitError : public ParseError {
 public:
  using ParseError::ParseError;
};

// State shared by a parse and every nested parse it starts (includes and
// environment values).
struct shared {
  std::vector<std::string> includeStack;  // canonical paths of the files being parsed
  std::size_t values = 0;
  int envDepth = 0;
  bool track = false;  // record positions
};

std::string pointerToken(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string lowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// Go's ioutil.ReadFile, with its error texts ("open x: no such file or
// directory", "read x: is a directory").
std::string readFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ParseError({}, "error opening config file: open " + path + ": " +
                             lowerFirst(std::strerror(errno)));
  }
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw ParseError({}, "error opening config file: read " + path + ": " +
                               lowerFirst(std::strerror(err)));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

// Counts the values in v (giving up once past limit) and measures how deeply
// it nests: 0 for a scalar, 1 for a flat map or array.
void measure(const json& v, std::size_t& count, int& depth, int level, std::size_t limit) {
  ++count;
  if (!v.is_structured()) return;
  if (level + 1 > depth) depth = level + 1;
  for (const auto& child : v) {
    if (count > limit) return;
    measure(child, count, depth, level + 1, limit);
  }
}

bool validDateTime(std::string_view s) {
  // The lexer guarantees the shape YYYY-MM-DDTHH:MM:SSZ; check the ranges as
  // Go's time.Parse does.
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[at + i] - '0');
    return v;
  };
  if (s.size() != 20) return false;
  const int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  const int hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int maxDay = days[month - 1];
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && leap) maxDay = 29;
  return day <= maxDay && hour < 24 && minute < 60 && second < 60;
}

class parser {
 public:
  parser(std::string_view data, std::string file, std::string dir, shared& sh, int baseDepth)
      : lx_(data), file_(std::move(file)), dir_(std::move(dir)), sh_(sh), baseDepth_(baseDepth) {}

  // Parses everything; returns the top-level map and fills positions_.
  json run() {
    ctxs_.push_back(context{json::object(), "", false, {}, 0, 0});
    for (;;) {
      item it = lx_.nextItem();
      if (it.typ == itemType::itemEOF) break;
      processItem(it);
    }
    context& top = ctxs_.back();
    if (top.keyPending) missingValue(top);
    return std::move(top.value);
  }

  PositionMap& positions() { return positions_; }

 private:
  struct context {
    json value;  // an object or an array
    std::string path;  // JSON pointer of value
    bool keyPending = false;
    std::string key;
    std::size_t keyPos = 0;
    std::size_t startPos = 0;  // the '{' or '['
  };

  Position at(std::size_t offset) const {
    auto lc = lx_.lineCol(offset);
    return {file_, lc.line, lc.col};
  }

  [[noreturn]] void fail(std::size_t offset, std::string message) const {
    throw ParseError(at(offset), std::move(message));
  }
  [[noreturn]] void failLimit(std::size_t offset, std::string message) const {
    throw limitError(at(offset), std::move(message));
  }

  [[noreturn]] void missingValue(const context& c) const {
    fail(c.keyPos, "Expected a value for key '" + c.key + "'.");
  }

  // Nesting level of the innermost context (the top-level map is level 0).
  int level() const { return baseDepth_ + static_cast<int>(ctxs_.size()) - 1; }

  void count(std::size_t n, std::size_t offset) {
    sh_.values += n;
    if (sh_.values > kMaxValues) {
      failLimit(offset, "Config too large: more than " + std::to_string(kMaxValues) +
                            " values (including copies made by variables and includes).");
    }
  }

  void pushContext(json value, std::size_t offset) {
    if (level() + 1 > kMaxNestingDepth) {
      failLimit(offset, "Maximum nesting depth of " + std::to_string(kMaxNestingDepth) +
                            " exceeded.");
    }
    context& parent = ctxs_.back();
    std::string path;
    if (parent.value.is_array()) {
      path = parent.path + "/" + std::to_string(parent.value.size());
    } else {
      if (!parent.keyPending) fail(offset, "BUG in parser: map value without a key.");
      path = parent.path + "/" + pointerToken(parent.key);
    }
    ctxs_.push_back(context{std::move(value), std::move(path), false, {}, 0, offset});
  }

  context popContext() {
    context c = std::move(ctxs_.back());
    ctxs_.pop_back();
    return c;
  }

  // Stores val in the current context: appended to an array, or under the
  // pending key of a map. offset is where the value's text starts; src, if
  // set, is the pointer of a value it was copied from (a variable).
  void setValue(json val, std::size_t offset, const std::string* src = nullptr) {
    context& c = ctxs_.back();
    std::string path;
    Position pos;
    if (c.value.is_array()) {
      path = c.path + "/" + std::to_string(c.value.size());
      if (sh_.track) pos = at(offset);
      c.value.push_back(std::move(val));
    } else {
      if (!c.keyPending) fail(offset, "BUG in parser: value without a key.");
      path = c.path + "/" + pointerToken(c.key);
      if (sh_.track) pos = at(c.keyPos);
      c.value[c.key] = std::move(val);
      c.keyPending = false;
    }
    if (sh_.track) recordPosition(path, pos, src);
  }

  // A key defined again: forget the positions below its old value before
  // the new value's are recorded.
  void forgetBelow(const context& c, const std::string& key) {
    if (!sh_.track || !c.value.contains(key)) return;
    const std::string path = c.path + "/" + pointerToken(key);
    positions_.erase(positions_.lower_bound(path + "/"), positions_.lower_bound(path + "0"));
  }

  void recordPosition(const std::string& path, const Position& pos, const std::string* src) {
    const std::string prefix = path + "/";
    positions_[path] = pos;
    if (src) {
      const std::string srcPrefix = *src + "/";
      std::vector<std::pair<std::string, Position>> copies;
      for (auto it = positions_.lower_bound(srcPrefix);
           it != positions_.end() && it->first.compare(0, srcPrefix.size(), srcPrefix) == 0;
           ++it) {
        copies.emplace_back(prefix + it->first.substr(srcPrefix.size()), it->second);
      }
      for (auto& [k, v] : copies) positions_[k] = std::move(v);
    }
  }

  void processItem(const item& it) {
    switch (it.typ) {
      case itemType::itemError:
        fail(it.pos, "Parse error on line " + std::to_string(it.line) + ": '" + it.val + "'");
      case itemType::itemKey: {
        context& c = ctxs_.back();
        if (c.keyPending) missingValue(c);
        c.keyPending = true;
        c.key = it.val;
        c.keyPos = it.pos;
        forgetBelow(c, c.key);
        break;
      }
      case itemType::itemMapStart:
        count(1, it.pos);
        pushContext(json::object(), it.pos);
        break;
      case itemType::itemMapEnd: {
        if (ctxs_.back().keyPending) missingValue(ctxs_.back());
        context c = popContext();
        setValue(std::move(c.value), c.startPos);
        break;
      }
      case itemType::itemArrayStart:
        count(1, it.pos);
        pushContext(json::array(), it.pos);
        break;
      case itemType::itemArrayEnd: {
        context c = popContext();
        setValue(std::move(c.value), c.startPos);
        break;
      }
      case itemType::itemString:
        count(1, it.pos);
        setValue(it.val, it.pos);
        break;
      case itemType::itemInteger:
        count(1, it.pos);
        setValue(parseInteger(it), it.pos);
        break;
      case itemType::itemFloat:
        count(1, it.pos);
        setValue(parseFloat(it), it.pos);
        break;
      case itemType::itemBool: {
        count(1, it.pos);
        const std::string v = server::ToLowerASCII(it.val);
        if (v == "true" || v == "yes" || v == "on") {
          setValue(true, it.pos);
        } else if (v == "false" || v == "no" || v == "off") {
          setValue(false, it.pos);
        } else {
          fail(it.pos, "Expected boolean value, but got '" + it.val + "'.");
        }
        break;
      }
      case itemType::itemDatetime:
        count(1, it.pos);
        if (!validDateTime(it.val)) {
          fail(it.pos, "Expected Zulu formatted DateTime, but got '" + it.val + "'.");
        }
        setValue(it.val, it.pos);
        break;
      case itemType::itemVariable:
        processVariable(it);
        break;
      case itemType::itemInclude:
        processInclude(it);
        break;
      default:  // comments
        break;
    }
  }

  json parseInteger(const item& it) {
    const std::string& v = it.val;
    std::size_t lastDigit = 0;
    auto numeric = [](char c) { return (c >= '0' && c <= '9') || c == '-'; };
    while (lastDigit < v.size() && numeric(v[lastDigit])) ++lastDigit;
    int64_t num = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + lastDigit, num);
    if (ec == std::errc::result_out_of_range) {
      fail(it.pos, "Integer '" + v + "' is out of the range.");
    }
    if (ec != std::errc() || ptr != v.data() + lastDigit) {
      fail(it.pos, "Expected integer, but got '" + v + "'.");
    }
    const std::string suffix = server::ToLowerASCII(std::string_view(v).substr(lastDigit));
    int64_t mult;
    if (suffix.empty()) {
      mult = 1;
    } else if (suffix == "k") {
      mult = 1000;
    } else if (suffix == "kb") {
      mult = 1024;
    } else if (suffix == "m") {
      mult = 1000 * 1000;
    } else if (suffix == "mb") {
      mult = 1024 * 1024;
    } else if (suffix == "g") {
      mult = 1000 * 1000 * 1000;
    } else if (suffix == "gb") {
      mult = 1024 * 1024 * 1024;
    } else {
      // gnatsd silently skips such a value, leaving its key to pair with the
      // next value; reject it instead.
      fail(it.pos, "Expected integer, but got '" + v + "'.");
    }
    int64_t out;
    if (__builtin_mul_overflow(num, mult, &out)) {
      fail(it.pos, "Integer '" + v + "' is out of the range.");
    }
    return out;
  }

  json parseFloat(const item& it) {
    const std::string& v = it.val;
    double d = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Too small rounds to zero, as in Go; too large is an error.
      const std::size_t first = v[0] == '-' ? 1 : 0;
      const std::size_t dot = v.find('.');
      if (v.find_first_not_of('0', first) < dot) {
        fail(it.pos, "Float '" + v + "' is out of the range.");
      }
      return v[0] == '-' ? -0.0 : 0.0;
    }
    if (ec != std::errc() || ptr != v.data() + v.size()) {
      fail(it.pos, "Expected float, but got '" + v + "'.");
    }
    return d;
  }

  void processVariable(const item& it) {
    std::string src;
    std::optional<json> value = lookupVariable(it, src);
    if (!value) {
      fail(it.pos, "Variable reference for '" + it.val + "' on line " + std::to_string(it.line) +
                       " can not be found.");
    }
    std::size_t n = 0;
    int depth = 0;
    measure(*value, n, depth, 0, kMaxValues);
    count(n, it.pos);
    if (level() + depth > kMaxNestingDepth) {
      failLimit(it.pos, "Maximum nesting depth of " + std::to_string(kMaxNestingDepth) +
                            " exceeded.");
    }
    setValue(std::move(*value), it.pos, src.empty() ? nullptr : &src);
  }

  // Innermost map context first, then the environment. A name starting with
  // "2a$" is a bcrypt hash written without quotes, not a variable.
  std::optional<json> lookupVariable(const item& it, std::string& src) {
    const std::string& name = it.val;
    if (name.rfind("2a$", 0) == 0) return json("$" + name);
    for (auto c = ctxs_.rbegin(); c != ctxs_.rend(); ++c) {
      if (!c->value.is_object()) continue;
      auto found = c->value.find(name);
      if (found != c->value.end()) {
        src = c->path + "/" + pointerToken(name);
        return *found;
      }
    }
    const char* env = std::getenv(name.c_str());
    if (!env) return std::nullopt;
    if (sh_.envDepth >= kMaxEnvDepth) {
      failLimit(it.pos, "Variable reference for '" + name + "' on line " +
                            std::to_string(it.line) + " nests more than " +
                            std::to_string(kMaxEnvDepth) + " environment variables.");
    }
    const std::string text = std::string("pk=") + env;
    const bool track = sh_.track;
    ++sh_.envDepth;
    sh_.track = false;
    try {
      parser p(text, "", "", sh_, level());
      json m = p.run();
      --sh_.envDepth;
      sh_.track = track;
      auto found = m.find("pk");
      if (found == m.end()) return std::nullopt;
      return std::move(*found);
    } catch (const limitError& e) {
      --sh_.envDepth;
      sh_.track = track;
      // Re-blame the reference in this text rather than the inner one.
      throw limitError(at(it.pos), e.message());
    } catch (const ParseError&) {
      --sh_.envDepth;
      sh_.track = track;
      return std::nullopt;
    }
  }

  void processInclude(const item& it) {
    count(1, it.pos);
    std::filesystem::path p = std::filesystem::path(dir_) / it.val;
    const std::string path = p.lexically_normal().string();
    const std::string wrap = "Error parsing include file '" + it.val + "', ";
    if (static_cast<int>(sh_.includeStack.size()) > kMaxIncludeDepth) {
      fail(it.pos, wrap + "includes nest more than " + std::to_string(kMaxIncludeDepth) +
                       " deep.");
    }
    std::error_code ec;
    std::string canon = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) canon = path;
    for (const std::string& open : sh_.includeStack) {
      if (open == canon) {
        fail(it.pos, wrap + "include cycle: '" + path + "' is already being parsed.");
      }
    }
    json m;
    PositionMap sub;
    bool pushed = false;
    try {
      const std::string data = readFile(path);
      sh_.includeStack.push_back(canon);
      pushed = true;
      const std::string dir = std::filesystem::path(path).parent_path().string();
      parser p(data, path, dir.empty() ? "." : dir, sh_, level());
      m = p.run();
      sub = std::move(p.positions());
    } catch (const ParseError& e) {
      if (pushed) sh_.includeStack.pop_back();
      // gnatsd's wording around the inner error, which keeps its own position.
      if (dynamic_cast<const limitError*>(&e)) throw limitError(at(it.pos), wrap + e.what() + ".");
      fail(it.pos, wrap + e.what() + ".");
    }
    sh_.includeStack.pop_back();
    context& c = ctxs_.back();
    for (auto& [k, v] : m.items()) {
      c.keyPending = true;
      c.key = k;
      c.keyPos = it.pos;
      forgetBelow(c, c.key);
      // Not `"/" + pointerToken(k)`: GCC 12's bogus -Wrestrict (PR 105329).
      const std::string key = std::string("/").append(pointerToken(k));
      setValue(std::move(v), it.pos);
      if (sh_.track) {
        // Positions inside the included file, rooted here.
        if (auto s = sub.find(key); s != sub.end()) positions_[c.path + key] = s->second;
        const std::string prefix = key + "/";
        for (auto s = sub.lower_bound(prefix);
             s != sub.end() && s->first.compare(0, prefix.size(), prefix) == 0; ++s) {
          positions_[c.path + s->first] = s->second;
        }
      }
    }
  }

  lexer lx_;
  std::string file_;
  std::string dir_;  // base of relative includes ("" = working directory)
  shared& sh_;
  int baseDepth_;
  std::vector<context> ctxs_;
  PositionMap positions_;
};

}  // namespace

json Parse(const std::string& data, PositionMap* positions) {
  shared sh;
  sh.track = positions != nullptr;
  parser p(data, "", "", sh, 0);
  json m = p.run();
  if (positions) *positions = std::move(p.positions());
  return m;
}

json ParseFile(const std::string& path, PositionMap* positions) {
  const std::string data = readFile(path);
  shared sh;
  sh.track = positions != nullptr;
  std::error_code ec;
  std::string canon = std::filesystem::weakly_canonical(path, ec).string();
  sh.includeStack.push_back(ec ? path : canon);
  std::string dir = std::filesystem::path(path).parent_path().string();
  parser p(data, path, dir.empty() ? "." : dir, sh, 0);
  json m = p.run();
  if (positions) *positions = std::move(p.positions());
  return m;
}

}  // namespace gnatsd::conf
