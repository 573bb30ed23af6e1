// Go: server/client.go (gnatsd v1.0.0); the parser state of parser.go
// One connection (client or route): its reader, protocol handlers, delivery.
#pragma once

#include <atomic>
#include <cstdarg>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/auth_types.h"
#include "server/conn.h"
#include "server/errors.h"
#include "server/mutex.h"
#include "server/net.h"
#include "server/outbuf.h"
#include "server/route.h"
#include "server/stringhash.h"
#include "server/sublist.h"
#include "server/subscription.h"
#include "server/timer.h"

namespace gnatsd::server {

class Server;
struct Info;

// Go: CLIENT / ROUTER.
enum ClientType : int { CLIENT = 0, ROUTER = 1 };
// Go: ClientProtoZero / ClientProtoInfo (CONNECT "protocol").
inline constexpr int ClientProtoZero = 0;
inline constexpr int ClientProtoInfo = 1;

// Go: clientOpts, the CONNECT JSON. Defaults: verbose and pedantic on.
struct clientOpts {
  bool Verbose = true;
  bool Pedantic = true;
  bool SslRequired = false;
  std::string Authorization;  // auth_token
  std::string Username;       // user
  std::string Password;       // pass
  std::string Name;
  std::string Lang;
  std::string Version;
  int Protocol = 0;
};
// Unmarshals CONNECT JSON on top of *opts, as Go's json.Unmarshal does
// (omitted keys keep their values, unknown keys are ignored). Returns false
// on malformed JSON or a wrongly typed field.
bool unmarshalClientOpts(std::string_view json, clientOpts* opts);

// Go: parser.go's state constants, in the same order (the number shows in
// parser-error logs).
enum parserState : int {
  OP_START = 0, OP_PLUS, OP_PLUS_O, OP_PLUS_OK, OP_MINUS, OP_MINUS_E, OP_MINUS_ER,
  OP_MINUS_ERR, OP_MINUS_ERR_SPC, MINUS_ERR_ARG, OP_C, OP_CO, OP_CON, OP_CONN, OP_CONNE,
  OP_CONNEC, OP_CONNECT, CONNECT_ARG, OP_P, OP_PU, OP_PUB, OP_PUB_SPC, PUB_ARG, OP_PI,
  OP_PIN, OP_PING, OP_PO, OP_PON, OP_PONG, MSG_PAYLOAD, MSG_END, OP_S, OP_SU, OP_SUB,
  OP_SUB_SPC, SUB_ARG, OP_U, OP_UN, OP_UNS, OP_UNSU, OP_UNSUB, OP_UNSUB_SPC, UNSUB_ARG,
  OP_M, OP_MS, OP_MSG, OP_MSG_SPC, MSG_ARG, OP_I, OP_IN, OP_INF, OP_INFO, INFO_ARG,
};

// Go: pubArg. Views into the read buffer or into argBuf_.
struct pubArg {
  std::string_view subject;
  std::string_view reply;
  std::string_view sid;
  std::string_view szb;
  int size = 0;
};

// A distinct seed per call, from a counter and the clock (splitmix64).
uint32_t queuePickSeed();

// Go: protoSnippet. Up to PROTO_SNIPPET_SIZE bytes of buf from start, %q-quoted.
std::string protoSnippet(size_t start, std::string_view buf);

// Lifetime. A client is owned by std::shared_ptr: the server's clients map,
// its own reader thread (for the whole readLoop), its writer thread, and the
// subscriptions it made (sub->client). The reader drops the server's and its
// own references on exit; subscriptions still cached in some Sublist result
// keep the object (not the socket) alive until those results are dropped.
// Timer callbacks hold a std::weak_ptr. The socket is shut down by
// closeConnection() and closed by the reader thread once no other thread can
// be writing to it.
//
// Threads. The reader thread runs readLoop/parse and every process* handler;
// fields marked "reader" are touched by it alone. Other threads (publishers
// on other connections, the timer thread, the writer thread, Shutdown) touch
// only fields guarded by mu_. Never hold two clients' mutexes at once, and
// never block in a syscall while holding mu_.
class client : public std::enable_shared_from_this<client> {
 public:
  client(Server* srv, Fd nc, ClientType typ);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Go: initClient. Assigns the cid and the log prefix.
  void initClient() EXCLUDES(mu_);

