//! Export progress on stderr: after about a second, rows and bytes written,
//! redrawn in place until the export ends. Only when stderr is a terminal,
//! so scripts and logs never see it, and never in the exported file.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lathe::export::{ExportCounters, progress_line};

/// A running progress line; dropping it stops and clears the line.
pub(crate) struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing `counters` (a plain thread: CPU-bound queries can keep
    /// every runtime worker, and with them tokio's timers, busy).
    pub(crate) fn start(counters: Arc<ExportCounters>) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let thread = std::io::stderr().is_terminal().then(|| {
            let done = Arc::clone(&done);
            std::thread::spawn(move || draw(&counters, &done))
        });
        Self { done, thread }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn draw(counters: &ExportCounters, done: &AtomicBool) {
    let started = Instant::now();
    let mut drawn = false;
    let mut tick = 0u32;
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        tick += 1;
        if started.elapsed() < Duration::from_secs(1) || !tick.is_multiple_of(5) {
            continue;
        }
        eprint!(
            "\r\x1b[K{}",
            progress_line(counters.snapshot(), started.elapsed())
        );
        drawn = true;
    }
    if drawn {
        eprint!("\r\x1b[K");
    }
}
