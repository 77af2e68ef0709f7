//! Instance principal: a compute instance's identity, from the instance metadata service (IMDS v2)
//! and the X.509 federation endpoint (oci-facts §2.2).
//!
//! 1. IMDS (`OCI_METADATA_BASE_URL`, default `http://169.254.169.254/opc/v2`, header
//!    `Authorization: Bearer Oracle`): `/instance/region`, `/identity/cert.pem`, `/identity/key.pem`,
//!    `/identity/intermediate.pem`.
//! 2. The tenancy comes from the leaf certificate's subject (`opc-tenant:<ocid>`, or `opc-identity:`).
//! 3. `POST <auth endpoint>/v1/x509` with the certificates and a fresh session public key, signed by
//!    the leaf key with keyId `<tenancy>/fed-x509/<SHA-1 fingerprint of the leaf certificate>` over
//!    `date (request-target) content-length content-type x-content-sha256`; the answer is
//!    `{"token": "<jwt>"}`.
//! 4. Requests are signed with keyId `ST$<jwt>` and the session key, until five minutes before the
//!    token expires, or a 401.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::{AuthError, AuthKind, AuthProvider, Credentials, REFRESH_MARGIN, jwt};
use crate::client::host_header;
use crate::der::Reader;
use crate::env::Env;
use crate::key::{PrivateKey, pem_blocks};
use crate::region::{Region, resolve_endpoint};
use crate::signer::{self, BodyHeaders, FEDERATION_HEADERS, SigningInput};

/// The IMDS v2 base URL.
pub const DEFAULT_METADATA_BASE: &str = "http://169.254.169.254/opc/v2";

/// An instance principal.
pub struct InstancePrincipalProvider {
    http: reqwest::Client,
    metadata_base: String,
    federation_endpoint: String,
    region: Region,
    state: Mutex<Option<State>>,
    tenancy: std::sync::Mutex<Option<String>>,
}

#[derive(Clone)]
struct State {
    token: String,
    expires_at: jiff::Timestamp,
    session_key: Arc<PrivateKey>,
}

impl fmt::Debug for InstancePrincipalProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstancePrincipalProvider")
            .field("metadata_base", &self.metadata_base)
            .field("federation_endpoint", &self.federation_endpoint)
            .field("region", &self.region.id())
            .finish_non_exhaustive()
    }
}

fn ip_error(message: impl Into<String>) -> AuthError {
    AuthError::InstancePrincipal(message.into())
}

