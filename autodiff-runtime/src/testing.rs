//! Derivative checks for tests, in the manner of JAX's `check_grads` and
//! ChainRulesTestUtils' `test_frule` / `test_rrule`.
//!
//! Everything works on flat slices, so a generated function is checked by
//! wrapping it in a closure:
//!
//! ```
//! use autodiff_runtime::testing::assert_gradient;
//! // what `#[differentiate(reverse)] fn f(x: &[f64]) -> f64` would generate
//! fn f(x: &[f64]) -> f64 { x[0] * x[1].sin() }
//! fn f_vjp(x: &[f64], d_out: f64) -> (f64, Vec<f64>) {
//!     (f(x), vec![d_out * x[1].sin(), d_out * x[0] * x[1].cos()])
//! }
//! assert_gradient(f, |x| f_vjp(x, 1.0).1, &[1.5, 0.3], 1e-7);
//! ```
//!
//! The checks:
//! - [`check_gradient`]: an analytic gradient against central differences;
//! - [`check_jvp`] / [`check_vjp`]: forward / reverse products against the
//!   central-difference Jacobian, on every basis vector and one pseudo-random
//!   direction;
//! - [`check_jvp_vs_vjp`]: the dot-product identity `<J v, w> = <v, J^T w>`,
//!   which needs no finite differences at all and so holds to rounding.
//!
//! Finite differences are taken at a ladder of steps around `eps^(1/3)` (the
//! step that balances truncation against cancellation), scaled by
//! `max(1, |x_j|)`, plus Richardson extrapolations of neighbouring steps; each
//! component is compared with the estimate closest to it. A wrong derivative is
//! far from every estimate, while a right one is close to the best, whichever
//! step that turns out to be for that component.
//!
//! Each check returns `Err(`[`Mismatch`]`)` with a readable report; the
//! `assert_*` forms panic with that report.

use crate::Real;
use core::fmt;

/// How close two numbers must be:
/// `|got - expected| <= abs + rel * max(|got|, |expected|)`.
///
/// A bare float converts into a tolerance with `rel = abs =` that float, so every
/// check accepts `1e-6` as well as `Tolerance::new(1e-6, 1e-9)`.
///
/// ```
/// use autodiff_runtime::testing::Tolerance;
/// let t = Tolerance::new(1e-3, 1e-6);
/// assert!(t.accepts(1000.0, 1000.5));
/// assert!(!t.accepts(0.0, 1e-5));
/// assert_eq!(Tolerance::from(0.5_f32), Tolerance::new(0.5, 0.5));
/// assert_eq!(Tolerance::<f64>::default().rel, f64::EPSILON.sqrt() * 10.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance<F> {
    /// Relative part, scaled by the larger magnitude of the two numbers.
    pub rel: F,
    /// Absolute part, for numbers near zero.
    pub abs: F,
}

impl<F: Real> Tolerance<F> {
    /// A tolerance with the given relative and absolute parts.
    ///
    /// ```
    /// let t = autodiff_runtime::testing::Tolerance::new(1e-6, 1e-12);
    /// assert_eq!((t.rel, t.abs), (1e-6, 1e-12));
    /// ```
    pub fn new(rel: F, abs: F) -> Self {
        Tolerance { rel, abs }
    }

    /// Whether `got` is within this tolerance of `expected` (see [`approx_eq`]).
    ///
    /// ```
    /// let t = autodiff_runtime::testing::Tolerance::new(0.01, 0.0);
    /// assert!(t.accepts(100.0, 100.9));
    /// assert!(!t.accepts(100.0, 102.0));
    /// ```
    pub fn accepts(&self, expected: F, got: F) -> bool {
        approx_eq(expected, got, self.rel, self.abs)
    }

    /// Whether `|a - b| <= abs + rel * scale`, for a caller-chosen scale (the
    /// dot-product test scales by the sum of the magnitudes of the terms).
    fn accepts_scaled(&self, a: F, b: F, scale: F) -> bool {
        if a == b {
            return true;
        }
        a.is_finite() && b.is_finite() && (a - b).abs() <= self.abs + self.rel * scale
    }
}

impl<F: Real> Default for Tolerance<F> {
    /// `rel = abs = 10 * sqrt(eps)`: about `1.5e-7` for `f64` and `3.5e-3` for
    /// `f32`, well above the error of the best central difference
    /// (about `eps^(2/3)`) for ordinarily scaled functions.
    fn default() -> Self {
        let t = F::EPSILON.sqrt() * F::from_f64(10.0);
        Tolerance { rel: t, abs: t }
    }
}

impl<F: Real> From<F> for Tolerance<F> {
    fn from(t: F) -> Self {
        Tolerance { rel: t, abs: t }
    }
}

/// `true` when `|a - b| <= abs + rel * max(|a|, |b|)`, or when `a == b` (so
/// equal infinities agree); NaN is never close to anything.
///
/// ```
/// use autodiff_runtime::testing::approx_eq;
/// assert!(approx_eq(1.0, 1.0 + 1e-12, 1e-9, 0.0));
/// assert!(approx_eq(0.0, 1e-12, 0.0, 1e-9));
/// assert!(!approx_eq(1.0, 1.1, 1e-3, 1e-3));
/// assert!(approx_eq(f64::INFINITY, f64::INFINITY, 0.0, 0.0));
/// assert!(!approx_eq(f64::NAN, f64::NAN, 1.0, 1.0));
/// ```
pub fn approx_eq<F: Real>(a: F, b: F, rel: F, abs: F) -> bool {
    if a == b {
        return true;
    }
    if !(a.is_finite() && b.is_finite()) {
        return false;
    }
    (a - b).abs() <= abs + rel * a.abs().max(b.abs())
}

/// `|got - expected| / max(|got|, |expected|)`: 0 when equal, infinite when
/// either is NaN or only one is infinite.
fn relative_error<F: Real>(expected: F, got: F) -> F {
    if expected == got {
        return F::ZERO;
    }
    if !(expected.is_finite() && got.is_finite()) {
        return F::INFINITY;
    }
    (expected - got).abs() / expected.abs().max(got.abs())
}

