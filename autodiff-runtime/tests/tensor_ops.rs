//! Every tensor operation that differentiated code calls (`tensor::ad`),
//! checked from the table below: the forward rule against central
//! differences, the reverse rule against the forward one by the dot-product
//! test, and the second-order rule (`NAME_vjp_jvp`, the reverse rule's own
//! generated forward derivative) against differences of the reverse rule. In
//! f64 (all three) and f32 (the dot-product test), each operation on its own
//! domain. `the_table_covers_every_operation` fails when an operation is
//! added to `tensor::ad` without a row here.
#![allow(clippy::type_complexity)]

use autodiff_runtime::tensor::ad;
use autodiff_runtime::{Real, Tensor};

type Ts<F> = Vec<Tensor<F>>;
type Ss<F> = Vec<F>;
type Value<F> = Box<dyn Fn(&Ts<F>, &Ss<F>) -> Tensor<F>>;
type Jvp<F> = Box<dyn Fn(&Ts<F>, &Ss<F>, &Ts<F>, &Ss<F>) -> Tensor<F>>;
type Vjp<F> = Box<dyn Fn(&Ts<F>, &Ss<F>, &Tensor<F>) -> (Ts<F>, Ss<F>)>;
type VjpJvp<F> = Box<dyn Fn(&Ts<F>, &Ss<F>, &Tensor<F>, &Ts<F>, &Ss<F>) -> (Ts<F>, Ss<F>)>;

/// One operation with its differentiable tensor and scalar inputs; a scalar
/// output is compared as a rank-0 tensor.
struct Op<F: Real> {
    name: &'static str,
    shapes: Vec<Vec<usize>>,
    scalars: usize,
    /// Domain of the inputs' elements and scalars.
    lo: f64,
    hi: f64,
    value: Value<F>,
    jvp: Jvp<F>,
    vjp: Vjp<F>,
    vjp_jvp: Option<VjpJvp<F>>,
}

fn s0<F: Real>(v: F) -> Tensor<F> {
    Tensor::scalar(v)
}

/// Tensor in, tensor out.
macro_rules! unary {
    ($ops:ident, $f:ident, $j:ident, $v:ident, $vj:ident, $shape:expr, $lo:expr, $hi:expr) => {
        $ops.push(Op {
            name: stringify!($f),
            shapes: vec![$shape],
            scalars: 0,
            lo: $lo,
            hi: $hi,
            value: Box::new(|t, _| ad::$f(&t[0])),
            jvp: Box::new(|t, _, d, _| ad::$j(&t[0], &d[0]).1),
            vjp: Box::new(|t, _, g| (vec![ad::$v(&t[0], g).1], vec![])),
            vjp_jvp: Some(Box::new(|t, _, g, d, _| {
                let (_, (_, dd)) = ad::$vj(&t[0], g, &d[0], &g.zeros_like());
                (vec![dd], vec![])
            })),
        })
    };
}

/// Tensor in, number out.
macro_rules! reduce {
    ($ops:ident, $f:ident, $j:ident, $v:ident, $vj:ident, $shape:expr, $lo:expr, $hi:expr) => {
        $ops.push(Op {
            name: stringify!($f),
            shapes: vec![$shape],
            scalars: 0,
            lo: $lo,
            hi: $hi,
            value: Box::new(|t, _| s0(ad::$f(&t[0]))),
            jvp: Box::new(|t, _, d, _| s0(ad::$j(&t[0], &d[0]).1)),
            vjp: Box::new(|t, _, g| (vec![ad::$v(&t[0], g.item()).1], vec![])),
            vjp_jvp: Some(Box::new(|t, _, g, d, _| {
                let (_, (_, dd)) = ad::$vj(&t[0], g.item(), &d[0], F::ZERO);
                (vec![dd], vec![])
            })),
        })
    };
}

