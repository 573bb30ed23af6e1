// Go: (none) malformed client input over TCP; expected bytes from gnatsd 1.0.0's
// server/parser.go and server/client.go (fact sheet sections 2.1-2.9, 17).
// One server serves the whole table, a fresh connection per row; after each
// row a long-lived client proves the server still works and the row's
// connection and subscriptions are gone.
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "test/helpers/test_server.h"

using namespace gnatsd::test;
using namespace std::string_literals;

namespace {

// What the row's connection says before the row's bytes.
enum class Pre {
  None,      // nothing: defaults apply (verbose and pedantic on)
  Quiet,     // CONNECT {"verbose":false,"pedantic":false}
  Pedantic,  // CONNECT {"verbose":false,"pedantic":true}
};

// What happens to the connection after the row's bytes.
enum class After {
  Closed,   // the server closes it; the reply is everything before EOF
  Open,     // still open; a PING is sent after the row and its PONG ends the reply
  Pending,  // still open, mid-operation: no PING (it would be parsed as part
            // of the pending operation); the reply is what comes in 150 ms
};

struct Row {
  std::string name;
  Pre pre = Pre::None;
  std::string input;
  std::string expected;  // exact bytes, or an ECMAScript regex if `regex`
  After after = After::Closed;
  bool regex = false;
  bool shutWr = false;                  // shutdown(SHUT_WR) after the input
  std::function<void(Server&)> check;  // runs before the row's socket closes
};

const std::string UPO = "-ERR 'Unknown Protocol Operation'\r\n";
const std::string PE = "-ERR 'Parser Error'\r\n";
const std::string OK = "+OK\r\n";
const std::string MCLE = "-ERR 'Maximum Control Line Exceeded'\r\n";
const std::string MPV = "-ERR 'Maximum Payload Violation'\r\n";
const std::string INV = "-ERR 'Invalid Subject'\r\n";
const std::string IBP = "-ERR 'Invalid Client Protocol'\r\n";
std::string pubPerm(const std::string& subj) {
  return "-ERR 'Permissions Violation for Publish to \"" + subj + "\"'\r\n";
}

// Bytes made readable for failure messages.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch < 0x20 || ch >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", ch);
      out += b;
    } else {
      out += static_cast<char>(ch);
    }
  }
  if (out.size() > 600) out = out.substr(0, 600) + "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

Row closed(std::string name, Pre pre, std::string in, std::string out) {
  return Row{std::move(name), pre, std::move(in), std::move(out), After::Closed, false, false, {}};
}
Row open(std::string name, Pre pre, std::string in, std::string out) {
  return Row{std::move(name), pre, std::move(in), std::move(out), After::Open, false, false, {}};
}
Row pending(std::string name, Pre pre, std::string in, std::string out = "") {
  return Row{std::move(name), pre, std::move(in), std::move(out), After::Pending, false, false, {}};
}
Row halfClosed(std::string name, Pre pre, std::string in, std::string out) {
  return Row{std::move(name), pre, std::move(in), std::move(out), After::Closed, false, true, {}};
}

