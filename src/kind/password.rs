//! Account password: validated, hashed with Argon2id, never stored.

use core::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Params, PasswordHash as Phc, Version};
use zeroize::Zeroize;

use crate::crypto::CostLimits;
use crate::error::{Error, Invalid, PasswordHashError, Result};
use crate::kind::{Kind, Sensitive, check_len, private};
use crate::mask::MaskLevel;
use crate::secret::SecretString;

const KIND: Kind = Kind::Password;
/// Longest password accepted, in bytes.
const MAX_BYTES: usize = 1024;
/// What every mask level shows: fixed, so it does not reveal the length.
const PLACEHOLDER: &str = "******";
/// Salt length in bytes (the length argon2 recommends).
const SALT_LEN: usize = 16;
/// Bound on PHC string input; real Argon2id strings are about 100 bytes.
const MAX_PHC: usize = 512;
const NOT_ARGON2ID: Error = Error::PasswordHash(PasswordHashError::NotArgon2id);
const TOO_COSTLY: Error = Error::PasswordHash(PasswordHashError::CostAboveLimits);

/// An account password (口令), held only long enough to hash or verify it.
///
/// A password is [`Sensitive`] but not [`Sealable`](crate::Sealable): the
/// crate offers no way to store it, only to [`hash`](Password::hash) it with
/// Argon2id and [`verify`](PasswordHash::verify) it against a stored
/// [`PasswordHash`]. Every mask level, and `Display`, is `******`.
///
/// Parsing does not trim: spaces are part of a password. It rejects a
/// password that is empty or only white space ([`Invalid::Empty`]), longer
/// than 1024 bytes ([`Invalid::TooLong`]), or containing control characters
/// ([`Invalid::Character`]).
///
/// ```
/// use desensitize::{Password, PasswordHash, PasswordParams};
///
/// let password: Password = "correct horse battery staple".parse()?;
/// assert_eq!(password.to_string(), "******");
/// assert_eq!(format!("{password:?}"), "Password([REDACTED])");
///
/// // `hash()` uses the OWASP-recommended defaults (19 MiB, 2 passes);
/// // this example uses cheap parameters to run fast.
/// let params = PasswordParams::new(256, 1, 1)?;
/// let hash = password.hash_with(&params)?;
/// assert!(hash.as_str().starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
///
/// // Store `hash.to_string()`; later, parse it back and verify.
/// let stored: PasswordHash = hash.as_str().parse()?;
/// assert!(stored.verify(&password));
/// assert!(!stored.verify(&"Tr0ub4dor&3".parse()?));
/// assert!(stored.needs_rehash(&PasswordParams::default()));
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(SecretString);

impl Password {
    fn parse(input: &str) -> Result<Password> {
        check_len(KIND, input, MAX_BYTES)?;
        if input.trim().is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if input.chars().any(char::is_control) {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        Ok(Password(SecretString::new(input.to_owned())))
    }

    /// The password as given. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Hash with Argon2id v19, the default [`PasswordParams`] and a fresh
    /// random 16-byte salt.
    pub fn hash(&self) -> Result<PasswordHash> {
        self.hash_with(&PasswordParams::default())
    }

    /// Hash with Argon2id v19, the given parameters and a fresh random
    /// 16-byte salt from the crate's fork-safe per-thread CSPRNG.
    ///
    /// Parameters above the default [`CostLimits`] are refused
    /// (`Error::PasswordHash(PasswordHashError::CostAboveLimits)`), so
    /// that every hash made here parses back with [`PasswordHash`]'s
    /// `FromStr`.
    pub fn hash_with(&self, params: &PasswordParams) -> Result<PasswordHash> {
        if !CostLimits::DEFAULT.allows(params.m_cost_kib, params.t_cost, params.p_cost) {
            return Err(TOO_COSTLY);
        }
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.to_argon2()?);
        let salt: [u8; SALT_LEN] = crate::crypto::random::bytes()?;
        let phc = argon2
            .hash_password_with_salt(self.expose().as_bytes(), &salt)
            .map_err(|_| Error::PasswordHash(PasswordHashError::HashingFailed))?;
        Ok(PasswordHash { phc: phc.to_string(), params: *params })
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

impl fmt::Display for Password {
    /// Prints `******`, the mask at every level.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(PLACEHOLDER)
    }
}

impl core::str::FromStr for Password {
    type Err = Error;

