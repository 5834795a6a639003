//! Protocols as people name them (`https`, `tcp:5432`, `icmp:8/0`) and the
//! traffic they stand for on the wire.

use std::fmt;
use std::str::FromStr;

use crate::diag::did_you_mean;

/// An inclusive port range with `from <= to`; the constructor holds the invariant.
///
/// # Examples
/// ```
/// use appmap::PortRange;
/// assert_eq!(PortRange::new(8000, 8010).unwrap().to_string(), "8000-8010");
/// assert_eq!(PortRange::single(443).to_string(), "443");
/// assert!(PortRange::new(10, 1).is_none());
/// assert!(PortRange::new(0, 1).is_none()); // port 0 is not a port
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    from: u16,
    to: u16,
}

impl PortRange {
    /// A range, or `None` when it is empty or starts at port 0.
    pub const fn new(from: u16, to: u16) -> Option<Self> {
        if from == 0 || from > to { None } else { Some(PortRange { from, to }) }
    }

    /// One port. Port 0 is taken as port 1 would be wrong; callers parse first.
    pub const fn single(port: u16) -> Self {
        let p = if port == 0 { 1 } else { port };
        PortRange { from: p, to: p }
    }

    /// First port.
    pub const fn from(&self) -> u16 {
        self.from
    }

    /// Last port.
    pub const fn to(&self) -> u16 {
        self.to
    }

    /// True when every port of `other` is in `self`.
    pub fn contains(&self, other: &PortRange) -> bool {
        self.from <= other.from && other.to <= self.to
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to { write!(f, "{}", self.from) } else { write!(f, "{}-{}", self.from, self.to) }
    }
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |p: &str| -> Result<u16, String> {
            match p.trim().parse::<u32>() {
                Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
                Ok(n) => Err(format!("port {n} is out of range; ports are 1-65535")),
                Err(_) => Err(format!("`{p}` is not a port number")),
            }
        };
        match s.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse(a)?, parse(b)?);
                PortRange::new(a, b).ok_or_else(|| format!("port range `{s}` is empty; write LO-HI with LO <= HI"))
            }
            None => parse(s).map(PortRange::single),
        }
    }
}

/// The transport of a named protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// What AWS calls `ip_protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IpProtocol {
    /// `tcp` (6).
    Tcp,
    /// `udp` (17).
    Udp,
    /// `icmp` (1).
    Icmp,
    /// `icmpv6` (58).
    Icmpv6,
    /// `-1`: every protocol.
    All,
}

impl IpProtocol {
    /// The spelling AWS and Terraform use.
    pub const fn as_str(&self) -> &'static str {
        match self {
            IpProtocol::Tcp => "tcp",
            IpProtocol::Udp => "udp",
            IpProtocol::Icmp => "icmp",
            IpProtocol::Icmpv6 => "icmpv6",
            IpProtocol::All => "-1",
        }
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IpProtocol {
    type Err = String;

    /// Accepts names and IANA numbers, as AWS does (`tcp`, `6`, `-1`, `all`).
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "tcp" | "6" => IpProtocol::Tcp,
            "udp" | "17" => IpProtocol::Udp,
            "icmp" | "1" => IpProtocol::Icmp,
            "icmpv6" | "58" => IpProtocol::Icmpv6,
            "-1" | "all" => IpProtocol::All,
            other => return Err(format!("unsupported ip protocol `{other}`")),
        })
    }
}

/// Traffic on the wire: what one security group rule admits, minus the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Traffic {
    /// TCP on a port range.
    Tcp(PortRange),
    /// UDP on a port range.
    Udp(PortRange),
    /// ICMP; `None` type means every type, `None` code every code.
    Icmp {
        /// ICMP type.
        ty: Option<u8>,
        /// ICMP code.
        code: Option<u8>,
    },
    /// Every protocol and port.
    All,
}

