//! Expansion snapshots: the generated derivative source of key functions,
//! compared with `tests/expand/<name>.expanded.rs`.
//!
//! Every change to code generation shows up here as a diff to review.
//! Re-bless after an intended change with `BLESS=1 cargo test --test expand`.

use differentiate::prelude::*;

#[differentiate(reverse, forward, vector, dump)]
fn straight_line(x: f64, y: f64) -> f64 {
    let t = x * y + x.sin();
    t * t / y
}

#[differentiate(reverse, forward, dump)]
fn branch(x: f64, y: f64) -> f64 {
    if x > y {
        x * x
    } else {
        x * y.exp()
    }
}

#[differentiate(reverse, forward, dump)]
fn loop_with_overwrite(x: f64, n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = (y * 1.5).sin() + y;
    }
    y
}

#[differentiate(reverse, forward, vector)]
fn inner(x: f64) -> f64 {
    x.exp() * x
}

#[differentiate(reverse, forward, vector, dump)]
fn nested_call(x: f64, y: f64) -> f64 {
    inner(x * y) + inner(y)
}

#[differentiate(forward, dump)]
#[differentiate(reverse)]
fn second_order(x: f64, y: f64) -> f64 {
    x * x * y + y.ln()
}

#[differentiate(reverse, dump)]
fn tail_loop(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

#[custom_derivative(reverse = guarded_sqrt_vjp)]
fn guarded_sqrt(x: f64) -> f64 {
    x.sqrt()
}

fn guarded_sqrt_vjp(x: f64, d_out: f64) -> (f64, f64) {
    let y = x.sqrt();
    (y, if y > 0.0 { 0.5 / y * d_out } else { 0.0 })
}

#[differentiate(reverse, dump)]
fn custom_rule_call(x: f64) -> f64 {
    guarded_sqrt(x * x) + x
}

fn check(name: &str, source: &str) {
    let path = format!(
        "{}/tests/expand/{name}.expanded.rs",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, source).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; bless with `BLESS=1 cargo test --test expand`"));
    assert!(
        expected == source,
        "generated code for `{name}` changed; review the diff and re-bless with \
         `BLESS=1 cargo test --test expand`\n--- expected ({path})\n{expected}\n--- got\n{source}"
    );
}

#[test]
fn snapshots() {
    check("straight_line_vjp", STRAIGHT_LINE_VJP_SOURCE);
    check("straight_line_jvp", STRAIGHT_LINE_JVP_SOURCE);
    check("straight_line_jvp_vec", STRAIGHT_LINE_JVP_VEC_SOURCE);
    check("branch_vjp", BRANCH_VJP_SOURCE);
    check("branch_jvp", BRANCH_JVP_SOURCE);
    check("loop_with_overwrite_vjp", LOOP_WITH_OVERWRITE_VJP_SOURCE);
    check("loop_with_overwrite_jvp", LOOP_WITH_OVERWRITE_JVP_SOURCE);
    check("nested_call_vjp", NESTED_CALL_VJP_SOURCE);
    check("nested_call_jvp", NESTED_CALL_JVP_SOURCE);
    check("nested_call_jvp_vec", NESTED_CALL_JVP_VEC_SOURCE);
    check("second_order_vjp_jvp", SECOND_ORDER_VJP_JVP_SOURCE);
    check("tail_loop_vjp", TAIL_LOOP_VJP_SOURCE);
    check("custom_rule_call_vjp", CUSTOM_RULE_CALL_VJP_SOURCE);
}

/// The snapshots are of working code: the numbers agree with closed forms.
#[test]
fn snapshot_functions_compute_the_right_numbers() {
    let (x, y) = (0.7, 1.3);
    let (v, dx, dy) = straight_line_vjp(x, y, 1.0);
    let t = x * y + x.sin();
    assert_eq!(v, straight_line(x, y));
    assert!((dx - 2.0 * t * (y + x.cos()) / y).abs() < 1e-12);
    assert!((dy - (2.0 * t * x / y - t * t / (y * y))).abs() < 1e-12);
    assert!((straight_line_jvp(x, y, 1.0, 0.0).1 - dx).abs() < 1e-12);
    assert_eq!(branch_vjp(2.0, 1.0, 1.0), (4.0, 4.0, 0.0));
    assert_eq!(
        branch_jvp(0.5, 1.0, 0.0, 1.0),
        (branch(0.5, 1.0), 0.5 * 1.0_f64.exp())
    );
    let (v, d) = loop_with_overwrite_jvp(0.3, 3, 1.0);
    let (v2, d2) = loop_with_overwrite_vjp(0.3, 3, 1.0);
    assert_eq!(v, v2);
    assert!((d - d2).abs() < 1e-12);
    let _ = (
        inner(1.0),
        nested_call(1.0, 1.0),
        second_order(1.0, 1.0),
        tail_loop(&[1.0]),
    );
    let (_, a, b) = nested_call_vjp(0.5, 2.0, 1.0);
    let di = |u: f64| u.exp() * (u + 1.0);
    assert!((a - 2.0 * di(1.0)).abs() < 1e-12);
    assert!((b - (0.5 * di(1.0) + di(2.0))).abs() < 1e-12);
    assert!((nested_call_jvp(0.5, 2.0, 1.0, 0.0).1 - a).abs() < 1e-12);
    let (_, t) = nested_call_jvp_vec(0.5, 2.0, Lanes::new([1.0, 0.0]), Lanes::new([0.0, 1.0]));
    assert_eq!(t.to_array(), [a, b]);
    let (_, t) = straight_line_jvp_vec(x, y, Lanes::new([1.0, 0.0]), Lanes::new([0.0, 1.0]));
    assert_eq!(
        t.to_array(),
        [
            straight_line_jvp(x, y, 1.0, 0.0).1,
            straight_line_jvp(x, y, 0.0, 1.0).1
        ]
    );
    let ((_, gx, gy), (_, hxx, hyx)) = second_order_vjp_jvp(1.0, 2.0, 1.0, 1.0, 0.0, 0.0);
    assert_eq!((gx, gy, hxx, hyx), (4.0, 1.5, 4.0, 2.0));
    assert_eq!(tail_loop_vjp(&[1.0, -2.0], 1.0), (5.0, vec![2.0, -4.0]));
    // The rule keeps sqrt'(0) finite (0 instead of +inf) at x = 0.
    assert_eq!(custom_rule_call_vjp(0.0, 1.0), (0.0, 1.0));
    assert_eq!(custom_rule_call_vjp(-3.0, 1.0), (0.0, 0.0));
    assert_eq!(guarded_sqrt(4.0), 2.0);
}
