// Go: server/service.go (gnatsd v1.0.0)
// Run: start, then wait for shutdown.
#include "server/service.h"

#include "server/server.h"

namespace gnatsd::server {

void Run(Server& s) {
  s.Start();
  s.WaitForShutdown();
}

}  // namespace gnatsd::server
