//! Stacked attributes: all four second-order compositions (forward over
//! reverse, reverse over forward, forward over forward, reverse over reverse)
//! agree with each other and with closed forms on code with loops, branches
//! and overwrites; third and fourth order by stacking three and four
//! attributes; the Hessian drivers (Hessian, HVP, Laplacian, inverse HVP by
//! conjugate gradients) on generated functions.
// Reassignment (`s = s * x`) and indexing loops are constructs under test.
#![allow(clippy::assign_op_pattern, clippy::needless_range_loop)]

use differentiate::drivers::{
    gradient, hessian, hvp, inverse_hvp_cg, laplacian, laplacian_diagonal,
};
use differentiate::prelude::*;
use differentiate::testing::{approx_eq, assert_jvp};

#[track_caller]
fn close(got: f64, expected: f64, tol: f64) {
    assert!(
        approx_eq(got, expected, tol, tol),
        "got {got:e}, expected {expected:e} (tolerance {tol:e})"
    );
}

// ---------------------------------------------------------------------------
// the four second-order compositions on one function
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse)]
#[differentiate(forward, reverse)]
fn mixed(x: f64, y: f64) -> f64 {
    // a loop with an overwritten accumulator, a branch on an active value,
    // and a nonlinearity of a value computed in the loop
    let mut s = x;
    for i in 0..4 {
        if s > 1.0 {
            s = s.ln() + y * (i as f64);
        } else {
            s = s * y + x;
        }
    }
    s * s.sin()
}

/// Hessian-vector products of `mixed` by the four routes, seed 1.
fn mixed_hvps(x: f64, y: f64, v: [f64; 2]) -> [[f64; 2]; 4] {
    // forward over reverse: vjp_jvp(x, y, d_out, dx, dy, dd_out)
    let (_, (_, a0, b0)) = mixed_vjp_jvp(x, y, 1.0, v[0], v[1], 0.0);
    // reverse over forward: jvp_vjp(x, y, dx, dy, (seed of value, seed of tangent))
    let (_, a1, b1, _, _) = mixed_jvp_vjp(x, y, v[0], v[1], (0.0, 1.0));
    // forward over forward: jvp_jvp(x, y, dx, dy, tx, ty, tdx, tdy), one sweep per row
    let (_, (_, a2)) = mixed_jvp_jvp(x, y, v[0], v[1], 1.0, 0.0, 0.0, 0.0);
    let (_, (_, b2)) = mixed_jvp_jvp(x, y, v[0], v[1], 0.0, 1.0, 0.0, 0.0);
    // reverse over reverse: vjp_vjp(x, y, d_out, (seed of value, of dx, of dy))
    let (_, a3, b3, _) = mixed_vjp_vjp(x, y, 1.0, (0.0, v[0], v[1]));
    [[a0, b0], [a1, b1], [a2, b2], [a3, b3]]
}

#[test]
fn four_second_order_compositions_agree() {
    for p in [[0.6, 0.9], [1.7, -0.4], [0.3, 1.6], [-0.8, 0.5]] {
        let (x, y) = (p[0], p[1]);
        let (v, gx, gy) = mixed_vjp(x, y, 1.0);
        assert_eq!(v, mixed(x, y));
        close(mixed_jvp(x, y, 1.0, 0.0).1, gx, 1e-13);
        close(mixed_jvp(x, y, 0.0, 1.0).1, gy, 1e-13);
        for dir in [[1.0, 0.0], [0.0, 1.0], [0.7, -1.9]] {
            let h = mixed_hvps(x, y, dir);
            for k in 1..4 {
                close(h[k][0], h[0][0], 1e-12);
                close(h[k][1], h[0][1], 1e-12);
            }
        }
        // against central differences of the gradient
        for k in 0..4 {
            assert_jvp(
                |q: &[f64]| {
                    let (_, a, b) = mixed_vjp(q[0], q[1], 1.0);
                    vec![a, b]
                },
                |q, t| mixed_hvps(q[0], q[1], [t[0], t[1]])[k].to_vec(),
                &p,
                1e-6,
            );
        }
        // each route also carries the first-order quantities
        let ((v1, t1), _) = mixed_jvp_jvp(x, y, 0.5, 0.25, 0.0, 0.0, 0.0, 0.0);
        assert_eq!(v1, v);
        close(t1, 0.5 * gx + 0.25 * gy, 1e-13);
        let (_, _, _, g_dout) = mixed_vjp_vjp(x, y, 1.0, (0.0, 0.5, 0.25));
        close(g_dout, 0.5 * gx + 0.25 * gy, 1e-13);
        let (_, a, b, adx, ady) = mixed_jvp_vjp(x, y, 0.5, 0.25, (1.0, 0.0));
        close(a, gx, 1e-13);
        close(b, gy, 1e-13);
        assert_eq!((adx, ady), (0.0, 0.0));
    }
}

