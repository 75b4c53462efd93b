//! Progress lines on stderr, drawn only on a terminal and never in a quiet run.

use std::io::{self, IsTerminal};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress line on stderr, drawn only when stderr is a terminal and the run is not
/// quiet: a bar of `len` steps, or a spinner when `len` is `None`, in `template`.
pub fn bar(quiet: bool, len: Option<u64>, template: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
