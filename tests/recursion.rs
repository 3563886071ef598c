//! Recursion: direct (detected), and mutual (with `recursive` on one function
//! of the cycle), in both modes; the pullback of a recursive function is boxed
//! once per level, so reverse mode stays linear in the depth.
use differentiate::prelude::*;

#[differentiate(reverse, forward)]
fn rpow(x: f64, n: u32) -> f64 {
    if n == 0 {
        1.0
    } else {
        x * rpow(x, n - 1)
    }
}

#[differentiate(reverse, forward, recursive)]
fn ping(x: f64, n: u32) -> f64 {
    if n == 0 {
        x
    } else {
        pong(x, n - 1).sin() + x
    }
}

#[differentiate(reverse, forward)]
fn pong(x: f64, n: u32) -> f64 {
    if n == 0 {
        x * x
    } else {
        ping(x * 0.5, n - 1) * x
    }
}

#[test]
fn direct_recursion_in_both_modes() {
    assert_eq!(
        rpow_vjp(1.5, 4, 1.0),
        (1.5_f64.powi(4), 4.0 * 1.5_f64.powi(3))
    );
    assert_eq!(
        rpow_jvp(1.5, 4, 1.0),
        (1.5_f64.powi(4), 4.0 * 1.5_f64.powi(3))
    );
    // A deep recursion: linear cost, no stack of recomputation.
    let (v, d) = rpow_vjp(1.0001, 2000, 1.0);
    assert!((v - 1.0001_f64.powi(2000)).abs() < 1e-9 * v);
    assert!((d - 2000.0 * 1.0001_f64.powi(1999)).abs() < 1e-9 * d);
    assert_eq!(rpow(2.0, 3), 8.0);
}

#[test]
fn mutual_recursion_in_both_modes() {
    // ping(x, 1) = sin(x^2 ... ): ping(x,1) = sin(pong(x,0)) + x = sin(x^2) + x
    let x = 0.5_f64;
    let (v, d) = ping_vjp(x, 1, 1.0);
    assert_eq!(v, (x * x).sin() + x);
    assert!((d - (2.0 * x * (x * x).cos() + 1.0)).abs() < 1e-15);
    assert!((ping_jvp(x, 1, 1.0).1 - d).abs() < 1e-15);
    // ping(x, 2) = sin(ping(x/2, 0) * x) + x = sin(x^2 / 2) + x
    let (v2, d2) = ping_vjp(x, 2, 1.0);
    assert!((v2 - ((x * x / 2.0).sin() + x)).abs() < 1e-15);
    assert!((d2 - (x * (x * x / 2.0).cos() + 1.0)).abs() < 1e-15);
    assert!((pong_vjp(x, 3, 1.0).1 - pong_jvp(x, 3, 1.0).1).abs() < 1e-14);
    assert_eq!(pong(2.0, 0), 4.0);
}
