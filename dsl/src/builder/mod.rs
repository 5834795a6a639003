//! The CDK-style builder: declare the map in Rust, get a [`ValidMap`].
//!
//! ```
//! use appmap::{AppMap, Peer, Port};
//!
//! let map = AppMap::new();
//! let lb       = map.load_balancer("shop-lb").security_group("sg-lb").listener(Port::HTTPS);
//! let frontend = map.service("frontend").zone("public").security_group("sg-frontend").behind(&lb, Port::tcp(8080));
//! let search   = map.service("search-api").zone("app").security_group("sg-search").listens(Port::HTTPS);
//! let user_db  = map.service("user-db").zone("pci").security_group("sg-userdb").listens(Port::POSTGRES);
//!
//! frontend.connections().allow_from(Peer::internet(), Port::HTTPS, "Public storefront");
//! frontend.connections().allow_to(&search, Port::HTTPS, "User search queries");
//! search.connections().allow_to(&user_db, Port::POSTGRES, "Personalised ranking").review_by("2027-06-30");
//! map.never_reaches(Peer::internet(), &user_db, "PCI scope").except_through(&search);
//!
//! let validated = map.build()?;          // every problem at once, each at its Rust call site
//! let rules = validated.derive();        // the same rules the CLI derives from the map file
//! let yaml = validated.to_yaml();        // the full-form map file
//! let hcl = validated.to_hcl();          // appmap_service + appmap_relation resources
//! assert!(rules.rules.iter().any(|r| r.key == "ingress/shop-lb.sg0/tcp/443/0.0.0.0/0"));
//! assert!(yaml.contains("name: \"shop-lb\""));
//! assert!(hcl.contains("resource \"appmap_relation\" \"frontend_to_search_api_https\""));
//! # Ok::<(), appmap::Diagnostics>(())
//! ```
//!
//! Architecture invariant: the builder only records declarations. It turns
//! them into the model ([`Map`]) and hands that to [`ValidMap::new`]; it
//! neither validates how the parts fit together nor derives rules itself,
//! so a map declared here and the same map loaded from YAML behave the same.
//! The only checks here are those of values the model cannot even hold (an
//! empty reason, port 0, a bare address where a CIDR belongs).

mod hcl;
mod peer;
mod port;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::Location as CallSite;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::model::{
    Boundary, BoundaryKind, Cadence, Date, Defaults, FieldLocations, LoadBalancer, Map, Reason, Relation, Selector,
    Service, ServiceName,
};
use crate::protocol::{PortRange, Protocol, Transport};
use crate::validate::ValidMap;

pub use peer::{IntoPeers, Peer};
pub use port::Port;

use peer::PeerKind;

/// A Rust call site as a diagnostic location.
pub(crate) fn call_site(at: &CallSite<'_>) -> Location {
    Location::file(at.file(), at.line(), at.column())
}

#[track_caller]
fn here() -> Location {
    call_site(CallSite::caller())
}

static NEXT_MAP_ID: AtomicU64 = AtomicU64::new(1);

/// An application map under construction.
///
/// Declarations go in through `&self` and come back as small `Copy` handles
/// ([`ServiceHandle`], [`LoadBalancerHandle`], [`RelationHandle`],
/// [`BoundaryHandle`]) that refer back into the map. Nothing is checked
/// until [`AppMap::build`], which reports every problem at once, each at the
/// line of Rust that caused it.
///
/// # Examples
/// ```
/// use appmap::{AppMap, Port};
/// let map = AppMap::new();
/// let web = map.service("web").security_group("sg-web");
/// let db = map.service("db").security_group("sg-db");
/// web.connections().allow_to(&db, Port::POSTGRES, "");          // no reason
/// web.connections().allow_to(&db, Port::tcp(0), "Replication"); // no such port
/// let err = map.build().unwrap_err();
/// assert_eq!(err.errors().count(), 2);
/// assert!(err.to_string().contains("a reason is required"), "{err}");
/// assert!(err.to_string().contains("port 0 is not a port"), "{err}");
/// ```
pub struct AppMap {
    id: u64,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    defaults: Defaults,
    services: Vec<SvcDraft>,
    lbs: Vec<LbDraft>,
    relations: Vec<Option<Relation>>,
    boundaries: Vec<Option<Boundary>>,
    /// External services that stand for a CIDR or prefix list peer, by name.
    externals: BTreeMap<String, usize>,
    errors: Vec<Diagnostic>,
}

struct SvcDraft {
    /// `None` when the name was invalid (already reported).
    svc: Option<Service>,
    behind: Option<Behind>,
}

struct Behind {
    lb: usize,
    target_port: Option<u16>,
    location: Location,
}

struct LbDraft {
    name: String,
    lb: LoadBalancer,
}

impl Default for AppMap {
    fn default() -> Self {
        AppMap::new()
    }
}

impl fmt::Debug for AppMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("AppMap")
            .field("services", &st.services.len())
            .field("load_balancers", &st.lbs.len())
            .field("relations", &st.relations.len())
            .field("boundaries", &st.boundaries.len())
            .field("errors", &st.errors.len())
            .finish()
    }
}

impl AppMap {
    /// An empty map with the default settings (egress managed, IPv6 internet).
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// assert!(map.build().unwrap().relations().is_empty());
    /// ```
    pub fn new() -> AppMap {
        AppMap { id: NEXT_MAP_ID.fetch_add(1, Ordering::Relaxed), state: RefCell::new(State::default()) }
    }

    fn error(&self, d: Diagnostic) {
        self.state.borrow_mut().errors.push(d);
    }

