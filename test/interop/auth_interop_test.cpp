// Go: test/client_auth_test.go
// Authentication and permissions seen through the NATS C client (libnats):
// users list, token, user/password, bcrypt hashes made by our mkpasswd, and
// the asynchronous error a client gets for a forbidden publish.
// nats_CloseAndWait runs once at the end of the run: cnats_test.cpp registers
// the listener for the whole interop_tests binary.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <nats/nats.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "test/helpers/test_server.h"
#include "test/interop/nats_handles.h"
#include "test/interop/nats_connect.h"

namespace {

using namespace gnatsd::test;
using gnatsd::server::Permissions;
using gnatsd::server::User;

using namespace gnatsd::test::interop;

// The server refuses the credentials: libnats turns the server's
// -ERR 'Authorization Violation' into NATS_CONNECTION_AUTH_FAILED.
void expectAuthFailure(natsOptions* opts) {
  natsStatus st = NATS_OK;
  ConnPtr nc = tryConnect(opts, &st);
  INFO("natsConnection_Connect: " << natsStatus_GetText(st) << " (" << nats_GetLastError(nullptr) << ")");
  REQUIRE(nc == nullptr);
  REQUIRE(st == NATS_CONNECTION_AUTH_FAILED);
}

ConnPtr connectUserPass(int port, const std::string& user, const std::string& pass) {
  OptsPtr opts = optionsFor(natsURL(port));
  REQUIRE(natsOptions_SetUserInfo(opts.get(), user.c_str(), pass.c_str()) == NATS_OK);
  return expectConnect(opts.get());
}

void expectUserPassRefused(int port, const std::string& user, const std::string& pass) {
  OptsPtr opts = optionsFor(natsURL(port));
  REQUIRE(natsOptions_SetUserInfo(opts.get(), user.c_str(), pass.c_str()) == NATS_OK);
  expectAuthFailure(opts.get());
}

// A round trip through the server proves the connection is really usable.
void expectPubSubWorks(natsConnection* nc, const char* subject) {
  natsSubscription* sub = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&sub, nc, subject) == NATS_OK);
  SubPtr owned(sub);
  REQUIRE(natsConnection_PublishString(nc, subject, "hello") == NATS_OK);
  natsMsg* m = nullptr;
  REQUIRE(natsSubscription_NextMsg(&m, sub, 2000) == NATS_OK);
  MsgPtr msg(m);
  REQUIRE(std::string(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))) == "hello");
}

// What the asynchronous error handler saw.
struct AsyncErrors {
  std::mutex mu;
  std::vector<std::pair<natsStatus, std::string>> seen;
  std::atomic<int> count{0};
};

void onAsyncError(natsConnection* nc, natsSubscription*, natsStatus err, void* closure) {
  auto* errs = static_cast<AsyncErrors*>(closure);
  const char* text = nullptr;
  natsConnection_GetLastError(nc, &text);
  {
    std::lock_guard<std::mutex> l(errs->mu);
    errs->seen.emplace_back(err, text != nullptr ? text : "");
  }
  errs->count.fetch_add(1);
}

// Runs the mkpasswd we built on `password` (piped on stdin, so no prompt) and
// returns the hash from its "bcrypt hash: ..." line.
std::string mkpasswdHash(const std::string& password, int cost) {
  // Keep the shell out of the password: only characters it leaves alone.
  REQUIRE(password.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
          std::string::npos);
  const std::string bin = GNATSD_BINARY_DIR "/mkpasswd";
  REQUIRE(::access(bin.c_str(), X_OK) == 0);
  const std::string cmd = "printf '%s\\n' '" + password + "' | '" + bin + "' -p -c " + std::to_string(cost);
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[256];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  INFO("mkpasswd output: " << out);
  REQUIRE(status == 0);
  const std::string prefix = "bcrypt hash: ";
  size_t at = out.find(prefix);
  REQUIRE(at != std::string::npos);
  size_t end = out.find('\n', at);
  REQUIRE(end != std::string::npos);
  return out.substr(at + prefix.size(), end - at - prefix.size());
}

}  // namespace

