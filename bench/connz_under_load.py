#!/usr/bin/env python3
"""/connz?subs=1 with many connections, while a publisher and a subscriber run.

Starts gnatsd-cpp (build/gnatsd, or $GNATSD) with monitoring on loopback,
opens N idle connections (CONNECT, one SUB each, PING/PONG), then runs
`nats-bench pubsub` and, while it runs, fetches /connz?subs=1 in a loop,
timing each answer. Prints the answer times, the pub/sub rate with and
without the monitor being read, and checks the page holds every connection.
Usage: bench/connz_under_load.py [N] (default 10000). Loopback only; bounded."""
import json, os, resource, socket, subprocess, sys, threading, time, urllib.request

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GNATSD = os.environ.get("GNATSD", os.path.join(ROOT, "build", "gnatsd"))
BENCH = os.environ.get("NATS_BENCH", os.path.join(ROOT, "build", "nats-bench"))
MSGS = int(os.environ.get("MSGS", "2000000"))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import free_port, raise_nofile
raise_nofile(N)

def wait_port(port, deadline):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close(); return
        except OSError:
            if time.time() > deadline: raise
            time.sleep(0.05)

def pubsub(port):
    out = subprocess.run([BENCH, "pubsub", "--port", str(port), "--size", "128", "--msgs", str(MSGS), "--json"],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        sys.exit("nats-bench failed: " + out.stdout + out.stderr)
    return json.loads(out.stdout)

def main():
    port, mport = free_port(), free_port()
    proc = subprocess.Popen([GNATSD, "-a", "127.0.0.1", "-p", str(port), "-m", str(mport)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conns = []
    try:
        wait_port(port, time.time() + 10)
        wait_port(mport, time.time() + 10)
        t0 = time.time()
        for i in range(N):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"CONNECT {\"verbose\":false}\r\nSUB idle.%d 1\r\nPING\r\n" % i)
            conns.append(s)
        for s in conns:
            buf = b""
            while b"PONG\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk: sys.exit("server closed an idle connection")
                buf += chunk
        print(f"{N} connections with one subscription each in {time.time() - t0:.2f} s")

        url = f"http://127.0.0.1:{mport}/connz?subs=1&limit={N + 10}"
        def fetch():
            t = time.time()
            body = urllib.request.urlopen(url, timeout=30).read()
            return time.time() - t, body
        dt, body = fetch()
        page = json.loads(body)
        assert page["total"] >= N and len(page["connections"]) >= N, "page misses connections"
        assert all(len(c.get("subscriptions_list", [])) == 1 for c in page["connections"][:N])
        print(f"/connz?subs=1 alone: {dt * 1000:.0f} ms, {len(body) / 1e6:.1f} MB")

        quiet = pubsub(port)
        times, stop = [], threading.Event()
        def reader():
            while not stop.is_set():
                times.append(fetch()[0])
        th = threading.Thread(target=reader); th.start()
        busy = pubsub(port)
        stop.set(); th.join()
        times.sort()
        print(f"/connz?subs=1 during pub/sub: {len(times)} answers, median {times[len(times) // 2] * 1000:.0f} ms, "
              f"max {times[-1] * 1000:.0f} ms")
        print(f"pub/sub 128 B: {quiet['delivered_per_s']:,.0f} msgs/s quiet, "
              f"{busy['delivered_per_s']:,.0f} msgs/s while /connz is read; "
              f"latency p99 {quiet['latency_us']['p99']:.0f} us quiet, {busy['latency_us']['p99']:.0f} us busy")
    finally:
        for s in conns: s.close()
        proc.terminate()
        proc.wait(timeout=30)

main()
