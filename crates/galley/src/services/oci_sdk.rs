//! The OCI API service behind `oci_sdk_call`: any operation of the OCI Python SDK's table, called natively.
//!
//! The flow: [`OperationTable::lookup`] (closest names on a miss) → [`build_request`] (every parameter problem at
//! once) or [`raw_request`] → [`policy::decide`] for the server's write mode (the same policy as `run_oci_cli`)
//! → [`OciClient::request`] (galley-oci resolves the endpoint, with `GALLEY_OCI_ENDPOINT_<SERVICE>` overrides,
//! signs, retries) → pages followed when asked (`opc-next-page`, or Object Storage's `nextStartWith`), bounded →
//! secrets redacted → [`shape()`] (`fields`, `max_results`, a summary when large).
//!
//! The client is built from the environment on first use (or handed over by an `oci://` store, so both sign as
//! one principal over one connection pool). A principal that cannot be loaded is not cached: the operator can fix
//! the files and the next call picks them up.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use galley_domain::oci::policy::{self, Class, Decision, WriteMode};
use galley_domain::oci::redact::{redact_json, redact_text};
use galley_domain::oci::request::{BodyKind, OciRequestSpec, RawRequest, build_request, raw_request};
use galley_domain::oci::shape::{ShapeOptions, shape};
use galley_domain::oci::table::OperationTable;
use galley_oci::{Env, ErrorKind, OciClient, OciError, OciRequest, OciResponse};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

/// Default cap on the JSON data returned, in characters.
pub const DEFAULT_MAX_OUTPUT_CHARS: usize = 20_000;
/// Smallest and largest output caps.
pub const OUTPUT_CHARS_RANGE: (usize, usize) = (1_000, 200_000);
/// Largest `max_results`.
pub const MAX_RESULTS: usize = 10_000;
/// Most pages `all_pages` reads.
pub const MAX_PAGES: usize = 20;
/// Most items `all_pages` collects (it stops at the page that reaches this, or `max_results`).
pub const MAX_ITEMS_ALL_PAGES: usize = 5_000;

/// Response headers worth returning (none of them carries a secret).
const RETURNED_HEADERS: &[&str] = &[
    "etag",
    "content-type",
    "content-length",
    "content-range",
    "last-modified",
    "location",
    "opc-work-request-id",
    "opc-next-page",
    "opc-total-items",
    "opc-content-md5",
    "opc-multipart-md5",
    "version-id",
    "archival-state",
    "storage-tier",
];

/// Headers the HTTP client computes itself: a value from the model is dropped (with a note).
const CLIENT_HEADERS: &[&str] =
    &["content-length", "expect", "host", "date", "authorization", "x-content-sha256"];

/// What to call.
#[derive(Debug, Clone)]
pub enum Target {
    /// An operation of the table.
    Operation {
        /// Service (SDK module, or `module.client`).
        service: String,
        /// Operation (SDK or API name).
        operation: String,
        /// Parameters by SDK or API name; the body under its SDK name or `body`.
        parameters: Map<String, Value>,
    },
    /// A raw call to a service's endpoint.
    Raw {
        /// Service whose endpoint to use.
        service: String,
        /// HTTP method.
        method: String,
        /// Path with the API version.
        path: String,
        /// Query parameters.
        query: Option<Map<String, Value>>,
        /// JSON body.
        body: Option<Value>,
    },
}

/// One call.
#[derive(Debug, Clone)]
pub struct SdkCall {
    /// What to call.
    pub target: Target,
    /// Dot paths to keep of each item (or of the object).
    pub fields: Vec<String>,
    /// Most list items to return.
    pub max_results: Option<usize>,
    /// Follow the pages of a list (bounded).
    pub all_pages: bool,
    /// The user confirmed a destructive call.
    pub confirm_destructive: bool,
    /// Cap on the JSON data in characters.
    pub max_output_chars: Option<usize>,
}

/// How to ask for the page after the last one returned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct NextPage {
    /// The parameter to set: `page` (from `opc-next-page`) or `start` (Object Storage's `nextStartWith`).
    pub parameter: String,
    /// Its value.
    pub value: String,
}

