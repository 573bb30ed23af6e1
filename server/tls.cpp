// C++ only (Go: GenTLSConfig of server/opts.go, tlsVersion / tlsCipher of
// server/server.go, gnatsd v1.0.0)
#include "server/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "server/ciphersuites.h"

namespace gnatsd::server {

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PKeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};
struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PKeyPtr = std::unique_ptr<EVP_PKEY, PKeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Go's os.ReadFile: the whole file, or "open <path>: <reason>".
std::string readFileGo(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  auto fail = [&](const char* op, int e) {
    std::string reason = std::strerror(e);
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    throw std::runtime_error(std::string(op) + " " + path + ": " + reason);
  };
  if (!f) fail("open", errno);
  std::string data;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  const bool bad = std::ferror(f);
  const int e = errno;
  std::fclose(f);
  if (bad) fail("read", e);
  return data;
}

BioPtr memBio(const std::string& data) { return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size()))); }

// Every certificate in a PEM text, in order.
std::vector<X509Ptr> readCerts(const std::string& pem) {
  std::vector<X509Ptr> certs;
  BioPtr bio = memBio(pem);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  ERR_clear_error();  // the end of the text reads as an error
  return certs;
}

// Go: tls.LoadX509KeyPair, with its error texts.
void loadKeyPair(SSL_CTX* ctx, const TLSConfigOpts& tc) {
  const std::string certPEM = readFileGo(tc.CertFile);
  const std::string keyPEM = readFileGo(tc.KeyFile);
  std::vector<X509Ptr> chain = readCerts(certPEM);
  if (chain.empty()) throw std::runtime_error("tls: failed to find any PEM data in certificate input");
  BioPtr kb = memBio(keyPEM);
  PKeyPtr key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    throw std::runtime_error("tls: failed to find any PEM data in key input");
  }
  if (SSL_CTX_use_certificate(ctx, chain[0].get()) != 1) {
    throw std::runtime_error(tlsErrorString("tls: failed to use certificate"));
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    // On success the context owns the extra certificate.
    if (SSL_CTX_add_extra_chain_cert(ctx, chain[i].get()) != 1) {
      throw std::runtime_error(tlsErrorString("tls: failed to use certificate chain"));
    }
    (void)chain[i].release();
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    throw std::runtime_error("tls: private key does not match public key");
  }
}

// Sets the ':'-joined OpenSSL names of `ids` (looked up in `table`) with
// `set`; false if none is known or OpenSSL takes none of them.
template <class Table, class Setter>
bool setList(SSL_CTX* ctx, const std::vector<uint16_t>& ids, const Table& table, Setter set) {
  std::string list;
  for (uint16_t id : ids) {
    for (const auto& e : table) {
      if (e.id != id) continue;
      if (!list.empty()) list += ':';
      list += e.openssl;
    }
  }
  const bool ok = !list.empty() && set(ctx, list.c_str()) == 1;
  ERR_clear_error();
  return ok;
}

std::string asn1Text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

// Go: x509.HostnameError.Error() (1.8): what the certificate is valid for.
std::string hostnameError(X509* leaf, const std::string& host) {
  std::vector<std::string> dns, ips;
  std::unique_ptr<GENERAL_NAMES, NamesFree> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
    if (gn->type == GEN_DNS) {
      dns.push_back(asn1Text(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(gn->d.iPAddress);
      char buf[INET6_ADDRSTRLEN];
      const int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
      if (af && inet_ntop(af, ASN1_STRING_get0_data(gn->d.iPAddress), buf, sizeof buf)) ips.emplace_back(buf);
    }
  }
  ERR_clear_error();
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  std::string valid;
  if (isIPLiteral(host)) {
    if (ips.empty()) return "x509: cannot validate certificate for " + host + " because it doesn't contain any IP SANs";
    valid = join(ips);
  } else if (!dns.empty()) {
    valid = join(dns);
  } else {
    X509_NAME* subject = X509_get_subject_name(leaf);
    const int i = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    if (i >= 0) valid = asn1Text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
  }
  return "x509: certificate is valid for " + valid + ", not " + host;
}

std::string hexUnknown(unsigned v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "Unknown [%x]", v);
  return buf;
}

}  // namespace

std::string tlsErrorString(const char* fallback) {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  const char* reason = ERR_reason_error_string(e);
  if (!reason) return fallback;
  if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
    switch (ERR_GET_REASON(e)) {
      case SSL_R_WRONG_VERSION_NUMBER:
      case SSL_R_HTTP_REQUEST:
      case SSL_R_HTTPS_PROXY_REQUEST:
      case SSL_R_UNKNOWN_PROTOCOL:
      case SSL_R_RECORD_LENGTH_MISMATCH:
        // What Go says of a peer that does not speak TLS.
        return "tls: first record does not look like a TLS handshake";
      default:
        break;
    }
  }
  return std::string("tls: ") + reason;
}

