//! Tensor: constructors, indexing, shape errors, operators, reductions,
//! numerical stability, matmul against a naive reference, and linear algebra
//! against hand-computed cases. (The derivative rules are in tensor_rules.rs.)

use autodiff_runtime::tensor::{LinalgError, ShapeErrorKind};
use autodiff_runtime::Tensor;

/// A small deterministic generator (xorshift64*), so tests need no crate.
struct Rng(u64);
impl Rng {
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
    fn below(&mut self, n: usize) -> usize {
        (self.next() * n as f64) as usize
    }
    fn tensor(&mut self, shape: &[usize]) -> Tensor<f64> {
        Tensor::from_fn(shape, |_| self.uniform(-1.0, 1.0))
    }
}

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape)
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

// ----- constructors and accessors ---------------------------------------------

#[test]
fn constructors() {
    assert_eq!(Tensor::<f64>::zeros(&[2, 3]).to_vec(), vec![0.0; 6]);
    assert_eq!(Tensor::<f32>::ones(&[2]).to_vec(), vec![1.0, 1.0]);
    assert_eq!(Tensor::full(&[3], 2.5).to_vec(), vec![2.5; 3]);
    assert_eq!(
        Tensor::<f64>::eye(3).to_vec(),
        vec![1., 0., 0., 0., 1., 0., 0., 0., 1.]
    );
    let s = Tensor::scalar(4.0);
    assert_eq!(
        (s.shape(), s.ndim(), s.len(), s.item()),
        (&[][..], 0, 1, 4.0)
    );
    assert_eq!(Tensor::linspace(1.0, 2.0, 3).to_vec(), vec![1.0, 1.5, 2.0]);
    assert_eq!(Tensor::linspace(1.0, 2.0, 1).to_vec(), vec![1.0]);
    assert!(Tensor::<f64>::linspace(1.0, 2.0, 0).is_empty());
    assert_eq!(Tensor::arange(0.0, 5.0, 2.0).to_vec(), vec![0.0, 2.0, 4.0]);
    assert!(Tensor::arange(5.0, 0.0, 1.0).is_empty());
    // linspace ends exactly at `end` even where the steps round
    assert_eq!(Tensor::linspace(0.0, 0.3, 4)[3], 0.3);
    let z = Tensor::<f64>::zeros(&[0, 4]);
    assert_eq!((z.len(), z.shape()), (0, &[0, 4][..]));
}

#[test]
fn accessors() {
    let mut a = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    assert_eq!(a.shape(), &[2, 3]);
    assert_eq!(a.ndim(), 2);
    assert_eq!(a.len(), 6);
    assert_eq!(a.as_slice(), &[1., 2., 3., 4., 5., 6.]);
    assert_eq!(a.get(&[1, 2]), Some(6.0));
    assert_eq!(a.get(&[1, 3]), None);
    assert_eq!(a.get(&[1]), None);
    assert_eq!(a[4], 5.0);
    assert_eq!(a[[0, 1]], 2.0);
    a[[0, 1]] = 20.0;
    a[0] = 10.0;
    a.as_mut_slice()[5] = 60.0;
    assert_eq!(a.to_vec(), vec![10., 20., 3., 4., 5., 60.]);
    assert_eq!(a.clone().into_vec(), a.to_vec());
    assert_eq!(Tensor::from(vec![1.0, 2.0]).shape(), &[2]);
    assert_eq!(a.to_string(), "[[10, 20, 3], [4, 5, 60]]");
}

#[test]
fn shape_operations() {
    let a = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    assert_eq!(a.transpose().shape(), &[3, 2]);
    assert_eq!(a.transpose().to_vec(), vec![1., 4., 2., 5., 3., 6.]);
    assert_eq!(a.transpose().transpose(), a);
    assert_eq!(a.reshape(&[3, 2]).to_vec(), a.to_vec());
    assert_eq!(a.reshape(&[6]).shape(), &[6]);
    assert_eq!(a.row(1).to_vec(), vec![4., 5., 6.]);
    assert_eq!(a.row(1).shape(), &[3]);
    assert_eq!(a.narrow(1, 1).shape(), &[1, 3]);
    assert_eq!(a.narrow(0, 0).len(), 0);
    let v = t(&[7., 8., 9.], &[3]);
    assert_eq!(v.row(2).item(), 9.0);
    assert_eq!(v.narrow(1, 2).to_vec(), vec![8., 9.]);
}

