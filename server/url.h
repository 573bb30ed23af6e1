// Go: net/url (Go standard library), the parts route URLs use
// URL and ParseURL for forms such as nats-route://user:pass@host:port/.
#pragma once

#include <optional>
#include <string>

namespace gnatsd::server {

// Go: url.URL.
struct URL {
  std::string Scheme;
  std::string User;      // user info, decoded
  std::string Password;  // user info, decoded
  bool HasUser = false;
  bool HasPassword = false;
  std::string Host;  // "host:port", IPv6 in brackets, as written
  std::string Path;
  std::string Opaque;    // the rest of "scheme:rest" when rest has no "//"
  std::string RawQuery;  // after '?', still encoded
  std::string Fragment;  // after '#', decoded
  // Re-encodes the URL (Go: url.URL.String()).
  std::string String() const;
  // Hostname without port or brackets, and the port string.
  std::string Hostname() const;
  std::string Port() const;
  bool operator==(const URL&) const = default;
};

// Go: url.Parse, for the forms gnatsd uses; nullopt on error, with *err set
// to Go's message when err is not null ("parse nats://h:port: invalid port
// \":port\" after host").
std::optional<URL> ParseURL(const std::string& s, std::string* err = nullptr);

}  // namespace gnatsd::server
