//! `galley doctor`: what Galley finds on this machine, in plain lines.

use std::fmt::Write as _;

use galley_store::{Key, PutMode, Store};

use crate::config::{DoctorArgs, StoreUrl};

/// The outcome: the report and whether the configured store is usable.
#[derive(Debug)]
pub struct Report {
    /// Human-readable lines.
    pub text: String,
    /// Whether the store can be read and written.
    pub store_ok: bool,
}

async fn check_store(store: &dyn Store) -> Result<(), galley_store::Error> {
    let key = Key::new(format!("doctor/{}.probe", uuid::Uuid::new_v4()))?;
    store.put(&key, bytes::Bytes::from_static(b"galley doctor probe"), PutMode::Create).await?;
    let got = store.get(&key).await?;
    store.delete(&key).await?;
    if got.bytes.as_ref() != b"galley doctor probe" {
        return Err(galley_store::Error::Unavailable {
            message: "read back different bytes than written".into(),
        });
    }
    Ok(())
}

/// The OCI auth mode Galley would use, from the environment (no network).
pub fn oci_auth_mode() -> String {
    let configured = std::env::var("GALLEY_OCI_AUTH").unwrap_or_else(|_| "auto".into());
    if configured != "auto" {
        return format!("{configured} (GALLEY_OCI_AUTH)");
    }
    if std::env::var_os("OCI_RESOURCE_PRINCIPAL_VERSION").is_some() {
        return "resource_principal (auto: OCI_RESOURCE_PRINCIPAL_VERSION is set)".into();
    }
    let config = std::env::var_os("OCI_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".oci/config")));
    match config {
        Some(p) if p.is_file() => format!("api_key (auto: config file {})", p.display()),
        Some(p) => format!("none found (auto: no Resource Principal environment and no {})", p.display()),
        None => "none found (auto: no Resource Principal environment and no HOME)".into(),
    }
}

/// Runs every check.
pub async fn run(args: &DoctorArgs) -> Report {
    let mut text = String::new();
    let _ = writeln!(text, "galley {}", env!("CARGO_PKG_VERSION"));
    let store_ok = match StoreUrl::parse(args.store.store.as_deref()) {
        Err(e) => {
            let _ = writeln!(text, "store: FAIL {e:#}");
            false
        }
        Ok(url) => match url.open().await {
            Err(e) => {
                let _ = writeln!(text, "store: FAIL {e:#}");
                false
            }
            Ok(store) => match check_store(store.as_ref()).await {
                Ok(()) => {
                    let _ = writeln!(text, "store: ok {} (read, write and delete checked)", store.describe());
                    true
                }
                Err(e) => {
                    let _ = writeln!(text, "store: FAIL {}: {e}", store.describe());
                    false
                }
            },
        },
    };
    let tf = std::env::var("GALLEY_TERRAFORM_BIN").unwrap_or_else(|_| "terraform".into());
    let oci = std::env::var("GALLEY_OCI_CLI_BIN").unwrap_or_else(|_| "oci".into());
    for (label, program, args) in [
        ("terraform", tf.as_str(), &["version"][..]),
        ("oci", oci.as_str(), &["--version"][..]),
        ("kubectl", "kubectl", &["version", "--client"][..]),
    ] {
        match galley_runner::version_line(program, args).await {
            Ok(v) => {
                let _ = writeln!(text, "{label}: ok {v}");
            }
            Err(e) => {
                let _ = writeln!(text, "{label}: missing ({e})");
            }
        }
    }
    let _ = writeln!(text, "oci auth: {}", oci_auth_mode());
    Report { text, store_ok }
}
