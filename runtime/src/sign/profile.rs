//! The aliyun CLI's profile file, `~/.aliyun/config.json` (`docs/platform.md` §8; the credentials
//! package's `provider/cli_profile.py`): step 3 of the official SDKs' default chain.
//!
//! ```json
//! {"current": "default",
//!  "profiles": [{"name": "default", "mode": "AK", "access_key_id": "LTAI...",
//!                "access_key_secret": "...", "region_id": "cn-shanghai"}]}
//! ```
//!
//! The profile is `ALIBABA_CLOUD_PROFILE`, else the file's `current`. Modes `AK` and
//! `StsToken` (with `sts_token`) are read; the others need a call to STS or a browser and are
//! refused by name. `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` turns the file off.
//!
//! Problems are reported with the file's path, the profile and the key, never a value: the
//! file holds secrets, and serde's messages quote values, so the file is read as untyped JSON
//! and every field is looked at here.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{Credentials, SignError};

/// Chooses the profile to read.
pub(super) const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// `true` turns the CLI profile file off.
pub(super) const ENV_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";

/// One profile of the aliyun CLI's file, with what a client needs from it.
#[derive(Debug, Clone)]
pub struct CliProfile {
    /// The profile's `name`.
    pub name: String,
    /// Its AccessKey (and STS token in mode `StsToken`).
    pub credentials: Credentials,
    /// Its `region_id`, when set.
    pub region_id: Option<String>,
}

impl CliProfile {
    /// Where the CLI keeps its file: `$HOME/.aliyun/config.json` (`%USERPROFILE%` on
    /// Windows); `None` when no home directory is known. `lookup` reads environment
    /// variables.
    pub fn default_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
        let home = ["HOME", "USERPROFILE"]
            .iter()
            .find_map(|name| lookup(name).filter(|value| !value.is_empty()))?;
        Some(Path::new(&home).join(".aliyun").join("config.json"))
    }

    /// Reads the profile `name` from the file at `path`, or, without a name, the one
    /// `ALIBABA_CLOUD_PROFILE` names, else the file's `current`.
    ///
    /// # Errors
    /// [`SignError::ProfileFile`] naming the path and what is wrong (unreadable, not JSON,
    /// no such profile, a mode that needs more than a key, a missing key).
    pub fn load(path: &Path, name: Option<&str>) -> Result<CliProfile, SignError> {
        let text = std::fs::read_to_string(path).map_err(|e| problem(path, e.to_string()))?;
        CliProfile::parse(path, &text, name)
    }

    /// [`CliProfile::load`] over text already read; `path` is only for messages.
    ///
    /// # Errors
    /// As [`CliProfile::load`].
    pub fn parse(path: &Path, text: &str, name: Option<&str>) -> Result<CliProfile, SignError> {
        // serde_json's syntax errors give a line and column, never the text around them.
        let file: Value = serde_json::from_str(text)
            .map_err(|e| problem(path, format!("not valid JSON ({e})")))?;
        let file = file
            .as_object()
            .ok_or_else(|| problem(path, "not a JSON object".to_string()))?;
        let name = match name {
            Some(name) => name.to_string(),
            None => match file.get("current").and_then(Value::as_str) {
                Some(current) if !current.is_empty() => current.to_string(),
                _ => {
                    return Err(problem(
                        path,
                        format!("no profile chosen: set {ENV_PROFILE} or the file's `current`"),
                    ))
                }
            },
        };
        let profiles = file
            .get("profiles")
            .and_then(Value::as_array)
            .ok_or_else(|| problem(path, "no `profiles` list".to_string()))?;
        let profile = profiles
            .iter()
            .filter_map(Value::as_object)
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .ok_or_else(|| problem(path, format!("no profile named `{name}`")))?;
        let field = |key: &str| text_field(path, &name, profile, key);
        let mode = field("mode")?.unwrap_or_else(|| "AK".to_string());
        let required = |key: &str| {
            field(key)?.ok_or_else(|| problem(path, format!("profile `{name}` has no `{key}`")))
        };
        let credentials = match mode.as_str() {
            "AK" => Credentials::new(required("access_key_id")?, required("access_key_secret")?),
            "StsToken" => {
                Credentials::new(required("access_key_id")?, required("access_key_secret")?)
                    .and_then(|creds| creds.with_security_token(required("sts_token")?))
            }
            other => {
                return Err(problem(
                    path,
                    format!(
                        "profile `{name}` has mode `{other}`; only `AK` and `StsToken` are read \
                         here (the others need a call to STS): use an AccessKey or an STS token"
                    ),
                ))
            }
        }
        .map_err(|e| problem(path, format!("profile `{name}`: {e}")))?;
        Ok(CliProfile {
            region_id: field("region_id")?,
            name,
            credentials,
        })
    }
}

/// A string field of a profile; absent, `null` and `""` are `None`. A field of another type
/// is an error that names the key, not the value.
fn text_field(
    path: &Path,
    profile: &str,
    object: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, SignError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(problem(
            path,
            format!("profile `{profile}`: `{key}` is not a string"),
        )),
    }
}

