//! Boundaries of sealing: envelope sizes, context limits and scopes, re-seal
//! counts and exact errors (issue 8, "Test strength").

use std::sync::Arc;

use desensitize::keys::{InMemorySubjectStore, KeyState, RootKey};
use desensitize::seal::MAX_FIELD_LEN;
use desensitize::{
    Biometric, Context, ContextError, EnvelopeError, Error, IdNumber, KeyError, Keyring, Sealed,
};

/// SPEC.md §3.8: the largest envelope accepted, and the smallest (of v2,
/// which every seal writes: a 36-byte header and a 16-byte tag; v1's is 40).
const MAX_ENVELOPE: usize = 1_052_672;
const MIN_ENVELOPE: usize = 52;
/// SPEC.md §3.7: the longest text body (after `dz1.`) accepted.
const MAX_TEXT_BODY: usize = 1_403_566;

fn id() -> IdNumber {
    "11010519491231002X".parse().unwrap()
}

/// The keyring of [`envelope_of_len`]: opening its envelopes under another
/// keyring's key 1 would fail the keyed context check (SPEC.md §3a.6).
fn shared_keyring() -> &'static Keyring {
    static KEYRING: std::sync::OnceLock<Keyring> = std::sync::OnceLock::new();
    KEYRING.get_or_init(|| Keyring::generate().unwrap())
}

fn ctx() -> Context {
    Context::new("users", "id_number").with_row("42")
}

/// A structurally valid envelope of `len` bytes holding an ID number.
fn envelope_of_len(len: usize) -> Vec<u8> {
    let mut bytes = shared_keyring().seal(&id(), &ctx()).unwrap().into_bytes();
    bytes.resize(len, 0);
    bytes
}

#[test]
fn the_largest_value_seals_parses_and_opens() {
    let keyring = Keyring::generate().unwrap();
    let template: Vec<u8> = (0..1usize << 20).map(|i| (i * 31 % 251) as u8).collect();
    let bio = Biometric::from_bytes(template).unwrap();
    let c = Context::new("people", "fingerprint").with_row("1");
    let sealed = keyring.seal(&bio, &c).unwrap();
    assert_eq!(sealed.as_bytes().len(), (1 << 20) + MIN_ENVELOPE);
    let from_bytes = Sealed::<Biometric>::from_bytes(sealed.as_bytes()).unwrap();
    let text = sealed.to_text();
    let from_text: Sealed<Biometric> = text.parse().unwrap();
    assert_eq!(keyring.open(&from_bytes, &c, "t").unwrap(), bio);
    assert_eq!(keyring.open(&from_text, &c, "t").unwrap(), bio);
    assert_eq!(keyring.open_text::<Biometric>(&text, &c, "t").unwrap(), bio);
    let direct = keyring.seal_text(&bio, &c).unwrap();
    assert_eq!(keyring.open_text::<Biometric>(&direct, &c, "t").unwrap(), bio);
}

#[test]
fn envelope_size_limits_are_exact() {
    assert_eq!(
        Sealed::<IdNumber>::from_bytes(&envelope_of_len(MIN_ENVELOPE - 1)).unwrap_err(),
        Error::Truncated
    );
    let smallest = Sealed::<IdNumber>::from_bytes(&envelope_of_len(MIN_ENVELOPE)).unwrap();
    assert_eq!(smallest.as_bytes().len(), MIN_ENVELOPE);
    assert_eq!(shared_keyring().open(&smallest, &ctx(), "t"), Err(Error::AuthenticationFailed));
    // Under other key material with the same id, the keyed check cannot match.
    let other = Keyring::generate().unwrap();
    assert_eq!(other.open(&smallest, &ctx(), "t"), Err(Error::ContextMismatch));

    let largest = Sealed::<IdNumber>::from_bytes(&envelope_of_len(MAX_ENVELOPE)).unwrap();
    assert_eq!(largest.as_bytes().len(), MAX_ENVELOPE);
    assert_eq!(
        Sealed::<IdNumber>::from_bytes(&envelope_of_len(MAX_ENVELOPE + 1)).unwrap_err(),
        Error::Malformed(EnvelopeError::TooLarge)
    );
    assert_eq!(
        Sealed::<IdNumber>::from_vec(envelope_of_len(MAX_ENVELOPE + 1)).unwrap_err(),
        Error::Malformed(EnvelopeError::TooLarge)
    );
}

