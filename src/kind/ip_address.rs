//! IPv4 or IPv6 address.

use core::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr};

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::{MASK_CHAR, MaskLevel, push_decimal, push_hex};
use crate::secret::SecretString;

const KIND: Kind = Kind::IpAddress;
/// The longest textual IPv6 address is 45 characters; allow surrounding space.
const MAX_INPUT: usize = 64;
/// Longest `Display` output of an [`IpAddr`] (`ffff:...:255.255.255.255`).
const MAX_IP_TEXT: usize = 45;

/// An IPv4 or IPv6 address, stored in the canonical text form of
/// [`IpAddr`]'s `Display` (`10.1.2.3`, `2001:db8::1`).
///
/// Parsing trims surrounding white space and accepts what
/// [`IpAddr::from_str`](core::str::FromStr) accepts (no zone index, no
/// brackets, no leading zeros in IPv4 octets). Masks keep the leading
/// octets or groups, which identify the network rather than the host:
/// IPv6 addresses are written out in all eight groups so that the mask does
/// not reveal where runs of zeros were.
///
/// ```
/// use desensitize::{IpAddress, MaskLevel, Sensitive};
///
/// let ip: IpAddress = " 10.1.2.3 ".parse()?;
/// assert!(ip.is_ipv4());
/// assert_eq!(ip.mask(MaskLevel::Strict), "10.*.*.*");
/// assert_eq!(ip.mask(MaskLevel::Standard), "10.1.*.*");
/// assert_eq!(ip.mask(MaskLevel::Relaxed), "10.1.2.*");
///
/// let ip: IpAddress = "2001:0DB8::1".parse()?;
/// assert_eq!(ip.expose(), "2001:db8::1");
/// assert_eq!(ip.to_string(), "2001:db8:*:*:*:*:*:*");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IpAddress(SecretString);

impl IpAddress {
    fn parse(input: &str) -> Result<IpAddress> {
        check_len(KIND, input, MAX_INPUT)?;
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if !s.chars().all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':') {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        let ip: IpAddr = s.parse().map_err(|_| Error::invalid(KIND, Invalid::Malformed))?;
        // Sized for the longest form, so the buffer never reallocates and
        // leaves no unwiped copy behind. Writing to a String cannot fail.
        let mut canonical = String::with_capacity(MAX_IP_TEXT);
        let _ = write!(canonical, "{ip}");
        Ok(IpAddress(SecretString::new(canonical)))
    }

    /// The canonical text form (`10.1.2.3`, `2001:db8::1`). Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// The address as a [`IpAddr`]. Exposes the plaintext.
    ///
    /// The value is kept only as text in a buffer that is wiped on drop; this
    /// parses it again, so the returned copy is the caller's to protect.
    pub fn expose_ip(&self) -> IpAddr {
        // The text was produced by `IpAddr`'s `Display`, so it parses back;
        // the fallback is unreachable.
        self.0.as_str().parse().unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    }

    /// Whether this is an IPv4 address (an IPv4-mapped IPv6 address is IPv6).
    pub fn is_ipv4(&self) -> bool {
        // IPv6 text always has a `:`, IPv4 text never does.
        !self.0.as_str().contains(':')
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let keep = match level {
            MaskLevel::Strict => 1,
            MaskLevel::Standard => 2,
            MaskLevel::Relaxed => 3,
        };
        // Digits written straight into one buffer, no formatting machinery.
        let mut out = String::with_capacity(40);
        match self.expose_ip() {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        out.push('.');
                    }
                    if i < keep {
                        push_decimal(&mut out, u32::from(octet));
                    } else {
                        out.push(MASK_CHAR);
                    }
                }
            }
            IpAddr::V6(v6) => {
                for (i, group) in v6.segments().into_iter().enumerate() {
                    if i > 0 {
                        out.push(':');
                    }
                    if i < keep {
                        push_hex(&mut out, group);
                    } else {
                        out.push(MASK_CHAR);
                    }
                }
            }
        }
        out
    }
}

text_kind!(IpAddress, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;
    use std::net::Ipv4Addr;

    fn reason(input: &str) -> Invalid {
        match input.parse::<IpAddress>() {
            Err(Error::Invalid { kind: Kind::IpAddress, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn normalizes() {
        let canon = |s: &str| s.parse::<IpAddress>().unwrap().expose().to_owned();
        assert_eq!(canon("10.1.2.3"), "10.1.2.3");
        assert_eq!(canon("\t192.168.0.1\n"), "192.168.0.1");
        assert_eq!(canon("0.0.0.0"), "0.0.0.0");
        assert_eq!(canon("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
        assert_eq!(canon("::1"), "::1");
        assert_eq!(canon("::ffff:10.1.2.3"), "::ffff:10.1.2.3");

        let ip: IpAddress = "10.1.2.3".parse().unwrap();
        assert!(ip.is_ipv4());
        assert_eq!(ip.expose_ip(), IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
        let ip: IpAddress = "2001:db8::1".parse().unwrap();
        assert!(!ip.is_ipv4());
        assert_eq!(ip.expose_ip(), IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)));
        let back = IpAddress::from_canonical_bytes(ip.canonical_bytes()).unwrap();
        assert_eq!(back, ip);
        assert!(!"::ffff:10.1.2.3".parse::<IpAddress>().unwrap().is_ipv4());
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason("   "), Invalid::Empty);
        assert_eq!(reason("10.1.2.3/24"), Invalid::Character);
        assert_eq!(reason("10.1.2.x"), Invalid::Character);
        assert_eq!(reason("fe80::1%eth0"), Invalid::Character);
        assert_eq!(reason("[::1]"), Invalid::Character);
        assert_eq!(reason("10.1 .2.3"), Invalid::Character);
        assert_eq!(reason("256.1.2.3"), Invalid::Malformed);
        assert_eq!(reason("10.1.2"), Invalid::Malformed);
        assert_eq!(reason("010.1.2.3"), Invalid::Malformed);
        assert_eq!(reason("2001:db8:::1"), Invalid::Malformed);
        assert_eq!(reason("1:2:3:4:5:6:7:8:9"), Invalid::Malformed);
        assert_eq!(reason("abc"), Invalid::Malformed);
        assert!(matches!(reason(&"1".repeat(100)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let ip: IpAddress = "10.1.2.3".parse().unwrap();
        assert_eq!(ip.mask(MaskLevel::Strict), "10.*.*.*");
        assert_eq!(ip.mask(MaskLevel::Standard), "10.1.*.*");
        assert_eq!(ip.mask(MaskLevel::Relaxed), "10.1.2.*");
        assert_eq!(ip.to_string(), "10.1.*.*");
        assert_eq!(format!("{ip:?}"), "IpAddress([REDACTED])");

        let ip: IpAddress = "2001:DB8:0:42::1".parse().unwrap();
        assert_eq!(ip.mask(MaskLevel::Strict), "2001:*:*:*:*:*:*:*");
        assert_eq!(ip.mask(MaskLevel::Standard), "2001:db8:*:*:*:*:*:*");
        assert_eq!(ip.mask(MaskLevel::Relaxed), "2001:db8:0:*:*:*:*:*");
        assert_eq!(format!("{ip:?}"), "IpAddress([REDACTED])");

        let mapped: IpAddress = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(mapped.mask(MaskLevel::Relaxed), "0:0:0:*:*:*:*:*");
    }
}