/// One compared number that was outside the tolerance.
///
/// ```
/// use autodiff_runtime::testing::check_gradient;
/// let err = check_gradient(|x: &[f64]| x[0] * x[0], |x| vec![3.0 * x[0]], &[1.0], 1e-6)
///     .unwrap_err();
/// let c = &err.components[0];
/// assert_eq!(c.label, "d/dx[0]");
/// assert!((c.expected - 2.0).abs() < 1e-6 && c.got == 3.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Component<F> {
    /// Which number: `d/dx[j]`, `J[i][j]`, `(J v)[i]`, `trial t`, ...
    pub label: String,
    /// The reference value (a central difference, or `<v, J^T w>`).
    pub expected: F,
    /// The value under test.
    pub got: F,
    /// `|got - expected| / max(|got|, |expected|)`.
    pub rel_error: F,
}

/// A failed derivative check: what was checked, where, and which numbers
/// disagree. `Display` gives the full report.
///
/// ```
/// use autodiff_runtime::testing::check_gradient;
/// let f = |x: &[f64]| x[0] * x[1];
/// let wrong = |x: &[f64]| vec![x[1], x[1]];
/// let err = check_gradient(f, wrong, &[2.0, 3.0], 1e-6).unwrap_err();
/// assert_eq!(err.check, "check_gradient");
/// assert_eq!(err.components.len(), 1);
/// assert_eq!(err.components[0].label, "d/dx[1]");
/// let report = err.to_string();
/// assert!(report.contains("d/dx[1]") && report.contains("x = [2.0, 3.0]"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch<F> {
    /// The check that failed (`"check_gradient"`, `"check_jvp"`, ...).
    pub check: &'static str,
    /// The point the derivatives were taken at.
    pub point: Vec<F>,
    /// The tolerance that was applied.
    pub tolerance: Tolerance<F>,
    /// The numbers outside the tolerance (empty when `note` reports a length error).
    pub components: Vec<Component<F>>,
    /// How many numbers were compared in all.
    pub compared: usize,
    /// The largest relative error over every compared number.
    pub worst_rel_error: F,
    /// What the reference values are, or a length error.
    pub note: String,
}

/// How many failing components a report prints before summarising the rest.
const SHOWN: usize = 20;

fn fmt_point<F: Real>(x: &[F]) -> String {
    const MAX: usize = 8;
    let shown: Vec<String> = x.iter().take(MAX).map(|v| format!("{v:?}")).collect();
    if x.len() > MAX {
        format!("[{}, ... ({} values)]", shown.join(", "), x.len())
    } else {
        format!("[{}]", shown.join(", "))
    }
}

impl<F: Real> fmt::Display for Mismatch<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} failed: {} of {} compared values outside tolerance (rel {:.1e}, abs {:.1e}); worst relative error {:.3e}",
            self.check,
            self.components.len(),
            self.compared,
            self.tolerance.rel.to_f64(),
            self.tolerance.abs.to_f64(),
            self.worst_rel_error.to_f64(),
        )?;
        writeln!(f, "  at x = {}", fmt_point(&self.point))?;
        writeln!(f, "  {}", self.note)?;
        if self.components.is_empty() {
            return Ok(());
        }
        let width = self
            .components
            .iter()
            .map(|c| c.label.len())
            .max()
            .unwrap_or(0)
            .max(9);
        writeln!(
            f,
            "  {:<width$}  {:>24}  {:>24}  {:>10}",
            "component", "expected", "got", "rel error"
        )?;
        for c in self.components.iter().take(SHOWN) {
            writeln!(
                f,
                "  {:<width$}  {:>24}  {:>24}  {:>10.3e}",
                c.label,
                format!("{:?}", c.expected),
                format!("{:?}", c.got),
                c.rel_error.to_f64(),
            )?;
        }
        if self.components.len() > SHOWN {
            writeln!(f, "  ... and {} more", self.components.len() - SHOWN)?;
        }
        Ok(())
    }
}

impl<F: Real> std::error::Error for Mismatch<F> {}

/// Collects comparisons and turns them into `Ok` or a [`Mismatch`].
struct Report<F: Real> {
    check: &'static str,
    point: Vec<F>,
    tolerance: Tolerance<F>,
    failing: Vec<Component<F>>,
    compared: usize,
    worst: F,
    note: String,
}

impl<F: Real> Report<F> {
    fn new(check: &'static str, x: &[F], tolerance: Tolerance<F>, note: String) -> Self {
        Report {
            check,
            point: x.to_vec(),
            tolerance,
            failing: Vec::new(),
            compared: 0,
            worst: F::ZERO,
            note,
        }
    }

    /// A length error: the whole check fails with `note` as the explanation.
    fn length_error(self, note: String) -> Mismatch<F> {
        Mismatch {
            check: self.check,
            point: self.point,
            tolerance: self.tolerance,
            components: Vec::new(),
            compared: 0,
            worst_rel_error: F::INFINITY,
            note,
        }
    }

    /// Compares `got` against the closest of `candidates` (finite-difference
    /// estimates at several steps).
    fn against_closest(&mut self, label: impl FnOnce() -> String, got: F, candidates: &[F]) {
        let mut best = candidates
            .get(candidates.len() / 2)
            .copied()
            .unwrap_or(F::NAN);
        let mut best_dist = F::INFINITY;
        for &c in candidates {
            let dist = if c == got { F::ZERO } else { (c - got).abs() };
            // NaN distances never win.
            if dist < best_dist {
                best = c;
                best_dist = dist;
            }
        }
        let ok = self.tolerance.accepts(best, got);
        self.record(label, best, got, relative_error(best, got), ok);
    }

    /// Compares `got` against `expected`, with the tolerance scaled by `scale`.
    fn against_scaled(&mut self, label: impl FnOnce() -> String, expected: F, got: F, scale: F) {
        let ok = self.tolerance.accepts_scaled(expected, got, scale);
        let rel = if expected == got {
            F::ZERO
        } else if !(expected.is_finite() && got.is_finite() && scale.is_finite()) {
            F::INFINITY
        } else if scale > F::ZERO {
            (expected - got).abs() / scale
        } else {
            F::INFINITY
        };
        self.record(label, expected, got, rel, ok);
    }