    fn from_str(s: &str) -> Result<Password> {
        Password::parse(s)
    }
}

impl TryFrom<&str> for Password {
    type Error = Error;

    fn try_from(s: &str) -> Result<Password> {
        Password::parse(s)
    }
}

impl TryFrom<String> for Password {
    type Error = Error;

    /// Parses and then wipes the caller's buffer.
    fn try_from(mut s: String) -> Result<Password> {
        let parsed = Password::parse(&s);
        s.zeroize();
        parsed
    }
}

impl private::Sealed for Password {}

impl Sensitive for Password {
    const KIND: Kind = KIND;

    fn mask(&self, _level: MaskLevel) -> String {
        PLACEHOLDER.to_owned()
    }
}

/// Argon2id cost parameters.
///
/// The default is the argon2 crate's (and OWASP's) recommendation: 19 MiB of
/// memory, 2 passes, 1 lane. Raise them as far as your login latency allows.
///
/// ```
/// use desensitize::PasswordParams;
///
/// let p = PasswordParams::default();
/// assert_eq!((p.m_cost_kib(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
/// assert!(PasswordParams::new(64 * 1024, 3, 4).is_ok());
/// assert!(PasswordParams::new(4, 1, 1).is_err()); // under 8 KiB per lane
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordParams {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

/// The Argon2id costs (public parameters, no secret).
impl core::fmt::Debug for PasswordParams {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PasswordParams(m={} KiB, t={}, p={})", self.m_cost_kib, self.t_cost, self.p_cost)
    }
}

impl PasswordParams {
    /// Memory in KiB (at least 8 per lane), passes (at least 1) and lanes
    /// (1 to 2<sup>24</sup>-1), as checked by `argon2::Params::new`.
    pub fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<PasswordParams> {
        let params = PasswordParams { m_cost_kib, t_cost, p_cost };
        params.to_argon2()?;
        Ok(params)
    }

    /// Costs already checked (or read to be reported, not used).
    pub(crate) const fn from_parts(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> PasswordParams {
        PasswordParams { m_cost_kib, t_cost, p_cost }
    }

    /// Memory cost in KiB.
    pub fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Time cost: number of passes over memory.
    pub fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Parallelism: number of lanes.
    pub fn p_cost(&self) -> u32 {
        self.p_cost
    }

    fn to_argon2(self) -> Result<Params> {
        Params::new(self.m_cost_kib, self.t_cost, self.p_cost, None).map_err(|e| {
            Error::PasswordHash(match e {
                argon2::Error::MemoryTooLittle => PasswordHashError::MemoryTooSmall,
                argon2::Error::MemoryTooMuch => PasswordHashError::MemoryTooLarge,
                argon2::Error::TimeTooSmall => PasswordHashError::TimeTooSmall,
                argon2::Error::ThreadsTooFew => PasswordHashError::ParallelismTooSmall,
                argon2::Error::ThreadsTooMany => PasswordHashError::ParallelismTooLarge,
                _ => PasswordHashError::InvalidParams,
            })
        })
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        PasswordParams {
            m_cost_kib: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
        }
    }
}

/// A stored Argon2id password hash, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
///
/// The PHC string is not plaintext, so `Display` and [`as_str`](Self::as_str)
/// print it in full; it is what you store. `Debug` prints only the
/// algorithm and parameters. Parsing accepts only Argon2id version 19 with
/// a salt and a hash, and costs within the default [`CostLimits`] (1 GiB,
/// 10 passes, 16 lanes, 2 GiB·passes): a stored string with `t=4294967295`
/// would otherwise make [`verify`](PasswordHash::verify) run for ever. Use
/// [`PasswordHash::parse_with_limits`] to accept more.
///
/// ```
/// use desensitize::{Password, PasswordHash, PasswordParams};
///
/// let password: Password = "hunter2 hunter2".parse()?;
/// let hash = password.hash_with(&PasswordParams::new(256, 1, 1)?)?;
/// assert_eq!(format!("{hash:?}"), "PasswordHash(argon2id, m=256, t=1, p=1)");
///
/// let stored: PasswordHash = hash.to_string().parse()?;
/// assert_eq!(stored, hash);
/// assert!(stored.verify(&password));
/// assert_eq!(stored.params(), PasswordParams::new(256, 1, 1)?);
///
/// let err = "$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaA".parse::<PasswordHash>();
/// assert_eq!(err.unwrap_err().to_string(), "password hashing failed: not an argon2id PHC string");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PasswordHash {
    phc: String,
    params: PasswordParams,
}

impl PasswordHash {
    /// Parse a PHC string whose costs are within `limits` (see the `FromStr`
    /// implementation for everything else that is checked).
    ///
    /// ```
    /// use desensitize::keys::CostLimits;
    /// use desensitize::{Error, PasswordHash, PasswordHashError};
    ///
    /// let phc = "$argon2id$v=19$m=256,t=4294967295,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
    /// let err = Error::PasswordHash(PasswordHashError::CostAboveLimits);
    /// assert_eq!(phc.parse::<PasswordHash>(), Err(err.clone()));
    /// assert_eq!(PasswordHash::parse_with_limits(phc, &CostLimits::default()), Err(err));
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn parse_with_limits(s: &str, limits: &CostLimits) -> Result<PasswordHash> {
        let s = s.trim();
        if s.len() > MAX_PHC {
            return Err(NOT_ARGON2ID);
        }
        let phc = Phc::new(s).map_err(|_| NOT_ARGON2ID)?;
        if phc.algorithm != ARGON2ID_IDENT {
            return Err(NOT_ARGON2ID);
        }
        if phc.version != Some(Version::V0x13.into()) {
            return Err(Error::PasswordHash(PasswordHashError::UnsupportedVersion));
        }
        if phc.salt.is_none() || phc.hash.is_none() {
            return Err(Error::PasswordHash(PasswordHashError::PhcMissingParts));
        }
        let params = Params::try_from(&phc).map_err(|_| Error::PasswordHash(PasswordHashError::PhcParams))?;
        if !limits.allows(params.m_cost(), params.t_cost(), params.p_cost()) {
            return Err(TOO_COSTLY);
        }
        Ok(PasswordHash {
            phc: s.to_owned(),
            params: PasswordParams {
                m_cost_kib: params.m_cost(),
                t_cost: params.t_cost(),
                p_cost: params.p_cost(),
            },
        })
    }

