//! Property tests: random valid values of every kind never leak through
//! `Debug`, `Display`, masks or errors; sealing round-trips; parsers and
//! decoders are total (never panic) and their canonical forms are fixed
//! points; `mask::Rule` keeps its shape.
//!
//! Failures are not persisted (no `proptest-regressions` files): a failing
//! case is printed with its inputs instead.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::OnceLock;

use base64ct::{Base64, Encoding};
use desensitize::keys::PassphraseProvider;
use desensitize::mask::Rule;
use desensitize::region::Province;
use desensitize::{
    Address, BankCard, Biometric, Context, CreditCode, Date, Email, Error, GeoPoint, IdNumber, Imei,
    IpAddress, Keyring, Kind, Landline, LicensePlate, MacAddress, MaskLevel, MobilePhone, Passport, Password,
    PersonName, Sealable, Sealed, Sensitive,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use MaskLevel::Standard;

type TestResult = Result<(), TestCaseError>;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------
// Check digits, computed independently of the library.

/// GB 11643 (ISO 7064 MOD 11-2) check character of 17 digits.
fn id_check(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

/// Luhn check digit to append to `payload`.
fn luhn_digit(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 0 {
                let v = v * 2;
                if v > 9 { v - 9 } else { v }
            } else {
                v
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100 check character of 17 code characters.
fn credit_check(first17: &str) -> char {
    const W: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let value = |c: char| CREDIT_ALPHABET.find(c).unwrap() as u32;
    let sum: u32 = first17.chars().zip(W).map(|(c, w)| value(c) * w).sum();
    CREDIT_ALPHABET.as_bytes()[((31 - sum % 31) % 31) as usize] as char
}

// ---------------------------------------------------------------------------
// Strategies for valid values. Each yields the input text; the canonical
// form (`expose()`) is what the parsed value is compared with.

fn id_number() -> impl Strategy<Value = String> {
    let provinces: Vec<u8> = Province::all().iter().map(|p| p.code()).collect();
    (prop::sample::select(provinces), 0u32..10_000, 1900u16..=2020, 1u8..=12, 1u8..=31, 0u32..1000).prop_map(
        |(province, rest, year, month, day, seq)| {
            let mut day = day;
            while Date::new(year, month, day).is_none() {
                day -= 1;
            }
            let first17 = format!("{province:02}{rest:04}{year:04}{month:02}{day:02}{seq:03}");
            format!("{first17}{}", id_check(&first17))
        },
    )
}

fn mobile_phone() -> impl Strategy<Value = String> {
    "1[3-9][0-9]{9}"
}

fn bank_card() -> impl Strategy<Value = String> {
    "[0-9]{11,18}".prop_map(|p| format!("{p}{}", luhn_digit(&p)))
}

fn imei() -> impl Strategy<Value = String> {
    "[0-9]{14}".prop_map(|p| format!("{p}{}", luhn_digit(&p)))
}

fn credit_code() -> impl Strategy<Value = String> {
    "[0-9A-HJ-NP-RTUW-Y]{17}".prop_map(|p| format!("{p}{}", credit_check(&p)))
}

fn email() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._+-]{0,15}@([a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?\\.){1,3}[a-z]{2,6}"
}

/// 2 to 6 CJK characters, some outside the BMP (U+20BB7 and Extension B).
fn person_name() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        4 => 0x4E00u32..=0x9FA5,
        1 => Just(0x20BB7u32),
        1 => 0x20000u32..=0x2A6D6,
    ]
    .prop_map(|u| char::from_u32(u).unwrap());
    prop::collection::vec(c, 2..=6).prop_map(|v| v.into_iter().collect())
}

/// CJK characters that occur in no province name and are no city or
/// district suffix, so that an address is recognized exactly as built.
fn plain_cjk() -> Vec<char> {
    let names: String = Province::all().iter().flat_map(|p| [p.name(), p.short_name()]).collect();
    "春夏秋冬花草木森石桥溪月星园坊街朝阳建国光明和平中华兴业长乐永宁福寿金银玉"
        .chars()
        .filter(|c| !names.contains(*c) && !"市州盟地区县旗".contains(*c))
        .collect()
}

/// A recognizable PRC address and the parts of it: `(text, province as
/// written, province + city + district as written, street)`.
#[derive(Debug, Clone)]
struct Addr {
    text: String,
    province: String,
    district: String,
    street: String,
}

fn address() -> impl Strategy<Value = Addr> {
    let provinces: Vec<Province> = Province::all().iter().copied().filter(|p| p.code() != 83).collect();
    let word = |n: std::ops::RangeInclusive<usize>| {
        prop::collection::vec(prop::sample::select(plain_cjk()), n)
            .prop_map(|v| v.into_iter().collect::<String>())
    };
    (prop::sample::select(provinces), any::<bool>(), word(2..=4), word(2..=3), word(2..=4), 1u32..1000)
        .prop_map(|(p, full, city, district, road, number)| {
            let province = if full { p.name() } else { p.short_name() }.to_owned();
            // A municipality has no city level.
            let city = if p.is_municipality() { String::new() } else { format!("{city}市") };
            let district = format!("{province}{city}{district}区");
            let street = format!("{road}路{number}号");
            Addr { text: format!("{district}{street}"), province, district, street }
        })
}

fn ipv4() -> impl Strategy<Value = String> {
    any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string())
}

fn ipv6() -> impl Strategy<Value = String> {
    let group = prop_oneof![Just(0u16), any::<u16>()];
    prop::array::uniform8(group).prop_map(|g| Ipv6Addr::from(g).to_string())
}

