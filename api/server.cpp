// C++ only: gnatsd::Server and gnatsd::InProcessConn (include/gnatsd/),
// thin owners of the server's own Server and InProcessConn.
#include <stdexcept>
#include <utility>

#include "api/options_access.h"
#include "gnatsd/inproc.h"
#include "gnatsd/server.h"
#include "server/inproc.h"
#include "server/logger/log.h"
#include "server/monitor.h"
#include "server/server.h"

namespace gnatsd {

namespace {

// The server's logger interface in front of the program's Logger.
class loggerHook : public logger::Logger {
 public:
  explicit loggerHook(std::shared_ptr<gnatsd::Logger> to) : to_(std::move(to)) {}
  void Notice(std::string_view m) override { to_->Log(LogLevel::Notice, m); }
  void Error(std::string_view m) override { to_->Log(LogLevel::Error, m); }
  void Fatal(std::string_view m) override { to_->Log(LogLevel::Fatal, m); }
  void Debug(std::string_view m) override { to_->Log(LogLevel::Debug, m); }
  void Trace(std::string_view m) override { to_->Log(LogLevel::Trace, m); }

 private:
  const std::shared_ptr<gnatsd::Logger> to_;
};

}  // namespace

struct Server::Impl {
  std::unique_ptr<server::Server> s;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() = default;  // the server's own destructor shuts it down

std::unique_ptr<Server> Server::New(const Options& opts, std::shared_ptr<Logger> logger) {
  server::Options so = detail::ToServerOptions(opts);
  // The program's logger stays through every Reload: the server's own
  // back ends are never built.
  if (logger) so.NoLog = true;
  auto impl = std::make_unique<Impl>();
  try {
    impl->s = server::Server::New(so);
  } catch (const server::ConfigError& e) {
    throw detail::Translate(e);
  }
  if (logger) {
    impl->s->SetLogger(std::make_shared<loggerHook>(std::move(logger)), so.Debug, so.Trace);
  } else if (!so.NoLog) {
    try {
      impl->s->ConfigureLogger();  // a log file that cannot be opened is a config problem
    } catch (const std::runtime_error& e) {
      throw ConfigError(e.what());
    }
  }
  if (!opts.ConfigFile().empty()) {
    // What was set in code over the file is set again over the file that
    // each Reload reads.
    const bool keepLogger = so.NoLog;
    impl->s->SetReloadOverlay([opts, keepLogger](server::Options& fromFile) {
      detail::ApplyChanges(opts, &fromFile);
      fromFile.NoLog = keepLogger;
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::Start() { impl_->s->Start(); }

bool Server::ReadyForConnections(std::chrono::milliseconds timeout) { return impl_->s->ReadyForConnections(timeout); }

void Server::Shutdown() { impl_->s->Shutdown(); }

void Server::WaitForShutdown() { impl_->s->WaitForShutdown(); }

void Server::Reload() {
  try {
    impl_->s->Reload();
  } catch (const server::ConfigError& e) {
    throw detail::Translate(e);
  }
}

std::string Server::ClientURL() const { return impl_->s->ClientURL(); }

int Server::Port() const { return impl_->s->Port(); }

std::string Server::ID() const { return impl_->s->ID(); }

int Server::NumClients() const { return impl_->s->NumClients(); }

int Server::NumRoutes() const { return impl_->s->NumRoutes(); }

uint32_t Server::NumSubscriptions() const { return impl_->s->NumSubscriptions(); }

gnatsd::Varz Server::Varz() const {
  const server::Varz z = impl_->s->Varz();
  gnatsd::Varz v;
  v.ServerID = z.info.ID;
  v.Version = z.info.Version;
  v.Host = z.info.Host;
  v.Port = z.Port;
  v.MaxPayload = z.MaxPayload;
  v.Start = z.Start;
  v.Now = z.Now;
  v.Uptime = z.Uptime;
  v.Mem = z.Mem;
  v.Cores = z.Cores;
  v.CPU = z.CPU;
  v.Connections = z.Connections;
  v.TotalConnections = z.TotalConnections;
  v.Routes = z.Routes;
  v.Remotes = z.Remotes;
  v.InMsgs = z.InMsgs;
  v.OutMsgs = z.OutMsgs;
  v.InBytes = z.InBytes;
  v.OutBytes = z.OutBytes;
  v.SlowConsumers = z.SlowConsumers;
  v.Subscriptions = z.Subscriptions;
  v.ConfigLoadTime = z.ConfigLoadTime;
  v.HTTPReqStats = z.HTTPReqStats;
  return v;
}

// --- InProcessConn ------------------------------------------------------------

struct InProcessConn::Impl {
  std::unique_ptr<server::InProcessConn> c;
};

InProcessConn::InProcessConn(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

InProcessConn::~InProcessConn() = default;  // the connection's own destructor closes it

std::unique_ptr<InProcessConn> InProcessConn::Connect(Server& s, const InProcessOptions& opts) {
  auto impl = std::make_unique<Impl>();
  impl->c = server::InProcessConn::Connect(*s.impl_->s, opts);
  return std::unique_ptr<InProcessConn>(new InProcessConn(std::move(impl)));
}

bool InProcessConn::Publish(std::string_view subject, std::string_view data, std::string_view reply) {
  return impl_->c->Publish(subject, data, reply);
}

std::string InProcessConn::Subscribe(std::string_view subject, std::string_view queue) {
  return impl_->c->Subscribe(subject, queue);
}

bool InProcessConn::Unsubscribe(const std::string& sid, int max) { return impl_->c->Unsubscribe(sid, max); }

std::optional<std::string> InProcessConn::Request(std::string_view subject, std::string_view data,
                                                  std::chrono::milliseconds timeout) {
  return impl_->c->Request(subject, data, timeout);
}

size_t InProcessConn::Drain(const std::function<void(const InProcessMsg&)>& fn, std::chrono::milliseconds wait) {
  return impl_->c->Drain(fn, wait);  // the same InProcessMsg type
}

std::string InProcessConn::LastError() const { return impl_->c->LastError(); }

bool InProcessConn::IsClosed() const { return impl_->c->IsClosed(); }

uint64_t InProcessConn::CID() const { return impl_->c->CID(); }

void InProcessConn::Close() { impl_->c->Close(); }

}  // namespace gnatsd
