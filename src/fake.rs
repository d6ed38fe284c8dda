//! Deterministic synthetic personal data for tests, demos and benchmarks.
//!
//! A [`Faker`] turns a seed into an endless stream of plausible, *valid*
//! values: ID numbers with real GB/T 2260 region codes and correct check
//! characters, mobile numbers in real segments, bank cards with real-looking
//! issuer prefixes and a correct Luhn digit, Chinese names, e-mail addresses,
//! postal addresses built from the division table and points inside
//! mainland China. Every value is built as text and parsed through its
//! kind's validation, so it is exactly what real input would become.
//!
//! The same seed gives the same sequence of values with the same version of
//! this crate. Across versions (a new division table, another `rand`
//! release) the sequence may change: do not store seeds as a substitute for
//! the data.
//!
//! None of the values belongs to a real person on purpose, but some will
//! coincide with real numbers (the number spaces are small): treat generated
//! data as test data, never as "safe to publish" data.
//!
//! ```
//! use desensitize::fake::{COLUMNS, Faker};
//! use desensitize::{IdNumber, Sensitive};
//!
//! let mut faker = Faker::new(42);
//! let record = faker.record();
//! let row = record.expose_fields(1);
//! assert_eq!(row.len(), COLUMNS.len());
//! assert_eq!(row[0], "1");
//! // Every field parses back as its kind.
//! assert!(row[2].parse::<IdNumber>().is_ok());
//!
//! // Same seed, same data.
//! assert_eq!(Faker::new(42).record().expose_fields(1), row);
//! # Ok::<(), desensitize::Error>(())
//! ```

use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::date::Date;
use crate::generalize::division::District;
use crate::kind::{Address, BankCard, Email, GeoPoint, IdNumber, MobilePhone, PersonName};
use crate::region::Province;

/// Column names of [`FakeRecord::expose_fields`], in order.
pub const COLUMNS: [&str; 8] =
    ["user_id", "name", "id_number", "mobile", "bank_card", "email", "address", "location"];

/// Mobile number segments (first three digits) in use by the PRC carriers.
const MOBILE_SEGMENTS: [u16; 47] = [
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, // 13x
    150, 151, 152, 153, 155, 156, 157, 158, 159, // 15x
    170, 171, 172, 173, 175, 176, 177, 178, // 17x
    180, 181, 182, 183, 184, 185, 186, 187, 188, 189, // 18x
    190, 191, 192, 193, 195, 196, 197, 198, 199, 166, // 19x and 166
];

/// Issuer prefixes (BINs) of large PRC banks, with the card length used.
const BINS: [(&[u8; 6], usize); 10] = [
    (b"622202", 19), // ICBC debit
    (b"621226", 19), // ICBC debit
    (b"621700", 19), // CCB debit
    (b"436742", 16), // CCB credit
    (b"622848", 19), // ABC debit
    (b"622588", 16), // CMB credit
    (b"621483", 16), // CMB debit
    (b"622262", 19), // BOCOM debit
    (b"621661", 19), // BOC debit
    (b"625965", 16), // UnionPay credit
];

/// Common surnames, most frequent first, with a few two-character ones.
pub(crate) const SURNAMES: [&str; 64] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚",
    "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "欧阳", "司马", "诸葛", "上官",
];

/// Characters common in given names.
const GIVEN: [&str; 96] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "辉", "建", "飞", "波", "宁", "斌",
    "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "晨", "晶", "琳", "颖", "婷", "雪", "慧", "佳", "欣",
    "怡", "梅", "兰", "云", "龙", "海", "峰", "春", "亮", "成", "志", "文", "博", "睿", "思", "嘉", "子",
    "涵", "轩", "梓", "泽", "彤", "诗", "雨", "萱", "铭", "晓", "丹", "倩", "国", "荣", "东", "新", "林",
    "昊", "天", "瑞", "安", "心", "悦", "然", "阳", "光", "青", "德",
];

/// Pinyin syllables for e-mail local parts.
const PINYIN: [&str; 48] = [
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu",
    "hu", "guo", "he", "gao", "lin", "luo", "wei", "fang", "na", "min", "jing", "qiang", "lei", "jun",
    "yong", "yan", "jie", "tao", "ming", "chao", "xiu", "xia", "ping", "gang", "hui", "hua", "yu", "hong",
    "peng", "hao", "kai", "xin", "yi", "ting",
];

/// Common mail providers.
const MAIL_DOMAINS: [&str; 12] = [
    "163.com",
    "126.com",
    "qq.com",
    "foxmail.com",
    "sina.com",
    "sohu.com",
    "139.com",
    "yeah.net",
    "aliyun.com",
    "outlook.com",
    "hotmail.com",
    "gmail.com",
];

