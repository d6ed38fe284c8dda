//! Audit is fail-closed, and every refusal is recorded (issue 8, defects 2 and 3).

use std::io::Write;
use std::sync::{Arc, Mutex};

use desensitize::audit::{AuditError, AuditEvent, AuditSink, JsonLinesAudit, event_json};
use desensitize::keys::InMemorySubjectStore;
use desensitize::pseudo::Domain;
use desensitize::{Context, EnvelopeError, Error, IdNumber, Keyring, Kind, MobilePhone, Sealed};

/// Records events, or refuses to (a full disk, a dead log shipper).
#[derive(Default)]
struct Sink {
    events: Mutex<Vec<serde_json::Value>>,
    broken: bool,
}

impl AuditSink for Sink {
    fn record(&self, event: &AuditEvent<'_>) -> Result<(), AuditError> {
        if self.broken {
            return Err(AuditError::Unavailable("test sink refuses"));
        }
        self.events.lock().unwrap().push(event_json(event));
        Ok(())
    }
}

impl Sink {
    fn broken() -> Arc<Sink> {
        Arc::new(Sink { broken: true, ..Sink::default() })
    }
    fn take(&self) -> Vec<serde_json::Value> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }
}

/// A writer whose every write fails, like `/dev/full`.
struct Full;

