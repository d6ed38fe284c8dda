//! `desensitize::detect` from outside the crate: a real `tracing-subscriber`
//! formatter writing through `RedactWriter`, and the LLM round trip on a
//! longer ticket.

#[path = "common/captured.rs"]
mod captured;

use captured::Captured;
use std::io::Write;
use std::sync::Arc;

use desensitize::Kind;
use desensitize::MaskLevel;
use desensitize::detect::{Detector, RedactWriter, Rules};

#[test]
fn tracing_events_are_redacted_before_they_are_written() {
    let captured = Captured::default();
    let sink = captured.clone();
    let detector = Arc::new(Detector::new());
    let rules = Rules::masks(MaskLevel::Strict);
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .without_time()
        .with_writer(move || RedactWriter::new(detector.clone(), rules.clone(), sink.clone()))
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let phone = "13800138000";
        tracing::info!(user = phone, "login failed for {phone} from 10.2.3.4");
        tracing::warn!(card = "6222 0212 3456 7894", id = "11010519491231002X", "payment refused");
    });
    let out = captured.text();
    for secret in ["13800138000", "0212 3456", "1101051949", "10.2.3.4"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    assert!(out.contains("login failed for *******8000 from 10.*.*.*"), "{out}");
    assert!(out.contains("user=\"*******8000\""), "{out}");
    assert!(out.contains("card=\"************7894\""), "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn long_ticket_round_trip() {
    let ticket = "【工单 20240501-0032】客户王芳来电（手机 +86 138-0013-8000，座机 010-62345678），\
                  称其银行卡 6222 0212 3456 7894 被重复扣款；身份证 11010519491231002X；\
                  收货地址：广东省深圳市南山区科技园路1号3栋201室；邮箱 wangfang@example.com；\
                  车牌 粤B·D12345；订单号 913800138000123 不是手机号。";
    let detector = Detector::new();
    let out = detector.redact(ticket, &Rules::placeholders()).unwrap();
    assert_eq!(
        out.text,
        "【工单 20240501-0032】客户<姓名_1>来电（手机 <手机号_1>，座机 <电话_1>），\
         称其银行卡 <银行卡号_1> 被重复扣款；身份证 <身份证号_1>；\
         收货地址：<地址_1>；邮箱 <邮箱_1>；\
         车牌 <车牌号_1>；订单号 913800138000123 不是手机号。"
    );
    assert_eq!(out.restorer.restore(&out.text).as_str(), ticket);
}

#[test]
fn redact_writer_numbers_placeholders_once_per_stream() {
    let mut out = Vec::new();
    let restored;
    {
        let mut w = RedactWriter::new(Arc::new(Detector::new()), Rules::placeholders(), &mut out);
        writeln!(w, "login 13800138000 from li@example.com").unwrap();
        // A value split over two writes, on a later line, keeps its first number.
        write!(w, "retry 13900139000 then 1380013").unwrap();
        writeln!(w, "8000").unwrap();
        write!(w, "mail li@example.com, no newline").unwrap();
        w.flush().unwrap();
        assert_eq!(w.restorer().len(), 3);
        restored = w.restorer().restore("<手机号_2> <手机号_1> <邮箱_1>").as_str().to_owned();
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "login <手机号_1> from <邮箱_1>\n\
         retry <手机号_2> then <手机号_1>\n\
         mail <邮箱_1>, no newline"
    );
    assert_eq!(restored, "13900139000 13800138000 li@example.com");
    // Masks are unaffected by the stream state.
    let mut masked = Vec::new();
    {
        let rules = Rules::masks(MaskLevel::Standard).set(Kind::Email, desensitize::detect::Action::Keep);
        let mut w = RedactWriter::new(Arc::new(Detector::new()), rules, &mut masked);
        writeln!(w, "a 13800138000 li@example.com").unwrap();
        writeln!(w, "b 13800138000").unwrap();
        assert!(w.restorer().is_empty());
    }
    assert_eq!(String::from_utf8(masked).unwrap(), "a 138****8000 li@example.com\nb 138****8000\n");
}
