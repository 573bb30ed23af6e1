// Go: server/parser.go (gnatsd v1.0.0)
// The byte-at-a-time protocol state machine of a client or route connection.
#include <cstddef>
#include <cstring>

#include "server/client.h"
#include "server/const.h"
#include "server/gofmt.h"
#include "server/server.h"
#include "server/util.h"

namespace gnatsd::server {

namespace {
// Room for a split control line before a split payload needs its own buffer
// (Go: the 1024-byte scratch array shared by argBuf and msgBuf).
constexpr size_t kScratchSize = MAX_CONTROL_LINE_SIZE;
}  // namespace

std::string protoSnippet(size_t start, std::string_view buf) {
  size_t stop = start + PROTO_SNIPPET_SIZE;
  if (start >= buf.size()) return "\"\"";
  // Go stops one byte short of the end when the window runs past it.
  if (stop > buf.size()) stop = buf.size() - 1;
  return quoteGo(buf.substr(start, stop - start));
}

Error client::parse(std::string_view buf) {
  // Signed indexes: after a PUB line the index jumps by the payload size,
  // and for an empty payload it lands before the start of the payload.
  ptrdiff_t i = 0;
  const ptrdiff_t len = static_cast<ptrdiff_t>(buf.size());
  size_t mcl = MAX_CONTROL_LINE_SIZE;
  if (srv_) mcl = static_cast<size_t>(srv_->getOpts()->MaxControlLine);
  // A pending auth timer means the first op must be CONNECT; re-read after
  // each CONNECT.
  bool authSet = isAuthTimerSet();
  // Where the current argument starts in buf. Go keeps it in the client
  // (c.as), but no call reads a value an earlier call left behind.
  ptrdiff_t as = 0;

  // The argument of the control line that just ended.
  auto argOf = [&](bool keepArgBuf) -> std::string_view {
    if (haveArgBuf_) {
      if (!keepArgBuf) haveArgBuf_ = false;
      return argBuf_;
    }
    return buf.substr(static_cast<size_t>(as), static_cast<size_t>(i - drop_ - as));
  };
  // Deviation from 1.0.0: drop_ says "the last byte was a CR", so only a CR
  // right before the LF is dropped. A CR followed by anything else is part
  // of the argument; 1.0.0 dropped the byte before the LF instead, or, for a
  // line cut across reads, the CR or the byte before the cut, so the same
  // bytes meant different things depending on the reads (found by
  // fuzz/parser_fuzz.cpp). A CR left out of argBuf_ at the end of a read goes
  // back in here once the next byte shows it was not the line's end.
  auto keepStrayCR = [&] {
    if (drop_ && haveArgBuf_) argBuf_.push_back('\r');
    drop_ = 0;
  };
  // One byte of a control line's argument. True at the LF that ends the
  // line; a CR is held back (drop_) until the next byte shows whether it
  // was the line's end.
  //
  // Fast path: with nothing held aside (no argBuf_, no pending CR), the
  // per-byte steps only move i and note a trailing CR, so jump straight to
  // the LF (or to the end of the read) with memchr.
  auto argLineEnds = [&](char b) {
    if (b == '\n') return true;
    if (!haveArgBuf_ && !drop_) {
      const char* lf = static_cast<const char*>(
          std::memchr(buf.data() + i, '\n', static_cast<size_t>(len - i)));
      const ptrdiff_t end = lf ? lf - buf.data() : len;
      drop_ = buf[static_cast<size_t>(end - 1)] == '\r' ? 1 : 0;
      i = lf ? end : len - 1;
      return lf != nullptr;
    }
    keepStrayCR();
    if (b == '\r') {
      drop_ = 1;
    } else if (haveArgBuf_) {
      argBuf_.push_back(b);
    }
    return false;
  };
  // Deviation from 1.0.0 (docs/DEVIATIONS.md): a complete control line is
  // held to max_control_line too, not only one split across reads.
  auto overMaxControlLine = [&](std::string_view arg) {
    return typ_ == CLIENT && mcl > 0 && arg.size() > mcl;
  };

  for (i = 0; i < len; ++i) {
    const char b = buf[static_cast<size_t>(i)];
    switch (state_) {
      case OP_START:
        if (b != 'C' && b != 'c' && authSet) goto authErr;
        switch (b) {
          case 'P': case 'p': state_ = OP_P; break;
          case 'S': case 's': state_ = OP_S; break;
          case 'U': case 'u': state_ = OP_U; break;
          case 'M': case 'm':
            if (typ_ == CLIENT) goto parseErr;
            state_ = OP_M;
            break;
          case 'C': case 'c': state_ = OP_C; break;
          case 'I': case 'i': state_ = OP_I; break;
          case '+': state_ = OP_PLUS; break;
          case '-': state_ = OP_MINUS; break;
          default: goto parseErr;
        }
        break;
      case OP_P:
        switch (b) {
          case 'U': case 'u': state_ = OP_PU; break;
          case 'I': case 'i': state_ = OP_PI; break;
          case 'O': case 'o': state_ = OP_PO; break;
          default: goto parseErr;
        }
        break;
      case OP_PU:
        if (b != 'B' && b != 'b') goto parseErr;
        state_ = OP_PUB;
        break;
      case OP_PUB:
        if (b != ' ' && b != '\t') goto parseErr;
        state_ = OP_PUB_SPC;
        break;
      case OP_PUB_SPC:
        if (b == ' ' || b == '\t') continue;
        state_ = PUB_ARG;
        as = i;
        break;
      case PUB_ARG:
        if (!argLineEnds(b)) break;
        {
          // The arguments stay referenced by pa_ until the payload is done,
          // so argBuf_ is kept.
          std::string_view arg = argOf(true);
          if (overMaxControlLine(arg)) {
            maxControlLineViolation();
            return ErrMaxControlLine;
          }
          if (Error err = processPub(arg)) return err;
          drop_ = 0;
          as = i + 1;
          state_ = MSG_PAYLOAD;
          // Skip straight to the end of the payload when it is all here;
          // otherwise the split handling below takes over.
          if (!haveMsgBuf_) i = as + pa_.size - LEN_CR_LF;
        }
        break;
      case MSG_PAYLOAD:
        if (haveMsgBuf_) {
          ptrdiff_t toCopy = pa_.size - static_cast<ptrdiff_t>(msgBuf_.size());
          ptrdiff_t avail = len - i;
          if (avail < toCopy) toCopy = avail;
          if (toCopy > 0) {
            msgBuf_.append(buf.substr(static_cast<size_t>(i), static_cast<size_t>(toCopy)));
            i += toCopy - 1;
          } else {
            msgBuf_.push_back(b);
          }
          if (static_cast<ptrdiff_t>(msgBuf_.size()) >= pa_.size) state_ = MSG_END;
        } else if (i - as >= pa_.size) {
          state_ = MSG_END;
        }
        break;
      case MSG_END:
        if (b == '\n') {
          std::string_view msg;
          if (haveMsgBuf_) {
            msgBuf_.push_back(b);
            msg = msgBuf_;
          } else {
            msg = buf.substr(static_cast<size_t>(as), static_cast<size_t>(i + 1 - as));
          }
          // The payload must be exactly the announced size plus CRLF.
          if (static_cast<ptrdiff_t>(msg.size()) != pa_.size + LEN_CR_LF) goto parseErr;
          processMsg(msg);
          haveArgBuf_ = false;
          haveMsgBuf_ = false;
          // A huge message's buffer is not kept around for the next one.
          if (msgBuf_.capacity() > maxBufSize) std::string().swap(msgBuf_);
          drop_ = 0;
          as = i + 1;
          state_ = OP_START;
        } else {
          // One byte (the CR) may follow the payload unchecked; a second
          // one can only end in the length error at the LF, so fail now
          // rather than buffer bytes until an LF that may never come.
          const ptrdiff_t have = haveMsgBuf_ ? static_cast<ptrdiff_t>(msgBuf_.size()) : i - as;
          if (have > pa_.size) goto parseErr;
          if (haveMsgBuf_) msgBuf_.push_back(b);
        }
        break;
      case OP_S:
        if (b != 'U' && b != 'u') goto parseErr;
        state_ = OP_SU;
        break;
      case OP_SU:
        if (b != 'B' && b != 'b') goto parseErr;
        state_ = OP_SUB;
        break;
      case OP_SUB:
        if (b != ' ' && b != '\t') goto parseErr;
        state_ = OP_SUB_SPC;
        break;
      case OP_SUB_SPC:
        if (b == ' ' || b == '\t') continue;
        state_ = SUB_ARG;
        as = i;
        break;
      case SUB_ARG:
        if (!argLineEnds(b)) break;
        {
          std::string_view arg = argOf(false);
          if (overMaxControlLine(arg)) {
            maxControlLineViolation();
            return ErrMaxControlLine;
          }
          if (Error err = processSub(arg)) return err;
          drop_ = 0;
          as = i + 1;
          state_ = OP_START;
        }
        break;
      case OP_U:
        if (b != 'N' && b != 'n') goto parseErr;
        state_ = OP_UN;
        break;
      case OP_UN:
        if (b != 'S' && b != 's') goto parseErr;
        state_ = OP_UNS;
        break;
      case OP_UNS:
        if (b != 'U' && b != 'u') goto parseErr;
        state_ = OP_UNSU;
        break;
      case OP_UNSU:
        if (b != 'B' && b != 'b') goto parseErr;
        state_ = OP_UNSUB;
        break;
      case OP_UNSUB:
        if (b != ' ' && b != '\t') goto parseErr;
        state_ = OP_UNSUB_SPC;
        break;
      case OP_UNSUB_SPC:
        if (b == ' ' || b == '\t') continue;
        state_ = UNSUB_ARG;
        as = i;
        break;
      case UNSUB_ARG:
        if (!argLineEnds(b)) break;
        {
          std::string_view arg = argOf(false);
          if (overMaxControlLine(arg)) {
            maxControlLineViolation();
            return ErrMaxControlLine;
          }
          if (Error err = processUnsub(arg)) return err;
          drop_ = 0;
          as = i + 1;
          state_ = OP_START;
        }
        break;
      case OP_PI:
        if (b != 'N' && b != 'n') goto parseErr;
        state_ = OP_PIN;
        break;
      case OP_PIN:
        if (b != 'G' && b != 'g') goto parseErr;
        state_ = OP_PING;
        break;
      case OP_PING:
        // Anything after PING up to the newline is ignored.
        if (b == '\n') {
          processPing();
          drop_ = 0;
          state_ = OP_START;
        }
        break;
      case OP_PO:
        if (b != 'N' && b != 'n') goto parseErr;
        state_ = OP_PON;
        break;
      case OP_PON:
        if (b != 'G' && b != 'g') goto parseErr;
        state_ = OP_PONG;
        break;
      case OP_PONG:
        if (b == '\n') {
          processPong();
          drop_ = 0;
          state_ = OP_START;
        }
        break;
      case OP_C:
        if (b != 'O' && b != 'o') goto parseErr;
        state_ = OP_CO;
        break;
      case OP_CO:
        if (b != 'N' && b != 'n') goto parseErr;
        state_ = OP_CON;
        break;
      case OP_CON:
        if (b != 'N' && b != 'n') goto parseErr;
        state_ = OP_CONN;
        break;
      case OP_CONN:
        if (b != 'E' && b != 'e') goto parseErr;
        state_ = OP_CONNE;
        break;
      case OP_CONNE:
        if (b != 'C' && b != 'c') goto parseErr;
        state_ = OP_CONNEC;
        break;
      case OP_CONNEC:
        if (b != 'T' && b != 't') goto parseErr;
        state_ = OP_CONNECT;
        break;
      case OP_CONNECT:
        // No blank is required between CONNECT and its JSON.
        if (b == ' ' || b == '\t') continue;
        state_ = CONNECT_ARG;
        as = i;
        break;
      case CONNECT_ARG:
        if (!argLineEnds(b)) break;
        {
          std::string_view arg = argOf(false);
          if (Error err = processConnect(arg)) return err;
          drop_ = 0;
          state_ = OP_START;
          authSet = isAuthTimerSet();
        }
        break;
      case OP_M:
        if (b != 'S' && b != 's') goto parseErr;
        state_ = OP_MS;
        break;
      case OP_MS:
        if (b != 'G' && b != 'g') goto parseErr;
        state_ = OP_MSG;
        break;
      case OP_MSG:
        if (b != ' ' && b != '\t') goto parseErr;
        state_ = OP_MSG_SPC;
        break;
      case OP_MSG_SPC:
        if (b == ' ' || b == '\t') continue;
        state_ = MSG_ARG;
        as = i;
        break;
      case MSG_ARG:
        if (!argLineEnds(b)) break;
        {
          std::string_view arg = argOf(true);
          if (Error err = processMsgArgs(arg)) return err;
          drop_ = 0;
          as = i + 1;
          state_ = MSG_PAYLOAD;
          i = as + pa_.size - 1;
        }
        break;
      case OP_I:
        if (b != 'N' && b != 'n') goto parseErr;
        state_ = OP_IN;
        break;
      case OP_IN:
        if (b != 'F' && b != 'f') goto parseErr;
        state_ = OP_INF;
        break;
      case OP_INF:
        if (b != 'O' && b != 'o') goto parseErr;
        state_ = OP_INFO;
        break;
      case OP_INFO:
        if (b == ' ' || b == '\t') continue;
        state_ = INFO_ARG;
        as = i;
        break;
      case INFO_ARG:
        if (!argLineEnds(b)) break;
        {
          std::string_view arg = argOf(false);
          if (Error err = processInfo(arg)) return err;
          drop_ = 0;
          as = i + 1;
          state_ = OP_START;
        }
        break;
      case OP_PLUS:
        if (b != 'O' && b != 'o') goto parseErr;
        state_ = OP_PLUS_O;
        break;
      case OP_PLUS_O:
        if (b != 'K' && b != 'k') goto parseErr;
        state_ = OP_PLUS_OK;
        break;
      case OP_PLUS_OK:
        if (b == '\n') {
          drop_ = 0;
          state_ = OP_START;
        }
        break;
      case OP_MINUS:
        if (b != 'E' && b != 'e') goto parseErr;
        state_ = OP_MINUS_E;
        break;
      case OP_MINUS_E:
        if (b != 'R' && b != 'r') goto parseErr;
        state_ = OP_MINUS_ER;
        break;
      case OP_MINUS_ER:
        if (b != 'R' && b != 'r') goto parseErr;
        state_ = OP_MINUS_ERR;
        break;
      case OP_MINUS_ERR:
        if (b != ' ' && b != '\t') goto parseErr;
        state_ = OP_MINUS_ERR_SPC;
        break;
      case OP_MINUS_ERR_SPC:
        if (b == ' ' || b == '\t') continue;
        state_ = MINUS_ERR_ARG;
        as = i;
        break;
      case MINUS_ERR_ARG:
        if (!argLineEnds(b)) break;
        {
          std::string_view arg = argOf(false);
          processErr(arg);
          drop_ = 0;
          as = i + 1;
          state_ = OP_START;
        }
        break;
      default:
        goto parseErr;
    }
  }

  // The read ended inside a control line: keep what we have of it.
  if (state_ == SUB_ARG || state_ == UNSUB_ARG || state_ == PUB_ARG || state_ == MSG_ARG ||
      state_ == MINUS_ERR_ARG || state_ == CONNECT_ARG || state_ == INFO_ARG) {
    if (!haveArgBuf_) {
      haveArgBuf_ = true;
      argBuf_.assign(buf.substr(static_cast<size_t>(as), static_cast<size_t>(i - drop_ - as)));
    }
    // Bounds the memory a client can make us hold for one line.
    if (argBuf_.size() > mcl) {
      maxControlLineViolation();
      return ErrMaxControlLine;
    }
  }

  // The read ended inside a payload: keep the arguments and the payload so far.
  if ((state_ == MSG_PAYLOAD || state_ == MSG_END) && !haveMsgBuf_) {
    if (!haveArgBuf_) clonePubArg();
    const ptrdiff_t lrem = len - as;
    if (static_cast<size_t>(pa_.size) > kScratchSize - std::min(argBuf_.size(), kScratchSize)) {
      // More bytes than the PUB announced can only come from a rogue client.
      if (lrem > pa_.size + LEN_CR_LF) goto parseErr;
      msgBuf_.reserve(static_cast<size_t>(pa_.size) + LEN_CR_LF);
    }
    msgBuf_.assign(buf.substr(static_cast<size_t>(as)));
    haveMsgBuf_ = true;
  }
  return Error();

authErr:
  authViolation();
  return ErrAuthorization;

parseErr:
  sendErr("Unknown Protocol Operation");
  {
    std::string snip = protoSnippet(static_cast<size_t>(i), buf);
    return Error::New(stringPrintf("%s Parser ERROR, state=%d, i=%td: proto='%s...'", typeString(),
                                   state_, i, snip.c_str()));
  }
}

void client::clonePubArg() {
  // Copy the arguments out of the read buffer, which the next read reuses.
  haveArgBuf_ = true;
  argBuf_.clear();
  argBuf_.append(pa_.subject).append(pa_.reply).append(pa_.sid).append(pa_.szb);
  std::string_view all = argBuf_;
  size_t off = 0;
  auto take = [&](std::string_view& v) {
    size_t n = v.size();
    v = all.substr(off, n);
    off += n;
  };
  take(pa_.subject);
  take(pa_.reply);
  take(pa_.sid);
  take(pa_.szb);
}

}  // namespace gnatsd::server
