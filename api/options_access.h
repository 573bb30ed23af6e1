// C++ only: the installed API's options (include/gnatsd/options.h) in terms
// of the server's own (server/opts.h). Not installed.
#pragma once

#include "gnatsd/options.h"
#include "server/opts.h"

namespace gnatsd::detail {

// What Options::FromFile read, shared by every copy of those Options.
struct LoadedConfig {
  server::Options file;  // as ProcessConfigFile returned it
  Options seen;          // the public fields as FromFile filled them in
};

// The library's access to the private part of Options.
struct OptionsAccess {
  static const LoadedConfig* loaded(const Options& o) { return o.loaded_.get(); }
  static void setLoaded(Options& o, std::shared_ptr<const LoadedConfig> l) { o.loaded_ = std::move(l); }
};

// The server's options for o: what its file said (defaults for options built
// in code) with every field of o changed since FromFile laid over it, and
// routes to this server itself dropped. Throws ConfigError (this API's).
server::Options ToServerOptions(const Options& o);

// Lays over *base the fields of o that differ from what FromFile read (all
// of them for options built in code), and the process switches. Throws
// server::ConfigError for a route URL that does not parse.
void ApplyChanges(const Options& o, server::Options* base);

// This API's ConfigError for the server's: same text, same position.
ConfigError Translate(const server::ConfigError& e);

}  // namespace gnatsd::detail
