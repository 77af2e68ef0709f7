//! Command line and environment: one place that turns flags and variables into typed configuration.
//!
//! Every setting has a flag and an environment variable (README, "Configuration"). A bad value stops start-up
//! with one line that says what is wrong and what to set.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use galley_oci::objectstorage::ListObjectsRequest;
use galley_oci::{ErrorKind, ObjectStorage, OciClient, OciError, OciLocation, OciStore};
use galley_store::{LocalStore, MemoryStore, Store};

/// Galley: from an OCI pre-sales conversation to running infrastructure, inside one chat.
#[derive(Debug, Parser)]
#[command(name = "galley", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server (Streamable HTTP by default, or stdio for Claude Desktop).
    Serve(ServeArgs),
    /// Check the store, the tools on PATH and the OCI auth mode; exits non-zero when the store is unusable.
    Doctor(DoctorArgs),
    /// Check Terraform files offline against the provider schemas; exits 1 when any finding is an error.
    CheckTerraform(crate::check_terraform::CheckTerraformArgs),
}

/// Where state is kept.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Store URL: file://DIR (local directory), memory:// (lost on exit), oci://NAMESPACE/BUCKET[/PREFIX].
    /// Default: file://$XDG_DATA_HOME/galley (or ~/.local/share/galley).
    #[arg(long, env = "GALLEY_STORE", value_name = "URL")]
    pub store: Option<String>,
}

/// What the server lets the model do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Mode {
    /// Only read-only tools are offered.
    ReadOnly,
    /// Plans are allowed, but no apply, destroy or deploy.
    Plan,
    /// Everything.
    #[default]
    Full,
}

/// `galley serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Serve MCP over stdin/stdout (Claude Desktop's local mode) instead of HTTP. The HTTP settings are ignored
    /// (so a container's GALLEY_AUTH_TOKEN does not stop a local stdio run).
    #[arg(long)]
    pub stdio: bool,
    /// Address for Streamable HTTP (the MCP endpoint is /mcp, health check /healthz).
    #[arg(long, env = "GALLEY_HTTP_ADDR", value_name = "ADDR", default_value = "127.0.0.1:8765")]
    pub http: SocketAddr,
    /// Access token for HTTP (?token=T or Authorization: Bearer T). Required on non-loopback addresses; on
    /// loopback a random one is generated when absent. A token may begin with `-` (URL-safe base64 does).
    #[arg(
        long,
        env = "GALLEY_AUTH_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: Option<String>,
    /// Extra Host header values to accept (comma-separated or repeated), e.g. the API Gateway's hostname.
    /// On loopback, localhost/127.0.0.1/::1 are always accepted (DNS-rebinding protection); on other addresses
    /// with no list, any Host is accepted and the token is the protection.
    #[arg(long = "allowed-host", env = "GALLEY_ALLOWED_HOSTS", value_delimiter = ',', value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// read-only hides every mutating tool; plan allows plans but no apply/destroy/deploy; full allows all.
    #[arg(long, env = "GALLEY_MODE", value_enum, default_value_t = Mode::Full)]
    pub mode: Mode,
    /// Add the MCP conformance suite's fixture tools, resources and prompts (for testing only).
    #[arg(long)]
    pub conformance_fixtures: bool,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "GALLEY_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024, value_name = "BYTES")]
    pub max_body_bytes: usize,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `galley doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A parsed store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A local directory.
    File(PathBuf),
    /// In-process memory.
    Memory,
    /// OCI Object Storage.
    Oci {
        /// Object Storage namespace.
        namespace: String,
        /// Bucket name.
        bucket: String,
        /// Key prefix.
        prefix: String,
    },
}

fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("galley");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/galley"),
        None => PathBuf::from(".galley"),
    }
}

impl StoreUrl {
    /// Parses `file://DIR`, a plain path, `memory://` or `oci://NS/BUCKET[/PREFIX]`; `None` is the default dir.
    pub fn parse(raw: Option<&str>) -> anyhow::Result<StoreUrl> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(StoreUrl::File(default_data_dir()));
        };
        if let Some(path) = raw.strip_prefix("file://") {
            if path.is_empty() {
                bail!("store URL {raw:?} has no directory: use file:///absolute/dir or file://relative/dir");
            }
            return Ok(StoreUrl::File(PathBuf::from(path)));
        }
        if raw == "memory://" || raw == "memory:" {
            return Ok(StoreUrl::Memory);
        }
        if raw.starts_with("oci://") {
            let location = OciLocation::parse(raw)?;
            return Ok(StoreUrl::Oci {
                namespace: location.namespace,
                bucket: location.bucket,
                prefix: location.prefix,
            });
        }
        if raw.contains("://") {
            bail!(
                "unsupported store URL {raw:?}: use file://DIR, memory:// or oci://NAMESPACE/BUCKET[/PREFIX]"
            );
        }
        Ok(StoreUrl::File(PathBuf::from(raw)))
    }

    /// Opens the store. An `oci://` store signs with the principal `GALLEY_OCI_AUTH` selects (see
    /// [`galley_oci::auth::provider_from_env`]) and is probed once (the bucket must exist and be readable).
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(self.open_with_client().await?.0)
    }

    /// Opens the store; for an `oci://` store also returns the OCI client it signs with, so the OCI tools share
    /// one principal and connection pool with it.
    pub async fn open_with_client(&self) -> anyhow::Result<(Arc<dyn Store>, Option<OciClient>)> {
        match self {
            StoreUrl::File(dir) => {
                let store = LocalStore::open(dir.clone()).with_context(|| {
                    format!("cannot use {} as the store: set --store or GALLEY_STORE", dir.display())
                })?;
                Ok((Arc::new(store), None))
            }
            StoreUrl::Memory => Ok((Arc::new(MemoryStore::new()), None)),
            StoreUrl::Oci { namespace, bucket, prefix } => {
                let location = OciLocation {
                    namespace: namespace.clone(),
                    bucket: bucket.clone(),
                    prefix: prefix.clone(),
                };
                let client = OciClient::from_env(galley_oci::Env::process()).await.map_err(|e| {
                    anyhow::anyhow!(
                        "cannot open the store {location}: {e} (or choose another store with --store / GALLEY_STORE)"
                    )
                })?;
                probe_bucket(&client, &location).await?;
                Ok((Arc::new(OciStore::new(client.clone(), location)), Some(client)))
            }
        }
    }
}

