//! Shared fixtures and property checks for the fuzz targets (see README.md).
//!
//! Panics here are the fuzz findings: messages may name values, because they
//! only ever reach the person reading a crash report.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use zeroize::Zeroizing;

use desensitize::keys::{KeyState, RootKey};
use desensitize::kind::AnyValue;
use desensitize::{
    Biometric, Context, Error, GeoPoint, Invalid, Keyring, Kind, MaskLevel, Password, Sensitive,
};

pub mod vectors;

/// A kind as the fuzz targets see it: its type name (what `Debug` prints)
/// and a canonical text that its parser must read back to an equal value.
/// One blanket impl: the two kinds whose plaintext is not their text
/// (locations, biometric templates) are told apart at run time through
/// [`AnyValue`], so no list of kinds is kept here beside the library's.
pub trait FuzzKind: Sensitive + FromStr<Err = Error> + Into<AnyValue> {
    /// The type name `Debug` prints before `([REDACTED])`.
    fn type_name() -> &'static str {
        let path = std::any::type_name::<Self>();
        path.rsplit("::").next().unwrap_or(path)
    }

    /// The library's one canonical text ([`AnyValue::canonical_text_into`]):
    /// `expose()` for text kinds, `lat,lon` for geo points, standard base64
    /// for biometric templates.
    fn canonical_text(&self) -> String {
        let mut out = Zeroizing::new(String::new());
        self.clone().into().canonical_text_into(&mut out);
        out.as_str().to_owned()
    }

    /// The canonical plaintext of SPEC.md §3.3, computed from public
    /// accessors: UTF-8 of the text for text kinds, the two big-endian IEEE
    /// 754 words of a location, a template's bytes.
    fn plaintext_bytes(&self) -> Vec<u8> {
        match self.clone().into() {
            AnyValue::GeoPoint(p) => {
                let (lat, lon) = p.expose();
                [lat.to_bits().to_be_bytes(), lon.to_bits().to_be_bytes()].concat()
            }
            AnyValue::Biometric(b) => b.expose().to_vec(),
            _ => self.canonical_text().into_bytes(),
        }
    }

    /// The value whose canonical plaintext `bytes` would be, if any (read
    /// through the public constructors, so an ID number whose birth date is
    /// after today gives `None`).
    fn from_plaintext(bytes: &[u8]) -> Option<Self> {
        let any: Box<dyn std::any::Any> = match Self::KIND {
            Kind::GeoPoint => {
                let word = |i: usize| {
                    Some(f64::from_bits(u64::from_be_bytes(bytes.get(i..i + 8)?.try_into().ok()?)))
                };
                if bytes.len() != 16 {
                    return None;
                }
                Box::new(GeoPoint::new(word(0)?, word(8)?).ok()?)
            }
            Kind::Biometric => Box::new(Biometric::from_bytes(bytes.to_vec()).ok()?),
            _ => return std::str::from_utf8(bytes).ok()?.parse().ok(),
        };
        any.downcast::<Self>().ok().map(|v| *v)
    }
}

impl<T: Sensitive + FromStr<Err = Error> + Into<AnyValue>> FuzzKind for T {}

/// Every `Invalid` reason this build knows, to build a kind's fixed error texts.
const REASONS: [Invalid; 12] = [
    Invalid::Empty,
    Invalid::Length,
    Invalid::Character,
    Invalid::CheckDigit,
    Invalid::Luhn,
    Invalid::BirthDate,
    Invalid::BirthDateInFuture,
    Invalid::Province,
    Invalid::Prefix,
    Invalid::OutOfRange,
    Invalid::NotFinite,
    Invalid::Malformed,
];

/// The character windows of `text` that are `len` characters long.
fn windows(text: &str, len: usize) -> impl Iterator<Item = &str> {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    (0..starts.len().saturating_sub(len)).map(move |i| &text[starts[i]..starts[i + len]])
}

