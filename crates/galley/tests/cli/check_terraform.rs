//! `galley check-terraform DIR`: the offline schema check as a command (exit codes, text and JSON output).

use serde_json::Value;

use super::galley;

const GOOD: &str = r#"
provider "oci" {
  region = "ap-tokyo-1"
}

resource "oci_core_vcn" "main" {
  compartment_id = var.compartment_ocid
  cidr_blocks    = ["10.0.0.0/16"]
}

resource "oci_core_subnet" "private" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.main.id
  cidr_block     = "10.0.1.0/24"
}

variable "compartment_ocid" {}
"#;

const BAD: &str = r#"resource "oci_core_vcn" "main" {
  compartment_id = "ocid1.compartment.oc1..x"
  cidr           = "10.0.0.0/16"
}

resource "oci_core_subnet" "private" {
  vcn_id     = oci_core_vcn.main.id
  cidr_block = "10.0.1.0/24"
}
"#;

fn write_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn run(dir: &tempfile::TempDir, extra: &[&str]) -> (i32, String, String) {
    let out = galley().arg("check-terraform").arg(dir.path()).args(extra).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn check_terraform_good_directory_exits_0() {
    let dir = write_dir(&[("main.tf", GOOD), (".terraform/providers/junk.tf", "not { hcl")]);
    let (code, stdout, stderr) = run(&dir, &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stdout, "0 errors, 0 warnings in 1 file\n");
}

#[test]
fn check_terraform_bad_directory_exits_1_with_locations() {
    let dir = write_dir(&[
        ("main.tf", GOOD),
        ("net/bad.tf", BAD),
        ("net/aws.tf", "resource \"aws_vpc\" \"v\" {}\n"),
    ]);
    let (code, stdout, stderr) = run(&dir, &[]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("net/bad.tf:3: error[unknown_attribute] oci_core_vcn.main.cidr: "), "{stdout}");
    assert!(stdout.contains("did you mean \"cidr_block\"?"), "{stdout}");
    assert!(
        stdout.contains("net/bad.tf:6: error[missing_required] oci_core_subnet.private.compartment_id: "),
        "{stdout}"
    );
    assert!(stdout.contains("net/aws.tf:1: warning[no_schema] aws_vpc.v: "), "{stdout}");
    assert!(stdout.ends_with("2 errors, 1 warning in 3 files\n"), "{stdout}");
}

#[test]
fn check_terraform_json_output_parses() {
    let dir = write_dir(&[("bad.tf", BAD)]);
    let (code, stdout, _) = run(&dir, &["--format", "json"]);
    assert_eq!(code, 1);
    let findings: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let summary: Vec<(String, String, u64, String)> = findings
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                format!("{}.{}", f["address"].as_str().unwrap(), f["path"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("error".into(), "unknown_attribute".into(), 3, "oci_core_vcn.main.cidr".into()),
            ("error".into(), "missing_required".into(), 6, "oci_core_subnet.private.compartment_id".into()),
        ]
    );
    assert!(findings.iter().all(|f| f["file"] == "bad.tf"));

    // Warnings alone do not fail; a parse error does, and the JSON is still an array.
    let dir = write_dir(&[("aws.tf", "resource \"aws_vpc\" \"v\" {}\n")]);
    let (code, stdout, _) = run(&dir, &["--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap()[0]["code"], "no_schema");
    let dir = write_dir(&[("broken.tf", "resource \"oci_core_vcn\" \"v\" {\n")]);
    let (code, stdout, _) = run(&dir, &["--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap()[0]["code"], "parse_error");
}

#[test]
fn check_terraform_missing_directory_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = galley().arg("check-terraform").arg(dir.path().join("nope")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
