//! Auth principals: who signs requests, with which key.
//!
//! Every principal implements [`AuthProvider`]: it hands out [`Credentials`] (a keyId and a private
//! key), knows its region when it can, and refreshes after a 401 when that may help.
//!
//! | `GALLEY_OCI_AUTH` | provider | keyId |
//! |---|---|---|
//! | `api_key` | [`ApiKeyProvider`] (`~/.oci/config` profile) | `<tenancy>/<user>/<fingerprint>` |
//! | `security_token` | [`SecurityTokenProvider`] (profile with `security_token_file`) | `ST$<token>` |
//! | `resource_principal` | [`ResourcePrincipalProvider`] (RP 2.2 environment) | `ST$<RPST>` |
//! | `instance_principal` | [`InstancePrincipalProvider`] (IMDS v2 + X.509 federation) | `ST$<token>` |
//! | `auto` (default) | RP when `OCI_RESOURCE_PRINCIPAL_VERSION` is set, else the config file (a session-token profile when it has `security_token_file` and no `user`) | |
//!
//! Secrets (keys, tokens, passphrases) never appear in `Debug`, `Display`, errors or logs.

mod config_file;
mod instance_principal;
pub mod jwt;
mod resource_principal;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use config_file::{ApiKeyProvider, ConfigFile, Profile, SecurityTokenProvider, default_config_path};
pub use instance_principal::InstancePrincipalProvider;
pub use resource_principal::ResourcePrincipalProvider;

use crate::env::Env;
use crate::key::{KeyError, PrivateKey};
use crate::region::{Region, RegionError};

/// Refresh a token when it expires within this margin.
pub const REFRESH_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(5 * 60);

/// What signs a request: the keyId and the private key.
#[derive(Clone)]
pub struct Credentials {
    key_id: String,
    key: Arc<PrivateKey>,
}

impl Credentials {
    /// Pairs a keyId with its key.
    pub fn new(key_id: impl Into<String>, key: Arc<PrivateKey>) -> Credentials {
        Credentials { key_id: key_id.into(), key }
    }

    /// The keyId (contains a token for security-token principals: never log it).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The private key.
    pub fn key(&self) -> &Arc<PrivateKey> {
        &self.key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key_id = if self.key_id.starts_with("ST$") { "ST$<redacted>" } else { self.key_id.as_str() };
        f.debug_struct("Credentials").field("key_id", &key_id).field("key", &self.key).finish()
    }
}

/// Which kind of principal a provider is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// API key from the OCI config file.
    ApiKey,
    /// Session token from the OCI config file (`oci session authenticate`).
    SecurityToken,
    /// Resource Principal 2.2 (Container Instances, Functions, …).
    ResourcePrincipal,
    /// Instance principal (compute instances).
    InstancePrincipal,
}

impl AuthKind {
    /// The `GALLEY_OCI_AUTH` value (and OCI CLI `--auth` value) of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::ApiKey => "api_key",
            AuthKind::SecurityToken => "security_token",
            AuthKind::ResourcePrincipal => "resource_principal",
            AuthKind::InstancePrincipal => "instance_principal",
        }
    }
}

/// A principal that signs OCI requests.
#[async_trait::async_trait]
pub trait AuthProvider: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with, refreshed first when they expire soon.
    ///
    /// # Errors
    /// [`AuthError`] when they cannot be loaded or have expired beyond repair.
    async fn credentials(&self) -> Result<Credentials, AuthError>;

    /// The principal's region, when it has one (config profile, RP environment, IMDS).
    fn region(&self) -> Option<Region>;

    /// The tenancy OCID, when known.
    fn tenancy(&self) -> Option<String> {
        None
    }

    /// Which kind of principal this is.
    fn kind(&self) -> AuthKind;

    /// Called once after a request was answered 401: reload what can be reloaded. Returns whether
    /// retrying the request may now succeed.
    async fn refresh_after_401(&self) -> bool {
        false
    }
}

/// Which principal to use (`GALLEY_OCI_AUTH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Resource Principal when its environment is present, else the config file.
    #[default]
    Auto,
    /// API key from the config file.
    ApiKey,
    /// Session token from the config file.
    SecurityToken,
    /// Resource Principal 2.2.
    ResourcePrincipal,
    /// Instance principal.
    InstancePrincipal,
}

