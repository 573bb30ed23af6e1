#!/usr/bin/env python3
"""Markdown summary of a bench/compare.sh results directory (runs.csv, meta.txt).

Usage: bench/summarize.py RESULTS_DIR

Per scenario and server: medians with [min..max] over the rounds, so a bimodal result
shows as a wide range instead of being averaged away; then ratios against nats-server,
paired by round (each round's ratio first, then the median and range of those); then the
runs whose spread is wide, value by value; then the iperf3 loopback ceiling beside the
16 KiB single-publisher throughput."""
import csv
import os
import statistics
import sys

BASELINE = "nats-server"
SERVER_ORDER = ["gnatsd-cpp", "nats-server", "gnatsd-1.0.0"]


def fnum(v):
    """Compact number: 1.23M, 456k, 12.3, 0.123."""
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    if a >= 1e3:
        return f"{v / 1e3:.1f}k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(values, fmt=fnum):
    """median [min..max] of the values, or '-'."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return f"{fmt(med)} [{fmt(min(values))}..{fmt(max(values))}]"


def fint(v):
    """Counts: exact below 10,000, then compact."""
    return f"{v:.0f}" if v is not None and abs(v) < 1e4 else fnum(v)


def ratio_cell(values):
    return cell(values, lambda v: f"{v:.2f}")


def as_float(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    meta = {}
    with open(os.path.join(out, "meta.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    runs = []
    with open(os.path.join(out, "runs.csv")) as f:
        for row in csv.DictReader(f):
            runs.append(row)

    scenarios = []
    for r in runs:
        if r["scenario"] not in scenarios and r["scenario"] != "iperf3_loopback":
            scenarios.append(r["scenario"])
    servers = [s for s in SERVER_ORDER if any(r["server"] == s for r in runs)]
    servers += sorted({r["server"] for r in runs} - set(servers) - {"iperf3"})

    def metrics(r):
        ok = r["ok"] == "1"
        cpu_u, cpu_s = as_float(r["server_user_s"]), as_float(r["server_sys_s"])
        cpu = cpu_u + cpu_s if cpu_u is not None and cpu_s is not None else None
        msgs = as_float(r["msgs"])
        v, n = as_float(r["server_vcsw"]), as_float(r["server_ivcsw"])
        hwm = as_float(r["server_vmhwm_kb"])
        return {
            "ok": ok,
            "rate": as_float(r["msgs_per_s"]) if ok else None,
            "elapsed": as_float(r["elapsed_s"]) if ok else None,
            "mbs": as_float(r["mb_per_s"]) if ok else None,
            "cpu": cpu,
            "per_cpu": msgs / cpu if ok and msgs and cpu else None,
            "rss": hwm / 1024 if hwm is not None else None,
            "ctx": v + n if v is not None and n is not None else None,
            "vctx": v,
            "ictx": n,
            "client": as_float(r["client_cpu_s"]) if ok else None,
            "p50": as_float(r["lat_p50_us"]) if ok else None,
            "p99": as_float(r["lat_p99_us"]) if ok else None,
            "threads": as_float(r["server_threads_end"]),
            "sys": cpu_s,
            "msgs": msgs,
            "error": r.get("error", ""),
        }

    by = {}  # (scenario, server) -> {round: metrics}
    for r in runs:
        if r["scenario"] == "iperf3_loopback":
            continue
        by.setdefault((r["scenario"], r["server"]), {})[int(r["round"])] = metrics(r)

    print(f"Measured {meta.get('date', '?')}; {meta.get('host_cpus', '?')} CPUs ({meta.get('cpu_model', '?')}), "
          f"kernel {meta.get('kernel', '?')}; {meta.get('rounds', '?')} rounds, message counts x{meta.get('scale', '?')}; "
          f"load average {meta.get('loadavg_start', '?')} at the start, {meta.get('loadavg_end', '?')} at the end.")
    print()
    for s in servers:
        print(f"- {s}: {meta.get('server.' + s, '?')}")
    print(f"- checkout the script ran in: {meta.get('gnatsd_cpp_commit', '?')}")
    if meta.get("gnatsd_cpp_note"):
        print(f"- gnatsd-cpp binary: {meta['gnatsd_cpp_note']}")
    print()

    print("### Per server: median [min..max] over the rounds")
    print()
    print("Rate: messages published per second, end to end (requests for reqrep, connections for storm). "
          "Msgs per CPU-s: messages divided by the server's CPU seconds (user+sys over its whole life, "
          "start-up included). Ctx sw: voluntary + involuntary context switches of the whole server process.")
    print()
    print("| scenario | server | ok | rate /s | MB/s | server CPU s | msgs per CPU-s | peak RSS MiB | ctx sw | client CPU s | latency p50 / p99 us |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scen in scenarios:
        for srv in servers:
            d = by.get((scen, srv))
            if not d:
                continue
            ms = list(d.values())
            oks = [m for m in ms if m["ok"]]
            lat = "-"
            if scen.startswith(("reqrep", "storm")) and oks:
                lat = f"{fnum(statistics.median([m['p50'] for m in oks if m['p50'] is not None] or [0]))} / " \
                      f"{fnum(statistics.median([m['p99'] for m in oks if m['p99'] is not None] or [0]))}"
            print(f"| {scen} | {srv} | {len(oks)}/{len(ms)} | {cell([m['rate'] for m in oks])} | "
                  f"{cell([m['mbs'] for m in oks]) if not scen.startswith('storm') else '-'} | "
                  f"{cell([m['cpu'] for m in oks])} | {cell([m['per_cpu'] for m in oks])} | "
                  f"{cell([m['rss'] for m in oks])} | {cell([m['ctx'] for m in oks], fint)} | "
                  f"{cell([m['client'] for m in oks])} | {lat} |")
    print()

    others = [s for s in servers if s != BASELINE]
    if BASELINE in servers and others:
        print(f"### Ratios against {BASELINE}, paired by round: median [min..max]")
        print()
        print("Above 1 is better for rate and msgs per CPU-s; below 1 is better for RSS and context switches.")
        print()
        print("| scenario | server | rate | msgs per server CPU-s | peak RSS | ctx sw |")
        print("|---|---|---:|---:|---:|---:|")
        for scen in scenarios:
            base = by.get((scen, BASELINE), {})
            for srv in others:
                d = by.get((scen, srv), {})
                pairs = [(d[r], base[r]) for r in sorted(d) if r in base and d[r]["ok"] and base[r]["ok"]]
                if not pairs:
                    continue

                def ratios(key):
                    return [a[key] / b[key] for a, b in pairs if a[key] and b[key]]
                print(f"| {scen} | {srv} | {ratio_cell(ratios('rate'))} | {ratio_cell(ratios('per_cpu'))} | "
                      f"{ratio_cell(ratios('rss'))} | {ratio_cell(ratios('ctx'))} |")
        print()

    # Wide spreads: show every round, so a bimodal result is plain to see.
    notes = []
    for scen in scenarios:
        for srv in servers:
            d = by.get((scen, srv), {})
            oks = {r: m for r, m in sorted(d.items()) if m["ok"]}
            fails = {r: m for r, m in sorted(d.items()) if not m["ok"]}
            for r, m in fails.items():
                notes.append(f"- {scen} / {srv}, round {r}: FAILED: {m['error'] or 'see nats-bench.err'}")
            if len(oks) < 2:
                continue
            cpus = [m["cpu"] for m in oks.values() if m["cpu"]]
            ctxs = [m["ctx"] for m in oks.values() if m["ctx"]]
            rates = [m["rate"] for m in oks.values() if m["rate"]]
            wide = (cpus and max(cpus) / min(cpus) > 1.4 and max(cpus) - min(cpus) > 0.1) or (ctxs and max(ctxs) / min(ctxs) > 3)
            if wide:
                def one(r, m):
                    return (f"r{r}: {fnum(m['rate'])}/s in {m['elapsed']:.2f} s, CPU {m['cpu']:.2f} s "
                            f"(sys {m['sys']:.2f}), ctx {fint(m['vctx'])} vol + {fint(m['ictx'])} invol, RSS {m['rss']:.1f} MiB")
                per = "; ".join(one(r, m) for r, m in oks.items())
                notes.append(f"- {scen} / {srv}: server CPU {min(cpus):.2f}..{max(cpus):.2f} s, context switches "
                             f"{fnum(min(ctxs))}..{fnum(max(ctxs))}, slowest run at "
                             f"{min(rates) / statistics.median(rates):.2f} of the median rate. Per round: {per}")
    if notes:
        print("### Wide spreads and failures")
        print()
        print("Listed when, over the rounds, server CPU varies more than 1.4x or context switches more than 3x: "
              "a bimodal result shows here run by run.")
        print()
        for n in notes:
            print(n)
        print()

    iperf = [as_float(r["mb_per_s"]) for r in runs if r["scenario"] == "iperf3_loopback"]
    iperf = [v for v in iperf if v]
    if iperf:
        ceiling = statistics.median(iperf)
        print("### Loopback TCP ceiling")
        print()
        print(f"iperf3, one stream, 1 MiB writes, 3 s: {cell(iperf)} MB/s (median [min..max], one run per round). "
              "Beside it, pub_16KiB (one publisher, 16 KiB payloads, payload MB/s):")
        print()
        for srv in servers:
            d = by.get(("pub_16KiB", srv), {})
            mbs = [m["mbs"] for m in d.values() if m["ok"] and m["mbs"]]
            if mbs:
                print(f"- {srv}: {cell(mbs)} MB/s = {statistics.median(mbs) / ceiling:.2f} of the ceiling")
        print()
    print(f"Raw numbers: {os.path.join(out, 'runs.csv')}")


if __name__ == "__main__":
    main()