/// No part of `secret` longer than 3 characters shows in `output`, unless
/// that part is also in `fixed` (the text `output` is made of regardless of
/// the value, e.g. `IdNumber([REDACTED])`).
pub fn assert_no_leak(what: &str, output: &str, secret: &str, fixed: &str) {
    for w in windows(secret, 4) {
        assert!(!output.contains(w) || fixed.contains(w), "{what} shows {w:?} of the value: {output:?}");
    }
}

/// A parse error of kind `T` must be value-free:
///
/// * it is `Error::Invalid { kind: T::KIND, .. }`, a variant that holds only
///   the kind and a reason (whose one payload is a length limit);
/// * its `Display` and `Debug` contain the input (4 characters or more, as
///   given or trimmed) only where the input is itself part of the kind's
///   fixed error texts (input `"wrong"` is in `"wrong length"`).
pub fn assert_parse_error_value_free<T: FuzzKind>(err: &Error, input: &str) {
    let Error::Invalid { kind, reason } = err else {
        panic!("parser of {} returned a non-Invalid error: {err}", T::KIND);
    };
    assert_eq!(*kind, T::KIND, "parser of {} reported another kind", T::KIND);
    let mut fixed: Vec<String> = REASONS
        .iter()
        .map(|r| Error::Invalid { kind: T::KIND, reason: *r })
        .flat_map(|e| [e.to_string(), format!("{e:?}")])
        .collect();
    if let Invalid::TooLong { .. } = reason {
        // The one payload: a limit of the kind, not a part of the input.
        fixed.push(err.to_string());
        fixed.push(format!("{err:?}"));
    }
    assert_error_text_free(T::KIND.as_str(), err, input, &fixed);
}

/// `err`'s `Display` and `Debug` contain `input` (if at least 4 characters,
/// as given or trimmed) only where it is part of one of the `fixed` texts.
pub fn assert_error_text_free(what: &str, err: &Error, input: &str, fixed: &[String]) {
    for probe in [input, input.trim()] {
        if probe.chars().count() < 4 {
            continue;
        }
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(
                !shown.contains(probe) || fixed.iter().any(|f| f.contains(probe)),
                "{what}: error contains the input: {shown:?}"
            );
        }
    }
}

/// `Debug` of a value is its fixed text and shows no 4-character part of the
/// input or of the canonical form that is not in that fixed text.
pub fn assert_debug_redacted<T: FuzzKind>(value: &T, input: &str) {
    let fixed = format!("{}([REDACTED])", T::type_name());
    let canonical = value.canonical_text();
    for shown in [format!("{value:?}"), format!("{value:#?}")] {
        assert_no_leak(T::type_name(), &shown, input, &fixed);
        assert_no_leak(T::type_name(), &shown, &canonical, &fixed);
    }
}

/// Parse `input` as `T` and check every property the design promises.
/// Returns the value when it parsed.
pub fn check_parse<T: FuzzKind>(input: &str) -> Option<T> {
    let value = match input.parse::<T>() {
        Ok(v) => v,
        Err(e) => {
            assert_parse_error_value_free::<T>(&e, input);
            return None;
        }
    };
    assert_debug_redacted(&value, input);
    // Display is the Standard mask (shows some characters on purpose);
    // every level masks without panicking.
    assert_eq!(value.to_string(), value.mask(MaskLevel::Standard), "{} Display", T::KIND);
    for level in [MaskLevel::Strict, MaskLevel::Relaxed] {
        let _ = value.mask(level);
    }
    // Round trip: the canonical text parses back to an equal value, and
    // the canonical form is a fixed point.
    let canonical = value.canonical_text();
    let again: T = canonical
        .parse()
        .unwrap_or_else(|e| panic!("{}: canonical form {canonical:?} of {input:?} is refused: {e}", T::KIND));
    assert!(again == value, "{}: canonical form {canonical:?} of {input:?} parses to another value", T::KIND);
    assert_eq!(again.canonical_text(), canonical, "{}: canonical form is not a fixed point", T::KIND);
    Some(value)
}

/// The number of kinds [`with_kind`] dispatches to.
pub const KIND_COUNT: u8 = 15;

