//! Resource Manager (ORM, `/20180917`): stacks from a zip of Terraform files and the PLAN / APPLY / DESTROY jobs
//! that run them, their logs, state and plan (oci-facts §7).
//!
//! - Stacks are ZIP_UPLOAD stacks: [`zip_files`] builds the zip (the `.tf` files at its root). Pass `region`,
//!   `compartment_ocid` and `tenancy_ocid` as variables: the API does not fill them in as the Console does.
//! - A job locks its stack until it ends; another job meanwhile is a 409 (kind [`ErrorKind::Conflict`]).
//! - Logs: [`ResourceManager::job_log_text`] reads the plain-text GetJobLogsContent and falls back to the paged,
//!   structured GetJobLogs (one of the two has failed under a Resource Principal on a real tenancy).
//! - [`ResourceCounts::from_log`] reads Terraform's summary line (`Plan: 1 to add, ...`) from a job's log.

use std::collections::BTreeMap;
use std::io::{Cursor, Write as _};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{OciClient, OciRequest, OciResponse, percent_encode};
use crate::error::{ErrorKind, OciError};

/// The service name of Resource Manager (endpoint override `GALLEY_OCI_ENDPOINT_RESOURCEMANAGER`).
pub const SERVICE: &str = "resourcemanager";
const API: &str = "/20180917";

/// A stack (GetStack, CreateStack, UpdateStack; ListStacks fills the summary fields).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Stack {
    /// The OCID.
    pub id: String,
    /// The compartment.
    pub compartment_id: String,
    /// The display name.
    #[serde(default)]
    pub display_name: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// CREATING, ACTIVE, DELETING, DELETED, FAILED.
    pub lifecycle_state: String,
    /// RFC 3339.
    #[serde(default)]
    pub time_created: Option<String>,
    /// `1.5.x`, ...
    #[serde(default)]
    pub terraform_version: Option<String>,
    /// The Terraform variables (absent from list summaries).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// The `etag` header (for `if-match`); not set by ListStacks.
    #[serde(skip)]
    pub etag: Option<String>,
}

/// Why a job failed.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FailureDetails {
    /// `TERRAFORM_EXECUTION_ERROR`, `JOB_TIMEOUT`, ...
    pub code: String,
    /// The service's message.
    #[serde(default)]
    pub message: String,
}

/// How a job was canceled.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CancellationDetails {
    /// Whether the cancel was forced (`isForced`): Terraform stopped at once.
    #[serde(default)]
    pub is_forced: bool,
}

/// A job (GetJob, CreateJob; ListJobs fills the summary fields).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// The OCID.
    pub id: String,
    /// The stack.
    pub stack_id: String,
    /// The compartment.
    #[serde(default)]
    pub compartment_id: String,
    /// The display name.
    #[serde(default)]
    pub display_name: String,
    /// PLAN, APPLY, DESTROY, ...
    pub operation: String,
    /// ACCEPTED, IN_PROGRESS, SUCCEEDED, FAILED, CANCELING, CANCELED.
    pub lifecycle_state: String,
    /// RFC 3339.
    #[serde(default)]
    pub time_created: Option<String>,
    /// RFC 3339, once finished.
    #[serde(default)]
    pub time_finished: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub failure_details: Option<FailureDetails>,
    /// The plan job an APPLY applied.
    #[serde(default)]
    pub resolved_plan_job_id: Option<String>,
    /// The operation details as the service returned them.
    #[serde(default)]
    pub job_operation_details: Option<Value>,
    /// How it was canceled (CANCELING, CANCELED).
    #[serde(default)]
    pub cancellation_details: Option<CancellationDetails>,
    /// The `etag` header; not set by ListJobs.
    #[serde(skip)]
    pub etag: Option<String>,
}

impl Job {
    /// Whether the job has ended (SUCCEEDED, FAILED or CANCELED).
    pub fn is_finished(&self) -> bool {
        is_finished_state(&self.lifecycle_state)
    }

    /// Whether it SUCCEEDED.
    pub fn succeeded(&self) -> bool {
        self.lifecycle_state == "SUCCEEDED"
    }
}

/// Whether a job lifecycle state is final.
pub fn is_finished_state(state: &str) -> bool {
    matches!(state, "SUCCEEDED" | "FAILED" | "CANCELED")
}

