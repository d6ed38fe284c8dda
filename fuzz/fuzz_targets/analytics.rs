//! Analytics outputs: `Token` and `Domain` parsing, pseudonymizer tokens,
//! blind indexes and format-preserving (FF1) pseudonyms.
//!
//! Input: a mode byte, then (by mode) a token text, a domain name, or a
//! kind byte and a value to parse.
#![no_main]

use desensitize::pseudo::{Domain, FormatPreserving, Pseudonymizable, Token, Transform};
use desensitize::{BankCard, Date, Error, IdNumber, Keyring, MobilePhone};
use desensitize_fuzz::{
    Bytes, FuzzKind, assert_error_text_free, check_parse, text, vector_keyring, with_pseudonymizable_kind,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mode = input.u8();
    match mode % 4 {
        0 => check_token_text(&text(input.rest())),
        1 => check_domain(&text(input.rest())),
        2 => {
            let selector = input.u8();
            let bits = input.u8();
            with_pseudonymizable_kind!(selector, tokens_and_indexes(&text(input.rest()), bits));
        }
        _ => match input.u8() % 3 {
            0 => fpe_round_trip::<MobilePhone>(&text(input.rest())),
            1 => fpe_round_trip::<BankCard>(&text(input.rest())),
            _ => fpe_round_trip::<IdNumber>(&text(input.rest())),
        },
    }
});

fn analytics() -> Domain {
    Domain::new("analytics").expect("valid domain")
}

/// `tk1.<id>.<22 chars>`: a token has one text (SPEC.md §9.2), so a parsed
/// token prints to exactly the input, which parses back to it.
fn check_token_text(input: &str) {
    match input.parse::<Token>() {
        Ok(token) => {
            let printed = token.to_text();
            assert_eq!(printed, token.to_string());
            assert_eq!(printed, input, "a token text that is not the one text of its token was accepted");
            let again: Token = printed.parse().expect("a printed token parses");
            assert_eq!(again, token);
            assert_eq!(again.to_text(), printed);
            assert_eq!(Token::from_parts(token.key_id(), *token.digest()), token);
            let json = serde_json::to_string(&token).expect("token serializes");
            assert_eq!(serde_json::from_str::<Token>(&json).expect("token deserializes"), token);
        }
        Err(e) => {
            assert!(matches!(e, Error::Malformed(_)), "token parse error {e:?}");
            // `Malformed` holds a static text: all of the message is fixed.
            assert_error_text_free("Token", &e, input, &[e.to_string(), format!("{e:?}")]);
        }
    }
}

fn check_domain(input: &str) {
    match Domain::new(input) {
        Ok(d) => {
            assert_eq!(d.name(), input);
            assert_eq!(d.to_string(), input);
        }
        Err(e) => assert!(matches!(e, Error::Domain(_)), "domain error {e:?}"),
    }
}

/// Tokens and blind indexes depend only on the value, not on its spelling:
/// the input and its canonical form give the same outputs.
fn tokens_and_indexes<T: FuzzKind + Pseudonymizable>(input: &str, bits: u8) {
    let Some(value) = check_parse::<T>(input) else { return };
    let again: T = value.canonical_text().parse().expect("checked by check_parse");
    let keyring = vector_keyring();
    let domain = analytics();
    let tokens = keyring.pseudonymizer(&domain).expect("keyring has an active key");
    let token = tokens.token(&value);
    assert_eq!(token, tokens.token(&again));
    assert_eq!(token, keyring.pseudonym(&value, &domain).expect("pseudonym"));
    assert_eq!(token.key_id(), keyring.active_key_id().expect("active key"));
    assert_eq!(token.to_text().parse::<Token>().expect("token text parses"), token);
    let other = keyring.pseudonym(&value, &Domain::new("marketing").expect("domain")).expect("pseudonym");
    assert_ne!(token.digest(), other.digest(), "{}: two domains gave one token", T::KIND);

    for transform in [Transform::Full, Transform::Last4, Transform::BirthYear, Transform::EmailDomain] {
        let bits = bits % 65;
        match keyring.blind_index::<T>(&domain, transform, bits) {
            Ok(index) => {
                let a = index.compute(&value);
                assert_eq!(a, index.compute(&again), "{} {transform}: spelling changed the index", T::KIND);
                assert_eq!(a.bits(), bits);
                assert!(bits == 64 || a.value() >> bits == 0, "index wider than {bits} bits");
                assert_eq!(a.to_string().len(), usize::from(bits).div_ceil(4));
            }
            Err(e) => {
                assert!(matches!(e, Error::Config(_)), "blind index error {e:?}");
                assert!(
                    bits == 0
                        || !transform.applies_to(T::KIND)
                        || f64::from(bits) >= transform.input_bits(T::KIND) - 1.0,
                    "{} {transform} {bits} bits refused: {e}",
                    T::KIND
                );
            }
        }
    }
}

/// FF1 pseudonyms are valid values of the kind, keep what the design says
/// they keep, and re-identify to the original.
fn fpe_round_trip<T: FuzzKind + FormatPreserving>(input: &str) {
    let Some(value) = check_parse::<T>(input) else { return };
    let keyring: &Keyring = vector_keyring();
    let domain = analytics();
    let pseudo =
        keyring.fpe(&value, &domain).unwrap_or_else(|e| panic!("{}: fpe of {input:?}: {e}", T::KIND));
    let (original, pseudonym) = (value.canonical_text(), pseudo.canonical_text());
    assert_eq!(original.len(), pseudonym.len(), "{}: fpe changed the length", T::KIND);
    let kept = match T::KIND {
        desensitize::Kind::MobilePhone => 3,
        desensitize::Kind::BankCard => 6,
        _ => 10,
    };
    assert_eq!(original[..kept], pseudonym[..kept], "{}: fpe changed a kept part", T::KIND);
    // A valid value of the kind (an ID number's pseudonymous birth date may
    // lie after today, so read it on a date far ahead).
    if T::KIND == desensitize::Kind::IdNumber {
        let far = Date::new(9999, 12, 31).expect("date");
        let id = IdNumber::parse_on(&pseudonym, far).expect("an ID number pseudonym is a valid ID number");
        assert_eq!(id.expose(), pseudonym);
        let orig = IdNumber::parse_on(&original, far).expect("valid");
        assert_eq!(id.gender(), orig.gender(), "fpe changed the gender digit's parity");
    } else {
        let again: T = pseudonym.parse().unwrap_or_else(|e| panic!("{}: pseudonym refused: {e}", T::KIND));
        assert!(again == pseudo);
    }
    let back = keyring.reidentify(&pseudo, &domain, "fuzz").expect("reidentify");
    assert!(back == value, "{}: reidentify(fpe(x)) != x for {input:?}", T::KIND);
    let cipher = keyring.fpe_cipher(&domain).expect("fpe cipher");
    assert!(cipher.pseudonymize(&value).expect("pseudonymize") == pseudo, "FpeCipher disagrees with fpe");
    assert!(cipher.reidentify(&pseudo, "fuzz").expect("reidentify") == value);
}
