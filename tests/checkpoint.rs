//! `#[checkpoint]` on a loop: the reverse sweep keeps a snapshot of the loop's
//! state every `every` iterations (the square root of the trip count by
//! default) instead of every iteration's saves, and runs each segment forward
//! again when it gets there. The derivative is the same computation, so every
//! checkpointed gradient here is compared `==` with the same function without
//! the attribute, for trip counts that do and do not divide into segments,
//! empty loops, array state, calls, outer values overwritten after the loop,
//! pullbacks (a checkpointed function called by another) and second order.
// Index loops are what the engine differentiates.
#![allow(clippy::needless_range_loop)]

use differentiate::prelude::*;
mod common;
use common::*;

/// Logistic growth by RK4, `t` steps (the loop of examples/ode.rs), once per
/// loop attribute: the same body, so the gradients must be the same.
macro_rules! logistic_with {
    ($name:ident, ($($every:ident: $ty:ty)?), $(#[$loop_attr:meta])*) => {
        #[differentiate(reverse, forward)]
        fn $name(r: f64, k: f64, y0: f64, t: usize $(, $every: $ty)?) -> f64 {
            let h = 0.01;
            let mut y = y0;
            $(#[$loop_attr])*
            for _s in 0..t {
                let k1 = r * y * (1.0 - y / k);
                let y2 = y + 0.5 * h * k1;
                let k2 = r * y2 * (1.0 - y2 / k);
                let y3 = y + 0.5 * h * k2;
                let k3 = r * y3 * (1.0 - y3 / k);
                let y4 = y + h * k3;
                let k4 = r * y4 * (1.0 - y4 / k);
                y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            }
            y
        }
    };
}

logistic_with!(logistic, (),);
logistic_with!(logistic_ck, (), #[checkpoint]);
// A fixed segment length, given by a parameter.
logistic_with!(logistic_every, (every: usize), #[checkpoint(every = every)]);

#[test]
fn checkpointed_gradients_equal_the_plain_ones_exactly() {
    let (r, k, y0) = (1.3, 2.0, 0.1);
    for t in [0usize, 1, 2, 3, 10, 99, 100, 101, 1000] {
        let plain = logistic_vjp(r, k, y0, t, 1.0);
        assert_eq!(logistic_ck_vjp(r, k, y0, t, 1.0), plain, "t = {t}");
        for every in [1usize, 2, 7, 1000, 5000] {
            assert_eq!(
                logistic_every_vjp(r, k, y0, t, every, 1.0),
                plain,
                "t = {t}, every = {every}"
            );
        }
        // forward mode ignores the attribute
        assert_eq!(
            logistic_ck_jvp(r, k, y0, t, 0.5, -0.25, 2.0),
            logistic_jvp(r, k, y0, t, 0.5, -0.25, 2.0)
        );
    }
    // and the gradient is right: central differences
    let (v, dr, dk, dy0) = logistic_ck_vjp(r, k, y0, 300, 1.0);
    assert_eq!(v, logistic(r, k, y0, 300));
    let f = |p: &[f64]| logistic_ck(p[0], p[1], p[2], 300);
    assert_gradient(f, |_| vec![dr, dk, dy0], &[r, k, y0], 1e-7);
}

#[test]
#[should_panic(expected = "every = 0")]
fn a_segment_of_zero_iterations_is_refused() {
    let _ = logistic_every_vjp(1.3, 2.0, 0.1, 10, 0, 1.0);
}

/// Array state (an RNN-like recurrence on a buffer), a nested loop, a
/// branch, a call, and a value from before the loop (`c`) overwritten after it.
#[differentiate(reverse)]
fn cell(a: f64, b: f64) -> f64 {
    (a * b).tanh() + 0.1 * a
}

macro_rules! recurrence_with {
    ($name:ident, $(#[$loop_attr:meta])*) => {
        #[differentiate(reverse, wrt(w))]
        fn $name(w: &[f64], x: &[f64], t: usize) -> f64 {
            let n = w.len();
            let mut h = vec![0.0; n];
            let mut c = w[0] * 0.5;
            let mut acc = 0.0;
            $(#[$loop_attr])*
            for step in 0..t {
                let xt = x[step % x.len()];
                for j in 0..n {
                    let prev = h[(j + n - 1) % n];
                    h[j] = cell(w[j] * h[j] + c * prev, xt + 1.0);
                }
                if h[0] > 0.0 {
                    acc += h[0] * c;
                } else {
                    acc -= h[n - 1];
                }
            }
            c *= acc;
            let mut s = c;
            for j in 0..n {
                s += h[j] * h[j];
            }
            s
        }
    };
}

recurrence_with!(recurrence,);
recurrence_with!(recurrence_ck, #[checkpoint]);

#[test]
fn array_state_calls_branches_and_outer_values() {
    let w = [0.3, -0.7, 0.9, 0.2];
    let x = [0.5, -1.0, 0.25];
    for t in [0usize, 1, 5, 17, 64] {
        assert_eq!(
            recurrence_ck_vjp(&w, &x, t, 1.0),
            recurrence_vjp(&w, &x, t, 1.0),
            "t = {t}"
        );
    }
    let (_, g) = recurrence_ck_vjp(&w, &x, 40, 1.0);
    assert_gradient(
        |p: &[f64]| recurrence_ck(p, &x, 40),
        |_| g.clone(),
        &w,
        1e-7,
    );
}

/// A checkpointed function called from another differentiated function: the
/// caller's reverse sweep runs the callee's pullback, which checkpoints too.
#[differentiate(reverse)]
fn uses_logistic(r: f64, y0: f64) -> f64 {
    let a = logistic_ck(r, 2.0, y0, 50);
    let b = logistic_ck(r * 0.5, 2.0, a, 30);
    a * b
}

#[test]
fn pullbacks_of_checkpointed_functions() {
    let (v, dr, dy0) = uses_logistic_vjp(1.1, 0.2, 1.0);
    assert_eq!(v, uses_logistic(1.1, 0.2));
    let f = |p: &[f64]| uses_logistic(p[0], p[1]);
    assert_gradient(f, |_| vec![dr, dy0], &[1.1, 0.2], 1e-7);
}

/// Second order: the copy of the reverse code that stacked levels
/// differentiate again runs the loop without checkpoints.
#[differentiate(forward)]
#[differentiate(reverse)]
fn quartic_chain(a: f64, x: f64, t: usize) -> f64 {
    let mut y = x;
    #[checkpoint(every = 3)]
    for _k in 0..t {
        y = (y * a).sin() + 0.5 * y;
    }
    y * y
}

#[test]
fn second_order_through_a_checkpointed_loop() {
    let (a, x, t) = (0.9, 0.4, 10);
    // Hessian column along x: forward differences of the gradient
    let ((_, ga, gx), (_, dga, dgx)) = quartic_chain_vjp_jvp(a, x, t, 1.0, 0.0, 1.0, 0.0);
    let h = 1e-6;
    let (_, ga_p, gx_p) = quartic_chain_vjp(a, x + h, t, 1.0);
    let (_, ga_m, gx_m) = quartic_chain_vjp(a, x - h, t, 1.0);
    close(dga, (ga_p - ga_m) / (2.0 * h), 1e-6);
    close(dgx, (gx_p - gx_m) / (2.0 * h), 1e-6);
    let f = |p: &[f64]| quartic_chain(p[0], p[1], t);
    assert_gradient(f, |_| vec![ga, gx], &[a, x], 1e-7);
}