    /// Whether egress rules are derived on the client's groups (default true).
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Direction, Port};
    /// let map = AppMap::new().manage_egress(false);
    /// let a = map.service("a").security_group("sg-a");
    /// let b = map.service("b").security_group("sg-b");
    /// a.connections().allow_to(&b, Port::HTTPS, "Calls");
    /// let rules = map.build().unwrap().derive().rules;
    /// assert!(rules.iter().all(|r| r.direction == Direction::Ingress));
    /// ```
    #[must_use]
    pub fn manage_egress(self, yes: bool) -> AppMap {
        self.state.borrow_mut().defaults.manage_egress = yes;
        self
    }

    /// Whether the internet includes `::/0` as well as `0.0.0.0/0` (default true).
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new().internet_ipv6(false);
    /// assert!(!map.build().unwrap().defaults().internet_ipv6);
    /// ```
    #[must_use]
    pub fn internet_ipv6(self, yes: bool) -> AppMap {
        self.state.borrow_mut().defaults.internet_ipv6 = yes;
        self
    }

    /// Declares a service. Its name is lowercase letters, digits and `-`.
    ///
    /// # Examples
    /// ```
    /// use appmap::AppMap;
    /// let map = AppMap::new();
    /// let api = map.service("search-api").zone("app").owner("team-search").security_group("sg-search");
    /// assert_eq!(api.name(), "search-api");
    /// map.service("Search_API");
    /// let err = map.build().unwrap_err().to_string();
    /// assert!(err.contains("try `search-api`"), "{err}");
    /// ```
    #[track_caller]
    pub fn service(&self, name: &str) -> ServiceHandle<'_> {
        let loc = here();
        let svc = match name.parse::<ServiceName>() {
            Ok(n) => {
                let mut s = Service::new(n);
                s.location = loc.clone();
                s.fields.insert("name", loc);
                Some(s)
            }
            Err(e) => {
                self.error(Diagnostic::error(loc, e));
                None
            }
        };
        let mut st = self.state.borrow_mut();
        st.services.push(SvcDraft { svc, behind: None });
        ServiceHandle { map: self, id: st.services.len() - 1 }
    }

    /// Declares a load balancer. Services join it with
    /// [`ServiceHandle::behind`]; relations to those services then pass
    /// through it (listener port in, target port out).
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Peer, Port};
    /// let map = AppMap::new();
    /// let lb = map.load_balancer("web-lb").security_group("sg-lb").listener(Port::HTTPS).health_check_port(8081);
    /// let web = map.service("web").security_group("sg-web").behind(&lb, Port::tcp(8080));
    /// web.connections().allow_from(Peer::internet(), Port::HTTPS, "Public site");
    /// let keys: Vec<String> = map.build().unwrap().derive().rules.into_iter().map(|r| r.key).collect();
    /// assert!(keys.contains(&"ingress/web-lb.sg0/tcp/443/0.0.0.0/0".to_string()));
    /// assert!(keys.contains(&"ingress/web.sg0/tcp/8080/web-lb.sg0".to_string()));
    /// assert!(keys.contains(&"ingress/web.sg0/tcp/8081/web-lb.sg0".to_string()));
    /// ```
    #[track_caller]
    pub fn load_balancer(&self, name: &str) -> LoadBalancerHandle<'_> {
        let loc = here();
        let mut st = self.state.borrow_mut();
        if let Err(e) = name.parse::<ServiceName>() {
            st.errors.push(Diagnostic::error(loc.clone(), e.replace("service name", "load balancer name")));
        }
        if let Some(prev) = st.lbs.iter().find(|l| l.name == name) {
            let d = Diagnostic::error(loc.clone(), format!("load balancer `{name}` is declared twice"))
                .with_help(format!("the first declaration is at {}", prev.lb.location));
            st.errors.push(d);
        }
        let mut lb = LoadBalancer { name: Some(name.to_string()), location: loc.clone(), ..LoadBalancer::default() };
        lb.fields.insert("name", loc);
        st.lbs.push(LbDraft { name: name.to_string(), lb });
        LoadBalancerHandle { map: self, id: st.lbs.len() - 1 }
    }

    /// Declares that no path of any length may lead from `from` to `to`
    /// (a service, zone or the internet), except through the services named
    /// with [`BoundaryHandle::except_through`].
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Peer, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web").security_group("sg-web");
    /// let pay = map.service("payments").security_group("sg-pay");
    /// let vault = map.service("card-vault").zone("pci").security_group("sg-vault");
    /// web.connections().allow_from(Peer::internet(), Port::HTTPS, "Public site");
    /// web.connections().allow_to(&pay, Port::HTTPS, "Checkout");
    /// pay.connections().allow_to(&vault, Port::POSTGRES, "Tokenise cards");
    /// let boundary = map.never_reaches(Peer::internet(), Peer::zone("pci"), "PCI DSS scope");
    /// assert!(map.build().is_err()); // internet -> web -> payments -> card-vault
    /// boundary.except_through(&pay);
    /// assert!(map.build().is_ok());
    /// ```
    #[track_caller]
    pub fn never_reaches(&self, from: impl Into<Peer>, to: impl IntoPeers, reason: &str) -> BoundaryHandle<'_> {
        self.boundary(
            from.into(),
            to.into_peers(),
            reason,
            BoundaryKind::NeverReaches { except_through: Vec::new() },
            here(),
        )
    }

    /// Declares that `from` must never talk to `to` directly: no relation
    /// may join them and no deployed rule may allow it.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web").security_group("sg-web");
    /// let db = map.service("orders-db").security_group("sg-db");
    /// map.never_talks_to(&web, &db, "The web tier never queries databases directly");
    /// web.connections().allow_to(&db, Port::POSTGRES, "Quick fix");
    /// let err = map.build().unwrap_err().to_string();
    /// assert!(err.contains("crosses boundary `web never_talks_to orders-db`"), "{err}");
    /// ```
    #[track_caller]
    pub fn never_talks_to(&self, from: impl Into<Peer>, to: impl IntoPeers, reason: &str) -> BoundaryHandle<'_> {
        self.boundary(from.into(), to.into_peers(), reason, BoundaryKind::NeverTalksTo, here())
    }

    fn boundary(
        &self,
        from: Peer,
        to: Vec<Peer>,
        reason: &str,
        kind: BoundaryKind,
        loc: Location,
    ) -> BoundaryHandle<'_> {
        let from = self.selector(&from, &loc);
        let targets: Vec<Option<Selector>> = to.iter().map(|p| self.selector(p, &loc)).collect();
        let reason = self.reason(reason, &loc);
        if to.is_empty() {
            self.error(Diagnostic::error(loc.clone(), "a boundary names nothing on its far side"));
        }
        let boundary = match (from, targets.into_iter().collect::<Option<Vec<_>>>(), reason) {
            (Some(from), Some(to), Some(reason)) if !to.is_empty() => {
                let mut fields = FieldLocations::new();
                for f in ["from", "to", "reason"] {
                    fields.insert(f, loc.clone());
                }
                Some(Boundary { from, to, kind, reason, location: loc, fields })
            }
            _ => None,
        };
        let mut st = self.state.borrow_mut();
        st.boundaries.push(boundary);
        BoundaryHandle { map: self, id: st.boundaries.len() - 1 }
    }

    fn reason(&self, text: &str, loc: &Location) -> Option<Reason> {
        match Reason::new(text) {
            Ok(r) => Some(r),
            Err(e) => {
                self.error(Diagnostic::error(loc.clone(), e).with_help("the reason is the whole point: say why"));
                None
            }
        }
    }

    /// The name of the service a peer stands for, declaring an external
    /// service for a CIDR or prefix list. `None` (after reporting why) when
    /// it cannot be a relation's end.
    fn endpoint(&self, peer: &Peer, loc: &Location) -> Option<ServiceName> {
        if let Some(d) = peer.invalid() {
            self.error(d);
            return None;
        }
        match &peer.kind {
            PeerKind::Internet => Some(ServiceName::internet()),
            PeerKind::Service { map, id } => self.own(*map, *id, loc),
            PeerKind::Zone(z) => {
                self.error(
                    Diagnostic::error(loc.clone(), format!("a relation cannot name zone `{z}`; it joins two services"))
                        .with_help("zones are for boundaries (`never_reaches`, `never_talks_to`)"),
                );
                None
            }
            PeerKind::Cidr(_) | PeerKind::PrefixList(_) => {
                let name: ServiceName = peer.external_name()?.parse().ok()?;
                let mut st = self.state.borrow_mut();
                if !st.externals.contains_key(name.as_str()) {
                    let mut s = Service::new(name.clone());
                    s.zone = Some("external".into());
                    match &peer.kind {
                        PeerKind::Cidr(net) => s.cidrs.push(*net),
                        PeerKind::PrefixList(id) => s.prefix_list_ids.push(id.clone()),
                        _ => {}
                    }
                    s.location = loc.clone();
                    st.services.push(SvcDraft { svc: Some(s), behind: None });
                    let id = st.services.len() - 1;
                    st.externals.insert(name.to_string(), id);
                }
                Some(name)
            }
            PeerKind::Invalid { .. } => None,
        }
    }

    fn own(&self, map: u64, id: usize, loc: &Location) -> Option<ServiceName> {
        if map != self.id {
            self.error(Diagnostic::error(loc.clone(), "this service handle belongs to another AppMap"));
            return None;
        }
        self.state.borrow().services.get(id).and_then(|d| d.svc.as_ref()).map(|s| s.name.clone())
    }

    fn selector(&self, peer: &Peer, loc: &Location) -> Option<Selector> {
        match &peer.kind {
            PeerKind::Zone(z) => Some(Selector::Zone(z.clone())),
            _ => self.endpoint(peer, loc).map(Selector::Service),
        }
    }

    fn relate(&self, from: &Peer, to: &Peer, port: Port, reason: &str, loc: Location) -> RelationHandle<'_> {
        let from = self.endpoint(from, &loc);
        let to = self.endpoint(to, &loc);
        let protocol = port.resolve().map_err(|d| self.error(d)).ok();
        let reason = self.reason(reason, &loc);
        let rel = match (from, to, protocol, reason) {
            (Some(from), Some(to), Some(protocol), Some(reason)) => {
                let mut r = Relation::new(from, to, protocol, reason);
                for f in ["from", "to", "protocol", "reason"] {
                    r.fields.insert(f, loc.clone());
                }
                r.location = loc;
                Some(r)
            }
            _ => None,
        };
        let mut st = self.state.borrow_mut();
        st.relations.push(rel);
        RelationHandle { map: self, id: st.relations.len() - 1 }
    }

    /// The map as declared so far, in the model's terms, without checking it.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.service("web");
    /// assert_eq!(map.to_map().services[0].name.as_str(), "web");
    /// ```
    pub fn to_map(&self) -> Map {
        let st = self.state.borrow();
        let mut map = Map { defaults: st.defaults.clone(), ..Map::default() };
        for d in &st.services {
            let Some(svc) = &d.svc else { continue };
            let mut svc = svc.clone();
            if let Some(b) = &d.behind {
                let mut lb = st.lbs[b.lb].lb.clone();
                lb.target_port = b.target_port;
                lb.location = b.location.clone();
                svc.load_balancer = Some(lb);
            }
            map.services.push(svc);
        }
        map.relations = st.relations.iter().flatten().cloned().collect();
        map.boundaries = st.boundaries.iter().flatten().cloned().collect();
        map
    }

    /// Checks everything declared and returns the valid map, or every
    /// problem at once (the builder's own and those of [`ValidMap::new`]),
    /// each at the Rust call site that caused it. Warnings of a valid map
    /// are in [`ValidMap::warnings`].
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Location, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web").security_group("sg-web");
    /// let db = map.service("db").security_group("sg-db");
    /// map.never_talks_to(&web, &db, "Only the API talks to the database");
    /// web.connections().allow_to(&db, Port::POSTGRES, "Shortcut"); let line = line!();
    /// let err = map.build().unwrap_err();
    /// let d = err.errors().next().unwrap();
    /// assert!(d.message.contains("crosses boundary"), "{d}");
    /// assert!(matches!(&d.location, Location::File { line: l, .. } if *l == line), "{d}");
    /// ```
    pub fn build(&self) -> Result<ValidMap, Diagnostics> {
        let map = self.to_map();
        let mut diags = self.state.borrow().errors.clone();
        let result = ValidMap::new(map);
        if diags.is_empty() {
            return result.map_err(|Diagnostics(d)| Diagnostics(d.into_iter().map(in_rust_terms).collect()));
        }
        match result {
            Ok(vm) => diags.extend(vm.warnings().iter().cloned()),
            Err(Diagnostics(more)) => diags.extend(more.into_iter().map(in_rust_terms)),
        }
        diags.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
        diags.dedup();
        Err(Diagnostics(diags))
    }
}

