//! `keysweep history`: repositories' histories through the pipeline, one report.

use crate::pipeline::history;
pub use crate::pipeline::history::HistoryConfig;

pub fn run(cfg: &HistoryConfig) -> anyhow::Result<i32> {
    super::finish(&cfg.output, &history::scan(cfg)?)
}
