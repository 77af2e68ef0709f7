//! Object Storage: the subset of the REST API (oci-facts §6) that Galley and the OCI CLI/SDK object commands use.
//!
//! | Operation | Route |
//! |---|---|
//! | GetNamespace | `GET /n/` (and `/n`) |
//! | GetNamespaceMetadata | `GET /n/{ns}` |
//! | CreateBucket / ListBuckets | `POST /n/{ns}/b/` / `GET /n/{ns}/b/?compartmentId=` |
//! | GetBucket / HeadBucket / DeleteBucket | `GET` / `HEAD` / `DELETE /n/{ns}/b/{bucket}/` |
//! | ListObjects | `GET /n/{ns}/b/{bucket}/o` |
//! | PutObject / GetObject / HeadObject / DeleteObject | `PUT` / `GET` / `HEAD` / `DELETE /n/{ns}/b/{bucket}/o/{object}` |
//! | CreatePreauthenticatedRequest (`ObjectRead` only) | `POST /n/{ns}/b/{bucket}/p/` |
//! | GetObject through a PAR (unsigned) | `GET /p/{token}/n/{ns}/b/{bucket}/o/{object}` |
//!
//! Object names come percent-decoded from the raw path; a `/` inside a name may be sent as `/` or `%2F`.
//! Buckets exist only once created (CreateBucket, or `--bucket` at start-up): a put into a missing bucket is a
//! 404 `BucketNotFound`, as on OCI.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use md5::{Digest as _, Md5};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::auth::{Principal, format_http_date};
use crate::error::ApiError;
use crate::state::{AppState, Bucket, Object, ObjectMeta, new_etag, valid_bucket_name};

/// The Object Storage routes (without state; [`crate::app`] adds it, the signature check and the fallbacks).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/n", get(get_namespace))
        .route("/n/", get(get_namespace))
        .route("/n/{ns}", get(get_namespace_metadata))
        .route("/n/{ns}/", get(get_namespace_metadata))
        .route("/n/{ns}/b", get(list_buckets).post(create_bucket))
        .route("/n/{ns}/b/", get(list_buckets).post(create_bucket))
        .route("/n/{ns}/b/{bucket}", get(get_bucket).head(head_bucket).delete(delete_bucket))
        .route("/n/{ns}/b/{bucket}/", get(get_bucket).head(head_bucket).delete(delete_bucket))
        .route("/n/{ns}/b/{bucket}/o", get(list_objects))
        .route("/n/{ns}/b/{bucket}/o/", get(list_objects))
        .route(
            "/n/{ns}/b/{bucket}/o/{*object}",
            get(get_object).head(head_object).put(put_object).delete(delete_object),
        )
        .route("/n/{ns}/b/{bucket}/p", axum::routing::post(create_par))
        .route("/n/{ns}/b/{bucket}/p/", axum::routing::post(create_par))
        .route("/p/{token}/n/{ns}/b/{bucket}/o/{*object}", get(par_get_object))
}

/// Whether a request reads through a pre-authenticated request (`GET`/`HEAD /p/...`): those carry no signature.
pub fn is_par_read(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD) && path.starts_with("/p/")
}

