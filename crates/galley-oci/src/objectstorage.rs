//! Object Storage: the operations Galley uses, and [`OciStore`], the `oci://<namespace>/<bucket>[/prefix]`
//! backend of [`galley_store::Store`].
//!
//! Object names are percent-encoded as one path segment (`sessions/abc.json` → `sessions%2Fabc.json`),
//! and the client signs the path exactly as sent. PutObject signs only `date (request-target) host`.

use std::fmt;

use bytes::Bytes;
use galley_store::{ETag, GetResult, Key, ListOptions, ListPage, ObjectMeta, PutMode, PutResult, Store};
use reqwest::Method;
use serde::Deserialize;

use crate::client::{OciClient, OciRequest, OciResponse, percent_encode};
use crate::error::{ErrorKind, OciError};

/// The service name of Object Storage (endpoint override `GALLEY_OCI_ENDPOINT_OBJECTSTORAGE`).
pub const SERVICE: &str = "objectstorage";

/// A conditional write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PutCondition {
    /// Write unconditionally.
    None,
    /// `if-match: <etag>`: only if the object's current ETag is this one (412 `IfMatchFailed` otherwise).
    IfMatch(String),
    /// `if-none-match: *`: only if no object exists (412 `IfNoneMatchFailed` otherwise).
    IfNoneMatchAny,
}

/// The answer of PutObject.
#[derive(Clone, Debug)]
pub struct PutObjectOutput {
    /// The new object's ETag.
    pub etag: String,
    /// `opc-request-id`.
    pub request_id: Option<String>,
}

/// The answer of GetObject.
#[derive(Clone, Debug)]
pub struct GetObjectOutput {
    /// The content.
    pub bytes: Bytes,
    /// The ETag.
    pub etag: String,
    /// `content-type`.
    pub content_type: Option<String>,
    /// `last-modified`.
    pub last_modified: Option<String>,
}

/// The answer of HeadObject.
#[derive(Clone, Debug)]
pub struct HeadObjectOutput {
    /// The ETag.
    pub etag: String,
    /// `content-length`.
    pub content_length: Option<u64>,
    /// `last-modified`.
    pub last_modified: Option<String>,
}

/// ListObjects parameters.
#[derive(Clone, Debug, Default)]
pub struct ListObjectsRequest {
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Names from this one on (inclusive; a previous page's `nextStartWith`).
    pub start: Option<String>,
    /// Names strictly after this one.
    pub start_after: Option<String>,
    /// Names strictly before this one.
    pub end: Option<String>,
    /// At most this many (OCI caps at 1000).
    pub limit: Option<usize>,
    /// `/` to group names into `prefixes`.
    pub delimiter: Option<String>,
    /// Fields to return; default `name,size,etag,timeModified`.
    pub fields: Option<String>,
}

/// One page of ListObjects.
#[derive(Clone, Debug, Deserialize)]
pub struct ListObjectsPage {
    /// The objects.
    #[serde(default)]
    pub objects: Vec<ObjectSummary>,
    /// The grouped prefixes (with a delimiter).
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// The first name of the next page (pass it as `start`), when there is one.
    #[serde(rename = "nextStartWith", default)]
    pub next_start_with: Option<String>,
}

/// An object in a listing.
#[derive(Clone, Debug, Deserialize)]
pub struct ObjectSummary {
    /// The name.
    pub name: String,
    /// The size in bytes (with `fields=size`).
    #[serde(default)]
    pub size: Option<u64>,
    /// The ETag (with `fields=etag`).
    #[serde(default)]
    pub etag: Option<String>,
    /// RFC 3339 (with `fields=timeModified`).
    #[serde(rename = "timeModified", default)]
    pub time_modified: Option<String>,
}

/// Object Storage operations over an [`OciClient`].
#[derive(Clone, Debug)]
pub struct ObjectStorage {
    client: OciClient,
}

fn object_path(namespace: &str, bucket: &str, name: &str) -> String {
    format!("/n/{}/b/{}/o/{}", percent_encode(namespace), percent_encode(bucket), percent_encode(name))
}

fn required_etag(response: &OciResponse, what: &str) -> Result<String, OciError> {
    response.etag().map(str::to_owned).ok_or_else(|| OciError::Decode {
        what: what.to_owned(),
        reason: "no etag header".into(),
        request_id: response.request_id().map(str::to_owned),
    })
}

impl ObjectStorage {
    /// Object Storage through `client`.
    pub fn new(client: OciClient) -> ObjectStorage {
        ObjectStorage { client }
    }

