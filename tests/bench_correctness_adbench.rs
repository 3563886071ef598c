//! The ADBench LSTM and BA derivatives that benches/lstm.rs and benches/ba.rs
//! time are checked here, so the benchmarks measure nothing that is wrong:
//!
//! - LSTM: the hand-written gradient against central finite differences, and
//!   the generated gradient against the hand-written one, on both files timed;
//!   the checkpointed generated gradient equal to the plain one exactly.
//! - BA: (below) the hand-written Jacobian blocks against central finite
//!   differences, the forward-mode (vector and scalar) and reverse-mode
//!   blocks against the hand-written one, and the vector-mode blocks equal
//!   to the scalar sweeps exactly.

#[path = "../benches/common/lstm.rs"]
mod lstm;

mod common;
use common::{assert_all_close, within};

/// The LSTM files benches/lstm.rs times (l, c).
const LSTM_FILES: [(usize, usize); 2] = [(2, 1024), (4, 4096)];

#[test]
fn lstm_file_reader_matches_the_format() {
    let p = lstm::read_lstm(2, 1024);
    assert_eq!((p.l, p.c, p.b), (2, 1024, 14));
    assert_eq!(p.main_params.len(), 2 * 8 * 14);
    assert_eq!(p.main_params[0], 0.7477620204927391);
    assert_eq!(p.extra_params.len(), 3 * 14);
    assert_eq!(p.state.len(), 2 * 2 * 14);
    assert_eq!(p.sequence.len(), 1024 * 14);
    assert_eq!(p.n_params(), 266);
}

#[test]
fn lstm_hand_gradient_equals_finite_differences() {
    // every parameter, on the first 30 characters (l2) and 12 (l4)
    for ((l, c), n) in LSTM_FILES.into_iter().zip([30, 12]) {
        let p = lstm::read_lstm(l, c).truncated(n);
        let (v, dm, de) = p.hand();
        assert!(within(v, p.objective(), 1e-13), "l{l}: value");
        let mut want = dm.clone();
        want.extend_from_slice(&de);
        let mut q = p.params();
        let fd = lstm::lstm_fd(&p, &mut q, 0..want.len(), 1e-6);
        assert_all_close(&format!("l{l} c{n}: fd vs hand"), &fd, &want, 1e-7);
        // the gradient is not trivially small: FD checks something
        assert!(want.iter().any(|g| g.abs() > 1e-3));
    }
}

#[test]
fn lstm_generated_gradient_equals_hand_written_on_both_files() {
    for (l, c) in LSTM_FILES {
        let p = lstm::read_lstm(l, c);
        let (v, dm, de) = p.vjp();
        let (vh, dmh, deh) = p.hand();
        assert!(within(v, p.objective(), 1e-13), "l{l} c{c}: value");
        assert!(within(v, vh, 1e-13), "l{l} c{c}: value vs hand");
        assert_all_close(&format!("l{l} c{c} d_main"), &dm, &dmh, 1e-10);
        assert_all_close(&format!("l{l} c{c} d_extra"), &de, &deh, 1e-10);
        // the seed scales the adjoint
        let (_, dm2, _) = lstm::lstm_objective_vjp(
            &p.main_params,
            &p.extra_params,
            &p.state,
            &p.sequence,
            l,
            c,
            p.b,
            -2.0,
        );
        let want: Vec<f64> = dmh.iter().map(|g| -2.0 * g).collect();
        assert_all_close(&format!("l{l} c{c} seed -2"), &dm2, &want, 1e-10);
    }
}

