//! `galley doctor`: what Galley finds on this machine, in plain lines.

use std::fmt::Write as _;

use galley_oci::Env;
use galley_oci::auth::{AuthMode, default_config_path, provider_for_mode};
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

/// The OCI principal Galley would sign with, selected by galley-oci exactly as `serve` selects it
/// (`GALLEY_OCI_AUTH`, default `auto`), and loaded from its files or variables. No network: an instance
/// principal needs the metadata service, so it is named but not loaded.
pub async fn oci_auth_mode(env: &Env) -> String {
    let configured = env.get_nonempty("GALLEY_OCI_AUTH");
    let mode = match AuthMode::parse(configured.as_deref().unwrap_or("auto")) {
        Ok(mode) => mode,
        Err(e) => return format!("FAIL {e}"),
    };
    let why = if mode != AuthMode::Auto {
        "GALLEY_OCI_AUTH".to_owned()
    } else if env.get_nonempty("OCI_RESOURCE_PRINCIPAL_VERSION").is_some() {
        "auto: OCI_RESOURCE_PRINCIPAL_VERSION is set".to_owned()
    } else {
        format!(
            "auto: no Resource Principal environment, so the config file {}",
            default_config_path(env).display()
        )
    };
    if mode == AuthMode::InstancePrincipal {
        return format!(
            "instance_principal ({why}; not loaded here: it needs the instance metadata service, which only answers \
             on an OCI compute instance)"
        );
    }
    match provider_for_mode(mode, env).await {
        Ok(provider) => {
            let region = env
                .get_nonempty("GALLEY_REGION")
                .or_else(|| env.get_nonempty("OCI_REGION"))
                .or_else(|| provider.region().map(|r| r.to_string()))
                .unwrap_or_else(|| "none (set GALLEY_REGION)".to_owned());
            format!("ok {} ({why}), region {region}", provider.kind().as_str())
        }
        Err(e) => format!("none usable ({why}): {e}"),
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
    let _ = writeln!(text, "oci auth: {}", oci_auth_mode(&Env::process()).await);
    Report { text, store_ok }
}
