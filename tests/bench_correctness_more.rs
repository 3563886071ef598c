//! Every derivative that benches/gmm.rs, benches/peers.rs and benches/small.rs
//! time is checked here, so the benchmarks measure nothing that is wrong:
//!
//! - GMM: the hand-written gradient against central finite differences, and
//!   the generated gradient, num-dual's forward mode and the `reverse` tape
//!   against the hand-written one, on every benchmarked file (the first points
//!   only, to keep debug-mode tests fast; the code path is the same).
//! - Rosenbrock peers: num-dual (n sweeps of `Dual64`, its own vector-mode
//!   `gradient`, and one `Dual64` sweep along a direction), the tape, finite
//!   differences and our gradient and JVP against the hand-written gradient.
//! - The sin sweep: one forward sweep and one JVP per point both give cos.
//! - MLP loss and RK4: generated gradient, hand-written gradient, num-dual,
//!   the tape and finite differences agree.

#[path = "../benches/common/gmm.rs"]
mod gmm;
// The bench files themselves (their `main` and criterion functions go unused
// here): the derivatives checked are exactly the ones timed.
// (each includes benches/common/quick.rs, the benches' quick-mode switch)
#[allow(clippy::duplicate_mod)]
#[path = "../benches/peers.rs"]
mod peers;
#[allow(clippy::duplicate_mod)]
#[path = "../benches/small.rs"]
mod small;

mod common;
use common::{assert_all_close, within};

/// The files benches/gmm.rs times (kept in sync by hand; the bench's list).
const GMM_FILES: [(&str, usize, usize); 6] = [
    ("1k", 2, 5),
    ("1k", 10, 25),
    ("1k", 20, 50),
    ("1k", 32, 100),
    ("1k", 64, 100),
    ("10k", 20, 50),
];

fn packed(a: &[f64], b: &[f64], c: &[f64]) -> Vec<f64> {
    let mut p = a.to_vec();
    p.extend_from_slice(b);
    p.extend_from_slice(c);
    p
}

#[test]
fn gmm_file_reader_matches_the_format() {
    let g = gmm::read_gmm("1k", 2, 5);
    assert_eq!((g.d, g.k, g.n), (2, 5, 1000));
    assert_eq!(g.alpha[0], -0.649014);
    assert_eq!(g.means[..2], [0.345561, 0.396767]);
    assert_eq!(g.icf[..3], [0.166813, -1.965419, -1.270071]);
    assert_eq!(g.x[..2], [1.270848, 0.066009]);
    assert_eq!(g.x.len(), 2000);
    assert_eq!((g.gamma, g.m), (1.0, 0.0));
    assert_eq!(g.n_params(), 5 * (1 + 2 + 3));
}

#[test]
fn gmm_hand_gradient_equals_finite_differences() {
    // every component at d2 K5 (all points); a spread of components at d10 K25
    for (d, k, n, stride) in [(2usize, 5usize, 1000usize, 1usize), (10, 25, 50, 7)] {
        let g = gmm::read_gmm("1k", d, k).truncated(n);
        let (v, da, dm, di) = g.hand();
        assert!(within(v, g.objective(), 1e-12), "d{d} K{k}: value");
        let grad = packed(&da, &dm, &di);
        let mut p = g.params();
        let idx: Vec<usize> = (0..p.len()).step_by(stride).collect();
        let fd = gmm::gmm_fd(&g, &mut p, idx.iter().cloned(), 1e-5);
        for (j, &i) in idx.iter().enumerate() {
            assert!(
                within(fd[j], grad[i], 1e-6),
                "d{d} K{k}: component {i}: fd {} vs hand {}",
                fd[j],
                grad[i]
            );
        }
    }
}

