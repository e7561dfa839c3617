//! Threads, within one budget. The readers, `derive`, the simulator and the writers all split
//! work over scoped threads and collect the results in spawning order, so the results never
//! depend on which thread finished first (or on how many there were); a panic in a worker is
//! raised again in the caller with its own message (not the scope's generic "a scoped thread
//! panicked").
//!
//! **The budget.** `--threads N` caps the threads working at once, over every pool of the
//! process: [`set_cap`] leaves `N - 1` slots besides the calling thread. [`spawn`] starts a
//! thread only when it can take a slot (held until the thread ends, so nested fan-outs share
//! what is left) and otherwise runs the work at once on the calling thread; [`reserve`] takes
//! slots for workers that must run side by side (a writer fed by a channel). A caller waiting
//! in [`join`] keeps its slot, so the count of live threads, not only of busy ones, stays
//! within the cap. Without [`set_cap`] the budget is unlimited (the tuned default: readers,
//! digests and writers overlap so that one fills the gaps another leaves).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{Scope, ScopedJoinHandle};

/// Slots left for threads besides the calling one; unlimited until [`set_cap`].
static FREE: AtomicUsize = AtomicUsize::new(UNLIMITED);

/// "No cap": large enough never to run out, small enough never to overflow when slots return.
const UNLIMITED: usize = usize::MAX / 2;

/// Caps the threads working at once at `threads` (at least 1: the calling thread). Call once,
/// before any work; a later call replaces the cap for slots not yet taken.
pub fn set_cap(threads: usize) {
    FREE.store(threads.max(1) - 1, Ordering::SeqCst);
}

/// True when [`set_cap`] set a cap.
#[must_use]
pub fn capped() -> bool {
    FREE.load(Ordering::SeqCst) < UNLIMITED / 2
}

/// Takes up to `wanted` slots; `None` taken when none is free.
fn take(wanted: usize) -> usize {
    let mut free = FREE.load(Ordering::SeqCst);
    loop {
        let n = free.min(wanted);
        if n == 0 {
            return 0;
        }
        match FREE.compare_exchange_weak(free, free - n, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return n,
            Err(now) => free = now,
        }
    }
}

/// Slots taken from the budget, given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    slots: usize,
}

impl Reservation {
    /// The slots taken: the number of extra threads the holder may run.
    #[must_use]
    pub fn threads(&self) -> usize {
        self.slots
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        FREE.fetch_add(self.slots, Ordering::SeqCst);
    }
}

/// Takes up to `wanted` slots for threads that must run side by side (0 when none is free:
/// the holder then does the work on its own thread).
#[must_use]
pub fn reserve(wanted: usize) -> Reservation {
    Reservation {
        slots: take(wanted),
    }
}

/// Work started by [`spawn`]: on a thread of its own, or already done on the caller's.
pub enum Task<'scope, T> {
    /// Running on a thread; its slot is given back when [`join`] has seen the thread end
    /// (given back inside the thread, the slot would be free a moment before the thread is
    /// gone, and the next thread could start while this one still exists).
    Thread(ScopedJoinHandle<'scope, T>, Reservation),
    /// Done on the calling thread (no slot was free).
    Done(T),
}

/// Runs `work` on a new thread of `scope` if a slot is free, else at once on this thread.
pub fn spawn<'scope, 'env, T, F>(scope: &'scope Scope<'scope, 'env>, work: F) -> Task<'scope, T>
where
    T: Send + 'scope,
    F: FnOnce() -> T + Send + 'scope,
{
    let slot = reserve(1);
    if slot.threads() == 0 {
        return Task::Done(work());
    }
    Task::Thread(scope.spawn(work), slot)
}

/// Runs `work` on a detached thread if a slot is free (for freeing memory in the background),
/// else at once on this thread.
pub fn spawn_detached<F: FnOnce() + Send + 'static>(work: F) {
    let slot = reserve(1);
    if slot.threads() == 0 {
        work();
    } else {
        std::thread::spawn(move || {
            let _slot = slot;
            work();
        });
    }
}

/// The task's result; its thread's panic, if it panicked, raised again here.
pub fn join<T>(task: Task<'_, T>) -> T {
    match task {
        Task::Done(t) => t,
        Task::Thread(handle, slot) => {
            let result = handle.join();
            drop(slot);
            result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }
    }
}

/// The tasks' results in the order of `tasks` (see [`join`]). A vector, not a lazy iterator,
/// so every thread is running before the first is waited for.
pub fn join_all<T>(tasks: Vec<Task<'_, T>>) -> Vec<T> {
    tasks.into_iter().map(join).collect()
}

/// `work` of every item on up to `threads` threads, each taking the next item not yet
/// taken when done with one (so a slow item does not hold the others back); the results come
/// back in the order of `items`, whatever the number of threads.
pub fn map_queued<I, R, F>(items: &[I], threads: usize, work: F) -> Vec<R>
where
    I: Sync,
    R: Send,
    F: Fn(&I) -> R + Sync,
{
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(k) else {
                return done;
            };
            done.push((k, work(item)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| spawn(scope, take)).collect();
        join_all(handles).into_iter().flatten().collect()
    });
    results.sort_unstable_by_key(|&(k, _)| k);
    results.into_iter().map(|(_, r)| r).collect()
}

/// [`map_queued`] of items each worked on by value (pieces of one vector to fill, say): the
/// same queue, each item handed over whole to the thread that takes it.
pub fn map_queued_owned<I, R, F>(items: Vec<I>, threads: usize, work: F) -> Vec<R>
where
    I: Send,
    R: Send,
    F: Fn(I) -> R + Sync,
{
    let slots: Vec<std::sync::Mutex<Option<I>>> = items
        .into_iter()
        .map(|i| std::sync::Mutex::new(Some(i)))
        .collect();
    map_queued(&slots, threads, |slot| {
        // Each slot is taken once: the queue hands every index to one thread.
        let item = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        work(item.expect("an item of the queue taken twice"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_items_are_each_worked_once_and_come_back_in_order() {
        for threads in [1, 2, 5] {
            let items: Vec<Vec<u64>> = (0..20).map(|i| vec![i; 3]).collect();
            let got = map_queued_owned(items, threads, |v| v.into_iter().sum::<u64>());
            let want: Vec<u64> = (0..20).map(|i| 3 * i).collect();
            assert_eq!(got, want, "{threads} threads");
        }
    }

    #[test]
    fn queued_results_come_back_in_item_order() {
        let items: Vec<u64> = (0..50).collect();
        for threads in [1, 2, 3, 64] {
            let got = map_queued(&items, threads, |&i| {
                std::thread::sleep(std::time::Duration::from_micros(50 - i));
                i * i
            });
            assert_eq!(
                got,
                items.iter().map(|i| i * i).collect::<Vec<_>>(),
                "{threads}"
            );
        }
        assert!(map_queued(&[] as &[u8], 2, |_| 0).is_empty());
    }

    #[test]
    fn results_come_back_in_spawning_order() {
        let got = std::thread::scope(|scope| {
            join_all(
                (0..8u64)
                    .map(|i| {
                        spawn(scope, move || {
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
            join(Task::Thread(h, reserve(0)))
        });
    }
}
