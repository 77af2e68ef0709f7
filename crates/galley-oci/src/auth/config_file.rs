//! The OCI config file (`~/.oci/config`): API-key and session-token principals.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Mutex;

use super::{AuthError, AuthKind, AuthProvider, Credentials, REFRESH_MARGIN, jwt, read_file};
use crate::env::Env;
use crate::key::{PrivateKey, is_valid_fingerprint_format};
use crate::region::Region;

/// The config file path: `OCI_CONFIG_FILE`, else `~/.oci/config`, else `~/.oraclebmc/config` when
/// only that one exists.
pub fn default_config_path(env: &Env) -> PathBuf {
    if let Some(path) = env.get_nonempty("OCI_CONFIG_FILE") {
        return env.expand_tilde(&path);
    }
    let primary = env.expand_tilde("~/.oci/config");
    let legacy = env.expand_tilde("~/.oraclebmc/config");
    if !primary.exists() && legacy.exists() { legacy } else { primary }
}

/// A parsed OCI config file: INI profiles, where `[DEFAULT]` supplies defaults to every profile.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    path: PathBuf,
    sections: BTreeMap<String, BTreeMap<String, String>>,
    order: Vec<String>,
}

/// One profile, with `[DEFAULT]`'s entries filled in. `Debug` hides `pass_phrase`.
#[derive(Clone)]
pub struct Profile {
    name: String,
    path: PathBuf,
    entries: BTreeMap<String, String>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), if k == "pass_phrase" { "<redacted>" } else { v.as_str() }))
            .collect();
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("entries", &shown)
            .finish()
    }
}

