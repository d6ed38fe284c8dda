//! Format-preserving pseudonyms: FF1 (NIST SP 800-38G) over the digits of a
//! value, so that the pseudonym is a valid value of the same kind. See
//! [`FormatPreserving`] for what each kind keeps, the keys and the tweak,
//! [`Keyring::fpe`](crate::Keyring::fpe),
//! [`Keyring::reidentify`](crate::Keyring::reidentify) and [`FpeCipher`].

use core::fmt;
use std::sync::Arc;

use zeroize::{Zeroize, Zeroizing};

use crate::audit::{AuditSink, fail_closed};
use crate::crypto::Context;
use crate::crypto::material::push_fields;
use crate::error::{AccessError, Error, Invalid, KeyError, Result};
use crate::kind::{BankCard, Canonical, IdNumber, Kind, MobilePhone};
use crate::pseudo::{Domain, Pseudonymizable};

#[cfg(test)]
use crate::pseudo::ff1::WALK_SIZE;
use sealed::{Dir, Ff1, FpeKind};

/// Kept leading digits of a card number (the issuer identification number).
const BIN_LEN: usize = 6;
/// Kept leading digits of a mobile number (`1[3-9]x`).
const PHONE_PREFIX_LEN: usize = 3;
/// Sequence numbers with one gender parity: 000-999 has 500 of each.
const SEQ_PER_PARITY: u32 = 500;
/// Context field naming the domain in re-identification audit events.
const AUDIT_FIELD: &str = "fpe_domain";

mod sealed {
    use crate::error::Result;
    pub use crate::pseudo::ff1::{Dir, Ff1};

    /// The per-kind FF1 mapping behind [`FormatPreserving`](super::FormatPreserving).
    /// Not implementable outside this crate.
    pub trait FpeKind: Sized {
        /// This kind's slot in an [`FpeCipher`](super::FpeCipher).
        const SLOT: usize;

        /// The pseudonym (`Encrypt`) or the original (`Decrypt`) of `self`
        /// in the domain named `domain`, under this kind's FF1 key.
        fn ff1_map(&self, ff1: &Ff1, domain: &str, dir: Dir) -> Result<Self>;
    }
}

/// A kind with format-preserving pseudonyms: FF1 (NIST SP 800-38G) over
/// the digits of a value, so that the pseudonym is a *valid value of the
/// same kind* that fits the same column, passes the same validation, and can
/// be turned back with the key ([`Keyring::reidentify`](crate::Keyring::reidentify), audited).
///
/// Unlike a [`Token`](crate::pseudo::Token), a format-preserving pseudonym is
/// reversible by whoever holds the keyring, and it keeps part of the value
/// in the clear:
///
/// | Kind | Kept | Encrypted |
/// |---|---|---|
/// | [`MobilePhone`] | the 3-digit segment `1[3-9]x` | the last 8 digits (FF1, 10^8) |
/// | [`BankCard`] | the 6-digit BIN and the length | the middle `len - 7` digits; the Luhn digit is recomputed |
/// | [`IdNumber`] | region code, birth year, gender (parity of the 17th digit) | birth day within the year and the sequence number; the check character is recomputed |
///
/// **Keys.** One FF1-AES-256 key per domain and kind:
/// `HKDF(root, ["desensitize.fpe", domain name, kind id])`, from the root key
/// version the domain is pinned to ([`Keyring::pin`](crate::Keyring::pin)), else the active key.
/// Pin a domain whose pseudonyms must survive [`Keyring::rotate`](crate::Keyring::rotate).
///
/// **Tweak.** The FF1 tweak is the field encoding (SPEC.md §1) of
/// `[kind id, domain name, kept parts...]`: the kept parts are the phone
/// segment, the card BIN and length (one byte), or the ID number's region
/// code plus birth year and its gender digit (`"0"` even, `"1"` odd). Kept
/// parts stay in the output, so the inverse can rebuild the tweak; putting
/// them in the tweak makes the permutation of the hidden digits different for
/// every prefix.
///
/// **Small domains.** FF1 is never used below its 10^6 minimum domain.
/// When fewer values must be permuted (a 12-digit card's 5 middle digits,
/// 10^5; an ID number's day-and-sequence, 365 or 366 × 500), FF1 runs over
/// 6 decimal digits and *cycle-walks*: it encrypts again until the result
/// falls inside the smaller domain. That is a permutation of the smaller
/// domain; the expected number of FF1 calls is 10^6 / size (10 for a 12-digit
/// card, about 5.5 for an ID number).
///
/// **No integrity.** Any valid value "re-identifies" to some valid value:
/// FPE cannot tell a pseudonym from a real value. Keep track of which
/// columns hold pseudonyms.
///
/// ```
/// use desensitize::pseudo::Domain;
/// use desensitize::{BankCard, IdNumber, Keyring, MobilePhone};
///
/// let mut keyring = Keyring::generate()?;
/// let testing = Domain::new("test-data")?;
/// keyring.pin(&testing, 1)?;
///
/// let phone: MobilePhone = "13800138000".parse()?;
/// let pseudo = keyring.fpe(&phone, &testing)?;
/// assert!(pseudo.expose().starts_with("138"));
/// assert_eq!(keyring.fpe(&phone, &testing)?, pseudo); // deterministic
/// assert_eq!(keyring.reidentify(&pseudo, &testing, "support-call")?, phone); // audited
///
/// let card: BankCard = "6222021234567894".parse()?;
/// let pseudo = keyring.fpe(&card, &testing)?; // a Luhn-valid card, same BIN
/// assert!(pseudo.expose().starts_with("622202") && pseudo.expose().len() == 16);
///
/// let cipher = keyring.fpe_cipher(&testing)?; // pre-keyed, for bulk jobs
/// let id: IdNumber = "11010519491231002X".parse()?;
/// let pseudo = cipher.pseudonymize(&id)?;
/// assert!(pseudo.expose().starts_with("1101051949"));
/// assert_eq!(pseudo.gender(), id.gender());
/// assert_eq!(cipher.reidentify(&pseudo, "audit-sample")?, id);
/// # Ok::<(), desensitize::Error>(())
/// ```
///
/// Sealed: implemented only by this crate's kinds.
pub trait FormatPreserving: Pseudonymizable + FpeKind {}