impl InstancePrincipalProvider {
    /// Asks IMDS for the region, then federates once (so a misconfiguration shows at start-up).
    /// `OCI_METADATA_BASE_URL` overrides the IMDS base and `GALLEY_OCI_ENDPOINT_AUTH` the federation
    /// endpoint.
    ///
    /// # Errors
    /// [`AuthError::InstancePrincipal`] when IMDS or federation fails (not on a compute instance,
    /// no dynamic-group policy, …).
    pub async fn from_env(env: &Env) -> Result<InstancePrincipalProvider, AuthError> {
        let metadata_base = env
            .get_nonempty("OCI_METADATA_BASE_URL")
            .unwrap_or_else(|| DEFAULT_METADATA_BASE.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .map_err(|err| ip_error(format!("cannot build an HTTP client: {err}")))?;
        let region_text = imds_get(&http, &metadata_base, "instance/region").await?;
        let region = Region::parse(String::from_utf8_lossy(&region_text).trim())?;
        let federation_endpoint =
            resolve_endpoint(env, "auth", None, Some(&region)).map_err(|err| ip_error(err.to_string()))?;
        let provider = InstancePrincipalProvider {
            http,
            metadata_base,
            federation_endpoint,
            region,
            state: Mutex::new(None),
            tenancy: std::sync::Mutex::new(None),
        };
        let first = provider.federate().await?;
        *provider.state.lock().await = Some(first);
        Ok(provider)
    }

    async fn federate(&self) -> Result<State, AuthError> {
        let cert_pem = imds_get(&self.http, &self.metadata_base, "identity/cert.pem").await?;
        let key_pem = imds_get(&self.http, &self.metadata_base, "identity/key.pem").await?;
        let intermediate_pem = imds_get(&self.http, &self.metadata_base, "identity/intermediate.pem").await?;
        let leaf_der = pem_blocks(&cert_pem)
            .ok()
            .and_then(|blocks| blocks.into_iter().find(|b| b.label == "CERTIFICATE"))
            .ok_or_else(|| ip_error("IMDS identity/cert.pem is not a PEM certificate"))?
            .der;
        let tenancy = tenancy_from_certificate(&leaf_der).ok_or_else(|| {
            ip_error("the instance certificate has no `opc-tenant:` or `opc-identity:` subject")
        })?;
        if let Ok(mut slot) = self.tenancy.lock() {
            *slot = Some(tenancy.clone());
        }
        let leaf_key = PrivateKey::from_pem(&key_pem, None)
            .map_err(|source| AuthError::Key { origin: "IMDS identity/key.pem".into(), source })?;
        let session_key = PrivateKey::generate()
            .map_err(|source| AuthError::Key { origin: "a new session key".into(), source })?;
        let session_public = session_key
            .public_key_pem()
            .map_err(|source| AuthError::Key { origin: "a new session key".into(), source })?;
        let body = serde_json::json!({
            "certificate": pem_body(&cert_pem),
            "publicKey": pem_body(session_public.as_bytes()),
            "intermediateCertificates": [pem_body(&intermediate_pem)],
        })
        .to_string();
        let url = format!("{}/v1/x509", self.federation_endpoint);
        let parsed =
            reqwest::Url::parse(&url).map_err(|err| ip_error(format!("bad federation URL {url}: {err}")))?;
        let date = signer::http_date(jiff::Timestamp::now());
        let sha = signer::x_content_sha256(body.as_bytes());
        let host = host_header(&parsed);
        let input = SigningInput {
            method: "POST",
            path_and_query: parsed.path(),
            host: &host,
            date: &date,
            body: Some(BodyHeaders {
                content_length: body.len() as u64,
                content_type: "application/json",
                x_content_sha256: &sha,
            }),
        };
        let key_id = format!("{tenancy}/fed-x509/{}", sha1_fingerprint(&leaf_der));
        let authorization = signer::authorization(&input, FEDERATION_HEADERS, &key_id, &leaf_key)
            .map_err(|err| ip_error(format!("cannot sign the federation request: {err}")))?;
        let response = self
            .http
            .post(parsed)
            .header("date", &date)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .header("x-content-sha256", &sha)
            .header("authorization", authorization)
            .body(body)
            .send()
            .await
            .map_err(|err| ip_error(format!("federation request to {url} failed: {err}")))?;
        let status = response.status();
        let request_id =
            response.headers().get("opc-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|err| ip_error(format!("federation response from {url}: {err}")))?;
        if !status.is_success() {
            return Err(ip_error(format!(
                "federation at {url} answered HTTP {status} (opc-request-id {}): {}; check that the instance is in a dynamic group with policies",
                request_id.as_deref().unwrap_or("none"),
                String::from_utf8_lossy(&bytes).chars().take(300).collect::<String>()
            )));
        }
        let token = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned))
            .ok_or_else(|| ip_error(format!("federation at {url} returned no token")))?;
        let claims = jwt::decode(&token)
            .map_err(|reason| AuthError::BadToken { origin: format!("federation at {url}"), reason })?;
        tracing::debug!(expires_at = %claims.expires_at, "instance principal token obtained");
        Ok(State { token, expires_at: claims.expires_at, session_key: Arc::new(session_key) })
    }
}

async fn imds_get(http: &reqwest::Client, base: &str, path: &str) -> Result<Vec<u8>, AuthError> {
    let url = format!("{base}/{path}");
    let response = http
        .get(&url)
        .header("authorization", "Bearer Oracle")
        .send()
        .await
        .map_err(|err| ip_error(format!("cannot reach the instance metadata service at {url} ({err}); is this a compute instance? Otherwise choose another GALLEY_OCI_AUTH")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ip_error(format!("the instance metadata service answered HTTP {status} for {url}")));
    }
    Ok(response.bytes().await.map_err(|err| ip_error(format!("reading {url}: {err}")))?.to_vec())
}

/// A PEM document's base64 body without the BEGIN/END lines and line breaks.
fn pem_body(pem: &[u8]) -> String {
    String::from_utf8_lossy(pem)
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat()
}

