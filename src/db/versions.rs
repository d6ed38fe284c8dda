//! A blind index under every live key version, for lookups during a change.

use core::fmt;

use crate::error::{ConfigError, Error, Result};
use crate::pseudo::{BlindIndex, Pseudonymizable};

/// The versions of one blind index that rows may hold while a rotation job
/// moves them from the old version to the new: a lookup searches for the
/// value's index under each, so it keeps finding every row mid-rotation
/// (rows the job already moved hold the new index, the others the old).
/// The candidates are opened and compared anyway (a blind index has false
/// positives by design), so searching two versions costs a few more of them.
///
/// Build the versions from the keyring as it is pinned before and after the
/// change; write new rows with [`IndexVersions::current`].
///
/// ```
/// use desensitize::db::IndexVersions;
/// use desensitize::pseudo::{Domain, Transform};
/// use desensitize::{Keyring, MobilePhone};
///
/// let mut keyring = Keyring::generate()?;
/// let domain = Domain::new("users.phone")?;
/// keyring.pin(&domain, 1)?;
/// let old = keyring.blind_index::<MobilePhone>(&domain, Transform::Full, 16)?;
/// let new_key = keyring.rotate()?;
/// keyring.pin(&domain, new_key)?;
/// let new = keyring.blind_index::<MobilePhone>(&domain, Transform::Full, 16)?;
///
/// let versions = IndexVersions::new(vec![old.clone(), new.clone()])?;
/// let phone: MobilePhone = "13800138000".parse()?;
/// let candidates = versions.candidates(&phone);
/// assert!(candidates.contains(&(old.compute(&phone).value() as i64)));
/// assert!(candidates.contains(&(new.compute(&phone).value() as i64)));
/// assert_eq!(versions.current().key_id(), new_key);
/// # Ok::<(), desensitize::Error>(())
/// ```
pub struct IndexVersions<T> {
    versions: Vec<BlindIndex<T>>,
}

impl<T> fmt::Debug for IndexVersions<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.versions).finish()
    }
}

impl<T: Pseudonymizable> IndexVersions<T> {
    /// The live versions, oldest first; the last one is current. All must
    /// have the same length in bits (one BIGINT column holds them).
    pub fn new(versions: Vec<BlindIndex<T>>) -> Result<IndexVersions<T>> {
        let first = versions.first().ok_or(Error::Config(ConfigError::NoIndexVersion))?;
        if versions.iter().any(|v| v.bits() != first.bits()) {
            return Err(Error::Config(ConfigError::IndexVersionBits));
        }
        Ok(IndexVersions { versions })
    }

    /// The version new rows are written with (the last).
    pub fn current(&self) -> &BlindIndex<T> {
        // `new` refuses an empty list.
        &self.versions[self.versions.len() - 1]
    }

    /// The BIGINT values to search for (`WHERE idx = ANY($1)`): the value's
    /// index under every live version, without duplicates.
    pub fn candidates(&self, value: &T) -> Vec<i64> {
        let mut out: Vec<i64> = self.versions.iter().map(|v| v.compute(value).value() as i64).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