/// A MAC address in one of the accepted spellings, with its canonical form.
fn mac_address() -> impl Strategy<Value = (String, String)> {
    (any::<[u8; 6]>(), 0..4usize, any::<bool>()).prop_map(|(b, style, lower)| {
        let hex: Vec<String> = b.iter().map(|x| format!("{x:02X}")).collect();
        let canonical = hex.join(":");
        let joined = hex.concat();
        let input = match style {
            0 => canonical.clone(),
            1 => hex.join("-"),
            2 => joined,
            _ => format!("{}.{}.{}", &joined[..4], &joined[4..8], &joined[8..]),
        };
        (if lower { input.to_lowercase() } else { input }, canonical)
    })
}

fn passport() -> impl Strategy<Value = String> {
    prop_oneof!["[EGDSP][0-9]{8}", "[A-Za-z0-9]{5,20}"]
}

fn license_plate() -> impl Strategy<Value = String> {
    let provinces: Vec<char> =
        "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新".chars().collect();
    assert!(provinces.iter().all(|&c| Province::from_plate_char(c).is_some()));
    let serial =
        prop_oneof!["[A-HJ-NP-Z0-9]{5}", "[DF][A-HJ-NP-Z0-9]{5}", "[A-HJ-NP-Z0-9]{4}[学警挂领港澳]",];
    (prop::sample::select(provinces), "[A-Z]", serial).prop_map(|(p, a, s)| format!("{p}{a}{s}"))
}

/// `(area, local, extension)`.
fn landline() -> impl Strategy<Value = (String, String, Option<String>)> {
    let area = prop_oneof![Just("010".to_owned()), "02[0-9]", "0[3-9][0-9]{2}", "01[1-9][0-9]"];
    (area, "[2-9][0-9]{6,7}", prop::option::of("[0-9]{1,6}"))
}

fn landline_text((area, local, ext): &(String, String, Option<String>)) -> String {
    match ext {
        Some(ext) => format!("{area}-{local}-{ext}"),
        None => format!("{area}-{local}"),
    }
}

fn geo_point() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (-90.0f64..=90.0, -180.0f64..=180.0),
        (-900_000i32..=900_000, -1_800_000i32..=1_800_000)
            .prop_map(|(a, b)| (a as f64 / 1e4, b as f64 / 1e4)),
        (-90i32..=90, -180i32..=180).prop_map(|(a, b)| (a as f64, b as f64)),
    ]
}

fn biometric() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..200)
}

fn password() -> impl Strategy<Value = String> {
    "[ -~]{0,3}[!-~][ -~]{0,40}"
}

// ---------------------------------------------------------------------------
// Checks shared by the properties.

/// Each kind's type name (what `Debug` prints) and the text its canonical
/// form re-parses from.
trait Canon: Sensitive + FromStr<Err = Error> {
    const NAME: &'static str;
    fn canon(&self) -> String;
}

macro_rules! text_canon {
    ($($ty:ident),*) => {$(
        impl Canon for $ty {
            const NAME: &'static str = stringify!($ty);
            fn canon(&self) -> String {
                self.expose().to_owned()
            }
        }
    )*};
}
text_canon!(
    IdNumber,
    MobilePhone,
    Landline,
    BankCard,
    Email,
    PersonName,
    Address,
    IpAddress,
    MacAddress,
    Imei,
    Passport,
    LicensePlate,
    CreditCode,
    Password
);

impl Canon for GeoPoint {
    const NAME: &'static str = "GeoPoint";
    /// Exponent form: the shortest text that parses back to the same bits
    /// (`1e-300` in plain decimal would be over 300 characters).
    fn canon(&self) -> String {
        let (lat, lon) = self.expose();
        format!("{lat:e},{lon:e}")
    }
}

impl Canon for Biometric {
    const NAME: &'static str = "Biometric";
    fn canon(&self) -> String {
        Base64::encode_string(self.expose())
    }
}

fn grams(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.windows(n).map(|w| w.iter().collect()).collect()
}

fn parse_ok<T: Canon>(input: &str) -> Result<T, TestCaseError> {
    input.parse::<T>().map_err(|e| TestCaseError::fail(format!("{} {input:?} must parse: {e}", T::KIND)))
}

/// `Debug` is exactly `Type([REDACTED])` and holds no 4-character run of the
/// value (runs that are part of that fixed text are not the value's).
fn check_debug<T: Canon>(v: &T) -> TestResult {
    let debug = format!("{v:?}");
    let fixed = format!("{}([REDACTED])", T::NAME);
    prop_assert_eq!(&debug, &fixed);
    for g in grams(&v.canon(), 4) {
        prop_assert!(!debug.contains(&g) || fixed.contains(&g), "{} Debug leaks {:?}", T::KIND, g);
    }
    Ok(())
}

/// Common no-leak checks; returns the masks `[strict, standard, relaxed]`.
fn masks<T: Canon>(v: &T) -> Result<[String; 3], TestCaseError> {
    check_debug(v)?;
    let m = MaskLevel::ALL.map(|level| v.mask(level));
    prop_assert_eq!(v.to_string(), m[1].clone(), "{} Display must be the Standard mask", T::KIND);
    Ok(m)
}

/// `middle` (a run of the value that a mask hides) must not appear in `out`,
/// unless it also occurs in what that mask is allowed to show.
/// In `Debug`, whose fixed text is `Type([REDACTED])`, a hidden run shorter
/// than 4 characters is only checked against that text.
fn assert_absent(kind: Kind, out: &str, middle: &str, allowed: &str, what: &str) -> TestResult {
    if what == "Debug" && middle.chars().count() < 4 {
        return Ok(());
    }
    if !middle.is_empty() && !allowed.contains(middle) {
        prop_assert!(!out.contains(middle), "{kind} {what} {out:?} shows the hidden run {middle:?}");
    }
    Ok(())
}