/// CreatePreauthenticatedRequest: `ObjectRead` of one object until `timeExpires`.
async fn create_par(
    State(state): State<AppState>,
    axum::extract::Path((ns, bucket)): axum::extract::Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_namespace(&state, &ns, &bucket)?;
    if !state.buckets().contains_key(&bucket) {
        return Err(bucket_not_found(&ns, &bucket));
    }
    let details: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_parameter(format!("The request body is not JSON: {e}")))?;
    let field = |name: &str| details.get(name).and_then(Value::as_str).map(str::to_owned);
    let name = field("name").ok_or_else(|| ApiError::missing_parameter("name is required."))?;
    let access_type =
        field("accessType").ok_or_else(|| ApiError::missing_parameter("accessType is required."))?;
    if access_type != "ObjectRead" {
        return Err(ApiError::invalid_parameter(format!(
            "accessType {access_type} is not supported by the emulator (ObjectRead is)."
        )));
    }
    let object = field("objectName")
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::missing_parameter("objectName is required for ObjectRead."))?;
    let expires: Timestamp = field("timeExpires")
        .ok_or_else(|| ApiError::missing_parameter("timeExpires is required."))?
        .parse()
        .map_err(|_| ApiError::invalid_parameter("timeExpires is not an RFC 3339 time."))?;
    let now = state.now();
    if expires <= now {
        return Err(ApiError::invalid_parameter("timeExpires must be in the future."));
    }
    let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let id = uuid::Uuid::new_v4().to_string();
    let access_uri = format!(
        "/p/{token}/n/{}/b/{}/o/{}",
        utf8_percent_encode(&ns),
        utf8_percent_encode(&bucket),
        utf8_percent_encode(&object)
    );
    state.pars().insert(token, crate::state::Par { bucket: bucket.clone(), object: object.clone(), expires });
    let host = header_str(&headers, "host").unwrap_or("localhost");
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "id": id,
            "name": name,
            "accessUri": access_uri,
            "fullPath": format!("http://{host}{access_uri}"),
            "objectName": object,
            "accessType": access_type,
            "timeCreated": json_time(now),
            "timeExpires": json_time(expires),
        }),
    ))
}

/// Percent-encodes a path segment (`/` too), keeping RFC 3986's unreserved characters.
fn utf8_percent_encode(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// GetObject through a PAR: the token must name this object and be unexpired (otherwise 404, as on OCI).
async fn par_get_object(
    State(state): State<AppState>,
    axum::extract::Path((token, ns, bucket, object)): axum::extract::Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let missing = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            "The pre-authenticated request does not exist, has expired, or does not grant this object.",
        )
    };
    let par = state.pars().get(&token).cloned().ok_or_else(missing)?;
    if ns != state.namespace() || par.bucket != bucket || par.object != object || par.expires <= state.now() {
        return Err(missing());
    }
    let data = {
        let buckets = state.buckets();
        let stored = buckets.get(&bucket).and_then(|b| b.objects.get(&object)).cloned();
        stored.ok_or_else(|| object_not_found(&bucket, &object))?
    };
    let mut response = Response::new(Body::from(data.data.clone()));
    object_headers(&mut response, &data);
    Ok(response)
}

/// PutObject and UploadPart need only `date (request-target) host` signed (the body streams unhashed).
pub fn body_signing_exempt(method: &Method, path: &str) -> bool {
    if method != Method::PUT {
        return false;
    }
    let Some(rest) = path.strip_prefix("/n/") else { return false };
    let mut parts = rest.splitn(5, '/');
    let (Some(ns), Some("b"), Some(bucket), Some("o" | "u"), Some(object)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !ns.is_empty() && !bucket.is_empty() && !object.is_empty()
}

// ---- paths, queries, errors ---------------------------------------------------------------------------------

/// `/n/{ns}[/b[/{bucket}[/o[/{object}]]]]`, each part percent-decoded.
#[derive(Debug, Default)]
struct OsPath {
    namespace: String,
    bucket: Option<String>,
    object: Option<String>,
}

fn decode(raw: &str, what: &str) -> Result<String, ApiError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::invalid_parameter(format!("The {what} is not valid percent-encoded UTF-8.")))
}

fn parse_path(uri: &Uri) -> Result<OsPath, ApiError> {
    let rest = uri.path().strip_prefix("/n/").ok_or_else(ApiError::not_found_route)?;
    let mut parts = rest.splitn(5, '/');
    let mut path =
        OsPath { namespace: decode(parts.next().unwrap_or_default(), "namespace")?, ..OsPath::default() };
    if parts.next().is_none() {
        return Ok(path);
    }
    if let Some(bucket) = parts.next().filter(|b| !b.is_empty()) {
        path.bucket = Some(decode(bucket, "bucket name")?);
    }
    let _o = parts.next();
    if let Some(object) = parts.next() {
        path.object = Some(decode(object, "object name")?);
    }
    Ok(path)
}

