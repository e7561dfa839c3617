//! Keyed pseudonyms for participant ids, so that a worklist can leave the clinic.
//!
//! A pseudonym is `PS-` followed by the first 16 hex digits (64 bits) of
//! HMAC-SHA-256(key, id) (RFC 2104; checked against the RFC 4231 test vectors). The same key
//! gives the same pseudonym for an id in every run, so lists from different months can be
//! matched; without the key the ids cannot be recovered or confirmed by hashing guesses, which
//! an unkeyed hash would allow (ids are short and guessable). Pseudonyms are unique within a
//! list and never equal an id of the list: if 64 bits ever collide, every pseudonym of that
//! list is lengthened to 32 hex digits (then 64), deterministically.

use sha2::Sha256;

/// Shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// The environment variable holding the key.
pub const KEY_VARIABLE: &str = "TRIALDOSE_PSEUDONYM_KEY";

/// A key that is too short to keep ids secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the pseudonym key in {KEY_VARIABLE} is {len} bytes: it must be at least {MIN_KEY_BYTES}; \
     set it to a long random secret kept by the clinic, e.g. `export {KEY_VARIABLE}=$(openssl rand -hex 32)`"
)]
pub struct KeyError {
    /// Length of the key given.
    pub len: usize,
}

/// A validated pseudonym key.
#[derive(Clone)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "Key({} bytes)", self.0.len())
    }
}

impl Key {
    /// Accepts a key of at least [`MIN_KEY_BYTES`] bytes.
    ///
    /// # Errors
    /// [`KeyError`] for a shorter key.
    pub fn new(key: &[u8]) -> Result<Key, KeyError> {
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError { len: key.len() });
        }
        Ok(Key(key.to_vec()))
    }
}

/// HMAC-SHA-256 (RFC 2104), from the `hmac` crate.
#[must_use]
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    // HMAC takes keys of any length (a long key is hashed first), so this cannot fail.
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The pseudonym of one id with `digits` hex digits (16, 32 or 64).
fn pseudonym(key: &Key, id: &str, digits: usize) -> String {
    format!(
        "PS-{}",
        &crate::domain::text::hex(&hmac_sha256(&key.0, id.as_bytes()))[..digits]
    )
}

/// Pseudonyms of `ids`, in order: unique among themselves and never equal to any of `ids`.
#[must_use]
pub fn pseudonymize(key: &Key, ids: &[&str]) -> Vec<String> {
    let raw: std::collections::HashSet<&str> = ids.iter().copied().collect();
    for digits in [16, 32] {
        let out: Vec<String> = ids.iter().map(|id| pseudonym(key, id, digits)).collect();
        let mut seen = std::collections::HashSet::with_capacity(out.len());
        if out
            .iter()
            .all(|p| !raw.contains(p.as_str()) && seen.insert(p.as_str()))
        {
            return out;
        }
    }
    ids.iter().map(|id| pseudonym(key, id, 64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 section 4 test cases 1, 2, 3, 4, 6 and 7 (HMAC-SHA-256 outputs), also
    /// recomputed with Python 3's `hmac` module (tests/reference/audit/t4_hmac.py).
    #[test]
    fn hmac_matches_rfc_4231() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(
                crate::domain::text::hex(&hmac_sha256(&key, &data)),
                expected
            );
        }
    }

    #[test]
    fn short_keys_are_refused_and_never_printed() {
        assert_eq!(Key::new(b"short").unwrap_err(), KeyError { len: 5 });
        let key = Key::new(b"a clinic secret, long enough").unwrap();
        assert!(!format!("{key:?}").contains("secret"));
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_never_the_id() {
        let ids = ["P0000001", "P0000002", "PS-0000000000000000"];
        let k1 = Key::new(b"first key, 16+ bytes").unwrap();
        let k2 = Key::new(b"second key, 16+ bytes").unwrap();
        let a = pseudonymize(&k1, &ids);
        assert_eq!(a, pseudonymize(&k1, &ids), "stable for one key");
        let b = pseudonymize(&k2, &ids);
        for ((x, y), id) in a.iter().zip(&b).zip(ids) {
            assert_ne!(x, y, "differs across keys");
            assert_ne!(x, id);
            assert_eq!(x.len(), 19);
        }
        // A pseudonym depends on its id only, not on the rest of the list.
        assert_eq!(pseudonymize(&k1, &ids[..1])[0], a[0]);
    }
}
