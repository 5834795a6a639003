//! Deployed configuration (layer 3): security groups and their rules as a
//! snapshot shows them, normalised to one rule per peer.
//!
//! Sources: `terraform show -json` of a state or plan, and
//! `aws ec2 describe-security-groups` JSON. This module only reads text it
//! is handed; callers do the IO.
//!
//! Architecture invariant: parsing never panics and never builds one
//! `serde_json::Value` of the whole document. The document is deserialised
//! straight into typed structs; only the `values` object of one Terraform
//! resource at a time passes through a `Value`. Unknown attributes are
//! ignored, so newer Terraform or AWS CLI output still reads.
//!
//! Normalisation:
//! - protocols by name or number (`tcp`/`6`, `-1`/`all`), through [`IpProtocol`];
//! - ports: `-1` and absent mean "all" (protocol `-1` has none); TCP/UDP
//!   `0-65535` is taken as `1-65535`; ICMP type and code travel in the port
//!   fields (`-1` = every type / code);
//! - one [`DeployedRule`] per peer: a rule with three CIDRs and a group
//!   becomes four; `self` becomes the group's own id;
//! - the same permission seen twice (an `aws_security_group`'s computed
//!   `ingress` block and the separate rule resource that created it) is kept
//!   once, with the separate resource as its origin;
//! - rules that cannot be expressed (an IP protocol other than TCP, UDP,
//!   ICMP or all, an unknown value in a plan) are dropped with a note in
//!   [`Snapshot::warnings`], never silently.

use std::collections::BTreeMap;
use std::fmt;

use ipnet::IpNet;
use serde::Deserialize;
use serde_json::Value;

use crate::derive::{Direction, Peer};
use crate::diag::{Diagnostic, Diagnostics, Location, PathStep};
use crate::model::{
    Boundary, BoundaryKind, Cadence, Date, LoadBalancer, Map, Reason, Relation, Selector, Service, ServiceName,
};
use crate::protocol::{IpProtocol, Named, PortRange, Protocol, Traffic};

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

impl DeployedRule {
    /// AWS's `(ip_protocol, from_port, to_port)` for this rule.
    pub fn aws_fields(&self) -> (IpProtocol, Option<i32>, Option<i32>) {
        self.traffic.aws_fields(matches!(self.peer, Peer::Cidr6(_)))
    }

    /// True for the rule AWS puts on every new group: all traffic out to `0.0.0.0/0` (or `::/0`).
    pub fn is_default_egress(&self) -> bool {
        self.direction == Direction::Egress
            && self.traffic == Traffic::All
            && match &self.peer {
                Peer::Cidr4(n) => n.prefix_len() == 0,
                Peer::Cidr6(n) => n.prefix_len() == 0,
                _ => false,
            }
    }
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
    /// The file it was read from, as the caller named it.
    pub file: String,
    /// What kind of document it was.
    pub format: SnapshotFormat,
    /// Groups by id.
    pub groups: BTreeMap<String, Group>,
    /// Normalised rules, sorted, one per (group, direction, traffic, peer).
    pub rules: Vec<DeployedRule>,
    /// The application map declared by `appmap_*` resources in a Terraform
    /// state or plan, when there are any.
    pub map: Option<Map>,
    /// What could not be read and was left out (with where it was).
    pub warnings: Vec<String>,
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

impl SnapshotFormat {
    /// A short human name.
    pub const fn as_str(&self) -> &'static str {
        match self {
            SnapshotFormat::TerraformState => "terraform state",
            SnapshotFormat::TerraformPlan => "terraform plan",
            SnapshotFormat::DescribeSecurityGroups => "describe-security-groups",
        }
    }
}

impl fmt::Display for SnapshotFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Not JSON, or JSON of the wrong shape at a position.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file as the caller named it.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json said.
        message: String,
    },
    /// Valid JSON, but none of the snapshot formats.
    #[error("{file}: not a snapshot: {message}")]
    UnknownFormat {
        /// The file as the caller named it.
        file: String,
        /// What was found and what was expected.
        message: String,
    },
    /// A resource's attributes have the wrong shape.
    #[error("{file}: {path}: {message}")]
    Resource {
        /// The file as the caller named it.
        file: String,
        /// Resource address, or JSON path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The `appmap_*` resources in the snapshot do not make a map.
    #[error("{file}: the appmap resources do not make a map: {diags}")]
    Map {
        /// The file as the caller named it.
        file: String,
        /// Every problem, located by resource address and attribute.
        diags: Diagnostics,
    },
}

/// Result of this module.
pub type Result<T, E = SnapshotError> = std::result::Result<T, E>;

const EXPECTED: &str = "expected the output of `terraform show -json` (a state with `values` or a saved plan with \
`planned_values`) or of `aws ec2 describe-security-groups --output json` (an object with `SecurityGroups`)";

/// Reads a snapshot, detecting its format: `terraform show -json` of a state
/// or a plan, or `aws ec2 describe-security-groups --output json`.
///
/// # Examples
/// ```
/// use appmap::snapshot::{parse_snapshot, SnapshotFormat};
/// let s = parse_snapshot("sgs.json", r#"{"SecurityGroups": [{"GroupId": "sg-1",
///   "IpPermissions": [{"IpProtocol": "6", "FromPort": 443, "ToPort": 443,
///     "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.168.0.0/16"}],
///     "UserIdGroupPairs": [{"GroupId": "sg-2"}]}],
///   "IpPermissionsEgress": []}]}"#).unwrap();
/// assert_eq!(s.format, SnapshotFormat::DescribeSecurityGroups);
/// assert_eq!(s.rules.len(), 3);
///
/// let err = parse_snapshot("x.json", r#"{"SecurityGroups": [{"GroupId": "sg-1""#).unwrap_err();
/// assert!(err.to_string().starts_with("x.json:1:"), "{err}");
/// let err = parse_snapshot("x.json", r#"{"hello": "world"}"#).unwrap_err();
/// assert!(err.to_string().contains("not a snapshot"), "{err}");
/// ```
pub fn parse_snapshot(file_name: &str, text: &str) -> Result<Snapshot> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| syntax(file_name, text, &e))?;
    let mut out =
        Builder { file: file_name.to_string(), snap: Snapshot { file: file_name.to_string(), ..Snapshot::default() } };
    if let Some(groups) = doc.security_groups {
        out.snap.format = SnapshotFormat::DescribeSecurityGroups;
        out.describe(groups);
    } else if let Some(values) = doc.planned_values {
        out.snap.format = SnapshotFormat::TerraformPlan;
        out.terraform(values, doc.configuration)?;
    } else if let Some(values) = doc.values {
        out.snap.format = SnapshotFormat::TerraformState;
        out.terraform(values, doc.configuration)?;
    } else if doc.format_version.is_some() && doc.terraform_version.is_some() {
        // `terraform show -json` of an empty state has no `values` at all.
        out.snap.format = SnapshotFormat::TerraformState;
    } else {
        return Err(SnapshotError::UnknownFormat { file: file_name.to_string(), message: EXPECTED.to_string() });
    }
    Ok(out.finish())
}