/// Call `f` with the sealable kind numbered `selector % KIND_COUNT`.
#[macro_export]
macro_rules! with_sealable_kind {
    ($selector:expr, $f:ident ( $($arg:expr),* )) => {
        match $selector % $crate::KIND_COUNT {
            0 => $f::<desensitize::IdNumber>($($arg),*),
            1 => $f::<desensitize::MobilePhone>($($arg),*),
            2 => $f::<desensitize::Landline>($($arg),*),
            3 => $f::<desensitize::BankCard>($($arg),*),
            4 => $f::<desensitize::GeoPoint>($($arg),*),
            5 => $f::<desensitize::Email>($($arg),*),
            6 => $f::<desensitize::PersonName>($($arg),*),
            7 => $f::<desensitize::Address>($($arg),*),
            8 => $f::<desensitize::IpAddress>($($arg),*),
            9 => $f::<desensitize::MacAddress>($($arg),*),
            10 => $f::<desensitize::Imei>($($arg),*),
            11 => $f::<desensitize::Passport>($($arg),*),
            12 => $f::<desensitize::LicensePlate>($($arg),*),
            13 => $f::<desensitize::CreditCode>($($arg),*),
            _ => $f::<desensitize::Biometric>($($arg),*),
        }
    };
}

/// The fuzz input as text: valid UTF-8 as is, anything else lossily (so
/// that no input is wasted on a UTF-8 check).
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A keyring holding every key of `tests/vectors/seal.json` under its id
/// (the lowest id active, the others decrypt-only), built once.
pub fn vector_keyring() -> &'static Keyring {
    vector_keyring_arc()
}

/// The same keyring, shared (as `policy::Plan` takes it).
pub fn vector_keyring_arc() -> &'static Arc<Keyring> {
    static KEYRING: OnceLock<Arc<Keyring>> = OnceLock::new();
    KEYRING.get_or_init(|| {
        let mut keys: Vec<(u32, [u8; 32])> = vectors::seal().iter().map(|v| (v.key_id, v.root_key)).collect();
        keys.sort();
        keys.dedup();
        let mut keyring = Keyring::new();
        for (i, (id, key)) in keys.into_iter().enumerate() {
            let state = if i == 0 { KeyState::Active } else { KeyState::DecryptOnly };
            keyring.add_key(id, RootKey::from_bytes(key), state).expect("vector keys are distinct");
        }
        Arc::new(keyring)
    })
}

/// A context from `[name, value]` pairs as in the vectors: `table`,
/// `column` first makes the scope, anything else is bound as extra fields.
pub fn context(pairs: &[(String, String)]) -> Context {
    let (mut ctx, rest) = match pairs {
        [(t, table), (c, column), rest @ ..] if t == "table" && c == "column" => {
            (Context::new(table, column), rest)
        }
        _ => (Context::none(), pairs),
    };
    for (name, value) in rest {
        ctx = ctx.with(name, value);
    }
    ctx
}

/// Consume bytes from the front of the fuzz input.
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    /// The next byte, 0 when the input is used up.
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    /// The next `n` bytes (fewer at the end of the input).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }

    /// The rest of the input.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// `Password` is parsed like the other kinds but is never sealable.
pub fn check_password(input: &str) {
    let _ = check_parse::<Password>(input);
}

/// The selector that makes [`with_sealable_kind!`] pick `kind`: its place
/// among the sealable kinds, in [`desensitize::Kind::ALL`] order (the
/// order of that macro's arms). A password picks the last kind.
pub fn kind_selector(kind: desensitize::Kind) -> u8 {
    let sealable = desensitize::Kind::ALL.into_iter().filter(|k| *k != desensitize::Kind::Password);
    let at = sealable.clone().position(|k| k == kind).unwrap_or(sealable.count() - 1);
    u8::try_from(at).expect("fewer than 256 kinds")
}