    /// The client.
    pub fn client(&self) -> &OciClient {
        &self.client
    }

    /// GetNamespace (`GET /n/`): the tenancy's Object Storage namespace.
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn get_namespace(&self) -> Result<String, OciError> {
        let response = self.client.request(OciRequest::new(SERVICE, Method::GET, "/n/")).await?;
        response.json::<String>("GetNamespace")
    }

    /// PutObject, unsigned body (`date (request-target) host`), `application/octet-stream`.
    ///
    /// # Errors
    /// [`OciError`]; a failed condition is a [`crate::error::ServiceError`] of kind
    /// [`ErrorKind::IfMatchFailed`] or [`ErrorKind::IfNoneMatchFailed`].
    pub async fn put_object(
        &self,
        namespace: &str,
        bucket: &str,
        name: &str,
        bytes: Bytes,
        condition: &PutCondition,
    ) -> Result<PutObjectOutput, OciError> {
        let mut request = OciRequest::new(SERVICE, Method::PUT, object_path(namespace, bucket, name))
            .bytes(bytes, "application/octet-stream")
            .exclude_body_from_signature();
        match condition {
            PutCondition::None => {}
            PutCondition::IfMatch(etag) => request = request.header("if-match", etag.as_str()),
            PutCondition::IfNoneMatchAny => request = request.header("if-none-match", "*"),
        }
        let response = self.client.request(request).await?;
        Ok(PutObjectOutput {
            etag: required_etag(&response, "PutObject")?,
            request_id: response.request_id().map(str::to_owned),
        })
    }

    /// GetObject.
    ///
    /// # Errors
    /// [`OciError`]; a missing object is a 404 ([`ErrorKind::NotFound`]).
    pub async fn get_object(
        &self,
        namespace: &str,
        bucket: &str,
        name: &str,
    ) -> Result<GetObjectOutput, OciError> {
        let request = OciRequest::new(SERVICE, Method::GET, object_path(namespace, bucket, name))
            .header("accept", "*/*");
        let response = self.client.request(request).await?;
        Ok(GetObjectOutput {
            etag: required_etag(&response, "GetObject")?,
            content_type: response.header("content-type").map(str::to_owned),
            last_modified: response.header("last-modified").map(str::to_owned),
            bytes: response.body,
        })
    }

    /// HeadObject.
    ///
    /// # Errors
    /// [`OciError`]; a missing object is a 404 ([`ErrorKind::NotFound`]).
    pub async fn head_object(
        &self,
        namespace: &str,
        bucket: &str,
        name: &str,
    ) -> Result<HeadObjectOutput, OciError> {
        let response = self
            .client
            .request(OciRequest::new(SERVICE, Method::HEAD, object_path(namespace, bucket, name)))
            .await?;
        Ok(HeadObjectOutput {
            etag: required_etag(&response, "HeadObject")?,
            content_length: response.header("content-length").and_then(|v| v.parse().ok()),
            last_modified: response.header("last-modified").map(str::to_owned),
        })
    }

    /// DeleteObject, optionally only if the ETag matches.
    ///
    /// # Errors
    /// [`OciError`]; a missing object is a 404 ([`ErrorKind::NotFound`]).
    pub async fn delete_object(
        &self,
        namespace: &str,
        bucket: &str,
        name: &str,
        if_match: Option<&str>,
    ) -> Result<(), OciError> {
        let mut request = OciRequest::new(SERVICE, Method::DELETE, object_path(namespace, bucket, name));
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        self.client.request(request).await?;
        Ok(())
    }

