//! The compile-fail catalogue: every mistake `#[differentiate]` rejects, one per
//! file under `tests/ui/<topic>/`, with the exact message blessed beside it; and
//! `tests/ui-pass/`, programs that must compile cleanly under `#![deny(warnings)]`.
//!
//! Re-bless after an intended change of a message: `TRYBUILD=overwrite cargo test --test ui`
//! (see DEVELOPMENT.md). The `.stderr` files are blessed on the toolchain pinned in
//! `rust-toolchain.toml`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