/// The query string as a map (first value wins), `+` and percent escapes decoded.
fn query(uri: &Uri) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn bucket_not_found(ns: &str, bucket: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "BucketNotFound",
        format!(
            "Either the bucket named '{bucket}' does not exist in the namespace '{ns}' or you are not authorized to access it"
        ),
    )
}

fn object_not_found(bucket: &str, object: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ObjectNotFound",
        format!("The object '{object}' was not found in the bucket '{bucket}'"),
    )
}

fn namespace_not_found(ns: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NamespaceNotFound",
        format!(
            "You do not have authorization to perform this request, or the namespace '{ns}' could not be found."
        ),
    )
}

fn if_match_failed(etag: &str) -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "IfMatchFailed",
        format!("The If-Match header ('{etag}') does not match the current entity tag of the resource"),
    )
}

fn if_none_match_failed() -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "IfNoneMatchFailed",
        "The If-None-Match header is '*' but there is an existing entity",
    )
}

fn disk_error(e: crate::state::DiskError) -> ApiError {
    tracing::error!(error = %e, "data directory write failed");
    ApiError::internal("The emulator could not write its data directory.")
}

/// ETags as sent in if-match / if-none-match: a list, each possibly quoted or weak.
fn etag_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(|t| t.trim().trim_start_matches("W/").trim_matches('"')).filter(|t| !t.is_empty())
}

fn matches_etag(condition: &str, etag: &str) -> bool {
    etag_list(condition).any(|t| t == "*" || t == etag)
}

/// A bucket path in another namespace is a 404 `BucketNotFound`, as OCI answers for buckets one cannot see.
fn check_namespace(state: &AppState, ns: &str, bucket: &str) -> Result<(), ApiError> {
    if ns != state.namespace() { Err(bucket_not_found(ns, bucket)) } else { Ok(()) }
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(HeaderName::from_static(name), value);
    }
}

/// RFC 3339 with milliseconds, as OCI writes times in JSON (`2024-05-01T12:34:56.789Z`).
fn json_time(ts: Timestamp) -> String {
    format!("{ts:.3}")
}

// ---- namespace ----------------------------------------------------------------------------------------------

async fn get_namespace(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, &Value::String(state.namespace().to_string()))
}

async fn get_namespace_metadata(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let path = parse_path(&uri)?;
    if path.namespace != state.namespace() {
        return Err(namespace_not_found(&path.namespace));
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "namespace": state.namespace(),
            "defaultS3CompartmentId": state.default_compartment_id(),
            "defaultSwiftCompartmentId": state.default_compartment_id(),
        }),
    ))
}

// ---- buckets ------------------------------------------------------------------------------------------------

fn bucket_json(bucket: &Bucket, fields: &str) -> Value {
    let info = &bucket.info;
    let mut value = json!({
        "namespace": info.namespace,
        "name": info.name,
        "id": info.id,
        "compartmentId": info.compartment_id,
        "metadata": info.metadata,
        "createdBy": info.created_by,
        "timeCreated": json_time(info.time_created),
        "etag": info.etag,
        "publicAccessType": "NoPublicAccess",
        "storageTier": "Standard",
        "objectEventsEnabled": false,
        "freeformTags": {},
        "definedTags": {},
        "replicationEnabled": false,
        "isReadOnly": false,
        "versioning": "Disabled",
        "autoTiering": "Disabled",
    });
    let wanted: Vec<String> = fields.split(',').map(|f| f.trim().to_ascii_lowercase()).collect();
    if wanted.iter().any(|f| f == "approximatecount") {
        value["approximateCount"] = json!(bucket.objects.len());
    }
    if wanted.iter().any(|f| f == "approximatesize") {
        value["approximateSize"] = json!(bucket.objects.values().map(|o| o.data.len()).sum::<usize>());
    }
    value
}

fn with_bucket_headers(mut response: Response, bucket: &Bucket) -> Response {
    set_header(&mut response, "etag", &bucket.info.etag);
    response
}

