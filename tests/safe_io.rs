//! Files no one can redirect and inputs that cannot hang the tool (issue 13, items 3 and 4):
//! links planted at output and temporary names, a symlinked `charts/`, FIFOs and devices as
//! outputs and inputs, the output folder under another name of the cohort folder, the lock
//! of an output folder, stale temporary files of killed runs, and the marker of a run that
//! failed half-way. Every run has a time limit (a hang fails the test instead of blocking
//! it) and an address-space limit (a run that reads `/dev/zero` dies instead of eating the
//! machine's memory).

mod util;

use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::dream_like;

/// What a run produced; `code` is `None` when it was killed (time limit, or a signal).
struct Run {
    code: Option<i32>,
    stderr: String,
    args: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "trialdose {}\nexit: {:?}\n--- stderr ---\n{}",
            self.args, self.code, self.stderr
        )
    }
}

/// Longest a run may take here (the cohorts are small: a normal run takes well under a second).
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Address space a run may use: enough for these cohorts, far less than `/dev/zero` would take.
const MEMORY_LIMIT: u64 = 4 << 30;

/// Runs `program args` with the time and memory limits; a run past the time limit is killed.
fn run_limited(program: &OsStr, args: &[OsString]) -> Run {
    let logs = tempfile::tempdir().unwrap();
    let err_path = logs.path().join("stderr");
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err_path).unwrap());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("starting the run");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.and_then(|s| s.code()),
        stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        args: args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Runs the real binary with the limits.
fn trialdose<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    run_limited(OsStr::new(env!("CARGO_BIN_EXE_trialdose")), &args)
}

/// A temporary folder with a copy of the example cohort in `cohort/`.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = tmp.path().join("cohort");
    fs::create_dir(&cohort).unwrap();
    let source = dream_like().expect("the example cohort data/dream-like");
    for name in ["participants.csv", "sessions.csv", "scores.csv"] {
        fs::copy(source.join(name), cohort.join(name)).unwrap();
    }
    (tmp, cohort)
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a plain system call with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// A file outside every output folder that a planted link points to, and its content.
const VICTIM_TEXT: &str = "a file the runner can write but the tool must never touch\n";