// The table. max_control_line is 256 (DefaultTestOptions), max_payload 1 MiB.
std::vector<Row> badInputRows() {
  std::vector<Row> r;
  const Pre N = Pre::None, Q = Pre::Quiet, P = Pre::Pedantic;

  // --- unknown ops and broken keywords: -ERR UPO, then -ERR PE, then close
  r.push_back(closed("unknown op FOO", N, "FOO\r\n", UPO + PE));
  r.push_back(closed("unknown op HELLO after CONNECT", Q, "HELLO world\r\n", UPO + PE));
  r.push_back(closed("garbage without newline", Q, "ZZZ", UPO + PE));
  r.push_back(closed("PUBS: PUB without the required blank", Q, "PUBS foo 2\r\nok\r\n", UPO + PE));
  r.push_back(closed("SUBZZZ: SUB without the required blank", Q, "SUBZZZ foo 1\r\n", UPO + PE));
  r.push_back(closed("UNSUBX: UNSUB without the required blank", Q, "UNSUBX 1\r\n", UPO + PE));
  r.push_back(closed("PUB then CRLF, no blank", Q, "PUB\r\n", UPO + PE));
  r.push_back(closed("UNSUB then CRLF, no blank", Q, "UNSUB\r\n", UPO + PE));
  r.push_back(closed("PINX", N, "PINX\r\n", UPO + PE));
  r.push_back(closed("PONX", N, "PONX\r\n", UPO + PE));
  r.push_back(closed("P alone", N, "P\r\n", UPO + PE));
  r.push_back(closed("CONNEC without T", N, "CONNEC {}\r\n", UPO + PE));
  r.push_back(closed("MSG from a client", N, "MSG foo 1 2\r\nok\r\n", UPO + PE));
  r.push_back(closed("msg (lowercase) from a client", Q, "msg foo 1 2\r\nok\r\n", UPO + PE));
  r.push_back(closed("+X", N, "+X\r\n", UPO + PE));
  r.push_back(closed("-ERR without a blank", N, "-ERR\r\n", UPO + PE));
  r.push_back(closed("-EX", N, "-EX 'x'\r\n", UPO + PE));
  r.push_back(closed("empty line", N, "\r\n", UPO + PE));
  r.push_back(closed("bare LF line", N, "\n", UPO + PE));
  r.push_back(closed("leading blank before op", N, " PING\r\n", UPO + PE));
  r.push_back(closed("leading tab before op", Q, "\tPING\r\n", UPO + PE));

  // --- binary garbage
  r.push_back(closed("single NUL byte", N, "\0"s, UPO + PE));
  r.push_back(closed("0xff 0xfe 0xfd", N, "\xff\xfe\xfd\r\n", UPO + PE));
  r.push_back(closed("NUL inside PING", N, "PI\0NG\r\n"s, UPO + PE));
  r.push_back(closed("binary after a valid PING", N, "PING\r\n\0\x01"s, "PONG\r\n" + UPO + PE));
  r.push_back(closed("UTF-8 op", Q, "P\xc3\x9c" "B foo 2\r\nok\r\n", UPO + PE));

  // --- -ERR from the client: logged, connection closed, nothing sent
  r.push_back(closed("-ERR from client closes silently", N, "-ERR 'boom'\r\n", ""));
  r.push_back(closed("-ERR with tab", Q, "-ERR\tboom\r\n", ""));
  r.push_back(closed("-err lowercase", Q, "-err 'boom'\r\n", ""));
  r.push_back(closed("-ERR flushes earlier +OK, later ops ignored", N, "SUB foo 1\r\n-ERR 'x'\r\nPING\r\n", OK));

  // --- ops that are valid in 1.0.0: case, blanks, line ends
  r.push_back(open("lowercase ops", Q, "sub foo 1\r\npub foo 2\r\nok\r\nping\r\n", "MSG foo 1 2\r\nok\r\nPONG\r\n"));
  r.push_back(open("mixed-case ops", N,
                   "cOnNeCt {\"verbose\":false,\"pedantic\":false}\r\nSuB foo 1\r\npUb foo 2\r\nok\r\n"
                   "UnSuB 1\r\nPuB foo 2\r\nok\r\nPiNg\r\n",
                   "MSG foo 1 2\r\nok\r\nPONG\r\n"));
  r.push_back(open("tabs as separators", Q, "SUB\tfoo\t1\r\nPUB\tfoo\t2\r\nok\r\n", "MSG foo 1 2\r\nok\r\n"));
  r.push_back(open("runs of blanks", Q, "SUB \t foo \t 1 \t\r\nPUB \t foo\t \t2\t\r\nok\r\n", "MSG foo 1 2\r\nok\r\n"));
  r.push_back(open("bare LF line endings", Q, "SUB foo 1\nPUB foo 2\nok\r\nPING\n", "MSG foo 1 2\r\nok\r\nPONG\r\n"));
  r.push_back(open("payload terminator bytes forwarded verbatim", Q, "SUB foo 1\r\nPUB foo 2\r\nokX\n",
                   "MSG foo 1 2\r\nokX\n"));
  r.push_back(open("PING with trailing text", N, "PING xyz\r\n", "PONG\r\n"));
  r.push_back(open("PINGPONG is a PING", N, "PINGPONG\r\n", "PONG\r\n"));
  r.push_back(open("PONG with trailing text ignored", N, "PONG whatever\r\n", ""));
  r.push_back(open("+OK from client ignored", N, "+OK\r\n", ""));
  r.push_back(open("+okay with trailing text ignored", N, "+okay whatever\r\n", ""));
  r.push_back(open("INFO from client ignored", N, "INFO {\"server_id\":\"x\",\"port\":1}\r\n", ""));
  r.push_back(open("INFO null ignored", N, "INFO null\r\n", ""));
  r.push_back(open("PUB with reply", Q, "SUB foo 1\r\nPUB foo bar 2\r\nok\r\n", "MSG foo 1 bar 2\r\nok\r\n"));
  r.push_back(open("queue group picks one member", Q, "SUB foo g 1\r\nSUB foo g 2\r\nPUB foo 2\r\nok\r\n",
                   R"(MSG foo [12] 2\r\nok\r\n)"));
  r.back().regex = true;

  // --- INFO from the client with bad JSON: -ERR PE, close
  r.push_back(closed("INFO malformed JSON", N, "INFO {bad\r\n", PE));
  r.push_back(closed("INFO array", N, "INFO [1,2]\r\n", PE));
  r.push_back(closed("INFO empty", N, "INFO\r\n", PE));

  // --- wrong argument counts: -ERR PE, close
  r.push_back(closed("PUB one arg", Q, "PUB foo\r\n", PE));
  r.push_back(closed("PUB blank args", Q, "PUB \r\n", PE));
  r.push_back(closed("PUB four args", Q, "PUB foo bar baz 2\r\nok\r\n", PE));
  r.push_back(closed("SUB one arg", Q, "SUB foo\r\n", PE));
  r.push_back(closed("SUB blank args", Q, "SUB   \r\n", PE));
  r.push_back(closed("SUB four args", Q, "SUB foo q 1 extra\r\n", PE));
  r.push_back(closed("SUB five args", Q, "SUB a b c d e\r\n", PE));
  r.push_back(closed("UNSUB blank args", Q, "UNSUB \r\n", PE));
  r.push_back(closed("UNSUB three args", Q, "UNSUB 1 2 3\r\n", PE));
  r.push_back(closed("SUB one arg after verbose SUB", N, "SUB foo 1\r\nSUB foo\r\n", OK + PE));

  // --- bad sizes: -ERR PE, close
  r.push_back(closed("size letters", Q, "PUB foo abc\r\nok\r\n", PE));
  r.push_back(closed("size negative", Q, "PUB foo -1\r\n", PE));
  r.push_back(closed("size with plus sign", Q, "PUB foo +2\r\nok\r\n", PE));
  r.push_back(closed("size hex", Q, "PUB foo 0x2\r\nok\r\n", PE));
  r.push_back(closed("size digits then letter", Q, "PUB foo 2a\r\nok\r\n", PE));
  r.push_back(closed("size missing after reply", Q, "PUB foo bar x\r\n", PE));
  r.push_back(closed("size decimal point", Q, "PUB foo 2.0\r\nok\r\n", PE));

  // --- max_payload (1 MiB): over it -ERR MPV + close, at it fine
  r.push_back(closed("size one over max_payload", Q, "PUB foo 1048577\r\n", MPV));
  r.push_back(closed("size over max_payload with reply, verbose", N, "PUB foo bar 2000000\r\n", MPV));
  r.push_back(open("payload of exactly max_payload", Q, "PUB foo 1048576\r\n" + std::string(1048576, 'p') + "\r\n", ""));

  // --- payload framing
  r.push_back(closed("payload longer than announced", Q, "PUB foo 2\r\nhello\r\n", UPO + PE));
  r.push_back(closed("payload shorter: next op swallowed", Q, "PUB foo 5\r\nok\r\nPING\r\n", UPO + PE));
  r.push_back(closed("zero size, CRLF missing", Q, "PUB foo 0\r\nPING\r\n", UPO + PE));
  r.push_back(pending("payload shorter: server waits", Q, "PUB foo 5\r\nok\r\n"));
  r.push_back(pending("payload terminator missing: server waits", N, "PUB foo 2\r\nok"));
  r.push_back(open("zero-length payload", Q, "SUB foo 1\r\nPUB foo 0\r\n\r\n", "MSG foo 1 0\r\n\r\n"));
  r.push_back(open("binary payload with CRLF and NUL inside", Q, "SUB foo 1\r\nPUB foo 6\r\n\0\r\n\xff\r\n\r\n"s,
                   "MSG foo 1 6\r\n\0\r\n\xff\r\n\r\n"s));
  r.push_back(open("NUL byte inside a subject", Q, "SUB a\0b 1\r\nPUB a\0b 2\r\nok\r\n"s, "MSG a\0b 1 2\r\nok\r\n"s));

  // --- CONNECT JSON
  r.push_back(closed("CONNECT malformed JSON", N, "CONNECT {\"verbose\":}\r\n", PE));
  r.push_back(closed("CONNECT unterminated JSON", N, "CONNECT {\"verbose\":false\r\n", PE));
  r.push_back(closed("CONNECT verbose as string", N, "CONNECT {\"verbose\":\"yes\"}\r\n", PE));
  r.push_back(closed("CONNECT pedantic as number", N, "CONNECT {\"pedantic\":1}\r\n", PE));
  r.push_back(closed("CONNECT user as number", N, "CONNECT {\"user\":5}\r\n", PE));
  r.push_back(closed("CONNECT protocol as string", N, "CONNECT {\"protocol\":\"1\"}\r\n", PE));
  r.push_back(closed("CONNECT protocol as float", N, "CONNECT {\"protocol\":1.5}\r\n", PE));
  r.push_back(closed("CONNECT protocol 2", N, "CONNECT {\"protocol\":2}\r\n", IBP));
  r.push_back(closed("CONNECT protocol -1", N, "CONNECT {\"protocol\":-1}\r\n", IBP));
  r.push_back(closed("CONNECT array", N, "CONNECT [1,2]\r\n", PE));
  r.push_back(closed("CONNECT string", N, "CONNECT \"hi\"\r\n", PE));
  r.push_back(closed("CONNECT number", N, "CONNECT 42\r\n", PE));
  r.push_back(closed("CONNECT true", N, "CONNECT true\r\n", PE));
  r.push_back(closed("CONNECT without JSON", N, "CONNECT\r\n", PE));
  r.push_back(closed("CONNECT blank JSON", N, "CONNECT   \r\n", PE));
  r.push_back(closed("CONNECT trailing garbage", N, "CONNECT {} x\r\n", PE));
  r.push_back(closed("CONNECTX: no blank needed, so X starts the JSON", N, "CONNECTX {}\r\n", PE));
  r.push_back(open("CONNECT protocol 1", N, "CONNECT {\"protocol\":1}\r\n", OK));
  r.push_back(open("CONNECT null keeps defaults", N, "CONNECT null\r\n", OK));
  r.push_back(open("CONNECT {} keeps verbose", N, "CONNECT {}\r\n", OK));
  r.push_back(open("CONNECT{} without blank", N, "CONNECT{}\r\n", OK));
  r.push_back(open("CONNECT verbose null keeps verbose", N, "CONNECT {\"verbose\":null}\r\n", OK));
  r.push_back(open("CONNECT unknown keys ignored", N, "CONNECT {\"foo\":\"bar\",\"verbose\":false}\r\n", ""));
  r.push_back(open("CONNECT keys are case-insensitive", N, "CONNECT {\"VERBOSE\":false}\r\n", ""));
  r.push_back(open("CONNECT twice", Q, "CONNECT {\"verbose\":true}\r\n", OK));
  r.push_back(open("CONNECT duplicate key: the last wins", N, "CONNECT {\"verbose\":false,\"verbose\":true}\r\n", OK));
  r.push_back(open("CONNECT protocol -0", N, "CONNECT {\"protocol\":-0}\r\n", OK));
  r.push_back(closed("CONNECT control byte inside a string", N, "CONNECT {\"name\":\"a\x01b\"}\r\n", PE));
  r.push_back(closed("+O then CRLF", N, "+O\r\n", UPO + PE));

  // --- max_control_line 256, on a line split across reads (1.0.0 too)
  r.push_back(closed("PUB line over max, unterminated", Q, "PUB foo " + std::string(320, '2'), MCLE));
  r.push_back(closed("SUB line over max, unterminated", Q, "SUB foo " + std::string(300, 'x'), MCLE));
  r.push_back(closed("UNSUB line over max, unterminated", Q, "UNSUB " + std::string(300, 'u'), MCLE));
  r.push_back(closed("CONNECT line over max, unterminated", N, "CONNECT {\"name\":\"" + std::string(300, 'n'), MCLE));
  r.push_back(closed("INFO line over max, unterminated", N, "INFO " + std::string(300, 'i'), MCLE));
  r.push_back(closed("-ERR line over max, unterminated", N, "-ERR " + std::string(300, 'e'), MCLE));
  r.push_back(pending("line under max, unterminated: server waits", Q, "SUB foo 1"));
  // Deviation from 1.0.0 (which accepted these): complete lines are held to
  // the limit too.
  r.push_back(closed("SUB line of 257, complete", Q, "SUB " + std::string(255, 'a') + " 1\r\n", MCLE));
  r.push_back(closed("PUB line over max, complete", Q, "PUB foo " + std::string(300, 'r') + " 2\r\nok\r\n", MCLE));
  r.push_back(closed("UNSUB line over max, complete", Q, "UNSUB " + std::string(300, '1') + "\r\n", MCLE));
  r.push_back(closed("over max after verbose SUB: +OK first", N,
                     "SUB foo 1\r\nSUB " + std::string(300, 'b') + " 2\r\n", OK + MCLE));
  {
    const std::string subj(254, 'a');  // "<subj> 1" and "<subj> 2" are 256 bytes
    r.push_back(open("SUB and PUB lines of exactly 256", Q, "SUB " + subj + " 1\r\nPUB " + subj + " 2\r\nok\r\n",
                     "MSG " + subj + " 1 2\r\nok\r\n"));
  }

  // --- subjects
  r.push_back(open("SUB empty middle token", N, "SUB foo..bar 1\r\n", INV));
  r.push_back(open("SUB leading dot", N, "SUB .foo 1\r\n", INV));
  r.push_back(open("SUB trailing dot", N, "SUB foo. 1\r\n", INV));
  r.push_back(open("SUB single dot", N, "SUB . 1\r\n", INV));
  r.push_back(open("SUB > not last", N, "SUB foo.>.bar 1\r\n", INV));
  r.push_back(open("SUB empty token, pedantic off", Q, "SUB foo..bar 1\r\n", INV));
  r.push_back(open("PUB empty token, pedantic: -ERR then +OK", N, "PUB foo..bar 2\r\nok\r\n", INV + OK));
  r.push_back(open("PUB empty token, pedantic: not delivered", P, "SUB m.*.n 1\r\nPUB m..n 2\r\nok\r\n", INV));
  r.push_back(open("PUB empty token, pedantic off: delivered", Q, "SUB m.*.n 1\r\nPUB m..n 2\r\nok\r\n",
                   "MSG m..n 1 2\r\nok\r\n"));
  r.push_back(open("PUB * subject, pedantic", N, "PUB foo.* 2\r\nok\r\n", INV + OK));
  r.push_back(open("PUB > subject, pedantic", N, "PUB foo.> 2\r\nok\r\n", INV + OK));
  r.push_back(open("PUB * subject, pedantic off: reaches a * sub", Q, "SUB foo.* 1\r\nPUB foo.* 2\r\nok\r\n",
                   "MSG foo.* 1 2\r\nok\r\n"));
  r.push_back(open("PUB * subject, pedantic off: not a literal sub", Q, "SUB foo.bar 1\r\nPUB foo.* 2\r\nok\r\n", ""));
  // 1.0.0 classifies a token by its first byte: "*bar" is a '*', ">bar" a '>'.
  r.push_back(open("SUB token *bar acts as *", Q, "SUB foo.*bar 1\r\nPUB foo.xyz 2\r\nok\r\n", "MSG foo.xyz 1 2\r\nok\r\n"));
  r.push_back(open("SUB token >bar acts as >", Q, "SUB foo.>bar 1\r\nPUB foo.x.y 2\r\nok\r\n", "MSG foo.x.y 1 2\r\nok\r\n"));
  r.push_back(open("SUB token >bar not last", Q, "SUB foo.>bar.baz 1\r\n", INV));
  r.push_back(open("PUB _SYS. refused", N, "PUB _SYS.foo 2\r\nok\r\n", pubPerm("_SYS.foo")));
  r.push_back(open("PUB _SYS. refused, not delivered", Q, "SUB _SYS.foo 1\r\nPUB _SYS.foo 2\r\nok\r\n",
                   pubPerm("_SYS.foo")));
  r.push_back(open("PUB _SYS. (pedantic): two errors", N, "PUB _SYS. 2\r\nok\r\n", INV + pubPerm("_SYS.")));
  r.push_back(open("PUB _SYS alone allowed", N, "PUB _SYS 2\r\nok\r\n", OK));
  r.push_back(open("PUB _sys. lowercase allowed", N, "PUB _sys.foo 2\r\nok\r\n", OK));

  // --- UNSUB and sids
  r.push_back(open("UNSUB unknown sid", N, "UNSUB 99\r\n", OK));
  r.push_back(open("UNSUB bad max removes at once", Q, "SUB foo 1\r\nUNSUB 1 abc\r\nPUB foo 2\r\nok\r\n", ""));
  r.push_back(open("UNSUB max 0 removes at once", Q, "SUB foo 1\r\nUNSUB 1 0\r\nPUB foo 2\r\nok\r\n", ""));
  r.push_back(open("UNSUB negative max removes at once", Q, "SUB foo 1\r\nUNSUB 1 -5\r\nPUB foo 2\r\nok\r\n", ""));
  r.push_back(open("duplicate sid keeps the first SUB", N, "SUB foo 1\r\nSUB bar 1\r\nPUB bar 2\r\nok\r\n", OK + OK + OK));
  {
    std::string subs, oks;
    for (int i = 0; i < 1000; i++) {
      subs += "SUB many." + std::to_string(i) + " " + std::to_string(i) + "\r\n";
      oks += OK;
    }
    r.push_back(open("1000 SUBs in one write", N, subs, oks));
    r.back().check = [](Server& s) { CHECK(s.NumSubscriptions() == 1 + 1000); };
  }

  // --- half-closed sockets (shutdown(SHUT_WR) after the input)
  r.push_back(halfClosed("half-close inside a PUB payload", Q, "PUB foo 10\r\nhel", ""));
  r.push_back(halfClosed("half-close inside a control line", Q, "SUB fo", ""));
  r.push_back(halfClosed("half-close before payload CRLF", N, "PUB foo 2\r\nok", ""));
  r.push_back(halfClosed("half-close after complete ops: replies first", N, "SUB foo 1\r\nPING\r\n", OK + "PONG\r\n"));
  r.push_back(halfClosed("half-close after a PUB to itself", N, "SUB foo 1\r\nPUB foo 2\r\nok\r\n",
                         OK + OK + "MSG foo 1 2\r\nok\r\n"));
  r.push_back(halfClosed("half-close right after INFO", N, "", ""));

  return r;
}

