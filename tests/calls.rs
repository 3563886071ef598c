//! Calls between differentiated functions: in the same module, by module path,
//! imported with `use` (which brings the callee's derivative entries along),
//! inside loops and branches, recursion (direct and mutual), a callee with
//! `wrt(...)` called by a function differentiated with respect to everything,
//! and slices passed through. Checked in both modes and at second order
//! (the callees carry the same stack of attributes as their callers).
mod calls_helpers;

use calls_helpers::inner::smooth;
use calls_helpers::{scaled_cube, wave, weighted_norm};
use differentiate::prelude::*;
use differentiate::testing::{approx_eq, assert_gradient, assert_jvp, assert_jvp_vs_vjp};

#[track_caller]
fn close(got: f64, expected: f64, tol: f64) {
    assert!(
        approx_eq(got, expected, tol, tol),
        "got {got:e}, expected {expected:e} (tolerance {tol:e})"
    );
}

type F2 = fn(f64, f64) -> f64;
type Jvp2 = fn(f64, f64, f64, f64) -> (f64, f64);
type Vjp2 = fn(f64, f64, f64) -> (f64, f64, f64);
type VjpJvp2 = fn(f64, f64, f64, f64, f64, f64) -> ((f64, f64, f64), (f64, f64, f64));
type JvpVjp2 = fn(f64, f64, f64, f64, (f64, f64)) -> ((f64, f64), f64, f64, f64, f64);
type JvpJvp2 = fn(f64, f64, f64, f64, f64, f64, f64, f64) -> ((f64, f64), (f64, f64));
type VjpVjp2 = fn(f64, f64, f64, (f64, f64, f64)) -> ((f64, f64, f64), f64, f64, f64);

/// A Hessian-vector product `H v` (seed 1) by one of the second-order routes.
type Hvp = Box<dyn Fn(&[f64], &[f64]) -> Vec<f64>>;

/// Forward over reverse: `f_vjp_jvp(x, y, d_out, dx, dy, dd_out)`. Also checks
/// that its first half is `f_vjp`, the tangent of the value is `f_jvp`, and
/// the seed's tangent alone gives back the gradient.
fn fr(vjp: Vjp2, jvp: Jvp2, vjp_jvp: VjpJvp2) -> Hvp {
    Box::new(move |x: &[f64], v: &[f64]| {
        let ((val, a, b), (dv, ha, hb)) = vjp_jvp(x[0], x[1], 1.0, v[0], v[1], 0.0);
        assert_eq!((val, a, b), vjp(x[0], x[1], 1.0));
        close(dv, jvp(x[0], x[1], v[0], v[1]).1, 1e-13);
        let (_, (_, ga, gb)) = vjp_jvp(x[0], x[1], 1.0, 0.0, 0.0, 1.0);
        assert_eq!((ga, gb), (a, b));
        vec![ha, hb]
    })
}

/// Reverse over forward: `f_jvp_vjp(x, y, dx, dy, (d_value, d_tangent))`.
/// Also checks that its value is `f_jvp` and that the adjoints of the
/// tangent inputs, and those of `x` for the value seed, are the gradient.
fn rf(vjp: Vjp2, jvp: Jvp2, jvp_vjp: JvpVjp2) -> Hvp {
    Box::new(move |x: &[f64], v: &[f64]| {
        let (out, ha, hb, gv0, gv1) = jvp_vjp(x[0], x[1], v[0], v[1], (0.0, 1.0));
        assert_eq!(out, jvp(x[0], x[1], v[0], v[1]));
        let (_, a, b) = vjp(x[0], x[1], 1.0);
        close(gv0, a, 1e-13);
        close(gv1, b, 1e-13);
        let (_, a2, b2, z0, z1) = jvp_vjp(x[0], x[1], v[0], v[1], (1.0, 0.0));
        close(a2, a, 1e-13);
        close(b2, b, 1e-13);
        assert_eq!((z0, z1), (0.0, 0.0));
        vec![ha, hb]
    })
}

