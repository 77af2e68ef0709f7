//! Turning a model's parameters into an OCI request: [`build_request`] for a table operation, [`raw_request`] for
//! raw mode. Both return an [`OciRequestSpec`], which the HTTP client (`galley-oci`) signs and sends; nothing here
//! knows hosts, credentials or the network.
//!
//! Parameters are named by the SDK's kwarg (`compartment_id`) or the wire name (`compartmentId`); case, `_` and `-`
//! do not matter. Values are checked like the SDK checks them (required, enums, types) and a little more leniently
//! where the meaning is unambiguous: `"10"` for an int, `"true"` for a bool, `"running"` for the enum value
//! `RUNNING`, one string for a list. Every problem is reported at once, with the valid names.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::policy::{self, Class};
use super::table::{self, Location, OperationRef, OperationTable, Param, closest_names, norm};

/// How the body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// No body.
    None,
    /// JSON (`content-type: application/json`).
    Json,
    /// Raw bytes: the body is a JSON string sent as its UTF-8 bytes (Object Storage `put_object`).
    Stream,
}

/// A request ready to be signed and sent: everything but the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OciRequestSpec {
    /// The endpoint service (`iaas`, `objectstorage`): `GALLEY_OCI_ENDPOINT_<SERVICE>` or the template decide
    /// the host.
    pub endpoint_service: String,
    /// The SDK's endpoint template with `{region}` and `{secondLevelDomain}` to fill.
    pub endpoint_template: String,
    /// HTTP method.
    pub method: String,
    /// The path with the API version prefix, parameters substituted and percent-encoded.
    pub path: String,
    /// Query parameters in order, not yet percent-encoded (a key may repeat).
    pub query: Vec<(String, String)>,
    /// Headers in order (the SDK's constant `accept`/`content-type` first).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Value>,
    /// How to send the body.
    pub body_kind: BodyKind,
    /// `module.Client.operation`, or `raw` in raw mode.
    pub operation: String,
    /// Read, mutation or destructive (for the mutation policy).
    pub class: Class,
    /// Whether the operation pages with `page` / `opc-next-page` (see [`OciRequestSpec::with_page`]).
    pub paginated: bool,
}

impl OciRequestSpec {
    /// The same request for the next page: `page` set to the `opc-next-page` header of the previous response.
    #[must_use]
    pub fn with_page(&self, next_page: &str) -> OciRequestSpec {
        let mut next = self.clone();
        next.query.retain(|(k, _)| k != "page");
        next.query.push(("page".to_owned(), next_page.to_owned()));
        next
    }
}

/// One thing wrong with the parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamProblem {
    /// A required parameter is missing.
    Missing {
        /// Its kwarg.
        name: String,
        /// Where it goes (`path`, `query`, `header`, `body`).
        location: &'static str,
    },
    /// No parameter by that name.
    Unknown {
        /// The name given.
        name: String,
        /// The closest valid names.
        suggestions: Vec<String>,
    },
    /// Two given names mean the same parameter.
    Duplicate {
        /// The parameter's kwarg.
        name: String,
    },
    /// A value outside the allowed set.
    NotAllowed {
        /// The parameter's kwarg.
        name: String,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: Vec<String>,
    },
    /// A value of the wrong type.
    WrongType {
        /// The parameter's kwarg.
        name: String,
        /// What was expected.
        expected: String,
    },
    /// Something else (empty path parameter, bad raw path ...).
    Invalid {
        /// The parameter (or `path`, `method` in raw mode).
        name: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ParamProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamProblem::Missing { name, location } => {
                write!(f, "missing required {location} parameter {name}")
            }
            ParamProblem::Unknown { name, suggestions } if suggestions.is_empty() => {
                write!(f, "unknown parameter {name:?}")
            }
            ParamProblem::Unknown { name, suggestions } => {
                write!(f, "unknown parameter {name:?} (did you mean {}?)", suggestions.join(", "))
            }
            ParamProblem::Duplicate { name } => write!(f, "{name} is given twice (under two spellings)"),
            ParamProblem::NotAllowed { name, value, allowed } => {
                write!(f, "{name}: {value:?} is not one of {}", allowed.join(", "))
            }
            ParamProblem::WrongType { name, expected } => write!(f, "{name} must be {expected}"),
            ParamProblem::Invalid { name, reason } => write!(f, "{name}: {reason}"),
        }
    }
}

