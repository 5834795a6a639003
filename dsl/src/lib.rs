//! appmap: the vocabulary of application intent and its semantics.
//!
//! A team declares which services talk to which, over what, and why (an
//! application map). This crate reads that map ([`load_file`], the builder),
//! checks it ([`ValidMap`]), and derives the AWS security group rules it
//! implies ([`ValidMap::derive`]). It does no IO beyond reading what it is
//! handed, speaks no gRPC and runs no async code.
//!
//! # Examples
//! ```
//! let map = appmap::load_str("shop.yaml", r#"
//! checkout:
//!   talks_to:
//!     - service: cart-api
//!       protocol: https
//!       reason: "Read the basket at checkout"
//! "#).unwrap();
//! let rules = map.derive().rules;
//! assert!(rules.iter().all(|r| r.description.contains("Read the basket")));
//! ```

pub mod builder;
pub mod derive;
pub mod diag;
pub mod mapfile;
pub mod model;
pub mod paths;
pub mod protocol;
mod render;
pub mod snapshot;
mod validate;
pub mod verify;
pub mod yaml;

pub use builder::{AppMap, Peer, Port};
pub use derive::{Derivation, Direction, GroupSlot, Peer as RulePeer, Rule};
pub use diag::{Diagnostic, Diagnostics, Location, PathStep, Severity};
pub use mapfile::{load_file, load_str, parse_str, to_yaml};
pub use model::{
    Boundary, BoundaryKind, Cadence, Date, Defaults, INTERNET, LoadBalancer, Map, Reason, Relation, Selector, Service,
    ServiceName,
};
pub use protocol::{IpProtocol, Named, PortRange, Protocol, Traffic, Transport};
pub use snapshot::{Snapshot, SnapshotError, parse_snapshot};
pub use validate::ValidMap;
pub use verify::{Finding, FindingKind, Report, VerifyOptions, verify};
