//! The provider framework: what a resource, data source or the provider
//! configuration implements. Nothing here knows about protobuf; the server
//! module converts at the edge.
//!
//! Adding a resource = one file implementing [`Resource`] + one line in
//! `crate::resources::registry()`.

pub mod diag;
pub mod path;
pub mod schema;
pub mod types;
pub mod value;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use path::{AttrPath, Step};
pub use schema::{
    Attribute, AttributeKind, Block, BlockNesting, NestedAttributes, NestedBlock, ObjectNesting, Schema,
    mark_computed_unknown,
};
pub use types::Type;
pub use value::{Number, Value, ValueError};

/// Whatever the provider's `configure` wants resources to see.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// Provider-wide context handed to every resource / data source call.
#[derive(Clone, Default)]
pub struct ProviderCtx {
    /// Terraform's version, from ConfigureProvider (empty before that).
    pub terraform_version: String,
    /// The provider block's configuration (null before ConfigureProvider;
    /// may contain unknowns during plan).
    pub config: Value,
    data: Option<ProviderData>,
}

impl std::fmt::Debug for ProviderCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderCtx")
            .field("terraform_version", &self.terraform_version)
            .field("config", &self.config)
            .field("has_data", &self.data.is_some())
            .finish()
    }
}

impl ProviderCtx {
    pub fn new(terraform_version: String, config: Value, data: Option<ProviderData>) -> Self {
        ProviderCtx { terraform_version, config, data }
    }
    /// Typed access to the data returned by [`ProviderDef::configure`].
    pub fn data<T: Any>(&self) -> Option<&T> {
        self.data.as_deref().and_then(|d| d.downcast_ref::<T>())
    }
    /// True once ConfigureProvider ran.
    pub fn is_configured(&self) -> bool {
        !self.terraform_version.is_empty()
    }
}

/// The `provider "appmap" { ... }` block.
pub trait ProviderDef: Send + Sync + 'static {
    /// Schema of the provider block (may have nested blocks).
    fn schema(&self) -> Schema {
        Schema::default()
    }
    /// Static validation (values may be unknown).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Called once per Terraform run before any resource operation. The
    /// returned data is available to resources via [`ProviderCtx::data`].
    fn configure(&self, _terraform_version: &str, _config: &Value) -> Result<Option<ProviderData>, Diagnostics> {
        Ok(None)
    }
}

/// Result of an operation producing a value (state) plus diagnostics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub state: Value,
    pub diagnostics: Diagnostics,
}

impl Outcome {
    pub fn ok(state: Value) -> Self {
        Outcome { state, diagnostics: Diagnostics::new() }
    }
    /// Failure; the framework keeps the prior state where Terraform needs one.
    pub fn err(diagnostics: impl Into<Diagnostics>) -> Self {
        Outcome { state: Value::Null, diagnostics: diagnostics.into() }
    }
    pub fn with_diagnostics(mut self, d: Diagnostics) -> Self {
        self.diagnostics.extend(d);
        self
    }
}

/// PlanResourceChange input. Destroy plans never reach [`Resource::plan`].
#[derive(Debug)]
pub struct PlanRequest<'a> {
    pub ctx: &'a ProviderCtx,
    /// Null on create.
    pub prior_state: &'a Value,
    /// Config merged with prior state by Terraform (computed attributes keep
    /// their prior values; on create they're null).
    pub proposed_new_state: &'a Value,
    pub config: &'a Value,
}

impl PlanRequest<'_> {
    pub fn is_create(&self) -> bool {
        self.prior_state.is_null()
    }
}

/// PlanResourceChange output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Planned state; values only known after apply are [`Value::Unknown`].
    pub planned_state: Value,
    /// Changed attributes that force replacement.
    pub requires_replace: Vec<AttrPath>,
    pub diagnostics: Diagnostics,
}

impl Plan {
    /// The default plan: proposed state with computed-but-unset attributes
    /// marked unknown.
    pub fn from_proposed(schema: &Schema, req: &PlanRequest<'_>) -> Plan {
        Plan {
            planned_state: mark_computed_unknown(&schema.block, req.proposed_new_state, req.config),
            ..Plan::default()
        }
    }
}

