// Go: main.go (gnatsd v1.0.0)
// The gnatsd executable: flags, config file, logging, then serve until stopped.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "server/const.h"
#include "server/flags.h"
#include "server/server.h"
#include "server/service.h"
#include "server/signal.h"

using namespace gnatsd::server;

namespace {
// Go: PrintAndDie.
[[noreturn]] void printAndDie(const std::string& msg) {
  std::fprintf(stderr, "%s\n", msg.c_str());
  std::exit(1);
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  CommandLine cl;
  try {
    cl = ConfigureOptions(args);
  } catch (const FlagError& e) {
    std::fprintf(stderr, "%s\n%s\n", e.what(), usageStr);
    return 1;
  } catch (const std::exception& e) {
    printAndDie(e.what());
  }
  switch (cl.action) {
    case CommandLine::Action::ShowHelp:
      std::printf("%s\n", usageStr);
      return 0;
    case CommandLine::Action::ShowVersion:
      std::printf("nats-server version %s\n", std::string(VERSION).c_str());
      return 0;
    case CommandLine::Action::ShowTLSHelp:
      std::printf("%s", TLSHelpText().c_str());
      return 0;
    case CommandLine::Action::Signal: {
      // -P FILE only names where to find the pid here (1.0.0 ignored it).
      std::string pid;
      std::string err = SignalPid(cl.signalPid, cl.opts.PidFile, &pid);
      if (err.empty()) err = ProcessSignal(cl.signalCommand, pid);
      if (!err.empty()) printAndDie(err);
      return 0;
    }
    case CommandLine::Action::Run:
      break;
  }
  try {
    auto s = Server::New(cl.opts);
    s->SetFlagSnapshot(cl.flagOpts);
    s->ConfigureLogger();
    Run(*s);
  } catch (const std::exception& e) {
    printAndDie(e.what());
  }
  return 0;
}
