//! Functions generic over the float type (`F: Real`): one definition, its
//! derivatives for `f32` and `f64`, to any order.
use differentiate::prelude::*;

#[differentiate(forward)]
#[differentiate(reverse, forward)]
fn poly<F: Real>(x: F, y: F) -> F {
    x * x * y + y.sqrt() + x.sin() + x.powi(3) / y
}

#[differentiate(reverse, forward)]
fn sum_sq<F: Real>(x: &[F]) -> F {
    let mut s = F::ZERO;
    for i in 0..x.len() {
        s += x[i] * x[i] * F::from_f64(0.5);
    }
    s
}

fn grad_closed(x: f64, y: f64) -> (f64, f64) {
    (
        2.0 * x * y + x.cos() + 3.0 * x * x / y,
        x * x + 0.5 / y.sqrt() - x.powi(3) / (y * y),
    )
}

#[test]
fn generic_gradients_in_f64_and_f32() {
    let (x, y) = (1.5, 2.0);
    let (v, gx, gy) = poly_vjp(x, y, 1.0);
    let (cx, cy) = grad_closed(x, y);
    assert_eq!(v, poly(x, y));
    assert!((gx - cx).abs() < 1e-12 && (gy - cy).abs() < 1e-12);
    assert!((poly_jvp(x, y, 1.0, 0.0).1 - cx).abs() < 1e-12);
    let (v32, gx32, gy32) = poly_vjp(1.5_f32, 2.0_f32, 1.0);
    assert_eq!(v32, poly(1.5_f32, 2.0_f32));
    assert!((f64::from(gx32) - cx).abs() < 1e-5 && (f64::from(gy32) - cy).abs() < 1e-5);
    assert_eq!(sum_sq_vjp(&[1.0_f32, -2.0], 1.0), (2.5, vec![1.0, -2.0]));
    assert_eq!(sum_sq_jvp(&[1.0_f64, -2.0], &[1.0, 1.0]), (2.5, -1.0));
    assert_eq!(sum_sq(&[3.0_f64]), 4.5);
}

#[test]
fn generic_second_order() {
    let (x, y) = (1.5_f64, 2.0_f64);
    // d2/dx2 = 2y - sin x + 6x/y, d2/dydx = 2x - 3x^2/y^2
    let ((_, _, _), (_, hxx, hyx)) = poly_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
    assert!((hxx - (2.0 * y - x.sin() + 6.0 * x / y)).abs() < 1e-12);
    assert!((hyx - (2.0 * x - 3.0 * x * x / (y * y))).abs() < 1e-12);
    let (_, (_, t)) = poly_jvp_jvp(x, y, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0);
    assert!((t - (2.0 * y - x.sin() + 6.0 * x / y)).abs() < 1e-12);
}
