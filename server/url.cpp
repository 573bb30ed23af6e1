// Go: net/url (Go standard library), the parts route URLs use
#include "server/url.h"

#include <algorithm>

#include "server/gofmt.h"
#include "server/gostrings.h"

namespace gnatsd::server {

namespace {

enum class encoding { path, host, userPassword, queryComponent, fragment };

bool shouldEscape(unsigned char c, encoding mode) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return false;
  if (mode == encoding::host) {
    switch (c) {
      case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
      case ',': case ';': case '=': case ':': case '[': case ']': case '<': case '>':
      case '"':
        return false;
      default:
        break;
    }
  }
  switch (c) {
    case '-': case '_': case '.': case '~':
      return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?':
    case '@':
      switch (mode) {
        case encoding::path: return c == '?';
        case encoding::userPassword: return c == '@' || c == '/' || c == '?' || c == ':';
        case encoding::queryComponent: return true;
        case encoding::fragment: return false;
        default: break;
      }
      break;
    default:
      break;
  }
  return true;
}

std::string escape(std::string_view s, encoding mode) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (shouldEscape(c, mode)) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unescape(std::string_view s, encoding mode, std::string& err) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || unhex(s[i + 1]) < 0 || unhex(s[i + 2]) < 0) {
        std::string_view bad = s.substr(i, std::min<std::size_t>(3, s.size() - i));
        err = "invalid URL escape " + quoteGo(bad);
        return std::nullopt;
      }
      const std::string_view seq = s.substr(i, 3);
      if (mode == encoding::host && unhex(s[i + 1]) < 8 && seq != "%25") {
        err = "invalid URL escape " + quoteGo(seq);
        return std::nullopt;
      }
      out += static_cast<char>(unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
      i += 2;
      continue;
    }
    if (mode == encoding::host && static_cast<unsigned char>(c) < 0x80 &&
        shouldEscape(static_cast<unsigned char>(c), mode)) {
      err = "invalid character " + quoteGo(std::string_view(&c, 1)) + " in host name";
      return std::nullopt;
    }
    if (c == '+' && mode == encoding::queryComponent) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

bool validOptionalPort(std::string_view port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Go: parseHost. Checks the port and decodes %-escapes.
std::optional<std::string> parseHost(std::string_view host, std::string& err) {
  if (!host.empty() && host[0] == '[') {
    const std::size_t i = host.rfind(']');
    if (i == std::string_view::npos) {
      err = "missing ']' in host";
      return std::nullopt;
    }
    std::string_view colonPort = host.substr(i + 1);
    if (!validOptionalPort(colonPort)) {
      err = "invalid port " + quoteGo(colonPort) + " after host";
      return std::nullopt;
    }
  } else if (std::size_t i = host.rfind(':'); i != std::string_view::npos) {
    std::string_view colonPort = host.substr(i);
    if (!validOptionalPort(colonPort)) {
      err = "invalid port " + quoteGo(colonPort) + " after host";
      return std::nullopt;
    }
  }
  return unescape(host, encoding::host, err);
}

}  // namespace

