//! `rules check`: proves that each rule does what its examples say. Every example must
//! produce a match of its rule and contain one of the rule's keywords (a match the
//! prefilter cannot see is a match we would never find); every keyword must occur in some
//! example (a keyword no example exercises is untested); no negative example may produce
//! a match of its rule.

use super::blob::BlobScanner;
use crate::finding::Disclosure;
use crate::rules::RuleSet;
use crate::scan::{ScanOptions, Scanner};

/// One rule's result.
#[derive(Debug)]
pub struct RuleReport {
    pub rule: String,
    pub examples: usize,
    pub negative_examples: usize,
    pub problems: Vec<String>,
}

pub fn check(set: &RuleSet) -> Result<Vec<RuleReport>, crate::scan::BuildError> {
    let mut reports = Vec::new();
    for rule in &set.rules {
        // Each rule on its own: where two rules find the same secret, the scanner keeps
        // one finding, and an example must prove its own rule. Documentation examples are
        // not "found" by default, exactly as in a user's scan.
        let alone = RuleSet {
            rules: vec![rule.clone()],
        };
        let scanner = Scanner::new(&alone, ScanOptions::default())?;
        scanner.compile_all()?;
        let mut blobs = BlobScanner::new(&scanner, Disclosure::Redacted);
        let ri = 0;
        let mut problems = Vec::new();
        if rule.examples.is_empty() {
            problems.push("has no examples".to_string());
        }
        for (i, ex) in rule.examples.iter().enumerate() {
            let n = i + 1;
            if !rule.keywords.iter().any(|k| ex.contains(k.as_str())) {
                problems.push(format!("example {n} contains none of the rule's keywords"));
            }
            if !blobs.matches(ex.as_bytes()).iter().any(|m| m.rule == ri) {
                problems.push(format!("example {n} does not match"));
            }
        }
        for kw in &rule.keywords {
            if !rule.examples.iter().any(|e| e.contains(kw.as_str())) {
                problems.push(format!("keyword {kw:?} occurs in no example"));
            }
        }
        for (i, ex) in rule.negative_examples.iter().enumerate() {
            if blobs.matches(ex.as_bytes()).iter().any(|m| m.rule == ri) {
                problems.push(format!("negative example {} matches", i + 1));
            }
        }
        reports.push(RuleReport {
            rule: rule.id.clone(),
            examples: rule.examples.len(),
            negative_examples: rule.negative_examples.len(),
            problems,
        });
    }
    Ok(reports)
}
