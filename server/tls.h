// C++ only (Go: the crypto/tls pieces gnatsd uses: GenTLSConfig of opts.go,
// tlsVersion and tlsCipher of server.go), on OpenSSL 3.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "server/opts.h"

namespace gnatsd::server {

// Go: *tls.Config. An immutable OpenSSL context made from a TLSConfigOpts:
// certificate and key, TLS 1.2 at least, the server's cipher and curve order,
// and, with Verify, client certificates required and checked against the CA
// file (the system's roots without one). The same context also dials (routes):
// the CA file then serves as the roots for the peer's certificate.
//
// Thread safe: shared by every connection made with it.
class TLSConfig {
 public:
  explicit TLSConfig(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  ~TLSConfig() { SSL_CTX_free(ctx_); }
  TLSConfig(const TLSConfig&) = delete;
  TLSConfig& operator=(const TLSConfig&) = delete;

  SSL_CTX* ctx() const { return ctx_; }
  // Accepting: client certificates are required and verified. Dialling: the
  // server's certificate is verified, and its name (netConn::ClientHandshake).
  bool verify() const { return verify_; }

 private:
  SSL_CTX* const ctx_;
  const bool verify_;
};

// Go: GenTLSConfig. Reads the certificate, key and CA files now. Empty Ciphers
// or CurvePreferences leave OpenSSL's defaults (the TLS flags' case, where Go
// kept its library defaults). Throws std::runtime_error with gnatsd's text
// ("error parsing X509 certificate/key pair: open key.pem: no such file or
// directory", "failed to parse root ca certificate", ...).
std::shared_ptr<const TLSConfig> GenTLSConfig(const TLSConfigOpts& tc);

// Go: tlsVersion. "1.0", "1.1", "1.2", "1.3" (which 1.0.0 could not speak and
// nats-server 2.x names so), else "Unknown [<hex>]".
std::string tlsVersion(int version);

// Go: tlsCipher. The IANA-style name of a negotiated suite (those of
// ciphersuites.h, and TLS 1.3's as nats-server 2.x names them), else
// "Unknown [<hex>]".
std::string tlsCipher(uint16_t id);

// Go: the x509 error a crypto/tls client returns when the server's
// certificate fails verification with OpenSSL's `verifyResult` (an X509_V_ERR
// code): "x509: certificate signed by unknown authority", "x509: certificate
// is valid for localhost, 127.0.0.1, not srvc", ... `leaf` (may be null) is
// the server's certificate, `host` the name it was checked against.
std::string x509ErrorString(long verifyResult, X509* leaf, const std::string& host);

// Go: net.ParseIP(host) != nil, which is how crypto/tls tells an address
// (checked against IP SANs, never sent as SNI) from a name.
bool isIPLiteral(const std::string& host);

// The reason of the newest OpenSSL error on this thread, prefixed "tls: " as
// Go's crypto/tls errors are, or `fallback`; clears the thread's error queue.
std::string tlsErrorString(const char* fallback);

}  // namespace gnatsd::server