/// Reverse over reverse: `f_vjp_vjp(x, y, d_out, (s_value, s_dx, s_dy))`.
/// With `d_out = 1` and the seed `(0, v)`, the adjoints of `x` are `H v`
/// and the adjoint of `d_out` is `<grad, v>`.
fn rr(vjp: Vjp2, vjp_vjp: VjpVjp2) -> Hvp {
    Box::new(move |x: &[f64], v: &[f64]| {
        let (out, ha, hb, gd) = vjp_vjp(x[0], x[1], 1.0, (0.0, v[0], v[1]));
        assert_eq!(out, vjp(x[0], x[1], 1.0));
        close(gd, out.1 * v[0] + out.2 * v[1], 1e-13);
        // the value seed alone gives the gradient (scaled by d_out)
        let (_, a, b, _) = vjp_vjp(x[0], x[1], 2.0, (1.0, 0.0, 0.0));
        close(a, out.1, 1e-13);
        close(b, out.2, 1e-13);
        vec![ha, hb]
    })
}

/// Forward over forward: `f_jvp_jvp(x, y, dx, dy, tx, ty, tdx, tdy)`; the
/// tangent of the tangent along `e_i` is `(H v)_i`. Also checks the first
/// order parts against `f_jvp`.
fn ff(jvp: Jvp2, jvp_jvp: JvpJvp2) -> Hvp {
    Box::new(move |x: &[f64], v: &[f64]| {
        let mut hv = vec![0.0; 2];
        for (i, h) in hv.iter_mut().enumerate() {
            let e = [(i == 0) as u8 as f64, (i == 1) as u8 as f64];
            let ((val, t), (t2, tt)) = jvp_jvp(x[0], x[1], v[0], v[1], e[0], e[1], 0.0, 0.0);
            assert_eq!((val, t), jvp(x[0], x[1], v[0], v[1]));
            close(t2, jvp(x[0], x[1], e[0], e[1]).1, 1e-13);
            *h = tt;
        }
        // the inner tangent's own tangent enters linearly: + f' tdx
        let (_, (_, tt)) = jvp_jvp(x[0], x[1], 0.0, 0.0, 0.0, 0.0, 1.0, 0.0);
        close(tt, jvp(x[0], x[1], 1.0, 0.0).1, 1e-13);
        hv
    })
}

/// Gradient (both modes) and Hessian-vector products (every route in
/// `hvps`) of a function of two variables, against central differences,
/// the dot-product identity and each other. The point must be away from the
/// branch boundaries.
#[track_caller]
fn check2(f: F2, jvp: Jvp2, vjp: Vjp2, hvps: &[&Hvp], x: [f64; 2]) {
    let v = f(x[0], x[1]);
    assert_eq!(jvp(x[0], x[1], 1.0, 0.0).0, v);
    assert_eq!(vjp(x[0], x[1], 1.0).0, v);
    let grad = |p: &[f64]| {
        let (_, a, b) = vjp(p[0], p[1], 1.0);
        vec![a, b]
    };
    assert_gradient(|p: &[f64]| f(p[0], p[1]), grad, &x, 1e-7);
    assert_jvp(
        |p: &[f64]| vec![f(p[0], p[1])],
        |p, t| vec![jvp(p[0], p[1], t[0], t[1]).1],
        &x,
        1e-7,
    );
    assert_jvp_vs_vjp(
        |p: &[f64], t: &[f64]| vec![jvp(p[0], p[1], t[0], t[1]).1],
        |p: &[f64], w: &[f64]| {
            let (_, a, b) = vjp(p[0], p[1], w[0]);
            vec![a, b]
        },
        &x,
        1,
        4,
        1e-13,
    );
    let reference = hvps[0](&x, &[0.6, -1.3]);
    for hvp in hvps {
        assert_jvp(grad, hvp, &x, 1e-6);
        // symmetric Hessian
        let h0 = hvp(&x, &[1.0, 0.0]);
        let h1 = hvp(&x, &[0.0, 1.0]);
        close(h0[1], h1[0], 1e-12);
        // every route gives the same numbers
        let h = hvp(&x, &[0.6, -1.3]);
        close(h[0], reference[0], 1e-12);
        close(h[1], reference[1], 1e-12);
    }
}

// ---------------------------------------------------------------------------
// callees
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse)]
#[differentiate(forward, reverse)]
fn square_plus(x: f64, y: f64) -> f64 {
    x * x + y
}

