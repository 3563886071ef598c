//! Every row of the tensor rule table (`tensor::rules`), checked in f64 (tight)
//! and f32 (loose), each on its own input domain:
//! - the JVP's value is the primitive's value, and a symbolic-zero tangent
//!   gives a zero tangent;
//! - the JVP of each argument alone, and of all together, matches central
//!   differences;
//! - the VJP passes the dot-product test `<J v, w> = <v, J^T w>`;
//! - `needs` masks: an argument not needed gets `None`, the others the same
//!   adjoints as when everything is needed.
//!
//! The cases are listed in one macro; `every_row_has_a_case` fails for a row of
//! the table without a case here (and for a case naming no row).

use autodiff_runtime::tensor::rules::{self, RuleOutput, NAMES};
use autodiff_runtime::tensor::ScalarRules;
use autodiff_runtime::{Real, Tensor};

/// A small deterministic generator (xorshift64*), seeded per row.
struct Rng(u64);
impl Rng {
    fn for_row(name: &str) -> Self {
        // FNV-1a of the name, so adding a row does not move the others' inputs.
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        Rng(h | 1)
    }
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
    fn sign(&mut self) -> f64 {
        if self.next() < 0.5 {
            -1.0
        } else {
            1.0
        }
    }
    fn tensor<F: Real>(
        &mut self,
        shape: &[usize],
        mut f: impl FnMut(&mut Rng, usize) -> f64,
    ) -> Tensor<F> {
        Tensor::from_fn(shape, |i| F::from_f64(f(self, i)))
    }
}