/// A checked call, ready to send.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The request.
    pub spec: OciRequestSpec,
    /// Whether the operation accepts an `opc-retry-token` (then a POST is sent with one and can be retried).
    pub retry_token: bool,
    /// When Galley limited a download with a `range` header: its size in bytes.
    pub range_bytes: Option<usize>,
}

/// What a successful `oci_sdk_call` returns (it is the tool's structured output).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SdkOutcome {
    /// The operation called (module.Client.operation), or "raw".
    pub operation: String,
    /// What the call does: read, mutation or destructive.
    pub class: Class,
    /// The HTTP method sent.
    pub method: String,
    /// The path sent (no host, no query).
    pub path: String,
    /// The HTTP status of the (first) answer.
    pub status: u16,
    /// The opc-request-id of the (first) answer: give it to Oracle support when something is wrong.
    pub opc_request_id: Option<String>,
    /// Selected response headers (etag, content-type, content-length, opc-work-request-id, ...).
    pub headers: BTreeMap<String, String>,
    /// The response data (JSON, or text), shaped by fields and max_results, secrets redacted; a summary when it
    /// was larger than max_output_chars.
    pub data: Value,
    /// Pages read.
    pub pages: usize,
    /// For lists: items read before max_results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_items: Option<usize>,
    /// For lists: items returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned_items: Option<usize>,
    /// Whether items were cut (max_results) or the data summarised.
    pub truncated: bool,
    /// Whether data is a summary.
    pub summarized: bool,
    /// When more results exist: the parameter to set and its value for the next call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page: Option<NextPage>,
    /// What was done to the result and how to get more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How long the OCI requests took, in milliseconds.
    pub duration_ms: u64,
}

/// Why a call produced no result. Every message says what to do next and contains no secrets.
#[derive(Debug, thiserror::Error)]
pub enum OciSdkError {
    /// An argument is malformed or out of range.
    #[error("{0}")]
    InvalidInput(String),
    /// No such service or operation (the message has the closest names).
    #[error("{0}. Call again with one of these names.")]
    Lookup(String),
    /// The parameters do not fit the operation (every problem and the valid names).
    #[error("{0}")]
    Params(String),
    /// The mutation policy refused it; nothing was sent.
    #[error("{0}")]
    Refused(String),
    /// Galley has no usable OCI principal.
    #[error(
        "Galley has no usable OCI credentials: {0}. Tell the Galley operator: GALLEY_OCI_AUTH selects the principal (api_key from ~/.oci/config or OCI_CONFIG_FILE, resource_principal in a Container Instance, instance_principal on a compute instance); `galley doctor` shows what it finds"
    )]
    Credentials(String),
    /// OCI answered with an error.
    #[error("{0}")]
    Service(Box<ServiceFailure>),
    /// No answer, or no endpoint.
    #[error("{0}")]
    Failed(String),
}

/// An OCI error answer, for the model: code, message, status, request id and what to do next.
#[derive(Debug, thiserror::Error)]
#[error(
    "OCI answered {method} {path} with HTTP {status} {code}: {message} (opc-request-id: {}). Hint: {hint}",
    request_id.as_deref().unwrap_or("none")
)]
pub struct ServiceFailure {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// OCI error code.
    pub code: String,
    /// OCI's message (redacted).
    pub message: String,
    /// `opc-request-id`.
    pub request_id: Option<String>,
    /// What to do next.
    pub hint: &'static str,
}

