//! The application map as declared: services, relations, boundaries.
//!
//! These types hold what a person wrote, already parsed field by field, with
//! where each piece was written. [`crate::ValidMap`] checks how they fit
//! together; derivation only ever sees a `ValidMap`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

use crate::diag::Location;
use crate::protocol::{Named, PortRange, Protocol};

/// The name of the built-in pseudo-service for `0.0.0.0/0` and `::/0`.
pub const INTERNET: &str = "internet";

/// A service name: lowercase letters, digits and `-`, starting with a letter,
/// at most 63 characters.
///
/// # Examples
/// ```
/// use appmap::ServiceName;
/// assert!("search-api".parse::<ServiceName>().is_ok());
/// assert!("Search_API".parse::<ServiceName>().unwrap_err().contains("lowercase"));
/// assert!("".parse::<ServiceName>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceName(String);

impl ServiceName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in `internet`.
    pub fn internet() -> Self {
        ServiceName(INTERNET.to_string())
    }

    /// True for the built-in `internet`.
    pub fn is_internet(&self) -> bool {
        self.0 == INTERNET
    }
}

impl FromStr for ServiceName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("a service name cannot be empty".into());
        }
        if s.len() > 63 {
            return Err(format!("service name `{s}` is {} characters long; at most 63 are allowed", s.len()));
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            let fixed: String = s
                .chars()
                .map(|c| if c == '_' || c == ' ' || c == '.' { '-' } else { c.to_ascii_lowercase() })
                .collect();
            return Err(format!("service name `{s}` may only hold lowercase letters, digits and `-`; try `{fixed}`"));
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) || s.ends_with('-') {
            return Err(format!("service name `{s}` must start with a letter and not end with `-`"));
        }
        Ok(ServiceName(s.to_string()))
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ServiceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a relation or boundary exists. Never empty.
///
/// # Examples
/// ```
/// use appmap::Reason;
/// let r = Reason::new("User search queries").unwrap();
/// assert!(!r.is_placeholder());
/// assert!(Reason::new("   ").is_err());
/// assert!(Reason::new("TODO").unwrap().is_placeholder());
/// assert!(Reason::new("JIRA-1234").unwrap().is_placeholder());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reason(String);

impl Reason {
    /// A reason, or an error when the text is empty or only whitespace.
    pub fn new(text: impl Into<String>) -> Result<Self, String> {
        let text: String = text.into();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            Err("a reason is required and cannot be empty: say why this flow exists".into())
        } else {
            Ok(Reason(trimmed.to_string()))
        }
    }

    /// The reason as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the reason says nothing: a placeholder (`TODO`, `tbd`, `n/a`)
    /// or only a ticket number (`JIRA-123`, `#42`).
    pub fn is_placeholder(&self) -> bool {
        let t = self.0.trim().trim_end_matches(['.', '!']).to_ascii_lowercase();
        const PLACEHOLDERS: &[&str] =
            &["todo", "tbd", "tba", "n/a", "na", "none", "fixme", "xxx", "-", "?", "...", "reason", "unknown", "wip"];
        if PLACEHOLDERS.contains(&t.as_str()) || t.starts_with("todo:") || t.starts_with("todo ") {
            return true;
        }
        is_ticket_number(&t)
    }
}

