//! A panic inside polars' Parquet decoders, turned into the unreadable file it reports.
//!
//! polars asserts on some damaged files instead of returning an error: one byte flipped in a
//! data page of a session log made `polars_arrow`'s bitmap slicing assert (`offset + length
//! <= self.length`), and `analyze` died with exit 101 and a backtrace where a damaged input
//! must give exit 66 and the file's name. Decoding runs inside [`contained`], which catches
//! that panic and keeps its message for the error, without the panic printing itself (a
//! panic anywhere else still prints as it always did).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// True while this thread runs inside [`contained`].
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`; a panic inside it (on this thread) becomes `Err` with the panic's message.
pub(super) fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = CONTAINED.with(|c| c.replace(true));
    // Unwind safety: whatever `f` was building is dropped with its error; nothing it shares
    // with the caller is left half-written (the decoders write only their own arrays).
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_the_rest_is_untouched() {
        assert_eq!(contained(|| 7), Ok(7));
        assert_eq!(
            contained(|| -> u8 { panic!("offset + length <= self.length") }),
            Err("offset + length <= self.length".to_owned())
        );
        let n = 3;
        assert_eq!(
            contained(|| -> u8 { panic!("row {n}") }),
            Err("row 3".to_owned())
        );
        // Nested: the inner one is caught, the outer goes on.
        assert_eq!(
            contained(|| contained(|| -> u8 { panic!("inner") }).is_err()),
            Ok(true)
        );
        // Outside, a panic is a panic again.
        assert!(!CONTAINED.with(Cell::get));
        assert!(std::panic::catch_unwind(|| panic!("outside")).is_err());
    }
}
