// Go: server/auth.go (types User, Permissions), gnatsd v1.0.0
// Configured users and their publish/subscribe permissions.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace gnatsd::server {

// Subjects (wildcards allowed) a user may publish to or subscribe to.
// A non-null Permissions with an empty list allows nothing in that direction.
struct Permissions {
  std::vector<std::string> Publish;
  std::vector<std::string> Subscribe;
  bool operator==(const Permissions&) const = default;
};

struct User {
  std::string Username;
  std::string Password;                      // plain text or a bcrypt hash ($2a$...)
  std::shared_ptr<server::Permissions> Permissions;  // null: unrestricted
  // Deep copy (Go: User.clone).
  User clone() const {
    User u = *this;
    if (Permissions) u.Permissions = std::make_shared<server::Permissions>(*Permissions);
    return u;
  }
  bool operator==(const User& o) const {
    if (Username != o.Username || Password != o.Password) return false;
    if (!Permissions || !o.Permissions) return Permissions == o.Permissions;
    return *Permissions == *o.Permissions;
  }
};

}  // namespace gnatsd::server