impl FormatPreserving for MobilePhone {}
impl FormatPreserving for BankCard {}
impl FormatPreserving for IdNumber {}

/// Kinds with FPE, in slot order.
pub(crate) const FPE_KINDS: [Kind; 3] = [Kind::MobilePhone, Kind::BankCard, Kind::IdNumber];

/// The FF1 tweak: `enc([kind id, domain name, kept...])` (SPEC.md §1).
/// Holds kept plaintext digits, so it wipes itself.
fn tweak<const N: usize>(kind: Kind, domain: &str, kept: &[&[u8]; N]) -> Zeroizing<Vec<u8>> {
    const { assert!(N <= 2, "a tweak keeps at most two fields") };
    // The field list on the stack: one allocation per value (the tweak), not two.
    let mut fields: [&[u8]; 4] = [&[]; 4];
    fields[0] = kind.as_str().as_bytes();
    fields[1] = domain.as_bytes();
    fields[2..2 + N].copy_from_slice(kept);
    let mut out = Zeroizing::new(Vec::with_capacity(64));
    push_fields(&mut out, &fields[..2 + N]);
    out
}

fn canonical<T: Canonical>(value: &T) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(value.canonical_bytes().to_vec())
}

/// Rebuild a kind through its canonical validation path (no clock).
fn rebuild<T: Canonical>(buf: Zeroizing<Vec<u8>>) -> Result<T> {
    T::from_sealed(buf)
}

impl FpeKind for MobilePhone {
    const SLOT: usize = 0;

    fn ff1_map(&self, ff1: &Ff1, domain: &str, dir: Dir) -> Result<Self> {
        let mut buf = canonical(self);
        if buf.len() != 11 {
            return Err(Error::invalid(Kind::MobilePhone, Invalid::Length));
        }
        let (prefix, rest) = buf.split_at_mut(PHONE_PREFIX_LEN);
        ff1.decimal(&tweak(Kind::MobilePhone, domain, &[prefix]), rest, dir)?;
        rebuild(buf)
    }
}

impl FpeKind for BankCard {
    const SLOT: usize = 1;

    fn ff1_map(&self, ff1: &Ff1, domain: &str, dir: Dir) -> Result<Self> {
        let mut buf = canonical(self);
        let n = buf.len();
        if !(12..=19).contains(&n) {
            return Err(Error::invalid(Kind::BankCard, Invalid::Length));
        }
        let len = [n as u8];
        let (bin, rest) = buf.split_at_mut(BIN_LEN);
        // 5 (12-digit cards: cycle-walked) to 12 digits between BIN and check digit.
        let middle = &mut rest[..n - BIN_LEN - 1];
        ff1.decimal(&tweak(Kind::BankCard, domain, &[bin, &len]), middle, dir)?;
        buf[n - 1] = crate::kind::luhn_digit(&buf[..n - 1]);
        rebuild(buf)
    }
}