  // Go: createClient's timer set-up. Arms the ping timer and, when
  // authRequired, the auth timer; does nothing if the connection is closed.
  void armTimers(bool authRequired, std::chrono::nanoseconds authTimeout) EXCLUDES(mu_);

  // Go: createClient's TLS part. Runs the server side of the handshake
  // within `timeout`. On failure logs it (debug), answers "-ERR 'Secure
  // Connection - TLS Required'" in clear and closes; returns false.
  // Reader thread, before readLoop.
  bool tlsHandshake(const TLSConfig& config, std::chrono::nanoseconds timeout) EXCLUDES(mu_);
  // Go: GetTLSConnectionState, as gnatsd prints it: "1.2" and the suite's
  // name; empty for a plain connection.
  std::string tlsVersion() const { return nc_.isTLS() ? nc_.tlsVersionName() : std::string(); }
  std::string tlsCipherSuite() const;
  // The dialling side of a route's TLS handshake (Go: tls.Client with
  // ServerName = serverName), within `timeout`; on failure closes as
  // tlsHandshake does and returns false. Reader thread, before readLoop.
  bool tlsClientHandshake(const TLSConfig& config, const std::string& serverName,
                          std::chrono::nanoseconds timeout) EXCLUDES(mu_);
  // The common end of both handshakes: logs, and on failure answers and closes.
  bool tlsHandshakeDone(bool ok, bool timedOut, const std::string& err) EXCLUDES(mu_);

  // Go: readLoop. Reads, parses, flushes what the batch produced; when the
  // connection ends, calls finishConnection().
  void readLoop() EXCLUDES(mu_);
  // One read's worth of input, as readLoop handles it: parse, account, flush
  // every client it produced output for. False when the connection is done.
  // Reader thread (or the one thread an in-process connection lets in).
  bool processBatch(std::string_view buf) EXCLUDES(mu_);

  // Run by the connection's own thread as its last act: closes the
  // connection, waits until no other thread can be writing to the socket
  // (a publisher's flush, the writer thread), then closes the socket.
  void finishConnection() EXCLUDES(mu_);

  // Go: parse (parser.cpp). Feeds bytes to the protocol state machine.
  // Reader thread only (tests may call it on a client with no socket).
  Error parse(std::string_view buf) EXCLUDES(mu_);

  // Go: closeConnection. Idempotent; callable from any thread.
  void closeConnection() EXCLUDES(mu_);

  // Go: RegisterUser. Installs the user's permissions (null: unrestricted).
  // Any thread: the reader thread takes them up before its next PUB or SUB
  // (a reload re-registers users while their readers run).
  void RegisterUser(const User& user) EXCLUDES(mu_);

  // Go: sendErr. Queues "-ERR '<err>'\r\n" and flushes without blocking.
  void sendErr(std::string_view err) EXCLUDES(mu_);
  // Go: sendOK. Queues "+OK\r\n", flushed at the end of the read batch.
  void sendOK() EXCLUDES(mu_);
  // Go: sendInfo. Queues the INFO line and flushes.
  void sendInfo(std::string_view info) EXCLUDES(mu_);

  // Go: String. "<ip>:<port> - cid:<n>" (routes "rid:<n>").
  const std::string& String() const { return ncs_; }
  uint64_t cid() const { return cid_; }
  ClientType typ() const { return typ_; }
  bool isClosed() EXCLUDES(mu_);
  // A copy of the CONNECT options (for auth and monitoring).
  clientOpts GetOpts() EXCLUDES(mu_);
  size_t numSubs() EXCLUDES(mu_);
  // Bytes queued for this connection and not yet written.
  int64_t pendingBytes() EXCLUDES(mu_);
  bool isAuthTimerSet() EXCLUDES(mu_);

