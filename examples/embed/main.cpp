// examples/embed: a NATS server inside your own program, a real NATS client
// (libnats) talking to it, and the program's own in-process connection (no
// socket) beside that client: messages both ways between the two, and a
// request from the program answered by the client. Only the installed API
// (#include "gnatsd/gnatsd.h"). Exits 0 when every message arrived, 1 on
// any failure.
#include <nats/nats.h>
#include <openssl/crypto.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "gnatsd/gnatsd.h"

namespace {

// Every line the server logs comes here (without a Logger, the server
// logs to stderr; Options::NoLog = true silences it). Called from the
// server's threads: thread safe, quick, and never calling back into it.
class ExampleLogger : public gnatsd::Logger {
 public:
  void Log(gnatsd::LogLevel level, std::string_view line) override {
    static constexpr const char* kLabels[] = {"FTL", "ERR", "INF", "DBG", "TRC"};
    std::fprintf(stderr, "[embedded gnatsd %s] %.*s\n", kLabels[static_cast<int>(level)],
                 static_cast<int>(line.size()), line.data());
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

// libnats' handler for "embed.service": answers the request it is given.
void answer(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  const std::string reply = std::string("answered: ").append(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsConnection_Publish(nc, natsMsg_GetReply(msg), reply.data(), static_cast<int>(reply.size()));
  natsMsg_Destroy(msg);
}

// The program's own connection to its server, beside a libnats client.
bool inProcess(gnatsd::Server& s, const std::string& url) {
  using gnatsd::InProcessConn;
  using gnatsd::InProcessMsg;
  std::unique_ptr<InProcessConn> host;
  try {
    host = InProcessConn::Connect(s, {"embed-example host", "", "", ""});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed-example: in-process connect: %s\n", e.what());
    return false;
  }
  natsConnection* rawConn = nullptr;
  if (!ok(natsConnection_ConnectTo(&rawConn, url.c_str()), "connect")) return false;
  std::unique_ptr<natsConnection, ConnClose> nc(rawConn);

  // libnats publishes, the program receives, on its own thread, in Drain.
  if (host->Subscribe("embed.to-host").empty()) {
    std::fprintf(stderr, "embed-example: subscribe: %s\n", host->LastError().c_str());
    return false;
  }
  if (!ok(natsConnection_PublishString(nc.get(), "embed.to-host", "from libnats"), "publish")) return false;
  if (!ok(natsConnection_Flush(nc.get()), "flush")) return false;
  std::string got;
  host->Drain([&](const InProcessMsg& m) { got.assign(m.data); }, std::chrono::seconds(5));
  std::printf("in-process connection received: %s\n", got.c_str());
  if (got != "from libnats") return false;

  // The program publishes, libnats receives.
  natsSubscription* rawSub = nullptr;
  if (!ok(natsConnection_SubscribeSync(&rawSub, nc.get(), "embed.to-client"), "subscribe")) return false;
  std::unique_ptr<natsSubscription, SubClose> sub(rawSub);
  if (!ok(natsConnection_Flush(nc.get()), "flush")) return false;
  if (!host->Publish("embed.to-client", "from the program")) return false;
  natsMsg* rawMsg = nullptr;
  if (!ok(natsSubscription_NextMsg(&rawMsg, sub.get(), 5000), "next message")) return false;
  std::unique_ptr<natsMsg, MsgClose> msg(rawMsg);
  got.assign(natsMsg_GetData(msg.get()), static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  std::printf("libnats received: %s\n", got.c_str());
  if (got != "from the program") return false;

  // A request from the program, answered by libnats.
  natsSubscription* rawService = nullptr;
  if (!ok(natsConnection_Subscribe(&rawService, nc.get(), "embed.service", answer, nullptr), "subscribe")) {
    return false;
  }
  std::unique_ptr<natsSubscription, SubClose> service(rawService);
  if (!ok(natsConnection_Flush(nc.get()), "flush")) return false;
  const auto reply = host->Request("embed.service", "the question", std::chrono::seconds(5));
  std::printf("in-process request answered: %s\n", reply ? reply->c_str() : "(no answer)");
  std::fflush(stdout);
  return reply && *reply == "answered: the question";
}

int run() {
  // Options in code (gnatsd::Options::FromFile reads a gnatsd config file
  // instead). Signals, the open-file limit and the thread stack default stay
  // the program's business: Start leaves them alone unless asked.
  // Options the server refuses throw gnatsd::ConfigError, with gnatsd's text.
  try {
    gnatsd::Options bad;
    bad.Cluster.Routes = {"nats://a:xx"};  // not a port
    gnatsd::Server::New(bad);
    std::fprintf(stderr, "embed-example: a route URL with no port was accepted\n");
    return 1;
  } catch (const gnatsd::ConfigError& e) {
    std::printf("refused as expected: %s\n", e.what());
  }

  gnatsd::Options opts;
  opts.Host = "127.0.0.1";
  opts.Port = gnatsd::RANDOM_PORT;  // any free port: ClientURL() tells which

  std::unique_ptr<gnatsd::Server> s;
  try {
    s = gnatsd::Server::New(opts, std::make_shared<ExampleLogger>());  // throws gnatsd::ConfigError
    s->Start();  // throws std::runtime_error if it cannot listen
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed-example: cannot start the server: %s\n", e.what());
    return 1;
  }
  if (!s->ReadyForConnections(std::chrono::seconds(5))) {
    std::fprintf(stderr, "embed-example: server not ready\n");
    return 1;
  }
  std::printf("embedded gnatsd listening on %s\n", s->ClientURL().c_str());
  std::fflush(stdout);

  const bool passed = roundTrip(s->ClientURL()) && inProcess(*s, s->ClientURL());
  const gnatsd::Varz v = s->Varz();
  std::printf("varz: %lld connections now, %llu in all, %lld messages in, %lld out\n",
              static_cast<long long>(v.Connections), static_cast<unsigned long long>(v.TotalConnections),
              static_cast<long long>(v.InMsgs), static_cast<long long>(v.OutMsgs));
  std::fflush(stdout);
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
