//! Server-side verification of OCI request signatures ("Signature Version 1", draft-cavage-http-signatures-08 as
//! OCI uses it; oci-facts §1).
//!
//! Signing (what the clients do) builds a signing string from the request and signs it; verifying is the other
//! way round: read `headers="..."` from the `Authorization` header, rebuild the signing string from the request as
//! received, in that order, and check the RSA-SHA256 (PKCS#1 v1.5) signature with the public key named by `keyId`.
//! On top of the signature itself, OCI insists on a minimum set of signed headers per method (GET/HEAD/DELETE:
//! `date (request-target) host`; PUT/POST/PATCH also `content-length content-type x-content-sha256`, except
//! Object Storage PutObject/UploadPart), on `x-content-sha256` matching the body, and on the date being within
//! five minutes of its clock. Every failure is a 401 `NotAuthenticated`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp};
use md5::{Digest as _, Md5};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, SetupError};
use crate::state::AppState;

/// The prefix of a security-token keyId (resource principal, instance principal, session token).
pub const SECURITY_TOKEN_PREFIX: &str = "ST$";

/// An RSA public key a request may be signed with.
///
/// Verification accepts RSA moduli from 1024 bits up, because OCI's published test vectors use a 1024-bit key;
/// real OCI API keys are 2048 bits or more.
#[derive(Clone)]
pub struct PublicKey {
    key: Arc<ParsedPublicKey>,
    fingerprint: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("fingerprint", &self.fingerprint).finish()
    }
}

impl PublicKey {
    /// Parses a PEM public key: `BEGIN PUBLIC KEY` (X.509 SubjectPublicKeyInfo, what `openssl rsa -pubout` and the
    /// OCI console give) or `BEGIN RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let der = pem_body(pem, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        Self::from_der(&der)
    }

    /// Parses a DER public key (SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`).
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let key = ParsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, der)
            .map_err(|e| format!("not an RSA public key: {e}"))?;
        let spki = key.as_der().map_err(|_| "cannot re-encode the public key".to_string())?;
        let fingerprint = fingerprint_of_spki(spki.as_ref());
        Ok(Self { key: Arc::new(key), fingerprint })
    }

    /// Reads a PEM public key from a file.
    pub fn from_pem_file(path: &Path) -> Result<Self, SetupError> {
        let pem = std::fs::read_to_string(path)
            .map_err(|source| SetupError::Read { path: path.to_path_buf(), source })?;
        Self::from_pem(&pem).map_err(|reason| SetupError::BadKey { path: path.to_path_buf(), reason })
    }

    /// OCI's key fingerprint: MD5 of the DER SubjectPublicKeyInfo, lowercase hex pairs joined with `:`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

fn fingerprint_of_spki(spki: &[u8]) -> String {
    let digest = Md5::digest(spki);
    digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Decodes the base64 body of the first PEM block whose label is one of `labels`.
fn pem_body(pem: &str, labels: &[&str]) -> Result<Vec<u8>, String> {
    let mut lines = pem.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) else {
            continue;
        };
        if !labels.contains(&label) {
            continue;
        }
        let end = format!("-----END {label}-----");
        let mut b64 = String::new();
        for line in lines.by_ref() {
            if line == end {
                return STANDARD.decode(b64.as_bytes()).map_err(|e| format!("bad base64 in PEM: {e}"));
            }
            if line.contains(':') {
                // RFC 1421 headers (Proc-Type, DEK-Info): a public key never has them.
                return Err("encrypted or annotated PEM is not a public key".into());
            }
            b64.push_str(line);
        }
        return Err(format!("PEM block {label:?} has no END line"));
    }
    Err(format!("no PEM block labelled {}", labels.join(" or ")))
}

/// Where the configured resource-principal session token comes from. A file is re-read on every request signed
/// with a security token, so a test can rotate the token while the emulator runs.
#[derive(Debug, Clone)]
pub enum TokenSource {
    Literal(String),
    File(PathBuf),
}