impl AuthMode {
    /// Parses a `GALLEY_OCI_AUTH` value (case-insensitive; `-` and `_` are the same).
    ///
    /// # Errors
    /// [`AuthError::BadMode`] naming the valid values.
    pub fn parse(value: &str) -> Result<AuthMode, AuthError> {
        match value.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "" | "auto" => Ok(AuthMode::Auto),
            "api_key" | "apikey" => Ok(AuthMode::ApiKey),
            "security_token" | "session_token" => Ok(AuthMode::SecurityToken),
            "resource_principal" => Ok(AuthMode::ResourcePrincipal),
            "instance_principal" => Ok(AuthMode::InstancePrincipal),
            _ => Err(AuthError::BadMode { value: value.to_owned() }),
        }
    }
}

/// Why a principal could not produce credentials. Messages name files and variables, never secrets.
#[derive(thiserror::Error, Debug)]
pub enum AuthError {
    /// `GALLEY_OCI_AUTH` has an unknown value.
    #[error(
        "GALLEY_OCI_AUTH=`{value}` is not valid; use auto, api_key, resource_principal, instance_principal or security_token"
    )]
    BadMode {
        /// The value given.
        value: String,
    },
    /// The OCI config file does not exist.
    #[error(
        "the OCI config file {} does not exist; create it with `oci setup config`, point OCI_CONFIG_FILE at it, or choose another principal with GALLEY_OCI_AUTH (resource_principal, instance_principal)",
        path.display()
    )]
    ConfigFileMissing {
        /// The path looked at.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {what} {}: {reason}", path.display())]
    Unreadable {
        /// What the file is (`the OCI config file`, `the private key file`, …).
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The IO error.
        reason: String,
    },
    /// The config file is not valid INI.
    #[error("the OCI config file {} is invalid at line {line}: {reason}", path.display())]
    ConfigSyntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The profile is not in the config file.
    #[error(
        "the OCI config file {} has no profile [{profile}]; it has {}; choose one with GALLEY_OCI_PROFILE (or OCI_CLI_PROFILE)",
        path.display(),
        if available.is_empty() { "no profiles".to_owned() } else { available.iter().map(|p| format!("[{p}]")).collect::<Vec<_>>().join(", ") }
    )]
    ProfileMissing {
        /// The profile asked for.
        profile: String,
        /// The file.
        path: PathBuf,
        /// The profiles that exist.
        available: Vec<String>,
    },
    /// A required entry is missing from the profile.
    #[error("profile [{profile}] in {} has no `{entry}`; add `{entry}=…` to it (see `oci setup config`)", path.display())]
    MissingEntry {
        /// The profile.
        profile: String,
        /// The file.
        path: PathBuf,
        /// The missing entry.
        entry: &'static str,
    },
    /// The fingerprint is not `aa:bb:…` (16 lowercase hex bytes).
    #[error(
        "profile [{profile}] in {}: fingerprint `{value}` is not valid; it must be 16 lowercase hex bytes separated by `:` (e.g. 12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0), as shown in the console under API keys",
        path.display()
    )]
    BadFingerprint {
        /// The profile.
        profile: String,
        /// The file.
        path: PathBuf,
        /// The value found.
        value: String,
    },
    /// The fingerprint does not belong to the key.
    #[error(
        "profile [{profile}]: fingerprint {configured} does not match the key in {} (its fingerprint is {actual}); fix `fingerprint` or `key_file`, and check that this public key is uploaded to the user",
        key_path.display()
    )]
    FingerprintMismatch {
        /// The profile.
        profile: String,
        /// The configured fingerprint.
        configured: String,
        /// The key's fingerprint.
        actual: String,
        /// The key file.
        key_path: PathBuf,
    },
    /// A private key could not be used.
    #[error("private key from {origin}: {source}")]
    Key {
        /// Where the key came from (a path or a variable name).
        origin: String,
        /// What is wrong with it.
        #[source]
        source: KeyError,
    },
    /// A token is not a JWT.
    #[error("the token from {origin} is not a valid JWT: {reason}")]
    BadToken {
        /// Where it came from.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A token has expired.
    #[error("the {what} expired at {expired_at} (now {now}); {renew}")]
    TokenExpired {
        /// Which token.
        what: String,
        /// When it expired.
        expired_at: jiff::Timestamp,
        /// The current time.
        now: jiff::Timestamp,
        /// How to renew it.
        renew: String,
    },
    /// The Resource Principal environment is incomplete or unsupported.
    #[error("Resource Principal: {0}")]
    ResourcePrincipal(String),
    /// Instance metadata or federation failed.
    #[error("instance principal: {0}")]
    InstancePrincipal(String),
    /// A region name is invalid.
    #[error(transparent)]
    Region(#[from] RegionError),
}

/// Reads a small file, mapping IO errors to [`AuthError::Unreadable`].
pub(crate) fn read_file(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, AuthError> {
    std::fs::read(path).map_err(|err| AuthError::Unreadable {
        what,
        path: path.to_owned(),
        reason: match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => err.to_string(),
        },
    })
}

/// Builds the provider `GALLEY_OCI_AUTH` asks for (default `auto`), reading everything from `env`
/// (`GALLEY_OCI_PROFILE`/`OCI_CLI_PROFILE`, `OCI_CONFIG_FILE`, `HOME`, the RP variables,
/// `OCI_METADATA_BASE_URL`, `GALLEY_OCI_ENDPOINT_AUTH`).
///
/// # Errors
/// [`AuthError`] naming what is missing or wrong.
pub async fn provider_from_env(env: &Env) -> Result<Arc<dyn AuthProvider>, AuthError> {
    let mode = AuthMode::parse(&env.get("GALLEY_OCI_AUTH").unwrap_or_default())?;
    provider_for_mode(mode, env).await
}

/// Builds the provider for `mode` (see [`provider_from_env`]).
///
/// # Errors
/// [`AuthError`] naming what is missing or wrong.
pub async fn provider_for_mode(mode: AuthMode, env: &Env) -> Result<Arc<dyn AuthProvider>, AuthError> {
    let profile = || {
        env.get_nonempty("GALLEY_OCI_PROFILE")
            .or_else(|| env.get_nonempty("OCI_CLI_PROFILE"))
            .unwrap_or_else(|| "DEFAULT".to_owned())
    };
    let provider: Arc<dyn AuthProvider> = match mode {
        AuthMode::ResourcePrincipal => Arc::new(ResourcePrincipalProvider::from_env(env)?),
        AuthMode::InstancePrincipal => Arc::new(InstancePrincipalProvider::from_env(env).await?),
        AuthMode::ApiKey => Arc::new(ApiKeyProvider::from_config(&ConfigFile::load(env)?, &profile(), env)?),
        AuthMode::SecurityToken => {
            Arc::new(SecurityTokenProvider::from_config(&ConfigFile::load(env)?, &profile(), env)?)
        }
        AuthMode::Auto => {
            if env.get_nonempty("OCI_RESOURCE_PRINCIPAL_VERSION").is_some() {
                Arc::new(ResourcePrincipalProvider::from_env(env)?)
            } else {
                let config = ConfigFile::load(env)?;
                let profile = profile();
                let section = config.profile(&profile)?;
                if section.get("security_token_file").is_some() && section.get("user").is_none() {
                    Arc::new(SecurityTokenProvider::from_config(&config, &profile, env)?)
                } else {
                    Arc::new(ApiKeyProvider::from_config(&config, &profile, env)?)
                }
            }
        }
    };
    tracing::info!(principal = provider.kind().as_str(), region = ?provider.region().map(|r| r.to_string()), "OCI principal ready");
    Ok(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let cases = [
            ("", Some(AuthMode::Auto)),
            ("auto", Some(AuthMode::Auto)),
            ("API_KEY", Some(AuthMode::ApiKey)),
            ("resource-principal", Some(AuthMode::ResourcePrincipal)),
            ("instance_principal", Some(AuthMode::InstancePrincipal)),
            ("security_token", Some(AuthMode::SecurityToken)),
            ("password", None),
        ];
        for (input, want) in cases {
            assert_eq!(AuthMode::parse(input).ok(), want, "{input}");
        }
        assert!(AuthMode::parse("password").unwrap_err().to_string().contains("instance_principal"));
    }

    #[test]
    fn credentials_debug_redacts_tokens() {
        let key =
            Arc::new(PrivateKey::from_pem(include_bytes!("../testdata/rsa2048_pkcs1.pem"), None).unwrap());
        let st = Credentials::new("ST$eyJsecret", key.clone());
        assert!(!format!("{st:?}").contains("eyJsecret"));
        let api = Credentials::new("ocid1.tenancy/ocid1.user/aa", key);
        assert!(format!("{api:?}").contains("ocid1.user"));
    }
}
