// Go: util/mkpasswd.go (gnatsd v1.0.0)
// mkpasswd: makes a bcrypt hash for a gnatsd config, of a random password or
// of one typed in (-p). Flags follow Go's flag package: one or two dashes,
// "-c 10" or "-c=10", parsing stops at the first non-flag argument.
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "server/auth.h"

namespace {

constexpr int kDefaultCost = 11;
constexpr const char* kUsage = "Usage: mkpasswd [-p <stdin password>] [-c COST]\n";

struct Flags {
  bool readPassword = false;  // -p
  int cost = kDefaultCost;    // -c
};

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "%s\n%s", msg.c_str(), kUsage);
  std::exit(1);
}

[[noreturn]] void fatal(const std::string& msg) {
  std::fprintf(stderr, "%s\n", msg.c_str());
  std::exit(1);
}

// Go's strconv.ParseBool, which the flag package uses for "-p=<value>".
std::optional<bool> parseBool(std::string_view v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
    return false;
  return std::nullopt;
}

std::optional<int> parseInt(std::string_view v) {
  if (v.starts_with('+')) v.remove_prefix(1);
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

Flags parseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') break;  // first non-flag argument
    if (arg == "--") break;
    std::string_view name = arg.substr(arg[1] == '-' ? 2 : 1);
    if (name.empty() || name[0] == '-' || name[0] == '=') {
      usageError("bad flag syntax: " + std::string(arg));
    }
    std::optional<std::string_view> value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }

    if (name == "h" || name == "help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (name == "p") {
      if (!value) {
        f.readPassword = true;
      } else if (auto b = parseBool(*value)) {
        f.readPassword = *b;
      } else {
        usageError("invalid boolean value \"" + std::string(*value) + "\" for -p");
      }
    } else if (name == "c") {
      if (!value) {
        if (i + 1 >= argc) usageError("flag needs an argument: -c");
        value = argv[++i];
      }
      std::optional<int> cost = parseInt(*value);
      if (!cost) usageError("invalid value \"" + std::string(*value) + "\" for flag -c");
      // Go's bcrypt quietly uses cost 10 below 4 and fails above 31; we
      // refuse both before doing any work.
      if (*cost < 4 || *cost > 31) {
        usageError("invalid value \"" + std::string(*value) + "\" for flag -c: cost must be 4-31");
      }
      f.cost = *cost;
    } else {
      usageError("flag provided but not defined: -" + std::string(name));
    }
  }
  return f;
}

// Terminal settings to put back if a signal arrives while echo is off.
// Written before the handlers are installed, read only by them.
termios gSavedTermios;

extern "C" void restoreTerminalAndDie(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &gSavedTermios);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Turns terminal echo off for its lifetime; Ctrl-C and friends still work
// and leave the terminal as they found it.
class NoEcho {
 public:
  NoEcho() {
    if (::tcgetattr(STDIN_FILENO, &gSavedTermios) != 0) fatal("Error reading terminal settings");
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, restoreTerminalAndDie);
    termios t = gSavedTermios;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    t.c_lflag |= ECHONL;  // still move to a new line when Enter is pressed
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0) fatal("Error turning off terminal echo");
  }
  ~NoEcho() {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &gSavedTermios);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, SIG_DFL);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;
};

// One line from stdin without its line ending; nothing at end of input.
std::optional<std::string> readLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string promptPassword(const char* prompt) {
  std::fputs(prompt, stdout);
  std::fflush(stdout);
  std::optional<std::string> line;
  {
    NoEcho noEcho;  // echo must be back on before fatal(), which skips destructors
    line = readLine();
  }
  if (!line) fatal("\nError reading password: end of input");
  return *line;
}

std::string readPassword() {
  // Piped input (scripts, tests): one line, no prompts, nothing to confirm.
  if (!::isatty(STDIN_FILENO)) {
    std::optional<std::string> line = readLine();
    if (!line) fatal("Error reading password: end of input");
    return *line;
  }
  std::string pw = promptPassword("Enter Password: ");
  std::string again = promptPassword("Reenter Password: ");
  if (pw != again) fatal("Error, passwords do not match");
  return pw;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = parseFlags(argc, argv);

  std::string password;
  if (flags.readPassword) {
    password = readPassword();
  } else {
    try {
      password = gnatsd::server::GenerateRandomPassword();
    } catch (const std::exception& e) {
      fatal(std::string("Error producing random password: ") + e.what());
    }
    std::printf("pass: %s\n", password.c_str());
  }

  std::string hash;
  try {
    hash = gnatsd::server::GenerateBcryptHash(password, flags.cost);
  } catch (const std::exception& e) {
    fatal(std::string("Error producing bcrypt hash: ") + e.what());
  }
  std::printf("bcrypt hash: %s\n", hash.c_str());
  return 0;
}
