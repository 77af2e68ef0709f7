//! The rules of a session's Terraform workspace: which file names are allowed and how big it may grow.
//!
//! A workspace is flat (no sub-directories): `sessions/<id>/terraform/<name>` in the store, one directory on
//! disk when it runs. Names are checked here so that nothing a model sends can escape the workspace, name a
//! file Galley manages itself, or be anything but Terraform configuration.

/// The largest file, in bytes.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// The most files in one workspace.
pub const MAX_FILES: usize = 64;
/// The largest workspace (all files together), in bytes.
pub const MAX_TOTAL_BYTES: usize = 2 * 1024 * 1024;
/// The longest file name.
pub const MAX_NAME_LEN: usize = 100;
/// Extensions a workspace file may have.
pub const EXTENSIONS: [&str; 3] = [".tf", ".tf.json", ".tfvars"];
/// The prefix of file names Galley writes into the working directory itself (the backend configuration).
pub const RESERVED_PREFIX: &str = "galley_";

/// Checks a workspace file name: 1-100 characters of `A-Z a-z 0-9 _ - .`, starting with a letter or digit,
/// ending in `.tf`, `.tf.json` or `.tfvars`, no directories, not starting with `galley_` (Galley's own files).
///
/// # Errors
/// A message naming the rule that is broken and what a valid name looks like.
pub fn validate_file_name(name: &str) -> Result<(), String> {
    let hint =
        "use a plain file name such as main.tf, network.tf, variables.tf, terraform.tfvars or main.tf.json";
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("file name {name:?} must be 1 to {MAX_NAME_LEN} characters; {hint}"));
    }
    if name.contains(['/', '\\']) {
        return Err(format!("file name {name:?} contains a directory; the workspace is flat: {hint}"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(format!("file name {name:?} may contain only letters, digits, '_', '-' and '.'; {hint}"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("file name {name:?} must start with a letter or digit; {hint}"));
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Err(format!("file names starting with {RESERVED_PREFIX:?} are Galley's own; {hint}"));
    }
    if !EXTENSIONS.iter().any(|ext| name.len() > ext.len() && name.ends_with(ext)) {
        return Err(format!("file name {name:?} must end in .tf, .tf.json or .tfvars; {hint}"));
    }
    Ok(())
}

/// Checks one file's size.
///
/// # Errors
/// A message with the size and the limit.
pub fn validate_file_size(name: &str, bytes: usize) -> Result<(), String> {
    if bytes > MAX_FILE_BYTES {
        return Err(format!(
            "{name} is {bytes} bytes, more than the {MAX_FILE_BYTES}-byte limit of one file; split it into several files"
        ));
    }
    Ok(())
}

/// Checks the whole workspace's size (file count and total bytes) after a change.
///
/// # Errors
/// A message with the count or size and the limit.
pub fn validate_workspace_size(files: usize, total_bytes: usize) -> Result<(), String> {
    if files > MAX_FILES {
        return Err(format!(
            "the workspace would have {files} files, more than the limit of {MAX_FILES}; merge or delete files"
        ));
    }
    if total_bytes > MAX_TOTAL_BYTES {
        return Err(format!(
            "the workspace would hold {total_bytes} bytes, more than the limit of {MAX_TOTAL_BYTES}; delete or shrink files"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, ok: bool) {
        assert_eq!(validate_file_name(name).is_ok(), ok, "{name}: {:?}", validate_file_name(name));
    }

    #[test]
    fn file_names() {
        for good in ["main.tf", "network-1.tf", "a_b.tf.json", "terraform.tfvars", "9.tf", "x.auto.tfvars"] {
            check(good, true);
        }
        for bad in [
            "",
            ".tf",
            "../main.tf",
            "a/b.tf",
            "/etc/passwd.tf",
            "main.py",
            "main.tf.bak",
            ".terraform.lock.hcl",
            "galley_backend.tf",
            "main tf.tf",
            "-x.tf",
            "a\\b.tf",
            "main.TF",
            "x.json",
        ] {
            check(bad, false);
        }
        check(&format!("{}.tf", "a".repeat(97)), true);
        check(&format!("{}.tf", "a".repeat(98)), false);
    }

    #[test]
    fn sizes() {
        assert!(validate_file_size("a.tf", MAX_FILE_BYTES).is_ok());
        assert!(validate_file_size("a.tf", MAX_FILE_BYTES + 1).unwrap_err().contains("split"));
        assert!(validate_workspace_size(MAX_FILES, MAX_TOTAL_BYTES).is_ok());
        assert!(validate_workspace_size(MAX_FILES + 1, 0).is_err());
        assert!(validate_workspace_size(1, MAX_TOTAL_BYTES + 1).is_err());
    }
}
