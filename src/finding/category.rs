//! What kind of secret (or weakness) a finding is, and how severe: the two words every
//! report, filter and baseline sorts by. Settled here, once.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A finding's category. The built-in detectors' categories are variants; a user's
/// signature file may name any other (kept as written).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Category {
    PrivateKey,
    AwsAccessKey,
    AwsSecretKey,
    AwsSessionToken,
    /// A key file (or `.ssh` folder) that others can read or write: a place, not a secret.
    InsecurePermissions,
    /// An ingress rule in infrastructure code letting the world reach port 22.
    SshOpenToWorld,
    /// An sshd setting that lets root or passwords in.
    SshdWeakSetting,
    /// An access key made (in infrastructure code) for a user with administrator rights.
    AwsKeyRisk,
    /// A category a user's signature names.
    Other(String),
}

impl Category {
    pub fn as_str(&self) -> &str {
        match self {
            Category::PrivateKey => "private-key",
            Category::AwsAccessKey => "aws-access-key",
            Category::AwsSecretKey => "aws-secret-key",
            Category::AwsSessionToken => "aws-session-token",
            Category::InsecurePermissions => "insecure-permissions",
            Category::SshOpenToWorld => "ssh-open-to-world",
            Category::SshdWeakSetting => "sshd-weak-setting",
            Category::AwsKeyRisk => "aws-key-risk",
            Category::Other(s) => s,
        }
    }

    /// An AWS credential of any kind (key id, secret, session token).
    pub fn is_aws(&self) -> bool {
        matches!(
            self,
            Category::AwsAccessKey | Category::AwsSecretKey | Category::AwsSessionToken
        )
    }
}

impl From<String> for Category {
    fn from(s: String) -> Category {
        match s.as_str() {
            "private-key" => Category::PrivateKey,
            "aws-access-key" => Category::AwsAccessKey,
            "aws-secret-key" => Category::AwsSecretKey,
            "aws-session-token" => Category::AwsSessionToken,
            "insecure-permissions" => Category::InsecurePermissions,
            "ssh-open-to-world" => Category::SshOpenToWorld,
            "sshd-weak-setting" => Category::SshdWeakSetting,
            "aws-key-risk" => Category::AwsKeyRisk,
            _ => Category::Other(s),
        }
    }
}

impl From<&str> for Category {
    fn from(s: &str) -> Category {
        Category::from(s.to_string())
    }
}

impl From<Category> for String {
    fn from(c: Category) -> String {
        match c {
            Category::Other(s) => s,
            c => c.as_str().to_string(),
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_through_their_names() {
        for name in [
            "private-key",
            "aws-access-key",
            "aws-secret-key",
            "aws-session-token",
            "insecure-permissions",
            "ssh-open-to-world",
            "sshd-weak-setting",
            "aws-key-risk",
            "slack-token",
        ] {
            let c = Category::from(name);
            assert_eq!(c.as_str(), name);
            assert_eq!(String::from(c), name);
        }
        assert_eq!(Category::from("private-key"), Category::PrivateKey);
        assert!(Category::AwsSessionToken.is_aws() && !Category::PrivateKey.is_aws());
    }
}