// ----- shape errors: every panic names the operation and the shapes ------------

#[test]
#[should_panic(expected = "mul: shapes [2, 3] and [3, 2] differ")]
fn mul_shape_mismatch_panics() {
    let _ = Tensor::<f64>::zeros(&[2, 3]) * Tensor::zeros(&[3, 2]);
}

#[test]
#[should_panic(expected = "add: shapes [2] and [3] differ")]
fn add_borrowed_shape_mismatch_panics() {
    let _ = &Tensor::<f64>::zeros(&[2]) + &Tensor::zeros(&[3]);
}

#[test]
#[should_panic(expected = "sub: shapes [2] and [2, 1] differ")]
fn sub_assign_shape_mismatch_panics() {
    let mut a = Tensor::<f64>::zeros(&[2]);
    a -= &Tensor::zeros(&[2, 1]);
}

#[test]
#[should_panic(expected = "div: shapes [1] and [3] differ")]
fn length_one_is_not_a_scalar() {
    // Only rank-0 tensors broadcast; a [1] tensor does not.
    let _ = Tensor::<f64>::ones(&[1]) / Tensor::ones(&[3]);
}

#[test]
#[should_panic(expected = "matmul: [2, 3] x [2, 1]")]
fn matmul_inner_mismatch_panics() {
    let _ = Tensor::<f64>::zeros(&[2, 3]).matmul(&Tensor::zeros(&[2, 1]));
}

#[test]
#[should_panic(expected = "matmul: shapes [2, 2, 2], [2]: operands must be 1-D or 2-D")]
fn matmul_rank_3_panics() {
    let _ = Tensor::<f64>::zeros(&[2, 2, 2]).matmul(&Tensor::zeros(&[2]));
}

#[test]
#[should_panic(expected = "from_vec: shape [2, 3]: 5 elements do not fill it (6 needed)")]
fn from_vec_wrong_length_panics() {
    let _ = Tensor::from_vec(vec![0.0; 5], &[2, 3]);
}

#[test]
#[should_panic(expected = "reshape: shapes [2, 3], [4]: sizes 6 and 4 differ")]
fn reshape_wrong_size_panics() {
    let _ = Tensor::<f64>::zeros(&[2, 3]).reshape(&[4]);
}

#[test]
#[should_panic(expected = "transpose: shape [3]: needs a 2-D tensor")]
fn transpose_of_vector_panics() {
    let _ = Tensor::<f64>::zeros(&[3]).transpose();
}

#[test]
#[should_panic(expected = "index: shape [2, 2]: [2, 0] is out of range")]
fn matrix_index_out_of_range_panics() {
    let _ = Tensor::<f64>::zeros(&[2, 2])[[2, 0]];
}

#[test]
#[should_panic(expected = "index: shape [2, 2]: flat index 4 is out of range")]
fn flat_index_out_of_range_panics() {
    let _ = Tensor::<f64>::zeros(&[2, 2])[4];
}

#[test]
#[should_panic(expected = "index: shape [4]: needs a 2-D tensor")]
fn matrix_index_of_vector_panics() {
    let _ = Tensor::<f64>::zeros(&[4])[[0, 0]];
}

#[test]
#[should_panic(expected = "narrow: shape [3, 2]: rows 2..4 do not fit")]
fn narrow_out_of_range_panics() {
    let _ = Tensor::<f64>::zeros(&[3, 2]).narrow(2, 2);
}

#[test]
#[should_panic(expected = "row: shape [3]: index 3 is out of range")]
fn row_out_of_range_panics() {
    let _ = Tensor::<f64>::zeros(&[3]).row(3);
}

#[test]
#[should_panic(expected = "sum_axis: shape [3]: axis 1 does not exist")]
fn sum_axis_out_of_range_panics() {
    let _ = Tensor::<f64>::zeros(&[3]).sum_axis(1);
}

#[test]
#[should_panic(expected = "dot: shapes [2] and [3] differ")]
fn dot_mismatch_panics() {
    let _ = Tensor::<f64>::zeros(&[2]).dot(&Tensor::zeros(&[3]));
}

#[test]
#[should_panic(expected = "atan2: shapes [2] and [3] differ")]
fn binary_math_mismatch_panics() {
    let _ = Tensor::<f64>::zeros(&[2]).atan2(&Tensor::zeros(&[3]));
}

