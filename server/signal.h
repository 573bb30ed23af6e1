// Go: server/signal.go (gnatsd v1.0.0)
// Sending a signal to a running gnatsd (the --signal flag).
#pragma once

#include <string>
#include <string_view>

namespace gnatsd::server {

// Go: ProcessSignal. command is stop, quit, reopen or reload; pidStr may be
// empty, then the one other running gnatsd process is found by name (/proc).
// Returns an empty string on success, else gnatsd's error text.
std::string ProcessSignal(std::string_view command, std::string_view pidStr);

}  // namespace gnatsd::server
