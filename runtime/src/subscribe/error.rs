//! Why a subscription cannot start or has stopped. No variant carries the AccessKey secret
//! or the SASL password.

/// A subscription error.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// The endpoint is not one the subscriber connects to.
    #[error("endpoint `{endpoint}`: {reason}")]
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why it is refused.
        reason: String,
    },
    /// A setting is out of the platform's range.
    #[error("{0}")]
    Config(String),
    /// The server refused the SASL user name and password: a wrong AccessKey, secret,
    /// consumer group or instance, or a clock too far off. Not retried: the same
    /// credentials would be refused again.
    #[error("the subscription endpoint refused the login (SASL outcome `{code}`) for user `{username}`{}", reason_suffix(.reason))]
    Refused {
        /// The SASL outcome code (`auth`, `sys`, ...).
        code: String,
        /// The user name sent (it holds no secret: the AccessKey ID is public).
        username: String,
        /// What the server said, when it said anything.
        reason: Option<String>,
    },
    /// No connection could be made, after `attempts` tries.
    #[error("could not connect to {endpoint} after {attempts} attempt(s): {last}")]
    Unreachable {
        /// Where.
        endpoint: String,
        /// How many tries.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

fn reason_suffix(reason: &Option<String>) -> String {
    match reason {
        Some(reason) => format!(": {reason}"),
        None => String::new(),
    }
}
