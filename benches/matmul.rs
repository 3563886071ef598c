//! `Tensor::matmul` against ndarray's `dot`, side by side, and the matmul VJP
//! against two forward products, for square matrices of order 256 and 1024 in
//! `f64` and `f32` (issue 3: matmul within 1.5x of ndarray; its VJP uses
//! GEMMs with transposed operands, never materialised transposes).
//!
//! Functions of the group `matmul`, parameter `<type>/<n>`:
//! - `ours`: `a.matmul(&b)` (matrixmultiply's GEMM, a fresh zeroed output);
//! - `ndarray`: `a.dot(&b)` on `Array2` (ndarray's own GEMM path, no BLAS);
//! - `vjp`: `rules::matmul::vjp`, both adjoints (`G B^T` and `A^T G`, read
//!   through swapped strides);
//! - `vjp_transposed`: the same two products with the transposes formed first
//!   (`g.matmul(&b.transpose())`, `a.transpose().matmul(&g)`), what the rule
//!   avoids.
//!
//! `cargo bench --bench matmul`; `python3 scripts/benchmarks_md.py` writes the
//! ratios into BENCHMARKS.md. Before timing, each size checks that the two
//! products agree and that the VJP equals its transposing form.

use std::hint::black_box;
use std::time::Duration;

use autodiff_runtime::tensor::rules::matmul;
use autodiff_runtime::tensor::ScalarRules;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use differentiate::{Real, Tensor};
use ndarray::Array2;

/// `n * n` values in [-1, 1) from a fixed linear congruential sequence.
fn data<F: Real>(n: usize, seed: u64) -> Vec<F> {
    let mut s = seed;
    (0..n * n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            F::from_f64((s >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
        })
        .collect()
}

/// The largest elementwise difference of two equally long buffers.
fn max_diff<F: Real>(a: &[F], b: &[F]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.to_f64() - y.to_f64()).abs())
        .fold(0.0, f64::max)
}

fn bench_type<F>(c: &mut Criterion)
where
    F: Real + ScalarRules + ndarray::LinalgScalar,
{
    let mut g = c.benchmark_group("matmul");
    for n in [256, 1024] {
        let id = |name: &str| BenchmarkId::new(name, format!("{}/{n}", F::NAME));
        if n >= 1024 {
            // 2n^3 = 2.1 GFLOP per product: ten equal samples, not a ramp.
            g.sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(3));
        } else {
            g.sampling_mode(SamplingMode::Auto)
                .sample_size(20)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1));
        }
        let (da, db, dg) = (data::<F>(n, 1), data::<F>(n, 2), data::<F>(n, 3));
        let (a, b, gt) = (
            Tensor::from_vec(da.clone(), &[n, n]),
            Tensor::from_vec(db.clone(), &[n, n]),
            Tensor::from_vec(dg, &[n, n]),
        );
        let (na, nb) = (
            Array2::from_shape_vec((n, n), da).expect("n x n"),
            Array2::from_shape_vec((n, n), db).expect("n x n"),
        );

        // The products compared are the same products.
        let ours = a.matmul(&b);
        let theirs = na.dot(&nb);
        let tol = F::EPSILON.to_f64() * n as f64 * 4.0;
        let diff = max_diff(ours.as_slice(), theirs.as_slice().expect("standard layout"));
        assert!(diff <= tol, "matmul and ndarray differ by {diff} (n = {n})");
        let [ga, gb] = matmul::vjp([&a, &b], &ours, &gt, [true, true]);
        let (ga, gb) = (ga.expect("needed"), gb.expect("needed"));
        assert!(max_diff(ga.as_slice(), gt.matmul(&b.transpose()).as_slice()) <= tol);
        assert!(max_diff(gb.as_slice(), a.transpose().matmul(&gt).as_slice()) <= tol);

        g.bench_function(id("ours"), |bch| {
            bch.iter(|| black_box(&a).matmul(black_box(&b)));
        });
        g.bench_function(id("ndarray"), |bch| {
            bch.iter(|| black_box(&na).dot(black_box(&nb)));
        });
        g.bench_function(id("vjp"), |bch| {
            bch.iter(|| matmul::vjp([&a, &b], black_box(&ours), black_box(&gt), [true, true]));
        });
        g.bench_function(id("vjp_transposed"), |bch| {
            bch.iter(|| {
                let ga = black_box(&gt).matmul(&b.transpose());
                let gb = a.transpose().matmul(black_box(&gt));
                (ga, gb)
            });
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    bench_type::<f64>(c);
    bench_type::<f32>(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
