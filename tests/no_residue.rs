//! No plaintext left in freed memory by the crate's own copies.
//!
//! A scanning global allocator wraps `System`. While armed, every block that
//! is freed (and the old block of every reallocation, which this allocator
//! always moves) is searched for the "needles" of the case under test: the
//! value's plaintext, and for FPE the numeral vectors (`u16` per digit) of
//! the digits FF1 hides. A hit is counted in atomics; the allocator itself
//! never allocates. Each case runs with no other work in flight (one test
//! function, one thread), parses (valid input, input that needs folding,
//! rejected input), masks, seals, opens, tokenizes, computes blind indexes
//! and format-preserving pseudonyms of a kind, drops everything and asserts
//! that no freed block held a needle.
//!
//! What is not covered: copies made by the caller (the test keeps its inputs
//! in static memory), stack copies, and memory that is never freed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};

use desensitize::pseudo::{Domain, FormatPreserving, Pseudonymizable, Transform};
use desensitize::{
    Address, BankCard, Biometric, Context, CreditCode, Email, Error, GeoPoint, IdNumber, Imei, IpAddress,
    Keyring, Landline, LicensePlate, MacAddress, MaskLevel, MobilePhone, Passport, PersonName, Sealable,
    Sealed,
};

const MAX_NEEDLES: usize = 4;

static ARMED: AtomicBool = AtomicBool::new(false);
static NEEDLE_PTR: [AtomicPtr<u8>; MAX_NEEDLES] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_NEEDLES];
static NEEDLE_LEN: [AtomicUsize; MAX_NEEDLES] = [const { AtomicUsize::new(0) }; MAX_NEEDLES];
static HITS: AtomicUsize = AtomicUsize::new(0);
/// Index of the needle and size of the block of the last hit (diagnostics).
static LAST_NEEDLE: AtomicUsize = AtomicUsize::new(0);
static LAST_SIZE: AtomicUsize = AtomicUsize::new(0);

struct Scanning;

/// # Safety
/// `ptr` must point to `size` readable bytes.
unsafe fn scan(ptr: *const u8, size: usize) {
    // SAFETY: the caller hands a live block of `size` bytes.
    let block = unsafe { core::slice::from_raw_parts(ptr, size) };
    for i in 0..MAX_NEEDLES {
        let len = NEEDLE_LEN[i].load(SeqCst);
        let needle = NEEDLE_PTR[i].load(SeqCst);
        if len == 0 || needle.is_null() || len > size {
            continue;
        }
        // SAFETY: needles point to static or test-owned memory that outlives the armed window.
        let needle = unsafe { core::slice::from_raw_parts(needle, len) };
        if block.windows(len).any(|w| w == needle) {
            HITS.fetch_add(1, SeqCst);
            LAST_NEEDLE.store(i, SeqCst);
            LAST_SIZE.store(size, SeqCst);
        }
    }
}

// SAFETY: every call is forwarded to `System`; scanning only reads blocks
// that are still allocated.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(SeqCst) {
            unsafe { scan(ptr, layout.size()) };
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    /// Always moves, so that the old block is freed (and scanned) the way a
    /// moving reallocation would leave it, even where `System` could grow
    /// in place.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

/// A failed case: its name, the hits, the last needle index and block size.
type Failure = (String, usize, usize, usize);

struct Run {
    failures: Vec<Failure>,
    cases: usize,
}

impl Run {
    /// Run `f` with the allocator armed for `needles`; record any hit.
    fn case(&mut self, name: &str, needles: &[&[u8]], f: impl FnOnce()) {
        assert!(needles.len() <= MAX_NEEDLES && needles.iter().all(|n| n.len() >= 6));
        for i in 0..MAX_NEEDLES {
            let (ptr, len) =
                needles.get(i).map_or((core::ptr::null_mut(), 0), |n| (n.as_ptr().cast_mut(), n.len()));
            NEEDLE_PTR[i].store(ptr, SeqCst);
            NEEDLE_LEN[i].store(len, SeqCst);
        }
        HITS.store(0, SeqCst);
        ARMED.store(true, SeqCst);
        f();
        ARMED.store(false, SeqCst);
        for len in &NEEDLE_LEN {
            len.store(0, SeqCst);
        }
        self.cases += 1;
        let hits = HITS.load(SeqCst);
        if hits > 0 {
            self.failures.push((name.to_owned(), hits, LAST_NEEDLE.load(SeqCst), LAST_SIZE.load(SeqCst)));
        }
    }
}

