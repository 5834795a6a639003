//! The `provider "appmap" {}` block.
//!
//! Empty for now; the appmap configuration (e.g. repeated `boundary` blocks:
//! `NestedBlock::list("boundary", Block::new()...)`) will be declared here and
//! parsed in `configure`, whose result resources read via
//! `ctx.data::<T>()`.

use crate::framework::{ProviderDef, Schema};

#[derive(Debug, Clone, Copy, Default)]
pub struct AppmapProvider;

impl ProviderDef for AppmapProvider {
    fn schema(&self) -> Schema {
        Schema::default()
    }
}
