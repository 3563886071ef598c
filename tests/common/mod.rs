//! Checking helpers shared by the integration tests: every derivative of a
//! two-argument function checked against closed forms, central differences,
//! the dot-product identity and the second-order routes.
// Each test file uses a different subset.
#![allow(dead_code)]

pub use differentiate::testing::{approx_eq, assert_gradient, assert_jvp, assert_jvp_vs_vjp};

#[track_caller]
pub fn close(got: f64, expected: f64, tol: f64) {
    assert!(
        approx_eq(got, expected, tol, tol),
        "got {got:e}, expected {expected:e} (tolerance {tol:e})"
    );
}

/// `a` and `b` agree to `rel`, relative to the larger of `|a|`, `|b|` and 1
/// (the benchmarks' checks against hand-written derivatives).
pub fn within(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

/// Every component `within` `rel`, lengths equal.
#[track_caller]
pub fn assert_all_close(what: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for i in 0..got.len() {
        assert!(
            within(got[i], want[i], rel),
            "{what}[{i}]: {} vs {}",
            got[i],
            want[i]
        );
    }
}

pub type F2 = fn(f64, f64) -> f64;
pub type Jvp2 = fn(f64, f64, f64, f64) -> (f64, f64);
pub type Vjp2 = fn(f64, f64, f64) -> (f64, f64, f64);
pub type VjpJvp2 = fn(f64, f64, f64, f64, f64, f64) -> ((f64, f64, f64), (f64, f64, f64));
pub type JvpVjp2 = fn(f64, f64, f64, f64, (f64, f64)) -> ((f64, f64), f64, f64, f64, f64);
pub type JvpJvp2 = fn(f64, f64, f64, f64, f64, f64, f64, f64) -> ((f64, f64), (f64, f64));

/// A Hessian-vector product `H v` (seed 1) by one of the second-order routes.
pub type Hvp = Box<dyn Fn(&[f64], &[f64]) -> Vec<f64>>;

/// Forward over reverse: `f_vjp_jvp(x, y, d_out, dx, dy, dd_out)`. Also checks
/// that its first half is `f_vjp`, the tangent of the value is `f_jvp`, and
/// the seed's tangent alone gives back the gradient.
pub fn fr(vjp: Vjp2, jvp: Jvp2, vjp_jvp: VjpJvp2) -> Hvp {
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
pub fn rf(vjp: Vjp2, jvp: Jvp2, jvp_vjp: JvpVjp2) -> Hvp {
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

/// Forward over forward: `f_jvp_jvp(x, y, dx, dy, tx, ty, tdx, tdy)`; the
/// tangent of the tangent along `e_i` is `(H v)_i`. Also checks the first
/// order parts against `f_jvp`.
pub fn ff(jvp: Jvp2, jvp_jvp: JvpJvp2) -> Hvp {
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
pub fn check2(f: F2, jvp: Jvp2, vjp: Vjp2, hvps: &[&Hvp], x: [f64; 2]) {
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
