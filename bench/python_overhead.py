#!/usr/bin/env python3
"""Python-call overhead of reading and gating a 1M-event file, next to the CLI doing the same.

    PYTHONPATH=build/release/python python3 bench/python_overhead.py [--events N] [--repeat R]

Simulates a 1,000,000-event, 12-colour B-ALL tube and its automatic gates once (into a temporary
folder), then times, best of R runs:
  * python: escapade.read_fcs + GatingStrategy.gate in this process (import excluded);
  * cli:    `escapade gate FILE --gatingml GATES` as a process (process start included);
  * the same two through memcpy of the file's bytes, the floor any reader pays.
Not a test: nothing is asserted; the ratios are what the issue note quotes.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import numpy as np

import escapade

root = pathlib.Path(__file__).resolve().parents[1]
parser = argparse.ArgumentParser()
parser.add_argument("--events", type=int, default=1_000_000)
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--escapade", default=os.environ.get("ESCAPADE_CLI_PATH", str(root / "build/release/cli/escapade")))
args = parser.parse_args()


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


with tempfile.TemporaryDirectory() as d:
    d = pathlib.Path(d)
    tube = d / "tube.fcs"
    subprocess.run([args.escapade, "simulate", "sample", "-o", str(tube), "--events", str(args.events), "--seed", "7", "-q"], check=True)
    subprocess.run([args.escapade, "analyze", str(tube), "--out", str(d / "a"), "--no-report", "-q"], check=True, stdout=subprocess.DEVNULL)
    gates = d / "a" / "sort_gates.xml"
    strategy = escapade.GatingStrategy.from_gatingml(gates)
    size = tube.stat().st_size

    def python_read_gate():
        s = escapade.read_fcs(tube)
        strategy.gate(s).count(strategy.populations[-1])

    def cli_gate():
        subprocess.run([args.escapade, "gate", str(tube), "--gatingml", str(gates), "-q"], check=True, stdout=subprocess.DEVNULL)

    raw = tube.read_bytes()
    buf = np.frombuffer(raw, dtype=np.uint8)

    def memcpy():
        buf.copy()

    t_py = best(python_read_gate, args.repeat)
    t_cli = best(cli_gate, args.repeat)
    t_copy = best(memcpy, args.repeat)
    mb = size / 1e6
    print(f"file: {args.events:,} events, {mb:.1f} MB; {len(strategy.populations)} populations")
    print(f"python read_fcs + gate : {t_py * 1e3:8.1f} ms  ({args.events / t_py / 1e6:.1f} M events/s, {t_py / t_copy:.1f}× memcpy)")
    print(f"cli escapade gate      : {t_cli * 1e3:8.1f} ms  (process start included; python/cli = {t_py / t_cli:.2f})")
    print(f"memcpy of the file     : {t_copy * 1e3:8.1f} ms  ({mb / t_copy / 1e3:.1f} GB/s)")
