//! The customer hand-off package (`export_all`): the Markdown summary, the Mermaid diagram and a Resource
//! Manager-ready zip (the session's workspace files at its root, plus a `schema.yaml` for the Console's variable
//! form), written through the store under `exports/<dir>/`: a directory under the data dir on the local store,
//! objects in the bucket on an `oci://` store. On an `oci://` store the zip also gets a read-only
//! pre-authenticated request, and the "Deploy to Oracle Cloud" link is built from it. The PAR URL carries a
//! secret: it is returned once, in the result, and never logged.

use std::sync::Arc;

use galley_domain::export::rm_schema;
use galley_domain::ids::SessionId;
use galley_oci::client::percent_encode;
use galley_oci::objectstorage::OciLocation;
use galley_oci::resourcemanager::zip_files;
use galley_store::{Key, PutMode, Store};
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

use super::ServiceError;
use super::oci_sdk::OciSdkService;
use super::terraform::workspace;

/// The export root in the store; `output_dir` is relative to it.
pub const EXPORT_ROOT: &str = "exports";
/// Default hours a deploy link stays valid.
pub const DEFAULT_LINK_HOURS: u32 = 72;
/// Longest a deploy link may stay valid (30 days).
pub const MAX_LINK_HOURS: u32 = 720;
/// Lines of the summary shown in the result.
const SUMMARY_HEAD_LINES: usize = 12;

/// One file of the package.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageFile {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// What `export_all` wrote.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HandoffOutcome {
    /// Where the files are: a directory on the local store, `oci://<namespace>/<bucket>/<prefix>` on Object
    /// Storage.
    pub location: String,
    /// The files and their sizes.
    pub files: Vec<PackageFile>,
    /// The files inside the stack zip.
    pub zip_entries: Vec<String>,
    /// The summary's first lines.
    pub summary_head: Vec<String>,
    /// "Deploy to Oracle Cloud": opens Resource Manager's create-stack page with the zip (only on an OCI store).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy_url: Option<String>,
    /// When the deploy link stops working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy_url_expires_at: Option<Timestamp>,
    /// Things to know (no zip without Terraform files, no link on a local store, ...).
    pub notes: Vec<String>,
}

/// The package's documents, made by the caller from the session.
#[derive(Debug, Clone)]
pub struct Documents {
    /// The stack's title (customer and project).
    pub title: String,
    /// The stack's description.
    pub description: String,
    /// The Markdown summary.
    pub summary: String,
    /// The Mermaid diagram.
    pub mermaid: String,
}

/// Checks a model-given output directory: a relative path inside the export root.
///
/// # Errors
/// [`ServiceError::InvalidInput`] naming the rule.
pub fn output_dir(raw: &str) -> Result<String, ServiceError> {
    let dir = raw.trim().trim_end_matches('/');
    let bad = |why: &str| {
        ServiceError::InvalidInput(format!(
            "output_dir {raw:?} {why}: give a relative path inside Galley's export directory, letters, digits, '.', '_', '-' and '/' (e.g. \"acme/handoff-1\"), or omit it"
        ))
    };
    if dir.is_empty() || dir.len() > 200 {
        return Err(bad("is empty or longer than 200 characters"));
    }
    if dir.starts_with('/') || dir.contains('\\') || dir.contains(':') {
        return Err(bad("is not a relative path"));
    }
    if dir.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err(bad("leaves the export directory or has empty segments"));
    }
    if !dir.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')) {
        return Err(bad("has characters outside the allowed set"));
    }
    Ok(dir.to_owned())
}

/// Writes hand-off packages.
#[derive(Debug)]
pub struct HandoffService {
    store: Arc<dyn Store>,
    sdk: Arc<OciSdkService>,
}

impl HandoffService {
    /// A service over `store`; `sdk`'s client signs the pre-authenticated requests of an `oci://` store.
    pub fn new(store: Arc<dyn Store>, sdk: Arc<OciSdkService>) -> Self {
        HandoffService { store, sdk }
    }

