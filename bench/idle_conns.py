#!/usr/bin/env python3
"""RSS per idle connection and connect rate, gnatsd-cpp beside nats-server.

Starts each server on a free loopback port, opens N client connections that
each CONNECT, SUB and PING (waiting for PONG), then reads the server's RSS and
thread count from /proc. Prints one row per server and the ratios.
Usage: bench/idle_conns.py [N] (default 10000). Loopback only; bounded."""
import os, resource, socket, subprocess, sys, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GNATSD = os.environ.get("GNATSD", os.path.join(ROOT, "build", "gnatsd"))
NATS_SERVER = os.environ.get("NATS_SERVER", "/usr/sbin/nats-server")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import free_port, raise_nofile
raise_nofile(N)

def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1])
    return -1

def run(name, argv, port):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
            except OSError:
                if time.time() > deadline: raise
                time.sleep(0.05)
        time.sleep(0.3)
        idle_rss = status(proc.pid, "VmRSS")
        conns = []
        t0 = time.time()
        for _ in range(N):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB idle.x 1\r\nPING\r\n')
            conns.append(s)
        for s in conns:
            buf = b""
            while b"PONG\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk: raise RuntimeError("closed")
                buf += chunk
        secs = time.time() - t0
        time.sleep(0.5)
        rss = status(proc.pid, "VmRSS")
        threads = status(proc.pid, "Threads")
        for s in conns: s.close()
        per = (rss - idle_rss) * 1024 / N
        print(f"{name:14s} {N} conns in {secs:6.2f} s ({N/secs:8.0f}/s)  RSS {rss/1024:7.1f} MiB"
              f"  idle {idle_rss/1024:5.1f} MiB  {per/1024:6.1f} KiB/conn  threads {threads}")
        return secs, per
    finally:
        proc.terminate(); proc.wait(timeout=10)

p1, p2 = free_port(), free_port()
a = run("gnatsd-cpp", [GNATSD, "-a", "127.0.0.1", "-p", str(p1), "-l", "/dev/null"], p1)
b = run("nats-server", [NATS_SERVER, "-a", "127.0.0.1", "-p", str(p2)], p2)
print(f"ratios (gnatsd-cpp / nats-server): connect time {a[0]/b[0]:.2f}, RSS per connection {a[1]/b[1]:.2f}")
