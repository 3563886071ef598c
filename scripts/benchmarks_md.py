#!/usr/bin/env python3
"""Regenerate BENCHMARKS.md: ratios of the criterion benchmarks, side by side.

Usage (from anywhere; paths are relative to the workspace root):

    python3 scripts/benchmarks_md.py            # run the benchmarks, then write BENCHMARKS.md
    python3 scripts/benchmarks_md.py --no-run   # only rewrite BENCHMARKS.md from target/criterion
    python3 scripts/benchmarks_md.py --no-run --section matmul   # print one section, write nothing

Running means `cargo bench --bench rosenbrock --bench peers --bench gmm
--bench small --bench matmul` (about 6 to 7 minutes on 2 cores). The script reads every
target/criterion/**/new/estimates.json (with the benchmark.json beside it for
the group, function and parameter), takes criterion's median (or, with --stat mean, mean) point estimate, and
writes, per problem, derivative time / objective time for every method, ours /
hand-written, the issue-6 targets with met / missed, the machine (lscpu model
name, cores, rustc version) and, for GMM, the reference ratios of hand-written
C++, Tapenade and JAX parsed from ../shared/data/adbench/README.md.

Exits non-zero if a benchmark the tables need has no result.
"""
import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BENCHES = ["rosenbrock", "peers", "gmm", "small", "matmul"]
OUT = os.path.join(ROOT, "BENCHMARKS.md")

GMM_FILES = ["1k_d2_K5", "1k_d10_K25", "1k_d20_K50", "1k_d32_K100", "1k_d64_K100", "10k_d20_K50"]
PEER_SIZES = [100, 1000, 10000]
MATMUL_PARAMS = ["f64/256", "f64/1024", "f32/256", "f32/1024"]
ROSEN_SIZES = [1000, 10000, 1000000]


# ------------------------------------------------------------------ inputs

def load_results(criterion_dir, stat):
    """{(group, function, parameter): ns} from criterion's output (its `stat`
    point estimate: "median" or "mean")."""
    res = {}
    for est in glob.glob(os.path.join(criterion_dir, "**", "new", "estimates.json"), recursive=True):
        new = os.path.dirname(est)
        try:
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