/// `lstm_objective_ck` (`#[checkpoint]` on the time loop) gives exactly the
/// plain generated gradient: on both files (1023 and 4095 steps: segments of
/// 32 and 64 that do not divide them), on prefixes of 1, 2, 16 and 100 steps
/// (100 = 10 segments of 10) and on the l2 sequence tiled to 3000 characters
/// as benches/lstm.rs tiles it.
#[test]
fn lstm_checkpointed_gradient_equals_the_plain_one_exactly() {
    let l2 = lstm::read_lstm(2, 1024);
    let mut cases: Vec<lstm::Lstm> = [2usize, 3, 17, 101]
        .into_iter()
        .map(|n| l2.truncated(n))
        .collect();
    cases.push(l2.tiled(3_000));
    cases.extend(LSTM_FILES.into_iter().map(|(l, c)| lstm::read_lstm(l, c)));
    for p in &cases {
        let plain = p.vjp();
        assert_eq!(p.vjp_checkpointed(), plain, "l{} c{}", p.l, p.c);
        assert_eq!(plain.0, p.objective(), "l{} c{}: value", p.l, p.c);
    }
    // tiling repeats the file's characters
    let t = l2.tiled(3_000);
    assert_eq!(t.sequence.len(), 3_000 * t.b);
    assert_eq!(t.sequence[2_048 * t.b..2_049 * t.b], l2.sequence[..t.b]);
}

// ---------------------------------------------------------------- BA

#[path = "../benches/common/ba.rs"]
mod ba;

/// The BA files benches/ba.rs times.
const BA_FILES: [usize; 5] = [1, 3, 5, 8, 12];

fn ba_inputs(cam: &[f64; 11], x: &[f64; 3], w: f64) -> Vec<f64> {
    let mut v = cam.to_vec();
    v.extend_from_slice(x);
    v.push(w);
    v
}

/// The block by central differences of `ba_residual` in its 15 inputs.
fn ba_block_fd(cam: &[f64; 11], x: &[f64; 3], w: f64, feat: &[f64; 2]) -> [[f64; 15]; 2] {
    let v = ba_inputs(cam, x, w);
    let eval = |v: &[f64]| {
        let mut c = [0.0; 11];
        c.copy_from_slice(&v[..11]);
        ba::ba_residual(c, [v[11], v[12], v[13]], v[14], *feat)
    };
    let mut out = [[0.0; 15]; 2];
    for k in 0..15 {
        // a step relative to the input's size
        let h = 1e-6 * v[k].abs().max(1.0);
        let mut vp = v.clone();
        vp[k] += h;
        let mut vm = v.clone();
        vm[k] -= h;
        let (ep, em) = (eval(&vp), eval(&vm));
        for a in 0..2 {
            out[a][k] = (ep[a] - em[a]) / (2.0 * h);
        }
    }
    out
}

fn assert_blocks_close(what: &str, got: &[[f64; 15]; 2], want: &[[f64; 15]; 2], rel: f64) {
    for a in 0..2 {
        assert_all_close(&format!("{what} row {a}"), &got[a], &want[a], rel);
    }
}

/// One observation: camera, point, weight, feature.
type BaCase = ([f64; 11], [f64; 3], f64, [f64; 2]);

/// The camera and point of a file, and variations: other rotations
/// (including a tiny and a zero angle, which take the first-order branch)
/// and other points.
fn ba_cases() -> Vec<BaCase> {
    let b = ba::read_ba(1);
    let mut cam = [0.0; 11];
    cam.copy_from_slice(&b.cams[..11]);
    let x = [b.points[0], b.points[1], b.points[2]];
    let (w, feat) = (b.weights[0], [b.feats[0], b.feats[1]]);
    let mut cases = vec![(cam, x, w, feat)];
    for (r, dx) in [
        ([0.3, -0.2, 0.1], [1.0, -2.0, 0.5]),
        ([-1.2, 0.4, 0.9], [-3.0, 0.5, 1.5]),
        ([1e-17, -2e-17, 0.0], [0.5, 0.5, -0.5]),
        ([0.0, 0.0, 0.0], [2.0, 1.0, 0.0]),
    ] {
        let mut c = cam;
        c[..3].copy_from_slice(&r);
        cases.push((c, [x[0] + dx[0], x[1] + dx[1], x[2] + dx[2]], 0.8, feat));
    }
    cases
}

#[test]
fn ba_file_reader_replicates_the_file() {
    let b = ba::read_ba(1);
    assert_eq!((b.n, b.m, b.p), (49, 7776, 31843));
    assert_eq!(b.cams.len(), 49 * 11);
    assert_eq!(b.cams[11..22], b.cams[..11]);
    assert_eq!(b.cams[..3], [-0.758453, -1.109613, -0.845551]);
    assert_eq!(b.points[..3], [7.203245, 0.001144, 3.023326]);
    assert_eq!(
        (b.weights[0], b.feats[..2].to_vec()),
        (0.417022, vec![271.760969, 834.209256])
    );
    assert_eq!(b.obs[50], (1, 50));
    assert_eq!(b.obs[7777], (7777 % 49, 1));
}

