// Go: server/auth_test.go
// User/Permissions deep copies, plus the password helpers of server/auth.h:
// bcrypt and plain comparison, hash and password generation, the mkpasswd tool.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/auth.h"
#include "server/auth_types.h"

using namespace gnatsd::server;

namespace {

// Hashes and their passwords from gnatsd's test/auth_test.go and
// test/client_auth_test.go, made by Go's bcrypt.
constexpr std::string_view BCRYPT_AUTH_PASS = "IW@$6v(y1(t@fhPDvf!5^%";
constexpr std::string_view BCRYPT_AUTH_HASH =
    "$2a$04$Q.CgCP2Sl9pkcTXEZHazaeMwPaAkSHk7AI51HkyMt5iJQQyUA4qxq";
constexpr std::string_view BCRYPT_AUTH_TOKEN = "0uhJOSr3GW7xvHvtd^K6pa";
constexpr std::string_view BCRYPT_AUTH_TOKEN_HASH =
    "$2a$04$u5ZClXpcjHgpfc61Ee0VKuwI1K3vTC4zq7SjphjnlHMeb1Llkb5Y6";
constexpr std::string_view testToken = "$2a$05$3sSWEVA1eMCbV0hWavDjXOx.ClBjI6u1CuUdLqf22cbJjXsnzz8/.";

constexpr std::string_view kPasswordAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@$#%^&*()";

// The same hash under another bcrypt version tag ("$2b$", "$2y$", ...).
std::string withPrefix(std::string_view hash, std::string_view prefix) {
  return std::string(prefix) + std::string(hash.substr(4));
}

}  // namespace

// --- Go: server/auth_test.go --------------------------------------------------

TEST_CASE("TestUserCloneNilPermissions", "[auth]") {
  User user{"foo", "bar", nullptr};
  User clone = user.clone();
  REQUIRE(clone == user);

  clone.Password = "baz";
  REQUIRE_FALSE(clone == user);
  REQUIRE(user.Password == "bar");
}

TEST_CASE("TestUserClone", "[auth]") {
  User user{"foo", "bar", std::make_shared<Permissions>(Permissions{{"foo"}, {"bar"}})};
  User clone = user.clone();
  REQUIRE(clone == user);
  REQUIRE(clone.Permissions != user.Permissions);  // a new object, not a shared one

  clone.Permissions->Subscribe = {"baz"};
  REQUIRE_FALSE(clone == user);
  REQUIRE(user.Permissions->Subscribe == std::vector<std::string>{"bar"});

  clone.Permissions->Publish.push_back("more");
  REQUIRE(user.Permissions->Publish == std::vector<std::string>{"foo"});
}

TEST_CASE("TestUserClonePermissionsNoLists", "[auth]") {
  // Go checks that nil lists stay nil; an empty vector is our nil.
  User user{"foo", "bar", std::make_shared<Permissions>()};
  User clone = user.clone();
  REQUIRE(clone.Permissions != nullptr);
  REQUIRE(clone.Permissions != user.Permissions);
  REQUIRE(clone.Permissions->Publish.empty());
  REQUIRE(clone.Permissions->Subscribe.empty());
}

TEST_CASE("TestUserCloneNoPermissions", "[auth]") {
  User user{"foo", "bar", nullptr};
  User clone = user.clone();
  REQUIRE(clone.Permissions == nullptr);
}

// TestUserCloneNil has no counterpart: clone() is called on a value here,
// never through a pointer that could be null.

// --- C++ only: the password helpers ------------------------------------------

TEST_CASE("isBcrypt", "[auth]") {
  CHECK(isBcrypt(BCRYPT_AUTH_HASH));
  CHECK(isBcrypt("$2a$"));
  CHECK(isBcrypt(withPrefix(BCRYPT_AUTH_HASH, "$2b$")));
  CHECK(isBcrypt(withPrefix(BCRYPT_AUTH_HASH, "$2y$")));
  CHECK_FALSE(isBcrypt(withPrefix(BCRYPT_AUTH_HASH, "$2x$")));  // the buggy variant: plain text
  CHECK_FALSE(isBcrypt("$2a"));
  CHECK_FALSE(isBcrypt(""));
  CHECK_FALSE(isBcrypt("password"));
  CHECK_FALSE(isBcrypt("$1$salt$hash"));
}

