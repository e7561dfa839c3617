//! Mutations of simulation results (the shards `simulate merge` combines and the `--sim`
//! inputs of `report` and `plot`): a value swapped for a hostile one (negative, fractional,
//! 2^64, NaN as a string, null, another type), a key removed, a number token replaced by a
//! literal no float holds (1e309, a 30-digit integer), or byte-level damage.

use serde_json::Value;

use super::stream::Stream;
use super::values;

/// Paths (as indices) to every leaf and object member of a JSON value.
fn paths(v: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                here.push(k.clone());
                out.push(here.clone());
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                here.push(i.to_string());
                out.push(here.clone());
                paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn parent_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = v;
    for k in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(k)?,
            Value::Array(a) => a.get_mut(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

const NUMBER_LITERALS: &[&str] = &[
    "1e309",
    "-1e309",
    "123456789012345678901234567890",
    "18446744073709551616",
    "-9223372036854775809",
    "1e-400",
    "-0",
];

/// Applies one mutation to JSON text and returns its description.
pub fn mutate(s: &mut Stream, bytes: &mut Vec<u8>) -> String {
    let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
    let Some(mut doc) = parsed.filter(|_| s.chance(0.85)) else {
        return bytes_level(s, bytes);
    };
    let mut all = Vec::new();
    paths(&doc, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return bytes_level(s, bytes);
    }
    let path = s.pick(&all).clone();
    let (last, parent_path) = path.split_last().expect("paths are not empty");
    let Some(parent) = parent_mut(&mut doc, parent_path) else {
        return "json: no parent".into();
    };
    let desc;
    if s.chance(0.2) {
        match parent {
            Value::Object(m) => {
                m.shift_remove(last);
            }
            Value::Array(a) => {
                if let Ok(i) = last.parse::<usize>()
                    && i < a.len()
                {
                    a.remove(i);
                }
            }
            _ => {}
        }
        desc = format!("json: remove {}", path.join("."));
    } else if s.chance(0.3) {
        // A number no f64 or u64 holds: written as text in place of the value.
        let marker = "\u{1}FUZZ\u{1}";
        if let Some(slot) = parent_mut(&mut doc, &path) {
            *slot = Value::String(marker.to_owned());
        }
        let lit = *s.pick(NUMBER_LITERALS);
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        let quoted = serde_json::to_string(marker).unwrap_or_default();
        *bytes = text.replacen(&quoted, lit, 1).into_bytes();
        return format!("json: {} := {lit}", path.join("."));
    } else {
        let hostile = match s.below(12) {
            0 => Value::from(-1),
            1 => Value::from(0),
            2 => Value::from(u64::MAX),
            3 => Value::from(i64::MIN),
            4 => Value::from(0.5),
            5 => Value::from(1e300),
            6 => Value::from("NaN"),
            7 => Value::Null,
            8 => Value::Bool(true),
            9 => Value::Array(vec![]),
            10 => Value::from(String::from_utf8_lossy(&values::cell(s, 1000)).into_owned()),
            _ => Value::from(s.word() >> s.below(64)),
        };
        desc = format!("json: {} := {hostile}", path.join("."));
        if let Some(slot) = parent_mut(&mut doc, &path) {
            *slot = hostile;
        }
    }
    *bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    desc.chars().take(120).collect()
}

fn bytes_level(s: &mut Stream, bytes: &mut Vec<u8>) -> String {
    match s.below(3) {
        0 => {
            let at = s.below(bytes.len() + 1);
            bytes.truncate(at);
            format!("json: truncate at {at}")
        }
        1 => {
            let i = s.below(bytes.len() + 1);
            let what = *s.pick(values::SPLICES);
            bytes.splice(i..i, what.iter().copied());
            format!("json: splice {:?} at {i}", String::from_utf8_lossy(what))
        }
        _ => {
            if bytes.is_empty() {
                return "json: flip (empty)".into();
            }
            let i = s.below(bytes.len());
            bytes[i] ^= 1 << s.below(8);
            format!("json: flip byte {i}")
        }
    }
}