/// One structured log entry (GetJobLogs).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LogEntry {
    /// `TERRAFORM_CONSOLE`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// TRACE, DEBUG, INFO, WARN, ERROR, FATAL.
    #[serde(default)]
    pub level: String,
    /// RFC 3339.
    #[serde(default)]
    pub timestamp: String,
    /// The line.
    #[serde(default)]
    pub message: String,
}

/// What CreateStack sends.
#[derive(Clone, Debug, Default)]
pub struct CreateStack {
    /// The compartment.
    pub compartment_id: String,
    /// The display name (the service makes one up when `None`).
    pub display_name: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The configuration zip ([`zip_files`]).
    pub zip: Vec<u8>,
    /// The directory of the zip Terraform runs in (`None`: its root).
    pub working_directory: Option<String>,
    /// The Terraform variables (strings).
    pub variables: BTreeMap<String, String>,
    /// `1.5.x`, ... (`None`: the service's default).
    pub terraform_version: Option<String>,
    /// The `opc-retry-token` (at most 64 characters). The same token within 24 hours returns the stack the first
    /// request created instead of a second one; `None`: a generated one (safe retries of this call only).
    pub retry_token: Option<String>,
}

/// What UpdateStack changes (`None` keeps the current value; `variables` replaces them all).
#[derive(Clone, Debug, Default)]
pub struct UpdateStack {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new configuration zip.
    pub zip: Option<Vec<u8>>,
    /// The working directory (sent with a new zip).
    pub working_directory: Option<String>,
    /// New variables (all of them).
    pub variables: Option<BTreeMap<String, String>>,
    /// A new Terraform version.
    pub terraform_version: Option<String>,
}

/// Where an APPLY gets its plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyPlan {
    /// Plan and apply in one go.
    AutoApproved,
    /// The saved plan of this succeeded PLAN job.
    FromPlanJob(String),
    /// The saved plan of the stack's latest PLAN job.
    FromLatestPlanJob,
}

/// A job to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOperation {
    /// `terraform plan`.
    Plan,
    /// `terraform apply`.
    Apply(ApplyPlan),
    /// `terraform destroy` (always auto-approved).
    Destroy,
}

impl JobOperation {
    /// The `jobOperationDetails` of CreateJobDetails.
    pub fn details(&self) -> Value {
        match self {
            JobOperation::Plan => json!({ "operation": "PLAN" }),
            JobOperation::Apply(ApplyPlan::AutoApproved) => {
                json!({ "operation": "APPLY", "executionPlanStrategy": "AUTO_APPROVED" })
            }
            JobOperation::Apply(ApplyPlan::FromPlanJob(id)) => json!({
                "operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID", "executionPlanJobId": id,
            }),
            JobOperation::Apply(ApplyPlan::FromLatestPlanJob) => {
                json!({ "operation": "APPLY", "executionPlanStrategy": "FROM_LATEST_PLAN_JOB" })
            }
            JobOperation::Destroy => {
                json!({ "operation": "DESTROY", "executionPlanStrategy": "AUTO_APPROVED" })
            }
        }
    }
}

/// Which API a job's log text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSource {
    /// GetJobLogsContent (plain text).
    Content,
    /// GetJobLogs (structured entries, paged), after GetJobLogsContent failed.
    Entries,
}

/// A job's log as text.
#[derive(Clone, Debug)]
pub struct JobLogText {
    /// The lines, `\n`-separated.
    pub text: String,
    /// Where they came from.
    pub source: LogSource,
}

/// Resources Terraform reports adding, changing and destroying.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceCounts {
    /// Added (or to add).
    pub add: u32,
    /// Changed (or to change).
    pub change: u32,
    /// Destroyed (or to destroy).
    pub destroy: u32,
}

impl ResourceCounts {
    /// The counts of the last Terraform summary in a job's log: `Plan: 1 to add, 0 to change, 0 to destroy.`,
    /// `No changes.` (all zero), `Apply complete! Resources: 1 added, 0 changed, 0 destroyed.`,
    /// `Destroy complete! Resources: 2 destroyed.`; `None` when the log has none (a failed or running job).
    pub fn from_log(text: &str) -> Option<ResourceCounts> {
        text.lines().rev().find_map(|line| Self::from_line(line.trim()))
    }

