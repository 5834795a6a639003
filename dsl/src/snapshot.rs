//! Deployed configuration (layer 3): security groups and their rules as a
//! snapshot shows them, normalised to one rule per peer.
//!
//! Sources: `terraform show -json` of a state or plan, and
//! `aws ec2 describe-security-groups` JSON. This module only reads text it
//! is handed; callers do the IO.

use std::collections::BTreeMap;

use crate::derive::{Direction, Peer};
use crate::model::Map;
use crate::protocol::Traffic;

/// One deployed permission, normalised: one group, one direction, one
/// protocol and port range, one peer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeployedRule {
    /// The group the rule sits on.
    pub security_group_id: String,
    /// Ingress or egress.
    pub direction: Direction,
    /// What it admits.
    pub traffic: Traffic,
    /// From (ingress) or to (egress) whom; `self` references are the group's own id.
    pub peer: Peer,
    /// The rule's description, if any.
    pub description: Option<String>,
    /// Where it came from: a Terraform resource address
    /// (`aws_vpc_security_group_ingress_rule.x["key"]`) or a JSON path in a
    /// describe-security-groups document.
    pub origin: String,
}

/// A deployed security group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// `sg-...`.
    pub id: String,
    /// Its name, if known.
    pub name: Option<String>,
    /// Its VPC, if known.
    pub vpc_id: Option<String>,
    /// Where it came from (resource address or JSON path).
    pub origin: String,
}

/// Everything a snapshot shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// What kind of document it was.
    pub format: SnapshotFormat,
    /// Groups by id.
    pub groups: BTreeMap<String, Group>,
    /// Normalised rules, sorted.
    pub rules: Vec<DeployedRule>,
    /// The application map declared by `appmap_*` resources in a Terraform
    /// state or plan, when there are any.
    pub map: Option<Map>,
}

/// The kind of snapshot document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotFormat {
    /// `terraform show -json` of a state.
    #[default]
    TerraformState,
    /// `terraform show -json` of a saved plan (planned values).
    TerraformPlan,
    /// `aws ec2 describe-security-groups --output json`.
    DescribeSecurityGroups,
}
