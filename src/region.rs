//! Province-level administrative divisions of the PRC (GB/T 2260 first two digits).
//!
//! ID numbers, addresses and licence plates all begin with a province; this
//! table is the one place that knows them.
//!
//! ```
//! use desensitize::region::Province;
//!
//! let bj = Province::from_code(11).unwrap();
//! assert_eq!((bj.name(), bj.english()), ("北京市", "Beijing"));
//! assert_eq!(Province::from_plate_char('粤').unwrap().code(), 44);
//! assert!(Province::from_code(19).is_none());
//! ```

/// A province-level division: province, autonomous region, municipality or SAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Province {
    code: u8,
    name: &'static str,
    short: &'static str,
    english: &'static str,
    plate: Option<char>,
}

const fn p(
    code: u8,
    name: &'static str,
    short: &'static str,
    english: &'static str,
    plate: Option<char>,
) -> Province {
    Province { code, name, short, english, plate }
}

/// Every province-level code an ID number may start with. Code 83 is not a
/// division: it prefixes residence-permit numbers of Taiwan residents.
const PROVINCES: [Province; 35] = [
    p(11, "北京市", "北京", "Beijing", Some('京')),
    p(12, "天津市", "天津", "Tianjin", Some('津')),
    p(13, "河北省", "河北", "Hebei", Some('冀')),
    p(14, "山西省", "山西", "Shanxi", Some('晋')),
    p(15, "内蒙古自治区", "内蒙古", "Inner Mongolia", Some('蒙')),
    p(21, "辽宁省", "辽宁", "Liaoning", Some('辽')),
    p(22, "吉林省", "吉林", "Jilin", Some('吉')),
    p(23, "黑龙江省", "黑龙江", "Heilongjiang", Some('黑')),
    p(31, "上海市", "上海", "Shanghai", Some('沪')),
    p(32, "江苏省", "江苏", "Jiangsu", Some('苏')),
    p(33, "浙江省", "浙江", "Zhejiang", Some('浙')),
    p(34, "安徽省", "安徽", "Anhui", Some('皖')),
    p(35, "福建省", "福建", "Fujian", Some('闽')),
    p(36, "江西省", "江西", "Jiangxi", Some('赣')),
    p(37, "山东省", "山东", "Shandong", Some('鲁')),
    p(41, "河南省", "河南", "Henan", Some('豫')),
    p(42, "湖北省", "湖北", "Hubei", Some('鄂')),
    p(43, "湖南省", "湖南", "Hunan", Some('湘')),
    p(44, "广东省", "广东", "Guangdong", Some('粤')),
    p(45, "广西壮族自治区", "广西", "Guangxi", Some('桂')),
    p(46, "海南省", "海南", "Hainan", Some('琼')),
    p(50, "重庆市", "重庆", "Chongqing", Some('渝')),
    p(51, "四川省", "四川", "Sichuan", Some('川')),
    p(52, "贵州省", "贵州", "Guizhou", Some('贵')),
    p(53, "云南省", "云南", "Yunnan", Some('云')),
    p(54, "西藏自治区", "西藏", "Xizang (Tibet)", Some('藏')),
    p(61, "陕西省", "陕西", "Shaanxi", Some('陕')),
    p(62, "甘肃省", "甘肃", "Gansu", Some('甘')),
    p(63, "青海省", "青海", "Qinghai", Some('青')),
    p(64, "宁夏回族自治区", "宁夏", "Ningxia", Some('宁')),
    p(65, "新疆维吾尔自治区", "新疆", "Xinjiang", Some('新')),
    p(71, "台湾省", "台湾", "Taiwan", None),
    p(81, "香港特别行政区", "香港", "Hong Kong", None),
    p(82, "澳门特别行政区", "澳门", "Macao", None),
    p(83, "台湾居民居住证", "台湾", "Taiwan (residence permit)", None),
];

/// `PROVINCES` index + 1 of each two-digit code, 0 for none: a lookup per
/// ID number parse and per province fact, so no scan.
const BY_CODE: [u8; 100] = {
    let mut table = [0u8; 100];
    let mut i = 0;
    while i < PROVINCES.len() {
        table[PROVINCES[i].code as usize] = i as u8 + 1;
        i += 1;
    }
    table
};

impl Province {
    /// Every known province-level code, in code order.
    pub fn all() -> &'static [Province] {
        &PROVINCES
    }

    /// The division with this two-digit code.
    pub fn from_code(code: u8) -> Option<Province> {
        match BY_CODE.get(usize::from(code)) {
            Some(&at) if at > 0 => Some(PROVINCES[usize::from(at) - 1]),
            _ => None,
        }
    }

    /// The division whose licence plates start with `c` (e.g. `京`).
    pub fn from_plate_char(c: char) -> Option<Province> {
        PROVINCES.iter().copied().find(|p| p.plate == Some(c))
    }

    /// The division whose full or short name starts `text`, with the number
    /// of bytes that name takes. The full name is preferred (`北京市朝阳区`
    /// matches `北京市`, `北京朝阳区` matches `北京`).
    pub fn match_prefix(text: &str) -> Option<(Province, usize)> {
        // Code 83 shares its short name with Taiwan province: skip it here.
        let real = PROVINCES.iter().copied().filter(|p| p.code != 83);
        let mut best: Option<(Province, usize)> = None;
        for p in real {
            for name in [p.name, p.short] {
                if text.starts_with(name) && best.is_none_or(|(_, len)| name.len() > len) {
                    best = Some((p, name.len()));
                }
            }
        }
        best
    }

    /// The two-digit code (`11` for Beijing).
    pub fn code(self) -> u8 {
        self.code
    }

    /// The full Chinese name (`北京市`).
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The short Chinese name (`北京`).
    pub fn short_name(self) -> &'static str {
        self.short
    }

    /// The English / pinyin name (`Beijing`).
    pub fn english(self) -> &'static str {
        self.english
    }

    /// Whether the division is a municipality directly under the central
    /// government (Beijing, Tianjin, Shanghai, Chongqing), whose "city" level
    /// is the municipality itself.
    pub fn is_municipality(self) -> bool {
        matches!(self.code, 11 | 12 | 31 | 50)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique_and_sorted() {
        let codes: Vec<u8> = PROVINCES.iter().map(|p| p.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn from_code_is_the_table() {
        // The index agrees with a scan of the table for every byte.
        for code in 0..=u8::MAX {
            assert_eq!(
                Province::from_code(code),
                PROVINCES.iter().copied().find(|p| p.code == code),
                "{code}"
            );
        }
        assert_eq!(Province::from_code(44).map(|p| p.name()), Some("广东省"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(Province::match_prefix("北京市朝阳区").map(|(p, n)| (p.code, n)), Some((11, 9)));
        assert_eq!(Province::match_prefix("北京朝阳区").map(|(p, n)| (p.code, n)), Some((11, 6)));
        assert_eq!(Province::match_prefix("内蒙古自治区呼和浩特市").map(|(p, _)| p.code), Some(15));
        assert_eq!(Province::match_prefix("朝阳区"), None);
    }
}
