//! `trialdose completions SHELL` and `trialdose man`: the completion scripts and manual pages
//! come from the clap definitions, so they name every subcommand and flag the binary parses;
//! the pages are written atomically into an existing folder and refused elsewhere (exit 73).

mod util;

use util::*;

const SUBCOMMANDS: [&str; 10] = [
    "validate",
    "analyze",
    "audit",
    "compare",
    "generate",
    "report",
    "plot",
    "simulate",
    "completions",
    "man",
];

#[test]
fn completion_scripts_name_every_subcommand_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = trialdose(["completions", shell]);
        assert_eq!(run.code, 0, "{run}");
        // Flags without their dashes: fish writes `-l stratify`.
        for word in SUBCOMMANDS
            .iter()
            .chain(&["stratify", "margin-ratio", "strata"])
        {
            assert!(run.stdout.contains(word), "{shell} lacks {word}");
        }
    }
    let bad = trialdose(["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(bad.stderr.contains("tcsh"), "{bad}");
}

#[test]
fn manual_pages_cover_every_subcommand() {
    let page = trialdose(["man"]);
    assert_eq!(page.code, 0, "{page}");
    assert!(
        page.stdout.starts_with(".ie"),
        "not roff: {}",
        &page.stdout[..80]
    );
    assert!(
        page.stdout.contains(".TH trialdose 1"),
        "{}",
        &page.stdout[..200]
    );

    let tmp = tempfile::tempdir().unwrap();
    let run = trialdose(["man".as_ref(), "--out".as_ref(), tmp.path().as_os_str()]);
    assert_eq!(run.code, 0, "{run}");
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for sub in SUBCOMMANDS {
        assert!(
            names.contains(&format!("trialdose-{sub}.1")),
            "{sub}: {names:?}"
        );
    }
    for sub in ["clinic", "trial", "sample-size", "merge"] {
        assert!(
            names.contains(&format!("trialdose-simulate-{sub}.1")),
            "{names:?}"
        );
    }
    assert!(names.contains(&"trialdose.1".to_owned()));
    // No temporary file is left behind (the output folder's lock file is the only other).
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".1") || n == ".trialdose.lock"),
        "{names:?}"
    );
    let compare = std::fs::read_to_string(tmp.path().join("trialdose-compare.1")).unwrap();
    assert!(compare.contains("\\-\\-margin\\-ratio"), "{compare}");

    let file = tmp.path().join("trialdose.1");
    let refused = trialdose(["man".as_ref(), "--out".as_ref(), file.as_os_str()]);
    assert_eq!(refused.code, 73, "{refused}");
}
