//! `run_oci_cli` through the real server, with a fake `oci` (a shell script that prints its argv as JSON, or
//! misbehaves on request): argv passing, the injected --auth and --endpoint, the policy's refusals, the read-only
//! mode, output capping, JSON parsing, redaction and timeouts. (The real OCI CLI against the emulator comes with
//! the emulator.)

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};

use super::{Mcp, Server, TOKEN, free_port, galley, rt};

/// Prints `{"argv": [...]}`; arguments named `fake-*` make it misbehave instead.
const FAKE_OCI: &str = r#"#!/bin/sh
for a in "$@"; do
  case "$a" in
    fake-big-json)
      printf '{"data":['
      i=0
      while [ $i -lt 2000 ]; do
        [ $i -gt 0 ] && printf ','
        printf '{"id":"ocid1.bucket.%d","name":"bucket-%d","etag":"%d"}' $i $i $i
        i=$((i+1))
      done
      printf ']}\n'
      exit 0;;
    fake-big-text)
      i=0
      while [ $i -lt 5000 ]; do echo "line $i of the output"; i=$((i+1)); done
      exit 0;;
    fake-fail)
      echo 'ServiceError: {"code": "NotAuthorizedOrNotFound", "status": 404}' >&2
      exit 3;;
    fake-secret)
      printf -- '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n'
      echo 'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl end'
      exit 0;;
    fake-secret-json)
      echo '{"data":{"token":"abc123","description":"mine"}}'
      exit 0;;
    fake-sleep)
      sleep 30
      exit 0;;
    fake-warn)
      echo 'WARNING: something to know' >&2;;
  esac
done
printf '{"argv":['
sep=''
for a in "$@"; do
  e=$(printf '%s' "$a" | sed 's/\\/\\\\/g; s/"/\\"/g')
  printf '%s"%s"' "$sep" "$e"
  sep=','
done
printf ']}\n'
"#;