TEST_CASE("TestMultipleUserAuth", "[interop][auth]") {
  Options opts = LoadConfig(GNATSD_SOURCE_DIR "/test/configs/multi_user.conf");
  REQUIRE(opts.Users != nullptr);
  REQUIRE(opts.Users->size() == 2);
  // Random ports instead of the file's fixed ones; no monitor needed.
  opts.Port = gnatsd::server::RANDOM_PORT;
  opts.HTTPPort = 0;
  auto s = RunServer(opts);

  const User& u0 = (*opts.Users)[0];
  const User& u1 = (*opts.Users)[1];
  // Credentials in the URL, as the Go test does.
  auto urlFor = [&](const User& u) {
    return "nats://" + u.Username + ":" + u.Password + "@127.0.0.1:" + std::to_string(s->Port()) + "/";
  };
  natsConnection* raw = nullptr;
  REQUIRE(natsConnection_ConnectTo(&raw, urlFor(u0).c_str()) == NATS_OK);
  ConnPtr nc0(raw);
  raw = nullptr;
  REQUIRE(natsConnection_ConnectTo(&raw, urlFor(u1).c_str()) == NATS_OK);
  ConnPtr nc1(raw);
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 2; }));
  expectPubSubWorks(nc0.get(), "alice.check");
  expectPubSubWorks(nc1.get(), "bob.check");

  // Each password belongs to its own user only.
  expectUserPassRefused(s->Port(), u0.Username, u1.Password);
  expectUserPassRefused(s->Port(), "carol", u0.Password);
}

TEST_CASE("TestTokenInConfig", "[interop][auth]") {
  // bcrypt of "test" at cost 5, from gnatsd's test.
  const std::string testToken = "$2a$05$3sSWEVA1eMCbV0hWavDjXOx.ClBjI6u1CuUdLqf22cbJjXsnzz8/.";
  char dirTmpl[] = "/tmp/gnatsd-authinterop-XXXXXX";
  REQUIRE(::mkdtemp(dirTmpl) != nullptr);
  const std::filesystem::path dir = dirTmpl;
  const std::filesystem::path conf = dir / "test.conf";
  {
    std::ofstream f(conf);
    f << "listen: 127.0.0.1:4567\n"
         "authorization={\n"
         "  token: " << testToken << "\n"
         "  timeout: 5\n"
         "}\n";
  }
  Options opts = LoadConfig(conf.string());
  std::filesystem::remove_all(dir);
  REQUIRE(opts.Authorization == testToken);
  REQUIRE(opts.AuthTimeout == 5);
  opts.Port = gnatsd::server::RANDOM_PORT;
  auto s = RunServer(opts);

  // A URL with only a user part carries a token.
  natsConnection* raw = nullptr;
  std::string url = "nats://test@127.0.0.1:" + std::to_string(s->Port()) + "/";
  REQUIRE(natsConnection_ConnectTo(&raw, url.c_str()) == NATS_OK);
  ConnPtr nc(raw);
  expectPubSubWorks(nc.get(), "token.check");

  OptsPtr bad = optionsFor(natsURL(s->Port()));
  REQUIRE(natsOptions_SetToken(bad.get(), "tset") == NATS_OK);
  expectAuthFailure(bad.get());
}

TEST_CASE("CNatsUserPassAuth", "[interop][auth]") {
  Options o = DefaultTestOptions();
  o.Username = "derek";
  o.Password = "foobar";
  auto s = RunServer(o);

  ConnPtr nc = connectUserPass(s->Port(), "derek", "foobar");
  expectPubSubWorks(nc.get(), "userpass.check");

  expectUserPassRefused(s->Port(), "derek", "foobaz");
  expectUserPassRefused(s->Port(), "derekzz", "foobar");
  // No credentials at all.
  OptsPtr none = optionsFor(natsURL(s->Port()));
  expectAuthFailure(none.get());
  REQUIRE(checkFor(2s, 10ms, [&] { return s->NumClients() == 1; }));
}

TEST_CASE("CNatsTokenAuth", "[interop][auth]") {
  Options o = DefaultTestOptions();
  o.Authorization = "_YZZ22_";
  auto s = RunServer(o);

  OptsPtr good = optionsFor(natsURL(s->Port()));
  REQUIRE(natsOptions_SetToken(good.get(), "_YZZ22_") == NATS_OK);
  ConnPtr nc = expectConnect(good.get());
  expectPubSubWorks(nc.get(), "token.check");

  OptsPtr bad = optionsFor(natsURL(s->Port()));
  REQUIRE(natsOptions_SetToken(bad.get(), "ZZZ") == NATS_OK);
  expectAuthFailure(bad.get());

  // A user/password is no token.
  OptsPtr wrongKind = optionsFor(natsURL(s->Port()));
  REQUIRE(natsOptions_SetUserInfo(wrongKind.get(), "_YZZ22_", "_YZZ22_") == NATS_OK);
  expectAuthFailure(wrongKind.get());
}