/// Little-endian `u16` numerals of ASCII digits: what an FF1 numeral vector holds.
fn numerals(digits: &str) -> Vec<u8> {
    digits.bytes().flat_map(|d| u16::from(d - b'0').to_le_bytes()).collect()
}

/// Parse, mask, print, seal, open (binary and text) and drop one value.
fn lifecycle<T: Sealable + FromStr<Err = Error>>(keyring: &Keyring, ctx: &Context, input: &str) {
    let value: T = input.parse().unwrap_or_else(|e| panic!("{}: {e}", T::KIND));
    for level in [MaskLevel::Strict, MaskLevel::Standard, MaskLevel::Relaxed] {
        drop(value.mask(level));
    }
    drop(value.to_string());
    drop(format!("{value:?}"));
    let sealed = keyring.seal(&value, ctx).unwrap();
    let opened = keyring.open(&sealed, ctx, "no-residue").unwrap();
    assert!(opened == value);
    let bytes = sealed.into_bytes();
    let again = keyring.open(&Sealed::<T>::from_bytes(&bytes).unwrap(), ctx, "no-residue").unwrap();
    assert!(again == value);
    let text = keyring.seal_text(&value, ctx).unwrap();
    let from_text: T = keyring.open_text(&text, ctx, "no-residue").unwrap();
    assert!(from_text == value);
}

/// Tokens and blind indexes of one value.
fn analytics<T: Pseudonymizable + FromStr<Err = Error>>(
    keyring: &Keyring,
    domain: &Domain,
    input: &str,
    bits: u8,
) {
    let value: T = input.parse().unwrap();
    let token = keyring.pseudonym(&value, domain).unwrap();
    drop(token.to_string());
    let index = keyring.blind_index::<T>(domain, Transform::Full, bits).unwrap();
    drop(index.compute(&value).to_string());
    let _token = keyring.pseudonymizer(domain).unwrap().token(&value);
}

/// FPE there and back, through the keyring and through a pre-keyed cipher.
fn fpe<T: FormatPreserving + FromStr<Err = Error>>(keyring: &Keyring, domain: &Domain, input: &str) {
    let value: T = input.parse().unwrap();
    let pseudo = keyring.fpe(&value, domain).unwrap();
    assert!(keyring.reidentify(&pseudo, domain, "no-residue").unwrap() == value);
    let cipher = keyring.fpe_cipher(domain).unwrap();
    let pseudo = cipher.pseudonymize(&value).unwrap();
    assert!(cipher.reidentify(&pseudo, "no-residue").unwrap() == value);
}

fn rejects<T: FromStr<Err = Error>>(input: &str) {
    assert!(input.parse::<T>().is_err(), "{input} must be rejected");
}

