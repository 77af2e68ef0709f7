//! Resource Principal 2.2: what Container Instances (and Functions) give a workload.
//!
//! `OCI_RESOURCE_PRINCIPAL_VERSION=2.2`; `OCI_RESOURCE_PRINCIPAL_RPST` and
//! `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM` are each the value itself or an absolute path to a file
//! holding it; `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE` (optional) likewise (a path when the
//! key is a path); `OCI_RESOURCE_PRINCIPAL_REGION` is the region (identifier or key).
//!
//! In path mode the files are re-read when the token expires within five minutes and once after a
//! 401 (the platform rotates them in place). Literal values cannot be refreshed.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::{AuthError, AuthKind, AuthProvider, Credentials, REFRESH_MARGIN, jwt, read_file};
use crate::env::Env;
use crate::key::PrivateKey;
use crate::region::Region;

const VERSION: &str = "OCI_RESOURCE_PRINCIPAL_VERSION";
const RPST: &str = "OCI_RESOURCE_PRINCIPAL_RPST";
const PEM: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM";
const PASSPHRASE: &str = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE";
const REGION: &str = "OCI_RESOURCE_PRINCIPAL_REGION";

/// A value given literally or as a file path.
#[derive(Clone)]
enum Source {
    Literal(String),
    Path(PathBuf),
}

impl Source {
    fn from_value(value: String) -> Source {
        if value.starts_with('/') { Source::Path(PathBuf::from(value)) } else { Source::Literal(value) }
    }

    fn describe(&self, var: &str) -> String {
        match self {
            Source::Literal(_) => var.to_owned(),
            Source::Path(path) => format!("{} ({var})", path.display()),
        }
    }

    fn read(&self, what: &'static str) -> Result<Vec<u8>, AuthError> {
        match self {
            Source::Literal(value) => Ok(value.as_bytes().to_vec()),
            Source::Path(path) => read_file(what, path),
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Literal(_) => f.write_str("Literal(<redacted>)"),
            Source::Path(path) => f.debug_tuple("Path").field(path).finish(),
        }
    }
}

/// A Resource Principal 2.2 principal: keyId `ST$<RPST>`, signed with the RP private key.
pub struct ResourcePrincipalProvider {
    token: Source,
    key: Source,
    passphrase: Option<Source>,
    region: Region,
    state: Mutex<State>,
}

#[derive(Clone)]
struct State {
    token: String,
    claims: jwt::Claims,
    key: Arc<PrivateKey>,
}

impl fmt::Debug for ResourcePrincipalProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourcePrincipalProvider")
            .field("token", &self.token)
            .field("key", &self.key)
            .field("region", &self.region.id())
            .finish_non_exhaustive()
    }
}

impl ResourcePrincipalProvider {
    /// Reads the RP 2.2 variables from `env` (never from anywhere else) and loads the token and key.
    ///
    /// # Errors
    /// [`AuthError::ResourcePrincipal`] for a missing variable or an unsupported version;
    /// [`AuthError::Key`], [`AuthError::BadToken`], [`AuthError::TokenExpired`] for bad values.
    pub fn from_env(env: &Env) -> Result<ResourcePrincipalProvider, AuthError> {
        let require = |var: &str| {
            env.get_nonempty(var).ok_or_else(|| {
                AuthError::ResourcePrincipal(format!(
                    "{var} is not set; a Resource Principal needs {VERSION}=2.2, {RPST}, {PEM} and {REGION} (Container Instances set them when the container's resource principal is enabled)"
                ))
            })
        };
        let version = require(VERSION)?;
        if version != "2.2" {
            return Err(AuthError::ResourcePrincipal(format!(
                "{VERSION}={version} is not supported; Galley supports Resource Principal version 2.2 (what Container Instances provide)"
            )));
        }
        let token = Source::from_value(require(RPST)?);
        let key = Source::from_value(require(PEM)?);
        let passphrase = env.get_nonempty(PASSPHRASE).map(Source::from_value);
        if let Some(passphrase) = &passphrase
            && matches!(passphrase, Source::Path(_)) != matches!(key, Source::Path(_))
        {
            return Err(AuthError::ResourcePrincipal(format!(
                "{PEM} and {PASSPHRASE} must both be file paths or both be values"
            )));
        }
        let region = Region::parse(&require(REGION)?)?;
        let provider = ResourcePrincipalProvider {
            state: Mutex::new(load(&token, &key, passphrase.as_ref())?),
            token,
            key,
            passphrase,
            region,
        };
        Ok(provider)
    }

