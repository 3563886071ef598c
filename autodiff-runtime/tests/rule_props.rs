//! Property tests of the scalar rule table (`autodiff_runtime::rules`): for
//! every row, in `f64` and `f32`, at random points of its domain (proptest)
//! and with random tangents and cotangents:
//! - `value` is the std method, exactly, and `jvp`/`vjp` return it;
//! - `jvp` and `vjp` agree by the dot-product test `<J v, w> = <v, J^T w>`
//!   (rounding only);
//! - `jvp` is `partials . v` and `vjp` is `w * partials` (rounding only);
//! - `jvp` and `vjp` match central differences of `value` (on every basis
//!   vector and a pseudo-random direction: `testing::check_jvp` /
//!   `check_vjp`; on the basis vectors only for the wide domains marked
//!   `basis`, where a difference along a direction mixing scales is
//!   inaccurate).
//!
//! The rows and domains are those of tests/rules.rs (deterministic points),
//! plus wider domains for the rows whose range matters most (`exp`, `ln`,
//! `sqrt`, `powf`, `hypot`, `atan2`, ...). `the_list_covers_every_row` fails
//! when the table gains a row without a line here. Cases per row: 256, or
//! `PROPTEST_CASES`; the generator's seed is fixed unless `PROPTEST_RNG_SEED`
//! is set (docs/TESTING.md).

use autodiff_runtime::rules;
use autodiff_runtime::testing::{check_gradient, check_jvp, check_vjp, Tolerance};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn config() -> Config {
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 256;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = RngSeed::Fixed(0x0007_0004);
    }
    // the domains' `keep` filters reject few points; allow for them
    c.max_global_rejects = 100_000;
    c.max_local_rejects = 100_000;
    c.failure_persistence = None;
    c
}

// Tolerances against central differences (the testing helpers take the best
// of several steps with Richardson extrapolation). As in tests/rules.rs.
fn fd_tol_f64() -> Tolerance<f64> {
    Tolerance::new(1e-8, 1e-9)
}
fn fd_tol_f32() -> Tolerance<f32> {
    Tolerance::new(5e-4, 5e-4)
}

/// Rounding-only comparisons: `|a - b| <= k eps scale`.
fn close_scaled(a: f64, b: f64, scale: f64, eps: f64) -> bool {
    a == b || (a.is_finite() && b.is_finite() && (a - b).abs() <= 64.0 * eps * scale)
}

/// Distance from `v` to the nearest multiple of `period`.
fn distance_to_grid(v: f64, period: f64) -> f64 {
    let r = v.rem_euclid(period);
    r.min(period - r)
}
fn away_from_jumps(a: &[f64]) -> bool {
    distance_to_grid(a[0], 0.5) > 0.05
}
fn away_from_zero(a: &[f64]) -> bool {
    a[0].abs() > 0.2
}
fn atan2_keep(a: &[f64]) -> bool {
    a[0].hypot(a[1]) > 0.3 && !(a[1] < 0.0 && a[0].abs() < 0.1)
}
fn all(_: &[f64]) -> bool {
    true
}

/// A point of the box `domain`; a `(lo, hi)` with `lo > 0` and `hi / lo >
/// 100` is sampled log-uniformly (wide positive ranges), the rest uniformly.
fn point(domain: &'static [(f64, f64)]) -> impl Strategy<Value = Vec<f64>> {
    domain
        .iter()
        .map(|&(lo, hi)| {
            if lo > 0.0 && hi / lo > 100.0 {
                (lo.ln()..hi.ln()).prop_map(f64::exp).boxed()
            } else {
                (lo..hi).boxed()
            }
        })
        .collect::<Vec<_>>()
}

/// Tangents / cotangents: moderate, either sign.
fn direction(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-2.0f64..2.0, n)
}

/// The std method of `$name` on the arguments in `$a`, by arity.
macro_rules! std_call {
    ($name:ident, $a:ident, 1) => {
        $a[0].$name()
    };
    ($name:ident, $a:ident, 2) => {
        $a[0].$name($a[1])
    };
    ($name:ident, $a:ident, 3) => {
        $a[0].$name($a[1], $a[2])
    };
}

