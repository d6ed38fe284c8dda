//! `#[derive(Protect)]`'s generated `Deserialize` and `open`: the record of
//! the `derive_user` example (`examples/derive_user/user.rs`: row id,
//! seal, subject, blind index, pseudonym, mask, generalize, public,
//! nested, `Option`, `Vec`) read from arbitrary JSON as `UserSealed`, then
//! opened with the vector keyring and a subject store.
//!
//! Input: a mode byte, then by mode
//! * `0`: the JSON text itself;
//! * `1`: a field byte and a JSON value: the harness's own sealed record of
//!   `sample_user` with that field's value (one of the stored form's
//!   fields, `home.*` included) replaced by the fuzzer's text, so that
//!   plaintext, numbers, objects, arrays and odd envelopes reach every slot;
//! * `2`: up to 8 byte mutations (`desensitize_fuzz::mutate`) of that
//!   sealed record.
//!
//! Checked, besides "nothing panics":
//! * **errors never show a value**: a `Deserialize` error or a
//!   `RecordError` (`Display`, `Debug`) contains no 4-character part of the
//!   sample user's values and no value-like token of the input (7 digits in
//!   a row, 3 non-ASCII characters, 6 characters around an `@`), unless it
//!   is part of a field name or of what the input holds in the record's
//!   non-protected fields (`id`, `plan`: serde names a bad row id or public
//!   value, as it does for any struct), or the input is not an object at
//!   all (a top-level scalar, which serde quotes for any struct). "line L
//!   column C" positions are not compared.
//! * **an opened record's `Debug` is redacted**: it shows none of the opened
//!   values (7 characters or more), and sealing it again then opening gives
//!   the same values.
#![no_main]

use std::sync::OnceLock;

use desensitize::keys::InMemorySubjectStore;
use desensitize_fuzz::{Bytes, mutate, vector_keyring};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[allow(dead_code)]
#[path = "../../examples/derive_user/user.rs"]
mod user;

use user::{User, UserSealed, sample_user};

/// The stored form's field names, nested ones as `home.<field>`.
const FIELDS: &[&str] = &[
    "id",
    "phone",
    "phone_index",
    "id_number",
    "email",
    "guardian_id",
    "backup_phones",
    "home",
    "plan",
    "home.address",
    "home.location",
];

/// The subject store and the sealed JSON of `sample_user(7)`, made once.
fn fixture() -> &'static (InMemorySubjectStore, String, Vec<String>) {
    static FIXTURE: OnceLock<(InMemorySubjectStore, String, Vec<String>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let subjects = InMemorySubjectStore::new();
        let user = sample_user(7).expect("the sample user parses");
        let stored = user::store(&user, vector_keyring(), &subjects).expect("the sample user seals");
        (subjects, stored, values(&user))
    })
}

/// A user's protected values as text.
fn values(u: &User) -> Vec<String> {
    let mut v = vec![
        u.phone.expose().to_owned(),
        u.id_number.expose().to_owned(),
        u.email.expose().to_owned(),
        u.guardian_id.expose().to_owned(),
        u.home.address.expose().to_owned(),
    ];
    v.extend(u.backup_phones.iter().map(|p| p.expose().to_owned()));
    if let Some(l) = &u.home.location {
        let (lat, lon) = l.expose();
        v.push(format!("{lat},{lon}"));
    }
    v
}

fuzz_target!(|data: &[u8]| {
    let (subjects, stored, samples) = fixture();
    let mut input = Bytes(data);
    let json: Vec<u8> = match input.u8() % 3 {
        0 => input.rest().to_vec(),
        1 => {
            let field = FIELDS[usize::from(input.u8()) % FIELDS.len()];
            match replaced(stored, field, input.rest()) {
                Some(json) => json,
                None => return,
            }
        }
        _ => {
            let mut json = stored.clone().into_bytes();
            mutate(&mut json, input.rest());
            json
        }
    };
    let leaks = Leaks::new(&json, samples);
    let sealed: UserSealed = match serde_json::from_slice(&json) {
        Ok(sealed) => sealed,
        Err(e) => return leaks.check("Deserialize", &[e.to_string(), format!("{e:?}")]),
    };
    match sealed.open(vector_keyring(), subjects, "fuzz") {
        Err(e) => leaks.check("open", &[e.to_string(), format!("{e:?}")]),
        Ok(user) => check_opened(&user, subjects),
    }
});

/// The sealed record with `field`'s value replaced by `value` (as JSON text
/// spliced in, so that it need not be valid JSON).
fn replaced(stored: &str, field: &str, value: &[u8]) -> Option<Vec<u8>> {
    let mut doc: Value = serde_json::from_str(stored).expect("the stored record is JSON");
    let (object, key) = match field.split_once('.') {
        Some((outer, inner)) => (doc.get_mut(outer)?.as_object_mut()?, inner),
        None => (doc.as_object_mut()?, field),
    };
    const MARK: &str = "\u{1}SPLICE\u{1}";
    object.insert(key.to_owned(), Value::String(MARK.to_owned()));
    let text = serde_json::to_string(&doc).ok()?;
    let quoted = serde_json::to_string(MARK).ok()?;
    let at = text.find(&quoted)?;
    let mut out = text.as_bytes()[..at].to_vec();
    out.extend_from_slice(value);
    out.extend_from_slice(&text.as_bytes()[at + quoted.len()..]);
    Some(out)
}

