//! [`Peer`]: the other end of a connection or a boundary.

use std::fmt;
use std::panic::Location as CallSite;

use ipnet::IpNet;

use crate::diag::Diagnostic;
use crate::model::INTERNET;

use super::{ServiceHandle, call_site};

/// The other end of a connection: the internet, a declared service, a CIDR,
/// a managed prefix list, or (for boundaries) a zone.
///
/// A CIDR or prefix list becomes an external service of the map, named after
/// it (`cidr-203-0-113-0-24`, `pl-0123abcd`), so that the relation has two
/// named ends; declare a named service with
/// [`ServiceHandle::cidr`](crate::builder::ServiceHandle::cidr) to choose
/// the name yourself. Like [`Port`](crate::Port), a peer that cannot exist
/// remembers where it was written and is reported when the map is built.
///
/// # Examples
/// ```
/// use appmap::Peer;
/// assert_eq!(Peer::internet().to_string(), "internet");
/// assert_eq!(Peer::ipv4("203.0.113.0/24").to_string(), "203.0.113.0/24");
/// // A bare address is not a CIDR; the error says what was probably meant.
/// let err = Peer::ipv4("203.0.113.7").check().unwrap_err();
/// assert!(err.contains("did you mean `203.0.113.7/32`?"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub(crate) kind: PeerKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PeerKind {
    Internet,
    Service { map: u64, id: usize },
    Cidr(IpNet),
    PrefixList(String),
    Zone(String),
    Invalid { message: String, at: &'static CallSite<'static> },
}

impl Peer {
    /// Everyone: `0.0.0.0/0` and `::/0`, the map's built-in `internet`.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Peer, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web").security_group("sg-web");
    /// web.connections().allow_from(Peer::internet(), Port::HTTPS, "Public site");
    /// let rules = map.build().unwrap().derive().rules;
    /// assert!(rules.iter().any(|r| r.peer.value() == "0.0.0.0/0"));
    /// ```
    pub fn internet() -> Peer {
        Peer { kind: PeerKind::Internet }
    }

    #[track_caller]
    fn net(text: &str, want: Option<u8>) -> Peer {
        let at = CallSite::caller();
        let invalid = |message: String| Peer { kind: PeerKind::Invalid { message, at } };
        let family = |v6: bool| if v6 { 6 } else { 4 };
        let s = text.trim();
        match s.parse::<IpNet>() {
            Ok(net) if want.is_some_and(|w| w != family(matches!(net, IpNet::V6(_)))) => {
                let (ctor, other) = if matches!(net, IpNet::V6(_)) { ("ipv6", 6) } else { ("ipv4", 4) };
                invalid(format!("`{s}` is an IPv{other} network; use `Peer::{ctor}` or `Peer::cidr`"))
            }
            _ => match crate::model::parse_cidr(s) {
                Ok(net) => Peer { kind: PeerKind::Cidr(net) },
                Err(message) => invalid(message),
            },
        }
    }

    /// An IPv4 network.
    ///
    /// # Examples
    /// ```
    /// use appmap::Peer;
    /// assert!(Peer::ipv4("10.0.0.0/8").check().is_ok());
    /// assert!(Peer::ipv4("10.0.0.1").check().unwrap_err().contains("did you mean `10.0.0.1/32`?"));
    /// assert!(Peer::ipv4("10.0.0.1/8").check().unwrap_err().contains("did you mean `10.0.0.0/8`?"));
    /// assert!(Peer::ipv4("2001:db8::/32").check().unwrap_err().contains("Peer::ipv6"));
    /// ```
    #[track_caller]
    pub fn ipv4(cidr: &str) -> Peer {
        Peer::net(cidr, Some(4))
    }

    /// An IPv6 network.
    ///
    /// # Examples
    /// ```
    /// use appmap::Peer;
    /// assert!(Peer::ipv6("2001:db8::/32").check().is_ok());
    /// assert!(Peer::ipv6("2001:db8::1").check().unwrap_err().contains("did you mean `2001:db8::1/128`?"));
    /// ```
    #[track_caller]
    pub fn ipv6(cidr: &str) -> Peer {
        Peer::net(cidr, Some(6))
    }

    /// An IPv4 or IPv6 network.
    ///
    /// # Examples
    /// ```
    /// use appmap::Peer;
    /// assert!(Peer::cidr("198.51.100.0/24").check().is_ok());
    /// assert!(Peer::cidr("2001:db8:100::/48").check().is_ok());
    /// assert!(Peer::cidr("not-a-net").check().unwrap_err().contains("not a valid CIDR"));
    /// ```
    #[track_caller]
    pub fn cidr(cidr: &str) -> Peer {
        Peer::net(cidr, None)
    }

