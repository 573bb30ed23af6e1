// Go: server/const.go, gnatsd v1.0.0
// Version, defaults and protocol limits.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace gnatsd::server {

using namespace std::chrono_literals;

inline constexpr std::string_view VERSION = "1.0.0";

inline constexpr int DEFAULT_PORT = 4222;
inline constexpr int RANDOM_PORT = -1;  // ask the OS for a free port
inline constexpr std::string_view DEFAULT_HOST = "0.0.0.0";
inline constexpr int MAX_CONTROL_LINE_SIZE = 1024;
inline constexpr int MAX_PAYLOAD_SIZE = 1024 * 1024;
inline constexpr int DEFAULT_MAX_CONNECTIONS = 64 * 1024;
inline constexpr auto TLS_TIMEOUT = 500ms;
inline constexpr auto AUTH_TIMEOUT = 2 * TLS_TIMEOUT;
inline constexpr auto DEFAULT_PING_INTERVAL = std::chrono::minutes(2);
inline constexpr int DEFAULT_PING_MAX_OUT = 2;
inline constexpr std::string_view CR_LF = "\r\n";
inline constexpr int LEN_CR_LF = 2;
inline constexpr auto DEFAULT_FLUSH_DEADLINE = 2s;
inline constexpr int DEFAULT_HTTP_PORT = 8222;
inline constexpr auto ACCEPT_MIN_SLEEP = 10ms;
inline constexpr auto ACCEPT_MAX_SLEEP = 1s;
inline constexpr auto DEFAULT_ROUTE_CONNECT = 1s;
inline constexpr auto DEFAULT_ROUTE_RECONNECT = 1s;
inline constexpr auto DEFAULT_ROUTE_DIAL = 1s;
inline constexpr int PROTO_SNIPPET_SIZE = 32;
inline constexpr int MAX_MSG_ARGS = 4;
inline constexpr int MAX_PUB_ARGS = 3;

// Beyond 1.0.0: nats-server's default max_pending (64 MiB) for the bytes
// queued to one client before it is closed as a slow consumer.
inline constexpr int64_t MAX_PENDING_SIZE = 64 * 1024 * 1024;

// Go: type Command, the verbs of --signal.
inline constexpr std::string_view CommandStop = "stop";
inline constexpr std::string_view CommandQuit = "quit";
inline constexpr std::string_view CommandReopen = "reopen";
inline constexpr std::string_view CommandReload = "reload";

}  // namespace gnatsd::server
