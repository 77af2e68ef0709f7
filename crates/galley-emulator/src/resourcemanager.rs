//! Resource Manager (ORM): the subset of the `/20180917` API (oci-facts §7) Galley and Oracle's CLI/SDK use, with
//! jobs that really run Terraform on the stack's configuration ([`runner`]).
//!
//! | Operation | Route |
//! |---|---|
//! | CreateStack / ListStacks | `POST` / `GET /20180917/stacks` |
//! | GetStack / UpdateStack / DeleteStack | `GET` / `PUT` / `DELETE /20180917/stacks/{stackId}` |
//! | GetStackTfState | `GET /20180917/stacks/{stackId}/tfState` |
//! | CreateJob / ListJobs | `POST` / `GET /20180917/jobs` |
//! | GetJob / UpdateJob / CancelJob | `GET` / `PUT` / `DELETE /20180917/jobs/{jobId}` |
//! | GetJobLogs / GetJobLogsContent | `GET /20180917/jobs/{jobId}/logs` / `.../logs/content` |
//! | GetJobTfState / GetJobTfPlan | `GET /20180917/jobs/{jobId}/tfState` / `.../tfPlan` |
//! | ListTerraformVersions | `GET /20180917/terraformVersions` |
//!
//! Stacks take `configSource` `ZIP_UPLOAD` only (`zipFileBase64Encoded`, optional `workingDirectory`), checked at
//! once ([`archive`]). Jobs are PLAN, APPLY (`executionPlanStrategy` AUTO_APPROVED, FROM_PLAN_JOB_ID with
//! `executionPlanJobId`, FROM_LATEST_PLAN_JOB; or the legacy `applyJobPlanResolution`) and DESTROY
//! (AUTO_APPROVED). A job locks its stack until it ends: another job, an update or a delete meanwhile is a 409
//! `Conflict`. The data is kept in memory only (not in `--data-dir`).

pub mod archive;
pub mod model;
pub mod runner;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::state::{AppState, new_etag};
use model::{Job, JobState, Level, Operation, PlanStrategy, Stack, StackState, json_time, new_ocid};

pub use runner::Settings;

/// The API version prefix.
pub const PREFIX: &str = "/20180917";

/// The Terraform versions stacks may ask for (the emulator runs its own terraform whatever the stack says).
pub const TERRAFORM_VERSIONS: [&str; 4] = ["1.0.x", "1.1.x", "1.2.x", "1.5.x"];
/// The version a stack gets when it names none.
pub const DEFAULT_TERRAFORM_VERSION: &str = "1.5.x";

/// At most this many variables per stack, each name + value at most this many bytes (OCI's limits).
const MAX_VARIABLES: usize = 250;
const MAX_VARIABLE_BYTES: usize = 4096;

/// The Resource Manager routes (without state; [`crate::app`] adds it, the signature check and the fallbacks).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/20180917/stacks", get(list_stacks).post(create_stack))
        .route("/20180917/stacks/{id}", get(get_stack).put(update_stack).delete(delete_stack))
        .route("/20180917/stacks/{id}/tfState", get(get_stack_tf_state))
        .route("/20180917/jobs", get(list_jobs).post(create_job))
        .route("/20180917/jobs/{id}", get(get_job).put(update_job).delete(cancel_job))
        .route("/20180917/jobs/{id}/logs", get(get_job_logs))
        .route("/20180917/jobs/{id}/logs/content", get(get_job_logs_content))
        .route("/20180917/jobs/{id}/tfState", get(get_job_tf_state))
        .route("/20180917/jobs/{id}/tfPlan", get(get_job_tf_plan))
        .route("/20180917/terraformVersions", get(list_terraform_versions))
}

// ---- helpers ------------------------------------------------------------------------------------------------

fn not_found() -> ApiError {
    ApiError::not_found_route()
}

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "Conflict", message)
}

fn no_etag_match(etag: &str) -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "NoEtagMatch",
        format!("The if-match value '{etag}' does not match the resource's current etag."),
    )
}

fn cannot_parse(e: &serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "CannotParseRequest",
        format!("The request body is not valid JSON: {e}"),
    )
}

