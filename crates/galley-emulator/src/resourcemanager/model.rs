//! Resource Manager's data: stacks, jobs and their logs, kept in memory, and their OCI JSON shapes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};

/// The stack's lifecycle (the emulator creates stacks ACTIVE at once and forgets deleted ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackState {
    Active,
}

impl StackState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
        }
    }
}

/// A job's lifecycle: ACCEPTED → IN_PROGRESS → SUCCEEDED | FAILED, or CANCELING → CANCELED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Accepted,
    InProgress,
    Succeeded,
    Failed,
    Canceling,
    Canceled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "ACCEPTED",
            Self::InProgress => "IN_PROGRESS",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Canceling => "CANCELING",
            Self::Canceled => "CANCELED",
        }
    }

    pub const ALL: [JobState; 6] =
        [Self::Accepted, Self::InProgress, Self::Succeeded, Self::Failed, Self::Canceling, Self::Canceled];

    /// Whether the job still holds its stack's lock.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Accepted | Self::InProgress | Self::Canceling)
    }
}

/// The operations the emulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Plan,
    Apply,
    Destroy,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "PLAN",
            Self::Apply => "APPLY",
            Self::Destroy => "DESTROY",
        }
    }
}

/// How an APPLY gets its plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanStrategy {
    AutoApproved,
    /// The plan of this (succeeded) PLAN job; `latest` when it was resolved from FROM_LATEST_PLAN_JOB.
    FromPlanJob {
        job_id: String,
        latest: bool,
    },
}

/// Log levels, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
            Self::Fatal => "FATAL",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Trace, Self::Debug, Self::Info, Self::Warn, Self::Error, Self::Fatal]
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(value))
    }
}

/// One line of a job's log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub level: Level,
    pub timestamp: Timestamp,
    pub message: String,
}

impl LogEntry {
    pub fn to_json(&self) -> Value {
        json!({
            "type": "TERRAFORM_CONSOLE",
            "level": self.level.as_str(),
            "timestamp": json_time(self.timestamp),
            "message": self.message,
        })
    }
}

/// A stack.
#[derive(Debug, Clone)]
pub struct Stack {
    pub id: String,
    pub compartment_id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub time_created: Timestamp,
    pub lifecycle_state: StackState,
    pub working_directory: Option<String>,
    pub zip: Arc<Vec<u8>>,
    pub variables: BTreeMap<String, String>,
    pub terraform_version: String,
    pub freeform_tags: Value,
    pub defined_tags: Value,
    pub etag: String,
    pub seq: u64,
    /// The Terraform state after the last apply/destroy job (`None` before the first).
    pub tf_state: Option<Arc<Vec<u8>>>,
}

impl Stack {
    pub fn to_json(&self) -> Value {
        let mut config_source = json!({ "configSourceType": "ZIP_UPLOAD" });
        if let Some(dir) = &self.working_directory {
            config_source["workingDirectory"] = json!(dir);
        }
        json!({
            "id": self.id,
            "compartmentId": self.compartment_id,
            "displayName": self.display_name,
            "description": self.description,
            "timeCreated": json_time(self.time_created),
            "lifecycleState": self.lifecycle_state.as_str(),
            "configSource": config_source,
            "variables": self.variables,
            "terraformVersion": self.terraform_version,
            "stackDriftStatus": "NOT_CHECKED",
            "freeformTags": self.freeform_tags,
            "definedTags": self.defined_tags,
            "systemTags": {},
        })
    }

    pub fn summary_json(&self) -> Value {
        json!({
            "id": self.id,
            "compartmentId": self.compartment_id,
            "displayName": self.display_name,
            "description": self.description,
            "timeCreated": json_time(self.time_created),
            "lifecycleState": self.lifecycle_state.as_str(),
            "terraformVersion": self.terraform_version,
            "freeformTags": self.freeform_tags,
            "definedTags": self.defined_tags,
            "systemTags": {},
        })
    }
}

/// A job and everything it produced.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub stack_id: String,
    pub compartment_id: String,
    pub display_name: String,
    pub operation: Operation,
    pub strategy: PlanStrategy,
    pub time_created: Timestamp,
    pub time_finished: Option<Timestamp>,
    pub lifecycle_state: JobState,
    pub failure: Option<(&'static str, String)>,
    pub working_directory: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub terraform_version: String,
    /// The configuration the job runs (the stack's when the job was created).
    pub zip: Arc<Vec<u8>>,
    pub freeform_tags: Value,
    pub defined_tags: Value,
    pub etag: String,
    pub seq: u64,
    pub logs: Vec<LogEntry>,
    /// The state after an APPLY or DESTROY job.
    pub tf_state: Option<Arc<Vec<u8>>>,
    /// A PLAN job's saved plan (`terraform plan -out`) and its `terraform show -json`.
    pub plan: Option<Arc<Vec<u8>>>,
    pub plan_json: Option<Arc<Vec<u8>>>,
    /// Cancelled by CancelJob. Not forced: terraform gets SIGINT and stops after the operations in flight, saving
    /// its state (as RM's graceful cancel); forced (`isForced=true`): terraform is killed at once.
    pub cancel: tokio_util::sync::CancellationToken,
    pub cancel_forced: bool,
}