  // --- routes (route.cpp) ---
  // Go: isSolicitedRoute.
  bool isSolicitedRoute() EXCLUDES(mu_);
  // A copy of what this route connection knows of its peer (nullopt for a
  // client connection).
  std::optional<route> routeSnapshot() EXCLUDES(mu_);

  // What /connz shows of one connection (Go: the fields HandleConnz reads
  // under c.mu). ip and port are empty once the connection is closed, as Go's
  // nil c.nc leaves them; so are the TLS names.
  struct monitorInfo {
    uint64_t cid = 0;
    std::string ip;
    int port = 0;
    std::chrono::system_clock::time_point start, last;
    int64_t pending = 0;
    int64_t inMsgs = 0, outMsgs = 0, inBytes = 0, outBytes = 0;
    uint32_t numSubs = 0;
    std::string name, lang, version;  // from CONNECT
    std::string user;                 // CONNECT "user" (Go: opts.Username)
    std::string tlsVersion, tlsCipher;
    std::vector<std::string> subs;    // subjects, only when asked for
  };
  // One consistent copy, taken under mu_ for a moment. Any thread.
  void monitorSnapshot(monitorInfo* out, bool withSubs) EXCLUDES(mu_);

  // Per-client counters (Go: embedded stats). Relaxed atomics: monitoring
  // reads them without the lock.
  std::atomic<int64_t> inMsgs{0}, outMsgs{0}, inBytes{0}, outBytes{0};