impl TokenSource {
    fn current(&self) -> Option<String> {
        match self {
            Self::Literal(token) => Some(token.trim().to_string()),
            Self::File(path) => std::fs::read_to_string(path).ok().map(|t| t.trim().to_string()),
        }
    }
}

/// The test resource principal: a session token (an RPST, a JWT the clients treat as opaque) and the public half
/// of the key the RP signs with. Requests with `keyId="ST$<token>"` are checked against it.
#[derive(Debug, Clone)]
pub struct ResourcePrincipal {
    pub token: TokenSource,
    pub public_key: PublicKey,
}

/// Everything requests may be signed with.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    api_keys: HashMap<String, PublicKey>,
    resource_principal: Option<ResourcePrincipal>,
}

impl Keys {
    /// Trusts an API key under its keyId (`<tenancy OCID>/<user OCID>/<fingerprint>`).
    pub fn add_api_key(&mut self, key_id: impl Into<String>, key: PublicKey) {
        self.api_keys.insert(key_id.into(), key);
    }

    pub fn set_resource_principal(&mut self, rp: ResourcePrincipal) {
        self.resource_principal = Some(rp);
    }

    pub fn api_key_count(&self) -> usize {
        self.api_keys.len()
    }

    pub fn has_resource_principal(&self) -> bool {
        self.resource_principal.is_some()
    }
}

/// Who signed a request (put into the request's extensions for handlers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An API key; `key_id` is `<tenancy>/<user>/<fingerprint>`.
    ApiKey { key_id: String },
    /// The configured resource principal.
    ResourcePrincipal { tenancy: Option<String> },
}

impl Principal {
    /// The OCID a created resource records as `createdBy`.
    pub fn created_by(&self) -> String {
        match self {
            Self::ApiKey { key_id } => key_id.split('/').nth(1).unwrap_or(key_id).to_string(),
            Self::ResourcePrincipal { .. } => "ocid1.resourceprincipal.oc1..galleyemulator".to_string(),
        }
    }
}

/// Why a signature was refused. The message goes into the 401 body; it never contains a token or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request has no Authorization header")]
    MissingAuthorization,
    #[error("the Authorization header is not an OCI signature: {0}")]
    Malformed(String),
    #[error("unsupported signature algorithm {0:?}: only rsa-sha256 is supported")]
    Algorithm(String),
    #[error("unsupported signature version {0:?}: only version 1 is supported")]
    Version(String),
    #[error("the signing string must include {0}")]
    RequiredHeaderNotSigned(&'static str),
    #[error("the signed header {0:?} is not in the request")]
    SignedHeaderMissing(String),
    #[error("x-content-sha256 does not match the SHA-256 of the request body")]
    BodyHashMismatch,
    #[error("content-length does not match the request body")]
    ContentLengthMismatch,
    #[error("the {header} header {value:?} is not an RFC 1123 date")]
    BadDate { header: &'static str, value: String },
    #[error(
        "the request date is {skew_seconds} s away from the server clock (at most {max_seconds} s allowed)"
    )]
    ClockSkew { skew_seconds: i64, max_seconds: i64 },
    #[error("unknown keyId {0:?}")]
    UnknownKey(String),
    #[error("the security token in keyId is not the one this emulator was given")]
    UnknownToken,
    #[error("the security token has expired")]
    TokenExpired,
    #[error("the signature does not verify with the key named by keyId")]
    BadSignature,
}

/// The parameters of `Authorization: Signature k="v",...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub key_id: String,
    pub algorithm: String,
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub version: Option<String>,
}