/// The checks of one row whose arguments are all floats, at one point.
macro_rules! float_row_checks {
    ($name:ident, $F:ident, $arity:tt, $p:expr, $v:expr, $w:expr, $fd_tol:expr, $full:expr) => {{
        use rules::$F::$name as row;
        const N: usize = row::ARITY;
        assert_eq!(N, $arity);
        let to_array = |a: &[$F]| -> [$F; N] { a.try_into().unwrap() };
        let p: Vec<$F> = $p.iter().map(|&x| x as $F).collect();
        let v: Vec<$F> = $v.iter().map(|&x| x as $F).collect();
        let w = $w as $F;
        let a = to_array(&p);
        let value = row::value(a);
        let want = std_call!($name, a, $arity);
        prop_assert!(
            value == want || (value.is_nan() && want.is_nan()),
            "{}::value{a:?} = {value:?}, std gives {want:?}",
            stringify!($name)
        );
        prop_assume!(value.is_finite());
        let partials = row::partials(a);
        let (jv, jt) = row::jvp(a, to_array(&v));
        let (vv, vg) = row::vjp(a, w);
        prop_assert!(
            jv == value && vv == value,
            "{}: jvp/vjp values",
            stringify!($name)
        );
        let eps = <$F>::EPSILON as f64;
        // jvp = partials . v and vjp = w partials, to rounding
        let dot: f64 = (0..N).map(|k| partials[k] as f64 * v[k] as f64).sum();
        let dot_scale: f64 = (0..N)
            .map(|k| (partials[k] as f64 * v[k] as f64).abs())
            .sum();
        prop_assert!(
            close_scaled(jt as f64, dot, dot_scale, eps),
            "{}::jvp{a:?} tangent {jt:?}, partials . v = {dot:?}",
            stringify!($name)
        );
        for k in 0..N {
            let want = w as f64 * partials[k] as f64;
            prop_assert!(
                close_scaled(vg[k] as f64, want, want.abs(), eps),
                "{}::vjp{a:?} adjoint {k} = {:?}, w * partial = {want:?}",
                stringify!($name),
                vg[k]
            );
        }
        // the dot-product test <J v, w> = <v, J^T w>
        let lhs = jt as f64 * w as f64;
        let rhs: f64 = (0..N).map(|k| v[k] as f64 * vg[k] as f64).sum();
        let scale: f64 = (0..N)
            .map(|k| (v[k] as f64 * vg[k] as f64).abs())
            .sum::<f64>()
            + lhs.abs();
        prop_assert!(
            close_scaled(lhs, rhs, scale, eps),
            "{}: <J v, w> = {lhs:?} but <v, J^T w> = {rhs:?} at {a:?}, v = {v:?}, w = {w:?}",
            stringify!($name)
        );
        // against central differences of value
        let f = |x: &[$F]| vec![row::value(to_array(x))];
        if $full {
            // every basis vector and a pseudo-random direction
            if let Err(e) = check_jvp(
                f,
                |x: &[$F], t: &[$F]| vec![row::jvp(to_array(x), to_array(t)).1],
                &p,
                $fd_tol,
            ) {
                return Err(TestCaseError::fail(format!(
                    "{}::jvp ({}):\n{e}",
                    stringify!($name),
                    stringify!($F)
                )));
            }
            if let Err(e) = check_vjp(
                f,
                |x: &[$F], s: &[$F]| row::vjp(to_array(x), s[0]).1.to_vec(),
                &p,
                $fd_tol,
            ) {
                return Err(TestCaseError::fail(format!(
                    "{}::vjp ({}):\n{e}",
                    stringify!($name),
                    stringify!($F)
                )));
            }
        } else {
            // wide domains mix scales, where a difference along a random
            // direction is inaccurate: the basis vectors only (jvp and vjp
            // are tied to the partials exactly above)
            let unit = |j: usize| -> [$F; N] {
                let mut e = [0.0; N];
                e[j] = 1.0;
                e
            };
            let grad = |x: &[$F]| {
                (0..N)
                    .map(|j| row::jvp(to_array(x), unit(j)).1)
                    .collect::<Vec<$F>>()
            };
            if let Err(e) = check_gradient(|x: &[$F]| row::value(to_array(x)), grad, &p, $fd_tol) {
                return Err(TestCaseError::fail(format!(
                    "{}::jvp ({}):\n{e}",
                    stringify!($name),
                    stringify!($F)
                )));
            }
            if let Err(e) = check_gradient(
                |x: &[$F]| row::value(to_array(x)),
                |x: &[$F]| row::vjp(to_array(x), 1.0).1.to_vec(),
                &p,
                $fd_tol,
            ) {
                return Err(TestCaseError::fail(format!(
                    "{}::vjp ({}):\n{e}",
                    stringify!($name),
                    stringify!($F)
                )));
            }
        }
    }};
}