#[test]
fn ba_hand_block_equals_finite_differences() {
    for (i, (cam, x, w, feat)) in ba_cases().into_iter().enumerate() {
        let hand = ba::block_hand(&cam, &x, w, &feat);
        let fd = ba_block_fd(&cam, &x, w, &feat);
        // central differences lose about eps |residual| / h to rounding: the
        // tolerance is relative to the row's largest entry
        for a in 0..2 {
            let scale = hand[a].iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for k in 0..15 {
                assert!(
                    (fd[a][k] - hand[a][k]).abs() <= 1e-7 * scale,
                    "case {i}: row {a} column {k}: fd {} vs hand {}",
                    fd[a][k],
                    hand[a][k]
                );
            }
        }
        // the residual itself agrees with the objective's
        let e = ba::ba_residual(cam, x, w, feat);
        for a in 0..2 {
            assert!(
                within(w * hand[a][14], e[a], 1e-13),
                "case {i}: residual {a}"
            );
        }
    }
}

#[test]
fn ba_forward_and_reverse_blocks_equal_hand_written() {
    for (i, (cam, x, w, feat)) in ba_cases().into_iter().enumerate() {
        let hand = ba::block_hand(&cam, &x, w, &feat);
        let fwd = ba::FORWARD_BLOCK(&cam, &x, w, &feat);
        let scalar = ba::block_forward_scalar(&cam, &x, w, &feat);
        let vec8 = ba::block_forward_vec8(&cam, &x, w, &feat);
        let rev = ba::block_reverse(&cam, &x, w, &feat);
        assert_eq!(fwd, scalar, "case {i}: vector (16 lanes) vs scalar sweeps");
        assert_eq!(
            vec8, scalar,
            "case {i}: vector (2 x 8 lanes) vs scalar sweeps"
        );
        assert_blocks_close(&format!("case {i}: forward"), &fwd, &hand, 1e-12);
        assert_blocks_close(&format!("case {i}: forward scalar"), &scalar, &hand, 1e-12);
        assert_blocks_close(&format!("case {i}: reverse"), &rev, &hand, 1e-12);
    }
}

#[test]
fn ba_sparse_jacobians_agree_on_every_file() {
    for k in BA_FILES {
        let mut b = ba::read_ba(k);
        // the first observations only (the same code path; debug builds are slow)
        b.p = 500;
        b.obs.truncate(b.p);
        b.weights.truncate(b.p);
        b.feats.truncate(2 * b.p);
        let hand = b.jacobian_hand();
        let fwd = b.jacobian_forward();
        let rev = b.jacobian_reverse();
        // lane k of a vector sweep is the same operations on the same
        // numbers as scalar sweep k: equal, not merely close
        let scalar = b.jacobian_with(ba::block_forward_scalar, ba::weight_error_forward);
        assert!(
            fwd == scalar,
            "ba{k}: vector-mode Jacobian != scalar sweeps"
        );
        let vec8 = b.jacobian_with(ba::block_forward_vec8, ba::weight_error_forward);
        assert!(vec8 == scalar, "ba{k}: two 8-lane sweeps != scalar sweeps");
        assert_eq!(hand.blocks.len(), b.p);
        for j in 0..b.p {
            assert_blocks_close(
                &format!("ba{k} obs {j}: forward"),
                &fwd.blocks[j],
                &hand.blocks[j],
                1e-12,
            );
            assert_blocks_close(
                &format!("ba{k} obs {j}: reverse"),
                &rev.blocks[j],
                &hand.blocks[j],
                1e-12,
            );
        }
        assert_eq!(fwd.weights, hand.weights);
        assert_eq!(rev.weights, hand.weights);
        let (reproj, werr) = b.objective();
        assert_eq!(reproj.len(), 2 * b.p);
        assert_eq!(werr[0], 1.0 - b.weights[0] * b.weights[0]);
    }
}
