//! `Keyring`: loaded once per process and source, and cached (`cache`), so
//! that Spark executors run Argon2id once rather than per task or batch,
//! while every open still proves the passphrase or provider. It pickles as
//! *where it came from* (path and passphrase source, or variable names),
//! never as key material: an executor reopens it from its own file or
//! environment.

use std::path::PathBuf;
use std::sync::Arc;

use desensitize::access::{Access, AccessRules, FileCounter, Principal};
use desensitize::audit::{AuditLogError, ChainedAudit, StderrAudit};
use desensitize::keys::{
    DataKey, KeyProvider, PassphraseError, PassphraseProvider, PassphraseSource, Suite, WrappedKey,
};
use desensitize::{KeyError, Keyring};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use zeroize::Zeroizing;

use crate::cache::{self, FileStamp, Proof, Source};
use crate::error::{DesensitizeError, lib_err};

/// A Python object as the library's [`KeyProvider`]: its `id` attribute,
/// `wrap(bytes) -> bytes` and `unwrap(bytes) -> bytes` (32-byte data keys),
/// e.g. calls to AWS KMS `Encrypt`/`Decrypt` or Vault Transit; and, when it
/// has one, `wrap_in(bytes, suite) -> bytes`, given the keyring file's suite
/// (`"aes"` or `"gm"`, SPEC.md §6.5) so that a `gm` deployment can wrap
/// under an SM4 key of its KMS.
struct PyProvider {
    id: String,
    obj: Py<PyAny>,
}

impl PyProvider {
    fn new(obj: &Bound<'_, PyAny>) -> PyResult<PyProvider> {
        let id: String = obj.getattr("id")?.extract()?;
        Ok(PyProvider { id, obj: obj.clone().unbind() })
    }

    fn call(&self, method: &str, bytes: &[u8]) -> desensitize::Result<Zeroizing<Vec<u8>>> {
        self.call_with(method, bytes, None)
    }

    /// `method(bytes)`, or `method(bytes, suite)` when `suite` is given.
    fn call_with(
        &self,
        method: &str,
        bytes: &[u8],
        suite: Option<&str>,
    ) -> desensitize::Result<Zeroizing<Vec<u8>>> {
        Python::attach(|py| {
            let obj = self.obj.bind(py);
            let key = PyBytes::new(py, bytes);
            let out = match suite {
                Some(s) => obj.call_method1(method, (key, s))?,
                None => obj.call_method1(method, (key,))?,
            };
            Ok::<_, PyErr>(Zeroizing::new(out.cast::<PyBytes>()?.as_bytes().to_vec()))
        })
        .map_err(|_| desensitize::Error::Key(KeyError::ProviderFailed))
    }
}

impl KeyProvider for PyProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, key: &DataKey) -> desensitize::Result<WrappedKey> {
        Ok(WrappedKey::from_bytes(self.call("wrap", key.expose_bytes())?.to_vec()))
    }

    /// The object's `wrap_in(key, suite)` when it has one, else `wrap(key)`.
    fn wrap_in(&self, key: &DataKey, suite: Suite) -> desensitize::Result<WrappedKey> {
        let has = Python::attach(|py| self.obj.bind(py).hasattr("wrap_in").unwrap_or(false));
        if !has {
            return self.wrap(key);
        }
        Ok(WrappedKey::from_bytes(
            self.call_with("wrap_in", key.expose_bytes(), Some(suite.as_str()))?.to_vec(),
        ))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> desensitize::Result<DataKey> {
        let bytes = self.call("unwrap", wrapped.as_bytes())?;
        let key: [u8; 32] =
            bytes.as_slice().try_into().map_err(|_| desensitize::Error::Key(KeyError::ProviderKeyLength))?;
        Ok(DataKey::from_bytes(Zeroizing::new(key)))
    }
}

/// A keyring of root keys, for `seal`, `open`, `pseudonym`, `blind_index`,
/// `fpe`, `reidentify` and `protect`. Its repr shows key ids and states
/// only; it pickles as its source (path or variable names), so a Spark
/// closure ships no key material.
#[pyclass(name = "Keyring", module = "desensitize", frozen)]
pub struct PyKeyring {
    pub(crate) inner: Arc<Keyring>,
    source: Source,
    /// The key provider it was opened with (pickled with it).
    provider: Option<Py<PyAny>>,
    /// Opened with `access=`: never cached, never pickled (an unpickled copy
    /// would open without the rules).
    restricted: bool,
}