#[test]
fn gmm_generated_gradient_equals_hand_written_on_every_file() {
    for (set, d, k) in GMM_FILES {
        let g = gmm::read_gmm(set, d, k).truncated(if d >= 32 { 3 } else { 20 });
        let (v, da, dm, di) = g.vjp();
        let (vh, dah, dmh, dih) = g.hand();
        let what = format!("{set} d{d} K{k}");
        assert!(within(v, vh, 1e-12), "{what}: value {v} vs {vh}");
        assert!(
            within(v, g.objective(), 1e-12),
            "{what}: value vs objective"
        );
        assert_all_close(&format!("{what} d_alpha"), &da, &dah, 1e-10);
        assert_all_close(&format!("{what} d_means"), &dm, &dmh, 1e-10);
        assert_all_close(&format!("{what} d_icf"), &di, &dih, 1e-10);
    }
}

#[test]
fn gmm_peers_equal_hand_written() {
    // the files where benches/gmm.rs times num-dual and the tape
    for (d, k, n) in [(2usize, 5usize, 1000usize), (10, 25, 20)] {
        let g = gmm::read_gmm("1k", d, k).truncated(n);
        let (vh, dah, dmh, dih) = g.hand();
        let want = packed(&dah, &dmh, &dih);
        let p = g.params();
        let (vt, gt) = gmm::gmm_grad_tape(&g, &p);
        assert!(within(vt, vh, 1e-12), "tape value");
        assert_all_close("tape", &gt, &want, 1e-10);
        if p.len() <= 30 {
            let (vd, gd) = gmm::gmm_grad_num_dual(&g, &p);
            assert!(within(vd, vh, 1e-12), "num-dual value");
            assert_all_close("num-dual", &gd, &want, 1e-10);
            let mut pm = p.clone();
            let fd = gmm::gmm_fd(&g, &mut pm, 0..p.len(), 1e-6);
            assert_all_close("fd", &fd, &want, 1e-5);
        }
    }
}

#[test]
fn rosenbrock_peers_equal_hand_written() {
    for &n in &[2usize, 3, 100, 1_000] {
        let x = peers::rosen::points(n, 5, -2.0, 2.0);
        let dx = peers::rosen::points(n, 6, -1.0, 1.0);
        let (vh, gh) = peers::rosen::rosenbrock_grad_hand(&x);
        let what = format!("n={n}");
        let (v, g) = peers::rosenbrock_grad_num_dual_sweeps(&x);
        assert!(within(v, vh, 1e-12), "{what}: num-dual sweeps value");
        assert_all_close(&format!("{what} num-dual sweeps"), &g, &gh, 1e-12);
        if n <= peers::DVEC_MAX_N {
            let (v, g) = peers::rosenbrock_grad_num_dual_dvec(&x);
            assert!(within(v, vh, 1e-12), "{what}: num-dual gradient value");
            assert_all_close(&format!("{what} num-dual gradient"), &g, &gh, 1e-12);
        }
        let (v, g) = peers::rosenbrock_grad_tape(&x);
        assert!(within(v, vh, 1e-12), "{what}: tape value");
        assert_all_close(&format!("{what} tape"), &g, &gh, 1e-12);
        let (v, g) = peers::rosen::rosenbrock_vjp(&x, 1.0);
        assert!(within(v, vh, 1e-12), "{what}: vjp value");
        assert_all_close(&format!("{what} vjp"), &g, &gh, 1e-12);
        // the JVPs (ours and num-dual's) are the gradient along dx
        let dot: f64 = gh.iter().zip(&dx).map(|(g, d)| g * d).sum();
        let (v, t) = peers::rosen::rosenbrock_jvp(&x, &dx);
        assert!(
            within(v, vh, 1e-12) && within(t, dot, 1e-10),
            "{what}: jvp {t} vs {dot}"
        );
        let (v, t) = peers::rosenbrock_jvp_num_dual(&x, &dx);
        assert!(
            within(v, vh, 1e-12) && within(t, dot, 1e-10),
            "{what}: num-dual jvp {t} vs {dot}"
        );
        if n <= 100 {
            let mut xm = x.clone();
            let fd = peers::rosen::central_fd(peers::rosen::rosenbrock, &mut xm, 1e-6);
            assert_all_close(&format!("{what} fd"), &fd, &gh, 1e-6);
        }
    }
    // the sizes benchmarked, generated against hand-written only (fast)
    for &n in &peers::ROSENBROCK_SIZES {
        let x = peers::rosen::points(n, 1, -2.0, 2.0);
        let (_, g) = peers::rosen::rosenbrock_vjp(&x, 1.0);
        let (_, gh) = peers::rosen::rosenbrock_grad_hand(&x);
        assert_all_close(&format!("n={n} vjp"), &g, &gh, 1e-12);
        let (_, gt) = peers::rosenbrock_grad_tape(&x);
        assert_all_close(&format!("n={n} tape"), &gt, &gh, 1e-12);
    }
}

