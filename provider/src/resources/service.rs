//! `appmap_service`: a service of the application map and its network identity.
//!
//! Holds no remote object: its state is its configuration plus `ref`, the
//! object a relation takes as `from` / `to`.

use crate::framework::{
    ApplyRequest, AttrPath, Attribute, Block, Diagnostics, Outcome, Plan, PlanRequest, ProviderCtx, Resource, Schema,
    Type, Value,
};

use super::convert::{Unusable, ref_attributes, ref_type, ref_value, service_from_ref};

/// `appmap_service`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppmapService;

impl Resource for AppmapService {
    fn type_name(&self) -> &'static str {
        "appmap_service"
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new().description(
            "A service of the application map: its name, zone, owner and network identity (security groups, or CIDRs / prefix lists for services outside our control). Relations take its `ref`.",
        );
        for a in ref_attributes() {
            block = block.attribute(a);
        }
        Schema::new(
            block.attribute(Attribute::computed("id", Type::String).description("The service name.")).attribute(
                Attribute::computed("ref", ref_type()).description("The reference a relation takes as `from` or `to`."),
            ),
        )
    }

    fn validate(&self, _ctx: &ProviderCtx, config: &Value) -> Diagnostics {
        match service_from_ref(config, &AttrPath::root()) {
            Err(Unusable::Invalid(d)) => d,
            Ok(None) => {
                let mut d = Diagnostics::new();
                d.error_at(
                    AttrPath::new("name"),
                    "`internet` is built in",
                    "Use `data.appmap_internet.<name>.ref` in relations instead of declaring a service named `internet`.",
                );
                d
            }
            _ => Diagnostics::new(),
        }
    }

    fn plan(&self, req: &PlanRequest<'_>) -> Plan {
        let mut planned = req.proposed_new_state.clone();
        planned.set_attr("id", req.config.get("name").cloned().unwrap_or(Value::Unknown));
        planned.set_attr("ref", ref_value(req.config));
        let requires_replace = if !req.is_create() && req.prior_state.get("name") != req.config.get("name") {
            vec![AttrPath::new("name")]
        } else {
            Vec::new()
        };
        Plan { planned_state: planned, requires_replace, diagnostics: Diagnostics::new() }
    }

    fn apply(&self, req: &ApplyRequest<'_>) -> Outcome {
        if req.is_delete() {
            return Outcome::ok(Value::Null);
        }
        let mut state = req.planned_state.clone();
        state.set_attr("id", req.config.get("name").cloned().unwrap_or(Value::Null));
        state.set_attr("ref", ref_value(req.config));
        Outcome::ok(state)
    }

    fn import(&self, _ctx: &ProviderCtx, id: &str) -> Outcome {
        if let Err(e) = id.parse::<appmap::ServiceName>() {
            return Outcome::err(crate::framework::Diagnostic::error(
                "Invalid import id",
                format!("Import an appmap_service by its name: {e}"),
            ));
        }
        let mut state = Value::Null;
        for a in ref_attributes() {
            state.set_attr(a.name.clone(), Value::Null);
        }
        state.set_attr("name", Value::from(id));
        state.set_attr("id", Value::from(id));
        let r = ref_value(&state);
        state.set_attr("ref", r);
        Outcome::ok(state)
    }
}