    fn from_line(line: &str) -> Option<ResourceCounts> {
        if line.starts_with("No changes.") {
            return Some(ResourceCounts::default());
        }
        let rest = line
            .strip_prefix("Plan: ")
            .or_else(|| line.strip_prefix("Apply complete! Resources: "))
            .or_else(|| line.strip_prefix("Destroy complete! Resources: "))?;
        let mut counts = ResourceCounts::default();
        for part in rest.trim_end_matches('.').split(", ") {
            let (number, word) = part.split_once(' ')?;
            let n: u32 = number.parse().ok()?;
            match word {
                "to add" | "added" => counts.add = n,
                "to change" | "changed" => counts.change = n,
                "to destroy" | "destroyed" => counts.destroy = n,
                _ => {}
            }
        }
        Some(counts)
    }
}

/// A zip of `(path, content)` files for a ZIP_UPLOAD stack (paths relative, `/`-separated; `main.tf` at the root).
///
/// # Errors
/// [`OciError::InvalidRequest`] for an empty, absolute or `..` path, or a duplicate.
pub fn zip_files<P: AsRef<str>, C: AsRef<[u8]>>(files: &[(P, C)]) -> Result<Vec<u8>, OciError> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let mut seen = std::collections::BTreeSet::new();
    for (path, content) in files {
        let path = path.as_ref();
        let bad = path.is_empty()
            || path.starts_with('/')
            || path.contains('\\')
            || path.split('/').any(|part| part.is_empty() || part == "." || part == "..");
        if bad {
            return Err(OciError::InvalidRequest(format!(
                "the stack file path {path:?} must be relative, without '.', '..' or empty segments"
            )));
        }
        if !seen.insert(path.to_owned()) {
            return Err(OciError::InvalidRequest(format!("the stack file {path:?} is given twice")));
        }
        let failed = |e: &dyn std::fmt::Display| OciError::InvalidRequest(format!("cannot zip {path}: {e}"));
        writer.start_file(path, options).map_err(|e| failed(&e))?;
        writer.write_all(content.as_ref()).map_err(|e| failed(&e))?;
    }
    let cursor =
        writer.finish().map_err(|e| OciError::InvalidRequest(format!("cannot finish the zip: {e}")))?;
    Ok(cursor.into_inner())
}

fn with_etag<T>(mut value: T, response: &OciResponse, set: impl FnOnce(&mut T, Option<String>)) -> T {
    set(&mut value, response.etag().map(str::to_owned));
    value
}

/// Resource Manager operations over an [`OciClient`].
#[derive(Clone, Debug)]
pub struct ResourceManager {
    client: OciClient,
}

impl ResourceManager {
    /// Resource Manager through `client`.
    pub fn new(client: OciClient) -> ResourceManager {
        ResourceManager { client }
    }

    /// The client.
    pub fn client(&self) -> &OciClient {
        &self.client
    }

    fn request(method: Method, path: &str) -> OciRequest {
        OciRequest::new(SERVICE, method, format!("{API}{path}"))
    }

    /// CreateStack (with an `opc-retry-token`, so it is retried safely).
    ///
    /// # Errors
    /// [`OciError`]; a bad zip or variable is a 400 ([`ErrorKind::BadRequest`]).
    pub async fn create_stack(&self, details: &CreateStack) -> Result<Stack, OciError> {
        let mut source = json!({
            "configSourceType": "ZIP_UPLOAD",
            "zipFileBase64Encoded": STANDARD.encode(&details.zip),
        });
        if let Some(dir) = &details.working_directory {
            source["workingDirectory"] = json!(dir);
        }
        let mut body = json!({
            "compartmentId": details.compartment_id,
            "configSource": source,
            "variables": details.variables,
        });
        for (field, value) in [
            ("displayName", &details.display_name),
            ("description", &details.description),
            ("terraformVersion", &details.terraform_version),
        ] {
            if let Some(value) = value {
                body[field] = json!(value);
            }
        }
        let request = Self::request(Method::POST, "/stacks").json(body);
        let request = match &details.retry_token {
            Some(token) => request.header("opc-retry-token", token.clone()),
            None => request.with_retry_token(),
        };
        let response = self.client.request(request).await?;
        Ok(with_etag(response.json::<Stack>("CreateStack")?, &response, |s, e| s.etag = e))
    }

