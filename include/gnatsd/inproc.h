// C++ only: the installed API of gnatsd-cpp (Go programs reach an embedded
// server through a pipe; this has no socket at all)
// The program's own client connection to its embedded server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gnatsd {

class Server;

// The CONNECT of an in-process connection; credentials are checked as for
// a network client.
struct InProcessOptions {
  std::string name;  // shown in /connz
  std::string user;
  std::string pass;
  std::string token;
};

// A message for one of the connection's subscriptions. The views are valid
// during the Drain callback only: copy what must outlive it.
struct InProcessMsg {
  std::string_view subject;
  std::string_view sid;    // what Subscribe returned
  std::string_view reply;  // "": none
  std::string_view data;
};

// A client connection of the program to its server, with no socket. It is
// a client like any other: it shows in /connz, is held to the same
// authorization, permissions, max_payload and max_pending, and shares
// subjects with network clients (a libnats client receives what it
// publishes, and the reverse).
//
// What the server delivers waits in the connection's queue until Drain
// hands it over, on the thread that calls Drain. A connection that is never
// drained is cut as a slow consumer at max_pending, like a client that
// never reads.
//
// Thread rule: every method is thread safe. Publish, Subscribe, Unsubscribe
// and the sending half of Request run one at a time per connection. Drain's
// callback runs with no lock held and may call any method of this
// connection (a responder publishes its answer from there).
// Lifetime: destroy it before its Server; a Server that shuts down first
// closes it (methods then report it closed).
class InProcessConn {
 public:
  // Connects to `s` (started or not). Throws std::runtime_error with the
  // server's answer when refused ("Authorization Violation", "Maximum
  // Connections Exceeded", "server is shutting down").
  static std::unique_ptr<InProcessConn> Connect(Server& s, const InProcessOptions& opts = {});
  ~InProcessConn();  // Close()
  InProcessConn(const InProcessConn&) = delete;
  InProcessConn& operator=(const InProcessConn&) = delete;

  // Delivered to every matching subscription before it returns. False when
  // the connection is closed or was cut for this publish (LastError says
  // why). A publish the permissions refuse returns true, as a network client
  // gets only -ERR: LastError has it after the next Drain.
  bool Publish(std::string_view subject, std::string_view data, std::string_view reply = {});
  // Returns the sid; "" when closed or refused (LastError).
  std::string Subscribe(std::string_view subject, std::string_view queue = {});
  // With max > 0: once the subscription has had max messages in all.
  bool Unsubscribe(const std::string& sid, int max = 0);
  // Publishes to `subject` with a reply subject of its own and waits up to
  // `timeout`, on the calling thread, for the first answer; returns its
  // payload, or std::nullopt on timeout, on close, or when refused
  // (LastError). Other messages that arrive meanwhile stay queued for Drain;
  // a Drain on another thread hands the answer over to Request. An answer
  // this same connection must give needs another thread calling Drain.
  std::optional<std::string> Request(std::string_view subject, std::string_view data,
                                     std::chrono::milliseconds timeout);
  // Calls fn for each queued message, in order, on the calling thread; with
  // none queued, waits up to `wait` for some. Returns how many it handed
  // over. Once closed, hands over what was left, then returns 0.
  size_t Drain(const std::function<void(const InProcessMsg&)>& fn,
               std::chrono::milliseconds wait = std::chrono::milliseconds(0));

  // The server's last -ERR text for this connection, "" if none.
  std::string LastError() const;
  bool IsClosed() const;
  // The client id, as in /connz.
  uint64_t CID() const;
  // Closes it (idempotent); its subscriptions go.
  void Close();

 private:
  struct Impl;
  explicit InProcessConn(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gnatsd