async fn create_bucket(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = parse_path(&uri)?;
    if path.namespace != state.namespace() {
        return Err(namespace_not_found(&path.namespace));
    }
    let details: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_parameter(format!("The request body is not valid JSON: {e}")))?;
    let name = details
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_parameter("CreateBucketDetails.name is required."))?;
    let compartment_id = details
        .get("compartmentId")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_parameter("CreateBucketDetails.compartmentId is required."))?;
    if !valid_bucket_name(name) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            format!(
                "The bucket name '{name}' is not valid: use 1-256 letters, numbers, dashes, underscores and periods."
            ),
        ));
    }
    let metadata: BTreeMap<String, String> = details
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    let mut buckets = state.buckets();
    if buckets.contains_key(name) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "BucketAlreadyExists",
            format!(
                "Either the bucket '{name}' in namespace '{}' already exists or you are not authorized to create it",
                path.namespace
            ),
        ));
    }
    let bucket =
        Bucket::new(state.namespace(), name, compartment_id, &principal.created_by(), state.now(), metadata);
    if let Some(disk) = state.disk() {
        disk.save_bucket(&bucket.info).map_err(disk_error)?;
    }
    let mut response = with_bucket_headers(json_response(StatusCode::OK, &bucket_json(&bucket, "")), &bucket);
    set_header(&mut response, "location", &format!("/n/{}/b/{name}", state.namespace()));
    buckets.insert(name.to_string(), bucket);
    Ok(response)
}

async fn list_buckets(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let path = parse_path(&uri)?;
    if path.namespace != state.namespace() {
        return Err(namespace_not_found(&path.namespace));
    }
    let q = query(&uri);
    let compartment = q
        .get("compartmentId")
        .ok_or_else(|| ApiError::missing_parameter("The compartmentId query parameter is required."))?;
    let limit = parse_limit(q.get("limit"), 1000)?;
    let page = q.get("page").cloned().unwrap_or_default();
    let buckets = state.buckets();
    let mut items = Vec::new();
    let mut next_page = None;
    for bucket in buckets.values().filter(|b| &b.info.compartment_id == compartment && b.info.name > page) {
        if items.len() == limit {
            next_page = items.last().and_then(|v: &Value| v["name"].as_str().map(str::to_string));
            break;
        }
        let info = &bucket.info;
        items.push(json!({
            "namespace": info.namespace,
            "name": info.name,
            "compartmentId": info.compartment_id,
            "createdBy": info.created_by,
            "timeCreated": json_time(info.time_created),
            "etag": info.etag,
            "freeformTags": {},
            "definedTags": {},
        }));
    }
    let mut response = json_response(StatusCode::OK, &Value::Array(items));
    if let Some(page) = next_page {
        set_header(&mut response, "opc-next-page", &page);
    }
    Ok(response)
}

fn bucket_path(uri: &Uri) -> Result<(OsPath, String), ApiError> {
    let path = parse_path(uri)?;
    let bucket = path.bucket.clone().ok_or_else(ApiError::not_found_route)?;
    Ok((path, bucket))
}

async fn get_bucket(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (path, name) = bucket_path(&uri)?;
    check_namespace(&state, &path.namespace, &name)?;
    let buckets = state.buckets();
    let bucket = buckets.get(&name).ok_or_else(|| bucket_not_found(&path.namespace, &name))?;
    if let Some(cond) = header_str(&headers, "if-match")
        && !matches_etag(cond, &bucket.info.etag)
    {
        return Err(if_match_failed(cond));
    }
    if let Some(cond) = header_str(&headers, "if-none-match")
        && matches_etag(cond, &bucket.info.etag)
    {
        return Ok(with_bucket_headers(StatusCode::NOT_MODIFIED.into_response(), bucket));
    }
    let fields = query(&uri).get("fields").cloned().unwrap_or_default();
    Ok(with_bucket_headers(json_response(StatusCode::OK, &bucket_json(bucket, &fields)), bucket))
}