/// Common street names.
const STREETS: [&str; 24] = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "文化路",
    "长江路",
    "黄河路",
    "胜利路",
    "朝阳路",
    "光明路",
    "幸福路",
    "青年路",
    "学府路",
    "友谊路",
    "团结路",
    "工业路",
    "东风路",
    "滨江路",
    "健康路",
    "迎宾大道",
    "世纪大道",
    "科技园路",
];

/// Mainland China's bounding box, degrees: latitude then longitude.
const LAT_RANGE: (f64, f64) = (18.2, 53.5);
const LON_RANGE: (f64, f64) = (73.6, 134.7);

/// The birth dates drawn: 1940-01-01 ..= 2015-12-31, as days since 1970-01-01.
const BIRTH_FIRST: i64 = -10_958;
const BIRTH_LAST: i64 = 16_800;

/// Region codes and address prefixes, built once from the division table.
struct Regions {
    /// Every county-level code in the table (all have a known province).
    id_codes: Vec<u32>,
    /// `province + city + district` for every district that has a city (the
    /// city is left out for municipalities: `北京市朝阳区`).
    address_prefixes: Vec<String>,
}

fn regions() -> &'static Regions {
    static REGIONS: OnceLock<Regions> = OnceLock::new();
    REGIONS.get_or_init(|| {
        let mut id_codes = Vec::with_capacity(3200);
        let mut address_prefixes = Vec::with_capacity(3200);
        for province in Province::all() {
            let base = u32::from(province.code()) * 10_000;
            for code in (base + 101..base + 10_000).filter(|c| c % 100 != 0) {
                let Some(district) = District::from_code(code) else { continue };
                id_codes.push(code);
                if let Some(city) = district.city() {
                    let mut prefix = String::from(province.name());
                    if !province.is_municipality() {
                        prefix.push_str(city.name());
                    }
                    prefix.push_str(district.name());
                    address_prefixes.push(prefix);
                }
            }
        }
        Regions { id_codes, address_prefixes }
    })
}

/// The date against which generated ID numbers are validated (their birth
/// dates are never after it), so that generation never reads the clock.
fn id_reference_date() -> Date {
    Date::new(2015, 12, 31).unwrap_or_else(Date::today)
}

/// A deterministic generator of valid synthetic personal data.
///
/// See the [module documentation](self) for what is generated and how
/// stable the sequence is.
pub struct Faker {
    rng: StdRng,
    /// Reused text buffer for building values.
    buf: String,
}

impl core::fmt::Debug for Faker {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Faker")
    }
}

/// One synthetic user: a value of each common kind.
#[derive(Debug, Clone)]
pub struct FakeRecord {
    /// Full name.
    pub name: PersonName,
    /// Resident identity number.
    pub id_number: IdNumber,
    /// Mobile number.
    pub mobile: MobilePhone,
    /// Bank card number.
    pub bank_card: BankCard,
    /// E-mail address.
    pub email: Email,
    /// Postal address.
    pub address: Address,
    /// Precise location.
    pub location: GeoPoint,
}

impl FakeRecord {
    /// The record as plaintext text fields in [`COLUMNS`] order, with
    /// `user_id` first and the location as `lat,lon`. Exposes the plaintext
    /// (it is synthetic, but the same code paths handle real data).
    pub fn expose_fields(&self, user_id: u64) -> [String; 8] {
        let (lat, lon) = self.location.expose();
        [
            user_id.to_string(),
            self.name.expose().to_owned(),
            self.id_number.expose().to_owned(),
            self.mobile.expose().to_owned(),
            self.bank_card.expose().to_owned(),
            self.email.expose().to_owned(),
            self.address.expose().to_owned(),
            format!("{lat},{lon}"),
        ]
    }
}