/// The parameters do not fit the operation. The message lists every problem and the valid parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParamError {
    /// `module.Client.operation` (or `raw`).
    pub operation: String,
    /// What is wrong.
    pub problems: Vec<ParamProblem>,
    /// The valid parameters, `name (required)` first.
    pub valid: Vec<String>,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid parameters for {}: ", self.operation)?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        if !self.valid.is_empty() {
            write!(f, ". Valid parameters: {}", self.valid.join(", "))?;
        }
        Ok(())
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (so `/` in an object name stays in its segment).
/// `.` and `..` are encoded too, so a value can never be a relative path segment.
pub fn encode_path_segment(value: &str) -> String {
    if value == "." || value == ".." {
        return "%2E".repeat(value.len());
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The element type of a `list[...]` type name.
fn list_item_type(type_name: Option<&str>) -> Option<&str> {
    type_name.and_then(|t| t.strip_prefix("list[")).and_then(|t| t.strip_suffix(']'))
}

/// A scalar value as the SDK would send it, for a parameter of `type_name`.
fn scalar_to_string(value: &Value, type_name: Option<&str>) -> Result<String, String> {
    match type_name.unwrap_or("str") {
        "int" => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
            Value::String(s) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().to_owned()),
            _ => Err("an integer".to_owned()),
        },
        "float" => match value {
            Value::Number(n) => Ok(n.to_string()),
            Value::String(s) if s.trim().parse::<f64>().is_ok() => Ok(s.trim().to_owned()),
            _ => Err("a number".to_owned()),
        },
        "bool" => match value {
            Value::Bool(b) => Ok(b.to_string()),
            Value::String(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                Ok(s.to_ascii_lowercase())
            }
            _ => Err("true or false".to_owned()),
        },
        "datetime" => match value {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            _ => Err("an RFC 3339 date-time string, e.g. 2026-01-31T00:00:00Z".to_owned()),
        },
        _ => match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err("a string".to_owned()),
        },
    }
}

/// Checks a value against the allowed set; a unique case-insensitive match is accepted as the canonical value.
fn check_enum(param: &Param, value: String) -> Result<String, ParamProblem> {
    let Some(allowed) = &param.allowed_values else { return Ok(value) };
    if allowed.contains(&value) {
        return Ok(value);
    }
    let folded: Vec<&String> = allowed.iter().filter(|a| a.eq_ignore_ascii_case(&value)).collect();
    if let [one] = folded.as_slice() {
        return Ok((*one).clone());
    }
    Err(ParamProblem::NotAllowed { name: param.kwarg.clone(), value, allowed: allowed.to_vec() })
}

/// The values of one parameter: one string, or several for a list.
fn param_values(param: &Param, value: &Value) -> Result<Vec<String>, ParamProblem> {
    let wrong = |expected: String| ParamProblem::WrongType { name: param.kwarg.clone(), expected };
    let items: Vec<(&Value, Option<&str>)> = match list_item_type(param.type_name.as_deref()) {
        Some(item) => match value {
            Value::Array(a) => a.iter().map(|v| (v, Some(item))).collect(),
            other => vec![(other, Some(item))],
        },
        None => vec![(value, param.type_name.as_deref())],
    };
    let mut out = Vec::with_capacity(items.len());
    for (v, t) in items {
        let s = scalar_to_string(v, t).map_err(|e| {
            if list_item_type(param.type_name.as_deref()).is_some() {
                wrong(format!("a list of {}", e.trim_start_matches("a ").trim_start_matches("an ")))
            } else {
                wrong(e)
            }
        })?;
        out.push(check_enum(param, s)?);
    }
    Ok(out)
}

enum Target<'a> {
    Param(&'a Param),
    Body,
}