/// Apply up to 8 mutations, read 4 bytes each from `ops`, to `target`:
/// flip a byte, truncate, insert a byte, or delete a byte.
pub fn mutate(target: &mut Vec<u8>, ops: &[u8]) {
    for op in ops.chunks_exact(4).take(8) {
        let pos = usize::from(u16::from_be_bytes([op[1], op[2]]));
        let val = op[3];
        match op[0] % 4 {
            0 if !target.is_empty() => {
                let i = pos % target.len();
                target[i] ^= val;
            }
            1 => target.truncate(pos % (target.len() + 1)),
            2 => target.insert(pos % (target.len() + 1), val),
            3 if !target.is_empty() => {
                target.remove(pos % target.len());
            }
            _ => {}
        }
    }
}

/// Call `f` with the kind numbered `selector % 14` among the kinds that
/// make tokens and blind indexes (every sealable kind but `Biometric`).
#[macro_export]
macro_rules! with_pseudonymizable_kind {
    ($selector:expr, $f:ident ( $($arg:expr),* )) => {
        match $selector % 14 {
            0 => $f::<desensitize::IdNumber>($($arg),*),
            1 => $f::<desensitize::MobilePhone>($($arg),*),
            2 => $f::<desensitize::Landline>($($arg),*),
            3 => $f::<desensitize::BankCard>($($arg),*),
            4 => $f::<desensitize::GeoPoint>($($arg),*),
            5 => $f::<desensitize::Email>($($arg),*),
            6 => $f::<desensitize::PersonName>($($arg),*),
            7 => $f::<desensitize::Address>($($arg),*),
            8 => $f::<desensitize::IpAddress>($($arg),*),
            9 => $f::<desensitize::MacAddress>($($arg),*),
            10 => $f::<desensitize::Imei>($($arg),*),
            11 => $f::<desensitize::Passport>($($arg),*),
            12 => $f::<desensitize::LicensePlate>($($arg),*),
            _ => $f::<desensitize::CreditCode>($($arg),*),
        }
    };
}

/// `enc(fields)` of SPEC.md §1.
pub fn enc(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = (fields.len() as u16).to_be_bytes().to_vec();
    for f in fields {
        out.extend_from_slice(&(f.len() as u16).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// `derive(S, labels)` of SPEC.md §2.
pub fn derive(secret: &[u8; 32], labels: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    type HmacSha256 = Hmac<sha2::Sha256>;
    let mut mac = HmacSha256::new_from_slice(b"desensitize/v1").expect("any key length");
    mac.update(secret);
    let prk = mac.finalize().into_bytes();
    let mut mac = HmacSha256::new_from_slice(&prk).expect("any key length");
    mac.update(&enc(labels));
    mac.update(&[1]);
    mac.finalize().into_bytes().into()
}

/// An algorithm-1 envelope of `plaintext` (any bytes, canonical or not)
/// for the empty context, under vector key id 1, written from SPEC.md §3.4
/// alone (not through the crate).
pub fn spec_seal(kind: desensitize::Kind, plaintext: &[u8], nonce: [u8; 12]) -> Vec<u8> {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use sha2::Digest;
    let root = vectors::seal().iter().find(|v| v.key_id == 1).expect("a vector under key 1").root_key;
    let empty = enc(&[]);
    let key = derive(&root, &[b"desensitize.seal", kind.as_str().as_bytes(), &empty]);
    let check = sha2::Sha256::digest([&b"desensitize.context.v1"[..], &empty].concat());
    let mut envelope = vec![1, 1];
    envelope.extend_from_slice(&1u32.to_be_bytes());
    envelope.extend_from_slice(&kind.code().to_be_bytes());
    envelope.extend_from_slice(&check[..4]);
    envelope.extend_from_slice(&nonce);
    let aad = [&envelope[..12], &empty].concat();
    let mut body = plaintext.to_vec();
    let tag = aes_gcm::Aes256Gcm::new(&key.into())
        .encrypt_inout_detached(&nonce.into(), &aad, body.as_mut_slice().into())
        .expect("small plaintext");
    envelope.extend_from_slice(&body);
    envelope.extend_from_slice(&tag);
    envelope
}