async fn head_bucket(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (path, name) = bucket_path(&uri)?;
    check_namespace(&state, &path.namespace, &name)?;
    let buckets = state.buckets();
    let bucket = buckets.get(&name).ok_or_else(|| bucket_not_found(&path.namespace, &name))?;
    if let Some(cond) = header_str(&headers, "if-match")
        && !matches_etag(cond, &bucket.info.etag)
    {
        return Err(if_match_failed(cond));
    }
    if let Some(cond) = header_str(&headers, "if-none-match")
        && matches_etag(cond, &bucket.info.etag)
    {
        return Ok(with_bucket_headers(StatusCode::NOT_MODIFIED.into_response(), bucket));
    }
    Ok(with_bucket_headers(StatusCode::OK.into_response(), bucket))
}

async fn delete_bucket(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (path, name) = bucket_path(&uri)?;
    check_namespace(&state, &path.namespace, &name)?;
    let mut buckets = state.buckets();
    let bucket = buckets.get(&name).ok_or_else(|| bucket_not_found(&path.namespace, &name))?;
    if let Some(cond) = header_str(&headers, "if-match")
        && !matches_etag(cond, &bucket.info.etag)
    {
        return Err(if_match_failed(cond));
    }
    if !bucket.objects.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "BucketNotEmpty",
            format!("Bucket named '{name}' is not empty. Delete all objects first."),
        ));
    }
    if let Some(disk) = state.disk() {
        disk.delete_bucket(&name).map_err(disk_error)?;
    }
    buckets.remove(&name);
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- objects ------------------------------------------------------------------------------------------------

/// The bucket and object name of an object route, after the namespace check.
fn object_path(state: &AppState, uri: &Uri) -> Result<(String, String), ApiError> {
    let path = parse_path(uri)?;
    let bucket = path.bucket.ok_or_else(ApiError::not_found_route)?;
    check_namespace(state, &path.namespace, &bucket)?;
    let object = path.object.filter(|o| !o.is_empty()).ok_or_else(ApiError::not_found_route)?;
    if object.len() > 1024 {
        return Err(ApiError::invalid_parameter("Object names are at most 1024 bytes long."));
    }
    Ok((bucket, object))
}

/// The content headers PutObject stores and GetObject/HeadObject give back.
fn pass_through(meta: &ObjectMeta) -> [(&'static str, &Option<String>); 4] {
    [
        ("content-encoding", &meta.content_encoding),
        ("content-language", &meta.content_language),
        ("content-disposition", &meta.content_disposition),
        ("cache-control", &meta.cache_control),
    ]
}

async fn put_object(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (bucket_name, name) = object_path(&state, &uri)?;
    if !headers.contains_key(header::CONTENT_LENGTH) {
        return Err(ApiError::new(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "PutObject requires a Content-Length header (chunked uploads are not supported).",
        ));
    }
    let md5 = STANDARD.encode(Md5::digest(&body));
    if let Some(claimed) = header_str(&headers, "content-md5")
        && claimed != md5
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidContentMD5",
            format!("The Content-MD5 you specified ({claimed}) did not match what was received ({md5})."),
        ));
    }
    let if_none_match = header_str(&headers, "if-none-match");
    if let Some(value) = if_none_match
        && value != "*"
    {
        return Err(ApiError::invalid_parameter(
            "The only valid value of If-None-Match on PutObject is '*'.",
        ));
    }
    let if_match = header_str(&headers, "if-match");

    let now = state.now();
    let stored = |name: &str| header_str(&headers, name).map(str::to_string);
    let meta = ObjectMeta {
        name: name.clone(),
        etag: new_etag(),
        version_id: new_etag(),
        md5: md5.clone(),
        content_type: header_str(&headers, "content-type")
            .filter(|v| !v.is_empty())
            .unwrap_or("application/octet-stream")
            .to_string(),
        content_encoding: stored("content-encoding"),
        content_language: stored("content-language"),
        content_disposition: stored("content-disposition"),
        cache_control: stored("cache-control"),
        metadata: headers
            .iter()
            .filter_map(|(k, v)| {
                let key = k.as_str().strip_prefix("opc-meta-")?;
                Some((key.to_string(), v.to_str().ok()?.to_string()))
            })
            .collect(),
        time_created: now,
        time_modified: now,
    };

    let mut buckets = state.buckets();
    let bucket =
        buckets.get_mut(&bucket_name).ok_or_else(|| bucket_not_found(state.namespace(), &bucket_name))?;
    let existing = bucket.objects.get(&name);
    if if_none_match.is_some() && existing.is_some() {
        return Err(if_none_match_failed());
    }
    if let Some(cond) = if_match {
        // A missing object matches no ETag.
        if !existing.is_some_and(|o| matches_etag(cond, &o.meta.etag)) {
            return Err(if_match_failed(cond));
        }
    }
    let object = Object { meta, data: body };
    if let Some(disk) = state.disk() {
        disk.save_object(&bucket_name, &object).map_err(disk_error)?;
    }
    let mut response = StatusCode::OK.into_response();
    set_header(&mut response, "opc-content-md5", &md5);
    set_header(&mut response, "etag", &object.meta.etag);
    set_header(&mut response, "last-modified", &format_http_date(now));
    set_header(&mut response, "version-id", &object.meta.version_id);
    bucket.objects.insert(name, object);
    Ok(response)
}