impl Traffic {
    /// AWS fields `(ip_protocol, from_port, to_port)`. ICMP towards an IPv6
    /// peer is `icmpv6`; protocol `-1` has no ports.
    pub fn aws_fields(&self, ipv6_peer: bool) -> (IpProtocol, Option<i32>, Option<i32>) {
        match *self {
            Traffic::Tcp(r) => (IpProtocol::Tcp, Some(r.from().into()), Some(r.to().into())),
            Traffic::Udp(r) => (IpProtocol::Udp, Some(r.from().into()), Some(r.to().into())),
            Traffic::Icmp { ty, code } => (
                if ipv6_peer { IpProtocol::Icmpv6 } else { IpProtocol::Icmp },
                Some(ty.map_or(-1, i32::from)),
                Some(code.map_or(-1, i32::from)),
            ),
            Traffic::All => (IpProtocol::All, None, None),
        }
    }

    /// True when everything `other` admits, `self` admits too.
    pub fn contains(&self, other: &Traffic) -> bool {
        match (self, other) {
            (Traffic::All, _) => true,
            (Traffic::Tcp(a), Traffic::Tcp(b)) | (Traffic::Udp(a), Traffic::Udp(b)) => a.contains(b),
            (Traffic::Icmp { ty: t1, code: c1 }, Traffic::Icmp { ty: t2, code: c2 }) => {
                (t1.is_none() || t1 == t2) && (c1.is_none() || c1 == c2)
            }
            _ => false,
        }
    }

    /// A short stable token for rule keys: `tcp/443`, `udp/53`, `icmp/8:0`, `icmp/all`, `all`.
    pub fn key_token(&self) -> String {
        match self {
            Traffic::Tcp(r) => format!("tcp/{r}"),
            Traffic::Udp(r) => format!("udp/{r}"),
            Traffic::Icmp { ty: None, .. } => "icmp/all".to_string(),
            Traffic::Icmp { ty: Some(t), code: None } => format!("icmp/{t}"),
            Traffic::Icmp { ty: Some(t), code: Some(c) } => format!("icmp/{t}:{c}"),
            Traffic::All => "all".to_string(),
        }
    }
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Traffic::Tcp(r) => write!(f, "tcp:{r}"),
            Traffic::Udp(r) => write!(f, "udp:{r}"),
            Traffic::Icmp { ty: None, .. } => f.write_str("icmp"),
            Traffic::Icmp { ty: Some(t), code: None } => write!(f, "icmp:{t}"),
            Traffic::Icmp { ty: Some(t), code: Some(c) } => write!(f, "icmp:{t}/{c}"),
            Traffic::All => f.write_str("all"),
        }
    }
}

macro_rules! named_protocols {
    ($( $variant:ident, $konst:ident, $name:literal, [$($t:ident),+], $port:literal; )+) => {
        /// A protocol known by name, with its standard transport(s) and port.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Named { $( #[doc = $name] $variant, )+ }

        impl Named {
            /// Every named protocol, in table order.
            pub const ALL: &'static [Named] = &[$(Named::$variant),+];

            /// The name used in map files.
            pub const fn name(&self) -> &'static str {
                match self { $( Named::$variant => $name, )+ }
            }

            /// The transports it runs over.
            pub const fn transports(&self) -> &'static [Transport] {
                match self { $( Named::$variant => &[$(Transport::$t),+], )+ }
            }

            /// The standard port.
            pub const fn default_port(&self) -> u16 {
                match self { $( Named::$variant => $port, )+ }
            }

            /// Looks a protocol up by its map-file name.
            pub fn lookup(name: &str) -> Option<Named> {
                match name { $( $name => Some(Named::$variant), )+ _ => None }
            }
        }

        impl Protocol {
            $(
                #[doc = concat!("`", $name, "`: ", stringify!($($t)/+), " ", stringify!($port), ".")]
                pub const $konst: Protocol = Protocol::Named(Named::$variant);
            )+
        }
    };
}