/// Lists at most one object under the store's prefix: the bucket exists, the namespace is right, and the
/// principal may read it. Every failure is one line that says what to create or set.
async fn probe_bucket(client: &OciClient, location: &OciLocation) -> anyhow::Result<()> {
    let request = ListObjectsRequest {
        prefix: Some(format!("{}/", location.prefix)).filter(|p| p != "/"),
        limit: Some(1),
        fields: Some("name".into()),
        ..ListObjectsRequest::default()
    };
    let err = match ObjectStorage::new(client.clone())
        .list_objects(&location.namespace, &location.bucket, &request)
        .await
    {
        Ok(_) => return Ok(()),
        Err(err) => err,
    };
    let (ns, bucket) = (&location.namespace, &location.bucket);
    let principal = client.auth().kind().as_str();
    let request_id = err.request_id().unwrap_or("none").to_owned();
    let not_found = matches!(err.kind(), Some(ErrorKind::NotFound | ErrorKind::NotAuthorizedOrNotFound));
    if not_found {
        // A wrong namespace looks like a missing bucket; one more read tells them apart.
        if let Ok(actual) = ObjectStorage::new(client.clone()).get_namespace().await
            && actual != *ns
        {
            bail!(
                "cannot open the store {location}: {ns:?} is not this tenancy's Object Storage namespace, {actual:?} \
                 is (`oci os ns get` prints it): set --store / GALLEY_STORE to oci://{actual}/{bucket}..."
            );
        }
    }
    match (err.kind(), err.service().map(|s| s.code.as_str())) {
        (_, Some(code)) if code.contains("Namespace") => bail!(
            "cannot open the store {location}: Object Storage has no namespace {ns:?} ({code}, opc-request-id {request_id}); \
             `oci os ns get` prints the tenancy's namespace: fix --store / GALLEY_STORE"
        ),
        (_, Some(code)) if not_found => bail!(
            "cannot open the store {location}: the bucket {bucket:?} does not exist in namespace {ns:?}, or no IAM \
             policy lets this {principal} principal read it ({code}, opc-request-id {request_id}); create it \
             (`oci os bucket create --name {bucket} --compartment-id <compartment OCID>`, or deploy/ creates it), \
             grant the policy, or set --store / GALLEY_STORE to another oci:// URL"
        ),
        (Some(ErrorKind::NotAuthenticated), _) => bail!(
            "cannot open the store {location}: OCI refused the {principal} principal's signature (opc-request-id \
             {request_id}); check the key and fingerprint in the OCI config (or the Resource Principal environment) \
             and the clock; `galley doctor` shows the auth mode"
        ),
        _ => match &err {
            OciError::Transport { .. } | OciError::Endpoint(_) => bail!(
                "cannot open the store {location}: {err}; check the network, the region (GALLEY_REGION), or \
                 GALLEY_OCI_ENDPOINT_OBJECTSTORAGE"
            ),
            _ => bail!("cannot open the store {location}: {err}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<StoreUrl, &str>) {
        match (StoreUrl::parse(Some(input)), expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{input}"),
            (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parses_store_urls() {
        check("file:///var/galley", Ok(StoreUrl::File("/var/galley".into())));
        check("file://data", Ok(StoreUrl::File("data".into())));
        check("./data", Ok(StoreUrl::File("./data".into())));
        check("memory://", Ok(StoreUrl::Memory));
        check(
            "oci://ns/bucket/some/prefix/",
            Ok(StoreUrl::Oci {
                namespace: "ns".into(),
                bucket: "bucket".into(),
                prefix: "some/prefix".into(),
            }),
        );
        check("oci://ns", Err("use oci://<namespace>/<bucket>"));
        check("oci://ns/bucket/a/../b", Err("prefix is invalid"));
        check("s3://x", Err("unsupported store URL"));
        check("file://", Err("has no directory"));
    }
}
