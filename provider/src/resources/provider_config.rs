//! The `provider "appmap" {}` block: map-wide defaults and boundaries.
//!
//! Boundaries live here, not on a resource, because they speak about the
//! whole map: every relation is checked against them at plan time.

use std::sync::Arc;

use crate::framework::{
    Attribute, Block, Diagnostics, NestedBlock, ProviderCtx, ProviderData, ProviderDef, Schema, Type, Value,
};

use super::convert::{ProviderSettings, provider_settings};

/// The provider block.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppmapProvider;

/// The configured settings, or the defaults before (or without) configuration.
pub fn settings(ctx: &ProviderCtx) -> ProviderSettings {
    match ctx.data::<ProviderSettings>() {
        Some(s) => s.clone(),
        None => provider_settings(&ctx.config).0,
    }
}

impl ProviderDef for AppmapProvider {
    fn schema(&self) -> Schema {
        let boundary =
            Block::new()
                .description(
                    "Something that must never be connected, and why. Names are services, `internet`, or `zone:NAME`.",
                )
                .attribute(
                    Attribute::required("from", Type::String)
                        .description("The service (or `zone:NAME`, or `internet`) the boundary protects against."),
                )
                .attribute(
                    Attribute::optional("never_talks_to", Type::list(Type::String))
                        .description("No direct relation from `from` to these may exist."),
                )
                .attribute(Attribute::optional("never_reaches", Type::list(Type::String)).description(
                    "No path of any length from `from` may reach these (checked by `appmap_boundary_check`).",
                ))
                .attribute(
                    Attribute::optional("except_through", Type::list(Type::String))
                        .description("Services a `never_reaches` path may pass through (choke points)."),
                )
                .attribute(Attribute::required("reason", Type::String).description("Why the boundary exists."));
        Schema::new(
            Block::new()
                .description("appmap: security group rules derived from a declared application map.")
                .attribute(
                    Attribute::optional("manage_egress", Type::Bool)
                        .description("Derive egress rules on the source's groups too (default true)."),
                )
                .attribute(
                    Attribute::optional("internet_ipv6", Type::Bool)
                        .description("The internet includes `::/0` as well as `0.0.0.0/0` (default true)."),
                )
                .block(NestedBlock::list("boundary", boundary)),
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        provider_settings(config).1
    }

    fn configure(&self, _terraform_version: &str, config: &Value) -> Result<Option<ProviderData>, Diagnostics> {
        let (settings, diags) = provider_settings(config);
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(Some(Arc::new(settings)))
    }
}
