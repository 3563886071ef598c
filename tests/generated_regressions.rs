//! One test per engine bug the random-program generator (`tools/progen`,
//! see docs/TESTING.md) found, named after it (the F-series; F16 is the front-end
//! fuzzer's, in autodiff-macros/src/fuzz.rs, and F15 is in tests/regressions.rs).
//! Each is a small program with the construct that failed (the generated
//! program minimised), checked against closed forms.
// Most derivatives below are exact; the forms under test are written as the
// generator writes them (`t = t * x`, `vec![..]`, `push` after `with_capacity`).
#![allow(
    clippy::float_cmp,
    clippy::assign_op_pattern,
    clippy::useless_vec,
    clippy::vec_init_then_push
)]
use differentiate::prelude::*;
use differentiate::testing::approx_eq;

#[track_caller]
fn close(got: f64, want: f64) {
    assert!(
        approx_eq(got, want, 1e-14, 1e-14),
        "got {got:e}, want {want:e}"
    );
}

// F1: a float method in path form on literals (`f64::sin(0.5)`, `f64::powf(2.0,
// x)`): lowered to the method form `(0.5).sin()`, an ambiguous `{float}`
// (E0689). (The failing program was not kept; on the pinned toolchain these
// forms compile even with the old lowering, so this guards the construct.)
#[differentiate(forward)]
#[differentiate(reverse)]
fn f1_path_literals(x: f64) -> f64 {
    f64::sin(0.5) * x + f64::max(1.5, 2.0) * x * x + f64::hypot(3.0, x)
}

#[test]
fn f1_path_form_of_literals() {
    let s = 0.5f64.sin();
    // f = s x + 2 x^2 + hypot(3, x): f' = s + 4 x + x / hypot, f'' = 4 + 9 / hypot^3
    let (v, g) = f1_path_literals_vjp(4.0, 1.0);
    close(v, 4.0 * s + 32.0 + 5.0);
    close(g, s + 16.0 + 0.8);
    close(f1_path_literals_jvp(4.0, 2.0).1, 2.0 * g);
    let (_, (_, h)) = f1_path_literals_vjp_jvp(4.0, 1.0, 1.0, 0.0);
    close(h, 4.0 + 9.0 / 125.0);
}

// F2: vector element writes after an early return, and to a vector declared
// in a block: the reverse sweep used one save stack for the old element and
// for the whole vector (a type error).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f2_vec_writes(x: f64, y: f64) -> f64 {
    let mut w = vec![x, y, x * y];
    if x > 2.0 {
        return x;
    }
    w[1] = w[0] * w[2];
    if y > 0.0 {
        let mut v = vec![x, y];
        v[0] = v[0] * v[1];
        w[2] = v[0] + w[2];
    }
    w[1] + w[2]
}

#[test]
fn f2_vector_element_writes_after_return_and_in_a_block() {
    // y > 0: f = x * x y + (x y + x y) = x^2 y + 2 x y
    let (x, y) = (1.5, 0.5);
    let (v, gx, gy) = f2_vec_writes_vjp(x, y, 1.0);
    assert_eq!(v, x * x * y + 2.0 * x * y);
    assert_eq!((gx, gy), (2.0 * x * y + 2.0 * y, x * x + 2.0 * x));
    assert_eq!(f2_vec_writes_jvp(x, y, 0.0, 1.0).1, x * x + 2.0 * x);
    // Hessian column along x: (2 y, 2 x + 2)
    assert_eq!(
        f2_vec_writes_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0).1,
        (gx, 2.0 * y, 2.0 * x + 2.0)
    );
    // y < 0 skips the block: f = x^2 y + x y; x > 2 returns x
    assert_eq!(f2_vec_writes_vjp(1.0, -2.0, 1.0), (-4.0, -6.0, 2.0));
    assert_eq!(f2_vec_writes_vjp(3.0, -2.0, 1.0), (3.0, 1.0, 0.0));
}

// F3: `continue` in a loop nested in another loop, with values the reverse
// sweep restores (`cannot find value skip`). (The failing program was not
// kept and this one passes with the old engine too: it guards the construct.)
#[differentiate(forward)]
#[differentiate(reverse)]
fn f3_nested_continue(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let mut t = x;
        for j in 0..3 {
            if j == i {
                continue;
            }
            t = t * x;
        }
        s += t.sin();
    }
    s
}

