//! tfplugin6.Provider service: decodes requests, calls the framework
//! (catching panics), encodes responses.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, RwLock};

use tonic::{Request, Response, Status};

use super::Shutdown;
use super::convert::{decode, diagnostics, encode};
use super::proto::tfplugin6 as pb;
use crate::framework::{
    ApplyRequest, DataSource, Diagnostic, Diagnostics, Outcome, Plan, PlanRequest, ProviderCtx, Registry, Resource,
    Type, Value,
};
use crate::{log_debug, log_error, log_info};

pub(crate) struct ProviderService {
    registry: Arc<Registry>,
    ctx: RwLock<Arc<ProviderCtx>>,
    shutdown: Shutdown,
}

impl ProviderService {
    pub(crate) fn new(registry: Arc<Registry>, shutdown: Shutdown) -> Self {
        ProviderService { registry, ctx: RwLock::new(Arc::new(ProviderCtx::default())), shutdown }
    }

    /// The registered resource type `name`, or the diagnostic saying there is none.
    fn resource(&self, name: &str) -> Result<&dyn Resource, Diagnostic> {
        self.registry.resources.get(name).map(|r| r.as_ref()).ok_or_else(|| unknown_type("resource", name))
    }

    /// The registered data source type `name`, or the diagnostic saying there is none.
    fn data_source(&self, name: &str) -> Result<&dyn DataSource, Diagnostic> {
        self.registry.data_sources.get(name).map(|d| d.as_ref()).ok_or_else(|| unknown_type("data source", name))
    }

    fn ctx(&self) -> Arc<ProviderCtx> {
        match self.ctx.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// Runs provider code, turning a panic into an error diagnostic.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, Diagnostic> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = crate::log::panic_message(payload.as_ref());
        log_error!("{what} panicked: {msg}");
        Diagnostic::error(
            "Internal error in the appmap provider",
            format!(
                "The provider failed while handling {what}: {msg}. This is a bug in the provider; please report it."
            ),
        )
    })
}

fn unknown_type(kind: &str, name: &str) -> Diagnostic {
    Diagnostic::error(format!("Unknown {kind} type"), format!("The appmap provider has no {kind} type named {name:?}."))
}

fn unknown_value_after(what: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        "Provider returned an unknown value",
        format!("{type_name}: {what} must be wholly known. This is a bug in the provider; please report it."),
    )
}

