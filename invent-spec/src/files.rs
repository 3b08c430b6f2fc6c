//! Spec files in and out: the default file names, JSON reading with one-line errors, the overrides
//! beside a spec, atomic writes, and writes that leave an unchanged file alone (build scripts).

use std::io::Write as _;
use std::path::Path;

use serde_json::Value;

/// The vendored spec, relative to the working directory.
pub const DEFAULT_SPEC: &str = "openapi.json";
/// Overrides `build.rs` applies; looked up beside the spec.
pub const OVERRIDES_FILE: &str = "spec-overrides.json";
/// The surface snapshot; written beside the spec.
pub const SURFACE_FILE: &str = "api-surface.txt";

/// Parses JSON text, naming `name` and the position on error.
pub fn parse_json(bytes: &[u8], name: &str) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{name}: not valid JSON: {e}"))
}

/// Reads and parses a JSON file.
pub fn read_json_file(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{}: file not found", path.display()),
        _ => format!("{}: cannot read: {e}", path.display()),
    })?;
    parse_json(&bytes, &path.display().to_string())
}

/// `spec-overrides.json` in the spec's directory, if there is one (as `build.rs` reads it).
pub fn overrides_beside(spec: &Path) -> Result<Option<Value>, String> {
    let path = spec.with_file_name(OVERRIDES_FILE);
    if path.is_file() {
        read_json_file(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// Writes `contents` to a temporary file in the same directory, then renames it over `path`: readers
/// see the old file or the new one, never a partial write.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map_or_else(|| "spec".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: cannot write: {e}", path.display()));
    }
    Ok(())
}

/// Writes `contents` unless `path` already holds exactly that: rewriting an unchanged generated file
/// would make cargo recompile the crate for nothing.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()))
}

/// Deletes files under `dir` not in `keep` (parts of types or operations the spec no longer has), so a
/// generated directory holds exactly what this run wrote.
pub fn remove_stale(dir: &Path, keep: &std::collections::BTreeSet<std::path::PathBuf>) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_stale(&path, keep)?;
        } else if !keep.contains(&path) {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("invent-spec-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(write_atomic(&dir.join("missing/x.json"), b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let dir = std::env::temp_dir().join(format!("invent-spec-unchanged-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("g.rs");
        write_if_changed(&path, "a").unwrap();
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_if_changed(&path, "a").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), before);
        write_if_changed(&path, "b").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