/// `rows! { test_name: name(arity) [(lo, hi), ...] if keep; ... }`: one
/// proptest per line and float type.
macro_rules! rows {
    ($( $test:ident : $name:ident ($arity:tt) $domain:tt $([$basis:ident])? if $keep:expr ; )*) => {
        /// Rows covered (with repetitions for rows with several domains).
        const LISTED: &[&str] = &[$(stringify!($name)),*];
        $(
            mod $test {
                use super::*;
                const DOMAIN: &[(f64, f64)] = &$domain;
                proptest! {
                    #![proptest_config(config())]
                    #[test]
                    fn f64(p in point(DOMAIN), v in direction($arity), w in -2.0f64..2.0) {
                        prop_assume!(($keep)(&p));
                        float_row_checks!($name, f64, $arity, p, v, w, fd_tol_f64(), rows!(@full $($basis)?));
                    }
                    #[test]
                    fn f32(p in point(DOMAIN), v in direction($arity), w in -2.0f64..2.0) {
                        prop_assume!(($keep)(&p));
                        float_row_checks!($name, f32, $arity, p, v, w, fd_tol_f32(), rows!(@full $($basis)?));
                    }
                }
            }
        )*
    };
    (@full) => { true };
    (@full basis) => { false };
}

rows! {
    sin: sin(1) [(-4.0, 4.0)] if all;
    sin_wide: sin(1) [(-50.0, 50.0)] [basis] if all;
    cos: cos(1) [(-4.0, 4.0)] if all;
    tan: tan(1) [(-1.3, 1.3)] if all;
    asin: asin(1) [(-0.9, 0.9)] if all;
    acos: acos(1) [(-0.9, 0.9)] if all;
    atan: atan(1) [(-5.0, 5.0)] if all;
    atan_wide: atan(1) [(-1e3, 1e3)] [basis] if all;
    atan2: atan2(2) [(-3.0, 3.0), (-3.0, 3.0)] if atan2_keep;
    asinh: asinh(1) [(-3.0, 3.0)] if all;
    acosh: acosh(1) [(1.1, 4.0)] if all;
    atanh: atanh(1) [(-0.9, 0.9)] if all;
    sinh: sinh(1) [(-3.0, 3.0)] if all;
    cosh: cosh(1) [(-3.0, 3.0)] if all;
    tanh: tanh(1) [(-3.0, 3.0)] if all;
    exp: exp(1) [(-5.0, 5.0)] if all;
    exp_wide: exp(1) [(-30.0, 30.0)] [basis] if all;
    exp2: exp2(1) [(-5.0, 5.0)] if all;
    exp_m1: exp_m1(1) [(-3.0, 3.0)] if all;
    ln: ln(1) [(0.1, 5.0)] if all;
    ln_wide: ln(1) [(0.1, 1e6)] [basis] if all;
    log10: log10(1) [(0.1, 5.0)] if all;
    log2: log2(1) [(0.1, 5.0)] if all;
    ln_1p: ln_1p(1) [(-0.9, 5.0)] if all;
    sqrt: sqrt(1) [(0.1, 5.0)] if all;
    sqrt_wide: sqrt(1) [(0.1, 1e6)] [basis] if all;
    cbrt: cbrt(1) [(-5.0, 5.0)] if away_from_zero;
    recip: recip(1) [(-5.0, 5.0)] if away_from_zero;
    powf: powf(2) [(0.1, 4.0), (-3.0, 3.0)] if all;
    powf_wide: powf(2) [(0.1, 1e3), (-2.0, 2.0)] [basis] if all;
    abs: abs(1) [(-3.0, 3.0)] if away_from_zero;
    signum: signum(1) [(-3.0, 3.0)] if away_from_zero;
    hypot: hypot(2) [(-3.0, 3.0), (-3.0, 3.0)] if |a: &[f64]| a[0].hypot(a[1]) > 0.3;
    hypot_wide: hypot(2) [(-1e3, 1e3), (-1e3, 1e3)] [basis] if |a: &[f64]| a[0].hypot(a[1]) > 0.3;
    max: max(2) [(-3.0, 3.0), (-3.0, 3.0)] if |a: &[f64]| (a[0] - a[1]).abs() > 0.1;
    min: min(2) [(-3.0, 3.0), (-3.0, 3.0)] if |a: &[f64]| (a[0] - a[1]).abs() > 0.1;
    clamp: clamp(3) [(-3.0, 3.0), (-2.0, -0.5), (0.5, 2.0)] if |a: &[f64]| (a[0] - a[1]).abs() > 0.1 && (a[0] - a[2]).abs() > 0.1;
    mul_add: mul_add(3) [(-3.0, 3.0), (-3.0, 3.0), (-3.0, 3.0)] if all;
    to_degrees: to_degrees(1) [(-3.0, 3.0)] if all;
    to_radians: to_radians(1) [(-200.0, 200.0)] if all;
    fract: fract(1) [(-3.0, 3.0)] if away_from_jumps;
    floor: floor(1) [(-3.0, 3.0)] if away_from_jumps;
    ceil: ceil(1) [(-3.0, 3.0)] if away_from_jumps;
    round: round(1) [(-3.0, 3.0)] if away_from_jumps;
    trunc: trunc(1) [(-3.0, 3.0)] if away_from_jumps;
}