    /// UpdateStack; `if_match` makes it conditional on the stack's `etag`.
    ///
    /// # Errors
    /// [`OciError`]; a stale `if_match` is a 412, a locked stack a 409.
    pub async fn update_stack(
        &self,
        stack_id: &str,
        details: &UpdateStack,
        if_match: Option<&str>,
    ) -> Result<Stack, OciError> {
        let mut body = json!({});
        if let Some(zip) = &details.zip {
            let mut source =
                json!({ "configSourceType": "ZIP_UPLOAD", "zipFileBase64Encoded": STANDARD.encode(zip) });
            if let Some(dir) = &details.working_directory {
                source["workingDirectory"] = json!(dir);
            }
            body["configSource"] = source;
        }
        if let Some(variables) = &details.variables {
            body["variables"] = json!(variables);
        }
        for (field, value) in [
            ("displayName", &details.display_name),
            ("description", &details.description),
            ("terraformVersion", &details.terraform_version),
        ] {
            if let Some(value) = value {
                body[field] = json!(value);
            }
        }
        let mut request =
            Self::request(Method::PUT, &format!("/stacks/{}", percent_encode(stack_id))).json(body);
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        let response = self.client.request(request).await?;
        Ok(with_etag(response.json::<Stack>("UpdateStack")?, &response, |s, e| s.etag = e))
    }

    /// GetStack.
    ///
    /// # Errors
    /// [`OciError`]; a missing stack is [`ErrorKind::NotAuthorizedOrNotFound`].
    pub async fn get_stack(&self, stack_id: &str) -> Result<Stack, OciError> {
        let response = self
            .client
            .request(Self::request(Method::GET, &format!("/stacks/{}", percent_encode(stack_id))))
            .await?;
        Ok(with_etag(response.json::<Stack>("GetStack")?, &response, |s, e| s.etag = e))
    }

    /// DeleteStack.
    ///
    /// # Errors
    /// [`OciError`]; a stack locked by a running job is a 409.
    pub async fn delete_stack(&self, stack_id: &str, if_match: Option<&str>) -> Result<(), OciError> {
        let mut request = Self::request(Method::DELETE, &format!("/stacks/{}", percent_encode(stack_id)));
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        self.client.request(request).await.map(|_| ())
    }

    /// ListStacks of a compartment, following `opc-next-page` for at most `max_pages` pages of 100.
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn list_stacks(&self, compartment_id: &str, max_pages: usize) -> Result<Vec<Stack>, OciError> {
        let request = Self::request(Method::GET, "/stacks")
            .query("compartmentId", compartment_id)
            .query("limit", "100");
        self.client.request_list(request, max_pages, "ListStacks").await
    }

    /// CreateJob (with an `opc-retry-token`).
    ///
    /// # Errors
    /// [`OciError`]; a stack locked by another job is a 409 ([`ErrorKind::Conflict`]); an unusable plan job a
    /// 400 or 404.
    pub async fn create_job(
        &self,
        stack_id: &str,
        operation: &JobOperation,
        display_name: Option<&str>,
    ) -> Result<Job, OciError> {
        let mut body = json!({ "stackId": stack_id, "jobOperationDetails": operation.details() });
        if let Some(name) = display_name {
            body["displayName"] = json!(name);
        }
        let response =
            self.client.request(Self::request(Method::POST, "/jobs").json(body).with_retry_token()).await?;
        Ok(with_etag(response.json::<Job>("CreateJob")?, &response, |j, e| j.etag = e))
    }

    /// A PLAN job.
    ///
    /// # Errors
    /// As [`ResourceManager::create_job`].
    pub async fn create_plan_job(&self, stack_id: &str) -> Result<Job, OciError> {
        self.create_job(stack_id, &JobOperation::Plan, None).await
    }

    /// An APPLY job of `plan`.
    ///
    /// # Errors
    /// As [`ResourceManager::create_job`].
    pub async fn create_apply_job(&self, stack_id: &str, plan: ApplyPlan) -> Result<Job, OciError> {
        self.create_job(stack_id, &JobOperation::Apply(plan), None).await
    }

    /// A DESTROY job (auto-approved).
    ///
    /// # Errors
    /// As [`ResourceManager::create_job`].
    pub async fn create_destroy_job(&self, stack_id: &str) -> Result<Job, OciError> {
        self.create_job(stack_id, &JobOperation::Destroy, None).await
    }

    /// GetJob.
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn get_job(&self, job_id: &str) -> Result<Job, OciError> {
        let response = self
            .client
            .request(Self::request(Method::GET, &format!("/jobs/{}", percent_encode(job_id))))
            .await?;
        Ok(with_etag(response.json::<Job>("GetJob")?, &response, |j, e| j.etag = e))
    }