    /// A managed prefix list (`pl-...`), e.g. the one AWS keeps for S3.
    ///
    /// # Examples
    /// ```
    /// use appmap::Peer;
    /// assert!(Peer::prefix_list("pl-63a5400a").check().is_ok());
    /// assert!(Peer::prefix_list("sg-63a5400a").check().unwrap_err().contains("pl-"));
    /// ```
    #[track_caller]
    pub fn prefix_list(id: &str) -> Peer {
        let id = id.trim();
        let ok = id
            .strip_prefix("pl-")
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        if ok {
            Peer { kind: PeerKind::PrefixList(id.to_string()) }
        } else {
            Peer {
                kind: PeerKind::Invalid {
                    message: format!("`{id}` is not a prefix list id; they look like `pl-63a5400a`"),
                    at: CallSite::caller(),
                },
            }
        }
    }

    /// Every service in a zone. Only boundaries take zones; a relation
    /// names one service at each end.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Peer, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web").zone("public").security_group("sg-web");
    /// let db = map.service("db").zone("pci").security_group("sg-db");
    /// map.never_reaches(Peer::internet(), Peer::zone("pci"), "PCI scope");
    /// web.connections().allow_from(Peer::internet(), Port::HTTPS, "Public site");
    /// web.connections().allow_to(&db, Port::POSTGRES, "Orders");
    /// // The boundary is crossed: internet -> web -> db.
    /// let err = map.build().unwrap_err().to_string();
    /// assert!(err.contains("cross boundary `internet never_reaches zone:pci`"), "{err}");
    /// ```
    #[track_caller]
    pub fn zone(name: &str) -> Peer {
        let name = name.trim();
        if name.is_empty() {
            return Peer {
                kind: PeerKind::Invalid { message: "a zone name cannot be empty".into(), at: CallSite::caller() },
            };
        }
        Peer { kind: PeerKind::Zone(name.to_string()) }
    }

    /// `Ok` when the peer can exist, or what is wrong with it.
    ///
    /// # Examples
    /// ```
    /// use appmap::Peer;
    /// assert!(Peer::internet().check().is_ok());
    /// assert!(Peer::cidr("300.0.0.0/8").check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), String> {
        match &self.kind {
            PeerKind::Invalid { message, .. } => Err(message.clone()),
            _ => Ok(()),
        }
    }

    pub(crate) fn invalid(&self) -> Option<Diagnostic> {
        match &self.kind {
            PeerKind::Invalid { message, at } => Some(Diagnostic::error(call_site(at), message.clone())),
            _ => None,
        }
    }

    /// The name of the external service that stands for a CIDR or prefix list.
    pub(crate) fn external_name(&self) -> Option<String> {
        match &self.kind {
            PeerKind::Cidr(net) => {
                let s: String =
                    net.to_string().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
                Some(format!("cidr-{s}"))
            }
            PeerKind::PrefixList(id) => Some(id.clone()),
            _ => None,
        }
    }
}

impl From<&ServiceHandle<'_>> for Peer {
    fn from(s: &ServiceHandle<'_>) -> Peer {
        Peer { kind: PeerKind::Service { map: s.map.id, id: s.id } }
    }
}

impl From<&Peer> for Peer {
    fn from(p: &Peer) -> Peer {
        p.clone()
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            PeerKind::Internet => f.write_str(INTERNET),
            PeerKind::Service { id, .. } => write!(f, "service #{id}"),
            PeerKind::Cidr(n) => n.fmt(f),
            PeerKind::PrefixList(p) => f.write_str(p),
            PeerKind::Zone(z) => write!(f, "zone:{z}"),
            PeerKind::Invalid { message, .. } => write!(f, "<invalid: {message}>"),
        }
    }
}

/// One or more peers: what a boundary's far side takes.
///
/// # Examples
/// ```
/// use appmap::{AppMap, Peer};
/// let map = AppMap::new();
/// let web = map.service("web");
/// let a = map.service("orders-db");
/// let b = map.service("card-db");
/// map.never_talks_to(&web, [&a, &b], "The web tier never queries databases directly");
/// map.never_talks_to(&web, Peer::zone("pci"), "PCI scope");
/// assert_eq!(map.build().unwrap().boundaries()[0].to.len(), 2);
/// ```
pub trait IntoPeers {
    /// The peers, in order.
    fn into_peers(self) -> Vec<Peer>;
}

impl IntoPeers for Peer {
    fn into_peers(self) -> Vec<Peer> {
        vec![self]
    }
}

impl IntoPeers for &Peer {
    fn into_peers(self) -> Vec<Peer> {
        vec![self.clone()]
    }
}

impl IntoPeers for &ServiceHandle<'_> {
    fn into_peers(self) -> Vec<Peer> {
        vec![Peer::from(self)]
    }
}

impl<P: Into<Peer>, const N: usize> IntoPeers for [P; N] {
    fn into_peers(self) -> Vec<Peer> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<P: Into<Peer>> IntoPeers for Vec<P> {
    fn into_peers(self) -> Vec<Peer> {
        self.into_iter().map(Into::into).collect()
    }
}
