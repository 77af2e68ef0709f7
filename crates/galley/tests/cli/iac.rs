//! `export_iac`'s output against the real tools: every example design's generated Terraform is written to a
//! directory and must pass the real `terraform fmt -check` (the emitter's alignment and blank-line rules are
//! ours, so only Terraform itself can referee them) and `galley check-terraform` (the offline provider-schema
//! check, as the command users run). Without `terraform` on PATH the fmt part is skipped with a reason, unless
//! `GALLEY_REQUIRE_TOOLS=1`. Run alone with `cargo test -p galley --test cli iac`.

use std::path::Path;
use std::process::Command;

use galley_domain::architecture::Architecture;
use galley_domain::catalog::ServiceCatalog;
use galley_domain::design::{patterns, propose};
use galley_domain::hearing::{AnswerInput, AnswerSource, Session};
use galley_domain::iac::{IacOptions, example_architectures, generate};
use galley_domain::ids::SessionId;
use galley_domain::locale::Locale;

use super::galley;

/// Writes each example's files to `<dir>/<example>/` and returns the example names.
fn write_examples(dir: &Path) -> Vec<String> {
    let catalog = ServiceCatalog::builtin().unwrap();
    let mut names = Vec::new();
    for (name, arch) in example_architectures(&catalog).unwrap() {
        let export = generate(&arch, &catalog, &IacOptions::default()).unwrap();
        let sub = dir.join(&name);
        std::fs::create_dir_all(&sub).unwrap();
        for f in &export.files {
            std::fs::write(sub.join(&f.name), &f.content).unwrap();
        }
        names.push(name);
    }
    assert_eq!(names.len(), 4, "expected the four example designs");
    // And every proposal pattern on an EC-site hearing: what propose_architecture saves is exported too.
    for (name, arch) in proposals(&catalog) {
        let export = generate(&arch, &catalog, &IacOptions::default()).unwrap();
        let sub = dir.join(&name);
        std::fs::create_dir_all(&sub).unwrap();
        for f in &export.files {
            std::fs::write(sub.join(&f.name), &f.content).unwrap();
        }
        names.push(name);
    }
    names
}

/// One architecture per proposal pattern, from a hearing answered like an EC site.
fn proposals(catalog: &ServiceCatalog) -> Vec<(String, Architecture)> {
    let questions = galley_domain::hearing::Catalog::builtin().unwrap();
    let now: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let id = SessionId::from_uuid(uuid::Uuid::nil());
    let mut session = Session::new(id, "Acme", "EC", Locale::En, None, now).unwrap();
    let answers: Vec<AnswerInput> = super::design::EC_SITE
        .iter()
        .map(|(q, v)| AnswerInput {
            question_id: (*q).to_owned(),
            value: serde_json::from_str(v).unwrap(),
            source: AnswerSource::Customer,
            note: None,
        })
        .collect();
    session.record_answers(&questions, &answers, now).unwrap();
    patterns()
        .iter()
        .map(|p| {
            let proposal = propose(&session, &questions, catalog, Locale::En, Some(p.id)).unwrap();
            let mut arch = Architecture::new(id, None, now);
            arch.replace(catalog, proposal.architecture, Some(p.id.to_owned()), now).unwrap();
            (format!("proposal-{}", p.id), arch)
        })
        .collect()
}

fn terraform_available() -> bool {
    let found = Command::new("terraform").arg("version").output().is_ok_and(|o| o.status.success());
    if !found {
        let reason =
            "terraform is not on PATH, so the real `terraform fmt -check` of the generated files was skipped";
        if std::env::var("GALLEY_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{reason} (GALLEY_REQUIRE_TOOLS=1)");
        }
        eprintln!("skipped: {reason}");
    }
    found
}

#[test]
fn generated_terraform_is_fmt_clean_for_real_terraform() {
    if !terraform_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_examples(dir.path());
    // Terraform warns on every command when TF_CLI_CONFIG_FILE points nowhere: give it an empty config.
    let cli_config = dir.path().join("terraformrc");
    std::fs::write(&cli_config, "").unwrap();
    let out = Command::new("terraform")
        .args(["fmt", "-check", "-diff", "-recursive"])
        .arg(dir.path())
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform fmt would change the generated files:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn generated_terraform_passes_galley_check_terraform() {
    let dir = tempfile::tempdir().unwrap();
    for name in write_examples(dir.path()) {
        let out = galley().arg("check-terraform").arg(dir.path().join(&name)).output().unwrap();
        assert!(
            out.status.success(),
            "{name}: check-terraform failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