/// Input domains: where each primitive is smooth, with room for the finite
/// difference steps.
#[derive(Clone, Copy)]
enum D {
    /// uniform in [-2, 2]
    Any(&'static [usize]),
    /// uniform in [0.5, 2]
    Pos(&'static [usize]),
    /// uniform in [-0.8, 0.8]
    Unit(&'static [usize]),
    /// |x| in [0.3, 2], either sign (away from 0)
    Sep(&'static [usize]),
    /// k + [0.1, 0.4] for an integer k (away from integers and half-integers)
    Frac(&'static [usize]),
    /// even elements in [1, 2], odd in [-2, -1]
    HiLo(&'static [usize]),
    /// even elements in [-2, -1], odd in [1, 2]
    LoHi(&'static [usize]),
    /// away from +-0.5 (the clamp bounds of the case below)
    Clampy(&'static [usize]),
    /// distinct values at least 0.4 apart, in random order
    Grid(&'static [usize]),
    /// a random symmetric positive-definite n x n matrix `B B^T + n I`
    Spd(usize),
    /// a random well-conditioned n x n matrix `B + 2n I`
    WellConditioned(usize),
    /// a scalar (rank 0) in [0.5, 2]
    Scalar,
}

fn sample<F: Real>(rng: &mut Rng, d: D) -> Tensor<F> {
    match d {
        D::Any(s) => rng.tensor(s, |r, _| r.uniform(-2.0, 2.0)),
        D::Pos(s) => rng.tensor(s, |r, _| r.uniform(0.5, 2.0)),
        D::Unit(s) => rng.tensor(s, |r, _| r.uniform(-0.8, 0.8)),
        D::Sep(s) => rng.tensor(s, |r, _| r.sign() * r.uniform(0.3, 2.0)),
        D::Frac(s) => rng.tensor(s, |r, _| {
            (r.uniform(-3.0, 3.0)).floor() + r.uniform(0.1, 0.4)
        }),
        D::HiLo(s) => rng.tensor(s, |r, i| {
            if i % 2 == 0 {
                r.uniform(1.0, 2.0)
            } else {
                r.uniform(-2.0, -1.0)
            }
        }),
        D::LoHi(s) => rng.tensor(s, |r, i| {
            if i % 2 == 0 {
                r.uniform(-2.0, -1.0)
            } else {
                r.uniform(1.0, 2.0)
            }
        }),
        D::Clampy(s) => rng.tensor(s, |r, i| match i % 3 {
            0 => r.uniform(-2.0, -0.6),
            1 => r.uniform(-0.4, 0.4),
            _ => r.uniform(0.6, 2.0),
        }),
        D::Grid(s) => {
            let n: usize = s.iter().product();
            let mut v: Vec<f64> = (0..n)
                .map(|i| i as f64 * 0.5 - 1.0 + rng.uniform(0.0, 0.1))
                .collect();
            for i in (1..n).rev() {
                let j = (rng.next() * (i + 1) as f64) as usize;
                v.swap(i, j);
            }
            Tensor::from_vec(v.into_iter().map(F::from_f64).collect(), s)
        }
        D::Spd(n) => {
            let b: Tensor<F> = rng.tensor(&[n, n], |r, _| r.uniform(-1.0, 1.0));
            &b.matmul_t(false, &b, true) + &(Tensor::eye(n) * F::from_usize(n))
        }
        D::WellConditioned(n) => {
            let b: Tensor<F> = rng.tensor(&[n, n], |r, _| r.uniform(-1.0, 1.0));
            &b + &(Tensor::eye(n) * F::from_usize(2 * n))
        }
        D::Scalar => Tensor::scalar(F::from_f64(rng.uniform(0.5, 2.0))),
    }
}

#[derive(Clone, Copy)]
struct Tol {
    /// finite-difference step
    h: f64,
    /// JVP against central differences, relative to `1 + max |fd|`
    fd: f64,
    /// dot-product test, relative to the sum of the absolute terms
    dot: f64,
}

const F64: Tol = Tol {
    h: 1e-5,
    fd: 1e-7,
    dot: 1e-12,
};
const F32: Tol = Tol {
    h: 1e-2,
    fd: 1e-2,
    dot: 1e-4,
};

fn max_abs<F: Real>(xs: impl Iterator<Item = F>) -> f64 {
    xs.fold(0.0, |m, x| m.max(x.to_f64().abs()))
}

/// Runs every check on one row at one point.
#[allow(clippy::too_many_arguments)]
fn check<F: ScalarRules, O: RuleOutput<F>, const K: usize>(
    name: &str,
    rng: &mut Rng,
    args: [Tensor<F>; K],
    value: impl Fn([&Tensor<F>; K]) -> O,
    jvp: impl Fn([&Tensor<F>; K], [Option<&Tensor<F>>; K]) -> (O, O),
    vjp: impl Fn([&Tensor<F>; K], &O, &O, [bool; K]) -> [Option<Tensor<F>>; K],
    tol: Tol,
) {
    let name = format!("{name} ({})", F::NAME);
    let x = args.each_ref();
    let out = value(x);

    // value and symbolic zeros
    let (out0, t0) = jvp(x, [None; K]);
    assert_eq!(
        out0.elements(),
        out.elements(),
        "{name}: jvp value differs from value"
    );
    assert_eq!(
        t0.shape(),
        out.shape(),
        "{name}: zero tangent has the wrong shape"
    );
    assert!(
        t0.elements().iter().all(|&t| t == F::ZERO),
        "{name}: a zero tangent gave a non-zero tangent"
    );

    // JVP against central differences: each argument alone, then all together
    let v: [Tensor<F>; K] =
        core::array::from_fn(|k| rng.tensor(args[k].shape(), |r, _| r.uniform(-1.0, 1.0)));
    let h = F::from_f64(tol.h);
    let fd = |dirs: [Option<&Tensor<F>>; K]| -> Vec<F> {
        let shifted = |s: F| -> [Tensor<F>; K] {
            core::array::from_fn(|k| match dirs[k] {
                Some(d) => &args[k] + &(d * s),
                None => args[k].clone(),
            })
        };
        let (p, m) = (shifted(h), shifted(-h));
        let (fp, fm) = (value(p.each_ref()), value(m.each_ref()));
        fp.elements()
            .iter()
            .zip(fm.elements())
            .map(|(&a, &b)| (a - b) / (h + h))
            .collect()
    };
    let mut directions: Vec<[Option<&Tensor<F>>; K]> = (0..K)
        .map(|k| core::array::from_fn(|j| (j == k).then_some(&v[j])))
        .collect();
    directions.push(core::array::from_fn(|k| Some(&v[k])));
    let mut t_all = None;
    for (which, dirs) in directions.iter().enumerate() {
        let (o, t) = jvp(x, *dirs);
        assert_eq!(
            o.elements(),
            out.elements(),
            "{name}: jvp value differs from value"
        );
        let want = fd(*dirs);
        let err = max_abs(t.elements().iter().zip(&want).map(|(&a, &b)| a - b));
        let scale = 1.0 + max_abs(want.iter().copied());
        assert!(
            err <= tol.fd * scale,
            "{name}: JVP in direction {which} is off by {err:e} (scale {scale}):\n  jvp {:?}\n  fd  {want:?}",
            t.elements()
        );
        t_all = Some(t);
    }
    let t_all = t_all.unwrap();

    // VJP: the dot-product test <J v, w> = <v, J^T w>
    let w_data: Vec<F> = (0..out.elements().len())
        .map(|_| F::from_f64(rng.uniform(-1.0, 1.0)))
        .collect();
    let w = O::from_elements(out.shape(), w_data);
    let adj = vjp(x, &out, &w, [true; K]);
    let lhs_terms = t_all
        .elements()
        .iter()
        .zip(w.elements())
        .map(|(&a, &b)| a.to_f64() * b.to_f64());
    let (lhs, lhs_abs) = lhs_terms.fold((0.0, 0.0), |(s, a), t| (s + t, a + t.abs()));
    let (mut rhs, mut rhs_abs) = (0.0, 0.0);
    for k in 0..K {
        let a = adj[k]
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: needed adjoint {k} missing"));
        assert_eq!(
            a.shape(),
            args[k].shape(),
            "{name}: adjoint {k} has the wrong shape"
        );
        for (&vi, &ai) in v[k].as_slice().iter().zip(a.as_slice()) {
            let t = vi.to_f64() * ai.to_f64();
            rhs += t;
            rhs_abs += t.abs();
        }
    }
    let scale = lhs_abs + rhs_abs + f64::MIN_POSITIVE;
    assert!(
        (lhs - rhs).abs() <= tol.dot * scale,
        "{name}: dot-product test fails: <J v, w> = {lhs}, <v, J^T w> = {rhs}"
    );

    // needs: one argument at a time, then none
    for (k, full) in adj.iter().enumerate() {
        let only = vjp(x, &out, &w, core::array::from_fn(|j| j == k));
        for (j, a) in only.iter().enumerate() {
            if j == k {
                let a = a
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}: needed adjoint {k} missing"));
                let full = full.as_ref().unwrap();
                let err = max_abs(
                    a.as_slice()
                        .iter()
                        .zip(full.as_slice())
                        .map(|(&p, &q)| p - q),
                );
                assert!(
                    err <= tol.dot * (1.0 + max_abs(full.as_slice().iter().copied())),
                    "{name}: adjoint {k} alone differs"
                );
            } else {
                assert!(
                    a.is_none(),
                    "{name}: adjoint {j} computed though not needed"
                );
            }
        }
    }
    assert!(
        vjp(x, &out, &w, [false; K]).iter().all(Option::is_none),
        "{name}: adjoints computed though none needed"
    );
}

/// One line per case: `row [argument domains] (params);`. A row may have several.
macro_rules! cases {
    ($($name:ident [$($dom:expr),+] $(($($param:expr),+))?;)*) => {
        const COVERED: &[&str] = &[$(stringify!($name)),*];

        fn run_all<F: ScalarRules>(tol: Tol) {
            $({
                let mut rng = Rng::for_row(stringify!($name));
                let args = [$(sample::<F>(&mut rng, $dom)),+];
                check(
                    stringify!($name),
                    &mut rng,
                    args,
                    |a| rules::$name::value(a $($(, $param)+)?),
                    |a, t| rules::$name::jvp(a, t $($(, $param)+)?),
                    |a, o, g, n| rules::$name::vjp(a, o, g, n $($(, $param)+)?),
                    tol,
                );
            })*
        }
    };
}

use D::*;
cases! {
    sin [Any(&[2, 3])];
    cos [Any(&[2, 3])];
    tan [Unit(&[5])];
    asin [Unit(&[5])];
    acos [Unit(&[5])];
    atan [Any(&[5])];
    sinh [Any(&[5])];
    cosh [Any(&[5])];
    tanh [Any(&[5])];
    exp [Any(&[5])];
    exp2 [Any(&[5])];
    exp_m1 [Any(&[5])];
    ln [Pos(&[5])];
    log10 [Pos(&[5])];
    log2 [Pos(&[5])];
    ln_1p [Pos(&[5])];
    sqrt [Pos(&[5])];
    cbrt [Sep(&[5])];
    recip [Sep(&[5])];
    abs [Sep(&[6])];
    signum [Sep(&[6])];
    floor [Frac(&[6])];
    ceil [Frac(&[6])];
    round [Frac(&[6])];
    trunc [Frac(&[6])];
    powi [Any(&[5])] (3);
    powi [Sep(&[5])] (-2);
    powf [Pos(&[5])] (F::from_f64(1.7));
    clamp [Clampy(&[6])] (F::from_f64(-0.5), F::from_f64(0.5));
    atan2 [Any(&[5]), Pos(&[5])];
    hypot [Sep(&[5]), Sep(&[5])];
    maximum [HiLo(&[6]), LoHi(&[6])];
    minimum [HiLo(&[6]), LoHi(&[6])];
    minimum [HiLo(&[6]), Scalar];
    mul_add [Any(&[2, 2]), Any(&[2, 2]), Any(&[2, 2])];
    mul_add [Any(&[4]), Scalar, Any(&[4])];
    add [Any(&[2, 3]), Any(&[2, 3])];
    add [Scalar, Any(&[2, 3])];
    sub [Any(&[2, 3]), Any(&[2, 3])];
    sub [Any(&[3]), Scalar];
    mul [Any(&[2, 3]), Any(&[2, 3])];
    mul [Any(&[2, 3]), Scalar];
    div [Any(&[2, 3]), Sep(&[2, 3])];
    div [Scalar, Sep(&[4])];
    neg [Any(&[2, 3])];
    sum [Any(&[2, 3])];
    mean [Any(&[2, 3])];
    max [Grid(&[2, 3])];
    min [Grid(&[7])];
    norm [Any(&[5])];
    dot [Any(&[2, 3]), Any(&[2, 3])];
    sum_axis [Any(&[2, 3, 2])] (1);
    sum_axis [Any(&[2, 3])] (0);
    relu [Sep(&[6])];
    sigmoid [Any(&[5])];
    softplus [Any(&[5])];
    logsumexp [Any(&[5])];
    logsumexp [Any(&[3, 4])];
    softmax [Any(&[5])];
    softmax [Any(&[3, 4])];
    log_softmax [Any(&[5])];
    log_softmax [Any(&[3, 4])];
    transpose [Any(&[2, 3])];
    reshape [Any(&[2, 3])] (&[3, 2]);
    narrow [Any(&[4, 3])] (1, 2);
    row [Any(&[3, 2])] (2);
    row [Any(&[4])] (1);
    matmul [Any(&[3, 4]), Any(&[4, 2])];
    matmul [Any(&[4]), Any(&[4])];
    matmul [Any(&[3, 4]), Any(&[4])];
    matmul [Any(&[4]), Any(&[4, 2])];
    solve [WellConditioned(3), Any(&[3])];
    solve [WellConditioned(3), Any(&[3, 2])];
    cholesky [Spd(3)];
    cholesky [Spd(1)];
    logdet [WellConditioned(3)];
    logdet [Spd(4)];
}

#[test]
fn every_row_has_a_case() {
    let missing: Vec<_> = NAMES.iter().filter(|n| !COVERED.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "rows of the tensor rule table without a test case: {missing:?}"
    );
    let unknown: Vec<_> = COVERED.iter().filter(|n| !NAMES.contains(n)).collect();
    assert!(unknown.is_empty(), "test cases for no row: {unknown:?}");
}

#[test]
fn every_row_f64() {
    run_all::<f64>(F64);
}

#[test]
fn every_row_f32() {
    run_all::<f32>(F32);
}

// ----- conventions at non-differentiable points and shape checks ---------------

#[test]
fn relu_and_abs_have_zero_derivative_at_zero() {
    let z = Tensor::<f64>::zeros(&[2]);
    let g = Tensor::ones(&[2]);
    let [d] = rules::relu::vjp([&z], &z.relu(), &g, [true]);
    assert_eq!(d.unwrap().to_vec(), vec![0.0, 0.0]);
    let [d] = rules::abs::vjp([&z], &z.abs(), &g, [true]);
    assert_eq!(d.unwrap().to_vec(), vec![0.0, 0.0]);
    let (_, t) = rules::norm::jvp([&z], [Some(&g)]);
    assert_eq!(t, 0.0);
}

#[test]
fn max_ties_go_to_the_first() {
    let x = Tensor::from_vec(vec![1.0, 3.0, 3.0], &[3]);
    let [d] = rules::max::vjp([&x], &3.0, &1.0, [true]);
    assert_eq!(d.unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
    let y = Tensor::from_vec(vec![1.0, 0.0, 5.0], &[3]);
    let [dx, dy] = rules::maximum::vjp([&x, &y], &x.maximum(&y), &Tensor::ones(&[3]), [true, true]);
    assert_eq!(dx.unwrap().to_vec(), vec![1.0, 1.0, 0.0]);
    assert_eq!(dy.unwrap().to_vec(), vec![0.0, 0.0, 1.0]);
}

#[test]
fn stable_activations_have_finite_derivatives() {
    let x = Tensor::from_vec(vec![-1000.0, 1000.0], &[2]);
    let g = Tensor::ones(&[2]);
    for [d] in [
        rules::sigmoid::vjp([&x], &x.sigmoid(), &g, [true]),
        rules::softplus::vjp([&x], &x.softplus(), &g, [true]),
        rules::softmax::vjp([&x], &x.softmax(), &g, [true]),
        rules::log_softmax::vjp([&x], &x.log_softmax(), &g, [true]),
    ] {
        assert!(d.unwrap().as_slice().iter().all(|v| v.is_finite()));
    }
    let l = x.logsumexp();
    let [d] = rules::logsumexp::vjp([&x], &l, &Tensor::scalar(1.0), [true]);
    assert_eq!(d.unwrap().to_vec(), vec![0.0, 1.0]);
}

#[test]
fn logdet_gradient_is_the_inverse_transpose() {
    // A = [[2, 1], [0, 4]]: A^-1 = [[0.5, -0.125], [0, 0.25]], A^-T = [[0.5, 0], [-0.125, 0.25]]
    let a = Tensor::from_vec(vec![2.0, 1.0, 0.0, 4.0], &[2, 2]);
    let [d] = rules::logdet::vjp([&a], &a.logdet(), &1.0, [true]);
    assert_eq!(d.unwrap().to_vec(), vec![0.5, 0.0, -0.125, 0.25]);
}

#[test]
#[should_panic(expected = "sin: tangent of shape [3] for argument 0 of shape [2]")]
fn tangent_shape_mismatch_panics() {
    let x = Tensor::<f64>::zeros(&[2]);
    let _ = rules::sin::jvp([&x], [Some(&Tensor::zeros(&[3]))]);
}

#[test]
#[should_panic(expected = "matmul: seed of shape [3] for an output of shape [2]")]
fn seed_shape_mismatch_panics() {
    let a = Tensor::<f64>::eye(2);
    let x = Tensor::<f64>::ones(&[2]);
    let y = a.matmul(&x);
    let _ = rules::matmul::vjp([&a, &x], &y, &Tensor::zeros(&[3]), [true, true]);
}
