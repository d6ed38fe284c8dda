//! Checks shared by the property tests: each kind's canonical form, no-leak
//! checks of `Debug`, `Display` and masks, and the fixed error sentences.
//!
//! Failures are not persisted (no `proptest-regressions` files): a failing
//! case is printed with its inputs instead.

use std::str::FromStr;
use std::sync::OnceLock;

use desensitize::kind::AnyValue;
use desensitize::{Error, Keyring, Kind, MaskLevel, Sensitive};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use zeroize::Zeroizing;

pub type TestResult = Result<(), TestCaseError>;

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

pub fn keyring() -> &'static Keyring {
    static KEYRING: OnceLock<Keyring> = OnceLock::new();
    KEYRING.get_or_init(|| Keyring::generate().unwrap())
}

// ---------------------------------------------------------------------------
// Checks shared by the properties.

/// Each kind's type name (what `Debug` prints) and the text its canonical
/// form re-parses from: the library's one canonical text
/// ([`AnyValue::canonical_text_into`]), except for locations (below). One
/// blanket impl, so no list of kinds is kept here beside the library's.
pub trait Canon: Sensitive + FromStr<Err = Error> + Into<AnyValue> {
    /// The type's name, as `Debug` prints it before `([REDACTED])`.
    fn name() -> &'static str {
        let path = std::any::type_name::<Self>();
        path.rsplit("::").next().unwrap_or(path)
    }

    fn canon(&self) -> String {
        match self.clone().into() {
            // Exponent form, not the library's `lat,lon` in plain decimals:
            // the properties feed coordinates such as `1e-300`, whose plain
            // decimal form is over 300 characters, longer than the parser
            // accepts.
            AnyValue::GeoPoint(p) => {
                let (lat, lon) = p.expose();
                format!("{lat:e},{lon:e}")
            }
            any => {
                let mut out = Zeroizing::new(String::new());
                any.canonical_text_into(&mut out);
                out.as_str().to_owned()
            }
        }
    }
}

impl<T: Sensitive + FromStr<Err = Error> + Into<AnyValue>> Canon for T {}

pub fn grams(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.windows(n).map(|w| w.iter().collect()).collect()
}

pub fn parse_ok<T: Canon>(input: &str) -> Result<T, TestCaseError> {
    input.parse::<T>().map_err(|e| TestCaseError::fail(format!("{} {input:?} must parse: {e}", T::KIND)))
}

/// `Debug` is exactly `Type([REDACTED])` and holds no 4-character run of the
/// value (runs that are part of that fixed text are not the value's).
pub fn check_debug<T: Canon>(v: &T) -> TestResult {
    let debug = format!("{v:?}");
    let fixed = format!("{}([REDACTED])", T::name());
    prop_assert_eq!(&debug, &fixed);
    // The run-time kind value prints the same fixed text.
    let any: AnyValue = v.clone().into();
    prop_assert_eq!(format!("{any:?}"), fixed.clone());
    for g in grams(&v.canon(), 4) {
        prop_assert!(!debug.contains(&g) || fixed.contains(&g), "{} Debug leaks {:?}", T::KIND, g);
    }
    Ok(())
}

/// Common no-leak checks; returns the masks `[strict, standard, relaxed]`.
pub fn masks<T: Canon>(v: &T) -> Result<[String; 3], TestCaseError> {
    check_debug(v)?;
    let m = MaskLevel::ALL.map(|level| v.mask(level));
    prop_assert_eq!(v.to_string(), m[1].clone(), "{} Display must be the Standard mask", T::KIND);
    Ok(m)
}

/// `middle` (a run of the value that a mask hides) must not appear in `out`,
/// unless it also occurs in what that mask is allowed to show.
/// In `Debug`, whose fixed text is `Type([REDACTED])`, a hidden run shorter
/// than 4 characters is only checked against that text.
pub fn assert_absent(kind: Kind, out: &str, middle: &str, allowed: &str, what: &str) -> TestResult {
    if what == "Debug" && middle.chars().count() < 4 {
        return Ok(());
    }
    if !middle.is_empty() && !allowed.contains(middle) {
        prop_assert!(!out.contains(middle), "{kind} {what} {out:?} shows the hidden run {middle:?}");
    }
    Ok(())
}

/// `value` with characters `hide` replaced by `*`: what a mask may show.
pub fn star(value: &str, hide: std::ops::Range<usize>) -> String {
    value.chars().enumerate().map(|(i, c)| if hide.contains(&i) { '*' } else { c }).collect()
}

pub fn slice(value: &str, r: std::ops::Range<usize>) -> String {
    value.chars().skip(r.start).take(r.len()).collect()
}

/// An ASCII keep-the-ends mask: `value[..f] + '*' * hidden + value[n-l..]`
/// with `f <= first`, `l <= last`, exactly `(first, last)` unless that would
/// hide fewer than `max(3, n/4)` characters, and never hiding fewer.
pub fn check_keep_ends(kind: Kind, value: &str, masked: &str, first: usize, last: usize) -> TestResult {
    let n = value.len();
    prop_assert_eq!(masked.len(), n, "{} {:?}", kind, masked);
    let f = masked.find('*').unwrap_or(n);
    let l = masked.rfind('*').map_or(0, |at| n - at - 1);
    prop_assert!(f <= first && l <= last, "{kind} {masked:?} keeps more than ({first}, {last})");
    prop_assert_eq!(&masked[..f], &value[..f]);
    prop_assert_eq!(&masked[n - l..], &value[n - l..]);
    prop_assert!(masked[f..n - l].bytes().all(|b| b == b'*'), "{kind} {masked:?}");
    let min_hidden = if n <= 3 { n } else { (n / 4).max(3) };
    prop_assert!(n - f - l >= min_hidden, "{kind} {masked:?} hides fewer than {min_hidden}");
    if first + last + min_hidden <= n {
        prop_assert_eq!((f, l), (first, last), "{} {:?}", kind, masked);
    }
    Ok(())
}

