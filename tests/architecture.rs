//! The layering ARCHITECTURE.md promises, read from the source itself: which top-level module
//! names which (`crate::NAME` anywhere outside `#[cfg(test)]` code), no import cycles among
//! them, a `domain` leaf that names nothing of the crate, and a command line that never reads
//! JSON by string keys. A change that breaks a rule fails here with the path that breaks it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("reading src") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The file's text without its `#[cfg(test)]` tail (tests may use anything).
fn non_test_text(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("reading a source file");
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The names of the crate's top-level modules that `text` refers to as `crate::NAME`, or
/// inside `crate::{A, B::..}`.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Top-level module -> the top-level modules it names (the library only; `cli` is the binary).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in rust_files(&src) {
        let rel = path.strip_prefix(&src).expect("under src");
        let first = rel
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if matches!(first.as_str(), "lib" | "main" | "cli" | "bin") {
            continue;
        }
        let refs = crate_refs(&non_test_text(&path));
        let entry = graph.entry(first.clone()).or_default();
        entry.extend(refs.into_iter().filter(|r| *r != first));
    }
    graph
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = module_graph();
    // Any cycle, not only pairs: depth-first search for a path back to the start.
    for start in graph.keys() {
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    panic!("import cycle: {} -> {start}", path.join(" -> "));
                }
                if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
}

#[test]
fn the_domain_module_is_a_leaf() {
    let graph = module_graph();
    let domain = graph.get("domain").expect("src/domain exists");
    assert!(
        domain.is_empty(),
        "src/domain must import nothing of the crate, it names {domain:?}"
    );
}

/// ARCHITECTURE.md's layers, lowest first. A module may name modules of its own layer or of
/// the layers below it, never of a layer above.
const LAYERS: &[&[&str]] = &[
    &["domain", "stats", "parallel", "cache"],
    &["files", "cohort"],
    &["derive"],
    &[
        "analysis",
        "compare",
        "sim",
        "audit",
        "generate",
        "pseudonym",
    ],
    &["render"],
    &["pipeline"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| {
            panic!("src/{module} is in no layer of ARCHITECTURE.md; add it there and to LAYERS")
        })
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    for (module, refs) in module_graph() {
        let own = layer_of(&module);
        for r in refs {
            assert!(
                layer_of(&r) <= own,
                "src/{module} (layer {own}) names crate::{r} (layer {}), a layer above it",
                layer_of(&r)
            );
        }
    }
}

#[test]
fn the_reader_finds_the_references_it_should() {
    // The checks above are only as good as this reader.
    let refs = crate_refs("use crate::a::B;\nuse crate::{b, c::D};\nlet x = crate::d::f();");
    let want: BTreeSet<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    assert_eq!(refs, want);
}
