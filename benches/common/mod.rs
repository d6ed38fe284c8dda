//! Fixed inputs for the benches, so that runs compare: one fixed root key
//! (never a fresh random keyring: FPE cycle-walk counts depend on the key)
//! and fixed sets of valid values drawn from a seeded generator.

#![allow(dead_code)] // each bench uses part of it

use desensitize::keys::{KeyState, RootKey};
use desensitize::{BankCard, IdNumber, Keyring, MobilePhone};

/// Values per kind in a fixed input set.
pub const SET: usize = 1000;

/// A keyring with one fixed active root key (id 1).
pub fn fixed_keyring() -> Keyring {
    let mut k = Keyring::new();
    k.add_key(1, RootKey::from_bytes([0x42; 32]), KeyState::Active).unwrap();
    k
}

/// xorshift64: a fixed, dependency-free stream of bench inputs.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + (self.next() % 10) as u8)).collect()
    }
}

fn luhn_digit(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// [`SET`] mobile numbers `1[3-9]` + 9 digits.
pub fn phones() -> Vec<MobilePhone> {
    let mut s = Stream(0x9E37_79B9_7F4A_7C15);
    (0..SET).map(|_| format!("1{}{}", 3 + s.next() % 7, s.digits(9)).parse().unwrap()).collect()
}

/// [`SET`] Luhn-valid 16-digit cards under one BIN.
pub fn cards() -> Vec<BankCard> {
    let mut s = Stream(0xD1B5_4A32_D192_ED03);
    (0..SET)
        .map(|_| {
            let payload = format!("622202{}", s.digits(9));
            format!("{payload}{}", luhn_digit(&payload)).parse().unwrap()
        })
        .collect()
}

/// [`SET`] ID numbers: a few regions, births 1950-2005, any sequence.
pub fn ids() -> Vec<IdNumber> {
    let weights = [7u32, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let regions = ["110105", "310104", "440305", "510107", "330106"];
    let mut s = Stream(0x2545_F491_4F6C_DD1D);
    (0..SET)
        .map(|_| {
            let region = regions[(s.next() % regions.len() as u64) as usize];
            let year = 1950 + s.next() % 56;
            let month = 1 + s.next() % 12;
            let day = 1 + s.next() % 28;
            let first17 = format!("{region}{year}{month:02}{day:02}{}", s.digits(3));
            let sum: u32 = first17.bytes().zip(weights).map(|(d, w)| u32::from(d - b'0') * w).sum();
            format!("{first17}{}", char::from(b"10X98765432"[(sum % 11) as usize])).parse().unwrap()
        })
        .collect()
}

/// Call `$bench::<Kind>(c, name, sample)` for every kind that has a text
/// form, with one valid sample each: the per-kind groups of the `mask` and
/// `parse` benches, from one list.
#[allow(unused_macros)] // the benches without per-kind groups
macro_rules! each_kind_sample {
    ($bench:ident, $c:expr) => {{
        use desensitize::{
            Address, BankCard, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Landline,
            LicensePlate, MacAddress, MobilePhone, Passport, PersonName,
        };
        $bench::<MobilePhone>($c, "mobile_phone", "13800138000");
        $bench::<IdNumber>($c, "id_number", "11010519491231002X");
        $bench::<BankCard>($c, "bank_card", "6222021234567894");
        $bench::<PersonName>($c, "person_name", "欧阳娜娜");
        $bench::<Email>($c, "email", "zhangsan@163.com");
        $bench::<Address>($c, "address", "北京市朝阳区建国路88号");
        $bench::<GeoPoint>($c, "geo_point", "39.9042,116.4074");
        $bench::<IpAddress>($c, "ip_address", "10.1.2.3");
        $bench::<MacAddress>($c, "mac_address", "AC:DE:48:00:11:22");
        $bench::<Imei>($c, "imei", "490154203237518");
        $bench::<Landline>($c, "landline", "010-62345678");
        $bench::<LicensePlate>($c, "license_plate", "京A12345");
        $bench::<Passport>($c, "passport", "E12345678");
        $bench::<CreditCode>($c, "credit_code", "91350100M000100Y43");
    }};
}
