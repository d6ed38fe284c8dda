//! The keyring's side of access rules ([`crate::access`]): attaching them,
//! the principal-carrying opens, and the one check every open goes through.

use std::cell::Cell;
use std::sync::Arc;

use crate::access::{Access, Alarm, Principal, Revealed};
use crate::audit::{AuditEvent, Decision, Outcome, record_result};
use crate::crypto::{Context, labels};
use crate::error::{AccessError, Error, Result};
use crate::keys::{Keyring, SubjectKeyStore};
use crate::kind::{Kind, Sealable, Sensitive};
use crate::pseudo::{Dir, Domain, FormatPreserving, SuiteMac, audit_context};
use crate::seal::Sealed;

impl Keyring {
    /// Attach access rules: from now on every open needs a [`Principal`]
    /// (the `*_as` methods); the plain ones are refused with
    /// [`AccessError::NoPrincipal`]. See [`crate::access`] for an example.
    pub fn set_access(&mut self, access: Access) {
        self.access = Some(Arc::new(access));
    }

    /// The attached access rules, if any.
    pub fn access(&self) -> Option<&Access> {
        self.access.as_deref()
    }

    /// [`Keyring::open`] for `who`: the value, its masked display, or a
    /// refusal, as the attached rules decide (one audit event naming the
    /// principal, and alarm events when a budget warns). Without rules the
    /// value is opened as by `open`, and the event names the principal.
    pub fn open_as<T: Sealable>(
        &self,
        who: &Principal,
        sealed: &Sealed<T>,
        ctx: &Context,
        purpose: &str,
    ) -> Result<Revealed<T>> {
        let key_id = Cell::new(sealed.key_id());
        self.reveal(who, T::KIND, ctx, &key_id, None, purpose, || self.open_unaudited(sealed, ctx))
    }