TEST_CASE("comparePasswords accepts the bcrypt hashes of gnatsd's tests", "[auth]") {
  CHECK(comparePasswords(BCRYPT_AUTH_HASH, BCRYPT_AUTH_PASS));
  CHECK(comparePasswords(BCRYPT_AUTH_TOKEN_HASH, BCRYPT_AUTH_TOKEN));
  CHECK(comparePasswords(testToken, "test"));
}

TEST_CASE("comparePasswords rejects wrong passwords for a bcrypt hash", "[auth]") {
  // TestBadBcryptPassword / TestBadBcryptToken send the hash itself.
  CHECK_FALSE(comparePasswords(BCRYPT_AUTH_HASH, BCRYPT_AUTH_HASH));
  CHECK_FALSE(comparePasswords(BCRYPT_AUTH_TOKEN_HASH, BCRYPT_AUTH_TOKEN_HASH));
  CHECK_FALSE(comparePasswords(BCRYPT_AUTH_HASH, BCRYPT_AUTH_TOKEN));
  CHECK_FALSE(comparePasswords(BCRYPT_AUTH_HASH, ""));
  CHECK_FALSE(comparePasswords(testToken, "Test"));
  CHECK_FALSE(comparePasswords(testToken, "test "));
  CHECK_FALSE(comparePasswords(testToken, "tes"));
  // crypt(3) stops at a NUL; what follows must not be ignored.
  CHECK_FALSE(comparePasswords(testToken, std::string("test\0junk", 9)));
}

TEST_CASE("comparePasswords accepts the $2b$ and $2y$ forms", "[auth]") {
  // For passwords under 256 bytes the three tags hash alike, so the same
  // salt and digest verify under each of them.
  for (std::string_view prefix : {"$2b$", "$2y$"}) {
    INFO(prefix);
    CHECK(comparePasswords(withPrefix(BCRYPT_AUTH_HASH, prefix), BCRYPT_AUTH_PASS));
    CHECK(comparePasswords(withPrefix(testToken, prefix), "test"));
    CHECK_FALSE(comparePasswords(withPrefix(testToken, prefix), "nope"));
  }
}

TEST_CASE("comparePasswords never matches a malformed bcrypt hash", "[auth]") {
  const std::string hash(BCRYPT_AUTH_HASH);
  CHECK_FALSE(comparePasswords("$2a$", ""));
  CHECK_FALSE(comparePasswords("$2a$", "$2a$"));
  CHECK_FALSE(comparePasswords("$2a$04$", ""));
  CHECK_FALSE(comparePasswords(hash.substr(0, 29), BCRYPT_AUTH_PASS));  // setting only
  CHECK_FALSE(comparePasswords(hash.substr(0, 50), BCRYPT_AUTH_PASS));  // truncated digest
  CHECK_FALSE(comparePasswords(hash + "x", BCRYPT_AUTH_PASS));          // trailing junk
  CHECK_FALSE(comparePasswords("$2a$99" + hash.substr(6), BCRYPT_AUTH_PASS));  // bad cost
  CHECK_FALSE(comparePasswords("$2a$03" + hash.substr(6), BCRYPT_AUTH_PASS));
  CHECK_FALSE(comparePasswords("$2a$04$!!!!" + hash.substr(11), BCRYPT_AUTH_PASS));  // bad salt
}

