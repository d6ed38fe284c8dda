//! Postal address, free text.

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::{FIXED_RUN, MaskLevel};
use crate::region::Province;
use crate::secret::SecretString;

const KIND: Kind = Kind::Address;
/// Longest address, in code points, after trimming.
const MAX_CHARS: usize = 256;
/// Generous bound on raw input before parsing.
const MAX_INPUT: usize = 2048;
/// Longest city or district name looked for, in code points.
const MAX_SEGMENT: usize = 10;
const CITY_SUFFIXES: [&str; 4] = ["市", "州", "盟", "地区"];
const DISTRICT_SUFFIXES: [&str; 4] = ["区", "县", "市", "旗"];

/// The administrative prefix recognized at the start of an address, as byte
/// offsets into the text (each end is at or after the previous one).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Prefix {
    province: Option<Province>,
    province_end: usize,
    district_end: usize,
}

/// A postal address (通信地址), kept as free text.
///
/// Parsing trims the text and requires 1 to 256 code points with no control
/// characters; nothing else is normalized or validated. A PRC address is
/// recognized by its leading administrative divisions: a province (full or
/// short name, e.g. `广东省` or `广东`), then a prefecture-level city (a name
/// of at most 10 characters ending in `市`, `州`, `盟` or `地区`; absent for
/// the municipalities Beijing, Tianjin, Shanghai and Chongqing), then a
/// district or county (at most 10 characters ending in `区`, `县`, `市` or
/// `旗`).
///
/// Masks show that recognized prefix as written, followed by a fixed `****`
/// that does not reveal how long the rest is: `Strict` shows the province
/// only, `Standard` and `Relaxed` the province, city and district (as much
/// of them as was recognized). An address whose province is not recognized
/// is `****` at every level.
///
/// ```
/// use desensitize::{Address, MaskLevel, Sensitive};
///
/// let addr: Address = "广东省深圳市南山区科技园1号".parse()?;
/// assert_eq!(addr.mask(MaskLevel::Strict), "广东省****");
/// assert_eq!(addr.to_string(), "广东省深圳市南山区****");
/// assert_eq!(addr.province().map(|p| p.code()), Some(44));
/// assert_eq!(format!("{addr:?}"), "Address([REDACTED])");
///
/// let addr: Address = "北京市朝阳区建国路88号".parse()?;
/// assert_eq!(addr.to_string(), "北京市朝阳区****");
///
/// let addr: Address = "123 Main St, Springfield".parse()?;
/// assert_eq!(addr.to_string(), "****");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Address(SecretString, Prefix);

/// Byte length of the shortest run of 2 to [`MAX_SEGMENT`] characters at the
/// start of `text` that ends in one of `suffixes`.
fn segment(text: &str, suffixes: &[&str]) -> Option<usize> {
    text.char_indices()
        .take(MAX_SEGMENT)
        .skip(1)
        .map(|(at, c)| at + c.len_utf8())
        .find(|&end| suffixes.iter().any(|s| text[..end].ends_with(s)))
}

fn recognize(text: &str) -> Prefix {
    let Some((province, province_end)) = Province::match_prefix(text) else {
        return Prefix { province: None, province_end: 0, district_end: 0 };
    };
    let district_after = |start: usize| segment(&text[start..], &DISTRICT_SUFFIXES).map(|len| start + len);
    // A municipality is its own city: look for its district first, so that
    // `重庆市万州区` is not read as the city `万州` followed by `区`.
    if province.is_municipality()
        && let Some(district_end) = district_after(province_end)
    {
        return Prefix { province: Some(province), province_end, district_end };
    }
    let district_end = match segment(&text[province_end..], &CITY_SUFFIXES) {
        Some(len) => {
            let mut city_end = province_end + len;
            // `杭州` ends in 州, but the city is `杭州市`.
            if text[..city_end].ends_with('州') && text[city_end..].starts_with('市') {
                city_end += '市'.len_utf8();
            }
            district_after(city_end).unwrap_or(city_end)
        }
        None => province_end,
    };
    Prefix { province: Some(province), province_end, district_end }
}