impl Write for Full {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer that takes the bytes but cannot flush them.
struct NoFlush(Vec<u8>);

impl Write for NoFlush {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

fn id() -> IdNumber {
    "11010519491231002X".parse().unwrap()
}

fn ctx() -> Context {
    Context::new("users", "id_number").with_row("42")
}

const NOT_RECORDED: Error = Error::AuditFailed(AuditError::Unavailable("test sink refuses"));

#[test]
fn no_plaintext_when_the_event_cannot_be_recorded() {
    let mut keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    let sealed = keyring.seal(&id(), &ctx()).unwrap();
    let text = keyring.seal_text(&id(), &ctx()).unwrap();
    let for_subject = keyring.seal_for(&store, "user-1", &id(), &ctx()).unwrap();
    let d = Domain::new("support").unwrap();
    let pseudo = keyring.fpe(&id(), &d).unwrap();
    let cipher_before = keyring.fpe_cipher(&d).unwrap();

    keyring.set_audit_sink(Sink::broken());
    let cipher = keyring.fpe_cipher(&d).unwrap();
    assert_eq!(keyring.open(&sealed, &ctx(), "t"), Err(NOT_RECORDED));
    assert_eq!(keyring.open_text::<IdNumber>(&text, &ctx(), "t"), Err(NOT_RECORDED));
    assert_eq!(keyring.open_for(&store, "user-1", &for_subject, &ctx(), "t"), Err(NOT_RECORDED));
    assert_eq!(keyring.reidentify(&pseudo, &d, "t"), Err(NOT_RECORDED));
    assert_eq!(cipher.reidentify(&pseudo, "t"), Err(NOT_RECORDED));
    // A refusal that cannot be recorded reports the audit failure too.
    assert_eq!(keyring.open(&sealed, &ctx().with_row("9"), "t"), Err(NOT_RECORDED));
    assert_eq!(keyring.open_text::<IdNumber>("dz1.!!", &ctx(), "t"), Err(NOT_RECORDED));
    // `reseal` opens, so it cannot move a value it could not audit.
    keyring.rotate().unwrap();
    assert_eq!(keyring.reseal(&sealed, &ctx()), Err(NOT_RECORDED));
    // A cipher made before keeps the sink it was made with.
    assert_eq!(cipher_before.reidentify(&pseudo, "t").unwrap(), id());

    let message = NOT_RECORDED.to_string();
    assert_eq!(
        message,
        "audit event not recorded (audit sink unavailable: test sink refuses); nothing was revealed"
    );
}

#[test]
fn json_lines_audit_reports_write_and_flush_failures() {
    let mut keyring = Keyring::generate().unwrap();
    let sealed = keyring.seal(&id(), &ctx()).unwrap();

    keyring.set_audit_sink(Arc::new(JsonLinesAudit::new(Full)));
    assert_eq!(
        keyring.open(&sealed, &ctx(), "t"),
        Err(Error::AuditFailed(AuditError::Write(std::io::ErrorKind::StorageFull)))
    );

    keyring.set_audit_sink(Arc::new(JsonLinesAudit::new(NoFlush(Vec::new()))));
    assert_eq!(
        keyring.open(&sealed, &ctx(), "t"),
        Err(Error::AuditFailed(AuditError::Write(std::io::ErrorKind::BrokenPipe)))
    );

    #[cfg(target_os = "linux")]
    {
        let full = std::fs::OpenOptions::new().append(true).open("/dev/full").unwrap();
        keyring.set_audit_sink(Arc::new(JsonLinesAudit::new(full)));
        assert!(matches!(keyring.open(&sealed, &ctx(), "t"), Err(Error::AuditFailed(AuditError::Write(_)))));
    }

    // A working log still works, and the sink itself says so.
    let log = JsonLinesAudit::new(Vec::new());
    let context = ctx();
    let event = AuditEvent::new(Kind::IdNumber, &context, 1, None, "t", desensitize::audit::Outcome::Opened);
    assert_eq!(log.record(&event), Ok(()));
    assert_eq!(
        JsonLinesAudit::new(Full).record(&event),
        Err(AuditError::Write(std::io::ErrorKind::StorageFull))
    );
}

#[test]
fn every_refused_envelope_is_recorded() {
    let sink = Arc::new(Sink::default());
    let mut keyring = Keyring::generate().unwrap();
    keyring.set_audit_sink(sink.clone());
    let text = keyring.seal_text(&id(), &ctx()).unwrap();
    let bytes = Sealed::<IdNumber>::from_text(&text).unwrap().into_bytes();
    let as_text = |b: &[u8]| {
        use base64::Engine as _;
        format!("dz1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
    };
    let mut wrong_version = bytes.clone();
    wrong_version[0] = 3;
    let mut wrong_algorithm = bytes.clone();
    wrong_algorithm[1] = 9;
    let mut unknown_kind = bytes.clone();
    unknown_kind[6..8].copy_from_slice(&999u16.to_be_bytes());

    let cases: Vec<(String, Error)> = vec![
        ("not sealed at all".to_owned(), Error::Malformed(EnvelopeError::NotSealed)),
        ("dz1.!!".to_owned(), Error::Malformed(EnvelopeError::Base64)),
        ("dz1.".to_owned(), Error::Truncated),
        (text[..40].to_owned(), Error::Truncated),
        (as_text(&wrong_version), Error::UnsupportedVersion(3)),
        (as_text(&wrong_algorithm), Error::UnsupportedAlgorithm(9)),
        (as_text(&unknown_kind), Error::Malformed(EnvelopeError::UnknownKindCode)),
        (format!("dz1.{}", "A".repeat(1_500_000)), Error::Malformed(EnvelopeError::TooLarge)),
    ];
    for (input, expected) in &cases {
        assert_eq!(keyring.open_text::<IdNumber>(input, &ctx(), "review").as_ref(), Err(expected));
        let events = sink.take();
        assert_eq!(events.len(), 1, "one event for {expected}");
        let e = &events[0];
        assert_eq!(e["outcome"], "refused");
        assert_eq!(e["error"], expected.to_string());
        assert_eq!(e["kind"], "cn.id_number");
        assert_eq!(e["purpose"], "review");
        assert_eq!(e["context"]["row"], "42");
        assert_eq!(e["key_id"], 0, "no key id is read from an envelope that does not parse");
    }

    // Wrong kind: the header parsed, so its key id is known.
    assert_eq!(
        keyring.open_text::<MobilePhone>(&text, &ctx(), "review"),
        Err(Error::KindMismatch { expected: Kind::MobilePhone, found: Kind::IdNumber })
    );
    let events = sink.take();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "cn.mobile_phone");
    assert_eq!(events[0]["key_id"], 1);
    assert_eq!(events[0]["error"], "sealed value holds cn.id_number, not cn.mobile_phone");

    // And the success path still records exactly one event.
    assert_eq!(keyring.open_text::<IdNumber>(&text, &ctx(), "review").unwrap(), id());
    assert_eq!(sink.take().len(), 1);
}
