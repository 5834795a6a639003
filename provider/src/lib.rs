//! terraform-provider-appmap: a tfplugin6 provider server and a small
//! framework for writing its resources.
//!
//! * [`framework`] — values, types, schemas, diagnostics, and the
//!   [`framework::Resource`] / [`framework::DataSource`] traits.
//! * [`resources`] — the registry: every resource type, one line each.
//! * [`server`] — go-plugin handshake, mTLS, gRPC (protobuf stays inside).
//! * [`testing`] — hidden example resources, registered only when
//!   `APPMAP_PROVIDER_TEST_RESOURCES=1` (used by the end-to-end tests).

pub mod framework;
pub mod log;
pub mod resources;
pub mod server;
pub mod testing;