std::optional<URL> ParseURL(const std::string& s, std::string* errOut) {
  std::string err;
  URL u;
  std::string_view raw = s;
  auto fail = [&](std::string_view what, std::string_view why) -> std::optional<URL> {
    if (errOut) *errOut = "parse " + std::string(what) + ": " + std::string(why);
    return std::nullopt;
  };
  // Fragment first.
  std::string_view rest = raw;
  if (std::size_t h = raw.find('#'); h != std::string_view::npos) {
    rest = raw.substr(0, h);
    auto frag = unescape(raw.substr(h + 1), encoding::fragment, err);
    if (!frag) return fail(raw, err);
    u.Fragment = *frag;
  }
  const std::string_view whole = rest;
  for (char c : whole) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(whole, "net/url: invalid control character in URL");
    }
  }
  if (whole == "*") {
    u.Path = '*';  // a char: `= "*"` trips GCC 12's bogus -Wrestrict at -O3 (PR 105329)
    return u;
  }
  // Scheme: a letter, then letters, digits, '+', '-', '.', up to ':'.
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return fail(whole, "missing protocol scheme");
      u.Scheme = ToLowerASCII(rest.substr(0, i));
      rest.remove_prefix(i + 1);
    }
    break;
  }
  if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
    rest.remove_suffix(1);
  } else if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    u.RawQuery = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest[0] != '/') {
    if (!u.Scheme.empty()) {
      u.Opaque = std::string(rest);
      return u;
    }
    const std::size_t colon = rest.find(':');
    const std::size_t slash = rest.find('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
      return fail(whole, "first path segment in URL cannot contain colon");
    }
  }
  if ((!u.Scheme.empty() || rest.substr(0, 3) != "///") && rest.substr(0, 2) == "//") {
    std::string_view authority = rest.substr(2);
    rest = {};
    if (std::size_t slash = authority.find('/'); slash != std::string_view::npos) {
      rest = authority.substr(slash);
      authority = authority.substr(0, slash);
    }
    std::string_view hostPart = authority;
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      hostPart = authority.substr(at + 1);
      std::string_view user = userinfo, pass;
      const std::size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        user = userinfo.substr(0, colon);
        pass = userinfo.substr(colon + 1);
        u.HasPassword = true;
      }
      auto du = unescape(user, encoding::userPassword, err);
      if (!du) return fail(whole, err);
      auto dp = unescape(pass, encoding::userPassword, err);
      if (!dp) return fail(whole, err);
      u.HasUser = true;
      u.User = *du;
      u.Password = *dp;
    }
    auto host = parseHost(hostPart, err);
    if (!host) return fail(whole, err);
    u.Host = *host;
  }
  auto path = unescape(rest, encoding::path, err);
  if (!path) return fail(whole, err);
  u.Path = *path;
  return u;
}

std::string URL::String() const {
  std::string buf;
  if (!Scheme.empty()) buf += Scheme + ":";
  if (!Opaque.empty()) {
    buf += Opaque;
  } else {
    if (!Scheme.empty() || !Host.empty() || HasUser) {
      if (!Host.empty() || !Path.empty() || HasUser) buf += "//";
      if (HasUser) {
        buf += escape(User, encoding::userPassword);
        if (HasPassword) buf.append(":").append(escape(Password, encoding::userPassword));
        buf += "@";
      }
      if (!Host.empty()) buf += escape(Host, encoding::host);
    }
    const std::string path = escape(Path, encoding::path);
    if (!path.empty() && path[0] != '/' && !Host.empty()) buf += "/";
    if (buf.empty()) {
      const std::size_t colon = path.find(':');
      if (colon != std::string::npos && path.substr(0, colon).find('/') == std::string::npos) {
        buf += "./";
      }
    }
    buf += path;
  }
  if (!RawQuery.empty()) buf += "?" + RawQuery;
  // Appended, not `"#" + escape(...)`: GCC 12's bogus -Wrestrict (PR 105329).
  if (!Fragment.empty()) buf.append("#").append(escape(Fragment, encoding::fragment));
  return buf;
}

std::string URL::Hostname() const {
  const std::size_t colon = Host.find(':');
  if (colon == std::string::npos) return Host;
  if (std::size_t i = Host.find(']'); i != std::string::npos) {
    std::string h = Host.substr(0, i);
    if (!h.empty() && h[0] == '[') h.erase(0, 1);
    return h;
  }
  return Host.substr(0, colon);
}

std::string URL::Port() const {
  const std::size_t colon = Host.find(':');
  if (colon == std::string::npos) return "";
  if (std::size_t i = Host.find("]:"); i != std::string::npos) return Host.substr(i + 2);
  if (Host.find(']') != std::string::npos) return "";
  return Host.substr(colon + 1);
}

}  // namespace gnatsd::server