#[test]
fn sin_sweep_one_forward_sweep_and_per_point_give_cos() {
    let xs = peers::sin_grid();
    assert_eq!(xs.len(), 1001);
    let ones = vec![1.0; xs.len()];
    let (y, dy) = peers::sin_all_jvp(&xs, &ones);
    let (yp, dyp) = peers::sin_per_point(&xs);
    let (yd, dyd) = peers::sin_per_point_num_dual(&xs);
    let (yh, dyh) = peers::sin_hand(&xs);
    assert_eq!(peers::sin_all(&xs), yh);
    for i in 0..xs.len() {
        let (s, c) = (xs[i].sin(), xs[i].cos());
        assert_eq!((y[i], dy[i]), (s, c), "one sweep, x = {}", xs[i]);
        assert_eq!((yp[i], dyp[i]), (s, c), "per point, x = {}", xs[i]);
        assert_eq!((yd[i], dyd[i]), (s, c), "num-dual, x = {}", xs[i]);
        assert_eq!((yh[i], dyh[i]), (s, c), "hand, x = {}", xs[i]);
    }
}

#[test]
fn mlp_gradients_agree() {
    let p = small::Mlp::new();
    let (vh, gh) = small::mlp_grad_hand(&p);
    let v0 = p.objective();
    assert!(within(vh, v0, 1e-12), "hand value {vh} vs {v0}");
    assert_eq!(gh.len(), 16 * 32 + 32 + 32 + 1);
    let mut q = p.params();
    let fd = small::fd(|x| p.objective_at(x), &mut q, 1e-6);
    assert_all_close("mlp fd vs hand", &fd, &gh, 1e-6);
    let (v, g) = p.vjp();
    assert!(within(v, v0, 1e-12), "vjp value");
    assert_all_close("mlp vjp", &g, &gh, 1e-10);
    let (v, g) = small::mlp_grad_num_dual(&p);
    assert!(within(v, v0, 1e-12), "num-dual value");
    assert_all_close("mlp num-dual", &g, &gh, 1e-10);
    let (v, g) = small::mlp_grad_tape(&p);
    assert!(within(v, v0, 1e-12), "tape value");
    assert_all_close("mlp tape", &g, &gh, 1e-10);
}

#[test]
fn rk4_gradients_agree() {
    let p = small::Rk4::new();
    let (vh, gh) = small::rk4_grad_hand(&p);
    let v0 = p.objective();
    assert!(within(vh, v0, 1e-12), "hand value {vh} vs {v0}");
    assert_eq!(gh.len(), 6);
    let mut q = p.params();
    let fd = small::fd(|x| p.objective_at(x), &mut q, 1e-6);
    assert_all_close("rk4 fd vs hand", &fd, &gh, 1e-5);
    let (v, g) = p.vjp();
    assert!(within(v, v0, 1e-12), "vjp value");
    assert_all_close("rk4 vjp", &g, &gh, 1e-10);
    let (v, g) = small::rk4_grad_num_dual(&p);
    assert!(within(v, v0, 1e-12), "num-dual value");
    assert_all_close("rk4 num-dual", &g, &gh, 1e-10);
    let (v, g) = small::rk4_grad_tape(&p);
    assert!(within(v, v0, 1e-12), "tape value");
    assert_all_close("rk4 tape", &g, &gh, 1e-10);
}

