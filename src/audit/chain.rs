//! The chained audit line (SPEC.md "Chained audit log"): the MAC keys a
//! keyring derives for its audit log, and the one encoder and parser of a
//! chained line and of a checkpoint line, shared by the writer
//! ([`ChainedAudit`](super::ChainedAudit)) and the verifier
//! ([`verify_chain`](super::verify_chain)).
//!
//! A chained line is the event's JSON object with two more members, `seq`
//! (its 1-based line number in the chain) and `mac_key` (the id of the root
//! key its MAC key comes from), serialized (the *body*), with
//! `,"mac":"<64 lowercase hex>"` inserted before the body's final `}`:
//!
//! ```text
//! mac = HMAC-H(K_chain, prev_mac || body)     prev_mac = 32 zero bytes on line 1
//! ```
//!
//! with `H` and the HKDF of `K_chain` those of the `mac_key`'s suite:
//! SHA-256 for `aes`, SM3 for `gm` (SPEC.md §11.2).
//!
//! so the MAC covers the exact bytes written, and the verifier recovers the
//! body by cutting the fixed-length suffix off: no re-serialization.

use std::io::BufRead;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::VerifyError;
use crate::crypto::labels::AUDIT;
use crate::crypto::mac::SuiteMac;
use crate::crypto::material::derive_in;
use crate::crypto::{KEY_LEN, RootKey, Suite};

/// Length of a MAC (HMAC-SHA256 or HMAC-SM3).
pub(crate) const MAC_LEN: usize = 32;
/// `,"mac":"` + 64 hex digits + `"}`.
const SUFFIX_LEN: usize = 8 + 2 * MAC_LEN + 2;
/// The longest line the writer reads back and the verifier accepts: a
/// longer one is refused (an untrusted file cannot make either allocate
/// without bound).
pub(crate) const MAX_LINE: usize = 1 << 20;

/// The audit MAC keys of a keyring: for every root key that is not
/// destroyed, `K_chain = HKDF(root, ["desensitize.audit", "chain"])` and
/// `K_checkpoint = HKDF(root, ["desensitize.audit", "checkpoint"])`, and
/// which of them is the active one (the writer's). The HKDF and the HMAC
/// are the root key's suite's: SHA-256 for `aes`, SM3 for `gm`.
///
/// Get them with [`Keyring::audit_keys`](crate::Keyring::audit_keys). Never
/// `Clone`, never `Debug`; wiped on drop. Lines written under a key that is
/// later destroyed can no longer be verified: verify (and archive) the log
/// before destroying a key.
///
/// ```
/// let keyring = desensitize::Keyring::generate()?;
/// let keys = keyring.audit_keys();
/// assert_eq!(keys.active_key_id(), keyring.active_key_id());
/// assert_eq!(keys.key_ids(), vec![1]);
/// # Ok::<(), desensitize::Error>(())
/// ```
pub struct AuditKeys {
    active: Option<u32>,
    keys: Vec<(u32, MacKeys)>,
}

/// The two MAC keys under one root key, and its suite.
struct MacKeys {
    suite: Suite,
    chain: Zeroizing<[u8; KEY_LEN]>,
    checkpoint: Zeroizing<[u8; KEY_LEN]>,
}

impl AuditKeys {
    /// Derive the keys of `roots` (id, root key, its suite); `active` is the writer's.
    pub(crate) fn derive<'a>(
        active: Option<u32>,
        roots: impl Iterator<Item = (u32, &'a RootKey, Suite)>,
    ) -> AuditKeys {
        let keys = roots
            .map(|(id, root, suite)| {
                let keys = MacKeys {
                    suite,
                    chain: derive_in(suite, root.as_bytes(), &[AUDIT, b"chain"]),
                    checkpoint: derive_in(suite, root.as_bytes(), &[AUDIT, b"checkpoint"]),
                };
                (id, keys)
            })
            .collect();
        AuditKeys { active, keys }
    }

    /// The id of the root key new lines are MACed under, if the keyring has
    /// an active key.
    pub fn active_key_id(&self) -> Option<u32> {
        self.active.filter(|id| self.find(*id).is_some())
    }

    /// The ids of every key lines can be verified under, ascending.
    pub fn key_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.keys.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids
    }

    fn find(&self, id: u32) -> Option<&MacKeys> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, keys)| keys)
    }

    /// The MAC of a line with `body` after a line whose MAC is `prev`, under
    /// key `id` (`None`: no such key).
    pub(crate) fn line_mac(&self, id: u32, prev: &[u8; MAC_LEN], body: &[&[u8]]) -> Option<[u8; MAC_LEN]> {
        let keys = self.find(id)?;
        Some(mac(keys.suite, &keys.chain, &[&[prev.as_slice()], body].concat()))
    }

    /// The MAC of a checkpoint line with `body`, under key `id`.
    pub(crate) fn checkpoint_mac(&self, id: u32, body: &[&[u8]]) -> Option<[u8; MAC_LEN]> {
        let keys = self.find(id)?;
        Some(mac(keys.suite, &keys.checkpoint, body))
    }
}

