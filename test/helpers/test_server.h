// Go: test/test.go (gnatsd v1.0.0)
// Black-box test harness: in-process servers on random ports, raw sockets.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

#include "server/client.h"
#include "server/net.h"
#include "server/opts.h"
#include "server/const.h"
#include "server/server.h"

namespace gnatsd::test {

using namespace std::chrono_literals;
using server::Options;
using server::Server;

// Go: DefaultTestOptions, except Port -1 (random) so tests run in parallel.
Options DefaultTestOptions();

// Go: RunServer. Starts a server (NoLog and NoSigs forced unless the caller
// set a log file) and waits until it accepts connections. Throws on failure.
std::unique_ptr<Server> RunServer(Options opts);
inline std::unique_ptr<Server> RunDefaultServer() { return RunServer(DefaultTestOptions()); }
// Go: RunServerWithConfig / LoadConfig.
Options LoadConfig(const std::string& configFile);

// DefaultTestOptions with client TLS from test/configs/certs (tests run in
// test/): server-cert.pem, gnatsd's default ciphers and curves, a 2 s
// handshake timeout; with verify, client certificates from ca.pem required.
Options DefaultTLSTestOptions(bool verify);

// A client-side OpenSSL context for tests: trusts caFile (none: no server
// check at all), presents certFile/keyFile when given.
struct TLSClientOptions {
  std::string caFile;
  std::string certFile;
  std::string keyFile;
};
std::shared_ptr<SSL_CTX> makeClientTLSContext(const TLSClientOptions& o);

// A raw client socket. Reads accumulate in a buffer that expectResult consumes.
class Conn {
 public:
  Conn() = default;
  explicit Conn(server::Fd fd) : fd_(std::move(fd)) {}
  // Turns the connection into TLS (blocking client handshake, checking the
  // name `host` when the context verifies). False with *err on failure.
  bool startTLS(SSL_CTX* ctx, const std::string& host, std::string* err);
  bool isTLS() const { return ssl_ != nullptr; }
  SSL* ssl() const { return ssl_.get(); }  // null for a plain connection
  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  // Sends all bytes (Go: sendProto). Returns false on a write error.
  bool send(std::string_view data);
  // Reads whatever arrives within `timeout` and appends it to the buffer.
  // Returns false on EOF or error (the peer closed).
  bool readSome(std::chrono::milliseconds timeout);
  // Reads until the buffer matches `re` (searched) or timeout; on a match
  // returns the whole buffer up to the end of the match and removes it from
  // the buffer. On timeout returns nullopt-like empty optional.
  std::optional<std::string> readUntil(const std::regex& re, std::chrono::milliseconds timeout = 2s);
  // True if the server closed the connection within timeout (EOF seen).
  bool waitClosed(std::chrono::milliseconds timeout = 2s);
  std::string& buffer() { return buf_; }
  void close() { fd_.Close(); }

 private:
  struct SSLFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  server::Fd fd_;
  std::unique_ptr<SSL, SSLFree> ssl_;
  std::string buf_;
  bool eof_ = false;
};

// Go: createClientConn. Connects to host:port (fails the test on error).
Conn createClientConn(const std::string& host, int port);
inline Conn createClientConn(Server& s) { return createClientConn("127.0.0.1", s.Port()); }

// Go: sendProto.
void sendProto(Conn& c, std::string_view proto);

// Go: expectResult. Reads until `re` matches (REQUIRE fails after timeout)
// and returns the bytes read up to the end of the match.
std::string expectResult(Conn& c, const std::regex& re, std::chrono::milliseconds timeout = 2s);
// Go: expectNothing. REQUIREs that nothing arrives within `wait`.
void expectNothing(Conn& c, std::chrono::milliseconds wait = 100ms);

// Go: doConnect. Reads INFO and sends CONNECT with the given flags.
void doConnect(Conn& c, bool verbose, bool pedantic, bool ssl);
// Go: setupConn. CONNECT {verbose:false,pedantic:false}, then PING/PONG.
void setupConn(Conn& c);
// Go: setupConnWithProto.
void setupConnWithProto(Conn& c, int proto);

// Go: doAuthConnect (test/auth_test.go). CONNECT with verbose on and the
// given token, user and password (sent as JSON strings, unescaped).
void doAuthConnect(Conn& c, std::string_view token, std::string_view user, std::string_view pass);
// Go: expectAuthRequired. Reads INFO and REQUIREs auth_required == true.
void expectAuthRequired(Conn& c);

// Polls pred every `interval` until it holds or `timeout` passes.
bool checkFor(std::chrono::milliseconds timeout, std::chrono::milliseconds interval,
              const std::function<bool()>& pred);

// Go: the regexes of test.go.
extern const std::regex infoRe, pingRe, pongRe, msgRe, okRe, errRe;

// Go: server/parser_test.go dummyClient / dummyRouteClient. A client with no
// socket for white-box parser tests; `s` may be null or a Server that was
// never started. The handle calls finishConnection() when its last copy goes:
// a parse leaves self-references (the pending-flush list, subscriptions) that
// only the exit of a reader thread would otherwise break.
std::shared_ptr<server::client> dummyClient(Server* s = nullptr, server::ClientType typ = server::CLIENT);

// Count of threads in this process (from /proc/self/status).
int processThreadCount();
// The thread count before a server starts. A thread is created and joined
// first: sanitizer runtimes (TSan) start a helper thread of their own the
// first time a thread is created, which is not the server's.
int baseThreadCount();

// Go: checkInfoMsg. Reads the INFO line and returns its JSON (REQUIREs that
// it parses).
nlohmann::json checkInfoMsg(Conn& c);

// One MSG taken off the wire (Go: a msgRe submatch).
struct MsgMatch {
  std::string subject, sid, reply, len, msg;
};
// Go: expectMsgsCommand. Reads until `expected` complete MSGs are buffered,
// REQUIREs that exactly that many are there, and consumes them. Stricter than
// Go: the MSGs must start the buffer.
std::vector<MsgMatch> expectMsgs(Conn& c, size_t expected, std::chrono::milliseconds timeout = 2s);
// Go: checkMsg. An empty `sid` matches any sid.
void checkMsg(const MsgMatch& m, std::string_view subject, std::string_view sid, std::string_view reply,
              std::string_view len, std::string_view msg);

}  // namespace gnatsd::test
