// Go: test/pedantic_test.go
// Pedantic mode: SUB subjects are always checked, PUB subjects must be literal.
// As in Go the server runs with tracing on (here into a log file), so the
// trace path is exercised and its lines can be checked too.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;

namespace {

// A fresh directory removed at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/gnatsd_pedantic_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::unique_ptr<Server> runPedanticServer(const std::string& logFile) {
  Options opts = DefaultTestOptions();
  opts.NoLog = false;
  opts.Trace = true;
  opts.LogFile = logFile;
  auto s = Server::New(opts);
  s->ConfigureLogger();
  s->Start();
  REQUIRE(s->ReadyForConnections(10s));
  return s;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Waits until the log holds `text` (the logger writes from server threads).
void expectLog(const std::string& logFile, const std::string& text) {
  bool found = checkFor(2s, 5ms, [&] { return readFile(logFile).find(text) != std::string::npos; });
  INFO("log file:\n" << readFile(logFile));
  INFO("looking for: " << text);
  CHECK(found);
}

}  // namespace

TEST_CASE("TestPedanticSub", "[pedantic]") {
  TempDir dir;
  const std::string logFile = dir.path + "/gnatsd.log";
  auto s = runPedanticServer(logFile);
  Conn c = createClientConn(*s);
  doConnect(c, false, true, false);

  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);

  // SUB may hold wildcards, but the subject must still be well formed.
  sendProto(c, "SUB foo. 1\r\n");
  CHECK(expectResult(c, errRe) == "-ERR 'Invalid Subject'\r\n");

  sendProto(c, "SUB .foo. 1\r\n");
  CHECK(expectResult(c, errRe) == "-ERR 'Invalid Subject'\r\n");

  sendProto(c, "SUB foo..bar 1\r\n");
  CHECK(expectResult(c, errRe) == "-ERR 'Invalid Subject'\r\n");

  // '>' must be the last token.
  sendProto(c, "SUB foo.>.bar 1\r\n");
  std::string buf = expectResult(c, errRe);
  std::smatch m;
  REQUIRE(std::regex_search(buf, m, errRe));
  CHECK(m[1].str() == "'Invalid Subject'");

  // None of them was kept, and the connection is still fine.
  sendProto(c, "PING\r\n");
  CHECK(expectResult(c, pongRe) == "PONG\r\n");
  CHECK(s->NumSubscriptions() == 0);

  expectLog(logFile, "->> [SUB foo.>.bar 1]");
  expectLog(logFile, "<<- [-ERR Invalid Subject]");
}

TEST_CASE("TestPedanticPub", "[pedantic]") {
  TempDir dir;
  const std::string logFile = dir.path + "/gnatsd.log";
  auto s = runPedanticServer(logFile);
  Conn c = createClientConn(*s);
  doConnect(c, false, true, false);

  sendProto(c, "PING\r\n");
  expectResult(c, pongRe);

  // A subscriber that would match every one of these subjects if they were
  // delivered.
  Conn sub = createClientConn(*s);
  setupConn(sub);
  sendProto(sub, "SUB > 1\r\nPING\r\n");
  expectResult(sub, pongRe);

  // PUB subjects may not hold wildcards or empty tokens in pedantic mode.
  for (const char* subj : {"foo.*", "foo.>", "foo.", ".foo", "foo..*"}) {
    INFO("subject " << subj);
    sendProto(c, std::string("PUB ") + subj + " 2\r\nok\r\n");
    CHECK(expectResult(c, errRe) == "-ERR 'Invalid Subject'\r\n");
  }

  // A literal subject still goes through, and only it was delivered.
  sendProto(c, "PUB foo.bar 2\r\nok\r\nPING\r\n");
  CHECK(expectResult(c, pongRe) == "PONG\r\n");
  auto msgs = expectMsgs(sub, 1);
  checkMsg(msgs[0], "foo.bar", "1", "", "2", "ok");
  sendProto(sub, "PING\r\n");
  CHECK(expectResult(sub, pongRe) == "PONG\r\n");

  expectLog(logFile, "->> [PUB foo..* 2]");
}
