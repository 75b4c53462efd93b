//! `keysweep scan`: files and folders through the pipeline, one report.

use crate::pipeline::files;
pub use crate::pipeline::files::ScanConfig;

pub fn run(cfg: &ScanConfig) -> anyhow::Result<i32> {
    super::finish(&cfg.output, &files::scan(cfg)?)
}