    /// [`Keyring::open_text`] for `who`, as [`Keyring::open_as`].
    ///
    /// ```
    /// use desensitize::access::{Access, AccessRules, Principal};
    /// use desensitize::{AccessError, Context, Error, IdNumber, Keyring};
    ///
    /// let mut keyring = Keyring::generate()?;
    /// let ctx = Context::new("users", "id").with_row("7");
    /// let text = keyring.seal_text(&"11010519491231002X".parse::<IdNumber>()?, &ctx)?;
    /// keyring.set_access(Access::new(AccessRules::from_toml(
    ///     "[roles.support]\npurposes = [\"*\"]\nkinds = { id_number = \"none\" }\n",
    /// )?)?);
    /// let err = keyring.open_text_as::<IdNumber>(&Principal::new("alice", "support"), &text, &ctx, "kyc");
    /// assert_eq!(err.unwrap_err(), Error::Access(AccessError::Denied));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_text_as<T: Sealable>(
        &self,
        who: &Principal,
        text: &str,
        ctx: &Context,
        purpose: &str,
    ) -> Result<Revealed<T>> {
        let key_id = Cell::new(0);
        self.reveal(who, T::KIND, ctx, &key_id, None, purpose, || {
            let mut id = 0;
            let result = self.open_text_unaudited::<T>(text, ctx, &mut id);
            key_id.set(id);
            result
        })
    }

    /// [`Keyring::open_for`] for `who`, as [`Keyring::open_as`]; the
    /// subject is the one a budget's `subjects_per_day` counts.
    ///
    /// ```
    /// use desensitize::access::{Access, AccessRules, Principal};
    /// use desensitize::keys::InMemorySubjectStore;
    /// use desensitize::{Context, Keyring, MobilePhone};
    ///
    /// let mut keyring = Keyring::generate()?;
    /// let store = InMemorySubjectStore::new();
    /// let ctx = Context::new("users", "phone");
    /// let sealed = keyring.seal_for(&store, "user-7", &"13800138000".parse::<MobilePhone>()?, &ctx)?;
    /// keyring.set_access(Access::new(AccessRules::from_toml("[roles.r]\npurposes = [\"*\"]\ndefault = \"relaxed\"\n")?)?);
    /// let shown = keyring.open_for_as(&Principal::new("p", "r"), &store, "user-7", &sealed, &ctx, "x")?;
    /// assert_eq!(shown.display(), "138****8000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_for_as<T: Sealable>(
        &self,
        who: &Principal,
        store: &dyn SubjectKeyStore,
        subject: &str,
        sealed: &Sealed<T>,
        ctx: &Context,
        purpose: &str,
    ) -> Result<Revealed<T>> {
        let key_id = Cell::new(0);
        let open = || self.open_for_unaudited(store, subject, sealed, ctx);
        self.reveal(who, T::KIND, ctx, &key_id, Some(subject), purpose, open)
    }

    /// [`Keyring::reidentify`] for `who`, as [`Keyring::open_as`] (the
    /// context of its events and of its column rules is `fpe_domain=<domain>`).
    ///
    /// ```
    /// use desensitize::access::{Access, AccessRules, Principal};
    /// use desensitize::pseudo::Domain;
    /// use desensitize::{Keyring, MobilePhone};
    ///
    /// let mut keyring = Keyring::generate()?;
    /// let domain = Domain::new("analytics")?;
    /// let pseudo = keyring.fpe(&"13800138000".parse::<MobilePhone>()?, &domain)?;
    /// keyring.set_access(Access::new(AccessRules::from_toml("[roles.fraud]\npurposes = [\"fraud\"]\ndefault = \"full\"\n")?)?);
    /// let who = Principal::new("erin", "fraud");
    /// let original = keyring.reidentify_as(&who, &pseudo, &domain, "fraud")?.into_full().unwrap();
    /// assert_eq!(original.expose(), "13800138000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reidentify_as<T: FormatPreserving>(
        &self,
        who: &Principal,
        pseudo: &T,
        domain: &Domain,
        purpose: &str,
    ) -> Result<Revealed<T>> {
        let key_id = Cell::new(self.fpe_key_id(domain));
        let ctx = audit_context(domain);
        self.reveal(who, T::KIND, &ctx, &key_id, None, purpose, || {
            let (id, ff1) = self.fpe_key(domain, T::KIND)?;
            key_id.set(id);
            pseudo.ff1_map(&ff1, domain.name(), Dir::Decrypt)
        })
    }

    /// Record the event of an open that named no principal and pass its
    /// result on; with access rules attached the result is dropped (the
    /// plaintext wiped) and the open refused ([`AccessError::NoPrincipal`]).
    /// Every plain open path (`open`, `open_text`, `open_for`,
    /// `reidentify`) ends here.
    pub(crate) fn audited<T>(
        &self,
        kind: Kind,
        ctx: &Context,
        key_id: u32,
        subject: Option<&str>,
        purpose: &str,
        result: Result<T>,
    ) -> Result<T> {
        let event = AuditEvent::new(kind, ctx, key_id, subject, purpose, Outcome::Opened);
        match self.access {
            None => record_result(&*self.audit, event, result),
            Some(_) => {
                drop(result);
                let event = event.with_access(None, None, Decision::Refused, None);
                record_result(&*self.audit, event, Err(Error::Access(AccessError::NoPrincipal)))
            }
        }
    }

    /// The one check of every principal-carrying open: decide (role,
    /// purpose, reveal), charge the budget (alarm events first), open, mask
    /// where the decision says so, and record the decision, fail closed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn reveal<T: Sensitive>(
        &self,
        who: &Principal,
        kind: Kind,
        ctx: &Context,
        key_id: &Cell<u32>,
        subject: Option<&str>,
        purpose: &str,
        open: impl FnOnce() -> Result<T>,
    ) -> Result<Revealed<T>> {
        let event = |decision| {
            AuditEvent::new(kind, ctx, key_id.get(), subject, purpose, Outcome::Opened).with_access(
                Some(who.name()),
                Some(who.role()),
                decision,
                who.os_user(),
            )
        };
        let Some(access) = self.access.as_deref() else {
            return record_result(&*self.audit, event(Decision::Allowed), open().map(Revealed::Full));
        };
        let decided = access.decide(who, kind, ctx, purpose).and_then(|reveal| {
            let digest = self.subject_digest(access, who, subject, ctx)?;
            Ok((reveal, access.charge(who, digest.as_deref())?))
        });
        let (reveal, alarms) = match decided {
            Ok(d) => d,
            Err(e) => return record_result(&*self.audit, event(Decision::Refused), Err(e)),
        };
        for (limit, used, max) in alarms {
            self.audit.record(&event(Decision::Alarm(limit))).map_err(Error::AuditFailed)?;
            access.raise(&Alarm { principal: who.name(), role: who.role(), limit, used, max });
        }
        let result = open().map(|value| match reveal.mask_level() {
            Some(level) => Revealed::Masked(value.mask(level)),
            None => Revealed::Full(value),
        });
        let decision = match result {
            Ok(Revealed::Masked(_)) => Decision::Masked,
            _ => Decision::Allowed,
        };
        record_result(&*self.audit, event(decision), result)
    }

    /// The keyed digest (HMAC-SHA256 under a key derived from the active
    /// root key, 128 bits, hex) of the subject a budget counts: `subject`,
    /// else the context's `row`. `None` when the budget counts no subjects
    /// or no subject is known.
    fn subject_digest(
        &self,
        access: &Access,
        who: &Principal,
        subject: Option<&str>,
        ctx: &Context,
    ) -> Result<Option<String>> {
        if !access.counts_subjects(who) {
            return Ok(None);
        }
        let row = || ctx.fields().find(|(name, _)| *name == "row").map(|(_, v)| v);
        let Some(subject) = subject.or_else(row) else { return Ok(None) };
        let (key_id, key) = self.derive_active(&[labels::ACCESS_SUBJECT])?;
        let mut mac = SuiteMac::new(self.suite_of(key_id).unwrap_or_default(), &key)?;
        mac.update(subject.as_bytes());
        let tag = mac.finalize_bytes();
        Ok(Some(tag[..16].iter().map(|b| format!("{b:02x}")).collect()))
    }
}