#[differentiate(forward, reverse)]
#[differentiate(forward, reverse)]
fn poly2(x: f64, y: f64) -> f64 {
    x * x * x * y * y - 2.0 * x * y + y * y * y
}

#[test]
fn four_compositions_exact_on_a_polynomial() {
    // f = x^3 y^2 - 2 x y + y^3 at (2, 3): f_xx = 6 x y^2 = 108,
    // f_xy = 6 x^2 y - 2 = 70, f_yy = 2 x^3 + 6 y = 34
    let (x, y) = (2.0, 3.0);
    let (_, (_, hxx, hxy)) = poly2_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
    assert_eq!((hxx, hxy), (108.0, 70.0));
    let (_, hyx, hyy, _, _) = poly2_jvp_vjp(x, y, 0.0, 1.0, (0.0, 1.0));
    assert_eq!((hyx, hyy), (70.0, 34.0));
    let (_, (_, hxy2)) = poly2_jvp_jvp(x, y, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    assert_eq!(hxy2, 70.0);
    let (_, rxx, rxy, _) = poly2_vjp_vjp(x, y, 1.0, (0.0, 1.0, 0.0));
    assert_eq!((rxx, rxy), (108.0, 70.0));
    // and with the seed scaled: everything scales with d_out
    let (_, (_, hxx, hxy)) = poly2_vjp_jvp(x, y, -0.5, 1.0, 0.0, 0.0);
    assert_eq!((hxx, hxy), (-54.0, -35.0));
    let (_, rxx, rxy, _) = poly2_vjp_vjp(x, y, -0.5, (0.0, 1.0, 0.0));
    assert_eq!((rxx, rxy), (-54.0, -35.0));
    assert_eq!(poly2(x, y), 72.0 - 12.0 + 27.0);
}

// ---------------------------------------------------------------------------
// third and fourth order
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward)]
#[differentiate(forward)]
fn sin3(x: f64) -> f64 {
    x.sin()
}

#[test]
fn sine_derivatives_exact_to_third_order() {
    for i in 0..=100 {
        let x = i as f64 * 0.0625 - 3.0;
        assert_eq!(sin3_jvp(x, 1.0), (x.sin(), x.cos()));
        assert_eq!(sin3_jvp_jvp(x, 1.0, 1.0, 0.0).1 .1, -x.sin());
        // sin3_jvp_jvp_jvp(x, dx, tx, tdx, ux, udx, utx, utdx)
        let (_, (_, t)) = sin3_jvp_jvp_jvp(x, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0);
        assert_eq!(t.1, -x.cos());
        assert_eq!(sin3(x), x.sin());
    }
}

#[differentiate(forward)]
#[differentiate(forward)]
#[differentiate(reverse)]
fn third(x: f64, y: f64) -> f64 {
    let a = x * x * x;
    a * y * y
}

#[test]
fn third_order_tensor_by_forward_over_forward_over_reverse() {
    // f = x^3 y^2: f_xxx = 6 y^2, f_xxy = 12 x y, f_xyy = 6 x^2, f_yyy = 0
    let (x, y) = (2.0, 3.0);
    // third_vjp_jvp_jvp(x, y, d_out, dx, dy, dd_out, ux, uy, ud_out, udx, udy, udd_out)
    // the u-tangent of the v-tangent of the gradient is T(u, v, .)
    let t = |v: [f64; 2], u: [f64; 2]| {
        let (_, (_, (_, tx, ty))) =
            third_vjp_jvp_jvp(x, y, 1.0, v[0], v[1], 0.0, u[0], u[1], 0.0, 0.0, 0.0, 0.0);
        [tx, ty]
    };
    assert_eq!(t([1.0, 0.0], [1.0, 0.0]), [54.0, 72.0]);
    assert_eq!(t([1.0, 0.0], [0.0, 1.0]), [72.0, 24.0]);
    assert_eq!(t([0.0, 1.0], [0.0, 1.0]), [24.0, 0.0]);
    // symmetric in u and v
    assert_eq!(t([0.5, 2.0], [1.5, -1.0]), t([1.5, -1.0], [0.5, 2.0]));
    // second order still there: the inner Hessian column
    let ((_, (_, hxx, hxy)), _) =
        third_vjp_jvp_jvp(x, y, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    assert_eq!((hxx, hxy), (6.0 * x * y * y, 6.0 * x * x * y));
    // forward over forward: (f_jvp)_jvp gives v^T H u
    let (_, (_, h)) = third_jvp_jvp(x, y, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    assert_eq!(h, 6.0 * x * x * y);
    assert_eq!(third(x, y), 72.0);
}

#[differentiate(forward)]
#[differentiate(forward)]
#[differentiate(forward)]
#[differentiate(forward)]
fn quintic(x: f64) -> f64 {
    let x2 = x * x;
    x2 * x2 * x - 3.0 * x2
}

#[test]
fn fourth_order_by_four_stacked_attributes() {
    // f = x^5 - 3 x^2: f'''' = 120 x
    let x = 1.5;
    let r = quintic_jvp_jvp_jvp_jvp(
        x, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    );
    // ((((f, f'), (f', f'')), ((f', f''), (f'', f'''))), (... , (..., (f''', f''''))))
    let fourth = ((r.1).1).1 .1;
    assert_eq!(fourth, 120.0 * x);
    let third = ((r.0).1).1 .1;
    assert_eq!(third, 60.0 * x * x);
    let second = ((r.0).0).1 .1;
    assert_eq!(second, 20.0 * x * x * x - 6.0);
    assert_eq!(quintic(x), x.powi(5) - 3.0 * x * x);
}

// ---------------------------------------------------------------------------
// drivers on generated functions
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        s += a * a + 100.0 * b * b;
    }
    s
}

