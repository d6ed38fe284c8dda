//! The HKDF labels (SPEC.md §2): the first field of every `info` the crate
//! derives a working key with, one per key family, so that no two families
//! can ever share a key. All of them are here, so that a new family is
//! checked against every other one.

/// Sealing keys: `[SEAL, kind id, scope encoding]` under a root or subject key.
pub const SEAL: &[u8] = b"desensitize.seal";
/// v2 sealing keys (the XAES-256-GCM or SM4 extended-nonce key):
/// `[SEAL_V2, kind id, scope encoding]` under a root key.
pub const SEAL_V2: &[u8] = b"desensitize.seal.v2";
/// Keyed context-check keys of v2 envelopes: `[CONTEXT_CHECK, kind id,
/// scope encoding]` under a root key, beside the v2 sealing key.
pub const CONTEXT_CHECK: &[u8] = b"desensitize.context.check";
/// Token keys: `[PSEUDONYM, domain]`.
pub const PSEUDONYM: &[u8] = b"desensitize.pseudonym";
/// Blind-index keys: `[BLIND_INDEX, domain, kind id, transform]`.
pub const BLIND_INDEX: &[u8] = b"desensitize.blind_index";
/// FF1 keys: `[FPE, domain, kind id]`.
pub const FPE: &[u8] = b"desensitize.fpe";
/// The key that wraps subject data keys: `[WRAP, "subject"]`.
pub const WRAP: &[u8] = b"desensitize.wrap";
/// The keyring file's passphrase check: `[KEYRING_CHECK]` under the KEK.
pub const KEYRING_CHECK: &[u8] = b"desensitize.keyring.check";
/// The keyring file's payload key: `[KEYRING_WRAP]` under the KEK.
pub const KEYRING_WRAP: &[u8] = b"desensitize.keyring.wrap";
/// The key of reveal budgets' subject digests: `[ACCESS_SUBJECT]`.
pub const ACCESS_SUBJECT: &[u8] = b"desensitize.access.subject";
/// The audit log's MAC keys: `[AUDIT, "chain"]` and `[AUDIT, "checkpoint"]`.
pub const AUDIT: &[u8] = b"desensitize.audit";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_its_own_label() {
        let all = [
            SEAL,
            SEAL_V2,
            CONTEXT_CHECK,
            PSEUDONYM,
            BLIND_INDEX,
            FPE,
            WRAP,
            KEYRING_CHECK,
            KEYRING_WRAP,
            ACCESS_SUBJECT,
            AUDIT,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(a.starts_with(b"desensitize."));
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