#[test]
#[should_panic(expected = "max: shape [0]: needs at least one element")]
fn max_of_empty_panics() {
    let _ = Tensor::<f64>::zeros(&[0]).max();
}

#[test]
#[should_panic(expected = "softmax: shape []: needs at least one axis")]
fn softmax_of_scalar_panics() {
    let _ = Tensor::scalar(1.0).softmax();
}

#[test]
#[should_panic(expected = "item: shape [2]: needs exactly one element")]
fn item_of_vector_panics() {
    let _ = Tensor::<f64>::zeros(&[2]).item();
}

#[test]
#[should_panic(
    expected = "accumulate: adjoint of shape [2] cannot take a contribution of shape [3]"
)]
fn accumulate_mismatch_panics() {
    use autodiff_runtime::Accumulate;
    Tensor::<f64>::zeros(&[2]).accumulate(Tensor::zeros(&[3]));
}

#[test]
fn try_forms_return_the_panic_message() {
    let a = Tensor::<f64>::zeros(&[2, 3]);
    let b = Tensor::<f64>::zeros(&[3, 2]);
    for (e, op) in [
        (a.try_add(&b).unwrap_err(), "add"),
        (a.try_sub(&b).unwrap_err(), "sub"),
        (a.try_mul(&b).unwrap_err(), "mul"),
        (a.try_div(&b).unwrap_err(), "div"),
    ] {
        assert_eq!(e.kind(), ShapeErrorKind::Mismatch);
        assert_eq!(e.op(), op);
        assert_eq!(
            e.to_string(),
            format!("{op}: shapes [2, 3] and [3, 2] differ")
        );
        assert_eq!(e.shapes(), &[vec![2, 3], vec![3, 2]]);
    }
    let e = a.try_matmul(&a).unwrap_err();
    assert_eq!(e.kind(), ShapeErrorKind::Matmul);
    assert_eq!(
        e.to_string(),
        "matmul: [2, 3] x [2, 3]: inner dimensions 3 and 2 differ"
    );
    assert!(a.try_matmul(&b).is_ok());
    assert_eq!(
        a.clone().try_into_shape(&[5]).unwrap_err().kind(),
        ShapeErrorKind::Size
    );
}

// ----- operators: every owned/borrowed combination, scalars both sides ---------

#[test]
fn operators_all_combinations() {
    let a = t(&[1., 2., 3., 4.], &[2, 2]);
    let b = t(&[5., 6., 7., 8.], &[2, 2]);
    type Op = fn(f64, f64) -> f64;
    let cases: [(&str, Op); 4] = [
        ("add", |x, y| x + y),
        ("sub", |x, y| x - y),
        ("mul", |x, y| x * y),
        ("div", |x, y| x / y),
    ];
    for (name, f) in cases {
        let want: Vec<f64> = a
            .as_slice()
            .iter()
            .zip(b.as_slice())
            .map(|(&x, &y)| f(x, y))
            .collect();
        let results = match name {
            "add" => [
                &a + &b,
                a.clone() + &b,
                &a + b.clone(),
                a.clone() + b.clone(),
            ],
            "sub" => [
                &a - &b,
                a.clone() - &b,
                &a - b.clone(),
                a.clone() - b.clone(),
            ],
            "mul" => [
                &a * &b,
                a.clone() * &b,
                &a * b.clone(),
                a.clone() * b.clone(),
            ],
            _ => [
                &a / &b,
                a.clone() / &b,
                &a / b.clone(),
                a.clone() / b.clone(),
            ],
        };
        for r in results {
            assert_eq!(r.shape(), &[2, 2], "{name}");
            assert_eq!(r.to_vec(), want, "{name}");
        }
        // scalars on either side, owned and borrowed
        let s = 2.0;
        let right: Vec<f64> = a.as_slice().iter().map(|&x| f(x, s)).collect();
        let left: Vec<f64> = a.as_slice().iter().map(|&x| f(s, x)).collect();
        let (r1, r2, l1, l2) = match name {
            "add" => (&a + s, a.clone() + s, s + &a, s + a.clone()),
            "sub" => (&a - s, a.clone() - s, s - &a, s - a.clone()),
            "mul" => (&a * s, a.clone() * s, s * &a, s * a.clone()),
            _ => (&a / s, a.clone() / s, s / &a, s / a.clone()),
        };
        assert_eq!(
            (r1.to_vec(), r2.to_vec()),
            (right.clone(), right.clone()),
            "{name}"
        );
        assert_eq!(
            (l1.to_vec(), l2.to_vec()),
            (left.clone(), left.clone()),
            "{name}"
        );
        // rank-0 tensors broadcast like scalars, on either side
        let st = Tensor::scalar(s);
        let (rt, lt) = match name {
            "add" => (&a + &st, &st + &a),
            "sub" => (&a - &st, &st - &a),
            "mul" => (&a * &st, &st * &a),
            _ => (&a / &st, &st / &a),
        };
        assert_eq!((rt.to_vec(), lt.to_vec()), (right, left), "{name}");
    }
}