fn is_ticket_number(t: &str) -> bool {
    let t = t.trim_start_matches('#');
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    match t.rsplit_once('-') {
        Some((project, num)) => {
            !project.is_empty()
                && project.chars().all(|c| c.is_ascii_alphanumeric())
                && project.starts_with(|c: char| c.is_ascii_alphabetic())
                && !num.is_empty()
                && num.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a CIDR the way a person means it: a bare address or a network
/// with host bits set is an error that suggests the likely fix.
///
/// # Examples
/// ```
/// use appmap::model::parse_cidr;
/// assert_eq!(parse_cidr("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
/// assert!(parse_cidr("10.0.0.1").unwrap_err().contains("did you mean `10.0.0.1/32`?"));
/// assert!(parse_cidr("10.0.0.1/24").unwrap_err().contains("did you mean `10.0.0.0/24`?"));
/// assert!(parse_cidr("2001:db8::1").unwrap_err().contains("/128"));
/// assert!(parse_cidr("ten").is_err());
/// ```
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let s = text.trim();
    match s.parse::<IpNet>() {
        Ok(net) if net.trunc() != net => Err(format!("CIDR `{s}` has host bits set; did you mean `{}`?", net.trunc())),
        Ok(net) => Ok(net),
        Err(_) => match s.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(a)) => Err(format!("`{s}` is an address, not a CIDR; did you mean `{a}/32`?")),
            Ok(std::net::IpAddr::V6(a)) => Err(format!("`{s}` is an address, not a CIDR; did you mean `{a}/128`?")),
            Err(_) => Err(format!(
                "`{s}` is not a valid CIDR; write an IPv4 or IPv6 network such as `203.0.113.0/24` or `2001:db8::/32`"
            )),
        },
    }
}

/// A calendar date (`YYYY-MM-DD`), used for `review_by`.
///
/// # Examples
/// ```
/// use appmap::Date;
/// let d: Date = "2027-06-30".parse().unwrap();
/// assert_eq!(d.to_string(), "2027-06-30");
/// assert!("2027-02-30".parse::<Date>().is_err());
/// assert!("30/06/2027".parse::<Date>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A valid date or `None`.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&day).then_some(Date { year, month, day })
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a date; write YYYY-MM-DD, e.g. 2027-06-30");
        let parts: Vec<&str> = s.trim().split('-').collect();
        if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
            return Err(bad());
        }
        let y = parts[0].parse().map_err(|_| bad())?;
        let m = parts[1].parse().map_err(|_| bad())?;
        let d = parts[2].parse().map_err(|_| bad())?;
        Date::new(y, m, d).ok_or_else(bad)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// How often a relation's traffic is expected: absence of traffic in flow
/// logs means nothing for a `quarterly` or `dr` relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cadence {
    /// Always on.
    Continuous,
    /// Once a day.
    Daily,
    /// Once a week.
    Weekly,
    /// Once a month.
    Monthly,
    /// Once a quarter.
    Quarterly,
    /// Once a year.
    Yearly,
    /// Only when failing over.
    Failover,
    /// Only in disaster recovery.
    Dr,
}

impl Cadence {
    /// Every cadence, in order.
    pub const ALL: [Cadence; 8] = [
        Cadence::Continuous,
        Cadence::Daily,
        Cadence::Weekly,
        Cadence::Monthly,
        Cadence::Quarterly,
        Cadence::Yearly,
        Cadence::Failover,
        Cadence::Dr,
    ];

    /// The map-file spelling.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Cadence::Continuous => "continuous",
            Cadence::Daily => "daily",
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::Yearly => "yearly",
            Cadence::Failover => "failover",
            Cadence::Dr => "dr",
        }
    }
}

impl FromStr for Cadence {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Cadence::ALL.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| {
            let all: Vec<&str> = Cadence::ALL.iter().map(Cadence::as_str).collect();
            match crate::diag::did_you_mean(s, all.iter().copied()) {
                Some(m) => format!("unknown cadence `{s}`; did you mean `{m}`?"),
                None => format!("unknown cadence `{s}`; expected one of {}", all.join(", ")),
            }
        })
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where each field of a declaration was written, for pointing errors at it.
pub type FieldLocations = BTreeMap<&'static str, Location>;

fn field_loc(whole: &Location, fields: &FieldLocations, field: &str) -> Location {
    fields.get(field).cloned().unwrap_or_else(|| whole.clone())
}

/// Map-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// Derive egress rules on the source's groups (default true).
    pub manage_egress: bool,
    /// The internet includes `::/0` as well as `0.0.0.0/0` (default true).
    pub internet_ipv6: bool,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults { manage_egress: true, internet_ipv6: true }
    }
}

