//! `keysweep scan`: files and folders through the pipeline, one report.

use crate::exit::ExitCode;
use crate::pipeline::files;
pub use crate::pipeline::files::ScanConfig;

pub fn run(cfg: &ScanConfig) -> anyhow::Result<ExitCode> {
    super::finish(&cfg.output, &files::scan(cfg)?)
}