    fn reloadable(&self) -> bool {
        matches!(self.token, Source::Path(_)) || matches!(self.key, Source::Path(_))
    }

    fn expired(&self, state: &State, now: jiff::Timestamp) -> AuthError {
        let renew = if self.reloadable() {
            format!(
                "the platform should have replaced {}; check that the container's resource principal is enabled, or restart the container",
                self.token.describe(RPST)
            )
        } else {
            format!(
                "{RPST} holds the token itself, which cannot be refreshed; give a file path the platform keeps fresh, or restart with a new token"
            )
        };
        AuthError::TokenExpired {
            what: format!("Resource Principal session token (RPST) from {}", self.token.describe(RPST)),
            expired_at: state.claims.expires_at,
            now,
            renew,
        }
    }
}

fn load(token: &Source, key: &Source, passphrase: Option<&Source>) -> Result<State, AuthError> {
    let token_text = String::from_utf8_lossy(&token.read("the RPST file")?).trim().to_owned();
    let claims = jwt::decode(&token_text)
        .map_err(|reason| AuthError::BadToken { origin: token.describe(RPST), reason })?;
    let pem = key.read("the RP private key file")?;
    let passphrase = passphrase
        .map(|p| p.read("the RP passphrase file"))
        .transpose()?
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned());
    let private_key = PrivateKey::from_pem(&pem, passphrase.as_deref().map(str::as_bytes))
        .map_err(|source| AuthError::Key { origin: key.describe(PEM), source })?;
    Ok(State { token: token_text, claims, key: Arc::new(private_key) })
}