// Rows that once showed gnatsd-cpp differing from gnatsd 1.0.0 (64-bit
// sizes, Go's JSON decoder); kept apart as the regression set for those fixes.
std::vector<Row> goCompatibilityRows() {
  std::vector<Row> r;
  const Pre N = Pre::None, Q = Pre::Quiet;
  // Go's int is 64 bits: these sizes parse and exceed max_payload.
  r.push_back(closed("size 2147483648 (over int32)", Q, "PUB foo 2147483648\r\n", MPV));
  r.push_back(closed("size 4294967296", Q, "PUB foo 4294967296\r\n", MPV));
  // 20 digits: wraps in Go to 7766279631452241919, still over max_payload.
  r.push_back(closed("size 99999999999999999999", Q, "PUB foo 99999999999999999999\r\n", MPV));
  // Go's int: 4294967297 is a valid int, just not 0 or 1.
  r.push_back(closed("CONNECT protocol 4294967297", N, "CONNECT {\"protocol\":4294967297}\r\n", IBP));
  // Go unmarshals INFO into its Info struct: a wrongly typed known field fails.
  r.push_back(closed("INFO wrongly typed field", N, "INFO {\"port\":\"x\"}\r\n", PE));
  // Go's encoding/json replaces invalid UTF-8 in strings instead of failing.
  r.push_back(open("CONNECT invalid UTF-8 in a string", N, "CONNECT {\"name\":\"\xff\"}\r\n", OK));
  // ... and a lone UTF-16 surrogate escape likewise (U+FFFD).
  r.push_back(open("CONNECT lone surrogate escape", N, "CONNECT {\"name\":\"\\ud800\"}\r\n", OK));
  // Go's decoder does not skip a byte-order mark.
  r.push_back(closed("CONNECT with a UTF-8 BOM", N, "CONNECT \xEF\xBB\xBF{}\r\n", PE));
  // UNSUB's max is parsed with the same parseSize: 3000000000 is a valid
  // limit in Go, so the subscription stays until then.
  r.push_back(open("UNSUB max 3000000000 defers", Q, "SUB foo 1\r\nUNSUB 1 3000000000\r\nPUB foo 2\r\nok\r\n",
                   "MSG foo 1 2\r\nok\r\n"));
  return r;
}