TEST_CASE("CNatsPublishPermissionViolation", "[interop][auth]") {
  Options o = DefaultTestOptions();
  o.Users = std::make_shared<std::vector<User>>();
  auto onlyFoo = std::make_shared<Permissions>();
  onlyFoo->Publish = {"foo"};
  o.Users->push_back({"pubfoo", "pass1", onlyFoo});
  o.Users->push_back({"admin", "pass2", nullptr});
  auto s = RunServer(o);

  ConnPtr admin = connectUserPass(s->Port(), "admin", "pass2");
  natsSubscription* raw = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&raw, admin.get(), "bar") == NATS_OK);
  SubPtr barSub(raw);
  raw = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&raw, admin.get(), "foo") == NATS_OK);
  SubPtr fooSub(raw);
  REQUIRE(natsConnection_FlushTimeout(admin.get(), 2000) == NATS_OK);

  AsyncErrors errs;
  OptsPtr opts = optionsFor(natsURL(s->Port()));
  REQUIRE(natsOptions_SetUserInfo(opts.get(), "pubfoo", "pass1") == NATS_OK);
  REQUIRE(natsOptions_SetErrorHandler(opts.get(), onAsyncError, &errs) == NATS_OK);
  ConnPtr pub = expectConnect(opts.get());

  REQUIRE(natsConnection_PublishString(pub.get(), "bar", "forbidden") == NATS_OK);
  REQUIRE(natsConnection_PublishString(pub.get(), "foo", "allowed") == NATS_OK);
  REQUIRE(natsConnection_FlushTimeout(pub.get(), 2000) == NATS_OK);

  REQUIRE(checkFor(2s, 10ms, [&] { return errs.count.load() >= 1; }));
  {
    std::lock_guard<std::mutex> l(errs.mu);
    REQUIRE(errs.seen.size() == 1);
    CHECK(errs.seen[0].first == NATS_NOT_PERMITTED);
    CHECK(errs.seen[0].second == "Permissions Violation for Publish to \"bar\"");
  }

  // "foo" went out after "bar": once it has arrived, "bar" would have too.
  natsMsg* m = nullptr;
  REQUIRE(natsSubscription_NextMsg(&m, fooSub.get(), 2000) == NATS_OK);
  MsgPtr fooMsg(m);
  m = nullptr;
  CHECK(natsSubscription_NextMsg(&m, barSub.get(), 100) == NATS_TIMEOUT);
  MsgPtr barMsg(m);

  // The violation cost the publisher nothing but the message.
  CHECK(natsConnection_Status(pub.get()) == NATS_CONN_STATUS_CONNECTED);
  CHECK(errs.count.load() == 1);
}

TEST_CASE("CNatsBcryptFromMkpasswd", "[interop][auth]") {
  const std::string plain = "s3cret-Pass_word";
  const std::string hash = mkpasswdHash(plain, 6);
  INFO("hash: " << hash);
  REQUIRE(hash.rfind("$2a$06$", 0) == 0);
  REQUIRE(hash.size() == 60);

  SECTION("as the password") {
    Options o = DefaultTestOptions();
    o.Username = "derek";
    o.Password = hash;
    auto s = RunServer(o);
    ConnPtr nc = connectUserPass(s->Port(), "derek", plain);
    expectPubSubWorks(nc.get(), "bcrypt.check");
    expectUserPassRefused(s->Port(), "derek", plain + "x");
    // The hash is not a password.
    expectUserPassRefused(s->Port(), "derek", hash);
  }

  SECTION("as the token") {
    Options o = DefaultTestOptions();
    o.Authorization = hash;
    auto s = RunServer(o);
    OptsPtr good = optionsFor(natsURL(s->Port()));
    REQUIRE(natsOptions_SetToken(good.get(), plain.c_str()) == NATS_OK);
    ConnPtr nc = expectConnect(good.get());
    expectPubSubWorks(nc.get(), "bcrypt.check");
    OptsPtr bad = optionsFor(natsURL(s->Port()));
    REQUIRE(natsOptions_SetToken(bad.get(), hash.c_str()) == NATS_OK);
    expectAuthFailure(bad.get());
  }
}
