//! Quick mode for the benchmarks: `DIFFERENTIATE_BENCH_QUICK=1` (set by
//! `python3 scripts/benchmarks_md.py --quick`) makes every group take the
//! fewest samples criterion allows and a short measurement, and the benches
//! skip their largest inputs. The ratios are then rougher, never different in
//! kind.
#![allow(dead_code)]

use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::BenchmarkGroup;

/// Whether quick mode is on.
pub fn quick() -> bool {
    std::env::var_os("DIFFERENTIATE_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// In quick mode, 10 samples, 100 ms warm-up, 500 ms measurement; otherwise
/// the group's own settings.
pub fn configure<M: Measurement>(grp: &mut BenchmarkGroup<'_, M>) {
    if quick() {
        grp.sample_size(10)
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(500));
    }
}