// The bench file itself; it includes common/gmm.rs and common/rosenbrock.rs
// again under its own module (so the batch is exactly the one timed).
#[allow(clippy::duplicate_mod)]
#[path = "../benches/batch.rs"]
mod batch;

#[test]
fn parallel_batches_equal_sequential_ones_exactly() {
    // the generated gradients are pure: any thread, any order, same bits
    let xs = batch::rosen_batch();
    let seq = batch::rosen_sequential(&xs);
    assert_eq!(seq.len(), batch::ROSEN_BATCH);
    for t in batch::THREADS {
        let par = batch::pool(t).install(|| batch::rosen_parallel(&xs));
        assert_eq!(par, seq, "rosenbrock, {t} threads");
    }
    let (_, g0) = batch::rosen::rosenbrock_grad_hand(&xs[0]);
    assert_all_close("rosenbrock batch[0] vs hand", &seq[0].1, &g0, 1e-12);

    let gs = batch::gmm_batch();
    let seq = batch::gmm_sequential(&gs);
    for t in batch::THREADS {
        let par = batch::pool(t).install(|| batch::gmm_parallel(&gs));
        assert_eq!(par, seq, "gmm, {t} threads");
    }
    // the problems differ, and each gradient is the hand-written one
    assert_ne!(seq[0].0, seq[1].0);
    for (g, s) in gs.iter().zip(&seq) {
        let (vh, dah, dmh, dih) = g.hand();
        assert!(within(s.0, vh, 1e-12));
        assert_all_close("gmm batch d_alpha", &s.1, &dah, 1e-10);
        assert_all_close("gmm batch d_means", &s.2, &dmh, 1e-10);
        assert_all_close("gmm batch d_icf", &s.3, &dih, 1e-10);
    }
}

#[path = "../benches/common/rk4.rs"]
mod rk4;

#[test]
fn rk4_loop_gradients_agree_at_every_length() {
    for steps in [1usize, 7, 1_000, 10_000] {
        let (v, dr, dk, dy0) = rk4::grad_generated(steps);
        let (vh, hr, hk, hy0) = rk4::grad_hand(steps);
        assert_eq!(v, rk4::objective(steps), "{steps} steps: value");
        assert_eq!(vh, v, "{steps} steps: hand value");
        assert_all_close(
            &format!("{steps} steps"),
            &[dr, dk, dy0],
            &[hr, hk, hy0],
            1e-11,
        );
    }
    // the hand-written adjoint against central differences
    let (r, k, y0, t) = rk4::PARAMS;
    let f = |p: &[f64]| rk4::logistic(p[0], p[1], p[2], t, 1_000);
    let mut p = vec![r, k, y0];
    let fd = small::fd(f, &mut p, 1e-6);
    let (_, hr, hk, hy0) = rk4::grad_hand(1_000);
    assert_all_close("rk4 loop fd vs hand", &fd, &[hr, hk, hy0], 1e-7);
}

/// The checkpointed gradients benches/rk4.rs times are the plain generated
/// one exactly: the same operations in the same order, only some of them
/// run twice. Trip counts of a single step, primes (no segment length
/// divides them) and squares; segment lengths that do and do not divide T,
/// of one step, and longer than T.
#[test]
fn rk4_checkpointed_gradients_equal_the_plain_one_exactly() {
    for steps in [1usize, 2, 7, 100, 1_000, 10_007] {
        let plain = rk4::grad_generated(steps);
        assert_eq!(rk4::grad_checkpointed(steps), plain, "{steps} steps, sqrt");
        for every in [1usize, 3, 10, 64, 1_000, 20_000] {
            assert_eq!(
                rk4::grad_every(steps, every),
                plain,
                "{steps} steps, every {every}"
            );
        }
    }
}