    /// Builds and writes the package of `session`.
    pub async fn export(
        &self,
        session: SessionId,
        docs: Documents,
        dir: Option<&str>,
        link_hours: Option<u32>,
    ) -> Result<HandoffOutcome, ServiceError> {
        let now = Timestamp::now();
        let dir = match dir {
            Some(raw) => output_dir(raw)?,
            None => format!("{session}/{}", now.strftime("%Y%m%dT%H%M%SZ")),
        };
        let hours = link_hours.unwrap_or(DEFAULT_LINK_HOURS);
        if hours == 0 || hours > MAX_LINK_HOURS {
            return Err(ServiceError::InvalidInput(format!(
                "link_hours must be 1-{MAX_LINK_HOURS}, not {hours}"
            )));
        }
        let files = workspace::read_all(self.store.as_ref(), session).await?;
        let mut notes = Vec::new();
        let mut out: Vec<(String, Vec<u8>)> = vec![
            ("summary.md".to_owned(), docs.summary.clone().into_bytes()),
            ("architecture.mmd".to_owned(), docs.mermaid.clone().into_bytes()),
        ];
        let mut zip_entries = Vec::new();
        let has_tf = files.keys().any(|n| n.ends_with(".tf") || n.ends_with(".tf.json"));
        if has_tf {
            let vars = rm_schema::variables(files.iter().map(|(n, c)| (n.as_str(), c.as_str())));
            let schema = rm_schema::schema_yaml(&docs.title, &docs.description, &vars);
            // .tfvars would override what the customer enters in the Console's form: left out.
            let left_out: Vec<&str> =
                files.keys().map(String::as_str).filter(|n| n.ends_with(".tfvars")).collect();
            if !left_out.is_empty() {
                notes.push(format!(
                    "Left out of stack.zip: {} (the customer enters the variables in Resource Manager's form instead).",
                    left_out.join(", ")
                ));
            }
            let mut entries: Vec<(String, String)> = files
                .iter()
                .filter(|(n, _)| !n.ends_with(".tfvars"))
                .map(|(n, c)| (n.clone(), c.clone()))
                .collect();
            entries.push(("schema.yaml".to_owned(), schema));
            zip_entries = entries.iter().map(|(n, _)| n.clone()).collect();
            let zip = zip_files(&entries)
                .map_err(|e| ServiceError::InvalidInput(format!("cannot zip the workspace: {e}")))?;
            out.push(("stack.zip".to_owned(), zip));
        } else {
            notes.push(
                "No stack.zip: the session's Terraform workspace has no .tf files (write them with write_terraform_files, then export again).".to_owned(),
            );
        }
        let mut written = Vec::new();
        for (name, bytes) in &out {
            let key = Key::new(format!("{EXPORT_ROOT}/{dir}/{name}"))?;
            self.store.put(&key, bytes::Bytes::from(bytes.clone()), PutMode::Overwrite).await?;
            written.push(PackageFile { name: name.clone(), bytes: bytes.len() as u64 });
        }
        let described = self.store.describe();
        let (location, par_target) = if let Some(root) = described.strip_prefix("file://") {
            (format!("{}/{EXPORT_ROOT}/{dir}", root.trim_end_matches('/')), None)
        } else if let Ok(loc) = OciLocation::parse(&described) {
            let prefix = if loc.prefix.is_empty() { String::new() } else { format!("{}/", loc.prefix) };
            let base = format!("{prefix}{EXPORT_ROOT}/{dir}");
            (
                format!("oci://{}/{}/{base}", loc.namespace, loc.bucket),
                Some((loc, format!("{base}/stack.zip"))),
            )
        } else {
            notes.push("The store is in memory: the files are lost when Galley stops.".to_owned());
            (format!("{described}{EXPORT_ROOT}/{dir}"), None)
        };
        let (mut deploy_url, mut expires_at) = (None, None);
        match par_target {
            Some((loc, object)) if has_tf => {
                let expires = now + jiff::SignedDuration::from_hours(i64::from(hours));
                let client = self.sdk.client().await.map_err(|e| ServiceError::InvalidInput(e.to_string()))?;
                let os = galley_oci::ObjectStorage::new(client.clone());
                let name = format!("galley-handoff-{session}");
                let par = os
                    .create_object_read_par(&loc.namespace, &loc.bucket, &object, &name, expires)
                    .await
                    .map_err(|e| {
                        ServiceError::InvalidInput(format!(
                            "the package is written, but no deploy link: Object Storage refused the pre-authenticated request ({}); Galley's principal needs PAR_MANAGE on the bucket",
                            e.service().map_or_else(|| "no answer".to_owned(), |s| format!("{} {}", s.status, s.code))
                        ))
                    })?;
                deploy_url = Some(format!(
                    "https://cloud.oracle.com/resourcemanager/stacks/create?region=home&zipUrl={}",
                    percent_encode(&par.url)
                ));
                expires_at = Some(expires);
            }
            Some(_) => {}
            None if has_tf => notes.push(
                "No deploy link: the store is local. Give the customer stack.zip; in the OCI Console, Resource Manager > Stacks > Create stack > .Zip file takes it.".to_owned(),
            ),
            None => {}
        }
        Ok(HandoffOutcome {
            location,
            files: written,
            zip_entries,
            summary_head: docs.summary.lines().take(SUMMARY_HEAD_LINES).map(str::to_owned).collect(),
            deploy_url,
            deploy_url_expires_at: expires_at,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn output_dirs_stay_inside_the_export_root() {
        assert_eq!(output_dir(" acme/handoff-1/ ").unwrap(), "acme/handoff-1");
        for bad in ["", "/etc", "../x", "a/../../b", "a//b", "./a", "a\\b", "C:x", "a b", &"x".repeat(201)] {
            assert!(output_dir(bad).is_err(), "{bad:?}");
        }
    }
}
