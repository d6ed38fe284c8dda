//! Keys of a chosen cipher suite ([`Suite`]): generating, adding and
//! rotating to one. Everything else reads the suite from the key entry.

use crate::error::{Error, KeyError, Result};
use crate::keys::{KeyState, Keyring, RootKey, Suite};

impl Keyring {
    /// A keyring with one fresh active key (id 1) of `suite`.
    ///
    /// ```
    /// use desensitize::keys::Suite;
    /// use desensitize::{Context, Keyring, MobilePhone};
    ///
    /// let keyring = Keyring::generate_with(Suite::Gm)?;
    /// assert_eq!(keyring.keys()[0].suite, Suite::Gm);
    /// let ctx = Context::new("users", "phone");
    /// let phone: MobilePhone = "13800138000".parse()?;
    /// let sealed = keyring.seal(&phone, &ctx)?; // SM4-GCM
    /// assert_eq!(keyring.open(&sealed, &ctx, "test")?, phone);
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn generate_with(suite: Suite) -> Result<Keyring> {
        let mut k = Keyring::new();
        k.add_key_with_suite(1, RootKey::generate()?, KeyState::Active, suite)?;
        Ok(k)
    }

    /// [`Keyring::add_key`] for a key of `suite` (`add_key` adds `aes` keys).
    ///
    /// ```
    /// use desensitize::keys::{KeyState, RootKey, Suite};
    /// use desensitize::Keyring;
    ///
    /// let mut keyring = Keyring::new();
    /// keyring.add_key_with_suite(3, RootKey::from_bytes([7; 32]), KeyState::Active, Suite::Gm)?;
    /// assert_eq!(keyring.suite_of(3), Some(Suite::Gm));
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn add_key_with_suite(&mut self, id: u32, key: RootKey, state: KeyState, suite: Suite) -> Result<()> {
        self.insert_in(id, Some(key), state, 0, suite)
    }

    /// Add a fresh random key of `suite` as the active key (its id one above
    /// the highest); the previous active key becomes decrypt-only. Returns
    /// the new id. This is how a keyring moves from `aes` to `gm`: rotate to
    /// `gm`, re-seal ([`Keyring::reseal_all`], `desensitize db rotate`),
    /// then destroy the old key.
    ///
    /// ```
    /// use desensitize::keys::Suite;
    /// use desensitize::{Context, Keyring, MobilePhone};
    ///
    /// let mut keyring = Keyring::generate()?; // aes
    /// let ctx = Context::new("users", "phone");
    /// let old = keyring.seal(&"13800138000".parse::<MobilePhone>()?, &ctx)?;
    /// let id = keyring.rotate_to(Suite::Gm)?;
    /// assert_eq!(keyring.suite_of(id), Some(Suite::Gm));
    /// let moved = keyring.reseal(&old, &ctx)?;
    /// assert_eq!(moved.key_id(), id);
    /// keyring.destroy(1, 0)?;
    /// assert_eq!(keyring.open(&moved, &ctx, "test")?.expose(), "13800138000");
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn rotate_to(&mut self, suite: Suite) -> Result<u32> {
        let id = self
            .keys
            .iter()
            .map(|k| k.id)
            .max()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(Error::Key(KeyError::IdsExhausted))?;
        self.add_key_with_suite(id, RootKey::generate()?, KeyState::Active, suite)?;
        Ok(id)
    }

    /// The suite of key `id`, if the keyring has that key.
    ///
    /// ```
    /// use desensitize::Keyring;
    /// use desensitize::keys::Suite;
    ///
    /// let keyring = Keyring::generate()?;
    /// assert_eq!(keyring.suite_of(1), Some(Suite::Aes));
    /// assert_eq!(keyring.suite_of(2), None);
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn suite_of(&self, id: u32) -> Option<Suite> {
        self.keys.iter().find(|k| k.id == id).map(|k| k.suite)
    }
}
