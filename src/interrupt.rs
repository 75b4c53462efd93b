//! Ctrl-C: the first SIGINT asks the run to stop where it is and report what it found so
//! far (the summary says it was interrupted, and the exit code is 130); a second one ends
//! the process at once, as the shell's default would.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: nothing else is async-signal-safe here.
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Installs the handler. `SA_RESETHAND` restores the default after the first signal, so a
/// second Ctrl-C kills a run that is slow to stop.
pub fn install() {
    // SAFETY: `sigaction` with a zeroed struct, an empty mask and a handler that only
    // stores to an atomic, which is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        // No `SA_RESTART`: a read blocked on a named FIFO or stdin returns, and stops.
        action.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Whether the user asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
