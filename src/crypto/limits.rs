//! Caps on the Argon2id cost that stored data (a keyring file, a PHC
//! string) may ask of us, checked before any Argon2id work.

/// The largest Argon2id cost a reader accepts from stored data.
///
/// A keyring file and a password hash carry their own Argon2id parameters,
/// so whoever can write them chooses how much memory and time reading them
/// costs. [`PassphraseProvider`](crate::keys::PassphraseProvider) and
/// [`PasswordHash`](crate::PasswordHash) refuse parameters above these
/// limits before running Argon2id, with
/// [`KeyringFileError::CostTooHigh`](crate::KeyringFileError::CostTooHigh)
/// and `Error::PasswordHash(PasswordHashError::CostAboveLimits)`.
///
/// The defaults (each a public field):
///
/// | Field | Default | Why |
/// |---|---|---|
/// | `max_m_cost_kib` | 1 048 576 (1 GiB) | RFC 9106's memory-hard option is 2 GiB; 1 GiB is what a server may spare for a login or an unlock |
/// | `max_t_cost` | 10 passes | OWASP and RFC 9106 settings use 1 to 5 |
/// | `max_p_cost` | 16 lanes | RFC 9106 uses 4; this crate hashes on one thread, so lanes add time, not speed |
/// | `max_work` | 2 097 152 (2 GiB·pass) | memory × passes: caps the time of the worst accepted file (about 20 s on a slow machine) |
///
/// The crate's own defaults (19 MiB, 2 passes, 1 lane) are far inside.
///
/// ```
/// use desensitize::keys::{CostLimits, PassphraseProvider};
/// use desensitize::{Error, KeyringFileError};
///
/// let limits = CostLimits::default();
/// assert_eq!(limits.max_m_cost_kib, 1 << 20);
/// assert!(limits.allows(19 * 1024, 2, 1));
/// assert!(!limits.allows(4 << 20, 1, 1)); // 4 GiB
///
/// // A reader that accepts at most 64 MiB:
/// let tight = CostLimits { max_m_cost_kib: 64 * 1024, ..CostLimits::default() };
/// let provider = PassphraseProvider::new("correct horse battery staple")?.with_limits(tight)?;
/// // ...and a provider never accepts limits its own parameters break.
/// let tighter = CostLimits { max_m_cost_kib: 1024, ..CostLimits::default() };
/// assert_eq!(provider.with_limits(tighter).err(), Some(Error::KeyringFile(KeyringFileError::CostTooHigh)));
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CostLimits {
    /// Largest memory cost, in KiB.
    pub max_m_cost_kib: u32,
    /// Largest number of passes.
    pub max_t_cost: u32,
    /// Largest number of lanes.
    pub max_p_cost: u32,
    /// Largest memory × passes, in KiB·passes.
    pub max_work: u64,
}

impl CostLimits {
    /// The default limits (see the table above).
    pub const DEFAULT: CostLimits =
        CostLimits { max_m_cost_kib: 1 << 20, max_t_cost: 10, max_p_cost: 16, max_work: 2 << 20 };

    /// Whether memory `m_cost_kib`, `t_cost` passes and `p_cost` lanes are
    /// within these limits (it does not check that Argon2id accepts them).
    pub fn allows(&self, m_cost_kib: u32, t_cost: u32, p_cost: u32) -> bool {
        m_cost_kib <= self.max_m_cost_kib
            && t_cost <= self.max_t_cost
            && p_cost <= self.max_p_cost
            && u64::from(m_cost_kib) * u64::from(t_cost) <= self.max_work
    }
}

impl Default for CostLimits {
    fn default() -> CostLimits {
        CostLimits::DEFAULT
    }
}