/// The headers GetObject and HeadObject answer with.
fn object_headers(response: &mut Response, object: &Object) {
    let meta = &object.meta;
    set_header(response, "etag", &meta.etag);
    set_header(response, "content-md5", &meta.md5);
    set_header(response, "last-modified", &format_http_date(meta.time_modified));
    set_header(response, "version-id", &meta.version_id);
    set_header(response, "accept-ranges", "bytes");
    set_header(response, "storage-tier", "Standard");
    set_header(response, "content-type", &meta.content_type);
    for (name, value) in pass_through(meta) {
        if let Some(value) = value {
            set_header(response, name, value);
        }
    }
    for (key, value) in &meta.metadata {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(format!("opc-meta-{key}").as_bytes()), HeaderValue::from_str(value))
        {
            response.headers_mut().insert(name, value);
        }
    }
}

/// Evaluates if-match / if-none-match for a read: `Some` answer (412 or 304) to send at once.
fn read_conditions(headers: &HeaderMap, object: &Object) -> Option<Response> {
    if let Some(cond) = header_str(headers, "if-match")
        && !matches_etag(cond, &object.meta.etag)
    {
        return Some(if_match_failed(cond).into_response());
    }
    if let Some(cond) = header_str(headers, "if-none-match")
        && matches_etag(cond, &object.meta.etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_header(&mut response, "etag", &object.meta.etag);
        set_header(&mut response, "last-modified", &format_http_date(object.meta.time_modified));
        return Some(response);
    }
    None
}

/// A single `bytes=` range, resolved against `len`: `Ok(None)` for no (or an ignorable) range header.
fn parse_range(value: Option<&str>, len: usize) -> Result<Option<(usize, usize)>, ()> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None); // multiple ranges: serve the whole object, as RFC 9110 allows
    }
    let (first, last) = spec.split_once('-').ok_or(())?;
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let suffix: usize = last.parse().map_err(|_| ())?;
        if suffix == 0 || len == 0 {
            return Err(());
        }
        (len.saturating_sub(suffix), len - 1)
    } else {
        let start: usize = first.parse().map_err(|_| ())?;
        let end =
            if last.is_empty() { len.saturating_sub(1) } else { last.parse::<usize>().map_err(|_| ())? };
        if start >= len || end < start {
            return Err(());
        }
        (start, end.min(len - 1))
    };
    Ok(Some(range))
}

async fn get_object(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (bucket_name, name) = object_path(&state, &uri)?;
    let object = {
        let buckets = state.buckets();
        let bucket =
            buckets.get(&bucket_name).ok_or_else(|| bucket_not_found(state.namespace(), &bucket_name))?;
        bucket.objects.get(&name).cloned().ok_or_else(|| object_not_found(&bucket_name, &name))?
    };
    if let Some(response) = read_conditions(&headers, &object) {
        return Ok(response);
    }
    let len = object.data.len();
    match parse_range(header_str(&headers, "range"), len) {
        Ok(None) => {
            let mut response = Response::new(Body::from(object.data.clone()));
            object_headers(&mut response, &object);
            Ok(response)
        }
        Ok(Some((start, end))) => {
            let mut response = Response::new(Body::from(object.data.slice(start..=end)));
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            object_headers(&mut response, &object);
            set_header(&mut response, "content-range", &format!("bytes {start}-{end}/{len}"));
            Ok(response)
        }
        Err(()) => Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            format!("The requested range is not satisfiable for an object of {len} bytes."),
        )),
    }
}

