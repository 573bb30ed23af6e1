// Go: test/test.go (gnatsd v1.0.0)
// The black-box test harness.
#include "test/helpers/test_server.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "server/ciphersuites.h"
#include <fstream>
#include <optional>
#include <thread>

namespace gnatsd::test {

const std::regex infoRe(R"(INFO\s+([^\r\n]+)\r\n)");
const std::regex pingRe(R"(PING\r\n)");
const std::regex pongRe(R"(PONG\r\n)");
const std::regex msgRe(R"((?:(?:MSG\s+([^\s]+)\s+([^\s]+)\s+(([^\s]+)[^\S\r\n]+)?(\d+)\s*\r\n([^\r\n]*?)\r\n)+?))");
const std::regex okRe(R"(^\+OK\r\n)");
const std::regex errRe(R"(^-ERR\s+([^\r\n]+)\r\n)");

Options DefaultTestOptions() {
  Options o;
  o.Host = "127.0.0.1";
  o.Port = server::RANDOM_PORT;
  o.NoLog = true;
  o.NoSigs = true;
  o.MaxControlLine = 256;
  return o;
}

std::unique_ptr<Server> RunServer(Options opts) {
  opts.NoSigs = true;
  opts.NoLog = opts.LogFile.empty();  // tests log only to a file they name
  const bool log = !opts.NoLog;
  auto s = Server::New(std::move(opts));
  if (log) s->ConfigureLogger();
  s->Start();
  if (!s->ReadyForConnections(10s)) throw std::runtime_error("Unable to start NATS Server");
  return s;
}

Options LoadConfig(const std::string& configFile) { return server::ProcessConfigFile(configFile); }

Options DefaultTLSTestOptions(bool verify) {
  Options o = DefaultTestOptions();
  auto tc = std::make_shared<server::TLSConfigOpts>();
  tc->CertFile = "./configs/certs/server-cert.pem";
  tc->KeyFile = "./configs/certs/server-key.pem";
  tc->Verify = verify;
  if (verify) tc->CaFile = "./configs/certs/ca.pem";
  tc->Ciphers = server::defaultCipherSuites();
  tc->CurvePreferences = server::defaultCurvePreferences();
  o.TLSConfig = tc;
  o.TLSTimeout = 2;
  return o;
}

std::shared_ptr<SSL_CTX> makeClientTLSContext(const TLSClientOptions& o) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  REQUIRE(ctx);
  if (!o.caFile.empty()) {
    REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), o.caFile.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (!o.certFile.empty()) {
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx.get(), o.certFile.c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), o.keyFile.c_str(), SSL_FILETYPE_PEM) == 1);
  }
  return ctx;
}

bool Conn::startTLS(SSL_CTX* ctx, const std::string& host, std::string* err) {
  ssl_.reset(SSL_new(ctx));
  SSL_set_fd(ssl_.get(), fd_.get());
  unsigned char addr[16];
  if (::inet_pton(AF_INET, host.c_str(), addr) == 1 || ::inet_pton(AF_INET6, host.c_str(), addr) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host.c_str());
  } else {
    SSL_set1_host(ssl_.get(), host.c_str());
  }
  SSL_clear_mode(ssl_.get(), SSL_MODE_AUTO_RETRY);
  if (SSL_connect(ssl_.get()) == 1) return true;
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  *err = buf;
  const long vr = SSL_get_verify_result(ssl_.get());
  if (vr != X509_V_OK) *err += std::string(" (") + X509_verify_cert_error_string(vr) + ")";
  ERR_clear_error();
  ssl_.reset();
  return false;
}

bool Conn::send(std::string_view data) {
  while (!data.empty()) {
    if (ssl_) {
      int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool Conn::readSome(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  if (!ssl_ || SSL_pending(ssl_.get()) == 0) {
    struct pollfd p {fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r <= 0) return true;
  }
  char tmp[65536];
  ssize_t n = ssl_ ? SSL_read(ssl_.get(), tmp, sizeof tmp) : ::recv(fd_.get(), tmp, sizeof tmp, 0);
  // A record with no data for us (a session ticket): nothing yet.
  if (ssl_ && n < 0 && SSL_get_error(ssl_.get(), static_cast<int>(n)) == SSL_ERROR_WANT_READ) return true;
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> Conn::readUntil(const std::regex& re, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::smatch m;
    if (std::regex_search(buf_, m, re)) {
      size_t end = static_cast<size_t>(m.position(0) + m.length(0));
      std::string out = buf_.substr(0, end);
      buf_.erase(0, end);
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!readSome(left) && eof_) {
      // One last look at what arrived before EOF.
      if (std::regex_search(buf_, m, re)) continue;
      return std::nullopt;
    }
  }
}

bool Conn::waitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    readSome(left);
  }
  return true;
}

Conn createClientConn(const std::string& host, int port) {
  std::string err;
  server::Fd fd = server::DialTCP(host, port, 2000, &err);
  INFO("dial " << host << ":" << port << ": " << err);
  REQUIRE(fd.valid());
  return Conn(std::move(fd));
}

void sendProto(Conn& c, std::string_view proto) { REQUIRE(c.send(proto)); }

std::string expectResult(Conn& c, const std::regex& re, std::chrono::milliseconds timeout) {
  auto got = c.readUntil(re, timeout);
  INFO("received so far: " << c.buffer());
  REQUIRE(got.has_value());
  return *got;
}

void expectNothing(Conn& c, std::chrono::milliseconds wait) {
  c.readSome(wait);
  INFO("unexpected bytes: " << c.buffer());
  REQUIRE(c.buffer().empty());
}

void doConnect(Conn& c, bool verbose, bool pedantic, bool ssl) {
  expectResult(c, infoRe);
  std::string cs = std::string("CONNECT {\"verbose\":") + (verbose ? "true" : "false") +
                   ",\"pedantic\":" + (pedantic ? "true" : "false") +
                   ",\"ssl_required\":" + (ssl ? "true" : "false") + "}\r\n";
  sendProto(c, cs);
}

void setupConnWithProto(Conn& c, int proto) {
  expectResult(c, infoRe);
  sendProto(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":" + std::to_string(proto) + "}\r\n");
  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);
}

