//! Known answers and properties of the detector.

use super::*;

fn found(text: &str) -> Vec<(Kind, &str)> {
    Detector::new().detect(text).into_iter().map(|s| (s.kind, &text[s.start..s.end])).collect()
}

fn one(text: &str, kind: Kind, value: &str) {
    assert_eq!(found(text), [(kind, value)], "in {text:?}");
}

#[test]
fn phones_in_the_forms_people_write() {
    one("user 13800138000 failed login", Kind::MobilePhone, "13800138000");
    one("手机：138 0013 8000。", Kind::MobilePhone, "138 0013 8000");
    one("call +86 138-0013-8000 now", Kind::MobilePhone, "+86 138-0013-8000");
    one("电话0086 13800138000", Kind::MobilePhone, "0086 13800138000");
    one("电话：１３８００１３８０００", Kind::MobilePhone, "１３８００１３８０００");
    one("座机 010-62345678 转 801", Kind::Landline, "010-62345678");
    one("tel (010) 6234 5678", Kind::Landline, "(010) 6234 5678");
    one("联系 0755-8765432", Kind::Landline, "0755-8765432");
}

#[test]
fn id_numbers_cards_and_codes_validate() {
    one("身份证11010519491231002X，", Kind::IdNumber, "11010519491231002X");
    one("身份证 110105491231002 旧证", Kind::IdNumber, "110105491231002");
    // No check digit, no IMEI range, no issuer prefix: only after a context word.
    assert_eq!(found("流水号 110105491231002"), []);
    assert_eq!(found("流水号 490154203237518"), []);
    assert_eq!(found("编号 622202123456789013"), []);
    one("id 110105 19491231 002x", Kind::IdNumber, "110105 19491231 002x");
    one("卡号 6222 0212 3456 7894", Kind::BankCard, "6222 0212 3456 7894");
    one("card:6222021234567894;", Kind::BankCard, "6222021234567894");
    one("信用代码 91350100M000100Y43", Kind::CreditCode, "91350100M000100Y43");
    one("IMEI: 49-015420-323751-8", Kind::Imei, "49-015420-323751-8");
    one("IMEI 490154203237518", Kind::Imei, "490154203237518");
    // Wrong check characters are nothing.
    assert!(found("身份证11010519491231002Y 卡号 6222021234567895 代码 91350100M000100Y44").is_empty());
}

#[test]
fn never_inside_a_longer_run() {
    for text in [
        "订单号 913800138000123",
        "单号SF13800138000",
        "ref 13800138000X",
        "id_13800138000",
        "amount 13800138000.50",
        "t=12:13800138000",
        "x13800138000",
        "13800138000abc",
    ] {
        assert_eq!(found(text), [], "{text}");
    }
    // The rest of a hyphenated word is not a value; a date is not a phone's extension.
    one("车牌 沪U-07975 2023-11-18 03:10:33", Kind::LicensePlate, "沪U-07975");
    assert_eq!(found("ID-13800138000"), []);
    // A context word speaks for the next value, not across one.
    assert_eq!(found("卡号 6222 0212 3456 7894 编号 622202123456789013").len(), 1);
    // Separated by a space, a phone after a date is its own value.
    one("2024-01-15 13800138000", Kind::MobilePhone, "13800138000");
}

#[test]
fn shapes() {
    one("mail zhang.san+x@example.com.", Kind::Email, "zhang.san+x@example.com");
    one("from 192.168.1.10:8080", Kind::IpAddress, "192.168.1.10");
    one("client=2001:db8::1 ok", Kind::IpAddress, "2001:db8::1");
    one("MAC 00-1A-2B-3C-4D-5E", Kind::MacAddress, "00-1A-2B-3C-4D-5E");
    one("mac ac:de:48:00:11:22", Kind::MacAddress, "ac:de:48:00:11:22");
    one("坐标 39.9042, 116.4074", Kind::GeoPoint, "39.9042, 116.4074");
    one("车牌京A12345违章", Kind::LicensePlate, "京A12345");
    one("车牌 粤B·D12345", Kind::LicensePlate, "粤B·D12345");
    one("护照 E12345678", Kind::Passport, "E12345678");
    assert_eq!(found("版本 1.2.3 于 12:30:45 耗时 12.50, 30.00 元"), []);
}

#[test]
fn names_and_addresses() {
    one("姓名：张伟", Kind::PersonName, "张伟");
    one("联系人 欧阳娜娜，", Kind::PersonName, "欧阳娜娜");
    one("请李娜女士到前台", Kind::PersonName, "李娜");
    one("客户王芳反映", Kind::PersonName, "王芳");
    one("收货地址：广东省深圳市南山区科技园路1号，电话", Kind::Address, "广东省深圳市南山区科技园路1号");
    one("住在北京市朝阳区建国路88号3单元 谢谢", Kind::Address, "北京市朝阳区建国路88号3单元");
    assert_eq!(found("北京市朝阳区"), [], "a district alone is no address");
    assert_eq!(found("张伟说"), [], "no name without context");
}

