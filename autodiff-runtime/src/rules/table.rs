// THE table of scalar primitive derivative rules: one row per primitive.
//
// This file is read twice, and it is the only place these derivatives are written:
// - the runtime `include!`s it inside `rules::f32` and `rules::f64`, where the
//   `scalar_rules!` macro turns each row into a module with `value`, `partials`,
//   `jvp` and `vjp` functions (used by tensor code, by drivers and by the rule
//   tests, which iterate this table);
// - the `#[differentiate]` macro reads it with `include_str!` and inlines the
//   partial derivatives as plain Rust at each use, so generated code is ordinary
//   arithmetic that can itself be differentiated again, to any order.
//
// Formula language (like PyTorch's derivatives.yaml, in Rust syntax):
//
//     name(receiver, arg, ...) -> out: [d out / d receiver, d out / d arg, ...];
//
// - `name` is the float method (`x.name(args)`, also `f64::name(x, args)`).
// - an argument written `n: i32` is not differentiable (no partial is listed for it).
// - `out` names the primal output, so a partial may reuse it (`exp` -> `[y]`).
// - a partial is any expression of the supported subset: arithmetic, float
//   methods, `if`/`else`, literals, and the zero-derivative helpers of
//   `autodiff_runtime::nodiff` (`cast`, `ln2`, `ln10`, `sign0`, `step`, ...).
//
// Non-differentiable points follow JAX's convention, which the docs promise:
// abs'(0) = 0, signum' = 0, max/min ties send the whole adjoint to the FIRST
// argument, sqrt'(0) = +inf, clamp passes the adjoint only strictly inside.
scalar_rules! {
    sin(x) -> y: [x.cos()];
    cos(x) -> y: [-x.sin()];
    tan(x) -> y: [1.0 + y * y];
    asin(x) -> y: [(1.0 - x * x).sqrt().recip()];
    acos(x) -> y: [-(1.0 - x * x).sqrt().recip()];
    atan(x) -> y: [(1.0 + x * x).recip()];
    atan2(x, b) -> y: [b / (x * x + b * b), -x / (x * x + b * b)];
    asinh(x) -> y: [(x * x + 1.0).sqrt().recip()];
    acosh(x) -> y: [(x * x - 1.0).sqrt().recip()];
    atanh(x) -> y: [(1.0 - x * x).recip()];
    sinh(x) -> y: [x.cosh()];
    cosh(x) -> y: [x.sinh()];
    tanh(x) -> y: [1.0 - y * y];
    exp(x) -> y: [y];
    exp2(x) -> y: [y * ln2(x)];
    exp_m1(x) -> y: [y + 1.0];
    ln(x) -> y: [x.recip()];
    log10(x) -> y: [(x * ln10(x)).recip()];
    log2(x) -> y: [(x * ln2(x)).recip()];
    ln_1p(x) -> y: [(1.0 + x).recip()];
    sqrt(x) -> y: [0.5 / y];
    cbrt(x) -> y: [(3.0 * y * y).recip()];
    recip(x) -> y: [-(y * y)];
    powi(x, n: i32) -> y: [if n == 0 { 0.0 } else { cast(n, x) * x.powi(n - 1) }];
    powf(x, p) -> y: [p * x.powf(p - 1.0), if x == 0.0 { 0.0 } else { y * x.ln() }];
    abs(x) -> y: [sign0(x)];
    signum(x) -> y: [0.0];
    hypot(x, b) -> y: [if y == 0.0 { 0.0 } else { x / y }, if y == 0.0 { 0.0 } else { b / y }];
    max(x, b) -> y: [step(x >= b, x), step(!(x >= b), x)];
    min(x, b) -> y: [step(x <= b, x), step(!(x <= b), x)];
    clamp(x, lo, hi) -> y: [step(x > lo && x < hi, x), step(x < lo, x), step(x > hi, x)];
    mul_add(x, a, b) -> y: [a, x, 1.0];
    to_degrees(x) -> y: [deg_per_rad(x)];
    to_radians(x) -> y: [deg_per_rad(x).recip()];
    fract(x) -> y: [1.0];
    floor(x) -> y: [0.0];
    ceil(x) -> y: [0.0];
    round(x) -> y: [0.0];
    trunc(x) -> y: [0.0];
}