named_protocols! {
    Https, HTTPS, "https", [Tcp], 443;
    Http, HTTP, "http", [Tcp], 80;
    HttpAlt, HTTP_ALT, "http-alt", [Tcp], 8080;
    Ssh, SSH, "ssh", [Tcp], 22;
    Dns, DNS, "dns", [Udp, Tcp], 53;
    Postgres, POSTGRES, "postgres", [Tcp], 5432;
    Mysql, MYSQL, "mysql", [Tcp], 3306;
    Mssql, MSSQL, "mssql", [Tcp], 1433;
    Oracle, ORACLE, "oracle", [Tcp], 1521;
    Redis, REDIS, "redis", [Tcp], 6379;
    Memcached, MEMCACHED, "memcached", [Tcp], 11211;
    Kafka, KAFKA, "kafka", [Tcp], 9092;
    Zookeeper, ZOOKEEPER, "zookeeper", [Tcp], 2181;
    Elasticsearch, ELASTICSEARCH, "elasticsearch", [Tcp], 9200;
    Mongodb, MONGODB, "mongodb", [Tcp], 27017;
    Cassandra, CASSANDRA, "cassandra", [Tcp], 9042;
    Amqp, AMQP, "amqp", [Tcp], 5672;
    Smtp, SMTP, "smtp", [Tcp], 25;
    Smtps, SMTPS, "smtps", [Tcp], 465;
    Submission, SUBMISSION, "submission", [Tcp], 587;
    Imaps, IMAPS, "imaps", [Tcp], 993;
    Ldap, LDAP, "ldap", [Tcp], 389;
    Ldaps, LDAPS, "ldaps", [Tcp], 636;
    Kerberos, KERBEROS, "kerberos", [Udp, Tcp], 88;
    Rdp, RDP, "rdp", [Tcp], 3389;
    Ntp, NTP, "ntp", [Udp], 123;
    Snmp, SNMP, "snmp", [Udp], 161;
    Syslog, SYSLOG, "syslog", [Udp], 514;
    Nfs, NFS, "nfs", [Tcp], 2049;
    Etcd, ETCD, "etcd", [Tcp], 2379;
    Vault, VAULT, "vault", [Tcp], 8200;
    Consul, CONSUL, "consul", [Tcp], 8500;
    Grpc, GRPC, "grpc", [Tcp], 50051;
}

/// A protocol as a relation names it.
///
/// # Examples
/// ```
/// use appmap::Protocol;
/// let p: Protocol = "https".parse().unwrap();
/// assert_eq!(p, Protocol::HTTPS);
/// assert_eq!("tcp:5432".parse::<Protocol>().unwrap().to_string(), "tcp:5432");
/// assert_eq!("icmp:8/0".parse::<Protocol>().unwrap().to_string(), "icmp:8/0");
/// let err = "htps".parse::<Protocol>().unwrap_err();
/// assert!(err.contains("did you mean `https`"), "{err}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// A named protocol; its port follows the destination's `listens` override.
    Named(Named),
    /// `tcp:PORT` or `tcp:LO-HI`.
    Tcp(PortRange),
    /// `udp:PORT` or `udp:LO-HI`.
    Udp(PortRange),
    /// `icmp`, `icmp:TYPE`, `icmp:TYPE/CODE`.
    Icmp {
        /// ICMP type, `None` for all.
        ty: Option<u8>,
        /// ICMP code, `None` for all.
        code: Option<u8>,
    },
    /// Every protocol and port; needs an explicit acknowledgement.
    All,
}

impl Protocol {
    /// `tcp:PORT`.
    pub const fn tcp(port: u16) -> Protocol {
        Protocol::Tcp(PortRange::single(port))
    }

    /// `udp:PORT`.
    pub const fn udp(port: u16) -> Protocol {
        Protocol::Udp(PortRange::single(port))
    }

    /// The traffic this protocol means towards a destination that may
    /// override the port of a named protocol with `listens`.
    pub fn traffic(&self, listens: Option<PortRange>) -> Vec<Traffic> {
        match *self {
            Protocol::Named(n) => {
                let ports = listens.unwrap_or(PortRange::single(n.default_port()));
                n.transports()
                    .iter()
                    .map(|t| match t {
                        Transport::Tcp => Traffic::Tcp(ports),
                        Transport::Udp => Traffic::Udp(ports),
                    })
                    .collect()
            }
            Protocol::Tcp(r) => vec![Traffic::Tcp(r)],
            Protocol::Udp(r) => vec![Traffic::Udp(r)],
            Protocol::Icmp { ty, code } => vec![Traffic::Icmp { ty, code }],
            Protocol::All => vec![Traffic::All],
        }
    }

    /// The name when this is a named protocol.
    pub fn named(&self) -> Option<Named> {
        match self {
            Protocol::Named(n) => Some(*n),
            _ => None,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::Named(n) => f.write_str(n.name()),
            Protocol::Tcp(r) => write!(f, "tcp:{r}"),
            Protocol::Udp(r) => write!(f, "udp:{r}"),
            Protocol::Icmp { ty, code } => Traffic::Icmp { ty: *ty, code: *code }.fmt(f),
            Protocol::All => f.write_str("all"),
        }
    }
}