/// ApplyResourceChange input.
#[derive(Debug)]
pub struct ApplyRequest<'a> {
    pub ctx: &'a ProviderCtx,
    /// Null on create.
    pub prior_state: &'a Value,
    /// Null on destroy.
    pub planned_state: &'a Value,
    pub config: &'a Value,
}

impl ApplyRequest<'_> {
    pub fn is_create(&self) -> bool {
        self.prior_state.is_null()
    }
    pub fn is_delete(&self) -> bool {
        self.planned_state.is_null()
    }
}

/// A managed resource type (`resource "appmap_x" "name" { ... }`).
///
/// Only `type_name`, `schema` and `apply` are mandatory. Every method is
/// synchronous and may run concurrently for different resource instances.
/// A panic inside any method becomes an error diagnostic, not a crash.
pub trait Resource: Send + Sync + 'static {
    /// Full type name including the provider prefix, e.g. `appmap_relation`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Static validation of configuration (values may be unknown).
    fn validate(&self, _ctx: &ProviderCtx, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Plans a create or update. Default: [`Plan::from_proposed`].
    fn plan(&self, req: &PlanRequest<'_>) -> Plan {
        Plan::from_proposed(&self.schema(), req)
    }
    /// Applies a create / update / delete ([`ApplyRequest::is_delete`]). The
    /// returned state must be wholly known and match the known planned values;
    /// on delete it is ignored (null is sent).
    fn apply(&self, req: &ApplyRequest<'_>) -> Outcome;
    /// Refresh. Return [`Value::Null`] if the object is gone. Default: unchanged.
    fn read(&self, _ctx: &ProviderCtx, state: &Value) -> Outcome {
        Outcome::ok(state.clone())
    }
    /// `terraform import` / `import {}` blocks. Default: unsupported.
    fn import(&self, _ctx: &ProviderCtx, _id: &str) -> Outcome {
        Outcome::err(Diagnostic::error(
            "Import not supported",
            format!("The resource type {} does not support import.", self.type_name()),
        ))
    }
    /// Converts stored state written under schema `version` (raw JSON) into a
    /// value of the current schema. Default: same version decodes directly,
    /// anything else is an error.
    fn upgrade_state(&self, version: i64, raw: &serde_json::Value) -> Outcome {
        let schema = self.schema();
        if version != schema.version {
            return Outcome::err(Diagnostic::error(
                "Unsupported state version",
                format!(
                    "{} state has schema version {version}; this provider only reads version {}.",
                    self.type_name(),
                    schema.version
                ),
            ));
        }
        match value::from_json(raw, &schema.value_type()) {
            Ok(v) => Outcome::ok(v),
            Err(e) => Outcome::err(Diagnostic::error("Invalid stored state", e.to_string())),
        }
    }
}

/// A data source (`data "appmap_x" "name" { ... }`).
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _ctx: &ProviderCtx, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Returns the full state (config plus computed attributes).
    fn read(&self, ctx: &ProviderCtx, config: &Value) -> Outcome;
}

/// The provider's flat registry of resources and data sources.
pub struct Registry {
    pub(crate) provider: Box<dyn ProviderDef>,
    pub(crate) resources: BTreeMap<&'static str, Box<dyn Resource>>,
    pub(crate) data_sources: BTreeMap<&'static str, Box<dyn DataSource>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("resources", &self.resources.keys().collect::<Vec<_>>())
            .field("data_sources", &self.data_sources.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    pub fn new(provider: impl ProviderDef) -> Self {
        Registry { provider: Box::new(provider), resources: BTreeMap::new(), data_sources: BTreeMap::new() }
    }
    /// Registers a resource type (panics on a duplicate name: a programming error).
    pub fn resource(&mut self, r: impl Resource) -> &mut Self {
        let name = r.type_name();
        assert!(self.resources.insert(name, Box::new(r)).is_none(), "duplicate resource type {name}");
        self
    }
    pub fn data_source(&mut self, d: impl DataSource) -> &mut Self {
        let name = d.type_name();
        assert!(self.data_sources.insert(name, Box::new(d)).is_none(), "duplicate data source {name}");
        self
    }
    pub fn resource_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.resources.keys().copied()
    }
    pub fn data_source_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.data_sources.keys().copied()
    }
}