fn json_response(status: StatusCode, value: &Value, etag: Option<&str>) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn bytes_response(bytes: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn with_next_page(mut response: Response, next: Option<usize>) -> Response {
    if let Some(next) = next
        && let Ok(value) = HeaderValue::from_str(&next.to_string())
    {
        response.headers_mut().insert(HeaderName::from_static("opc-next-page"), value);
    }
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn check_if_match(headers: &HeaderMap, etag: &str) -> Result<(), ApiError> {
    match header_str(headers, "if-match") {
        Some(cond) if cond != "*" && cond.trim_matches('"') != etag => Err(no_etag_match(cond)),
        _ => Ok(()),
    }
}

/// The query string as a map of lists (`type` may repeat).
fn query(uri: &Uri) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        map.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    map
}

fn first<'a>(q: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    q.get(name).and_then(|v| v.first()).map(String::as_str)
}

/// `limit` (1..=1000, default `default`) and `page` (an offset this emulator issued).
fn paging(q: &HashMap<String, Vec<String>>, default: usize) -> Result<(usize, usize), ApiError> {
    let limit = match first(q, "limit") {
        None => default,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid_parameter(format!(
                    "The limit '{raw}' must be an integer from 1 to 1000."
                )));
            }
        },
    };
    let offset = match first(q, "page") {
        None => 0,
        Some(raw) => raw
            .parse::<usize>()
            .map_err(|_| ApiError::invalid_parameter(format!("The page token '{raw}' is not valid.")))?,
    };
    Ok((limit, offset))
}

/// One page of `items` and the next page's token.
fn page<T>(items: Vec<T>, limit: usize, offset: usize) -> (Vec<T>, Option<usize>) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let next = (offset + page.len() < total).then_some(offset + page.len());
    (page, next)
}

fn sort_order(q: &HashMap<String, Vec<String>>, default_desc: bool) -> Result<bool, ApiError> {
    match first(q, "sortOrder") {
        None => Ok(default_desc),
        Some(v) if v.eq_ignore_ascii_case("ASC") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("DESC") => Ok(true),
        Some(v) => Err(ApiError::invalid_parameter(format!("Invalid sortOrder '{v}': use ASC or DESC."))),
    }
}

/// `sortBy`: true for DISPLAYNAME, false for TIMECREATED (the default).
fn sort_by_name(q: &HashMap<String, Vec<String>>) -> Result<bool, ApiError> {
    match first(q, "sortBy") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("TIMECREATED") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("DISPLAYNAME") => Ok(true),
        Some(v) => {
            Err(ApiError::invalid_parameter(format!("Invalid sortBy '{v}': use TIMECREATED or DISPLAYNAME.")))
        }
    }
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| cannot_parse(&e))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "CannotParseRequest",
            "The request body must be a JSON object.",
        )),
    }
}

fn opt_str<'a>(map: &'a Map<String, Value>, field: &str, what: &str) -> Result<Option<&'a str>, ApiError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid_parameter(format!("{what}.{field} must be a string."))),
    }
}

fn req_str<'a>(map: &'a Map<String, Value>, field: &str, what: &str) -> Result<&'a str, ApiError> {
    opt_str(map, field, what)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_parameter(format!("{what}.{field} is required.")))
}

fn tags(map: &Map<String, Value>, field: &str, what: &str) -> Result<Option<Value>, ApiError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(ApiError::invalid_parameter(format!("{what}.{field} must be an object."))),
    }
}

fn variables(map: &Map<String, Value>, what: &str) -> Result<Option<BTreeMap<String, String>>, ApiError> {
    let vars = match map.get("variables") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(vars)) => vars,
        Some(_) => {
            return Err(ApiError::invalid_parameter(format!(
                "{what}.variables must be an object of strings."
            )));
        }
    };
    if vars.len() > MAX_VARIABLES {
        return Err(ApiError::invalid_parameter(format!(
            "{what}.variables has {} variables; at most {MAX_VARIABLES} are allowed.",
            vars.len()
        )));
    }
    let mut out = BTreeMap::new();
    for (name, value) in vars {
        let Value::String(value) = value else {
            return Err(ApiError::invalid_parameter(format!(
                "{what}.variables.{name} must be a string (Resource Manager variables are strings)."
            )));
        };
        if name.len() + value.len() > MAX_VARIABLE_BYTES {
            return Err(ApiError::invalid_parameter(format!(
                "{what}.variables.{name}: a variable's name and value may have at most {MAX_VARIABLE_BYTES} bytes."
            )));
        }
        out.insert(name.clone(), value.clone());
    }
    Ok(Some(out))
}