impl FromStr for Protocol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let s = text.trim();
        if let Some(n) = Named::lookup(s) {
            return Ok(Protocol::Named(n));
        }
        let expected = "expected a protocol name (https, postgres, ...), tcp:PORT, tcp:LO-HI, udp:PORT, icmp, icmp:TYPE/CODE or all";
        match s.split_once(':') {
            None if s == "icmp" => Ok(Protocol::Icmp { ty: None, code: None }),
            None if s == "all" || s == "-1" => Ok(Protocol::All),
            None if s == "tcp" || s == "udp" => Err(format!("`{s}` needs a port: write `{s}:PORT` or `{s}:LO-HI`")),
            None => {
                let names = Named::ALL.iter().map(Named::name);
                match did_you_mean(s, names) {
                    Some(m) => Err(format!("unknown protocol `{s}`; did you mean `{m}`?")),
                    None if s.chars().all(|c| c.is_ascii_digit()) => {
                        Err(format!("unknown protocol `{s}`; did you mean `tcp:{s}`?"))
                    }
                    None => Err(format!("unknown protocol `{s}`; {expected}")),
                }
            }
            Some(("tcp", ports)) => ports.parse().map(Protocol::Tcp).map_err(|e| format!("in `{s}`: {e}")),
            Some(("udp", ports)) => ports.parse().map(Protocol::Udp).map_err(|e| format!("in `{s}`: {e}")),
            Some(("icmp", rest)) => {
                let byte = |x: &str, what: &str| {
                    x.trim().parse::<u8>().map_err(|_| format!("in `{s}`: ICMP {what} must be 0-255"))
                };
                let (ty, code) = match rest.split_once('/') {
                    Some((t, c)) => (byte(t, "type")?, Some(byte(c, "code")?)),
                    None => (byte(rest, "type")?, None),
                };
                Ok(Protocol::Icmp { ty: Some(ty), code })
            }
            Some((other, _)) => Err(format!("unknown transport `{other}` in `{s}`; {expected}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in ["https", "dns", "tcp:5432", "tcp:8000-8010", "udp:53", "icmp", "icmp:8", "icmp:3/4", "all"] {
            assert_eq!(s.parse::<Protocol>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn dns_is_udp_and_tcp() {
        let t = Protocol::DNS.traffic(None);
        assert_eq!(t, vec![Traffic::Udp(PortRange::single(53)), Traffic::Tcp(PortRange::single(53))]);
    }

    #[test]
    fn listens_override_moves_named_port() {
        assert_eq!(Protocol::HTTPS.traffic(Some(PortRange::single(8443))), vec![Traffic::Tcp(PortRange::single(8443))]);
        assert_eq!(
            Protocol::tcp(5432).traffic(Some(PortRange::single(1))),
            vec![Traffic::Tcp(PortRange::single(5432))]
        );
    }

    #[test]
    fn errors_say_what_to_write() {
        assert!("tcp".parse::<Protocol>().unwrap_err().contains("tcp:PORT"));
        assert!("tcp:0".parse::<Protocol>().unwrap_err().contains("out of range"));
        assert!("tcp:9-1".parse::<Protocol>().unwrap_err().contains("empty"));
        assert!("5432".parse::<Protocol>().unwrap_err().contains("tcp:5432"));
        assert!("sctp:1".parse::<Protocol>().unwrap_err().contains("unknown transport"));
        assert!("icmp:300".parse::<Protocol>().unwrap_err().contains("0-255"));
    }

    #[test]
    fn containment() {
        let wide = Traffic::Tcp(PortRange::new(1, 1024).unwrap());
        let one = Traffic::Tcp(PortRange::single(443));
        assert!(wide.contains(&one) && !one.contains(&wide));
        assert!(Traffic::All.contains(&one));
        assert!(Traffic::Icmp { ty: None, code: None }.contains(&Traffic::Icmp { ty: Some(8), code: Some(0) }));
        assert!(!Traffic::Udp(PortRange::single(443)).contains(&one));
    }
}