    fn record(
        &mut self,
        label: impl FnOnce() -> String,
        expected: F,
        got: F,
        rel_error: F,
        ok: bool,
    ) {
        self.compared += 1;
        if rel_error > self.worst {
            self.worst = rel_error;
        }
        if !ok {
            self.failing.push(Component {
                label: label(),
                expected,
                got,
                rel_error,
            });
        }
    }

    fn finish(self) -> Result<(), Mismatch<F>> {
        if self.failing.is_empty() {
            return Ok(());
        }
        Err(Mismatch {
            check: self.check,
            point: self.point,
            tolerance: self.tolerance,
            components: self.failing,
            compared: self.compared,
            worst_rel_error: self.worst,
            note: self.note,
        })
    }
}

/// Central-difference Jacobian of `f` at `x` with the absolute step `h`:
/// `J[i][j] = (f(x + h e_j)[i] - f(x - h e_j)[i]) / ((x_j + h) - (x_j - h))`.
///
/// Returns the `m x n` matrix as a `Vec` of `m` rows. Costs `2n` evaluations of
/// `f` (one more when `n = 0`, to learn `m`). The divisor is the step actually
/// taken after rounding, which removes one source of error.
///
/// Panics if `h` is not positive and finite, or if `f` returns outputs of
/// different lengths at different points.
///
/// ```
/// use autodiff_runtime::testing::central_difference;
/// let f = |x: &[f64]| vec![x[0] * x[1], x[0] + 2.0 * x[1], x[1] * x[1]];
/// let j = central_difference(f, &[3.0, 4.0], 1e-5);
/// let exact = [[4.0, 3.0], [1.0, 2.0], [0.0, 8.0]];
/// for (row, want) in j.iter().zip(exact) {
///     for (a, b) in row.iter().zip(want) {
///         assert!((a - b).abs() < 1e-8);
///     }
/// }
/// ```
pub fn central_difference<F: Real>(f: impl Fn(&[F]) -> Vec<F>, x: &[F], h: F) -> Vec<Vec<F>> {
    assert!(
        h > F::ZERO && h.is_finite(),
        "central_difference: the step h must be positive and finite, got {h:?}"
    );
    let n = x.len();
    if n == 0 {
        return vec![Vec::new(); f(x).len()];
    }
    let mut rows: Vec<Vec<F>> = Vec::new();
    let mut probe = x.to_vec();
    for j in 0..n {
        let (plus, minus, step) = evaluate_pair(&f, &mut probe, j, x[j], h);
        check_same_len("central_difference", plus.len(), minus.len());
        if j == 0 {
            rows = vec![vec![F::ZERO; n]; plus.len()];
        } else {
            check_same_len("central_difference", rows.len(), plus.len());
        }
        for (i, row) in rows.iter_mut().enumerate() {
            row[j] = (plus[i] - minus[i]) / step;
        }
    }
    rows
}

/// Central-difference gradient of a scalar function: [`central_difference`] of
/// `f` seen as a one-output function, as a single row.
///
/// ```
/// use autodiff_runtime::testing::central_gradient;
/// let g = central_gradient(|x: &[f64]| x[0].sin() * x[1], &[0.5, 2.0], 1e-5);
/// assert!((g[0] - 2.0 * 0.5_f64.cos()).abs() < 1e-9);
/// assert!((g[1] - 0.5_f64.sin()).abs() < 1e-9);
/// ```
pub fn central_gradient<F: Real>(f: impl Fn(&[F]) -> F, x: &[F], h: F) -> Vec<F> {
    let mut rows = central_difference(|x: &[F]| vec![f(x)], x, h);
    rows.pop().unwrap_or_default()
}

#[track_caller]
fn check_same_len(who: &str, a: usize, b: usize) {
    assert!(
        a == b,
        "{who}: f returned {a} values at one point and {b} at another; it must have a fixed output length"
    );
}

/// `f` at `x` with coordinate `j` set to `center + h` and `center - h`, and the
/// step actually taken. `probe` is `x` on entry and on exit.
fn evaluate_pair<F: Real>(
    f: &impl Fn(&[F]) -> Vec<F>,
    probe: &mut [F],
    j: usize,
    center: F,
    h: F,
) -> (Vec<F>, Vec<F>, F) {
    let up = center + h;
    let down = center - h;
    probe[j] = up;
    let plus = f(probe);
    probe[j] = down;
    let minus = f(probe);
    probe[j] = center;
    (plus, minus, up - down)
}

/// Multipliers of the base step `eps^(1/3)`: a ladder from large steps (where
/// truncation error dominates) to small ones (where cancellation does).
const LADDER: [f64; 6] = [8.0, 4.0, 2.0, 1.0, 0.5, 0.25];

/// Derivative estimates of the vector function `g` of one variable at `center`:
/// one central difference per step of the ladder (scaled by `scale`), then the
/// Richardson extrapolation `(4 D(h/2) - D(h)) / 3` of each neighbouring pair.
/// Returns `[estimate][output]`.
fn estimates_1d<F: Real>(
    mut g: impl FnMut(F) -> Vec<F>,
    center: F,
    scale: F,
    who: &str,
) -> Vec<Vec<F>> {
    let base = F::EPSILON.to_f64().cbrt() * scale.to_f64();
    let mut plain: Vec<Vec<F>> = Vec::with_capacity(LADDER.len());
    for mult in LADDER {
        let h = F::from_f64(base * mult);
        let up = center + h;
        let down = center - h;
        let plus = g(up);
        let minus = g(down);
        check_same_len(who, plus.len(), minus.len());
        if let Some(first) = plain.first() {
            check_same_len(who, first.len(), plus.len());
        }
        let step = up - down;
        plain.push(
            plus.iter()
                .zip(&minus)
                .map(|(&p, &m)| (p - m) / step)
                .collect(),
        );
    }
    let four = F::from_f64(4.0);
    let three = F::from_f64(3.0);
    let richardson: Vec<Vec<F>> = plain
        .windows(2)
        .map(|w| {
            w[0].iter()
                .zip(&w[1])
                .map(|(&coarse, &fine)| (four * fine - coarse) / three)
                .collect()
        })
        .collect();
    plain.extend(richardson);
    plain
}

