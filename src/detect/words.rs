//! Names and addresses: no check digit, so found from what surrounds them.
//!
//! A name is a common surname and one or two more characters, right after a
//! name context word (`姓名：张伟`, `联系人 王芳`) or right before a title
//! (`李娜女士`). An address starts with a GB/T 2260 province or city name
//! (the crate's division table) and runs to its last street marker
//! (`路`, `号`, `室`, ...) before punctuation or white space.

use std::sync::OnceLock;

use super::Found;
use super::context::NAME_WORDS;
use super::text::{char_at, char_before, floor_boundary, is_han};
use crate::Kind;
use crate::fake::SURNAMES;
use crate::generalize::division::{self, City};
use crate::region::Province;

/// Titles that follow a name.
const TITLES: [&str; 9] = ["先生", "女士", "小姐", "老师", "同学", "经理", "医生", "师傅", "律师"];

/// Characters that end a name: function words and verbs that commonly
/// follow one in a sentence.
const NAME_STOPS: &str = "的是在和与及于已要想说称来去了把被给向对从将就也都还又先女男电手打致咨投反表申办需未等今明昨你我他她您请已";

/// Separators allowed between a context word and the name.
const NAME_GAP: [char; 7] = ['：', ':', ' ', '\u{3000}', '\n', '为', '是'];

/// Markers a street address ends with, longest first.
const STREET_MARKERS: [&str; 22] = [
    "单元", "小区", "大厦", "广场", "号", "室", "楼", "栋", "幢", "层", "弄", "路", "街", "道", "巷", "村",
    "组", "院", "苑", "园", "里", "镇",
];

/// The longest address looked for, in characters after the division names.
const MAX_STREET: usize = 40;

/// Surnames beyond the 64 most common ones that `fake` draws from: with
/// them, about 95% of the population's surnames (the 2020 census ranking).
const MORE_SURNAMES: &str = "赖傅萧洪浦贾夏付方石廖邹熊白孟秦邱侯江尹薛闫段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";

/// The surname at `at`, with its byte length (a two-character one when both match).
fn surname_at(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    let c = rest.chars().next()?;
    if !surname_start(c) {
        return None;
    }
    // Two-character surnames first (`欧阳` before `欧`).
    let two =
        SURNAMES.iter().filter(|s| s.chars().count() == 2 && rest.starts_with(**s)).map(|s| s.len()).max();
    let single = || {
        let mut buf = [0u8; 4];
        let c_str: &str = c.encode_utf8(&mut buf);
        (SURNAMES.contains(&c_str) || MORE_SURNAMES.contains(c)).then_some(c.len_utf8())
    };
    two.or_else(single)
}

/// Whether a name context word ends at `at`, possibly followed by a separator.
fn after_name_word(text: &str, mut at: usize) -> bool {
    for _ in 0..2 {
        match char_before(text, at) {
            Some(c) if NAME_GAP.contains(&c) => at -= c.len_utf8(),
            _ => break,
        }
    }
    let window = &text.as_bytes()[floor_boundary(text, at.saturating_sub(12))..at];
    NAME_WORDS.iter().any(|w| {
        let w = w.as_bytes();
        window.len() >= w.len() && window[window.len() - w.len()..].eq_ignore_ascii_case(w)
    })
}

/// A personal name starting at `at` (whose character is `c`).
pub(super) fn name(f: &mut Found<'_, '_>, at: usize, c: char) {
    if !f.wants(Kind::PersonName) || !surname_start(c) || !name_cue_near(f.text, at) {
        return;
    }
    let Some(surname) = surname_at(f.text, at) else { return };
    let text = f.text;
    // The given name: one or two characters that are not function words.
    let mut ends = [0usize; 2];
    let mut n = 0;
    let mut p = at + surname;
    while n < 2 {
        match char_at(text, p) {
            Some(ch) if is_han(ch) && !NAME_STOPS.contains(ch) && !title_at(text, p) => {
                p += ch.len_utf8();
                ends[n] = p;
                n += 1;
            }
            _ => break,
        }
    }
    if n == 0 {
        return;
    }
    let titled = |end: usize| title_at(text, end);
    if after_name_word(text, at) {
        let end = ends[n - 1];
        f.try_kinds(at, end, &[(Kind::PersonName, 0.75)]);
    } else if let Some(&end) = ends[..n].iter().rev().find(|&&e| titled(e)) {
        f.try_kinds(at, end, &[(Kind::PersonName, 0.7)]);
    }
}

