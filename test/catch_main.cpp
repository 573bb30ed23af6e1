// C++ only: the one Catch2 main shared by every test executable.
//
// Tests run in test/, as gnatsd's Go tests ran in their package folder: the
// config files they load name certificates as ./configs/certs/..., relative to
// the working directory as gnatsd resolves them.
#define CATCH_CONFIG_RUNNER
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

// The test's own TLS clients write with OpenSSL's socket BIO (write(2)): a
// server that closed on them must not kill the test run with SIGPIPE. The
// server's sockets never raise it (MSG_NOSIGNAL, and its own BIO for TLS).
int main(int argc, char* argv[]) {
  ::signal(SIGPIPE, SIG_IGN);
  if (::chdir(GNATSD_SOURCE_DIR "/test") != 0) {
    std::perror("chdir " GNATSD_SOURCE_DIR "/test");
    return 2;
  }
  return Catch::Session().run(argc, argv);
}