/// An opened record: a redacted `Debug`, and it seals and opens back to itself.
fn check_opened(user: &User, subjects: &InMemorySubjectStore) {
    let opened = values(user);
    // The public field is shown as it is, whatever it holds.
    let debug = format!("{user:?}").replace(&format!("plan: {:?}", user.plan), "");
    for v in opened.iter().filter(|v| v.chars().count() >= 7) {
        assert!(!debug.contains(v.as_str()), "Debug shows an opened value: {debug}");
    }
    let _ = user.masked();
    let _ = user.analytics(vector_keyring());
    let again = user::store(user, vector_keyring(), subjects).expect("an opened record seals again");
    let back = user::load(&again, vector_keyring(), subjects).expect("and opens again");
    assert_eq!(values(&back), opened, "seal then open changed the record");
    assert_eq!((back.id, &back.plan), (user.id, &user.plan));
}

/// What an error may not show (see the module doc).
struct Leaks {
    secrets: Vec<String>,
    allowed: String,
}

impl Leaks {
    fn new(json: &[u8], samples: &[String]) -> Leaks {
        let text = String::from_utf8_lossy(json);
        if !text.trim_start().starts_with('{') {
            // Not a record at all: serde quotes a top-level scalar for any
            // struct, in its own form (`8e3` as `8000.0`); no field is reached.
            return Leaks { secrets: Vec::new(), allowed: String::new() };
        }
        let mut secrets: Vec<String> = samples.iter().flat_map(|s| windows(s, 4, |_| true)).collect();
        for token in text.split(|c: char| !(c.is_alphanumeric() || "@._-+".contains(c))) {
            let chars: Vec<char> = token.chars().collect();
            secrets.extend(windows_of(&chars, 7, |w| w.iter().all(char::is_ascii_digit)));
            secrets.extend(windows_of(&chars, 3, |w| w.iter().all(|c| !c.is_ascii())));
            secrets.extend(windows_of(&chars, 6, |w| w.contains(&'@')));
        }
        secrets.sort();
        secrets.dedup();
        let mut allowed = FIELDS.join("\n");
        allowed.push('\n');
        allowed.push_str(&public_values(json, &text));
        Leaks { secrets, allowed }
    }

    fn check(&self, what: &str, shown: &[String]) {
        for shown in shown.iter().map(|s| without_positions(s)) {
            for secret in &self.secrets {
                assert!(
                    !shown.contains(secret.as_str()) || self.allowed.contains(secret.as_str()),
                    "{what} error shows {secret:?}: {shown:?}"
                );
            }
        }
    }
}

/// The text of what the input holds under the non-protected keys (`id`,
/// `plan`): exactly when it is a JSON object, else (a syntax error further
/// on; serde may stop at a bad row id first) the text after each `"id"` /
/// `"plan"` up to the next `,` or `}`.
fn public_values(json: &[u8], text: &str) -> String {
    let mut out = String::new();
    if let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(json) {
        for key in ["id", "plan"] {
            if let Some(v) = doc.get(key) {
                out.push_str(&v.to_string());
                out.push('\n');
                if let Value::String(s) = v {
                    out.push_str(s);
                    out.push('\n');
                }
            }
        }
        return out;
    }
    for key in ["\"id\"", "\"plan\""] {
        for (at, _) in text.match_indices(key) {
            let rest = text[at + key.len()..].trim_start().trim_start_matches(':');
            // The value there, if it is one; else up to the next `,` or `}`.
            match serde_json::Deserializer::from_str(rest).into_iter::<Value>().next() {
                Some(Ok(v)) => {
                    out.push_str(&v.to_string());
                    out.push('\n');
                    if let Value::String(s) = v {
                        out.push_str(&s);
                    }
                }
                _ => {
                    out.push_str(&rest[..rest.find([',', '}']).unwrap_or(rest.len())]);
                    // A number cut short by what follows: as serde prints it.
                    let end = rest
                        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
                        .unwrap_or(rest.len());
                    if let Ok(f) = rest[..end].parse::<f64>() {
                        out.push_str(&format!(
                            "\n{f}\n{f:?}\n{f:e}\n{}",
                            serde_json::to_string(&f).unwrap_or_default()
                        ));
                    }
                }
            }
            out.push('\n');
        }
    }
    out
}

fn windows(s: &str, n: usize, keep: impl Fn(&[char]) -> bool) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    windows_of(&chars, n, keep)
}

fn windows_of(chars: &[char], n: usize, keep: impl Fn(&[char]) -> bool) -> Vec<String> {
    chars.windows(n).filter(|w| keep(w)).map(|w| w.iter().collect()).collect()
}

/// "line L column C" positions become `#`.
fn without_positions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["line ", "column ", "line: ", "column: "]
        .iter()
        .filter_map(|w| rest.find(w).map(|i| i + w.len()))
        .min()
    {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push('#');
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}
