//! `data "appmap_internet"`: the built-in internet pseudo-service
//! (`0.0.0.0/0`, and `::/0` unless the provider sets `internet_ipv6 = false`),
//! usable as a relation's `from` or `to`.

use crate::framework::{Attribute, Block, DataSource, Outcome, ProviderCtx, Schema, Type, Value};

use super::convert::{internet_ref, ref_type};
use super::provider_config::settings;

/// `appmap_internet`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppmapInternet;

impl DataSource for AppmapInternet {
    fn type_name(&self) -> &'static str {
        "appmap_internet"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description(
                    "The internet as a service: use its `ref` as the `from` of a relation that admits public traffic.",
                )
                .attribute(Attribute::computed("id", Type::String).description("Always `internet`."))
                .attribute(
                    Attribute::computed("ref", ref_type())
                        .description("The reference a relation takes as `from` or `to`."),
                ),
        )
    }

    fn read(&self, ctx: &ProviderCtx, _config: &Value) -> Outcome {
        let ipv6 = settings(ctx).defaults.internet_ipv6;
        Outcome::ok(Value::object([("id", Value::from(appmap::INTERNET)), ("ref", internet_ref(ipv6))]))
    }
}
