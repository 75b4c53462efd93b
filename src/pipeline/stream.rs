//! `--format jsonl` prints findings as they are found, so a long run shows its results as
//! it goes and a run that is killed has printed what it found. Each batch is filtered
//! (baseline, inline allow, minimum severity, excludes) before it is printed, and marked
//! as printed so the final report does not print it again. A reader that closes the pipe
//! stops the printing, never the run or its exit code.

use std::io::{self, Write};
use std::sync::Mutex;

use crate::filter::{Filter, Silenced};
use crate::finding::Finding;
use crate::report::json;

pub struct Stream<'f> {
    filter: &'f Filter,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// `None` once the reader has gone (a closed pipe).
    out: Option<io::BufWriter<io::Stdout>>,
    silenced: Silenced,
    /// A write error other than a closed pipe, for the end of the run to report.
    error: Option<io::Error>,
}

impl<'f> Stream<'f> {
    pub fn new(filter: &'f Filter) -> Stream<'f> {
        Stream {
            filter,
            state: Mutex::new(State {
                out: Some(io::BufWriter::new(io::stdout())),
                ..State::default()
            }),
        }
    }

    /// Filters `findings`, prints what is left (one line each, flushed), and returns it
    /// marked as printed.
    pub fn emit(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut silenced = Silenced::default();
        let mut kept = self.filter.apply(findings, &mut silenced);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.silenced.add(&silenced);
        if let Some(out) = state.out.as_mut() {
            let written = json::write_lines(out, &kept).and_then(|()| out.flush());
            if let Err(e) = written {
                state.out = None;
                if e.kind() != io::ErrorKind::BrokenPipe {
                    state.error = Some(e);
                }
            }
        }
        for f in &mut kept {
            f.streamed = true;
        }
        kept
    }

    /// What the filters silenced in the printed batches; an error if printing failed
    /// for any reason but a closed pipe.
    pub fn finish(self) -> io::Result<Silenced> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        match state.error {
            Some(e) => Err(e),
            None => Ok(state.silenced),
        }
    }
}