#[test]
fn f3_continue_in_a_nested_loop() {
    // every t is x^3: f = 3 sin(x^3), f' = 9 x^2 cos(x^3)
    let x: f64 = 0.75;
    let x3 = x * x * x;
    let (v, g) = f3_nested_continue_vjp(x, 1.0);
    close(v, 3.0 * x3.sin());
    close(g, 9.0 * x * x * x3.cos());
    close(f3_nested_continue_jvp(x, 1.0).1, g);
    // f'' = 18 x cos(x^3) - 27 x^4 sin(x^3)
    let (_, (_, h)) = f3_nested_continue_vjp_jvp(x, 1.0, 1.0, 0.0);
    close(h, 18.0 * x * x3.cos() - 27.0 * x3 * x * x3.sin());
}

// F4: `return` in a loop around an inner loop that leaves by `break`: the
// reverse sweep took the inner `break` for one of the outer loop (wrong
// values, or `cannot find value broke`). (The failing program was not kept
// and this one passes with the old engine too: it guards the construct.)
#[differentiate(forward)]
#[differentiate(reverse)]
fn f4_return_around_break(x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        let mut j = 0;
        loop {
            j += 1;
            s = s * 1.5 + x;
            if j >= 2 {
                break;
            }
        }
        if i == 2 {
            return s * x;
        }
    }
    s
}

#[test]
fn f4_return_in_a_loop_around_a_loop_with_break() {
    // s = a x with a <- 1.5 a + 1 six times from 1: a = 32.171875; f = a x^2
    let a = 32.171875;
    assert_eq!(
        f4_return_around_break_vjp(0.5, 1.0),
        (a * 0.25, 2.0 * a * 0.5)
    );
    assert_eq!(f4_return_around_break_jvp(0.5, 1.0), (a * 0.25, a));
    assert_eq!(
        f4_return_around_break_vjp_jvp(0.5, 1.0, 1.0, 0.0).1,
        (a, 2.0 * a)
    );
}

// F5: a call taking a borrowed block local (`g(&[a, b])`, `g(&local)`) in a
// branch or a loop: the pullback kept the borrow past the block (E0716).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f5_product(s: &[f64]) -> f64 {
    s[0] * s[1]
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f5_borrowed_locals(x: f64, y: f64) -> f64 {
    let mut r = 0.0;
    if x > 0.0 {
        r = f5_product(&[x, y]);
    }
    for i in 0..2 {
        let a = [x, y * (i as f64)];
        r += f5_product(&a);
    }
    r
}

#[test]
fn f5_borrowed_block_locals_in_a_branch_and_a_loop() {
    // x > 0: f = x y + 0 + x y = 2 x y
    assert_eq!(f5_borrowed_locals_vjp(1.5, 0.5, 1.0), (1.5, 1.0, 3.0));
    assert_eq!(f5_borrowed_locals_jvp(1.5, 0.5, 1.0, 1.0), (1.5, 4.0));
    assert_eq!(
        f5_borrowed_locals_vjp_jvp(1.5, 0.5, 1.0, 1.0, 0.0, 0.0).1,
        (1.0, 0.0, 2.0)
    );
    assert_eq!(f5_borrowed_locals_vjp(-1.0, 2.0, 1.0), (-2.0, 2.0, -1.0));
}

// F6, F11: loops after an early return: the forward sweep runs in a block
// (`if go { .. }`), and the reverse sweep read values declared in it
// (`cannot find value t2`, `iters`). (The failing programs were not kept and
// this one passes with the old engine too: it guards the construct.)
#[differentiate(forward)]
#[differentiate(reverse)]
fn f6_loops_after_return(x: f64, s: &[f64]) -> f64 {
    if x > 2.0 {
        return x;
    }
    let mut r = x;
    for i in 0..s.len() {
        r = r * s[i] + x;
    }
    let mut k = 0;
    while k < 2 {
        r = r * x;
        k += 1;
    }
    r
}

#[test]
fn f6_f11_loops_after_an_early_return() {
    // s = [2, 3]: r = (2 x + x) 3 + x = 10 x, then f = 10 x^3
    let s = [2.0, 3.0];
    let (v, g, gs) = f6_loops_after_return_vjp(0.5, &s, 1.0);
    assert_eq!((v, g), (1.25, 7.5));
    // df/ds0 = 3 x * x^2, df/ds1 = 3 x * x^2
    assert_eq!(gs, vec![0.375, 0.375]);
    assert_eq!(
        f6_loops_after_return_jvp(0.5, &s, 1.0, &[0.0, 0.0]),
        (1.25, 7.5)
    );
    // f'' = 60 x
    let ((_, g2, _), (_, h, _)) =
        f6_loops_after_return_vjp_jvp(0.5, &s, 1.0, 1.0, &[0.0, 0.0], 0.0);
    assert_eq!((g2, h), (7.5, 30.0));
    assert_eq!(
        f6_loops_after_return_vjp(3.0, &s, 1.0),
        (3.0, 1.0, vec![0.0, 0.0])
    );
}

