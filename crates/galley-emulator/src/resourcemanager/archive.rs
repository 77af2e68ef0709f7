//! The stack's Terraform configuration: a zip (`zipFileBase64Encoded`), checked when a stack is created or updated
//! and unpacked into a job's working directory.
//!
//! Every entry must be a plain relative path: no absolute paths, no `..`, no backslashes, no NUL, no symbolic
//! links, so nothing can be written outside the directory it is unpacked into. The archive is also bounded in
//! entries and unpacked size, so a small zip cannot fill the disk.

use std::io::{Cursor, Read as _};
use std::path::{Component, Path, PathBuf};

/// At most this many entries in one configuration zip.
pub const MAX_ENTRIES: usize = 10_000;
/// At most this many unpacked bytes in one configuration zip.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// Why a configuration zip was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    #[error("the configuration source is not a valid zip file: {0}")]
    NotAZip(String),
    #[error(
        "the zip entry {0:?} is not a relative path inside the configuration (absolute, '..', '\\' or NUL)"
    )]
    UnsafePath(String),
    #[error("the zip entry {0:?} is a symbolic link, which a configuration may not contain")]
    Symlink(String),
    #[error("the zip has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    #[error("the zip unpacks to more than {MAX_UNPACKED_BYTES} bytes")]
    TooLarge,
    #[error("the zip contains no Terraform (.tf or .tf.json) file in {0}")]
    NoTerraform(String),
    #[error("the working directory {0:?} is not a relative path inside the configuration")]
    BadWorkingDirectory(String),
    #[error("cannot unpack {path}: {reason}")]
    Io { path: String, reason: String },
}

/// A relative path with only normal components (`a/b.tf`), or `None`.
fn safe_relative(name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains('\\') || name.contains('\0') || name.starts_with('/') {
        return None;
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The working directory as a safe relative path (`None` and `""` mean the zip's root).
pub fn working_directory(dir: Option<&str>) -> Result<Option<PathBuf>, ArchiveError> {
    match dir.map(|d| d.trim_matches('/')) {
        None | Some("" | ".") => Ok(None),
        Some(d) => safe_relative(d).map(Some).ok_or_else(|| ArchiveError::BadWorkingDirectory(d.to_string())),
    }
}

/// One file of the archive.
struct Entry {
    path: PathBuf,
    is_dir: bool,
    size: u64,
    index: usize,
}

fn entries(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<Vec<Entry>, ArchiveError> {
    if archive.len() > MAX_ENTRIES {
        return Err(ArchiveError::TooManyEntries);
    }
    let mut out = Vec::with_capacity(archive.len());
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let file = archive.by_index(index).map_err(|e| ArchiveError::NotAZip(e.to_string()))?;
        let name = file.name().map_err(|e| ArchiveError::NotAZip(e.to_string()))?.into_owned();
        let path = safe_relative(&name)
            .filter(|_| file.enclosed_name().is_some())
            .ok_or_else(|| ArchiveError::UnsafePath(name.clone()))?;
        if file.is_symlink() {
            return Err(ArchiveError::Symlink(name));
        }
        total = total.saturating_add(file.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(ArchiveError::TooLarge);
        }
        out.push(Entry { path, is_dir: file.is_dir(), size: file.size(), index });
    }
    Ok(out)
}

fn open(zip: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, ArchiveError> {
    zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| ArchiveError::NotAZip(e.to_string()))
}

fn is_terraform(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".tf") || n.ends_with(".tf.json"))
}

/// Checks a configuration zip: every entry safe, within the limits, and at least one Terraform file directly
/// in the working directory (the zip's root when `None`).
pub fn check(zip: &[u8], working_dir: Option<&Path>) -> Result<(), ArchiveError> {
    let mut archive = open(zip)?;
    let entries = entries(&mut archive)?;
    let root = working_dir.unwrap_or(Path::new(""));
    if !entries.iter().any(|e| !e.is_dir && is_terraform(&e.path) && e.path.parent() == Some(root)) {
        let shown =
            if root.as_os_str().is_empty() { "the zip's root".to_string() } else { format!("{root:?}") };
        return Err(ArchiveError::NoTerraform(shown));
    }
    Ok(())
}

/// Unpacks a configuration zip into `dest` (which must exist), after the same checks as [`check`].
pub fn unpack(zip: &[u8], dest: &Path) -> Result<(), ArchiveError> {
    let mut archive = open(zip)?;
    let entries = entries(&mut archive)?;
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |e: std::io::Error| ArchiveError::Io { path, reason: e.to_string() }
    };
    for entry in entries {
        let target = dest.join(&entry.path);
        if entry.is_dir {
            std::fs::create_dir_all(&target).map_err(io(&entry.path))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(&entry.path))?;
        }
        let mut file = archive.by_index(entry.index).map_err(|e| ArchiveError::NotAZip(e.to_string()))?;
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size.min(MAX_UNPACKED_BYTES)).unwrap_or(0));
        // Read at most the declared size (+1 to notice a lying header).
        (&mut file).take(entry.size.saturating_add(1)).read_to_end(&mut bytes).map_err(io(&entry.path))?;
        if bytes.len() as u64 != entry.size {
            return Err(ArchiveError::NotAZip(format!(
                "the size of {:?} does not match its header",
                entry.path
            )));
        }
        std::fs::write(&target, &bytes).map_err(io(&entry.path))?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write as _;

    use super::*;

    /// A zip of `(name, content)` entries (a name ending in `/` is a directory).
    pub(crate) fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, content) in files {
            if let Some(dir) = name.strip_suffix('/') {
                writer.add_directory(dir, options).unwrap();
            } else {
                writer.start_file(*name, options).unwrap();
                writer.write_all(content.as_bytes()).unwrap();
            }
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn safe_paths() {
        for ok in ["main.tf", "a/b.tf", "./c.tf", "dir/"] {
            assert!(safe_relative(ok).is_some(), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x.tf", "a/../../x", "a/../b", "a\\b", "a\0b", "."] {
            assert!(safe_relative(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn checks_and_unpacks() {
        let zip = zip_of(&[("main.tf", "# hi\n"), ("modules/", ""), ("modules/m/x.tf", "# x\n")]);
        check(&zip, None).unwrap();
        check(&zip, Some(Path::new("modules/m"))).unwrap();
        assert!(matches!(check(&zip, Some(Path::new("modules"))), Err(ArchiveError::NoTerraform(_))));
        let dir = tempfile::tempdir().unwrap();
        unpack(&zip, dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("modules/m/x.tf")).unwrap(), "# x\n");
    }

    #[test]
    fn refuses_traversal_and_junk() {
        let zip = zip_of(&[("main.tf", ""), ("../evil.tf", "x")]);
        assert_eq!(check(&zip, None), Err(ArchiveError::UnsafePath("../evil.tf".into())));
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        assert!(unpack(&zip, &inner).is_err());
        assert!(!dir.path().join("evil.tf").exists());
        let zip = zip_of(&[("/abs.tf", "")]);
        assert!(matches!(check(&zip, None), Err(ArchiveError::UnsafePath(_))));
        assert!(matches!(check(b"not a zip", None), Err(ArchiveError::NotAZip(_))));
        assert!(matches!(check(&zip_of(&[("README.md", "")]), None), Err(ArchiveError::NoTerraform(_))));
        assert_eq!(working_directory(Some("../x")), Err(ArchiveError::BadWorkingDirectory("../x".into())));
        assert_eq!(working_directory(Some("/")), Ok(None));
        assert_eq!(working_directory(Some("a/b/")), Ok(Some(PathBuf::from("a/b"))));
    }
}