/// A load balancer in front of a service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadBalancer {
    /// Its name; defaults to `<service>-lb`. Rule keys use it.
    pub name: Option<String>,
    /// Its security groups.
    pub security_group_ids: Vec<String>,
    /// Listener port per protocol (`https: 443`).
    pub listeners: BTreeMap<Named, u16>,
    /// The port it forwards to on the service; defaults to the service's own port.
    pub target_port: Option<u16>,
    /// The health-check port, when it differs from the target port.
    pub health_check_port: Option<u16>,
    /// Where it was declared.
    pub location: Location,
    /// Where each field was declared.
    pub fields: FieldLocations,
}

/// A service: something with a network identity that talks or is talked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Its name.
    pub name: ServiceName,
    /// The owning team.
    pub owner: Option<String>,
    /// The zone (`public`, `app`, `data`, `pci`, ...).
    pub zone: Option<String>,
    /// Its security groups (managed identity).
    pub security_group_ids: Vec<String>,
    /// Its CIDRs (for externals).
    pub cidrs: Vec<IpNet>,
    /// Its managed prefix lists (for externals).
    pub prefix_list_ids: Vec<String>,
    /// Port overrides per named protocol.
    pub listens: BTreeMap<Named, PortRange>,
    /// The load balancer in front of it.
    pub load_balancer: Option<LoadBalancer>,
    /// Retired: relations naming it are stale.
    pub retired: bool,
    /// Only named as a relation target in the flat form; never declared.
    pub implied: bool,
    /// Where it was declared.
    pub location: Location,
    /// Where each field was declared.
    pub fields: FieldLocations,
}

impl Service {
    /// A service with a name and nothing else.
    pub fn new(name: ServiceName) -> Self {
        Service {
            name,
            owner: None,
            zone: None,
            security_group_ids: Vec::new(),
            cidrs: Vec::new(),
            prefix_list_ids: Vec::new(),
            listens: BTreeMap::new(),
            load_balancer: None,
            retired: false,
            implied: false,
            location: Location::Unknown,
            fields: FieldLocations::new(),
        }
    }

    /// Where `field` was declared, or the service itself.
    pub fn loc(&self, field: &str) -> Location {
        field_loc(&self.location, &self.fields, field)
    }

    /// True when it has no security groups, CIDRs or prefix lists.
    pub fn is_unbound(&self) -> bool {
        self.security_group_ids.is_empty() && self.cidrs.is_empty() && self.prefix_list_ids.is_empty()
    }

    /// True when it is outside our control: known only by CIDRs or prefix lists.
    pub fn is_external(&self) -> bool {
        self.security_group_ids.is_empty() && !(self.cidrs.is_empty() && self.prefix_list_ids.is_empty())
    }

    /// The name of its load balancer, if it has one.
    pub fn load_balancer_name(&self) -> Option<String> {
        self.load_balancer.as_ref().map(|lb| lb.name.clone().unwrap_or_else(|| format!("{}-lb", self.name)))
    }
}

/// A declared flow: `from` talks to `to` over `protocol`, because `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The client.
    pub from: ServiceName,
    /// The server.
    pub to: ServiceName,
    /// Over what.
    pub protocol: Protocol,
    /// Why.
    pub reason: Reason,
    /// When it must be reviewed again.
    pub review_by: Option<Date>,
    /// How often traffic is expected.
    pub cadence: Option<Cadence>,
    /// Who answers for it.
    pub owner: Option<String>,
    /// The ticket that approved it.
    pub ticket: Option<String>,
    /// The explicit acknowledgement that protocol `all` is meant.
    pub acknowledge_all_traffic: bool,
    /// Where it was declared.
    pub location: Location,
    /// Where each field was declared.
    pub fields: FieldLocations,
}

impl Relation {
    /// A relation with only the required parts.
    pub fn new(from: ServiceName, to: ServiceName, protocol: Protocol, reason: Reason) -> Self {
        Relation {
            from,
            to,
            protocol,
            reason,
            review_by: None,
            cadence: None,
            owner: None,
            ticket: None,
            acknowledge_all_traffic: false,
            location: Location::Unknown,
            fields: FieldLocations::new(),
        }
    }

