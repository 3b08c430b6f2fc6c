//! Where a client's drift report goes: appended to a JSON-lines file, one finding per line with the
//! counts since the last write, in one `write` call so reports of concurrent processes (a test suite's
//! binaries sharing `INVENT_DRIFT_FILE`) do not interleave inside a line. Readers add the counts up.

use std::io::Write as _;
use std::path::Path;

/// Appends `lines` (complete lines) to `path`, creating it.
pub(crate) fn append(path: &Path, lines: &str) -> std::io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(lines.as_bytes())?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_whole_lines_and_creates_the_file() {
        let dir = std::env::temp_dir().join(format!("invent-drift-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("d.jsonl");
        let _ = std::fs::remove_file(&path);
        append(&path, "{\"a\":1}\n").unwrap();
        append(&path, "").unwrap();
        append(&path, "{\"b\":2}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n{\"b\":2}\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