/// A service of an [`AppMap`]: a cheap `Copy` id into the map. Its methods
/// set one property each and return the handle, for chaining.
///
/// # Examples
/// ```
/// use appmap::AppMap;
/// let map = AppMap::new();
/// let api = map.service("cart-api").owner("team-basket").zone("app").security_group("sg-cart");
/// let same = api; // Copy
/// same.retired();
/// assert!(map.build().unwrap().services().next().unwrap().retired);
/// ```
#[derive(Clone, Copy)]
pub struct ServiceHandle<'m> {
    map: &'m AppMap,
    id: usize,
}

impl fmt::Debug for ServiceHandle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceHandle({})", self.name())
    }
}

impl<'m> ServiceHandle<'m> {
    fn edit(self, field: &'static str, loc: Location, f: impl FnOnce(&mut Service) -> Result<(), String>) -> Self {
        let mut st = self.map.state.borrow_mut();
        let result = match st.services[self.id].svc.as_mut() {
            Some(s) => {
                s.fields.insert(field, loc.clone());
                f(s)
            }
            None => Ok(()),
        };
        if let Err(e) = result {
            st.errors.push(Diagnostic::error(loc, e));
        }
        self
    }

    /// The service's name (empty when it was invalid).
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// assert_eq!(map.service("web").name(), "web");
    /// ```
    pub fn name(&self) -> String {
        let st = self.map.state.borrow();
        st.services[self.id].svc.as_ref().map(|s| s.name.to_string()).unwrap_or_default()
    }

