//! The placeholder mapping of a redaction: [`Restorer`].

use std::collections::HashMap;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::EnvelopeError;
use crate::kind::AnyValue;
use crate::{Context, Error, Keyring, Kind, Result, columns};

/// The placeholder label of a kind (`手机号` in `<手机号_1>`).
pub(super) fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::IdNumber => "身份证号",
        Kind::MobilePhone => "手机号",
        Kind::Landline => "电话",
        Kind::BankCard => "银行卡号",
        Kind::GeoPoint => "位置",
        Kind::Email => "邮箱",
        Kind::PersonName => "姓名",
        Kind::Address => "地址",
        Kind::IpAddress => "IP地址",
        Kind::MacAddress => "MAC地址",
        Kind::Imei => "IMEI",
        Kind::Passport => "护照号",
        Kind::LicensePlate => "车牌号",
        Kind::CreditCode => "信用代码",
        _ => "敏感信息",
    }
}

fn slot(kind: Kind) -> usize {
    Kind::ALL.iter().position(|&k| k == kind).unwrap_or(0)
}

/// One original value, wiped on drop.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
struct Original(String);

/// The mapping from the placeholders of a redaction (`<手机号_1>`) back to
/// the original text they replaced: what puts the personal data back into
/// a text that came back (a language model's answer). The originals are
/// wiped on drop; `Debug` shows only how many there are.
///
/// The same original text gets the same placeholder throughout one
/// redaction (and one stream). A restorer can be sealed to a string under
/// a keyring ([`Restorer::seal`]) and opened again, audited
/// ([`Restorer::open`]).
///
/// ```
/// use desensitize::detect::{Detector, Rules};
///
/// let prompt = "客户王芳（手机 13800138000）说她的备用号 13900139000 和 13800138000 都停机了";
/// let out = Detector::new().redact(prompt, &Rules::placeholders())?;
/// assert_eq!(out.text, "客户<姓名_1>（手机 <手机号_1>）说她的备用号 <手机号_2> 和 <手机号_1> 都停机了");
/// let answer = "已为<姓名_1>恢复 <手机号_1>。";
/// assert_eq!(out.restorer.restore(answer).as_str(), "已为王芳恢复 13800138000。");
/// assert_eq!(out.restorer.restore(&out.text).as_str(), prompt);
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Default)]
pub struct Restorer {
    /// Per kind (in `Kind::ALL` order), the originals: `<label_N>` is `slots[k][N - 1]`.
    slots: Vec<Vec<(Kind, Original)>>,
    index: HashMap<(usize, Original), u32>,
}

impl core::fmt::Debug for Restorer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Restorer({} placeholders)", self.len())
    }
}

impl Restorer {
    /// The placeholder of `original` (a value of `kind`), numbered on first sight.
    pub(super) fn placeholder(&mut self, kind: Kind, original: &str) -> String {
        let k = slot(kind);
        if self.slots.len() <= k {
            self.slots.resize_with(Kind::ALL.len(), Vec::new);
        }
        let key = (k, Original(original.to_owned()));
        let n = match self.index.get(&key) {
            Some(&n) => n,
            None => {
                self.slots[k].push((kind, key.1.clone()));
                let n = u32::try_from(self.slots[k].len()).unwrap_or(u32::MAX);
                self.index.insert(key, n);
                n
            }
        };
        format!("<{}_{n}>", label(kind))
    }