fn terraform_version(map: &Map<String, Value>, what: &str) -> Result<Option<String>, ApiError> {
    match opt_str(map, "terraformVersion", what)? {
        None => Ok(None),
        Some(v) if TERRAFORM_VERSIONS.contains(&v) => Ok(Some(v.to_string())),
        Some(v) => Err(ApiError::invalid_parameter(format!(
            "{what}.terraformVersion '{v}' is not supported; the supported versions are {}.",
            TERRAFORM_VERSIONS.join(", ")
        ))),
    }
}

/// A ZIP_UPLOAD config source as sent.
#[derive(Default)]
struct ConfigSource {
    /// The decoded, checked zip (`None` when not `required` and none was sent).
    zip: Option<Arc<Vec<u8>>>,
    working_directory: Option<String>,
}

/// The `configSource` of a create (`required`) or update body.
fn config_source(
    map: &Map<String, Value>,
    what: &str,
    required: bool,
) -> Result<Option<ConfigSource>, ApiError> {
    let source = match map.get("configSource") {
        None | Some(Value::Null) if required => {
            return Err(ApiError::missing_parameter(format!("{what}.configSource is required.")));
        }
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(source)) => source,
        Some(_) => {
            return Err(ApiError::invalid_parameter(format!("{what}.configSource must be an object.")));
        }
    };
    let kind = req_str(source, "configSourceType", &format!("{what}.configSource"))?;
    if kind != "ZIP_UPLOAD" {
        return Err(ApiError::invalid_parameter(format!(
            "configSourceType '{kind}' is not supported by the emulator; use ZIP_UPLOAD with zipFileBase64Encoded."
        )));
    }
    let dir_raw = opt_str(source, "workingDirectory", "configSource")?;
    let dir = archive::working_directory(dir_raw).map_err(|e| ApiError::invalid_parameter(e.to_string()))?;
    let dir_string = dir.as_ref().map(|d| d.display().to_string());
    let zip = match opt_str(source, "zipFileBase64Encoded", "configSource")? {
        None if required => {
            return Err(ApiError::missing_parameter("configSource.zipFileBase64Encoded is required."));
        }
        None => None,
        Some(b64) => {
            let zip = STANDARD.decode(b64.trim()).map_err(|e| {
                ApiError::invalid_parameter(format!(
                    "configSource.zipFileBase64Encoded is not valid base64: {e}"
                ))
            })?;
            archive::check(&zip, dir.as_deref()).map_err(|e| ApiError::invalid_parameter(e.to_string()))?;
            Some(Arc::new(zip))
        }
    };
    Ok(Some(ConfigSource { zip, working_directory: dir_string }))
}

fn default_name(prefix: &str, now: Timestamp) -> String {
    format!("{prefix}{}", now.strftime("%Y%m%d%H%M%S"))
}

fn locked(job: &Job) -> ApiError {
    conflict(format!(
        "The stack {} is locked by job {} ({} {}); wait for it to finish or cancel it.",
        job.stack_id,
        job.id,
        job.operation.as_str(),
        job.lifecycle_state.as_str()
    ))
}

// ---- stacks -------------------------------------------------------------------------------------------------

async fn create_stack(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    const WHAT: &str = "CreateStackDetails";
    let details = parse_body(&body)?;
    let compartment_id = req_str(&details, "compartmentId", WHAT)?.to_string();
    let ConfigSource { zip, working_directory } = config_source(&details, WHAT, true)?.unwrap_or_default();
    let zip =
        zip.ok_or_else(|| ApiError::missing_parameter("configSource.zipFileBase64Encoded is required."))?;
    let variables = variables(&details, WHAT)?.unwrap_or_default();
    let terraform_version =
        terraform_version(&details, WHAT)?.unwrap_or_else(|| DEFAULT_TERRAFORM_VERSION.into());
    let now = state.now();
    let mut rm = state.rm();
    let retry_token = header_str(&headers, "opc-retry-token").map(|t| format!("stack:{t}"));
    if let Some(stack) =
        retry_token.as_ref().and_then(|t| rm.retry_tokens.get(t)).and_then(|id| rm.stacks.get(id))
    {
        return Ok(json_response(StatusCode::OK, &stack.to_json(), Some(&stack.etag)));
    }
    let seq = rm.next_seq();
    let stack = Stack {
        id: new_ocid("ormstack"),
        compartment_id,
        display_name: opt_str(&details, "displayName", WHAT)?
            .map_or_else(|| default_name("ormstack", now), str::to_string),
        description: opt_str(&details, "description", WHAT)?.map(str::to_string),
        time_created: now,
        lifecycle_state: StackState::Active,
        working_directory,
        zip,
        variables,
        terraform_version,
        freeform_tags: tags(&details, "freeformTags", WHAT)?.unwrap_or_else(|| json!({})),
        defined_tags: tags(&details, "definedTags", WHAT)?.unwrap_or_else(|| json!({})),
        etag: new_etag(),
        seq,
        tf_state: None,
    };
    tracing::info!(stack_id = stack.id, "stack created");
    let response = json_response(StatusCode::OK, &stack.to_json(), Some(&stack.etag));
    if let Some(token) = retry_token {
        rm.retry_tokens.insert(token, stack.id.clone());
    }
    rm.stacks.insert(stack.id.clone(), stack);
    Ok(response)
}