/// `max(1, |v|)`: steps are relative for large coordinates, absolute near zero.
fn step_scale<F: Real>(v: F) -> F {
    v.abs().max(F::ONE)
}

/// Finite-difference estimates of every column of the Jacobian:
/// `[input j][estimate k][output i]`.
fn jacobian_estimates<F: Real>(
    f: &impl Fn(&[F]) -> Vec<F>,
    x: &[F],
    who: &str,
) -> Vec<Vec<Vec<F>>> {
    let mut probe = x.to_vec();
    (0..x.len())
        .map(|j| {
            estimates_1d(
                |s| {
                    probe[j] = s;
                    let out = f(&probe);
                    probe[j] = x[j];
                    out
                },
                x[j],
                step_scale(x[j]),
                who,
            )
        })
        .collect()
}

/// What the reference values of a finite-difference check are, for the report.
fn fd_note<F: Real>() -> String {
    let base = F::EPSILON.to_f64().cbrt();
    format!(
        "expected = the closest of {} central-difference estimates ({} steps from {:.1e} to {:.1e} times max(1, |x_j|), with Richardson extrapolation)",
        2 * LADDER.len() - 1,
        LADDER.len(),
        base * LADDER[0],
        base * LADDER[LADDER.len() - 1],
    )
}

/// A small deterministic generator (SplitMix64) for the pseudo-random
/// directions of the checks: the same directions on every run and platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[-1, 1)`, with 53 random bits.
    fn next_signed<F: Real>(&mut self) -> F {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        F::from_f64(2.0 * unit - 1.0)
    }

    fn vector<F: Real>(&mut self, len: usize) -> Vec<F> {
        (0..len).map(|_| self.next_signed()).collect()
    }
}

/// Seed of the pseudo-random directions.
const SEED: u64 = 0x5EED_D1FF_0000_0001;

fn unit_vector<F: Real>(n: usize, j: usize) -> Vec<F> {
    let mut e = vec![F::ZERO; n];
    e[j] = F::ONE;
    e
}

/// Checks an analytic gradient `grad` of the scalar function `f` against
/// central differences at `x`.
///
/// Each component `d/dx[j]` is compared with the closest of several
/// finite-difference estimates (see the [module docs](self)), using
/// `tol` (a [`Tolerance`] or a bare float). Costs one call of `grad` and about
/// `12 n` calls of `f`.
///
/// ```
/// use autodiff_runtime::testing::check_gradient;
/// let f = |x: &[f64]| x[0].exp() * x[1];
/// let good = |x: &[f64]| vec![x[0].exp() * x[1], x[0].exp()];
/// let bad = |x: &[f64]| vec![x[0].exp(), x[0].exp()];
/// assert!(check_gradient(f, good, &[0.3, 2.0], 1e-8).is_ok());
/// let err = check_gradient(f, bad, &[0.3, 2.0], 1e-8).unwrap_err();
/// assert_eq!(err.components[0].label, "d/dx[0]");
/// ```
pub fn check_gradient<F: Real>(
    f: impl Fn(&[F]) -> F,
    grad: impl Fn(&[F]) -> Vec<F>,
    x: &[F],
    tol: impl Into<Tolerance<F>>,
) -> Result<(), Mismatch<F>> {
    const WHO: &str = "check_gradient";
    let mut report = Report::new(WHO, x, tol.into(), fd_note::<F>());
    let got = grad(x);
    if got.len() != x.len() {
        let note = format!(
            "the gradient has length {} but x has length {}",
            got.len(),
            x.len()
        );
        return Err(report.length_error(note));
    }
    let scalar = |x: &[F]| vec![f(x)];
    let columns = jacobian_estimates(&scalar, x, WHO);
    for (j, estimates) in columns.iter().enumerate() {
        let candidates: Vec<F> = estimates.iter().map(|e| e[0]).collect();
        report.against_closest(|| format!("d/dx[{j}]"), got[j], &candidates);
    }
    report.finish()
}

/// Checks a Jacobian-vector product `jvp(x, v) = J v` of `f` against central
/// differences at `x`: on every basis vector `e_j` (so every entry `J[i][j]`,
/// row = output, column = input) and on one pseudo-random direction `v`
/// (which catches a `jvp` that is not linear in `v`).
///
/// Costs `n + 1` calls of `jvp` and about `12 (n + 1)` calls of `f`.
///
/// ```
/// use autodiff_runtime::testing::check_jvp;
/// let f = |x: &[f64]| vec![x[0] * x[1], x[1].sin()];
/// let jvp = |x: &[f64], v: &[f64]| vec![x[1] * v[0] + x[0] * v[1], x[1].cos() * v[1]];
/// assert!(check_jvp(f, jvp, &[1.5, -0.5], 1e-8).is_ok());
/// let wrong = |x: &[f64], v: &[f64]| vec![x[1] * v[0] + x[0] * v[1], x[1].cos() * v[0]];
/// assert!(check_jvp(f, wrong, &[1.5, -0.5], 1e-8).is_err());
/// ```
pub fn check_jvp<F: Real>(
    f: impl Fn(&[F]) -> Vec<F>,
    jvp: impl Fn(&[F], &[F]) -> Vec<F>,
    x: &[F],
    tol: impl Into<Tolerance<F>>,
) -> Result<(), Mismatch<F>> {
    const WHO: &str = "check_jvp";
    let n = x.len();
    let m = f(x).len();
    let mut report = Report::new(WHO, x, tol.into(), fd_note::<F>());
    let columns = jacobian_estimates(&f, x, WHO);
    for (j, estimates) in columns.iter().enumerate() {
        let got = jvp(x, &unit_vector(n, j));
        if got.len() != m {
            let note = format!(
                "jvp(x, e_{j}) has length {} but f(x) has length {m}",
                got.len()
            );
            return Err(report.length_error(note));
        }
        for (i, &g) in got.iter().enumerate() {
            let candidates: Vec<F> = estimates.iter().map(|e| e[i]).collect();
            report.against_closest(|| format!("J[{i}][{j}]"), g, &candidates);
        }
    }
    // One pseudo-random direction, differenced along the line x + t v.
    let v: Vec<F> = SplitMix64(SEED).vector(n);
    let got = jvp(x, &v);
    if got.len() != m {
        let note = format!("jvp(x, v) has length {} but f(x) has length {m}", got.len());
        return Err(report.length_error(note));
    }
    let scale = x.iter().fold(F::ONE, |acc, &xi| acc.max(xi.abs()));
    let mut probe = x.to_vec();
    let line = |t: F| {
        for ((p, &xi), &vi) in probe.iter_mut().zip(x).zip(&v) {
            *p = xi + t * vi;
        }
        f(&probe)
    };
    let estimates = estimates_1d(line, F::ZERO, scale, WHO);
    for (i, &g) in got.iter().enumerate() {
        let candidates: Vec<F> = estimates.iter().map(|e| e[i]).collect();
        report.against_closest(|| format!("(J v)[{i}], random v"), g, &candidates);
    }
    report.finish()
}

