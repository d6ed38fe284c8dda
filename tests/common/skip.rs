//! The one line a test prints when what it needs (a server, a feature) is
//! absent, on stderr, which the test harness does not capture.

#[allow(dead_code)]
pub fn skip_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