#[test]
fn the_callees_themselves() {
    assert_eq!(square_plus_vjp(3.0, 1.0, 1.0), (10.0, 6.0, 1.0));
    let (x, y) = (0.7, 1.9);
    let (_, a, b) = calls_helpers::wave_vjp(x, y, 1.0);
    close(a, 2.0 * x * y.sin(), 1e-15);
    close(b, x * x * y.cos(), 1e-15);
    // the user-facing derivatives are not imported by `use`: they are reached by path
    // wrt(x): only x gets a derivative slot
    assert_eq!(calls_helpers::scaled_cube_vjp(2.0, 3.0, 1.0), (24.0, 36.0));
    assert_eq!(calls_helpers::scaled_cube_jvp(2.0, 3.0, 1.0), (24.0, 36.0));
    assert_eq!(
        calls_helpers::scaled_cube_vjp_jvp(2.0, 3.0, 1.0, 1.0).1,
        (36.0, 36.0)
    );
    assert_eq!(
        calls_helpers::scaled_cube_jvp_jvp(2.0, 3.0, 1.0, 1.0).1,
        (36.0, 36.0)
    );
    assert_eq!(scaled_cube(2.0, 3.0), 24.0);
    // softplus: derivative is the logistic function, both branches
    for &x in &[-3.0, -0.2, 0.4, 5.0] {
        let sig = 1.0 / (1.0 + (-x).exp());
        close(calls_helpers::inner::smooth_vjp(x, 1.0).1, sig, 1e-15);
        close(calls_helpers::inner::smooth_jvp(x, 1.0).1, sig, 1e-15);
        close(
            calls_helpers::inner::smooth_vjp_jvp(x, 1.0, 1.0, 0.0).1 .1,
            sig * (1.0 - sig),
            1e-15,
        );
        close(
            calls_helpers::inner::smooth_jvp_jvp(x, 1.0, 1.0, 0.0).1 .1,
            sig * (1.0 - sig),
            1e-15,
        );
        close(smooth(x), (1.0 + x.exp()).ln(), 1e-15);
    }
}

// ---------------------------------------------------------------------------
// the three ways to name a callee
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse)]
#[differentiate(forward, reverse)]
fn call_plain(x: f64, y: f64) -> f64 {
    // same module; the callee's result used twice
    let a = square_plus(x, y);
    a * square_plus(y, a)
}