#[test]
fn f32_operators_and_scalars() {
    let a = Tensor::from_vec(vec![1.0_f32, 2.0], &[2]);
    assert_eq!((2.0_f32 * &a).to_vec(), vec![2.0, 4.0]);
    assert_eq!((&a * 2.0_f32).to_vec(), vec![2.0, 4.0]);
    assert_eq!((1.0_f32 - a.clone()).to_vec(), vec![0.0, -1.0]);
    assert_eq!((-&a).to_vec(), vec![-1.0, -2.0]);
}

#[test]
fn compound_assignment() {
    let b = t(&[1., 2.], &[2]);
    let mut a = t(&[10., 20.], &[2]);
    a += &b;
    assert_eq!(a.to_vec(), vec![11., 22.]);
    a -= b.clone();
    assert_eq!(a.to_vec(), vec![10., 20.]);
    a *= &b;
    assert_eq!(a.to_vec(), vec![10., 40.]);
    a /= b.clone();
    assert_eq!(a.to_vec(), vec![10., 20.]);
    a += 1.0;
    a -= 2.0;
    a *= 3.0;
    a /= 9.0;
    assert_eq!(a.to_vec(), vec![3., 19. / 3.]);
    a *= Tensor::scalar(3.0);
    assert_eq!(a.to_vec(), vec![9., 19.]);
    // a scalar accumulator grows to the other operand's shape
    let mut s = Tensor::scalar(1.0);
    s += &b;
    assert_eq!(s.to_vec(), vec![2., 3.]);
}

#[test]
fn negation() {
    let a = t(&[1., -2.], &[2]);
    assert_eq!((-&a).to_vec(), vec![-1., 2.]);
    assert_eq!((-a).to_vec(), vec![-1., 2.]);
}

// ----- elementwise math ------------------------------------------------------

#[test]
fn elementwise_math_maps_the_float_methods() {
    let x = t(&[0.3, 0.6, 0.9], &[3]);
    type M = (fn(&Tensor<f64>) -> Tensor<f64>, fn(f64) -> f64);
    let table: [M; 25] = [
        (Tensor::sin, f64::sin),
        (Tensor::cos, f64::cos),
        (Tensor::tan, f64::tan),
        (Tensor::asin, f64::asin),
        (Tensor::acos, f64::acos),
        (Tensor::atan, f64::atan),
        (Tensor::sinh, f64::sinh),
        (Tensor::cosh, f64::cosh),
        (Tensor::tanh, f64::tanh),
        (Tensor::exp, f64::exp),
        (Tensor::exp2, f64::exp2),
        (Tensor::exp_m1, f64::exp_m1),
        (Tensor::ln, f64::ln),
        (Tensor::log10, f64::log10),
        (Tensor::log2, f64::log2),
        (Tensor::ln_1p, f64::ln_1p),
        (Tensor::sqrt, f64::sqrt),
        (Tensor::cbrt, f64::cbrt),
        (Tensor::recip, f64::recip),
        (Tensor::abs, f64::abs),
        (Tensor::signum, f64::signum),
        (Tensor::floor, f64::floor),
        (Tensor::ceil, f64::ceil),
        (Tensor::round, f64::round),
        (Tensor::trunc, f64::trunc),
    ];
    for (tf, sf) in table {
        let want: Vec<f64> = x.as_slice().iter().map(|&v| sf(v)).collect();
        assert_eq!(tf(&x).to_vec(), want);
    }
    assert_eq!(
        x.powi(2).to_vec(),
        vec![0.3f64.powi(2), 0.6f64.powi(2), 0.9f64.powi(2)]
    );
    assert_eq!(
        x.powf(1.5).to_vec(),
        vec![0.3f64.powf(1.5), 0.6f64.powf(1.5), 0.9f64.powf(1.5)]
    );
    assert_eq!(x.clamp(0.5, 0.7).to_vec(), vec![0.5, 0.6, 0.7]);
    let y = t(&[0.5, 0.5, 0.5], &[3]);
    assert_eq!(x.maximum(&y).to_vec(), vec![0.5, 0.6, 0.9]);
    assert_eq!(x.minimum(&y).to_vec(), vec![0.3, 0.5, 0.5]);
    assert_eq!(x.hypot(&y)[0], 0.3f64.hypot(0.5));
    assert_eq!(x.atan2(&y)[1], 0.6f64.atan2(0.5));
    assert_eq!(x.atan2(&Tensor::scalar(0.5))[1], 0.6f64.atan2(0.5));
    assert_eq!(x.mul_add(&y, &x)[2], 0.9f64.mul_add(0.5, 0.9));
}