async fn head_object(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (bucket_name, name) = object_path(&state, &uri)?;
    let buckets = state.buckets();
    let bucket =
        buckets.get(&bucket_name).ok_or_else(|| bucket_not_found(state.namespace(), &bucket_name))?;
    let object = bucket.objects.get(&name).ok_or_else(|| object_not_found(&bucket_name, &name))?;
    if let Some(response) = read_conditions(&headers, object) {
        return Ok(response);
    }
    let mut response = StatusCode::OK.into_response();
    object_headers(&mut response, object);
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(object.data.len()));
    Ok(response)
}

async fn delete_object(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (bucket_name, name) = object_path(&state, &uri)?;
    let mut buckets = state.buckets();
    let bucket =
        buckets.get_mut(&bucket_name).ok_or_else(|| bucket_not_found(state.namespace(), &bucket_name))?;
    let object = bucket.objects.get(&name).ok_or_else(|| object_not_found(&bucket_name, &name))?;
    if let Some(cond) = header_str(&headers, "if-match")
        && !matches_etag(cond, &object.meta.etag)
    {
        return Err(if_match_failed(cond));
    }
    if let Some(disk) = state.disk() {
        disk.delete_object(&bucket_name, &name).map_err(disk_error)?;
    }
    bucket.objects.remove(&name);
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_header(&mut response, "last-modified", &format_http_date(state.now()));
    set_header(&mut response, "is-delete-marker", "false");
    Ok(response)
}

// ---- ListObjects --------------------------------------------------------------------------------------------

/// The `fields` ListObjects accepts (case-insensitive), with their JSON names.
const LIST_FIELDS: [&str; 8] =
    ["name", "size", "etag", "timeCreated", "md5", "timeModified", "storageTier", "archivalState"];

fn parse_limit(value: Option<&String>, default: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid_parameter(format!(
                "The limit '{raw}' must be an integer from 1 to 1000."
            ))),
        },
    }
}

fn object_summary(object: &Object, fields: &[&str]) -> Value {
    let meta = &object.meta;
    let mut value = serde_json::Map::new();
    value.insert("name".into(), json!(meta.name));
    for field in fields {
        match *field {
            "size" => value.insert("size".into(), json!(object.data.len())),
            "etag" => value.insert("etag".into(), json!(meta.etag)),
            "timeCreated" => value.insert("timeCreated".into(), json!(json_time(meta.time_created))),
            "md5" => value.insert("md5".into(), json!(meta.md5)),
            "timeModified" => value.insert("timeModified".into(), json!(json_time(meta.time_modified))),
            "storageTier" => value.insert("storageTier".into(), json!("Standard")),
            _ => None, // name (always there) and archivalState (only for Archive-tier objects)
        };
    }
    Value::Object(value)
}

