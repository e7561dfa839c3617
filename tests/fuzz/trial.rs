//! Random `trial.toml` files: each key of the contract present or not, with values at and
//! beyond its allowed range (0, the maxima and one past them, NaN, infinities, 2^63, numbers
//! as strings), markers with hostile names, arm lists with schedules at the edges, duplicate
//! and missing controls, unknown keys, and byte-level damage to the text itself.

use super::stream::Stream;
use super::values;

/// A generated trial.toml and the marker columns it declares.
pub struct Trial {
    /// The file's bytes.
    pub text: Vec<u8>,
    /// Declared marker names (to add as scores.csv columns).
    pub markers: Vec<String>,
    /// What was drawn, for the case's label.
    pub label: String,
}

const NUMBERS: &[&str] = &[
    "0",
    "-0.0",
    "1",
    "5",
    "10",
    "30",
    "49.99",
    "50",
    "51",
    "100",
    "100.0000001",
    "101",
    "1e308",
    "1e-320",
    "nan",
    "-inf",
    "+inf",
    "9223372036854775807",
    "-9223372036854775808",
    "0.1",
    "0.30000000000000004",
    "\"ten\"",
    "true",
];

const MARKER_NAMES: &[&str] = &[
    "walk_minutes",
    "awakenings",
    "steps",
    "_x",
    "Walk",
    "=cmd|calc",
    "+SUM(1)",
    "-x",
    "@x",
    "\tx",
    "\x1b[31mred",
    "pain",
    "week",
    "participant_id",
    "ndi",
    "a b",
    "a,b",
    "a\"b",
    "",
    "ünï",
    "pain_baseline",
];

const ARM_IDS: [&str; 6] = ["control", "30x2", "30x3", "60x1", "60x2", "60x3"];