// ----- reductions ------------------------------------------------------------

#[test]
fn reductions() {
    let a = t(&[1., -2., 3., 4., 5., -6.], &[2, 3]);
    assert_eq!(a.sum(), 5.0);
    assert_eq!(a.mean(), 5.0 / 6.0);
    assert_eq!((a.max(), a.argmax()), (5.0, 4));
    assert_eq!((a.min(), a.argmin()), (-6.0, 5));
    assert_eq!(a.norm(), 91.0_f64.sqrt());
    assert_eq!(a.dot(&a), 91.0);
    assert_eq!(a.sum_axis(0).to_vec(), vec![5., 3., -3.]);
    assert_eq!(a.sum_axis(1).to_vec(), vec![2., 3.]);
    let c = Tensor::from_fn(&[2, 3, 4], |i| i as f64);
    let s1 = c.sum_axis(1);
    assert_eq!(s1.shape(), &[2, 4]);
    assert_eq!(s1[[1, 2]], 14.0 + 18.0 + 22.0);
    assert_eq!(Tensor::<f64>::zeros(&[0]).sum(), 0.0);
    assert_eq!(Tensor::<f64>::zeros(&[3]).norm(), 0.0);
    assert!(t(&[1.0, f64::NAN], &[2]).max().is_nan());
}

#[test]
fn activations() {
    let x = t(&[-2.0, 0.0, 3.0], &[3]);
    assert_eq!(x.relu().to_vec(), vec![0.0, 0.0, 3.0]);
    let s = x.sigmoid();
    assert!(close(
        s.as_slice(),
        &[1.0 / (1.0 + 2f64.exp()), 0.5, 1.0 / (1.0 + (-3f64).exp())],
        1e-15
    ));
    let sp = x.softplus();
    assert!(close(
        sp.as_slice(),
        &[
            (1.0 + (-2f64).exp()).ln(),
            2f64.ln(),
            (1.0 + 3f64.exp()).ln()
        ],
        1e-15
    ));
    let p = x.softmax();
    assert!((p.sum() - 1.0).abs() < 1e-15);
    let e: Vec<f64> = x.as_slice().iter().map(|v| v.exp()).collect();
    let z: f64 = e.iter().sum();
    assert!(close(
        p.as_slice(),
        &e.iter().map(|v| v / z).collect::<Vec<_>>(),
        1e-15
    ));
    assert!((x.logsumexp().item() - z.ln()).abs() < 1e-15);
    assert!(close(x.log_softmax().as_slice(), &p.ln().to_vec(), 1e-14));
    // along the last axis of a matrix
    let m = t(&[1., 2., 3., 1., 1., 1.], &[2, 3]);
    let sm = m.softmax();
    assert_eq!(sm.shape(), &[2, 3]);
    assert!((sm.row(0).sum() - 1.0).abs() < 1e-15);
    assert!(close(sm.row(1).as_slice(), &[1. / 3.; 3], 1e-15));
    let l = m.logsumexp();
    assert_eq!(l.shape(), &[2]);
    assert!((l[1] - (3f64).ln() - 1.0).abs() < 1e-15);
    assert_eq!(m.log_softmax().shape(), &[2, 3]);
}

