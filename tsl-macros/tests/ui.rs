//! `#[tsl_model]` as users meet it: code that must compile and use what was generated, and
//! code that must fail with an error at the right place (`ui/fail/*.stderr`; refresh with
//! `TRYBUILD=overwrite cargo test -p tsl-macros --test ui`).

#[test]
fn ui() {
    // trybuild compiles these files in a crate under `target/`; model paths in them are
    // relative to this crate's folder.
    std::env::set_var("TSL_MACROS_BASE_DIR", env!("CARGO_MANIFEST_DIR"));
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