async fn get_stack(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let rm = state.rm();
    let stack = rm.stacks.get(&id).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &stack.to_json(), Some(&stack.etag)))
}

async fn update_stack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    const WHAT: &str = "UpdateStackDetails";
    let details = parse_body(&body)?;
    let source = config_source(&details, WHAT, false)?;
    let variables = variables(&details, WHAT)?;
    let terraform_version = terraform_version(&details, WHAT)?;
    let display_name = opt_str(&details, "displayName", WHAT)?.map(str::to_string);
    let description = opt_str(&details, "description", WHAT)?.map(str::to_string);
    let freeform_tags = tags(&details, "freeformTags", WHAT)?;
    let defined_tags = tags(&details, "definedTags", WHAT)?;
    let mut rm = state.rm();
    let stack = rm.stacks.get(&id).ok_or_else(not_found)?;
    check_if_match(&headers, &stack.etag)?;
    if let Some(job) = rm.lock_holder(&id) {
        return Err(locked(job));
    }
    let stack = rm.stacks.get_mut(&id).ok_or_else(not_found)?;
    if let Some(ConfigSource { zip, working_directory }) = source {
        match zip {
            Some(zip) => stack.zip = zip,
            // A new working directory must still hold Terraform files of the current zip.
            None => archive::check(&stack.zip, working_directory.as_deref().map(std::path::Path::new))
                .map_err(|e| ApiError::invalid_parameter(e.to_string()))?,
        }
        stack.working_directory = working_directory;
    }
    if let Some(v) = variables {
        stack.variables = v;
    }
    if let Some(v) = terraform_version {
        stack.terraform_version = v;
    }
    if let Some(v) = display_name {
        stack.display_name = v;
    }
    if let Some(v) = description {
        stack.description = Some(v);
    }
    if let Some(v) = freeform_tags {
        stack.freeform_tags = v;
    }
    if let Some(v) = defined_tags {
        stack.defined_tags = v;
    }
    stack.etag = new_etag();
    Ok(json_response(StatusCode::OK, &stack.to_json(), Some(&stack.etag)))
}

async fn delete_stack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut rm = state.rm();
    let stack = rm.stacks.get(&id).ok_or_else(not_found)?;
    check_if_match(&headers, &stack.etag)?;
    if let Some(job) = rm.lock_holder(&id) {
        return Err(locked(job));
    }
    rm.stacks.remove(&id);
    tracing::info!(stack_id = id, "stack deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_stacks(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let q = query(&uri);
    let (limit, offset) = paging(&q, 100)?;
    let desc = sort_order(&q, !sort_by_name(&q)?)?;
    let by_name = sort_by_name(&q)?;
    if let Some(state_filter) = first(&q, "lifecycleState")
        && !["CREATING", "ACTIVE", "DELETING", "DELETED", "FAILED"].contains(&state_filter)
    {
        return Err(ApiError::invalid_parameter(format!("Invalid lifecycleState '{state_filter}'.")));
    }
    let rm = state.rm();
    let mut stacks: Vec<&Stack> = rm
        .stacks
        .values()
        .filter(|s| first(&q, "compartmentId").is_none_or(|c| s.compartment_id == c))
        .filter(|s| first(&q, "id").is_none_or(|id| s.id == id))
        .filter(|s| first(&q, "displayName").is_none_or(|n| s.display_name == n))
        .filter(|s| first(&q, "lifecycleState").is_none_or(|l| s.lifecycle_state.as_str() == l))
        .collect();
    if by_name {
        stacks.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.seq.cmp(&b.seq)));
    } else {
        stacks.sort_by_key(|s| s.seq);
    }
    if desc {
        stacks.reverse();
    }
    let (items, next) = page(stacks, limit, offset);
    let items: Vec<Value> = items.into_iter().map(Stack::summary_json).collect();
    Ok(with_next_page(json_response(StatusCode::OK, &Value::Array(items), None), next))
}