/// `value` with characters `hide` replaced by `*`: what a mask may show.
fn star(value: &str, hide: std::ops::Range<usize>) -> String {
    value.chars().enumerate().map(|(i, c)| if hide.contains(&i) { '*' } else { c }).collect()
}

fn slice(value: &str, r: std::ops::Range<usize>) -> String {
    value.chars().skip(r.start).take(r.len()).collect()
}

/// An ASCII keep-the-ends mask: `value[..f] + '*' * hidden + value[n-l..]`
/// with `f <= first`, `l <= last`, exactly `(first, last)` unless that would
/// hide fewer than `max(3, n/4)` characters, and never hiding fewer.
fn check_keep_ends(kind: Kind, value: &str, masked: &str, first: usize, last: usize) -> TestResult {
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
fn check_ascii_kind<T: Canon>(input: &str, want: &str, ends: [(usize, usize); 3]) -> TestResult {
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
const REASONS: &[(&str, &str)] = &[
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
fn check_invalid(kind: Kind, input: &str, err: &Error) -> Result<String, TestCaseError> {
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
fn check_corrupted<T: Canon>(bad: &str, reason: &str) -> TestResult {
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
fn replace_at(s: &str, at: usize, with: char) -> String {
    let n = s.chars().count();
    let at = at % n;
    s.chars().enumerate().map(|(i, c)| if i == at { with } else { c }).collect()
}

/// A different character from `alphabet` than `c`.
fn other(alphabet: &str, c: char, pick: usize) -> char {
    let options: Vec<char> = alphabet.chars().filter(|&a| a != c).collect();
    options[pick % options.len()]
}

// ---------------------------------------------------------------------------
// 1 + 2. Valid values parse; nothing leaks; corrupted values give clean errors.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn id_number_no_leak(id in id_number(), pick in any::<usize>()) {
        check_ascii_kind::<IdNumber>(&id, &id, [(1, 1), (3, 3), (6, 4)])?;
        // Lower-case x and separators are accepted; the canonical form is the same.
        let v: IdNumber = parse_ok(&format!(" {} {} ", &id[..6], id[6..].to_lowercase()))?;
        prop_assert_eq!(v.expose(), &id);
        let last = id.chars().last().unwrap();
        check_corrupted::<IdNumber>(&replace_at(&id, 17, other("0123456789X", last, pick)), "CheckDigit")?;
    }

    #[test]
    fn mobile_phone_no_leak(phone in mobile_phone(), pick in any::<usize>()) {
        check_ascii_kind::<MobilePhone>(&phone, &phone, [(0, 4), (3, 4), (3, 4)])?;
        let v: MobilePhone = parse_ok(&format!("+86 {}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]))?;
        prop_assert_eq!(v.expose(), &phone);
        check_corrupted::<MobilePhone>(&replace_at(&phone, 1, other("012", 'x', pick)), "Prefix")?;
    }

    #[test]
    fn bank_card_no_leak(card in bank_card(), pick in any::<usize>()) {
        check_ascii_kind::<BankCard>(&card, &card, [(0, 4), (6, 4), (6, 6)])?;
        let last = card.chars().last().unwrap();
        let bad = replace_at(&card, card.len() - 1, other("0123456789", last, pick));
        check_corrupted::<BankCard>(&bad, "Luhn")?;
    }

    #[test]
    fn imei_no_leak(imei in imei(), pick in any::<usize>()) {
        check_ascii_kind::<Imei>(&imei, &imei, [(8, 0); 3])?;
        let last = imei.chars().last().unwrap();
        check_corrupted::<Imei>(&replace_at(&imei, 14, other("0123456789", last, pick)), "Luhn")?;
    }

    #[test]
    fn credit_code_no_leak(code in credit_code(), pick in any::<usize>()) {
        check_ascii_kind::<CreditCode>(&code, &code, [(1, 1), (2, 3), (4, 3)])?;
        let v: CreditCode = parse_ok(&code.to_lowercase())?;
        prop_assert_eq!(v.expose(), &code);
        let last = code.chars().last().unwrap();
        check_corrupted::<CreditCode>(&replace_at(&code, 17, other(CREDIT_ALPHABET, last, pick)), "CheckDigit")?;
    }

    #[test]
    fn passport_no_leak(input in passport(), at in any::<usize>()) {
        let want = input.to_ascii_uppercase();
        check_ascii_kind::<Passport>(&input, &want, [(1, 1), (2, 3), (4, 3)])?;
        check_corrupted::<Passport>(&replace_at(&input, at, '-'), "Character")?;
    }

    #[test]
    fn email_no_leak(input in email(), pick in any::<usize>()) {
        let v: Email = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), &input);
        let m = masks(&v)?;
        let (local, domain) = input.split_once('@').unwrap();
        let n = local.chars().count();
        for (masked, want) in m.iter().zip([1, 3, 3]) {
            let keep = want.min(n / 2);
            prop_assert_eq!(masked, &format!("{}***@{domain}", slice(local, 0..keep)));
        }
        // The local part beyond the Standard prefix is hidden everywhere.
        let keep = 3.min(n / 2);
        let allowed = format!("{}*@{domain}", slice(local, 0..keep));
        for (out, what) in [(format!("{v:?}"), "Debug"), (v.to_string(), "Display"), (m[0].clone(), "Strict")] {
            assert_absent(Kind::Email, &out, &slice(local, keep..n), &allowed, what)?;
        }
        let bad = input.replacen('@', ["#", "%", "!"][pick % 3], 1);
        check_corrupted::<Email>(&bad, "Malformed")?;
    }

    #[test]
    fn person_name_no_leak(name in person_name(), at in any::<usize>(), digit in 0u32..10) {
        let v: PersonName = parse_ok(&name)?;
        prop_assert_eq!(v.expose(), &name);
        let m = masks(&v)?;
        let n = name.chars().count();
        let first = slice(&name, 0..1);
        let last = slice(&name, n - 1..n);
        prop_assert_eq!(&m[0], &format!("{first}{}", "*".repeat(n - 1)));
        let standard = if n >= 3 { format!("{first}{}{last}", "*".repeat(n - 2)) } else { format!("{first}*") };
        prop_assert_eq!(&m[1], &standard);
        prop_assert_eq!(&m[2], &standard);
        if n >= 3 {
            let middle = slice(&name, 1..n - 1);
            let allowed = star(&name, 1..n - 1);
            for (out, what) in [(format!("{v:?}"), "Debug"), (v.to_string(), "Display"), (m[0].clone(), "Strict")] {
                assert_absent(Kind::PersonName, &out, &middle, &allowed, what)?;
            }
        }
        let bad = replace_at(&name, at, char::from_digit(digit, 10).unwrap());
        check_corrupted::<PersonName>(&bad, "Character")?;
    }

    #[test]
    fn address_no_leak(a in address(), at in any::<usize>()) {
        let v: Address = parse_ok(&a.text)?;
        prop_assert_eq!(v.expose(), &a.text);
        let m = masks(&v)?;
        prop_assert_eq!(&m[0], &format!("{}****", a.province));
        prop_assert_eq!(&m[1], &format!("{}****", a.district));
        prop_assert_eq!(&m[2], &format!("{}****", a.district));
        for (out, what) in [(format!("{v:?}"), "Debug"), (v.to_string(), "Display"), (m[0].clone(), "Strict")] {
            assert_absent(Kind::Address, &out, &a.street, &a.district, what)?;
        }
        let below_province = &a.text[a.province.len()..];
        assert_absent(Kind::Address, &m[0], below_province, &a.province, "Strict")?;
        check_corrupted::<Address>(&replace_at(&a.text, at, '\u{7}'), "Character")?;
    }

    #[test]
    fn ip_address_no_leak(v4 in ipv4(), v6 in ipv6(), at in any::<usize>()) {
        for (input, sep) in [(&v4, '.'), (&v6, ':')] {
            let v: IpAddress = parse_ok(input)?;
            prop_assert_eq!(v.expose(), input.as_str());
            let m = masks(&v)?;
            let parts: Vec<String> = if sep == '.' {
                v4.split('.').map(str::to_owned).collect()
            } else {
                let ip: Ipv6Addr = input.parse().unwrap();
                ip.segments().iter().map(|g| format!("{g:x}")).collect()
            };
            for (masked, keep) in m.iter().zip([1, 2, 3]) {
                let want: Vec<&str> =
                    parts.iter().enumerate().map(|(i, p)| if i < keep { p.as_str() } else { "*" }).collect();
                prop_assert_eq!(masked, &want.join(&sep.to_string()));
            }
        }
        let bad = replace_at(&v4, at, 'g');
        check_corrupted::<IpAddress>(&bad, "Character")?;
    }

    #[test]
    fn mac_address_no_leak((input, canonical) in mac_address(), at in any::<usize>()) {
        let v: MacAddress = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), &canonical);
        let m = masks(&v)?;
        let bytes: Vec<&str> = canonical.split(':').collect();
        for (masked, keep) in m.iter().zip([1, 3, 3]) {
            let want: Vec<&str> = bytes.iter().enumerate().map(|(i, b)| if i < keep { *b } else { "**" }).collect();
            prop_assert_eq!(masked, &want.join(":"));
        }
        let hex_at = input.char_indices().filter(|(_, c)| c.is_ascii_hexdigit()).map(|(i, _)| i).nth(at % 12).unwrap();
        check_corrupted::<MacAddress>(&replace_at(&input, hex_at, 'G'), "Character")?;
    }

    #[test]
    fn license_plate_no_leak(plate in license_plate(), pick in any::<usize>()) {
        let v: LicensePlate = parse_ok(&plate)?;
        prop_assert_eq!(v.expose(), &plate);
        let m = masks(&v)?;
        let prefix = slice(&plate, 0..2);
        let serial = slice(&plate, 2..plate.chars().count());
        let s = serial.chars().count();
        let last = slice(&serial, s - 1..s);
        prop_assert_eq!(&m[0], &format!("{prefix}{}", "*".repeat(s)));
        prop_assert_eq!(&m[1], &format!("{prefix}{}{last}", "*".repeat(s - 1)));
        prop_assert_eq!(&m[2], &format!("{prefix}{}{}{last}", slice(&serial, 0..1), "*".repeat(s - 2)));
        let bad = replace_at(&plate, 0, ['X', '港', '中', '1'][pick % 4]);
        check_corrupted::<LicensePlate>(&bad, "Province")?;
    }

    #[test]
    fn landline_no_leak(parts in landline()) {
        let text = landline_text(&parts);
        let (area, local, _ext) = &parts;
        let v: Landline = parse_ok(&text)?;
        prop_assert_eq!(v.expose(), &text);
        let m = masks(&v)?;
        prop_assert_eq!(&m[0], &format!("{area}-****"));
        for (masked, last) in m[1..].iter().zip([2, 4]) {
            let local_mask = masked.strip_prefix(&format!("{area}-")).unwrap_or("<no area code>");
            // The extension is never shown: nothing follows the local part.
            check_keep_ends(Kind::Landline, local, local_mask, 0, last)?;
        }
        let bad = format!("1{}", &text[1..]);
        check_corrupted::<Landline>(&bad, "Prefix")?;
    }

    #[test]
    fn geo_point_no_leak((lat, lon) in geo_point(), pick in any::<usize>()) {
        let text = format!("{lat},{lon}");
        let v: GeoPoint = parse_ok(&text)?;
        let zero = |x: f64| if x == 0.0 { 0.0 } else { x };
        prop_assert_eq!(v.expose(), (zero(lat), zero(lon)));
        let m = masks(&v)?;
        for (masked, decimals) in m.iter().zip([1, 2, 3]) {
            prop_assert_eq!(masked, &format!("{},{}", truncated(lat, decimals), truncated(lon, decimals)));
        }
        let bad = text.replacen(',', [";", " ", "/"][pick % 3], 1);
        check_corrupted::<GeoPoint>(&bad, "Malformed")?;
    }

    #[test]
    fn biometric_no_leak(bytes in biometric(), at in any::<usize>()) {
        let text = Base64::encode_string(&bytes);
        let v: Biometric = parse_ok(&text)?;
        prop_assert_eq!(v.expose(), bytes.as_slice());
        prop_assert_eq!(&Biometric::from_bytes(bytes.clone()).unwrap(), &v);
        let m = masks(&v)?;
        prop_assert_eq!(m, ["[biometric]"; 3].map(String::from));
        check_corrupted::<Biometric>(&replace_at(&text, at, '!'), "Malformed")?;
    }

    #[test]
    fn password_no_leak(input in password(), at in any::<usize>()) {
        let v: Password = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), &input);
        let m = masks(&v)?;
        prop_assert_eq!(m, ["******"; 3].map(String::from));
        let mut bad: Vec<char> = input.chars().collect();
        bad.insert(at % (bad.len() + 1), '\n');
        check_corrupted::<Password>(&bad.into_iter().collect::<String>(), "Character")?;
    }
}