/// `powi`: an integer exponent as well. Away from 0 (at 0, see the open bug
/// F13 in tests/generated_regressions.rs).
mod powi {
    use super::*;

    macro_rules! powi_checks {
        ($F:ident, $x:expr, $n:expr, $v:expr, $w:expr, $fd_tol:expr) => {{
            use rules::$F::powi as row;
            let x = $x as $F;
            let (n, v, w) = ($n, $v as $F, $w as $F);
            let value = row::value([x], n);
            prop_assert!(value == x.powi(n), "powi::value([{x:?}], {n})");
            let [p] = row::partials([x], n);
            let (jv, jt) = row::jvp([x], [v], n);
            let (vv, [vg]) = row::vjp([x], w, n);
            prop_assert!(jv == value && vv == value);
            let eps = <$F>::EPSILON as f64;
            let scale = (p as f64 * v as f64).abs();
            prop_assert!(
                close_scaled(jt as f64, p as f64 * v as f64, scale, eps),
                "powi::jvp([{x:?}], {n})"
            );
            let scale = (p as f64 * w as f64).abs();
            prop_assert!(
                close_scaled(vg as f64, p as f64 * w as f64, scale, eps),
                "powi::vjp([{x:?}], {n})"
            );
            let lhs = jt as f64 * w as f64;
            let rhs = v as f64 * vg as f64;
            prop_assert!(
                close_scaled(lhs, rhs, lhs.abs() + rhs.abs(), eps),
                "powi dot product at {x:?}, n = {n}"
            );
            let f = |y: &[$F]| vec![row::value([y[0]], n)];
            if let Err(e) = check_jvp(
                f,
                |y: &[$F], t: &[$F]| vec![row::jvp([y[0]], [t[0]], n).1],
                &[x],
                $fd_tol,
            ) {
                return Err(TestCaseError::fail(format!("powi::jvp (n = {n}):\n{e}")));
            }
            if let Err(e) = check_vjp(
                f,
                |y: &[$F], s: &[$F]| row::vjp([y[0]], s[0], n).1.to_vec(),
                &[x],
                $fd_tol,
            ) {
                return Err(TestCaseError::fail(format!("powi::vjp (n = {n}):\n{e}")));
            }
        }};
    }

    proptest! {
        #![proptest_config(config())]
        #[test]
        fn f64(x in -3.0f64..3.0, n in -4i32..=6, v in -2.0f64..2.0, w in -2.0f64..2.0) {
            prop_assume!(x.abs() > 0.2);
            powi_checks!(f64, x, n, v, w, fd_tol_f64());
        }
        #[test]
        fn f32(x in -3.0f64..3.0, n in -4i32..=6, v in -2.0f64..2.0, w in -2.0f64..2.0) {
            prop_assume!(x.abs() > 0.2);
            powi_checks!(f32, x, n, v, w, fd_tol_f32());
        }
    }
}

#[test]
fn the_list_covers_every_row() {
    let mut listed: Vec<&str> = LISTED.to_vec();
    listed.push("powi");
    let missing: Vec<&str> = rules::f64::NAMES
        .iter()
        .copied()
        .filter(|n| !listed.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "rows of the table with no property here: {missing:?}"
    );
    assert_eq!(rules::f64::NAMES, rules::f32::NAMES);
}
