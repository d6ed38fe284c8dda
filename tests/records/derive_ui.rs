//! Every compile error of `#[derive(Protect)]`, with its message committed
//! under `tests/ui/*.stderr` (regenerate with `TRYBUILD=overwrite`, then
//! review the diff).

#[test]
fn compile_errors_say_what_to_write() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
