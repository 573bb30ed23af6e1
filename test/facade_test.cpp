// C++ only: the installed API (include/gnatsd/), used as an embedding
// program uses it: only the gnatsd/ headers, no internal one.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gnatsd/gnatsd.h"

#ifdef NLOHMANN_JSON_VERSION_MAJOR
#error "the installed headers must not bring in nlohmann/json"
#endif

using namespace std::chrono_literals;

namespace {

// Every line the server logs, kept for the test to look at.
class recordingLogger : public gnatsd::Logger {
 public:
  void Log(gnatsd::LogLevel level, std::string_view line) override {
    std::lock_guard<std::mutex> l(mu_);
    lines_.push_back({level, std::string(line)});
  }
  bool has(gnatsd::LogLevel level, std::string_view text) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [lv, line] : lines_) {
      if (lv == level && line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  size_t count(gnatsd::LogLevel level) {
    std::lock_guard<std::mutex> l(mu_);
    size_t n = 0;
    for (const auto& e : lines_) n += e.first == level;
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<gnatsd::LogLevel, std::string>> lines_;
};

gnatsd::Options localOptions() {
  gnatsd::Options o;
  o.Host = "127.0.0.1";
  o.Port = gnatsd::RANDOM_PORT;
  o.NoLog = true;
  return o;
}

std::unique_ptr<gnatsd::Server> startServer(const gnatsd::Options& o, std::shared_ptr<gnatsd::Logger> log = nullptr) {
  auto s = gnatsd::Server::New(o, std::move(log));
  s->Start();
  REQUIRE(s->ReadyForConnections(5s));
  return s;
}

template <class Pred>
bool eventually(Pred pred) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Every message for c within 2 s, until `want` have come.
std::vector<std::string> drainData(gnatsd::InProcessConn& c, size_t want) {
  std::vector<std::string> got;
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (got.size() < want && std::chrono::steady_clock::now() < until) {
    c.Drain([&](const gnatsd::InProcessMsg& m) { got.emplace_back(m.data); }, 50ms);
  }
  return got;
}

// A config file of its own, removed with it.
class tempConfig {
 public:
  explicit tempConfig(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "facade_test.XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "gnatsd.conf").string();
    write(text);
  }
  ~tempConfig() { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace

TEST_CASE("TestFacadeTwoServersInOneProcess", "[facade]") {
  auto a = startServer(localOptions());
  auto b = startServer(localOptions());
  CHECK(a->ID() != b->ID());
  CHECK(a->Port() != b->Port());
  CHECK(a->ClientURL() == std::string("nats://127.0.0.1:").append(std::to_string(a->Port())));
  CHECK(b->ClientURL() == std::string("nats://127.0.0.1:").append(std::to_string(b->Port())));

  auto subA = gnatsd::InProcessConn::Connect(*a, {"sub-a", "", "", ""});
  auto subB = gnatsd::InProcessConn::Connect(*b);
  REQUIRE(!subA->Subscribe("foo").empty());
  REQUIRE(!subB->Subscribe("foo").empty());
  auto pubA = gnatsd::InProcessConn::Connect(*a);
  REQUIRE(pubA->Publish("foo", "for a"));
  CHECK(drainData(*subA, 1) == std::vector<std::string>{"for a"});
  // Not clustered: B's subscriber sees nothing of A.
  CHECK(subB->Drain([](const gnatsd::InProcessMsg&) {}, 50ms) == 0);
  CHECK(a->NumClients() == 2);
  CHECK(b->NumClients() == 1);
  CHECK(a->NumSubscriptions() == 1);
  CHECK(a->NumRoutes() == 0);

  // One's shutdown leaves the other serving.
  b->Shutdown();
  CHECK(subB->IsClosed());
  subB.reset();
  REQUIRE(pubA->Publish("foo", "still"));
  CHECK(drainData(*subA, 1) == std::vector<std::string>{"still"});
  subA.reset();
  pubA.reset();
  a->Shutdown();
  CHECK(a->ClientURL().empty() == false);  // the port it had is still named
}

TEST_CASE("TestFacadeLoggerHook", "[facade]") {
  gnatsd::Options o = localOptions();
  o.NoLog = false;
  auto logA = std::make_shared<recordingLogger>();
  auto logB = std::make_shared<recordingLogger>();
  o.Debug = true;
  auto a = startServer(o, logA);
  o.Debug = false;
  auto b = startServer(o, logB);
  // Each server's lines reach its own hook.
  const std::string listening = "Listening for client connections on 127.0.0.1:";
  CHECK(logA->has(gnatsd::LogLevel::Notice, listening + std::to_string(a->Port())));
  CHECK(logB->has(gnatsd::LogLevel::Notice, listening + std::to_string(b->Port())));
  CHECK_FALSE(logA->has(gnatsd::LogLevel::Notice, listening + std::to_string(b->Port())));
  CHECK(logA->has(gnatsd::LogLevel::Notice, "Server is ready"));
  // Debug lines only where Debug is on.
  CHECK(logA->has(gnatsd::LogLevel::Debug, "Server id is " + a->ID()));
  CHECK(logB->count(gnatsd::LogLevel::Debug) == 0);
  // A client's life is logged at debug level.
  auto c = gnatsd::InProcessConn::Connect(*a);
  c->Close();
  CHECK(eventually([&] { return logA->has(gnatsd::LogLevel::Debug, "Client connection closed"); }));
  a->Shutdown();
  CHECK(logA->has(gnatsd::LogLevel::Notice, "Server Exiting.."));
}

TEST_CASE("TestFacadeVarz", "[facade]") {
  auto s = startServer(localOptions());
  auto v0 = s->Varz();
  CHECK(v0.ServerID == s->ID());
  CHECK(v0.Version == "1.0.0");
  CHECK(v0.Port == s->Port());
  CHECK(v0.MaxPayload == 1024 * 1024);
  CHECK(v0.Connections == 0);
  CHECK(v0.Cores > 0);
  CHECK(v0.Mem > 0);
  CHECK(v0.Now >= v0.Start);
  CHECK(!v0.Uptime.empty());

  auto sub = gnatsd::InProcessConn::Connect(*s);
  auto pub = gnatsd::InProcessConn::Connect(*s);
  REQUIRE(!sub->Subscribe("v.*").empty());
  for (int i = 0; i < 3; ++i) REQUIRE(pub->Publish("v.x", "1234"));
  REQUIRE(drainData(*sub, 3).size() == 3);
  auto v = s->Varz();
  CHECK(v.Connections == 2);
  CHECK(v.TotalConnections == 2);
  CHECK(v.Subscriptions == 1);
  CHECK(v.InMsgs == 3);
  CHECK(v.OutMsgs == 3);
  CHECK(v.InBytes == 12);
  CHECK(v.OutBytes == 12);
  CHECK(v.SlowConsumers == 0);
  CHECK(v.Routes == 0);
  sub->Close();
  CHECK(eventually([&] {
    auto z = s->Varz();
    return z.Connections == 1 && z.Subscriptions == 0;
  }));
}

TEST_CASE("TestFacadeRequestReply", "[facade]") {
  auto s = startServer(localOptions());
  auto responder = gnatsd::InProcessConn::Connect(*s);
  REQUIRE(!responder->Subscribe("svc").empty());
  std::atomic<bool> stop{false};
  std::thread t([&] {
    while (!stop.load()) {
      responder->Drain(
          [&](const gnatsd::InProcessMsg& m) { responder->Publish(m.reply, std::string("re: ").append(m.data)); },
          20ms);
    }
  });
  auto client = gnatsd::InProcessConn::Connect(*s);
  auto reply = client->Request("svc", "hi", 5s);
  CHECK(reply == std::optional<std::string>("re: hi"));
  CHECK_FALSE(client->Request("nobody", "hi", 50ms).has_value());
  stop.store(true);
  t.join();
}

TEST_CASE("TestFacadeAuthorizationInCode", "[facade]") {
  gnatsd::Options o = localOptions();
  o.Users = {{"admin", "s3cret", std::nullopt}, {"reader", "pw", gnatsd::UserPermissions{{}, {"news.*"}}}};
  auto s = startServer(o);
  CHECK_THROWS_WITH(gnatsd::InProcessConn::Connect(*s), "Authorization Violation");
  auto admin = gnatsd::InProcessConn::Connect(*s, {"", "admin", "s3cret", ""});
  auto reader = gnatsd::InProcessConn::Connect(*s, {"", "reader", "pw", ""});
  CHECK(reader->Subscribe("secret.x").empty());
  CHECK(reader->LastError() == "Permissions Violation for Subscription to \"secret.x\"");
  REQUIRE(!reader->Subscribe("news.today").empty());
  REQUIRE(admin->Publish("news.today", "headline"));
  CHECK(drainData(*reader, 1) == std::vector<std::string>{"headline"});
}

TEST_CASE("TestFacadeOptionsInvalid", "[facade]") {
  gnatsd::Options o = localOptions();
  o.Port = 99999;
  try {
    gnatsd::Server::New(o);
    FAIL("no ConfigError");
  } catch (const gnatsd::ConfigError& e) {
    CHECK(std::string(e.what()) == "Value of Options.Port is out of range: 99999 (must be between -1 and 65535)");
    CHECK(e.Line() == 0);
  }
  o = localOptions();
  o.TLS.emplace();
  o.TLS->CertFile = "./nonexistent-cert.pem";
  o.TLS->KeyFile = "./nonexistent-key.pem";
  CHECK_THROWS_AS(gnatsd::Server::New(o), gnatsd::ConfigError);
  // Options built in code have no file to reload.
  auto s = startServer(localOptions());
  CHECK_THROWS_WITH(s->Reload(), "Can only reload config when a file is provided using -c or --config");
  CHECK(localOptions().ConfigFile().empty());
}

TEST_CASE("TestFacadeOptionsFromFile", "[facade]") {
  auto text = [](int maxPayload, const char* user) {
    return std::string("host: 127.0.0.1\nport: -1\nmax_payload: ")
        .append(std::to_string(maxPayload))
        .append("\nmax_control_line: 512\nauthorization {\n  user: ")
        .append(user)
        .append("\n  password: pw\n}\n");
  };
  tempConfig conf(text(1000, "alice"));
  gnatsd::Options o = gnatsd::Options::FromFile(conf.path());
  CHECK(o.ConfigFile() == conf.path());
  CHECK(o.Host == "127.0.0.1");
  CHECK(o.Port == gnatsd::RANDOM_PORT);
  CHECK(o.MaxPayload == 1000);
  CHECK(o.MaxControlLine == 512);
  CHECK(o.Username == "alice");
  // Set in code over the file: wins now and after every Reload.
  o.MaxPayload = 1500;
  o.NoLog = true;
  auto s = startServer(o);
  CHECK(s->Varz().MaxPayload == 1500);
  CHECK_THROWS_WITH(gnatsd::InProcessConn::Connect(*s), "Authorization Violation");
  {
    auto c = gnatsd::InProcessConn::Connect(*s, {"", "alice", "pw", ""});
    CHECK(c->Publish("fits", std::string(1500, 'x')));
    CHECK_FALSE(c->Publish("big", std::string(1501, 'x')));
    CHECK(c->LastError() == "Maximum Payload Violation");
  }

  // The file changes: Reload applies what the file says (another user),
  // except the field set in code (max_payload stays 1500).
  conf.write(text(2000, "bob"));
  const auto before = s->Varz().ConfigLoadTime;
  s->Reload();
  CHECK(s->Varz().MaxPayload == 1500);
  CHECK(s->Varz().ConfigLoadTime >= before);
  CHECK_THROWS_WITH(gnatsd::InProcessConn::Connect(*s, {"", "alice", "pw", ""}), "Authorization Violation");
  CHECK(gnatsd::InProcessConn::Connect(*s, {"", "bob", "pw", ""})->CID() > 0);

  // A file that does not parse changes nothing, and says where it broke.
  conf.write("host: 127.0.0.1\nport: -1\nauthorization {\n  user: carol\n  password = \n}\n");
  try {
    s->Reload();
    FAIL("no ConfigError");
  } catch (const gnatsd::ConfigError& e) {
    CHECK(e.File() == conf.path());
    CHECK(e.Line() > 0);
    CHECK(std::string(e.what()).rfind(conf.path() + ":", 0) == 0);
  }
  CHECK(gnatsd::InProcessConn::Connect(*s, {"", "bob", "pw", ""})->CID() > 0);
}

TEST_CASE("TestFacadeConfigErrorPosition", "[facade]") {
  tempConfig conf("port: 4222\nmax_payload: \"many\"\n");
  try {
    gnatsd::Options::FromFile(conf.path());
    FAIL("no ConfigError");
  } catch (const gnatsd::ConfigError& e) {
    CHECK(e.File() == conf.path());
    CHECK(e.Line() == 2);
    CHECK(e.Column() > 0);
    CHECK(std::string(e.what()) == conf.path() + ":2:" + std::to_string(e.Column()) + ": " + e.Message());
  }
  CHECK_THROWS_AS(gnatsd::Options::FromFile("/nonexistent/gnatsd.conf"), gnatsd::ConfigError);
}
