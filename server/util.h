// Go: server/util.go (gnatsd v1.0.0), plus small C++-only helpers
// Server ids, fast decimal parsing, printf to a string, thread names.
// (Go standard library stand-ins: gofmt.h, goparse.h, gostrings.h, url.h.)
#pragma once

#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>

namespace gnatsd::server {

// Go: genID (nuid.Next). 22 characters of [0-9A-Za-z]: a 12-character random
// prefix and a 10-digit base-62 sequence. Thread safe.
std::string genID();

// Go: parseSize. Decimal digits only; -1 when empty, not a number, or too
// large for an int (1.0.0 silently wrapped around there).
int parseSize(std::string_view d);
// Go: parseInt64, same rules for int64_t.
int64_t parseInt64(std::string_view d);

// Like parseInt64, but a run of digits too large for int64 gives INT64_MAX
// instead of -1: Go's 64-bit int wrapped around there and still compared
// above any max_payload, so the client sees "Maximum Payload Violation".
int64_t parseSizeSaturated(std::string_view d);

// Go: secondsToDuration.
std::chrono::nanoseconds secondsToDuration(double seconds);

// printf into a std::string.
std::string stringPrintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string vstringPrintf(const char* fmt, va_list ap) __attribute__((format(printf, 1, 0)));

// Names the calling thread (top -H, gdb), cut to the 15 bytes Linux keeps:
// pthread_setname_np fails on a longer name instead of cutting it.
void setThreadName(std::string_view name);

}  // namespace gnatsd::server