use crate::kind::id_check_char;

impl FpeKind for IdNumber {
    const SLOT: usize = 2;

    /// Digits 1-10 (region, birth year) and the gender parity are kept. The
    /// day of the year `d` (0-based) and the sequence `s` (000-999) become
    /// `d * 500 + s / 2` in a domain of `days_in_year * 500`, permuted by
    /// cycle-walking FF1; the result maps back to a real date of the same
    /// year, the sequence `2 * (x % 500) + s % 2`, and a new check character.
    ///
    /// The mapping does not consult the clock (a clock-dependent domain would
    /// change every day and stop being the same bijection): a holder born
    /// this year may get a pseudonym whose birth date is after today. It is
    /// built through the canonical (no-clock) validation path, like an opened
    /// value; re-parse its text with [`IdNumber::parse_on`] and a date at the
    /// end of that year.
    fn ff1_map(&self, ff1: &Ff1, domain: &str, dir: Dir) -> Result<Self> {
        let bad = || Error::invalid(Kind::IdNumber, Invalid::BirthDate);
        // Borrowed, not copied: only the kept digits and the result are built.
        let src = self.canonical_bytes();
        if src.len() != 18 {
            return Err(Error::invalid(Kind::IdNumber, Invalid::Length));
        }
        let birth = self.birth_date();
        let year = birth.year();
        let jan1 = crate::Date::new(year, 1, 1).ok_or_else(bad)?.days_since_epoch();
        let days: u32 = if crate::date::is_leap(year) { 366 } else { 365 };
        let day_index = u32::try_from(birth.days_since_epoch() - jan1).map_err(|_| bad())?;
        let seq = src[14..17].iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
        let parity = seq % 2;

        let mut t = tweak(Kind::IdNumber, domain, &[&src[..10], &[b'0' + parity as u8]]);
        let x = day_index * SEQ_PER_PARITY + seq / 2;
        let y = ff1.walk(&t, x, days * SEQ_PER_PARITY, dir)?;

        let date = crate::Date::from_days_since_epoch(jan1 + i64::from(y / SEQ_PER_PARITY));
        let seq = 2 * (y % SEQ_PER_PARITY) + parity;
        // The tweak's buffer, wiped and emptied, takes the 18 characters of
        // the result: one allocation per value instead of two.
        t.zeroize();
        let mut buf = t;
        buf.extend_from_slice(&src[..10]);
        // Constant divisors (multiplications), not a power of ten per digit.
        let (month, day) = (date.month(), date.day());
        let digit = |v: u32| b'0' + (v % 10) as u8;
        buf.extend_from_slice(&[b'0' + month / 10, b'0' + month % 10, b'0' + day / 10, b'0' + day % 10]);
        buf.extend_from_slice(&[digit(seq / 100), digit(seq / 10), digit(seq)]);
        let check = id_check_char(&buf);
        buf.push(check);
        rebuild(buf)
    }
}

/// The audit context of re-identifications in `domain`.
pub(crate) fn audit_context(domain: &Domain) -> Context {
    Context::none().with(AUDIT_FIELD, domain.name())
}

/// A pre-keyed format-preserving pseudonymizer for one domain: the FF1 keys
/// of every kind are derived once. `Send + Sync`, cheap to clone.
///
/// Re-identification through it is audited to the keyring's audit sink as
/// it was when the cipher was made ([`Keyring::set_audit_sink`](crate::Keyring::set_audit_sink) afterwards
/// does not reach existing ciphers). Its key version is fixed at creation:
/// make a new cipher after re-pinning the domain.
///
/// ```
/// use desensitize::pseudo::Domain;
/// use desensitize::{Keyring, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let domain = Domain::new("load-test")?;
/// let cipher = keyring.fpe_cipher(&domain)?;
/// let phone: MobilePhone = "13800138000".parse()?;
/// assert_eq!(cipher.pseudonymize(&phone)?, keyring.fpe(&phone, &domain)?);
/// assert_eq!(cipher.key_id(), 1);
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone)]
pub struct FpeCipher {
    inner: Arc<CipherInner>,
}

