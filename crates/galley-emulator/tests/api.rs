//! The emulator's HTTP API, driven in-process through `galley_emulator::app`: OCI's official signing vectors,
//! refusals (401), and the Object Storage behaviour Oracle's clients and Galley rely on.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, Response, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use galley_emulator::auth::{ClockCheck, ReceivedRequest, verify};
use galley_emulator::{
    AppState, Clock, Config, Keys, Principal, PublicKey, ResourcePrincipal, TokenSource, app,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tower::ServiceExt as _;

// ---- OCI's published test vectors (oci-facts §1.1) ----------------------------------------------------------

const VECTOR_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
";
const VECTOR_KEY_ID: &str = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
const VECTOR_DATE: &str = "Thu, 05 Jan 2014 21:31:40 GMT";
const VECTOR_HOST: &str = "iaas.us-phoenix-1.oraclecloud.com";
const GET_TARGET: &str = "/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q";
const GET_SIGNATURE: &str = "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=";
const POST_BODY: &str = "{\n    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n}";
const POST_SHA256: &str = "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=";
const POST_SIGNATURE: &str = "Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso=";
/// Derived (not official) PutObject-style vector, same key and date: only `date (request-target) host` signed.
const PUT_TARGET: &str = "/n/examplens/b/galley-state/o/sessions%2Fabc.json";
const PUT_HOST: &str = "objectstorage.us-phoenix-1.oraclecloud.com";
const PUT_SIGNATURE: &str = "klTW4Ti+tzBHYAGzJRzKrMUI6OIrF/my1v97ITVpmTsKnfLTYrwIIFw2xDLsCvx+wvNuJZRadMHnDYOm3K03vSk7mJLb/itJeRskHJKuhdzD3Oy5GgRIrVrWZrcNKAyRhPaiG3H6H0JyLSAWwsRZ9L9hzYQI7z9sbJ1EZg3zSvI=";

fn vector_time() -> Timestamp {
    galley_emulator::auth::parse_http_date(VECTOR_DATE).unwrap()
}

fn authorization(headers: &str, signature: &str) -> String {
    format!(
        "Signature version=\"1\",headers=\"{headers}\",keyId=\"{VECTOR_KEY_ID}\",algorithm=\"rsa-sha256\",signature=\"{signature}\""
    )
}

fn vector_get() -> Request<Body> {
    Request::get(GET_TARGET)
        .header("host", VECTOR_HOST)
        .header("date", VECTOR_DATE)
        .header("authorization", authorization("date (request-target) host", GET_SIGNATURE))
        .body(Body::empty())
        .unwrap()
}

fn vector_post() -> Request<Body> {
    Request::post("/20160918/volumeAttachments")
        .header("host", VECTOR_HOST)
        .header("date", VECTOR_DATE)
        .header("content-type", "application/json")
        .header("content-length", POST_BODY.len())
        .header("x-content-sha256", POST_SHA256)
        .header(
            "authorization",
            authorization(
                "date (request-target) host content-length content-type x-content-sha256",
                POST_SIGNATURE,
            ),
        )
        .body(Body::from(POST_BODY))
        .unwrap()
}

fn vector_put(body: &'static str) -> Request<Body> {
    Request::put(PUT_TARGET)
        .header("host", PUT_HOST)
        .header("date", VECTOR_DATE)
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .header("authorization", authorization("date (request-target) host", PUT_SIGNATURE))
        .body(Body::from(body))
        .unwrap()
}

/// An emulator trusting the vector key, its clock stopped at the vectors' date (the skew check stays on).
fn vector_app(clock: Clock) -> Router {
    let mut keys = Keys::default();
    keys.add_api_key(VECTOR_KEY_ID, PublicKey::from_pem(VECTOR_PUBLIC_KEY).unwrap());
    let state = AppState::new(Config {
        namespace: "examplens".into(),
        keys,
        clock,
        buckets: vec!["galley-state".into()],
        ..Config::default()
    })
    .unwrap();
    app(state)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response: Response<Body> = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
    (status, headers, body)
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

#[test]
fn the_vector_key_has_its_real_fingerprint() {
    // oci-facts §1.1: the fingerprint in the vectors' keyId is illustrative; the key's real one is this.
    let key = PublicKey::from_pem(VECTOR_PUBLIC_KEY).unwrap();
    assert_eq!(key.fingerprint(), "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7");
}

#[test]
fn verify_accepts_the_official_vectors() {
    let mut keys = Keys::default();
    keys.add_api_key(VECTOR_KEY_ID, PublicKey::from_pem(VECTOR_PUBLIC_KEY).unwrap());
    let clock = Some(ClockCheck { now: vector_time(), max_skew: SignedDuration::from_mins(5) });
    for (request, exempt) in [(vector_get(), false), (vector_post(), false), (vector_put("{}"), true)] {
        let (parts, _) = request.into_parts();
        let body: &[u8] = match parts.method.as_str() {
            "POST" => POST_BODY.as_bytes(),
            "PUT" => b"{}",
            _ => b"",
        };
        let received = ReceivedRequest {
            method: &parts.method,
            target: parts.uri.path_and_query().unwrap().as_str(),
            authority: None,
            headers: &parts.headers,
            body,
            body_signing_exempt: exempt,
        };
        assert_eq!(
            verify(&keys, clock, &received),
            Ok(Principal::ApiKey { key_id: VECTOR_KEY_ID.to_string() }),
            "{} {}",
            parts.method,
            parts.uri
        );
    }
}

#[tokio::test]
async fn the_emulator_accepts_the_official_get_vector() {
    let (status, headers, body) = send(&vector_app(Clock::Fixed(vector_time())), vector_get()).await;
    // Authenticated; the Core Services path is simply not served (yet).
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["code"], "NotAuthorizedOrNotFound");
    assert!(headers.contains_key("opc-request-id"));
}

#[tokio::test]
async fn the_emulator_accepts_the_official_post_vector() {
    let (status, _, body) = send(&vector_app(Clock::Fixed(vector_time())), vector_post()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body)["code"], "NotAuthorizedOrNotFound");
}

