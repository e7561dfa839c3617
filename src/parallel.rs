//! Joining scoped threads. The readers, `derive`, the simulator and the writers all split work
//! over scoped threads and collect the results in spawning order, so the results never depend
//! on which thread finished first; a panic in a worker is raised again in the caller with its
//! own message (not the scope's generic "a scoped thread panicked").

use std::thread::ScopedJoinHandle;

/// The thread's result; its panic, if it panicked, raised again here.
pub fn join<T>(handle: ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The threads' results in the order of `handles` (see [`join`]). A vector, not a lazy
/// iterator, so every thread is running before the first is waited for.
pub fn join_all<T>(handles: Vec<ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles.into_iter().map(join).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_spawning_order() {
        let got = std::thread::scope(|scope| {
            join_all(
                (0..8u64)
                    .map(|i| {
                        scope.spawn(move || {
                            std::thread::sleep(std::time::Duration::from_millis(8 - i));
                            i * i
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        });
        assert_eq!(got, [0, 1, 4, 9, 16, 25, 36, 49]);
    }

    #[test]
    #[should_panic(expected = "worker 3 failed")]
    fn a_worker_panic_keeps_its_message() {
        std::thread::scope(|scope| {
            let h = scope.spawn(|| -> u8 { panic!("worker 3 failed") });
            join(h)
        });
    }
}