fn rosenbrock_hessian(x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n - 1 {
        h[i][i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[i + 1][i + 1] += 200.0;
        h[i][i + 1] = -400.0 * x[i];
        h[i + 1][i] = -400.0 * x[i];
    }
    h
}

#[test]
fn rosenbrock_hessian_exact() {
    let x = [1.0, 2.0, -1.0, 0.5];
    assert_eq!(hessian(rosenbrock_vjp_jvp, &x), rosenbrock_hessian(&x));
    // gradient at the minimum is zero, Laplacian is the trace
    let ones = [1.0; 4];
    assert_eq!(gradient(rosenbrock_vjp, &ones), (0.0, vec![0.0; 4]));
    let trace: f64 = (0..4).map(|i| rosenbrock_hessian(&x)[i][i]).sum();
    assert_eq!(laplacian(rosenbrock_vjp_jvp, &x), trace);
    // HVP
    let v = [1.0, -1.0, 0.5, 2.0];
    let h = rosenbrock_hessian(&x);
    let hv: Vec<f64> = h
        .iter()
        .map(|row| row.iter().zip(&v).map(|(a, b)| a * b).sum())
        .collect();
    assert_eq!(hvp(rosenbrock_vjp_jvp, &x, &v), hv);
    let _ = rosenbrock(&x);
    let _ = rosenbrock_jvp(&x, &v);
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn separable(x: &[f64]) -> f64 {
    // a diagonal Hessian: sum of exp(x_i) + x_i^4
    let mut s = 0.0;
    for i in 0..x.len() {
        let q = x[i] * x[i];
        s += x[i].exp() + q * q;
    }
    s
}

#[test]
fn laplacian_diagonal_and_inverse_hvp() {
    let x = [0.5, -1.0, 0.25, 2.0, -0.3];
    let diag: Vec<f64> = x.iter().map(|v| v.exp() + 12.0 * v * v).collect();
    let trace: f64 = diag.iter().sum();
    close(laplacian(separable_vjp_jvp, &x), trace, 1e-13);
    close(laplacian_diagonal(separable_vjp_jvp, &x), trace, 1e-13);
    // H y = b with a diagonal H: y = b / diag
    let b = [1.0, 2.0, -1.0, 0.5, 3.0];
    let r = inverse_hvp_cg(separable_vjp_jvp, &x, &b, 1e-12, 50);
    assert!(r.converged);
    assert!(r.iterations <= 5 + 1);
    for i in 0..5 {
        close(r.solution[i], b[i] / diag[i], 1e-10);
    }
    let _ = separable(&x);
    let _ = separable_jvp(&x, &b);
}

// ---------------------------------------------------------------------------
// second order with inactive parameters and wrt at every level
// ---------------------------------------------------------------------------

#[differentiate(forward, wrt(w))]
#[differentiate(reverse, wrt(w))]
fn weighted_loss(w: f64, xs: &[f64], n: usize) -> f64 {
    // only w is active: the data xs and the count n are not
    let mut s = 0.0;
    for i in 0..n {
        let r = w * xs[i] - 1.0;
        s += r * r;
    }
    s
}

#[test]
fn second_order_restricted_by_wrt() {
    let xs = [1.0, 2.0, 3.0];
    // s = sum (w x_i - 1)^2: ds/dw = 2 sum x_i (w x_i - 1), d2s/dw2 = 2 sum x_i^2
    assert_eq!(weighted_loss(1.0, &xs, 3), 0.0 + 1.0 + 4.0);
    assert_eq!(
        weighted_loss_vjp(1.0, &xs, 3, 1.0),
        (5.0, 2.0 * (0.0 + 2.0 + 6.0))
    );
    assert_eq!(weighted_loss_jvp(1.0, &xs, 3, 1.0), (5.0, 16.0));
    assert_eq!(
        weighted_loss_vjp_jvp(1.0, &xs, 3, 1.0, 1.0),
        ((5.0, 16.0), (16.0, 28.0))
    );
    assert_eq!(
        weighted_loss_vjp_jvp(1.0, &xs, 2, 1.0, 1.0).1,
        (2.0 * 2.0, 10.0)
    );
}

// ---------------------------------------------------------------------------
// third order in two different orders, on code with a loop and a branch
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse)]
#[differentiate(forward)]
#[differentiate(reverse)]
fn mixed3(x: f64, y: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        if s > 1.0 {
            s = s.ln() + y * (i as f64);
        } else {
            s = s * y + x;
        }
    }
    s * s.sin()
}

