//! [`Port`]: what a connection carries, named the way the builder's callers
//! think of it (`Port::HTTPS`, `Port::tcp(8080)`).

use std::fmt;
use std::panic::Location as CallSite;
use std::str::FromStr;

use crate::diag::Diagnostic;
use crate::protocol::{Named, PortRange, Protocol};

use super::call_site;

/// A protocol and its ports, as a relation of the builder names it.
///
/// `Port` wraps a [`Protocol`]. Its constructors never panic: a port that
/// cannot exist (`Port::tcp(0)`, `Port::tcp_range(9, 1)`) remembers where it
/// was written and is reported by [`AppMap::build`](crate::AppMap::build)
/// together with every other problem.
///
/// # Examples
/// ```
/// use appmap::{Port, Protocol};
/// assert_eq!(Port::HTTPS.to_string(), "https");
/// assert_eq!(Port::tcp(8080).to_string(), "tcp:8080");
/// assert_eq!(Port::udp_range(8000, 8010).to_string(), "udp:8000-8010");
/// assert_eq!(Port::POSTGRES.protocol(), Ok(Protocol::POSTGRES));
/// // Impossible ports are kept, and reported when the map is built.
/// assert!(Port::tcp(0).protocol().unwrap_err().contains("port 0"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Port {
    inner: Result<Protocol, Invalid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Invalid {
    transport: &'static str,
    lo: u16,
    hi: u16,
    at: &'static CallSite<'static>,
}

impl Invalid {
    fn message(&self) -> String {
        let t = self.transport;
        if self.lo == 0 {
            format!("port 0 is not a port in `{t}`; ports are 1-65535")
        } else {
            format!("port range {}-{} in `{t}_range` is empty; write the lower port first", self.lo, self.hi)
        }
    }
}

macro_rules! port_consts {
    ($($konst:ident),+ $(,)?) => {
        impl Port {
            $(
                #[doc = concat!("The named protocol [`Protocol::", stringify!($konst), "`]; its port follows the destination's `listens`.")]
                pub const $konst: Port = Port::of(Protocol::$konst);
            )+
        }

        #[cfg(test)]
        const ALL_CONSTS: &[Port] = &[$(Port::$konst),+];
    };
}

port_consts!(
    HTTPS,
    HTTP,
    HTTP_ALT,
    SSH,
    DNS,
    POSTGRES,
    MYSQL,
    MSSQL,
    ORACLE,
    REDIS,
    MEMCACHED,
    KAFKA,
    ZOOKEEPER,
    ELASTICSEARCH,
    MONGODB,
    CASSANDRA,
    AMQP,
    SMTP,
    SMTPS,
    SUBMISSION,
    IMAPS,
    LDAP,
    LDAPS,
    KERBEROS,
    RDP,
    NTP,
    SNMP,
    SYSLOG,
    NFS,
    ETCD,
    VAULT,
    CONSUL,
    GRPC,
);

impl Port {
    /// A port from a protocol.
    ///
    /// # Examples
    /// ```
    /// use appmap::{Port, Protocol};
    /// assert_eq!(Port::of(Protocol::REDIS), Port::REDIS);
    /// ```
    pub const fn of(protocol: Protocol) -> Port {
        Port { inner: Ok(protocol) }
    }

    #[track_caller]
    fn range(transport: &'static str, lo: u16, hi: u16) -> Port {
        match PortRange::new(lo, hi) {
            Some(r) if transport == "tcp" => Port::of(Protocol::Tcp(r)),
            Some(r) => Port::of(Protocol::Udp(r)),
            None => Port { inner: Err(Invalid { transport, lo, hi, at: CallSite::caller() }) },
        }
    }

    /// TCP on one port.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::tcp(8080).to_string(), "tcp:8080");
    /// assert!(Port::tcp(0).protocol().is_err());
    /// ```
    #[track_caller]
    pub fn tcp(port: u16) -> Port {
        Port::range("tcp", port, port)
    }

    /// TCP on an inclusive range of ports.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::tcp_range(8000, 8010).to_string(), "tcp:8000-8010");
    /// let err = Port::tcp_range(8010, 8000).protocol().unwrap_err();
    /// assert!(err.contains("empty"), "{err}");
    /// ```
    #[track_caller]
    pub fn tcp_range(from: u16, to: u16) -> Port {
        Port::range("tcp", from, to)
    }

    /// UDP on one port.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::udp(514).to_string(), "udp:514");
    /// ```
    #[track_caller]
    pub fn udp(port: u16) -> Port {
        Port::range("udp", port, port)
    }

    /// UDP on an inclusive range of ports.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::udp_range(10000, 20000).to_string(), "udp:10000-20000");
    /// assert!(Port::udp_range(0, 10).protocol().is_err());
    /// ```
    #[track_caller]
    pub fn udp_range(from: u16, to: u16) -> Port {
        Port::range("udp", from, to)
    }