fn victim(dir: &Path) -> PathBuf {
    let path = dir.join("victim.txt");
    fs::write(&path, VICTIM_TEXT).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn assert_untouched(victim: &Path, run: &Run) {
    assert_eq!(
        fs::read_to_string(victim).unwrap(),
        VICTIM_TEXT,
        "the file a planted link points to was changed\n{run}"
    );
}

fn analyze(cohort: &Path, out: &Path) -> Run {
    trialdose([
        OsStr::new("analyze"),
        cohort.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ])
}

const ANALYZE_OUTPUTS: [&str; 7] = [
    "rejections.csv",
    "participants.csv",
    "arms.csv",
    "comparisons.csv",
    "trend.csv",
    "table1.csv",
    "summary.json",
];

#[test]
fn links_planted_at_temporary_names_redirect_nothing() {
    // Earlier releases wrote `.NAME.tmp-PID` with O_CREAT|O_TRUNC: a link planted under the
    // next PIDs had a run empty and overwrite the file it points to. Links are planted under
    // the next 3000 PIDs for every output; the temporary names are random now.
    let (tmp, cohort) = workspace();
    let victim = victim(tmp.path());
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    let mut probe = Command::new("true").spawn().unwrap();
    let next = probe.id() + 1;
    probe.wait().unwrap();
    for pid in next..next + 3000 {
        for name in ANALYZE_OUTPUTS {
            symlink(&victim, out.join(format!(".{name}.tmp-{pid}"))).unwrap();
        }
        symlink(&victim, out.join(format!(".trialdose-probe-{pid}"))).unwrap();
    }
    let run = analyze(&cohort, &out);
    assert_eq!(run.code, Some(0), "{run}");
    assert_untouched(&victim, &run);
    for name in ANALYZE_OUTPUTS {
        assert!(
            fs::symlink_metadata(out.join(name)).unwrap().is_file(),
            "{name}"
        );
    }
}

#[test]
fn a_link_or_special_file_at_an_output_name_is_refused() {
    let (tmp, cohort) = workspace();
    let victim = victim(tmp.path());
    for name in ANALYZE_OUTPUTS {
        for planted in ["link", "fifo", "folder"] {
            let out = tmp.path().join(format!("out-{name}-{planted}"));
            fs::create_dir(&out).unwrap();
            let at = out.join(name);
            match planted {
                "link" => symlink(&victim, &at).unwrap(),
                "fifo" => mkfifo(&at),
                _ => fs::create_dir(&at).unwrap(),
            }
            let run = analyze(&cohort, &out);
            assert_eq!(run.code, Some(73), "{planted} at {name}\n{run}");
            let what = match planted {
                "link" => "is a symbolic link",
                "fifo" => "is a FIFO",
                _ => "is a folder",
            };
            assert!(
                run.stderr.contains(&at.display().to_string()) && run.stderr.contains(what),
                "the message names the path and what is there\n{run}"
            );
            assert_untouched(&victim, &run);
            // The planted entry is left as it was.
            let meta = fs::symlink_metadata(&at).unwrap();
            match planted {
                "link" => assert!(meta.file_type().is_symlink()),
                "fifo" => assert!(!meta.is_file() && !meta.is_dir()),
                _ => assert!(meta.is_dir()),
            }
        }
    }
    // A single-file output (`simulate --out`, `plot --out`) is checked the same way.
    let link = tmp.path().join("sim.json");
    symlink(&victim, &link).unwrap();
    let run = trialdose([
        OsStr::new("simulate"),
        OsStr::new("clinic"),
        OsStr::new("--schedule"),
        OsStr::new("60x2"),
        OsStr::new("--patients"),
        OsStr::new("20"),
        OsStr::new("--reps"),
        OsStr::new("100"),
        OsStr::new("--out"),
        link.as_os_str(),
    ]);
    assert_eq!(run.code, Some(73), "{run}");
    assert_untouched(&victim, &run);
    let fifo = tmp.path().join("chart.svg");
    mkfifo(&fifo);
    let run = trialdose([
        OsStr::new("plot"),
        OsStr::new("rates"),
        cohort.as_os_str(),
        OsStr::new("--out"),
        fifo.as_os_str(),
    ]);
    assert_eq!(run.code, Some(73), "{run}");
    assert!(run.stderr.contains("is a FIFO"), "{run}");
}

#[test]
fn a_symlinked_charts_folder_is_refused() {
    let (tmp, cohort) = workspace();
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let out = tmp.path().join("rep");
    fs::create_dir(&out).unwrap();
    symlink(&elsewhere, out.join("charts")).unwrap();
    let run = trialdose([
        OsStr::new("report"),
        cohort.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, Some(73), "{run}");
    assert!(
        run.stderr
            .contains(&out.join("charts").display().to_string())
            && run.stderr.contains("symbolic link"),
        "{run}"
    );
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing is written through the link\n{run}"
    );
    // A link at a chart's name inside a real charts/ folder is refused too.
    let out = tmp.path().join("rep2");
    fs::create_dir_all(out.join("charts")).unwrap();
    let victim = victim(tmp.path());
    symlink(&victim, out.join("charts/waterfall.svg")).unwrap();
    let run = trialdose([
        OsStr::new("report"),
        cohort.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, Some(73), "{run}");
    assert_untouched(&victim, &run);
}

/// Replaces `name` in `cohort` with a FIFO, or with a link to `/dev/zero`.
fn plant_special(cohort: &Path, name: &str, fifo: bool) {
    let path = cohort.join(name);
    let _ = fs::remove_file(&path);
    if fifo {
        mkfifo(&path);
    } else {
        symlink("/dev/zero", &path).unwrap();
    }
}

#[test]
fn special_files_as_inputs_are_refused_without_hanging() {
    for name in [
        "participants.csv",
        "sessions.csv",
        "scores.csv",
        "trial.toml",
    ] {
        for fifo in [true, false] {
            let (tmp, cohort) = workspace();
            plant_special(&cohort, name, fifo);
            for command in ["validate", "analyze"] {
                let mut args = vec![OsString::from(command), cohort.clone().into()];
                if command == "analyze" {
                    args.extend(["--out".into(), tmp.path().join("out").into()]);
                }
                let run = trialdose(&args);
                assert_eq!(run.code, Some(66), "{name} (fifo: {fifo})\n{run}");
                assert!(
                    run.stderr.contains(name) && run.stderr.contains("not a regular file"),
                    "{run}"
                );
            }
        }
    }
    // A folder in place of a file.
    let (_tmp, cohort) = workspace();
    fs::remove_file(cohort.join("scores.csv")).unwrap();
    fs::create_dir(cohort.join("scores.csv")).unwrap();
    let run = trialdose([OsStr::new("validate"), cohort.as_os_str()]);
    assert_eq!(run.code, Some(66), "{run}");
    assert!(run.stderr.contains("is a folder"), "{run}");
}

#[test]
fn special_json_inputs_and_missing_evidence_are_refused() {
    let (tmp, cohort) = workspace();
    let fifo = tmp.path().join("shard.json");
    mkfifo(&fifo);
    let folder = tmp.path().join("folder.json");
    fs::create_dir(&folder).unwrap();
    let huge = tmp.path().join("huge.json");
    // Sparse: 65 MiB long, no disk used.
    fs::File::create(&huge)
        .unwrap()
        .set_len((64 << 20) + (1 << 20))
        .unwrap();
    let zero = Path::new("/dev/zero");
    for (input, what) in [
        (fifo.as_path(), "not a regular file"),
        (zero, "not a regular file"),
        (folder.as_path(), "not a regular file"),
        (huge.as_path(), "67108864 bytes"),
    ] {
        let runs = [
            trialdose([
                OsStr::new("simulate"),
                OsStr::new("merge"),
                input.as_os_str(),
            ]),
            trialdose([
                OsStr::new("plot"),
                OsStr::new("power"),
                OsStr::new("--sim"),
                input.as_os_str(),
                OsStr::new("--out"),
                tmp.path().join("p.svg").as_os_str(),
            ]),
            trialdose([
                OsStr::new("report"),
                cohort.as_os_str(),
                OsStr::new("--sim"),
                input.as_os_str(),
                OsStr::new("--out"),
                tmp.path().join("rep").as_os_str(),
            ]),
        ];
        for run in runs {
            assert_eq!(run.code, Some(66), "{run}");
            assert!(
                run.stderr.contains(&input.display().to_string()) && run.stderr.contains(what),
                "{run}"
            );
        }
    }
    // A trial.toml over its 1 MiB limit.
    let big = cohort.join("trial.toml");
    fs::File::create(&big).unwrap().set_len(2 << 20).unwrap();
    let run = trialdose([OsStr::new("validate"), cohort.as_os_str()]);
    assert_eq!(run.code, Some(66), "{run}");
    assert!(run.stderr.contains("1048576 bytes"), "{run}");
    // --evidence naming a path that does not exist is a missing input, not a usage error.
    for evidence in [
        tmp.path().join("no-such-cohort"),
        PathBuf::from("/nonexistent"),
    ] {
        let run = trialdose([
            OsStr::new("simulate"),
            OsStr::new("clinic"),
            OsStr::new("--schedule"),
            OsStr::new("60x2"),
            OsStr::new("--patients"),
            OsStr::new("20"),
            OsStr::new("--evidence"),
            evidence.as_os_str(),
        ]);
        assert_eq!(run.code, Some(66), "{run}");
        assert!(
            run.stderr.contains(&evidence.display().to_string()),
            "{run}"
        );
    }
}

#[test]
fn the_cohort_folder_under_another_name_is_refused_as_out() {
    let (tmp, cohort) = workspace();
    let before = fs::read(cohort.join("participants.csv")).unwrap();
    let link = tmp.path().join("alias");
    symlink(&cohort, &link).unwrap();
    for out in [
        link.clone(),
        tmp.path().join("cohort/../cohort/."),
        tmp.path().join("./cohort"),
    ] {
        for command in ["analyze", "report", "audit"] {
            let run = trialdose([
                OsStr::new(command),
                cohort.as_os_str(),
                OsStr::new("--out"),
                out.as_os_str(),
            ]);
            assert_eq!(run.code, Some(2), "{run}");
            assert!(run.stderr.contains("is the cohort folder"), "{run}");
        }
    }
    // A bind mount of the cohort folder, in a private mount namespace (`unshare`): the
    // path of the mount resolves to itself, only device and inode tell.
    let mount = tmp.path().join("mount");
    fs::create_dir(&mount).unwrap();
    let script = "mount --bind \"$1\" \"$2\" || exit 200; exec \"$3\" analyze \"$1\" --out \"$2\"";
    let run = run_limited(
        OsStr::new("unshare"),
        &[
            "-rm".into(),
            "sh".into(),
            "-c".into(),
            script.into(),
            "sh".into(),
            cohort.clone().into(),
            mount.clone().into(),
            env!("CARGO_BIN_EXE_trialdose").into(),
        ],
    );
    if run.code == Some(200) || (run.code == Some(1) && run.stderr.contains("unshare")) {
        eprintln!("bind mounts unavailable here; that case was not run\n{run}");
    } else {
        assert_eq!(run.code, Some(2), "{run}");
        assert!(run.stderr.contains("is the cohort folder"), "{run}");
    }
    assert_eq!(fs::read(cohort.join("participants.csv")).unwrap(), before);
    let entries: Vec<_> = fs::read_dir(&cohort).unwrap().collect();
    assert_eq!(
        entries.len(),
        3,
        "nothing was written into the cohort folder"
    );
}

/// Holds `DIR/.trialdose.lock` as a running trialdose would.
fn hold_lock(dir: &Path) -> fs::File {
    use std::os::fd::AsRawFd;
    fs::create_dir_all(dir).unwrap();
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(".trialdose.lock"))
        .unwrap();
    // SAFETY: a plain system call on an open descriptor.
    assert_eq!(
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    file
}

#[test]
fn a_second_run_into_a_locked_folder_is_refused_at_once() {
    let (tmp, cohort) = workspace();
    let out = tmp.path().join("out");
    let lock = hold_lock(&out);
    let gen_dir = tmp.path().join("gen");
    let gen_lock = hold_lock(&gen_dir);
    let c = cohort.as_os_str();
    let o = out.as_os_str();
    let runs = [
        trialdose([OsStr::new("analyze"), c, OsStr::new("--out"), o]),
        trialdose([OsStr::new("report"), c, OsStr::new("--out"), o]),
        trialdose([OsStr::new("audit"), c, OsStr::new("--out"), o]),
        trialdose([OsStr::new("validate"), c, OsStr::new("--out"), o]),
        trialdose([
            OsStr::new("generate"),
            gen_dir.as_os_str(),
            OsStr::new("--participants"),
            OsStr::new("30"),
            OsStr::new("--seed"),
            OsStr::new("1"),
        ]),
    ];
    for run in runs {
        assert_eq!(run.code, Some(73), "{run}");
        assert!(
            run.stderr
                .contains("another trialdose run is writing into this folder"),
            "{run}"
        );
    }
    // Nothing was written while the lock was held.
    let names: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [OsString::from(".trialdose.lock")]);
    drop((lock, gen_lock));
    let run = analyze(&cohort, &out);
    assert_eq!(run.code, Some(0), "once the lock is free\n{run}");
}

#[test]
fn stale_temporary_files_of_killed_runs_are_removed() {
    let (tmp, cohort) = workspace();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    // A PID above the kernel's limit (4194304 at most) belongs to no process.
    let dead = 2_000_000_000u32;
    let live = std::process::id();
    let stale = [
        format!(".arms.csv.{dead}.AbC123xy.trialdose-tmp"),
        format!(".participants.csv.tmp-{dead}"),
        format!(".trialdose-probe-{dead}"),
    ];
    let kept = [
        format!(".arms.csv.{live}.AbC123xy.trialdose-tmp"),
        "notes.txt".to_owned(),
        ".arms.csv.backup".to_owned(),
    ];
    for name in stale.iter().chain(&kept) {
        fs::write(out.join(name), b"left over").unwrap();
    }
    // A link with a temporary name is not a file of the tool's: it is left (and not followed).
    let victim = victim(tmp.path());
    let link = format!(".summary.json.{dead}.AbC123xy.trialdose-tmp");
    symlink(&victim, out.join(&link)).unwrap();
    let run = analyze(&cohort, &out);
    assert_eq!(run.code, Some(0), "{run}");
    for name in &stale {
        assert!(!out.join(name).exists(), "{name} was left\n{run}");
    }
    for name in &kept {
        assert!(out.join(name).exists(), "{name} was removed\n{run}");
    }
    assert!(fs::symlink_metadata(out.join(&link)).is_ok());
    assert_untouched(&victim, &run);
    // Outputs keep the usual permissions (0666 less the umask, like any created file), not
    // the 0600 of a temporary file.
    let reference = out.join("reference");
    fs::write(&reference, b"").unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out.join("arms.csv")), mode(&reference));
    // No temporary file of this run is left either.
    let left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".trialdose-tmp") && n != &link && !kept.contains(n))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_run_that_fails_half_way_marks_the_folder_and_the_next_run_clears_it() {
    let (tmp, cohort) = workspace();
    let out = tmp.path().join("out");
    // A failure before anything is written leaves no mark.
    let run = analyze(&tmp.path().join("no-cohort"), &out);
    assert_eq!(run.code, Some(66), "{run}");
    assert!(!out.join(".trialdose-incomplete").exists());
    // A complete earlier run, then one that fails at trend.csv (a FIFO there) after writing
    // rejections.csv, participants.csv, arms.csv and comparisons.csv.
    let run = analyze(&cohort, &out);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(!out.join(".trialdose-incomplete").exists());
    fs::remove_file(out.join("trend.csv")).unwrap();
    mkfifo(&out.join("trend.csv"));
    let run = analyze(&cohort, &out);
    assert_eq!(run.code, Some(73), "{run}");
    assert!(out.join(".trialdose-incomplete").is_file(), "{run}");
    assert!(
        run.stderr
            .contains("may now mix files of this run and of an earlier one"),
        "{run}"
    );
    // The next run says so, and its success clears the mark.
    fs::remove_file(out.join("trend.csv")).unwrap();
    let run = analyze(&cohort, &out);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stderr.contains("marked incomplete by an earlier run"),
        "{run}"
    );
    assert!(!out.join(".trialdose-incomplete").exists(), "{run}");
}