    /// How many distinct originals the restorer holds.
    ///
    /// ```
    /// use desensitize::detect::{Detector, Rules};
    ///
    /// let out = Detector::new().redact("a@b.cn a@b.cn c@d.cn", &Rules::placeholders())?;
    /// assert_eq!(out.restorer.len(), 2);
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.slots.iter().map(Vec::len).sum()
    }

    /// Whether the restorer holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The original behind `<label_n>`, if this restorer issued it.
    fn lookup(&self, placeholder: &str) -> Option<&str> {
        let inner = placeholder.strip_prefix('<')?.strip_suffix('>')?;
        let (name, n) = inner.rsplit_once('_')?;
        let n: usize = n.parse().ok()?;
        let slots = self.slots.iter().find(|s| s.first().is_some_and(|(k, _)| label(*k) == name))?;
        slots.get(n.checked_sub(1)?).map(|(_, o)| o.0.as_str())
    }

    /// Each placeholder occurrence in `text` with what it stands for.
    fn each<'t>(&'t self, text: &'t str, mut out: impl FnMut(&'t str)) {
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            out(&rest[..open]);
            let tail = &rest[open..];
            let close = tail.find('>').filter(|&c| c <= 32);
            match close.and_then(|c| self.lookup(&tail[..=c]).map(|o| (c, o))) {
                Some((c, original)) => {
                    out(original);
                    rest = &tail[c + 1..];
                }
                None => {
                    out("<");
                    rest = &tail[1..];
                }
            }
        }
        out(rest);
    }

    /// `text` with every placeholder this restorer issued replaced by its
    /// original, in a buffer sized once and wiped on drop. Text that is not
    /// a placeholder, and placeholders of other redactions, stay as they are.
    ///
    /// ```
    /// use desensitize::detect::{Detector, Rules};
    ///
    /// let out = Detector::new().redact("邮箱 zhangsan@example.com", &Rules::placeholders())?;
    /// assert_eq!(out.text, "邮箱 <邮箱_1>");
    /// assert_eq!(out.restorer.restore("<邮箱_1> <邮箱_2>").as_str(), "zhangsan@example.com <邮箱_2>");
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn restore(&self, text: &str) -> Zeroizing<String> {
        let mut len = 0;
        self.each(text, |piece| len += piece.len());
        let mut out = Zeroizing::new(String::with_capacity(len));
        self.each(text, |piece| out.push_str(piece));
        out
    }

    /// The mapping sealed under `keyring` in `ctx`, one line per original:
    /// `kind<TAB>dz1.…`, each value sealed as its kind. [`Restorer::open`]
    /// reads it back; it restores each value in its kind's canonical form
    /// (`13800138000` for `138 0013 8000`).
    ///
    /// ```
    /// use desensitize::detect::{Detector, Restorer, Rules};
    /// use desensitize::{Context, Keyring};
    ///
    /// let keyring = Keyring::generate()?;
    /// let ctx = Context::new("prompts", "restorer");
    /// let out = Detector::new().redact("致电 13800138000", &Rules::placeholders())?;
    /// let sealed = out.restorer.seal(&keyring, &ctx)?;
    /// assert!(!sealed.contains("13800138000"));
    /// let back = Restorer::open(&keyring, &sealed, &ctx, "answer")?;
    /// assert_eq!(back.restore("<手机号_1>").as_str(), "13800138000");
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn seal(&self, keyring: &Keyring, ctx: &Context) -> Result<String> {
        let mut out = String::new();
        for (kind, original) in self.slots.iter().flatten() {
            let value = AnyValue::parse(*kind, &original.0)?;
            out.push_str(kind.as_str());
            out.push('\t');
            out.push_str(&columns::seal_text(keyring, &value, ctx)?);
            out.push('\n');
        }
        Ok(out)
    }

    /// Open a restorer sealed by [`Restorer::seal`]: one audited open per
    /// value, for `purpose`. A line that is not `kind<TAB>dz1.…` is
    /// [`Error::Malformed`].
    pub fn open(keyring: &Keyring, sealed: &str, ctx: &Context, purpose: &str) -> Result<Restorer> {
        let mut restorer = Restorer::default();
        for line in sealed.lines().filter(|l| !l.is_empty()) {
            let (kind, value) = line.split_once('\t').ok_or(Error::Malformed(EnvelopeError::NotSealed))?;
            let kind: Kind = kind.parse()?;
            let text = columns::open_text(keyring, kind, value, ctx, purpose)?;
            restorer.placeholder(kind, &text);
        }
        Ok(restorer)
    }
}