/// The suite's HMAC of `parts` under `key`.
fn mac(suite: Suite, key: &[u8; KEY_LEN], parts: &[&[u8]]) -> [u8; MAC_LEN] {
    // A 32-byte key is always accepted by HMAC.
    let mut m = SuiteMac::new(suite, key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    for p in parts {
        m.update(p);
    }
    m.finalize_bytes()
}

/// Constant-time equality of two MACs.
pub(crate) fn same_mac(a: &[u8; MAC_LEN], b: &[u8; MAC_LEN]) -> bool {
    a.ct_eq(b).into()
}

/// The body of a JSON object `value` with `extra` members added, serialized.
pub(crate) fn body_with(value: serde_json::Value, extra: &[(&str, serde_json::Value)]) -> Vec<u8> {
    let mut map = match value {
        serde_json::Value::Object(map) => map,
        other => {
            let mut map = serde_json::Map::new();
            map.insert("event".to_owned(), other);
            map
        }
    };
    for (k, v) in extra {
        map.insert((*k).to_owned(), v.clone());
    }
    serde_json::Value::Object(map).to_string().into_bytes()
}

/// `body` (a serialized JSON object) with its MAC inserted, and a newline.
pub(crate) fn seal_line(body: &[u8], mac: &[u8; MAC_LEN]) -> Vec<u8> {
    let open = &body[..body.len().saturating_sub(1)];
    let mut line = Vec::with_capacity(open.len() + SUFFIX_LEN + 1);
    line.extend_from_slice(open);
    // An empty object gets no leading comma.
    line.extend_from_slice(if open.ends_with(b"{") { b"\"mac\":\"" } else { b",\"mac\":\"" });
    line.extend_from_slice(hex(mac).as_bytes());
    line.extend_from_slice(b"\"}\n");
    line
}

/// A line (without its newline) split into the body's bytes before its
/// final `}` and the MAC, or `None` when it does not end in a MAC member.
/// The body is `open` followed by `}`.
pub(crate) fn split_line(line: &[u8]) -> Option<(&[u8], [u8; MAC_LEN])> {
    let cut = line.len().checked_sub(SUFFIX_LEN)?;
    let (open, suffix) = line.split_at(cut);
    let digits = suffix.strip_prefix(b",\"mac\":\"")?.strip_suffix(b"\"}")?;
    let mac = unhex(digits)?;
    if !open.starts_with(b"{") || open.len() < 2 {
        return None;
    }
    Some((open, mac))
}

/// Call `f` with each line of `log`, its newline kept (none on a last line
/// cut off), or with `None` for a line over [`MAX_LINE`] bytes, which is
/// skipped without being held in memory: the one line reader of
/// [`verify_chain`](super::verify_chain) and [`summarize`](super::summarize).
pub(crate) fn for_each_line(
    mut log: impl BufRead,
    mut f: impl FnMut(Option<&[u8]>),
) -> Result<(), VerifyError> {
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = std::io::Read::take(&mut log, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| VerifyError::Read(e.kind()))?;
        if n == 0 {
            return Ok(());
        }
        if n > MAX_LINE && !line.ends_with(b"\n") {
            f(None);
            skip_line(&mut log)?;
        } else {
            f(Some(&line));
        }
    }
}

/// Read past the rest of an overlong line.
fn skip_line(log: &mut impl BufRead) -> Result<(), VerifyError> {
    loop {
        let buf = log.fill_buf().map_err(|e| VerifyError::Read(e.kind()))?;
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            log.consume(i + 1);
            return Ok(());
        }
        let n = buf.len();
        log.consume(n);
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)] as char, DIGITS[usize::from(b & 15)] as char])
        .collect()
}

/// 64 lowercase hex digits back to 32 bytes.
pub(crate) fn unhex(digits: &[u8]) -> Option<[u8; MAC_LEN]> {
    if digits.len() != 2 * MAC_LEN {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; MAC_LEN];
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *o = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_splits_back_into_its_body_and_mac() {
        let body = br#"{"kind":"cn.mobile_phone","seq":1}"#;
        let mac = [0xab; MAC_LEN];
        let line = seal_line(body, &mac);
        let text = String::from_utf8(line.clone()).unwrap();
        assert_eq!(
            text,
            format!("{{\"kind\":\"cn.mobile_phone\",\"seq\":1,\"mac\":\"{}\"}}\n", "ab".repeat(32))
        );
        let (open, back) = split_line(&line[..line.len() - 1]).unwrap();
        assert_eq!(back, mac);
        assert_eq!([open, b"}"].concat(), body);
        assert!(serde_json::from_slice::<serde_json::Value>(&line).is_ok());
    }

    #[test]
    fn lines_without_a_mac_member_do_not_split() {
        assert!(split_line(br#"{"kind":"x"}"#).is_none());
        let upper = format!("{{\"a\":1,\"mac\":\"{}\"}}", "AB".repeat(32));
        assert!(split_line(upper.as_bytes()).is_none());
        assert_eq!(unhex(b"0f".repeat(32).as_slice()), Some([0x0f; 32]));
        assert_eq!(hex(&[0, 255]), "00ff");
    }

    #[test]
    fn chain_and_checkpoint_keys_differ_and_depend_on_the_root() {
        let one = RootKey::from_bytes([1; 32]);
        let two = RootKey::from_bytes([2; 32]);
        let keys = AuditKeys::derive(Some(1), [(1, &one, Suite::Aes), (2, &two, Suite::Aes)].into_iter());
        let prev = [0u8; MAC_LEN];
        let a = keys.line_mac(1, &prev, &[b"{}"]).unwrap();
        assert_ne!(Some(a), keys.line_mac(2, &prev, &[b"{}"]));
        assert_ne!(Some(a), keys.checkpoint_mac(1, &[prev.as_slice(), b"{}"]));
        assert_eq!(keys.line_mac(3, &prev, &[b"{}"]), None);
        assert_eq!((keys.active_key_id(), keys.key_ids()), (Some(1), vec![1, 2]));
    }
}