impl Profile {
    /// An entry's value (trimmed, non-empty).
    pub fn get(&self, entry: &str) -> Option<&str> {
        self.entries.get(entry).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn require(&self, entry: &'static str) -> Result<&str, AuthError> {
        self.get(entry).ok_or_else(|| AuthError::MissingEntry {
            profile: self.name.clone(),
            path: self.path.clone(),
            entry,
        })
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn region(&self) -> Result<Option<Region>, AuthError> {
        self.get("region").map(Region::parse).transpose().map_err(AuthError::from)
    }
}

impl ConfigFile {
    /// Reads the config file at [`default_config_path`].
    ///
    /// # Errors
    /// [`AuthError::ConfigFileMissing`], [`AuthError::Unreadable`], [`AuthError::ConfigSyntax`].
    pub fn load(env: &Env) -> Result<ConfigFile, AuthError> {
        ConfigFile::load_from(&default_config_path(env))
    }

    /// Reads the config file at `path`.
    ///
    /// # Errors
    /// As [`ConfigFile::load`].
    pub fn load_from(path: &Path) -> Result<ConfigFile, AuthError> {
        if !path.exists() {
            return Err(AuthError::ConfigFileMissing { path: path.to_owned() });
        }
        let bytes = read_file("the OCI config file", path)?;
        let text = String::from_utf8(bytes).map_err(|_| AuthError::ConfigSyntax {
            path: path.to_owned(),
            line: 0,
            reason: "the file is not UTF-8".into(),
        })?;
        ConfigFile::parse(path, &text)
    }

    /// Parses config text (`path` is used in messages).
    ///
    /// # Errors
    /// [`AuthError::ConfigSyntax`] naming the line.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, AuthError> {
        let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut order = Vec::new();
        let mut current: Option<String> = None;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let syntax = |reason: &str| AuthError::ConfigSyntax {
                path: path.to_owned(),
                line: index + 1,
                reason: reason.to_owned(),
            };
            if let Some(name) = line.strip_prefix('[') {
                let name = name
                    .strip_suffix(']')
                    .ok_or_else(|| syntax("a section header must end with `]`"))?
                    .trim();
                if name.is_empty() {
                    return Err(syntax("empty profile name"));
                }
                if !sections.contains_key(name) {
                    order.push(name.to_owned());
                }
                sections.entry(name.to_owned()).or_default();
                current = Some(name.to_owned());
                continue;
            }
            let (key, value) =
                line.split_once('=').ok_or_else(|| syntax("expected `key=value` or `[PROFILE]`"))?;
            let section =
                current.as_ref().ok_or_else(|| syntax("an entry before the first `[PROFILE]` header"))?;
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        Ok(ConfigFile { path: path.to_owned(), sections, order })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile names, in file order.
    pub fn profile_names(&self) -> &[String] {
        &self.order
    }

    /// A profile with `[DEFAULT]`'s entries as defaults.
    ///
    /// # Errors
    /// [`AuthError::ProfileMissing`] listing the profiles that exist.
    pub fn profile(&self, name: &str) -> Result<Profile, AuthError> {
        let section = self.sections.get(name).ok_or_else(|| AuthError::ProfileMissing {
            profile: name.to_owned(),
            path: self.path.clone(),
            available: self.order.clone(),
        })?;
        let mut entries = self.sections.get("DEFAULT").cloned().unwrap_or_default();
        entries.extend(section.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(Profile { name: name.to_owned(), path: self.path.clone(), entries })
    }
}

/// Loads `key_file` (with `~` expansion and `pass_phrase`).
fn load_key(profile: &Profile, env: &Env) -> Result<(PrivateKey, PathBuf), AuthError> {
    let key_path = env.expand_tilde(profile.require("key_file")?);
    let pem = read_file("the private key file (key_file)", &key_path)?;
    let passphrase = profile.get("pass_phrase").map(str::as_bytes);
    let key = PrivateKey::from_pem(&pem, passphrase)
        .map_err(|source| AuthError::Key { origin: key_path.display().to_string(), source })?;
    Ok((key, key_path))
}

/// An API-key principal from a config profile: keyId `<tenancy>/<user>/<fingerprint>`.
pub struct ApiKeyProvider {
    credentials: Credentials,
    region: Option<Region>,
    tenancy: String,
    profile: String,
}

impl fmt::Debug for ApiKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyProvider")
            .field("profile", &self.profile)
            .field("key_id", &self.credentials.key_id())
            .field("region", &self.region.as_ref().map(Region::id))
            .finish()
    }
}

impl ApiKeyProvider {
    /// Loads the profile's `tenancy`, `user`, `fingerprint`, `key_file` (+ `pass_phrase`) and
    /// `region`, and checks that the fingerprint belongs to the key.
    ///
    /// # Errors
    /// [`AuthError`] naming the profile, the file and what is wrong.
    pub fn from_config(config: &ConfigFile, profile: &str, env: &Env) -> Result<ApiKeyProvider, AuthError> {
        let profile = config.profile(profile)?;
        let tenancy = profile.require("tenancy")?.to_owned();
        let user = profile.require("user")?.to_owned();
        let fingerprint = profile.require("fingerprint")?.to_owned();
        if !is_valid_fingerprint_format(&fingerprint) {
            return Err(AuthError::BadFingerprint {
                profile: profile.name.clone(),
                path: profile.path.clone(),
                value: fingerprint,
            });
        }
        let (key, key_path) = load_key(&profile, env)?;
        if key.fingerprint() != fingerprint {
            return Err(AuthError::FingerprintMismatch {
                profile: profile.name.clone(),
                configured: fingerprint,
                actual: key.fingerprint().to_owned(),
                key_path,
            });
        }
        let region = profile.region()?;
        Ok(ApiKeyProvider::new(&tenancy, &user, key, region).with_profile(&profile.name))
    }

    /// An API-key principal from explicit values (the fingerprint is computed from the key).
    pub fn new(tenancy: &str, user: &str, key: PrivateKey, region: Option<Region>) -> ApiKeyProvider {
        let key_id = format!("{tenancy}/{user}/{}", key.fingerprint());
        ApiKeyProvider {
            credentials: Credentials::new(key_id, Arc::new(key)),
            region,
            tenancy: tenancy.to_owned(),
            profile: String::new(),
        }
    }

