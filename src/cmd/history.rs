//! `keysweep history`: repositories' histories through the pipeline, one report.

use crate::exit::ExitCode;
use crate::pipeline::history;
pub use crate::pipeline::history::HistoryConfig;

pub fn run(cfg: &HistoryConfig) -> anyhow::Result<ExitCode> {
    super::finish(&cfg.output, &history::scan(cfg)?)
}