// F8: `g(&a)` with `a` an array parameter of the caller: the pullback
// borrowed a by-value parameter (E0597 / E0515).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f8_inner(s: &[f64]) -> f64 {
    s[0] * s[1] + s[2]
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f8_array_param(a: [f64; 3], x: f64) -> f64 {
    f8_inner(&a) * x
}

#[test]
fn f8_borrowed_array_parameter() {
    let a = [2.0, 3.0, 4.0];
    assert_eq!(
        f8_array_param_vjp(a, 0.5, 1.0),
        (5.0, [1.5, 1.0, 0.5], 10.0)
    );
    assert_eq!(f8_array_param_jvp(a, 0.5, [0.0; 3], 1.0), (5.0, 10.0));
    // Hessian column along x: d/dx of (a1 x, a0 x, x, a0 a1 + a2)
    assert_eq!(
        f8_array_param_vjp_jvp(a, 0.5, 1.0, [0.0; 3], 1.0, 0.0).1,
        (10.0, [3.0, 2.0, 1.0], 0.0)
    );
}

// F9: `Vec::with_capacity` + `push` on a vector declared in a branch or a
// loop: at second order the vector popped back in the reverse sweep was not
// `mut` (E0596).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f9_pushes(x: f64) -> f64 {
    let mut s = x;
    if x > 0.0 {
        let mut w = Vec::with_capacity(2);
        w.push(x * 2.0);
        w.push(x * x);
        s = w[0] * w[1];
    }
    for i in 0..2 {
        let mut w = Vec::with_capacity(2);
        w.push(x * (i as f64));
        w.push(x);
        s += w[0] * w[1];
    }
    s
}

#[test]
fn f9_pushes_onto_block_local_vectors() {
    // x > 0: f = 2 x^3 + 0 + x^2, f' = 6 x^2 + 2 x, f'' = 12 x + 2
    assert_eq!(f9_pushes_vjp(1.5, 1.0), (9.0, 16.5));
    assert_eq!(f9_pushes_jvp(1.5, 1.0), (9.0, 16.5));
    assert_eq!(
        f9_pushes_vjp_jvp(1.5, 1.0, 1.0, 0.0),
        ((9.0, 16.5), (16.5, 20.0))
    );
    // x < 0: f = x + x^2
    assert_eq!(f9_pushes_vjp(-0.5, 1.0), (-0.25, 0.0));
}

// F10: the variable of a `for` over constants inside an array literal: the
// array was taken as inactive (a wrong derivative).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f10_loop_value_in_array(x: f64) -> f64 {
    let mut s = 0.0;
    for c in [0.5, 1.5] {
        let a = [c, x * c];
        s += a[0] * a[1];
    }
    s
}

#[test]
fn f10_loop_value_in_an_array_literal() {
    // f = (0.25 + 2.25) x
    assert_eq!(f10_loop_value_in_array_vjp(2.0, 1.0), (5.0, 2.5));
    assert_eq!(f10_loop_value_in_array_jvp(2.0, 1.0), (5.0, 2.5));
    assert_eq!(
        f10_loop_value_in_array_vjp_jvp(2.0, 1.0, 1.0, 0.0).1,
        (2.5, 0.0)
    );
}

// F12: a call's result inside an array literal: forward over reverse failed
// with an internal error ("this place cannot be written").
#[differentiate(forward)]
#[differentiate(reverse)]
fn f12_square(x: f64) -> f64 {
    x * x
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f12_call_in_array(x: f64) -> f64 {
    let a = [f12_square(x), x];
    a[0] * a[1]
}

#[test]
fn f12_call_result_in_an_array_literal() {
    // f = x^3
    assert_eq!(f12_call_in_array_vjp(1.5, 1.0), (3.375, 6.75));
    assert_eq!(f12_call_in_array_jvp(1.5, 1.0), (3.375, 6.75));
    assert_eq!(f12_call_in_array_vjp_jvp(1.5, 1.0, 1.0, 0.0).1, (6.75, 9.0));
}

// F13: `x.powi(n)` at x = 0: the rule `n x^(n-1)` gave NaN for n = 0 (0 *
// inf) and, differentiated again, for n = 1.
#[differentiate(forward)]
#[differentiate(reverse)]
fn f13_powi(x: f64, n: i32) -> f64 {
    x.powi(n)
}

#[test]
fn f13_powi_at_zero() {
    // (f, f', f'') at 0 for n = 0, 1, 2, 3
    for (n, want) in [
        (0, (1.0, 0.0, 0.0)),
        (1, (0.0, 1.0, 0.0)),
        (2, (0.0, 0.0, 2.0)),
        (3, (0.0, 0.0, 0.0)),
    ] {
        let ((v, g), (_, h)) = f13_powi_vjp_jvp(0.0, n, 1.0, 1.0, 0.0);
        assert_eq!((v, g, h), want, "n = {n}");
        assert_eq!(f13_powi_jvp(0.0, n, 1.0), (want.0, want.1), "n = {n}");
    }
}

// F14: a constant pushed onto a vector: at second order the adjoint vector
// and its tangent were popped out of step (a wrong second derivative).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f14_const_push(x: f64) -> f64 {
    let mut w = Vec::new();
    for i in 0..2 {
        w.push(1.5);
        w.push(x * (i as f64 + 1.0));
    }
    w[0] * w[1] * w[3] + w[2] * x
}