    /// ListObjects (one page).
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn list_objects(
        &self,
        namespace: &str,
        bucket: &str,
        params: &ListObjectsRequest,
    ) -> Result<ListObjectsPage, OciError> {
        let path = format!("/n/{}/b/{}/o", percent_encode(namespace), percent_encode(bucket));
        let mut request = OciRequest::new(SERVICE, Method::GET, path);
        let optional = [
            ("prefix", params.prefix.clone()),
            ("start", params.start.clone()),
            ("startAfter", params.start_after.clone()),
            ("end", params.end.clone()),
            ("limit", params.limit.map(|l| l.clamp(1, 1000).to_string())),
            ("delimiter", params.delimiter.clone()),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                request = request.query(name, value);
            }
        }
        let fields = params.fields.clone().unwrap_or_else(|| "name,size,etag,timeModified".to_owned());
        request = request.query("fields", fields);
        self.client.request(request).await?.json("ListObjects")
    }

    /// CreatePreauthenticatedRequest for reading one object (`ObjectRead`) until `expires`. The returned URL
    /// carries the secret token: hand it only to whoever may read the object, and never log it.
    ///
    /// # Errors
    /// [`OciError`]; without PAR_MANAGE on the bucket a 404 ([`ErrorKind::NotAuthorizedOrNotFound`]).
    pub async fn create_object_read_par(
        &self,
        namespace: &str,
        bucket: &str,
        object: &str,
        name: &str,
        expires: jiff::Timestamp,
    ) -> Result<ObjectPar, OciError> {
        let path = format!("/n/{}/b/{}/p/", percent_encode(namespace), percent_encode(bucket));
        let body = serde_json::json!({
            "name": name,
            "objectName": object,
            "accessType": "ObjectRead",
            "timeExpires": expires.to_string(),
        });
        let request = OciRequest::new(SERVICE, Method::POST, path).json(body);
        let response = self.client.request(request).await?;
        let created: ParResponse = response.json("CreatePreauthenticatedRequest")?;
        let url = match created.full_path {
            Some(full) if full.starts_with("https://") || full.starts_with("http://") => full,
            _ => {
                let base = self.client.endpoint(SERVICE, None)?;
                format!("{}{}", base.trim_end_matches('/'), created.access_uri)
            }
        };
        Ok(ObjectPar { id: created.id, url, time_expires: created.time_expires })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParResponse {
    id: String,
    access_uri: String,
    #[serde(default)]
    full_path: Option<String>,
    #[serde(default)]
    time_expires: Option<String>,
}

/// A pre-authenticated request for one object. `Debug` hides the URL (it carries the secret token).
#[derive(Clone)]
pub struct ObjectPar {
    /// The PAR's id (to delete it early).
    pub id: String,
    /// The full URL that reads the object without signing.
    pub url: String,
    /// When it expires (RFC 3339), as the service answered.
    pub time_expires: Option<String>,
}

impl fmt::Debug for ObjectPar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPar").field("id", &self.id).field("url", &"<redacted>").finish()
    }
}

/// Where an [`OciStore`] keeps its objects: `oci://<namespace>/<bucket>[/prefix]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciLocation {
    /// The Object Storage namespace.
    pub namespace: String,
    /// The bucket.
    pub bucket: String,
    /// The prefix, without leading or trailing `/` (empty for the whole bucket).
    pub prefix: String,
}

/// Why an `oci://` URL was refused.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("`{url}` is not an Object Storage location: {reason}; use oci://<namespace>/<bucket>[/prefix]")]
pub struct LocationError {
    /// The URL.
    pub url: String,
    /// What is wrong.
    pub reason: String,
}