/// `v` truncated toward zero to `decimals` decimals, from its shortest
/// decimal form: an independent oracle for the `GeoPoint` masks.
fn truncated(v: f64, decimals: usize) -> String {
    let full = v.to_string();
    let (negative, digits) = match full.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, full.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(decimals).collect();
    let is_zero = int.bytes().all(|b| b == b'0') && frac.bytes().all(|b| b == b'0');
    format!("{}{int}.{frac}", if negative && !is_zero { "-" } else { "" })
}

// ---------------------------------------------------------------------------
// Decorated spellings (country prefixes, separators, full-width digits,
// extension markers) normalize to the canonical form.

/// ASCII digits to full-width digits.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
        .collect()
}

fn groups(s: &str, size: usize, sep: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(sep)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn decorated_inputs_normalize(
        phone in mobile_phone(),
        card in bank_card(),
        id in id_number(),
        line in landline(),
        prefix in 0..5usize,
        sep in prop::sample::select(vec!["", " ", "-", "\u{3000}", "\t"]),
        wide in any::<bool>(),
        marker in prop::sample::select(vec!["-", " - ", "转", " 转 ", "ext", " ext ", "ext.", " EXT. ", "x", " X ", "#"]),
        paren in any::<bool>(),
        drop_zero in any::<bool>(),
    ) {
        let w = |s: String| if wide { full_width(&s) } else { s };

        let p = ["", "+86 ", "0086", "86", "(+86)"][prefix];
        let input = w(format!("{p}{}{sep}{}{sep}{}", &phone[..3], &phone[3..7], &phone[7..]));
        prop_assert_eq!(parse_ok::<MobilePhone>(&input)?.expose().to_owned(), phone, "{:?}", input);

        let input = w(format!(" {} ", groups(&card, 4, sep)));
        prop_assert_eq!(parse_ok::<BankCard>(&input)?.expose().to_owned(), card, "{:?}", input);

        let input = w(format!("{}{sep}{}{sep}{}", &id[..6], &id[6..14], id[14..].to_lowercase()));
        prop_assert_eq!(parse_ok::<IdNumber>(&input)?.expose().to_owned(), id, "{:?}", input);

        let (area, local, ext) = &line;
        let (intl, area_in) = match prefix {
            1 | 2 if drop_zero => (["", "+86 ", "0086 "][prefix], &area[1..]),
            1 | 2 => (["", "+86 ", "0086 "][prefix], &area[..]),
            _ => ("", &area[..]),
        };
        let area_in = if paren { format!("({area_in})") } else { area_in.to_owned() };
        // A dash may split the local number after 4 digits: what precedes it
        // is then too short to be a number, so the rest is no extension.
        let local_in = groups(local, 4, if sep == "-" { "-" } else { " " });
        let ext_in = ext.as_ref().map(|e| format!("{marker}{e}")).unwrap_or_default();
        let input = w(format!("{intl}{area_in}{sep}{local_in}{ext_in}"));
        let v: Landline = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), landline_text(&line), "{:?}", input);
        prop_assert_eq!(v.area_code(), area.as_str());
    }
}

