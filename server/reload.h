// Go: server/reload.go (gnatsd v1.0.0)
// One change a config reload found, and how to apply it to a running server.
#pragma once

#include <functional>

namespace gnatsd::server {

class Server;

// Go: the option interface (traceOption, tlsOption, usersOption, ...). Go
// has a type per setting; here each change is a value: which follow-up work
// it needs once every change is applied (a new logger, a new authorization
// pass) and the Apply step itself, which logs "Reloaded: <key> = <value>".
// Built by Server::diffOptions, which does everything that can fail first
// (a TLS context, a log file), so that Apply cannot fail.
struct option {
  enum class Kind {
    Plain,    // Go: noopOption
    Logging,  // Go: loggingOption: the logger is rebuilt afterwards
    Auth,     // Go: authOption: authorization is run again afterwards
  };
  Kind kind = Kind::Plain;
  std::function<void()> Apply;

  bool IsLoggingChange() const { return kind == Kind::Logging; }
  bool IsAuthChange() const { return kind == Kind::Auth; }
};

}  // namespace gnatsd::server
