//! Tests of the scalar rule table (`autodiff_runtime::rules`), row by row, in
//! both `f64` and `f32`.
//!
//! `rule_tests!` lists every row ONCE with its input domain (a box, minus the
//! points a `keep` predicate rejects: branch cuts, ties, kinks, jumps). For each
//! row and float type it checks, at `POINTS` deterministic points of the domain:
//! - `value` equals the std method exactly (`==`);
//! - every entry of `partials` against central differences of `value`
//!   (tight in `f64`, loose in `f32`);
//! - `jvp` and `vjp` return `value`, and agree by the dot-product test
//!   `<J v, w> = <v, J^T w>`;
//!
//! and `the_list_covers_every_row_of_the_table` fails when a row is added to
//! the table (`rules::f64::NAMES`) without a line here. The conventions at non-differentiable points
//! (JAX's) are tested exactly at the end of the file.

use autodiff_runtime::rules;
use autodiff_runtime::testing::{check_gradient, check_jvp_vs_vjp, Tolerance};

/// Points per row (before the `keep` filter drops some).
const POINTS: usize = 24;

/// Deterministic points of the box `domain` that `keep` accepts.
fn points(domain: &[(f64, f64)], keep: fn(&[f64]) -> bool) -> Vec<Vec<f64>> {
    let mut state: u64 = 0x0123_4567_89AB_CDEF;
    let mut next = move || {
        // SplitMix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut out = Vec::new();
    for _ in 0..POINTS {
        let p: Vec<f64> = domain
            .iter()
            .map(|&(lo, hi)| lo + (hi - lo) * next())
            .collect();
        if keep(&p) {
            out.push(p);
        }
    }
    assert!(
        out.len() >= POINTS / 2,
        "the domain filter keeps only {} of {POINTS} points",
        out.len()
    );
    out
}

/// Tolerances for the partials against central differences. The checks pick
/// the best of several steps with Richardson extrapolation, which is good to
/// about 1e-12 (f64) and 1e-6 (f32) on these domains: the margins are ~100x.
fn fd_tolerance_f64() -> Tolerance<f64> {
    Tolerance::new(1e-9, 1e-10)
}
fn fd_tolerance_f32() -> Tolerance<f32> {
    Tolerance::new(5e-4, 5e-4)
}
/// Tolerances for the dot-product test, which involves no differencing: a few
/// rounding errors, relative to the sum of the magnitudes of the terms.
fn dot_tolerance_f64() -> Tolerance<f64> {
    Tolerance::new(50.0 * f64::EPSILON, 0.0)
}
fn dot_tolerance_f32() -> Tolerance<f32> {
    Tolerance::new(50.0 * f32::EPSILON, 0.0)
}

/// The std method of `$name` applied to the arguments in `$a`, by arity.
macro_rules! std_call {
    ($name:ident, $a:ident, $l0:expr) => {
        $a[0].$name()
    };
    ($name:ident, $a:ident, $l0:expr, $l1:expr) => {
        $a[0].$name($a[1])
    };
    ($name:ident, $a:ident, $l0:expr, $l1:expr, $l2:expr) => {
        $a[0].$name($a[1], $a[2])
    };
}

/// `rule_tests! { name [(lo, hi), ...] (n in [ints])? (if keep)?; ... }`: one
/// `(lo, hi)` per float argument; `n in [...]` for the integer argument of
/// `powi`; `keep` a `fn(&[f64]) -> bool` dropping points near kinks and cuts.
macro_rules! rule_tests {
    ($( $name:ident $domain:tt $(n in $ints:tt)? $(if $keep:expr)? ; )*) => {
        /// Every row listed below, in the order listed.
        const LISTED: &[&str] = &[$(stringify!($name)),*];
        $( rule_tests!(@row $name $domain [$($ints)?] [$($keep)?]); )*
    };
    (@keep) => { |_: &[f64]| true };
    (@keep $keep:expr) => { $keep };
    // A row whose arguments are all floats.
    (@row $name:ident [$(($lo:expr, $hi:expr)),+] [] [$($keep:expr)?]) => {
        mod $name {
            use super::*;
            rule_tests!(@float $name f64 [$(($lo, $hi)),+] [$($keep)?] fd_tolerance_f64 dot_tolerance_f64);
            rule_tests!(@float $name f32 [$(($lo, $hi)),+] [$($keep)?] fd_tolerance_f32 dot_tolerance_f32);
        }
    };
    (@float $name:ident $F:ident [$(($lo:expr, $hi:expr)),+] [$($keep:expr)?] $fd_tol:ident $dot_tol:ident) => {
        #[test]
        fn $F() {
            use rules::$F::$name as row;
            const N: usize = row::ARITY;
            let to_array = |a: &[$F]| -> [$F; N] {
                a.try_into().expect("a point has one coordinate per argument")
            };
            let domain = [$(($lo, $hi)),+];
            assert_eq!(domain.len(), N, "{}: one (lo, hi) per argument", stringify!($name));
            for p in points(&domain, rule_tests!(@keep $($keep)?)) {
                let p: Vec<$F> = p.iter().map(|&v| v as $F).collect();
                let a = to_array(&p);
                let value = row::value(a);
                let want = std_call!($name, a, $($lo),+);
                assert!(value == want, "{}::value{a:?} = {value:?}, std gives {want:?}", stringify!($name));
                // the products return the primal value
                assert!(row::jvp(a, [1.0; N]).0 == value, "{}::jvp value", stringify!($name));
                assert!(row::vjp(a, 1.0).0 == value, "{}::vjp value", stringify!($name));
                if let Err(e) = check_gradient(
                    |x: &[$F]| row::value(to_array(x)),
                    |x: &[$F]| row::partials(to_array(x)).to_vec(),
                    &p,
                    $fd_tol(),
                ) {
                    panic!("{}::partials ({}):\n{e}", stringify!($name), stringify!($F));
                }
                if let Err(e) = check_jvp_vs_vjp(
                    |x: &[$F], v: &[$F]| vec![row::jvp(to_array(x), to_array(v)).1],
                    |x: &[$F], w: &[$F]| row::vjp(to_array(x), w[0]).1.to_vec(),
                    &p,
                    1,
                    4,
                    $dot_tol(),
                ) {
                    panic!("{}::jvp vs vjp ({}):\n{e}", stringify!($name), stringify!($F));
                }
            }
        }
    };
    // A row with an integer argument after the float one (`powi`).
    (@row $name:ident [($lo:expr, $hi:expr)] [[$($n:expr),+]] [$($keep:expr)?]) => {
        mod $name {
            use super::*;
            rule_tests!(@int $name f64 ($lo, $hi) [$($n),+] [$($keep)?] fd_tolerance_f64 dot_tolerance_f64);
            rule_tests!(@int $name f32 ($lo, $hi) [$($n),+] [$($keep)?] fd_tolerance_f32 dot_tolerance_f32);
        }
    };
    (@int $name:ident $F:ident ($lo:expr, $hi:expr) [$($n:expr),+] [$($keep:expr)?] $fd_tol:ident $dot_tol:ident) => {
        #[test]
        fn $F() {
            use rules::$F::$name as row;
            assert_eq!(row::ARITY, 1);
            for n in [$($n),+] {
                for p in points(&[($lo, $hi)], rule_tests!(@keep $($keep)?)) {
                    let x = p[0] as $F;
                    let value = row::value([x], n);
                    let want = x.$name(n);
                    assert!(value == want, "{}::value([{x:?}], {n}) = {value:?}, std gives {want:?}", stringify!($name));
                    assert!(row::jvp([x], [1.0], n).0 == value, "{}::jvp value", stringify!($name));
                    assert!(row::vjp([x], 1.0, n).0 == value, "{}::vjp value", stringify!($name));
                    if let Err(e) = check_gradient(
                        |x: &[$F]| row::value([x[0]], n),
                        |x: &[$F]| row::partials([x[0]], n).to_vec(),
                        &[x],
                        $fd_tol(),
                    ) {
                        panic!("{}::partials ({}, n = {n}):\n{e}", stringify!($name), stringify!($F));
                    }
                    if let Err(e) = check_jvp_vs_vjp(
                        |x: &[$F], v: &[$F]| vec![row::jvp([x[0]], [v[0]], n).1],
                        |x: &[$F], w: &[$F]| row::vjp([x[0]], w[0], n).1.to_vec(),
                        &[x],
                        1,
                        4,
                        $dot_tol(),
                    ) {
                        panic!("{}::jvp vs vjp ({}, n = {n}):\n{e}", stringify!($name), stringify!($F));
                    }
                }
            }
        }
    };
}

/// Distance from `v` to the nearest multiple of `period`.
fn distance_to_grid(v: f64, period: f64) -> f64 {
    let r = v.rem_euclid(period);
    r.min(period - r)
}

/// Away from every jump of floor, ceil, round and trunc (integers and halves).
fn away_from_jumps(a: &[f64]) -> bool {
    distance_to_grid(a[0], 0.5) > 0.05
}

/// Away from zero, where `|x|`, `signum`, `cbrt`, `recip` and negative powers break.
fn away_from_zero(a: &[f64]) -> bool {
    a[0].abs() > 0.2
}

/// Away from the origin and from the branch cut of `atan2` (other < 0, self = 0).
fn atan2_keep(a: &[f64]) -> bool {
    a[0].hypot(a[1]) > 0.3 && !(a[1] < 0.0 && a[0].abs() < 0.1)
}

rule_tests! {
    sin [(-4.0, 4.0)];
    cos [(-4.0, 4.0)];
    tan [(-1.3, 1.3)];
    asin [(-0.9, 0.9)];
    acos [(-0.9, 0.9)];
    atan [(-5.0, 5.0)];
    atan2 [(-3.0, 3.0), (-3.0, 3.0)] if atan2_keep;
    asinh [(-3.0, 3.0)];
    acosh [(1.1, 4.0)];
    atanh [(-0.9, 0.9)];
    sinh [(-3.0, 3.0)];
    cosh [(-3.0, 3.0)];
    tanh [(-3.0, 3.0)];
    exp [(-5.0, 5.0)];
    exp2 [(-5.0, 5.0)];
    exp_m1 [(-3.0, 3.0)];
    ln [(0.1, 5.0)];
    log10 [(0.1, 5.0)];
    log2 [(0.1, 5.0)];
    ln_1p [(-0.9, 5.0)];
    sqrt [(0.1, 5.0)];
    cbrt [(-5.0, 5.0)] if away_from_zero;
    recip [(-5.0, 5.0)] if away_from_zero;
    powi [(-3.0, 3.0)] n in [-3, -1, 0, 1, 2, 5] if away_from_zero;
    powf [(0.1, 4.0), (-3.0, 3.0)];
    abs [(-3.0, 3.0)] if away_from_zero;
    signum [(-3.0, 3.0)] if away_from_zero;
    hypot [(-3.0, 3.0), (-3.0, 3.0)] if |a| a[0].hypot(a[1]) > 0.3;
    max [(-3.0, 3.0), (-3.0, 3.0)] if |a| (a[0] - a[1]).abs() > 0.1;
    min [(-3.0, 3.0), (-3.0, 3.0)] if |a| (a[0] - a[1]).abs() > 0.1;
    clamp [(-3.0, 3.0), (-2.0, -0.5), (0.5, 2.0)] if |a| (a[0] - a[1]).abs() > 0.1 && (a[0] - a[2]).abs() > 0.1;
    mul_add [(-3.0, 3.0), (-3.0, 3.0), (-3.0, 3.0)];
    to_degrees [(-3.0, 3.0)];
    to_radians [(-200.0, 200.0)];
    fract [(-3.0, 3.0)] if away_from_jumps;
    floor [(-3.0, 3.0)] if away_from_jumps;
    ceil [(-3.0, 3.0)] if away_from_jumps;
    round [(-3.0, 3.0)] if away_from_jumps;
    trunc [(-3.0, 3.0)] if away_from_jumps;
}

#[test]
fn the_list_covers_every_row_of_the_table() {
    // the table is compiled once per float type; both instances have the same rows
    assert_eq!(rules::f64::NAMES, rules::f32::NAMES);
    const NAMES: &[&str] = rules::f64::NAMES;
    let missing: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| !LISTED.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "rows of the table with no line in rule_tests!: {missing:?}"
    );
    let mut sorted = LISTED.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        LISTED.len(),
        "a row is listed twice in rule_tests!"
    );
    assert_eq!(LISTED.len(), NAMES.len());
}