/// What to do after an OCI error answer.
pub fn hint(kind: ErrorKind, code: &str) -> &'static str {
    if code.contains("LimitExceeded") || code.contains("QuotaExceeded") {
        return "a service limit or compartment quota is reached: free resources, use another compartment, or ask the tenancy administrator for a limit increase";
    }
    match kind {
        ErrorKind::NotAuthorizedOrNotFound => {
            "the resource does not exist, or no IAM policy lets Galley's principal use it (OCI does not say which): check the OCIDs, names and compartment_id (a list call in the compartment shows what exists), then the policies that grant Galley's principal access"
        }
        ErrorKind::NotAuthenticated => {
            "OCI refused Galley's request signature: its credentials are wrong, expired or not uploaded, or the clock is off; tell the Galley operator (`galley doctor` shows the auth mode)"
        }
        ErrorKind::BadRequest => "a parameter value is wrong: fix the one the message names and call again",
        ErrorKind::NotFound => {
            "it does not exist: check the name or OCID (list the parent resource to see what exists)"
        }
        ErrorKind::Conflict => {
            "it already exists, or its current state does not allow this: get it, check its lifecycleState, and retry when it is stable"
        }
        ErrorKind::IfMatchFailed | ErrorKind::PreconditionFailed => {
            "the resource changed since its etag was read: get it again and retry with the new etag"
        }
        ErrorKind::IfNoneMatchFailed => {
            "it already exists (if-none-match: *): get it instead, or drop the condition"
        }
        ErrorKind::TooManyRequests => {
            "OCI is throttling requests: wait a little and retry, or narrow the request"
        }
        ErrorKind::ServerError => {
            "a failure on OCI's side: retry later; if it persists, give Oracle support the opc-request-id"
        }
        ErrorKind::NotModified | ErrorKind::Other => "read OCI's message; fix the call and try again",
    }
}

/// Calls OCI APIs for the model.
#[derive(Debug)]
pub struct OciSdkService {
    mode: WriteMode,
    env: Env,
    client: OnceCell<OciClient>,
}

impl OciSdkService {
    /// A service for `mode`; the client is `client`, or built from `env` on first use.
    pub fn new(mode: WriteMode, env: Env, client: Option<OciClient>) -> Self {
        OciSdkService { mode, env, client: OnceCell::new_with(client) }
    }

    /// The OCI client (shared with an `oci://` store, or built from the environment on first use).
    ///
    /// # Errors
    /// [`OciSdkError::Credentials`] when no principal is usable.
    pub async fn client(&self) -> Result<&OciClient, OciSdkError> {
        self.client
            .get_or_try_init(|| OciClient::from_env(self.env.clone()))
            .await
            .map_err(|e| OciSdkError::Credentials(e.to_string()))
    }

