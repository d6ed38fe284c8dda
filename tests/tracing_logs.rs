//! Log events that carry our kinds never hold plaintext: every kind
//! formatted through `Debug` and `Display` into `tracing` fields, messages
//! and spans, captured from a real `tracing-subscriber` formatter; and the
//! `tracing` feature's audit sink reports opens without the value.

#[path = "common/captured.rs"]
mod captured;

use captured::Captured;

use desensitize::fake::Faker;
use desensitize::pseudo::Domain;
use desensitize::{Context, IdNumber, Keyring, MobilePhone, Sealed};
use tracing_subscriber::fmt::MakeWriter;

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Run `f` with a subscriber that writes every event and span (ANSI off,
/// all levels) into the returned capture.
fn capture(f: impl FnOnce()) -> String {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(out.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    out.text()
}

/// The plaintext pieces that must not appear: each whole value, and for
/// digit strings any run of 8 digits from them (a partial leak).
fn secrets(fields: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for f in fields {
        out.push(f.clone());
        let digits: String = f.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 11 {
            out.extend((0..=digits.len() - 8).map(|i| digits[i..i + 8].to_owned()));
        }
    }
    out
}

#[tracing::instrument(level = "info", fields(id = %id))]
fn handle_request(phone: &MobilePhone, id: &IdNumber) {
    tracing::info!(?phone, "handling");
}

#[test]
fn tracing_events_with_our_kinds_hold_no_plaintext() {
    let keyring = Keyring::generate().expect("keyring");
    let mut faker = Faker::new(11);
    for user in 0..200u64 {
        let r = faker.record();
        let ctx = Context::new("users", "phone").with_row(&user.to_string());
        let sealed = keyring.seal(&r.mobile, &ctx).expect("seal");
        let token =
            keyring.pseudonym(&r.id_number, &Domain::new("analytics").expect("domain")).expect("token");
        let parse_err = format!("{}1", r.id_number.expose()).parse::<IdNumber>().expect_err("19 characters");
        let log = capture(|| {
            // Display (the mask) and Debug (the kind) in fields, messages and spans.
            tracing::info!(name = %r.name, phone = %r.mobile, id = %r.id_number, card = %r.bank_card,
                email = %r.email, address = %r.address, location = %r.location, "user {}", r.name);
            tracing::debug!(name = ?r.name, phone = ?r.mobile, id = ?r.id_number, card = ?r.bank_card,
                email = ?r.email, address = ?r.address, location = ?r.location, "{:?} {:?}", r.email, r.address);
            tracing::warn!(record = ?(&r.name, &r.mobile, &r.bank_card), sealed = %sealed, ?sealed, %token);
            tracing::error!(error = %parse_err, error_debug = ?parse_err, "parse failed");
            let span = tracing::info_span!("request", phone = %r.mobile, id = ?r.id_number);
            span.in_scope(|| handle_request(&r.mobile, &r.id_number));
        });
        assert!(log.contains("user ") && log.contains("handling"), "events were captured");
        assert!(log.contains(&r.mobile.to_string()), "the mask is logged");
        assert!(log.contains(&format!("location={}", r.location)), "the location is logged rounded");
        assert!(log.contains("location=GeoPoint([REDACTED])"), "Debug names the kind only");
        // Fields 1..7: name, ID, phone, card, e-mail, address. (A location's
        // Display is by design the point rounded to 0.01°, which equals the
        // plaintext when that has no more digits: checked below instead.)
        for secret in secrets(&r.expose_fields(user)[1..7]) {
            assert!(!log.contains(&secret), "user {user}: plaintext reached the log");
        }
    }
}

#[test]
fn sealed_values_in_logs_are_envelopes_only() {
    let keyring = Keyring::generate().expect("keyring");
    let phone: MobilePhone = "13800138000".parse().expect("phone");
    let sealed = keyring.seal(&phone, &Context::new("users", "phone")).expect("seal");
    let text = sealed.to_text();
    let parsed: Sealed<MobilePhone> = text.parse().expect("parse");
    let log = capture(|| tracing::info!(?parsed, %parsed, "stored"));
    assert!(log.contains("Sealed<cn.mobile_phone>(key 1,"), "Debug names kind and key: {log}");
    assert!(log.contains(&text), "Display is the envelope");
    assert!(!log.contains("13800138000") && !log.contains("00138000"));
}

#[cfg(feature = "tracing")]
#[test]
fn tracing_audit_reports_opens_without_the_value() {
    use desensitize::Error;
    use desensitize::audit::TracingAudit;
    use std::sync::Arc;

    let mut keyring = Keyring::generate().expect("keyring");
    keyring.set_audit_sink(Arc::new(TracingAudit));
    let ctx = Context::new("users", "phone").with_row("7");
    let phone: MobilePhone = "13912345678".parse().expect("phone");
    let sealed = keyring.seal(&phone, &ctx).expect("seal");
    let elsewhere = Context::new("users", "phone").with_row("8");
    let log = capture(|| {
        assert_eq!(keyring.open(&sealed, &ctx, "send-sms").expect("open"), phone);
        assert_eq!(keyring.open(&sealed, &elsewhere, "send-sms"), Err(Error::ContextMismatch));
    });
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("desensitize::audit")).collect();
    assert_eq!(lines.len(), 2, "one event per open: {log}");
    assert!(lines[0].contains("INFO") && lines[0].contains("outcome=\"opened\""), "{}", lines[0]);
    assert!(lines[0].contains("kind=\"cn.mobile_phone\"") && lines[0].contains("purpose=\"send-sms\""));
    assert!(lines[0].contains("context=table=users column=phone row=7"), "{}", lines[0]);
    assert!(lines[1].contains("WARN") && lines[1].contains("outcome=\"refused\""), "{}", lines[1]);
    assert!(lines[1].contains("error=sealed value belongs to another context"), "{}", lines[1]);
    assert!(!log.contains("13912345678") && !log.contains("12345678"), "plaintext in the audit log");
}

#[cfg(not(feature = "tracing"))]
#[test]
fn tracing_audit_needs_the_tracing_feature() {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: TracingAudit test needs --features tracing");
}

/// The nonce-budget warning names the figure of the key's suite: a `gm` key
/// crossing 2^47 seals warns once; an `aes` key never does.
#[cfg(feature = "tracing")]
#[test]
fn the_budget_warning_names_the_suites_figure() {
    use desensitize::keys::{GM_NONCE_WARN_AT, Ledger, PassphraseProvider, Suite};

    let dir = std::env::temp_dir().join(format!("dz-tracing-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let provider = PassphraseProvider::with_params("tracing budget", 8, 1, 1).expect("provider");
    let ctx = Context::new("users", "phone");
    let phone: MobilePhone = "13912345678".parse().expect("phone");
    for suite in [Suite::Gm, Suite::Aes] {
        let path = dir.join(format!("{suite}.dzk"));
        Keyring::generate_with(suite).expect("keyring").save(&path, &provider).expect("save");
        let line = format!("dzseals1 1 {} 0 run\n", GM_NONCE_WARN_AT - 1);
        std::fs::write(Ledger::path_for(&path), line).expect("ledger");
        let keyring = Keyring::load(&path, &provider).expect("load");
        let log = capture(|| {
            keyring.seal(&phone, &ctx).expect("seal"); // crosses 2^47
            keyring.seal(&phone, &ctx).expect("seal");
        });
        let warnings: Vec<&str> = log.lines().filter(|l| l.contains("nonce budget")).collect();
        match suite {
            Suite::Gm => {
                assert_eq!(warnings.len(), 1, "{log}");
                assert!(warnings[0].contains("WARN") && warnings[0].contains("key_id=1"), "{}", warnings[0]);
                assert!(warnings[0].contains("2^47 of 2^48 seals for a `gm` key"), "{}", warnings[0]);
            }
            Suite::Aes => assert!(warnings.is_empty(), "{log}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
