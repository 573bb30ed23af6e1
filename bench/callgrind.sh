#!/usr/bin/env bash
# Instructions executed by the server per message, counted by valgrind's callgrind.
#
# Instruction counts barely move when the machine is busy, so they show a regression in
# the message path that wall-clock numbers on a shared machine would hide. For each
# scenario the server runs twice under callgrind, with N1 and N2 messages, and
#   Ir per message = (Ir(N2) - Ir(N1)) / (N2 - N1),
# which cancels start-up, connection set-up and shutdown. Callgrind runs one thread at a
# time, so batching (bytes per read, messages per write) differs from a native run: compare
# these numbers with each other, across commits, not with the wall-clock results.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/callgrind.sh [options] [SERVER_BINARY]

Runs SERVER_BINARY (default build-bench/gnatsd, else build/gnatsd) under
valgrind --tool=callgrind for pub-only, pub/sub 1:1 and fan-out 1:4 (128 B payloads)
and prints the instructions (Ir) per message.

Options:
  -m, --msgs N1,N2     message counts of the two runs (default 50000,250000)
  -s, --scenarios RE   only scenarios matching the extended regex (pub, pubsub, fanout)
  -t, --top K          also list the K functions with the most Ir in the N2 run (default 0)
  -o, --out DIR        keep callgrind files in DIR (default build-bench/callgrind-<timestamp>)
  -h, --help           this text

Environment: NATS_BENCH (default build-bench/nats-bench, else build/nats-bench).
EOF
}

die() { echo "callgrind.sh: $*" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N1=50000
N2=250000
FILTER=""
TOP=0
OUT=""
SERVER=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -m|--msgs)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      [[ $2 =~ ^([1-9][0-9]*),([1-9][0-9]*)$ ]] || die "--msgs: want N1,N2 (e.g. 50000,250000)"
      N1=${BASH_REMATCH[1]}; N2=${BASH_REMATCH[2]}
      ((N2 > N1)) || die "--msgs: N2 must be larger than N1"
      shift 2 ;;
    -s|--scenarios) [[ $# -ge 2 ]] || die "$1 needs a value"; FILTER=$2; shift 2 ;;
    -t|--top) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || die "$1 needs a whole number"; TOP=$2; shift 2 ;;
    -o|--out) [[ $# -ge 2 ]] || die "$1 needs a value"; OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *) SERVER=$1; shift ;;
  esac
done

pick() { for c in "$@"; do [[ -x $c ]] && { echo "$c"; return 0; }; done; return 1; }
[[ -n $SERVER ]] || SERVER=$(pick "$ROOT/build-bench/gnatsd" "$ROOT/build/gnatsd") || die "no gnatsd binary found (pass a path)"
[[ -x $SERVER ]] || die "'$SERVER' is not an executable"
[[ -n ${NATS_BENCH:-} ]] || NATS_BENCH=$(pick "$ROOT/build-bench/nats-bench" "$ROOT/build/nats-bench") || die "nats-bench not found (set NATS_BENCH)"
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
[[ -n $OUT ]] || OUT="$ROOT/build-bench/callgrind-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

# listening PORT, free_port
source "$ROOT/bench/lib.sh"

# ir_of SCENARIO_ARGS MSGS FILE: runs the server under callgrind for one nats-bench run and
# prints the total Ir. The server stops on SIGINT so callgrind writes its file.
ir_of() {
  local args=$1 msgs=$2 file=$3 port vpid rc=0
  port=$(free_port) || die "no free port"
  valgrind --tool=callgrind --callgrind-out-file="$file" "$SERVER" -a 127.0.0.1 -p "$port" \
    >"$file.log" 2>&1 &
  vpid=$!
  for _ in $(seq 1 600); do
    listening "$port" && break
    kill -0 "$vpid" 2>/dev/null || die "the server exited under valgrind (see $file.log)"
    sleep 0.05
  done
  listening "$port" || { kill -KILL "$vpid" 2>/dev/null; die "the server did not listen within 30 s under valgrind"; }
  # shellcheck disable=SC2086
  timeout -k 5 600 "$NATS_BENCH" $args --msgs "$msgs" --port "$port" --timeout 60 --no-progress \
    >"$file.bench" 2>&1 || rc=$?
  kill -INT "$vpid" 2>/dev/null || true
  for _ in $(seq 1 600); do
    kill -0 "$vpid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$vpid" 2>/dev/null; then
    kill -KILL "$vpid" 2>/dev/null || true
    die "the server did not exit within 30 s of SIGINT under valgrind"
  fi
  wait "$vpid" 2>/dev/null || true
  [[ $rc -eq 0 ]] || die "nats-bench failed ($(tail -n 1 "$file.bench"))"
  awk '$1 == "totals:" || $1 == "summary:" { print $2; exit }' "$file"
}

SCENARIOS=(
  "pub|pub --size 128|1"
  "pubsub|pubsub --size 128|1"
  "fanout|fanout --subs 4 --size 128|4"
)

echo "Server: $SERVER ($("$SERVER" --version 2>&1 | head -n 1)); valgrind $(valgrind --version | sed 's/valgrind-//')"
echo "Ir per message = (Ir at $N2 messages - Ir at $N1) / $((N2 - N1)); 128 B payloads; files in $OUT"
echo
echo "| scenario | Ir per message | Ir per delivery | Ir at $N1 | Ir at $N2 |"
echo "|---|---:|---:|---:|---:|"
for sc in "${SCENARIOS[@]}"; do
  IFS='|' read -r name args fan <<<"$sc"
  if [[ -n $FILTER ]] && ! [[ $name =~ $FILTER ]]; then continue; fi
  echo "callgrind.sh: $name: $N1 messages..." >&2
  a=$(ir_of "$args" "$N1" "$OUT/$name.$N1.out")
  echo "callgrind.sh: $name: $N2 messages..." >&2
  b=$(ir_of "$args" "$N2" "$OUT/$name.$N2.out")
  awk -v n="$name" -v a="$a" -v b="$b" -v d=$((N2 - N1)) -v f="$fan" 'BEGIN {
    per = (b - a) / d
    printf "| %s | %.0f | %s | %.0f | %.0f |\n", n, per, (f > 1 ? sprintf("%.0f", per / f) : "-"), a, b }'
  if ((TOP > 0)); then
    echo "callgrind.sh: top $TOP functions of $name at $N2 messages:" >&2
    callgrind_annotate --inclusive=no "$OUT/$name.$N2.out" 2>/dev/null |
      awk '/^-+$/ { n++ } n >= 3 && NF && $1 ~ /^[0-9,]+$/' | head -n "$TOP" >&2 || true
  fi
done