def gmm_reference():
    """{'d2 K5': (hand C++, Tapenade, JAX)} from the data README's table."""
    path = os.path.join(adbench_dir(), "README.md")
    refs = {}
    try:
        text = open(path).read()
    except OSError:
        return refs, path
    section = text.split("## GMM", 1)[-1].split("\n## ", 1)[0]
    for line in section.splitlines():
        m = re.match(r"\|\s*(d\d+ K\d+)\s*\|\s*([^|]+)\|\s*([^|]+)\|\s*([^|]+)\|", line)
        if m:
            refs[m.group(1)] = tuple(c.strip() for c in m.group(2, 3, 4))
    return refs, path


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

    def t(self, group, fn, param, needed=True):
        v = self.res.get((group, fn, str(param)))
        if v is None and needed:
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
                 for fn in ("primal", "vjp", "hand", "hand_tuned", "jvp", "fd")}
            o = t["primal"]
            rows.append([f"{n:,}", num(div(t["vjp"], o)), num(div(t["hand"], o)),
                         num(div(t["hand_tuned"], o)), num(div(t["vjp"], t["hand"])),
                         num(div(t["vjp"], t["hand_tuned"])), num(div(t["jvp"], o)), num(div(t["fd"], o))])
            where = f"Rosenbrock n={n:,} (benches/rosenbrock.rs)"
            self.target("reverse gradient / objective <= 3", where, div(t["vjp"], o), 3.0, "<=")
            self.target("reverse gradient / hand-written <= 1.1", where, div(t["vjp"], t["hand"]), 1.1, "<=")
            self.target("JVP / objective <= 1.5", where, div(t["jvp"], o), 1.5, "<=")
        s = ["### Up to n = 10^6 (benches/rosenbrock.rs)", "",
             "Time / objective time. hand-tuned = the hand-written loop with the `g[i+1]` term "
             "carried in a register and no bounds checks.", "",
             table(["n", "ours", "hand", "hand-tuned", "ours / hand", "ours / hand-tuned", "ours JVP",
                    "FD"], rows)]
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
            table(["method", "time / objective"], rows, ["---", "---:"])])

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
                try:
                    lim = float(rc)
                except ValueError:
                    lim = None
                if lim is not None:
                    self.target("GMM gradient / objective < hand-written C++'s", f"GMM {s} d{d} K{k}",
                                div(t["vjp"], o), lim, "<=")
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
            table(["file", "parameters", "ours", "hand (Rust)", "ours / hand", "FD", "num-dual",
                   "tape", "ref: hand-written C++", "ref: Tapenade", "ref: JAX"], rows,
                  ["---"] + ["---:"] * 10)])

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
            "differences.", "",
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
            if g in ("peers_rosenbrock", "peers_sin", "gmm", "small", "rosenbrock", "matmul"):
                rows.append([g, p, fn, fmt_time(v)])
        return "\n".join([
            "## Times", "", "Machine-dependent; for reference only.", "",
            f"<details><summary>all criterion {self.stat}s</summary>", "",
            table(["group", "input", "method", self.stat], rows, ["---", "---", "---", "---:"]),
            "", "</details>"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-run", action="store_true", help="do not run cargo bench; use existing results")
    ap.add_argument("--criterion", default=os.path.join(ROOT, "target", "criterion"),
                    help="criterion's output directory (default: target/criterion)")
    ap.add_argument("--out", default=OUT, help="the file to write (default: BENCHMARKS.md)")
    ap.add_argument("--stat", default="median", choices=["median", "mean"],
                    help="criterion's point estimate to use (default: median, robust to a busy machine)")
    ap.add_argument("--section", choices=["matmul"],
                    help="print this one section (from existing results with --no-run) instead of "
                         "writing the file: for a benchmark run on its own")
    args = ap.parse_args()

    if not args.no_run:
        cmd = ["cargo", "bench"] + [a for b in BENCHES for a in ("--bench", b)]
        print("running:", " ".join(cmd), file=sys.stderr)
        r = subprocess.run(cmd, cwd=ROOT)
        if r.returncode != 0:
            print("cargo bench failed", file=sys.stderr)
            return r.returncode

    rep = Report(load_results(args.criterion, args.stat))
    rep.stat = args.stat
    if args.section:
        print(getattr(rep, args.section)())
        if rep.missing:
            print("missing results: " + ", ".join(rep.missing), file=sys.stderr)
            return 1
        return 0
    model, cores, rustc, commit = machine()
    body = [rep.rosenbrock_peers(), "", rep.rosenbrock_own(), "", rep.sin(), "", rep.gmm(), "", rep.small(),
            "", rep.matmul()]
    doc = [
        "# Benchmarks", "",
        "Generated by `python3 scripts/benchmarks_md.py`, which runs `cargo bench --bench rosenbrock "
        "--bench peers --bench gmm --bench small --bench matmul` and writes this file (`--no-run` rewrites it from the "
        f"results already in target/criterion). Every number is a ratio of criterion {args.stat} times, so it "
        "carries over between machines where absolute times do not; lower is better unless a column "
        "says otherwise. Every derivative timed is checked against a hand-written one or finite "
        "differences by tests/bench_correctness.rs and tests/bench_correctness_more.rs.", "",
        f"Machine: {model}, {cores} cores; {rustc}; `cargo bench` profile (opt-level 3, no LTO, "
        f"no target-cpu); engine at commit {commit}; generated {datetime.date.today().isoformat()}.", "",
        "Peers: num-dual (forward-mode dual numbers), and `reverse` 0.2, a zero-dependency run-time "
        "tape (a Wengert list of nodes with two weights each, one reverse sweep), chosen as the "
        "lightest credible tape-based reverse mode on crates.io: it is what a run-time tape costs "
        "without any framework around it.", "",
        rep.targets_section(), "",
        "## Rosenbrock", "",
    ] + body + ["", rep.times(), ""]
    with open(args.out, "w") as f:
        f.write("\n".join(doc))
    print(f"wrote {os.path.relpath(args.out, ROOT)}", file=sys.stderr)
    if rep.missing:
        print("missing results (run the benchmarks first): " + ", ".join(rep.missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
