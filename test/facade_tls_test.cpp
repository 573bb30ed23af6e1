// C++ only: TLS set in code through the installed API (gnatsd::TLSOptions),
// checked from the outside with a plain OpenSSL client: the cipher suites
// and curves named in code are the ones the server negotiates. Only the
// gnatsd/ headers of the server; certificates from test/configs/certs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "gnatsd/gnatsd.h"

using namespace std::chrono_literals;

namespace {

const std::string kCerts = "./configs/certs/";

// A loopback server's options with TLS from the test certificate.
gnatsd::Options tlsOptions() {
  gnatsd::Options o;
  o.Host = "127.0.0.1";
  o.Port = gnatsd::RANDOM_PORT;
  o.NoLog = true;
  o.TLS.emplace();
  o.TLS->CertFile = kCerts + "server-cert.pem";
  o.TLS->KeyFile = kCerts + "server-key.pem";
  o.TLS->Timeout = 2;
  return o;
}

std::unique_ptr<gnatsd::Server> tlsServer(std::vector<std::string> ciphers, std::vector<std::string> curves) {
  gnatsd::Options o = tlsOptions();
  o.TLS->CipherSuites = std::move(ciphers);
  o.TLS->CurvePreferences = std::move(curves);
  auto s = gnatsd::Server::New(o);
  s->Start();
  REQUIRE(s->ReadyForConnections(5s));
  return s;
}

struct handshake {
  bool ok = false;
  std::string cipher;  // OpenSSL's name of the suite negotiated
  std::string group;   // the key-exchange group, OpenSSL's name
};

// Connects to the server's port, reads the clear-text INFO and shakes hands
// in TLS 1.2 offering only `cipher` (OpenSSL's name) and `group`.
handshake connectTLS12(int port, const char* cipher, const char* group) {
  handshake h;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  struct fdCloser {
    int fd;
    ~fdCloser() { ::close(fd); }
  } closer{fd};
  timeval tv{5, 0};  // nothing here may hang the suite
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  std::string info;
  char ch = 0;
  while (info.find("\r\n") == std::string::npos && ::recv(fd, &ch, 1, 0) == 1) info.push_back(ch);
  REQUIRE(info.rfind("INFO ", 0) == 0);
  CHECK(info.find("\"tls_required\":true") != std::string::npos);

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  REQUIRE(ctx);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  REQUIRE(SSL_CTX_set_cipher_list(ctx.get(), cipher) == 1);
  REQUIRE(SSL_CTX_set1_groups_list(ctx.get(), group) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // the suites are under test, not the chain
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  REQUIRE(ssl);
  SSL_set_fd(ssl.get(), fd);
  h.ok = SSL_connect(ssl.get()) == 1;
  ERR_clear_error();
  if (h.ok) {
    h.cipher = SSL_get_cipher_name(ssl.get());
    const int nid = SSL_get_negotiated_group(ssl.get());
    const char* g = nid > 0 ? OBJ_nid2sn(nid) : nullptr;
    h.group = g ? g : "";
    SSL_shutdown(ssl.get());
  }
  return h;
}

}  // namespace

TEST_CASE("TestFacadeTLSCipherSuitesInCode", "[facade][tls]") {
  // One suite and one curve, by gnatsd's names.
  auto s = tlsServer({"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, {"CurveP256"});
  handshake h = connectTLS12(s->Port(), "ECDHE-RSA-AES128-GCM-SHA256", "P-256");
  CHECK(h.ok);
  CHECK(h.cipher == "ECDHE-RSA-AES128-GCM-SHA256");
  CHECK(h.group == "prime256v1");
  // A suite of gnatsd's defaults, but not of this list: refused.
  CHECK_FALSE(connectTLS12(s->Port(), "ECDHE-RSA-AES256-GCM-SHA384", "P-256").ok);
  // A curve of gnatsd's defaults, but not of this list: refused.
  CHECK_FALSE(connectTLS12(s->Port(), "ECDHE-RSA-AES128-GCM-SHA256", "P-384").ok);
}

TEST_CASE("TestFacadeTLSDefaultsInCode", "[facade][tls]") {
  // Empty lists: gnatsd's defaults, strongest suite first.
  auto s = tlsServer({}, {});
  handshake h = connectTLS12(s->Port(), "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256", "P-384");
  CHECK(h.ok);
  CHECK(h.cipher == "ECDHE-RSA-AES256-GCM-SHA384");
  // Not among the defaults (no AEAD): refused.
  CHECK_FALSE(connectTLS12(s->Port(), "ECDHE-RSA-AES128-SHA", "P-256").ok);
}

TEST_CASE("TestFacadeTLSUnknownNames", "[facade][tls]") {
  gnatsd::Options o = tlsOptions();
  o.TLS->CipherSuites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_NOT_A_SUITE"};
  CHECK_THROWS_WITH(gnatsd::Server::New(o), "Unrecognized cipher TLS_NOT_A_SUITE");
  o.TLS->CipherSuites.clear();
  o.TLS->CurvePreferences = {"CurveP1024"};
  CHECK_THROWS_WITH(gnatsd::Server::New(o), "Unrecognized curve preference CurveP1024");
  try {
    gnatsd::Server::New(o);
    FAIL("no ConfigError");
  } catch (const gnatsd::ConfigError& e) {
    CHECK(e.Message() == "Unrecognized curve preference CurveP1024");
    CHECK(e.Line() == 0);  // set in code: no position
  }
}

TEST_CASE("TestFacadeTLSNamesFromFile", "[facade][tls]") {
  // A file's lists come back by name; a file that names none shows none.
  auto o = gnatsd::Options::FromFile("./configs/tls_curve_pref.conf");
  REQUIRE(o.TLS);
  CHECK(o.TLS->CurvePreferences == std::vector<std::string>{"CurveP256"});
  CHECK(o.TLS->CipherSuites.empty());
  auto plain = gnatsd::Options::FromFile("./configs/tls.conf");
  REQUIRE(plain.TLS);
  CHECK(plain.TLS->CipherSuites.empty());
  CHECK(plain.TLS->CurvePreferences.empty());
}