    /// CancelJob; `force` (`isForced`) stops Terraform at once instead of letting it finish the operations in
    /// flight (which can leave the state without resources being created).
    ///
    /// # Errors
    /// [`OciError`]; a finished job is a 409.
    pub async fn cancel_job(&self, job_id: &str, force: bool) -> Result<(), OciError> {
        let path = format!("/jobs/{}", percent_encode(job_id));
        let mut request = Self::request(Method::DELETE, &path);
        if force {
            request = request.query("isForced", "true");
        }
        self.client.request(request).await.map(|_| ())
    }

    /// ListJobs of a stack (newest first), at most `max_pages` pages of 100.
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn list_jobs(&self, stack_id: &str, max_pages: usize) -> Result<Vec<Job>, OciError> {
        let request = Self::request(Method::GET, "/jobs").query("stackId", stack_id).query("limit", "100");
        self.client.request_list(request, max_pages, "ListJobs").await
    }

    /// Polls GetJob every `interval` until the job has finished or `timeout` has passed (then the last state is
    /// returned, unfinished: check [`Job::is_finished`]).
    ///
    /// # Errors
    /// [`OciError`] of a GetJob.
    pub async fn wait_for_job(
        &self,
        job_id: &str,
        interval: Duration,
        timeout: Duration,
    ) -> Result<Job, OciError> {
        let started = Instant::now();
        loop {
            let job = self.get_job(job_id).await?;
            if job.is_finished() || started.elapsed() + interval > timeout {
                return Ok(job);
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// GetJobLogs: the structured entries, oldest first, following `opc-next-page` for at most `max_pages`
    /// pages of 1000.
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn get_job_logs(&self, job_id: &str, max_pages: usize) -> Result<Vec<LogEntry>, OciError> {
        let request = Self::request(Method::GET, &format!("/jobs/{}/logs", percent_encode(job_id)))
            .query("sortOrder", "ASC")
            .query("limit", "1000");
        self.client.request_list(request, max_pages, "GetJobLogs").await
    }

    /// GetJobLogsContent: the whole log as plain text.
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn get_job_logs_content(&self, job_id: &str) -> Result<String, OciError> {
        let request = Self::request(Method::GET, &format!("/jobs/{}/logs/content", percent_encode(job_id)))
            .header("accept", "text/plain");
        let response = self.client.request(request).await?;
        Ok(String::from_utf8_lossy(&response.body).into_owned())
    }

    /// The job's log as text: GetJobLogsContent, or, when that fails for another reason than a missing job,
    /// the GetJobLogs entries (at most `max_pages` pages) joined by newlines.
    ///
    /// # Errors
    /// The GetJobLogsContent error when the job does not exist; otherwise the GetJobLogs error.
    pub async fn job_log_text(&self, job_id: &str, max_pages: usize) -> Result<JobLogText, OciError> {
        match self.get_job_logs_content(job_id).await {
            Ok(text) => Ok(JobLogText { text, source: LogSource::Content }),
            Err(err) if err.kind() == Some(ErrorKind::NotAuthorizedOrNotFound) => Err(err),
            Err(err) => {
                tracing::info!(job_id, error = %err, "GetJobLogsContent failed; reading GetJobLogs instead");
                let entries = self.get_job_logs(job_id, max_pages).await?;
                let mut text = String::new();
                for entry in entries {
                    text.push_str(&entry.message);
                    text.push('\n');
                }
                Ok(JobLogText { text, source: LogSource::Entries })
            }
        }
    }

    /// GetJobTfState: the Terraform state (JSON bytes) a finished apply or destroy job left.
    ///
    /// # Errors
    /// [`OciError`]; a job without state (a plan, an unfinished job) is a 404 or 409.
    pub async fn get_job_tf_state(&self, job_id: &str) -> Result<Bytes, OciError> {
        let request = Self::request(Method::GET, &format!("/jobs/{}/tfState", percent_encode(job_id)))
            .header("accept", "application/octet-stream");
        Ok(self.client.request(request).await?.body)
    }

    /// GetJobTfPlan of a succeeded plan job: `terraform show -json` of the plan when `json`, else the binary plan.
    ///
    /// # Errors
    /// [`OciError`].
    pub async fn get_job_tf_plan(&self, job_id: &str, json: bool) -> Result<Bytes, OciError> {
        let request = Self::request(Method::GET, &format!("/jobs/{}/tfPlan", percent_encode(job_id)))
            .query("tfPlanFormat", if json { "JSON" } else { "BINARY" })
            .header("accept", "application/octet-stream");
        Ok(self.client.request(request).await?.body)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn zips_round_trip_and_refuse_bad_paths() {
        let zip = zip_files(&[("main.tf", "resource \"terraform_data\" \"x\" {}\n"), ("modules/m/m.tf", "")])
            .unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut text = String::new();
        archive.by_name("main.tf").unwrap().read_to_string(&mut text).unwrap();
        assert!(text.starts_with("resource"));
        for bad in ["", "/etc/x.tf", "../x.tf", "a/../b.tf", "a//b.tf", "a\\b.tf", "./x.tf"] {
            assert!(zip_files(&[(bad, "")]).is_err(), "{bad:?}");
        }
        assert!(zip_files(&[("a.tf", ""), ("a.tf", "")]).is_err());
    }

    #[test]
    fn operation_details() {
        assert_eq!(JobOperation::Plan.details(), json!({"operation": "PLAN"}));
        assert_eq!(
            JobOperation::Apply(ApplyPlan::FromPlanJob("ocid1.ormjob.x".into())).details(),
            json!({"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID", "executionPlanJobId": "ocid1.ormjob.x"})
        );
        assert_eq!(
            JobOperation::Apply(ApplyPlan::AutoApproved).details()["executionPlanStrategy"],
            "AUTO_APPROVED"
        );
        assert_eq!(
            JobOperation::Apply(ApplyPlan::FromLatestPlanJob).details()["executionPlanStrategy"],
            "FROM_LATEST_PLAN_JOB"
        );
        assert_eq!(
            JobOperation::Destroy.details(),
            json!({"operation": "DESTROY", "executionPlanStrategy": "AUTO_APPROVED"})
        );
    }

    #[test]
    fn resource_counts_from_terraform_summaries() {
        let cases = [
            ("x\nPlan: 1 to add, 0 to change, 0 to destroy.\n", Some((1, 0, 0))),
            ("Plan: 2 to add, 3 to change, 4 to destroy.", Some((2, 3, 4))),
            ("No changes. Your infrastructure matches the configuration.", Some((0, 0, 0))),
            ("Apply complete! Resources: 1 added, 2 changed, 3 destroyed.\n\nOutputs:\n", Some((1, 2, 3))),
            ("Destroy complete! Resources: 5 destroyed.", Some((0, 0, 5))),
            ("Error: Invalid expression", None),
            ("", None),
        ];
        for (log, want) in cases {
            let got = ResourceCounts::from_log(log).map(|c| (c.add, c.change, c.destroy));
            assert_eq!(got, want, "{log:?}");
        }
    }

    #[test]
    fn jobs_and_stacks_decode_from_ocis_shapes() {
        let job: Job = serde_json::from_value(json!({
            "id": "ocid1.ormjob.x", "stackId": "ocid1.ormstack.y", "compartmentId": "c", "displayName": "j",
            "operation": "APPLY", "lifecycleState": "FAILED", "timeCreated": "2026-01-01T00:00:00.000Z",
            "timeFinished": null, "resolvedPlanJobId": "ocid1.ormjob.p",
            "failureDetails": {"code": "TERRAFORM_EXECUTION_ERROR", "message": "terraform apply failed"},
            "jobOperationDetails": {"operation": "APPLY", "executionPlanStrategy": "FROM_PLAN_JOB_ID"},
            "freeformTags": {}, "unknownFutureField": 1,
        }))
        .unwrap();
        assert!(job.is_finished() && !job.succeeded());
        assert_eq!(job.failure_details.unwrap().code, "TERRAFORM_EXECUTION_ERROR");
        assert_eq!(job.resolved_plan_job_id.as_deref(), Some("ocid1.ormjob.p"));
        let summary: Stack = serde_json::from_value(json!({
            "id": "s", "compartmentId": "c", "displayName": "d", "lifecycleState": "ACTIVE", "description": null,
        }))
        .unwrap();
        assert!(summary.variables.is_empty() && summary.etag.is_none());
        assert!(!is_finished_state("IN_PROGRESS") && is_finished_state("CANCELED"));
    }
}
