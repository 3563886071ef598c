//! One test per engine bug fixed, named after it (the bug numbers are those of
//! the development log; the F-series of the random-program generator lives in
//! tests/generated_regressions.rs).
#![allow(clippy::float_cmp)] // these derivatives are exact
// `r = r * x` is the form under test, not `r *= x`.
#![allow(clippy::assign_op_pattern)]
use differentiate::prelude::*;

// C1: the same mode stacked twice generates each chain once.
#[differentiate(forward)]
#[differentiate(forward)]
fn c1_wave(x: f64) -> f64 {
    x.sin()
}

#[test]
fn c1_forward_over_forward() {
    let ((v, d), (_, dd)) = c1_wave_jvp_jvp(0.3, 1.0, 1.0, 0.0);
    assert_eq!((v, d, dd), (0.3_f64.sin(), 0.3_f64.cos(), -(0.3_f64.sin())));
    assert_eq!(c1_wave(0.0) + c1_wave_jvp(0.0, 1.0).1, 1.0);
}

// C6: reverse over reverse with a save stack.
#[differentiate(reverse)]
#[differentiate(reverse)]
fn c6_branch(x: f64) -> f64 {
    let mut r = x;
    if x > 0.0 {
        r = r * x;
    }
    r
}

#[test]
fn c6_reverse_over_reverse_with_stacks() {
    assert_eq!(
        c6_branch_vjp_vjp(3.0, 1.0, (0.0, 1.0)),
        ((9.0, 6.0), 2.0, 6.0)
    );
    assert_eq!(c6_branch(2.0) + c6_branch_vjp(2.0, 1.0).1, 8.0);
}

// C9 / C11: jumps to an outer label leave inner loops in reverse mode.
#[differentiate(reverse, forward)]
fn c11_labels(x: f64) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..4 {
        for j in 0..4 {
            if j > i {
                continue 'outer;
            }
            if j == 1 {
                continue;
            }
            s += x;
        }
    }
    s
}

#[test]
fn c11_continue_outer_and_inner() {
    assert_eq!(c11_labels_vjp(2.0, 1.0), (14.0, 7.0));
    assert_eq!(c11_labels_jvp(2.0, 1.0), (14.0, 7.0));
    assert_eq!(c11_labels(1.0), 7.0);
}

// C12: zero tangents `&0.0` / `&()` of calls stay references at second order.
#[differentiate(forward, wrt(x))]
#[differentiate(forward, wrt(x))]
fn c12_cube(x: f64, k: f64) -> f64 {
    k * x * x * x
}

#[differentiate(forward, wrt(x))]
#[differentiate(forward, wrt(x))]
fn c12_caller(x: f64, k: f64) -> f64 {
    c12_cube(k, x) * k
}

#[test]
fn c12_literal_tangents_at_second_order() {
    assert_eq!(
        c12_caller_jvp_jvp(2.0, 3.0, 1.0, 1.0),
        ((162.0, 81.0), (81.0, 0.0))
    );
    assert_eq!(c12_cube(1.0, 2.0) + c12_caller(1.0, 1.0), 3.0);
}

// C10 / G2: indexing the result of an array- or Vec-returning call, at second order.
#[differentiate(forward)]
#[differentiate(reverse)]
fn g2_two(a: &[f64]) -> Vec<f64> {
    vec![a[0] * a[1], a[1]]
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn g2_outer(x: &[f64]) -> f64 {
    let z = g2_two(x);
    z[0] * z[1]
}

#[test]
fn g2_indexed_call_results_at_second_order() {
    // f = x0 x1^2: gradient (x1^2, 2 x0 x1); Hessian column along x0: (0, 2 x1)
    let ((v, g), (tv, tg)) = g2_outer_vjp_jvp(&[1.0, 2.0], 1.0, &[1.0, 0.0], 0.0);
    assert_eq!((v, g, tv, tg), (4.0, vec![4.0, 4.0], 4.0, vec![0.0, 4.0]));
    assert_eq!(g2_two(&[2.0, 3.0]), vec![6.0, 3.0]);
}

// C15: a differentiated function stamped out by `macro_rules!` (hygiene).
macro_rules! make_cube {
    ($name:ident) => {
        #[differentiate(reverse, forward)]
        fn $name(x: f64) -> f64 {
            let y = x * x;
            y * x
        }
    };
}
make_cube!(c15_cube);

#[test]
fn c15_function_from_macro_rules() {
    assert_eq!(c15_cube_vjp(3.0, 1.0), (27.0, 27.0));
    assert_eq!(c15_cube_jvp(3.0, 1.0), (27.0, 27.0));
    assert_eq!(c15_cube(2.0), 8.0);
}

// C16: element writes of f32 arrays at second order.
#[differentiate(forward)]
#[differentiate(reverse)]
fn c16_sq32(a: [f32; 2]) -> f32 {
    let mut b = [0.0; 2];
    b[0] = a[0] * a[1];
    b[1] = a[1];
    b[0] * b[1]
}

#[test]
fn c16_f32_elements_at_second_order() {
    let r = c16_sq32_vjp_jvp([2.0, 3.0], 1.0, [1.0, 0.0], 0.0);
    assert_eq!(r, ((18.0, [9.0, 12.0]), (9.0, [0.0, 6.0])));
    assert_eq!(c16_sq32([1.0, 2.0]), 4.0);
}

// An inactive index overwritten in a loop is restored for the statements before it.
#[differentiate(reverse, forward)]
fn restored_index(x: f64, xs: &[f64]) -> f64 {
    let mut k = 0;
    let a = x * xs[k];
    for _ in 0..2 {
        k += 1;
    }
    a + x * xs[k]
}

#[test]
fn inactive_index_restored_across_a_loop() {
    assert_eq!(
        restored_index_vjp(2.0, &[1.0, 2.0, 3.0], 1.0),
        (8.0, 4.0, vec![2.0, 0.0, 2.0])
    );
    assert_eq!(
        restored_index_jvp(2.0, &[1.0, 2.0, 3.0], 1.0, &[0.0; 3]),
        (8.0, 4.0)
    );
    assert_eq!(restored_index(1.0, &[1.0, 1.0, 1.0]), 2.0);
}

// F15: a local array passed as a slice and written afterwards (the callee's
// pullback must not keep the borrow).
#[differentiate(reverse)]
fn f15_g(s: &[f64]) -> f64 {
    s[0] * s[1]
}

#[differentiate(reverse)]
fn f15_local_array(x: f64, y: f64) -> f64 {
    let mut b = [x, y];
    let r = f15_g(&b);
    b[0] = 2.0 * y;
    r + b[0]
}

#[test]
fn f15_local_array_written_after_being_passed_as_slice() {
    assert_eq!(f15_local_array_vjp(3.0, 5.0, 1.0), (25.0, 5.0, 5.0));
    assert_eq!(f15_g(&[1.0, 2.0]) + f15_local_array(1.0, 1.0), 5.0);
}