    fn with_profile(mut self, profile: &str) -> Self {
        profile.clone_into(&mut self.profile);
        self
    }
}

#[async_trait::async_trait]
impl AuthProvider for ApiKeyProvider {
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        Ok(self.credentials.clone())
    }

    fn region(&self) -> Option<Region> {
        self.region.clone()
    }

    fn tenancy(&self) -> Option<String> {
        Some(self.tenancy.clone())
    }

    fn kind(&self) -> AuthKind {
        AuthKind::ApiKey
    }
}

/// A session-token principal (`oci session authenticate`): keyId `ST$<contents of
/// security_token_file>`, signed with `key_file`. The token file is re-read when the token is
/// about to expire, every minute, and after a 401 (`oci session refresh` rewrites it).
pub struct SecurityTokenProvider {
    profile: String,
    token_path: PathBuf,
    key: Arc<PrivateKey>,
    region: Option<Region>,
    tenancy: Option<String>,
    state: Mutex<TokenState>,
}

#[derive(Clone)]
struct TokenState {
    token: String,
    expires_at: jiff::Timestamp,
    read_at: jiff::Timestamp,
}

impl fmt::Debug for SecurityTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityTokenProvider")
            .field("profile", &self.profile)
            .field("token_path", &self.token_path)
            .field("key", &self.key)
            .field("region", &self.region.as_ref().map(Region::id))
            .finish()
    }
}

impl SecurityTokenProvider {
    /// Loads the profile's `security_token_file`, `key_file` (+ `pass_phrase`), `region` and
    /// `tenancy`.
    ///
    /// # Errors
    /// [`AuthError`] naming the profile, the file and what is wrong.
    pub fn from_config(
        config: &ConfigFile,
        profile: &str,
        env: &Env,
    ) -> Result<SecurityTokenProvider, AuthError> {
        let profile = config.profile(profile)?;
        let token_path = env.expand_tilde(profile.require("security_token_file")?);
        let (key, _) = load_key(&profile, env)?;
        let state = read_token(&token_path)?;
        let tenancy = profile.get("tenancy").map(str::to_owned);
        Ok(SecurityTokenProvider {
            profile: profile.name.clone(),
            token_path,
            key: Arc::new(key),
            region: profile.region()?,
            tenancy,
            state: Mutex::new(state),
        })
    }

    fn expired(&self, state: &TokenState, now: jiff::Timestamp) -> AuthError {
        AuthError::TokenExpired {
            what: format!("session token in {}", self.token_path.display()),
            expired_at: state.expires_at,
            now,
            renew: format!(
                "renew it with `oci session refresh --profile {0}` (while still refreshable) or `oci session authenticate --profile-name {0}`",
                self.profile
            ),
        }
    }
}

fn read_token(path: &Path) -> Result<TokenState, AuthError> {
    let bytes = read_file("the session token file (security_token_file)", path)?;
    let token = String::from_utf8_lossy(&bytes).trim().to_owned();
    let claims = jwt::decode(&token)
        .map_err(|reason| AuthError::BadToken { origin: path.display().to_string(), reason })?;
    Ok(TokenState { token, expires_at: claims.expires_at, read_at: jiff::Timestamp::now() })
}