#[test]
fn stability_at_extreme_inputs() {
    let big = t(&[1000.0, 1000.0], &[2]);
    let l = big.logsumexp().item();
    assert!(l.is_finite());
    assert!((l - (1000.0 + 2f64.ln())).abs() < 1e-12);
    assert_eq!(big.softmax().to_vec(), vec![0.5, 0.5]);
    let ls = t(&[-1000.0, 1000.0], &[2]).log_softmax();
    assert_eq!(ls.to_vec(), vec![-2000.0, 0.0]);
    let tiny = t(&[-1000.0, -1000.0], &[2]);
    assert!((tiny.logsumexp().item() - (-1000.0 + 2f64.ln())).abs() < 1e-12);
    assert_eq!(t(&[1000.0], &[1]).softplus().item(), 1000.0);
    assert_eq!(t(&[-1000.0], &[1]).softplus().item(), 0.0);
    let sg = t(&[-1000.0, 1000.0], &[2]).sigmoid();
    assert_eq!(sg.to_vec(), vec![0.0, 1.0]);
    assert!(sg.as_slice().iter().all(|v| !v.is_nan()));
    // f32 too
    let big32 = Tensor::from_vec(vec![100.0_f32, 100.0], &[2]);
    assert!((big32.logsumexp().item() - (100.0 + 2f32.ln())).abs() < 1e-4);
    assert_eq!(
        Tensor::from_vec(vec![-200.0_f32], &[1]).sigmoid().item(),
        0.0
    );
    assert_eq!(
        Tensor::from_vec(vec![200.0_f32], &[1]).softplus().item(),
        200.0
    );
}

// ----- matmul against a naive triple loop ---------------------------------------

fn naive_matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            for p in 0..k {
                c[i * n + j] += a[i * k + p] * b[p * n + j];
            }
        }
    }
    c
}

#[test]
fn matmul_matches_naive_on_random_sizes() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for trial in 0..40 {
        let (m, k, n) = if trial < 4 {
            [(1, 1, 1), (0, 3, 2), (2, 0, 3), (65, 33, 17)][trial]
        } else {
            (1 + rng.below(40), 1 + rng.below(40), 1 + rng.below(40))
        };
        let a = rng.tensor(&[m, k]);
        let b = rng.tensor(&[k, n]);
        let want = naive_matmul(a.as_slice(), b.as_slice(), m, k, n);
        let c = a.matmul(&b);
        assert_eq!(c.shape(), &[m, n]);
        assert!(close(c.as_slice(), &want, 1e-12), "{m}x{k}x{n}");
        // transposed operands, read through strides
        let at = a.transpose();
        let bt = b.transpose();
        assert!(close(at.matmul_t(true, &b, false).as_slice(), &want, 1e-12));
        assert!(close(a.matmul_t(false, &bt, true).as_slice(), &want, 1e-12));
        assert!(close(at.matmul_t(true, &bt, true).as_slice(), &want, 1e-12));
        // f32 goes through sgemm
        let a32 = Tensor::from_vec(a.as_slice().iter().map(|&v| v as f32).collect(), &[m, k]);
        let b32 = Tensor::from_vec(b.as_slice().iter().map(|&v| v as f32).collect(), &[k, n]);
        let c32 = a32.matmul(&b32);
        for (x, y) in c32.as_slice().iter().zip(&want) {
            assert!((*x as f64 - y).abs() < 1e-4 * (1.0 + k as f64));
        }
    }
}

#[test]
fn matmul_one_dimensional_operands() {
    let mut rng = Rng(99);
    for _ in 0..10 {
        let (m, k, n) = (1 + rng.below(9), 1 + rng.below(9), 1 + rng.below(9));
        let a = rng.tensor(&[m, k]);
        let b = rng.tensor(&[k, n]);
        let u = rng.tensor(&[k]);
        let v = rng.tensor(&[k]);
        // vec . vec -> scalar
        let s = u.matmul(&v);
        assert_eq!(s.shape(), &[] as &[usize]);
        assert!((s.item() - u.dot(&v)).abs() < 1e-12);
        // mat . vec -> [m]
        let av = a.matmul(&u);
        assert_eq!(av.shape(), &[m]);
        assert!(close(
            av.as_slice(),
            &naive_matmul(a.as_slice(), u.as_slice(), m, k, 1),
            1e-12
        ));
        // vec . mat -> [n]
        let vb = u.matmul(&b);
        assert_eq!(vb.shape(), &[n]);
        assert!(close(
            vb.as_slice(),
            &naive_matmul(u.as_slice(), b.as_slice(), 1, k, n),
            1e-12
        ));
    }
}