#[test]
fn call_in_the_same_module() {
    // a = x^2 + y, f = a (y^2 + a)
    let hv = fr(call_plain_vjp, call_plain_jvp, call_plain_vjp_jvp);
    let hf = ff(call_plain_jvp, call_plain_jvp_jvp);
    let hr = rf(call_plain_vjp, call_plain_jvp, call_plain_jvp_vjp);
    let hrr = rr(call_plain_vjp, call_plain_vjp_vjp);
    // at (1, 2): a = 3, f = 3 * 7 = 21
    // df/da = y^2 + 2a = 10, df/dy|a = 2 a y = 12
    // df/dx = 10 * 2x = 20, df/dy = 10 + 12 = 22
    assert_eq!(call_plain(1.0, 2.0), 21.0);
    assert_eq!(call_plain_vjp(1.0, 2.0, 1.0), (21.0, 20.0, 22.0));
    assert_eq!(call_plain_jvp(1.0, 2.0, 1.0, 1.0), (21.0, 42.0));
    // f = a y^2 + a^2: f_x = 2x (y^2 + 2a), f_y = y^2 + 2 a y + 2a
    // f_xx = 2 (y^2 + 2a) + 8 x^2 = 28, f_xy = 2x (2y + 2) = 12,
    // f_yy = 2y + 2a + 2y + 2 = 16
    assert_eq!(hv(&[1.0, 2.0], &[1.0, 0.0]), [28.0, 12.0]);
    assert_eq!(hv(&[1.0, 2.0], &[0.0, 1.0]), [12.0, 16.0]);
    assert_eq!(hf(&[1.0, 2.0], &[0.0, 1.0]), [12.0, 16.0]);
    assert_eq!(hr(&[1.0, 2.0], &[0.0, 1.0]), [12.0, 16.0]);
    assert_eq!(hrr(&[1.0, 2.0], &[0.0, 1.0]), [12.0, 16.0]);
    for p in [[1.0, 2.0], [-0.4, 0.9], [1.7, -2.2]] {
        check2(
            call_plain,
            call_plain_jvp,
            call_plain_vjp,
            &[&hv, &hf, &hr, &hrr],
            p,
        );
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn call_by_path(x: f64, y: f64) -> f64 {
    calls_helpers::wave(x, y) + calls_helpers::inner::softplus_core(x * y)
}

#[differentiate(forward, reverse)]
#[differentiate(forward, reverse)]
fn call_imported(x: f64, y: f64) -> f64 {
    wave(y, x) * smooth(x - y)
}

#[test]
fn call_by_module_path() {
    let hv = fr(call_by_path_vjp, call_by_path_jvp, call_by_path_vjp_jvp);
    let hf = ff(call_by_path_jvp, call_by_path_jvp_jvp);
    let (x, y) = (0.8, -1.3);
    let sig = |t: f64| 1.0 / (1.0 + (-t).exp());
    let (_, a, b) = call_by_path_vjp(x, y, 1.0);
    close(a, 2.0 * x * y.sin() + sig(x * y) * y, 1e-15);
    close(b, x * x * y.cos() + sig(x * y) * x, 1e-15);
    for p in [[x, y], [1.5, 0.6], [-0.3, 2.2]] {
        check2(
            call_by_path,
            call_by_path_jvp,
            call_by_path_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

#[test]
fn call_imported_with_use() {
    let hv = fr(call_imported_vjp, call_imported_jvp, call_imported_vjp_jvp);
    let hf = ff(call_imported_jvp, call_imported_jvp_jvp);
    let hr = rf(call_imported_vjp, call_imported_jvp, call_imported_jvp_vjp);
    let hrr = rr(call_imported_vjp, call_imported_vjp_vjp);
    // f = y^2 sin(x) softplus(x - y)
    let (x, y) = (0.8, -1.3);
    let sp = (1.0 + (x - y).exp()).ln();
    let sig = 1.0 / (1.0 + (y - x).exp());
    let (v, a, b) = call_imported_vjp(x, y, 1.0);
    close(v, y * y * x.sin() * sp, 1e-15);
    close(a, y * y * (x.cos() * sp + x.sin() * sig), 1e-14);
    close(b, 2.0 * y * x.sin() * sp - y * y * x.sin() * sig, 1e-14);
    for p in [[x, y], [1.5, 0.6], [-0.3, 2.2]] {
        check2(
            call_imported,
            call_imported_jvp,
            call_imported_vjp,
            &[&hv, &hf, &hr, &hrr],
            p,
        );
    }
}

// ---------------------------------------------------------------------------
// calls inside loops and branches
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn calls_in_control_flow(x: f64, y: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        if i % 2 == 0 {
            s = square_plus(s, y) * 0.5;
        } else if s > 1.0 {
            s = wave(s, y).sqrt();
        } else {
            s = s + smooth(s * y);
        }
    }
    s
}

/// The same iteration with value and both partials carried by hand.
fn calls_in_control_flow_by_hand(x: f64, y: f64, n: usize) -> [f64; 3] {
    let (mut s, mut sx, mut sy) = (x, 1.0, 0.0);
    for i in 0..n {
        if i % 2 == 0 {
            // (s^2 + y) / 2
            sy = s * sy + 0.5;
            sx *= s;
            s = (s * s + y) * 0.5;
        } else if s > 1.0 {
            // sqrt(s^2 sin y) = s sqrt(sin y) for s > 0
            let r = y.sin().sqrt();
            sy = sy * r + s * y.cos() / (2.0 * r);
            sx *= r;
            s *= r;
        } else {
            let t = s * y;
            let sig = 1.0 / (1.0 + (-t).exp());
            sy = sy + sig * (sy * y + s);
            sx = sx + sig * sx * y;
            s += (1.0 + t.exp()).ln();
        }
    }
    [s, sx, sy]
}

#[test]
fn calls_inside_loops_and_branches() {
    let n = 6;
    let hv_n = |p: &[f64], v: &[f64]| {
        let (_, (_, a, b)) = calls_in_control_flow_vjp_jvp(p[0], p[1], n, 1.0, v[0], v[1], 0.0);
        vec![a, b]
    };
    for p in [[1.2, 0.9], [0.3, 1.4], [1.8, 2.0]] {
        let r = calls_in_control_flow_by_hand(p[0], p[1], n);
        let (v, a, b) = calls_in_control_flow_vjp(p[0], p[1], n, 1.0);
        close(v, r[0], 1e-14);
        close(a, r[1], 1e-13);
        close(b, r[2], 1e-13);
        close(
            calls_in_control_flow_jvp(p[0], p[1], n, 1.0, 0.0).1,
            r[1],
            1e-13,
        );
        close(
            calls_in_control_flow_jvp(p[0], p[1], n, 0.0, 1.0).1,
            r[2],
            1e-13,
        );
        let grad = |q: &[f64]| {
            let (_, a, b) = calls_in_control_flow_vjp(q[0], q[1], n, 1.0);
            vec![a, b]
        };
        assert_gradient(
            |q: &[f64]| calls_in_control_flow(q[0], q[1], n),
            grad,
            &p,
            1e-7,
        );
        assert_jvp_vs_vjp(
            |q: &[f64], t: &[f64]| vec![calls_in_control_flow_jvp(q[0], q[1], n, t[0], t[1]).1],
            |q: &[f64], w: &[f64]| {
                let (_, a, b) = calls_in_control_flow_vjp(q[0], q[1], n, w[0]);
                vec![a, b]
            },
            &p,
            1,
            4,
            1e-12,
        );
        assert_jvp(grad, hv_n, &p, 1e-6);
        // forward over forward, e_x^T H e_y
        let (_, (_, hxy)) =
            calls_in_control_flow_jvp_jvp(p[0], p[1], n, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        close(hxy, hv_n(&p, &[1.0, 0.0])[1], 1e-12);
    }
}

// ---------------------------------------------------------------------------
// recursion
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn rpow(x: f64, n: u32) -> f64 {
    // exponentiation by squaring, recursively
    if n == 0 {
        1.0
    } else if n % 2 == 0 {
        let h = rpow(x, n / 2);
        h * h
    } else {
        x * rpow(x, n - 1)
    }
}

#[test]
fn recursive_power() {
    for n in 0..12u32 {
        let nf = n as f64;
        // exact for x = 2 (all powers of two)
        let x = 2.0f64;
        assert_eq!(rpow(x, n), x.powi(n as i32));
        let d1 = if n == 0 {
            0.0
        } else {
            nf * x.powi(n as i32 - 1)
        };
        let d2 = if n < 2 {
            0.0
        } else {
            nf * (nf - 1.0) * x.powi(n as i32 - 2)
        };
        assert_eq!(rpow_vjp(x, n, 1.0), (x.powi(n as i32), d1));
        assert_eq!(rpow_jvp(x, n, 1.0), (x.powi(n as i32), d1));
        assert_eq!(rpow_vjp_jvp(x, n, 1.0, 1.0, 0.0).1, (d1, d2));
        // and close to the closed form elsewhere
        let x = -1.3f64;
        close(rpow_vjp(x, n, 1.0).1, nf * x.powi(n as i32 - 1), 1e-13);
        close(
            rpow_vjp_jvp(x, n, 1.0, 1.0, 0.0).1 .1,
            nf * (nf - 1.0) * x.powi(n as i32 - 2),
            1e-13,
        );
    }
}

#[differentiate(forward)]
#[differentiate(forward)]
fn rpow_ff(x: f64, n: u32) -> f64 {
    if n == 0 {
        1.0
    } else if n % 2 == 0 {
        let h = rpow_ff(x, n / 2);
        h * h
    } else {
        x * rpow_ff(x, n - 1)
    }
}

#[test]
fn recursive_power_forward_over_forward() {
    for n in 0..12u32 {
        let (nf, x) = (n as f64, 2.0f64);
        let d1 = if n == 0 {
            0.0
        } else {
            nf * x.powi(n as i32 - 1)
        };
        let d2 = if n < 2 {
            0.0
        } else {
            nf * (nf - 1.0) * x.powi(n as i32 - 2)
        };
        assert_eq!(rpow_ff(x, n), x.powi(n as i32));
        assert_eq!(rpow_ff_jvp(x, n, 1.0), (x.powi(n as i32), d1));
        assert_eq!(rpow_ff_jvp_jvp(x, n, 1.0, 1.0, 0.0).1, (d1, d2));
    }
}

#[differentiate(forward)]
fn ping(x: f64, n: u32) -> f64 {
    if n == 0 {
        x
    } else {
        pong(x, n - 1).sin() + x
    }
}

#[differentiate(forward)]
fn pong(x: f64, n: u32) -> f64 {
    if n == 0 {
        x * x
    } else {
        ping(x * 0.5, n - 1) * x
    }
}

/// ping and pong with value, first and second derivative carried by hand.
fn ping_by_hand(x: f64, n: u32) -> [f64; 3] {
    if n == 0 {
        [x, 1.0, 0.0]
    } else {
        let [p, p1, p2] = pong_by_hand(x, n - 1);
        [
            p.sin() + x,
            p.cos() * p1 + 1.0,
            -p.sin() * p1 * p1 + p.cos() * p2,
        ]
    }
}

fn pong_by_hand(x: f64, n: u32) -> [f64; 3] {
    if n == 0 {
        [x * x, 2.0 * x, 2.0]
    } else {
        let [q, q1, q2] = ping_by_hand(x * 0.5, n - 1);
        // d/dx q(x/2) = q1 / 2
        [q * x, 0.5 * q1 * x + q, 0.25 * q2 * x + q1]
    }
}

#[test]
fn mutual_recursion_forward() {
    for n in 0..7u32 {
        for &x in &[0.7, -1.4, 2.3] {
            let [v, d1, _] = ping_by_hand(x, n);
            let (w, t) = ping_jvp(x, n, 1.0);
            close(w, v, 1e-15);
            close(t, d1, 1e-13);
            assert_eq!(ping(x, n), w);
            let [v, d1, _] = pong_by_hand(x, n);
            close(pong(x, n), v, 1e-15);
            close(pong_jvp(x, n, 1.0).1, d1, 1e-13);
        }
    }
}

// Mutual recursion in reverse mode: `recursive` on one function of the cycle (bug C13).
#[differentiate(forward)]
#[differentiate(forward, reverse, recursive)]
fn ping2(x: f64, n: u32) -> f64 {
    if n == 0 {
        x
    } else {
        pong2(x, n - 1).sin() + x
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn pong2(x: f64, n: u32) -> f64 {
    if n == 0 {
        x * x
    } else {
        ping2(x * 0.5, n - 1) * x
    }
}

#[test]
fn mutual_recursion_reverse_and_second_order() {
    for n in 0..7u32 {
        for &x in &[0.7, -1.4, 2.3] {
            let [v, d1, d2] = ping_by_hand(x, n);
            let (w, g) = ping2_vjp(x, n, 1.0);
            close(w, v, 1e-15);
            close(g, d1, 1e-13);
            close(ping2_jvp(x, n, 1.0).1, d1, 1e-13);
            close(ping2_vjp_jvp(x, n, 1.0, 1.0, 0.0).1 .1, d2, 1e-12);
            close(ping2_jvp_jvp(x, n, 1.0, 1.0, 0.0).1 .1, d2, 1e-12);
            let [v, d1, d2] = pong_by_hand(x, n);
            close(pong2(x, n), v, 1e-15);
            close(pong2_vjp(x, n, 1.0).1, d1, 1e-13);
            close(pong2_jvp(x, n, 1.0).1, d1, 1e-13);
            close(pong2_vjp_jvp(x, n, 1.0, 1.0, 0.0).1 .1, d2, 1e-12);
        }
    }
}

// ---------------------------------------------------------------------------
// a callee with wrt(...), called by a function active in everything
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn uses_wrt_callee(x: f64, k: f64) -> f64 {
    // scaled_cube is differentiated with respect to its first argument only,
    // but here both of its arguments are active: k x^3 + x k^3
    scaled_cube(x, k) + calls_helpers::scaled_cube(k, x)
}

#[test]
fn callee_with_wrt_called_from_another_function() {
    let hv = fr(
        uses_wrt_callee_vjp,
        uses_wrt_callee_jvp,
        uses_wrt_callee_vjp_jvp,
    );
    let hf = ff(uses_wrt_callee_jvp, uses_wrt_callee_jvp_jvp);
    // at (2, 3): f = 24 + 54 = 78, f_x = 3 k x^2 + k^3 = 36 + 27 = 63,
    // f_k = x^3 + 3 x k^2 = 8 + 54 = 62
    assert_eq!(uses_wrt_callee_vjp(2.0, 3.0, 1.0), (78.0, 63.0, 62.0));
    assert_eq!(uses_wrt_callee_jvp(2.0, 3.0, 1.0, 1.0), (78.0, 125.0));
    // H = [[6 k x, 3 x^2 + 3 k^2], [.., 6 x k]] = [[36, 39], [39, 36]]
    assert_eq!(hv(&[2.0, 3.0], &[1.0, 0.0]), [36.0, 39.0]);
    assert_eq!(hf(&[2.0, 3.0], &[0.0, 1.0]), [39.0, 36.0]);
    for p in [[2.0, 3.0], [-0.6, 1.1]] {
        check2(
            uses_wrt_callee,
            uses_wrt_callee_jvp,
            uses_wrt_callee_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

#[differentiate(forward, wrt(x))]
#[differentiate(forward, reverse, wrt(x))]
fn wrt_caller(x: f64, k: f64) -> f64 {
    // the caller restricts too; the callee's k-derivative is simply not asked for
    scaled_cube(k, x) * k
}

#[test]
fn caller_and_callee_both_restricted() {
    // x k^4: d/dx = k^4, d2/dx2 = 0
    assert_eq!(wrt_caller(2.0, 3.0), 162.0);
    assert_eq!(wrt_caller_vjp(2.0, 3.0, 1.0), (162.0, 81.0));
    assert_eq!(wrt_caller_jvp(2.0, 3.0, 1.0), (162.0, 81.0));
    assert_eq!(wrt_caller_vjp_jvp(2.0, 3.0, 1.0, 1.0).1, (81.0, 0.0));
    assert_eq!(wrt_caller_jvp_jvp(2.0, 3.0, 1.0, 1.0).1, (81.0, 0.0));
}

// ---------------------------------------------------------------------------
// slices through calls
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn slices_through_calls(x: &[f64]) -> f64 {
    let w = vec![1.0, 2.0, 3.0];
    // a local constant vector and the active slice, and the slice twice
    weighted_norm(&w, x) + calls_helpers::weighted_norm(x, x)
}

#[test]
fn slices_passed_to_callees() {
    // f = x0^2 + 2 x1^2 + 3 x2^2 + sum x^3
    let x = [1.0, -2.0, 0.5];
    let f = 1.0 + 8.0 + 0.75 + (1.0 - 8.0 + 0.125);
    assert_eq!(slices_through_calls(&x), f);
    let g = vec![2.0 + 3.0, -8.0 + 12.0, 3.0 + 0.75];
    assert_eq!(slices_through_calls_vjp(&x, 1.0), (f, g.clone()));
    assert_eq!(
        slices_through_calls_jvp(&x, &[1.0, 1.0, 1.0]),
        (f, 5.0 + 4.0 + 3.75)
    );
    // diagonal Hessian: 2 w_i + 6 x_i
    assert_eq!(
        differentiate::drivers::hessian(slices_through_calls_vjp_jvp, &x),
        vec![
            vec![8.0, 0.0, 0.0],
            vec![0.0, -8.0, 0.0],
            vec![0.0, 0.0, 9.0]
        ]
    );
    let (_, (_, tt)) =
        slices_through_calls_jvp_jvp(&x, &[0.0, 1.0, 0.0], &[0.0, 1.0, 0.0], &[0.0; 3]);
    assert_eq!(tt, -8.0);
    let _ = weighted_norm(&x, &x);
}

// ---------------------------------------------------------------------------
// callees returning tuples, arrays and vectors; compound assignment on elements
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse)]
fn pair(x: f64, y: f64) -> (f64, f64) {
    (x * y, x + y)
}

#[differentiate(forward, reverse)]
fn as_array(x: f64, y: f64) -> [f64; 2] {
    let mut a = [0.0; 2];
    a[0] = x * y;
    a[1] = x - y;
    a
}

#[differentiate(forward, reverse)]
fn squares(x: &[f64]) -> Vec<f64> {
    let mut v = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        v.push(x[i] * x[i]);
    }
    v
}

#[differentiate(forward, reverse)]
fn aggregate_results(x: f64, y: f64) -> f64 {
    let (p, s) = pair(x, y);
    let a = as_array(p, s);
    // a local array of active values passed as a slice
    let buf = [x, y, p];
    let v = squares(&buf);
    let mut t = a[0] * a[1] + v[2];
    let mut b = [x, y];
    b[0] *= y;
    b[1] /= x;
    b[0] -= b[1];
    t += b[0];
    t
}

#[test]
fn callees_returning_aggregates() {
    // p = x y, s = x + y: f = p s (p - s) + p^2 + x y - y / x
    assert_eq!(pair(2.0, 3.0), (6.0, 5.0));
    assert_eq!(as_array(6.0, 5.0), [30.0, 1.0]);
    assert_eq!(squares(&[2.0, 3.0]), vec![4.0, 9.0]);
    assert_eq!(aggregate_results(2.0, 3.0), 70.5);
    // by hand at (2, 3): d/dx = 120.75, d/dy = 71.5
    assert_eq!(aggregate_results_vjp(2.0, 3.0, 1.0), (70.5, 120.75, 71.5));
    assert_eq!(aggregate_results_jvp(2.0, 3.0, 1.0, 0.0), (70.5, 120.75));
    assert_eq!(aggregate_results_jvp(2.0, 3.0, 0.0, 1.0), (70.5, 71.5));
    for p in [[0.7, -1.2], [1.4, 0.9]] {
        assert_gradient(
            |q: &[f64]| aggregate_results(q[0], q[1]),
            |q| {
                let (_, a, b) = aggregate_results_vjp(q[0], q[1], 1.0);
                vec![a, b]
            },
            &p,
            1e-7,
        );
        assert_jvp_vs_vjp(
            |q: &[f64], t: &[f64]| vec![aggregate_results_jvp(q[0], q[1], t[0], t[1]).1],
            |q: &[f64], w: &[f64]| {
                let (_, a, b) = aggregate_results_vjp(q[0], q[1], w[0]);
                vec![a, b]
            },
            &p,
            1,
            4,
            1e-12,
        );
    }
    // the callees' own derivatives
    assert_eq!(pair_vjp(2.0, 3.0, (1.0, 1.0)), ((6.0, 5.0), 4.0, 3.0));
    assert_eq!(pair_jvp(2.0, 3.0, 1.0, 0.0), ((6.0, 5.0), (3.0, 1.0)));
    assert_eq!(as_array_vjp(2.0, 3.0, [1.0, 1.0]), ([6.0, -1.0], 4.0, 1.0));
    assert_eq!(
        squares_vjp(&[2.0, 3.0], &[1.0, 1.0]),
        (vec![4.0, 9.0], vec![4.0, 6.0])
    );
    assert_eq!(
        squares_jvp(&[2.0, 3.0], &[1.0, 0.0]),
        (vec![4.0, 9.0], vec![4.0, 0.0])
    );
    let _ = as_array_jvp(2.0, 3.0, 1.0, 1.0);
}

// Regression test for bug C3 (fixed): second order through a callee returning a tuple is an internal error.
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn pair2(x: f64, y: f64) -> (f64, f64) {
    (x * y, x + y)
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn squares2(x: &[f64]) -> Vec<f64> {
    let mut v = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        v.push(x[i] * x[i]);
    }
    v
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn aggregate_results2(x: f64, y: f64) -> f64 {
    let (p, s) = pair2(x, y);
    let buf = [x, y, p];
    let v = squares2(&buf);
    p * s + v[2]
}

#[test]
fn callees_returning_aggregates_second_order() {
    // f = x y (x + y) + x^2 y^2: f_xx = 2 y + 2 y^2, f_xy = 2 x + 2 y + 4 x y
    let hv = fr(
        aggregate_results2_vjp,
        aggregate_results2_jvp,
        aggregate_results2_vjp_jvp,
    );
    let hf = ff(aggregate_results2_jvp, aggregate_results2_jvp_jvp);
    assert_eq!(hv(&[2.0, 3.0], &[1.0, 0.0]), [24.0, 34.0]);
    assert_eq!(hf(&[2.0, 3.0], &[1.0, 0.0]), [24.0, 34.0]);
    check2(
        aggregate_results2,
        aggregate_results2_jvp,
        aggregate_results2_vjp,
        &[&hv, &hf],
        [0.7, -1.2],
    );
    let _ = pair2(1.0, 2.0);
    let _ = squares2(&[1.0]);
}
