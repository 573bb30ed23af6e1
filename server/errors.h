// Go: server/errors.go (plus sublist.go's two errors), gnatsd v1.0.0
// Error values. The hot path returns these instead of throwing.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace gnatsd::server {

// Either "no error" (default, false in a boolean context) or a message.
// Sentinels (the constants below) compare equal by identity, like Go's
// `err == ErrMaxPayload`; dynamic errors (Go's fmt.Errorf) carry a string.
class Error {
 public:
  constexpr Error() = default;
  constexpr explicit Error(const char* sentinel) : sentinel_(sentinel) {}
  static Error New(std::string msg) {
    Error e;
    e.dyn_ = std::make_shared<const std::string>(std::move(msg));
    return e;
  }
  explicit operator bool() const { return sentinel_ != nullptr || dyn_ != nullptr; }
  std::string_view text() const {
    if (sentinel_) return sentinel_;
    if (dyn_) return *dyn_;
    return {};
  }
  std::string str() const { return std::string(text()); }
  bool operator==(const Error& o) const {
    if (sentinel_ || o.sentinel_) return sentinel_ == o.sentinel_;
    return dyn_ == o.dyn_;
  }

 private:
  const char* sentinel_ = nullptr;
  std::shared_ptr<const std::string> dyn_;
};

inline const Error ErrConnectionClosed{"Connection Closed"};
inline const Error ErrAuthorization{"Authorization Error"};
inline const Error ErrAuthTimeout{"Authorization Timeout"};
inline const Error ErrMaxPayload{"Maximum Payload Exceeded"};
inline const Error ErrMaxControlLine{"Maximum Control Line Exceeded"};
inline const Error ErrReservedPublishSubject{"Reserved Internal Subject"};
inline const Error ErrBadClientProtocol{"Invalid Client Protocol"};
inline const Error ErrTooManyConnections{"Maximum Connections Exceeded"};
inline const Error ErrClientConnectedToRoutePort{"Attempted To Connect To Route Port"};

// Go: sublist.go
inline const Error ErrInvalidSubject{"sublist: Invalid Subject"};
inline const Error ErrNotFound{"sublist: No Matches Found"};

}  // namespace gnatsd::server