void runRow(Server& s, const Row& r) {
  INFO("row: " << r.name);
  INFO("input: " << printable(r.input));
  Conn c = createClientConn(s);
  auto info = c.readUntil(infoRe, 2s);
  REQUIRE(info.has_value());
  CHECK(c.buffer().empty());

  const char* connect = nullptr;
  if (r.pre == Pre::Quiet) connect = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n";
  if (r.pre == Pre::Pedantic) connect = "CONNECT {\"verbose\":false,\"pedantic\":true}\r\nPING\r\n";
  if (connect) {
    REQUIRE(c.send(connect));
    auto pong = c.readUntil(pongRe, 2s);
    REQUIRE(pong.has_value());
    REQUIRE(*pong == "PONG\r\n");
  }

  if (!r.input.empty()) CHECK(c.send(r.input));
  if (r.shutWr) ::shutdown(c.fd(), SHUT_WR);

  std::string want = r.expected;
  bool eof = false;
  switch (r.after) {
    case After::Closed:
      eof = c.waitClosed(3s);
      break;
    case After::Open: {
      CHECK(c.send("PING\r\n"));
      const std::regex re = r.regex ? std::regex(r.expected + R"(PONG\r\n)") : std::regex();
      auto done = [&] {
        const std::string& b = c.buffer();
        if (r.regex) return std::regex_match(b, re);
        return b.size() >= want.size() + 6 && b.compare(b.size() - 6, 6, "PONG\r\n") == 0;
      };
      auto deadline = std::chrono::steady_clock::now() + 3s;
      while (!done() && std::chrono::steady_clock::now() < deadline) {
        if (!c.readSome(50ms)) {
          eof = true;
          break;
        }
      }
      want += "PONG\r\n";
      break;
    }
    case After::Pending: {
      auto deadline = std::chrono::steady_clock::now() + 150ms;
      while (std::chrono::steady_clock::now() < deadline) {
        if (!c.readSome(10ms)) {
          eof = true;
          break;
        }
      }
      break;
    }
  }

  const std::string& got = c.buffer();
  INFO("expected: " << printable(want) << (r.regex ? "  (regex)" : ""));
  INFO("received: " << printable(got) << (eof ? "  <EOF>" : "  <still open>"));
  if (r.regex) {
    CHECK(std::regex_match(got, std::regex(want)));
  } else {
    CHECK(got == want);
  }
  CHECK(eof == (r.after == After::Closed));
  if (r.check) r.check(s);
  c.close();
}

