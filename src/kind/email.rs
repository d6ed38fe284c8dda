//! E-mail address.

use zeroize::Zeroizing;

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::MaskLevel;
use crate::secret::SecretString;

const KIND: Kind = Kind::Email;
/// Generous bound on raw input (surrounding white space) before parsing.
const MAX_INPUT: usize = 512;
/// RFC 5321 limit on a whole address (a forward path of 256 less `<>`).
const MAX_TOTAL: usize = 254;
/// RFC 5321 limit on the local part (counted here in characters).
const MAX_LOCAL: usize = 64;
/// RFC 1035 limit on a domain name.
const MAX_DOMAIN: usize = 253;
/// RFC 1035 limit on one domain label.
const MAX_LABEL: usize = 63;
/// Stands for the hidden rest of the local part, whatever its length.
const RUN: &str = "***";

/// An e-mail address (电子邮件地址), stored as `local@domain` with the domain
/// lower-cased.
///
/// Parsing trims surrounding white space and checks the usual shape: exactly
/// one `@`; a non-empty local part of at most 64 characters without white
/// space or control characters; a domain of at most 253 bytes with at least
/// one dot, whose labels (at most 63 bytes each) are letters, digits and
/// inner hyphens (non-ASCII letters are allowed for internationalized
/// domains); at most 254 bytes in all. Quoted local parts and IP-literal
/// domains are not accepted.
///
/// Masks keep up to 1 (`Strict`) or 3 (`Standard`, `Relaxed`) leading
/// characters of the local part, but never more than half of it, then a
/// fixed `***` that does not reveal the local part's length. The domain is
/// shown at every level.
///
/// ```
/// use desensitize::{Email, MaskLevel, Sensitive};
///
/// let email: Email = " ZhangSan@163.COM ".parse()?;
/// assert_eq!(email.expose(), "ZhangSan@163.com");
/// assert_eq!(email.domain(), "163.com");
/// assert_eq!(email.mask(MaskLevel::Strict), "Z***@163.com");
/// assert_eq!(email.to_string(), "Zha***@163.com");
/// assert_eq!(format!("{email:?}"), "Email([REDACTED])");
/// assert!("zhangsan@localhost".parse::<Email>().is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(SecretString);

fn check_domain(domain: &str) -> Result<()> {
    let malformed = Err(Error::invalid(KIND, Invalid::Malformed));
    if domain.len() > MAX_DOMAIN {
        return Err(Error::invalid(KIND, Invalid::TooLong { max: MAX_DOMAIN }));
    }
    if !domain.contains('.') {
        return malformed;
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL || label.starts_with('-') || label.ends_with('-') {
            return malformed;
        }
        if !label.chars().all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == '-') {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
    }
    Ok(())
}

impl Email {
    fn parse(input: &str) -> Result<Email> {
        check_len(KIND, input, MAX_INPUT)?;
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        let malformed = || Error::invalid(KIND, Invalid::Malformed);
        let (local, domain) = s.split_once('@').ok_or_else(malformed)?;
        if local.is_empty() || domain.contains('@') {
            return Err(malformed());
        }
        if local.chars().count() > MAX_LOCAL {
            return Err(Error::invalid(KIND, Invalid::TooLong { max: MAX_LOCAL }));
        }
        // Lower-case first and validate the result, so that the stored form
        // parses back to itself.
        let domain = Zeroizing::new(domain.to_lowercase());
        check_domain(&domain)?;
        let total = local.len() + 1 + domain.len();
        if total > MAX_TOTAL {
            return Err(Error::invalid(KIND, Invalid::TooLong { max: MAX_TOTAL }));
        }
        let mut out = String::with_capacity(total);
        out.push_str(local);
        out.push('@');
        out.push_str(&domain);
        Ok(Email(SecretString::new(out)))
    }

    /// The address, `local@domain`, domain lower-cased. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// The domain (lower-cased), e.g. `163.com`. No mask level hides it:
    /// it identifies a provider or organization, not a person.
    pub fn domain(&self) -> &str {
        self.expose().split_once('@').map_or("", |(_, domain)| domain)
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let wanted = match level {
            MaskLevel::Strict => 1,
            MaskLevel::Standard | MaskLevel::Relaxed => 3,
        };
        // One split for both halves (the canonical form always has its '@').
        let (local, domain) = self.expose().split_once('@').unwrap_or(("", ""));
        let keep = wanted.min(local.chars().count() / 2);
        let mut out = String::with_capacity(4 * keep + RUN.len() + 1 + domain.len());
        out.extend(local.chars().take(keep));
        out.push_str(RUN);
        out.push('@');
        out.push_str(domain);
        out
    }
}

