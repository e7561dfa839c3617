//! What the cases start from, built once per run: the example cohort `data/dream-like`, small
//! cohorts written by `trialdose generate` (seeds derived from the fuzz seed), and simulation
//! results (`--shard` parts for `simulate merge`, whole runs for `--sim`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// A cohort's files by name.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Base inputs of every case.
pub struct Bases {
    /// Cohorts by name.
    pub cohorts: Vec<(String, Files)>,
    /// Shard sets for `simulate merge`: the command that wrote them and the parts in order.
    pub shards: Vec<(String, Vec<Vec<u8>>)>,
    /// A whole `simulate clinic --json` result (for `plot predictive` and `report --sim`).
    pub clinic_json: Vec<u8>,
    /// A whole `simulate sample-size --json` result (for `plot power` and `report --sim`).
    pub sample_size_json: Vec<u8>,
}

/// Runs the binary; true when it succeeded.
fn try_run(args: &[&str]) -> bool {
    Command::new(env!("CARGO_BIN_EXE_trialdose"))
        .args(args)
        .output()
        .expect("running trialdose")
        .status
        .success()
}

/// Runs the binary and insists on success (the bases are well-formed inputs).
fn run(args: &[&str]) {
    assert!(
        try_run(args),
        "building the fuzz bases: trialdose {args:?} failed"
    );
}

fn read_cohort(dir: &Path) -> Files {
    ["participants.csv", "sessions.csv", "scores.csv"]
        .iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(f))
                .unwrap_or_else(|e| panic!("reading {}/{f}: {e}", dir.display()));
            ((*f).to_owned(), bytes)
        })
        .collect()
}

impl Bases {
    /// Builds the bases for `seed` in the temporary folder `tmp`.
    pub fn build(seed: u64, tmp: &Path) -> Bases {
        let mut cohorts = Vec::new();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dream-like");
        cohorts.push(("dream-like".to_owned(), read_cohort(&example)));
        let generated: [(u64, &[&str]); 3] =
            [(12, &[]), (40, &[]), (90, &["--outlier-site", "Site B"])];
        for (i, (n, extra)) in generated.iter().enumerate() {
            let dir = tmp.join(format!("gen{i}"));
            let s = seed.wrapping_add(i as u64).to_string();
            let n = n.to_string();
            let mut args = vec![
                "generate",
                dir.to_str().expect("temporary paths are UTF-8"),
                "--participants",
                &n,
                "--seed",
                &s,
            ];
            args.extend_from_slice(extra);
            run(&args);
            cohorts.push((format!("generate {n} seed {s}"), read_cohort(&dir)));
        }
        let sims: [(&str, &[&str], u64); 3] = [
            (
                "clinic",
                &[
                    "clinic",
                    "--schedule",
                    "60x2",
                    "--patients",
                    "20",
                    "--reps",
                    "200",
                ],
                3,
            ),
            (
                "trial",
                &[
                    "trial",
                    "--arms",
                    "control,60x2,60x3",
                    "--per-arm",
                    "20",
                    "--reps",
                    "120",
                ],
                2,
            ),
            (
                "sample-size",
                &[
                    "sample-size",
                    "--arms",
                    "control,60x2",
                    "--truth",
                    "control=0.26,60x2=0.63",
                    "--reps",
                    "60",
                ],
                2,
            ),
        ];
        let mut shards = Vec::new();
        let mut whole = BTreeMap::new();
        for (name, args, parts) in sims {
            let s = seed.to_string();
            let mut set = Vec::new();
            for k in 0..=parts {
                // k = 0: the whole run; 1..=parts: the shards.
                let out = tmp.join(format!("{name}-{k}.json"));
                let shard = format!("{k}/{parts}");
                let mut a = vec!["simulate"];
                a.extend_from_slice(args);
                a.extend_from_slice(&["--seed", &s, "--json", "--quiet", "--out"]);
                a.push(out.to_str().expect("temporary paths are UTF-8"));
                if k > 0 {
                    a.extend_from_slice(&["--shard", &shard]);
                    // A command that cannot be sharded has no shards to merge.
                    if !try_run(&a) {
                        break;
                    }
                } else {
                    run(&a);
                }
                let bytes = std::fs::read(&out).expect("reading a simulation result");
                if k == 0 {
                    whole.insert(name, bytes);
                } else {
                    set.push(bytes);
                }
            }
            if !set.is_empty() {
                shards.push((format!("simulate {}", args.join(" ")), set));
            }
        }
        Bases {
            cohorts,
            shards,
            clinic_json: whole.remove("clinic").unwrap_or_default(),
            sample_size_json: whole.remove("sample-size").unwrap_or_default(),
        }
    }
}