/// Checks a vector-Jacobian product `vjp(x, w) = J^T w` of `f` against central
/// differences at `x`: on every output basis vector `e_i` (so every entry
/// `J[i][j]`) and on one pseudo-random cotangent `w`.
///
/// Costs `m + 1` calls of `vjp` and about `12 n` calls of `f`.
///
/// ```
/// use autodiff_runtime::testing::check_vjp;
/// let f = |x: &[f64]| vec![x[0] * x[1], x[1].sin()];
/// let vjp = |x: &[f64], w: &[f64]| vec![x[1] * w[0], x[0] * w[0] + x[1].cos() * w[1]];
/// assert!(check_vjp(f, vjp, &[1.5, -0.5], 1e-8).is_ok());
/// // the classic bug: the Jacobian applied instead of its transpose
/// let jvp_instead = |x: &[f64], w: &[f64]| vec![x[1] * w[0] + x[0] * w[1], x[1].cos() * w[1]];
/// assert!(check_vjp(f, jvp_instead, &[1.5, -0.5], 1e-8).is_err());
/// ```
pub fn check_vjp<F: Real>(
    f: impl Fn(&[F]) -> Vec<F>,
    vjp: impl Fn(&[F], &[F]) -> Vec<F>,
    x: &[F],
    tol: impl Into<Tolerance<F>>,
) -> Result<(), Mismatch<F>> {
    const WHO: &str = "check_vjp";
    let n = x.len();
    let m = f(x).len();
    let mut report = Report::new(WHO, x, tol.into(), fd_note::<F>());
    let columns = jacobian_estimates(&f, x, WHO);
    let k_count = columns.first().map_or(0, Vec::len);
    for i in 0..m {
        let got = vjp(x, &unit_vector(m, i));
        if got.len() != n {
            let note = format!(
                "vjp(x, e_{i}) has length {} but x has length {n}",
                got.len()
            );
            return Err(report.length_error(note));
        }
        for (j, &g) in got.iter().enumerate() {
            let candidates: Vec<F> = columns[j].iter().map(|e| e[i]).collect();
            report.against_closest(|| format!("J[{i}][{j}]"), g, &candidates);
        }
    }
    let w: Vec<F> = SplitMix64(SEED).vector(m);
    let got = vjp(x, &w);
    if got.len() != n {
        let note = format!("vjp(x, w) has length {} but x has length {n}", got.len());
        return Err(report.length_error(note));
    }
    for (j, &g) in got.iter().enumerate() {
        let candidates: Vec<F> = (0..k_count)
            .map(|k| columns[j][k].iter().zip(&w).map(|(&d, &wi)| d * wi).sum())
            .collect();
        report.against_closest(|| format!("(J^T w)[{j}], random w"), g, &candidates);
    }
    report.finish()
}

/// The dot-product test: for `trials` pseudo-random pairs `v` (length `n =
/// x.len()`) and `w` (length `m`), checks `<jvp(x, v), w> = <v, vjp(x, w)>`,
/// i.e. `<J v, w> = <v, J^T w>`.
///
/// No finite differences are involved, so a correct pair agrees to rounding:
/// the tolerance's relative part is scaled by the sum of the magnitudes of the
/// terms of the dot products. Costs `trials` calls of each of `jvp` and `vjp`.
/// The directions are the same on every run.
///
/// ```
/// use autodiff_runtime::testing::check_jvp_vs_vjp;
/// // f(x) = (x0 x1, sin x1): J = [[x1, x0], [0, cos x1]]
/// let jvp = |x: &[f64], v: &[f64]| vec![x[1] * v[0] + x[0] * v[1], x[1].cos() * v[1]];
/// let vjp = |x: &[f64], w: &[f64]| vec![x[1] * w[0], x[0] * w[0] + x[1].cos() * w[1]];
/// assert!(check_jvp_vs_vjp(jvp, vjp, &[1.5, -0.5], 2, 5, 1e-12).is_ok());
/// let wrong = |x: &[f64], w: &[f64]| vec![x[1] * w[0], x[0] * w[0] - x[1].cos() * w[1]];
/// assert!(check_jvp_vs_vjp(jvp, wrong, &[1.5, -0.5], 2, 5, 1e-12).is_err());
/// ```
pub fn check_jvp_vs_vjp<F: Real>(
    jvp: impl Fn(&[F], &[F]) -> Vec<F>,
    vjp: impl Fn(&[F], &[F]) -> Vec<F>,
    x: &[F],
    m: usize,
    trials: usize,
    tol: impl Into<Tolerance<F>>,
) -> Result<(), Mismatch<F>> {
    let n = x.len();
    let note = "expected = <v, J^T w> (from vjp), got = <J v, w> (from jvp), for pseudo-random v and w; relative error is scaled by the sum of the magnitudes of the terms".to_string();
    let mut report = Report::new("check_jvp_vs_vjp", x, tol.into(), note);
    let mut rng = SplitMix64(SEED);
    for t in 0..trials {
        let v: Vec<F> = rng.vector(n);
        let w: Vec<F> = rng.vector(m);
        let jv = jvp(x, &v);
        if jv.len() != m {
            let note = format!("jvp(x, v) has length {} but m = {m}", jv.len());
            return Err(report.length_error(note));
        }
        let jtw = vjp(x, &w);
        if jtw.len() != n {
            let note = format!("vjp(x, w) has length {} but x has length {n}", jtw.len());
            return Err(report.length_error(note));
        }
        let forward: F = jv.iter().zip(&w).map(|(&a, &b)| a * b).sum();
        let reverse: F = v.iter().zip(&jtw).map(|(&a, &b)| a * b).sum();
        let forward_terms: F = jv.iter().zip(&w).map(|(&a, &b)| (a * b).abs()).sum();
        let reverse_terms: F = v.iter().zip(&jtw).map(|(&a, &b)| (a * b).abs()).sum();
        let scale = forward_terms.max(reverse_terms);
        report.against_scaled(|| format!("trial {t}"), reverse, forward, scale);
    }
    report.finish()
}