/// Parses the value of an `Authorization` header.
pub fn parse_authorization(value: &str) -> Result<SignatureParams, AuthError> {
    let malformed = |why: &str| AuthError::Malformed(why.to_string());
    let value = value.trim_start();
    let (scheme, rest) =
        value.split_once(' ').ok_or_else(|| malformed("expected `Signature key=\"value\",...`"))?;
    if !scheme.eq_ignore_ascii_case("signature") {
        return Err(malformed("the scheme is not `Signature`"));
    }
    let mut params: HashMap<String, String> = HashMap::new();
    let mut rest = rest.trim_start();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').ok_or_else(|| malformed("a parameter has no `=`"))?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.strip_prefix('"').ok_or_else(|| malformed("parameter values must be quoted"))?;
        let (val, after) = after.split_once('"').ok_or_else(|| malformed("an unterminated quoted value"))?;
        if params.insert(name, val.to_string()).is_some() {
            return Err(malformed("a parameter is repeated"));
        }
        rest = after.trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma.trim_start();
        } else if !rest.is_empty() {
            return Err(malformed("parameters must be separated by commas"));
        }
    }
    let key_id = params.remove("keyid").ok_or_else(|| malformed("no keyId"))?;
    let algorithm = params.remove("algorithm").ok_or_else(|| malformed("no algorithm"))?;
    let signature_b64 = params.remove("signature").ok_or_else(|| malformed("no signature"))?;
    let signature =
        STANDARD.decode(signature_b64.as_bytes()).map_err(|_| malformed("signature is not base64"))?;
    // draft-cavage: when `headers` is absent only `date` is signed (which OCI then refuses as too little).
    let headers = params
        .remove("headers")
        .unwrap_or_else(|| "date".to_string())
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    Ok(SignatureParams { key_id, algorithm, headers, signature, version: params.remove("version") })
}

/// The parts of a received request that signature verification reads.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedRequest<'a> {
    pub method: &'a Method,
    /// The path and query exactly as received (still percent-encoded).
    pub target: &'a str,
    /// The authority from the request line, used for `host` when there is no `Host` header (HTTP/2).
    pub authority: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// Object Storage PutObject / UploadPart: the body headers need not be signed.
    pub body_signing_exempt: bool,
}

/// How verification checks the request's date.
#[derive(Debug, Clone, Copy)]
pub struct ClockCheck {
    pub now: Timestamp,
    pub max_skew: SignedDuration,
}

