//! [`Keyring::audit_keys`]: the MAC keys of the tamper-evident audit log
//! ([`crate::audit::ChainedAudit`]), derived from the root keys.

use crate::audit::AuditKeys;
use crate::keys::{KeyState, Keyring};

impl Keyring {
    /// The audit log's MAC keys (HKDF label `desensitize.audit`, SPEC.md
    /// "Chained audit log"; the HKDF and HMAC of each key's suite), one
    /// pair per root key that is not destroyed;
    /// the active key's MACs new lines. Give them to
    /// [`ChainedAudit::open`](crate::audit::ChainedAudit::open) to write a
    /// log and to [`verify_chain`](crate::audit::verify_chain) to check one.
    ///
    /// ```
    /// let mut keyring = desensitize::Keyring::generate()?;
    /// keyring.rotate()?;
    /// let keys = keyring.audit_keys();
    /// assert_eq!((keys.active_key_id(), keys.key_ids()), (Some(2), vec![1, 2]));
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn audit_keys(&self) -> AuditKeys {
        let roots = self
            .keys
            .iter()
            .filter(|k| k.state != KeyState::Destroyed)
            .filter_map(|k| Some((k.id, k.root.as_ref()?, k.suite)));
        AuditKeys::derive(self.active_key_id(), roots)
    }
}
