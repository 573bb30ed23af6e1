// C++ only: the monitor tests' HTTP client (see http_client.h).
#include "test/helpers/http_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "server/net.h"

namespace gnatsd::test {

namespace {

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// Parses a whole response (status line, headers, Content-Length body).
HTTPResponse parse(const std::string& in) {
  HTTPResponse r;
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) {
    r.err = in.empty() ? "no response" : "incomplete header: " + in.substr(0, 200);
    return r;
  }
  size_t pos = in.find("\r\n");
  const std::string statusLine = in.substr(0, pos);
  if (statusLine.rfind("HTTP/1.", 0) != 0 || statusLine.size() < 12) {
    r.err = "bad status line: " + statusLine;
    return r;
  }
  r.status = std::atoi(statusLine.c_str() + 9);
  while (pos < end) {
    size_t next = in.find("\r\n", pos + 2);
    std::string line = in.substr(pos + 2, next - pos - 2);
    pos = next;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t v = line.find_first_not_of(' ', colon + 1);
    r.headers[name] = v == std::string::npos ? std::string() : line.substr(v);
  }
  r.body = in.substr(end + 4);
  const std::string cl = r.header("content-length");
  if (!cl.empty()) {
    const size_t n = std::stoul(cl);
    if (r.body.size() < n) {
      r.err = "short body";
      return r;
    }
    r.body.resize(n);
  }
  r.ok = true;
  return r;
}

}  // namespace

HTTPResponse httpRaw(int port, const std::string& raw, SSL_CTX* ctx, std::chrono::milliseconds timeout) {
  // A server that resets the connection must not kill the test with SIGPIPE.
  static const bool ignored = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)ignored;
  HTTPResponse r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string err;
  server::Fd fd = server::DialTCP("127.0.0.1", port, static_cast<int>(timeout.count()), &err);
  if (!fd.valid()) {
    r.err = "dial: " + err;
    return r;
  }
  std::unique_ptr<SSL, SslFree> ssl;
  if (ctx) {
    ssl.reset(SSL_new(ctx));
    SSL_set_fd(ssl.get(), fd.get());
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
    if (SSL_connect(ssl.get()) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      ERR_clear_error();
      r.err = std::string("tls: ") + buf;
      return r;
    }
  }
  // Write what the server takes; it may answer and close early (431).
  size_t off = 0;
  while (off < raw.size()) {
    int n;
    if (ssl) {
      n = SSL_write(ssl.get(), raw.data() + off, static_cast<int>(std::min<size_t>(raw.size() - off, 1 << 20)));
    } else {
      n = static_cast<int>(::send(fd.get(), raw.data() + off, raw.size() - off, MSG_NOSIGNAL));
    }
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (;;) {
    if (!ssl || SSL_pending(ssl.get()) == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    }
    int n = ssl ? SSL_read(ssl.get(), buf, sizeof buf) : static_cast<int>(::recv(fd.get(), buf, sizeof buf, 0));
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ERR_clear_error();
  return parse(in);
}

HTTPResponse httpGet(int port, const std::string& target, SSL_CTX* ctx, std::chrono::milliseconds timeout) {
  return httpRaw(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", ctx, timeout);
}

}  // namespace gnatsd::test