    /// Checks the call and builds the request without sending it (what the policy sees).
    pub fn plan(&self, call: &SdkCall) -> Result<Planned, OciSdkError> {
        let table = OperationTable::builtin().map_err(|e| {
            OciSdkError::Failed(format!(
                "the OCI operation table cannot be read ({e}); tell the Galley operator"
            ))
        })?;
        let mut range_bytes = None;
        let (spec, retry_token) = match &call.target {
            Target::Operation { service, operation, parameters } => {
                let op = table.lookup(service, operation).map_err(|e| OciSdkError::Lookup(e.to_string()))?;
                let mut spec =
                    build_request(&op, parameters).map_err(|e| OciSdkError::Params(e.to_string()))?;
                let header =
                    |name: &str| op.operation.header_params.iter().any(|p| p.wire.eq_ignore_ascii_case(name));
                // A binary download (GetObject) is read whole into memory: unless the model asked for a range,
                // ask for no more than the output could show.
                let has_range = spec.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("range"));
                if spec.method == "GET"
                    && op.operation.response_type.as_deref() == Some("stream")
                    && header("range")
                    && !has_range
                {
                    let bytes = 4 * call.max_output_chars.unwrap_or(DEFAULT_MAX_OUTPUT_CHARS);
                    spec.headers.push(("range".to_owned(), format!("bytes=0-{}", bytes - 1)));
                    range_bytes = Some(bytes);
                }
                (spec, header("opc-retry-token"))
            }
            Target::Raw { service, method, path, query, body } => {
                let raw = RawRequest { service, method, path, query: query.as_ref(), body: body.as_ref() };
                (raw_request(table, &raw).map_err(|e| OciSdkError::Params(e.to_string()))?, false)
            }
        };
        if let Decision::Refuse(why) = policy::decide(self.mode, spec.class, call.confirm_destructive) {
            return Err(OciSdkError::Refused(format!(
                "{} ({} {}): {why}",
                spec.operation, spec.method, spec.path
            )));
        }
        Ok(Planned { spec, retry_token, range_bytes })
    }

    /// Runs one call.
    pub async fn call(&self, call: SdkCall) -> Result<SdkOutcome, OciSdkError> {
        let max_chars = call.max_output_chars.unwrap_or(DEFAULT_MAX_OUTPUT_CHARS);
        if !(OUTPUT_CHARS_RANGE.0..=OUTPUT_CHARS_RANGE.1).contains(&max_chars) {
            return Err(OciSdkError::InvalidInput(format!(
                "max_output_chars must be {}-{}, not {max_chars}",
                OUTPUT_CHARS_RANGE.0, OUTPUT_CHARS_RANGE.1
            )));
        }
        if let Some(n) = call.max_results
            && !(1..=MAX_RESULTS).contains(&n)
        {
            return Err(OciSdkError::InvalidInput(format!("max_results must be 1-{MAX_RESULTS}, not {n}")));
        }
        let Planned { spec, retry_token, range_bytes } = self.plan(&call)?;
        let client = self.client().await?;
        let mut notes: Vec<String> = Vec::new();
        let request = to_request(&spec, retry_token, &mut notes)?;
        tracing::info!(operation = %spec.operation, class = %spec.class, method = %spec.method, "calling the OCI API");
        let started = Instant::now();
        let first = match client.request(request).await {
            // An empty object has no byte 0, so the range Galley added is not satisfiable: ask again without it.
            Err(e) if range_bytes.is_some() && e.service().is_some_and(|s| s.status == 416) => {
                let mut whole = spec.clone();
                whole.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("range"));
                client.request(to_request(&whole, retry_token, &mut Vec::new())?).await
            }
            other => other,
        }
        .map_err(|e| oci_error(e, &spec))?;
        let total =
            first.header("content-range").and_then(|r| r.rsplit('/').next()?.trim().parse::<u64>().ok());
        if let Some(bytes) = range_bytes
            && first.status == 206
            && total.is_none_or(|total| total > bytes as u64)
        {
            notes.push(format!(
                "only the first {bytes} bytes were read ({}); pass the range parameter (e.g. \"bytes={bytes}-{}\") to read further",
                first.header("content-range").unwrap_or("the object is larger"),
                2 * bytes - 1
            ));
        }
        let mut data = body_value(&first, &mut notes);
        let mut next = next_page(&spec, &first, &data);
        let mut pages = 1;
        if call.all_pages && spec.class != Class::Read {
            notes.push("all_pages applies to reads only; it was ignored".to_owned());
        }
        if call.all_pages && spec.class == Class::Read {
            let wanted = call.max_results.unwrap_or(MAX_ITEMS_ALL_PAGES).min(MAX_ITEMS_ALL_PAGES);
            while let Some((_, next_spec)) = &next {
                if pages >= MAX_PAGES || item_count(&data).unwrap_or(0) >= wanted {
                    break;
                }
                let request = to_request(next_spec, retry_token, &mut Vec::new())?;
                let response = client.request(request).await.map_err(|e| oci_error(e, next_spec))?;
                let page = body_value(&response, &mut Vec::new());
                let following = next_page(next_spec, &response, &page);
                merge_page(&mut data, page);
                pages += 1;
                next = following;
            }
            if next.is_some() && pages >= MAX_PAGES {
                notes.push(format!("all_pages stopped after {MAX_PAGES} pages"));
            }
        }
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let next_page = next.map(|(page, _)| page);
        if let Some(page) = &next_page {
            let place = if spec.operation == "raw" { "raw.query" } else { "parameters" };
            notes.push(format!(
                "there are more results: call again with {place}.{} = {:?}{}",
                page.parameter,
                page.value,
                if call.all_pages { "" } else { " (or all_pages=true)" }
            ));
        }
        redact_json(&mut data);
        let options = ShapeOptions { fields: call.fields.clone(), max_results: call.max_results, max_chars };
        let shaped = match list_key(&data) {
            // `shape` knows arrays and `{"items": [...]}`; other collections (`{"objects": [...]}`) are shaped
            // as their list, the rest of the object kept.
            Some(key) if key != "items" => {
                let list = data.get_mut(&key).map(Value::take).unwrap_or(Value::Null);
                let mut shaped = shape(list, &options);
                if let Value::Object(m) = &mut data {
                    m.insert(key, std::mem::take(&mut shaped.data));
                }
                shaped.data = data;
                shaped
            }
            _ => shape(data, &options),
        };
        if let Some(note) = shaped.note {
            notes.insert(0, note);
        }
        let headers = RETURNED_HEADERS
            .iter()
            .filter_map(|h| first.header(h).map(|v| ((*h).to_owned(), redact_text(v))))
            .collect();
        Ok(SdkOutcome {
            operation: spec.operation.clone(),
            class: spec.class,
            method: spec.method.clone(),
            path: spec.path.clone(),
            status: first.status,
            opc_request_id: first.request_id().map(str::to_owned),
            headers,
            data: shaped.data,
            pages,
            total_items: shaped.total_items,
            returned_items: shaped.returned_items,
            truncated: shaped.truncated,
            summarized: shaped.summarized,
            next_page,
            note: if notes.is_empty() { None } else { Some(notes.join(". ")) },
            duration_ms,
        })
    }
}