#[test]
fn no_plaintext_in_freed_memory() {
    let mut keyring = Keyring::generate().unwrap();
    let domain = Domain::new("residue").unwrap();
    keyring.pin(&domain, 1).unwrap();
    let ctx = Context::new("users", "value").with_row("1");
    let k = &keyring;
    let mut run = Run { failures: Vec::new(), cases: 0 };

    // --- mobile phone: folding (prefixes, separators, full-width digits).
    let phone: &[u8] = b"13800138000";
    for input in [
        "13800138000",
        "+86 138-0013-8000",
        "0086 (138) 0013 8000",
        "１３８００１３８０００",
        "8613800138000",
    ] {
        run.case(&format!("mobile parse+seal {input}"), &[phone], || {
            lifecycle::<MobilePhone>(k, &ctx, input)
        });
    }
    for input in ["１３８００１３８０００Ｘ", "+86 (138) 0013 8000 0", "+86 138 0013 8000 #", "23800138000"]
    {
        run.case(&format!("mobile reject {input}"), &[b"3800138000"], || rejects::<MobilePhone>(input));
    }
    run.case("mobile from String", &[phone], || {
        drop(MobilePhone::try_from(String::from("+86 138 0013 8000")).unwrap());
    });
    run.case("mobile token+index", &[phone], || analytics::<MobilePhone>(k, &domain, "13800138000", 16));
    let hidden = numerals("00138000");
    run.case("mobile fpe", &[phone, &hidden], || fpe::<MobilePhone>(k, &domain, "+86 138 0013 8000"));

    // --- ID number: lower-case x, separators, full-width, 15-digit upgrade.
    let id: &[u8] = b"11010519491231002";
    for input in [
        "11010519491231002X",
        "11010519491231002x",
        " 110105-19491231-002x ",
        "１１０１０５１９４９１２３１００２ｘ",
    ] {
        run.case(&format!("id parse+seal {input}"), &[id], || lifecycle::<IdNumber>(k, &ctx, input));
    }
    run.case("id 15-digit upgrade", &[id, b"110105491231002"], || {
        lifecycle::<IdNumber>(k, &ctx, "110105 491231 002")
    });
    for input in [
        "11010519491231002A",
        "110105194912310021",
        "11010519491231002x1",
        "190105194912310021",
        "１１０１０５１９４９１２３１００２?",
    ] {
        run.case(&format!("id reject {input}"), &[id], || rejects::<IdNumber>(input));
    }
    run.case("id reject 15-digit", &[b"110105491231002"], || rejects::<IdNumber>("110105491231002x"));
    run.case("id token+index", &[id], || analytics::<IdNumber>(k, &domain, "11010519491231002X", 16));
    // Day 364 of 1949 and sequence 002: the cycle-walked FF1 input 364 * 500 + 1.
    let walked = numerals("182001");
    run.case("id fpe", &[id, &walked], || fpe::<IdNumber>(k, &domain, "11010519491231002x"));

    // --- bank card.
    let card: &[u8] = b"6222021234567894";
    for input in ["6222021234567894", "6222 0212 3456 7894", "６２２２０２１２３４５６７８９４"]
    {
        run.case(&format!("card parse+seal {input}"), &[card], || lifecycle::<BankCard>(k, &ctx, input));
    }
    run.case("card reject", &[b"622202123456789"], || rejects::<BankCard>("6222 0212 3456 7895"));
    run.case("card reject char", &[b"622202123456789"], || rejects::<BankCard>("6222021234567894a"));
    run.case("card token+index", &[card], || analytics::<BankCard>(k, &domain, "6222021234567894", 16));
    let middle = numerals("123456789");
    run.case("card fpe", &[card, &middle], || fpe::<BankCard>(k, &domain, "6222-0212-3456-7894"));

    // --- the other kinds: valid input (folded where the kind folds), a
    // rejected input, token and blind index.
    macro_rules! kind {
        ($ty:ty, $needle:expr, [$($ok:expr),*], [$($bad:expr),*], $analytics:expr) => {{
            let needle: &[u8] = $needle;
            $(run.case(&format!("{} parse+seal {}", stringify!($ty), $ok), &[needle], || {
                lifecycle::<$ty>(k, &ctx, $ok)
            });)*
            $(run.case(&format!("{} reject {}", stringify!($ty), $bad), &[needle], || rejects::<$ty>($bad));)*
            let analytics_of: Option<(&str, u8)> = $analytics;
            if let Some((input, bits)) = analytics_of {
                run.case(&format!("{} token+index", stringify!($ty)), &[needle], || {
                    analytics::<$ty>(k, &domain, input, bits)
                });
            }
        }};
    }
    kind!(
        Landline,
        b"62345678",
        ["010-62345678", "(010) 6234 5678", "+86 10 62345678 ext. 12", "０１０－６２３４５６７８"],
        ["010-62345678-1234567", "010-62345678x"],
        Some(("010-62345678", 16))
    );
    kind!(
        Email,
        b"zhangsan@",
        ["zhangsan@163.com", " zhangsan@163.COM "],
        ["zhangsan@163", "zhangsan@@163.com"],
        Some(("zhangsan@163.com", 16))
    );
    kind!(
        PersonName,
        "欧阳娜娜".as_bytes(),
        ["欧阳娜娜", "  欧阳娜娜 "],
        ["欧阳娜娜3"],
        Some(("欧阳娜娜", 8))
    );
    kind!(
        PersonName,
        b"Maria Lopez",
        ["Maria   Lopez", " Maria Lopez "],
        ["Maria Lopez 3"],
        Some(("Maria   Lopez", 8))
    );
    kind!(
        Address,
        "建国路88号".as_bytes(),
        ["北京市朝阳区建国路88号", "  北京市朝阳区建国路88号  "],
        ["北京市朝阳区建国路88号\u{7}"],
        Some(("北京市朝阳区建国路88号", 16))
    );
    kind!(
        IpAddress,
        b"10.201.33.44",
        ["10.201.33.44", " 10.201.33.44 "],
        ["10.201.33.44.5"],
        Some(("10.201.33.44", 16))
    );
    kind!(
        IpAddress,
        b"2001:db8:85a3::8a2e",
        ["2001:db8:85a3::8a2e:370:7334", "2001:0DB8:85A3:0000:0000:8A2E:0370:7334"],
        [],
        Some(("2001:db8:85a3::8a2e:370:7334", 16))
    );
    kind!(
        MacAddress,
        b"AC:DE:48:00:11:22",
        ["AC:DE:48:00:11:22", "ac-de-48-00-11-22", "acde.4800.1122"],
        [],
        Some(("AC:DE:48:00:11:22", 16))
    );
    kind!(MacAddress, b"acde48001122", [], ["acde48001122f"], None);
    kind!(
        Imei,
        b"490154203237518",
        ["490154203237518", "49-015420-323751-8"],
        ["490154203237519"],
        Some(("490154203237518", 16))
    );
    kind!(Passport, b"E12345678", ["E12345678", " e12345678 "], [], Some(("E12345678", 16)));
    kind!(Passport, b"e12345678", [], ["e12345678!"], None);
    kind!(
        LicensePlate,
        "京A12345".as_bytes(),
        ["京A12345", "京a·12345", "京Ａ１２３４５"],
        [],
        Some(("京A12345", 8))
    );
    kind!(LicensePlate, b"A12345", [], ["京A12345X9"], None);
    kind!(
        CreditCode,
        b"91350100M000100Y43",
        ["91350100M000100Y43", "91350100m000100y43", "９１３５０１００Ｍ０００１００Ｙ４３"],
        ["91350100M000100Y44"],
        Some(("91350100M000100Y43", 16))
    );
    kind!(CreditCode, b"91350100m000100y4", [], ["91350100m000100y4?"], None);

    // --- precise location (binary canonical form; masks print decimals).
    let point = [39.9042f64.to_bits().to_be_bytes(), 116.4074f64.to_bits().to_be_bytes()].concat();
    for input in ["39.9042,116.4074", " 39.9042 , 116.4074 "] {
        run.case(&format!("geo parse+seal {input}"), &[&point, b"39.9042", b"116.4074"], || {
            lifecycle::<GeoPoint>(k, &ctx, input)
        });
    }
    run.case("geo token+index", &[&point], || analytics::<GeoPoint>(k, &domain, "39.9042,116.4074", 16));

    // --- biometric template (base64 text in, raw bytes canonical).
    let template: &[u8] = b"fingerprint-minutiae-0001";
    run.case("biometric parse+seal", &[template], || {
        lifecycle::<Biometric>(k, &ctx, "ZmluZ2VycHJpbnQtbWludXRpYWUtMDAwMQ==")
    });
    run.case("biometric reject", &[template], || {
        rejects::<Biometric>("ZmluZ2VycHJpbnQtbWludXRpYWUtMDAwMQ=?")
    });

    drop(keyring);
    assert!(run.cases > 60, "only {} cases ran", run.cases);
    assert!(
        run.failures.is_empty(),
        "plaintext left in freed memory (case, hits, needle #, block size):\n{:#?}",
        run.failures
    );
}
