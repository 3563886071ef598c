//! The RK4 loop of examples/ode.rs at T = 10^3 to 10^6 steps: the objective,
//! the generated gradient (`logistic_vjp`, one reverse sweep through the
//! loop), the same loop under `#[checkpoint]` (`logistic_ck_vjp`, segments of
//! ceil(sqrt(T)) steps) and the discrete adjoint written by hand, timed by
//! criterion; and the peak memory of one call of each, measured by a
//! counting global allocator (benches/common/alloc.rs: peak of live heap
//! bytes above the level before the call). At the largest T, the
//! memory/time trade-off of checkpointing: segments of 1, 10, ..., T steps
//! (`logistic_every_vjp`).
//!
//! `cargo bench --bench rk4` writes the memory to
//! target/bench-memory/rk4.json; `python3 scripts/benchmarks_md.py` puts
//! both into BENCHMARKS.md. tests/bench_correctness_more.rs checks the
//! gradients.
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "common/rk4.rs"]
mod problem;
use problem::*;

#[path = "common/quick.rs"]
mod quick;

#[path = "common/alloc.rs"]
mod alloc;
use alloc::peak_bytes;

/// The step counts.
const STEPS: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// Segment lengths of the trade-off at the largest T (at most T).
const EVERY: [usize; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// Writes {"<steps>": {"objective": bytes, "vjp": bytes, "checkpointed":
/// bytes, "hand": bytes}, ..., "every": {"steps": T, "peak": {"<every>":
/// bytes}}} to target/bench-memory/rk4.json.
fn write_memory(steps: &[usize], every: &[usize]) {
    let mut rows = Vec::new();
    for &n in steps {
        let o = peak_bytes(|| objective(n));
        let v = peak_bytes(|| grad_generated(n));
        let c = peak_bytes(|| grad_checkpointed(n));
        let h = peak_bytes(|| grad_hand(n));
        rows.push(format!(
            "\"{n}\": {{\"objective\": {o}, \"vjp\": {v}, \"checkpointed\": {c}, \"hand\": {h}}}"
        ));
    }
    let t = *steps.last().expect("a step count");
    let sweep: Vec<String> = every
        .iter()
        .map(|&e| format!("\"{e}\": {}", peak_bytes(|| grad_every(t, e))))
        .collect();
    rows.push(format!(
        "\"every\": {{\"steps\": {t}, \"peak\": {{{}}}}}",
        sweep.join(", ")
    ));
    alloc::write_result("rk4.json", &format!("{{{}}}\n", rows.join(", ")));
}

fn bench(c: &mut Criterion) {
    let steps: Vec<usize> = STEPS
        .into_iter()
        .filter(|&n| !quick::quick() || n <= 100_000)
        .collect();
    let t = *steps.last().expect("a step count");
    let every: Vec<usize> = EVERY.into_iter().filter(|&e| e <= t).collect();
    write_memory(&steps, &every);
    let mut g = c.benchmark_group("rk4");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    quick::configure(&mut g);
    for &n in &steps {
        g.bench_function(BenchmarkId::new("objective", n), |b| {
            b.iter(|| objective(black_box(n)))
        });
        g.bench_function(BenchmarkId::new("vjp", n), |b| {
            b.iter(|| grad_generated(black_box(n)))
        });
        g.bench_function(BenchmarkId::new("checkpointed", n), |b| {
            b.iter(|| grad_checkpointed(black_box(n)))
        });
        g.bench_function(BenchmarkId::new("hand", n), |b| {
            b.iter(|| grad_hand(black_box(n)))
        });
    }
    for &e in &every {
        g.bench_function(BenchmarkId::new(format!("every_{e}"), t), |b| {
            b.iter(|| grad_every(black_box(t), black_box(e)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