void setupConn(Conn& c) {
  doConnect(c, false, false, false);
  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);
}

void doAuthConnect(Conn& c, std::string_view token, std::string_view user, std::string_view pass) {
  std::string cs = "CONNECT {\"verbose\":true,\"auth_token\":\"";
  cs.append(token).append("\",\"user\":\"").append(user).append("\",\"pass\":\"");
  cs.append(pass).append("\"}\r\n");
  sendProto(c, cs);
}

void expectAuthRequired(Conn& c) {
  nlohmann::json info = checkInfoMsg(c);
  INFO("INFO: " << info.dump());
  REQUIRE(info.value("auth_required", false) == true);
}

bool checkFor(std::chrono::milliseconds timeout, std::chrono::milliseconds interval,
              const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

std::shared_ptr<server::client> dummyClient(Server* s, server::ClientType typ) {
  auto real = std::make_shared<server::client>(s, server::Fd(), typ);
  // Same object, own control block: the deleter cleans up, then lets go.
  return std::shared_ptr<server::client>(real.get(), [real](server::client*) { real->finishConnection(); });
}

int baseThreadCount() {
  std::thread([] {}).join();
  return processThreadCount();
}

int processThreadCount() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}


nlohmann::json checkInfoMsg(Conn& c) {
  std::string line = expectResult(c, infoRe);
  std::smatch m;
  REQUIRE(std::regex_search(line, m, infoRe));
  auto j = nlohmann::json::parse(m[1].str(), nullptr, false);
  INFO("INFO line: " << line);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

namespace {
// Parses complete MSGs from the front of buf; returns how many bytes they use.
size_t parseMsgs(const std::string& buf, std::vector<MsgMatch>* out) {
  size_t p = 0;
  for (;;) {
    if (buf.compare(p, 4, "MSG ") != 0) return p;
    size_t eol = buf.find("\r\n", p);
    if (eol == std::string::npos) return p;
    std::vector<std::string> f;
    size_t i = p + 4;
    while (i < eol) {
      while (i < eol && (buf[i] == ' ' || buf[i] == '\t')) ++i;
      size_t st = i;
      while (i < eol && buf[i] != ' ' && buf[i] != '\t') ++i;
      if (i > st) f.emplace_back(buf, st, i - st);
    }
    if (f.size() != 3 && f.size() != 4) return p;
    const std::string& len = f.back();
    if (len.empty() || len.find_first_not_of("0123456789") != std::string::npos) return p;
    size_t n = std::stoul(len);
    size_t end = eol + 2 + n + 2;
    if (buf.size() < end) return p;
    if (buf.compare(eol + 2 + n, 2, "\r\n") != 0) return p;
    out->push_back(MsgMatch{f[0], f[1], f.size() == 4 ? f[2] : "", len, buf.substr(eol + 2, n)});
    p = end;
  }
}
}  // namespace

std::vector<MsgMatch> expectMsgs(Conn& c, size_t expected, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<MsgMatch> got;
  size_t used = 0;
  for (;;) {
    got.clear();
    used = parseMsgs(c.buffer(), &got);
    if (got.size() >= expected) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !c.readSome(left)) break;
  }
  INFO("received: " << c.buffer());
  REQUIRE(got.size() == expected);
  c.buffer().erase(0, used);
  return got;
}

void checkMsg(const MsgMatch& m, std::string_view subject, std::string_view sid, std::string_view reply,
              std::string_view len, std::string_view msg) {
  CHECK(m.subject == subject);
  if (!sid.empty()) CHECK(m.sid == sid);
  CHECK(m.reply == reply);
  CHECK(m.len == len);
  CHECK(m.msg == msg);
}

}  // namespace gnatsd::test
