//! One fuzz case: the files it starts from (a cohort, shards, simulation results), the command
//! line with `{WORK}` standing for the folder the files are written to, and the environment.
//! A case is saved to a folder (`case.json` plus `files/`) so a failure can be replayed
//! exactly (`TRIALDOSE_FUZZ_REPLAY=DIR`) or by hand (`command.sh`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

/// The placeholder for the case's working folder in its arguments.
pub const WORK: &str = "{WORK}";

/// One case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The fuzz seed.
    pub seed: u64,
    /// The case's number under that seed.
    pub number: u64,
    /// What was drawn: base, mutations, command.
    pub label: String,
    /// Input files by path relative to the working folder.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The command line after `trialdose`, with [`WORK`] placeholders.
    pub args: Vec<String>,
    /// Environment variables set for the run.
    pub env: Vec<(String, String)>,
}

impl Case {
    /// The command's name (`validate`, `analyze`, ..., `simulate clinic`).
    pub fn command(&self) -> String {
        match self.args.first().map(String::as_str) {
            Some("simulate") => format!("simulate {}", self.args.get(1).map_or("", |s| s)),
            Some("plot") => "plot".to_owned(),
            Some(c) => c.to_owned(),
            None => String::new(),
        }
    }

    /// True when the arguments contain `flag`.
    pub fn has(&self, flag: &str) -> bool {
        self.args.iter().any(|a| a == flag)
    }

    /// The value after `flag`, if any.
    pub fn value(&self, flag: &str) -> Option<&str> {
        let i = self.args.iter().position(|a| a == flag)?;
        self.args.get(i + 1).map(String::as_str)
    }

    /// The arguments with the working folder filled in.
    pub fn args_in(&self, work: &Path) -> Vec<String> {
        let w = work.to_string_lossy();
        self.args.iter().map(|a| a.replace(WORK, &w)).collect()
    }

    /// Writes the case to `dir`: `case.json`, `files/` and `command.sh`.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir.join("files"))?;
        for (name, bytes) in &self.files {
            let path = dir.join("files").join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, bytes)?;
        }
        let doc = json!({
            "seed": self.seed,
            "case": self.number,
            "label": self.label,
            "args": self.args,
            "env": self.env.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "files": self.files.keys().collect::<Vec<_>>(),
        });
        std::fs::write(
            dir.join("case.json"),
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
        )?;
        let mut sh = String::from(
            "#!/bin/sh\n# Replays the case by hand from this folder (TRIALDOSE: the binary).\ncd \"$(dirname \"$0\")\" && mkdir -p files/out && \\\n",
        );
        for (k, v) in &self.env {
            sh.push_str(&format!("{k}={} ", shell_quote(v)));
        }
        sh.push_str("\"${TRIALDOSE:-trialdose}\"");
        for a in &self.args {
            sh.push(' ');
            sh.push_str(&shell_quote(&a.replace(WORK, "files")));
        }
        sh.push('\n');
        std::fs::write(dir.join("command.sh"), sh)
    }

    /// Reads a case saved by [`Case::save`].
    pub fn load(dir: &Path) -> Result<Case, String> {
        let text = std::fs::read_to_string(dir.join("case.json"))
            .map_err(|e| format!("reading {}/case.json: {e}", dir.display()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("case.json: {e}"))?;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut files = BTreeMap::new();
        for name in strings(&doc["files"]) {
            let bytes = std::fs::read(dir.join("files").join(&name))
                .map_err(|e| format!("reading files/{name}: {e}"))?;
            files.insert(name, bytes);
        }
        let env = doc["env"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Case {
            seed: doc["seed"].as_u64().unwrap_or(0),
            number: doc["case"].as_u64().unwrap_or(0),
            label: doc["label"].as_str().unwrap_or("").to_owned(),
            files,
            args: strings(&doc["args"]),
            env,
        })
    }
}

/// Single-quotes a word for sh.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
