// C++ only: the installed API of gnatsd-cpp (Go: the server.Logger interface)
// The hook through which an embedding program receives the server's log lines.
#pragma once

#include <string_view>

namespace gnatsd {

// gnatsd's levels: [FTL] [ERR] [INF] [DBG] [TRC].
enum class LogLevel { Fatal, Error, Notice, Debug, Trace };

// Give one to Server::New and every line the server logs comes here instead
// of stderr, a file or syslog. The line is formatted text without level,
// time or newline ("Listening for client connections on 127.0.0.1:4222").
// Debug and Trace lines come only when Options::Debug / Options::Trace (or a
// Reload) turn them on. A Fatal line is only a line: the server does not
// stop the process.
//
// Thread rule: Log is called from any of the server's threads, several at
// once, and must be thread safe. It must not call back into the Server
// (Shutdown would wait for the very thread that logs), and should return
// quickly: the thread that logs waits for it.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view line) = 0;
};

}  // namespace gnatsd
