// C++ only (Go: the tests' http.Get and http.Client)
// A tiny HTTP/1.1 client for the monitor tests: one request per loopback
// connection, plain or TLS. Uses no Catch2 macros, so any thread may call it.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <string>

namespace gnatsd::test {

struct HTTPResponse {
  bool ok = false;      // a whole response was read
  std::string err;      // why not, when !ok
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Sends `raw` as it is to 127.0.0.1:port (TLS when ctx is given) and reads
// until the server closes or `timeout` passes, then parses what came back.
HTTPResponse httpRaw(int port, const std::string& raw, SSL_CTX* ctx = nullptr,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

// GET target ("/varz?x=1") with "Connection: close" (Go: http.Get).
HTTPResponse httpGet(int port, const std::string& target, SSL_CTX* ctx = nullptr,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace gnatsd::test
