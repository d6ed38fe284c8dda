//! An in-memory writer for `tracing-subscriber`'s fmt layer: the log tests
//! (tests/tracing_logs.rs, tests/detect.rs, tests/detect_tracing.rs) read
//! back everything a formatter wrote.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything the formatter writes, kept in memory; clones share the buffer.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// What was written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("capture lock").clone()).expect("UTF-8 log")
    }
}