/// One of `valid` with probability 0.75 (or always when `invalid` is empty), else one of
/// `invalid` (so that most random files are accepted and the cohort gets read).
fn value<'a>(s: &mut Stream, valid: &[&'a str], invalid: &[&'a str]) -> &'a str {
    if !valid.is_empty() && (invalid.is_empty() || s.chance(0.75)) {
        s.choose(valid)
    } else {
        s.choose(invalid)
    }
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Draws a trial.toml.
pub fn trial(s: &mut Stream) -> Trial {
    let mut text = String::new();
    let mut label = Vec::new();
    let mut markers = Vec::new();
    if s.chance(0.3) {
        let name = if s.chance(0.2) {
            "n".repeat(150 + s.below(100))
        } else {
            String::from_utf8_lossy(s.pick(values::CELLS).as_bytes()).into_owned()
        };
        text.push_str(&format!("name = {}\n", toml_string(&name)));
        label.push("name".to_owned());
    }
    if s.chance(0.3) {
        let v = value(
            s,
            &["1", "4", "5", "6", "104"],
            &[
                "0",
                "105",
                "-1",
                "9223372036854775807",
                "9223372036854775808",
                "5.0",
                "\"5\"",
            ],
        );
        text.push_str(&format!("checkpoint_week = {v}\n"));
        label.push(format!("checkpoint_week={v}"));
    }
    if s.chance(0.3) {
        let v = value(
            s,
            &["0.5", "0.75", "1", "1.0", "0.0000001", "0.1"],
            &[
                "0",
                "1.0000000000000002",
                "-0.5",
                "nan",
                "inf",
                "1e-320",
                "\"0.75\"",
                "3",
            ],
        );
        text.push_str(&format!("adherence_threshold = {v}\n"));
        label.push(format!("adherence_threshold={v}"));
    }
    let valid: [(&str, [&[&str]; 2]); 2] = [
        (
            "pain",
            [
                &["10", "100", "0.5", "1000000"],
                &["30", "50", "100", "0.1", "99.99"],
            ],
        ),
        (
            "ndi",
            [&["50", "100", "10", "70"], &["5", "1", "0.5", "10"]],
        ),
    ];
    for (table, keys) in [
        ("pain", ["max", "responder_min_reduction_pct"]),
        ("ndi", ["max", "responder_min_improvement"]),
    ] {
        if s.chance(0.3) {
            text.push_str(&format!("[outcomes.{table}]\n"));
            let ok = valid.iter().find(|(t, _)| *t == table).map(|(_, v)| *v);
            for (i, k) in keys.into_iter().enumerate() {
                if s.chance(0.6) {
                    let v = value(s, ok.map_or(&[][..], |v| v[i]), NUMBERS);
                    text.push_str(&format!("{k} = {v}\n"));
                    label.push(format!("{table}.{k}={v}"));
                }
            }
        }
    }
    if s.chance(0.3) {
        for _ in 0..1 + s.below(3) {
            let name = if s.chance(0.05) {
                "m".repeat(65)
            } else {
                value(s, &MARKER_NAMES[..5], &MARKER_NAMES[5..]).to_owned()
            };
            text.push_str(&format!("[[markers]]\ncolumn = {}\n", toml_string(&name)));
            if s.chance(0.9) {
                let b = s.pick(&["\"higher\"", "\"lower\"", "\"sideways\"", "1"]);
                text.push_str(&format!("better = {b}\n"));
            }
            if s.chance(0.9) {
                let v = if s.chance(0.6) { "5" } else { *s.pick(NUMBERS) };
                text.push_str(&format!("responder_min_improvement = {v}\n"));
            }
            label.push(format!("marker {name:?}"));
            markers.push(name);
        }
    }
    if s.chance(0.3) {
        label.push(arms(s, &mut text));
    }
    if s.chance(0.04) {
        text.push_str("colour = 3\n");
        label.push("unknown key".to_owned());
    }
    let mut bytes = text.into_bytes();
    if s.chance(0.06) {
        let i = s.below(bytes.len() + 1);
        let what = *s.pick(values::SPLICES);
        bytes.splice(i..i, what.iter().copied());
        label.push(format!("splice {:?} at {i}", String::from_utf8_lossy(what)));
    }
    Trial {
        text: bytes,
        markers,
        label: format!("trial.toml [{}]", label.join(", ")),
    }
}

/// Appends an `[[arms]]` list and returns its description.
fn arms(s: &mut Stream, text: &mut String) -> String {
    let mut desc = Vec::new();
    for id in ARM_IDS {
        if id != "control" && s.chance(0.15) {
            desc.push(format!("-{id}"));
            continue;
        }
        let shown = if s.chance(0.05) {
            (*s.pick(&["=x", "\x1b[1m", "", "60x2", "a\tb"])).to_owned()
        } else {
            id.to_owned()
        };
        text.push_str(&format!("[[arms]]\nid = {}\n", toml_string(&shown)));
        let control = if id == "control" {
            !s.chance(0.05)
        } else {
            s.chance(0.03)
        };
        if control {
            text.push_str("control = true\n");
        }
        if !control || s.chance(0.05) {
            let pick = |s: &mut Stream, normal: i64, edges: &[i64]| {
                if s.chance(0.92) {
                    normal
                } else {
                    *s.pick(edges)
                }
            };
            let (m, w) = id
                .split_once('x')
                .and_then(|(m, w)| Some((m.parse().ok()?, w.parse().ok()?)))
                .unwrap_or((60, 2));
            let minutes = pick(s, m, &[0, 1, 240, 241, -5, 4_294_967_296]);
            let per_week = pick(s, w, &[0, 1, 14, 15]);
            if s.chance(0.97) {
                text.push_str(&format!("minutes = {minutes}\n"));
            }
            text.push_str(&format!("per_week = {per_week}\n"));
            if s.chance(0.4) {
                let weeks = *s.pick(&[1i64, 2, 4, 8, 52, 53, 0]);
                text.push_str(&format!("weeks = {weeks}\n"));
                desc.push(format!("{id}={minutes}x{per_week}x{weeks}"));
            } else {
                desc.push(format!("{id}={minutes}x{per_week}"));
            }
        } else {
            desc.push(format!("{id} control"));
        }
    }
    format!("arms {}", desc.join(" "))
}
