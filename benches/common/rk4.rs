//! The RK4 loop of examples/ode.rs (logistic growth `y' = r y (1 - y/K)`),
//! shared by `benches/rk4.rs` and `tests/bench_correctness_more.rs`: the
//! generated gradient through `steps` RK4 steps with respect to `r`, `K` and
//! `y0`, the same loop under `#[checkpoint]` (segments of ceil(sqrt(steps))
//! steps, or `every` steps), and the discrete adjoint written by hand.
#![allow(dead_code)]

use differentiate::prelude::*;

/// The right-hand side of the logistic equation.
#[differentiate(reverse)]
pub fn logistic_rhs(y: f64, r: f64, k: f64) -> f64 {
    r * y * (1.0 - y / k)
}

/// Defines the RK4 objective once per loop attribute: one body, so the
/// plain and checkpointed gradients are the same computation
/// (tests/bench_correctness_more.rs checks them `==`).
macro_rules! logistic_with {
    ($(#[$doc:meta])* $name:ident, ($($every:ident: $ty:ty)?), $(#[$loop_attr:meta])*) => {
        $(#[$doc])*
        #[differentiate(reverse, wrt(r, k, y0))]
        pub fn $name(r: f64, k: f64, y0: f64, t_end: f64, steps: usize $(, $every: $ty)?) -> f64 {
            let h = t_end / steps as f64;
            let mut y = y0;
            $(#[$loop_attr])*
            for _ in 0..steps {
                let k1 = logistic_rhs(y, r, k);
                let k2 = logistic_rhs(y + 0.5 * h * k1, r, k);
                let k3 = logistic_rhs(y + 0.5 * h * k2, r, k);
                let k4 = logistic_rhs(y + h * k3, r, k);
                y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            }
            y
        }
    };
}

logistic_with!(
    /// `y(t_end)` by `steps` RK4 steps (as in examples/ode.rs).
    logistic,
    (),
);
logistic_with!(
    /// [`logistic`] with `#[checkpoint]` on its loop: the reverse sweep keeps
    /// the state `y` at the start of every segment of ceil(sqrt(steps)) steps
    /// and replays one segment at a time, instead of keeping every step's
    /// saves.
    logistic_ck,
    (),
    #[checkpoint]
);
logistic_with!(
    /// [`logistic`] checkpointed in segments of `every` steps (the last one
    /// shorter when `every` does not divide `steps`).
    logistic_every,
    (every: usize),
    #[checkpoint(every = every)]
);

/// The parameters timed: (r, K, y0, t_end).
pub const PARAMS: (f64, f64, f64, f64) = (0.8, 5.0, 0.2, 10.0);

/// The generated gradient: (y(T), dy/dr, dy/dK, dy/dy0).
pub fn grad_generated(steps: usize) -> (f64, f64, f64, f64) {
    let (r, k, y0, t) = PARAMS;
    logistic_vjp(r, k, y0, t, steps, 1.0)
}

/// The checkpointed gradient (segments of ceil(sqrt(steps)) steps).
pub fn grad_checkpointed(steps: usize) -> (f64, f64, f64, f64) {
    let (r, k, y0, t) = PARAMS;
    logistic_ck_vjp(r, k, y0, t, steps, 1.0)
}

/// The gradient checkpointed in segments of `every` steps.
pub fn grad_every(steps: usize, every: usize) -> (f64, f64, f64, f64) {
    let (r, k, y0, t) = PARAMS;
    logistic_every_vjp(r, k, y0, t, steps, every, 1.0)
}

/// The objective.
pub fn objective(steps: usize) -> f64 {
    let (r, k, y0, t) = PARAMS;
    logistic(r, k, y0, t, steps)
}

/// By hand: the discrete adjoint. The forward pass stores the state at every
/// step (8 bytes a step); the reverse pass recomputes each step's stages and
/// carries the adjoint of y back through them.
#[inline(never)]
pub fn grad_hand(steps: usize) -> (f64, f64, f64, f64) {
    let (r, k, y0, t_end) = PARAMS;
    let h = t_end / steps as f64;
    let f = |y: f64| r * y * (1.0 - y / k);
    let mut ys = Vec::with_capacity(steps);
    let mut y = y0;
    for _ in 0..steps {
        ys.push(y);
        let k1 = f(y);
        let k2 = f(y + 0.5 * h * k1);
        let k3 = f(y + 0.5 * h * k2);
        let k4 = f(y + h * k3);
        y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    }
    let value = y;
    // adjoint of f at y applied to g: (d/dy, d/dr, d/dK)
    let adj = |y: f64, g: f64| {
        (
            g * r * (1.0 - 2.0 * y / k),
            g * y * (1.0 - y / k),
            g * r * y * y / (k * k),
        )
    };
    let (mut by, mut br, mut bk) = (1.0, 0.0, 0.0);
    let w = h / 6.0;
    for &y0s in ys.iter().rev() {
        let k1 = f(y0s);
        let y1 = y0s + 0.5 * h * k1;
        let k2 = f(y1);
        let y2 = y0s + 0.5 * h * k2;
        let k3 = f(y2);
        let y3 = y0s + h * k3;
        // y_new = y + w (k1 + 2 k2 + 2 k3 + k4)
        let mut ny = by;
        let (gy, gr, gk) = adj(y3, w * by);
        br += gr;
        bk += gk;
        ny += gy;
        let b3 = 2.0 * w * by + h * gy;
        let (gy, gr, gk) = adj(y2, b3);
        br += gr;
        bk += gk;
        ny += gy;
        let b2 = 2.0 * w * by + 0.5 * h * gy;
        let (gy, gr, gk) = adj(y1, b2);
        br += gr;
        bk += gk;
        ny += gy;
        let b1 = w * by + 0.5 * h * gy;
        let (gy, gr, gk) = adj(y0s, b1);
        br += gr;
        bk += gk;
        ny += gy;
        by = ny;
    }
    (value, br, bk, by)
}