/// Last characters of the name context words, and the separators after them.
const CUE_BEFORE: &str = "名字人户者客工生长东法：: \u{3000}\n为是e";
/// First characters of the titles.
const CUE_AFTER: &str = "先女小老同经医师律";

/// First characters of the street markers.
const MARKER_STARTS: &str = "单小大广号室楼栋幢层弄路街道巷村组院苑园里镇";

/// Whether a title starts at byte `at`.
fn title_at(text: &str, at: usize) -> bool {
    char_at(text, at).is_some_and(|c| CUE_AFTER.contains(c))
        && TITLES.iter().any(|t| text[at..].starts_with(t))
}

/// A quick test before the name scan: a context word may end right before
/// `at`, or a title may start within the next four characters.
fn name_cue_near(text: &str, at: usize) -> bool {
    if char_before(text, at).is_some_and(|c| CUE_BEFORE.contains(c)) {
        return true;
    }
    text[at..].chars().skip(1).take(4).any(|c| CUE_AFTER.contains(c))
}

/// Whether `value` alone looks like a Chinese name: a common surname and
/// one or two more Han characters (for a column of names, where no context
/// word precedes each value).
#[cfg(feature = "stream")]
pub(super) fn bare_name(value: &str) -> bool {
    let Some(surname) = surname_at(value, 0) else { return false };
    let rest = &value[surname..];
    let n = rest.chars().count();
    (1..=2).contains(&n) && rest.chars().all(|c| is_han(c) && !NAME_STOPS.contains(c))
}

/// First two characters of every province and city name (full and short), sorted.
fn division_starts() -> &'static [[char; 2]] {
    static STARTS: OnceLock<Vec<[char; 2]>> = OnceLock::new();
    STARTS.get_or_init(|| {
        let two = |name: &str| {
            let mut cs = name.chars();
            Some([cs.next()?, cs.next()?])
        };
        let mut starts: Vec<[char; 2]> = Vec::new();
        for p in Province::all() {
            starts.extend(two(p.name()));
            starts.extend(two(p.short_name()));
        }
        for code in 1100..=8299 {
            if let Some(city) = City::from_code(code) {
                starts.extend(two(city.name()));
            }
        }
        starts.sort_unstable();
        starts.dedup();
        starts
    })
}

/// Whether a surname may start at `c` (a quick test before [`surname_at`]).
fn surname_start(c: char) -> bool {
    static STARTS: OnceLock<Vec<char>> = OnceLock::new();
    let starts = STARTS.get_or_init(|| {
        let mut all: Vec<char> =
            SURNAMES.iter().filter_map(|s| s.chars().next()).chain(MORE_SURNAMES.chars()).collect();
        all.sort_unstable();
        all.dedup();
        all
    });
    starts.binary_search(&c).is_ok()
}

fn street_char(c: char) -> bool {
    is_han(c) || c.is_ascii_alphanumeric() || matches!(c, '-' | '#' | '－' | '０'..='９')
}

/// An address starting at `at` (whose character is `c`); returns its end, or `at`.
pub(super) fn address(f: &mut Found<'_, '_>, at: usize, c: char) -> usize {
    if !f.wants(Kind::Address) {
        return at;
    }
    let next = char_at(f.text, at + c.len_utf8()).unwrap_or('\0');
    if division_starts().binary_search(&[c, next]).is_err() {
        return at;
    }
    // The division table's own matcher, on a bounded slice.
    let text = f.text;
    let window = &text[at..floor_boundary(text, at + 96)];
    let Some((division, prefix)) = division::match_prefix(window) else { return at };
    let mut p = at + prefix;
    let mut cut = None;
    for _ in 0..MAX_STREET {
        let rest = &text[p..];
        let marker_start = rest.chars().next().is_some_and(|c| MARKER_STARTS.contains(c));
        if let Some(m) = STREET_MARKERS.iter().find(|m| marker_start && rest.starts_with(**m)) {
            p += m.len();
            cut = Some(p);
            continue;
        }
        match char_at(text, p) {
            Some(ch) if street_char(ch) && !rest.starts_with("电话") && !rest.starts_with("手机") => {
                p += ch.len_utf8()
            }
            _ => break,
        }
    }
    let Some(end) = cut else { return at };
    let base = if division.district().is_some() { 0.8 } else { 0.7 };
    if f.try_kinds(at, end, &[(Kind::Address, base)]) { end } else { at }
}