/// The state a saved plan starts from: its `prior_state`, read like a state
/// snapshot, so a plan can be compared with itself (before and after). A plan
/// with no prior state (a first apply) starts from nothing.
///
/// # Examples
/// ```
/// use appmap::snapshot::{parse_plan_prior, SnapshotFormat};
/// let plan = r#"{"format_version": "1.2", "terraform_version": "1.15.5",
///   "planned_values": {"root_module": {"resources": []}}}"#;
/// let before = parse_plan_prior("plan.json", plan).unwrap();
/// assert_eq!(before.format, SnapshotFormat::TerraformState);
/// assert!(before.rules.is_empty());
/// assert!(parse_plan_prior("s.json", r#"{"SecurityGroups": []}"#).unwrap_err().to_string().contains("a saved plan is needed"));
/// ```
pub fn parse_plan_prior(file_name: &str, text: &str) -> Result<Snapshot> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| syntax(file_name, text, &e))?;
    if doc.planned_values.is_none() {
        return Err(SnapshotError::UnknownFormat {
            file: file_name.to_string(),
            message: "a saved plan is needed here: `terraform show -json PLANFILE` output, with `planned_values`"
                .to_string(),
        });
    }
    let mut out =
        Builder { file: file_name.to_string(), snap: Snapshot { file: file_name.to_string(), ..Snapshot::default() } };
    out.snap.format = SnapshotFormat::TerraformState;
    if let Some(values) = doc.prior_state.and_then(|p| p.values) {
        out.terraform(values, doc.configuration)?;
    }
    Ok(out.finish())
}

fn syntax(file: &str, text: &str, e: &serde_json::Error) -> SnapshotError {
    use serde_json::error::Category;
    let mut message = e.to_string();
    // serde_json appends " at line L column C"; we print the position first.
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    match e.classify() {
        Category::Data if message.ends_with(TOP_EXPECTING) || !text.trim_start().starts_with('{') => {
            return SnapshotError::UnknownFormat {
                file: file.to_string(),
                message: format!("{EXPECTED}; found {message}"),
            };
        }
        Category::Eof => message = format!("the JSON ends too early (truncated file?): {message}"),
        Category::Syntax => message = format!("invalid JSON: {message}"),
        Category::Data => message = format!("unexpected value: {message}"),
        Category::Io => {}
    }
    SnapshotError::Syntax { file: file.to_string(), line: e.line().max(1), column: e.column().max(1), message }
}

const TOP_EXPECTING: &str = "a snapshot document (a JSON object)";

// ---------------------------------------------------------------------------
// Document shapes. Everything optional: the shapes are read, not enforced.

#[derive(Deserialize)]
#[serde(expecting = "a snapshot document (a JSON object)")]
struct Doc {
    format_version: Option<String>,
    terraform_version: Option<String>,
    values: Option<TfValues>,
    planned_values: Option<TfValues>,
    prior_state: Option<TfPriorState>,
    configuration: Option<TfConfiguration>,
    #[serde(rename = "SecurityGroups")]
    security_groups: Option<Vec<DsgGroup>>,
}

/// The state a plan started from (`prior_state` of `terraform show -json PLAN`).
#[derive(Deserialize)]
struct TfPriorState {
    values: Option<TfValues>,
}

#[derive(Deserialize)]
struct TfValues {
    root_module: Option<TfModule>,
}

#[derive(Deserialize)]
struct TfModule {
    #[serde(default)]
    resources: Option<Vec<TfResource>>,
    #[serde(default)]
    child_modules: Option<Vec<TfModule>>,
}

#[derive(Deserialize)]
struct TfResource {
    address: Option<String>,
    mode: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    values: Value,
}

#[derive(Deserialize)]
struct TfConfiguration {
    provider_config: Option<BTreeMap<String, TfProviderConfig>>,
}

#[derive(Deserialize)]
struct TfProviderConfig {
    name: Option<String>,
    expressions: Option<Value>,
}