/// `access=RULES` and `counter=FILE` of `Keyring.open` / `from_env`: the
/// library's access rules attached to the keyring (`desensitize::access`).
type AccessSpec = (PathBuf, Option<PathBuf>);

fn attach_access(keyring: &mut Keyring, (rules, counter): &AccessSpec) -> PyResult<()> {
    let text = std::fs::read_to_string(rules)
        .map_err(|e| DesensitizeError::new_err(format!("access rules {}: {}", rules.display(), e.kind())))?;
    let parsed = match rules.extension().and_then(|e| e.to_str()) {
        Some("json") => AccessRules::from_json(&text),
        _ => AccessRules::from_toml(&text),
    };
    let parsed =
        parsed.map_err(|e| PyValueError::new_err(format!("access rules {}: {e}", rules.display())))?;
    let budgets = parsed.roles.values().any(|r| r.budget.is_some());
    let mut access = Access::new(parsed).map_err(|e| PyValueError::new_err(e.to_string()))?;
    match counter {
        Some(file) => access = access.with_counter(Arc::new(FileCounter::new(file))),
        None if budgets => {
            return Err(PyValueError::new_err(
                "the access rules set budgets: give counter=FILE, the count shared by every process",
            ));
        }
        None => {}
    }
    keyring.set_access(access);
    Ok(())
}

fn access_spec(access: Option<PathBuf>, counter: Option<PathBuf>) -> PyResult<Option<AccessSpec>> {
    match (access, counter) {
        (Some(rules), counter) => Ok(Some((rules, counter))),
        (None, Some(_)) => Err(PyValueError::new_err("counter= needs access=")),
        (None, None) => Ok(None),
    }
}

/// The passphrase from a file or a variable, read by the library
/// ([`PassphraseSource`], as the CLI does); messages never hold it. A
/// passphrase file that others can read gives the CLI's warning, as a
/// Python `UserWarning` (on every read, cached keyring or not; Python's
/// filters decide how often it shows).
fn passphrase(py: Python<'_>, file: Option<&PathBuf>, env: Option<&str>) -> PyResult<Zeroizing<String>> {
    let source = match (file, env) {
        (Some(path), None) => PassphraseSource::File(path.clone()),
        (None, Some(var)) => PassphraseSource::Env(var.to_owned()),
        _ => return Err(PyValueError::new_err("give exactly one of passphrase_file= and passphrase_env=")),
    };
    let (pass, warning) = source.read_checked().map_err(|e| {
        DesensitizeError::new_err(match (e, file, env) {
            (PassphraseError::Unreadable(kind), Some(path), _) => {
                format!("cannot read passphrase file {}: {kind}", path.display())
            }
            (PassphraseError::NotText, Some(path), _) => {
                format!("cannot read passphrase file {}: {}", path.display(), std::io::ErrorKind::InvalidData)
            }
            (_, Some(path), _) => format!(
                "the passphrase file {} is empty: write the passphrase on its first line",
                path.display()
            ),
            (_, None, Some(var)) => format!("the environment variable {var} is not set"),
            _ => e.to_string(),
        })
    })?;
    if let (Some(warning), Some(path)) = (warning, file) {
        // The CLI's text: `<path>: the passphrase file can be read by ...`.
        let message = std::ffi::CString::new(format!("{}: {warning}", path.display())).unwrap_or_default();
        let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
        PyErr::warn(py, &category, &message, 1)?;
    }
    Ok(pass)
}

fn with_audit(mut keyring: Keyring, audit_log: Option<&PathBuf>) -> PyResult<Keyring> {
    // Seals are recorded in the keyring file's ledger (when it has one)
    // under this name; see `PyKeyring::record_seals`.
    keyring.set_ledger_label("python");
    // Every open and reidentify is recorded, or raises and returns nothing:
    // to a file when given, else to standard error, through the library's
    // sinks (as `desensitize open` does). The file is created 0600, never
    // through a symbolic link, never a device that records nothing; standard
    // error is checked at every event (closed or /dev/null: the open raises).
    match audit_log {
        Some(path) => {
            // Chained (tamper-evident) under the keyring's audit keys, as the CLI's.
            let log = ChainedAudit::open(path, keyring.audit_keys()).map_err(|e| {
                DesensitizeError::new_err(match e {
                    AuditLogError::Open(kind) => format!("cannot open audit log {}: {kind}", path.display()),
                    other => format!("audit log {}: {other}", path.display()),
                })
            })?;
            keyring.set_audit_sink(Arc::new(log));
        }
        None => keyring.set_audit_sink(Arc::new(StderrAudit)),
    }
    Ok(keyring)
}