/// No-leak for the fixed-length ASCII kinds: each level's mask keeps at
/// most its ends, and the run the `Standard` mask hides appears neither in
/// `Debug`, `Display` nor `Strict`.
pub fn check_ascii_kind<T: Canon>(input: &str, want: &str, ends: [(usize, usize); 3]) -> TestResult {
    let v: T = parse_ok(input)?;
    prop_assert_eq!(v.canon(), want);
    let m = masks(&v)?;
    for (masked, (first, last)) in m.iter().zip(ends) {
        check_keep_ends(T::KIND, want, masked, first, last)?;
    }
    let n = want.len();
    let (sf, sl) = ends[1];
    let middle = &want[sf..n - sl];
    let allowed = star(want, sf..n - sl);
    assert_absent(T::KIND, &format!("{v:?}"), middle, &allowed, "Debug")?;
    assert_absent(T::KIND, &v.to_string(), middle, &allowed, "Display")?;
    assert_absent(T::KIND, &m[0], middle, &allowed, "Strict")?;
    let (tf, tl) = ends[0];
    assert_absent(T::KIND, &m[0], &want[tf..n - tl], &star(want, tf..n - tl), "Strict")?;
    Ok(())
}

// --- Error checks: errors are one of a fixed set of sentences. -------------

/// `(Debug of the reason, Display of the reason)`, written out here rather
/// than taken from the library.
pub const REASONS: &[(&str, &str)] = &[
    ("Empty", "empty"),
    ("Length", "wrong length"),
    ("Character", "invalid character"),
    ("CheckDigit", "check digit mismatch"),
    ("Luhn", "Luhn check failed"),
    ("BirthDate", "birth date is not a real date"),
    ("BirthDateInFuture", "birth date in the future"),
    ("Province", "unknown province code"),
    ("Prefix", "invalid prefix"),
    ("OutOfRange", "out of range"),
    ("NotFinite", "not a finite number"),
    ("Malformed", "malformed"),
];

/// The error from parsing `input` as `kind` is `Invalid { kind, reason }`
/// with a fixed message, and shows no 4-character run of `input` beyond
/// that fixed text. Returns the reason's `Debug` name.
pub fn check_invalid(kind: Kind, input: &str, err: &Error) -> Result<String, TestCaseError> {
    let display = err.to_string();
    let debug = format!("{err:?}");
    let head = format!("invalid {}: ", kind.as_str());
    let debug_head = format!("Invalid {{ kind: {kind:?}, reason: ");
    let sentence = display.strip_prefix(&head);
    let reason = debug.strip_prefix(&debug_head).and_then(|r| r.strip_suffix(" }"));
    let (Some(sentence), Some(reason)) = (sentence, reason) else {
        return Err(TestCaseError::fail(format!("{kind}: unexpected error {debug} / {display}")));
    };
    let known = REASONS.iter().any(|&(d, s)| d == reason && s == sentence);
    let too_long =
        reason.strip_prefix("TooLong { max: ").and_then(|r| r.strip_suffix(" }")).is_some_and(|max| {
            max.bytes().all(|b| b.is_ascii_digit())
                && sentence == format!("too long (at most {max} characters)")
        });
    prop_assert!(known || too_long, "{kind}: unexpected error {debug} / {display}");
    let mut vocabulary = format!("{head}{debug_head} }} too long (at most  characters) TooLong {{ max: ");
    for (d, s) in REASONS {
        vocabulary.push_str(&format!(" {d} {s} "));
    }
    if too_long {
        // The limit in `TooLong { max }` is a (checked to be numeric) constant.
        vocabulary.push_str(&format!(" {display} {debug} "));
    }
    for g in grams(input, 4) {
        prop_assert!(
            !(display.contains(&g) || debug.contains(&g)) || vocabulary.contains(&g),
            "{kind} error {display:?} / {debug:?} shows {g:?} from its input"
        );
    }
    Ok(reason.to_owned())
}

/// Parse `bad`, which must fail with `reason`, and check the error.
pub fn check_corrupted<T: Canon>(bad: &str, reason: &str) -> TestResult {
    match bad.parse::<T>() {
        Ok(_) => Err(TestCaseError::fail(format!("{} corrupted {bad:?} still parses", T::KIND))),
        Err(e) => {
            let got = check_invalid(T::KIND, bad, &e)?;
            prop_assert_eq!(got, reason, "{} {:?}", T::KIND, bad);
            Ok(())
        }
    }
}

/// Replace the character at `at` (a char index, taken modulo the length).
pub fn replace_at(s: &str, at: usize, with: char) -> String {
    let n = s.chars().count();
    let at = at % n;
    s.chars().enumerate().map(|(i, c)| if i == at { with } else { c }).collect()
}

/// A different character from `alphabet` than `c`.
pub fn other(alphabet: &str, c: char, pick: usize) -> char {
    let options: Vec<char> = alphabet.chars().filter(|&a| a != c).collect();
    options[pick % options.len()]
}