    /// The owning team.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.service("web").owner("team-web");
    /// assert_eq!(map.build().unwrap().services().next().unwrap().owner.as_deref(), Some("team-web"));
    /// ```
    #[track_caller]
    pub fn owner(self, team: &str) -> Self {
        self.edit("owner", here(), |s| {
            s.owner = Some(non_empty(team, "owner")?);
            Ok(())
        })
    }

    /// The zone (`public`, `app`, `data`, `pci`, ...), which boundaries can name.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.service("db").zone("");
    /// assert!(map.build().unwrap_err().to_string().contains("zone cannot be empty"));
    /// ```
    #[track_caller]
    pub fn zone(self, zone: &str) -> Self {
        self.edit("zone", here(), |s| {
            s.zone = Some(non_empty(zone, "zone")?);
            Ok(())
        })
    }

    /// Adds a security group: the service's managed network identity.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.service("web").security_group("sg-0a1b").security_group("sg-4e5f");
    /// assert_eq!(map.build().unwrap().services().next().unwrap().security_group_ids, ["sg-0a1b", "sg-4e5f"]);
    /// ```
    #[track_caller]
    pub fn security_group(self, id: &str) -> Self {
        self.edit("security_group_ids", here(), |s| {
            s.security_group_ids.push(non_empty(id, "security group id")?);
            Ok(())
        })
    }

    /// Adds a CIDR, for a service outside our control (a partner, an
    /// acquirer). A bare address is refused with the `/32` (or `/128`) hint.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.service("acquirer").zone("external").cidr("198.51.100.0/24").cidr("2001:db8:100::/48");
    /// assert!(map.build().is_ok());
    /// map.service("partner").cidr("203.0.113.9");
    /// let err = map.build().unwrap_err().to_string();
    /// assert!(err.contains("did you mean `203.0.113.9/32`?"), "{err}");
    /// ```
    #[track_caller]
    pub fn cidr(self, cidr: &str) -> Self {
        let peer = Peer::cidr(cidr);
        self.edit("cidrs", here(), |s| match peer.kind {
            PeerKind::Cidr(net) => {
                s.cidrs.push(net);
                Ok(())
            }
            _ => Err(peer.check().err().unwrap_or_default()),
        })
    }

    /// Adds a managed prefix list (`pl-...`), for a service outside our control.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.service("s3").prefix_list("pl-63a5400a");
    /// assert_eq!(map.build().unwrap().services().next().unwrap().prefix_list_ids, ["pl-63a5400a"]);
    /// ```
    #[track_caller]
    pub fn prefix_list(self, id: &str) -> Self {
        let peer = Peer::prefix_list(id);
        self.edit("prefix_list_ids", here(), |s| match peer.kind {
            PeerKind::PrefixList(id) => {
                s.prefix_list_ids.push(id);
                Ok(())
            }
            _ => Err(peer.check().err().unwrap_or_default()),
        })
    }

