//! The signing HTTP client every OCI call goes through.
//!
//! [`OciClient::request`] resolves the service endpoint, signs the request (see [`crate::signer`]),
//! sets `date`, `opc-request-id`, `content-length`/`x-content-sha256` for bodies, retries what is
//! safe to retry, refreshes the principal once after a 401, and turns OCI error bodies into a typed
//! [`ServiceError`] that keeps the `opc-request-id`.
//!
//! Retries (jittered exponential backoff, [`RetryPolicy`]): on 429, 5xx (not 501) and timeouts, for
//! idempotent requests only: GET, HEAD, PUT, DELETE, OPTIONS, or a POST/PATCH carrying an
//! `opc-retry-token` (ask for one with [`OciRequest::with_retry_token`]). Connection failures (the
//! request never left) are retried for every method.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng as _;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::auth::{AuthProvider, Credentials};
use crate::env::Env;
use crate::error::{OciError, ServiceError};
use crate::region::{Region, resolve_endpoint};
use crate::signer::{self, BodyHeaders, SigningInput};

/// Percent-encodes everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`), so `/`
/// becomes `%2F`: for one path segment (an object name) or a query value.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// When and how often to retry.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The first backoff; doubled each time, with jitter (half to full).
    pub base_delay: Duration,
    /// The longest backoff (also caps `retry-after`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let jittered = rand::rng().random_range(capped / 2..=capped);
        match retry_after {
            Some(after) => after.min(self.max_delay).max(jittered),
            None => jittered,
        }
    }
}

/// How the client behaves.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The region; `None` means `GALLEY_REGION`, else `OCI_REGION`, else the principal's region.
    pub region: Option<Region>,
    /// Where `GALLEY_REGION`, `OCI_REGION` and `GALLEY_OCI_ENDPOINT_<SERVICE>` are read.
    pub env: Env,
    /// The timeout of one attempt (connect, send, read the whole answer).
    pub timeout: Duration,
    /// The connect timeout.
    pub connect_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            region: None,
            env: Env::process(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// A request body.
#[derive(Clone, Debug, Default)]
pub enum RequestBody {
    /// No body (an empty one for POST/PUT/PATCH).
    #[default]
    Empty,
    /// JSON, sent as `application/json`.
    Json(serde_json::Value),
    /// Raw bytes with a content type.
    Bytes {
        /// The bytes.
        bytes: Bytes,
        /// The `content-type`.
        content_type: String,
    },
}

/// One OCI operation call. Build it with [`OciRequest::new`] and the chained setters.
#[derive(Clone, Debug)]
pub struct OciRequest {
    /// The service (`objectstorage`, `resourcemanager`, …; see [`crate::region::ENDPOINT_TEMPLATES`]).
    pub service: String,
    /// An endpoint template for services without a built-in one (`https://logging.{region}.oci.{secondLevelDomain}`).
    pub endpoint_template: Option<String>,
    /// An explicit base URL, which wins over everything else.
    pub endpoint: Option<String>,
    /// The method.
    pub method: Method,
    /// The path, starting with `/`, its segments already percent-encoded (see [`percent_encode`]);
    /// it includes the API version (`/20180917/stacks`).
    pub path: String,
    /// Query parameters, raw (the client encodes them), in the order sent.
    pub query: Vec<(String, String)>,
    /// Extra headers (`if-match`, `opc-meta-*`, `content-type` to override the body's, …).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: RequestBody,
    /// Whether the body headers are signed (false only for Object Storage PutObject/UploadPart).
    pub sign_body: bool,
    /// Whether to add a generated `opc-retry-token` (makes a POST retryable).
    pub retry_token: bool,
    /// A timeout for this request's attempts, instead of the client's.
    pub timeout: Option<Duration>,
}

impl OciRequest {
    /// A request without query, headers or body.
    pub fn new(service: impl Into<String>, method: Method, path: impl Into<String>) -> OciRequest {
        OciRequest {
            service: service.into(),
            endpoint_template: None,
            endpoint: None,
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: RequestBody::Empty,
            sign_body: true,
            retry_token: false,
            timeout: None,
        }
    }

    /// Adds a query parameter (raw value).
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body.
    #[must_use]
    pub fn json(mut self, value: serde_json::Value) -> Self {
        self.body = RequestBody::Json(value);
        self
    }

    /// Sets a raw body.
    #[must_use]
    pub fn bytes(mut self, bytes: Bytes, content_type: impl Into<String>) -> Self {
        self.body = RequestBody::Bytes { bytes, content_type: content_type.into() };
        self
    }

    /// Signs only `date (request-target) host` (Object Storage PutObject and UploadPart).
    #[must_use]
    pub fn exclude_body_from_signature(mut self) -> Self {
        self.sign_body = false;
        self
    }

    /// Adds a generated `opc-retry-token`, which makes a POST safe to retry (for APIs that accept it).
    #[must_use]
    pub fn with_retry_token(mut self) -> Self {
        self.retry_token = true;
        self
    }

    /// Sends to this base URL instead of the service's endpoint.
    #[must_use]
    pub fn endpoint(mut self, base_url: impl Into<String>) -> Self {
        self.endpoint = Some(base_url.into());
        self
    }

    /// Uses this endpoint template when no override is set.
    #[must_use]
    pub fn endpoint_template(mut self, template: impl Into<String>) -> Self {
        self.endpoint_template = Some(template.into());
        self
    }

    /// Sets this request's timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    fn is_idempotent(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
            || self.retry_token
            || self.has_header("opc-retry-token")
    }
}

