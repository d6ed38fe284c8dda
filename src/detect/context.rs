//! Context words: the words that, shortly before a value, say what it is
//! (`身份证`, `手机`, `卡号`, ...), and how much they raise a span's confidence.

use crate::Kind;

/// How far back from a span's start context words are looked for, in bytes
/// (about ten CJK characters).
pub(super) const WINDOW: usize = 32;

/// What a context word adds to a span's confidence.
pub(super) const BOOST: f32 = 0.2;

/// The highest confidence a span is given.
pub(super) const MAX_CONFIDENCE: f32 = 0.99;

/// The built-in context words, per kind. ASCII words are matched without
/// regard to case.
pub(super) const DEFAULT_WORDS: &[(Kind, &[&str])] = &[
    (Kind::IdNumber, &["身份证", "证件号", "身份号", "id card", "id no"]),
    (Kind::MobilePhone, &["手机", "电话", "联系方式", "致电", "来电", "号码", "mobile", "phone", "tel"]),
    (Kind::Landline, &["电话", "座机", "固话", "分机", "传真", "tel", "phone", "fax"]),
    (Kind::BankCard, &["卡号", "银行卡", "信用卡", "借记卡", "账号", "帐号", "card", "account"]),
    (Kind::GeoPoint, &["坐标", "经纬度", "定位", "位置", "location", "lat", "gps"]),
    (Kind::Email, &["邮箱", "邮件", "email", "e-mail", "mail"]),
    (Kind::PersonName, NAME_WORDS),
    (Kind::Address, &["地址", "住址", "住在", "家住", "收货", "寄到", "送到", "address"]),
    (Kind::IpAddress, &["ip", "地址", "host", "client", "from"]),
    (Kind::MacAddress, &["mac", "网卡", "物理地址"]),
    (Kind::Imei, &["imei", "串号", "设备号", "device"]),
    (Kind::Passport, &["护照", "passport", "证件号"]),
    (Kind::LicensePlate, &["车牌", "牌照", "车辆", "plate"]),
    (Kind::CreditCode, &["信用代码", "社会信用", "税号", "纳税人识别号", "uscc"]),
];

/// Words after which a personal name follows (`姓名：张三`).
pub(super) const NAME_WORDS: &[&str] = &[
    "姓名",
    "名字",
    "联系人",
    "收件人",
    "收货人",
    "寄件人",
    "客户",
    "用户",
    "患者",
    "病人",
    "申请人",
    "持卡人",
    "乘客",
    "经办人",
    "负责人",
    "法人",
    "员工",
    "学生",
    "家长",
    "投诉人",
    "报案人",
    "租客",
    "房东",
    "name",
];

/// Whether `window` (the text just before a span) contains `word`, ASCII
/// letters compared without regard to case. No allocation.
pub(super) fn contains_word(window: &str, word: &str) -> bool {
    if word.is_empty() || window.len() < word.len() {
        return false;
    }
    if !word.is_ascii() {
        return window.contains(word);
    }
    let (w, p) = (window.as_bytes(), word.as_bytes());
    let first = p[0].to_ascii_lowercase();
    w.windows(p.len()).any(|c| c[0].to_ascii_lowercase() == first && c.eq_ignore_ascii_case(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ascii_without_case_and_cjk_exactly() {
        assert!(contains_word("设备IMEI：", "imei"));
        assert!(contains_word("请核对身份证号", "身份证"));
        assert!(!contains_word("身份", "身份证"));
        assert!(!contains_word("anything", ""));
    }

    #[test]
    fn every_detectable_kind_has_words() {
        for kind in super::super::DETECTABLE {
            assert!(DEFAULT_WORDS.iter().any(|(k, w)| *k == kind && !w.is_empty()), "{kind}");
        }
    }
}