async fn get_stack_tf_state(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rm = state.rm();
    let stack = rm.stacks.get(&id).ok_or_else(not_found)?;
    let tf_state = stack.tf_state.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            "The stack has no state yet: run an apply job first.",
        )
    })?;
    Ok(bytes_response(tf_state.as_ref().clone(), "application/octet-stream"))
}

async fn list_terraform_versions() -> Response {
    let items: Vec<Value> = TERRAFORM_VERSIONS.iter().map(|v| json!({ "name": v })).collect();
    json_response(StatusCode::OK, &json!({ "items": items }), None)
}

// ---- jobs ---------------------------------------------------------------------------------------------------

fn parse_operation(value: &str) -> Result<Operation, ApiError> {
    match value {
        "PLAN" => Ok(Operation::Plan),
        "APPLY" => Ok(Operation::Apply),
        "DESTROY" => Ok(Operation::Destroy),
        "IMPORT_TF_STATE" | "PLAN_ROLLBACK" | "APPLY_ROLLBACK" => Err(ApiError::invalid_parameter(format!(
            "The operation {value} is not supported by the emulator (PLAN, APPLY and DESTROY are)."
        ))),
        other => Err(ApiError::invalid_parameter(format!(
            "Invalid operation '{other}': use PLAN, APPLY, DESTROY, IMPORT_TF_STATE, PLAN_ROLLBACK or APPLY_ROLLBACK."
        ))),
    }
}

/// The plan job an APPLY uses: `id`, or the stack's latest PLAN job; it must be a succeeded plan of the stack.
fn resolve_plan_job(rm: &model::RmData, stack_id: &str, id: Option<&str>) -> Result<String, ApiError> {
    let job = match id {
        Some(id) => rm.jobs.get(id).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NotAuthorizedOrNotFound",
                format!("The plan job {id} does not exist or is not authorized."),
            )
        })?,
        None => rm
            .jobs
            .values()
            .filter(|j| j.stack_id == stack_id && j.operation == Operation::Plan)
            .max_by_key(|j| j.seq)
            .ok_or_else(|| {
                ApiError::invalid_parameter(format!("The stack {stack_id} has no plan job to apply."))
            })?,
    };
    if job.stack_id != stack_id || job.operation != Operation::Plan {
        return Err(ApiError::invalid_parameter(format!(
            "The job {} is not a plan job of the stack {stack_id}.",
            job.id
        )));
    }
    if job.lifecycle_state != JobState::Succeeded {
        return Err(ApiError::invalid_parameter(format!(
            "The plan job {} is {}; only a SUCCEEDED plan job can be applied.",
            job.id,
            job.lifecycle_state.as_str()
        )));
    }
    Ok(job.id.clone())
}

