//! The detector and the placeholder round trip: no panic on any text,
//! spans on char boundaries, in order and disjoint, every span parses as
//! its kind, and restoring a placeholder redaction gives the text back.
//!
//! Input: a confidence byte, then the text (lossy UTF-8).
#![no_main]

use desensitize::MaskLevel;
use desensitize::detect::{Detector, Rules};
use desensitize::kind::AnyValue;
use desensitize_fuzz::{Bytes, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let min = f32::from(input.u8() % 101) / 100.0;
    let text = text(input.rest());
    let detector = Detector::builder().min_confidence(min).build().expect("valid settings");
    let spans = detector.detect(&text);
    let mut last = 0;
    for s in &spans {
        assert!(s.start >= last && s.start < s.end && s.end <= text.len(), "spans in order, disjoint");
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end), "spans on char boundaries");
        assert!(s.confidence >= min && s.confidence <= 1.0);
        assert!(AnyValue::parse(s.kind, &text[s.start..s.end]).is_ok(), "{} span does not parse", s.kind);
        last = s.end;
    }
    let out = detector.redact(&text, &Rules::placeholders()).expect("placeholders never fail");
    if !text.contains('<') {
        assert_eq!(out.restorer.restore(&out.text).as_str(), &*text, "placeholders restore exactly");
    }
    let masked = detector.redact(&text, &Rules::masks(MaskLevel::Strict)).expect("masks never fail");
    assert_eq!(masked.replaced, spans.len());
});
