//! benches/tensor_mlp.rs measures nothing that is wrong: its generated
//! gradient equals the hand-written one (to rounding) and central differences.
#[path = "../benches/tensor_mlp.rs"]
mod bench;

use bench::*;

#[test]
fn generated_gradient_matches_the_hand_written_one_and_central_differences() {
    let p = Problem::new(8, 5, 6, 3);
    let (v, g) = generated(&p);
    let (vh, gh) = by_hand(&p);
    assert!((v - vh).abs() <= 1e-14 * v.abs());
    for (a, b) in g.iter().zip(&gh) {
        assert_eq!(a.shape(), b.shape());
        for (x, y) in a.as_slice().iter().zip(b.as_slice()) {
            assert!((x - y).abs() <= 1e-13 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }
    // w1's gradient against central differences
    let h = 1e-6;
    for k in 0..p.w1.len() {
        let mut q = Problem::new(8, 5, 6, 3);
        q.w1.as_mut_slice()[k] += h;
        let up = run_loss(&q);
        q.w1.as_mut_slice()[k] -= 2.0 * h;
        let down = run_loss(&q);
        let fd = (up - down) / (2.0 * h);
        assert!(
            (g[0].as_slice()[k] - fd).abs() <= 1e-7 * (1.0 + fd.abs()),
            "w1[{k}]: {} vs {fd}",
            g[0].as_slice()[k]
        );
    }
}