/// The galley-oci request for a spec.
fn to_request(
    spec: &OciRequestSpec,
    retry_token: bool,
    notes: &mut Vec<String>,
) -> Result<OciRequest, OciSdkError> {
    let method = reqwest::Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| OciSdkError::InvalidInput(format!("{:?} is not an HTTP method", spec.method)))?;
    let mut request = OciRequest::new(spec.endpoint_service.clone(), method, spec.path.clone())
        .endpoint_template(spec.endpoint_template.clone());
    for (name, value) in &spec.query {
        request = request.query(name.clone(), value.clone());
    }
    let mut content_type: Option<&str> = None;
    for (name, value) in &spec.headers {
        let lower = name.to_ascii_lowercase();
        if CLIENT_HEADERS.contains(&lower.as_str()) {
            notes.push(format!("the {name} header is computed by Galley; the value given was ignored"));
            continue;
        }
        if lower == "content-type" {
            content_type = Some(value);
        }
        request = request.header(name.clone(), value.clone());
    }
    match (spec.body_kind, &spec.body) {
        (BodyKind::Json, Some(body)) => request = request.json(body.clone()),
        (BodyKind::Stream, Some(Value::String(text))) => {
            // A binary body (Object Storage PutObject, UploadPart): signed without the body headers, as the SDKs do.
            request = request
                .bytes(Bytes::from(text.clone()), content_type.unwrap_or("application/octet-stream"))
                .exclude_body_from_signature();
        }
        _ => {}
    }
    let has_token = spec.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("opc-retry-token"));
    if retry_token && !has_token {
        request = request.with_retry_token();
    }
    Ok(request)
}

/// The answer's body as JSON, text, or nothing (binary bodies are described, not returned).
fn body_value(response: &OciResponse, notes: &mut Vec<String>) -> Value {
    if response.body.is_empty() {
        return Value::Null;
    }
    if let Some(value) = response.json_value() {
        return value;
    }
    match std::str::from_utf8(&response.body) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => {
            notes.push(format!(
                "the answer is {} bytes of binary data ({}), not returned",
                response.body.len(),
                response.header("content-type").unwrap_or("no content-type")
            ));
            Value::Null
        }
    }
}

/// The page after `response`, and the request for it: `opc-next-page` as `page`, else Object Storage's
/// `nextStartWith` as `start`.
fn next_page(
    spec: &OciRequestSpec,
    response: &OciResponse,
    data: &Value,
) -> Option<(NextPage, OciRequestSpec)> {
    if let Some(token) = response.next_page() {
        return Some((NextPage { parameter: "page".into(), value: token.to_owned() }, spec.with_page(token)));
    }
    let start = data.get("nextStartWith").and_then(Value::as_str).filter(|s| !s.is_empty())?;
    let mut next = spec.clone();
    next.query.retain(|(k, _)| k != "start");
    next.query.push(("start".to_owned(), start.to_owned()));
    Some((NextPage { parameter: "start".into(), value: start.to_owned() }, next))
}