#[async_trait::async_trait]
impl AuthProvider for ResourcePrincipalProvider {
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        let mut state = self.state.lock().await;
        let now = jiff::Timestamp::now();
        if self.reloadable() && state.claims.expires_at.duration_since(now) < REFRESH_MARGIN {
            match load(&self.token, &self.key, self.passphrase.as_ref()) {
                Ok(fresh) => *state = fresh,
                Err(err) => tracing::warn!(error = %err, "could not re-read the Resource Principal files"),
            }
        }
        if state.claims.expires_at <= now {
            return Err(self.expired(&state, now));
        }
        Ok(Credentials::new(format!("ST${}", state.token), state.key.clone()))
    }

    fn region(&self) -> Option<Region> {
        Some(self.region.clone())
    }

    fn tenancy(&self) -> Option<String> {
        self.state.try_lock().ok().and_then(|state| state.claims.tenancy.clone())
    }

    fn kind(&self) -> AuthKind {
        AuthKind::ResourcePrincipal
    }

    async fn refresh_after_401(&self) -> bool {
        if !self.reloadable() {
            return false;
        }
        match load(&self.token, &self.key, self.passphrase.as_ref()) {
            Ok(fresh) => {
                *self.state.lock().await = fresh;
                true
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not re-read the Resource Principal files after a 401");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../testdata/rsa2048_pkcs8.pem");

    fn token(offset_secs: i64) -> String {
        let exp = jiff::Timestamp::now().as_second() + offset_secs;
        jwt::encode_unverified(&serde_json::json!({"exp": exp, "res_tenant": "ocid1.tenancy.oc1..rp"}))
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[tokio::test]
    async fn literal_values() {
        let tok = token(3600);
        let env = env(&[(VERSION, "2.2"), (RPST, &tok), (PEM, KEY), (REGION, "phx")]);
        let provider = ResourcePrincipalProvider::from_env(&env).unwrap();
        let creds = provider.credentials().await.unwrap();
        assert_eq!(creds.key_id(), format!("ST${tok}"));
        assert_eq!(provider.region().unwrap().id(), "us-phoenix-1");
        assert_eq!(provider.tenancy().as_deref(), Some("ocid1.tenancy.oc1..rp"));
        assert!(!provider.refresh_after_401().await, "literal values cannot be refreshed");
        let debug = format!("{provider:?}");
        assert!(!debug.contains(&tok) && !debug.contains("BEGIN"), "{debug}");
    }

    #[tokio::test]
    async fn file_values_are_reread_after_a_401_and_near_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let token_path = dir.path().join("rpst");
        let key_path = dir.path().join("key.pem");
        let pass_path = dir.path().join("pass");
        std::fs::write(&token_path, token(3600)).unwrap();
        std::fs::write(&key_path, include_str!("../testdata/rsa2048_pkcs8_aes256_sha256.pem")).unwrap();
        std::fs::write(&pass_path, "galley-test\n").unwrap();
        let env = env(&[
            (VERSION, "2.2"),
            (RPST, token_path.to_str().unwrap()),
            (PEM, key_path.to_str().unwrap()),
            (PASSPHRASE, pass_path.to_str().unwrap()),
            (REGION, "us-ashburn-1"),
        ]);
        let provider = ResourcePrincipalProvider::from_env(&env).unwrap();
        provider.credentials().await.unwrap();

        let second = token(3600);
        std::fs::write(&token_path, &second).unwrap();
        assert!(provider.refresh_after_401().await);
        assert_eq!(provider.credentials().await.unwrap().key_id(), format!("ST${second}"));

        // A token about to expire is replaced before use.
        let soon = token(60);
        std::fs::write(&token_path, &soon).unwrap();
        provider.refresh_after_401().await;
        let third = token(3600);
        std::fs::write(&token_path, &third).unwrap();
        assert_eq!(provider.credentials().await.unwrap().key_id(), format!("ST${third}"));
    }

    #[test]
    fn configuration_errors() {
        let tok = token(3600);
        let old = token(-10);
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![], "OCI_RESOURCE_PRINCIPAL_VERSION is not set"),
            (vec![(VERSION, "2.1")], "2.1 is not supported"),
            (vec![(VERSION, "2.2"), (PEM, KEY), (REGION, "iad")], "OCI_RESOURCE_PRINCIPAL_RPST is not set"),
            (vec![(VERSION, "2.2"), (RPST, &tok), (PEM, KEY)], "OCI_RESOURCE_PRINCIPAL_REGION is not set"),
            (vec![(VERSION, "2.2"), (RPST, "not-a-jwt"), (PEM, KEY), (REGION, "iad")], "is not a valid JWT"),
            (
                vec![(VERSION, "2.2"), (RPST, &tok), (PEM, "/nonexistent/rp.pem"), (REGION, "iad")],
                "/nonexistent/rp.pem: no such file",
            ),
            (
                vec![(VERSION, "2.2"), (RPST, &tok), (PEM, "garbage"), (REGION, "iad")],
                "not a PEM private key",
            ),
            (
                vec![(VERSION, "2.2"), (RPST, &tok), (PEM, KEY), (PASSPHRASE, "/p"), (REGION, "iad")],
                "both be file paths",
            ),
            (vec![(VERSION, "2.2"), (RPST, &tok), (PEM, KEY), (REGION, "nowhere")], "not an OCI region"),
        ];
        for (pairs, fragment) in cases {
            let err = ResourcePrincipalProvider::from_env(&env(&pairs)).map(|_| ()).unwrap_err().to_string();
            assert!(err.contains(fragment), "{pairs:?}: {err}");
            let key_line = KEY.lines().nth(1).unwrap();
            assert!(!err.contains(&tok) && !err.contains(key_line), "secret in error: {err}");
        }
        let expired_env = env(&[(VERSION, "2.2"), (RPST, &old), (PEM, KEY), (REGION, "iad")]);
        let provider = ResourcePrincipalProvider::from_env(&expired_env).unwrap();
        let err = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(provider.credentials())
            .unwrap_err()
            .to_string();
        assert!(err.contains("expired at") && err.contains("cannot be refreshed"), "{err}");
    }
}
