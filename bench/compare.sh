#!/usr/bin/env bash
# gnatsd-cpp beside nats-server (and optionally other NATS servers) under the same load.
#
# For every scenario of the grid, each round starts a fresh process of each server on a
# free loopback port, in interleaved order (A B C, then C B A, ...), runs nats-bench
# against it, and records the server's CPU time (utime+stime from /proc/PID/stat), peak
# RSS (VmHWM from /proc/PID/status) and context switches (whole process, from GNU time's
# wait4 rusage: connection threads that have exited are counted too) before stopping it.
# Raw numbers go to a CSV; the markdown summary (medians, min..max, per-round ratios
# against nats-server) goes to stdout. Progress goes to stderr.
#
# Needs: nats-bench (built with the gnatsd target), python3 for the summary, GNU time
# (/usr/bin/time) for context switches, iperf3 for the loopback ceiling (skipped if
# absent). Loopback only; every wait is bounded.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/compare.sh [options] [GNATSD_CPP_BINARY]

Runs the benchmark grid against gnatsd-cpp (default build/gnatsd) and nats-server, plus
GNATSD10 if set, and prints a markdown summary.

Options:
  -r, --rounds N        rounds per scenario and server (default 5; env ROUNDS)
  -s, --scenarios RE    only scenarios whose name matches the extended regex RE
                        (e.g. 'pub_|fanout'; env SCENARIOS); -l lists them
  -x, --scale F         multiply every message count by F (default 1; env MSG_SCALE)
  -q, --quick           2 rounds, a tenth of the messages: a smoke test, not a result
  -o, --out DIR         results directory (default build-bench/bench-results/<timestamp>)
  -n, --no-iperf        skip the iperf3 loopback ceiling
  -l, --list            list the scenarios and exit
  -h, --help            this text

Environment:
  GNATSD        gnatsd-cpp binary (the positional argument wins)
  NATS_SERVER   nats-server binary (default: nats-server on PATH, or /usr/sbin/nats-server)
  GNATSD10      a third server to compare, e.g. a locally built gnatsd 1.0.0 (optional)
  NATS_BENCH    nats-bench binary (default build-bench/nats-bench, else build/nats-bench)
  RUN_TIMEOUT   seconds before one nats-bench run is killed (default 120)
  GNATSD_NOTE   free text about the gnatsd-cpp binary for the summary (e.g. its commit)
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-5}
SCENARIOS=${SCENARIOS:-}
MSG_SCALE=${MSG_SCALE:-1}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
OUT=""
IPERF=1
LIST=0
GNATSD=${GNATSD:-$ROOT/build/gnatsd}

die() { echo "compare.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -r|--rounds) [[ $# -ge 2 ]] || die "$1 needs a value"; ROUNDS=$2; shift 2 ;;
    -s|--scenarios) [[ $# -ge 2 ]] || die "$1 needs a value"; SCENARIOS=$2; shift 2 ;;
    -x|--scale) [[ $# -ge 2 ]] || die "$1 needs a value"; MSG_SCALE=$2; shift 2 ;;
    -q|--quick) ROUNDS=2; MSG_SCALE=0.1; shift ;;
    -o|--out) [[ $# -ge 2 ]] || die "$1 needs a value"; OUT=$2; shift 2 ;;
    -n|--no-iperf) IPERF=0; shift ;;
    -l|--list) LIST=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *) GNATSD=$1; shift ;;
  esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds: '$ROUNDS' is not a positive whole number"