fn fake_oci(dir: &Path) -> PathBuf {
    let path = dir.join("oci");
    std::fs::write(&path, FAKE_OCI).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A server with the fake CLI and the given environment (OCI variables of the test's own environment removed).
fn server(fake: &Path, env: &[(&str, &str)], extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = galley();
    cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--store", "memory://", "--token", TOKEN])
        .args(extra)
        .env("GALLEY_OCI_CLI_BIN", fake);
    for (k, _) in std::env::vars() {
        if k.starts_with("GALLEY_OCI_ENDPOINT_")
            || k.starts_with("OCI_RESOURCE_PRINCIPAL")
            || k == "GALLEY_OCI_AUTH"
        {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    Server::spawn(cmd, port)
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect()
}

#[test]
fn run_oci_cli_passes_argv_injects_auth_and_endpoint_and_enforces_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_oci(dir.path());
    let server = server(
        &fake,
        &[
            ("GALLEY_OCI_AUTH", "resource_principal"),
            ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", "http://127.0.0.1:9"),
        ],
        &[],
    );
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        // argv as given, with --auth and the operator's endpoint for `os` in front; JSON output parsed.
        let out = mcp
            .ok("run_oci_cli", json!({"args": ["os", "ns", "get", "--compartment-id", "a b \"c\""]}))
            .await;
        assert_eq!(
            strings(&out["output"]["argv"]),
            [
                "--auth",
                "resource_principal",
                "--endpoint",
                "http://127.0.0.1:9",
                "os",
                "ns",
                "get",
                "--compartment-id",
                "a b \"c\""
            ]
        );
        assert_eq!(
            (out["output_format"].as_str(), out["class"].as_str(), out["exit_code"].as_i64()),
            (Some("json"), Some("read"), Some(0))
        );
        assert_eq!(strings(&out["command"])[..3], ["oci", "--auth", "resource_principal"]);
        assert_eq!(out["truncated"], false);
        // No endpoint override for compute; a leading "oci" is dropped.
        let out =
            mcp.ok("run_oci_cli", json!({"args": ["oci", "compute", "instance", "list", "-c", "x"]})).await;
        assert_eq!(
            strings(&out["output"]["argv"]),
            ["--auth", "resource_principal", "compute", "instance", "list", "-c", "x"]
        );

        // Refusals: the model's own --endpoint (both forms), a delete without confirmation, server files.
        for args in [
            json!(["os", "ns", "get", "--endpoint", "http://evil.example"]),
            json!(["os", "ns", "get", "--endpoint=http://evil.example"]),
        ] {
            let e = mcp.err("run_oci_cli", json!({"args": args})).await;
            assert!(e.contains("--endpoint is not allowed"), "{e}");
        }
        let delete = json!(["os", "object", "delete", "--bucket-name", "b", "--object-name", "o", "--force"]);
        let e = mcp.err("run_oci_cli", json!({"args": delete})).await;
        assert!(e.contains("confirm_destructive=true") && e.contains("oci os object delete"), "{e}");
        let out = mcp.ok("run_oci_cli", json!({"args": delete, "confirm_destructive": true})).await;
        assert_eq!(out["class"], "destructive");
        assert_eq!(strings(&out["output"]["argv"]).last(), Some(&"--force"));
        let e = mcp
            .err("run_oci_cli", json!({"args": ["os", "object", "put", "-bn", "b", "--file", "/etc/passwd"]}))
            .await;
        assert!(e.contains("--file reads or writes a file"), "{e}");
        let e = mcp.err("run_oci_cli", json!({"args": ["os", "ns", "get", "--profile", "OTHER"]})).await;
        assert!(e.contains("--profile is not allowed"), "{e}");
        let e = mcp.err("run_oci_cli", json!({"args": []})).await;
        assert!(e.contains("args is empty"), "{e}");
        let e = mcp.err("run_oci_cli", json!({"args": ["os", "ns", "get"], "timeout_seconds": 601})).await;
        assert!(e.contains("timeout_seconds must be 1-600"), "{e}");

        // Large JSON is summarised within the cap; large text keeps its tail with the total size.
        let out = mcp
            .ok(
                "run_oci_cli",
                json!({"args": ["os", "bucket", "list", "fake-big-json"], "max_output_chars": 2000}),
            )
            .await;
        assert_eq!((out["output_format"].as_str(), out["truncated"].as_bool()), (Some("json"), Some(true)));
        assert!(out["output"].to_string().len() <= 2000, "{}", out["output"]);
        assert!(out["output_chars"].as_u64().unwrap() > 100_000);
        let note = out["note"].as_str().unwrap();
        assert!(note.contains("summary") && note.contains("--query"), "{note}");
        let out = mcp
            .ok(
                "run_oci_cli",
                json!({"args": ["os", "bucket", "list", "fake-big-text"], "max_output_chars": 1000}),
            )
            .await;
        let text = out["output"].as_str().unwrap();
        assert_eq!((out["output_format"].as_str(), out["truncated"].as_bool()), (Some("text"), Some(true)));
        assert!(text.ends_with("line 4999 of the output\n") && text.len() <= 1000, "{text}");
        let total = out["output_chars"].as_u64().unwrap();
        assert!(
            out["note"].as_str().unwrap().contains(&format!("the output was {total} characters")),
            "{out}"
        );

        // Failures: exit code and stderr in the error; stderr warnings on success are returned.
        let e = mcp.err("run_oci_cli", json!({"args": ["os", "bucket", "get", "fake-fail"]})).await;
        assert!(e.contains("exited with code 3") && e.contains("NotAuthorizedOrNotFound"), "{e}");
        let out = mcp.ok("run_oci_cli", json!({"args": ["os", "bucket", "get", "fake-warn"]})).await;
        assert_eq!(out["stderr_tail"], "WARNING: something to know");

        // Secrets never come back.
        let out = mcp.ok("run_oci_cli", json!({"args": ["os", "bucket", "get", "fake-secret"]})).await;
        let text = out["output"].as_str().unwrap();
        assert!(
            !text.contains("MIIEow") && !text.contains("eyJhbGci") && text.contains("[redacted"),
            "{text}"
        );
        let out =
            mcp.ok("run_oci_cli", json!({"args": ["iam", "auth-token", "get", "fake-secret-json"]})).await;
        assert_eq!(out["output"]["data"], json!({"token": "[redacted]", "description": "mine"}));
        let out = mcp
            .ok(
                "run_oci_cli",
                json!({"args": ["db", "autonomous-database", "get", "--admin-password", "Sup3r-Secret"]}),
            )
            .await;
        assert!(!out["command"].to_string().contains("Sup3r-Secret"), "{out}");

        // Timeouts stop the CLI.
        let started = std::time::Instant::now();
        let e = mcp
            .err("run_oci_cli", json!({"args": ["os", "bucket", "get", "fake-sleep"], "timeout_seconds": 1}))
            .await;
        assert!(e.contains("did not finish within 1 s"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(15));
    });
    let log = server.stderr();
    assert!(!log.contains("Sup3r-Secret"), "secret in the log:\n{log}");
}

#[test]
fn run_oci_cli_in_read_only_mode_reads_but_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_oci(dir.path());
    let server = server(&fake, &[("GALLEY_OCI_AUTH", "instance_principal")], &["--mode", "read-only"]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let v = mcp.rpc("tools/list", json!({})).await;
        let names: Vec<&str> =
            v["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"run_oci_cli") && !names.contains(&"create_session"), "{names:?}");
        let out =
            mcp.ok("run_oci_cli", json!({"args": ["os", "bucket", "list", "--compartment-id", "c"]})).await;
        assert_eq!(strings(&out["output"]["argv"])[..2], ["--auth", "instance_principal"]);
        let e = mcp.err("run_oci_cli", json!({"args": ["os", "bucket", "create", "--name", "b"]})).await;
        assert!(e.contains("read-only mode"), "{e}");
        let e = mcp
            .err(
                "run_oci_cli",
                json!({"args": ["os", "bucket", "delete", "--name", "b"], "confirm_destructive": true}),
            )
            .await;
        assert!(e.contains("read-only mode"), "{e}");
    });
}

#[test]
fn run_oci_cli_auto_auth_uses_the_resource_principal_environment() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_oci(dir.path());
    let server = server(
        &fake,
        &[("GALLEY_OCI_AUTH", "auto"), ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")],
        &["--mode", "plan"],
    );
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let out = mcp.ok("run_oci_cli", json!({"args": ["iam", "region", "list"]})).await;
        assert_eq!(
            strings(&out["output"]["argv"]),
            ["--auth", "resource_principal", "iam", "region", "list"]
        );
        let e =
            mcp.err("run_oci_cli", json!({"args": ["compute", "instance", "launch", "--shape", "x"]})).await;
        assert!(e.contains("plan mode"), "{e}");
    });
}

#[test]
fn run_oci_cli_bad_configuration_stops_start_up() {
    let out = galley()
        .args(["serve", "--stdio", "--store", "memory://"])
        .env("GALLEY_OCI_AUTH", "magic")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("GALLEY_OCI_AUTH=\"magic\" is not one of"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