#[test]
fn f14_constant_pushed_onto_a_vector() {
    // f = 1.5 x 2 x + 1.5 x = 3 x^2 + 1.5 x: f' = 6 x + 1.5, f'' = 6
    assert_eq!(f14_const_push_vjp(0.5, 1.0), (1.5, 4.5));
    assert_eq!(f14_const_push_jvp(0.5, 1.0), (1.5, 4.5));
    assert_eq!(
        f14_const_push_vjp_jvp(0.5, 1.0, 1.0, 0.0),
        ((1.5, 4.5), (4.5, 6.0))
    );
}

// F7: an output that depends on the active inputs only through steps
// (`floor`, `round`, a constant), in a function with a slice parameter.
// Forward mode built the zero tangent of such an output from the value
// after moving the value into the pair (E0382 in `_vjp_jvp`, whose output
// holds the slice's adjoint `Vec`), and an early `return` of an inactive
// value built it from the function's final result, a temporary not in
// scope at the `return` (E0425).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f7_stepped(x: f64, s: &[f64]) -> f64 {
    if x > 1.0 {
        return (x * s[1]).floor();
    }
    (x * s[0]).round() * 2.0
}

#[differentiate(forward)]
fn f7_rows(x: f64, k: usize) -> Vec<f64> {
    if k == 0 {
        return vec![1.0, 2.0];
    }
    vec![x, x * x]
}

#[differentiate(forward)]
fn f7_rows_late(x: f64, k: usize) -> Vec<f64> {
    if k == 0 {
        return vec![x, 2.0];
    }
    vec![1.0, 3.0]
}

#[test]
fn f7_inactive_output() {
    // piecewise constant in (x, s): every derivative is zero, on both returns
    let zero = (0.0, 0.0, vec![0.0, 0.0]);
    let ((v, a, b), t) = f7_stepped_vjp_jvp(3.0, &[1.0, 2.5], 1.0, 1.0, &[1.0, 1.0], 1.0);
    assert_eq!(((v, a, b), t), ((7.0, 0.0, vec![0.0, 0.0]), zero.clone()));
    let ((v, a, b), t) = f7_stepped_vjp_jvp(0.5, &[1.4, 0.0], -2.0, 1.0, &[1.0, 1.0], 3.0);
    assert_eq!(((v, a, b), t), ((2.0, 0.0, vec![0.0, 0.0]), zero));
    assert_eq!(
        f7_stepped_vjp(0.5, &[1.4, 0.0], 1.0),
        (2.0, 0.0, vec![0.0, 0.0])
    );
    assert_eq!(
        f7_stepped_jvp(0.5, &[1.4, 0.0], 1.0, &[1.0, 1.0]),
        (2.0, 0.0)
    );
    // an inactive early return, then an active result (and the other way round)
    assert_eq!(f7_rows_jvp(3.0, 0, 1.0), (vec![1.0, 2.0], vec![0.0, 0.0]));
    assert_eq!(f7_rows_jvp(3.0, 1, 1.0), (vec![3.0, 9.0], vec![1.0, 6.0]));
    assert_eq!(
        f7_rows_late_jvp(3.0, 0, 1.0),
        (vec![3.0, 2.0], vec![1.0, 0.0])
    );
    assert_eq!(
        f7_rows_late_jvp(3.0, 1, 1.0),
        (vec![1.0, 3.0], vec![0.0, 0.0])
    );
    assert_eq!(f7_stepped(0.5, &[1.4, 0.0]) + f7_rows(1.0, 0)[1], 4.0);
}