/// SHA-1 of the certificate DER, upper-case hex bytes joined by `:`.
fn sha1_fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// The tenancy OCID in a certificate's subject: `opc-tenant:<ocid>`, else `opc-identity:<ocid>`.
fn tenancy_from_certificate(der: &[u8]) -> Option<String> {
    let mut outer = Reader::new(der);
    let mut certificate = outer.sequence().ok()?;
    let mut tbs = certificate.sequence().ok()?;
    if tbs.peek_tag() == Some(0xA0) {
        tbs.any().ok()?; // version
    }
    tbs.integer().ok()?; // serial
    tbs.sequence().ok()?; // signature algorithm
    tbs.sequence().ok()?; // issuer
    tbs.sequence().ok()?; // validity
    let mut subject = tbs.sequence().ok()?;
    let mut values = Vec::new();
    while !subject.is_empty() {
        let mut rdn = subject.set().ok()?;
        while !rdn.is_empty() {
            let mut attribute = rdn.sequence().ok()?;
            attribute.oid().ok()?;
            let (_, value, _) = attribute.any().ok()?;
            values.push(String::from_utf8_lossy(value).into_owned());
        }
    }
    ["opc-tenant:", "opc-identity:"]
        .iter()
        .find_map(|prefix| values.iter().find_map(|v| v.strip_prefix(prefix).map(str::to_owned)))
}

