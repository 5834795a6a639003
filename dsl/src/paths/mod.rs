//! Compound paths: how allowed flows chain into paths, where they lead, and
//! which `never_reaches` boundaries they cross.
//!
//! A [`Graph`] has services (declared map) or security groups (deployed
//! snapshot) as nodes, plus the internet and CIDR peers; an edge `X -> Y`
//! carries the ports on which an ingress rule on `Y` admits `X` and, where
//! egress is managed, an egress rule on `X` admits `Y`. Each hop is its own
//! connection with its own ports; nothing is intersected along a path, except
//! that a load balancer's listener hop and target hop are marked as one flow
//! ([`Hop::forwarded`]).
//!
//! Architecture invariant: this module never computes rules. The declared
//! graph comes from [`crate::ValidMap::derive`], the deployed one from a
//! [`crate::snapshot::Snapshot`]; both go through one flow function. It
//! answers with pairs, shortest witnesses, dominators and counts, never by
//! enumerating paths (exponential). It does no IO.
//!
//! # Examples
//! ```
//! use appmap::paths::{self, Graph, Query};
//! let map = appmap::load_str("m.yaml", r#"
//! services:
//!   web:   { security_group_ids: [sg-web], zone: public }
//!   pay:   { security_group_ids: [sg-pay], zone: app }
//!   vault: { security_group_ids: [sg-vault], zone: pci }
//! relations:
//!   - { from: internet, to: web, protocol: https, reason: "Shop" }
//!   - { from: web, to: pay, protocol: https, reason: "Charge" }
//!   - { from: pay, to: vault, protocol: postgres, reason: "Tokens" }
//! "#).unwrap();
//! let g = Graph::from_map(&map);
//! let q = Query { from: vec!["internet".parse()?], to: vec!["zone:pci".parse()?], max_hops: None };
//! let r = paths::report(&g, &q, Some(&map))?;
//! assert_eq!(r.pairs[0].to_string(), "internet -[tcp:443]-> web -[tcp:443]-> pay -[tcp:5432]-> vault");
//! assert_eq!(r.choke_points["vault"], ["web", "pay"]);
//! # Ok::<(), appmap::paths::Error>(())
//! ```

mod algo;
mod graph;
mod ports;
mod query;
mod render;

pub use algo::{Bfs, Dominators, Reachability, baseline_pair_count, strongly_connected};
pub use graph::{EdgeInfo, Graph, GraphKind, Node, NodeId, NodeKind};
pub use ports::PortSet;
pub use query::{
    Hop, NodeSelector, Path, PathDiff, Query, Report, Violation, check_map, choke_points, diff, never_reaches,
    reachable_pairs, report,
};

/// What can go wrong asking the path graph a question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `--from` / `--to` selector that cannot be read.
    #[error("bad selector `{text}`: {reason}")]
    BadSelector {
        /// The selector as written.
        text: String,
        /// What is wrong and what to write.
        reason: String,
    },
    /// A selector that names no node of the graph.
    #[error("selector `{selector}` matches nothing in the graph{}", help.as_ref().map(|h| format!("; {h}")).unwrap_or_default())]
    NoMatch {
        /// The selector.
        selector: String,
        /// A likely fix.
        help: Option<String>,
    },
}

/// `Result` with this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