/// Where a result's list is: `items`, else `objects`/`data`, else its only array field.
fn list_key(data: &Value) -> Option<String> {
    let Value::Object(m) = data else { return None };
    for key in ["items", "objects", "data"] {
        if m.get(key).is_some_and(Value::is_array) {
            return Some(key.to_owned());
        }
    }
    let mut arrays = m.iter().filter(|(_, v)| v.is_array()).map(|(k, _)| k);
    match (arrays.next(), arrays.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

fn item_count(data: &Value) -> Option<usize> {
    match data {
        Value::Array(a) => Some(a.len()),
        _ => list_key(data).and_then(|k| data.get(&k)).and_then(Value::as_array).map(Vec::len),
    }
}

/// Appends a page to what was read so far: arrays are concatenated, other fields take the new page's value
/// (`nextStartWith` goes when the new page has none).
fn merge_page(acc: &mut Value, page: Value) {
    match (acc, page) {
        (Value::Array(acc), Value::Array(more)) => acc.extend(more),
        (Value::Object(acc), Value::Object(more)) => {
            acc.remove("nextStartWith");
            for (key, value) in more {
                match (acc.get_mut(&key), value) {
                    (Some(Value::Array(existing)), Value::Array(more)) => existing.extend(more),
                    (_, value) => {
                        acc.insert(key, value);
                    }
                }
            }
        }
        _ => {}
    }
}

/// An OCI failure as a message for the model.
fn oci_error(err: OciError, spec: &OciRequestSpec) -> OciSdkError {
    match err {
        OciError::Service(e) => OciSdkError::Service(Box::new(ServiceFailure {
            method: e.method.clone(),
            path: e.path.clone(),
            status: e.status,
            hint: hint(e.kind, &e.code),
            code: e.code.clone(),
            message: redact_text(&e.message),
            request_id: e.request_id.clone(),
        })),
        OciError::Auth(e) => OciSdkError::Credentials(e.to_string()),
        OciError::Endpoint(e) => OciSdkError::Failed(format!(
            "{e} (the Galley operator sets these; tell them, naming the service {})",
            spec.endpoint_service
        )),
        OciError::InvalidRequest(m) => OciSdkError::InvalidInput(format!("{m}; fix the call and try again")),
        err @ OciError::Transport { .. } => OciSdkError::Failed(format!(
            "{err}: OCI could not be reached (after retries for safe requests). Retry later; if it persists, tell the Galley operator{}",
            if spec.class == Class::Read {
                ""
            } else {
                ". The change may or may not have been made: read the resource before retrying it"
            }
        )),
        other => OciSdkError::Failed(redact_text(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service(mode: WriteMode) -> OciSdkService {
        OciSdkService::new(mode, Env::from_pairs::<String, String>([]), None)
    }

    fn op(service: &str, operation: &str, parameters: Value) -> SdkCall {
        SdkCall {
            target: Target::Operation {
                service: service.into(),
                operation: operation.into(),
                parameters: parameters.as_object().cloned().unwrap_or_default(),
            },
            fields: Vec::new(),
            max_results: None,
            all_pages: false,
            confirm_destructive: false,
            max_output_chars: None,
        }
    }

    /// (mode, call) → the planned method and path, or a piece of the error.
    fn check(mode: WriteMode, call: SdkCall, expect: Result<(&str, &str), &str>) {
        match (service(mode).plan(&call), expect) {
            (Ok(planned), Ok((method, path))) => {
                assert_eq!(
                    (planned.spec.method.as_str(), planned.spec.path.as_str()),
                    (method, path),
                    "{call:?}"
                )
            }
            (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{call:?}: {e}"),
            (got, want) => panic!("{call:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn plans_and_refuses() {
        let os = json!({"namespace_name": "ns", "bucket_name": "b", "object_name": "a/b.txt"});
        check(WriteMode::ReadOnly, op("object_storage", "get_namespace", json!({})), Ok(("GET", "/n")));
        check(
            WriteMode::ReadOnly,
            op("objectstorage", "GetObject", os.clone()),
            Ok(("GET", "/n/ns/b/b/o/a%2Fb.txt")),
        );
        let mut put = os.clone();
        put["put_object_body"] = json!("content");
        check(WriteMode::ReadOnly, op("object_storage", "put_object", put), Err("read-only mode"));
        check(WriteMode::Plan, op("object_storage", "delete_object", os.clone()), Err("plan mode"));
        check(
            WriteMode::Full,
            op("object_storage", "delete_object", os.clone()),
            Err("confirm_destructive=true"),
        );
        let mut confirmed = op("object_storage", "delete_object", os);
        confirmed.confirm_destructive = true;
        check(WriteMode::Full, confirmed, Ok(("DELETE", "/n/ns/b/b/o/a%2Fb.txt")));
        check(WriteMode::Full, op("object_storage", "list_objekts", json!({})), Err("list_objects"));
        check(WriteMode::Full, op("objectstorag", "list_objects", json!({})), Err("object_storage"));
        check(
            WriteMode::Full,
            op("object_storage", "list_objects", json!({"bucket": "b", "limit": "x"})),
            Err("missing required path parameter namespace_name"),
        );
        let raw = |method: &str| SdkCall {
            target: Target::Raw {
                service: "object_storage".into(),
                method: method.into(),
                path: "/n/ns/b/b/o".into(),
                query: None,
                body: None,
            },
            ..op("x", "y", json!({}))
        };
        check(WriteMode::ReadOnly, raw("get"), Ok(("GET", "/n/ns/b/b/o")));
        check(WriteMode::ReadOnly, raw("DELETE"), Err("read-only mode"));
    }

    #[test]
    fn requests_drop_client_headers_and_send_streams_unsigned() {
        let spec = service(WriteMode::Full)
            .plan(&op(
                "object_storage",
                "put_object",
                json!({"namespace_name": "ns", "bucket_name": "b", "object_name": "o", "content_length": 3,
                       "content_type": "text/plain", "put_object_body": "abc"}),
            ))
            .unwrap()
            .spec;
        let mut notes = Vec::new();
        let request = to_request(&spec, false, &mut notes).unwrap();
        assert!(!request.sign_body);
        assert!(!request.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")));
        assert!(notes[0].contains("Content-Length"), "{notes:?}");
        match request.body {
            galley_oci::client::RequestBody::Bytes { bytes, content_type } => {
                assert_eq!((&bytes[..], content_type.as_str()), (&b"abc"[..], "text/plain"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn downloads_are_limited_unless_a_range_is_given() {
        let obj = json!({"namespace_name": "ns", "bucket_name": "b", "object_name": "o"});
        let mut call = op("object_storage", "get_object", obj.clone());
        call.max_output_chars = Some(1000);
        let planned = service(WriteMode::ReadOnly).plan(&call).unwrap();
        assert_eq!(planned.range_bytes, Some(4000));
        assert!(planned.spec.headers.contains(&("range".to_owned(), "bytes=0-3999".to_owned())));
        let mut with_range = obj;
        with_range["range"] = json!("bytes=10-19");
        let planned =
            service(WriteMode::ReadOnly).plan(&op("object_storage", "get_object", with_range)).unwrap();
        assert_eq!(planned.range_bytes, None);
        assert_eq!(planned.spec.headers.iter().filter(|(n, _)| n == "range").count(), 1);
        let planned =
            service(WriteMode::ReadOnly).plan(&op("object_storage", "get_namespace", json!({}))).unwrap();
        assert_eq!(planned.range_bytes, None);
    }

    #[test]
    fn pages_merge_and_lists_are_found() {
        let mut acc = json!({"objects": [{"name": "a"}], "prefixes": ["p/"], "nextStartWith": "b"});
        merge_page(&mut acc, json!({"objects": [{"name": "b"}], "prefixes": ["q/"]}));
        assert_eq!(acc, json!({"objects": [{"name": "a"}, {"name": "b"}], "prefixes": ["p/", "q/"]}));
        let mut list = json!([1, 2]);
        merge_page(&mut list, json!([3]));
        assert_eq!(list, json!([1, 2, 3]));
        assert_eq!(list_key(&json!({"items": [], "other": []})).as_deref(), Some("items"));
        assert_eq!(list_key(&json!({"things": [], "n": 1})).as_deref(), Some("things"));
        assert_eq!(list_key(&json!({"a": [], "b": []})), None);
        assert_eq!(item_count(&acc), Some(2));
    }

    #[test]
    fn hints_name_the_next_step() {
        assert!(hint(ErrorKind::NotAuthorizedOrNotFound, "NotAuthorizedOrNotFound").contains("compartment"));
        assert!(hint(ErrorKind::BadRequest, "LimitExceeded").contains("limit"));
        assert!(hint(ErrorKind::NotAuthenticated, "NotAuthenticated").contains("galley doctor"));
    }
}
