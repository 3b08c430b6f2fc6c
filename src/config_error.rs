//! [`ConfigError`]: why a client (or one of its settings) could not be built. A leaf module, so every
//! settings type can name it without depending on the builder.

/// Why a client could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// No API key was given and the variable is unset.
    MissingApiKey {
        /// The environment variable to set (`INVENT_API_KEY`).
        variable: &'static str,
    },
    /// The API key is empty (or only white space).
    EmptyApiKey,
    /// The key contains characters that cannot go into an HTTP header.
    InvalidApiKey,
    /// The base URL does not parse, is not HTTPS (plain HTTP is for loopback only), or has a query.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting is out of range (retries, limiter, event stream, Redis sharing, …).
    InvalidSetting {
        /// The setting's name (`max_retries`, `limiter`, …).
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// reqwest could not build its client (TLS backend, proxy settings).
    Http(reqwest::Error),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::MissingApiKey { variable } => write!(
                f,
                "no Invent API key: set the {variable} environment variable (Settings → API Keys in Invent) or call ClientBuilder::api_key"
            ),
            ConfigError::EmptyApiKey => f.write_str("the Invent API key is empty"),
            ConfigError::InvalidApiKey => f.write_str("the Invent API key contains characters not allowed in an HTTP header"),
            ConfigError::InvalidBaseUrl { url, reason } => write!(f, "invalid base URL `{url}`: {reason}"),
            ConfigError::InvalidSetting { setting, reason } => write!(f, "invalid {setting}: {reason}"),
            ConfigError::Http(e) => write!(f, "could not build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Http(e) => Some(e),
            _ => None,
        }
    }
}