    /// Says the service speaks a named protocol on its standard port.
    /// Use [`ServiceHandle::listens_on`] when it listens elsewhere.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// let map = appmap::AppMap::new();
    /// map.service("db").listens(Port::POSTGRES);
    /// map.service("api").listens(Port::tcp(8080));
    /// let err = map.build().unwrap_err().to_string();
    /// assert!(err.contains("`listens` takes a named protocol"), "{err}");
    /// ```
    #[track_caller]
    pub fn listens(self, port: Port) -> Self {
        let p = port.named().map(|n| n.default_port()).unwrap_or(0);
        self.listen(port, p, p, here())
    }

    /// Says the service speaks a named protocol on another port than the
    /// standard one: relations naming the protocol then use this port.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// let map = appmap::AppMap::new();
    /// let web = map.service("web").security_group("sg-web");
    /// let cart = map.service("cart-api").security_group("sg-cart").listens_on(Port::HTTPS, 8443);
    /// web.connections().allow_to(&cart, Port::HTTPS, "Baskets");
    /// let rules = map.build().unwrap().derive().rules;
    /// assert!(rules.iter().all(|r| r.key.contains("tcp/8443")));
    /// ```
    #[track_caller]
    pub fn listens_on(self, port: Port, on: u16) -> Self {
        self.listen(port, on, on, here())
    }

    /// Like [`ServiceHandle::listens_on`], on an inclusive range of ports.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// let map = appmap::AppMap::new();
    /// map.service("grpc-pool").listens_on_range(Port::GRPC, 50051, 50059);
    /// assert!(map.build().is_ok());
    /// ```
    #[track_caller]
    pub fn listens_on_range(self, port: Port, from: u16, to: u16) -> Self {
        self.listen(port, from, to, here())
    }

    fn listen(self, port: Port, from: u16, to: u16, loc: Location) -> Self {
        self.edit("listens", loc, |s| {
            let Some(named) = port.named() else {
                return Err(format!(
                    "`listens` takes a named protocol such as `Port::HTTPS`; `{port}` already says its port"
                ));
            };
            let range = PortRange::new(from, to)
                .ok_or_else(|| format!("port range {from}-{to} for `{}` is empty or starts at 0", named.name()))?;
            s.listens.insert(named, range);
            Ok(())
        })
    }

    /// Puts the service behind a load balancer that forwards to `target`
    /// (a TCP port; a named protocol means its standard port).
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// let map = appmap::AppMap::new();
    /// let lb = map.load_balancer("lb").security_group("sg-lb").listener(Port::HTTPS);
    /// let web = map.service("web").security_group("sg-web").behind(&lb, Port::tcp(8080));
    /// let s = map.build().unwrap().services().next().unwrap().clone();
    /// assert_eq!(s.load_balancer_name().as_deref(), Some("lb"));
    /// assert_eq!(s.load_balancer.unwrap().target_port, Some(8080));
    /// map.service("api").behind(&lb, Port::udp(53));
    /// assert!(map.build().unwrap_err().to_string().contains("TCP port"));
    /// ```
    #[track_caller]
    pub fn behind(self, lb: &LoadBalancerHandle<'_>, target: Port) -> Self {
        let loc = here();
        let target_port = match target.resolve() {
            Err(d) => {
                self.map.error(d);
                return self;
            }
            Ok(Protocol::Tcp(r)) if r.from() == r.to() => Some(r.from()),
            Ok(Protocol::Named(n)) if n.transports() == [Transport::Tcp] => Some(n.default_port()),
            Ok(p) => {
                self.map.error(Diagnostic::error(
                    loc,
                    format!(
                        "a load balancer forwards to one TCP port; `{p}` is not one (write e.g. `Port::tcp(8080)`)"
                    ),
                ));
                return self;
            }
        };
        if !std::ptr::eq(lb.map, self.map) {
            self.map.error(Diagnostic::error(loc, "this load balancer belongs to another AppMap"));
            return self;
        }
        let mut st = self.map.state.borrow_mut();
        if let Some(prev) = &st.services[self.id].behind {
            let d = Diagnostic::error(loc.clone(), format!("the service is already behind `{}`", st.lbs[prev.lb].name))
                .with_help(format!("it was put there at {}", prev.location));
            st.errors.push(d);
            return self;
        }
        st.services[self.id].behind = Some(Behind { lb: lb.id, target_port, location: loc.clone() });
        if let Some(s) = st.services[self.id].svc.as_mut() {
            s.fields.insert("load_balancer", loc);
        }
        self
    }

    /// Marks the service retired: relations naming it are stale.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// let map = appmap::AppMap::new();
    /// let old = map.service("old-api").retired();
    /// let web = map.service("web");
    /// web.connections().allow_to(&old, Port::HTTPS, "Legacy reads");
    /// let vm = map.build().unwrap();
    /// assert!(vm.warnings().iter().any(|w| w.message.contains("retired")));
    /// ```
    #[track_caller]
    pub fn retired(self) -> Self {
        self.edit("retired", here(), |s| {
            s.retired = true;
            Ok(())
        })
    }

    /// The service's connections: where its relations are declared.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web");
    /// let api = map.service("api");
    /// web.connections().allow_to(&api, Port::HTTPS, "Calls the API");
    /// assert_eq!(map.build().unwrap().relations()[0].id(), "web->api:https");
    /// ```
    pub fn connections(self) -> Connections<'m> {
        Connections { service: self }
    }
}