// ---------------------------------------------------------------------------
// 3. Sealed round trip.

fn keyring() -> &'static Keyring {
    static KEYRING: OnceLock<Keyring> = OnceLock::new();
    KEYRING.get_or_init(|| Keyring::generate().unwrap())
}

fn seal_round_trip<T: Canon + Sealable>(input: &str, row: u32) -> TestResult {
    let v: T = parse_ok(input)?;
    let keyring = keyring();
    let ctx = Context::new("props", T::KIND.as_str()).with_row(&row.to_string());
    let sealed = keyring.seal(&v, &ctx).map_err(|e| TestCaseError::fail(format!("seal: {e}")))?;
    let opened =
        keyring.open(&sealed, &ctx, "props").map_err(|e| TestCaseError::fail(format!("open: {e}")))?;
    prop_assert!(opened == v, "{} did not round-trip", T::KIND);
    // Both stored forms parse back and open to the value.
    let text = sealed.to_text();
    let from_text: Sealed<T> = text.parse().map_err(|e| TestCaseError::fail(format!("from_text: {e}")))?;
    prop_assert!(keyring.open(&from_text, &ctx, "props").ok() == Some(v.clone()));
    let from_bytes = Sealed::<T>::from_bytes(sealed.as_bytes()).unwrap();
    prop_assert!(keyring.open(&from_bytes, &ctx, "props").ok() == Some(v.clone()));
    // Bound to its row.
    let elsewhere = Context::new("props", T::KIND.as_str()).with_row(&(u64::from(row) + 1).to_string());
    prop_assert!(keyring.open(&sealed, &elsewhere, "props").is_err());
    // The plaintext is nowhere in the sealed forms.
    let plain = v.canon();
    prop_assert!(!text.contains(&plain), "{} sealed text contains the plaintext", T::KIND);
    prop_assert!(!sealed.to_string().contains(&plain));
    let debug = format!("{sealed:?}");
    prop_assert!(!debug.contains(&plain), "{} sealed Debug {:?}", T::KIND, debug);
    let pb = plain.as_bytes();
    if pb.len() >= 4 {
        prop_assert!(
            !sealed.as_bytes().windows(pb.len()).any(|w| w == pb),
            "{} envelope holds the plaintext",
            T::KIND
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn sealed_round_trip(
        id in id_number(),
        phone in mobile_phone(),
        card in bank_card(),
        mail in email(),
        name in person_name(),
        addr in address(),
        (lat, lon) in geo_point(),
        bio in biometric(),
        plate in license_plate(),
        code in credit_code(),
        row in any::<u32>(),
    ) {
        seal_round_trip::<IdNumber>(&id, row)?;
        seal_round_trip::<MobilePhone>(&phone, row)?;
        seal_round_trip::<BankCard>(&card, row)?;
        seal_round_trip::<Email>(&mail, row)?;
        seal_round_trip::<PersonName>(&name, row)?;
        seal_round_trip::<Address>(&addr.text, row)?;
        seal_round_trip::<GeoPoint>(&format!("{lat},{lon}"), row)?;
        seal_round_trip::<Biometric>(&Base64::encode_string(&bio), row)?;
        seal_round_trip::<LicensePlate>(&plate, row)?;
        seal_round_trip::<CreditCode>(&code, row)?;
    }
}

// ---------------------------------------------------------------------------
// 4. Never panics; canonical forms are fixed points.

/// Parse `input` as `T`. On success the value masks, prints only its kind
/// in `Debug` and re-parses from its canonical form to an equal value with
/// the same canonical form. On failure the error is a clean `Invalid`.
fn total<T: Canon>(input: &str) -> TestResult {
    match input.parse::<T>() {
        Ok(v) => {
            let _ = MaskLevel::ALL.map(|level| v.mask(level));
            prop_assert_eq!(v.to_string(), v.mask(Standard));
            check_debug(&v)?;
            let canon = v.canon();
            match canon.parse::<T>() {
                Ok(again) => {
                    prop_assert!(
                        again == v,
                        "{} {input:?}: canonical {canon:?} parses to another value",
                        T::KIND
                    );
                    prop_assert_eq!(
                        again.canon(),
                        canon,
                        "{} {:?}: canonical form is not a fixed point",
                        T::KIND,
                        input
                    );
                }
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "{} {input:?} parses, but its canonical form {canon:?} does not: {e}",
                        T::KIND
                    )));
                }
            }
        }
        Err(e) => {
            check_invalid(T::KIND, input, &e)?;
        }
    }
    Ok(())
}