/// [`check_gradient`], panicking with the [`Mismatch`] report on failure.
///
/// ```should_panic
/// use autodiff_runtime::testing::assert_gradient;
/// // d/dx x^3 is 3x^2, not 2x^2
/// assert_gradient(|x: &[f64]| x[0].powi(3), |x| vec![2.0 * x[0] * x[0]], &[1.0], 1e-6);
/// ```
#[track_caller]
pub fn assert_gradient<F: Real>(
    f: impl Fn(&[F]) -> F,
    grad: impl Fn(&[F]) -> Vec<F>,
    x: &[F],
    tol: impl Into<Tolerance<F>>,
) {
    if let Err(mismatch) = check_gradient(f, grad, x, tol) {
        panic!("{mismatch}");
    }
}

/// [`check_jvp`], panicking with the [`Mismatch`] report on failure.
///
/// ```
/// use autodiff_runtime::testing::assert_jvp;
/// assert_jvp(|x: &[f32]| vec![x[0] * x[0]], |x, v| vec![2.0 * x[0] * v[0]], &[3.0], 1e-2);
/// ```
#[track_caller]
pub fn assert_jvp<F: Real>(
    f: impl Fn(&[F]) -> Vec<F>,
    jvp: impl Fn(&[F], &[F]) -> Vec<F>,
    x: &[F],
    tol: impl Into<Tolerance<F>>,
) {
    if let Err(mismatch) = check_jvp(f, jvp, x, tol) {
        panic!("{mismatch}");
    }
}

/// [`check_vjp`], panicking with the [`Mismatch`] report on failure.
///
/// ```
/// use autodiff_runtime::testing::assert_vjp;
/// let f = |x: &[f64]| vec![x[0] + x[1], x[0] * x[1], x[1]];
/// let vjp = |x: &[f64], w: &[f64]| vec![w[0] + x[1] * w[1], w[0] + x[0] * w[1] + w[2]];
/// assert_vjp(f, vjp, &[2.0, 3.0], 1e-8);
/// ```
#[track_caller]
pub fn assert_vjp<F: Real>(
    f: impl Fn(&[F]) -> Vec<F>,
    vjp: impl Fn(&[F], &[F]) -> Vec<F>,
    x: &[F],
    tol: impl Into<Tolerance<F>>,
) {
    if let Err(mismatch) = check_vjp(f, vjp, x, tol) {
        panic!("{mismatch}");
    }
}

