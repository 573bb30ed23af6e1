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

// C++ only, as nats-server 2.x's -sl: the pid argument for ProcessSignal of
// `--signal <command>=<value>`, or of `-P <pidFile> --signal <command>`.
// A `value` that reads as a number is passed on as it is (gnatsd 1.0.0 took
// nothing else); any other `value` is a pid file to read, and so is `pidFile`
// when `value` is empty. With neither, *pid is left empty (ProcessSignal then
// looks for the one gnatsd running). Returns "" on success, else the error
// text: the file is missing or unreadable, empty, or holds no pid.
std::string SignalPid(const std::string& value, const std::string& pidFile, std::string* pid);

}  // namespace gnatsd::server
