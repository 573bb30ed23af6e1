// Go: server/auth.go (gnatsd v1.0.0)
// Password and token checks (plain or bcrypt) and the helpers mkpasswd needs.
#include "server/auth.h"

#include "server/client.h"
#include "server/server.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace gnatsd::server {

namespace {

// Scratch space for crypt_r. struct crypt_data is ~32 KiB, too big to put
// casually on our 256 KiB thread stacks, so it lives on the heap, zeroed as
// libcrypt requires before first use. It ends up holding state derived from
// the password, hence the wipe.
class CryptScratch {
 public:
  CryptScratch() : d_(std::make_unique<crypt_data>()) {}
  ~CryptScratch() { OPENSSL_cleanse(d_.get(), sizeof *d_); }
  CryptScratch(const CryptScratch&) = delete;
  CryptScratch& operator=(const CryptScratch&) = delete;
  crypt_data* get() { return d_.get(); }

 private:
  std::unique_ptr<crypt_data> d_;
};

// libcrypt reports a bad setting either with a null pointer or with a string
// starting with '*' ("*0" / "*1"), which no real hash does.
bool cryptFailed(const char* out) { return out == nullptr || out[0] == '*'; }

// Equal lengths and equal bytes, without an early exit on the first
// difference. Only the length comparison can be told apart by timing.
bool constantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

constexpr int kMinBcryptCost = 4;
constexpr int kMaxBcryptCost = 31;
constexpr std::size_t kPasswordLength = 22;
constexpr std::string_view kPasswordAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@$#%^&*()";

// Fills buf from the kernel CSPRNG, riding out EINTR and short reads.
void fillRandom(unsigned char* buf, std::size_t n) {
  while (n > 0) {
    ssize_t got = ::getrandom(buf, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    buf += got;
    n -= static_cast<std::size_t>(got);
  }
}

}  // namespace

bool isBcrypt(std::string_view password) {
  // "$2a$" is what gnatsd 1.0.0 checks; "$2b$" and "$2y$" are the same
  // algorithm under the names OpenBSD and PHP later gave it (see the header).
  return password.starts_with("$2a$") || password.starts_with("$2b$") ||
         password.starts_with("$2y$");
}

bool comparePasswords(std::string_view serverPassword, std::string_view clientPassword) {
  if (!isBcrypt(serverPassword)) return constantTimeEqual(serverPassword, clientPassword);

  // crypt_r takes C strings. A NUL inside what the client sent would cut the
  // phrase short there, so "secret\0anything" would pass for "secret".
  if (clientPassword.find('\0') != std::string_view::npos) return false;
  const std::string phrase(clientPassword);
  const std::string setting(serverPassword);
  CryptScratch data;
  const char* out = ::crypt_r(phrase.c_str(), setting.c_str(), data.get());
  if (cryptFailed(out)) return false;
  // The result repeats the setting's prefix, cost and salt, so it must equal
  // the whole configured hash; trailing junk in the config never matches.
  return constantTimeEqual(out, serverPassword);
}

std::string GenerateBcryptHash(std::string_view password, int cost) {
  if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
    throw std::invalid_argument("bcrypt cost " + std::to_string(cost) + " is outside the range " +
                                std::to_string(kMinBcryptCost) + "-" +
                                std::to_string(kMaxBcryptCost));
  }
  if (password.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("bcrypt password must not contain a NUL byte");
  }

  // A null random buffer makes libxcrypt draw the salt from the OS itself.
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  errno = 0;
  if (::crypt_gensalt_rn("$2a$", static_cast<unsigned long>(cost), nullptr, 0, setting.data(),
                         static_cast<int>(setting.size())) == nullptr) {
    throw std::system_error(errno != 0 ? errno : EINVAL, std::generic_category(),
                            "crypt_gensalt_rn");
  }

  const std::string phrase(password);
  CryptScratch data;
  errno = 0;
  const char* out = ::crypt_r(phrase.c_str(), setting.data(), data.get());
  if (cryptFailed(out)) {
    throw std::system_error(errno != 0 ? errno : EINVAL, std::generic_category(), "crypt_r");
  }
  return std::string(out);
}

std::string GenerateRandomPassword() {
  // 256 is not a multiple of the alphabet size (72), so bytes at or above the
  // largest multiple are thrown away; plain `b % 72` would favour the first
  // 40 characters.
  constexpr std::size_t kLimit = 256 - 256 % kPasswordAlphabet.size();
  std::string pw;
  pw.reserve(kPasswordLength);
  std::array<unsigned char, 64> buf{};
  while (pw.size() < kPasswordLength) {
    fillRandom(buf.data(), buf.size());
    for (unsigned char b : buf) {
      if (b >= kLimit) continue;
      pw.push_back(kPasswordAlphabet[b % kPasswordAlphabet.size()]);
      if (pw.size() == kPasswordLength) break;
    }
  }
  OPENSSL_cleanse(buf.data(), buf.size());
  return pw;
}

// --- the server side of authentication ---------------------------------------

void Server::configureAuthorization() {
  auto opts = getOpts();
  users_.clear();
  if (opts->Users) {
    for (const auto& u : *opts->Users) users_[u.Username] = u;
    infoState_.AuthRequired = true;
  } else if (!opts->Username.empty() || !opts->Authorization.empty()) {
    infoState_.AuthRequired = true;
  } else {
    infoState_.AuthRequired = false;
  }
}

bool Server::checkAuthorization(client& c) {
  switch (c.typ()) {
    case CLIENT:
      return isClientAuthorized(c);
    case ROUTER:
      return isRouterAuthorized(c);
  }
  return false;
}

bool Server::isRouterAuthorized(client& c) {
  auto opts = getOpts();
  if (opts->Cluster.Username.empty()) return true;
  clientOpts co = c.GetOpts();
  if (opts->Cluster.Username != co.Username) return false;
  return comparePasswords(opts->Cluster.Password, co.Password);
}

bool Server::isClientAuthorized(client& c) {
  auto opts = getOpts();
  clientOpts co = c.GetOpts();
  if (opts->Users) {
    User user;
    {
      MutexLock l(mu_);
      auto it = users_.find(co.Username);
      if (it == users_.end()) return false;
      user = it->second;
    }
    if (!comparePasswords(user.Password, co.Password)) return false;
    c.RegisterUser(user);
    return true;
  }
  if (!opts->Authorization.empty()) return comparePasswords(opts->Authorization, co.Authorization);
  if (!opts->Username.empty()) {
    if (opts->Username != co.Username) return false;
    return comparePasswords(opts->Password, co.Password);
  }
  return true;
}

}  // namespace gnatsd::server
