// C++ only (Go: net.Conn, crypto/tls.Conn)
#include "server/conn.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <time.h>

#include <climits>
#include <cstring>

#include "server/tls.h"

namespace gnatsd::server {

namespace {

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a reset
// connection and kills a process that has not ignored it. This one sends with
// MSG_NOSIGNAL, and never blocks: the waits are netConn's, outside its lock.
int fdOf(BIO* b) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

int bioWrite(BIO* b, const char* in, int len) {
  BIO_clear_retry_flags(b);
  for (;;) {
    ssize_t n = ::send(fdOf(b), in, static_cast<size_t>(len), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
    return -1;
  }
}

int bioRead(BIO* b, char* out, int len) {
  BIO_clear_retry_flags(b);
  for (;;) {
    ssize_t n = ::recv(fdOf(b), out, static_cast<size_t>(len), MSG_DONTWAIT);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(b);
    return -1;
  }
}

long bioCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bioCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* socketMethod() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gnatsd socket");
    BIO_meth_set_write(bm, bioWrite);
    BIO_meth_set_read(bm, bioRead);
    BIO_meth_set_ctrl(bm, bioCtrl);
    BIO_meth_set_create(bm, bioCreate);
    return bm;
  }();
  return m;
}

// An SSL of `ctx` over fd through the BIO above; null if out of memory.
SSL* sslOver(SSL_CTX* ctx, int fd) {
  SSL* ssl = SSL_new(ctx);
  BIO* bio = ssl ? BIO_new(socketMethod()) : nullptr;
  if (!bio) {
    if (ssl) SSL_free(ssl);
    return nullptr;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);
  return ssl;
}

int clampLen(size_t len) { return static_cast<int>(std::min<size_t>(len, INT_MAX)); }

}  // namespace

netConn::~netConn() {
  if (ssl_) SSL_free(ssl_);
}

