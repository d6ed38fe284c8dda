//! SPEC.md §3.8 check 12, end to end: an envelope that authenticates but
//! holds a plaintext that is not the canonical form of its kind (§3.3) is
//! refused by `open` with the kind's typed error, for every kind, and never
//! silently normalized. The envelopes are built with the crate's own sealing
//! primitives around crafted plaintext, as a writer that did not normalize
//! would produce them.

use crate::crypto::Context;
use crate::crypto::envelope::Header;
use crate::error::{Error, Invalid};
use crate::keys::Keyring;
use crate::kind::{Kind, Sealable};
use crate::seal::Sealed;
use crate::{
    Address, BankCard, Biometric, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Landline,
    LicensePlate, MacAddress, MobilePhone, Passport, PersonName,
};

fn envelope(keyring: &Keyring, kind: Kind, ctx: &Context, plain: &[u8]) -> Vec<u8> {
    let key = keyring.active().unwrap();
    key.with_seal_cipher(kind, ctx, |keys| {
        let header = Header::v2(key.id, kind, keys.check(ctx.bound_encoded()), &[9; 24]);
        keys.seal_raw(&header, ctx, plain)
    })
    .unwrap()
    .unwrap()
}

/// Open `plain` sealed as a `T`; the error reason, or `None` if it opened.
fn open_crafted<T: Sealable>(plain: &[u8]) -> Option<Invalid> {
    let keyring = Keyring::generate().unwrap();
    let ctx = Context::new("t", T::KIND.as_str());
    let sealed = Sealed::<T>::from_bytes(&envelope(&keyring, T::KIND, &ctx, plain)).unwrap();
    match keyring.open(&sealed, &ctx, "test") {
        Ok(_) => None,
        Err(Error::Invalid { kind, reason }) => {
            assert_eq!(kind, T::KIND);
            Some(reason)
        }
        Err(other) => panic!("{}: unexpected error {other:?}", T::KIND),
    }
}

/// `canonical` opens; each of `crafted` is refused with its reason.
fn check<T: Sealable>(canonical: &[u8], crafted: &[(&[u8], Invalid)]) {
    assert_eq!(open_crafted::<T>(canonical), None, "{}: canonical form must open", T::KIND);
    for (i, (plain, want)) in crafted.iter().enumerate() {
        assert_eq!(open_crafted::<T>(plain), Some(*want), "{} crafted #{i}", T::KIND);
    }
}

use Invalid::{Character, Length, NonCanonical};

#[test]
fn id_number_and_mobile_phone() {
    check::<IdNumber>(
        b"11010519491231002X",
        &[
            (b"11010519491231002x", Character),
            (b"110105491231002", Length),
            (b" 11010519491231002X", Length),
            (b"110105-19491231002X", Length),
        ],
    );
    check::<MobilePhone>(
        b"13800138000",
        &[(b"+8613800138000", Character), (b"8613800138000", Length), (b"138 0013 8000", Character)],
    );
}

#[test]
fn digit_kinds() {
    check::<BankCard>(b"6222021234567894", &[(b"6222 0212 3456 7894", Character)]);
    check::<Imei>(b"490154203237518", &[(b"49-015420-323751-8", NonCanonical)]);
    check::<CreditCode>(b"91350100M000100Y43", &[(b"91350100m000100y43", NonCanonical)]);
    check::<Passport>(b"E12345678", &[(b"e12345678", NonCanonical), (b" E12345678", NonCanonical)]);
    check::<Landline>(
        b"0755-8765432-801",
        &[(b"075587654328", NonCanonical), (b"0755 8765432", NonCanonical), (b"(0755)8765432", NonCanonical)],
    );
}

#[test]
fn text_kinds() {
    check::<Email>(
        b"ZhangSan@163.com",
        &[(b"ZhangSan@163.COM", NonCanonical), (b" ZhangSan@163.com", NonCanonical)],
    );
    check::<PersonName>(
        "阿依·古丽".as_bytes(),
        &[("阿依•古丽".as_bytes(), NonCanonical), (b"Li  Lei", NonCanonical), (b" Li Lei", NonCanonical)],
    );
    check::<Address>(
        "北京市朝阳区建国路88号".as_bytes(),
        &[(" 北京市朝阳区建国路88号".as_bytes(), NonCanonical)],
    );
    check::<LicensePlate>(
        "京A12345".as_bytes(),
        &[("京a12345".as_bytes(), NonCanonical), ("京A·12345".as_bytes(), NonCanonical)],
    );
}

#[test]
fn address_kinds() {
    check::<IpAddress>(
        b"2001:db8::1",
        &[
            (b"2001:DB8::1", NonCanonical),
            (b"2001:0db8:0:0:0:0:0:1", NonCanonical),
            (b"2001:db8:0:0::1", NonCanonical),
        ],
    );
    check::<IpAddress>(b"10.1.2.3", &[(b" 10.1.2.3", NonCanonical)]);
    check::<MacAddress>(
        b"AC:DE:48:00:11:22",
        &[
            (b"ac:de:48:00:11:22", NonCanonical),
            (b"AC-DE-48-00-11-22", NonCanonical),
            (b"ACDE48001122", NonCanonical),
        ],
    );
}

#[test]
fn binary_kinds() {
    let point = |lat: f64, lon: f64| {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&lat.to_bits().to_be_bytes());
        b[8..].copy_from_slice(&lon.to_bits().to_be_bytes());
        b
    };
    check::<GeoPoint>(
        &point(0.0, 116.4),
        &[
            (&point(-0.0, 116.4), NonCanonical),
            (&point(39.9, -0.0), NonCanonical),
            (&point(f64::NAN, 0.0), Invalid::NotFinite),
            (&point(90.5, 0.0), Invalid::OutOfRange),
            (&point(1.0, 2.0)[..15], Length),
        ],
    );
    // A template is uninterpreted bytes: every non-empty plaintext is canonical.
    check::<Biometric>(&[0, 1, 2, 255], &[(&[], Invalid::Empty)]);
}
