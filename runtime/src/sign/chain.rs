//! Where credentials come from: the official SDKs' default chain, as far as it goes without
//! a network call (`docs/platform.md` §8): the environment, then the aliyun CLI's profile
//! file. It sits above `credentials.rs` (what a key is) and `profile.rs` (reading the CLI's
//! file into `Credentials`), so those two no longer import each other.

use std::fmt;
use std::path::PathBuf;

use super::credentials::Credentials;
use super::profile::{CliProfile, ENV_PROFILE, ENV_PROFILE_DISABLED};
use super::SignError;

/// Environment variables of the official SDKs' default chain (`docs/platform.md` §8).
const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// The legacy core SDK's fallback pair.
const ENV_LEGACY_ACCESS_KEY_ID: &str = "ALIYUN_ACCESS_KEY_ID";
const ENV_LEGACY_ACCESS_KEY_SECRET: &str = "ALIYUN_ACCESS_KEY_SECRET";

impl Credentials {
    /// Reads the first step of the official SDKs' default chain: `ALIBABA_CLOUD_ACCESS_KEY_ID`,
    /// `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, when set and non-empty,
    /// `ALIBABA_CLOUD_SECURITY_TOKEN`; if the ID is unset, the legacy core SDK's
    /// `ALIYUN_ACCESS_KEY_ID` / `ALIYUN_ACCESS_KEY_SECRET`.
    ///
    /// # Errors
    /// [`SignError::MissingEnv`] naming the variable to set.
    pub fn from_env() -> Result<Credentials, SignError> {
        Credentials::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] over any source of variables, so the rules can be tested
    /// without touching the process environment.
    ///
    /// # Errors
    /// [`SignError::MissingEnv`] naming the variable to set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Credentials, SignError> {
        // Empty counts as unset, as in the SDKs (`ALIBABA_CLOUD_SECURITY_TOKEN` "when non-empty").
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        // A pair comes from one convention only: an ID from one and a secret from the other
        // would be a mismatch that only the gateway could report.
        let (id_var, secret_var) =
            if get(ENV_ACCESS_KEY_ID).is_none() && get(ENV_LEGACY_ACCESS_KEY_ID).is_some() {
                (ENV_LEGACY_ACCESS_KEY_ID, ENV_LEGACY_ACCESS_KEY_SECRET)
            } else {
                (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET)
            };
        let id = get(id_var).ok_or(SignError::MissingEnv { name: id_var })?;
        let secret = get(secret_var).ok_or(SignError::MissingEnv { name: secret_var })?;
        let creds = Credentials::new(id, secret)?;
        match get(ENV_SECURITY_TOKEN) {
            Some(token) => creds.with_security_token(token),
            None => Ok(creds),
        }
    }

    /// The default chain: the environment ([`Credentials::from_env`]), then the aliyun CLI's
    /// profile file ([`CliProfile`]). Credentials given explicitly come before both; that is
    /// the caller's choice (the client's builder takes them first).
    ///
    /// A source that is not configured at all is skipped; one that is configured but broken
    /// (an ID without its secret, a profile that does not exist) is an error, not a reason to
    /// fall through to another account.
    ///
    /// # Errors
    /// [`SignError::NoCredentials`] listing each source tried and why it gave nothing;
    /// [`SignError::MissingEnv`] or [`SignError::ProfileFile`] for a broken source.
    pub fn default_chain() -> Result<(Credentials, CredentialSource), SignError> {
        Credentials::default_chain_with(|name| std::env::var(name).ok())
    }

    /// [`Credentials::default_chain`] over any source of variables (`HOME` included, which
    /// places the profile file), so the rules can be tested without touching the process
    /// environment.
    ///
    /// # Errors
    /// As [`Credentials::default_chain`].
    pub fn default_chain_with(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(Credentials, CredentialSource), SignError> {
        let set = |name: &str| lookup(name).is_some_and(|value| !value.is_empty());
        let mut tried = Vec::with_capacity(2);
        if set(ENV_ACCESS_KEY_ID) || set(ENV_LEGACY_ACCESS_KEY_ID) {
            return Ok((
                Credentials::from_lookup(&lookup)?,
                CredentialSource::Environment,
            ));
        }
        tried.push(format!("the environment ({ENV_ACCESS_KEY_ID} is not set)"));

        let disabled = lookup(ENV_PROFILE_DISABLED)
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
        if disabled {
            tried.push(format!(
                "the CLI profile file (off: {ENV_PROFILE_DISABLED}=true)"
            ));
        } else {
            match CliProfile::default_path(&lookup) {
                None => tried.push("the CLI profile file (no HOME to find it in)".to_string()),
                Some(path) if !path.exists() => {
                    tried.push(format!(
                        "the CLI profile file {} (not found)",
                        path.display()
                    ));
                }
                Some(path) => {
                    let name = lookup(ENV_PROFILE).filter(|name| !name.is_empty());
                    let profile = CliProfile::load(&path, name.as_deref())?;
                    let source = CredentialSource::CliProfile {
                        path,
                        profile: profile.name,
                        region_id: profile.region_id,
                    };
                    return Ok((profile.credentials, source));
                }
            }
        }
        Err(SignError::NoCredentials { tried })
    }
}

/// Where [`Credentials::default_chain`] found the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// Given by the caller.
    Explicit,
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID` and friends (or the legacy `ALIYUN_*` pair).
    Environment,
    /// A profile of the aliyun CLI's file.
    CliProfile {
        /// The file.
        path: PathBuf,
        /// The profile's name.
        profile: String,
        /// The profile's `region_id`, when set.
        region_id: Option<String>,
    },
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Explicit => f.write_str("explicit credentials"),
            CredentialSource::Environment => f.write_str("the environment"),
            CredentialSource::CliProfile { path, profile, .. } => {
                write!(f, "profile `{profile}` of {}", path.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Secret;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn sign_credentials_from_environment_conventions() {
        let creds = Credentials::from_lookup(lookup(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
            ("ALIYUN_ACCESS_KEY_ID", "legacy"),
        ]))
        .unwrap();
        assert_eq!(creds.access_key_id(), "id");
        assert_eq!(creds.access_key_secret().expose(), "secret");
        assert!(creds.security_token().is_none(), "empty token means none");

        let sts = Credentials::from_lookup(lookup(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "token"),
        ]))
        .unwrap();
        assert_eq!(sts.security_token().map(Secret::expose), Some("token"));

        let legacy = Credentials::from_lookup(lookup(&[
            ("ALIYUN_ACCESS_KEY_ID", "old-id"),
            ("ALIYUN_ACCESS_KEY_SECRET", "old-secret"),
        ]))
        .unwrap();
        assert_eq!(legacy.access_key_id(), "old-id");

        assert_eq!(
            Credentials::from_lookup(lookup(&[])).unwrap_err(),
            SignError::MissingEnv {
                name: "ALIBABA_CLOUD_ACCESS_KEY_ID"
            }
        );
        // No mixing: the new ID with only the legacy secret is an error naming the new secret.
        assert_eq!(
            Credentials::from_lookup(lookup(&[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
                ("ALIYUN_ACCESS_KEY_SECRET", "old-secret"),
            ]))
            .unwrap_err(),
            SignError::MissingEnv {
                name: "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
            }
        );
    }
}
