// Go: server/ciphersuites_1.8.go (gnatsd v1.0.0)
// TLS cipher suite and curve names accepted in config files, and defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace gnatsd::server {

// One name a `cipher_suites` entry may use: Go's IANA-style name, the IANA
// id gnatsd stores, and OpenSSL's name for the same suite (for the TLS
// layer; only its TLS 1.2 use matters, gnatsd's minimum version).
struct cipherSuite {
  std::string_view name;
  uint16_t id;
  std::string_view openssl;
};

// Go: cipherMap, the Go >= 1.8 table (21 suites), in the order of Go's source.
std::span<const cipherSuite> cipherSuites();

// Go: tls.CurveID values.
inline constexpr uint16_t CurveP256 = 23;
inline constexpr uint16_t CurveP384 = 24;
inline constexpr uint16_t CurveP521 = 25;
inline constexpr uint16_t X25519 = 29;

struct curvePreference {
  std::string_view name;  // as written in `curve_preferences`
  uint16_t id;
  std::string_view openssl;  // OpenSSL group name
};

// Go: curvePreferenceMap.
std::span<const curvePreference> curvePreferences();

// Go: parseCipher / parseCurvePreferences lookups (exact, case-sensitive).
std::optional<uint16_t> cipherByName(std::string_view name);
std::optional<uint16_t> curveByName(std::string_view name);

// Go: defaultCipherSuites(): ECDHE with AEAD ciphers only, strongest first.
std::vector<uint16_t> defaultCipherSuites();

// Go: defaultCurvePreferences(): P-521, P-384, X25519, P-256.
std::vector<uint16_t> defaultCurvePreferences();

}  // namespace gnatsd::server