/// Load `source`: with `pass` (read by the caller) for a passphrase file,
/// through `provider` for a provider's.
fn load(source: &Source, pass: Option<&str>, provider: Option<&PyProvider>) -> PyResult<Keyring> {
    match source {
        Source::Provider { path, audit_log, .. } => {
            let provider = provider.ok_or_else(|| PyValueError::new_err("no key provider"))?;
            let keyring = Keyring::load(path, provider)
                .map_err(|e| DesensitizeError::new_err(format!("keyring file {}: {e}", path.display())))?;
            with_audit(keyring, audit_log.as_ref())
        }
        Source::File { path, audit_log, .. } => {
            let pass = pass.ok_or_else(|| PyValueError::new_err("no passphrase"))?;
            let provider = PassphraseProvider::new(pass).map_err(lib_err)?;
            let keyring = Keyring::load(path, &provider).map_err(|e| match e {
                desensitize::Error::Io(kind) => {
                    DesensitizeError::new_err(format!("keyring file {}: {kind}", path.display()))
                }
                other => DesensitizeError::new_err(format!("keyring file {}: {other}", path.display())),
            })?;
            with_audit(keyring, audit_log.as_ref())
        }
        Source::Env { key_var, id_var, audit_log } => {
            with_audit(Keyring::from_env_vars(key_var, id_var).map_err(lib_err)?, audit_log.as_ref())
        }
    }
}

/// The keyring of `source`: from the cache when its file is unchanged and
/// the caller proves the secret the load checked (see `cache`), else
/// loaded (outside the GIL) and cached. The passphrase is read on every
/// call, so a wrong or missing one fails as a first open does; a provider
/// other than the one that unwrapped the cached keys unwraps them again.
/// Environment keys are read on every call (nothing to save there).
///
/// Loaded again whenever its file changed, so a long-lived process (a
/// notebook, an executor) follows a rotation or a destroyed key instead of
/// sealing with what it read first. The cache lock is never held while
/// loading: a load releases the GIL (Argon2id) or calls Python (a key
/// provider), and holding the lock across either would let a thread that
/// holds the GIL wait on the lock while the loader waits for the GIL.
fn cached(
    py: Python<'_>,
    source: Source,
    provider: Option<&Bound<'_, PyAny>>,
    access: Option<AccessSpec>,
) -> PyResult<PyKeyring> {
    let keep = provider.map(|p| p.clone().unbind());
    let stamp = FileStamp::of(&source);
    let pass = match &source {
        Source::File { passphrase_file, passphrase_env, .. } => {
            Some(passphrase(py, passphrase_file.as_ref(), passphrase_env.as_deref())?)
        }
        _ => None,
    };
    let proof = match (&pass, &keep) {
        (Some(pass), _) => Some(Proof::passphrase(pass)?),
        (None, Some(p)) => Some(Proof::Provider(p.clone_ref(py))),
        (None, None) => None,
    };
    let restricted = access.is_some();
    // A keyring with access rules is neither served from the cache nor put in it.
    if let Some(k) =
        proof.as_ref().filter(|_| !restricted).and_then(|proof| cache::lookup(&source, stamp, proof))
    {
        return Ok(PyKeyring { inner: k, source, provider: keep, restricted });
    }
    let mut keyring = match provider {
        // A Python provider needs the GIL for its calls.
        Some(p) => load(&source, None, Some(&PyProvider::new(p)?))?,
        // Argon2id takes a while: let other Python threads run meanwhile.
        None => py.detach(|| load(&source, pass.as_deref().map(|p| p.as_str()), None))?,
    };
    if let Some(spec) = &access {
        attach_access(&mut keyring, spec)?;
    }
    let keyring = Arc::new(keyring);
    if let (Some(proof), false) = (proof, restricted) {
        cache::insert(source.clone(), stamp, proof, Arc::clone(&keyring));
    }
    Ok(PyKeyring { inner: keyring, source, provider: keep, restricted })
}