#[test]
fn the_domains_exercise_every_branch() {
    // max/min/clamp must see both (all three) sides, not just one
    let two = [(-3.0, 3.0), (-3.0, 3.0)];
    let pts = points(&two, |a| (a[0] - a[1]).abs() > 0.1);
    assert!(pts.iter().any(|p| p[0] > p[1]) && pts.iter().any(|p| p[0] < p[1]));
    let pts = points(&[(-3.0, 3.0), (-2.0, -0.5), (0.5, 2.0)], |_| true);
    assert!(pts.iter().any(|p| p[0] < p[1]));
    assert!(pts.iter().any(|p| p[0] > p[2]));
    assert!(pts.iter().any(|p| p[0] > p[1] && p[0] < p[2]));
    let pts = points(&two, atan2_keep);
    assert!(
        pts.iter().any(|p| p[1] < 0.0),
        "atan2 in the left half-plane"
    );
}

// ---- The conventions at non-differentiable points, exactly (JAX's). ----

macro_rules! conventions {
    ($($F:ident),*) => {$(
        mod $F {
            use autodiff_runtime::rules::$F as r;

            #[test]
            fn abs_has_derivative_zero_at_zero() {
                assert_eq!(r::abs::partials([0.0]), [0.0]);
                assert_eq!(r::abs::partials([-0.0]), [0.0]);
                assert_eq!(r::abs::vjp([0.0], 5.0), (0.0, [0.0]));
                assert_eq!(r::abs::jvp([0.0], [5.0]), (0.0, 0.0));
                assert_eq!(r::abs::partials([-2.0]), [-1.0]);
                assert_eq!(r::abs::partials([2.0]), [1.0]);
            }

            #[test]
            fn signum_has_derivative_zero_everywhere() {
                for x in [-3.0, -1e-30, -0.0, 0.0, 1e-30, 7.0] {
                    assert_eq!(r::signum::partials([x]), [0.0], "at {x}");
                    assert_eq!(r::signum::vjp([x], 2.0).1, [0.0], "at {x}");
                }
            }

            #[test]
            fn max_and_min_ties_send_everything_to_the_first_argument() {
                for x in [-2.0, 0.0, 3.5] {
                    assert_eq!(r::max::partials([x, x]), [1.0, 0.0]);
                    assert_eq!(r::min::partials([x, x]), [1.0, 0.0]);
                    assert_eq!(r::max::vjp([x, x], 3.0), (x, [3.0, 0.0]));
                    assert_eq!(r::min::vjp([x, x], 3.0), (x, [3.0, 0.0]));
                    assert_eq!(r::max::jvp([x, x], [2.0, 5.0]), (x, 2.0));
                    assert_eq!(r::min::jvp([x, x], [2.0, 5.0]), (x, 2.0));
                }
                // and away from ties, to the argument that wins
                assert_eq!(r::max::partials([1.0, 2.0]), [0.0, 1.0]);
                assert_eq!(r::max::partials([2.0, 1.0]), [1.0, 0.0]);
                assert_eq!(r::min::partials([1.0, 2.0]), [1.0, 0.0]);
                assert_eq!(r::min::partials([2.0, 1.0]), [0.0, 1.0]);
            }

            #[test]
            fn sqrt_has_infinite_derivative_at_zero() {
                assert_eq!(r::sqrt::partials([0.0]), [<$F>::INFINITY]);
                assert_eq!(r::sqrt::vjp([0.0], 1.0), (0.0, [<$F>::INFINITY]));
            }

            #[test]
            fn clamp_passes_the_adjoint_only_strictly_inside() {
                let (lo, hi) = (-1.0, 2.0);
                assert_eq!(r::clamp::partials([0.5, lo, hi]), [1.0, 0.0, 0.0]);
                // on either bound nobody gets it
                assert_eq!(r::clamp::partials([lo, lo, hi]), [0.0, 0.0, 0.0]);
                assert_eq!(r::clamp::partials([hi, lo, hi]), [0.0, 0.0, 0.0]);
                // outside, the bound that is returned gets it
                assert_eq!(r::clamp::partials([-5.0, lo, hi]), [0.0, 1.0, 0.0]);
                assert_eq!(r::clamp::partials([5.0, lo, hi]), [0.0, 0.0, 1.0]);
                assert_eq!(r::clamp::vjp([5.0, lo, hi], 4.0), (hi, [0.0, 0.0, 4.0]));
            }

            #[test]
            fn floor_ceil_round_trunc_have_derivative_zero_even_at_jumps() {
                for x in [-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.7] {
                    assert_eq!(r::floor::partials([x]), [0.0], "floor at {x}");
                    assert_eq!(r::ceil::partials([x]), [0.0], "ceil at {x}");
                    assert_eq!(r::round::partials([x]), [0.0], "round at {x}");
                    assert_eq!(r::trunc::partials([x]), [0.0], "trunc at {x}");
                    assert_eq!(r::round::jvp([x], [9.0]).1, 0.0);
                    assert_eq!(r::trunc::vjp([x], 9.0).1, [0.0]);
                }
            }

            #[test]
            fn hypot_at_the_origin_has_derivative_zero() {
                assert_eq!(r::hypot::partials([0.0, 0.0]), [0.0, 0.0]);
            }

            #[test]
            fn powf_with_zero_base_has_zero_exponent_derivative() {
                assert_eq!(r::powf::partials([0.0, 2.0]), [0.0, 0.0]);
                assert_eq!(r::powf::partials([0.0, 1.0]), [1.0, 0.0]);
            }

            #[test]
            fn powi_zero_and_one() {
                assert_eq!(r::powi::partials([3.0], 0), [0.0]);
                assert_eq!(r::powi::partials([3.0], 1), [1.0]);
                assert_eq!(r::powi::partials([3.0], 2), [6.0]);
            }
        }
    )*};
}

mod conventions {
    conventions!(f64, f32);
}
