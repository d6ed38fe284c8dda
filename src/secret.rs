//! The plaintext buffer every kind keeps its value in.

use core::hash::{Hash, Hasher};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A string that is wiped on drop and compared in constant time.
///
/// It deliberately implements neither `Debug` nor `Display`: the only way to
/// read it is [`SecretString::as_str`], which stays crate-private.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SecretString(String);

impl SecretString {
    pub(crate) fn new(s: String) -> Self {
        SecretString(s)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<zeroize::Zeroizing<String>> for SecretString {
    /// Moves the buffer (no copy): the emptied `Zeroizing` has nothing left to wipe.
    fn from(mut s: zeroize::Zeroizing<String>) -> Self {
        SecretString(core::mem::take(&mut *s))
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        // `ct_eq` on slices of different length returns false without
        // looking at the contents; lengths of values are not secret here.
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretString {}

impl Hash for SecretString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Bytes that are wiped on drop and compared in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub(crate) fn new(b: Vec<u8>) -> Self {
        SecretBytes(b)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SecretBytes {}

impl Hash for SecretBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}
