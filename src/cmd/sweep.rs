//! `keysweep sweep`: a workstation's home through the pipeline; the report, and the
//! digest on stderr beside a machine format.

use crate::exit::ExitCode;
use std::io;

use crate::pipeline::sweep;
pub use crate::pipeline::sweep::{DEFAULT_EXCLUDES, SweepConfig};
use crate::report::{Format, digest};

pub fn run(cfg: &SweepConfig) -> anyhow::Result<ExitCode> {
    let outcome = sweep::sweep(cfg)?;
    let code = super::finish(&cfg.scan.output, &outcome)?;
    // The human report holds the digest (on stdout); beside a machine format it is shown
    // on stderr for the person watching.
    if !cfg.scan.output.quiet
        && cfg.scan.output.format != Format::Human
        && let Some(d) = &outcome.summary.sweep
    {
        crate::say!();
        digest::write(&mut io::stderr().lock(), d)?;
    }
    Ok(code)
}