  // Logging with this connection's prefix.
  void Errorf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Debugf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Noticef(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Tracef(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

 private:
  friend class Server;
  friend class clientTestPeer;  // white-box tests (test/helpers/client_peer.h)
  friend class InProcessConn;   // drains the outbound queue of a socketless client

  // --- protocol handlers (reader thread) ---
  Error processInfo(std::string_view arg) EXCLUDES(mu_);
  // Go: processRouteInfo (route.cpp). An INFO from a peer server.
  void processRouteInfo(Info& info) EXCLUDES(mu_);
  // Go: sendConnect (route.cpp). Queues the route CONNECT and flushes.
  void sendConnect(bool tlsRequired) REQUIRES(mu_);
  // processMsg's once-per-remote-server rule: true the first time this batch
  // message reaches route connection `rc`'s remote server.
  bool firstToRemote(client& rc, size_t* seen) EXCLUDES(mu_);
  void processErr(std::string_view arg) EXCLUDES(mu_);
  Error processConnect(std::string_view arg) EXCLUDES(mu_);
  void processPing() EXCLUDES(mu_);
  void processPong() EXCLUDES(mu_);
  Error processPub(std::string_view arg) EXCLUDES(mu_);
  Error processMsgArgs(std::string_view arg);
  Error processSub(std::string_view arg) EXCLUDES(mu_);
  Error processUnsub(std::string_view arg) EXCLUDES(mu_);
  void processMsg(std::string_view msg) EXCLUDES(mu_);
  void clonePubArg();

  void authTimeout() EXCLUDES(mu_);
  void authViolation() EXCLUDES(mu_);
  void maxConnExceeded() EXCLUDES(mu_);
  void maxPayloadViolation(int64_t sz, int64_t max) EXCLUDES(mu_);
  void maxControlLineViolation() EXCLUDES(mu_);
  void pubPermissionViolation(std::string_view subject) EXCLUDES(mu_);
  bool canSubscribe(std::string_view subject) REQUIRES(mu_);
  void unsubscribe(const std::shared_ptr<subscription>& sub) EXCLUDES(mu_);
  // Go: deliverMsg. Runs on the publisher's reader thread, `this` being the
  // publisher; takes the subscriber's lock only.
  // The MSG line of one message around the sid: "MSG <subject> " and
  // " [reply ]<size>\r\n".
  struct msgHeader {
    std::string_view prefix, tail;
  };
  void deliverMsg(const std::shared_ptr<subscription>& sub, const msgHeader& mh, std::string_view msg)
      EXCLUDES(mu_);
  // A subscription of cl reached its auto-unsubscribe limit: removes it, and
  // tells the routes when it is a client's.
  static void autoUnsubscribed(client& cl, const std::shared_ptr<subscription>& sub);
  // Remembers that cl has output from this read batch (Go: c.pcd[cl]).
  // `stamped` is true when cl->pcdStamp_ was already set under cl->mu_.
  void addToPCD(client* cl, bool stamped = false) EXCLUDES(mu_);
  // Go: flushClients. Flushes every client touched by this batch. A client
  // that is behind may hold this reader for stallBudget in all (the producer
  // push-back of ARCHITECTURE.md section 3), never longer.
  void flushClients() EXCLUDES(mu_);

  // --- timers ---
  void processPingTimer() EXCLUDES(mu_);
  void setPingTimer() REQUIRES(mu_);
  void clearPingTimer() REQUIRES(mu_);
  void setAuthTimer(std::chrono::nanoseconds d) REQUIRES(mu_);
  bool clearAuthTimer() REQUIRES(mu_);

  // --- the write path (ARCHITECTURE.md section 3) ---
  // Who is flushing, which decides how long a flush may wait for the socket.
  enum class FlushMode {
    Now,       // send what the socket takes, hand the rest to the writer
    Producer,  // a publisher's reader: may wait for the socket until a stall deadline
    Writer,    // the writer thread: waits up to write_deadline, then cuts a slow consumer
  };
  // Go: sendProto. Queues bytes; with doFlush, tries to write them now.
  void sendProto(std::string_view proto, bool doFlush) REQUIRES(mu_);
  // Queues a message, in parts. False (and nothing queued) if that would pass max_pending.
  bool queueOutbound(std::string_view a, std::string_view b, std::string_view c, std::string_view d)
      REQUIRES(mu_);
  // Go: flushOutbound. Writes queued bytes; drops mu_ around each send(2) and
  // poll(2) and takes it back before returning. One flusher at a time
  // (flushing_). In Producer mode, `stallUntil` bounds the wait, and a client
  // whose queue is past the high-water mark while another thread flushes it
  // is waited for within the same bound; what is left goes to the writer. A
  // client that takes nothing for stallAfter across such waits is marked
  // stalled_ and no longer waited for.
  void flushOutbound(FlushMode mode, std::chrono::steady_clock::time_point stallUntil = {}) REQUIRES(mu_);
  // A producer waited for this client and the socket took nothing: starts the
  // no-progress clock, or marks the client stalled_ once it has run stallAfter.
  void noteNoProgress() REQUIRES(mu_);
  void writeLoop() EXCLUDES(mu_);
  void kickWriter() REQUIRES(mu_);
  int64_t pendingLocked() const REQUIRES(mu_);
  // Go: clearConnection. Best-effort flush, then shutdown(2) of the socket.
  void clearConnection() REQUIRES(mu_);
  // Closes as a slow consumer: counted and logged as gnatsd does.
  void slowConsumerClose(const char* why) EXCLUDES(mu_);

  void traceOp(const char* dir, std::string_view op, std::string_view arg);
  void traceInOp(std::string_view op, std::string_view arg) {
    if (trace_) traceOp("->>", op, arg);
  }
  void traceOutOp(std::string_view op, std::string_view arg) {
    if (trace_) traceOp("<<-", op, arg);
  }
  // Formats and hands the line, prefixed with String(), to a Server logger.
  void logWithPrefix(void (Server::*log)(const char*, ...), const char* fmt, va_list ap);
  const char* typeString() const { return typ_ == CLIENT ? "Client" : "Router"; }

  // Constant after construction / initClient (set before other threads see us).
  Server* const srv_;
  const ClientType typ_;
  uint64_t cid_ = 0;
  std::string ncs_;
  std::string ip_;  // the peer's address (for /connz)
  int port_ = 0;
  const std::chrono::system_clock::time_point start_;
  // Follow the server's switches (a reload may turn them on or off; read
  // by every thread that logs for this client).
  std::atomic<bool> debug_{false};
  std::atomic<bool> trace_{false};
  std::atomic<int64_t> mpay_{0};  // max payload (Go: atomic mpay)

  Mutex mu_;
  CondVar writeCv_;
  netConn nc_;                     // closed by the reader thread only, at its end
  bool closed_ GUARDED_BY(mu_) = false;   // Go: nc == nil
  bool closing_ GUARDED_BY(mu_) = false;  // closeConnection has started
  clientOpts opts_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::shared_ptr<subscription>, StringHash, std::equal_to<>> subs_
      GUARDED_BY(mu_);
  TimerQueue::TimerId atmr_ GUARDED_BY(mu_) = 0;
  TimerQueue::TimerId ptmr_ GUARDED_BY(mu_) = 0;
  int pout_ GUARDED_BY(mu_) = 0;
  std::chrono::system_clock::time_point last_ GUARDED_BY(mu_);
  // Go: clientFlag bits.
  bool connectReceived_ GUARDED_BY(mu_) = false;
  bool firstPongSent_ GUARDED_BY(mu_) = false;
  bool infoUpdated_ GUARDED_BY(mu_) = false;
  std::string authUser_ GUARDED_BY(mu_);  // who authenticated, for logs and /connz
  // Set for a route connection before other threads see it (Go: c.route).
  std::unique_ptr<route> route_ GUARDED_BY(mu_);

  // Outbound: producers append to back_; one flusher at a time (flushing_)
  // owns front_ and writes it outside the lock.
  OutBuf front_ GUARDED_BY(mu_);
  size_t foff_ GUARDED_BY(mu_) = 0;
  OutBuf back_ GUARDED_BY(mu_);
  bool flushing_ GUARDED_BY(mu_) = false;
  bool flushPolling_ GUARDED_BY(mu_) = false;  // the flusher waits for the socket to take more
  bool writerStarted_ GUARDED_BY(mu_) = false;
  bool writerRunning_ GUARDED_BY(mu_) = false;
  // Took nothing for stallAfter while producers waited for it: producers stop
  // waiting for it until its queue falls to a quarter of the high-water mark.
  bool stalled_ GUARDED_BY(mu_) = false;
  // When a producer's wait for this client first ended with no byte taken;
  // zero once the socket takes bytes again.
  std::chrono::steady_clock::time_point noProgressSince_ GUARDED_BY(mu_);
  int noProgressOutq_ GUARDED_BY(mu_) = -1;  // the kernel's send queue then (SIOCOUTQ)
  uint64_t producerWaits_ GUARDED_BY(mu_) = 0;  // flushes in which a producer waited for us
  int drainWaiters_ GUARDED_BY(mu_) = 0;  // producers waiting on drainCv_
  CondVar drainCv_;                       // queue fell to the high-water mark
  int64_t maxPending_ = 0;                              // constant
  int64_t highWater_ = 0;                               // constant: producers wait above it
  std::atomic<int64_t> writeDeadlineNs_{0};  // write_deadline; a reload may change it
  std::chrono::nanoseconds writeDeadline() const {
    return std::chrono::nanoseconds(writeDeadlineNs_.load(std::memory_order_relaxed));
  }
  uint64_t pcdStamp_ GUARDED_BY(mu_) = 0;  // last (publisher, batch) that queued here

  // --- reader thread only ---
  bool verbose_ = true;   // copies of opts_ for the hot path
  bool pedantic_ = true;
  int state_ = OP_START;
  int drop_ = 0;
  pubArg pa_;
  std::string argBuf_;
  bool haveArgBuf_ = false;
  std::string msgBuf_;
  bool haveMsgBuf_ = false;
  std::string msgh_;  // scratch for "MSG <subject> <sid> ..." headers
  // Go: readCache.
  struct readCache {
    uint64_t genid = 0;
    std::unordered_map<std::string, std::shared_ptr<const SublistResult>, StringHash, std::equal_to<>> results;
    std::string lastSubject;  // the subject of `last`
    std::shared_ptr<const SublistResult> last;
    void clearResults() {
      results.clear();
      last.reset();
    }
    // Picks one queue member per group. Seeded cheaply (std::random_device
    // costs ~18 us, paid by every connection): it needs spread, not secrecy.
    std::minstd_rand prand{queuePickSeed()};
    int inMsgs = 0;
    int64_t inBytes = 0;
    int subs = 0;
  } cache_;
  // Go: permissions. perms_ is the reader thread's: only it replaces it
  // (under mu_, from newPerms_) and it reads it without the lock; other
  // threads read perms_->sub only under mu_. RegisterUser leaves what it
  // builds in newPerms_ and raises permsChanged_.
  struct permissions {
    Sublist pub;
    std::vector<std::string> sub;  // subscribe patterns, checked as subsets
    std::unordered_map<std::string, bool, StringHash, std::equal_to<>> pcache;
  };
  std::unique_ptr<permissions> perms_;
  std::unique_ptr<permissions> newPerms_ GUARDED_BY(mu_);
  std::atomic<bool> permsChanged_{false};
  // Reader thread: installs what RegisterUser left, if anything.
  void takeNewPerms() EXCLUDES(mu_) {
    if (permsChanged_.load(std::memory_order_acquire)) installNewPerms();
  }
  void installNewPerms() EXCLUDES(mu_);
  // The subscribe patterns in force once the reader has taken up the newest
  // permissions: newPerms_'s if it has not yet, else perms_'s. Null: any.
  const permissions* permsInForce() const REQUIRES(mu_) {
    return permsChanged_.load(std::memory_order_relaxed) ? newPerms_.get() : perms_.get();
  }
  static bool canSubscribe(const permissions* perms, std::string_view subject);
  // The remote server ids one routed message has gone to (Go: processMsg's
  // rmap); slots are reused so that no message allocates.
  std::vector<std::string> routeSeen_;
  // Go: pcd. Clients with output from the current batch.
  std::vector<std::shared_ptr<client>> pcd_;
  uint64_t batch_ = 0;
  // When the current batch was read: the activity time of every client it
  // delivered to (Go: readLoop's `last`).
  std::chrono::system_clock::time_point batchLast_;
  // Deliveries of the current batch, added to the server's totals once per
  // batch rather than once per message (a shared cache line).
  int64_t batchOutMsgs_ = 0;
  int64_t batchOutBytes_ = 0;
};

// Go: maxResultCacheSize / maxPermCacheSize / pruneSize, and buffer sizes.
inline constexpr size_t maxResultCacheSize = 512;
inline constexpr size_t maxPermCacheSize = 32;
inline constexpr size_t pruneSize = 16;
inline constexpr size_t startBufSize = 512;
inline constexpr size_t minBufSize = 128;
inline constexpr size_t maxBufSize = 65536;
// An outbound buffer larger than this is freed once it is empty; smaller ones
// are kept, since one read batch of a busy publisher fills about 64 KiB per
// subscriber and regrowing it each batch costs a copy of everything.
inline constexpr size_t maxOutBufKeep = 4 * maxBufSize;
// Producer push-back: a publisher's reader waits for a subscriber whose queue
// is above the high-water mark (a quarter of max_pending, at most this), and
// never longer than stallBudget per read batch in all.
inline constexpr int64_t maxHighWater = 1024 * 1024;
inline constexpr std::chrono::milliseconds stallBudget{5};
// A client whose socket takes nothing for this long while producers wait is
// stalled: they stop waiting for it. Several budgets long, so that a reader
// the scheduler leaves out for a moment is not taken for a stuck one.
inline constexpr std::chrono::milliseconds stallAfter{20};
// How long closing a connection waits for another thread's flush that is
// not waiting for the socket (it is between a send and its next round).
inline constexpr std::chrono::milliseconds closeFlushWait{100};

// True if every subject matching `subject` also matches `pattern` (both may
// hold wildcards). Used for subscribe permissions (docs/DEVIATIONS.md).
bool subjectIsSubsetMatch(std::string_view subject, std::string_view pattern);

}  // namespace gnatsd::server
