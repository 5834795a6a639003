//! Hidden example resource and data source proving the stack end to end.
//! Registered only when `APPMAP_PROVIDER_TEST_RESOURCES=1`; never part of the
//! provider's public surface.
//!
//! `appmap_test_example`:
//! ```hcl
//! resource "appmap_test_example" "x" {
//!   name  = "web"                                   # forces replacement
//!   ports = [{ port = 443 }, { port = 80, protocol = "udp" }]
//!   # computed: id ("example-web"), summary (unknown at plan),
//!   #           ports[*].protocol defaults to "tcp"
//! }
//! ```
//! Validation errors point at attributes: a port outside 1..=65535 gives an
//! error at `ports[i].port`; `name = "panic"` panics during apply (to show
//! the panic becomes a diagnostic).
//!
//! `appmap_test_echo` data source: `input` → computed `output` (upper-cased).

use crate::framework::{
    ApplyRequest, AttrPath, Attribute, Block, DataSource, Diagnostic, Diagnostics, NestedAttributes, Outcome, Plan,
    PlanRequest, ProviderCtx, Registry, Resource, Schema, Type, Value,
};

pub fn register(r: &mut Registry) {
    r.resource(ExampleResource);
    r.data_source(EchoDataSource);
}

#[derive(Debug, Clone, Copy)]
pub struct ExampleResource;

impl ExampleResource {
    fn summary(state: &Value) -> String {
        let name = state.get("name").and_then(Value::as_str).unwrap_or("");
        let n = state.get("ports").and_then(Value::as_list).map_or(0, <[Value]>::len);
        format!("{name}: {n} port(s)")
    }
}

impl Resource for ExampleResource {
    fn type_name(&self) -> &'static str {
        "appmap_test_example"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Test-only example resource.")
                .attribute(
                    Attribute::required("name", Type::String).description("Name; changing it replaces the resource."),
                )
                .attribute(Attribute::optional(
                    "ports",
                    NestedAttributes::list(vec![
                        Attribute::required("port", Type::Number),
                        Attribute::optional_computed("protocol", Type::String),
                    ]),
                ))
                .attribute(Attribute::computed("id", Type::String))
                .attribute(Attribute::computed("summary", Type::String)),
        )
    }

    fn validate(&self, _ctx: &ProviderCtx, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if let Some(ports) = config.get("ports").and_then(Value::as_list) {
            for (i, p) in ports.iter().enumerate() {
                let Some(port) = p.get("port") else { continue };
                if let Some(n) = port.as_i64()
                    && !(1..=65535).contains(&n)
                {
                    d.error_at(
                        AttrPath::new("ports").index(i as i64).attr("port"),
                        "Invalid port",
                        format!("Port {n} is outside 1-65535."),
                    );
                }
            }
        }
        d
    }

    fn plan(&self, req: &PlanRequest<'_>) -> Plan {
        let mut plan = Plan::from_proposed(&self.schema(), req);
        // Default protocol "tcp" (known at plan time).
        if let Some(Value::List(ports)) = plan.planned_state.get_mut("ports") {
            for p in ports.iter_mut() {
                if matches!(p.get("protocol"), Some(Value::Null | Value::Unknown) | None) {
                    p.set_attr("protocol", Value::from("tcp"));
                }
            }
        }
        if !req.is_create() {
            if req.prior_state.get("name") != req.proposed_new_state.get("name") {
                plan.requires_replace.push(AttrPath::new("name"));
                plan.planned_state.set_attr("id", Value::Unknown);
            }
            if req.prior_state.get("ports") != plan.planned_state.get("ports")
                || req.prior_state.get("name") != req.proposed_new_state.get("name")
            {
                plan.planned_state.set_attr("summary", Value::Unknown);
            }
        }
        plan
    }

    fn apply(&self, req: &ApplyRequest<'_>) -> Outcome {
        if req.is_delete() {
            return Outcome::ok(Value::Null);
        }
        let mut state = req.planned_state.clone();
        let name = state.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
        if name == "panic" {
            panic!("example resource asked to panic");
        }
        state.set_attr("id", Value::from(format!("example-{name}")));
        let summary = Self::summary(&state);
        state.set_attr("summary", Value::from(summary));
        Outcome::ok(state)
    }

    fn import(&self, _ctx: &ProviderCtx, id: &str) -> Outcome {
        let Some(name) = id.strip_prefix("example-") else {
            return Outcome::err(Diagnostic::error("Invalid import id", "Expected an id like \"example-NAME\"."));
        };
        let mut state = Value::object([("name", Value::from(name)), ("ports", Value::Null), ("id", Value::from(id))]);
        let summary = Self::summary(&state);
        state.set_attr("summary", Value::from(summary));
        Outcome::ok(state)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct EchoDataSource;

impl DataSource for EchoDataSource {
    fn type_name(&self) -> &'static str {
        "appmap_test_echo"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attribute(Attribute::required("input", Type::String))
                .attribute(Attribute::computed("output", Type::String)),
        )
    }
    fn read(&self, _ctx: &ProviderCtx, config: &Value) -> Outcome {
        let mut state = config.clone();
        let out = config.get("input").and_then(Value::as_str).unwrap_or("").to_uppercase();
        state.set_attr("output", Value::from(out));
        Outcome::ok(state)
    }
}