/// A protocol or port field: AWS and Terraform write strings, numbers, or null.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
enum Scalar {
    Num(i64),
    Str(String),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Num(n) => n.to_string(),
            Scalar::Str(s) => s.clone(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            Scalar::Num(n) => Some(*n),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e12 => Some(*f as i64),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct TfSecurityGroup {
    id: Option<String>,
    name: Option<String>,
    vpc_id: Option<String>,
    ingress: Option<Vec<TfInline>>,
    egress: Option<Vec<TfInline>>,
}

#[derive(Deserialize)]
struct TfInline {
    protocol: Option<Scalar>,
    from_port: Option<Scalar>,
    to_port: Option<Scalar>,
    cidr_blocks: Option<Vec<String>>,
    ipv6_cidr_blocks: Option<Vec<String>>,
    prefix_list_ids: Option<Vec<String>>,
    security_groups: Option<Vec<String>>,
    #[serde(rename = "self")]
    self_: Option<bool>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct TfSecurityGroupRule {
    #[serde(rename = "type")]
    ty: Option<String>,
    security_group_id: Option<String>,
    protocol: Option<Scalar>,
    from_port: Option<Scalar>,
    to_port: Option<Scalar>,
    cidr_blocks: Option<Vec<String>>,
    ipv6_cidr_blocks: Option<Vec<String>>,
    prefix_list_ids: Option<Vec<String>>,
    source_security_group_id: Option<String>,
    #[serde(rename = "self")]
    self_: Option<bool>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct TfVpcRule {
    security_group_id: Option<String>,
    ip_protocol: Option<Scalar>,
    from_port: Option<Scalar>,
    to_port: Option<Scalar>,
    cidr_ipv4: Option<String>,
    cidr_ipv6: Option<String>,
    prefix_list_id: Option<String>,
    referenced_security_group_id: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct TfService {
    name: Option<String>,
    zone: Option<String>,
    owner: Option<String>,
    security_group_ids: Option<Vec<String>>,
    cidrs: Option<Vec<String>>,
    prefix_list_ids: Option<Vec<String>>,
    listens: Option<BTreeMap<String, Scalar>>,
    load_balancer: Option<TfLoadBalancer>,
    retired: Option<bool>,
}

#[derive(Deserialize)]
struct TfLoadBalancer {
    name: Option<String>,
    security_group_ids: Option<Vec<String>>,
    listeners: Option<BTreeMap<String, Scalar>>,
    health_check_port: Option<Scalar>,
    target_port: Option<Scalar>,
}

/// A relation end: the service's `ref` object, or a bare name.
#[derive(Deserialize)]
#[serde(untagged)]
enum TfRef {
    Name(String),
    Obj { name: Option<String> },
}

#[derive(Deserialize)]
struct TfRelation {
    from: Option<TfRef>,
    to: Option<TfRef>,
    protocol: Option<String>,
    reason: Option<String>,
    review_by: Option<String>,
    cadence: Option<String>,
    owner: Option<String>,
    ticket: Option<String>,
    acknowledge_all_traffic: Option<bool>,
}

/// `appmap_boundary` resources and provider `boundary` blocks.
#[derive(Deserialize)]
struct TfBoundary {
    from: Option<String>,
    never_talks_to: Option<Vec<String>>,
    never_reaches: Option<Vec<String>>,
    except_through: Option<Vec<String>>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DsgGroup {
    group_id: Option<String>,
    group_name: Option<String>,
    vpc_id: Option<String>,
    ip_permissions: Option<Vec<DsgPermission>>,
    ip_permissions_egress: Option<Vec<DsgPermission>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DsgPermission {
    ip_protocol: Option<Scalar>,
    from_port: Option<Scalar>,
    to_port: Option<Scalar>,
    ip_ranges: Option<Vec<DsgRange4>>,
    ipv6_ranges: Option<Vec<DsgRange6>>,
    prefix_list_ids: Option<Vec<DsgPrefixList>>,
    user_id_group_pairs: Option<Vec<DsgPair>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DsgRange4 {
    cidr_ip: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DsgRange6 {
    cidr_ipv6: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DsgPrefixList {
    prefix_list_id: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DsgPair {
    group_id: Option<String>,
    description: Option<String>,
}

// ---------------------------------------------------------------------------
// Normalisation.

/// The traffic a `(protocol, from_port, to_port)` triple admits.
///
/// # Examples
/// ```
/// use appmap::snapshot::traffic_of;
/// use appmap::{PortRange, Traffic};
/// assert_eq!(traffic_of("6", Some(443), Some(443)), Ok(Traffic::Tcp(PortRange::single(443))));
/// assert_eq!(traffic_of("tcp", Some(0), Some(65535)), Ok(Traffic::Tcp(PortRange::new(1, 65535).unwrap())));
/// assert_eq!(traffic_of("-1", None, None), Ok(Traffic::All));
/// assert_eq!(traffic_of("icmp", Some(8), Some(-1)), Ok(Traffic::Icmp { ty: Some(8), code: None }));
/// assert!(traffic_of("50", None, None).unwrap_err().contains("50"));
/// assert!(traffic_of("tcp", Some(90), Some(80)).is_err());
/// ```
pub fn traffic_of(
    protocol: &str,
    from_port: Option<i64>,
    to_port: Option<i64>,
) -> std::result::Result<Traffic, String> {
    let proto: IpProtocol = protocol.parse().map_err(|e: String| {
        format!("{e}; appmap checks TCP, UDP, ICMP and all-traffic rules only, so this rule is not checked")
    })?;
    match proto {
        IpProtocol::All => Ok(Traffic::All),
        IpProtocol::Tcp | IpProtocol::Udp => {
            let lo = match from_port {
                None | Some(-1) => 1,
                Some(p) => p.max(1),
            };
            let hi = match to_port {
                None | Some(-1) => 65535,
                Some(p) => p,
            };
            let range =
                u16::try_from(lo).ok().zip(u16::try_from(hi).ok()).and_then(|(a, b)| PortRange::new(a, b)).ok_or_else(
                    || {
                        format!(
                            "port range {}-{} is not a range of ports 0-65535",
                            from_port.unwrap_or(-1),
                            to_port.unwrap_or(-1)
                        )
                    },
                )?;
            Ok(if proto == IpProtocol::Tcp { Traffic::Tcp(range) } else { Traffic::Udp(range) })
        }
        IpProtocol::Icmp | IpProtocol::Icmpv6 => {
            let byte = |v: Option<i64>, what: &str| -> std::result::Result<Option<u8>, String> {
                match v {
                    None | Some(-1) => Ok(None),
                    Some(n) => u8::try_from(n).map(Some).map_err(|_| format!("ICMP {what} {n} is not 0-255 or -1")),
                }
            };
            let ty = byte(from_port, "type")?;
            let code = if ty.is_some() { byte(to_port, "code")? } else { None };
            Ok(Traffic::Icmp { ty, code })
        }
    }
}

fn peer_of_cidr(text: &str) -> std::result::Result<Peer, String> {
    text.trim()
        .parse::<IpNet>()
        .map(Peer::from)
        .map_err(|_| format!("`{text}` is not a CIDR block (write e.g. 10.0.0.0/16)"))
}

/// One permission before it is split by peer.
struct Permission<'a> {
    group: &'a str,
    direction: Direction,
    protocol: Option<String>,
    from_port: Option<i64>,
    to_port: Option<i64>,
    origin: String,
}

struct Builder {
    file: String,
    snap: Snapshot,
}

fn port(v: &Option<Scalar>) -> Option<i64> {
    v.as_ref().and_then(Scalar::int)
}

impl Builder {
    fn warn(&mut self, origin: &str, message: impl fmt::Display) {
        self.snap.warnings.push(format!("{origin}: {message}; left out"));
    }

    /// Adds one rule per peer; `peers` carry their own description when the format has one.
    fn push(
        &mut self,
        p: &Permission<'_>,
        peers: Vec<(std::result::Result<Peer, String>, Option<String>, String)>,
        description: Option<&str>,
    ) {
        let Some(protocol) = p.protocol.as_deref() else {
            self.warn(&p.origin, "no protocol (unknown until apply?)");
            return;
        };
        let traffic = match traffic_of(protocol, p.from_port, p.to_port) {
            Ok(t) => t,
            Err(e) => return self.warn(&p.origin, e),
        };
        if peers.is_empty() {
            self.warn(&p.origin, "the rule names no peer (CIDR, prefix list or security group)");
        }
        for (peer, own_description, origin) in peers {
            match peer {
                Ok(peer) => self.snap.rules.push(DeployedRule {
                    security_group_id: p.group.to_string(),
                    direction: p.direction,
                    traffic,
                    peer,
                    description: own_description.or_else(|| description.map(str::to_string)).filter(|d| !d.is_empty()),
                    origin,
                }),
                Err(e) => self.warn(&origin, e),
            }
        }
    }

    fn group(&mut self, id: &str, name: Option<String>, vpc_id: Option<String>, origin: String) {
        self.snap.groups.entry(id.to_string()).or_insert(Group { id: id.to_string(), name, vpc_id, origin });
    }

    fn describe(&mut self, groups: Vec<DsgGroup>) {
        for (gi, g) in groups.into_iter().enumerate() {
            let base = format!("SecurityGroups[{gi}]");
            let Some(id) = g.group_id.filter(|s| !s.is_empty()) else {
                self.warn(&base, "no GroupId");
                continue;
            };
            self.group(&id, g.group_name, g.vpc_id, base.clone());
            for (direction, list, field) in [
                (Direction::Ingress, g.ip_permissions, "IpPermissions"),
                (Direction::Egress, g.ip_permissions_egress, "IpPermissionsEgress"),
            ] {
                for (pi, perm) in list.unwrap_or_default().into_iter().enumerate() {
                    let origin = format!("{base}.{field}[{pi}]");
                    let p = Permission {
                        group: &id,
                        direction,
                        protocol: perm.ip_protocol.as_ref().map(Scalar::text),
                        from_port: port(&perm.from_port),
                        to_port: port(&perm.to_port),
                        origin: origin.clone(),
                    };
                    let mut peers = Vec::new();
                    for (i, r) in perm.ip_ranges.unwrap_or_default().into_iter().enumerate() {
                        let o = format!("{origin}.IpRanges[{i}]");
                        peers.push((peer_of_cidr(r.cidr_ip.as_deref().unwrap_or("")), r.description, o));
                    }
                    for (i, r) in perm.ipv6_ranges.unwrap_or_default().into_iter().enumerate() {
                        let o = format!("{origin}.Ipv6Ranges[{i}]");
                        peers.push((peer_of_cidr(r.cidr_ipv6.as_deref().unwrap_or("")), r.description, o));
                    }
                    for (i, r) in perm.prefix_list_ids.unwrap_or_default().into_iter().enumerate() {
                        let o = format!("{origin}.PrefixListIds[{i}]");
                        let peer = r.prefix_list_id.map(Peer::PrefixList).ok_or_else(|| "no PrefixListId".to_string());
                        peers.push((peer, r.description, o));
                    }
                    for (i, r) in perm.user_id_group_pairs.unwrap_or_default().into_iter().enumerate() {
                        let o = format!("{origin}.UserIdGroupPairs[{i}]");
                        let peer = r.group_id.map(Peer::Group).ok_or_else(|| "no GroupId".to_string());
                        peers.push((peer, r.description, o));
                    }
                    self.push(&p, peers, None);
                }
            }
        }
    }

    fn terraform(&mut self, values: TfValues, configuration: Option<TfConfiguration>) -> Result<()> {
        let mut resources = Vec::new();
        let mut stack: Vec<TfModule> = values.root_module.into_iter().collect();
        while let Some(m) = stack.pop() {
            resources.extend(m.resources.unwrap_or_default());
            stack.extend(m.child_modules.unwrap_or_default());
        }
        let mut appmap = AppmapResources::default();
        for r in resources {
            if r.mode.as_deref().is_some_and(|m| m != "managed") {
                continue;
            }
            let ty = r.ty.unwrap_or_default();
            let address = r.address.unwrap_or_else(|| ty.clone());
            match ty.as_str() {
                "aws_security_group" => {
                    let sg: TfSecurityGroup = self.typed(&address, r.values)?;
                    self.tf_group(&address, sg);
                }
                "aws_security_group_rule" => {
                    let rule: TfSecurityGroupRule = self.typed(&address, r.values)?;
                    self.tf_rule(&address, rule);
                }
                "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                    let rule: TfVpcRule = self.typed(&address, r.values)?;
                    let dir = if ty.ends_with("ingress_rule") { Direction::Ingress } else { Direction::Egress };
                    self.tf_vpc_rule(&address, dir, rule);
                }
                "appmap_service" => appmap.services.push((address.clone(), self.typed(&address, r.values)?)),
                "appmap_relation" => appmap.relations.push((address.clone(), self.typed(&address, r.values)?)),
                "appmap_boundary" => appmap.boundaries.push((address.clone(), self.typed(&address, r.values)?)),
                _ => {}
            }
        }
        if let Some(cfg) = configuration.and_then(|c| c.provider_config) {
            for (key, p) in cfg {
                if p.name.as_deref().unwrap_or(&key) != "appmap" && key != "appmap" {
                    continue;
                }
                appmap.provider(&format!("provider.{key}"), p.expressions.unwrap_or_default());
            }
        }
        if !appmap.services.is_empty() || !appmap.relations.is_empty() {
            let (map, diags) = appmap.into_map();
            if diags.iter().any(Diagnostic::is_error) {
                return Err(SnapshotError::Map { file: self.file.clone(), diags: Diagnostics(diags) });
            }
            self.snap.map = Some(map);
        }
        Ok(())
    }

    fn typed<T: for<'de> Deserialize<'de>>(&self, address: &str, values: Value) -> Result<T> {
        let values = if values.is_null() { Value::Object(serde_json::Map::new()) } else { values };
        serde_json::from_value(values).map_err(|e| SnapshotError::Resource {
            file: self.file.clone(),
            path: format!("{address}.values"),
            message: e.to_string(),
        })
    }

    fn tf_group(&mut self, address: &str, sg: TfSecurityGroup) {
        let Some(id) = sg.id.filter(|s| !s.is_empty()) else {
            // Inline rules of a group created by this plan: no id to hang them on yet.
            let n = sg.ingress.as_ref().map_or(0, Vec::len) + sg.egress.as_ref().map_or(0, Vec::len);
            if n > 0 {
                self.warn(address, format!("its id is unknown until apply, so its {n} inline rules"));
            }
            return;
        };
        self.group(&id, sg.name, sg.vpc_id, address.to_string());
        for (dir, list, field) in
            [(Direction::Ingress, sg.ingress, "ingress"), (Direction::Egress, sg.egress, "egress")]
        {
            for (i, b) in list.unwrap_or_default().into_iter().enumerate() {
                let origin = format!("{address}.{field}[{i}]");
                let p = Permission {
                    group: &id,
                    direction: dir,
                    protocol: b.protocol.as_ref().map(Scalar::text),
                    from_port: port(&b.from_port),
                    to_port: port(&b.to_port),
                    origin: origin.clone(),
                };
                let peers = tf_peers(
                    &origin,
                    &id,
                    b.cidr_blocks,
                    b.ipv6_cidr_blocks,
                    b.prefix_list_ids,
                    b.security_groups.unwrap_or_default(),
                    b.self_,
                );
                self.push(&p, peers, b.description.as_deref());
            }
        }
    }

    fn tf_rule(&mut self, address: &str, r: TfSecurityGroupRule) {
        let dir = match r.ty.as_deref() {
            Some("ingress") => Direction::Ingress,
            Some("egress") => Direction::Egress,
            other => return self.warn(address, format!("`type` is {other:?}, expected \"ingress\" or \"egress\"")),
        };
        let Some(gid) = r.security_group_id.filter(|s| !s.is_empty()) else {
            return self.warn(address, "`security_group_id` is unknown until apply");
        };
        let p = Permission {
            group: &gid,
            direction: dir,
            protocol: r.protocol.as_ref().map(Scalar::text),
            from_port: port(&r.from_port),
            to_port: port(&r.to_port),
            origin: address.to_string(),
        };
        let peers = tf_peers(
            address,
            &gid,
            r.cidr_blocks,
            r.ipv6_cidr_blocks,
            r.prefix_list_ids,
            r.source_security_group_id.into_iter().collect(),
            r.self_,
        );
        self.push(&p, peers, r.description.as_deref());
    }

    fn tf_vpc_rule(&mut self, address: &str, dir: Direction, r: TfVpcRule) {
        let Some(gid) = r.security_group_id.filter(|s| !s.is_empty()) else {
            return self.warn(address, "`security_group_id` is unknown until apply");
        };
        let p = Permission {
            group: &gid,
            direction: dir,
            protocol: r.ip_protocol.as_ref().map(Scalar::text),
            from_port: port(&r.from_port),
            to_port: port(&r.to_port),
            origin: address.to_string(),
        };
        let mut peers = Vec::new();
        let o = || address.to_string();
        if let Some(c) = r.cidr_ipv4.filter(|s| !s.is_empty()) {
            peers.push((peer_of_cidr(&c), None, o()));
        }
        if let Some(c) = r.cidr_ipv6.filter(|s| !s.is_empty()) {
            peers.push((peer_of_cidr(&c), None, o()));
        }
        if let Some(pl) = r.prefix_list_id.filter(|s| !s.is_empty()) {
            peers.push((Ok(Peer::PrefixList(pl)), None, o()));
        }
        if let Some(g) = r.referenced_security_group_id.filter(|s| !s.is_empty()) {
            peers.push((Ok(Peer::Group(g)), None, o()));
        }
        self.push(&p, peers, r.description.as_deref());
    }

    fn finish(mut self) -> Snapshot {
        // Keep one rule per (group, direction, traffic, peer). Separate rule
        // resources win over the computed inline blocks of their group, so the
        // origin names the resource that manages the rule.
        let rank = |r: &DeployedRule| {
            u8::from(r.origin.starts_with("aws_security_group.") || r.origin.contains(".aws_security_group."))
        };
        self.snap.rules.sort_by(|a, b| {
            (&a.security_group_id, a.direction, a.traffic, &a.peer, rank(a), &a.origin, &a.description).cmp(&(
                &b.security_group_id,
                b.direction,
                b.traffic,
                &b.peer,
                rank(b),
                &b.origin,
                &b.description,
            ))
        });
        self.snap.rules.dedup_by(|b, a| {
            a.security_group_id == b.security_group_id
                && a.direction == b.direction
                && a.traffic == b.traffic
                && a.peer == b.peer
        });
        self.snap.warnings.sort();
        self.snap.warnings.dedup();
        self.snap
    }
}

#[allow(clippy::too_many_arguments)]
fn tf_peers(
    origin: &str,
    own_group: &str,
    cidrs: Option<Vec<String>>,
    cidrs6: Option<Vec<String>>,
    prefix_lists: Option<Vec<String>>,
    groups: Vec<String>,
    self_: Option<bool>,
) -> Vec<(std::result::Result<Peer, String>, Option<String>, String)> {
    let mut peers = Vec::new();
    for c in cidrs.unwrap_or_default().into_iter().chain(cidrs6.unwrap_or_default()) {
        peers.push((peer_of_cidr(&c), None, origin.to_string()));
    }
    for pl in prefix_lists.unwrap_or_default() {
        peers.push((Ok(Peer::PrefixList(pl)), None, origin.to_string()));
    }
    for g in groups.into_iter().filter(|g| !g.is_empty()) {
        peers.push((Ok(Peer::Group(g)), None, origin.to_string()));
    }
    if self_ == Some(true) {
        peers.push((Ok(Peer::Group(own_group.to_string())), None, origin.to_string()));
    }
    peers
}

// ---------------------------------------------------------------------------
// The map declared by `appmap_*` resources.

#[derive(Default)]
struct AppmapResources {
    services: Vec<(String, TfService)>,
    relations: Vec<(String, TfRelation)>,
    boundaries: Vec<(String, TfBoundary)>,
    manage_egress: Option<bool>,
}

fn attr_loc(address: &str, field: &str) -> Location {
    Location::Attribute(vec![PathStep::Attr(address.to_string()), PathStep::Attr(field.to_string())])
}

/// Collects problems while reading the appmap resources.
struct MapReader {
    diags: Vec<Diagnostic>,
}

impl MapReader {
    fn parse<T, E: fmt::Display>(
        &mut self,
        address: &str,
        field: &'static str,
        r: std::result::Result<T, E>,
    ) -> Option<T> {
        r.map_err(|e| self.diags.push(Diagnostic::error(attr_loc(address, field), e.to_string()))).ok()
    }

    fn required<'a>(&mut self, address: &str, field: &'static str, v: Option<&'a str>) -> Option<&'a str> {
        if v.is_none() {
            self.diags.push(
                Diagnostic::error(
                    attr_loc(address, field),
                    format!("`{field}` is missing or unknown in this snapshot"),
                )
                .with_help("verify a state after apply, or pass the map with --map"),
            );
        }
        v
    }

    fn port_of(&mut self, address: &str, field: &'static str, v: &Scalar) -> Option<u16> {
        let n = v.int().and_then(|n| u16::try_from(n).ok()).filter(|n| *n > 0);
        if n.is_none() {
            self.diags
                .push(Diagnostic::error(attr_loc(address, field), format!("`{}` is not a port 1-65535", v.text())));
        }
        n
    }

    fn named(&mut self, address: &str, field: &'static str, name: &str) -> Option<Named> {
        let n = Named::lookup(name);
        if n.is_none() {
            self.diags.push(Diagnostic::error(attr_loc(address, field), format!("unknown protocol name `{name}`")));
        }
        n
    }

    fn cidrs(&mut self, address: &str, list: Option<Vec<String>>) -> Vec<IpNet> {
        list.unwrap_or_default()
            .iter()
            .filter_map(|c| self.parse(address, "cidrs", c.trim().parse::<IpNet>()))
            .collect()
    }

    fn service(&mut self, address: &str, s: TfService) -> Option<Service> {
        let name = self.required(address, "name", s.name.as_deref())?;
        let name: ServiceName = self.parse(address, "name", name.parse())?;
        let mut svc = Service::new(name);
        svc.location = Location::Attribute(vec![PathStep::Attr(address.to_string())]);
        for f in ["name", "security_group_ids", "cidrs", "listens", "load_balancer"] {
            svc.fields.insert(f, attr_loc(address, f));
        }
        svc.zone = s.zone.filter(|z| !z.is_empty());
        svc.owner = s.owner.filter(|z| !z.is_empty());
        svc.security_group_ids = s.security_group_ids.unwrap_or_default();
        svc.cidrs = self.cidrs(address, s.cidrs);
        svc.prefix_list_ids = s.prefix_list_ids.unwrap_or_default();
        svc.retired = s.retired.unwrap_or(false);
        for (proto, v) in s.listens.unwrap_or_default() {
            let Some(n) = self.named(address, "listens", &proto) else { continue };
            if let Some(r) = self.parse(address, "listens", v.text().parse::<PortRange>()) {
                svc.listens.insert(n, r);
            }
        }
        if let Some(lb) = s.load_balancer {
            let mut out = LoadBalancer {
                name: lb.name.filter(|n| !n.is_empty()),
                security_group_ids: lb.security_group_ids.unwrap_or_default(),
                location: attr_loc(address, "load_balancer"),
                ..LoadBalancer::default()
            };
            for (proto, v) in lb.listeners.unwrap_or_default() {
                if let (Some(n), Some(p)) =
                    (self.named(address, "load_balancer", &proto), self.port_of(address, "load_balancer", &v))
                {
                    out.listeners.insert(n, p);
                }
            }
            out.target_port = lb.target_port.as_ref().and_then(|v| self.port_of(address, "load_balancer", v));
            out.health_check_port =
                lb.health_check_port.as_ref().and_then(|v| self.port_of(address, "load_balancer", v));
            svc.load_balancer = Some(out);
        }
        Some(svc)
    }

    fn relation(&mut self, address: &str, r: TfRelation) -> Option<Relation> {
        let end = |e: &Option<TfRef>| -> Option<String> {
            match e {
                Some(TfRef::Name(n)) => Some(n.clone()),
                Some(TfRef::Obj { name }) => name.clone(),
                None => None,
            }
        };
        let (from, to) = (end(&r.from), end(&r.to));
        let from = self
            .required(address, "from", from.as_deref())
            .and_then(|f| self.parse(address, "from", f.parse::<ServiceName>()));
        let to = self
            .required(address, "to", to.as_deref())
            .and_then(|t| self.parse(address, "to", t.parse::<ServiceName>()));
        let protocol = self
            .required(address, "protocol", r.protocol.as_deref())
            .and_then(|p| self.parse(address, "protocol", p.parse::<Protocol>()));
        let reason = self
            .required(address, "reason", r.reason.as_deref())
            .and_then(|p| self.parse(address, "reason", Reason::new(p)));
        let review_by =
            r.review_by.filter(|d| !d.is_empty()).and_then(|d| self.parse(address, "review_by", d.parse::<Date>()));
        let cadence =
            r.cadence.filter(|d| !d.is_empty()).and_then(|d| self.parse(address, "cadence", d.parse::<Cadence>()));
        let mut rel = Relation::new(from?, to?, protocol?, reason?);
        rel.review_by = review_by;
        rel.cadence = cadence;
        rel.owner = r.owner.filter(|s| !s.is_empty());
        rel.ticket = r.ticket.filter(|s| !s.is_empty());
        rel.acknowledge_all_traffic = r.acknowledge_all_traffic.unwrap_or(false);
        rel.location = Location::Attribute(vec![PathStep::Attr(address.to_string())]);
        for f in ["from", "to", "protocol", "reason", "review_by", "cadence"] {
            rel.fields.insert(f, attr_loc(address, f));
        }
        Some(rel)
    }

    fn boundary(&mut self, address: &str, b: TfBoundary) -> Vec<Boundary> {
        let mut out = Vec::new();
        let Some(from) = self
            .required(address, "from", b.from.as_deref())
            .and_then(|f| self.parse(address, "from", f.parse::<Selector>()))
        else {
            return out;
        };
        let Some(reason) = self
            .required(address, "reason", b.reason.as_deref())
            .and_then(|r| self.parse(address, "reason", Reason::new(r)))
        else {
            return out;
        };
        let selectors = |me: &mut Self, field: &'static str, list: Option<Vec<String>>| -> Vec<Selector> {
            list.unwrap_or_default().iter().filter_map(|s| me.parse(address, field, s.parse::<Selector>())).collect()
        };
        let talks = selectors(self, "never_talks_to", b.never_talks_to);
        let reaches = selectors(self, "never_reaches", b.never_reaches);
        let except: Vec<ServiceName> = b
            .except_through
            .unwrap_or_default()
            .iter()
            .filter_map(|s| self.parse(address, "except_through", s.parse()))
            .collect();
        let mk = |to: Vec<Selector>, kind: BoundaryKind, field: &'static str| {
            let mut fields = crate::model::FieldLocations::new();
            for f in ["from", "reason", field] {
                fields.insert(f, attr_loc(address, f));
            }
            fields.insert("to", attr_loc(address, field));
            Boundary {
                from: from.clone(),
                to,
                kind,
                reason: reason.clone(),
                location: Location::Attribute(vec![PathStep::Attr(address.to_string())]),
                fields,
            }
        };
        if !talks.is_empty() {
            out.push(mk(talks, BoundaryKind::NeverTalksTo, "never_talks_to"));
        }
        if !reaches.is_empty() {
            out.push(mk(reaches, BoundaryKind::NeverReaches { except_through: except }, "never_reaches"));
        }
        out
    }
}

/// A constant in a plan's `configuration` expression: `{"constant_value": X}`.
fn constant(v: &Value) -> Option<&Value> {
    v.get("constant_value")
}

impl AppmapResources {
    /// Reads `manage_egress` and `boundary` blocks of the provider configuration
    /// (present in a plan's `configuration`; only constant values can be read).
    fn provider(&mut self, address: &str, expressions: Value) {
        if let Some(b) = expressions.get("manage_egress").and_then(constant).and_then(Value::as_bool) {
            self.manage_egress = Some(b);
        }
        let blocks = match expressions.get("boundary") {
            Some(Value::Array(a)) => a.clone(),
            Some(o @ Value::Object(_)) => vec![o.clone()],
            _ => Vec::new(),
        };
        for (i, block) in blocks.iter().enumerate() {
            let text = |k: &str| constant(block.get(k)?)?.as_str().map(str::to_string);
            let list = |k: &str| -> Option<Vec<String>> {
                constant(block.get(k)?)?
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            };
            let b = TfBoundary {
                from: text("from"),
                never_talks_to: list("never_talks_to"),
                never_reaches: list("never_reaches"),
                except_through: list("except_through"),
                reason: text("reason"),
            };
            self.boundaries.push((format!("{address}.boundary[{i}]"), b));
        }
    }

    fn into_map(self) -> (Map, Vec<Diagnostic>) {
        let mut r = MapReader { diags: Vec::new() };
        let mut map = Map::default();
        if let Some(m) = self.manage_egress {
            map.defaults.manage_egress = m;
        }
        for (address, s) in self.services {
            if let Some(s) = r.service(&address, s) {
                map.services.push(s);
            }
        }
        for (address, rel) in self.relations {
            if let Some(rel) = r.relation(&address, rel) {
                map.relations.push(rel);
            }
        }
        for (address, b) in self.boundaries {
            let bs = r.boundary(&address, b);
            map.boundaries.extend(bs);
        }
        (map, r.diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PortRange;

    fn sg(text: &str) -> Snapshot {
        parse_snapshot("t.json", text).unwrap()
    }

    #[test]
    fn describe_splits_peers_and_reads_self_icmp_and_all() {
        let s = sg(r#"{"SecurityGroups": [{"GroupId": "sg-a", "GroupName": "a", "VpcId": "vpc-1",
            "IpPermissions": [
              {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
               "IpRanges": [{"CidrIp": "10.0.0.7/16", "Description": "office"}],
               "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}],
               "PrefixListIds": [{"PrefixListId": "pl-1"}],
               "UserIdGroupPairs": [{"GroupId": "sg-a", "UserId": "123"}]},
              {"IpProtocol": "1", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
              {"IpProtocol": "50", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}"#);
        assert_eq!(s.rules.len(), 6, "{:#?}", s.rules);
        assert_eq!(s.groups["sg-a"].vpc_id.as_deref(), Some("vpc-1"));
        assert!(s.rules.iter().any(
            |r| r.peer == Peer::Cidr4("10.0.0.0/16".parse().unwrap()) && r.description.as_deref() == Some("office")
        ));
        assert!(s.rules.iter().any(|r| r.traffic == Traffic::Icmp { ty: Some(8), code: None }));
        assert!(s.rules.iter().any(DeployedRule::is_default_egress));
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("IpPermissions[2]"));
    }

    #[test]
    fn terraform_rule_resources_split_cidrs_and_read_self() {
        let s = sg(r#"{"format_version": "1.0", "terraform_version": "1.15.5", "values": {"root_module": {
            "resources": [{"address": "aws_security_group_rule.r", "mode": "managed", "type": "aws_security_group_rule",
              "values": {"type": "ingress", "security_group_id": "sg-a", "protocol": "6", "from_port": 0, "to_port": 65535,
                "cidr_blocks": ["10.0.0.0/8", "172.16.0.0/12"], "ipv6_cidr_blocks": null, "prefix_list_ids": [],
                "self": true, "source_security_group_id": null, "description": "d", "extra": {"x": 1}}}],
            "child_modules": [{"address": "module.m", "resources": [
              {"address": "module.m.aws_vpc_security_group_egress_rule.e", "mode": "managed",
               "type": "aws_vpc_security_group_egress_rule",
               "values": {"security_group_id": "sg-b", "ip_protocol": "-1", "from_port": null, "to_port": null,
                 "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null, "prefix_list_id": null, "referenced_security_group_id": null}}]}]}}}"#);
        assert_eq!(s.format, SnapshotFormat::TerraformState);
        assert_eq!(s.rules.len(), 4, "{:#?}", s.rules);
        let all_tcp = Traffic::Tcp(PortRange::new(1, 65535).unwrap());
        assert!(s.rules.iter().any(|r| r.traffic == all_tcp && r.peer == Peer::Group("sg-a".into())));
        assert!(
            s.rules
                .iter()
                .any(|r| r.origin == "module.m.aws_vpc_security_group_egress_rule.e" && r.is_default_egress())
        );
    }

    #[test]
    fn inline_blocks_and_rule_resources_count_once() {
        let s = sg(
            r#"{"format_version": "1.0", "terraform_version": "1.15.5", "values": {"root_module": {"resources": [
            {"address": "aws_security_group.a", "mode": "managed", "type": "aws_security_group",
             "values": {"id": "sg-a", "name": "a", "ingress": [{"protocol": "tcp", "from_port": 443, "to_port": 443,
               "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false, "description": ""}],
               "egress": []}},
            {"address": "aws_vpc_security_group_ingress_rule.a", "mode": "managed", "type": "aws_vpc_security_group_ingress_rule",
             "values": {"security_group_id": "sg-a", "ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "10.0.0.0/8"}}]}}}"#,
        );
        assert_eq!(s.rules.len(), 1);
        assert_eq!(s.rules[0].origin, "aws_vpc_security_group_ingress_rule.a");
    }

    #[test]
    fn plan_reads_planned_values_and_the_map() {
        let s = sg(
            r#"{"format_version": "1.2", "terraform_version": "1.15.5", "planned_values": {"root_module": {"resources": [
            {"address": "appmap_service.web", "mode": "managed", "type": "appmap_service",
             "values": {"name": "web", "zone": "public", "security_group_ids": ["sg-w"], "cidrs": [], "listens": {"https": 8443},
               "load_balancer": {"security_group_ids": ["sg-lb"], "listeners": {"https": 443}, "health_check_port": 8081},
               "ref": {"name": "web", "zone": "public"}, "id": "web"}},
            {"address": "appmap_relation.i", "mode": "managed", "type": "appmap_relation",
             "values": {"from": {"name": "internet"}, "to": {"name": "web", "security_group_ids": ["sg-w"]},
               "protocol": "https", "reason": "Shop", "review_by": "2027-06-30", "cadence": null, "rules": {}}}]}},
            "configuration": {"provider_config": {"appmap": {"name": "appmap", "full_name": "registry.terraform.io/appmap/appmap",
              "expressions": {"manage_egress": {"constant_value": false},
                "boundary": [{"from": {"constant_value": "internet"}, "never_talks_to": {"constant_value": ["web"]},
                              "reason": {"constant_value": "no"}}]}}}}}"#,
        );
        assert_eq!(s.format, SnapshotFormat::TerraformPlan);
        let m = s.map.unwrap();
        assert_eq!(m.services.len(), 1);
        assert_eq!(m.services[0].load_balancer.as_ref().unwrap().listeners[&Named::Https], 443);
        assert_eq!(m.relations[0].review_by.unwrap().to_string(), "2027-06-30");
        assert!(!m.defaults.manage_egress);
        assert_eq!(m.boundaries.len(), 1);
    }

    #[test]
    fn a_malformed_appmap_resource_names_its_attribute() {
        let err = parse_snapshot("p.json", r#"{"format_version": "1.0", "terraform_version": "1", "values": {"root_module": {"resources": [
            {"address": "appmap_relation.x", "type": "appmap_relation", "values": {"from": {"name": "a"}, "to": "b", "protocol": "htps", "reason": "r"}}]}}}"#)
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("appmap_relation.x.protocol"), "{text}");
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        for (doc, want) in [
            ("[]", "not a snapshot"),
            ("42", "not a snapshot"),
            ("", "ends too early"),
            ("{\"SecurityGroups\": {}}", "t.json:1:"),
            ("{\"SecurityGroups\": [{\"GroupId\": 5}]}", "t.json:1:"),
            (
                r#"{"values": {"root_module": {"resources": [{"type": "aws_security_group", "values": {"ingress": 3}}]}}}"#,
                "aws_security_group.values",
            ),
        ] {
            let err = parse_snapshot("t.json", doc).unwrap_err().to_string();
            assert!(err.contains(want), "{doc}: {err}");
        }
    }
}
