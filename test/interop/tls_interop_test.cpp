// Go: test/tls_test.go, through the NATS C client (libnats, built with OpenSSL):
// server-only TLS, mutual TLS accepted and refused, a wrong CA, and the
// client's view of a TLS/plain mismatch. Tests run in test/ (catch_main).
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <string>

#include "test/helpers/test_server.h"
#include "test/interop/nats_connect.h"
#include "test/interop/nats_handles.h"

namespace {

using namespace gnatsd::test;
using namespace gnatsd::test::interop;

const std::string kCerts = "./configs/certs/";

// A secure client that checks the server against `ca` and the name localhost.
OptsPtr secureOptions(int port, const std::string& ca) {
  OptsPtr o = optionsFor("tls://127.0.0.1:" + std::to_string(port));
  REQUIRE(natsOptions_SetSecure(o.get(), true) == NATS_OK);
  REQUIRE(natsOptions_LoadCATrustedCertificates(o.get(), ca.c_str()) == NATS_OK);
  REQUIRE(natsOptions_SetExpectedHostname(o.get(), "localhost") == NATS_OK);
  return o;
}

natsStatus connectStatus(natsOptions* o) {
  natsStatus st = NATS_OK;
  ConnPtr nc = tryConnect(o, &st);
  return st;
}

// Publishes `payload` on `subject` and gets it back on a subscription.
void roundTrip(natsConnection* nc, const char* subject, const std::string& payload) {
  natsSubscription* raw = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&raw, nc, subject) == NATS_OK);
  SubPtr sub(raw);
  REQUIRE(natsConnection_Publish(nc, subject, payload.data(), static_cast<int>(payload.size())) == NATS_OK);
  natsMsg* m = nullptr;
  REQUIRE(natsSubscription_NextMsg(&m, sub.get(), 5000) == NATS_OK);
  MsgPtr msg(m);
  REQUIRE(natsMsg_GetDataLength(m) == static_cast<int>(payload.size()));
  CHECK(std::string(natsMsg_GetData(m), payload.size()) == payload);
}

}  // namespace

TEST_CASE("CNatsTLSConnect", "[interop][tls]") {
  auto s = RunServer(DefaultTLSTestOptions(false));
  OptsPtr o = secureOptions(s->Port(), kCerts + "ca.pem");
  ConnPtr nc = expectConnect(o.get());
  roundTrip(nc.get(), "secure", "secure data");
  std::string big(1024 * 1024, 'b');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  roundTrip(nc.get(), "secure.big", big);
  // The server sees a TLS connection.
  auto cl = s->getClient(1);
  REQUIRE(cl);
  CHECK_FALSE(cl->tlsVersion().empty());
}

TEST_CASE("CNatsTLSClientCertificate", "[interop][tls]") {
  auto s = RunServer(DefaultTLSTestOptions(true));
  SECTION("with a certificate from the CA: accepted") {
    OptsPtr o = secureOptions(s->Port(), kCerts + "ca.pem");
    REQUIRE(natsOptions_LoadCertificatesChain(o.get(), (kCerts + "client-cert.pem").c_str(),
                                              (kCerts + "client-key.pem").c_str()) == NATS_OK);
    ConnPtr nc = expectConnect(o.get());
    roundTrip(nc.get(), "mutual", "ok");
  }
  SECTION("without a certificate: refused") {
    OptsPtr o = secureOptions(s->Port(), kCerts + "ca.pem");
    CHECK(connectStatus(o.get()) != NATS_OK);
  }
  SECTION("with a certificate from another CA: refused") {
    OptsPtr o = secureOptions(s->Port(), kCerts + "ca.pem");
    REQUIRE(natsOptions_LoadCertificatesChain(o.get(), (kCerts + "client-other-cert.pem").c_str(),
                                              (kCerts + "client-other-key.pem").c_str()) == NATS_OK);
    CHECK(connectStatus(o.get()) != NATS_OK);
  }
  CHECK(checkFor(2s, 10ms, [&] { return s->NumClients() <= 1; }));
}

TEST_CASE("CNatsTLSWrongCA", "[interop][tls]") {
  // The client does not trust the server's certificate.
  auto s = RunServer(DefaultTLSTestOptions(false));
  OptsPtr o = secureOptions(s->Port(), kCerts + "other-ca.pem");
  CHECK(connectStatus(o.get()) == NATS_SSL_ERROR);
}

TEST_CASE("CNatsTLSMismatch", "[interop][tls]") {
  SECTION("a plain client to a TLS server") {
    // libnats reads tls_required in the clear INFO and switches to TLS by
    // itself; it then checks the server's certificate like any TLS client.
    auto s = RunServer(DefaultTLSTestOptions(false));
    OptsPtr o = optionsFor(natsURL(s->Port()));
    CHECK(connectStatus(o.get()) == NATS_SSL_ERROR);  // it trusts only the system's CAs
    REQUIRE(natsOptions_LoadCATrustedCertificates(o.get(), (kCerts + "ca.pem").c_str()) == NATS_OK);
    ConnPtr nc = expectConnect(o.get());
    roundTrip(nc.get(), "upgraded", "ok");
  }
  SECTION("a TLS client to a plain server") {
    auto s = RunDefaultServer();
    OptsPtr o = secureOptions(s->Port(), kCerts + "ca.pem");
    CHECK(connectStatus(o.get()) == NATS_SECURE_CONNECTION_WANTED);
  }
}