bool isIPLiteral(const std::string& host) {
  unsigned char addr[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

std::string x509ErrorString(long verifyResult, X509* leaf, const std::string& host) {
  switch (verifyResult) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return "x509: certificate signed by unknown authority";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "x509: certificate has expired or is not yet valid";
    case X509_V_ERR_INVALID_PURPOSE:
      return "x509: certificate specifies an incompatible key usage";
    case X509_V_ERR_INVALID_CA:
      return "x509: certificate is not authorized to sign other certificates";
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return "x509: too many intermediates for path length constraint";
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
      return "x509: a root or intermediate certificate is not authorized to sign in this domain";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      if (leaf) return hostnameError(leaf, host);
      return "x509: certificate is not valid for " + host;
    default:
      return std::string("x509: ") + X509_verify_cert_error_string(verifyResult);
  }
}

std::shared_ptr<const TLSConfig> GenTLSConfig(const TLSConfigOpts& tc) {
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) throw std::runtime_error(tlsErrorString("tls: cannot create a TLS context"));
  try {
    loadKeyPair(ctx.get(), tc);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("error parsing X509 certificate/key pair: ") + e.what());
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Writes may be partial and retried from a buffer that has moved (the
  // write path's front buffer); idle connections give back their buffers.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);

  // OpenSSL skips the suites it lacks (RC4, 3DES); it fails only if none is left.
  auto setCiphers = [](SSL_CTX* c, const char* l) { return SSL_CTX_set_cipher_list(c, l); };
  auto setGroups = [](SSL_CTX* c, const char* l) { return static_cast<int>(SSL_CTX_set1_groups_list(c, l)); };
  if (!tc.Ciphers.empty() && !setList(ctx.get(), tc.Ciphers, cipherSuites(), setCiphers)) {
    throw std::runtime_error("error parsing tls config, none of the cipher suites is available in this build");
  }
  if (!tc.CurvePreferences.empty() &&
      !setList(ctx.get(), tc.CurvePreferences, curvePreferences(), setGroups)) {
    throw std::runtime_error("error parsing tls config, none of the curve preferences is available in this build");
  }

  // TLS_method() and one trust store: the context accepts and dials (routes).
  // Dialling, SSL_VERIFY_PEER checks the server's certificate against the same
  // CA file (OpenSSL ignores FAIL_IF_NO_PEER_CERT there), as Go's RootCAs do.
  if (tc.Verify) SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // NATS clients do not resume sessions: no TLS 1.3 tickets to make and send.
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  // Session resumption with client certificates needs a context id.
  static const unsigned char kSessionContext[] = "gnatsd";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
  if (!tc.CaFile.empty()) {
    const std::string pem = readFileGo(tc.CaFile);
    std::vector<X509Ptr> cas = readCerts(pem);
    if (cas.empty()) throw std::runtime_error("failed to parse root ca certificate");
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (auto& ca : cas) {
      X509_STORE_add_cert(store, ca.get());
      if (names) sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca.get())));
    }
    ERR_clear_error();  // a certificate listed twice
    // The certificate request names the acceptable CAs, as Go's ClientCAs do.
    if (names) SSL_CTX_set_client_CA_list(ctx.get(), names);
  } else if (tc.Verify) {
    SSL_CTX_set_default_verify_paths(ctx.get());  // Go: the system roots
  }
  return std::make_shared<TLSConfig>(ctx.release(), tc.Verify);
}

std::string tlsVersion(int version) {
  switch (version) {
    case TLS1_VERSION:
      return "1.0";
    case TLS1_1_VERSION:
      return "1.1";
    case TLS1_2_VERSION:
      return "1.2";
    case TLS1_3_VERSION:
      return "1.3";
    default:
      return hexUnknown(static_cast<unsigned>(version));
  }
}

std::string tlsCipher(uint16_t id) {
  for (const auto& cs : cipherSuites()) {
    if (cs.id == id) return std::string(cs.name);
  }
  switch (id) {
    case 0x1301:
      return "TLS_AES_128_GCM_SHA256";
    case 0x1302:
      return "TLS_AES_256_GCM_SHA384";
    case 0x1303:
      return "TLS_CHACHA20_POLY1305_SHA256";
    default:
      return hexUnknown(id);
  }
}

}  // namespace gnatsd::server
