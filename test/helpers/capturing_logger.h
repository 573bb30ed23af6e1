// C++ only: a logger for tests that keeps every line the server logs.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/logger/log.h"
#include "test/helpers/test_server.h"

namespace gnatsd::test {

// Records the server's log lines as "[INF] text", "[ERR] text", ...
class capturingLogger : public gnatsd::logger::Logger {
 public:
  void Notice(std::string_view m) override { add("[INF] ", m); }
  void Error(std::string_view m) override { add("[ERR] ", m); }
  void Fatal(std::string_view m) override { add("[FTL] ", m); }
  void Debug(std::string_view m) override { add("[DBG] ", m); }
  void Trace(std::string_view m) override { add("[TRC] ", m); }
  bool contains(const std::string& s) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& line : lines_) {
      if (line.find(s) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() {
    std::lock_guard<std::mutex> l(mu_);
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  void add(const char* level, std::string_view m) {
    std::lock_guard<std::mutex> l(mu_);
    lines_.push_back(level + std::string(m));
  }
  std::mutex mu_;
  std::vector<std::string> lines_;
};

// Starts a server that logs to `log` (debug on, trace off), with no signal
// handling, and waits until it accepts connections.
inline std::unique_ptr<Server> runLogged(Options o, const std::shared_ptr<capturingLogger>& log) {
  o.NoLog = true;
  o.NoSigs = true;
  auto s = Server::New(std::move(o));
  s->SetLogger(log, true, false);
  s->Start();
  REQUIRE(s->ReadyForConnections(10s));
  return s;
}

}  // namespace gnatsd::test