fn total_all(input: &str) -> TestResult {
    if let Ok(p) = input.parse::<GeoPoint>() {
        let (lat, lon) = p.expose();
        prop_assert_eq!(GeoPoint::new(lat, lon).ok(), Some(p));
    }
    total::<IdNumber>(input)?;
    total::<MobilePhone>(input)?;
    total::<Landline>(input)?;
    total::<BankCard>(input)?;
    total::<GeoPoint>(input)?;
    total::<Email>(input)?;
    total::<PersonName>(input)?;
    total::<Address>(input)?;
    total::<IpAddress>(input)?;
    total::<MacAddress>(input)?;
    total::<Imei>(input)?;
    total::<Passport>(input)?;
    total::<LicensePlate>(input)?;
    total::<CreditCode>(input)?;
    total::<Password>(input)?;
    total::<Biometric>(input)?;

    if let Ok(kind) = input.parse::<Kind>() {
        prop_assert_eq!(kind.as_str().parse::<Kind>().ok(), Some(kind));
    }
    if let Ok(level) = input.parse::<MaskLevel>() {
        prop_assert_eq!(level.as_str().parse::<MaskLevel>().ok(), Some(level));
    }
    match Sealed::<IdNumber>::from_text(input) {
        Ok(sealed) => {
            prop_assert_eq!(Sealed::<IdNumber>::from_bytes(sealed.as_bytes()).ok(), Some(sealed.clone()));
            let ctx = Context::new("props", "any");
            prop_assert!(keyring().open(&sealed, &ctx, "props").is_err());
        }
        Err(e) => {
            let text = format!("{e} {e:?}");
            if input.len() >= 12 {
                prop_assert!(!text.contains(input), "sealed-text error repeats its input");
            }
        }
    }
    Ok(())
}

