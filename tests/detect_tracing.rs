//! `detect::RedactFields` (feature `tracing-redact`) under a real
//! `tracing-subscriber` fmt subscriber writing to a buffer: what the
//! detector finds in messages, string fields, `Debug` / `Display` / numeric
//! fields and span fields never reaches the output; everything else does.
//!
//! `cargo test -p desensitize --features tracing-redact --test detect_tracing`

#[path = "common/captured.rs"]
mod captured;

use captured::Captured;
use std::sync::Arc;

use desensitize::MaskLevel;
use desensitize::detect::{Action, Detector, RedactFields, Rules};

/// Run `f` under a fmt subscriber (default format) whose fields go through `fields`; the output.
fn capture(fields: RedactFields, f: impl FnOnce()) -> String {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .fmt_fields(fields)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    captured.text()
}

#[test]
fn compact_format_goes_through_it_too() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .compact()
        .fmt_fields(RedactFields::new(Detector::new()))
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("req", ip = "10.2.3.4");
        let _guard = span.enter();
        tracing::info!(phone = "13800138000", "card 6222 0212 3456 7894");
    });
    let out = captured.text();
    assert_eq!(out, " INFO req: card 622202******7894 phone=\"138****8000\" ip=\"10.2.*.*\"\n", "{out}");
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
struct Customer {
    name: &'static str,
    phone: &'static str,
}

#[test]
fn messages_and_fields_are_masked_non_pii_unchanged() {
    let out = capture(RedactFields::new(Detector::new()), || {
        let phone = "13800138000";
        tracing::info!(user = phone, attempts = 3, ok = false, "login failed for {phone} from 10.2.3.4");
        tracing::warn!(card = "6222 0212 3456 7894", id = "11010519491231002X", "payment refused");
        tracing::error!(customer = ?Customer { name: "x", phone: "13900139000" }, order = 913800138000123_u64);
        tracing::info!(mobile = 13700137000_u64, note = %"call +86 138-0013-8000 today", "plain text, nothing here");
    });
    for secret in [
        " 13800138000",
        "\"13800138000",
        "0212 3456",
        "1101051949",
        "10.2.3.4",
        "138-0013",
        "139001",
        "137001",
    ] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            " INFO login failed for 138****8000 from 10.2.*.* user=\"138****8000\" attempts=3 ok=false",
            " WARN payment refused card=\"622202******7894\" id=\"110************02X\"",
            "ERROR customer=Customer { name: \"x\", phone: \"139****9000\" } order=913800138000123",
            " INFO plain text, nothing here mobile=137****7000 note=call 138****8000 today",
        ],
        "{out}"
    );
}

#[test]
fn span_fields_are_masked_and_rules_apply() {
    let rules = Rules::masks(MaskLevel::Strict).set(desensitize::Kind::Email, Action::Placeholder);
    let out = capture(RedactFields::new(Arc::new(Detector::new())).with_rules(rules), || {
        let span = tracing::info_span!("request", phone = "13800138000", path = "/api/v1/users");
        let _guard = span.enter();
        tracing::info!("mail to li@example.com and wang@example.com, again li@example.com");
        span.record("path", "/users?id=11010519491231002X");
        tracing::info!("done");
    });
    assert!(
        !out.contains("13800138000") && !out.contains("li@example") && !out.contains("1101051949"),
        "{out}"
    );
    assert_eq!(
        out,
        " INFO request{phone=\"*******8000\" path=\"/api/v1/users\"}: \
         mail to <邮箱_1> and <邮箱_2>, again <邮箱_1>\n \
         INFO request{phone=\"*******8000\" path=\"/api/v1/users\" path=\"/users?id=1****************X\"}: done\n",
        "{out}"
    );
}

#[test]
fn control_characters_in_messages_are_escaped() {
    let out = capture(RedactFields::new(Detector::new()), || {
        tracing::info!("line one\n\u{1b}[31mforged 13800138000");
    });
    assert_eq!(out, " INFO line one\\n\\u{1b}[31mforged 138****8000\n");
}