/// A tensor and a number in (`f(t, s)`), a tensor out.
macro_rules! with_scalar {
    ($ops:ident, $f:ident, $j:ident, $v:ident, $vj:ident, $shape:expr, $lo:expr, $hi:expr) => {
        $ops.push(Op {
            name: stringify!($f),
            shapes: vec![$shape],
            scalars: 1,
            lo: $lo,
            hi: $hi,
            value: Box::new(|t, s| ad::$f(&t[0], s[0])),
            jvp: Box::new(|t, s, d, ds| ad::$j(&t[0], s[0], &d[0], ds[0]).1),
            vjp: Box::new(|t, s, g| {
                let (_, dt, ds) = ad::$v(&t[0], s[0], g);
                (vec![dt], vec![ds])
            }),
            vjp_jvp: Some(Box::new(|t, s, g, d, ds| {
                let (_, (_, ddt, dds)) = ad::$vj(&t[0], s[0], g, &d[0], ds[0], &g.zeros_like());
                (vec![ddt], vec![dds])
            })),
        })
    };
}

/// Two tensors in, a tensor out.
macro_rules! binary {
    ($ops:ident, $f:ident, $j:ident, $v:ident, $vj:ident, $sa:expr, $sb:expr, $lo:expr, $hi:expr) => {
        $ops.push(Op {
            name: stringify!($f),
            shapes: vec![$sa, $sb],
            scalars: 0,
            lo: $lo,
            hi: $hi,
            value: Box::new(|t, _| ad::$f(&t[0], &t[1])),
            jvp: Box::new(|t, _, d, _| ad::$j(&t[0], &t[1], &d[0], &d[1]).1),
            vjp: Box::new(|t, _, g| {
                let (_, a, b) = ad::$v(&t[0], &t[1], g);
                (vec![a, b], vec![])
            }),
            vjp_jvp: Some(Box::new(|t, _, g, d, _| {
                let (_, (_, da, db)) = ad::$vj(&t[0], &t[1], g, &d[0], &d[1], &g.zeros_like());
                (vec![da, db], vec![])
            })),
        })
    };
}