/// The operation and plan strategy of CreateJobDetails (`jobOperationDetails`, else the legacy `operation` +
/// `applyJobPlanResolution`).
fn job_operation(
    details: &Map<String, Value>,
    rm: &model::RmData,
    stack_id: &str,
) -> Result<(Operation, PlanStrategy), ApiError> {
    const WHAT: &str = "CreateJobDetails";
    let top = opt_str(details, "operation", WHAT)?;
    let op_details = match details.get("jobOperationDetails") {
        None | Some(Value::Null) => None,
        Some(Value::Object(d)) => Some(d),
        Some(_) => {
            return Err(ApiError::invalid_parameter(
                "CreateJobDetails.jobOperationDetails must be an object.",
            ));
        }
    };
    let inner = op_details.map(|d| req_str(d, "operation", "jobOperationDetails")).transpose()?;
    let operation = match (top, inner) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::invalid_parameter(format!(
                "CreateJobDetails.operation '{a}' differs from jobOperationDetails.operation '{b}'."
            )));
        }
        (_, Some(op)) | (Some(op), None) => parse_operation(op)?,
        (None, None) => {
            return Err(ApiError::missing_parameter("CreateJobDetails.jobOperationDetails is required."));
        }
    };
    if operation == Operation::Plan {
        return Ok((operation, PlanStrategy::AutoApproved));
    }
    let strategy = match op_details {
        Some(d) => {
            let what = "jobOperationDetails";
            let strategy = req_str(d, "executionPlanStrategy", what)?;
            match (operation, strategy) {
                (_, "AUTO_APPROVED") => PlanStrategy::AutoApproved,
                (Operation::Apply, "FROM_PLAN_JOB_ID") => {
                    let id = req_str(d, "executionPlanJobId", what)?;
                    PlanStrategy::FromPlanJob {
                        job_id: resolve_plan_job(rm, stack_id, Some(id))?,
                        latest: false,
                    }
                }
                (Operation::Apply, "FROM_LATEST_PLAN_JOB") => {
                    PlanStrategy::FromPlanJob { job_id: resolve_plan_job(rm, stack_id, None)?, latest: true }
                }
                (Operation::Destroy, other) => {
                    return Err(ApiError::invalid_parameter(format!(
                        "Invalid executionPlanStrategy '{other}' for DESTROY: only AUTO_APPROVED is allowed."
                    )));
                }
                (_, other) => {
                    return Err(ApiError::invalid_parameter(format!(
                        "Invalid executionPlanStrategy '{other}': use AUTO_APPROVED, FROM_PLAN_JOB_ID or FROM_LATEST_PLAN_JOB."
                    )));
                }
            }
        }
        None => {
            let resolution = match details.get("applyJobPlanResolution") {
                Some(Value::Object(r)) => r,
                _ => {
                    return Err(ApiError::missing_parameter(
                        "CreateJobDetails.jobOperationDetails (with executionPlanStrategy) is required for APPLY and DESTROY.",
                    ));
                }
            };
            let flag = |name: &str| resolution.get(name).and_then(Value::as_bool).unwrap_or(false);
            if let Some(id) = opt_str(resolution, "planJobId", "applyJobPlanResolution")? {
                PlanStrategy::FromPlanJob { job_id: resolve_plan_job(rm, stack_id, Some(id))?, latest: false }
            } else if flag("isUseLatestJobId") {
                PlanStrategy::FromPlanJob { job_id: resolve_plan_job(rm, stack_id, None)?, latest: true }
            } else if flag("isAutoApproved") {
                PlanStrategy::AutoApproved
            } else {
                return Err(ApiError::invalid_parameter(
                    "applyJobPlanResolution must set planJobId, isUseLatestJobId or isAutoApproved.",
                ));
            }
        }
    };
    if operation == Operation::Destroy && strategy != PlanStrategy::AutoApproved {
        return Err(ApiError::invalid_parameter("A DESTROY job must be AUTO_APPROVED."));
    }
    Ok((operation, strategy))
}

async fn create_job(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    const WHAT: &str = "CreateJobDetails";
    let details = parse_body(&body)?;
    let stack_id = req_str(&details, "stackId", WHAT)?.to_string();
    let display_name = opt_str(&details, "displayName", WHAT)?.map(str::to_string);
    let freeform_tags = tags(&details, "freeformTags", WHAT)?.unwrap_or_else(|| json!({}));
    let defined_tags = tags(&details, "definedTags", WHAT)?.unwrap_or_else(|| json!({}));
    let now = state.now();
    let mut rm = state.rm();
    let retry_token = header_str(&headers, "opc-retry-token").map(|t| format!("job:{t}"));
    if let Some(job) =
        retry_token.as_ref().and_then(|t| rm.retry_tokens.get(t)).and_then(|id| rm.jobs.get(id))
    {
        return Ok(json_response(StatusCode::OK, &job.to_json(), Some(&job.etag)));
    }
    let stack = rm.stacks.get(&stack_id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            format!("The stack {stack_id} does not exist or is not authorized."),
        )
    })?;
    let (operation, strategy) = job_operation(&details, &rm, &stack_id)?;
    if let Some(job) = rm.lock_holder(&stack_id) {
        return Err(locked(job));
    }
    // An apply of a saved plan runs the configuration and variables that plan was made from.
    let (zip, working_directory, variables) = match &strategy {
        PlanStrategy::FromPlanJob { job_id, .. } => {
            let plan_job = rm.jobs.get(job_id).ok_or_else(not_found)?;
            (plan_job.zip.clone(), plan_job.working_directory.clone(), plan_job.variables.clone())
        }
        PlanStrategy::AutoApproved => {
            (stack.zip.clone(), stack.working_directory.clone(), stack.variables.clone())
        }
    };
    let (compartment_id, terraform_version) = (stack.compartment_id.clone(), stack.terraform_version.clone());
    let seq = rm.next_seq();
    let job = Job {
        id: new_ocid("ormjob"),
        stack_id,
        compartment_id,
        display_name: display_name.unwrap_or_else(|| default_name("ormjob", now)),
        operation,
        strategy,
        time_created: now,
        time_finished: None,
        lifecycle_state: JobState::Accepted,
        failure: None,
        working_directory,
        variables,
        terraform_version,
        zip,
        freeform_tags,
        defined_tags,
        etag: new_etag(),
        seq,
        logs: Vec::new(),
        tf_state: None,
        plan: None,
        plan_json: None,
        cancel: tokio_util::sync::CancellationToken::new(),
        cancel_forced: false,
    };
    let response = json_response(StatusCode::OK, &job.to_json(), Some(&job.etag));
    tracing::info!(job_id = job.id, stack_id = job.stack_id, operation = operation.as_str(), "job accepted");
    let id = job.id.clone();
    if let Some(token) = retry_token {
        rm.retry_tokens.insert(token, id.clone());
    }
    rm.jobs.insert(id.clone(), job);
    drop(rm);
    tokio::spawn(runner::run_job(state.clone(), id));
    Ok(response)
}

