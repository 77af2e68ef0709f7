//! `galley check-terraform DIR`: the offline Terraform schema check over a directory, for people and scripts.
//!
//! Reads every `*.tf` file under DIR (recursively, skipping `.terraform/`), checks each directory as one module
//! against the built-in provider schemas (plus any `--schema FILE`), prints the findings, and exits 1 when any
//! is an error (0 otherwise; 2 when the check cannot run). The check itself is `galley_domain::terraform`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use galley_domain::terraform::{self, Code, Finding, ProviderSchemas, Severity};

/// `galley check-terraform`.
#[derive(Debug, Clone, Args)]
pub struct CheckTerraformArgs {
    /// A directory of Terraform files (searched recursively, `.terraform/` skipped; each directory is one
    /// module), or a single `.tf` file.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Output: `text` (`file:line: error[code] address.path: message` lines) or `json` (an array of findings).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// An extra provider schema, `terraform providers schema -json` output or an extract like
    /// data/terraform/*.json; repeatable. Added to the built-in oracle/oci and hashicorp/random schemas.
    #[arg(long = "schema", value_name = "FILE")]
    pub schemas: Vec<PathBuf>,
}

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// One line per finding, then a summary line.
    #[default]
    Text,
    /// A JSON array of findings (`severity`, `code`, `file`, `line`, `address`, `path`, `message`).
    Json,
}

/// The result of checking a directory.
#[derive(Debug)]
pub struct Outcome {
    /// Every finding, by file and line.
    pub findings: Vec<Finding>,
    /// How many `.tf` files were read.
    pub files: usize,
}

/// Finds the `.tf` files under `root` (or `root` itself), sorted, skipping `.terraform/` and symlinked
/// directories.
fn tf_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(root).with_context(|| format!("cannot read {}", root.display()))?;
    if meta.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let path = entry.path();
            let kind = entry.file_type().with_context(|| format!("cannot stat {}", path.display()))?;
            if kind.is_dir() {
                if entry.file_name() != ".terraform" {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "tf") && (kind.is_file() || path.is_file()) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `root`, with `/` separators (the file name when `root` is the file).
fn display_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).ok().filter(|r| !r.as_os_str().is_empty());
    let shown = rel.unwrap_or_else(|| path.file_name().map_or(path, Path::new));
    shown.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Checks every module (directory) under `root`.
pub fn check_dir(root: &Path, schemas: &ProviderSchemas) -> anyhow::Result<Outcome> {
    let paths = tf_files(root)?;
    if paths.is_empty() {
        bail!("no *.tf files under {}", root.display());
    }
    let mut modules: BTreeMap<PathBuf, Vec<(String, String)>> = BTreeMap::new();
    let mut findings = Vec::new();
    for path in &paths {
        let name = display_name(root, path);
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        match String::from_utf8(bytes) {
            Ok(text) => {
                let module = path.parent().map(Path::to_path_buf).unwrap_or_default();
                modules.entry(module).or_default().push((name, text));
            }
            Err(e) => findings.push(Finding {
                severity: Severity::Error,
                code: Code::ParseError,
                file: name,
                line: None,
                address: String::new(),
                path: String::new(),
                message: format!("not UTF-8 text (Terraform files must be UTF-8): {e}"),
            }),
        }
    }
    for files in modules.values() {
        findings.extend(terraform::check_files(files, schemas));
    }
    findings.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    Ok(Outcome { findings, files: paths.len() })
}

/// The built-in schemas plus the files given with `--schema`.
fn load_schemas(extra: &[PathBuf]) -> anyhow::Result<ProviderSchemas> {
    let mut schemas = ProviderSchemas::builtin().context("the built-in provider schemas are broken")?.clone();
    for path in extra {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        schemas.add_json(&path.display().to_string(), &text)?;
    }
    Ok(schemas)
}

/// What the command prints.
pub fn render(outcome: &Outcome, format: Format) -> anyhow::Result<String> {
    if format == Format::Json {
        let mut out = serde_json::to_string_pretty(&outcome.findings)?;
        out.push('\n');
        return Ok(out);
    }
    let mut out = String::new();
    for f in &outcome.findings {
        let _ = writeln!(out, "{f}");
    }
    let errors = outcome.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = outcome.findings.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "{}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(outcome.files, "file")
    );
    Ok(out)
}

/// Runs the command; returns the exit code (1 when any finding is an error).
pub fn run(args: &CheckTerraformArgs) -> anyhow::Result<i32> {
    let schemas = load_schemas(&args.schemas)?;
    let outcome = check_dir(&args.dir, &schemas)?;
    let text = render(&outcome, args.format)?;
    #[allow(clippy::print_stdout)] // the findings are the command's output
    {
        print!("{text}");
    }
    Ok(if terraform::has_errors(&outcome.findings) { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_modules_and_skips_dot_terraform() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".terraform/modules/x")).unwrap();
        std::fs::create_dir_all(root.join("modules/net")).unwrap();
        std::fs::write(root.join(".terraform/modules/x/main.tf"), "this is not HCL {").unwrap();
        std::fs::write(
            root.join("main.tf"),
            "resource \"oci_core_vcn\" \"v\" {\n  compartment_id = \"c\"\n}\n",
        )
        .unwrap();
        // The same address in another module is not a duplicate.
        std::fs::write(
            root.join("modules/net/main.tf"),
            "resource \"oci_core_vcn\" \"v\" {\n  compartment_id = \"c\"\n  cidr = 1\n}\n",
        )
        .unwrap();
        std::fs::write(root.join("notes.txt"), "not terraform").unwrap();
        let outcome = check_dir(root, ProviderSchemas::builtin().unwrap()).unwrap();
        assert_eq!(outcome.files, 2);
        let lines: Vec<String> = outcome.findings.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("modules/net/main.tf:3: error[unknown_attribute] oci_core_vcn.v.cidr: ")
        );
        let text = render(&outcome, Format::Text).unwrap();
        assert!(text.ends_with("1 error, 0 warnings in 2 files\n"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&render(&outcome, Format::Json).unwrap()).unwrap();
        assert_eq!(json[0]["code"], "unknown_attribute");

        // A single file works too; an empty directory is an error.
        let one = check_dir(&root.join("main.tf"), ProviderSchemas::builtin().unwrap()).unwrap();
        assert_eq!((one.files, one.findings.len()), (1, 0));
        let empty = tempfile::tempdir().unwrap();
        assert!(check_dir(empty.path(), ProviderSchemas::builtin().unwrap()).is_err());
    }

    #[test]
    fn extra_schemas_are_merged() {
        let dir = tempfile::tempdir().unwrap();
        let schema = dir.path().join("acme.json");
        std::fs::write(
            &schema,
            r#"{"format_version":"1.0","provider_schemas":{"registry.terraform.io/acme/acme":{
                "resource_schemas":{"acme_thing":{"block":{"attributes":{"name":{"type":"string","required":true}}}}}}}}"#,
        )
        .unwrap();
        let schemas = load_schemas(std::slice::from_ref(&schema)).unwrap();
        assert!(schemas.provider("acme").is_some() && schemas.provider("oci").is_some());
        std::fs::write(&schema, "{").unwrap();
        assert!(load_schemas(&[schema]).is_err());
    }
}