#[async_trait::async_trait]
impl AuthProvider for InstancePrincipalProvider {
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        let mut state = self.state.lock().await;
        let now = jiff::Timestamp::now();
        let fresh_enough = state.as_ref().is_some_and(|s| s.expires_at.duration_since(now) >= REFRESH_MARGIN);
        if !fresh_enough {
            *state = Some(self.federate().await?);
        }
        let current = state.as_ref().ok_or_else(|| ip_error("no token"))?;
        Ok(Credentials::new(format!("ST${}", current.token), current.session_key.clone()))
    }

    fn region(&self) -> Option<Region> {
        Some(self.region.clone())
    }

    fn tenancy(&self) -> Option<String> {
        self.tenancy.lock().ok().and_then(|t| t.clone())
    }

    fn kind(&self) -> AuthKind {
        AuthKind::InstancePrincipal
    }

    async fn refresh_after_401(&self) -> bool {
        match self.federate().await {
            Ok(fresh) => {
                *self.state.lock().await = Some(fresh);
                true
            }
            Err(err) => {
                tracing::warn!(error = %err, "instance principal re-federation after a 401 failed");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::extract::State as AxState;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    use base64::Engine as _;

    use super::*;

    const LEAF_CERT: &str = include_str!("../testdata/imds_leaf_cert.pem");
    const LEAF_KEY: &str = include_str!("../testdata/imds_leaf_key.pem");
    const INTERMEDIATE: &str = include_str!("../testdata/imds_intermediate.pem");
    const LEAF_SHA1: &str = "1F:3B:18:4D:A0:AB:48:1C:F4:0C:70:ED:A5:A5:BB:41:9C:8D:1B:4E";

    #[test]
    fn certificate_facts() {
        let der = pem_blocks(LEAF_CERT.as_bytes()).unwrap().remove(0).der;
        assert_eq!(tenancy_from_certificate(&der).as_deref(), Some("ocid1.tenancy.oc1..iptest"));
        assert_eq!(sha1_fingerprint(&der), LEAF_SHA1);
        let other = pem_blocks(INTERMEDIATE.as_bytes()).unwrap().remove(0).der;
        assert_eq!(tenancy_from_certificate(&other), None);
    }

    #[derive(Clone, Default)]
    struct Fake {
        federations: Arc<AtomicUsize>,
        last_public_key: Arc<std::sync::Mutex<String>>,
    }

    fn bearer_ok(headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer Oracle")
    }

    async fn imds(path: &'static str, headers: HeaderMap) -> (StatusCode, String) {
        if !bearer_ok(&headers) {
            return (StatusCode::UNAUTHORIZED, "missing Bearer Oracle".into());
        }
        let body = match path {
            "region" => "iad",
            "cert" => LEAF_CERT,
            "key" => LEAF_KEY,
            _ => INTERMEDIATE,
        };
        (StatusCode::OK, body.to_owned())
    }

    /// Verifies the federation request as OCI would: keyId, header list, body hash, signature.
    async fn federation(
        AxState(fake): AxState<Fake>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> (StatusCode, String) {
        let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let auth = h("authorization");
        let want_prefix = format!(
            "Signature version=\"1\",headers=\"date (request-target) content-length content-type x-content-sha256\",keyId=\"ocid1.tenancy.oc1..iptest/fed-x509/{LEAF_SHA1}\",algorithm=\"rsa-sha256\",signature=\""
        );
        let Some(signature) = auth.strip_prefix(&want_prefix).and_then(|s| s.strip_suffix('"')) else {
            return (StatusCode::UNAUTHORIZED, format!("bad authorization {auth}"));
        };
        if h("x-content-sha256") != signer::x_content_sha256(&body) {
            return (StatusCode::UNAUTHORIZED, "bad body hash".into());
        }
        let signing_string = format!(
            "date: {}\n(request-target): post /v1/x509\ncontent-length: {}\ncontent-type: {}\nx-content-sha256: {}",
            h("date"),
            h("content-length"),
            h("content-type"),
            h("x-content-sha256")
        );
        let leaf = PrivateKey::from_pem(LEAF_KEY.as_bytes(), None).unwrap();
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            // SPKI → the RSAPublicKey inside (aws-lc-rs verifies PKCS#1 public keys).
            spki_to_pkcs1(&leaf.public_key_der().unwrap()),
        );
        let signature = base64::engine::general_purpose::STANDARD.decode(signature).unwrap();
        if public.verify(signing_string.as_bytes(), &signature).is_err() {
            return (StatusCode::UNAUTHORIZED, "signature does not verify".into());
        }
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(request["certificate"], pem_body(LEAF_CERT.as_bytes()));
        assert_eq!(request["intermediateCertificates"][0], pem_body(INTERMEDIATE.as_bytes()));
        *fake.last_public_key.lock().unwrap() = request["publicKey"].as_str().unwrap().to_owned();
        let n = fake.federations.fetch_add(1, Ordering::SeqCst);
        let exp = jiff::Timestamp::now().as_second() + 3600;
        let token = jwt::encode_unverified(&serde_json::json!({"exp": exp, "n": n}));
        (StatusCode::OK, serde_json::json!({"token": token}).to_string())
    }

    fn spki_to_pkcs1(spki: &[u8]) -> Vec<u8> {
        let mut outer = Reader::new(spki);
        let mut seq = outer.sequence().unwrap();
        seq.sequence().unwrap();
        let bits = seq.expect(0x03).unwrap();
        bits[1..].to_vec()
    }

    #[tokio::test]
    async fn federates_against_a_fake_imds_and_auth_service() {
        let fake = Fake::default();
        let app = axum::Router::new()
            .route("/opc/v2/instance/region", get(|h: HeaderMap| imds("region", h)))
            .route("/opc/v2/identity/cert.pem", get(|h: HeaderMap| imds("cert", h)))
            .route("/opc/v2/identity/key.pem", get(|h: HeaderMap| imds("key", h)))
            .route("/opc/v2/identity/intermediate.pem", get(|h: HeaderMap| imds("intermediate", h)))
            .route("/v1/x509", post(federation))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let env = Env::from_pairs([
            ("OCI_METADATA_BASE_URL", format!("http://{addr}/opc/v2")),
            ("GALLEY_OCI_ENDPOINT_AUTH", format!("http://{addr}")),
        ]);
        let provider = InstancePrincipalProvider::from_env(&env).await.unwrap();
        assert_eq!(provider.region().unwrap().id(), "us-ashburn-1");
        assert_eq!(provider.tenancy().as_deref(), Some("ocid1.tenancy.oc1..iptest"));
        let creds = provider.credentials().await.unwrap();
        let token = creds.key_id().strip_prefix("ST$").unwrap();
        assert!(jwt::decode(token).is_ok());
        assert_eq!(
            pem_body(creds.key().public_key_pem().unwrap().as_bytes()),
            *fake.last_public_key.lock().unwrap()
        );
        assert_eq!(fake.federations.load(Ordering::SeqCst), 1, "the token is cached");
        provider.credentials().await.unwrap();
        assert_eq!(fake.federations.load(Ordering::SeqCst), 1, "the token is cached");

        assert!(provider.refresh_after_401().await);
        assert_eq!(fake.federations.load(Ordering::SeqCst), 2);
        let again = provider.credentials().await.unwrap();
        assert_ne!(again.key_id(), creds.key_id(), "a new token after the 401");
    }

    #[tokio::test]
    async fn unreachable_imds_says_so() {
        let env = Env::from_pairs([("OCI_METADATA_BASE_URL", "http://127.0.0.1:9/opc/v2")]);
        let err = InstancePrincipalProvider::from_env(&env).await.unwrap_err().to_string();
        assert!(err.contains("cannot reach the instance metadata service"), "{err}");
    }
}