/// Appends `n` random ASCII digits.
fn push_digits(rng: &mut StdRng, out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

/// Appends `value` as `width` zero-padded decimal digits.
fn push_padded(out: &mut String, mut value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out.push_str(core::str::from_utf8(&digits[..width]).unwrap_or_default());
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// Generation failures are bugs in this module (every value is built to be
/// valid); the message names the kind only.
fn built<T>(value: crate::Result<T>, what: &str) -> T {
    match value {
        Ok(v) => v,
        Err(e) => panic!("fake: generated an invalid {what}: {e}"),
    }
}

impl Faker {
    /// A generator seeded with `seed` (`StdRng::seed_from_u64`).
    pub fn new(seed: u64) -> Faker {
        Faker { rng: StdRng::seed_from_u64(seed), buf: String::with_capacity(128) }
    }

    /// A complete synthetic user.
    pub fn record(&mut self) -> FakeRecord {
        FakeRecord {
            name: self.person_name(),
            id_number: self.id_number(),
            mobile: self.mobile_phone(),
            bank_card: self.bank_card(),
            email: self.email(),
            address: self.address(),
            location: self.geo_point(),
        }
    }

    /// An ID number: a real county-level region code, a birth date from
    /// 1940-01-01 to 2015-12-31, a random sequence number and the right
    /// check character.
    pub fn id_number(&mut self) -> IdNumber {
        let codes = &regions().id_codes;
        let region = pick(&mut self.rng, codes);
        let birth = Date::from_days_since_epoch(self.rng.random_range(BIRTH_FIRST..=BIRTH_LAST));
        let sequence = self.rng.random_range(0..1000u32);
        let b = &mut self.buf;
        b.clear();
        push_padded(b, region, 6);
        push_padded(b, u32::from(birth.year()), 4);
        push_padded(b, u32::from(birth.month()), 2);
        push_padded(b, u32::from(birth.day()), 2);
        push_padded(b, sequence, 3);
        b.push(char::from(crate::kind::id_check_char(b.as_bytes())));
        built(IdNumber::parse_on(b, id_reference_date()), "ID number")
    }

    /// A mobile number in a real segment (13x, 15x, 16x, 17x, 18x, 19x).
    pub fn mobile_phone(&mut self) -> MobilePhone {
        let segment = pick(&mut self.rng, &MOBILE_SEGMENTS);
        let b = &mut self.buf;
        b.clear();
        push_padded(b, u32::from(segment), 3);
        push_digits(&mut self.rng, b, 8);
        built(b.parse(), "mobile number")
    }

    /// A 16- or 19-digit card number with a large bank's issuer prefix and a
    /// valid Luhn check digit.
    pub fn bank_card(&mut self) -> BankCard {
        let (bin, len) = pick(&mut self.rng, &BINS);
        let b = &mut self.buf;
        b.clear();
        b.push_str(core::str::from_utf8(bin).unwrap_or("622202"));
        push_digits(&mut self.rng, b, len - 7);
        let check = crate::kind::luhn_digit(b.as_bytes());
        b.push(char::from(check));
        built(b.parse(), "bank card")
    }

    /// A Chinese name: a common surname (a few have two characters, such as
    /// 欧阳) and one or two given-name characters.
    pub fn person_name(&mut self) -> PersonName {
        let surname = pick(&mut self.rng, &SURNAMES);
        let given = if self.rng.random_bool(0.6) { 2 } else { 1 };
        let b = &mut self.buf;
        b.clear();
        b.push_str(surname);
        for _ in 0..given {
            b.push_str(pick(&mut self.rng, &GIVEN));
        }
        built(b.parse(), "name")
    }

    /// An e-mail address: a pinyin-like local part (sometimes with digits or
    /// a separator) at a common provider.
    pub fn email(&mut self) -> Email {
        let rng = &mut self.rng;
        let b = &mut self.buf;
        b.clear();
        b.push_str(pick(rng, &PINYIN));
        match rng.random_range(0..4u8) {
            0 => b.push('.'),
            1 => b.push('_'),
            _ => {}
        }
        b.push_str(pick(rng, &PINYIN));
        if rng.random_bool(0.3) {
            b.push_str(pick(rng, &PINYIN));
        }
        if rng.random_bool(0.7) {
            let n = rng.random_range(1..=4);
            push_digits(rng, b, n);
        }
        b.push('@');
        b.push_str(pick(rng, &MAIL_DOMAINS));
        built(b.parse(), "e-mail address")
    }

    /// A postal address: province, city and district from the division
    /// table, then a street, a number and sometimes a building and room.
    pub fn address(&mut self) -> Address {
        let prefixes = &regions().address_prefixes;
        let rng = &mut self.rng;
        let b = &mut self.buf;
        b.clear();
        b.push_str(&prefixes[rng.random_range(0..prefixes.len())]);
        b.push_str(pick(rng, &STREETS));
        push_number(b, rng.random_range(1..=999));
        b.push('号');
        if rng.random_bool(0.5) {
            push_number(b, rng.random_range(1..=30));
            b.push('栋');
            push_number(b, rng.random_range(1..=6));
            b.push_str("单元");
            push_number(b, rng.random_range(1..=33) * 100 + rng.random_range(1..=8));
            b.push('室');
        }
        built(b.parse(), "address")
    }

    /// A point inside mainland China's bounding box, with 4 to 6 decimals.
    pub fn geo_point(&mut self) -> GeoPoint {
        let scale = [1e4, 1e5, 1e6][self.rng.random_range(0..3usize)];
        let mut coordinate = |(lo, hi): (f64, f64)| {
            // Integers below 2^53 are exact, and one correctly rounded
            // division gives the same f64 as parsing the decimal text.
            let n = self.rng.random_range((lo * scale) as i64..=(hi * scale) as i64);
            n as f64 / scale
        };
        let lat = coordinate(LAT_RANGE);
        let lon = coordinate(LON_RANGE);
        built(GeoPoint::new(lat, lon), "location")
    }
}

/// Appends a decimal number without padding.
fn push_number(out: &mut String, value: u32) {
    out.push_str(crate::digits::Decimal::new(value).as_str());
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::Sensitive;
    use crate::generalize::division::lookup;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Faker::new(7);
        let mut b = Faker::new(7);
        for i in 0..500 {
            assert_eq!(a.record().expose_fields(i), b.record().expose_fields(i));
        }
        let mut c = Faker::new(8);
        let first = Faker::new(7).record().expose_fields(1);
        assert_ne!(c.record().expose_fields(1), first);
    }

    #[test]
    fn every_value_is_valid_and_plausible() {
        let today = Date::today();
        let mut f = Faker::new(1);
        for _ in 0..5_000 {
            let r = f.record();
            let row = r.expose_fields(1);
            let id: IdNumber = row[2].parse().unwrap();
            assert_eq!(id, r.id_number);
            let birth = id.birth_date();
            assert!(birth >= Date::new(1940, 1, 1).unwrap() && birth <= Date::new(2015, 12, 31).unwrap());
            assert!(birth <= today);
            let division = lookup(id.region_code()).unwrap();
            assert!(division.district().is_some());

            let phone: MobilePhone = row[3].parse().unwrap();
            assert!(MOBILE_SEGMENTS.contains(&row[3][..3].parse::<u16>().unwrap()));
            assert_eq!(phone, r.mobile);

            let card: BankCard = row[4].parse().unwrap();
            assert!(matches!(card.expose().len(), 16 | 19));
            assert!(
                BINS.iter()
                    .any(|(bin, len)| card.expose().as_bytes().starts_with(*bin)
                        && card.expose().len() == *len)
            );

            let name: PersonName = row[1].parse().unwrap();
            assert!((2..=4).contains(&name.expose().chars().count()));
            let email: Email = row[5].parse().unwrap();
            assert!(MAIL_DOMAINS.contains(&email.domain()));

            let address: Address = row[6].parse().unwrap();
            assert!(address.province().is_some());
            assert!(address.generalize().unwrap().city().is_some());

            let point: GeoPoint = row[7].parse().unwrap();
            let (lat, lon) = point.expose();
            assert!((LAT_RANGE.0..=LAT_RANGE.1).contains(&lat));
            assert!((LON_RANGE.0..=LON_RANGE.1).contains(&lon));
            let decimals = row[7].split(',').map(|c| c.split_once('.').map_or(0, |(_, d)| d.len()));
            assert!(decimals.into_iter().all(|d| d <= 6));
            assert!(!format!("{:?} {}", r.id_number, r.id_number).contains(id.expose()));
            assert_eq!(r.mobile.mask(crate::MaskLevel::Strict).len(), 11);
        }
    }

    #[test]
    fn values_vary() {
        let mut f = Faker::new(3);
        let n = 10_000;
        let mut ids = HashSet::new();
        let mut phones = HashSet::new();
        let mut cards = HashSet::new();
        let mut names = HashSet::new();
        let mut provinces = HashSet::new();
        let mut two_char_surnames = 0;
        for _ in 0..n {
            let r = f.record();
            ids.insert(r.id_number.expose().to_owned());
            phones.insert(r.mobile.expose().to_owned());
            cards.insert(r.bank_card.expose().to_owned());
            names.insert(r.name.expose().to_owned());
            provinces.insert(r.id_number.province().code());
            if ["欧阳", "司马", "诸葛", "上官"].iter().any(|s| r.name.expose().starts_with(s)) {
                two_char_surnames += 1;
            }
        }
        assert!(ids.len() > n * 9 / 10);
        assert!(phones.len() > n * 9 / 10);
        assert!(cards.len() > n * 9 / 10);
        assert!(names.len() > n / 4);
        assert!(provinces.len() >= 30);
        assert!(two_char_surnames > 0);
    }

    #[test]
    fn region_table_is_complete() {
        let r = regions();
        assert!(r.id_codes.len() > 2_500);
        assert!(r.address_prefixes.len() > 2_500);
        assert!(r.address_prefixes.iter().any(|p| p == "北京市朝阳区"));
        assert!(r.address_prefixes.iter().any(|p| p == "广东省深圳市南山区"));
    }

    #[test]
    fn helpers() {
        let mut s = String::new();
        push_padded(&mut s, 7, 3);
        push_number(&mut s, 0);
        push_number(&mut s, 1203);
        assert_eq!(s, "00701203");
        assert_eq!(crate::kind::luhn_digit(b"622202123456789"), b'4');
        assert_eq!(Date::from_days_since_epoch(BIRTH_FIRST), Date::new(1940, 1, 1).unwrap());
        assert_eq!(Date::from_days_since_epoch(BIRTH_LAST), Date::new(2015, 12, 31).unwrap());
    }
}