    /// `from->to:protocol`, the name findings and derived rules use for it.
    pub fn id(&self) -> String {
        format!("{}->{}:{}", self.from, self.to, self.protocol)
    }

    /// Where `field` was declared, or the relation itself.
    pub fn loc(&self, field: &str) -> Location {
        field_loc(&self.location, &self.fields, field)
    }
}

/// What a boundary names: a service, a zone, or the internet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Selector {
    /// One service (or `internet`).
    Service(ServiceName),
    /// Every service in a zone: `zone:NAME`.
    Zone(String),
}

impl FromStr for Selector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.strip_prefix("zone:") {
            Some(z) if !z.trim().is_empty() => Ok(Selector::Zone(z.trim().to_string())),
            Some(_) => Err("`zone:` needs a zone name, e.g. `zone:pci`".into()),
            None => s.parse().map(Selector::Service),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Service(n) => n.fmt(f),
            Selector::Zone(z) => write!(f, "zone:{z}"),
        }
    }
}

/// The kind of a boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundaryKind {
    /// No direct relation, and no deployed rule, may connect the two.
    NeverTalksTo,
    /// No path of any length may connect the two, except one through a choke point.
    NeverReaches {
        /// Services a path may pass through.
        except_through: Vec<ServiceName>,
    },
}

/// A declared "never": what must not be connected, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    /// The side that must not talk or reach.
    pub from: Selector,
    /// What it must not talk to or reach.
    pub to: Vec<Selector>,
    /// Direct or transitive.
    pub kind: BoundaryKind,
    /// Why.
    pub reason: Reason,
    /// Where it was declared.
    pub location: Location,
    /// Where each field was declared.
    pub fields: FieldLocations,
}

impl Boundary {
    /// Where `field` was declared, or the boundary itself.
    pub fn loc(&self, field: &str) -> Location {
        field_loc(&self.location, &self.fields, field)
    }

    /// `from never_talks_to a, b` or `from never_reaches a (except through c)`.
    pub fn describe(&self) -> String {
        let to: Vec<String> = self.to.iter().map(ToString::to_string).collect();
        match &self.kind {
            BoundaryKind::NeverTalksTo => format!("{} never_talks_to {}", self.from, to.join(", ")),
            BoundaryKind::NeverReaches { except_through } if except_through.is_empty() => {
                format!("{} never_reaches {}", self.from, to.join(", "))
            }
            BoundaryKind::NeverReaches { except_through } => {
                let ex: Vec<&str> = except_through.iter().map(ServiceName::as_str).collect();
                format!("{} never_reaches {} except through {}", self.from, to.join(", "), ex.join(", "))
            }
        }
    }
}

/// An application map as declared, before its parts are checked against each other.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Map {
    /// Map-wide settings.
    pub defaults: Defaults,
    /// Declared (and, in the flat form, implied) services.
    pub services: Vec<Service>,
    /// Declared relations.
    pub relations: Vec<Relation>,
    /// Declared boundaries.
    pub boundaries: Vec<Boundary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_and_placeholders_are_placeholders() {
        for t in ["TODO", "tbd", "n/a", "N/A", "#1234", "1234", "PROJ-42", "todo: write it"] {
            assert!(Reason::new(t).unwrap().is_placeholder(), "{t}");
        }
        for t in ["Record the order", "PCI-DSS requires it", "Sync per PROJ-42"] {
            assert!(!Reason::new(t).unwrap().is_placeholder(), "{t}");
        }
    }

    #[test]
    fn selectors() {
        assert_eq!("zone:pci".parse::<Selector>().unwrap(), Selector::Zone("pci".into()));
        assert!(matches!("internet".parse::<Selector>().unwrap(), Selector::Service(n) if n.is_internet()));
        assert!("zone:".parse::<Selector>().is_err());
    }

    #[test]
    fn leap_years() {
        assert!("2028-02-29".parse::<Date>().is_ok());
        assert!("2027-02-29".parse::<Date>().is_err());
        assert!("2100-02-29".parse::<Date>().is_err());
    }
}