/// Builds the request for `op` from the model's parameters.
pub fn build_request(
    op: &OperationRef<'_>,
    params: &Map<String, Value>,
) -> Result<OciRequestSpec, ParamError> {
    let operation = op.operation;
    let mut problems = Vec::new();
    // Resolve every given name to a parameter (exact kwarg or wire name first, then normalised).
    let mut given: Vec<(&Param, &Value)> = Vec::new();
    let mut body: Option<&Value> = None;
    for (name, value) in params {
        if value.is_null() {
            continue;
        }
        let target = resolve(operation, name);
        match target {
            Some(Target::Param(p)) => {
                if given.iter().any(|(g, _)| std::ptr::eq(*g, p)) {
                    problems.push(ParamProblem::Duplicate { name: p.kwarg.clone() });
                } else {
                    given.push((p, value));
                }
            }
            Some(Target::Body) => {
                if body.is_some() {
                    problems.push(ParamProblem::Duplicate { name: body_name(op) });
                }
                body = Some(value);
            }
            None => problems.push(ParamProblem::Unknown {
                name: name.clone(),
                suggestions: closest_names(name, valid_names(op).iter().map(String::as_str), 3),
            }),
        }
    }
    for p in operation.params() {
        if p.required && !given.iter().any(|(g, _)| std::ptr::eq(*g, p)) {
            problems
                .push(ParamProblem::Missing { name: p.kwarg.clone(), location: location_name(p.location) });
        }
    }
    if let Some(b) = &operation.body
        && b.required
        && body.is_none()
    {
        problems.push(ParamProblem::Missing { name: b.kwarg.clone(), location: "body" });
    }

    let mut path = op.path_template();
    let mut query = Vec::new();
    let mut headers = operation.const_headers();
    // Parameters in the operation's order, so the request is the same whatever order the model used.
    for p in operation.params() {
        let Some((_, value)) = given.iter().find(|(g, _)| std::ptr::eq(*g, p)) else { continue };
        if p.prefix_map {
            match value {
                Value::Object(m) => {
                    let prefix = p.wire.trim_end_matches('*');
                    for (k, v) in m {
                        match scalar_to_string(v, None) {
                            Ok(s) => headers.push((format!("{prefix}{k}"), s)),
                            Err(_) => problems.push(ParamProblem::WrongType {
                                name: p.kwarg.clone(),
                                expected: "an object of string values".to_owned(),
                            }),
                        }
                    }
                }
                _ => problems.push(ParamProblem::WrongType {
                    name: p.kwarg.clone(),
                    expected: "an object of string values".to_owned(),
                }),
            }
            continue;
        }
        if p.location == Location::Query
            && let Value::Object(m) = value
        {
            // The SDK sends a map as `key.inner=value` (defined-tag filters).
            for (k, v) in m {
                let items: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    match scalar_to_string(item, None) {
                        Ok(s) => query.push((format!("{}.{k}", p.wire), s)),
                        Err(e) => {
                            problems.push(ParamProblem::WrongType { name: p.kwarg.clone(), expected: e })
                        }
                    }
                }
            }
            continue;
        }
        let values = match param_values(p, value) {
            Ok(v) => v,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        match p.location {
            Location::Path => {
                let joined = values.join(",");
                if joined.trim().is_empty() {
                    problems.push(ParamProblem::Invalid {
                        name: p.kwarg.clone(),
                        reason: "must not be empty".into(),
                    });
                    continue;
                }
                path = path.replace(&format!("{{{}}}", p.wire), &encode_path_segment(&joined));
            }
            Location::Query => match p.collection_format.as_deref() {
                Some("multi") => query.extend(values.into_iter().map(|v| (p.wire.clone(), v))),
                Some("ssv") => query.push((p.wire.clone(), values.join(" "))),
                Some("tsv") => query.push((p.wire.clone(), values.join("\t"))),
                Some("pipes") => query.push((p.wire.clone(), values.join("|"))),
                _ => query.push((p.wire.clone(), values.join(","))),
            },
            Location::Header => headers.push((p.wire.clone(), values.join(","))),
        }
    }

    let (body, body_kind) = match (body, &operation.body) {
        (None, _) => (None, BodyKind::None),
        (Some(v), Some(b)) if b.is_stream() => match v {
            Value::String(_) => (Some(v.clone()), BodyKind::Stream),
            _ => {
                problems.push(ParamProblem::WrongType {
                    name: b.kwarg.clone(),
                    expected: "a string (the object's content)".into(),
                });
                (None, BodyKind::None)
            }
        },
        (Some(v), Some(b)) => {
            let list = b.type_name.as_deref().is_some_and(|t| t.starts_with("list["));
            let ok = if list { v.is_array() } else { v.is_object() || b.type_name.as_deref() == Some("str") };
            if !ok {
                problems.push(ParamProblem::WrongType {
                    name: b.kwarg.clone(),
                    expected: format!(
                        "{} ({})",
                        if list { "a JSON array" } else { "a JSON object" },
                        b.type_name.as_deref().unwrap_or("the request details")
                    ),
                });
            }
            (Some(v.clone()), BodyKind::Json)
        }
        (Some(_), None) => (None, BodyKind::None), // unreachable: resolve() finds no body target
    };

    if !problems.is_empty() {
        return Err(ParamError { operation: op.qualified_name(), problems, valid: valid_names(op) });
    }
    Ok(OciRequestSpec {
        endpoint_service: op.client.endpoint_service.clone(),
        endpoint_template: op.client.endpoint_template(),
        method: operation.method.clone(),
        path,
        query,
        headers,
        body,
        body_kind,
        operation: op.qualified_name(),
        class: op.class(),
        paginated: operation.paginated,
    })
}

