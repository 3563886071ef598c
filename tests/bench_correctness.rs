//! The hand-written Rosenbrock gradients (plain and tuned) that `benches/rosenbrock.rs` compares
//! against must be right: it equals the generated `rosenbrock_vjp` (value and
//! every component to 1e-12 relative) at random points, and so does the
//! generated `rosenbrock_jvp` along random directions.

#[path = "../benches/common/rosenbrock.rs"]
mod problem;
use problem::*;

mod common;
use common::within;

#[test]
fn hand_written_gradient_equals_generated_vjp() {
    for (k, &n) in [2usize, 3, 10, 1_000, 10_000].iter().enumerate() {
        for trial in 0..5u64 {
            let x = points(n, 100 * k as u64 + trial + 1, -2.0, 2.0);
            let (v_ad, g_ad) = rosenbrock_vjp(&x, 1.0);
            let (v_hand, g_hand) = rosenbrock_grad_hand(&x);
            let (v_tuned, g_tuned) = rosenbrock_grad_hand_tuned(&x);
            let v = rosenbrock(&x);
            assert!(
                within(v_tuned, v, 1e-12),
                "n={n}: tuned value {v_tuned} vs primal {v}"
            );
            assert!(
                within(v_ad, v, 1e-12),
                "n={n}: vjp value {v_ad} vs primal {v}"
            );
            assert!(
                within(v_hand, v, 1e-12),
                "n={n}: hand value {v_hand} vs primal {v}"
            );
            assert_eq!(g_ad.len(), n);
            assert_eq!(g_hand.len(), n);
            for i in 0..n {
                assert!(
                    within(g_ad[i], g_hand[i], 1e-12),
                    "n={n} trial={trial} i={i}: vjp {} vs hand {}",
                    g_ad[i],
                    g_hand[i]
                );
            }
            for i in 0..n {
                assert!(
                    within(g_ad[i], g_tuned[i], 1e-12),
                    "n={n} trial={trial} i={i}: vjp {} vs tuned {}",
                    g_ad[i],
                    g_tuned[i]
                );
            }
            // The seed scales the adjoint.
            let (_, g3) = rosenbrock_vjp(&x, 3.0);
            for i in 0..n {
                assert!(within(g3[i], 3.0 * g_hand[i], 1e-12), "n={n} i={i}: seed 3");
            }
        }
    }
}

#[test]
fn generated_jvp_is_the_gradient_dotted_with_the_direction() {
    for &n in &[2usize, 10, 1_000] {
        let x = points(n, 7, -2.0, 2.0);
        let dx = points(n, 8, -1.0, 1.0);
        let (v, t) = rosenbrock_jvp(&x, &dx);
        let (vh, gh) = rosenbrock_grad_hand(&x);
        let dot: f64 = gh.iter().zip(&dx).map(|(g, d)| g * d).sum();
        assert!(within(v, vh, 1e-12));
        assert!(within(t, dot, 1e-10), "n={n}: jvp {t} vs <grad, dx> {dot}");
    }
}

#[test]
fn generated_jvp_agrees_with_the_hand_jvp() {
    for &n in &[2usize, 3, 10, 1_000] {
        let x = points(n, 17, -2.0, 2.0);
        let dx = points(n, 18, -1.0, 1.0);
        let (v, t) = rosenbrock_jvp(&x, &dx);
        let (vh, th) = rosenbrock_jvp_hand(&x, &dx);
        // the value is the objective's own arithmetic in all three
        assert_eq!(v, rosenbrock(&x), "n={n}");
        assert_eq!(vh, v, "n={n}");
        assert!(within(t, th, 1e-12), "n={n}: jvp {t} vs hand {th}");
    }
    // Where every product is exact (small integers), so are both tangents:
    // x = (1, 2, 0), dx = (1, 0, -1): a = (0, -1), b = (1, -4),
    // da = (-1, 0), db = (0 - 2, -1 - 0) = (-2, -1); the value is
    // 100 + (1 + 1600) and the tangent sum 2 a da + 200 b db is -400 + 800.
    let (x, dx) = ([1.0, 2.0, 0.0], [1.0, 0.0, -1.0]);
    assert_eq!(rosenbrock_jvp(&x, &dx), (1701.0, 400.0));
    assert_eq!(rosenbrock_jvp_hand(&x, &dx), (1701.0, 400.0));
}

#[test]
#[should_panic(expected = "dx and x differ in length")]
fn hand_jvp_rejects_a_short_tangent() {
    rosenbrock_jvp_hand(&[1.0, 2.0], &[1.0]);
}

#[test]
fn finite_differences_agree_with_hand_gradient() {
    let mut x = points(50, 11, -1.5, 1.5);
    let (_, gh) = rosenbrock_grad_hand(&x);
    let fd = central_fd(rosenbrock, &mut x, 1e-6);
    for i in 0..x.len() {
        assert!(
            within(fd[i], gh[i], 1e-6),
            "i={i}: fd {} vs hand {}",
            fd[i],
            gh[i]
        );
    }
}
