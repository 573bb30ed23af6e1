// Go: server/auth.go (gnatsd v1.0.0)
// Password and token checks (plain or bcrypt) and the helpers mkpasswd needs.
// The User and Permissions types live in server/auth_types.h.
#pragma once

#include <string>
#include <string_view>

namespace gnatsd::server {

// --- password helpers --------------------------------------------------------
// All of these are free functions without shared state: safe to call from any
// thread at once.

// True if a configured password or token is a bcrypt hash, i.e. starts with
// "$2a$", "$2b$" or "$2y$". gnatsd 1.0.0 knows only "$2a$" and compares the
// other two as plain text; we accept them because current tools (htpasswd,
// Python's bcrypt, newer Go) emit them. See docs/DEVIATIONS.md.
bool isBcrypt(std::string_view password);

// True if what a client sent (CONNECT `pass` or `auth_token`) matches what the
// server is configured with. A bcrypt serverPassword is checked by hashing
// clientPassword with its salt and cost; anything else must be equal byte for
// byte. Both comparisons take time independent of where the strings differ
// (lengths may leak). A malformed hash, or a clientPassword with a NUL byte
// checked against a hash (crypt(3) would stop reading at it), never matches.
// A bcrypt check costs what the hash's cost says: ~0.1 s at cost 11.
bool comparePasswords(std::string_view serverPassword, std::string_view clientPassword);

// Hashes password with bcrypt at the given cost and a fresh random salt, in
// the "$2a$<cost>$<salt+hash>" form gnatsd 1.0.0 reads (Go: mkpasswd's
// bcrypt.GenerateFromPassword). Only the first 72 bytes of password count.
// Throws std::invalid_argument if cost is outside 4..31 or password contains a
// NUL byte, std::system_error if libcrypt fails (e.g. no randomness).
std::string GenerateBcryptHash(std::string_view password, int cost);

// A 22-character password drawn uniformly from a-z, A-Z, 0-9 and !@$#%^&*()
// by the kernel's CSPRNG (Go: mkpasswd's genPassword). Throws
// std::system_error if getrandom(2) fails.
std::string GenerateRandomPassword();

}  // namespace gnatsd::server