#[test]
fn context_raises_confidence() {
    let d = Detector::new();
    let plain = d.detect("x 13800138000")[0].confidence;
    let with = d.detect("手机 13800138000")[0].confidence;
    assert!(with > plain && with <= 0.99, "{plain} {with}");
}

#[test]
fn builder_settings_and_errors() {
    let only = Detector::builder().kinds([Kind::Email]).build().unwrap();
    assert_eq!(only.detect("13800138000 a@b.cn").len(), 1);
    assert!(!only.detects(Kind::MobilePhone));
    assert_eq!(Detector::builder().min_confidence(1.5).build().unwrap_err(), DetectError::Confidence);
    assert_eq!(Detector::builder().min_confidence(f32::NAN).build().unwrap_err(), DetectError::Confidence);
    assert_eq!(Detector::builder().kinds([]).build().unwrap_err(), DetectError::NoKinds);
    assert_eq!(
        Detector::builder().context_word(Kind::Email, "").build().unwrap_err(),
        DetectError::ContextWord
    );
    assert_eq!(
        Detector::builder().context_word(Kind::Biometric, "x").build().unwrap_err(),
        DetectError::NotDetectable(Kind::Biometric)
    );
    let strict = Detector::builder().min_confidence(0.9).build().unwrap();
    assert!(strict.detect("x 13800138000").is_empty());
    assert_eq!(strict.detect("手机 13800138000").len(), 1);
    let loose = Detector::builder().min_confidence(0.0).build().unwrap();
    assert_eq!(loose.detect("编号 E12345678")[0].kind, Kind::Passport);
}

#[test]
fn spans_resolve_to_the_longer() {
    one("13800138000@qq.com", Kind::Email, "13800138000@qq.com");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

    /// Spans lie on char boundaries, in order, disjoint, and every one parses as its kind.
    #[test]
    fn spans_are_sound(text in "([0-9 +()\\-.:@a-fA-FxX]|[０-９]|13800138000|11010519491231002X|6222021234567894|京|A|姓名：|张|路|号|广东省深圳市|,|\\PC){0,40}") {
        let d = Detector::builder().min_confidence(0.0).build().unwrap();
        let spans = d.detect(&text);
        let mut last = 0;
        for s in &spans {
            proptest::prop_assert!(s.start >= last && s.start < s.end && s.end <= text.len());
            proptest::prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            proptest::prop_assert!(crate::kind::AnyValue::parse(s.kind, &text[s.start..s.end]).is_ok());
            proptest::prop_assert!((0.0..=1.0).contains(&s.confidence));
            last = s.end;
        }
    }
}

mod redaction {
    use super::super::*;
    use crate::pseudo::Domain;
    use crate::{Context, Keyring, MaskLevel};

    #[test]
    fn llm_round_trip_is_exact() {
        let prompt =
            "联系人：张伟，手机 138 0013 8000，邮箱 zw@example.com；再打 13800138000 或 138 0013 8000。";
        let out = Detector::new().redact(prompt, &Rules::placeholders()).unwrap();
        assert_eq!(
            out.text,
            "联系人：<姓名_1>，手机 <手机号_1>，邮箱 <邮箱_1>；再打 <手机号_2> 或 <手机号_1>。"
        );
        assert_eq!(out.replaced, 5);
        assert_eq!(out.restorer.len(), 4);
        assert_eq!(out.restorer.restore(&out.text).as_str(), prompt);
        assert_eq!(format!("{:?}", out.restorer), "Restorer(4 placeholders)");
        // Unknown or foreign placeholders stay.
        assert_eq!(
            out.restorer.restore("<手机号_9> <x_1> <手机号_0> <").as_str(),
            "<手机号_9> <x_1> <手机号_0> <"
        );
    }

    #[test]
    fn tokens_seals_and_keeps_go_through_columns() {
        let keyring = Keyring::generate().unwrap();
        let tokens = keyring.pseudonymizer(&Domain::new("logs").unwrap()).unwrap();
        let ctx = Context::new("logs", "text");
        let rules = Rules::placeholders()
            .set(Kind::MobilePhone, Action::Token(&tokens))
            .set(Kind::IdNumber, Action::Seal(&keyring, &ctx))
            .set(Kind::Email, Action::Keep);
        let text = "138 0013 8000 / 11010519491231002X / a@b.cn";
        let out = Detector::new().redact(text, &rules).unwrap();
        let phone: crate::MobilePhone = "13800138000".parse().unwrap();
        let parts: Vec<&str> = out.text.split(" / ").collect();
        assert_eq!(parts[0], tokens.token(&phone).to_string());
        let opened = crate::columns::open_text(&keyring, Kind::IdNumber, parts[1], &ctx, "test").unwrap();
        assert_eq!(opened.as_str(), "11010519491231002X");
        assert_eq!(parts[2], "a@b.cn");
        assert_eq!(out.replaced, 2);
        assert!(out.restorer.is_empty());
    }