/// Strings that look like the kinds' inputs: digits, full-width digits and
/// letters, separators, markers, control and white-space characters.
fn near_miss() -> impl Strategy<Value = String> {
    "[0-9０-９xXａ-ｆＡ-Ｆa-fA-F +\\-()#.,:@·•转extdz1_/=\u{3000}\t\n\u{0}\u{7}\u{1b}\u{ff0e}京粤A-Z北京市朝阳区𠮷张]{0,48}"
}

/// Near-valid values with one character changed, dropped or doubled.
fn mutated() -> impl Strategy<Value = String> {
    let valid = prop_oneof![
        id_number(),
        mobile_phone(),
        bank_card(),
        imei(),
        credit_code(),
        email(),
        person_name(),
        address().prop_map(|a| a.text),
        ipv4(),
        ipv6(),
        mac_address().prop_map(|m| m.0),
        passport(),
        license_plate(),
        landline().prop_map(|l| landline_text(&l)),
        geo_point().prop_map(|(a, b)| format!("{a},{b}")),
        biometric().prop_map(|b| Base64::encode_string(&b)),
    ];
    let with = prop_oneof![
        prop::char::range('0', '9'),
        Just('X'),
        Just('-'),
        Just(' '),
        Just('\u{3000}'),
        Just('＋'),
        Just('８'),
        Just('.'),
        Just(':'),
        Just('\u{0}'),
        any::<char>(),
    ];
    (valid, any::<usize>(), with, 0..3usize).prop_map(|(s, at, c, op)| {
        let mut chars: Vec<char> = s.chars().collect();
        let at = at % chars.len().max(1);
        match op {
            0 if !chars.is_empty() => chars[at] = c,
            1 if !chars.is_empty() => {
                chars.remove(at);
            }
            _ => chars.insert(at, c),
        }
        chars.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn parsers_are_total_on_any_string(s in any::<String>()) {
        total_all(&s)?;
    }

    #[test]
    fn parsers_are_total_on_dot_star(s in ".*") {
        total_all(&s)?;
    }

    #[test]
    fn parsers_are_total_on_near_misses(s in near_miss()) {
        total_all(&s)?;
    }

    #[test]
    fn parsers_are_total_on_mutated_values(s in mutated()) {
        total_all(&s)?;
    }

    #[test]
    fn kind_and_level_names(k in prop::sample::select(Kind::ALL.to_vec()), upper in any::<bool>(), pad in "[ \t]{0,2}") {
        let name = k.as_str();
        let short = name.strip_prefix("cn.").unwrap_or(name).replace('_', "-");
        for s in [name.to_owned(), short] {
            let s = if upper { s.to_uppercase() } else { s };
            prop_assert_eq!(format!("{pad}{s}{pad}").parse::<Kind>().ok(), Some(k));
        }
        prop_assert_eq!(Kind::from_code(k.code()), Some(k));
    }
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn parsers_are_total_on_long_strings(
        s in prop_oneof![
            prop::collection::vec(any::<char>(), 0..10_000).prop_map(|v| v.into_iter().collect::<String>()),
            "[0-9 \\-]{0,10000}",
            "[A-Za-z0-9+/]{0,10000}={0,2}",
            "[北京市朝阳区路号1]{0,3000}",
        ],
    ) {
        total_all(&s)?;
    }
}

/// A structurally plausible envelope: version, algorithm, key id, kind code,
/// then random bytes.
fn envelope_like() -> impl Strategy<Value = Vec<u8>> {
    (0u8..3, 0u8..4, any::<u32>(), 0u16..20, prop::collection::vec(any::<u8>(), 0..120)).prop_map(
        |(version, alg, key, kind, rest)| {
            let mut b = vec![version, alg];
            b.extend_from_slice(&key.to_be_bytes());
            b.extend_from_slice(&kind.to_be_bytes());
            b.extend_from_slice(&rest);
            b
        },
    )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sealed_from_bytes_is_total(
        bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..200), envelope_like()],
    ) {
        let ctx = Context::new("props", "any");
        match Sealed::<IdNumber>::from_bytes(&bytes) {
            Ok(sealed) => {
                prop_assert_eq!(sealed.as_bytes(), bytes.as_slice());
                let _ = (sealed.key_id(), sealed.is_subject_sealed(), sealed.needs_rotation(keyring()));
                let again: Sealed<IdNumber> = sealed.to_text().parse().unwrap();
                prop_assert_eq!(&again, &sealed);
                prop_assert!(keyring().open(&sealed, &ctx, "props").is_err());
            }
            Err(e) => {
                let _ = format!("{e} {e:?}");
            }
        }
        // The text form of the same bytes behaves the same.
        let text = format!("dz1.{}", base64ct::Base64UrlUnpadded::encode_string(&bytes));
        prop_assert_eq!(
            Sealed::<IdNumber>::from_text(&text).map(|s| s.into_bytes()),
            Sealed::<IdNumber>::from_bytes(&bytes).map(|s| s.into_bytes())
        );
    }

    #[test]
    fn sealed_from_text_is_total(s in prop_oneof![".*", "dz1\\.[A-Za-z0-9_\\-+/=]{0,80}", " ?dz1\\.[A-Za-z0-9_\\-]{0,120} ?"]) {
        if let Ok(sealed) = Sealed::<IdNumber>::from_text(&s) {
            prop_assert!(keyring().open(&sealed, &Context::new("props", "any"), "props").is_err());
        }
    }
}

// ---------------------------------------------------------------------------
// Protected keyring files: arbitrary bytes and damaged real files.