/// [`check_jvp_vs_vjp`], panicking with the [`Mismatch`] report on failure.
///
/// ```
/// use autodiff_runtime::testing::assert_jvp_vs_vjp;
/// // f(x) = x0 * x1 (m = 1)
/// let jvp = |x: &[f64], v: &[f64]| vec![x[1] * v[0] + x[0] * v[1]];
/// let vjp = |x: &[f64], w: &[f64]| vec![x[1] * w[0], x[0] * w[0]];
/// assert_jvp_vs_vjp(jvp, vjp, &[2.0, -1.0], 1, 10, 1e-14);
/// ```
#[track_caller]
pub fn assert_jvp_vs_vjp<F: Real>(
    jvp: impl Fn(&[F], &[F]) -> Vec<F>,
    vjp: impl Fn(&[F], &[F]) -> Vec<F>,
    x: &[F],
    m: usize,
    trials: usize,
    tol: impl Into<Tolerance<F>>,
) {
    if let Err(mismatch) = check_jvp_vs_vjp(jvp, vjp, x, m, trials, tol) {
        panic!("{mismatch}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // f(x, y) = x^2 y + sin(y), a function with known partials.
    fn f(x: &[f64]) -> f64 {
        x[0] * x[0] * x[1] + x[1].sin()
    }
    fn grad_f(x: &[f64]) -> Vec<f64> {
        vec![2.0 * x[0] * x[1], x[0] * x[0] + x[1].cos()]
    }

    // g: R^3 -> R^2, g = (x0 x1 x2, x0 + exp(x2)); J = [[x1 x2, x0 x2, x0 x1], [1, 0, exp(x2)]].
    fn g(x: &[f64]) -> Vec<f64> {
        vec![x[0] * x[1] * x[2], x[0] + x[2].exp()]
    }
    fn g_jacobian(x: &[f64]) -> [[f64; 3]; 2] {
        [
            [x[1] * x[2], x[0] * x[2], x[0] * x[1]],
            [1.0, 0.0, x[2].exp()],
        ]
    }
    fn g_jvp(x: &[f64], v: &[f64]) -> Vec<f64> {
        g_jacobian(x)
            .iter()
            .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
            .collect()
    }
    fn g_vjp(x: &[f64], w: &[f64]) -> Vec<f64> {
        let j = g_jacobian(x);
        (0..3).map(|c| j[0][c] * w[0] + j[1][c] * w[1]).collect()
    }

    const X: [f64; 3] = [0.7, -1.3, 0.4];

    #[test]
    fn central_difference_matches_the_hand_written_jacobian() {
        let j = central_difference(g, &X, 1e-5);
        assert_eq!(j.len(), 2);
        for (row, want) in j.iter().zip(g_jacobian(&X)) {
            assert_eq!(row.len(), 3);
            for (a, b) in row.iter().zip(want) {
                assert!(approx_eq(*a, b, 1e-9, 1e-10), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn central_difference_of_a_linear_function_is_nearly_exact() {
        let j = central_difference(|x: &[f64]| vec![3.0 * x[0] - 2.0 * x[1]], &[1.0, 2.0], 0.5);
        assert_eq!(j, vec![vec![3.0, -2.0]]);
    }

    #[test]
    fn central_difference_with_no_inputs_has_m_empty_rows() {
        let j = central_difference(|_: &[f64]| vec![1.0, 2.0], &[], 1e-3);
        assert_eq!(j, vec![Vec::<f64>::new(), Vec::new()]);
    }

    #[test]
    #[should_panic(expected = "central_difference: the step h must be positive and finite")]
    fn central_difference_rejects_a_zero_step() {
        central_difference(g, &X, 0.0);
    }

    #[test]
    #[should_panic(expected = "central_difference: f returned")]
    fn central_difference_rejects_a_varying_output_length() {
        central_difference(
            |x: &[f64]| vec![0.0; if x[0] > 0.0 { 1 } else { 2 }],
            &[0.0],
            1e-3,
        );
    }

    #[test]
    fn central_gradient_matches_the_hand_written_gradient() {
        let x = [1.2, 0.8];
        let fd = central_gradient(f, &x, 1e-5);
        for (a, b) in fd.iter().zip(grad_f(&x)) {
            assert!(approx_eq(*a, b, 1e-9, 1e-10), "{a} vs {b}");
        }
    }

    #[test]
    fn central_gradient_in_f32() {
        let fd = central_gradient(|x: &[f32]| x[0] * x[0] * x[1], &[2.0, 3.0], 1e-2);
        assert!(approx_eq(fd[0], 12.0, 1e-3, 1e-3), "{fd:?}");
        assert!(approx_eq(fd[1], 4.0, 1e-3, 1e-3), "{fd:?}");
    }

    #[test]
    fn check_gradient_accepts_the_right_gradient() {
        for x in [[1.2, 0.8], [-3.0, 10.0], [1e3, 1e-3], [0.0, 0.0]] {
            check_gradient(f, grad_f, &x, 1e-8).unwrap();
        }
    }

    #[test]
    fn check_gradient_reports_a_wrong_component() {
        let wrong = |x: &[f64]| {
            let mut g = grad_f(x);
            g[1] += 1e-3;
            g
        };
        let err = check_gradient(f, wrong, &[1.2, 0.8], 1e-6).unwrap_err();
        assert_eq!(err.check, "check_gradient");
        assert_eq!(err.compared, 2);
        assert_eq!(err.components.len(), 1);
        let c = &err.components[0];
        assert_eq!(c.label, "d/dx[1]");
        assert!(approx_eq(c.expected, grad_f(&[1.2, 0.8])[1], 1e-8, 0.0));
        assert_eq!(c.got, grad_f(&[1.2, 0.8])[1] + 1e-3);
        assert_eq!(err.worst_rel_error, c.rel_error);
        assert!(c.rel_error > 1e-4 && c.rel_error < 1e-3);
        assert_eq!(err.point, vec![1.2, 0.8]);
    }

    #[test]
    fn check_gradient_reports_a_wrong_length() {
        let err = check_gradient(f, |_| vec![0.0], &[1.0, 2.0], 1e-6).unwrap_err();
        assert!(err.components.is_empty());
        assert_eq!(err.note, "the gradient has length 1 but x has length 2");
        assert!(err
            .to_string()
            .contains("the gradient has length 1 but x has length 2"));
    }

    #[test]
    fn check_gradient_reports_nan() {
        let err = check_gradient(f, |_| vec![f64::NAN, 1.0], &[1.0, 2.0], 1e-6).unwrap_err();
        assert_eq!(err.components[0].label, "d/dx[0]");
        assert_eq!(err.worst_rel_error, f64::INFINITY);
    }

    // The step ladder is what makes a badly scaled function checkable: one fixed
    // step is too coarse here, the best of the ladder is not.
    #[test]
    fn check_gradient_is_robust_to_the_step_size() {
        let h = |x: &[f64]| (20.0 * x[0]).exp();
        let dh = |x: &[f64]| vec![20.0 * (20.0 * x[0]).exp()];
        let x = [0.5];
        let fixed = central_gradient(h, &x, 1e-3)[0];
        assert!(!approx_eq(fixed, dh(&x)[0], 1e-8, 1e-8));
        check_gradient(h, dh, &x, 1e-8).unwrap();
    }

    #[test]
    fn check_gradient_in_f32() {
        let f32_f = |x: &[f32]| x[0].sin() * x[1];
        let good = |x: &[f32]| vec![x[0].cos() * x[1], x[0].sin()];
        let bad = |x: &[f32]| vec![x[0].cos() * x[1], x[0].cos()];
        check_gradient(f32_f, good, &[0.5, 2.0], Tolerance::default()).unwrap();
        let err = check_gradient(f32_f, bad, &[0.5, 2.0], Tolerance::default()).unwrap_err();
        assert_eq!(err.components.len(), 1);
        assert_eq!(err.components[0].label, "d/dx[1]");
    }

    #[test]
    fn check_jvp_accepts_the_right_jvp() {
        check_jvp(g, g_jvp, &X, 1e-8).unwrap();
    }

    #[test]
    fn check_jvp_reports_the_wrong_entry() {
        // J[1][2] wrong: exp(x2) + 0.01
        let wrong = |x: &[f64], v: &[f64]| {
            let mut t = g_jvp(x, v);
            t[1] += 0.01 * v[2];
            t
        };
        let err = check_jvp(g, wrong, &X, 1e-6).unwrap_err();
        let labels: Vec<&str> = err.components.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["J[1][2]", "(J v)[1], random v"]);
        assert_eq!(err.compared, 2 * 3 + 2);
    }

    #[test]
    fn check_jvp_catches_a_jvp_that_is_not_linear_in_v() {
        // right on every basis vector, wrong on a general direction
        let nonlinear = |x: &[f64], v: &[f64]| {
            let mut t = g_jvp(x, v);
            t[0] += v[0] * v[1];
            t
        };
        let err = check_jvp(g, nonlinear, &X, 1e-6).unwrap_err();
        let labels: Vec<&str> = err.components.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["(J v)[0], random v"]);
    }

    #[test]
    fn check_jvp_reports_a_wrong_length() {
        let err = check_jvp(g, |_, _| vec![0.0; 3], &X, 1e-6).unwrap_err();
        assert_eq!(err.note, "jvp(x, e_0) has length 3 but f(x) has length 2");
    }

    #[test]
    fn check_vjp_accepts_the_right_vjp() {
        check_vjp(g, g_vjp, &X, 1e-8).unwrap();
    }

    #[test]
    fn check_vjp_reports_the_wrong_entry() {
        // J[0][1] wrong
        let wrong = |x: &[f64], w: &[f64]| {
            let mut a = g_vjp(x, w);
            a[1] *= 2.0;
            a
        };
        let err = check_vjp(g, wrong, &X, 1e-6).unwrap_err();
        let labels: Vec<&str> = err.components.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["J[0][1]", "(J^T w)[1], random w"]);
    }

    #[test]
    fn check_vjp_reports_a_wrong_length() {
        let err = check_vjp(g, |_, _| vec![0.0; 2], &X, 1e-6).unwrap_err();
        assert_eq!(err.note, "vjp(x, e_0) has length 2 but x has length 3");
    }

    #[test]
    fn check_jvp_vs_vjp_accepts_a_consistent_pair() {
        check_jvp_vs_vjp(g_jvp, g_vjp, &X, 2, 20, 1e-13).unwrap();
    }

    #[test]
    fn check_jvp_vs_vjp_reports_an_inconsistent_pair() {
        let wrong = |x: &[f64], w: &[f64]| {
            let mut a = g_vjp(x, w);
            a[2] += 1e-4 * w[1];
            a
        };
        let err = check_jvp_vs_vjp(g_jvp, wrong, &X, 2, 4, 1e-10).unwrap_err();
        assert_eq!(err.compared, 4);
        assert_eq!(err.components.len(), 4);
        assert_eq!(err.components[0].label, "trial 0");
        assert!(err.worst_rel_error > 1e-6);
    }

    #[test]
    fn check_jvp_vs_vjp_reports_wrong_lengths() {
        let err = check_jvp_vs_vjp(g_jvp, g_vjp, &X, 3, 1, 1e-10).unwrap_err();
        assert_eq!(err.note, "jvp(x, v) has length 2 but m = 3");
        let err = check_jvp_vs_vjp(g_jvp, |_, _| vec![0.0], &X, 2, 1, 1e-10).unwrap_err();
        assert_eq!(err.note, "vjp(x, w) has length 1 but x has length 3");
    }

    #[test]
    fn the_random_directions_are_deterministic_and_spread() {
        let a: Vec<f64> = SplitMix64(SEED).vector(1000);
        let b: Vec<f64> = SplitMix64(SEED).vector(1000);
        assert_eq!(a, b);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
        let mean = a.iter().sum::<f64>() / 1000.0;
        assert!(mean.abs() < 0.1, "mean {mean}");
        assert!(a.iter().any(|&v| v > 0.9) && a.iter().any(|&v| v < -0.9));
    }

    #[test]
    fn the_report_names_the_check_the_component_the_values_and_the_point() {
        let wrong = |x: &[f64]| vec![2.0 * x[0] * x[1], 0.0];
        let err = check_gradient(f, wrong, &[1.5, 2.0], Tolerance::new(1e-6, 1e-9)).unwrap_err();
        let report = err.to_string();
        assert!(
            report.starts_with("check_gradient failed: 1 of 2 compared values outside tolerance"),
            "{report}"
        );
        assert!(report.contains("rel 1.0e-6, abs 1.0e-9"), "{report}");
        assert!(report.contains("at x = [1.5, 2.0]"), "{report}");
        assert!(report.contains("d/dx[1]"), "{report}");
        assert!(report.contains("central-difference"), "{report}");
        assert!(report.contains("worst relative error 1.000e0"), "{report}");
    }

    #[test]
    fn a_long_point_and_many_failures_are_summarised() {
        let n = 30;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let err = check_gradient(|x: &[f64]| x.iter().sum(), |x| vec![2.0; x.len()], &x, 1e-6)
            .unwrap_err();
        assert_eq!(err.components.len(), n);
        let report = err.to_string();
        assert!(report.contains("... (30 values)]"), "{report}");
        assert!(report.contains("... and 10 more"), "{report}");
    }

    #[test]
    #[should_panic(expected = "check_vjp failed")]
    fn assert_vjp_panics_with_the_report() {
        assert_vjp(
            g,
            |x, w| {
                g_jvp(x, &[w[0], w[1], 0.0])
                    .into_iter()
                    .chain([0.0])
                    .collect()
            },
            &X,
            1e-6,
        );
    }

    #[test]
    #[should_panic(expected = "check_jvp_vs_vjp failed")]
    fn assert_jvp_vs_vjp_panics_with_the_report() {
        assert_jvp_vs_vjp(
            g_jvp,
            |x, w| g_vjp(x, w).iter().map(|a| -a).collect(),
            &X,
            2,
            3,
            1e-10,
        );
    }

    #[test]
    #[should_panic(expected = "d/dx[0]")]
    fn assert_gradient_panics_naming_the_component() {
        assert_gradient(f, |x| vec![x[1], grad_f(x)[1]], &[1.5, 2.0], 1e-6);
    }

    #[test]
    fn approx_eq_edge_cases() {
        assert!(approx_eq(0.0, -0.0, 0.0, 0.0));
        assert!(approx_eq(1e300, 1.000_000_1e300, 1e-6, 0.0));
        assert!(!approx_eq(1e300, 1.000_01e300, 1e-6, 0.0));
        assert!(!approx_eq(f64::INFINITY, f64::NEG_INFINITY, 1.0, 1.0));
        assert!(!approx_eq(f64::INFINITY, 1e308, 1.0, 1.0));
        assert!(!approx_eq(1.0, f64::NAN, f64::INFINITY, f64::INFINITY));
        assert!(approx_eq(1.0_f32, 1.001, 1e-2, 0.0));
    }

    #[test]
    fn relative_error_edge_cases() {
        assert_eq!(relative_error(2.0, 2.0), 0.0);
        assert_eq!(relative_error(2.0, 1.0), 0.5);
        assert_eq!(relative_error(0.0, 1.0), 1.0);
        assert_eq!(relative_error(f64::NAN, 1.0), f64::INFINITY);
        assert_eq!(relative_error(f64::INFINITY, f64::INFINITY), 0.0);
    }
}