    /// The PHC string, for storage.
    pub fn as_str(&self) -> &str {
        &self.phc
    }

    /// The cost parameters this hash was made with.
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// Whether `password` is the one this hash was made from. Recomputes
    /// the hash with the stored salt and parameters and compares in
    /// constant time.
    pub fn verify(&self, password: &Password) -> bool {
        let Ok(phc) = Phc::new(&self.phc) else {
            return false;
        };
        Argon2::default().verify_password(password.expose().as_bytes(), &phc).is_ok()
    }

    /// Whether the hash was made with parameters other than `params`, so
    /// that it should be recomputed (after a successful
    /// [`verify`](Self::verify)) and stored again.
    pub fn needs_rehash(&self, params: &PasswordParams) -> bool {
        self.params != *params
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.params;
        write!(f, "PasswordHash(argon2id, m={}, t={}, p={})", p.m_cost_kib, p.t_cost, p.p_cost)
    }
}

impl fmt::Display for PasswordHash {
    /// Prints the PHC string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.phc)
    }
}

impl core::str::FromStr for PasswordHash {
    type Err = Error;

    /// Parses an Argon2id v19 PHC string with salt and hash, and costs
    /// within the default [`CostLimits`]. Errors are [`Error::PasswordHash`].
    fn from_str(s: &str) -> Result<PasswordHash> {
        PasswordHash::parse_with_limits(s, &CostLimits::DEFAULT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(input: &str) -> Invalid {
        match input.parse::<Password>() {
            Err(Error::Invalid { kind: Kind::Password, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    fn fast() -> PasswordParams {
        PasswordParams::new(256, 1, 1).unwrap()
    }

    fn hash_err(s: &str) -> PasswordHashError {
        match s.parse::<PasswordHash>() {
            Err(Error::PasswordHash(why)) => why,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn parses_without_trimming() {
        assert_eq!(" pass word ".parse::<Password>().unwrap().expose(), " pass word ");
        assert_eq!("密码😀".parse::<Password>().unwrap().expose(), "密码😀");
        assert_ne!("secret".parse::<Password>().unwrap(), " secret".parse::<Password>().unwrap());
        assert_eq!(Password::try_from(String::from("secret")).unwrap().expose(), "secret");
        assert!("x".repeat(1024).parse::<Password>().is_ok());
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason("   "), Invalid::Empty);
        assert_eq!(reason("\u{3000}"), Invalid::Empty);
        assert_eq!(reason("pass\nword"), Invalid::Character);
        assert_eq!(reason("pass\tword"), Invalid::Character);
        assert_eq!(reason("pass\u{0}"), Invalid::Character);
        assert_eq!(reason(&"x".repeat(1025)), Invalid::TooLong { max: 1024 });
    }

    #[test]
    fn masks() {
        let p: Password = "hunter2".parse().unwrap();
        for level in MaskLevel::ALL {
            assert_eq!(p.mask(level), "******");
        }
        // Fixed, whatever the length.
        assert_eq!("x".parse::<Password>().unwrap().mask(MaskLevel::Relaxed), "******");
        assert_eq!(p.to_string(), "******");
        assert_eq!(format!("{p:?}"), "Password([REDACTED])");
        assert_eq!(p.category(), crate::Category::Sensitive);
    }

    #[test]
    fn hash_and_verify() {
        let p: Password = "correct horse".parse().unwrap();
        let h = p.hash_with(&fast()).unwrap();
        assert!(h.as_str().starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert!(!h.as_str().contains("correct"));
        assert!(h.verify(&p));
        assert!(!h.verify(&"correct horse ".parse().unwrap()));
        assert!(!h.verify(&"Correct horse".parse().unwrap()));
        // Fresh salt every time.
        let again = p.hash_with(&fast()).unwrap();
        assert_ne!(again, h);
        assert!(again.verify(&p));
        assert_eq!(format!("{h:?}"), "PasswordHash(argon2id, m=256, t=1, p=1)");
        assert_eq!(h.to_string(), h.as_str());
    }

    #[test]
    fn default_params() {
        let d = PasswordParams::default();
        assert_eq!((d.m_cost_kib(), d.t_cost(), d.p_cost()), (19 * 1024, 2, 1));
        let p: Password = "pw".parse().unwrap();
        let h = p.hash().unwrap();
        assert!(h.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(h.params(), d);
        assert!(!h.needs_rehash(&d));
    }

    #[test]
    fn phc_round_trip_and_rehash() {
        let p: Password = "pw".parse().unwrap();
        let h = p.hash_with(&fast()).unwrap();
        let back: PasswordHash = h.as_str().parse().unwrap();
        assert_eq!(back, h);
        assert_eq!(back.params(), fast());
        assert!(back.verify(&p));
        assert!(!back.needs_rehash(&fast()));
        assert!(back.needs_rehash(&PasswordParams::default()));
        assert!(back.needs_rehash(&PasswordParams::new(256, 2, 1).unwrap()));
        assert!(back.needs_rehash(&PasswordParams::new(256, 1, 2).unwrap()));
    }

    #[test]
    fn params_errors() {
        for (m, t, p) in [(4, 1, 1), (8, 0, 1), (64, 1, 0), (64, 1, 0x0100_0000), (16, 1, 4)] {
            assert!(matches!(PasswordParams::new(m, t, p), Err(Error::PasswordHash(_))), "{m} {t} {p}");
        }
    }

    #[test]
    fn phc_errors() {
        let good = "pw".parse::<Password>().unwrap().hash_with(&fast()).unwrap().to_string();
        let (_, tail) = good.split_once("$m=").unwrap();
        assert_eq!(hash_err(""), PasswordHashError::NotArgon2id);
        assert_eq!(hash_err("hunter2"), PasswordHashError::NotArgon2id);
        assert_eq!(hash_err(&good.replacen("argon2id", "argon2i", 1)), PasswordHashError::NotArgon2id);
        assert_eq!(hash_err(&good.replacen("argon2id", "argon2d", 1)), PasswordHashError::NotArgon2id);
        assert_eq!(hash_err(&format!("$argon2id$v=16$m={tail}")), PasswordHashError::UnsupportedVersion);
        assert_eq!(hash_err(&format!("$argon2id$m={tail}")), PasswordHashError::UnsupportedVersion);
        assert_eq!(hash_err("$argon2id$v=19$m=256,t=1,p=1"), PasswordHashError::PhcMissingParts);
        assert_eq!(
            hash_err("$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA"),
            PasswordHashError::PhcMissingParts
        );
        assert_eq!(hash_err(&good.replacen("m=256", "m=4", 1)), PasswordHashError::PhcParams);
        assert_eq!(hash_err(&"$".repeat(600)), PasswordHashError::NotArgon2id);
    }
}
