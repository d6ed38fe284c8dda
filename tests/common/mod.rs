//! Shared fixtures: sample values of every kind, and small helpers.
#![allow(dead_code)]

pub mod example;
pub mod prop_checks;
pub mod strategies;

use std::path::PathBuf;
use std::str::FromStr;

use desensitize::{
    Address, BankCard, Biometric, Context, CreditCode, Email, Error, GeoPoint, IdNumber, Imei, IpAddress,
    Keyring, Landline, LicensePlate, MacAddress, MobilePhone, Passport, PersonName, Sealable, Sealed,
};

/// Something done once per sealable kind with that kind's sample inputs.
pub trait Visitor {
    fn visit<T: Sealable + FromStr<Err = Error>>(&mut self, samples: &[&str]);
}

/// Sample inputs of every sealable kind (all valid).
pub fn visit_sealable(v: &mut impl Visitor) {
    v.visit::<IdNumber>(&["11010519491231002X", "440524188001010014", "110105491231002"]);
    v.visit::<MobilePhone>(&["13800138000", "+86 199-1234-5678"]);
    v.visit::<Landline>(&["010-62345678", "0755-88889999-123"]);
    v.visit::<BankCard>(&["6222021234567894", "4111 1111 1111 1111"]);
    v.visit::<GeoPoint>(&["39.9042,116.4074", "-33.8688,151.2093"]);
    v.visit::<Email>(&["zhangsan@163.com", "a@example.cn"]);
    v.visit::<PersonName>(&["张三", "欧阳娜娜", "𠮷野家", "阿依古丽·买买提"]);
    v.visit::<Address>(&["北京市朝阳区建国路88号", "广东省深圳市南山区科技园1号"]);
    v.visit::<IpAddress>(&["10.1.2.3", "2001:db8::1"]);
    v.visit::<MacAddress>(&["AC:DE:48:00:11:22", "ac-de-48-00-11-23"]);
    v.visit::<Imei>(&["490154203237518"]);
    v.visit::<Passport>(&["E12345678", "G1234567"]);
    v.visit::<LicensePlate>(&["京A12345", "粤BD12345"]);
    v.visit::<CreditCode>(&["91350100M000100Y43"]);
    v.visit::<Biometric>(&["AAECAwQFBgcICQ==", "3q2+7w=="]);
}

/// Seal each sample under `keyring`, move it through both stored forms and open it.
pub struct RoundTrip<'a>(pub &'a Keyring);

impl Visitor for RoundTrip<'_> {
    fn visit<T: Sealable + FromStr<Err = Error>>(&mut self, samples: &[&str]) {
        for (i, s) in samples.iter().enumerate() {
            let value: T = s.parse().unwrap_or_else(|e| panic!("{} sample {i}: {e}", T::KIND));
            let ctx = Context::new("t", T::KIND.as_str()).with_row(&i.to_string());
            let sealed = self.0.seal(&value, &ctx).unwrap();
            let from_text: Sealed<T> = sealed.to_text().parse().unwrap();
            let from_bytes = Sealed::<T>::from_bytes(sealed.as_bytes()).unwrap();
            assert_eq!(self.0.open(&from_text, &ctx, "test").unwrap(), value, "{}", T::KIND);
            assert_eq!(self.0.open(&from_bytes, &ctx, "test").unwrap(), value, "{}", T::KIND);
        }
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("desensitize-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Recompute a keyring file's trailing SHA-256 checksum after an edit.
pub fn fix_checksum(file: &mut [u8]) {
    use sha2::{Digest, Sha256};
    let n = file.len() - 32;
    let sum = Sha256::digest(&file[..n]);
    file[n..].copy_from_slice(&sum);
}