/// Rebuilds the signing string for `headers` from the received request: `name: value` lines joined with `\n`.
pub fn signing_string(req: &ReceivedRequest<'_>, headers: &[String]) -> Result<String, AuthError> {
    let mut lines = Vec::with_capacity(headers.len());
    for name in headers {
        let value = if name == "(request-target)" {
            format!("{} {}", req.method.as_str().to_ascii_lowercase(), req.target)
        } else if name == "host" {
            header_value(req.headers, "host")
                .or_else(|| req.authority.map(str::to_string))
                .ok_or_else(|| AuthError::SignedHeaderMissing(name.clone()))?
        } else {
            header_value(req.headers, name).ok_or_else(|| AuthError::SignedHeaderMissing(name.clone()))?
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// All values of a header joined with `, ` (draft-cavage §2.3), trimmed; `None` when absent or not visible ASCII.
fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let parts: Option<Vec<&str>> = values.map(|v| v.to_str().ok().map(str::trim)).collect();
    parts.map(|p| p.join(", "))
}

/// Verifies a request's signature as OCI does; returns who signed it.
pub fn verify(
    keys: &Keys,
    clock: Option<ClockCheck>,
    req: &ReceivedRequest<'_>,
) -> Result<Principal, AuthError> {
    let authorization = req.headers.get(header::AUTHORIZATION).ok_or(AuthError::MissingAuthorization)?;
    let authorization = authorization.to_str().map_err(|_| AuthError::Malformed("not ASCII".into()))?;
    let params = parse_authorization(authorization)?;
    if !params.algorithm.eq_ignore_ascii_case("rsa-sha256") {
        return Err(AuthError::Algorithm(params.algorithm));
    }
    if let Some(version) = &params.version
        && version != "1"
    {
        return Err(AuthError::Version(version.clone()));
    }

    // The minimum OCI requires to be signed.
    let signed = |name: &str| params.headers.iter().any(|h| h == name);
    if !signed("(request-target)") {
        return Err(AuthError::RequiredHeaderNotSigned("(request-target)"));
    }
    if !signed("host") {
        return Err(AuthError::RequiredHeaderNotSigned("host"));
    }
    // When both are there, OCI goes by x-date.
    let date_header = if signed("x-date") {
        "x-date"
    } else if signed("date") {
        "date"
    } else {
        return Err(AuthError::RequiredHeaderNotSigned("date or x-date"));
    };
    let has_body = matches!(*req.method, Method::POST | Method::PUT | Method::PATCH);
    if has_body && !req.body_signing_exempt {
        for name in ["x-content-sha256", "content-type", "content-length"] {
            if !signed(name) {
                return Err(AuthError::RequiredHeaderNotSigned(match name {
                    "x-content-sha256" => "x-content-sha256 for a request with a body",
                    "content-type" => "content-type for a request with a body",
                    _ => "content-length for a request with a body",
                }));
            }
        }
    }

    let message = signing_string(req, &params.headers)?;

    // Body integrity, whenever the client signed it.
    if signed("x-content-sha256") {
        let claimed = header_value(req.headers, "x-content-sha256").unwrap_or_default();
        let actual = STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, req.body));
        if claimed != actual {
            return Err(AuthError::BodyHashMismatch);
        }
    }
    if signed("content-length") {
        let claimed = header_value(req.headers, "content-length").unwrap_or_default();
        if claimed.parse::<usize>().ok() != Some(req.body.len()) {
            return Err(AuthError::ContentLengthMismatch);
        }
    }

    // The clock.
    if let Some(clock) = clock {
        let value = header_value(req.headers, date_header).unwrap_or_default();
        let date = parse_http_date(&value)
            .ok_or_else(|| AuthError::BadDate { header: date_header, value: value.clone() })?;
        let skew = clock.now.duration_since(date).abs();
        if skew > clock.max_skew {
            return Err(AuthError::ClockSkew {
                skew_seconds: skew.as_secs(),
                max_seconds: clock.max_skew.as_secs(),
            });
        }
    }

    // The key and the signature.
    if let Some(token) = params.key_id.strip_prefix(SECURITY_TOKEN_PREFIX) {
        let rp = keys.resource_principal.as_ref().ok_or(AuthError::UnknownToken)?;
        let expected = rp.token.current().ok_or(AuthError::UnknownToken)?;
        if !bool::from(expected.as_bytes().ct_eq(token.as_bytes())) {
            return Err(AuthError::UnknownToken);
        }
        let claims = jwt_claims(token);
        if let (Some(clock), Some(exp)) = (clock, claims.as_ref().and_then(|c| c.get("exp")?.as_i64()))
            && clock.now.as_second() >= exp
        {
            return Err(AuthError::TokenExpired);
        }
        if !rp.public_key.verify(message.as_bytes(), &params.signature) {
            return Err(AuthError::BadSignature);
        }
        let tenancy = claims.and_then(|c| c.get("res_tenant")?.as_str().map(str::to_string));
        Ok(Principal::ResourcePrincipal { tenancy })
    } else {
        let key =
            keys.api_keys.get(&params.key_id).ok_or_else(|| AuthError::UnknownKey(params.key_id.clone()))?;
        if !key.verify(message.as_bytes(), &params.signature) {
            return Err(AuthError::BadSignature);
        }
        Ok(Principal::ApiKey { key_id: params.key_id })
    }
}

/// The claims of a JWT, decoded without verification (as the OCI SDKs do with an RPST).
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Parses an HTTP date (`Thu, 05 Jan 2014 21:31:40 GMT`). The day name is ignored, not checked: OCI's own test
/// vectors are dated "Thu, 05 Jan 2014", which was a Sunday.
pub fn parse_http_date(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    let without_day = value.split_once(',').map_or(value, |(_, rest)| rest.trim_start());
    jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(without_day).ok()
}

/// Formats an HTTP date (RFC 9110 IMF-fixdate).
pub fn format_http_date(ts: Timestamp) -> String {
    jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&ts).unwrap_or_default()
}