#[async_trait::async_trait]
impl AuthProvider for SecurityTokenProvider {
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        let mut state = self.state.lock().await;
        let now = jiff::Timestamp::now();
        let stale = now.duration_since(state.read_at) > jiff::SignedDuration::from_secs(60);
        if stale || state.expires_at.duration_since(now) < REFRESH_MARGIN {
            match read_token(&self.token_path) {
                Ok(fresh) => *state = fresh,
                Err(err) => {
                    tracing::warn!(error = %err, "could not re-read the session token file; keeping the loaded token")
                }
            }
        }
        if state.expires_at <= now {
            return Err(self.expired(&state, now));
        }
        Ok(Credentials::new(format!("ST${}", state.token), self.key.clone()))
    }

    fn region(&self) -> Option<Region> {
        self.region.clone()
    }

    fn tenancy(&self) -> Option<String> {
        self.tenancy.clone()
    }

    fn kind(&self) -> AuthKind {
        AuthKind::SecurityToken
    }

    async fn refresh_after_401(&self) -> bool {
        match read_token(&self.token_path) {
            Ok(fresh) => {
                let mut state = self.state.lock().await;
                let changed = fresh.token != state.token;
                *state = fresh;
                changed
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::type_complexity)]

    use super::*;

    const KEY: &str = include_str!("../testdata/rsa2048_pkcs1.pem");
    const FINGERPRINT: &str = "7c:88:30:c7:9f:4f:e9:e3:fb:45:48:84:aa:77:36:00";

    struct Fixture {
        dir: tempfile::TempDir,
        env: Env,
    }

    fn fixture(config: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".oci")).unwrap();
        std::fs::write(home.join(".oci/key.pem"), KEY).unwrap();
        std::fs::write(home.join(".oci/enc.pem"), include_str!("../testdata/rsa2048_pkcs1_aes256.pem"))
            .unwrap();
        std::fs::write(home.join(".oci/config"), config).unwrap();
        let env = Env::from_pairs([("HOME", home.display().to_string())]);
        Fixture { dir, env }
    }

    fn api_key(config: &str, profile: &str) -> Result<ApiKeyProvider, AuthError> {
        let fx = fixture(config);
        let file = ConfigFile::load(&fx.env)?;
        let _keep = &fx.dir;
        ApiKeyProvider::from_config(&file, profile, &fx.env)
    }

    fn config(extra: &str) -> String {
        format!(
            "# comment\n[DEFAULT]\nuser=ocid1.user.oc1..u\nfingerprint={FINGERPRINT}\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\nkey_file=~/.oci/key.pem\n\n{extra}"
        )
    }

    #[tokio::test]
    async fn api_key_profiles() {
        let cases: &[(&str, &str, Result<(&str, Option<&str>), &str>)] = &[
            ("", "DEFAULT", Ok(("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/", Some("us-ashburn-1")))),
            (
                "[TOKYO]\nregion = NRT\nuser = ocid1.user.oc1..other\n",
                "TOKYO",
                Ok(("ocid1.tenancy.oc1..t/ocid1.user.oc1..other/", Some("ap-tokyo-1"))),
            ),
            (
                "[ENC]\nkey_file=~/.oci/enc.pem\npass_phrase=galley-test\n",
                "ENC",
                Ok(("ocid1.tenancy.oc1..t/", Some("us-ashburn-1"))),
            ),
            ("[ENC]\nkey_file=~/.oci/enc.pem\n", "ENC", Err("no passphrase was given")),
            ("[ENC]\nkey_file=~/.oci/enc.pem\npass_phrase=wrong\n", "ENC", Err("passphrase is wrong")),
            ("[A]\n[B]\n", "C", Err("has no profile [C]; it has [DEFAULT], [A], [B]")),
            ("[X]\nfingerprint=7C-88\n", "X", Err("fingerprint `7C-88` is not valid")),
            (
                "[X]\nfingerprint=00:88:30:c7:9f:4f:e9:e3:fb:45:48:84:aa:77:36:00\n",
                "X",
                Err("does not match the key"),
            ),
            ("[X]\nkey_file=~/.oci/missing.pem\n", "X", Err("missing.pem: no such file")),
            ("[X]\nkey_file=\n", "X", Err("has no `key_file`")),
            ("[X]\nregion=atlantis\n", "X", Err("`atlantis` is not an OCI region")),
            ("[X\n", "X", Err("line 9: a section header must end with `]`")),
        ];
        for (extra, profile, want) in cases {
            let got = api_key(&config(extra), profile);
            match want {
                Ok((key_id_prefix, region)) => {
                    let provider = got.unwrap_or_else(|err| panic!("{profile}: {err}"));
                    let creds = provider.credentials().await.unwrap();
                    assert!(creds.key_id().starts_with(key_id_prefix), "{}", creds.key_id());
                    assert!(creds.key_id().ends_with(FINGERPRINT));
                    assert_eq!(provider.region().as_ref().map(Region::id), *region);
                }
                Err(fragment) => {
                    let err = got.map(|_| ()).unwrap_err().to_string();
                    assert!(err.contains(fragment), "{profile}: {err}");
                    assert!(!err.contains(KEY.lines().nth(1).unwrap()), "key material in error: {err}");
                    assert!(!err.contains("galley-test"), "passphrase in error: {err}");
                }
            }
        }
    }

    #[tokio::test]
    async fn auto_picks_a_session_token_profile_only_without_a_user() {
        let now = jiff::Timestamp::now().as_second();
        let token = jwt::encode_unverified(&serde_json::json!({"exp": now + 3600}));
        let cases = [("", AuthKind::SecurityToken), ("user=ocid1.user.oc1..u\n", AuthKind::ApiKey)];
        for (user, want) in cases {
            let fx = fixture(&format!(
                "[DEFAULT]\n{user}fingerprint={FINGERPRINT}\ntenancy=ocid1.tenancy.oc1..t\nkey_file=~/.oci/key.pem\nsecurity_token_file=~/.oci/token\n"
            ));
            std::fs::write(fx.env.home().unwrap().join(".oci/token"), &token).unwrap();
            let provider = crate::auth::provider_from_env(&fx.env).await.unwrap();
            assert_eq!(provider.kind(), want, "{user:?}");
        }
    }

    #[test]
    fn missing_config_file_says_what_to_do() {
        let env = Env::from_pairs([("OCI_CONFIG_FILE", "/nonexistent/galley/config")]);
        let err = ConfigFile::load(&env).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/galley/config") && err.contains("oci setup config"), "{err}");
    }

    #[test]
    fn profile_debug_hides_the_passphrase() {
        let file = ConfigFile::parse(Path::new("c"), "[DEFAULT]\npass_phrase=hunter2\n").unwrap();
        let debug = format!("{:?}", file.profile("DEFAULT").unwrap());
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[tokio::test]
    async fn security_token_is_reread_and_expiry_is_explained() {
        let fx = fixture(&format!(
            "[S]\nfingerprint={FINGERPRINT}\ntenancy=ocid1.tenancy.oc1..t\nregion=us-phoenix-1\nkey_file=~/.oci/key.pem\nsecurity_token_file=~/.oci/token\n"
        ));
        let token_path = fx.env.home().unwrap().join(".oci/token");
        let now = jiff::Timestamp::now().as_second();
        let fresh = jwt::encode_unverified(&serde_json::json!({"exp": now + 3600}));
        std::fs::write(&token_path, format!("{fresh}\n")).unwrap();
        let file = ConfigFile::load(&fx.env).unwrap();
        let provider = SecurityTokenProvider::from_config(&file, "S", &fx.env).unwrap();
        assert_eq!(provider.credentials().await.unwrap().key_id(), format!("ST${fresh}"));
        assert!(!format!("{provider:?}").contains(&fresh));

        let renewed = jwt::encode_unverified(&serde_json::json!({"exp": now + 7200}));
        std::fs::write(&token_path, &renewed).unwrap();
        assert!(provider.refresh_after_401().await);
        assert_eq!(provider.credentials().await.unwrap().key_id(), format!("ST${renewed}"));

        let expired = jwt::encode_unverified(&serde_json::json!({"exp": now - 60}));
        std::fs::write(&token_path, &expired).unwrap();
        provider.refresh_after_401().await;
        let err = provider.credentials().await.unwrap_err().to_string();
        assert!(err.contains("expired at") && err.contains("oci session refresh --profile S"), "{err}");
        assert!(!err.contains(&expired));
    }
}
