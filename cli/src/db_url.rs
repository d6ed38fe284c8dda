//! Where `db rotate` takes its PostgreSQL URL from: `--url-file` (first
//! line), `--url-env NAME`, `--url`, else `DESENSITIZE_PG_URL`. A URL with
//! a password on the command line sits in `ps` and shell history for the
//! whole job: it is accepted with a warning, and the file and the variable
//! are read as a keyring passphrase is (`keys::PassphraseSource`: a file
//! others can read is warned about too).

use std::path::PathBuf;

use clap::Args;
use desensitize::keys::{PassphraseError, PassphraseSource};
use zeroize::Zeroizing;

use crate::common::{CliError, CliResult};

/// Environment variable read when no other source is given.
pub const URL_ENV: &str = "DESENSITIZE_PG_URL";

/// The URL arguments of `db rotate`.
#[derive(Args, Debug)]
pub struct UrlArgs {
    /// PostgreSQL URL (else --url-file, --url-env or DESENSITIZE_PG_URL).
    /// Never printed; a password in it shows in `ps` for the whole job
    /// (warned about): prefer --url-file or --url-env.
    #[arg(long, value_name = "URL")]
    url: Option<String>,

    /// Read the PostgreSQL URL from the first line of this file (owner-only).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["url", "url_env"])]
    url_file: Option<PathBuf>,

    /// Read the PostgreSQL URL from this environment variable.
    #[arg(long, value_name = "NAME", conflicts_with = "url")]
    url_env: Option<String>,
}

impl UrlArgs {
    /// The URL, its warnings printed on stderr (never silenced).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub fn resolve(&self) -> CliResult<Zeroizing<String>> {
        let (url, warning) = self.read()?;
        if let Some(w) = warning {
            crate::common::warn(&CliError::failed(w));
        }
        Ok(url)
    }

    /// The URL and a warning about where it came from, if any.
    fn read(&self) -> CliResult<(Zeroizing<String>, Option<String>)> {
        if let Some(path) = &self.url_file {
            let shown = path.display();
            let (url, mode) = PassphraseSource::File(path.clone()).read_checked().map_err(|e| match e {
                PassphraseError::Unreadable(kind) => {
                    CliError::usage(format!("cannot read the URL file {shown}: {kind}"))
                }
                PassphraseError::NotText => {
                    CliError::usage(format!("the URL file {shown} is not UTF-8 text"))
                }
                _ => {
                    CliError::usage(format!("the URL file {shown} is empty: write the URL on its first line"))
                }
            })?;
            let warning = mode.map(|_| {
                format!("the URL file {shown} can be read by its group or by others: make it owner-only (chmod 600)")
            });
            return Ok((url, warning));
        }
        if let Some(url) = &self.url {
            let url = Zeroizing::new(url.clone());
            let warning = has_password(&url).then(|| {
                "--url holds a password, which other users can read in `ps` while the job runs: \
                 give the URL with --url-file FILE or --url-env NAME"
                    .to_owned()
            });
            return Ok((nonempty(url, "--url")?, warning));
        }
        let var = self.url_env.as_deref().unwrap_or(URL_ENV);
        match PassphraseSource::Env(var.to_owned()).read() {
            Ok(url) => Ok((url, None)),
            Err(PassphraseError::EnvEmpty) => Err(CliError::usage(format!("{var} is empty"))),
            Err(_) if self.url_env.is_some() => Err(CliError::usage(format!("{var} is not set"))),
            Err(_) => Err(CliError::usage(format!(
                "no database: give --url-file FILE, --url-env NAME or --url, or set {URL_ENV}"
            ))),
        }
    }
}

fn nonempty(url: Zeroizing<String>, what: &str) -> CliResult<Zeroizing<String>> {
    if url.trim().is_empty() {
        return Err(CliError::usage(format!("{what} is empty")));
    }
    Ok(url)
}

/// Whether a PostgreSQL URL (or key=value connection string) holds a
/// password: `scheme://user:PASSWORD@host`, or a `password=` parameter.
fn has_password(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let in_userinfo = authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(_, password)| !password.is_empty());
    let in_parameter = url.split(['?', '&', ' ', '\t']).any(|part| {
        part.split_once('=')
            .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("password") && !v.trim().is_empty())
    });
    in_userinfo || in_parameter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: Option<&str>, file: Option<PathBuf>, env: Option<&str>) -> UrlArgs {
        UrlArgs { url: url.map(str::to_owned), url_file: file, url_env: env.map(str::to_owned) }
    }

    #[test]
    fn a_password_is_found_where_postgres_takes_one() {
        for url in [
            "postgres://app:s3cret@db/app",
            "postgresql://app:s3cret@db:5432/app?sslmode=require",
            "postgres://db/app?user=app&password=s3cret",
            "postgres://app@db/app?PASSWORD=s3cret",
            "host=db user=app password=s3cret dbname=app",
            "postgres://a:b:c@db/x",
        ] {
            assert!(has_password(url), "{url}");
        }
        for url in [
            "postgres://app@db/app",
            "postgres://db/app",
            "postgres://app:@db/app",
            "postgres://db/app?sslmode=require&passfile=/run/pgpass",
            "postgres://app@db/a:b",
            "host=db user=app dbname=app",
        ] {
            assert!(!has_password(url), "{url}");
        }
    }

    #[test]
    fn the_url_comes_from_a_file_a_variable_or_the_argument_with_warnings() {
        let dir = std::env::temp_dir().join(format!("dz-cli-url-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("url");
        std::fs::write(&file, "postgres://app:s3cret@db/app\nignored\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let set = |m| std::fs::set_permissions(&file, std::fs::Permissions::from_mode(m)).unwrap();
            set(0o600);
            let (url, warning) = args(None, Some(file.clone()), None).read().unwrap();
            assert_eq!((url.as_str(), warning), ("postgres://app:s3cret@db/app", None));
            set(0o644);
            let warning = args(None, Some(file.clone()), None).read().unwrap().1.unwrap();
            assert!(warning.contains("can be read by its group or by others") && !warning.contains("s3cret"));
        }
        let (_, warning) = args(Some("postgres://app:s3cret@db/app"), None, None).read().unwrap();
        let warning = warning.unwrap();
        assert!(warning.contains("--url holds a password") && !warning.contains("s3cret"), "{warning}");
        assert_eq!(args(Some("postgres://app@db/app"), None, None).read().unwrap().1, None);

        // A variable named by --url-env: any set variable reads (PATH here).
        let path = std::env::var("PATH").unwrap();
        assert_eq!(args(None, None, Some("PATH")).read().unwrap().0.as_str(), path);
        let unset = args(None, None, Some("DZ_CLI_URL_SURELY_UNSET")).read().unwrap_err();
        assert_eq!(unset.to_string(), "DZ_CLI_URL_SURELY_UNSET is not set");
        let missing = args(None, Some(dir.join("missing")), None).read().unwrap_err();
        assert!(missing.to_string().starts_with("cannot read the URL file"), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
