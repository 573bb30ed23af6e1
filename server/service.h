// Go: server/service.go (gnatsd v1.0.0)
// Run: the single entry point a program uses to serve until shutdown.
#pragma once

namespace gnatsd::server {
class Server;
// Starts the server and blocks until it has shut down (SIGINT, SIGTERM or
// Shutdown() from another thread). Throws what Start() throws.
void Run(Server& s);
}  // namespace gnatsd::server