#[tokio::test]
async fn the_emulator_serves_the_put_object_vector() {
    // PutObject with only `date (request-target) host` signed, the name sent with %2F.
    let app = vector_app(Clock::Fixed(vector_time()));
    let (status, headers, body) = send(&app, vector_put("{\"a\":1}")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert!(headers.contains_key("etag"));
    // Same request again with if-none-match is a different signature-wise identical request (if-none-match is not
    // signed): the object now exists.
    let mut again = vector_put("{\"a\":2}");
    again.headers_mut().insert("if-none-match", "*".parse().unwrap());
    let (status, _, body) = send(&app, again).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(json(&body)["code"], "IfNoneMatchFailed");
}

#[tokio::test]
async fn a_body_change_breaks_the_post_vector() {
    let mut request = vector_post();
    *request.body_mut() = Body::from(POST_BODY.replace("phx", "iad"));
    let (status, _, body) = send(&vector_app(Clock::Fixed(vector_time())), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json(&body)["code"], "NotAuthenticated");
}

#[tokio::test]
async fn the_vectors_are_refused_at_todays_date() {
    for request in [vector_get(), vector_post()] {
        let (status, headers, body) = send(&vector_app(Clock::System), request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let body = json(&body);
        assert_eq!(body["code"], "NotAuthenticated");
        assert!(body["message"].as_str().unwrap().contains("away from the server clock"), "{body}");
        assert_eq!(headers["content-type"], "application/json");
        assert!(headers.contains_key("opc-request-id"));
    }
}

#[tokio::test]
async fn the_vectors_are_refused_with_another_key() {
    let other = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let mut keys = Keys::default();
    keys.add_api_key(
        VECTOR_KEY_ID,
        PublicKey::from_der(other.public_key().as_der().unwrap().as_ref()).unwrap(),
    );
    let state =
        AppState::new(Config { keys, clock: Clock::Fixed(vector_time()), ..Config::default() }).unwrap();
    let (status, _, body) = send(&app(state), vector_get()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(json(&body)["message"].as_str().unwrap().contains("does not verify"));
}

#[tokio::test]
async fn a_tampered_request_target_is_refused() {
    let (parts, body) = vector_get().into_parts();
    let mut request = Request::from_parts(parts, body);
    *request.uri_mut() = GET_TARGET.replace("TeamXInstances", "TeamYInstances").parse().unwrap();
    let (status, _, _) = send(&vector_app(Clock::Fixed(vector_time())), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

// ---- a test signer ------------------------------------------------------------------------------------------

const TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaatest";
const HOST: &str = "127.0.0.1:9999";
const NS: &str = "galleyemu";

/// Signs requests the way the OCI SDKs do (written here independently of the emulator's verifier).
struct Signer {
    key: RsaKeyPair,
    key_id: String,
}

impl Signer {
    fn new(key_id: &str) -> Self {
        Self { key: RsaKeyPair::generate(KeySize::Rsa2048).unwrap(), key_id: key_id.to_string() }
    }

    fn public_key(&self) -> PublicKey {
        PublicKey::from_der(self.key.public_key().as_der().unwrap().as_ref()).unwrap()
    }

    fn sign_raw(&self, message: &str) -> String {
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message.as_bytes(), &mut signature).unwrap();
        STANDARD.encode(signature)
    }
}

struct Req<'a> {
    method: &'a str,
    target: &'a str,
    body: Vec<u8>,
    headers: Vec<(&'a str, String)>,
    /// Sign the body headers (false: PutObject style).
    sign_body: bool,
    date: Timestamp,
}

fn req<'a>(method: &'a str, target: &'a str) -> Req<'a> {
    Req { method, target, body: Vec::new(), headers: Vec::new(), sign_body: true, date: Timestamp::now() }
}

impl<'a> Req<'a> {
    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
    fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn put_object_style(mut self) -> Self {
        self.sign_body = false;
        self
    }
    fn dated(mut self, date: Timestamp) -> Self {
        self.date = date;
        self
    }

    fn build(self, signer: Option<&Signer>) -> Request<Body> {
        let date = galley_emulator::auth::format_http_date(self.date);
        let mut builder = Request::builder().method(self.method).uri(self.target).header("host", HOST);
        builder = builder.header("date", &date);
        let mut signed = vec!["date".to_string(), "(request-target)".to_string(), "host".to_string()];
        let mut lines = vec![
            format!("date: {date}"),
            format!("(request-target): {} {}", self.method.to_ascii_lowercase(), self.target),
            format!("host: {HOST}"),
        ];
        let has_body = matches!(self.method, "PUT" | "POST");
        if has_body {
            let content_type = self
                .headers
                .iter()
                .find(|(n, _)| *n == "content-type")
                .map_or("application/json".to_string(), |(_, v)| v.clone());
            builder = builder.header("content-length", self.body.len());
            if !self.headers.iter().any(|(n, _)| *n == "content-type") {
                builder = builder.header("content-type", &content_type);
            }
            if self.sign_body {
                let sha = STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.body));
                builder = builder.header("x-content-sha256", &sha);
                for (name, value) in [
                    ("content-length", self.body.len().to_string()),
                    ("content-type", content_type),
                    ("x-content-sha256", sha),
                ] {
                    signed.push(name.to_string());
                    lines.push(format!("{name}: {value}"));
                }
            }
        }
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        if let Some(signer) = signer {
            let signature = signer.sign_raw(&lines.join("\n"));
            builder = builder.header(
                "authorization",
                format!(
                    "Signature algorithm=\"rsa-sha256\",headers=\"{}\",keyId=\"{}\",signature=\"{signature}\",version=\"1\"",
                    signed.join(" "),
                    signer.key_id
                ),
            );
        }
        builder.body(Body::from(self.body)).unwrap()
    }
}

struct Fixture {
    app: Router,
    signer: Signer,
}

impl Fixture {
    fn new() -> Self {
        let signer = Signer::new(&format!("{TENANCY}/ocid1.user.oc1..aaaaaaaatest/aa:bb"));
        let mut keys = Keys::default();
        keys.add_api_key(signer.key_id.clone(), signer.public_key());
        let state = AppState::new(Config { keys, buckets: vec!["bk".into()], ..Config::default() }).unwrap();
        Self { app: app(state), signer }
    }

    async fn call(&self, request: Req<'_>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        send(&self.app, request.build(Some(&self.signer))).await
    }

    async fn put(&self, name: &str, body: &str) -> String {
        let target = format!("/n/{NS}/b/bk/o/{name}");
        let (status, headers, body) = self.call(req("PUT", &target).body(body).put_object_style()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        headers["etag"].to_str().unwrap().to_string()
    }
}

fn code(body: &[u8]) -> String {
    json(body)["code"].as_str().unwrap().to_string()
}

// ---- refusals -----------------------------------------------------------------------------------------------

#[tokio::test]
async fn unsigned_requests_are_refused() {
    let f = Fixture::new();
    for (method, target) in [
        ("GET", "/n/"),
        ("GET", "/nowhere"),
        ("PUT", "/n/galleyemu/b/bk/o/x"),
        ("DELETE", "/n/galleyemu/b/bk"),
    ] {
        let (status, headers, body) = send(&f.app, req(method, target).body("x").build(None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {target}");
        assert_eq!(code(&body), "NotAuthenticated");
        assert!(headers.contains_key("opc-request-id"));
    }
}

#[tokio::test]
async fn an_unknown_key_is_refused() {
    let f = Fixture::new();
    let stranger = Signer::new(&format!("{TENANCY}/ocid1.user.oc1..aaaaaaaaother/cc:dd"));
    let (status, _, body) = send(&f.app, req("GET", "/n/").build(Some(&stranger))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(json(&body)["message"].as_str().unwrap().contains("unknown keyId"));
    // The right keyId with the wrong private key.
    let impostor = Signer::new(&f.signer.key_id);
    let (status, _, _) = send(&f.app, req("GET", "/n/").build(Some(&impostor))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_skewed_date_is_refused() {
    let f = Fixture::new();
    let now = Timestamp::now();
    for (offset, ok) in [(-290, true), (290, true), (-310, false), (310, false), (-3600, false)] {
        let (status, _, _) = f.call(req("GET", "/n/").dated(now + SignedDuration::from_secs(offset))).await;
        assert_eq!(status == StatusCode::OK, ok, "offset {offset}s: {status}");
    }
}

#[tokio::test]
async fn x_date_takes_precedence_when_signed() {
    let f = Fixture::new();
    let stale = galley_emulator::auth::format_http_date(Timestamp::now() - SignedDuration::from_hours(1));
    let now = galley_emulator::auth::format_http_date(Timestamp::now());
    let message = format!("x-date: {now}\n(request-target): get /n/\nhost: {HOST}");
    let request = Request::get("/n/")
        .header("host", HOST)
        .header("date", stale)
        .header("x-date", now)
        .header(
            "authorization",
            format!(
                "Signature headers=\"x-date (request-target) host\",keyId=\"{}\",algorithm=\"rsa-sha256\",signature=\"{}\"",
                f.signer.key_id,
                f.signer.sign_raw(&message)
            ),
        )
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&f.app, request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn too_few_signed_headers_are_refused() {
    let f = Fixture::new();
    let date = galley_emulator::auth::format_http_date(Timestamp::now());
    let cases: [(&str, &str, &str, Vec<String>); 3] = [
        (
            "GET",
            "/n/",
            "date (request-target)",
            vec![format!("date: {date}"), "(request-target): get /n/".into()],
        ),
        ("GET", "/n/", "date host", vec![format!("date: {date}"), format!("host: {HOST}")]),
        (
            // A CreateBucket (POST) signed like a PutObject: the body headers are required.
            "POST",
            "/n/galleyemu/b/",
            "date (request-target) host",
            vec![
                format!("date: {date}"),
                "(request-target): post /n/galleyemu/b/".into(),
                format!("host: {HOST}"),
            ],
        ),
    ];
    for (method, target, headers, lines) in cases {
        let body = r#"{"name":"x","compartmentId":"c"}"#;
        let request = Request::builder()
            .method(method)
            .uri(target)
            .header("host", HOST)
            .header("date", &date)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .header(
                "authorization",
                format!(
                    "Signature headers=\"{headers}\",keyId=\"{}\",algorithm=\"rsa-sha256\",signature=\"{}\"",
                    f.signer.key_id,
                    f.signer.sign_raw(&lines.join("\n"))
                ),
            )
            .body(Body::from(if method == "POST" { body } else { "" }))
            .unwrap();
        let (status, _, response) = send(&f.app, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {headers}");
        assert!(json(&response)["message"].as_str().unwrap().contains("must include"), "{headers}");
    }
}

#[tokio::test]
async fn a_wrong_body_hash_is_refused() {
    let f = Fixture::new();
    let mut request =
        req("POST", "/n/galleyemu/b/").body(r#"{"name":"b2","compartmentId":"c"}"#).build(Some(&f.signer));
    request
        .headers_mut()
        .insert("x-content-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse().unwrap());
    let (status, _, _) = send(&f.app, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

// ---- resource principal -------------------------------------------------------------------------------------

fn rpst(exp: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"res_tenant":"{TENANCY}","exp":{exp}}}"#));
    format!("{header}.{claims}.c2lnbmF0dXJl")
}

#[tokio::test]
async fn resource_principal_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("rpst");
    let future = rpst(Timestamp::now().as_second() + 3600);
    std::fs::write(&token_file, format!("{future}\n")).unwrap();
    let rp_signer = Signer::new(&format!("ST${future}"));
    let mut keys = Keys::default();
    keys.set_resource_principal(ResourcePrincipal {
        token: TokenSource::File(token_file.clone()),
        public_key: rp_signer.public_key(),
    });
    let app = app(AppState::new(Config { keys, ..Config::default() }).unwrap());

    let (status, _, body) = send(&app, req("GET", "/n/").build(Some(&rp_signer))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body), "galleyemu");

    // Another token, same key: refused.
    let other =
        Signer { key: rp_signer.key, key_id: format!("ST${}", rpst(Timestamp::now().as_second() + 60)) };
    let (status, _, body) = send(&app, req("GET", "/n/").build(Some(&other))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let message = json(&body)["message"].as_str().unwrap().to_string();
    assert!(!message.contains(&future) && !message.contains("eyJ"), "the token leaked into {message}");

    // The file is re-read: rotating it to the other token makes that one valid.
    std::fs::write(&token_file, other.key_id.trim_start_matches("ST$")).unwrap();
    let (status, _, _) = send(&app, req("GET", "/n/").build(Some(&other))).await;
    assert_eq!(status, StatusCode::OK);

    // An expired token is refused even when it is the configured one.
    let expired = rpst(Timestamp::now().as_second() - 10);
    std::fs::write(&token_file, &expired).unwrap();
    let stale = Signer { key: other.key, key_id: format!("ST${expired}") };
    let (status, _, body) = send(&app, req("GET", "/n/").build(Some(&stale))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(json(&body)["message"].as_str().unwrap().contains("expired"));
}

// ---- Object Storage -----------------------------------------------------------------------------------------

#[tokio::test]
async fn namespace_and_buckets() {
    let f = Fixture::new();
    for target in ["/n/", "/n"] {
        let (status, headers, body) = f.call(req("GET", target)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(json(&body), "galleyemu");
    }
    // Buckets exist only once created.
    let (status, _, body) = f.call(req("PUT", "/n/galleyemu/b/new/o/x").body("x").put_object_style()).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::NOT_FOUND, "BucketNotFound"));
    let create = r#"{"name":"new","compartmentId":"ocid1.compartment.oc1..c"}"#;
    let (status, headers, body) = f.call(req("POST", "/n/galleyemu/b/").body(create)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let bucket = json(&body);
    assert_eq!(bucket["name"], "new");
    assert_eq!(bucket["namespace"], "galleyemu");
    assert_eq!(bucket["createdBy"], "ocid1.user.oc1..aaaaaaaatest");
    assert_eq!(headers["etag"].to_str().unwrap(), bucket["etag"].as_str().unwrap());
    let (status, _, body) = f.call(req("POST", "/n/galleyemu/b/").body(create)).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::CONFLICT, "BucketAlreadyExists"));
    let (status, _, _) = f.call(req("PUT", "/n/galleyemu/b/new/o/x").body("x").put_object_style()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) =
        f.call(req("GET", "/n/galleyemu/b/?compartmentId=ocid1.compartment.oc1..c")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body).as_array().unwrap().len(), 1);
    let (status, _, body) = f.call(req("GET", "/n/galleyemu/b/new?fields=approximateCount")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["approximateCount"], 1);
    let (status, _, body) = f.call(req("DELETE", "/n/galleyemu/b/new")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::CONFLICT, "BucketNotEmpty"));
    // Another namespace: not found.
    let (status, _, body) = f.call(req("GET", "/n/othernamespace/b/bk/o")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::NOT_FOUND, "BucketNotFound"));
    // Bad bucket name.
    let (status, _, _) =
        f.call(req("POST", "/n/galleyemu/b/").body(r#"{"name":"a b","compartmentId":"c"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn put_get_head_delete() {
    let f = Fixture::new();
    let target = "/n/galleyemu/b/bk/o/sessions%2Fabc.json";
    let (status, headers, _) = f
        .call(
            req("PUT", target)
                .body(r#"{"v":1}"#)
                .put_object_style()
                .header("content-type", "application/json")
                .header("opc-meta-owner", "galley"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert_eq!(headers["opc-content-md5"], "oZFHWuK/fbnH4yD32kVbuw==");
    assert!(headers.contains_key("last-modified") && headers.contains_key("version-id"));

    // The same object, name sent with a literal '/'.
    let (status, headers, body) = f.call(req("GET", "/n/galleyemu/b/bk/o/sessions/abc.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, br#"{"v":1}"#);
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["content-length"], "7");
    assert_eq!(headers["content-md5"], "oZFHWuK/fbnH4yD32kVbuw==");
    assert_eq!(headers["opc-meta-owner"], "galley");

    let (status, headers, body) = f.call(req("HEAD", target)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
    assert_eq!(headers["content-length"], "7");
    assert_eq!(headers["etag"].to_str().unwrap(), etag);

    let (status, headers, body) = f.call(req("GET", target).header("range", "bytes=1-3")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, br#""v""#);
    assert_eq!(headers["content-range"], "bytes 1-3/7");

    let (status, _, body) = f.call(req("GET", target).header("if-none-match", &etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let (status, _, body) = f.call(req("GET", target).header("if-match", "stale")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::PRECONDITION_FAILED, "IfMatchFailed"));

    let (status, _, body) = f.call(req("DELETE", target).header("if-match", "stale")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::PRECONDITION_FAILED, "IfMatchFailed"));
    let (status, _, _) = f.call(req("DELETE", target).header("if-match", &etag)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, body) = f.call(req("DELETE", target)).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::NOT_FOUND, "ObjectNotFound"));
    let (status, _, body) = f.call(req("GET", target)).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::NOT_FOUND, "ObjectNotFound"));
    let (status, headers, body) = f.call(req("HEAD", target)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.is_empty() && headers.contains_key("opc-request-id"));
}

#[tokio::test]
async fn conditional_puts() {
    let f = Fixture::new();
    let target = "/n/galleyemu/b/bk/o/lock";
    let put = |cond: Option<(&'static str, String)>, body: &'static str| {
        let mut r = req("PUT", target).body(body).put_object_style();
        if let Some((name, value)) = cond {
            r = r.header(name, value);
        }
        f.call(r)
    };
    // if-match on a missing object fails; if-none-match: * creates.
    let (status, _, body) = put(Some(("if-match", "whatever".into())), "a").await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::PRECONDITION_FAILED, "IfMatchFailed"));
    let (status, headers, _) = put(Some(("if-none-match", "*".into())), "a").await;
    assert_eq!(status, StatusCode::OK);
    let first = headers["etag"].to_str().unwrap().to_string();
    let (status, _, body) = put(Some(("if-none-match", "*".into())), "b").await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::PRECONDITION_FAILED, "IfNoneMatchFailed"));
    // Compare-and-swap: the current etag wins once, then it is stale.
    let (status, headers, _) = put(Some(("if-match", first.clone())), "b").await;
    assert_eq!(status, StatusCode::OK);
    let second = headers["etag"].to_str().unwrap().to_string();
    assert_ne!(first, second);
    let (status, _, body) = put(Some(("if-match", first.clone())), "c").await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::PRECONDITION_FAILED, "IfMatchFailed"));
    // Quoted etags are accepted too.
    let (status, _, _) = put(Some(("if-match", format!("\"{second}\""))), "c").await;
    assert_eq!(status, StatusCode::OK);
    // Same content, new etag (ETags are not content hashes).
    let (_, headers, _) = put(None, "c").await;
    let (_, again, _) = put(None, "c").await;
    assert_ne!(headers["etag"], again["etag"]);
    // if-none-match other than '*' is invalid on a put.
    let (status, _, body) = put(Some(("if-none-match", second)), "d").await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::BAD_REQUEST, "InvalidParameter"));
    // A wrong Content-MD5 is refused.
    let (status, _, _) = put(Some(("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==".into())), "d").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn list_objects_paging_and_filters() {
    let f = Fixture::new();
    for name in ["a/1", "a/2", "a/3", "a/4", "a/5", "b/x/1", "b/y", "c"] {
        f.put(&name.replace('/', "%2F"), name).await;
    }
    let fr = &f;
    let list = |query: &'static str| async move {
        let (status, _, body) = fr.call(req("GET", &format!("/n/galleyemu/b/bk/o{query}"))).await;
        (status, json(&body))
    };
    let names = |v: &Value| -> Vec<String> {
        v["objects"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
    };

    let (status, page) = list("?prefix=a%2F&limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&page), ["a/1", "a/2"]);
    assert_eq!(page["nextStartWith"], "a/3");
    assert_eq!(page["objects"][0].as_object().unwrap().len(), 1, "only the name by default");
    let (_, page) = list("?prefix=a%2F&limit=2&start=a%2F3").await;
    assert_eq!(names(&page), ["a/3", "a/4"]);
    assert_eq!(page["nextStartWith"], "a/5");
    let (_, page) = list("?prefix=a%2F&limit=2&start=a%2F5").await;
    assert_eq!(names(&page), ["a/5"]);
    assert!(page.get("nextStartWith").is_none());

    let (_, all) = list("").await;
    assert_eq!(names(&all).len(), 8);
    assert!(all.get("nextStartWith").is_none());
    let (_, page) = list("?start=a%2F2&end=a%2F4").await;
    assert_eq!(names(&page), ["a/2", "a/3"]);
    let (_, page) = list("?startAfter=a%2F4&limit=2").await;
    assert_eq!(names(&page), ["a/5", "b/x/1"]);

    let (_, page) = list("?delimiter=%2F").await;
    assert_eq!(names(&page), ["c"]);
    assert_eq!(page["prefixes"], serde_json::json!(["a/", "b/"]));
    let (_, page) = list("?delimiter=/&prefix=b/").await;
    assert_eq!(names(&page), ["b/y"]);
    assert_eq!(page["prefixes"], serde_json::json!(["b/x/"]));
    let (_, page) = list("?delimiter=/&limit=1").await;
    assert_eq!(page["prefixes"], serde_json::json!(["a/"]));
    assert_eq!(page["nextStartWith"], "b/x/1");

    let (_, page) = list("?prefix=c&fields=name,SIZE,etag,timeCreated,md5,timeModified,storageTier").await;
    let object = &page["objects"][0];
    assert_eq!(object["size"], 1);
    for field in ["etag", "timeCreated", "md5", "timeModified", "storageTier"] {
        assert!(object[field].is_string(), "{field}: {object}");
    }
    assert!(object["timeCreated"].as_str().unwrap().ends_with('Z'));

    for bad in ["?limit=0", "?limit=1001", "?limit=x", "?fields=name,colour", "?delimiter=%7C"] {
        let (status, body) = list(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["code"], "InvalidParameter");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let f = Fixture::new();
    let (status, _, body) = f.call(req("GET", "/20160918/instances")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::NOT_FOUND, "NotAuthorizedOrNotFound"));
    let (status, _, body) = f.call(req("POST", "/n/galleyemu/b/bk/o/x").body("{}")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"));
}

#[tokio::test]
async fn request_ids() {
    let f = Fixture::new();
    let (_, headers, _) = f
        .call(req("GET", "/n/").header("opc-request-id", "CLIENTID").header("opc-client-request-id", "abc"))
        .await;
    let id = headers["opc-request-id"].to_str().unwrap();
    assert!(id.starts_with("CLIENTID/") && id.len() > 10, "{id}");
    assert_eq!(headers["opc-client-request-id"], "abc");
}

#[tokio::test]
async fn data_dir_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::new("t/u/f");
    let make = || {
        let mut keys = Keys::default();
        keys.add_api_key("t/u/f", signer.public_key());
        app(AppState::new(Config {
            keys,
            data_dir: Some(dir.path().to_path_buf()),
            buckets: vec!["bk".into()],
            ..Config::default()
        })
        .unwrap())
    };
    let first = make();
    let put =
        req("PUT", "/n/galleyemu/b/bk/o/a%2Fb").body("persisted").put_object_style().build(Some(&signer));
    let (status, headers, _) = send(&first, put).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers["etag"].clone();
    let gone = req("PUT", "/n/galleyemu/b/bk/o/gone").body("x").put_object_style().build(Some(&signer));
    assert_eq!(send(&first, gone).await.0, StatusCode::OK);
    assert_eq!(
        send(&first, req("DELETE", "/n/galleyemu/b/bk/o/gone").build(Some(&signer))).await.0,
        StatusCode::NO_CONTENT
    );
    drop(first);

    let second = make();
    let (status, headers, body) =
        send(&second, req("GET", "/n/galleyemu/b/bk/o/a/b").build(Some(&signer))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"persisted");
    assert_eq!(headers["etag"], etag);
    let (status, _, _) = send(&second, req("GET", "/n/galleyemu/b/bk/o/gone").build(Some(&signer))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn resource_manager_routes_are_signed_and_served() {
    let f = Fixture::new();
    let (status, _, body) = send(&f.app, req("GET", "/20180917/stacks").build(None)).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::UNAUTHORIZED, "NotAuthenticated"));
    let (status, headers, body) = f.call(req("GET", "/20180917/stacks?compartmentId=x")).await;
    assert_eq!((status, json(&body)), (StatusCode::OK, serde_json::json!([])));
    assert!(headers.contains_key("opc-request-id"));
    let (status, _, body) = f.call(req("GET", "/20180917/jobs/ocid1.ormjob.oc1..nope")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::NOT_FOUND, "NotAuthorizedOrNotFound"));
    let (status, _, body) = f.call(req("POST", "/20180917/stacks").body("{\"compartmentId\": \"x\"}")).await;
    assert_eq!((status, code(&body).as_str()), (StatusCode::BAD_REQUEST, "MissingParameter"));
}
