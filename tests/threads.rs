//! `--threads N` caps every pool of the process (issue 13 item 4: `--threads 1` used to run
//! 4-8 threads at once, `--threads 8` spawned 104). The real binary runs on a generated cohort
//! while this test samples its threads from `/proc/PID/task` every half millisecond and, at the
//! end, reads its CPU time from `wait4`. Two checks per command and cap:
//! - live threads at once: at most N, and with `--threads 1` only the main thread ever (no
//!   foreign pool runs in the tool since the per-arm aggregation stopped using polars);
//! - CPU time over wall time: at most N plus a margin, i.e. never more than N threads busy.
//!
//! Without `--threads` the budget is unlimited (the tuned default), which the last test shows
//! by seeing more threads than any cap allows.

#![cfg(target_os = "linux")]

mod util;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_trialdose");

/// What one run showed.
#[derive(Debug)]
struct Seen {
    /// Most threads alive at one sample.
    most_at_once: usize,
    /// Distinct thread ids over the run.
    distinct: usize,
    /// CPU seconds (user + system) over wall seconds.
    cpu_over_wall: f64,
    /// Wall time (shown when a check fails).
    _wall: Duration,
    code: i32,
}

fn watch(args: &[&str]) -> Seen {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trialdose");
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let tasks = format!("/proc/{pid}/task");
    let mut most = 0;
    let mut ids = BTreeSet::new();
    loop {
        // A zombie has no threads left to list; waitid with WNOWAIT leaves it for wait4.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        assert_eq!(r, 0, "waitid");
        if unsafe { info.si_pid() } == pid {
            break;
        }
        if let Ok(dir) = std::fs::read_dir(&tasks) {
            let now: Vec<String> = dir
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect();
            most = most.max(now.len());
            ids.extend(now);
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let wall = start.elapsed();
    // Reaped already; keep std's handle from waiting again.
    std::mem::forget(child.stdin.take());
    std::mem::forget(child);
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = secs(usage.ru_utime) + secs(usage.ru_stime);
    Seen {
        most_at_once: most,
        distinct: ids.len(),
        cpu_over_wall: cpu / wall.as_secs_f64(),
        _wall: wall,
        code: libc::WEXITSTATUS(status),
    }
}

/// A generated cohort large enough for every fan-out to split (about a second of work).
fn cohort(tmp: &Path) -> String {
    let dir = tmp.join("cohort");
    let run = util::trialdose([
        "generate".as_ref(),
        dir.as_os_str(),
        "--participants".as_ref(),
        "40000".as_ref(),
        "--seed".as_ref(),
        "13".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    dir.to_string_lossy().into_owned()
}

/// The commands that fan out, with a cap.
fn commands(cohort: &str, out: &str, n: &str) -> Vec<Vec<String>> {
    let v = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        v(&["validate", cohort, "--threads", n]),
        v(&["analyze", cohort, "--out", out, "--threads", n]),
        v(&[
            "report",
            cohort,
            "--out",
            out,
            "--threads",
            n,
            "--min-cell",
            "5",
        ]),
        v(&[
            "audit",
            cohort,
            "--out",
            out,
            "--threads",
            n,
            "--by",
            "therapist",
        ]),
        v(&[
            "simulate",
            "trial",
            "--per-arm",
            "38",
            "--arms",
            "control,60x2,60x3",
            "--reps",
            "30000",
            "--seed",
            "5",
            "--threads",
            n,
        ]),
    ]
}

#[test]
fn threads_caps_every_pool() {
    let tmp = TempDir::new().unwrap();
    let cohort = cohort(tmp.path());
    for n in [1usize, 2, 3] {
        for (k, args) in commands(&cohort, "", &n.to_string())
            .into_iter()
            .enumerate()
        {
            let out = tmp.path().join(format!("out-{n}-{k}"));
            let args: Vec<String> = args
                .into_iter()
                .map(|a| {
                    if a.is_empty() {
                        out.to_string_lossy().into_owned()
                    } else {
                        a
                    }
                })
                .collect();
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let seen = watch(&refs);
            eprintln!("--threads {n} {}: {seen:?}", refs[0]);
            assert_eq!(seen.code, 0, "{refs:?}: {seen:?}");
            // Only our threads, and with one thread, only the main one.
            assert!(
                seen.most_at_once <= n,
                "{refs:?}: {} threads alive at once, cap {n}: {seen:?}",
                seen.most_at_once
            );
            assert!(n > 1 || seen.distinct == 1, "{refs:?}: {seen:?}");
            // Busy threads: CPU over wall within the cap, with a margin for the sampling of
            // short runs (the process start and exit are single-threaded anyway).
            assert!(
                seen.cpu_over_wall <= n as f64 + 0.15,
                "{refs:?}: CPU/wall {:.2} over the cap {n}: {seen:?}",
                seen.cpu_over_wall
            );
        }
    }
}

#[test]
fn without_the_flag_the_fan_outs_use_more_threads_than_one() {
    let tmp = TempDir::new().unwrap();
    let cohort = cohort(tmp.path());
    let seen = watch(&["validate", &cohort]);
    assert_eq!(seen.code, 0, "{seen:?}");
    // The three readers and the three digests overlap by default (parallel.rs); a sampler
    // this fine sees at least two threads at once, proving the test above can see them.
    assert!(seen.most_at_once >= 2, "{seen:?}");
}
