// Go: time.ParseDuration, strconv.Atoi, net.SplitHostPort (Go standard library)
// The parsers gnatsd's options go through, with Go's error texts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gnatsd::server {

// Go: net.SplitHostPort. "host:port", "[v6]:port" or ":port"; the brackets
// are removed from host. On failure returns false and sets err to Go's text,
// e.g. "address 10.0.1.22: missing port in address".
bool SplitHostPort(std::string_view hostport, std::string& host, std::string& port,
                   std::string& err);

// Go: strconv.Atoi (a 64-bit int): an optional sign, then decimal digits
// only; nullopt for anything else or a value past int64.
std::optional<int64_t> Atoi(std::string_view s);

// Go: time.ParseDuration ("300ms", "-1.5h", "2h45m"; units ns, us, µs, ms,
// s, m, h). On failure returns nullopt and sets err to the text of the Go
// releases gnatsd 1.0.0 was built with, which did not quote the value:
// "time: unknown unit x in duration 1x".
std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view s, std::string& err);

}  // namespace gnatsd::server
