// Go: main.go (gnatsd v1.0.0): flag definitions, usage text, and the order in
// which flags, the config file and defaults are combined.
#pragma once

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/opts.h"

namespace gnatsd::server {

// gnatsd's usage text, byte for byte (Go: usageStr).
extern const char* const usageStr;

// Go: PrintTLSHelpAndDie's text: a sample tls block, then the cipher suite
// and curve names a config file may use.
std::string TLSHelpText();

// A command-line mistake: the caller prints what() and the usage, exit 1.
class FlagError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  enum class Action { Run, ShowVersion, ShowHelp, ShowTLSHelp, Signal };
  Action action = Action::Run;
  Options opts;                   // flags merged over the config file
  Options flagOpts;               // the flags alone (Go: FlagSnapshot), for reload
  std::string signalCommand;      // --signal verb (stop, quit, reopen, reload)
  std::string signalPid;          // the pid after '=', possibly empty
  std::set<std::string> flagsSet; // the flag names given, e.g. "p", "port", "T"
};

// Parses gnatsd's flags the way Go's flag package does (-x and --x alike,
// -x=v and -x v, booleans take =false), then reads the config file (-c) and
// merges. Throws FlagError for bad usage and ConfigError for a bad config
// file or a feature this build does not have yet.
CommandLine ConfigureOptions(const std::vector<std::string>& args);

}  // namespace gnatsd::server