type R<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(&self, _req: Request<pb::get_metadata::Request>) -> R<pb::get_metadata::Response> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .registry
                .resource_names()
                .map(|n| pb::get_metadata::ResourceMetadata { type_name: n.to_owned() })
                .collect(),
            data_sources: self
                .registry
                .data_source_names()
                .map(|n| pb::get_metadata::DataSourceMetadata { type_name: n.to_owned() })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> R<pb::get_provider_schema::Response> {
        let mut diags = Diagnostics::new();
        let mut resp =
            pb::get_provider_schema::Response { server_capabilities: Some(capabilities()), ..Default::default() };
        match guarded("GetProviderSchema", || {
            let p = super::convert::schema(&self.registry.provider.schema());
            let rs: Vec<_> = self
                .registry
                .resources
                .iter()
                .map(|(n, r)| (n.to_string(), super::convert::schema(&r.schema())))
                .collect();
            let ds: Vec<_> = self
                .registry
                .data_sources
                .iter()
                .map(|(n, d)| (n.to_string(), super::convert::schema(&d.schema())))
                .collect();
            (p, rs, ds)
        }) {
            Ok((p, rs, ds)) => {
                resp.provider = Some(p);
                resp.resource_schemas = rs.into_iter().collect();
                resp.data_source_schemas = ds.into_iter().collect();
            }
            Err(d) => diags.push(d),
        }
        resp.diagnostics = diagnostics(&diags);
        Ok(Response::new(resp))
    }

    async fn get_resource_identity_schemas(
        &self,
        _req: Request<pb::get_resource_identity_schemas::Request>,
    ) -> R<pb::get_resource_identity_schemas::Response> {
        // No resource identities yet: an empty map, not UNIMPLEMENTED.
        Ok(Response::new(pb::get_resource_identity_schemas::Response::default()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> R<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        let diags = (|| {
            let ty = self.registry.provider.schema().value_type();
            let config = decode(req.config.as_ref(), &ty, "provider configuration")?;
            guarded("ValidateProviderConfig", || self.registry.provider.validate(&config))
        })()
        .unwrap_or_else(Diagnostics::from);
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> R<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        let ctx = self.ctx();
        let diags = (|| {
            let r = self.resource(&req.type_name)?;
            let config = decode(req.config.as_ref(), &r.schema().value_type(), "resource configuration")?;
            guarded("ValidateResourceConfig", || r.validate(&ctx, &config))
        })()
        .unwrap_or_else(Diagnostics::from);
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> R<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let ctx = self.ctx();
        let diags = (|| {
            let d = self.data_source(&req.type_name)?;
            let config = decode(req.config.as_ref(), &d.schema().value_type(), "data source configuration")?;
            guarded("ValidateDataResourceConfig", || d.validate(&ctx, &config))
        })()
        .unwrap_or_else(Diagnostics::from);
        Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> R<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let mut resp = pb::upgrade_resource_state::Response::default();
        let res = (|| {
            let r = self.resource(&req.type_name)?;
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() {
                return Err(Diagnostic::error(
                    "Unsupported state format",
                    "The stored state uses the legacy flatmap format, which this provider never wrote.",
                )
                .into());
            }
            let json: serde_json::Value = serde_json::from_slice(&raw.json)
                .map_err(|e| Diagnostic::error("Invalid stored state", format!("state is not valid JSON: {e}")))?;
            let out = guarded("UpgradeResourceState", || r.upgrade_state(req.version, &json))?;
            if out.diagnostics.has_errors() {
                return Ok::<_, Diagnostics>((None, out.diagnostics));
            }
            let dv = encode(&out.state, &r.schema().value_type(), "upgraded state")?;
            Ok((Some(dv), out.diagnostics))
        })();
        match res {
            Ok((dv, d)) => {
                resp.upgraded_state = dv;
                resp.diagnostics = diagnostics(&d);
            }
            Err(d) => resp.diagnostics = diagnostics(&d),
        }
        Ok(Response::new(resp))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> R<pb::configure_provider::Response> {
        let req = req.into_inner();
        let diags = (|| {
            let ty = self.registry.provider.schema().value_type();
            let config = decode(req.config.as_ref(), &ty, "provider configuration")?;
            let data =
                guarded("ConfigureProvider", || self.registry.provider.configure(&req.terraform_version, &config))?;
            let data = data?;
            let ctx = Arc::new(ProviderCtx::new(req.terraform_version.clone(), config, data));
            match self.ctx.write() {
                Ok(mut g) => *g = ctx,
                Err(p) => *p.into_inner() = ctx,
            }
            log_info!("configured by Terraform {}", req.terraform_version);
            Ok::<_, Diagnostics>(Diagnostics::new())
        })()
        .unwrap_or_else(|d| d);
        Ok(Response::new(pb::configure_provider::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> R<pb::read_resource::Response> {
        let req = req.into_inner();
        let ctx = self.ctx();
        let mut resp = pb::read_resource::Response { private: req.private.clone(), ..Default::default() };
        let res = (|| {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let current = decode(req.current_state.as_ref(), &ty, "current state")?;
            if current.is_null() {
                return Ok::<_, Diagnostics>((encode(&Value::Null, &ty, "state")?, Diagnostics::new()));
            }
            let out = guarded("ReadResource", || r.read(&ctx, &current))?;
            let state = if out.diagnostics.has_errors() && out.state.is_null() { current } else { out.state };
            if !state.is_wholly_known() {
                return Err(unknown_value_after("refreshed state", r.type_name()).into());
            }
            Ok((encode(&state, &ty, "refreshed state")?, out.diagnostics))
        })();
        match res {
            Ok((dv, d)) => {
                resp.new_state = Some(dv);
                resp.diagnostics = diagnostics(&d);
            }
            Err(d) => {
                resp.new_state = req.current_state;
                resp.diagnostics = diagnostics(&d);
            }
        }
        Ok(Response::new(resp))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> R<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        let ctx = self.ctx();
        let mut resp =
            pb::plan_resource_change::Response { planned_private: req.prior_private.clone(), ..Default::default() };
        let res = (|| {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let prior = decode(req.prior_state.as_ref(), &ty, "prior state")?;
            let proposed = decode(req.proposed_new_state.as_ref(), &ty, "proposed new state")?;
            let config = decode(req.config.as_ref(), &ty, "configuration")?;
            if proposed.is_null() {
                // Destroy: nothing to plan.
                return Ok::<_, Diagnostics>((encode(&Value::Null, &ty, "planned state")?, Plan::default()));
            }
            let preq = PlanRequest { ctx: &ctx, prior_state: &prior, proposed_new_state: &proposed, config: &config };
            let plan = guarded("PlanResourceChange", || r.plan(&preq))?;
            let dv = encode(&plan.planned_state, &ty, "planned state")?;
            Ok((dv, plan))
        })();
        match res {
            Ok((dv, plan)) => {
                if !plan.diagnostics.has_errors() {
                    resp.planned_state = Some(dv);
                    resp.requires_replace = plan.requires_replace.iter().map(super::convert::path_to_pb).collect();
                }
                resp.diagnostics = diagnostics(&plan.diagnostics);
            }
            Err(d) => resp.diagnostics = diagnostics(&d),
        }
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> R<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        let ctx = self.ctx();
        let mut resp =
            pb::apply_resource_change::Response { private: req.planned_private.clone(), ..Default::default() };
        let res = (|| {
            let r = self.resource(&req.type_name)?;
            let ty: Type = r.schema().value_type();
            let prior = decode(req.prior_state.as_ref(), &ty, "prior state")?;
            let planned = decode(req.planned_state.as_ref(), &ty, "planned state")?;
            let config = decode(req.config.as_ref(), &ty, "configuration")?;
            let areq = ApplyRequest { ctx: &ctx, prior_state: &prior, planned_state: &planned, config: &config };
            let out: Outcome = guarded("ApplyResourceChange", || r.apply(&areq))?;
            let state = if out.diagnostics.has_errors() {
                // Failed: keep whatever existed before (null on a failed create).
                if out.state.is_null() { prior } else { out.state }
            } else if areq.is_delete() {
                Value::Null
            } else {
                out.state
            };
            if !state.is_wholly_known() {
                return Err(unknown_value_after("the new state after apply", r.type_name()).into());
            }
            Ok::<_, Diagnostics>((encode(&state, &ty, "new state")?, out.diagnostics))
        })();
        match res {
            Ok((dv, d)) => {
                resp.new_state = Some(dv);
                resp.diagnostics = diagnostics(&d);
            }
            Err(d) => {
                resp.new_state = req.prior_state;
                resp.diagnostics = diagnostics(&d);
            }
        }
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> R<pb::import_resource_state::Response> {
        let req = req.into_inner();
        let ctx = self.ctx();
        let mut resp = pb::import_resource_state::Response::default();
        let res = (|| {
            let r = self.resource(&req.type_name)?;
            let out = guarded("ImportResourceState", || r.import(&ctx, &req.id))?;
            if out.diagnostics.has_errors() {
                return Ok::<_, Diagnostics>((None, out.diagnostics));
            }
            if out.state.is_null() {
                return Err(Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!("No {} with id {:?} exists.", r.type_name(), req.id),
                )
                .into());
            }
            let dv = encode(&out.state, &r.schema().value_type(), "imported state")?;
            Ok((Some(dv), out.diagnostics))
        })();
        match res {
            Ok((dv, d)) => {
                if let Some(state) = dv {
                    resp.imported_resources.push(pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state: Some(state),
                        ..Default::default()
                    });
                }
                resp.diagnostics = diagnostics(&d);
            }
            Err(d) => resp.diagnostics = diagnostics(&d),
        }
        Ok(Response::new(resp))
    }

    async fn read_data_source(&self, req: Request<pb::read_data_source::Request>) -> R<pb::read_data_source::Response> {
        let req = req.into_inner();
        let ctx = self.ctx();
        let mut resp = pb::read_data_source::Response::default();
        let res = (|| {
            let d = self.data_source(&req.type_name)?;
            let ty = d.schema().value_type();
            let config = decode(req.config.as_ref(), &ty, "data source configuration")?;
            let out = guarded("ReadDataSource", || d.read(&ctx, &config))?;
            if out.diagnostics.has_errors() {
                return Ok::<_, Diagnostics>((None, out.diagnostics));
            }
            if !out.state.is_wholly_known() {
                return Err(unknown_value_after("data source state", d.type_name()).into());
            }
            Ok((Some(encode(&out.state, &ty, "data source state")?), out.diagnostics))
        })();
        match res {
            Ok((dv, d)) => {
                resp.state = dv;
                resp.diagnostics = diagnostics(&d);
            }
            Err(d) => resp.diagnostics = diagnostics(&d),
        }
        Ok(Response::new(resp))
    }

    async fn get_functions(&self, _req: Request<pb::get_functions::Request>) -> R<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn stop_provider(&self, _req: Request<pb::stop_provider::Request>) -> R<pb::stop_provider::Response> {
        log_debug!("StopProvider received; stopping gracefully");
        self.shutdown.trigger();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        // We handle destroy plans (planned state = null).
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: false,
    }
}