impl PyKeyring {
    /// The principal `name` (`principal=` of `open` and `reidentify`), its
    /// role from the access rules and the OS user beside it; `None` without a name.
    pub(crate) fn principal(&self, name: Option<&str>) -> PyResult<Option<Principal>> {
        let Some(name) = name else { return Ok(None) };
        let access = self
            .inner
            .access()
            .ok_or_else(|| PyValueError::new_err("principal= needs a keyring opened with access="))?;
        let who = Principal::from_rules(access.rules(), name).map_err(|_| {
            PyValueError::new_err(format!("principal {name}: not in the access rules' [principals]"))
        })?;
        Ok(Some(who.with_current_os_user()))
    }

    /// Record the seals made through this keyring since the last record in
    /// its file's seal ledger (`Keyring::record_seals`): called at the end of
    /// every column function and batch that may seal, so that a process that
    /// never drops its cached keyring (a Spark executor) is counted too. A
    /// ledger that cannot be written is a `RuntimeWarning`, not a failure:
    /// the values are sealed already.
    pub(crate) fn record_seals(&self, py: Python<'_>) -> PyResult<()> {
        if let Err(e) = self.inner.record_seals() {
            let message = std::ffi::CString::new(format!("seals not recorded in the seal ledger: {e}"))
                .unwrap_or_default();
            let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
            PyErr::warn(py, &category, &message, 1)?;
        }
        Ok(())
    }
}

