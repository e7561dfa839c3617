//! A progress bar on stderr for long simulations: shown only when stderr is a terminal and
//! `--quiet` is not given. It polls the library's replicate counter from its own thread, so the
//! simulation neither prints nor slows down.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use trialdose::sim::runner;

/// A running progress display; stops and clears when dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts a bar for `total` replicates unless `quiet` or stderr is not a terminal.
    pub fn start(total: u64, quiet: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() || total == 0 {
            return Progress { stop, handle: None };
        }
        let base = runner::completed();
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} replicates, {eta} left")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            while !flag.load(Ordering::Relaxed) {
                bar.set_position((runner::completed() - base).min(total));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Progress {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