fn provider() -> &'static PassphraseProvider {
    static PROVIDER: OnceLock<PassphraseProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| PassphraseProvider::with_params("p", 64, 1, 1).unwrap())
}

fn keyring_file() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let mut keyring = Keyring::generate().unwrap();
        keyring.rotate().unwrap();
        let file = keyring.to_protected_bytes(provider()).unwrap();
        // Sanity: the file as written reads back.
        assert_eq!(Keyring::from_protected_bytes(&file, provider()).unwrap().keys(), keyring.keys());
        file
    })
}

/// Byte range of the Argon2id cost parameters (m, t, p) in a file written
/// by the passphrase provider: magic(4) version(1) id-length(1) id then the
/// wrapped-key length(2). A file may name costs up to 4 GiB; this test does
/// not ask the machine for that much memory.
fn cost_bytes() -> std::ops::Range<usize> {
    let start = 4 + 1 + 1 + PassphraseProvider::ID.len() + 2;
    start..start + 12
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn keyring_from_arbitrary_bytes_is_total(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            prop::collection::vec(any::<u8>(), 0..300).prop_map(|rest| [b"DZKR\x01".as_slice(), &rest].concat()),
        ],
    ) {
        prop_assert!(Keyring::from_protected_bytes(&bytes, provider()).is_err());
    }

    #[test]
    fn damaged_keyring_files_are_rejected(at in any::<usize>(), flip in 1u8..=255, fix in any::<bool>(), cut in any::<bool>()) {
        let mut file = keyring_file().to_vec();
        let costs = cost_bytes();
        let mut at = at % file.len();
        if fix && !cut {
            // A flip inside the checksum would be undone by fixing it.
            at %= file.len() - 32;
            if costs.contains(&at) {
                at = costs.end;
            }
        }
        if cut {
            file.truncate(at);
        } else {
            file[at] ^= flip;
        }
        if fix && file.len() >= 32 {
            common::fix_checksum(&mut file);
        }
        let result = Keyring::from_protected_bytes(&file, provider());
        prop_assert!(result.is_err(), "damaged file (byte {}, cut {}, checksum fixed {}) still loads", at, cut, fix);
        let e = result.err().unwrap();
        prop_assert!(matches!(e, Error::KeyringFile(_)), "{e:?}");
    }
}

// ---------------------------------------------------------------------------
// 5. mask::Rule keeps the shape of its input.

fn rule_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-c@\\-·𠮷张*]{0,16}"]
}

fn rule_mask() -> impl Strategy<Value = char> {
    prop_oneof![Just('*'), Just('•'), Just('#'), Just('𠮷'), any::<char>()]
}

/// `out` has `input`'s length in chars, the mask char where `hidden(i)`
/// says, and `input`'s char everywhere else.
fn check_shape(input: &str, out: &str, m: char, hidden: impl Fn(usize) -> bool) -> TestResult {
    let a: Vec<char> = input.chars().collect();
    let b: Vec<char> = out.chars().collect();
    prop_assert_eq!(a.len(), b.len(), "{:?} -> {:?}", input, out);
    for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
        if hidden(i) {
            prop_assert_eq!(y, m, "position {} of {:?} -> {:?} must be masked", i, input, out);
        } else {
            prop_assert_eq!(y, x, "position {} of {:?} -> {:?} must be kept", i, input, out);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn rule_keep(text in rule_text(), first in 0usize..8, last in 0usize..8, m in rule_mask()) {
        let n = text.chars().count();
        let out = Rule::keep(first, last).with_mask_char(m).apply(&text);
        if n <= first + last {
            check_shape(&text, &out, m, |_| true)?;
        } else {
            check_shape(&text, &out, m, |i| i >= first && i < n - last)?;
        }
        // The default mask char is `*`.
        let plain = Rule::keep(first, last).apply(&text);
        prop_assert_eq!(plain.chars().count(), n);
    }

    #[test]
    fn rule_range(text in rule_text(), start in 0usize..10, len in 0usize..10, m in rule_mask()) {
        let end = start + len;
        match Rule::range(start, end) {
            Err(e) => {
                prop_assert!(len == 0, "range({start}, {end}) refused");
                prop_assert!(matches!(e, Error::InvalidRule(_)));
            }
            Ok(rule) => {
                prop_assert!(len > 0, "empty range({start}, {end}) accepted");
                let n = text.chars().count();
                let out = rule.with_mask_char(m).apply(&text);
                if n < end {
                    check_shape(&text, &out, m, |_| true)?;
                } else {
                    check_shape(&text, &out, m, |i| (start..end).contains(&i))?;
                }
            }
        }
    }

    #[test]
    fn rule_before_after(text in rule_text(), anchor in prop_oneof![Just('@'), Just('-'), Just('·'), Just('𠮷'), any::<char>()], m in rule_mask()) {
        let at = text.chars().position(|c| c == anchor);
        let before = Rule::before(anchor).with_mask_char(m).apply(&text);
        let after = Rule::after(anchor).with_mask_char(m).apply(&text);
        match at {
            Some(p) => {
                check_shape(&text, &before, m, |i| i < p)?;
                check_shape(&text, &after, m, |i| i > p)?;
            }
            None => {
                check_shape(&text, &before, m, |_| true)?;
                check_shape(&text, &after, m, |_| true)?;
            }
        }
    }

    #[test]
    fn rule_fixed_hides_length(text in rule_text(), len in 0usize..12, m in rule_mask()) {
        let out = Rule::fixed(len).with_mask_char(m).apply(&text);
        prop_assert_eq!(out, m.to_string().repeat(len));
    }
}
