// Go: server/ciphersuites_1.8.go (gnatsd v1.0.0)
// Name tables for TLS cipher suites and curves, with OpenSSL's names beside.
#include "server/ciphersuites.h"

#include <array>

namespace gnatsd::server {

namespace {

constexpr std::array<cipherSuite, 21> kCipherSuites = {{
    {"TLS_RSA_WITH_RC4_128_SHA", 0x0005, "RC4-SHA"},
    {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x000a, "DES-CBC3-SHA"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f, "AES128-SHA"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003c, "AES128-SHA256"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035, "AES256-SHA"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d, "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xc007, "ECDHE-ECDSA-RC4-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009, "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a, "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_RC4_128_SHA", 0xc011, "ECDHE-RSA-RC4-SHA"},
    {"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xc012, "ECDHE-RSA-DES-CBC3-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013, "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027, "ECDHE-RSA-AES128-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023, "ECDHE-ECDSA-AES128-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014, "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f, "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030, "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", 0xcca8, "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", 0xcca9, "ECDHE-ECDSA-CHACHA20-POLY1305"},
}};

constexpr std::array<curvePreference, 4> kCurves = {{
    {"CurveP256", CurveP256, "P-256"},
    {"CurveP384", CurveP384, "P-384"},
    {"CurveP521", CurveP521, "P-521"},
    {"X25519", X25519, "X25519"},
}};

}  // namespace

std::span<const cipherSuite> cipherSuites() { return kCipherSuites; }

std::span<const curvePreference> curvePreferences() { return kCurves; }

std::optional<uint16_t> cipherByName(std::string_view name) {
  for (const auto& c : kCipherSuites) {
    if (c.name == name) return c.id;
  }
  return std::nullopt;
}

std::optional<uint16_t> curveByName(std::string_view name) {
  for (const auto& c : kCurves) {
    if (c.name == name) return c.id;
  }
  return std::nullopt;
}

std::vector<uint16_t> defaultCipherSuites() {
  return {0xcca9,   // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305
          0xcca8,   // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305
          0xc02c,   // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
          0xc02b,   // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
          0xc030,   // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
          0xc02f};  // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
}

std::vector<uint16_t> defaultCurvePreferences() {
  return {CurveP521, CurveP384, X25519, CurveP256};
}

}  // namespace gnatsd::server