text_kind!(Email, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<Email>() {
            Err(Error::Invalid { kind: Kind::Email, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn normalizes() {
        for (input, want) in [
            ("zhangsan@163.com", "zhangsan@163.com"),
            ("  zhangsan@163.com\t", "zhangsan@163.com"),
            ("ZhangSan@Mail.163.COM", "ZhangSan@mail.163.com"),
            ("first.last+tag@sub-domain.example.org", "first.last+tag@sub-domain.example.org"),
            ("用户@例子.中国", "用户@例子.中国"),
            ("user@MÜNCHEN.de", "user@münchen.de"),
            ("a@x.cn", "a@x.cn"),
        ] {
            let email: Email = input.parse().unwrap();
            assert_eq!(email.expose(), want, "{input}");
            assert_eq!(Email::from_canonical_bytes(email.canonical_bytes()).unwrap(), email);
        }
        assert_eq!("user@MÜNCHEN.de".parse::<Email>().unwrap().domain(), "münchen.de");
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" \t "), Invalid::Empty);
        assert_eq!(reason("zhangsan.163.com"), Invalid::Malformed);
        assert_eq!(reason("zhang@san@163.com"), Invalid::Malformed);
        assert_eq!(reason("@163.com"), Invalid::Malformed);
        assert_eq!(reason("zhangsan@"), Invalid::Malformed);
        assert_eq!(reason("zhangsan@localhost"), Invalid::Malformed);
        assert_eq!(reason("zhangsan@163..com"), Invalid::Malformed);
        assert_eq!(reason("zhangsan@.163.com"), Invalid::Malformed);
        assert_eq!(reason("zhangsan@163.com."), Invalid::Malformed);
        assert_eq!(reason("zhangsan@-163.com"), Invalid::Malformed);
        assert_eq!(reason("zhangsan@163-.com"), Invalid::Malformed);
        assert_eq!(reason(&format!("a@{}.com", "x".repeat(64))), Invalid::Malformed);
        assert_eq!(reason("zhang san@163.com"), Invalid::Character);
        assert_eq!(reason("zhang\u{0}san@163.com"), Invalid::Character);
        assert_eq!(reason("zhang\u{3000}san@163.com"), Invalid::Character);
        assert_eq!(reason("zhangsan@163_mail.com"), Invalid::Character);
        assert_eq!(reason("zhangsan@[127.0.0.1]"), Invalid::Character);
        assert_eq!(reason(&format!("{}@163.com", "a".repeat(65))), Invalid::TooLong { max: 64 });
        // The local-part limit counts characters, not bytes.
        assert!(format!("{}@163.com", "张".repeat(64)).parse::<Email>().is_ok());
        assert_eq!(reason(&format!("{}@163.com", "张".repeat(65))), Invalid::TooLong { max: 64 });
        let long_domain = format!("{}.com", vec!["x".repeat(63); 4].join("."));
        assert_eq!(reason(&format!("a@{long_domain}")), Invalid::TooLong { max: 253 });
        let domain_250 = format!("{}.com", vec!["x".repeat(60); 4].join("."));
        assert_eq!(domain_250.len(), 247);
        assert_eq!(reason(&format!("{}@{domain_250}", "a".repeat(7))), Invalid::TooLong { max: 254 });
        assert!(matches!(reason(&"a".repeat(600)), Invalid::TooLong { max: 512 }));
    }

    #[test]
    fn masks() {
        let e: Email = "zhangsan@163.com".parse().unwrap();
        assert_eq!(e.mask(MaskLevel::Strict), "z***@163.com");
        assert_eq!(e.mask(MaskLevel::Standard), "zha***@163.com");
        assert_eq!(e.mask(MaskLevel::Relaxed), "zha***@163.com");
        assert_eq!(e.to_string(), "zha***@163.com");
        assert_eq!(format!("{e:?}"), "Email([REDACTED])");
    }

    #[test]
    fn masks_keep_at_most_half_the_local_part() {
        let two: Email = "ab@x.cn".parse().unwrap();
        assert_eq!(two.mask(MaskLevel::Strict), "a***@x.cn");
        assert_eq!(two.mask(MaskLevel::Standard), "a***@x.cn");
        let one: Email = "a@x.cn".parse().unwrap();
        for level in MaskLevel::ALL {
            assert_eq!(one.mask(level), "***@x.cn");
        }
        let five: Email = "abcde@x.cn".parse().unwrap();
        assert_eq!(five.mask(MaskLevel::Standard), "ab***@x.cn");
        // Code points, not bytes.
        let cjk: Email = "张三丰李四@例子.中国".parse().unwrap();
        assert_eq!(cjk.mask(MaskLevel::Strict), "张***@例子.中国");
        assert_eq!(cjk.mask(MaskLevel::Standard), "张三***@例子.中国");
    }

    proptest::proptest! {
        #[test]
        fn parsing_is_total_and_canonical(s in "[a-zA-Z0-9@.\\-_ ÜİßΣ张例\\u{0}\\u{3000}]{0,40}", any in ".{0,40}") {
            for input in [&s, &any] {
                if let Ok(v) = input.parse::<Email>() {
                    for level in MaskLevel::ALL {
                        let _ = crate::Sensitive::mask(&v, level);
                    }
                    let bytes = crate::kind::private::Canonical::canonical_bytes(&v);
                    let back = <Email as crate::kind::private::Canonical>::from_canonical_bytes(bytes);
                    proptest::prop_assert!(back.as_ref() == Ok(&v));
                }
            }
        }
    }
}