[[ $MSG_SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || die "--scale: '$MSG_SCALE' is not a positive number"
[[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "RUN_TIMEOUT: '$RUN_TIMEOUT' is not a positive whole number"

# --- the grid: name | nats-bench arguments | messages at scale 1 ----------------------
# Counts give runs of roughly 1-3 s on a 2-core machine. storm counts connections.
GRID=(
  "pub_16B|pub --size 16|10000000"
  "pub_128B|pub --size 128|8000000"
  "pub_1KiB|pub --size 1KiB|4000000"
  "pub_16KiB|pub --size 16KiB|400000"
  "pubsub_16B|pubsub --size 16|6000000"
  "pubsub_128B|pubsub --size 128|5000000"
  "pubsub_1KiB|pubsub --size 1KiB|2000000"
  "fanout_1x4_128B|fanout --subs 4 --size 128|2000000"
  "queue_1x4_128B|queue --subs 4 --size 128|4000000"
  "reqrep_128B|reqrep --size 128 --window 1|40000"
  "storm_1000|storm --workers 4|1000"
)

if [[ $LIST == 1 ]]; then
  for g in "${GRID[@]}"; do IFS='|' read -r name args n <<<"$g"; printf '%-18s nats-bench %s (%s)\n' "$name" "$args" "$n"; done
  exit 0
fi

# --- tools and servers -----------------------------------------------------------------
if [[ -z ${NATS_BENCH:-} ]]; then
  for c in "$ROOT/build-bench/nats-bench" "$ROOT/build/nats-bench"; do
    [[ -x $c ]] && { NATS_BENCH=$c; break; }
  done
fi
[[ -x ${NATS_BENCH:-} ]] || die "nats-bench not found; build it: cmake --build build-bench --target gnatsd_nats_bench (or set NATS_BENCH)"
if [[ -z ${NATS_SERVER:-} ]]; then
  NATS_SERVER=$(command -v nats-server || true)
  [[ -n $NATS_SERVER ]] || NATS_SERVER=/usr/sbin/nats-server
fi
[[ -x $GNATSD ]] || die "gnatsd-cpp binary '$GNATSD' not found (build it, or pass a path)"
GNATSD=$(realpath "$GNATSD")
[[ -x $NATS_SERVER ]] || die "nats-server '$NATS_SERVER' not found (apt-get install nats-server, or set NATS_SERVER)"
command -v python3 >/dev/null || die "python3 is needed for the summary"
GNU_TIME=""
if /usr/bin/time -f %e true >/dev/null 2>&1; then GNU_TIME=/usr/bin/time; fi
[[ -n $GNU_TIME ]] || echo "compare.sh: no GNU time: context switches will count live threads only" >&2
if [[ $IPERF == 1 ]] && ! command -v iperf3 >/dev/null; then
  echo "compare.sh: no iperf3: skipping the loopback ceiling" >&2
  IPERF=0
fi

SERVER_NAMES=("gnatsd-cpp" "nats-server")
SERVER_BINS=("$GNATSD" "$NATS_SERVER")
if [[ -n ${GNATSD10:-} ]]; then
  [[ -x $GNATSD10 ]] || die "GNATSD10 '$GNATSD10' is not an executable"
  SERVER_NAMES+=("gnatsd-1.0.0")
  SERVER_BINS+=("$GNATSD10")
fi

if [[ -z $OUT ]]; then OUT="$ROOT/build-bench/bench-results/$(date +%Y%m%d-%H%M%S)"; fi
mkdir -p "$OUT"
CSV="$OUT/runs.csv"
CLK_TCK=$(getconf CLK_TCK)

# --- helpers -----------------------------------------------------------------------------

# listening PORT, free_port
source "$ROOT/bench/lib.sh"

# The server's pid: the child of GNU time, or the process itself without it.
server_pid() {
  local wrapper=$1 i kids
  [[ -z $GNU_TIME ]] && { echo "$wrapper"; return 0; }
  for i in $(seq 1 100); do
    kids=$(cat "/proc/$wrapper/task/$wrapper/children" 2>/dev/null || true)
    if [[ -n $kids ]]; then echo "${kids%% *}"; return 0; fi
    sleep 0.02
  done
  return 1
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# utime+stime of the whole process (exited threads included), in seconds: "user sys".
proc_cpu() {
  local line rest
  read -r line <"/proc/$1/stat" || return 1
  rest=${line##*) }
  # shellcheck disable=SC2086
  set -- $rest
  awk -v u="${12}" -v s="${13}" -v t="$CLK_TCK" 'BEGIN { printf "%.3f %.3f\n", u / t, s / t }'
}

# Context switches of the threads alive now (the fallback without GNU time).
live_ctxsw() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '$1 == "voluntary_ctxt_switches:" { v += $2 } $1 == "nonvoluntary_ctxt_switches:" { n += $2 } END { print v + 0, n + 0 }'
}

json_fields() {
  python3 -c '
import json, sys
d = json.loads(sys.stdin.read().strip().splitlines()[-1])
lat = d.get("latency_us") or {}
if not d.get("ok"):
    print("FAIL"); sys.exit()
vals = [d["msgs"], d["elapsed_s"], d["msgs_per_s"], d["mb_per_s"], d["delivered_per_s"],
        lat.get("p50", ""), lat.get("p99", ""), lat.get("p999", ""), d["client_cpu_s"], d.get("server_version", "")]
print(" ".join(str(v) if v != "" else "-" for v in vals))'
}

stop_server() {
  local wrapper=$1 spid=$2 i
  kill -INT "$spid" 2>/dev/null || true  # gnatsd 1.0.0 ignores SIGTERM; all three stop on SIGINT
  for i in $(seq 1 100); do
    kill -0 "$wrapper" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$spid" 2>/dev/null; then
    echo "compare.sh: server $spid did not stop within 5 s of SIGINT; killing it" >&2
    kill -KILL "$spid" 2>/dev/null || true
  fi
  wait "$wrapper" 2>/dev/null || true
}

# run_one ROUND SCENARIO SERVER_INDEX ARGS MSGS: one fresh server, one nats-bench run, one CSV row.
run_one() {
  local round=$1 scen=$2 si=$3 args=$4 msgs=$5
  local name=${SERVER_NAMES[$si]} bin=${SERVER_BINS[$si]}
  local port wrapper spid tfile log ok=0
  tfile="$OUT/time.$$.txt"
  log="$OUT/server-$name.log"
  for _ in 1 2 3 4 5; do
    port=$(free_port) || { echo "compare.sh: no free port" >&2; return 1; }
    if [[ -n $GNU_TIME ]]; then
      $GNU_TIME -o "$tfile" -f '%U %S %M %w %c' "$bin" -a 127.0.0.1 -p "$port" >>"$log" 2>&1 &
    else
      "$bin" -a 127.0.0.1 -p "$port" >>"$log" 2>&1 &
    fi
    wrapper=$!
    spid=$(server_pid "$wrapper") || { wait "$wrapper" 2>/dev/null || true; continue; }
    for _ in $(seq 1 200); do
      listening "$port" && { ok=1; break; }
      kill -0 "$spid" 2>/dev/null || break
      sleep 0.025
    done
    [[ $ok == 1 ]] && break
    stop_server "$wrapper" "$spid"
  done
  if [[ $ok != 1 ]]; then
    echo "compare.sh: $name did not start listening (see $log)" >&2
    return 1
  fi

  local countflag="--msgs"
  [[ $scen == storm_* ]] && countflag="--conns"
  local out rc=0 fields
  # shellcheck disable=SC2086
  out=$(timeout -k 5 "$RUN_TIMEOUT" "$NATS_BENCH" $args $countflag "$msgs" --port "$port" --json --no-progress 2>>"$OUT/nats-bench.err") || rc=$?
  sleep 0.3  # let the server finish closing the connections before reading its counters
  local cpu hwm threads ctx_live error=""
  cpu=$(proc_cpu "$spid" || echo "- -")
  hwm=$(status_kb "$spid" VmHWM)
  threads=$(status_kb "$spid" Threads)
  ctx_live=$(live_ctxsw "$spid")
  stop_server "$wrapper" "$spid"
  local vcsw ivcsw source
  if [[ -n $GNU_TIME && -s $tfile ]]; then
    read -r _ _ _ vcsw ivcsw < <(tail -n 1 "$tfile")
    source=rusage
  else
    read -r vcsw ivcsw <<<"$ctx_live"
    source=live-threads
  fi
  rm -f "$tfile"
  if [[ $rc -ne 0 ]]; then
    error=$(printf '%s' "$out" | python3 -c 'import json,sys
t=sys.stdin.read().strip()
try: print(json.loads(t.splitlines()[-1]).get("error","").replace(",",";"))
except Exception: print("")' 2>/dev/null || true)
    [[ -n $error ]] || error="nats-bench exit $rc"
    fields="FAIL"
  else
    fields=$(printf '%s' "$out" | json_fields)
  fi
  local u s
  read -r u s <<<"$cpu"
  if [[ $fields == FAIL ]]; then
    echo "$round,$scen,$name,0,,,,,,,,,,$u,$s,$hwm,$vcsw,$ivcsw,$source,$threads,,\"$error\"" >>"$CSV"
    printf '  round %s %-16s %-13s FAILED: %s\n' "$round" "$scen" "$name" "$error" >&2
  else
    local m el rate mbs dps p50 p99 p999 ccpu ver
    read -r m el rate mbs dps p50 p99 p999 ccpu ver <<<"$fields"
    echo "$round,$scen,$name,1,$m,$el,$rate,$mbs,$dps,$p50,$p99,$p999,$ccpu,$u,$s,$hwm,$vcsw,$ivcsw,$source,$threads,$ver," >>"$CSV"
    printf '  round %s %-16s %-13s %12.0f /s  server CPU %6.3f s  RSS %6.1f MiB  ctxsw %8d  client CPU %.3f s\n' \
      "$round" "$scen" "$name" "$rate" "$(awk -v a="$u" -v b="$s" 'BEGIN{print a+b}')" \
      "$(awk -v k="$hwm" 'BEGIN{print k/1024}')" $((vcsw + ivcsw)) "$ccpu" >&2
  fi
}

iperf_once() {
  local round=$1 port spid out mbs
  port=$(free_port) || return 0
  iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  spid=$!
  for _ in $(seq 1 100); do listening "$port" && break; sleep 0.02; done
  out=$(timeout -k 2 20 iperf3 -c 127.0.0.1 -p "$port" -l 1M -t 3 -J 2>/dev/null || true)
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  mbs=$(printf '%s' "$out" | python3 -c 'import json,sys
try: print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6))
except Exception: print("")' 2>/dev/null || true)
  if [[ -n $mbs ]]; then
    echo "$round,iperf3_loopback,iperf3,1,,3,,$mbs,,,,,,,,,,,,,,"  >>"$CSV"
    printf '  round %s %-16s %-13s %12s MB/s\n' "$round" iperf3_loopback iperf3 "$mbs" >&2
  fi
}

# --- the runs ------------------------------------------------------------------------------

echo "round,scenario,server,ok,msgs,elapsed_s,msgs_per_s,mb_per_s,delivered_per_s,lat_p50_us,lat_p99_us,lat_p999_us,client_cpu_s,server_user_s,server_sys_s,server_vmhwm_kb,server_vcsw,server_ivcsw,ctxsw_source,server_threads_end,server_version,error" >"$CSV"
{
  echo "date=$(date -R)"
  echo "host_cpus=$(nproc)"
  echo "cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "kernel=$(uname -r)"
  echo "rounds=$ROUNDS"
  echo "scale=$MSG_SCALE"
  echo "nats_bench=$NATS_BENCH"
  for i in "${!SERVER_NAMES[@]}"; do
    echo "server.${SERVER_NAMES[$i]}=${SERVER_BINS[$i]} ($("${SERVER_BINS[$i]}" --version 2>&1 | head -n 1))"
  done
  echo "gnatsd_cpp_note=${GNATSD_NOTE:-}"
  echo "gnatsd_cpp_commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- server conf 2>/dev/null || echo ' (server/ or conf/ modified)')"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.txt"

echo "compare.sh: $ROUNDS rounds, results in $OUT" >&2
nserv=${#SERVER_NAMES[@]}
for ((round = 1; round <= ROUNDS; round++)); do
  for g in "${GRID[@]}"; do
    IFS='|' read -r scen args n <<<"$g"
    if [[ -n $SCENARIOS ]] && ! [[ $scen =~ $SCENARIOS ]]; then continue; fi
    msgs=$(awk -v n="$n" -v f="$MSG_SCALE" 'BEGIN { m = int(n * f + 0.5); if (m < 1) m = 1; print m }')
    # Interleave: A B C in odd rounds, C B A in even ones, so drift over time hits all alike.
    for ((k = 0; k < nserv; k++)); do
      if ((round % 2 == 1)); then si=$k; else si=$((nserv - 1 - k)); fi
      run_one "$round" "$scen" "$si" "$args" "$msgs" || true
    done
  done
  if [[ $IPERF == 1 ]] && { [[ -z $SCENARIOS ]] || [[ pub_16KiB =~ $SCENARIOS ]]; }; then iperf_once "$round"; fi
done
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"

python3 "$ROOT/bench/summarize.py" "$OUT"