/// (H v)_k for the seed 1, by forward over reverse.
fn mixed3_hv(x: f64, y: f64, v: [f64; 2]) -> [f64; 2] {
    let (_, (_, a, b)) = mixed3_vjp_jvp(x, y, 1.0, v[0], v[1], 0.0);
    [a, b]
}

#[test]
fn third_order_forward_forward_reverse_and_reverse_forward_reverse_agree() {
    for p in [[0.6, 0.9], [1.7, -0.4], [0.3, 1.6]] {
        let (x, y) = (p[0], p[1]);
        assert_eq!(mixed3(x, y), mixed3_vjp(x, y, 1.0).0);
        for v in [[1.0, 0.0], [0.0, 1.0], [0.4, -1.1]] {
            for u in [[1.0, 0.0], [0.0, 1.0]] {
                // T(u, v, .) by forward over forward over reverse:
                // the u-tangent of the v-tangent of the gradient
                let (_, (_, (_, tx, ty))) =
                    mixed3_vjp_jvp_jvp(x, y, 1.0, v[0], v[1], 0.0, u[0], u[1], 0.0, 0.0, 0.0, 0.0);
                // T(., v, u) by reverse over forward over reverse: the seed u on
                // H v, pulled back to x and y
                let (_, ax, ay, _, _, _, _) = mixed3_vjp_jvp_vjp(
                    x,
                    y,
                    1.0,
                    v[0],
                    v[1],
                    0.0,
                    ((0.0, 0.0, 0.0), (0.0, u[0], u[1])),
                );
                // T is symmetric: <w, T(u, v, .)> = <u, T(., v, w)> for w = e_k
                let t_ffr = [tx, ty];
                let t_rfr = [ax, ay];
                // component k of T(u, v, .) equals component of T(., v, e_k) along u
                for k in 0..2 {
                    let mut e = [0.0; 2];
                    e[k] = 1.0;
                    let (_, bx, by, _, _, _, _) = mixed3_vjp_jvp_vjp(
                        x,
                        y,
                        1.0,
                        v[0],
                        v[1],
                        0.0,
                        ((0.0, 0.0, 0.0), (0.0, e[0], e[1])),
                    );
                    close(t_ffr[k], u[0] * bx + u[1] * by, 1e-10);
                }
                // and against central differences of the Hessian-vector product
                let h = 1e-5;
                let plus = mixed3_hv(x + h * u[0], y + h * u[1], v);
                let minus = mixed3_hv(x - h * u[0], y - h * u[1], v);
                for k in 0..2 {
                    let fd = (plus[k] - minus[k]) / (2.0 * h);
                    close(t_ffr[k], fd, 1e-5 * (1.0 + fd.abs()));
                }
                // u is a basis vector: by symmetry T(e_k, v, u) = T(u, v, e_k)
                close(t_rfr[0], t_ffr[0], 1e-10);
                close(t_rfr[1], t_ffr[1], 1e-10);
            }
        }
        // the second-order functions produced on the way agree with each other
        let (_, (_, hxy)) = mixed3_jvp_jvp(x, y, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        let (_, _, hyx, _, _) = mixed3_jvp_vjp(x, y, 1.0, 0.0, (0.0, 1.0));
        let (_, _, hyx2, _) = mixed3_vjp_vjp(x, y, 1.0, (0.0, 1.0, 0.0));
        close(hxy, mixed3_hv(x, y, [1.0, 0.0])[1], 1e-12);
        close(hyx, hxy, 1e-12);
        close(hyx2, hxy, 1e-12);
    }
}