async fn get_job(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let rm = state.rm();
    let job = rm.jobs.get(&id).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &job.to_json(), Some(&job.etag)))
}

async fn update_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    const WHAT: &str = "UpdateJobDetails";
    let details = parse_body(&body)?;
    let display_name = opt_str(&details, "displayName", WHAT)?.map(str::to_string);
    let freeform_tags = tags(&details, "freeformTags", WHAT)?;
    let defined_tags = tags(&details, "definedTags", WHAT)?;
    let mut rm = state.rm();
    let job = rm.jobs.get_mut(&id).ok_or_else(not_found)?;
    check_if_match(&headers, &job.etag)?;
    if let Some(v) = display_name {
        job.display_name = v;
    }
    if let Some(v) = freeform_tags {
        job.freeform_tags = v;
    }
    if let Some(v) = defined_tags {
        job.defined_tags = v;
    }
    job.etag = new_etag();
    Ok(json_response(StatusCode::OK, &job.to_json(), Some(&job.etag)))
}

async fn cancel_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let forced = first(&query(&uri), "isForced").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut rm = state.rm();
    let job = rm.jobs.get_mut(&id).ok_or_else(not_found)?;
    check_if_match(&headers, &job.etag)?;
    match job.lifecycle_state {
        JobState::Accepted | JobState::InProgress => {
            job.lifecycle_state = JobState::Canceling;
            job.cancel_forced = forced;
            job.etag = new_etag();
            job.cancel.cancel();
            tracing::info!(job_id = id, forced, "job canceling");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        JobState::Canceling => Ok(StatusCode::NO_CONTENT.into_response()),
        done => Err(ApiError::new(
            StatusCode::CONFLICT,
            "IncorrectState",
            format!("The job {id} is {} and cannot be canceled.", done.as_str()),
        )),
    }
}

async fn list_jobs(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let q = query(&uri);
    let (limit, offset) = paging(&q, 100)?;
    let by_name = sort_by_name(&q)?;
    let desc = sort_order(&q, !by_name)?;
    if let Some(s) = first(&q, "lifecycleState")
        && !JobState::ALL.iter().any(|j| j.as_str() == s)
    {
        return Err(ApiError::invalid_parameter(format!("Invalid lifecycleState '{s}'.")));
    }
    let rm = state.rm();
    let mut jobs: Vec<&Job> = rm
        .jobs
        .values()
        .filter(|j| first(&q, "compartmentId").is_none_or(|c| j.compartment_id == c))
        .filter(|j| first(&q, "stackId").is_none_or(|s| j.stack_id == s))
        .filter(|j| first(&q, "id").is_none_or(|id| j.id == id))
        .filter(|j| first(&q, "displayName").is_none_or(|n| j.display_name == n))
        .filter(|j| first(&q, "lifecycleState").is_none_or(|l| j.lifecycle_state.as_str() == l))
        .collect();
    if by_name {
        jobs.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.seq.cmp(&b.seq)));
    } else {
        jobs.sort_by_key(|j| j.seq);
    }
    if desc {
        jobs.reverse();
    }
    let (items, next) = page(jobs, limit, offset);
    let items: Vec<Value> = items.into_iter().map(Job::summary_json).collect();
    Ok(with_next_page(json_response(StatusCode::OK, &Value::Array(items), None), next))
}