/// A successful answer (2xx, or 304).
#[derive(Clone, Debug)]
pub struct OciResponse {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl OciResponse {
    /// A header's value, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `opc-request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.header("opc-request-id")
    }

    /// `etag`.
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// `opc-next-page`: the token of the next page, when there is one.
    pub fn next_page(&self) -> Option<&str> {
        self.header("opc-next-page").filter(|v| !v.is_empty())
    }

    /// The body decoded as JSON into `T`.
    ///
    /// # Errors
    /// [`OciError::Decode`] naming `what` and the request id.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, OciError> {
        serde_json::from_slice(&self.body).map_err(|err| OciError::Decode {
            what: what.to_owned(),
            reason: err.to_string(),
            request_id: self.request_id().map(str::to_owned),
        })
    }

    /// The body as JSON when it is JSON.
    pub fn json_value(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The OCI client: cheap to clone (shared connection pool and principal).
#[derive(Clone, Debug)]
pub struct OciClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    auth: Arc<dyn AuthProvider>,
    region: Option<Region>,
    env: Env,
    retry: RetryPolicy,
}

const RESERVED_HEADERS: &[&str] =
    &["authorization", "date", "x-date", "host", "content-length", "x-content-sha256", "transfer-encoding"];

impl OciClient {
    /// A client signing with `auth`.
    ///
    /// # Errors
    /// [`OciError::InvalidRequest`] for a bad `GALLEY_REGION`/`OCI_REGION`, [`OciError::Transport`]
    /// when the HTTP client cannot be built.
    pub fn new(auth: Arc<dyn AuthProvider>, config: ClientConfig) -> Result<OciClient, OciError> {
        let region = match config.region {
            Some(region) => Some(region),
            None => match config
                .env
                .get_nonempty("GALLEY_REGION")
                .or_else(|| config.env.get_nonempty("OCI_REGION"))
            {
                Some(name) => {
                    Some(Region::parse(&name).map_err(|err| OciError::InvalidRequest(err.to_string()))?)
                }
                None => auth.region(),
            },
        };
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("galley/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| OciError::Transport {
                method: String::new(),
                url: String::new(),
                message: format!("cannot build the HTTP client: {err}"),
                timeout: false,
            })?;
        Ok(OciClient { inner: Arc::new(Inner { http, auth, region, env: config.env, retry: config.retry }) })
    }

    /// A client for the principal `GALLEY_OCI_AUTH` selects in `env` (see
    /// [`crate::auth::provider_from_env`]).
    ///
    /// # Errors
    /// As [`crate::auth::provider_from_env`] and [`OciClient::new`].
    pub async fn from_env(env: Env) -> Result<OciClient, OciError> {
        let auth = crate::auth::provider_from_env(&env).await?;
        OciClient::new(auth, ClientConfig { env, ..ClientConfig::default() })
    }

    /// The region requests go to.
    pub fn region(&self) -> Option<&Region> {
        self.inner.region.as_ref()
    }

    /// The principal.
    pub fn auth(&self) -> &Arc<dyn AuthProvider> {
        &self.inner.auth
    }

    /// The base URL of `service` (override, else template filled for the region).
    ///
    /// # Errors
    /// [`OciError::Endpoint`].
    pub fn endpoint(&self, service: &str, template: Option<&str>) -> Result<String, OciError> {
        Ok(resolve_endpoint(&self.inner.env, service, template, self.inner.region.as_ref())?)
    }

    fn url(&self, request: &OciRequest) -> Result<reqwest::Url, OciError> {
        let base = match &request.endpoint {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => self.endpoint(&request.service, request.endpoint_template.as_deref())?,
        };
        if !request.path.starts_with('/') {
            return Err(OciError::InvalidRequest(format!("the path `{}` must start with `/`", request.path)));
        }
        let mut url = format!("{base}{}", request.path);
        if !request.query.is_empty() {
            let query: Vec<String> = request
                .query
                .iter()
                .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                .collect();
            url.push('?');
            url.push_str(&query.join("&"));
        }
        reqwest::Url::parse(&url)
            .map_err(|err| OciError::InvalidRequest(format!("bad URL {base}{}: {err}", request.path)))
    }

    /// Sends one operation call and returns its answer (2xx or 304).
    ///
    /// # Errors
    /// [`OciError::Service`] for an error answer (after retries), [`OciError::Transport`] when no
    /// answer came, [`OciError::Auth`], [`OciError::Endpoint`], [`OciError::InvalidRequest`].
    pub async fn request(&self, mut request: OciRequest) -> Result<OciResponse, OciError> {
        for (name, _) in &request.headers {
            if RESERVED_HEADERS.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                return Err(OciError::InvalidRequest(format!(
                    "the `{name}` header is set by the client; remove it"
                )));
            }
        }
        if request.retry_token && !request.has_header("opc-retry-token") {
            request.headers.push(("opc-retry-token".into(), uuid::Uuid::new_v4().simple().to_string()));
        }
        let url = self.url(&request)?;
        let idempotent = request.is_idempotent();
        let request_id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
        let policy = &self.inner.retry;
        let mut attempt: u32 = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let credentials = self.inner.auth.credentials().await?;
            let started = Instant::now();
            let sent = self.send_once(&request, &url, &credentials, &request_id).await?;
            let elapsed_ms = started.elapsed().as_millis();
            match sent {
                Ok(response) => {
                    let status = response.status;
                    tracing::debug!(
                        method = %request.method, service = %request.service, path = url.path(), attempt, status,
                        opc_request_id = response.request_id().unwrap_or(""), elapsed_ms, "OCI request"
                    );
                    if (200..300).contains(&status) || status == 304 {
                        return Ok(response);
                    }
                    if status == 401 && !refreshed {
                        refreshed = true;
                        if self.inner.auth.refresh_after_401().await {
                            tracing::info!(path = url.path(), "401: principal refreshed, retrying once");
                            attempt -= 1;
                            continue;
                        }
                    }
                    let retryable_status = status == 429 || (status >= 500 && status != 501);
                    if retryable_status && idempotent && attempt < policy.max_attempts {
                        let retry_after = response
                            .header("retry-after")
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        let delay = policy.delay(attempt, retry_after);
                        tracing::debug!(
                            status,
                            attempt,
                            delay_ms = delay.as_millis(),
                            "retrying OCI request"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(OciError::from(ServiceError::from_response(
                        request.method.as_str(),
                        url.path(),
                        status,
                        response.request_id().map(str::to_owned),
                        &response.body,
                    )));
                }
                Err(err) => {
                    let retryable =
                        err.is_connect() || (idempotent && (err.is_timeout() || err.is_request()));
                    tracing::debug!(method = %request.method, path = url.path(), attempt, error = %err, elapsed_ms, "OCI request failed");
                    if retryable && attempt < policy.max_attempts {
                        tokio::time::sleep(policy.delay(attempt, None)).await;
                        continue;
                    }
                    let mut shown = url.clone();
                    shown.set_query(None);
                    return Err(OciError::Transport {
                        method: request.method.to_string(),
                        url: shown.to_string(),
                        message: describe_transport_error(&err),
                        timeout: err.is_timeout(),
                    });
                }
            }
        }
    }

    async fn send_once(
        &self,
        request: &OciRequest,
        url: &reqwest::Url,
        credentials: &Credentials,
        request_id: &str,
    ) -> Result<Result<OciResponse, reqwest::Error>, OciError> {
        let date = signer::http_date(jiff::Timestamp::now());
        let host = host_header(url);
        let path_and_query = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let has_body = signer::is_body_method(request.method.as_str());
        let (body, mut content_type) = match &request.body {
            RequestBody::Empty => (Bytes::new(), "application/json".to_owned()),
            RequestBody::Json(value) => (Bytes::from(value.to_string()), "application/json".to_owned()),
            RequestBody::Bytes { bytes, content_type } => (bytes.clone(), content_type.clone()),
        };
        if let Some((_, value)) = request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            content_type.clone_from(value);
        }
        let sha = (has_body && request.sign_body).then(|| signer::x_content_sha256(&body));
        let input = SigningInput {
            method: request.method.as_str(),
            path_and_query: &path_and_query,
            host: &host,
            date: &date,
            body: sha.as_deref().map(|sha| BodyHeaders {
                content_length: body.len() as u64,
                content_type: &content_type,
                x_content_sha256: sha,
            }),
        };
        let headers = signer::headers_for(request.method.as_str(), !request.sign_body);
        let authorization =
            signer::authorization(&input, headers, credentials.key_id(), credentials.key().as_ref())?;
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url.clone())
            .header("date", &date)
            .header("authorization", authorization)
            .header("opc-request-id", request_id);
        if !request.has_header("accept") {
            builder = builder.header("accept", "application/json");
        }
        for (name, value) in &request.headers {
            if !name.eq_ignore_ascii_case("content-type") {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        if has_body {
            builder = builder
                .header("content-type", &content_type)
                .header("content-length", body.len().to_string())
                .body(body);
            if let Some(sha) = &sha {
                builder = builder.header("x-content-sha256", sha);
            }
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(err) => return Ok(Err(err)),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Ok(response.bytes().await.map(|body| OciResponse { status, headers, body }))
    }

    /// Sends `request`, then follows `opc-next-page` (as the `page` query parameter) until there is
    /// no next page or `max_pages` pages were read.
    ///
    /// # Errors
    /// As [`OciClient::request`], for any page.
    pub async fn request_pages(
        &self,
        request: OciRequest,
        max_pages: usize,
    ) -> Result<Vec<OciResponse>, OciError> {
        let mut pages = Vec::new();
        let mut next = Some(request);
        while let Some(request) = next.take() {
            if pages.len() >= max_pages.max(1) {
                break;
            }
            let response = self.request(request.clone()).await?;
            next = next_page_request(&request, &response);
            pages.push(response);
        }
        Ok(pages)
    }

    /// [`OciClient::request_pages`] for a list operation whose pages are JSON arrays: the items of every page, in
    /// order. `what` names the operation in a decoding error.
    ///
    /// # Errors
    /// As [`OciClient::request`], for any page, and [`OciError::Decode`] for a page that is not an array of `T`.
    pub async fn request_list<T: DeserializeOwned>(
        &self,
        request: OciRequest,
        max_pages: usize,
        what: &str,
    ) -> Result<Vec<T>, OciError> {
        let mut items = Vec::new();
        for page in self.request_pages(request, max_pages).await? {
            items.extend(page.json::<Vec<T>>(what)?);
        }
        Ok(items)
    }
}

/// The request for the page after `response`, when `opc-next-page` says there is one.
pub fn next_page_request(request: &OciRequest, response: &OciResponse) -> Option<OciRequest> {
    let token = response.next_page()?;
    let mut next = request.clone();
    next.query.retain(|(name, _)| name != "page");
    next.query.push(("page".into(), token.to_owned()));
    Some(next)
}

/// The `host` header value reqwest sends for `url`: `host[:port]`, the port only when it is not the
/// scheme's default.
pub fn host_header(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn describe_transport_error(err: &reqwest::Error) -> String {
    let mut message = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    #![allow(clippy::type_complexity)]

    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::extract::State;
    use axum::http::{HeaderMap as AxHeaders, StatusCode, Uri};
    use axum::response::IntoResponse;

    use super::*;
    use crate::auth::{ApiKeyProvider, AuthError, AuthKind};
    use crate::error::ErrorKind;
    use crate::key::PrivateKey;

    #[test]
    fn percent_encoding() {
        let cases = [
            ("sessions/abc.json", "sessions%2Fabc.json"),
            ("a b+c=d@e,f", "a%20b%2Bc%3Dd%40e%2Cf"),
            ("Pjwf: PHX-AD-1", "Pjwf%3A%20PHX-AD-1"),
            ("~._-AZaz09", "~._-AZaz09"),
            ("é", "%C3%A9"),
        ];
        for (input, want) in cases {
            assert_eq!(percent_encode(input), want, "{input}");
        }
    }

    #[derive(Clone, Default)]
    struct Script {
        /// Statuses to answer, in order; the last repeats.
        statuses: Arc<StdMutex<Vec<u16>>>,
        hits: Arc<AtomicUsize>,
        seen: Arc<StdMutex<Vec<(String, String, AxHeaders)>>>,
    }

    async fn scripted(
        State(script): State<Script>,
        method: axum::http::Method,
        uri: Uri,
        headers: AxHeaders,
    ) -> impl IntoResponse {
        let n = script.hits.fetch_add(1, Ordering::SeqCst);
        script.seen.lock().unwrap().push((method.to_string(), uri.to_string(), headers));
        let statuses = script.statuses.lock().unwrap().clone();
        let status = statuses.get(n).or(statuses.last()).copied().unwrap_or(200);
        let mut out = axum::http::HeaderMap::new();
        out.insert("opc-request-id", format!("server-{n}").parse().unwrap());
        if n == 0 {
            out.insert("opc-next-page", "page-2".parse().unwrap());
        }
        let body = if status >= 400 {
            format!(r#"{{"code":"Code{status}","message":"scripted {status}"}}"#)
        } else {
            r#"{"ok":true}"#.to_owned()
        };
        (StatusCode::from_u16(status).unwrap(), out, body)
    }

    async fn server(statuses: &[u16]) -> (String, Script) {
        let script = Script::default();
        *script.statuses.lock().unwrap() = statuses.to_vec();
        let app = axum::Router::new().fallback(scripted).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), script)
    }

    #[derive(Debug)]
    struct CountingAuth {
        inner: ApiKeyProvider,
        refreshes: AtomicUsize,
        refresh_helps: bool,
    }

    #[async_trait::async_trait]
    impl AuthProvider for CountingAuth {
        async fn credentials(&self) -> Result<Credentials, AuthError> {
            self.inner.credentials().await
        }
        fn region(&self) -> Option<Region> {
            Region::lookup("us-ashburn-1")
        }
        fn kind(&self) -> AuthKind {
            AuthKind::ApiKey
        }
        async fn refresh_after_401(&self) -> bool {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
            self.refresh_helps
        }
    }

    fn client(base: &str, refresh_helps: bool) -> (OciClient, Arc<CountingAuth>) {
        let key = PrivateKey::from_pem(include_bytes!("testdata/rsa2048_pkcs1.pem"), None).unwrap();
        let auth = Arc::new(CountingAuth {
            inner: ApiKeyProvider::new("ocid1.tenancy.oc1..t", "ocid1.user.oc1..u", key, None),
            refreshes: AtomicUsize::new(0),
            refresh_helps,
        });
        let config = ClientConfig {
            env: Env::from_pairs([("GALLEY_OCI_ENDPOINT_IDENTITY", base)]),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
            },
            ..ClientConfig::default()
        };
        (OciClient::new(auth.clone(), config).unwrap(), auth)
    }

    #[tokio::test]
    async fn retries_only_what_is_safe() {
        // (method, retry token, statuses, want hits, want final status or error code)
        let cases: &[(Method, bool, &[u16], usize, Result<u16, &str>)] = &[
            (Method::GET, false, &[503, 200], 2, Ok(200)),
            (Method::GET, false, &[429, 500, 200], 3, Ok(200)),
            (Method::GET, false, &[503], 3, Err("Code503")),
            (Method::PUT, false, &[502, 200], 2, Ok(200)),
            (Method::POST, false, &[503, 200], 1, Err("Code503")),
            (Method::POST, true, &[503, 200], 2, Ok(200)),
            (Method::GET, false, &[501, 200], 1, Err("Code501")),
            (Method::GET, false, &[404, 200], 1, Err("Code404")),
            (Method::DELETE, false, &[409, 200], 1, Err("Code409")),
        ];
        for (method, token, statuses, hits, want) in cases {
            let (base, script) = server(statuses).await;
            let (client, _) = client(&base, false);
            let mut request = OciRequest::new("identity", method.clone(), "/20160918/users");
            if *token {
                request = request.with_retry_token();
            }
            let got = client.request(request).await;
            assert_eq!(script.hits.load(Ordering::SeqCst), *hits, "{method} {statuses:?}");
            match (got, want) {
                (Ok(response), Ok(status)) => assert_eq!(response.status, *status),
                (Err(OciError::Service(err)), Err(code)) => {
                    assert_eq!(err.code, *code);
                    assert!(err.request_id.as_deref().is_some_and(|id| id.starts_with("server-")));
                }
                (got, want) => panic!("{method} {statuses:?}: got {got:?}, want {want:?}"),
            }
            if *token {
                let seen = script.seen.lock().unwrap();
                let tokens: Vec<_> = seen.iter().map(|(_, _, h)| h.get("opc-retry-token").cloned()).collect();
                assert!(
                    tokens[0].is_some() && tokens.windows(2).all(|w| w[0] == w[1]),
                    "same retry token on every attempt"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_401_refreshes_the_principal_once() {
        let cases: &[(bool, &[u16], usize, usize, bool)] = &[
            (true, &[401, 200], 2, 1, true),
            (true, &[401, 401, 200], 2, 1, false),
            (false, &[401, 200], 1, 1, false),
        ];
        for (helps, statuses, hits, refreshes, ok) in cases {
            let (base, script) = server(statuses).await;
            let (client, auth) = client(&base, *helps);
            let got = client
                .request(OciRequest::new("identity", Method::POST, "/x").json(serde_json::json!({})))
                .await;
            assert_eq!(script.hits.load(Ordering::SeqCst), *hits, "{statuses:?}");
            assert_eq!(auth.refreshes.load(Ordering::SeqCst), *refreshes);
            assert_eq!(got.is_ok(), *ok, "{got:?}");
            if let Err(err) = got {
                assert_eq!(err.kind(), Some(ErrorKind::NotAuthenticated));
            }
        }
    }

    #[tokio::test]
    async fn signs_what_it_sends() {
        let (base, script) = server(&[200]).await;
        let (client, _) = client(&base, false);
        let request = OciRequest::new("identity", Method::PUT, "/n/ns/b/bk/o/a%2Fb%20c")
            .query("prefix", "x/y z")
            .query("limit", "2")
            .header("if-match", "etag-1")
            .bytes(Bytes::from_static(b"hello"), "text/plain");
        client.request(request).await.unwrap();
        let empty = OciRequest::new("identity", Method::POST, "/20160918/users");
        client.request(empty).await.unwrap();
        let seen = script.seen.lock().unwrap();
        let (method, uri, headers) = &seen[0];
        assert_eq!(
            (method.as_str(), uri.as_str()),
            ("PUT", "/n/ns/b/bk/o/a%2Fb%20c?prefix=x%2Fy%20z&limit=2")
        );
        let h = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
        assert_eq!(h("content-length"), "5");
        assert_eq!(h("content-type"), "text/plain");
        assert_eq!(h("x-content-sha256"), signer::x_content_sha256(b"hello"));
        assert_eq!(h("if-match"), "etag-1");
        assert_eq!(h("opc-request-id").len(), 32);
        let auth = h("authorization");
        assert!(
            auth.contains(
                "headers=\"date (request-target) host content-length content-type x-content-sha256\""
            ),
            "{auth}"
        );
        // Verify the signature over what the server received.
        let host = h("host");
        let signing_string = format!(
            "date: {}\n(request-target): put {uri}\nhost: {host}\ncontent-length: 5\ncontent-type: text/plain\nx-content-sha256: {}",
            h("date"),
            h("x-content-sha256")
        );
        verify(&auth, &signing_string);
        let (_, _, empty_headers) = &seen[1];
        assert_eq!(empty_headers.get("content-length").unwrap(), "0");
        assert_eq!(
            empty_headers.get("x-content-sha256").unwrap(),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[tokio::test]
    async fn put_object_style_requests_sign_without_the_body() {
        let (base, script) = server(&[200]).await;
        let (client, _) = client(&base, false);
        let request = OciRequest::new("identity", Method::PUT, "/n/ns/b/bk/o/k")
            .bytes(Bytes::from_static(b"data"), "application/octet-stream")
            .exclude_body_from_signature();
        client.request(request).await.unwrap();
        let seen = script.seen.lock().unwrap();
        let headers = &seen[0].2;
        let auth = headers.get("authorization").unwrap().to_str().unwrap();
        assert!(auth.contains("headers=\"date (request-target) host\""), "{auth}");
        assert!(headers.get("x-content-sha256").is_none());
        assert_eq!(headers.get("content-length").unwrap(), "4");
        let signing_string = format!(
            "date: {}\n(request-target): put /n/ns/b/bk/o/k\nhost: {}",
            headers.get("date").unwrap().to_str().unwrap(),
            headers.get("host").unwrap().to_str().unwrap()
        );
        verify(auth, &signing_string);
    }

    fn verify(authorization: &str, signing_string: &str) {
        use base64::Engine as _;
        let signature = authorization.split("signature=\"").nth(1).unwrap().trim_end_matches('"');
        let signature = base64::engine::general_purpose::STANDARD.decode(signature).unwrap();
        let spki = PrivateKey::from_pem(include_bytes!("testdata/rsa2048_pkcs1.pem"), None)
            .unwrap()
            .public_key_der()
            .unwrap();
        let mut outer = crate::der::Reader::new(&spki);
        let mut seq = outer.sequence().unwrap();
        seq.sequence().unwrap();
        let pkcs1 = &seq.expect(0x03).unwrap()[1..];
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            pkcs1,
        )
        .verify(signing_string.as_bytes(), &signature)
        .expect("signature verifies over the received request");
    }

    #[tokio::test]
    async fn timeouts_are_retried_for_idempotent_requests_and_reported() {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (client, _) = client(&format!("http://{addr}"), false);
        let request = OciRequest::new("identity", Method::GET, "/slow").timeout(Duration::from_millis(100));
        let err = client.request(request).await.unwrap_err();
        assert!(matches!(err, OciError::Transport { timeout: true, .. }), "{err}");
        assert_eq!(hits.load(Ordering::SeqCst), 3, "GET retried up to max_attempts");
        hits.store(0, Ordering::SeqCst);
        let post = OciRequest::new("identity", Method::POST, "/slow").timeout(Duration::from_millis(100));
        assert!(client.request(post).await.is_err());
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "a POST without retry token is not retried after a timeout"
        );
    }

    #[test]
    fn region_comes_from_config_then_env_then_principal() {
        let key = || PrivateKey::from_pem(include_bytes!("testdata/rsa2048_pkcs1.pem"), None).unwrap();
        let auth = || -> Arc<dyn AuthProvider> {
            Arc::new(ApiKeyProvider::new("t", "u", key(), Region::lookup("iad")))
        };
        let cases: [(Option<&str>, &[(&str, &str)], Result<&str, &str>); 5] = [
            (Some("fra"), &[("GALLEY_REGION", "nrt")], Ok("eu-frankfurt-1")),
            (None, &[("GALLEY_REGION", "nrt"), ("OCI_REGION", "phx")], Ok("ap-tokyo-1")),
            (None, &[("OCI_REGION", "phx")], Ok("us-phoenix-1")),
            (None, &[], Ok("us-ashburn-1")),
            (None, &[("GALLEY_REGION", "mars-1")], Err("`mars-1` is not an OCI region")),
        ];
        for (explicit, vars, want) in cases {
            let config = ClientConfig {
                region: explicit.and_then(Region::lookup),
                env: Env::from_pairs(vars.iter().copied()),
                ..ClientConfig::default()
            };
            match (OciClient::new(auth(), config), want) {
                (Ok(client), Ok(id)) => assert_eq!(client.region().map(Region::id), Some(id)),
                (Err(err), Err(fragment)) => assert!(err.to_string().contains(fragment), "{err}"),
                (got, want) => panic!("{vars:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[tokio::test]
    async fn pagination_follows_opc_next_page() {
        let (base, script) = server(&[200]).await;
        let (client, _) = client(&base, false);
        let pages = client
            .request_pages(
                OciRequest::new("identity", Method::GET, "/20160918/users").query("page", "old"),
                10,
            )
            .await
            .unwrap();
        assert_eq!(pages.len(), 2);
        let seen = script.seen.lock().unwrap();
        assert_eq!(seen[1].1, "/20160918/users?page=page-2");
    }

    #[tokio::test]
    async fn connection_failures_and_bad_requests() {
        let (client, _) = client("http://127.0.0.1:9", false);
        let err = client.request(OciRequest::new("identity", Method::GET, "/x")).await.unwrap_err();
        assert!(matches!(&err, OciError::Transport { url, .. } if url == "http://127.0.0.1:9/x"), "{err}");
        let err = client
            .request(OciRequest::new("identity", Method::GET, "/x").header("Authorization", "x"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`Authorization` header is set by the client"), "{err}");
        let err = client.request(OciRequest::new("identity", Method::GET, "x")).await.unwrap_err();
        assert!(err.to_string().contains("must start with `/`"), "{err}");
        let err = client.request(OciRequest::new("logging", Method::GET, "/x")).await.unwrap_err();
        assert!(err.to_string().contains("GALLEY_OCI_ENDPOINT_LOGGING"), "{err}");
    }
}
