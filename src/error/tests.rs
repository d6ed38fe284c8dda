//! Every cause enum's messages: non-empty, value-free and unique within the enum.

use super::*;

/// The variants of `$ty`, listed once: the exhaustive `match` fails to
/// compile when a variant is added to the enum but not to this table.
macro_rules! all {
    ($ty:ident: $($v:ident $(($arg:expr))?),+ $(,)?) => {{
        fn _listed(e: $ty) {
            match e {
                $($ty::$v { .. } => {})+
            }
        }
        vec![$($ty::$v $(($arg))?),+]
    }};
}

/// A sample input of each shape the crate reads; no message may repeat any
/// run of four of its digits.
const SAMPLES: [&str; 3] = ["11010519491231002X", "+86 138-0013-8000", "6222021234567890123"];

fn digit_runs(s: &str) -> Vec<String> {
    let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    digits.windows(4).map(|w| w.iter().collect()).collect()
}

fn check<E: core::fmt::Display>(name: &str, all: &[E]) {
    let texts: Vec<String> = all.iter().map(ToString::to_string).collect();
    let runs: Vec<String> = SAMPLES.iter().flat_map(|s| digit_runs(s)).collect();
    for (i, t) in texts.iter().enumerate() {
        assert!(!t.trim().is_empty(), "{name} variant {i} has an empty message");
        assert!(!runs.iter().any(|r| t.contains(r.as_str())), "{name}: {t:?} repeats sample digits");
        assert_eq!(texts.iter().filter(|u| *u == t).count(), 1, "{name}: {t:?} is not unique");
    }
}

#[test]
fn every_cause_message_is_non_empty_value_free_and_unique() {
    use ConfigError as C;
    check(
        "KeyError",
        &all!(KeyError: ReservedId, DuplicateId, IdsExhausted, DestroyActive, RetireActive,
            DomainPinned, NoMaterial, CacheInconsistent, CachePoisoned, RootKeyEnvUnset, RootKeyId,
            RootKeyBase64, RootKeyLength, HmacKeyRejected, NoFpeKey, EmptyPassphrase, KeyringTooLarge,
            ProviderIdTooLong, WrappedKeyTooLong, BadWrappedKey, ProviderFailed, ProviderKeyLength,
            SubjectIdLength, SubjectWrapFailed, SubjectStorePoisoned, NoExpiry, NoSubjectListing, UnknownSuite,
            Backend("subject key table unavailable")),
    );
    check(
        "PinsError",
        &all!(PinsError: UnknownNamespace, DomainName, Empty, Duplicate, MissingKey, DestroyedKey),
    );
    check(
        "EnvelopeError",
        &all!(EnvelopeError: NotSealed, Base64, TooLarge, UnknownKindCode, ValueTooLong, NotToken,
            TokenKeyIdLeadingZero, NotWrappedSubjectKey, NotUtf8, OtherKind),
    );
    check("ContextError", &all!(ContextError: FieldTooLong, TooManyFields, EmptyRowId));
    check("DomainError", &all!(DomainError: Name));
    check(
        "AuditError",
        &all!(AuditError: Write(std::io::ErrorKind::BrokenPipe), Unavailable("buffer full"), WriterPoisoned),
    );
    check(
        "KeyringFileError",
        &all!(KeyringFileError: NotAKeyringFile, UnsupportedVersion(9), Truncated, Corrupted,
            ProviderMismatch, WrongPassphrase, Tampered, Parameters, Malformed, CostTooHigh,
            InvalidPins(PinsError::Empty), SymbolicLink),
    );
    check("MaskRuleError", &all!(MaskRuleError: RangeOrder, UnknownLevel));
    check(
        "PasswordHashError",
        &all!(PasswordHashError: MemoryTooSmall, MemoryTooLarge, TimeTooSmall, ParallelismTooSmall,
            ParallelismTooLarge, InvalidParams, CostAboveLimits, HashingFailed, NotArgon2id,
            UnsupportedVersion, PhcParams, PhcMissingParts),
    );
    check(
        "ConfigError",
        &all!(C: Ff1Radix, Ff1TweakTooLong, Ff1TooLong, Ff1Numerals, Ff1DecimalDigits,
            CycleWalkDomain, NoFpe, IndexBits, TransformKind, IndexUnique, TooFewRows, IndexTooShort,
            IndexTooLong, NoBlindIndex, NoIndexVersion, IndexVersionBits, AgeBandWidth,
            GeohashPrecision, GridCellSize, KAnonymity, FactKind, NoToken, PasswordSeal,
            PasswordRotate, NoSubjectStore, SqlName, NoSchema, EmptyRotation),
    );
}

#[test]
fn wrapped_causes_keep_the_messages_they_had_as_text() {
    assert_eq!(Error::Key(KeyError::ReservedId).to_string(), "key error: key id 0 is reserved");
    assert_eq!(
        Error::Malformed(EnvelopeError::NotSealed).to_string(),
        "malformed sealed value: not a dz1 sealed value"
    );
    assert_eq!(
        Error::Config(ConfigError::KAnonymity).to_string(),
        "invalid configuration: k-anonymity needs k >= 2"
    );
    assert_eq!(
        Error::Context(ContextError::FieldTooLong).to_string(),
        "invalid context: context field too long"
    );
    assert_eq!(
        Error::InvalidRule(MaskRuleError::UnknownLevel).to_string(),
        "invalid mask rule: unknown mask level"
    );
    assert_eq!(
        Error::PasswordHash(PasswordHashError::NotArgon2id).to_string(),
        "password hashing failed: not an argon2id PHC string"
    );
    assert_eq!(
        Error::KeyringFile(KeyringFileError::InvalidPins(PinsError::Duplicate)).to_string(),
        "keyring file: invalid analytics pins: duplicate pin"
    );
    assert_eq!(Error::Key(KeyError::Backend("store down")).to_string(), "key error: store down");
}