fn parse_time(raw: &str, name: &str) -> Result<Timestamp, ApiError> {
    raw.parse::<Timestamp>()
        .map_err(|_| ApiError::invalid_parameter(format!("{name} '{raw}' is not an RFC 3339 timestamp.")))
}

async fn get_job_logs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri);
    let (limit, offset) = paging(&q, 100)?;
    let desc = sort_order(&q, false)?;
    for t in q.get("type").into_iter().flatten() {
        if t != "TERRAFORM_CONSOLE" {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid log type '{t}': use TERRAFORM_CONSOLE."
            )));
        }
    }
    let min_level = first(&q, "levelGreaterThanOrEqualTo")
        .map(|raw| {
            Level::parse(raw).ok_or_else(|| {
                ApiError::invalid_parameter(format!(
                    "Invalid levelGreaterThanOrEqualTo '{raw}': use TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
                ))
            })
        })
        .transpose()?;
    let since = first(&q, "timestampGreaterThanOrEqualTo")
        .map(|raw| parse_time(raw, "timestampGreaterThanOrEqualTo"))
        .transpose()?;
    let until = first(&q, "timestampLessThanOrEqualTo")
        .map(|raw| parse_time(raw, "timestampLessThanOrEqualTo"))
        .transpose()?;
    let rm = state.rm();
    let job = rm.jobs.get(&id).ok_or_else(not_found)?;
    let mut entries: Vec<&model::LogEntry> = job
        .logs
        .iter()
        .filter(|e| min_level.is_none_or(|m| e.level >= m))
        .filter(|e| since.is_none_or(|s| e.timestamp >= s))
        .filter(|e| until.is_none_or(|u| e.timestamp <= u))
        .collect();
    if desc {
        entries.reverse();
    }
    let (items, next) = page(entries, limit, offset);
    let items: Vec<Value> = items.into_iter().map(model::LogEntry::to_json).collect();
    Ok(with_next_page(json_response(StatusCode::OK, &Value::Array(items), None), next))
}

async fn get_job_logs_content(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rm = state.rm();
    let job = rm.jobs.get(&id).ok_or_else(not_found)?;
    let mut text = String::new();
    for entry in job.logs.iter().take(100_000) {
        text.push_str(&entry.message);
        text.push('\n');
    }
    Ok(bytes_response(text.into_bytes(), "text/plain; charset=utf-8"))
}

fn finished(job: &Job) -> Result<(), ApiError> {
    if job.lifecycle_state.is_active() {
        return Err(conflict(format!(
            "The job {} is {}: its files are available once it has finished.",
            job.id,
            job.lifecycle_state.as_str()
        )));
    }
    Ok(())
}

async fn get_job_tf_state(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rm = state.rm();
    let job = rm.jobs.get(&id).ok_or_else(not_found)?;
    finished(job)?;
    let tf_state = job.tf_state.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            format!(
                "The job {id} has no state file: only finished apply and destroy jobs have one (a {} job that is {} does not).",
                job.operation.as_str(),
                job.lifecycle_state.as_str()
            ),
        )
    })?;
    Ok(bytes_response(tf_state.as_ref().clone(), "application/octet-stream"))
}

async fn get_job_tf_plan(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri);
    let json_format = match first(&q, "tfPlanFormat") {
        None | Some("BINARY") => false,
        Some("JSON") => true,
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid tfPlanFormat '{other}': use BINARY or JSON."
            )));
        }
    };
    let rm = state.rm();
    let job = rm.jobs.get(&id).ok_or_else(not_found)?;
    finished(job)?;
    let plan = if json_format { job.plan_json.clone() } else { job.plan.clone() };
    let plan = plan.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            format!("The job {id} has no plan: only a succeeded plan job has one."),
        )
    })?;
    Ok(bytes_response(plan.as_ref().clone(), "application/octet-stream"))
}

/// The time-ordered log messages of a job (for tests and debugging).
pub fn job_log_text(state: &AppState, job_id: &str) -> Option<String> {
    let rm = state.rm();
    let job = rm.jobs.get(job_id)?;
    Some(
        job.logs
            .iter()
            .map(|e| format!("{} {} {}\n", json_time(e.timestamp), e.level.as_str(), e.message))
            .collect(),
    )
}

#[cfg(test)]
mod tests;