// F17: a tuple holding a call's result, after an early `return` (so the
// function's body is a block of the reverse sweep). The reverse sweep
// rebuilds the tuple at the start of its block (the zero of its adjoint is
// built from it) but recomputed the tuple's other element only later, at
// its last reader: `cannot find value sin_3` (or `t80`, `recip_39`, ...),
// in `_vjp` and `_vjp_jvp` alike.
#[differentiate(forward)]
#[differentiate(reverse)]
fn f17_product(x: f64, y: f64) -> f64 {
    x * y
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f17_tuple_after_return(x: f64, y: f64) -> f64 {
    if x > 1.0 {
        return x;
    }
    let (a, b) = (f17_product(y, x), x.sin());
    a * b
}

#[test]
fn f17_tuple_after_an_early_return() {
    // f = x y sin x (x <= 1)
    let (x, y) = (0.5, 2.0);
    let (s, c) = (x.sin(), x.cos());
    let (fx, fy) = (y * s + x * y * c, x * s);
    let (v, gx, gy) = f17_tuple_after_return_vjp(x, y, 1.0);
    close(v, x * y * s);
    close(gx, fx);
    close(gy, fy);
    close(f17_tuple_after_return_jvp(x, y, 1.0, 0.0).1, fx);
    close(f17_tuple_after_return_jvp(x, y, 0.0, 1.0).1, fy);
    // Hessian columns: f_xx = 2 y c - x y s, f_xy = s + x c, f_yy = 0
    let (hxx, hxy) = (2.0 * y * c - x * y * s, s + x * c);
    let ((_, ax, ay), (_, hx0, hx1)) = f17_tuple_after_return_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
    assert_eq!((ax, ay), (gx, gy));
    close(hx0, hxx);
    close(hx1, hxy);
    let ((_, _, _), (_, hy0, hy1)) = f17_tuple_after_return_vjp_jvp(x, y, 1.0, 0.0, 1.0, 0.0);
    close(hy0, hxy);
    assert_eq!(hy1, 0.0);
    // the early return: f = x
    assert_eq!(f17_tuple_after_return_vjp(2.0, 3.0, 1.0), (2.0, 1.0, 0.0));
    assert_eq!(
        f17_tuple_after_return_vjp_jvp(2.0, 3.0, 1.0, 1.0, 1.0, 0.0),
        ((2.0, 1.0, 0.0), (1.0, 0.0, 0.0))
    );
    assert_eq!(
        f17_tuple_after_return(2.0, 0.0) + f17_product(1.0, 2.0),
        4.0
    );
}

// F18: a float method in path form on a local bound only to a literal
// (`let c = -1.59; f64::fract(c)`). The path types `c`; the method form of
// A-normal form (`c.fract()`) left it an ambiguous `{float}` (E0689).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f18_literal_locals(x: f64) -> f64 {
    let c = -1.59;
    let w = 0.5;
    f64::fract(c) * x + f64::sin(w) * x * x
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f18_literal_receiver_f32(x: f32) -> f32 {
    let c = 3.0;
    f32::hypot(c, x)
}

#[test]
fn f18_path_form_method_of_a_literal_local() {
    let (c, s) = ((-1.59f64).fract(), 0.5f64.sin());
    let x = 0.75;
    // f = c x + s x^2, f' = c + 2 s x, f'' = 2 s
    let (v, g) = f18_literal_locals_vjp(x, 1.0);
    close(v, c * x + s * x * x);
    close(g, c + 2.0 * s * x);
    close(f18_literal_locals_jvp(x, 1.0).1, c + 2.0 * s * x);
    let ((_, g2), (_, h)) = f18_literal_locals_vjp_jvp(x, 1.0, 1.0, 0.0);
    assert_eq!(g2, g);
    close(h, 2.0 * s);
    // hypot(3, x): derivative x / hypot(3, x) (f32 throughout)
    let (v, g) = f18_literal_receiver_f32_vjp(4.0, 1.0);
    assert_eq!((v, g), (5.0, 0.8));
    assert_eq!(f18_literal_receiver_f32_jvp(4.0, 2.0), (5.0, 1.6));
    // d/dx (x / hypot) = 9 / hypot^3
    let ((_, _), (_, h)) = f18_literal_receiver_f32_vjp_jvp(4.0, 1.0, 1.0, 0.0);
    assert!((h - 9.0 / 125.0).abs() <= 1e-7, "{h}");
    assert_eq!(
        f18_literal_locals(0.0) + f18_literal_receiver_f32(0.0) as f64,
        3.0
    );
}