bool netConn::waitFor(short events, Clock::time_point until) {
  struct pollfd pfd {fd_.get(), events, 0};
  for (;;) {
    int r;
    if (until == Clock::time_point::max()) {
      r = ::poll(&pfd, 1, -1);
    } else {
      auto left = until - Clock::now();
      if (left <= Clock::duration::zero()) return false;
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      struct timespec ts {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
      r = ::ppoll(&pfd, 1, &ts, nullptr);
    }
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

bool netConn::WaitWritable(Clock::time_point until, Clock::duration* waited) {
  const auto start = Clock::now();
  const short events = tls_.load(std::memory_order_acquire) ? writeWants_ : POLLOUT;
  const bool ready = waitFor(events, until);
  *waited += Clock::now() - start;
  return ready;
}

ssize_t netConn::tlsRead(char* buf, size_t len) {
  for (;;) {
    int r, e;
    {
      std::lock_guard<std::mutex> l(sslMu_);
      ERR_clear_error();
      r = SSL_read(ssl_, buf, clampLen(len));
      e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ERR_clear_error();
    }
    switch (e) {
      case SSL_ERROR_NONE:
        return r;
      case SSL_ERROR_WANT_READ:
        waitFor(POLLIN, Clock::time_point::max());
        continue;
      case SSL_ERROR_WANT_WRITE:  // a TLS 1.3 key update to answer
        waitFor(POLLOUT, Clock::time_point::max());
        continue;
      case SSL_ERROR_ZERO_RETURN:  // close_notify
        return 0;
      case SSL_ERROR_SYSCALL:
        if (errno == 0) return 0;  // EOF without close_notify
        return -1;
      default:
        errno = EPROTO;
        return -1;
    }
  }
}

ssize_t netConn::tlsWrite(const char* p, size_t len) {
  std::lock_guard<std::mutex> l(sslMu_);
  ERR_clear_error();
  const int r = SSL_write(ssl_, p, clampLen(len));
  if (r > 0) return r;
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_WRITE:
      writeWants_ = POLLOUT;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_READ:
      writeWants_ = POLLIN;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (errno == 0) errno = EPIPE;
      return -1;
    default:
      ERR_clear_error();
      errno = EPROTO;
      return -1;
  }
}

bool netConn::ServerHandshake(const TLSConfig& config, Clock::time_point deadline, bool* timedOut,
                              std::string* err) {
  *timedOut = false;
  SSL* ssl = sslOver(config.ctx(), fd_.get());
  if (!ssl) {
    *err = tlsErrorString("tls: out of memory");
    return false;
  }
  SSL_set_accept_state(ssl);
  return handshake(ssl, false, std::string(), deadline, timedOut, err);
}

bool netConn::ClientHandshake(const TLSConfig& config, const std::string& serverName, Clock::time_point deadline,
                              bool* timedOut, std::string* err) {
  *timedOut = false;
  if (config.verify() && serverName.empty()) {
    // Go will not verify a certificate against no name at all.
    *err = "tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config";
    return false;
  }
  SSL* ssl = sslOver(config.ctx(), fd_.get());
  if (!ssl) {
    *err = tlsErrorString("tls: out of memory");
    return false;
  }
  SSL_set_connect_state(ssl);
  const bool ip = isIPLiteral(serverName);
  bool ok = true;
  // SNI carries host names only (RFC 6066), so Go leaves addresses out of it.
  if (!ip && !serverName.empty()) ok = SSL_set_tlsext_host_name(ssl, serverName.c_str()) == 1;
  if (ok && config.verify()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    // Go takes '*' only as a whole leftmost label ("*.example.com", not "f*.example.com").
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, serverName.c_str()) == 1
            : SSL_set1_host(ssl, serverName.c_str()) == 1;
  }
  if (!ok) {
    SSL_free(ssl);
    *err = tlsErrorString("tls: invalid server name");
    return false;
  }
  return handshake(ssl, true, serverName, deadline, timedOut, err);
}

bool netConn::handshake(SSL* ssl, bool client, const std::string& serverName, Clock::time_point deadline,
                        bool* timedOut, std::string* err) {
  {
    std::lock_guard<std::mutex> l(sslMu_);
    if (ssl_) SSL_free(ssl_);  // a second handshake on one connection: keep only the new one
    ssl_ = ssl;
  }
  for (;;) {
    int r, e;
    {
      std::lock_guard<std::mutex> l(sslMu_);
      ERR_clear_error();
      r = SSL_do_handshake(ssl);
      e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
      if (e == SSL_ERROR_SSL) {
        // Name the verification failure, as Go does ("tls: bad certificate").
        long vr = SSL_get_verify_result(ssl);
        if (vr != X509_V_OK) {
          ERR_clear_error();
          if (!client) {
            *err = std::string("tls: failed to verify client's certificate: ") + X509_verify_cert_error_string(vr);
            return false;
          }
          // A chain that failed verification is not the session's peer
          // certificate yet, but the chain received keeps it first.
          X509* leaf = SSL_get0_peer_certificate(ssl);
          STACK_OF(X509)* chain = leaf ? nullptr : SSL_get_peer_cert_chain(ssl);
          if (chain && sk_X509_num(chain) > 0) leaf = sk_X509_value(chain, 0);
          *err = x509ErrorString(vr, leaf, serverName);
          return false;
        }
        *err = tlsErrorString("tls: handshake failure");
        return false;
      }
      if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        *err = errno == 0 || e == SSL_ERROR_ZERO_RETURN ? "EOF" : std::strerror(errno);
        return false;
      }
    }
    if (e == SSL_ERROR_NONE) break;
    short events = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      *err = "tls: handshake failure";
      return false;
    }
    if (!waitFor(events, deadline)) {
      *timedOut = true;
      return false;
    }
  }
  tls_.store(true, std::memory_order_release);
  return true;
}

std::string netConn::tlsVersionName() const {
  std::lock_guard<std::mutex> l(sslMu_);
  return ssl_ ? tlsVersion(SSL_version(ssl_)) : std::string();
}

uint16_t netConn::tlsCipherId() const {
  std::lock_guard<std::mutex> l(sslMu_);
  const SSL_CIPHER* c = ssl_ ? SSL_get_current_cipher(ssl_) : nullptr;
  return c ? SSL_CIPHER_get_protocol_id(c) : 0;
}

void netConn::Shutdown() {
  if (tls_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> l(sslMu_);
    ERR_clear_error();
    SSL_shutdown(ssl_);  // close_notify if the socket takes it now
    ERR_clear_error();
  }
  fd_.Shutdown();
}

void netConn::Close() { fd_.Close(); }

}  // namespace gnatsd::server