#[test]
fn oversized_text_is_refused_before_decoding() {
    // At the limit the body is decoded (and its version byte, 0, refused);
    // one character more is refused before any decoding.
    let at_limit = format!("dz1.{}", "A".repeat(MAX_TEXT_BODY));
    assert_eq!(Sealed::<IdNumber>::from_text(&at_limit).unwrap_err(), Error::UnsupportedVersion(0));
    let over = format!("dz1.{}", "A".repeat(MAX_TEXT_BODY + 1));
    assert_eq!(Sealed::<IdNumber>::from_text(&over).unwrap_err(), Error::Malformed(EnvelopeError::TooLarge));
    assert_eq!("dz1.".parse::<Sealed<IdNumber>>().unwrap_err(), Error::Truncated);
    assert_eq!(" dz1.!! ".parse::<Sealed<IdNumber>>().unwrap_err(), Error::Malformed(EnvelopeError::Base64));
    assert_eq!(
        "dz2.AAAA".parse::<Sealed<IdNumber>>().unwrap_err(),
        Error::Malformed(EnvelopeError::NotSealed)
    );
    // Surrounding white space is trimmed.
    let keyring = Keyring::generate().unwrap();
    let text = keyring.seal(&id(), &ctx()).unwrap().to_text();
    let padded: Sealed<IdNumber> = format!(" \t{text}\n").parse().unwrap();
    assert_eq!(padded.to_text(), text);
}

#[test]
fn into_bytes_is_the_envelope() {
    let keyring = Keyring::generate().unwrap();
    let sealed = keyring.seal(&id(), &ctx()).unwrap();
    let bytes = sealed.as_bytes().to_vec();
    assert_eq!(bytes.len(), 18 + MIN_ENVELOPE);
    assert_eq!(bytes[0], 2, "new seals are v2");
    assert_eq!(sealed.clone().into_bytes(), bytes);
    assert_eq!(Sealed::<IdNumber>::from_vec(sealed.into_bytes()).unwrap().as_bytes(), bytes.as_slice());
}

#[test]
fn a_context_field_of_exactly_the_limit_is_accepted() {
    let keyring = Keyring::generate().unwrap();
    let longest = "x".repeat(MAX_FIELD_LEN);
    for c in [
        Context::new(&longest, "c"),
        Context::new("t", &longest),
        Context::new("t", "c").with_row(&longest),
        Context::new("t", "c").with(&longest, "v"),
    ] {
        let sealed = keyring.seal(&id(), &c).unwrap();
        assert_eq!(keyring.open(&sealed, &c, "t").unwrap(), id());
        assert_eq!(
            keyring.open_text::<IdNumber>(&keyring.seal_text(&id(), &c).unwrap(), &c, "t").unwrap(),
            id()
        );
    }
    let too_long = "x".repeat(MAX_FIELD_LEN + 1);
    assert_eq!(Context::try_new(&too_long, "c").unwrap_err(), Error::Context(ContextError::FieldTooLong));
    assert_eq!(
        Context::new("t", "c").try_with("row", &too_long).unwrap_err(),
        Error::Context(ContextError::FieldTooLong)
    );
}

#[test]
fn a_scoped_context_keeps_its_scope_when_given_table_and_column_fields() {
    let keyring = Keyring::generate().unwrap();
    let c = Context::new("users", "phone").with("table", "orders").with("column", "id");
    let fields: Vec<(&str, &str)> = c.fields().collect();
    assert_eq!(fields, [("table", "users"), ("column", "phone"), ("table", "orders"), ("column", "id")]);
    assert_eq!(c.to_string(), "table=users column=phone table=orders column=id");
    let sealed = keyring.seal(&id(), &c).unwrap();
    assert_eq!(keyring.open(&sealed, &c, "t").unwrap(), id());
    assert_eq!(keyring.open(&sealed, &Context::new("orders", "id"), "t"), Err(Error::ContextMismatch));
    assert_eq!(keyring.open(&sealed, &Context::new("users", "phone"), "t"), Err(Error::ContextMismatch));
    // An unscoped context that starts with table, column gains that scope.
    let built = Context::none().with("table", "users").with("column", "phone");
    assert_eq!(built, Context::new("users", "phone"));
}

#[test]
fn poisoned_contexts_fail_closed_on_every_path() {
    let keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    let too_long = Error::Context(ContextError::FieldTooLong);
    let bad = Context::new("users", "id_number").with("note", &"y".repeat(MAX_FIELD_LEN + 1));
    let good = keyring.seal(&id(), &ctx()).unwrap();
    let good_text = good.to_text();
    let for_subject = keyring.seal_for(&store, "u", &id(), &ctx()).unwrap();
    assert_eq!(keyring.seal(&id(), &bad).unwrap_err(), too_long);
    assert_eq!(keyring.seal_text(&id(), &bad).unwrap_err(), too_long);
    assert_eq!(keyring.seal_for(&store, "u", &id(), &bad).unwrap_err(), too_long);
    assert_eq!(keyring.open(&good, &bad, "t"), Err(too_long.clone()));
    assert_eq!(keyring.open_text::<IdNumber>(&good_text, &bad, "t"), Err(too_long.clone()));
    assert_eq!(keyring.open_for(&store, "u", &for_subject, &bad, "t"), Err(too_long));
    assert_eq!(keyring.keys()[0].seal_count, 1, "refused seals are not counted");
}

