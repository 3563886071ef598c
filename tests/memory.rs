//! Reverse-mode memory is proportional to the number of *overwritten and
//! needed* active values, not to the number of operations.
//!
//! A counting global allocator (benches/common/alloc.rs) measures, for one
//! call, the bytes allocated in total and the peak of live bytes above what
//! was live before the call.
//! Only allocations made by the measuring thread while a measurement is open
//! are counted, and everything runs in ONE `#[test]` so no other test's
//! allocations can land in a window.

use differentiate::prelude::*;

#[path = "../benches/common/rosenbrock.rs"]
mod problem;
use problem::*;

#[path = "../benches/common/alloc.rs"]
mod alloc;
use alloc::{measure, Bytes};

/// One needed scalar overwritten per iteration, one operation besides.
#[differentiate(reverse)]
fn chain_1op(y0: f64, a: f64, t: usize) -> f64 {
    let mut y = y0;
    for _k in 0..t {
        y = (y * a).sin();
    }
    y
}

/// The same overwrite of `y`, with eleven more nonlinear operations per
/// iteration, all on loop-local temporaries.
#[differentiate(reverse)]
fn chain_12op(y0: f64, a: f64, t: usize) -> f64 {
    let mut y = y0;
    for _k in 0..t {
        let u = y * a;
        let v = u * u + 0.5 * u;
        let w = v.cos() * u;
        let p = w.tanh() * v;
        let q = (p * p + 1.0).sqrt();
        let r = q.ln() * w + u.exp() / q;
        y = (u + 0.001 * r).sin();
    }
    y
}

/// Two needed scalars overwritten per iteration: twice the stack.
#[differentiate(reverse)]
fn chain_2vars(y0: f64, a: f64, t: usize) -> f64 {
    let mut y = y0;
    let mut z = y0;
    for _k in 0..t {
        let u = y * a;
        y = (u + z).sin();
        z = (z * y).cos();
    }
    y + z
}

/// An overwritten scalar that no adjoint reads (the update is linear in it):
/// nothing is saved, whatever the trip count.
#[differentiate(reverse)]
fn chain_linear(y0: f64, a: f64, t: usize) -> f64 {
    let mut y = y0;
    for _k in 0..t {
        y = 0.5 * y + a.sin();
    }
    y
}

/// `chain_1op` with `#[checkpoint]`: snapshots of `y` every ~sqrt(T)
/// iterations, and one segment's saves at a time.
#[differentiate(reverse)]
fn chain_1op_ck(y0: f64, a: f64, t: usize) -> f64 {
    let mut y = y0;
    #[checkpoint]
    for _k in 0..t {
        y = (y * a).sin();
    }
    y
}

/// A running sum inside an outer loop: `s` is needed (its final value feeds
/// `ln`), but no adjoint reads its partial sums, so nothing is saved per
/// inner iteration: one value per outer iteration, whatever `x.len()`.
#[differentiate(reverse)]
fn lse_repeated(x: &[f64], t: usize) -> f64 {
    let mut total = 0.0;
    for _k in 0..t {
        let mut s = 0.0;
        for i in 0..x.len() {
            s += x[i].exp();
        }
        total += (s + 2.0).ln();
    }
    total
}

/// `sum_r (L x)_r^2` row by row (the GMM objective's inner loops): each row's
/// dot product `v` is needed by `v * v`, its partial sums are not.
#[differentiate(reverse)]
fn lower_quadratic(l: &[f64], x: &[f64]) -> f64 {
    let d = x.len();
    let mut sq = 0.0;
    for r in 0..d {
        let mut v = 0.0;
        for c in 0..r + 1 {
            v += l[r * d + c] * x[c];
        }
        sq += v * v;
    }
    sq
}

/// Forward-difference check of a scalar two-input reverse derivative.
fn check_grad(f: impl Fn(f64, f64) -> f64, y0: f64, a: f64, dy0: f64, da: f64) {
    let h = 1e-6;
    let fy = (f(y0 + h, a) - f(y0 - h, a)) / (2.0 * h);
    let fa = (f(y0, a + h) - f(y0, a - h)) / (2.0 * h);
    assert!(
        (fy - dy0).abs() <= 1e-5 * (1.0 + fy.abs()),
        "d/dy0: fd {fy} vs ad {dy0}"
    );
    assert!(
        (fa - da).abs() <= 1e-5 * (1.0 + fa.abs()),
        "d/da: fd {fa} vs ad {da}"
    );
}