// The long-lived client: a pub/sub round trip and a PING/PONG.
void checkHealthy(Server& s, Conn& h) {
  REQUIRE(h.send("PUB health 2\r\nhi\r\nPING\r\n"));
  auto got = h.readUntil(pongRe, 2s);
  INFO("healthy client received: " << printable(got.value_or(h.buffer())));
  REQUIRE(got.has_value());
  REQUIRE(*got == "MSG health 1 2\r\nhi\r\nPONG\r\n");
  // The row's connection and everything it subscribed to are gone.
  bool clean = checkFor(2s, 1ms, [&] { return s.NumClients() == 1 && s.NumSubscriptions() == 1; });
  INFO("NumClients " << s.NumClients() << ", NumSubscriptions " << s.NumSubscriptions());
  CHECK(clean);
}

void runTable(const std::vector<Row>& rows) {
  auto s = RunServer(DefaultTestOptions());
  Conn healthy = createClientConn(*s);
  setupConn(healthy);
  sendProto(healthy, "SUB health 1\r\n");
  checkHealthy(*s, healthy);

  for (const auto& row : rows) {
    runRow(*s, row);
    INFO("after row: " << row.name);
    checkHealthy(*s, healthy);
  }
}

}  // namespace

TEST_CASE("TestBadInput", "[badinput]") {
  auto rows = badInputRows();
  REQUIRE(rows.size() >= 60);
  runTable(rows);
}

TEST_CASE("TestBadInputGoCompatibility", "[badinput]") { runTable(goCompatibilityRows()); }