/// The axum middleware: buffers the body, verifies the signature, and either passes the request on (with the
/// [`Principal`] in its extensions) or answers 401 `NotAuthenticated`.
pub async fn require_signature(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // A pre-authenticated request's token is the credential: those reads carry no signature.
    if crate::objectstorage::is_par_read(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let body = match to_bytes(body, state.max_body_bytes()).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!(
                    "the request body is larger than {} bytes or could not be read",
                    state.max_body_bytes()
                ),
            )
            .into_response();
        }
    };
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    let received = ReceivedRequest {
        method: &parts.method,
        target,
        authority: parts.uri.authority().map(|a| a.as_str()),
        headers: &parts.headers,
        body: &body,
        body_signing_exempt: crate::objectstorage::body_signing_exempt(&parts.method, parts.uri.path()),
    };
    match verify(state.keys(), state.clock_check(), &received) {
        Ok(principal) => {
            tracing::debug!(method = %parts.method, path = parts.uri.path(), ?principal, "signature verified");
            parts.extensions.insert(principal);
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(error) => {
            tracing::info!(method = %parts.method, path = parts.uri.path(), %error, "request refused (401)");
            ApiError::not_authenticated(error.to_string()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_sdk_layouts() {
        let go = r#"Signature version="1",headers="date (request-target) host",keyId="a/b/c",algorithm="rsa-sha256",signature="AAEC""#;
        let py = r#"Signature algorithm="rsa-sha256",headers="date (request-target) host",keyId="a/b/c",signature="AAEC",version="1""#;
        let a = parse_authorization(go).unwrap();
        let b = parse_authorization(py).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.headers, vec!["date", "(request-target)", "host"]);
        assert_eq!(a.signature, vec![0, 1, 2]);
        assert_eq!(a.version.as_deref(), Some("1"));
    }

    #[test]
    fn refuses_malformed_authorization() {
        for bad in [
            "Bearer abc",
            "Signature",
            r#"Signature keyId=abc,algorithm="rsa-sha256",signature="AA==""#,
            r#"Signature keyId="a" algorithm="rsa-sha256""#,
            r#"Signature algorithm="rsa-sha256",signature="AA==""#,
            r#"Signature keyId="a",algorithm="rsa-sha256",signature="!!""#,
            r#"Signature keyId="a",keyId="b",algorithm="rsa-sha256",signature="AA==""#,
        ] {
            assert!(matches!(parse_authorization(bad), Err(AuthError::Malformed(_))), "{bad}");
        }
    }

    const VECTOR_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----";

    #[test]
    fn public_keys_in_spki_and_pkcs1_pem() {
        let spki = PublicKey::from_pem(VECTOR_SPKI_PEM).unwrap();
        // The same key as PKCS#1 `RSAPublicKey`: the SPKI minus its 22-byte header (1024-bit RSA).
        let der = pem_body(VECTOR_SPKI_PEM, &["PUBLIC KEY"]).unwrap();
        let pkcs1 = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
            STANDARD.encode(&der[22..])
        );
        let pkcs1 = PublicKey::from_pem(&pkcs1).unwrap();
        assert_eq!(spki.fingerprint(), pkcs1.fingerprint());
        assert_eq!(spki.fingerprint(), "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7");
        assert!(PublicKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
        assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
        assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n").is_err());
    }

    #[test]
    fn parses_http_dates() {
        let ts = parse_http_date("Thu, 05 Jan 2014 21:31:40 GMT").unwrap();
        assert_eq!(ts.as_second(), 1_388_957_500);
        assert_eq!(format_http_date(ts), "Sun, 05 Jan 2014 21:31:40 GMT"); // the real day name
        assert_eq!(parse_http_date("05 Jan 2014 21:31:40 GMT"), Some(ts));
        assert!(parse_http_date("yesterday").is_none());
        assert!(parse_http_date("Sun, 32 Jan 2014 21:31:40 GMT").is_none());
    }

    #[test]
    fn jwt_claims_are_read_without_verification() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"exp":123,"res_tenant":"ocid1.tenancy.oc1..x"}"#);
        let claims = jwt_claims(&format!("eyJhbGciOiJub25lIn0.{payload}.")).unwrap();
        assert_eq!(claims["exp"], 123);
        assert!(jwt_claims("not-a-jwt").is_none());
    }
}