impl Address {
    fn parse(input: &str) -> Result<Address> {
        check_len(KIND, input, MAX_INPUT)?;
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if s.chars().any(char::is_control) {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        if s.chars().count() > MAX_CHARS {
            return Err(Error::invalid(KIND, Invalid::TooLong { max: MAX_CHARS }));
        }
        let prefix = recognize(s);
        Ok(Address(SecretString::new(s.to_owned()), prefix))
    }

    /// The trimmed address text. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// The province-level division the address starts with, if recognized.
    pub fn province(&self) -> Option<Province> {
        self.1.province
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let end = match level {
            MaskLevel::Strict => self.1.province_end,
            MaskLevel::Standard | MaskLevel::Relaxed => self.1.district_end,
        };
        let shown = self.expose().get(..end).unwrap_or("");
        let mut out = String::with_capacity(shown.len() + FIXED_RUN.len());
        out.push_str(shown);
        out.push_str(FIXED_RUN);
        out
    }
}

text_kind!(Address, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<Address>() {
            Err(Error::Invalid { kind: Kind::Address, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    fn masks_of(input: &str) -> [String; 3] {
        let a: Address = input.parse().unwrap();
        MaskLevel::ALL.map(|level| a.mask(level))
    }

    #[test]
    fn parses() {
        let a: Address = "  北京市朝阳区建国路88号 ".parse().unwrap();
        assert_eq!(a.expose(), "北京市朝阳区建国路88号");
        assert_eq!(a.province().map(|p| p.code()), Some(11));
        let a: Address = "123 Main St,  Springfield".parse().unwrap();
        assert_eq!(a.expose(), "123 Main St,  Springfield");
        assert_eq!(a.province(), None);
        assert_eq!(Address::from_canonical_bytes(a.canonical_bytes()).unwrap(), a);
        assert_eq!(name_len(&"路".repeat(256)), 256);
    }

    fn name_len(s: &str) -> usize {
        s.parse::<Address>().unwrap().expose().chars().count()
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" \u{3000} "), Invalid::Empty);
        assert_eq!(reason("北京市\n朝阳区"), Invalid::Character);
        assert_eq!(reason("北京市\u{7}朝阳区"), Invalid::Character);
        assert_eq!(reason(&"路".repeat(257)), Invalid::TooLong { max: 256 });
        assert!(matches!(reason(&"a".repeat(3000)), Invalid::TooLong { max: 2048 }));
    }

    #[test]
    fn masks() {
        let a: Address = "北京市朝阳区建国路88号".parse().unwrap();
        assert_eq!(a.mask(MaskLevel::Strict), "北京市****");
        assert_eq!(a.mask(MaskLevel::Standard), "北京市朝阳区****");
        assert_eq!(a.mask(MaskLevel::Relaxed), "北京市朝阳区****");
        assert_eq!(a.to_string(), "北京市朝阳区****");
        assert_eq!(format!("{a:?}"), "Address([REDACTED])");
        assert_eq!(
            masks_of("广东省深圳市南山区科技园1号"),
            ["广东省****", "广东省深圳市南山区****", "广东省深圳市南山区****"]
        );
        assert_eq!(masks_of("123 Main St"), ["****", "****", "****"]);
    }

    #[test]
    fn recognizes_prefixes() {
        for (input, strict, standard) in [
            // Short province name, county-level city.
            ("广东深圳市南山区科技园", "广东****", "广东深圳市南山区****"),
            ("江苏省苏州市昆山市玉山镇", "江苏省****", "江苏省苏州市昆山市****"),
            // A city ending in 州 is followed by 市.
            ("浙江省杭州市西湖区文三路", "浙江省****", "浙江省杭州市西湖区****"),
            // Autonomous prefecture, league and prefecture.
            ("甘肃省临夏回族自治州临夏市红园路", "甘肃省****", "甘肃省临夏回族自治州临夏市****"),
            ("内蒙古自治区锡林郭勒盟锡林浩特市", "内蒙古自治区****", "内蒙古自治区锡林郭勒盟锡林浩特市****"),
            ("新疆阿克苏地区阿克苏市", "新疆****", "新疆阿克苏地区阿克苏市****"),
            ("内蒙古兴安盟科尔沁右翼前旗", "内蒙古****", "内蒙古兴安盟科尔沁右翼前旗****"),
            // Municipalities: no city level; districts and counties.
            ("上海市浦东新区陆家嘴", "上海市****", "上海市浦东新区****"),
            ("重庆市万州区", "重庆市****", "重庆市万州区****"),
            ("重庆城口县葛城镇", "重庆****", "重庆城口县****"),
            ("北京市建国路88号", "北京市****", "北京市****"),
            // City but no district.
            ("广东省深圳市科技园1栋", "广东省****", "广东省深圳市****"),
            // Neither city nor district recognized: province only.
            ("广东省科技园1号", "广东省****", "广东省****"),
            ("湖北", "湖北****", "湖北****"),
            // A 市 alone is not a district name.
            ("山东省济南市市中区", "山东省****", "山东省济南市市中区****"),
        ] {
            let [s, std, relaxed] = masks_of(input);
            assert_eq!((s.as_str(), std.as_str()), (strict, standard), "{input}");
            assert_eq!(relaxed, std, "{input}");
        }
    }

    #[test]
    fn masks_never_reveal_length() {
        let short = masks_of("广东省深圳市南山区1号");
        let long = masks_of("广东省深圳市南山区科技园南区高新南一道飞亚达大厦1栋2单元301室");
        assert_eq!(short, long);
    }

    proptest::proptest! {
        #[test]
        fn parsing_is_total_and_canonical(s in "[北京市上海广东省深圳州盟地区县旗蒙古自治重庆万1a \\n]{0,40}", any in ".{0,40}") {
            for input in [&s, &any] {
                if let Ok(v) = input.parse::<Address>() {
                    for level in MaskLevel::ALL {
                        let _ = crate::Sensitive::mask(&v, level);
                    }
                    let bytes = crate::kind::private::Canonical::canonical_bytes(&v);
                    let back = <Address as crate::kind::private::Canonical>::from_canonical_bytes(bytes);
                    proptest::prop_assert!(back.as_ref() == Ok(&v));
                }
            }
        }
    }
}