// ----- linear algebra against hand-computed cases --------------------------------

#[test]
fn solve_small_systems() {
    // [[2, 1], [1, 3]] x = [3, 5]  =>  x = [0.8, 1.4]
    let a = t(&[2., 1., 1., 3.], &[2, 2]);
    let x = a.solve(&t(&[3., 5.], &[2]));
    assert!(close(x.as_slice(), &[0.8, 1.4], 1e-15));
    // needs pivoting: [[0, 1], [1, 0]] x = [2, 3]  =>  x = [3, 2]
    let p = t(&[0., 1., 1., 0.], &[2, 2]);
    assert_eq!(p.solve(&t(&[2., 3.], &[2])).to_vec(), vec![3., 2.]);
    // several right-hand sides
    let b = t(&[3., 1., 5., 0.], &[2, 2]);
    let xs = a.solve(&b);
    assert_eq!(xs.shape(), &[2, 2]);
    assert!(close(xs.as_slice(), &[0.8, 0.6, 1.4, -0.2], 1e-15));
    // 3x3 with the residual checked
    let a3 = t(&[4., -2., 1., -2., 4., -2., 1., -2., 4.], &[3, 3]);
    let b3 = t(&[11., -16., 17.], &[3]);
    let x3 = a3.solve(&b3);
    assert!(close(x3.as_slice(), &[1., -2., 3.], 1e-14));
    assert!(close(a3.matmul(&x3).as_slice(), b3.as_slice(), 1e-14));
    assert!(close(
        a3.try_inverse().unwrap().matmul(&a3).as_slice(),
        Tensor::eye(3).as_slice(),
        1e-14
    ));
}

#[test]
fn solve_errors() {
    let singular = t(&[1., 2., 2., 4.], &[2, 2]);
    let e = singular.try_solve(&t(&[1., 1.], &[2])).unwrap_err();
    assert_eq!(
        e,
        LinalgError::Singular {
            op: "solve",
            column: 1
        }
    );
    let e = Tensor::<f64>::zeros(&[2, 3])
        .try_solve(&Tensor::zeros(&[2]))
        .unwrap_err();
    assert_eq!(e.to_string(), "solve: shape [2, 3]: needs a square matrix");
    let e = Tensor::<f64>::eye(2)
        .try_solve(&Tensor::zeros(&[3]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "solve: shapes [2, 2] and [3] differ: the right-hand side needs shape [2] or [2, k]"
    );
}

#[test]
#[should_panic(expected = "solve: the matrix is singular (zero pivot in column 0)")]
fn solve_singular_panics() {
    let _ = Tensor::<f64>::zeros(&[2, 2]).solve(&Tensor::ones(&[2]));
}

#[test]
fn cholesky_small_matrices() {
    // [[4, 2], [2, 5]] = [[2, 0], [1, 2]] [[2, 1], [0, 2]]
    let l = t(&[4., 2., 2., 5.], &[2, 2]).cholesky();
    assert_eq!(l.to_vec(), vec![2., 0., 1., 2.]);
    // [[4, 12, -16], [12, 37, -43], [-16, -43, 98]] has L = [[2,0,0],[6,1,0],[-8,5,3]]
    let a = t(&[4., 12., -16., 12., 37., -43., -16., -43., 98.], &[3, 3]);
    let l = a.cholesky();
    assert_eq!(l.to_vec(), vec![2., 0., 0., 6., 1., 0., -8., 5., 3.]);
    assert_eq!(l.matmul_t(false, &l, true), a);
    // only the lower triangle is read
    let mut upper_garbage = a.clone();
    upper_garbage[[0, 2]] = 1e9;
    assert_eq!(upper_garbage.cholesky(), l);
}

#[test]
fn cholesky_errors() {
    let e = t(&[1., 2., 2., 1.], &[2, 2]).try_cholesky().unwrap_err();
    assert_eq!(
        e,
        LinalgError::NotPositiveDefinite {
            op: "cholesky",
            column: 1
        }
    );
    let e = t(&[-1., 0., 0., 1.], &[2, 2]).try_cholesky().unwrap_err();
    assert_eq!(
        e,
        LinalgError::NotPositiveDefinite {
            op: "cholesky",
            column: 0
        }
    );
    let e = Tensor::<f64>::zeros(&[3]).try_cholesky().unwrap_err();
    assert!(matches!(e, LinalgError::Shape(ref s) if s.kind() == ShapeErrorKind::Rank));
}

#[test]
#[should_panic(
    expected = "cholesky: the matrix is not positive definite (non-positive pivot in column 1)"
)]
fn cholesky_indefinite_panics() {
    let _ = t(&[1., 2., 2., 1.], &[2, 2]).cholesky();
}