impl Job {
    fn operation_details(&self, summary: bool) -> Value {
        let mut details = json!({ "operation": self.operation.as_str() });
        if !summary && self.operation == Operation::Plan {
            details["isProviderUpgradeRequired"] = json!(false);
        }
        match (&self.operation, &self.strategy) {
            (Operation::Plan, _) => {}
            (_, PlanStrategy::AutoApproved) => details["executionPlanStrategy"] = json!("AUTO_APPROVED"),
            (_, PlanStrategy::FromPlanJob { job_id, latest }) => {
                details["executionPlanStrategy"] =
                    json!(if *latest { "FROM_LATEST_PLAN_JOB" } else { "FROM_PLAN_JOB_ID" });
                details["executionPlanJobId"] = json!(job_id);
            }
        }
        details
    }

    fn plan_resolution(&self) -> Value {
        match &self.strategy {
            PlanStrategy::AutoApproved if self.operation != Operation::Plan => {
                json!({ "isAutoApproved": true })
            }
            PlanStrategy::FromPlanJob { job_id, latest } => {
                json!({ "planJobId": job_id, "isUseLatestJobId": latest, "isAutoApproved": false })
            }
            PlanStrategy::AutoApproved => Value::Null,
        }
    }

    fn resolved_plan_job_id(&self) -> Option<&str> {
        match &self.strategy {
            PlanStrategy::FromPlanJob { job_id, .. } => Some(job_id),
            PlanStrategy::AutoApproved => None,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut value = self.summary_json();
        value["jobOperationDetails"] = self.operation_details(false);
        value["isProviderUpgradeRequired"] = json!(false);
        value["workingDirectory"] = json!(self.working_directory);
        value["variables"] = json!(self.variables);
        value["configSource"] = json!({ "configSourceRecordType": "ZIP_UPLOAD" });
        if let Some((code, message)) = &self.failure {
            value["failureDetails"] = json!({ "code": code, "message": message });
        }
        if matches!(self.lifecycle_state, JobState::Canceling | JobState::Canceled) {
            value["cancellationDetails"] = json!({ "isForced": self.cancel_forced });
        }
        value
    }

    pub fn summary_json(&self) -> Value {
        let mut value = json!({
            "id": self.id,
            "stackId": self.stack_id,
            "compartmentId": self.compartment_id,
            "displayName": self.display_name,
            "operation": self.operation.as_str(),
            "jobOperationDetails": self.operation_details(true),
            "timeCreated": json_time(self.time_created),
            "timeFinished": self.time_finished.map(json_time),
            "lifecycleState": self.lifecycle_state.as_str(),
            "freeformTags": self.freeform_tags,
            "definedTags": self.defined_tags,
            "systemTags": {},
        });
        let resolution = self.plan_resolution();
        if !resolution.is_null() {
            value["applyJobPlanResolution"] = resolution;
        }
        if let Some(id) = self.resolved_plan_job_id() {
            value["resolvedPlanJobId"] = json!(id);
        }
        value
    }
}

/// All Resource Manager data.
#[derive(Debug, Default)]
pub struct RmData {
    pub stacks: BTreeMap<String, Stack>,
    pub jobs: BTreeMap<String, Job>,
    /// `opc-retry-token` → the id created with it (CreateStack, CreateJob).
    pub retry_tokens: HashMap<String, String>,
    seq: u64,
}

impl RmData {
    /// A strictly increasing number (creation order, for stable sorting).
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The active job holding `stack_id`'s lock, if any.
    pub fn lock_holder(&self, stack_id: &str) -> Option<&Job> {
        self.jobs.values().find(|j| j.stack_id == stack_id && j.lifecycle_state.is_active())
    }
}

/// RFC 3339 with milliseconds, as OCI writes times in JSON.
pub fn json_time(ts: Timestamp) -> String {
    format!("{ts:.3}")
}

/// A fresh OCID of `kind` in the emulator's realm and region.
pub fn new_ocid(kind: &str) -> String {
    format!("ocid1.{kind}.oc1.iad.emu{}", uuid::Uuid::new_v4().simple())
}
