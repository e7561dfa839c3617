//! Runs one case's command in its working folder with a time limit, and collects what it did:
//! exit code or signal, stdout, stderr, every file it wrote under `{WORK}/out`, hidden files
//! left there, and whether any input file changed.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::case::Case;

/// What one run did.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Exit code, when the process exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// True when it was killed for running past the time limit.
    pub timed_out: bool,
    /// Wall time.
    pub elapsed: Duration,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
    /// Files written under `out/`, by relative path (hidden files excluded).
    pub outputs: BTreeMap<String, Vec<u8>>,
    /// Hidden files left under `out/`.
    pub hidden: Vec<String>,
    /// Input files whose bytes changed.
    pub inputs_changed: Vec<String>,
}

impl Outcome {
    /// Stdout and stderr as text, for messages.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

/// Writes the case's files into `work`.
pub fn materialize(case: &Case, work: &Path) {
    for (name, bytes) in &case.files {
        let path = work.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("creating a case folder");
        }
        std::fs::write(&path, bytes).expect("writing a case file");
    }
}

fn collect(dir: &Path, prefix: &str, outcome: &mut Outcome) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        let path = e.path();
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(_) => continue,
        };
        if e.file_name().to_string_lossy().starts_with('.') {
            outcome.hidden.push(name);
        } else if meta.is_dir() {
            collect(&path, &format!("{name}/"), outcome);
        } else if meta.is_file() {
            outcome
                .outputs
                .insert(name, std::fs::read(&path).unwrap_or_default());
        } else {
            outcome
                .outputs
                .insert(name, b"<not a regular file>".to_vec());
        }
    }
}

/// Runs `args` (placeholders filled) for `case` in `work` (already materialized), with an
/// empty `out/` folder, killing it after `timeout`.
pub fn execute(case: &Case, work: &Path, args: &[String], timeout: Duration) -> Outcome {
    let out = work.join("out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("creating the output folder");
    let stdout_path = work.join(".stdout");
    let stderr_path = work.join(".stderr");
    let file = |p: &Path| std::fs::File::create(p).expect("creating a capture file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trialdose"));
    cmd.args(args)
        .current_dir(work)
        .env_remove("RUST_BACKTRACE")
        .env_remove("TRIALDOSE_PSEUDONYM_KEY")
        .stdin(Stdio::null())
        .stdout(file(&stdout_path))
        .stderr(file(&stderr_path));
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("starting trialdose");
    let mut outcome = Outcome::default();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for trialdose") {
            break status;
        }
        if start.elapsed() > timeout {
            outcome.timed_out = true;
            let _ = child.kill();
            break child.wait().expect("reaping trialdose");
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    outcome.elapsed = start.elapsed();
    outcome.code = status.code();
    outcome.signal = status.signal();
    outcome.stdout = std::fs::read(&stdout_path).unwrap_or_default();
    outcome.stderr = std::fs::read(&stderr_path).unwrap_or_default();
    collect(&out, "", &mut outcome);
    for (name, bytes) in &case.files {
        if std::fs::read(work.join(name)).ok().as_deref() != Some(bytes.as_slice()) {
            outcome.inputs_changed.push(name.clone());
        }
    }
    outcome
}
