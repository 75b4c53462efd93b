//! The sweep's digest: what a person reads in five seconds at the end of `keysweep
//! sweep` — how many private keys and how many of them others can read, how many AWS
//! keys of which kind, where they were, and the commands that fix the permissions.

use std::io::{self, Write};

pub use crate::pipeline::{AwsCounts, PlaceCount, SweepDigest};

/// Fix commands shown before "and N more".
const FIXES_SHOWN: usize = 8;

pub fn write(out: &mut dyn Write, d: &SweepDigest) -> io::Result<()> {
    writeln!(out, "keysweep sweep of {}", d.home)?;
    let mut keys = format!("{}", d.private_keys);
    if d.distinct_private_keys != d.private_keys {
        keys.push_str(&format!(" ({} distinct)", d.distinct_private_keys));
    }
    if d.private_keys > 0 {
        keys.push_str(&format!(
            ", {} readable by others, {} without a passphrase",
            d.readable_by_others, d.unencrypted
        ));
    }
    writeln!(out, "  private keys  {keys}")?;
    let a = &d.aws_keys;
    let total = a.long_term + a.temporary + a.other + a.secret_only;
    let mut aws = total.to_string();
    if let Some(kinds) = super::nonzero(&[
        (a.long_term, "long-term (AKIA)"),
        (a.temporary, "temporary (ASIA)"),
        (a.other, "other"),
        (a.secret_only, "secret without its id"),
    ]) {
        aws.push_str(&format!(": {kinds}"));
    }
    writeln!(out, "  AWS keys      {aws}")?;
    if !d.places.is_empty() {
        let places: Vec<String> = d
            .places
            .iter()
            .map(|p| format!("{} {}", p.place, p.findings))
            .collect();
        writeln!(out, "  where         {}", places.join(" · "))?;
    }
    writeln!(
        out,
        "  histories     {} git {} scanned",
        d.repositories,
        if d.repositories == 1 {
            "repository"
        } else {
            "repositories"
        }
    )?;
    if !d.fix_commands.is_empty() {
        for (i, fix) in d.fix_commands.iter().take(FIXES_SHOWN).enumerate() {
            let label = if i == 0 { "fix now" } else { "" };
            writeln!(out, "  {label:<12}  {}", super::printable(fix))?;
        }
        if d.fix_commands.len() > FIXES_SHOWN {
            writeln!(
                out,
                "                and {} more",
                d.fix_commands.len() - FIXES_SHOWN
            )?;
        }
        writeln!(
            out,
            "                (or all at once: keysweep sweep --fix-permissions)"
        )?;
    }
    Ok(())
}
