//! The provider's registry: the provider block and every resource / data
//! source type. To add a resource: create `resources/<name>.rs` with a type
//! implementing [`crate::framework::Resource`], declare the module below and
//! add one `r.resource(...)` line in [`registry`].

mod boundary_check;
mod convert;
mod internet;
mod provider_config;
mod relation;
mod service;

use crate::framework::Registry;

pub use provider_config::AppmapProvider;

/// Environment variable that additionally registers the hidden example
/// resources of [`crate::testing`] (end-to-end tests only).
pub const TEST_RESOURCES_ENV: &str = "APPMAP_PROVIDER_TEST_RESOURCES";

/// Builds the registry served by the binary.
pub fn registry() -> Registry {
    let mut r = Registry::new(AppmapProvider);
    r.resource(service::AppmapService);
    r.resource(relation::AppmapRelation);
    r.resource(boundary_check::AppmapBoundaryCheck);
    r.data_source(internet::AppmapInternet);
    if std::env::var(TEST_RESOURCES_ENV).as_deref() == Ok("1") {
        crate::testing::register(&mut r);
    }
    r
}