impl OciLocation {
    /// Parses `oci://<namespace>/<bucket>[/prefix]` (the prefix must be a valid store key).
    ///
    /// # Errors
    /// [`LocationError`] saying what is wrong.
    pub fn parse(url: &str) -> Result<OciLocation, LocationError> {
        let bad = |reason: &str| LocationError { url: url.to_owned(), reason: reason.to_owned() };
        let rest = url.strip_prefix("oci://").ok_or_else(|| bad("it does not start with oci://"))?;
        let mut parts = rest.splitn(3, '/');
        let namespace = parts.next().unwrap_or_default();
        let bucket = parts.next().unwrap_or_default();
        let prefix = parts.next().unwrap_or_default().trim_matches('/');
        let name_ok =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !name_ok(namespace) {
            return Err(bad("the namespace is missing or invalid"));
        }
        if !name_ok(bucket) {
            return Err(bad("the bucket is missing or invalid (letters, digits, `-`, `_`, `.`)"));
        }
        if !prefix.is_empty() {
            Key::new(prefix).map_err(|err| bad(&format!("the prefix is invalid ({err})")))?;
        }
        Ok(OciLocation {
            namespace: namespace.to_owned(),
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    fn object_prefix(&self) -> String {
        if self.prefix.is_empty() { String::new() } else { format!("{}/", self.prefix) }
    }
}

impl fmt::Display for OciLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.namespace, self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

/// The Object Storage backend of [`Store`]: key `k` is object `<prefix>/k` in the bucket.
///
/// Conditional writes map onto OCI's: `PutMode::Create` → `if-none-match: *` (412 →
/// `AlreadyExists`), `PutMode::Update(etag)` → `if-match` (412 or 404 → `Precondition`). ETags are
/// Object Storage's, kept opaque.
#[derive(Clone, Debug)]
pub struct OciStore {
    os: ObjectStorage,
    location: OciLocation,
    max_object_size: u64,
}

impl OciStore {
    /// A store at `location` through `client`.
    pub fn new(client: OciClient, location: OciLocation) -> OciStore {
        OciStore {
            os: ObjectStorage::new(client),
            location,
            max_object_size: galley_store::DEFAULT_MAX_OBJECT_SIZE,
        }
    }

    /// A store at an `oci://<namespace>/<bucket>[/prefix]` URL.
    ///
    /// # Errors
    /// [`LocationError`].
    pub fn from_url(client: OciClient, url: &str) -> Result<OciStore, LocationError> {
        Ok(OciStore::new(client, OciLocation::parse(url)?))
    }

    /// Refuses objects larger than `limit` bytes (default [`galley_store::DEFAULT_MAX_OBJECT_SIZE`]).
    #[must_use]
    pub fn with_max_object_size(mut self, limit: u64) -> OciStore {
        self.max_object_size = limit;
        self
    }

    /// The location.
    pub fn location(&self) -> &OciLocation {
        &self.location
    }

    fn name(&self, key: &Key) -> String {
        format!("{}{}", self.location.object_prefix(), key.as_str())
    }

    fn unavailable(&self, err: &OciError) -> galley_store::Error {
        galley_store::Error::Unavailable { message: format!("Object Storage {}: {err}", self.location) }
    }

    /// Whether the error is "this object does not exist" (not a missing bucket or a policy problem).
    fn is_missing_object(err: &OciError) -> bool {
        err.service().is_some_and(|e| {
            e.kind == ErrorKind::NotFound && (e.code == "ObjectNotFound" || e.code == "HTTP404")
        })
    }
}

#[async_trait::async_trait]
impl Store for OciStore {
    async fn get(&self, key: &Key) -> galley_store::Result<GetResult> {
        let loc = &self.location;
        match self.os.get_object(&loc.namespace, &loc.bucket, &self.name(key)).await {
            Ok(out) => Ok(GetResult { bytes: out.bytes, etag: ETag::new(out.etag) }),
            Err(err) if OciStore::is_missing_object(&err) => {
                Err(galley_store::Error::NotFound { key: key.to_string() })
            }
            Err(err) => Err(self.unavailable(&err)),
        }
    }

    async fn put(&self, key: &Key, bytes: Bytes, mode: PutMode) -> galley_store::Result<PutResult> {
        let size = bytes.len() as u64;
        if size > self.max_object_size {
            return Err(galley_store::Error::TooLarge {
                key: key.to_string(),
                size,
                limit: self.max_object_size,
            });
        }
        let condition = match &mode {
            PutMode::Overwrite => PutCondition::None,
            PutMode::Create => PutCondition::IfNoneMatchAny,
            PutMode::Update(etag) => PutCondition::IfMatch(etag.as_str().to_owned()),
        };
        let loc = &self.location;
        match self.os.put_object(&loc.namespace, &loc.bucket, &self.name(key), bytes, &condition).await {
            Ok(out) => Ok(PutResult { etag: ETag::new(out.etag) }),
            Err(err) => {
                let precondition = err.service().is_some_and(|e| e.status == 412);
                match mode {
                    PutMode::Create if precondition => {
                        Err(galley_store::Error::AlreadyExists { key: key.to_string() })
                    }
                    PutMode::Update(_) if precondition || OciStore::is_missing_object(&err) => {
                        Err(galley_store::Error::Precondition { key: key.to_string() })
                    }
                    _ if err.service().is_some_and(|e| e.status == 413) => {
                        Err(galley_store::Error::TooLarge {
                            key: key.to_string(),
                            size,
                            limit: self.max_object_size,
                        })
                    }
                    _ => Err(self.unavailable(&err)),
                }
            }
        }
    }

    async fn delete(&self, key: &Key) -> galley_store::Result<()> {
        let loc = &self.location;
        match self.os.delete_object(&loc.namespace, &loc.bucket, &self.name(key), None).await {
            Ok(()) => Ok(()),
            Err(err) if OciStore::is_missing_object(&err) => {
                Err(galley_store::Error::NotFound { key: key.to_string() })
            }
            Err(err) => Err(self.unavailable(&err)),
        }
    }

    async fn list(&self, opts: ListOptions<'_>) -> galley_store::Result<ListPage> {
        let loc = &self.location;
        let object_prefix = loc.object_prefix();
        let limit = opts.clamped_limit();
        let mut objects: Vec<ObjectMeta> = Vec::new();
        let mut start_after = opts.start_after.map(|k| format!("{object_prefix}{}", k.as_str()));
        let mut start: Option<String> = None;
        loop {
            let params = ListObjectsRequest {
                prefix: Some(format!("{object_prefix}{}", opts.prefix)).filter(|p| !p.is_empty()),
                start: start.take(),
                start_after: start_after.clone(),
                limit: Some(limit - objects.len()),
                fields: Some("name,size,timeModified".into()),
                ..ListObjectsRequest::default()
            };
            let page = self
                .os
                .list_objects(&loc.namespace, &loc.bucket, &params)
                .await
                .map_err(|e| self.unavailable(&e))?;
            for summary in &page.objects {
                let Some(rest) = summary.name.strip_prefix(&object_prefix) else { continue };
                match Key::new(rest) {
                    Ok(key) => objects.push(ObjectMeta {
                        key,
                        size: summary.size.unwrap_or(0),
                        last_modified: summary.time_modified.as_deref().and_then(|t| t.parse().ok()),
                    }),
                    Err(_) => {
                        tracing::warn!(object = %summary.name, "skipping an object whose name is not a valid store key")
                    }
                }
            }
            let Some(next) = page.next_start_with else {
                return Ok(ListPage { objects, next_start_after: None });
            };
            if objects.len() >= limit {
                let next_start_after = objects.last().map(|meta| meta.key.clone());
                return Ok(ListPage { objects, next_start_after });
            }
            match page.objects.last() {
                Some(last) => start_after = Some(last.name.clone()),
                None => {
                    start_after = None;
                    start = Some(next);
                }
            }
        }
    }

    fn describe(&self) -> String {
        self.location.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let ok = |ns: &str, b: &str, p: &str| {
            Ok(OciLocation { namespace: ns.into(), bucket: b.into(), prefix: p.into() })
        };
        let cases: [(&str, Result<OciLocation, &str>); 8] = [
            ("oci://ns/bucket", ok("ns", "bucket", "")),
            ("oci://ns/bucket/", ok("ns", "bucket", "")),
            ("oci://ns/bucket/galley/prod/", ok("ns", "bucket", "galley/prod")),
            ("oci://ns", Err("bucket is missing")),
            ("oci:///bucket", Err("namespace is missing")),
            ("s3://ns/bucket", Err("does not start with oci://")),
            ("oci://ns/bucket/a/../b", Err("prefix is invalid")),
            ("oci://ns/bu cket", Err("bucket is missing or invalid")),
        ];
        for (input, want) in cases {
            match (OciLocation::parse(input), want) {
                (Ok(got), Ok(want)) => {
                    assert_eq!(got, want, "{input}");
                    assert_eq!(OciLocation::parse(&got.to_string()).unwrap(), got);
                }
                (Err(err), Err(fragment)) => assert!(err.to_string().contains(fragment), "{input}: {err}"),
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn object_paths_encode_names_as_one_segment() {
        assert_eq!(object_path("ns", "b", "sessions/abc.json"), "/n/ns/b/b/o/sessions%2Fabc.json");
        assert_eq!(object_path("ns", "b", "a+b=c@d,e"), "/n/ns/b/b/o/a%2Bb%3Dc%40d%2Ce");
    }
}