/// Validation speaks map-file syntax in its hints; say the same in Rust.
fn in_rust_terms(mut d: Diagnostic) -> Diagnostic {
    const HINTS: &[(&str, &str)] = &[
        (
            "acknowledge_all_traffic: true",
            "name the port (e.g. `Port::HTTPS`, `Port::tcp(8080)`) or call `.acknowledge_all_traffic()` on the relation, with a reason that says why",
        ),
        ("listeners: {", "add a listener: `.listener(Port::HTTPS)` on the load balancer"),
    ];
    if let Some(help) = &d.help {
        if let Some((_, rust)) = HINTS.iter().find(|(yaml, _)| help.contains(yaml)) {
            d.help = Some((*rust).to_string());
        }
    }
    d
}

fn non_empty(text: &str, what: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() { Err(format!("{what} cannot be empty")) } else { Ok(t.to_string()) }
}

/// A load balancer of an [`AppMap`]: a cheap `Copy` id into the map.
///
/// # Examples
/// ```
/// use appmap::{AppMap, Port};
/// let map = AppMap::new();
/// let lb = map.load_balancer("shop-lb").security_group("sg-lb").listener(Port::HTTPS).listener(Port::HTTP);
/// map.service("web").security_group("sg-web").behind(&lb, Port::tcp(8080));
/// let vm = map.build().unwrap();
/// assert_eq!(vm.services().next().unwrap().load_balancer.as_ref().unwrap().listeners.len(), 2);
/// ```
#[derive(Clone, Copy)]
pub struct LoadBalancerHandle<'m> {
    map: &'m AppMap,
    id: usize,
}

impl fmt::Debug for LoadBalancerHandle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoadBalancerHandle({})", self.map.state.borrow().lbs[self.id].name)
    }
}

impl LoadBalancerHandle<'_> {
    fn edit(self, field: &'static str, loc: Location, f: impl FnOnce(&mut LoadBalancer) -> Result<(), String>) -> Self {
        let mut st = self.map.state.borrow_mut();
        let lb = &mut st.lbs[self.id].lb;
        lb.fields.insert(field, loc.clone());
        if let Err(e) = f(lb) {
            st.errors.push(Diagnostic::error(loc, e));
        }
        self
    }

    /// Adds a security group of the load balancer.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.load_balancer("lb").security_group("");
    /// assert!(map.build().is_err());
    /// ```
    #[track_caller]
    pub fn security_group(self, id: &str) -> Self {
        self.edit("security_group_ids", here(), |lb| {
            lb.security_group_ids.push(non_empty(id, "security group id")?);
            Ok(())
        })
    }

    /// Adds a listener for a named protocol on its standard port.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// let map = appmap::AppMap::new();
    /// map.load_balancer("lb").listener(Port::tcp(8443));
    /// assert!(map.build().unwrap_err().to_string().contains("named protocol"));
    /// ```
    #[track_caller]
    pub fn listener(self, port: Port) -> Self {
        let p = port.named().map(|n| n.default_port()).unwrap_or(0);
        self.listener_on(port, p)
    }

    /// Adds a listener for a named protocol on another port.
    ///
    /// # Examples
    /// ```
    /// use appmap::Port;
    /// let map = appmap::AppMap::new();
    /// map.load_balancer("lb").listener_on(Port::HTTPS, 8443);
    /// assert!(map.build().is_ok());
    /// ```
    #[track_caller]
    pub fn listener_on(self, port: Port, on: u16) -> Self {
        self.edit("listeners", here(), |lb| {
            let Some(named) = port.named() else {
                return Err(format!("a listener takes a named protocol such as `Port::HTTPS`, not `{port}`"));
            };
            if on == 0 {
                return Err("port 0 is not a port; ports are 1-65535".into());
            }
            lb.listeners.insert(named, on);
            Ok(())
        })
    }

    /// The port the load balancer checks its targets' health on, when it
    /// differs from the target port.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// map.load_balancer("lb").health_check_port(0);
    /// assert!(map.build().is_err());
    /// ```
    #[track_caller]
    pub fn health_check_port(self, port: u16) -> Self {
        self.edit("health_check_port", here(), |lb| {
            if port == 0 {
                return Err("port 0 is not a port; ports are 1-65535".into());
            }
            lb.health_check_port = Some(port);
            Ok(())
        })
    }

    /// The load balancer's name.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::AppMap::new();
    /// assert_eq!(map.load_balancer("shop-lb").name(), "shop-lb");
    /// ```
    pub fn name(&self) -> String {
        self.map.state.borrow().lbs[self.id].name.clone()
    }
}

/// The connections of one service: `allow_to`, `allow_from`,
/// `allow_internally`. The reason is always required.
///
/// # Examples
/// ```
/// use appmap::{AppMap, Peer, Port};
/// let map = AppMap::new();
/// let web = map.service("web").security_group("sg-web");
/// let api = map.service("api").security_group("sg-api");
/// web.connections().allow_from(Peer::internet(), Port::HTTPS, "Public site");
/// web.connections().allow_to(&api, Port::HTTPS, "Calls the API");
/// api.connections().allow_internally(Port::tcp(7946), "Cluster gossip");
/// assert_eq!(map.build().unwrap().relations().len(), 3);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Connections<'m> {
    service: ServiceHandle<'m>,
}

