#!/usr/bin/env python3
"""Regenerate BENCHMARKS.md: ratios of the criterion benchmarks, side by side.

Usage (from anywhere; paths are relative to the workspace root):

    python3 scripts/benchmarks_md.py            # run everything, then write BENCHMARKS.md
    python3 scripts/benchmarks_md.py --quick    # a rougher run in a few minutes
    python3 scripts/benchmarks_md.py --no-run   # only rewrite BENCHMARKS.md from the results
    python3 scripts/benchmarks_md.py --bench lstm   # rerun one benchmark, rewrite from all results

A full run is `cargo bench` on every benches/*.rs listed in BENCHES, then
scripts/compile_time.py (which builds a generated 100-function crate in
several variants); it takes about 25 minutes on 2 idle cores (longer on a
busy machine). `--quick` sets DIFFERENTIATE_BENCH_QUICK=1, under which the
benches take short measurements and skip their largest inputs, runs
compile_time.py in its quick mode, and uses only the results of this run.

The script reads every target/criterion/**/new/estimates.json (with the
benchmark.json beside it for the group, function and parameter), takes
criterion's median (or, with --stat mean, mean) point estimate, and the
memory (and, for the LSTM sequence-length sweep, time) results the RK4 and
LSTM benches and the compile times compile_time.py write under target/; and writes, per problem, derivative time / objective time for
every method, ours / hand-written, the issue-6 targets with met / missed,
the machine (lscpu model name, cores, rustc version, load average) and the
reference ratios of hand-written C++, Tapenade and JAX parsed from
../shared/data/adbench/README.md beside ours (GMM, LSTM, BA).

Exits non-zero if a result the tables need is missing (except in quick mode).
"""
import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BENCHES = ["rosenbrock", "peers", "gmm", "small", "lstm", "ba", "batch", "rk4", "matmul", "tensor_mlp"]
OUT = os.path.join(ROOT, "BENCHMARKS.md")

GMM_FILES = ["1k_d2_K5", "1k_d10_K25", "1k_d20_K50", "1k_d32_K100", "1k_d64_K100", "10k_d20_K50"]
PEER_SIZES = [100, 1000, 10000]
MATMUL_PARAMS = ["f64/256", "f64/1024", "f32/256", "f32/1024"]
TENSOR_MLP_PARAMS = ["b64_i64_h128_o10", "b256_i256_h512_o10"]
ROSEN_SIZES = [1000, 10000, 1000000]
LSTM_FILES = [(2, 1024), (4, 4096)]
BA_FILES = [1, 3, 5, 8, 12]
RK4_STEPS = [1000, 10000, 100000, 1000000]


# ------------------------------------------------------------------ inputs

def load_results(criterion_dir, stat, since=None):
    """{(group, function, parameter): ns} from criterion's output (its `stat`
    point estimate: "median" or "mean"); with `since` (a time.time()), only
    results written after it."""
    res = {}
    for est in glob.glob(os.path.join(criterion_dir, "**", "new", "estimates.json"), recursive=True):
        new = os.path.dirname(est)
        try:
            if since is not None and os.path.getmtime(est) < since:
                continue
            with open(os.path.join(new, "benchmark.json")) as f:
                b = json.load(f)
            with open(est) as f:
                mean = json.load(f)[stat]["point_estimate"]
        except (OSError, KeyError, ValueError):
            continue
        key = (b.get("group_id"), b.get("function_id"), b.get("value_str"))
        res[key] = mean
    return res


def adbench_dir():
    return os.environ.get("ADBENCH_DIR") or os.path.normpath(
        os.path.join(ROOT, "..", "shared", "data", "adbench"))


def readme_text():
    path = os.path.join(adbench_dir(), "README.md")
    try:
        with open(path) as f:
            return f.read(), path
    except OSError:
        return "", path


def gmm_reference():
    """{'d2 K5': (hand C++, Tapenade, JAX)} from the data README's table."""
    text, path = readme_text()
    refs = {}
    section = text.split("## GMM", 1)[-1].split("\n## ", 1)[0]
    for line in section.splitlines():
        m = re.match(r"\|\s*(d\d+ K\d+)\s*\|\s*([^|]+)\|\s*([^|]+)\|\s*([^|]+)\|", line)
        if m:
            refs[m.group(1)] = tuple(c.strip() for c in m.group(2, 3, 4))
    return refs, path


def lstm_reference():
    """{'l2 c1024': (hand C++, Tapenade)} from the data README's prose."""
    text = " ".join(readme_text()[0].split())
    m = re.search(r"hand C\+\+ (\d+(?:\.\d+)?) \(l2 c1024\) and (\d+(?:\.\d+)?) \(l4 c4096\), "
                  r"Tapenade (\d+(?:\.\d+)?) and (\d+(?:\.\d+)?)", text)
    if not m:
        return {}
    return {"l2 c1024": (m.group(1), m.group(3)), "l4 c4096": (m.group(2), m.group(4))}