fn body_name(op: &OperationRef<'_>) -> String {
    op.operation.body.as_ref().map_or_else(|| "body".to_owned(), |b| b.kwarg.clone())
}

fn location_name(l: Location) -> &'static str {
    match l {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
    }
}

fn resolve<'a>(op: &'a table::Operation, name: &str) -> Option<Target<'a>> {
    if let Some(p) = op.params().find(|p| p.kwarg == name || p.wire == name) {
        return Some(Target::Param(p));
    }
    if let Some(b) = &op.body
        && (b.kwarg == name || name == "body")
    {
        return Some(Target::Body);
    }
    let n = norm(name);
    if let Some(p) = op.params().find(|p| norm(&p.kwarg) == n || norm(&p.wire) == n) {
        return Some(Target::Param(p));
    }
    match &op.body {
        Some(b) if norm(&b.kwarg) == n => Some(Target::Body),
        _ => None,
    }
}

/// The parameter names of an operation, required ones first and marked.
pub fn valid_names(op: &OperationRef<'_>) -> Vec<String> {
    let operation = op.operation;
    let mut required: Vec<String> =
        operation.params().filter(|p| p.required).map(|p| format!("{} (required)", p.kwarg)).collect();
    let mut optional: Vec<String> =
        operation.params().filter(|p| !p.required).map(|p| p.kwarg.clone()).collect();
    if let Some(b) = &operation.body {
        let entry = format!(
            "{} (body{}{})",
            b.kwarg,
            b.type_name.as_deref().map(|t| format!(": {t}")).unwrap_or_default(),
            if b.required { ", required" } else { "" }
        );
        if b.required { required.push(entry) } else { optional.push(entry) }
    }
    required.append(&mut optional);
    required
}

/// A raw call: any path of a known service, for what the table lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRequest<'a> {
    /// A service name as [`OperationTable::lookup`] accepts it (its endpoint is used).
    pub service: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// The full path including the API version (`/20160918/instances`); no host, no query.
    pub path: &'a str,
    /// Query parameters (arrays repeat the key).
    pub query: Option<&'a Map<String, Value>>,
    /// JSON body (POST, PUT, PATCH only).
    pub body: Option<&'a Value>,
}