impl<'m> Connections<'m> {
    /// Declares that this service talks to `peer` over `port`, because `reason`.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Peer, Port};
    /// let map = AppMap::new();
    /// let api = map.service("api").security_group("sg-api");
    /// api.connections().allow_to(Peer::prefix_list("pl-63a5400a"), Port::HTTPS, "Read product images from S3");
    /// api.connections().allow_to(Peer::ipv4("203.0.113.0/24"), Port::HTTPS, "Partner webhooks");
    /// let vm = map.build().unwrap();
    /// let names: Vec<&str> = vm.services().map(|s| s.name.as_str()).collect();
    /// assert_eq!(names, ["api", "cidr-203-0-113-0-24", "pl-63a5400a"]);
    /// // An empty reason is refused, at this line.
    /// api.connections().allow_to(Peer::internet(), Port::HTTPS, "  ");
    /// assert!(map.build().unwrap_err().to_string().contains("a reason is required"));
    /// ```
    #[track_caller]
    pub fn allow_to(self, peer: impl Into<Peer>, port: Port, reason: &str) -> RelationHandle<'m> {
        self.service.map.relate(&Peer::from(&self.service), &peer.into(), port, reason, here())
    }

    /// Declares that `peer` talks to this service over `port`, because `reason`.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Peer, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web").security_group("sg-web");
    /// web.connections().allow_from(Peer::internet(), Port::HTTPS, "Public site");
    /// assert_eq!(map.build().unwrap().relations()[0].id(), "internet->web:https");
    /// web.connections().allow_from(Peer::ipv4("10.1.2.3"), Port::SSH, "Bastion");
    /// assert!(map.build().unwrap_err().to_string().contains("did you mean `10.1.2.3/32`?"));
    /// ```
    #[track_caller]
    pub fn allow_from(self, peer: impl Into<Peer>, port: Port, reason: &str) -> RelationHandle<'m> {
        self.service.map.relate(&peer.into(), &Peer::from(&self.service), port, reason, here())
    }

    /// Declares that members of this service talk to each other.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let cache = map.service("cache").security_group("sg-cache");
    /// cache.connections().allow_internally(Port::tcp(16379), "Redis cluster bus");
    /// let rules = map.build().unwrap().derive().rules;
    /// assert!(rules.iter().any(|r| r.key == "ingress/cache.sg0/tcp/16379/cache.sg0"));
    /// ```
    #[track_caller]
    pub fn allow_internally(self, port: Port, reason: &str) -> RelationHandle<'m> {
        let me = Peer::from(&self.service);
        self.service.map.relate(&me, &me, port, reason, here())
    }
}

/// A relation of an [`AppMap`]: a cheap `Copy` id for setting its optional parts.
///
/// # Examples
/// ```
/// use appmap::{AppMap, Cadence, Port};
/// let map = AppMap::new();
/// let batch = map.service("reconciliation").security_group("sg-batch");
/// let db = map.service("orders-db").security_group("sg-db");
/// batch.connections().allow_to(&db, Port::POSTGRES, "Quarterly reconciliation")
///     .cadence(Cadence::Quarterly).owner("team-finance").ticket("SEC-1042").review_by("2027-06-30");
/// let vm = map.build().unwrap();
/// let r = &vm.relations()[0];
/// assert_eq!(r.cadence, Some(Cadence::Quarterly));
/// assert_eq!(r.review_by.unwrap().to_string(), "2027-06-30");
/// ```
#[derive(Clone, Copy)]
pub struct RelationHandle<'m> {
    map: &'m AppMap,
    id: usize,
}

impl fmt::Debug for RelationHandle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.map.state.borrow().relations[self.id] {
            Some(r) => write!(f, "RelationHandle({})", r.id()),
            None => f.write_str("RelationHandle(<invalid>)"),
        }
    }
}

impl RelationHandle<'_> {
    fn edit(self, field: &'static str, loc: Location, f: impl FnOnce(&mut Relation) -> Result<(), String>) -> Self {
        let mut st = self.map.state.borrow_mut();
        let result = match st.relations[self.id].as_mut() {
            Some(r) => {
                r.fields.insert(field, loc.clone());
                f(r)
            }
            None => Ok(()),
        };
        if let Err(e) = result {
            st.errors.push(Diagnostic::error(loc, e));
        }
        self
    }

    /// The date (`YYYY-MM-DD`) by which the relation must be reviewed again.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let (a, b) = (map.service("a"), map.service("b"));
    /// a.connections().allow_to(&b, Port::HTTPS, "Calls").review_by("30/06/2027");
    /// assert!(map.build().unwrap_err().to_string().contains("write YYYY-MM-DD"));
    /// ```
    #[track_caller]
    pub fn review_by(self, date: &str) -> Self {
        self.edit("review_by", here(), |r| {
            r.review_by = Some(date.parse::<Date>()?);
            Ok(())
        })
    }

    /// How often traffic is expected, so that absence in flow logs is read right.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Cadence, Port};
    /// let map = AppMap::new();
    /// let (a, b) = (map.service("a"), map.service("b"));
    /// a.connections().allow_to(&b, Port::HTTPS, "Failover replica").cadence(Cadence::Failover);
    /// assert_eq!(map.build().unwrap().relations()[0].cadence, Some(Cadence::Failover));
    /// ```
    #[track_caller]
    pub fn cadence(self, cadence: Cadence) -> Self {
        self.edit("cadence", here(), |r| {
            r.cadence = Some(cadence);
            Ok(())
        })
    }

    /// Who answers for the relation.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let (a, b) = (map.service("a"), map.service("b"));
    /// a.connections().allow_to(&b, Port::HTTPS, "Calls").owner("team-a");
    /// assert_eq!(map.build().unwrap().relations()[0].owner.as_deref(), Some("team-a"));
    /// ```
    #[track_caller]
    pub fn owner(self, team: &str) -> Self {
        self.edit("owner", here(), |r| {
            r.owner = Some(non_empty(team, "owner")?);
            Ok(())
        })
    }

    /// The ticket that approved the relation.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let (a, b) = (map.service("a"), map.service("b"));
    /// a.connections().allow_to(&b, Port::HTTPS, "Calls").ticket("SEC-1042");
    /// assert_eq!(map.build().unwrap().relations()[0].ticket.as_deref(), Some("SEC-1042"));
    /// ```
    #[track_caller]
    pub fn ticket(self, ticket: &str) -> Self {
        self.edit("ticket", here(), |r| {
            r.ticket = Some(non_empty(ticket, "ticket")?);
            Ok(())
        })
    }

    /// The explicit acknowledgement that [`Port::all_traffic`] is meant.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Port};
    /// let map = AppMap::new();
    /// let (a, b) = (map.service("a"), map.service("b"));
    /// a.connections().allow_to(&b, Port::all_traffic(), "Lift-and-shift; narrowed in SEC-77").acknowledge_all_traffic();
    /// assert!(map.build().unwrap().relations()[0].acknowledge_all_traffic);
    /// ```
    #[track_caller]
    pub fn acknowledge_all_traffic(self) -> Self {
        self.edit("acknowledge_all_traffic", here(), |r| {
            r.acknowledge_all_traffic = true;
            Ok(())
        })
    }
}