async fn list_objects(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let path = parse_path(&uri)?;
    let bucket_name = path.bucket.clone().ok_or_else(ApiError::not_found_route)?;
    check_namespace(&state, &path.namespace, &bucket_name)?;
    let q = query(&uri);
    let prefix = q.get("prefix").map(String::as_str).unwrap_or_default();
    let start = q.get("start").map(String::as_str);
    let start_after = q.get("startAfter").map(String::as_str);
    let end = q.get("end").map(String::as_str);
    let limit = parse_limit(q.get("limit"), 1000)?;
    let delimiter = q.get("delimiter").map(String::as_str);
    if let Some(d) = delimiter
        && d != "/"
    {
        return Err(ApiError::invalid_parameter("The only supported delimiter is '/'."));
    }
    let mut fields = Vec::new();
    for raw in q.get("fields").map(String::as_str).unwrap_or_default().split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let field = LIST_FIELDS.iter().find(|f| f.eq_ignore_ascii_case(raw)).ok_or_else(|| {
            ApiError::invalid_parameter(format!(
                "Invalid field '{raw}': the valid fields are {}.",
                LIST_FIELDS.join(", ")
            ))
        })?;
        fields.push(*field);
    }

    let buckets = state.buckets();
    let bucket = buckets.get(&bucket_name).ok_or_else(|| bucket_not_found(&path.namespace, &bucket_name))?;
    let lower = start.unwrap_or(prefix).max(prefix);
    let mut objects = Vec::new();
    let mut prefixes = BTreeSet::new();
    let mut next_start_with = None;
    for (name, object) in bucket.objects.range::<str, _>((Bound::Included(lower), Bound::Unbounded)) {
        if !name.starts_with(prefix) {
            break; // sorted: past the prefix, nothing more matches
        }
        if start.is_some_and(|s| name.as_str() < s) || start_after.is_some_and(|s| name.as_str() <= s) {
            continue;
        }
        if end.is_some_and(|e| name.as_str() >= e) {
            break;
        }
        let collapsed = delimiter.and_then(|d| {
            let rest = &name[prefix.len()..];
            rest.find(d).map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        if let Some(p) = &collapsed
            && prefixes.contains(p)
        {
            continue;
        }
        if objects.len() + prefixes.len() == limit {
            next_start_with = Some(name.clone());
            break;
        }
        match collapsed {
            Some(p) => {
                prefixes.insert(p);
            }
            None => objects.push(object_summary(object, &fields)),
        }
    }
    let mut body = json!({ "objects": objects, "prefixes": prefixes });
    if let Some(next) = next_start_with {
        body["nextStartWith"] = json!(next);
    }
    Ok(json_response(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exemption_is_only_for_object_puts() {
        assert!(body_signing_exempt(&Method::PUT, "/n/ns/b/bk/o/a/b.json"));
        assert!(body_signing_exempt(&Method::PUT, "/n/ns/b/bk/o/a%2Fb.json"));
        assert!(body_signing_exempt(&Method::PUT, "/n/ns/b/bk/u/obj"));
        assert!(!body_signing_exempt(&Method::POST, "/n/ns/b/bk/o/obj"));
        assert!(!body_signing_exempt(&Method::PUT, "/n/ns/b/bk/o/"));
        assert!(!body_signing_exempt(&Method::PUT, "/n/ns/b/bk"));
        assert!(!body_signing_exempt(&Method::PUT, "/20180917/stacks/x"));
    }

    #[test]
    fn paths_are_percent_decoded() {
        let uri: Uri = "/n/ns/b/bk/o/sessions%2Fabc%20d.json?x=1".parse().unwrap();
        let p = parse_path(&uri).unwrap();
        assert_eq!((p.namespace.as_str(), p.bucket.as_deref()), ("ns", Some("bk")));
        assert_eq!(p.object.as_deref(), Some("sessions/abc d.json"));
        let uri: Uri = "/n/ns/b/bk/o/a/b/c".parse().unwrap();
        assert_eq!(parse_path(&uri).unwrap().object.as_deref(), Some("a/b/c"));
        let uri: Uri = "/n/ns/b/bk/o/%FF".parse().unwrap();
        assert_eq!(parse_path(&uri).unwrap_err().code, "InvalidParameter");
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Ok(Some((0, 3))));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(parse_range(Some("bytes=-4"), 10), Ok(Some((6, 9))));
        assert_eq!(parse_range(Some("bytes=8-100"), 10), Ok(Some((8, 9))));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=x-1"), 10), Err(()));
    }

    #[test]
    fn etag_conditions() {
        assert!(matches_etag("*", "abc"));
        assert!(matches_etag("\"abc\"", "abc"));
        assert!(matches_etag("x, abc", "abc"));
        assert!(!matches_etag("abd", "abc"));
    }
}
