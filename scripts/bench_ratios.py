#!/usr/bin/env python3
"""Print the Rosenbrock benchmark's ratios as a markdown table.

Usage (from the workspace root):

    cargo bench --bench rosenbrock && python3 scripts/bench_ratios.py

Reads criterion's mean point estimates from
target/criterion/rosenbrock/<function>/<n>/new/estimates.json
(functions: primal, vjp, hand, hand_tuned, jvp, fd). Ratios are of mean times, so they
are machine-independent where absolute times are not. Exits non-zero if a
result is missing.
"""
import json
import os
import sys

ROOT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion", "rosenbrock"
)
SIZES = [1_000, 10_000, 1_000_000]


def mean_ns(fn, n):
    path = os.path.join(ROOT, fn, str(n), "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["mean"]["point_estimate"]
    except FileNotFoundError:
        return None


def fmt_time(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{num(ns / scale)} {unit}"
    return f"{num(ns)} ns"


def num(v):
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}"


def main():
    rows = []
    missing = False
    for n in SIZES:
        t = {fn: mean_ns(fn, n) for fn in ("primal", "vjp", "hand", "hand_tuned", "jvp", "fd")}
        if any(t[fn] is None for fn in ("primal", "vjp", "hand", "hand_tuned", "jvp")):
            missing = True
        rows.append((n, t))

    print("Rosenbrock: ratios of criterion mean times (lower is better)\n")
    print("| n | gradient / primal | gradient / hand-written | gradient / hand-tuned "
          "| hand-written / primal | hand-tuned / primal | jvp / primal | FD / gradient |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, t in rows:
        print(
            f"| {n:,} | {ratio(t['vjp'], t['primal'])} | {ratio(t['vjp'], t['hand'])} "
            f"| {ratio(t['vjp'], t['hand_tuned'])} | {ratio(t['hand'], t['primal'])} "
            f"| {ratio(t['hand_tuned'], t['primal'])} | {ratio(t['jvp'], t['primal'])} "
            f"| {ratio(t['fd'], t['vjp'])} |"
        )
    print("\nMean times (machine-dependent, for reference)\n")
    print("| n | primal | vjp (gradient) | hand-written | hand-tuned | jvp | central FD (2n evals) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, t in rows:
        print(
            f"| {n:,} | {fmt_time(t['primal'])} | {fmt_time(t['vjp'])} | {fmt_time(t['hand'])} "
            f"| {fmt_time(t['hand_tuned'])} | {fmt_time(t['jvp'])} | {fmt_time(t['fd'])} |"
        )
    print("\ngradient = generated rosenbrock_vjp (value and full gradient); hand-written = one "
          "indexed loop computing value and gradient; hand-tuned = the same with the g[i+1] "
          "term carried in a register and no bounds checks; jvp = generated rosenbrock_jvp "
          "(one directional derivative); FD = central differences, n = 1,000 only.")
    if missing:
        print(f"\nmissing results under {os.path.normpath(ROOT)}: run "
              "`cargo bench --bench rosenbrock` first", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