def ba_reference():
    """(hand C++ range, Tapenade range) over ba1..ba12 from the data README."""
    text = " ".join(readme_text()[0].split())
    m = re.search(r"hand-written C\+\+ ([\d.]+) to ([\d.]+), Tapenade ([\d.]+) to ([\d.]+)", text)
    if not m:
        return None
    return (f"{m.group(1)} to {m.group(2)}", f"{m.group(3)} to {m.group(4)}")


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def machine():
    model = "?"
    for line in sh(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
            break
    cores = sh(["nproc"]) or str(os.cpu_count())
    rustc = sh(["rustc", "--version"])
    commit = sh(["git", "rev-parse", "--short", "HEAD"])
    dirty = " (with uncommitted changes)" if sh(["git", "status", "--porcelain", "--untracked-files=no"]) else ""
    return model, cores, rustc, (commit + dirty) if commit else "?"


# ------------------------------------------------------------------ formatting

def num(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_time(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{num(ns / scale)} {unit}"
    return f"{num(ns)} ns"


def fmt_bytes(b):
    if b is None:
        return "-"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if b >= scale:
            return f"{num(b / scale)} {unit}"
    return f"{b} B"


def fmt_secs(s):
    return "-" if s is None else f"{s:.2f} s"


def div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(head, rows, align=None):
    align = align or ["---:"] * len(head)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ------------------------------------------------------------------ report

class Report:
    def __init__(self, res):
        self.res = res
        self.missing = []
        self.targets = []  # (target, where, value, met)
        self.quick = False

    def t(self, group, fn, param, needed=True):
        v = self.res.get((group, fn, str(param)))
        if v is None and needed and not self.quick:
            self.missing.append(f"{group}/{fn}/{param}")
        return v

    def target(self, what, where, value, limit, cmp):
        if value is None:
            return
        met = value <= limit if cmp == "<=" else value >= limit
        self.targets.append((what, where, f"{num(value)} ({cmp} {num(limit)})", met))

    def rosenbrock_peers(self):
        g = "peers_rosenbrock"
        rows, speed = [], []
        for n in PEER_SIZES:
            t = {fn: self.t(g, fn, n, fn != "num_dual_gradient" or n <= 1000)
                 for fn in ("objective", "vjp", "hand", "jvp", "num_dual_jvp", "num_dual_sweeps",
                            "num_dual_gradient", "tape", "fd")}
            o = t["objective"]
            rows.append([f"{n:,}", num(div(t["vjp"], o)), num(div(t["hand"], o)),
                         num(div(t["vjp"], t["hand"])), num(div(t["num_dual_sweeps"], o)),
                         num(div(t["num_dual_gradient"], o)), num(div(t["tape"], o)),
                         num(div(t["fd"], o)), num(div(t["jvp"], o)), num(div(t["num_dual_jvp"], o)),
                         num(div(t["jvp"], t["num_dual_jvp"]))])
            sweeps = div(t["num_dual_sweeps"], t["vjp"])
            tape = div(t["tape"], t["vjp"])
            speed.append([f"{n:,}", num(sweeps), num(n / 5), num(div(t["num_dual_gradient"], t["vjp"])),
                          num(tape), num(div(t["fd"], t["vjp"]))])
            where = f"Rosenbrock n={n:,}"
            self.target("reverse gradient / objective <= 3", where, div(t["vjp"], o), 3.0, "<=")
            self.target("reverse gradient / hand-written <= 1.1", where, div(t["vjp"], t["hand"]), 1.1, "<=")
            self.target("JVP / objective <= 1.5", where, div(t["jvp"], o), 1.5, "<=")
            self.target("JVP / num-dual one-direction JVP <= 1", where, div(t["jvp"], t["num_dual_jvp"]), 1.0, "<=")
            self.target("num-dual n sweeps / reverse gradient >= n/5", where, sweeps, n / 5, ">=")
            self.target("tape / reverse gradient >= 10", where, tape, 10.0, ">=")
        s = ["### Against the peers (benches/peers.rs)", "",
             "Time / objective time (lower is better). Gradient columns: ours = generated "
             "`rosenbrock_vjp` (value and gradient); hand = one hand-written loop; num-dual n sweeps = "
             "n evaluations in `Dual64`, one unit direction each; num-dual `gradient` = num-dual's own "
             "gradient function (`DualDVec64`: every number carries an n-vector; timed up to n = 1,000); "
             "tape = the `reverse` crate; FD = central differences (2n evaluations). JVP columns: one "
             "directional derivative, ours (`rosenbrock_jvp`) and num-dual (`Dual64`).", "",
             table(["n", "ours", "hand", "ours / hand", "num-dual n sweeps", "num-dual `gradient`",
                    "tape", "FD", "ours JVP", "num-dual JVP", "ours JVP / num-dual JVP"], rows),
             "", "How many times slower the peers' gradients are than ours (higher is better for us):", "",
             table(["n", "num-dual n sweeps", "(target: n/5)", "num-dual `gradient`", "tape (target: 10)",
                    "FD"], speed)]
        return "\n".join(s)

    def rosenbrock_own(self):
        g = "rosenbrock"
        rows = []
        for n in ROSEN_SIZES:
            t = {fn: self.t(g, fn, n, fn != "fd" or n == 1000)
                 for fn in ("primal", "vjp", "hand", "hand_tuned", "jvp", "jvp_hand", "fd")}
            o = t["primal"]
            rows.append([f"{n:,}", num(div(t["vjp"], o)), num(div(t["hand"], o)),
                         num(div(t["hand_tuned"], o)), num(div(t["vjp"], t["hand"])),
                         num(div(t["vjp"], t["hand_tuned"])), num(div(t["jvp"], o)),
                         num(div(t["jvp_hand"], o)), num(div(t["fd"], o))])
            where = f"Rosenbrock n={n:,} (benches/rosenbrock.rs)"
            self.target("reverse gradient / objective <= 3", where, div(t["vjp"], o), 3.0, "<=")
            self.target("reverse gradient / hand-written <= 1.1", where, div(t["vjp"], t["hand"]), 1.1, "<=")
            self.target("JVP / objective <= 1.5", where, div(t["jvp"], o), 1.5, "<=")
        s = ["### Up to n = 10^6 (benches/rosenbrock.rs)", "",
             "Time / objective time. hand-tuned = the hand-written loop with the `g[i+1]` term "
             "carried in a register and no bounds checks. hand JVP = value and tangent in one "
             "hand-written loop (`rosenbrock_jvp_hand`).", "",
             table(["n", "ours", "hand", "hand-tuned", "ours / hand", "ours / hand-tuned", "ours JVP",
                    "hand JVP", "FD"], rows), "",
             "Why a JVP costs about 2x here, by hand too: the objective's loop is bound by the latency "
             "of its one running sum (one dependent add per element, about 3 cycles on this machine), "
             "with its 8 floating-point operations fitting in that time. A JVP keeps the same order of "
             "summation and does about twice the arithmetic (17 to 20 operations per element, the "
             "tangent's sum running beside the value's), so it is bound by the floating-point units' "
             "throughput instead (llvm-mca, znver3: about 4.7 cycles per element for both the "
             "generated and the hand-written loop, 1.5-1.6x in theory, about 2x measured). Reaching "
             "1.5x would need fewer operations than the hand-written JVP does."]
        return "\n".join(s)

    def sin(self):
        g, n = "peers_sin", 1001
        t = {fn: self.t(g, fn, n) for fn in
             ("objective", "jvp_one_sweep", "jvp_per_point", "hand", "num_dual_per_point")}
        o = t["objective"]
        rows = [["ours: one forward sweep of `sin_all_jvp(x, ones)`", num(div(t["jvp_one_sweep"], o))],
                ["ours: one `wave_jvp(x_i, 1)` per point (1,001 calls)", num(div(t["jvp_per_point"], o))],
                ["num-dual: one `Dual64` per point", num(div(t["num_dual_per_point"], o))],
                ["by hand: `sin` and `cos` over the grid", num(div(t["hand"], o))]]
        self.target("JVP / objective <= 1.5", "sin sweep (one forward sweep, 1,001 points)",
                    div(t["jvp_one_sweep"], o), 1.5, "<=")
        self.target("JVP / num-dual one-direction JVP <= 1", "sin sweep (one sweep vs Dual64 per point)",
                    div(t["jvp_one_sweep"], t["num_dual_per_point"]), 1.0, "<=")
        return "\n".join([
            "## The 1001-point sin sweep (benches/peers.rs)", "",
            "All derivatives of sin at 1,001 points (0, 0.001, ..., 1), values included. Objective = "
            "`sin_all(x)`, the elementwise sine into a new vector. Time / objective time:", "",
            table(["method", "time / objective"], rows, ["---", "---:"]), "",
            "The one sweep computes `sin` and `cos` of each point with one call of the C library's "
            "`sincos` (LLVM merges the two calls); that call alone costs about 1.6x a `sin` on this "
            "machine, which is what keeps the sweep above 1.5x the objective."])

    def gmm(self):
        g = "gmm"
        refs, refpath = gmm_reference()
        rows = []
        for f in GMM_FILES:
            t = {fn: self.t(g, fn, f, fn in ("objective", "vjp", "hand"))
                 for fn in ("objective", "vjp", "hand", "fd", "num_dual", "tape")}
            o = t["objective"]
            m = re.match(r"(\w+)_d(\d+)_K(\d+)", f)
            s, d, k = m.group(1), int(m.group(2)), int(m.group(3))
            ref = refs.get(f"d{d} K{k}") if s == "1k" else None
            rc, rt, rj = ref if ref else ("-", "-", "-")
            npar = k * (1 + d + d * (d + 1) // 2)
            rows.append([f"{s} d{d} K{k}", f"{npar:,}", num(div(t["vjp"], o)), num(div(t["hand"], o)),
                         num(div(t["vjp"], t["hand"])), num(div(t["fd"], o)), num(div(t["num_dual"], o)),
                         num(div(t["tape"], o)), rc, rt, rj])
            if ref:
                # a reference that is not one number ("9 to 13") sets no target
                for what, given in (("GMM gradient / objective < hand-written C++'s", rc),
                                    ("GMM gradient / objective <= Tapenade's", rt)):
                    try:
                        lim = float(given)
                    except ValueError:
                        continue
                    self.target(what, f"GMM {s} d{d} K{k}", div(t["vjp"], o), lim, "<=")
            if t["tape"] is not None:
                self.target("tape / reverse gradient >= 10", f"GMM {s} d{d} K{k}",
                            div(t["tape"], t["vjp"]), 10.0, ">=")
            if t["num_dual"] is not None:
                self.target("num-dual n sweeps / reverse gradient >= n/5", f"GMM {s} d{d} K{k} (n = {npar})",
                            div(t["num_dual"], t["vjp"]), npar / 5, ">=")
        return "\n".join([
            "## ADBench GMM (benches/gmm.rs)", "",
            "Gradient time / objective time, with respect to alpha, means and icf (all "
            "K(1 + d + d(d+1)/2) parameters), n = 1,000 points (10,000 for the 10k file). Ours = "
            "generated `gmm_objective_vjp` of the loop-and-slices objective in "
            "benches/common/gmm.rs; hand = the gradient written by hand in Rust (ADBench's "
            "hand-written C++ scheme). FD (2 evaluations per parameter), num-dual (one `Dual64` "
            "sweep per parameter) and the tape are timed only where they take seconds or less "
            "(FD and num-dual: the 30 parameters of d2 K5; the tape: up to d10 K25, as its memory "
            "grows with n K d^2). The last three columns are the reference ratios from "
            f"`{os.path.relpath(refpath, ROOT)}` (ADBench, g++ -O3, 1k points, a 2-core x86 machine "
            "of this kind); they are for the 1k files only.", "",
            "What remains between ours and the hand-written gradient: ours runs the forward sweep "
            "over all n points, then the reverse sweep over all of them (the hand-written one "
            "does each point's reverse right after its forward, its buffers still in cache); the "
            "reverse sweep restores the centred point `x_i - mu_k` from a stack for each point and "
            "component, where the hand-written one keeps all K of them; and the objective indexes "
            "the entries of L_k with a formula per entry (recomputed in the reverse sweep), where "
            "the hand-written code walks them with a running index. Two engine changes of this "
            "issue removed most of the earlier gap: partial sums nobody reads back (each row of "
            "`Q_k (x_i - mu_k)` and the logsumexp) are no longer saved, and the save stacks reuse "
            "their buffers across calls.", "",
            table(["file", "parameters", "ours", "hand (Rust)", "ours / hand", "FD", "num-dual",
                   "tape", "ref: hand-written C++", "ref: Tapenade", "ref: JAX"], rows,
                  ["---"] + ["---:"] * 10)])

    def lstm(self):
        g = "lstm"
        refs = lstm_reference()
        rows = []
        for (l, c) in LSTM_FILES:
            f = f"l{l}_c{c}"
            t = {fn: self.t(g, fn, f) for fn in ("objective", "vjp", "hand")}
            o = t["objective"]
            b = 14
            rc, rt = refs.get(f"l{l} c{c}", ("-", "-"))
            rows.append([f"l{l} c{c}", f"{8 * l * b + 3 * b:,}", num(div(t["vjp"], o)),
                         num(div(t["hand"], o)), num(div(t["vjp"], t["hand"])), rc, rt])
            self.target("LSTM gradient / objective <= 4", f"LSTM l{l} c{c}", div(t["vjp"], o), 4.0, "<=")
        return "\n".join([
            "## ADBench LSTM (benches/lstm.rs)", "",
            "Gradient time / objective time, with respect to all `8 l b + 3 b` parameters (b = 14), "
            "over a sequence of c characters (c - 1 steps through l layers). Ours = generated "
            "`lstm_objective_vjp` of the plain-slice objective in benches/common/lstm.rs; hand = "
            "back-propagation through time written by hand in Rust (the forward pass stores the "
            "gates). The reference columns are from the data README (ADBench's C++ on a machine of "
            "this kind). What separates ours from the hand-written gradient: the reverse sweep "
            "recomputes each cell's gates (3 `exp` and 2 `tanh` per cell and step) where the hand-"
            "written one stores them (the engine recomputes pure operations on values still "
            "available rather than saving them). (The logsumexp's running sum, once pushed on a "
            "stack at every element, is no longer saved at all: no adjoint reads its partial "
            "sums.)", "",
            table(["file", "parameters", "ours", "hand (Rust)", "ours / hand", "ref: hand-written C++",
                   "ref: Tapenade"], rows, ["---"] + ["---:"] * 6), "",
            self.lstm_memory()])

    def lstm_memory(self):
        sweep = self.memory_json("lstm.json")
        trows, mrows = [], []
        for c in sorted(sweep, key=int):
            r = sweep[c]
            ns = {k: r.get(k, {}).get("ns") for k in ("objective", "vjp", "checkpointed", "hand")}
            pk = {k: r.get(k, {}).get("peak") for k in ("objective", "vjp", "checkpointed", "hand")}
            o = ns["objective"]
            steps = int(c) - 1
            trows.append([f"{int(c):,}", fmt_time(o), num(div(ns["vjp"], o)), num(div(ns["checkpointed"], o)),
                          num(div(ns["hand"], o)), num(div(ns["checkpointed"], ns["vjp"]))])
            mrows.append([f"{int(c):,}", fmt_bytes(pk["objective"]), fmt_bytes(pk["vjp"]),
                          fmt_bytes(pk["checkpointed"]), fmt_bytes(pk["hand"]), num(div(pk["vjp"], steps)),
                          num(div(pk["checkpointed"], steps)), num(div(pk["hand"], steps)),
                          num(div(pk["vjp"], pk["checkpointed"]))])
        return "\n".join([
            "### LSTM: time and memory against the sequence length", "",
            "The l2 file's problem (2 layers, b = 14, 266 parameters) over a synthetic sequence: the "
            "file's 1024 characters repeated to c characters (c - 1 steps). plain = "
            "`lstm_objective_vjp`; checkpointed = `lstm_objective_ck_vjp`, the same objective with "
            "`#[checkpoint]` on its time loop (the forward sweep keeps the running state, 2 l b + b + 1 "
            "numbers, at the start of each segment of ceil(sqrt(c - 1)) steps; the reverse sweep replays "
            "one segment at a time); hand = back-propagation through time by hand (stores the gates of "
            "every step). Times by a plain clock in benches/lstm.rs, not criterion (the median of up to "
            "11 calls, or a single call when it takes over 1.5 s, as at c = 10^6); peaks by the counting "
            "allocator as for RK4 (above the level before the call: the inputs are not counted). The "
            "plain and hand-written gradients keep about 2 kB a step (gigabytes at c = 10^6); the "
            "checkpointed one keeps sqrt(c) snapshots of about 620 bytes (the state's 71 numbers, two of its "
            "vectors on the heap) and one segment's saves, so "
            "its memory grows as sqrt(c), and its time is about one objective more than the plain "
            "gradient's. "
            "tests/bench_correctness_adbench.rs checks the checkpointed gradient equals the plain one "
            "bit for bit.", "",
            "Time / objective time:", "",
            table(["c", "objective", "plain", "checkpointed", "hand", "checkpointed / plain"], trows,
                  ["---:"] * 6), "",
            "Peak heap during one call:", "",
            table(["c", "objective", "plain", "checkpointed", "hand", "plain: bytes / step",
                   "checkpointed: bytes / step", "hand: bytes / step", "plain / checkpointed"], mrows,
                  ["---:"] * 9)])

    def ba(self):
        g = "ba"
        ref = ba_reference()
        rc, rt = ref if ref else ("-", "-")
        rows = []
        for k in BA_FILES:
            f = f"ba{k}"
            t = {fn: self.t(g, fn, f, not self.quick or k <= 5)
                 for fn in ("objective", "hand", "jvp", "jvp_scalar", "vjp")}
            o = t["objective"]
            if o is None:
                continue
            rows.append([f, num(div(t["hand"], o)), num(div(t["jvp"], o)), num(div(t["jvp_scalar"], o)),
                         num(div(t["vjp"], o)), num(div(t["jvp"], t["hand"])),
                         num(div(t["jvp_scalar"], t["hand"])), num(div(t["vjp"], t["hand"])), rc, rt])
            self.target("BA Jacobian / hand-written Rust <= 1.2", f"BA {f}, forward (one 16-lane vector sweep)",
                        div(t["jvp"], t["hand"]), 1.2, "<=")
            self.target("BA Jacobian / hand-written Rust <= 1.2", f"BA {f}, reverse (2 sweeps)",
                        div(t["vjp"], t["hand"]), 1.2, "<=")
        return "\n".join([
            "## ADBench BA (benches/ba.rs)", "",
            "Jacobian time / objective time. The objective computes every residual (2 reprojection "
            "errors and 1 weight error per observation); the Jacobian is the sparse one: a 2 x 15 "
            "block per observation (camera 11, point 3, weight 1) and d(1 - w^2)/dw per weight, "
            "written into a buffer kept across iterations. hand = the block written by hand in Rust "
            "(benches/common/ba.rs); forward = `FORWARD_BLOCK`: one sweep of the generated "
            "`ba_residual_jvp_vec::<16>` (vector forward mode, the 15 columns in 15 of its 16 lanes; "
            "two 8-lane sweeps measured slower); forward scalar = 15 sweeps of the generated "
            "`ba_residual_jvp` (one unit tangent per column); reverse = 2 sweeps of the generated "
            "`ba_residual_vjp` (one per residual). tests/bench_correctness_adbench.rs checks the "
            "vector blocks equal the scalar ones exactly. The reference ratios are the data "
            "README's range over ba1, ba3, ba5, ba8, ba12 (ADBench's C++).", "",
            "What remains between the forward Jacobian and the hand-written one: the vector sweep "
            "carries all 15 tangent lanes through every operation, although most intermediate "
            "values depend on a few inputs only (the rotation on the 3 angles and the point, the "
            "centred point on the point and the camera centre, the intrinsics only at the end); "
            "the hand-written block uses that sparsity, about a fifth of the lane arithmetic. "
            "Knowing at compile time which lanes are structurally zero (activity per tangent "
            "direction) is the engine work that would close it. Built with "
            "`-C target-cpu=native` (AVX2, FMA) the hand-written block gains more than the lane "
            "arithmetic does (forward / hand 2.8 at ba1, measured once), so the tables use the "
            "default target. The reverse Jacobian (2 sweeps) is the closer one.", "",
            table(["file", "hand (Rust)", "forward", "forward scalar", "reverse", "forward / hand",
                   "forward scalar / hand", "reverse / hand", "ref: hand-written C++", "ref: Tapenade"],
                  rows, ["---"] + ["---:"] * 9)])

    def batch(self):
        g = "batch"
        rows = []
        names = {"rosenbrock": "Rosenbrock: 64 gradients, n = 10,000 each",
                 "gmm": "GMM: 8 gradients, d10 K25, 200 points each"}
        for p in ("rosenbrock", "gmm"):
            t = {fn: self.t(g, fn, p) for fn in ("sequential", "threads_1", "threads_2")}
            speed = div(t["threads_1"], t["threads_2"])
            rows.append([names[p], fmt_time(t["sequential"]), num(div(t["threads_1"], t["sequential"])),
                         num(speed), "-" if speed is None else f"{100 * speed / 2:.0f}%"])
        return "\n".join([
            "## Parallel batches with rayon (benches/batch.rs)", "",
            "Gradients of a batch of independent inputs: a sequential loop, and rayon's `par_iter` in "
            "pools of 1 and 2 threads (the machine's cores, shared with whatever else runs: see the "
            "load average above). The generated gradients are plain functions, so nothing is shared "
            "between threads; tests/bench_correctness_more.rs checks the parallel results equal the "
            "sequential ones bit for bit.", "",
            table(["batch", "sequential", "1 thread / sequential", "speed-up, 2 threads vs 1",
                   "parallel efficiency"], rows, ["---"] + ["---:"] * 4)])

    def memory_json(self, name):
        """target/bench-memory/<name> as a dict ({} and a missing entry if absent)."""
        path = os.path.join(ROOT, "target", "bench-memory", name)
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            if not self.quick:
                self.missing.append(f"target/bench-memory/{name}")
            return {}

    def rk4(self):
        g = "rk4"
        mem = self.memory_json("rk4.json")
        trows, mrows = [], []
        for n in RK4_STEPS:
            t = {fn: self.t(g, fn, n, not self.quick or n <= 100_000)
                 for fn in ("objective", "vjp", "checkpointed", "hand")}
            m = mem.get(str(n), {})
            o = t["objective"]
            if o is None and not m:
                continue
            trows.append([f"{n:,}", num(div(t["vjp"], o)), num(div(t["checkpointed"], o)), num(div(t["hand"], o)),
                          num(div(t["vjp"], t["hand"])), num(div(t["checkpointed"], t["vjp"]))])
            mrows.append([f"{n:,}", fmt_bytes(m.get("objective")), fmt_bytes(m.get("vjp")),
                          fmt_bytes(m.get("checkpointed")), fmt_bytes(m.get("hand")), num(div(m.get("vjp"), n)),
                          num(div(m.get("checkpointed"), n)), num(div(m.get("hand"), n)),
                          num(div(m.get("vjp"), m.get("checkpointed")))])
        sweep = mem.get("every", {})
        big = sweep.get("steps")
        erows = []
        if big is not None:
            o = self.t(g, "objective", big)
            plain_t, plain_m = self.t(g, "vjp", big), mem.get(str(big), {}).get("vjp")
            for e, peak in sorted(sweep.get("peak", {}).items(), key=lambda kv: int(kv[0])):
                te = self.t(g, f"every_{e}", big)
                segs = -(-big // int(e))
                erows.append([f"{int(e):,}", f"{segs:,}", num(div(te, o)), num(div(te, plain_t)),
                              fmt_bytes(peak), num(div(peak, big)), num(div(plain_m, peak))])
        return "\n".join([
            "## RK4 loop: time and memory against T (benches/rk4.rs)", "",
            "The RK4 loop of examples/ode.rs (logistic growth, 4 calls of the differentiated right-hand "
            "side per step), T steps, gradient with respect to r, K and y0. plain = the generated "
            "`logistic_vjp` (one reverse sweep, keeping every step's saves); checkpointed = the same loop "
            "under `#[checkpoint]` (`logistic_ck_vjp`): the forward sweep keeps only the state `y` at the "
            "start of each segment of ceil(sqrt(T)) steps, the reverse sweep runs each segment forward "
            "again with its saves and then backwards, so it does about one objective's work more and keeps "
            "about sqrt(T) snapshots and one segment's saves; hand = the discrete adjoint written by hand "
            "(stores y at every step, recomputes the stages backwards). tests/bench_correctness_more.rs "
            "checks the checkpointed gradients equal the plain one bit for bit.", "",
            "Time / objective time. The replay costs about one objective more, but once the plain "
            "gradient's stacks outgrow the caches its time per step grows, while the checkpointed one "
            "only ever touches one segment's saves: at large T the checkpointed gradient can be the faster.", "",
            table(["T", "plain", "checkpointed", "hand", "plain / hand", "checkpointed / plain"],
                  trows, ["---:"] * 6), "",
            "Peak of live heap bytes during one call above the level before it (a counting global "
            "allocator, benches/common/alloc.rs; the objective keeps only scalars). The plain gradient "
            "keeps a pullback closure per call of the right-hand side (4 a step), each capturing its "
            "arguments, the loop-invariant r and K included; the stacks grow by doubling, so a peak is "
            "the next power of two of what is kept. The checkpointed peak is the snapshots (16 bytes "
            "each, also a doubling stack) plus one segment's saves, so 100x the steps cost about 10x the "
            "bytes.", "",
            table(["T", "objective", "plain", "checkpointed", "hand", "plain: bytes / step",
                   "checkpointed: bytes / step", "hand: bytes / step", "plain / checkpointed"],
                  mrows, ["---:"] * 9), "",
            (f"The trade-off at T = {big:,}: `#[checkpoint(every = n)]` (`logistic_every_vjp`) for segment "
             "lengths n from 1 (a snapshot every step) to T (one segment: the plain gradient's saves plus "
             "one replay). Time / objective time, time / the plain gradient's, and the peak memory. "
             "Memory is least where the snapshots (T / n of 16 bytes) and one segment's saves (n steps "
             "of about 160 bytes) balance, near n = sqrt(T / 10): a little below the default sqrt(T), "
             "because a step saves ten times what a snapshot keeps. Short segments cost snapshots (16 "
             "bytes a step at n = 1), long ones saves; the time barely moves between n = 1 and n = T / 10."
             if big is not None else "(no segment-length sweep in these results)"), "",
            table(["segment length", "segments", "time / objective", "time / plain", "peak",
                   "bytes / step", "plain peak / peak"], erows, ["---:"] * 7)])

    def compile_time(self):
        path = os.path.join(ROOT, "target", "compile-time", "results.json")
        try:
            with open(path) as f:
                ct = json.load(f)
        except (OSError, ValueError):
            if not self.quick:
                self.missing.append("target/compile-time/results.json")
            return "## Compile time (scripts/compile_time.py)\n\nNot measured yet."
        names = {"plain": "no attributes", "reverse": "`#[differentiate(reverse)]`",
                 "forward": "`#[differentiate(forward)]`", "both": "`#[differentiate(forward, reverse)]`",
                 "expanded": "the `(forward, reverse)` expansion pasted in as source, no attributes"}
        profiles = {"dev": "dev", "dev-opt-macro": "dev, macro at opt-level 3", "release": "release"}
        out = ["## Compile time (scripts/compile_time.py)", "",
               f"A generated crate of {ct['functions']} functions of realistic size (80 over slices with two "
               "loops, a branch, a buffer, a call, a `while` and a `match`, about 30 lines each; 20 scalar "
               "helpers with a loop and a branch), built in variants that differ only in the attributes. "
               f"Best of {ct['reps']} builds (release: one) of the crate alone (its dependencies prebuilt); "
               "\"expansion\" is rustc's `macro_expand_crate` pass (`-Ztime-passes`), where the proc macro "
               "runs. \"dev, macro at opt-level 3\" is the dev profile with "
               "`[profile.dev.build-override] opt-level = 3`: cargo builds proc macros unoptimised by "
               "default, in every profile, and the engine's passes are then several times slower. Lines "
               "are non-blank source lines of the crate (the expanded crate's after rustc's pretty-printing).",
               ""]
        heads = ["variant", "lines"]
        profs = [p for p in profiles if p in ct["profiles"]]
        for p in profs:
            heads += [f"{profiles[p]}: build", f"{profiles[p]}: expansion"]
        rows = []
        for v in names:
            if v not in ct["lines"] or not any(v in ct["profiles"][p] for p in profs):
                continue
            row = [names[v], f"{ct['lines'][v]:,}"]
            for p in profs:
                r = ct["profiles"][p].get(v, {})
                row += [fmt_secs(r.get("wall")), fmt_secs(r.get("expand"))]
            rows.append(row)
        out.append(table(heads, rows, ["---"] + ["---:"] * (len(heads) - 1)))
        extra = []
        for p in profs:
            r = ct["profiles"][p]
            if "plain" in r and "both" in r:
                per = (r["both"]["wall"] - r["plain"]["wall"]) / ct["functions"] * 1000
                line = (f"- {profiles[p]}: the attributes add {r['both']['wall'] - r['plain']['wall']:.1f} s "
                        f"to the build ({per:.0f} ms per function for both modes)")
                if r["both"].get("expand") is not None:
                    line += f", of which {r['both']['expand']:.1f} s is the macro expanding"
                if "expanded" in r:
                    line += (f"; compiling the generated code without the macro takes "
                             f"{r['expanded']['wall']:.1f} s")
                extra.append(line + ".")
        extra.append("- Why: the proc macro's own passes dominate (the reverse-mode analyses most: "
                     "forward alone expands several times faster), and the generated code is much "
                     "larger than the source (see the lines column): each reverse-mode function is "
                     "emitted three times, as `f_vjp`, the hidden `__ad_f__vjp` entry and "
                     "`__ad_f__pullback`, which is what a release build pays for in code generation. "
                     "Users can take the optimised-macro row today with the `build-override` above.")
        return "\n".join(out + [""] + extra)

    def small(self):
        g = "small"
        rows = []
        names = {"mlp": "MLP loss (16-32-1 tanh, batch 64, 577 parameters)",
                 "rk4": "RK4, 1,000 steps of Lotka-Volterra (6 parameters)"}
        npars = {"mlp": 577, "rk4": 6}
        for p in ("mlp", "rk4"):
            t = {fn: self.t(g, fn, p) for fn in ("objective", "vjp", "hand", "num_dual_sweeps", "tape", "fd")}
            o = t["objective"]
            rows.append([names[p], num(div(t["vjp"], o)), num(div(t["hand"], o)),
                         num(div(t["vjp"], t["hand"])), num(div(t["num_dual_sweeps"], o)),
                         num(div(t["tape"], o)), num(div(t["fd"], o))])
            self.target("tape / reverse gradient >= 10", names[p].split(" (")[0], div(t["tape"], t["vjp"]),
                        10.0, ">=")
            if npars[p] >= 100:
                self.target("num-dual n sweeps / reverse gradient >= n/5",
                            f"{names[p].split(' (')[0]} (n = {npars[p]})",
                            div(t["num_dual_sweeps"], t["vjp"]), npars[p] / 5, ">=")
        return "\n".join([
            "## MLP loss and RK4 (benches/small.rs)", "",
            "Gradient time / objective time. num-dual = one `Dual64` sweep per parameter; FD = central "
            "differences. tape = the `reverse` crate (one recorded node per scalar operation).", "",
            "Why the tape is less than 10x slower here: the hand-written gradients do each sample's "
            "(MLP) or step's (RK4) reverse right after its forward, in cache, and ours does not: "
            "the MLP gradient runs its forward sweep over the whole batch before its reverse sweep "
            "(only a loop at the end of the body, adding into its sums, is fused into one pass "
            "today), and through RK4's calls of the right-hand side it keeps one pullback closure "
            "per call, 4 a step, capturing its arguments. Fusing a loop whose only carried values "
            "are sums wherever it stands (the seed reaches its sums through statements after it "
            "that are linear in them), and inlining small callees' pullbacks, are the engine work "
            "that would close it.", "",
            table(["problem", "ours", "hand", "ours / hand", "num-dual n sweeps", "tape", "FD"], rows,
                  ["---"] + ["---:"] * 6)])

    def matmul(self):
        g = "matmul"
        rows = []
        for p in MATMUL_PARAMS:
            t = {fn: self.t(g, fn, p) for fn in ("ours", "ndarray", "vjp", "vjp_transposed")}
            two = None if t["ours"] is None else 2 * t["ours"]
            ty, n = p.split("/")
            rows.append([ty, f"{int(n):,}", num(div(t["ours"], t["ndarray"])), num(div(t["vjp"], two)),
                         num(div(t["vjp_transposed"], two)), num(div(t["vjp_transposed"], t["vjp"]))])
            self.target("matmul / ndarray `dot` <= 1.5 (issue 3)", f"{ty} {n} x {n}",
                        div(t["ours"], t["ndarray"]), 1.5, "<=")
        return "\n".join([
            "## Matrix product (benches/matmul.rs)", "",
            "Square matrices, products of two n x n matrices. ours = `Tensor::matmul` (matrixmultiply's "
            "GEMM into a fresh zeroed tensor); ndarray = `Array2::dot` (ndarray's own GEMM path, no "
            "BLAS). VJP = the rule table's `matmul` VJP, both adjoints, `G B^T` and `A^T G` read through "
            "swapped strides; transposed = the same two products with the transposes formed first. "
            "The VJP costs two products, so its ideal is 1.00 x (2 x ours).", "",
            table(["type", "n", "ours / ndarray", "VJP / (2 x ours)", "transposed / (2 x ours)",
                   "transposed / VJP"], rows, ["---", "---:", "---:", "---:", "---:", "---:"])])

    def tensor_mlp(self):
        g = "tensor_mlp"
        rows = []
        for p in TENSOR_MLP_PARAMS:
            t = {fn: self.t(g, fn, p) for fn in ("objective", "vjp", "hand")}
            o = t["objective"]
            rows.append([p, num(div(t["vjp"], o)), num(div(t["hand"], o)), num(div(t["vjp"], t["hand"]))])
            self.target("MLP gradient / loss <= 3 (issue 3)", p, div(t["vjp"], o), 3.0, "<=")
        return "\n".join([
            "## Tensor MLP (benches/tensor_mlp.rs)", "",
            "`W2 tanh(W1 X + b1 1^T) + b2 1^T`, mean squared error over a batch, on `Tensor<f64>` inside "
            "one `#[differentiate(reverse, wrt(w1, b1, w2, b2))]` function (b = batch, i = inputs, "
            "h = hidden, o = outputs). hand = the same gradient written with the same tensor "
            "operations. Gradient time / loss time.", "",
            table(["sizes", "ours", "hand", "ours / hand"], rows, ["---", "---:", "---:", "---:"])])

    def targets_section(self):
        rows = [[w, where, v, "met" if met else "**missed**"] for (w, where, v, met) in self.targets]
        nmet = sum(1 for r in self.targets if r[3])
        return "\n".join([
            "## Targets", "",
            f"Issue 6's targets, and issue 3's for the matrix product: {nmet} of {len(self.targets)} "
            "checks met. Ratios as in the tables below.", "",
            table(["target", "where", "value", ""], rows, ["---", "---", "---:", "---"])])

    def times(self):
        rows = []
        for (g, fn, p), v in sorted(self.res.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][2]), str(kv[0][1]))):
            if g in ("peers_rosenbrock", "peers_sin", "gmm", "small", "rosenbrock", "lstm", "ba", "batch", "rk4", "matmul", "tensor_mlp"):
                rows.append([g, p, fn, fmt_time(v)])
        return "\n".join([
            "## Times", "", "Machine-dependent; for reference only.", "",
            f"<details><summary>all criterion {self.stat}s</summary>", "",
            table(["group", "input", "method", self.stat], rows, ["---", "---", "---", "---:"]),
            "", "</details>"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-run", action="store_true", help="do not run cargo bench; use existing results")
    ap.add_argument("--quick", action="store_true",
                    help="short measurements, largest inputs skipped, only this run's results used "
                         "(a few minutes; rougher ratios)")
    ap.add_argument("--bench", action="append", choices=BENCHES, metavar="NAME",
                    help="run only this benchmark (repeatable; the others' results are read from "
                         "target/criterion): " + ", ".join(BENCHES))
    ap.add_argument("--compile-time", action="store_true",
                    help="with --bench, also rerun scripts/compile_time.py (a full run always does)")
    ap.add_argument("--criterion", default=os.path.join(ROOT, "target", "criterion"),
                    help="criterion's output directory (default: target/criterion)")
    ap.add_argument("--out", default=OUT, help="the file to write (default: BENCHMARKS.md)")
    ap.add_argument("--stat", default="median", choices=["median", "mean"],
                    help="criterion's point estimate to use (default: median, robust to a busy machine)")
    ap.add_argument("--section", choices=["ba", "lstm", "matmul", "rk4", "tensor_mlp"],
                    help="print this one section (from existing results with --no-run) instead of "
                         "writing the file: for a benchmark run on its own")
    args = ap.parse_args()

    start = time.time()
    load_before = os.getloadavg()[1]
    benches = args.bench or BENCHES
    if not args.no_run:
        env = dict(os.environ)
        if args.quick:
            env["DIFFERENTIATE_BENCH_QUICK"] = "1"
        cmd = ["cargo", "bench"] + [a for b in benches for a in ("--bench", b)]
        print("running:", " ".join(cmd), file=sys.stderr)
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        if r.returncode != 0:
            print("cargo bench failed", file=sys.stderr)
            return r.returncode
        if not args.bench or args.compile_time:
            cmd = [sys.executable, os.path.join(ROOT, "scripts", "compile_time.py")] + (
                ["--quick"] if args.quick else [])
            print("running:", " ".join(cmd), file=sys.stderr)
            r = subprocess.run(cmd, cwd=ROOT)
            if r.returncode != 0:
                print("compile_time.py failed", file=sys.stderr)
                return r.returncode

    rep = Report(load_results(args.criterion, args.stat, start if args.quick and not args.no_run else None))
    rep.stat = args.stat
    rep.quick = args.quick
    if args.section:
        print(getattr(rep, args.section)())
        if rep.missing:
            print("missing results: " + ", ".join(rep.missing), file=sys.stderr)
            return 1
        return 0
    model, cores, rustc, commit = machine()
    body = [rep.rosenbrock_peers(), "", rep.rosenbrock_own(), "", rep.sin(), "", rep.gmm(), "",
            rep.lstm(), "", rep.ba(), "", rep.small(), "", rep.rk4(), "", rep.batch(), "", rep.compile_time(), "", rep.matmul(), "", rep.tensor_mlp()]
    elapsed = time.time() - start
    # what the last run was (kept for --no-run rewrites)
    run_path = os.path.join(ROOT, "target", "bench-memory", "last-run.json")
    if args.no_run:
        try:
            with open(run_path) as f:
                run = json.load(f)
        except (OSError, ValueError):
            run = None
    else:
        run = {"quick": args.quick, "minutes": elapsed / 60, "load_before": load_before,
               "load_after": os.getloadavg()[1], "benches": benches, "commit": commit}
        os.makedirs(os.path.dirname(run_path), exist_ok=True)
        with open(run_path, "w") as f:
            json.dump(run, f)
    load = "" if run is None else (
        f" Load average (5 min) {run['load_before']:.1f} at the start and {run['load_after']:.1f} at the end: "
        f"above {cores} the benchmarks shared the cores with other work, and ratios of methods timed "
        "at different moments are noisier.")
    quick = run["quick"] if run else args.quick
    if run and run.get("commit"):
        commit = run["commit"]  # what was measured, not what rewrote the file
    how = ("quick mode (`--quick`: short measurements, largest inputs skipped; rougher ratios)"
           if quick else "a full run")
    doc = [
        "# Benchmarks", "",
        "Generated by `python3 scripts/benchmarks_md.py`, which runs `cargo bench` on "
        + ", ".join(f"benches/{b}.rs" for b in BENCHES) +
        " and writes this file (`--no-run` rewrites it from the results already in target/criterion; "
        "`--quick` is a rougher run of a few minutes; `--bench NAME` reruns one benchmark). "
        f"Every number is a ratio of criterion {args.stat} times, so it "
        "carries over between machines where absolute times do not; lower is better unless a column "
        "says otherwise. Every derivative timed is checked against a hand-written one or finite "
        "differences by the tests/bench_correctness*.rs tests.", "",
        f"Machine: {model}, {cores} cores; {rustc}; `cargo bench` profile (opt-level 3, no LTO, "
        f"no target-cpu); engine at commit {commit}; generated {datetime.date.today().isoformat()} by "
        + how + ("" if run is None else f", which took {run['minutes']:.0f} minutes") + "." + load, "",
        "Peers: num-dual (forward-mode dual numbers), and `reverse` 0.2, a zero-dependency run-time "
        "tape (a Wengert list of nodes with two weights each, one reverse sweep), chosen as the "
        "lightest credible tape-based reverse mode on crates.io: it is what a run-time tape costs "
        "without any framework around it.", "",
        rep.targets_section(), "",
        "## Rosenbrock", "",
    ] + body + ["", rep.times(), ""]
    with open(args.out, "w") as f:
        f.write("\n".join(doc))
    print(f"wrote {os.path.relpath(args.out, ROOT)} ({elapsed:.0f} s)", file=sys.stderr)
    if rep.missing:
        print("missing results (run the benchmarks first): " + ", ".join(rep.missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