/// Builds a raw request: checks the method and path and resolves the service's endpoint.
pub fn raw_request(table: &OperationTable, raw: &RawRequest<'_>) -> Result<OciRequestSpec, RawRequestError> {
    let clients = table.clients_of(raw.service)?;
    let mut endpoints: Vec<(&str, String)> =
        clients.iter().map(|(_, c)| (c.endpoint_service.as_str(), c.endpoint_template())).collect();
    endpoints.sort();
    endpoints.dedup();
    let (endpoint_service, endpoint_template) = match endpoints.as_slice() {
        [one] => (one.0.to_owned(), one.1.clone()),
        _ => {
            return Err(RawRequestError::Params(ParamError {
                operation: "raw".into(),
                problems: vec![ParamProblem::Invalid {
                    name: "service".into(),
                    reason: format!(
                        "{:?} spans several endpoints ({}); name the endpoint service instead",
                        raw.service,
                        endpoints.iter().map(|e| e.0).collect::<Vec<_>>().join(", ")
                    ),
                }],
                valid: Vec::new(),
            }));
        }
    };
    let mut problems = Vec::new();
    let method = raw.method.trim().to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE") {
        problems.push(ParamProblem::Invalid {
            name: "method".into(),
            reason: format!("{:?} is not one of GET, HEAD, POST, PUT, PATCH, DELETE", raw.method),
        });
    }
    let path = match check_raw_path(raw.path) {
        Ok(p) => p,
        Err(reason) => {
            problems.push(ParamProblem::Invalid { name: "path".into(), reason });
            String::new()
        }
    };
    let mut query = Vec::new();
    for (k, v) in raw.query.into_iter().flatten() {
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        for item in items {
            match scalar_to_string(item, None) {
                Ok(s) => query.push((k.clone(), s)),
                Err(_) => problems.push(ParamProblem::WrongType {
                    name: format!("query.{k}"),
                    expected: "a string, number, boolean or a list of them".into(),
                }),
            }
        }
    }
    let body = raw.body.filter(|b| !b.is_null()).cloned();
    if body.is_some() && !matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
        problems
            .push(ParamProblem::Invalid { name: "body".into(), reason: format!("{method} takes no body") });
    }
    if !problems.is_empty() {
        return Err(RawRequestError::Params(ParamError {
            operation: "raw".into(),
            problems,
            valid: Vec::new(),
        }));
    }
    let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
    if body.is_some() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    Ok(OciRequestSpec {
        endpoint_service,
        endpoint_template,
        class: policy::classify_raw(&method, &path),
        method,
        path,
        query,
        headers,
        body_kind: if body.is_some() { BodyKind::Json } else { BodyKind::None },
        body,
        operation: "raw".into(),
        paginated: false,
    })
}

/// A raw path: absolute, no scheme or host, no query or fragment, no dot segments; characters outside the URL's
/// path alphabet are percent-encoded, existing `%XX` escapes are kept.
fn check_raw_path(path: &str) -> Result<String, String> {
    let path = path.trim();
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(format!("{path:?} must be an absolute path such as /20160918/instances (no host)"));
    }
    if path.contains('?') || path.contains('#') {
        return Err("put query parameters in `query`, not in the path".into());
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return Err("dot segments (. and ..) are not allowed".into());
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            if hex.is_none() {
                return Err("a % must start a %XX escape".into());
            }
            out.push('%');
        } else if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
    Ok(out)
}