TEST_CASE("comparePasswords compares plain passwords exactly", "[auth]") {
  CHECK(comparePasswords("s3cr3t", "s3cr3t"));
  CHECK(comparePasswords("", ""));
  CHECK_FALSE(comparePasswords("s3cr3t", "s3cr3T"));
  CHECK_FALSE(comparePasswords("s3cr3t", "s3cr3"));
  CHECK_FALSE(comparePasswords("s3cr3t", "s3cr3tt"));
  CHECK_FALSE(comparePasswords("s3cr3t", ""));
  CHECK_FALSE(comparePasswords("", "s3cr3t"));
  CHECK(comparePasswords(std::string("a\0b", 3), std::string("a\0b", 3)));
  CHECK_FALSE(comparePasswords(std::string("a\0b", 3), std::string("a\0c", 3)));
  // Not a tag we treat as bcrypt: the hash text itself is the password.
  const std::string x = withPrefix(testToken, "$2x$");
  CHECK(comparePasswords(x, x));
  CHECK_FALSE(comparePasswords(x, "test"));
}

TEST_CASE("GenerateBcryptHash makes $2a$ hashes that verify", "[auth]") {
  const std::string pw = "IW@$6v(y1(t@fhPDvf!5^%";
  const std::string hash = GenerateBcryptHash(pw, 11);
  CHECK(hash.starts_with("$2a$11$"));
  CHECK(hash.size() == 60);
  CHECK(isBcrypt(hash));
  CHECK(comparePasswords(hash, pw));
  CHECK_FALSE(comparePasswords(hash, pw + "x"));

  // A fresh salt each time.
  const std::string a = GenerateBcryptHash(pw, 4);
  const std::string b = GenerateBcryptHash(pw, 4);
  CHECK(a.starts_with("$2a$04$"));
  CHECK(a != b);
  CHECK(comparePasswords(a, pw));
  CHECK(comparePasswords(b, pw));

  CHECK(comparePasswords(GenerateBcryptHash("", 4), ""));
}

TEST_CASE("GenerateBcryptHash refuses a cost outside 4..31", "[auth]") {
  for (int cost : {-1, 0, 3, 32, 100}) {
    INFO("cost " << cost);
    CHECK_THROWS_AS(GenerateBcryptHash("pw", cost), std::invalid_argument);
  }
  CHECK_THROWS_WITH(GenerateBcryptHash("pw", 3), Catch::Contains("cost 3"));
  CHECK_THROWS_AS(GenerateBcryptHash(std::string("a\0b", 3), 4), std::invalid_argument);
}

TEST_CASE("GenerateRandomPassword draws 22 characters from mkpasswd's alphabet", "[auth]") {
  std::set<char> seen;
  std::set<std::string> passwords;
  for (int i = 0; i < 2000; ++i) {
    const std::string pw = GenerateRandomPassword();
    REQUIRE(pw.size() == 22);
    for (char c : pw) {
      REQUIRE(kPasswordAlphabet.find(c) != std::string_view::npos);
      seen.insert(c);
    }
    passwords.insert(pw);
  }
  CHECK(passwords.size() == 2000);
  // 44,000 draws over 72 characters, ~611 each: every one shows up, the
  // last ones included, unless the index arithmetic is off.
  CHECK(seen.size() == kPasswordAlphabet.size());
}

#ifdef GNATSD_BINARY_DIR
TEST_CASE("mkpasswd -p hashes a password read from stdin", "[auth][mkpasswd]") {
  const std::string password = "p1ped-Pa55word";
  const std::string cmd = "printf '%s\\n' '" + password + "' | '" GNATSD_BINARY_DIR
                          "/mkpasswd' -p -c 6 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = ::pclose(p);
  INFO("output: " << out);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  constexpr std::string_view kTag = "bcrypt hash: ";
  const auto at = out.find(kTag);
  REQUIRE(at != std::string::npos);
  std::string hash = out.substr(at + kTag.size());
  hash = hash.substr(0, hash.find('\n'));
  CHECK(hash.starts_with("$2a$06$"));
  CHECK(comparePasswords(hash, password));
  CHECK_FALSE(comparePasswords(hash, password + "x"));
}
#endif
