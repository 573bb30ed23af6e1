// examples/embed: a NATS server inside your own program, and a real NATS
// client (libnats) talking to it: subscribe, publish, receive, shut down.
// Exits 0 when the message came back, 1 on any failure.
#include <nats/nats.h>
#include <openssl/crypto.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "server/const.h"  // RANDOM_PORT
#include "server/server.h"

namespace {

// The server logs through any gnatsd::logger::Logger (optional: without
// SetLogger and with NoLog = true it logs nothing).
class ExampleLogger : public gnatsd::logger::Logger {
 public:
  void Notice(std::string_view m) override { print("INF", m); }
  void Error(std::string_view m) override { print("ERR", m); }
  void Fatal(std::string_view m) override { print("FTL", m); }
  void Debug(std::string_view m) override { print("DBG", m); }
  void Trace(std::string_view m) override { print("TRC", m); }

 private:
  static void print(const char* level, std::string_view m) {
    std::fprintf(stderr, "[embedded gnatsd %s] %.*s\n", level, static_cast<int>(m.size()), m.data());
  }
};

bool ok(natsStatus s, const char* what) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "embed-example: %s: %s\n", what, natsStatus_GetText(s));
  return false;
}

// Owners for the libnats handles, so every return path releases them.
struct ConnClose {
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
};
struct SubClose {
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
};
struct MsgClose {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};

// The client side: connect, subscribe, publish, read the message back.
bool roundTrip(const std::string& url) {
  natsConnection* rawConn = nullptr;
  if (!ok(natsConnection_ConnectTo(&rawConn, url.c_str()), "connect")) return false;
  std::unique_ptr<natsConnection, ConnClose> nc(rawConn);

  natsSubscription* rawSub = nullptr;
  if (!ok(natsConnection_SubscribeSync(&rawSub, nc.get(), "embed.hello"), "subscribe")) return false;
  std::unique_ptr<natsSubscription, SubClose> sub(rawSub);

  const std::string sent = "hello from an embedded gnatsd";
  if (!ok(natsConnection_PublishString(nc.get(), "embed.hello", sent.c_str()), "publish")) return false;
  if (!ok(natsConnection_Flush(nc.get()), "flush")) return false;

  natsMsg* rawMsg = nullptr;
  if (!ok(natsSubscription_NextMsg(&rawMsg, sub.get(), 5000), "next message")) return false;
  std::unique_ptr<natsMsg, MsgClose> msg(rawMsg);
  const std::string got(natsMsg_GetData(msg.get()), static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  std::printf("received on %s: %s\n", natsMsg_GetSubject(msg.get()), got.c_str());
  std::fflush(stdout);
  if (got != sent) {
    std::fprintf(stderr, "embed-example: got \"%s\", sent \"%s\"\n", got.c_str(), sent.c_str());
    return false;
  }
  return true;
}

int run() {
  gnatsd::server::Options opts;
  opts.Host = "127.0.0.1";
  opts.Port = gnatsd::server::RANDOM_PORT;  // -1: any free port
  opts.NoSigs = true;                       // signals stay the program's business
  opts.NoLog = true;                        // no default stderr logger: ours below

  std::unique_ptr<gnatsd::server::Server> s;
  try {
    s = gnatsd::server::Server::New(opts);
    s->SetLogger(std::make_shared<ExampleLogger>(), /*debug=*/false, /*trace=*/false);
    s->Start();  // throws std::runtime_error if it cannot listen
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed-example: cannot start the server: %s\n", e.what());
    return 1;
  }
  if (!s->ReadyForConnections(std::chrono::seconds(5))) {
    std::fprintf(stderr, "embed-example: server not ready\n");
    return 1;
  }
  std::printf("embedded gnatsd listening on %s\n", s->Addr().c_str());
  std::fflush(stdout);

  const bool passed = roundTrip("nats://127.0.0.1:" + std::to_string(s->Port()));
  s->Shutdown();  // closes every connection, joins every server thread
  return passed ? 0 : 1;
}

}  // namespace

int main() {
  // libnats 3.4 and OpenSSL 3 both free OpenSSL state at exit (a double free): keep OpenSSL's handler out.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  const int rc = run();
  nats_Close();  // libnats' threads and global state, after every handle is gone
  return rc;
}