/// Why a raw request cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RawRequestError {
    /// The service is unknown.
    #[error(transparent)]
    Lookup(#[from] table::LookupError),
    /// Method, path, query or body are wrong.
    #[error(transparent)]
    Params(#[from] ParamError),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn table() -> &'static OperationTable {
        OperationTable::builtin().unwrap()
    }

    fn build(service: &str, op: &str, params: Value) -> Result<OciRequestSpec, ParamError> {
        let r = table().lookup(service, op).unwrap();
        build_request(&r, params.as_object().unwrap())
    }

    #[derive(Debug)]
    struct Want<'a> {
        method: &'a str,
        path: &'a str,
        query: &'a [(&'a str, &'a str)],
        headers: &'a [(&'a str, &'a str)],
    }

    fn check(service: &str, op: &str, params: Value, expect: Result<Want<'_>, &[&str]>) {
        match (build(service, op, params.clone()), expect) {
            (Ok(spec), Ok(want)) => {
                assert_eq!(
                    (spec.method.as_str(), spec.path.as_str()),
                    (want.method, want.path),
                    "{op} {params}"
                );
                let q: Vec<(&str, &str)> = spec.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                assert_eq!(q, want.query, "{op} {params}");
                for (k, v) in want.headers {
                    assert!(
                        spec.headers.iter().any(|(hk, hv)| hk == k && hv == v),
                        "{op}: no header {k}: {v} in {:?}",
                        spec.headers
                    );
                }
            }
            (Err(e), Err(parts)) => {
                let msg = e.to_string();
                for part in parts {
                    assert!(msg.contains(part), "{op} {params}: {part:?} not in {msg}");
                }
            }
            (got, want) => panic!("{op} {params}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn builds_requests() {
        check(
            "core",
            "list_instances",
            json!({"compartment_id": "ocid1.compartment.oc1..x", "lifecycle_state": "RUNNING", "limit": 10}),
            Ok(Want {
                method: "GET",
                path: "/20160918/instances",
                query: &[
                    ("compartmentId", "ocid1.compartment.oc1..x"),
                    ("limit", "10"),
                    ("lifecycleState", "RUNNING"),
                ],
                headers: &[("accept", "application/json, application/x-json-stream")],
            }),
        );
        // Wire names, CamelCase, lenient values (string int, lower-case enum).
        check(
            "core",
            "ListInstances",
            json!({"compartmentId": "c", "LifecycleState": "running", "limit": "5", "sortOrder": "desc"}),
            Ok(Want {
                method: "GET",
                path: "/20160918/instances",
                query: &[
                    ("compartmentId", "c"),
                    ("limit", "5"),
                    ("sortOrder", "DESC"),
                    ("lifecycleState", "RUNNING"),
                ],
                headers: &[],
            }),
        );
        check(
            "core",
            "get_instance",
            json!({"instance_id": "ocid1.instance.oc1.ap-tokyo-1.abc"}),
            Ok(Want {
                method: "GET",
                path: "/20160918/instances/ocid1.instance.oc1.ap-tokyo-1.abc",
                query: &[],
                headers: &[("accept", "application/json")],
            }),
        );
        // Path values are percent-encoded, slashes included; dot segments cannot escape.
        check(
            "object_storage",
            "get_object",
            json!({"namespace_name": "ns", "bucket_name": "b", "object_name": "dir/a b+c?.txt"}),
            Ok(Want { method: "GET", path: "/n/ns/b/b/o/dir%2Fa%20b%2Bc%3F.txt", query: &[], headers: &[] }),
        );
        check(
            "object_storage",
            "get_object",
            json!({"namespace_name": "ns", "bucket_name": "b", "object_name": ".."}),
            Ok(Want { method: "GET", path: "/n/ns/b/b/o/%2E%2E", query: &[], headers: &[] }),
        );
        // Headers, a header map, a stream body.
        check(
            "object_storage",
            "put_object",
            json!({"namespace_name": "ns", "bucket_name": "b", "object_name": "x", "put_object_body": "hello", "if_none_match": "*", "opc_meta": {"owner": "galley"}}),
            Ok(Want {
                method: "PUT",
                path: "/n/ns/b/b/o/x",
                query: &[],
                headers: &[("if-none-match", "*"), ("opc-meta-owner", "galley")],
            }),
        );
        // Lists: multi repeats the key.
        check(
            "identity",
            "list_compartments",
            json!({"compartment_id": "t", "compartment_id_in_subtree": true, "access_level": "accessible"}),
            Ok(Want {
                method: "GET",
                path: "/20160918/compartments",
                query: &[
                    ("compartmentId", "t"),
                    ("accessLevel", "ACCESSIBLE"),
                    ("compartmentIdInSubtree", "true"),
                ],
                headers: &[],
            }),
        );
    }

    #[test]
    fn reports_every_problem_with_valid_names() {
        check(
            "core",
            "list_instances",
            json!({}),
            Err(&[
                "missing required query parameter compartment_id",
                "Valid parameters: compartment_id (required)",
            ]),
        );
        check(
            "core",
            "list_instances",
            json!({"compartment_id": "c", "lifecycle_state": "RUNING", "limt": 5, "displayname": "x"}),
            Err(&[
                "RUNING\" is not one of MOVING, PROVISIONING, RUNNING",
                "unknown parameter \"limt\" (did you mean limit",
                "invalid parameters for core.ComputeClient.list_instances",
            ]),
        );
        check(
            "core",
            "list_instances",
            json!({"compartment_id": "c", "limit": "ten"}),
            Err(&["limit must be an integer"]),
        );
        check(
            "core",
            "list_instances",
            json!({"compartment_id": "c", "compartmentId": "d"}),
            Err(&["compartment_id is given twice"]),
        );
        check("core", "get_instance", json!({"instance_id": " "}), Err(&["instance_id: must not be empty"]));
        check(
            "core",
            "launch_instance",
            json!({}),
            Err(&["missing required body parameter launch_instance_details"]),
        );
        check(
            "core",
            "launch_instance",
            json!({"body": "x"}),
            Err(&["a JSON object (LaunchInstanceDetails)"]),
        );
        check(
            "object_storage",
            "put_object",
            json!({"namespace_name": "n", "bucket_name": "b", "object_name": "o", "body": {"a": 1}}),
            Err(&["a string (the object's content)"]),
        );
        check(
            "core",
            "list_instances",
            json!({"compartment_id": "c", "retry_strategy": "x"}),
            Err(&["unknown parameter \"retry_strategy\""]),
        );
    }

    #[test]
    fn body_under_its_name_or_body_and_nulls_are_absent() {
        let details =
            json!({"compartmentId": "c", "availabilityDomain": "AD-1", "shape": "VM.Standard.E4.Flex"});
        for key in ["launch_instance_details", "body", "LaunchInstanceDetails"] {
            let spec =
                build("core", "launch_instance", json!({key: details, "opc_retry_token": null})).unwrap();
            assert_eq!(spec.body.as_ref(), Some(&details), "{key}");
            assert_eq!(
                (spec.body_kind, spec.class, spec.method.as_str()),
                (BodyKind::Json, Class::Mutation, "POST")
            );
            assert!(!spec.headers.iter().any(|(k, _)| k == "opc-retry-token"));
        }
    }

    #[test]
    fn specs_carry_endpoint_class_and_paging() {
        let spec = build("core", "list_instances", json!({"compartment_id": "c"})).unwrap();
        assert_eq!(spec.endpoint_service, "iaas");
        assert_eq!(spec.endpoint_template, "https://iaas.{region}.{secondLevelDomain}");
        assert_eq!(spec.class, Class::Read);
        assert!(spec.paginated);
        let next = spec.with_page("token-2").with_page("token-3");
        assert_eq!(
            next.query.iter().filter(|(k, _)| k == "page").collect::<Vec<_>>(),
            [&("page".to_owned(), "token-3".to_owned())]
        );
        let del = build(
            "object_storage",
            "delete_object",
            json!({"namespace_name": "n", "bucket_name": "b", "object_name": "o"}),
        )
        .unwrap();
        assert_eq!((del.class, del.endpoint_service.as_str()), (Class::Destructive, "objectstorage"));
    }

    #[test]
    fn raw_requests() {
        let q = json!({"compartmentId": "c", "tag": ["a", "b"], "limit": 5});
        let spec = raw_request(
            table(),
            &RawRequest {
                service: "core",
                method: "get",
                path: "/20160918/instances",
                query: q.as_object(),
                body: None,
            },
        )
        .unwrap();
        assert_eq!(
            (spec.method.as_str(), spec.path.as_str(), spec.endpoint_service.as_str(), spec.class),
            ("GET", "/20160918/instances", "iaas", Class::Read)
        );
        assert_eq!(spec.query.len(), 4);
        let body = json!({"name": "b"});
        let spec = raw_request(
            table(),
            &RawRequest {
                service: "objectstorage",
                method: "POST",
                path: "/n/my ns/b",
                query: None,
                body: Some(&body),
            },
        )
        .unwrap();
        assert_eq!(
            (spec.path.as_str(), spec.class, spec.body_kind),
            ("/n/my%20ns/b", Class::Mutation, BodyKind::Json)
        );
        let spec = raw_request(
            table(),
            &RawRequest {
                service: "object_storage",
                method: "DELETE",
                path: "/n/ns/b/x",
                query: None,
                body: None,
            },
        )
        .unwrap();
        assert_eq!(spec.class, Class::Destructive);
        for (service, method, path, body, want) in [
            ("core", "GET", "https://evil.example/x", None, "must be an absolute path"),
            ("core", "GET", "//evil.example/x", None, "must be an absolute path"),
            ("core", "GET", "/20160918/../x", None, "dot segments"),
            ("core", "GET", "/x?y=1", None, "put query parameters in `query`"),
            ("core", "GET", "/x%zz", None, "%XX"),
            ("core", "BREW", "/x", None, "is not one of GET"),
            ("core", "GET", "/x", Some(json!({"a": 1})), "GET takes no body"),
            ("computer", "GET", "/x", None, "unknown OCI service"),
        ] {
            let err =
                raw_request(table(), &RawRequest { service, method, path, query: None, body: body.as_ref() })
                    .unwrap_err();
            assert!(err.to_string().contains(want), "{method} {path}: {err}");
        }
    }

    #[test]
    fn path_encoding() {
        for (raw, want) in [
            ("abc", "abc"),
            ("a/b", "a%2Fb"),
            ("ä", "%C3%A4"),
            (".", "%2E"),
            ("..", "%2E%2E"),
            ("...", "..."),
            ("a.b-c_d~e", "a.b-c_d~e"),
        ] {
            assert_eq!(encode_path_segment(raw), want, "{raw}");
        }
    }
}