    #[test]
    fn masks_are_the_kinds_masks() {
        let out =
            redact("卡号 6222 0212 3456 7894，车牌京A12345", &Rules::masks(MaskLevel::Standard)).unwrap();
        assert_eq!(out.text, "卡号 622202******7894，车牌京A****5");
    }

    #[test]
    fn sealed_restorer_round_trip_and_errors() {
        let keyring = Keyring::generate().unwrap();
        let ctx = Context::new("prompts", "restorer");
        let out = Detector::new().redact("姓名：王芳 手机 138-0013-8000", &Rules::placeholders()).unwrap();
        let sealed = out.restorer.seal(&keyring, &ctx).unwrap();
        assert!(!sealed.contains("13800138000") && !sealed.contains("王芳"));
        let back = Restorer::open(&keyring, &sealed, &ctx, "t").unwrap();
        assert_eq!(back.restore(&out.text).as_str(), "姓名：王芳 手机 13800138000");
        let other = Context::new("prompts", "other");
        assert!(Restorer::open(&keyring, &sealed, &other, "t").is_err());
        assert!(matches!(Restorer::open(&keyring, "no tab", &ctx, "t"), Err(crate::Error::Malformed(_))));
        assert!(matches!(
            Restorer::open(&keyring, "bogus\tdz1.x", &ctx, "t"),
            Err(crate::Error::UnknownKind)
        ));
    }

    #[test]
    fn lines_are_bounded_and_utf8() {
        let (d, rules) = (Detector::new(), Rules::placeholders());
        let mut r = Redactor::new(&d, &rules);
        let mut out = Vec::new();
        let input = "a 13800138000\nb 13800138000";
        assert_eq!(r.redact_lines(input.as_bytes(), &mut out, 64).unwrap(), 2);
        assert_eq!(
            out,
            b"a <\xe6\x89\x8b\xe6\x9c\xba\xe5\x8f\xb7_1>\nb <\xe6\x89\x8b\xe6\x9c\xba\xe5\x8f\xb7_1>"
        );
        let long = "x".repeat(100);
        let err = r.redact_lines(long.as_bytes(), &mut Vec::new(), 64).unwrap_err();
        assert_eq!(err, crate::Error::Io(std::io::ErrorKind::InvalidData));
        let err = r.redact_lines(&b"\xff\xfe\n"[..], &mut Vec::new(), 64).unwrap_err();
        assert_eq!(err, crate::Error::Io(std::io::ErrorKind::InvalidData));
        assert_eq!(r.replaced(), 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]

        /// Placeholders restore any text exactly (text without `<`).
        #[test]
        fn restore_inverts_redact(text in "([0-9 \\-@.a-z]|13800138000|11010519491231002X|姓名：张伟|广东省深圳市南山区科技园路1号|[^<])*") {
            let out = Detector::new().redact(&text, &Rules::placeholders()).unwrap();
            let back = out.restorer.restore(&out.text);
            proptest::prop_assert_eq!(back.as_str(), text.as_str());
        }
    }
}

#[test]
fn debug_shows_no_value() {
    let out = Detector::new()
        .redact("keep 13800138000", &Rules::placeholders().set(Kind::MobilePhone, Action::Keep))
        .unwrap();
    let debug = format!("{out:?}");
    assert_eq!(debug, "Redaction { bytes: 16, replaced: 0, Restorer(0 placeholders) }");
    let spans = Detector::new().detect("13800138000");
    assert!(!format!("{spans:?}").contains("138"), "{spans:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, failure_persistence: None, ..Default::default() })]

    /// What the fuzz target checks, on arbitrary bytes read as (lossy) UTF-8.
    #[test]
    fn any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let d = Detector::builder().min_confidence(0.0).build().unwrap();
        let mut last = 0;
        for s in d.detect(&text) {
            proptest::prop_assert!(s.start >= last && text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            proptest::prop_assert!(crate::kind::AnyValue::parse(s.kind, &text[s.start..s.end]).is_ok());
            last = s.end;
        }
        let out = d.redact(&text, &Rules::placeholders()).unwrap();
        if !text.contains('<') {
            let back = out.restorer.restore(&out.text);
            proptest::prop_assert_eq!(back.as_str(), &*text);
        }
    }
}