struct CipherInner {
    key_id: u32,
    domain: Domain,
    context: Context,
    /// One FF1 key per kind, indexed by `FpeKind::SLOT`.
    keys: Vec<Ff1>,
    audit: Arc<dyn AuditSink>,
    /// Made by a keyring with access rules: `reidentify` needs a principal
    /// (`Keyring::reidentify_as`) and is refused here.
    locked: bool,
}

impl fmt::Debug for FpeCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FpeCipher({}, key {})", self.inner.domain, self.inner.key_id)
    }
}

impl FpeCipher {
    /// A cipher for `domain` with one FF1 key per kind (in [`FPE_KINDS`]
    /// order) from root key `key_id`, auditing to `audit`; a `locked` one
    /// refuses to reidentify (its keyring has access rules).
    pub(crate) fn new(
        key_id: u32,
        domain: &Domain,
        keys: Vec<Ff1>,
        audit: Arc<dyn AuditSink>,
        locked: bool,
    ) -> FpeCipher {
        let context = audit_context(domain);
        FpeCipher {
            inner: Arc::new(CipherInner { key_id, domain: domain.clone(), context, keys, audit, locked }),
        }
    }

    fn key<T: FormatPreserving>(&self) -> Result<&Ff1> {
        self.inner.keys.get(T::SLOT).ok_or(Error::Key(KeyError::NoFpeKey))
    }

    /// The format-preserving pseudonym of `value` (as [`Keyring::fpe`](crate::Keyring::fpe)).
    pub fn pseudonymize<T: FormatPreserving>(&self, value: &T) -> Result<T> {
        value.ff1_map(self.key::<T>()?, self.inner.domain.name(), Dir::Encrypt)
    }

    /// The original of `pseudo` (as [`Keyring::reidentify`](crate::Keyring::reidentify)), audited: one
    /// event per call with the context `fpe_domain=<domain>`.
    pub fn reidentify<T: FormatPreserving>(&self, pseudo: &T, purpose: &str) -> Result<T> {
        let result = match self.inner.locked {
            true => Err(Error::Access(AccessError::NoPrincipal)),
            false => self.key::<T>().and_then(|k| pseudo.ff1_map(k, self.inner.domain.name(), Dir::Decrypt)),
        };
        let inner = &*self.inner;
        fail_closed(&*inner.audit, T::KIND, &inner.context, inner.key_id, None, purpose, result)
    }

    /// The root key version this cipher's keys are derived from.
    pub fn key_id(&self) -> u32 {
        self.inner.key_id
    }

    /// The domain.
    pub fn domain(&self) -> &Domain {
        &self.inner.domain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_walk_stays_inside_and_inverts() {
        // Expected 10^6 / size FF1 calls per value: keep the domain large
        // enough for a debug-build test, and sample it.
        let ff1 = Ff1::new(&[7u8; 32], 10).unwrap();
        let size = 250_000;
        let mut seen = std::collections::HashSet::new();
        for x in (0..size).step_by(997) {
            let y = ff1.walk(b"t", x, size, Dir::Encrypt).unwrap();
            assert!(y < size);
            assert!(seen.insert(y), "collision");
            assert_eq!(ff1.walk(b"t", y, size, Dir::Decrypt).unwrap(), x);
        }
        assert!(ff1.walk(b"t", size, size, Dir::Encrypt).is_err());
        assert!(ff1.walk(b"t", 0, WALK_SIZE + 1, Dir::Encrypt).is_err());
    }

    #[test]
    fn decimal_rejects_non_digits_and_other_radixes() {
        let ff1 = Ff1::new(&[7u8; 32], 10).unwrap();
        assert!(ff1.decimal(b"", &mut b"12345a".to_vec(), Dir::Encrypt).is_err());
        let ff1 = Ff1::new(&[7u8; 32], 16).unwrap();
        assert!(ff1.decimal(b"", &mut b"123456".to_vec(), Dir::Encrypt).is_err());
        assert!(Ff1::new(&[7u8; 32], 1).is_err());
    }

    #[test]
    fn check_char_matches_the_kind() {
        let id: IdNumber = "11010519491231002X".parse().unwrap();
        assert_eq!(id_check_char(&id.expose().as_bytes()[..17]), b'X');
    }

    #[test]
    fn tweak_is_field_encoded() {
        let t = tweak(Kind::MobilePhone, "d", &[b"138"]);
        let mut want = vec![0, 3, 0, 15];
        want.extend_from_slice(b"cn.mobile_phone");
        want.extend_from_slice(&[0, 1, b'd', 0, 3, b'1', b'3', b'8']);
        assert_eq!(*t, want);
    }
}