fn table<F: Real>() -> Vec<Op<F>> {
    let mut ops: Vec<Op<F>> = Vec::new();
    let m = vec![2, 3];
    // elementwise, each inside its domain
    unary!(
        ops,
        sin,
        sin_jvp,
        sin_vjp,
        sin_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        cos,
        cos_jvp,
        cos_vjp,
        cos_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        tan,
        tan_jvp,
        tan_vjp,
        tan_vjp_jvp,
        m.clone(),
        -1.0,
        1.0
    );
    unary!(
        ops,
        asin,
        asin_jvp,
        asin_vjp,
        asin_vjp_jvp,
        m.clone(),
        -0.8,
        0.8
    );
    unary!(
        ops,
        acos,
        acos_jvp,
        acos_vjp,
        acos_vjp_jvp,
        m.clone(),
        -0.8,
        0.8
    );
    unary!(
        ops,
        atan,
        atan_jvp,
        atan_vjp,
        atan_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        sinh,
        sinh_jvp,
        sinh_vjp,
        sinh_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        cosh,
        cosh_jvp,
        cosh_vjp,
        cosh_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        tanh,
        tanh_jvp,
        tanh_vjp,
        tanh_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        exp,
        exp_jvp,
        exp_vjp,
        exp_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        exp2,
        exp2_jvp,
        exp2_vjp,
        exp2_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        exp_m1,
        exp_m1_jvp,
        exp_m1_vjp,
        exp_m1_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(ops, ln, ln_jvp, ln_vjp, ln_vjp_jvp, m.clone(), 0.2, 3.0);
    unary!(
        ops,
        log2,
        log2_jvp,
        log2_vjp,
        log2_vjp_jvp,
        m.clone(),
        0.2,
        3.0
    );
    unary!(
        ops,
        log10,
        log10_jvp,
        log10_vjp,
        log10_vjp_jvp,
        m.clone(),
        0.2,
        3.0
    );
    unary!(
        ops,
        ln_1p,
        ln_1p_jvp,
        ln_1p_vjp,
        ln_1p_vjp_jvp,
        m.clone(),
        -0.5,
        2.0
    );
    unary!(
        ops,
        sqrt,
        sqrt_jvp,
        sqrt_vjp,
        sqrt_vjp_jvp,
        m.clone(),
        0.2,
        3.0
    );
    unary!(
        ops,
        cbrt,
        cbrt_jvp,
        cbrt_vjp,
        cbrt_vjp_jvp,
        m.clone(),
        0.2,
        3.0
    );
    unary!(
        ops,
        recip,
        recip_jvp,
        recip_vjp,
        recip_vjp_jvp,
        m.clone(),
        0.5,
        3.0
    );
    unary!(ops, abs, abs_jvp, abs_vjp, abs_vjp_jvp, m.clone(), 0.2, 2.0);
    unary!(
        ops,
        neg,
        neg_jvp,
        neg_vjp,
        neg_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        relu,
        relu_jvp,
        relu_vjp,
        relu_vjp_jvp,
        m.clone(),
        0.2,
        2.0
    );
    unary!(
        ops,
        sigmoid,
        sigmoid_jvp,
        sigmoid_vjp,
        sigmoid_vjp_jvp,
        m.clone(),
        -3.0,
        3.0
    );
    unary!(
        ops,
        softplus,
        softplus_jvp,
        softplus_vjp,
        softplus_vjp_jvp,
        m.clone(),
        -3.0,
        3.0
    );
    // zero derivatives (away from their jumps)
    unary!(
        ops,
        signum,
        signum_jvp,
        signum_vjp,
        signum_vjp_jvp,
        m.clone(),
        0.2,
        2.0
    );
    unary!(
        ops,
        sign0,
        sign0_jvp,
        sign0_vjp,
        sign0_vjp_jvp,
        m.clone(),
        0.2,
        2.0
    );
    unary!(
        ops,
        step,
        step_jvp,
        step_vjp,
        step_vjp_jvp,
        m.clone(),
        0.2,
        2.0
    );
    unary!(
        ops,
        onehot_max,
        onehot_max_jvp,
        onehot_max_vjp,
        onehot_max_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        onehot_min,
        onehot_min_jvp,
        onehot_min_vjp,
        onehot_min_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    // over the last axis
    unary!(
        ops,
        logsumexp,
        logsumexp_jvp,
        logsumexp_vjp,
        logsumexp_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        softmax,
        softmax_jvp,
        softmax_vjp,
        softmax_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        log_softmax,
        log_softmax_jvp,
        log_softmax_vjp,
        log_softmax_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    // shapes and linear algebra
    unary!(
        ops,
        transpose,
        transpose_jvp,
        transpose_vjp,
        transpose_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    unary!(
        ops,
        inverse,
        inverse_jvp,
        inverse_vjp,
        inverse_vjp_jvp,
        vec![3, 3],
        -2.0,
        2.0
    );
    // reductions
    reduce!(
        ops,
        sum,
        sum_jvp,
        sum_vjp,
        sum_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    reduce!(
        ops,
        mean,
        mean_jvp,
        mean_vjp,
        mean_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    reduce!(
        ops,
        norm,
        norm_jvp,
        norm_vjp,
        norm_vjp_jvp,
        m.clone(),
        0.2,
        2.0
    );
    reduce!(
        ops,
        max,
        max_jvp,
        max_vjp,
        max_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    reduce!(
        ops,
        min,
        min_jvp,
        min_vjp,
        min_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    reduce!(
        ops,
        logdet,
        logdet_jvp,
        logdet_vjp,
        logdet_vjp_jvp,
        vec![3, 3],
        -2.0,
        2.0
    );
    // two tensors
    binary!(
        ops,
        add,
        add_jvp,
        add_vjp,
        add_vjp_jvp,
        m.clone(),
        m.clone(),
        -2.0,
        2.0
    );
    binary!(
        ops,
        sub,
        sub_jvp,
        sub_vjp,
        sub_vjp_jvp,
        m.clone(),
        m.clone(),
        -2.0,
        2.0
    );
    binary!(
        ops,
        mul,
        mul_jvp,
        mul_vjp,
        mul_vjp_jvp,
        m.clone(),
        m.clone(),
        -2.0,
        2.0
    );
    binary!(
        ops,
        div,
        div_jvp,
        div_vjp,
        div_vjp_jvp,
        m.clone(),
        m.clone(),
        0.5,
        2.0
    );
    binary!(
        ops,
        matmul,
        matmul_jvp,
        matmul_vjp,
        matmul_vjp_jvp,
        vec![2, 3],
        vec![3, 4],
        -2.0,
        2.0
    );
    binary!(
        ops,
        matmul,
        matmul_jvp,
        matmul_vjp,
        matmul_vjp_jvp,
        vec![3],
        vec![3, 4],
        -2.0,
        2.0
    );
    binary!(
        ops,
        matmul,
        matmul_jvp,
        matmul_vjp,
        matmul_vjp_jvp,
        vec![2, 3],
        vec![3],
        -2.0,
        2.0
    );
    binary!(
        ops,
        matmul_nt,
        matmul_nt_jvp,
        matmul_nt_vjp,
        matmul_nt_vjp_jvp,
        vec![2, 3],
        vec![4, 3],
        -2.0,
        2.0
    );
    binary!(
        ops,
        matmul_tn,
        matmul_tn_jvp,
        matmul_tn_vjp,
        matmul_tn_vjp_jvp,
        vec![3, 2],
        vec![3, 4],
        -2.0,
        2.0
    );
    binary!(
        ops,
        solve,
        solve_jvp,
        solve_vjp,
        solve_vjp_jvp,
        vec![3, 3],
        vec![3, 2],
        -2.0,
        2.0
    );
    binary!(
        ops,
        solve,
        solve_jvp,
        solve_vjp,
        solve_vjp_jvp,
        vec![3, 3],
        vec![3],
        -2.0,
        2.0
    );
    ops.push(Op {
        name: "dot",
        shapes: vec![m.clone(), m.clone()],
        scalars: 0,
        lo: -2.0,
        hi: 2.0,
        value: Box::new(|t, _| s0(ad::dot(&t[0], &t[1]))),
        jvp: Box::new(|t, _, d, _| s0(ad::dot_jvp(&t[0], &t[1], &d[0], &d[1]).1)),
        vjp: Box::new(|t, _, g| {
            let (_, a, b) = ad::dot_vjp(&t[0], &t[1], g.item());
            (vec![a, b], vec![])
        }),
        vjp_jvp: Some(Box::new(|t, _, g, d, _| {
            let (_, (_, da, db)) = ad::dot_vjp_jvp(&t[0], &t[1], g.item(), &d[0], &d[1], F::ZERO);
            (vec![da, db], vec![])
        })),
    });
    // a scalar with a tensor
    ops.push(Op {
        name: "scale",
        shapes: vec![m.clone()],
        scalars: 1,
        lo: -2.0,
        hi: 2.0,
        value: Box::new(|t, s| ad::scale(s[0], &t[0])),
        jvp: Box::new(|t, s, d, ds| ad::scale_jvp(s[0], &t[0], ds[0], &d[0]).1),
        vjp: Box::new(|t, s, g| {
            let (_, ds, dt) = ad::scale_vjp(s[0], &t[0], g);
            (vec![dt], vec![ds])
        }),
        vjp_jvp: Some(Box::new(|t, s, g, d, ds| {
            let (_, (_, dds, ddt)) =
                ad::scale_vjp_jvp(s[0], &t[0], g, ds[0], &d[0], &g.zeros_like());
            (vec![ddt], vec![dds])
        })),
    });
    with_scalar!(
        ops,
        add_scalar,
        add_scalar_jvp,
        add_scalar_vjp,
        add_scalar_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    with_scalar!(
        ops,
        div_scalar,
        div_scalar_jvp,
        div_scalar_vjp,
        div_scalar_vjp_jvp,
        m.clone(),
        0.5,
        2.0
    );
    with_scalar!(
        ops,
        powf,
        powf_jvp,
        powf_vjp,
        powf_vjp_jvp,
        m.clone(),
        0.5,
        2.0
    );
    with_scalar!(
        ops,
        fill_like,
        fill_like_jvp,
        fill_like_vjp,
        fill_like_vjp_jvp,
        m.clone(),
        -2.0,
        2.0
    );
    ops.push(Op {
        name: "scalar",
        shapes: vec![],
        scalars: 1,
        lo: -2.0,
        hi: 2.0,
        value: Box::new(|_, s| ad::scalar(s[0])),
        jvp: Box::new(|_, s, _, ds| ad::scalar_jvp(s[0], ds[0]).1),
        vjp: Box::new(|_, s, g| (vec![], vec![ad::scalar_vjp(s[0], g).1])),
        vjp_jvp: Some(Box::new(|_, s, g, _, ds| {
            let (_, (_, dds)) = ad::scalar_vjp_jvp(s[0], g, ds[0], &g.zeros_like());
            (vec![], vec![dds])
        })),
    });
    // integer and shape parameters (not differentiated)
    for n in [0, 1, 3] {
        ops.push(Op {
            name: "powi",
            shapes: vec![m.clone()],
            scalars: 0,
            lo: 0.3,
            hi: 2.0,
            value: Box::new(move |t, _| ad::powi(&t[0], n)),
            jvp: Box::new(move |t, _, d, _| ad::powi_jvp(&t[0], n, &d[0]).1),
            vjp: Box::new(move |t, _, g| (vec![ad::powi_vjp(&t[0], n, g).1], vec![])),
            vjp_jvp: Some(Box::new(move |t, _, g, d, _| {
                let (_, (_, dd)) = ad::powi_vjp_jvp(&t[0], n, g, &d[0], &g.zeros_like());
                (vec![dd], vec![])
            })),
        });
    }
    ops.push(Op {
        name: "reshape",
        shapes: vec![m.clone()],
        scalars: 0,
        lo: -2.0,
        hi: 2.0,
        value: Box::new(|t, _| ad::reshape(&t[0], &[3, 2])),
        jvp: Box::new(|t, _, d, _| ad::reshape_jvp(&t[0], &[3, 2], &d[0]).1),
        vjp: Box::new(|t, _, g| (vec![ad::reshape_vjp(&t[0], &[3, 2], g).1], vec![])),
        vjp_jvp: Some(Box::new(|t, _, g, d, _| {
            let (_, (_, dd)) = ad::reshape_vjp_jvp(&t[0], &[3, 2], g, &d[0], &g.zeros_like());
            (vec![dd], vec![])
        })),
    });
    for axis in [0, 1] {
        ops.push(Op {
            name: "sum_axis",
            shapes: vec![m.clone()],
            scalars: 0,
            lo: -2.0,
            hi: 2.0,
            value: Box::new(move |t, _| ad::sum_axis(&t[0], axis)),
            jvp: Box::new(move |t, _, d, _| ad::sum_axis_jvp(&t[0], axis, &d[0]).1),
            vjp: Box::new(move |t, _, g| (vec![ad::sum_axis_vjp(&t[0], axis, g).1], vec![])),
            vjp_jvp: Some(Box::new(move |t, _, g, d, _| {
                let (_, (_, dd)) = ad::sum_axis_vjp_jvp(&t[0], axis, g, &d[0], &g.zeros_like());
                (vec![dd], vec![])
            })),
        });
        ops.push(Op {
            name: "expand_axis",
            shapes: vec![m.clone()],
            scalars: 0,
            lo: -2.0,
            hi: 2.0,
            value: Box::new(move |t, _| ad::expand_axis(&t[0], axis, 4)),
            jvp: Box::new(move |t, _, d, _| ad::expand_axis_jvp(&t[0], axis, 4, &d[0]).1),
            vjp: Box::new(move |t, _, g| (vec![ad::expand_axis_vjp(&t[0], axis, 4, g).1], vec![])),
            vjp_jvp: Some(Box::new(move |t, _, g, d, _| {
                let (_, (_, dd)) =
                    ad::expand_axis_vjp_jvp(&t[0], axis, 4, g, &d[0], &g.zeros_like());
                (vec![dd], vec![])
            })),
        });
    }
    ops.push(Op {
        name: "to_vec",
        shapes: vec![m.clone()],
        scalars: 0,
        lo: -2.0,
        hi: 2.0,
        value: Box::new(|t, _| Tensor::from_vec(ad::to_vec(&t[0]), &[6])),
        jvp: Box::new(|t, _, d, _| Tensor::from_vec(ad::to_vec_jvp(&t[0], &d[0]).1, &[6])),
        vjp: Box::new(|t, _, g| (vec![ad::to_vec_vjp(&t[0], g.as_slice()).1], vec![])),
        vjp_jvp: None,
    });
    ops.push(Op {
        name: "from_vec",
        shapes: vec![vec![6]],
        scalars: 0,
        lo: -2.0,
        hi: 2.0,
        value: Box::new(|t, _| ad::from_vec(t[0].as_slice(), &[2, 3])),
        jvp: Box::new(|t, _, d, _| ad::from_vec_jvp(t[0].as_slice(), &[2, 3], d[0].as_slice()).1),
        vjp: Box::new(|t, _, g| {
            (
                vec![Tensor::from_vec(
                    ad::from_vec_vjp(t[0].as_slice(), &[2, 3], g).1,
                    &[6],
                )],
                vec![],
            )
        }),
        vjp_jvp: None,
    });
    // first-order rules only
    ops.push(Op {
        name: "cholesky",
        shapes: vec![vec![3, 3]],
        scalars: 0,
        lo: -1.0,
        hi: 1.0,
        value: Box::new(|t, _| ad::cholesky(&spd(&t[0]))),
        jvp: Box::new(|t, _, d, _| ad::cholesky_jvp(&spd(&t[0]), &spd_tangent(&t[0], &d[0])).1),
        vjp: Box::new(|t, _, g| {
            let da = ad::cholesky_vjp(&spd(&t[0]), g).1;
            (vec![spd_adjoint(&t[0], &da)], vec![])
        }),
        vjp_jvp: None,
    });
    ops
}

/// `M M^T + 3 I`: symmetric positive definite for any `M` (so cholesky's
/// rules are checked through a map that keeps its input valid).
fn spd<F: Real>(m: &Tensor<F>) -> Tensor<F> {
    &m.matmul(&m.transpose()) + &(Tensor::eye(3) * F::from_f64(3.0))
}
fn spd_tangent<F: Real>(m: &Tensor<F>, dm: &Tensor<F>) -> Tensor<F> {
    &dm.matmul(&m.transpose()) + &m.matmul(&dm.transpose())
}
/// The adjoint of `M` given `A`'s (cholesky reads the lower triangle, so the
/// adjoint of `A` is taken as it comes).
fn spd_adjoint<F: Real>(m: &Tensor<F>, da: &Tensor<F>) -> Tensor<F> {
    &da.matmul(m) + &da.transpose().matmul(m)
}

/// Deterministic values in [lo, hi]; a square matrix gets a strong diagonal.
fn input<F: Real>(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor<F> {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut data: Vec<F> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            F::from_f64(lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64))
        })
        .collect();
    if shape.len() == 2 && shape[0] == shape[1] {
        for i in 0..shape[0] {
            data[i * shape[0] + i] += F::from_f64(4.0);
        }
    }
    Tensor::from_vec(data, shape)
}

fn scalar_in<F: Real>(lo: f64, hi: f64, k: usize) -> F {
    F::from_f64(lo + (hi - lo) * (0.37 + 0.21 * k as f64).fract())
}

fn inputs<F: Real>(op: &Op<F>, seed: u64) -> (Ts<F>, Ss<F>) {
    let ts = op
        .shapes
        .iter()
        .enumerate()
        .map(|(i, s)| input(s, op.lo, op.hi, seed + i as u64))
        .collect();
    let ss = (0..op.scalars)
        .map(|k| scalar_in(op.lo, op.hi, k + seed as usize))
        .collect();
    (ts, ss)
}

fn directions<F: Real>(op: &Op<F>, seed: u64) -> (Ts<F>, Ss<F>) {
    let ts = op
        .shapes
        .iter()
        .enumerate()
        .map(|(i, s)| input(s, -1.0, 1.0, 100 + seed + i as u64))
        .collect();
    let ss = (0..op.scalars)
        .map(|k| scalar_in(-1.0, 1.0, 7 + k))
        .collect();
    (ts, ss)
}

/// `x + h d` for every input.
fn step<F: Real>(t: &Ts<F>, s: &Ss<F>, dt: &Ts<F>, ds: &Ss<F>, h: F) -> (Ts<F>, Ss<F>) {
    (
        t.iter().zip(dt).map(|(x, d)| x + &(d * h)).collect(),
        s.iter().zip(ds).map(|(x, d)| *x + *d * h).collect(),
    )
}

fn pair<F: Real>(ts: &Ts<F>, ss: &Ss<F>, dt: &Ts<F>, ds: &Ss<F>) -> f64 {
    ts.iter()
        .zip(dt)
        .map(|(a, b)| a.dot(b).to_f64())
        .sum::<f64>()
        + ss.iter()
            .zip(ds)
            .map(|(a, b)| (*a * *b).to_f64())
            .sum::<f64>()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn forward_rules_match_central_differences_f64() {
    for op in table::<f64>() {
        let (t, s) = inputs(&op, 1);
        let (dt, ds) = directions(&op, 1);
        let jv = (op.jvp)(&t, &s, &dt, &ds);
        let h = 1e-6;
        let (tp, sp) = step(&t, &s, &dt, &ds, h);
        let (tm, sm) = step(&t, &s, &dt, &ds, -h);
        let fd = &((op.value)(&tp, &sp) - (op.value)(&tm, &sm)) / (2.0 * h);
        assert_eq!(jv.shape(), fd.shape(), "{}", op.name);
        for (a, b) in jv.as_slice().iter().zip(fd.as_slice()) {
            assert!(
                close(*a, *b, 1e-6),
                "{}: jvp {a} vs central difference {b}",
                op.name
            );
        }
    }
}

fn dot_product_test<F: Real>(tol: f64) {
    for op in table::<F>() {
        let (t, s) = inputs(&op, 2);
        let (dt, ds) = directions(&op, 2);
        let jv = (op.jvp)(&t, &s, &dt, &ds);
        let w = input::<F>(jv.shape(), -1.0, 1.0, 77);
        let (at, as_) = (op.vjp)(&t, &s, &w);
        let lhs = w.dot(&jv).to_f64();
        let rhs = pair(&at, &as_, &dt, &ds);
        assert!(
            close(lhs, rhs, tol),
            "{} ({}): <w, J v> = {lhs} but <J^T w, v> = {rhs}",
            op.name,
            F::NAME
        );
    }
}

#[test]
fn reverse_rules_pass_the_dot_product_test_f64() {
    dot_product_test::<f64>(1e-12);
}

#[test]
fn reverse_rules_pass_the_dot_product_test_f32() {
    dot_product_test::<f32>(1e-4);
}

#[test]
fn second_order_rules_match_differences_of_the_reverse_rules_f64() {
    for op in table::<f64>() {
        let Some(vjp_jvp) = &op.vjp_jvp else { continue };
        let (t, s) = inputs(&op, 3);
        let (dt, ds) = directions(&op, 3);
        let g = input::<f64>((op.value)(&t, &s).shape(), -1.0, 1.0, 55);
        let (ht, hs) = vjp_jvp(&t, &s, &g, &dt, &ds);
        let h = 1e-6;
        let (tp, sp) = step(&t, &s, &dt, &ds, h);
        let (tm, sm) = step(&t, &s, &dt, &ds, -h);
        let (up_t, up_s) = (op.vjp)(&tp, &sp, &g);
        let (dn_t, dn_s) = (op.vjp)(&tm, &sm, &g);
        for (k, hv) in ht.iter().enumerate() {
            let fd = &(&up_t[k] - &dn_t[k]) / (2.0 * h);
            for (a, b) in hv.as_slice().iter().zip(fd.as_slice()) {
                assert!(close(*a, *b, 1e-5), "{}: second order {a} vs {b}", op.name);
            }
        }
        for (k, hv) in hs.iter().enumerate() {
            let fd = (up_s[k] - dn_s[k]) / (2.0 * h);
            assert!(
                close(*hv, fd, 1e-5),
                "{}: second order (scalar) {hv} vs {fd}",
                op.name
            );
        }
    }
}

#[test]
fn the_table_covers_every_operation() {
    let src = include_str!("../src/tensor/ad.rs");
    let names: std::collections::BTreeSet<&str> = table::<f64>().iter().map(|o| o.name).collect();
    // ops declared one by one (`pub fn NAME`), and in the `flat!` and
    // `elementwise!` lists (`NAME, NAME_vjp, ...`)
    let mut declared = Vec::new();
    for line in src.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("pub fn ") {
            let name = rest.split(['<', '(']).next().unwrap();
            if !name.ends_with("_vjp")
                && !name.ends_with("_jvp")
                && !name.ends_with("_pb")
                && !name.ends_with("_partial")
            {
                declared.push(name.to_string());
            }
        }
        // `sin, sin_vjp, sin_jvp, sin_pb:` and `sign0, sign0_vjp, sign0_jvp =>`
        if let Some((first, rest)) = l.split_once(", ") {
            if rest.starts_with(&format!("{first}_vjp")) && !first.contains(' ') {
                declared.push(first.to_string());
            }
        }
    }
    // the macros' templates (`pub fn $name`) are not operations
    declared.retain(|n| !n.starts_with('$'));
    assert!(declared.len() > 60, "the scan found only {declared:?}");
    for name in declared {
        assert!(
            names.contains(name.as_str()),
            "tensor::ad::{name} has no row in tests/tensor_ops.rs"
        );
    }
}
