//! What several test files share: the real-world corpus of OpenAPI specs.

use std::path::PathBuf;

use serde_json::Value;

/// Where the corpus is: `INVENT_CORPUS_DIR`, else `../shared/corpus/specs` next to the repository
/// (`/work/wt/NAME/../shared`: a worktree needs the `shared` symlink beside it).
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("INVENT_CORPUS_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/specs"),
    }
}

/// Every `*.json` spec of the corpus, parsed, sorted by file name. Panics when the directory is missing,
/// holds no spec, or a spec is unreadable: a corpus test that finds nothing must fail, not pass.
pub fn corpus() -> Vec<(String, Value)> {
    let dir = corpus_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "corpus not found at {} ({e}); link the shared material beside the repository \
             (ln -sfn /work/shared ../shared) or set INVENT_CORPUS_DIR",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no *.json spec in the corpus at {}: the corpus tests would check nothing",
        dir.display()
    );
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let spec = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", p.display()));
            (p.file_name().unwrap_or_default().to_string_lossy().into_owned(), spec)
        })
        .collect()
}
