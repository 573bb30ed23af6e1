// Go: server/pse/pse_linux.go (gnatsd v1.0.0)
// Process CPU and memory figures for /varz, read from /proc/self/stat.
#pragma once

#include <cstdint>

namespace gnatsd::pse {

// Go: ProcUsage. CPU percent (0.1 resolution) averaged since the previous
// call (since the process started, on the first call), resident and virtual
// size in bytes. Returns false, leaving the outputs untouched, if
// /proc/self/stat cannot be read. Thread safe.
//
// gnatsd sampled on a 1 s timer goroutine; sampling at call time needs no
// thread and gives the same figure for a /varz polled every second.
bool ProcUsage(double* pcpu, int64_t* rss, int64_t* vss);

}  // namespace gnatsd::pse