#[pymethods]
impl PyKeyring {
    /// Open a protected keyring file (as written by `desensitize keygen`),
    /// its passphrase on the first line of `passphrase_file` or in the
    /// environment variable `passphrase_env`. Cached per process by these
    /// arguments: a second call with the same passphrase skips Argon2id
    /// while the file is unchanged (the passphrase is read and checked
    /// against the one that opened it every time: a wrong or missing one
    /// raises as on a first call), and reads the file again once it changed
    /// (after `desensitize keys rotate`, say). A `Keyring` already obtained
    /// keeps the keys it was given.
    ///
    /// Or `provider=`: an object with an `id` attribute and `wrap(bytes)` /
    /// `unwrap(bytes)` methods (the library's `KeyProvider` seam: AWS KMS,
    /// Vault Transit...), for a file written by `Keyring.save(path,
    /// provider)`. Cached for that very provider object only: another one
    /// (an unpickled copy, one with the same `id`) unwraps the keys again.
    /// It must pickle for Spark.
    ///
    /// `audit_log=PATH`: where `open` and `reidentify` record their events
    /// (created 0600 and appended to; a symbolic link or `/dev/null` is
    /// refused); by default standard error, checked at every event: when it
    /// is closed or `/dev/null`, `open` and `reidentify` raise.
    ///
    /// `access=RULES` (TOML, or JSON for a .json file): the library's access
    /// rules; every `open` and `reidentify` then needs `principal=NAME` and
    /// returns what its role may see (the value, its mask, or a refusal),
    /// within its budget, counted in `counter=FILE` (needed when the rules
    /// set budgets). Such a keyring is not cached and does not pickle.
    #[staticmethod]
    #[pyo3(signature = (path, *, passphrase_file=None, passphrase_env=None, provider=None, audit_log=None, access=None, counter=None))]
    #[allow(clippy::too_many_arguments)]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        passphrase_file: Option<PathBuf>,
        passphrase_env: Option<String>,
        provider: Option<&Bound<'_, PyAny>>,
        audit_log: Option<PathBuf>,
        access: Option<PathBuf>,
        counter: Option<PathBuf>,
    ) -> PyResult<PyKeyring> {
        let access = access_spec(access, counter)?;
        let given = [passphrase_file.is_some(), passphrase_env.is_some(), provider.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(PyValueError::new_err(
                "give exactly one of passphrase_file=, passphrase_env= and provider=",
            ));
        }
        if let Some(p) = provider {
            let provider_id: String = p.getattr("id")?.extract()?;
            return cached(py, Source::Provider { path, provider_id, audit_log }, Some(p), access);
        }
        cached(py, Source::File { path, passphrase_file, passphrase_env, audit_log }, None, access)
    }

    /// Write the keyring to `path`, its keys wrapped by `provider` (see
    /// `open`); the file is replaced atomically, mode 0600.
    fn save(&self, path: PathBuf, provider: &Bound<'_, PyAny>) -> PyResult<()> {
        let provider = PyProvider::new(provider)?;
        self.inner.save(&path, &provider).map_err(lib_err)
    }

    /// A keyring of one active root key read from the environment: base64
    /// of 32 bytes in `key_var`, its id in `id_var` (default 1). The seam
    /// for a secret manager or KMS that injects the key into executors.
    /// Read on every call (never served from the cache): a changed or unset
    /// variable gives the new key or raises.
    #[staticmethod]
    /// `access=` and `counter=` as for `open`.
    #[pyo3(signature = (key_var="DESENSITIZE_ROOT_KEY", id_var="DESENSITIZE_ROOT_KEY_ID", *, audit_log=None, access=None, counter=None))]
    fn from_env(
        py: Python<'_>,
        key_var: &str,
        id_var: &str,
        audit_log: Option<PathBuf>,
        access: Option<PathBuf>,
        counter: Option<PathBuf>,
    ) -> PyResult<PyKeyring> {
        let source = Source::Env { key_var: key_var.to_owned(), id_var: id_var.to_owned(), audit_log };
        cached(py, source, None, access_spec(access, counter)?)
    }

    /// The key ids, their states and cipher suites (as the CLI's `keys
    /// list`), e.g. `[(1, "decrypt-only", "aes"), (2, "active", "gm")]`.
    fn keys(&self) -> Vec<(u32, &'static str, &'static str)> {
        self.inner.keys().iter().map(|k| (k.id, k.state.as_str(), k.suite.as_str())).collect()
    }

    /// The id of the active key (None when there is none).
    fn active_key_id(&self) -> Option<u32> {
        self.inner.active_key_id()
    }

    fn __repr__(&self) -> String {
        let keys: Vec<String> =
            self.inner.keys().iter().map(|k| format!("{}: {}", k.id, k.state.as_str())).collect();
        format!("Keyring(keys=[{}])", keys.join(", "))
    }

    /// Pickled as its source, never its keys: reopened (and cached) where it lands.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        if this.restricted {
            return Err(DesensitizeError::new_err(
                "a keyring with access rules does not pickle (it would reopen without them): open it with access= \
                 where it is used",
            ));
        }
        let module = py.import("desensitize._desensitize")?;
        let loader = module.getattr("_load_keyring")?;
        let args = match &this.source {
            Source::File { path, passphrase_file, passphrase_env, audit_log } => {
                ("file", path.clone(), passphrase_file.clone(), passphrase_env.clone(), audit_log.clone())
                    .into_pyobject(py)?
            }
            Source::Env { key_var, id_var, audit_log } => {
                ("env", PathBuf::from(key_var), None::<PathBuf>, Some(id_var.clone()), audit_log.clone())
                    .into_pyobject(py)?
            }
            Source::Provider { path, audit_log, .. } => {
                let provider = this.provider.as_ref().map(|p| p.bind(py).clone());
                ("provider", path.clone(), None::<PathBuf>, None::<String>, audit_log.clone(), provider)
                    .into_pyobject(py)?
                    .into_any()
                    .cast_into::<PyTuple>()?
            }
        };
        Ok((loader, args))
    }
}

/// The unpickler of [`PyKeyring`].
#[pyfunction]
#[pyo3(signature = (how, path, passphrase_file, passphrase_env, audit_log, provider=None))]
pub fn _load_keyring(
    py: Python<'_>,
    how: &str,
    path: PathBuf,
    passphrase_file: Option<PathBuf>,
    passphrase_env: Option<String>,
    audit_log: Option<PathBuf>,
    provider: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyKeyring> {
    match how {
        "file" => cached(py, Source::File { path, passphrase_file, passphrase_env, audit_log }, None, None),
        "env" => {
            let key_var = path.to_string_lossy().into_owned();
            let id_var = passphrase_env.unwrap_or_else(|| "DESENSITIZE_ROOT_KEY_ID".to_owned());
            cached(py, Source::Env { key_var, id_var, audit_log }, None, None)
        }
        "provider" => {
            let p = provider.ok_or_else(|| PyValueError::new_err("no key provider"))?;
            let provider_id: String = p.getattr("id")?.extract()?;
            cached(py, Source::Provider { path, provider_id, audit_log }, Some(p), None)
        }
        _ => Err(PyValueError::new_err("unknown keyring source")),
    }
}