    /// ICMP echo request (type 8, every code): what `ping` sends.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::icmp_ping().to_string(), "icmp:8");
    /// ```
    pub const fn icmp_ping() -> Port {
        Port::icmp_type(8)
    }

    /// One ICMP type, every code.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::icmp_type(3).to_string(), "icmp:3");
    /// ```
    pub const fn icmp_type(ty: u8) -> Port {
        Port::of(Protocol::Icmp { ty: Some(ty), code: None })
    }

    /// One ICMP type and code.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::icmp_type_and_code(3, 4).to_string(), "icmp:3/4");
    /// ```
    pub const fn icmp_type_and_code(ty: u8, code: u8) -> Port {
        Port::of(Protocol::Icmp { ty: Some(ty), code: Some(code) })
    }

    /// Every ICMP type and code.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::all_icmp().to_string(), "icmp");
    /// ```
    pub const fn all_icmp() -> Port {
        Port::of(Protocol::Icmp { ty: None, code: None })
    }

    /// Every protocol and port (`-1`). A relation using it fails to build
    /// unless it is acknowledged with
    /// [`RelationHandle::acknowledge_all_traffic`](crate::builder::RelationHandle::acknowledge_all_traffic).
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let a = map.service("batch").security_group("sg-batch");
    /// let b = map.service("legacy").security_group("sg-legacy");
    /// let rel = a.connections().allow_to(&b, Port::all_traffic(), "Legacy RPC on ports nobody documented");
    /// let err = map.build().unwrap_err();
    /// assert!(err.to_string().contains("allows all traffic without acknowledgement"), "{err}");
    /// assert!(err.render(None).contains("call `.acknowledge_all_traffic()`"), "{err}");
    /// rel.acknowledge_all_traffic();
    /// assert!(map.build().is_ok());
    /// ```
    pub const fn all_traffic() -> Port {
        Port::of(Protocol::All)
    }

    /// Parses a protocol as a map file writes it (`https`, `tcp:8080`,
    /// `udp:53`, `icmp:8/0`, `all`), suggesting the likely fix on error.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// assert_eq!(Port::parse("postgres"), Ok(Port::POSTGRES));
    /// assert_eq!(Port::parse("tcp:8000-8010"), Ok(Port::tcp_range(8000, 8010)));
    /// let err = Port::parse("htps").unwrap_err();
    /// assert_eq!(err, "unknown protocol `htps`; did you mean `https`?");
    /// ```
    pub fn parse(text: &str) -> Result<Port, String> {
        text.parse()
    }

    /// The protocol, or why this port cannot exist.
    ///
    /// # Examples
    /// ```
    /// use appmap::{Port, Protocol};
    /// assert_eq!(Port::tcp(5432).protocol(), Ok(Protocol::tcp(5432)));
    /// assert!(Port::udp(0).protocol().is_err());
    /// ```
    pub fn protocol(&self) -> Result<Protocol, String> {
        self.inner.map_err(|e| e.message())
    }

    /// The protocol, or a diagnostic at the place the port was written.
    pub(crate) fn resolve(&self) -> Result<Protocol, Diagnostic> {
        self.inner.map_err(|e| Diagnostic::error(call_site(e.at), e.message()))
    }

    /// The named protocol, when this is one.
    pub(crate) fn named(&self) -> Option<Named> {
        self.inner.ok().and_then(|p| p.named())
    }
}

impl From<Protocol> for Port {
    fn from(p: Protocol) -> Port {
        Port::of(p)
    }
}

impl FromStr for Port {
    type Err = String;

    fn from_str(s: &str) -> Result<Port, String> {
        s.parse::<Protocol>().map(Port::of)
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Ok(p) => p.fmt(f),
            Err(e) if e.lo == e.hi => write!(f, "{}:{}", e.transport, e.lo),
            Err(e) => write!(f, "{}:{}-{}", e.transport, e.lo, e.hi),
        }
    }
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Ok(p) => write!(f, "Port({p})"),
            Err(e) => write!(f, "Port(invalid: {} at {})", e.message(), call_site(e.at)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_named_protocol_has_a_constant() {
        let mut names: Vec<&str> = ALL_CONSTS.iter().filter_map(|p| p.named()).map(|n| n.name()).collect();
        names.sort_unstable();
        let mut want: Vec<&str> = Named::ALL.iter().map(Named::name).collect();
        want.sort_unstable();
        assert_eq!(names, want);
    }

    #[test]
    fn invalid_ports_name_their_call_site() {
        let p = Port::tcp(0);
        let d = p.resolve().unwrap_err();
        assert!(d.to_string().contains("port.rs:"), "{d}");
        assert!(format!("{p:?}").contains("invalid"));
    }
}