fn problem(path: &Path, problem: String) -> SignError {
    SignError::ProfileFile {
        path: path.to_path_buf(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{CredentialSource, Credentials};

    const SECRET: &str = "Sup3rS3cr3t-value";
    const TOKEN: &str = "CAIS-token-value";

    fn file() -> String {
        format!(
            r#"{{"current": "main", "profiles": [
                {{"name": "main", "mode": "AK", "access_key_id": "LTAI-main",
                  "access_key_secret": "{SECRET}", "region_id": "cn-shanghai"}},
                {{"name": "temp", "mode": "StsToken", "access_key_id": "STS.id",
                  "access_key_secret": "{SECRET}", "sts_token": "{TOKEN}", "region_id": ""}},
                {{"name": "role", "mode": "RamRoleArn", "access_key_id": "x",
                  "access_key_secret": "{SECRET}", "ram_role_arn": "acs:ram::1:role/r"}},
                {{"name": "half", "mode": "StsToken", "access_key_id": "STS.id",
                  "access_key_secret": "{SECRET}"}},
                {{"name": "typed", "mode": "AK", "access_key_id": "id",
                  "access_key_secret": ["{SECRET}"]}}
            ]}}"#
        )
    }

    fn parse(name: Option<&str>) -> Result<CliProfile, SignError> {
        CliProfile::parse(Path::new("/home/u/.aliyun/config.json"), &file(), name)
    }

    #[test]
    fn sign_profile_reads_ak_and_sts_modes() {
        let main = parse(None).unwrap();
        assert_eq!(main.name, "main");
        assert_eq!(main.credentials.access_key_id(), "LTAI-main");
        assert_eq!(main.credentials.access_key_secret().expose(), SECRET);
        assert!(main.credentials.security_token().is_none());
        assert_eq!(main.region_id.as_deref(), Some("cn-shanghai"));

        let temp = parse(Some("temp")).unwrap();
        assert_eq!(
            temp.credentials.security_token().map(|t| t.expose()),
            Some(TOKEN)
        );
        assert_eq!(temp.region_id, None, "an empty region is none");
    }

    #[test]
    fn sign_profile_problems_name_the_file_profile_and_key_never_a_value() {
        let cases = [
            (Some("nobody"), "no profile named `nobody`"),
            (Some("role"), "mode `RamRoleArn`"),
            (Some("half"), "profile `half` has no `sts_token`"),
            (Some("typed"), "`access_key_secret` is not a string"),
        ];
        for (name, expected) in cases {
            let err = parse(name).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(text.contains(expected), "{text}");
            assert!(text.contains("/home/u/.aliyun/config.json"), "{text}");
            assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
        }
        let path = Path::new("c.json");
        let broken = format!(r#"{{"profiles": [{{"access_key_secret": "{SECRET}" "#);
        let err = CliProfile::parse(path, &broken, None).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(SECRET), "{err}");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = CliProfile::parse(path, r#"{"profiles": []}"#, None).unwrap_err();
        assert!(err.to_string().contains("ALIBABA_CLOUD_PROFILE"), "{err}");
        let err = CliProfile::parse(path, "[]", None).unwrap_err();
        assert!(err.to_string().contains("not a JSON object"), "{err}");
        let err = CliProfile::load(Path::new("/nonexistent/tsl-rs/config.json"), None).unwrap_err();
        assert!(matches!(err, SignError::ProfileFile { .. }), "{err}");
    }

    /// A home directory of its own under the system's temporary folder, holding `config`.
    fn home_with(config: Option<&str>, tag: &str) -> PathBuf {
        let home =
            std::env::temp_dir().join(format!("tsl-rs-profile-{}-{tag}", std::process::id()));
        let dir = home.join(".aliyun");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.json");
        match config {
            Some(text) => std::fs::write(&file, text).unwrap(),
            None => {
                let _ = std::fs::remove_file(&file);
            }
        }
        home
    }

    fn chain(vars: &[(&str, &str)]) -> Result<(Credentials, CredentialSource), SignError> {
        Credentials::default_chain_with(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn sign_default_chain_prefers_env_then_profile_file() {
        let home = home_with(Some(&file()), "chain");
        let home = home.to_str().unwrap();

        let (creds, source) = chain(&[
            ("HOME", home),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
        ])
        .unwrap();
        assert_eq!(creds.access_key_id(), "env-id");
        assert_eq!(source, CredentialSource::Environment);

        let (creds, source) = chain(&[("HOME", home)]).unwrap();
        assert_eq!(creds.access_key_id(), "LTAI-main");
        match &source {
            CredentialSource::CliProfile {
                profile, region_id, ..
            } => {
                assert_eq!(profile, "main");
                assert_eq!(region_id.as_deref(), Some("cn-shanghai"));
            }
            other => panic!("{other:?}"),
        }
        assert!(source.to_string().contains("profile `main`"));

        let (creds, _) = chain(&[("HOME", home), ("ALIBABA_CLOUD_PROFILE", "temp")]).unwrap();
        assert_eq!(creds.access_key_id(), "STS.id");

        // A broken configuration is an error, not a fall-through.
        let err = chain(&[("HOME", home), ("ALIBABA_CLOUD_PROFILE", "nobody")]).unwrap_err();
        assert!(
            err.to_string().contains("no profile named `nobody`"),
            "{err}"
        );
        let err = chain(&[("HOME", home), ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")]).unwrap_err();
        assert_eq!(
            err,
            SignError::MissingEnv {
                name: "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
            }
        );

        let err = chain(&[
            ("HOME", home),
            ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("ALIBABA_CLOUD_ACCESS_KEY_ID is not set"),
            "{text}"
        );
        assert!(
            text.contains("ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"),
            "{text}"
        );
        assert!(!text.contains(SECRET));
    }

    #[test]
    fn sign_default_chain_reports_every_source_tried() {
        let home = home_with(None, "empty");
        let err = chain(&[("HOME", home.to_str().unwrap())]).unwrap_err();
        match &err {
            SignError::NoCredentials { tried } => {
                assert_eq!(tried.len(), 2, "{tried:?}");
                assert!(tried[1].contains("config.json (not found)"), "{tried:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("aliyun configure"), "{err}");
        let err = chain(&[]).unwrap_err();
        assert!(err.to_string().contains("no HOME"), "{err}");
    }
}