#[test]
fn reverse_mode_memory_follows_overwritten_needed_values_not_operations() {
    // Save stacks reuse pooled buffers across calls: off, so each
    // measurement sees exactly its call's own allocations.
    differentiate::__private::set_stack_pooling(false);
    let mut report = String::new();

    // (a) Rosenbrock: the loop's needed values (a, b, x_i) are loop locals the
    // reverse sweep recomputes and `s` is updated linearly, so the only
    // allocation is the returned gradient: 8n bytes, no stack.
    for n in [10_000usize, 100_000, 1_000_000] {
        let x = points(n, 3, -2.0, 2.0);
        let ((_, g), b) = measure(|| rosenbrock_vjp(&x, 1.0));
        assert_eq!(g.len(), n);
        report += &format!(
            "rosenbrock_vjp n={n:>9}: total {:>9} B, peak {:>9} B ({:.3} B/elem)\n",
            b.total,
            b.peak,
            b.total as f64 / n as f64
        );
        assert!(b.total >= 8 * n, "n={n}: {b:?} smaller than the gradient");
        assert!(
            b.total <= 8 * n + 256,
            "n={n}: {b:?}: more than the gradient (8n = {})",
            8 * n
        );
        assert!(b.peak <= 8 * n + 256, "n={n}: {b:?}");
        // The primal and the forward mode allocate nothing at all.
        let (_, bp) = measure(|| rosenbrock(&x));
        assert_eq!(bp.total, 0, "primal allocated {bp:?}");
        let (_, bj) = measure(|| rosenbrock_jvp(&x, &x));
        assert_eq!(bj.total, 0, "jvp allocated {bj:?}");
    }

    // (b) One overwritten needed scalar per iteration: a stack, whose size is
    // measured in f64 words saved per iteration. A `Vec` stack grows by
    // doubling, so T pushes hold `next_power_of_two(T)` slots at the end of
    // the forward sweep, when every stack is at its fullest.
    let words = |b: Bytes, t: usize| b.peak as f64 / (8 * t.next_power_of_two()) as f64;
    let (y0, a) = (0.3, 1.1);
    for t in [1_000usize, 10_000, 100_000] {
        let ((v1, ..), b1) = measure(|| chain_1op_vjp(y0, a, t, 1.0));
        let ((v12, ..), b12) = measure(|| chain_12op_vjp(y0, a, t, 1.0));
        let (_, b2) = measure(|| chain_2vars_vjp(y0, a, t, 1.0));
        let (_, bl) = measure(|| chain_linear_vjp(y0, a, t, 1.0));
        for (name, b) in [
            ("chain_1op", b1),
            ("chain_12op", b12),
            ("chain_2vars", b2),
            ("chain_linear", bl),
        ] {
            report += &format!(
                "{name:<12}_vjp T={t:>7}: total {:>9} B, peak {:>9} B = {:.2} B/iter = {:.2} f64 saved/iter\n",
                b.total, b.peak, b.peak as f64 / t as f64, words(b, t));
        }
        // The body's size does not matter: 12 operations per iteration save
        // exactly what 1 operation saves.
        assert_eq!(
            b1, b12,
            "T={t}: 12 ops per iteration must save what 1 op saves"
        );
        // One overwritten needed scalar: exactly 1 saved f64 per iteration
        // (y's old value; `y * a` is recomputed from it in the reverse sweep).
        assert_eq!(words(b1, t), 1.0, "T={t}: {b1:?}");
        // Two overwritten needed scalars: exactly twice that.
        assert_eq!(words(b2, t), 2.0, "T={t}: {b2:?}");
        // An overwritten scalar that no adjoint reads: nothing saved.
        assert!(
            bl.total <= 64,
            "T={t}: a value nobody needs was saved: {bl:?}"
        );
        assert_eq!(v1, chain_1op(y0, a, t));
        assert_eq!(v12, chain_12op(y0, a, t));
    }
    let (r1, r12, r2, rl) = (
        chain_1op_vjp(y0, a, 5, 1.0),
        chain_12op_vjp(y0, a, 5, 1.0),
        chain_2vars_vjp(y0, a, 5, 1.0),
        chain_linear_vjp(y0, a, 5, 1.0),
    );
    check_grad(|y, a| chain_1op(y, a, 5), y0, a, r1.1, r1.2);
    check_grad(|y, a| chain_12op(y, a, 5), y0, a, r12.1, r12.2);
    check_grad(|y, a| chain_2vars(y, a, 5), y0, a, r2.1, r2.2);
    check_grad(|y, a| chain_linear(y, a, 5), y0, a, rl.1, rl.2);

    // (c) Partial sums nobody reads are not saved. `lse_repeated` keeps one
    // f64 per outer iteration (the final sum, for `ln`'s adjoint): the same
    // bytes for 10 and for 10,000 inner iterations.
    let t = 1_000usize;
    let mut peaks = Vec::new();
    for n in [10usize, 10_000] {
        let x = points(n, 7, -1.0, 1.0);
        let ((v, g), b) = measure(|| lse_repeated_vjp(&x, t, 1.0));
        report += &format!(
            "lse_repeated_vjp n={n:>6} t={t}: total {:>9} B, peak {:>9} B\n",
            b.total, b.peak
        );
        assert_eq!(v, lse_repeated(&x, t));
        // d/dx_i = t exp(x_i) / (sum_j exp(x_j) + 2)
        let s: f64 = x.iter().map(|xi| xi.exp()).sum();
        for (gi, xi) in g.iter().zip(&x) {
            let exact = t as f64 * xi.exp() / (s + 2.0);
            assert!((gi - exact).abs() <= 1e-12 * exact.abs(), "{gi} vs {exact}");
        }
        // the gradient (8n bytes) and the outer loop's saved sums (8 bytes
        // each, a doubling stack: at most 16t) and nothing per inner iteration
        assert!(b.peak <= 8 * n + 16 * t + 256, "n={n}: {b:?}");
        peaks.push(b.peak - 8 * n);
    }
    assert_eq!(
        peaks[0], peaks[1],
        "saved bytes depend on the inner length: {peaks:?}"
    );
    // `lower_quadratic`: one f64 per row (v for `v * v`), not one per product.
    let d = 300usize;
    let lm = points(d * d, 11, -1.0, 1.0);
    let x = points(d, 13, -1.0, 1.0);
    let ((v, gl, gx), b) = measure(|| lower_quadratic_vjp(&lm, &x, 1.0));
    report += &format!(
        "lower_quadratic_vjp d={d}: total {:>9} B, peak {:>9} B\n",
        b.total, b.peak
    );
    assert_eq!(v, lower_quadratic(&lm, &x));
    assert!(b.peak <= 8 * (d * d + d) + 16 * d + 256, "{b:?}");
    // d/dL_rc = 2 v_r x_c (c <= r), d/dx_c = 2 sum_{r >= c} v_r L_rc
    let rows: Vec<f64> = (0..d)
        .map(|r| (0..=r).map(|c| lm[r * d + c] * x[c]).sum())
        .collect();
    for r in 0..d {
        for c in 0..d {
            let exact = if c <= r { 2.0 * rows[r] * x[c] } else { 0.0 };
            assert!((gl[r * d + c] - exact).abs() <= 1e-12 * (1.0 + exact.abs()));
        }
    }
    for c in 0..d {
        let exact: f64 = (c..d).map(|r| 2.0 * rows[r] * lm[r * d + c]).sum();
        assert!(
            (gx[c] - exact).abs() <= 1e-10 * (1.0 + exact.abs()),
            "{} vs {exact}",
            gx[c]
        );
    }

    // (d) `#[checkpoint]`: memory grows as sqrt(T). A snapshot is the
    // segment's first index and `y` (16 bytes), a segment saves 8 bytes an
    // iteration; both stacks grow by doubling.
    let mut ck_peaks = Vec::new();
    for t in [10_000usize, 1_000_000] {
        let s = (t as f64).sqrt().ceil() as usize;
        let (plain, bp) = measure(|| chain_1op_vjp(y0, a, t, 1.0));
        let (ck, bc) = measure(|| chain_1op_ck_vjp(y0, a, t, 1.0));
        report += &format!(
            "chain_1op_ck_vjp T={t:>8}: peak {:>9} B (plain: {:>9} B)\n",
            bc.peak, bp.peak
        );
        assert_eq!(
            ck, plain,
            "T={t}: the checkpointed gradient is the same computation"
        );
        let bound = 2 * 16 * t.div_ceil(s) + 2 * 8 * s + 256;
        assert!(bc.peak <= bound, "T={t}: {bc:?} above {bound}");
        assert!(bp.peak >= 8 * t, "T={t}: {bp:?}");
        ck_peaks.push(bc.peak as f64);
    }
    // 100x the iterations: about 10x the bytes (doubling: between 5x and 20x)
    let growth = ck_peaks[1] / ck_peaks[0];
    report += &format!("chain_1op_ck_vjp peak(T=1e6)/peak(T=1e4) = {growth:.2}\n");
    assert!((5.0..=20.0).contains(&growth), "{ck_peaks:?}");

    // (e) With the pool on (the default), a second call reuses the first
    // call's stack buffer: nothing is allocated but the pool's small box for
    // the buffer it takes back.
    differentiate::__private::set_stack_pooling(true);
    let t = 100_000;
    let first = chain_1op_vjp(y0, a, t, 1.0);
    let (second, b) = measure(|| chain_1op_vjp(y0, a, t, 1.0));
    report += &format!("chain_1op_vjp T={t}, second call with the pool: {b:?}\n");
    assert_eq!(first, second);
    assert!(b.peak <= 64, "the pooled stack was allocated again: {b:?}");
    differentiate::__private::set_stack_pooling(false);

    // Peak memory grows linearly in T: 10x the iterations    // Peak memory grows linearly in T: 10x the iterations, about 10x the bytes
    // (Vec's doubling can make it anywhere between 5x and 20x).
    let (_, small) = measure(|| chain_12op_vjp(y0, a, 10_000, 1.0));
    let (_, big) = measure(|| chain_12op_vjp(y0, a, 100_000, 1.0));
    let ratio = big.peak as f64 / small.peak as f64;
    report += &format!("chain_12op_vjp peak(T=1e5)/peak(T=1e4) = {ratio:.2}\n");
    assert!((5.0..=20.0).contains(&ratio), "{small:?} -> {big:?}");

    eprintln!("{report}");
}