/// A boundary of an [`AppMap`]: a cheap `Copy` id.
///
/// # Examples
/// ```
/// use appmap::{AppMap, Peer};
/// let map = AppMap::new();
/// let pay = map.service("payments");
/// map.service("vault").zone("pci");
/// map.never_reaches(Peer::internet(), Peer::zone("pci"), "PCI DSS").except_through(&pay);
/// assert_eq!(map.build().unwrap().boundaries()[0].describe(), "internet never_reaches zone:pci except through payments");
/// ```
#[derive(Clone, Copy)]
pub struct BoundaryHandle<'m> {
    map: &'m AppMap,
    id: usize,
}

impl fmt::Debug for BoundaryHandle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.map.state.borrow().boundaries[self.id] {
            Some(b) => write!(f, "BoundaryHandle({})", b.describe()),
            None => f.write_str("BoundaryHandle(<invalid>)"),
        }
    }
}

impl BoundaryHandle<'_> {
    /// Permits paths that pass through `service` (a choke point such as a
    /// payments API in front of a card vault). Only for `never_reaches`.
    ///
    /// # Examples
    /// ```
    /// use appmap::AppMap;
    /// let map = AppMap::new();
    /// let (web, api, db) = (map.service("web"), map.service("api"), map.service("db"));
    /// map.never_talks_to(&web, &db, "Tiering").except_through(&api);
    /// let err = map.build().unwrap_err().to_string();
    /// assert!(err.contains("only applies to `never_reaches`"), "{err}");
    /// ```
    #[track_caller]
    pub fn except_through(self, service: &ServiceHandle<'_>) -> Self {
        let loc = here();
        let name = self.map.own(service.map.id, service.id, &loc);
        let mut st = self.map.state.borrow_mut();
        let Some(b) = st.boundaries[self.id].as_mut() else { return self };
        match (&mut b.kind, name) {
            (BoundaryKind::NeverReaches { except_through }, Some(name)) => {
                except_through.push(name);
                b.fields.insert("except_through", loc);
            }
            (BoundaryKind::NeverReaches { .. }, None) => {}
            (BoundaryKind::NeverTalksTo, _) => st.errors.push(
                Diagnostic::error(loc, "`except_through` only applies to `never_reaches`")
                    .with_help("a direct relation has no hops to pass through; use `never_reaches` for paths"),
            ),
        }
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn net(s: &str) -> ipnet::IpNet {
        s.parse().expect("test CIDR")
    }

    #[test]
    fn errors_point_at_the_calling_line() {
        let map = AppMap::new();
        let a = map.service("a");
        let line = line!() + 1;
        a.connections().allow_to(Peer::internet(), Port::HTTPS, "");
        let err = map.build().unwrap_err();
        let d = err.errors().next().unwrap();
        assert!(
            matches!(&d.location, Location::File { file, line: l, .. } if file.ends_with("mod.rs") && *l == line),
            "{d}"
        );
    }

    #[test]
    fn the_same_peer_cidr_is_one_external_service() {
        let map = AppMap::new();
        let a = map.service("a").security_group("sg-a");
        a.connections().allow_to(Peer::ipv4("203.0.113.0/24"), Port::HTTPS, "One");
        a.connections().allow_to(Peer::ipv4("203.0.113.0/24"), Port::SSH, "Two");
        a.connections().allow_to(Peer::ipv6("2001:db8::/32"), Port::SSH, "Three");
        let vm = map.build().unwrap();
        let ext: Vec<&Service> = vm.services().filter(|s| s.is_external()).collect();
        assert_eq!(ext.len(), 2);
        assert_eq!(ext[0].name.as_str(), "cidr-2001-db8---32");
        assert_eq!(ext[1].cidrs, [net("203.0.113.0/24")]);
    }

    #[test]
    fn handles_of_another_map_are_refused() {
        let one = AppMap::new();
        let two = AppMap::new();
        let a = one.service("a");
        let b = two.service("b");
        a.connections().allow_to(&b, Port::HTTPS, "Across maps");
        assert!(one.build().unwrap_err().to_string().contains("another AppMap"));
    }

    #[test]
    fn a_zone_is_no_relation_end() {
        let map = AppMap::new();
        map.service("a").connections().allow_to(Peer::zone("pci"), Port::HTTPS, "x");
        assert!(map.build().unwrap_err().to_string().contains("cannot name zone `pci`"));
    }
}