#[test]
fn reseal_all_counts_unchanged_resealed_and_failed() {
    let mut keyring = Keyring::generate().unwrap();
    let old = keyring.seal(&id(), &ctx()).unwrap();
    keyring.rotate().unwrap();
    let current = keyring.seal(&id(), &ctx()).unwrap();
    let items = vec![
        (current.clone(), ctx()),
        (old.clone(), ctx()),
        (current.clone(), ctx()),
        (old.clone(), ctx().with_row("elsewhere")),
        (current.clone(), ctx().with_row("elsewhere")),
    ];
    let mut seen = Vec::new();
    let report = keyring.reseal_all(items, |p| seen.push((p.done, p.failed)));
    assert_eq!((report.resealed, report.unchanged), (1, 3));
    assert_eq!(report.failed, vec![(3, Error::ContextMismatch)]);
    assert_eq!(seen, [(1, 0), (2, 0), (3, 0), (4, 1), (5, 1)]);
    let outcomes: Vec<_> = report.outcomes.iter().map(|o| o.as_ref().map(Sealed::key_id)).collect();
    assert_eq!(outcomes, [Ok(2), Ok(2), Ok(2), Err(&Error::ContextMismatch), Ok(2)]);
    // Unchanged values are returned as they were: no new seal.
    assert_eq!(report.outcomes[0].as_ref().unwrap(), &current);
    assert_ne!(report.outcomes[1].as_ref().unwrap(), &old);
}

#[test]
fn key_lifecycle_errors_are_exact() {
    let mut keyring = Keyring::generate().unwrap();
    assert_eq!(keyring.destroy(1, 0), Err(Error::Key(KeyError::DestroyActive)));
    assert_eq!(keyring.set_decrypt_only(1), Err(Error::Key(KeyError::RetireActive)));
    assert_eq!(
        keyring.add_key(1, RootKey::from_bytes([1; 32]), KeyState::DecryptOnly),
        Err(Error::Key(KeyError::DuplicateId))
    );
    assert_eq!(
        keyring.add_key(0, RootKey::from_bytes([1; 32]), KeyState::DecryptOnly),
        Err(Error::Key(KeyError::ReservedId))
    );
    keyring.rotate().unwrap();
    assert_eq!(keyring.set_decrypt_only(1), Ok(()));
    keyring.destroy(1, 0).unwrap();
    assert_eq!(keyring.set_decrypt_only(1), Err(Error::KeyDestroyed(1)));
    assert_eq!(keyring.set_decrypt_only(9), Err(Error::UnknownKey(9)));
    // Seal counts are per key and move with each seal.
    let shared = Arc::new(keyring);
    shared.seal(&id(), &ctx()).unwrap();
    shared.seal_text(&id(), &ctx()).unwrap();
    let counts: Vec<(u32, u64)> = shared.keys().iter().map(|k| (k.id, k.seal_count)).collect();
    assert_eq!(counts, [(1, 0), (2, 2)]);
}

#[test]
fn sealed_values_hash_by_their_bytes() {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let hash = |s: &Sealed<IdNumber>| BuildHasherDefault::<DefaultHasher>::default().hash_one(s);
    let keyring = Keyring::generate().unwrap();
    let a = keyring.seal(&id(), &ctx()).unwrap();
    let b = keyring.seal(&id(), &ctx()).unwrap();
    let a_again = Sealed::<IdNumber>::from_bytes(a.as_bytes()).unwrap();
    assert_eq!(hash(&a), hash(&a_again));
    assert_ne!(hash(&a), hash(&b), "two envelopes of one value hash alike");
    let set: std::collections::HashSet<Sealed<IdNumber>> = [a.clone(), b, a_again].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn contexts_are_equal_only_when_every_field_is() {
    let base = Context::new("users", "phone").with_row("1");
    assert_eq!(base, Context::none().with("table", "users").with("column", "phone").with("row", "1"));
    assert_ne!(base, Context::new("users", "phone").with_row("2"), "another row");
    assert_ne!(base, Context::new("users", "email").with_row("1"), "another column");
    assert_ne!(
        Context::new("users", "phone"),
        Context::none().with("column", "phone").with("table", "users")
    );
    // A poisoned context equals no usable one, not even the empty one it wraps.
    let poisoned = Context::new(&"x".repeat(MAX_FIELD_LEN + 1), "c");
    assert_ne!(poisoned, Context::none());
    assert_eq!(format!("{base:?}"), "Context(table=users column=phone row=1)");
    assert_eq!(format!("{:?}", Context::none()), "Context()");
}
