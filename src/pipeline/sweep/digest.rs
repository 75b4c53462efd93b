//! The sweep's digest (what a person reads in five seconds) and the places keys pile up,
//! in the order the report lists them.

use std::collections::HashSet;

use super::{AwsCounts, PlaceCount, SweepDigest};
use crate::finding::{AwsKind as Kind, Category, Finding};

/// Where a finding is, as the report orders it: the places keys pile up first.
pub(super) fn place<'a>(home: &str, f: &'a Finding) -> (u8, &'a str) {
    if f.git().is_some() {
        return (12, "git history");
    }
    let rel = f
        .path
        .strip_prefix(home)
        .map(|r| r.trim_start_matches('/'))
        .unwrap_or(&f.path);
    let top = rel.split('/').next().unwrap_or("");
    let on_disk = rel.split('!').next().unwrap_or(rel);
    let name = on_disk.rsplit('/').next().unwrap_or(on_disk);
    match top {
        "Downloads" => (0, "Downloads"),
        "Desktop" => (1, "Desktop"),
        "Documents" => (2, "Documents"),
        ".ssh" => (3, "~/.ssh"),
        ".aws" => (4, "~/.aws"),
        ".config" => (5, "~/.config"),
        ".kube" => (6, "~/.kube"),
        ".docker" => (7, "~/.docker"),
        _ if rel.starts_with(".local/share/Trash/") || top == ".Trash" => (10, "trash"),
        _ if name.ends_with("_history") || name == ".history" => (8, "shell history"),
        _ if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") => {
            (9, ".env files")
        }
        _ => (11, "elsewhere"),
    }
}

pub(super) fn digest_of(home: &str, findings: &[Finding], repositories: usize) -> SweepDigest {
    let mut d = SweepDigest {
        home: home.to_string(),
        repositories,
        aws_keys: AwsCounts::default(),
        ..SweepDigest::default()
    };
    let mut distinct = HashSet::new();
    // AWS keys are counted once per key id (a key in three files is one key), by kind;
    // secrets found without their id once each.
    let mut aws: [HashSet<&str>; 4] = Default::default();
    let mut places: Vec<(u8, PlaceCount)> = Vec::new();
    for f in findings {
        match f.category {
            Category::PrivateKey if !f.example => {
                d.private_keys += 1;
                distinct.insert(f.id.as_str());
                let others_read = f
                    .file()
                    .and_then(|file| u32::from_str_radix(&file.mode, 8).ok())
                    .is_some_and(|m| m & 0o044 != 0);
                d.readable_by_others += usize::from(others_read);
                d.unencrypted += usize::from(f.key.as_ref().is_some_and(|k| !k.encrypted));
            }
            // A secret (and a session token) found beside its id is part of the id's
            // finding, whose category says `aws-session-token` when it has a token.
            Category::AwsAccessKey | Category::AwsSessionToken
                if let Some(id) = f.aws.as_ref().and_then(|a| a.access_key_id.as_deref()) =>
            {
                let kind = match f.aws.as_ref().and_then(|a| a.kind) {
                    Some(Kind::LongTerm) => 0,
                    Some(Kind::Temporary) => 1,
                    _ => 2,
                };
                aws[kind].insert(id);
            }
            Category::AwsSecretKey => {
                aws[3].insert(f.id.as_str());
            }
            _ => {}
        }
        if let Some(fix) = &f.fix
            && !f.fixed
        {
            d.fix_commands.push(fix.clone());
        }
        let (rank, label) = place(home, f);
        match places.iter_mut().find(|(_, p)| p.place == label) {
            Some((_, p)) => p.findings += 1,
            None => places.push((
                rank,
                PlaceCount {
                    place: label.to_string(),
                    findings: 1,
                },
            )),
        }
    }
    // The places in the order keys pile up in, whatever order the findings are in.
    places.sort_by_key(|(rank, _)| *rank);
    d.places = places.into_iter().map(|(_, p)| p).collect();
    d.distinct_private_keys = distinct.len();
    d.aws_keys = AwsCounts {
        long_term: aws[0].len(),
        temporary: aws[1].len(),
        other: aws[2].len(),
        secret_only: aws[3].len(),
    };
    d
}
