//! Who signs: an AccessKey pair, with an STS token when the key is temporary. Where it comes
//! from (the environment, the CLI's profile file) is `chain.rs`.

use std::fmt;

use super::SignError;

/// A secret string: an AccessKey secret or an STS token.
///
/// `Debug` and `Display` print `***`, so a secret never reaches a log through a struct that
/// holds it; reading it takes [`Secret::expose`], which makes every use visible in review.
#[derive(Clone)]
pub struct Secret(pub(super) String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, for signing or for sending (an STS token goes on the wire).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Secret {
        Secret(secret)
    }
}

impl From<&str> for Secret {
    fn from(secret: &str) -> Secret {
        Secret(secret.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An AccessKey pair, with an STS token when the key is temporary.
///
/// `Debug` shows the AccessKey ID (it is sent in every request anyway) and `***` for the
/// secret and the token.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub(super) access_key_id: String,
    pub(super) access_key_secret: Secret,
    pub(super) security_token: Option<Secret>,
}

impl Credentials {
    /// A long-term AccessKey pair.
    ///
    /// # Errors
    /// [`SignError::EmptyCredential`] if either part is empty.
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
    ) -> Result<Credentials, SignError> {
        let access_key_id = access_key_id.into();
        let access_key_secret = access_key_secret.into();
        if access_key_id.is_empty() {
            return Err(SignError::EmptyCredential {
                field: "AccessKeyId",
            });
        }
        if access_key_secret.is_empty() {
            return Err(SignError::EmptyCredential {
                field: "AccessKeySecret",
            });
        }
        Ok(Credentials {
            access_key_id,
            access_key_secret: Secret(access_key_secret),
            security_token: None,
        })
    }

    /// The same pair as temporary STS credentials: the token is sent as `SecurityToken`
    /// (V1) or `x-acs-security-token` (ACS3).
    ///
    /// # Errors
    /// [`SignError::EmptyCredential`] if the token is empty: an empty token is a caller's
    /// mistake here, not a way to say "no token".
    pub fn with_security_token(
        mut self,
        security_token: impl Into<String>,
    ) -> Result<Credentials, SignError> {
        let token = security_token.into();
        if token.is_empty() {
            return Err(SignError::EmptyCredential {
                field: "SecurityToken",
            });
        }
        self.security_token = Some(Secret(token));
        Ok(self)
    }

    /// The AccessKey ID.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The AccessKey secret.
    pub fn access_key_secret(&self) -> &Secret {
        &self.access_key_secret
    }

    /// The STS token, for temporary credentials.
    pub fn security_token(&self) -> Option<&Secret> {
        self.security_token.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::testing::*;
    use crate::sign::CommonParams;

    #[test]
    fn sign_secret_is_never_printed() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn sign_credentials_debug_hides_secret_and_token() {
        let creds = Credentials::new("LTAI5tExampleId", "s3cr3t-value")
            .unwrap()
            .with_security_token("CAIS-sts-token-value")
            .unwrap();
        let debug = format!("{creds:?}");
        assert!(debug.contains("LTAI5tExampleId"));
        assert!(!debug.contains("s3cr3t-value"));
        assert!(!debug.contains("CAIS-sts-token-value"));
        let common = format!("{:?}", CommonParams::new(&creds, "n", "t"));
        assert!(!common.contains("CAIS-sts-token-value"));
    }

    #[test]
    fn sign_credentials_reject_empty_parts() {
        assert_eq!(
            Credentials::new("", "s").unwrap_err(),
            SignError::EmptyCredential {
                field: "AccessKeyId"
            }
        );
        assert_eq!(
            Credentials::new("id", "").unwrap_err(),
            SignError::EmptyCredential {
                field: "AccessKeySecret"
            }
        );
        assert_eq!(
            test_creds().with_security_token("").unwrap_err(),
            SignError::EmptyCredential {
                field: "SecurityToken"
            }
        );
    }
}