#[test]
fn logdet_small_matrices() {
    // det [[2, 1], [1, 3]] = 5
    assert!((t(&[2., 1., 1., 3.], &[2, 2]).logdet() - 5f64.ln()).abs() < 1e-15);
    // a negative determinant: ln |det| ([[0, 1], [1, 0]] has det -1)
    assert_eq!(t(&[0., 1., 1., 0.], &[2, 2]).logdet(), 0.0);
    // det of the 3x3 SPD matrix above = (2 * 1 * 3)^2 = 36
    let a = t(&[4., 12., -16., 12., 37., -43., -16., -43., 98.], &[3, 3]);
    assert!((a.logdet() - 36f64.ln()).abs() < 1e-13);
    // diagonal
    assert!((t(&[2., 0., 0., 0.5], &[2, 2]).logdet()).abs() < 1e-15);
    let e = t(&[1., 2., 2., 4.], &[2, 2]).try_logdet().unwrap_err();
    assert_eq!(
        e,
        LinalgError::Singular {
            op: "logdet",
            column: 1
        }
    );
}

#[test]
fn differentiable_tensor() {
    use autodiff_runtime::{accumulate, zero_like};
    let x = t(&[1., 2., 3.], &[3]);
    let mut g = zero_like(&x);
    assert_eq!(g, Tensor::zeros(&[3]));
    accumulate(&mut g, x.clone());
    accumulate(&mut g, x.clone());
    assert_eq!(g.to_vec(), vec![2., 4., 6.]);
    assert_eq!(zero_like(&&x).shape(), &[3]);
}

// ----- interop (behind features) -------------------------------------------------

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_conversions_move_the_buffer() {
    let x = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let p = x.as_slice().as_ptr();
    assert_eq!(x.as_ndarray().as_ptr(), p);
    let a: ndarray::ArrayD<f64> = x.into();
    assert_eq!((a.as_ptr(), a.shape()), (p, &[2, 3][..]));
    let back = Tensor::from(a);
    assert_eq!(back.as_slice().as_ptr(), p);
    assert_eq!(back.shape(), &[2, 3]);
    // a window into a larger buffer, and a column-major array, are copied
    let a = ndarray::Array2::from_shape_vec((3, 2), vec![1., 2., 3., 4., 5., 6.]).unwrap();
    let w = Tensor::from(a.clone().slice_move(ndarray::s![1.., ..]));
    assert_eq!((w.shape(), w.to_vec()), (&[2, 2][..], vec![3., 4., 5., 6.]));
    let c = Tensor::from(a.reversed_axes());
    assert_eq!(
        (c.shape(), c.to_vec()),
        (&[2, 3][..], vec![1., 3., 5., 2., 4., 6.])
    );
}

#[cfg(feature = "nalgebra")]
#[test]
fn nalgebra_conversions() {
    use nalgebra::{DMatrix, DVector};
    let v = t(&[1., 2., 3.], &[3]);
    let p = v.as_slice().as_ptr();
    let dv = DVector::try_from(v).unwrap();
    assert_eq!(dv.as_ptr(), p);
    let back = Tensor::from(dv);
    assert_eq!((back.as_slice().as_ptr(), back.shape()), (p, &[3][..]));
    let m = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let dm = DMatrix::try_from(&m).unwrap();
    assert_eq!(dm, DMatrix::from_row_slice(2, 3, &[1., 2., 3., 4., 5., 6.]));
    assert_eq!(Tensor::from(&dm), m);
    let view = m.as_nalgebra_transpose();
    assert_eq!(view.as_ptr(), m.as_slice().as_ptr());
    assert_eq!(view.transpose(), dm);
    assert!(DMatrix::try_from(&v_tensor()).is_err());
    fn v_tensor() -> Tensor<f64> {
        Tensor::zeros(&[2])
    }
}
