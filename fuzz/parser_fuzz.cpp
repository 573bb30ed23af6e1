// Go: none (fuzzes server/parser.go of gnatsd v1.0.0)
// libFuzzer target for the protocol state machine, white-box: bytes go to
// client::parse() of a client with no socket and no server, cut into reads
// at boundaries chosen by the input itself.
//
// Input layout:
//   byte 0      flags: bit 0 = route connection (MSG, INFO, +OK/-ERR paths),
//               bit 1 = max_payload 256 instead of 1 MB
//   byte 1      n = (byte & 7): how many read sizes follow
//   n bytes     read sizes, used in turn; 0 means "all that is left"
//   the rest    the bytes of the connection
// With n == 0 everything is one read.
//
// After an error or once the client has closed itself (-ERR from a route, a
// bad CONNECT...), the remaining reads go to a fresh client, as a new
// connection would (up to kMaxClientsPerRun clients per input). Each read
// is copied into a heap block of exactly its size and freed after parse(),
// so ASan catches any view kept into an old read buffer or any read past
// its end.
//
// Beyond "no crash, no leak, no UB", one oracle: when neither run meets an
// error, parsing the bytes in one read and in the chosen reads must leave
// the same parser state and the same number of subscriptions.
// (fuzz/corpus/parser/split_payload_end_state taught us that MSG_PAYLOAD
// and MSG_END must count as one state there; split_stray_cr_in_line found a
// real split-read bug, see TestParseStrayCRSameForEverySplit.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "server/client.h"
#include "server/errors.h"
#include "server/net.h"
#include "test/helpers/client_peer.h"

using gnatsd::server::client;
using gnatsd::server::ClientType;
using gnatsd::server::Error;
using gnatsd::server::Fd;
using gnatsd::server::peer;

namespace {

// Connections one input may open, one after each failure.
constexpr int kMaxClientsPerRun = 8;

struct Setup {
  ClientType typ;
  bool smallPayload;
};

std::shared_ptr<client> freshClient(const Setup& s) {
  auto c = std::make_shared<client>(nullptr, Fd(), s.typ);
  c->initClient();
  if (s.smallPayload) peer(c).setMaxPayload(256);
  return c;
}

// What a run over the whole input ended with.
struct Outcome {
  bool failed = false;  // some read returned an error or closed the client
  int state = 0;
  size_t subs = 0;
};

// Feeds data in reads of the given sizes (cycled); an empty list means one
// read. A fresh client takes over after each failure.
Outcome run(const Setup& s, std::string_view data, const std::vector<size_t>& sizes) {
  Outcome out;
  auto c = freshClient(s);
  int clients = 1;
  size_t off = 0;
  size_t k = 0;
  while (off < data.size()) {
    size_t n = data.size() - off;
    if (!sizes.empty()) {
      size_t want = sizes[k++ % sizes.size()];
      if (want != 0 && want < n) n = want;
    }
    // Exactly n bytes on the heap: a stale view or an overread is an ASan report.
    auto chunk = std::make_unique<char[]>(n);
    std::memcpy(chunk.get(), data.data() + off, n);
    Error err = c->parse(std::string_view(chunk.get(), n));
    chunk.reset();
    off += n;
    if (err || c->isClosed()) {
      out.failed = true;
      // Creating a client costs ~20 us (std::random_device): without a
      // cap, junk read a byte at a time makes thousands per input.
      if (++clients > kMaxClientsPerRun) break;
      // Ends it the way the reader thread does: breaks the reference
      // cycles (subscriptions, pending flushes) so LeakSanitizer stays quiet.
      c->finishConnection();
      c = freshClient(s);
    }
  }
  // With the whole payload in hand the parser is in MSG_PAYLOAD or MSG_END
  // depending on where the read ended (it moves on only at the next byte);
  // both wait for the same "\r\n", so they count as one state.
  out.state = peer(c).state() == gnatsd::server::MSG_END ? gnatsd::server::MSG_PAYLOAD : peer(c).state();
  out.subs = c->numSubs();
  c->finishConnection();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Setup setup{(data[0] & 1) ? gnatsd::server::ROUTER : gnatsd::server::CLIENT, (data[0] & 2) != 0};
  const size_t nsizes = data[1] & 7;
  if (size < 2 + nsizes) return 0;
  std::vector<size_t> sizes(data + 2, data + 2 + nsizes);
  const std::string_view proto(reinterpret_cast<const char*>(data) + 2 + nsizes, size - 2 - nsizes);

  const Outcome split = run(setup, proto, sizes);
  if (sizes.empty()) return 0;
  const Outcome whole = run(setup, proto, {});
  if (!split.failed && !whole.failed && (split.state != whole.state || split.subs != whole.subs)) {
    std::fprintf(stderr, "parser_fuzz: split reads disagree with one read: state %d vs %d, subs %zu vs %zu\n",
                 split.state, whole.state, split.subs, whole.subs);
    std::abort();
  }
  return 0;
}
